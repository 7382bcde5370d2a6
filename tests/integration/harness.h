/* harness.h - what every integration test needs: the environment ./tests/run provides,
 * child processes with a bounded wait, a private database on the shared cluster, a running
 * `jianfu serve`, HTTP requests through libcurl and Twilio-signed webhooks.
 *
 * The tests run in parallel (ctest -j2) against one PostgreSQL cluster, so everything a
 * test creates is named after the test and its pid: database jf_<tag>_<pid>, files
 * $JIANFU_TEST_TMP/<tag>_<pid>.*. Every wait is bounded, so a hang fails the test instead
 * of hanging CI.
 *
 * Functions whose name does not end in _try report failure through cmocka (fail_msg), so
 * they may only be called from a cmocka test, setup or teardown, on the test's own thread.
 * The _try variants report failure through their return value and are safe on any thread.
 * Children never inherit JIANFU_* variables from the test's environment (only what the
 * test passes explicitly), so a developer's shell cannot change what a test proves;
 * ASAN_OPTIONS, UBSAN_OPTIONS and the rest are inherited.
 */
#ifndef JF_TESTS_HARNESS_H
#define JF_TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

#include "webhook/twilio.h"

/* Bounds on waits, in milliseconds. */
#define JT_CMD_TIMEOUT_MS 60000   /* a subcommand such as migrate or pg_dump */
#define JT_START_TIMEOUT_MS 30000 /* serve until /healthz answers */
#define JT_STOP_TIMEOUT_MS 60000  /* serve after SIGTERM (its shutdown grace is 25 s) */
#define JT_HTTP_TIMEOUT_MS 30000  /* one HTTP exchange */
/* Largest text the harness collects from a child or a response; more fails the test. */
#define JT_TEXT_MAX (16 * 1024 * 1024)

/* ---- environment ------------------------------------------------------------------- */

/* jt_env_check - true when every variable ./tests/run exports is set; otherwise prints
 * which one is missing and that the tests are run with ./tests/run, and returns false
 * (main then exits non-zero, so ctest reports a failure rather than a silent skip). */
bool jt_env_check(const char *test_name);

/* jt_begin - what every test's main() does first: jt_env_check, ignore SIGPIPE (a child
 * that exits early must not kill the test), initialise libcurl. False when the test
 * cannot run; main then returns non-zero.
 * jt_end - what main() does last, with cmocka's count of failed tests, which it returns:
 * releases libcurl and, when a test failed, turns off LeakSanitizer's exit report for
 * this process, since a failed check leaves through longjmp and strands what the test
 * had allocated (a passing run is still leak-checked; the jianfu children always are). */
bool jt_begin(const char *test_name);
int jt_end(int failed);

/* jt_env - the value of a variable checked by jt_env_check; fails the test if unset. */
const char *jt_env(const char *name);

/* ---- growing text ------------------------------------------------------------------ */

typedef struct {
    char *data; /* NUL-terminated once anything was appended; NULL when empty */
    size_t len;
    size_t cap;
} jt_text;

/* jt_text_append* - append; fail the test past JT_TEXT_MAX. The _try form returns false
 * instead. jt_text_free releases and empties t. */
