/* test_webhook_telegram.c - the Telegram adapter: secret token, Updates, inline replies,
 * sendMessage requests and their results. */
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
#include "webhook/telegram.h"

#include "jsonhook_fixture.h"

#define SECRET "s3cr3t-Token_for-jianfu"
/* The example token of the Bot API documentation ("Authorizing your bot"). */
#define BOT_TOKEN "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"

static const jf_webhook_channel channel = {
    "telegram", "default", {{"secret", SECRET}, {"bot_token", BOT_TOKEN}}, 2};

/* Telegram's own test update, from "Marvin's Marvellous Guide to All Things Webhook"
 * (https://core.telegram.org/bots/webhooks, "Testing your bot with updates": "Message with
 * text"), byte for byte but for white space. It predates chat.type. */
#define DOC_UPDATE                                                                             \
    "{\"update_id\":10000,\"message\":{\"date\":1441645532,\"chat\":{\"last_name\":\"Test "    \
    "Lastname\",\"id\":1111111,\"first_name\":\"Test\",\"username\":\"Test\"},"                \
    "\"message_id\":1365,\"from\":{\"last_name\":\"Test Lastname\",\"id\":1111111,"            \
    "\"first_name\":\"Test\",\"username\":\"Test\"},\"text\":\"/start\"}}"
/* The same guide's "Edited message" test update: an edit is not a new complaint. */
#define DOC_EDITED                                                                             \
    "{\"update_id\":10000,\"edited_message\":{\"date\":1441645532,\"chat\":{\"last_name\":"    \
    "\"Test Lastname\",\"type\":\"private\",\"id\":1111111,\"first_name\":\"Test Firstname\"," \
    "\"username\":\"Testusername\"},\"message_id\":1365,\"from\":{\"last_name\":\"Test "       \
    "Lastname\",\"id\":1111111,\"first_name\":\"Test "                                         \
    "Firstname\",\"username\":\"Testusername\"},"                                              \
    "\"text\":\"Edited text\",\"edit_date\":1441646600}}"
/* The same guide's "Callback query" test update. */
#define DOC_CALLBACK                                                                           \
    "{\"update_id\":10000,\"callback_query\":{\"id\":\"4382bfdwdsb323b2d9\",\"from\":{"        \
    "\"last_name\":\"Test Lastname\",\"type\":\"private\",\"id\":1111111,\"first_name\":"      \
    "\"Test Firstname\",\"username\":\"Testusername\"},\"data\":\"Data from button "           \
    "callback\","                                                                              \
    "\"inline_message_id\":\"1234csdbsk4839\"}}"

/* A current private-chat update (Bot API "Update", "Message", "Chat": chat.type present). */
#define CHAT_ID "5798341122"
#define TEXT "村里每周要填三张重复的报表，还要拍照留痕。"
#define PRIVATE_UPDATE                                                                         \
    "{\"update_id\":836213542,\"message\":{\"message_id\":77,\"from\":{\"id\":" CHAT_ID        \
    ",\"is_bot\":false,\"first_name\":\"张\",\"language_code\":\"zh-hans\"},\"chat\":{"       \
    "\"id\":" CHAT_ID                                                                          \
    ",\"first_name\":\"张\",\"type\":\"private\"},\"date\":1764201590,\"text\":\"" TEXT "\"}}"

static const char *const forbidden[] = {CHAT_ID, "1111111", TEXT, "/start", SECRET, NULL};

static void make(fake_request *r, const char *body)
{
    fake_init(r, "", body);
    fake_set_header(r, JF_TELEGRAM_SECRET_HEADER, SECRET);
}

static void reject(fake_request *r, unsigned status, const char *want)
{
    expect_reject(&jf_webhook_telegram_adapter, &channel, r, status, want, forbidden);
}

/* ---- receiving ---------------------------------------------------------------------- */

static void test_doc_update(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    make(&r, DOC_UPDATE);
    void *st = expect_accept(&jf_webhook_telegram_adapter, &channel, &r, 1, msgs, NULL);
    assert_string_equal(msgs[0].msg_id, "10000");
    assert_string_equal(msgs[0].sender, "1111111");
    assert_null(msgs[0].recipient);
    assert_string_equal(msgs[0].text, "/start");
    jf_webhook_telegram_adapter.release(st);
    jf_webhook_telegram_adapter.release(NULL);
}

