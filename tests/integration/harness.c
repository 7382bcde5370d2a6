/* harness.c - processes, databases, HTTP and signed webhooks for the integration tests. */
#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "triage/ticket.h"
#include "webhook/form.h"

extern char **environ;

/* The variables ./tests/run exports; a test cannot run without every one of them. */
static const char *const required_env[] = {
    "JIANFU_TEST_PGHOST", "JIANFU_TEST_TMP", "JIANFU_TEST_BIN", "JIANFU_TEST_ROOT", "PG_BIN",
};

/* Most environment edits or inherited variables a child gets. */
#define MAX_ENV 512
/* Most arguments jt_pg_run passes on. */
#define MAX_ARGS 64
/* Most query parameters of jt_db_value. */
#define MAX_PARAMS 16
/* How many ports jt_server_start tries before giving up. */
#define MAX_PORT_ATTEMPTS 5

/* ---- environment ------------------------------------------------------------------- */

bool jt_env_check(const char *test_name)
{
    for (size_t i = 0; i < sizeof required_env / sizeof required_env[0]; i++) {
        const char *v = getenv(required_env[i]);
        if (!v || !*v) {
            fprintf(stderr,
                    "%s: FAIL: %s is not set. The integration tests need the throwaway "
                    "PostgreSQL cluster and the sanitized jianfu binary that ./tests/run "
                    "provides: run ./tests/run from the repository root.\n",
                    test_name, required_env[i]);
            return false;
        }
    }
    if (access(getenv("JIANFU_TEST_BIN"), X_OK) != 0) {
        fprintf(stderr, "%s: FAIL: JIANFU_TEST_BIN=%s is not an executable; run ./tests/run\n",
                test_name, getenv("JIANFU_TEST_BIN"));
        return false;
    }
    return true;
}

bool jt_begin(const char *test_name)
{
    if (!jt_env_check(test_name))
        return false;
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "%s: FAIL: curl_global_init failed\n", test_name);
        return false;
    }
    return true;
}

/* Set once by jt_end, read by LeakSanitizer at exit. */
static int tests_failed;

/* LeakSanitizer's hook (sanitizer/lsan_interface.h): non-zero skips the leak report. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return tests_failed != 0;
}

int jt_end(int failed)
{
    curl_global_cleanup();
    tests_failed = failed;
    return failed;
}

const char *jt_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set; run ./tests/run", name);
    return v;
}

/* ---- text -------------------------------------------------------------------------- */

bool jt_text_append_try(jt_text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > JT_TEXT_MAX)
        return false;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->data, cap);
        if (!p)
            return false;
        t->data = p;
        t->cap = cap;
    }
    if (n)
        memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
    return true;
}

void jt_text_append(jt_text *t, const char *s, size_t n)
{
    if (!jt_text_append_try(t, s, n))
        fail_msg("text larger than %d bytes or out of memory", JT_TEXT_MAX);
}

void jt_text_appendf(jt_text *t, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        fail_msg("vsnprintf failed");
    if ((size_t)n < sizeof small) {
        jt_text_append(t, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        fail_msg("out of memory");
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    jt_text_append(t, big, (size_t)n);
    free(big);
}

const char *jt_text_str(const jt_text *t)
{
    return t->data ? t->data : "";
}

void jt_text_free(jt_text *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}

void jt_read_file(const char *path, jt_text *out)
{
    char chunk[8192];
    jt_text_free(out);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (!jt_text_append_try(out, chunk, n)) {
            fclose(f);
            fail_msg("%s is larger than %d bytes", path, JT_TEXT_MAX);
        }
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad)
        fail_msg("cannot read %s", path);
    jt_text_append(out, "", 0);
}

bool jt_contains(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

/* Length of the separator or digit at p, for jt_contains_number: *digit receives the
 * ASCII digit when p is a digit (ASCII or full-width), '\0' for a separator; returns 0
 * when p is neither. */
static size_t number_piece(const unsigned char *p, char *digit)
{
    *digit = '\0';
    if (*p >= '0' && *p <= '9') {
        *digit = (char)*p;
        return 1;
    }
    if (strchr(" -.()+", *p) && *p)
        return 1;
    if (p[0] == 0xC2 && p[1] == 0xA0) /* U+00A0 no-break space */
        return 2;
    if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) /* U+3000 ideographic space */
        return 3;
    if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x90 && p[2] <= 0x94) /* U+2010..U+2014 */
        return 3;
    if (p[0] == 0xEF && p[1] == 0xBC) {
        if (p[2] >= 0x90 && p[2] <= 0x99) { /* U+FF10..U+FF19 full-width digits */
            *digit = (char)('0' + (p[2] - 0x90));
            return 3;
        }
        if (p[2] == 0x88 || p[2] == 0x89 || p[2] == 0x8B || p[2] == 0x8D || p[2] == 0x8E)
            return 3; /* full-width ( ) + - . */
    }
    return 0;
}

