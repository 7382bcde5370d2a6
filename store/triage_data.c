/* triage_data.c - routing data, urgency words, corrections. */
#include "triage_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

/* Run a parameterless query and hand each row to visit; the query's columns are the
 * visitor's business. */
typedef int (*row_fn)(const PGresult *res, int row, void *arg);

static jf_err each_row(PGconn *conn, const char *sql, row_fn visit, void *arg, char *errbuf,
                       size_t errsz)
{
    PGresult *res = PQexec(conn, sql);
    jf_err err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    for (int i = 0; i < PQntuples(res); i++)
        if (visit(res, i, arg))
            break;
out:
    PQclear(res);
    return err;
}

typedef struct {
    void *fn;
    void *arg;
} visit_ctx;

static int visit_dept(const PGresult *res, int i, void *arg)
{
    visit_ctx *c = arg;
    return ((jf_store_dept_name_fn)c->fn)(strtoll(PQgetvalue(res, i, 0), NULL, 10),
                                          PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), c->arg);
}

jf_err jf_store_dept_names(PGconn *conn, jf_store_dept_name_fn fn, void *arg, char *errbuf,
                           size_t errsz)
{
    visit_ctx c = {(void *)fn, arg};
    return each_row(conn,
                    "SELECT d.id, d.code, d.name FROM departments d"
                    " UNION ALL SELECT d.id, d.code, a.alias FROM department_aliases a"
                    " JOIN departments d ON d.id = a.department_id ORDER BY 1, 3",
                    visit_dept, &c, errbuf, errsz);
}

static int visit_category(const PGresult *res, int i, void *arg)
{
    visit_ctx *c = arg;
    return ((jf_store_category_fn)c->fn)(PQgetvalue(res, i, 0),
                                         (int)strtol(PQgetvalue(res, i, 1), NULL, 10),
                                         (int)strtol(PQgetvalue(res, i, 2), NULL, 10),
                                         (int)strtol(PQgetvalue(res, i, 3), NULL, 10),
                                         strtoll(PQgetvalue(res, i, 4), NULL, 10), c->arg);
}

jf_err jf_store_categories(PGconn *conn, jf_store_category_fn fn, void *arg, char *errbuf,
                           size_t errsz)
{
    visit_ctx c = {(void *)fn, arg};
    return each_row(conn,
                    "SELECT code, sla_ack, sla_answer, sla_resolve,"
                    " coalesce(default_department_id, 0) FROM categories ORDER BY code",
                    visit_category, &c, errbuf, errsz);
}

static int visit_word(const PGresult *res, int i, void *arg)
{
    visit_ctx *c = arg;
    return ((jf_store_word_fn)c->fn)(PQgetvalue(res, i, 0), c->arg);
}

jf_err jf_store_urgency_words(PGconn *conn, jf_store_word_fn fn, void *arg, char *errbuf,
                              size_t errsz)
{
    visit_ctx c = {(void *)fn, arg};
    return each_row(conn, "SELECT word FROM urgency_words ORDER BY word", visit_word, &c,
                    errbuf, errsz);
}

jf_err jf_store_triage_fingerprint(PGconn *conn, char out[33], char *errbuf, size_t errsz)
{
    PGresult *res = PQexec(
        conn, "SELECT md5(concat_ws('|',"
              " (SELECT string_agg(id || ':' || code || ':' || name, ',' ORDER BY id)"
              "    FROM departments),"
              " (SELECT string_agg(department_id || ':' || alias, ',' ORDER BY alias)"
              "    FROM department_aliases),"
              " (SELECT string_agg(concat_ws(':', code, sla_ack, sla_answer, sla_resolve,"
              "    default_department_id), ',' ORDER BY code) FROM categories),"
              " (SELECT string_agg(word, ',' ORDER BY word) FROM urgency_words)))");
    jf_err err = jf_store_result_err(conn, res);
    if (err)
        jf_store_errmsg(conn, res, errbuf, errsz);
    else
        snprintf(out, 33, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return err;
}

static int visit_example(const PGresult *res, int i, void *arg)
{
    visit_ctx *c = arg;
    return ((jf_store_example_fn)c->fn)(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), c->arg);
}

jf_err jf_store_corrections_examples(PGconn *conn, jf_store_example_fn fn, void *arg,
                                     char *errbuf, size_t errsz)
{
    visit_ctx c = {(void *)fn, arg};
    return each_row(conn,
                    "SELECT DISTINCT ON (k.complaint_id) k.category, c.body"
                    "  FROM corrections k JOIN complaints c ON c.id = k.complaint_id"
                    " WHERE k.category IS NOT NULL"
                    " ORDER BY k.complaint_id, k.created_at DESC, k.id DESC",
                    visit_example, &c, errbuf, errsz);
}

