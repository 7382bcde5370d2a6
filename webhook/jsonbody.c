/* jsonbody.c - request checks, bounded JSON access and JSON writing for JSON webhooks. */
#include "webhook/jsonbody.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "webhook/form.h"

#define JSON_TYPE "application/json"
#define STR(x) #x
#define XSTR(x) STR(x)
/* Longest decimal integer jf_jsonbody_retry_after reads. */
#define RETRY_AFTER_DIGITS 10
/* Runs of this many digits in a provider's error message are masked (as in core/log). */
#define ERROR_MASK_RUN 7

_Static_assert(JF_JSONBODY_SIG_LEN == sizeof JF_JSONBODY_SIG_PREFIX - 1 + 2 * JF_SHA256_LEN,
               "a signature is the prefix and the hex of one SHA-256 MAC");

/* ---- state and replies -------------------------------------------------------------- */

jf_jsonbody_state *jf_jsonbody_state_new(void)
{
    return calloc(1, sizeof(jf_jsonbody_state));
}

/* wipe_strings - zero every string value under j. The depth is bounded by jansson's
 * parser (JSON_PARSER_MAX_DEPTH), and documents built here are shallow. */
static void wipe_strings(json_t *j)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_string(j)) {
        /* jansson keeps each string in its own heap buffer of length + 1 bytes. */
        char *s = (char *)json_string_value(j);
        jf_crypto_zeroize(s, json_string_length(j));
    } else if (json_is_object(j)) {
        json_object_foreach(j, key, v)
        {
            wipe_strings(v);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v)
        {
            wipe_strings(v);
        }
    }
}

void jf_jsonbody_wipe_free(json_t *root)
{
    if (!root)
        return;
    wipe_strings(root);
    json_decref(root);
}

void jf_jsonbody_state_free(void *state)
{
    jf_jsonbody_state *st = state;
    if (!st)
        return;
    jf_jsonbody_wipe_free(st->root);
    jf_crypto_zeroize(st, sizeof *st);
    free(st);
}

void jf_jsonbody_reject(jf_webhook_reply *r, unsigned status, const char *prefix,
                        const char *detail)
{
    jf_err err = jf_webhook_reply_text(r, status, prefix);
    if (!err && detail)
        err = jf_buf_appends(&r->body, detail);
    if (err) {
        jf_buf_reset(&r->body);
        r->status = 500;
        r->content_type = "text/plain; charset=utf-8";
    }
}

jf_err jf_jsonbody_reply_json(jf_webhook_reply *r, const char *json)
{
    jf_err err = JF_ERR_INVAL;

    if (!r || !json)
        goto out;
    jf_buf_reset(&r->body);
    err = jf_buf_appends(&r->body, json);
    if (err)
        goto out;
    r->status = 200;
    r->content_type = JF_JSONBODY_CONTENT_TYPE;
out:
    if (err && r)
        jf_buf_reset(&r->body);
    return err;
}

void jf_jsonbody_reply_empty(jf_webhook_reply *r)
{
    jf_buf_reset(&r->body);
    r->status = 200;
    r->content_type = "text/plain; charset=utf-8";
}

/* ---- request checks ----------------------------------------------------------------- */

/* trim - shrink [*s, *s + *n) by the spaces and tabs at both ends. */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* The charset names that mean UTF-8. */
static const char *const utf8_names[] = {"utf-8", "utf8"};

static bool charset_ok(const char *v, size_t n)
{
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    for (size_t i = 0; i < sizeof utf8_names / sizeof utf8_names[0]; i++) {
        if (strlen(utf8_names[i]) == n && strncasecmp(v, utf8_names[i], n) == 0)
            return true;
    }
    return false;
}