bool jt_contains_number(const char *s, const char *digits)
{
    /* Collapse every run of digits and separators into its digits alone, keep other
     * bytes as they are, and look for the digits in the result. */
    jt_text norm = {0};
    const unsigned char *p = (const unsigned char *)s;
    bool found = false;
    while (p && *p) {
        char d;
        size_t n = number_piece(p, &d);
        if (n == 0) {
            n = 1;
            d = (char)*p;
        }
        if (d && !jt_text_append_try(&norm, &d, 1))
            fail_msg("out of memory");
        p += n;
    }
    found = norm.data && strstr(norm.data, digits) != NULL;
    jt_text_free(&norm);
    return found;
}

void jt_hex(const void *p, size_t n, char *out)
{
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[b[i] >> 4];
        out[2 * i + 1] = hexd[b[i] & 15];
    }
    out[2 * n] = '\0';
}

bool jt_has_hex_run(const char *s, size_t min)
{
    size_t run = 0;
    for (; s && *s; s++) {
        bool hex =
            (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F');
        run = hex ? run + 1 : 0;
        if (run >= min)
            return true;
    }
    return false;
}

void jt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int64_t jt_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- processes --------------------------------------------------------------------- */

static bool env_edit_names(const char *const edits[], const char *entry)
{
    size_t n = strcspn(entry, "=");
    for (size_t i = 0; edits && edits[i]; i++) {
        size_t m = strcspn(edits[i], "=");
        if (m == n && strncmp(edits[i], entry, n) == 0)
            return true;
    }
    return false;
}

/* The environment of a child: the test's own minus inherited JIANFU_* settings (the test
 * variables JIANFU_TEST_* stay), with edits applied. The strings are borrowed. */
static char **child_env(const char *const edits[])
{
    char **envp = calloc(MAX_ENV + 1, sizeof *envp);
    size_t n = 0;
    if (!envp)
        fail_msg("out of memory");
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "JIANFU_", 7) == 0 && strncmp(*e, "JIANFU_TEST_", 12) != 0)
            continue;
        if (env_edit_names(edits, *e))
            continue;
        if (n == MAX_ENV) {
            free(envp);
            fail_msg("more than %d environment variables", MAX_ENV);
        }
        envp[n++] = *e;
    }
    for (size_t i = 0; edits && edits[i]; i++) {
        if (!strchr(edits[i], '='))
            continue;
        if (n == MAX_ENV) {
            free(envp);
            fail_msg("more than %d environment variables", MAX_ENV);
        }
        envp[n++] = (char *)edits[i];
    }
    envp[n] = NULL;
    return envp;
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void exec_child(int in_fd, int out_fd, int err_fd, const char *const argv[], char **envp)
{
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(126);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    /* The tests ignore SIGPIPE; the child starts with the default disposition. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    execve(argv[0], (char *const *)argv, envp);
    _exit(127);
}

static int open_out(const char *path)
{
    int fd = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        fail_msg("cannot open %s: %s", path ? path : "/dev/null", strerror(errno));
    return fd;
}

pid_t jt_spawn(const char *const argv[], const char *const env[], const char *stdout_path,
               const char *stderr_path)
{
    char **envp = child_env(env);
    int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out_fd = open_out(stdout_path);
    int err_fd = open_out(stderr_path);
    pid_t pid = in_fd < 0 ? -1 : fork();
    if (pid == 0)
        exec_child(in_fd, out_fd, err_fd, argv, envp);
    int saved = errno;
    close(in_fd);
    close(out_fd);
    close(err_fd);
    free(envp);
    if (pid < 0)
        fail_msg("cannot start %s: %s", argv[0], strerror(saved));
    return pid;
}

static int decode_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 255;
}

bool jt_wait_try(pid_t pid, int timeout_ms, int *status)
{
    int64_t deadline = jt_mono_ms() + timeout_ms;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            *status = decode_status(st);
            return true;
        }
        if (r < 0 && errno != EINTR) {
            *status = 255; /* not our child, or already reaped */
            return true;
        }
        if (jt_mono_ms() >= deadline)
            return false;
        jt_sleep_ms(10);
    }
}

