/* test_webhook_kannel.c - the Kannel adapter: get-url and post-url requests as smsbox
 * makes them, the key, the text in every coding smsbox hands over, the UCS-2 reply, and
 * sendsms requests and answers.
 *
 * The request shapes are Kannel 1.4.5's (Debian 12's kannel package), as smsbox's
 * obey_request builds them and as seen on the wire from a real smsbox: get-url escape
 * codes %I (a UUID), %p, %P, %b (the message bytes, URL-encoded with ' ' as '+'), %c, %C,
 * %t ("2026-11-26+23:15:32"); post-url with the text as the body, Content-Type
 * text/plain; charset="UTF-16BE" for UCS-2 (charset="UTF-8" after mo-recode), and
 * X-Kannel-From (with send-sender), X-Kannel-To, X-Kannel-Time, X-Kannel-Coding. */
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
#include "webhook/kannel.h"

#define KEY "k4nnel-shared-secret-for-tests"
#define KANNEL_ID "6acc1a94-6eb9-4fed-9bc5-976df771756f"
#define FROM "13800138000"
#define SHORT_CODE "10690000"
#define TEXT "这个月开了23个会，还要天天填表"
#define TEXT_ENC                                                                               \
    "%E8%BF%99%E4%B8%AA%E6%9C%88%E5%BC%80%E4%BA%8623%E4%B8%AA%E4%BC%9A%EF%BC%8C%E8%BF%98%E8"   \
    "%A6%81%E5%A4%A9%E5%A4%A9%E5%A1%AB%E8%A1%A8"
/* TEXT in UTF-16BE (computed with Python's str.encode('utf-16-be')): what smsbox hands
 * over for a UCS-2 message without mo-recode. It holds NUL bytes ("23" is 00 32 00 33). */
#define TEXT_UTF16_HEX "8fd94e2a67085f004e86003200334e2a4f1aff0c8fd8898159295929586b8868"
/* "会议太多" in GBK / GB18030 (Python's str.encode('gbk')), as a CMPP link may deliver. */
#define GBK_HEX "bbe1d2e9ccabb6e0"
#define GBK_TEXT "会议太多"
/* "填表" and U+1F600 in UTF-16BE: a surrogate pair. */
#define EMOJI_UTF16_HEX "586b8868d83dde00"
#define EMOJI_TEXT "填表\xF0\x9F\x98\x80"

static const jf_webhook_channel channel = {
    "kannel",
    "default",
    {{"key", KEY},
     {"sendsms_url", "http://127.0.0.1:13013/cgi-bin/sendsms?username=jianfu&password=pw"}},
    2,
};

/* ---- helpers ----------------------------------------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* Every byte %-encoded, as smsbox's octstr_url_encode does for non-alphanumerics. */
static void pct(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 3 * i, "%%%02X", p[i]);
    out[3 * n] = '\0';
}

/* A request under construction, with up to four headers. */
typedef struct {
    jf_webhook_request req;
    const char *hname[4];
    const char *hval[4];
    size_t nh;
} fake_request;

static const char *fake_header(void *ctx, const char *name)
{
    fake_request *r = ctx;
    for (size_t i = 0; i < r->nh; i++)
        if (strcasecmp(r->hname[i], name) == 0)
            return r->hval[i];
    return NULL;
}

static void add_header(fake_request *r, const char *name, const char *value)
{
    assert_true(r->nh < 4);
    r->hname[r->nh] = name;
    r->hval[r->nh] = value;
    r->nh++;
}

static void make_get(fake_request *r, const char *query)
{
    memset(r, 0, sizeof *r);
    r->req.method = "GET";
    r->req.url = "http://127.0.0.1:8080/webhooks/kannel";
    r->req.query = query;
    r->req.header = fake_header;
    r->req.header_ctx = r;
    r->req.body = "";
    r->req.body_len = 0;
}

static void make_post(fake_request *r, const char *query, const char *content_type,
                      const char *body, size_t len)
{
    make_get(r, query);
    r->req.method = "POST";
    r->req.content_type = content_type;
    r->req.body = body;
    r->req.body_len = len;
}

