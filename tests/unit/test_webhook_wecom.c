/* test_webhook_wecom.c - the WeCom adapter: WeCom's published sample, the bad-input table,
 * encrypted passive replies, the message API and group robots. */
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
#include "webhook/adapter.h"
#include "webhook/wecom.h"
#include "webhook/wxcrypt.h"
#include "webhook/xml.h"

/* WeCom's official sample, WXBizMsgCrypt Sample.cpp (mirrored in LeoEatle/
 * WXBizMsgCryptNode Sample.cpp): the settings "假设企业在企业微信后台设置的参数如下", the
 * verify-URL GET of 使用示例一 exactly as the sample writes it (query still %-encoded), and
 * the message POST of 使用示例二 with its body (including AgentID 218). The decrypted
 * echostr (1616140317555161061) and message (from "mycreate", Content "hello", MsgId
 * 4561255354251345929) were obtained independently with Python's cryptography package. */
#define TOKEN "QDG6eK"
#define CORP "wx5823bf96d3bd56c7"
#define AES_KEY "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
#define VERIFY_QUERY                                                                           \
    "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce="       \
    "263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPc" \
    "s8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
#define VERIFY_TIME 1409659589
#define MSG_QUERY                                                                              \
    "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce="       \
    "1372623149"
#define MSG_TIME 1409659813
#define MSG_ENCRYPT                                                                            \
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3Qczc" \
    "dCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLj" \
    "vd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMn" \
    "vw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k" \
    "22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2Yoy" \
    "yH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
