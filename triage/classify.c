/* classify.c - character n-gram features, naive Bayes, logistic regression and linear
 * SVMs, the temperature that calibrates their confidence, and evaluation (see
 * classify.h). */
#include "triage/classify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/classify_internal.h"
#include "triage/normalize.h"
#include "triage/textfile.h"

#define NCAT JF_CAT_COUNT

/* Normalised text never exceeds 4 bytes per kept character; a bit more than
 * JF_TRIAGE_MAX_CHARS characters' worth is normalised so that a message is cut by
 * character count, not by bytes. */
#define NORM_BUF (JF_TRIAGE_MAX_CHARS * 4 + 1)
/* Unigrams and bigrams: at most two features per character. Trigrams were dropped once
 * the corpus had grown to 3 800 lines: 10-fold cross-validation gave them 0.6 points less
 * accuracy than bigrams alone, with a model half again as large. */
#define MAX_FEATURES (JF_TRIAGE_MAX_CHARS * 2)
#define MAX_NGRAM 2

#define DEFAULT_FOLDS 5
#define DEFAULT_EPOCHS 30
#define DEFAULT_SEED 0x6a69616e6675ULL /* "jianfu" */

/* The grids searched when the options leave alpha or lambda at 0. The NB grid spans light
 * to Laplace smoothing; the LR grid spans penalties from barely any to strong, for
 * unit-length binary features and a few hundred to a few thousand examples. */
static const double nb_alpha_grid[] = {0.01, 0.03, 0.1, 0.3, 1.0};
static const double lr_lambda_grid[] = {1e-6, 1e-5, 1e-4, 1e-3};
/* The SVM's penalty on the same scale as LR's (the mean loss per example plus lambda/2
 * |w|^2, i.e. C = 1 / (lambda * examples)): about C = 0.4 to 4 on the shipped corpus. */
static const double svm_lambda_grid[] = {5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3};

/* ---- hashing and features -------------------------------------------------------------- */

uint32_t jf_triage_hash32(const void *p, size_t n, uint32_t seed)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    /* murmur3 fmix32: FNV-1a alone leaves its low bits, which pick the bucket, poorly
     * mixed for short keys that differ in their last byte. */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sort a ascending: Shell sort with Ciura's gaps, inline. A message has a few dozen to a
 * few hundred features, and qsort's comparison calls were a third of classification time. */
static void sort_u32(uint32_t *a, size_t n)
{
    static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        size_t gap = gaps[g];
        for (size_t i = gap; i < n; i++) {
            uint32_t v = a[i];
            size_t j = i;
            for (; j >= gap && a[j - gap] > v; j -= gap)
                a[j] = a[j - gap];
            a[j] = v;
        }
    }
}

/* Extract the distinct feature buckets of normalised text (len bytes) into out
 * (MAX_FEATURES entries), ascending; returns how many. The n-grams run over the whole
 * text, punctuation marks and separating spaces included, so "开会，拍照" yields "会," and
 * ",拍" (clause boundaries carry some signal, and cross-validation on the corpus preferred
 * this by about a point to n-grams within clauses); a mark alone is a feature, the space
 * alone is not. Each
 * n-gram is hashed over its UTF-8 bytes with its order as the seed, so that n-grams of
 * different orders never share a hash by construction. */
static size_t extract_buckets(const char *norm, size_t len, unsigned bits, uint32_t *out)
{
    uint32_t off[JF_TRIAGE_MAX_CHARS + 1];
    size_t nchars = 0, nf = 0, i = 0;
    uint32_t mask = (1u << bits) - 1;

    while (i < len && nchars < JF_TRIAGE_MAX_CHARS) {
        uint32_t cp;
        size_t n = jf_triage_utf8_next((const unsigned char *)norm + i, len - i, &cp);
        if (n == 0)
            n = 1; /* cannot happen on normalised text; stay safe */
        off[nchars++] = (uint32_t)i;
        i += n;
    }
    off[nchars] = (uint32_t)i;
    for (size_t a = 0; a < nchars; a++) {
        for (size_t k = 1; k <= MAX_NGRAM && a + k <= nchars; k++) {
            if (k == 1 && norm[off[a]] == ' ')
                continue;
            uint32_t h = jf_triage_hash32(norm + off[a], off[a + k] - off[a], (uint32_t)k);
            out[nf++] = h & mask;
        }
    }
    if (nf > 1) {
        sort_u32(out, nf);
        size_t u = 1;
        for (size_t k = 1; k < nf; k++) {
            if (out[k] != out[u - 1])
                out[u++] = out[k];
        }
        nf = u;
    }
    return nf;
}

/* ---- probabilities and temperature ------------------------------------------------------- */

/* p = softmax(beta * s + adj); returns ln p[gold] when gold is a category (else 0). */
static double softmax(const double s[NCAT], const double adj[NCAT], double beta, double p[NCAT],
                      int gold)
{
    double z[NCAT], mx = -INFINITY, sum = 0.0;
    for (int c = 0; c < NCAT; c++) {
        z[c] = beta * s[c] + (adj ? adj[c] : 0.0);
        if (z[c] > mx)
            mx = z[c];
    }
    for (int c = 0; c < NCAT; c++) {
        p[c] = exp(z[c] - mx);
        sum += p[c];
    }
    for (int c = 0; c < NCAT; c++)
        p[c] /= sum;
    return gold >= 0 ? (z[gold] - mx) - log(sum) : 0.0;
}

static double mean_nll(const double *s, const double *adj, const int *gold, size_t n,
                       double beta)
{
    double p[NCAT], sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum -= softmax(s + i * NCAT, adj ? adj + i * NCAT : NULL, beta, p, gold[i]);
    return n ? sum / (double)n : 0.0;
}

/* The temperature T = 1/beta minimising the mean log-loss of softmax(s/T + adj) over n
 * held-out scores. The loss is convex in beta (a log-sum-exp of functions affine in
 * beta), so it is unimodal in ln beta too, and a golden-section search over ln beta finds
 * the minimum to well within what matters. beta is capped at 10 (T >= 0.1): on data the
 * model separates perfectly the loss keeps falling as T -> 0, and an unbounded T would
 * make every confidence 1 and no keyword rule able to overrule the model. On the corpus
 * T is about 0.18 for the SVMs (whose scores span about -2 to 2), 0.3-0.5 for logistic
 * regression and 3 for naive Bayes, clear of the cap. */
