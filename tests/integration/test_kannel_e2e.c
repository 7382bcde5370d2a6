/* test_kannel_e2e.c - a cadre's SMS to the short code through a real Kannel: Debian's
 * bearerbox and smsbox (package kannel) with Kannel's fake SMS centre (fakesmsc, package
 * kannel-extras, /usr/lib/kannel/test/fakesmsc) standing in for the carrier's SMSC.
 *
 * The Kannel configuration is the shipped deploy/kannel/kannel.conf, rewritten only where
 * a test must differ: the SMPP group becomes `smsc = fake` on a free port, ports, paths,
 * passwords and jianfu's URL and key are this run's, logs are at debug level. In front
 * of the shipped sms-service the test puts a second one, for receiver 10690001 only,
 * built from the shipped file's commented get-url line, so that both ways smsbox calls
 * jianfu are exercised. The test fails (it does not skip) when Kannel is not installed.
 *
 * What it proves:
 *   - post-url (the shipped service): a UCS-2 MO message with Chinese text and a phone
 *     number goes fakesmsc -> bearerbox -> smsbox -> jianfu; exactly one complaint is
 *     stored with channel_kind 'kannel', the number redacted ([手机号]), the text intact
 *     in UTF-8, the provider message id smsbox's UUID (%I); the acknowledgement SMS comes
 *     back to fakesmsc addressed to the sender, from the short code, as UCS-2, and decodes
 *     to Chinese that names the stored ticket code (no question marks);
 *   - get-url: the same for a second reporter through the get-url service;
 *   - idempotency on Kannel's id: replaying the first message's request with the same id
 *     (as smsbox's http-request-retry does) answers 200 with the same ticket and stores
 *     nothing new; a wrong key is 403 and stores nothing;
 *   - outbox -> sendsms: an 'answer' row queued for the
 *     first complaint reaches fakesmsc through smsbox's sendsms interface, addressed to
 *     the reporter, as UCS-2 with the text intact, and the row becomes 'sent';
 *   - jianfu serve stops on SIGTERM with exit 0, and its log holds neither reporter's
 *     number nor the message text.
 * Needs ./tests/run.
 */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BEARERBOX "/usr/sbin/bearerbox"
#define SMSBOX "/usr/sbin/smsbox"
#define FAKESMSC "/usr/lib/kannel/test/fakesmsc"

#define SHORT_CODE "10690000"
#define SHORT_CODE_GET "10690001"
#define REPORTER "13800138000"
#define REPORTER2 "13900139000"
#define BODY_PHONE "13912345678"
#define TEXT "我的电话139-1234-5678，这个月开了23个会，还要天天填表。"
#define TEXT_KEPT "这个月开了23个会，还要天天填表。"
#define TEXT2 "一周填了九张表，数据都一样。"
#define ANSWER_TEXT "减负办答复：已督促教育局合并报表，每月最多一次。请回复满意或不满意。"

/* Bounds on waits, in milliseconds. */
#define KANNEL_UP_MS 30000   /* bearerbox and smsbox ready */
#define ROUND_TRIP_MS 45000  /* MO in, acknowledgement out */
#define OUTBOX_MS 60000      /* outbox row to fakesmsc */
#define KANNEL_STOP_MS 20000 /* a box after SIGTERM */

typedef struct {
    jt_db db;
    jt_server srv;
    char dir[512];
    char conf[600];
    char key[33];
    char sendsms_pw[33];
    char admin_pw[33];
    int admin_port, box_port, smsc_port, sendsms_port;
    pid_t bb, sb, fs;
    char fs_log[600];
    int fs_runs;
    char env_key[128];
    char env_sendsms[256];
    const char *env[8];
    char code1[11];
    char code2[11];
    char msg_id1[130];
    long long complaint1;
} kannel_ctx;

/* ---- helpers ------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    if (fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

/* Every byte of the n at p as %XX. */
static void pct_encode(const void *p, size_t n, jt_text *out)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        jt_text_appendf(out, "%%%02X", b[i]);
}