#define MSG_BODY                                                                               \
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></"                                        \
    "ToUserName><Encrypt><![CDATA[" MSG_ENCRYPT                                                \
    "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"

/* Values that must never appear in a reject. */
static const char *const never_echoed[] = {"mycreate",   "hello",       "1372623149",
                                           "RypEvHKD8Q", "13812345678", "会议太多"};

static const jf_webhook_channel channel = {
    "wecom",
    "default",
    {{"token", TOKEN},
     {"aes_key", AES_KEY},
     {"receive_id", CORP},
     {"secret", "corp-secret-for-tests"},
     {"agent_id", "1000002"}},
    5,
};

typedef struct {
    jf_webhook_request req;
    char query[4096];
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
    r->req.url = "https://jianfu.example.gov.cn/webhooks/wecom";
    r->req.query = r->query;
    r->req.content_type = strcmp(method, "POST") == 0 ? "text/xml" : NULL;
    r->req.header = no_headers;
    r->req.body = r->body.data ? r->body.data : "";
    r->req.body_len = r->body.len;
    r->req.now = now;
}

static void free_request(fake_request *r)
{
    jf_buf_free(&r->body);
}

/* signed_post - a POST carrying plaintext inner XML, encrypted for rid and signed with
 * token at time ts, as WeCom would send it. */
static void signed_post(fake_request *r, const char *inner, const char *rid, const char *token,
                        int64_t ts, int64_t now)
{
    jf_wxcrypt_key k;
    jf_buf enc;
    char tss[24];
    char sig[JF_WXCRYPT_SIG_LEN + 1];
    char query[512];
    jf_buf body;

    jf_buf_init(&enc, 1 << 20);
    jf_buf_init(&body, 1 << 20);
    assert_int_equal(jf_wxcrypt_key_parse(AES_KEY, &k), JF_ERR_OK);
    assert_int_equal(jf_wxcrypt_encrypt(&k, NULL, inner, strlen(inner), rid, &enc), JF_ERR_OK);
    snprintf(tss, sizeof tss, "%lld", (long long)ts);
    assert_int_equal(jf_wxcrypt_signature(token, tss, "nonce42", enc.data, sig), JF_ERR_OK);
    snprintf(query, sizeof query, "msg_signature=%s&timestamp=%s&nonce=nonce42", sig, tss);
    assert_int_equal(jf_buf_appendf(&body,
                                    "<xml><ToUserName><![CDATA[%s]]></ToUserName>"
                                    "<Encrypt><![CDATA[%s]]></Encrypt></xml>",
                                    CORP, enc.data),
                     JF_ERR_OK);
    init_request(r, "POST", query, body.data, now);
    jf_buf_free(&enc);
    jf_buf_free(&body);
    jf_wxcrypt_key_wipe(&k);
}

static jf_err run(const jf_webhook_channel *ch, fake_request *r, jf_inbound *msg, size_t *n,
                  void **st, jf_webhook_reply *reply)
{
    *n = 99;
    *st = (void *)1;
    return jf_webhook_wecom_adapter.receive(ch, &r->req, msg, 1, n, st, reply);
}

/* expect_reject - receive fails with this status and a message containing want, leaves
 * no state or message behind, and echoes nothing of the request. */
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
    assert_non_null(rep.body.data);
    if (!strstr(rep.body.data, want))
        fail_msg("reject \"%s\" lacks \"%s\"", rep.body.data, want);
    for (size_t i = 0; i < sizeof never_echoed / sizeof never_echoed[0]; i++)
        assert_null(strstr(rep.body.data, never_echoed[i]));
    jf_webhook_reply_free(&rep);
    free_request(r);
}

static void expect_reject(fake_request *r, unsigned status, const char *want)
{
    expect_reject_ch(&channel, r, status, want);
}

/* ---- the published sample -------------------------------------------------------------- */

static void test_sample_verify_url(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    init_request(&r, "GET", VERIFY_QUERY, NULL, VERIFY_TIME + 3);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 0);
    assert_null(st);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.content_type, "text/plain; charset=utf-8");
    assert_string_equal(rep.body.data, "1616140317555161061");
    jf_webhook_reply_free(&rep);
    free_request(&r);
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
    init_request(&r, "POST", MSG_QUERY, MSG_BODY, MSG_TIME + 2);
    r.req.content_type = "text/xml; charset=utf-8";
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 1);
    assert_non_null(st);
    assert_string_equal(msg.msg_id, "4561255354251345929");
    assert_string_equal(msg.sender, "mycreate");
    assert_string_equal(msg.recipient, "218"); /* the AgentID: which app was written to */
    assert_string_equal(msg.text, "hello");
    assert_int_equal(rep.status, 0);

    /* The passive reply: addressed back to the sender, from the corp, encrypted for the
     * corp and signed with our own timestamp and nonce. "]]>" must survive CDATA. */
    const char *ack = "已收到，编号 JF-7Q2K。<查询> & \"]]>\"";
    assert_int_equal(jf_webhook_wecom_adapter.render_ack(&channel, st, ack, &rep), JF_ERR_OK);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.content_type, "text/xml; charset=utf-8");
    jf_xml env, inner;
    const char *why = NULL;
    assert_int_equal(jf_webhook_xml_parse(rep.body.data, rep.body.len, "xml", &env, &why),
                     JF_ERR_OK);
    const char *enc = jf_webhook_xml_get(&env, "Encrypt");
    const char *sig = jf_webhook_xml_get(&env, "MsgSignature");
    const char *ts = jf_webhook_xml_get(&env, "TimeStamp");
    const char *nonce = jf_webhook_xml_get(&env, "Nonce");
    assert_non_null(enc);
    assert_string_equal(ts, "1409659815");
    assert_int_equal(strlen(nonce), JF_WXCRYPT_NONCE_LEN);
    assert_string_not_equal(nonce, "1372623149");
    assert_int_equal(jf_wxcrypt_verify(TOKEN, ts, nonce, enc, sig), JF_ERR_OK);
    /* Nothing of the reporter in the clear. */
    assert_null(strstr(rep.body.data, "mycreate"));
    assert_null(strstr(rep.body.data, "JF-7Q2K"));
    jf_wxcrypt_key k;
    jf_buf plain;
    jf_buf_init(&plain, 1 << 16);
    assert_int_equal(jf_wxcrypt_key_parse(AES_KEY, &k), JF_ERR_OK);
    assert_int_equal(jf_wxcrypt_decrypt(&k, enc, strlen(enc), CORP, &plain, NULL), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_parse(plain.data, plain.len, "xml", &inner, &why),
                     JF_ERR_OK);
    assert_string_equal(jf_webhook_xml_get(&inner, "ToUserName"), "mycreate");
    assert_string_equal(jf_webhook_xml_get(&inner, "FromUserName"), CORP);
    assert_string_equal(jf_webhook_xml_get(&inner, "MsgType"), "text");
    assert_string_equal(jf_webhook_xml_get(&inner, "CreateTime"), "1409659815");
    assert_string_equal(jf_webhook_xml_get(&inner, "Content"), ack);
    jf_webhook_xml_free(&inner);
    jf_webhook_xml_free(&env);
    jf_buf_free(&plain);
    jf_wxcrypt_key_wipe(&k);

    /* Two replies to one message differ (fresh random prefix and nonce). */
    jf_webhook_reply again;
    jf_webhook_reply_init(&again);
    assert_int_equal(jf_webhook_wecom_adapter.render_ack(&channel, st, ack, &again), JF_ERR_OK);
    assert_string_not_equal(again.body.data, rep.body.data);
    jf_webhook_reply_free(&again);

    /* No text: an empty 200, which WeCom takes as "no reply". */
    assert_int_equal(jf_webhook_wecom_adapter.render_ack(&channel, st, NULL, &rep), JF_ERR_OK);
    assert_int_equal(rep.status, 200);
    assert_int_equal(rep.body.len, 0);
    /* Text XML cannot carry is refused, leaving an empty body. */
    assert_int_equal(jf_webhook_wecom_adapter.render_ack(&channel, st, "a\x01", &rep),
                     JF_ERR_INVAL);
    assert_int_equal(rep.body.len, 0);
    assert_int_equal(jf_webhook_wecom_adapter.render_ack(&channel, NULL, "x", &rep),
                     JF_ERR_INVAL);
    jf_webhook_wecom_adapter.release(st);
    jf_webhook_wecom_adapter.release(NULL);
    jf_webhook_reply_free(&rep);
    free_request(&r);
}

