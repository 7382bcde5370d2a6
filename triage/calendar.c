/* calendar.c - the State Council's working-day calendar and deadlines in working days. */
#include "triage/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

/* What a notice says about one date. A public holiday that falls on a weekend is listed
 * too, although it changes nothing, so that the table reads exactly like the notice and
 * can be checked against it line by line. */
enum day_kind {
    DAY_OFF, /* 放假: no work, whatever the weekday */
    DAY_ON,  /* 调休上班: a Saturday or Sunday worked in exchange for a holiday */
};

typedef struct {
    int32_t date; /* YYYYMMDD, so that numeric order is calendar order */
    unsigned char kind;
} cal_entry;

typedef struct {
    int year;
    const char *notice;
} cal_notice;

/* The notices the table is transcribed from. A year listed here must have all of its
 * dates in cal_entries; a year not listed is counted as plain Monday to Friday. Every
 * entry lies in its notice's own year (jf_triage_calendar_check enforces it), so that an
 * imported notice for a year replaces exactly the entries of that year. A notice that
 * also names days in the December before its year, as the one for 2019 did (2018-12-29
 * worked, 12-30 and 12-31 off), goes in with `jianfu calendar import`, whose notices
 * may. */
static const cal_notice cal_notices[] = {
    {2025, "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）"},
    {2026, "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"},
};

/* Every date named by the notices above, in ascending order (jf_triage_calendar_check
 * enforces it, since lookups binary-search this table).
 *
 * Source: the full text of each notice as released by Xinhua on the day of issue and
 * republished by gmw.cn: 2025 at m.gmw.cn/2024-11/12/content_1303894933.htm (dated
 * 2024年11月12日), 2026 at politics.gmw.cn/2025-11/04/content_38391083.htm (dated
 * 2025年11月4日). Xinhua's release of the 2026 notice omits its document number; 〔2025〕7号
 * is as cited by secondary sources. The gov.cn originals are
 * www.gov.cn/zhengce/content/202411/content_6986382.htm and
 * www.gov.cn/zhengce/content/202511/content_7047090.htm. The 2025 notice applies the
 * November 2024 revision of 《全国年节及纪念日放假办法》, which added one day each to the
 * Spring Festival and Labour Day, hence its 8-day Spring Festival and 5-day Labour Day.
 *
 * Each year has 13 statutory days off; with 104 weekend days in both years this leaves
 * 365 - 104 - 13 = 248 working days in 2025 and in 2026 (the unit tests count them).
 */
