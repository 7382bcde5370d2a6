/* calendar.c - imported holiday notices. */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/db.h"

jf_err jf_store_calendar_put(PGconn *conn, int year, const char *notice, const char *source,
                             char *errbuf, size_t errsz)
{
    char ys[16];
    snprintf(ys, sizeof ys, "%d", year);
    const char *params[] = {ys, notice, source};
    PGresult *res = PQexecParams(conn,
                                 "INSERT INTO calendar_notices (year, notice, source)"
                                 " VALUES ($1, $2, $3)"
                                 " ON CONFLICT (year) DO UPDATE SET notice = excluded.notice,"
                                 " source = excluded.source, imported_at = now()",
                                 3, NULL, params, NULL, NULL, 0);
    jf_err err = jf_store_result_err(conn, res);
    if (err)
        jf_store_errmsg(conn, res, errbuf, errsz);
    PQclear(res);
    return err;
}

jf_err jf_store_calendar_each(PGconn *conn, jf_store_calendar_fn fn, void *arg, char *errbuf,
                              size_t errsz)
{
    PGresult *res = PQexec(conn, "SELECT year, source FROM calendar_notices ORDER BY year");
    jf_err err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    for (int i = 0; i < PQntuples(res); i++)
        if (fn((int)strtol(PQgetvalue(res, i, 0), NULL, 10), PQgetvalue(res, i, 1), arg))
            break;
out:
    PQclear(res);
    return err;
}