/* Run receive and expect success: the message is returned in *msg, the state in *st. */
static void expect_ok(fake_request *r, jf_inbound *msg, void **st)
{
    size_t n = 0;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    jf_err err = jf_webhook_kannel_adapter.receive(&channel, &r->req, msg, 1, &n, st, &rej);
    if (err)
        fail_msg("receive: %s: %u %s", jf_errname(err), rej.status,
                 rej.body.data ? rej.body.data : "");
    assert_int_equal(n, 1);
    assert_non_null(*st);
    jf_webhook_reply_free(&rej);
}

/* Run receive on r with ch and expect a reject of this status whose message contains
 * want; no reject ever echoes the sender's number, the message text or the key. */
static void expect_reject_ch(const jf_webhook_channel *ch, fake_request *r, unsigned status,
                             const char *want)
{
    jf_inbound msg;
    size_t n = 7;
    void *st = (void *)1;
    jf_webhook_reply rej;
    jf_webhook_reply_init(&rej);
    jf_err err = jf_webhook_kannel_adapter.receive(ch, &r->req, &msg, 1, &n, &st, &rej);
    assert_int_not_equal(err, JF_ERR_OK);
    assert_null(st);
    assert_int_equal(n, 0);
    assert_null(msg.text);
    assert_null(msg.sender);
    if (rej.status != status)
        fail_msg("status %u, want %u (%s)", rej.status, status,
                 rej.body.data ? rej.body.data : "");
    assert_non_null(rej.body.data);
    if (!strstr(rej.body.data, want))
        fail_msg("reject \"%s\" lacks \"%s\"", rej.body.data, want);
    assert_string_equal(rej.content_type, "text/plain; charset=utf-8");
    static const char *const secrets[] = {FROM,     "3800138", "13900139000", "天天",    "会",
                                          "23个会", KEY,       "wrong-key",   KANNEL_ID, "%E8"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (strstr(rej.body.data, secrets[i]))
            fail_msg("reject \"%s\" echoes \"%s\"", rej.body.data, secrets[i]);
    jf_webhook_reply_free(&rej);
}

static void expect_reject(fake_request *r, unsigned status, const char *want)
{
    expect_reject_ch(&channel, r, status, want);
}

#define GOOD_Q                                                                                 \
    "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&to=" SHORT_CODE "&text=" TEXT_ENC              \
    "&coding=0&charset=UTF-8&ts=2026-11-26+23:15:32"

/* ---- get-url ----------------------------------------------------------------------- */

static void test_get_ok(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    void *st = NULL;

    make_get(&r, GOOD_Q);
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.msg_id, KANNEL_ID);
    assert_string_equal(msg.sender, FROM);
    assert_string_equal(msg.recipient, SHORT_CODE);
    assert_string_equal(msg.text, TEXT);
    jf_webhook_kannel_adapter.release(st);

    /* Without coding, charset, ts and to, as the minimal get-url sends it; '+' is a space
     * and %2B a plus, as smsbox's %b encodes them. */
    make_get(&r, "id=" KANNEL_ID "&key=" KEY "&from=%2B8613800138000&text=a+b%2Bc");
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.sender, "+8613800138000");
    assert_null(msg.recipient);
    assert_string_equal(msg.text, "a b+c");
    jf_webhook_kannel_adapter.release(st);

    /* An empty text is a message (the gateway asks the reporter to write something). */
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=");
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, "");
    jf_webhook_kannel_adapter.release(st);

    /* Empty pairs are skipped; unknown parameters are ignored. */
    make_get(&r, "&&key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=x&smsc=cmpp1&");
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, "x");
    jf_webhook_kannel_adapter.release(st);
}

