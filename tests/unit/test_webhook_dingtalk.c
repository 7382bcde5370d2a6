/* test_webhook_dingtalk.c - the DingTalk adapter: robot callbacks, event subscriptions,
 * the bad-input table, work notifications and custom group robots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "webhook/adapter.h"
#include "webhook/dingtalk.h"
#include "webhook/wxcrypt.h"

/* ---- vectors --------------------------------------------------------------------------- */

/* DingTalk's robot "receive message" protocol page (https://open.dingtalk.com/document/
 * isvapp/receive-message, 接收消息的消息协议) shows the header timestamp 1577262236757 and
 * the body below, but not a sign value ("sign":"xxxxxxxxxx"), and its custom-robot page
 * signs with the placeholder secret "this is secret". No published timestamp/secret/sign
 * triple exists for this scheme, so ROBOT_SIGN is a constructed vector: base64(HMAC-SHA256(
 * "this is secret", "1577262236757\nthis is secret")), computed with Python's hmac and
 * base64 modules before being written here. */
#define ROBOT_SECRET "this is secret"
#define ROBOT_TS "1577262236757"
#define ROBOT_TIME 1577262236 /* seconds */
#define ROBOT_SIGN "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="
#define ROBOT_BODY                                                                             \
    "{\"conversationId\":\"xxx\",\"atUsers\":[{\"dingtalkId\":\"xxx\",\"staffId\":\"xxx\"}],"  \
    "\"chatbotCorpId\":\"dinge8a565xxxx\",\"chatbotUserId\":\"$:LWCP_v1:$Cxxxxx\","            \
    "\"msgId\":\"msg0xxxxx\",\"senderNick\":\"杨xx\",\"isAdmin\":true,"                       \
    "\"senderStaffId\":\"user123\",\"sessionWebhookExpiredTime\":1613635652738,"               \
    "\"createAt\":1613630252678,\"senderCorpId\":\"dinge8a565xxxx\",\"conversationType\":"     \
    "\"2\","                                                                                   \
    "\"senderId\":\"$:LWCP_v1:$Ff09GIxxxxx\",\"conversationTitle\":\"机器人测试-TEST\","  \
    "\"isInAtList\":true,\"sessionWebhook\":\"https://oapi.dingtalk.com/robot/sendBySession?"  \
    "session=xxxxx\",\"text\":{\"content\":\" 你好\"},\"msgtype\":\"text\"}"

/* DingTalk's published HMAC-SHA256 example for its signed server API calls (FAQ hxs5v9,
 * "testappSecret" / 1546084445901 -> HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE=, as cited
 * in francistm/dingtalk-sdk spec/dingtalk_spec.rb). It signs the bare timestamp, not the
 * robot's "timestamp\nsecret", so it pins only the conventions the robot signature shares:
 * the secret's UTF-8 bytes as the key, standard padded base64. */
#define FAQ_SECRET "testappSecret"
#define FAQ_TS "1546084445901"
#define FAQ_SIGN "HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE="

/* open-dingtalk/DingTalk-Callback-Crypto DingCallbackCrypto3.py (__main__): an event
 * subscription push of check_url, decrypting to {"EventType":"check_url"}. */
#define EV_TOKEN "mryue"
#define EV_AES_KEY "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7"
#define EV_OWNER "ding6ccabc44d2c8d38b"
#define EV_SIG "03044561471240d4a14bb09372dfcfd4fd0e40cb"
#define EV_TS "1608001896814"
#define EV_TIME 1608001896
#define EV_NONCE "WL4PK6yA"
#define EV_ENCRYPT                                                                             \
    "0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDC" \
    "YxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3"
#define EV_QUERY "signature=" EV_SIG "&timestamp=" EV_TS "&nonce=" EV_NONCE
#define EV_BODY "{\"encrypt\":\"" EV_ENCRYPT "\"}"

static const char *const never_echoed[] = {"user123", "你好",   "msg0xxxxx",
                                           ROBOT_TS,  EV_NONCE, "$:LWCP_v1"};

static const jf_webhook_channel channel = {
    "dingtalk",
    "default",
    {{"app_secret", ROBOT_SECRET},
     {"token", EV_TOKEN},
     {"aes_key", EV_AES_KEY},
     {"owner_key", EV_OWNER},
     {"agent_id", "2980245"}},
    5,
};

