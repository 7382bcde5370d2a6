/* kannel.c - Kannel smsbox sms-service webhooks (get-url and post-url), UCS-2 replies and
 * sendsms requests. */
#include "webhook/kannel.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/crypto.h"
#include "webhook/form.h"

#define STR(x) #x
#define XSTR(x) STR(x)
/* clang-format off */
#define WHY_BAD_ID \
    "invalid id: expected 1 to " XSTR(JF_WEBHOOK_MAX_MSG_ID) " of A-Z a-z 0-9 . _ : - " \
    "(configure id=%I in the sms-service URL)"
#define WHY_BAD_ADDR \
    " address: expected 1 to " XSTR(JF_KANNEL_MAX_ADDR) " printable ASCII characters " \
    "without spaces"
/* clang-format on */
#define TEXT_PLAIN "text/plain"
#define REPLY_PROLOG "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message><submit><ud>"
#define REPLY_EPILOG "</ud><dcs><coding>2</coding></dcs></submit></message>\n"
/* Longest error text kept from a sendsms answer. */
#define SEND_ERROR_BODY_MAX 160

/* ---- query decoding ----------------------------------------------------------------- */

/* One decoded query parameter: offsets into the store of its kquery. */
typedef struct {
    size_t name;
    size_t value;
    size_t vlen;
} kparam;

/* A decoded query. Values are byte strings (they may hold NUL bytes: the text of a UCS-2
 * message is UTF-16BE), each followed by a NUL in the store. */
typedef struct {
    jf_buf store;
    kparam p[JF_KANNEL_MAX_PARAMS];
    size_t n;
} kquery;

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* pct_decode - append the n bytes at s to out with '+' as a space and %XX as that byte.
 * JF_ERR_PARSE for a '%' without two hex digits. */
static jf_err pct_decode(const char *s, size_t n, jf_buf *out)
{
    jf_err err = JF_ERR_OK;
    for (size_t i = 0; i < n && !err; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return JF_ERR_PARSE;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        err = jf_buf_append(out, &c, 1);
    }
    return err;
}

static void kquery_init(kquery *q, size_t qlen)
{
    /* Decoding never lengthens; each parameter adds two terminators. */
    jf_buf_init(&q->store, qlen + 2 * JF_KANNEL_MAX_PARAMS + 2);
    q->n = 0;
}

static void kquery_free(kquery *q)
{
    jf_buf_free(&q->store);
    q->n = 0;
}

/* True when the NUL-terminated name is 1..32 printable ASCII characters. */
static bool param_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
            return false;
    return true;
}

/* kquery_parse - decode query (the raw string after '?') into q. Pairs are separated by
 * '&', empty pairs skipped, a pair without '=' has an empty value. On failure *why gets
 * a static message without input data. */
static jf_err kquery_parse(const char *query, kquery *q, const char **why)
{
    jf_err err = JF_ERR_OK;
    const char *p = query;
    const char nul = '\0';

    while (*p) {
        size_t len = strcspn(p, "&");
        if (len == 0) {
            p++;
            continue;
        }
        if (q->n >= JF_KANNEL_MAX_PARAMS) {
            *why = "too many query parameters";
            return JF_ERR_TOOBIG;
        }
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        kparam *kp = &q->p[q->n];
        kp->name = q->store.len;
        err = pct_decode(p, nlen, &q->store);
        if (!err && (q->store.len == kp->name ||
                     !param_name_ok(q->store.data + kp->name, q->store.len - kp->name))) {
            *why = "malformed query: a parameter name is empty or not printable ASCII";
            return JF_ERR_PARSE;
        }
        if (!err)
            err = jf_buf_append(&q->store, &nul, 1);
        kp->value = q->store.len;
        if (!err && eq)
            err = pct_decode(eq + 1, len - nlen - 1, &q->store);
        kp->vlen = q->store.len - kp->value;
        if (!err)
            err = jf_buf_append(&q->store, &nul, 1);
        if (err == JF_ERR_PARSE) {
            *why = "malformed query: invalid percent-escape";
            return err;
        }
        if (err) {
            *why = "internal error decoding the query";
            return err;
        }
        q->n++;
        p += len;
    }
    return JF_ERR_OK;
}

