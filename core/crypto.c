/* crypto.c - mbedTLS wrappers: random, HMAC, SHA-1/256, AES-GCM, AES-CBC, PBKDF2, base64. */
#include "crypto.h"

#include <pthread.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/base64.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

/* The DRBG is process-wide state created once; the lock serialises its use because
 * mbedtls_ctr_drbg_random is not thread-safe without MBEDTLS_THREADING_C. */
static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context rng_entropy;
static mbedtls_ctr_drbg_context rng_drbg;
static int rng_ready;

jf_err jf_crypto_random(void *out, size_t n)
{
    static const unsigned char pers[] = "jianfu-ctr-drbg";
    jf_err err = JF_ERR_CRYPTO;
    unsigned char *p = out;

    pthread_mutex_lock(&rng_lock);
    if (!rng_ready) {
        mbedtls_entropy_init(&rng_entropy);
        mbedtls_ctr_drbg_init(&rng_drbg);
        if (mbedtls_ctr_drbg_seed(&rng_drbg, mbedtls_entropy_func, &rng_entropy, pers,
                                  sizeof pers - 1) != 0) {
            mbedtls_ctr_drbg_free(&rng_drbg);
            mbedtls_entropy_free(&rng_entropy);
            goto out;
        }
        rng_ready = 1;
    }
    while (n > 0) {
        size_t chunk = n > MBEDTLS_CTR_DRBG_MAX_REQUEST ? MBEDTLS_CTR_DRBG_MAX_REQUEST : n;
        if (mbedtls_ctr_drbg_random(&rng_drbg, p, chunk) != 0)
            goto out;
        p += chunk;
        n -= chunk;
    }
    err = JF_ERR_OK;
out:
    pthread_mutex_unlock(&rng_lock);
    return err;
}

static jf_err hmac(mbedtls_md_type_t type, const void *key, size_t klen, const void *msg,
                   size_t mlen, uint8_t *out)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(type);
    if (!info)
        return JF_ERR_CRYPTO;
    if (mbedtls_md_hmac(info, key, klen, msg, mlen, out) != 0)
        return JF_ERR_CRYPTO;
    return JF_ERR_OK;
}

jf_err jf_crypto_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                           uint8_t out[JF_SHA1_LEN])
{
    return hmac(MBEDTLS_MD_SHA1, key, klen, msg, mlen, out);
}

jf_err jf_crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                             uint8_t out[JF_SHA256_LEN])
{
    return hmac(MBEDTLS_MD_SHA256, key, klen, msg, mlen, out);
}

jf_err jf_crypto_sha256(const void *msg, size_t mlen, uint8_t out[JF_SHA256_LEN])
{
    if (mbedtls_sha256_ret(msg, mlen, out, 0) != 0)
        return JF_ERR_CRYPTO;
    return JF_ERR_OK;
}

jf_err jf_crypto_sha1(const void *msg, size_t mlen, uint8_t out[JF_SHA1_LEN])
{
    if (mbedtls_sha1_ret(msg, mlen, out) != 0)
        return JF_ERR_CRYPTO;
    return JF_ERR_OK;
}

/* aes256_cbc - one CBC pass in direction mode over n bytes (a whole number of blocks). */
static jf_err aes256_cbc(int mode, const uint8_t key[JF_AES256_KEY_LEN],
                         const uint8_t iv[JF_AES_BLOCK_LEN], const void *in, size_t n,
                         uint8_t *out)
{
    jf_err err = JF_ERR_INVAL;
    mbedtls_aes_context aes;
    unsigned char ivc[JF_AES_BLOCK_LEN];

    mbedtls_aes_init(&aes);
    if (!key || !iv || (!in && n) || (!out && n) || n % JF_AES_BLOCK_LEN)
        goto out;
    err = JF_ERR_CRYPTO;
    /* mbedtls_aes_crypt_cbc advances the IV it is given; the caller's stays as it was. */
    memcpy(ivc, iv, sizeof ivc);
    int rc = mode == MBEDTLS_AES_ENCRYPT ? mbedtls_aes_setkey_enc(&aes, key, 256)
                                         : mbedtls_aes_setkey_dec(&aes, key, 256);
    if (rc != 0)
        goto out;
    if (n && mbedtls_aes_crypt_cbc(&aes, mode, n, ivc, in, out) != 0)
        goto out;
    err = JF_ERR_OK;
out:
    mbedtls_aes_free(&aes);
    mbedtls_platform_zeroize(ivc, sizeof ivc);
    return err;
}

