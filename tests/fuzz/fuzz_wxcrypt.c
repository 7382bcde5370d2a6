/* fuzz_wxcrypt.c - libFuzzer harness for the WXBizMsgCrypt decryptor (jf_wxcrypt_decrypt)
 * and its signature, timestamp and key parsing, with WeCom's published sample key, token
 * and corp id as the fixed key and receive id.
 *
 * A ciphertext a fuzzer invents decrypts to noise, so feeding it only the base64 would
 * exercise little past the block-count check. The first input byte therefore picks a mode
 * ('0' to '4'; the byte minus '0', modulo 5; '5' to '9' are the same modes with the
 * whitespace variant of mode 2):
 *   0 ciphertext  the rest is the Encrypt value as sent: base64, whitespace trimming,
 *                 block count, and whatever AES makes of it;
 *   1 signed      the rest is "timestamp\nnonce\nencrypt\nsignature": the fuzzed signature
 *                 is checked, then the harness signs the parts itself, requires that
 *                 verification to pass and decrypts, as a WeCom POST reaches decryption;
 *                 the timestamp goes through jf_wxcrypt_fresh; the nonce is also tried as
 *                 an EncodingAESKey;
 *   2 plaintext   the rest is the decrypted plaintext itself (random prefix, length field,
 *                 message, receive id, padding): the harness AES-encrypts it (a length that
 *                 is not a multiple of 32 is completed with correct padding) and decrypts,
 *                 so the padding, length-field and receive-id checks see fuzzer-chosen
 *                 bytes; the result must match an independent reading of the plaintext;
 *   3 structured  like 2, but the plaintext is assembled from parts so that the success
 *                 path is common: a length-field offset, a receive-id variant and a padding
 *                 variant from the next byte, then the message;
 *   4 roundtrip   the rest is a message: jf_wxcrypt_encrypt for the receive id (or, with
 *                 the next byte odd, another one), then decrypt: the message must come
 *                 back exactly, or be refused for its receive id.
 * Everything allocated is freed; LeakSanitizer runs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "webhook/wxcrypt.h"

#include "fuzz_util.h"

#define TOKEN "QDG6eK"
#define AES_KEY "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
#define RID "wx5823bf96d3bd56c7"
#define NOW 1409659813
#define PREFIX "kept"

static jf_wxcrypt_key key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (jf_wxcrypt_key_parse(AES_KEY, &key) != JF_ERR_OK)
        abort();
    return 0;
}

/* decrypt - jf_wxcrypt_decrypt of the len bytes at enc into a buffer that already holds
 * PREFIX; checks that a failure leaves it as it was and names a reason. On success
 * *plain receives the message (caller frees with jf_buf_free); on failure it is freed. */
static jf_err decrypt(const char *enc, size_t len, jf_buf *plain)
{
    const char *why = (const char *)1;

    jf_buf_init(plain, JF_WXCRYPT_MAX_MSG + sizeof PREFIX);
    FUZZ_CHECK(jf_buf_appends(plain, PREFIX) == JF_ERR_OK);
    jf_err err = jf_wxcrypt_decrypt(&key, enc, len, RID, plain, &why);
    if (err) {
        FUZZ_CHECK(why != NULL && why != (const char *)1 && fuzz_touch(why) > 0);
        FUZZ_CHECK(plain->len == strlen(PREFIX) &&
                   memcmp(plain->data, PREFIX, plain->len) == 0);
        jf_buf_free(plain);
    } else {
        FUZZ_CHECK(why == NULL);
        FUZZ_CHECK(plain->len >= strlen(PREFIX) &&
                   plain->len - strlen(PREFIX) <= JF_WXCRYPT_MAX_MSG);
    }
    return err;
}

/* What a correct decryptor makes of plaintext pt (n bytes, a multiple of 32): the offset
 * and length of the message, or false when it must be refused. Written from the scheme
 * in wxcrypt.h, independently of wxcrypt.c. */
static bool expected_message(const uint8_t *pt, size_t n, size_t *off, size_t *mlen)
{
    if (n == 0 || n % JF_WXCRYPT_PAD_BLOCK)
        return false;
    size_t pad = pt[n - 1];
    if (pad < 1 || pad > JF_WXCRYPT_PAD_BLOCK)
        return false;
    for (size_t i = n - pad; i < n; i++)
        if (pt[i] != pad)
            return false;
    size_t body = n - pad;
    if (body < JF_WXCRYPT_RANDOM_LEN + 4)
        return false;
    uint64_t len = (uint64_t)pt[16] << 24 | (uint64_t)pt[17] << 16 | (uint64_t)pt[18] << 8 |
                   (uint64_t)pt[19];
    if (len > body - 20 || len > JF_WXCRYPT_MAX_MSG)
        return false;
    size_t rid_len = body - 20 - (size_t)len;
    if (rid_len != strlen(RID) || memcmp(pt + 20 + len, RID, rid_len) != 0)
        return false;
    *off = 20;
    *mlen = (size_t)len;
    return true;
}

/* Encrypt plaintext pt (n bytes, a multiple of 32) with the scheme's key and IV, base64 it,
 * optionally surrounded by whitespace, decrypt, and compare with expected_message. */
