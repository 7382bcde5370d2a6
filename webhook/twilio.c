/* twilio.c - Twilio inbound SMS webhooks: signature, form parsing, TwiML replies. */
#include "webhook/twilio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <strings.h>

#include "core/crypto.h"

_Static_assert(JF_WEBHOOK_MAX_BODY <= JF_FORM_MAX_LEN,
               "every body the gateway accepts must be parseable as a form");
_Static_assert(JF_TWILIO_SIG_LEN == (JF_SHA1_LEN + 2) / 3 * 4,
               "a signature is the padded base64 of one SHA-1 MAC");

#define TWIML_PROLOG "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
#define TWIML_EPILOG "</Response>"
#define FORM_CONTENT_TYPE "application/x-www-form-urlencoded"
#define STR(x) #x
#define XSTR(x) STR(x)
/* clang-format off */
#define WHY_BAD_SID \
    "invalid MessageSid: expected 1 to " XSTR(JF_WEBHOOK_MAX_MSG_ID) " ASCII letters and digits"
/* clang-format on */

/* ---- signature ---------------------------------------------------------------------- */

/* Order fields by name, then by value, in byte order (which for UTF-8 is code point
 * order, the order Twilio's SDKs sort in). */
static int field_cmp(const void *pa, const void *pb)
{
    const jf_form_field *a = *(const jf_form_field *const *)pa;
    const jf_form_field *b = *(const jf_form_field *const *)pb;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->value, b->value);
}

/* concat_params - append every parameter of params, sorted, as name + value to cat.
 * Sorts a copy of the pointers so that params itself keeps the body's order. */
static jf_err concat_params(const jf_form *params, jf_buf *cat)
{
    jf_err err = JF_ERR_TOOBIG;
    const jf_form_field *sorted[JF_FORM_MAX_FIELDS];

    if (params->n > JF_FORM_MAX_FIELDS)
        goto out;
    for (size_t i = 0; i < params->n; i++)
        sorted[i] = &params->fields[i];
    if (params->n > 1)
        qsort(sorted, params->n, sizeof sorted[0], field_cmp);
    err = JF_ERR_OK;
    for (size_t i = 0; i < params->n && !err; i++) {
        err = jf_buf_appends(cat, sorted[i]->name);
        if (!err)
            err = jf_buf_appends(cat, sorted[i]->value);
    }
out:
    return err;
}

/* sign - out receives base64(HMAC-SHA1(token, url[0..url_len) + cat)). */
static jf_err sign(const char *token, const char *url, size_t url_len, const jf_buf *cat,
                   char out[JF_TWILIO_SIG_LEN + 1])
{
    jf_err err = JF_ERR_TOOBIG;
    jf_buf msg;
    uint8_t mac[JF_SHA1_LEN];
    size_t olen = 0;

    jf_buf_init(&msg, JF_TWILIO_MAX_SIGNED);
    if (url_len > JF_TWILIO_MAX_URL)
        goto out;
    err = jf_buf_append(&msg, url, url_len);
    if (err)
        goto out;
    err = jf_buf_append(&msg, cat->data ? cat->data : "", cat->len);
    if (err)
        goto out;
    err = jf_crypto_hmac_sha1(token, strlen(token), msg.data, msg.len, mac);
    if (err)
        goto out;
    err = jf_crypto_base64_encode(mac, sizeof mac, out, JF_TWILIO_SIG_LEN + 1, &olen);
    if (err)
        goto out;
    if (olen != JF_TWILIO_SIG_LEN)
        err = JF_ERR_CRYPTO;
out:
    jf_crypto_zeroize(mac, sizeof mac);
    jf_buf_free(&msg);
    return err;
}

static bool sign_args_ok(const char *auth_token, const char *url, const jf_form *params)
{
    return auth_token && auth_token[0] && url && params && (params->fields || !params->n);
}

jf_err jf_webhook_twilio_signature(const char *auth_token, const char *url,
                                   const jf_form *params, char out[JF_TWILIO_SIG_LEN + 1])
{
    jf_err err = JF_ERR_INVAL;
    jf_buf cat;

    jf_buf_init(&cat, JF_TWILIO_MAX_SIGNED);
    if (!sign_args_ok(auth_token, url, params) || !out)
        goto out;
    out[0] = '\0';
    err = concat_params(params, &cat);
    if (err)
        goto out;
    err = sign(auth_token, url, strlen(url), &cat, out);
out:
    jf_buf_free(&cat);
    return err;
}