jf_err jf_crypto_aes256_cbc_encrypt(const uint8_t key[JF_AES256_KEY_LEN],
                                    const uint8_t iv[JF_AES_BLOCK_LEN], const void *in,
                                    size_t n, uint8_t *out)
{
    return aes256_cbc(MBEDTLS_AES_ENCRYPT, key, iv, in, n, out);
}

jf_err jf_crypto_aes256_cbc_decrypt(const uint8_t key[JF_AES256_KEY_LEN],
                                    const uint8_t iv[JF_AES_BLOCK_LEN], const void *in,
                                    size_t n, uint8_t *out)
{
    return aes256_cbc(MBEDTLS_AES_DECRYPT, key, iv, in, n, out);
}

jf_err jf_crypto_gcm_seal(const uint8_t key[JF_AES256_KEY_LEN],
                          const uint8_t nonce[JF_GCM_NONCE_LEN], const void *aad, size_t aadlen,
                          const void *pt, size_t n, uint8_t *ct, uint8_t tag[JF_GCM_TAG_LEN])
{
    jf_err err = JF_ERR_CRYPTO;
    mbedtls_gcm_context gcm;

    mbedtls_gcm_init(&gcm);
    if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) != 0)
        goto out;
    if (mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, n, nonce, JF_GCM_NONCE_LEN, aad,
                                  aadlen, pt, ct, JF_GCM_TAG_LEN, tag) != 0)
        goto out;
    err = JF_ERR_OK;
out:
    mbedtls_gcm_free(&gcm);
    return err;
}

jf_err jf_crypto_gcm_open(const uint8_t key[JF_AES256_KEY_LEN],
                          const uint8_t nonce[JF_GCM_NONCE_LEN], const void *aad, size_t aadlen,
                          const uint8_t *ct, size_t n, const uint8_t tag[JF_GCM_TAG_LEN],
                          uint8_t *pt)
{
    jf_err err = JF_ERR_CRYPTO;
    mbedtls_gcm_context gcm;

    mbedtls_gcm_init(&gcm);
    if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) != 0)
        goto out;
    int rc = mbedtls_gcm_auth_decrypt(&gcm, n, nonce, JF_GCM_NONCE_LEN, aad, aadlen, tag,
                                      JF_GCM_TAG_LEN, ct, pt);
    if (rc == MBEDTLS_ERR_GCM_AUTH_FAILED) {
        mbedtls_platform_zeroize(pt, n);
        err = JF_ERR_AUTH;
        goto out;
    }
    if (rc != 0)
        goto out;
    err = JF_ERR_OK;
out:
    mbedtls_gcm_free(&gcm);
    return err;
}

jf_err jf_crypto_pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                               unsigned iterations, uint8_t *out, size_t outlen)
{
    jf_err err = JF_ERR_CRYPTO;
    mbedtls_md_context_t md;

    mbedtls_md_init(&md);
    if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) != 0)
        goto out;
    if (mbedtls_pkcs5_pbkdf2_hmac(&md, pw, pwlen, salt, saltlen, iterations, (uint32_t)outlen,
                                  out) != 0)
        goto out;
    err = JF_ERR_OK;
out:
    mbedtls_md_free(&md);
    return err;
}

bool jf_crypto_equal(const void *a, const void *b, size_t n)
{
    return mbedtls_ct_memcmp(a, b, n) == 0;
}

void jf_crypto_zeroize(void *p, size_t n)
{
    if (p && n)
        mbedtls_platform_zeroize(p, n);
}

jf_err jf_crypto_base64_encode(const void *in, size_t n, char *out, size_t outsz, size_t *olen)
{
    size_t len = 0;
    int rc = mbedtls_base64_encode((unsigned char *)out, outsz, &len, in, n);
    if (rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL)
        return JF_ERR_TOOBIG;
    if (rc != 0)
        return JF_ERR_CRYPTO;
    if (olen)
        *olen = len;
    return JF_ERR_OK;
}

jf_err jf_crypto_base64_decode(const char *in, size_t n, uint8_t *out, size_t outsz,
                               size_t *olen)
{
    size_t len = 0;
    int rc = mbedtls_base64_decode(out, outsz, &len, (const unsigned char *)in, n);
    if (rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL)
        return JF_ERR_TOOBIG;
    if (rc != 0)
        return JF_ERR_PARSE;
    if (olen)
        *olen = len;
    return JF_ERR_OK;
}

void jf_crypto_hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}
