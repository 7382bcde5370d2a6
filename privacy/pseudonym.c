/* pseudonym.c - canonical sender addresses and the keyed reporter key derived from them. */
#include "privacy/pseudonym.h"

#include <stdbool.h>
#include <string.h>

#include "core/crypto.h"

/* Channel kinds are short identifiers; limiting their alphabet (no ':') keeps the HMAC
 * input kind ":" address unambiguous. */
#define KIND_MAX 32
#define MOBILE_LEN 11

/* Channel kinds whose sender address is a phone number. */
static const char *const sms_kinds[] = {"twilio", "kannel", "aliyun", "tencent", "sms"};

typedef enum { PH_OTHER, PH_DIGIT, PH_SEP, PH_PLUS } phone_class;

/* Characters with a meaning in a phone number beyond ASCII. Phones and input methods
 * produce full-width forms; copy-paste brings no-break spaces and typographic dashes.
 * Full-width digits U+FF10..U+FF19 are recognised arithmetically in phone_char. */
static const struct {
    const char *seq;
    size_t len;
    phone_class cls;
} phone_wide[] = {
    {"\xEF\xBC\x8B", 3, PH_PLUS}, /* U+FF0B FULLWIDTH PLUS SIGN */
    {"\xE3\x80\x80", 3, PH_SEP},  /* U+3000 IDEOGRAPHIC SPACE */
    {"\xEF\xBC\x8D", 3, PH_SEP},  /* U+FF0D FULLWIDTH HYPHEN-MINUS */
    {"\xEF\xBC\x8E", 3, PH_SEP},  /* U+FF0E FULLWIDTH FULL STOP */
    {"\xEF\xBC\x88", 3, PH_SEP},  /* U+FF08 FULLWIDTH LEFT PARENTHESIS */
    {"\xEF\xBC\x89", 3, PH_SEP},  /* U+FF09 FULLWIDTH RIGHT PARENTHESIS */
    {"\xC2\xA0", 2, PH_SEP},      /* U+00A0 NO-BREAK SPACE */
    {"\xE2\x80\x90", 3, PH_SEP},  /* U+2010 HYPHEN */
    {"\xE2\x80\x91", 3, PH_SEP},  /* U+2011 NON-BREAKING HYPHEN */
    {"\xE2\x80\x92", 3, PH_SEP},  /* U+2012 FIGURE DASH */
    {"\xE2\x80\x93", 3, PH_SEP},  /* U+2013 EN DASH */
    {"\xE2\x80\x94", 3, PH_SEP},  /* U+2014 EM DASH */
};

/* ASCII characters other than digits that may appear in a written phone number. */
static const phone_class phone_ascii[128] = {
    [' '] = PH_SEP,  ['\t'] = PH_SEP, ['\r'] = PH_SEP, ['\n'] = PH_SEP,
    ['\v'] = PH_SEP, ['\f'] = PH_SEP, ['-'] = PH_SEP,  ['.'] = PH_SEP,
    ['('] = PH_SEP,  [')'] = PH_SEP,  ['+'] = PH_PLUS,
};

/* How a mainland mobile number may be written before its 11 digits. Every form maps to
 * "+86" and the 11 digits, so one person gets one reporter key however the provider
 * formats the sender. */
static const struct {
    bool plus;
    const char *prefix;
} mainland_forms[] = {
    {true, "86"},    /* +8613800138000 */
    {false, "0086"}, /* 008613800138000 */
    {false, "86"},   /* 8613800138000 */
    {false, ""},     /* 13800138000 */
};

/* Classify the character at s[i] (n bytes in all), store its byte length in *clen and,
 * for a digit, its ASCII form in *digit. */
static phone_class phone_char(const unsigned char *s, size_t n, size_t i, size_t *clen,
                              char *digit)
{
    *clen = 1;
    if (s[i] >= '0' && s[i] <= '9') {
        *digit = (char)s[i];
        return PH_DIGIT;
    }
    if (s[i] < 128)
        return phone_ascii[s[i]];
    if (n - i >= 3 && s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] >= 0x90 &&
        s[i + 2] <= 0x99) {
        *clen = 3;
        *digit = (char)('0' + (s[i + 2] - 0x90));
        return PH_DIGIT;
    }
    for (size_t k = 0; k < sizeof phone_wide / sizeof phone_wide[0]; k++) {
        if (n - i >= phone_wide[k].len &&
            memcmp(s + i, phone_wide[k].seq, phone_wide[k].len) == 0) {
            *clen = phone_wide[k].len;
            return phone_wide[k].cls;
        }
    }
    return PH_OTHER;
}

static bool is_mobile(const char *d)
{
    if (d[0] != '1' || d[1] < '3' || d[1] > '9')
        return false;
    for (size_t i = 2; i < MOBILE_LEN; i++)
        if (d[i] < '0' || d[i] > '9')
            return false;
    return true;
}

