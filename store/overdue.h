/* overdue.h - the inspectors' read side: open complaints past a deadline.
 *
 * Returns only what inspectors may see: ticket code, department, category, channel kind,
 * which deadline was missed and when it fell due — never the reporter key or the sealed
 * address.
 */
#ifndef JF_STORE_OVERDUE_H
#define JF_STORE_OVERDUE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct {
    const char *code;
    const char *dept_code; /* NULL while in the coordinators' triage queue */
    const char *dept_name; /* NULL likewise */
    const char *category;  /* NULL until classified */
    const char *channel_kind;
    const char *status;
    const char *deadline; /* "acknowledge", "answer" or "resolve" */
    int64_t received_at;
    int64_t due;
} jf_store_overdue_row;

/* Called for each row, borrowed for the duration of the call; return non-zero to stop. */
typedef int (*jf_store_overdue_fn)(const jf_store_overdue_row *row, void *arg);

/* jf_store_overdue - every missed deadline of every open complaint at instant at,
 * optionally limited to department dept_code (NULL for all; JF_ERR_NOTFOUND when no such
 * department), ordered by due time then ticket code. */
jf_err jf_store_overdue(PGconn *conn, int64_t at, const char *dept_code, jf_store_overdue_fn fn,
                        void *arg, char *errbuf, size_t errsz) JF_WUR;

#endif
