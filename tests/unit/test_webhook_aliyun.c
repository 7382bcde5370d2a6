/* test_webhook_aliyun.c - the Aliyun SMS upstream (SmsUp) batch push adapter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook/adapter.h"
#include "webhook/aliyun.h"
#include "webhook/jsonbody.h"

#include "jsonhook_fixture.h"

/* The URL secret, with characters that must be %-encoded in the query. */
#define KEY "Zq8/x+Y=aliyun"
#define KEY_QUERY "key=Zq8%2Fx%2BY%3Daliyun"

/* Aliyun's request sample for SmsUp in HTTP batch push mode, older document ("短信上行
 * 消息 HTTP批量推送", https://help.aliyun.com/knowledge_detail/60127.html): sequence_id a
 * Number, sign_name present. Verbatim but for white space, masked number included. */
#define DOC_SAMPLE_OLD                                                                         \
    "[ { \"phone_number\" : \"1381111****\", \"send_time\" : \"2017-09-01 00:00:00\", "        \
    "\"content\" : \"内容\", \"sign_name\" : \"签名\", \"dest_code\" : \"1234\", "         \
    "\"sequence_id\" : 1234567890 } ]"
/* The current document's sample (SmsUp, https://help.aliyun.com/zh/sms/developer-reference/
 * smsup-http, "参数示例"): sequence_id a String, no sign_name. */
#define DOC_SAMPLE_NEW                                                                         \
    "[\n  {\n    \"phone_number\" : \"1381111****\",\n    \"content\" : \"内容\",\n    "     \
    "\"send_time\" : \"2017-09-01 00:00:00\",\n    \"dest_code\" : \"1234\",\n    "            \
    "\"sequence_id\" : \"1234567890\"\n  }\n]"

#define PHONE_A "13812345678"
#define PHONE_B "13987654321"
#define TEXT_A "开会太多，一天三个视频会。"
#define TEXT_B "要求每个村建微信工作群并每天截图。"
#define BATCH3                                                                                 \
    "[{\"phone_number\":\"" PHONE_A                                                            \
    "\",\"send_time\":\"2026-11-26 09:00:01\",\"content\":\"" TEXT_A                           \
    "\",\"sign_name\":\"减负直通车\",\"dest_code\":\"8801\",\"sequence_id\":9001},"       \
    "{\"phone_number\":\"" PHONE_B                                                             \
    "\",\"send_time\":\"2026-11-26 09:00:02\",\"content\":\"" TEXT_B                           \
    "\",\"sign_name\":\"减负直通车\",\"dest_code\":\"8801\",\"sequence_id\":\"9002\"},"   \
    "{\"phone_number\":\"" PHONE_A                                                             \
    "\",\"send_time\":\"2026-11-26 09:00:03\",\"content\":\"\","                               \
    "\"dest_code\":\"\",\"sequence_id\":9003}]"

static const jf_webhook_channel channel = {"aliyun", "default", {{"key", KEY}}, 1};
static const char *const forbidden[] = {PHONE_A,   PHONE_B, TEXT_A, TEXT_B,
                                        "1381111", KEY,     "Zq8",  NULL};

static void make(fake_request *r, const char *body)
{
    fake_init(r, KEY_QUERY, body);
}

static void reject(fake_request *r, unsigned status, const char *want)
{
    expect_reject(&jf_webhook_aliyun_adapter, &channel, r, status, want, forbidden);
}

static void test_doc_samples(void **state)
{
    (void)state;
    static const char *const samples[] = {DOC_SAMPLE_OLD, DOC_SAMPLE_NEW};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        fake_request r;
        jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
        make(&r, samples[i]);
        void *st = expect_accept(&jf_webhook_aliyun_adapter, &channel, &r, 1, msgs, NULL);
        assert_string_equal(msgs[0].msg_id, "1234567890");
        /* The document masks the number; the adapter passes it on as sent (the privacy
         * module, not the adapter, decides what is a phone number). */
        assert_string_equal(msgs[0].sender, "1381111****");
        assert_string_equal(msgs[0].recipient, "1234");
        assert_string_equal(msgs[0].text, "内容");
        jf_webhook_aliyun_adapter.release(st);
    }
    jf_webhook_aliyun_adapter.release(NULL);
}

