/* coordinator.c - reading one complaint with its timeline, the triage queue, and how
 * routing at intake has fared. */
#include "coordinator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

/* The column list is spelt out: reporter_key, pseudonym_kid, channel_name and the sealed
 * address are never selected (see coordinator.h). */
static const char complaint_sql[] =
    "SELECT c.code, c.status, c.channel_kind, c.category, k.name_zh, d.code, d.name,"
    "       c.confidence, c.urgent, c.redactions,"
    "       extract(epoch FROM c.received_at)::bigint, extract(epoch FROM c.ack_due)::bigint,"
    "       extract(epoch FROM c.answer_due)::bigint, extract(epoch FROM "
    "c.resolve_due)::bigint,"
    "       c.body, c.route_reason::text,"
    "       (SELECT name FROM departments WHERE code = c.route_reason->>'department'),"
    "       c.id"
    "  FROM complaints c"
    "  LEFT JOIN departments d ON d.id = c.department_id"
    "  LEFT JOIN categories k ON k.code = c.category"
    " WHERE c.code = $1";

static const char events_sql[] =
    "SELECT extract(epoch FROM e.at)::bigint, e.kind, e.actor,"
    "       (e.detail - '" JF_STORE_EVENT_HIDDEN_KEYS "'::text[])::text,"
    "       (SELECT name FROM departments WHERE code = e.detail->'route'->>'department')"
    "  FROM complaint_events e"
    " WHERE e.complaint_id = $1"
    " ORDER BY e.id";

/* Oldest first: the queue is worked in order of arrival, and the oldest is nearest its
 * acknowledgement deadline. The excerpt is cut in characters, not bytes, so a Chinese
 * character is never split. */
static const char triage_sql[] =
    "SELECT c.code, extract(epoch FROM c.received_at)::bigint,"
    "       extract(epoch FROM c.ack_due)::bigint, c.category, k.name_zh,"
    "       c.confidence, c.urgent, c.route_reason::text,"
    "       btrim(regexp_replace(left(c.body, $2::int), '[[:space:]\\u3000]+', ' ', 'g')),"
    "       length(c.body) > $2::int, count(*) OVER ()"
    "  FROM complaints c LEFT JOIN categories k ON k.code = c.category"
    " WHERE c.status = 'triage'"
    " ORDER BY c.received_at, c.id"
    " LIMIT $1::int";

/* What intake decided is in the 'received' event it wrote in the same transaction as the
 * complaint (detail.status and detail.route); what the complaint is now is in the complaint
 * itself, which a correction updates. */
static const char routing_sql[] =
    "SELECT e.detail->>'status', e.detail->'route'->>'by', e.detail->'route'->>'why',"
    "       e.detail->'route'->>'category', c.category,"
    "       e.detail->'route' ? 'department'"
    "         AND d.code IS DISTINCT FROM e.detail->'route'->>'department',"
    "       EXISTS (SELECT 1 FROM corrections k WHERE k.complaint_id = c.id),"
    "       c.status = 'triage', count(*)"
    "  FROM complaints c"
    "  LEFT JOIN complaint_events e ON e.complaint_id = c.id AND e.kind = 'received'"
    "  LEFT JOIN departments d ON d.id = c.department_id"
    " WHERE ($1::bigint IS NULL OR c.received_at >= to_timestamp($1::bigint))"
    "   AND ($2::bigint IS NULL OR c.received_at < to_timestamp($2::bigint))"
    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8";