typedef struct {
    jf_webhook_request req;
    const char *ts;   /* timestamp header */
    const char *sign; /* sign header */
    char query[1024];
    jf_buf body;
} fake_request;

static const char *fake_header(void *ctx, const char *name)
{
    fake_request *r = ctx;
    if (strcasecmp(name, "timestamp") == 0)
        return r->ts;
    if (strcasecmp(name, "sign") == 0)
        return r->sign;
    return NULL;
}

static void init_request(fake_request *r, const char *query, const char *body, const char *ts,
                         const char *sign, int64_t now)
{
    memset(&r->req, 0, sizeof r->req);
    jf_buf_init(&r->body, 1 << 20);
    snprintf(r->query, sizeof r->query, "%s", query);
    assert_int_equal(jf_buf_appends(&r->body, body), JF_ERR_OK);
    r->ts = ts;
    r->sign = sign;
    r->req.method = "POST";
    r->req.url = "https://jianfu.example.gov.cn/webhooks/dingtalk";
    r->req.query = r->query;
    r->req.content_type = "application/json; charset=utf-8";
    r->req.header = fake_header;
    r->req.header_ctx = r;
    r->req.body = r->body.data;
    r->req.body_len = r->body.len;
    r->req.now = now;
}

static void robot_request(fake_request *r, const char *body)
{
    init_request(r, "", body, ROBOT_TS, ROBOT_SIGN, ROBOT_TIME + 2);
}

static jf_err run(const jf_webhook_channel *ch, fake_request *r, jf_inbound *msg, size_t *n,
                  void **st, jf_webhook_reply *reply)
{
    *n = 99;
    *st = (void *)1;
    return jf_webhook_dingtalk_adapter.receive(ch, &r->req, msg, 1, n, st, reply);
}

static void expect_reject_ch(const jf_webhook_channel *ch, fake_request *r, unsigned status,
                             const char *want)
{
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    jf_err err = run(ch, r, &msg, &n, &st, &rep);
    assert_int_not_equal(err, JF_ERR_OK);
    assert_null(st);
    assert_int_equal(n, 0);
    assert_null(msg.sender);
    assert_null(msg.text);
    if (rep.status != status)
        fail_msg("status %u (\"%s\"), want %u", rep.status, rep.body.data ? rep.body.data : "",
                 status);
    assert_string_equal(rep.content_type, "text/plain; charset=utf-8");
    if (!strstr(rep.body.data, want))
        fail_msg("reject \"%s\" lacks \"%s\"", rep.body.data, want);
    for (size_t i = 0; i < sizeof never_echoed / sizeof never_echoed[0]; i++)
        assert_null(strstr(rep.body.data, never_echoed[i]));
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r->body);
}

static void expect_reject(fake_request *r, unsigned status, const char *want)
{
    expect_reject_ch(&channel, r, status, want);
}

/* ---- signatures ------------------------------------------------------------------------ */

static void test_signatures(void **state)
{
    (void)state;
    char sign[JF_DINGTALK_SIGN_LEN + 1];
    assert_int_equal(jf_webhook_dingtalk_robot_sign(ROBOT_SECRET, ROBOT_TS, sign), JF_ERR_OK);
    assert_string_equal(sign, ROBOT_SIGN);

    uint8_t mac[JF_SHA256_LEN];
    char b64[64];
    size_t olen = 0;
    assert_int_equal(
        jf_crypto_hmac_sha256(FAQ_SECRET, strlen(FAQ_SECRET), FAQ_TS, strlen(FAQ_TS), mac),
        JF_ERR_OK);
    assert_int_equal(jf_crypto_base64_encode(mac, sizeof mac, b64, sizeof b64, &olen),
                     JF_ERR_OK);
    assert_string_equal(b64, FAQ_SIGN);

    assert_int_equal(jf_webhook_dingtalk_robot_sign("", ROBOT_TS, sign), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_dingtalk_robot_sign(NULL, ROBOT_TS, sign), JF_ERR_INVAL);
    char big[JF_DINGTALK_MAX_SIGN_INPUT + 2];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(jf_webhook_dingtalk_robot_sign(ROBOT_SECRET, big, sign), JF_ERR_TOOBIG);
}

/* ---- robot callbacks ------------------------------------------------------------------- */

