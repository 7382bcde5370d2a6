/* redact.h - removing personal numbers from message text before it is stored.
 *
 * Three kinds of number are replaced by a bracketed Chinese label:
 *   - mainland mobile numbers, 1[3-9] and nine more digits, with or without +86 / 0086,
 *     written with spaces or dashes between digit groups, or with full-width digits
 *     -> "[手机号]";
 *   - 18-character resident ID numbers (GB 11643-1999) whose check character is right
 *     -> "[身份证号]";
 *   - bank card numbers of 16 to 19 digits (spaces allowed between groups) that pass the
 *     Luhn check -> "[银行卡号]".
 * A number is only considered as a whole digit run: digits of a longer run are never
 * redacted piecemeal, and runs that fail the checks (dates, amounts, document numbers)
 * stay as written. Thread-safe; input is borrowed.
 *
 * Precisely: digits are ASCII and full-width (U+FF10..U+FF19). A run is digit groups
 * joined by single separators: ASCII space, '-', U+3000, U+FF0D, U+00A0 and the dashes
 * U+2010-U+2014 (not '.', so "3.5" and "2024.10.13" are no runs; two separators in a
 * row end a run). A '+' or U+FF0B right before a run belongs to a phone number found at
 * its start. An X (x, U+FF38, U+FF58) right after a run may be an ID's check character.
 * Within a run, "+86 ", "86", "0086" prefixes count toward a phone. Anything else,
 * Chinese characters included, ends a run, so "电话13800138000找我" is redacted.
 *
 * The run is decided as a whole first, priority ID > phone > card. Only when the whole
 * run matches nothing are its parts tried: consecutive groups split at separators,
 * longest first from the left. So "13800138000 13900139000" (two phones one space
 * apart) loses both numbers, while the digits of one unbroken group
 * ("138001380001", or twenty digits in a row) are never split.
 */
#ifndef JF_PRIVACY_REDACT_H
#define JF_PRIVACY_REDACT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define JF_REDACT_PHONE "[手机号]"
#define JF_REDACT_ID "[身份证号]"
#define JF_REDACT_CARD "[银行卡号]"

typedef struct {
    int phones;
    int ids;
    int cards;
} jf_redact_counts;

/* jf_privacy_redact - append the redacted form of len bytes of UTF-8 text to out (whose
 * maximum bounds the result: JF_ERR_TOOBIG past it) and count what was replaced in
 * *counts (may be NULL).
 *
 * *counts is overwritten with this call's counts (zeros on failure). Bytes outside
 * redacted numbers are copied unchanged, invalid UTF-8 included. A label is never longer
 * than what it replaces, so the output is never longer than the input: a buffer whose
 * maximum has room for the input (on top of what it holds) cannot fail with TOOBIG. On
 * any failure out is restored (and the appended bytes wiped) to what it held before the
 * call, so no half-redacted text is left in it. text may be NULL only when len is 0;
 * JF_ERR_INVAL for a NULL out. */
jf_err jf_privacy_redact(const char *text, size_t len, jf_buf *out,
                         jf_redact_counts *counts) JF_WUR;

#endif
