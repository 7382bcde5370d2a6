/* password.h - password hashing for inbox users: PBKDF2-HMAC-SHA256.
 *
 * Stored form: "pbkdf2-sha256$<iterations>$<base64 salt>$<base64 hash>", 16-byte random
 * salt per user, 32-byte hash, JF_PASSWORD_ITERATIONS iterations (OWASP's 2023 figure
 * for PBKDF2-HMAC-SHA256). Thread-safe.
 */
#ifndef JF_GATEWAY_PASSWORD_H
#define JF_GATEWAY_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define JF_PASSWORD_ITERATIONS 600000
#define JF_PASSWORD_MIN_LEN 10
#define JF_PASSWORD_MAX_LEN 1024
#define JF_PASSWORD_HASH_MAX 160

/* jf_gateway_password_hash - hash password into out (NUL-terminated). */
jf_err jf_gateway_password_hash(const char *password, char out[JF_PASSWORD_HASH_MAX]) JF_WUR;

/* jf_gateway_password_verify - whether password matches the stored form (constant-time
 * comparison of the derived hash). false for a malformed stored form. */
bool jf_gateway_password_verify(const char *password, const char *stored);

#endif
