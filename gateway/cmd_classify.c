/* cmd_classify.c - `jianfu classify` and `jianfu train`: the complaint classifier from the
 * command line.
 *
 *   jianfu classify [--model FILE] [--rules FILE] [--threshold P]
 *       one message per stdin line -> one JSON object per stdout line
 *   jianfu classify --eval FILE [--model FILE] [--rules FILE] [--threshold P]
 *       evaluate the saved model on a labelled TSV file
 *   jianfu classify --eval FILE --cv K [--kind auto|nb|lr|svm] [--rules FILE] [--threshold P]
 *       K-fold cross-validation over the TSV file (no saved model involved)
 *   jianfu train [--corpus FILE] [--rules FILE] [--out FILE] [--kind auto|nb|lr|svm]
 *       train on the corpus and write the model
 *
 * The model file is --model/--out, else $JIANFU_MODEL_FILE, else var/model.bin; the rules
 * file is --rules, else $JIANFU_RULES_FILE, else none; the threshold is --threshold, else
 * $JIANFU_TRIAGE_THRESHOLD, else 0.5, so that classify says what serve would do.
 *
 * `jianfu classify` with no model file fails and says to run `jianfu train`, rather than
 * training from the corpus in memory: the model that `train` writes also holds the
 * coordinators' corrections from the database, and `serve` classifies with that file; a
 * model trained on the fly from the source tree's corpus would silently disagree with
 * both, and the corpus is not part of an installation anyway.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/triage_ctx.h"
#include "store/triage_data.h"
#include "store/migrate.h"
#include "store/db.h"
#include "triage/classify.h"

#define DEFAULT_MODEL_FILE "var/model.bin"
#define DEFAULT_CORPUS_FILE "triage/data/corpus.tsv"
/* A stdin line longer than this is classified by its first LINE_MAX bytes (the classifier
 * reads only the first JF_TRIAGE_MAX_CHARS characters anyway); the rest is discarded. */
#define LINE_MAX_BYTES 65536
#define MAX_CV_FOLDS 100

typedef struct {
    const char *model, *rules, *eval, *corpus, *out;
    double threshold;
    unsigned cv;
    jf_triage_model_kind kind;
} cls_opts;

static int usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "jianfu %s: %s (see `jianfu --help`)\n", cmd, msg);
    return JF_EXIT_USAGE;
}

static const char *kind_name(jf_triage_model_kind k)
{
    return k == JF_TRIAGE_MODEL_NB    ? "naive Bayes"
           : k == JF_TRIAGE_MODEL_LR  ? "logistic regression"
           : k == JF_TRIAGE_MODEL_SVM ? "linear SVM"
                                      : "auto";
}

/* Whether name (without its "--") is one of the space-separated words of allowed. */
static bool allowed_opt(const char *allowed, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = allowed; *p;) {
        size_t w = strcspn(p, " ");
        if (w == n && memcmp(p, name, n) == 0)
            return true;
        p += w;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* Parse the options shared by classify and train; allowed lists the ones cmd accepts. */
static int parse_opts(const char *cmd, int argc, char **argv, const char *allowed, cls_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = JF_TRIAGE_DEFAULT_THRESHOLD;
    o->kind = JF_TRIAGE_MODEL_AUTO;
    bool threshold_given = false;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strncmp(opt, "--", 2) != 0 || !allowed_opt(allowed, opt + 2)) {
            fprintf(stderr, "jianfu %s: unknown option '%s' (see `jianfu --help`)\n", cmd, opt);
            return JF_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "jianfu %s: option %s needs a value\n", cmd, opt);
            return JF_EXIT_USAGE;
        }
        const char *val = argv[++i];
        if (strcmp(opt, "--model") == 0) {
            o->model = val;
        } else if (strcmp(opt, "--rules") == 0) {
            o->rules = val;
        } else if (strcmp(opt, "--eval") == 0) {
            o->eval = val;
        } else if (strcmp(opt, "--corpus") == 0) {
            o->corpus = val;
        } else if (strcmp(opt, "--out") == 0) {
            o->out = val;
        } else if (strcmp(opt, "--threshold") == 0) {
            if (jf_config_parse_fraction(val, &o->threshold))
                return usage_error(cmd, "--threshold must be a number from 0 to 1");
            threshold_given = true;
        } else if (strcmp(opt, "--cv") == 0) {
            unsigned k = 0;
            if (jf_config_parse_uint(val, 2, MAX_CV_FOLDS, &k))
                return usage_error(cmd, "--cv must be a whole number from 2 to 100");
            o->cv = k;
        } else if (strcmp(opt, "--kind") == 0) {
            if (strcmp(val, "auto") == 0)
                o->kind = JF_TRIAGE_MODEL_AUTO;
            else if (strcmp(val, "nb") == 0)
                o->kind = JF_TRIAGE_MODEL_NB;
            else if (strcmp(val, "lr") == 0)
                o->kind = JF_TRIAGE_MODEL_LR;
            else if (strcmp(val, "svm") == 0)
                o->kind = JF_TRIAGE_MODEL_SVM;
            else
                return usage_error(cmd, "--kind must be auto, nb, lr or svm");
        } else {
            fprintf(stderr, "jianfu %s: unknown option '%s' (see `jianfu --help`)\n", cmd, opt);
            return JF_EXIT_USAGE;
        }
    }
    if (!o->model)
        o->model = getenv("JIANFU_MODEL_FILE");
    if (!o->model || !*o->model)
        o->model = DEFAULT_MODEL_FILE;
    if (!o->rules) {
        const char *env = getenv("JIANFU_RULES_FILE");
        o->rules = env && *env ? env : NULL;
    }
    /* The threshold serve applies, unless the command line names another. */
    const char *th = getenv("JIANFU_TRIAGE_THRESHOLD");
    if (!threshold_given && th && *th && jf_config_parse_fraction(th, &o->threshold)) {
        fprintf(stderr, "jianfu %s: %s\n", cmd, JF_CONFIG_THRESHOLD_HINT);
        return JF_EXIT_USAGE;
    }
    return JF_EXIT_OK;
}

