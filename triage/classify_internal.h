/* classify_internal.h - the classifier's model representation, shared by classify.c
 * (training, scoring) and model_io.c (the file format). Not for use outside triage/. */
#ifndef JF_TRIAGE_CLASSIFY_INTERNAL_H
#define JF_TRIAGE_CLASSIFY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "triage/classify.h"

/* The range of the temperature that calibrates confidence: fitting searches it, and a
 * model file with a temperature outside it is refused (a tiny one would make every
 * confidence NaN). */
#define JF_TRIAGE_TEMPERATURE_MIN 0.1
#define JF_TRIAGE_TEMPERATURE_MAX 1e4

/* Version of the feature extraction (n-gram orders, hash, seeds, feature values). Saved
 * in model files with JF_NORM_VERSION; bump it whenever features change. */
#define JF_TRIAGE_FEATURES_VERSION 2 /* 2: unigrams and bigrams (1: up to trigrams) */

/* A trained model. Weights are kept only for the feature buckets seen in training (a few
 * tens of thousands), found through row_of; a model is therefore a few MiB however large
 * the hashed space. */
struct jf_triage_model {
    jf_triage_model_kind kind; /* NB or LR */
    unsigned hash_bits;
    double alpha, lambda;
    double temperature; /* > 0 */
    double other_shift; /* <= 0, added to the calibrated score of `other` */
    double bias[JF_CAT_COUNT];
    size_t nrows;
    uint32_t *row_of; /* 2^hash_bits entries: 0 for no row, else row index + 1 */
    uint32_t *bucket; /* nrows buckets, strictly ascending */
    float *w;         /* nrows * JF_CAT_COUNT weights, row-major */
    float *idf;       /* nrows inverse document frequencies (LR; 1 for NB), each >= 1 */
    size_t examples;
    size_t per_category[JF_CAT_COUNT];
    double cv_accuracy, cv_log_loss;
};

/* jf_triage__model_alloc - allocate m's row_of (zeroed), bucket, idf and w for nrows rows;
 * JF_ERR_NOMEM. m->hash_bits must be set. */
jf_err jf_triage__model_alloc(jf_triage_model *m, size_t nrows) JF_WUR;

/* jf_triage__model_index - fill row_of from bucket (which must be strictly ascending and
 * below 2^hash_bits). */
void jf_triage__model_index(jf_triage_model *m);

#endif
