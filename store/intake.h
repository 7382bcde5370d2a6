/* intake.h - durable, idempotent intake of complaints with group commit.
 *
 * Request threads submit jobs; a small pool of committer threads, each with its own
 * connection, takes every job waiting (up to JF_STORE_INTAKE_MAX_BATCH) and stores them
 * in one transaction sent as one libpq pipeline: BEGIN, one jf_intake() call per job,
 * COMMIT. Concurrent requests thus share one commit, so throughput is bounded by the
 * database's commit rate rather than by one commit per request. A job's done callback
 * runs only after its transaction has committed (err == JF_ERR_OK) or definitely failed,
 * so a provider is never acknowledged for a complaint that is not durable.
 *
 * Idempotency: a job whose (kind, channel, msg_id) was stored before returns the earlier
 * complaint's ticket with created == false, also when both deliveries race.
 *
 * If one job in a batch fails, the batch is rolled back and each job is retried in its own
 * transaction, so one bad job cannot fail its neighbours. If the database is unreachable,
 * every job of the batch fails with JF_ERR_DB_UNAVAILABLE and the next batch reconnects.
 *
 * Thread-safe: any thread may submit; done callbacks run on a committer thread and must
 * not block.
 */
#ifndef JF_STORE_INTAKE_H
#define JF_STORE_INTAKE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define JF_STORE_INTAKE_MAX_BATCH 128
#define JF_STORE_INTAKE_MAX_QUEUE 4096
#define JF_STORE_CODE_MAX 32

typedef struct jf_store_intake jf_store_intake;
typedef struct jf_store_intake_job jf_store_intake_job;

/* Called once per job on a committer thread when the job is finished. */
typedef void (*jf_store_intake_done_fn)(jf_store_intake_job *job, void *arg);

struct jf_store_intake_job {
    /* Inputs: all borrowed, and must stay valid until done is called. */
    const char *kind;
    const char *channel;
    const char *msg_id;
    const char *code;            /* fresh candidate ticket code */
    const uint8_t *reporter_key; /* 32 bytes */
    const char *pseudonym_kid;
    const char *body; /* redacted text */
    int redactions;
    int64_t received_at, ack_due, answer_due, resolve_due; /* Unix seconds */
    const char *seal_kid;
    const uint8_t *sealed;
    size_t sealed_len;
    /* The acknowledgement to queue in the outbox with the complaint, for providers whose
     * HTTP answer cannot carry it; NULL when the answer carries it. */
    const char *ack;
    /* Classification and routing (see gateway/triage_ctx.h): category code or NULL,
     * confidence or -1, department id or 0 (then the complaint waits in triage), whether
     * urgency words shortened the deadlines, and the JSON reason shown to coordinators. */
    const char *category;
    double confidence;
    int64_t department_id;
    bool urgent;
    const char *route_reason;
    jf_store_intake_done_fn done;
    void *done_arg;

    /* Outputs, valid in done. err: JF_ERR_OK, JF_ERR_DB_UNAVAILABLE (retry later),
     * JF_ERR_EXISTS (the candidate ticket code is taken: draw another, submit again),
     * JF_ERR_DB (the database refused the row), JF_ERR_SHUTDOWN. */
    jf_err err;
    char result_code[JF_STORE_CODE_MAX];
    int64_t result_answer_due;
    bool created;

    jf_store_intake_job *next; /* internal */
};

/* jf_store_intake_start - start committers threads on conninfo (borrowed; must outlive the
 * intake). Connections are opened lazily, so a database that is down at start-up only
 * makes jobs fail with JF_ERR_DB_UNAVAILABLE until it is back. */
jf_err jf_store_intake_start(const char *conninfo, int committers,
                             jf_store_intake **out) JF_WUR;

/* jf_store_intake_submit - queue job. Returns JF_ERR_OK when done will be called later;
 * JF_ERR_BUSY when JF_STORE_INTAKE_MAX_QUEUE jobs are already waiting and JF_ERR_SHUTDOWN
 * after stop, in which cases done is never called. */
jf_err jf_store_intake_submit(jf_store_intake *in, jf_store_intake_job *job) JF_WUR;

/* jf_store_intake_stop - finish every queued job, stop the threads, free everything. */
void jf_store_intake_stop(jf_store_intake *in);

/* jf_store_intake_run_one - store one job synchronously on conn (used by tools and
 * tests); fills the job's outputs and does not call done. */
jf_err jf_store_intake_run_one(PGconn *conn, jf_store_intake_job *job);

#endif
