/* intake.c - group-committed, idempotent complaint intake over libpq pipelines. */
#include "intake.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/db.h"

#define INTAKE_STMT "jf_intake"
#define INTAKE_NPARAMS 20
#define INTAKE_MAX_COMMITTERS 16

static const char intake_sql[] =
    "SELECT code, extract(epoch FROM answer_due)::bigint, created FROM jf_intake("
    "$1, $2, $3, $4, $5::bytea, $6, $7, $8::integer, $9::timestamptz, $10::timestamptz,"
    " $11::timestamptz, $12::timestamptz, $13, $14::bytea, $15, $16, $17::real,"
    " $18::bigint, $19::boolean, $20::jsonb)";

struct jf_store_intake {
    const char *conninfo;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    jf_store_intake_job *head, *tail; /* FIFO of waiting jobs, guarded by lock */
    size_t queued;                    /* guarded by lock */
    bool stopping;                    /* guarded by lock */
    int nthreads;
    pthread_t threads[INTAKE_MAX_COMMITTERS];
};

/* Text and binary parameter values of one job; the timestamp strings live here. */
typedef struct {
    char redactions[16];
    char confidence[32];
    char department[24];
    char ts[4][JF_RFC3339_LEN];
    const char *values[INTAKE_NPARAMS];
    int lengths[INTAKE_NPARAMS];
    int formats[INTAKE_NPARAMS];
} intake_params;

static void params_fill(intake_params *p, const jf_store_intake_job *j)
{
    snprintf(p->redactions, sizeof p->redactions, "%d", j->redactions);
    snprintf(p->confidence, sizeof p->confidence, "%.6f", j->confidence);
    snprintf(p->department, sizeof p->department, "%lld", (long long)j->department_id);
    jf_clock_format_cst(j->received_at, p->ts[0]);
    jf_clock_format_cst(j->ack_due, p->ts[1]);
    jf_clock_format_cst(j->answer_due, p->ts[2]);
    jf_clock_format_cst(j->resolve_due, p->ts[3]);
    const char *v[INTAKE_NPARAMS] = {j->kind,
                                     j->channel,
                                     j->msg_id,
                                     j->code,
                                     (const char *)j->reporter_key,
                                     j->pseudonym_kid,
                                     j->body,
                                     p->redactions,
                                     p->ts[0],
                                     p->ts[1],
                                     p->ts[2],
                                     p->ts[3],
                                     j->seal_kid,
                                     (const char *)j->sealed,
                                     j->ack,
                                     j->category,
                                     j->confidence >= 0 ? p->confidence : NULL,
                                     j->department_id ? p->department : NULL,
                                     j->urgent ? "true" : "false",
                                     j->route_reason};
    for (int i = 0; i < INTAKE_NPARAMS; i++) {
        p->values[i] = v[i];
        p->lengths[i] = 0;
        p->formats[i] = 0;
    }
    /* The two bytea parameters go in binary so no escaping is needed. */
    p->lengths[4] = 32;
    p->formats[4] = 1;
    p->lengths[13] = (int)j->sealed_len;
    p->formats[13] = 1;
}

/* Copy the row of a successful jf_intake() call into the job. */
static jf_err take_result(PGconn *conn, const PGresult *res, jf_store_intake_job *j)
{
    jf_err err = jf_store_result_err(conn, res);
    if (err)
        return err;
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
        return JF_ERR_DB;
    snprintf(j->result_code, sizeof j->result_code, "%s", PQgetvalue(res, 0, 0));
    j->result_answer_due = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    j->created = PQgetvalue(res, 0, 2)[0] == 't';
    return JF_ERR_OK;
}

static jf_err prepare(PGconn *conn)
{
    PGresult *res = PQprepare(conn, INTAKE_STMT, intake_sql, 0, NULL);
    jf_err err = jf_store_result_err(conn, res);
    if (err) {
        char msg[256];
        jf_store_errmsg(conn, res, msg, sizeof msg);
        jf_log_error("intake.prepare_failed", "error=\"%s\"", msg);
    }
    PQclear(res);
    return err;
}

jf_err jf_store_intake_run_one(PGconn *conn, jf_store_intake_job *job)
{
    intake_params p;
    params_fill(&p, job);
    PGresult *res =
        PQexecParams(conn, intake_sql, INTAKE_NPARAMS, NULL, p.values, p.lengths, p.formats, 0);
    job->err = take_result(conn, res, job);
    if (job->err && job->err != JF_ERR_EXISTS) {
        char msg[256];
        jf_store_errmsg(conn, res, msg, sizeof msg);
        jf_log_warn("intake.job_failed", "error=%s detail=\"%s\"", jf_errname(job->err), msg);
    }
    PQclear(res);
    return job->err;
}