/* The port a URL without one is reached on, by scheme. */
static const struct {
    const char *scheme;
    const char *port; /* with its ':' */
} default_ports[] = {
    {"https", ":443"},
    {"http", ":80"},
};

/* url_port_variant - alt receives url with its port toggled: an explicit port (with its
 * ':') removed, or the scheme's default port inserted after the host when there is none.
 * JF_ERR_NOTFOUND when url has no "scheme://" or no port is known for its scheme. */
static jf_err url_port_variant(const char *url, jf_buf *alt)
{
    jf_err err = JF_ERR_NOTFOUND;
    const char *sep = strstr(url, "://");
    const char *auth = NULL;
    const char *auth_end = NULL;
    const char *host = NULL;
    const char *colon = NULL;

    if (!sep)
        goto out;
    auth = sep + 3;
    auth_end = auth + strcspn(auth, "/?#");
    /* Skip any userinfo: the host starts after the last '@' of the authority. */
    host = auth;
    for (const char *p = auth; p < auth_end; p++) {
        if (*p == '@')
            host = p + 1;
    }
    if (*host == '[') {
        /* An IPv6 literal: its own colons are inside the brackets. */
        const char *close = memchr(host, ']', (size_t)(auth_end - host));
        if (close && close + 1 < auth_end && close[1] == ':')
            colon = close + 1;
    } else {
        for (const char *p = host; p < auth_end; p++) {
            if (*p == ':')
                colon = p;
        }
    }

    if (colon) {
        err = jf_buf_append(alt, url, (size_t)(colon - url));
        if (!err)
            err = jf_buf_appends(alt, auth_end);
        goto out;
    }
    size_t scheme_len = (size_t)(sep - url);
    for (size_t i = 0; i < sizeof default_ports / sizeof default_ports[0]; i++) {
        if (strlen(default_ports[i].scheme) == scheme_len &&
            strncasecmp(url, default_ports[i].scheme, scheme_len) == 0) {
            err = jf_buf_append(alt, url, (size_t)(auth_end - url));
            if (!err)
                err = jf_buf_appends(alt, default_ports[i].port);
            if (!err)
                err = jf_buf_appends(alt, auth_end);
            goto out;
        }
    }
out:
    return err;
}

jf_err jf_webhook_twilio_verify(const char *auth_token, const char *url, const jf_form *params,
                                const char *header_sig)
{
    jf_err err = JF_ERR_INVAL;
    jf_buf cat;
    jf_buf alt;
    char expected[JF_TWILIO_SIG_LEN + 1] = {0};
    char expected_alt[JF_TWILIO_SIG_LEN + 1] = {0};
    bool match = false;

    jf_buf_init(&cat, JF_TWILIO_MAX_SIGNED);
    jf_buf_init(&alt, JF_TWILIO_MAX_URL + 8);
    if (!sign_args_ok(auth_token, url, params))
        goto out;
    /* The length of a signature is public; only its bytes need a constant-time compare. */
    if (!header_sig || strnlen(header_sig, JF_TWILIO_SIG_LEN + 1) != JF_TWILIO_SIG_LEN) {
        err = JF_ERR_AUTH;
        goto out;
    }
    err = concat_params(params, &cat);
    if (err)
        goto out;
    err = sign(auth_token, url, strlen(url), &cat, expected);
    if (err)
        goto out;
    match = jf_crypto_equal(expected, header_sig, JF_TWILIO_SIG_LEN);

    err = url_port_variant(url, &alt);
    if (err == JF_ERR_OK) {
        err = sign(auth_token, alt.data, alt.len, &cat, expected_alt);
        if (err)
            goto out;
        /* No short cut: both comparisons always run. */
        match = jf_crypto_equal(expected_alt, header_sig, JF_TWILIO_SIG_LEN) | match;
    } else if (err != JF_ERR_NOTFOUND) {
        goto out;
    }
    err = match ? JF_ERR_OK : JF_ERR_AUTH;
out:
    jf_crypto_zeroize(expected, sizeof expected);
    jf_crypto_zeroize(expected_alt, sizeof expected_alt);
    jf_buf_free(&cat);
    jf_buf_free(&alt);
    return err;
}

