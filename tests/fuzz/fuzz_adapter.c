/* fuzz_adapter.c - libFuzzer harness for every provider adapter of the table
 * (jf_webhook_adapter_at): receive -> render_ack -> send_request -> release, as the
 * gateway and the outbox dispatcher call them, on a request built from the fuzz input.
 *
 * Input layout (text, so that the seed corpus is readable; see corpus/fuzz_adapter/):
 *     byte 0   the adapter: (byte - '0') modulo the table size ('0' twilio ... '9'
 *              dingtalk in the table's present order)
 *     byte 1   the method: 'G' GET, 'X' PUT, anything else POST
 *     byte 2   the mode:
 *                'r' raw: the request exactly as given;
 *                's' signed: the harness authenticates the request as the provider would,
 *                    so that parsing behind authentication is reached: Twilio's
 *                    X-Twilio-Signature over URL and form, WhatsApp's X-Hub-Signature-256
 *                    over the body (GET: hub.verify_token), the generic HMAC and timestamp
 *                    headers, Telegram's secret header, the key query parameter of Kannel,
 *                    Aliyun and Tencent, the msg_signature of WeCom and WeChat over the
 *                    body's Encrypt element (GET: over echostr = the body), and for
 *                    DingTalk the event signature over the body's "encrypt" when it has
 *                    one, else the robot's sign header;
 *                'e' encrypted: as 's', but for WeCom, WeChat and DingTalk events the body
 *                    is the plaintext (inner XML, or the event JSON), which the harness
 *                    encrypts for the channel's receive id and wraps as the provider does,
 *                    so the decrypted-message parsers see fuzzer-chosen input;
 *                'm' misconfigured: raw, to a channel whose settings all hold "x";
 *                'o' outbound: the provider's answer to a send: send_result and
 *                    token_parse, with the status from the query line and Retry-After
 *                    from the content-type line;
 *     then     "query\ncontent-type\nName: value\n...\n\nbody": the raw query string (no
 *              '?'), the Content-Type ("-" for none), headers up to an empty line, and the
 *              body (any bytes, to the end). Pseudo-headers steer the signing:
 *              X-Fuzz-Timestamp (the timestamp signed instead of the receipt time),
 *              X-Fuzz-Receive-Id (encrypt for another receive id), X-Fuzz-Url (the
 *              public URL Twilio signs, instead of the default), X-Fuzz-Now (the receipt
 *              time, so that published vectors with their own timestamps pass as is).
 * Channels carry the unit tests' secrets. Besides memory safety and leaks, the harness
 * checks adapter.h's contract: on error no state, no messages and a 4xx/5xx reply that
 * quotes no channel setting; on success without messages a complete 200 reply; messages
 * with an id of 1 to JF_WEBHOOK_MAX_MSG_ID bytes, a non-empty sender and UTF-8 sender and
 * text; a fixed acknowledgement that always renders. Sends to each sender are built and
 * freed as the outbox would.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "webhook/adapter.h"
#include "webhook/dingtalk.h"
#include "webhook/form.h"
#include "webhook/generic.h"
#include "webhook/jsonbody.h"
#include "webhook/twilio.h"
#include "webhook/wxcrypt.h"
#include "webhook/xml.h"

#include "fuzz_util.h"

/* 2025-11-27T00:00:00Z, as in the unit tests. */
#define NOW 1764201600
#define URL_BASE "https://jianfu.example.gov.cn/webhooks/"
#define MAX_HEADERS 12
/* Headers taken from the input; the rest of MAX_HEADERS is room for the signing. */
#define MAX_FUZZ_HEADERS 8
#define ACK "已收到，编号 JF-7Q2K。<查询> & \"]]>\" 'Y'"
#define NONCE "nonce42"

/* The secrets of the unit tests (tests/unit/test_webhook_<kind>.c). */
#define TWILIO_TOKEN "tw-auth-token-for-tests"
#define TELEGRAM_SECRET "s3cr3t-Token_for-jianfu"
#define WA_APP_SECRET "whatsapp-example-app-secret"
#define WA_VERIFY_TOKEN "meatyhamhock"
#define ALIYUN_KEY_QUERY "key=Zq8%2Fx%2BY%3Daliyun"
#define TENCENT_KEY_QUERY "key=tencent-example-key"
#define GENERIC_SECRET "jianfu-generic-example-secret"
#define KANNEL_KEY "k4nnel-shared-secret-for-tests"
#define WECOM_TOKEN "QDG6eK"
#define WECOM_AES_KEY "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
#define WECOM_CORP "wx5823bf96d3bd56c7"
#define WECHAT_TOKEN "spamtest"
#define WECHAT_AES_KEY "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
#define WECHAT_APPID "wx2c2769f8efd9abc2"
#define DT_APP_SECRET "this is secret"
#define DT_TOKEN "mryue"
#define DT_AES_KEY "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7"
#define DT_OWNER "ding6ccabc44d2c8d38b"

