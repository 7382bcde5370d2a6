/* ticket.c - random public ticket codes for complaints. */
#include "triage/ticket.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/crypto.h"

#define ALPHABET_LEN (sizeof JF_TICKET_ALPHABET - 1)

/* A random byte is used only below the largest multiple of the alphabet size that fits
 * in a byte (248 = 8 * 31), so that byte % 31 is exactly uniform; the 8 bytes above it
 * are thrown away. A plain byte % 31 would make the first 8 symbols 9/8 as likely as the
 * others and the codes that much easier to guess. */
#define ACCEPT_BELOW (256 - 256 % ALPHABET_LEN)

/* Random bytes drawn per call to the CSPRNG: one code needs 10 accepted bytes and about
 * 3% are rejected, so 16 almost always suffice in one draw. */
#define DRAW_LEN 16

/* A CSPRNG that kept returning only rejected bytes would be broken; rather than spin,
 * give up after this many draws (the chance of reaching it honestly is below 2^-5000). */
#define MAX_DRAWS 64

_Static_assert(ALPHABET_LEN == 31, "ticket.h promises a 31-symbol alphabet");
_Static_assert(ACCEPT_BELOW % ALPHABET_LEN == 0, "rejection bound must be a multiple");

jf_err jf_triage_ticket_new(char out[JF_TICKET_LEN + 1])
{
    jf_err err = JF_ERR_CRYPTO;
    uint8_t draw[DRAW_LEN];
    char code[JF_TICKET_LEN + 1];
    size_t have = 0;

    out[0] = '\0';
    for (int draws = 0; draws < MAX_DRAWS && have < JF_TICKET_LEN; draws++) {
        err = jf_crypto_random(draw, sizeof draw);
        if (err)
            goto out;
        for (size_t i = 0; i < sizeof draw && have < JF_TICKET_LEN; i++) {
            if (draw[i] < ACCEPT_BELOW)
                code[have++] = JF_TICKET_ALPHABET[draw[i] % ALPHABET_LEN];
        }
    }
    err = JF_ERR_CRYPTO;
    if (have < JF_TICKET_LEN)
        goto out;
    code[JF_TICKET_LEN] = '\0';
    memcpy(out, code, sizeof code);
    err = JF_ERR_OK;
out:
    /* Unused random bytes are DRBG output that nothing else should ever see. */
    jf_crypto_zeroize(draw, sizeof draw);
    jf_crypto_zeroize(code, sizeof code);
    return err;
}

bool jf_triage_ticket_valid(const char *s)
{
    if (!s)
        return false;
    /* memchr searches the alphabet without its terminator, so a NUL is not a symbol: a
     * short string fails at its end and nothing past it is read. */
    for (size_t i = 0; i < JF_TICKET_LEN; i++) {
        if (!memchr(JF_TICKET_ALPHABET, s[i], ALPHABET_LEN))
            return false;
    }
    return s[JF_TICKET_LEN] == '\0';
}

/* Typed codes with more surrounding blanks than this are not worth reading further. */
#define PARSE_MAX_BLANKS 16

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

bool jf_triage_ticket_parse(const char *in, char out[JF_TICKET_LEN + 1])
{
    out[0] = '\0';
    if (!in)
        return false;
    size_t lead = 0;
    while (lead < PARSE_MAX_BLANKS && blank(in[lead]))
        lead++;
    const char *s = in + lead;
    char code[JF_TICKET_LEN + 1];
    size_t n = 0;
    for (; n < JF_TICKET_LEN && s[n] && !blank(s[n]); n++)
        code[n] = (char)toupper((unsigned char)s[n]);
    code[n] = '\0';
    /* After the code, only blanks may follow before the end. */
    size_t t = 0;
    while (t < PARSE_MAX_BLANKS && blank(s[n + t]))
        t++;
    if (s[n + t] != '\0')
        return false;
    if (!jf_triage_ticket_valid(code))
        return false;
    memcpy(out, code, sizeof code);
    return true;
}
