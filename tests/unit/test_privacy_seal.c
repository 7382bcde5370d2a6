/* test_privacy_seal.c - reporter keys (normalisation, keyed pseudonyms) and sealed reply
 * addresses (round trip, tamper resistance, binding to reporter and key id, rotation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/crypto.h"
#include "privacy/keyring.h"
#include "privacy/pseudonym.h"
#include "privacy/seal.h"

/* Base64 of 32 bytes 0x00..0x1f, 0x20..0x3f, 0x40..0x5f. */
#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define KEY_C "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="

#define HDR "jianfu-keyfile 1\n"

typedef struct {
    char dir[64];
    jf_keyring *kr;      /* pseudonym A, seal s1 = B */
    jf_keyring *other;   /* pseudonym C, seal s1 = B: same seal key, other pseudonym key */
    jf_keyring *rotated; /* pseudonym A, seal s1 = B, s2 = C (active) */
    jf_keyring *twins;   /* pseudonym A, seal s1 = B and s2 = B: only the id differs */
} fixture;

static jf_keyring *load(fixture *f, const char *name, const char *content)
{
    char path[256];
    char err[256];
    jf_keyring *kr = NULL;
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    if (!fp)
        return NULL;
    fputs(content, fp);
    fclose(fp);
    if (chmod(path, 0600) != 0 || jf_privacy_keyring_load(path, &kr, err, sizeof err) != 0) {
        fprintf(stderr, "cannot load %s: %s\n", path, err);
        kr = NULL;
    }
    unlink(path);
    return kr;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/jf-seal-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    f->kr = load(f, "kr", HDR "pseudonym p1 " KEY_A "\nseal s1 " KEY_B "\n");
    f->other = load(f, "other", HDR "pseudonym p1 " KEY_C "\nseal s1 " KEY_B "\n");
    f->rotated = load(f, "rotated",
                      HDR "pseudonym p1 " KEY_A "\nseal s1 " KEY_B "\nseal s2 " KEY_C "\n");
    f->twins =
        load(f, "twins", HDR "pseudonym p1 " KEY_A "\nseal s1 " KEY_B "\nseal s2 " KEY_B "\n");
    rmdir(f->dir);
    *state = f;
    return f->kr && f->other && f->rotated && f->twins ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    jf_privacy_keyring_free(f->kr);
    jf_privacy_keyring_free(f->other);
    jf_privacy_keyring_free(f->rotated);
    jf_privacy_keyring_free(f->twins);
    free(f);
    return 0;
}

static void expect_norm(const char *kind, const char *addr, const char *want)
{
    char out[JF_ADDRESS_MAX + 8];
    jf_err rc = jf_privacy_normalise_address(kind, addr, out, sizeof out);
    if (rc != JF_ERR_OK || strcmp(out, want) != 0)
        print_error("%s '%s': rc %d, got '%s', want '%s'\n", kind, addr, rc, out, want);
    assert_int_equal(rc, JF_ERR_OK);
    assert_string_equal(out, want);
}

static void expect_norm_err(const char *kind, const char *addr, jf_err want)
{
    char out[JF_ADDRESS_MAX + 8];
    assert_int_equal(jf_privacy_normalise_address(kind, addr, out, sizeof out), want);
}

static void test_normalise_mainland_mobile(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "+8613800138000",
        "008613800138000",
        "8613800138000",
        "13800138000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "(+86) 138.0013.8000",
        "0086 138 0013 8000",
        " 13800138000\r\n",
        "１３８００１３８０００",
        "＋８６１３８００１３８０００",
        "＋８６　１３８－００１３－８０００",
        "（＋８６）１３８．００１３．８０００",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        expect_norm("sms", forms[i], "+8613800138000");
        expect_norm("twilio", forms[i], "+8613800138000");
        expect_norm("aliyun", forms[i], "+8613800138000");
    }
    expect_norm("kannel", "+86 199 1234 5678", "+8619912345678");
    expect_norm("tencent", "17712345678", "+8617712345678");
}

