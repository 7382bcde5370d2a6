/* wxcrypt.h - the callback message crypto of WeCom, WeChat official accounts and DingTalk
 * event subscriptions (the scheme of Tencent's WXBizMsgCrypt SDK, 消息加解密).
 *
 * The provider and the application share a Token and a 43-character EncodingAESKey, and
 * the application's receive id (WeCom: the corp id; WeChat: the app id; DingTalk: the
 * app key, suite key or corp id, "owner key"):
 *   - AES key = base64-decode(EncodingAESKey + "=") (32 bytes); IV = its first 16 bytes;
 *   - plaintext = 16 random bytes || message length (4 bytes, big-endian) || message ||
 *     receive id, padded PKCS#7-style to a multiple of 32 bytes (1..32 bytes of value n);
 *   - ciphertext = base64(AES-256-CBC(plaintext)), called Encrypt / echostr / encrypt;
 *   - msg_signature = lowercase hex SHA-1 of the byte-wise sorted concatenation of token,
 *     timestamp, nonce and the ciphertext (WeChat's URL check signs the first three only).
 * Decryption is strict: a whole number of 32-byte blocks, every padding byte checked, the
 * length field within the plaintext, and the receive id equal to the configured one, so a
 * message encrypted for another corp or app is refused. Signatures are compared in
 * constant time. Everything here is pure computation and thread-safe.
 */
#ifndef JF_WEBHOOK_WXCRYPT_H
#define JF_WEBHOOK_WXCRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/err.h"
#include "webhook/inbound.h"

#define JF_WXCRYPT_KEY_CHARS 43 /* EncodingAESKey */
#define JF_WXCRYPT_SIG_LEN 40   /* hex SHA-1 */
#define JF_WXCRYPT_RANDOM_LEN 16
#define JF_WXCRYPT_PAD_BLOCK 32
#define JF_WXCRYPT_NONCE_LEN 16 /* nonces this side generates */
/* Longest message inside a ciphertext: a webhook body can carry no more. */
#define JF_WXCRYPT_MAX_MSG JF_WEBHOOK_MAX_BODY
/* Longest receive id (corp ids and app ids are 18 characters, DingTalk keys about 20). */
#define JF_WXCRYPT_MAX_RECEIVE_ID 128
/* Longest token, timestamp or nonce taken into a signature. */
#define JF_WXCRYPT_MAX_PARAM 128
/* Longest ciphertext (base64) that can hold JF_WXCRYPT_MAX_MSG. */
#define JF_WXCRYPT_MAX_ENCRYPTED                                                               \
    ((JF_WXCRYPT_RANDOM_LEN + 4 + JF_WXCRYPT_MAX_MSG + JF_WXCRYPT_MAX_RECEIVE_ID +             \
      JF_WXCRYPT_PAD_BLOCK + 2) /                                                              \
     3 * 4)

typedef struct {
    uint8_t key[JF_AES256_KEY_LEN];
} jf_wxcrypt_key;

/* jf_wxcrypt_key_parse - *out receives the AES key of encoding_aes_key, which must be
 * exactly JF_WXCRYPT_KEY_CHARS characters of the base64 alphabet (A-Z a-z 0-9 + /).
 * JF_ERR_INVAL otherwise (NULL included). Wipe *out with jf_wxcrypt_key_wipe. */
jf_err jf_wxcrypt_key_parse(const char *encoding_aes_key, jf_wxcrypt_key *out) JF_WUR;

void jf_wxcrypt_key_wipe(jf_wxcrypt_key *k);

/* jf_wxcrypt_signature - out receives the lowercase hex msg_signature of token, timestamp,
 * nonce and encrypt (NULL for the three-part signature of WeChat's URL check).
 * JF_ERR_INVAL for a NULL or empty token (an empty token would let anyone sign) or a NULL
 * timestamp or nonce; JF_ERR_TOOBIG when token, timestamp or nonce is longer than
 * JF_WXCRYPT_MAX_PARAM or encrypt longer than JF_WXCRYPT_MAX_ENCRYPTED; JF_ERR_NOMEM,
 * JF_ERR_CRYPTO. */