bool jf_jsonbody_content_type_ok(const char *ct)
{
    const char *p;
    size_t n;

    if (!ct)
        return false;
    p = ct;
    n = strcspn(p, ";");
    trim(&p, &n);
    if (n != sizeof JSON_TYPE - 1 || strncasecmp(p, JSON_TYPE, n) != 0)
        return false;
    p = ct + strcspn(ct, ";");
    while (*p == ';') {
        const char *name = p + 1;
        size_t plen = strcspn(name, ";"); /* this parameter, up to the next ';' */
        size_t nlen = strcspn(name, "=;");
        bool has_value = nlen < plen;
        const char *val = has_value ? name + nlen + 1 : name + plen;
        size_t vlen = has_value ? plen - nlen - 1 : 0;

        p = name + plen;
        trim(&name, &nlen);
        if (nlen != 7 || strncasecmp(name, "charset", 7) != 0)
            continue;
        trim(&val, &vlen);
        if (!has_value || !charset_ok(val, vlen))
            return false;
    }
    return true;
}

jf_err jf_jsonbody_precheck_or_reject(const jf_webhook_request *req, const char *provider,
                                      jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_INVAL;
    char why[96];

    if (!req->method || strcmp(req->method, "POST") != 0) {
        snprintf(why, sizeof why, "%s webhooks are POST", provider ? provider : "these");
        jf_jsonbody_reject(rej, 405, "method not allowed: ", why);
        goto out;
    }
    if (!jf_jsonbody_content_type_ok(req->content_type)) {
        jf_jsonbody_reject(
            rej, 415, "unsupported content type: expected application/json in UTF-8", NULL);
        goto out;
    }
    if (req->body_len > JF_WEBHOOK_MAX_BODY) {
        err = JF_ERR_TOOBIG;
        jf_jsonbody_reject(rej, 413, "request body too large: the limit is 64 KiB", NULL);
        goto out;
    }
    if (!req->body && req->body_len > 0) {
        jf_jsonbody_reject(rej, 500, "internal error: request incomplete", NULL);
        goto out;
    }
    err = JF_ERR_OK;
out:
    return err;
}

/* What each jansson error code means, in words that quote nothing of the input. */
static const char *const json_why[] = {
    [json_error_unknown] = "not valid JSON",
    [json_error_out_of_memory] = "out of memory",
    [json_error_stack_overflow] = "nested too deeply",
    [json_error_invalid_argument] = "not valid JSON",
    [json_error_invalid_utf8] = "invalid UTF-8",
    [json_error_premature_end_of_input] = "unexpected end of input",
    [json_error_end_of_input_expected] = "trailing data after the JSON value",
    [json_error_invalid_syntax] = "invalid syntax",
    [json_error_invalid_format] = "invalid syntax",
    [json_error_wrong_type] = "expected an object or an array",
    [json_error_null_character] = "NUL character",
    [json_error_null_value] = "not valid JSON",
    [json_error_null_byte_in_key] = "NUL character in an object key",
    [json_error_duplicate_key] = "duplicate object key",
    [json_error_numeric_overflow] = "number out of range",
    [json_error_item_not_found] = "not valid JSON",
    [json_error_index_out_of_range] = "not valid JSON",
};

jf_err jf_jsonbody_parse_or_reject(const jf_webhook_request *req, json_t **out,
                                   jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    json_error_t e;
    json_t *root;
    char detail[96];

    *out = NULL;
    root = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &e);
    if (root) {
        *out = root;
        err = JF_ERR_OK;
        goto out;
    }
    enum json_error_code code = json_error_code(&e);
    const char *why = (size_t)code < sizeof json_why / sizeof json_why[0] && json_why[code]
                          ? json_why[code]
                          : "not valid JSON";
    if (code == json_error_out_of_memory) {
        err = JF_ERR_NOMEM;
        jf_jsonbody_reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    /* Line and column are positions, not content: safe to report. */
    snprintf(detail, sizeof detail, "%s (line %d, column %d)", why, e.line, e.column);
    jf_jsonbody_reject(rej, 400, "malformed JSON body: ", detail);
out:
    return err;
}

/* ---- fields ------------------------------------------------------------------------- */

static bool controls_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