static void test_batch_of_three(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    /* Other query parameters next to the key are fine. */
    fake_init(&r, "ch=hr&" KEY_QUERY, BATCH3);
    r.req.content_type = "application/json;charset=UTF-8";
    void *st = expect_accept(&jf_webhook_aliyun_adapter, &channel, &r, 3, msgs, NULL);
    assert_string_equal(msgs[0].msg_id, "9001");
    assert_string_equal(msgs[0].sender, PHONE_A);
    assert_string_equal(msgs[0].recipient, "8801");
    assert_string_equal(msgs[0].text, TEXT_A);
    assert_string_equal(msgs[1].msg_id, "9002");
    assert_string_equal(msgs[1].sender, PHONE_B);
    assert_string_equal(msgs[1].text, TEXT_B);
    assert_string_equal(msgs[2].msg_id, "9003");
    assert_null(msgs[2].recipient); /* empty dest_code */
    assert_string_equal(msgs[2].text, "");
    jf_webhook_aliyun_adapter.release(st);
}

static void test_empty_push(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    jf_webhook_reply reply;
    make(&r, "[]");
    expect_accept(&jf_webhook_aliyun_adapter, &channel, &r, 0, msgs, &reply);
    assert_string_equal(reply.content_type, "application/json; charset=utf-8");
    assert_string_equal(reply.body.data, "{\"code\":0,\"msg\":\"接收成功\"}");
    jf_webhook_reply_free(&reply);
}

static void test_render_ack(void **state)
{
    (void)state;
    jf_webhook_reply out;
    jf_webhook_reply_init(&out);
    /* The reply of Aliyun's document, whatever the text (Aliyun cannot relay one). */
    assert_int_equal(jf_webhook_aliyun_adapter.render_ack(&channel, NULL, NULL, &out),
                     JF_ERR_OK);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.content_type, "application/json; charset=utf-8");
    assert_string_equal(out.body.data, "{\"code\":0,\"msg\":\"接收成功\"}");
    assert_int_equal(jf_webhook_aliyun_adapter.render_ack(&channel, NULL, "ignored", &out),
                     JF_ERR_OK);
    assert_string_equal(out.body.data, JF_ALIYUN_REPLY);
    jf_webhook_reply_free(&out);
}

static void test_wrong_key(void **state)
{
    (void)state;
    static const char *const queries[] = {
        "",
        "key=",
        "key=Zq8/x Y=aliyun", /* '+' undecoded would be a space */
        "key=Zq8%2Fx%2BY%3DALIYUN",
        "key=Zq8%2Fx%2BY%3Daliyu",
        "key=Zq8%2Fx%2BY%3Daliyunx",
        "KEY=Zq8%2Fx%2BY%3Daliyun",
        KEY_QUERY "&" KEY_QUERY, /* twice: ambiguous */
        "key=x&" KEY_QUERY,
        KEY_QUERY "&bad=%zz", /* not a well-formed query */
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        fake_request r;
        fake_init(&r, queries[i], BATCH3);
        reject(&r, 403, "invalid or missing key parameter");
    }
    /* A NULL query (no '?') is a missing key too; a malformed body without it is a 403. */
    fake_request r;
    fake_init(&r, NULL, BATCH3);
    r.req.query = NULL;
    reject(&r, 403, "invalid or missing key parameter");
    fake_init(&r, "", "[{");
    reject(&r, 403, "invalid or missing key parameter");
}

