/* test_outbox.c - the transactional outbox's dispatcher against a fake Twilio API: what a
 * department's answer looks like on the wire, how transient and permanent provider
 * failures settle a row, and that two `jianfu serve` processes on one database send every
 * row exactly once.
 *
 * A fake Twilio REST API (fake_provider.c: libmicrohttpd on 127.0.0.1, scripted per test,
 * recording every request) stands in for api.twilio.com through JIANFU_TWILIO_API_BASE.
 * `jianfu serve` runs with JIANFU_OUTBOX_BACKOFF=1, JIANFU_SEND_TIMEOUT=2 and
 * JIANFU_OUTBOX_MAX_ATTEMPTS=3. Complaints are made through the signed Twilio webhook, so
 * each has a sealed reply address; messages are queued as the answer path will queue
 * them, by inserting outbox rows ('answer', complaint, twilio/default, unique text).
 *
 * What it proves:
 *   - success: exactly one POST to /2010-04-01/Accounts/<sid>/Messages.json with HTTP
 *     basic authentication of <sid>:<auth token>, a form body whose To is the number the
 *     webhook came From (the sealed address opened correctly, in memory), From the
 *     configured number and Body the queued text byte for byte (Chinese, '&', '=', '+',
 *     '%' survive the form encoding); the row is 'sent', attempts 1, sent_at set, no
 *     last_error;
 *   - 503 then 201: two requests, the row 'sent' with attempts 2 and last_error cleared;
 *   - 429 with Retry-After: 3 then 201: the retry comes no sooner than 3 s after the first
 *     request (the plain backoff here would be 1 s, so the header is what held it back);
 *     the row is 'sent' with attempts 2;
 *   - timeout: a first request the fake holds for 8 s is abandoned after
 *     JIANFU_SEND_TIMEOUT (the retry arrives well before the hold ends) and retried; the
 *     row is 'sent' with attempts 2;
 *   - permanent 400 with Twilio's error 21211 quoting the number: the row is 'dead' after
 *     one attempt and no retry follows; last_error carries "21211" but no run of 7 or more
 *     digits, and the server's log holds the number in no notation;
 *   - 500 forever: 'dead' after exactly JIANFU_OUTBOX_MAX_ATTEMPTS (3) requests, with
 *     last_error set, and nothing sent after that;
 *   - two dispatchers racing: a second `jianfu serve` on another port, same database and
 *     key file; 60 rows for three reporters queued in one statement all become 'sent'
 *     with attempts 1; the fake got each row's text exactly once (none missing, none
 *     twice), each addressed to its own reporter; every row is logged as sent by exactly
 *     one of the two processes, and both took part;
 *   - both servers stop on SIGTERM with exit 0 (so without a sanitizer report), and no
 *     reporter's number is in either log.
 * Needs ./tests/run.
 */
#include "fake_provider.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/crypto.h"

/* The reporters, as Twilio posts their numbers (E.164); the digits as a log might hold
 * them in any notation. */
#define REPORTER "+8613800138000"
#define REPORTER_DIGITS "13800138000"
#define REPORTER2 "+8613900139000"
#define REPORTER2_DIGITS "13900139000"
#define REPORTER3 "+8613700137000"
#define REPORTER3_DIGITS "13700137000"
#define SHORT_CODE "10690000"
#define TWILIO_FROM "+15005550006"
#define COMPLAINT_TEXT "村里的路灯坏了三个月，报了五次没人修。"
/* Text of a queued answer after a per-run tag: Chinese and every character that form
 * encoding must escape. */
#define ANSWER_TEXT "您反映的问题已转交乡政府办理 A&B=C+D 100% 完成。"
/* Twilio's published error for an invalid To number. */
#define TWILIO_21211                                                                           \
    "{\"code\":21211,\"message\":\"The 'To' number +8613800138000 is not a valid phone "       \
    "number.\",\"more_info\":\"https://www.twilio.com/docs/errors/21211\",\"status\":400}"
#define TWILIO_500 "{\"code\":20500,\"message\":\"Internal Server Error\",\"status\":500}"
#define TWILIO_503 "{\"code\":20503,\"message\":\"Service Unavailable\",\"status\":503}"
#define TWILIO_429 "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}"

