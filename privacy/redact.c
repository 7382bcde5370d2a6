/* redact.c - replacing phone, resident ID and bank card numbers in message text.
 *
 * The text is scanned once. Every digit run (digit groups joined by single separators,
 * optionally preceded by a plus) is examined as a sequence of groups: first as a whole,
 * then, only if the whole matches nothing, as consecutive groups split at separators,
 * longest span first from the left. Digits inside one group are never split, so a 12-
 * or 20-digit number is never redacted piecemeal, while "13800138000 13900139000" (two
 * phones, one space apart) still loses both numbers. Bytes that are not part of a
 * redacted span are copied unchanged, so invalid UTF-8 passes through as it came.
 */
#include "privacy/redact.h"

#include <stdbool.h>
#include <string.h>

#include "core/crypto.h"

/* The longest number of interest is a 19-digit card; a span of more digits is never
 * redacted, which also bounds how far ahead a run is examined. */
#define SPAN_DIGITS_MAX 19
#define ID_LEN 18
#define MOBILE_LEN 11
#define CARD_MIN 16
#define CARD_MAX 19

typedef enum { CH_OTHER, CH_DIGIT, CH_SEP, CH_PLUS, CH_X } char_class;

typedef enum { KIND_NONE, KIND_ID, KIND_PHONE, KIND_CARD } number_kind;

/* What replaces each kind, indexed by number_kind. */
static const char *const labels[] = {
    [KIND_ID] = JF_REDACT_ID,
    [KIND_PHONE] = JF_REDACT_PHONE,
    [KIND_CARD] = JF_REDACT_CARD,
};

/* ASCII characters other than digits with a role in a number. '.' is deliberately not a
 * separator: "3.5" and "2024.10.13" are amounts and dates, not grouped numbers. */
static const char_class ascii_class[128] = {
    [' '] = CH_SEP, ['-'] = CH_SEP, ['+'] = CH_PLUS, ['X'] = CH_X, ['x'] = CH_X,
};

/* The same roles outside ASCII, as input methods and copy-paste produce them. Full-width
 * digits U+FF10..U+FF19 are recognised arithmetically in classify. */
static const struct {
    const char *seq;
    size_t len;
    char_class cls;
} wide_class[] = {
    {"\xE3\x80\x80", 3, CH_SEP},  /* U+3000 IDEOGRAPHIC SPACE */
    {"\xEF\xBC\x8D", 3, CH_SEP},  /* U+FF0D FULLWIDTH HYPHEN-MINUS */
    {"\xC2\xA0", 2, CH_SEP},      /* U+00A0 NO-BREAK SPACE */
    {"\xE2\x80\x90", 3, CH_SEP},  /* U+2010 HYPHEN */
    {"\xE2\x80\x91", 3, CH_SEP},  /* U+2011 NON-BREAKING HYPHEN */
    {"\xE2\x80\x92", 3, CH_SEP},  /* U+2012 FIGURE DASH */
    {"\xE2\x80\x93", 3, CH_SEP},  /* U+2013 EN DASH */
    {"\xE2\x80\x94", 3, CH_SEP},  /* U+2014 EM DASH */
    {"\xEF\xBC\x8B", 3, CH_PLUS}, /* U+FF0B FULLWIDTH PLUS SIGN */
    {"\xEF\xBC\xB8", 3, CH_X},    /* U+FF38 FULLWIDTH LATIN CAPITAL LETTER X */
    {"\xEF\xBD\x98", 3, CH_X},    /* U+FF58 FULLWIDTH LATIN SMALL LETTER X */
};

/* How a mainland mobile number may be prefixed inside its digit string. */
static const char *const mobile_prefixes[] = {"", "86", "0086"};

/* GB 11643-1999: weights of the first 17 digits, and the check character for each
 * remainder of the weighted sum modulo 11. */
static const int id_weights[ID_LEN - 1] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char id_check_chars[] = "10X98765432";

typedef struct {
    const unsigned char *s;
    size_t n;
} text_view;

/* One character of the text: its role, its length in bytes and, for a digit, its ASCII
 * form. Scanning advances byte by byte over other characters; that is safe because every
 * sequence recognised here starts with a lead byte, never a UTF-8 continuation byte. */
typedef struct {
    char_class cls;
    size_t len;
    char digit;
} uchar;