static const cal_entry cal_entries[] = {
    /* 2025 一、元旦：1月1日（周三）放假1天，不调休。 */
    {20250101, DAY_OFF},
    /* 2025 二、春节：1月28日（除夕、周二）至2月4日（正月初七、周二）放假调休，共8天。
     * 1月26日（周日）、2月8日（周六）上班。 */
    {20250126, DAY_ON},
    {20250128, DAY_OFF},
    {20250129, DAY_OFF},
    {20250130, DAY_OFF},
    {20250131, DAY_OFF},
    {20250201, DAY_OFF},
    {20250202, DAY_OFF},
    {20250203, DAY_OFF},
    {20250204, DAY_OFF},
    {20250208, DAY_ON},
    /* 2025 三、清明节：4月4日（周五）至6日（周日）放假，共3天。 */
    {20250404, DAY_OFF},
    {20250405, DAY_OFF},
    {20250406, DAY_OFF},
    /* 2025 四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。 */
    {20250427, DAY_ON},
    {20250501, DAY_OFF},
    {20250502, DAY_OFF},
    {20250503, DAY_OFF},
    {20250504, DAY_OFF},
    {20250505, DAY_OFF},
    /* 2025 五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。 */
    {20250531, DAY_OFF},
    {20250601, DAY_OFF},
    {20250602, DAY_OFF},
    /* 2025 六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。
     * 9月28日（周日）、10月11日（周六）上班。 */
    {20250928, DAY_ON},
    {20251001, DAY_OFF},
    {20251002, DAY_OFF},
    {20251003, DAY_OFF},
    {20251004, DAY_OFF},
    {20251005, DAY_OFF},
    {20251006, DAY_OFF},
    {20251007, DAY_OFF},
    {20251008, DAY_OFF},
    {20251011, DAY_ON},

    /* 2026 一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。 */
    {20260101, DAY_OFF},
    {20260102, DAY_OFF},
    {20260103, DAY_OFF},
    {20260104, DAY_ON},
    /* 2026 二、春节：2月15日（腊月二十八、周日）至23日（正月初七、周一）放假调休，共9天。
     * 2月14日（周六）、2月28日（周六）上班。 */
    {20260214, DAY_ON},
    {20260215, DAY_OFF},
    {20260216, DAY_OFF},
    {20260217, DAY_OFF},
    {20260218, DAY_OFF},
    {20260219, DAY_OFF},
    {20260220, DAY_OFF},
    {20260221, DAY_OFF},
    {20260222, DAY_OFF},
    {20260223, DAY_OFF},
    {20260228, DAY_ON},
    /* 2026 三、清明节：4月4日（周六）至6日（周一）放假，共3天。 */
    {20260404, DAY_OFF},
    {20260405, DAY_OFF},
    {20260406, DAY_OFF},
    /* 2026 四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。 */
    {20260501, DAY_OFF},
    {20260502, DAY_OFF},
    {20260503, DAY_OFF},
    {20260504, DAY_OFF},
    {20260505, DAY_OFF},
    {20260509, DAY_ON},
    /* 2026 五、端午节：6月19日（周五）至21日（周日）放假，共3天。 */
    {20260619, DAY_OFF},
    {20260620, DAY_OFF},
    {20260621, DAY_OFF},
    /* 2026 七（国庆节）的调休上班日9月20日（周日）, placed here to keep date order. */
    {20260920, DAY_ON},
    /* 2026 六、中秋节：9月25日（周五）至27日（周日）放假，共3天。 */
    {20260925, DAY_OFF},
    {20260926, DAY_OFF},
    {20260927, DAY_OFF},
    /* 2026 七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。
     * 9月20日（周日）、10月10日（周六）上班。 */
    {20261001, DAY_OFF},
    {20261002, DAY_OFF},
    {20261003, DAY_OFF},
    {20261004, DAY_OFF},
    {20261005, DAY_OFF},
    {20261006, DAY_OFF},
    {20261007, DAY_OFF},
    {20261010, DAY_ON},
};

#define CAL_NOTICES (sizeof cal_notices / sizeof cal_notices[0])
#define CAL_ENTRIES (sizeof cal_entries / sizeof cal_entries[0])

/* Years loaded at start-up from notices imported with `jianfu calendar import` (kept in
 * the database). Installed once, before any thread looks at the calendar, and read-only
 * afterwards: configuration, not state. An imported year replaces the built-in table's
 * entries for that year. */
static cal_entry *imp_entries;
static size_t imp_nentries;
static int *imp_years;
static char **imp_notices;
static size_t imp_nyears;

static bool year_imported(int year)
{
    for (size_t i = 0; i < imp_nyears; i++)
        if (imp_years[i] == year)
            return true;
    return false;
}

/* The lookups below, declared here for the imported table's own. */
static size_t lower_bound_in(const cal_entry *e, size_t n, int32_t key);

/* Whether an imported notice names the date key. */
static bool date_imported(int32_t key)
{
    size_t i = lower_bound_in(imp_entries, imp_nentries, key);
    return i < imp_nentries && imp_entries[i].date == key;
}

/* Whether a built-in entry for date key stands: not when its year, or the date itself,
 * was imported (an imported notice replaces what the built-in table said). */