/* UTF-8 to UTF-16BE, for the MO messages a phone sends as UCS-2. */
static size_t utf8_to_utf16be(const char *s, unsigned char *out, size_t cap)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        if (*p < 0x80) {
            cp = *p++;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = (unsigned)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
            p += 2;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            p += 3;
        } else {
            cp = (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3F) << 12 |
                 (unsigned)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
            p += 4;
        }
        if (o + 4 > cap)
            fail_msg("utf8_to_utf16be: text too long");
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unsigned hi = 0xD800 + (cp >> 10), lo = 0xDC00 + (cp & 0x3FF);
            out[o++] = (unsigned char)(hi >> 8);
            out[o++] = (unsigned char)hi;
            out[o++] = (unsigned char)(lo >> 8);
            out[o++] = (unsigned char)lo;
        } else {
            out[o++] = (unsigned char)(cp >> 8);
            out[o++] = (unsigned char)cp;
        }
    }
    return o;
}

/* URL-decode (as Kannel's octstr_url_encode wrote it: %XX and '+' for 0x20) the UCS-2
 * data of a fakesmsc line and convert it to UTF-8. */
static void ucs2_field_to_utf8(const char *data, size_t len, jt_text *out)
{
    unsigned char *b = malloc(len + 1);
    size_t n = 0;
    assert_non_null(b);
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        if (data[i] == '+') {
            b[n++] = ' ';
        } else if (data[i] == '%' && i + 2 < len && sscanf(data + i + 1, "%2x", &v) == 1) {
            b[n++] = (unsigned char)v;
            i += 2;
        } else {
            b[n++] = (unsigned char)data[i];
        }
    }
    if (n % 2)
        fail_msg("UCS-2 data of odd length %zu", n);
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned cp = (unsigned)b[i] << 8 | b[i + 1];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < n) {
            unsigned lo = (unsigned)b[i + 2] << 8 | b[i + 3];
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        }
        char u[5];
        if (cp < 0x80) {
            jt_text_appendf(out, "%c", (char)cp);
        } else if (cp < 0x800) {
            snprintf(u, sizeof u, "%c%c", 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F));
            jt_text_append(out, u, 2);
        } else if (cp < 0x10000) {
            snprintf(u, sizeof u, "%c%c%c", 0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F),
                     0x80 | (cp & 0x3F));
            jt_text_append(out, u, 3);
        } else {
            snprintf(u, sizeof u, "%c%c%c%c", 0xF0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3F),
                     0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F));
            jt_text_append(out, u, 4);
        }
    }
    free(b);
}

/* One MT message as fakesmsc prints it: "Got message N: <from to type data>". */
typedef struct {
    char from[64];
    char to[64];
    char type[16];
    jt_text text; /* UTF-8 */
} mt_msg;

/* Parse the first "Got message" line of log that contains want_to as its receiver; true
 * when there is one. */
static bool find_mt(const char *log, const char *want_to, mt_msg *m)
{
    const char *p = log;
    while ((p = strstr(p, "Got message")) != NULL) {
        const char *lt = strchr(p, '<');
        const char *eol = strchr(p, '\n');
        if (!lt || !eol || lt > eol) {
            p += 11;
            continue;
        }
        const char *gt = eol;
        while (gt > lt && *gt != '>')
            gt--;
        char line[8192];
        size_t len = (size_t)(gt - lt - 1);
        if (gt <= lt || len >= sizeof line) {
            p = eol;
            continue;
        }
        memcpy(line, lt + 1, len);
        line[len] = '\0';
        int off = 0;
        memset(m, 0, sizeof *m);
        if (sscanf(line, "%63s %63s %15s %n", m->from, m->to, m->type, &off) == 3 &&
            strcmp(m->to, want_to) == 0) {
            const char *data = line + off;
            if (strcmp(m->type, "ucs-2") == 0 || strcmp(m->type, "ucs2") == 0)
                ucs2_field_to_utf8(data, strlen(data), &m->text);
            else
                jt_text_append(&m->text, data, strlen(data));
            return true;
        }
        p = eol;
    }
    return false;
}