/* ---- constructed messages -------------------------------------------------------------- */

#define NOW 1760000000
#define TEXT_MSG                                                                                \
    "<xml><ToUserName><![CDATA[" CORP "]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"      \
    "</FromUserName><CreateTime>1760000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"     \
    "<Content><![CDATA[会议太多，天天开]]></Content><MsgId>7000000000000000001</MsgId>" \
    "<AgentID>1000002</AgentID></xml>"

static void test_events_and_media(void **state)
{
    (void)state;
    static const char *const inner[] = {
        "<xml><ToUserName><![CDATA[" CORP "]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"
        "</FromUserName><CreateTime>1760000000</CreateTime><MsgType><![CDATA[event]]>"
        "</MsgType><Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey>"
        "<AgentID>1000002</AgentID></xml>",
        "<xml><ToUserName><![CDATA[" CORP "]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"
        "</FromUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]>"
        "</Event></xml>",
        "<xml><ToUserName><![CDATA[" CORP "]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"
        "</FromUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]>"
        "</Event><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]>"
        "</ScanResult></ScanCodeInfo></xml>",
        "<xml><ToUserName><![CDATA[" CORP "]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"
        "</FromUserName><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/y]]>"
        "</PicUrl><MediaId><![CDATA[m]]></MediaId><MsgId>7000000000000000002</MsgId></xml>",
    };
    for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++) {
        fake_request r;
        jf_inbound msg;
        size_t n;
        void *st;
        jf_webhook_reply rep;
        jf_webhook_reply_init(&rep);
        signed_post(&r, inner[i], CORP, TOKEN, NOW, NOW);
        assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
        assert_int_equal(n, 0);
        assert_null(st);
        assert_int_equal(rep.status, 200);
        assert_int_equal(rep.body.len, 0);
        jf_webhook_reply_free(&rep);
        free_request(&r);
    }
}

