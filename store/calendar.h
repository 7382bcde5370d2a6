/* calendar.h - holiday notices imported by operators, kept in calendar_notices.
 *
 * The store keeps each year's notice as the text that was imported; parsing and meaning
 * belong to triage/calendar.h.
 */
#ifndef JF_STORE_CALENDAR_H
#define JF_STORE_CALENDAR_H

#include <libpq-fe.h>
#include <stddef.h>

#include "core/err.h"

/* jf_store_calendar_put - insert or replace year's notice. */
jf_err jf_store_calendar_put(PGconn *conn, int year, const char *notice, const char *source,
                             char *errbuf, size_t errsz) JF_WUR;

/* Called per stored notice in year order, with the text that was imported; return non-zero
 * to stop. */
typedef int (*jf_store_calendar_fn)(int year, const char *source, void *arg);

/* jf_store_calendar_each - every stored notice. */
jf_err jf_store_calendar_each(PGconn *conn, jf_store_calendar_fn fn, void *arg, char *errbuf,
                              size_t errsz) JF_WUR;

#endif
