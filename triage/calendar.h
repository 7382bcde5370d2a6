/* calendar.h - the official working-day calendar and deadlines counted in working days.
 *
 * Working days are Monday to Friday, minus the State Council's public holidays, plus its
 * adjusted working weekend days (调休上班). The built-in table holds the State Council's
 * notices for 2025 and 2026; a year with no notice is counted as Monday to Friday, and
 * jf_triage_calendar_year_known lets the caller warn about it. The notice for a new year
 * is published each November and must be added to the table in calendar.c before then.
 *
 * "N working days" from a receipt instant means 23:59:59 Asia/Shanghai on the Nth working
 * day after the day of receipt; the day of receipt itself does not count, whatever the
 * hour and whether or not it is a working day.
 *
 * Day numbers are those of jf_clock_days_from_civil. Pure functions over constant data,
 * thread-safe, no allocation.
 */
#ifndef JF_TRIAGE_CALENDAR_H
#define JF_TRIAGE_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/err.h"

#define JF_TRIAGE_MAX_WORKING_DAYS 366

/* jf_triage_is_working_day - whether the CST day number is an official working day.
 * Any day number is accepted; one outside years 1..9999 is judged by weekday alone. */
bool jf_triage_is_working_day(int64_t day);

/* jf_triage_calendar_year_known - whether the built-in table has the notice for year. */
bool jf_triage_calendar_year_known(int year);

/* jf_triage_calendar_notice - the title and document number of the State Council notice
 * the table follows for year (a static UTF-8 string), or NULL when there is none; for
 * telling an operator which calendar a deadline was computed with. */
const char *jf_triage_calendar_notice(int year);

/* jf_triage_due - *due receives the deadline N working days after the instant received
 * (Unix seconds). JF_ERR_RANGE unless 0 < n <= JF_TRIAGE_MAX_WORKING_DAYS, and also when
 * received lies outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z (no real receipt
 * does; the bound keeps the day arithmetic free of overflow). On error *due is not
 * written. Takes at most a few microseconds, so it may run on every request. */
jf_err jf_triage_due(int64_t received, int n, int64_t *due) JF_WUR;

/* jf_triage_working_days_after - how many working days lie strictly after the CST day of
 * instant from and up to and including the CST day of instant to; 0 when to is not on a
 * later day. Used to say how many working days a deadline has been missed by. Instants
 * outside the range accepted by jf_triage_due are clamped to it. Constant time in the
 * length of the interval. */
int jf_triage_working_days_after(int64_t from, int64_t to);

/* jf_triage_calendar_check - verify the built-in table: every entry a real date in a year
 * that has a notice, entries strictly ascending (lookups binary-search them), and every
 * adjusted working day on a weekend. JF_ERR_CONFIG naming no entry when it fails; the
 * unit tests call it, and the gateway may call it once at start-up. */
jf_err jf_triage_calendar_check(void) JF_WUR;

/* ---- notices imported at run time ------------------------------------------------------
 *
 * A year's notice (国务院办公厅关于YYYY年部分节假日安排的通知) is written in a small text
 * format for `jianfu calendar import`:
 *
 *     # lines starting with '#' are comments, and so is '#' after a blank
 *     year 2027
 *     notice 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）
 *     holiday 2027-01-01
 *     holiday 2027-02-06 2027-02-13      (an inclusive range)
 *     workday 2027-02-14                 (调休上班: must be a Saturday or Sunday)
 */
#define JF_TRIAGE_CAL_MAX_HOLIDAYS 64
#define JF_TRIAGE_CAL_MAX_WORKDAYS 16
#define JF_TRIAGE_CAL_NOTICE_MAX 256

typedef struct {
    int year;
    char notice[JF_TRIAGE_CAL_NOTICE_MAX];
    jf_date holidays[JF_TRIAGE_CAL_MAX_HOLIDAYS];
    size_t nholidays;
    jf_date workdays[JF_TRIAGE_CAL_MAX_WORKDAYS];
    size_t nworkdays;
} jf_triage_calendar_year;

/* jf_triage_calendar_parse - read one notice in the format above. JF_ERR_PARSE with the
 * line and what is wrong in errbuf: dates outside the year (or the December before it,
 * which a notice may name for a New Year holiday), a weekday given as 调休上班, a
 * date listed twice, missing year, notice or holidays. */
jf_err jf_triage_calendar_parse(const char *text, size_t len, jf_triage_calendar_year *out,
                                char *errbuf, size_t errsz) JF_WUR;

/* jf_triage_calendar_install - make these years part of the calendar, replacing the
 * built-in entries of any year among them and any earlier install. A date named by two
 * of them (a December day in the notices for its year and the next) follows the later. NOT
 * thread-safe: call at start-up before any thread uses the calendar (the years are
 * configuration, read once). JF_ERR_EXISTS when a year is given twice. */
jf_err jf_triage_calendar_install(const jf_triage_calendar_year *years, size_t n) JF_WUR;

/* jf_triage_calendar_uninstall - forget installed years (tests, shutdown). */
void jf_triage_calendar_uninstall(void);

#endif
