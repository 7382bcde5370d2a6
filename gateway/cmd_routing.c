/* cmd_routing.c - `jianfu triage stats`: how routing at intake has fared since, for the
 * office that decides whether the classifier may route without a person.
 *
 * For the complaints received in a period it counts what intake did (routed to a
 * department without a person, or left for triage, and why) and what coordinators have
 * changed since. A category or department nobody has changed counts as kept; until
 * coordinators have looked at every complaint, "kept" is an upper bound on how often the
 * classifier was right, and the report says so. It reads counts only
 * (store/coordinator.h): no text, no ticket code, nothing about a reporter.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "gateway/cmd_util.h"
#include "gateway/gateway.h"
#include "gateway/triage_ctx.h"
#include "store/coordinator.h"
#include "triage/category.h"

/* Why intake left a complaint for triage: the JF_TRIAGE_WHY_* it recorded. */
typedef enum {
    WAIT_OTHER,
    WAIT_BELOW,
    WAIT_NO_DEFAULT,
    WAIT_NO_MODEL,
    WAIT_ELSE,
    WAIT_COUNT
} wait_reason;

static const struct {
    const char *why;  /* as intake records it; NULL: any other */
    const char *key;  /* in JSON */
    const char *text; /* in text */
} waits[WAIT_COUNT] = {
    [WAIT_OTHER] = {JF_TRIAGE_WHY_OTHER, "other", "not a burden complaint (other)"},
    [WAIT_BELOW] = {JF_TRIAGE_WHY_BELOW, "below_threshold", "confidence below the threshold"},
    [WAIT_NO_DEFAULT] = {JF_TRIAGE_WHY_NO_DEFAULT, "no_default_department",
                         "category without a default department"},
    [WAIT_NO_MODEL] = {JF_TRIAGE_WHY_NO_MODEL, "no_model", "no classification model loaded"},
    [WAIT_ELSE] = {NULL, "unrecorded", "reason not recorded"},
};

typedef struct {
    int64_t count;   /* left for triage for this reason */
    int64_t waiting; /* still in the queue */
    int64_t decided; /* a coordinator has corrected it */
    int64_t kept;    /* decided, and the classifier's category is still its category */
} wait_count;

typedef struct {
    int64_t routed, routed_changed; /* routed without a person; category changed since */
    int64_t triaged, decided, kept; /* left for triage; decided by a coordinator; kept */
} category_count;

typedef struct {
    int64_t received;     /* in the period */
    int64_t unrouted;     /* stored before intake recorded its routing */
    int64_t routed;       /* routed to a department without a person */
    int64_t named;        /*   of which to a department named in the text */
    int64_t by_category;  /* of which to the category's default department */
    int64_t cat_changed;  /* routed, and the category changed since */
    int64_t dept_changed; /* routed, and the department changed since */
    int64_t triaged;      /* left for triage */
    wait_count wait[WAIT_COUNT];
    category_count cat[JF_CAT_COUNT];
    /* [at intake][now], counted where the two differ */
    int64_t change[JF_CAT_COUNT][JF_CAT_COUNT];
} routing_stats;

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The category of code, or JF_CAT_COUNT for none or one this binary does not know. */
static int category_of(const char *code)
{
    jf_triage_category c;
    if (!code || jf_triage_category_parse(code, strlen(code), &c))
        return JF_CAT_COUNT;
    return (int)c;
}

static int add_group(const jf_store_routing_group *g, void *arg)
{
    routing_stats *s = arg;
    int c0 = category_of(g->category0), c1 = category_of(g->category);
    bool kept = same(g->category0, g->category);
    s->received += g->count;
    if (c0 < JF_CAT_COUNT && c1 < JF_CAT_COUNT && c0 != c1)
        s->change[c0][c1] += g->count;
    if (same(g->status0, "assigned")) {
        s->routed += g->count;
        if (same(g->by0, "named"))
            s->named += g->count;
        else if (same(g->by0, "category"))
            s->by_category += g->count;
        if (g->category0 && !kept)
            s->cat_changed += g->count;
        if (g->dept_changed)
            s->dept_changed += g->count;
        if (c0 < JF_CAT_COUNT) {
            s->cat[c0].routed += g->count;
            if (!kept)
                s->cat[c0].routed_changed += g->count;
        }
    } else if (same(g->status0, "triage")) {
        int w = 0;
        while (w < WAIT_ELSE && !same(g->why0, waits[w].why))
            w++;
        wait_count *wc = &s->wait[w];
        s->triaged += g->count;
        wc->count += g->count;
        if (g->waiting)
            wc->waiting += g->count;
        if (g->corrected)
            wc->decided += g->count;
        if (g->corrected && kept)
            wc->kept += g->count;
        if (c0 < JF_CAT_COUNT) {
            s->cat[c0].triaged += g->count;
            if (g->corrected)
                s->cat[c0].decided += g->count;
            if (g->corrected && kept)
                s->cat[c0].kept += g->count;
        }
    } else {
        s->unrouted += g->count;
    }
    return 0;
}

typedef struct {
    int64_t since, until; /* since < 0: from the first complaint */
    routing_stats stats;
} stats_ctx;

