/* wxmsg.c - WeCom/WeChat safe-mode callbacks: URL check, decryption, encrypted replies. */
#include "webhook/wxmsg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/crypto.h"
#include "webhook/form.h"
#include "webhook/wxcrypt.h"
#include "webhook/xml.h"

#define STR(x) #x
#define XSTR(x) STR(x)
#define TEXT_PLAIN "text/plain; charset=utf-8"
#define REPLY_TYPE "text/xml; charset=utf-8"
/* The passive reply's plaintext: a few short fields around the text. */
#define MAX_REPLY_PLAIN (JF_WEBHOOK_MAX_REPLY / 2)

/* The channel's settings, resolved. */
typedef struct {
    const char *token;
    const char *receive_id;
    jf_wxcrypt_key key;
} wx_keys;

/* Parsed request state: the decrypted message, which the jf_inbound borrows, and the
 * channel's keys as receive resolved them, so that the passive reply does not parse the
 * EncodingAESKey a second time. */
typedef struct {
    jf_xml inner;
    int64_t now; /* the time of receipt, the timestamp of the passive reply */
    wx_keys keys;
} wxmsg_state;

/* Content types a POST may carry, compared without parameters and case. */
static const char *const xml_types[] = {"text/xml", "application/xml"};

/* reject - render a plain-text reject of this status: a, then b (may be NULL), then c
 * (may be NULL). None may carry request data. If even that fails the reply is a bare 500. */
static void reject(jf_webhook_reply *r, unsigned status, const char *a, const char *b,
                   const char *c)
{
    jf_err err = jf_webhook_reply_text(r, status, a);
    if (!err && b)
        err = jf_buf_appends(&r->body, b);
    if (!err && c)
        err = jf_buf_appends(&r->body, c);
    if (err) {
        jf_buf_reset(&r->body);
        r->status = 500;
        r->content_type = TEXT_PLAIN;
    }
}

static bool content_type_ok(const char *ct)
{
    size_t n;

    if (!ct)
        return false;
    ct += strspn(ct, " \t");
    n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof xml_types / sizeof xml_types[0]; i++) {
        if (strlen(xml_types[i]) == n && strncasecmp(ct, xml_types[i], n) == 0)
            return true;
    }
    return false;
}

/* True when id is 1..JF_WEBHOOK_MAX_MSG_ID of A-Z a-z 0-9 _ - (MsgId is a 64-bit number;
 * the rest is slack). It becomes an idempotency key, so nothing else is let through. */
static bool msg_id_ok(const char *id)
{
    size_t n = strnlen(id, JF_WEBHOOK_MAX_MSG_ID + 1);
    if (n == 0 || n > JF_WEBHOOK_MAX_MSG_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* True for WeChat's plain echostr: 1..JF_WXMSG_MAX_ECHOSTR of A-Z a-z 0-9 _ - (in practice
 * a decimal number). Only this shape is ever echoed. */
static bool echostr_ok(const char *s)
{
    return msg_id_ok(s) && strlen(s) <= JF_WXMSG_MAX_ECHOSTR;
}

/* load_keys_or_respond - resolve the channel's settings; on failure a 500 names the
 * setting (never its value). */
static jf_err load_keys_or_respond(const jf_wxmsg_flavour *f, const jf_webhook_channel *ch,
                                   wx_keys *k, jf_webhook_reply *rej)
{
    static const char *const required[] = {"token", "aes_key", "receive_id"};

    memset(k, 0, sizeof *k);
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!jf_webhook_channel_get(ch, required[i])) {
            if (rej)
                reject(rej, 500, f->label, " channel has no setting ", required[i]);
            return JF_ERR_CONFIG;
        }
    }
    k->token = jf_webhook_channel_get(ch, "token");
    k->receive_id = jf_webhook_channel_get(ch, "receive_id");
    if (jf_wxcrypt_key_parse(jf_webhook_channel_get(ch, "aes_key"), &k->key)) {
        if (rej)
            reject(rej, 500, f->label,
                   " channel setting aes_key is not a 43-character EncodingAESKey", NULL);
        return JF_ERR_CONFIG;
    }
    if (strlen(k->receive_id) > JF_WXCRYPT_MAX_RECEIVE_ID) {
        if (rej)
            reject(rej, 500, f->label, " channel setting receive_id is too long", NULL);
        jf_wxcrypt_key_wipe(&k->key);
        return JF_ERR_CONFIG;
    }
    return JF_ERR_OK;
}