static void test_robot_doc_example(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    robot_request(&r, ROBOT_BODY);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 1);
    assert_non_null(st);
    assert_string_equal(msg.msg_id, "msg0xxxxx");
    assert_string_equal(msg.sender, "user123"); /* senderStaffId, not senderId */
    assert_string_equal(msg.recipient, "$:LWCP_v1:$Cxxxxx");
    assert_string_equal(msg.text, " 你好");
    /* The state owns copies: the request may go away first. */
    jf_buf_free(&r.body);
    assert_string_equal(msg.text, " 你好");

    assert_int_equal(
        jf_webhook_dingtalk_adapter.render_ack(&channel, st, "已收到，编号 \"JF-7Q2K\"", &rep),
        JF_ERR_OK);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.content_type, "application/json; charset=utf-8");
    assert_string_equal(
        rep.body.data,
        "{\"msgtype\":\"text\",\"text\":{\"content\":\"已收到，编号 \\\"JF-7Q2K\\\"\"}}");
    assert_int_equal(jf_webhook_dingtalk_adapter.render_ack(&channel, st, NULL, &rep),
                     JF_ERR_OK);
    assert_string_equal(rep.body.data, "{\"msgtype\":\"empty\"}");
    assert_int_equal(jf_webhook_dingtalk_adapter.render_ack(&channel, st, "\xFF", &rep),
                     JF_ERR_INVAL);
    assert_int_equal(rep.body.len, 0);
    jf_webhook_dingtalk_adapter.release(st);
    jf_webhook_dingtalk_adapter.release(NULL);
    jf_webhook_reply_free(&rep);
}

static void test_robot_variants(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;

    /* External users have no senderStaffId: the opaque senderId is the address. */
    jf_webhook_reply_init(&rep);
    robot_request(&r,
                  "{\"msgtype\":\"text\",\"msgId\":\"msgAbC+/=9\",\"senderId\":\"$:LWCP_v1:$"
                  "Ff09G\",\"senderStaffId\":\"\",\"text\":{\"content\":\"表格太多\"}}");
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_string_equal(msg.sender, "$:LWCP_v1:$Ff09G");
    assert_null(msg.recipient);
    jf_webhook_dingtalk_adapter.release(st);
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r.body);

    /* Not text (a picture): nothing stored, an empty reply. */
    jf_webhook_reply_init(&rep);
    robot_request(&r, "{\"msgtype\":\"picture\",\"msgId\":\"m1\",\"senderStaffId\":\"u\","
                      "\"content\":{\"downloadCode\":\"x\"}}");
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 0);
    assert_null(st);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.body.data, "{\"msgtype\":\"empty\"}");
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r.body);

    /* Timestamps a second either side of the one-hour window. */
    jf_webhook_reply_init(&rep);
    init_request(&r, "", ROBOT_BODY, ROBOT_TS, ROBOT_SIGN, ROBOT_TIME + 3600);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    jf_webhook_dingtalk_adapter.release(st);
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r.body);
    init_request(&r, "", ROBOT_BODY, ROBOT_TS, ROBOT_SIGN, ROBOT_TIME + 3601);
    expect_reject(&r, 403, "stale timestamp");
    init_request(&r, "", ROBOT_BODY, ROBOT_TS, ROBOT_SIGN, ROBOT_TIME - 3601);
    expect_reject(&r, 403, "more than 3600 seconds");
}