static const jf_webhook_channel channels[] = {
    {"twilio",
     "default",
     {{"auth_token", TWILIO_TOKEN},
      {"account_sid", "AC0123456789abcdef"},
      {"from", "+10659000"}},
     3},
    {"telegram",
     "default",
     {{"secret", TELEGRAM_SECRET}, {"bot_token", "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"}},
     2},
    {"whatsapp",
     "default",
     {{"app_secret", WA_APP_SECRET},
      {"verify_token", WA_VERIFY_TOKEN},
      {"access_token", "EAAJB-token_0123"},
      {"phone_number_id", "106540352242922"}},
     4},
    {"aliyun", "default", {{"key", "Zq8/x+Y=aliyun"}}, 1},
    {"tencent", "default", {{"key", "tencent-example-key"}}, 1},
    {"generic", "default", {{"secret", GENERIC_SECRET}}, 1},
    {"kannel",
     "default",
     {{"key", KANNEL_KEY},
      {"sendsms_url", "http://127.0.0.1:13013/cgi-bin/sendsms?username=jianfu&password=pw"}},
     2},
    {"wecom",
     "default",
     {{"token", WECOM_TOKEN},
      {"aes_key", WECOM_AES_KEY},
      {"receive_id", WECOM_CORP},
      {"secret", "corp-secret-for-tests"},
      {"agent_id", "1000002"}},
     5},
    {"wechat",
     "default",
     {{"token", WECHAT_TOKEN},
      {"aes_key", WECHAT_AES_KEY},
      {"receive_id", WECHAT_APPID},
      {"secret", "app-secret-for-tests"}},
     4},
    {"dingtalk",
     "default",
     {{"app_secret", DT_APP_SECRET},
      {"token", DT_TOKEN},
      {"aes_key", DT_AES_KEY},
      {"owner_key", DT_OWNER},
      {"agent_id", "2980245"}},
     5},
};

/* The request being built; the header lookup points at it. */
typedef struct {
    const char *names[MAX_HEADERS];
    const char *values[MAX_HEADERS];
    size_t n;
    /* Storage for what the harness adds. */
    char added[MAX_HEADERS][160];
    size_t nadded;
} headers;

static const char *header_lookup(void *ctx, const char *name)
{
    headers *h = ctx;
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

/* set_header - replace (or add) header name with a copy of value. */
static void set_header(headers *h, const char *name, const char *value)
{
    FUZZ_CHECK(h->nadded < MAX_HEADERS);
    char *slot = h->added[h->nadded++];
    snprintf(slot, sizeof h->added[0], "%s", value);
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->names[i], name) == 0) {
            h->values[i] = slot;
            return;
        }
    }
    if (h->n < MAX_HEADERS) {
        h->names[h->n] = name;
        h->values[h->n++] = slot;
    }
}

/* channel_of - the test channel of kind; with broken set, the same settings all holding
 * "x" (too short a key, no usable URL), as a misconfigured deployment would. */
static const jf_webhook_channel *channel_of(const char *kind, bool broken,
                                            jf_webhook_channel *scratch)
{
    static const jf_webhook_channel none = {"none", "default", {{NULL, NULL}}, 0};
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
        if (strcmp(channels[i].kind, kind) != 0)
            continue;
        if (!broken)
            return &channels[i];
        *scratch = channels[i];
        for (size_t k = 0; k < scratch->nsettings; k++)
            scratch->settings[k].value = "x";
        scratch->settings[scratch->nsettings].key = "api_base";
        scratch->settings[scratch->nsettings++].value = "ftp://x";
        return scratch;
    }
    return &none;
}

static size_t nadapters;
/* JF_FUZZ_VERBOSE set: print each request's outcome (to check what seeds reach). */
static bool verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    while (jf_webhook_adapter_at(nadapters))
        nadapters++;
    verbose = getenv("JF_FUZZ_VERBOSE") != NULL;
    if (nadapters == 0)
        abort();
    return 0;
}