static void mt_free(mt_msg *m)
{
    jt_text_free(&m->text);
}

/* Wait until fakesmsc's log has an MT message to to, or fail with the logs. */
static void wait_mt(kannel_ctx *c, const char *to, int timeout_ms, mt_msg *m)
{
    int64_t deadline = jt_mono_ms() + timeout_ms;
    jt_text log = {0};
    for (;;) {
        jt_text_free(&log);
        jt_read_file(c->fs_log, &log);
        if (find_mt(jt_text_str(&log), to, m)) {
            jt_text_free(&log);
            return;
        }
        if (jt_mono_ms() > deadline)
            break;
        jt_sleep_ms(100);
    }
    jt_text sb = {0}, serve = {0};
    char path[700];
    snprintf(path, sizeof path, "%s/smsbox.log", c->dir);
    jt_read_file(path, &sb);
    jt_read_file(c->srv.stderr_path, &serve);
    print_error("fakesmsc:\n%s\nsmsbox.log (tail):\n%s\njianfu serve:\n%s\n", jt_text_str(&log),
                sb.len > 6000 ? sb.data + sb.len - 6000 : jt_text_str(&sb),
                jt_text_str(&serve));
    jt_text_free(&log);
    jt_text_free(&sb);
    jt_text_free(&serve);
    fail_msg("no message to %s reached fakesmsc within %d ms", to, timeout_ms);
}

/* Stop a child: SIGTERM, a bounded wait, then SIGKILL. */
static void stop_child(pid_t *pid)
{
    int status;
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    if (!jt_wait_try(*pid, KANNEL_STOP_MS, &status)) {
        kill(*pid, SIGKILL);
        jt_wait_try(*pid, KANNEL_STOP_MS, &status);
    }
    *pid = 0;
}

/* Start fakesmsc sending msg once (NULL: listen only), its output to a fresh log. */
static void start_fakesmsc(kannel_ctx *c, const char *msg)
{
    char port[16];
    stop_child(&c->fs);
    snprintf(port, sizeof port, "%d", c->smsc_port);
    snprintf(c->fs_log, sizeof c->fs_log, "%s/fakesmsc.%d.log", c->dir, ++c->fs_runs);
    /* fakesmsc insists on a message even when it is to send none (-m 0). */
    const char *argv[] = {FAKESMSC,
                          "-H",
                          "127.0.0.1",
                          "-r",
                          port,
                          "-i",
                          "0.1",
                          "-m",
                          msg ? "1" : "0",
                          msg ? msg : "1 2 text unused",
                          NULL};
    c->fs = jt_spawn(argv, NULL, c->fs_log, c->fs_log);
}

/* Send one MO message: from -> to, the text as UCS-2, as a phone writing Chinese does. */
static void send_mo(kannel_ctx *c, const char *from, const char *to, const char *text)
{
    unsigned char ucs2[1024];
    jt_text msg = {0};
    size_t n = utf8_to_utf16be(text, ucs2, sizeof ucs2);
    jt_text_appendf(&msg, "%s %s ucs2 ", from, to);
    pct_encode(ucs2, n, &msg);
    start_fakesmsc(c, jt_text_str(&msg));
    jt_text_free(&msg);
}

/* ---- the Kannel configuration -------------------------------------------------------- */

/* Replace every occurrence of from in t by to. */
static void replace_all(jt_text *t, const char *from, const char *to)
{
    jt_text out = {0};
    const char *s = jt_text_str(t);
    const char *p;
    size_t flen = strlen(from);
    while ((p = strstr(s, from)) != NULL) {
        jt_text_append(&out, s, (size_t)(p - s));
        jt_text_append(&out, to, strlen(to));
        s = p + flen;
    }
    jt_text_append(&out, s, strlen(s));
    jt_text_free(t);
    *t = out;
}