int jt_wait(pid_t pid, int timeout_ms, const char *what)
{
    int status = 0;
    if (jt_wait_try(pid, timeout_ms, &status))
        return status;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("%s did not finish within %d ms; killed", what, timeout_ms);
    return -1;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A pipe whose ends are closed on exec (the child gets its copies through dup2). */
static bool pipe_cloexec(int p[2])
{
    if (pipe(p) != 0)
        return false;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return true;
}

void jt_run(jt_cmd *r, const char *const argv[], const char *const env[], const char *input,
            int timeout_ms)
{
    int in_p[2], out_p[2], err_p[2];
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (!pipe_cloexec(in_p) || !pipe_cloexec(out_p) || !pipe_cloexec(err_p))
        fail_msg("pipe: %s", strerror(errno));
    char **envp = child_env(env);
    pid_t pid = fork();
    if (pid == 0)
        exec_child(in_p[0], out_p[1], err_p[1], argv, envp);
    int saved = errno;
    free(envp);
    close(in_p[0]);
    close(out_p[1]);
    close(err_p[1]);
    if (pid < 0) {
        close(in_p[1]);
        close(out_p[0]);
        close(err_p[0]);
        fail_msg("cannot start %s: %s", argv[0], strerror(saved));
    }

    int64_t deadline = jt_mono_ms() + timeout_ms;
    size_t in_len = input ? strlen(input) : 0, in_off = 0;
    int in_fd = in_p[1];
    bool overflow = false, timed_out = false;
    set_nonblock(in_fd);
    if (in_len == 0) {
        close(in_fd);
        in_fd = -1;
    }
    int fds[2] = {out_p[0], err_p[0]};
    jt_text *dst[2] = {&r->out, &r->err};
    while (fds[0] >= 0 || fds[1] >= 0 || in_fd >= 0) {
        struct pollfd pfd[3];
        int np = 0, idx[3];
        for (int i = 0; i < 2; i++) {
            if (fds[i] >= 0) {
                pfd[np] = (struct pollfd){fds[i], POLLIN, 0};
                idx[np++] = i;
            }
        }
        if (in_fd >= 0) {
            pfd[np] = (struct pollfd){in_fd, POLLOUT, 0};
            idx[np++] = 2;
        }
        int64_t left = deadline - jt_mono_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int rc = poll(pfd, (nfds_t)np, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            break;
        for (int k = 0; k < np; k++) {
            if (!pfd[k].revents)
                continue;
            if (idx[k] == 2) {
                ssize_t w = write(in_fd, input + in_off, in_len - in_off);
                if (w > 0)
                    in_off += (size_t)w;
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    in_off = in_len; /* the child closed its stdin: stop feeding it */
                if (in_off == in_len) {
                    close(in_fd);
                    in_fd = -1;
                }
                continue;
            }
            char buf[8192];
            ssize_t n = read(fds[idx[k]], buf, sizeof buf);
            if (n > 0) {
                if (!jt_text_append_try(dst[idx[k]], buf, (size_t)n))
                    overflow = true;
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(fds[idx[k]]);
                fds[idx[k]] = -1;
            }
        }
        if (overflow)
            break;
    }
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (in_fd >= 0)
        close(in_fd);
    if (timed_out || overflow) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("%s %s: %s", argv[0], argv[1] ? argv[1] : "",
                 timed_out ? "did not finish in time; killed" : "printed too much; killed");
    }
    int64_t left = deadline - jt_mono_ms();
    r->status = jt_wait(pid, left > 0 ? (int)left : 0, argv[0]);
    jt_text_append(&r->out, "", 0);
    jt_text_append(&r->err, "", 0);
}

void jt_cmd_free(jt_cmd *r)
{
    jt_text_free(&r->out);
    jt_text_free(&r->err);
}

void jt_pg_run(jt_cmd *r, const char *const argv[], int timeout_ms)
{
    const char *args[MAX_ARGS + 5];
    size_t n = 0;
    if (geteuid() == 0) {
        /* PostgreSQL refuses root; the cluster belongs to 'postgres' (deploy/lib/pg.sh). */
        args[n++] =
            access("/usr/sbin/runuser", X_OK) == 0 ? "/usr/sbin/runuser" : "/sbin/runuser";
        args[n++] = "-u";
        args[n++] = "postgres";
        args[n++] = "--";
    }
    for (size_t i = 0; argv[i]; i++) {
        if (i == MAX_ARGS)
            fail_msg("too many arguments");
        args[n++] = argv[i];
    }
    args[n] = NULL;
    jt_run(r, args, NULL, NULL, timeout_ms);
}

int jt_jianfu(const jt_db *db, jt_cmd *r, const char *input, int timeout_ms, ...)
{
    const char *argv[40];
    size_t n = 0;
    va_list ap;
    argv[n++] = jt_env("JIANFU_TEST_BIN");
    va_start(ap, timeout_ms);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
        if (n == sizeof argv / sizeof argv[0] - 1) {
            va_end(ap);
            fail_msg("too many arguments");
        }
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    const char *env[] = {db ? db->url_env : NULL, NULL};
    jt_run(r, argv, env, input, timeout_ms);
    return r->status;
}

void jt_mkdir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", path, strerror(errno));
}