static double fit_temperature(const double *s, const double *adj, const int *gold, size_t n,
                              double *nll_out)
{
    const double g = 0.6180339887498949;
    double lo = log(1.0 / JF_TRIAGE_TEMPERATURE_MAX), hi = log(1.0 / JF_TRIAGE_TEMPERATURE_MIN);
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = mean_nll(s, adj, gold, n, exp(a)), fb = mean_nll(s, adj, gold, n, exp(b));

    for (int it = 0; it < 80; it++) {
        if (fa < fb) {
            hi = b;
            b = a;
            fb = fa;
            a = hi - g * (hi - lo);
            fa = mean_nll(s, adj, gold, n, exp(a));
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + g * (hi - lo);
            fb = mean_nll(s, adj, gold, n, exp(b));
        }
    }
    double beta = exp((lo + hi) / 2);
    if (nll_out)
        *nll_out = mean_nll(s, adj, gold, n, beta);
    return 1.0 / beta;
}

/* ---- training data -------------------------------------------------------------------- */

void jf_triage_examples_init(jf_triage_examples *s)
{
    s->items = NULL;
    s->n = s->cap = 0;
}

void jf_triage_examples_free(jf_triage_examples *s)
{
    for (size_t i = 0; i < s->n; i++)
        free((char *)s->items[i].text);
    free(s->items);
    jf_triage_examples_init(s);
}

jf_err jf_triage_examples_add(jf_triage_examples *s, jf_triage_category label, const char *text,
                              size_t len)
{
    jf_err err = JF_ERR_INVAL;
    char *copy = NULL;

    if ((unsigned)label >= NCAT || !text || len == 0)
        goto out;
    err = JF_ERR_TOOBIG;
    if (len > JF_TRIAGE_MAX_TEXT || s->n >= JF_TRIAGE_MAX_EXAMPLES)
        goto out;
    err = JF_ERR_NOMEM;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        jf_triage_example *ni = realloc(s->items, ncap * sizeof *ni);
        if (!ni)
            goto out;
        s->items = ni;
        s->cap = ncap;
    }
    copy = malloc(len + 1);
    if (!copy)
        goto out;
    memcpy(copy, text, len);
    copy[len] = '\0';
    s->items[s->n] = (jf_triage_example){.label = label, .text = copy};
    s->n++;
    err = JF_ERR_OK;
out:
    return err;
}

/* If the note (len bytes) holds "mixed: A+B" with A the example's label and B another
 * category, make B the example's second category. Anything else is left alone: notes are
 * free text, and a malformed marker only costs the soft target. */
static void note_second_category(jf_triage_example *ex, const char *note, size_t len)
{
    static const char marker[] = "mixed: ";
    const size_t mlen = sizeof marker - 1;
    for (size_t i = 0; i + mlen <= len; i++) {
        if (memcmp(note + i, marker, mlen) != 0)
            continue;
        const char *a = note + i + mlen, *end = note + len;
        const char *plus = memchr(a, '+', (size_t)(end - a));
        if (!plus)
            return;
        const char *b = plus + 1, *e = b;
        while (e < end && ((*e >= 'a' && *e <= 'z') || *e == '_'))
            e++;
        jf_triage_category ca, cb;
        if (jf_triage_category_parse(a, (size_t)(plus - a), &ca) == JF_ERR_OK &&
            jf_triage_category_parse(b, (size_t)(e - b), &cb) == JF_ERR_OK && ca == ex->label &&
            cb != ca) {
            ex->has_also = true;
            ex->also = cb;
        }
        return;
    }
}

jf_err jf_triage_examples_load_tsv(jf_triage_examples *s, const char *path, char *errbuf,
                                   size_t errsz)
{
    char *data = NULL;
    size_t len = 0, pos = 0, line = 0, before = s->n;
    jf_err err;

    err = jf_triage_read_file(path, JF_TRIAGE_MAX_CORPUS_FILE, &data, &len, errbuf, errsz);
    if (err)
        goto out;
    while (pos < len) {
        const char *l = data + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n > 0 && l[n - 1] == '\r')
            n--;
        if (n == 0 || l[0] == '#')
            continue;
        const char *tab = memchr(l, '\t', n);
        err = JF_ERR_PARSE;
        if (!tab) {
            if (errsz)
                snprintf(errbuf, errsz, "%s:%zu: expected label<TAB>text", path, line);
            goto out;
        }
        size_t llen = (size_t)(tab - l);
        if (line == 1 && llen == 5 && memcmp(l, "label", 5) == 0)
            continue;
        jf_triage_category cat;
        if (jf_triage_category_parse(l, llen, &cat)) {
            if (errsz)
                snprintf(errbuf, errsz, "%s:%zu: unknown category '%.*s'", path, line,
                         (int)(llen > 32 ? 32 : llen), l);
            goto out;
        }
        const char *t = tab + 1;
        const char *tab2 = memchr(t, '\t', n - llen - 1);
        size_t tlen = tab2 ? (size_t)(tab2 - t) : n - llen - 1;
        if (tlen == 0) {
            if (errsz)
                snprintf(errbuf, errsz, "%s:%zu: empty text", path, line);
            goto out;
        }
        err = jf_triage_examples_add(s, cat, t, tlen);
        if (err) {
            if (errsz)
                snprintf(errbuf, errsz, "%s:%zu: %s", path, line, jf_strerror(err));
            goto out;
        }
        if (tab2)
            note_second_category(&s->items[s->n - 1], tab2 + 1, (size_t)(l + n - tab2 - 1));
    }
    err = JF_ERR_OK;
out:
    if (err) {
        for (size_t i = before; i < s->n; i++)
            free((char *)s->items[i].text);
        s->n = before;
    }
    free(data);
    return err;
}

/* ---- the training set in feature space ----------------------------------------------------
 */

/* All examples' distinct buckets, renumbered densely as "training rows" 0..nrows-1 so that
 * every fit (on any subset of the examples) can use flat arrays. */
typedef struct {
    size_t n;
    int *label;
    int *also;     /* second category of a mixed example, else -1 */
    size_t *start; /* example i's rows are rows[start[i] .. start[i+1]) */
    uint32_t *rows;
    size_t nrows;
    uint32_t *bucket_of_row;
    double *adj; /* n * NCAT rule adjustments (NULL without rules) */
} dataset;

static void dataset_free(dataset *d)
{
    free(d->label);
    free(d->also);
    free(d->start);
    free(d->rows);
    free(d->bucket_of_row);
    free(d->adj);
    memset(d, 0, sizeof *d);
}

/* The form keyword rules match in (rules.h), of the part of text that is classified, into
 * norm (NORM_BUF bytes): the features' buffer, reused once the features are taken. */
static jf_err keyword_form(const char *text, size_t len, char *norm, size_t *nlen)
{
    jf_err err = jf_triage_normalize_keywords(text, len, norm, NORM_BUF, nlen);
    return err == JF_ERR_TOOBIG ? JF_ERR_OK : err;
}

