/* test_triage_calendar.c - the official calendar and deadlines in working days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "triage/calendar.h"

static int64_t at(const char *rfc3339)
{
    int64_t t = 0;
    assert_int_equal(jf_clock_parse_rfc3339(rfc3339, &t), JF_ERR_OK);
    return t;
}

static int64_t day_of(int y, int m, int d)
{
    jf_date date = {y, m, d};
    return jf_clock_days_from_civil(date);
}

/* Assert that n working days from the instant received end at the instant want, both
 * given as RFC 3339 so that a failure prints the dates a reader can check by hand. */
static void expect_due(const char *received, int n, const char *want)
{
    int64_t due = 0;
    char got[JF_RFC3339_LEN];

    assert_int_equal(jf_triage_due(at(received), n, &due), JF_ERR_OK);
    jf_clock_format_cst(due, got);
    assert_string_equal(got, want);
}

/* The reference definition, one day at a time, for checking the closed-form count. */
static int count_working_days(int64_t first_day, int64_t last_day)
{
    int count = 0;
    for (int64_t d = first_day; d <= last_day; d++)
        count += jf_triage_is_working_day(d);
    return count;
}

static void test_table_is_well_formed(void **state)
{
    (void)state;
    assert_int_equal(jf_triage_calendar_check(), JF_ERR_OK);
}

typedef struct {
    int y, m0, d0, m1, d1; /* a closed range of dates within one year */
} date_range;

/* The notices transcribed a second time, as ranges in the notices' own words rather than
 * date by date as in calendar.c, so that a slip in either transcription shows up. */
static const date_range days_off[] = {
    {2025, 1, 1, 1, 1},   {2025, 1, 28, 2, 4},  {2025, 4, 4, 4, 6},   {2025, 5, 1, 5, 5},
    {2025, 5, 31, 6, 2},  {2025, 10, 1, 10, 8}, {2026, 1, 1, 1, 3},   {2026, 2, 15, 2, 23},
    {2026, 4, 4, 4, 6},   {2026, 5, 1, 5, 5},   {2026, 6, 19, 6, 21}, {2026, 9, 25, 9, 27},
    {2026, 10, 1, 10, 7},
};

static const date_range days_on[] = {
    {2025, 1, 26, 1, 26},   {2025, 2, 8, 2, 8},   {2025, 4, 27, 4, 27},   {2025, 9, 28, 9, 28},
    {2025, 10, 11, 10, 11}, {2026, 1, 4, 1, 4},   {2026, 2, 14, 2, 14},   {2026, 2, 28, 2, 28},
    {2026, 5, 9, 5, 9},     {2026, 9, 20, 9, 20}, {2026, 10, 10, 10, 10},
};

static void test_notice_dates(void **state)
{
    int off = 0, on = 0;
    (void)state;

    for (size_t i = 0; i < sizeof days_off / sizeof days_off[0]; i++) {
        const date_range *r = &days_off[i];
        int64_t first = day_of(r->y, r->m0, r->d0), last = day_of(r->y, r->m1, r->d1);
        for (int64_t d = first; d <= last; d++, off++)
            assert_false(jf_triage_is_working_day(d));
    }
    for (size_t i = 0; i < sizeof days_on / sizeof days_on[0]; i++) {
        int64_t d = day_of(days_on[i].y, days_on[i].m0, days_on[i].d0);
        assert_true(jf_clock_weekday(d) >= 6);
        assert_true(jf_triage_is_working_day(d));
        on++;
    }
    /* 2025: 1 + 8 + 3 + 5 + 3 + 8 = 28 days off; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 = 33. */
    assert_int_equal(off, 28 + 33);
    assert_int_equal(on, 5 + 6);

    /* The days either side of a holiday are ordinary. */
    assert_true(jf_triage_is_working_day(day_of(2026, 2, 13)));   /* Friday */
    assert_false(jf_triage_is_working_day(day_of(2026, 2, 7)));   /* Saturday */
    assert_true(jf_triage_is_working_day(day_of(2026, 2, 24)));   /* Tuesday */
    assert_false(jf_triage_is_working_day(day_of(2026, 3, 1)));   /* Sunday */
    assert_true(jf_triage_is_working_day(day_of(2026, 10, 8)));   /* Thursday */
    assert_false(jf_triage_is_working_day(day_of(2026, 10, 11))); /* Sunday */
}