static void test_normalise_other_numbers(void **state)
{
    (void)state;
    /* Not mainland mobiles: digits and a leading plus only. */
    expect_norm("sms", "+1 (415) 555-0100", "+14155550100");
    expect_norm("sms", "12345678901", "12345678901");        /* 12 is no mobile prefix */
    expect_norm("sms", "+86 10 8888 8888", "+861088888888"); /* a Beijing landline */
    expect_norm("sms", "10086", "10086");
    expect_norm("sms", "138001380001", "138001380001"); /* 12 digits */
    expect_norm("sms", "+12 13800138000", "+1213800138000");

    expect_norm_err("sms", "", JF_ERR_INVAL);
    expect_norm_err("sms", "   ", JF_ERR_INVAL);
    expect_norm_err("sms", "+", JF_ERR_INVAL);
    expect_norm_err("sms", "SENDER", JF_ERR_INVAL);
    expect_norm_err("sms", "tel:13800138000", JF_ERR_INVAL);
    expect_norm_err("sms", "138+0013", JF_ERR_INVAL);
    expect_norm_err("sms", "++8613800138000", JF_ERR_INVAL);
    expect_norm_err("sms", "13800138000\xff", JF_ERR_INVAL);
}

static void test_normalise_other_kinds_and_bounds(void **state)
{
    (void)state;
    /* Chat ids are opaque: only surrounding white space goes, case and inner spaces stay. */
    expect_norm("wecom", "  oUser_Abc-12 \n", "oUser_Abc-12");
    expect_norm("wechat", "a b", "a b");
    expect_norm("wecom", "13800138000", "13800138000");
    expect_norm_err("wecom", " \t ", JF_ERR_INVAL);

    /* Kinds are plain identifiers, so kind ":" address cannot be read two ways. */
    expect_norm_err("", "13800138000", JF_ERR_INVAL);
    expect_norm_err("sm:s", "13800138000", JF_ERR_INVAL);
    expect_norm_err("we com", "x", JF_ERR_INVAL);
    expect_norm_err("abcdefghijklmnopqrstuvwxyz0123456", "x", JF_ERR_INVAL); /* 33 chars */

    char out[32];
    assert_int_equal(jf_privacy_normalise_address(NULL, "x", out, sizeof out), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_normalise_address("sms", NULL, out, sizeof out), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_normalise_address("sms", "1", NULL, 0), JF_ERR_INVAL);
    /* "+8613800138000" needs 15 bytes with its NUL. */
    assert_int_equal(jf_privacy_normalise_address("sms", "13800138000", out, 14),
                     JF_ERR_TOOBIG);
    assert_int_equal(jf_privacy_normalise_address("sms", "13800138000", out, 15), JF_ERR_OK);
    assert_string_equal(out, "+8613800138000");

    /* Addresses are bounded by JF_ADDRESS_MAX bytes. */
    char big[JF_ADDRESS_MAX + 2];
    char norm[JF_ADDRESS_MAX + 2];
    memset(big, 'a', JF_ADDRESS_MAX);
    big[JF_ADDRESS_MAX] = '\0';
    assert_int_equal(jf_privacy_normalise_address("wecom", big, norm, sizeof norm), JF_ERR_OK);
    assert_string_equal(norm, big);
    big[JF_ADDRESS_MAX] = 'a';
    big[JF_ADDRESS_MAX + 1] = '\0';
    assert_int_equal(jf_privacy_normalise_address("wecom", big, norm, sizeof norm),
                     JF_ERR_TOOBIG);
}

