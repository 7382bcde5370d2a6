/* tencent.h - Tencent Cloud SMS reply callbacks (短信回复回调 / SMS Reply).
 *
 * When a user answers an SMS, Tencent Cloud POSTs one JSON object to the configured URL:
 *     {"extend":"","mobile":"13xxxxxxxxx","nationcode":"86","sign":"短信签名",
 *      "text":"用户回复的内容","time":1457336869}
 * and expects {"result":0,"errmsg":"OK"}. The callback has no message id and no
 * signature, so the callback URL carries a secret: .../webhooks/tencent?key=<setting key>.
 *
 * The adapter row (kind "tencent") checks a request in the order of jsonbody.h, the
 * authentication being exactly one query parameter "key" equal to setting key
 * (JIANFU_TENCENT_KEY), compared in constant time (403 "invalid or missing key
 * parameter"). Then the root must be an object (400) with nationcode (1 to 4 ASCII
 * digits), mobile (1 to JF_TENCENT_MOBILE_MAX ASCII digits), text (a string of at most
 * JF_JSONBODY_MAX_TEXT bytes, may be empty) and time (a non-negative integer, Unix
 * seconds); sign and extend are optional strings (or null). Anything else is a 400.
 * jf_inbound: sender = "+" nationcode mobile (E.164), recipient = NULL, text = text, and
 * msg_id = jf_webhook_tencent_msg_id of the callback: a retried identical callback gets
 * the same id and is stored once; two different callbacks (another number, second or
 * text) get different ones.
 *
 * render_ack answers 200 application/json {"result":0,"errmsg":"OK"}. Tencent's callback
 * answer cannot carry an SMS (inline_ack is false) and this adapter has no sender: the
 * acknowledgement queued in the outbox waits for a Tencent SendSms sender. All functions
 * are thread-safe.
 */
#ifndef JF_WEBHOOK_TENCENT_H
#define JF_WEBHOOK_TENCENT_H

#include "core/crypto.h"
#include "core/err.h"
#include "webhook/adapter.h"

#define JF_TENCENT_REPLY "{\"result\":0,\"errmsg\":\"OK\"}"
#define JF_TENCENT_MOBILE_MAX 20
#define JF_TENCENT_MSGID_LABEL "jianfu:tencent:msgid"
#define JF_TENCENT_MSGID_LEN (2 * JF_SHA256_LEN)

/* jf_webhook_tencent_msg_id - out receives the message id of a reply callback: the
 * lowercase hex of HMAC-SHA256(key, "jianfu:tencent:msgid" "\n" nationcode "\n" mobile
 * "\n" time "\n" text), time in decimal. It is keyed with the channel's URL secret rather
 * than a plain hash because message ids are stored in clear and a plain hash of a phone
 * number, a time and a short text can be reversed by enumerating numbers. JF_ERR_INVAL
 * for NULL arguments or an empty key; JF_ERR_TOOBIG, JF_ERR_NOMEM, JF_ERR_CRYPTO. */
jf_err jf_webhook_tencent_msg_id(const char *key, const char *nationcode, const char *mobile,
                                 long long time, const char *text,
                                 char out[JF_TENCENT_MSGID_LEN + 1]) JF_WUR;

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_tencent_adapter;

#endif
