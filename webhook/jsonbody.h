/* jsonbody.h - what the JSON webhook adapters share: request checks, bounded JSON field
 * access, secret comparison, JSON writing and the parse state their messages borrow from.
 *
 * The adapters of kinds telegram, whatsapp, aliyun, tencent and generic all receive a JSON
 * body and check a request in the same order, so that every kind answers a given mistake
 * the same way and only an authenticated request learns which fields are required:
 *     POST (else 405) -> Content-Type application/json, parameters allowed, charset UTF-8
 *     if given (else 415) -> body within JF_WEBHOOK_MAX_BODY (else 413) -> the kind's
 *     authentication (403) -> well-formed JSON, strict UTF-8, no duplicate keys (400) ->
 *     the kind's fields (400; more than JF_WEBHOOK_MAX_BATCH messages 413).
 * Every reject message is static text naming what is wrong (a field path, a header name)
 * and never a request value. Nothing here performs I/O; all functions are thread-safe.
 */
#ifndef JF_WEBHOOK_JSONBODY_H
#define JF_WEBHOOK_JSONBODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/err.h"
#include "webhook/adapter.h"
#include "webhook/inbound.h"

/* Longest message text taken from a JSON webhook, in bytes of UTF-8. Telegram and WhatsApp
 * allow 4096 characters (UTF-16 code units), which is at most 12 KiB of UTF-8; SMS
 * upstream pushes are far shorter. A longer text is a malformed request (400). */
#define JF_JSONBODY_MAX_TEXT (16 * 1024)
/* Longest sender address (the privacy module's JF_ADDRESS_MAX). */
#define JF_JSONBODY_MAX_SENDER 256
/* Longest recipient (short code, business number) kept; longer ones are dropped. */
#define JF_JSONBODY_MAX_RECIPIENT 64
/* Longest provider id taken in before it is hashed into a message id (WhatsApp wamid). */
#define JF_JSONBODY_MAX_RAW_ID 256
/* Longest provider answer to a send that send_result parses; past it, only the status. */
#define JF_JSONBODY_MAX_RESULT JF_WEBHOOK_MAX_BODY
/* Longest Retry-After honoured, in seconds: a provider asking for more is capped. */
#define JF_JSONBODY_MAX_RETRY_AFTER 86400
/* "sha256=" followed by the 64 hex digits of an HMAC-SHA256. */
#define JF_JSONBODY_SIG_PREFIX "sha256="
#define JF_JSONBODY_SIG_LEN (7 + 2 * JF_SHA256_LEN)
/* The JSON content type of replies and outbound requests. */
#define JF_JSONBODY_CONTENT_TYPE "application/json; charset=utf-8"

/* The parse state of one JSON webhook request: the parsed document, whose strings the
 * jf_inbound fields borrow, and room for the strings an adapter formats itself (numbers
 * written as decimal, derived message ids). Message i uses ids[i] and senders[i]. */
typedef struct {
    json_t *root;
    char ids[JF_WEBHOOK_MAX_BATCH][JF_WEBHOOK_MAX_MSG_ID + 1];
    char senders[JF_WEBHOOK_MAX_BATCH][JF_JSONBODY_MAX_SENDER + 1];
} jf_jsonbody_state;

/* jf_jsonbody_state_new - a zeroed state, or NULL when out of memory. */
jf_jsonbody_state *jf_jsonbody_state_new(void);

/* jf_jsonbody_state_free - wipe the strings of the document and of the state (they hold
 * sender addresses and message text), release the document and free the state. Usable
 * as an adapter's release. NULL allowed. */
void jf_jsonbody_state_free(void *state);

/* jf_jsonbody_wipe_free - overwrite every string value of the document with zeros, then
 * json_decref it. jansson frees without wiping, so every document that held request data
 * goes through here. NULL allowed. */
void jf_jsonbody_wipe_free(json_t *root);

/* jf_jsonbody_reject - replace r with a text/plain response of this status whose body is
 * prefix followed by detail (may be NULL). Neither may carry request data. If even that
 * cannot be rendered the reply is a bare 500. */
void jf_jsonbody_reject(jf_webhook_reply *r, unsigned status, const char *prefix,
                        const char *detail);