/* The timestamp to sign: X-Fuzz-Timestamp, or the receipt time (DingTalk: milliseconds). */
static void sign_time(headers *h, bool millis, char out[32])
{
    const char *ts = header_lookup(h, "X-Fuzz-Timestamp");
    if (ts)
        snprintf(out, 32, "%s", ts);
    else
        snprintf(out, 32, "%lld", (long long)NOW * (millis ? 1000 : 1));
}

/* encrypt_for - base64 ciphertext of the n bytes at p for the channel's receive id (or
 * X-Fuzz-Receive-Id) under aes_key into out. */
static bool encrypt_for(headers *h, const char *aes_key, const char *rid, const char *p,
                        size_t n, jf_buf *out)
{
    jf_wxcrypt_key k;
    const char *other = header_lookup(h, "X-Fuzz-Receive-Id");
    static const uint8_t random[JF_WXCRYPT_RANDOM_LEN] = "aaaabbbbccccdddd";
    FUZZ_CHECK(jf_wxcrypt_key_parse(aes_key, &k) == JF_ERR_OK);
    jf_err err = jf_wxcrypt_encrypt(&k, random, p, n, other ? other : rid, out);
    jf_wxcrypt_key_wipe(&k);
    return err == JF_ERR_OK;
}

/* The WeCom/WeChat signing of 's' and 'e'. query receives the signed parameters followed by
 * the fuzzed query; body may be replaced by the encrypted envelope. */
static void sign_wx(bool wecom, bool get, bool encrypt, headers *h, const char *fquery,
                    jf_buf *query, jf_buf *body)
{
    const char *token = wecom ? WECOM_TOKEN : WECHAT_TOKEN;
    const char *aes = wecom ? WECOM_AES_KEY : WECHAT_AES_KEY;
    const char *rid = wecom ? WECOM_CORP : WECHAT_APPID;
    char ts[32];
    char sig[JF_WXCRYPT_SIG_LEN + 1] = "";
    jf_buf enc;
    jf_xml outer;
    const char *why = NULL;

    sign_time(h, false, ts);
    jf_buf_init(&enc, JF_WXCRYPT_MAX_ENCRYPTED);
    memset(&outer, 0, sizeof outer);
    if (get) {
        /* echostr: WeCom's is a ciphertext covered by the signature, WeChat's a plain token
         * signed with the other three only. */
        const char *echo = body->data ? body->data : "";
        if (wecom && encrypt && encrypt_for(h, aes, rid, body->data, body->len, &enc))
            echo = enc.data;
        if (jf_wxcrypt_signature(token, ts, NONCE, wecom ? echo : NULL, sig) != JF_ERR_OK)
            sig[0] = '\0';
        FUZZ_CHECK(jf_webhook_form_add(query, wecom ? "msg_signature" : "signature", sig) ==
                   JF_ERR_OK);
        FUZZ_CHECK(jf_webhook_form_add(query, "timestamp", ts) == JF_ERR_OK);
        FUZZ_CHECK(jf_webhook_form_add(query, "nonce", NONCE) == JF_ERR_OK);
        FUZZ_CHECK(jf_webhook_form_add(query, "echostr", echo) == JF_ERR_OK);
    } else {
        const char *enc_value = NULL;
        if (encrypt) {
            if (encrypt_for(h, aes, rid, body->data, body->len, &enc)) {
                jf_buf_reset(body);
                FUZZ_CHECK(jf_buf_appendf(body,
                                          "<xml><ToUserName><![CDATA[%s]]></ToUserName>"
                                          "<Encrypt><![CDATA[%s]]></Encrypt></xml>",
                                          rid, enc.data) == JF_ERR_OK);
                enc_value = enc.data;
            }
        } else if (jf_webhook_xml_parse(body->data, body->len, "xml", &outer, &why) ==
                   JF_ERR_OK) {
            enc_value = jf_webhook_xml_get(&outer, "Encrypt");
        }
        /* Without an Encrypt to sign, a well-formed wrong signature lets the checks after
         * the signature's presence run. */
        if (!enc_value || jf_wxcrypt_signature(token, ts, NONCE, enc_value, sig) != JF_ERR_OK)
            snprintf(sig, sizeof sig, "%040d", 0);
        if (!wecom)
            FUZZ_CHECK(jf_webhook_form_add(query, "encrypt_type", "aes") == JF_ERR_OK);
        FUZZ_CHECK(jf_webhook_form_add(query, "msg_signature", sig) == JF_ERR_OK);
        FUZZ_CHECK(jf_webhook_form_add(query, "timestamp", ts) == JF_ERR_OK);
        FUZZ_CHECK(jf_webhook_form_add(query, "nonce", NONCE) == JF_ERR_OK);
    }
    if (fquery[0]) {
        FUZZ_CHECK(jf_buf_appends(query, "&") == JF_ERR_OK);
        FUZZ_CHECK(jf_buf_appends(query, fquery) == JF_ERR_OK);
    }
    jf_webhook_xml_free(&outer);
    jf_buf_free(&enc);
}

