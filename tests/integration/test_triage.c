/* test_triage.c - classification, routing, deadlines by kind, corrections and learning
 * from them (issue 4), against the real jianfu binary and PostgreSQL.
 *
 * What it proves:
 *   - train: `jianfu train --corpus triage/data/corpus.tsv --out FILE` exits 0, says it
 *     trained on the shipped corpus (at least 600 examples, 0 corrections without a
 *     database) and writes a model that `jianfu classify --model FILE` loads;
 *   - routing at intake (serve with JIANFU_MODEL_FILE and JIANFU_TRIAGE_RELOAD=1, departments
 *     with aliases, `category set forms --dept tongji --sla 1,3,10`): a forms complaint that
 *     names 教体局 (an alias of jiaoyu) is assigned to jiaoyu with route_reason by=named,
 *     name=教体局, though forms' default department is tongji; one that names no
 *     department goes to tongji with by=category; both get the deadlines `jianfu due`
 *     gives for 1/3/10 working days from their receipt; a question from the public is
 *     category other, status triage, by=triage; a meetings complaint with an urgency word
 *     from the urgency_words table (累倒) is urgent with meetings' deadlines (3/7/21)
 *     halved and rounded up (2/4/11); the 'received' event carries the status and the
 *     same route as the complaint; nothing reloads while nothing changes, and a new
 *     department (`jianfu dept add ... --alias 人社局`) is picked up without a restart
 *     (log "triage.reloaded", then a complaint naming 人社局 goes to it);
 *   - threshold: the same forms text that a server with the default threshold assigns
 *     goes, after a restart with JIANFU_TRIAGE_THRESHOLD=0.999999, to triage with a "why"
 *     that names the confidence;
 *   - no model: a serve without JIANFU_MODEL_FILE stores complaints in triage, uncategorised,
 *     with why "no classification model loaded";
 *   - corrections: `jianfu correct CODE --category apps --reason ...` re-categorises the
 *     question, records a corrections row and a 'corrected' event with category_from/to
 *     and the reason; `--dept` on a complaint in triage makes it assigned; an unknown
 *     ticket, category or department is exit 2 with a message naming it and changes
 *     nothing; `jianfu train` with JIANFU_DATABASE_URL adds the correction ("1
 *     corrections") and the new model classifies the corrected text as apps where the old
 *     one said other;
 *   - hot reload: the retrained model renamed over the file serve was started with is
 *     picked up within seconds (log "triage.reloaded"), and the same text sent again is
 *     stored as apps - a correction changes the next classification after `jianfu train`;
 *   - `jianfu classify`: three stdin lines give three JSON lines with category, a
 *     confidence in [0,1], a department key, the matched rules (with --rules) and the
 *     top three categories sorted by score; `classify --eval FILE` prints the accuracy and
 *     a confusion matrix consistent with it and with the file's labels; `--cv 2` runs;
 *   - `jianfu calendar import` of a made-up 2031 notice, then `calendar show 2031` lists
 *     its weekday holidays and adjusted working weekend days and the year's working days;
 *     a malformed notice is exit 2 naming its line and changes nothing; the example
 *     notice in docs/calendar.md imports as documented.
 * Every server is stopped with SIGTERM and must exit 0. Needs ./tests/run.
 */
#include "harness.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Training under the sanitizers, with another test running beside it, takes a while. */
#define TRAIN_TIMEOUT_MS 150000
/* How long a running serve may take to notice a new model or new routing data when
 * JIANFU_TRIAGE_RELOAD=1 (the refresher looks every second). */
#define RELOAD_TIMEOUT_MS 15000

#define SENDER "+86 138-0013-8000"
#define SHORT_CODE "10690000"

/* Messages. The classifications they get from the model trained on the shipped corpus are
 * checked in the tests, not assumed. */
#define FORMS_NAMED                                                                            \
    "教体局又要我们填一张学生资助统计表，跟上周报的数据一模一样，同一个数据反复要"
#define FORMS_PLAIN "各部门轮番要我们填表报数据，同样的数据统计表每周都要重报一遍，表格层层加码"
#define FORMS_RENSHE "人社局要我们每周填一张灵活就业人员统计表，同样的数据反复报"
#define QUESTION "你好，请问社保卡怎么补办"
#define QUESTION2 "请问今天下午的培训在哪个会议室？"
#define MEETINGS_URGENT "这个月镇里开了十几个视频会，全员陪会，有同事连续开会累倒了"
#define APPS_TEXT "镇里要求每天在学习App上打卡签到，积分排名全县通报"
#define URGENCY_WORD "累倒"

/* What the group set-up trained once from the shipped corpus, for every test. */
static struct {
    char dir[512];
    char corpus[600];
    char base_model[600];
    int train_status;
    jt_text train_out, train_err;
} G;

/* One test's own database, directory and servers. */
typedef struct {
    const char *tag;
    jt_db db;
    bool has_db;
    jt_server srv[2];
    char dir[600];
    char model[700];     /* the file serve's JIANFU_MODEL_FILE names */
    char model_env[760]; /* "JIANFU_MODEL_FILE=<model>" */
} tri_test;

/* ---- helpers ------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    bool ok = fwrite(text, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok)
        fail_msg("cannot write %s", path);
}

/* Copy src to dst the way an operator installs a model: write beside it, then rename(),
 * so that a reader sees the old file or the new one, never half of one. */
static void install_file(const char *src, const char *dst)
{
    jt_text data = {0};
    char tmp[800];
    jt_read_file(src, &data);
    snprintf(tmp, sizeof tmp, "%s.new", dst);
    write_file(tmp, jt_text_str(&data), data.len);
    jt_text_free(&data);
    if (rename(tmp, dst) != 0)
        fail_msg("rename %s -> %s: %s", tmp, dst, strerror(errno));
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void need_base_model(void)
{
    if (G.train_status != 0 || file_size(G.base_model) <= 0)
        fail_msg("no model from the shipped corpus (jianfu train exited %d): see test_train",
                 G.train_status);
}

/* Start serve number i of t with the extra environment env (NULL-terminated). */
static void serve(tri_test *t, int i, const char *tag, const char *const *env)
{
    jt_server_opts o = {.env = env, .key_file = NULL, .token = NULL};
    jt_server_start_opts(&t->srv[i], t->db.conninfo, tag, &o);
}

/* SIGTERM serve number i; it must exit 0 (which also means: no leak report). */
static void stop(tri_test *t, int i)
{
    int st = jt_server_stop(&t->srv[i]);
    if (st != 0) {
        jt_text log = {0};
        jt_read_file(t->srv[i].stderr_path, &log);
        print_error("serve log:\n%s\n", jt_text_str(&log));
        jt_text_free(&log);
        fail_msg("jianfu serve exited %d after SIGTERM, want 0", st);
    }
}

/* expr (SQL over complaints c and its department d) for complaint code; caller frees;
 * NULL for SQL NULL. */
static char *field(const tri_test *t, const char *code, const char *expr)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT (%s)::text FROM complaints c LEFT JOIN departments d"
             " ON d.id = c.department_id WHERE c.code = $1",
             expr);
    return jt_db_value(t->db.conn, sql, code, NULL);
}