static void test_constructed_text(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    size_t n;
    void *st;
    jf_webhook_reply rep;
    jf_webhook_reply_init(&rep);
    signed_post(&r, TEXT_MSG, CORP, TOKEN, NOW - 300, NOW); /* the edge of the window */
    r.req.content_type = "Application/XML";
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(msg.msg_id, "7000000000000000001");
    assert_string_equal(msg.sender, "zhangsan");
    assert_string_equal(msg.recipient, "1000002");
    assert_string_equal(msg.text, "会议太多，天天开");
    jf_webhook_wecom_adapter.release(st);
    jf_webhook_reply_free(&rep);
    free_request(&r);

    /* Without AgentID the recipient is the corp (ToUserName). */
    jf_webhook_reply_init(&rep);
    signed_post(
        &r,
        "<xml><ToUserName><![CDATA[" CORP "]]></ToUserName><FromUserName>lisi"
        "</FromUserName><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",
        CORP, TOKEN, NOW + 300, NOW);
    assert_int_equal(run(&channel, &r, &msg, &n, &st, &rep), JF_ERR_OK);
    assert_string_equal(msg.recipient, CORP);
    jf_webhook_wecom_adapter.release(st);
    jf_webhook_reply_free(&rep);
    free_request(&r);
}

/* ---- the bad-input table --------------------------------------------------------------- */

static void test_bad_signature(void **state)
{
    (void)state;
    fake_request r;
    init_request(&r, "POST",
                 "msg_signature=577715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813"
                 "&nonce=1372623149",
                 MSG_BODY, MSG_TIME);
    expect_reject(&r, 403, "invalid msg_signature");
    /* The right signature for another nonce. */
    init_request(&r, "POST", MSG_QUERY "0", MSG_BODY, MSG_TIME);
    expect_reject(&r, 403, "invalid msg_signature");
    /* Signed with another token. */
    signed_post(&r, TEXT_MSG, CORP, "not-the-token", NOW, NOW);
    expect_reject(&r, 403, "invalid msg_signature");
    /* GET with a tampered echostr. */
    init_request(
        &r, "GET",
        "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&"
        "nonce=263014780&echostr=Q9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3"
        "tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D",
        NULL, VERIFY_TIME);
    expect_reject(&r, 403, "invalid msg_signature");
    /* An unsigned body swapped in under the sample's signature. */
    signed_post(&r, TEXT_MSG, CORP, TOKEN, MSG_TIME, MSG_TIME);
    snprintf(r.query, sizeof r.query, "%s", MSG_QUERY);
    expect_reject(&r, 403, "invalid msg_signature");
}

static void test_stale_and_replayed(void **state)
{
    (void)state;
    fake_request r;
    /* WeCom's own sample, replayed today. */
    init_request(&r, "POST", MSG_QUERY, MSG_BODY, NOW);
    expect_reject(&r, 403, "stale timestamp");
    init_request(&r, "GET", VERIFY_QUERY, NULL, VERIFY_TIME + 301);
    expect_reject(&r, 403, "stale timestamp");
    /* From the future. */
    signed_post(&r, TEXT_MSG, CORP, TOKEN, NOW + 301, NOW);
    expect_reject(&r, 403, "stale timestamp");
    signed_post(&r, TEXT_MSG, CORP, TOKEN, NOW - 301, NOW);
    expect_reject(&r, 403, "more than 300 seconds");
}

