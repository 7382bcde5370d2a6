/* triage_ctx.c - classification and routing context, rebuilt in the background. */
#include "triage_ctx.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "store/db.h"
#include "store/triage_data.h"
#include "triage/category.h"
#include "triage/classify.h"
#include "triage/normalize.h"
#include "triage/route.h"
#include "triage/rules.h"

#define MAX_DEPTS 4096
#define MAX_NAMES 16384
#define MAX_WORDS 1024

typedef struct {
    int64_t id;
    char code[33];
} dept_entry;

struct jf_triage_ctx {
    atomic_int refs;
    jf_triage_model *model; /* NULL: classification off */
    jf_triage_rules *rules;
    jf_triage_router *router;  /* department names and aliases; NULL when none */
    jf_triage_router *urgency; /* urgency words; NULL when none */
    struct {
        bool present;
        int ack, answer, resolve;
        int64_t dept;
    } cat[JF_CAT_COUNT];
    dept_entry *depts;
    size_t ndepts;
};

struct jf_triage_holder {
    const jf_config *cfg;
    pthread_mutex_t lock; /* guards cur */
    jf_triage_ctx *cur;
    pthread_t thread;
    pthread_cond_t wake;
    bool stop; /* guarded by lock */
    struct timespec model_mtime, rules_mtime;
    char fingerprint[33];
};

static void ctx_free(jf_triage_ctx *c)
{
    if (!c)
        return;
    jf_triage_model_free(c->model);
    jf_triage_rules_free(c->rules);
    jf_triage_router_free(c->router);
    jf_triage_router_free(c->urgency);
    free(c->depts);
    free(c);
}

jf_triage_ctx *jf_gateway_triage_acquire(jf_triage_holder *h)
{
    pthread_mutex_lock(&h->lock);
    jf_triage_ctx *c = h->cur;
    atomic_fetch_add(&c->refs, 1);
    pthread_mutex_unlock(&h->lock);
    return c;
}

void jf_gateway_triage_release(jf_triage_ctx *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        ctx_free(c);
}

/* ---- building a context ------------------------------------------------------------- */

typedef struct {
    jf_triage_route_pattern *pats;
    char **texts;
    size_t n;
    jf_triage_ctx *ctx;
    bool overflow;
} names_ctx;

char *jf_gateway_triage_name_form(const char *s, size_t len, size_t *outlen)
{
    size_t n = 0;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    if (jf_triage_normalize_names(s, len, out, len + 1, &n) || n == 0) {
        free(out);
        return NULL;
    }
    if (outlen)
        *outlen = n;
    return out;
}

static int add_name(int64_t id, const char *code, const char *text, void *arg)
{
    names_ctx *n = arg;
    jf_triage_ctx *c = n->ctx;
    if (n->n >= MAX_NAMES || c->ndepts >= MAX_DEPTS) {
        n->overflow = true;
        return 1;
    }
    if (c->ndepts == 0 || c->depts[c->ndepts - 1].id != id) {
        c->depts[c->ndepts].id = id;
        snprintf(c->depts[c->ndepts].code, sizeof c->depts[c->ndepts].code, "%s", code);
        c->ndepts++;
    }
    size_t tlen = 0;
    char *t = jf_gateway_triage_name_form(text, strlen(text), &tlen);
    if (!t)
        return 0; /* a name of nothing but punctuation names nothing */
    if (tlen > JF_ROUTE_MAX_PATTERN_LEN) {
        jf_log_warn("triage.name_too_long", "department=%s bytes=%zu limit=%d", code, tlen,
                    JF_ROUTE_MAX_PATTERN_LEN);
        free(t);
        return 0;
    }
    n->texts[n->n] = t;
    n->pats[n->n].text = t;
    n->pats[n->n].department = id;
    n->n++;
    return 0;
}