static const char *nullable(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int64_t int_at(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static double confidence_at(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? -1.0 : strtod(PQgetvalue(res, row, col), NULL);
}

static bool bool_at(const PGresult *res, int row, int col)
{
    return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

jf_err jf_store_complaint_show(PGconn *conn, const char *code, jf_store_complaint_fn cfn,
                               jf_store_event_fn efn, void *arg, char *errbuf, size_t errsz)
{
    PGresult *res = NULL, *ev = NULL;
    bool in_tx = false;
    /* One snapshot, so the timeline is the one of the complaint shown. */
    jf_err err =
        jf_store_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", errbuf, errsz);
    if (err)
        goto out;
    in_tx = true;
    const char *p1[] = {code};
    res = PQexecParams(conn, complaint_sql, 1, NULL, p1, NULL, NULL, 0);
    err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    if (PQntuples(res) == 0) {
        snprintf(errbuf, errsz, "no complaint with ticket code %s", code);
        err = JF_ERR_NOTFOUND;
        goto out;
    }
    const char *p2[] = {PQgetvalue(res, 0, 17)};
    ev = PQexecParams(conn, events_sql, 1, NULL, p2, NULL, NULL, 0);
    err = jf_store_result_err(conn, ev);
    if (err) {
        jf_store_errmsg(conn, ev, errbuf, errsz);
        goto out;
    }
    err = jf_store_exec(conn, "COMMIT", errbuf, errsz);
    if (err)
        goto out;
    in_tx = false;

    jf_store_complaint_view c = {
        .code = PQgetvalue(res, 0, 0),
        .status = PQgetvalue(res, 0, 1),
        .channel_kind = PQgetvalue(res, 0, 2),
        .category = nullable(res, 0, 3),
        .category_name = nullable(res, 0, 4),
        .dept_code = nullable(res, 0, 5),
        .dept_name = nullable(res, 0, 6),
        .confidence = confidence_at(res, 0, 7),
        .urgent = bool_at(res, 0, 8),
        .redactions = (int)int_at(res, 0, 9),
        .received_at = int_at(res, 0, 10),
        .ack_due = int_at(res, 0, 11),
        .answer_due = int_at(res, 0, 12),
        .resolve_due = int_at(res, 0, 13),
        .body = PQgetvalue(res, 0, 14),
        .route_reason = PQgetvalue(res, 0, 15),
        .route_dept_name = nullable(res, 0, 16),
    };
    if (cfn(&c, arg))
        goto out;
    for (int i = 0; i < PQntuples(ev); i++) {
        jf_store_event_view e = {
            .at = int_at(ev, i, 0),
            .kind = PQgetvalue(ev, i, 1),
            .actor = PQgetvalue(ev, i, 2),
            .detail = PQgetvalue(ev, i, 3),
            .route_dept_name = nullable(ev, i, 4),
        };
        if (efn(&e, arg))
            break;
    }
out:
    if (in_tx)
        jf_store_rollback(conn);
    PQclear(ev);
    PQclear(res);
    return err;
}

jf_err jf_store_triage_queue(PGconn *conn, int limit, jf_store_triage_fn fn, void *arg,
                             int64_t *total, char *errbuf, size_t errsz)
{
    char limbuf[16], excerpt[16];
    if (total)
        *total = 0;
    if (limit < 0 || limit > JF_STORE_TRIAGE_MAX_LIMIT) {
        snprintf(errbuf, errsz, "the limit must be from 1 to %d", JF_STORE_TRIAGE_MAX_LIMIT);
        return JF_ERR_INVAL;
    }
    snprintf(limbuf, sizeof limbuf, "%d", limit);
    snprintf(excerpt, sizeof excerpt, "%d", JF_STORE_EXCERPT_CHARS);
    /* LIMIT NULL is no limit. */
    const char *params[] = {limit ? limbuf : NULL, excerpt};
    PGresult *res = PQexecParams(conn, triage_sql, 2, NULL, params, NULL, NULL, 0);
    jf_err err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    if (total && PQntuples(res) > 0)
        *total = int_at(res, 0, 10);
    for (int i = 0; i < PQntuples(res); i++) {
        jf_store_triage_row row = {
            .code = PQgetvalue(res, i, 0),
            .received_at = int_at(res, i, 1),
            .ack_due = int_at(res, i, 2),
            .category = nullable(res, i, 3),
            .category_name = nullable(res, i, 4),
            .confidence = confidence_at(res, i, 5),
            .urgent = bool_at(res, i, 6),
            .route_reason = PQgetvalue(res, i, 7),
            .excerpt = PQgetvalue(res, i, 8),
            .truncated = bool_at(res, i, 9),
        };
        if (fn(&row, arg))
            break;
    }
out:
    PQclear(res);
    return err;
}

jf_err jf_store_routing_stats(PGconn *conn, int64_t since, int64_t until,
                              jf_store_routing_fn fn, void *arg, char *errbuf, size_t errsz)
{
    char sb[24], ub[24];
    snprintf(sb, sizeof sb, "%lld", (long long)since);
    snprintf(ub, sizeof ub, "%lld", (long long)until);
    const char *params[] = {since < 0 ? NULL : sb, until < 0 ? NULL : ub};
    PGresult *res = PQexecParams(conn, routing_sql, 2, NULL, params, NULL, NULL, 0);
    jf_err err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        jf_store_routing_group g = {
            .status0 = nullable(res, i, 0),
            .by0 = nullable(res, i, 1),
            .why0 = nullable(res, i, 2),
            .category0 = nullable(res, i, 3),
            .category = nullable(res, i, 4),
            .dept_changed = bool_at(res, i, 5),
            .corrected = bool_at(res, i, 6),
            .waiting = bool_at(res, i, 7),
            .count = int_at(res, i, 8),
        };
        if (fn(&g, arg))
            break;
    }
out:
    PQclear(res);
    return err;
}
