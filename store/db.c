/* db.c - PostgreSQL connections and error classification. */
#include "db.h"

#include "core/log.h"

#include <stdio.h>
#include <string.h>

void jf_store_errmsg(PGconn *conn, const PGresult *res, char *errbuf, size_t errsz)
{
    if (!errbuf || errsz == 0)
        return;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg)
        msg = conn ? PQerrorMessage(conn) : "no connection";
    snprintf(errbuf, errsz, "%s", msg);
    for (char *p = errbuf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t n = strlen(errbuf);
    while (n > 0 && errbuf[n - 1] == ' ')
        errbuf[--n] = '\0';
}

jf_err jf_store_connect(const char *conninfo, PGconn **out, char *errbuf, size_t errsz)
{
    /* connect_timeout and application_name come first so that the operator's conninfo,
     * expanded from dbname, can override them. */
    const char *const keys[] = {"connect_timeout", "application_name", "options", "dbname",
                                NULL};
    const char *const vals[] = {JF_STORE_CONNECT_TIMEOUT, "jianfu",
                                "-c client_min_messages=warning", conninfo, NULL};

    *out = NULL;
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        if (errbuf && errsz)
            snprintf(errbuf, errsz, "out of memory creating a database connection");
        return JF_ERR_NOMEM;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        jf_store_errmsg(conn, NULL, errbuf, errsz);
        PQfinish(conn);
        return JF_ERR_DB_UNAVAILABLE;
    }
    *out = conn;
    return JF_ERR_OK;
}

jf_err jf_store_result_err(PGconn *conn, const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_PIPELINE_SYNC)
        return JF_ERR_OK;
    if (PQstatus(conn) != CONNECTION_OK)
        return JF_ERR_DB_UNAVAILABLE;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        return JF_ERR_DB_UNAVAILABLE;
    if (strcmp(state, "23505") == 0)
        return JF_ERR_EXISTS;
    /* Class 08 (connection exception), 57P01..57P03 (admin shutdown, crash shutdown,
     * cannot connect now) and 53 (insufficient resources) mean: try again later. */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        strncmp(state, "53", 2) == 0)
        return JF_ERR_DB_UNAVAILABLE;
    return JF_ERR_DB;
}

jf_err jf_store_exec(PGconn *conn, const char *sql, char *errbuf, size_t errsz)
{
    PGresult *res = PQexec(conn, sql);
    jf_err err = jf_store_result_err(conn, res);
    if (err)
        jf_store_errmsg(conn, res, errbuf, errsz);
    PQclear(res);
    return err;
}

jf_err jf_store_exec_params(PGconn *conn, const char *sql, int n, const char *const *params,
                            char *errbuf, size_t errsz)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    jf_err err = jf_store_result_err(conn, res);
    if (err)
        jf_store_errmsg(conn, res, errbuf, errsz);
    PQclear(res);
    return err;
}

void jf_store_rollback(PGconn *conn)
{
    char msg[256];
    if (jf_store_exec(conn, "ROLLBACK", msg, sizeof msg))
        jf_log_warn("db.rollback_failed", "error=\"%s\"", msg);
}