static void check_plaintext(uint8_t *pt, size_t n, bool spaces)
{
    size_t off = 0, mlen = 0;
    bool want = expected_message(pt, n, &off, &mlen);
    uint8_t *ct = malloc(n);
    size_t b64sz = (n + 2) / 3 * 4 + 8;
    char *b64 = malloc(b64sz);
    size_t b64len = 0;
    jf_buf plain;

    FUZZ_CHECK(ct && b64);
    FUZZ_CHECK(jf_crypto_aes256_cbc_encrypt(key.key, key.key, pt, n, ct) == JF_ERR_OK);
    size_t at = spaces ? 2 : 0;
    FUZZ_CHECK(jf_crypto_base64_encode(ct, n, b64 + at, b64sz - at - 3, &b64len) == JF_ERR_OK);
    if (spaces) {
        memcpy(b64, " \n", 2);
        memcpy(b64 + at + b64len, "\r\t", 3);
        b64len += 4;
    }
    jf_err err = decrypt(b64, b64len, &plain);
    if (want) {
        if (err)
            fprintf(stderr, "decrypt refused a well-formed plaintext: %s\n", jf_errname(err));
        FUZZ_CHECK(err == JF_ERR_OK);
        FUZZ_CHECK(plain.len - strlen(PREFIX) == mlen);
        FUZZ_CHECK(memcmp(plain.data + strlen(PREFIX), pt + off, mlen) == 0);
        jf_buf_free(&plain);
    } else {
        if (!err)
            fprintf(stderr, "decrypt accepted a malformed plaintext\n");
        FUZZ_CHECK(err != JF_ERR_OK);
    }
    free(ct);
    free(b64);
}

static void mode_ciphertext(const uint8_t *p, size_t n)
{
    jf_buf plain;
    if (decrypt((const char *)p, n, &plain) == JF_ERR_OK)
        jf_buf_free(&plain);
}

static void mode_signed(fuzz_cursor *c)
{
    size_t ln, nn, en, sn;
    const uint8_t *tp = fuzz_part(c, "\n", 1, &ln);
    const uint8_t *np = fuzz_part(c, "\n", 1, &nn);
    const uint8_t *ep = fuzz_part(c, "\n", 1, &en);
    const uint8_t *sp = fuzz_part(c, "\n", 1, &sn);
    char *ts = fuzz_strndup(tp, ln);
    char *nonce = fuzz_strndup(np, nn);
    char *enc = fuzz_strndup(ep, en);
    char *sig = fuzz_strndup(sp, sn);
    char want[JF_WXCRYPT_SIG_LEN + 1];
    int64_t secs = 0;
    jf_wxcrypt_key k2;
    jf_buf plain;

    /* The fuzzed signature: accepted only if it is the right one. */
    jf_err verr = jf_wxcrypt_verify(TOKEN, ts, nonce, enc, sig);
    jf_err serr = jf_wxcrypt_signature(TOKEN, ts, nonce, enc, want);
    FUZZ_CHECK((serr == JF_ERR_OK) == (verr == JF_ERR_OK || verr == JF_ERR_AUTH));
    if (serr == JF_ERR_OK) {
        FUZZ_CHECK(strlen(want) == JF_WXCRYPT_SIG_LEN);
        FUZZ_CHECK(jf_wxcrypt_verify(TOKEN, ts, nonce, enc, want) == JF_ERR_OK);
        if (verr == JF_ERR_OK)
            FUZZ_CHECK(strncasecmp(sig, want, JF_WXCRYPT_SIG_LEN + 1) == 0);
        /* The three-part signature of WeChat's URL check. */
        FUZZ_CHECK(jf_wxcrypt_signature(TOKEN, ts, nonce, NULL, want) == JF_ERR_OK);
        FUZZ_CHECK(jf_wxcrypt_verify(TOKEN, ts, nonce, NULL, want) == JF_ERR_OK);
        /* A correctly signed message reaches decryption and freshness. */
        if (decrypt(enc, strlen(enc), &plain) == JF_ERR_OK)
            jf_buf_free(&plain);
        jf_err terr = jf_wxcrypt_timestamp(ts, &secs);
        jf_err ferr = jf_wxcrypt_fresh(ts, NOW, 300);
        FUZZ_CHECK(terr == JF_ERR_OK || terr == JF_ERR_PARSE);
        FUZZ_CHECK(terr == JF_ERR_OK ? (ferr == JF_ERR_OK || ferr == JF_ERR_RANGE)
                                     : ferr == JF_ERR_PARSE);
        FUZZ_CHECK(terr || secs >= 0);
    }
    if (jf_wxcrypt_key_parse(nonce, &k2) == JF_ERR_OK)
        FUZZ_CHECK(strlen(nonce) == JF_WXCRYPT_KEY_CHARS);
    jf_wxcrypt_key_wipe(&k2);
    free(ts);
    free(nonce);
    free(enc);
    free(sig);
}

