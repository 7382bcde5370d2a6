/* test_show.c - the coordinators' view of why a complaint went where it went (issue 4):
 * `jianfu show CODE`, `jianfu triage` and `jianfu triage stats`, against the real jianfu
 * binary and PostgreSQL.
 *
 * The group set-up trains a model on the shipped corpus, makes departments jiaoyu (县教育局,
 * alias 教体局) and tongji (forms' default department), and takes in three SMS through
 * signed Twilio webhooks, all from SENDER: a forms complaint naming 教体局 that also quotes
 * a phone number (assigned to jiaoyu, by=named), a question from the public (category
 * other: triage queue), and, after a restart with JIANFU_TRIAGE_THRESHOLD=0.999999, a long
 * forms complaint (confidence below the threshold: triage queue).
 *
 * What it proves:
 *   - `show CODE` (typed in lower case) prints the ticket, status, channel kind, category
 *     with its Chinese name, department code and name, confidence, urgency, the time of
 *     receipt and the three deadlines exactly as stored (RFC 3339, +08:00), the redacted
 *     body, the route reason in words ("named department 教体局 in the text → jiaoyu
 *     县教育局") and the timeline's 'received' entry; a complaint in triage shows
 *     "triage queue" and why it waits (not a burden complaint / below the threshold 0.999999,
 *     the JIANFU_TRIAGE_THRESHOLD intake recorded in the route reason);
 *   - the threshold is rendered with two decimals when they say it exactly ("confidence
 *     0.41 below the threshold 0.50"), a confidence that two decimals would round up to
 *     it with six ("0.499900"), and a route reason stored before intake recorded the
 *     threshold as before ("... below the threshold → triage queue");
 *   - an unknown or malformed ticket code is exit 2 with "no complaint with ticket code X"
 *     and prints nothing on stdout; bad options are exit 2;
 *   - `show --format json` is one valid JSON object with every field, the stored route
 *     reason as an object, the rendered reason and the events;
 *   - `triage` lists exactly the two complaints in triage, oldest first, each with its
 *     guess, reason and the start of its text (the long one cut, marked "…"); `--limit 1`
 *     lists the oldest only and says how many wait; `--format json` and `--format csv`
 *     carry the same rows; an empty queue says so (and is [] in JSON);
 *   - `jianfu correct` takes the ticket code in lower case as show does, and refuses a
 *     malformed one (exit 2, "no complaint with ticket code abc");
 *   - after `jianfu correct --dept`, show says the complaint was re-routed by a
 *     coordinator, the timeline has the correction after the receipt, and the queue
 *     shrinks;
 *   - `triage stats`, after the routed complaint's category and department are corrected
 *     too, counts what intake did and what coordinators changed since: 1 routed (category
 *     and department changed, forms → apps), 2 left for triage (other: decided, category
 *     kept; below the threshold: waiting), per category and in JSON alike; a period counts
 *     only what arrived in it; a malformed or backwards period, another format or another
 *     option is exit 2;
 *   - nothing printed by any of these commands, in any format, contains the sender's
 *     number, the number quoted in the text, the reporter key, a provider message id or
 *     the names of the columns that hold them.
 * Needs ./tests/run.
 */
#include "harness.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Training under the sanitizers, with another test running beside it, takes a while. */
#define TRAIN_TIMEOUT_MS 150000

/* The "why" intake stores for a confidence below the threshold (JF_TRIAGE_WHY_BELOW). */
#define JF_WHY_BELOW "confidence below the threshold: a coordinator decides"

#define SENDER "+86 138-0013-8000"
#define SENDER_DIGITS "13800138000"
#define QUOTED_DIGITS "13912345678"
#define SHORT_CODE "10690000"

#define NAMED_TEXT                                                                                                          \
    "教体局又要我们填一张学生资助统计表，跟上周报的数据一模一样，同一个数据反复要，" \
    "有事打13912345678"
#define QUESTION_TEXT "你好，请问社保卡怎么补办"
#define LONG_FORMS_TEXT                                                                                                  \
    "各部门轮番要我们填表报数据，同样的数据统计表每周都要重报一遍，表格层层加码，" \
    "下周还要再报一次"
/* The first 40 characters of LONG_FORMS_TEXT: what the queue shows of it. */
#define LONG_FORMS_EXCERPT                                                                     \
    "各部门轮番要我们填表报数据，同样的数据统计表每周都要重报一遍，表格层层加码，下周"

static struct {
    char dir[512];
    char model[600];
    char model_env[700];
    jt_db db;
    bool has_db;
    jt_server srv;
    char named[11], question[11], long_forms[11];
    char sids[3][35];
    char reporter_hex[65];
} G;

