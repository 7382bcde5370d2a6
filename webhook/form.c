/* form.c - application/x-www-form-urlencoded decoding with hard limits. */
#include "webhook/form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"

/* Reasons handed back through jf_webhook_form_parse_detail. They are static and describe
 * the defect only, so an adapter may send them to the client without echoing input. */
#define WHY_ESCAPE "invalid percent-escape"
#define WHY_NUL "NUL byte in form data"
#define WHY_UTF8 "invalid UTF-8 in form data"
#define WHY_NONAME "form field with an empty name"
#define WHY_FIELDS "too many form fields"
#define WHY_LEN "form body too large"
#define WHY_NOMEM "out of memory"
#define WHY_INVAL "invalid arguments"

/* Well-formed UTF-8 lead bytes and the range allowed for the byte that follows each,
 * straight from Unicode Table 3-7. Any later continuation byte is 0x80..0xBF. Narrowing
 * the first continuation byte is what excludes overlong forms (E0, F0), surrogates (ED)
 * and code points above U+10FFFF (F4); lead bytes absent here (80..C1, F5..FF) are never
 * valid. */
static const struct utf8_lead {
    uint8_t first, last; /* lead byte range */
    uint8_t ncont;       /* continuation bytes that follow */
    uint8_t lo, hi;      /* allowed range of the first continuation byte */
} utf8_leads[] = {
    {0xC2, 0xDF, 1, 0x80, 0xBF}, {0xE0, 0xE0, 2, 0xA0, 0xBF}, {0xE1, 0xEC, 2, 0x80, 0xBF},
    {0xED, 0xED, 2, 0x80, 0x9F}, {0xEE, 0xEF, 2, 0x80, 0xBF}, {0xF0, 0xF0, 3, 0x90, 0xBF},
    {0xF1, 0xF3, 3, 0x80, 0xBF}, {0xF4, 0xF4, 3, 0x80, 0x8F},
};

static const struct utf8_lead *utf8_lead_of(uint8_t c)
{
    for (size_t i = 0; i < sizeof utf8_leads / sizeof utf8_leads[0]; i++) {
        if (c >= utf8_leads[i].first && c <= utf8_leads[i].last)
            return &utf8_leads[i];
    }
    return NULL;
}

bool jf_webhook_utf8_valid(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        const struct utf8_lead *lead = utf8_lead_of(p[i]);
        if (!lead || n - i - 1 < lead->ncont)
            return false;
        if (p[i + 1] < lead->lo || p[i + 1] > lead->hi)
            return false;
        for (size_t k = 2; k <= lead->ncont; k++) {
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return false;
        }
        i += 1 + (size_t)lead->ncont;
    }
    return true;
}

/* The value of one hex digit, either case, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Wipe and free one decoded string; they carry phone numbers and message text. */
static void free_wiped(char *s)
{
    if (s) {
        jf_crypto_zeroize(s, strlen(s));
        free(s);
    }
}

/* decode_part - percent-decode n bytes at p into a new NUL-terminated string *out
 * (caller frees). Decoding never lengthens its input, so n + 1 bytes always suffice.
 * On JF_ERR_PARSE *why names the defect. */
static jf_err decode_part(const char *p, size_t n, char **out, const char **why)
{
    jf_err err = JF_ERR_NOMEM;
    char *s = malloc(n + 1);
    size_t k = 0;

    *why = WHY_NOMEM;
    if (!s)
        goto out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (n - i < 3) {
                err = JF_ERR_PARSE;
                *why = WHY_ESCAPE;
                goto out;
            }
            int hi = hex_value(p[i + 1]);
            int lo = hex_value(p[i + 2]);
            if (hi < 0 || lo < 0) {
                err = JF_ERR_PARSE;
                *why = WHY_ESCAPE;
                goto out;
            }
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0') {
            err = JF_ERR_PARSE;
            *why = WHY_NUL;
            goto out;
        }
        s[k++] = (char)c;
    }
    s[k] = '\0';
    if (!jf_webhook_utf8_valid(s, k)) {
        err = JF_ERR_PARSE;
        *why = WHY_UTF8;
        goto out;
    }
    *out = s;
    s = NULL;
    *why = NULL;
    err = JF_ERR_OK;
out:
    if (s) {
        jf_crypto_zeroize(s, n + 1);
        free(s);
    }
    return err;
}

