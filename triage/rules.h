/* rules.h - keyword rules that coordinators edit to steer the complaint classifier.
 *
 * The statistical model learns from the corpus; rules let an office correct it at once,
 * without retraining, for a word it knows matters (a new app's name, a local campaign).
 * A rules file is UTF-8 text, one rule per line:
 *
 *     category<TAB>weight<TAB>pattern
 *
 *   category  a code of category.h ("apps")
 *   weight    a decimal number in [-JF_TRIAGE_RULE_MAX_WEIGHT, +JF_TRIAGE_RULE_MAX_WEIGHT],
 *             added to the category's calibrated log-odds when the rule matches: +1 makes
 *             the category about e (2.7) times as likely against the others, +3 about 20
 *             times, -2 about 7 times less likely
 *   pattern   a keyword, or keywords joined by '*', which stands for any text (possibly
 *             none) in between: "要求*截图" matches "要求每天转发并截图"
 *
 * Lines that are empty or start with '#' are ignored; a line may end in CR LF. The
 * pattern and the message are both brought to the keyword form
 * (jf_triage_normalize_keywords) before matching, so a pattern matches full-width,
 * traditional and differently punctuated spellings of itself, and digits in it match any
 * number. A rule matches at most once per message, however often its
 * keywords occur. Matching is by substring on the normalised text: cost grows with the
 * number of rules times the message length, which is negligible for the hundreds of rules
 * an office writes (the classifier benchmark includes them).
 *
 * A loaded rule set is immutable and may be shared by all threads without a lock.
 */
#ifndef JF_TRIAGE_RULES_H
#define JF_TRIAGE_RULES_H

#include <stddef.h>

#include "core/err.h"
#include "triage/category.h"

#define JF_TRIAGE_MAX_RULES 4096
#define JF_TRIAGE_RULE_MAX_PATTERN 256 /* bytes of one pattern as written */
#define JF_TRIAGE_RULE_MAX_PIECES 8    /* keywords joined by '*' in one pattern */
#define JF_TRIAGE_RULE_MAX_WEIGHT 20.0
#define JF_TRIAGE_RULES_MAX_FILE (1024 * 1024)

typedef struct jf_triage_rules jf_triage_rules;

/* One rule that matched a message. The pattern is as written in the rules file (not
 * normalised), borrowed from the rule set: valid until jf_triage_rules_free. */
typedef struct {
    const char *pattern;
    jf_triage_category category;
    double weight;
} jf_triage_rule_hit;

/* jf_triage_rules_parse - build a rule set from len bytes of text in the format above
 * (borrowed; the set keeps its own copies). *out receives the set (caller frees with
 * jf_triage_rules_free); an empty text gives an empty set. JF_ERR_PARSE with a message in
 * errbuf naming the line and what is wrong with it ("line 7: unknown category 'app'"),
 * JF_ERR_TOOBIG past JF_TRIAGE_MAX_RULES rules or JF_TRIAGE_RULES_MAX_FILE bytes,
 * JF_ERR_NOMEM. On error *out is NULL. errbuf may be NULL when errsz is 0. */
jf_err jf_triage_rules_parse(const char *text, size_t len, jf_triage_rules **out, char *errbuf,
                             size_t errsz) JF_WUR;

/* jf_triage_rules_load - read the file at path and parse it as above. JF_ERR_IO with the
 * reason in errbuf when it cannot be read. */
jf_err jf_triage_rules_load(const char *path, jf_triage_rules **out, char *errbuf,
                            size_t errsz) JF_WUR;

/* jf_triage_rules_free - release a set; NULL allowed. */
void jf_triage_rules_free(jf_triage_rules *r);

/* jf_triage_rules_count - how many rules the set holds (0 for NULL). */
size_t jf_triage_rules_count(const jf_triage_rules *r);

/* jf_triage_rules_apply - match every rule against len bytes of normalised text norm (the
 * output of jf_triage_normalize_keywords). Adds each matching rule's weight to adj[category]
 * (adj is not cleared first) and writes up to max_hits of the matching rules, in file
 * order, to hits (may be NULL when max_hits is 0). Returns how many rules matched, which
 * may exceed max_hits. r may be NULL (no rules). Thread-safe, allocates nothing. */
size_t jf_triage_rules_apply(const jf_triage_rules *r, const char *norm, size_t len,
                             double adj[JF_CAT_COUNT], jf_triage_rule_hit *hits,
                             size_t max_hits);

#endif