jf_err jf_wxcrypt_signature(const char *token, const char *timestamp, const char *nonce,
                            const char *encrypt, char out[JF_WXCRYPT_SIG_LEN + 1]) JF_WUR;

/* jf_wxcrypt_verify - JF_ERR_OK when sig (may be NULL) is the signature of the others,
 * compared in constant time (hex digits in either case); JF_ERR_AUTH when it is missing or
 * wrong; fails like jf_wxcrypt_signature when it cannot be computed. */
jf_err jf_wxcrypt_verify(const char *token, const char *timestamp, const char *nonce,
                         const char *encrypt, const char *sig) JF_WUR;

/* jf_wxcrypt_decrypt - decrypt the len bytes of encrypt (base64; surrounding ASCII
 * whitespace is ignored, as the SDKs' decoders do) under key, check the receive id, and
 * append the message to msg (its maximum applies). JF_ERR_PARSE for bad base64, a length
 * that is not a whole number of 32-byte blocks, bad padding or a length field that does not
 * fit; JF_ERR_AUTH when the receive id differs from receive_id; JF_ERR_TOOBIG for a
 * ciphertext longer than JF_WXCRYPT_MAX_ENCRYPTED or a message past msg's maximum;
 * JF_ERR_INVAL for NULL arguments or a receive_id longer than JF_WXCRYPT_MAX_RECEIVE_ID; JF_ERR_NOMEM, JF_ERR_CRYPTO. *why (may be NULL)
 * receives a static description of the defect that never contains input data. Every
 * intermediate buffer is wiped; on failure msg is left as it was. */
jf_err jf_wxcrypt_decrypt(const jf_wxcrypt_key *key, const char *encrypt, size_t len,
                          const char *receive_id, jf_buf *msg, const char **why) JF_WUR;

/* jf_wxcrypt_encrypt - append the base64 ciphertext of the len bytes of msg for
 * receive_id to out. random is the 16-byte prefix: NULL draws a fresh one of
 * alphanumeric characters from jf_crypto_random, as the SDKs do (tests pass the SDKs'
 * fixed prefixes to reproduce their published ciphertexts). JF_ERR_TOOBIG for a message
 * longer than JF_WXCRYPT_MAX_MSG, a receive id longer than JF_WXCRYPT_MAX_RECEIVE_ID or
 * output past out's maximum; JF_ERR_INVAL, JF_ERR_NOMEM, JF_ERR_CRYPTO. */
jf_err jf_wxcrypt_encrypt(const jf_wxcrypt_key *key, const uint8_t *random, const char *msg,
                          size_t len, const char *receive_id, jf_buf *out) JF_WUR;

/* Most digits of a timestamp: 18 always fit an int64_t. */
#define JF_WXCRYPT_MAX_DIGITS 18

/* jf_wxcrypt_timestamp - parse a provider timestamp: 1 to JF_WXCRYPT_MAX_DIGITS ASCII
 * digits, no sign or space. Values from 10^11 up are taken as milliseconds (DingTalk) and
 * divided by 1000; smaller ones are seconds (WeCom, WeChat): 10^11 seconds is beyond the year
 * 5000. JF_ERR_PARSE otherwise. */
jf_err jf_wxcrypt_timestamp(const char *s, int64_t *seconds) JF_WUR;

/* jf_wxcrypt_fresh - JF_ERR_OK when timestamp s is within max_skew seconds of now either
 * way; JF_ERR_RANGE when it is not (a stale or replayed request); JF_ERR_PARSE when s is
 * not a timestamp. */
jf_err jf_wxcrypt_fresh(const char *s, int64_t now, int64_t max_skew) JF_WUR;

/* jf_wxcrypt_nonce - out receives JF_WXCRYPT_NONCE_LEN random alphanumeric characters and
 * a NUL. JF_ERR_CRYPTO when the random generator fails. */
jf_err jf_wxcrypt_nonce(char out[JF_WXCRYPT_NONCE_LEN + 1]) JF_WUR;

#endif