static int add_word(const char *word, void *arg)
{
    names_ctx *n = arg;
    if (n->n >= MAX_WORDS) {
        n->overflow = true;
        return 1;
    }
    size_t tlen = 0;
    char *t = jf_gateway_triage_name_form(word, strlen(word), &tlen);
    if (!t)
        return 0;
    if (tlen > JF_ROUTE_MAX_PATTERN_LEN) {
        jf_log_warn("triage.urgency_word_too_long", "bytes=%zu limit=%d", tlen,
                    JF_ROUTE_MAX_PATTERN_LEN);
        free(t);
        return 0;
    }
    n->texts[n->n] = t;
    n->pats[n->n].text = t;
    n->pats[n->n].department = 1;
    n->n++;
    return 0;
}

static int add_category(const char *code, int ack, int answer, int resolve, int64_t dept,
                        void *arg)
{
    jf_triage_ctx *c = arg;
    jf_triage_category cat;
    if (jf_triage_category_parse(code, strlen(code), &cat) == JF_ERR_OK) {
        c->cat[cat].present = true;
        c->cat[cat].ack = ack;
        c->cat[cat].answer = answer;
        c->cat[cat].resolve = resolve;
        c->cat[cat].dept = dept;
    }
    return 0;
}

static const char *dept_code(const jf_triage_ctx *c, int64_t id);

static int cmp_pattern(const void *a, const void *b)
{
    const jf_triage_route_pattern *x = a, *y = b;
    int d = strcmp(x->text, y->text);
    return d ? d : (x->department > y->department) - (x->department < y->department);
}

/* Names and aliases are unique as typed, but two of them can normalise to the same text
 * (JYJ and jyj; a traditional and a simplified spelling). The same text for one
 * department is kept once. The same text for two departments names neither: it is left
 * out, with a warning naming the departments, so that routing by every other name goes on
 * working. Sorts n->pats; returns how many patterns remain at its front. */
static size_t drop_ambiguous(names_ctx *n, const jf_triage_ctx *c)
{
    size_t kept = 0;
    qsort(n->pats, n->n, sizeof *n->pats, cmp_pattern);
    for (size_t i = 0; i < n->n;) {
        size_t j = i + 1;
        bool clash = false;
        for (; j < n->n && strcmp(n->pats[j].text, n->pats[i].text) == 0; j++)
            clash = clash || n->pats[j].department != n->pats[i].department;
        if (clash) {
            const char *a = dept_code(c, n->pats[i].department);
            const char *b = dept_code(c, n->pats[j - 1].department);
            jf_log_warn("triage.ambiguous_name",
                        "name=\"%s\" departments=%s,%s note=\"two departments share this "
                        "name or alias once normalised; neither is routed by it until one "
                        "is renamed\"",
                        n->pats[i].text, a ? a : "?", b ? b : "?");
        } else {
            n->pats[kept++] = n->pats[i];
        }
        i = j;
    }
    return kept;
}

static void names_free(names_ctx *n)
{
    for (size_t i = 0; i < n->n; i++)
        free(n->texts[i]);
    free(n->texts);
    free(n->pats);
    memset(n, 0, sizeof *n);
}

/* Routing data from the database. Names that clash once normalised are left out (see
 * drop_ambiguous), so the router always builds. */