jf_err jf_store_correct(PGconn *conn, const char *code, const char *category,
                        const char *dept_code, const char *reason, const char *actor,
                        char *errbuf, size_t errsz)
{
    PGresult *res = NULL;
    jf_err err = jf_store_exec(conn, "BEGIN", errbuf, errsz);
    if (err)
        return err;
    const char *p1[] = {code, category, dept_code};
    /* Lock the complaint, and resolve the names, in one statement. */
    res = PQexecParams(conn,
                       "SELECT c.id, c.category, d0.code, c.status,"
                       "  (SELECT 1 FROM categories WHERE code = $2),"
                       "  (SELECT id FROM departments WHERE code = $3)"
                       "  FROM complaints c LEFT JOIN departments d0 ON d0.id = c.department_id"
                       " WHERE c.code = $1 FOR UPDATE OF c",
                       3, NULL, p1, NULL, NULL, 0);
    err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    err = JF_ERR_NOTFOUND;
    if (PQntuples(res) == 0) {
        snprintf(errbuf, errsz, "no complaint with ticket %s", code);
        goto out;
    }
    if (category && PQgetisnull(res, 0, 4)) {
        snprintf(errbuf, errsz, "no category '%s' (the codes are in design.md)", category);
        goto out;
    }
    if (dept_code && PQgetisnull(res, 0, 5)) {
        snprintf(errbuf, errsz, "no department with code '%s'", dept_code);
        goto out;
    }
    char id[24], dept_id[24] = "";
    snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
    if (dept_code)
        snprintf(dept_id, sizeof dept_id, "%s", PQgetvalue(res, 0, 5));
    const char *old_cat = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
    const char *old_dept = PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2);
    char *oc = old_cat ? strdup(old_cat) : NULL, *od = old_dept ? strdup(old_dept) : NULL;
    PQclear(res);
    res = NULL;

    const char *p2[] = {id, category, dept_code ? dept_id : NULL};
    err = jf_store_exec_params(
        conn,
        "UPDATE complaints SET category = coalesce($2, category),"
        " department_id = coalesce($3::bigint, department_id),"
        " status = CASE WHEN $3::bigint IS NOT NULL AND status = 'triage'"
        "               THEN 'assigned' ELSE status END,"
        " route_reason = CASE WHEN $3::bigint IS NOT NULL"
        "   THEN jsonb_build_object('by', 'correction') ELSE route_reason END"
        " WHERE id = $1",
        3, p2, errbuf, errsz);
    if (err)
        goto fail;
    const char *p3[] = {id, category, dept_code ? dept_id : NULL, reason, actor};
    err = jf_store_exec_params(
        conn,
        "INSERT INTO corrections (complaint_id, category, department_id, reason,"
        " actor) VALUES ($1, $2, $3::bigint, $4, $5)",
        5, p3, errbuf, errsz);
    if (err)
        goto fail;
    const char *p4[] = {id, actor, oc, category, od, dept_code, reason};
    err = jf_store_exec_params(
        conn,
        "INSERT INTO complaint_events (complaint_id, kind, actor, detail)"
        " VALUES ($1, 'corrected', $2, jsonb_strip_nulls(jsonb_build_object("
        " 'category_from', $3::text, 'category_to', $4::text,"
        " 'department_from', $5::text, 'department_to', $6::text,"
        " 'reason', $7::text)))",
        7, p4, errbuf, errsz);
    if (err)
        goto fail;
    if (dept_code && (!od || strcmp(od, dept_code) != 0)) {
        /* The new department hears of it the way intake tells a department of a complaint
         * routed to it: through its robot, if it has one, in the same transaction. */
        const char *p5[] = {id, dept_id};
        err = jf_store_exec_params(
            conn,
            "INSERT INTO outbox (purpose, department_id, channel_kind, channel_name, body)"
            " SELECT 'notify', d.id, d.notify_kind, d.code,"
            "   format('减负直通车：反映 %s 经协调员改派至本单位，请于 %s 前签收、%s 前答复。"
            "请登录收件箱处理。', c.code,"
            "     to_char(c.ack_due AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),"
            "     to_char(c.answer_due AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'))"
            "   FROM complaints c, departments d"
            "  WHERE c.id = $1 AND d.id = $2::bigint AND d.notify_kind IS NOT NULL",
            2, p5, errbuf, errsz);
        if (err)
            goto fail;
    }
    err = jf_store_exec(conn, "COMMIT", errbuf, errsz);
fail:
    free(oc);
    free(od);
out:
    PQclear(res);
    if (err)
        jf_store_rollback(conn);
    return err;
}

jf_err jf_store_category_set(PGconn *conn, const char *code, const int *sla,
                             const char *dept_code, char *errbuf, size_t errsz)
{
    char a[16] = "", b[16] = "", c[16] = "";
    if (sla) {
        snprintf(a, sizeof a, "%d", sla[0]);
        snprintf(b, sizeof b, "%d", sla[1]);
        snprintf(c, sizeof c, "%d", sla[2]);
    }
    const char *params[] = {code, sla ? a : NULL, sla ? b : NULL, sla ? c : NULL, dept_code};
    PGresult *res = PQexecParams(
        conn,
        "WITH d AS (SELECT id FROM departments WHERE code = nullif($5, ''))"
        " UPDATE categories SET sla_ack = coalesce($2::int, sla_ack),"
        "   sla_answer = coalesce($3::int, sla_answer),"
        "   sla_resolve = coalesce($4::int, sla_resolve),"
        "   default_department_id = CASE WHEN $5 IS NULL THEN default_department_id"
        "                                ELSE (SELECT id FROM d) END"
        " WHERE code = $1 AND ($5 IS NULL OR $5 = '' OR EXISTS (SELECT 1 FROM d))"
        " RETURNING code",
        5, NULL, params, NULL, NULL, 0);
    jf_err err = jf_store_result_err(conn, res);
    if (err == JF_ERR_DB) {
        snprintf(errbuf, errsz,
                 "deadlines must be 1 <= acknowledge <= answer <= resolve <= 366");
        err = JF_ERR_INVAL;
    } else if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
    } else if (PQntuples(res) == 0) {
        snprintf(errbuf, errsz, "no category '%s'%s%s%s", code,
                 dept_code && *dept_code ? " or no department '" : "",
                 dept_code && *dept_code ? dept_code : "", dept_code && *dept_code ? "'" : "");
        err = JF_ERR_NOTFOUND;
    }
    PQclear(res);
    return err;
}
