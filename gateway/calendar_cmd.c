/* calendar_cmd.c - `jianfu calendar import|show`, and installing imported notices. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "gateway/cmd_util.h"
#include "gateway/gateway.h"
#include "store/calendar.h"
#include "triage/calendar.h"

#define NOTICE_FILE_MAX (64 * 1024)
#define MAX_YEARS 64

typedef struct {
    jf_triage_calendar_year *years;
    size_t n;
    char *err;
    size_t errsz;
    jf_err status;
} load_ctx;

static int load_one(int year, const char *source, void *arg)
{
    load_ctx *c = arg;
    char why[256] = "";
    if (c->n >= MAX_YEARS)
        return 1;
    if (jf_triage_calendar_parse(source, strlen(source), &c->years[c->n], why, sizeof why) ||
        c->years[c->n].year != year) {
        snprintf(c->err, c->errsz, "stored notice for %d does not parse: %s", year, why);
        c->status = JF_ERR_CONFIG;
        return 1;
    }
    c->n++;
    return 0;
}

jf_err jf_gateway_calendar_load(PGconn *conn, int *years, char *errbuf, size_t errsz)
{
    load_ctx c = {calloc(MAX_YEARS, sizeof(jf_triage_calendar_year)), 0, errbuf, errsz,
                  JF_ERR_OK};
    jf_err err = JF_ERR_NOMEM;
    if (!c.years)
        goto out;
    err = jf_store_calendar_each(conn, load_one, &c, errbuf, errsz);
    if (!err)
        err = c.status;
    if (!err)
        err = jf_triage_calendar_install(c.years, c.n);
    if (!err && years)
        *years = (int)c.n;
out:
    free(c.years);
    return err;
}

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "jianfu calendar import: cannot read %s: %s\n", path, strerror(errno));
        return JF_EXIT_FAIL;
    }
    char *buf = malloc(NOTICE_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, NOTICE_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf || n > NOTICE_FILE_MAX) {
        fprintf(stderr, "jianfu calendar import: %s is larger than %d bytes\n", path,
                NOTICE_FILE_MAX);
        free(buf);
        return JF_EXIT_USAGE;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return JF_EXIT_OK;
}

static int working_days_in(int year)
{
    jf_date first = {year, 1, 1};
    int64_t from = jf_clock_cst_end_of_day(jf_clock_days_from_civil(first) - 1);
    jf_date last = {year, 12, 31};
    int64_t to = jf_clock_cst_end_of_day(jf_clock_days_from_civil(last));
    return jf_triage_working_days_after(from, to);
}

static int cmd_import(const char *path)
{
    char *text = NULL, why[256] = "", msg[512] = "";
    size_t len = 0;
    jf_triage_calendar_year y;
    jf_config cfg;
    PGconn *conn = NULL;

    int rc = read_file(path, &text, &len);
    if (rc)
        return rc;
    if (jf_triage_calendar_parse(text, len, &y, why, sizeof why)) {
        fprintf(stderr, "jianfu calendar import: %s: %s\n", path, why);
        rc = JF_EXIT_USAGE;
        goto out;
    }
    rc = jf_cmd_open_db("calendar import", &cfg, &conn);
    if (rc)
        goto out;
    rc = jf_cmd_check_schema("calendar import", conn);
    if (!rc && jf_store_calendar_put(conn, y.year, y.notice, text, msg, sizeof msg)) {
        fprintf(stderr, "jianfu calendar import: %s\n", msg);
        rc = JF_EXIT_FAIL;
    } else if (!rc) {
        size_t before = 0; /* dates in the December before the notice's year */
        for (size_t i = 0; i < y.nholidays; i++)
            before += y.holidays[i].y != y.year;
        for (size_t i = 0; i < y.nworkdays; i++)
            before += y.workdays[i].y != y.year;
        if (jf_triage_calendar_install(&y, 1) == JF_ERR_OK)
            printf("imported %d: %s; %zu holiday dates, %zu adjusted working days (dates in "
                   "December %d: %zu), %d working days in %d; running servers use it from "
                   "their next start\n",
                   y.year, y.notice, y.nholidays, y.nworkdays, y.year - 1, before,
                   working_days_in(y.year), y.year);
        jf_triage_calendar_uninstall();
    }
    PQfinish(conn);
    jf_config_free(&cfg);
out:
    free(text);
    return rc;
}

/* Whether a day of December of year is not what its weekday says (a later year's notice
 * named it). */
static bool december_named(int year)
{
    jf_date first = {year, 12, 1}, last = {year, 12, 31};
    for (int64_t d = jf_clock_days_from_civil(first); d <= jf_clock_days_from_civil(last); d++)
        if ((jf_clock_weekday(d) >= 6) == jf_triage_is_working_day(d))
            return true;
    return false;
}

static int cmd_show(const char *years)
{
    unsigned year = 0;
    jf_config cfg;
    PGconn *conn = NULL;
    char msg[512] = "";
    if (jf_config_parse_uint(years, 2000, 2999, &year)) {
        fprintf(stderr, "jianfu calendar show: YEAR must be a year from 2000 to 2999\n");
        return JF_EXIT_USAGE;
    }
    /* Imported notices are in the database; without one, show the built-in calendar. */
    if (getenv("JIANFU_DATABASE_URL")) {
        int rc = jf_cmd_open_db("calendar show", &cfg, &conn);
        if (rc)
            return rc;
        rc = jf_cmd_check_schema("calendar show", conn);
        if (!rc && jf_gateway_calendar_load(conn, NULL, msg, sizeof msg)) {
            fprintf(stderr, "jianfu calendar show: %s\n", msg);
            rc = JF_EXIT_FAIL;
        }
        PQfinish(conn);
        jf_config_free(&cfg);
        if (rc)
            return rc;
    }
    const char *notice = jf_triage_calendar_notice((int)year);
    if (notice)
        printf("%u: %s\n", year, notice);
    else if (jf_triage_calendar_notice((int)year + 1) && december_named((int)year))
        printf("%u: no notice loaded: counted Monday to Friday, but for the days in "
               "December below, which the notice for %u names\n",
               year, year + 1);
    else
        printf("%u: no notice loaded: counted Monday to Friday (import one with "
               "`jianfu calendar import FILE`)\n",
               year);
    jf_date first = {(int)year, 1, 1}, last = {(int)year, 12, 31};
    for (int64_t d = jf_clock_days_from_civil(first); d <= jf_clock_days_from_civil(last);
         d++) {
        bool weekend = jf_clock_weekday(d) >= 6;
        bool working = jf_triage_is_working_day(d);
        if (weekend == working) {
            jf_date x = jf_clock_civil_from_days(d);
            printf("  %04d-%02d-%02d %s\n", x.y, x.m, x.d,
                   working ? "workday (调休上班)" : "holiday (放假)");
        }
    }
    printf("working days: %d\n", working_days_in((int)year));
    jf_triage_calendar_uninstall();
    return JF_EXIT_OK;
}

int jf_cmd_calendar(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "import") == 0)
        return cmd_import(argv[2]);
    if (argc == 3 && strcmp(argv[1], "show") == 0)
        return cmd_show(argv[2]);
    fprintf(stderr, "usage: jianfu calendar import FILE\n"
                    "       jianfu calendar show YEAR\n"
                    "(the notice format is described in docs/calendar.md)\n");
    return JF_EXIT_USAGE;
}