static void test_get_ucs2(void **state)
{
    (void)state;
    uint8_t bytes[256];
    char enc[800], q[1200];
    fake_request r;
    jf_inbound msg;
    void *st = NULL;

    /* UCS-2 without mo-recode: %b carries UTF-16BE, NUL bytes and all. */
    size_t n = unhex(TEXT_UTF16_HEX, bytes);
    pct(bytes, n, enc);
    snprintf(q, sizeof q, "key=%s&id=%s&from=%s&to=%s&text=%s&coding=2&charset=UTF-16BE", KEY,
             KANNEL_ID, FROM, SHORT_CODE, enc);
    make_get(&r, q);
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, TEXT);
    jf_webhook_kannel_adapter.release(st);

    /* coding=2 alone means UTF-16BE too. */
    snprintf(q, sizeof q, "key=%s&id=%s&from=%s&text=%s&coding=2", KEY, KANNEL_ID, FROM, enc);
    make_get(&r, q);
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, TEXT);
    jf_webhook_kannel_adapter.release(st);

    /* A surrogate pair becomes one four-byte character. */
    n = unhex(EMOJI_UTF16_HEX, bytes);
    pct(bytes, n, enc);
    snprintf(q, sizeof q, "key=%s&id=%s&from=%s&text=%s&coding=2&charset=%%22UCS-2%%22", KEY,
             KANNEL_ID, FROM, enc);
    make_get(&r, q);
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, EMOJI_TEXT);
    jf_webhook_kannel_adapter.release(st);

    /* GBK from a CMPP link. */
    n = unhex(GBK_HEX, bytes);
    pct(bytes, n, enc);
    snprintf(q, sizeof q, "key=%s&id=%s&from=%s&text=%s&coding=0&charset=gbk", KEY, KANNEL_ID,
             FROM, enc);
    make_get(&r, q);
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, GBK_TEXT);
    jf_webhook_kannel_adapter.release(st);

    /* Broken UTF-16: odd length, a lone surrogate. */
    snprintf(q, sizeof q, "key=%s&id=%s&from=%s&text=%%8F%%D9%%4E&coding=2", KEY, KANNEL_ID,
             FROM);
    make_get(&r, q);
    expect_reject(&r, 400, "not valid in its charset");
    snprintf(q, sizeof q, "key=%s&id=%s&from=%s&text=%%D8%%3D%%00%%41&coding=2", KEY, KANNEL_ID,
             FROM);
    make_get(&r, q);
    expect_reject(&r, 400, "not valid in its charset");
}

static void test_get_key(void **state)
{
    (void)state;
    fake_request r;

    make_get(&r, "id=" KANNEL_ID "&from=" FROM "&text=" TEXT_ENC);
    expect_reject(&r, 403, "key");
    make_get(&r, "key=wrong-key&id=" KANNEL_ID "&from=" FROM "&text=" TEXT_ENC);
    expect_reject(&r, 403, "key");
    make_get(&r, "key=&id=" KANNEL_ID "&from=" FROM "&text=" TEXT_ENC);
    expect_reject(&r, 403, "key");
    /* A prefix or an extension of the key is wrong too. */
    make_get(&r, "key=k4nnel&id=" KANNEL_ID "&from=" FROM "&text=" TEXT_ENC);
    expect_reject(&r, 403, "key");
    make_get(&r, "key=" KEY "x&id=" KANNEL_ID "&from=" FROM "&text=" TEXT_ENC);
    expect_reject(&r, 403, "key");
    /* Twice, even with the right one first. */
    make_get(&r, "key=" KEY "&key=wrong-key&id=" KANNEL_ID "&from=" FROM "&text=x");
    expect_reject(&r, 403, "key");
    /* The key is checked before anything else is required: without it a caller cannot
     * learn which parameters are missing. */
    make_get(&r, "key=wrong-key");
    expect_reject(&r, 403, "key");
    make_get(&r, "");
    expect_reject(&r, 403, "key");

    /* A channel without a key accepts nothing. */
    const jf_webhook_channel nokey = {"kannel", "default", {{"key", ""}}, 1};
    make_get(&r, GOOD_Q);
    expect_reject_ch(&nokey, &r, 500, "no key configured");
}