static jf_err stats_action(PGconn *conn, void *arg, char *msg, size_t msgsz)
{
    stats_ctx *ctx = arg;
    return jf_store_routing_stats(conn, ctx->since, ctx->until, add_group, &ctx->stats, msg,
                                  msgsz);
}

/* "12.5%" of part in whole, or "-" when whole is 0. */
static const char *percent(int64_t part, int64_t whole, char out[16])
{
    if (whole <= 0)
        snprintf(out, 16, "-");
    else
        snprintf(out, 16, "%.1f%%", 100.0 * (double)part / (double)whole);
    return out;
}

static const char *category_label(int c, char out[64])
{
    snprintf(out, 64, "%s %s", jf_triage_category_code((jf_triage_category)c),
             jf_triage_category_name((jf_triage_category)c));
    return out;
}

/* Width of the labels of the text report; the longest is a wait reason. */
#define LABEL_WIDTH 40

/* One line of the text report: label, count, and what follows it (a, then b). */
static void row(const char *label, int64_t n, const char *a, const char *b)
{
    printf("%-*s %7lld%s%s%s\n", LABEL_WIDTH, label, (long long)n, *a ? "  " : "", a, b);
}

static void print_text(const stats_ctx *ctx)
{
    const routing_stats *s = &ctx->stats;
    char from[JF_RFC3339_LEN], to[JF_RFC3339_LEN], p1[16], p2[16], label[64];
    jf_clock_format_cst(ctx->until, to);
    if (ctx->since >= 0) {
        jf_clock_format_cst(ctx->since, from);
        printf("complaints received from %s to %s: %lld\n", from, to, (long long)s->received);
    } else {
        printf("complaints received before %s: %lld\n", to, (long long)s->received);
    }
    if (s->received == 0)
        return;
    if (s->unrouted)
        printf("  stored before intake recorded its routing (not counted below): %lld\n",
               (long long)s->unrouted);
    int64_t counted = s->routed + s->triaged;
    printf("\n");
    row("routed without a person", s->routed, percent(s->routed, counted, p1), "");
    row("  to a department named in the text", s->named, "", "");
    row("  to the category's department", s->by_category, "", "");
    row("  category changed since", s->cat_changed, "category kept ",
        percent(s->routed - s->cat_changed, s->routed, p1));
    row("  department changed since", s->dept_changed, "department kept ",
        percent(s->routed - s->dept_changed, s->routed, p2));
    printf("\n");
    row("left for triage", s->triaged, percent(s->triaged, counted, p1), "");
    printf("  %-*s %7s %7s %7s  %s\n", LABEL_WIDTH - 2, "why", "count", "waiting", "decided",
           "classifier's category kept");
    for (int w = 0; w < WAIT_COUNT; w++) {
        const wait_count *wc = &s->wait[w];
        if (wc->count == 0 && w != WAIT_OTHER && w != WAIT_BELOW)
            continue;
        printf("  %-*s %7lld %7lld %7lld  %lld (%s)\n", LABEL_WIDTH - 2, waits[w].text,
               (long long)wc->count, (long long)wc->waiting, (long long)wc->decided,
               (long long)wc->kept, percent(wc->kept, wc->decided, p1));
    }
    printf("\nby the classifier's category at intake\n");
    printf("  %-12s %7s %7s %7s %7s %7s\n", "category", "routed", "changed", "triaged",
           "decided", "kept");
    for (int c = 0; c < JF_CAT_COUNT; c++) {
        const category_count *k = &s->cat[c];
        if (!k->routed && !k->triaged)
            continue;
        printf("  %-12s %7lld %7lld %7lld %7lld %7lld  %s\n",
               jf_triage_category_code((jf_triage_category)c), (long long)k->routed,
               (long long)k->routed_changed, (long long)k->triaged, (long long)k->decided,
               (long long)k->kept, jf_triage_category_name((jf_triage_category)c));
    }
    bool any = false;
    for (int a = 0; a < JF_CAT_COUNT; a++)
        for (int b = 0; b < JF_CAT_COUNT; b++) {
            if (!s->change[a][b])
                continue;
            if (!any)
                printf("\ncategories changed by coordinators (at intake → now)\n");
            any = true;
            printf("  %s → ", category_label(a, label));
            printf("%s  %lld\n", category_label(b, label), (long long)s->change[a][b]);
        }
    printf("\n\"kept\" counts what no coordinator has changed: until coordinators have looked\n"
           "at every complaint, it is an upper bound on how often the classifier was right.\n");
}

