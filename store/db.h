/* db.h - opening PostgreSQL connections and classifying their failures.
 *
 * Every connection jianfu opens goes through jf_store_connect, so timeouts and the
 * application name are set in one place. A PGconn belongs to one thread at a time.
 */
#ifndef JF_STORE_DB_H
#define JF_STORE_DB_H

#include <libpq-fe.h>
#include <stddef.h>

#include "core/err.h"

/* Seconds to wait for a connection before calling the database unavailable. */
#define JF_STORE_CONNECT_TIMEOUT "5"

/* jf_store_connect - connect with the libpq conninfo string (URL or key=value). *out gets
 * the connection (caller closes with PQfinish). JF_ERR_DB_UNAVAILABLE when the server
 * cannot be reached; the libpq message (which names host and database but never request
 * data) goes to errbuf. */
jf_err jf_store_connect(const char *conninfo, PGconn **out, char *errbuf, size_t errsz) JF_WUR;

/* jf_store_result_err - map a finished PGresult (may be NULL) on conn to a jf_err:
 * JF_ERR_OK for success statuses, JF_ERR_DB_UNAVAILABLE when the connection is gone or
 * the server is shutting down, JF_ERR_EXISTS for a unique violation, JF_ERR_DB otherwise. */
jf_err jf_store_result_err(PGconn *conn, const PGresult *res);

/* jf_store_exec - run a parameterless command; JF_ERR_* as jf_store_result_err. The
 * server's message goes to errbuf (may be NULL). */
jf_err jf_store_exec(PGconn *conn, const char *sql, char *errbuf, size_t errsz) JF_WUR;

/* jf_store_exec_params - the same for a command with n text parameters (NULL: SQL NULL)
 * whose result rows, if any, are not wanted. */
jf_err jf_store_exec_params(PGconn *conn, const char *sql, int n, const char *const *params,
                            char *errbuf, size_t errsz) JF_WUR;

/* jf_store_rollback - end a failed transaction; a failure to do so is logged (the
 * connection is then unusable and the caller's next use of it reconnects). */
void jf_store_rollback(PGconn *conn);

/* jf_store_errmsg - copy the message of res (or of conn when res is NULL) into errbuf,
 * on one line. */
void jf_store_errmsg(PGconn *conn, const PGresult *res, char *errbuf, size_t errsz);

#endif
