/* test_outage.c - the database goes away under a running `jianfu serve`, and comes back.
 *
 * A provider is told 2xx only after the complaint is committed; while PostgreSQL is down
 * it must be told 503 with Retry-After so that it retries, and the retry must create the
 * complaint exactly once. This test runs its own PostgreSQL cluster (made with
 * deploy/lib/pg.sh under $JIANFU_TEST_TMP) so that it can stop and start it without
 * disturbing the other tests.
 *
 * What it proves:
 *   - with the database up, signed SMS are stored and acknowledged (200 and a ticket);
 *     several are sent, so that, as on a busy server, every intake committer holds an
 *     open database connection when the outage begins;
 *   - with the database stopped, a new signed SMS gets 503 with a Retry-After of a whole
 *     number of seconds and no ticket code, and /readyz turns 503 "not ready" within a
 *     few seconds, while /healthz (the process is alive) stays 200;
 *   - once the database is back, /readyz returns to 200 by itself, the provider's retry of
 *     the very same request gets 200 with a ticket, and every further retry 200 with the
 *     same ticket - whichever committer takes it, none may answer from a connection the
 *     restart closed - and exactly one complaint exists for that MessageSid (those stored
 *     before the outage are untouched);
 *   - the server survives the outage and still shuts down cleanly (exit 0) on SIGTERM.
 * Needs ./tests/run.
 */
#include "harness.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SENDER "+86 137-0013-7000"
#define BODY "乡里要求每个村每周报三张表，同一组数据填了五遍。"
/* How long /readyz may take to notice either way (it looks once a second). */
#define READY_NOTICE_MS 10000
/* How long a restarted cluster and the server's reconnection may take. */
#define RECOVERY_MS 30000
/* SMS stored before the outage: enough to have every committer (default 2) connected. */
#define WARM_UP 8
/* Retries of the refused message after the recovery, all of which must succeed. */
#define RETRIES 4

typedef struct {
    char dir[512]; /* the cluster: dir/data, socket in dir/run */
    char host[600];
    jt_db db;
    jt_server srv;
    char code0[11]; /* the first stored before the outage */
    char sid1[35];  /* the message sent during the outage */
} outage_ctx;

static int cluster(outage_ctx *c, const char *fn)
{
    char script[1200];
    snprintf(script, sizeof script, "%s '%s'%s", fn, c->dir,
             strcmp(fn, "pg_create") == 0 ? " --nosync" : "");
    return jt_pg_sh(script);
}

static void params(jt_param p[4], const char *sid)
{
    p[0] = (jt_param){"Body", BODY};
    p[1] = (jt_param){"From", SENDER};
    p[2] = (jt_param){"MessageSid", sid};
    p[3] = (jt_param){"To", "10690000"};
}

static void post(outage_ctx *c, const char *sid, jt_http_resp *resp)
{
    jt_param p[4];
    params(p, sid);
    jt_twilio_post(&c->srv, "/webhooks/twilio", p, 4, NULL, resp);
}

static long get_status(outage_ctx *c, const char *path, jt_http_resp *resp)
{
    char url[256];
    jt_http_get(jt_server_url(&c->srv, path, url, sizeof url), resp);
    return resp->status;
}

/* Poll path until it answers want, for at most ms; returns the last status. */
static long poll_status(outage_ctx *c, const char *path, long want, int ms)
{
    int64_t deadline = jt_mono_ms() + ms;
    long st = 0;
    do {
        jt_http_resp resp;
        st = get_status(c, path, &resp);
        jt_http_resp_free(&resp);
        if (st == want)
            break;
        jt_sleep_ms(100);
    } while (jt_mono_ms() < deadline);
    return st;
}

static long long complaints_with_sid(outage_ctx *c, const char *sid)
{
    return jt_db_int(c->db.conn,
                     "SELECT count(*) FROM inbound_messages m JOIN complaints x"
                     " ON x.id = m.complaint_id WHERE m.provider_msg_id = $1",
                     sid, NULL);
}

static int group_setup(void **state)
{
    outage_ctx *c = calloc(1, sizeof *c);
    jt_cmd r;
    assert_non_null(c);
    *state = c;
    /* Directly under JIANFU_TEST_TMP with a data/ subdirectory: tests/run's cleanup stops
     * it should this test die before its teardown. */
    snprintf(c->dir, sizeof c->dir, "%s/outage_%ld", jt_env("JIANFU_TEST_TMP"), (long)getpid());
    snprintf(c->host, sizeof c->host, "%s/run", c->dir);
    if (cluster(c, "pg_create") != 0 || cluster(c, "pg_start") != 0)
        fail_msg("cannot create and start a cluster in %s", c->dir);
    jt_db_create(&c->db, c->host, "outage");
    const char *argv[] = {jt_env("JIANFU_TEST_BIN"), "migrate", NULL};
    const char *env[] = {c->db.url_env, NULL};
    jt_run(&r, argv, env, NULL, JT_CMD_TIMEOUT_MS);
    if (r.status != 0)
        fail_msg("migrate exited %d: %s", r.status, jt_text_str(&r.err));
    jt_cmd_free(&r);
    jt_server_start(&c->srv, c->db.conninfo, "outage");
    return 0;
}

static int group_teardown(void **state)
{
    outage_ctx *c = *state;
    if (!c)
        return 0;
    jt_server_kill(&c->srv);
    PQfinish(c->db.conn);
    c->db.conn = NULL;
    if (c->dir[0]) {
        char script[1200];
        snprintf(script, sizeof script, "pg_stop '%s' && rm -rf '%s'", c->dir, c->dir);
        jt_pg_sh(script);
    }
    if (c->srv.key_file[0])
        unlink(c->srv.key_file);
    free(c);
    return 0;
}

