/* fuzz_util.h - what the libFuzzer harnesses of tests/fuzz share: a contract check that
 * aborts (so libFuzzer records the input), and a cursor that cuts the fuzz input into the
 * parts a harness needs.
 *
 * Harnesses are single-threaded and keep no state between inputs; everything they
 * allocate is freed before LLVMFuzzerTestOneInput returns, because LeakSanitizer runs.
 * Everything here is static inline so each harness is one self-contained file.
 */
#ifndef JF_FUZZ_UTIL_H
#define JF_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FUZZ_CHECK - a broken contract of the code under test: print where and abort, which
 * libFuzzer reports as a crash and saves the input for. Never compiled out. */
#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: contract violated: %s\n", __FILE__, __LINE__, #cond);      \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* A read position in the fuzz input. */
typedef struct {
    const uint8_t *p;
    size_t n;
} fuzz_cursor;

/* fuzz_byte - the next byte, or 0 once the input is used up. */
static inline uint8_t fuzz_byte(fuzz_cursor *c)
{
    if (c->n == 0)
        return 0;
    uint8_t b = c->p[0];
    c->p++;
    c->n--;
    return b;
}

/* fuzz_part - the bytes up to the next occurrence of sep (seplen bytes; not included),
 * or the rest of the input when there is none. *len receives the length. The cursor
 * moves past the separator. */
static inline const uint8_t *fuzz_part(fuzz_cursor *c, const char *sep, size_t seplen,
                                       size_t *len)
{
    const uint8_t *start = c->p;
    for (size_t i = 0; i + seplen <= c->n; i++) {
        if (memcmp(c->p + i, sep, seplen) == 0) {
            *len = i;
            c->p += i + seplen;
            c->n -= i + seplen;
            return start;
        }
    }
    *len = c->n;
    c->p += c->n;
    c->n = 0;
    return start;
}

/* fuzz_strndup - a NUL-terminated heap copy of n bytes (which may themselves hold NUL, so
 * the C string may be shorter); the caller frees. Aborts when out of memory: that is the
 * harness's own failure, not a finding. */
static inline char *fuzz_strndup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* fuzz_touch - read every byte of a string the code under test handed out, so that
 * AddressSanitizer sees a dangling or unterminated pointer here rather than never. */
static inline size_t fuzz_touch(const char *s)
{
    return s ? strlen(s) : 0;
}

#endif