static void test_private_update(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    make(&r, PRIVATE_UPDATE);
    for (size_t i = 0; i < N_GOOD_CONTENT_TYPES; i++) {
        r.req.content_type = good_content_types[i];
        void *st = expect_accept(&jf_webhook_telegram_adapter, &channel, &r, 1, msgs, NULL);
        assert_string_equal(msgs[0].msg_id, "836213542");
        assert_string_equal(msgs[0].sender, CHAT_ID);
        assert_string_equal(msgs[0].text, TEXT);
        jf_webhook_telegram_adapter.release(st);
    }
}

static void test_captions_and_media(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    void *st;

    /* A photo of the form, with the problem written in the caption. */
    make(&r, "{\"update_id\":5,\"message\":{\"message_id\":9,\"chat\":{\"id\":42,\"type\":"
             "\"private\"},\"date\":1,\"photo\":[{\"file_id\":\"AgAD\",\"file_unique_id\":"
             "\"x\",\"width\":90,\"height\":90}],\"caption\":\"这张表每周报一次\"}}");
    st = expect_accept(&jf_webhook_telegram_adapter, &channel, &r, 1, msgs, NULL);
    assert_string_equal(msgs[0].text, "这张表每周报一次");
    jf_webhook_telegram_adapter.release(st);

    /* A voice message: stored with empty text, so the gateway asks for words. */
    make(&r, "{\"update_id\":6,\"message\":{\"message_id\":10,\"chat\":{\"id\":42,\"type\":"
             "\"private\"},\"date\":1,\"voice\":{\"file_id\":\"AwAD\",\"duration\":3}}}");
    st = expect_accept(&jf_webhook_telegram_adapter, &channel, &r, 1, msgs, NULL);
    assert_string_equal(msgs[0].text, "");
    assert_string_equal(msgs[0].msg_id, "6");
    jf_webhook_telegram_adapter.release(st);

    /* Text wins over a caption if both were ever present. */
    make(&r, "{\"update_id\":7,\"message\":{\"chat\":{\"id\":42,\"type\":\"private\"},"
             "\"text\":\"a\",\"caption\":\"b\"}}");
    st = expect_accept(&jf_webhook_telegram_adapter, &channel, &r, 1, msgs, NULL);
    assert_string_equal(msgs[0].text, "a");
    jf_webhook_telegram_adapter.release(st);
}

static void test_ignored_updates(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        DOC_EDITED,
        DOC_CALLBACK,
        /* A channel post. */
        "{\"update_id\":1,\"channel_post\":{\"message_id\":1,\"chat\":{\"id\":-1001234567890,"
        "\"type\":\"channel\"},\"date\":1,\"text\":\"x\"}}",
        /* The bot was added to or blocked in a chat. */
        "{\"update_id\":2,\"my_chat_member\":{\"chat\":{\"id\":1111111,\"type\":\"private\"}}}",
        /* A message in a group or supergroup: answering would expose the reporter. */
        "{\"update_id\":3,\"message\":{\"message_id\":1,\"from\":{\"id\":1111111},\"chat\":"
        "{\"id\":-4001234567,\"type\":\"group\",\"title\":\"g\"},\"text\":\"我要反映\"}}",
        "{\"update_id\":4,\"message\":{\"message_id\":1,\"from\":{\"id\":1111111},\"chat\":"
        "{\"id\":-1001234567890,\"type\":\"supergroup\"},\"text\":\"我要反映\"}}",
        /* No chat.type and a chat that is not the sender: not private. */
        "{\"update_id\":5,\"message\":{\"from\":{\"id\":1111111},\"chat\":{\"id\":-77},"
        "\"text\":\"x\"}}",
        /* A service message in a private chat: nothing was written. */
        "{\"update_id\":6,\"message\":{\"message_id\":1,\"chat\":{\"id\":42,\"type\":"
        "\"private\"},\"date\":1,\"pinned_message\":{\"message_id\":0,\"date\":0,"
        "\"chat\":{\"id\":42,\"type\":\"private\"}}}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        fake_request r;
        jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
        jf_webhook_reply reply;
        make(&r, bodies[i]);
        expect_accept(&jf_webhook_telegram_adapter, &channel, &r, 0, msgs, &reply);
        assert_int_equal(reply.body.len, 0);
        jf_webhook_reply_free(&reply);
    }
}