static bool builtin_stands(int32_t key)
{
    return !imp_nyears || (!year_imported(key / 10000) && !date_imported(key));
}

/* The instants jf_triage_due accepts: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. Their
 * CST days lie in years 1..10000, where day numbers, YYYYMMDD keys and working-day counts
 * all fit their types with room to spare. */
static const int64_t instant_min = -62135596800;
static const int64_t instant_max = 253402300799;

/* The day numbers of 0001-01-01 and 9999-12-31 (as jf_clock_days_from_civil gives them),
 * outside which no date is looked up in the table. */
static const int64_t day_min = -719162;
static const int64_t day_max = 2932896;

static int64_t clamp_instant(int64_t t)
{
    if (t < instant_min)
        return instant_min;
    if (t > instant_max)
        return instant_max;
    return t;
}

static int32_t date_key(jf_date d)
{
    return (int32_t)(d.y * 10000 + d.m * 100 + d.d);
}

static jf_date key_date(int32_t key)
{
    jf_date d = {(int)(key / 10000), (int)(key / 100 % 100), (int)(key % 100)};
    return d;
}

/* The ISO weekday (1 Monday .. 7 Sunday) of any day number. The weekday repeats every 7
 * days, so reducing first keeps jf_clock_weekday clear of overflow for absurd inputs. */
static int weekday(int64_t day)
{
    return jf_clock_weekday(day % 7);
}

static bool is_weekend(int64_t day)
{
    return weekday(day) >= 6;
}

/* The index of the first of the n entries whose date is not before key (n if none). */
static size_t lower_bound_in(const cal_entry *e, size_t n, int32_t key)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].date < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool jf_triage_is_working_day(int64_t day)
{
    if (day >= day_min && day <= day_max) {
        int32_t key = date_key(jf_clock_civil_from_days(day));
        size_t i = lower_bound_in(imp_entries, imp_nentries, key);
        if (i < imp_nentries && imp_entries[i].date == key)
            return imp_entries[i].kind == DAY_ON;
        if (!imp_nyears || !year_imported(key / 10000)) {
            i = lower_bound_in(cal_entries, CAL_ENTRIES, key);
            if (i < CAL_ENTRIES && cal_entries[i].date == key)
                return cal_entries[i].kind == DAY_ON;
        }
    }
    return !is_weekend(day);
}

const char *jf_triage_calendar_notice(int year)
{
    for (size_t i = 0; i < imp_nyears; i++)
        if (imp_years[i] == year)
            return imp_notices[i];
    for (size_t i = 0; i < CAL_NOTICES; i++) {
        if (cal_notices[i].year == year)
            return cal_notices[i].notice;
    }
    return NULL;
}

bool jf_triage_calendar_year_known(int year)
{
    return jf_triage_calendar_notice(year) != NULL;
}

/* Walk forward one day at a time: n is at most 366 and the longest run of days off in
 * any notice is 9, so this stays a few hundred table lookups, and it follows the
 * definition literally, which makes it the reference the arithmetic in
 * jf_triage_working_days_after is tested against. */
jf_err jf_triage_due(int64_t received, int n, int64_t *due)
{
    jf_err err = JF_ERR_RANGE;
    int64_t day;
    int left;

    if (n <= 0 || n > JF_TRIAGE_MAX_WORKING_DAYS)
        goto out;
    if (received < instant_min || received > instant_max)
        goto out;
    day = jf_clock_cst_day(received);
    for (left = n; left > 0;) {
        day++;
        if (jf_triage_is_working_day(day))
            left--;
    }
    *due = jf_clock_cst_end_of_day(day);
    err = JF_ERR_OK;
out:
    return err;
}

/* The number of Monday-to-Friday days with day number below day, counted from the Monday
 * 1970-01-05 (day 4); negative before it. Floor division keeps the count right on both
 * sides of that Monday. */