/* The 11 digits of a mainland mobile number written in one of mainland_forms, or NULL. */
static const char *mainland_mobile(const char *digits, size_t nd, bool plus)
{
    for (size_t k = 0; k < sizeof mainland_forms / sizeof mainland_forms[0]; k++) {
        size_t plen = strlen(mainland_forms[k].prefix);
        if (mainland_forms[k].plus != plus || nd != plen + MOBILE_LEN)
            continue;
        if (memcmp(digits, mainland_forms[k].prefix, plen) == 0 && is_mobile(digits + plen))
            return digits + plen;
    }
    return NULL;
}

static jf_err put(char *out, size_t outsz, size_t *pos, const char *p, size_t n)
{
    if (n >= outsz - *pos)
        return JF_ERR_TOOBIG;
    memcpy(out + *pos, p, n);
    *pos += n;
    out[*pos] = '\0';
    return JF_ERR_OK;
}

/* Normalise a phone number: keep its digits (full-width ones as ASCII) and a leading
 * plus, drop separators, and give mainland mobiles their one canonical form. Letters and
 * other symbols make the address invalid rather than being dropped, so that two
 * different senders can never be merged into one reporter by what was thrown away. */
static jf_err normalise_phone(const char *addr, size_t n, char *out, size_t outsz)
{
    jf_err err = JF_ERR_INVAL;
    const unsigned char *s = (const unsigned char *)addr;
    char digits[JF_ADDRESS_MAX + 1];
    size_t nd = 0;
    size_t pos = 0;
    bool plus = false;

    for (size_t i = 0; i < n;) {
        size_t clen;
        char d = 0;
        phone_class c = phone_char(s, n, i, &clen, &d);
        if (c == PH_OTHER)
            goto out;
        if (c == PH_PLUS) {
            /* Only an international prefix: one plus, before any digit. */
            if (plus || nd > 0)
                goto out;
            plus = true;
        }
        if (c == PH_DIGIT)
            digits[nd++] = d;
        i += clen;
    }
    if (nd == 0)
        goto out;

    const char *mobile = mainland_mobile(digits, nd, plus);
    if (mobile) {
        err = put(out, outsz, &pos, "+86", 3);
        if (!err)
            err = put(out, outsz, &pos, mobile, MOBILE_LEN);
    } else {
        err = plus ? put(out, outsz, &pos, "+", 1) : JF_ERR_OK;
        if (!err)
            err = put(out, outsz, &pos, digits, nd);
    }
out:
    jf_crypto_zeroize(digits, sizeof digits);
    if (err && outsz > 0)
        jf_crypto_zeroize(out, outsz);
    return err;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Chat user ids and the like are opaque: only surrounding white space is removed. */
static jf_err normalise_opaque(const char *addr, size_t n, char *out, size_t outsz)
{
    size_t start = 0;
    size_t pos = 0;
    while (start < n && is_space(addr[start]))
        start++;
    while (n > start && is_space(addr[n - 1]))
        n--;
    if (n == start)
        return JF_ERR_INVAL;
    return put(out, outsz, &pos, addr + start, n - start);
}

static bool kind_valid(const char *kind)
{
    size_t n = strnlen(kind, KIND_MAX + 1);
    if (n == 0 || n > KIND_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = kind[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static bool kind_is_sms(const char *kind)
{
    for (size_t k = 0; k < sizeof sms_kinds / sizeof sms_kinds[0]; k++)
        if (strcmp(kind, sms_kinds[k]) == 0)
            return true;
    return false;
}

jf_err jf_privacy_normalise_address(const char *kind, const char *addr, char *out, size_t outsz)
{
    if (!kind || !addr || !out || outsz == 0)
        return JF_ERR_INVAL;
    out[0] = '\0';
    if (!kind_valid(kind))
        return JF_ERR_INVAL;
    size_t n = strnlen(addr, JF_ADDRESS_MAX + 1);
    if (n > JF_ADDRESS_MAX)
        return JF_ERR_TOOBIG;
    if (kind_is_sms(kind))
        return normalise_phone(addr, n, out, outsz);
    return normalise_opaque(addr, n, out, outsz);
}

jf_err jf_privacy_reporter_key(const jf_keyring *kr, const char *kind, const char *addr,
                               uint8_t out[JF_REPORTER_KEY_LEN])
{
    jf_err err = JF_ERR_INVAL;
    char norm[JF_ADDRESS_MAX + 4]; /* "+86" may be added to an 11-digit number */
    char msg[KIND_MAX + 1 + sizeof norm];
    size_t klen, nlen;

    norm[0] = '\0';
    msg[0] = '\0';
    if (!kr || !out)
        goto out;
    err = jf_privacy_normalise_address(kind, addr, norm, sizeof norm);
    if (err)
        goto out;
    klen = strlen(kind);
    nlen = strlen(norm);
    memcpy(msg, kind, klen);
    msg[klen] = ':';
    memcpy(msg + klen + 1, norm, nlen);
    const jf_key *pk = jf_privacy_keyring_pseudonym(kr);
    err = jf_crypto_hmac_sha256(pk->key, sizeof pk->key, msg, klen + 1 + nlen, out);
out:
    jf_crypto_zeroize(norm, sizeof norm);
    jf_crypto_zeroize(msg, sizeof msg);
    return err;
}
