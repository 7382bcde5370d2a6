/* commands.c - the subcommands of the jianfu binary other than serve, calendar, classify,
 * train, show and triage; and the helpers they share with those (cmd_util.h). */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "gateway/cmd_util.h"
#include "gateway/gateway.h"
#include "gateway/password.h"
#include "gateway/triage_ctx.h"
#include "privacy/keyring.h"
#include "store/admin.h"
#include "store/db.h"
#include "store/migrate.h"
#include "store/overdue.h"
#include "store/triage_data.h"
#include "triage/calendar.h"
#include "triage/ticket.h"
#include "webhook/form.h"
#include "webhook/twilio.h"

#define MAX_ALIASES 32

/* ---- helpers shared by the subcommands (cmd_util.h) ---------------------------------- */

const char *jf_cmd_take_value(int argc, char **argv, int *i, const char *cmd)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "jianfu %s: option %s needs a value\n", cmd, argv[*i]);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int jf_cmd_unknown_option(const char *cmd, const char *opt)
{
    fprintf(stderr, "jianfu %s: unknown option '%s' (see `jianfu --help`)\n", cmd, opt);
    return JF_EXIT_USAGE;
}

int jf_cmd_open_db(const char *cmd, jf_config *cfg, PGconn **conn)
{
    char msg[512] = "";
    *conn = NULL;
    if (jf_config_load(cfg, msg, sizeof msg)) {
        fprintf(stderr, "jianfu %s: %s\n", cmd, msg);
        return JF_EXIT_USAGE;
    }
    if (!cfg->database_url) {
        fprintf(stderr,
                "jianfu %s: JIANFU_DATABASE_URL is not set; set it to a libpq connection "
                "string, e.g. postgresql://jianfu@localhost/jianfu\n",
                cmd);
        jf_config_free(cfg);
        return JF_EXIT_USAGE;
    }
    if (jf_store_connect(cfg->database_url, conn, msg, sizeof msg)) {
        fprintf(stderr, "jianfu %s: cannot connect to the database: %s\n", cmd, msg);
        jf_config_free(cfg);
        return JF_EXIT_FAIL;
    }
    return JF_EXIT_OK;
}

/* Tools other than migrate work only on a schema that matches the binary. */
int jf_cmd_check_schema(const char *cmd, PGconn *conn)
{
    char msg[512] = "";
    if (jf_store_schema_check(conn, msg, sizeof msg)) {
        fprintf(stderr, "jianfu %s: %s\n", cmd, msg);
        return JF_EXIT_FAIL;
    }
    return JF_EXIT_OK;
}

int jf_cmd_with_db(const char *cmd, jf_cmd_db_action act, void *arg)
{
    jf_config cfg;
    PGconn *conn = NULL;
    char msg[512] = "";
    int rc = jf_cmd_open_db(cmd, &cfg, &conn);
    if (rc)
        return rc;
    rc = jf_cmd_check_schema(cmd, conn);
    if (!rc) {
        jf_err err = act(conn, arg, msg, sizeof msg);
        if (err) {
            fprintf(stderr, "jianfu %s: %s\n", cmd, msg);
            rc = err == JF_ERR_NOTFOUND || err == JF_ERR_INVAL || err == JF_ERR_EXISTS
                     ? JF_EXIT_USAGE
                     : JF_EXIT_FAIL;
        }
    }
    PQfinish(conn);
    jf_config_free(&cfg);
    return rc;
}

int jf_cmd_print_json(const json_t *doc)
{
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    if (!s)
        return JF_EXIT_FAIL;
    printf("%s\n", s);
    free(s);
    return JF_EXIT_OK;
}

