/* classify.h - the complaint classifier: a trained statistical model over character
 * n-grams plus coordinators' keyword rules, with a calibrated confidence.
 *
 * Features. A message is normalised (jf_triage_normalize, which keeps punctuation marks)
 * and every character unigram and bigram of the result (marks and separating spaces
 * included, the lone space excepted) is hashed (FNV-1a with a murmur3 finaliser,
 * jf_triage_hash32) into one of 2^hash_bits buckets; a message's features are the set of
 * its buckets. No word segmenter is needed, and traditional and full-width spellings give
 * the same features. Keyword rules match in the keyword form, which ignores punctuation. Only
 * the first JF_TRIAGE_MAX_CHARS characters of a message are looked at.
 *
 * Model. Multinomial naive Bayes (Lidstone smoothing alpha over binary features), softmax
 * logistic regression (SGD with L2 penalty lambda over binary TF-IDF features scaled to
 * unit length), or linear SVMs, one per category against the rest (squared hinge loss,
 * L2 penalty lambda, the same features, by dual coordinate descent). All three score a
 * message as one number per category,
 *     s_c = bias_c + sum over the message's features f known to the model of x_f * W[f][c],
 * so one scoring routine serves them all; features never seen in training are ignored.
 * Training chooses the model kind and its smoothing or penalty by stratified k-fold
 * cross-validation on the training examples themselves (JF_TRIAGE_MODEL_AUTO), unless
 * the options fix them. On the shipped corpus AUTO picks the SVMs (10-fold accuracy 0.854,
 * against 0.851 for logistic regression and 0.821 for naive Bayes).
 *
 * Confidence. The raw scores are put on a calibrated scale, z_c = s_c / T + rules_c,
 * where T (the temperature) is fitted on the held-out folds of that same cross-validation
 * to minimise the log-loss, and rules_c is the sum of the weights of the keyword rules of
 * category c that match (rules.h). The probabilities are softmax(z); the confidence is
 * the largest, and is calibrated in the sense that among messages classified with
 * confidence near 0.8 about 80% are right (jianfu classify --cv prints the reliability
 * table that checks it). A caller sends a message whose confidence is below its
 * threshold to the coordinators' triage queue instead of a department; the classifier
 * only reports the confidence and whether it is below the threshold passed in.
 *
 * Not a complaint. `other` is held to a higher standard than the burden categories: a
 * complaint called noise is a cadre not heard, while a greeting called a complaint costs a
 * coordinator a glance. Training therefore shifts the calibrated score of `other` down,
 * z_other += shift (shift <= 0), by the smallest step at which `other` reaches a
 * cross-validated precision of JF_TRIAGE_OTHER_PRECISION; the shift is part of the model.
 *
 * Ownership and threads. A model is immutable once trained or loaded: any number of
 * threads may classify with one model (and one rule set) at once without a lock. A
 * jf_triage_result borrows rule patterns from the rule set it was computed with.
 * Classification allocates nothing and runs in a few microseconds.
 */
#ifndef JF_TRIAGE_CLASSIFY_H
#define JF_TRIAGE_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "triage/category.h"
#include "triage/rules.h"

/* Characters of a message that are classified; the rest is ignored (an SMS segment is
 * 70 characters, a long WeChat message a few hundred). */
#define JF_TRIAGE_MAX_CHARS 1024
/* Categories reported with their probabilities, best first. */
#define JF_TRIAGE_TOP 3
/* Matching rules reported per message (all of them count towards the scores). */
#define JF_TRIAGE_MAX_MATCHED 8
/* A reasonable default for the triage threshold: see README for the figures behind it. */
#define JF_TRIAGE_DEFAULT_THRESHOLD 0.5
/* Limits on training data: examples, and bytes of one example's text. */
#define JF_TRIAGE_MAX_EXAMPLES 1000000
#define JF_TRIAGE_MAX_TEXT 8192
/* Limits on the hashed feature space. */
#define JF_TRIAGE_MIN_HASH_BITS 12
#define JF_TRIAGE_MAX_HASH_BITS 22
#define JF_TRIAGE_DEFAULT_HASH_BITS 18
/* Largest model or corpus file read. */
#define JF_TRIAGE_MAX_MODEL_FILE (256u * 1024 * 1024)
#define JF_TRIAGE_MAX_CORPUS_FILE (64u * 1024 * 1024)

