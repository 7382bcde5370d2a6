/* test_intake.c - an anonymous SMS complaint from a cadre's phone, end to end: a signed
 * Twilio webhook into a running `jianfu serve`, through to PostgreSQL and back out through
 * `jianfu overdue`.
 *
 * What it proves:
 *   - intake: a correctly signed SMS is answered 200 with TwiML carrying a ten-symbol ticket
 *     code and the answer deadline, only after exactly one complaint is stored: status
 *     'triage', text redacted (the phone number and the checksum-valid resident ID become
 *     [手机号] and [身份证号], the rest such as "23个会" is kept), a 32-byte reporter key
 *     under the key file's pseudonym key id, the sender sealed under the active seal key,
 *     the provider message id, a 'received' event, and the three deadlines that
 *     `jianfu due --working-days 1/5/15` computes from the time of receipt;
 *   - idempotency: a redelivery of the same MessageSid, and 20 concurrent deliveries of one
 *     new MessageSid, each get 200 with the same ticket and leave exactly one complaint;
 *   - pseudonyms: one sender (however the number is written) always gets the same
 *     reporter key, a different sender a different one;
 *   - refusals: a wrong, tampered or missing signature is 403 and stores nothing; missing
 *     Body or MessageSid with a valid signature is 400; JSON is 415; GET is 405; a body
 *     over 64 KiB is 413 whether announced by Content-Length or sent chunked; an unknown
 *     webhook kind is 404; /healthz and /readyz (JSON, "ready") answer 200;
 *   - anonymity: no response and no line of the server's log carries the sender's number
 *     (in any notation), the numbers or words of the message, the client's IP address or
 *     user agent; the only mention of 127.0.0.1 in the log is the server announcing its
 *     own listen address; a pg_dump of the whole database holds none of the phone numbers
 *     or the resident ID, neither as text nor as the hex of a bytea;
 *   - `jianfu overdue` lists the complaint's three missed deadlines (JSON and CSV) with
 *     working days overdue, lists nothing before any deadline, and never prints a
 *     reporter key or sealed address;
 *   - `jianfu serve` shuts down on SIGTERM with exit status 0 (so also without an
 *     AddressSanitizer leak report).
 * The client binds to 127.43.21.9 rather than 127.0.0.1 so that its address is
 * distinguishable from the server's own in the log. Needs ./tests/run.
 */
#include "harness.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SENDER "+86 138-0013-8000"
#define SENDER_DIGITS "13800138000"
#define SENDER_OTHER_NOTATION "008613800138000"
#define OTHER_SENDER "+86 139 0013 9000"
#define OTHER_DIGITS "13900139000"
#define BODY_PHONE_DIGITS "13912345678"
#define RESIDENT_ID "11010519491231002X"
#define TEXT "这个月开了23个会"
#define BODY "我的电话139-1234-5678，身份证" RESIDENT_ID "，" TEXT "，还要天天填表。"
#define SHORT_CODE "10690000"
#define CLIENT_IP "127.43.21.9"
#define USER_AGENT "jianfu-itest-agent"
#define CONCURRENT 20
/* A webhook body just over the 64 KiB limit. */
#define BIG_BODY_LEN (64 * 1024 + 4000)

typedef struct {
    jt_db db;
    jt_server srv;
    jt_text transcript; /* headers and body of every response */
    char code1[11];     /* ticket of the first SMS */
    char sid1[35];
    char pseudonym_kid[32];
    char seal_kid[32];
} intake_ctx;

/* ---- helpers ------------------------------------------------------------------------- */

static void record(intake_ctx *c, const jt_http_resp *resp)
{
    jt_text_append(&c->transcript, jt_text_str(&resp->headers), resp->headers.len);
    jt_text_append(&c->transcript, jt_text_str(&resp->body), resp->body.len);
    jt_text_append(&c->transcript, "\n", 1);
}

/* POST an SMS to /webhooks/twilio from CLIENT_IP, signed unless opts says otherwise. */
static void post_sms(intake_ctx *c, const char *from, const char *body, const char *sid,
                     const jt_twilio_opts *opts, jt_http_resp *resp)
{
    jt_param p[8];
    jt_twilio_opts o = opts ? *opts : (jt_twilio_opts){NULL, NULL, NULL};
    o.source_ip = CLIENT_IP;
    size_t n = jt_sms_params(p, from, SHORT_CODE, body, sid);
    jt_twilio_post(&c->srv, "/webhooks/twilio", p, n, &o, resp);
    record(c, resp);
}

