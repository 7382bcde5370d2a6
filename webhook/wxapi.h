/* wxapi.h - building calls to the WeCom, WeChat and DingTalk server APIs and reading their
 * answers.
 *
 * The three providers answer every API call alike: JSON with an integer errcode (0 or
 * absent for success) and a human-readable errmsg, and hand out access tokens as
 * {"access_token": "...", "expires_in": 7200}. What a non-zero errcode means for an outbox
 * row (try again later, fetch a new token first, or give up) is provider data, given by
 * each sender as a table of jf_wxapi_code. Nothing here performs I/O; all functions are
 * thread-safe.
 */
#ifndef JF_WEBHOOK_WXAPI_H
#define JF_WEBHOOK_WXAPI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "webhook/adapter.h"

/* What one errcode means. Codes absent from a table are permanent failures. */
typedef struct {
    long errcode;
    jf_send_verdict verdict;
    int token_stale; /* the access token was refused: fetch a new one first */
} jf_wxapi_code;

/* jf_webhook_wxapi_url - replace the contents of url with base + path, where base must
 * start with "https://" or "http://" (a local fake provider in tests) and loses any
 * trailing '/', and path starts with '/'. JF_ERR_INVAL otherwise; JF_ERR_TOOBIG past
 * url's maximum; JF_ERR_NOMEM. */
jf_err jf_webhook_wxapi_url(jf_buf *url, const char *base, const char *path) JF_WUR;

/* jf_webhook_wxapi_param - append name=value to url, preceded by '?' when url has no query
 * yet and '&' otherwise. value is percent-encoded (everything but the RFC 3986 unreserved
 * characters A-Z a-z 0-9 - . _ ~); name is trusted and copied as is. Fails like
 * jf_webhook_wxapi_url. */
jf_err jf_webhook_wxapi_param(jf_buf *url, const char *name, const char *value) JF_WUR;

/* jf_webhook_wxapi_json_body - make h a POST of the compact JSON of doc (borrowed) as
 * "application/json; charset=utf-8". JF_ERR_INVAL when doc cannot be serialised (jansson
 * refuses invalid UTF-8 when the document is built, so callers check json_pack's result);
 * JF_ERR_TOOBIG past JF_WEBHOOK_HTTP_MAX_BODY; JF_ERR_NOMEM. */
jf_err jf_webhook_wxapi_json_body(jf_webhook_http *h, const json_t *doc) JF_WUR;

/* jf_webhook_wxapi_classify - fill *res from an API answer: HTTP 429 and 5xx are
 * transient; other non-2xx statuses permanent; a 2xx whose body is not a JSON object is
 * treated as transient (the provider or a proxy in between is misbehaving); errcode 0 or
 * absent is success; any other errcode is looked up in codes[0..ncodes) and is permanent
 * when absent. res->error holds "HTTP <status>" or "errcode <n>: <errmsg>" (control
 * characters removed, cut to fit on a UTF-8 boundary); never a request value. */
void jf_webhook_wxapi_classify(const jf_wxapi_code *codes, size_t ncodes, long status,
                               const char *body, size_t len, jf_send_result *res);

/* jf_webhook_wxapi_token_parse - classify a token answer like jf_webhook_wxapi_classify,
 * and on success copy access_token (non-empty printable ASCII shorter than tokensz) into
 * token and expires_in (seconds; 7200 when absent or not positive) into *expires_in.
 * JF_ERR_OK with res->verdict JF_SEND_OK on success; otherwise JF_ERR_AUTH (the provider
 * refused) or JF_ERR_PARSE (no usable token in a success answer) with res saying why. */
jf_err jf_webhook_wxapi_token_parse(const jf_wxapi_code *codes, size_t ncodes, long status,
                                    const char *body, size_t len, char *token, size_t tokensz,
                                    int64_t *expires_in, jf_send_result *res) JF_WUR;

/* jf_webhook_wxapi_uint - parse a decimal setting (agent ids): 1 to 18 digits. *v receives
 * the value. JF_ERR_INVAL for NULL or anything else. */
jf_err jf_webhook_wxapi_uint(const char *s, long long *v) JF_WUR;

#endif