/* expr must equal want (NULL: must be SQL NULL); the failure shows the complaint. */
static void expect_field(const tri_test *t, const char *code, const char *expr,
                         const char *want)
{
    char *got = field(t, code, expr);
    bool ok = want ? got && strcmp(got, want) == 0 : got == NULL;
    if (!ok) {
        char *all = field(t, code,
                          "concat_ws(' | ', c.status, c.category, c.confidence, d.code,"
                          " c.urgent, c.route_reason)");
        char msg[1500];
        snprintf(msg, sizeof msg, "complaint %s: %s is %s, want %s (complaint: %s)", code, expr,
                 got ? got : "NULL", want ? want : "NULL", all ? all : "?");
        free(got);
        free(all);
        fail_msg("%s", msg);
    }
    free(got);
}

static void expect_true(const tri_test *t, const char *code, const char *expr)
{
    expect_field(t, code, expr, "true");
}

/* The three deadlines of complaint code must be what `jianfu due` computes for ack, answer
 * and resolve working days from its time of receipt. */
static void expect_deadlines(const tri_test *t, const char *code, int ack, int answer,
                             int resolve)
{
    char *received = field(t, code,
                           "to_char(c.received_at AT TIME ZONE 'Asia/Shanghai',"
                           " 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')");
    const struct {
        int days;
        const char *column;
    } want[] = {{ack, "ack_due"}, {answer, "answer_due"}, {resolve, "resolve_due"}};
    assert_non_null(received);
    for (size_t i = 0; i < 3; i++) {
        jt_cmd r;
        char days[16], sql[200];
        snprintf(days, sizeof days, "%d", want[i].days);
        if (jt_jianfu(NULL, &r, NULL, JT_CMD_TIMEOUT_MS, "due", "--from", received,
                      "--working-days", days, NULL) != 0)
            fail_msg("jianfu due --from %s --working-days %s: %s", received, days,
                     jt_text_str(&r.err));
        r.out.data[strcspn(r.out.data, "\n")] = '\0';
        snprintf(sql, sizeof sql, "SELECT %s = $2::timestamptz FROM complaints WHERE code = $1",
                 want[i].column);
        if (!jt_db_true(t->db.conn, sql, code, r.out.data, NULL)) {
            char *stored =
                field(t, code, "c.ack_due || ' / ' || c.answer_due || ' / ' || c.resolve_due");
            char msg[600];
            snprintf(msg, sizeof msg,
                     "complaint %s: %s is not `due --from %s --working-days %d` = %s"
                     " (stored: %s)",
                     code, want[i].column, received, want[i].days, r.out.data, stored);
            free(stored);
            jt_cmd_free(&r);
            free(received);
            fail_msg("%s", msg);
        }
        jt_cmd_free(&r);
    }
    free(received);
}

/* Occurrences of needle in the file at path (0 when it cannot be read yet). */
static int count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fclose(f);
    jt_text log = {0};
    jt_read_file(path, &log);
    int n = 0;
    for (const char *p = jt_text_str(&log); (p = strstr(p, needle)) != NULL;
         p += strlen(needle))
        n++;
    jt_text_free(&log);
    return n;
}

/* Wait (bounded) until needle occurs at least want times in serve i's log. */
static void wait_log(const tri_test *t, int i, const char *needle, int want, int timeout_ms)
{
    int64_t deadline = jt_mono_ms() + timeout_ms;
    while (count_in_file(t->srv[i].stderr_path, needle) < want) {
        if (jt_mono_ms() >= deadline) {
            jt_text log = {0};
            jt_read_file(t->srv[i].stderr_path, &log);
            print_error("serve log:\n%s\n", jt_text_str(&log));
            jt_text_free(&log);
            fail_msg("\"%s\" did not appear %d time(s) in the serve log within %d ms", needle,
                     want, timeout_ms);
        }
        jt_sleep_ms(100);
    }
}

/* `echo text | jianfu classify --model model` -> the category it prints. */
static char *classify_one(const char *model, const char *text)
{
    jt_cmd r;
    jt_text in = {0};
    jt_text_appendf(&in, "%s\n", text);
    if (jt_jianfu(NULL, &r, in.data, JT_CMD_TIMEOUT_MS, "classify", "--model", model, NULL) !=
        0)
        fail_msg("jianfu classify --model %s: exit %d: %s", model, r.status,
                 jt_text_str(&r.err));
    jt_text_free(&in);
    json_error_t e;
    json_t *j = json_loads(jt_text_str(&r.out), JSON_DISABLE_EOF_CHECK, &e);
    const char *cat = json_string_value(json_object_get(j, "category"));
    if (!cat)
        fail_msg("classify printed no category: %s", jt_text_str(&r.out));
    char *out = strdup(cat);
    json_decref(j);
    jt_cmd_free(&r);
    return out;
}

/* ---- set-up -------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    jt_cmd r;
    snprintf(G.dir, sizeof G.dir, "%s/triage_%ld", jt_env("JIANFU_TEST_TMP"), (long)getpid());
    jt_mkdir(G.dir);
    snprintf(G.corpus, sizeof G.corpus, "%s/triage/data/corpus.tsv",
             jt_env("JIANFU_TEST_ROOT"));
    snprintf(G.base_model, sizeof G.base_model, "%s/base.bin", G.dir);
    unlink(G.base_model);
    /* Trained once for every test; test_train checks what this did. */
    G.train_status = jt_jianfu(NULL, &r, NULL, TRAIN_TIMEOUT_MS, "train", "--corpus", G.corpus,
                               "--out", G.base_model, NULL);
    G.train_out = r.out;
    G.train_err = r.err;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    jt_text_free(&G.train_out);
    jt_text_free(&G.train_err);
    return 0;
}