static void test_get_missing_and_malformed(void **state)
{
    (void)state;
    fake_request r;
    char q[512];

    make_get(&r, "key=" KEY "&from=" FROM "&text=" TEXT_ENC);
    expect_reject(&r, 400, "missing required parameter id");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&text=" TEXT_ENC);
    expect_reject(&r, 400, "missing required parameter from");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM);
    expect_reject(&r, 400, "missing required parameter text");
    make_get(&r, "key=" KEY "&id=&from=" FROM "&text=" TEXT_ENC);
    expect_reject(&r, 400, "invalid id");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=&text=" TEXT_ENC);
    expect_reject(&r, 400, "invalid from");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=138+0013+8000&text=" TEXT_ENC);
    expect_reject(&r, 400, "invalid from");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&to=%0A&text=" TEXT_ENC);
    expect_reject(&r, 400, "invalid to");

    /* The id is an idempotency key: only its own alphabet, bounded. */
    make_get(&r, "key=" KEY "&id=abc%27%3B--&from=" FROM "&text=" TEXT_ENC);
    expect_reject(&r, 400, "invalid id");
    char longid[JF_WEBHOOK_MAX_MSG_ID + 2];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    snprintf(q, sizeof q, "key=%s&id=%s&from=%s&text=x", KEY, longid, FROM);
    make_get(&r, q);
    expect_reject(&r, 400, "invalid id");
    longid[JF_WEBHOOK_MAX_MSG_ID] = '\0';
    snprintf(q, sizeof q, "key=%s&id=%s&from=%s&text=x", KEY, longid, FROM);
    make_get(&r, q);
    jf_inbound msg;
    void *st = NULL;
    expect_ok(&r, &msg, &st);
    assert_int_equal(strlen(msg.msg_id), JF_WEBHOOK_MAX_MSG_ID);
    jf_webhook_kannel_adapter.release(st);

    /* Duplicates of what is read are ambiguous. */
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&from=13900139000&text=x");
    expect_reject(&r, 400, "more than once: from");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&id=2&from=" FROM "&text=x");
    expect_reject(&r, 400, "more than once: id");

    /* Broken escapes and names. */
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=%E8%BF%9");
    expect_reject(&r, 400, "percent-escape");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=%G0");
    expect_reject(&r, 400, "percent-escape");
    make_get(&r, "key=" KEY "&=x&from=" FROM);
    expect_reject(&r, 400, "parameter name");
    make_get(&r, "key=" KEY "&a%00b=1&from=" FROM);
    expect_reject(&r, 400, "parameter name");

    /* Too many parameters. */
    char many[1024] = "key=" KEY;
    for (int i = 0; i < JF_KANNEL_MAX_PARAMS; i++) {
        char p[16];
        snprintf(p, sizeof p, "&p%d=1", i);
        strcat(many, p);
    }
    make_get(&r, many);
    expect_reject(&r, 413, "too many");

    /* Text that is not what its charset says, or not text at all. */
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=%E8%BF");
    expect_reject(&r, 400, "not valid in its charset");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=a%00b");
    expect_reject(&r, 400, "not valid in its charset");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=x&charset=KOI8-R");
    expect_reject(&r, 415, "unsupported charset");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=x&coding=1&charset=8-BIT");
    expect_reject(&r, 415, "8-bit");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=x&coding=7");
    expect_reject(&r, 400, "invalid coding");
    make_get(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM "&text=x&coding=22");
    expect_reject(&r, 400, "invalid coding");
}

static void test_method_and_size(void **state)
{
    (void)state;
    fake_request r;

    make_get(&r, GOOD_Q);
    r.req.method = "PUT";
    expect_reject(&r, 405, "GET (get-url) or POST (post-url)");

    char *big = malloc(JF_WEBHOOK_MAX_BODY + 2);
    assert_non_null(big);
    memset(big, 'a', JF_WEBHOOK_MAX_BODY + 1);
    big[JF_WEBHOOK_MAX_BODY + 1] = '\0';
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain", big, JF_WEBHOOK_MAX_BODY + 1);
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 413, "too large");

    /* The largest body is fine as UTF-8, but as UTF-16BE it would grow past the limit
     * once decoded: refused rather than cut. */
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain; charset=UTF-8", big,
              JF_WEBHOOK_MAX_BODY);
    add_header(&r, "X-Kannel-From", FROM);
    jf_inbound msg;
    void *st = NULL;
    expect_ok(&r, &msg, &st);
    assert_int_equal(strlen(msg.text), JF_WEBHOOK_MAX_BODY);
    jf_webhook_kannel_adapter.release(st);
    for (size_t i = 0; i + 1 < JF_WEBHOOK_MAX_BODY; i += 2) {
        big[i] = (char)0x4f; /* U+4F1A 会: three bytes of UTF-8 for two of UTF-16 */
        big[i + 1] = (char)0x1a;
    }
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain; charset=\"UTF-16BE\"", big,
              JF_WEBHOOK_MAX_BODY);
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 413, "too long");
    free(big);
}

/* ---- post-url ---------------------------------------------------------------------- */