/* parse_pair - decode one non-empty "name=value" (or "name") of n bytes into *f. On
 * failure *f is left empty, so the form never owns half a field. */
static jf_err parse_pair(const char *p, size_t n, jf_form_field *f, const char **why)
{
    jf_err err = JF_ERR_PARSE;
    const char *eq = memchr(p, '=', n);
    size_t name_len = eq ? (size_t)(eq - p) : n;
    const char *value = eq ? eq + 1 : p + n;
    size_t value_len = n - name_len - (eq ? 1 : 0);
    char *name_s = NULL;
    char *value_s = NULL;

    if (name_len == 0) {
        *why = WHY_NONAME;
        goto out;
    }
    err = decode_part(p, name_len, &name_s, why);
    if (err)
        goto out;
    err = decode_part(value, value_len, &value_s, why);
    if (err)
        goto out;
    f->name = name_s;
    f->value = value_s;
    name_s = NULL;
    value_s = NULL;
out:
    free_wiped(name_s);
    free_wiped(value_s);
    return err;
}

/* The number of non-empty '&'-separated pairs in len bytes at body. Counting first lets
 * the parser refuse an oversized form before allocating anything for it. */
static size_t count_pairs(const char *body, size_t len)
{
    size_t count = 0;
    size_t run = 0;

    for (size_t i = 0; i < len; i++) {
        if (body[i] == '&') {
            count += run > 0;
            run = 0;
        } else {
            run++;
        }
    }
    return count + (run > 0);
}

jf_err jf_webhook_form_parse_detail(const char *body, size_t len, jf_form *out,
                                    const char **why)
{
    jf_err err = JF_ERR_INVAL;
    const char *reason = WHY_INVAL;
    size_t count = 0;

    if (why)
        *why = NULL;
    if (!out)
        goto out;
    out->fields = NULL;
    out->n = 0;
    if (!body && len > 0)
        goto out;
    if (len > JF_FORM_MAX_LEN) {
        err = JF_ERR_TOOBIG;
        reason = WHY_LEN;
        goto out;
    }
    count = count_pairs(body, len);
    if (count > JF_FORM_MAX_FIELDS) {
        err = JF_ERR_TOOBIG;
        reason = WHY_FIELDS;
        goto out;
    }
    if (count == 0) {
        err = JF_ERR_OK;
        goto out;
    }
    out->fields = calloc(count, sizeof *out->fields);
    if (!out->fields) {
        err = JF_ERR_NOMEM;
        reason = WHY_NOMEM;
        goto out;
    }

    const char *p = body;
    const char *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        if (pair_end > p) {
            err = parse_pair(p, (size_t)(pair_end - p), &out->fields[out->n], &reason);
            if (err)
                goto out;
            out->n++;
        }
        p = amp ? amp + 1 : end;
    }
    err = JF_ERR_OK;
out:
    /* A failed parse leaves the form empty, so no half-decoded data outlives it. */
    if (err && out)
        jf_webhook_form_free(out);
    if (err && why)
        *why = reason;
    return err;
}

jf_err jf_webhook_form_parse(const char *body, size_t len, jf_form *out)
{
    return jf_webhook_form_parse_detail(body, len, out, NULL);
}

const char *jf_webhook_form_get(const jf_form *f, const char *name)
{
    if (!f || !name)
        return NULL;
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->fields[i].name, name) == 0)
            return f->fields[i].value;
    }
    return NULL;
}

void jf_webhook_form_free(jf_form *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free_wiped(f->fields[i].name);
        free_wiped(f->fields[i].value);
    }
    free(f->fields);
    f->fields = NULL;
    f->n = 0;
}

jf_err jf_webhook_urlencode(jf_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        jf_err err;
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            err = jf_buf_append(out, p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            err = jf_buf_append(out, esc, 3);
        }
        if (err)
            return err;
    }
    return JF_ERR_OK;
}

jf_err jf_webhook_form_add(jf_buf *out, const char *name, const char *value)
{
    jf_err err = JF_ERR_OK;
    if (out->len > 0 && out->data[out->len - 1] != '?' && out->data[out->len - 1] != '&')
        err = jf_buf_append(out, "&", 1);
    if (!err)
        err = jf_webhook_urlencode(out, name);
    if (!err)
        err = jf_buf_append(out, "=", 1);
    if (!err)
        err = jf_webhook_urlencode(out, value);
    return err;
}