/* Any request from CLIENT_IP, recorded. */
static void request(intake_ctx *c, const char *method, const char *path,
                    const char *const *headers, const char *body, size_t len, bool chunked,
                    jt_http_resp *resp)
{
    char url[256];
    jt_http_req req = {.method = method,
                       .url = jt_server_url(&c->srv, path, url, sizeof url),
                       .headers = headers,
                       .body = body,
                       .body_len = len,
                       .chunked = chunked,
                       .source_ip = CLIENT_IP};
    jt_http(&req, resp);
    record(c, resp);
}

static void expect_http(const jt_http_resp *resp, long status, const char *what)
{
    if (resp->status != status)
        fail_msg("%s: HTTP %ld, want %ld; body: %s", what, resp->status, status,
                 jt_text_str(&resp->body));
}

/* Post an SMS that must be stored; its ticket goes to code. */
static void post_sms_ok(intake_ctx *c, const char *from, const char *sid, char code[11])
{
    jt_http_resp resp;
    post_sms(c, from, BODY, sid, NULL, &resp);
    expect_http(&resp, 200, "signed SMS");
    if (!jt_ticket_in(jt_text_str(&resp.body), code))
        fail_msg("no single ticket code in %s", jt_text_str(&resp.body));
    jt_http_resp_free(&resp);
}

static long long count(intake_ctx *c, const char *sql)
{
    return jt_db_int(c->db.conn, sql, NULL);
}

static long long complaints_with_sid(intake_ctx *c, const char *sid)
{
    return jt_db_int(c->db.conn,
                     "SELECT count(*) FROM inbound_messages m JOIN complaints x"
                     " ON x.id = m.complaint_id WHERE m.provider_msg_id = $1",
                     sid, NULL);
}

/* The key id on the first line of the key file that starts with prefix. */
static void key_id(const char *file_text, const char *prefix, bool last, char *out, size_t sz)
{
    const char *p = file_text;
    out[0] = '\0';
    while (p && *p) {
        size_t len = strcspn(p, "\n");
        size_t plen = strlen(prefix);
        if (len > plen && strncmp(p, prefix, plen) == 0) {
            size_t idlen = strcspn(p + plen, " \t\n");
            snprintf(out, sz, "%.*s", (int)idlen, p + plen);
            if (!last)
                return;
        }
        p += len + (p[len] ? 1 : 0);
    }
}

/* `jianfu <args>` against this test's database; exit status must be 0. */
static void run_ok(intake_ctx *c, jt_cmd *r, const char *const argv[])
{
    const char *env[] = {c->db.url_env, NULL};
    jt_run(r, argv, env, NULL, JT_CMD_TIMEOUT_MS);
    if (r->status != 0)
        fail_msg("jianfu %s exited %d: %s", argv[1], r->status, jt_text_str(&r->err));
}

/* Nothing that identifies the reporter, in any notation: the phone numbers and the
 * resident ID, the client's address and user agent. */
static void expect_no_identity(const char *text, const char *where)
{
    static const char *const numbers[] = {SENDER_DIGITS, OTHER_DIGITS, BODY_PHONE_DIGITS,
                                          "11010519491231002", "110105194912310"};
    static const char *const words[] = {CLIENT_IP, USER_AGENT};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (jt_contains_number(text, numbers[i]))
            fail_msg("%s contains the number %s", where, numbers[i]);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (jt_contains(text, words[i]))
            fail_msg("%s contains \"%s\"", where, words[i]);
}

/* Neither the identity nor what the reporter wrote: for logs and responses, which have
 * no business repeating the message (the database keeps its redacted text). */
static void expect_no_personal_data(const char *text, const char *where)
{
    static const char *const words[] = {TEXT, "开了23个会", "天天填表", "我的电话"};
    expect_no_identity(text, where);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (jt_contains(text, words[i]))
            fail_msg("%s contains \"%s\"", where, words[i]);
}