#define STR_(x) #x
#define XSTR_(x) STR_(x)
#define MAX_ATTEMPTS 3
#define SEND_TIMEOUT_S 2
#define RETRY_AFTER_S 3
#define HANG_MS 8000
/* How long a row may take to settle, and how long the fake is watched afterwards for a
 * send that should not come (longer than the backoff plus the dispatcher's poll). */
#define SETTLE_MS 40000
#define QUIET_MS 2500
#define RACE_ROWS 60
#define RACE_MS 90000

typedef struct {
    jt_db db;
    jt_server srv, srv2;
    jt_fake_provider *fake;
    char account_sid[35];
    char tag[20]; /* makes this run's texts unique */
    char sid_env[64], from_env[64], base_env[96];
    const char *env[12];
    long long complaint; /* from REPORTER */
} outbox_ctx;

/* ---- helpers ------------------------------------------------------------------------- */

static void base64(const char *in, char *out, size_t outsz)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)in;
    size_t n = strlen(in), o = 0;
    if ((n + 2) / 3 * 4 + 1 > outsz)
        fail_msg("base64: output too small");
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
}

/* A new complaint from number through the signed webhook of srv; its id. */
static long long make_complaint(outbox_ctx *c, const jt_server *srv, const char *number)
{
    char sid[35], code[11];
    jt_http_resp resp;
    jt_new_sid(sid);
    const jt_param p[] = {
        {"Body", COMPLAINT_TEXT}, {"From", number}, {"MessageSid", sid}, {"To", SHORT_CODE}};
    jt_twilio_post(srv, "/webhooks/twilio", p, 4, NULL, &resp);
    if (resp.status != 200 || !jt_ticket_in(jt_text_str(&resp.body), code))
        fail_msg("webhook: HTTP %ld: %s", resp.status, jt_text_str(&resp.body));
    jt_http_resp_free(&resp);
    return jt_db_int(c->db.conn,
                     "SELECT complaint_id FROM inbound_messages WHERE provider_msg_id = $1",
                     sid, NULL);
}

/* Queue text for the reporter of complaint; the row's id. */
static long long queue(outbox_ctx *c, long long complaint, const char *text)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", complaint);
    return jt_db_int(
        c->db.conn,
        "INSERT INTO outbox (purpose, complaint_id, channel_kind, channel_name, body)"
        " VALUES ('answer', $1, 'twilio', 'default', $2) RETURNING id",
        cid, text, NULL);
}

/* A text unique to this run and this test. */
static void answer_text(outbox_ctx *c, const char *what, char *out, size_t outsz)
{
    snprintf(out, outsz, "[%s %s] %s", c->tag, what, ANSWER_TEXT);
}

/* Column col of outbox row id as text (caller frees; NULL for SQL NULL). */
static char *row_col(outbox_ctx *c, long long id, const char *col)
{
    char sql[160], ids[24];
    snprintf(sql, sizeof sql, "SELECT %s::text FROM outbox WHERE id = $1", col);
    snprintf(ids, sizeof ids, "%lld", id);
    return jt_db_value(c->db.conn, sql, ids, NULL);
}

static long long row_int(outbox_ctx *c, long long id, const char *col)
{
    char *v = row_col(c, id, col);
    if (!v)
        fail_msg("outbox row %lld: %s is NULL", id, col);
    long long n = strtoll(v, NULL, 10);
    free(v);
    return n;
}

/* Wait until row id has status want; fails the test, saying where the row stands, after
 * ms or as soon as the row settles otherwise ('sent' and 'dead' are final). */
static void wait_row(outbox_ctx *c, long long id, const char *want, int ms)
{
    int64_t deadline = jt_mono_ms() + ms;
    for (;;) {
        char *st = row_col(c, id, "status");
        bool done = st && strcmp(st, want) == 0;
        bool other_end = st && !done && strcmp(st, "pending") != 0;
        if (done || other_end || jt_mono_ms() >= deadline) {
            char *err = row_col(c, id, "last_error");
            long long attempts = row_int(c, id, "attempts");
            char stc[16];
            snprintf(stc, sizeof stc, "%s", st ? st : "?");
            free(st);
            if (done) {
                free(err);
                return;
            }
            char errc[300];
            snprintf(errc, sizeof errc, "%s", err ? err : "(null)");
            free(err);
            fail_msg("outbox row %lld is '%s' (want '%s'; waited at most %d ms): attempts "
                     "%lld, last_error %s; the fake got %zu requests",
                     id, stc, want, ms, attempts, errc, jt_fake_count(c->fake));
        }
        free(st);
        jt_sleep_ms(100);
    }
}

