/* test_webhook_wechat.c - the WeChat official account adapter: WeChat's published sample,
 * the bad-input table, encrypted passive replies and customer-service messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "webhook/adapter.h"
#include "webhook/wechat.h"
#include "webhook/wxcrypt.h"
#include "webhook/xml.h"

/* WeChat's official-account encryption demo for Python (Sample.py, "jonyqin", 2014;
 * mirrored in charlesXu86/Chatbot_CN Chatbot_Web/impl/weixin/Sample.py, "测试解密接口"):
 * token "spamtest", EncodingAESKey below, app id wx2c2769f8efd9abc2, timestamp 1409735669,
 * nonce 1320562132, msg_sign 5d197aaffba7e9b25a30732f161a50dee96bd5fa and from_xml below,
 * a compatibility-mode body that carries the plaintext fields next to Encrypt. Its
 * decryption (Content "abcdteT" from oyORnuP8q7ou2gfYjqLzSIWZf0rs to gh_10f6c3c3ac5a, MsgId
 * 6054768590064713728) was confirmed with Python's cryptography package.
 * The sample has no URL check; SIGNATURE is the three-part signature of its token,
 * timestamp and nonce, computed with Python's hashlib (a constructed vector). */
#define TOKEN "spamtest"
#define AES_KEY "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
#define APPID "wx2c2769f8efd9abc2"
#define TS "1409735669"
#define TIME 1409735669
#define NONCE "1320562132"
#define MSG_SIGNATURE "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
#define SIGNATURE "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
#define OPENID "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
#define ACCOUNT "gh_10f6c3c3ac5a"
#define ENCRYPT                                                                                \
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6" \
    "F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T33" \
    "2jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCg" \
    "avjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6Oewp" \
    "usjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
