/* coordinator.h - the coordinators' read side: one complaint with its timeline, the
 * triage queue, and how routing at intake has fared since.
 *
 * Returns only what coordinators may see: ticket code, status, channel kind, category,
 * department, confidence, urgency, the deadlines, the redacted body, why the complaint was
 * routed where it was (complaints.route_reason) and the timeline. Never the reporter key,
 * the pseudonym key id, the channel name, the sealed address or the provider's message id:
 * the queries do not select them. Event details are shown as their writers stored them,
 * minus the top-level keys of JF_STORE_EVENT_HIDDEN_KEYS, a second line of defence for a
 * future writer that puts an identifier there.
 *
 * Each function runs on a connection the caller owns; the rows handed to the callbacks are
 * borrowed for the duration of the call.
 */
#ifndef JF_STORE_COORDINATOR_H
#define JF_STORE_COORDINATOR_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Keys removed from every event detail before it is returned (a PostgreSQL text[]). */
#define JF_STORE_EVENT_HIDDEN_KEYS                                                             \
    "{reporter_key,pseudonym_kid,channel_name,provider_msg_id,msg_id,sealed,sender,address}"

/* How many characters of the body the triage queue shows. */
#define JF_STORE_EXCERPT_CHARS 40

/* Most rows jf_store_triage_queue returns in one call. */
#define JF_STORE_TRIAGE_MAX_LIMIT 10000

typedef struct {
    const char *code;
    const char *status;
    const char *channel_kind;
    const char *category;      /* NULL until classified */
    const char *category_name; /* its Chinese name; NULL likewise */
    const char *dept_code;     /* NULL while in the coordinators' triage queue */
    const char *dept_name;     /* NULL likewise */
    double confidence;         /* the classifier's, in [0, 1]; -1 when not classified */
    bool urgent;               /* urgency words shortened the deadlines */
    int redactions;            /* numbers redacted from the body */
    int64_t received_at, ack_due, answer_due, resolve_due;
    const char *body;         /* the redacted text */
    const char *route_reason; /* JSON object as intake or a correction stored it ({} if none) */
    const char *route_dept_name; /* name of the route reason's "department"; NULL if none */
} jf_store_complaint_view;

typedef struct {
    int64_t at;
    const char *kind;            /* "received", "corrected", ... */
    const char *actor;           /* "reporter", "cli", a user's login, ... */
    const char *detail;          /* JSON object */
    const char *route_dept_name; /* name of detail.route.department; NULL if none */
} jf_store_event_view;

/* Called once with the complaint, then once per event; return non-zero to stop. */
typedef int (*jf_store_complaint_fn)(const jf_store_complaint_view *c, void *arg);
typedef int (*jf_store_event_fn)(const jf_store_event_view *e, void *arg);

/* jf_store_complaint_show - complaint code (an exact ticket code: the caller upper-cases
 * what a person typed) and its timeline, oldest event first, read in one snapshot. cfn is
 * called once, then efn per event (unless cfn asked to stop). JF_ERR_NOTFOUND, with "no
 * complaint with ticket code CODE" in errbuf, when there is none. */
jf_err jf_store_complaint_show(PGconn *conn, const char *code, jf_store_complaint_fn cfn,
                               jf_store_event_fn efn, void *arg, char *errbuf,
                               size_t errsz) JF_WUR;

typedef struct {
    const char *code;
    int64_t received_at, ack_due;
    const char *category;      /* the classifier's guess; NULL when not classified */
    const char *category_name; /* its Chinese name; NULL likewise */
    double confidence;         /* -1 when not classified */
    bool urgent;
    const char *route_reason; /* JSON object as stored */
    const char *excerpt; /* the first JF_STORE_EXCERPT_CHARS characters of the redacted body,
                          * each run of white space as one space */
    bool truncated;      /* the body is longer than the excerpt */
} jf_store_triage_row;

typedef int (*jf_store_triage_fn)(const jf_store_triage_row *row, void *arg);

/* jf_store_triage_queue - the complaints in status 'triage', oldest first (received_at,
 * which has whole seconds, then the order they were stored in), at most limit of them (0: all;
 * JF_ERR_INVAL above JF_STORE_TRIAGE_MAX_LIMIT). *total (may be NULL) gets how many are in the
 * queue whatever the limit, before the first call of fn, so fn may print it as a header. */
jf_err jf_store_triage_queue(PGconn *conn, int limit, jf_store_triage_fn fn, void *arg,
                             int64_t *total, char *errbuf, size_t errsz) JF_WUR;

typedef struct {
    const char *status0;   /* "assigned" or "triage" as intake left it; NULL for a
                            * complaint stored before intake recorded it, or without a
                            * received event */
    const char *by0;       /* intake's route reason "by": named, category, triage; or NULL */
    const char *why0;      /* its "why" (why the complaint was left for triage); or NULL */
    const char *category0; /* the classifier's category at intake; NULL if not classified */
    const char *category;  /* the category now (a coordinator may have changed it) */
    bool dept_changed;     /* the department now is not the one intake recorded choosing */
    bool corrected;        /* at least one coordinator's correction is recorded */
    bool waiting;          /* still in the triage queue */
    int64_t count;         /* how many complaints share all of the above */
} jf_store_routing_group;

typedef int (*jf_store_routing_fn)(const jf_store_routing_group *g, void *arg);

/* jf_store_routing_stats - the complaints received in [since, until) (seconds since the
 * epoch; since < 0: from the first, until < 0: to now), counted in groups of what intake
 * decided and what they are now; fn is called once per group (none when there are no
 * complaints), in no particular order. Reads only the received event's route reason, the
 * categories, the departments and whether corrections exist: no text, no identifier. */
jf_err jf_store_routing_stats(PGconn *conn, int64_t since, int64_t until,
                              jf_store_routing_fn fn, void *arg, char *errbuf,
                              size_t errsz) JF_WUR;

#endif