/* reject_field - a 400 naming the field and, when expect is not NULL, what it should be. */
static void reject_field(jf_webhook_reply *rej, bool missing, const char *path,
                         const char *expect)
{
    jf_jsonbody_reject(rej, 400, missing ? "missing required field " : "invalid field ", path);
    if (rej->status == 400 && expect) {
        if (jf_buf_appends(&rej->body, ": ") || jf_buf_appends(&rej->body, expect))
            jf_jsonbody_reject(rej, 500, "internal error rendering a reject", NULL);
    }
}

jf_err jf_jsonbody_string_or_reject(json_t *obj, const char *key, const char *path,
                                    jf_jsonbody_presence presence, size_t minlen, size_t maxlen,
                                    bool no_controls, const char **out, jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    char expect[80];

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (presence == JF_JSONBODY_OPTIONAL) {
            err = JF_ERR_OK;
            goto out;
        }
        reject_field(rej, true, path, NULL);
        goto out;
    }
    size_t n = json_is_string(v) ? json_string_length(v) : 0;
    /* jansson rejects \u0000 without JSON_ALLOW_NUL, so strlen equals the length; the
     * check stays in case a caller builds documents some other way. */
    if (!json_is_string(v) || n < minlen || n > maxlen || strlen(json_string_value(v)) != n ||
        !jf_webhook_utf8_valid(json_string_value(v), n) ||
        (no_controls && !controls_ok(json_string_value(v)))) {
        snprintf(expect, sizeof expect, "expected a string of %zu to %zu bytes%s", minlen,
                 maxlen, no_controls ? " without control characters" : "");
        reject_field(rej, false, path, expect);
        goto out;
    }
    *out = json_string_value(v);
    err = JF_ERR_OK;
out:
    return err;
}

jf_err jf_jsonbody_integer_or_reject(json_t *obj, const char *key, const char *path,
                                     json_int_t min, json_int_t max, json_int_t *out,
                                     jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

    *out = 0;
    if (!v || json_is_null(v)) {
        reject_field(rej, true, path, NULL);
        goto out;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        reject_field(rej, false, path, "expected an integer in range");
        goto out;
    }
    *out = json_integer_value(v);
    err = JF_ERR_OK;
out:
    return err;
}

