/* test_webhook_twilio.c - Twilio signatures, the Twilio adapter and the adapter table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "webhook/adapter.h"
#include "webhook/form.h"
#include "webhook/twilio.h"

/* ---- published vectors -------------------------------------------------------------- */

/* Twilio's worked example of request validation, from the "Validating Requests" section
 * of Twilio's security documentation (https://www.twilio.com/docs/usage/security
 * #validating-requests, now "Webhooks security"): auth token 12345, a POST to
 * https://mycompany.com/myapp.php?foo=1&bar=2 with CallSid=CA1234567890ABCDE,
 * Caller=+12349013030, Digits=1234, From=+12349013030, To=+18005551212, signed
 * 0/KCTR6DLpKmkAf8muzZqo1nDgQ=. The body below lists the parameters out of order on
 * purpose: the signature sorts them. */
#define DOC_TOKEN "12345"
#define DOC_URL "https://mycompany.com/myapp.php?foo=1&bar=2"
#define DOC_BODY                                                                               \
    "To=%2B18005551212&CallSid=CA1234567890ABCDE&Digits=1234&From=%2B12349013030"              \
    "&Caller=%2B12349013030"
#define DOC_SIG "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

/* twilio-python's own test vectors, tests/unit/test_request_validator.py (same token and
 * URL; Caller and From are +14158675309): "RSOYDt4T1cUTdK1PDd93/VVr8B8=", and for the
 * same URL with :443 added "kvajT1Ptam85bY51eRf/AJRuM3w=", as http with :80
 * "0ZXoZLH/DfblKGATFgpif+LLRf4=", as http with :1234 "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=";
 * and test_compute_signature_duplicate_multi_dict: Sid=CA123, SidAccount=AC123,
 * Digits=5678, Digits=1234 -> "IK+Dwps556ElfBT0I3Rgjkr1wJU=". All were recomputed with
 * Python's hmac module before being written here. */
#define SDK_BODY                                                                               \
    "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212"              \
    "&Caller=%2B14158675309"
#define SDK_SIG "RSOYDt4T1cUTdK1PDd93/VVr8B8="
#define SDK_SIG_HTTPS_443 "kvajT1Ptam85bY51eRf/AJRuM3w="
#define SDK_SIG_HTTP_80 "0ZXoZLH/DfblKGATFgpif+LLRf4="
#define SDK_SIG_HTTP_1234 "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
#define SDK_DUP_BODY "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234"
#define SDK_DUP_SIG "IK+Dwps556ElfBT0I3Rgjkr1wJU="

static jf_form parse_ok(const char *body)
{
    jf_form f;
    assert_int_equal(jf_webhook_form_parse(body, strlen(body), &f), JF_ERR_OK);
    return f;
}

static void test_doc_example_signature(void **state)
{
    (void)state;
    jf_form f = parse_ok(DOC_BODY);
    char sig[JF_TWILIO_SIG_LEN + 1];
    assert_int_equal(jf_webhook_twilio_signature(DOC_TOKEN, DOC_URL, &f, sig), JF_ERR_OK);
    assert_string_equal(sig, DOC_SIG);
    /* Signing sorts a copy: the form keeps the body's order. */
    assert_string_equal(f.fields[0].name, "To");
    jf_webhook_form_free(&f);
}

