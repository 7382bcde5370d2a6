/* outbox.c - claiming and settling outbox rows. */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "store/db.h"

/* Claim and lease in one statement: the CTE locks due rows, skipping those another
 * dispatcher holds, and the UPDATE moves them out of everyone's sight for the lease. */
static const char claim_sql[] =
    "WITH due AS ("
    "  SELECT id FROM outbox"
    "   WHERE status = 'pending' AND next_attempt_at <= now()"
    "   ORDER BY next_attempt_at, id"
    "   LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " UPDATE outbox o SET attempts = o.attempts + 1,"
    "        next_attempt_at = now() + make_interval(secs => $2)"
    "   FROM due WHERE o.id = due.id"
    " RETURNING o.id, o.purpose, coalesce(o.complaint_id, 0), coalesce(o.department_id, 0),"
    "   o.channel_kind, o.channel_name, o.body, o.attempts,"
    "   (SELECT c.reporter_key FROM complaints c WHERE c.id = o.complaint_id),"
    "   (SELECT s.key_id FROM sealed_addresses s WHERE s.complaint_id = o.complaint_id),"
    "   (SELECT s.sealed FROM sealed_addresses s WHERE s.complaint_id = o.complaint_id),"
    "   (SELECT d.notify_kind FROM departments d WHERE d.id = o.department_id),"
    "   (SELECT d.notify_url FROM departments d WHERE d.id = o.department_id),"
    "   (SELECT d.notify_secret FROM departments d WHERE d.id = o.department_id)";

static char *dup_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : strdup(PQgetvalue(res, row, col));
}

jf_err jf_store_outbox_claim(PGconn *conn, int max, int lease_s, jf_store_outbox_row *rows,
                             int *n)
{
    char maxs[16], lease[16];
    jf_err err;
    *n = 0;
    if (max < 1 || max > JF_STORE_OUTBOX_MAX_CLAIM || lease_s < 1)
        return JF_ERR_RANGE;
    snprintf(maxs, sizeof maxs, "%d", max);
    snprintf(lease, sizeof lease, "%d", lease_s);
    const char *params[] = {maxs, lease};
    PGresult *res = PQexecParams(conn, claim_sql, 2, NULL, params, NULL, NULL, 0);
    err = jf_store_result_err(conn, res);
    if (err)
        goto out;
    for (int i = 0; i < PQntuples(res); i++) {
        jf_store_outbox_row *r = &rows[i];
        memset(r, 0, sizeof *r);
        r->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        r->purpose = dup_value(res, i, 1);
        r->complaint_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
        r->department_id = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        r->channel_kind = dup_value(res, i, 4);
        r->channel_name = dup_value(res, i, 5);
        r->body = dup_value(res, i, 6);
        r->attempts = (int)strtol(PQgetvalue(res, i, 7), NULL, 10);
        if (!PQgetisnull(res, i, 8)) {
            size_t len = 0;
            unsigned char *rk =
                PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 8), &len);
            if (rk && len == sizeof r->reporter_key)
                memcpy(r->reporter_key, rk, len);
            PQfreemem(rk);
        }
        r->seal_kid = dup_value(res, i, 9);
        r->robot_kind = dup_value(res, i, 11);
        r->robot_url = dup_value(res, i, 12);
        r->robot_secret = dup_value(res, i, 13);
        if (!PQgetisnull(res, i, 10)) {
            size_t len = 0;
            unsigned char *b =
                PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 10), &len);
            if (b) {
                r->sealed = malloc(len);
                if (r->sealed) {
                    memcpy(r->sealed, b, len);
                    r->sealed_len = len;
                }
                jf_crypto_zeroize(b, len);
                PQfreemem(b);
            }
        }
        (*n)++;
        if (!r->purpose || !r->channel_kind || !r->channel_name || !r->body) {
            err = JF_ERR_NOMEM;
            break;
        }
    }
out:
    if (err) {
        jf_store_outbox_rows_free(rows, *n);
        *n = 0;
    }
    PQclear(res);
    return err;
}

void jf_store_outbox_rows_free(jf_store_outbox_row *rows, int n)
{
    for (int i = 0; i < n; i++) {
        jf_store_outbox_row *r = &rows[i];
        free(r->purpose);
        free(r->channel_kind);
        free(r->channel_name);
        if (r->body)
            jf_crypto_zeroize(r->body, strlen(r->body));
        free(r->body);
        free(r->seal_kid);
        free(r->robot_kind);
        if (r->robot_url)
            jf_crypto_zeroize(r->robot_url, strlen(r->robot_url));
        free(r->robot_url);
        if (r->robot_secret)
            jf_crypto_zeroize(r->robot_secret, strlen(r->robot_secret));
        free(r->robot_secret);
        jf_crypto_zeroize(r->sealed, r->sealed_len);
        free(r->sealed);
        jf_crypto_zeroize(r->reporter_key, sizeof r->reporter_key);
        memset(r, 0, sizeof *r);
    }
}

jf_err jf_store_outbox_sent(PGconn *conn, int64_t id)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids};
    return jf_store_exec_params(
        conn,
        "UPDATE outbox SET status = 'sent', sent_at = now(), last_error = NULL"
        " WHERE id = $1",
        1, p, NULL, 0);
}

jf_err jf_store_outbox_retry(PGconn *conn, int64_t id, int delay_s, const char *error)
{
    char ids[24], delay[16];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    snprintf(delay, sizeof delay, "%d", delay_s);
    const char *p[] = {ids, delay, error};
    return jf_store_exec_params(
        conn,
        "UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2),"
        " last_error = left($3, 256) WHERE id = $1 AND status = 'pending'",
        3, p, NULL, 0);
}

jf_err jf_store_outbox_dead(PGconn *conn, int64_t id, const char *error)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids, error};
    return jf_store_exec_params(
        conn, "UPDATE outbox SET status = 'dead', last_error = left($2, 256) WHERE id = $1", 2,
        p, NULL, 0);
}