/* The k-th request carrying text as Body; fails the test when there is none. */
static const jt_fake_request *request_with(outbox_ctx *c, const char *text, size_t k)
{
    long i = jt_fake_find_field(c->fake, "Body", text, k);
    if (i < 0)
        fail_msg("the fake got no request #%zu with the queued text (%zu requests in all)", k,
                 jt_fake_count(c->fake));
    return jt_fake_get(c->fake, (size_t)i);
}

/* A request must be Twilio's Messages API call from this account to reporter with text. */
static void expect_twilio_send(outbox_ctx *c, const jt_fake_request *q, const char *reporter,
                               const char *text)
{
    char path[128], cred[160], auth[256];
    snprintf(path, sizeof path, "/2010-04-01/Accounts/%s/Messages.json", c->account_sid);
    snprintf(cred, sizeof cred, "%s:%s", c->account_sid, c->srv.token);
    memcpy(auth, "Basic ", 6);
    base64(cred, auth + 6, sizeof auth - 6);

    assert_string_equal(q->method, "POST");
    assert_string_equal(q->path, path);
    assert_string_equal(q->authorization, auth);
    if (strncmp(q->content_type, "application/x-www-form-urlencoded", 33) != 0)
        fail_msg("Content-Type %s, want a form", q->content_type);
    assert_false(q->truncated);
    const char *to = jt_fake_field_get(q, "To");
    const char *from = jt_fake_field_get(q, "From");
    const char *body = jt_fake_field_get(q, "Body");
    assert_non_null(to);
    assert_non_null(from);
    assert_non_null(body);
    assert_string_equal(to, reporter);
    assert_string_equal(from, TWILIO_FROM);
    assert_string_equal(body, text);
    /* Nothing else in the form: To, From and Body only. */
    assert_int_equal(q->nform, 3);
}

static void expect_sent_row(outbox_ctx *c, long long id, long long attempts)
{
    assert_int_equal(row_int(c, id, "attempts"), attempts);
    char *sent_at = row_col(c, id, "sent_at");
    char *err = row_col(c, id, "last_error");
    bool has_sent_at = sent_at != NULL;
    char errc[300];
    snprintf(errc, sizeof errc, "%s", err ? err : "");
    free(sent_at);
    free(err);
    assert_true(has_sent_at);
    if (errc[0])
        fail_msg("a sent row keeps last_error \"%s\"", errc);
}

/* Whether s holds a run of at least min ASCII digits. */
static bool has_digit_run(const char *s, size_t min)
{
    size_t run = 0;
    for (; s && *s; s++) {
        run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
        if (run >= min)
            return true;
    }
    return false;
}

static void expect_no_reporter_number(const char *text, const char *where)
{
    static const char *const numbers[] = {REPORTER_DIGITS, REPORTER2_DIGITS, REPORTER3_DIGITS};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (jt_contains_number(text, numbers[i]))
            fail_msg("%s holds the reporter's number %s", where, numbers[i]);
}

/* How many times the log at path says "<event> id=<id> ". */
static int log_count(const char *path, const char *event, long long id)
{
    jt_text log = {0};
    char needle[96];
    int n = 0;
    jt_read_file(path, &log);
    snprintf(needle, sizeof needle, " %s id=%lld ", event, id);
    for (const char *p = jt_text_str(&log); (p = strstr(p, needle)) != NULL;
         p += strlen(needle))
        n++;
    jt_text_free(&log);
    return n;
}

