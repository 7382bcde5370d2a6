/* test_webhook_generic.c - jianfu's own signed JSON webhook: the worked example of
 * docs/channels.md, timestamps, signatures, fields and the JSON reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook/adapter.h"
#include "webhook/generic.h"
#include "webhook/jsonbody.h"

#include "jsonhook_fixture.h"

/* The worked example of docs/channels.md ("Generic JSON webhook"). The scheme is ours, so
 * this is our own vector; the signature was computed independently with Python:
 *   hmac.new(b"jianfu-generic-example-secret",
 *            b"1764201600." + body.encode("utf-8"), hashlib.sha256).hexdigest() */
#define EX_SECRET "jianfu-generic-example-secret"
#define EX_TS "1764201600"
#define EX_FROM "+8613800138000"
#define EX_TEXT "乡镇每周要报三张内容重复的表格。"
#define EX_BODY                                                                                \
    "{\"id\":\"hotline-20251127-0001\",\"from\":\"" EX_FROM "\",\"text\":\"" EX_TEXT "\"}"
#define EX_SIG "sha256=40a1d7e4b592bc005c4d38543c8a7ea9387d6d8688b4828f3df586591361df63"

static const jf_webhook_channel channel = {"generic", "default", {{"secret", EX_SECRET}}, 1};
static const char *const forbidden[] = {EX_FROM, "13800138000", EX_TEXT, EX_SECRET, NULL};

typedef struct {
    fake_request r;
    char ts[32];
    char sig[JF_GENERIC_SIG_LEN + 1];
} signed_request;

/* make - body signed with the example secret at timestamp ts, received at FAKE_NOW
 * (which is EX_TS). */
static void make_at(signed_request *s, const char *body, const char *ts)
{
    fake_init(&s->r, "", body);
    snprintf(s->ts, sizeof s->ts, "%s", ts);
    assert_int_equal(jf_webhook_generic_signature(EX_SECRET, s->ts, body, strlen(body), s->sig),
                     JF_ERR_OK);
    fake_set_header(&s->r, JF_GENERIC_TIMESTAMP_HEADER, s->ts);
    fake_set_header(&s->r, JF_GENERIC_SIGNATURE_HEADER, s->sig);
}

static void make(signed_request *s, const char *body)
{
    make_at(s, body, EX_TS);
}

static void reject(fake_request *r, unsigned status, const char *want)
{
    expect_reject(&jf_webhook_generic_adapter, &channel, r, status, want, forbidden);
}

static void test_worked_example(void **state)
{
    (void)state;
    char sig[JF_GENERIC_SIG_LEN + 1];
    assert_int_equal(strlen(EX_BODY), 112); /* as docs/channels.md says */
    assert_int_equal(
        jf_webhook_generic_signature(EX_SECRET, EX_TS, EX_BODY, strlen(EX_BODY), sig),
        JF_ERR_OK);
    assert_string_equal(sig, EX_SIG);

    /* The request of the example, exactly as a client sends it, is accepted. */
    fake_request r;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    fake_init(&r, "", EX_BODY);
    fake_set_header(&r, "X-Jianfu-Timestamp", EX_TS);
    fake_set_header(&r, "X-Jianfu-Signature", EX_SIG);
    assert_int_equal(r.req.now, 1764201600);
    void *st = expect_accept(&jf_webhook_generic_adapter, &channel, &r, 1, msgs, NULL);
    assert_string_equal(msgs[0].msg_id, "hotline-20251127-0001");
    assert_string_equal(msgs[0].sender, EX_FROM);
    assert_null(msgs[0].recipient);
    assert_string_equal(msgs[0].text, EX_TEXT);
    jf_webhook_generic_adapter.release(st);
    jf_webhook_generic_adapter.release(NULL);

    /* Arguments the signer refuses. */
    assert_int_equal(jf_webhook_generic_signature("", EX_TS, EX_BODY, 1, sig), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_generic_signature(EX_SECRET, "-1", EX_BODY, 1, sig),
                     JF_ERR_INVAL);
    assert_int_equal(jf_webhook_generic_signature(EX_SECRET, "", EX_BODY, 1, sig),
                     JF_ERR_INVAL);
    assert_int_equal(jf_webhook_generic_signature(EX_SECRET, EX_TS, NULL, 1, sig),
                     JF_ERR_INVAL);
    assert_int_equal(
        jf_webhook_generic_signature(EX_SECRET, EX_TS, EX_BODY, JF_WEBHOOK_MAX_BODY + 1, sig),
        JF_ERR_TOOBIG);
}