static jf_err load_db(jf_triage_ctx *c, PGconn *conn, char *errbuf, size_t errsz)
{
    names_ctx n = {0};
    jf_err err = JF_ERR_NOMEM;
    if (errsz)
        errbuf[0] = '\0';
    c->depts = calloc(MAX_DEPTS, sizeof *c->depts);
    n.pats = calloc(MAX_NAMES, sizeof *n.pats);
    n.texts = calloc(MAX_NAMES, sizeof *n.texts);
    n.ctx = c;
    if (!c->depts || !n.pats || !n.texts)
        goto out;
    err = jf_store_dept_names(conn, add_name, &n, errbuf, errsz);
    size_t kept = err ? 0 : drop_ambiguous(&n, c);
    if (kept)
        err = jf_triage_router_build(n.pats, kept, &c->router);
    if (err) {
        if (!errbuf[0])
            snprintf(errbuf, errsz, "cannot build routing from department names: %s",
                     jf_errname(err));
        goto out;
    }
    if (n.overflow)
        jf_log_warn("triage.too_many_names", "kept=%zu", n.n);
    names_free(&n);
    n.pats = calloc(MAX_WORDS, sizeof *n.pats);
    n.texts = calloc(MAX_WORDS, sizeof *n.texts);
    n.ctx = c;
    if (!n.pats || !n.texts) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    err = jf_store_urgency_words(conn, add_word, &n, errbuf, errsz);
    kept = err ? 0 : drop_ambiguous(&n, c); /* all words name "urgent": duplicates only */
    if (kept)
        err = jf_triage_router_build(n.pats, kept, &c->urgency);
    if (err && !errbuf[0])
        snprintf(errbuf, errsz, "cannot build the urgency words: %s", jf_errname(err));
    if (!err)
        err = jf_store_categories(conn, add_category, c, errbuf, errsz);
out:
    names_free(&n);
    return err;
}

static jf_err build(const jf_config *cfg, PGconn *conn, jf_triage_ctx **out, char *errbuf,
                    size_t errsz)
{
    jf_err err = JF_ERR_NOMEM;
    jf_triage_ctx *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return err;
    atomic_store(&c->refs, 1);
    if (cfg->model_file) {
        err = jf_triage_model_load(cfg->model_file, &c->model, errbuf, errsz);
        if (err)
            goto fail;
    }
    if (cfg->rules_file) {
        err = jf_triage_rules_load(cfg->rules_file, &c->rules, errbuf, errsz);
        if (err)
            goto fail;
    }
    if (conn) {
        err = load_db(c, conn, errbuf, errsz);
        if (err)
            goto fail;
    }
    *out = c;
    return JF_ERR_OK;
fail:
    ctx_free(c);
    return err;
}

/* ---- refreshing -------------------------------------------------------------------- */

static bool file_changed(const char *path, struct timespec *seen)
{
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return false;
    bool changed = st.st_mtim.tv_sec != seen->tv_sec || st.st_mtim.tv_nsec != seen->tv_nsec;
    *seen = st.st_mtim;
    return changed;
}

static void swap_in(jf_triage_holder *h, jf_triage_ctx *c)
{
    pthread_mutex_lock(&h->lock);
    jf_triage_ctx *old = h->cur;
    h->cur = c;
    pthread_mutex_unlock(&h->lock);
    jf_gateway_triage_release(old);
}

static void log_ctx(const char *event, const jf_triage_ctx *c)
{
    jf_log_info(event, "model=%s rules=%zu departments=%zu", c->model ? "loaded" : "none",
                jf_triage_rules_count(c->rules), c->ndepts);
}

static void *refresher(void *arg)
{
    jf_triage_holder *h = arg;
    PGconn *conn = NULL;
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += h->cfg->triage_reload;
        pthread_mutex_lock(&h->lock);
        while (!h->stop && pthread_cond_timedwait(&h->wake, &h->lock, &until) == 0)
            ;
        bool stop = h->stop;
        pthread_mutex_unlock(&h->lock);
        if (stop)
            break;

        char msg[512] = "", fp[33] = "";
        if (conn && PQstatus(conn) != CONNECTION_OK) {
            PQfinish(conn);
            conn = NULL;
        }
        if (!conn && jf_store_connect(h->cfg->database_url, &conn, msg, sizeof msg))
            continue;
        bool changed = file_changed(h->cfg->model_file, &h->model_mtime);
        changed = file_changed(h->cfg->rules_file, &h->rules_mtime) || changed;
        if (jf_store_triage_fingerprint(conn, fp, msg, sizeof msg) == JF_ERR_OK &&
            strcmp(fp, h->fingerprint) != 0) {
            memcpy(h->fingerprint, fp, sizeof fp);
            changed = true;
        }
        if (!changed)
            continue;
        jf_triage_ctx *c = NULL;
        if (build(h->cfg, conn, &c, msg, sizeof msg)) {
            /* Keep serving with what we have; a half-written model or rules file is
             * refused by its checks and tried again next round. */
            jf_log_warn("triage.reload_failed", "error=\"%s\"", msg);
            memset(&h->model_mtime, 0, sizeof h->model_mtime);
            h->fingerprint[0] = '\0'; /* and the routing data, whatever failed */
            continue;
        }
        swap_in(h, c);
        log_ctx("triage.reloaded", c);
    }
    PQfinish(conn);
    return NULL;
}

