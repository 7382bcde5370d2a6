/* test_webhook_whatsapp.c - the WhatsApp Cloud API adapter: the hub.challenge handshake,
 * X-Hub-Signature-256, notifications and batches, messages requests and their results. */
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
#include "webhook/whatsapp.h"

#include "jsonhook_fixture.h"

/* ---- published vectors -------------------------------------------------------------- */

/* X-Hub-Signature-256 is the same scheme for GitHub and Meta: "sha256=" + hex
 * HMAC-SHA256(secret, raw body). Meta publishes no worked signature; GitHub does, in
 * "Validating webhook deliveries" (https://docs.github.com/en/webhooks/using-webhooks/
 * validating-webhook-deliveries, "Testing the webhook payload validation"): secret "It's a
 * Secret to Everybody", payload "Hello, World!", signature below. */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_PAYLOAD "Hello, World!"
#define GH_SIG "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

/* Meta's example of a text message notification, from the WhatsApp Cloud API "messages
 * webhook reference" (https://developers.facebook.com/documentation/business-messaging/
 * whatsapp/webhooks/reference/messages, "Incoming messages"), compacted. Meta signs it with
 * an App Secret it does not publish, so the signature here is our own vector: the App
 * Secret below, signature computed independently with Python's hmac module. The expected
 * message id likewise: hex HMAC-SHA256(APP_SECRET, "jianfu:whatsapp:msgid\n" + wamid). */
#define APP_SECRET "whatsapp-example-app-secret"
#define VERIFY_TOKEN "meatyhamhock"
#define META_WAMID "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
#define META_FROM "16505551234"
#define META_TEXT "Does it come in another color?"
#define META_TEXT_MESSAGE                                                                      \
    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\","        \
    "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{"               \
    "\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"106540352242922\"},"       \
    "\"contacts\":[{\"profile\":{\"name\":\"Sheena Nelson\"},\"wa_id\":\"16505551234\"}],"     \
    "\"messages\":[{\"from\":\"" META_FROM "\",\"id\":\"" META_WAMID "\",\"timestamp\":"       \
    "\"1749416383\",\"type\":\"text\",\"text\":{\"body\":\"" META_TEXT "\"}}]},"               \
    "\"field\":\"messages\"}]}]}"
#define META_TEXT_SIG "sha256=621b51c89f6b09653d7dfe36a2072854197fcb32aca3f7ed83fa1de550b67d74"
#define META_MSGID "df6abc667ccd8e879ab4a98209525b75c210b43564da3034e8bff411a64a631b"

/* The sample notification the App Dashboard's "Test" button sends for the messages field
 * (WhatsApp > Configuration > Webhook fields), as it appears in public webhook logs. */
#define DASHBOARD_SAMPLE                                                                       \
    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"0\",\"changes\":[{"        \
    "\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{"      \
    "\"display_phone_number\":\"16505551111\",\"phone_number_id\":\"123456123\"},"             \
    "\"contacts\":[{\"profile\":{\"name\":\"test user name\"},\"wa_id\":\"16315551181\"}],"    \
    "\"messages\":[{\"from\":\"16315551181\",\"id\":\"ABGGFlA5Fpa\",\"timestamp\":"            \
    "\"1504902988\",\"type\":\"text\",\"text\":{\"body\":\"this is a text message\"}}]}}]}]}"

/* A status notification (messages webhook reference, "Status messages"): nothing to store. */
#define STATUS_SAMPLE                                                                          \
    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1314702302917944\","       \
    "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{"               \
    "\"display_phone_number\":\"15556459128\",\"phone_number_id\":\"590968830767958\"},"       \
    "\"statuses\":[{\"id\":\"wamid.HBgNNTUxNjk5MjMxODIyMhUCABEYEjgxQkVFRDVBQTVDODFDOTg3MQA="   \
    "\","                                                                                      \
    "\"status\":\"sent\",\"timestamp\":\"1750857384\",\"recipient_id\":\"5516992318222\","     \
    "\"conversation\":{\"id\":\"a75d17ad06104c51166f948319b03c6a\",\"origin\":{\"type\":"      \
    "\"service\"}},\"pricing\":{\"billable\":true,\"pricing_model\":\"CBP\",\"category\":"     \
    "\"service\"}}]},\"field\":\"messages\"}]}]}"

#define CN_FROM "8613812345678"
#define CN_TEXT "街道要求每个网格员每天在三个App上打卡。"