typedef struct jf_triage_model jf_triage_model;

/* One labelled training or test message. text is UTF-8 (borrowed). A message that touches
 * two categories keeps its dominant one as label and may name the other as also
 * (has_also); training then aims at JF_TRIAGE_ALSO_WEIGHT of the probability on also
 * instead of all of it on label. Evaluation counts only label. */
typedef struct {
    jf_triage_category label;
    const char *text;
    bool has_also;
    jf_triage_category also; /* != label; meaningful only when has_also */
} jf_triage_example;

/* The share of a mixed example's target probability that goes to its second category.
 * Cross-validation on the shipped corpus put soft targets about half a point of accuracy
 * above hard ones, and the figure hardly moved between 0.25 and 0.4. */
#define JF_TRIAGE_ALSO_WEIGHT 0.3

/* The out-of-fold precision of `other` that training holds the model to by shifting the
 * score of `other` down (see "Not a complaint" above). */
#define JF_TRIAGE_OTHER_PRECISION 0.92

typedef enum {
    JF_TRIAGE_MODEL_AUTO, /* whichever of the three cross-validates better */
    JF_TRIAGE_MODEL_NB,   /* multinomial naive Bayes */
    JF_TRIAGE_MODEL_LR,   /* softmax logistic regression */
    JF_TRIAGE_MODEL_SVM,  /* linear SVMs, one per category against the rest */
} jf_triage_model_kind;

typedef struct {
    jf_triage_model_kind kind;
    /* Size of the feature space, 2^hash_bits buckets; 0 means the default. */
    unsigned hash_bits;
    /* NB smoothing and LR penalty; 0 means "choose from a built-in grid by
     * cross-validation" (the grid is listed in classify.c). */
    double nb_alpha;
    double lr_lambda;
    double svm_lambda; /* the SVM's penalty, on LR's scale (classify.c) */
    /* Passes over the data for LR; 0 means the default (30). */
    unsigned lr_epochs;
    /* Folds of the internal cross-validation that chooses the model and fits the
     * temperature; 0 means 5. With fewer than 2 examples per fold there is no
     * cross-validation: the first candidate is taken and T = 1. */
    unsigned folds;
    /* Seed of the fold assignment and of the SGD order: training is deterministic. */
    uint64_t seed;
    /* Rules to apply while fitting the temperature, so that the confidence is calibrated
     * for the rules that will be used with the model (borrowed; may be NULL). */
    const jf_triage_rules *rules;
} jf_triage_train_opts;

/* What a trained model is (for `jianfu train` and the logs). */
typedef struct {
    jf_triage_model_kind kind; /* NB or LR: what was chosen */
    double alpha, lambda;      /* the chosen NB smoothing or LR penalty (the other 0) */
    double temperature;
    double other_shift; /* added to the calibrated score of `other` (<= 0) */
    unsigned hash_bits;
    size_t rows;     /* distinct feature buckets the model holds weights for */
    size_t examples; /* training examples */
    size_t per_category[JF_CAT_COUNT];
    double cv_accuracy; /* internal cross-validation of the chosen candidate; */
    double cv_log_loss; /* both 0 when there was none */
    size_t bytes;       /* memory the model holds */
} jf_triage_model_info;

/* A category and its probability. */
typedef struct {
    jf_triage_category category;
    double score;
} jf_triage_scored;

/* The classification of one message. */
typedef struct {
    jf_triage_category category; /* the most probable category */
    double confidence;           /* its probability, in [0, 1] */
    bool below_threshold;        /* confidence < the threshold passed in: send to triage */
    double prob[JF_CAT_COUNT];   /* every category's probability; they sum to 1 */
    jf_triage_scored top[JF_TRIAGE_TOP]; /* best first; top[0] is category, confidence */
    size_t matched; /* how many rules matched (may exceed JF_TRIAGE_MAX_MATCHED) */
    jf_triage_rule_hit hits[JF_TRIAGE_MAX_MATCHED]; /* the first min(matched, MAX) of them */
} jf_triage_result;

/* ---- training data ----------------------------------------------------------------- */

/* A growable set of examples that owns its texts: the shipped corpus, plus (later) the
 * coordinators' corrections from the database, go into one set before training. */
