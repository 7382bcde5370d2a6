/* whatsapp.h - WhatsApp Cloud API (Meta) webhooks: the hub.challenge handshake, the
 * X-Hub-Signature-256 check, notification parsing, and the messages request of the outbox.
 *
 * Meta verifies a callback URL with GET ?hub.mode=subscribe&hub.verify_token=...
 * &hub.challenge=..., expecting the challenge back, then POSTs JSON notifications signed
 * X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256(app secret, raw body). One
 * notification may carry several messages (entry[].changes[].value.messages[]) and
 * status updates of messages sent (value.statuses[]). Meta retries what is not answered
 * with 200. Replies cannot ride on the answer: they go through the outbox.
 *
 * The adapter row (kind "whatsapp") answers:
 *   - GET: hub.mode "subscribe" and hub.verify_token equal to setting verify_token
 *     (constant time) -> 200 text/plain with hub.challenge (1 to 128 ASCII letters,
 *     digits, '-' or '_', else 400); anything else 403 "verification failed". A query that
 *     is not a well-formed form is a 400.
 *   - POST, in the order of jsonbody.h, authenticated by X-Hub-Signature-256 over the raw
 *     body with setting app_secret (403 "invalid or missing X-Hub-Signature-256"). Then
 *     the root must be an object with an array "entry" (400). A notification whose
 *     "object" is not "whatsapp_business_account", changes whose "field" is not
 *     "messages", statuses, errors and messages of other types are skipped; if nothing is
 *     left, *n = 0 and the answer is an empty 200. Taken are messages of type "text"
 *     (text.body), and "image", "video" and "document" that carry a caption (the caption),
 *     each with id (1 to JF_JSONBODY_MAX_RAW_ID bytes) and a sender: "from" (the phone
 *     number) or, for users whose number Meta withholds since business-scoped user ids
 *     (2026), "from_user_id" (a BSUID such as "US.13491208655302741918"); missing or
 *     malformed fields of a taken message are a 400 for the whole notification, more than
 *     JF_WEBHOOK_MAX_BATCH taken messages a 413.
 * jf_inbound: msg_id = hex HMAC-SHA256(app secret, "jianfu:whatsapp:msgid\n" + id), not
 * the id itself, because a wamid is base64 of a structure that embeds the sender's phone
 * number, and message ids are stored in clear; sender = from, else from_user_id;
 * recipient = value.metadata.display_phone_number (NULL when absent); text as above.
 *
 * render_ack: an empty 200 (inline_ack is false). send_request builds
 * POST {api_base}/{api_version}/{phone_number_id}/messages, "Authorization: Bearer
 * {access_token}", JSON {"messaging_product":"whatsapp","to":<phone>,"type":"text",
 * "text":{"body":...}}, with "recipient" in place of "to" when the address is a BSUID.
 * api_base defaults to https://graph.facebook.com, api_version to v19.0 (Meta serves an
 * expired version as its oldest live one). send_result: 2xx delivered; 429, 5xx and the
 * Graph error codes of rate limits and transient failures are retried; other answers,
 * such as 131047 (more than 24 hours since the user last wrote: only a template may be
 * sent) or 190 (an invalid access token), are permanent and carry Meta's code and
 * message. All functions are thread-safe.
 */
#ifndef JF_WEBHOOK_WHATSAPP_H
#define JF_WEBHOOK_WHATSAPP_H

#include "webhook/adapter.h"

#define JF_WHATSAPP_SIGNATURE_HEADER "X-Hub-Signature-256"
#define JF_WHATSAPP_API_BASE "https://graph.facebook.com"
#define JF_WHATSAPP_API_VERSION "v19.0"
/* The label of the keyed message id: HMAC(app secret, label "\n" wamid). */
#define JF_WHATSAPP_MSGID_LABEL "jianfu:whatsapp:msgid"

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_whatsapp_adapter;

#endif