#define FROM_XML                                                                               \
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA["         \
    "oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime>"        \
    "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>"         \
    "6054768590064713728</MsgId><Encrypt><![CDATA[" ENCRYPT "]]></Encrypt></xml>"
#define POST_QUERY                                                                             \
    "signature=" SIGNATURE "&timestamp=" TS "&nonce=" NONCE "&openid=" OPENID                  \
    "&encrypt_type=aes&msg_signature=" MSG_SIGNATURE

static const char *const never_echoed[] = {OPENID, "abcdteT", NONCE, "hyzAe4Oz", "会议"};

static const jf_webhook_channel channel = {
    "wechat",
    "default",
    {{"token", TOKEN},
     {"aes_key", AES_KEY},
     {"receive_id", APPID},
     {"secret", "app-secret-for-tests"}},
    4,
};

typedef struct {
    jf_webhook_request req;
    char query[2048];
    jf_buf body;
} fake_request;

static const char *no_headers(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

static void init_request(fake_request *r, const char *method, const char *query,
                         const char *body, int64_t now)
{
    memset(&r->req, 0, sizeof r->req);
    jf_buf_init(&r->body, 1 << 20);
    snprintf(r->query, sizeof r->query, "%s", query);
    if (body)
        assert_int_equal(jf_buf_appends(&r->body, body), JF_ERR_OK);
    r->req.method = method;
    r->req.url = "https://jianfu.example.gov.cn/webhooks/wechat";
    r->req.query = r->query;
    r->req.content_type = strcmp(method, "POST") == 0 ? "text/xml" : NULL;
    r->req.header = no_headers;
    r->req.body = r->body.data ? r->body.data : "";
    r->req.body_len = r->body.len;
    r->req.now = now;
}

static jf_err run(const jf_webhook_channel *ch, fake_request *r, jf_inbound *msg, size_t *n,
                  void **st, jf_webhook_reply *reply)
{
    *n = 99;
    *st = (void *)1;
    return jf_webhook_wechat_adapter.receive(ch, &r->req, msg, 1, n, st, reply);
}

static void expect_reject(fake_request *r, unsigned status, const char *want)
{
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    jf_err err = run(&channel, r, &msg, &n, &st, &rep);
    assert_int_not_equal(err, JF_ERR_OK);
    assert_null(st);
    assert_int_equal(n, 0);
    assert_null(msg.sender);
    if (rep.status != status)
        fail_msg("status %u (\"%s\"), want %u", rep.status, rep.body.data ? rep.body.data : "",
                 status);
    if (!strstr(rep.body.data, want))
        fail_msg("reject \"%s\" lacks \"%s\"", rep.body.data, want);
    for (size_t i = 0; i < sizeof never_echoed / sizeof never_echoed[0]; i++)
        assert_null(strstr(rep.body.data, never_echoed[i]));
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r->body);
}

/* signed_post - a safe-mode POST of plaintext inner XML at time ts. */
static void signed_post(fake_request *r, const char *inner, int64_t ts, int64_t now)
{
    jf_wxcrypt_key k;
    jf_buf enc, body;
    char tss[24], sig[JF_WXCRYPT_SIG_LEN + 1], query[512];

    jf_buf_init(&enc, 1 << 20);
    jf_buf_init(&body, 1 << 20);
    assert_int_equal(jf_wxcrypt_key_parse(AES_KEY, &k), JF_ERR_OK);
    assert_int_equal(jf_wxcrypt_encrypt(&k, NULL, inner, strlen(inner), APPID, &enc),
                     JF_ERR_OK);
    snprintf(tss, sizeof tss, "%lld", (long long)ts);
    assert_int_equal(jf_wxcrypt_signature(TOKEN, tss, "77", enc.data, sig), JF_ERR_OK);
    snprintf(query, sizeof query, "timestamp=%s&nonce=77&encrypt_type=aes&msg_signature=%s",
             tss, sig);
    assert_int_equal(jf_buf_appendf(&body,
                                    "<xml><ToUserName>" ACCOUNT "</ToUserName><Encrypt>"
                                    "<![CDATA[%s]]></Encrypt></xml>",
                                    enc.data),
                     JF_ERR_OK);
    init_request(r, "POST", query, body.data, now);
    jf_buf_free(&enc);
    jf_buf_free(&body);
    jf_wxcrypt_key_wipe(&k);
}

static void test_sample_message(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    init_request(&r, "POST", POST_QUERY, FROM_XML, TIME + 1);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(msg.msg_id, "6054768590064713728");
    assert_string_equal(msg.sender, OPENID);
    assert_string_equal(msg.recipient, ACCOUNT);
    assert_string_equal(msg.text, "abcdteT");

    /* The passive reply: to the openid, from the account's original id, for the app id. */
    assert_int_equal(jf_webhook_wechat_adapter.render_ack(&channel, st, "已收到 JF-7Q2K", &rep),
                     JF_ERR_OK);
    assert_int_equal(rep.status, 200);
    jf_xml env, inner;
    const char *why = NULL;
    assert_int_equal(jf_webhook_xml_parse(rep.body.data, rep.body.len, "xml", &env, &why),
                     JF_ERR_OK);
    const char *enc = jf_webhook_xml_get(&env, "Encrypt");
    assert_int_equal(jf_wxcrypt_verify(TOKEN, jf_webhook_xml_get(&env, "TimeStamp"),
                                       jf_webhook_xml_get(&env, "Nonce"), enc,
                                       jf_webhook_xml_get(&env, "MsgSignature")),
                     JF_ERR_OK);
    jf_wxcrypt_key k;
    jf_buf plain;
    jf_buf_init(&plain, 1 << 16);
    assert_int_equal(jf_wxcrypt_key_parse(AES_KEY, &k), JF_ERR_OK);
    assert_int_equal(jf_wxcrypt_decrypt(&k, enc, strlen(enc), APPID, &plain, NULL), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_parse(plain.data, plain.len, "xml", &inner, &why),
                     JF_ERR_OK);
    assert_string_equal(jf_webhook_xml_get(&inner, "ToUserName"), OPENID);
    assert_string_equal(jf_webhook_xml_get(&inner, "FromUserName"), ACCOUNT);
    assert_string_equal(jf_webhook_xml_get(&inner, "Content"), "已收到 JF-7Q2K");
    jf_webhook_xml_free(&inner);
    jf_webhook_xml_free(&env);
    jf_buf_free(&plain);
    jf_wxcrypt_key_wipe(&k);
    jf_webhook_wechat_adapter.release(st);
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r.body);
}

/* Compatibility mode puts plaintext fields next to Encrypt; they are not signed, so only
 * the decrypted message counts. */
