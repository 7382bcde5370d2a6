/* password.c - PBKDF2-HMAC-SHA256 password hashes. */
#include "password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/crypto.h"

#define SALT_LEN 16
#define HASH_LEN 32

jf_err jf_gateway_password_hash(const char *password, char out[JF_PASSWORD_HASH_MAX])
{
    uint8_t salt[SALT_LEN], hash[HASH_LEN];
    char salt64[32], hash64[64];
    jf_err err = jf_crypto_random(salt, sizeof salt);
    if (err)
        goto out;
    err = jf_crypto_pbkdf2_sha256(password, strlen(password), salt, sizeof salt,
                                  JF_PASSWORD_ITERATIONS, hash, sizeof hash);
    if (err)
        goto out;
    err = jf_crypto_base64_encode(salt, sizeof salt, salt64, sizeof salt64, NULL);
    if (err)
        goto out;
    err = jf_crypto_base64_encode(hash, sizeof hash, hash64, sizeof hash64, NULL);
    if (err)
        goto out;
    snprintf(out, JF_PASSWORD_HASH_MAX, "pbkdf2-sha256$%d$%s$%s", JF_PASSWORD_ITERATIONS,
             salt64, hash64);
out:
    jf_crypto_zeroize(hash, sizeof hash);
    jf_crypto_zeroize(hash64, sizeof hash64);
    return err;
}

bool jf_gateway_password_verify(const char *password, const char *stored)
{
    static const char prefix[] = "pbkdf2-sha256$";
    bool ok = false;
    uint8_t salt[64], want[64], got[64];
    size_t saltlen = 0, wantlen = 0;
    char iters[16];
    unsigned iterations = 0;

    if (strncmp(stored, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *p = stored + sizeof prefix - 1;
    const char *d1 = strchr(p, '$');
    const char *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
    if (!d1 || !d2 || (size_t)(d1 - p) >= sizeof iters)
        return false;
    memcpy(iters, p, (size_t)(d1 - p));
    iters[d1 - p] = '\0';
    if (jf_config_parse_uint(iters, 1000, 100000000, &iterations))
        return false;
    if (jf_crypto_base64_decode(d1 + 1, (size_t)(d2 - d1 - 1), salt, sizeof salt, &saltlen))
        return false;
    if (jf_crypto_base64_decode(d2 + 1, strlen(d2 + 1), want, sizeof want, &wantlen) ||
        wantlen == 0)
        return false;
    if (jf_crypto_pbkdf2_sha256(password, strlen(password), salt, saltlen, iterations, got,
                                wantlen))
        goto out;
    ok = jf_crypto_equal(got, want, wantlen);
out:
    jf_crypto_zeroize(got, sizeof got);
    return ok;
}