static void test_year_known(void **state)
{
    (void)state;
    assert_false(jf_triage_calendar_year_known(2024));
    assert_true(jf_triage_calendar_year_known(2025));
    assert_true(jf_triage_calendar_year_known(2026));
    assert_false(jf_triage_calendar_year_known(2027));
    assert_non_null(strstr(jf_triage_calendar_notice(2025), "国办发明电〔2024〕12号"));
    assert_non_null(strstr(jf_triage_calendar_notice(2026), "国办发明电〔2025〕7号"));
    assert_null(jf_triage_calendar_notice(2027));
}

/* Working days per year, counted by hand from the notices.
 *
 * 2025 begins on a Wednesday and has 365 days, so 52 weeks and one extra Wednesday:
 * 261 Mondays to Fridays. Days off falling Monday to Friday: 1 Jan; 28-31 Jan, 3-4 Feb (6);
 * 4 Apr; 1, 2, 5 May (3); 2 Jun; 1-3 and 6-8 Oct (6): 18. Adjusted working days: 26 Jan,
 * 8 Feb, 27 Apr, 28 Sep, 11 Oct: 5. 261 - 18 + 5 = 248.
 *
 * 2026 begins on a Thursday: 261 Mondays to Fridays. Days off falling Monday to Friday:
 * 1-2 Jan (2); 16-20 and 23 Feb (6); 6 Apr; 1, 4, 5 May (3); 19 Jun; 25 Sep; 1, 2, 5, 6,
 * 7 Oct (5): 19. Adjusted working days: 4 Jan, 14 and 28 Feb, 9 May, 20 Sep, 10 Oct: 6.
 * 261 - 19 + 6 = 248.
 *
 * Both agree with 365 - 104 weekend days - 13 statutory holidays = 248, the figure for a
 * year under the 2024 revision of the holiday rules (it was 250 with 11 holidays). 2027 has
 * no notice yet, so it is plain Monday to Friday: it begins on a Friday, 261.
 */
static void test_year_totals(void **state)
{
    (void)state;
    assert_int_equal(count_working_days(day_of(2025, 1, 1), day_of(2025, 12, 31)), 248);
    assert_int_equal(count_working_days(day_of(2026, 1, 1), day_of(2026, 12, 31)), 248);
    assert_int_equal(count_working_days(day_of(2027, 1, 1), day_of(2027, 12, 31)), 261);

    /* February 2026: 20 weekdays - 6 off + 2 adjusted = 16. October 2026: 22 weekdays
     * (five Thursdays and Fridays) - 5 off + 1 adjusted = 18. */
    assert_int_equal(count_working_days(day_of(2026, 2, 1), day_of(2026, 2, 28)), 16);
    assert_int_equal(count_working_days(day_of(2026, 10, 1), day_of(2026, 10, 31)), 18);

    assert_int_equal(jf_triage_working_days_after(at("2024-12-31T12:00:00+08:00"),
                                                  at("2025-12-31T12:00:00+08:00")),
                     248);
    assert_int_equal(jf_triage_working_days_after(at("2025-12-31T23:59:59+08:00"),
                                                  at("2026-12-31T00:00:00+08:00")),
                     248);
}

static void test_due_spring_festival_2026(void **state)
{
    (void)state;
    /* Friday 13 Feb: the next working day is the adjusted Saturday 14 Feb. */
    expect_due("2026-02-13T10:00:00+08:00", 1, "2026-02-14T23:59:59+08:00");
    /* From Saturday 14 Feb, 15-23 Feb are off: Tuesday 24 Feb. */
    expect_due("2026-02-14T10:00:00+08:00", 1, "2026-02-24T23:59:59+08:00");
    /* 14, 24, 25, 26, 27 Feb. */
    expect_due("2026-02-13T10:00:00+08:00", 5, "2026-02-27T23:59:59+08:00");
    /* 14, 24-27, 28 (adjusted Saturday), 2-6 Mar, 9-12 Mar. */
    expect_due("2026-02-13T10:00:00+08:00", 15, "2026-03-12T23:59:59+08:00");
}