typedef struct {
    jf_triage_example *items; /* n of them; texts owned by the set */
    size_t n, cap;
} jf_triage_examples;

/* jf_triage_examples_init - an empty set. Allocates nothing. */
void jf_triage_examples_init(jf_triage_examples *s);

/* jf_triage_examples_add - append a copy of len bytes of text with its label. This is the
 * entry point for adding coordinators' corrections to the training data. JF_ERR_INVAL for
 * an invalid label or empty text, JF_ERR_TOOBIG past JF_TRIAGE_MAX_TEXT bytes or
 * JF_TRIAGE_MAX_EXAMPLES examples, JF_ERR_NOMEM; the set is unchanged on error. */
jf_err jf_triage_examples_add(jf_triage_examples *s, jf_triage_category label, const char *text,
                              size_t len) JF_WUR;

/* jf_triage_examples_load_tsv - append the examples of a TSV file, one per line:
 * label<TAB>text[<TAB>note...]. A note that contains "mixed: LABEL+OTHER" (the corpus's
 * marker, triage/data/README.md) gives the example OTHER as its second category. Blank lines,
 * lines starting with '#' and a first line whose first field is "label" (a header) are skipped;
 * a CR before the LF is ignored. JF_ERR_PARSE with "PATH:LINE: reason" in errbuf for a line
 * without a TAB, an unknown label or an empty text; read errors as jf_triage_read_file. On
 * error the set keeps the examples it had before the call. */
jf_err jf_triage_examples_load_tsv(jf_triage_examples *s, const char *path, char *errbuf,
                                   size_t errsz) JF_WUR;

/* jf_triage_examples_free - release the texts and the array; s may be reused after
 * jf_triage_examples_init. */
void jf_triage_examples_free(jf_triage_examples *s);

/* ---- the model --------------------------------------------------------------------- */

/* jf_triage_train_opts_default - AUTO kind, default hash bits, grids, 30 epochs, 5 folds,
 * a fixed seed, no rules. */
void jf_triage_train_opts_default(jf_triage_train_opts *o);

/* jf_triage_model_train - train a model on n examples (borrowed; only read during the
 * call). opts may be NULL for the defaults. *out receives the model (caller frees with
 * jf_triage_model_free). JF_ERR_INVAL when n is 0, a label is invalid or an option is
 * out of range; JF_ERR_TOOBIG past JF_TRIAGE_MAX_EXAMPLES; JF_ERR_NOMEM. On error *out is
 * NULL. Deterministic for given examples and options. Takes about half a second for the
 * shipped corpus with AUTO (45 fits in the internal cross-validation, then the final one). */
jf_err jf_triage_model_train(const jf_triage_example *ex, size_t n,
                             const jf_triage_train_opts *opts, jf_triage_model **out) JF_WUR;

/* jf_triage_model_free - NULL allowed. */
void jf_triage_model_free(jf_triage_model *m);

/* jf_triage_model_describe - fill *info about m. */
void jf_triage_model_describe(const jf_triage_model *m, jf_triage_model_info *info);

/* jf_triage_model_save - write m to path in the versioned binary format described in
 * model_io.c, ending in a SHA-256 checksum of everything before it. The file is written
 * to path.tmp, flushed to disk and renamed over path, so a reader (a `serve` reloading
 * the model) sees the old file or the new one, never half of one. JF_ERR_IO with the
 * reason in errbuf. */
jf_err jf_triage_model_save(const jf_triage_model *m, const char *path, char *errbuf,
                            size_t errsz) JF_WUR;

/* jf_triage_model_load - read a model saved by jf_triage_model_save. A file that is not
 * a jianfu model, of another format version, features version or category list,
 * truncated, or whose checksum does not match is refused with JF_ERR_PARSE (JF_ERR_SCHEMA
 * for a version or category mismatch) and a message in errbuf saying which, and what to
 * do (run `jianfu train`). JF_ERR_IO when it cannot be read. On error *out is NULL. */
jf_err jf_triage_model_load(const char *path, jf_triage_model **out, char *errbuf,
                            size_t errsz) JF_WUR;

