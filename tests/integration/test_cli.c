/* test_cli.c - the operator's subcommands of the jianfu binary, run as an operator runs
 * them, against a real PostgreSQL database of this test's own.
 *
 * What it proves:
 *   - `migrate` applies every migration once: a second run applies 0, and two runs started
 *     at the same moment on a fresh database both succeed and leave exactly one
 *     schema_migrations row per version (the advisory lock serialises them);
 *   - `serve` refuses to start against an un-migrated database, quickly, telling the
 *     operator to run `jianfu migrate`, and does not migrate it behind their back;
 *   - `serve` refuses to start without JIANFU_KEY_FILE, with a missing key file, or with
 *     a key file that group or others can read (mode 0644), each with a clear message;
 *   - `keygen` writes a mode 0600 key file even under umask 000, and refuses to overwrite
 *     an existing one (leaving it unchanged);
 *   - `dept add` stores a department and its alias; a duplicate code fails with
 *     "already exists" and stores nothing;
 *   - `user add` reads the password from stdin and stores only a PBKDF2-SHA256 hash with
 *     600000 iterations; a liaison without --dept is a usage error (exit 2) and one with
 *     an unknown department an error, neither storing a user;
 *   - `due` prints the deadline exactly (2026-02-13, a Friday before the Spring Festival,
 *     plus one working day is Saturday 2026-02-14, an adjusted working day), and a bad
 *     --from is a usage error (exit 2);
 *   - `overdue --dept` with an unknown department fails with a message naming it.
 * Needs ./tests/run (JIANFU_TEST_PGHOST, JIANFU_TEST_BIN, JIANFU_TEST_TMP, ...).
 */
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A subcommand that should fail at once is given this long before the test calls it a
 * hang (it must not start serving). */
#define QUICK_MS 15000

typedef struct {
    jt_db db;       /* migrated once in the group setup */
    int migrations; /* number of files in sql/migrations */
} cli_ctx;

static const char *bin(void)
{
    return jt_env("JIANFU_TEST_BIN");
}

/* The number of .sql files in sql/migrations: the versions a migrated database has. */
static int count_migrations(void)
{
    char dir[600];
    int n = 0;
    snprintf(dir, sizeof dir, "%s/sql/migrations", jt_env("JIANFU_TEST_ROOT"));
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".sql") == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* The count in migrate's "(N migrations applied)"; -1 when the line is not there. */
static int applied_count(const char *out)
{
    const char *p = strchr(out ? out : "", '(');
    int n = -1;
    if (!p || sscanf(p, "(%d migration", &n) != 1)
        return -1;
    return n;
}

static void run_migrate(jt_cmd *r, const jt_db *db)
{
    const char *argv[] = {bin(), "migrate", NULL};
    const char *env[] = {db->url_env, NULL};
    jt_run(r, argv, env, NULL, JT_CMD_TIMEOUT_MS);
}

static void expect_status(const jt_cmd *r, int want, const char *what)
{
    if (r->status != want)
        fail_msg("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r->status, want,
                 jt_text_str(&r->out), jt_text_str(&r->err));
}

static void expect_failure(const jt_cmd *r, const char *what)
{
    if (r->status == 0 || r->status > 128)
        fail_msg("%s: exit %d, want a clean non-zero exit\nstdout: %s\nstderr: %s", what,
                 r->status, jt_text_str(&r->out), jt_text_str(&r->err));
}

static void expect_stderr(const jt_cmd *r, const char *needle, const char *what)
{
    if (!jt_contains(jt_text_str(&r->err), needle))
        fail_msg("%s: stderr does not say \"%s\": %s", what, needle, jt_text_str(&r->err));
}

static int group_setup(void **state)
{
    cli_ctx *c = calloc(1, sizeof *c);
    jt_cmd r;
    assert_non_null(c);
    *state = c;
    c->migrations = count_migrations();
    assert_true(c->migrations >= 1);
    jt_db_create(&c->db, jt_env("JIANFU_TEST_PGHOST"), "cli");
    run_migrate(&r, &c->db);
    expect_status(&r, 0, "migrate");
    jt_cmd_free(&r);
    return 0;
}

static int group_teardown(void **state)
{
    cli_ctx *c = *state;
    if (c)
        jt_db_drop(&c->db);
    free(c);
    return 0;
}