/* require_params_or_respond - each name of names must be a query parameter; the first
 * that is missing or empty is named in a 400. */
static jf_err require_params_or_respond(const jf_form *q, const char *const *names, size_t n,
                                        jf_webhook_reply *rej)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = jf_webhook_form_get(q, names[i]);
        if (!v || !v[0]) {
            reject(rej, 400, "missing required query parameter ", names[i], NULL);
            return JF_ERR_PARSE;
        }
    }
    return JF_ERR_OK;
}

/* check_signature_or_respond - verify sig over the parts, then the timestamp's freshness;
 * a 400, 403 or 500 says which failed. */
static jf_err check_signature_or_respond(const jf_wxmsg_flavour *f, const wx_keys *k,
                                         const char *sig_name, const char *sig,
                                         const char *timestamp, const char *nonce,
                                         const char *encrypt, int64_t now,
                                         jf_webhook_reply *rej)
{
    jf_err err = jf_wxcrypt_verify(k->token, timestamp, nonce, encrypt, sig);
    if (err == JF_ERR_AUTH) {
        reject(rej, 403, "invalid ", sig_name, NULL);
        return err;
    }
    if (err == JF_ERR_TOOBIG) {
        reject(rej, 400, "timestamp, nonce or encrypted message too long", NULL, NULL);
        return err;
    }
    if (err) {
        reject(rej, 500, "internal error: could not compute the ", f->label, " signature");
        return err;
    }
    err = jf_wxcrypt_fresh(timestamp, now, JF_WXMSG_MAX_SKEW);
    if (err == JF_ERR_PARSE) {
        reject(rej, 400, "invalid timestamp: expected Unix seconds", NULL, NULL);
        return err;
    }
    if (err == JF_ERR_RANGE) {
        reject(rej, 403,
               "stale timestamp: more than " XSTR(
                   JF_WXMSG_MAX_SKEW) " seconds from the server "
                                      "clock; a replayed or delayed request is refused (check "
                                      "the server's clock)",
               NULL, NULL);
        return err;
    }
    return err;
}

/* decrypt_or_respond - decrypt len bytes of encrypt into plain, naming what failed. */
static jf_err decrypt_or_respond(const wx_keys *k, const char *what, const char *encrypt,
                                 size_t len, jf_buf *plain, jf_webhook_reply *rej)
{
    const char *why = NULL;
    jf_err err = jf_wxcrypt_decrypt(&k->key, encrypt, len, k->receive_id, plain, &why);
    if (err == JF_ERR_PARSE)
        reject(rej, 400, what, ": ", why);
    else if (err == JF_ERR_AUTH)
        reject(rej, 403, what, ": ", why);
    else if (err == JF_ERR_TOOBIG)
        reject(rej, 413, what, ": ", why);
    else if (err)
        reject(rej, 500, "internal error: ", what, " could not be decrypted");
    return err;
}

