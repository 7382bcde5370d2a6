/* seal.h - sealing a reply address so only the running service can open it.
 *
 * sealed = nonce (12 bytes, random) || AES-256-GCM ciphertext || tag (16 bytes), under the
 * active seal key. The additional authenticated data binds the blob to its reporter key
 * and key id ("jianfu-seal-v1" || reporter key || key id), so a blob copied onto another
 * complaint's row, or relabelled with another key id, fails to open. Thread-safe.
 */
#ifndef JF_PRIVACY_SEAL_H
#define JF_PRIVACY_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "privacy/keyring.h"
#include "privacy/pseudonym.h"

typedef struct {
    char key_id[JF_KEY_ID_MAX + 1];
    uint8_t *blob; /* owned; free with jf_privacy_sealed_free */
    size_t len;
} jf_sealed;

/* jf_privacy_seal - seal len bytes of addr for reporter rk into *out (caller frees with
 * jf_privacy_sealed_free). out->key_id is the active seal key's id, to be stored next to
 * the blob; out->len is 12 + len + 16. len must be 1..JF_ADDRESS_MAX (JF_ERR_INVAL for
 * 0, JF_ERR_TOOBIG past it) and addr must not contain a NUL byte (JF_ERR_INVAL: it
 * would be cut short when opened as a string); JF_ERR_INVAL for NULL arguments,
 * JF_ERR_CRYPTO, JF_ERR_NOMEM. *out is zeroed first, so it is safe to pass to
 * jf_privacy_sealed_free whatever the result. */
jf_err jf_privacy_seal(const jf_keyring *kr, const uint8_t rk[JF_REPORTER_KEY_LEN],
                       const char *addr, size_t len, jf_sealed *out) JF_WUR;

/* jf_privacy_open - open a sealed address into a new NUL-terminated heap string *addr
 * (length *len). The caller wipes it with jf_crypto_zeroize and frees it as soon as the
 * message is sent. JF_ERR_NOTFOUND for an unknown key id, JF_ERR_AUTH when the blob was
 * tampered with or belongs to another reporter, JF_ERR_PARSE when it is too short.
 *
 * JF_ERR_PARSE for any bloblen outside 12 + 1 + 16 .. 12 + JF_ADDRESS_MAX + 16 (checked
 * before the key id), JF_ERR_AUTH also for a blob relabelled with another existing key
 * id, JF_ERR_INVAL for NULL arguments. On failure *addr is NULL and *len 0, and no
 * decrypted byte survives. */
jf_err jf_privacy_open(const jf_keyring *kr, const uint8_t rk[JF_REPORTER_KEY_LEN],
                       const char *key_id, const uint8_t *blob, size_t bloblen, char **addr,
                       size_t *len) JF_WUR;

/* jf_privacy_sealed_free - wipe and free the blob and zero the struct, which may then be
 * reused; NULL and an already freed struct are allowed. */
void jf_privacy_sealed_free(jf_sealed *s);

#endif
