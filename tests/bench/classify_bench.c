/* classify_bench.c - throughput and memory of the complaint classifier on one thread.
 *
 * usage: jf_bench_classify --model FILE --corpus FILE [--rules FILE] [--seconds N]
 *
 * Loads a model saved by `jianfu train` (so the process holds what `serve` would hold,
 * not the training's working memory), loads the messages of a corpus TSV, and classifies
 * them round-robin on this one thread for N seconds (default 5). Prints messages per
 * second (wall clock and thread CPU time), the latency distribution of single calls, the
 * model's own allocation and the process's peak resident set (VmHWM), and exits 0 only
 * when the targets of issue 4 are met: >= 20 000 messages/s, model <= 32 MiB.
 * Built only with -DJIANFU_BENCH=ON; run through tests/bench/classify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "triage/classify.h"

#define TARGET_RATE 20000.0
#define TARGET_MODEL_MIB 32.0
#define MAX_SECONDS 600
#define LAT_BUCKETS 4096 /* latency histogram in 0.1 us steps, up to 409.6 us */

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/self/status in KiB, or -1. */
static long proc_status_kib(const char *field)
{
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static double percentile(const unsigned long *hist, unsigned long total, double p)
{
    unsigned long want = (unsigned long)(p * (double)total), seen = 0;
    for (int b = 0; b < LAT_BUCKETS; b++) {
        seen += hist[b];
        if (seen > want)
            return (b + 1) / 10.0;
    }
    return LAT_BUCKETS / 10.0;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *corpus = NULL, *rules_path = NULL;
    unsigned seconds = 5;
    char msg[512];
    int rc = 1;
    jf_triage_examples set;
    jf_triage_model *m = NULL;
    jf_triage_rules *rules = NULL;
    unsigned long *hist = NULL;

    jf_triage_examples_init(&set);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0)
            model_path = argv[i + 1];
        else if (strcmp(argv[i], "--corpus") == 0)
            corpus = argv[i + 1];
        else if (strcmp(argv[i], "--rules") == 0)
            rules_path = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0) {
            if (jf_config_parse_uint(argv[i + 1], 1, MAX_SECONDS, &seconds)) {
                fprintf(stderr, "--seconds must be 1..%d\n", MAX_SECONDS);
                goto out;
            }
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            goto out;
        }
    }
    if (!model_path || !corpus || argc % 2 == 0) {
        fprintf(stderr, "usage: %s --model FILE --corpus FILE [--rules FILE] [--seconds N]\n",
                argv[0]);
        goto out;
    }

    long rss_before = proc_status_kib("VmRSS");
    if (jf_triage_model_load(model_path, &m, msg, sizeof msg)) {
        fprintf(stderr, "%s\n", msg);
        goto out;
    }
    long rss_model = proc_status_kib("VmRSS");
    if (rules_path && jf_triage_rules_load(rules_path, &rules, msg, sizeof msg)) {
        fprintf(stderr, "%s\n", msg);
        goto out;
    }
    if (jf_triage_examples_load_tsv(&set, corpus, msg, sizeof msg) || set.n == 0) {
        fprintf(stderr, "%s\n", set.n ? msg : "empty corpus");
        goto out;
    }
    size_t *lens = malloc(set.n * sizeof *lens);
    hist = calloc(LAT_BUCKETS, sizeof *hist);
    if (!lens || !hist) {
        free(lens);
        goto out;
    }
    size_t bytes = 0;
    for (size_t i = 0; i < set.n; i++) {
        lens[i] = strlen(set.items[i].text);
        bytes += lens[i];
    }

    /* Warm up (page in the model, the caches), then run for the given time, reading the
     * clock around every call for the latency histogram (about 40 ns of the cost). */
    jf_triage_result res;
    for (size_t i = 0; i < set.n; i++) {
        if (jf_triage_classify(m, rules, set.items[i].text, lens[i], 0.5, &res))
            break; /* reported by the timed loop below */
    }
    unsigned long done = 0, correct = 0;
    double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
    double end = t0 + seconds, t = t0;
    while (t < end) {
        for (size_t i = 0; i < set.n; i++) {
            double a = now(CLOCK_MONOTONIC);
            if (jf_triage_classify(m, rules, set.items[i].text, lens[i], 0.5, &res)) {
                fprintf(stderr, "classification failed\n");
                free(lens);
                goto out;
            }
            t = now(CLOCK_MONOTONIC);
            long b = (long)((t - a) * 1e7);
            hist[b < 0 ? 0 : b >= LAT_BUCKETS ? LAT_BUCKETS - 1 : b]++;
            correct += res.category == set.items[i].label;
        }
        done += set.n;
    }
    double wall = t - t0, cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
    free(lens);

    jf_triage_model_info info;
    jf_triage_model_describe(m, &info);
    double rate = (double)done / wall, model_mib = (double)info.bytes / (1024.0 * 1024.0);
    long hwm = proc_status_kib("VmHWM");
    printf("corpus        %s: %zu messages, %.1f bytes on average, repeated %lu times\n",
           corpus, set.n, (double)bytes / (double)set.n, done / (unsigned long)set.n);
    printf("model         %s: %s, %zu feature rows, 2^%u buckets; rules: %zu\n", model_path,
           info.kind == JF_TRIAGE_MODEL_NB   ? "naive Bayes"
           : info.kind == JF_TRIAGE_MODEL_LR ? "logistic regression"
                                             : "linear SVM",
           info.rows, info.hash_bits, jf_triage_rules_count(rules));
    printf("throughput    %lu messages in %.2f s on one thread: %.0f messages/s (%.0f per CPU "
           "second)\n",
           done, wall, rate, (double)done / cpu);
    printf("latency       mean %.2f us, p50 %.1f us, p99 %.1f us, p99.9 %.1f us\n",
           wall / (double)done * 1e6, percentile(hist, done, 0.5), percentile(hist, done, 0.99),
           percentile(hist, done, 0.999));
    printf("accuracy      %.4f on the corpus itself (the training data: a sanity check, not a "
           "measure)\n",
           (double)correct / (double)done);
    printf("memory        model %.2f MiB allocated (%zu bytes); RSS grew %ld KiB on loading "
           "it; process peak (VmHWM) %ld KiB\n",
           model_mib, info.bytes, rss_model - rss_before, hwm);
    int ok_rate = rate >= TARGET_RATE, ok_mem = model_mib <= TARGET_MODEL_MIB;
    printf("targets       throughput >= %.0f/s: %s; model <= %.0f MiB: %s\n", TARGET_RATE,
           ok_rate ? "PASS" : "FAIL", TARGET_MODEL_MIB, ok_mem ? "PASS" : "FAIL");
    rc = ok_rate && ok_mem ? 0 : 1;
out:
    free(hist);
    jf_triage_rules_free(rules);
    jf_triage_model_free(m);
    jf_triage_examples_free(&set);
    return rc;
}