/* Lines the shipped sms-service and smsbox must hold for Chinese and retries to work. */
static const char *const required_lines[] = {
    "accept-x-kannel-headers = true",
    "max-messages = 1",
    "catch-all = yes",
    "concatenation = true",
    "send-sender = true",
    "omit-empty = true",
    "mo-recode = true",
    "default-sender = " SHORT_CODE,
};

/* The test's configuration from the shipped one; see the header comment. */
static void write_config(kannel_ctx *c)
{
    jt_text shipped = {0}, out = {0};
    char path[700], line_buf[2048];
    snprintf(path, sizeof path, "%s/deploy/kannel/kannel.conf", jt_env("JIANFU_TEST_ROOT"));
    jt_read_file(path, &shipped);
    for (size_t i = 0; i < sizeof required_lines / sizeof required_lines[0]; i++)
        if (!jt_contains(jt_text_str(&shipped), required_lines[i]))
            fail_msg("deploy/kannel/kannel.conf lacks \"%s\"", required_lines[i]);

    char dir_slash[600];
    snprintf(dir_slash, sizeof dir_slash, "%s/", c->dir);
    replace_all(&shipped, "http://127.0.0.1:8080", c->srv.base_url);
    replace_all(&shipped, "CHANGE-ME-jianfu-kannel-key", c->key);
    replace_all(&shipped, "CHANGE-ME-sendsms-password", c->sendsms_pw);
    replace_all(&shipped, "CHANGE-ME-admin-password", c->admin_pw);
    replace_all(&shipped, "/var/log/kannel/", dir_slash);
    replace_all(&shipped, "/var/spool/kannel/", dir_slash);

    const char *get_url = NULL;
    size_t get_url_len = 0;
    bool in_smsc = false, get_service_done = false;
    const char *s = jt_text_str(&shipped);
    while (*s) {
        size_t len = strcspn(s, "\n");
        if (len >= sizeof line_buf)
            fail_msg("kannel.conf: line too long");
        memcpy(line_buf, s, len);
        line_buf[len] = '\0';
        s += len + (s[len] ? 1 : 0);
        const char *line = line_buf;

        if (strncmp(line, "group = ", 8) == 0) {
            in_smsc = strcmp(line, "group = smsc") == 0;
            if (in_smsc) {
                /* The carrier's SMSC becomes Kannel's fake one. */
                jt_text_appendf(&out,
                                "group = smsc\nsmsc = fake\nsmsc-id = carrier\nport = %d\n"
                                "connect-allow-ip = 127.0.0.1\n\n",
                                c->smsc_port);
                continue;
            }
            if (strcmp(line, "group = sms-service") == 0 && !get_service_done) {
                /* The get-url service first: smsbox uses the first default service that
                 * accepts the receiver. */
                const char *g = strstr(s, "#get-url = ");
                if (!g)
                    fail_msg("kannel.conf has no commented get-url line");
                get_url = g + 1;
                get_url_len = strcspn(get_url, "\n");
                jt_text_appendf(&out,
                                "group = sms-service\nkeyword = default\ncatch-all = yes\n"
                                "allowed-receiver-prefix = %s\n%.*s\n"
                                "accept-x-kannel-headers = true\nmax-messages = 1\n"
                                "concatenation = true\nomit-empty = true\n\n",
                                SHORT_CODE_GET, (int)get_url_len, get_url);
                get_service_done = true;
            }
        }
        if (in_smsc)
            continue;
        if (strncmp(line, "admin-port = ", 13) == 0)
            jt_text_appendf(&out, "admin-port = %d\n", c->admin_port);
        else if (strncmp(line, "smsbox-port = ", 14) == 0)
            jt_text_appendf(&out, "smsbox-port = %d\n", c->box_port);
        else if (strncmp(line, "bearerbox-port = ", 17) == 0)
            jt_text_appendf(&out, "bearerbox-port = %d\n", c->box_port);
        else if (strncmp(line, "sendsms-port = ", 15) == 0)
            jt_text_appendf(&out, "sendsms-port = %d\n", c->sendsms_port);
        else if (strncmp(line, "log-level = ", 12) == 0)
            jt_text_appendf(&out, "log-level = 0\n");
        else
            jt_text_appendf(&out, "%s\n", line);
    }
    if (!get_service_done)
        fail_msg("kannel.conf has no sms-service group");
    write_file(c->conf, jt_text_str(&out));
    chmod(c->conf, 0600);
    jt_text_free(&shipped);
    jt_text_free(&out);
}