static int load_rules(const char *cmd, const cls_opts *o, jf_triage_rules **rules)
{
    char msg[512];
    *rules = NULL;
    if (!o->rules)
        return JF_EXIT_OK;
    if (jf_triage_rules_load(o->rules, rules, msg, sizeof msg)) {
        fprintf(stderr, "jianfu %s: rules: %s\n", cmd, msg);
        return JF_EXIT_FAIL;
    }
    return JF_EXIT_OK;
}

static int load_model(const char *cmd, const cls_opts *o, jf_triage_model **m)
{
    char msg[512];
    jf_err err = jf_triage_model_load(o->model, m, msg, sizeof msg);
    if (err == JF_ERR_IO) {
        fprintf(stderr,
                "jianfu %s: no classifier model at %s (%s): run `jianfu train` first, or set "
                "JIANFU_MODEL_FILE\n",
                cmd, o->model, msg);
        return JF_EXIT_FAIL;
    }
    if (err) {
        fprintf(stderr, "jianfu %s: %s\n", cmd, msg);
        return JF_EXIT_FAIL;
    }
    return JF_EXIT_OK;
}

/* One result as the JSON object of the design.md contract, plus matched rules, the top
 * categories and whether it goes to triage. department is where intake would route it
 * (the same rule, from the database's departments, aliases and category defaults), or
 * null: without JIANFU_DATABASE_URL there is nothing to route to. */
static json_t *result_json(const jf_triage_result *res, const char *department)
{
    json_t *o = json_object(), *matched = json_array(), *top = json_array();
    if (!o || !matched || !top)
        goto fail;
    size_t shown = res->matched < JF_TRIAGE_MAX_MATCHED ? res->matched : JF_TRIAGE_MAX_MATCHED;
    for (size_t i = 0; i < shown; i++)
        if (json_array_append_new(matched, json_string(res->hits[i].pattern)))
            goto fail;
    for (int i = 0; i < JF_TRIAGE_TOP; i++) {
        json_t *t =
            json_pack("{s:s, s:f}", "category", jf_triage_category_code(res->top[i].category),
                      "score", res->top[i].score);
        if (json_array_append_new(top, t))
            goto fail;
    }
    if (json_object_set_new(o, "category",
                            json_string(jf_triage_category_code(res->category))) ||
        json_object_set_new(o, "confidence", json_real(res->confidence)) ||
        json_object_set_new(o, "department",
                            department ? json_string(department) : json_null()) ||
        json_object_set_new(o, "triage", json_boolean(res->below_threshold)) ||
        json_object_set_new(o, "matched", matched) || json_object_set_new(o, "top", top))
        goto fail_owned;
    return o;
fail:
    json_decref(matched);
    json_decref(top);
fail_owned:
    json_decref(o);
    return NULL;
}

