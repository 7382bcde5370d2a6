/* admin.c - departments and users. */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "store/db.h"

/* Look up a department id by code into id (a decimal string). */
static jf_err dept_id(PGconn *conn, const char *code, char *id, size_t idsz, char *errbuf,
                      size_t errsz)
{
    const char *params[] = {code};
    PGresult *res = PQexecParams(conn, "SELECT id FROM departments WHERE code = $1", 1, NULL,
                                 params, NULL, NULL, 0);
    jf_err err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    if (PQntuples(res) == 0) {
        snprintf(errbuf, errsz, "no department with code '%s' (see `jianfu dept add`)", code);
        err = JF_ERR_NOTFOUND;
        goto out;
    }
    snprintf(id, idsz, "%s", PQgetvalue(res, 0, 0));
out:
    PQclear(res);
    return err;
}

/* Run one parameterised write, turning constraint failures into messages for people. */
static jf_err write_row(PGconn *conn, const char *sql, int n, const char *const *params,
                        const char *what, char *errbuf, size_t errsz)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    jf_err err = jf_store_result_err(conn, res);
    if (err == JF_ERR_EXISTS) {
        snprintf(errbuf, errsz, "%s already exists", what);
    } else if (err == JF_ERR_DB) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "23514") == 0) {
            snprintf(errbuf, errsz, "%s is not valid: %s", what,
                     PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)
                         ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)
                         : "check failed");
            err = JF_ERR_INVAL;
        } else {
            jf_store_errmsg(conn, res, errbuf, errsz);
        }
    } else if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
    }
    PQclear(res);
    return err;
}

jf_err jf_store_dept_add(PGconn *conn, const char *code, const char *name,
                         const char *parent_code, const char *const *aliases, int naliases,
                         char *errbuf, size_t errsz)
{
    char parent_id[32] = "";
    char what[320];
    jf_err err = jf_store_exec(conn, "BEGIN", errbuf, errsz);
    if (err)
        return err;
    if (parent_code) {
        err = dept_id(conn, parent_code, parent_id, sizeof parent_id, errbuf, errsz);
        if (err)
            goto out;
    }
    snprintf(what, sizeof what, "department '%s'", code);
    const char *params[] = {code, name, parent_code ? parent_id : NULL};
    err = write_row(
        conn, "INSERT INTO departments (code, name, parent_id) VALUES ($1, $2, $3::bigint)", 3,
        params, what, errbuf, errsz);
    if (err)
        goto out;
    for (int i = 0; i < naliases; i++) {
        snprintf(what, sizeof what, "alias '%s'", aliases[i]);
        const char *ap[] = {code, aliases[i]};
        err = write_row(conn,
                        "INSERT INTO department_aliases (department_id, alias)"
                        " SELECT id, $2 FROM departments WHERE code = $1",
                        2, ap, what, errbuf, errsz);
        if (err)
            goto out;
    }
    err = jf_store_exec(conn, "COMMIT", errbuf, errsz);
out:
    if (err)
        jf_store_rollback(conn);
    return err;
}

jf_err jf_store_user_add(PGconn *conn, const char *login, const char *role,
                         const char *dept_code, const char *password_hash, char *errbuf,
                         size_t errsz)
{
    char id[32] = "";
    char what[128];
    jf_err err;

    if (strcmp(role, "liaison") == 0 && !dept_code) {
        snprintf(errbuf, errsz, "a liaison needs --dept: the department whose inbox they work");
        return JF_ERR_INVAL;
    }
    if (dept_code) {
        err = dept_id(conn, dept_code, id, sizeof id, errbuf, errsz);
        if (err)
            return err;
    }
    snprintf(what, sizeof what, "user '%s'", login);
    const char *params[] = {login, role, dept_code ? id : NULL, password_hash};
    return write_row(conn,
                     "INSERT INTO users (login, role, department_id, password_hash)"
                     " VALUES ($1, $2, $3::bigint, $4)",
                     4, params, what, errbuf, errsz);
}

jf_err jf_store_dept_notify(PGconn *conn, const char *code, const char *kind, const char *url,
                            const char *secret, int triage, char *errbuf, size_t errsz)
{
    char what[128];
    snprintf(what, sizeof what, "notification robot of department '%s'", code);
    const char *params[] = {code, kind, url, secret, triage ? "true" : "false"};
    PGresult *res = PQexecParams(conn,
                                 "UPDATE departments SET notify_kind = $2, notify_url = $3,"
                                 " notify_secret = $4, notify_triage = $5::boolean"
                                 " WHERE code = $1",
                                 5, NULL, params, NULL, NULL, 0);
    jf_err err = jf_store_result_err(conn, res);
    if (err == JF_ERR_DB) {
        snprintf(errbuf, errsz, "%s is not valid (the URL must start with http:// or https://)",
                 what);
        err = JF_ERR_INVAL;
    } else if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
    } else if (strcmp(PQcmdTuples(res), "0") == 0) {
        snprintf(errbuf, errsz, "no department with code '%s'", code);
        err = JF_ERR_NOTFOUND;
    }
    PQclear(res);
    return err;
}
