/* dingtalk.c - DingTalk: robot callbacks, event subscriptions, work notifications, robots. */
#include "webhook/dingtalk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/crypto.h"
#include "webhook/form.h"
#include "webhook/wxapi.h"
#include "webhook/wxcrypt.h"

#define STR(x) #x
#define XSTR(x) STR(x)
#define TEXT_PLAIN "text/plain; charset=utf-8"
#define JSON_TYPE "application/json; charset=utf-8"
#define EMPTY_REPLY "{\"msgtype\":\"empty\"}"
/* The plaintext every event is answered with. */
#define EVENT_SUCCESS "success"

/* A robot message, copied out of the JSON so that it can be wiped when released. */
enum { F_MSG_ID, F_SENDER, F_RECIPIENT, F_TEXT, F_COUNT };
typedef struct {
    char *f[F_COUNT];
} robot_state;

/* The robot callback's fields, in the order they are checked; the sender is the first of
 * its candidates present. */
static const char *const sender_keys[] = {"senderStaffId", "senderId"};

/* work notification answers. */
static const jf_wxapi_code send_codes[] = {
    {-1, JF_SEND_RETRY, 0},    /* system busy */
    {40014, JF_SEND_RETRY, 1}, /* invalid access_token */
    {42001, JF_SEND_RETRY, 1}, /* access_token expired */
    {90002, JF_SEND_RETRY, 0}, /* rate limits (per minute, per app, per corp) */
    {90005, JF_SEND_RETRY, 0}, {90006, JF_SEND_RETRY, 0}, {90018, JF_SEND_RETRY, 0},
};

/* gettoken answers: a wrong app key or secret (40089, 40001) is permanent. */
static const jf_wxapi_code token_codes[] = {
    {-1, JF_SEND_RETRY, 0},
    {90002, JF_SEND_RETRY, 0},
    {90018, JF_SEND_RETRY, 0},
};

/* custom robot answers. */
static const jf_wxapi_code robot_codes[] = {
    {-1, JF_SEND_RETRY, 0}, {130101, JF_SEND_RETRY, 0}, /* sending too fast */
};

/* reject - a plain-text reject: a, then b (may be NULL). Neither carries request data. */
static void reject(jf_webhook_reply *r, unsigned status, const char *a, const char *b)
{
    jf_err err = jf_webhook_reply_text(r, status, a);
    if (!err && b)
        err = jf_buf_appends(&r->body, b);
    if (err) {
        jf_buf_reset(&r->body);
        r->status = 500;
        r->content_type = TEXT_PLAIN;
    }
}

/* reply_json - replace r with a 200 JSON answer. */
static jf_err reply_json(jf_webhook_reply *r, const char *json)
{
    jf_buf_reset(&r->body);
    jf_err err = jf_buf_appends(&r->body, json);
    if (err) {
        jf_buf_reset(&r->body);
        return err;
    }
    r->status = 200;
    r->content_type = JSON_TYPE;
    return JF_ERR_OK;
}

static bool is_json_content_type(const char *ct)
{
    static const char want[] = "application/json";
    size_t n;

    if (!ct)
        return false;
    ct += strspn(ct, " \t");
    n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == sizeof want - 1 && strncasecmp(ct, want, n) == 0;
}

/* DingTalk's msgId is an opaque token ("msgXXXX==" style): 1..JF_WEBHOOK_MAX_MSG_ID of
 * base64 and a few separator characters, nothing else, as it becomes an idempotency key. */
static bool msg_id_ok(const char *id)
{
    size_t n = strnlen(id, JF_WEBHOOK_MAX_MSG_ID + 1);
    if (n == 0 || n > JF_WEBHOOK_MAX_MSG_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              strchr("+/=_.:-", c)))
            return false;
    }
    return true;
}

static const char *api_base(const jf_webhook_channel *ch)
{
    const char *b = jf_webhook_channel_get(ch, "api_base");
    return b ? b : JF_DINGTALK_DEFAULT_API_BASE;
}

/* ---- signatures ------------------------------------------------------------------------ */