static void test_doc_example_verify(void **state)
{
    (void)state;
    jf_form f = parse_ok(DOC_BODY);
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG), JF_ERR_OK);

    /* Every single-character change of the signature is refused. */
    char bad[] = DOC_SIG;
    for (size_t i = 0; i < JF_TWILIO_SIG_LEN; i++) {
        char keep = bad[i];
        bad[i] = keep == 'A' ? 'B' : 'A';
        assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, bad), JF_ERR_AUTH);
        bad[i] = keep;
    }
    /* Missing, empty, truncated and extended signatures. */
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, NULL), JF_ERR_AUTH);
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, ""), JF_ERR_AUTH);
    assert_int_equal(
        jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, "0/KCTR6DLpKmkAf8muzZqo1nDgQ"),
        JF_ERR_AUTH);
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG "="),
                     JF_ERR_AUTH);
    /* Another token, another URL (query changed). */
    assert_int_equal(jf_webhook_twilio_verify("12346", DOC_URL, &f, DOC_SIG), JF_ERR_AUTH);
    assert_int_equal(jf_webhook_twilio_verify(
                         DOC_TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=3", &f, DOC_SIG),
                     JF_ERR_AUTH);
    jf_webhook_form_free(&f);

    /* A changed parameter value. */
    f = parse_ok("To=%2B18005551212&CallSid=CA1234567890ABCDE&Digits=9999&From=%2B12349013030"
                 "&Caller=%2B12349013030");
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG), JF_ERR_AUTH);
    jf_webhook_form_free(&f);

    /* An added parameter. */
    f = parse_ok(DOC_BODY "&Body=hello");
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG), JF_ERR_AUTH);
    jf_webhook_form_free(&f);
}

static void test_sdk_vectors(void **state)
{
    (void)state;
    char sig[JF_TWILIO_SIG_LEN + 1];
    jf_form f = parse_ok(SDK_BODY);
    assert_int_equal(jf_webhook_twilio_signature(DOC_TOKEN, DOC_URL, &f, sig), JF_ERR_OK);
    assert_string_equal(sig, SDK_SIG);
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, SDK_SIG), JF_ERR_OK);
    jf_webhook_form_free(&f);

    /* Equal names are ordered by value: Digits1234 before Digits5678. */
    f = parse_ok(SDK_DUP_BODY);
    assert_int_equal(jf_webhook_twilio_signature(DOC_TOKEN, DOC_URL, &f, sig), JF_ERR_OK);
    assert_string_equal(sig, SDK_DUP_SIG);
    jf_webhook_form_free(&f);
}

static void test_port_variants(void **state)
{
    (void)state;
    jf_form f = parse_ok(SDK_BODY);
    /* Twilio signed with :443 while we know the URL without it (test_validation_adds_
     * port_on_https), and the other way round (test_validation_removes_port_on_https). */
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &f, SDK_SIG_HTTPS_443),
                     JF_ERR_OK);
    assert_int_equal(
        jf_webhook_twilio_verify(DOC_TOKEN, "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
                                 &f, SDK_SIG),
        JF_ERR_OK);
    /* http: :80 added (adds_port_on_http); a URL that carries its port verifies as is. */
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN,
                                              "http://mycompany.com/myapp.php?foo=1&bar=2", &f,
                                              SDK_SIG_HTTP_80),
                     JF_ERR_OK);
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN,
                                              "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
                                              &f, SDK_SIG_HTTP_1234),
                     JF_ERR_OK);
    /* The scheme is signed: an https signature does not verify an http URL. */
    assert_int_equal(jf_webhook_twilio_verify(
                         DOC_TOKEN, "http://mycompany.com/myapp.php?foo=1&bar=2", &f, SDK_SIG),
                     JF_ERR_AUTH);
    /* Port toggling never touches the path or the host. */
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN,
                                              "https://mycompany.com/myapp.php?foo=1&bar=2:443",
                                              &f, SDK_SIG),
                     JF_ERR_AUTH);
    assert_int_equal(jf_webhook_twilio_verify(
                         DOC_TOKEN, "https://evil.example/myapp.php?foo=1&bar=2", &f, SDK_SIG),
                     JF_ERR_AUTH);
    jf_webhook_form_free(&f);

    /* An IPv6 literal keeps its brackets and colons; only the port after ']' toggles. */
    char sig[JF_TWILIO_SIG_LEN + 1];
    f = parse_ok("a=1");
    assert_int_equal(jf_webhook_twilio_signature("k", "https://[::1]:443/h", &f, sig),
                     JF_ERR_OK);
    assert_int_equal(jf_webhook_twilio_verify("k", "https://[::1]/h", &f, sig), JF_ERR_OK);
    assert_int_equal(jf_webhook_twilio_verify("k", "https://[::2]/h", &f, sig), JF_ERR_AUTH);
    jf_webhook_form_free(&f);
}