static void test_missing_parameters(void **state)
{
    (void)state;
    static const struct {
        const char *method;
        const char *query;
        const char *want;
    } cases[] = {
        {"POST", "timestamp=1409659813&nonce=1372623149", "parameter msg_signature"},
        {"POST", "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&nonce=1372623149",
         "parameter timestamp"},
        {"POST", "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813",
         "parameter nonce"},
        {"POST", "", "parameter msg_signature"},
        {"GET",
         "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589"
         "&nonce=263014780",
         "parameter echostr"},
        {"GET",
         "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589"
         "&nonce=263014780&echostr=",
         "parameter echostr"},
        {"GET", "timestamp=1409659589&nonce=263014780&echostr=x", "parameter msg_signature"},
        {"POST", "msg_signature=%zz", "malformed query string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_request r;
        init_request(&r, cases[i].method, cases[i].query, MSG_BODY, MSG_TIME);
        expect_reject(&r, 400, cases[i].want);
    }
}

static void test_wrong_content_type_and_method(void **state)
{
    (void)state;
    static const char *const bad[] = {"application/json",
                                      "text/plain",
                                      "text/xmlx",
                                      "multipart/form-data; boundary=x",
                                      "",
                                      NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fake_request r;
        init_request(&r, "POST", MSG_QUERY, MSG_BODY, MSG_TIME);
        r.req.content_type = bad[i];
        expect_reject(&r, 415, "unsupported content type");
    }
    static const char *const methods[] = {"PUT", "DELETE", "post", NULL};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        fake_request r;
        init_request(&r, "POST", MSG_QUERY, MSG_BODY, MSG_TIME);
        r.req.method = methods[i];
        expect_reject(&r, 405, "method not allowed");
    }
}

static void test_oversize(void **state)
{
    (void)state;
    fake_request r;
    init_request(&r, "POST", MSG_QUERY, MSG_BODY, MSG_TIME);
    r.req.body_len = JF_WEBHOOK_MAX_BODY + 1;
    expect_reject(&r, 413, "too large");
}

static void test_malformed_payloads(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        unsigned status;
        const char *want;
    } outer[] = {
        {"not xml", 400, "malformed XML body"},
        {"{\"Encrypt\":\"x\"}", 400, "malformed XML body"},
        {"<!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><Encrypt>&e;</Encrypt>"
         "</xml>",
         400, "DOCTYPE"},
        {"<xml><ToUserName>x</ToUserName></xml>", 400, "missing required element Encrypt"},
        {"<xml><Encrypt></Encrypt></xml>", 400, "missing required element Encrypt"},
        {"<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>", 400, "duplicate element"},
        {"<other><Encrypt>a</Encrypt></other>", 400, "root element"},
    };
    for (size_t i = 0; i < sizeof outer / sizeof outer[0]; i++) {
        fake_request r;
        init_request(&r, "POST", MSG_QUERY, outer[i].body, MSG_TIME);
        expect_reject(&r, outer[i].status, outer[i].want);
    }

    /* Correctly signed, but what is inside is wrong. */
    static const struct {
        const char *inner;
        const char *want;
    } inner[] = {
        {"hello, not xml", "malformed decrypted message"},
        {"<xml><ToUserName>x</ToUserName></xml>", "no MsgType"},
        {"<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><Content>x</Content></xml>",
         "MsgId"},
        {"<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><Content>x</Content>"
         "<MsgId>12 34</MsgId></xml>",
         "MsgId"},
        {"<xml><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",
         "no FromUserName"},
        {"<xml><FromUserName></FromUserName><MsgType>text</MsgType><Content>x</Content>"
         "<MsgId>1</MsgId></xml>",
         "no FromUserName"},
        {"<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><MsgId>1</MsgId></xml>",
         "no Content"},
    };
    for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++) {
        fake_request r;
        signed_post(&r, inner[i].inner, CORP, TOKEN, NOW, NOW);
        expect_reject(&r, 400, inner[i].want);
    }

    /* A message for another corp, correctly signed with the shared token. */
    fake_request r;
    signed_post(&r, TEXT_MSG, "ww0000000000000000", TOKEN, NOW, NOW);
    expect_reject(&r, 403, "another receive id");
    /* A signed ciphertext that is not one (bad base64 / blocks). */
    char sig[JF_WXCRYPT_SIG_LEN + 1];
    char query[256];
    assert_int_equal(jf_wxcrypt_signature(TOKEN, "1760000000", "n", "AAAA", sig), JF_ERR_OK);
    snprintf(query, sizeof query, "msg_signature=%s&timestamp=1760000000&nonce=n", sig);
    init_request(&r, "POST", query, "<xml><Encrypt>AAAA</Encrypt></xml>", NOW);
    expect_reject(&r, 400, "32-byte blocks");
    /* A signed, non-numeric timestamp. */
    assert_int_equal(jf_wxcrypt_signature(TOKEN, "soon", "n", "AAAA", sig), JF_ERR_OK);
    snprintf(query, sizeof query, "msg_signature=%s&timestamp=soon&nonce=n", sig);
    init_request(&r, "POST", query, "<xml><Encrypt>AAAA</Encrypt></xml>", NOW);
    expect_reject(&r, 400, "invalid timestamp");
}