/* ---- setup --------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    intake_ctx *c = calloc(1, sizeof *c);
    jt_cmd r;
    jt_text keys = {0};
    assert_non_null(c);
    *state = c;
    jt_db_create(&c->db, jt_env("JIANFU_TEST_PGHOST"), "intake");
    const char *argv[] = {jt_env("JIANFU_TEST_BIN"), "migrate", NULL};
    run_ok(c, &r, argv);
    jt_cmd_free(&r);
    jt_server_start(&c->srv, c->db.conninfo, "intake");

    jt_read_file(c->srv.key_file, &keys);
    key_id(keys.data, "pseudonym ", false, c->pseudonym_kid, sizeof c->pseudonym_kid);
    key_id(keys.data, "seal ", true, c->seal_kid, sizeof c->seal_kid);
    jt_text_free(&keys);
    assert_true(c->pseudonym_kid[0] && c->seal_kid[0]);
    return 0;
}

static int group_teardown(void **state)
{
    intake_ctx *c = *state;
    if (!c)
        return 0;
    jt_server_kill(&c->srv);
    jt_db_drop(&c->db);
    if (c->srv.key_file[0])
        unlink(c->srv.key_file);
    jt_text_free(&c->transcript);
    free(c);
    return 0;
}

/* ---- intake -------------------------------------------------------------------------- */

static void test_first_sms(void **state)
{
    intake_ctx *c = *state;
    jt_http_resp resp;
    char ct[128];
    jt_new_sid(c->sid1);

    post_sms(c, SENDER, BODY, c->sid1, NULL, &resp);
    expect_http(&resp, 200, "first SMS");
    assert_non_null(jt_http_header(&resp, "Content-Type", ct, sizeof ct));
    assert_true(jt_contains(ct, "xml"));
    const char *twiml = jt_text_str(&resp.body);
    assert_true(jt_contains(twiml, "<Response>"));
    assert_true(jt_contains(twiml, "<Message>"));
    assert_true(jt_contains(twiml, "答复"));
    if (!jt_ticket_in(twiml, c->code1))
        fail_msg("no single ticket code in %s", twiml);

    PGconn *db = c->db.conn;
    const char *code = c->code1;
    assert_int_equal(count(c, "SELECT count(*) FROM complaints"), 1);
    assert_int_equal(
        jt_db_int(db, "SELECT count(*) FROM complaints WHERE code = $1", code, NULL), 1);
    char *status = jt_db_value(db, "SELECT status FROM complaints WHERE code = $1", code, NULL);
    assert_string_equal(status, "triage");
    free(status);
    assert_true(jt_db_true(db,
                           "SELECT channel_kind = 'twilio' AND channel_name = 'default'"
                           " AND redactions = 2 AND length(reporter_key) = 32"
                           " AND pseudonym_kid = $2 FROM complaints WHERE code = $1",
                           code, c->pseudonym_kid, NULL));
    /* Received now, not at some other time. */
    assert_true(jt_db_true(db,
                           "SELECT abs(extract(epoch FROM now() - received_at)) < 300"
                           " FROM complaints WHERE code = $1",
                           code, NULL));

    /* The stored text is redacted, and only the numbers are. */
    char *body = jt_db_value(db, "SELECT body FROM complaints WHERE code = $1", code, NULL);
    assert_non_null(body);
    assert_true(jt_contains(body, "[手机号]"));
    assert_true(jt_contains(body, "[身份证号]"));
    assert_true(jt_contains(body, "23个会"));
    assert_true(jt_contains(body, TEXT));
    assert_false(jt_contains_number(body, BODY_PHONE_DIGITS));
    assert_false(jt_contains_number(body, "11010519491231002"));
    assert_false(jt_contains(body, "19491231"));
    free(body);

    /* The sender's address exists only sealed, under the active seal key. */
    assert_int_equal(jt_db_int(db,
                               "SELECT count(*) FROM sealed_addresses s JOIN complaints x"
                               " ON x.id = s.complaint_id WHERE x.code = $1"
                               " AND s.key_id = $2 AND length(s.sealed) > 28",
                               code, c->seal_kid, NULL),
                     1);
    assert_int_equal(jt_db_int(db,
                               "SELECT count(*) FROM inbound_messages m JOIN complaints x"
                               " ON x.id = m.complaint_id WHERE x.code = $1"
                               " AND m.provider_msg_id = $2 AND m.channel_kind = 'twilio'",
                               code, c->sid1, NULL),
                     1);
    assert_int_equal(jt_db_int(db,
                               "SELECT count(*) FROM complaint_events e JOIN complaints x"
                               " ON x.id = e.complaint_id WHERE x.code = $1"
                               " AND e.kind = 'received'",
                               code, NULL),
                     1);

    /* The deadlines are those of `jianfu due` from the time of receipt. */
    char *received = jt_db_value(db,
                                 "SELECT to_char(received_at AT TIME ZONE 'Asia/Shanghai',"
                                 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"
                                 " FROM complaints WHERE code = $1",
                                 code, NULL);
    static const struct {
        const char *days;
        const char *column;
    } deadlines[] = {{"1", "ack_due"}, {"5", "answer_due"}, {"15", "resolve_due"}};
    for (size_t i = 0; i < sizeof deadlines / sizeof deadlines[0]; i++) {
        jt_cmd r;
        char sql[160];
        const char *argv[] = {
            jt_env("JIANFU_TEST_BIN"), "due", "--from", received, "--working-days",
            deadlines[i].days,         NULL};
        run_ok(c, &r, argv);
        char *nl = strchr(r.out.data, '\n');
        if (nl)
            *nl = '\0';
        snprintf(sql, sizeof sql, "SELECT %s = $2::timestamptz FROM complaints WHERE code = $1",
                 deadlines[i].column);
        if (!jt_db_true(db, sql, code, r.out.data, NULL)) {
            char *stored = jt_db_value(db,
                                       "SELECT ack_due || ' ' || answer_due || ' ' ||"
                                       " resolve_due FROM complaints WHERE code = $1",
                                       code, NULL);
            fail_msg("%s is not `due --from %s --working-days %s` = %s (stored: %s)",
                     deadlines[i].column, received, deadlines[i].days, r.out.data, stored);
        }
        jt_cmd_free(&r);
    }
    free(received);

    /* The reporter is told the answer deadline's date. */
    char *date =
        jt_db_value(db,
                    "SELECT to_char(answer_due AT TIME ZONE 'Asia/Shanghai',"
                    " 'FMYYYY\"年\"FMMM\"月\"FMDD\"日\"') FROM complaints WHERE code = $1",
                    code, NULL);
    if (!jt_contains(twiml, date))
        fail_msg("the acknowledgement does not give the answer deadline %s: %s", date, twiml);
    free(date);
    jt_http_resp_free(&resp);
}

