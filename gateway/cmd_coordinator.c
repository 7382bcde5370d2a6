/* cmd_coordinator.c - `jianfu show` and `jianfu triage`: what coordinators see of a
 * complaint (why it was routed where it was, its deadlines and timeline) and of the triage
 * queue. Neither reads the reporter key, the channel's name, the sealed address or the
 * provider's message id (store/coordinator.h), and text output replaces the control
 * characters a reporter might have sent. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "gateway/cmd_util.h"
#include "gateway/gateway.h"
#include "gateway/triage_ctx.h"
#include "store/coordinator.h"
#include "triage/category.h"
#include "triage/ticket.h"

/* Most bytes of one rendered route reason or timeline entry. Intake's route reason is at
 * most 4 KiB (jf_gateway_triage_decide), names and wording add less than as much again. */
#define ROUTE_TEXT_MAX 16384

/* Append s (may be NULL: nothing) to b unless an earlier append failed. */
static void put(jf_buf *b, jf_err *err, const char *s)
{
    if (!*err && s)
        *err = jf_buf_appends(b, s);
}

/* A confidence as coordinators read it: two decimals, but never "1.00" for less than
 * certainty, since "1.00 below the threshold" would read as a contradiction. */
static void format_confidence(double v, char out[16])
{
    snprintf(out, 16, "%.2f", v);
    if (v < 1 && strcmp(out, "1.00") == 0)
        snprintf(out, 16, "%.6f", v < 0.999999 ? v : 0.999999);
}

/* A threshold as coordinators read it: two decimals when they say it exactly ("0.50"),
 * else six ("0.999999"). */
static void format_threshold(double t, char out[16])
{
    snprintf(out, 16, "%.2f", t);
    double shown = strtod(out, NULL);
    if (shown - t > 1e-9 || t - shown > 1e-9)
        snprintf(out, 16, "%.6f", t);
}

static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A category code with its Chinese name: "forms 填表报数". */
static void put_category(jf_buf *b, jf_err *err, const char *code)
{
    jf_triage_category k;
    put(b, err, code);
    if (code && jf_triage_category_parse(code, strlen(code), &k) == JF_ERR_OK) {
        put(b, err, " ");
        put(b, err, jf_triage_category_name(k));
    }
}

/* The classifier's guess: "model: forms 填表报数, confidence 0.83". With below (the reason
 * is a confidence below the threshold) it goes on "below the threshold 0.50", giving the
 * threshold the route reason recorded, or just "below the threshold" for a complaint taken
 * in before intake recorded it. */
static void put_model(jf_buf *b, jf_err *err, const json_t *why, bool below)
{
    const json_t *conf = json_object_get(why, "confidence");
    const json_t *thr = below ? json_object_get(why, "threshold") : NULL;
    bool has_thr = json_is_number(thr);
    char tnum[16] = "";
    if (has_thr)
        format_threshold(json_number_value(thr), tnum);
    put(b, err, "model: ");
    put_category(b, err, str_of(why, "category"));
    if (json_is_number(conf)) {
        double v = json_number_value(conf);
        char num[16];
        format_confidence(v, num);
        /* Two decimals can round a confidence up to the threshold: "0.50 below the
         * threshold 0.50" would read as a contradiction, so show six decimals, and cut
         * them rather than round when even six would reach it. */
        if (has_thr && v >= 0 && v < json_number_value(thr)) {
            if (strtod(num, NULL) >= strtod(tnum, NULL))
                snprintf(num, sizeof num, "%.6f", v);
            if (strtod(num, NULL) >= strtod(tnum, NULL))
                snprintf(num, sizeof num, "%.6f", (double)(long long)(v * 1e6) / 1e6);
        }
        put(b, err, ", confidence ");
        put(b, err, num);
    }
    if (below) {
        put(b, err, " below the threshold");
        put(b, err, has_thr ? " " : NULL);
        put(b, err, has_thr ? tnum : NULL);
    }
}

/* The triage reasons intake writes (triage_ctx.h), each as the classifier's guess between
 * a prefix and a suffix, the guess saying the threshold when below is set; a reason not in
 * the table is shown after the guess as stored. */