/* kquery_get - how many times name occurs in q (0, 1 or 2 for "more than once"); on a
 * single occurrence *v and *vlen get its value. */
static int kquery_get(const kquery *q, const char *name, const char **v, size_t *vlen)
{
    int found = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->store.data + q->p[i].name, name) != 0)
            continue;
        if (++found > 1)
            return 2;
        *v = q->store.data + q->p[i].value;
        *vlen = q->p[i].vlen;
    }
    return found;
}

/* ---- text --------------------------------------------------------------------------- */

typedef enum { CS_UTF8, CS_UTF16BE, CS_ICONV } cs_kind;

/* Charsets a message may arrive in, by the names Kannel and iconv use. */
static const struct {
    const char *name;
    cs_kind kind;
} charsets[] = {
    {"UTF-8", CS_UTF8},
    {"UTF8", CS_UTF8},
    {"UTF-16BE", CS_UTF16BE},
    {"UTF-16", CS_UTF16BE},
    {"UCS-2", CS_UTF16BE},
    {"UCS-2BE", CS_UTF16BE},
    {"ISO-10646-UCS-2", CS_UTF16BE},
    {"ISO-8859-1", CS_ICONV},
    {"ISO8859-1", CS_ICONV},
    {"LATIN1", CS_ICONV},
    {"WINDOWS-1252", CS_ICONV},
    {"CP1252", CS_ICONV},
    {"GB2312", CS_ICONV},
    {"GBK", CS_ICONV},
    {"GB18030", CS_ICONV},
};

/* charset_clean - copy charset into out without surrounding white space and quotes;
 * false when it does not fit. An absent charset gives "". */
static bool charset_clean(const char *charset, char out[JF_KANNEL_MAX_CHARSET + 1])
{
    size_t n;
    out[0] = '\0';
    if (!charset)
        return true;
    charset += strspn(charset, " \t\"'");
    n = strlen(charset);
    while (n > 0 && strchr(" \t\"'", charset[n - 1]))
        n--;
    if (n > JF_KANNEL_MAX_CHARSET)
        return false;
    memcpy(out, charset, n);
    out[n] = '\0';
    return true;
}

static jf_err append_utf8(jf_buf *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return jf_buf_append(out, b, n);
}

/* utf16be_to_utf8 - UCS-2 as Kannel hands it over (UTF-16BE; surrogate pairs are
 * combined, a leading byte order mark is dropped). Lone surrogates, an odd length and
 * U+0000 are JF_ERR_PARSE. */
static jf_err utf16be_to_utf8(const uint8_t *in, size_t n, jf_buf *out)
{
    jf_err err = JF_ERR_OK;
    size_t i = 0;

    if (n % 2)
        return JF_ERR_PARSE;
    if (n >= 2 && in[0] == 0xFE && in[1] == 0xFF)
        i = 2;
    for (; i < n && !err; i += 2) {
        uint32_t u = (uint32_t)in[i] << 8 | in[i + 1];
        if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
            return JF_ERR_PARSE;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (i + 3 >= n)
                return JF_ERR_PARSE;
            uint32_t lo = (uint32_t)in[i + 2] << 8 | in[i + 3];
            if (lo < 0xDC00 || lo > 0xDFFF)
                return JF_ERR_PARSE;
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        }
        err = append_utf8(out, u);
    }
    return err;
}

/* iconv_to_utf8 - convert n bytes of charset cs with iconv (thread-safe: one conversion
 * descriptor per call). JF_ERR_NOTFOUND when iconv does not know cs. */