/* ---- setup --------------------------------------------------------------------------- */

static void random_hex(char *out, size_t nbytes)
{
    unsigned char b[32];
    FILE *f = fopen("/dev/urandom", "rb");
    assert_non_null(f);
    assert_int_equal(fread(b, 1, nbytes, f), nbytes);
    fclose(f);
    jt_hex(b, nbytes, out);
}

/* The tail of a file of c->dir, for failure messages. */
static void print_tail(kannel_ctx *c, const char *name)
{
    char path[700];
    jt_text t = {0};
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    if (access(path, R_OK) != 0)
        return;
    jt_read_file(path, &t);
    print_error("---- %s (tail) ----\n%s\n", name,
                t.len > 4000 ? t.data + t.len - 4000 : jt_text_str(&t));
    jt_text_free(&t);
}

/* Fail with Kannel's logs. */
static void kannel_failed(kannel_ctx *c, const char *what)
{
    print_tail(c, "bearerbox.out");
    print_tail(c, "bearerbox.log");
    print_tail(c, "smsbox.out");
    print_tail(c, "smsbox.log");
    fail_msg("%s", what);
}

/* Wait until url answers 200 with a body containing want (NULL: any answer at all),
 * while child is running. */
static bool wait_http(kannel_ctx *c, const char *url, const char *want, pid_t child)
{
    int64_t deadline = jt_mono_ms() + KANNEL_UP_MS;
    while (jt_mono_ms() < deadline) {
        int st;
        if (jt_wait_try(child, 0, &st)) {
            if (child == c->bb)
                c->bb = 0;
            else
                c->sb = 0;
            return false;
        }
        jt_http_resp r;
        int rc = jt_http_try(&(jt_http_req){.method = "GET", .url = url}, &r);
        bool up = rc == 0 && (want ? r.status == 200 && jt_contains(jt_text_str(&r.body), want)
                                   : r.status > 0);
        jt_http_resp_free(&r);
        if (up)
            return true;
        jt_sleep_ms(200);
    }
    return false;
}

/* Start bearerbox, and smsbox once bearerbox listens (smsbox gives up when it cannot
 * connect); wait until bearerbox reports smsbox connected and sendsms answers. */
static void start_kannel(kannel_ctx *c)
{
    char status_url[256], sendsms_url[128], out[700];
    snprintf(status_url, sizeof status_url, "http://127.0.0.1:%d/status.txt?password=%s",
             c->admin_port, c->admin_pw);
    snprintf(sendsms_url, sizeof sendsms_url, "http://127.0.0.1:%d/cgi-bin/sendsms",
             c->sendsms_port);

    /* Kannel runs as whoever runs the tests; it does not refuse root. */
    snprintf(out, sizeof out, "%s/bearerbox.out", c->dir);
    const char *bb_argv[] = {BEARERBOX, "-v", "1", c->conf, NULL};
    c->bb = jt_spawn(bb_argv, NULL, out, out);
    if (!wait_http(c, status_url, "Status: running", c->bb))
        kannel_failed(c, "bearerbox did not come up");

    snprintf(out, sizeof out, "%s/smsbox.out", c->dir);
    const char *sb_argv[] = {SMSBOX, "-v", "1", c->conf, NULL};
    c->sb = jt_spawn(sb_argv, NULL, out, out);
    if (!wait_http(c, sendsms_url, NULL, c->sb) || !wait_http(c, status_url, "smsbox:", c->bb))
        kannel_failed(c, "smsbox did not come up or did not connect to bearerbox");
}