static void test_post_ok(void **state)
{
    (void)state;
    fake_request r;
    jf_inbound msg;
    void *st = NULL;

    /* After mo-recode: UTF-8, and smsbox quotes the charset. */
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain; charset=\"UTF-8\"", TEXT,
              strlen(TEXT));
    add_header(&r, "X-Kannel-From", FROM);
    add_header(&r, "X-Kannel-To", SHORT_CODE);
    add_header(&r, "X-Kannel-Time", "2026-11-26 23:15:32");
    add_header(&r, "X-Kannel-Coding", "0");
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.msg_id, KANNEL_ID);
    assert_string_equal(msg.sender, FROM);
    assert_string_equal(msg.recipient, SHORT_CODE);
    assert_string_equal(msg.text, TEXT);
    jf_webhook_kannel_adapter.release(st);

    /* A UCS-2 message without mo-recode: UTF-16BE body with NUL bytes. */
    uint8_t bytes[64];
    size_t n = unhex(TEXT_UTF16_HEX, bytes);
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain; charset=\"UTF-16BE\"",
              (const char *)bytes, n);
    add_header(&r, "X-Kannel-From", FROM);
    add_header(&r, "X-Kannel-To", SHORT_CODE);
    add_header(&r, "X-Kannel-Coding", "2");
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, TEXT);
    jf_webhook_kannel_adapter.release(st);

    /* 7-bit without a charset (smsbox's internal UTF-8); from in the query as fallback. */
    make_post(&r, "key=" KEY "&id=" KANNEL_ID "&from=" FROM, "Text/Plain", "hello", 5);
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, "hello");
    assert_string_equal(msg.sender, FROM);
    assert_null(msg.recipient);
    jf_webhook_kannel_adapter.release(st);

    /* The body is the text even if the query also names one. */
    make_post(&r, "key=" KEY "&id=" KANNEL_ID "&text=other", "text/plain", "body", 4);
    add_header(&r, "X-Kannel-From", FROM);
    expect_ok(&r, &msg, &st);
    assert_string_equal(msg.text, "body");
    jf_webhook_kannel_adapter.release(st);
}

static void test_post_rejects(void **state)
{
    (void)state;
    fake_request r;

    /* Without send-sender = true smsbox sends no X-Kannel-From. */
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain", TEXT, strlen(TEXT));
    add_header(&r, "X-Kannel-To", SHORT_CODE);
    expect_reject(&r, 400, "send-sender = true");

    make_post(&r, "key=wrong-key&id=" KANNEL_ID, "text/plain", TEXT, strlen(TEXT));
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 403, "key");
    make_post(&r, "key=" KEY, "text/plain", TEXT, strlen(TEXT));
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 400, "missing required parameter id");

    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "application/octet-stream", "\x01\x02", 2);
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 415, "8-bit");
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "application/json", "{}", 2);
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 415, "text/plain");
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, NULL, "x", 1);
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 415, "text/plain");
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain; charset=EBCDIC-US", "x", 1);
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 415, "unsupported charset");
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain", TEXT, strlen(TEXT));
    add_header(&r, "X-Kannel-From", FROM);
    add_header(&r, "X-Kannel-Coding", "1");
    expect_reject(&r, 415, "8-bit");
    make_post(&r, "key=" KEY "&id=" KANNEL_ID, "text/plain", "\xE8\xBF", 2);
    add_header(&r, "X-Kannel-From", FROM);
    expect_reject(&r, 400, "not valid in its charset");
}

/* ---- text decoding ----------------------------------------------------------------- */

