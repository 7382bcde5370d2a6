/* telegram.h - Telegram Bot API webhooks: secret-token check, Update parsing, replies made
 * inline as a sendMessage method call, and the sendMessage request of the outbox.
 *
 * Telegram POSTs one JSON-serialized Update per request (Bot API, "setWebhook") and, when
 * the webhook was set with secret_token, sends that token in the header
 * X-Telegram-Bot-Api-Secret-Token; it signs nothing else. Telegram retries a request that
 * was not answered with 2xx. The answer may carry one Bot API method call ("Making
 * requests when getting updates"), which is how the acknowledgement reaches the chat
 * without a second request.
 *
 * The adapter row (kind "telegram") checks a request in the order of jsonbody.h, the
 * authentication being the header equal to setting secret (JIANFU_TELEGRAM_SECRET),
 * compared in constant time (403 "invalid or missing X-Telegram-Bot-Api-Secret-Token").
 * Then:
 *   - update_id (a non-negative integer) is required (400);
 *   - an Update without "message" (edited_message, channel_post, callback_query,
 *     my_chat_member, ...) stores nothing: *n = 0, 200 with an empty body. An edit is not
 *     a new complaint, and jianfu has nothing to do with the others;
 *   - a message not from a private chat stores nothing either (*n = 0, 200): a reply into
 *     a group would show the complaint and its ticket to every member. The chat is private
 *     when chat.type is "private" or, with no chat.type (as in Telegram's own test
 *     updates), when chat.id equals from.id;
 *   - message.chat.id (an integer) is required (400);
 *   - the text is message.text, or else message.caption (media sent with a caption), or
 *     else "" for media without one (photo, voice, sticker, ...: the gateway then asks
 *     the reporter to write the problem down); a message with none of these (a service
 *     message) stores nothing (*n = 0, 200). Text is at most JF_JSONBODY_MAX_TEXT bytes.
 * jf_inbound: msg_id = update_id in decimal (Telegram's own dedupe key: a retried update
 * keeps its id), sender = chat.id in decimal (the address replies go to), recipient =
 * NULL, text as above.
 *
 * render_ack answers 200 with {"method":"sendMessage","chat_id":<id>,"text":...} as
 * application/json, or an empty 200 when there is no text. send_request builds
 * POST {api_base}/bot{bot_token}/sendMessage with JSON {"chat_id":<id>,"text":...};
 * api_base defaults to https://api.telegram.org. send_result: 2xx with "ok":true is
 * delivered; 429 (or error_code 429) is a retry after parameters.retry_after (else the
 * Retry-After header); 5xx, 408 and no status are retried; any other answer, such as 400
 * "chat not found", 401 (a wrong token) or 403 "bot was blocked by the user", is
 * permanent and carries Telegram's description. All functions are thread-safe.
 */
#ifndef JF_WEBHOOK_TELEGRAM_H
#define JF_WEBHOOK_TELEGRAM_H

#include "webhook/adapter.h"

#define JF_TELEGRAM_SECRET_HEADER "X-Telegram-Bot-Api-Secret-Token"
#define JF_TELEGRAM_API_BASE "https://api.telegram.org"

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_telegram_adapter;

#endif