static int setup_common(void **state, const char *tag, bool with_db)
{
    tri_test *t = calloc(1, sizeof *t);
    assert_non_null(t);
    *state = t;
    t->tag = tag;
    snprintf(t->dir, sizeof t->dir, "%s/%s", G.dir, tag);
    jt_mkdir(t->dir);
    snprintf(t->model, sizeof t->model, "%s/model.bin", t->dir);
    snprintf(t->model_env, sizeof t->model_env, "JIANFU_MODEL_FILE=%s", t->model);
    if (with_db) {
        char name[64];
        snprintf(name, sizeof name, "tri_%s", tag);
        jt_db_create(&t->db, jt_env("JIANFU_TEST_PGHOST"), name);
        t->has_db = true;
        JT_OK(&t->db, "migrate");
    }
    return 0;
}

static int teardown_common(void **state)
{
    tri_test *t = *state;
    if (!t)
        return 0;
    for (int i = 0; i < 2; i++) {
        jt_server_kill(&t->srv[i]);
        if (t->srv[i].key_file[0])
            unlink(t->srv[i].key_file);
    }
    if (t->has_db)
        jt_db_drop(&t->db);
    free(t);
    return 0;
}

#define SETUP(tag, with_db)                                                                    \
    static int setup_##tag(void **state)                                                       \
    {                                                                                          \
        return setup_common(state, #tag, with_db);                                             \
    }

SETUP(train, false)
SETUP(route, true)
SETUP(thresh, true)
SETUP(nomodel, true)
SETUP(learn, true)
SETUP(cli, false)
SETUP(cal, true)
SETUP(caldoc, true)

/* Departments jiaoyu (教体局 is an alias) and tongji, forms to tongji in 1/3/10 working
 * days, meetings to jiaoyu in 3/7/21. */
static void seed_routing(const tri_test *t)
{
    JT_OK(&t->db, "dept", "add", "--code", "jiaoyu", "--name", "市教育局", "--alias", "教育局",
          "--alias", "教体局");
    JT_OK(&t->db, "dept", "add", "--code", "tongji", "--name", "市统计局", "--alias", "统计局");
    JT_OK(&t->db, "category", "set", "forms", "--dept", "tongji", "--sla", "1,3,10");
    JT_OK(&t->db, "category", "set", "meetings", "--dept", "jiaoyu", "--sla", "3,7,21");
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_train(void **state)
{
    (void)state;
    const char *out = jt_text_str(&G.train_out);
    if (G.train_status != 0)
        fail_msg("jianfu train --corpus %s --out %s exited %d: %s", G.corpus, G.base_model,
                 G.train_status, jt_text_str(&G.train_err));
    assert_true(file_size(G.base_model) > 0);
    size_t n = 0, shipped = 0, corrections = 99;
    const char *p = strstr(out, "trained on ");
    if (!p || sscanf(p, "trained on %zu examples (%zu from", &n, &shipped) != 2)
        fail_msg("no \"trained on N examples (N from ...\" in: %s", out);
    const char *q = strstr(p, " corrections)");
    const char *c = q;
    while (c && c > p && c[-1] >= '0' && c[-1] <= '9')
        c--;
    if (!q || sscanf(c, "%zu", &corrections) != 1)
        fail_msg("no corrections count in: %s", out);
    assert_true(n >= 600);
    assert_int_equal(shipped, n);
    assert_int_equal(corrections, 0); /* no JIANFU_DATABASE_URL: the corpus alone */
    assert_true(jt_contains(out, G.corpus));
    assert_true(jt_contains(out, "wrote "));
    assert_true(jt_contains(out, G.base_model));

    /* The file is a model the classifier loads. */
    char *cat = classify_one(G.base_model, FORMS_PLAIN);
    assert_string_equal(cat, "forms");
    free(cat);
}

static void test_route_at_intake(void **state)
{
    tri_test *t = *state;
    char named[11], plain[11], question[11], urgent[11], renshe[11];
    need_base_model();
    seed_routing(t);
    assert_int_equal(jt_db_int(t->db.conn, "SELECT count(*) FROM urgency_words WHERE word = $1",
                               URGENCY_WORD, NULL),
                     1);
    install_file(G.base_model, t->model);
    const char *env[] = {t->model_env, "JIANFU_TRIAGE_RELOAD=1", NULL};
    serve(t, 0, "tri_route", env);

    /* A named department beats the category's default. */
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, FORMS_NAMED, named, NULL);
    expect_field(t, named, "c.status", "assigned");
    expect_field(t, named, "c.category", "forms");
    expect_field(t, named, "d.code", "jiaoyu");
    expect_field(t, named, "c.route_reason->>'by'", "named");
    expect_field(t, named, "c.route_reason->>'name'", "教体局");
    expect_field(t, named, "c.route_reason->>'department'", "jiaoyu");
    expect_field(t, named, "c.route_reason->>'category'", "forms");
    expect_true(t, named, "c.confidence BETWEEN 0.5 AND 1");
    expect_true(t, named, "NOT c.urgent");
    expect_deadlines(t, named, 1, 3, 10);

    /* No department named: the category's default. */
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, FORMS_PLAIN, plain, NULL);
    expect_field(t, plain, "c.status", "assigned");
    expect_field(t, plain, "c.category", "forms");
    expect_field(t, plain, "d.code", "tongji");
    expect_field(t, plain, "c.route_reason->>'by'", "category");
    expect_field(t, plain, "c.route_reason->>'department'", "tongji");
    expect_true(t, plain, "NOT c.route_reason ? 'name'");
    expect_deadlines(t, plain, 1, 3, 10);

    /* Not a burden complaint: the coordinators decide. */
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, QUESTION, question, NULL);
    expect_field(t, question, "c.status", "triage");
    expect_field(t, question, "c.category", "other");
    expect_field(t, question, "c.department_id", NULL);
    expect_field(t, question, "c.route_reason->>'by'", "triage");
    expect_true(t, question, "c.route_reason->>'why' LIKE '%other%'");
    expect_true(t, question, "c.confidence BETWEEN 0 AND 1");

    /* An urgency word halves meetings' 3/7/21 working days, rounding up. */
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, MEETINGS_URGENT, urgent, NULL);
    expect_field(t, urgent, "c.category", "meetings");
    expect_field(t, urgent, "c.status", "assigned");
    expect_field(t, urgent, "d.code", "jiaoyu");
    expect_field(t, urgent, "c.route_reason->>'by'", "category");
    expect_true(t, urgent, "c.urgent");
    expect_field(t, urgent, "c.route_reason->>'urgent'", URGENCY_WORD);
    expect_deadlines(t, urgent, 2, 4, 11);

    /* The timeline's 'received' event says where each went and why. */
    const char *codes[] = {named, plain, question, urgent};
    for (size_t i = 0; i < 4; i++) {
        assert_true(jt_db_true(t->db.conn,
                               "SELECT e.detail->>'status' = c.status"
                               " AND e.detail->'route' = c.route_reason"
                               " AND e.detail->'route' ? 'by'"
                               " FROM complaint_events e JOIN complaints c"
                               " ON c.id = e.complaint_id"
                               " WHERE c.code = $1 AND e.kind = 'received'",
                               codes[i], NULL));
    }
    assert_true(jt_db_true(t->db.conn,
                           "SELECT e.detail->>'status' = 'assigned'"
                           " AND e.detail->'route'->>'by' = 'named'"
                           " FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id"
                           " WHERE c.code = $1 AND e.kind = 'received'",
                           named, NULL));

    /* Nothing changed, so nothing was reloaded ... */
    assert_int_equal(count_in_file(t->srv[0].stderr_path, "triage.reloaded"), 0);
    /* ... until a department is added, which the server sees without a restart. */
    JT_OK(&t->db, "dept", "add", "--code", "renshe", "--name", "市人力资源和社会保障局",
          "--alias", "人社局");
    wait_log(t, 0, "triage.reloaded", 1, RELOAD_TIMEOUT_MS);
    assert_true(count_in_file(t->srv[0].stderr_path, "departments=3") >= 1);
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, FORMS_RENSHE, renshe, NULL);
    expect_field(t, renshe, "c.category", "forms");
    expect_field(t, renshe, "d.code", "renshe");
    expect_field(t, renshe, "c.route_reason->>'by'", "named");
    expect_field(t, renshe, "c.route_reason->>'name'", "人社局");

    /* A name that, normalised, is another department's alias is refused when added ... */
    jt_cmd r;
    int st = jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "dept", "add", "--code", "jiaoti",
                       "--name", "教體局", NULL);
    if (st != 2 || !jt_contains(jt_text_str(&r.err), "'教体局' of department jiaoyu"))
        fail_msg("dept add of a clashing name: exit %d, stderr \"%s\"", st,
                 jt_text_str(&r.err));
    jt_cmd_free(&r);
    assert_int_equal(
        jt_db_int(t->db.conn, "SELECT count(*) FROM departments WHERE code = 'jiaoti'", NULL),
        0);
    /* ... and one that got in all the same (two administrators at once) names neither
     * department: the reload warns, and routing by every other name goes on. */
    free(jt_db_value(t->db.conn,
                     "INSERT INTO departments (code, name) VALUES ('jiaoti', '教體局')"
                     " RETURNING code",
                     NULL));
    wait_log(t, 0, "triage.reloaded", 2, RELOAD_TIMEOUT_MS);
    assert_true(count_in_file(t->srv[0].stderr_path, "triage.ambiguous_name") >= 1);
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, FORMS_NAMED, named, NULL);
    expect_field(t, named, "d.code", "tongji");
    expect_field(t, named, "c.route_reason->>'by'", "category");

    /* Digits count in names, and only whole numbers match: 12345热线 is not 12315热线,
     * and the hotline's alias 12345 is not found inside 123456. */
    JT_OK(&t->db, "dept", "add", "--code", "rexian", "--name", "市12345热线", "--alias",
          "12345");
    JT_OK(&t->db, "dept", "add", "--code", "shichang", "--name", "市场监管局", "--alias",
          "12315热线");
    wait_log(t, 0, "triage.reloaded", 3, RELOAD_TIMEOUT_MS);
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE,
                "12315热线要我们轮番填表报数据，同样的数据统计表每周都要重报一遍，表格层层加码",
                plain, NULL);
    expect_field(t, plain, "d.code", "shichang");
    expect_field(t, plain, "c.route_reason->>'name'", "12315热线");
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE,
                "各部门轮番要我们填表报数据，编号123456的统计表每周都要重报一遍，表格层层加码",
                plain, NULL);
    expect_field(t, plain, "d.code", "tongji");
    expect_field(t, plain, "c.route_reason->>'by'", "category");

    /* An urgency word is found anywhere in a long message, not only in the part the
     * classifier reads (1 024 characters; here it comes after 1 200). */
    char long_text[4096];
    size_t o = 0;
    for (int i = 0; i < 600; i++)
        o += (size_t)snprintf(long_text + o, sizeof long_text - o, "开会");
    snprintf(long_text + o, sizeof long_text - o, "，%s", MEETINGS_URGENT);
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, long_text, urgent, NULL);
    expect_true(t, urgent, "c.urgent");
    expect_field(t, urgent, "c.route_reason->>'urgent'", URGENCY_WORD);
    stop(t, 0);
}