static int classify_stdin(const cls_opts *o, const jf_triage_model *m,
                          const jf_triage_rules *rules, const jf_triage_ctx *routing)
{
    int rc = JF_EXIT_FAIL;
    char *line = malloc(LINE_MAX_BYTES + 1);
    if (!line) {
        fprintf(stderr, "jianfu classify: out of memory\n");
        goto out;
    }
    while (fgets(line, LINE_MAX_BYTES + 1, stdin)) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\n') {
            line[--n] = '\0';
        } else if (!feof(stdin)) {
            int ch;
            while ((ch = getchar()) != EOF && ch != '\n')
                ; /* discard the rest of an over-long line */
        }
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        jf_triage_result res;
        json_t *j = NULL;
        char *s = NULL;
        if (jf_triage_classify(m, rules, line, n, o->threshold, &res) == JF_ERR_OK)
            j = result_json(&res,
                            routing ? jf_gateway_triage_department(routing, (int)res.category,
                                                                   res.below_threshold, line, n)
                                    : NULL);
        if (j)
            s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(j);
        if (!s) {
            fprintf(stderr, "jianfu classify: out of memory\n");
            goto out;
        }
        /* One object per line, flushed, so that a caller may drive this as a coprocess. */
        int w = printf("%s\n", s);
        free(s);
        if (w < 0 || fflush(stdout) != 0) {
            fprintf(stderr, "jianfu classify: cannot write to stdout\n");
            goto out;
        }
    }
    if (ferror(stdin)) {
        fprintf(stderr, "jianfu classify: cannot read stdin\n");
        goto out;
    }
    rc = JF_EXIT_OK;
out:
    free(line);
    return rc;
}

static void print_report(const jf_triage_report *r)
{
    printf("examples %zu  accuracy %.4f (%zu/%zu)  macro-F1 %.4f  log-loss %.4f  ECE %.4f\n\n",
           r->n, r->accuracy, r->correct, r->n, r->macro_f1, r->log_loss, r->ece);
    printf("%-12s %9s %7s %7s %8s\n", "category", "precision", "recall", "F1", "support");
    for (int c = 0; c < JF_CAT_COUNT; c++)
        printf("%-12s %9.3f %7.3f %7.3f %8zu\n", jf_triage_category_code((jf_triage_category)c),
               r->precision[c], r->recall[c], r->f1[c], r->support[c]);
    printf(
        "\nconfusion matrix (rows: true category, columns: predicted, in the order above)\n");
    printf("%-12s", "");
    for (int c = 0; c < JF_CAT_COUNT; c++)
        printf(" %4.4s", jf_triage_category_code((jf_triage_category)c));
    printf("\n");
    for (int g = 0; g < JF_CAT_COUNT; g++) {
        printf("%-12s", jf_triage_category_code((jf_triage_category)g));
        for (int c = 0; c < JF_CAT_COUNT; c++)
            printf(" %4zu", r->confusion[g][c]);
        printf("\n");
    }
    printf("\nreliability (is a confidence of p right p of the time?)\n");
    printf("%-11s %8s %10s %9s\n", "confidence", "messages", "mean conf", "accuracy");
    for (int b = 0; b < JF_TRIAGE_CALIB_BINS; b++) {
        if (!r->bin_n[b])
            continue;
        printf("%.1f-%.1f %10zu %10.3f %9.3f\n", (double)b / JF_TRIAGE_CALIB_BINS,
               (double)(b + 1) / JF_TRIAGE_CALIB_BINS, r->bin_n[b], r->bin_conf[b],
               (double)r->bin_correct[b] / (double)r->bin_n[b]);
    }
    if (r->mixed) {
        size_t single = r->n - r->mixed;
        printf("\nmixed (noted `mixed: A+B`, label A): %zu examples, label right %.4f (%zu), "
               "A or B predicted %.4f (%zu); the other %zu: accuracy %.4f\n",
               r->mixed, (double)r->mixed_correct / (double)r->mixed, r->mixed_correct,
               (double)r->mixed_either / (double)r->mixed, r->mixed_either, single,
               single ? (double)(r->correct - r->mixed_correct) / (double)single : 0.0);
    }
    size_t above = r->n - r->below;
    printf("\nthreshold %.2f: %zu of %zu (%.1f%%) to the triage queue; accuracy of the other "
           "%zu: %.4f\n",
           r->threshold, r->below, r->n, r->n ? 100.0 * (double)r->below / (double)r->n : 0.0,
           above, above ? (double)r->above_correct / (double)above : 0.0);
}