static int set_int(json_t *o, const char *key, int64_t v)
{
    return json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *to_json(const stats_ctx *ctx)
{
    const routing_stats *s = &ctx->stats;
    char t[JF_RFC3339_LEN];
    json_t *doc = json_object(), *routed = json_object(), *triage = json_object(),
           *reasons = json_object(), *cats = json_array(), *changes = json_array();
    int bad = !doc || !routed || !triage || !reasons || !cats || !changes;
    if (bad)
        goto fail;
    if (ctx->since >= 0) {
        jf_clock_format_cst(ctx->since, t);
        bad |= json_object_set_new(doc, "since", json_string(t));
    } else {
        bad |= json_object_set_new(doc, "since", json_null());
    }
    jf_clock_format_cst(ctx->until, t);
    bad |= json_object_set_new(doc, "until", json_string(t));
    bad |= set_int(doc, "received", s->received);
    bad |= set_int(doc, "unrouted", s->unrouted);
    bad |= set_int(routed, "total", s->routed);
    bad |= set_int(routed, "named", s->named);
    bad |= set_int(routed, "category", s->by_category);
    bad |= set_int(routed, "category_changed", s->cat_changed);
    bad |= set_int(routed, "department_changed", s->dept_changed);
    bad |= set_int(triage, "total", s->triaged);
    for (int w = 0; w < WAIT_COUNT; w++) {
        json_t *r = json_object();
        bad |= !r;
        if (!r)
            break;
        bad |= set_int(r, "count", s->wait[w].count);
        bad |= set_int(r, "waiting", s->wait[w].waiting);
        bad |= set_int(r, "decided", s->wait[w].decided);
        bad |= set_int(r, "kept", s->wait[w].kept);
        bad |= json_object_set_new(reasons, waits[w].key, r);
    }
    for (int c = 0; c < JF_CAT_COUNT; c++) {
        const category_count *k = &s->cat[c];
        json_t *r = json_object();
        bad |= !r;
        if (!r)
            break;
        bad |= json_object_set_new(r, "category",
                                   json_string(jf_triage_category_code((jf_triage_category)c)));
        bad |= set_int(r, "routed", k->routed);
        bad |= set_int(r, "routed_changed", k->routed_changed);
        bad |= set_int(r, "triaged", k->triaged);
        bad |= set_int(r, "decided", k->decided);
        bad |= set_int(r, "kept", k->kept);
        bad |= json_array_append_new(cats, r);
        for (int b = 0; b < JF_CAT_COUNT; b++) {
            if (!s->change[c][b])
                continue;
            json_t *x = json_pack("{s:s, s:s, s:I}", "from",
                                  jf_triage_category_code((jf_triage_category)c), "to",
                                  jf_triage_category_code((jf_triage_category)b), "count",
                                  (json_int_t)s->change[c][b]);
            bad |= !x || json_array_append_new(changes, x);
        }
    }
    bad |= json_object_set_new(triage, "reasons", reasons);
    reasons = NULL;
    bad |= json_object_set_new(doc, "routed", routed);
    routed = NULL;
    bad |= json_object_set_new(doc, "triage", triage);
    triage = NULL;
    bad |= json_object_set_new(doc, "categories", cats);
    cats = NULL;
    bad |= json_object_set_new(doc, "changes", changes);
    changes = NULL;
    if (!bad)
        return doc;
fail:
    json_decref(doc);
    json_decref(routed);
    json_decref(triage);
    json_decref(reasons);
    json_decref(cats);
    json_decref(changes);
    return NULL;
}

static int parse_instant(const char *opt, const char *s, int64_t *out)
{
    if (jf_clock_parse_rfc3339(s, out) == JF_ERR_OK && *out >= 0)
        return JF_EXIT_OK;
    fprintf(stderr,
            "jianfu triage stats: %s must be RFC 3339, e.g. 2026-11-01T00:00:00+08:00\n", opt);
    return JF_EXIT_USAGE;
}

int jf_cmd_triage_stats(int argc, char **argv)
{
    const char *since = NULL, *until = NULL, *format = "text";
    stats_ctx ctx = {.since = -1};
    for (int i = 2; i < argc; i++) {
        const char **dst = strcmp(argv[i], "--since") == 0    ? &since
                           : strcmp(argv[i], "--until") == 0  ? &until
                           : strcmp(argv[i], "--format") == 0 ? &format
                                                              : NULL;
        if (!dst)
            return jf_cmd_unknown_option("triage stats", argv[i]);
        *dst = jf_cmd_take_value(argc, argv, &i, "triage stats");
        if (!*dst)
            return JF_EXIT_USAGE;
    }
    bool json = strcmp(format, "json") == 0;
    if (!json && strcmp(format, "text") != 0) {
        fprintf(stderr, "jianfu triage stats: --format must be text or json\n");
        return JF_EXIT_USAGE;
    }
    ctx.until = jf_clock_now();
    if ((since && parse_instant("--since", since, &ctx.since)) ||
        (until && parse_instant("--until", until, &ctx.until)))
        return JF_EXIT_USAGE;
    if (since && ctx.since >= ctx.until) {
        fprintf(stderr, "jianfu triage stats: --since must be before --until (or now)\n");
        return JF_EXIT_USAGE;
    }
    int rc = jf_cmd_with_db("triage stats", stats_action, &ctx);
    if (rc)
        return rc;
    if (!json) {
        print_text(&ctx);
        return JF_EXIT_OK;
    }
    json_t *doc = to_json(&ctx);
    rc = doc ? jf_cmd_print_json(doc) : JF_EXIT_FAIL;
    json_decref(doc);
    if (rc)
        fprintf(stderr, "jianfu triage stats: out of memory\n");
    return rc;
}