/* Read the next result of a pipeline, and the NULL that ends it. */
static PGresult *next_result(PGconn *conn)
{
    PGresult *res = PQgetResult(conn);
    if (res && PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
        PGresult *end = PQgetResult(conn);
        PQclear(end);
    }
    return res;
}

/* Store a batch of n jobs in one pipelined transaction. Returns JF_ERR_OK when all
 * committed, JF_ERR_DB_UNAVAILABLE when the connection failed (outcome unknown to the
 * client; idempotency makes a retry safe), JF_ERR_DB when a job failed and the batch
 * was rolled back. */
static jf_err run_batch(PGconn *conn, jf_store_intake_job **jobs, int n)
{
    jf_err err = JF_ERR_DB_UNAVAILABLE;
    jf_err job_err = JF_ERR_OK;
    intake_params *p = calloc((size_t)n, sizeof *p);
    if (!p)
        return JF_ERR_NOMEM;

    if (!PQenterPipelineMode(conn))
        goto out;
    if (!PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
        goto out_pipeline;
    for (int i = 0; i < n; i++) {
        params_fill(&p[i], jobs[i]);
        if (!PQsendQueryPrepared(conn, INTAKE_STMT, INTAKE_NPARAMS, p[i].values, p[i].lengths,
                                 p[i].formats, 0))
            goto out_pipeline;
    }
    if (!PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0))
        goto out_pipeline;
    if (!PQpipelineSync(conn))
        goto out_pipeline;

    PGresult *res = next_result(conn);
    jf_err begin_err = jf_store_result_err(conn, res);
    PQclear(res);
    for (int i = 0; i < n; i++) {
        res = next_result(conn);
        jf_err e = take_result(conn, res, jobs[i]);
        if (e && !job_err) {
            job_err = e;
            if (PQresultStatus(res) == PGRES_FATAL_ERROR) {
                char msg[256];
                jf_store_errmsg(conn, res, msg, sizeof msg);
                jf_log_warn("intake.batch_job_failed", "error=%s detail=\"%s\"", jf_errname(e),
                            msg);
            }
        }
        PQclear(res);
    }
    res = next_result(conn);
    jf_err commit_err = jf_store_result_err(conn, res);
    PQclear(res);
    res = PQgetResult(conn); /* the PGRES_PIPELINE_SYNC */
    PQclear(res);

    if (begin_err == JF_ERR_DB_UNAVAILABLE || commit_err == JF_ERR_DB_UNAVAILABLE ||
        job_err == JF_ERR_DB_UNAVAILABLE || PQstatus(conn) != CONNECTION_OK)
        err = JF_ERR_DB_UNAVAILABLE;
    else if (begin_err || job_err || commit_err)
        err = JF_ERR_DB;
    else
        err = JF_ERR_OK;

out_pipeline:
    PQexitPipelineMode(conn);
out:
    if (err && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        jf_store_rollback(conn);
    free(p);
    return err;
}

/* Make sure *connp is an open connection with the intake statement prepared. */
static jf_err ensure_connection(jf_store_intake *in, PGconn **connp)
{
    char msg[256] = "";
    if (*connp && PQstatus(*connp) == CONNECTION_OK)
        return JF_ERR_OK;
    PQfinish(*connp);
    *connp = NULL;
    jf_err err = jf_store_connect(in->conninfo, connp, msg, sizeof msg);
    if (err) {
        jf_log_warn("intake.db_unavailable", "error=\"%s\"", msg);
        return err;
    }
    err = prepare(*connp);
    if (err) {
        PQfinish(*connp);
        *connp = NULL;
    }
    return err;
}

static void process(jf_store_intake *in, PGconn **connp, jf_store_intake_job **jobs, int n)
{
    int64_t t0 = jf_clock_mono_ms();
    bool reused = *connp && PQstatus(*connp) == CONNECTION_OK;

    jf_err err = ensure_connection(in, connp);
    if (!err)
        err = run_batch(*connp, jobs, n);
    if (err == JF_ERR_DB_UNAVAILABLE && reused) {
        /* libpq reports a connection the server has since closed (a restart, a failover)
         * as open until it is used. A batch that failed on such a reused connection is
         * retried once on a fresh one; jf_intake is idempotent, so even a batch whose
         * COMMIT reached the old server is stored only once. */
        jf_log_info("intake.reconnect", "jobs=%d", n);
        PQfinish(*connp);
        *connp = NULL;
        err = ensure_connection(in, connp);
        if (!err)
            err = run_batch(*connp, jobs, n);
    }
    if (err == JF_ERR_DB && *connp) {
        /* One job spoiled the batch: give each its own transaction so the others land. */
        for (int i = 0; i < n; i++)
            jf_store_intake_run_one(*connp, jobs[i]); /* result is in jobs[i]->err */
    } else {
        for (int i = 0; i < n; i++)
            jobs[i]->err = err;
    }
    if (err == JF_ERR_DB_UNAVAILABLE && *connp) {
        PQfinish(*connp);
        *connp = NULL;
    }
    jf_log_debug("intake.batch", "jobs=%d ms=%lld result=%s", n,
                 (long long)(jf_clock_mono_ms() - t0), jf_errname(err));
    for (int i = 0; i < n; i++)
        jobs[i]->done(jobs[i], jobs[i]->done_arg);
}

static void *committer_main(void *arg)
{
    jf_store_intake *in = arg;
    PGconn *conn = NULL;
    jf_store_intake_job *jobs[JF_STORE_INTAKE_MAX_BATCH];

    /* Connect now rather than on the first job, so that the first requests after a start
     * or deploy do not pay for it; a database that is down is retried per batch. */
    if (ensure_connection(in, &conn) != JF_ERR_OK)
        jf_log_warn("intake.start_without_db", "%s", "will connect on the first batch");

    for (;;) {
        int n = 0;
        pthread_mutex_lock(&in->lock);
        while (!in->head && !in->stopping)
            pthread_cond_wait(&in->wake, &in->lock);
        if (!in->head && in->stopping) {
            pthread_mutex_unlock(&in->lock);
            break;
        }
        while (in->head && n < JF_STORE_INTAKE_MAX_BATCH) {
            jobs[n++] = in->head;
            in->head = in->head->next;
        }
        if (!in->head)
            in->tail = NULL;
        in->queued -= (size_t)n;
        pthread_mutex_unlock(&in->lock);

        process(in, &conn, jobs, n);
    }
    PQfinish(conn);
    return NULL;
}

jf_err jf_store_intake_start(const char *conninfo, int committers, jf_store_intake **out)
{
    jf_err err = JF_ERR_NOMEM;
    *out = NULL;
    if (committers < 1 || committers > INTAKE_MAX_COMMITTERS)
        return JF_ERR_RANGE;
    jf_store_intake *in = calloc(1, sizeof *in);
    if (!in)
        return JF_ERR_NOMEM;
    in->conninfo = conninfo;
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->wake, NULL);
    for (int i = 0; i < committers; i++) {
        if (pthread_create(&in->threads[i], NULL, committer_main, in) != 0) {
            err = JF_ERR_NOMEM;
            goto fail;
        }
        in->nthreads++;
    }
    *out = in;
    return JF_ERR_OK;
fail:
    jf_store_intake_stop(in);
    return err;
}

jf_err jf_store_intake_submit(jf_store_intake *in, jf_store_intake_job *job)
{
    jf_err err = JF_ERR_OK;
    job->next = NULL;
    job->err = JF_ERR_OK;
    job->created = false;
    job->result_code[0] = '\0';
    pthread_mutex_lock(&in->lock);
    if (in->stopping) {
        err = JF_ERR_SHUTDOWN;
    } else if (in->queued >= JF_STORE_INTAKE_MAX_QUEUE) {
        err = JF_ERR_BUSY;
    } else {
        if (in->tail)
            in->tail->next = job;
        else
            in->head = job;
        in->tail = job;
        in->queued++;
        pthread_cond_signal(&in->wake);
    }
    pthread_mutex_unlock(&in->lock);
    return err;
}

void jf_store_intake_stop(jf_store_intake *in)
{
    if (!in)
        return;
    pthread_mutex_lock(&in->lock);
    in->stopping = true;
    pthread_cond_broadcast(&in->wake);
    pthread_mutex_unlock(&in->lock);
    for (int i = 0; i < in->nthreads; i++)
        pthread_join(in->threads[i], NULL);
    pthread_cond_destroy(&in->wake);
    pthread_mutex_destroy(&in->lock);
    free(in);
}