static void test_threshold(void **state)
{
    tri_test *t = *state;
    char before[11], after[11];
    need_base_model();
    seed_routing(t);
    install_file(G.base_model, t->model);

    /* With the default threshold the text is routed ... */
    const char *env1[] = {t->model_env, NULL};
    serve(t, 0, "tri_thresh1", env1);
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, FORMS_PLAIN, before, NULL);
    expect_field(t, before, "c.status", "assigned");
    expect_field(t, before, "d.code", "tongji");
    stop(t, 0);

    /* ... and after a restart demanding more confidence than the model has, it waits. */
    const char *env2[] = {t->model_env, "JIANFU_TRIAGE_THRESHOLD=0.999999", NULL};
    serve(t, 1, "tri_thresh2", env2);
    jt_post_sms(&t->srv[1], SENDER, SHORT_CODE, FORMS_PLAIN, after, NULL);
    expect_true(t, after, "c.confidence < 0.999999");
    expect_field(t, after, "c.status", "triage");
    expect_field(t, after, "c.department_id", NULL);
    expect_field(t, after, "c.category", "forms");
    expect_field(t, after, "c.route_reason->>'by'", "triage");
    expect_true(t, after, "c.route_reason->>'why' LIKE '%confidence%'");
    expect_true(t, after, "NOT c.route_reason ? 'department'");
    stop(t, 1);
}