static const struct {
    const char *why;
    const char *prefix;
    bool below;
    const char *suffix;
} triage_whys[] = {
    {JF_TRIAGE_WHY_OTHER, "not a burden complaint (", false, ")"},
    {JF_TRIAGE_WHY_BELOW, "", true, ""},
    {JF_TRIAGE_WHY_NO_DEFAULT, "", false, "; the category has no default department"},
};

/* route_why - append to b one line saying why a complaint went where it went, from the
 * route reason object that intake stored (jf_gateway_triage_decide) or a correction wrote;
 * dept_name (may be NULL) is the name of the department the reason names. E.g.
 * "named department 教体局 in the text → jiaoyu 市教育局 (model: forms 填表报数, confidence
 * 0.97)" or "model: forms 填表报数, confidence 0.41 below the threshold 0.50 → triage
 * queue". */
static jf_err route_why(const json_t *why, const char *dept_name, jf_buf *b)
{
    jf_err err = JF_ERR_OK;
    const char *by = str_of(why, "by"), *text = str_of(why, "why");
    const char *category = str_of(why, "category"), *dept = str_of(why, "department");
    if (!by) {
        put(b, &err, "no route reason recorded");
    } else if (strcmp(by, "named") == 0 || strcmp(by, "category") == 0) {
        bool named = strcmp(by, "named") == 0;
        if (named) {
            put(b, &err, "named department ");
            put(b, &err, str_of(why, "name"));
            put(b, &err, " in the text → ");
        } else {
            put_model(b, &err, why, false);
            put(b, &err, " → ");
        }
        put(b, &err, dept);
        put(b, &err, dept_name ? " " : NULL);
        put(b, &err, dept_name);
        if (named && category) {
            put(b, &err, " (");
            put_model(b, &err, why, false);
            put(b, &err, ")");
        } else if (!named) {
            put(b, &err, " (the category's default department)");
        }
    } else if (strcmp(by, "correction") == 0) {
        put(b, &err, "re-routed by a coordinator (the reason is in the timeline)");
    } else if (strcmp(by, "triage") == 0) {
        size_t i = 0, n = sizeof triage_whys / sizeof triage_whys[0];
        while (i < n && !(text && strcmp(text, triage_whys[i].why) == 0))
            i++;
        if (!category) {
            put(b, &err, text ? text : "not classified");
        } else if (i < n) {
            put(b, &err, triage_whys[i].prefix);
            put_model(b, &err, why, triage_whys[i].below);
            put(b, &err, triage_whys[i].suffix);
        } else {
            put_model(b, &err, why, false);
            put(b, &err, text ? "; " : NULL);
            put(b, &err, text);
        }
        put(b, &err, " → triage queue");
    } else {
        char *raw = json_dumps(why, JSON_COMPACT);
        put(b, &err, "routed by ");
        put(b, &err, by);
        put(b, &err, ": ");
        put(b, &err, raw);
        free(raw);
        return err;
    }

    /* What else the reason records: the keyword rules that weighed in, a department the
     * text names but was not routed to, the urgency word that halved the deadlines. */
    const json_t *rules = json_object_get(why, "rules");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        put(b, &err, i == 0 ? "; keyword rules matched: " : ", ");
        put(b, &err, json_string_value(json_array_get(rules, i)));
    }
    if (str_of(why, "named")) {
        put(b, &err, "; the text names ");
        put(b, &err, str_of(why, "named"));
    }
    if (str_of(why, "urgent")) {
        put(b, &err, "; urgency word ");
        put(b, &err, str_of(why, "urgent"));
        put(b, &err, ": deadlines halved");
    }
    return err;
}

/* route_text - route_why from the route reason as stored (JSON text). The parsed reason
 * goes to *parsed (caller decrefs; NULL when the text is not JSON) when parsed is not NULL,
 * so that JSON output need not parse it again. */
static jf_err route_text(const char *reason, const char *dept_name, jf_buf *b, json_t **parsed)
{
    jf_err err = JF_ERR_OK;
    json_t *why = json_loads(reason, 0, NULL);
    if (json_is_object(why)) {
        err = route_why(why, dept_name, b);
    } else {
        put(b, &err, "unreadable route reason ");
        put(b, &err, reason);
    }
    if (parsed)
        *parsed = why;
    else
        json_decref(why);
    return err;
}