static void test_settings(void **state)
{
    (void)state;
    static const jf_webhook_channel no_token = {
        "wecom", "default", {{"aes_key", AES_KEY}, {"receive_id", CORP}}, 2};
    static const jf_webhook_channel bad_key = {
        "wecom", "default", {{"token", TOKEN}, {"aes_key", "short"}, {"receive_id", CORP}}, 3};
    static const jf_webhook_channel other_corp = {
        "wecom",
        "default",
        {{"token", TOKEN}, {"aes_key", AES_KEY}, {"receive_id", "ww0000000000000000"}},
        3};
    fake_request r;
    init_request(&r, "POST", MSG_QUERY, MSG_BODY, MSG_TIME);
    expect_reject_ch(&no_token, &r, 500, "no setting token");
    init_request(&r, "POST", MSG_QUERY, MSG_BODY, MSG_TIME);
    expect_reject_ch(&bad_key, &r, 500, "aes_key");
    init_request(&r, "POST", MSG_QUERY, MSG_BODY, MSG_TIME);
    expect_reject_ch(&other_corp, &r, 403, "another receive id");
    init_request(&r, "GET", VERIFY_QUERY, NULL, VERIFY_TIME);
    expect_reject_ch(&other_corp, &r, 403, "another receive id");

    const jf_webhook_adapter *a = jf_webhook_adapter_find("wecom");
    assert_ptr_equal(a, &jf_webhook_wecom_adapter);
    assert_true(a->inline_ack);
    assert_int_equal(a->methods, JF_WEBHOOK_GET | JF_WEBHOOK_POST);
    static const char *const envs[] = {"JIANFU_WECOM_TOKEN",      "JIANFU_WECOM_AES_KEY",
                                       "JIANFU_WECOM_RECEIVE_ID", "JIANFU_WECOM_SECRET",
                                       "JIANFU_WECOM_AGENT_ID",   "JIANFU_WECOM_API_BASE"};
    assert_int_equal(a->nsettings, sizeof envs / sizeof envs[0]);
    for (size_t i = 0; i < a->nsettings; i++)
        assert_string_equal(a->settings[i].env, envs[i]);
    assert_true(a->settings[0].flags & JF_SETTING_SECRET);
    assert_true(a->settings[1].flags & JF_SETTING_SECRET);
    assert_false(a->settings[2].flags & JF_SETTING_SECRET);
    assert_true(a->settings[3].flags & JF_SETTING_SECRET);
    assert_false(a->settings[3].flags & JF_SETTING_REQUIRED);
}

/* ---- sending --------------------------------------------------------------------------- */