static uchar classify(const text_view *t, size_t i)
{
    uchar c = {CH_OTHER, 1, 0};
    if (i >= t->n) {
        c.len = 0;
        return c;
    }
    const unsigned char *s = t->s + i;
    size_t left = t->n - i;
    if (s[0] >= '0' && s[0] <= '9') {
        c.cls = CH_DIGIT;
        c.digit = (char)s[0];
        return c;
    }
    if (s[0] < 128) {
        c.cls = ascii_class[s[0]];
        return c;
    }
    if (left >= 3 && s[0] == 0xEF && s[1] == 0xBC && s[2] >= 0x90 && s[2] <= 0x99) {
        c.cls = CH_DIGIT;
        c.len = 3;
        c.digit = (char)('0' + (s[2] - 0x90));
        return c;
    }
    for (size_t k = 0; k < sizeof wide_class / sizeof wide_class[0]; k++) {
        if (left >= wide_class[k].len && memcmp(s, wide_class[k].seq, wide_class[k].len) == 0) {
            c.cls = wide_class[k].cls;
            c.len = wide_class[k].len;
            return c;
        }
    }
    return c;
}

/* A digit run: from its first digit to the end of its last digit group, an optional
 * plus just before it and an optional X just after it. */
typedef struct {
    size_t start;      /* first digit */
    size_t end;        /* just past the last digit */
    size_t plus_start; /* the plus sign before start, or start when there is none */
    size_t x_end;      /* just past an X following end, or end when there is none */
} digit_run;

/* The end of the digit group starting at i; *ndigits gets its number of digits. */
static size_t group_end(const text_view *t, size_t i, size_t *ndigits)
{
    size_t nd = 0;
    for (;;) {
        uchar c = classify(t, i);
        if (c.cls != CH_DIGIT)
            break;
        i += c.len;
        nd++;
    }
    *ndigits = nd;
    return i;
}

/* If a single separator at i is followed by a digit, the position of that digit (the
 * next group of the same run); otherwise 0, which can never be such a position. */
static size_t next_group(const text_view *t, size_t i)
{
    uchar sep = classify(t, i);
    if (sep.cls != CH_SEP)
        return 0;
    uchar d = classify(t, i + sep.len);
    return d.cls == CH_DIGIT ? i + sep.len : 0;
}

static digit_run scan_run(const text_view *t, size_t start, size_t plus_start)
{
    digit_run r = {start, start, plus_start, start};
    size_t i = start;
    for (;;) {
        size_t nd;
        i = group_end(t, i, &nd);
        r.end = i;
        size_t next = next_group(t, i);
        if (!next)
            break;
        i = next;
    }
    uchar x = classify(t, r.end);
    r.x_end = x.cls == CH_X ? r.end + x.len : r.end;
    return r;
}

/* Up to SPAN_DIGITS_MAX digits of consecutive groups of a run, from one group onwards. */
typedef struct {
    size_t n;                         /* groups that fit */
    size_t start[SPAN_DIGITS_MAX];    /* byte offset of each group's first digit */
    size_t end[SPAN_DIGITS_MAX];      /* byte offset just past each group */
    size_t upto[SPAN_DIGITS_MAX];     /* digits in groups 0..k together */
    char digits[SPAN_DIGITS_MAX + 1]; /* the digits, ASCII */
    size_t first_end;                 /* end of the first group even when it did not fit */
} window;

static void fill_window(const text_view *t, const digit_run *r, size_t from, window *w)
{
    size_t i = from;
    size_t total = 0;

    w->n = 0;
    w->first_end = 0;
    while (w->n < SPAN_DIGITS_MAX) {
        size_t nd;
        size_t end = group_end(t, i, &nd);
        if (w->n == 0)
            w->first_end = end;
        if (total + nd > SPAN_DIGITS_MAX)
            break;
        for (size_t k = i; k < end;) {
            uchar c = classify(t, k);
            w->digits[total++] = c.digit;
            k += c.len;
        }
        w->start[w->n] = i;
        w->end[w->n] = end;
        w->upto[w->n] = total;
        w->n++;
        if (end >= r->end)
            break;
        i = next_group(t, end);
    }
    w->digits[total] = '\0';
}

static bool all_digits(const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] < '0' || d[i] > '9')
            return false;
    return true;
}

/* The GB 11643-1999 check character of 17 digits. */
static char id_check_char(const char *d)
{
    int sum = 0;
    for (size_t i = 0; i < ID_LEN - 1; i++)
        sum += (d[i] - '0') * id_weights[i];
    return id_check_chars[sum % 11];
}