static void test_optional_to(void **state)
{
    (void)state;
    signed_request s;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    make(&s, "{\"id\":\"a.b:c_d-1\",\"from\":\"u-77\",\"text\":\"\",\"to\":\"12345\"}");
    void *st = expect_accept(&jf_webhook_generic_adapter, &channel, &s.r, 1, msgs, NULL);
    assert_string_equal(msgs[0].msg_id, "a.b:c_d-1");
    assert_string_equal(msgs[0].recipient, "12345");
    assert_string_equal(msgs[0].text, "");
    jf_webhook_generic_adapter.release(st);
}

static void test_freshness(void **state)
{
    (void)state;
    signed_request s;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    void *st;

    /* Exactly 300 seconds either way is still fresh. */
    make_at(&s, EX_BODY, "1764201300");
    st = expect_accept(&jf_webhook_generic_adapter, &channel, &s.r, 1, msgs, NULL);
    jf_webhook_generic_adapter.release(st);
    make_at(&s, EX_BODY, "1764201900");
    st = expect_accept(&jf_webhook_generic_adapter, &channel, &s.r, 1, msgs, NULL);
    jf_webhook_generic_adapter.release(st);

    /* 301 seconds old, or from 301 seconds in the future: stale, though correctly signed. */
    make_at(&s, EX_BODY, "1764201299");
    reject(&s.r, 403, "stale timestamp: X-Jianfu-Timestamp is more than 300 seconds");
    make_at(&s, EX_BODY, "1764201901");
    reject(&s.r, 403, "stale timestamp");

    /* A captured request replayed later is refused; replayed within the window it carries
     * the same id, which the store keeps once. */
    make(&s, EX_BODY);
    s.r.req.now = FAKE_NOW + 3600;
    reject(&s.r, 403, "stale timestamp");
    s.r.req.now = FAKE_NOW + 10;
    st = expect_accept(&jf_webhook_generic_adapter, &channel, &s.r, 1, msgs, NULL);
    assert_string_equal(msgs[0].msg_id, "hotline-20251127-0001");
    jf_webhook_generic_adapter.release(st);

    /* A stale request with a wrong signature is told only that the signature is wrong. */
    make_at(&s, EX_BODY, "1000000000");
    s.sig[10] = s.sig[10] == 'a' ? 'b' : 'a';
    reject(&s.r, 403, "invalid or missing X-Jianfu-Signature");
}

static void test_wrong_signature(void **state)
{
    (void)state;
    signed_request s;

    make(&s, EX_BODY);
    s.sig[30] = s.sig[30] == '0' ? '1' : '0';
    reject(&s.r, 403, "invalid or missing X-Jianfu-Signature");

    make(&s, EX_BODY);
    fake_set_header(&s.r, JF_GENERIC_SIGNATURE_HEADER, NULL);
    reject(&s.r, 403, "invalid or missing X-Jianfu-Signature");

    /* The signature without its prefix, or with a different one. */
    make(&s, EX_BODY);
    fake_set_header(&s.r, JF_GENERIC_SIGNATURE_HEADER, EX_SIG + 7);
    reject(&s.r, 403, "invalid or missing X-Jianfu-Signature");
    make(&s, EX_BODY);
    char sha1[] = EX_SIG;
    memcpy(sha1, "sha1  =", 7);
    fake_set_header(&s.r, JF_GENERIC_SIGNATURE_HEADER, sha1);
    reject(&s.r, 403, "invalid or missing X-Jianfu-Signature");

    /* The timestamp is signed: moving it breaks the signature. */
    make(&s, EX_BODY);
    fake_set_header(&s.r, JF_GENERIC_TIMESTAMP_HEADER, "1764201601");
    reject(&s.r, 403, "invalid or missing X-Jianfu-Signature");

    /* So is every byte of the body: the sender changed after signing. */
    make(&s, EX_BODY);
    s.r.req.body =
        "{\"id\":\"hotline-20251127-0001\",\"from\":\"+8613800138001\",\"text\":\"" EX_TEXT
        "\"}";
    s.r.req.body_len = strlen(s.r.req.body);
    reject(&s.r, 403, "invalid or missing X-Jianfu-Signature");

    /* Another channel's secret. */
    make(&s, EX_BODY);
    jf_webhook_channel other = {"generic", "b", {{"secret", "other-secret"}}, 1};
    expect_reject(&jf_webhook_generic_adapter, &other, &s.r, 403,
                  "invalid or missing X-Jianfu-Signature", forbidden);

    /* Timestamps that are not plain decimal seconds. */
    static const char *const bad_ts[] = {
        "",           "-1764201600",  "+1764201600", " 1764201600", "1764201600.5",
        "17642016OO", "1764201600000"};
    for (size_t i = 0; i < sizeof bad_ts / sizeof bad_ts[0]; i++) {
        make(&s, EX_BODY);
        fake_set_header(&s.r, JF_GENERIC_TIMESTAMP_HEADER, bad_ts[i]);
        reject(&s.r, 403, "missing or invalid X-Jianfu-Timestamp");
    }
    make(&s, EX_BODY);
    fake_set_header(&s.r, JF_GENERIC_TIMESTAMP_HEADER, NULL);
    reject(&s.r, 403, "missing or invalid X-Jianfu-Timestamp");
    make(&s, EX_BODY);
    s.r.req.header = NULL;
    reject(&s.r, 403, "missing or invalid X-Jianfu-Timestamp");

    /* Without a valid signature a malformed body is only a 403. */
    make(&s, "{\"id\":");
    fake_set_header(&s.r, JF_GENERIC_SIGNATURE_HEADER, EX_SIG);
    reject(&s.r, 403, "invalid or missing X-Jianfu-Signature");
}