void jf_cmd_csv_field(const char *s, bool last)
{
    if (!s)
        s = "";
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

int jf_cmd_ticket_arg_or_report(const char *cmd, const char *in, char out[JF_TICKET_LEN + 1])
{
    if (jf_triage_ticket_parse(in, out))
        return JF_EXIT_OK;
    /* Said as "no complaint with" because that is what it comes to for the coordinator,
     * whether the code was mistyped into the wrong shape or into another valid code. */
    fprintf(stderr,
            "jianfu %s: no complaint with ticket code %s (a ticket code is %d characters of "
            "%s)\n",
            cmd, in, JF_TICKET_LEN, JF_TICKET_ALPHABET);
    return JF_EXIT_USAGE;
}

/* ---- the subcommands ----------------------------------------------------------------- */

int jf_cmd_migrate(int argc, char **argv)
{
    jf_config cfg;
    PGconn *conn = NULL;
    char msg[1024] = "";
    int applied = 0;

    if (argc > 1)
        return jf_cmd_unknown_option("migrate", argv[1]);
    int rc = jf_cmd_open_db("migrate", &cfg, &conn);
    if (rc)
        return rc;
    if (jf_store_migrate(conn, &applied, msg, sizeof msg)) {
        fprintf(stderr, "jianfu migrate: %s\n", msg);
        rc = JF_EXIT_FAIL;
    } else {
        printf("schema at version %d (%d migration%s applied)\n", jf_store_schema_target(),
               applied, applied == 1 ? "" : "s");
    }
    PQfinish(conn);
    jf_config_free(&cfg);
    return rc;
}

int jf_cmd_keygen(int argc, char **argv)
{
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            out = jf_cmd_take_value(argc, argv, &i, "keygen");
            if (!out)
                return JF_EXIT_USAGE;
        } else {
            return jf_cmd_unknown_option("keygen", argv[i]);
        }
    }
    if (!out) {
        fprintf(stderr, "jianfu keygen: --out FILE is required\n");
        return JF_EXIT_USAGE;
    }
    jf_err err = jf_privacy_keygen(out);
    if (err == JF_ERR_EXISTS) {
        fprintf(stderr, "jianfu keygen: %s already exists; refusing to overwrite keys\n", out);
        return JF_EXIT_FAIL;
    }
    if (err) {
        fprintf(stderr,
                "jianfu keygen: cannot write %s: %s (does its directory exist and is it "
                "writable?)\n",
                out, jf_strerror(err));
        return JF_EXIT_FAIL;
    }
    printf("wrote %s (mode 0600); keep it outside the database and its backups\n", out);
    return JF_EXIT_OK;
}

int jf_cmd_due(int argc, char **argv)
{
    const char *from = NULL, *days = NULL;
    for (int i = 1; i < argc; i++) {
        const char **dst = strcmp(argv[i], "--from") == 0           ? &from
                           : strcmp(argv[i], "--working-days") == 0 ? &days
                                                                    : NULL;
        if (!dst)
            return jf_cmd_unknown_option("due", argv[i]);
        *dst = jf_cmd_take_value(argc, argv, &i, "due");
        if (!*dst)
            return JF_EXIT_USAGE;
    }
    if (!from || !days) {
        fprintf(stderr, "jianfu due: --from RFC3339 and --working-days N are required\n");
        return JF_EXIT_USAGE;
    }
    int64_t t = 0, due = 0;
    unsigned n = 0;
    if (jf_clock_parse_rfc3339(from, &t)) {
        fprintf(stderr,
                "jianfu due: --from must be RFC 3339, e.g. 2026-10-09T10:00:00+08:00\n");
        return JF_EXIT_USAGE;
    }
    if (jf_config_parse_uint(days, 1, JF_TRIAGE_MAX_WORKING_DAYS, &n) ||
        jf_triage_due(t, (int)n, &due)) {
        fprintf(stderr, "jianfu due: --working-days must be a whole number from 1 to %d\n",
                JF_TRIAGE_MAX_WORKING_DAYS);
        return JF_EXIT_USAGE;
    }
    char out[JF_RFC3339_LEN];
    jf_clock_format_cst(due, out);
    printf("%s\n", out);
    jf_date d = jf_clock_civil_from_days(jf_clock_cst_day(due));
    if (!jf_triage_calendar_year_known(d.y) ||
        !jf_triage_calendar_year_known(jf_clock_civil_from_days(jf_clock_cst_day(t)).y))
        fprintf(stderr, "jianfu due: warning: no official holiday notice loaded for part of "
                        "this period; counted Monday to Friday there\n");
    return JF_EXIT_OK;
}

struct notify_args {
    const char *code, *kind, *url, *secret;
    bool triage;
};

