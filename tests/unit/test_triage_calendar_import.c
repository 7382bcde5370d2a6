/* test_triage_calendar_import.c - notices imported at run time: the text format, its
 * refusals, and that installed years change working days and deadlines (and replace a
 * built-in year). The 2030 notice below is made up for the test, not an official one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "triage/calendar.h"

static const char notice_2030[] = "# test notice, not an official one\n"
                                  "year 2030\n"
                                  "notice 测试用通知 2030\n"
                                  "holiday 2030-01-01\n"
                                  "holiday 2030-02-02 2030-02-08\n"
                                  "workday 2030-01-26\n"
                                  "workday 2030-02-09   # trailing comment\r\n";

static int64_t day_of(int y, int m, int d)
{
    jf_date date = {y, m, d};
    return jf_clock_days_from_civil(date);
}

static void due_str(const char *from, int n, char *out)
{
    int64_t t = 0, due = 0;
    assert_int_equal(jf_clock_parse_rfc3339(from, &t), JF_ERR_OK);
    assert_int_equal(jf_triage_due(t, n, &due), JF_ERR_OK);
    jf_clock_format_cst(due, out);
}

static void test_parse(void **state)
{
    (void)state;
    jf_triage_calendar_year y;
    char err[256] = "";
    assert_int_equal(
        jf_triage_calendar_parse(notice_2030, strlen(notice_2030), &y, err, sizeof err),
        JF_ERR_OK);
    assert_int_equal(y.year, 2030);
    assert_string_equal(y.notice, "测试用通知 2030");
    assert_int_equal(y.nholidays, 8);
    assert_int_equal(y.nworkdays, 2);
}

static void expect_refused(const char *text, const char *why)
{
    jf_triage_calendar_year y;
    char err[256] = "";
    assert_int_equal(jf_triage_calendar_parse(text, strlen(text), &y, err, sizeof err),
                     JF_ERR_PARSE);
    if (!strstr(err, why))
        fail_msg("error \"%s\" lacks \"%s\"", err, why);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refused("notice x\nholiday 2030-01-01\n", "'year YYYY' must come first");
    expect_refused("year 2030\nholiday 2030-01-01\n", "needs 'year', 'notice'");
    expect_refused("year 2030\nnotice x\n", "at least one 'holiday'");
    expect_refused("year 2030\nnotice x\nholiday 2031-01-01\n", "must lie in 2030");
    expect_refused("year 2030\nnotice x\nholiday 2030-02-30\n", "expected a date");
    expect_refused("year 2030\nnotice x\nholiday 2030-01-01\nworkday 2030-01-02\n",
                   "is a weekday");
    expect_refused("year 2030\nnotice x\nholiday 2030-01-01\nholiday 2030-01-01\n",
                   "listed twice");
    expect_refused("year 2030\nnotice x\nholiday 2030-01-05 2030-01-01\n",
                   "earlier to the later");
    expect_refused("year 2030\nnotice x\nvacation 2030-01-01\n", "expected year, notice");
    expect_refused("year 2030\nyear 2030\n", "'year YYYY' once");
    expect_refused("year 2030\nnotice x\nholiday 2030-01-01 2030-01-02 x\n",
                   "unexpected text after the dates");
}

static void test_install_changes_deadlines(void **state)
{
    (void)state;
    jf_triage_calendar_year y;
    char err[256], out[JF_RFC3339_LEN];
    assert_false(jf_triage_calendar_year_known(2030));
    /* Before: 2030-02-04 is a plain Monday. */
    assert_true(jf_triage_is_working_day(day_of(2030, 2, 4)));
    due_str("2030-02-01T10:00:00+08:00", 1, out);
    assert_string_equal(out, "2030-02-04T23:59:59+08:00");

    assert_int_equal(
        jf_triage_calendar_parse(notice_2030, strlen(notice_2030), &y, err, sizeof err),
        JF_ERR_OK);
    assert_int_equal(jf_triage_calendar_install(&y, 1), JF_ERR_OK);
    assert_true(jf_triage_calendar_year_known(2030));
    assert_string_equal(jf_triage_calendar_notice(2030), "测试用通知 2030");
    assert_false(jf_triage_is_working_day(day_of(2030, 2, 4)));
    assert_true(jf_triage_is_working_day(day_of(2030, 2, 9))); /* a Saturday worked */
    /* Friday 2030-02-01: the holiday runs 02-02..02-08, then Saturday 02-09 is worked. */
    due_str("2030-02-01T10:00:00+08:00", 1, out);
    assert_string_equal(out, "2030-02-09T23:59:59+08:00");
    /* Working days in January 2030: 23 weekdays - New Year + the Saturday 26th = 23. */
    int64_t from = jf_clock_cst_end_of_day(day_of(2029, 12, 31));
    int64_t to = jf_clock_cst_end_of_day(day_of(2030, 1, 31));
    assert_int_equal(jf_triage_working_days_after(from, to), 23);

    /* Installing again replaces; an empty install forgets. */
    assert_int_equal(jf_triage_calendar_install(NULL, 0), JF_ERR_OK);
    assert_false(jf_triage_calendar_year_known(2030));
    assert_true(jf_triage_is_working_day(day_of(2030, 2, 4)));
}