static void test_stored_while_up(void **state)
{
    outage_ctx *c = *state;
    for (int i = 0; i < WARM_UP; i++) {
        jt_http_resp resp;
        char sid[35], code[11];
        jt_new_sid(sid);
        post(c, sid, &resp);
        if (resp.status != 200)
            fail_msg("SMS with the database up: HTTP %ld: %s", resp.status,
                     jt_text_str(&resp.body));
        assert_true(jt_ticket_in(jt_text_str(&resp.body), code));
        jt_http_resp_free(&resp);
        assert_int_equal(complaints_with_sid(c, sid), 1);
        if (i == 0)
            memcpy(c->code0, code, sizeof code);
    }
    assert_int_equal(jt_db_int(c->db.conn, "SELECT count(*) FROM complaints", NULL), WARM_UP);
}

static void test_503_while_down(void **state)
{
    outage_ctx *c = *state;
    jt_http_resp resp;
    char retry[32], code[11];

    if (cluster(c, "pg_stop") != 0)
        fail_msg("pg_stop failed");

    jt_new_sid(c->sid1);
    post(c, c->sid1, &resp);
    if (resp.status != 503)
        fail_msg("SMS with the database down: HTTP %ld, want 503: %s", resp.status,
                 jt_text_str(&resp.body));
    if (!jt_http_header(&resp, "Retry-After", retry, sizeof retry))
        fail_msg("503 without Retry-After; headers: %s", jt_text_str(&resp.headers));
    char *end = NULL;
    long secs = strtol(retry, &end, 10);
    assert_true(end != retry && *end == '\0' && secs > 0);
    /* Nothing in it that a provider could take for an acceptance. */
    assert_false(jt_ticket_in(jt_text_str(&resp.body), code));
    assert_false(jt_contains(jt_text_str(&resp.body), "<Message>"));
    jt_http_resp_free(&resp);

    long st = poll_status(c, "/readyz", 503, READY_NOTICE_MS);
    if (st != 503)
        fail_msg("/readyz still %ld %d ms after the database stopped", st, READY_NOTICE_MS);
    get_status(c, "/readyz", &resp);
    json_error_t jerr;
    json_t *j = json_loads(jt_text_str(&resp.body), 0, &jerr);
    const char *s = j ? json_string_value(json_object_get(j, "status")) : NULL;
    bool not_ready = s && strcmp(s, "not ready") == 0;
    json_decref(j);
    if (!not_ready)
        fail_msg("/readyz body while down: %s", jt_text_str(&resp.body));
    jt_http_resp_free(&resp);
    /* The process itself is alive: liveness must not flap with the database. */
    assert_int_equal(get_status(c, "/healthz", &resp), 200);
    jt_http_resp_free(&resp);
}

static void test_retry_after_recovery(void **state)
{
    outage_ctx *c = *state;
    jt_http_resp resp;
    char code1[11], again[11];
    assert_true(c->sid1[0]);

    if (cluster(c, "pg_start") != 0)
        fail_msg("pg_start failed");
    long st = poll_status(c, "/readyz", 200, RECOVERY_MS);
    if (st != 200)
        fail_msg("/readyz still %ld %d ms after the database came back", st, RECOVERY_MS);

    /* The provider retries the very request it was refused, as often as it likes. */
    for (int i = 0; i < RETRIES; i++) {
        post(c, c->sid1, &resp);
        if (resp.status != 200)
            fail_msg("retry %d after the database came back (and /readyz said so): HTTP %ld, "
                     "want 200: %s",
                     i + 1, resp.status, jt_text_str(&resp.body));
        assert_true(jt_ticket_in(jt_text_str(&resp.body), i == 0 ? code1 : again));
        jt_http_resp_free(&resp);
        if (i > 0)
            assert_string_equal(again, code1);
    }
    assert_string_not_equal(code1, c->code0);

    jt_db_reconnect(&c->db);
    assert_int_equal(complaints_with_sid(c, c->sid1), 1);
    assert_int_equal(
        jt_db_int(c->db.conn, "SELECT count(*) FROM complaints WHERE code = $1", code1, NULL),
        1);
    assert_int_equal(jt_db_int(c->db.conn, "SELECT count(*) FROM complaints", NULL),
                     WARM_UP + 1);
    assert_int_equal(jt_db_int(c->db.conn, "SELECT count(*) FROM complaints WHERE code = $1",
                               c->code0, NULL),
                     1);
}

static void test_clean_shutdown(void **state)
{
    outage_ctx *c = *state;
    jt_text log = {0};
    int status = jt_server_stop(&c->srv);
    jt_read_file(c->srv.stderr_path, &log);
    if (status != 0)
        fail_msg("jianfu serve exited %d after SIGTERM; its stderr:\n%s", status, log.data);
    /* It noticed both the loss and the return of the database. */
    assert_true(jt_contains(log.data, "ready.lost"));
    assert_true(jt_contains(log.data, "ready.ok"));
    assert_false(jt_contains_number(log.data, "13700137000"));
    jt_text_free(&log);
}

int main(void)
{
    if (!jt_begin("test_outage"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stored_while_up),
        cmocka_unit_test(test_503_while_down),
        cmocka_unit_test(test_retry_after_recovery),
        cmocka_unit_test(test_clean_shutdown),
    };
    return jt_end(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