static void test_decode_text(void **state)
{
    (void)state;
    jf_buf out;
    uint8_t bytes[64];

    jf_buf_init(&out, 1024);
    size_t n = unhex(TEXT_UTF16_HEX, bytes);
    assert_int_equal(jf_webhook_kannel_decode_text(2, NULL, (const char *)bytes, n, &out),
                     JF_ERR_OK);
    assert_string_equal(out.data, TEXT);
    /* The charset decides over the coding; a byte order mark is dropped. */
    jf_buf_reset(&out);
    uint8_t bom[66] = {0xFE, 0xFF};
    memcpy(bom + 2, bytes, n);
    assert_int_equal(
        jf_webhook_kannel_decode_text(-1, "utf-16be", (const char *)bom, n + 2, &out),
        JF_ERR_OK);
    assert_string_equal(out.data, TEXT);
    jf_buf_reset(&out);
    assert_int_equal(jf_webhook_kannel_decode_text(2, "UTF-8", TEXT, strlen(TEXT), &out),
                     JF_ERR_OK);
    assert_string_equal(out.data, TEXT);
    jf_buf_reset(&out);
    assert_int_equal(jf_webhook_kannel_decode_text(0, "WINDOWS-1252", "caf\xe9 \x80", 6, &out),
                     JF_ERR_OK);
    assert_string_equal(out.data, "caf\xc3\xa9 \xe2\x82\xac");
    jf_buf_reset(&out);
    n = unhex(GBK_HEX, bytes);
    assert_int_equal(jf_webhook_kannel_decode_text(0, "GB18030", (const char *)bytes, n, &out),
                     JF_ERR_OK);
    assert_string_equal(out.data, GBK_TEXT);

    /* Failures leave out as it was. */
    jf_buf_reset(&out);
    assert_int_equal(jf_buf_appends(&out, "keep"), JF_ERR_OK);
    assert_int_equal(jf_webhook_kannel_decode_text(0, "GBK", "\xbb", 1, &out), JF_ERR_PARSE);
    assert_int_equal(jf_webhook_kannel_decode_text(2, NULL, "\x00\x00", 2, &out), JF_ERR_PARSE);
    assert_int_equal(jf_webhook_kannel_decode_text(2, NULL, "\xdc\x00\x00\x41", 4, &out),
                     JF_ERR_PARSE);
    assert_int_equal(jf_webhook_kannel_decode_text(1, NULL, "x", 1, &out), JF_ERR_NOTFOUND);
    assert_int_equal(jf_webhook_kannel_decode_text(0, "x-unknown", "x", 1, &out),
                     JF_ERR_NOTFOUND);
    assert_int_equal(jf_webhook_kannel_decode_text(0, NULL, NULL, 1, &out), JF_ERR_INVAL);
    assert_string_equal(out.data, "keep");
    assert_int_equal(out.len, 4);
    jf_buf_free(&out);

    /* Bounded by the output's maximum. */
    jf_buf_init(&out, 8);
    assert_int_equal(jf_webhook_kannel_decode_text(0, NULL, TEXT, strlen(TEXT), &out),
                     JF_ERR_TOOBIG);
    jf_buf_free(&out);
}

/* ---- the reply --------------------------------------------------------------------- */

/* The text in the <ud> of a reply, URL-decoded, into out. */
static void reply_text(const char *xml, char *out, size_t outsz)
{
    const char *ud = strstr(xml, "<ud>");
    const char *end = strstr(xml, "</ud>");
    assert_non_null(ud);
    assert_non_null(end);
    size_t o = 0;
    for (const char *p = ud + 4; p < end; p += 3) {
        unsigned v;
        /* Every byte is escaped: nothing could be read as hex by smsbox. */
        assert_int_equal(*p, '%');
        assert_int_equal(sscanf(p + 1, "%2x", &v), 1);
        assert_true(o + 1 < outsz);
        out[o++] = (char)v;
    }
    out[o] = '\0';
}

static void test_render_ack(void **state)
{
    (void)state;
    jf_webhook_reply rep;
    char text[512];

    jf_webhook_reply_init(&rep);
    const char *ack = "减负直通车已收到您的反映，编号ABCD2345EF。<&>\"'";
    assert_int_equal(jf_webhook_kannel_adapter.render_ack(&channel, NULL, ack, &rep),
                     JF_ERR_OK);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.content_type, "text/xml; charset=utf-8");
    assert_non_null(strstr(rep.body.data, "encoding=\"UTF-8\""));
    /* UCS-2, so that the Chinese survives the SMSC link. */
    assert_non_null(strstr(rep.body.data, "<dcs><coding>2</coding></dcs>"));
    assert_non_null(strstr(rep.body.data, "<message><submit><ud>%"));
    reply_text(rep.body.data, text, sizeof text);
    assert_string_equal(text, ack);
    /* Nothing of the text appears unescaped, not even the ASCII letters. */
    assert_null(strstr(rep.body.data, "ABCD"));

    /* No text: an empty plain body, which smsbox drops (omit-empty = true). */
    assert_int_equal(jf_webhook_kannel_adapter.render_ack(&channel, NULL, NULL, &rep),
                     JF_ERR_OK);
    assert_int_equal(rep.status, 200);
    assert_int_equal(rep.body.len, 0);

    /* Not UTF-8: refused. */
    assert_int_equal(jf_webhook_kannel_render_reply("\xff", &rep.body), JF_ERR_INVAL);
    assert_int_equal(rep.body.len, 0);
    jf_webhook_reply_free(&rep);

    /* Bounded. */
    jf_buf small;
    jf_buf_init(&small, 100);
    assert_int_equal(jf_webhook_kannel_render_reply(ack, &small), JF_ERR_TOOBIG);
    assert_int_equal(small.len, 0);
    jf_buf_free(&small);
}