static void test_due_national_day_2026(void **state)
{
    (void)state;
    /* Friday 18 and Saturday 19 Sep: the next working day is the adjusted Sunday 20 Sep. */
    expect_due("2026-09-18T09:00:00+08:00", 1, "2026-09-20T23:59:59+08:00");
    expect_due("2026-09-19T09:00:00+08:00", 1, "2026-09-20T23:59:59+08:00");
    /* Thursday 24 Sep: 25-27 Sep off; 28, 29, 30 Sep; 1-7 Oct off; 8, 9 Oct. */
    expect_due("2026-09-24T09:00:00+08:00", 5, "2026-10-09T23:59:59+08:00");
    /* Wednesday 30 Sep: 8 Oct first, then 9, 10 (adjusted Saturday), 12, 13 Oct. */
    expect_due("2026-09-30T09:00:00+08:00", 1, "2026-10-08T23:59:59+08:00");
    expect_due("2026-09-30T09:00:00+08:00", 5, "2026-10-13T23:59:59+08:00");
    /* ... 14, 15, 16, 19-23, 26, 27 Oct. */
    expect_due("2026-09-30T09:00:00+08:00", 15, "2026-10-27T23:59:59+08:00");
}

static void test_due_other_holidays(void **state)
{
    (void)state;
    /* 2025-2026 New Year: 1-3 Jan off, then the adjusted Sunday 4 Jan. */
    expect_due("2025-12-31T18:00:00+08:00", 1, "2026-01-04T23:59:59+08:00");
    /* 2025 Spring Festival: Monday 27 Jan, 28 Jan-4 Feb off. */
    expect_due("2025-01-27T09:00:00+08:00", 1, "2025-02-05T23:59:59+08:00");
    /* 2025 National Day: 1-8 Oct off; 9, 10 and the adjusted Saturday 11 Oct. */
    expect_due("2025-09-30T09:00:00+08:00", 1, "2025-10-09T23:59:59+08:00");
    expect_due("2025-09-30T09:00:00+08:00", 3, "2025-10-11T23:59:59+08:00");
    /* 2025 Labour Day: Saturday 26 Apr is followed by the adjusted Sunday 27 Apr. */
    expect_due("2025-04-26T09:00:00+08:00", 1, "2025-04-27T23:59:59+08:00");
}

static void test_due_received_on_holiday(void **state)
{
    (void)state;
    /* Wednesday 18 Feb 2026 is a holiday: nothing counts until 24 Feb, and the fifth
     * working day is the adjusted Saturday 28 Feb. */
    expect_due("2026-02-18T11:00:00+08:00", 1, "2026-02-24T23:59:59+08:00");
    expect_due("2026-02-18T11:00:00+08:00", 5, "2026-02-28T23:59:59+08:00");
    /* Saturday 3 Oct 2026, in the National Day holiday. */
    expect_due("2026-10-03T11:00:00+08:00", 1, "2026-10-08T23:59:59+08:00");
    /* Saturday 3 May 2025, in the Labour Day holiday: 4 and 5 May are off too. */
    expect_due("2025-05-03T11:00:00+08:00", 1, "2025-05-06T23:59:59+08:00");
}

static void test_due_received_on_adjusted_day(void **state)
{
    (void)state;
    /* The day of receipt never counts, even when it is a working day. */
    expect_due("2026-02-28T11:00:00+08:00", 1, "2026-03-02T23:59:59+08:00");
    expect_due("2026-09-20T11:00:00+08:00", 1, "2026-09-21T23:59:59+08:00");
    expect_due("2026-10-10T11:00:00+08:00", 1, "2026-10-12T23:59:59+08:00");
}