static jf_err iconv_to_utf8(const char *cs, const char *in, size_t n, jf_buf *out)
{
    jf_err err = JF_ERR_OK;
    char chunk[1024];
    char *inp = (char *)in;
    size_t inleft = n;
    bool flushed = false;
    iconv_t cd = iconv_open("UTF-8", cs);

    if (cd == (iconv_t)-1)
        return JF_ERR_NOTFOUND;
    while (!err && !flushed) {
        char *outp = chunk;
        size_t outleft = sizeof chunk;
        size_t r;
        if (inleft > 0) {
            r = iconv(cd, &inp, &inleft, &outp, &outleft);
        } else {
            r = iconv(cd, NULL, NULL, &outp, &outleft);
            flushed = r != (size_t)-1;
        }
        if (r == (size_t)-1 && errno != E2BIG)
            err = JF_ERR_PARSE; /* EILSEQ, or EINVAL for a truncated sequence */
        if (!err)
            err = jf_buf_append(out, chunk, sizeof chunk - outleft);
    }
    iconv_close(cd);
    jf_crypto_zeroize(chunk, sizeof chunk);
    return err;
}

jf_err jf_webhook_kannel_decode_text(int coding, const char *charset, const char *in, size_t n,
                                     jf_buf *out)
{
    jf_err err = JF_ERR_INVAL;
    char cs[JF_KANNEL_MAX_CHARSET + 1];
    cs_kind kind = CS_UTF8;
    size_t start = out ? out->len : 0;
    bool known = false;

    if (!out || (!in && n > 0))
        return JF_ERR_INVAL;
    if (!in)
        in = "";
    if (coding == JF_KANNEL_CODING_8BIT || !charset_clean(charset, cs))
        return JF_ERR_NOTFOUND;
    if (cs[0]) {
        for (size_t i = 0; i < sizeof charsets / sizeof charsets[0] && !known; i++) {
            if (strcasecmp(cs, charsets[i].name) == 0) {
                kind = charsets[i].kind;
                known = true;
            }
        }
        if (!known)
            return JF_ERR_NOTFOUND;
    } else if (coding == JF_KANNEL_CODING_UCS2) {
        kind = CS_UTF16BE;
    }

    switch (kind) {
    case CS_UTF8:
        err = memchr(in, '\0', n) || !jf_webhook_utf8_valid(in, n) ? JF_ERR_PARSE
                                                                   : jf_buf_append(out, in, n);
        break;
    case CS_UTF16BE:
        err = utf16be_to_utf8((const uint8_t *)in, n, out);
        break;
    case CS_ICONV:
        err = iconv_to_utf8(cs, in, n, out);
        if (!err && out->len > start &&
            (memchr(out->data + start, '\0', out->len - start) ||
             !jf_webhook_utf8_valid(out->data + start, out->len - start)))
            err = JF_ERR_PARSE;
        break;
    }
    if (err && out->len > start) {
        /* Leave out as it was; what was decoded is message text, so wipe it. */
        jf_crypto_zeroize(out->data + start, out->len - start);
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

/* ---- reply -------------------------------------------------------------------------- */

jf_err jf_webhook_kannel_render_reply(const char *text, jf_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    jf_err err = JF_ERR_INVAL;

    if (!out)
        return JF_ERR_INVAL;
    jf_buf_reset(out);
    if (!text || !jf_webhook_utf8_valid(text, strlen(text)))
        goto out;
    err = jf_buf_appends(out, REPLY_PROLOG);
    /* Every byte is %-encoded, not only the unsafe ones: smsbox first tries to read <ud>
     * as hex and only then URL-decodes it, so a reply such as "CAFE" must not look like
     * hex. A '%' in the content rules that out. */
    for (const uint8_t *p = (const uint8_t *)text; *p && !err; p++) {
        char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        err = jf_buf_append(out, e, sizeof e);
    }
    if (!err)
        err = jf_buf_appends(out, REPLY_EPILOG);
out:
    if (err)
        jf_buf_reset(out);
    return err;
}

/* ---- adapter ------------------------------------------------------------------------ */

/* Parse state: the message's strings, owned and wiped on release. */
typedef struct {
    jf_buf id;
    jf_buf from;
    jf_buf to;
    jf_buf text;
    bool has_to;
} kannel_state;

static void kannel_release(void *state)
{
    kannel_state *st = state;
    if (!st)
        return;
    jf_buf_free(&st->id);
    jf_buf_free(&st->from);
    jf_buf_free(&st->to);
    jf_buf_free(&st->text);
    free(st);
}

/* reject - render a plain-text reject of this status: prefix followed by detail (may be
 * NULL). Neither may carry request data. If even that fails the reply is a bare 500. */
static void reject(jf_webhook_reply *r, unsigned status, const char *prefix, const char *detail)
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

/* key_matches - constant-time comparison of the given key with the secret. Both are
 * hashed first, so that neither the time taken nor an early length check tells a caller
 * how long the secret is. */
static bool key_matches(const char *secret, const char *given, size_t glen)
{
    uint8_t a[JF_SHA256_LEN], b[JF_SHA256_LEN];
    bool ok = jf_crypto_sha256(secret, strlen(secret), a) == JF_ERR_OK &&
              jf_crypto_sha256(given, glen, b) == JF_ERR_OK && jf_crypto_equal(a, b, sizeof a);
    jf_crypto_zeroize(a, sizeof a);
    jf_crypto_zeroize(b, sizeof b);
    return ok;
}

/* True when id is a Kannel message id: a UUID in Kannel 1.4, and in any case 1 to
 * JF_WEBHOOK_MAX_MSG_ID characters of [A-Za-z0-9._:-]. It becomes an idempotency key, so
 * nothing else is let through. */
static bool msg_id_ok(const char *id, size_t n)
{
    if (n == 0 || n > JF_WEBHOOK_MAX_MSG_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == ':'))
            return false;
    }
    return true;
}

