/* wxapi.c - WeCom/WeChat/DingTalk API requests: URLs, JSON bodies, errcode answers. */
#include "webhook/wxapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"

#define DEFAULT_EXPIRES_IN 7200

static bool is_unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* The schemes an API base may have. */
static const char *const schemes[] = {"https://", "http://"};

jf_err jf_webhook_wxapi_url(jf_buf *url, const char *base, const char *path)
{
    jf_err err = JF_ERR_INVAL;
    size_t n;
    bool scheme_ok = false;

    if (!url || !base || !path || path[0] != '/')
        goto out;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t sl = strlen(schemes[i]);
        if (strncmp(base, schemes[i], sl) == 0 && base[sl] && base[sl] != '/')
            scheme_ok = true;
    }
    if (!scheme_ok || strchr(base, '?') || strchr(base, '#'))
        goto out;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    jf_buf_reset(url);
    err = jf_buf_append(url, base, n);
    if (!err)
        err = jf_buf_appends(url, path);
out:
    return err;
}

jf_err jf_webhook_wxapi_param(jf_buf *url, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    jf_err err = JF_ERR_INVAL;

    if (!url || !name || !value)
        goto out;
    err = jf_buf_appends(url, url->data && strchr(url->data, '?') ? "&" : "?");
    if (!err)
        err = jf_buf_appends(url, name);
    if (!err)
        err = jf_buf_appends(url, "=");
    for (const char *p = value; !err && *p; p++) {
        if (is_unreserved(*p)) {
            err = jf_buf_append(url, p, 1);
        } else {
            unsigned char c = (unsigned char)*p;
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            err = jf_buf_append(url, esc, sizeof esc);
        }
    }
out:
    return err;
}

jf_err jf_webhook_wxapi_json_body(jf_webhook_http *h, const json_t *doc)
{
    jf_err err = JF_ERR_INVAL;
    char *s = NULL;

    if (!h || !doc)
        goto out;
    s = json_dumps(doc, JSON_COMPACT);
    if (!s) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    jf_buf_reset(&h->body);
    err = jf_buf_appends(&h->body, s);
    if (err)
        goto out;
    h->method = "POST";
    h->content_type = "application/json; charset=utf-8";
out:
    if (s) {
        /* The body carries the message text and, for sends, the reply address. */
        jf_crypto_zeroize(s, strlen(s));
        free(s);
    }
    return err;
}

/* set_error - printf into res->error. */
static void set_error(jf_send_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(jf_send_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
}

/* clean_text - replace control characters of s by spaces and cut a UTF-8 sequence that
 * truncation left incomplete at its end. */
static void clean_text(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            s[i] = ' ';
    }
    /* Walk back over continuation bytes to the last lead byte and drop it if its sequence
     * is shorter than it announces. */
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i > 0 && (unsigned char)s[i - 1] >= 0xC0) {
        unsigned char lead = (unsigned char)s[i - 1];
        size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (n - (i - 1) < want)
            s[i - 1] = '\0';
    }
}

void jf_webhook_wxapi_classify(const jf_wxapi_code *codes, size_t ncodes, long status,
                               const char *body, size_t len, jf_send_result *res)
{
    json_t *doc = NULL;
    json_error_t jerr;

    if (!res)
        return;
    memset(res, 0, sizeof *res);
    if (status == 429 || status >= 500) {
        res->verdict = JF_SEND_RETRY;
        set_error(res, "HTTP %ld", status);
        goto out;
    }
    if (status < 200 || status >= 300) {
        res->verdict = JF_SEND_FAIL;
        set_error(res, "HTTP %ld", status);
        goto out;
    }
    doc = body ? json_loadb(body, len, 0, &jerr) : NULL;
    if (!json_is_object(doc)) {
        res->verdict = JF_SEND_RETRY;
        set_error(res, "HTTP %ld with an answer that is not a JSON object", status);
        goto out;
    }
    json_t *code = json_object_get(doc, "errcode");
    long errcode = json_is_integer(code) ? (long)json_integer_value(code) : 0;
    if (errcode == 0) {
        res->verdict = JF_SEND_OK;
        goto out;
    }
    res->verdict = JF_SEND_FAIL;
    for (size_t i = 0; i < ncodes; i++) {
        if (codes[i].errcode == errcode) {
            res->verdict = codes[i].verdict;
            res->token_stale = codes[i].token_stale;
            break;
        }
    }
    const char *msg = json_string_value(json_object_get(doc, "errmsg"));
    set_error(res, "errcode %ld: %s", errcode, msg ? msg : "(no errmsg)");
    clean_text(res->error);
out:
    json_decref(doc);
}

/* True when s is non-empty printable ASCII without spaces. */
static bool token_chars_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s <= 0x20 || *s >= 0x7F)
            return false;
    }
    return true;
}

jf_err jf_webhook_wxapi_token_parse(const jf_wxapi_code *codes, size_t ncodes, long status,
                                    const char *body, size_t len, char *token, size_t tokensz,
                                    int64_t *expires_in, jf_send_result *res)
{
    jf_err err = JF_ERR_AUTH;
    json_t *doc = NULL;
    json_error_t jerr;

    if (!res)
        return JF_ERR_INVAL;
    jf_webhook_wxapi_classify(codes, ncodes, status, body, len, res);
    if (res->verdict != JF_SEND_OK)
        goto out;
    err = JF_ERR_PARSE;
    if (!token || tokensz == 0 || !expires_in) {
        res->verdict = JF_SEND_FAIL;
        set_error(res, "internal error: no room for the access token");
        goto out;
    }
    doc = json_loadb(body, len, 0, &jerr);
    const char *t = json_string_value(json_object_get(doc, "access_token"));
    if (!t || !token_chars_ok(t) || strlen(t) >= tokensz) {
        res->verdict = JF_SEND_FAIL;
        set_error(res, "the token answer has no usable access_token");
        goto out;
    }
    memcpy(token, t, strlen(t) + 1);
    json_t *exp = json_object_get(doc, "expires_in");
    *expires_in = json_is_integer(exp) && json_integer_value(exp) > 0
                      ? (int64_t)json_integer_value(exp)
                      : DEFAULT_EXPIRES_IN;
    err = JF_ERR_OK;
out:
    json_decref(doc);
    return err;
}

jf_err jf_webhook_wxapi_uint(const char *s, long long *v)
{
    long long x = 0;
    size_t n = 0;

    if (!s || !v)
        return JF_ERR_INVAL;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 18)
            return JF_ERR_INVAL;
        x = x * 10 + (s[n] - '0');
    }
    if (n == 0)
        return JF_ERR_INVAL;
    *v = x;
    return JF_ERR_OK;
}