static void test_token(void **state)
{
    (void)state;
    jf_webhook_http h;
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_wecom_adapter.token_request(&channel, &h), JF_ERR_OK);
    assert_string_equal(h.method, "GET");
    assert_string_equal(h.url.data, "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=" CORP
                                    "&corpsecret=corp-secret-for-tests");
    jf_webhook_http_free(&h);

    /* api_base points a sender at a local fake; secrets are percent-encoded. */
    jf_webhook_channel ch = {
        "wecom",
        "fake",
        {{"receive_id", "ww1"}, {"secret", "a b&c=d"}, {"api_base", "http://127.0.0.1:8081/"}},
        3};
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_wecom_adapter.token_request(&ch, &h), JF_ERR_OK);
    assert_string_equal(
        h.url.data,
        "http://127.0.0.1:8081/cgi-bin/gettoken?corpid=ww1&corpsecret=a%20b%26c%3Dd");
    jf_webhook_http_free(&h);
    ch.nsettings = 1; /* no secret: cannot fetch a token */
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_wecom_adapter.token_request(&ch, &h), JF_ERR_CONFIG);
    jf_webhook_http_free(&h);

    char token[64];
    int64_t exp = 0;
    jf_send_result res;
    const char *ok = "{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"accesstoken000001\","
                     "\"expires_in\":7200}";
    assert_int_equal(jf_webhook_wecom_adapter.token_parse(200, ok, strlen(ok), token,
                                                          sizeof token, &exp, &res),
                     JF_ERR_OK);
    assert_int_equal(res.verdict, JF_SEND_OK);
    assert_string_equal(token, "accesstoken000001");
    assert_int_equal(exp, 7200);
    const char *bad = "{\"errcode\":40001,\"errmsg\":\"invalid secret\"}";
    assert_int_equal(jf_webhook_wecom_adapter.token_parse(200, bad, strlen(bad), token,
                                                          sizeof token, &exp, &res),
                     JF_ERR_AUTH);
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    assert_string_equal(res.error, "errcode 40001: invalid secret");
    const char *busy = "{\"errcode\":-1,\"errmsg\":\"system busy\"}";
    assert_int_equal(jf_webhook_wecom_adapter.token_parse(200, busy, strlen(busy), token,
                                                          sizeof token, &exp, &res),
                     JF_ERR_AUTH);
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_int_equal(
        jf_webhook_wecom_adapter.token_parse(502, "", 0, token, sizeof token, &exp, &res),
        JF_ERR_AUTH);
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    const char *notoken = "{\"errcode\":0,\"errmsg\":\"ok\"}";
    assert_int_equal(jf_webhook_wecom_adapter.token_parse(200, notoken, strlen(notoken), token,
                                                          sizeof token, &exp, &res),
                     JF_ERR_PARSE);
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    /* A token longer than the room for it is refused, not truncated. */
    assert_int_equal(
        jf_webhook_wecom_adapter.token_parse(200, ok, strlen(ok), token, 8, &exp, &res),
        JF_ERR_PARSE);
}