int jt_pg_sh(const char *script)
{
    jt_text full = {0};
    jt_cmd r;
    /* deploy/lib/pg.sh is the one place that knows how to make and run a cluster. */
    jt_text_appendf(&full, ". '%s/deploy/lib/pg.sh' && %s", jt_env("JIANFU_TEST_ROOT"), script);
    const char *argv[] = {"/bin/bash", "-c", full.data, NULL};
    jt_run(&r, argv, NULL, NULL, JT_CMD_TIMEOUT_MS);
    int status = r.status;
    if (status != 0)
        print_message("pg.sh snippet failed (exit %d): %s\nstdout: %s\nstderr: %s\n", status,
                      script, jt_text_str(&r.out), jt_text_str(&r.err));
    jt_cmd_free(&r);
    jt_text_free(&full);
    return status;
}

/* ---- databases --------------------------------------------------------------------- */

/* NOTICEs such as "database ... does not exist, skipping" are not news in a test log. */
static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static PGconn *connect_or_fail(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (c)
        PQsetNoticeProcessor(c, quiet_notice, NULL);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        fail_msg("cannot connect to %s: %s", conninfo, msg);
    }
    return c;
}

static void exec_or_fail(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
        PQclear(res);
        fail_msg("%s: %s", sql, msg);
    }
    PQclear(res);
}

void jt_db_create(jt_db *db, const char *host, const char *tag)
{
    char admin[640], sql[160];
    memset(db, 0, sizeof *db);
    snprintf(db->name, sizeof db->name, "jf_%s_%ld", tag, (long)getpid());
    snprintf(db->host, sizeof db->host, "%s", host);
    snprintf(admin, sizeof admin, "host='%s' dbname=postgres user=postgres", host);
    snprintf(db->conninfo, sizeof db->conninfo, "host='%s' dbname=%s user=postgres", host,
             db->name);
    snprintf(db->url_env, sizeof db->url_env, "JIANFU_DATABASE_URL=%s", db->conninfo);

    PGconn *c = connect_or_fail(admin);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    exec_or_fail(c, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db->name);
    exec_or_fail(c, sql);
    PQfinish(c);
    db->conn = connect_or_fail(db->conninfo);
}

void jt_db_drop(jt_db *db)
{
    char admin[640], sql[160];
    if (!db || !db->name[0])
        return;
    PQfinish(db->conn);
    db->conn = NULL;
    snprintf(admin, sizeof admin, "host='%s' dbname=postgres user=postgres", db->host);
    PGconn *c = PQconnectdb(admin);
    if (c)
        PQsetNoticeProcessor(c, quiet_notice, NULL);
    if (c && PQstatus(c) == CONNECTION_OK) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
        PQclear(PQexec(c, sql));
    }
    PQfinish(c);
    db->name[0] = '\0';
}