static void test_transport_rejects(void **state)
{
    (void)state;
    fake_request r;
    for (size_t i = 0; i < N_BAD_CONTENT_TYPES; i++) {
        make(&r, BATCH3);
        r.req.content_type = bad_content_types[i];
        reject(&r, 415, "unsupported content type");
    }
    static const char *const methods[] = {"GET", "PUT", NULL};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        make(&r, BATCH3);
        r.req.method = methods[i];
        reject(&r, 405, "method not allowed: Aliyun SMS upstream webhooks are POST");
    }
    char *big = oversize_body();
    make(&r, big);
    reject(&r, 413, "request body too large");
    free(big);

    jf_webhook_channel nokey = {"aliyun", "default", {{"key", ""}}, 1};
    make(&r, BATCH3);
    jf_inbound msgs[1];
    size_t n = 1;
    void *st = (void *)1;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(jf_webhook_aliyun_adapter.receive(&nokey, &r.req, msgs, 1, &n, &st, &rej),
                     JF_ERR_CONFIG);
    assert_int_equal(rej.status, 500);
    assert_null(st);
    jf_webhook_reply_free(&rej);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *want;
    } cases[] = {
        {"[{\"phone_number\":\"" PHONE_A "\"", "malformed JSON body"},
        {"[{\"phone_number\":\"" PHONE_A "\",\"phone_number\":\"" PHONE_B "\"}]",
         "malformed JSON body: duplicate object key"},
        {"{\"phone_number\":\"" PHONE_A "\",\"content\":\"" TEXT_A "\",\"sequence_id\":1}",
         "malformed Aliyun SMS push: expected a JSON array"},
        {"[\"" PHONE_A "\"]", "invalid field []: expected an array of objects"},
        {"[{\"content\":\"" TEXT_A "\",\"sequence_id\":1}]",
         "missing required field [].phone_number"},
        {"[{\"phone_number\":\"\",\"content\":\"" TEXT_A "\",\"sequence_id\":1}]",
         "invalid field [].phone_number"},
        {"[{\"phone_number\":13812345678,\"content\":\"" TEXT_A "\",\"sequence_id\":1}]",
         "invalid field [].phone_number"},
        {"[{\"phone_number\":\"" PHONE_A "\",\"sequence_id\":1}]",
         "missing required field [].content"},
        {"[{\"phone_number\":\"" PHONE_A "\",\"content\":\"" TEXT_A "\"}]",
         "missing required field [].sequence_id"},
        {"[{\"phone_number\":\"" PHONE_A "\",\"content\":\"" TEXT_A "\",\"sequence_id\":-1}]",
         "invalid field [].sequence_id"},
        {"[{\"phone_number\":\"" PHONE_A "\",\"content\":\"" TEXT_A "\",\"sequence_id\":1.5}]",
         "invalid field [].sequence_id"},
        {"[{\"phone_number\":\"" PHONE_A "\",\"content\":\"" TEXT_A
         "\",\"sequence_id\":\"12 34\"}]",
         "invalid field [].sequence_id"},
        {"[{\"phone_number\":\"" PHONE_A "\",\"content\":\"" TEXT_A "\",\"sequence_id\":\"\"}]",
         "invalid field [].sequence_id"},
        {"[{\"phone_number\":\"" PHONE_A "\",\"content\":\"" TEXT_A "\",\"sequence_id\":1,"
         "\"dest_code\":1234}]",
         "invalid field [].dest_code"},
        /* One bad element refuses the whole push: Aliyun keeps all of it for a retry. */
        {"[{\"phone_number\":\"" PHONE_A "\",\"content\":\"" TEXT_A "\",\"sequence_id\":1},"
         "{\"phone_number\":\"" PHONE_B "\",\"content\":\"" TEXT_B "\"}]",
         "missing required field [].sequence_id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_request r;
        make(&r, cases[i].body);
        reject(&r, 400, cases[i].want);
    }
}

static void test_too_many(void **state)
{
    (void)state;
    jf_buf b;
    jf_buf_init(&b, JF_WEBHOOK_MAX_BODY);
    for (size_t count = JF_WEBHOOK_MAX_BATCH; count <= JF_WEBHOOK_MAX_BATCH + 1; count++) {
        jf_buf_reset(&b);
        assert_int_equal(jf_buf_appends(&b, "["), JF_ERR_OK);
        for (size_t i = 0; i < count; i++)
            assert_int_equal(jf_buf_appendf(&b,
                                            "%s{\"phone_number\":\"1390000%04zu\",\"content\":"
                                            "\"x\",\"sequence_id\":%zu}",
                                            i ? "," : "", i, i + 1),
                             JF_ERR_OK);
        assert_int_equal(jf_buf_appends(&b, "]"), JF_ERR_OK);
        fake_request r;
        make(&r, b.data);
        if (count == JF_WEBHOOK_MAX_BATCH) {
            jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
            void *st =
                expect_accept(&jf_webhook_aliyun_adapter, &channel, &r, count, msgs, NULL);
            assert_string_equal(msgs[count - 1].msg_id, "32");
            jf_webhook_aliyun_adapter.release(st);
        } else {
            reject(&r, 413, "too many messages in one push: the limit is 32");
        }
    }
    jf_buf_free(&b);
}

static void test_adapter_row(void **state)
{
    (void)state;
    const jf_webhook_adapter *a = jf_webhook_adapter_find("aliyun");
    assert_ptr_equal(a, &jf_webhook_aliyun_adapter);
    assert_int_equal(a->methods, JF_WEBHOOK_POST);
    assert_false(a->inline_ack);
    assert_int_equal(a->nsettings, 1);
    assert_string_equal(a->settings[0].key, "key");
    assert_string_equal(a->settings[0].env, "JIANFU_ALIYUN_KEY");
    assert_int_equal(a->settings[0].flags, JF_SETTING_REQUIRED | JF_SETTING_SECRET);
    assert_null(a->send_request);
    assert_null(a->send_result);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_samples), cmocka_unit_test(test_batch_of_three),
        cmocka_unit_test(test_empty_push),  cmocka_unit_test(test_render_ack),
        cmocka_unit_test(test_wrong_key),   cmocka_unit_test(test_transport_rejects),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_adapter_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
