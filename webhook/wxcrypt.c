/* wxcrypt.c - WXBizMsgCrypt: msg_signature, AES-256-CBC with 32-byte padding, receive id. */
#include "webhook/wxcrypt.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(JF_WXCRYPT_PAD_BLOCK % JF_AES_BLOCK_LEN == 0,
               "the padding block is a whole number of AES blocks");
_Static_assert(JF_WXCRYPT_MAX_PARAM * 3 + JF_WXCRYPT_MAX_ENCRYPTED < 1024 * 1024,
               "a signed string stays small");

#define LENGTH_FIELD 4
#define MAX_SIGNED (3 * JF_WXCRYPT_MAX_PARAM + JF_WXCRYPT_MAX_ENCRYPTED)

#define WHY_INVAL "invalid arguments"
#define WHY_TOOBIG "encrypted message too large"
#define WHY_BASE64 "encrypted message is not valid base64"
#define WHY_BLOCKS "encrypted message is not a whole number of 32-byte blocks"
#define WHY_PADDING "encrypted message has invalid padding"
#define WHY_LENGTH "encrypted message has an invalid length field"
#define WHY_RECEIVE_ID "encrypted message is for another receive id (corp id / app id)"
#define WHY_NOMEM "out of memory"
#define WHY_CRYPTO "decryption failed"

/* The characters random prefixes and nonces are drawn from, as in the SDKs. */
static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static bool is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

jf_err jf_wxcrypt_key_parse(const char *encoding_aes_key, jf_wxcrypt_key *out)
{
    jf_err err = JF_ERR_INVAL;
    char padded[JF_WXCRYPT_KEY_CHARS + 2];
    size_t olen = 0;

    if (!out)
        return JF_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (!encoding_aes_key ||
        strnlen(encoding_aes_key, JF_WXCRYPT_KEY_CHARS + 1) != JF_WXCRYPT_KEY_CHARS)
        goto out;
    for (size_t i = 0; i < JF_WXCRYPT_KEY_CHARS; i++) {
        if (!is_b64_char(encoding_aes_key[i]))
            goto out;
    }
    memcpy(padded, encoding_aes_key, JF_WXCRYPT_KEY_CHARS);
    padded[JF_WXCRYPT_KEY_CHARS] = '=';
    padded[JF_WXCRYPT_KEY_CHARS + 1] = '\0';
    err = jf_crypto_base64_decode(padded, JF_WXCRYPT_KEY_CHARS + 1, out->key, sizeof out->key,
                                  &olen);
    if (!err && olen != sizeof out->key)
        err = JF_ERR_INVAL;
    if (err) {
        err = JF_ERR_INVAL;
        jf_crypto_zeroize(out, sizeof *out);
    }
out:
    jf_crypto_zeroize(padded, sizeof padded);
    return err;
}

void jf_wxcrypt_key_wipe(jf_wxcrypt_key *k)
{
    if (k)
        jf_crypto_zeroize(k, sizeof *k);
}

/* ---- signature ------------------------------------------------------------------------- */

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

jf_err jf_wxcrypt_signature(const char *token, const char *timestamp, const char *nonce,
                            const char *encrypt, char out[JF_WXCRYPT_SIG_LEN + 1])
{
    jf_err err = JF_ERR_INVAL;
    jf_buf cat;
    const char *parts[4] = {token, timestamp, nonce, encrypt};
    size_t nparts = encrypt ? 4 : 3;
    uint8_t digest[JF_SHA1_LEN];

    jf_buf_init(&cat, MAX_SIGNED);
    if (!token || !token[0] || !timestamp || !nonce || !out)
        goto out;
    out[0] = '\0';
    err = JF_ERR_TOOBIG;
    for (size_t i = 0; i < 3; i++) {
        if (strnlen(parts[i], JF_WXCRYPT_MAX_PARAM + 1) > JF_WXCRYPT_MAX_PARAM)
            goto out;
    }
    if (encrypt && strnlen(encrypt, JF_WXCRYPT_MAX_ENCRYPTED + 1) > JF_WXCRYPT_MAX_ENCRYPTED)
        goto out;
    /* Sorted byte-wise, as the SDKs' Arrays.sort / sorted() / std::sort do on ASCII. */
    qsort(parts, nparts, sizeof parts[0], str_cmp);
    err = JF_ERR_OK;
    for (size_t i = 0; i < nparts && !err; i++)
        err = jf_buf_appends(&cat, parts[i]);
    if (err)
        goto out;
    err = jf_crypto_sha1(cat.data, cat.len, digest);
    if (err)
        goto out;
    jf_crypto_hex_encode(digest, sizeof digest, out);
out:
    jf_crypto_zeroize(digest, sizeof digest);
    jf_buf_free(&cat); /* the token is in it */
    return err;
}