jf_err jf_webhook_dingtalk_robot_sign(const char *secret, const char *timestamp,
                                      char out[JF_DINGTALK_SIGN_LEN + 1])
{
    jf_err err = JF_ERR_INVAL;
    jf_buf msg;
    uint8_t mac[JF_SHA256_LEN];
    size_t olen = 0;

    jf_buf_init(&msg, 2 * JF_DINGTALK_MAX_SIGN_INPUT + 1);
    if (!secret || !secret[0] || !timestamp || !out)
        goto out;
    out[0] = '\0';
    err = JF_ERR_TOOBIG;
    if (strnlen(secret, JF_DINGTALK_MAX_SIGN_INPUT + 1) > JF_DINGTALK_MAX_SIGN_INPUT ||
        strnlen(timestamp, JF_DINGTALK_MAX_SIGN_INPUT + 1) > JF_DINGTALK_MAX_SIGN_INPUT)
        goto out;
    err = jf_buf_appends(&msg, timestamp);
    if (!err)
        err = jf_buf_appends(&msg, "\n");
    if (!err)
        err = jf_buf_appends(&msg, secret);
    if (!err)
        err = jf_crypto_hmac_sha256(secret, strlen(secret), msg.data, msg.len, mac);
    if (!err)
        err = jf_crypto_base64_encode(mac, sizeof mac, out, JF_DINGTALK_SIGN_LEN + 1, &olen);
    if (!err && olen != JF_DINGTALK_SIGN_LEN)
        err = JF_ERR_CRYPTO;
out:
    jf_crypto_zeroize(mac, sizeof mac);
    jf_buf_free(&msg); /* it holds the secret */
    return err;
}

/* ---- robot callback -------------------------------------------------------------------- */

static void robot_release(void *state)
{
    robot_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < F_COUNT; i++) {
        if (s->f[i]) {
            jf_crypto_zeroize(s->f[i], strlen(s->f[i]));
            free(s->f[i]);
        }
    }
    free(s);
}

/* copy - a heap copy of s (may be NULL, giving NULL with JF_ERR_OK). */
static jf_err copy(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return JF_ERR_OK;
    *out = strdup(s);
    return *out ? JF_ERR_OK : JF_ERR_NOMEM;
}

