/* crypto.h - thin, checked wrappers over mbedTLS for the primitives jianfu uses.
 *
 * Keeping mbedTLS behind this header means the rest of the code never handles an mbedTLS
 * context or return code, and that secrets are wiped on every path in one place.
 * All functions are thread-safe; none keeps a copy of its inputs.
 */
#ifndef JF_CORE_CRYPTO_H
#define JF_CORE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define JF_SHA1_LEN 20
#define JF_SHA256_LEN 32
#define JF_GCM_NONCE_LEN 12
#define JF_GCM_TAG_LEN 16
#define JF_AES256_KEY_LEN 32
#define JF_AES_BLOCK_LEN 16

/* jf_crypto_random - fill out with n bytes from a CTR-DRBG seeded from the system's
 * entropy source. Serialised by an internal lock. JF_ERR_CRYPTO if seeding fails. */
jf_err jf_crypto_random(void *out, size_t n) JF_WUR;

/* jf_crypto_hmac_sha1 / _sha256 - out receives the MAC of msg under key. */
jf_err jf_crypto_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                           uint8_t out[JF_SHA1_LEN]) JF_WUR;
jf_err jf_crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                             uint8_t out[JF_SHA256_LEN]) JF_WUR;

/* jf_crypto_sha256 - out receives SHA-256(msg). */
jf_err jf_crypto_sha256(const void *msg, size_t mlen, uint8_t out[JF_SHA256_LEN]) JF_WUR;

/* jf_crypto_sha1 - out receives SHA-1(msg). Only for provider schemes that sign with a
 * plain SHA-1 digest (WeCom/WeChat msg_signature); never for anything of our own. */
jf_err jf_crypto_sha1(const void *msg, size_t mlen, uint8_t out[JF_SHA1_LEN]) JF_WUR;

/* jf_crypto_aes256_cbc_encrypt / _decrypt - AES-256-CBC of n bytes of in into out (n bytes,
 * caller's buffer; may be in itself), without padding: n must be a multiple of
 * JF_AES_BLOCK_LEN (else JF_ERR_INVAL), because schemes pad differently (WeCom pads to 32
 * bytes) and padding is checked by the caller. iv is not modified. Unauthenticated: use
 * only where a provider's scheme requires it, after checking the provider's signature. */
jf_err jf_crypto_aes256_cbc_encrypt(const uint8_t key[JF_AES256_KEY_LEN],
                                    const uint8_t iv[JF_AES_BLOCK_LEN], const void *in,
                                    size_t n, uint8_t *out) JF_WUR;
jf_err jf_crypto_aes256_cbc_decrypt(const uint8_t key[JF_AES256_KEY_LEN],
                                    const uint8_t iv[JF_AES_BLOCK_LEN], const void *in,
                                    size_t n, uint8_t *out) JF_WUR;

/* jf_crypto_gcm_seal - AES-256-GCM encrypt n bytes of pt into ct (n bytes, caller's
 * buffer) and write the tag. The nonce must never repeat under one key: callers draw it
 * from jf_crypto_random. */
jf_err jf_crypto_gcm_seal(const uint8_t key[JF_AES256_KEY_LEN],
                          const uint8_t nonce[JF_GCM_NONCE_LEN], const void *aad, size_t aadlen,
                          const void *pt, size_t n, uint8_t *ct,
                          uint8_t tag[JF_GCM_TAG_LEN]) JF_WUR;

/* jf_crypto_gcm_open - decrypt and authenticate; JF_ERR_AUTH when the tag does not match
 * (tampered data, wrong key, wrong AAD), in which case pt is wiped. */
jf_err jf_crypto_gcm_open(const uint8_t key[JF_AES256_KEY_LEN],
                          const uint8_t nonce[JF_GCM_NONCE_LEN], const void *aad, size_t aadlen,
                          const uint8_t *ct, size_t n, const uint8_t tag[JF_GCM_TAG_LEN],
                          uint8_t *pt) JF_WUR;

/* jf_crypto_pbkdf2_sha256 - PBKDF2-HMAC-SHA256 of the password into outlen bytes. */
jf_err jf_crypto_pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                               unsigned iterations, uint8_t *out, size_t outlen) JF_WUR;

/* jf_crypto_equal - constant-time comparison of two n-byte strings. */
bool jf_crypto_equal(const void *a, const void *b, size_t n);

/* jf_crypto_zeroize - wipe n bytes in a way the compiler may not elide. */
void jf_crypto_zeroize(void *p, size_t n);

/* jf_crypto_base64_encode - standard base64 with padding into out (outsz bytes, NUL
 * terminated). JF_ERR_TOOBIG when out is too small. *olen (may be NULL) gets the length. */
jf_err jf_crypto_base64_encode(const void *in, size_t n, char *out, size_t outsz,
                               size_t *olen) JF_WUR;

/* jf_crypto_base64_decode - decode standard base64 into out (outsz bytes).
 * JF_ERR_PARSE on invalid input, JF_ERR_TOOBIG when out is too small. */
jf_err jf_crypto_base64_decode(const char *in, size_t n, uint8_t *out, size_t outsz,
                               size_t *olen) JF_WUR;

/* jf_crypto_hex_encode - lowercase hex of n bytes into out (2n+1 bytes). */
void jf_crypto_hex_encode(const void *in, size_t n, char *out);

#endif