/* ---- setup --------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    outbox_ctx *c = calloc(1, sizeof *c);
    jt_cmd r;
    char hex[40];
    assert_non_null(c);
    *state = c;

    c->fake = jt_fake_start();
    jt_db_create(&c->db, jt_env("JIANFU_TEST_PGHOST"), "outbox");
    const char *argv[] = {jt_env("JIANFU_TEST_BIN"), "migrate", NULL};
    const char *menv[] = {c->db.url_env, NULL};
    jt_run(&r, argv, menv, NULL, JT_CMD_TIMEOUT_MS);
    if (r.status != 0)
        fail_msg("migrate exited %d: %s", r.status, jt_text_str(&r.err));
    jt_cmd_free(&r);

    /* An account SID as Twilio writes them: AC and 32 hex digits. */
    jt_new_sid(hex);
    memcpy(c->account_sid, "AC", 2);
    memcpy(c->account_sid + 2, hex + 2, 32);
    c->account_sid[34] = '\0';
    snprintf(c->tag, sizeof c->tag, "t%.8s", hex + 2);
    snprintf(c->sid_env, sizeof c->sid_env, "JIANFU_TWILIO_ACCOUNT_SID=%s", c->account_sid);
    snprintf(c->from_env, sizeof c->from_env, "JIANFU_TWILIO_FROM=%s", TWILIO_FROM);
    snprintf(c->base_env, sizeof c->base_env, "JIANFU_TWILIO_API_BASE=%s",
             jt_fake_base_url(c->fake));
    size_t n = 0;
    c->env[n++] = c->sid_env;
    c->env[n++] = c->from_env;
    c->env[n++] = c->base_env;
    c->env[n++] = "JIANFU_OUTBOX_BACKOFF=1";
    c->env[n++] = "JIANFU_SEND_TIMEOUT=" XSTR_(SEND_TIMEOUT_S);
    c->env[n++] = "JIANFU_OUTBOX_MAX_ATTEMPTS=" XSTR_(MAX_ATTEMPTS);
    /* Whatever the developer's shell says, the fake is reached directly. */
    c->env[n++] = "NO_PROXY=127.0.0.1";
    c->env[n++] = "no_proxy=127.0.0.1";
    c->env[n] = NULL;
    jt_server_opts opts = {.env = c->env};
    jt_server_start_opts(&c->srv, c->db.conninfo, "outbox", &opts);

    c->complaint = make_complaint(c, &c->srv, REPORTER);
    return 0;
}

static int group_teardown(void **state)
{
    outbox_ctx *c = *state;
    if (!c)
        return 0;
    jt_server_kill(&c->srv2);
    jt_server_kill(&c->srv);
    jt_fake_stop(c->fake);
    jt_db_drop(&c->db);
    if (c->srv.key_file[0])
        unlink(c->srv.key_file);
    free(c);
    return 0;
}

static int test_setup(void **state)
{
    outbox_ctx *c = *state;
    jt_fake_reset(c->fake);
    return 0;
}

/* ---- the send paths ------------------------------------------------------------------ */

static void test_success(void **state)
{
    outbox_ctx *c = *state;
    char text[256];
    answer_text(c, "success", text, sizeof text);
    jt_fake_push(c->fake,
                 &(jt_fake_response){.status = 201,
                                     .body = "{\"sid\":\"SM00000000000000000000000000000000\","
                                             "\"status\":\"queued\"}"});

    long long id = queue(c, c->complaint, text);
    wait_row(c, id, "sent", SETTLE_MS);
    jt_sleep_ms(QUIET_MS);

    assert_int_equal(jt_fake_count_field(c->fake, "Body", text), 1);
    assert_int_equal(jt_fake_count(c->fake), 1);
    const jt_fake_request *q = request_with(c, text, 0);
    expect_twilio_send(c, q, REPORTER, text);
    assert_int_equal(q->status, 201);
    expect_sent_row(c, id, 1);
    assert_int_equal(log_count(c->srv.stderr_path, "outbox.sent", id), 1);
}

static void test_503_then_success(void **state)
{
    outbox_ctx *c = *state;
    char text[256];
    answer_text(c, "503", text, sizeof text);
    jt_fake_push(c->fake, &(jt_fake_response){.status = 503, .body = TWILIO_503});
    jt_fake_push(c->fake,
                 &(jt_fake_response){.status = 201, .body = "{\"status\":\"queued\"}"});

    long long id = queue(c, c->complaint, text);
    wait_row(c, id, "sent", SETTLE_MS);
    jt_sleep_ms(QUIET_MS);

    assert_int_equal(jt_fake_count_field(c->fake, "Body", text), 2);
    assert_int_equal(jt_fake_count(c->fake), 2);
    const jt_fake_request *q0 = request_with(c, text, 0), *q1 = request_with(c, text, 1);
    expect_twilio_send(c, q0, REPORTER, text);
    expect_twilio_send(c, q1, REPORTER, text);
    assert_int_equal(q0->status, 503);
    assert_int_equal(q1->status, 201);
    expect_sent_row(c, id, 2);
    assert_int_equal(log_count(c->srv.stderr_path, "outbox.retry", id), 1);
}