static bool luhn_valid(const char *d, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

static bool mobile_valid(const char *d, size_t n)
{
    for (size_t k = 0; k < sizeof mobile_prefixes / sizeof mobile_prefixes[0]; k++) {
        size_t plen = strlen(mobile_prefixes[k]);
        if (n != plen + MOBILE_LEN || memcmp(d, mobile_prefixes[k], plen) != 0)
            continue;
        const char *m = d + plen;
        if (m[0] == '1' && m[1] >= '3' && m[1] <= '9' && all_digits(m, MOBILE_LEN))
            return true;
    }
    return false;
}

/* Decide what n digits are, in priority order ID > phone > card. x_follows says that an
 * X check character directly follows the digits; *uses_x is set when the ID needs it. */
static number_kind span_kind(const char *d, size_t n, bool x_follows, bool *uses_x)
{
    *uses_x = false;
    if (n == ID_LEN && id_check_char(d) == d[ID_LEN - 1])
        return KIND_ID;
    if (n == ID_LEN - 1 && x_follows && id_check_char(d) == 'X') {
        *uses_x = true;
        return KIND_ID;
    }
    if (mobile_valid(d, n))
        return KIND_PHONE;
    if (n >= CARD_MIN && n <= CARD_MAX && luhn_valid(d, n))
        return KIND_CARD;
    return KIND_NONE;
}

typedef struct {
    const text_view *t;
    jf_buf *out;
    size_t emitted;           /* text before this offset has been appended to out */
    int found[KIND_CARD + 1]; /* replacements made, by number_kind */
} redactor;

/* Replace bytes [a, b) of the text by the label of kind, copying what precedes them. */
static jf_err replace(redactor *rd, size_t a, size_t b, number_kind kind)
{
    jf_err err = jf_buf_append(rd->out, rd->t->s + rd->emitted, a - rd->emitted);
    if (err)
        return err;
    err = jf_buf_appends(rd->out, labels[kind]);
    if (err)
        return err;
    rd->emitted = b;
    rd->found[kind]++;
    return JF_ERR_OK;
}

/* Examine one digit run and replace the spans of it that are personal numbers. */
static jf_err redact_run(redactor *rd, const digit_run *r)
{
    const text_view *t = rd->t;
    size_t from = r->start;
    window w;

    while (from < r->end) {
        fill_window(t, r, from, &w);
        number_kind kind = KIND_NONE;
        bool uses_x = false;
        size_t k = w.n;
        /* Longest span first: the whole run (when it fits) is decided before any part. */
        while (k > 0 && kind == KIND_NONE) {
            k--;
            bool x_follows = w.end[k] == r->end && r->x_end > r->end;
            kind = span_kind(w.digits, w.upto[k], x_follows, &uses_x);
        }
        if (kind == KIND_NONE) {
            /* Nothing starts at this group: move on to the next one, left as written. */
            size_t end = w.n > 0 ? w.end[0] : w.first_end;
            from = end < r->end ? next_group(t, end) : r->end;
            continue;
        }
        size_t a = w.start[0];
        /* The plus of "+86 138..." belongs to the phone number, not to the text. */
        if (kind == KIND_PHONE && from == r->start)
            a = r->plus_start;
        size_t b = uses_x ? r->x_end : w.end[k];
        jf_err err = replace(rd, a, b, kind);
        if (err)
            return err;
        from = w.end[k] < r->end ? next_group(t, w.end[k]) : r->end;
    }
    return JF_ERR_OK;
}

jf_err jf_privacy_redact(const char *text, size_t len, jf_buf *out, jf_redact_counts *counts)
{
    jf_err err = JF_ERR_INVAL;
    text_view t = {(const unsigned char *)text, len};
    redactor rd = {&t, out, 0, {0}};
    size_t orig_len = out ? out->len : 0;

    if (!out || (!text && len > 0))
        goto out;
    size_t i = 0;
    while (i < len) {
        uchar c = classify(&t, i);
        size_t plus_start = i;
        if (c.cls == CH_PLUS && classify(&t, i + c.len).cls == CH_DIGIT) {
            i += c.len;
            c = classify(&t, i);
        }
        if (c.cls != CH_DIGIT) {
            i += c.len;
            continue;
        }
        digit_run r = scan_run(&t, i, plus_start);
        err = redact_run(&rd, &r);
        if (err)
            goto out;
        i = r.end;
    }
    err = jf_buf_append(out, t.s + rd.emitted, len - rd.emitted);
out:
    if (err && out && out->data && out->len > orig_len) {
        /* Leave out as it was: a half-redacted message must not be stored by mistake. */
        jf_crypto_zeroize(out->data + orig_len, out->len - orig_len);
        out->len = orig_len;
        out->data[orig_len] = '\0';
    }
    if (counts) {
        counts->phones = err ? 0 : rd.found[KIND_PHONE];
        counts->ids = err ? 0 : rd.found[KIND_ID];
        counts->cards = err ? 0 : rd.found[KIND_CARD];
    }
    return err;
}