/* Timeline entry renderers: one line from an event's detail (a JSON object). */
typedef void (*event_render_fn)(const jf_store_event_view *e, const json_t *d, jf_buf *b,
                                jf_err *err);

static void render_received(const jf_store_event_view *e, const json_t *d, jf_buf *b,
                            jf_err *err)
{
    const json_t *route = json_object_get(d, "route");
    json_int_t redactions = json_integer_value(json_object_get(d, "redactions"));
    put(b, err, "via ");
    put(b, err, str_of(d, "channel"));
    if (str_of(d, "status")) {
        put(b, err, ", ");
        put(b, err, str_of(d, "status"));
    }
    if (json_is_object(route)) {
        put(b, err, ": ");
        if (!*err)
            *err = route_why(route, e->route_dept_name, b);
    }
    if (redactions > 0) {
        char n[48];
        snprintf(n, sizeof n, "; %lld number%s redacted", (long long)redactions,
                 redactions == 1 ? "" : "s");
        put(b, err, n);
    }
}

static void render_corrected(const jf_store_event_view *e, const json_t *d, jf_buf *b,
                             jf_err *err)
{
    static const char *const what[][3] = {
        {"category ", "category_from", "category_to"},
        {"department ", "department_from", "department_to"},
    };
    (void)e;
    for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
        if (!str_of(d, what[i][2]))
            continue;
        put(b, err, what[i][0]);
        put(b, err, str_of(d, what[i][1]) ? str_of(d, what[i][1]) : "none");
        put(b, err, " → ");
        put(b, err, str_of(d, what[i][2]));
        put(b, err, "; ");
    }
    put(b, err, "reason: ");
    put(b, err, str_of(d, "reason"));
}

static const struct {
    const char *kind;
    event_render_fn render;
} event_renderers[] = {
    {"received", render_received},
    {"corrected", render_corrected},
};

/* event_text - one line for a timeline entry: known kinds in words, others as their JSON. */
static jf_err event_text(const jf_store_event_view *e, jf_buf *b)
{
    jf_err err = JF_ERR_OK;
    json_t *d = json_loads(e->detail, 0, NULL);
    size_t i = 0, n = sizeof event_renderers / sizeof event_renderers[0];
    while (i < n && strcmp(e->kind, event_renderers[i].kind) != 0)
        i++;
    if (i < n && json_is_object(d))
        event_renderers[i].render(e, d, b, &err);
    else
        put(b, &err, e->detail);
    json_decref(d);
    return err;
}

/* Print text that came from a reporter or a database field to a terminal: control
 * characters (C0, DEL and C1, which could move the cursor or retitle the window) become
 * '?'; a line break (LF or CR LF) becomes a new line starting with indent (NULL: a
 * space). */
static void print_clean(const char *s, const char *indent)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    for (; *p; p++) {
        if (*p == '\r' && p[1] == '\n') {
            continue;
        } else if (*p == '\n') {
            fputs(indent ? "\n" : " ", stdout);
            if (indent)
                fputs(indent, stdout);
        } else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
            putchar('?');
            p++;
        } else if ((*p < 0x20 && *p != '\t') || *p == 0x7F) {
            putchar('?');
        } else {
            putchar(*p);
        }
    }
}

/* A CSV field holding free text (a reporter's words): as jf_cmd_csv_field, with a leading '
 * when it starts like a spreadsheet formula, so that opening the file runs nothing. */
static void csv_text_field(const char *s, bool last)
{
    if (s && strchr("=+-@\t\r", s[0]) && s[0]) {
        size_t n = strlen(s);
        char *q = malloc(n + 2);
        if (q) {
            q[0] = '\'';
            memcpy(q + 1, s, n + 1);
            jf_cmd_csv_field(q, last);
            free(q);
            return;
        }
    }
    jf_cmd_csv_field(s, last);
}

typedef enum { OUT_TEXT, OUT_CSV, OUT_JSON } out_format;