/* ---- migrate ------------------------------------------------------------------------ */

static void test_migrate_twice(void **state)
{
    cli_ctx *c = *state;
    jt_db db;
    jt_cmd r;
    jt_db_create(&db, jt_env("JIANFU_TEST_PGHOST"), "cli_twice");

    run_migrate(&r, &db);
    expect_status(&r, 0, "first migrate");
    assert_int_equal(applied_count(jt_text_str(&r.out)), c->migrations);
    jt_cmd_free(&r);
    assert_int_equal(jt_db_int(db.conn, "SELECT count(*) FROM schema_migrations", NULL),
                     c->migrations);
    assert_true(jt_db_true(db.conn, "SELECT to_regclass('complaints') IS NOT NULL", NULL));

    run_migrate(&r, &db);
    expect_status(&r, 0, "second migrate");
    assert_int_equal(applied_count(jt_text_str(&r.out)), 0);
    jt_cmd_free(&r);
    assert_int_equal(jt_db_int(db.conn, "SELECT count(*) FROM schema_migrations", NULL),
                     c->migrations);
    jt_db_drop(&db);
}

static void test_migrate_concurrent(void **state)
{
    cli_ctx *c = *state;
    const char *tmp = jt_env("JIANFU_TEST_TMP");
    /* A few rounds, each on a fresh database, so that the two really overlap at least
     * once whatever the scheduling. */
    for (int round = 0; round < 3; round++) {
        char tag[32], out[2][600], err[2][600];
        jt_db db;
        pid_t pid[2];
        int status[2], applied = 0;
        snprintf(tag, sizeof tag, "cli_conc%d", round);
        jt_db_create(&db, jt_env("JIANFU_TEST_PGHOST"), tag);
        const char *argv[] = {bin(), "migrate", NULL};
        const char *env[] = {db.url_env, NULL};
        for (int i = 0; i < 2; i++) {
            snprintf(out[i], sizeof out[i], "%s/%s_%ld_%d.out", tmp, tag, (long)getpid(), i);
            snprintf(err[i], sizeof err[i], "%s/%s_%ld_%d.err", tmp, tag, (long)getpid(), i);
            unlink(out[i]);
            unlink(err[i]);
        }
        for (int i = 0; i < 2; i++)
            pid[i] = jt_spawn(argv, env, out[i], err[i]);
        for (int i = 0; i < 2; i++) {
            jt_text o = {0}, e = {0};
            status[i] = jt_wait(pid[i], JT_CMD_TIMEOUT_MS, "concurrent migrate");
            jt_read_file(out[i], &o);
            jt_read_file(err[i], &e);
            if (status[i] != 0)
                fail_msg("concurrent migrate %d exited %d: %s", i, status[i], jt_text_str(&e));
            int n = applied_count(jt_text_str(&o));
            assert_true(n >= 0);
            applied += n;
            jt_text_free(&o);
            jt_text_free(&e);
            unlink(out[i]);
            unlink(err[i]);
        }
        /* Between them they applied each migration exactly once. */
        assert_int_equal(applied, c->migrations);
        assert_int_equal(jt_db_int(db.conn, "SELECT count(*) FROM schema_migrations", NULL),
                         c->migrations);
        assert_int_equal(
            jt_db_int(db.conn, "SELECT count(DISTINCT version) FROM schema_migrations", NULL),
            c->migrations);
        char nbuf[16];
        snprintf(nbuf, sizeof nbuf, "%d", c->migrations);
        assert_true(jt_db_true(db.conn,
                               "SELECT min(version) = 1 AND max(version) = $1::int"
                               " FROM schema_migrations",
                               nbuf, NULL));
        jt_db_drop(&db);
    }
}

/* ---- serve refuses to start ---------------------------------------------------------- */

/* Run serve with env and expect it to exit on its own, non-zero, within QUICK_MS. */
static void run_serve_expect_refusal(jt_cmd *r, const char *const env[], const char *what)
{
    const char *argv[] = {bin(), "serve", NULL};
    int64_t t0 = jt_mono_ms();
    jt_run(r, argv, env, NULL, QUICK_MS);
    int64_t ms = jt_mono_ms() - t0;
    expect_failure(r, what);
    if (ms > 10000)
        fail_msg("%s: took %lld ms to refuse", what, (long long)ms);
}