static int64_t weekdays_before(int64_t day)
{
    int64_t x = day - 4;
    int64_t weeks = x / 7;
    int64_t rest = x % 7;

    if (rest < 0) {
        rest += 7;
        weeks--;
    }
    return weeks * 5 + (rest < 5 ? rest : 5);
}

/* Monday to Friday in (a, b] is a difference of two closed-form counts; then each notice
 * entry inside the interval corrects it by one where it overrides the weekday rule. This
 * way an overdue sweep over years of backlog costs the same as one over a week. */
int jf_triage_working_days_after(int64_t from, int64_t to)
{
    int64_t a = jf_clock_cst_day(clamp_instant(from));
    int64_t b = jf_clock_cst_day(clamp_instant(to));
    int64_t count;
    int32_t last;

    if (b <= a)
        return 0;
    count = weekdays_before(b + 1) - weekdays_before(a + 1);
    last = date_key(jf_clock_civil_from_days(b));
    int32_t first = date_key(jf_clock_civil_from_days(a + 1));
    /* Built-in entries count where they stand; imported ones always (install leaves one
     * per date). */
    for (int pass = 0; pass < 2; pass++) {
        const cal_entry *e = pass ? imp_entries : cal_entries;
        size_t n = pass ? imp_nentries : CAL_ENTRIES;
        for (size_t i = lower_bound_in(e, n, first); i < n && e[i].date <= last; i++) {
            if (!pass && !builtin_stands(e[i].date))
                continue;
            bool weekend = is_weekend(jf_clock_days_from_civil(key_date(e[i].date)));
            if (e[i].kind == DAY_OFF && !weekend)
                count--;
            else if (e[i].kind == DAY_ON && weekend)
                count++;
        }
    }
    /* Years 1..10000 hold fewer than 2.7 million weekdays, well inside an int. */
    return (int)count;
}

jf_err jf_triage_calendar_check(void)
{
    jf_err err = JF_ERR_CONFIG;

    for (size_t i = 0; i < CAL_ENTRIES; i++) {
        jf_date d = key_date(cal_entries[i].date);
        if (!jf_clock_valid_date(d) || !jf_triage_calendar_year_known(d.y))
            goto out;
        if (i > 0 && cal_entries[i - 1].date >= cal_entries[i].date)
            goto out;
        if (cal_entries[i].kind == DAY_ON && !is_weekend(jf_clock_days_from_civil(d)))
            goto out;
    }
    err = JF_ERR_OK;
out:
    return err;
}

/* ---- imported notices ------------------------------------------------------------------ */

/* Whether a notice for year may name date d: its own year, or the December before. */
static bool in_notice(jf_date d, int year)
{
    return d.y == year || (d.y == year - 1 && d.m == 12);
}

static jf_err parse_date(const char *s, size_t n, jf_date *d)
{
    char buf[16];
    int64_t t;
    if (n != 10)
        return JF_ERR_PARSE;
    memcpy(buf, s, 10);
    buf[10] = '\0';
    char iso[32];
    snprintf(iso, sizeof iso, "%sT00:00:00+08:00", buf);
    if (jf_clock_parse_rfc3339(iso, &t))
        return JF_ERR_PARSE;
    *d = jf_clock_civil_from_days(jf_clock_cst_day(t));
    return JF_ERR_OK;
}

static int cmp_date(jf_date a, jf_date b)
{
    int32_t x = date_key(a), y = date_key(b);
    return x < y ? -1 : x > y;
}

/* The next white-space separated word of [*p, end) into w (length *wn); false at the end. */
static bool next_word(const char **p, const char *end, const char **w, size_t *wn)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    if (*p >= end)
        return false;
    *w = *p;
    while (*p < end && **p != ' ' && **p != '\t')
        (*p)++;
    *wn = (size_t)(*p - *w);
    return true;
}

#define PARSE_FAIL(...)                                                                        \
    do {                                                                                       \
        snprintf(errbuf, errsz, __VA_ARGS__);                                                  \
        err = JF_ERR_PARSE;                                                                    \
        goto out;                                                                              \
    } while (0)

