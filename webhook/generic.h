/* generic.h - jianfu's own signed JSON webhook, for any system that is not a known provider
 * (a city's own app, a hotline's ticket system, a bridge to another messenger).
 *
 * The sender POSTs application/json (UTF-8)
 *     {"id":"<message id>","from":"<reply address>","text":"<message>"}
 * (optionally "to": the number or account written to) with two headers:
 *     X-Jianfu-Timestamp: <Unix time in seconds, decimal>
 *     X-Jianfu-Signature: sha256=<lowercase hex HMAC-SHA256(secret, timestamp "." body)>
 * where body is the raw request body, byte for byte, and secret the channel's setting
 * secret (JIANFU_GENERIC_SECRET). docs/channels.md has a worked example, which the unit
 * test checks. The timestamp is signed, so a captured request cannot be replayed after
 * JF_GENERIC_MAX_SKEW seconds; within them, a replay carries the same id and is stored
 * once.
 *
 * The adapter row (kind "generic") checks a request in the order of jsonbody.h; the
 * authentication is, in this order: X-Jianfu-Timestamp present as 1 to 12 ASCII digits
 * (403 "missing or invalid X-Jianfu-Timestamp"); X-Jianfu-Signature equal to the expected
 * signature, compared in constant time (403 "invalid or missing X-Jianfu-Signature");
 * the timestamp within JF_GENERIC_MAX_SKEW seconds of the request's receipt time either
 * way (403 "stale timestamp: ..."; checked after the signature so that only a genuine
 * sender learns its clock is off). Then the root must be an object (400) with id (1 to
 * JF_WEBHOOK_MAX_MSG_ID characters of [A-Za-z0-9._:-]), from (1 to
 * JF_JSONBODY_MAX_SENDER bytes, no control characters), text (at most
 * JF_JSONBODY_MAX_TEXT bytes, may be empty) and optionally to (at most
 * JF_JSONBODY_MAX_RECIPIENT bytes).
 * jf_inbound: msg_id = id, sender = from, recipient = to, text = text. The id is stored in
 * clear for idempotency: it must never contain the sender's address.
 *
 * render_ack answers 200 application/json {"status":"accepted","message":<text>} with the
 * acknowledgement for the sender to relay, or {"status":"accepted"} when there is none.
 * This kind has no outbound sender. All functions are thread-safe.
 */
#ifndef JF_WEBHOOK_GENERIC_H
#define JF_WEBHOOK_GENERIC_H

#include <stddef.h>

#include "core/err.h"
#include "webhook/adapter.h"
#include "webhook/jsonbody.h"

#define JF_GENERIC_TIMESTAMP_HEADER "X-Jianfu-Timestamp"
#define JF_GENERIC_SIGNATURE_HEADER "X-Jianfu-Signature"
/* Most seconds a signed timestamp may be from the server's clock, either way. */
#define JF_GENERIC_MAX_SKEW 300
/* Most digits of a timestamp: Unix seconds for the next 30000 years. */
#define JF_GENERIC_TIMESTAMP_MAX_DIGITS 12
#define JF_GENERIC_SIG_LEN JF_JSONBODY_SIG_LEN

/* jf_webhook_generic_signature - out receives the signature header value of a request:
 * "sha256=" + lowercase hex HMAC-SHA256(secret, timestamp "." body[0..len)). JF_ERR_INVAL
 * for NULL arguments, an empty secret or a timestamp that is not 1 to
 * JF_GENERIC_TIMESTAMP_MAX_DIGITS digits; JF_ERR_TOOBIG for a body longer than
 * JF_WEBHOOK_MAX_BODY; JF_ERR_NOMEM, JF_ERR_CRYPTO. */
jf_err jf_webhook_generic_signature(const char *secret, const char *timestamp, const char *body,
                                    size_t len, char out[JF_GENERIC_SIG_LEN + 1]) JF_WUR;

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_generic_adapter;

#endif