/* ---- helpers ------------------------------------------------------------------------- */

static void serve(const char *tag, const char *const *env)
{
    jt_server_opts o = {.env = env, .key_file = NULL, .token = NULL};
    jt_server_start_opts(&G.srv, G.db.conninfo, tag, &o);
}

static void stop(void)
{
    int st = jt_server_stop(&G.srv);
    if (st != 0) {
        jt_text log = {0};
        jt_read_file(G.srv.stderr_path, &log);
        print_error("serve log:\n%s\n", jt_text_str(&log));
        jt_text_free(&log);
        fail_msg("jianfu serve exited %d after SIGTERM, want 0", st);
    }
    unlink(G.srv.key_file);
}

/* A ticket code as a coordinator might type it: in lower case. */
static void lower_case(const char code[11], char out[11])
{
    for (size_t i = 0; i < 11; i++)
        out[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32 : code[i]);
}

/* expr over complaints c for ticket code, as text (caller frees; NULL for SQL NULL). */
static char *field(const char *code, const char *expr)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT (%s)::text FROM complaints c WHERE c.code = $1", expr);
    return jt_db_value(G.db.conn, sql, code, NULL);
}

/* Column col of complaint code as jianfu prints an instant: RFC 3339 in +08:00. */
static char *instant(const char *code, const char *col)
{
    char expr[200];
    snprintf(
        expr, sizeof expr,
        "to_char(c.%s AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')",
        col);
    return field(code, expr);
}

/* out must contain want; the failure shows both. */
static void expect_in(const char *out, const char *want, const char *what)
{
    if (!jt_contains(out, want))
        fail_msg("%s does not contain \"%s\":\n%s", what, want, out);
}

/* Nothing that identifies the reporter or their message, nor a column that holds it, may
 * appear in what coordinators are shown. */
static void expect_anonymous(const char *out, const char *what)
{
    static const char *const columns[] = {"reporter_key", "pseudonym_kid", "channel_name",
                                          "provider_msg_id", "sealed"};
    if (jt_contains_number(out, SENDER_DIGITS))
        fail_msg("%s contains the sender's number:\n%s", what, out);
    if (jt_contains_number(out, QUOTED_DIGITS))
        fail_msg("%s contains the number quoted in the text:\n%s", what, out);
    if (jt_contains(out, G.reporter_hex) || jt_has_hex_run(out, 32))
        fail_msg("%s contains the reporter key or another long hex string:\n%s", what, out);
    for (size_t i = 0; i < 3; i++)
        if (jt_contains(out, G.sids[i]) || jt_contains(out, G.sids[i] + 2))
            fail_msg("%s contains a provider message id:\n%s", what, out);
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (jt_contains(out, columns[i]))
            fail_msg("%s mentions %s:\n%s", what, columns[i], out);
}

/* The complaint fields `show` prints, compared with the database. */
static void expect_shown_as_stored(const char *out, const char *code)
{
    static const struct {
        const char *label, *column;
    } times[] = {{"received", "received_at"},
                 {"acknowledge by", "ack_due"},
                 {"answer by", "answer_due"},
                 {"resolve by", "resolve_due"}};
    char line[200];
    snprintf(line, sizeof line, "ticket          %s\n", code);
    expect_in(out, line, "show");
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char *at = instant(code, times[i].column);
        snprintf(line, sizeof line, "%-16s%s\n", times[i].label, at);
        free(at);
        expect_in(out, line, "show");
    }
    expect_in(out, "channel         twilio\n", "show");
    expect_in(out, "\ntimeline\n", "show");
    expect_anonymous(out, "show");
}

/* `jianfu ARGS...` (args NULL-terminated) must be refused: exit 2, a message containing
 * want on stderr and nothing on stdout. */
static void expect_refused(const char *want, const char *const *args)
{
    const char *argv[8] = {jt_env("JIANFU_TEST_BIN")};
    char what[300] = "jianfu";
    size_t n = 1;
    for (; args[n - 1] && n < sizeof argv / sizeof argv[0] - 1; n++) {
        argv[n] = args[n - 1];
        snprintf(what + strlen(what), sizeof what - strlen(what), " %s", args[n - 1]);
    }
    argv[n] = NULL;
    const char *env[] = {G.db.url_env, NULL};
    jt_cmd r;
    jt_run(&r, argv, env, NULL, JT_CMD_TIMEOUT_MS);
    bool ok = r.status == 2 && jt_contains(jt_text_str(&r.err), want) && r.out.len == 0;
    if (!ok) {
        char msg[1200];
        snprintf(msg, sizeof msg,
                 "%s: exit %d, stdout \"%s\", stderr \"%s\"; want 2, no output and \"%s\"",
                 what, r.status, jt_text_str(&r.out), jt_text_str(&r.err), want);
        jt_cmd_free(&r);
        fail_msg("%s", msg);
    }
    jt_cmd_free(&r);
}