/* True for an address Kannel passes on from the SMSC: 1 to JF_KANNEL_MAX_ADDR printable
 * ASCII characters without spaces. What a phone number is, privacy/ decides. */
static bool addr_ok(const char *a, size_t n)
{
    if (n == 0 || n > JF_KANNEL_MAX_ADDR)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] < 0x21 || (unsigned char)a[i] > 0x7e)
            return false;
    return true;
}

/* media_type_is - whether the media type of ct (before any ';') is want, in any case. */
static bool media_type_is(const char *ct, const char *want)
{
    size_t n;
    if (!ct)
        return false;
    ct += strspn(ct, " \t");
    n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

/* content_type_charset - the charset parameter of ct copied into out (without quotes);
 * "" when there is none; false when it is too long to be a charset name. */
static bool content_type_charset(const char *ct, char out[JF_KANNEL_MAX_CHARSET + 1])
{
    out[0] = '\0';
    for (const char *p = ct ? strchr(ct, ';') : NULL; p; p = strchr(p + 1, ';')) {
        const char *q = p + 1 + strspn(p + 1, " \t");
        if (strncasecmp(q, "charset", 7) != 0)
            continue;
        q += 7 + strspn(q + 7, " \t");
        if (*q != '=')
            continue;
        q++;
        size_t n = strcspn(q, ";");
        char tmp[JF_KANNEL_MAX_CHARSET + 8];
        if (n >= sizeof tmp)
            return false;
        memcpy(tmp, q, n);
        tmp[n] = '\0';
        return charset_clean(tmp, out);
    }
    return true;
}

/* parse_coding - Kannel's coding from s (NULL: unknown, -1). False for anything but
 * "0", "1" or "2" (surrounding blanks allowed). */
static bool parse_coding(const char *s, int *coding)
{
    *coding = -1;
    if (!s)
        return true;
    s += strspn(s, " \t");
    if (*s < '0' || *s > '2')
        return false;
    *coding = *s - '0';
    s++;
    s += strspn(s, " \t");
    return *s == '\0';
}

/* A value looked up in the query or a header: bytes and length. */
typedef struct {
    const char *v;
    size_t len;
} kval;

/* one_param - look name up in q: JF_ERR_OK with *out set (v NULL when absent),
 * JF_ERR_PARSE (and the reject rendered) when it occurs more than once. */
static jf_err one_param(const kquery *q, const char *name, kval *out, jf_webhook_reply *rej)
{
    out->v = NULL;
    out->len = 0;
    int n = kquery_get(q, name, &out->v, &out->len);
    if (n > 1) {
        out->v = NULL;
        reject(rej, 400, "malformed query: parameter given more than once: ", name);
        return JF_ERR_PARSE;
    }
    return JF_ERR_OK;
}

/* header_or_param - the header's value when the request has it, else the parameter's. */
static kval header_or_param(const jf_webhook_request *req, const char *header, kval param)
{
    const char *h = req->header ? req->header(req->header_ctx, header) : NULL;
    if (h)
        return (kval){h, strlen(h)};
    return param;
}

/* copy_value - copy a value into a buffer of the state as a C string. */
static jf_err copy_value(jf_buf *b, kval v)
{
    jf_buf_reset(b);
    return jf_buf_append(b, v.v ? v.v : "", v.len);
}

/* kannel_receive - the adapter's receive: see the order of checks in kannel.h. */
static jf_err kannel_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                             jf_inbound *msgs, size_t max, size_t *n, void **state,
                             jf_webhook_reply *rej)
{
    jf_inbound *msg = msgs;
    jf_err err = JF_ERR_INVAL;
    kquery q;
    kannel_state *st = NULL;
    const char *why = NULL;
    bool post;
    char ct_charset[JF_KANNEL_MAX_CHARSET + 1] = "";
    kval key, id, from, to, text, coding_s, charset;
    int coding = -1;
    char coding_buf[8];
    char charset_buf[JF_KANNEL_MAX_CHARSET + 1];

    if (!req || !msg || !state || !rej || !n || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(msg, 0, sizeof *msg);
    kquery_init(&q, req->query ? strlen(req->query) : 0);

    const char *secret = ch ? jf_webhook_channel_get(ch, "key") : NULL;
    if (!secret) {
        err = JF_ERR_CONFIG;
        reject(rej, 500, "kannel channel has no key configured", NULL);
        goto out;
    }
    if (!req->method || (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)) {
        reject(rej, 405,
               "method not allowed: Kannel sms-services use GET (get-url) or POST "
               "(post-url)",
               NULL);
        goto out;
    }
    post = strcmp(req->method, "POST") == 0;
    if (req->body_len > JF_WEBHOOK_MAX_BODY) {
        err = JF_ERR_TOOBIG;
        reject(rej, 413, "request body too large", NULL);
        goto out;
    }
    if (!req->query || (!req->body && req->body_len > 0)) {
        reject(rej, 500, "internal error: request incomplete", NULL);
        goto out;
    }
    if (post) {
        if (media_type_is(req->content_type, "application/octet-stream")) {
            err = JF_ERR_NOTFOUND;
            reject(rej, 415,
                   "unsupported content type: 8-bit binary messages are not "
                   "supported",
                   NULL);
            goto out;
        }
        if (!media_type_is(req->content_type, TEXT_PLAIN) ||
            !content_type_charset(req->content_type, ct_charset)) {
            err = JF_ERR_NOTFOUND;
            reject(rej, 415,
                   "unsupported content type: expected " TEXT_PLAIN " (Kannel post-url)", NULL);
            goto out;
        }
    }

    err = kquery_parse(req->query, &q, &why);
    if (err) {
        reject(rej, err == JF_ERR_TOOBIG ? 413 : err == JF_ERR_PARSE ? 400 : 500, why, NULL);
        goto out;
    }

    /* The key comes before any other check of the parameters, so that a caller without
     * it learns nothing about what a valid request looks like. */
    err = one_param(&q, "key", &key, rej);
    if (err) {
        /* A repeated key is as good as a wrong one. */
        err = JF_ERR_AUTH;
        reject(rej, 403, "invalid or missing key parameter", NULL);
        goto out;
    }
    if (!key.v || !key_matches(secret, key.v, key.len)) {
        err = JF_ERR_AUTH;
        reject(rej, 403, "invalid or missing key parameter", NULL);
        goto out;
    }

    if (one_param(&q, "id", &id, rej) || one_param(&q, "from", &from, rej) ||
        one_param(&q, "to", &to, rej) || one_param(&q, "text", &text, rej) ||
        one_param(&q, "coding", &coding_s, rej) || one_param(&q, "charset", &charset, rej)) {
        err = JF_ERR_PARSE;
        goto out;
    }
    if (post) {
        /* post-url: the text is the body, the addresses and coding are X-Kannel headers
         * (query parameters of the same name are the fallback), the charset is the
         * Content-Type's. */
        from = header_or_param(req, "X-Kannel-From", from);
        to = header_or_param(req, "X-Kannel-To", to);
        coding_s = header_or_param(req, "X-Kannel-Coding", coding_s);
        if (ct_charset[0])
            charset = (kval){ct_charset, strlen(ct_charset)};
        text = (kval){req->body, req->body_len};
    }

    err = JF_ERR_PARSE;
    if (!id.v) {
        reject(rej, 400, "missing required parameter id", NULL);
        goto out;
    }
    if (!msg_id_ok(id.v, id.len)) {
        reject(rej, 400, WHY_BAD_ID, NULL);
        goto out;
    }
    if (!from.v) {
        reject(rej, 400,
               post ? "missing sender: X-Kannel-From (set send-sender = true in the "
                      "sms-service) or parameter from"
                    : "missing required parameter from",
               NULL);
        goto out;
    }
    if (!addr_ok(from.v, from.len)) {
        reject(rej, 400, "invalid from" WHY_BAD_ADDR, NULL);
        goto out;
    }
    if (to.v && !addr_ok(to.v, to.len)) {
        reject(rej, 400, "invalid to" WHY_BAD_ADDR, NULL);
        goto out;
    }
    if (!text.v) {
        reject(rej, 400, "missing required parameter text", NULL);
        goto out;
    }
    /* A coding or charset that is not text stops here; a C string is needed for both. */
    if (coding_s.v &&
        (coding_s.len >= sizeof coding_buf || memchr(coding_s.v, '\0', coding_s.len))) {
        reject(rej, 400, "invalid coding: expected 0, 1 or 2", NULL);
        goto out;
    }
    if (coding_s.v) {
        memcpy(coding_buf, coding_s.v, coding_s.len);
        coding_buf[coding_s.len] = '\0';
    }
    if (!parse_coding(coding_s.v ? coding_buf : NULL, &coding)) {
        reject(rej, 400, "invalid coding: expected 0, 1 or 2", NULL);
        goto out;
    }
    if (charset.v &&
        (charset.len >= sizeof charset_buf || memchr(charset.v, '\0', charset.len))) {
        err = JF_ERR_NOTFOUND;
        reject(rej, 415, "unsupported charset", NULL);
        goto out;
    }
    if (charset.v) {
        memcpy(charset_buf, charset.v, charset.len);
        charset_buf[charset.len] = '\0';
    }

    st = calloc(1, sizeof *st);
    if (!st) {
        err = JF_ERR_NOMEM;
        reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    jf_buf_init(&st->id, JF_WEBHOOK_MAX_MSG_ID);
    jf_buf_init(&st->from, JF_KANNEL_MAX_ADDR);
    jf_buf_init(&st->to, JF_KANNEL_MAX_ADDR);
    jf_buf_init(&st->text, JF_WEBHOOK_MAX_BODY);

    err = jf_webhook_kannel_decode_text(coding, charset.v ? charset_buf : NULL, text.v,
                                        text.len, &st->text);
    if (err == JF_ERR_NOTFOUND) {
        reject(rej, 415,
               coding == JF_KANNEL_CODING_8BIT
                   ? "unsupported coding: 8-bit binary messages are not supported"
                   : "unsupported charset: expected UTF-8, UTF-16BE (UCS-2), ISO-8859-1, "
                     "WINDOWS-1252, GB2312, GBK or GB18030",
               NULL);
        goto out;
    }
    if (err == JF_ERR_PARSE) {
        reject(rej, 400, "message text is not valid in its charset", NULL);
        goto out;
    }
    if (err == JF_ERR_TOOBIG) {
        reject(rej, 413, "message text too long", NULL);
        goto out;
    }
    if (!err)
        err = copy_value(&st->id, id);
    if (!err)
        err = copy_value(&st->from, from);
    if (!err && to.v) {
        err = copy_value(&st->to, to);
        st->has_to = true;
    }
    /* Make sure an empty text is still a string. */
    if (!err && !st->text.data)
        err = jf_buf_appends(&st->text, "");
    if (err) {
        reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }

    msg->msg_id = st->id.data;
    msg->sender = st->from.data;
    msg->recipient = st->has_to ? st->to.data : NULL;
    msg->text = st->text.data;
    *n = 1;
    *state = st;
    st = NULL;
    err = JF_ERR_OK;
out:
    if (err)
        memset(msg, 0, sizeof *msg);
    kannel_release(st);
    kquery_free(&q);
    return err;
}

static jf_err kannel_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                jf_webhook_reply *out)
{
    (void)ch;
    (void)state;
    jf_err err = JF_ERR_INVAL;

    if (!out)
        goto out;
    if (!text) {
        /* No reply SMS: an empty body, which smsbox drops with omit-empty = true. */
        err = jf_webhook_reply_text(out, 200, "");
        goto out;
    }
    err = jf_webhook_kannel_render_reply(text, &out->body);
    if (err)
        goto out;
    out->status = 200;
    out->content_type = "text/xml; charset=utf-8";
out:
    return err;
}

/* ---- sending ------------------------------------------------------------------------ */

/* append_url_encoded - s with everything but RFC 3986 unreserved characters %-encoded. */
static jf_err append_url_encoded(jf_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    jf_err err = JF_ERR_OK;
    for (const uint8_t *p = (const uint8_t *)s; *p && !err; p++) {
        uint8_t c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            char ch = (char)c;
            err = jf_buf_append(out, &ch, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            err = jf_buf_append(out, e, sizeof e);
        }
    }
    return err;
}

/* True for an address sendsms can deliver to: an optional '+' and 3 to 32 digits. A
 * space would make smsbox send to several numbers, so nothing else passes. */
static bool send_addr_ok(const char *a)
{
    size_t n;
    if (*a == '+')
        a++;
    n = strlen(a);
    return n >= 3 && n <= 32 && strspn(a, "0123456789") == n;
}

/* origin_len - the length of "scheme://authority" at the start of url, or 0. */
static size_t origin_len(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep || sep == url)
        return 0;
    return (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
}

static jf_err kannel_send_request(const jf_webhook_channel *ch, const char *token,
                                  const char *address, const char *text, jf_webhook_http *out)
{
    (void)token;
    jf_err err = JF_ERR_INVAL;
    const char *base = ch ? jf_webhook_channel_get(ch, "sendsms_url") : NULL;
    const char *api_base = ch ? jf_webhook_channel_get(ch, "api_base") : NULL;
    const char *rest;

    if (!out || !address || !text)
        goto out;
    if (!base || !origin_len(base)) {
        err = JF_ERR_CONFIG;
        goto out;
    }
    if (!send_addr_ok(address) || !text[0] || !jf_webhook_utf8_valid(text, strlen(text)))
        goto out;
    jf_buf_reset(&out->url);
    out->method = "GET";
    out->content_type = NULL;
    out->nheaders = 0;
    jf_buf_reset(&out->body);

    rest = base;
    if (api_base) {
        /* The test's or proxy's origin, sendsms_url's path and query (its credentials). */
        size_t alen = strlen(api_base);
        while (alen > 0 && api_base[alen - 1] == '/')
            alen--;
        err = jf_buf_append(&out->url, api_base, alen);
        if (err)
            goto out;
        rest = base + origin_len(base);
    }
    err = jf_buf_appends(&out->url, rest);
    if (!err) {
        char last = out->url.len ? out->url.data[out->url.len - 1] : '\0';
        if (!strchr(out->url.data, '?'))
            err = jf_buf_appends(&out->url, "?");
        else if (last != '?' && last != '&')
            err = jf_buf_appends(&out->url, "&");
    }
    if (!err)
        err = jf_buf_appends(&out->url, "to=");
    if (!err)
        err = append_url_encoded(&out->url, address);
    if (!err)
        err = jf_buf_appends(&out->url, "&text=");
    if (!err)
        err = append_url_encoded(&out->url, text);
    /* smsbox recodes the UTF-8 text to UTF-16BE and sends it as UCS-2. */
    if (!err)
        err = jf_buf_appends(&out->url, "&charset=UTF-8&coding=2");
out:
    if (err && out)
        jf_buf_reset(&out->url);
    return err;
}

/* retry_after_seconds - delta-seconds of a Retry-After header; 0 when absent or a date. */
static int retry_after_seconds(const char *v)
{
    long s = 0;
    if (!v)
        return 0;
    v += strspn(v, " \t");
    if (*v < '0' || *v > '9')
        return 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        s = s * 10 + (*v - '0');
        if (s > 86400)
            return 86400;
    }
    return (int)s;
}

