/* jsonhook_fixture.h - a fake webhook request and reject/accept assertions shared by the
 * unit tests of the JSON adapters (telegram, whatsapp, aliyun, tencent, generic).
 * Include after <cmocka.h>. Everything is static inline so that each test uses what it
 * needs. */
#ifndef JF_TEST_JSONHOOK_FIXTURE_H
#define JF_TEST_JSONHOOK_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webhook/adapter.h"
#include "webhook/inbound.h"

/* The receipt time of every fake request: 2025-11-27T00:00:00Z. */
#define FAKE_NOW 1764201600
#define FAKE_MAX_HEADERS 6

typedef struct {
    jf_webhook_request req;
    const char *names[FAKE_MAX_HEADERS];
    const char *values[FAKE_MAX_HEADERS];
    size_t nheaders;
} fake_request;

/* Header lookup as the gateway does it: names match case-insensitively. */
static inline const char *fake_header(void *ctx, const char *name)
{
    fake_request *r = ctx;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    return NULL;
}

/* fake_set_header - set (or, with a NULL value, remove) a header of r. */
static inline void fake_set_header(fake_request *r, const char *name, const char *value)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->names[i], name) == 0) {
            if (value) {
                r->values[i] = value;
            } else {
                r->names[i] = r->names[r->nheaders - 1];
                r->values[i] = r->values[r->nheaders - 1];
                r->nheaders--;
            }
            return;
        }
    }
    if (value) {
        assert_true(r->nheaders < FAKE_MAX_HEADERS);
        r->names[r->nheaders] = name;
        r->values[r->nheaders++] = value;
    }
}

/* fake_init - a POST of body (NUL-terminated) as application/json to path?query. r must
 * not be copied afterwards: the header lookup points at it. */
static inline void fake_init(fake_request *r, const char *query, const char *body)
{
    memset(r, 0, sizeof *r);
    r->req.method = "POST";
    r->req.url = "https://jianfu.example.gov.cn/webhooks/test";
    r->req.query = query ? query : "";
    r->req.content_type = "application/json";
    r->req.header = fake_header;
    r->req.header_ctx = r;
    r->req.body = body;
    r->req.body_len = body ? strlen(body) : 0;
    r->req.now = FAKE_NOW;
}

/* expect_reject - receive must refuse r with status, a text/plain body containing want,
 * leave no state and no messages, and never echo any of the NULL-terminated forbidden
 * strings (sender numbers, message text, secrets). */
static inline void expect_reject(const jf_webhook_adapter *a, const jf_webhook_channel *ch,
                                 fake_request *r, unsigned status, const char *want,
                                 const char *const *forbidden)
{
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    size_t n = 99;
    void *st = (void *)1;
    jf_webhook_reply rej;

    memset(msgs, 0x5a, sizeof msgs);
    jf_webhook_reply_init(&rej);
    jf_err err = a->receive(ch, &r->req, msgs, JF_WEBHOOK_MAX_BATCH, &n, &st, &rej);
    assert_int_not_equal(err, JF_ERR_OK);
    assert_null(st);
    assert_int_equal(n, 0);
    assert_null(msgs[0].msg_id);
    assert_null(msgs[0].sender);
    assert_null(msgs[0].text);
    if (rej.status != status)
        fail_msg("status %u, want %u (%s)", rej.status, status,
                 rej.body.data ? rej.body.data : "");
    assert_string_equal(rej.content_type, "text/plain; charset=utf-8");
    assert_non_null(rej.body.data);
    if (!strstr(rej.body.data, want))
        fail_msg("reject \"%s\" lacks \"%s\"", rej.body.data, want);
    for (size_t i = 0; forbidden && forbidden[i]; i++) {
        if (strstr(rej.body.data, forbidden[i]))
            fail_msg("reject \"%s\" echoes \"%s\"", rej.body.data, forbidden[i]);
    }
    jf_webhook_reply_free(&rej);
}

/* expect_accept - receive must accept r with want messages into msgs; returns the state
 * (release it with a->release). With want 0, the reply must be a 200 and *reply (if not
 * NULL) receives it, which the caller then frees. */
static inline void *expect_accept(const jf_webhook_adapter *a, const jf_webhook_channel *ch,
                                  fake_request *r, size_t want, jf_inbound *msgs,
                                  jf_webhook_reply *reply)
{
    size_t n = 99;
    void *st = (void *)1;
    jf_webhook_reply rej;

    jf_webhook_reply_init(&rej);
    jf_err err = a->receive(ch, &r->req, msgs, JF_WEBHOOK_MAX_BATCH, &n, &st, &rej);
    if (err)
        fail_msg("receive failed: %s: %u %s", jf_errname(err), rej.status,
                 rej.body.data ? rej.body.data : "");
    assert_int_equal(n, want);
    if (want == 0) {
        assert_null(st);
        assert_int_equal(rej.status, 200);
    } else {
        assert_non_null(st);
        assert_int_equal(rej.status, 0);
    }
    if (reply)
        *reply = rej;
    else
        jf_webhook_reply_free(&rej);
    return st;
}

/* oversize_body - a heap body of JF_WEBHOOK_MAX_BODY + 1 bytes of valid JSON; free it. */
static inline char *oversize_body(void)
{
    size_t n = JF_WEBHOOK_MAX_BODY + 1;
    char *b = malloc(n + 1);
    assert_non_null(b);
    memset(b, ' ', n);
    b[0] = '{';
    b[n - 1] = '}';
    b[n] = '\0';
    return b;
}

/* Content types every JSON adapter refuses with 415, and ones it takes. */
static const char *const bad_content_types[] = {
    "application/x-www-form-urlencoded",
    "text/plain",
    "text/json",
    "application/jsonx",
    "application/json; charset=gbk",
    "application/json; charset=",
    "application/json; charset",
    "application/json; charset=utf-8; charset=latin1",
    "multipart/form-data; boundary=x",
    "",
    NULL,
};
#define N_BAD_CONTENT_TYPES (sizeof bad_content_types / sizeof bad_content_types[0])
static const char *const good_content_types[] = {
    "application/json",
    "Application/JSON",
    "application/json;charset=UTF-8",
    "application/json ; charset=\"utf-8\"",
    "application/json; charset=utf8; foo=bar",
};
#define N_GOOD_CONTENT_TYPES (sizeof good_content_types / sizeof good_content_types[0])

#endif
