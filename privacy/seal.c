/* seal.c - AES-256-GCM sealing of reply addresses, bound to their reporter and key id. */
#include "privacy/seal.h"

#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"

#define SEAL_CONTEXT "jianfu-seal-v1"
#define SEAL_CONTEXT_LEN (sizeof SEAL_CONTEXT - 1)
#define SEAL_AAD_MAX (SEAL_CONTEXT_LEN + JF_REPORTER_KEY_LEN + JF_KEY_ID_MAX)

/* Build the AAD "jianfu-seal-v1" || rk || key id into aad and return its length. The
 * context string and reporter key have fixed lengths, so the variable-length key id at
 * the end cannot make two different triples encode alike. */
static size_t seal_aad(uint8_t aad[SEAL_AAD_MAX], const uint8_t rk[JF_REPORTER_KEY_LEN],
                       const char *key_id)
{
    size_t idlen = strnlen(key_id, JF_KEY_ID_MAX);
    memcpy(aad, SEAL_CONTEXT, SEAL_CONTEXT_LEN);
    memcpy(aad + SEAL_CONTEXT_LEN, rk, JF_REPORTER_KEY_LEN);
    memcpy(aad + SEAL_CONTEXT_LEN + JF_REPORTER_KEY_LEN, key_id, idlen);
    return SEAL_CONTEXT_LEN + JF_REPORTER_KEY_LEN + idlen;
}

jf_err jf_privacy_seal(const jf_keyring *kr, const uint8_t rk[JF_REPORTER_KEY_LEN],
                       const char *addr, size_t len, jf_sealed *out)
{
    jf_err err = JF_ERR_INVAL;
    uint8_t aad[SEAL_AAD_MAX];
    uint8_t *blob = NULL;
    size_t bloblen = 0;

    if (!out)
        return JF_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (!kr || !rk || !addr)
        goto out;
    /* An address is a C string when opened again, so an embedded NUL would silently
     * truncate it; such input is a caller bug, not an address. */
    if (len == 0 || memchr(addr, '\0', len))
        goto out;
    if (len > JF_ADDRESS_MAX) {
        err = JF_ERR_TOOBIG;
        goto out;
    }

    const jf_key *key = jf_privacy_keyring_seal_active(kr);
    bloblen = JF_GCM_NONCE_LEN + len + JF_GCM_TAG_LEN;
    blob = malloc(bloblen);
    if (!blob) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    /* A random 96-bit nonce per seal: the number of addresses sealed under one key stays
     * far below the 2^32 at which random GCM nonces would risk repeating. */
    err = jf_crypto_random(blob, JF_GCM_NONCE_LEN);
    if (err)
        goto out;
    size_t aadlen = seal_aad(aad, rk, key->id);
    err = jf_crypto_gcm_seal(key->key, blob, aad, aadlen, addr, len, blob + JF_GCM_NONCE_LEN,
                             blob + JF_GCM_NONCE_LEN + len);
    if (err)
        goto out;

    memcpy(out->key_id, key->id, sizeof out->key_id);
    out->blob = blob;
    out->len = bloblen;
    blob = NULL;
    err = JF_ERR_OK;
out:
    if (blob) {
        jf_crypto_zeroize(blob, bloblen);
        free(blob);
    }
    return err;
}

jf_err jf_privacy_open(const jf_keyring *kr, const uint8_t rk[JF_REPORTER_KEY_LEN],
                       const char *key_id, const uint8_t *blob, size_t bloblen, char **addr,
                       size_t *len)
{
    jf_err err = JF_ERR_INVAL;
    uint8_t aad[SEAL_AAD_MAX];
    char *pt = NULL;
    size_t ptlen = 0;

    if (!addr || !len)
        return JF_ERR_INVAL;
    *addr = NULL;
    *len = 0;
    if (!kr || !rk || !key_id || (!blob && bloblen > 0))
        goto out;
    /* Shorter than nonce + one byte + tag cannot be anything jf_privacy_seal produced;
     * longer than the largest address cannot either, and is not worth allocating for. */
    if (bloblen < JF_GCM_NONCE_LEN + 1 + JF_GCM_TAG_LEN ||
        bloblen > JF_GCM_NONCE_LEN + JF_ADDRESS_MAX + JF_GCM_TAG_LEN) {
        err = JF_ERR_PARSE;
        goto out;
    }
    const jf_key *key = jf_privacy_keyring_seal_find(kr, key_id);
    if (!key) {
        err = JF_ERR_NOTFOUND;
        goto out;
    }

    ptlen = bloblen - JF_GCM_NONCE_LEN - JF_GCM_TAG_LEN;
    pt = malloc(ptlen + 1);
    if (!pt) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    size_t aadlen = seal_aad(aad, rk, key->id);
    err = jf_crypto_gcm_open(key->key, blob, aad, aadlen, blob + JF_GCM_NONCE_LEN, ptlen,
                             blob + JF_GCM_NONCE_LEN + ptlen, (uint8_t *)pt);
    if (err)
        goto out;
    pt[ptlen] = '\0';
    *addr = pt;
    *len = ptlen;
    pt = NULL;
    err = JF_ERR_OK;
out:
    if (pt) {
        jf_crypto_zeroize(pt, ptlen + 1);
        free(pt);
    }
    return err;
}

void jf_privacy_sealed_free(jf_sealed *s)
{
    if (!s)
        return;
    if (s->blob) {
        jf_crypto_zeroize(s->blob, s->len);
        free(s->blob);
    }
    memset(s, 0, sizeof *s);
}
