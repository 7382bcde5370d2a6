/* triage_ctx.h - what `jianfu serve` classifies and routes with, kept fresh while it runs.
 *
 * A context bundles the classification model (JIANFU_MODEL_FILE), the keyword rules
 * (JIANFU_RULES_FILE), the department router (names and aliases from the database), the
 * categories' deadlines and default departments, and the urgency words. A background
 * thread rebuilds it when the model file changes on disk (after `jianfu train`) or the
 * database's routing data changes, and swaps it in; requests hold a reference to the
 * context they started with, so a swap never pulls data from under a classification.
 *
 * Without a model file, classification is off and says so: every complaint goes to the
 * coordinators' triage queue with the reason "no classification model loaded".
 */
#ifndef JF_GATEWAY_TRIAGE_CTX_H
#define JF_GATEWAY_TRIAGE_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"

typedef struct jf_triage_holder jf_triage_holder;
typedef struct jf_triage_ctx jf_triage_ctx;

/* Why a complaint was left in the coordinators' triage queue: the "why" of its route
 * reason (by "triage"). Stored with each complaint and rendered by `jianfu show` and
 * `jianfu triage`, so a change here leaves older complaints with the old wording. A reason
 * JF_TRIAGE_WHY_BELOW also records "threshold", the JIANFU_TRIAGE_THRESHOLD the confidence
 * fell below (complaints taken in before it was recorded lack it). */
#define JF_TRIAGE_WHY_NO_MODEL "no classification model loaded"
#define JF_TRIAGE_WHY_OTHER "not a burden complaint (other): a coordinator decides"
#define JF_TRIAGE_WHY_BELOW "confidence below the threshold: a coordinator decides"
#define JF_TRIAGE_WHY_NO_DEFAULT "the category has no default department: a coordinator decides"

/* The decision for one complaint text. */
typedef struct {
    const char *category;                 /* category code, NULL when not classified */
    double confidence;                    /* -1 when not classified */
    int64_t department;                   /* 0: none (the complaint waits in triage) */
    bool assigned;                        /* status 'assigned' rather than 'triage' */
    bool urgent;                          /* urgency words matched: deadlines shortened */
    int sla_ack, sla_answer, sla_resolve; /* working days */
    jf_buf reason;                        /* JSON object: why it was routed so (caller frees) */
} jf_triage_decision;

/* jf_gateway_triage_start - build the first context and start the refresher. cfg is
 * borrowed and must outlive the holder. Fails only for a model or rules file that exists
 * but cannot be loaded (errbuf says why); an unreachable database leaves routing empty
 * until the refresher succeeds. */
jf_err jf_gateway_triage_start(const jf_config *cfg, jf_triage_holder **out, char *errbuf,
                               size_t errsz) JF_WUR;

/* jf_gateway_triage_stop - stop the refresher and free the holder. NULL allowed. */
void jf_gateway_triage_stop(jf_triage_holder *h);

/* jf_gateway_triage_acquire / _release - a reference to the current context. */
jf_triage_ctx *jf_gateway_triage_acquire(jf_triage_holder *h);
void jf_gateway_triage_release(jf_triage_ctx *c);

/* jf_gateway_triage_decide - classify and route len bytes of (redacted) text with c.
 * d->reason is initialised here; free it with jf_buf_free. Thread-safe. */
jf_err jf_gateway_triage_decide(const jf_triage_ctx *c, const jf_config *cfg, const char *text,
                                size_t len, jf_triage_decision *d) JF_WUR;

/* jf_gateway_triage_name_form - the normal form routing matches names in (digits kept,
 * see jf_triage_normalize_names) of len bytes of s, in a fresh NUL-terminated buffer the
 * caller frees; never longer than s. *outlen (may be NULL) receives its length. NULL when
 * out of memory, or when s normalises to nothing (a name of only punctuation). */
char *jf_gateway_triage_name_form(const char *s, size_t len, size_t *outlen);

/* jf_gateway_triage_load_routing - a context built once from the database alone (routing
 * data, no model or rules), for command-line tools; release it with
 * jf_gateway_triage_release. */
jf_err jf_gateway_triage_load_routing(PGconn *conn, jf_triage_ctx **out, char *errbuf,
                                      size_t errsz) JF_WUR;

/* jf_gateway_triage_department - the code of the department a message of this category
 * (a jf_triage_category), classified with or without confidence below the threshold, and
 * with this text would be routed to by c; NULL when it would wait in triage. The same
 * rule as intake: 'other' and low confidence go to triage, a department the text names
 * beats the category's default. */
const char *jf_gateway_triage_department(const jf_triage_ctx *c, int category, bool below,
                                         const char *text, size_t len);

#endif