static jf_err dataset_build(dataset *d, const jf_triage_example *ex, size_t n, unsigned bits,
                            const jf_triage_rules *rules)
{
    jf_err err = JF_ERR_NOMEM;
    uint32_t *row_of = NULL, *feats = NULL;
    char *norm = NULL;
    size_t cap = 0, used = 0, rcap = 0;

    memset(d, 0, sizeof *d);
    d->n = n;
    d->label = malloc(n * sizeof *d->label);
    d->also = malloc(n * sizeof *d->also);
    d->start = malloc((n + 1) * sizeof *d->start);
    row_of = calloc((size_t)1 << bits, sizeof *row_of);
    feats = malloc(MAX_FEATURES * sizeof *feats);
    norm = malloc(NORM_BUF);
    if (rules)
        d->adj = calloc(n * NCAT, sizeof *d->adj);
    if (!d->label || !d->also || !d->start || !row_of || !feats || !norm || (rules && !d->adj))
        goto out;
    for (size_t i = 0; i < n; i++) {
        size_t nlen = 0, tlen = strlen(ex[i].text);
        /* TOOBIG only means the text was cut to what is classified. */
        jf_err nerr = jf_triage_normalize(ex[i].text, tlen, norm, NORM_BUF, &nlen);
        if (nerr && nerr != JF_ERR_TOOBIG) {
            err = nerr;
            goto out;
        }
        size_t nf = extract_buckets(norm, nlen, bits, feats);
        if (rules && keyword_form(ex[i].text, tlen, norm, &nlen) == JF_ERR_OK)
            (void)jf_triage_rules_apply(rules, norm, nlen, d->adj + i * NCAT, NULL, 0);
        d->label[i] = (int)ex[i].label;
        d->also[i] = ex[i].has_also && ex[i].also != ex[i].label && (unsigned)ex[i].also < NCAT
                         ? (int)ex[i].also
                         : -1;
        d->start[i] = used;
        if (used + nf > cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            while (ncap < used + nf)
                ncap *= 2;
            uint32_t *nr = realloc(d->rows, ncap * sizeof *nr);
            if (!nr)
                goto out;
            d->rows = nr;
            cap = ncap;
        }
        for (size_t k = 0; k < nf; k++) {
            uint32_t b = feats[k];
            if (!row_of[b]) {
                if (d->nrows == rcap) {
                    size_t ncap = rcap ? rcap * 2 : 4096;
                    uint32_t *nb = realloc(d->bucket_of_row, ncap * sizeof *nb);
                    if (!nb)
                        goto out;
                    d->bucket_of_row = nb;
                    rcap = ncap;
                }
                d->bucket_of_row[d->nrows++] = b;
                row_of[b] = (uint32_t)d->nrows;
            }
            d->rows[used++] = row_of[b] - 1;
        }
    }
    d->start[n] = used;
    err = JF_ERR_OK;
out:
    free(row_of);
    free(feats);
    free(norm);
    if (err)
        dataset_free(d);
    return err;
}

/* ---- fitting ------------------------------------------------------------------------------
 */

/* Example i's target distribution: all on its label, or JF_TRIAGE_ALSO_WEIGHT of it on
 * its second category when it has one. */
static void target_of(const dataset *d, size_t i, double t[NCAT])
{
    memset(t, 0, NCAT * sizeof t[0]);
    if (d->also[i] >= 0) {
        t[d->label[i]] = 1.0 - JF_TRIAGE_ALSO_WEIGHT;
        t[d->also[i]] = JF_TRIAGE_ALSO_WEIGHT;
    } else {
        t[d->label[i]] = 1.0;
    }
}

/* A fitted model in training-row space. idf[r] is 0 for the rows absent from the fitted
 * subset, which do not score (as features unknown to a saved model do not). */
typedef struct {
    jf_triage_model_kind kind;
    double param; /* alpha or lambda */
    double bias[NCAT];
    double *w;  /* nrows * NCAT */
    float *idf; /* nrows */
} fit;

static void fit_free(fit *f)
{
    free(f->w);
    free(f->idf);
    f->w = NULL;
    f->idf = NULL;
}

/* The feature values of one message, given the idf of each of its n known features: naive
 * Bayes counts presence (1 each), logistic regression sees the idf-weighted binary vector
 * scaled to unit length (TF-IDF with binary term frequency), so that rare n-grams weigh
 * more than ubiquitous ones and long and short messages train at the same rate.
 * Cross-validation on the corpus put this about two points above unweighted binary
 * features for logistic regression; naive Bayes does not gain from it. */
static double idf_norm(jf_triage_model_kind kind, const float *idf, size_t n)
{
    double sum = 0.0;
    if (kind == JF_TRIAGE_MODEL_NB)
        return 1.0;
    for (size_t k = 0; k < n; k++)
        sum += (double)idf[k] * idf[k];
    return sum > 0 ? 1.0 / sqrt(sum) : 0.0;
}

static double feature_value(jf_triage_model_kind kind, float idf, double inv_norm)
{
    return kind != JF_TRIAGE_MODEL_NB ? idf * inv_norm : 1.0;
}

/* The known rows of example i and their idf, into rows/idf (MAX_FEATURES); returns n. */
static size_t known_rows(const fit *f, const dataset *d, size_t i, uint32_t *rows, float *idf)
{
    size_t n = 0;
    for (size_t k = d->start[i]; k < d->start[i + 1]; k++) {
        uint32_t r = d->rows[k];
        if (f->idf[r] > 0) {
            rows[n] = r;
            idf[n++] = f->idf[r];
        }
    }
    return n;
}

static void fit_score(const fit *f, const dataset *d, size_t i, double s[NCAT])
{
    uint32_t rows[MAX_FEATURES];
    float idf[MAX_FEATURES];
    size_t n = known_rows(f, d, i, rows, idf);
    double inv = idf_norm(f->kind, idf, n);
    memcpy(s, f->bias, sizeof f->bias);
    for (size_t k = 0; k < n; k++) {
        const double *w = f->w + (size_t)rows[k] * NCAT;
        double v = feature_value(f->kind, idf[k], inv);
        for (int c = 0; c < NCAT; c++)
            s[c] += v * w[c];
    }
}

/* Document frequencies over the subset, as smoothed idf = ln((1 + m) / (1 + df)) + 1 (the
 * usual smoothing, which keeps every idf >= 1 and so > 0 for every row present). */
static jf_err fit_idf(fit *f, const dataset *d, const size_t *idx, size_t m)
{
    uint32_t *df = calloc(d->nrows ? d->nrows : 1, sizeof *df);
    f->idf = calloc(d->nrows ? d->nrows : 1, sizeof *f->idf);
    if (!df || !f->idf) {
        free(df);
        return JF_ERR_NOMEM;
    }
    for (size_t j = 0; j < m; j++)
        for (size_t k = d->start[idx[j]]; k < d->start[idx[j] + 1]; k++)
            df[d->rows[k]]++;
    for (size_t r = 0; r < d->nrows; r++)
        if (df[r])
            f->idf[r] = (float)(log((1.0 + (double)m) / (1.0 + df[r])) + 1.0);
    free(df);
    return JF_ERR_OK;
}