static void test_redelivery(void **state)
{
    intake_ctx *c = *state;
    char code[11];
    assert_true(c->code1[0]);
    for (int i = 0; i < 2; i++) {
        post_sms_ok(c, SENDER, c->sid1, code);
        assert_string_equal(code, c->code1);
    }
    assert_int_equal(count(c, "SELECT count(*) FROM complaints"), 1);
    assert_int_equal(complaints_with_sid(c, c->sid1), 1);
    assert_int_equal(count(c, "SELECT count(*) FROM complaint_events"), 1);
    assert_int_equal(count(c, "SELECT count(*) FROM sealed_addresses"), 1);
}

typedef struct {
    pthread_barrier_t *start;
    const jt_http_req *req;
    int rc;
    jt_http_resp resp;
} delivery;

static void *deliver(void *arg)
{
    delivery *d = arg;
    pthread_barrier_wait(d->start);
    d->rc = jt_http_try(d->req, &d->resp);
    return NULL;
}

static void test_concurrent_deliveries(void **state)
{
    intake_ctx *c = *state;
    char sid[35], url[256], sig[JF_TWILIO_SIG_LEN + 1], sig_h[80], first[11] = "";
    jt_param p[8];
    jt_text body = {0};
    pthread_t th[CONCURRENT];
    delivery d[CONCURRENT];
    pthread_barrier_t start;
    long long before = count(c, "SELECT count(*) FROM complaints");

    jt_new_sid(sid);
    size_t n = jt_sms_params(p, SENDER, SHORT_CODE, BODY, sid);
    jt_server_url(&c->srv, "/webhooks/twilio", url, sizeof url);
    jt_form_encode(p, n, &body);
    jt_twilio_sign(c->srv.token, url, p, n, sig);
    snprintf(sig_h, sizeof sig_h, "X-Twilio-Signature: %s", sig);
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", sig_h, NULL};
    jt_http_req req = {.method = "POST",
                       .url = url,
                       .headers = headers,
                       .body = body.data,
                       .body_len = body.len,
                       .source_ip = CLIENT_IP};

    assert_int_equal(pthread_barrier_init(&start, NULL, CONCURRENT), 0);
    for (int i = 0; i < CONCURRENT; i++) {
        d[i] = (delivery){&start, &req, -1, {0}};
        assert_int_equal(pthread_create(&th[i], NULL, deliver, &d[i]), 0);
    }
    for (int i = 0; i < CONCURRENT; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    jt_text_free(&body);

    for (int i = 0; i < CONCURRENT; i++) {
        char code[11];
        record(c, &d[i].resp);
        if (d[i].rc != 0)
            fail_msg("delivery %d: %s", i, d[i].resp.error);
        expect_http(&d[i].resp, 200, "concurrent delivery");
        if (!jt_ticket_in(jt_text_str(&d[i].resp.body), code))
            fail_msg("delivery %d: no ticket in %s", i, jt_text_str(&d[i].resp.body));
        if (!first[0])
            memcpy(first, code, sizeof first);
        if (strcmp(code, first) != 0)
            fail_msg("delivery %d got ticket %s, another got %s", i, code, first);
        jt_http_resp_free(&d[i].resp);
    }
    assert_string_not_equal(first, c->code1);
    assert_int_equal(
        jt_db_int(c->db.conn, "SELECT count(*) FROM complaints WHERE code = $1", first, NULL),
        1);
    assert_int_equal(complaints_with_sid(c, sid), 1);
    assert_int_equal(count(c, "SELECT count(*) FROM complaints"), before + 1);
    assert_int_equal(count(c, "SELECT count(*) FROM complaint_events"), before + 1);
}

static void test_reporter_keys(void **state)
{
    intake_ctx *c = *state;
    char sid[3][35], code[3][11];
    const char *from[3] = {SENDER, SENDER_OTHER_NOTATION, OTHER_SENDER};
    for (int i = 0; i < 3; i++) {
        jt_new_sid(sid[i]);
        post_sms_ok(c, from[i], sid[i], code[i]);
        assert_string_not_equal(code[i], c->code1);
        assert_int_equal(complaints_with_sid(c, sid[i]), 1);
    }
    assert_string_not_equal(code[0], code[1]);
    static const char same_key[] =
        "SELECT (SELECT reporter_key FROM complaints WHERE code = $1)"
        "     = (SELECT reporter_key FROM complaints WHERE code = $2)";
    /* The same sender writing again: a new complaint, the same pseudonym. */
    assert_true(jt_db_true(c->db.conn, same_key, c->code1, code[0], NULL));
    /* The same number written another way is the same sender. */
    assert_true(jt_db_true(c->db.conn, same_key, c->code1, code[1], NULL));
    /* Another sender is another pseudonym. */
    assert_false(jt_db_true(c->db.conn, same_key, c->code1, code[2], NULL));
    /* And the sealed addresses differ even for the same sender (random nonces). */
    assert_false(jt_db_true(c->db.conn,
                            "SELECT (SELECT s.sealed FROM sealed_addresses s JOIN complaints x"
                            " ON x.id = s.complaint_id WHERE x.code = $1)"
                            "     = (SELECT s.sealed FROM sealed_addresses s JOIN complaints x"
                            " ON x.id = s.complaint_id WHERE x.code = $2)",
                            c->code1, code[0], NULL));
}

/* ---- refusals ------------------------------------------------------------------------ */

static void test_rejects(void **state)
{
    intake_ctx *c = *state;
    jt_http_resp resp;
    char sid[35], url[256], sig[JF_TWILIO_SIG_LEN + 1];
    jt_param p[8];
    long long before = count(c, "SELECT count(*) FROM complaints");
    jt_new_sid(sid);
    jt_server_url(&c->srv, "/webhooks/twilio", url, sizeof url);

    /* Signed with another auth token. */
    size_t n = jt_sms_params(p, SENDER, SHORT_CODE, BODY, sid);
    jt_twilio_sign("not-the-auth-token", url, p, n, sig);
    post_sms(c, SENDER, BODY, sid, &(jt_twilio_opts){.signature = sig}, &resp);
    expect_http(&resp, 403, "SMS signed with the wrong token");
    jt_http_resp_free(&resp);

    /* Signed correctly, then the text changed on the way. */
    n = jt_sms_params(p, SENDER, SHORT_CODE, "原文", sid);
    jt_twilio_sign(c->srv.token, url, p, n, sig);
    post_sms(c, SENDER, BODY, sid, &(jt_twilio_opts){.signature = sig}, &resp);
    expect_http(&resp, 403, "SMS whose text was changed after signing");
    jt_http_resp_free(&resp);

    /* No signature at all. */
    post_sms(c, SENDER, BODY, sid, &(jt_twilio_opts){.signature = ""}, &resp);
    expect_http(&resp, 403, "SMS without a signature");
    jt_http_resp_free(&resp);

    /* Correctly signed but incomplete. */
    post_sms(c, SENDER, NULL, sid, NULL, &resp);
    expect_http(&resp, 400, "SMS without Body");
    assert_true(jt_contains(jt_text_str(&resp.body), "Body"));
    jt_http_resp_free(&resp);
    post_sms(c, SENDER, BODY, NULL, NULL, &resp);
    expect_http(&resp, 400, "SMS without MessageSid");
    assert_true(jt_contains(jt_text_str(&resp.body), "MessageSid"));
    jt_http_resp_free(&resp);

    /* Not a form. */
    static const char json[] = "{\"From\":\"" SENDER "\",\"Body\":\"" TEXT "\"}";
    const char *json_h[] = {"Content-Type: application/json", NULL};
    request(c, "POST", "/webhooks/twilio", json_h, json, sizeof json - 1, false, &resp);
    expect_http(&resp, 415, "JSON webhook");
    jt_http_resp_free(&resp);

    request(c, "GET", "/webhooks/twilio", NULL, NULL, 0, false, &resp);
    expect_http(&resp, 405, "GET of the webhook");
    jt_http_resp_free(&resp);

    /* Over 64 KiB, announced up front and streamed in chunks. */
    jt_text big = {0};
    jt_text_appendf(&big, "From=%%2B8613800138000&MessageSid=%s&Body=", sid);
    while (big.len < BIG_BODY_LEN)
        jt_text_append(&big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                       64);
    const char *big_h[] = {
        "Content-Type: application/x-www-form-urlencoded",
        "X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Expect: 100-continue", NULL};
    request(c, "POST", "/webhooks/twilio", big_h, big.data, big.len, false, &resp);
    expect_http(&resp, 413, "body over 64 KiB with Content-Length");
    jt_http_resp_free(&resp);
    request(c, "POST", "/webhooks/twilio", big_h, big.data, big.len, true, &resp);
    expect_http(&resp, 413, "body over 64 KiB, chunked");
    jt_http_resp_free(&resp);
    jt_text_free(&big);

    /* A kind of webhook the server does not have, even if correctly signed for it. */
    n = jt_sms_params(p, SENDER, SHORT_CODE, BODY, sid);
    jt_twilio_post(&c->srv, "/webhooks/nope", p, n, &(jt_twilio_opts){.source_ip = CLIENT_IP},
                   &resp);
    record(c, &resp);
    expect_http(&resp, 404, "unknown webhook kind");
    jt_http_resp_free(&resp);

    assert_int_equal(count(c, "SELECT count(*) FROM complaints"), before);
    assert_int_equal(
        jt_db_int(c->db.conn,
                  "SELECT count(*) FROM inbound_messages WHERE provider_msg_id = $1", sid,
                  NULL),
        0);

    /* And the same message, correctly signed, is then taken. */
    char code[11];
    post_sms_ok(c, SENDER, sid, code);
    assert_int_equal(count(c, "SELECT count(*) FROM complaints"), before + 1);
}

static void test_health(void **state)
{
    intake_ctx *c = *state;
    jt_http_resp resp;
    char ct[128];
    request(c, "GET", "/healthz", NULL, NULL, 0, false, &resp);
    expect_http(&resp, 200, "/healthz");
    jt_http_resp_free(&resp);

    request(c, "GET", "/readyz", NULL, NULL, 0, false, &resp);
    expect_http(&resp, 200, "/readyz");
    assert_non_null(jt_http_header(&resp, "Content-Type", ct, sizeof ct));
    assert_true(jt_contains(ct, "application/json"));
    json_error_t jerr;
    json_t *j = json_loads(jt_text_str(&resp.body), 0, &jerr);
    if (!j)
        fail_msg("/readyz is not JSON (%s): %s", jerr.text, jt_text_str(&resp.body));
    const char *st = json_string_value(json_object_get(j, "status"));
    bool ready = st && strcmp(st, "ready") == 0;
    json_decref(j);
    if (!ready)
        fail_msg("/readyz status is not \"ready\": %s", jt_text_str(&resp.body));
    jt_http_resp_free(&resp);

    request(c, "GET", "/nowhere", NULL, NULL, 0, false, &resp);
    expect_http(&resp, 404, "unknown path");
    jt_http_resp_free(&resp);
}

/* ---- overdue ------------------------------------------------------------------------- */

/* Every value `overdue` must never print: reporter keys and sealed addresses, as hex and
 * as base64. */
static void expect_no_keys(intake_ctx *c, const char *out)
{
    PGresult *res =
        PQexec(c->db.conn, "SELECT encode(reporter_key, 'hex'), encode(reporter_key, 'base64')"
                           " FROM complaints UNION ALL"
                           " SELECT encode(sealed, 'hex'), encode(sealed, 'base64')"
                           " FROM sealed_addresses");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_true(PQntuples(res) > 0);
    for (int i = 0; i < PQntuples(res); i++)
        for (int k = 0; k < 2; k++)
            if (jt_contains(out, PQgetvalue(res, i, k)))
                fail_msg("overdue prints a reporter key or sealed address: %s",
                         PQgetvalue(res, i, k));
    PQclear(res);
    if (jt_has_hex_run(out, 64))
        fail_msg("overdue prints a 64-hex-digit value: %s", out);
}

static void test_overdue(void **state)
{
    intake_ctx *c = *state;
    jt_cmd r;
    const char *bin = jt_env("JIANFU_TEST_BIN");
    long long total = count(c, "SELECT count(*) FROM complaints");
    static const char rfc3339[] = "'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"'";
    char sql[256];

    snprintf(sql, sizeof sql,
             "SELECT to_char(max(received_at + interval '40 days') AT TIME ZONE"
             " 'Asia/Shanghai', %s) FROM complaints",
             rfc3339);
    char *late = jt_db_value(c->db.conn, sql, NULL);
    snprintf(sql, sizeof sql,
             "SELECT to_char(min(received_at) AT TIME ZONE 'Asia/Shanghai', %s)"
             " FROM complaints",
             rfc3339);
    char *early = jt_db_value(c->db.conn, sql, NULL);

    /* Forty days on, every deadline of every complaint has passed. */
    const char *json_argv[] = {bin, "overdue", "--at", late, "--format", "json", NULL};
    run_ok(c, &r, json_argv);
    json_error_t jerr;
    json_t *rows = json_loads(jt_text_str(&r.out), 0, &jerr);
    if (!rows || !json_is_array(rows))
        fail_msg("overdue --format json is not a JSON array: %s", jt_text_str(&r.out));
    assert_int_equal(json_array_size(rows), (size_t)(3 * total));
    static const char *const allowed[] = {
        "code",   "department", "department_name", "category", "channel",
        "status", "deadline",   "received_at",     "due",      "working_days_overdue"};
    int seen = 0; /* bit per deadline of the first complaint */
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *o = json_array_get(rows, i);
        const char *key;
        json_t *v;
        assert_true(json_is_object(o));
        json_object_foreach(o, key, v)
        {
            bool ok = false;
            for (size_t k = 0; k < sizeof allowed / sizeof allowed[0]; k++)
                ok = ok || strcmp(key, allowed[k]) == 0;
            if (!ok)
                fail_msg("overdue prints an unexpected field \"%s\"", key);
        }
        const char *code = json_string_value(json_object_get(o, "code"));
        const char *deadline = json_string_value(json_object_get(o, "deadline"));
        json_t *wd = json_object_get(o, "working_days_overdue");
        assert_non_null(code);
        assert_non_null(deadline);
        assert_true(json_is_integer(wd));
        assert_true(json_integer_value(wd) > 0);
        if (strcmp(code, c->code1) != 0)
            continue;
        assert_string_equal(json_string_value(json_object_get(o, "status")), "triage");
        assert_string_equal(json_string_value(json_object_get(o, "channel")), "twilio");
        if (strcmp(deadline, "acknowledge") == 0)
            seen |= 1;
        else if (strcmp(deadline, "answer") == 0)
            seen |= 2;
        else if (strcmp(deadline, "resolve") == 0)
            seen |= 4;
        else
            fail_msg("unknown deadline \"%s\"", deadline);
    }
    assert_int_equal(seen, 7);
    json_decref(rows);
    expect_no_keys(c, jt_text_str(&r.out));
    jt_cmd_free(&r);

    /* At the moment of the first receipt nothing is due yet. */
    const char *early_argv[] = {bin, "overdue", "--at", early, "--format", "json", NULL};
    run_ok(c, &r, early_argv);
    rows = json_loads(jt_text_str(&r.out), 0, &jerr);
    if (!rows || !json_is_array(rows) || json_array_size(rows) != 0)
        fail_msg("overdue --at %s lists: %s", early, jt_text_str(&r.out));
    json_decref(rows);
    jt_cmd_free(&r);

    /* CSV: the documented header, one line per missed deadline. */
    const char *csv_argv[] = {bin, "overdue", "--at", late, "--format", "csv", NULL};
    run_ok(c, &r, csv_argv);
    const char *out = jt_text_str(&r.out);
    static const char header[] = "code,department,department_name,category,channel,status,"
                                 "deadline,received_at,due,working_days_overdue\n";
    if (strncmp(out, header, sizeof header - 1) != 0)
        fail_msg("overdue --format csv header: %s", out);
    char line_start[16];
    snprintf(line_start, sizeof line_start, "\n%s,", c->code1);
    int code_lines = 0, lines = 0;
    for (const char *p = strstr(out, line_start); p; p = strstr(p + 1, line_start))
        code_lines++;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(code_lines, 3);
    assert_int_equal(lines, 1 + 3 * total);
    expect_no_keys(c, out);
    jt_cmd_free(&r);
    free(late);
    free(early);
}