/* ---- sending ----------------------------------------------------------------------- */

static void test_send_request(void **state)
{
    (void)state;
    jf_webhook_http h;
    const jf_webhook_adapter *a = &jf_webhook_kannel_adapter;

    jf_webhook_http_init(&h);
    assert_int_equal(
        a->send_request(&channel, NULL, "+8613800138000", "答复：会议 已精简&a=b+c", &h),
        JF_ERR_OK);
    assert_string_equal(h.method, "GET");
    assert_null(h.content_type);
    assert_int_equal(h.body.len, 0);
    assert_string_equal(
        h.url.data, "http://127.0.0.1:13013/cgi-bin/sendsms?username=jianfu&password=pw"
                    "&to=%2B8613800138000"
                    "&text=%E7%AD%94%E5%A4%8D%EF%BC%9A%E4%BC%9A%E8%AE%AE%20%E5%B7%B2%E7%B2%BE"
                    "%E7%AE%80%26a%3Db%2Bc"
                    "&charset=UTF-8&coding=2");
    jf_webhook_http_free(&h);

    /* api_base replaces the origin and keeps the path and credentials; a base without a
     * query gets one. */
    const jf_webhook_channel other = {
        "kannel",
        "default",
        {{"key", KEY},
         {"sendsms_url", "http://kannel.internal:13013/cgi-bin/sendsms?user=u&pass=p&"},
         {"api_base", "http://127.0.0.1:5555/"}},
        3,
    };
    jf_webhook_http_init(&h);
    assert_int_equal(a->send_request(&other, NULL, "13800138000", "hi", &h), JF_ERR_OK);
    assert_string_equal(h.url.data, "http://127.0.0.1:5555/cgi-bin/sendsms?user=u&pass=p&"
                                    "to=13800138000&text=hi&charset=UTF-8&coding=2");
    jf_webhook_http_free(&h);
    const jf_webhook_channel noquery = {
        "kannel", "default", {{"key", KEY}, {"sendsms_url", "http://h:1/sendsms"}}, 2};
    jf_webhook_http_init(&h);
    assert_int_equal(a->send_request(&noquery, NULL, "13800138000", "hi", &h), JF_ERR_OK);
    assert_string_equal(h.url.data, "http://h:1/sendsms?to=13800138000&text=hi&charset=UTF-8"
                                    "&coding=2");
    jf_webhook_http_free(&h);

    /* Refusals: no sendsms URL, an address smsbox would split or reject, no text. */
    const jf_webhook_channel inbound_only = {"kannel", "default", {{"key", KEY}}, 1};
    jf_webhook_http_init(&h);
    assert_int_equal(a->send_request(&inbound_only, NULL, "13800138000", "hi", &h),
                     JF_ERR_CONFIG);
    assert_int_equal(a->send_request(&channel, NULL, "138 0013 8000", "hi", &h), JF_ERR_INVAL);
    assert_int_equal(a->send_request(&channel, NULL, "13800138000 13900139000", "hi", &h),
                     JF_ERR_INVAL);
    assert_int_equal(a->send_request(&channel, NULL, "tel:138", "hi", &h), JF_ERR_INVAL);
    assert_int_equal(a->send_request(&channel, NULL, "13800138000", "", &h), JF_ERR_INVAL);
    assert_int_equal(a->send_request(&channel, NULL, "13800138000", "\xff", &h), JF_ERR_INVAL);
    assert_int_equal(h.url.len, 0);

    /* Bounded by JF_WEBHOOK_HTTP_MAX_URL: nine bytes of URL per Chinese character. */
    size_t big = JF_WEBHOOK_HTTP_MAX_URL / 9 + 10;
    char *text = malloc(3 * big + 1);
    assert_non_null(text);
    for (size_t i = 0; i < big; i++)
        memcpy(text + 3 * i, "会", 3);
    text[3 * big] = '\0';
    assert_int_equal(a->send_request(&channel, NULL, "13800138000", text, &h), JF_ERR_TOOBIG);
    assert_int_equal(h.url.len, 0);
    free(text);
    jf_webhook_http_free(&h);
}