/* Multinomial naive Bayes with Lidstone smoothing alpha over binary features:
 * W[r][c] = ln((count(r,c) + alpha) / (total_c + alpha * V)), V the distinct features of
 * the subset; priors smoothed by one example per category so that a category absent from
 * the subset keeps a finite score. A mixed example counts towards each of its categories
 * in proportion to its target (target_of). */
static jf_err fit_nb(fit *f, const dataset *d, const size_t *idx, size_t m, double alpha)
{
    double total[NCAT] = {0}, count[NCAT] = {0};
    size_t vocab = 0;

    f->kind = JF_TRIAGE_MODEL_NB;
    f->param = alpha;
    f->w = calloc((d->nrows ? d->nrows : 1) * NCAT, sizeof *f->w);
    if (!f->w || fit_idf(f, d, idx, m)) {
        fit_free(f);
        return JF_ERR_NOMEM;
    }
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        double t[NCAT];
        target_of(d, i, t);
        for (int c = 0; c < NCAT; c++) {
            if (t[c] == 0.0)
                continue;
            count[c] += t[c];
            for (size_t k = d->start[i]; k < d->start[i + 1]; k++) {
                f->w[(size_t)d->rows[k] * NCAT + c] += t[c];
                total[c] += t[c];
            }
        }
    }
    for (size_t r = 0; r < d->nrows; r++)
        vocab += f->idf[r] > 0;
    double denom[NCAT];
    for (int c = 0; c < NCAT; c++) {
        denom[c] = log(total[c] + alpha * (double)vocab);
        f->bias[c] = log((count[c] + 1.0) / ((double)m + NCAT));
    }
    for (size_t r = 0; r < d->nrows; r++) {
        if (!(f->idf[r] > 0))
            continue;
        double *w = f->w + r * NCAT;
        for (int c = 0; c < NCAT; c++)
            w[c] = log(w[c] + alpha) - denom[c];
    }
    return JF_ERR_OK;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void shuffle(size_t *a, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix64(state) % i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Softmax logistic regression with an L2 penalty lambda on the weights (not the
 * biases), cross-entropy against each example's target (target_of), by plain SGD in the style
 * of Bottou's sgd: the step size decays as eta0 / (1 + lambda * eta0 * t), and the penalty's
 * shrinking of every weight at every step is carried by one scale factor instead of touching
 * all weights, so a step costs only the example's features. The order of examples is reshuffled
 * each epoch from the seed, so the fit is deterministic. */
/* The feature values of the m examples idx, parallel to d->rows: every feature of a
 * training example is known to the fit, so its TF-IDF values scaled to unit length
 * (feature_value) are fixed, and are computed once. f->idf must be fitted. */
static void unit_values(const fit *f, const dataset *d, const size_t *idx, size_t m,
                        double *val)
{
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        double sum = 0.0;
        for (size_t k = d->start[i]; k < d->start[i + 1]; k++)
            sum += (double)f->idf[d->rows[k]] * f->idf[d->rows[k]];
        double inv = sum > 0 ? 1.0 / sqrt(sum) : 0.0;
        for (size_t k = d->start[i]; k < d->start[i + 1]; k++)
            val[k] = f->idf[d->rows[k]] * inv;
    }
}

static jf_err fit_lr(fit *f, const dataset *d, const size_t *idx, size_t m, double lambda,
                     unsigned epochs, uint64_t seed)
{
    const double eta0 = 0.5;
    size_t *order = NULL;
    double *val = NULL;
    double scale = 1.0, t = 0.0;
    uint64_t state = seed;
    jf_err err = JF_ERR_NOMEM;

    f->kind = JF_TRIAGE_MODEL_LR;
    f->param = lambda;
    memset(f->bias, 0, sizeof f->bias);
    f->w = calloc((d->nrows ? d->nrows : 1) * NCAT, sizeof *f->w);
    order = malloc((m ? m : 1) * sizeof *order);
    /* Every feature of a training example is known to the fit, so its values are fixed:
     * compute them once, parallel to d->rows. */
    val = calloc(d->start[d->n] ? d->start[d->n] : 1, sizeof *val);
    if (!f->w || !order || !val || fit_idf(f, d, idx, m))
        goto out;
    memcpy(order, idx, m * sizeof *order);
    unit_values(f, d, idx, m, val);

    for (unsigned e = 0; e < epochs; e++) {
        shuffle(order, m, &state);
        for (size_t j = 0; j < m; j++) {
            size_t i = order[j];
            double z[NCAT], p[NCAT], g[NCAT];
            double eta = eta0 / (1.0 + lambda * eta0 * t);

            memcpy(z, f->bias, sizeof z);
            for (size_t k = d->start[i]; k < d->start[i + 1]; k++) {
                const double *w = f->w + (size_t)d->rows[k] * NCAT;
                for (int c = 0; c < NCAT; c++)
                    z[c] += scale * val[k] * w[c];
            }
            (void)softmax(z, NULL, 1.0, p, -1);
            target_of(d, i, g);
            for (int c = 0; c < NCAT; c++)
                g[c] = p[c] - g[c];

            scale *= 1.0 - eta * lambda;
            if (scale < 1e-9) {
                for (size_t r = 0; r < d->nrows * NCAT; r++)
                    f->w[r] *= scale;
                scale = 1.0;
            }
            for (size_t k = d->start[i]; k < d->start[i + 1]; k++) {
                double *w = f->w + (size_t)d->rows[k] * NCAT;
                for (int c = 0; c < NCAT; c++)
                    w[c] -= eta * g[c] * val[k] / scale;
            }
            for (int c = 0; c < NCAT; c++)
                f->bias[c] -= eta * g[c];
            t += 1.0;
        }
    }
    for (size_t r = 0; r < d->nrows * NCAT; r++)
        f->w[r] *= scale;
    err = JF_ERR_OK;
out:
    free(order);
    free(val);
    if (err)
        fit_free(f);
    return err;
}

/* Linear SVMs, one per category against the rest, with the squared hinge loss, over the
 * same unit-length TF-IDF features as LR and a bias feature of value 1 (penalised like the
 * others), trained together by dual coordinate descent (Hsieh et al., "A dual coordinate
 * descent method for large-scale linear SVM", ICML 2008, the method of liblinear): each
 * step optimises one instance's dual variable for every category in closed form and moves
 * the weights by the change, until the projected gradients span less than SVM_TOLERANCE
 * or SVM_MAX_EPOCHS passes, in an order reshuffled each pass from the seed. An instance
 * weighs C = 1 / (lambda * m) in the loss, so lambda means what it means for LR. Every
 * example is an instance of its label; a mixed one (A+B) is an instance of A of weight
 * 1 - JF_TRIAGE_ALSO_WEIGHT and of B of weight JF_TRIAGE_ALSO_WEIGHT, as LR's soft targets
 * split it (cross-validation put this about 0.3 points above ignoring B). */