static void test_robot_bad_input(void **state)
{
    (void)state;
    fake_request r;
    char sign[JF_DINGTALK_SIGN_LEN + 1];

    /* 403: a wrong, truncated, or other-secret signature; no signature at all. */
    init_request(&r, "", ROBOT_BODY, ROBOT_TS,
                 "imPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", ROBOT_TIME);
    expect_reject(&r, 403, "invalid sign header");
    init_request(&r, "", ROBOT_BODY, ROBOT_TS, "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM",
                 ROBOT_TIME);
    expect_reject(&r, 403, "invalid sign header");
    init_request(&r, "", ROBOT_BODY, ROBOT_TS, "", ROBOT_TIME);
    expect_reject(&r, 403, "invalid sign header");
    /* The signature of another timestamp. */
    init_request(&r, "", ROBOT_BODY, "1577262236758", ROBOT_SIGN, ROBOT_TIME);
    expect_reject(&r, 403, "invalid sign header");
    init_request(&r, "", ROBOT_BODY, ROBOT_TS, NULL, ROBOT_TIME);
    expect_reject(&r, 403, "unsigned request");
    /* 400: no timestamp header; a signed timestamp that is not a number. */
    init_request(&r, "", ROBOT_BODY, NULL, ROBOT_SIGN, ROBOT_TIME);
    expect_reject(&r, 400, "missing required header timestamp");
    assert_int_equal(jf_webhook_dingtalk_robot_sign(ROBOT_SECRET, "yesterday", sign),
                     JF_ERR_OK);
    init_request(&r, "", ROBOT_BODY, "yesterday", sign, ROBOT_TIME);
    expect_reject(&r, 400, "invalid timestamp header");

    /* 400: malformed or incomplete bodies, correctly signed. */
    static const struct {
        const char *body;
        const char *want;
    } cases[] = {
        {"not json", "expected a JSON object"},
        {"[1,2]", "expected a JSON object"},
        {"{\"msgtype\":\"text\",\"msgtype\":\"text\"}",
         "expected a JSON object"}, /* duplicate */
        {"{\"msgId\":\"m\",\"senderStaffId\":\"u\",\"text\":{\"content\":\"x\"}}", "msgtype"},
        {"{\"msgtype\":\"text\",\"senderStaffId\":\"u\",\"text\":{\"content\":\"x\"}}",
         "msgId"},
        {"{\"msgtype\":\"text\",\"msgId\":\"m "
         "1\",\"senderStaffId\":\"u\",\"text\":{\"content\":"
         "\"x\"}}",
         "msgId"},
        {"{\"msgtype\":\"text\",\"msgId\":7,\"senderStaffId\":\"u\",\"text\":{\"content\":"
         "\"x\"}}",
         "msgId"},
        {"{\"msgtype\":\"text\",\"msgId\":\"m\",\"text\":{\"content\":\"x\"}}",
         "senderStaffId or senderId"},
        {"{\"msgtype\":\"text\",\"msgId\":\"m\",\"senderStaffId\":\"u\"}", "text.content"},
        {"{\"msgtype\":\"text\",\"msgId\":\"m\",\"senderStaffId\":\"u\",\"text\":\"x\"}",
         "text.content"},
        {"{\"msgtype\":\"text\",\"msgId\":\"m\",\"senderStaffId\":\"u\",\"text\":{\"content\":"
         "\"a\\u0000b\"}}",
         "expected a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        robot_request(&r, cases[i].body);
        expect_reject(&r, 400, cases[i].want);
    }

    /* 415, 413, 405. */
    static const char *const types[] = {"text/plain", "application/xml", "application/jsonx",
                                        "", NULL};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        robot_request(&r, ROBOT_BODY);
        r.req.content_type = types[i];
        expect_reject(&r, 415, "unsupported content type");
    }
    robot_request(&r, ROBOT_BODY);
    r.req.body_len = JF_WEBHOOK_MAX_BODY + 1;
    expect_reject(&r, 413, "too large");
    robot_request(&r, ROBOT_BODY);
    r.req.method = "GET";
    expect_reject(&r, 405, "method not allowed");

    /* 500: the channel cannot check robots without the app secret. */
    static const jf_webhook_channel no_secret = {"dingtalk", "default", {{"token", "t"}}, 1};
    robot_request(&r, ROBOT_BODY);
    expect_reject_ch(&no_secret, &r, 500, "app_secret");
}

/* ---- event subscriptions --------------------------------------------------------------- */

/* check_event_success - the reply is the encrypted "success" of DingCallbackCrypto's
 * getEncryptedMap: signed with our token, decrypting to "success" for the owner key. */