static void test_send_result(void **state)
{
    (void)state;
    jf_send_result res;
    const jf_webhook_adapter *a = &jf_webhook_kannel_adapter;

#define ANSWER(status, ra, body) a->send_result(status, ra, body, strlen(body), &res)
    ANSWER(202, NULL, "0: Accepted for delivery");
    assert_int_equal(res.verdict, JF_SEND_OK);
    ANSWER(202, NULL, "3: Queued for later delivery");
    assert_int_equal(res.verdict, JF_SEND_OK);
    ANSWER(200, NULL, "Sent.");
    assert_int_equal(res.verdict, JF_SEND_OK);

    ANSWER(503, "30", "Temporal failure, try again later.");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_int_equal(res.retry_after, 30);
    assert_non_null(strstr(res.error, "503"));
    assert_non_null(strstr(res.error, "Temporal failure"));
    ANSWER(500, NULL, "");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_int_equal(res.retry_after, 0);
    ANSWER(429, "Wed, 21 Oct 2026 07:28:00 GMT", "slow down");
    assert_int_equal(res.verdict, JF_SEND_RETRY);
    assert_int_equal(res.retry_after, 0);
    a->send_result(0, NULL, NULL, 0, &res);
    assert_int_equal(res.verdict, JF_SEND_RETRY);

    ANSWER(403, NULL, "Not routable. Do not try again.");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    assert_non_null(strstr(res.error, "Not routable"));
    ANSWER(403, NULL, "Authorization failed for sendsms");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    ANSWER(400, NULL, "Number(s) 13800138000 rejected\nsecond line 13900139000");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
    /* Never an address: digit runs are masked, and only the first line is kept. */
    assert_null(strstr(res.error, "13800138000"));
    assert_null(strstr(res.error, "3800"));
    assert_null(strstr(res.error, "second line"));
    assert_non_null(strstr(res.error, "rejected"));
    ANSWER(302, NULL, "");
    assert_int_equal(res.verdict, JF_SEND_FAIL);
#undef ANSWER
}

static void test_adapter_row(void **state)
{
    (void)state;
    const jf_webhook_adapter *a = jf_webhook_adapter_find("kannel");
    assert_ptr_equal(a, &jf_webhook_kannel_adapter);
    assert_int_equal(a->methods, JF_WEBHOOK_GET | JF_WEBHOOK_POST);
    assert_true(a->inline_ack);
    assert_non_null(a->send_request);
    assert_non_null(a->send_result);
    assert_null(a->token_request);
    static const struct {
        const char *key, *env;
        unsigned flags;
    } want[] = {
        {"key", "JIANFU_KANNEL_KEY", JF_SETTING_REQUIRED | JF_SETTING_SECRET},
        {"sendsms_url", "JIANFU_KANNEL_SENDSMS_URL", JF_SETTING_SECRET},
        {"api_base", "JIANFU_KANNEL_API_BASE", 0},
    };
    assert_int_equal(a->nsettings, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < a->nsettings; i++) {
        assert_string_equal(a->settings[i].key, want[i].key);
        assert_string_equal(a->settings[i].env, want[i].env);
        assert_int_equal(a->settings[i].flags, want[i].flags);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_ok),
        cmocka_unit_test(test_get_ucs2),
        cmocka_unit_test(test_get_key),
        cmocka_unit_test(test_get_missing_and_malformed),
        cmocka_unit_test(test_method_and_size),
        cmocka_unit_test(test_post_ok),
        cmocka_unit_test(test_post_rejects),
        cmocka_unit_test(test_decode_text),
        cmocka_unit_test(test_render_ack),
        cmocka_unit_test(test_send_request),
        cmocka_unit_test(test_send_result),
        cmocka_unit_test(test_adapter_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