bool jf_jsonbody_id_ok(const char *s)
{
    size_t n;

    if (!s)
        return false;
    n = strnlen(s, JF_WEBHOOK_MAX_MSG_ID + 1);
    if (n == 0 || n > JF_WEBHOOK_MAX_MSG_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

bool jf_jsonbody_digits_ok(const char *s, size_t minlen, size_t maxlen)
{
    size_t n;

    if (!s)
        return false;
    n = strnlen(s, maxlen + 1);
    if (n < minlen || n > maxlen)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* ---- secrets and signatures --------------------------------------------------------- */

bool jf_jsonbody_secret_equal(const char *want, const char *got)
{
    uint8_t hw[JF_SHA256_LEN];
    uint8_t hg[JF_SHA256_LEN];
    bool eq = false;

    if (!want || !want[0] || !got)
        return false;
    /* Hashing both sides first makes the comparison independent of the lengths too. */
    if (jf_crypto_sha256(want, strlen(want), hw) || jf_crypto_sha256(got, strlen(got), hg))
        goto out;
    eq = jf_crypto_equal(hw, hg, sizeof hw);
out:
    jf_crypto_zeroize(hw, sizeof hw);
    jf_crypto_zeroize(hg, sizeof hg);
    return eq;
}

bool jf_jsonbody_query_secret_ok(const char *query, const char *name, const char *want)
{
    jf_form form = {NULL, 0};
    const char *got = NULL;
    size_t seen = 0;
    bool ok = false;

    if (!query || !name)
        goto out;
    if (jf_webhook_form_parse(query, strlen(query), &form))
        goto out;
    for (size_t i = 0; i < form.n; i++) {
        if (strcmp(form.fields[i].name, name) == 0) {
            got = form.fields[i].value;
            seen++;
        }
    }
    /* Always compare, so that a request without the parameter takes the same time. */
    ok = jf_jsonbody_secret_equal(want, got ? got : "") && seen == 1;
out:
    jf_webhook_form_free(&form);
    return ok;
}

/* mac_hex - out receives the lowercase hex HMAC-SHA256 under key of the n parts. */
static jf_err mac_hex(const char *key, const void *const *parts, const size_t *lens, size_t n,
                      char out[2 * JF_SHA256_LEN + 1])
{
    jf_err err = JF_ERR_INVAL;
    jf_buf msg;
    uint8_t mac[JF_SHA256_LEN];

    jf_buf_init(&msg, JF_WEBHOOK_MAX_BODY + 64);
    if (!key || !key[0] || (!parts && n > 0) || (!lens && n > 0))
        goto out;
    err = JF_ERR_OK;
    for (size_t i = 0; i < n && !err; i++)
        err = jf_buf_append(&msg, parts[i] ? parts[i] : "", parts[i] ? lens[i] : 0);
    if (err)
        goto out;
    err = jf_crypto_hmac_sha256(key, strlen(key), msg.data ? msg.data : "", msg.len, mac);
    if (err)
        goto out;
    jf_crypto_hex_encode(mac, sizeof mac, out);
out:
    jf_crypto_zeroize(mac, sizeof mac);
    jf_buf_free(&msg);
    return err;
}

jf_err jf_jsonbody_signature(const char *key, const void *const *parts, const size_t *lens,
                             size_t n, char out[JF_JSONBODY_SIG_LEN + 1])
{
    const size_t plen = sizeof JF_JSONBODY_SIG_PREFIX - 1;

    if (!out)
        return JF_ERR_INVAL;
    out[0] = '\0';
    jf_err err = mac_hex(key, parts, lens, n, out + plen);
    if (err) {
        out[0] = '\0';
        return err;
    }
    memcpy(out, JF_JSONBODY_SIG_PREFIX, plen);
    return JF_ERR_OK;
}

bool jf_jsonbody_signature_equal(const char expected[JF_JSONBODY_SIG_LEN + 1],
                                 const char *header)
{
    const size_t plen = sizeof JF_JSONBODY_SIG_PREFIX - 1;
    char got[2 * JF_SHA256_LEN];

    /* The shape of a signature is public; only its digits need a constant-time compare. */
    if (!header || strnlen(header, JF_JSONBODY_SIG_LEN + 1) != JF_JSONBODY_SIG_LEN ||
        memcmp(header, JF_JSONBODY_SIG_PREFIX, plen) != 0)
        return false;
    for (size_t i = 0; i < sizeof got; i++) {
        char c = header[plen + i];
        got[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    bool eq = jf_crypto_equal(got, expected + plen, sizeof got);
    jf_crypto_zeroize(got, sizeof got);
    return eq;
}

jf_err jf_jsonbody_keyed_id(const char *key, const char *label, const char *const *parts,
                            size_t n, char out[2 * JF_SHA256_LEN + 1])
{
    /* label, then "\n" + part for each part: two slots per part. */
    enum { MAX_PARTS = 8 };
    const void *p[1 + 2 * MAX_PARTS];
    size_t l[1 + 2 * MAX_PARTS];
    size_t k = 0;

    if (!label || n > MAX_PARTS || (!parts && n > 0) || !out)
        return JF_ERR_INVAL;
    p[k] = label;
    l[k++] = strlen(label);
    for (size_t i = 0; i < n; i++) {
        if (!parts[i])
            return JF_ERR_INVAL;
        p[k] = "\n";
        l[k++] = 1;
        p[k] = parts[i];
        l[k++] = strlen(parts[i]);
    }
    return mac_hex(key, p, l, k, out);
}

/* ---- writing JSON ------------------------------------------------------------------- */

/* The short escape of each byte that has one; other control characters become \u00XX. */
static const char *const json_escape[256] = {
    ['"'] = "\\\"", ['\\'] = "\\\\", ['\b'] = "\\b", ['\f'] = "\\f",
    ['\n'] = "\\n", ['\r'] = "\\r",  ['\t'] = "\\t",
};

jf_err jf_jsonbody_append_string(jf_buf *out, const char *s)
{
    jf_err err = JF_ERR_INVAL;
    const char *run;
    const char *p;

    if (!out || !s || !jf_webhook_utf8_valid(s, strlen(s)))
        goto out;
    err = jf_buf_appends(out, "\"");
    run = s;
    for (p = s; *p && !err; p++) {
        unsigned char c = (unsigned char)*p;
        if (!json_escape[c] && c >= 0x20)
            continue;
        err = jf_buf_append(out, run, (size_t)(p - run));
        if (!err)
            err = json_escape[c] ? jf_buf_appends(out, json_escape[c])
                                 : jf_buf_appendf(out, "\\u%04x", c);
        run = p + 1;
    }
    if (!err)
        err = jf_buf_append(out, run, (size_t)(p - run));
    if (!err)
        err = jf_buf_appends(out, "\"");
out:
    return err;
}

/* ---- sending ------------------------------------------------------------------------ */

/* URL schemes an api_base may use: http only for a local fake provider in tests. */
static const char *const api_schemes[] = {"https://", "http://"};

const char *jf_jsonbody_api_base(const jf_webhook_channel *ch, const char *dflt, size_t *len)
{
    const char *base = jf_webhook_channel_get(ch, "api_base");
    bool ok = false;
    size_t n;

    if (!base)
        base = dflt;
    if (!base)
        return NULL;
    n = strlen(base);
    for (size_t i = 0; i < sizeof api_schemes / sizeof api_schemes[0]; i++) {
        size_t sl = strlen(api_schemes[i]);
        if (n > sl && strncmp(base, api_schemes[i], sl) == 0)
            ok = true;
    }
    if (!ok)
        return NULL;
    while (n > 0 && base[n - 1] == '/')
        n--;
    *len = n;
    return base;
}

int jf_jsonbody_retry_after(const char *header)
{
    long v = 0;
    size_t n;

    if (!header)
        return 0;
    header += strspn(header, " \t");
    n = strspn(header, "0123456789");
    if (n == 0 || n > RETRY_AFTER_DIGITS || header[n + strspn(header + n, " \t")] != '\0')
        return 0;
    for (size_t i = 0; i < n && v <= JF_JSONBODY_MAX_RETRY_AFTER; i++)
        v = v * 10 + (header[i] - '0');
    return v > JF_JSONBODY_MAX_RETRY_AFTER ? JF_JSONBODY_MAX_RETRY_AFTER : (int)v;
}

/* Verdicts by HTTP status, first match wins. */
static const struct {
    long lo, hi;
    jf_send_verdict verdict;
} status_verdicts[] = {
    {200, 299, JF_SEND_OK},   {408, 408, JF_SEND_RETRY}, {429, 429, JF_SEND_RETRY},
    {400, 499, JF_SEND_FAIL}, {500, 599, JF_SEND_RETRY},
};

jf_send_verdict jf_jsonbody_status_verdict(long status)
{
    for (size_t i = 0; i < sizeof status_verdicts / sizeof status_verdicts[0]; i++) {
        if (status >= status_verdicts[i].lo && status <= status_verdicts[i].hi)
            return status_verdicts[i].verdict;
    }
    return JF_SEND_RETRY;
}

json_t *jf_jsonbody_parse_result(const char *body, size_t len)
{
    json_error_t e;
    json_t *root;

    if (!body || len > JF_JSONBODY_MAX_RESULT)
        return NULL;
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (root && !json_is_object(root)) {
        jf_jsonbody_wipe_free(root);
        root = NULL;
    }
    return root;
}

void jf_jsonbody_send_error(jf_send_result *res, const char *provider, long status,
                            const char *code, const char *message)
{
    char *e = res->error;

    snprintf(e, sizeof res->error, "%s HTTP %ld%s%s%s%s", provider ? provider : "provider",
             status, code ? " code " : "", code ? code : "", message ? ": " : "",
             message ? message : "");
    /* ASCII only: a truncated UTF-8 sequence would be invalid text in the database. */
    for (char *p = e; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f)
            *p = c < 0x20 ? ' ' : '?';
    }
    jf_log_mask_digits(e, ERROR_MASK_RUN);
}