static void test_429_retry_after(void **state)
{
    outbox_ctx *c = *state;
    char text[256];
    answer_text(c, "429", text, sizeof text);
    jt_fake_push(c->fake, &(jt_fake_response){.status = 429,
                                              .body = TWILIO_429,
                                              .retry_after = XSTR_(RETRY_AFTER_S)});
    jt_fake_push(c->fake,
                 &(jt_fake_response){.status = 201, .body = "{\"status\":\"queued\"}"});

    long long id = queue(c, c->complaint, text);
    wait_row(c, id, "sent", SETTLE_MS);

    assert_int_equal(jt_fake_count_field(c->fake, "Body", text), 2);
    const jt_fake_request *q0 = request_with(c, text, 0), *q1 = request_with(c, text, 1);
    expect_twilio_send(c, q1, REPORTER, text);
    assert_int_equal(q0->status, 429);
    assert_int_equal(q1->status, 201);
    int64_t gap = q1->at_ms - q0->at_ms;
    /* The backoff alone would retry after 1 s; Retry-After asks for RETRY_AFTER_S. A few
     * ms of slack for the two clocks (PostgreSQL's now() and this process's). */
    if (gap < RETRY_AFTER_S * 1000 - 50)
        fail_msg("the retry came %lld ms after a 429 with Retry-After: %d", (long long)gap,
                 RETRY_AFTER_S);
    expect_sent_row(c, id, 2);
}

static void test_timeout(void **state)
{
    outbox_ctx *c = *state;
    char text[256];
    answer_text(c, "timeout", text, sizeof text);
    /* Held far longer than JIANFU_SEND_TIMEOUT; the late 201 must not count. */
    jt_fake_push(c->fake, &(jt_fake_response){.status = 201, .hang_ms = HANG_MS});
    jt_fake_push(c->fake,
                 &(jt_fake_response){.status = 201, .body = "{\"status\":\"queued\"}"});

    long long id = queue(c, c->complaint, text);
    wait_row(c, id, "sent", SETTLE_MS);

    assert_int_equal(jt_fake_count_field(c->fake, "Body", text), 2);
    const jt_fake_request *q0 = request_with(c, text, 0), *q1 = request_with(c, text, 1);
    expect_twilio_send(c, q0, REPORTER, text);
    expect_twilio_send(c, q1, REPORTER, text);
    assert_int_equal(q0->hang_ms, HANG_MS);
    int64_t gap = q1->at_ms - q0->at_ms;
    /* Gave up after the send timeout, not before, and did not wait for the answer. */
    if (gap < SEND_TIMEOUT_S * 1000 - 50 || gap >= HANG_MS)
        fail_msg("the retry after a hung request came %lld ms after it (timeout %d s, hang "
                 "%d ms)",
                 (long long)gap, SEND_TIMEOUT_S, HANG_MS);
    expect_sent_row(c, id, 2);
    assert_int_equal(log_count(c->srv.stderr_path, "outbox.retry", id), 1);
}

static void test_permanent_400(void **state)
{
    outbox_ctx *c = *state;
    char text[256];
    jt_text log = {0};
    answer_text(c, "400", text, sizeof text);
    jt_fake_push(c->fake, &(jt_fake_response){.status = 400, .body = TWILIO_21211});
    /* Should a retry come anyway, it would succeed and show up as a second request. */
    jt_fake_set_default(c->fake, &(jt_fake_response){.status = 201, .body = "{}"});

    long long id = queue(c, c->complaint, text);
    wait_row(c, id, "dead", SETTLE_MS);
    jt_sleep_ms(QUIET_MS);

    assert_int_equal(jt_fake_count_field(c->fake, "Body", text), 1);
    expect_twilio_send(c, request_with(c, text, 0), REPORTER, text);
    assert_int_equal(row_int(c, id, "attempts"), 1);
    char *err = row_col(c, id, "last_error");
    char errc[300];
    snprintf(errc, sizeof errc, "%s", err ? err : "");
    free(err);
    if (!jt_contains(errc, "21211"))
        fail_msg("last_error \"%s\" lacks Twilio's error code 21211", errc);
    if (has_digit_run(errc, 7))
        fail_msg("last_error \"%s\" keeps a run of 7 or more digits", errc);
    expect_no_reporter_number(errc, "last_error");
    char *sent_at = row_col(c, id, "sent_at");
    bool has_sent_at = sent_at != NULL;
    free(sent_at);
    assert_false(has_sent_at);

    assert_int_equal(log_count(c->srv.stderr_path, "outbox.dead", id), 1);
    jt_read_file(c->srv.stderr_path, &log);
    expect_no_reporter_number(jt_text_str(&log), "the server's log");
    jt_text_free(&log);
}