static void check_event_success(const jf_webhook_reply *rep, int64_t now)
{
    json_error_t jerr;
    assert_int_equal(rep->status, 200);
    assert_string_equal(rep->content_type, "application/json; charset=utf-8");
    json_t *doc = json_loadb(rep->body.data, rep->body.len, 0, &jerr);
    assert_non_null(doc);
    const char *sig = json_string_value(json_object_get(doc, "msg_signature"));
    const char *ts = json_string_value(json_object_get(doc, "timeStamp"));
    const char *nonce = json_string_value(json_object_get(doc, "nonce"));
    const char *enc = json_string_value(json_object_get(doc, "encrypt"));
    assert_non_null(sig);
    assert_non_null(enc);
    char want_ts[32];
    snprintf(want_ts, sizeof want_ts, "%lld", (long long)now * 1000);
    assert_string_equal(ts, want_ts);
    assert_int_equal(strlen(nonce), JF_WXCRYPT_NONCE_LEN);
    assert_int_equal(jf_wxcrypt_verify(EV_TOKEN, ts, nonce, enc, sig), JF_ERR_OK);
    jf_wxcrypt_key k;
    jf_buf plain;
    jf_buf_init(&plain, 1024);
    assert_int_equal(jf_wxcrypt_key_parse(EV_AES_KEY, &k), JF_ERR_OK);
    assert_int_equal(jf_wxcrypt_decrypt(&k, enc, strlen(enc), EV_OWNER, &plain, NULL),
                     JF_ERR_OK);
    assert_string_equal(plain.data, "success");
    jf_buf_free(&plain);
    jf_wxcrypt_key_wipe(&k);
    json_decref(doc);
}

static void test_event_sdk_sample(void **state)
{
    (void)state;
    static const char *const queries[] = {
        EV_QUERY,
        /* The names DingTalk's SDK README also accepts. */
        "msg_signature=" EV_SIG "&timeStamp=" EV_TS "&nonce=" EV_NONCE,
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        fake_request r;
        jf_inbound msg;
        size_t n;
        void *st;
        jf_webhook_reply rep;
        jf_webhook_reply_init(&rep);
        init_request(&r, queries[i], EV_BODY, NULL, NULL, EV_TIME + 5);
        assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
        assert_int_equal(n, 0);
        assert_null(st);
        check_event_success(&rep, EV_TIME + 5);
        jf_webhook_reply_free(&rep);
        jf_buf_free(&r.body);
    }
}

/* event_request - an event push of plaintext event JSON, encrypted for owner, at ts (ms). */
static void event_request(fake_request *r, const char *event, const char *owner, int64_t ts_ms,
                          int64_t now)
{
    jf_wxcrypt_key k;
    jf_buf enc, body;
    char ts[32], sig[JF_WXCRYPT_SIG_LEN + 1], query[256];
    jf_buf_init(&enc, 1 << 16);
    jf_buf_init(&body, 1 << 16);
    assert_int_equal(jf_wxcrypt_key_parse(EV_AES_KEY, &k), JF_ERR_OK);
    assert_int_equal(jf_wxcrypt_encrypt(&k, NULL, event, strlen(event), owner, &enc),
                     JF_ERR_OK);
    snprintf(ts, sizeof ts, "%lld", (long long)ts_ms);
    assert_int_equal(jf_wxcrypt_signature(EV_TOKEN, ts, "n0nce", enc.data, sig), JF_ERR_OK);
    snprintf(query, sizeof query, "signature=%s&timestamp=%s&nonce=n0nce", sig, ts);
    assert_int_equal(jf_buf_appendf(&body, "{\"encrypt\":\"%s\"}", enc.data), JF_ERR_OK);
    init_request(r, query, body.data, NULL, NULL, now);
    jf_buf_free(&enc);
    jf_buf_free(&body);
    jf_wxcrypt_key_wipe(&k);
}

static void test_event_other_events(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    event_request(&r, "{\"EventType\":\"user_add_org\",\"UserId\":[\"u1\"],\"CorpId\":\"c\"}",
                  EV_OWNER, 1760000000123LL, 1760000000);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 0);
    check_event_success(&rep, 1760000000);
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r.body);
}