/* jf_jsonbody_reply_json - replace r with a 200 JSON response whose body is json (a
 * static, complete document such as Aliyun's {"code":0,...}). JF_ERR_INVAL for NULL
 * arguments, JF_ERR_TOOBIG, JF_ERR_NOMEM; on failure the body is empty. */
jf_err jf_jsonbody_reply_json(jf_webhook_reply *r, const char *json) JF_WUR;

/* jf_jsonbody_reply_empty - replace r with a 200 response with an empty body. */
void jf_jsonbody_reply_empty(jf_webhook_reply *r);

/* jf_jsonbody_content_type_ok - true for "application/json" in any case, with optional
 * white space and parameters, provided a charset parameter, if any, names UTF-8 ("utf-8"
 * or "utf8", any case, optionally quoted). JSON is UTF-8 (RFC 8259 section 8.1); a body
 * declared in another charset is refused rather than misread. NULL is false. */
bool jf_jsonbody_content_type_ok(const char *ct);

/* jf_jsonbody_precheck_or_reject - the checks before authentication: method POST (405,
 * "method not allowed: <provider> webhooks are POST"), content type (415), body size
 * (413), and a body pointer for a non-empty body (500). JF_ERR_OK when all pass;
 * otherwise *rej holds the answer and the result is JF_ERR_INVAL, or JF_ERR_TOOBIG for
 * 413. */
jf_err jf_jsonbody_precheck_or_reject(const jf_webhook_request *req, const char *provider,
                                      jf_webhook_reply *rej) JF_WUR;

/* jf_jsonbody_parse_or_reject - parse the body with jansson: strict UTF-8, no NUL, no
 * duplicate object keys, arrays and objects only at the top. On failure *out is NULL,
 * *rej is a 400 "malformed JSON body: <reason> (line L, column C)" whose reason is a
 * static description of jansson's error code (jansson's own text can quote the input),
 * and the result is JF_ERR_PARSE (JF_ERR_NOMEM as a 500). The caller releases *out with
 * jf_jsonbody_wipe_free or by putting it in a state. */
jf_err jf_jsonbody_parse_or_reject(const jf_webhook_request *req, json_t **out,
                                   jf_webhook_reply *rej) JF_WUR;

/* How a JSON field is wanted by jf_jsonbody_string_or_reject. */
typedef enum {
    JF_JSONBODY_REQUIRED, /* absent or null is a 400 */
    JF_JSONBODY_OPTIONAL  /* absent or null gives *out = NULL */
} jf_jsonbody_presence;

/* jf_jsonbody_string_or_reject - *out receives the string value of key in obj (borrowed
 * from obj) when it is a string of minlen to maxlen bytes, valid UTF-8, and, when
 * no_controls is set, without control characters (U+0000 to U+001F, U+007F): addresses
 * and ids never hold any. path names the field
 * in messages ("message.chat.id"). A field of another type, length or content is a 400
 * "invalid field <path>: expected a string of <minlen> to <maxlen> bytes"; a missing
 * required one "missing required field <path>". Returns JF_ERR_OK or JF_ERR_PARSE. */
jf_err jf_jsonbody_string_or_reject(json_t *obj, const char *key, const char *path,
                                    jf_jsonbody_presence presence, size_t minlen, size_t maxlen,
                                    bool no_controls, const char **out,
                                    jf_webhook_reply *rej) JF_WUR;

/* jf_jsonbody_integer_or_reject - *out receives the integer value of key in obj when it is
 * a JSON integer from min to max; otherwise a 400 like jf_jsonbody_string_or_reject's,
 * "expected an integer". Returns JF_ERR_OK or JF_ERR_PARSE. */
jf_err jf_jsonbody_integer_or_reject(json_t *obj, const char *key, const char *path,
                                     json_int_t min, json_int_t max, json_int_t *out,
                                     jf_webhook_reply *rej) JF_WUR;

/* jf_jsonbody_id_ok - true when s is 1 to JF_WEBHOOK_MAX_MSG_ID characters of
 * [A-Za-z0-9._:-]: the characters a message id (an idempotency key) may hold. */
bool jf_jsonbody_id_ok(const char *s);

/* jf_jsonbody_digits_ok - true when s is minlen to maxlen ASCII digits. */
bool jf_jsonbody_digits_ok(const char *s, size_t minlen, size_t maxlen);

/* jf_jsonbody_secret_equal - whether got equals want, in time independent of both their
 * contents and their lengths (both are hashed with SHA-256 and the digests compared with
 * jf_crypto_equal). False when either is NULL or want is empty: an unset secret never
 * matches. */
