/* triage_data.h - what classification and routing read from the database, and the
 * coordinators' corrections.
 *
 * The gateway builds its routing tables from departments, their aliases, the categories'
 * deadlines and default departments, and the urgency words; `jianfu train` adds the
 * corrections to the shipped corpus. Each function runs on a connection the caller owns.
 */
#ifndef JF_STORE_TRIAGE_DATA_H
#define JF_STORE_TRIAGE_DATA_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Called per department name or alias (name, then each alias); return non-zero to stop. */
typedef int (*jf_store_dept_name_fn)(int64_t dept_id, const char *code, const char *text,
                                     void *arg);

/* jf_store_dept_names - every department's name and aliases. */
jf_err jf_store_dept_names(PGconn *conn, jf_store_dept_name_fn fn, void *arg, char *errbuf,
                           size_t errsz) JF_WUR;

/* Called per category with its deadlines and default department (0 when none). */
typedef int (*jf_store_category_fn)(const char *code, int sla_ack, int sla_answer,
                                    int sla_resolve, int64_t default_dept, void *arg);

jf_err jf_store_categories(PGconn *conn, jf_store_category_fn fn, void *arg, char *errbuf,
                           size_t errsz) JF_WUR;

/* Called per urgency word. */
typedef int (*jf_store_word_fn)(const char *word, void *arg);

jf_err jf_store_urgency_words(PGconn *conn, jf_store_word_fn fn, void *arg, char *errbuf,
                              size_t errsz) JF_WUR;

/* jf_store_triage_fingerprint - a digest of everything above, so a server can tell
 * cheaply whether its routing tables are stale (out: 32 hex characters + NUL). */
jf_err jf_store_triage_fingerprint(PGconn *conn, char out[33], char *errbuf,
                                   size_t errsz) JF_WUR;

/* Called per labelled example from corrections: the complaint's (redacted) text and the
 * category a coordinator gave it (the latest correction of each complaint). */
typedef int (*jf_store_example_fn)(const char *category, const char *text, void *arg);

jf_err jf_store_corrections_examples(PGconn *conn, jf_store_example_fn fn, void *arg,
                                     char *errbuf, size_t errsz) JF_WUR;

/* jf_store_correct - re-categorise (category not NULL) and/or re-route (dept_code not
 * NULL) complaint code, in one transaction: the complaint changes (a complaint in triage
 * that gets a department becomes 'assigned'; deadlines are not touched: a correction, like
 * a transfer, never resets them), a row in corrections records it as a labelled example,
 * a 'corrected' event with the old and new values and the reason joins the timeline, and a
 * department that receives the complaint is notified through its robot if it has one.
 * JF_ERR_NOTFOUND for an unknown ticket, category or department (errbuf says which). */
jf_err jf_store_correct(PGconn *conn, const char *code, const char *category,
                        const char *dept_code, const char *reason, const char *actor,
                        char *errbuf, size_t errsz) JF_WUR;

/* jf_store_category_set - change category code's deadlines (sla non-NULL: ack, answer,
 * resolve working days) and/or default department (dept_code non-NULL; "" clears it).
 * JF_ERR_NOTFOUND for an unknown category or department, JF_ERR_INVAL for deadlines out of
 * order or range. */
jf_err jf_store_category_set(PGconn *conn, const char *code, const int *sla,
                             const char *dept_code, char *errbuf, size_t errsz) JF_WUR;

#endif