static void test_serve_unmigrated(void **state)
{
    (void)state;
    char key[600], key_env[700], listen_env[64];
    jt_db db;
    jt_cmd r;
    jt_db_create(&db, jt_env("JIANFU_TEST_PGHOST"), "cli_raw");
    snprintf(key, sizeof key, "%s/cli_raw_%ld.key", jt_env("JIANFU_TEST_TMP"), (long)getpid());
    jt_keygen(key);
    snprintf(key_env, sizeof key_env, "JIANFU_KEY_FILE=%s", key);
    snprintf(listen_env, sizeof listen_env, "JIANFU_LISTEN=127.0.0.1:%d", jt_free_port());
    const char *env[] = {db.url_env, key_env, listen_env, "JIANFU_TWILIO_AUTH_TOKEN=t0k3n",
                         NULL};

    run_serve_expect_refusal(&r, env, "serve on an un-migrated database");
    expect_stderr(&r, "jianfu migrate", "serve on an un-migrated database");
    jt_cmd_free(&r);
    /* It told the operator to migrate; it did not do it itself. */
    assert_false(jt_db_true(db.conn, "SELECT to_regclass('complaints') IS NOT NULL", NULL));
    jt_db_drop(&db);
    unlink(key);
}

static void test_serve_key_file(void **state)
{
    cli_ctx *c = *state;
    char key[600], key_env[700], listen_env[64], missing_env[700];
    jt_cmd r;
    snprintf(key, sizeof key, "%s/cli_open_%ld.key", jt_env("JIANFU_TEST_TMP"), (long)getpid());
    jt_keygen(key);
    snprintf(key_env, sizeof key_env, "JIANFU_KEY_FILE=%s", key);
    snprintf(missing_env, sizeof missing_env, "JIANFU_KEY_FILE=%s.missing", key);
    snprintf(listen_env, sizeof listen_env, "JIANFU_LISTEN=127.0.0.1:%d", jt_free_port());

    /* No key file configured at all. */
    const char *no_key[] = {c->db.url_env, listen_env, "JIANFU_TWILIO_AUTH_TOKEN=t0k3n", NULL};
    run_serve_expect_refusal(&r, no_key, "serve without JIANFU_KEY_FILE");
    expect_stderr(&r, "JIANFU_KEY_FILE", "serve without JIANFU_KEY_FILE");
    expect_stderr(&r, "keygen", "serve without JIANFU_KEY_FILE");
    jt_cmd_free(&r);

    /* A key file that does not exist. */
    const char *missing[] = {c->db.url_env, missing_env, listen_env,
                             "JIANFU_TWILIO_AUTH_TOKEN=t0k3n", NULL};
    run_serve_expect_refusal(&r, missing, "serve with a missing key file");
    expect_stderr(&r, ".missing", "serve with a missing key file");
    jt_cmd_free(&r);

    /* A key file others can read: the keys of every reporter's anonymity. */
    assert_int_equal(chmod(key, 0644), 0);
    const char *open_key[] = {c->db.url_env, key_env, listen_env,
                              "JIANFU_TWILIO_AUTH_TOKEN=t0k3n", NULL};
    run_serve_expect_refusal(&r, open_key, "serve with a 0644 key file");
    expect_stderr(&r, key, "serve with a 0644 key file");
    expect_stderr(&r, "chmod 600", "serve with a 0644 key file");
    jt_cmd_free(&r);
    unlink(key);
}

/* ---- keygen ------------------------------------------------------------------------- */