static jf_err notify_action(PGconn *conn, void *arg, char *msg, size_t msgsz)
{
    struct notify_args *a = arg;
    return jf_store_dept_notify(conn, a->code, a->kind, a->url, a->secret, a->triage, msg,
                                msgsz);
}

/* `jianfu dept notify`: the group robot a department's chat is told through. The robot's
 * URL and secret are credentials: given on the command line they would sit in shell
 * history, so --secret - reads the secret from stdin. */
static int dept_notify(int argc, char **argv)
{
    const char *code = NULL, *robot = NULL, *url = NULL, *secret = NULL;
    bool triage = false, off = false;
    char secretbuf[256];

    for (int i = 2; i < argc; i++) {
        const char **dst = strcmp(argv[i], "--code") == 0     ? &code
                           : strcmp(argv[i], "--robot") == 0  ? &robot
                           : strcmp(argv[i], "--url") == 0    ? &url
                           : strcmp(argv[i], "--secret") == 0 ? &secret
                                                              : NULL;
        if (strcmp(argv[i], "--triage") == 0) {
            triage = true;
            continue;
        }
        if (strcmp(argv[i], "--off") == 0) {
            off = true;
            continue;
        }
        if (!dst)
            return jf_cmd_unknown_option("dept notify", argv[i]);
        *dst = jf_cmd_take_value(argc, argv, &i, "dept notify");
        if (!*dst)
            return JF_EXIT_USAGE;
    }
    const char *kind = !robot                           ? NULL
                       : strcmp(robot, "wecom") == 0    ? "wecom_robot"
                       : strcmp(robot, "dingtalk") == 0 ? "dingtalk_robot"
                                                        : "";
    if (!code || (off && (robot || url || secret || triage)) ||
        (!off && (!kind || !*kind || !url))) {
        fprintf(stderr,
                "usage: jianfu dept notify --code CODE --robot wecom|dingtalk --url URL "
                "[--secret SECRET|-] [--triage]\n"
                "       jianfu dept notify --code CODE --off\n");
        return JF_EXIT_USAGE;
    }
    if (secret && strcmp(secret, "-") == 0) {
        if (!fgets(secretbuf, sizeof secretbuf, stdin)) {
            fprintf(stderr, "jianfu dept notify: --secret - reads the secret from stdin\n");
            return JF_EXIT_USAGE;
        }
        secretbuf[strcspn(secretbuf, "\r\n")] = '\0';
        secret = secretbuf;
    }

    struct notify_args a = {code, off ? NULL : kind, off ? NULL : url, off ? NULL : secret,
                            triage};
    int rc = jf_cmd_with_db("dept notify", notify_action, &a);
    if (!rc && off)
        printf("department %s: notifications off\n", code);
    else if (!rc)
        printf("department %s: notified through its %s robot%s\n", code, robot,
               triage ? ", including every new complaint awaiting triage" : "");
    jf_crypto_zeroize(secretbuf, sizeof secretbuf);
    return rc;
}

struct dept_args {
    const char *code, *name, *parent;
    const char *const *aliases;
    int naliases;
};

/* The new department's name and aliases, each in the normal form routing matches. */
struct dept_clash {
    char *norm[MAX_ALIASES + 1];
    const char *given[MAX_ALIASES + 1];
    int n;
    char *msg;
    size_t msgsz;
    bool clash;
};

static int find_clash(int64_t id, const char *code, const char *text, void *arg)
{
    struct dept_clash *c = arg;
    (void)id;
    char *t = jf_gateway_triage_name_form(text, strlen(text), NULL);
    for (int i = 0; t && i < c->n && !c->clash; i++) {
        if (c->norm[i] && strcmp(c->norm[i], t) == 0) {
            snprintf(c->msg, c->msgsz,
                     "'%s' reads the same as '%s' of department %s once case, width, "
                     "traditional characters and punctuation are set aside; a name or alias "
                     "must name one department, so choose another",
                     c->given[i], text, code);
            c->clash = true;
        }
    }
    free(t);
    return c->clash;
}