static const jf_webhook_channel channel = {"whatsapp",
                                           "default",
                                           {{"app_secret", APP_SECRET},
                                            {"verify_token", VERIFY_TOKEN},
                                            {"access_token", "EAAJB-token_0123"},
                                            {"phone_number_id", "106540352242922"}},
                                           4};

static const char *const forbidden[] = {META_FROM,  META_TEXT,    CN_FROM, CN_TEXT,
                                        APP_SECRET, VERIFY_TOKEN, NULL};

/* make - a POST of body signed with APP_SECRET (sig_buf keeps the header value). */
typedef struct {
    fake_request r;
    char sig[JF_JSONBODY_SIG_LEN + 1];
} signed_request;

static void make(signed_request *s, const char *body)
{
    fake_init(&s->r, "", body);
    const void *parts[] = {body};
    const size_t lens[] = {strlen(body)};
    assert_int_equal(jf_jsonbody_signature(APP_SECRET, parts, lens, 1, s->sig), JF_ERR_OK);
    fake_set_header(&s->r, JF_WHATSAPP_SIGNATURE_HEADER, s->sig);
}

static void reject(fake_request *r, unsigned status, const char *want)
{
    expect_reject(&jf_webhook_whatsapp_adapter, &channel, r, status, want, forbidden);
}