static void test_signature_arguments(void **state)
{
    (void)state;
    char sig[JF_TWILIO_SIG_LEN + 1];
    jf_form f = parse_ok(DOC_BODY);
    /* An empty auth token would let anyone sign: refused outright. */
    assert_int_equal(jf_webhook_twilio_signature("", DOC_URL, &f, sig), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_twilio_signature(NULL, DOC_URL, &f, sig), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_twilio_signature(DOC_TOKEN, NULL, &f, sig), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_twilio_signature(DOC_TOKEN, DOC_URL, NULL, sig), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_twilio_verify("", DOC_URL, &f, DOC_SIG), JF_ERR_INVAL);

    /* The URL is bounded. */
    size_t n = JF_TWILIO_MAX_URL + 1;
    char *url = malloc(n + 1);
    assert_non_null(url);
    memcpy(url, "https://a/", 10);
    memset(url + 10, 'x', n - 10);
    url[n] = '\0';
    assert_int_equal(jf_webhook_twilio_signature(DOC_TOKEN, url, &f, sig), JF_ERR_TOOBIG);
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, url, &f, DOC_SIG), JF_ERR_TOOBIG);
    url[n - 1] = '\0';
    assert_int_equal(jf_webhook_twilio_signature(DOC_TOKEN, url, &f, sig), JF_ERR_OK);
    free(url);

    /* An empty form signs the URL alone. */
    jf_form empty = {NULL, 0};
    assert_int_equal(jf_webhook_twilio_signature(DOC_TOKEN, DOC_URL, &empty, sig), JF_ERR_OK);
    assert_int_equal(jf_webhook_twilio_verify(DOC_TOKEN, DOC_URL, &empty, sig), JF_ERR_OK);
    jf_webhook_form_free(&f);
}

/* ---- the adapter ------------------------------------------------------------------- */

#define TOKEN "tw-auth-token-for-tests"
#define HOOK_URL "https://jianfu.example.gov.cn/webhooks/twilio?ch=1"
#define FROM_NUMBER "+8613812345678"
#define FROM_ENC "%2B8613812345678"
#define TEXT_ENC "%E4%BC%9A%E8%AE%AE%E5%A4%AA%E5%A4%9A%EF%BC%8C%E5%A4%A9%E5%A4%A9%E5%BC%80"
#define TEXT "会议太多，天天开"
#define SID "SM0123456789abcdef0123456789abcdef"
#define GOOD_BODY "From=" FROM_ENC "&To=%2B10659000&Body=" TEXT_ENC "&MessageSid=" SID

/* A request under construction, with its one header. */
typedef struct {
    jf_webhook_request req;
    const char *sig; /* X-Twilio-Signature, or NULL */
    char sig_buf[JF_TWILIO_SIG_LEN + 1];
} fake_request;

static const char *fake_header(void *ctx, const char *name)
{
    fake_request *r = ctx;
    return strcasecmp(name, "X-Twilio-Signature") == 0 ? r->sig : NULL;
}

/* Build a POST of body to HOOK_URL, correctly signed with TOKEN. */
static void make_request(fake_request *r, const char *body)
{
    memset(r, 0, sizeof *r);
    r->req.method = "POST";
    r->req.url = HOOK_URL;
    r->req.content_type = "application/x-www-form-urlencoded";
    r->req.header = fake_header;
    r->req.header_ctx = r;
    r->req.body = body;
    r->req.body_len = strlen(body);

    jf_form f;
    if (jf_webhook_form_parse(body, strlen(body), &f) == JF_ERR_OK) {
        assert_int_equal(jf_webhook_twilio_signature(TOKEN, HOOK_URL, &f, r->sig_buf),
                         JF_ERR_OK);
        r->sig = r->sig_buf;
    }
    jf_webhook_form_free(&f);
}

