/* model_io.c - the classifier's model file: versioned, little-endian, checksummed.
 *
 * Layout (all integers little-endian, floating point as IEEE 754 bit patterns):
 *
 *     magic           8 bytes  "JFTRIAGE"
 *     format version  u32      MODEL_FORMAT_VERSION
 *     norm version    u32      JF_NORM_VERSION of the normaliser the features came from
 *     feature version u32      JF_TRIAGE_FEATURES_VERSION (n-grams, hash, values)
 *     categories      u32 count, then per category u8 length + its code
 *     kind            u32      1 naive Bayes, 2 logistic regression, 3 linear SVM
 *     hash bits       u32
 *     alpha, lambda, temperature, other shift   f64 each
 *     examples        u64, then u64 per category
 *     cv accuracy, cv log-loss     f64 each
 *     biases          f64 per category
 *     rows            u64 count, then per row: u32 bucket (strictly ascending), f32 idf
 *                     (>= 1; 1 for naive Bayes), f32 weight per category
 *     checksum        32 bytes, SHA-256 of everything above
 *
 * The category codes are stored so that a model trained for another category list (an
 * older or newer binary) is refused instead of silently mislabelling every message. A
 * file is checked completely (checksum, every length, every value finite and in range)
 * before anything is built from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crypto.h"
#include "triage/classify_internal.h"
#include "triage/normalize.h"
#include "triage/textfile.h"

#define NCAT JF_CAT_COUNT
#define MODEL_MAGIC "JFTRIAGE"
#define MODEL_MAGIC_LEN 8
#define MODEL_FORMAT_VERSION 3u /* 2: per-row idf (TF-IDF features); 3: other shift */
#define ROW_BYTES (4 + 4 + 4 * NCAT)

/* ---- writing ---------------------------------------------------------------------------- */

typedef struct {
    unsigned char *p;
    size_t len, cap;
} wbuf;

static void put(wbuf *w, const void *src, size_t n)
{
    /* The buffer is sized exactly beforehand; overrunning it is a bug. */
    if (w->len + n > w->cap)
        abort();
    memcpy(w->p + w->len, src, n);
    w->len += n;
}

static void put_u32(wbuf *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(w, b, 4);
}

static void put_u64(wbuf *w, uint64_t v)
{
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}

static void put_f64(wbuf *w, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    put_u64(w, v);
}

static void put_f32(wbuf *w, float f)
{
    uint32_t v;
    memcpy(&v, &f, sizeof v);
    put_u32(w, v);
}

static size_t header_size(void)
{
    size_t n = MODEL_MAGIC_LEN + 4 * 3 + 4;
    for (int c = 0; c < NCAT; c++)
        n += 1 + strlen(jf_triage_category_code((jf_triage_category)c));
    n += 4 * 2 + 8 * 4 + 8 * (1 + NCAT) + 8 * 2 + 8 * NCAT + 8;
    return n;
}

static jf_err write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return JF_ERR_IO;
        p += r;
        n -= (size_t)r;
    }
    return JF_ERR_OK;
}