jf_err jf_wxcrypt_verify(const char *token, const char *timestamp, const char *nonce,
                         const char *encrypt, const char *sig)
{
    jf_err err;
    char expected[JF_WXCRYPT_SIG_LEN + 1] = {0};
    char given[JF_WXCRYPT_SIG_LEN + 1] = {0};

    err = jf_wxcrypt_signature(token, timestamp, nonce, encrypt, expected);
    if (err)
        goto out;
    /* The length of a signature is public; only its bytes need a constant-time compare. */
    if (!sig || strnlen(sig, JF_WXCRYPT_SIG_LEN + 1) != JF_WXCRYPT_SIG_LEN) {
        err = JF_ERR_AUTH;
        goto out;
    }
    for (size_t i = 0; i < JF_WXCRYPT_SIG_LEN; i++) {
        char c = sig[i];
        given[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    err = jf_crypto_equal(expected, given, JF_WXCRYPT_SIG_LEN) ? JF_ERR_OK : JF_ERR_AUTH;
out:
    jf_crypto_zeroize(expected, sizeof expected);
    return err;
}

/* ---- encryption ------------------------------------------------------------------------ */

jf_err jf_wxcrypt_decrypt(const jf_wxcrypt_key *key, const char *encrypt, size_t len,
                          const char *receive_id, jf_buf *msg, const char **why)
{
    jf_err err = JF_ERR_INVAL;
    uint8_t *pt = NULL;
    size_t cap = 0;
    size_t n = 0;
    const char *reason = WHY_INVAL;

    if (!key || (!encrypt && len) || !receive_id || !msg ||
        strnlen(receive_id, JF_WXCRYPT_MAX_RECEIVE_ID + 1) > JF_WXCRYPT_MAX_RECEIVE_ID)
        goto out;
    while (len > 0 && is_space(encrypt[0])) {
        encrypt++;
        len--;
    }
    while (len > 0 && is_space(encrypt[len - 1]))
        len--;
    if (len > JF_WXCRYPT_MAX_ENCRYPTED) {
        err = JF_ERR_TOOBIG;
        reason = WHY_TOOBIG;
        goto out;
    }
    cap = len / 4 * 3 + 3;
    pt = malloc(cap);
    if (!pt) {
        err = JF_ERR_NOMEM;
        reason = WHY_NOMEM;
        goto out;
    }
    err = jf_crypto_base64_decode(encrypt, len, pt, cap, &n);
    if (err) {
        err = JF_ERR_PARSE;
        reason = WHY_BASE64;
        goto out;
    }
    if (n == 0 || n % JF_WXCRYPT_PAD_BLOCK != 0) {
        err = JF_ERR_PARSE;
        reason = WHY_BLOCKS;
        goto out;
    }
    err = jf_crypto_aes256_cbc_decrypt(key->key, key->key, pt, n, pt);
    if (err) {
        reason = WHY_CRYPTO;
        goto out;
    }

    /* Padding: 1..32 bytes, each holding the padding's length. */
    size_t pad = pt[n - 1];
    err = JF_ERR_PARSE;
    reason = WHY_PADDING;
    if (pad < 1 || pad > JF_WXCRYPT_PAD_BLOCK)
        goto out;
    for (size_t i = n - pad; i < n; i++) {
        if (pt[i] != pad)
            goto out;
    }
    size_t body = n - pad;
    reason = WHY_LENGTH;
    if (body < JF_WXCRYPT_RANDOM_LEN + LENGTH_FIELD)
        goto out;
    const uint8_t *lf = pt + JF_WXCRYPT_RANDOM_LEN;
    uint32_t mlen =
        (uint32_t)lf[0] << 24 | (uint32_t)lf[1] << 16 | (uint32_t)lf[2] << 8 | (uint32_t)lf[3];
    size_t avail = body - JF_WXCRYPT_RANDOM_LEN - LENGTH_FIELD;
    if (mlen > avail || mlen > JF_WXCRYPT_MAX_MSG)
        goto out;
    const uint8_t *m = lf + LENGTH_FIELD;
    const uint8_t *rid = m + mlen;
    size_t rid_len = avail - mlen;
    size_t want_len = strlen(receive_id);
    if (rid_len != want_len || !jf_crypto_equal(rid, receive_id, rid_len)) {
        err = JF_ERR_AUTH;
        reason = WHY_RECEIVE_ID;
        goto out;
    }
    reason = WHY_TOOBIG;
    err = jf_buf_append(msg, m, mlen);
out:
    if (pt) {
        jf_crypto_zeroize(pt, cap);
        free(pt);
    }
    if (why)
        *why = err ? reason : NULL;
    return err;
}

jf_err jf_wxcrypt_encrypt(const jf_wxcrypt_key *key, const uint8_t *random, const char *msg,
                          size_t len, const char *receive_id, jf_buf *out)
{
    jf_err err = JF_ERR_INVAL;
    uint8_t *pt = NULL;
    char *b64 = NULL;
    size_t n = 0;
    size_t b64_size = 0;
    size_t b64_len = 0;
    size_t rid_len = 0;

    if (!key || (!msg && len) || !receive_id || !out)
        goto out;
    rid_len = strnlen(receive_id, JF_WXCRYPT_MAX_RECEIVE_ID + 1);
    if (len > JF_WXCRYPT_MAX_MSG || rid_len > JF_WXCRYPT_MAX_RECEIVE_ID) {
        err = JF_ERR_TOOBIG;
        goto out;
    }
    size_t body = JF_WXCRYPT_RANDOM_LEN + LENGTH_FIELD + len + rid_len;
    size_t pad = JF_WXCRYPT_PAD_BLOCK - body % JF_WXCRYPT_PAD_BLOCK; /* 1..32 */
    n = body + pad;
    pt = malloc(n);
    b64_size = (n + 2) / 3 * 4 + 1;
    b64 = malloc(b64_size);
    if (!pt || !b64) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    if (random) {
        memcpy(pt, random, JF_WXCRYPT_RANDOM_LEN);
    } else {
        err = jf_crypto_random(pt, JF_WXCRYPT_RANDOM_LEN);
        if (err)
            goto out;
        for (size_t i = 0; i < JF_WXCRYPT_RANDOM_LEN; i++)
            pt[i] = (uint8_t)alnum[pt[i] % (sizeof alnum - 1)];
    }
    uint8_t *lf = pt + JF_WXCRYPT_RANDOM_LEN;
    lf[0] = (uint8_t)(len >> 24);
    lf[1] = (uint8_t)(len >> 16);
    lf[2] = (uint8_t)(len >> 8);
    lf[3] = (uint8_t)len;
    if (len)
        memcpy(lf + LENGTH_FIELD, msg, len);
    memcpy(lf + LENGTH_FIELD + len, receive_id, rid_len);
    memset(pt + body, (int)pad, pad);
    err = jf_crypto_aes256_cbc_encrypt(key->key, key->key, pt, n, pt);
    if (err)
        goto out;
    err = jf_crypto_base64_encode(pt, n, b64, b64_size, &b64_len);
    if (err)
        goto out;
    err = jf_buf_append(out, b64, b64_len);
out:
    if (pt) {
        jf_crypto_zeroize(pt, n);
        free(pt);
    }
    free(b64);
    return err;
}

/* ---- time and nonces ------------------------------------------------------------------- */

#define MILLIS_FROM 100000000000LL /* 10^11 */

jf_err jf_wxcrypt_timestamp(const char *s, int64_t *seconds)
{
    int64_t v = 0;
    size_t n = 0;

    if (!s || !seconds)
        return JF_ERR_PARSE;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= JF_WXCRYPT_MAX_DIGITS)
            return JF_ERR_PARSE;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0)
        return JF_ERR_PARSE;
    *seconds = v >= MILLIS_FROM ? v / 1000 : v;
    return JF_ERR_OK;
}

jf_err jf_wxcrypt_fresh(const char *s, int64_t now, int64_t max_skew)
{
    int64_t t = 0;
    jf_err err = jf_wxcrypt_timestamp(s, &t);
    if (err)
        return err;
    /* Both are far from INT64 limits: t < 10^16, and now is a Unix time. */
    int64_t d = t > now ? t - now : now - t;
    return d > max_skew ? JF_ERR_RANGE : JF_ERR_OK;
}

jf_err jf_wxcrypt_nonce(char out[JF_WXCRYPT_NONCE_LEN + 1])
{
    uint8_t r[JF_WXCRYPT_NONCE_LEN];
    jf_err err = jf_crypto_random(r, sizeof r);
    if (err)
        return err;
    for (size_t i = 0; i < JF_WXCRYPT_NONCE_LEN; i++)
        out[i] = alnum[r[i] % (sizeof alnum - 1)];
    out[JF_WXCRYPT_NONCE_LEN] = '\0';
    return JF_ERR_OK;
}