/* robot - mechanism (a): verify the sign header, then parse the message. */
static jf_err robot(const jf_webhook_channel *ch, const jf_webhook_request *req,
                    const char *sign, jf_inbound *msg, size_t *n, void **state,
                    jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_CONFIG;
    char expected[JF_DINGTALK_SIGN_LEN + 1] = {0};
    json_t *doc = NULL;
    json_error_t jerr;
    robot_state *s = NULL;
    const char *secret = jf_webhook_channel_get(ch, "app_secret");
    const char *ts = req->header(req->header_ctx, JF_DINGTALK_TIMESTAMP_HEADER);

    if (!secret) {
        reject(rej, 500, "dingtalk channel has no setting app_secret (robot callbacks)", NULL);
        goto out;
    }
    err = JF_ERR_PARSE;
    if (!ts || !ts[0]) {
        reject(rej, 400, "missing required header " JF_DINGTALK_TIMESTAMP_HEADER, NULL);
        goto out;
    }
    err = jf_webhook_dingtalk_robot_sign(secret, ts, expected);
    if (err == JF_ERR_TOOBIG) {
        reject(rej, 400, "timestamp header too long", NULL);
        goto out;
    }
    if (err) {
        reject(rej, 500, "internal error: could not compute the robot signature", NULL);
        goto out;
    }
    /* The length of a signature is public; only its bytes need a constant-time compare. */
    if (strnlen(sign, JF_DINGTALK_SIGN_LEN + 1) != JF_DINGTALK_SIGN_LEN ||
        !jf_crypto_equal(expected, sign, JF_DINGTALK_SIGN_LEN)) {
        err = JF_ERR_AUTH;
        reject(rej, 403, "invalid " JF_DINGTALK_SIGN_HEADER " header", NULL);
        goto out;
    }
    err = jf_wxcrypt_fresh(ts, req->now, JF_DINGTALK_MAX_SKEW);
    if (err == JF_ERR_PARSE) {
        reject(rej, 400, "invalid timestamp header: expected Unix milliseconds", NULL);
        goto out;
    }
    if (err) {
        reject(rej, 403,
               "stale timestamp: more than " XSTR(
                   JF_DINGTALK_MAX_SKEW) " seconds from the "
                                         "server clock; a replayed or delayed request is "
                                         "refused (check the server's "
                                         "clock)",
               NULL);
        goto out;
    }

    err = JF_ERR_PARSE;
    doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc)) {
        reject(rej, 400, "malformed body: expected a JSON object", NULL);
        goto out;
    }
    const char *type = json_string_value(json_object_get(doc, "msgtype"));
    if (!type || !type[0]) {
        reject(rej, 400, "missing required field msgtype", NULL);
        goto out;
    }
    if (strcmp(type, "text") != 0) {
        /* Pictures, voice, rich text: nothing to store and no reply. */
        err = reply_json(rej, EMPTY_REPLY);
        if (err)
            reject(rej, 500, "internal error: could not render the reply", NULL);
        goto out;
    }
    const char *id = json_string_value(json_object_get(doc, "msgId"));
    if (!id || !msg_id_ok(id)) {
        reject(rej, 400,
               "missing or invalid msgId: expected 1 to " XSTR(
                   JF_WEBHOOK_MAX_MSG_ID) " ASCII letters, digits or + / = _ . : -",
               NULL);
        goto out;
    }
    const char *sender = NULL;
    for (size_t i = 0; i < sizeof sender_keys / sizeof sender_keys[0] && !sender; i++) {
        const char *v = json_string_value(json_object_get(doc, sender_keys[i]));
        if (v && v[0])
            sender = v;
    }
    if (!sender) {
        reject(rej, 400, "missing required field senderStaffId or senderId", NULL);
        goto out;
    }
    const char *text =
        json_string_value(json_object_get(json_object_get(doc, "text"), "content"));
    if (!text) {
        reject(rej, 400, "missing required field text.content", NULL);
        goto out;
    }
    const char *recipient = json_string_value(json_object_get(doc, "chatbotUserId"));

    s = calloc(1, sizeof *s);
    err = s ? JF_ERR_OK : JF_ERR_NOMEM;
    if (!err)
        err = copy(id, &s->f[F_MSG_ID]);
    if (!err)
        err = copy(sender, &s->f[F_SENDER]);
    if (!err)
        err = copy(recipient && recipient[0] ? recipient : NULL, &s->f[F_RECIPIENT]);
    if (!err)
        err = copy(text, &s->f[F_TEXT]);
    if (err) {
        reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    msg->msg_id = s->f[F_MSG_ID];
    msg->sender = s->f[F_SENDER];
    msg->recipient = s->f[F_RECIPIENT];
    msg->text = s->f[F_TEXT];
    *n = 1;
    *state = s;
    s = NULL;
out:
    robot_release(s);
    json_decref(doc);
    jf_crypto_zeroize(expected, sizeof expected);
    return err;
}

/* ---- event subscription ---------------------------------------------------------------- */

/* first_param - the value of the first of names present in q, or NULL. */
static const char *first_param(const jf_form *q, const char *a, const char *b)
{
    const char *v = jf_webhook_form_get(q, a);
    return v && v[0] ? v : jf_webhook_form_get(q, b);
}

/* event_success - the encrypted "success" every event is answered with. */
static jf_err event_success(const char *token, const jf_wxcrypt_key *key, const char *owner,
                            int64_t now, jf_webhook_reply *r)
{
    jf_err err;
    jf_buf enc;
    char ts[24];
    char nonce[JF_WXCRYPT_NONCE_LEN + 1];
    char sig[JF_WXCRYPT_SIG_LEN + 1];
    json_t *doc = NULL;
    char *s = NULL;

    jf_buf_init(&enc, JF_WEBHOOK_MAX_REPLY);
    /* DingTalk's timestamps are milliseconds, as in its SDKs' getEncryptedMap. */
    snprintf(ts, sizeof ts, "%lld", (long long)now * 1000);
    err = jf_wxcrypt_encrypt(key, NULL, EVENT_SUCCESS, sizeof EVENT_SUCCESS - 1, owner, &enc);
    if (!err)
        err = jf_wxcrypt_nonce(nonce);
    if (!err)
        err = jf_wxcrypt_signature(token, ts, nonce, enc.data, sig);
    if (err)
        goto out;
    err = JF_ERR_NOMEM;
    doc = json_pack("{s:s, s:s, s:s, s:s}", "msg_signature", sig, "timeStamp", ts, "nonce",
                    nonce, "encrypt", enc.data);
    s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (!s)
        goto out;
    err = reply_json(r, s);
out:
    free(s);
    json_decref(doc);
    jf_buf_free(&enc);
    return err;
}