static void test_github_vector(void **state)
{
    (void)state;
    char sig[JF_JSONBODY_SIG_LEN + 1];
    const void *parts[] = {GH_PAYLOAD};
    const size_t lens[] = {sizeof GH_PAYLOAD - 1};
    assert_int_equal(jf_jsonbody_signature(GH_SECRET, parts, lens, 1, sig), JF_ERR_OK);
    assert_string_equal(sig, GH_SIG);
    assert_true(jf_jsonbody_signature_equal(sig, GH_SIG));
    /* Upper-case hex is the same signature; the prefix is not negotiable. */
    assert_true(jf_jsonbody_signature_equal(
        sig, "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"));
    assert_false(jf_jsonbody_signature_equal(
        sig, "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
    assert_false(jf_jsonbody_signature_equal(sig, GH_SIG "0"));
    assert_false(jf_jsonbody_signature_equal(
        sig, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1"));
    assert_false(jf_jsonbody_signature_equal(sig, NULL));
    assert_false(jf_jsonbody_signature_equal(sig, ""));
    /* Every single-digit change is refused. */
    char bad[] = GH_SIG;
    for (size_t i = 7; i < sizeof bad - 1; i++) {
        char keep = bad[i];
        bad[i] = keep == '0' ? '1' : '0';
        assert_false(jf_jsonbody_signature_equal(sig, bad));
        bad[i] = keep;
    }
    /* An empty key would let anyone sign. */
    assert_int_equal(jf_jsonbody_signature("", parts, lens, 1, sig), JF_ERR_INVAL);
}

/* ---- receiving ---------------------------------------------------------------------- */

static void test_meta_text_message(void **state)
{
    (void)state;
    signed_request s;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    make(&s, META_TEXT_MESSAGE);
    assert_string_equal(s.sig, META_TEXT_SIG);

    void *st = expect_accept(&jf_webhook_whatsapp_adapter, &channel, &s.r, 1, msgs, NULL);
    assert_string_equal(msgs[0].msg_id, META_MSGID);
    assert_string_equal(msgs[0].sender, META_FROM);
    assert_string_equal(msgs[0].recipient, "15550783881");
    assert_string_equal(msgs[0].text, META_TEXT);
    /* The wamid embeds a phone number: it is never what gets stored. */
    assert_null(strstr(msgs[0].msg_id, "wamid"));
    jf_webhook_whatsapp_adapter.release(st);
    jf_webhook_whatsapp_adapter.release(NULL);

    /* Meta's own capitalisation of the header name, and hex in upper case, both verify. */
    make(&s, META_TEXT_MESSAGE);
    fake_set_header(&s.r, JF_WHATSAPP_SIGNATURE_HEADER, NULL);
    char upper[] = META_TEXT_SIG;
    for (char *p = upper + 7; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    fake_set_header(&s.r, "x-hub-signature-256", upper);
    st = expect_accept(&jf_webhook_whatsapp_adapter, &channel, &s.r, 1, msgs, NULL);
    jf_webhook_whatsapp_adapter.release(st);
}

static void test_dashboard_sample(void **state)
{
    (void)state;
    signed_request s;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    make(&s, DASHBOARD_SAMPLE);
    void *st = expect_accept(&jf_webhook_whatsapp_adapter, &channel, &s.r, 1, msgs, NULL);
    assert_int_equal(strlen(msgs[0].msg_id), 64);
    assert_string_equal(msgs[0].sender, "16315551181");
    assert_string_equal(msgs[0].recipient, "16505551111");
    assert_string_equal(msgs[0].text, "this is a text message");
    jf_webhook_whatsapp_adapter.release(st);
}

static void test_batch(void **state)
{
    (void)state;
    /* Two messages in one notification, a status and a reaction among them, and a second
     * entry: both messages are taken, in order, with distinct ids. */
    static const char body[] =
        "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{"
        "\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{"
        "\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"106540352242922\"},"
        "\"messages\":[{\"from\":\"" CN_FROM "\",\"id\":\"wamid.A1\",\"timestamp\":\"1\","
        "\"type\":\"text\",\"text\":{\"body\":\"" CN_TEXT "\"}},{\"from\":\"" CN_FROM "\","
        "\"id\":\"wamid.A2\",\"timestamp\":\"2\",\"type\":\"reaction\",\"reaction\":{"
        "\"message_id\":\"wamid.X\",\"emoji\":\"\\ud83d\\udc4d\"}}],\"statuses\":[{\"id\":"
        "\"wamid.S\",\"status\":\"read\",\"timestamp\":\"3\",\"recipient_id\":\"" CN_FROM
        "\"}]}"
        "}]},{\"id\":\"2\",\"changes\":[{\"field\":\"messages\",\"value\":{\"messages\":[{"
        "\"from\":\"447700900123\",\"id\":\"wamid.B1\",\"timestamp\":\"4\",\"type\":\"image\","
        "\"image\":{\"id\":\"1\",\"mime_type\":\"image/"
        "jpeg\",\"caption\":\"表格照片\"}}]}}]}]}";
    signed_request s;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    make(&s, body);
    void *st = expect_accept(&jf_webhook_whatsapp_adapter, &channel, &s.r, 2, msgs, NULL);
    assert_string_equal(msgs[0].sender, CN_FROM);
    assert_string_equal(msgs[0].text, CN_TEXT);
    assert_string_equal(msgs[0].recipient, "15550783881");
    assert_string_equal(msgs[1].sender, "447700900123");
    assert_string_equal(msgs[1].text, "表格照片");
    assert_null(msgs[1].recipient);
    assert_string_not_equal(msgs[0].msg_id, msgs[1].msg_id);
    jf_webhook_whatsapp_adapter.release(st);

    /* More messages than a batch holds: 413, nothing taken. */
    jf_buf b;
    jf_buf_init(&b, JF_WEBHOOK_MAX_BODY);
    assert_int_equal(jf_buf_appends(&b, "{\"entry\":[{\"changes\":[{\"value\":{\"messages\":["),
                     JF_ERR_OK);
    for (size_t i = 0; i <= JF_WEBHOOK_MAX_BATCH; i++)
        assert_int_equal(jf_buf_appendf(&b,
                                        "%s{\"from\":\"1\",\"id\":\"m%zu\",\"type\":\"text\","
                                        "\"text\":{\"body\":\"x\"}}",
                                        i ? "," : "", i),
                         JF_ERR_OK);
    assert_int_equal(jf_buf_appends(&b, "]}}]}]}"), JF_ERR_OK);
    make(&s, b.data);
    reject(&s.r, 413, "too many messages in one notification: the limit is 32");
    jf_buf_free(&b);
}

static void test_nothing_to_store(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        STATUS_SAMPLE,
        /* Audio, stickers and images without a caption carry no words. */
        "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":"
        "\"messages\",\"value\":{\"messages\":[{\"from\":\"1\",\"id\":\"a\",\"type\":\"audio\","
        "\"audio\":{\"id\":\"9\"}},{\"from\":\"1\",\"id\":\"b\",\"type\":\"image\",\"image\":"
        "{\"id\":\"8\"}},{\"from\":\"1\",\"id\":\"c\",\"type\":\"unsupported\",\"errors\":[{"
        "\"code\":131051}]}]}}]}]}",
        /* Another field of the WhatsApp Business Account. */
        "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":"
        "\"message_template_status_update\",\"value\":{\"event\":\"APPROVED\"}}]}]}",
        /* Another product's webhook pointed at the same URL. */
        "{\"object\":\"page\",\"entry\":[{\"messaging\":[]}]}",
        "{\"object\":\"whatsapp_business_account\",\"entry\":[]}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        signed_request s;
        jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
        jf_webhook_reply reply;
        make(&s, bodies[i]);
        expect_accept(&jf_webhook_whatsapp_adapter, &channel, &s.r, 0, msgs, &reply);
        assert_int_equal(reply.body.len, 0);
        jf_webhook_reply_free(&reply);
    }
}

static void test_business_scoped_user_id(void **state)
{
    (void)state;
    /* Since 2026 a user with a username may come without "from", only "from_user_id" (Meta,
     * "Business-scoped user IDs"; the example BSUID is Meta's). */
    static const char body[] =
        "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":"
        "\"messages\",\"value\":{\"contacts\":[{\"profile\":{\"name\":\"x\",\"username\":"
        "\"@bob\"},\"user_id\":\"US.13491208655302741918\"}],\"messages\":[{\"from_user_id\":"
        "\"US.13491208655302741918\",\"id\":\"wamid.C\",\"timestamp\":\"1\",\"type\":\"text\","
        "\"text\":{\"body\":\"hi\"}}]}}]}]}";
    signed_request s;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    make(&s, body);
    void *st = expect_accept(&jf_webhook_whatsapp_adapter, &channel, &s.r, 1, msgs, NULL);
    assert_string_equal(msgs[0].sender, "US.13491208655302741918");
    jf_webhook_whatsapp_adapter.release(st);
}

static void test_wrong_signature(void **state)
{
    (void)state;
    signed_request s;
    make(&s, META_TEXT_MESSAGE);
    s.sig[20] = s.sig[20] == '0' ? '1' : '0';
    reject(&s.r, 403, "invalid or missing X-Hub-Signature-256");

    make(&s, META_TEXT_MESSAGE);
    fake_set_header(&s.r, JF_WHATSAPP_SIGNATURE_HEADER, NULL);
    reject(&s.r, 403, "invalid or missing X-Hub-Signature-256");

    /* The old SHA-1 header alone is not enough. */
    make(&s, META_TEXT_MESSAGE);
    fake_set_header(&s.r, JF_WHATSAPP_SIGNATURE_HEADER, NULL);
    fake_set_header(&s.r, "X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567");
    reject(&s.r, 403, "invalid or missing X-Hub-Signature-256");

    /* A body changed after signing (the text replaced). */
    make(&s, META_TEXT_MESSAGE);
    s.r.req.body = DASHBOARD_SAMPLE;
    s.r.req.body_len = strlen(DASHBOARD_SAMPLE);
    reject(&s.r, 403, "invalid or missing X-Hub-Signature-256");

    /* Signed with another app's secret. */
    make(&s, META_TEXT_MESSAGE);
    jf_webhook_channel other = channel;
    other.settings[0].value = "another-app-secret";
    expect_reject(&jf_webhook_whatsapp_adapter, &other, &s.r, 403,
                  "invalid or missing X-Hub-Signature-256", forbidden);

    /* Without the signature, malformed bodies are only a 403. */
    fake_init(&s.r, "", "{\"entry\":");
    reject(&s.r, 403, "X-Hub-Signature-256");
}

static void test_transport_rejects(void **state)
{
    (void)state;
    signed_request s;
    for (size_t i = 0; i < N_BAD_CONTENT_TYPES; i++) {
        make(&s, META_TEXT_MESSAGE);
        s.r.req.content_type = bad_content_types[i];
        reject(&s.r, 415, "unsupported content type");
    }
    static const char *const methods[] = {"PUT", "DELETE", "post", NULL};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        make(&s, META_TEXT_MESSAGE);
        s.r.req.method = methods[i];
        reject(&s.r, 405, "method not allowed");
    }
    char *big = oversize_body();
    make(&s, big);
    reject(&s.r, 413, "request body too large");
    free(big);

    jf_webhook_channel nokey = {"whatsapp", "default", {{"verify_token", VERIFY_TOKEN}}, 1};
    make(&s, META_TEXT_MESSAGE);
    jf_inbound msgs[1];
    size_t n = 5;
    void *st = (void *)1;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(
        jf_webhook_whatsapp_adapter.receive(&nokey, &s.r.req, msgs, 1, &n, &st, &rej),
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
        {"{\"object\":\"whatsapp_business_account\",", "malformed JSON body"},
        {"{\"entry\":[],\"entry\":[]}", "malformed JSON body: duplicate object key"},
        {"[1]", "malformed WhatsApp notification: expected a JSON object"},
        {"{\"object\":\"whatsapp_business_account\"}", "missing required field entry"},
        {"{\"entry\":{}}", "invalid field entry: expected an array"},
        {"{\"entry\":[1]}", "invalid field entry[]"},
        {"{\"entry\":[{\"changes\":{}}]}", "invalid field entry[]"},
        {"{\"entry\":[{\"changes\":[7]}]}", "invalid field entry[].changes[]"},
        {"{\"entry\":[{\"changes\":[{\"field\":\"messages\"}]}]}",
         "missing required field entry[].changes[].value"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":{}}}]}]}",
         "invalid field entry[].changes[].value.messages: expected an array"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[\"x\"]}}]}]}",
         "invalid field entry[].changes[].value.messages[]"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"from\":\"" CN_FROM "\","
         "\"id\":\"w\",\"text\":{\"body\":\"" CN_TEXT "\"}}]}}]}]}",
         "missing required field entry[].changes[].value.messages[].type"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"from\":\"" CN_FROM "\","
         "\"id\":\"w\",\"type\":\"text\"}]}}]}]}",
         "missing required field entry[].changes[].value.messages[].text.body"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"from\":\"" CN_FROM "\","
         "\"type\":\"text\",\"text\":{\"body\":\"" CN_TEXT "\"}}]}}]}]}",
         "missing required field entry[].changes[].value.messages[].id"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"id\":\"w\",\"type\":\"text\","
         "\"text\":{\"body\":\"" CN_TEXT "\"}}]}}]}]}",
         "missing required field entry[].changes[].value.messages[].from (or from_user_id)"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"from\":8613812345678,"
         "\"id\":\"w\",\"type\":\"text\",\"text\":{\"body\":\"" CN_TEXT "\"}}]}}]}]}",
         "invalid field entry[].changes[].value.messages[].from"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"from\":\"" CN_FROM "\","
         "\"id\":\"w\",\"type\":\"text\",\"text\":{\"body\":[\"" CN_TEXT "\"]}}]}}]}]}",
         "invalid field entry[].changes[].value.messages[].text.body"},
        {"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"from\":\"86\\n138\","
         "\"id\":\"w\",\"type\":\"text\",\"text\":{\"body\":\"x\"}}]}}]}]}",
         "invalid field entry[].changes[].value.messages[].from"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        signed_request s;
        make(&s, cases[i].body);
        reject(&s.r, 400, cases[i].want);
    }
}

/* ---- the GET handshake -------------------------------------------------------------- */

static void handshake(const char *query, unsigned status, const char *want)
{
    fake_request r;
    fake_init(&r, query, "");
    r.req.method = "GET";
    r.req.content_type = NULL;
    jf_inbound msgs[1];
    size_t n = 3;
    void *st = (void *)1;
    jf_webhook_reply reply;
    jf_webhook_reply_init(&reply);
    jf_err err =
        jf_webhook_whatsapp_adapter.receive(&channel, &r.req, msgs, 1, &n, &st, &reply);
    assert_int_equal(n, 0);
    assert_null(st);
    assert_int_equal(reply.status, status);
    assert_string_equal(reply.content_type, "text/plain; charset=utf-8");
    if (status == 200) {
        assert_int_equal(err, JF_ERR_OK);
        assert_string_equal(reply.body.data, want);
    } else {
        assert_int_not_equal(err, JF_ERR_OK);
        if (!strstr(reply.body.data, want))
            fail_msg("\"%s\" lacks \"%s\"", reply.body.data, want);
        assert_null(strstr(reply.body.data, VERIFY_TOKEN));
    }
    jf_webhook_reply_free(&reply);
}

static void test_handshake(void **state)
{
    (void)state;
    /* Meta's "Sample Verification Request" (Graph API Webhooks, "Getting Started",
     * https://developers.facebook.com/docs/graph-api/webhooks/getting-started): answer
     * 1158201444 for hub.verify_token meatyhamhock. */
    handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock", 200,
              "1158201444");
    handshake("hub.verify_token=meatyhamhock&hub.challenge=1158201444&hub.mode=subscribe", 200,
              "1158201444");
    handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhocK", 403,
              "verification failed");
    handshake("hub.mode=subscribe&hub.challenge=1158201444", 403, "verification failed");
    handshake("hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
              403, "verification failed");
    handshake("", 403, "verification failed");
    handshake("hub.mode=subscribe&hub.verify_token=meatyhamhock", 400, "invalid hub.challenge");
    handshake("hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=meatyhamhock",
              400, "invalid hub.challenge");
    handshake("hub.mode=subscribe&hub.challenge=1%&hub.verify_token=meatyhamhock", 400,
              "malformed query string");
}

/* ---- sending ------------------------------------------------------------------------ */

static void test_send_request(void **state)
{
    (void)state;
    jf_webhook_http h;
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_whatsapp_adapter.send_request(&channel, NULL, CN_FROM,
                                                              "答复：\"已取消\"\n谢谢", &h),
                     JF_ERR_OK);
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.url.data,
                        "https://graph.facebook.com/v19.0/106540352242922/messages");
    assert_string_equal(h.content_type, "application/json; charset=utf-8");
    assert_int_equal(h.nheaders, 1);
    assert_string_equal(h.headers[0], "Authorization: Bearer EAAJB-token_0123");
    assert_string_equal(
        h.body.data, "{\"messaging_product\":\"whatsapp\",\"to\":\"" CN_FROM "\","
                     "\"type\":\"text\",\"text\":{\"body\":\"答复：\\\"已取消\\\"\\n谢谢\"}}");

    /* A BSUID goes in "recipient"; base and version come from the settings. */
    jf_webhook_channel fake = channel;
    fake.settings[fake.nsettings++] =
        (jf_webhook_setting){"api_base", "http://127.0.0.1:18082"};
    fake.settings[fake.nsettings++] = (jf_webhook_setting){"api_version", "v23.0"};
    assert_int_equal(jf_webhook_whatsapp_adapter.send_request(
                         &fake, NULL, "US.13491208655302741918", "x", &h),
                     JF_ERR_OK);
    assert_string_equal(h.url.data, "http://127.0.0.1:18082/v23.0/106540352242922/messages");
    assert_string_equal(h.body.data, "{\"messaging_product\":\"whatsapp\",\"recipient\":"
                                     "\"US.13491208655302741918\",\"type\":\"text\",\"text\":{"
                                     "\"body\":\"x\"}}");

    static const char *const bad[] = {"", "+86 138", "86138\"x", "us.1", "US.", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(
            jf_webhook_whatsapp_adapter.send_request(&channel, NULL, bad[i], "x", &h),
            JF_ERR_INVAL);
    assert_int_equal(
        jf_webhook_whatsapp_adapter.send_request(&channel, NULL, CN_FROM, "\xc3", &h),
        JF_ERR_INVAL);
    assert_int_equal(h.nheaders, 0);
    assert_int_equal(h.headers[0][0], '\0');

    /* Settings that cannot make a safe request. */
    static const jf_webhook_setting broken[][2] = {
        {{"access_token", "has space"}, {"phone_number_id", "1"}},
        {{"access_token", "tok\r\nX-Evil: 1"}, {"phone_number_id", "1"}},
        {{"access_token", "tok"}, {"phone_number_id", "1/../2"}},
        {{"access_token", "tok"}, {"phone_number_id", NULL}},
        {{"access_token", "tok"}, {"api_version", "19.0/x"}},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        jf_webhook_channel c = {"whatsapp", "default", {broken[i][0], broken[i][1]}, 2};
        if (i == 4)
            c.settings[c.nsettings++] = (jf_webhook_setting){"phone_number_id", "1"};
        assert_int_equal(jf_webhook_whatsapp_adapter.send_request(&c, NULL, CN_FROM, "x", &h),
                         JF_ERR_CONFIG);
    }
    /* An access token too long for the header is a configuration error, not a cut token. */
    char longtok[300];
    memset(longtok, 'A', sizeof longtok - 1);
    longtok[sizeof longtok - 1] = '\0';
    jf_webhook_channel c = {
        "whatsapp", "default", {{"access_token", longtok}, {"phone_number_id", "1"}}, 2};
    assert_int_equal(jf_webhook_whatsapp_adapter.send_request(&c, NULL, CN_FROM, "x", &h),
                     JF_ERR_CONFIG);
    jf_webhook_http_free(&h);
}

static void test_send_result(void **state)
{
    (void)state;
    jf_send_result res;
#define RESULT(status, hdr, body)                                                              \
    jf_webhook_whatsapp_adapter.send_result(status, hdr, body, sizeof(body) - 1, &res)

    /* The success answer of the Cloud API's "Send messages". */
    RESULT(
        200, NULL,
        "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"16505551234\","
        "\"wa_id\":\"16505551234\"}],\"messages\":[{\"id\":\"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5"
        "QTNDQTVCM0Q0Q0Q2RTY3RTcA\"}]}");
    assert_int_equal(res.verdict, JF_SEND_OK);

    RESULT(429, "30",
           "{\"error\":{\"message\":\"(#130429) Rate limit hit\",\"type\":"
           "\"OAuthException\",\"code\":130429,\"fbtrace_id\":\"A\"}}");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_int_equal(res.retry_after, 30);
    RESULT(400, NULL,
           "{\"error\":{\"message\":\"(#131056) (Business Account, Consumer Account) "
           "pair rate limit hit\",\"code\":131056}}");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    RESULT(500, NULL,
           "{\"error\":{\"message\":\"(#131000) Something went wrong\",\"code\":131000}}");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    RESULT(503, NULL, "");
    assert_int_equal(res.verdict, JF_SEND_RETRY);

    RESULT(400, NULL,
           "{\"error\":{\"message\":\"(#131047) Re-engagement message\",\"type\":"
           "\"OAuthException\",\"code\":131047,\"error_data\":{\"messaging_product\":"
           "\"whatsapp\",\"details\":\"Message failed to send because more than 24 "
           "hours have passed since the customer last replied to this number.\"}}}");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    assert_string_equal(res.error,
                        "whatsapp HTTP 400 code 131047: (#131047) Re-engagement message");
    RESULT(401, NULL,
           "{\"error\":{\"message\":\"Error validating access token: Session has "
           "expired\",\"type\":\"OAuthException\",\"code\":190}}");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    assert_non_null(strstr(res.error, "code 190"));
    RESULT(400, NULL,
           "{\"error\":{\"message\":\"Recipient 8613812345678 not allowed\","
           "\"code\":131030}}");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    assert_null(strstr(res.error, "8613812345678"));
#undef RESULT
}

static void test_adapter_row(void **state)
{
    (void)state;
    const jf_webhook_adapter *a = jf_webhook_adapter_find("whatsapp");
    assert_ptr_equal(a, &jf_webhook_whatsapp_adapter);
    assert_int_equal(a->methods, JF_WEBHOOK_GET | JF_WEBHOOK_POST);
    assert_false(a->inline_ack);
    static const char *const envs[] = {
        "JIANFU_WHATSAPP_APP_SECRET",   "JIANFU_WHATSAPP_VERIFY_TOKEN",
        "JIANFU_WHATSAPP_ACCESS_TOKEN", "JIANFU_WHATSAPP_PHONE_NUMBER_ID",
        "JIANFU_WHATSAPP_API_BASE",     "JIANFU_WHATSAPP_API_VERSION",
    };
    assert_int_equal(a->nsettings, sizeof envs / sizeof envs[0]);
    for (size_t i = 0; i < a->nsettings; i++) {
        assert_string_equal(a->settings[i].env, envs[i]);
        assert_int_equal(!!(a->settings[i].flags & JF_SETTING_REQUIRED), i < 4);
        assert_int_equal(!!(a->settings[i].flags & JF_SETTING_SECRET), i < 3);
    }

    /* The acknowledgement never rides on the answer. */
    jf_webhook_reply out;
    jf_webhook_reply_init(&out);
    assert_int_equal(a->render_ack(&channel, NULL, NULL, &out), JF_ERR_OK);
    assert_int_equal(out.status, 200);
    assert_int_equal(out.body.len, 0);
    jf_webhook_reply_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_github_vector),    cmocka_unit_test(test_meta_text_message),
        cmocka_unit_test(test_dashboard_sample), cmocka_unit_test(test_batch),
        cmocka_unit_test(test_nothing_to_store), cmocka_unit_test(test_business_scoped_user_id),
        cmocka_unit_test(test_wrong_signature),  cmocka_unit_test(test_transport_rejects),
        cmocka_unit_test(test_malformed),        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_send_request),     cmocka_unit_test(test_send_result),
        cmocka_unit_test(test_adapter_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