static void test_no_model(void **state)
{
    tri_test *t = *state;
    char code[11];
    serve(t, 0, "tri_nomodel", NULL);
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, FORMS_PLAIN, code, NULL);
    expect_field(t, code, "c.status", "triage");
    expect_field(t, code, "c.category", NULL);
    expect_field(t, code, "c.confidence", NULL);
    expect_field(t, code, "c.route_reason->>'by'", "triage");
    expect_field(t, code, "c.route_reason->>'why'", "no classification model loaded");
    expect_deadlines(t, code, 1, 5, 15); /* JIANFU_SLA's default */
    assert_true(count_in_file(t->srv[0].stderr_path, "triage.no_model") >= 1);
    stop(t, 0);
}

/* `jianfu correct ARGS` must fail with exit 2 and a message containing want. */
static void expect_correct_refused(const tri_test *t, const char *want, const char *code,
                                   const char *opt, const char *value)
{
    jt_cmd r;
    int st = jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "correct", code, opt, value,
                       "--reason", "测试", NULL);
    if (st != 2 || !jt_contains(jt_text_str(&r.err), want)) {
        char msg[800];
        snprintf(msg, sizeof msg, "correct %s %s %s: exit %d, stderr \"%s\"; want 2 and \"%s\"",
                 code, opt, value, st, jt_text_str(&r.err), want);
        jt_cmd_free(&r);
        fail_msg("%s", msg);
    }
    jt_cmd_free(&r);
}

static void test_correct_train_reload(void **state)
{
    tri_test *t = *state;
    char question[11], question2[11], again[11];
    char new_model[700];
    jt_cmd r;
    need_base_model();
    seed_routing(t);
    install_file(G.base_model, t->model);
    const char *env[] = {t->model_env, "JIANFU_TRIAGE_RELOAD=1", NULL};
    serve(t, 0, "tri_learn", env);

    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, QUESTION, question, NULL);
    expect_field(t, question, "c.category", "other");
    expect_field(t, question, "c.status", "triage");
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, QUESTION2, question2, NULL);
    expect_field(t, question2, "c.status", "triage");

    /* Refusals change nothing. */
    expect_correct_refused(t, "ZZZZZZZZZZ", "ZZZZZZZZZZ", "--category", "apps");
    expect_correct_refused(t, "nosuchcat", question, "--category", "nosuchcat");
    expect_correct_refused(t, "nosuchdept", question, "--dept", "nosuchdept");
    assert_int_equal(jt_db_int(t->db.conn, "SELECT count(*) FROM corrections", NULL), 0);
    assert_int_equal(jt_db_int(t->db.conn,
                               "SELECT count(*) FROM complaint_events WHERE kind = 'corrected'",
                               NULL),
                     0);
    expect_field(t, question, "c.category", "other");

    /* Re-categorise: complaint, corrections row, timeline. */
    JT_OK(&t->db, "correct", question, "--category", "apps", "--reason",
          "测试：问社保卡的群众咨询，按apps标注以验证学习");
    expect_field(t, question, "c.category", "apps");
    expect_field(t, question, "c.status", "triage"); /* a category alone routes nowhere */
    assert_true(jt_db_true(t->db.conn,
                           "SELECT count(*) = 1 AND bool_and(k.category = 'apps'"
                           " AND k.department_id IS NULL AND k.reason LIKE '测试：问社保卡%')"
                           " FROM corrections k JOIN complaints c ON c.id = k.complaint_id"
                           " WHERE c.code = $1",
                           question, NULL));
    assert_true(
        jt_db_true(t->db.conn,
                   "SELECT count(*) = 1 AND bool_and(e.detail->>'category_from' = 'other'"
                   " AND e.detail->>'category_to' = 'apps'"
                   " AND e.detail->>'reason' LIKE '测试：问社保卡%')"
                   " FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id"
                   " WHERE c.code = $1 AND e.kind = 'corrected'",
                   question, NULL));

    /* Re-route a complaint waiting in triage: it becomes assigned, and the department's
     * robot is told (the outbox row is what the sender delivers; port 9 refuses it). */
    JT_OK(&t->db, "dept", "notify", "--code", "tongji", "--robot", "wecom", "--url",
          "http://127.0.0.1:9/robot");
    JT_OK(&t->db, "correct", question2, "--dept", "tongji", "--reason", "测试：转统计局");
    assert_true(jt_db_true(t->db.conn,
                           "SELECT count(*) = 1 FROM outbox o JOIN departments d"
                           " ON d.id = o.department_id WHERE o.purpose = 'notify'"
                           " AND d.code = 'tongji' AND o.body LIKE '%' || $1 || '%改派%'",
                           question2, NULL));
    expect_field(t, question2, "c.status", "assigned");
    expect_field(t, question2, "d.code", "tongji");
    expect_field(t, question2, "c.route_reason->>'by'", "correction");
    expect_field(t, question2, "c.category", "other");
    assert_true(
        jt_db_true(t->db.conn,
                   "SELECT count(*) = 1 AND bool_and(e.detail->>'department_to' = 'tongji'"
                   " AND e.detail->>'reason' = '测试：转统计局')"
                   " FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id"
                   " WHERE c.code = $1 AND e.kind = 'corrected'",
                   question2, NULL));

    /* A corrected complaint longer than a training example may be (8 KiB; intake takes
     * far more) is cut to it, not refused: a refusal would fail every later train. */
    char long_forms[12100], long_code[11];
    size_t o = 0;
    for (int i = 0; i < 1000; i++)
        o += (size_t)snprintf(long_forms + o, sizeof long_forms - o, "%s",
                              i % 2 ? "同样数据" : "重复填表");
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, long_forms, long_code, NULL);
    JT_OK(&t->db, "correct", long_code, "--category", "forms", "--reason", "测试：超长反映");

    /* jianfu train learns the corrections (re-categorisations are examples; a re-routing
     * alone is not). */
    snprintf(new_model, sizeof new_model, "%s/retrained.bin", t->dir);
    if (jt_jianfu(&t->db, &r, NULL, TRAIN_TIMEOUT_MS, "train", "--corpus", G.corpus, "--out",
                  new_model, NULL) != 0)
        fail_msg("jianfu train with the database: exit %d: %s", r.status, jt_text_str(&r.err));
    if (!jt_contains(jt_text_str(&r.out), " 2 corrections)"))
        fail_msg("train did not report 2 corrections: %s", jt_text_str(&r.out));
    jt_cmd_free(&r);
    char *old_cat = classify_one(G.base_model, QUESTION);
    char *new_cat = classify_one(new_model, QUESTION);
    assert_string_equal(old_cat, "other");
    assert_string_equal(new_cat, "apps");
    free(old_cat);
    free(new_cat);

    /* Nothing the refresher watches changed so far (corrections are not routing data). */
    assert_int_equal(count_in_file(t->srv[0].stderr_path, "triage.reloaded"), 0);
    /* Install the new model under the running server, which picks it up. */
    install_file(new_model, t->model);
    wait_log(t, 0, "triage.reloaded", 1, RELOAD_TIMEOUT_MS);
    assert_true(count_in_file(t->srv[0].stderr_path, "model=loaded") >= 2);
    jt_post_sms(&t->srv[0], SENDER, SHORT_CODE, QUESTION, again, NULL);
    expect_field(t, again, "c.category", "apps");
    stop(t, 0);
}

