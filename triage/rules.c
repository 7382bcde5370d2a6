/* rules.c - coordinators' keyword rules: parsing the rules file and matching messages. */
#include "triage/rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/normalize.h"
#include "triage/textfile.h"

/* One rule. The normalised keywords of a pattern are stored one after another in text,
 * each NUL-terminated, npieces of them; pattern is the pattern as written. */
typedef struct {
    char *pattern;
    char *text;
    size_t len[JF_TRIAGE_RULE_MAX_PIECES];
    size_t npieces;
    jf_triage_category category;
    double weight;
} rule;

struct jf_triage_rules {
    rule *rules;
    size_t n;
};

static void set_err(char *errbuf, size_t errsz, size_t line, const char *what, const char *arg,
                    size_t arglen)
{
    if (errsz == 0)
        return;
    if (arg)
        snprintf(errbuf, errsz, "line %zu: %s '%.*s'", line, what,
                 (int)(arglen > 64 ? 64 : arglen), arg);
    else
        snprintf(errbuf, errsz, "line %zu: %s", line, what);
}

/* Strict decimal weight: optional sign, digits, optional fraction; nothing else (no
 * exponent, no "inf", no trailing junk), within the documented range. */
static jf_err parse_weight(const char *s, size_t n, double *out)
{
    char tmp[32];
    size_t i = 0, digits = 0;

    if (n == 0 || n >= sizeof tmp)
        return JF_ERR_PARSE;
    if (s[0] == '-' || s[0] == '+')
        i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    }
    if (i != n || digits == 0)
        return JF_ERR_PARSE;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double w = strtod(tmp, NULL);
    if (!isfinite(w) || fabs(w) > JF_TRIAGE_RULE_MAX_WEIGHT)
        return JF_ERR_RANGE;
    *out = w;
    return JF_ERR_OK;
}

/* Split pattern (plen bytes) on '*' and normalise each keyword into r. JF_ERR_PARSE when
 * nothing is left to match, JF_ERR_TOOBIG past JF_TRIAGE_RULE_MAX_PIECES keywords. */
static jf_err compile_pattern(rule *r, const char *pattern, size_t plen)
{
    jf_err err = JF_ERR_NOMEM;
    /* Normalisation never lengthens text, so each keyword fits in plen + 1 bytes, and all
     * of them with their NULs in plen + PIECES. */
    size_t cap = plen + JF_TRIAGE_RULE_MAX_PIECES + 1, used = 0;
    char *text = malloc(cap);
    size_t start = 0;

    r->npieces = 0;
    if (!text)
        goto out;
    while (start <= plen) {
        const char *star = memchr(pattern + start, '*', plen - start);
        size_t end = star ? (size_t)(star - pattern) : plen;
        size_t nlen = 0;
        err = jf_triage_normalize_keywords(pattern + start, end - start, text + used,
                                           cap - used, &nlen);
        if (err)
            goto out;
        if (nlen > 0) {
            err = JF_ERR_TOOBIG;
            if (r->npieces == JF_TRIAGE_RULE_MAX_PIECES)
                goto out;
            r->len[r->npieces++] = nlen;
            used += nlen + 1;
        }
        start = end + 1;
    }
    err = JF_ERR_PARSE;
    if (r->npieces == 0)
        goto out;
    r->text = text;
    text = NULL;
    err = JF_ERR_OK;
out:
    free(text);
    return err;
}

static void rule_free(rule *r)
{
    free(r->pattern);
    free(r->text);
}

void jf_triage_rules_free(jf_triage_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        rule_free(&r->rules[i]);
    free(r->rules);
    free(r);
}

/* Parse one non-comment line into r; line is for messages. */
static jf_err parse_line(rule *r, const char *s, size_t n, size_t line, char *errbuf,
                         size_t errsz)
{
    jf_err err = JF_ERR_PARSE;
    const char *tab1 = memchr(s, '\t', n);
    const char *tab2 = tab1 ? memchr(tab1 + 1, '\t', n - (size_t)(tab1 + 1 - s)) : NULL;

    memset(r, 0, sizeof *r);
    if (!tab1 || !tab2) {
        set_err(errbuf, errsz, line, "expected category<TAB>weight<TAB>pattern", NULL, 0);
        goto out;
    }
    const char *w = tab1 + 1, *p = tab2 + 1;
    size_t clen = (size_t)(tab1 - s), wlen = (size_t)(tab2 - w), plen = n - (size_t)(p - s);
    if (jf_triage_category_parse(s, clen, &r->category)) {
        set_err(errbuf, errsz, line, "unknown category", s, clen);
        goto out;
    }
    if (parse_weight(w, wlen, &r->weight)) {
        set_err(errbuf, errsz, line,
                "weight must be a decimal number from -20 to 20, e.g. 1.5; got", w, wlen);
        goto out;
    }
    if (memchr(p, '\t', plen)) {
        set_err(errbuf, errsz, line, "a pattern may not contain a TAB", NULL, 0);
        goto out;
    }
    if (plen > JF_TRIAGE_RULE_MAX_PATTERN) {
        err = JF_ERR_TOOBIG;
        set_err(errbuf, errsz, line, "pattern longer than 256 bytes", NULL, 0);
        goto out;
    }
    err = JF_ERR_NOMEM;
    r->pattern = malloc(plen + 1);
    if (!r->pattern)
        goto out;
    memcpy(r->pattern, p, plen);
    r->pattern[plen] = '\0';
    err = compile_pattern(r, p, plen);
    if (err == JF_ERR_PARSE)
        set_err(errbuf, errsz, line, "pattern has nothing to match after normalisation", p,
                plen);
    else if (err == JF_ERR_TOOBIG)
        set_err(errbuf, errsz, line, "pattern has more than 8 keywords joined by '*'", NULL, 0);
out:
    if (err) {
        rule_free(r);
        memset(r, 0, sizeof *r);
    }
    return err;
}