static void test_500_forever(void **state)
{
    outbox_ctx *c = *state;
    char text[256];
    answer_text(c, "500", text, sizeof text);
    jt_fake_set_default(c->fake, &(jt_fake_response){.status = 500, .body = TWILIO_500});

    long long id = queue(c, c->complaint, text);
    wait_row(c, id, "dead", SETTLE_MS);
    jt_sleep_ms(QUIET_MS);

    assert_int_equal(jt_fake_count_field(c->fake, "Body", text), MAX_ATTEMPTS);
    for (size_t k = 0; k < MAX_ATTEMPTS; k++)
        expect_twilio_send(c, request_with(c, text, k), REPORTER, text);
    assert_int_equal(row_int(c, id, "attempts"), MAX_ATTEMPTS);
    char *err = row_col(c, id, "last_error");
    bool said = err && jt_contains(err, "500");
    free(err);
    assert_true(said);
    assert_int_equal(log_count(c->srv.stderr_path, "outbox.retry", id), MAX_ATTEMPTS - 1);
    assert_int_equal(log_count(c->srv.stderr_path, "outbox.dead", id), 1);
}

/* ---- department robots --------------------------------------------------------------- */

/* The notification row of department code for complaint id (waits until there is one). */
static long long notify_row(outbox_ctx *c, const char *dept_code)
{
    return jt_db_int(c->db.conn,
                     "SELECT o.id FROM outbox o JOIN departments d ON d.id = o.department_id"
                     " WHERE o.purpose = 'notify' AND d.code = $1 ORDER BY o.id DESC LIMIT 1",
                     dept_code, NULL);
}

/* Departments watching the triage queue are told about each new complaint through their
 * group robot, in the same transaction as the complaint: a WeCom robot gets its JSON text
 * at its key URL; a DingTalk robot with 加签 gets timestamp and a sign that is
 * base64(HMAC-SHA256(secret, timestamp "\n" secret)). Neither carries the complaint's
 * text or the reporter's number. */