/* DingTalk: 'e' wraps the body as an encrypted event; 's' signs the body's own "encrypt"
 * as an event when it has one (so bad ciphertexts reach decryption), else signs a robot
 * callback. */
static void sign_dingtalk(bool encrypt, headers *h, const char *fquery, jf_buf *query,
                          jf_buf *body)
{
    char ts[32];
    char sig[JF_WXCRYPT_SIG_LEN + 1] = "";
    json_t *doc = NULL;
    const char *given = NULL;

    sign_time(h, true, ts);
    if (!encrypt) {
        doc = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
        given = json_string_value(json_object_get(doc, "encrypt"));
    }
    if (given) {
        if (jf_wxcrypt_signature(DT_TOKEN, ts, NONCE, given, sig) != JF_ERR_OK)
            snprintf(sig, sizeof sig, "%040d", 0);
        FUZZ_CHECK(jf_webhook_form_add(query, "msg_signature", sig) == JF_ERR_OK);
        FUZZ_CHECK(jf_webhook_form_add(query, "timeStamp", ts) == JF_ERR_OK);
        FUZZ_CHECK(jf_webhook_form_add(query, "nonce", NONCE) == JF_ERR_OK);
        if (fquery[0]) {
            FUZZ_CHECK(jf_buf_appends(query, "&") == JF_ERR_OK);
            FUZZ_CHECK(jf_buf_appends(query, fquery) == JF_ERR_OK);
        }
        json_decref(doc);
        return;
    }
    json_decref(doc);
    if (!encrypt) {
        char sign[JF_DINGTALK_SIGN_LEN + 1];
        set_header(h, JF_DINGTALK_TIMESTAMP_HEADER, ts);
        if (jf_webhook_dingtalk_robot_sign(DT_APP_SECRET, ts, sign) == JF_ERR_OK)
            set_header(h, JF_DINGTALK_SIGN_HEADER, sign);
        FUZZ_CHECK(jf_buf_appends(query, fquery) == JF_ERR_OK);
        return;
    }
    jf_buf enc;
    jf_buf_init(&enc, JF_WXCRYPT_MAX_ENCRYPTED);
    if (encrypt_for(h, DT_AES_KEY, DT_OWNER, body->data, body->len, &enc)) {
        jf_buf_reset(body);
        FUZZ_CHECK(jf_buf_appendf(body, "{\"encrypt\":\"%s\"}", enc.data) == JF_ERR_OK);
        if (jf_wxcrypt_signature(DT_TOKEN, ts, NONCE, enc.data, sig) != JF_ERR_OK)
            sig[0] = '\0';
    }
    FUZZ_CHECK(jf_webhook_form_add(query, "signature", sig) == JF_ERR_OK);
    FUZZ_CHECK(jf_webhook_form_add(query, "timestamp", ts) == JF_ERR_OK);
    FUZZ_CHECK(jf_webhook_form_add(query, "nonce", NONCE) == JF_ERR_OK);
    if (fquery[0]) {
        FUZZ_CHECK(jf_buf_appends(query, "&") == JF_ERR_OK);
        FUZZ_CHECK(jf_buf_appends(query, fquery) == JF_ERR_OK);
    }
    jf_buf_free(&enc);
}