void jt_db_reconnect(jt_db *db)
{
    PQfinish(db->conn);
    db->conn = NULL;
    db->conn = connect_or_fail(db->conninfo);
}

static char *db_value_v(PGconn *conn, const char *sql, va_list ap)
{
    const char *params[MAX_PARAMS];
    int n = 0;
    for (const char *p = va_arg(ap, const char *); p; p = va_arg(ap, const char *)) {
        if (n == MAX_PARAMS)
            fail_msg("more than %d query parameters", MAX_PARAMS);
        params[n++] = p;
    }
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 1) {
        char msg[512];
        snprintf(msg, sizeof msg, "status %s, %d rows, %d columns: %s",
                 PQresStatus(PQresultStatus(res)), PQntuples(res), PQnfields(res),
                 PQresultErrorMessage(res));
        PQclear(res);
        fail_msg("query %s: %s", sql, msg);
    }
    char *v = PQgetisnull(res, 0, 0) ? NULL : strdup(PQgetvalue(res, 0, 0));
    bool oom = !PQgetisnull(res, 0, 0) && !v;
    PQclear(res);
    if (oom)
        fail_msg("out of memory");
    return v;
}

char *jt_db_value(PGconn *conn, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    char *v = db_value_v(conn, sql, ap);
    va_end(ap);
    return v;
}

long long jt_db_int(PGconn *conn, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    char *v = db_value_v(conn, sql, ap);
    va_end(ap);
    char *end = NULL;
    long long n = v ? strtoll(v, &end, 10) : 0;
    bool ok = v && *v && end && *end == '\0';
    free(v);
    if (!ok)
        fail_msg("query %s: expected an integer", sql);
    return n;
}

bool jt_db_true(PGconn *conn, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    char *v = db_value_v(conn, sql, ap);
    va_end(ap);
    bool t = v && strcmp(v, "t") == 0;
    bool ok = v && (strcmp(v, "t") == 0 || strcmp(v, "f") == 0);
    free(v);
    if (!ok)
        fail_msg("query %s: expected a boolean", sql);
    return t;
}

/* ---- HTTP -------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    jt_http_resp *r = arg;
    return jt_text_append_try(&r->body, p, size * n) ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    jt_http_resp *r = arg;
    /* Keep the header block of the final response only (not that of a 100 Continue). */
    if (size * n >= 5 && strncmp(p, "HTTP/", 5) == 0)
        r->headers.len = 0;
    return jt_text_append_try(&r->headers, p, size * n) ? size * n : 0;
}

typedef struct {
    const char *data;
    size_t len, off;
} upload;

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    upload *u = arg;
    size_t want = size * n, left = u->len - u->off;
    /* Small pieces, so that the body really goes out as many chunks. */
    if (want > 8192)
        want = 8192;
    if (want > left)
        want = left;
    memcpy(buf, u->data + u->off, want);
    u->off += want;
    return want;
}

int jt_http_try(const jt_http_req *req, jt_http_resp *resp)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    char iface[80];
    struct curl_slist *hdrs = NULL;
    upload up = {req->body ? req->body : "", req->body_len, 0};
    int rc = CURLE_OUT_OF_MEMORY;

    memset(resp, 0, sizeof *resp);
    CURL *h = curl_easy_init();
    if (!h)
        goto out;
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)JT_HTTP_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "jianfu-itest-agent/4.2");
    if (req->source_ip) {
        snprintf(iface, sizeof iface, "host!%s", req->source_ip);
        curl_easy_setopt(h, CURLOPT_INTERFACE, iface);
    }
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        struct curl_slist *t = curl_slist_append(hdrs, req->headers[i]);
        if (!t)
            goto out;
        hdrs = t;
    }
    if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        if (req->chunked) {
            struct curl_slist *t = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
            if (!t)
                goto out;
            hdrs = t;
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(h, CURLOPT_READDATA, &up);
        } else {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        }
    } else if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    rc = (int)curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