jf_err jf_triage_calendar_parse(const char *text, size_t len, jf_triage_calendar_year *out,
                                char *errbuf, size_t errsz)
{
    jf_err err = JF_ERR_OK;
    const char *p = text, *end = text + len;
    int lineno = 0;

    memset(out, 0, sizeof *out);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *q = p, *w;
        size_t wn;
        lineno++;
        p = nl ? nl + 1 : end;
        /* A '#' after white space starts a trailing comment (dates and notice titles
         * contain no '#' preceded by a blank). */
        for (const char *h = q; h < le; h++)
            if (*h == '#' && h > q && (h[-1] == ' ' || h[-1] == '\t')) {
                le = h;
                break;
            }
        while (le > q && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
            le--;
        if (!next_word(&q, le, &w, &wn) || *w == '#')
            continue;
        if (wn == 4 && memcmp(w, "year", 4) == 0) {
            const char *y;
            size_t yn;
            char ys[8];
            if (out->year || !next_word(&q, le, &y, &yn) || yn != 4 || q != le)
                PARSE_FAIL("line %d: 'year YYYY' once, e.g. year 2027", lineno);
            memcpy(ys, y, 4);
            ys[4] = '\0';
            out->year = (int)strtol(ys, NULL, 10);
            if (out->year < 2000 || out->year > 2999)
                PARSE_FAIL("line %d: year %s is out of range", lineno, ys);
        } else if (wn == 6 && memcmp(w, "notice", 6) == 0) {
            while (q < le && (*q == ' ' || *q == '\t'))
                q++;
            size_t n = (size_t)(le - q);
            if (n == 0 || n >= sizeof out->notice)
                PARSE_FAIL("line %d: 'notice TITLE' names the State Council notice (at most "
                           "%zu bytes)",
                           lineno, sizeof out->notice - 1);
            memcpy(out->notice, q, n);
            out->notice[n] = '\0';
        } else if ((wn == 7 && memcmp(w, "holiday", 7) == 0) ||
                   (wn == 7 && memcmp(w, "workday", 7) == 0)) {
            bool holiday = w[0] == 'h';
            const char *d1, *d2 = NULL;
            size_t n1, n2 = 0;
            jf_date from, to;
            if (!out->year)
                PARSE_FAIL("line %d: 'year YYYY' must come first", lineno);
            if (!next_word(&q, le, &d1, &n1) || parse_date(d1, n1, &from))
                PARSE_FAIL("line %d: expected a date YYYY-MM-DD", lineno);
            to = from;
            if (next_word(&q, le, &d2, &n2) && parse_date(d2, n2, &to))
                PARSE_FAIL("line %d: expected a second date YYYY-MM-DD (an inclusive range)",
                           lineno);
            if (q != le)
                PARSE_FAIL("line %d: unexpected text after the dates", lineno);
            if (cmp_date(to, from) < 0 || !in_notice(from, out->year) ||
                !in_notice(to, out->year))
                PARSE_FAIL("line %d: dates must lie in %d (or in December %d, for a New "
                           "Year holiday), a range from the earlier to the later",
                           lineno, out->year, out->year - 1);
            for (int64_t day = jf_clock_days_from_civil(from);
                 day <= jf_clock_days_from_civil(to); day++) {
                jf_date d = jf_clock_civil_from_days(day);
                if (!holiday && !is_weekend(day))
                    PARSE_FAIL("line %d: %04d-%02d-%02d is a weekday; 调休上班 days are "
                               "weekends",
                               lineno, d.y, d.m, d.d);
                size_t *cnt = holiday ? &out->nholidays : &out->nworkdays;
                size_t cap = holiday ? JF_TRIAGE_CAL_MAX_HOLIDAYS : JF_TRIAGE_CAL_MAX_WORKDAYS;
                if (*cnt >= cap)
                    PARSE_FAIL("line %d: more than %zu %s dates in one year", lineno, cap,
                               holiday ? "holiday" : "workday");
                for (size_t i = 0; i < out->nholidays; i++)
                    if (cmp_date(out->holidays[i], d) == 0)
                        PARSE_FAIL("line %d: %04d-%02d-%02d is listed twice", lineno, d.y, d.m,
                                   d.d);
                for (size_t i = 0; i < out->nworkdays; i++)
                    if (cmp_date(out->workdays[i], d) == 0)
                        PARSE_FAIL("line %d: %04d-%02d-%02d is listed twice", lineno, d.y, d.m,
                                   d.d);
                (holiday ? out->holidays : out->workdays)[(*cnt)++] = d;
            }
        } else {
            PARSE_FAIL("line %d: expected year, notice, holiday or workday", lineno);
        }
    }
    if (!out->year || !out->notice[0] || out->nholidays == 0)
        PARSE_FAIL("a notice needs 'year', 'notice' and at least one 'holiday' line");
out:
    return err;
}