static void test_event_bad_input(void **state)
{
    (void)state;
    fake_request r;
    /* 403: wrong signature; stale; for another app. */
    init_request(&r,
                 "signature=13044561471240d4a14bb09372dfcfd4fd0e40cb&timestamp=" EV_TS
                 "&nonce=" EV_NONCE,
                 EV_BODY, NULL, NULL, EV_TIME);
    expect_reject(&r, 403, "invalid signature");
    init_request(&r, EV_QUERY, EV_BODY, NULL, NULL, EV_TIME + 3601);
    expect_reject(&r, 403, "stale timestamp");
    event_request(&r, "{\"EventType\":\"check_url\"}", "dingOTHERAPP", 1760000000000LL,
                  1760000000);
    expect_reject(&r, 403, "another receive id");
    /* 400: missing parameters and fields; what is inside is not an event. */
    init_request(&r, "signature=" EV_SIG "&nonce=" EV_NONCE, EV_BODY, NULL, NULL, EV_TIME);
    expect_reject(&r, 400, "parameter timestamp");
    init_request(&r, "signature=" EV_SIG "&timestamp=" EV_TS, EV_BODY, NULL, NULL, EV_TIME);
    expect_reject(&r, 400, "parameter nonce");
    init_request(&r, EV_QUERY, "{\"encrypt\":\"\"}", NULL, NULL, EV_TIME);
    expect_reject(&r, 400, "missing required field encrypt");
    init_request(&r, EV_QUERY, "{\"data\":1}", NULL, NULL, EV_TIME);
    expect_reject(&r, 400, "missing required field encrypt");
    init_request(&r, EV_QUERY, "{\"encrypt\":", NULL, NULL, EV_TIME);
    expect_reject(&r, 400, "expected a JSON object");
    event_request(&r, "check_url", EV_OWNER, 1760000000000LL, 1760000000);
    expect_reject(&r, 400, "EventType");
    init_request(&r, "signature=" EV_SIG "&timestamp=" EV_TS "&nonce=" EV_NONCE "&x=%G0",
                 EV_BODY, NULL, NULL, EV_TIME);
    expect_reject(&r, 400, "malformed query string");

    /* 500: event subscriptions need token, aes_key and owner_key. */
    static const jf_webhook_channel robot_only = {
        "dingtalk", "default", {{"app_secret", ROBOT_SECRET}}, 1};
    init_request(&r, EV_QUERY, EV_BODY, NULL, NULL, EV_TIME);
    expect_reject_ch(&robot_only, &r, 500, "token");
}

/* ---- sending --------------------------------------------------------------------------- */

static void test_work_notification(void **state)
{
    (void)state;
    jf_webhook_http h;
    json_error_t jerr;
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_dingtalk_adapter.token_request(&channel, &h), JF_ERR_OK);
    assert_string_equal(h.url.data, "https://oapi.dingtalk.com/gettoken?appkey=" EV_OWNER
                                    "&appsecret=this%20is%20secret");
    jf_webhook_http_free(&h);

    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_dingtalk_adapter.send_request(&channel, "tok", "user123",
                                                              "答复：已转交", &h),
                     JF_ERR_OK);
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.url.data, "https://oapi.dingtalk.com/topapi/message/corpconversation/"
                                    "asyncsend_v2?access_token=tok");
    json_t *doc = json_loadb(h.body.data, h.body.len, 0, &jerr);
    assert_int_equal(json_integer_value(json_object_get(doc, "agent_id")), 2980245);
    assert_string_equal(json_string_value(json_object_get(doc, "userid_list")), "user123");
    json_t *m = json_object_get(doc, "msg");
    assert_string_equal(json_string_value(json_object_get(m, "msgtype")), "text");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(m, "text"), "content")),
        "答复：已转交");
    json_decref(doc);
    jf_webhook_http_free(&h);

    static const struct {
        long status;
        const char *body;
        jf_send_verdict verdict;
        int stale;
    } cases[] = {
        {200, "{\"errcode\":0,\"errmsg\":\"ok\",\"task_id\":256271667526}", JF_SEND_OK, 0},
        {200, "{\"errcode\":40014,\"errmsg\":\"不合法的access_token\"}", JF_SEND_RETRY, 1},
        {200, "{\"errcode\":42001,\"errmsg\":\"access_token超时\"}", JF_SEND_RETRY, 1},
        {200, "{\"errcode\":90018,\"errmsg\":\"当前企业调用接口达到上限\"}", JF_SEND_RETRY, 0},
        {200, "{\"errcode\":33012,\"errmsg\":\"无效的userid\"}", JF_SEND_FAIL, 0},
        {502, "", JF_SEND_RETRY, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jf_send_result res;
        jf_webhook_dingtalk_adapter.send_result(cases[i].status, NULL, cases[i].body,
                                                strlen(cases[i].body), &res);
        assert_int_equal(res.verdict, cases[i].verdict);
        assert_int_equal(res.token_stale, cases[i].stale);
    }
    jf_send_result res;
    const char *cn = "{\"errcode\":33012,\"errmsg\":\"无效的userid\"}";
    jf_webhook_dingtalk_adapter.send_result(200, NULL, cn, strlen(cn), &res);
    assert_string_equal(res.error, "errcode 33012: 无效的userid");
}

