/* log.c - PII-safe single-line event log on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024
#define LOG_MASK_RUN 7

static atomic_int min_level = JF_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void jf_log_set_level(jf_log_level level)
{
    atomic_store(&min_level, (int)level);
}

void jf_log_mask_digits(char *s, int min_run)
{
    size_t i = 0;
    while (s[i]) {
        size_t j = i;
        while (s[j] >= '0' && s[j] <= '9')
            j++;
        if ((int)(j - i) >= min_run)
            memset(s + i, '#', j - i);
        i = j > i ? j : i + 1;
    }
}

void jf_log(jf_log_level level, const char *event, const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level))
        return;

    char line[LOG_LINE_MAX];
    char details[LOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    /* Asia/Shanghai has had a fixed +08:00 offset since 1991, so no tz database needed. */
    time_t local = tv.tv_sec + 8 * 3600;
    gmtime_r(&local, &tm);

    va_list ap;
    va_start(ap, fmt);
    vsnprintf(details, sizeof details, fmt, ap);
    va_end(ap);
    /* Keep one event on one line whatever the details contain. */
    for (char *p = details; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    jf_log_mask_digits(details, LOG_MASK_RUN);

    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+08:00 %s %s%s%s\n",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(tv.tv_usec / 1000), level_names[level], event,
                     details[0] ? " " : "", details);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}