static jf_err dept_action(PGconn *conn, void *arg, char *msg, size_t msgsz)
{
    struct dept_args *a = arg;
    struct dept_clash c = {.msg = msg, .msgsz = msgsz};
    c.given[c.n] = a->name;
    c.norm[c.n++] = jf_gateway_triage_name_form(a->name, strlen(a->name), NULL);
    for (int i = 0; i < a->naliases; i++) {
        c.given[c.n] = a->aliases[i];
        c.norm[c.n++] = jf_gateway_triage_name_form(a->aliases[i], strlen(a->aliases[i]), NULL);
    }
    /* Routing would drop a name that two departments share (with a warning at every
     * reload); refusing it here tells the administrator at once. */
    jf_err err = jf_store_dept_names(conn, find_clash, &c, msg, msgsz);
    if (!err && c.clash)
        err = JF_ERR_EXISTS;
    if (!err)
        err = jf_store_dept_add(conn, a->code, a->name, a->parent, a->aliases, a->naliases, msg,
                                msgsz);
    for (int i = 0; i < c.n; i++)
        free(c.norm[i]);
    return err;
}

int jf_cmd_dept(int argc, char **argv)
{
    const char *code = NULL, *name = NULL, *parent = NULL;
    const char *aliases[MAX_ALIASES];
    int naliases = 0;

    if (argc >= 2 && strcmp(argv[1], "notify") == 0)
        return dept_notify(argc, argv);
    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        fprintf(stderr,
                "usage: jianfu dept add --code CODE --name NAME [--parent CODE] "
                "[--alias ALIAS]...\n"
                "       jianfu dept notify --code CODE --robot wecom|dingtalk --url URL "
                "[--secret SECRET] [--triage]\n"
                "       jianfu dept notify --code CODE --off\n");
        return JF_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--code") == 0 || strcmp(argv[i], "--name") == 0 ||
            strcmp(argv[i], "--parent") == 0 || strcmp(argv[i], "--alias") == 0) {
            const char *opt = argv[i];
            v = jf_cmd_take_value(argc, argv, &i, "dept add");
            if (!v)
                return JF_EXIT_USAGE;
            if (strcmp(opt, "--code") == 0)
                code = v;
            else if (strcmp(opt, "--name") == 0)
                name = v;
            else if (strcmp(opt, "--parent") == 0)
                parent = v;
            else if (naliases < MAX_ALIASES)
                aliases[naliases++] = v;
            else {
                fprintf(stderr, "jianfu dept add: at most %d aliases\n", MAX_ALIASES);
                return JF_EXIT_USAGE;
            }
        } else {
            return jf_cmd_unknown_option("dept add", argv[i]);
        }
    }
    if (!code || !name) {
        fprintf(stderr, "jianfu dept add: --code and --name are required\n");
        return JF_EXIT_USAGE;
    }

    struct dept_args a = {code, name, parent, aliases, naliases};
    int rc = jf_cmd_with_db("dept add", dept_action, &a);
    if (!rc)
        printf("department %s added\n", code);
    return rc;
}

/* Read the password from the first line of stdin, bounded. */
static int read_password(char *buf, size_t sz)
{
    if (!fgets(buf, (int)sz, stdin)) {
        fprintf(stderr,
                "jianfu user add: the password is read from standard input; got none\n");
        return JF_EXIT_USAGE;
    }
    size_t n = strcspn(buf, "\r\n");
    if (buf[n] == '\0' && n == sz - 1) {
        fprintf(stderr, "jianfu user add: password longer than %zu bytes\n", sz - 2);
        return JF_EXIT_USAGE;
    }
    buf[n] = '\0';
    if (n < JF_PASSWORD_MIN_LEN) {
        fprintf(stderr, "jianfu user add: password must be at least %d characters\n",
                JF_PASSWORD_MIN_LEN);
        return JF_EXIT_USAGE;
    }
    return JF_EXIT_OK;
}

struct user_args {
    const char *login, *role, *dept, *hash;
};

static jf_err user_action(PGconn *conn, void *arg, char *msg, size_t msgsz)
{
    struct user_args *a = arg;
    return jf_store_user_add(conn, a->login, a->role, a->dept, a->hash, msg, msgsz);
}

static const char *const roles[] = {"liaison", "coordinator", "inspector", "admin"};