#define SVM_TOLERANCE 0.1
#define SVM_MAX_EPOCHS 200

static jf_err fit_svm(fit *f, const dataset *d, const size_t *idx, size_t m, double lambda,
                      uint64_t seed)
{
    size_t *order = NULL, ninst = 0;
    double *val = NULL, *alpha = NULL;
    uint64_t state = seed;
    jf_err err = JF_ERR_NOMEM;
    const double diag = 0.5 * lambda * (double)(m ? m : 1); /* 1 / (2C) */

    f->kind = JF_TRIAGE_MODEL_SVM;
    f->param = lambda;
    memset(f->bias, 0, sizeof f->bias);
    f->w = calloc((d->nrows ? d->nrows : 1) * NCAT, sizeof *f->w);
    /* Instance 2j is example idx[j] as its label; 2j+1, as its second category if any. */
    order = malloc((m ? 2 * m : 1) * sizeof *order);
    val = calloc(d->start[d->n] ? d->start[d->n] : 1, sizeof *val);
    alpha = calloc((m ? 2 * m : 1) * NCAT, sizeof *alpha);
    if (!f->w || !order || !val || !alpha || fit_idf(f, d, idx, m))
        goto out;
    for (size_t j = 0; j < m; j++) {
        order[ninst++] = 2 * j;
        if (d->also[idx[j]] >= 0)
            order[ninst++] = 2 * j + 1;
    }
    unit_values(f, d, idx, m, val);

    for (unsigned e = 0; e < SVM_MAX_EPOCHS; e++) {
        double pg_max = -INFINITY, pg_min = INFINITY;
        shuffle(order, ninst, &state);
        for (size_t j = 0; j < ninst; j++) {
            size_t inst = order[j], i = idx[inst / 2];
            int label = inst % 2 ? d->also[i] : d->label[i];
            double share = d->also[i] < 0 ? 1.0
                           : inst % 2     ? JF_TRIAGE_ALSO_WEIGHT
                                          : 1.0 - JF_TRIAGE_ALSO_WEIGHT;
            double dg = diag / share;                  /* 1 / (2C) for this instance */
            double z[NCAT], delta[NCAT], q = 1.0 + dg; /* |x|^2 with the bias, + 1/(2C) */
            bool moved = false;

            memcpy(z, f->bias, sizeof z);
            for (size_t k = d->start[i]; k < d->start[i + 1]; k++) {
                const double *w = f->w + (size_t)d->rows[k] * NCAT;
                q += val[k] * val[k];
                for (int c = 0; c < NCAT; c++)
                    z[c] += val[k] * w[c];
            }
            for (int c = 0; c < NCAT; c++) {
                double y = label == c ? 1.0 : -1.0, *a = alpha + inst * NCAT + c;
                double g = y * z[c] - 1.0 + dg * *a;
                double pg = *a > 0 ? g : fmin(g, 0.0);
                pg_max = fmax(pg_max, pg);
                pg_min = fmin(pg_min, pg);
                delta[c] = 0.0;
                if (fabs(pg) > 1e-12) {
                    double next = fmax(*a - g / q, 0.0);
                    delta[c] = (next - *a) * y;
                    *a = next;
                    moved = true;
                }
            }
            if (!moved)
                continue;
            for (size_t k = d->start[i]; k < d->start[i + 1]; k++) {
                double *w = f->w + (size_t)d->rows[k] * NCAT;
                for (int c = 0; c < NCAT; c++)
                    w[c] += delta[c] * val[k];
            }
            for (int c = 0; c < NCAT; c++)
                f->bias[c] += delta[c];
        }
        if (pg_max - pg_min < SVM_TOLERANCE)
            break;
    }
    err = JF_ERR_OK;
out:
    free(order);
    free(val);
    free(alpha);
    if (err)
        fit_free(f);
    return err;
}

typedef struct {
    jf_triage_model_kind kind;
    double param;
} candidate;

static jf_err fit_candidate(fit *f, const dataset *d, const size_t *idx, size_t m,
                            const candidate *cand, const jf_triage_train_opts *o)
{
    if (cand->kind == JF_TRIAGE_MODEL_NB)
        return fit_nb(f, d, idx, m, cand->param);
    if (cand->kind == JF_TRIAGE_MODEL_SVM)
        return fit_svm(f, d, idx, m, cand->param, o->seed);
    return fit_lr(f, d, idx, m, cand->param, o->lr_epochs, o->seed);
}

/* Stratified fold assignment: each category's examples are shuffled and dealt round the
 * folds, continuing where the previous category stopped, so every fold gets a near-equal
 * share of every category and of the whole. */
static jf_err assign_folds(const int *label, size_t n, unsigned k, uint64_t seed,
                           unsigned *fold)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    uint64_t state = seed ^ 0xf01d5ULL;
    unsigned next = 0;
    if (!idx)
        return JF_ERR_NOMEM;
    for (int c = 0; c < NCAT; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (label[i] == c)
                idx[m++] = i;
        shuffle(idx, m, &state);
        for (size_t j = 0; j < m; j++) {
            fold[idx[j]] = next;
            next = (next + 1) % k;
        }
    }
    free(idx);
    return JF_ERR_OK;
}

/* Out-of-fold raw scores of one candidate: scores[i] comes from a fit on the folds that
 * do not hold example i. */
static jf_err oof_scores(const dataset *d, const unsigned *fold, unsigned k,
                         const candidate *cand, const jf_triage_train_opts *o, double *scores)
{
    jf_err err = JF_ERR_NOMEM;
    size_t *train = malloc(d->n * sizeof *train);
    fit f = {0};

    if (!train)
        goto out;
    for (unsigned q = 0; q < k; q++) {
        size_t m = 0;
        for (size_t i = 0; i < d->n; i++)
            if (fold[i] != q)
                train[m++] = i;
        err = fit_candidate(&f, d, train, m, cand, o);
        if (err)
            goto out;
        for (size_t i = 0; i < d->n; i++)
            if (fold[i] == q)
                fit_score(&f, d, i, scores + i * NCAT);
        fit_free(&f);
    }
    err = JF_ERR_OK;
out:
    fit_free(&f);
    free(train);
    return err;
}

static int argmax(const double *v)
{
    int best = 0;
    for (int c = 1; c < NCAT; c++)
        if (v[c] > v[best])
            best = c;
    return best;
}

