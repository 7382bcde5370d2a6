/* cmd_util.h - helpers shared by the jianfu subcommands: options, the database, ticket codes.
 *
 * Internal to gateway/ (defined in commands.c). Every function reports the operator's
 * mistakes and operational failures itself, on stderr as "jianfu CMD: ...", and returns
 * a process exit status (JF_EXIT_*, gateway.h) unless it says otherwise. None keeps state
 * between calls; all are meant for the single-threaded command-line tools.
 */
#ifndef JF_GATEWAY_CMD_UTIL_H
#define JF_GATEWAY_CMD_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "core/config.h"
#include "core/err.h"
#include "triage/ticket.h"

/* jf_cmd_take_value - the value of the option argv[*i] of a "--name value" pair. Advances
 * *i past the value and returns it (borrowed from argv); NULL, with a message naming cmd
 * and the option, when the option is the last argument. */
const char *jf_cmd_take_value(int argc, char **argv, int *i, const char *cmd);

/* jf_cmd_unknown_option - report that cmd does not take opt; returns JF_EXIT_USAGE. */
int jf_cmd_unknown_option(const char *cmd, const char *opt);

/* jf_cmd_open_db - load the configuration into *cfg and connect to JIANFU_DATABASE_URL.
 * On JF_EXIT_OK the caller owns both: PQfinish(*conn) and jf_config_free(cfg). On failure
 * (JF_EXIT_USAGE for bad or missing configuration, JF_EXIT_FAIL when the database cannot
 * be reached) nothing is left to free and *conn is NULL. Does not check the schema:
 * `jianfu migrate` uses it on a database that is not migrated yet. */
int jf_cmd_open_db(const char *cmd, jf_config *cfg, PGconn **conn);

/* jf_cmd_check_schema - JF_EXIT_OK when conn's schema is the one this binary was built
 * for; JF_EXIT_FAIL, with the store's explanation,
 * otherwise. conn is borrowed. */
int jf_cmd_check_schema(const char *cmd, PGconn *conn);

/* A command's one database action: runs on an open connection whose schema is current;
 * returns a jf_err and, on failure, a message for the operator in msg. */
typedef jf_err (*jf_cmd_db_action)(PGconn *conn, void *arg, char *msg, size_t msgsz);

/* jf_cmd_with_db - open the database (jf_cmd_open_db), check its schema, run act(conn,
 * arg) and close it again. act's failure becomes JF_EXIT_USAGE when it is the operator's
 * mistake (JF_ERR_NOTFOUND, JF_ERR_INVAL, JF_ERR_EXISTS: unknown names, invalid values,
 * duplicates), JF_EXIT_FAIL otherwise, with act's message printed as "jianfu CMD: msg". */
int jf_cmd_with_db(const char *cmd, jf_cmd_db_action act, void *arg);

/* jf_cmd_print_json - print doc to stdout as JSON indented by two spaces, reals with six
 * significant digits, and a final newline; JF_EXIT_FAIL when it cannot be encoded (out of
 * memory), JF_EXIT_OK otherwise. */
int jf_cmd_print_json(const json_t *doc);

/* jf_cmd_csv_field - print s (NULL: empty) to stdout as one CSV field, quoted as RFC 4180
 * asks (when it holds a comma, quote or line break, with quotes doubled), followed by ','
 * or, for the last field of a row, '\n'. */
void jf_cmd_csv_field(const char *s, bool last);

/* jf_cmd_ticket_arg_or_report - a ticket code as a person typed it on the command line:
 * codes are case-insensitive (triage/ticket.h), so in is upper-cased into out. JF_EXIT_OK
 * when out is then a well-formed code; JF_EXIT_USAGE, with a message saying what a ticket
 * code looks like, when in cannot be one (out is then unspecified). Reads at most
 * JF_TICKET_LEN + 1 bytes of in. */
int jf_cmd_ticket_arg_or_report(const char *cmd, const char *in, char out[JF_TICKET_LEN + 1]);

#endif