int jf_cmd_user(int argc, char **argv)
{
    const char *login = NULL, *role = NULL, *dept = NULL;
    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        fprintf(stderr, "usage: jianfu user add --login LOGIN --role "
                        "liaison|coordinator|inspector|admin [--dept CODE] < password\n");
        return JF_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char **dst = strcmp(argv[i], "--login") == 0  ? &login
                           : strcmp(argv[i], "--role") == 0 ? &role
                           : strcmp(argv[i], "--dept") == 0 ? &dept
                                                            : NULL;
        if (!dst)
            return jf_cmd_unknown_option("user add", argv[i]);
        *dst = jf_cmd_take_value(argc, argv, &i, "user add");
        if (!*dst)
            return JF_EXIT_USAGE;
    }
    if (!login || !role) {
        fprintf(stderr, "jianfu user add: --login and --role are required\n");
        return JF_EXIT_USAGE;
    }
    bool role_ok = false;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        role_ok = role_ok || strcmp(role, roles[i]) == 0;
    if (!role_ok) {
        fprintf(stderr,
                "jianfu user add: --role must be liaison, coordinator, inspector or admin\n");
        return JF_EXIT_USAGE;
    }
    if (strcmp(role, "liaison") == 0 && !dept) {
        fprintf(stderr, "jianfu user add: a liaison needs --dept CODE\n");
        return JF_EXIT_USAGE;
    }

    char password[JF_PASSWORD_MAX_LEN + 2];
    char hash[JF_PASSWORD_HASH_MAX];
    int rc = read_password(password, sizeof password);
    if (rc)
        goto out_wipe;
    if (jf_gateway_password_hash(password, hash)) {
        fprintf(stderr, "jianfu user add: could not hash the password\n");
        rc = JF_EXIT_FAIL;
        goto out_wipe;
    }

    struct user_args a = {login, role, dept, hash};
    rc = jf_cmd_with_db("user add", user_action, &a);
    if (!rc)
        printf("user %s (%s) added\n", login, role);
out_wipe:
    jf_crypto_zeroize(password, sizeof password);
    jf_crypto_zeroize(hash, sizeof hash);
    return rc;
}

typedef struct {
    int64_t at;
    bool csv;
    json_t *rows;
    int count;
} overdue_ctx;

static int overdue_row(const jf_store_overdue_row *row, void *arg)
{
    overdue_ctx *ctx = arg;
    char due[JF_RFC3339_LEN], received[JF_RFC3339_LEN], days[16];
    jf_clock_format_cst(row->due, due);
    jf_clock_format_cst(row->received_at, received);
    int wd = jf_triage_working_days_after(row->due, ctx->at);
    ctx->count++;
    if (ctx->csv) {
        snprintf(days, sizeof days, "%d", wd);
        jf_cmd_csv_field(row->code, false);
        jf_cmd_csv_field(row->dept_code, false);
        jf_cmd_csv_field(row->dept_name, false);
        jf_cmd_csv_field(row->category, false);
        jf_cmd_csv_field(row->channel_kind, false);
        jf_cmd_csv_field(row->status, false);
        jf_cmd_csv_field(row->deadline, false);
        jf_cmd_csv_field(received, false);
        jf_cmd_csv_field(due, false);
        jf_cmd_csv_field(days, true);
        return 0;
    }
    json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s, s:s, s:i}", "code",
                          row->code, "department", row->dept_code, "department_name",
                          row->dept_name, "category", row->category, "channel",
                          row->channel_kind, "status", row->status, "deadline", row->deadline,
                          "received_at", received, "due", due, "working_days_overdue", wd);
    if (!o || json_array_append_new(ctx->rows, o))
        return 1;
    return 0;
}

