/* gateway.h - the jianfu binary's subcommands and the shared state of `jianfu serve`.
 *
 * gateway/ is the only place where the middle modules (webhook, triage, privacy, store)
 * meet: it does the I/O and calls each of them in turn.
 */
#ifndef JF_GATEWAY_H
#define JF_GATEWAY_H

#include <libpq-fe.h>

#include "core/config.h"
#include "core/err.h"

/* Each subcommand: argv[0] is the subcommand name; returns the process exit status. */
int jf_cmd_serve(int argc, char **argv);
int jf_cmd_migrate(int argc, char **argv);
int jf_cmd_keygen(int argc, char **argv);
int jf_cmd_due(int argc, char **argv);
int jf_cmd_dept(int argc, char **argv);
int jf_cmd_user(int argc, char **argv);
int jf_cmd_overdue(int argc, char **argv);
int jf_cmd_show(int argc, char **argv);
int jf_cmd_triage(int argc, char **argv);
int jf_cmd_triage_stats(int argc, char **argv); /* cmd_routing.c: `triage stats` */
int jf_cmd_twilio_sign(int argc, char **argv);
int jf_cmd_calendar(int argc, char **argv);
int jf_cmd_correct(int argc, char **argv);
int jf_cmd_category(int argc, char **argv);
int jf_cmd_classify(int argc, char **argv); /* cmd_classify.c */
int jf_cmd_train(int argc, char **argv);    /* cmd_classify.c */

/* jf_gateway_calendar_load - install the holiday notices imported into the database on
 * top of the built-in calendar (*years, may be NULL: how many). Not thread-safe: call
 * before starting threads. */
jf_err jf_gateway_calendar_load(PGconn *conn, int *years, char *errbuf, size_t errsz) JF_WUR;

/* Exit statuses: 0 success, 1 operational failure (database, files), 2 usage error. */
#define JF_EXIT_OK 0
#define JF_EXIT_FAIL 1
#define JF_EXIT_USAGE 2

#endif