/* One JSON object per line of out; n lines expected. */
static void check_classify_json(const char *out, size_t n, json_t **objs)
{
    const char *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(p, "\n");
        if (!len || p[len] != '\n')
            fail_msg("line %zu of classify's output is missing: %s", i + 1, out);
        json_error_t e;
        json_t *j = json_loadb(p, len, 0, &e);
        if (!json_is_object(j))
            fail_msg("line %zu is not a JSON object (%s): %.*s", i + 1, e.text, (int)len, p);
        const char *cat = json_string_value(json_object_get(j, "category"));
        json_t *conf = json_object_get(j, "confidence");
        json_t *top = json_object_get(j, "top");
        assert_non_null(cat);
        assert_true(json_is_number(conf));
        double c = json_number_value(conf);
        assert_true(c >= 0.0 && c <= 1.0);
        assert_non_null(json_object_get(j, "department")); /* the key, even when null */
        assert_true(json_is_array(json_object_get(j, "matched")));
        assert_true(json_is_array(top));
        assert_int_equal(json_array_size(top), 3);
        double prev = 2.0;
        for (size_t k = 0; k < 3; k++) {
            json_t *e2 = json_array_get(top, k);
            assert_non_null(json_string_value(json_object_get(e2, "category")));
            double s = json_number_value(json_object_get(e2, "score"));
            assert_true(json_is_number(json_object_get(e2, "score")));
            assert_true(s >= 0.0 && s <= 1.0 && s <= prev);
            prev = s;
        }
        /* Without rules the category is the best-scored one. */
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(top, 0), "category")), cat);
        objs[i] = j;
        p += len + 1;
    }
    if (*p)
        fail_msg("classify printed more than %zu lines: %s", n, out);
}