void jt_text_append(jt_text *t, const char *s, size_t n);
void jt_text_appendf(jt_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool jt_text_append_try(jt_text *t, const char *s, size_t n);
const char *jt_text_str(const jt_text *t); /* data, or "" when empty */
void jt_text_free(jt_text *t);

/* jt_read_file - replace *out with the whole file at path; fails the test if unreadable. */
void jt_read_file(const char *path, jt_text *out);

/* jt_contains - whether needle occurs in haystack. */
bool jt_contains(const char *haystack, const char *needle);

/* jt_contains_number - whether the digit string digits occurs in s in any written form:
 * ASCII or full-width digits, with spaces, dashes, dots, parentheses, '+' or their
 * full-width / typographic forms between them ("+86 138-0013-8000", "１３８…"). */
bool jt_contains_number(const char *s, const char *digits);

/* jt_hex - lower-case hex of the n bytes at p into out (2n + 1 bytes). */
void jt_hex(const void *p, size_t n, char *out);

/* jt_has_hex_run - whether s holds a run of at least min hex digits (e.g. a 32-byte key
 * printed as 64 hex characters). */
bool jt_has_hex_run(const char *s, size_t min);

/* jt_sleep_ms - sleep, restarting after signals. */
void jt_sleep_ms(int ms);

/* jt_mono_ms - monotonic clock in milliseconds. */
int64_t jt_mono_ms(void);

/* ---- processes --------------------------------------------------------------------- */

/* Environment edits for a child: NULL-terminated array of "NAME=VALUE" (set) or "NAME"
 * (unset). Inherited JIANFU_* variables are always dropped. */
typedef const char *const jt_envp[];

/* jt_spawn - start argv[0] (a path) with argv and the environment edits env (may be
 * NULL); stdin from /dev/null, stdout and stderr appended to the given files (NULL:
 * /dev/null). Fails the test if the process cannot be created. */
pid_t jt_spawn(const char *const argv[], const char *const env[], const char *stdout_path,
               const char *stderr_path);

/* jt_wait_try - wait up to timeout_ms for pid; true and *status (exit code, or 128 + the
 * signal number) when it ended, false when it is still running. */
bool jt_wait_try(pid_t pid, int timeout_ms, int *status);

/* jt_wait - like jt_wait_try, but on timeout kills the process (SIGKILL), reaps it and
 * fails the test naming what. Returns the status. */
int jt_wait(pid_t pid, int timeout_ms, const char *what);

typedef struct {
    int status; /* exit code, or 128 + signal number */
    jt_text out;
    jt_text err;
} jt_cmd;

/* jt_run - run argv to completion with env edits env (may be NULL), input (may be NULL)
 * on its stdin, capturing stdout and stderr into r (caller frees with jt_cmd_free).
 * Fails the test after timeout_ms (the child is killed). */
void jt_run(jt_cmd *r, const char *const argv[], const char *const env[], const char *input,
            int timeout_ms);
void jt_cmd_free(jt_cmd *r);

/* jt_pg_run - run a PostgreSQL client or server binary as the cluster's user, the way
 * deploy/lib/pg.sh's pg_run does: through runuser as 'postgres' under root. argv[0] is
 * the full path. */
void jt_pg_run(jt_cmd *r, const char *const argv[], int timeout_ms);

/* jt_pg_sh - run a bash snippet after sourcing deploy/lib/pg.sh (pg_create, pg_start,
 * pg_stop, ...); returns the exit status, and on failure prints its output. */
int jt_pg_sh(const char *script);

/* ---- databases --------------------------------------------------------------------- */

typedef struct {
    char name[64];      /* jf_<tag>_<pid> */
    char host[512];     /* socket directory */
    char conninfo[640]; /* libpq conninfo */
    char url_env[700];  /* "JIANFU_DATABASE_URL=<conninfo>" */
    PGconn *conn;       /* the test's own connection for checks */
} jt_db;

/* jt_db_create - CREATE DATABASE jf_<tag>_<pid> on the cluster whose socket directory is
 * host (dropping a leftover of that name first) and connect to it. */
void jt_db_create(jt_db *db, const char *host, const char *tag);

/* jt_db_drop - disconnect and DROP DATABASE (WITH FORCE); NULL-safe, no failure. */
void jt_db_drop(jt_db *db);

/* jt_db_reconnect - reconnect db->conn (after its server was restarted). */
void jt_db_reconnect(jt_db *db);

/* ---- jianfu subcommands ------------------------------------------------------------ */

/* jt_jianfu - run `jianfu ARGS...` (the binary under test, $JIANFU_TEST_BIN; the arguments
 * are NULL-terminated) with JIANFU_DATABASE_URL of db (NULL: none) and input on its stdin
 * (NULL: none); returns the exit status, output in r (caller frees with jt_cmd_free). */
int jt_jianfu(const jt_db *db, jt_cmd *r, const char *input, int timeout_ms, ...)
    __attribute__((sentinel));

/* JT_OUT(db, dst, ARGS...) - run `jianfu ARGS...` against db, which must succeed (else the
 * test fails, printing both streams); its stdout goes to the jt_text dst (caller frees).
 * JT_OK(db, ARGS...) - the same, with the output discarded. */
#define JT_OUT(db, dst, ...)                                                                   \
    do {                                                                                       \
        jt_cmd r_;                                                                             \
        if (jt_jianfu((db), &r_, NULL, JT_CMD_TIMEOUT_MS, __VA_ARGS__, NULL) != 0) {           \
            print_error("stdout: %s\nstderr: %s\n", jt_text_str(&r_.out),                      \
                        jt_text_str(&r_.err));                                                 \
            jt_cmd_free(&r_);                                                                  \
            fail_msg("jianfu " #__VA_ARGS__ " failed");                                        \
        }                                                                                      \
        jt_text_free(&r_.err);                                                                 \
        (dst) = r_.out;                                                                        \
    } while (0)
#define JT_OK(db, ...)                                                                         \
    do {                                                                                       \
        jt_text out_;                                                                          \
        JT_OUT((db), out_, __VA_ARGS__);                                                       \
        jt_text_free(&out_);                                                                   \
    } while (0)

/* jt_mkdir - make directory path (mode 0755) unless it exists; fails the test otherwise. */
void jt_mkdir(const char *path);

/* jt_db_value - run sql with the NULL-terminated text parameters that follow and return
 * the single value of the single row (caller frees), or NULL for SQL NULL. Fails the
 * test on an error or a result that is not exactly one row and one column. */
char *jt_db_value(PGconn *conn, const char *sql, ...) __attribute__((sentinel));

/* jt_db_int - jt_db_value parsed as a 64-bit integer (fails the test on NULL or junk). */
long long jt_db_int(PGconn *conn, const char *sql, ...) __attribute__((sentinel));

/* jt_db_true - jt_db_value that must be a boolean: true for 't'. */
bool jt_db_true(PGconn *conn, const char *sql, ...) __attribute__((sentinel));

/* ---- HTTP -------------------------------------------------------------------------- */

typedef struct {
    const char *method;         /* "GET", "POST", ... */
    const char *url;            /* full URL */
    const char *const *headers; /* NULL-terminated "Name: value" lines; may be NULL */
    const char *body;           /* may be NULL */
    size_t body_len;
    bool chunked;          /* send the body with Transfer-Encoding: chunked */
    const char *source_ip; /* bind the client socket to this local address */
} jt_http_req;

typedef struct {
    long status;
    jt_text headers; /* raw header lines of the final response */
    jt_text body;
    char error[512]; /* libcurl's message when a _try call failed */
} jt_http_resp;

/* jt_http_try - perform req; 0 on a completed exchange (any status), else the CURLcode
 * with resp->error set. Thread-safe (one easy handle per call); resp is overwritten,
 * free it with jt_http_resp_free either way. */
int jt_http_try(const jt_http_req *req, jt_http_resp *resp);

/* jt_http - jt_http_try that fails the test on a transport error. */
void jt_http(const jt_http_req *req, jt_http_resp *resp);

/* jt_http_get - GET url into resp. */
void jt_http_get(const char *url, jt_http_resp *resp);

void jt_http_resp_free(jt_http_resp *resp);

/* jt_http_header - the value of the response header name (case-insensitive) copied into
 * out, or NULL when absent. */
const char *jt_http_header(const jt_http_resp *resp, const char *name, char *out, size_t outsz);

/* ---- jianfu serve ------------------------------------------------------------------ */

typedef struct {
    char conninfo[640];
    char key_file[512];
    char stderr_path[512];
    char token[65]; /* JIANFU_TWILIO_AUTH_TOKEN */
    int port;
    char base_url[64]; /* http://127.0.0.1:<port> = JIANFU_PUBLIC_URL */
    pid_t pid;         /* 0 when not running */
} jt_server;

/* jt_free_port - a TCP port on 127.0.0.1 that was free a moment ago (bind port 0). */
int jt_free_port(void);

/* jt_keygen - `jianfu keygen --out path`, which must succeed. */
void jt_keygen(const char *path);

/* jt_server_start - start `jianfu serve` against conninfo with a new key file and a
 * random Twilio auth token, stderr to $JIANFU_TEST_TMP/<tag>_<pid>.serve.log, and wait
 * until GET /healthz answers 200. Retries on another port if the chosen one was taken in
 * the meantime. Fails the test (with the server's stderr) if it does not come up. */
void jt_server_start(jt_server *s, const char *conninfo, const char *tag);

/* Most extra environment variables jt_server_start_opts passes on. */
#define JT_SERVER_MAX_ENV 32

typedef struct {
    /* Further "NAME=VALUE" (or "NAME" to unset) for serve, NULL-terminated; NULL for
     * none. Must not name the five the harness sets itself (JIANFU_DATABASE_URL,
     * JIANFU_KEY_FILE, JIANFU_TWILIO_AUTH_TOKEN, JIANFU_LISTEN, JIANFU_PUBLIC_URL). */
    const char *const *env;
    /* An existing key file to use instead of a new one, so that several servers on one
     * database open each other's sealed addresses; NULL: `jianfu keygen` a new one. */
    const char *key_file;
    /* The Twilio auth token to use (copied into s->token); NULL: a random one. */
    const char *token;
} jt_server_opts;

/* jt_server_start_opts - jt_server_start with opts (NULL: exactly jt_server_start). */
void jt_server_start_opts(jt_server *s, const char *conninfo, const char *tag,
                          const jt_server_opts *opts);

/* jt_server_url - s->base_url + path into out. */
const char *jt_server_url(const jt_server *s, const char *path, char *out, size_t outsz);

/* jt_server_stop - SIGTERM, wait (bounded) and return the exit status. */
int jt_server_stop(jt_server *s);

/* jt_server_kill - SIGKILL and reap if still running; for teardown after a failure. */
void jt_server_kill(jt_server *s);

/* ---- Twilio webhooks --------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *value;
} jt_param;

/* jt_form_encode - application/x-www-form-urlencoded body of the n params into out. */
void jt_form_encode(const jt_param *p, size_t n, jt_text *out);

/* jt_twilio_sign - X-Twilio-Signature of a POST of params to url under token, computed
 * with the product's jf_webhook_twilio_signature (proven against Twilio's published
 * example by the unit tests). */
void jt_twilio_sign(const char *token, const char *url, const jt_param *p, size_t n,
                    char sig[JF_TWILIO_SIG_LEN + 1]);

typedef struct {
    const char *signature;    /* NULL: sign correctly; "": send no signature header */
    const char *content_type; /* NULL: application/x-www-form-urlencoded */
    const char *source_ip;    /* NULL: the default */
} jt_twilio_opts;

/* jt_twilio_post - POST params as a form to s->base_url + path with a signature per
 * opts (NULL for defaults); fails the test on a transport error. */
void jt_twilio_post(const jt_server *s, const char *path, const jt_param *p, size_t n,
                    const jt_twilio_opts *opts, jt_http_resp *resp);

/* jt_ticket_in - the only ticket code (10 symbols of the ticket alphabet standing alone)
 * in text, copied to out; false when there is none or more than one. */
bool jt_ticket_in(const char *text, char out[11]);

/* jt_new_sid - a fresh Twilio-shaped MessageSid ("SM" + 32 hex digits) from /dev/urandom. */
void jt_new_sid(char out[35]);

/* jt_sms_params - the form fields of an SMS as Twilio posts it, from `from` to `to`; body and
 * sid may be NULL, and the field is then left out. p needs room for 7; returns the count. */
size_t jt_sms_params(jt_param p[7], const char *from, const char *to, const char *body,
                     const char *sid);

/* jt_post_sms - POST body as a correctly signed Twilio SMS from `from` to `to` at s's
 * /webhooks/twilio, with a fresh MessageSid (copied to sid unless it is NULL). Fails the test
 * unless the answer is 200 with exactly one ticket code, which goes to code. */
void jt_post_sms(const jt_server *s, const char *from, const char *to, const char *body,
                 char code[11], char sid[35]);

#endif