/* The shift added to the calibrated score of `other`: 0, or the smallest step below 0 at
 * which the out-of-fold precision of `other` reaches JF_TRIAGE_OTHER_PRECISION, so that a
 * message is called "not a complaint" only when the evidence for it is clear (a complaint
 * discarded as noise costs far more than a greeting sent to a department). When no step
 * reaches the target the most negative one is taken. *acc gets the out-of-fold accuracy
 * with the shift applied. s holds out-of-fold raw scores, t the fitted temperature. */
static double choose_other_shift(const double *s, const double *adj, const int *gold, size_t n,
                                 double t, double *acc)
{
    const double step = 0.25;
    const int steps = 16; /* down to -4 */
    double shift = 0.0;
    for (int k = 0; k <= steps; k++) {
        shift = -step * k;
        size_t called = 0, right = 0, correct = 0;
        for (size_t i = 0; i < n; i++) {
            double z[NCAT];
            for (int c = 0; c < NCAT; c++)
                z[c] = s[i * NCAT + c] / t + (adj ? adj[i * NCAT + c] : 0.0);
            z[JF_CAT_OTHER] += shift;
            int p = argmax(z);
            correct += p == gold[i];
            if (p == JF_CAT_OTHER) {
                called++;
                right += gold[i] == JF_CAT_OTHER;
            }
        }
        *acc = n ? (double)correct / (double)n : 0.0;
        if (called == 0 || (double)right >= JF_TRIAGE_OTHER_PRECISION * (double)called)
            break;
    }
    return shift;
}

void jf_triage_train_opts_default(jf_triage_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kind = JF_TRIAGE_MODEL_AUTO;
    o->hash_bits = JF_TRIAGE_DEFAULT_HASH_BITS;
    o->lr_epochs = DEFAULT_EPOCHS;
    o->folds = DEFAULT_FOLDS;
    o->seed = DEFAULT_SEED;
}

/* The candidates the options allow, in order of preference on a tie. */
static size_t list_candidates(const jf_triage_train_opts *o, candidate *out, size_t max)
{
    static const struct {
        jf_triage_model_kind kind;
        const double *grid;
        size_t n;
    } kinds[] = {
        {JF_TRIAGE_MODEL_NB, nb_alpha_grid, sizeof nb_alpha_grid / sizeof nb_alpha_grid[0]},
        {JF_TRIAGE_MODEL_LR, lr_lambda_grid, sizeof lr_lambda_grid / sizeof lr_lambda_grid[0]},
        {JF_TRIAGE_MODEL_SVM, svm_lambda_grid,
         sizeof svm_lambda_grid / sizeof svm_lambda_grid[0]},
    };
    size_t n = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (o->kind != JF_TRIAGE_MODEL_AUTO && o->kind != kinds[k].kind)
            continue;
        double fixed = kinds[k].kind == JF_TRIAGE_MODEL_NB   ? o->nb_alpha
                       : kinds[k].kind == JF_TRIAGE_MODEL_LR ? o->lr_lambda
                                                             : o->svm_lambda;
        if (fixed > 0) {
            if (n < max)
                out[n++] = (candidate){kinds[k].kind, fixed};
            continue;
        }
        for (size_t i = 0; i < kinds[k].n && n < max; i++)
            out[n++] = (candidate){kinds[k].kind, kinds[k].grid[i]};
    }
    return n;
}

#define MAX_CANDIDATES 16

static jf_err model_from_fit(const fit *f, const dataset *d, const jf_triage_train_opts *o,
                             jf_triage_model **out)
{
    jf_err err = JF_ERR_NOMEM;
    jf_triage_model *m = calloc(1, sizeof *m);
    uint32_t *order = NULL;
    size_t nrows = 0;

    if (!m)
        goto out;
    m->kind = f->kind;
    m->hash_bits = o->hash_bits;
    if (f->kind == JF_TRIAGE_MODEL_NB)
        m->alpha = f->param;
    else
        m->lambda = f->param;
    m->temperature = 1.0;
    memcpy(m->bias, f->bias, sizeof m->bias);
    /* Rows in ascending bucket order, which the file format and the index want. */
    order = malloc((d->nrows ? d->nrows : 1) * sizeof *order);
    if (!order)
        goto out;
    for (size_t r = 0; r < d->nrows; r++)
        if (f->idf[r] > 0)
            order[nrows++] = d->bucket_of_row[r];
    qsort(order, nrows, sizeof *order, cmp_u32);
    err = jf_triage__model_alloc(m, nrows);
    if (err)
        goto out;
    {
        /* bucket -> training row, to copy the weights across */
        uint32_t *tr = calloc((size_t)1 << o->hash_bits, sizeof *tr);
        err = JF_ERR_NOMEM;
        if (!tr)
            goto out;
        for (size_t r = 0; r < d->nrows; r++)
            tr[d->bucket_of_row[r]] = (uint32_t)r + 1;
        for (size_t j = 0; j < nrows; j++) {
            const double *src = f->w + (size_t)(tr[order[j]] - 1) * NCAT;
            m->bucket[j] = order[j];
            m->idf[j] = f->kind != JF_TRIAGE_MODEL_NB ? f->idf[tr[order[j]] - 1] : 1.0f;
            for (int c = 0; c < NCAT; c++)
                m->w[j * NCAT + c] = (float)src[c];
        }
        free(tr);
    }
    jf_triage__model_index(m);
    *out = m;
    m = NULL;
    err = JF_ERR_OK;
out:
    free(order);
    jf_triage_model_free(m);
    return err;
}