static void test_import_replaces_builtin_year(void **state)
{
    (void)state;
    /* A corrected 2026 notice that, say, moved nothing but New Year's Day. */
    static const char corrected[] = "year 2026\nnotice corrected 2026 (test)\n"
                                    "holiday 2026-01-01\n";
    jf_triage_calendar_year y;
    char err[256];
    assert_false(jf_triage_is_working_day(day_of(2026, 10, 1))); /* built in: National Day */
    assert_int_equal(
        jf_triage_calendar_parse(corrected, strlen(corrected), &y, err, sizeof err), JF_ERR_OK);
    assert_int_equal(jf_triage_calendar_install(&y, 1), JF_ERR_OK);
    assert_true(jf_triage_is_working_day(day_of(2026, 10, 1)));
    assert_false(jf_triage_is_working_day(day_of(2026, 1, 1)));
    assert_string_equal(jf_triage_calendar_notice(2026), "corrected 2026 (test)");
    /* Two entries for one year are refused. */
    jf_triage_calendar_year two[2] = {y, y};
    assert_int_equal(jf_triage_calendar_install(two, 2), JF_ERR_EXISTS);
    jf_triage_calendar_uninstall();
    assert_false(jf_triage_is_working_day(day_of(2026, 10, 1)));
}

/* The notice for 2019 (国办发明电〔2018〕15号) began:
 * 元旦：2018年12月30日至2019年1月1日放假调休， 共3天。2018年12月29日（星期六）上班。Its New
 * Year lines name days of the year before. */
static const char notice_2019_new_year[] =
    "year 2019\n"
    "notice 国务院办公厅关于2019年部分节假日安排的通知（国办发明电〔2018〕15号），元旦部分\n"
    "holiday 2018-12-30 2019-01-01\n"
    "workday 2018-12-29\n";

static void test_new_year_in_december(void **state)
{
    (void)state;
    jf_triage_calendar_year y[2];
    char err[256] = "", out[JF_RFC3339_LEN];
    int64_t from = jf_clock_cst_end_of_day(day_of(2018, 12, 27));
    int64_t to = jf_clock_cst_end_of_day(day_of(2019, 1, 2));

    /* Before: Fri 28, Mon 31, Tue 1, Wed 2. */
    assert_int_equal(jf_triage_working_days_after(from, to), 4);
    assert_int_equal(jf_triage_calendar_parse(notice_2019_new_year,
                                              strlen(notice_2019_new_year), &y[0], err,
                                              sizeof err),
                     JF_ERR_OK);
    assert_int_equal(y[0].nholidays, 3);
    assert_int_equal(y[0].nworkdays, 1);
    assert_int_equal(jf_triage_calendar_install(&y[0], 1), JF_ERR_OK);
    assert_true(jf_triage_is_working_day(day_of(2018, 12, 29)));  /* Saturday, worked */
    assert_false(jf_triage_is_working_day(day_of(2018, 12, 31))); /* Monday, off */
    assert_true(jf_triage_is_working_day(day_of(2018, 12, 28)));
    /* After: Fri 28, Sat 29, Wed 2 -- the same count day by day as in one sum. */
    assert_int_equal(jf_triage_working_days_after(from, to), 3);
    due_str("2018-12-28T10:00:00+08:00", 1, out);
    assert_string_equal(out, "2018-12-29T23:59:59+08:00");
    due_str("2018-12-28T10:00:00+08:00", 2, out);
    assert_string_equal(out, "2019-01-02T23:59:59+08:00");

    /* Where two notices name the same day, the later notice decides, whatever the order
     * they are installed in. (A made-up 2018 notice that gave the Saturday off.) */
    static const char made_up_2018[] = "year 2018\nnotice test 2018, not official\n"
                                       "holiday 2018-12-29\n";
    assert_int_equal(
        jf_triage_calendar_parse(made_up_2018, strlen(made_up_2018), &y[1], err, sizeof err),
        JF_ERR_OK);
    assert_int_equal(jf_triage_calendar_install(y, 2), JF_ERR_OK);
    assert_true(jf_triage_is_working_day(day_of(2018, 12, 29)));
    assert_int_equal(jf_triage_working_days_after(from, to), 3);
    jf_triage_calendar_year swapped[2] = {y[1], y[0]};
    assert_int_equal(jf_triage_calendar_install(swapped, 2), JF_ERR_OK);
    assert_true(jf_triage_is_working_day(day_of(2018, 12, 29)));
    assert_int_equal(jf_triage_working_days_after(from, to), 3);

    /* Only the December before: not November, not the year after. */
    expect_refused("year 2019\nnotice x\nholiday 2018-11-30\n", "must lie in 2019");
    expect_refused("year 2019\nnotice x\nholiday 2020-01-01\n", "must lie in 2019");
    expect_refused("year 2019\nnotice x\nholiday 2017-12-30\n", "or in December 2018");
    jf_triage_calendar_uninstall();
    assert_int_equal(jf_triage_working_days_after(from, to), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_install_changes_deadlines),
        cmocka_unit_test(test_import_replaces_builtin_year),
        cmocka_unit_test(test_new_year_in_december),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