static json_t *parse_json(const char *out, const char *what)
{
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    if (!j)
        fail_msg("%s is not valid JSON (%s, line %d):\n%s", what, e.text, e.line, out);
    return j;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        fail_msg("no string \"%s\" in the JSON", key);
    return s;
}

/* ---- set-up -------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    jt_cmd r;
    char corpus[600];
    memset(&G, 0, sizeof G);
    snprintf(G.dir, sizeof G.dir, "%s/show_%ld", jt_env("JIANFU_TEST_TMP"), (long)getpid());
    jt_mkdir(G.dir);
    snprintf(corpus, sizeof corpus, "%s/triage/data/corpus.tsv", jt_env("JIANFU_TEST_ROOT"));
    snprintf(G.model, sizeof G.model, "%s/model.bin", G.dir);
    snprintf(G.model_env, sizeof G.model_env, "JIANFU_MODEL_FILE=%s", G.model);
    if (jt_jianfu(NULL, &r, NULL, TRAIN_TIMEOUT_MS, "train", "--corpus", corpus, "--out",
                  G.model, NULL) != 0)
        fail_msg("jianfu train: exit %d: %s", r.status, jt_text_str(&r.err));
    jt_cmd_free(&r);

    jt_db_create(&G.db, jt_env("JIANFU_TEST_PGHOST"), "show");
    G.has_db = true;
    JT_OK(&G.db, "migrate");
    JT_OK(&G.db, "dept", "add", "--code", "jiaoyu", "--name", "县教育局", "--alias", "教体局");
    JT_OK(&G.db, "dept", "add", "--code", "tongji", "--name", "县统计局");
    JT_OK(&G.db, "category", "set", "forms", "--dept", "tongji");

    /* An empty queue first, before anything arrives. */
    jt_text out = {0};
    JT_OUT(&G.db, out, "triage");
    expect_in(jt_text_str(&out), "the triage queue is empty", "triage on an empty queue");
    jt_text_free(&out);
    JT_OUT(&G.db, out, "triage", "--format", "json");
    json_t *j = parse_json(jt_text_str(&out), "triage --format json on an empty queue");
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
    jt_text_free(&out);

    const char *env1[] = {G.model_env, NULL};
    serve("show1", env1);
    jt_post_sms(&G.srv, SENDER, SHORT_CODE, NAMED_TEXT, G.named, G.sids[0]);
    jt_post_sms(&G.srv, SENDER, SHORT_CODE, QUESTION_TEXT, G.question, G.sids[1]);
    stop();
    const char *env2[] = {G.model_env, "JIANFU_TRIAGE_THRESHOLD=0.999999", NULL};
    serve("show2", env2);
    jt_post_sms(&G.srv, SENDER, SHORT_CODE, LONG_FORMS_TEXT, G.long_forms, G.sids[2]);
    stop();

    /* What the model made of them; the tests below rely on it. */
    char *s = field(G.named, "c.status || ' ' || c.category || ' ' || (c.route_reason->>'by')");
    assert_string_equal(s, "assigned forms named");
    free(s);
    s = field(G.question, "c.status || ' ' || c.category");
    assert_string_equal(s, "triage other");
    free(s);
    s = field(G.long_forms, "c.status || ' ' || c.category || ' ' || (c.route_reason->>'why')");
    assert_string_equal(s, "triage forms " JF_WHY_BELOW);
    free(s);
    /* The threshold in force is recorded only where it decided. */
    s = field(G.long_forms, "(c.route_reason->>'threshold')::float8 = 0.999999");
    assert_string_equal(s, "true");
    free(s);
    s = field(G.named, "c.route_reason ? 'threshold'");
    assert_string_equal(s, "false");
    free(s);
    s = field(G.named, "encode(c.reporter_key, 'hex')");
    snprintf(G.reporter_hex, sizeof G.reporter_hex, "%s", s);
    free(s);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    jt_server_kill(&G.srv);
    if (G.srv.key_file[0])
        unlink(G.srv.key_file);
    if (G.has_db)
        jt_db_drop(&G.db);
    return 0;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_show_named(void **state)
{
    (void)state;
    char lower[11];
    jt_text out = {0};
    lower_case(G.named, lower);
    JT_OUT(&G.db, out, "show", lower);
    const char *o = jt_text_str(&out);
    expect_shown_as_stored(o, G.named);
    expect_in(o, "status          assigned\n", "show");
    expect_in(o, "category        forms 填表报数\n", "show");
    expect_in(o, "department      jiaoyu 县教育局\n", "show");
    expect_in(o, "urgent          no\n", "show");
    expect_in(o, "\nconfidence      ", "show");
    expect_in(o,
              "route           named department 教体局 in the text → jiaoyu 县教育局 "
              "(model: forms 填表报数, confidence ",
              "show");
    expect_in(o, "body (1 number redacted)\n    教体局又要我们填一张学生资助统计表", "show");
    expect_in(o, "  received   reporter   via twilio, assigned: named department 教体局",
              "show's timeline");
    jt_text_free(&out);
}