out:
    if (rc != CURLE_OK)
        snprintf(resp->error, sizeof resp->error, "%.16s %.200s: %.250s", req->method, req->url,
                 errbuf[0] ? errbuf : curl_easy_strerror((CURLcode)rc));
    jt_text_append_try(&resp->body, "", 0);
    jt_text_append_try(&resp->headers, "", 0);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

void jt_http(const jt_http_req *req, jt_http_resp *resp)
{
    if (jt_http_try(req, resp) != CURLE_OK) {
        char msg[sizeof resp->error];
        memcpy(msg, resp->error, sizeof msg);
        jt_http_resp_free(resp);
        fail_msg("HTTP request failed: %s", msg);
    }
}

void jt_http_get(const char *url, jt_http_resp *resp)
{
    jt_http_req req = {.method = "GET", .url = url};
    jt_http(&req, resp);
}

void jt_http_resp_free(jt_http_resp *resp)
{
    jt_text_free(&resp->headers);
    jt_text_free(&resp->body);
}

const char *jt_http_header(const jt_http_resp *resp, const char *name, char *out, size_t outsz)
{
    size_t nlen = strlen(name);
    const char *p = jt_text_str(&resp->headers);
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            const char *end = p + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' '))
                end--;
            snprintf(out, outsz, "%.*s", (int)(end - v), v);
            return out;
        }
        p += len + (eol ? 1 : 0);
    }
    return NULL;
}

/* ---- jianfu serve ------------------------------------------------------------------ */

int jt_free_port(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail_msg("socket: %s", strerror(errno));
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        int e = errno;
        close(fd);
        fail_msg("cannot find a free port: %s", strerror(e));
    }
    close(fd);
    return ntohs(a.sin_port);
}

void jt_keygen(const char *path)
{
    jt_cmd r;
    const char *argv[] = {jt_env("JIANFU_TEST_BIN"), "keygen", "--out", path, NULL};
    unlink(path);
    jt_run(&r, argv, NULL, NULL, JT_CMD_TIMEOUT_MS);
    if (r.status != 0) {
        print_error("keygen stderr: %s\n", jt_text_str(&r.err));
        jt_cmd_free(&r);
        fail_msg("jianfu keygen --out %s failed", path);
    }
    jt_cmd_free(&r);
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char b[64];
    if (nbytes > sizeof b)
        fail_msg("random_hex: too many bytes");
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && read(fd, b, nbytes) == (ssize_t)nbytes;
    if (fd >= 0)
        close(fd);
    if (!ok)
        fail_msg("cannot read /dev/urandom");
    jt_hex(b, nbytes, out);
}

void jt_new_sid(char out[35])
{
    out[0] = 'S';
    out[1] = 'M';
    random_hex(out + 2, 16);
}

const char *jt_server_url(const jt_server *s, const char *path, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s%s", s->base_url, path);
    return out;
}

void jt_server_start(jt_server *s, const char *conninfo, const char *tag)
{
    jt_server_start_opts(s, conninfo, tag, NULL);
}