static const jf_webhook_channel channel = {"twilio", "default", {{"auth_token", TOKEN}}, 1};

/* Run receive on r and expect a reject of this status whose message contains want;
 * also check that no reject ever echoes the sender's number or the message text. */
static void expect_reject(fake_request *r, unsigned status, const char *want)
{
    jf_inbound msg;
    size_t nmsg = 0;
    void *st = (void *)1;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);

    jf_err err = jf_webhook_twilio_adapter.receive(&channel, &r->req, &msg, 1, &nmsg, &st, &rej);
    assert_int_not_equal(err, JF_ERR_OK);
    assert_null(st);
    assert_int_equal(nmsg, 0);
    assert_null(msg.sender);
    assert_null(msg.text);
    assert_int_equal(rej.status, status);
    assert_string_equal(rej.content_type, "text/plain; charset=utf-8");
    assert_non_null(rej.body.data);
    if (!strstr(rej.body.data, want))
        fail_msg("reject \"%s\" lacks \"%s\"", rej.body.data, want);
    assert_null(strstr(rej.body.data, "13812345678"));
    assert_null(strstr(rej.body.data, FROM_ENC));
    assert_null(strstr(rej.body.data, TEXT));
    assert_null(strstr(rej.body.data, TEXT_ENC));
    jf_webhook_reply_free(&rej);
}

static void test_receive_ok(void **state)
{
    (void)state;
    fake_request r;
    make_request(&r, GOOD_BODY);
    /* Twilio sends the charset parameter; case and spacing vary between proxies. */
    r.req.content_type = "Application/X-WWW-Form-Urlencoded ; charset=UTF-8";

    jf_inbound msg;
    size_t nmsg = 0;
    void *st = NULL;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(jf_webhook_twilio_adapter.receive(&channel, &r.req, &msg, 1, &nmsg, &st, &rej),
                     JF_ERR_OK);
    assert_non_null(st);
    assert_string_equal(msg.msg_id, SID);
    assert_string_equal(msg.sender, FROM_NUMBER);
    assert_string_equal(msg.recipient, "+10659000");
    assert_string_equal(msg.text, TEXT);
    assert_int_equal(rej.status, 0);
    jf_webhook_twilio_adapter.release(st);
    jf_webhook_twilio_adapter.release(NULL);
    jf_webhook_reply_free(&rej);
}

static void test_receive_optional_to_and_empty_body(void **state)
{
    (void)state;
    fake_request r;
    /* No To, and Body="" as for a picture-only MMS: both fine. */
    make_request(&r, "From=" FROM_ENC "&Body=&MessageSid=" SID "&NumMedia=1");
    jf_inbound msg;
    size_t nmsg = 0;
    void *st = NULL;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(jf_webhook_twilio_adapter.receive(&channel, &r.req, &msg, 1, &nmsg, &st, &rej),
                     JF_ERR_OK);
    assert_null(msg.recipient);
    assert_string_equal(msg.text, "");
    jf_webhook_twilio_adapter.release(st);
    jf_webhook_reply_free(&rej);
}