/* An imported entry while installing: with the year of the notice that gave it. */
typedef struct {
    cal_entry e;
    int notice_year;
} imp_item;

/* By date, and for the same date the later notice first. */
static int cmp_item(const void *a, const void *b)
{
    const imp_item *x = a, *y = b;
    if (x->e.date != y->e.date)
        return x->e.date < y->e.date ? -1 : 1;
    return (x->notice_year < y->notice_year) - (x->notice_year > y->notice_year);
}

void jf_triage_calendar_uninstall(void)
{
    for (size_t i = 0; i < imp_nyears; i++)
        free(imp_notices[i]);
    free(imp_notices);
    free(imp_years);
    free(imp_entries);
    imp_notices = NULL;
    imp_years = NULL;
    imp_entries = NULL;
    imp_nyears = 0;
    imp_nentries = 0;
}

jf_err jf_triage_calendar_install(const jf_triage_calendar_year *years, size_t n)
{
    size_t total = 0, nitems = 0;
    imp_item *items = NULL;
    jf_triage_calendar_uninstall();
    if (n == 0)
        return JF_ERR_OK;
    for (size_t i = 0; i < n; i++)
        total += years[i].nholidays + years[i].nworkdays;
    items = calloc(total ? total : 1, sizeof *items);
    imp_entries = calloc(total ? total : 1, sizeof *imp_entries);
    imp_years = calloc(n, sizeof *imp_years);
    imp_notices = calloc(n, sizeof *imp_notices);
    if (!items || !imp_entries || !imp_years || !imp_notices)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (years[j].year == years[i].year) {
                free(items);
                jf_triage_calendar_uninstall();
                return JF_ERR_EXISTS;
            }
        imp_years[i] = years[i].year;
        imp_notices[i] = strdup(years[i].notice);
        if (!imp_notices[i])
            goto nomem;
        imp_nyears = i + 1;
        for (size_t k = 0; k < years[i].nholidays; k++)
            items[nitems++] =
                (imp_item){{date_key(years[i].holidays[k]), DAY_OFF}, years[i].year};
        for (size_t k = 0; k < years[i].nworkdays; k++)
            items[nitems++] =
                (imp_item){{date_key(years[i].workdays[k]), DAY_ON}, years[i].year};
    }
    /* One entry per date: where two notices name the same December day, the later
     * notice, the one for the year that day's holiday leads into, decides. */
    qsort(items, nitems, sizeof *items, cmp_item);
    for (size_t i = 0; i < nitems; i++)
        if (imp_nentries == 0 || imp_entries[imp_nentries - 1].date != items[i].e.date)
            imp_entries[imp_nentries++] = items[i].e;
    free(items);
    return JF_ERR_OK;
nomem:
    free(items);
    jf_triage_calendar_uninstall();
    return JF_ERR_NOMEM;
}