/* Parse --format against the formats a command accepts ("text", "csv", "json" order). */
static int parse_format(const char *cmd, const char *s, bool csv_ok, out_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = OUT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = OUT_JSON;
    else if (csv_ok && strcmp(s, "csv") == 0)
        *out = OUT_CSV;
    else {
        fprintf(stderr, "jianfu %s: --format must be text%s or json\n", cmd,
                csv_ok ? ", csv" : "");
        return JF_EXIT_USAGE;
    }
    return JF_EXIT_OK;
}

typedef struct {
    const char *code;
    out_format format;
    json_t *doc;    /* JSON: the complaint object being built */
    json_t *events; /* JSON: its "events" array (borrowed from doc) */
    jf_buf line;    /* one rendered route reason or event */
    bool failed;    /* out of memory while building or rendering */
} show_ctx;

static const char *or_null_text(const char *s, const char *none)
{
    return s ? s : none;
}

static int show_complaint(const jf_store_complaint_view *c, void *arg)
{
    show_ctx *ctx = arg;
    char received[JF_RFC3339_LEN], ack[JF_RFC3339_LEN], answer[JF_RFC3339_LEN],
        resolve[JF_RFC3339_LEN];
    jf_clock_format_cst(c->received_at, received);
    jf_clock_format_cst(c->ack_due, ack);
    jf_clock_format_cst(c->answer_due, answer);
    jf_clock_format_cst(c->resolve_due, resolve);
    json_t *reason = NULL;
    jf_buf_reset(&ctx->line);
    if (route_text(c->route_reason, c->route_dept_name, &ctx->line,
                   ctx->format == OUT_JSON ? &reason : NULL)) {
        json_decref(reason);
        ctx->failed = true;
        return 1;
    }
    const char *route = ctx->line.data ? ctx->line.data : "";

    if (ctx->format == OUT_JSON) {
        ctx->events = json_array();
        ctx->doc = json_pack(
            "{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:b, s:i, s:s, s:s, s:s, s:s, s:s,"
            " s:o, s:s, s:o}",
            "code", c->code, "status", c->status, "channel", c->channel_kind, "category",
            c->category, "category_name", c->category_name, "department", c->dept_code,
            "department_name", c->dept_name, "confidence",
            c->confidence < 0 ? json_null() : json_real(c->confidence), "urgent", c->urgent,
            "redactions", c->redactions, "received_at", received, "ack_due", ack, "answer_due",
            answer, "resolve_due", resolve, "body", c->body, "route_reason",
            reason ? reason : json_string(c->route_reason), "route", route, "events",
            ctx->events);
        if (!ctx->doc || !ctx->events) {
            ctx->failed = true;
            return 1;
        }
        return 0;
    }

    printf("%-16s%s\n%-16s%s\n%-16s%s\n", "ticket", c->code, "status", c->status, "channel",
           c->channel_kind);
    printf("%-16s%s%s%s\n", "category", or_null_text(c->category, "not classified"),
           c->category_name ? " " : "", or_null_text(c->category_name, ""));
    printf("%-16s%s%s%s\n", "department", or_null_text(c->dept_code, "triage queue"),
           c->dept_name ? " " : "", or_null_text(c->dept_name, ""));
    if (c->confidence < 0) {
        printf("%-16snot classified\n", "confidence");
    } else {
        char conf[16];
        format_confidence(c->confidence, conf);
        printf("%-16s%s\n", "confidence", conf);
    }
    printf("%-16s%s\n", "urgent", c->urgent ? "yes (deadlines halved)" : "no");
    printf("%-16s%s\n%-16s%s\n%-16s%s\n%-16s%s\n", "received", received, "acknowledge by", ack,
           "answer by", answer, "resolve by", resolve);
    printf("%-16s", "route");
    print_clean(route, NULL);
    printf("\n\nbody");
    if (c->redactions > 0)
        printf(" (%d number%s redacted)", c->redactions, c->redactions == 1 ? "" : "s");
    printf("\n    ");
    print_clean(c->body, "    ");
    printf("\n\ntimeline\n");
    return 0;
}