static void test_transport_rejects(void **state)
{
    (void)state;
    signed_request s;
    for (size_t i = 0; i < N_BAD_CONTENT_TYPES; i++) {
        make(&s, EX_BODY);
        s.r.req.content_type = bad_content_types[i];
        reject(&s.r, 415, "unsupported content type");
    }
    for (size_t i = 0; i < N_GOOD_CONTENT_TYPES; i++) {
        jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
        make(&s, EX_BODY);
        s.r.req.content_type = good_content_types[i];
        void *st = expect_accept(&jf_webhook_generic_adapter, &channel, &s.r, 1, msgs, NULL);
        jf_webhook_generic_adapter.release(st);
    }
    static const char *const methods[] = {"GET", "PUT", NULL};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        make(&s, EX_BODY);
        s.r.req.method = methods[i];
        reject(&s.r, 405, "method not allowed: generic webhooks are POST");
    }
    char *big = oversize_body();
    fake_init(&s.r, "", big);
    reject(&s.r, 413, "request body too large");
    free(big);

    jf_webhook_channel nokey = {"generic", "default", {{"secret", ""}}, 1};
    make(&s, EX_BODY);
    jf_inbound msgs[1];
    size_t n = 1;
    void *st = (void *)1;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(
        jf_webhook_generic_adapter.receive(&nokey, &s.r.req, msgs, 1, &n, &st, &rej),
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
        {"{\"id\":\"1\",\"from\":\"" EX_FROM "\",", "malformed JSON body"},
        {"{\"id\":\"1\",\"id\":\"2\",\"from\":\"" EX_FROM "\",\"text\":\"x\"}",
         "malformed JSON body: duplicate object key"},
        {"[" EX_BODY "]", "malformed message: expected a JSON object"},
        {"{\"from\":\"" EX_FROM "\",\"text\":\"" EX_TEXT "\"}", "missing required field id"},
        {"{\"id\":\"1\",\"text\":\"" EX_TEXT "\"}", "missing required field from"},
        {"{\"id\":\"1\",\"from\":\"" EX_FROM "\"}", "missing required field text"},
        {"{\"id\":1,\"from\":\"" EX_FROM "\",\"text\":\"" EX_TEXT "\"}", "invalid field id"},
        {"{\"id\":\"a b\",\"from\":\"" EX_FROM "\",\"text\":\"" EX_TEXT "\"}",
         "invalid field id: expected 1 to 128 characters of [A-Za-z0-9._:-]"},
        {"{\"id\":\"编号1\",\"from\":\"" EX_FROM "\",\"text\":\"" EX_TEXT "\"}",
         "invalid field id"},
        {"{\"id\":\"\",\"from\":\"" EX_FROM "\",\"text\":\"" EX_TEXT "\"}", "invalid field id"},
        {"{\"id\":\"1\",\"from\":\"\",\"text\":\"" EX_TEXT "\"}", "invalid field from"},
        {"{\"id\":\"1\",\"from\":\"+86138\\t00138000\",\"text\":\"" EX_TEXT "\"}",
         "invalid field from"},
        {"{\"id\":\"1\",\"from\":\"" EX_FROM "\",\"text\":{\"body\":\"" EX_TEXT "\"}}",
         "invalid field text"},
        {"{\"id\":\"1\",\"from\":\"" EX_FROM "\",\"text\":\"" EX_TEXT "\",\"to\":10690000}",
         "invalid field to"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        signed_request s;
        make(&s, cases[i].body);
        reject(&s.r, 400, cases[i].want);
    }

    /* Bounds: a 128-character id passes and 129 do not; a 256-byte sender passes, 257 not. */
    char body[1024];
    char id[JF_WEBHOOK_MAX_MSG_ID + 2];
    char from[JF_JSONBODY_MAX_SENDER + 2];
    memset(id, 'i', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    memset(from, '7', sizeof from - 1);
    from[sizeof from - 1] = '\0';
    signed_request s;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    snprintf(body, sizeof body, "{\"id\":\"%.*s\",\"from\":\"%.*s\",\"text\":\"x\"}",
             JF_WEBHOOK_MAX_MSG_ID, id, JF_JSONBODY_MAX_SENDER, from);
    make(&s, body);
    void *st = expect_accept(&jf_webhook_generic_adapter, &channel, &s.r, 1, msgs, NULL);
    jf_webhook_generic_adapter.release(st);
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"from\":\"7\",\"text\":\"x\"}", id);
    make(&s, body);
    reject(&s.r, 400, "invalid field id");
    snprintf(body, sizeof body, "{\"id\":\"1\",\"from\":\"%s\",\"text\":\"x\"}", from);
    make(&s, body);
    reject(&s.r, 400, "invalid field from: expected a string of 1 to 256 bytes");
}