static void test_receive_bad_signature(void **state)
{
    (void)state;
    fake_request r;
    make_request(&r, GOOD_BODY);
    r.sig_buf[3] = r.sig_buf[3] == 'A' ? 'B' : 'A';
    expect_reject(&r, 403, "invalid or missing X-Twilio-Signature");

    make_request(&r, GOOD_BODY);
    r.sig = NULL;
    expect_reject(&r, 403, "invalid or missing X-Twilio-Signature");

    make_request(&r, GOOD_BODY);
    r.req.header = NULL;
    expect_reject(&r, 403, "invalid or missing X-Twilio-Signature");

    /* Signed for another URL (say, another channel's). */
    make_request(&r, GOOD_BODY);
    r.req.url = "https://jianfu.example.gov.cn/webhooks/twilio?ch=2";
    expect_reject(&r, 403, "invalid or missing X-Twilio-Signature");

    /* A tampered body: the sender changed after signing. */
    make_request(&r, GOOD_BODY);
    r.req.body = "From=%2B8613812345679&To=%2B10659000&Body=" TEXT_ENC "&MessageSid=" SID;
    r.req.body_len = strlen(r.req.body);
    expect_reject(&r, 403, "invalid or missing X-Twilio-Signature");
}

static void test_receive_wrong_content_type(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencodedx",
        "",
        NULL,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fake_request r;
        make_request(&r, GOOD_BODY);
        r.req.content_type = bad[i];
        expect_reject(&r, 415, "unsupported content type");
    }
}

static void test_receive_wrong_method(void **state)
{
    (void)state;
    static const char *const bad[] = {"GET", "PUT", "post", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fake_request r;
        make_request(&r, GOOD_BODY);
        r.req.method = bad[i];
        expect_reject(&r, 405, "method not allowed");
    }
}

static void test_receive_missing_parameters(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *want;
    } cases[] = {
        {"From=" FROM_ENC "&To=%2B10659000&MessageSid=" SID, "missing required parameter Body"},
        {"To=%2B10659000&Body=" TEXT_ENC "&MessageSid=" SID, "missing required parameter From"},
        {"From=" FROM_ENC "&To=%2B10659000&Body=" TEXT_ENC,
         "missing required parameter MessageSid"},
        {"From=&Body=" TEXT_ENC "&MessageSid=" SID, "empty required parameter From"},
        {"From=" FROM_ENC "&Body=" TEXT_ENC "&MessageSid=",
         "empty required parameter MessageSid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_request r;
        make_request(&r, cases[i].body); /* correctly signed */
        expect_reject(&r, 400, cases[i].want);
    }

    /* Without a valid signature the caller learns nothing about required parameters. */
    fake_request r;
    make_request(&r, cases[0].body);
    r.sig = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    expect_reject(&r, 403, "invalid or missing X-Twilio-Signature");
}

static void test_receive_message_sid_shape(void **state)
{
    (void)state;
    fake_request r;
    make_request(&r, "From=" FROM_ENC "&Body=x&MessageSid=SM-123");
    expect_reject(&r, 400, "invalid MessageSid: expected 1 to 128 ASCII letters and digits");
    make_request(&r, "From=" FROM_ENC "&Body=x&MessageSid=SM%E4%B8%AD");
    expect_reject(&r, 400, "invalid MessageSid");
    make_request(&r, "From=" FROM_ENC "&Body=x&MessageSid=SM+1");
    expect_reject(&r, 400, "invalid MessageSid");

    /* Exactly JF_WEBHOOK_MAX_MSG_ID characters pass, one more does not. */
    char body[512];
    char sid[JF_WEBHOOK_MAX_MSG_ID + 2];
    memset(sid, 'a', sizeof sid - 1);
    sid[JF_WEBHOOK_MAX_MSG_ID] = '\0';
    snprintf(body, sizeof body, "From=%s&Body=x&MessageSid=%s", FROM_ENC, sid);
    make_request(&r, body);
    jf_inbound msg;
    size_t nmsg = 0;
    void *st = NULL;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(jf_webhook_twilio_adapter.receive(&channel, &r.req, &msg, 1, &nmsg, &st, &rej),
                     JF_ERR_OK);
    assert_int_equal(strlen(msg.msg_id), JF_WEBHOOK_MAX_MSG_ID);
    jf_webhook_twilio_adapter.release(st);
    jf_webhook_reply_free(&rej);

    sid[JF_WEBHOOK_MAX_MSG_ID] = 'a';
    sid[JF_WEBHOOK_MAX_MSG_ID + 1] = '\0';
    snprintf(body, sizeof body, "From=%s&Body=x&MessageSid=%s", FROM_ENC, sid);
    make_request(&r, body);
    expect_reject(&r, 400, "invalid MessageSid");
}