static void test_wrong_secret(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "s3cr3t-Token_for-jianfX",
        "s3cr3t-Token_for-jianf",
        SECRET "x",
        "S3CR3T-TOKEN_FOR-JIANFU",
        "",
    };
    fake_request r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        make(&r, PRIVATE_UPDATE);
        fake_set_header(&r, JF_TELEGRAM_SECRET_HEADER, bad[i]);
        reject(&r, 403, "invalid or missing X-Telegram-Bot-Api-Secret-Token");
    }
    make(&r, PRIVATE_UPDATE);
    fake_set_header(&r, JF_TELEGRAM_SECRET_HEADER, NULL);
    reject(&r, 403, "invalid or missing X-Telegram-Bot-Api-Secret-Token");
    make(&r, PRIVATE_UPDATE);
    r.req.header = NULL;
    reject(&r, 403, "invalid or missing X-Telegram-Bot-Api-Secret-Token");

    /* Without the secret, a malformed or incomplete body is still only a 403. */
    make(&r, "{\"update_id\":\"x\"}");
    fake_set_header(&r, JF_TELEGRAM_SECRET_HEADER, "nope");
    reject(&r, 403, "invalid or missing X-Telegram-Bot-Api-Secret-Token");
    make(&r, "{not json");
    fake_set_header(&r, JF_TELEGRAM_SECRET_HEADER, NULL);
    reject(&r, 403, "X-Telegram-Bot-Api-Secret-Token");
}

static void test_transport_rejects(void **state)
{
    (void)state;
    fake_request r;
    for (size_t i = 0; i < N_BAD_CONTENT_TYPES; i++) {
        make(&r, PRIVATE_UPDATE);
        r.req.content_type = bad_content_types[i];
        reject(&r, 415, "unsupported content type: expected application/json");
    }
    static const char *const methods[] = {"GET", "PUT", "post", NULL};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        make(&r, PRIVATE_UPDATE);
        r.req.method = methods[i];
        reject(&r, 405, "method not allowed: Telegram webhooks are POST");
    }
    char *big = oversize_body();
    make(&r, big);
    reject(&r, 413, "request body too large");
    free(big);

    /* A channel without a secret never accepts anything. */
    jf_webhook_channel nokey = {
        "telegram", "default", {{"secret", ""}, {"bot_token", "1:a"}}, 2};
    make(&r, PRIVATE_UPDATE);
    jf_inbound msgs[1];
    size_t n = 7;
    void *st = (void *)1;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    assert_int_equal(
        jf_webhook_telegram_adapter.receive(&nokey, &r.req, msgs, 1, &n, &st, &rej),
        JF_ERR_CONFIG);
    assert_int_equal(rej.status, 500);
    assert_null(st);
    assert_int_equal(n, 0);
    jf_webhook_reply_free(&rej);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *want;
    } cases[] = {
        {"{\"update_id\":1,", "malformed JSON body: unexpected end of input"},
        {"{\"update_id\":1,\"update_id\":2}", "malformed JSON body: duplicate object key"},
        {"{\"update_id\":1} {}", "malformed JSON body: trailing data"},
        {"{\"update_id\":1,\"message\":{\"text\":\"\xff\"}}",
         "malformed JSON body: invalid UTF-8"},
        {"{\"update_id\":1,\"message\":{\"text\":\"a\\u0000b\"}}", "malformed JSON body"},
        {"{\"update_id\":1,\"message\":{\"text\":\"\\ud800\"}}", "malformed JSON body"},
        {"", "malformed JSON body"},
        {"[]", "malformed Telegram update: expected a JSON object"},
        {"{}", "missing required field update_id"},
        {"{\"update_id\":\"10000\"}", "invalid field update_id"},
        {"{\"update_id\":-1}", "invalid field update_id"},
        {"{\"update_id\":1,\"message\":\"hi\"}", "invalid field message: expected an object"},
        {"{\"update_id\":1,\"message\":{\"text\":\"/start\"}}",
         "missing required field message.chat"},
        {"{\"update_id\":1,\"message\":{\"chat\":[],\"text\":\"/start\"}}",
         "invalid field message.chat"},
        {"{\"update_id\":1,\"message\":{\"chat\":{\"type\":\"private\"},\"text\":\"/start\"}}",
         "missing required field message.chat.id"},
        {"{\"update_id\":1,\"message\":{\"chat\":{\"id\":\"1111111\",\"type\":\"private\"}}}",
         "invalid field message.chat.id"},
        {"{\"update_id\":1,\"message\":{\"chat\":{\"id\":1111111,\"type\":7},\"text\":\"x\"}}",
         "invalid field message.chat.type"},
        {"{\"update_id\":1,\"message\":{\"chat\":{\"id\":1111111,\"type\":\"private\"},"
         "\"text\":1365}}",
         "invalid field message.text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_request r;
        make(&r, cases[i].body);
        reject(&r, 400, cases[i].want);
    }
}