static int group_setup(void **state)
{
    kannel_ctx *c = calloc(1, sizeof *c);
    jt_cmd r;
    assert_non_null(c);
    *state = c;

    /* Kannel is a dependency of the test suite (deploy/install-deps): its absence is a
     * failure, not a reason to skip. */
    static const char *const tools[] = {BEARERBOX, SMSBOX, FAKESMSC};
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (access(tools[i], X_OK) != 0)
            fail_msg("%s is not installed: run ./deploy/install-deps (Debian packages kannel "
                     "and kannel-extras)",
                     tools[i]);

    snprintf(c->dir, sizeof c->dir, "%s/kannel_%ld", jt_env("JIANFU_TEST_TMP"), (long)getpid());
    if (mkdir(c->dir, 0700) != 0)
        fail_msg("cannot create %s", c->dir);
    snprintf(c->conf, sizeof c->conf, "%s/kannel.conf", c->dir);
    random_hex(c->key, 16);
    random_hex(c->sendsms_pw, 16);
    random_hex(c->admin_pw, 16);
    c->admin_port = jt_free_port();
    c->box_port = jt_free_port();
    c->smsc_port = jt_free_port();
    c->sendsms_port = jt_free_port();

    jt_db_create(&c->db, jt_env("JIANFU_TEST_PGHOST"), "kannel");
    const char *argv[] = {jt_env("JIANFU_TEST_BIN"), "migrate", NULL};
    const char *menv[] = {c->db.url_env, NULL};
    jt_run(&r, argv, menv, NULL, JT_CMD_TIMEOUT_MS);
    if (r.status != 0)
        fail_msg("migrate exited %d: %s", r.status, jt_text_str(&r.err));
    jt_cmd_free(&r);

    snprintf(c->env_key, sizeof c->env_key, "JIANFU_KANNEL_KEY=%s", c->key);
    snprintf(c->env_sendsms, sizeof c->env_sendsms,
             "JIANFU_KANNEL_SENDSMS_URL=http://127.0.0.1:%d/cgi-bin/sendsms?username=jianfu"
             "&password=%s",
             c->sendsms_port, c->sendsms_pw);
    size_t n = 0;
    c->env[n++] = c->env_key;
    c->env[n++] = c->env_sendsms;
    c->env[n++] = "JIANFU_OUTBOX_BACKOFF=1";
    c->env[n++] = "NO_PROXY=127.0.0.1";
    c->env[n++] = "no_proxy=127.0.0.1";
    c->env[n] = NULL;
    jt_server_opts opts = {.env = c->env};
    jt_server_start_opts(&c->srv, c->db.conninfo, "kannel", &opts);

    write_config(c);
    start_kannel(c);
    return 0;
}

static int group_teardown(void **state)
{
    kannel_ctx *c = *state;
    if (!c)
        return 0;
    stop_child(&c->fs);
    stop_child(&c->sb);
    stop_child(&c->bb);
    jt_server_kill(&c->srv);
    jt_db_drop(&c->db);
    if (c->srv.key_file[0])
        unlink(c->srv.key_file);
    free(c);
    return 0;
}

/* ---- tests --------------------------------------------------------------------------- */