static void test_receive_malformed_form(void **state)
{
    (void)state;
    fake_request r;
    make_request(&r, "From=" FROM_ENC "&Body=%E4%BC%9&MessageSid=" SID);
    expect_reject(&r, 400, "malformed form body: invalid percent-escape");
    make_request(&r, "From=" FROM_ENC "&Body=%FF&MessageSid=" SID);
    expect_reject(&r, 400, "malformed form body: invalid UTF-8");
    make_request(&r, "From=" FROM_ENC "&Body=a%00b&MessageSid=" SID);
    expect_reject(&r, 400, "malformed form body: NUL byte");
}

static void test_receive_limits(void **state)
{
    (void)state;
    /* Too many fields: 413, with the reason. */
    jf_buf b;
    jf_buf_init(&b, 1 << 16);
    for (size_t i = 0; i <= JF_FORM_MAX_FIELDS; i++)
        assert_int_equal(jf_buf_appendf(&b, "%sX%zu=1", i ? "&" : "", i), JF_ERR_OK);
    char *body = jf_buf_steal(&b);
    fake_request r;
    make_request(&r, body);
    expect_reject(&r, 413, "too many form fields");
    free(body);

    /* A body over JF_WEBHOOK_MAX_BODY is refused even if the gateway let it through. */
    make_request(&r, GOOD_BODY);
    r.req.body_len = JF_WEBHOOK_MAX_BODY + 1;
    expect_reject(&r, 413, "too large");

    /* A channel without an auth token is the server's fault, and never verifies. */
    make_request(&r, GOOD_BODY);
    jf_webhook_channel nokey = {"twilio", "default", {{"auth_token", ""}}, 1};
    jf_inbound msg;
    size_t nmsg = 0;
    void *st = NULL;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(jf_webhook_twilio_adapter.receive(&nokey, &r.req, &msg, 1, &nmsg, &st, &rej),
                     JF_ERR_CONFIG);
    assert_int_equal(rej.status, 500);
    assert_null(st);
    jf_webhook_reply_free(&rej);
}

/* ---- replies ------------------------------------------------------------------------ */

static void test_render_ack_escapes(void **state)
{
    (void)state;
    jf_webhook_reply out;
    jf_webhook_reply_init(&out);
    assert_int_equal(jf_webhook_twilio_adapter.render_ack(&channel, NULL, "已收到，编号 JF-7Q2K <查询> & \"回复\" 'Y'", &out),
                     JF_ERR_OK);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.content_type, "application/xml; charset=utf-8");
    assert_string_equal(out.body.data,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>"
                        "已收到，编号 JF-7Q2K &lt;查询&gt; &amp; &quot;回复&quot; &apos;Y&apos;"
                        "</Message></Response>");

    /* Rendering replaces what was there. */
    assert_int_equal(jf_webhook_twilio_adapter.render_ack(&channel, NULL, "ok", &out), JF_ERR_OK);
    assert_string_equal(out.body.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                                       "<Message>ok</Message></Response>");

    /* No text: an empty response, so Twilio sends nothing back. */
    assert_int_equal(jf_webhook_twilio_adapter.render_ack(&channel, NULL, NULL, &out), JF_ERR_OK);
    assert_string_equal(out.body.data,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>");

    /* Newlines are fine; characters XML cannot carry are refused, as is broken UTF-8. */
    assert_int_equal(jf_webhook_twilio_adapter.render_ack(&channel, NULL, "a\nb", &out), JF_ERR_OK);
    assert_int_equal(jf_webhook_twilio_adapter.render_ack(&channel, NULL, "a\x01"
                                                          "b",
                                                          &out),
                     JF_ERR_INVAL);
    assert_int_equal(jf_webhook_twilio_adapter.render_ack(&channel, NULL, "a\xEF\xBF\xBF", &out), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_twilio_adapter.render_ack(&channel, NULL, "\xE4\xB8", &out), JF_ERR_INVAL);
    assert_int_equal(out.body.len, 0);
    jf_webhook_reply_free(&out);
}