static void test_render_ack(void **state)
{
    (void)state;
    jf_webhook_reply out;
    jf_webhook_reply_init(&out);
    assert_int_equal(jf_webhook_generic_adapter.render_ack(
                         &channel, NULL, "已收到，编号JF-7Q2K，\"请\"保留", &out),
                     JF_ERR_OK);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.content_type, "application/json; charset=utf-8");
    assert_string_equal(
        out.body.data,
        "{\"status\":\"accepted\",\"message\":\"已收到，编号JF-7Q2K，\\\"请\\\"保留\"}");
    assert_int_equal(jf_webhook_generic_adapter.render_ack(&channel, NULL, NULL, &out),
                     JF_ERR_OK);
    assert_string_equal(out.body.data, "{\"status\":\"accepted\"}");
    assert_int_equal(
        jf_webhook_generic_adapter.render_ack(&channel, NULL, "\xed\xa0\x80", &out),
        JF_ERR_INVAL);
    assert_int_equal(out.body.len, 0);
    jf_webhook_reply_free(&out);
}

static void test_adapter_row(void **state)
{
    (void)state;
    const jf_webhook_adapter *a = jf_webhook_adapter_find("generic");
    assert_ptr_equal(a, &jf_webhook_generic_adapter);
    assert_int_equal(a->methods, JF_WEBHOOK_POST);
    assert_true(a->inline_ack);
    assert_int_equal(a->nsettings, 1);
    assert_string_equal(a->settings[0].env, "JIANFU_GENERIC_SECRET");
    assert_int_equal(a->settings[0].flags, JF_SETTING_REQUIRED | JF_SETTING_SECRET);
    assert_null(a->send_request);

    /* Every JSON kind of this file set is in the table, once. */
    static const char *const kinds[] = {"telegram", "whatsapp", "aliyun", "tencent", "generic"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t seen = 0;
        for (size_t i = 0; jf_webhook_adapter_at(i); i++)
            seen += strcmp(jf_webhook_adapter_at(i)->kind, kinds[k]) == 0;
        assert_int_equal(seen, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),    cmocka_unit_test(test_optional_to),
        cmocka_unit_test(test_freshness),         cmocka_unit_test(test_wrong_signature),
        cmocka_unit_test(test_transport_rejects), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_render_ack),        cmocka_unit_test(test_adapter_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