static void test_text_limit(void **state)
{
    (void)state;
    jf_buf b;
    jf_buf_init(&b, 2 * JF_JSONBODY_MAX_TEXT);
    for (size_t len = JF_JSONBODY_MAX_TEXT; len <= JF_JSONBODY_MAX_TEXT + 1; len++) {
        jf_buf_reset(&b);
        assert_int_equal(jf_buf_appends(&b, "{\"update_id\":1,\"message\":{\"chat\":{\"id\":42,"
                                            "\"type\":\"private\"},\"text\":\""),
                         JF_ERR_OK);
        for (size_t i = 0; i < len; i++)
            assert_int_equal(jf_buf_append(&b, "a", 1), JF_ERR_OK);
        assert_int_equal(jf_buf_appends(&b, "\"}}"), JF_ERR_OK);
        fake_request r;
        make(&r, b.data);
        if (len == JF_JSONBODY_MAX_TEXT) {
            jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
            void *st = expect_accept(&jf_webhook_telegram_adapter, &channel, &r, 1, msgs, NULL);
            assert_int_equal(strlen(msgs[0].text), JF_JSONBODY_MAX_TEXT);
            jf_webhook_telegram_adapter.release(st);
        } else {
            reject(&r, 400,
                   "invalid field message.text: expected a string of 0 to 16384 bytes");
        }
    }
    jf_buf_free(&b);
}

/* ---- replies ------------------------------------------------------------------------ */

static void test_render_ack(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    jf_webhook_reply out;
    make(&r, DOC_UPDATE);
    void *st = expect_accept(&jf_webhook_telegram_adapter, &channel, &r, 1, msgs, NULL);

    jf_webhook_reply_init(&out);
    assert_int_equal(jf_webhook_telegram_adapter.render_ack(
                         &channel, st, "已收到，编号JF-7Q2K。\n\"回复\"\\", &out),
                     JF_ERR_OK);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.content_type, "application/json; charset=utf-8");
    assert_string_equal(out.body.data,
                        "{\"method\":\"sendMessage\",\"chat_id\":1111111,"
                        "\"text\":\"已收到，编号JF-7Q2K。\\n\\\"回复\\\"\\\\\"}");

    /* No text: an empty 200, so Telegram sends nothing. */
    assert_int_equal(jf_webhook_telegram_adapter.render_ack(&channel, st, NULL, &out),
                     JF_ERR_OK);
    assert_int_equal(out.status, 200);
    assert_int_equal(out.body.len, 0);

    /* Control characters are escaped; broken UTF-8 is refused; no state, no chat. */
    assert_int_equal(jf_webhook_telegram_adapter.render_ack(&channel, st, "a\x01", &out),
                     JF_ERR_OK);
    assert_string_equal(
        out.body.data,
        "{\"method\":\"sendMessage\",\"chat_id\":1111111,\"text\":\"a\\u0001\"}");
    assert_int_equal(jf_webhook_telegram_adapter.render_ack(&channel, st, "\xe4\xb8", &out),
                     JF_ERR_INVAL);
    assert_int_equal(out.body.len, 0);
    assert_int_equal(jf_webhook_telegram_adapter.render_ack(&channel, NULL, "x", &out),
                     JF_ERR_INVAL);
    jf_webhook_reply_free(&out);
    jf_webhook_telegram_adapter.release(st);
}

/* ---- sending ------------------------------------------------------------------------ */

