/* clock.h - wall-clock time, RFC 3339, and civil dates in China Standard Time (+08:00).
 *
 * Official deadlines are defined in Asia/Shanghai local time, which has had a fixed
 * offset of +08:00 without daylight saving since 1991, so dates are computed
 * arithmetically and no time-zone database is needed. Times are int64 Unix seconds.
 * All functions are pure and thread-safe.
 */
#ifndef JF_CORE_CLOCK_H
#define JF_CORE_CLOCK_H

#include <stdint.h>

#include "err.h"

#define JF_CST_OFFSET (8 * 3600)
#define JF_RFC3339_LEN 32

typedef struct {
    int y, m, d; /* m 1..12, d 1..31 */
} jf_date;

/* jf_clock_now - the current Unix time in seconds. */
int64_t jf_clock_now(void);

/* jf_clock_now_ms - the current monotonic time in milliseconds (for durations). */
int64_t jf_clock_mono_ms(void);

/* jf_clock_parse_rfc3339 - parse "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)";
 * fractions are truncated. JF_ERR_PARSE for anything else, including impossible dates. */
jf_err jf_clock_parse_rfc3339(const char *s, int64_t *out) JF_WUR;

/* jf_clock_format_cst - write t as "YYYY-MM-DDTHH:MM:SS+08:00" into out. */
void jf_clock_format_cst(int64_t t, char out[JF_RFC3339_LEN]);

/* jf_clock_days_from_civil - days since 1970-01-01 of the proleptic Gregorian date. */
int64_t jf_clock_days_from_civil(jf_date d);

/* jf_clock_civil_from_days - inverse of jf_clock_days_from_civil. */
jf_date jf_clock_civil_from_days(int64_t days);

/* jf_clock_weekday - ISO weekday of the day number: 1 Monday .. 7 Sunday. */
int jf_clock_weekday(int64_t days);

/* jf_clock_cst_day - the day number (as above) of the CST calendar date containing t. */
int64_t jf_clock_cst_day(int64_t t);

/* jf_clock_cst_end_of_day - the instant 23:59:59 CST on the given day number. */
int64_t jf_clock_cst_end_of_day(int64_t day);

/* jf_clock_valid_date - whether d names a real Gregorian date. */
int jf_clock_valid_date(jf_date d);

#endif
