/* test_webhook_tencent.c - the Tencent Cloud SMS reply callback adapter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook/adapter.h"
#include "webhook/jsonbody.h"
#include "webhook/tencent.h"

#include "jsonhook_fixture.h"

#define KEY "tencent-example-key"
#define KEY_QUERY "key=tencent-example-key"

/* Tencent Cloud's sample reply callback ("SMS Reply" / 回复短信回调,
 * https://www.tencentcloud.com/document/api/382/43548, Chinese edition
 * https://www.tencentcloud.com/zh/document/api/382/43548), verbatim but for white space.
 * Its mobile "13xxxxxxxxx" is a placeholder, not a number: the adapter refuses it. */
#define DOC_SAMPLE                                                                             \
    "{\"extend\": \"扩展码\",\"mobile\": \"13xxxxxxxxx\",\"nationcode\": \"86\",\"sign\": " \
    "\"短信签名\",\"text\": \"用户回复的内容\",\"time\": 1457336869}"
/* The same sample with the placeholder filled in with a number of the reserved 138 0013
 * 8000 kind. Its expected message id is our own vector, computed independently with
 * Python's hmac module: hex HMAC-SHA256("tencent-example-key",
 * "jianfu:tencent:msgid\n86\n13800138000\n1457336869\n用户回复的内容"). */
#define MOBILE "13800138000"
#define TEXT "用户回复的内容"
#define SAMPLE                                                                                 \
    "{\"extend\": \"扩展码\",\"mobile\": \"" MOBILE "\",\"nationcode\": \"86\",\"sign\": "     \
    "\"短信签名\",\"text\": \"" TEXT "\",\"time\": 1457336869}"
#define SAMPLE_MSGID "b7a3071bb5019fcc069b40c7ff81770c8691a5221f200a13b42d76bc9307d88b"

static const jf_webhook_channel channel = {"tencent", "default", {{"key", KEY}}, 1};
static const char *const forbidden[] = {MOBILE, TEXT, "13xxxxxxxxx", KEY, NULL};

static void make(fake_request *r, const char *body)
{
    fake_init(r, KEY_QUERY, body);
}

static void reject(fake_request *r, unsigned status, const char *want)
{
    expect_reject(&jf_webhook_tencent_adapter, &channel, r, status, want, forbidden);
}

static void test_msg_id_vector(void **state)
{
    (void)state;
    char id[JF_TENCENT_MSGID_LEN + 1];
    assert_int_equal(jf_webhook_tencent_msg_id(KEY, "86", MOBILE, 1457336869, TEXT, id),
                     JF_ERR_OK);
    assert_string_equal(id, SAMPLE_MSGID);

    /* Every input changes the id; so does the key (and with it, no one can enumerate
     * numbers against stored ids without the channel's secret). */
    char other[JF_TENCENT_MSGID_LEN + 1];
    assert_int_equal(
        jf_webhook_tencent_msg_id(KEY, "86", "13800138001", 1457336869, TEXT, other),
        JF_ERR_OK);
    assert_string_not_equal(id, other);
    assert_int_equal(jf_webhook_tencent_msg_id(KEY, "86", MOBILE, 1457336870, TEXT, other),
                     JF_ERR_OK);
    assert_string_not_equal(id, other);
    assert_int_equal(jf_webhook_tencent_msg_id(KEY, "86", MOBILE, 1457336869, TEXT "。", other),
                     JF_ERR_OK);
    assert_string_not_equal(id, other);
    assert_int_equal(jf_webhook_tencent_msg_id(KEY, "852", MOBILE, 1457336869, TEXT, other),
                     JF_ERR_OK);
    assert_string_not_equal(id, other);
    /* The separators keep parts apart: "86"+"1380..." is not "861"+"380...". */
    assert_int_equal(
        jf_webhook_tencent_msg_id(KEY, "861", "3800138000", 1457336869, TEXT, other),
        JF_ERR_OK);
    assert_string_not_equal(id, other);
    assert_int_equal(
        jf_webhook_tencent_msg_id("another-key", "86", MOBILE, 1457336869, TEXT, other),
        JF_ERR_OK);
    assert_string_not_equal(id, other);
    assert_int_equal(jf_webhook_tencent_msg_id("", "86", MOBILE, 1, TEXT, other), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_tencent_msg_id(KEY, NULL, MOBILE, 1, TEXT, other),
                     JF_ERR_INVAL);
}

static void test_sample(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    make(&r, SAMPLE);
    void *st = expect_accept(&jf_webhook_tencent_adapter, &channel, &r, 1, msgs, NULL);
    assert_string_equal(msgs[0].msg_id, SAMPLE_MSGID);
    assert_string_equal(msgs[0].sender, "+86" MOBILE);
    assert_null(msgs[0].recipient);
    assert_string_equal(msgs[0].text, TEXT);
    jf_webhook_tencent_adapter.release(st);
    jf_webhook_tencent_adapter.release(NULL);

    /* A retried identical callback gets the same id, and so is stored once. */
    make(&r,
         "{\"time\":1457336869,\"text\":\"" TEXT "\",\"nationcode\":\"86\",\"mobile\":\"" MOBILE
         "\",\"sign\":\"短信签名\",\"extend\":\"\"}");
    st = expect_accept(&jf_webhook_tencent_adapter, &channel, &r, 1, msgs, NULL);
    assert_string_equal(msgs[0].msg_id, SAMPLE_MSGID);
    jf_webhook_tencent_adapter.release(st);

    /* sign and extend are optional, and null is absent. */
    make(&r, "{\"mobile\":\"" MOBILE "\",\"nationcode\":\"86\",\"text\":\"\",\"time\":1,"
             "\"extend\":null}");
    st = expect_accept(&jf_webhook_tencent_adapter, &channel, &r, 1, msgs, NULL);
    assert_string_equal(msgs[0].text, "");
    jf_webhook_tencent_adapter.release(st);
}

