/* twilio.h - Twilio Programmable Messaging inbound webhooks.
 *
 * Twilio POSTs application/x-www-form-urlencoded parameters (From, To, Body, MessageSid,
 * ...) and signs each request: X-Twilio-Signature = base64(HMAC-SHA1(auth token,
 * URL + for each POST parameter sorted by name: name + value)), where URL is the full URL
 * Twilio requested, query string included, and names and values are the decoded UTF-8
 * bytes with no delimiters. The reply is TwiML:
 *     <Response><Message>text</Message></Response>
 *
 * The adapter row (kind "twilio", secret in JIANFU_TWILIO_AUTH_TOKEN) checks a request in
 * this order, so that only a correctly signed request learns which parameters are
 * required:
 *     POST (else 405) -> Content-Type application/x-www-form-urlencoded, parameters
 *     allowed (else 415) -> body within JF_WEBHOOK_MAX_BODY (else 413) -> well-formed form
 *     (400; too many fields 413) -> X-Twilio-Signature (403) -> From (non-empty), Body
 *     (may be empty: a picture-only MMS) and MessageSid (1..JF_WEBHOOK_MAX_MSG_ID ASCII
 *     letters and digits) present (400).
 * jf_inbound: msg_id = MessageSid, sender = From, recipient = To (NULL when absent),
 * text = Body. All functions are thread-safe.
 */
#ifndef JF_WEBHOOK_TWILIO_H
#define JF_WEBHOOK_TWILIO_H

#include "core/err.h"
#include "webhook/adapter.h"
#include "webhook/form.h"

#define JF_TWILIO_SIG_LEN 28 /* base64 of 20 bytes */
#define JF_TWILIO_SIGNATURE_HEADER "X-Twilio-Signature"
/* Longest URL a signature is computed over (public base + path + query). */
#define JF_TWILIO_MAX_URL 8192
/* Longest string that is signed: the URL plus every decoded name and value. Decoding
 * never lengthens a form, and '=' and '&' are not signed, so any form that
 * jf_webhook_form_parse accepted fits. */
#define JF_TWILIO_MAX_SIGNED (JF_TWILIO_MAX_URL + JF_FORM_MAX_LEN)

/* jf_webhook_twilio_signature - out receives the expected signature (NUL-terminated) of
 * a request to url with POST parameters params, under auth_token. Parameters are sorted
 * by name (byte order) and, for equal names, by value; duplicates are all signed, as
 * Twilio's SDKs do. url is used exactly as given. JF_ERR_INVAL for NULL arguments or an
 * empty auth_token (an empty key would let anyone sign); JF_ERR_TOOBIG for a url longer
 * than JF_TWILIO_MAX_URL, more than JF_FORM_MAX_FIELDS parameters or a signed string
 * longer than JF_TWILIO_MAX_SIGNED; JF_ERR_NOMEM, JF_ERR_CRYPTO. Everything secret or
 * personal that it copies is wiped before it returns. */
jf_err jf_webhook_twilio_signature(const char *auth_token, const char *url,
                                   const jf_form *params,
                                   char out[JF_TWILIO_SIG_LEN + 1]) JF_WUR;

/* jf_webhook_twilio_verify - JF_ERR_OK when header_sig (may be NULL) is the right
 * signature, compared in constant time; JF_ERR_AUTH when it is missing or wrong.
 * Like Twilio's own SDKs (twilio-python RequestValidator.validate: "sig generation on
 * back end is inconsistent"), the signature is accepted for url as given and for url with
 * its port toggled: an explicit port removed, or the scheme's default port (443 for
 * https, 80 for http) added when there is none. Fails like jf_webhook_twilio_signature
 * (INVAL, TOOBIG, NOMEM, CRYPTO) when the expected signature cannot be computed. */
jf_err jf_webhook_twilio_verify(const char *auth_token, const char *url, const jf_form *params,
                                const char *header_sig) JF_WUR;

/* jf_webhook_twilio_render_twiml - replace the contents of out with the TwiML message
 * response, text XML-escaped (& < > " '); NULL text renders an empty <Response/> so that
 * Twilio sends no reply. JF_ERR_INVAL when text is not valid UTF-8 or holds a character
 * XML 1.0 cannot carry (control characters other than tab, LF and CR; U+FFFE, U+FFFF);
 * JF_ERR_TOOBIG past out's maximum; JF_ERR_NOMEM. On failure out is empty. */
jf_err jf_webhook_twilio_render_twiml(const char *text, jf_buf *out) JF_WUR;

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_twilio_adapter;

#endif