static void test_render_ack_bounded(void **state)
{
    (void)state;
    /* Escaping grows text fivefold; the reply limit still holds. */
    size_t n = JF_WEBHOOK_MAX_REPLY / 5;
    char *text = malloc(n + 1);
    assert_non_null(text);
    memset(text, '&', n);
    text[n] = '\0';
    jf_webhook_reply out;
    jf_webhook_reply_init(&out);
    assert_int_equal(jf_webhook_twilio_adapter.render_ack(&channel, NULL, text, &out), JF_ERR_TOOBIG);
    assert_int_equal(out.body.len, 0);
    jf_webhook_reply_free(&out);
    free(text);
}

static void test_adapter_table(void **state)
{
    (void)state;
    const jf_webhook_adapter *a = jf_webhook_adapter_find("twilio");
    assert_ptr_equal(a, &jf_webhook_twilio_adapter);
    assert_string_equal(a->kind, "twilio");
    assert_true(a->nsettings >= 1);
    assert_string_equal(a->settings[0].key, "auth_token");
    assert_string_equal(a->settings[0].env, "JIANFU_TWILIO_AUTH_TOKEN");
    assert_true(a->settings[0].flags & JF_SETTING_REQUIRED);
    assert_non_null(a->receive);
    assert_non_null(a->render_ack);
    assert_non_null(a->release);
    assert_null(jf_webhook_adapter_find("Twilio"));
    assert_null(jf_webhook_adapter_find("kannel-not-yet"));
    assert_null(jf_webhook_adapter_find(""));
    assert_null(jf_webhook_adapter_find(NULL));
}

static void test_reply_text(void **state)
{
    (void)state;
    jf_webhook_reply r;
    jf_webhook_reply_init(&r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.body.max, JF_WEBHOOK_MAX_REPLY);
    assert_int_equal(jf_webhook_reply_text(&r, 404, "no such channel"), JF_ERR_OK);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.content_type, "text/plain; charset=utf-8");
    assert_string_equal(r.body.data, "no such channel");
    assert_int_equal(jf_webhook_reply_text(&r, 400, "again"), JF_ERR_OK);
    assert_string_equal(r.body.data, "again");
    assert_int_equal(jf_webhook_reply_text(&r, 400, NULL), JF_ERR_INVAL);
    jf_webhook_reply_free(&r);
    assert_int_equal(r.status, 0);
    assert_null(r.body.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_example_signature),
        cmocka_unit_test(test_doc_example_verify),
        cmocka_unit_test(test_sdk_vectors),
        cmocka_unit_test(test_port_variants),
        cmocka_unit_test(test_signature_arguments),
        cmocka_unit_test(test_receive_ok),
        cmocka_unit_test(test_receive_optional_to_and_empty_body),
        cmocka_unit_test(test_receive_bad_signature),
        cmocka_unit_test(test_receive_wrong_content_type),
        cmocka_unit_test(test_receive_wrong_method),
        cmocka_unit_test(test_receive_missing_parameters),
        cmocka_unit_test(test_receive_message_sid_shape),
        cmocka_unit_test(test_receive_malformed_form),
        cmocka_unit_test(test_receive_limits),
        cmocka_unit_test(test_render_ack_escapes),
        cmocka_unit_test(test_render_ack_bounded),
        cmocka_unit_test(test_adapter_table),
        cmocka_unit_test(test_reply_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