static void test_keygen(void **state)
{
    (void)state;
    char key[600];
    struct stat st;
    jt_cmd r;
    jt_text before = {0}, after = {0};
    snprintf(key, sizeof key, "%s/cli_keygen_%ld.key", jt_env("JIANFU_TEST_TMP"),
             (long)getpid());
    unlink(key);
    const char *argv[] = {bin(), "keygen", "--out", key, NULL};

    /* Even a umask that would leave the file world-readable yields 0600. */
    mode_t old = umask(0);
    jt_run(&r, argv, NULL, NULL, JT_CMD_TIMEOUT_MS);
    umask(old);
    expect_status(&r, 0, "keygen");
    jt_cmd_free(&r);
    assert_int_equal(stat(key, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    jt_read_file(key, &before);
    assert_true(jt_contains(before.data, "jianfu-keyfile 1"));
    assert_true(jt_contains(before.data, "\npseudonym "));
    assert_true(jt_contains(before.data, "\nseal "));

    jt_run(&r, argv, NULL, NULL, JT_CMD_TIMEOUT_MS);
    expect_failure(&r, "keygen over an existing file");
    expect_stderr(&r, "already exists", "keygen over an existing file");
    jt_cmd_free(&r);
    jt_read_file(key, &after);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    jt_text_free(&before);
    jt_text_free(&after);
    unlink(key);
}

/* ---- departments and users ------------------------------------------------------------ */

static void test_dept_add(void **state)
{
    cli_ctx *c = *state;
    jt_cmd r;
    const char *env[] = {c->db.url_env, NULL};
    const char *add[] = {
        bin(),     "dept",   "add", "--code", "zhujian", "--name", "市住房和城乡建设委员会",
        "--alias", "住建委", NULL};
    jt_run(&r, add, env, NULL, JT_CMD_TIMEOUT_MS);
    expect_status(&r, 0, "dept add");
    jt_cmd_free(&r);
    char *name =
        jt_db_value(c->db.conn, "SELECT name FROM departments WHERE code = 'zhujian'", NULL);
    assert_non_null(name);
    assert_string_equal(name, "市住房和城乡建设委员会");
    free(name);
    assert_int_equal(jt_db_int(c->db.conn,
                               "SELECT count(*) FROM department_aliases a JOIN departments d"
                               " ON d.id = a.department_id"
                               " WHERE d.code = 'zhujian' AND a.alias = '住建委'",
                               NULL),
                     1);

    const char *dup[] = {bin(), "dept", "add", "--code", "zhujian", "--name", "另一个", NULL};
    jt_run(&r, dup, env, NULL, JT_CMD_TIMEOUT_MS);
    expect_failure(&r, "dept add with a duplicate code");
    expect_stderr(&r, "already exists", "dept add with a duplicate code");
    jt_cmd_free(&r);
    assert_int_equal(
        jt_db_int(c->db.conn, "SELECT count(*) FROM departments WHERE code = 'zhujian'", NULL),
        1);
    name = jt_db_value(c->db.conn, "SELECT name FROM departments WHERE code = 'zhujian'", NULL);
    assert_string_equal(name, "市住房和城乡建设委员会");
    free(name);
}

static void test_user_add(void **state)
{
    cli_ctx *c = *state;
    jt_cmd r;
    const char *env[] = {c->db.url_env, NULL};
    static const char password[] = "correct horse battery staple";

    const char *dept[] = {bin(),      "dept",   "add",      "--code",
                          "minzheng", "--name", "市民政局", NULL};
    jt_run(&r, dept, env, NULL, JT_CMD_TIMEOUT_MS);
    expect_status(&r, 0, "dept add minzheng");
    jt_cmd_free(&r);

    const char *admin[] = {bin(),       "user",   "add",   "--login",
                           "ops.admin", "--role", "admin", NULL};
    jt_run(&r, admin, env, "correct horse battery staple\n", JT_CMD_TIMEOUT_MS);
    expect_status(&r, 0, "user add admin");
    assert_false(jt_contains(jt_text_str(&r.out), password));
    assert_false(jt_contains(jt_text_str(&r.err), password));
    jt_cmd_free(&r);
    char *hash = jt_db_value(c->db.conn,
                             "SELECT password_hash FROM users WHERE login = 'ops.admin'", NULL);
    assert_non_null(hash);
    if (strncmp(hash, "pbkdf2-sha256$600000$", 21) != 0)
        fail_msg("password_hash is \"%s\", want pbkdf2-sha256$600000$...", hash);
    assert_false(jt_contains(hash, password));
    assert_true(strlen(hash) > 40); /* carries a salt and a digest after the prefix */
    free(hash);

    /* A liaison works one department's inbox: without --dept it is a usage error. */
    const char *no_dept[] = {bin(),      "user",   "add",     "--login",
                             "liaison1", "--role", "liaison", NULL};
    jt_run(&r, no_dept, env, "correct horse battery staple\n", JT_CMD_TIMEOUT_MS);
    expect_status(&r, 2, "liaison without --dept");
    expect_stderr(&r, "--dept", "liaison without --dept");
    jt_cmd_free(&r);

    const char *bad_dept[] = {bin(),    "user",    "add",    "--login",    "liaison1",
                              "--role", "liaison", "--dept", "nosuchdept", NULL};
    jt_run(&r, bad_dept, env, "correct horse battery staple\n", JT_CMD_TIMEOUT_MS);
    expect_failure(&r, "liaison of an unknown department");
    expect_stderr(&r, "nosuchdept", "liaison of an unknown department");
    jt_cmd_free(&r);
    assert_int_equal(
        jt_db_int(c->db.conn, "SELECT count(*) FROM users WHERE login = 'liaison1'", NULL), 0);

    const char *good[] = {bin(),    "user",    "add",    "--login",  "liaison1",
                          "--role", "liaison", "--dept", "minzheng", NULL};
    jt_run(&r, good, env, "correct horse battery staple\n", JT_CMD_TIMEOUT_MS);
    expect_status(&r, 0, "liaison of minzheng");
    jt_cmd_free(&r);
    assert_int_equal(jt_db_int(c->db.conn,
                               "SELECT count(*) FROM users u JOIN departments d"
                               " ON d.id = u.department_id"
                               " WHERE u.login = 'liaison1' AND u.role = 'liaison'"
                               " AND d.code = 'minzheng'",
                               NULL),
                     1);
}

/* ---- due and overdue ------------------------------------------------------------------ */

static void test_due(void **state)
{
    (void)state;
    jt_cmd r;
    const char *ok[] = {bin(), "due", "--from", "2026-02-13T10:00:00+08:00", "--working-days",
                        "1",   NULL};
    jt_run(&r, ok, NULL, NULL, JT_CMD_TIMEOUT_MS);
    expect_status(&r, 0, "due");
    assert_string_equal(jt_text_str(&r.out), "2026-02-14T23:59:59+08:00\n");
    jt_cmd_free(&r);

    static const char *const bad_from[] = {"2026-02-13 10:00", "2026-02-30T10:00:00+08:00",
                                           "yesterday", ""};
    for (size_t i = 0; i < sizeof bad_from / sizeof bad_from[0]; i++) {
        const char *bad[] = {bin(), "due", "--from", bad_from[i], "--working-days", "1", NULL};
        jt_run(&r, bad, NULL, NULL, JT_CMD_TIMEOUT_MS);
        if (r.status != 2)
            fail_msg("due --from '%s': exit %d, want 2", bad_from[i], r.status);
        assert_string_equal(jt_text_str(&r.out), "");
        expect_stderr(&r, "--from", "due with a bad --from");
        jt_cmd_free(&r);
    }
}

static void test_overdue_unknown_dept(void **state)
{
    cli_ctx *c = *state;
    jt_cmd r;
    const char *env[] = {c->db.url_env, NULL};
    const char *argv[] = {bin(), "overdue", "--dept", "nosuchdept", NULL};
    jt_run(&r, argv, env, NULL, JT_CMD_TIMEOUT_MS);
    expect_failure(&r, "overdue --dept nosuchdept");
    expect_stderr(&r, "nosuchdept", "overdue --dept nosuchdept");
    jt_cmd_free(&r);

    /* The same command for a department that exists succeeds with an empty list. */
    const char *dept[] = {bin(), "dept", "add", "--code", "jiaoyu", "--name", "市教育局", NULL};
    jt_run(&r, dept, env, NULL, JT_CMD_TIMEOUT_MS);
    expect_status(&r, 0, "dept add jiaoyu");
    jt_cmd_free(&r);
    const char *known[] = {bin(), "overdue", "--dept", "jiaoyu", NULL};
    jt_run(&r, known, env, NULL, JT_CMD_TIMEOUT_MS);
    expect_status(&r, 0, "overdue --dept jiaoyu");
    assert_string_equal(jt_text_str(&r.out), "[]\n");
    jt_cmd_free(&r);
}

int main(void)
{
    if (!jt_begin("test_cli"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_twice),
        cmocka_unit_test(test_migrate_concurrent),
        cmocka_unit_test(test_serve_unmigrated),
        cmocka_unit_test(test_serve_key_file),
        cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_dept_add),
        cmocka_unit_test(test_user_add),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_overdue_unknown_dept),
    };
    return jt_end(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
