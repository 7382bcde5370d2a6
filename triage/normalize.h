/* normalize.h - canonical form of short, informal Chinese text for matching and classifying.
 *
 * Cadres type on phones with whatever input method they have: full-width Latin letters
 * and digits, traditional characters (a Hong Kong or Taiwan input method, or a forwarded
 * text), CJK and ASCII punctuation mixed at will. Everything that compares a message with
 * something learnt or configured (the classifier's n-grams, its keyword rules, department
 * names) first brings both sides to one form, so that those differences do not matter:
 *
 *   - full-width ASCII (U+FF01..U+FF5E) becomes its ASCII counterpart;
 *   - ASCII letters are lower-cased;
 *   - every run of ASCII digits (after the step above) becomes one JF_NORM_DIGIT ('#'):
 *     "3天" and "15天" are the same feature; '#' itself counts as a digit, so that
 *     normalising normalised text changes nothing;
 *   - punctuation marks, CJK or ASCII (、。，？！“”《》【】…… and the like, full-width ones as
 *     ASCII), are kept as they are in the classifier's form (jf_triage_normalize):
 *     "在哪个会议室？" asks, "又要拍照！" complains, and cross-validation on the corpus put
 *     keeping them about 0.4 points of accuracy above treating them as separators; in
 *     the keyword and names forms they separate;
 *   - symbols (ASCII $ + < = > ^ ` | ~ and the other signs), emoji, the ideographic space
 *     U+3000 and every other white space become a separator; runs of separators collapse
 *     to one ASCII space, with none at either end;
 *   - control characters, zero-width characters, variation selectors and private-use
 *     characters are dropped without leaving a separator;
 *   - about 800 common traditional characters become their simplified form (a cheap,
 *     character-by-character table: no phrase conversion, and characters whose traditional
 *     form is also in everyday simplified use, such as 乾 or 著, are left alone);
 *   - bytes that are not valid UTF-8 (stray continuation bytes, overlong forms, surrogates,
 *     code points past U+10FFFF, truncated sequences) are skipped one byte at a time.
 *
 * The output is always valid UTF-8. Pure functions over constant tables: thread-safe, no
 * allocation. Changing what normalisation does changes the features of saved classifier
 * models: bump JF_NORM_VERSION when it does, and models saved before will be refused.
 */
#ifndef JF_TRIAGE_NORMALIZE_H
#define JF_TRIAGE_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The placeholder a run of digits becomes. */
#define JF_NORM_DIGIT '#'

/* Version of the normal form; stored in model files. */
#define JF_NORM_VERSION 2 /* 2: the classifier keeps punctuation marks */

/* jf_triage_normalize - write the normal form of len bytes of in (borrowed; need not be
 * NUL-terminated, may contain NUL bytes, which are dropped as control characters) into
 * out, which has room for outsz bytes including the terminating NUL. *outlen (may be
 * NULL) receives the length written, without the NUL.
 *
 * The output is never longer than the input, so outsz >= len + 1 always suffices. When
 * out is too small, as much as fits is written, cut at a character boundary, still valid
 * UTF-8 and NUL-terminated, and JF_ERR_TOOBIG is returned: callers that only need a
 * bounded prefix (the classifier does) may use that output. JF_ERR_INVAL when out is NULL
 * or outsz is 0, or in is NULL with len > 0. */
jf_err jf_triage_normalize(const char *in, size_t len, char *out, size_t outsz,
                           size_t *outlen) JF_WUR;

/* jf_triage_normalize_keywords - the form keyword rules match in (rules.h): the same
 * normal form, except that punctuation marks separate, like symbols, so that a rule
 * written "填表、报数" matches "填表，报数" and "填表 报数" alike. Same contract as
 * jf_triage_normalize otherwise. */
jf_err jf_triage_normalize_keywords(const char *in, size_t len, char *out, size_t outsz,
                                    size_t *outlen) JF_WUR;

/* jf_triage_normalize_names - the keyword form with one difference: digits are kept as
 * they are (full-width ones as ASCII) and '#' is punctuation like any other. For
 * matching names in which the number is the name (12345热线, 110, 第三中学 written 3中):
 * department names and aliases, urgency words, and the texts scanned for them. Same
 * contract as jf_triage_normalize otherwise. */
jf_err jf_triage_normalize_names(const char *in, size_t len, char *out, size_t outsz,
                                 size_t *outlen) JF_WUR;

/* jf_triage_to_simplified - the simplified form of code point cp from the built-in table,
 * or cp itself when the table has no entry (simplified, shared or unknown characters). */
uint32_t jf_triage_to_simplified(uint32_t cp);

/* jf_triage_utf8_next - decode one code point from the n bytes at s (n >= 1). Returns the
 * number of bytes it takes (1..4) and sets *cp; returns 0 when the bytes at s do not start
 * a valid, shortest-form UTF-8 sequence of a scalar value within n bytes (then *cp is not
 * written). Used on normalised text, which is always valid. */
size_t jf_triage_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* jf_triage_normalize_check - verify the built-in traditional-to-simplified table: keys
 * strictly ascending (lookups binary-search it), no entry mapping to itself, and no
 * simplified form that is itself a key (so normalising twice changes nothing).
 * JF_ERR_CONFIG when it fails; called by the unit tests. */
jf_err jf_triage_normalize_check(void) JF_WUR;

/* jf_triage_t2s_size - how many entries the traditional-to-simplified table holds. */
size_t jf_triage_t2s_size(void);

#endif
