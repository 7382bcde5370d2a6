/* overdue.c - listing missed deadlines. */
#include "overdue.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/db.h"

/* A deadline is missed when it has passed and the step it guards has not happened:
 * acknowledging, answering, resolving. A complaint that is resolved or closed is not
 * open and owes nothing. */
static const char overdue_sql[] =
    "WITH open AS ("
    "  SELECT c.*, d.code AS dept_code, d.name AS dept_name"
    "    FROM complaints c LEFT JOIN departments d ON d.id = c.department_id"
    "   WHERE c.status NOT IN ('resolved', 'closed')"
    "     AND ($2::text IS NULL OR d.code = $2))"
    " SELECT code, dept_code, dept_name, category, channel_kind, status, deadline,"
    "        extract(epoch FROM received_at)::bigint, extract(epoch FROM due)::bigint"
    "   FROM ("
    "     SELECT o.*, 'acknowledge' AS deadline, o.ack_due AS due FROM open o"
    "      WHERE o.ack_due < to_timestamp($1) AND o.acknowledged_at IS NULL"
    "     UNION ALL"
    "     SELECT o.*, 'answer', o.answer_due FROM open o"
    "      WHERE o.answer_due < to_timestamp($1) AND o.answered_at IS NULL"
    "     UNION ALL"
    "     SELECT o.*, 'resolve', o.resolve_due FROM open o"
    "      WHERE o.resolve_due < to_timestamp($1)) x"
    "  ORDER BY due, code";

jf_err jf_store_overdue(PGconn *conn, int64_t at, const char *dept_code, jf_store_overdue_fn fn,
                        void *arg, char *errbuf, size_t errsz)
{
    PGresult *res = NULL;
    jf_err err;
    char atbuf[32];

    if (dept_code) {
        const char *p[] = {dept_code};
        res = PQexecParams(conn, "SELECT 1 FROM departments WHERE code = $1", 1, NULL, p, NULL,
                           NULL, 0);
        err = jf_store_result_err(conn, res);
        if (err) {
            jf_store_errmsg(conn, res, errbuf, errsz);
            goto out;
        }
        if (PQntuples(res) == 0) {
            snprintf(errbuf, errsz, "no department with code '%s'", dept_code);
            err = JF_ERR_NOTFOUND;
            goto out;
        }
        PQclear(res);
    }
    snprintf(atbuf, sizeof atbuf, "%lld", (long long)at);
    const char *params[] = {atbuf, dept_code};
    res = PQexecParams(conn, overdue_sql, 2, NULL, params, NULL, NULL, 0);
    err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        jf_store_overdue_row row = {
            .code = PQgetvalue(res, i, 0),
            .dept_code = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1),
            .dept_name = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
            .category = PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
            .channel_kind = PQgetvalue(res, i, 4),
            .status = PQgetvalue(res, i, 5),
            .deadline = PQgetvalue(res, i, 6),
            .received_at = strtoll(PQgetvalue(res, i, 7), NULL, 10),
            .due = strtoll(PQgetvalue(res, i, 8), NULL, 10),
        };
        if (fn(&row, arg))
            break;
    }
out:
    PQclear(res);
    return err;
}