jf_err jf_triage_model_save(const jf_triage_model *m, const char *path, char *errbuf,
                            size_t errsz)
{
    jf_err err = JF_ERR_NOMEM;
    wbuf w = {0};
    char tmp[4096];
    int fd = -1;
    bool tmp_made = false;

    if (errsz)
        errbuf[0] = '\0';
    /* A trained model is one of the three kinds; AUTO only ever asks training to choose. */
    if (m->kind != JF_TRIAGE_MODEL_NB && m->kind != JF_TRIAGE_MODEL_LR &&
        m->kind != JF_TRIAGE_MODEL_SVM) {
        snprintf(errbuf, errsz, "cannot save a model of unknown kind %d", (int)m->kind);
        return JF_ERR_INVAL;
    }
    w.cap = header_size() + m->nrows * ROW_BYTES + JF_SHA256_LEN;
    w.p = malloc(w.cap);
    if (!w.p)
        goto out;
    put(&w, MODEL_MAGIC, MODEL_MAGIC_LEN);
    put_u32(&w, MODEL_FORMAT_VERSION);
    put_u32(&w, JF_NORM_VERSION);
    put_u32(&w, JF_TRIAGE_FEATURES_VERSION);
    put_u32(&w, NCAT);
    for (int c = 0; c < NCAT; c++) {
        const char *code = jf_triage_category_code((jf_triage_category)c);
        unsigned char len = (unsigned char)strlen(code);
        put(&w, &len, 1);
        put(&w, code, len);
    }
    put_u32(&w, m->kind == JF_TRIAGE_MODEL_NB ? 1u : m->kind == JF_TRIAGE_MODEL_LR ? 2u : 3u);
    put_u32(&w, m->hash_bits);
    put_f64(&w, m->alpha);
    put_f64(&w, m->lambda);
    put_f64(&w, m->temperature);
    put_f64(&w, m->other_shift);
    put_u64(&w, m->examples);
    for (int c = 0; c < NCAT; c++)
        put_u64(&w, m->per_category[c]);
    put_f64(&w, m->cv_accuracy);
    put_f64(&w, m->cv_log_loss);
    for (int c = 0; c < NCAT; c++)
        put_f64(&w, m->bias[c]);
    put_u64(&w, m->nrows);
    for (size_t j = 0; j < m->nrows; j++) {
        put_u32(&w, m->bucket[j]);
        put_f32(&w, m->idf[j]);
        for (int c = 0; c < NCAT; c++)
            put_f32(&w, m->w[j * NCAT + c]);
    }
    uint8_t sum[JF_SHA256_LEN];
    err = jf_crypto_sha256(w.p, w.len, sum);
    if (err)
        goto out;
    put(&w, sum, sizeof sum);

    err = JF_ERR_IO;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        if (errsz)
            snprintf(errbuf, errsz, "path too long: %s", path);
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errsz)
            snprintf(errbuf, errsz, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    tmp_made = true;
    if (write_all(fd, w.p, w.len) || fsync(fd) != 0) {
        if (errsz)
            snprintf(errbuf, errsz, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        if (errsz)
            snprintf(errbuf, errsz, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        if (errsz)
            snprintf(errbuf, errsz, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    tmp_made = false;
    err = JF_ERR_OK;
out:
    if (fd >= 0)
        close(fd);
    if (tmp_made)
        unlink(tmp);
    free(w.p);
    return err;
}

/* ---- reading ---------------------------------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    bool short_read; /* a read past the end: the file is truncated or malformed */
} rbuf;

static const unsigned char *take(rbuf *r, size_t n)
{
    if (r->short_read || r->len - r->pos < n) {
        r->short_read = true;
        return NULL;
    }
    const unsigned char *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static uint32_t get_u32(rbuf *r)
{
    const unsigned char *b = take(r, 4);
    if (!b)
        return 0;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(rbuf *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static double get_f64(rbuf *r)
{
    uint64_t v = get_u64(r);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static float get_f32(rbuf *r)
{
    uint32_t v = get_u32(r);
    float f;
    memcpy(&f, &v, sizeof f);
    return f;
}

#define REFUSE(code, ...)                                                                      \
    do {                                                                                       \
        err = (code);                                                                          \
        if (errsz)                                                                             \
            snprintf(errbuf, errsz, __VA_ARGS__);                                              \
        goto out;                                                                              \
    } while (0)

jf_err jf_triage_model_load(const char *path, jf_triage_model **out, char *errbuf, size_t errsz)
{
    jf_err err;
    char *data = NULL;
    size_t len = 0;
    jf_triage_model *m = NULL;
    rbuf r;

    *out = NULL;
    err = jf_triage_read_file(path, JF_TRIAGE_MAX_MODEL_FILE, &data, &len, errbuf, errsz);
    if (err)
        goto out;
    r = (rbuf){(const unsigned char *)data, len, 0, false};
    if (len < MODEL_MAGIC_LEN || memcmp(data, MODEL_MAGIC, MODEL_MAGIC_LEN) != 0)
        REFUSE(JF_ERR_PARSE, "%s is not a jianfu classifier model (no JFTRIAGE header)", path);
    r.pos = MODEL_MAGIC_LEN;
    uint32_t version = get_u32(&r);
    if (r.short_read || len < header_size() + JF_SHA256_LEN)
        REFUSE(JF_ERR_PARSE, "%s is truncated (%zu bytes): run `jianfu train` again", path,
               len);
    if (version != MODEL_FORMAT_VERSION)
        REFUSE(JF_ERR_SCHEMA,
               "%s has model format version %u; this jianfu reads version %u: run `jianfu "
               "train` to rebuild it",
               path, version, MODEL_FORMAT_VERSION);
    uint8_t sum[JF_SHA256_LEN];
    err = jf_crypto_sha256(data, len - JF_SHA256_LEN, sum);
    if (err)
        goto out;
    if (!jf_crypto_equal(sum, data + len - JF_SHA256_LEN, JF_SHA256_LEN))
        REFUSE(JF_ERR_PARSE,
               "%s is corrupt (checksum mismatch): run `jianfu train` to rebuild it", path);
    r.len = len - JF_SHA256_LEN;

    uint32_t normv = get_u32(&r), featv = get_u32(&r);
    if (normv != JF_NORM_VERSION || featv != JF_TRIAGE_FEATURES_VERSION)
        REFUSE(JF_ERR_SCHEMA,
               "%s was trained with text normalisation v%u and features v%u; this jianfu "
               "uses v%u and v%u: run `jianfu train` to rebuild it",
               path, normv, featv, (unsigned)JF_NORM_VERSION,
               (unsigned)JF_TRIAGE_FEATURES_VERSION);
    uint32_t ncat = get_u32(&r);
    bool same = ncat == NCAT;
    for (uint32_t c = 0; c < ncat && !r.short_read && c < 64; c++) {
        const unsigned char *lp = take(&r, 1);
        const unsigned char *code = lp ? take(&r, *lp) : NULL;
        const char *ours = c < NCAT ? jf_triage_category_code((jf_triage_category)c) : NULL;
        if (!code || !ours || strlen(ours) != *lp || memcmp(code, ours, *lp) != 0)
            same = false;
    }
    if (!same || r.short_read)
        REFUSE(JF_ERR_SCHEMA,
               "%s was trained for another list of categories than this jianfu's: run "
               "`jianfu train` to rebuild it",
               path);

    err = JF_ERR_NOMEM;
    m = calloc(1, sizeof *m);
    if (!m)
        goto out;
    uint32_t kind = get_u32(&r);
    m->kind = kind == 1   ? JF_TRIAGE_MODEL_NB
              : kind == 2 ? JF_TRIAGE_MODEL_LR
              : kind == 3 ? JF_TRIAGE_MODEL_SVM
                          : JF_TRIAGE_MODEL_AUTO; /* refused below */
    m->hash_bits = get_u32(&r);
    m->alpha = get_f64(&r);
    m->lambda = get_f64(&r);
    m->temperature = get_f64(&r);
    m->other_shift = get_f64(&r);
    m->examples = (size_t)get_u64(&r);
    for (int c = 0; c < NCAT; c++)
        m->per_category[c] = (size_t)get_u64(&r);
    m->cv_accuracy = get_f64(&r);
    m->cv_log_loss = get_f64(&r);
    bool finite = isfinite(m->alpha) && isfinite(m->lambda) && isfinite(m->cv_accuracy) &&
                  isfinite(m->cv_log_loss);
    for (int c = 0; c < NCAT; c++) {
        m->bias[c] = get_f64(&r);
        finite = finite && isfinite(m->bias[c]);
    }
    uint64_t nrows = get_u64(&r);
    if (r.short_read || kind < 1 || kind > 3 || m->hash_bits < JF_TRIAGE_MIN_HASH_BITS ||
        m->hash_bits > JF_TRIAGE_MAX_HASH_BITS || !finite ||
        !(m->temperature >= JF_TRIAGE_TEMPERATURE_MIN * 0.999 &&
          m->temperature <= JF_TRIAGE_TEMPERATURE_MAX * 1.001) ||
        !(m->other_shift <= 0 && m->other_shift >= -100) ||
        nrows > ((uint64_t)1 << m->hash_bits) || (r.len - r.pos) != nrows * ROW_BYTES)
        REFUSE(JF_ERR_PARSE,
               "%s is malformed (bad header fields or length): run `jianfu train`", path);
    err = jf_triage__model_alloc(m, (size_t)nrows);
    if (err)
        goto out;
    for (size_t j = 0; j < m->nrows; j++) {
        m->bucket[j] = get_u32(&r);
        if (m->bucket[j] >> m->hash_bits || (j > 0 && m->bucket[j] <= m->bucket[j - 1]))
            REFUSE(JF_ERR_PARSE, "%s is malformed (row %zu out of order): run `jianfu train`",
                   path, j);
        m->idf[j] = get_f32(&r);
        if (!(m->idf[j] >= 1.0f) || !isfinite(m->idf[j]))
            REFUSE(JF_ERR_PARSE, "%s is malformed (idf out of range): run `jianfu train`",
                   path);
        for (int c = 0; c < NCAT; c++) {
            float f = get_f32(&r);
            if (!isfinite(f))
                REFUSE(JF_ERR_PARSE, "%s is malformed (weight not finite): run `jianfu train`",
                       path);
            m->w[j * NCAT + c] = f;
        }
    }
    jf_triage__model_index(m);
    *out = m;
    m = NULL;
    err = JF_ERR_OK;
out:
    jf_triage_model_free(m);
    free(data);
    return err;
}