static int show_event(const jf_store_event_view *e, void *arg)
{
    show_ctx *ctx = arg;
    char at[JF_RFC3339_LEN];
    jf_clock_format_cst(e->at, at);
    jf_buf_reset(&ctx->line);
    if (event_text(e, &ctx->line)) {
        ctx->failed = true;
        return 1;
    }
    const char *text = ctx->line.data ? ctx->line.data : "";
    if (ctx->format == OUT_JSON) {
        json_t *d = json_loads(e->detail, 0, NULL);
        json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s}", "at", at, "kind", e->kind, "actor",
                              e->actor, "detail", d ? d : json_string(e->detail), "text", text);
        if (!o || json_array_append_new(ctx->events, o)) {
            ctx->failed = true;
            return 1;
        }
        return 0;
    }
    printf("    %s  %-10s %-10s ", at, e->kind, e->actor);
    print_clean(text, NULL);
    putchar('\n');
    return 0;
}

static jf_err show_action(PGconn *conn, void *arg, char *msg, size_t msgsz)
{
    show_ctx *ctx = arg;
    jf_err err =
        jf_store_complaint_show(conn, ctx->code, show_complaint, show_event, ctx, msg, msgsz);
    if (!err && ctx->failed) {
        snprintf(msg, msgsz, "out of memory rendering the complaint");
        err = JF_ERR_NOMEM;
    }
    return err;
}

/* `jianfu show CODE [--format text|json]`: one complaint as a coordinator sees it, with why
 * it was routed where it was and its timeline. Never the reporter's key or address. */
int jf_cmd_show(int argc, char **argv)
{
    const char *arg = NULL, *format = "text";
    char code[JF_TICKET_LEN + 1];
    show_ctx ctx = {.code = code, .format = OUT_TEXT};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0) {
            format = jf_cmd_take_value(argc, argv, &i, "show");
            if (!format)
                return JF_EXIT_USAGE;
        } else if (argv[i][0] != '-' && !arg) {
            arg = argv[i];
        } else {
            return jf_cmd_unknown_option("show", argv[i]);
        }
    }
    if (!arg) {
        fprintf(stderr, "usage: jianfu show CODE [--format text|json]\n");
        return JF_EXIT_USAGE;
    }
    if (parse_format("show", format, false, &ctx.format))
        return JF_EXIT_USAGE;
    if (jf_cmd_ticket_arg_or_report("show", arg, code))
        return JF_EXIT_USAGE;
    jf_buf_init(&ctx.line, ROUTE_TEXT_MAX);
    int rc = jf_cmd_with_db("show", show_action, &ctx);
    if (!rc && ctx.format == OUT_JSON)
        rc = jf_cmd_print_json(ctx.doc);
    json_decref(ctx.doc);
    jf_buf_free(&ctx.line);
    return rc;
}

typedef struct {
    out_format format;
    unsigned limit;
    int64_t total;
    int count;
    json_t *rows;
    jf_buf line;
    bool failed;
} queue_ctx;