/* ---- TwiML -------------------------------------------------------------------------- */

/* The XML entity for each byte that must be escaped in character data and attribute
 * values; NULL for bytes that stand for themselves. */
static const char *const xml_entity[256] = {
    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&apos;",
};

/* True when text, known to be valid UTF-8, holds only characters XML 1.0 allows
 * (production [2] Char): no C0 controls but tab, LF and CR, and no U+FFFE or U+FFFF. */
static bool xml_chars_ok(const char *text)
{
    const uint8_t *p = (const uint8_t *)text;
    for (; *p; p++) {
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
        if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
            return false;
    }
    return true;
}

/* append_xml_escaped - append text to out with the bytes of xml_entity replaced, copying
 * the runs in between in one piece. */
static jf_err append_xml_escaped(jf_buf *out, const char *text)
{
    jf_err err = JF_ERR_OK;
    const char *run = text;
    const char *p = text;

    for (; *p && !err; p++) {
        const char *ent = xml_entity[(uint8_t)*p];
        if (!ent)
            continue;
        err = jf_buf_append(out, run, (size_t)(p - run));
        if (!err)
            err = jf_buf_appends(out, ent);
        run = p + 1;
    }
    if (!err)
        err = jf_buf_append(out, run, (size_t)(p - run));
    return err;
}

jf_err jf_webhook_twilio_render_twiml(const char *text, jf_buf *out)
{
    jf_err err = JF_ERR_INVAL;

    if (!out)
        return JF_ERR_INVAL;
    jf_buf_reset(out);
    if (text && (!jf_webhook_utf8_valid(text, strlen(text)) || !xml_chars_ok(text)))
        goto out;
    err = jf_buf_appends(out, TWIML_PROLOG);
    if (!err && text)
        err = jf_buf_appends(out, "<Message>");
    if (!err && text)
        err = append_xml_escaped(out, text);
    if (!err && text)
        err = jf_buf_appends(out, "</Message>");
    if (!err)
        err = jf_buf_appends(out, TWIML_EPILOG);
out:
    if (err)
        jf_buf_reset(out);
    return err;
}

/* ---- adapter ------------------------------------------------------------------------ */

/* Parameters a Twilio SMS webhook must carry, checked in this order after the signature.
 * Body may be empty: a picture-only MMS has Body="". */
static const struct {
    const char *name;
    bool nonempty;
} required_params[] = {
    {"From", true},
    {"Body", false},
    {"MessageSid", true},
};

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

/* True for "application/x-www-form-urlencoded", in any case, with optional whitespace
 * and parameters ("; charset=utf-8"). */
static bool is_form_content_type(const char *ct)
{
    static const char want[] = FORM_CONTENT_TYPE;
    size_t n;

    if (!ct)
        return false;
    ct += strspn(ct, " \t");
    n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == sizeof want - 1 && strncasecmp(ct, want, n) == 0;
}

/* True when sid is 1..JF_WEBHOOK_MAX_MSG_ID ASCII letters and digits, the shape of every
 * Twilio SID ("SM" + 32 hex digits). It becomes an idempotency key, so nothing else is
 * let through. */
