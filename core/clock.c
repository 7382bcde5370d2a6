/* clock.c - time, RFC 3339 and CST civil-date arithmetic. */
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t jf_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t jf_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t jf_clock_days_from_civil(jf_date d)
{
    int64_t y = d.y - (d.m <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (d.m + (d.m > 2 ? -3 : 9)) + 2) / 5 + d.d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

jf_date jf_clock_civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    jf_date out = {(int)(y + (m <= 2)), (int)m, (int)d};
    return out;
}

int jf_clock_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (ISO 4). */
    int64_t w = (days + 3) % 7;
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t jf_clock_cst_day(int64_t t)
{
    return floor_div(t + JF_CST_OFFSET, 86400);
}

int64_t jf_clock_cst_end_of_day(int64_t day)
{
    return day * 86400 - JF_CST_OFFSET + 86399;
}

int jf_clock_valid_date(jf_date d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d.y < 1 || d.y > 9999 || d.m < 1 || d.m > 12 || d.d < 1)
        return 0;
    int leap = (d.y % 4 == 0 && d.y % 100 != 0) || d.y % 400 == 0;
    int max = mdays[d.m - 1] + (d.m == 2 && leap);
    return d.d <= max;
}

/* Read exactly n decimal digits from *p into *out and advance. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

jf_err jf_clock_parse_rfc3339(const char *s, int64_t *out)
{
    const char *p = s;
    jf_date d;
    int hh, mm, ss, oh = 0, om = 0, sign = 0;

    if (!digits(&p, 4, &d.y) || *p++ != '-' || !digits(&p, 2, &d.m) || *p++ != '-' ||
        !digits(&p, 2, &d.d))
        return JF_ERR_PARSE;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return JF_ERR_PARSE;
    p++;
    if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mm) || *p++ != ':' ||
        !digits(&p, 2, &ss))
        return JF_ERR_PARSE;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return JF_ERR_PARSE;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om))
            return JF_ERR_PARSE;
    } else {
        return JF_ERR_PARSE;
    }
    if (*p != '\0')
        return JF_ERR_PARSE;
    /* RFC 3339 allows second 60 for leap seconds; Unix time folds it into the next. */
    if (!jf_clock_valid_date(d) || hh > 23 || mm > 59 || ss > 60 || oh > 23 || om > 59)
        return JF_ERR_PARSE;
    int64_t t = jf_clock_days_from_civil(d) * 86400 + hh * 3600 + mm * 60 + ss;
    t -= sign * (oh * 3600 + om * 60);
    *out = t;
    return JF_ERR_OK;
}

void jf_clock_format_cst(int64_t t, char out[JF_RFC3339_LEN])
{
    int64_t local = t + JF_CST_OFFSET;
    int64_t day = floor_div(local, 86400);
    int64_t sec = local - day * 86400;
    jf_date d = jf_clock_civil_from_days(day);
    snprintf(out, JF_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", d.y, d.m, d.d,
             (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
}
