/* log.h - one line per operational event on stderr, safe for a reporter's anonymity.
 *
 * Callers never pass message text, sender addresses, IP addresses or raw payloads; as a
 * second line of defence every run of seven or more digits in a formatted line is masked,
 * so that a phone number, resident ID or card number slipped in by mistake never reaches
 * the log. Lines look like
 *     2026-11-26T22:40:00.123+08:00 info intake.stored batch=12 ms=3
 * Thread-safe: each line is written with one write(2).
 */
#ifndef JF_CORE_LOG_H
#define JF_CORE_LOG_H

typedef enum { JF_LOG_DEBUG, JF_LOG_INFO, JF_LOG_WARN, JF_LOG_ERROR } jf_log_level;

/* jf_log_set_level - drop events below level (read once from JIANFU_LOG_LEVEL at start). */
void jf_log_set_level(jf_log_level level);

/* jf_log - write one event: a dotted event name and printf-style key=value details. */
void jf_log(jf_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define jf_log_debug(ev, ...) jf_log(JF_LOG_DEBUG, ev, __VA_ARGS__)
#define jf_log_info(ev, ...) jf_log(JF_LOG_INFO, ev, __VA_ARGS__)
#define jf_log_warn(ev, ...) jf_log(JF_LOG_WARN, ev, __VA_ARGS__)
#define jf_log_error(ev, ...) jf_log(JF_LOG_ERROR, ev, __VA_ARGS__)

/* jf_log_mask_digits - replace every run of min_run or more ASCII digits in s (in place)
 * with '#'. Exposed for tests and for code that must echo operator-supplied text. */
void jf_log_mask_digits(char *s, int min_run);

#endif