void jt_server_start_opts(jt_server *s, const char *conninfo, const char *tag,
                          const jt_server_opts *opts)
{
    const char *tmp = jt_env("JIANFU_TEST_TMP");
    char url_env[700], key_env[600], token_env[128], listen_env[64], public_env[96];
    char url[128];
    jt_text log = {0};
    const jt_server_opts none = {NULL, NULL, NULL};
    if (!opts)
        opts = &none;

    memset(s, 0, sizeof *s);
    snprintf(s->conninfo, sizeof s->conninfo, "%s", conninfo);
    if (opts->key_file)
        snprintf(s->key_file, sizeof s->key_file, "%s", opts->key_file);
    else
        snprintf(s->key_file, sizeof s->key_file, "%s/%s_%ld.key", tmp, tag, (long)getpid());
    snprintf(s->stderr_path, sizeof s->stderr_path, "%s/%s_%ld.serve.log", tmp, tag,
             (long)getpid());
    if (opts->token)
        snprintf(s->token, sizeof s->token, "%s", opts->token);
    else
        random_hex(s->token, 16);
    if (!opts->key_file)
        jt_keygen(s->key_file);
    unlink(s->stderr_path);

    for (int attempt = 1;; attempt++) {
        s->port = jt_free_port();
        snprintf(s->base_url, sizeof s->base_url, "http://127.0.0.1:%d", s->port);
        snprintf(url_env, sizeof url_env, "JIANFU_DATABASE_URL=%s", conninfo);
        snprintf(key_env, sizeof key_env, "JIANFU_KEY_FILE=%s", s->key_file);
        snprintf(token_env, sizeof token_env, "JIANFU_TWILIO_AUTH_TOKEN=%s", s->token);
        snprintf(listen_env, sizeof listen_env, "JIANFU_LISTEN=127.0.0.1:%d", s->port);
        snprintf(public_env, sizeof public_env, "JIANFU_PUBLIC_URL=%s", s->base_url);
        const char *env[5 + JT_SERVER_MAX_ENV + 1] = {url_env, key_env, token_env, listen_env,
                                                      public_env};
        size_t nenv = 5;
        for (size_t i = 0; opts->env && opts->env[i]; i++) {
            if (nenv == 5 + JT_SERVER_MAX_ENV)
                fail_msg("more than %d extra environment variables for serve",
                         JT_SERVER_MAX_ENV);
            env[nenv++] = opts->env[i];
        }
        env[nenv] = NULL;
        const char *argv[] = {jt_env("JIANFU_TEST_BIN"), "serve", NULL};
        s->pid = jt_spawn(argv, env, NULL, s->stderr_path);

        int64_t deadline = jt_mono_ms() + JT_START_TIMEOUT_MS;
        int status = 0;
        bool exited = false;
        while (jt_mono_ms() < deadline) {
            if (jt_wait_try(s->pid, 0, &status)) {
                exited = true;
                break;
            }
            jt_http_resp resp;
            int rc = jt_http_try(
                &(jt_http_req){.method = "GET",
                               .url = jt_server_url(s, "/healthz", url, sizeof url)},
                &resp);
            long st = resp.status;
            jt_http_resp_free(&resp);
            if (rc == CURLE_OK && st == 200)
                return;
            jt_sleep_ms(50);
        }
        jt_read_file(s->stderr_path, &log);
        if (exited && attempt < MAX_PORT_ATTEMPTS && jt_contains(log.data, "cannot listen")) {
            /* Another test took the port between our probe and the server's bind. */
            s->pid = 0;
            continue;
        }
        print_error("jianfu serve stderr:\n%s\n", jt_text_str(&log));
        jt_text_free(&log);
        if (!exited) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
        s->pid = 0;
        if (exited)
            fail_msg("jianfu serve exited with status %d before /healthz answered", status);
        fail_msg("jianfu serve did not answer /healthz within %d ms", JT_START_TIMEOUT_MS);
    }
}

int jt_server_stop(jt_server *s)
{
    if (s->pid <= 0)
        fail_msg("jianfu serve is not running");
    if (kill(s->pid, SIGTERM) != 0)
        fail_msg("kill(SIGTERM): %s", strerror(errno));
    pid_t pid = s->pid;
    s->pid = 0;
    return jt_wait(pid, JT_STOP_TIMEOUT_MS, "jianfu serve after SIGTERM");
}

void jt_server_kill(jt_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

/* ---- Twilio webhooks --------------------------------------------------------------- */

static void percent_encode(jt_text *out, const char *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char enc[3];
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            jt_text_append(out, (const char *)p, 1);
            continue;
        }
        enc[0] = '%';
        enc[1] = hexd[*p >> 4];
        enc[2] = hexd[*p & 15];
        jt_text_append(out, enc, 3);
    }
}

void jt_form_encode(const jt_param *p, size_t n, jt_text *out)
{
    jt_text_free(out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            jt_text_append(out, "&", 1);
        percent_encode(out, p[i].name);
        jt_text_append(out, "=", 1);
        percent_encode(out, p[i].value);
    }
    jt_text_append(out, "", 0);
}