static void test_send_request(void **state)
{
    (void)state;
    jf_webhook_http h;
    jf_webhook_http_init(&h);
    assert_int_equal(jf_webhook_telegram_adapter.send_request(
                         &channel, NULL, CHAT_ID, "您反映的问题已答复：\"取消\"", &h),
                     JF_ERR_OK);
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.url.data, "https://api.telegram.org/bot" BOT_TOKEN "/sendMessage");
    assert_string_equal(h.content_type, "application/json; charset=utf-8");
    assert_int_equal(h.nheaders, 0);
    assert_string_equal(h.body.data, "{\"chat_id\":" CHAT_ID
                                     ",\"text\":\"您反映的问题已答复：\\\"取消\\\"\"}");

    /* A local fake provider; a group-style negative id is still a valid chat id. */
    jf_webhook_channel fake = {
        "telegram",
        "default",
        {{"secret", SECRET}, {"bot_token", BOT_TOKEN}, {"api_base", "http://127.0.0.1:18081/"}},
        3};
    assert_int_equal(jf_webhook_telegram_adapter.send_request(&fake, NULL, "-42", "x", &h),
                     JF_ERR_OK);
    assert_string_equal(h.url.data, "http://127.0.0.1:18081/bot" BOT_TOKEN "/sendMessage");
    assert_string_equal(h.body.data, "{\"chat_id\":-42,\"text\":\"x\"}");

    /* Addresses that are not chat ids, text that is not UTF-8. */
    static const char *const bad[] = {"",          "abc", "12 3",
                                      "1,\"x\":1", "--1", "12345678901234567890"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(
            jf_webhook_telegram_adapter.send_request(&channel, NULL, bad[i], "x", &h),
            JF_ERR_INVAL);
    assert_int_equal(jf_webhook_telegram_adapter.send_request(&channel, NULL, NULL, "x", &h),
                     JF_ERR_INVAL);
    assert_int_equal(jf_webhook_telegram_adapter.send_request(&channel, NULL, "1", "\xff", &h),
                     JF_ERR_INVAL);
    assert_int_equal(h.url.len, 0);
    assert_int_equal(h.body.len, 0);

    /* Settings that cannot make a safe URL. */
    jf_webhook_channel notoken = {"telegram", "default", {{"secret", SECRET}}, 1};
    jf_webhook_channel badtoken = {
        "telegram", "default", {{"secret", SECRET}, {"bot_token", "1:a/../x?y"}}, 2};
    jf_webhook_channel badbase = {
        "telegram", "default", {{"bot_token", BOT_TOKEN}, {"api_base", "ftp://x"}}, 2};
    assert_int_equal(jf_webhook_telegram_adapter.send_request(&notoken, NULL, "1", "x", &h),
                     JF_ERR_CONFIG);
    assert_int_equal(jf_webhook_telegram_adapter.send_request(&badtoken, NULL, "1", "x", &h),
                     JF_ERR_CONFIG);
    assert_int_equal(jf_webhook_telegram_adapter.send_request(&badbase, NULL, "1", "x", &h),
                     JF_ERR_CONFIG);
    jf_webhook_http_free(&h);
}

