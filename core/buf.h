/* buf.h - a growable byte buffer with a hard maximum, for everything that grows from input.
 *
 * A jf_buf never grows past the maximum given at jf_buf_init; an append that would pass
 * it fails with JF_ERR_TOOBIG and leaves the buffer unchanged. The contents are always
 * NUL-terminated (the terminator is not counted in len and not counted against max), so
 * data may be handed to string functions when it holds text.
 *
 * Not thread-safe: a buffer belongs to one request or one worker at a time.
 */
#ifndef JF_CORE_BUF_H
#define JF_CORE_BUF_H

#include <stddef.h>

#include "err.h"

typedef struct {
    char *data; /* NULL until the first append; owned by the buffer */
    size_t len; /* bytes in use, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* the most len may ever reach */
} jf_buf;

/* jf_buf_init - prepare b to hold at most max bytes. Allocates nothing. */
void jf_buf_init(jf_buf *b, size_t max);

/* jf_buf_append - append n bytes from p (borrowed). JF_ERR_TOOBIG past max, JF_ERR_NOMEM. */
jf_err jf_buf_append(jf_buf *b, const void *p, size_t n) JF_WUR;

/* jf_buf_appends - append the NUL-terminated string s. */
jf_err jf_buf_appends(jf_buf *b, const char *s) JF_WUR;

/* jf_buf_appendf - append printf-formatted text; fails like jf_buf_append. */
jf_err jf_buf_appendf(jf_buf *b, const char *fmt, ...) JF_WUR
    __attribute__((format(printf, 2, 3)));

/* jf_buf_reset - forget the contents but keep the allocation and the maximum. */
void jf_buf_reset(jf_buf *b);

/* jf_buf_free - wipe and release the allocation; b may be reused after jf_buf_init.
 * Wiping matters: buffers carry message text and, briefly, reporter addresses. */
void jf_buf_free(jf_buf *b);

/* jf_buf_steal - hand the contents to the caller (who frees them with free()) and leave b
 * empty. Returns an empty heap string for an empty buffer; NULL only when out of memory. */
char *jf_buf_steal(jf_buf *b);

#endif