static void test_reporter_key(void **state)
{
    fixture *f = *state;
    uint8_t a[JF_REPORTER_KEY_LEN], b[JF_REPORTER_KEY_LEN], want[JF_REPORTER_KEY_LEN];

    /* The documented construction, HMAC-SHA256(pseudonym key, kind ":" normalised). */
    const jf_key *pk = jf_privacy_keyring_pseudonym(f->kr);
    const char *msg = "twilio:+8613800138000";
    assert_int_equal(jf_crypto_hmac_sha256(pk->key, JF_KEY_LEN, msg, strlen(msg), want), 0);
    assert_int_equal(jf_privacy_reporter_key(f->kr, "twilio", "+8613800138000", a), JF_ERR_OK);
    assert_memory_equal(a, want, sizeof a);

    /* Stable across calls and across every way of writing the same number. */
    static const char *const forms[] = {"+8613800138000",  "13800138000",
                                        "008613800138000", "8613800138000",
                                        "138 0013 8000",   "１３８００１３８０００"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        assert_int_equal(jf_privacy_reporter_key(f->kr, "twilio", forms[i], b), JF_ERR_OK);
        assert_memory_equal(a, b, sizeof a);
    }

    /* Depends on the pseudonym key, the kind and the number. */
    assert_int_equal(jf_privacy_reporter_key(f->other, "twilio", "+8613800138000", b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(jf_privacy_reporter_key(f->kr, "sms", "+8613800138000", b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(jf_privacy_reporter_key(f->kr, "twilio", "+8613800138001", b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(jf_privacy_reporter_key(f->kr, "wecom", "+8613800138000", b), 0);
    assert_memory_not_equal(a, b, sizeof a);

    /* Not a plain hash of the number. */
    uint8_t h[JF_SHA256_LEN];
    assert_int_equal(jf_crypto_sha256(msg, strlen(msg), h), 0);
    assert_memory_not_equal(a, h, sizeof a);

    assert_int_equal(jf_privacy_reporter_key(f->kr, "twilio", "", b), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_reporter_key(NULL, "twilio", "13800138000", b), JF_ERR_INVAL);
}

/* The reporter key used by the seal tests. */
static void rk_of(const fixture *f, const char *addr, uint8_t rk[JF_REPORTER_KEY_LEN])
{
    assert_int_equal(jf_privacy_reporter_key(f->kr, "twilio", addr, rk), JF_ERR_OK);
}

static bool contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static void expect_opens(const jf_keyring *kr, const uint8_t *rk, const jf_sealed *s,
                         const char *want)
{
    char *addr = NULL;
    size_t len = 0;
    assert_int_equal(jf_privacy_open(kr, rk, s->key_id, s->blob, s->len, &addr, &len),
                     JF_ERR_OK);
    assert_non_null(addr);
    assert_int_equal(len, strlen(want));
    assert_string_equal(addr, want);
    jf_crypto_zeroize(addr, len);
    free(addr);
}

static void expect_open_fails(const jf_keyring *kr, const uint8_t *rk, const char *key_id,
                              const uint8_t *blob, size_t len, jf_err want)
{
    char *addr = (char *)&addr;
    size_t alen = 99;
    assert_int_equal(jf_privacy_open(kr, rk, key_id, blob, len, &addr, &alen), want);
    assert_null(addr);
    assert_int_equal(alen, 0);
}

static void test_seal_round_trip(void **state)
{
    fixture *f = *state;
    const char *addr = "+8613800138000";
    uint8_t rk[JF_REPORTER_KEY_LEN];
    jf_sealed s, t;
    rk_of(f, addr, rk);

    assert_int_equal(jf_privacy_seal(f->kr, rk, addr, strlen(addr), &s), JF_ERR_OK);
    assert_string_equal(s.key_id, "s1");
    assert_int_equal(s.len, JF_GCM_NONCE_LEN + strlen(addr) + JF_GCM_TAG_LEN);
    /* The address does not appear in the blob. */
    assert_false(contains(s.blob, s.len, "13800138000"));
    expect_opens(f->kr, rk, &s, addr);

    /* The documented layout: nonce || ciphertext || tag, AAD "jianfu-seal-v1" || rk || id. */
    uint8_t aad[14 + JF_REPORTER_KEY_LEN + 2];
    uint8_t pt[64];
    memcpy(aad, "jianfu-seal-v1", 14);
    memcpy(aad + 14, rk, JF_REPORTER_KEY_LEN);
    memcpy(aad + 14 + JF_REPORTER_KEY_LEN, "s1", 2);
    size_t n = s.len - JF_GCM_NONCE_LEN - JF_GCM_TAG_LEN;
    assert_int_equal(jf_crypto_gcm_open(jf_privacy_keyring_seal_find(f->kr, "s1")->key, s.blob,
                                        aad, sizeof aad, s.blob + JF_GCM_NONCE_LEN, n,
                                        s.blob + JF_GCM_NONCE_LEN + n, pt),
                     JF_ERR_OK);
    assert_memory_equal(pt, addr, n);

    /* A fresh random nonce each time: sealing twice gives different blobs. */
    assert_int_equal(jf_privacy_seal(f->kr, rk, addr, strlen(addr), &t), JF_ERR_OK);
    assert_memory_not_equal(s.blob, t.blob, JF_GCM_NONCE_LEN);
    assert_memory_not_equal(s.blob + JF_GCM_NONCE_LEN, t.blob + JF_GCM_NONCE_LEN, n);
    expect_opens(f->kr, rk, &t, addr);

    /* The longest allowed address, and a one-byte one. */
    char longest[JF_ADDRESS_MAX + 1];
    memset(longest, 'w', JF_ADDRESS_MAX);
    longest[JF_ADDRESS_MAX] = '\0';
    jf_privacy_sealed_free(&t);
    assert_int_equal(jf_privacy_seal(f->kr, rk, longest, JF_ADDRESS_MAX, &t), JF_ERR_OK);
    expect_opens(f->kr, rk, &t, longest);
    jf_privacy_sealed_free(&t);
    assert_int_equal(jf_privacy_seal(f->kr, rk, "x", 1, &t), JF_ERR_OK);
    expect_opens(f->kr, rk, &t, "x");

    /* Freeing wipes the struct and may be repeated. */
    jf_privacy_sealed_free(&t);
    assert_null(t.blob);
    assert_int_equal(t.len, 0);
    assert_string_equal(t.key_id, "");
    jf_privacy_sealed_free(&t);
    jf_privacy_sealed_free(NULL);
    jf_privacy_sealed_free(&s);
}

static void test_open_rejects_tampering(void **state)
{
    fixture *f = *state;
    const char *addr = "+8613800138000";
    uint8_t rk[JF_REPORTER_KEY_LEN];
    jf_sealed s;
    rk_of(f, addr, rk);
    assert_int_equal(jf_privacy_seal(f->kr, rk, addr, strlen(addr), &s), JF_ERR_OK);

    uint8_t *copy = malloc(s.len);
    assert_non_null(copy);
    /* One flipped bit anywhere (nonce, ciphertext, tag) is caught. */
    for (size_t i = 0; i < s.len; i++) {
        memcpy(copy, s.blob, s.len);
        copy[i] ^= 0x01;
        expect_open_fails(f->kr, rk, "s1", copy, s.len, JF_ERR_AUTH);
    }
    /* Named regions, for the record: nonce, ciphertext, tag. */
    size_t tag = s.len - JF_GCM_TAG_LEN;
    size_t where[] = {0, JF_GCM_NONCE_LEN - 1, JF_GCM_NONCE_LEN, tag - 1, tag, s.len - 1};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        memcpy(copy, s.blob, s.len);
        copy[where[i]] ^= 0x80;
        expect_open_fails(f->kr, rk, "s1", copy, s.len, JF_ERR_AUTH);
    }
    /* Truncated or extended by a byte: the tag no longer lines up. */
    expect_open_fails(f->kr, rk, "s1", s.blob, s.len - 1, JF_ERR_AUTH);
    uint8_t *longer = calloc(1, s.len + 1);
    assert_non_null(longer);
    memcpy(longer, s.blob, s.len);
    expect_open_fails(f->kr, rk, "s1", longer, s.len + 1, JF_ERR_AUTH);
    free(longer);
    free(copy);

    /* The untampered blob still opens. */
    expect_opens(f->kr, rk, &s, addr);
    jf_privacy_sealed_free(&s);
}

static void test_open_binds_reporter_and_key_id(void **state)
{
    fixture *f = *state;
    const char *addr = "+8613800138000";
    uint8_t rk[JF_REPORTER_KEY_LEN], rk2[JF_REPORTER_KEY_LEN];
    jf_sealed s;
    rk_of(f, addr, rk);
    rk_of(f, "+8613900139000", rk2);

    /* Copied onto another reporter's complaint: does not open. */
    assert_int_equal(jf_privacy_seal(f->twins, rk, addr, strlen(addr), &s), JF_ERR_OK);
    assert_string_equal(s.key_id, "s2");
    expect_open_fails(f->twins, rk2, "s2", s.blob, s.len, JF_ERR_AUTH);
    uint8_t flipped[JF_REPORTER_KEY_LEN];
    memcpy(flipped, rk, sizeof flipped);
    flipped[JF_REPORTER_KEY_LEN - 1] ^= 1;
    expect_open_fails(f->twins, flipped, "s2", s.blob, s.len, JF_ERR_AUTH);

    /* Relabelled with another key id: fails even though s1 and s2 hold the same key,
     * because the id is authenticated. */
    expect_open_fails(f->twins, rk, "s1", s.blob, s.len, JF_ERR_AUTH);
    /* An id the keyring does not have. */
    expect_open_fails(f->twins, rk, "s3", s.blob, s.len, JF_ERR_NOTFOUND);
    expect_open_fails(f->twins, rk, "", s.blob, s.len, JF_ERR_NOTFOUND);
    expect_open_fails(f->twins, rk, "s2-and-a-very-long-id", s.blob, s.len, JF_ERR_NOTFOUND);
    /* Another keyring with the same id but a different key under it. */
    expect_open_fails(f->rotated, rk, "s2", s.blob, s.len, JF_ERR_AUTH);

    expect_opens(f->twins, rk, &s, addr);
    jf_privacy_sealed_free(&s);
}

static void test_open_rejects_short_and_long_blobs(void **state)
{
    fixture *f = *state;
    uint8_t rk[JF_REPORTER_KEY_LEN];
    uint8_t blob[JF_GCM_NONCE_LEN + JF_ADDRESS_MAX + JF_GCM_TAG_LEN + 1] = {0};
    rk_of(f, "13800138000", rk);

    static const size_t short_lens[] = {0, 1, JF_GCM_NONCE_LEN,
                                        JF_GCM_NONCE_LEN + JF_GCM_TAG_LEN};
    for (size_t i = 0; i < sizeof short_lens / sizeof short_lens[0]; i++)
        expect_open_fails(f->kr, rk, "s1", blob, short_lens[i], JF_ERR_PARSE);
    expect_open_fails(f->kr, rk, "s1", NULL, 0, JF_ERR_PARSE);
    expect_open_fails(f->kr, rk, "s1", blob, sizeof blob, JF_ERR_PARSE);
    /* The smallest well-formed length is judged by its tag. */
    expect_open_fails(f->kr, rk, "s1", blob, JF_GCM_NONCE_LEN + 1 + JF_GCM_TAG_LEN,
                      JF_ERR_AUTH);

    char *addr = NULL;
    size_t len = 0;
    assert_int_equal(jf_privacy_open(f->kr, rk, NULL, blob, 40, &addr, &len), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_open(NULL, rk, "s1", blob, 40, &addr, &len), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_open(f->kr, rk, "s1", blob, 40, NULL, &len), JF_ERR_INVAL);
}

static void test_seal_rejects_bad_input(void **state)
{
    fixture *f = *state;
    uint8_t rk[JF_REPORTER_KEY_LEN];
    jf_sealed s;
    char big[JF_ADDRESS_MAX + 1];
    rk_of(f, "13800138000", rk);
    memset(big, '1', sizeof big);

    assert_int_equal(jf_privacy_seal(f->kr, rk, "", 0, &s), JF_ERR_INVAL);
    assert_null(s.blob);
    assert_int_equal(jf_privacy_seal(f->kr, rk, big, sizeof big, &s), JF_ERR_TOOBIG);
    assert_null(s.blob);
    assert_int_equal(jf_privacy_seal(f->kr, rk,
                                     "138\0"
                                     "00",
                                     6, &s),
                     JF_ERR_INVAL);
    assert_int_equal(jf_privacy_seal(NULL, rk, "1", 1, &s), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_seal(f->kr, NULL, "1", 1, &s), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_seal(f->kr, rk, NULL, 1, &s), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_seal(f->kr, rk, "1", 1, NULL), JF_ERR_INVAL);
    /* A failed seal leaves a struct that is safe to free. */
    jf_privacy_sealed_free(&s);
}

static void test_rotation(void **state)
{
    fixture *f = *state;
    const char *addr = "+8613800138000";
    uint8_t rk[JF_REPORTER_KEY_LEN];
    jf_sealed old, cur;
    rk_of(f, addr, rk);

    /* Sealed before the rotation, under s1. */
    assert_int_equal(jf_privacy_seal(f->kr, rk, addr, strlen(addr), &old), JF_ERR_OK);
    assert_string_equal(old.key_id, "s1");

    /* After appending s2 to the file, new seals use s2 and old blobs still open. */
    assert_int_equal(jf_privacy_seal(f->rotated, rk, addr, strlen(addr), &cur), JF_ERR_OK);
    assert_string_equal(cur.key_id, "s2");
    expect_opens(f->rotated, rk, &old, addr);
    expect_opens(f->rotated, rk, &cur, addr);
    /* A process still on the old key file cannot open what the new key sealed. */
    expect_open_fails(f->kr, rk, "s2", cur.blob, cur.len, JF_ERR_NOTFOUND);

    jf_privacy_sealed_free(&old);
    jf_privacy_sealed_free(&cur);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise_mainland_mobile),
        cmocka_unit_test(test_normalise_other_numbers),
        cmocka_unit_test(test_normalise_other_kinds_and_bounds),
        cmocka_unit_test(test_reporter_key),
        cmocka_unit_test(test_seal_round_trip),
        cmocka_unit_test(test_open_rejects_tampering),
        cmocka_unit_test(test_open_binds_reporter_and_key_id),
        cmocka_unit_test(test_open_rejects_short_and_long_blobs),
        cmocka_unit_test(test_seal_rejects_bad_input),
        cmocka_unit_test(test_rotation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