jf_err jf_triage_model_train(const jf_triage_example *ex, size_t n,
                             const jf_triage_train_opts *opts, jf_triage_model **out)
{
    jf_err err = JF_ERR_INVAL;
    jf_triage_train_opts o;
    dataset d = {0};
    candidate cands[MAX_CANDIDATES];
    size_t ncand, best = 0;
    unsigned *fold = NULL;
    double *scores = NULL, *best_scores = NULL, best_acc = -1.0, best_nll = INFINITY,
           best_t = 1.0, shift = 0.0;
    fit f = {0};
    size_t *all = NULL;

    *out = NULL;
    if (opts)
        o = *opts;
    else
        jf_triage_train_opts_default(&o);
    if (o.hash_bits == 0)
        o.hash_bits = JF_TRIAGE_DEFAULT_HASH_BITS;
    if (o.lr_epochs == 0)
        o.lr_epochs = DEFAULT_EPOCHS;
    if (o.folds == 0)
        o.folds = DEFAULT_FOLDS;
    if (!ex || n == 0 || o.hash_bits < JF_TRIAGE_MIN_HASH_BITS ||
        o.hash_bits > JF_TRIAGE_MAX_HASH_BITS || o.folds < 2 || o.lr_epochs > 1000 ||
        o.nb_alpha < 0 || o.lr_lambda < 0 || o.svm_lambda < 0 || !isfinite(o.nb_alpha) ||
        !isfinite(o.lr_lambda) || !isfinite(o.svm_lambda) ||
        (unsigned)o.kind > JF_TRIAGE_MODEL_SVM)
        goto out;
    err = JF_ERR_TOOBIG;
    if (n > JF_TRIAGE_MAX_EXAMPLES)
        goto out;
    err = JF_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned)ex[i].label >= NCAT || !ex[i].text)
            goto out;

    err = dataset_build(&d, ex, n, o.hash_bits, o.rules);
    if (err)
        goto out;
    ncand = list_candidates(&o, cands, MAX_CANDIDATES);
    err = JF_ERR_NOMEM;
    all = malloc(n * sizeof *all);
    if (!all)
        goto out;
    for (size_t i = 0; i < n; i++)
        all[i] = i;

    /* Choose the candidate and the temperature on held-out folds, unless there are too
     * few examples to hold any out meaningfully. */
    double cv_acc = 0.0, cv_nll = 0.0;
    if (n >= 2 * (size_t)o.folds) {
        fold = malloc(n * sizeof *fold);
        scores = malloc(n * NCAT * sizeof *scores);
        best_scores = malloc(n * NCAT * sizeof *best_scores);
        int *gold = d.label;
        if (!fold || !scores || !best_scores)
            goto out;
        err = assign_folds(d.label, n, o.folds, o.seed, fold);
        if (err)
            goto out;
        for (size_t c = 0; c < ncand; c++) {
            err = oof_scores(&d, fold, o.folds, &cands[c], &o, scores);
            if (err)
                goto out;
            /* Accuracy is judged on the calibrated scale, where the rules act. */
            double nll = 0.0;
            double t = fit_temperature(scores, d.adj, gold, n, &nll);
            size_t correct = 0;
            for (size_t i = 0; i < n; i++) {
                double p[NCAT];
                (void)softmax(scores + i * NCAT, d.adj ? d.adj + i * NCAT : NULL, 1.0 / t, p,
                              -1);
                if (argmax(p) == gold[i])
                    correct++;
            }
            double acc = (double)correct / (double)n;
            if (acc > best_acc + 1e-12 || (fabs(acc - best_acc) <= 1e-12 && nll < best_nll)) {
                best = c;
                best_acc = acc;
                best_nll = nll;
                best_t = t;
                double *keep = best_scores; /* keep these scores; reuse the old best's */
                best_scores = scores;
                scores = keep;
            }
        }
        shift = choose_other_shift(best_scores, d.adj, gold, n, best_t, &cv_acc);
        cv_nll = best_nll;
    }

    err = fit_candidate(&f, &d, all, n, &cands[best], &o);
    if (err)
        goto out;
    err = model_from_fit(&f, &d, &o, out);
    if (err)
        goto out;
    (*out)->temperature = best_t;
    (*out)->other_shift = shift;
    (*out)->examples = n;
    for (size_t i = 0; i < n; i++)
        (*out)->per_category[d.label[i]]++;
    (*out)->cv_accuracy = cv_acc;
    (*out)->cv_log_loss = cv_nll;
    err = JF_ERR_OK;
out:
    fit_free(&f);
    free(all);
    free(fold);
    free(scores);
    free(best_scores);
    dataset_free(&d);
    return err;
}

/* ---- the model -------------------------------------------------------------------------- */

jf_err jf_triage__model_alloc(jf_triage_model *m, size_t nrows)
{
    m->row_of = calloc((size_t)1 << m->hash_bits, sizeof *m->row_of);
    m->bucket = malloc((nrows ? nrows : 1) * sizeof *m->bucket);
    m->w = malloc((nrows ? nrows : 1) * NCAT * sizeof *m->w);
    m->idf = malloc((nrows ? nrows : 1) * sizeof *m->idf);
    m->nrows = nrows;
    if (!m->row_of || !m->bucket || !m->w || !m->idf)
        return JF_ERR_NOMEM;
    return JF_ERR_OK;
}

void jf_triage__model_index(jf_triage_model *m)
{
    for (size_t j = 0; j < m->nrows; j++)
        m->row_of[m->bucket[j]] = (uint32_t)j + 1;
}

void jf_triage_model_free(jf_triage_model *m)
{
    if (!m)
        return;
    free(m->row_of);
    free(m->bucket);
    free(m->w);
    free(m->idf);
    free(m);
}

void jf_triage_model_describe(const jf_triage_model *m, jf_triage_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->kind = m->kind;
    info->alpha = m->alpha;
    info->lambda = m->lambda;
    info->temperature = m->temperature;
    info->other_shift = m->other_shift;
    info->hash_bits = m->hash_bits;
    info->rows = m->nrows;
    info->examples = m->examples;
    memcpy(info->per_category, m->per_category, sizeof info->per_category);
    info->cv_accuracy = m->cv_accuracy;
    info->cv_log_loss = m->cv_log_loss;
    info->bytes = sizeof *m + ((size_t)1 << m->hash_bits) * sizeof *m->row_of +
                  m->nrows * (sizeof *m->bucket + sizeof *m->idf + NCAT * sizeof *m->w);
}

/* ---- classification ---------------------------------------------------------------------- */

jf_err jf_triage_classify(const jf_triage_model *m, const jf_triage_rules *r, const char *text,
                          size_t len, double threshold, jf_triage_result *out)
{
    char norm[NORM_BUF];
    uint32_t feats[MAX_FEATURES];
    float idf[MAX_FEATURES];
    double s[NCAT], adj[NCAT] = {0};
    size_t nlen = 0;

    if (!m || !out || (!text && len > 0))
        return JF_ERR_INVAL;
    /* TOOBIG: the text was cut to the part that is classified. */
    jf_err err = jf_triage_normalize(text, len, norm, sizeof norm, &nlen);
    if (err && err != JF_ERR_TOOBIG)
        return err;

    /* Replace each bucket by its row, dropping buckets the model does not know. */
    size_t nf = extract_buckets(norm, nlen, m->hash_bits, feats), n = 0;
    for (size_t k = 0; k < nf; k++) {
        uint32_t row = m->row_of[feats[k]];
        if (row) {
            feats[n] = row - 1;
            idf[n++] = m->idf[row - 1];
        }
    }
    double inv = idf_norm(m->kind, idf, n);
    memcpy(s, m->bias, sizeof s);
    for (size_t k = 0; k < n; k++) {
        const float *w = m->w + (size_t)feats[k] * NCAT;
        double v = feature_value(m->kind, idf[k], inv);
        for (int c = 0; c < NCAT; c++)
            s[c] += v * w[c];
    }
    out->matched = 0;
    if (r && keyword_form(text, len, norm, &nlen) == JF_ERR_OK)
        out->matched =
            jf_triage_rules_apply(r, norm, nlen, adj, out->hits, JF_TRIAGE_MAX_MATCHED);
    adj[JF_CAT_OTHER] += m->other_shift;
    (void)softmax(s, adj, 1.0 / m->temperature, out->prob, -1);

    /* Top categories by probability; ties keep table order, so the result is stable. */
    bool taken[NCAT] = {false};
    for (int t = 0; t < JF_TRIAGE_TOP; t++) {
        int best = -1;
        for (int c = 0; c < NCAT; c++)
            if (!taken[c] && (best < 0 || out->prob[c] > out->prob[best]))
                best = c;
        taken[best] = true;
        out->top[t].category = (jf_triage_category)best;
        out->top[t].score = out->prob[best];
    }
    out->category = out->top[0].category;
    out->confidence = out->top[0].score;
    out->below_threshold = out->confidence < threshold;
    return JF_ERR_OK;
}

