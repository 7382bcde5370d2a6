/* route.h - finding the departments a complaint names, with an Aho-Corasick automaton.
 *
 * Cadres name the department that burdens them in many ways: its full name (县教育局),
 * its short forms and aliases (教体局, 教育局). A router is built once from every
 * department's names and aliases and then scans a text in one pass, whatever the number of
 * patterns, reporting every occurrence. The most specific (longest) name found decides:
 * "县教育局" beats "教育局" when both match, and among equally long names the one that
 * occurs first in the text wins.
 *
 * Matching is on UTF-8 bytes, so patterns and texts should be normalised the same way
 * before (see normalize.h); a match must start and end on character boundaries, which
 * holds for valid UTF-8 on both sides. A pattern that begins or ends with an ASCII digit
 * matches only where the text has no digit just before or after it, so that a number in
 * a name (110, 12345热线) is found only as a whole number. A built router is immutable
 * and may be shared by all threads without a lock.
 */
#ifndef JF_TRIAGE_ROUTE_H
#define JF_TRIAGE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define JF_ROUTE_MAX_PATTERNS 65536
#define JF_ROUTE_MAX_PATTERN_LEN 256

typedef struct jf_triage_router jf_triage_router;

/* One pattern: the text to find and the department it names (an opaque id for the
 * caller, e.g. the department's row id). */
typedef struct {
    const char *text;
    int64_t department;
} jf_triage_route_pattern;

/* The decision for one text. */
typedef struct {
    int64_t department;  /* 0 when no pattern matched */
    const char *pattern; /* the winning pattern, borrowed from the router; NULL if none */
    size_t offset;       /* byte offset of the winning match in the text */
    size_t matches;      /* how many pattern occurrences the text holds in all */
} jf_triage_route_result;

/* jf_triage_router_build - build a router from n patterns (copied). Empty patterns and
 * patterns longer than JF_ROUTE_MAX_PATTERN_LEN are refused with JF_ERR_INVAL; the same
 * text for two departments with JF_ERR_EXISTS (an alias must name one department). */
jf_err jf_triage_router_build(const jf_triage_route_pattern *patterns, size_t n,
                              jf_triage_router **out) JF_WUR;

/* jf_triage_router_free - NULL allowed. */
void jf_triage_router_free(jf_triage_router *r);

/* jf_triage_route - scan len bytes of text and decide. Thread-safe. */
void jf_triage_route(const jf_triage_router *r, const char *text, size_t len,
                     jf_triage_route_result *out);

/* jf_triage_router_size - bytes the router holds (for memory budgets). */
size_t jf_triage_router_size(const jf_triage_router *r);

#endif
