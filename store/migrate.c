/* migrate.c - applying embedded migrations under an advisory lock. */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/db.h"

/* An arbitrary constant that names jianfu's migration lock ("jianfu" in ASCII). */
#define MIGRATE_LOCK_KEY "106105097110102117"

int jf_store_schema_target(void)
{
    return jf_store_migrations_count;
}

jf_err jf_store_schema_version(PGconn *conn, int *version, char *errbuf, size_t errsz)
{
    jf_err err;
    PGresult *res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        *version = 0;
        goto out;
    }
    PQclear(res);
    res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    err = jf_store_result_err(conn, res);
    if (err) {
        jf_store_errmsg(conn, res, errbuf, errsz);
        goto out;
    }
    *version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
out:
    PQclear(res);
    return err;
}

jf_err jf_store_schema_check(PGconn *conn, char *errbuf, size_t errsz)
{
    int version = 0;
    int target = jf_store_schema_target();
    jf_err err = jf_store_schema_version(conn, &version, errbuf, errsz);
    if (err)
        return err;
    if (version < target) {
        snprintf(
            errbuf, errsz,
            "database schema is at version %d but this binary needs %d: run `jianfu migrate`",
            version, target);
        return JF_ERR_SCHEMA;
    }
    if (version > target) {
        snprintf(errbuf, errsz,
                 "database schema is at version %d, newer than this binary's %d: "
                 "deploy the jianfu binary that matches the database",
                 version, target);
        return JF_ERR_SCHEMA;
    }
    return JF_ERR_OK;
}

static jf_err apply_one(PGconn *conn, const jf_store_migration *m, char *errbuf, size_t errsz)
{
    jf_err err = jf_store_exec(conn, "BEGIN", errbuf, errsz);
    if (err)
        return err;
    err = jf_store_exec(conn, m->sql, errbuf, errsz);
    if (err)
        goto rollback;

    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *params[] = {version, m->name};
    PGresult *res =
        PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                     NULL, params, NULL, NULL, 0);
    err = jf_store_result_err(conn, res);
    if (err)
        jf_store_errmsg(conn, res, errbuf, errsz);
    PQclear(res);
    if (err)
        goto rollback;
    return jf_store_exec(conn, "COMMIT", errbuf, errsz);

rollback:
    jf_store_rollback(conn);
    return err;
}

jf_err jf_store_migrate(PGconn *conn, int *applied, char *errbuf, size_t errsz)
{
    int version = 0, count = 0;
    int target = jf_store_schema_target();
    jf_err err =
        jf_store_exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", errbuf, errsz);
    if (err)
        return err;

    err = jf_store_exec(conn,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version integer PRIMARY KEY,"
                        " name text NOT NULL,"
                        " applied_at timestamptz NOT NULL DEFAULT now())",
                        errbuf, errsz);
    if (err)
        goto out;
    err = jf_store_schema_version(conn, &version, errbuf, errsz);
    if (err)
        goto out;
    if (version > target) {
        snprintf(errbuf, errsz,
                 "database schema is at version %d, newer than this binary's %d: "
                 "deploy the jianfu binary that matches the database",
                 version, target);
        err = JF_ERR_SCHEMA;
        goto out;
    }
    for (int i = version; i < target; i++) {
        const jf_store_migration *m = &jf_store_migrations[i];
        char msg[512] = "";
        err = apply_one(conn, m, msg, sizeof msg);
        if (err) {
            snprintf(errbuf, errsz, "migration %04d_%s failed: %s", m->version, m->name, msg);
            goto out;
        }
        jf_log_info("migrate.applied", "version=%d name=%s", m->version, m->name);
        count++;
    }
out:
    /* The lock is a session lock: should the unlock fail, closing the session frees it. */
    if (jf_store_exec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", NULL, 0))
        jf_log_warn("migrate.unlock_failed", "%s", "");
    if (applied)
        *applied = count;
    return err;
}