void jt_twilio_sign(const char *token, const char *url, const jt_param *p, size_t n,
                    char sig[JF_TWILIO_SIG_LEN + 1])
{
    jf_form_field fields[JF_FORM_MAX_FIELDS];
    if (n > JF_FORM_MAX_FIELDS)
        fail_msg("too many parameters to sign");
    for (size_t i = 0; i < n; i++) {
        /* The signer only reads the fields; jf_form just has no const variant. */
        fields[i].name = (char *)p[i].name;
        fields[i].value = (char *)p[i].value;
    }
    jf_form form = {fields, n};
    jf_err err = jf_webhook_twilio_signature(token, url, &form, sig);
    if (err)
        fail_msg("jf_webhook_twilio_signature: %s", jf_strerror(err));
}

void jt_twilio_post(const jt_server *s, const char *path, const jt_param *p, size_t n,
                    const jt_twilio_opts *opts, jt_http_resp *resp)
{
    char url[640], sig[JF_TWILIO_SIG_LEN + 1], ct_h[160], sig_h[160];
    jt_text body = {0};
    const jt_twilio_opts none = {NULL, NULL, NULL};
    if (!opts)
        opts = &none;
    jt_server_url(s, path, url, sizeof url);
    jt_form_encode(p, n, &body);
    if (!opts->signature)
        jt_twilio_sign(s->token, url, p, n, sig);
    snprintf(ct_h, sizeof ct_h, "Content-Type: %s",
             opts->content_type ? opts->content_type : "application/x-www-form-urlencoded");
    snprintf(sig_h, sizeof sig_h, "%s: %s", JF_TWILIO_SIGNATURE_HEADER,
             opts->signature ? opts->signature : sig);
    const char *headers[] = {ct_h, opts->signature && !*opts->signature ? NULL : sig_h, NULL};
    jt_http_req req = {.method = "POST",
                       .url = url,
                       .headers = headers,
                       .body = body.data,
                       .body_len = body.len,
                       .source_ip = opts->source_ip};
    int rc = jt_http_try(&req, resp);
    jt_text_free(&body);
    if (rc != CURLE_OK) {
        char msg[sizeof resp->error];
        memcpy(msg, resp->error, sizeof msg);
        jt_http_resp_free(resp);
        fail_msg("HTTP request failed: %s", msg);
    }
}

size_t jt_sms_params(jt_param p[7], const char *from, const char *to, const char *body,
                     const char *sid)
{
    size_t n = 0;
    p[n++] = (jt_param){"AccountSid", "AC0123456789abcdef0123456789abcdef"};
    p[n++] = (jt_param){"ApiVersion", "2010-04-01"};
    if (body)
        p[n++] = (jt_param){"Body", body};
    p[n++] = (jt_param){"From", from};
    if (sid)
        p[n++] = (jt_param){"MessageSid", sid};
    p[n++] = (jt_param){"NumMedia", "0"};
    p[n++] = (jt_param){"To", to};
    return n;
}

void jt_post_sms(const jt_server *s, const char *from, const char *to, const char *body,
                 char code[11], char sid[35])
{
    char fresh[35], reply[512];
    jt_param p[7];
    jt_http_resp resp;
    jt_new_sid(fresh);
    if (sid)
        memcpy(sid, fresh, sizeof fresh);
    size_t n = jt_sms_params(p, from, to, body, fresh);
    jt_twilio_post(s, "/webhooks/twilio", p, n, NULL, &resp);
    snprintf(reply, sizeof reply, "%s", jt_text_str(&resp.body));
    long st = resp.status;
    bool ok = st == 200 && jt_ticket_in(reply, code);
    jt_http_resp_free(&resp);
    if (!ok)
        fail_msg("SMS \"%s\": HTTP %ld, want 200 with one ticket code: %s", body, st, reply);
}

bool jt_ticket_in(const char *text, char out[11])
{
    int found = 0;
    const char *p = text;
    while (p && *p) {
        size_t n = 0;
        while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') ||
               (p[n] >= '0' && p[n] <= '9'))
            n++;
        if (n == JF_TICKET_LEN) {
            bool ok = true;
            for (size_t i = 0; i < n; i++)
                ok = ok && strchr(JF_TICKET_ALPHABET, p[i]) != NULL;
            if (ok) {
                if (found++ == 0) {
                    memcpy(out, p, n);
                    out[n] = '\0';
                }
            }
        }
        p += n ? n : 1;
    }
    return found == 1;
}