/* The complaint behind ticket code: its channel, body and provider message id. */
static void expect_complaint(kannel_ctx *c, const char *code, const char *kept_text,
                             char *msg_id, size_t msg_id_sz)
{
    char *kind = jt_db_value(c->db.conn, "SELECT channel_kind FROM complaints WHERE code = $1",
                             code, NULL);
    assert_non_null(kind);
    assert_string_equal(kind, "kannel");
    free(kind);
    char *body =
        jt_db_value(c->db.conn, "SELECT body FROM complaints WHERE code = $1", code, NULL);
    assert_non_null(body);
    if (!jt_contains(body, kept_text))
        fail_msg("stored body \"%s\" lacks \"%s\"", body, kept_text);
    free(body);
    char *id = jt_db_value(c->db.conn,
                           "SELECT m.provider_msg_id FROM inbound_messages m JOIN complaints x"
                           " ON x.id = m.complaint_id WHERE x.code = $1",
                           code, NULL);
    assert_non_null(id);
    /* smsbox's %I: a UUID. */
    if (strlen(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-')
        fail_msg("provider message id \"%s\" is not Kannel's UUID", id);
    snprintf(msg_id, msg_id_sz, "%s", id);
    free(id);
}

/* The acknowledgement of an MO message from reporter: UCS-2 from the short code, intact
 * Chinese with one ticket code, which goes to code. */
static void expect_ack(kannel_ctx *c, const char *reporter, const char *short_code,
                       char code[11])
{
    mt_msg m;
    wait_mt(c, reporter, ROUND_TRIP_MS, &m);
    assert_string_equal(m.from, short_code);
    if (strcmp(m.type, "ucs-2") != 0)
        fail_msg("acknowledgement arrived as \"%s\", not UCS-2: %s", m.type,
                 jt_text_str(&m.text));
    const char *t = jt_text_str(&m.text);
    if (!jt_contains(t, "减负直通车") || !jt_contains(t, "编号") || jt_contains(t, "?"))
        fail_msg("acknowledgement text is not intact Chinese: %s", t);
    if (!jt_ticket_in(t, code))
        fail_msg("no single ticket code in the acknowledgement: %s", t);
    mt_free(&m);
}

static void test_post_url_round_trip(void **state)
{
    kannel_ctx *c = *state;
    send_mo(c, REPORTER, SHORT_CODE, TEXT);
    expect_ack(c, REPORTER, SHORT_CODE, c->code1);
    stop_child(&c->fs);

    assert_int_equal(jt_db_int(c->db.conn,
                               "SELECT count(*) FROM complaints WHERE channel_kind = 'kannel'",
                               NULL),
                     1);
    expect_complaint(c, c->code1, TEXT_KEPT, c->msg_id1, sizeof c->msg_id1);
    char *body =
        jt_db_value(c->db.conn, "SELECT body FROM complaints WHERE code = $1", c->code1, NULL);
    assert_true(jt_contains(body, "[手机号]"));
    assert_false(jt_contains_number(body, BODY_PHONE));
    free(body);
    c->complaint1 =
        jt_db_int(c->db.conn, "SELECT id FROM complaints WHERE code = $1", c->code1, NULL);
}

static void test_get_url_round_trip(void **state)
{
    kannel_ctx *c = *state;
    char id[130];
    send_mo(c, REPORTER2, SHORT_CODE_GET, TEXT2);
    expect_ack(c, REPORTER2, SHORT_CODE_GET, c->code2);
    stop_child(&c->fs);
    assert_string_not_equal(c->code1, c->code2);
    expect_complaint(c, c->code2, TEXT2, id, sizeof id);
    assert_string_not_equal(id, c->msg_id1);
    assert_int_equal(jt_db_int(c->db.conn,
                               "SELECT count(*) FROM complaints WHERE channel_kind = 'kannel'",
                               NULL),
                     2);
}

/* GET /webhooks/kannel as the get-url service would send it, with this id and key. */
static void replay(kannel_ctx *c, const char *key, const char *id, jt_http_resp *resp)
{
    jt_text url = {0};
    jt_text_appendf(&url,
                    "%s/webhooks/kannel?key=%s&id=%s&from=%s&to=%s&text=", c->srv.base_url, key,
                    id, REPORTER, SHORT_CODE);
    pct_encode(TEXT, strlen(TEXT), &url);
    jt_text_appendf(&url, "&coding=0&charset=UTF-8&ts=2026-11-26+23:15:32");
    jt_http(&(jt_http_req){.method = "GET", .url = jt_text_str(&url)}, resp);
    jt_text_free(&url);
}

static void test_retry_same_id(void **state)
{
    kannel_ctx *c = *state;
    jt_http_resp resp;
    char code[11];

    replay(c, c->key, c->msg_id1, &resp);
    if (resp.status != 200)
        fail_msg("replay: HTTP %ld: %s", resp.status, jt_text_str(&resp.body));
    /* The reply is Kannel's XML with the text %-encoded: decode it to find the code. */
    const char *ud = strstr(jt_text_str(&resp.body), "<ud>");
    assert_non_null(ud);
    jt_text text = {0};
    for (const char *p = ud + 4; *p == '%'; p += 3) {
        unsigned v;
        assert_int_equal(sscanf(p + 1, "%2x", &v), 1);
        char ch = (char)v;
        jt_text_append(&text, &ch, 1);
    }
    if (!jt_ticket_in(jt_text_str(&text), code))
        fail_msg("no ticket in the replayed reply: %s", jt_text_str(&text));
    assert_string_equal(code, c->code1);
    jt_text_free(&text);
    jt_http_resp_free(&resp);

    replay(c, "not-the-key", "11111111-2222-3333-4444-555555555555", &resp);
    assert_int_equal(resp.status, 403);
    assert_false(jt_contains_number(jt_text_str(&resp.body), REPORTER));
    jt_http_resp_free(&resp);

    assert_int_equal(jt_db_int(c->db.conn,
                               "SELECT count(*) FROM complaints WHERE channel_kind = 'kannel'",
                               NULL),
                     2);
    assert_int_equal(jt_db_int(c->db.conn,
                               "SELECT count(*) FROM inbound_messages WHERE channel_kind = "
                               "'kannel'",
                               NULL),
                     2);
}

/* The department's answer, queued in the outbox as the answer path queues it, reaches
 * the reporter's phone through sendsms. */
static void test_outbox_through_sendsms(void **state)
{
    kannel_ctx *c = *state;
    assert_true(c->complaint1 > 0);
    start_fakesmsc(c, NULL);

    char id[32];
    snprintf(id, sizeof id, "%lld", c->complaint1);
    char *row = jt_db_value(c->db.conn,
                            "INSERT INTO outbox (purpose, complaint_id, channel_kind, "
                            "channel_name, body) VALUES ('answer', $1, 'kannel', 'default', $2)"
                            " RETURNING id",
                            id, ANSWER_TEXT, NULL);
    assert_non_null(row);

    mt_msg m;
    wait_mt(c, REPORTER, OUTBOX_MS, &m);
    assert_string_equal(m.from, SHORT_CODE);
    assert_string_equal(m.type, "ucs-2");
    assert_string_equal(jt_text_str(&m.text), ANSWER_TEXT);
    mt_free(&m);

    /* The dispatcher records the send once smsbox has accepted it. */
    int64_t deadline = jt_mono_ms() + OUTBOX_MS;
    char *status = NULL;
    for (;;) {
        free(status);
        status = jt_db_value(c->db.conn, "SELECT status FROM outbox WHERE id = $1", row, NULL);
        if ((status && strcmp(status, "sent") == 0) || jt_mono_ms() > deadline)
            break;
        jt_sleep_ms(200);
    }
    assert_non_null(status);
    assert_string_equal(status, "sent");
    free(status);
    free(row);
    stop_child(&c->fs);
}

static void test_shutdown_and_log(void **state)
{
    kannel_ctx *c = *state;
    jt_text log = {0};
    stop_child(&c->fs);
    stop_child(&c->sb);
    stop_child(&c->bb);
    assert_int_equal(jt_server_stop(&c->srv), 0);
    jt_read_file(c->srv.stderr_path, &log);
    static const char *const numbers[] = {REPORTER, REPORTER2, BODY_PHONE};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (jt_contains_number(jt_text_str(&log), numbers[i]))
            fail_msg("jianfu's log contains %s", numbers[i]);
    const char *const words[] = {"天天填表", "九张表", c->key};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (jt_contains(jt_text_str(&log), words[i]))
            fail_msg("jianfu's log contains \"%s\"", words[i]);
    jt_text_free(&log);
}

int main(void)
{
    if (!jt_begin("test_kannel_e2e"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_url_round_trip),
        cmocka_unit_test(test_get_url_round_trip),
        cmocka_unit_test(test_retry_same_id),
        cmocka_unit_test(test_outbox_through_sendsms),
        cmocka_unit_test(test_shutdown_and_log),
    };
    return jt_end(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
