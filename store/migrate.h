/* migrate.h - schema migrations embedded in the binary, and the schema version check.
 *
 * sql/migrations/NNNN_name.sql are compiled into jf_store_migrations[] (numbered from 1
 * without gaps). jf_store_migrate applies those not yet recorded in schema_migrations,
 * each in its own transaction, under a session advisory lock so that concurrent runs
 * (two deploys at once) apply each migration exactly once.
 */
#ifndef JF_STORE_MIGRATE_H
#define JF_STORE_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "core/err.h"

typedef struct {
    int version;
    const char *name;
    const char *sql;
} jf_store_migration;

extern const jf_store_migration jf_store_migrations[];
extern const int jf_store_migrations_count;

/* jf_store_schema_target - the schema version this binary was built for. */
int jf_store_schema_target(void);

/* jf_store_migrate - bring the database up to the target version. *applied (may be NULL)
 * gets how many migrations ran. Refuses (JF_ERR_SCHEMA) a database that is ahead of the
 * binary. Messages go to errbuf. */
jf_err jf_store_migrate(PGconn *conn, int *applied, char *errbuf, size_t errsz) JF_WUR;

/* jf_store_schema_version - the highest applied version, 0 for an empty database. */
jf_err jf_store_schema_version(PGconn *conn, int *version, char *errbuf, size_t errsz) JF_WUR;

/* jf_store_schema_check - JF_ERR_OK when the database is exactly at the target version;
 * JF_ERR_SCHEMA with a message naming the command to run when behind or ahead. */
jf_err jf_store_schema_check(PGconn *conn, char *errbuf, size_t errsz) JF_WUR;

#endif