static void test_show_triage_reasons(void **state)
{
    (void)state;
    jt_text out = {0};
    JT_OUT(&G.db, out, "show", G.question);
    const char *o = jt_text_str(&out);
    expect_shown_as_stored(o, G.question);
    expect_in(o, "status          triage\n", "show");
    expect_in(o, "department      triage queue\n", "show");
    expect_in(o, "category        other 其他\n", "show");
    expect_in(o, "route           not a burden complaint (model: other 其他, confidence ",
              "show");
    expect_in(o, ") → triage queue\n", "show");
    expect_in(o, "\n    " QUESTION_TEXT "\n", "show");
    jt_text_free(&out);

    JT_OUT(&G.db, out, "show", G.long_forms);
    o = jt_text_str(&out);
    expect_shown_as_stored(o, G.long_forms);
    expect_in(o, "department      triage queue\n", "show");
    expect_in(o, "route           model: forms 填表报数, confidence 0.", "show");
    expect_in(o, " below the threshold 0.999999 → triage queue\n", "show");
    expect_in(o, "triage: model: forms 填表报数, confidence 0.", "show's timeline");
    expect_in(o, " below the threshold 0.999999 → triage queue\n", "show's timeline");
    expect_in(o, "\n    " LONG_FORMS_TEXT "\n", "show");
    jt_text_free(&out);
}

/* Set the route reason of complaint code to the JSON text reason (NULL: put back the one
 * saved in saved, which it fills on the first call). */
static void set_route_reason(const char *code, const char *reason, char **saved)
{
    if (!*saved)
        *saved = field(code, "c.route_reason");
    char *s = jt_db_value(G.db.conn,
                          "UPDATE complaints SET route_reason = $2::jsonb WHERE code = $1"
                          " RETURNING code",
                          code, reason ? reason : *saved, NULL);
    free(s);
}

/* The route line `show` prints for code. */
static void expect_route(const char *code, const char *want)
{
    jt_text out = {0};
    char line[400];
    JT_OUT(&G.db, out, "show", code);
    snprintf(line, sizeof line, "\nroute           %s\n", want);
    expect_in(jt_text_str(&out), line, "show");
    jt_text_free(&out);
}

static void test_show_threshold(void **state)
{
    (void)state;
    char *saved = NULL;
    set_route_reason(G.long_forms,
                     "{\"by\": \"triage\", \"why\": \"" JF_WHY_BELOW "\","
                     " \"category\": \"forms\", \"confidence\": 0.41, \"threshold\": 0.5}",
                     &saved);
    expect_route(
        G.long_forms,
        "model: forms 填表报数, confidence 0.41 below the threshold 0.50 → triage queue");
    set_route_reason(G.long_forms,
                     "{\"by\": \"triage\", \"why\": \"" JF_WHY_BELOW "\","
                     " \"category\": \"forms\", \"confidence\": 0.4999, \"threshold\": 0.5}",
                     &saved);
    expect_route(G.long_forms, "model: forms 填表报数, confidence 0.499900 below the threshold "
                               "0.50 → triage queue");
    /* As intake wrote it before it recorded the threshold. */
    set_route_reason(G.long_forms,
                     "{\"by\": \"triage\", \"why\": \"" JF_WHY_BELOW "\","
                     " \"category\": \"forms\", \"confidence\": 0.41}",
                     &saved);
    expect_route(G.long_forms,
                 "model: forms 填表报数, confidence 0.41 below the threshold → triage queue");
    set_route_reason(G.long_forms, NULL, &saved);
    free(saved);
}