/* Mode 2: the rest of the input is the plaintext. */
static void mode_plaintext(const uint8_t *p, size_t n, bool spaces)
{
    size_t blocks = n / JF_WXCRYPT_PAD_BLOCK + (n % JF_WXCRYPT_PAD_BLOCK != 0);
    size_t total = (blocks ? blocks : 1) * JF_WXCRYPT_PAD_BLOCK;
    uint8_t *pt = malloc(total);
    FUZZ_CHECK(pt != NULL);
    if (n)
        memcpy(pt, p, n);
    memset(pt + n, (int)(total - n), total - n);
    check_plaintext(pt, total, spaces);
    free(pt);
}

/* Mode 3: random prefix (16 input bytes) | length field | message | receive id | padding,
 * each part varied by one control byte:
 *   bits 0-2  length field delta: 0 exact, else -3..+3 (bits as a signed offset);
 *   bits 3-4  receive id: RID, RID without its last character, RID + "x", empty;
 *   bits 5-6  padding: correct, one byte short, value 0, value 33;
 *   bit 7     whitespace around the base64. */
static void mode_structured(fuzz_cursor *c)
{
    uint8_t ctl = fuzz_byte(c);
    uint8_t random[JF_WXCRYPT_RANDOM_LEN] = {0};
    for (size_t i = 0; i < sizeof random; i++)
        random[i] = fuzz_byte(c);
    const uint8_t *msg = c->p;
    size_t mlen = c->n;
    static const int deltas[8] = {0, 1, 2, 3, -1, -2, -3, 4};
    const char *rids[4] = {RID, RID, RID "x", ""};
    size_t rid_len = ((ctl >> 3) & 3) == 1 ? strlen(RID) - 1 : strlen(rids[(ctl >> 3) & 3]);
    size_t body = JF_WXCRYPT_RANDOM_LEN + 4 + mlen + rid_len;
    size_t pad = JF_WXCRYPT_PAD_BLOCK - body % JF_WXCRYPT_PAD_BLOCK;
    size_t total = body + pad;
    uint8_t *pt = malloc(total);
    FUZZ_CHECK(pt != NULL);

    uint32_t field = (uint32_t)((int64_t)mlen + deltas[ctl & 7]);
    memcpy(pt, random, sizeof random);
    pt[16] = (uint8_t)(field >> 24);
    pt[17] = (uint8_t)(field >> 16);
    pt[18] = (uint8_t)(field >> 8);
    pt[19] = (uint8_t)field;
    if (mlen)
        memcpy(pt + 20, msg, mlen);
    memcpy(pt + 20 + mlen, rids[(ctl >> 3) & 3], rid_len);
    memset(pt + body, (int)pad, pad);
    switch ((ctl >> 5) & 3) {
    case 1:
        pt[body] = (uint8_t)(pad + 1); /* one padding byte disagrees */
        if (pad == 1)
            pt[body] = 0;
        break;
    case 2:
        pt[total - 1] = 0;
        break;
    case 3:
        pt[total - 1] = JF_WXCRYPT_PAD_BLOCK + 1;
        break;
    default:
        break;
    }
    check_plaintext(pt, total, ctl & 0x80);
    free(pt);
}

/* Mode 4: encrypt, then decrypt. */
static void mode_roundtrip(fuzz_cursor *c)
{
    uint8_t ctl = fuzz_byte(c);
    bool other = ctl & 1;
    jf_buf enc;
    jf_buf plain;
    static const uint8_t random[JF_WXCRYPT_RANDOM_LEN] = "aaaabbbbccccdddd";

    jf_buf_init(&enc, JF_WXCRYPT_MAX_ENCRYPTED);
    if (c->n > JF_WXCRYPT_MAX_MSG) {
        FUZZ_CHECK(jf_wxcrypt_encrypt(&key, random, (const char *)c->p, c->n, RID, &enc) ==
                   JF_ERR_TOOBIG);
        jf_buf_free(&enc);
        return;
    }
    jf_err err = jf_wxcrypt_encrypt(&key, (ctl & 2) ? NULL : random, (const char *)c->p, c->n,
                                    other ? "ww0000000000000000" : RID, &enc);
    FUZZ_CHECK(err == JF_ERR_OK);
    err = decrypt(enc.data, enc.len, &plain);
    if (other) {
        FUZZ_CHECK(err == JF_ERR_AUTH);
    } else {
        FUZZ_CHECK(err == JF_ERR_OK);
        FUZZ_CHECK(plain.len - strlen(PREFIX) == c->n);
        FUZZ_CHECK(c->n == 0 || memcmp(plain.data + strlen(PREFIX), c->p, c->n) == 0);
        jf_buf_free(&plain);
    }
    jf_buf_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_cursor c = {data, size};
    uint8_t mode = (uint8_t)(fuzz_byte(&c) - '0');

    switch (mode % 5) {
    case 0:
        mode_ciphertext(c.p, c.n);
        break;
    case 1:
        mode_signed(&c);
        break;
    case 2:
        mode_plaintext(c.p, c.n, (mode / 5) & 1);
        break;
    case 3:
        mode_structured(&c);
        break;
    default:
        mode_roundtrip(&c);
        break;
    }
    return 0;
}