static void test_send_result(void **state)
{
    (void)state;
    jf_send_result res;
#define RESULT(status, hdr, body)                                                              \
    jf_webhook_telegram_adapter.send_result(status, hdr, body, sizeof(body) - 1, &res)

    RESULT(200, NULL, "{\"ok\":true,\"result\":{\"message_id\":12,\"chat\":{\"id\":42}}}");
    assert_int_equal(res.verdict, JF_SEND_OK);
    assert_int_equal(res.error[0], '\0');

    /* Flood control, as Telegram answers it (error_code 429 and parameters.retry_after). */
    RESULT(429, "3",
           "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after "
           "15\",\"parameters\":{\"retry_after\":15}}");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_int_equal(res.retry_after, 15);
    assert_non_null(strstr(res.error, "telegram HTTP 429 code 429: Too Many Requests"));
    RESULT(429, "7", "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests\"}");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_int_equal(res.retry_after, 7);
    RESULT(429, "Wed, 21 Oct 2026 07:28:00 GMT", "");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_int_equal(res.retry_after, 0);

    RESULT(502, NULL, "<html>Bad Gateway</html>");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_non_null(strstr(res.error, "telegram HTTP 502"));
    RESULT(0, NULL, "");
    assert_int_equal(res.verdict, JF_SEND_RETRY);

    RESULT(400, NULL,
           "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    assert_string_equal(res.error, "telegram HTTP 400 code 400: Bad Request: chat not found");
    RESULT(
        403, NULL,
        "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot was blocked by the "
        "user\"}");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    assert_non_null(strstr(res.error, "bot was blocked by the user"));
    RESULT(401, NULL, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    RESULT(200, NULL, "{\"ok\":false,\"error_code\":400,\"description\":\"odd\"}");
    assert_int_equal(res.verdict, JF_SEND_FAIL);

    /* A description that quotes a chat id or number never reaches the visible error. */
    RESULT(400, NULL,
           "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat 5798341122 "
           "not found\\n\"}");
    assert_null(strstr(res.error, "5798341122"));
    assert_null(strchr(res.error, '\n'));
#undef RESULT
}

/* The shared helpers' edges that the adapters' tests do not reach. */
static void test_helpers(void **state)
{
    (void)state;
    assert_int_equal(jf_jsonbody_retry_after("15"), 15);
    assert_int_equal(jf_jsonbody_retry_after(" 15 "), 15);
    assert_int_equal(jf_jsonbody_retry_after("0"), 0);
    assert_int_equal(jf_jsonbody_retry_after("-5"), 0);
    assert_int_equal(jf_jsonbody_retry_after("1.5"), 0);
    assert_int_equal(jf_jsonbody_retry_after("99999999999"), 0);
    assert_int_equal(jf_jsonbody_retry_after("9999999999"), JF_JSONBODY_MAX_RETRY_AFTER);
    assert_int_equal(jf_jsonbody_retry_after(NULL), 0);

    assert_false(jf_jsonbody_content_type_ok(NULL));
    assert_true(jf_jsonbody_content_type_ok(" application/json ;"));

    assert_true(jf_jsonbody_secret_equal("a", "a"));
    assert_false(jf_jsonbody_secret_equal("a", "ab"));
    assert_false(jf_jsonbody_secret_equal("", ""));
    assert_false(jf_jsonbody_secret_equal(NULL, "a"));
    assert_false(jf_jsonbody_secret_equal("a", NULL));

    assert_true(jf_jsonbody_id_ok("a.b_c:d-9"));
    assert_false(jf_jsonbody_id_ok("a/b"));
    assert_false(jf_jsonbody_id_ok(""));
    assert_true(jf_jsonbody_digits_ok("0123", 1, 4));
    assert_false(jf_jsonbody_digits_ok("01234", 1, 4));
    assert_false(jf_jsonbody_digits_ok("", 1, 4));

    jf_buf b;
    jf_buf_init(&b, 64);
    assert_int_equal(jf_jsonbody_append_string(&b, "\"\\/\b\f\n\r\t\x1f\x7f中"), JF_ERR_OK);
    assert_string_equal(b.data, "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u001f\x7f中\"");
    assert_int_equal(jf_jsonbody_append_string(&b, "\xc0\x80"), JF_ERR_INVAL); /* overlong */
    jf_buf_free(&b);

    jf_webhook_channel c = {"x", "default", {{"api_base", "https://a.example/x//"}}, 1};
    size_t n = 0;
    const char *base = jf_jsonbody_api_base(&c, "https://d.example", &n);
    assert_non_null(base);
    assert_int_equal(n, strlen("https://a.example/x"));
    c.settings[0].value = "https://";
    assert_null(jf_jsonbody_api_base(&c, "https://d.example", &n));
    c.settings[0].value = "file:///etc/passwd";
    assert_null(jf_jsonbody_api_base(&c, "https://d.example", &n));
    c.nsettings = 0;
    assert_string_equal(jf_jsonbody_api_base(&c, "https://d.example", &n), "https://d.example");
}

static void test_adapter_row(void **state)
{
    (void)state;
    const jf_webhook_adapter *a = jf_webhook_adapter_find("telegram");
    assert_ptr_equal(a, &jf_webhook_telegram_adapter);
    assert_int_equal(a->methods, JF_WEBHOOK_POST);
    assert_true(a->inline_ack);
    assert_int_equal(a->nsettings, 3);
    assert_string_equal(a->settings[0].env, "JIANFU_TELEGRAM_SECRET");
    assert_int_equal(a->settings[0].flags, JF_SETTING_REQUIRED | JF_SETTING_SECRET);
    assert_string_equal(a->settings[1].env, "JIANFU_TELEGRAM_BOT_TOKEN");
    assert_int_equal(a->settings[1].flags, JF_SETTING_REQUIRED | JF_SETTING_SECRET);
    assert_string_equal(a->settings[2].env, "JIANFU_TELEGRAM_API_BASE");
    assert_int_equal(a->settings[2].flags, 0);
    assert_null(a->token_request);
    assert_non_null(a->send_request);
    assert_non_null(a->send_result);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_update),         cmocka_unit_test(test_private_update),
        cmocka_unit_test(test_captions_and_media), cmocka_unit_test(test_ignored_updates),
        cmocka_unit_test(test_wrong_secret),       cmocka_unit_test(test_transport_rejects),
        cmocka_unit_test(test_malformed),          cmocka_unit_test(test_text_limit),
        cmocka_unit_test(test_render_ack),         cmocka_unit_test(test_send_request),
        cmocka_unit_test(test_send_result),        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_adapter_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