static bool msg_sid_ok(const char *sid)
{
    size_t n = strnlen(sid, JF_WEBHOOK_MAX_MSG_ID + 1);
    if (n == 0 || n > JF_WEBHOOK_MAX_MSG_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = sid[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static void twilio_release(void *state)
{
    jf_form *form = state;
    if (!form)
        return;
    jf_webhook_form_free(form);
    free(form);
}

/* twilio_receive - the adapter's receive: see the order of checks in twilio.h. Every
 * reject names the problem and never a parameter's value. */
static jf_err twilio_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                             jf_inbound *msgs, size_t max, size_t *n, void **state,
                             jf_webhook_reply *rej)
{
    jf_inbound *msg = msgs;
    jf_err err = JF_ERR_INVAL;
    jf_form *form = NULL;
    const char *why = NULL;
    const char *sig = NULL;

    if (!req || !msg || !state || !rej || !n || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(msg, 0, sizeof *msg);

    const char *token = ch ? jf_webhook_channel_get(ch, "auth_token") : NULL;
    if (!token) {
        err = JF_ERR_CONFIG;
        reject(rej, 500, "twilio channel has no auth token configured", NULL);
        goto out;
    }
    if (!req->method || strcmp(req->method, "POST") != 0) {
        reject(rej, 405, "method not allowed: Twilio webhooks are POST", NULL);
        goto out;
    }
    if (!is_form_content_type(req->content_type)) {
        reject(rej, 415, "unsupported content type: expected " FORM_CONTENT_TYPE, NULL);
        goto out;
    }
    if (req->body_len > JF_WEBHOOK_MAX_BODY) {
        err = JF_ERR_TOOBIG;
        reject(rej, 413, "request body too large", NULL);
        goto out;
    }
    if (!req->url || (!req->body && req->body_len > 0)) {
        reject(rej, 500, "internal error: request incomplete", NULL);
        goto out;
    }

    form = calloc(1, sizeof *form);
    if (!form) {
        err = JF_ERR_NOMEM;
        reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    err = jf_webhook_form_parse_detail(req->body, req->body_len, form, &why);
    if (err == JF_ERR_PARSE) {
        reject(rej, 400, "malformed form body: ", why);
        goto out;
    }
    if (err == JF_ERR_TOOBIG) {
        reject(rej, 413, "form body rejected: ", why);
        goto out;
    }
    if (err) {
        reject(rej, 500, "internal error: ", why);
        goto out;
    }

    /* The signature comes before any check of the parameters, so that a caller without
     * the auth token learns nothing about what a valid request looks like. */
    sig = req->header ? req->header(req->header_ctx, JF_TWILIO_SIGNATURE_HEADER) : NULL;
    err = jf_webhook_twilio_verify(token, req->url, form, sig);
    if (err == JF_ERR_AUTH) {
        reject(rej, 403, "invalid or missing " JF_TWILIO_SIGNATURE_HEADER, NULL);
        goto out;
    }
    if (err == JF_ERR_TOOBIG) {
        reject(rej, 414, "request URL too long", NULL);
        goto out;
    }
    if (err) {
        reject(rej, 500, "internal error: could not compute the request signature", NULL);
        goto out;
    }

    for (size_t i = 0; i < sizeof required_params / sizeof required_params[0]; i++) {
        const char *v = jf_webhook_form_get(form, required_params[i].name);
        if (!v) {
            err = JF_ERR_PARSE;
            reject(rej, 400, "missing required parameter ", required_params[i].name);
            goto out;
        }
        if (required_params[i].nonempty && !v[0]) {
            err = JF_ERR_PARSE;
            reject(rej, 400, "empty required parameter ", required_params[i].name);
            goto out;
        }
    }
    if (!msg_sid_ok(jf_webhook_form_get(form, "MessageSid"))) {
        err = JF_ERR_PARSE;
        reject(rej, 400, WHY_BAD_SID, NULL);
        goto out;
    }

    msg->msg_id = jf_webhook_form_get(form, "MessageSid");
    msg->sender = jf_webhook_form_get(form, "From");
    msg->recipient = jf_webhook_form_get(form, "To");
    msg->text = jf_webhook_form_get(form, "Body");
    *n = 1;
    *state = form;
    form = NULL;
    err = JF_ERR_OK;
out:
    if (err)
        memset(msg, 0, sizeof *msg);
    twilio_release(form);
    return err;
}

static jf_err twilio_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                jf_webhook_reply *out)
{
    (void)ch;
    (void)state;
    jf_err err = JF_ERR_INVAL;

    if (!out)
        goto out;
    err = jf_webhook_twilio_render_twiml(text, &out->body);
    if (err)
        goto out;
    out->status = 200;
    out->content_type = "application/xml; charset=utf-8";
out:
    return err;
}

static const jf_webhook_setting_spec twilio_settings[] = {
    {"auth_token", "JIANFU_TWILIO_AUTH_TOKEN", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the account's auth token: verifies X-Twilio-Signature and authenticates sends"},
    {"account_sid", "JIANFU_TWILIO_ACCOUNT_SID", 0, "the account SID (AC...), for sending"},
    {"from", "JIANFU_TWILIO_FROM", 0, "the number or messaging service SID replies come from"},
    {"api_base", "JIANFU_TWILIO_API_BASE", 0, "the API's base URL (default https://api.twilio.com)"},
};

/* Outbound: the Messages resource of Twilio's REST API, POST .../Messages.json with HTTP
 * basic authentication (account SID : auth token) and a form body To, From, Body. */
static jf_err twilio_send_request(const jf_webhook_channel *ch, const char *token,
                                  const char *address, const char *text, jf_webhook_http *out)
{
    (void)token;
    const char *sid = jf_webhook_channel_get(ch, "account_sid");
    const char *auth = jf_webhook_channel_get(ch, "auth_token");
    const char *from = jf_webhook_channel_get(ch, "from");
    const char *base = jf_webhook_channel_get(ch, "api_base");
    char cred[256], cred64[360];
    jf_err err = JF_ERR_CONFIG;

    if (!sid || !auth || !from)
        goto out;
    err = JF_ERR_TOOBIG;
    int n = snprintf(cred, sizeof cred, "%s:%s", sid, auth);
    if (n < 0 || (size_t)n >= sizeof cred)
        goto out;
    err = jf_crypto_base64_encode(cred, (size_t)n, cred64, sizeof cred64, NULL);
    if (err)
        goto out;
    n = snprintf(out->headers[0], sizeof out->headers[0], "Authorization: Basic %s", cred64);
    if (n < 0 || (size_t)n >= sizeof out->headers[0]) {
        err = JF_ERR_TOOBIG;
        goto out;
    }
    out->nheaders = 1;
    out->method = "POST";
    out->content_type = "application/x-www-form-urlencoded";
    err = jf_buf_appendf(&out->url, "%s/2010-04-01/Accounts/", base ? base : "https://api.twilio.com");
    if (!err)
        err = jf_webhook_urlencode(&out->url, sid);
    if (!err)
        err = jf_buf_appends(&out->url, "/Messages.json");
    if (!err)
        err = jf_webhook_form_add(&out->body, "To", address);
    if (!err)
        err = jf_webhook_form_add(&out->body, "From", from);
    if (!err)
        err = jf_webhook_form_add(&out->body, "Body", text);
out:
    jf_crypto_zeroize(cred, sizeof cred);
    jf_crypto_zeroize(cred64, sizeof cred64);
    return err;
}

/* Twilio answers 201 with the message; errors are JSON {"code":N,"message":"..."}. 429 and
 * 5xx are worth retrying; other 4xx (a bad number, a blocked recipient) are not. */
static void twilio_send_result(long status, const char *retry_after, const char *body,
                               size_t len, jf_send_result *res)
{
    (void)retry_after;
    memset(res, 0, sizeof *res);
    if (status >= 200 && status < 300) {
        res->verdict = JF_SEND_OK;
        return;
    }
    res->verdict = status == 429 || status >= 500 ? JF_SEND_RETRY : JF_SEND_FAIL;
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *code = j ? json_object_get(j, "code") : NULL;
    json_t *msg = j ? json_object_get(j, "message") : NULL;
    snprintf(res->error, sizeof res->error, "HTTP %ld, Twilio error %lld: %s", status,
             json_is_integer(code) ? (long long)json_integer_value(code) : 0LL,
             json_is_string(msg) ? json_string_value(msg) : "no message");
    json_decref(j);
}

const jf_webhook_adapter jf_webhook_twilio_adapter = {
    .kind = "twilio",
    .methods = JF_WEBHOOK_POST,
    .inline_ack = true,
    .settings = twilio_settings,
    .nsettings = sizeof twilio_settings / sizeof twilio_settings[0],
    .receive = twilio_receive,
    .render_ack = twilio_render_ack,
    .release = twilio_release,
    .send_request = twilio_send_request,
    .send_result = twilio_send_result,
};