/* ---- shutdown, logs and the database dump ------------------------------------------- */

static void test_shutdown_and_traces(void **state)
{
    intake_ctx *c = *state;
    jt_text log = {0};

    int status = jt_server_stop(&c->srv);
    jt_read_file(c->srv.stderr_path, &log);
    if (status != 0)
        fail_msg("jianfu serve exited %d after SIGTERM; its stderr:\n%s", status, log.data);

    /* The log is there and did record the traffic, so its silence below means something. */
    assert_true(jt_contains(log.data, "webhook.stored"));
    assert_true(jt_contains(log.data, "server.stopped"));
    expect_no_personal_data(log.data, "the server's log");
    if (jt_contains(log.data, c->srv.token))
        fail_msg("the server's log contains the Twilio auth token");
    /* 127.0.0.1 may appear only where the server announces its own listen address. */
    for (const char *p = log.data; *p;) {
        size_t len = strcspn(p, "\n");
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        if (jt_contains(line, "127.0.0.1") && !jt_contains(line, " server.listening "))
            fail_msg("the server's log names an IP address: %s", line);
        p += len + (p[len] ? 1 : 0);
    }
    jt_text_free(&log);

    expect_no_personal_data(jt_text_str(&c->transcript), "a response");
    if (jt_contains(jt_text_str(&c->transcript), "127.0.0.1"))
        fail_msg("a response names 127.0.0.1");

    /* A dump of the database alone identifies no one. */
    jt_cmd r;
    const char *argv[] = {"",   "--no-owner", "-h",       c->db.host,
                          "-U", "postgres",   c->db.name, NULL};
    char pg_dump[512];
    snprintf(pg_dump, sizeof pg_dump, "%s/pg_dump", jt_env("PG_BIN"));
    argv[0] = pg_dump;
    jt_pg_run(&r, argv, JT_CMD_TIMEOUT_MS);
    if (r.status != 0)
        fail_msg("pg_dump exited %d: %s", r.status, jt_text_str(&r.err));
    const char *dump = jt_text_str(&r.out);
    assert_true(jt_contains(dump, "CREATE TABLE public.complaints"));
    assert_true(jt_contains(dump, c->code1));
    assert_true(jt_contains(dump, "[身份证号]"));
    assert_true(jt_contains(dump, "\\\\x")); /* bytea is in there, as hex */
    expect_no_identity(dump, "pg_dump");
    static const char *const forms[] = {SENDER_DIGITS,
                                        "+"
                                        "86" SENDER_DIGITS,
                                        SENDER,
                                        "138-0013-8000",
                                        "138 0013 8000",
                                        SENDER_OTHER_NOTATION,
                                        OTHER_DIGITS,
                                        OTHER_SENDER,
                                        "+8613900139000",
                                        BODY_PHONE_DIGITS,
                                        RESIDENT_ID,
                                        "11010519491231002"};
    jt_text lower = {0};
    jt_text_append(&lower, dump, strlen(dump));
    for (char *p = lower.data; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char hex[128];
        jt_hex(forms[i], strlen(forms[i]), hex);
        if (jt_contains(lower.data, hex))
            fail_msg("pg_dump holds \"%s\" as hex %s", forms[i], hex);
    }
    jt_text_free(&lower);
    jt_cmd_free(&r);
}

int main(void)
{
    if (!jt_begin("test_intake"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_sms),
        cmocka_unit_test(test_redelivery),
        cmocka_unit_test(test_concurrent_deliveries),
        cmocka_unit_test(test_reporter_keys),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_overdue),
        cmocka_unit_test(test_shutdown_and_traces),
    };
    return jt_end(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