static void test_show_refusals(void **state)
{
    (void)state;
    const char *unknown[] = {"show", "ZZZZZZZZZZ", NULL};
    const char *malformed[] = {"show", "abc", NULL};
    const char *no_code[] = {"show", NULL};
    const char *show_csv[] = {"show", G.named, "--format", "csv", NULL};
    const char *triage_xml[] = {"triage", "--format", "xml", NULL};
    const char *limit0[] = {"triage", "--limit", "0", NULL};
    const char *correct_malformed[] = {"correct",  "abc", "--dept", "tongji",
                                       "--reason", "x",   NULL};
    expect_refused("no complaint with ticket code ZZZZZZZZZZ", unknown);
    expect_refused("no complaint with ticket code abc", malformed);
    expect_refused("usage: jianfu show CODE", no_code);
    expect_refused("--format must be text or json", show_csv);
    expect_refused("--format must be text, csv or json", triage_xml);
    expect_refused("--limit must be a whole number", limit0);
    expect_refused("jianfu correct: no complaint with ticket code abc (a ticket code is 10 "
                   "characters of ",
                   correct_malformed);
}

static void test_show_json(void **state)
{
    (void)state;
    jt_text out = {0};
    JT_OUT(&G.db, out, "show", G.named, "--format", "json");
    expect_anonymous(jt_text_str(&out), "show --format json");
    json_t *j = parse_json(jt_text_str(&out), "show --format json");
    assert_true(json_is_object(j));
    assert_string_equal(jstr(j, "code"), G.named);
    assert_string_equal(jstr(j, "status"), "assigned");
    assert_string_equal(jstr(j, "channel"), "twilio");
    assert_string_equal(jstr(j, "category"), "forms");
    assert_string_equal(jstr(j, "category_name"), "填表报数");
    assert_string_equal(jstr(j, "department"), "jiaoyu");
    assert_string_equal(jstr(j, "department_name"), "县教育局");
    double conf = json_number_value(json_object_get(j, "confidence"));
    assert_true(json_is_number(json_object_get(j, "confidence")));
    assert_true(conf >= 0.5 && conf <= 1.0);
    assert_true(json_is_false(json_object_get(j, "urgent")));
    assert_int_equal(json_integer_value(json_object_get(j, "redactions")), 1);
    static const char *const times[][2] = {{"received_at", "received_at"},
                                           {"ack_due", "ack_due"},
                                           {"answer_due", "answer_due"},
                                           {"resolve_due", "resolve_due"}};
    for (size_t i = 0; i < 4; i++) {
        char *at = instant(G.named, times[i][1]);
        assert_string_equal(jstr(j, times[i][0]), at);
        free(at);
    }
    assert_true(jt_contains(jstr(j, "body"), "教体局又要我们填一张学生资助统计表"));
    json_t *reason = json_object_get(j, "route_reason");
    assert_true(json_is_object(reason));
    assert_string_equal(jstr(reason, "by"), "named");
    assert_string_equal(jstr(reason, "name"), "教体局");
    assert_string_equal(jstr(reason, "department"), "jiaoyu");
    expect_in(jstr(j, "route"), "named department 教体局 in the text → jiaoyu 县教育局",
              "show --format json's route");
    json_t *events = json_object_get(j, "events");
    assert_true(json_is_array(events));
    assert_int_equal(json_array_size(events), 1);
    json_t *ev = json_array_get(events, 0);
    assert_string_equal(jstr(ev, "kind"), "received");
    assert_string_equal(jstr(ev, "actor"), "reporter");
    assert_non_null(jstr(ev, "at"));
    assert_true(json_is_object(json_object_get(ev, "detail")));
    assert_string_equal(jstr(json_object_get(json_object_get(ev, "detail"), "route"), "by"),
                        "named");
    expect_in(jstr(ev, "text"), "named department 教体局", "the event's text");
    json_decref(j);
    jt_text_free(&out);

    /* A complaint in triage has no department: null, not absent. */
    JT_OUT(&G.db, out, "show", G.question, "--format", "json");
    j = parse_json(jt_text_str(&out), "show --format json");
    assert_true(json_is_null(json_object_get(j, "department")));
    assert_true(json_is_null(json_object_get(j, "department_name")));
    assert_string_equal(jstr(json_object_get(j, "route_reason"), "by"), "triage");
    json_decref(j);
    jt_text_free(&out);
}