static void print_model(const char *what, const jf_triage_model *m)
{
    jf_triage_model_info info;
    jf_triage_model_describe(m, &info);
    printf("%s: %s (%s %g), temperature %.4g, other shift %.2f, %zu examples, %zu feature "
           "rows, %zu KiB\n",
           what, kind_name(info.kind), info.kind == JF_TRIAGE_MODEL_NB ? "alpha" : "lambda",
           info.kind == JF_TRIAGE_MODEL_NB ? info.alpha : info.lambda, info.temperature,
           info.other_shift, info.examples, info.rows, info.bytes / 1024);
}

static int load_examples(const char *cmd, const char *path, jf_triage_examples *set)
{
    char msg[512];
    jf_err err = jf_triage_examples_load_tsv(set, path, msg, sizeof msg);
    if (err) {
        fprintf(stderr, "jianfu %s: %s\n", cmd, msg);
        return err == JF_ERR_PARSE ? JF_EXIT_USAGE : JF_EXIT_FAIL;
    }
    if (set->n == 0) {
        fprintf(stderr, "jianfu %s: %s holds no examples\n", cmd, path);
        return JF_EXIT_USAGE;
    }
    return JF_EXIT_OK;
}

static int classify_eval(const cls_opts *o, const jf_triage_rules *rules)
{
    jf_triage_examples set;
    jf_triage_model *m = NULL;
    jf_triage_report rep;
    int rc;

    jf_triage_examples_init(&set);
    rc = load_examples("classify", o->eval, &set);
    if (rc)
        goto out;
    if (o->cv) {
        jf_triage_train_opts topts;
        jf_triage_train_opts_default(&topts);
        topts.kind = o->kind;
        topts.rules = rules;
        if (o->cv > set.n) {
            rc = usage_error("classify", "--cv is larger than the number of examples");
            goto out;
        }
        rc = JF_EXIT_FAIL;
        jf_err err =
            jf_triage_cross_validate(set.items, set.n, o->cv, &topts, o->threshold, &rep);
        if (err) {
            fprintf(stderr, "jianfu classify: cross-validation failed: %s\n", jf_strerror(err));
            goto out;
        }
        printf("%u-fold cross-validation over %s (%s model, %s)\n", o->cv, o->eval,
               kind_name(o->kind), rules ? o->rules : "no rules");
    } else {
        rc = load_model("classify", o, &m);
        if (rc)
            goto out;
        rc = JF_EXIT_FAIL;
        if (jf_triage_eval(m, rules, set.items, set.n, o->threshold, &rep)) {
            fprintf(stderr, "jianfu classify: evaluation failed\n");
            goto out;
        }
        printf("evaluation of %s on %s (%s)\n", o->model, o->eval,
               rules ? o->rules : "no rules");
        print_model("model", m);
    }
    print_report(&rep);
    rc = JF_EXIT_OK;
out:
    jf_triage_model_free(m);
    jf_triage_examples_free(&set);
    return rc;
}

int jf_cmd_classify(int argc, char **argv)
{
    cls_opts o;
    jf_triage_rules *rules = NULL;
    jf_triage_model *m = NULL;
    jf_triage_ctx *routing = NULL;
    int rc = parse_opts("classify", argc, argv, "model rules threshold eval cv kind", &o);
    if (rc)
        return rc;
    if (o.cv && !o.eval)
        return usage_error("classify", "--cv K needs --eval FILE, the examples to fold");
    rc = load_rules("classify", &o, &rules);
    if (rc)
        goto out;
    if (o.eval) {
        rc = classify_eval(&o, rules);
        goto out;
    }
    rc = load_model("classify", &o, &m);
    if (rc)
        goto out;
    const char *url = getenv("JIANFU_DATABASE_URL");
    if (url && *url) {
        PGconn *conn = NULL;
        char msg[512] = "";
        if (jf_store_connect(url, &conn, msg, sizeof msg) ||
            jf_store_schema_check(conn, msg, sizeof msg) ||
            jf_gateway_triage_load_routing(conn, &routing, msg, sizeof msg)) {
            fprintf(stderr, "jianfu classify: cannot load routing from the database: %s\n",
                    msg);
            PQfinish(conn);
            rc = JF_EXIT_FAIL;
            goto out;
        }
        PQfinish(conn);
    }
    rc = classify_stdin(&o, m, rules, routing);
out:
    jf_gateway_triage_release(routing);
    jf_triage_model_free(m);
    jf_triage_rules_free(rules);
    return rc;
}