/* event - mechanism (b): verify, decrypt, and answer with the encrypted "success". */
static jf_err event(const jf_webhook_channel *ch, const jf_webhook_request *req,
                    const jf_form *q, jf_webhook_reply *rej)
{
    static const char *const required[] = {"token", "aes_key", "owner_key"};
    jf_err err = JF_ERR_CONFIG;
    jf_wxcrypt_key key;
    jf_buf plain;
    json_t *doc = NULL;
    json_t *ev = NULL;
    json_error_t jerr;
    const char *why = NULL;

    memset(&key, 0, sizeof key);
    jf_buf_init(&plain, JF_WXCRYPT_MAX_MSG);
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!jf_webhook_channel_get(ch, required[i])) {
            reject(rej, 500,
                   "dingtalk channel lacks a setting event subscriptions need: ", required[i]);
            goto out;
        }
    }
    const char *token = jf_webhook_channel_get(ch, "token");
    const char *owner = jf_webhook_channel_get(ch, "owner_key");
    if (jf_wxcrypt_key_parse(jf_webhook_channel_get(ch, "aes_key"), &key)) {
        reject(rej, 500, "dingtalk channel setting aes_key is not a 43-character key", NULL);
        goto out;
    }

    err = JF_ERR_PARSE;
    const char *sig = first_param(q, "msg_signature", "signature");
    const char *ts = first_param(q, "timestamp", "timeStamp");
    const char *nonce = jf_webhook_form_get(q, "nonce");
    if (!ts || !ts[0]) {
        reject(rej, 400, "missing required query parameter timestamp", NULL);
        goto out;
    }
    if (!nonce || !nonce[0]) {
        reject(rej, 400, "missing required query parameter nonce", NULL);
        goto out;
    }
    doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    const char *encrypt = json_string_value(json_object_get(doc, "encrypt"));
    if (!json_is_object(doc)) {
        reject(rej, 400, "malformed body: expected a JSON object", NULL);
        goto out;
    }
    if (!encrypt || !encrypt[0]) {
        reject(rej, 400, "missing required field encrypt", NULL);
        goto out;
    }
    err = jf_wxcrypt_verify(token, ts, nonce, encrypt, sig);
    if (err == JF_ERR_AUTH) {
        reject(rej, 403, "invalid signature", NULL);
        goto out;
    }
    if (err == JF_ERR_TOOBIG) {
        reject(rej, 400, "timestamp, nonce or encrypted event too long", NULL);
        goto out;
    }
    if (err) {
        reject(rej, 500, "internal error: could not compute the event signature", NULL);
        goto out;
    }
    err = jf_wxcrypt_fresh(ts, req->now, JF_DINGTALK_MAX_SKEW);
    if (err == JF_ERR_PARSE) {
        reject(rej, 400, "invalid timestamp: expected Unix milliseconds", NULL);
        goto out;
    }
    if (err) {
        reject(rej, 403,
               "stale timestamp: more than " XSTR(
                   JF_DINGTALK_MAX_SKEW) " seconds from the "
                                         "server clock; a replayed or delayed request is "
                                         "refused (check the server's "
                                         "clock)",
               NULL);
        goto out;
    }
    err = jf_wxcrypt_decrypt(&key, encrypt, strlen(encrypt), owner, &plain, &why);
    if (err) {
        reject(rej,
               err == JF_ERR_PARSE    ? 400
               : err == JF_ERR_AUTH   ? 403
               : err == JF_ERR_TOOBIG ? 413
                                      : 500,
               "encrypt: ", why);
        goto out;
    }
    err = JF_ERR_PARSE;
    ev = json_loadb(plain.data, plain.len, JSON_REJECT_DUPLICATES, &jerr);
    const char *type = json_string_value(json_object_get(ev, "EventType"));
    if (!json_is_object(ev) || !type || !type[0]) {
        reject(rej, 400, "decrypted event is not a JSON object with an EventType", NULL);
        goto out;
    }
    /* check_url and every other event: nothing to store, the encrypted success. */
    err = event_success(token, &key, owner, req->now, rej);
    if (err)
        reject(rej, 500, "internal error: could not render the encrypted success", NULL);