static void test_triage_queue(void **state)
{
    (void)state;
    jt_text out = {0};
    JT_OUT(&G.db, out, "triage");
    const char *o = jt_text_str(&out);
    expect_anonymous(o, "triage");
    expect_in(o, "2 complaints awaiting triage, oldest first\n", "triage");
    const char *q = strstr(o, G.question), *l = strstr(o, G.long_forms);
    if (!q || !l || q > l || jt_contains(o, G.named))
        fail_msg("triage does not list %s then %s (and not %s):\n%s", G.question, G.long_forms,
                 G.named, o);
    char *at = instant(G.question, "received_at"), *ack = instant(G.question, "ack_due");
    char line[200];
    snprintf(line, sizeof line, "%s  received %s  acknowledge by %s\n", G.question, at, ack);
    free(at);
    free(ack);
    expect_in(o, line, "triage");
    expect_in(o, "    guess  other 其他, confidence ", "triage");
    expect_in(o, "    why    not a burden complaint (model: other 其他", "triage");
    expect_in(o, "    text   " QUESTION_TEXT "\n", "triage");
    expect_in(o, "    guess  forms 填表报数, confidence 0.", "triage");
    expect_in(o, " below the threshold 0.999999 → triage queue\n", "triage");
    expect_in(o, "    text   " LONG_FORMS_EXCERPT "…\n", "triage");
    assert_false(jt_contains(o, LONG_FORMS_TEXT));
    jt_text_free(&out);

    JT_OUT(&G.db, out, "triage", "--limit", "1");
    o = jt_text_str(&out);
    expect_in(o, "2 complaints awaiting triage, the 1 oldest shown\n", "triage --limit 1");
    assert_true(jt_contains(o, G.question));
    assert_false(jt_contains(o, G.long_forms));
    jt_text_free(&out);

    JT_OUT(&G.db, out, "triage", "--format", "json");
    expect_anonymous(jt_text_str(&out), "triage --format json");
    json_t *j = parse_json(jt_text_str(&out), "triage --format json");
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 2);
    json_t *a = json_array_get(j, 0), *b = json_array_get(j, 1);
    assert_string_equal(jstr(a, "code"), G.question);
    assert_string_equal(jstr(b, "code"), G.long_forms);
    at = instant(G.long_forms, "received_at");
    ack = instant(G.long_forms, "ack_due");
    assert_string_equal(jstr(b, "received_at"), at);
    assert_string_equal(jstr(b, "ack_due"), ack);
    free(at);
    free(ack);
    assert_string_equal(jstr(a, "category"), "other");
    assert_string_equal(jstr(b, "category"), "forms");
    assert_string_equal(jstr(b, "category_name"), "填表报数");
    assert_true(json_number_value(json_object_get(b, "confidence")) < 0.999999);
    assert_string_equal(jstr(json_object_get(b, "route_reason"), "by"), "triage");
    assert_true(
        json_is_number(json_object_get(json_object_get(b, "route_reason"), "threshold")));
    expect_in(jstr(b, "route"), "below the threshold 0.999999", "triage --format json's route");
    assert_string_equal(jstr(a, "excerpt"), QUESTION_TEXT);
    assert_string_equal(jstr(b, "excerpt"), LONG_FORMS_EXCERPT);
    assert_true(json_is_false(json_object_get(a, "truncated")));
    assert_true(json_is_true(json_object_get(b, "truncated")));
    json_decref(j);
    jt_text_free(&out);

    JT_OUT(&G.db, out, "triage", "--format", "csv");
    o = jt_text_str(&out);
    expect_anonymous(o, "triage --format csv");
    const char *header =
        "code,received_at,ack_due,category,category_name,confidence,urgent,route,excerpt,"
        "truncated\n";
    if (strncmp(o, header, strlen(header)) != 0)
        fail_msg("triage --format csv does not start with its header:\n%s", o);
    const char *row1 = o + strlen(header), *row2 = strchr(row1, '\n');
    assert_non_null(row2);
    row2++;
    assert_true(strncmp(row1, G.question, 10) == 0 && row1[10] == ',');
    assert_true(strncmp(row2, G.long_forms, 10) == 0 && row2[10] == ',');
    expect_in(row1, "," QUESTION_TEXT ",false\n", "triage --format csv");
    expect_in(row2, "," LONG_FORMS_EXCERPT ",true\n", "triage --format csv");
    assert_null(strchr(strchr(row2, '\n') + 1, '\n')); /* two rows and nothing after */
    jt_text_free(&out);
}