/* sign - authenticate the request for kind as its provider would (modes 's' and 'e'). */
static void sign(const char *kind, bool get, bool encrypt, headers *h, const char *fquery,
                 jf_buf *query, jf_buf *body)
{
    const char *b = body->data ? body->data : "";

    if (strcmp(kind, "wecom") == 0 || strcmp(kind, "wechat") == 0) {
        sign_wx(strcmp(kind, "wecom") == 0, get, encrypt, h, fquery, query, body);
        return;
    }
    if (strcmp(kind, "dingtalk") == 0) {
        sign_dingtalk(encrypt, h, fquery, query, body);
        return;
    }
    /* Kinds whose secret rides in the query string. */
    const char *key = strcmp(kind, "kannel") == 0    ? "key=" KANNEL_KEY
                      : strcmp(kind, "aliyun") == 0  ? ALIYUN_KEY_QUERY
                      : strcmp(kind, "tencent") == 0 ? TENCENT_KEY_QUERY
                      : strcmp(kind, "whatsapp") == 0 && get
                          ? "hub.mode=subscribe&hub.verify_token=" WA_VERIFY_TOKEN
                          : NULL;
    if (key) {
        FUZZ_CHECK(jf_buf_appends(query, key) == JF_ERR_OK);
        if (fquery[0])
            FUZZ_CHECK(jf_buf_appends(query, "&") == JF_ERR_OK);
    }
    FUZZ_CHECK(jf_buf_appends(query, fquery) == JF_ERR_OK);

    if (strcmp(kind, "telegram") == 0) {
        set_header(h, "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET);
    } else if (strcmp(kind, "whatsapp") == 0 && !get) {
        char sig[JF_JSONBODY_SIG_LEN + 1];
        const void *parts[1] = {b};
        size_t lens[1] = {body->len};
        if (jf_jsonbody_signature(WA_APP_SECRET, parts, lens, 1, sig) == JF_ERR_OK)
            set_header(h, "X-Hub-Signature-256", sig);
    } else if (strcmp(kind, "generic") == 0) {
        char ts[32];
        char sig[JF_GENERIC_SIG_LEN + 1];
        sign_time(h, false, ts);
        set_header(h, JF_GENERIC_TIMESTAMP_HEADER, ts);
        if (jf_webhook_generic_signature(GENERIC_SECRET, ts, b, body->len, sig) == JF_ERR_OK)
            set_header(h, JF_GENERIC_SIGNATURE_HEADER, sig);
    }
    /* Twilio signs the URL, which holds the query: done by the caller once it is built. */
}

/* check_message - the contract of one jf_inbound. */
static void check_message(const jf_inbound *m)
{
    FUZZ_CHECK(m->msg_id && m->sender && m->text);
    size_t idl = fuzz_touch(m->msg_id);
    FUZZ_CHECK(idl >= 1 && idl <= JF_WEBHOOK_MAX_MSG_ID);
    size_t sl = fuzz_touch(m->sender);
    FUZZ_CHECK(sl >= 1);
    FUZZ_CHECK(jf_webhook_utf8_valid(m->sender, sl));
    FUZZ_CHECK(jf_webhook_utf8_valid(m->text, fuzz_touch(m->text)));
    (void)fuzz_touch(m->recipient);
}

/* check_reply - a rendered reply: a status, a content type and a body within bounds. */
static void check_reply(const jf_webhook_reply *r, unsigned lo, unsigned hi)
{
    if (r->status < lo || r->status > hi)
        fprintf(stderr, "reply status %u outside %u..%u: %s\n", r->status, lo, hi,
                r->body.data ? r->body.data : "");
    FUZZ_CHECK(r->status >= lo && r->status <= hi);
    FUZZ_CHECK(r->body.len <= JF_WEBHOOK_MAX_REPLY);
    FUZZ_CHECK(fuzz_touch(r->body.data) <= r->body.len);
    if (r->body.len)
        FUZZ_CHECK(r->content_type != NULL);
    (void)fuzz_touch(r->content_type);
}

/* The outbound mode: the provider's answer to a send. */
static void outbound(const jf_webhook_adapter *a, const char *status_line,
                     const char *retry_after, const char *body, size_t len)
{
    long status = 0;
    for (size_t i = 0; status_line[i] >= '0' && status_line[i] <= '9' && i < 4; i++)
        status = status * 10 + (status_line[i] - '0');
    if (a->send_result) {
        jf_send_result res;
        memset(&res, 0x5a, sizeof res);
        a->send_result(status, retry_after[0] ? retry_after : NULL, body, len, &res);
        FUZZ_CHECK(res.verdict == JF_SEND_OK || res.verdict == JF_SEND_RETRY ||
                   res.verdict == JF_SEND_FAIL);
        FUZZ_CHECK(res.retry_after >= 0);
        FUZZ_CHECK(strnlen(res.error, sizeof res.error) < sizeof res.error);
    }
    if (a->token_parse) {
        jf_send_result res;
        char token[512];
        int64_t expires = -1;
        memset(&res, 0x5a, sizeof res);
        memset(token, 0x5a, sizeof token);
        jf_err err = a->token_parse(status, body, len, token, sizeof token, &expires, &res);
        FUZZ_CHECK(strnlen(res.error, sizeof res.error) < sizeof res.error);
        if (err == JF_ERR_OK) {
            size_t tl = strnlen(token, sizeof token);
            FUZZ_CHECK(tl >= 1 && tl < sizeof token);
            FUZZ_CHECK(expires > 0);
        }
    }
}

/* After an accepted request: acknowledge as the gateway does, then build the outbox's send
 * of that acknowledgement to each sender, whose address came from the request. */
static void acknowledge(const jf_webhook_adapter *a, const jf_webhook_channel *ch, void *state,
                        const jf_inbound *msgs, size_t n)
{
    jf_webhook_reply ack;
    const char *texts[3] = {NULL, ACK, msgs[0].text};

    jf_webhook_reply_init(&ack);
    for (size_t i = 0; i < (a->inline_ack ? 3u : 1u); i++) {
        jf_err err = a->render_ack(ch, state, texts[i], &ack);
        if (err == JF_ERR_OK)
            check_reply(&ack, 200, 200);
        /* A fixed acknowledgement is always renderable. */
        FUZZ_CHECK(i != 1 || err == JF_ERR_OK);
    }
    jf_webhook_reply_free(&ack);

    if (!a->send_request)
        return;
    for (size_t i = 0; i < n; i++) {
        jf_webhook_http h;
        jf_webhook_http_init(&h);
        if (a->send_request(ch, "fuzz-access-token", msgs[i].sender, ACK, &h) == JF_ERR_OK) {
            FUZZ_CHECK(h.method != NULL);
            FUZZ_CHECK(h.url.len > 0 && fuzz_touch(h.url.data) == h.url.len);
            FUZZ_CHECK(h.nheaders <= JF_WEBHOOK_HTTP_MAX_HEADERS);
            for (size_t k = 0; k < h.nheaders; k++)
                FUZZ_CHECK(strnlen(h.headers[k], sizeof h.headers[k]) < sizeof h.headers[k]);
        }
        jf_webhook_http_free(&h);
    }
}

/* run - build the request, call receive, and check and use what it returns. */
static void run(const jf_webhook_adapter *a, const char *method, uint8_t mode, headers *h,
                const char *fquery, const char *ct, jf_buf *body)
{
    jf_webhook_channel scratch;
    const jf_webhook_channel *ch = channel_of(a->kind, mode == 'm', &scratch);
    bool get = strcmp(method, "GET") == 0;
    jf_buf query, url;

    jf_buf_init(&query, 8 * JF_WEBHOOK_MAX_BODY);
    jf_buf_init(&url, 8 * JF_WEBHOOK_MAX_BODY);
    if (mode == 's' || mode == 'e')
        sign(a->kind, get, mode == 'e', h, fquery, &query, body);
    else
        FUZZ_CHECK(jf_buf_appends(&query, fquery) == JF_ERR_OK);
    const char *base = header_lookup(h, "X-Fuzz-Url");
    if (base)
        FUZZ_CHECK(jf_buf_appends(&url, base) == JF_ERR_OK);
    else
        FUZZ_CHECK(jf_buf_appendf(&url, URL_BASE "%s", a->kind) == JF_ERR_OK);
    if (query.len)
        FUZZ_CHECK(jf_buf_appendf(&url, "?%s", query.data) == JF_ERR_OK);

    if ((mode == 's' || mode == 'e') && strcmp(a->kind, "twilio") == 0) {
        jf_form f;
        char sig[JF_TWILIO_SIG_LEN + 1];
        if (jf_webhook_form_parse(body->data, body->len, &f) == JF_ERR_OK &&
            jf_webhook_twilio_signature(TWILIO_TOKEN, url.data ? url.data : "", &f, sig) ==
                JF_ERR_OK)
            set_header(h, JF_TWILIO_SIGNATURE_HEADER, sig);
        jf_webhook_form_free(&f);
    }

    /* The request exactly as the gateway hands it over: everything borrowed, the body
     * NUL-terminated. */
    jf_webhook_request req = {
        .method = method,
        .url = url.data ? url.data : "",
        .query = query.data ? query.data : "",
        .content_type = strcmp(ct, "-") == 0 ? NULL : ct,
        .header = header_lookup,
        .header_ctx = h,
        .body = body->data ? body->data : "",
        .body_len = body->len,
        .now = NOW,
    };
    const char *now = header_lookup(h, "X-Fuzz-Now");
    if (now) {
        int64_t t = 0;
        for (size_t i = 0; now[i] >= '0' && now[i] <= '9' && i < 12; i++)
            t = t * 10 + (now[i] - '0');
        req.now = t;
    }
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    size_t n = 99;
    void *state = (void *)1;
    jf_webhook_reply reply;

    memset(msgs, 0, sizeof msgs);
    jf_webhook_reply_init(&reply);
    jf_err err = a->receive(ch, &req, msgs, JF_WEBHOOK_MAX_BATCH, &n, &state, &reply);
    if (verbose)
        fprintf(stderr, "%s %s: %s, %zu message(s), %u %.120s\n", a->kind, method,
                jf_errname(err), err ? 0 : n, reply.status,
                reply.body.data ? reply.body.data : "");
    if (err) {
        FUZZ_CHECK(state == NULL);
        FUZZ_CHECK(n == 0);
        check_reply(&reply, 400, 599);
        FUZZ_CHECK(reply.body.len > 0);
        /* A reject is static text: it never carries a setting (secrets and keys). */
        for (size_t i = 0; i < ch->nsettings; i++) {
            const char *v = ch->settings[i].value;
            if (v && strlen(v) >= 8 && strstr(reply.body.data, v))
                fprintf(stderr, "reject echoes setting %s\n", ch->settings[i].key);
            FUZZ_CHECK(!v || strlen(v) < 8 || !strstr(reply.body.data, v));
        }
    } else if (n == 0) {
        FUZZ_CHECK(state == NULL);
        check_reply(&reply, 200, 200);
    } else {
        FUZZ_CHECK(n <= JF_WEBHOOK_MAX_BATCH);
        FUZZ_CHECK(state != NULL);
        for (size_t i = 0; i < n; i++)
            check_message(&msgs[i]);
        acknowledge(a, ch, state, msgs, n);
        a->release(state);
    }
    jf_webhook_reply_free(&reply);
    jf_buf_free(&url);
    jf_buf_free(&query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_cursor c = {data, size};
    const jf_webhook_adapter *a =
        jf_webhook_adapter_at((uint8_t)(fuzz_byte(&c) - '0') % nadapters);
    uint8_t mb = fuzz_byte(&c);
    const char *method = mb == 'G' ? "GET" : mb == 'X' ? "PUT" : "POST";
    uint8_t mode = fuzz_byte(&c);
    size_t qlen, ctlen;
    const uint8_t *qp = fuzz_part(&c, "\n", 1, &qlen);
    const uint8_t *ctp = fuzz_part(&c, "\n", 1, &ctlen);
    char *fquery = fuzz_strndup(qp, qlen);
    char *ct = fuzz_strndup(ctp, ctlen);
    char *lines[MAX_FUZZ_HEADERS] = {NULL};
    headers h;
    jf_buf body;

    memset(&h, 0, sizeof h);
    /* Headers up to an empty line: "Name: value". */
    for (size_t i = 0; c.n > 0; i++) {
        size_t len;
        const uint8_t *lp = fuzz_part(&c, "\n", 1, &len);
        if (len == 0)
            break;
        if (i >= MAX_FUZZ_HEADERS)
            continue;
        lines[i] = fuzz_strndup(lp, len);
        char *colon = strchr(lines[i], ':');
        if (!colon)
            continue;
        *colon = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        h.names[h.n] = lines[i];
        h.values[h.n++] = v;
    }
    jf_buf_init(&body, 4 * JF_WEBHOOK_MAX_BODY);
    FUZZ_CHECK(jf_buf_append(&body, c.p, c.n) == JF_ERR_OK);

    if (mode == 'o')
        outbound(a, fquery, ct, body.data ? body.data : "", body.len);
    else
        run(a, method, mode, &h, fquery, ct, &body);

    for (size_t i = 0; i < MAX_FUZZ_HEADERS; i++)
        free(lines[i]);
    free(fquery);
    free(ct);
    jf_buf_free(&body);
    return 0;
}