static void kannel_send_result(long status, const char *retry_after, const char *body,
                               size_t len, jf_send_result *res)
{
    char said[SEND_ERROR_BODY_MAX + 1];
    size_t n = 0;

    if (!res)
        return;
    memset(res, 0, sizeof *res);
    /* smsbox's answer is a short line ("0: Accepted for delivery", "Not routable. Do not
     * try again.", "Authorization failed for sendsms"); keep its printable start, with
     * digit runs masked in case a version echoes a number. */
    for (size_t i = 0; body && i < len && n < SEND_ERROR_BODY_MAX; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c == '\n' || c == '\r')
            break;
        said[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    said[n] = '\0';
    for (size_t i = 0; i < n;) {
        size_t run = strspn(said + i, "0123456789");
        if (run >= 4)
            memset(said + i, '#', run);
        i += run ? run : 1;
    }

    if (status >= 200 && status < 300) {
        /* smsbox answers 2xx only when bearerbox took the message ("0: Accepted for
         * delivery", "3: Queued for later delivery", "Sent."). */
        res->verdict = JF_SEND_OK;
        return;
    }
    if (status == 429 || status >= 500 || status < 100) {
        res->verdict = JF_SEND_RETRY;
        res->retry_after = retry_after_seconds(retry_after);
    } else {
        res->verdict = JF_SEND_FAIL;
    }
    if (status < 100)
        snprintf(res->error, sizeof res->error, "kannel sendsms: no HTTP answer");
    else
        snprintf(res->error, sizeof res->error, "kannel sendsms: HTTP %ld: %s", status, said);
}

static const jf_webhook_setting_spec kannel_settings[] = {
    {"key", "JIANFU_KANNEL_KEY", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "shared secret that the sms-service URL carries as key=...: authenticates smsbox"},
    {"sendsms_url", "JIANFU_KANNEL_SENDSMS_URL", JF_SETTING_SECRET,
     "smsbox sendsms URL with username and password, e.g. "
     "http://127.0.0.1:13013/cgi-bin/sendsms?username=jianfu&password=...: sends outbox "
     "messages"},
    {"api_base", "JIANFU_KANNEL_API_BASE", 0,
     "replaces scheme://host:port of sendsms_url (a local fake in tests, a proxy)"},
};

const jf_webhook_adapter jf_webhook_kannel_adapter = {
    .kind = "kannel",
    .methods = JF_WEBHOOK_GET | JF_WEBHOOK_POST,
    .inline_ack = true,
    .settings = kannel_settings,
    .nsettings = sizeof kannel_settings / sizeof kannel_settings[0],
    .receive = kannel_receive,
    .render_ack = kannel_render_ack,
    .release = kannel_release,
    .send_request = kannel_send_request,
    .send_result = kannel_send_result,
};