static void test_after_correction(void **state)
{
    (void)state;
    jt_text out = {0};
    char lower[11], line[100];
    lower_case(G.question, lower);
    JT_OUT(&G.db, out, "correct", lower, "--dept", "tongji", "--reason", "测试：转统计局");
    /* A new department alone is no training example, and the answer does not say it is. */
    snprintf(line, sizeof line, "corrected %s, department tongji\n", G.question);
    expect_in(jt_text_str(&out), line, "correct in lower case");
    jt_text_free(&out);
    JT_OUT(&G.db, out, "show", G.question);
    const char *o = jt_text_str(&out);
    expect_shown_as_stored(o, G.question);
    expect_in(o, "status          assigned\n", "show after correct");
    expect_in(o, "department      tongji 县统计局\n", "show after correct");
    expect_in(o, "route           re-routed by a coordinator", "show after correct");
    const char *rec = strstr(o, "  received   reporter   via twilio, triage: not a burden");
    const char *cor = strstr(o, "  corrected  cli        department none → tongji; reason: "
                                "测试：转统计局\n");
    if (!rec || !cor || rec > cor)
        fail_msg("the timeline does not show the receipt, then the correction:\n%s", o);
    jt_text_free(&out);

    JT_OUT(&G.db, out, "triage");
    o = jt_text_str(&out);
    expect_in(o, "1 complaint awaiting triage, oldest first\n", "triage after correct");
    assert_false(jt_contains(o, G.question));
    assert_true(jt_contains(o, G.long_forms));
    jt_text_free(&out);
}

static json_int_t jint(const json_t *o, const char *path)
{
    /* path is "a.b.c" through nested objects */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *v = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    if (!json_is_integer(v))
        fail_msg("no whole number at %s in the report", path);
    return json_integer_value(v);
}

/* The category row of code in the report's "categories" array. */
static const json_t *category_row(const json_t *doc, const char *code)
{
    const json_t *cats = json_object_get(doc, "categories"), *row;
    size_t i;
    json_array_foreach(cats, i, row)
    {
        if (strcmp(jstr(row, "category"), code) == 0)
            return row;
    }
    fail_msg("no row for %s in the report's categories", code);
    return NULL;
}