static void test_doc_placeholder(void **state)
{
    (void)state;
    fake_request r;
    make(&r, DOC_SAMPLE);
    reject(&r, 400, "invalid field mobile: expected 1 to 20 digits");
}

static void test_render_ack(void **state)
{
    (void)state;
    jf_webhook_reply out;
    jf_webhook_reply_init(&out);
    assert_int_equal(jf_webhook_tencent_adapter.render_ack(&channel, NULL, NULL, &out),
                     JF_ERR_OK);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.content_type, "application/json; charset=utf-8");
    /* The response of Tencent's document. */
    assert_string_equal(out.body.data, "{\"result\":0,\"errmsg\":\"OK\"}");
    jf_webhook_reply_free(&out);
}

static void test_wrong_key(void **state)
{
    (void)state;
    static const char *const queries[] = {
        "",
        "key=",
        "key=tencent-example-kex",
        "key=tencent-example-key-",
        "key=tencent-example-key&key=tencent-example-key",
        "k=tencent-example-key",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        fake_request r;
        fake_init(&r, queries[i], SAMPLE);
        reject(&r, 403, "invalid or missing key parameter");
    }
    /* The key in the body instead of the URL does not count. */
    fake_request r;
    fake_init(&r, "", "{\"key\":\"" KEY "\",\"mobile\":\"" MOBILE "\"}");
    reject(&r, 403, "invalid or missing key parameter");
}

static void test_transport_rejects(void **state)
{
    (void)state;
    fake_request r;
    for (size_t i = 0; i < N_BAD_CONTENT_TYPES; i++) {
        make(&r, SAMPLE);
        r.req.content_type = bad_content_types[i];
        reject(&r, 415, "unsupported content type");
    }
    static const char *const methods[] = {"GET", "PATCH", NULL};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        make(&r, SAMPLE);
        r.req.method = methods[i];
        reject(&r, 405, "method not allowed: Tencent SMS reply webhooks are POST");
    }
    char *big = oversize_body();
    make(&r, big);
    reject(&r, 413, "request body too large");
    free(big);

    jf_webhook_channel nokey = {"tencent", "default", {{"key", NULL}}, 1};
    make(&r, SAMPLE);
    jf_inbound msgs[1];
    size_t n = 1;
    void *st = (void *)1;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(jf_webhook_tencent_adapter.receive(&nokey, &r.req, msgs, 1, &n, &st, &rej),
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
        {"{\"mobile\":\"" MOBILE "\",", "malformed JSON body"},
        {"{\"mobile\":\"" MOBILE "\",\"mobile\":\"13900000000\"}",
         "malformed JSON body: duplicate object key"},
        {"[" SAMPLE "]", "malformed Tencent SMS reply: expected a JSON object"},
        {"{\"mobile\":\"" MOBILE "\",\"text\":\"" TEXT "\",\"time\":1}",
         "missing required field nationcode"},
        {"{\"nationcode\":\"86\",\"text\":\"" TEXT "\",\"time\":1}",
         "missing required field mobile"},
        {"{\"nationcode\":\"86\",\"mobile\":\"" MOBILE "\",\"time\":1}",
         "missing required field text"},
        {"{\"nationcode\":\"86\",\"mobile\":\"" MOBILE "\",\"text\":\"" TEXT "\"}",
         "missing required field time"},
        {"{\"nationcode\":86,\"mobile\":\"" MOBILE "\",\"text\":\"" TEXT "\",\"time\":1}",
         "invalid field nationcode"},
        {"{\"nationcode\":\"+86\",\"mobile\":\"" MOBILE "\",\"text\":\"" TEXT "\",\"time\":1}",
         "invalid field nationcode: expected 1 to 4 digits"},
        {"{\"nationcode\":\"86\",\"mobile\":\"138 0013 8000\",\"text\":\"" TEXT
         "\",\"time\":1}",
         "invalid field mobile: expected 1 to 20 digits"},
        {"{\"nationcode\":\"86\",\"mobile\":\"" MOBILE "\",\"text\":\"" TEXT
         "\",\"time\":\"1\"}",
         "invalid field time"},
        {"{\"nationcode\":\"86\",\"mobile\":\"" MOBILE "\",\"text\":\"" TEXT "\",\"time\":-5}",
         "invalid field time"},
        {"{\"nationcode\":\"86\",\"mobile\":\"" MOBILE "\",\"text\":\"" TEXT "\",\"time\":1,"
         "\"sign\":[]}",
         "invalid field sign"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_request r;
        make(&r, cases[i].body);
        reject(&r, 400, cases[i].want);
    }
}

static void test_adapter_row(void **state)
{
    (void)state;
    const jf_webhook_adapter *a = jf_webhook_adapter_find("tencent");
    assert_ptr_equal(a, &jf_webhook_tencent_adapter);
    assert_int_equal(a->methods, JF_WEBHOOK_POST);
    assert_false(a->inline_ack);
    assert_int_equal(a->nsettings, 1);
    assert_string_equal(a->settings[0].env, "JIANFU_TENCENT_KEY");
    assert_int_equal(a->settings[0].flags, JF_SETTING_REQUIRED | JF_SETTING_SECRET);
    assert_null(a->send_request);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_id_vector),   cmocka_unit_test(test_sample),
        cmocka_unit_test(test_doc_placeholder), cmocka_unit_test(test_render_ack),
        cmocka_unit_test(test_wrong_key),       cmocka_unit_test(test_transport_rejects),
        cmocka_unit_test(test_malformed),       cmocka_unit_test(test_adapter_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