static void test_classify_cli(void **state)
{
    tri_test *t = *state;
    jt_cmd r;
    json_t *objs[3] = {NULL, NULL, NULL};
    char rules[700], eval[700];
    need_base_model();

    const char *input = FORMS_PLAIN "\n" QUESTION "\n" APPS_TEXT "\n";
    if (jt_jianfu(NULL, &r, input, JT_CMD_TIMEOUT_MS, "classify", "--model", G.base_model,
                  NULL))
        fail_msg("classify: exit %d: %s", r.status, jt_text_str(&r.err));
    check_classify_json(jt_text_str(&r.out), 3, objs);
    const char *want[] = {"forms", "other", "apps"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(json_string_value(json_object_get(objs[i], "category")), want[i]);
        assert_int_equal(json_array_size(json_object_get(objs[i], "matched")), 0);
        json_decref(objs[i]);
    }
    jt_cmd_free(&r);

    /* With a rules file, the rules that matched are listed. */
    snprintf(rules, sizeof rules, "%s/rules.tsv", t->dir);
    const char *rule_text = "# test rules\napps\t2\t打卡*积分\n";
    write_file(rules, rule_text, strlen(rule_text));
    if (jt_jianfu(NULL, &r, input, JT_CMD_TIMEOUT_MS, "classify", "--model", G.base_model,
                  "--rules", rules, NULL))
        fail_msg("classify --rules: exit %d: %s", r.status, jt_text_str(&r.err));
    {
        const char *p = jt_text_str(&r.out);
        for (size_t i = 0; i < 3; i++) {
            size_t len = strcspn(p, "\n");
            json_t *j = json_loadb(p, len, 0, NULL);
            assert_non_null(j);
            json_t *m = json_object_get(j, "matched");
            assert_true(json_is_array(m));
            if (i == 2) {
                assert_int_equal(json_array_size(m), 1);
                assert_string_equal(json_string_value(json_array_get(m, 0)), "打卡*积分");
            } else {
                assert_int_equal(json_array_size(m), 0);
            }
            json_decref(j);
            p += len + (p[len] ? 1 : 0);
        }
    }
    jt_cmd_free(&r);

    /* The threshold is serve's JIANFU_TRIAGE_THRESHOLD unless --threshold names another: at
     * 1 every message whose confidence is below 1 is marked for triage, at 0 none is. */
    {
        const char *env_one[] = {"JIANFU_TRIAGE_THRESHOLD=1", NULL};
        const char *argv_env[] = {jt_env("JIANFU_TEST_BIN"), "classify", "--model",
                                  G.base_model, NULL};
        const char *argv_zero[] = {jt_env("JIANFU_TEST_BIN"),
                                   "classify",
                                   "--model",
                                   G.base_model,
                                   "--threshold",
                                   "0",
                                   NULL};
        const char *const *argvs[] = {argv_env, argv_zero};
        for (size_t k = 0; k < 2; k++) {
            jt_run(&r, argvs[k], env_one, input, JT_CMD_TIMEOUT_MS);
            if (r.status != 0)
                fail_msg("classify with JIANFU_TRIAGE_THRESHOLD=1: exit %d: %s", r.status,
                         jt_text_str(&r.err));
            check_classify_json(jt_text_str(&r.out), 3, objs);
            size_t marked = 0;
            for (size_t i = 0; i < 3; i++) {
                double conf = json_real_value(json_object_get(objs[i], "confidence"));
                bool triage = json_is_true(json_object_get(objs[i], "triage"));
                assert_true(k == 0 ? triage == (conf < 1.0) : !triage);
                marked += triage;
                json_decref(objs[i]);
            }
            if (k == 0)
                assert_true(marked > 0);
            jt_cmd_free(&r);
        }
        const char *env_bad[] = {"JIANFU_TRIAGE_THRESHOLD=70%", NULL};
        jt_run(&r, argv_env, env_bad, input, JT_CMD_TIMEOUT_MS);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(jt_text_str(&r.err), "JIANFU_TRIAGE_THRESHOLD"));
        assert_string_equal(jt_text_str(&r.out), "");
        jt_cmd_free(&r);
    }

    /* --eval: accuracy and a confusion matrix that agree with each other and the file. */
    snprintf(eval, sizeof eval, "%s/eval.tsv", t->dir);
    const char *tsv = "forms\t街道一周内让我们填了四张内容差不多的统计表，数据都是现成的\n"
                      "meetings\t一个上午连开三个会，都是传达同一个文件精神，还要层层陪会\n"
                      "other\t请问明天办事大厅几点开门\n"
                      "apps\t镇里要求每天在学习App上打卡签到，积分排名全县通报\n"
                      "other\t谢谢你们的回复\n";
    write_file(eval, tsv, strlen(tsv));
    if (jt_jianfu(NULL, &r, NULL, JT_CMD_TIMEOUT_MS, "classify", "--eval", eval, "--model",
                  G.base_model, NULL))
        fail_msg("classify --eval: exit %d: %s", r.status, jt_text_str(&r.err));
    const char *out = jt_text_str(&r.out);
    size_t n = 0, correct = 0, n2 = 0;
    double acc = -1;
    const char *line = strstr(out, "examples ");
    if (!line ||
        sscanf(line, "examples %zu accuracy %lf (%zu/%zu)", &n, &acc, &correct, &n2) != 4)
        fail_msg("no accuracy line in: %s", out);
    assert_int_equal(n, 5);
    assert_int_equal(n2, 5);
    assert_true(acc >= 0.0 && acc <= 1.0);
    assert_true(acc * 5 > (double)correct - 0.01 && acc * 5 < (double)correct + 0.01);
    const char *cm = strstr(out, "confusion matrix");
    if (!cm)
        fail_msg("no confusion matrix in: %s", out);
    /* Rows in category order; each row's sum is the number of examples with that label,
     * the diagonal the correct ones. */
    static const char *const cats[] = {"documents", "meetings", "inspections", "traces",
                                       "forms",     "apps",     "secondment",  "duties",
                                       "campaigns", "vanity",   "other"};
    const size_t support[] = {0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 2};
    size_t diag = 0;
    const char *row = strchr(cm, '\n'); /* past the title */
    assert_non_null(row);
    row = strchr(row + 1, '\n'); /* past the column header */
    assert_non_null(row);
    row++;
    for (size_t g = 0; g < 11; g++) {
        size_t clen = strlen(cats[g]);
        if (strncmp(row, cats[g], clen) != 0 || row[clen] != ' ')
            fail_msg("confusion matrix row %zu is not %s: %.60s", g, cats[g], row);
        const char *p = row + clen;
        size_t sum = 0;
        for (size_t c = 0; c < 11; c++) {
            char *end = NULL;
            unsigned long v = strtoul(p, &end, 10);
            if (end == p)
                fail_msg("confusion matrix row %s has fewer than 11 numbers", cats[g]);
            sum += v;
            if (c == g)
                diag += v;
            p = end;
        }
        if (sum != support[g])
            fail_msg("confusion matrix row %s sums to %zu, the file has %zu", cats[g], sum,
                     support[g]);
        row = strchr(row, '\n');
        assert_non_null(row);
        row++;
    }
    assert_int_equal(diag, correct);
    jt_cmd_free(&r);

    /* Cross-validation over the same file runs without a saved model. */
    if (jt_jianfu(NULL, &r, NULL, TRAIN_TIMEOUT_MS, "classify", "--eval", eval, "--cv", "2",
                  NULL))
        fail_msg("classify --eval --cv 2: exit %d: %s", r.status, jt_text_str(&r.err));
    assert_true(jt_contains(jt_text_str(&r.out), "2-fold cross-validation"));
    assert_true(jt_contains(jt_text_str(&r.out), "confusion matrix"));
    jt_cmd_free(&r);
}