out:
    json_decref(ev);
    json_decref(doc);
    jf_buf_free(&plain);
    jf_wxcrypt_key_wipe(&key);
    return err;
}

/* ---- adapter --------------------------------------------------------------------------- */

static jf_err dingtalk_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                               jf_inbound *msgs, size_t max, size_t *n, void **state,
                               jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_INVAL;
    jf_form q = {NULL, 0};
    const char *why = NULL;

    if (!req || !msgs || !n || !state || !rej || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(msgs, 0, sizeof *msgs);

    if (!req->method || strcmp(req->method, "POST") != 0) {
        reject(rej, 405, "method not allowed: DingTalk callbacks are POST", NULL);
        goto out;
    }
    if (!is_json_content_type(req->content_type)) {
        err = JF_ERR_PARSE;
        reject(rej, 415, "unsupported content type: expected application/json", NULL);
        goto out;
    }
    if (req->body_len > JF_WEBHOOK_MAX_BODY) {
        err = JF_ERR_TOOBIG;
        reject(rej, 413, "request body too large", NULL);
        goto out;
    }
    if (!req->body) {
        reject(rej, 500, "internal error: request incomplete", NULL);
        goto out;
    }
    const char *query = req->query ? req->query : "";
    err = jf_webhook_form_parse_detail(query, strlen(query), &q, &why);
    if (err) {
        reject(rej, err == JF_ERR_PARSE ? 400 : (err == JF_ERR_TOOBIG ? 413 : 500),
               "malformed query string: ", why);
        goto out;
    }
    const char *sign =
        req->header ? req->header(req->header_ctx, JF_DINGTALK_SIGN_HEADER) : NULL;
    if (sign) {
        err = robot(ch, req, sign, msgs, n, state, rej);
    } else if (first_param(&q, "msg_signature", "signature")) {
        err = event(ch, req, &q, rej);
    } else {
        err = JF_ERR_AUTH;
        reject(rej, 403,
               "unsigned request: expected a sign header (robot callback) or a signature "
               "query parameter (event subscription)",
               NULL);
    }
out:
    if (err) {
        memset(msgs, 0, sizeof *msgs);
        *n = 0;
        *state = NULL;
    }
    jf_webhook_form_free(&q);
    return err;
}

static jf_err dingtalk_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                  jf_webhook_reply *out)
{
    (void)ch;
    (void)state;
    jf_err err = JF_ERR_INVAL;
    json_t *doc = NULL;
    char *s = NULL;

    if (!out)
        return JF_ERR_INVAL;
    jf_buf_reset(&out->body);
    if (!text) {
        err = reply_json(out, EMPTY_REPLY);
        goto out;
    }
    doc = json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", text);
    if (!doc)
        goto out; /* invalid UTF-8 */
    err = JF_ERR_NOMEM;
    s = json_dumps(doc, JSON_COMPACT);
    if (!s)
        goto out;
    err = reply_json(out, s);
out:
    free(s);
    json_decref(doc);
    return err;
}

/* ---- sending --------------------------------------------------------------------------- */

static jf_err dingtalk_token_request(const jf_webhook_channel *ch, jf_webhook_http *out)
{
    jf_err err = JF_ERR_CONFIG;
    const char *key = jf_webhook_channel_get(ch, "owner_key");
    const char *secret = jf_webhook_channel_get(ch, "app_secret");

    if (!out)
        return JF_ERR_INVAL;
    if (!key || !secret)
        goto out;
    out->method = "GET";
    out->content_type = NULL;
    err = jf_webhook_wxapi_url(&out->url, api_base(ch), "/gettoken");
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "appkey", key);
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "appsecret", secret);
out:
    return err;
}

static jf_err dingtalk_token_parse(long status, const char *body, size_t len, char *token,
                                   size_t tokensz, int64_t *expires_in, jf_send_result *res)
{
    return jf_webhook_wxapi_token_parse(token_codes, sizeof token_codes / sizeof token_codes[0],
                                        status, body, len, token, tokensz, expires_in, res);
}