/* url_check - the GET handshake: verify, then echo (WeCom: the decrypted echostr). */
static jf_err url_check(const jf_wxmsg_flavour *f, const wx_keys *k, const jf_form *q,
                        int64_t now, jf_webhook_reply *rej)
{
    jf_err err;
    jf_buf plain;
    const char *names[] = {f->get_signature_param, "timestamp", "nonce", "echostr"};

    jf_buf_init(&plain, JF_WEBHOOK_MAX_REPLY);
    err = require_params_or_respond(q, names, sizeof names / sizeof names[0], rej);
    if (err)
        goto out;
    const char *echostr = jf_webhook_form_get(q, "echostr");
    err = check_signature_or_respond(
        f, k, f->get_signature_param, jf_webhook_form_get(q, f->get_signature_param),
        jf_webhook_form_get(q, "timestamp"), jf_webhook_form_get(q, "nonce"),
        f->echostr_encrypted ? echostr : NULL, now, rej);
    if (err)
        goto out;
    if (f->echostr_encrypted) {
        err = decrypt_or_respond(k, "echostr", echostr, strlen(echostr), &plain, rej);
        if (err)
            goto out;
        if (plain.len == 0 || !jf_webhook_xml_text_ok(plain.data, plain.len)) {
            err = JF_ERR_PARSE;
            reject(rej, 400, "decrypted echostr is empty or not text", NULL, NULL);
            goto out;
        }
    } else {
        if (!echostr_ok(echostr)) {
            err = JF_ERR_PARSE;
            reject(rej, 400,
                   "invalid echostr: expected 1 to " XSTR(
                       JF_WXMSG_MAX_ECHOSTR) " ASCII letters and digits",
                   NULL, NULL);
            goto out;
        }
        err = jf_buf_appends(&plain, echostr);
        if (err)
            goto out;
    }
    err = jf_webhook_reply_text(rej, 200, plain.data);
    if (err)
        reject(rej, 500, "internal error: could not render the URL check answer", NULL, NULL);
out:
    jf_buf_free(&plain);
    return err;
}

/* message - the POST: verify, decrypt, parse; *st receives the state on success. */
static jf_err message(const jf_wxmsg_flavour *f, const wx_keys *k, const jf_form *q,
                      const jf_webhook_request *req, jf_inbound *msg, size_t *n,
                      wxmsg_state **st, jf_webhook_reply *rej)
{
    static const char *const names[] = {"msg_signature", "timestamp", "nonce"};
    jf_err err = JF_ERR_PARSE;
    jf_xml outer;
    jf_buf plain;
    wxmsg_state *s = NULL;
    const char *why = NULL;

    memset(&outer, 0, sizeof outer);
    jf_buf_init(&plain, JF_WXCRYPT_MAX_MSG);
    if (f->encrypt_type_param) {
        const char *mode = jf_webhook_form_get(q, f->encrypt_type_param);
        if (!mode || strcmp(mode, "aes") != 0) {
            reject(rej, 400, f->label,
                   " plaintext mode is not accepted: set message encryption to safe mode "
                   "(安全模式), which signs the message body",
                   NULL);
            goto out;
        }
    }
    err = require_params_or_respond(q, names, sizeof names / sizeof names[0], rej);
    if (err)
        goto out;

    err = jf_webhook_xml_parse(req->body, req->body_len, "xml", &outer, &why);
    if (err == JF_ERR_PARSE || err == JF_ERR_TOOBIG) {
        reject(rej, err == JF_ERR_PARSE ? 400 : 413, "malformed XML body: ", why, NULL);
        goto out;
    }
    if (err) {
        reject(rej, 500, "internal error: ", why, NULL);
        goto out;
    }
    const jf_xml_field *enc = jf_webhook_xml_field(&outer, "Encrypt");
    if (!enc || enc->nested || enc->value_len == 0) {
        err = JF_ERR_PARSE;
        reject(rej, 400, "missing required element Encrypt", NULL, NULL);
        goto out;
    }
    err = check_signature_or_respond(
        f, k, "msg_signature", jf_webhook_form_get(q, "msg_signature"),
        jf_webhook_form_get(q, "timestamp"), jf_webhook_form_get(q, "nonce"), enc->value,
        req->now, rej);
    if (err)
        goto out;
    err = decrypt_or_respond(k, "Encrypt", enc->value, enc->value_len, &plain, rej);
    if (err)
        goto out;

    s = calloc(1, sizeof *s);
    if (!s) {
        err = JF_ERR_NOMEM;
        reject(rej, 500, "internal error: out of memory", NULL, NULL);
        goto out;
    }
    s->now = req->now;
    err = jf_webhook_xml_parse(plain.data, plain.len, "xml", &s->inner, &why);
    if (err) {
        reject(rej, err == JF_ERR_NOMEM ? 500 : 400, "malformed decrypted message: ", why,
               NULL);
        goto out;
    }
    const char *type = jf_webhook_xml_get(&s->inner, "MsgType");
    if (!type || !type[0]) {
        err = JF_ERR_PARSE;
        reject(rej, 400, "decrypted message has no MsgType", NULL, NULL);
        goto out;
    }
    if (strcmp(type, "text") != 0) {
        /* Events (subscribe, enter_agent, ...) and media: nothing to store, and an empty
         * answer tells the provider not to retry and not to reply. */
        err = jf_webhook_reply_text(rej, 200, "");
        if (err)
            reject(rej, 500, "internal error: could not render the reply", NULL, NULL);
        goto out;
    }
    const char *id = jf_webhook_xml_get(&s->inner, "MsgId");
    const char *from = jf_webhook_xml_get(&s->inner, "FromUserName");
    const char *content = jf_webhook_xml_get(&s->inner, "Content");
    const char *to = jf_webhook_xml_get(&s->inner, "ToUserName");
    const char *agent = jf_webhook_xml_get(&s->inner, "AgentID");
    err = JF_ERR_PARSE;
    if (!id || !msg_id_ok(id)) {
        reject(rej, 400,
               "decrypted message has a missing or invalid MsgId: expected 1 to " XSTR(
                   JF_WEBHOOK_MAX_MSG_ID) " ASCII letters, digits, _ or -",
               NULL, NULL);
        goto out;
    }
    if (!from || !from[0]) {
        reject(rej, 400, "decrypted message has no FromUserName", NULL, NULL);
        goto out;
    }
    if (!content) {
        reject(rej, 400, "decrypted text message has no Content", NULL, NULL);
        goto out;
    }
    msg->msg_id = id;
    msg->sender = from;
    msg->recipient = agent && agent[0] ? agent : (to && to[0] ? to : NULL);
    msg->text = content;
    *n = 1;
    *st = s;
    s = NULL;
    err = JF_ERR_OK;
out:
    jf_webhook_wxmsg_release(s);
    jf_webhook_xml_free(&outer);
    jf_buf_free(&plain);
    return err;
}