static void test_department_robots(void **state)
{
    outbox_ctx *c = *state;
    char url_w[256], url_d[256], code_w[32], code_d[32];
    static const char secret[] = "SECtestrobotsecret0123456789";
    jt_fake_set_default(
        c->fake,
        &(jt_fake_response){.status = 200, .body = "{\"errcode\":0,\"errmsg\":\"ok\"}"});
    snprintf(code_w, sizeof code_w, "w%.8s", c->tag + 1);
    snprintf(code_d, sizeof code_d, "d%.8s", c->tag + 1);
    snprintf(url_w, sizeof url_w, "%s/cgi-bin/webhook/send?key=robotkey1",
             jt_fake_base_url(c->fake));
    snprintf(url_d, sizeof url_d, "%s/robot/send?access_token=robottoken2",
             jt_fake_base_url(c->fake));
    free(jt_db_value(
        c->db.conn,
        "INSERT INTO departments (code, name, notify_kind, notify_url, notify_triage)"
        " VALUES ($1, '市减负办', 'wecom_robot', $2, true) RETURNING code",
        code_w, url_w, NULL));
    free(jt_db_value(
        c->db.conn,
        "INSERT INTO departments (code, name, notify_kind, notify_url, notify_secret,"
        " notify_triage) VALUES ($1, '县减负办', 'dingtalk_robot', $2, $3, true)"
        " RETURNING code",
        code_d, url_d, secret, NULL));

    long long complaint = make_complaint(c, &c->srv, REPORTER2);
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", complaint);
    char *ticket =
        jt_db_value(c->db.conn, "SELECT code FROM complaints WHERE id = $1", cid, NULL);
    long long wid = notify_row(c, code_w), did = notify_row(c, code_d);
    wait_row(c, wid, "sent", SETTLE_MS);
    wait_row(c, did, "sent", SETTLE_MS);
    /* No further Twilio sends happen in this test: the fake saw exactly the two robots. */
    assert_int_equal(jt_fake_wait_count(c->fake, 2, SETTLE_MS), 2);

    const jt_fake_request *w = NULL, *d = NULL;
    for (size_t i = 0; i < jt_fake_count(c->fake); i++) {
        const jt_fake_request *q = jt_fake_get(c->fake, i);
        if (strcmp(q->path, "/cgi-bin/webhook/send") == 0)
            w = q;
        else if (strcmp(q->path, "/robot/send") == 0)
            d = q;
    }
    assert_non_null(w);
    assert_non_null(d);
    assert_string_equal(w->method, "POST");
    assert_string_equal(jt_fake_field_get(w, "key"), "robotkey1");
    assert_non_null(strstr(w->body, "\"msgtype\":\"text\""));
    assert_non_null(strstr(w->body, ticket));
    assert_string_equal(jt_fake_field_get(d, "access_token"), "robottoken2");
    assert_non_null(strstr(d->body, ticket));

    /* DingTalk's 加签: sign = base64(HMAC-SHA256(secret, timestamp + "\n" + secret)). */
    const char *ts = jt_fake_field_get(d, "timestamp");
    const char *sign = jt_fake_field_get(d, "sign");
    assert_non_null(ts);
    assert_non_null(sign);
    char tosign[128], want[64];
    uint8_t mac[JF_SHA256_LEN];
    snprintf(tosign, sizeof tosign, "%s\n%s", ts, secret);
    assert_int_equal(jf_crypto_hmac_sha256(secret, strlen(secret), tosign, strlen(tosign), mac),
                     JF_ERR_OK);
    assert_int_equal(jf_crypto_base64_encode(mac, sizeof mac, want, sizeof want, NULL),
                     JF_ERR_OK);
    assert_string_equal(sign, want);
    long long ms = strtoll(ts, NULL, 10);
    assert_true(llabs(ms / 1000 - (long long)time(NULL)) < 60);

    /* The notification names the ticket, never the complaint or the reporter. */
    for (const jt_fake_request *q = w; q; q = q == w ? d : NULL) {
        assert_null(strstr(q->body, COMPLAINT_TEXT));
        assert_null(strstr(q->body, REPORTER2 + 3));
    }
    free(ticket);

    /* Stop watching, so later tests see only their own sends. */
    assert_int_equal(jt_db_int(c->db.conn,
                               "WITH u AS (UPDATE departments SET notify_triage = false"
                               " WHERE code IN ($1, $2) RETURNING 1) SELECT count(*) FROM u",
                               code_w, code_d, NULL),
                     2);
}

/* ---- two dispatchers ----------------------------------------------------------------- */