static void test_calendar(void **state)
{
    tri_test *t = *state;
    jt_cmd r;
    char good[700], bad[700];

    /* Made up for this test: 2031's notice is not published; these dates are not it. */
    snprintf(good, sizeof good, "%s/notice-2031.txt", t->dir);
    const char *notice = "# TEST DATA - made up for test_triage, not an official notice\n"
                         "year 2031\n"
                         "notice 测试数据：虚构的2031年节假日安排（非官方通知）\n"
                         "holiday 2031-01-01\n"
                         "# Thursday to Wednesday: 5 weekdays\n"
                         "holiday 2031-01-23 2031-01-29\n"
                         "workday 2031-01-19\n"
                         "workday 2031-02-01\n"
                         "holiday 2031-10-01 2031-10-07\n"
                         "workday 2031-09-28\n"
                         "workday 2031-10-11\n";
    write_file(good, notice, strlen(notice));

    if (jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "show", "2031", NULL))
        fail_msg("calendar show 2031 before import: exit %d: %s", r.status,
                 jt_text_str(&r.err));
    assert_true(jt_contains(jt_text_str(&r.out), "no notice loaded"));
    jt_cmd_free(&r);

    if (jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "import", good, NULL))
        fail_msg("calendar import: exit %d: %s", r.status, jt_text_str(&r.err));
    /* 261 weekdays, 11 of them holidays, 4 weekend days worked. */
    assert_true(jt_contains(jt_text_str(&r.out), "imported 2031"));
    assert_true(jt_contains(jt_text_str(&r.out), "254 working days"));
    jt_cmd_free(&r);

    static const char *const listed[] = {
        "2031-01-01 holiday", "2031-01-23 holiday", "2031-01-24 holiday", "2031-01-27 holiday",
        "2031-01-28 holiday", "2031-01-29 holiday", "2031-10-01 holiday", "2031-10-02 holiday",
        "2031-10-03 holiday", "2031-10-06 holiday", "2031-10-07 holiday", "2031-01-19 workday",
        "2031-02-01 workday", "2031-09-28 workday", "2031-10-11 workday"};
    if (jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "show", "2031", NULL))
        fail_msg("calendar show 2031: exit %d: %s", r.status, jt_text_str(&r.err));
    const char *out = jt_text_str(&r.out);
    assert_true(jt_contains(out, "测试数据：虚构的2031年节假日安排"));
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++)
        if (!jt_contains(out, listed[i]))
            fail_msg("calendar show 2031 does not list \"%s\": %s", listed[i], out);
    /* A holiday on a weekend changes nothing and is not listed; nor is an ordinary day. */
    assert_false(jt_contains(out, "2031-01-25"));
    assert_false(jt_contains(out, "2031-01-30"));
    assert_true(jt_contains(out, "working days: 254"));
    jt_cmd_free(&r);

    /* A malformed notice (a weekday as 调休上班, line 5) is refused and changes nothing. */
    snprintf(bad, sizeof bad, "%s/notice-bad.txt", t->dir);
    const char *bad_notice = "# TEST DATA - malformed on purpose\n"
                             "year 2031\n"
                             "notice 测试数据：格式错误\n"
                             "holiday 2031-01-01\n"
                             "workday 2031-01-20\n";
    write_file(bad, bad_notice, strlen(bad_notice));
    int st = jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "import", bad, NULL);
    if (st != 2 || !jt_contains(jt_text_str(&r.err), "line 5"))
        fail_msg("malformed notice: exit %d, stderr \"%s\"; want 2 naming line 5", st,
                 jt_text_str(&r.err));
    jt_cmd_free(&r);
    if (jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "show", "2031", NULL))
        fail_msg("calendar show 2031: exit %d: %s", r.status, jt_text_str(&r.err));
    assert_true(jt_contains(jt_text_str(&r.out), "working days: 254"));
    assert_true(jt_contains(jt_text_str(&r.out), "测试数据：虚构的2031年节假日安排"));
    jt_cmd_free(&r);

    /* A notice may name days of the December before its year (as the one for 2019 did);
     * import says how many, and show lists them under the year they fall in. */
    const char *next = "# TEST DATA - made up for test_triage, not an official notice\n"
                       "year 2033\n"
                       "notice 测试数据：虚构的2033年节假日安排（非官方通知）\n"
                       "holiday 2032-12-31 2033-01-02\n";
    write_file(good, next, strlen(next));
    if (jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "import", good, NULL))
        fail_msg("calendar import 2033: exit %d: %s", r.status, jt_text_str(&r.err));
    assert_true(jt_contains(jt_text_str(&r.out), "(dates in December 2032: 1)"));
    jt_cmd_free(&r);
    if (jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "show", "2032", NULL))
        fail_msg("calendar show 2032: exit %d: %s", r.status, jt_text_str(&r.err));
    out = jt_text_str(&r.out);
    if (!jt_contains(out, "which the notice for 2033 names") ||
        !jt_contains(out, "2032-12-31 holiday"))
        fail_msg("calendar show 2032 after importing 2033: %s", out);
    jt_cmd_free(&r);
}

/* The example notice in docs/calendar.md, the format's documentation, must import as
 * shown: an operator starts from it. */
static void test_calendar_doc_example(void **state)
{
    tri_test *t = *state;
    jt_text doc = {0};
    jt_cmd r;
    char path[700], docpath[600];
    snprintf(docpath, sizeof docpath, "%s/docs/calendar.md", jt_env("JIANFU_TEST_ROOT"));
    jt_read_file(docpath, &doc);
    const char *sec = strstr(jt_text_str(&doc), "## The notice file");
    const char *open = sec ? strstr(sec, "```\n") : NULL;
    const char *close = open ? strstr(open + 4, "```") : NULL;
    if (!close)
        fail_msg("no example notice (a ``` block under \"## The notice file\") in %s", docpath);
    snprintf(path, sizeof path, "%s/doc-example.txt", t->dir);
    write_file(path, open + 4, (size_t)(close - (open + 4)));
    jt_text_free(&doc);

    int st = jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "import", path, NULL);
    if (st != 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", jt_text_str(&r.err));
        jt_cmd_free(&r);
        fail_msg("the example notice of docs/calendar.md (copied to %s) does not import:"
                 " exit %d: %s",
                 path, st, msg);
    }
    assert_true(jt_contains(jt_text_str(&r.out), "imported 2030"));
    jt_cmd_free(&r);
    if (jt_jianfu(&t->db, &r, NULL, JT_CMD_TIMEOUT_MS, "calendar", "show", "2030", NULL))
        fail_msg("calendar show 2030: exit %d: %s", r.status, jt_text_str(&r.err));
    assert_true(jt_contains(jt_text_str(&r.out), "2030-01-01 holiday"));
    assert_true(jt_contains(jt_text_str(&r.out), "2030-02-04 holiday"));
    assert_true(jt_contains(jt_text_str(&r.out), "2030-01-26 workday"));
    jt_cmd_free(&r);
}

int main(void)
{
    if (!jt_begin("test_triage"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_train, setup_train, teardown_common),
        cmocka_unit_test_setup_teardown(test_route_at_intake, setup_route, teardown_common),
        cmocka_unit_test_setup_teardown(test_threshold, setup_thresh, teardown_common),
        cmocka_unit_test_setup_teardown(test_no_model, setup_nomodel, teardown_common),
        cmocka_unit_test_setup_teardown(test_correct_train_reload, setup_learn,
                                        teardown_common),
        cmocka_unit_test_setup_teardown(test_classify_cli, setup_cli, teardown_common),
        cmocka_unit_test_setup_teardown(test_calendar, setup_cal, teardown_common),
        cmocka_unit_test_setup_teardown(test_calendar_doc_example, setup_caldoc,
                                        teardown_common),
    };
    return jt_end(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