int jf_cmd_overdue(int argc, char **argv)
{
    const char *at = NULL, *dept = NULL, *format = "json";
    for (int i = 1; i < argc; i++) {
        const char **dst = strcmp(argv[i], "--at") == 0       ? &at
                           : strcmp(argv[i], "--dept") == 0   ? &dept
                           : strcmp(argv[i], "--format") == 0 ? &format
                                                              : NULL;
        if (!dst)
            return jf_cmd_unknown_option("overdue", argv[i]);
        *dst = jf_cmd_take_value(argc, argv, &i, "overdue");
        if (!*dst)
            return JF_EXIT_USAGE;
    }
    overdue_ctx ctx = {.at = jf_clock_now(), .csv = false, .rows = NULL, .count = 0};
    if (at && jf_clock_parse_rfc3339(at, &ctx.at)) {
        fprintf(stderr,
                "jianfu overdue: --at must be RFC 3339, e.g. 2026-11-30T09:00:00+08:00\n");
        return JF_EXIT_USAGE;
    }
    if (strcmp(format, "csv") == 0) {
        ctx.csv = true;
    } else if (strcmp(format, "json") != 0) {
        fprintf(stderr, "jianfu overdue: --format must be json or csv\n");
        return JF_EXIT_USAGE;
    }

    jf_config cfg;
    PGconn *conn = NULL;
    char msg[512] = "";
    int rc = jf_cmd_open_db("overdue", &cfg, &conn);
    if (rc)
        return rc;
    rc = jf_cmd_check_schema("overdue", conn);
    if (rc)
        goto out;
    if (jf_gateway_calendar_load(conn, NULL, msg, sizeof msg)) {
        fprintf(stderr, "jianfu overdue: %s\n", msg);
        rc = JF_EXIT_FAIL;
        goto out;
    }
    if (ctx.csv)
        printf("code,department,department_name,category,channel,status,deadline,received_at,"
               "due,working_days_overdue\n");
    else
        ctx.rows = json_array();
    jf_err err = jf_store_overdue(conn, ctx.at, dept, overdue_row, &ctx, msg, sizeof msg);
    if (err) {
        fprintf(stderr, "jianfu overdue: %s\n", msg);
        rc = err == JF_ERR_NOTFOUND ? JF_EXIT_USAGE : JF_EXIT_FAIL;
        goto out;
    }
    if (!ctx.csv)
        rc = jf_cmd_print_json(ctx.rows);
out:
    json_decref(ctx.rows);
    jf_triage_calendar_uninstall();
    PQfinish(conn);
    jf_config_free(&cfg);
    return rc;
}

/* `jianfu twilio-sign --url URL NAME=VALUE...`: print the X-Twilio-Signature Twilio would
 * send for a POST of these parameters to URL, under JIANFU_TWILIO_AUTH_TOKEN. An
 * operator's tool for testing a deployment end to end (deploy/send-test-sms uses it). */
int jf_cmd_twilio_sign(int argc, char **argv)
{
    const char *url = NULL;
    const char *token = getenv("JIANFU_TWILIO_AUTH_TOKEN");
    jf_form_field fields[JF_FORM_MAX_FIELDS];
    jf_form form = {fields, 0};
    char sig[JF_TWILIO_SIG_LEN + 1];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0) {
            url = jf_cmd_take_value(argc, argv, &i, "twilio-sign");
            if (!url)
                return JF_EXIT_USAGE;
            continue;
        }
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || form.n == JF_FORM_MAX_FIELDS) {
            fprintf(stderr, "jianfu twilio-sign: parameters are NAME=VALUE (at most %d)\n",
                    JF_FORM_MAX_FIELDS);
            return JF_EXIT_USAGE;
        }
        *eq = '\0';
        fields[form.n].name = argv[i];
        fields[form.n].value = eq + 1;
        form.n++;
    }
    if (!url || !token || !*token) {
        fprintf(stderr, "usage: JIANFU_TWILIO_AUTH_TOKEN=... jianfu twilio-sign --url URL "
                        "NAME=VALUE...\n");
        return JF_EXIT_USAGE;
    }
    if (jf_webhook_twilio_signature(token, url, &form, sig)) {
        fprintf(stderr, "jianfu twilio-sign: cannot sign (URL or parameters too long)\n");
        return JF_EXIT_FAIL;
    }
    printf("%s\n", sig);
    return JF_EXIT_OK;
}

struct correct_args {
    const char *code, *category, *dept, *reason;
};

static jf_err correct_action(PGconn *conn, void *arg, char *msg, size_t msgsz)
{
    struct correct_args *a = arg;
    return jf_store_correct(conn, a->code, a->category, a->dept, a->reason, "cli", msg, msgsz);
}

/* `jianfu correct CODE [--category C] [--dept D] --reason TEXT`: a coordinator's
 * re-categorisation or re-routing, recorded in the timeline and as a training example.
 * The web inbox will call the same store function. */