jf_err jf_gateway_triage_start(const jf_config *cfg, jf_triage_holder **out, char *errbuf,
                               size_t errsz)
{
    PGconn *conn = NULL;
    char msg[256];
    jf_err err;
    *out = NULL;
    jf_triage_holder *h = calloc(1, sizeof *h);
    if (!h)
        return JF_ERR_NOMEM;
    h->cfg = cfg;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    file_changed(cfg->model_file, &h->model_mtime);
    file_changed(cfg->rules_file, &h->rules_mtime);
    if (jf_store_connect(cfg->database_url, &conn, msg, sizeof msg) == JF_ERR_OK &&
        jf_store_triage_fingerprint(conn, h->fingerprint, msg, sizeof msg) != JF_ERR_OK)
        h->fingerprint[0] = '\0';
    err = build(cfg, conn, &h->cur, errbuf, errsz);
    PQfinish(conn);
    if (err)
        goto fail;
    log_ctx("triage.loaded", h->cur);
    if (!h->cur->model)
        jf_log_warn("triage.no_model", "note=\"JIANFU_MODEL_FILE is not set: every complaint "
                                       "goes to the triage queue; run jianfu train\"");
    if (pthread_create(&h->thread, NULL, refresher, h) != 0) {
        err = JF_ERR_NOMEM;
        goto fail;
    }
    *out = h;
    return JF_ERR_OK;
fail:
    ctx_free(h->cur);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h);
    return err;
}