/* Coordinators' corrections (issue 4, item 6) join the shipped corpus here: each
 * corrected complaint's redacted text with the category a coordinator gave it (the latest
 * correction of each), so a correction changes the next classification after `jianfu
 * train`. Without JIANFU_DATABASE_URL there are none to add, and the model is trained on
 * the corpus alone (said in the summary line). */
typedef struct {
    jf_triage_examples *set;
    jf_err err;
} corrections_ctx;

static int add_correction(const char *category, const char *text, void *arg)
{
    corrections_ctx *c = arg;
    jf_triage_category cat;
    if (jf_triage_category_parse(category, strlen(category), &cat) != JF_ERR_OK || !*text)
        return 0;
    /* Intake takes longer texts than a training example may hold. The classifier reads
     * only the first JF_TRIAGE_MAX_CHARS characters anyway, so a long complaint is cut,
     * on a character boundary, rather than refused: refusing would make every later
     * `jianfu train` fail, and corrections are never deleted. */
    size_t len = strlen(text);
    if (len > JF_TRIAGE_MAX_TEXT) {
        len = JF_TRIAGE_MAX_TEXT;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    c->err = jf_triage_examples_add(c->set, cat, text, len);
    return c->err != JF_ERR_OK;
}

static int add_corrections(jf_triage_examples *set)
{
    const char *url = getenv("JIANFU_DATABASE_URL");
    PGconn *conn = NULL;
    char msg[512] = "";
    corrections_ctx c = {set, JF_ERR_OK};
    int rc = JF_EXIT_OK;

    if (!url || !*url)
        return JF_EXIT_OK;
    if (jf_store_connect(url, &conn, msg, sizeof msg) ||
        jf_store_schema_check(conn, msg, sizeof msg) ||
        jf_store_corrections_examples(conn, add_correction, &c, msg, sizeof msg)) {
        fprintf(stderr, "jianfu train: cannot read corrections: %s\n", msg);
        rc = JF_EXIT_FAIL;
    } else if (c.err) {
        fprintf(stderr, "jianfu train: cannot add a correction: %s\n", jf_strerror(c.err));
        rc = JF_EXIT_FAIL;
    }
    PQfinish(conn);
    return rc;
}

int jf_cmd_train(int argc, char **argv)
{
    cls_opts o;
    jf_triage_rules *rules = NULL;
    jf_triage_model *m = NULL;
    jf_triage_examples set;
    jf_triage_train_opts topts;
    char msg[512];

    jf_triage_examples_init(&set);
    int rc = parse_opts("train", argc, argv, "corpus rules out kind", &o);
    if (rc)
        return rc;
    if (o.out)
        o.model = o.out;
    if (!o.corpus)
        o.corpus = DEFAULT_CORPUS_FILE;
    rc = load_rules("train", &o, &rules);
    if (rc)
        goto out;
    rc = load_examples("train", o.corpus, &set);
    if (rc)
        goto out;
    size_t shipped = set.n;
    rc = add_corrections(&set);
    if (rc)
        goto out;
    jf_triage_train_opts_default(&topts);
    topts.kind = o.kind;
    topts.rules = rules;
    rc = JF_EXIT_FAIL;
    jf_err err = jf_triage_model_train(set.items, set.n, &topts, &m);
    if (err) {
        fprintf(stderr, "jianfu train: training failed: %s\n", jf_strerror(err));
        goto out;
    }
    if (jf_triage_model_save(m, o.model, msg, sizeof msg)) {
        fprintf(stderr, "jianfu train: %s (does the directory exist?)\n", msg);
        goto out;
    }
    jf_triage_model_info info;
    jf_triage_model_describe(m, &info);
    printf("trained on %zu examples (%zu from %s, %zu corrections)%s%s\n", set.n, shipped,
           o.corpus, set.n - shipped, rules ? ", temperature fitted with rules " : "",
           rules ? o.rules : "");
    print_model("model", m);
    printf("internal %u-fold cross-validation of the chosen model: accuracy %.4f, log-loss "
           "%.4f\nwrote %s\n",
           5u, info.cv_accuracy, info.cv_log_loss, o.model);
    rc = JF_EXIT_OK;
out:
    jf_triage_model_free(m);
    jf_triage_rules_free(rules);
    jf_triage_examples_free(&set);
    return rc;
}