/* ---- evaluation ------------------------------------------------------------------------- */

void jf_triage_report_init(jf_triage_report *rep, double threshold)
{
    memset(rep, 0, sizeof *rep);
    rep->threshold = threshold;
}

void jf_triage_report_add(jf_triage_report *rep, jf_triage_category gold,
                          const jf_triage_result *res)
{
    if ((unsigned)gold >= NCAT)
        return;
    bool ok = res->category == gold;
    rep->n++;
    rep->correct += ok;
    rep->confusion[gold][res->category]++;
    rep->support[gold]++;
    double p = res->prob[gold];
    rep->sum_ll -= log(p > 1e-300 ? p : 1e-300);
    int b = (int)(res->confidence * JF_TRIAGE_CALIB_BINS);
    if (b >= JF_TRIAGE_CALIB_BINS)
        b = JF_TRIAGE_CALIB_BINS - 1;
    if (b < 0)
        b = 0;
    rep->bin_n[b]++;
    rep->bin_correct[b] += ok;
    rep->sum_conf[b] += res->confidence;
    if (res->confidence < rep->threshold)
        rep->below++;
    else
        rep->above_correct += ok;
}

void jf_triage_report_add_example(jf_triage_report *rep, const jf_triage_example *ex,
                                  const jf_triage_result *res)
{
    if ((unsigned)ex->label >= NCAT)
        return;
    jf_triage_report_add(rep, ex->label, res);
    if (!ex->has_also)
        return;
    rep->mixed++;
    rep->mixed_correct += res->category == ex->label;
    rep->mixed_either += res->category == ex->label || res->category == ex->also;
}

void jf_triage_report_finish(jf_triage_report *rep)
{
    double f1sum = 0.0;
    rep->accuracy = rep->n ? (double)rep->correct / (double)rep->n : 0.0;
    for (int c = 0; c < NCAT; c++) {
        size_t predicted = 0, tp = rep->confusion[c][c];
        for (int g = 0; g < NCAT; g++)
            predicted += rep->confusion[g][c];
        rep->precision[c] = predicted ? (double)tp / (double)predicted : 0.0;
        rep->recall[c] = rep->support[c] ? (double)tp / (double)rep->support[c] : 0.0;
        double pr = rep->precision[c] + rep->recall[c];
        rep->f1[c] = pr > 0 ? 2 * rep->precision[c] * rep->recall[c] / pr : 0.0;
        f1sum += rep->f1[c];
    }
    rep->macro_f1 = f1sum / NCAT;
    rep->log_loss = rep->n ? rep->sum_ll / (double)rep->n : 0.0;
    rep->ece = 0.0;
    for (int b = 0; b < JF_TRIAGE_CALIB_BINS; b++) {
        if (!rep->bin_n[b])
            continue;
        rep->bin_conf[b] = rep->sum_conf[b] / (double)rep->bin_n[b];
        double acc = (double)rep->bin_correct[b] / (double)rep->bin_n[b];
        rep->ece += (double)rep->bin_n[b] / (double)rep->n * fabs(acc - rep->bin_conf[b]);
    }
}

jf_err jf_triage_eval(const jf_triage_model *m, const jf_triage_rules *r,
                      const jf_triage_example *ex, size_t n, double threshold,
                      jf_triage_report *rep)
{
    jf_triage_result res;
    jf_triage_report_init(rep, threshold);
    for (size_t i = 0; i < n; i++) {
        const char *t = ex[i].text ? ex[i].text : "";
        jf_err err = jf_triage_classify(m, r, t, strlen(t), threshold, &res);
        if (err)
            return err;
        jf_triage_report_add_example(rep, &ex[i], &res);
    }
    jf_triage_report_finish(rep);
    return JF_ERR_OK;
}

jf_err jf_triage_cross_validate(const jf_triage_example *ex, size_t n, unsigned k,
                                const jf_triage_train_opts *opts, double threshold,
                                jf_triage_report *rep)
{
    jf_err err = JF_ERR_INVAL;
    jf_triage_train_opts o;
    unsigned *fold = NULL;
    int *label = NULL;
    jf_triage_example *train = NULL;
    jf_triage_model *m = NULL;

    jf_triage_report_init(rep, threshold);
    if (opts)
        o = *opts;
    else
        jf_triage_train_opts_default(&o);
    if (!ex || k < 2 || k > n)
        goto out;
    err = JF_ERR_NOMEM;
    fold = malloc(n * sizeof *fold);
    label = malloc(n * sizeof *label);
    train = malloc(n * sizeof *train);
    if (!fold || !label || !train)
        goto out;
    err = JF_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)ex[i].label >= NCAT || !ex[i].text)
            goto out;
        label[i] = (int)ex[i].label;
    }
    /* A different stream from the internal folds', so the two splits are independent. */
    err = assign_folds(label, n, k, o.seed ^ 0x07e4ULL, fold);
    if (err)
        goto out;
    for (unsigned q = 0; q < k; q++) {
        size_t m_n = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[i] != q)
                train[m_n++] = ex[i];
        err = jf_triage_model_train(train, m_n, &o, &m);
        if (err)
            goto out;
        for (size_t i = 0; i < n; i++) {
            jf_triage_result res;
            if (fold[i] != q)
                continue;
            err =
                jf_triage_classify(m, o.rules, ex[i].text, strlen(ex[i].text), threshold, &res);
            if (err)
                goto out;
            jf_triage_report_add_example(rep, &ex[i], &res);
        }
        jf_triage_model_free(m);
        m = NULL;
    }
    jf_triage_report_finish(rep);
    err = JF_ERR_OK;
out:
    jf_triage_model_free(m);
    free(fold);
    free(label);
    free(train);
    return err;
}
