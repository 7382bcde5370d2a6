/* buf.c - bounded growable byte buffers. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

void jf_buf_init(jf_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

/* Make room for extra more bytes plus the terminator, doubling to amortise growth but
 * never allocating more than max + 1. */
static jf_err buf_reserve(jf_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return JF_ERR_TOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return JF_ERR_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return JF_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return JF_ERR_OK;
}

jf_err jf_buf_append(jf_buf *b, const void *p, size_t n)
{
    jf_err err = buf_reserve(b, n);
    if (err)
        return err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return JF_ERR_OK;
}

jf_err jf_buf_appends(jf_buf *b, const char *s)
{
    return jf_buf_append(b, s, strlen(s));
}

jf_err jf_buf_appendf(jf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return JF_ERR_INVAL;
    jf_err err = buf_reserve(b, (size_t)n);
    if (err)
        return err;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return JF_ERR_OK;
}

void jf_buf_reset(jf_buf *b)
{
    if (b->data) {
        jf_crypto_zeroize(b->data, b->len);
        b->data[0] = '\0';
    }
    b->len = 0;
}

void jf_buf_free(jf_buf *b)
{
    if (b->data) {
        jf_crypto_zeroize(b->data, b->cap);
        free(b->data);
    }
    jf_buf_init(b, b->max);
}

char *jf_buf_steal(jf_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    jf_buf_init(b, b->max);
    return p;
}