static int triage_row(const jf_store_triage_row *row, void *arg)
{
    queue_ctx *ctx = arg;
    char received[JF_RFC3339_LEN], ack[JF_RFC3339_LEN], conf[16] = "";
    jf_clock_format_cst(row->received_at, received);
    jf_clock_format_cst(row->ack_due, ack);
    if (row->confidence >= 0)
        format_confidence(row->confidence, conf);
    json_t *reason = NULL;
    jf_buf_reset(&ctx->line);
    if (route_text(row->route_reason, NULL, &ctx->line,
                   ctx->format == OUT_JSON ? &reason : NULL)) {
        json_decref(reason);
        ctx->failed = true;
        return 1;
    }
    const char *route = ctx->line.data ? ctx->line.data : "";
    ctx->count++;

    if (ctx->format == OUT_CSV) {
        jf_cmd_csv_field(row->code, false);
        jf_cmd_csv_field(received, false);
        jf_cmd_csv_field(ack, false);
        jf_cmd_csv_field(row->category, false);
        jf_cmd_csv_field(row->category_name, false);
        jf_cmd_csv_field(conf, false);
        jf_cmd_csv_field(row->urgent ? "true" : "false", false);
        csv_text_field(route, false);
        csv_text_field(row->excerpt, false);
        jf_cmd_csv_field(row->truncated ? "true" : "false", true);
        return 0;
    }
    if (ctx->format == OUT_JSON) {
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s?, s:s?, s:o, s:b, s:o, s:s, s:s, s:b}", "code", row->code,
            "received_at", received, "ack_due", ack, "category", row->category, "category_name",
            row->category_name, "confidence",
            row->confidence < 0 ? json_null() : json_real(row->confidence), "urgent",
            row->urgent, "route_reason", reason ? reason : json_string(row->route_reason),
            "route", route, "excerpt", row->excerpt, "truncated", row->truncated);
        if (!o || json_array_append_new(ctx->rows, o)) {
            ctx->failed = true;
            return 1;
        }
        return 0;
    }
    if (ctx->count == 1) {
        /* The store gives the total before the first row. */
        if (ctx->limit && ctx->total > ctx->limit)
            printf("%lld complaints awaiting triage, the %u oldest shown\n",
                   (long long)ctx->total, ctx->limit);
        else
            printf("%lld complaint%s awaiting triage, oldest first\n", (long long)ctx->total,
                   ctx->total == 1 ? "" : "s");
    }
    printf("\n%s  received %s  acknowledge by %s%s\n", row->code, received, ack,
           row->urgent ? "  URGENT" : "");
    if (row->category)
        printf("    guess  %s%s%s, confidence %s\n", row->category,
               row->category_name ? " " : "", or_null_text(row->category_name, ""), conf);
    else
        printf("    guess  not classified\n");
    printf("    why    ");
    print_clean(route, NULL);
    printf("\n    text   ");
    print_clean(row->excerpt, NULL);
    printf("%s\n", row->truncated ? "…" : "");
    return 0;
}

static jf_err triage_action(PGconn *conn, void *arg, char *msg, size_t msgsz)
{
    queue_ctx *ctx = arg;
    if (ctx->format == OUT_CSV)
        printf("code,received_at,ack_due,category,category_name,confidence,urgent,route,"
               "excerpt,truncated\n");
    jf_err err =
        jf_store_triage_queue(conn, (int)ctx->limit, triage_row, ctx, &ctx->total, msg, msgsz);
    if (!err && ctx->failed) {
        snprintf(msg, msgsz, "out of memory rendering the triage queue");
        err = JF_ERR_NOMEM;
    }
    return err;
}

/* `jianfu triage [--format text|csv|json] [--limit N]`: the coordinators' triage queue,
 * oldest first, each with the classifier's guess, why it waits and the start of its text.
 * `jianfu triage stats ...` is the report of cmd_routing.c. */
int jf_cmd_triage(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "stats") == 0)
        return jf_cmd_triage_stats(argc, argv);
    const char *format = "text", *limit = NULL;
    queue_ctx ctx = {.format = OUT_TEXT};
    for (int i = 1; i < argc; i++) {
        const char **dst = strcmp(argv[i], "--format") == 0  ? &format
                           : strcmp(argv[i], "--limit") == 0 ? &limit
                                                             : NULL;
        if (!dst)
            return jf_cmd_unknown_option("triage", argv[i]);
        *dst = jf_cmd_take_value(argc, argv, &i, "triage");
        if (!*dst)
            return JF_EXIT_USAGE;
    }
    if (parse_format("triage", format, true, &ctx.format))
        return JF_EXIT_USAGE;
    if (limit && jf_config_parse_uint(limit, 1, JF_STORE_TRIAGE_MAX_LIMIT, &ctx.limit)) {
        fprintf(stderr, "jianfu triage: --limit must be a whole number from 1 to %d\n",
                JF_STORE_TRIAGE_MAX_LIMIT);
        return JF_EXIT_USAGE;
    }
    if (ctx.format == OUT_JSON) {
        ctx.rows = json_array();
        if (!ctx.rows)
            return JF_EXIT_FAIL;
    }
    jf_buf_init(&ctx.line, ROUTE_TEXT_MAX);
    int rc = jf_cmd_with_db("triage", triage_action, &ctx);
    if (!rc && ctx.format == OUT_JSON) {
        rc = jf_cmd_print_json(ctx.rows);
    } else if (!rc && ctx.format == OUT_TEXT && ctx.count == 0) {
        printf("the triage queue is empty\n");
    }
    json_decref(ctx.rows);
    jf_buf_free(&ctx.line);
    return rc;
}