void jf_gateway_triage_stop(jf_triage_holder *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    jf_gateway_triage_release(h->cur);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* ---- deciding ------------------------------------------------------------------------ */

static const char *dept_code(const jf_triage_ctx *c, int64_t id)
{
    for (size_t i = 0; i < c->ndepts; i++)
        if (c->depts[i].id == id)
            return c->depts[i].code;
    return NULL;
}

/* Urgent complaints get half the time, rounded up, at least a day: a safety hazard or
 * withheld wages cannot wait the usual fifteen days. */
static int shorten(int days)
{
    int d = (days + 1) / 2;
    return d < 1 ? 1 : d;
}

jf_err jf_gateway_triage_decide(const jf_triage_ctx *c, const jf_config *cfg, const char *text,
                                size_t len, jf_triage_decision *d)
{
    jf_err err = JF_ERR_OK;
    size_t nlen = 0;
    char *norm = NULL;
    json_t *why = json_object();

    memset(d, 0, sizeof *d);
    jf_buf_init(&d->reason, 4096);
    d->confidence = -1;
    d->sla_ack = (int)cfg->sla_ack;
    d->sla_answer = (int)cfg->sla_answer;
    d->sla_resolve = (int)cfg->sla_resolve;
    if (!why)
        return JF_ERR_NOMEM;
    /* Names and urgency words are looked for in the whole text, not only in the prefix
     * the classifier reads: a long letter that ends "…他威胁我" is urgent too. The text
     * is bounded by intake's body limit. */
    jf_triage_route_result named = {0}, urgent = {0};
    norm = malloc(len + 1);
    if (!norm) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    if (jf_triage_normalize_names(text, len, norm, len + 1, &nlen))
        nlen = 0; /* not reached: the normal form is never longer than the text */
    jf_triage_route(c->router, norm, nlen, &named);
    jf_triage_route(c->urgency, norm, nlen, &urgent);

    if (!c->model) {
        json_object_set_new(why, "by", json_string("triage"));
        json_object_set_new(why, "why", json_string(JF_TRIAGE_WHY_NO_MODEL));
    } else {
        jf_triage_result res;
        err = jf_triage_classify(c->model, c->rules, text, len, cfg->triage_threshold, &res);
        if (err)
            goto out;
        d->category = jf_triage_category_code(res.category);
        d->confidence = res.confidence;
        if (c->cat[res.category].present) {
            d->sla_ack = c->cat[res.category].ack;
            d->sla_answer = c->cat[res.category].answer;
            d->sla_resolve = c->cat[res.category].resolve;
        }
        json_t *rules = json_array();
        for (size_t i = 0; i < res.matched && i < JF_TRIAGE_MAX_MATCHED; i++)
            json_array_append_new(rules, json_string(res.hits[i].pattern));
        json_object_set_new(why, "category", json_string(d->category));
        json_object_set_new(why, "confidence", json_real(res.confidence));
        if (json_array_size(rules))
            json_object_set_new(why, "rules", rules);
        else
            json_decref(rules);

        const char *reason = NULL;
        if (res.category == JF_CAT_OTHER) {
            reason = JF_TRIAGE_WHY_OTHER;
        } else if (res.below_threshold) {
            /* The threshold can change between restarts: record the one this complaint
             * fell below, so that its reason still reads true afterwards. */
            reason = JF_TRIAGE_WHY_BELOW;
            json_object_set_new(why, "threshold", json_real(cfg->triage_threshold));
        } else if (named.department) {
            d->department = named.department;
            json_object_set_new(why, "by", json_string("named"));
            json_object_set_new(why, "name", json_string(named.pattern));
        } else if (c->cat[res.category].dept) {
            d->department = c->cat[res.category].dept;
            json_object_set_new(why, "by", json_string("category"));
        } else {
            reason = JF_TRIAGE_WHY_NO_DEFAULT;
        }
        if (reason) {
            json_object_set_new(why, "by", json_string("triage"));
            json_object_set_new(why, "why", json_string(reason));
        }
    }
    if (d->department) {
        d->assigned = true;
        const char *code = dept_code(c, d->department);
        if (code)
            json_object_set_new(why, "department", json_string(code));
    } else if (named.department) {
        /* Shown to coordinators: the text names a department even if it was not routed. */
        json_object_set_new(why, "named", json_string(named.pattern));
    }
    if (urgent.matches) {
        d->urgent = true;
        d->sla_ack = shorten(d->sla_ack);
        d->sla_answer = shorten(d->sla_answer);
        d->sla_resolve = shorten(d->sla_resolve);
        json_object_set_new(why, "urgent", json_string(urgent.pattern));
    }
    char *s = json_dumps(why, JSON_COMPACT);
    if (!s) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    err = jf_buf_appends(&d->reason, s);
    free(s);
out:
    free(norm);
    json_decref(why);
    return err;
}

jf_err jf_gateway_triage_load_routing(PGconn *conn, jf_triage_ctx **out, char *errbuf,
                                      size_t errsz)
{
    jf_config none;
    memset(&none, 0, sizeof none);
    return build(&none, conn, out, errbuf, errsz);
}

const char *jf_gateway_triage_department(const jf_triage_ctx *c, int category, bool below,
                                         const char *text, size_t len)
{
    size_t nlen = 0;
    jf_triage_route_result named;
    if (category < 0 || category >= JF_CAT_COUNT || category == JF_CAT_OTHER || below)
        return NULL;
    char *norm =
        jf_gateway_triage_name_form(text, len, &nlen); /* NULL: nothing to find a name in */
    jf_triage_route(c->router, norm, norm ? nlen : 0, &named);
    free(norm);
    int64_t id = named.department ? named.department : c->cat[category].dept;
    return id ? dept_code(c, id) : NULL;
}
