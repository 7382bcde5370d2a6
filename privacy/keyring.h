/* keyring.h - the secret keys that protect reporters, loaded from a key file outside the
 * database.
 *
 * A key file is text, mode 0600, one key per line, '#' starts a comment:
 *     jianfu-keyfile 1
 *     pseudonym <key-id> <base64 of 32 bytes>
 *     seal <key-id> <base64 of 32 bytes>
 * There is exactly one pseudonym key (HMAC-SHA256 key for reporter keys; changing it
 * would unlink every reporter from their earlier complaints) and one or more seal keys
 * (AES-256-GCM). The last seal line is the active key that seals new addresses; earlier
 * ones stay so that addresses sealed before a rotation can still be opened. Key ids are
 * 1-16 characters of [A-Za-z0-9_-] and are stored next to what they protect.
 *
 * Parsing details: the header must be the first line that is not blank or a comment; a
 * comment may also follow an entry on its line; fields are separated by spaces or tabs;
 * CRLF line ends are accepted. Seal key ids must be unique (the pseudonym key's id is a
 * separate namespace). At most JF_KEYRING_MAX_SEAL_KEYS seal keys, lines of at most
 * 1024 bytes, files of at most 64 KiB.
 *
 * A loaded keyring is immutable and may be shared by all threads without a lock.
 */
#ifndef JF_PRIVACY_KEYRING_H
#define JF_PRIVACY_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define JF_KEY_ID_MAX 16
#define JF_KEY_LEN 32
#define JF_KEYRING_MAX_SEAL_KEYS 16

typedef struct {
    char id[JF_KEY_ID_MAX + 1];
    uint8_t key[JF_KEY_LEN];
} jf_key;

typedef struct jf_keyring jf_keyring;

/* jf_privacy_keyring_load - read the key file at path into a new keyring (*out, caller
 * frees with jf_privacy_keyring_free). JF_ERR_IO if the file cannot be opened or read,
 * JF_ERR_CONFIG if it is not a regular file, has any group or other permission bit set
 * (mode & 077), is too large, or is malformed; JF_ERR_INVAL for a NULL path or out;
 * JF_ERR_NOMEM. On failure *out is NULL and the reason, naming the path and the line,
 * is written to errbuf (errsz bytes, may be NULL/0) without ever including key material:
 * only paths, line numbers and valid key ids are echoed, never a field of a bad line.
 * The file is checked with fstat on the descriptor it is read from. A symlink to the
 * key file is followed (secret mounts are often symlinks); the target's mode counts. */
jf_err jf_privacy_keyring_load(const char *path, jf_keyring **out, char *errbuf,
                               size_t errsz) JF_WUR;

/* jf_privacy_keyring_free - wipe and free; NULL is allowed. */
void jf_privacy_keyring_free(jf_keyring *kr);

/* jf_privacy_keygen - create a new key file at path (refusing to overwrite an existing
 * file: JF_ERR_EXISTS) with mode 0600, holding a fresh random pseudonym key "p1" and seal
 * key "s1" from the CSPRNG. The file is created with O_EXCL and O_NOFOLLOW (so a
 * symlink at path, dangling or not, is also JF_ERR_EXISTS), chmod'ed to 0600 whatever the
 * umask, fsync'ed, and its directory fsync'ed on a best-effort basis. JF_ERR_IO when it
 * cannot be created or written, in which case no partial file is left behind;
 * JF_ERR_INVAL for a NULL or empty path; JF_ERR_CRYPTO if the CSPRNG fails. All
 * temporary copies of the keys are wiped. */
jf_err jf_privacy_keygen(const char *path) JF_WUR;

/* jf_privacy_keyring_pseudonym - the pseudonym key; never NULL for a loaded keyring.
 * The returned keys below are borrowed from kr and live as long as it does. */
const jf_key *jf_privacy_keyring_pseudonym(const jf_keyring *kr);

/* jf_privacy_keyring_seal_active - the seal key for new addresses; never NULL. */
const jf_key *jf_privacy_keyring_seal_active(const jf_keyring *kr);

/* jf_privacy_keyring_seal_find - the seal key with this id (exact, case-sensitive
 * match), or NULL; NULL also for a NULL kr or id. */
const jf_key *jf_privacy_keyring_seal_find(const jf_keyring *kr, const char *id);

#endif