static void test_send(void **state)
{
    (void)state;
    jf_webhook_http h;
    json_error_t jerr;
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_wecom_adapter.send_request(&channel, "tok-1", "zhangsan",
                                                           "您的反映已转承办部门", &h),
                     JF_ERR_OK);
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.content_type, "application/json; charset=utf-8");
    assert_string_equal(h.url.data,
                        "https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=tok-1");
    json_t *doc = json_loadb(h.body.data, h.body.len, 0, &jerr);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "touser")), "zhangsan");
    assert_string_equal(json_string_value(json_object_get(doc, "msgtype")), "text");
    assert_int_equal(json_integer_value(json_object_get(doc, "agentid")), 1000002);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "text"), "content")),
        "您的反映已转承办部门");
    json_decref(doc);
    jf_webhook_http_free(&h);

    /* Without an agent id there is no sender. */
    jf_webhook_channel ch = channel;
    ch.nsettings = 4;
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_wecom_adapter.send_request(&ch, "t", "u", "x", &h),
                     JF_ERR_CONFIG);
    assert_int_equal(jf_webhook_wecom_adapter.send_request(&channel, "t", "u", "\xFF", &h),
                     JF_ERR_INVAL);
    jf_webhook_http_free(&h);

    static const struct {
        long status;
        const char *body;
        jf_send_verdict verdict;
        int stale;
        const char *error;
    } cases[] = {
        {200, "{\"errcode\":0,\"errmsg\":\"ok\",\"invaliduser\":\"\",\"msgid\":\"x\"}",
         JF_SEND_OK, 0, ""},
        {200, "{\"errcode\":0,\"errmsg\":\"ok\",\"invaliduser\":\"zhangsan\"}", JF_SEND_FAIL, 0,
         "invaliduser"},
        {200, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}", JF_SEND_RETRY, 1,
         "errcode 40014: invalid access_token"},
        {200, "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}", JF_SEND_RETRY, 1,
         "errcode 42001"},
        {200, "{\"errcode\":40001,\"errmsg\":\"invalid credential\"}", JF_SEND_RETRY, 1,
         "errcode 40001"},
        {200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}", JF_SEND_RETRY, 0,
         "errcode 45009"},
        {200, "{\"errcode\":45033,\"errmsg\":\"api concurrent out of limit\"}", JF_SEND_RETRY,
         0, "errcode 45033"},
        {200, "{\"errcode\":-1,\"errmsg\":\"system busy\"}", JF_SEND_RETRY, 0, "errcode -1"},
        {200, "{\"errcode\":60020,\"errmsg\":\"not allow to access from your ip\"}",
         JF_SEND_FAIL, 0, "errcode 60020: not allow to access from your ip"},
        {200, "{\"errcode\":81013,\"errmsg\":\"user & party & tag all invalid\"}", JF_SEND_FAIL,
         0, "errcode 81013"},
        {500, "", JF_SEND_RETRY, 0, "HTTP 500"},
        {503, "<html>", JF_SEND_RETRY, 0, "HTTP 503"},
        {429, "", JF_SEND_RETRY, 0, "HTTP 429"},
        {404, "", JF_SEND_FAIL, 0, "HTTP 404"},
        {200, "<html>proxy</html>", JF_SEND_RETRY, 0, "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jf_send_result res;
        jf_webhook_wecom_adapter.send_result(cases[i].status, NULL, cases[i].body,
                                             strlen(cases[i].body), &res);
        if (res.verdict != cases[i].verdict)
            fail_msg("case %zu: verdict %d, want %d", i, res.verdict, cases[i].verdict);
        assert_int_equal(res.token_stale, cases[i].stale);
        if (!strstr(res.error, cases[i].error))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, res.error, cases[i].error);
        assert_null(strstr(res.error, "zhangsan")); /* never the address */
    }
}

static void test_group_robot(void **state)
{
    (void)state;
    jf_webhook_http h;
    json_error_t jerr;
    const char *url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx";
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_wecom_robot_request(url, "督办：编号 JF-7Q2K 已逾期", &h),
                     JF_ERR_OK);
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.url.data, url);
    json_t *doc = json_loadb(h.body.data, h.body.len, 0, &jerr);
    assert_string_equal(json_string_value(json_object_get(doc, "msgtype")), "text");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "text"), "content")),
        "督办：编号 JF-7Q2K 已逾期");
    json_decref(doc);
    assert_int_equal(jf_webhook_wecom_robot_request("ftp://x", "t", &h), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_wecom_robot_request(NULL, "t", &h), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_wecom_robot_request(url, "\xC3", &h), JF_ERR_INVAL);
    jf_webhook_http_free(&h);

    jf_send_result res;
    const char *ok = "{\"errcode\":0,\"errmsg\":\"ok\"}";
    jf_webhook_wecom_robot_result(200, NULL, ok, strlen(ok), &res);
    assert_int_equal(res.verdict, JF_SEND_OK);
    const char *limit = "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}";
    jf_webhook_wecom_robot_result(200, NULL, limit, strlen(limit), &res);
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    const char *bad = "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}";
    jf_webhook_wecom_robot_result(200, NULL, bad, strlen(bad), &res);
    assert_int_equal(res.verdict, JF_SEND_FAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_verify_url),
        cmocka_unit_test(test_sample_message),
        cmocka_unit_test(test_events_and_media),
        cmocka_unit_test(test_constructed_text),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_stale_and_replayed),
        cmocka_unit_test(test_missing_parameters),
        cmocka_unit_test(test_wrong_content_type_and_method),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_malformed_payloads),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_send),
        cmocka_unit_test(test_group_robot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