jf_err jf_triage_rules_parse(const char *text, size_t len, jf_triage_rules **out, char *errbuf,
                             size_t errsz)
{
    jf_err err = JF_ERR_NOMEM;
    jf_triage_rules *set = NULL;
    size_t cap = 0, line = 0, pos = 0;

    *out = NULL;
    if (errsz)
        errbuf[0] = '\0';
    if (len > JF_TRIAGE_RULES_MAX_FILE) {
        err = JF_ERR_TOOBIG;
        if (errsz)
            snprintf(errbuf, errsz, "rules larger than %d bytes", JF_TRIAGE_RULES_MAX_FILE);
        goto out;
    }
    set = calloc(1, sizeof *set);
    if (!set)
        goto out;
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (n == 0 || s[0] == '#')
            continue;
        if (set->n == JF_TRIAGE_MAX_RULES) {
            err = JF_ERR_TOOBIG;
            set_err(errbuf, errsz, line, "more than 4096 rules", NULL, 0);
            goto out;
        }
        if (set->n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            rule *nr = realloc(set->rules, ncap * sizeof *nr);
            err = JF_ERR_NOMEM;
            if (!nr)
                goto out;
            set->rules = nr;
            cap = ncap;
        }
        err = parse_line(&set->rules[set->n], s, n, line, errbuf, errsz);
        if (err)
            goto out;
        set->n++;
    }
    *out = set;
    set = NULL;
    err = JF_ERR_OK;
out:
    jf_triage_rules_free(set);
    return err;
}

jf_err jf_triage_rules_load(const char *path, jf_triage_rules **out, char *errbuf, size_t errsz)
{
    char *data = NULL;
    size_t len = 0;
    char msg[256];
    jf_err err;

    *out = NULL;
    err = jf_triage_read_file(path, JF_TRIAGE_RULES_MAX_FILE, &data, &len, errbuf, errsz);
    if (err)
        goto out;
    err = jf_triage_rules_parse(data, len, out, msg, sizeof msg);
    if (err && errsz)
        snprintf(errbuf, errsz, "%s: %s", path, msg);
out:
    free(data);
    return err;
}

size_t jf_triage_rules_count(const jf_triage_rules *r)
{
    return r ? r->n : 0;
}

/* The first occurrence of the n-byte needle (n > 0) in the hlen bytes at hay, or NULL.
 * memchr finds candidates by the needle's last byte: in Chinese UTF-8 that is a
 * continuation byte, spread over 64 values, where a lead byte takes only a handful
 * (0xE4..0xE9 for nearly all CJK) and would make nearly every character a candidate.
 * (memmem is a GNU extension.) */
static const char *find_bytes(const char *hay, size_t hlen, const char *needle, size_t n)
{
    if (hlen < n)
        return NULL;
    const char *p = hay + n - 1, *end = hay + hlen;
    while (p < end) {
        const char *c = memchr(p, needle[n - 1], (size_t)(end - p));
        if (!c)
            return NULL;
        if (memcmp(c - (n - 1), needle, n - 1) == 0)
            return c - (n - 1);
        p = c + 1;
    }
    return NULL;
}

/* Whether the keywords of r occur in text in order, each after the end of the one
 * before. Taking each keyword's earliest occurrence after the previous one is enough:
 * an earlier end never rules out a later keyword that a later end would allow. */
static int rule_matches(const rule *r, const char *text, size_t len)
{
    size_t pos = 0;
    const char *kw = r->text;
    for (size_t i = 0; i < r->npieces; i++) {
        const char *hit = find_bytes(text + pos, len - pos, kw, r->len[i]);
        if (!hit)
            return 0;
        pos = (size_t)(hit - text) + r->len[i];
        kw += r->len[i] + 1;
    }
    return 1;
}

size_t jf_triage_rules_apply(const jf_triage_rules *r, const char *norm, size_t len,
                             double adj[JF_CAT_COUNT], jf_triage_rule_hit *hits,
                             size_t max_hits)
{
    size_t matched = 0;
    if (!r)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        const rule *ru = &r->rules[i];
        if (!rule_matches(ru, norm, len))
            continue;
        adj[ru->category] += ru->weight;
        if (matched < max_hits) {
            hits[matched].pattern = ru->pattern;
            hits[matched].category = ru->category;
            hits[matched].weight = ru->weight;
        }
        matched++;
    }
    return matched;
}