static void test_unsigned_fields_ignored(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    init_request(
        &r, "POST", POST_QUERY,
        "<xml><ToUserName>gh_evil</ToUserName><FromUserName>someone_else</FromUserName>"
        "<MsgType>text</MsgType><Content>forged</Content><MsgId>1</MsgId>"
        "<Encrypt><![CDATA[" ENCRYPT "]]></Encrypt></xml>",
        TIME);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_string_equal(msg.sender, OPENID);
    assert_string_equal(msg.text, "abcdteT");
    assert_string_equal(msg.msg_id, "6054768590064713728");
    jf_webhook_wechat_adapter.release(st);
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r.body);
}

static void test_url_check(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    init_request(&r, "GET",
                 "signature=" SIGNATURE "&echostr=4075181314397890557&timestamp=" TS
                 "&nonce=" NONCE,
                 NULL, TIME);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.body.data, "4075181314397890557");
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r.body);

    /* Wrong signature, stale, and an echostr that is not a plain token (only that shape is
     * ever reflected back). */
    init_request(&r, "GET",
                 "signature=26120ec1b8dbb870f510d87ce6bc2463eae6ca1a&echostr=1&timestamp=" TS
                 "&nonce=" NONCE,
                 NULL, TIME);
    expect_reject(&r, 403, "invalid signature");
    init_request(&r, "GET", "signature=" SIGNATURE "&echostr=1&timestamp=" TS "&nonce=" NONCE,
                 NULL, TIME + 301);
    expect_reject(&r, 403, "stale timestamp");
    init_request(&r, "GET",
                 "signature=" SIGNATURE "&echostr=%3Cscript%3E&timestamp=" TS "&nonce=" NONCE,
                 NULL, TIME);
    expect_reject(&r, 400, "invalid echostr");
    init_request(&r, "GET", "signature=" SIGNATURE "&timestamp=" TS "&nonce=" NONCE, NULL,
                 TIME);
    expect_reject(&r, 400, "parameter echostr");
    init_request(&r, "GET", "echostr=1&timestamp=" TS "&nonce=" NONCE, NULL, TIME);
    expect_reject(&r, 400, "parameter signature");
}

static void test_plaintext_mode_refused(void **state)
{
    (void)state;
    fake_request r;
    /* 明文模式: no encrypt_type, or raw. Its signature does not cover the body. */
    init_request(&r, "POST", "signature=" SIGNATURE "&timestamp=" TS "&nonce=" NONCE, FROM_XML,
                 TIME);
    expect_reject(&r, 400, "plaintext mode is not accepted");
    init_request(&r, "POST",
                 "signature=" SIGNATURE "&timestamp=" TS "&nonce=" NONCE "&encrypt_type=raw",
                 FROM_XML, TIME);
    expect_reject(&r, 400, "safe mode");
}

static void test_bad_input_table(void **state)
{
    (void)state;
    fake_request r;
    /* 403: a wrong msg_signature; the sample replayed now. */
    init_request(&r, "POST",
                 "timestamp=" TS "&nonce=" NONCE
                 "&encrypt_type=aes&msg_signature=6d197aaffba7e9b25a30732f161a50dee96bd5fa",
                 FROM_XML, TIME);
    expect_reject(&r, 403, "invalid msg_signature");
    init_request(&r, "POST", POST_QUERY, FROM_XML, 1760000000);
    expect_reject(&r, 403, "stale timestamp");
    /* 400: missing parameters, malformed XML, a message for another app id. */
    init_request(&r, "POST", "timestamp=" TS "&nonce=" NONCE "&encrypt_type=aes", FROM_XML,
                 TIME);
    expect_reject(&r, 400, "parameter msg_signature");
    init_request(&r, "POST", POST_QUERY, "<xml><Encrypt>", TIME);
    expect_reject(&r, 400, "malformed XML body");
    init_request(&r, "POST", POST_QUERY, "<xml><Content>x</Content></xml>", TIME);
    expect_reject(&r, 400, "missing required element Encrypt");
    /* 415, 413, 405. */
    init_request(&r, "POST", POST_QUERY, FROM_XML, TIME);
    r.req.content_type = "application/x-www-form-urlencoded";
    expect_reject(&r, 415, "unsupported content type");
    init_request(&r, "POST", POST_QUERY, FROM_XML, TIME);
    r.req.body_len = JF_WEBHOOK_MAX_BODY + 1;
    expect_reject(&r, 413, "too large");
    init_request(&r, "PATCH", POST_QUERY, FROM_XML, TIME);
    expect_reject(&r, 405, "method not allowed");

    /* Events are answered with an empty 200 and store nothing. */
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    signed_post(&r,
                "<xml><ToUserName>" ACCOUNT "</ToUserName><FromUserName>" OPENID
                "</FromUserName><MsgType>event</MsgType><Event>subscribe</Event></xml>",
                TIME, TIME);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rep.status, 200);
    assert_int_equal(rep.body.len, 0);
    jf_webhook_reply_free(&rep);
    jf_buf_free(&r.body);
}