static void test_due_day_boundaries(void **state)
{
    (void)state;
    /* The first and last second of Friday 13 Feb CST belong to 13 Feb. */
    expect_due("2026-02-13T00:00:00+08:00", 1, "2026-02-14T23:59:59+08:00");
    expect_due("2026-02-13T23:59:59+08:00", 1, "2026-02-14T23:59:59+08:00");
    /* One second later it is 14 Feb, and the deadline jumps past the holiday. */
    expect_due("2026-02-14T00:00:00+08:00", 1, "2026-02-24T23:59:59+08:00");
    /* Instants given in UTC count by their CST date, not their UTC date. */
    expect_due("2026-02-13T15:59:59Z", 1, "2026-02-14T23:59:59+08:00");
    expect_due("2026-02-13T16:30:00Z", 1, "2026-02-24T23:59:59+08:00");
    expect_due("2026-02-13T22:30:00-05:00", 1, "2026-02-24T23:59:59+08:00");
}

static void test_due_year_without_notice(void **state)
{
    (void)state;
    /* 1 Jan 2027 will surely be a holiday, but until its notice is in the table 2027 is
     * plain Monday to Friday, which is why callers check jf_triage_calendar_year_known. */
    assert_false(jf_triage_calendar_year_known(2027));
    expect_due("2026-12-31T09:00:00+08:00", 1, "2027-01-01T23:59:59+08:00");
    expect_due("2027-01-08T09:00:00+08:00", 1, "2027-01-11T23:59:59+08:00");
    expect_due("2027-01-08T09:00:00+08:00", 5, "2027-01-15T23:59:59+08:00");
    expect_due("2027-01-08T09:00:00+08:00", 15, "2027-01-29T23:59:59+08:00");
}

static void test_due_long_spans(void **state)
{
    (void)state;
    /* All 248 working days of 2026, the last being Thursday 31 Dec. */
    expect_due("2025-12-31T12:00:00+08:00", 248, "2026-12-31T23:59:59+08:00");
    /* 118 more in 2027: Friday 1 Jan, 23 full weeks to Friday 11 Jun (116), 14 and
     * 15 Jun. */
    expect_due("2025-12-31T12:00:00+08:00", JF_TRIAGE_MAX_WORKING_DAYS,
               "2027-06-15T23:59:59+08:00");
}

static void test_due_range_errors(void **state)
{
    int64_t due = 42;
    int64_t t = at("2026-02-13T10:00:00+08:00");
    (void)state;

    assert_int_equal(jf_triage_due(t, 0, &due), JF_ERR_RANGE);
    assert_int_equal(jf_triage_due(t, -1, &due), JF_ERR_RANGE);
    assert_int_equal(jf_triage_due(t, JF_TRIAGE_MAX_WORKING_DAYS + 1, &due), JF_ERR_RANGE);
    assert_int_equal(jf_triage_due(INT64_MAX, 1, &due), JF_ERR_RANGE);
    assert_int_equal(jf_triage_due(INT64_MIN, 1, &due), JF_ERR_RANGE);
    assert_int_equal(due, 42); /* untouched on error */

    /* The extremes of the accepted range work without overflow. */
    assert_int_equal(
        jf_triage_due(at("9999-12-31T23:59:59Z"), JF_TRIAGE_MAX_WORKING_DAYS, &due), JF_ERR_OK);
    assert_true(due > at("9999-12-31T23:59:59Z"));
    assert_int_equal(jf_triage_due(at("0001-01-01T00:00:00Z"), 1, &due), JF_ERR_OK);
}

