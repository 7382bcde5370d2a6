/* form.h - application/x-www-form-urlencoded decoding with hard limits.
 *
 * Decodes "a=1&b=x+y%21" into name/value pairs ('+' is a space, %XX a byte). Names and
 * values are checked to be valid UTF-8 without NUL bytes, so that nothing downstream sees
 * broken text and every name and value is a complete C string. Not thread-safe per form;
 * distinct forms may be used on distinct threads.
 *
 * The grammar, decided once here so every adapter agrees:
 *   - pairs are separated by '&'; empty pairs ("a=1&&b=2", a leading or trailing '&') are
 *     skipped and do not count against JF_FORM_MAX_FIELDS;
 *   - a pair is split at its first '=': "a=b=c" is name "a", value "b=c";
 *   - a pair without '=' is a name with an empty value ("flag" -> "flag" = ""), as browsers'
 *     URLSearchParams, Python's parse_qsl(keep_blank_values=True) and Twilio's validators
 *     treat it;
 *   - a pair with an empty name ("=x", "=") is malformed: JF_ERR_PARSE;
 *   - '+' decodes to a space; "%XX" with two hex digits (either case) to that byte; a '%'
 *     not followed by two hex digits is malformed;
 *   - a NUL byte, whether escaped (%00) or raw, is malformed;
 *   - after decoding, every name and value must be valid UTF-8 (no overlong forms, no
 *     surrogates, nothing above U+10FFFF);
 *   - fields keep the order of the body, duplicates included.
 */
#ifndef JF_WEBHOOK_FORM_H
#define JF_WEBHOOK_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Most non-empty pairs one form may hold. */
#define JF_FORM_MAX_FIELDS 128
/* Longest encoded input jf_webhook_form_parse accepts (the webhook body limit). */
#define JF_FORM_MAX_LEN (64 * 1024)

typedef struct {
    char *name;  /* NUL-terminated, owned by the form */
    char *value; /* NUL-terminated, owned by the form */
} jf_form_field;

typedef struct {
    jf_form_field *fields;
    size_t n;
} jf_form;

/* jf_webhook_form_parse - decode len bytes of body (borrowed; need not be NUL-terminated)
 * into *out, which is overwritten: free a previously parsed form first. The caller frees
 * *out with jf_webhook_form_free, also on failure (it is then empty).
 * Returns JF_ERR_PARSE on a bad %-escape, a NUL byte, invalid UTF-8 or a pair with an
 * empty name; JF_ERR_TOOBIG past JF_FORM_MAX_FIELDS pairs or JF_FORM_MAX_LEN bytes;
 * JF_ERR_INVAL when body is NULL with len > 0 or out is NULL; JF_ERR_NOMEM. */
jf_err jf_webhook_form_parse(const char *body, size_t len, jf_form *out) JF_WUR;

/* jf_webhook_form_parse_detail - jf_webhook_form_parse, and on failure *why (may be NULL)
 * receives a static, English description of what is wrong ("invalid percent-escape") that
 * never contains input data, so it may be sent back to the client as is. */
jf_err jf_webhook_form_parse_detail(const char *body, size_t len, jf_form *out,
                                    const char **why) JF_WUR;

/* jf_webhook_form_get - the value of the first field called name (exact, case-sensitive
 * match), or NULL if there is none or f is NULL. The pointer is borrowed from f. */
const char *jf_webhook_form_get(const jf_form *f, const char *name);

/* jf_webhook_form_free - wipe and free all fields; f may be reused. NULL allowed. */
void jf_webhook_form_free(jf_form *f);

/* jf_webhook_urlencode - append s percent-encoded for a query string or form body
 * (unreserved characters as is, space as %20, everything else %XX) to out. */
jf_err jf_webhook_urlencode(jf_buf *out, const char *s) JF_WUR;

/* jf_webhook_form_add - append "name=value" (both encoded) to a form body or query
 * string in out, with a leading '&' unless out is empty or ends in '?' or '&'. */
jf_err jf_webhook_form_add(jf_buf *out, const char *name, const char *value) JF_WUR;

/* jf_webhook_utf8_valid - true when the n bytes at s are well-formed UTF-8 (Unicode
 * Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF). NUL bytes are
 * valid UTF-8; callers that need C strings reject them separately. Thread-safe. */
bool jf_webhook_utf8_valid(const char *s, size_t n);

#endif