static void test_send(void **state)
{
    (void)state;
    jf_webhook_http h;
    json_error_t jerr;
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_wechat_adapter.token_request(&channel, &h), JF_ERR_OK);
    assert_string_equal(h.method, "GET");
    assert_string_equal(h.url.data,
                        "https://api.weixin.qq.com/cgi-bin/token?grant_type="
                        "client_credential&appid=" APPID "&secret=app-secret-for-tests");
    jf_webhook_http_free(&h);

    char token[128];
    int64_t exp = 0;
    jf_send_result res;
    /* WeChat's token answer has no errcode on success. */
    const char *ok = "{\"access_token\":\"ACCESS_TOKEN_1\",\"expires_in\":7200}";
    assert_int_equal(jf_webhook_wechat_adapter.token_parse(200, ok, strlen(ok), token,
                                                           sizeof token, &exp, &res),
                     JF_ERR_OK);
    assert_string_equal(token, "ACCESS_TOKEN_1");
    const char *ip = "{\"errcode\":40164,\"errmsg\":\"invalid ip 1.2.3.4, not in whitelist\"}";
    assert_int_equal(jf_webhook_wechat_adapter.token_parse(200, ip, strlen(ip), token,
                                                           sizeof token, &exp, &res),
                     JF_ERR_AUTH);
    assert_int_equal(res.verdict, JF_SEND_FAIL);

    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_wechat_adapter.send_request(&channel, "ACCESS_TOKEN_1", OPENID,
                                                            "答复：已办结", &h),
                     JF_ERR_OK);
    assert_string_equal(h.url.data, "https://api.weixin.qq.com/cgi-bin/message/custom/send?"
                                    "access_token=ACCESS_TOKEN_1");
    json_t *doc = json_loadb(h.body.data, h.body.len, 0, &jerr);
    assert_string_equal(json_string_value(json_object_get(doc, "touser")), OPENID);
    assert_string_equal(json_string_value(json_object_get(doc, "msgtype")), "text");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "text"), "content")),
        "答复：已办结");
    json_decref(doc);
    jf_webhook_http_free(&h);

    static const struct {
        const char *body;
        jf_send_verdict verdict;
        int stale;
    } cases[] = {
        {"{\"errcode\":0,\"errmsg\":\"ok\"}", JF_SEND_OK, 0},
        {"{\"errcode\":40001,\"errmsg\":\"invalid credential\"}", JF_SEND_RETRY, 1},
        {"{\"errcode\":42001,\"errmsg\":\"access_token expired\"}", JF_SEND_RETRY, 1},
        {"{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit\"}", JF_SEND_RETRY,
         0},
        {"{\"errcode\":45015,\"errmsg\":\"response out of time limit\"}", JF_SEND_FAIL, 0},
        {"{\"errcode\":45047,\"errmsg\":\"out of response count limit\"}", JF_SEND_FAIL, 0},
        {"{\"errcode\":40003,\"errmsg\":\"invalid openid\"}", JF_SEND_FAIL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jf_webhook_wechat_adapter.send_result(200, NULL, cases[i].body, strlen(cases[i].body),
                                              &res);
        assert_int_equal(res.verdict, cases[i].verdict);
        assert_int_equal(res.token_stale, cases[i].stale);
    }
    const jf_webhook_adapter *a = jf_webhook_adapter_find("wechat");
    assert_ptr_equal(a, &jf_webhook_wechat_adapter);
    assert_string_equal(a->settings[2].env, "JIANFU_WECHAT_RECEIVE_ID");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_message),  cmocka_unit_test(test_unsigned_fields_ignored),
        cmocka_unit_test(test_url_check),       cmocka_unit_test(test_plaintext_mode_refused),
        cmocka_unit_test(test_bad_input_table), cmocka_unit_test(test_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