static void test_two_dispatchers(void **state)
{
    outbox_ctx *c = *state;
    static const char *const reporters[] = {REPORTER, REPORTER2, REPORTER3};
    long long complaints[3];
    char tag[64], ids_sql[] = "SELECT string_agg(id::text, ',' ORDER BY id) FROM outbox"
                              " WHERE body LIKE $1 || '%'";

    /* A second server on the same database and key file, as behind a load balancer. */
    jt_server_opts opts = {.env = c->env, .key_file = c->srv.key_file, .token = c->srv.token};
    jt_server_start_opts(&c->srv2, c->db.conninfo, "outbox2", &opts);
    complaints[0] = c->complaint;
    complaints[1] = make_complaint(c, &c->srv2, REPORTER2);
    complaints[2] = make_complaint(c, &c->srv, REPORTER3);
    jt_fake_set_default(c->fake, &(jt_fake_response){.status = 201, .body = "{}"});

    /* One statement: every row is due at the same moment for both dispatchers. */
    char c0[24], c1[24], c2[24], nrows[16];
    snprintf(c0, sizeof c0, "%lld", complaints[0]);
    snprintf(c1, sizeof c1, "%lld", complaints[1]);
    snprintf(c2, sizeof c2, "%lld", complaints[2]);
    snprintf(nrows, sizeof nrows, "%d", RACE_ROWS);
    snprintf(tag, sizeof tag, "[%s race]", c->tag);
    assert_int_equal(
        jt_db_int(c->db.conn,
                  "WITH q AS (INSERT INTO outbox (purpose, complaint_id, channel_kind,"
                  " channel_name, body)"
                  " SELECT 'answer', (ARRAY[$2, $3, $4]::bigint[])[g % 3 + 1], 'twilio',"
                  " 'default', $1 || ' #' || g FROM generate_series(1, $5::int) g"
                  " RETURNING 1) SELECT count(*) FROM q",
                  tag, c0, c1, c2, nrows, NULL),
        RACE_ROWS);

    int64_t deadline = jt_mono_ms() + RACE_MS;
    long long sent = 0;
    while ((sent = jt_db_int(c->db.conn,
                             "SELECT count(*) FROM outbox WHERE status = 'sent'"
                             " AND body LIKE $1 || '%'",
                             tag, NULL)) < RACE_ROWS &&
           jt_mono_ms() < deadline)
        jt_sleep_ms(200);
    if (sent < RACE_ROWS)
        fail_msg("%lld of %d rows sent after %d ms; the fake got %zu requests", sent, RACE_ROWS,
                 RACE_MS, jt_fake_count(c->fake));
    jt_sleep_ms(QUIET_MS);

    /* No row needed a second try: nothing failed, and none was claimed twice. */
    assert_int_equal(jt_db_int(c->db.conn,
                               "SELECT count(*) FROM outbox WHERE body LIKE $1 || '%'"
                               " AND (attempts <> 1 OR sent_at IS NULL)",
                               tag, NULL),
                     0);
    /* Every text exactly once, to its own reporter, and nothing else. */
    assert_int_equal(jt_fake_count(c->fake), RACE_ROWS);
    for (int g = 1; g <= RACE_ROWS; g++) {
        char text[96];
        snprintf(text, sizeof text, "%s #%d", tag, g);
        size_t n = jt_fake_count_field(c->fake, "Body", text);
        if (n != 1)
            fail_msg("the fake got \"%s\" %zu times", text, n);
        expect_twilio_send(c, request_with(c, text, 0), reporters[g % 3], text);
    }

    /* Each row logged as sent by exactly one process, and both processes sent some. */
    char *ids = jt_db_value(c->db.conn, ids_sql, tag, NULL);
    assert_non_null(ids);
    int by1 = 0, by2 = 0;
    for (char *p = ids; *p;) {
        long long id = strtoll(p, &p, 10);
        int n1 = log_count(c->srv.stderr_path, "outbox.sent", id);
        int n2 = log_count(c->srv2.stderr_path, "outbox.sent", id);
        if (n1 + n2 != 1) {
            free(ids);
            fail_msg("row %lld logged as sent %d times by server 1 and %d by server 2", id, n1,
                     n2);
        }
        by1 += n1;
        by2 += n2;
        if (*p == ',')
            p++;
    }
    free(ids);
    print_message("two dispatchers: %d rows sent by server 1, %d by server 2\n", by1, by2);
    assert_int_equal(by1 + by2, RACE_ROWS);
    assert_true(by1 > 0 && by2 > 0);
}

static void test_shutdown(void **state)
{
    outbox_ctx *c = *state;
    jt_text log = {0};
    assert_int_equal(
        jt_db_int(c->db.conn, "SELECT count(*) FROM outbox WHERE status = 'pending'", NULL), 0);
    if (c->srv2.pid > 0)
        assert_int_equal(jt_server_stop(&c->srv2), 0);
    assert_int_equal(jt_server_stop(&c->srv), 0);
    jt_read_file(c->srv.stderr_path, &log);
    expect_no_reporter_number(jt_text_str(&log), "server 1's log");
    if (c->srv2.stderr_path[0]) {
        jt_read_file(c->srv2.stderr_path, &log);
        expect_no_reporter_number(jt_text_str(&log), "server 2's log");
    }
    jt_text_free(&log);
}

int main(void)
{
    if (!jt_begin("test_outbox"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_success, test_setup),
        cmocka_unit_test_setup(test_503_then_success, test_setup),
        cmocka_unit_test_setup(test_429_retry_after, test_setup),
        cmocka_unit_test_setup(test_timeout, test_setup),
        cmocka_unit_test_setup(test_permanent_400, test_setup),
        cmocka_unit_test_setup(test_500_forever, test_setup),
        cmocka_unit_test_setup(test_two_dispatchers, test_setup),
        cmocka_unit_test_setup(test_department_robots, test_setup),
        cmocka_unit_test(test_shutdown),
    };
    return jt_end(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