static void test_working_days_after_cases(void **state)
{
    (void)state;
    /* Not a later day: 0, whatever the order or the hours. */
    assert_int_equal(jf_triage_working_days_after(at("2026-03-02T08:00:00+08:00"),
                                                  at("2026-03-02T20:00:00+08:00")),
                     0);
    assert_int_equal(jf_triage_working_days_after(at("2026-03-05T08:00:00+08:00"),
                                                  at("2026-03-02T20:00:00+08:00")),
                     0);
    /* Friday 13 Feb to Tuesday 24 Feb 2026: 14 (adjusted) and 24 Feb. */
    assert_int_equal(jf_triage_working_days_after(at("2026-02-13T10:00:00+08:00"),
                                                  at("2026-02-24T09:00:00+08:00")),
                     2);
    /* Across the whole holiday to the adjusted Saturday 28 Feb: 14, 24-27, 28. */
    assert_int_equal(jf_triage_working_days_after(at("2026-02-13T10:00:00+08:00"),
                                                  at("2026-02-28T09:00:00+08:00")),
                     6);
    /* Within the holiday: nothing. */
    assert_int_equal(jf_triage_working_days_after(at("2026-02-15T10:00:00+08:00"),
                                                  at("2026-02-23T23:00:00+08:00")),
                     0);
    /* One second across CST midnight onto the adjusted Saturday 14 Feb. */
    assert_int_equal(
        jf_triage_working_days_after(at("2026-02-13T15:59:59Z"), at("2026-02-13T16:00:00Z")),
        1);
    /* A deadline of 13 Oct 2026 missed on 16 Oct: 14, 15, 16 Oct. */
    assert_int_equal(jf_triage_working_days_after(at("2026-10-13T23:59:59+08:00"),
                                                  at("2026-10-16T10:00:00+08:00")),
                     3);
    /* Absurd instants are clamped, not overflowed. */
    assert_int_equal(jf_triage_working_days_after(INT64_MAX, INT64_MIN), 0);
    assert_true(jf_triage_working_days_after(INT64_MIN, INT64_MAX) > 2500000);
    (void)jf_triage_is_working_day(INT64_MAX);
    (void)jf_triage_is_working_day(INT64_MIN);
}

/* The closed-form count must agree with the day-by-day definition, and with jf_triage_due,
 * for every start day from late 2024 to early 2028 (across both notices and the years
 * without one), for spans up to 60 days and a few long ones. */
static void test_working_days_after_matches_definition(void **state)
{
    static const int spans[] = {0, 1, 2, 3, 5, 7, 9, 10, 14, 20, 30, 45, 60, 200, 400, 800};
    static const int ns[] = {1, 2, 5, 10, 15, 30, 366};
    (void)state;

    for (int64_t d = day_of(2024, 12, 1); d <= day_of(2028, 1, 31); d++) {
        int64_t from = jf_clock_cst_end_of_day(d) - 3600;
        for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
            int64_t to = jf_clock_cst_end_of_day(d + spans[i]) - 7200;
            assert_int_equal(jf_triage_working_days_after(from, to),
                             count_working_days(d + 1, d + spans[i]));
        }
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
            int64_t due = 0;
            assert_int_equal(jf_triage_due(from, ns[i], &due), JF_ERR_OK);
            assert_true(jf_triage_is_working_day(jf_clock_cst_day(due)));
            assert_int_equal(jf_triage_working_days_after(from, due), ns[i]);
            assert_int_equal(jf_triage_working_days_after(from, due - 86400), ns[i] - 1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_well_formed),
        cmocka_unit_test(test_notice_dates),
        cmocka_unit_test(test_year_known),
        cmocka_unit_test(test_year_totals),
        cmocka_unit_test(test_due_spring_festival_2026),
        cmocka_unit_test(test_due_national_day_2026),
        cmocka_unit_test(test_due_other_holidays),
        cmocka_unit_test(test_due_received_on_holiday),
        cmocka_unit_test(test_due_received_on_adjusted_day),
        cmocka_unit_test(test_due_day_boundaries),
        cmocka_unit_test(test_due_year_without_notice),
        cmocka_unit_test(test_due_long_spans),
        cmocka_unit_test(test_due_range_errors),
        cmocka_unit_test(test_working_days_after_cases),
        cmocka_unit_test(test_working_days_after_matches_definition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