static jf_err dingtalk_send_request(const jf_webhook_channel *ch, const char *token,
                                    const char *address, const char *text, jf_webhook_http *out)
{
    jf_err err = JF_ERR_CONFIG;
    long long agent = 0;
    json_t *doc = NULL;

    if (!out || !token || !address || !address[0] || !text)
        return JF_ERR_INVAL;
    if (jf_webhook_wxapi_uint(jf_webhook_channel_get(ch, "agent_id"), &agent))
        goto out;
    err = jf_webhook_wxapi_url(&out->url, api_base(ch),
                               "/topapi/message/corpconversation/asyncsend_v2");
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "access_token", token);
    if (err)
        goto out;
    err = JF_ERR_INVAL;
    doc = json_pack("{s:I, s:s, s:{s:s, s:{s:s}}}", "agent_id", (json_int_t)agent,
                    "userid_list", address, "msg", "msgtype", "text", "text", "content", text);
    if (!doc)
        goto out;
    err = jf_webhook_wxapi_json_body(out, doc);
out:
    json_decref(doc);
    return err;
}

static void dingtalk_send_result(long status, const char *retry_after, const char *body,
                                 size_t len, jf_send_result *res)
{
    (void)retry_after;
    jf_webhook_wxapi_classify(send_codes, sizeof send_codes / sizeof send_codes[0], status,
                              body, len, res);
}

jf_err jf_webhook_dingtalk_robot_request(const char *url, const char *secret, int64_t now_ms,
                                         const char *text, jf_webhook_http *out)
{
    jf_err err = JF_ERR_INVAL;
    json_t *doc = NULL;
    char ts[24];
    char sign[JF_DINGTALK_SIGN_LEN + 1] = {0};

    if (!url || !text || !out || (secret && !secret[0]) || now_ms < 0)
        goto out;
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        goto out;
    jf_buf_reset(&out->url);
    err = jf_buf_appends(&out->url, url);
    if (err)
        goto out;
    if (secret) {
        snprintf(ts, sizeof ts, "%lld", (long long)now_ms);
        err = jf_webhook_dingtalk_robot_sign(secret, ts, sign);
        if (!err)
            err = jf_webhook_wxapi_param(&out->url, "timestamp", ts);
        if (!err)
            err = jf_webhook_wxapi_param(&out->url, "sign", sign);
        if (err)
            goto out;
    }
    err = JF_ERR_INVAL;
    doc = json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", text);
    if (!doc)
        goto out;
    err = jf_webhook_wxapi_json_body(out, doc);
out:
    jf_crypto_zeroize(sign, sizeof sign);
    json_decref(doc);
    return err;
}

void jf_webhook_dingtalk_robot_result(long status, const char *retry_after, const char *body,
                                      size_t len, jf_send_result *res)
{
    (void)retry_after;
    jf_webhook_wxapi_classify(robot_codes, sizeof robot_codes / sizeof robot_codes[0], status,
                              body, len, res);
}

static const jf_webhook_setting_spec dingtalk_settings[] = {
    {"app_secret", "JIANFU_DINGTALK_APP_SECRET", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the app's AppSecret: verifies the robot callback's sign header; fetches access tokens"},
    {"token", "JIANFU_DINGTALK_TOKEN", JF_SETTING_SECRET,
     "the event subscription's signature token"},
    {"aes_key", "JIANFU_DINGTALK_AES_KEY", JF_SETTING_SECRET,
     "the event subscription's aes_key (43 characters): decrypts events"},
    {"owner_key", "JIANFU_DINGTALK_OWNER_KEY", 0,
     "the app's AppKey (suite key for third-party apps): receive id of events; token requests"},
    {"agent_id", "JIANFU_DINGTALK_AGENT_ID", 0,
     "the app's AgentId: the sender of work notifications"},
    {"api_base", "JIANFU_DINGTALK_API_BASE", 0,
     "API base URL (default " JF_DINGTALK_DEFAULT_API_BASE ")"},
};

const jf_webhook_adapter jf_webhook_dingtalk_adapter = {
    .kind = "dingtalk",
    .methods = JF_WEBHOOK_POST,
    .inline_ack = true,
    .settings = dingtalk_settings,
    .nsettings = sizeof dingtalk_settings / sizeof dingtalk_settings[0],
    .receive = dingtalk_receive,
    .render_ack = dingtalk_render_ack,
    .release = robot_release,
    .token_request = dingtalk_token_request,
    .token_parse = dingtalk_token_parse,
    .send_request = dingtalk_send_request,
    .send_result = dingtalk_send_result,
};