jf_err jf_webhook_wxmsg_receive(const jf_wxmsg_flavour *f, const jf_webhook_channel *ch,
                                const jf_webhook_request *req, jf_inbound *msgs, size_t max,
                                size_t *n, void **state, jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_INVAL;
    jf_form q = {NULL, 0};
    wx_keys k;
    wxmsg_state *st = NULL;
    const char *why = NULL;
    bool get = false;

    memset(&k, 0, sizeof k);
    if (!f || !req || !msgs || !n || !state || !rej || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(msgs, 0, sizeof *msgs);

    err = load_keys_or_respond(f, ch, &k, rej);
    if (err)
        goto out;
    if (req->method && strcmp(req->method, "GET") == 0) {
        get = true;
    } else if (!req->method || strcmp(req->method, "POST") != 0) {
        err = JF_ERR_INVAL;
        reject(rej, 405, "method not allowed: ", f->label, " callbacks are GET or POST");
        goto out;
    }
    if (!get) {
        /* Cheap refusals before any parsing. */
        if (!content_type_ok(req->content_type)) {
            err = JF_ERR_PARSE;
            reject(rej, 415, "unsupported content type: expected text/xml", NULL, NULL);
            goto out;
        }
        if (req->body_len > JF_WEBHOOK_MAX_BODY) {
            err = JF_ERR_TOOBIG;
            reject(rej, 413, "request body too large", NULL, NULL);
            goto out;
        }
        if (!req->body && req->body_len > 0) {
            err = JF_ERR_INVAL;
            reject(rej, 500, "internal error: request incomplete", NULL, NULL);
            goto out;
        }
    }
    const char *query = req->query ? req->query : "";
    err = jf_webhook_form_parse_detail(query, strlen(query), &q, &why);
    if (err) {
        reject(rej, err == JF_ERR_PARSE ? 400 : (err == JF_ERR_TOOBIG ? 413 : 500),
               "malformed query string: ", why, NULL);
        goto out;
    }
    if (get)
        err = url_check(f, &k, &q, req->now, rej);
    else
        err = message(f, &k, &q, req, msgs, n, &st, rej);
    if (!err && st) {
        st->keys = k; /* the state owns the key now; wiped in release */
        memset(&k, 0, sizeof k);
    }
    if (!err)
        *state = st;
out:
    if (err) {
        memset(msgs, 0, sizeof *msgs);
        *n = 0;
    }
    jf_wxcrypt_key_wipe(&k.key);
    jf_webhook_form_free(&q);
    return err;
}

void jf_webhook_wxmsg_release(void *state)
{
    wxmsg_state *s = state;
    if (!s)
        return;
    jf_webhook_xml_free(&s->inner);
    jf_wxcrypt_key_wipe(&s->keys.key);
    free(s);
}

jf_err jf_webhook_wxmsg_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                   jf_webhook_reply *out)
{
    jf_err err = JF_ERR_INVAL;
    wxmsg_state *s = state;
    jf_buf plain;
    jf_buf enc;
    char ts[24];
    char nonce[JF_WXCRYPT_NONCE_LEN + 1];
    char sig[JF_WXCRYPT_SIG_LEN + 1];

    jf_buf_init(&plain, MAX_REPLY_PLAIN);
    jf_buf_init(&enc, JF_WEBHOOK_MAX_REPLY);
    if (!out)
        return JF_ERR_INVAL;
    jf_buf_reset(&out->body);
    if (!text) {
        /* Nothing to say: an empty 200 is the providers' "received, no reply". */
        out->status = 200;
        out->content_type = TEXT_PLAIN;
        err = JF_ERR_OK;
        goto out;
    }
    if (!s)
        goto out;
    (void)ch; /* the keys were resolved from ch by receive and kept in the state */
    const wx_keys *k = &s->keys;
    const char *sender = jf_webhook_xml_get(&s->inner, "FromUserName");
    const char *account = jf_webhook_xml_get(&s->inner, "ToUserName");
    if (!sender || !account) {
        err = JF_ERR_INVAL;
        goto out;
    }
    snprintf(ts, sizeof ts, "%lld", (long long)s->now);

    /* The reply goes to the sender, from the account the sender wrote to (WeCom: the corp
     * id; WeChat: the account's original id gh_...). */
    err = jf_buf_appends(&plain, "<xml>");
    if (!err)
        err = jf_webhook_xml_append_cdata(&plain, "ToUserName", sender);
    if (!err)
        err = jf_webhook_xml_append_cdata(&plain, "FromUserName", account);
    if (!err)
        err = jf_webhook_xml_append_text(&plain, "CreateTime", ts);
    if (!err)
        err = jf_webhook_xml_append_cdata(&plain, "MsgType", "text");
    if (!err)
        err = jf_webhook_xml_append_cdata(&plain, "Content", text);
    if (!err)
        err = jf_buf_appends(&plain, "</xml>");
    if (!err)
        err = jf_wxcrypt_encrypt(&k->key, NULL, plain.data, plain.len, k->receive_id, &enc);
    if (!err)
        err = jf_wxcrypt_nonce(nonce);
    if (!err)
        err = jf_wxcrypt_signature(k->token, ts, nonce, enc.data, sig);
    if (!err)
        err = jf_buf_appends(&out->body, "<xml>");
    if (!err)
        err = jf_webhook_xml_append_cdata(&out->body, "Encrypt", enc.data);
    if (!err)
        err = jf_webhook_xml_append_cdata(&out->body, "MsgSignature", sig);
    if (!err)
        err = jf_webhook_xml_append_text(&out->body, "TimeStamp", ts);
    if (!err)
        err = jf_webhook_xml_append_cdata(&out->body, "Nonce", nonce);
    if (!err)
        err = jf_buf_appends(&out->body, "</xml>");
    if (err)
        goto out;
    out->status = 200;
    out->content_type = REPLY_TYPE;
out:
    if (err)
        jf_buf_reset(&out->body);
    jf_buf_free(&plain);
    jf_buf_free(&enc);
    return err;
}