/* jf_triage_classify - classify len bytes of UTF-8 text (borrowed; invalid bytes are
 * skipped, only the first JF_TRIAGE_MAX_CHARS characters count) with model m and rule set
 * r (may be NULL), and fill *out. below_threshold is confidence < threshold. A text with
 * no features (empty, only punctuation) is classified by the priors and rules alone.
 * Thread-safe on a shared model and rule set; allocates nothing. JF_ERR_INVAL for a NULL
 * model, out, or text with len > 0. */
jf_err jf_triage_classify(const jf_triage_model *m, const jf_triage_rules *r, const char *text,
                          size_t len, double threshold, jf_triage_result *out) JF_WUR;

/* jf_triage_hash32 - the feature hash: 32-bit FNV-1a of the n bytes at p, starting from
 * the offset basis xor seed, followed by murmur3's fmix32 finaliser so that the low bits
 * used as the bucket are well mixed. Part of the model format: a change of its values
 * must bump the features version in classify.c. */
uint32_t jf_triage_hash32(const void *p, size_t n, uint32_t seed);

/* ---- evaluation -------------------------------------------------------------------- */

#define JF_TRIAGE_CALIB_BINS 10

/* Accuracy, per-category precision/recall/F1, the confusion matrix and the calibration
 * of the confidence, accumulated over classified examples. */
typedef struct {
    size_t n, correct;
    double accuracy, macro_f1;
    size_t confusion[JF_CAT_COUNT][JF_CAT_COUNT]; /* [true category][predicted category] */
    size_t support[JF_CAT_COUNT];                 /* examples of each true category */
    double precision[JF_CAT_COUNT], recall[JF_CAT_COUNT], f1[JF_CAT_COUNT];
    double log_loss; /* mean -ln p(true category) */
    double ece;      /* expected calibration error over the bins below */
    /* Reliability table: examples whose confidence falls in [b/BINS, (b+1)/BINS). */
    size_t bin_n[JF_TRIAGE_CALIB_BINS], bin_correct[JF_TRIAGE_CALIB_BINS];
    double bin_conf[JF_TRIAGE_CALIB_BINS]; /* mean confidence in the bin */
    /* At the threshold: how many would go to triage, and accuracy of the rest. */
    double threshold;
    size_t below, above_correct;
    /* Examples that name a second category (has_also, counted by _add_example only): how
     * many, how many got their label, and how many got their label or the second one. */
    size_t mixed, mixed_correct, mixed_either;
    double sum_ll, sum_conf[JF_TRIAGE_CALIB_BINS]; /* accumulators */
} jf_triage_report;

/* jf_triage_report_init - an empty report for the given triage threshold. */
void jf_triage_report_init(jf_triage_report *rep, double threshold);

/* jf_triage_report_add - account for one classified example of true category gold. */
void jf_triage_report_add(jf_triage_report *rep, jf_triage_category gold,
                          const jf_triage_result *res);

/* jf_triage_report_add_example - jf_triage_report_add for ex->label; when ex names a second
 * category, it is also counted among the mixed examples. jf_triage_eval and
 * jf_triage_cross_validate add their examples this way. */
void jf_triage_report_add_example(jf_triage_report *rep, const jf_triage_example *ex,
                                  const jf_triage_result *res);

/* jf_triage_report_finish - compute the ratios from the counts; call once after the last
 * add. Precision of a category never predicted, and recall of one with no examples, are
 * reported as 0. */
void jf_triage_report_finish(jf_triage_report *rep);

/* jf_triage_eval - classify n examples with m and r and report (finished). Fails only
 * like jf_triage_classify. */
jf_err jf_triage_eval(const jf_triage_model *m, const jf_triage_rules *r,
                      const jf_triage_example *ex, size_t n, double threshold,
                      jf_triage_report *rep) JF_WUR;

/* jf_triage_cross_validate - stratified k-fold cross-validation: for each of k folds
 * (2 <= k <= n), train with opts on the other folds (including their internal
 * cross-validation), classify the fold with opts->rules, and report over all n examples
 * (finished). Folds are assigned deterministically from opts->seed. Errors as
 * jf_triage_model_train; JF_ERR_INVAL for k out of range. */
jf_err jf_triage_cross_validate(const jf_triage_example *ex, size_t n, unsigned k,
                                const jf_triage_train_opts *opts, double threshold,
                                jf_triage_report *rep) JF_WUR;

#endif