static void test_triage_stats(void **state)
{
    (void)state;
    jt_text out = {0};
    /* The forms complaint intake routed to jiaoyu by name: a coordinator now moves it to
     * apps and tongji. With test_after_correction, three complaints: one routed (since
     * changed in both), one other (decided, category kept), one below the threshold
     * (waiting). */
    JT_OUT(&G.db, out, "correct", G.named, "--category", "apps", "--dept", "tongji", "--reason",
           "测试：统计");
    char line[160];
    snprintf(line, sizeof line,
             "corrected %s: category apps, department tongji; `jianfu train` learns from it\n",
             G.named);
    assert_string_equal(jt_text_str(&out), line);
    jt_text_free(&out);

    JT_OUT(&G.db, out, "triage", "stats");
    const char *o = jt_text_str(&out);
    expect_in(o, "complaints received before ", "triage stats");
    expect_in(o, ": 3\n", "triage stats");
    expect_in(o, "\nrouted without a person                        1  33.3%\n", "triage stats");
    expect_in(o, "  to a department named in the text            1\n", "triage stats");
    expect_in(o, "  category changed since                       1  category kept 0.0%\n",
              "triage stats");
    expect_in(o, "  department changed since                     1  department kept 0.0%\n",
              "triage stats");
    expect_in(o, "\nleft for triage                                2  66.7%\n", "triage stats");
    expect_in(o,
              "  not a burden complaint (other)               1       0       1  1 (100.0%)\n",
              "triage stats");
    expect_in(o, "  confidence below the threshold               1       1       0  0 (-)\n",
              "triage stats");
    expect_in(o, "  forms              1       1       1       0       0  填表报数\n",
              "triage stats");
    expect_in(o, "  forms 填表报数 → apps 政务App与工作群  1\n", "triage stats");
    expect_in(o, "upper bound", "triage stats");
    assert_false(jt_contains(o, "no classification model"));
    expect_anonymous(o, "triage stats");
    for (size_t i = 0; i < 3; i++)
        assert_false(jt_contains(o, i == 0 ? G.named : i == 1 ? G.question : G.long_forms));
    jt_text_free(&out);

    JT_OUT(&G.db, out, "triage", "stats", "--format", "json");
    o = jt_text_str(&out);
    expect_anonymous(o, "triage stats --format json");
    json_t *doc = parse_json(o, "triage stats --format json");
    assert_true(json_is_null(json_object_get(doc, "since")));
    assert_int_equal(jint(doc, "received"), 3);
    assert_int_equal(jint(doc, "unrouted"), 0);
    assert_int_equal(jint(doc, "routed.total"), 1);
    assert_int_equal(jint(doc, "routed.named"), 1);
    assert_int_equal(jint(doc, "routed.category"), 0);
    assert_int_equal(jint(doc, "routed.category_changed"), 1);
    assert_int_equal(jint(doc, "routed.department_changed"), 1);
    assert_int_equal(jint(doc, "triage.total"), 2);
    assert_int_equal(jint(doc, "triage.reasons.other.count"), 1);
    assert_int_equal(jint(doc, "triage.reasons.other.waiting"), 0);
    assert_int_equal(jint(doc, "triage.reasons.other.decided"), 1);
    assert_int_equal(jint(doc, "triage.reasons.other.kept"), 1);
    assert_int_equal(jint(doc, "triage.reasons.below_threshold.count"), 1);
    assert_int_equal(jint(doc, "triage.reasons.below_threshold.waiting"), 1);
    assert_int_equal(jint(doc, "triage.reasons.below_threshold.decided"), 0);
    assert_int_equal(jint(doc, "triage.reasons.no_model.count"), 0);
    const json_t *forms = category_row(doc, "forms");
    assert_int_equal(jint(forms, "routed"), 1);
    assert_int_equal(jint(forms, "routed_changed"), 1);
    assert_int_equal(jint(forms, "triaged"), 1);
    assert_int_equal(jint(forms, "decided"), 0);
    const json_t *other = category_row(doc, "other");
    assert_int_equal(jint(other, "triaged"), 1);
    assert_int_equal(jint(other, "kept"), 1);
    assert_int_equal(jint(category_row(doc, "apps"), "routed"), 0);
    const json_t *changes = json_object_get(doc, "changes");
    assert_int_equal(json_array_size(changes), 1);
    assert_string_equal(jstr(json_array_get(changes, 0), "from"), "forms");
    assert_string_equal(jstr(json_array_get(changes, 0), "to"), "apps");
    assert_int_equal(jint(json_array_get(changes, 0), "count"), 1);
    json_decref(doc);
    jt_text_free(&out);

    /* A period: everything arrived after 2026-01-01 and before 2100, nothing in 2025. */
    JT_OUT(&G.db, out, "triage", "stats", "--since", "2026-01-01T00:00:00+08:00", "--until",
           "2100-01-01T00:00:00Z", "--format", "json");
    doc = parse_json(jt_text_str(&out), "triage stats with a period");
    assert_string_equal(jstr(doc, "since"), "2026-01-01T00:00:00+08:00");
    assert_string_equal(jstr(doc, "until"), "2100-01-01T08:00:00+08:00");
    assert_int_equal(jint(doc, "received"), 3);
    json_decref(doc);
    jt_text_free(&out);
    JT_OUT(&G.db, out, "triage", "stats", "--since", "2099-01-01T00:00:00Z", "--until",
           "2100-01-01T00:00:00Z", "--format", "json");
    doc = parse_json(jt_text_str(&out), "triage stats since 2099");
    assert_int_equal(jint(doc, "received"), 0); /* --since excludes what came before */
    json_decref(doc);
    jt_text_free(&out);
    JT_OUT(&G.db, out, "triage", "stats", "--since", "2025-01-01T00:00:00+08:00", "--until",
           "2026-01-01T00:00:00+08:00");
    assert_string_equal(jt_text_str(&out), "complaints received from 2025-01-01T00:00:00+08:00 "
                                           "to 2026-01-01T00:00:00+08:00: 0\n");
    jt_text_free(&out);

    const char *bad_since[] = {"triage", "stats", "--since", "2026-11-01", NULL};
    expect_refused("jianfu triage stats: --since must be RFC 3339, e.g. "
                   "2026-11-01T00:00:00+08:00",
                   bad_since);
    const char *backwards[] = {"triage",  "stats",
                               "--since", "2026-11-02T00:00:00+08:00",
                               "--until", "2026-11-01T00:00:00+08:00",
                               NULL};
    expect_refused("jianfu triage stats: --since must be before --until", backwards);
    const char *bad_format[] = {"triage", "stats", "--format", "csv", NULL};
    expect_refused("jianfu triage stats: --format must be text or json", bad_format);
    const char *unknown[] = {"triage", "stats", "--limit", "1", NULL};
    expect_refused("--limit", unknown);
}

int main(void)
{
    if (!jt_begin("test_show"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_show_named),       cmocka_unit_test(test_show_triage_reasons),
        cmocka_unit_test(test_show_threshold),   cmocka_unit_test(test_show_refusals),
        cmocka_unit_test(test_show_json),        cmocka_unit_test(test_triage_queue),
        cmocka_unit_test(test_after_correction), cmocka_unit_test(test_triage_stats),
    };
    return jt_end(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