int jf_cmd_correct(int argc, char **argv)
{
    const char *arg = NULL, *category = NULL, *dept = NULL, *reason = NULL;
    char code[JF_TICKET_LEN + 1];
    for (int i = 1; i < argc; i++) {
        const char **dst = strcmp(argv[i], "--category") == 0 ? &category
                           : strcmp(argv[i], "--dept") == 0   ? &dept
                           : strcmp(argv[i], "--reason") == 0 ? &reason
                                                              : NULL;
        if (!dst && argv[i][0] != '-' && !arg) {
            arg = argv[i];
            continue;
        }
        if (!dst)
            return jf_cmd_unknown_option("correct", argv[i]);
        *dst = jf_cmd_take_value(argc, argv, &i, "correct");
        if (!*dst)
            return JF_EXIT_USAGE;
    }
    if (!arg || (!category && !dept) || !reason || !*reason) {
        fprintf(stderr, "usage: jianfu correct CODE [--category CATEGORY] [--dept DEPT] "
                        "--reason TEXT\n(at least one of --category and --dept)\n");
        return JF_EXIT_USAGE;
    }
    /* The store looks the code up as issued (upper case); a coordinator may type it in
     * either case, as for `jianfu show`. */
    if (jf_cmd_ticket_arg_or_report("correct", arg, code))
        return JF_EXIT_USAGE;
    struct correct_args a = {code, category, dept, reason};
    int rc = jf_cmd_with_db("correct", correct_action, &a);
    /* Only a new category is a training example (jf_store_corrections_examples). */
    if (!rc)
        printf("corrected %s%s%s%s%s%s\n", code, category ? ": category " : "",
               category ? category : "", dept ? ", department " : "", dept ? dept : "",
               category ? "; `jianfu train` learns from it" : "");
    return rc;
}

struct category_args {
    const char *code;
    const int *sla;
    const char *dept;
};

static jf_err category_action(PGconn *conn, void *arg, char *msg, size_t msgsz)
{
    struct category_args *a = arg;
    return jf_store_category_set(conn, a->code, a->sla, a->dept, msg, msgsz);
}

/* `jianfu category set CODE [--sla ACK,ANSWER,RESOLVE] [--dept DEPT|--no-dept]`: the
 * deadlines of a kind of complaint and the department that answers for it by default. */
int jf_cmd_category(int argc, char **argv)
{
    const char *code = NULL, *sla = NULL, *dept = NULL;
    int days[3];
    if (argc < 3 || strcmp(argv[1], "set") != 0)
        goto usage;
    code = argv[2];
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--no-dept") == 0) {
            dept = "";
            continue;
        }
        const char **dst = strcmp(argv[i], "--sla") == 0    ? &sla
                           : strcmp(argv[i], "--dept") == 0 ? &dept
                                                            : NULL;
        if (!dst)
            return jf_cmd_unknown_option("category set", argv[i]);
        *dst = jf_cmd_take_value(argc, argv, &i, "category set");
        if (!*dst)
            return JF_EXIT_USAGE;
    }
    if (!sla && !dept)
        goto usage;
    if (sla) {
        char extra;
        if (sscanf(sla, "%d,%d,%d%c", &days[0], &days[1], &days[2], &extra) != 3 ||
            days[0] < 1 || days[0] > days[1] || days[1] > days[2] || days[2] > 366) {
            fprintf(stderr, "jianfu category set: --sla is ACK,ANSWER,RESOLVE working days, "
                            "1 <= ACK <= ANSWER <= RESOLVE <= 366, e.g. 1,3,10\n");
            return JF_EXIT_USAGE;
        }
    }
    struct category_args a = {code, sla ? days : NULL, dept};
    int rc = jf_cmd_with_db("category set", category_action, &a);
    if (!rc)
        printf("category %s updated; running servers pick it up within "
               "JIANFU_TRIAGE_RELOAD seconds\n",
               code);
    return rc;
usage:
    fprintf(stderr, "usage: jianfu category set CODE [--sla ACK,ANSWER,RESOLVE] "
                    "[--dept DEPT | --no-dept]\n");
    return JF_EXIT_USAGE;
}