static void test_group_robot(void **state)
{
    (void)state;
    jf_webhook_http h;
    json_error_t jerr;
    char sign[JF_DINGTALK_SIGN_LEN + 1];
    const char *url = "https://oapi.dingtalk.com/robot/send?access_token=abc123";
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_dingtalk_robot_request(url, ROBOT_SECRET, 1577262236757LL,
                                                       "督办：JF-7Q2K 已逾期", &h),
                     JF_ERR_OK);
    /* The sign is URL-encoded: + / = become %2B %2F %3D. */
    assert_int_equal(jf_webhook_dingtalk_robot_sign(ROBOT_SECRET, ROBOT_TS, sign), JF_ERR_OK);
    assert_string_equal(h.url.data, "https://oapi.dingtalk.com/robot/send?access_token=abc123"
                                    "&timestamp=1577262236757"
                                    "&sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D");
    assert_string_equal(h.method, "POST");
    json_t *doc = json_loadb(h.body.data, h.body.len, 0, &jerr);
    assert_string_equal(json_string_value(json_object_get(doc, "msgtype")), "text");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "text"), "content")),
        "督办：JF-7Q2K 已逾期");
    json_decref(doc);
    jf_webhook_http_free(&h);

    /* A robot without 加签 (keyword or IP security): nothing appended. */
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_dingtalk_robot_request(url, NULL, 1, "x", &h), JF_ERR_OK);
    assert_string_equal(h.url.data, url);
    assert_int_equal(jf_webhook_dingtalk_robot_request("https://x/robot", "SECx", 5, "x", &h),
                     JF_ERR_OK);
    assert_non_null(strstr(h.url.data, "https://x/robot?timestamp=5&sign="));
    assert_int_equal(jf_webhook_dingtalk_robot_request("file:///x", NULL, 1, "x", &h),
                     JF_ERR_INVAL);
    assert_int_equal(jf_webhook_dingtalk_robot_request(url, "", 1, "x", &h), JF_ERR_INVAL);
    jf_webhook_http_free(&h);

    static const struct {
        const char *body;
        jf_send_verdict verdict;
    } cases[] = {
        {"{\"errcode\":0,\"errmsg\":\"ok\"}", JF_SEND_OK},
        {"{\"errcode\":130101,\"errmsg\":\"send too fast, exceed 20 times per minute\"}",
         JF_SEND_RETRY},
        {"{\"errcode\":310000,\"errmsg\":\"sign not match\"}", JF_SEND_FAIL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jf_send_result res;
        jf_webhook_dingtalk_robot_result(200, NULL, cases[i].body, strlen(cases[i].body), &res);
        assert_int_equal(res.verdict, cases[i].verdict);
    }
}

static void test_table_row(void **state)
{
    (void)state;
    const jf_webhook_adapter *a = jf_webhook_adapter_find("dingtalk");
    assert_ptr_equal(a, &jf_webhook_dingtalk_adapter);
    assert_int_equal(a->methods, JF_WEBHOOK_POST);
    assert_true(a->inline_ack);
    static const char *const envs[] = {
        "JIANFU_DINGTALK_APP_SECRET", "JIANFU_DINGTALK_TOKEN",    "JIANFU_DINGTALK_AES_KEY",
        "JIANFU_DINGTALK_OWNER_KEY",  "JIANFU_DINGTALK_AGENT_ID", "JIANFU_DINGTALK_API_BASE"};
    assert_int_equal(a->nsettings, sizeof envs / sizeof envs[0]);
    for (size_t i = 0; i < a->nsettings; i++)
        assert_string_equal(a->settings[i].env, envs[i]);
    assert_true(a->settings[0].flags & JF_SETTING_REQUIRED);
    assert_true(a->settings[1].flags & JF_SETTING_SECRET);
    assert_true(a->settings[2].flags & JF_SETTING_SECRET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signatures),       cmocka_unit_test(test_robot_doc_example),
        cmocka_unit_test(test_robot_variants),   cmocka_unit_test(test_robot_bad_input),
        cmocka_unit_test(test_event_sdk_sample), cmocka_unit_test(test_event_other_events),
        cmocka_unit_test(test_event_bad_input),  cmocka_unit_test(test_work_notification),
        cmocka_unit_test(test_group_robot),      cmocka_unit_test(test_table_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