bool jf_jsonbody_secret_equal(const char *want, const char *got);

/* jf_jsonbody_query_secret_ok - whether the raw query string (still %-encoded) carries
 * parameter name, decoded, equal to want (jf_jsonbody_secret_equal). A query that is not
 * a well-formed form, or that carries name more than once, does not match. */
bool jf_jsonbody_query_secret_ok(const char *query, const char *name, const char *want);

/* jf_jsonbody_signature - out receives "sha256=" + the lowercase hex HMAC-SHA256 under key
 * of the concatenation of the n parts (parts[i] of lens[i] bytes), NUL-terminated.
 * JF_ERR_INVAL for a NULL or empty key or NULL parts; JF_ERR_TOOBIG past
 * JF_WEBHOOK_MAX_BODY + 64 bytes in all; JF_ERR_NOMEM, JF_ERR_CRYPTO. The MAC is wiped. */
jf_err jf_jsonbody_signature(const char *key, const void *const *parts, const size_t *lens,
                             size_t n, char out[JF_JSONBODY_SIG_LEN + 1]) JF_WUR;

/* jf_jsonbody_signature_equal - whether header (may be NULL) is exactly the expected
 * "sha256=<hex>" signature; the prefix must be lowercase, the hex digits may be either
 * case. The 64 digits are compared in constant time. */
bool jf_jsonbody_signature_equal(const char expected[JF_JSONBODY_SIG_LEN + 1],
                                 const char *header);

/* jf_jsonbody_keyed_id - out receives the lowercase hex HMAC-SHA256 under key of
 * label + "\n" joined parts ("label\npart0\npart1..."): a message id derived from data
 * that must not be stored in clear (a WhatsApp wamid embeds the sender's number; a
 * Tencent callback has no id at all). 64 characters + NUL. Fails like
 * jf_jsonbody_signature. */
jf_err jf_jsonbody_keyed_id(const char *key, const char *label, const char *const *parts,
                            size_t n, char out[2 * JF_SHA256_LEN + 1]) JF_WUR;

/* jf_jsonbody_append_string - append s to out as a JSON string: quoted, with '"', '\\'
 * and control characters escaped, everything else (UTF-8) as is. JF_ERR_INVAL when s is
 * NULL or not valid UTF-8; fails like jf_buf_append past out's maximum. */
jf_err jf_jsonbody_append_string(jf_buf *out, const char *s) JF_WUR;

/* jf_jsonbody_api_base - the setting api_base of ch without trailing '/', or dflt when it
 * is unset. *len gets the length to use. NULL when the value does not start with
 * "https://" or "http://". */
const char *jf_jsonbody_api_base(const jf_webhook_channel *ch, const char *dflt, size_t *len);

/* jf_jsonbody_retry_after - the seconds of a Retry-After header of delta-seconds form
 * (1 to 10 digits), capped at JF_JSONBODY_MAX_RETRY_AFTER; 0 for NULL or anything else
 * (an HTTP date is not worth trusting over our own backoff). */
int jf_jsonbody_retry_after(const char *header);

/* jf_jsonbody_status_verdict - what an HTTP status alone says about a send: 2xx
 * delivered; 408, 429, 5xx and 0 (no answer) worth retrying; other 4xx permanent; anything
 * else (1xx, 3xx: not what an API answers) retried, so that the outbox's attempt limit
 * decides. Adapters refine it with the body. */
jf_send_verdict jf_jsonbody_status_verdict(long status);

/* jf_jsonbody_parse_result - the JSON object a provider answered a send with, or NULL when
 * body is NULL, longer than JF_JSONBODY_MAX_RESULT, malformed or not an object. Release
 * with jf_jsonbody_wipe_free. */
json_t *jf_jsonbody_parse_result(const char *body, size_t len);

/* jf_jsonbody_send_error - res->error receives "<provider> HTTP <status>[ code <code>]:
 * <message>" (code omitted when NULL, message when NULL), truncated to fit, control
 * characters replaced by spaces and every run of seven or more digits masked with '#', so
 * that an address a provider quotes back never reaches the outbox's visible error. */
void jf_jsonbody_send_error(jf_send_result *res, const char *provider, long status,
                            const char *code, const char *message);

#endif
