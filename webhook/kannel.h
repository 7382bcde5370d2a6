/* kannel.h - Kannel (the open-source SMS gateway in front of a carrier's SMSC) smsbox
 * sms-service webhooks, their inline reply SMS, and the smsbox sendsms interface.
 *
 * A carrier short code (106...) reaches jianfu through Kannel: the SMSC delivers MO
 * messages over SMPP/CMPP to bearerbox, smsbox matches an sms-service group and calls
 * jianfu, and sends jianfu's HTTP answer back to the phone as the reply SMS. Both ways
 * smsbox can call are accepted (Kannel 1.4.5 user guide, "SMS-Service configurations",
 * tables "Parameters (Escape Codes)" and "X-Kannel Post Headers"):
 *
 *   get-url  GET /webhooks/kannel?key=SECRET&id=%I&from=%p&to=%P&text=%b&coding=%c
 *                 &charset=%C&ts=%t
 *            %I is smsbox's message id (a UUID, the same on every retry of one MO message),
 *            %p the sender, %P the receiver (the short code), %b the message bytes
 *            URL-encoded exactly as received (%a would squeeze white space), %c the coding
 *            (0 7-bit, 1 8-bit, 2 UCS-2), %C the charset, %t the time (unused: jianfu's
 *            own clock decides deadlines). coding and charset are optional.
 *   post-url POST /webhooks/kannel?key=SECRET&id=%I with the message as the body,
 *            Content-Type "text/plain; charset=..." (smsbox names UTF-16BE for UCS-2),
 *            X-Kannel-From (sent only with send-sender = true), X-Kannel-To,
 *            X-Kannel-Coding, X-Kannel-Time. from/to/coding/charset query parameters are
 *            accepted as fallbacks for the headers.
 *
 * Message text arrives as UTF-8 when smsbox has mo-recode = true (it recodes UCS-2 MO
 * messages to UTF-8 and says charset=UTF-8), and otherwise as UTF-16BE for UCS-2
 * messages: both become UTF-8 here, as do ISO-8859-1, WINDOWS-1252, GB2312, GBK and
 * GB18030 (a CMPP link's msg_fmt 15). The charset, when given, decides; without one,
 * coding 2 means UTF-16BE and anything else UTF-8. 8-bit binary messages are refused.
 *
 * Order of checks: method GET or POST (405) -> body within JF_WEBHOOK_MAX_BODY (413) ->
 * a POST's Content-Type text/plain (415) -> well-formed query (400; too many parameters
 * 413) -> key, compared in constant time (403) -> id (1..JF_WEBHOOK_MAX_MSG_ID of
 * [A-Za-z0-9._:-]), from (1..JF_KANNEL_MAX_ADDR printable ASCII, no space), text present
 * (may be empty), to (optional, like from) (400) -> coding (400 unknown, 415 8-bit) and
 * charset (415 unknown) -> text decodable and free of NUL (400), within
 * JF_WEBHOOK_MAX_BODY bytes of UTF-8 (413). A parameter given twice is malformed (400).
 * Rejects name what is wrong, never a value.
 *
 * The reply (render_ack) is Kannel's XML reply format, Content-Type text/xml:
 *     <message><submit><ud>%XX...</ud><dcs><coding>2</coding></dcs></submit></message>
 * with every byte of the UTF-8 text %-encoded, which smsbox URL-decodes, recodes from the
 * document's encoding="UTF-8" to UTF-16BE and sends as UCS-2, so that Chinese reaches
 * the phone intact. smsbox applies the coding only when the sms-service has
 * accept-x-kannel-headers = true (the same switch as for an X-Kannel-Coding header on a
 * text/plain reply, which jianfu's reply type cannot carry); without it the phone gets
 * question marks. No text renders an empty text/plain 200, which smsbox drops when the
 * service has omit-empty = true.
 *
 * Sending (the outbox dispatcher): GET <sendsms_url>&to=<address>&text=<text>
 * &charset=UTF-8&coding=2, URL-encoded. 2xx is sent, 429 and 5xx are retried, other
 * statuses are permanent. All functions are thread-safe.
 */
#ifndef JF_WEBHOOK_KANNEL_H
#define JF_WEBHOOK_KANNEL_H

#include "core/buf.h"
#include "core/err.h"
#include "webhook/adapter.h"

/* Longest sender or receiver address accepted (SMPP addresses are at most 20). */
#define JF_KANNEL_MAX_ADDR 64
/* Most query parameters one request may carry. */
#define JF_KANNEL_MAX_PARAMS 32
/* Longest charset name understood. */
#define JF_KANNEL_MAX_CHARSET 32

/* Kannel's data codings (the %c escape, X-Kannel-Coding). */
#define JF_KANNEL_CODING_7BIT 0
#define JF_KANNEL_CODING_8BIT 1
#define JF_KANNEL_CODING_UCS2 2

/* jf_webhook_kannel_decode_text - append to out the UTF-8 form of the n bytes at in
 * (which may hold NUL bytes, as UTF-16 does), given Kannel's coding (-1 when unknown)
 * and charset (NULL or "" when unknown; case-insensitive, surrounding quotes allowed).
 * JF_ERR_NOTFOUND for an unsupported charset or an 8-bit coding, JF_ERR_PARSE for bytes
 * that are not valid in the charset or that decode to U+0000, JF_ERR_TOOBIG past out's
 * maximum, JF_ERR_INVAL for a NULL out or a NULL in with n > 0, JF_ERR_NOMEM. On failure
 * out holds what it held before. */
jf_err jf_webhook_kannel_decode_text(int coding, const char *charset, const char *in, size_t n,
                                     jf_buf *out) JF_WUR;

/* jf_webhook_kannel_render_reply - replace the contents of out with Kannel's XML reply
 * carrying text (UTF-8) as a UCS-2 SMS. JF_ERR_INVAL for a NULL argument or text that is
 * not valid UTF-8, JF_ERR_TOOBIG past out's maximum, JF_ERR_NOMEM; out is empty on
 * failure. */
jf_err jf_webhook_kannel_render_reply(const char *text, jf_buf *out) JF_WUR;

/* The adapter table row: kind "kannel", GET and POST, settings key (JIANFU_KANNEL_KEY,
 * required, secret), sendsms_url (JIANFU_KANNEL_SENDSMS_URL, secret: it holds the
 * sendsms password) and api_base (JIANFU_KANNEL_API_BASE: replaces the scheme, host and
 * port of sendsms_url). */
extern const jf_webhook_adapter jf_webhook_kannel_adapter;

#endif
