/* test_core.c - core/: bounded buffers, RFC 3339 and CST dates, crypto wrappers against
 * published vectors (RFC 2202, RFC 4231, RFC 7914 section 11), log masking, config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
    jf_crypto_hex_encode(p, n, out);
}

static void test_buf_bounded(void **state)
{
    (void)state;
    jf_buf b;
    jf_buf_init(&b, 8);
    assert_int_equal(jf_buf_append(&b, "abcd", 4), JF_ERR_OK);
    assert_int_equal(jf_buf_appendf(&b, "%d", 123), JF_ERR_OK);
    assert_string_equal(b.data, "abcd123");
    /* One more byte fits exactly; the next is refused and leaves the contents alone. */
    assert_int_equal(jf_buf_appends(&b, "x"), JF_ERR_OK);
    assert_int_equal(jf_buf_appends(&b, "y"), JF_ERR_TOOBIG);
    assert_int_equal(jf_buf_appendf(&b, "%s", "zz"), JF_ERR_TOOBIG);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "abcd123x");
    assert_true(b.cap <= 9);
    jf_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    char *s = jf_buf_steal(&b);
    assert_string_equal(s, "");
    free(s);
    jf_buf_free(&b);
    /* A huge length must not overflow the bound check. */
    assert_int_equal(jf_buf_append(&b, "", SIZE_MAX), JF_ERR_TOOBIG);
    jf_buf_free(&b);
}

static void test_clock_rfc3339(void **state)
{
    (void)state;
    int64_t t = 0;
    char out[JF_RFC3339_LEN];
    assert_int_equal(jf_clock_parse_rfc3339("2026-10-13T23:59:59+08:00", &t), JF_ERR_OK);
    assert_int_equal(t, 1791907199);
    jf_clock_format_cst(t, out);
    assert_string_equal(out, "2026-10-13T23:59:59+08:00");
    assert_int_equal(jf_clock_parse_rfc3339("2026-10-13T15:59:59Z", &t), JF_ERR_OK);
    jf_clock_format_cst(t, out);
    assert_string_equal(out, "2026-10-13T23:59:59+08:00");
    assert_int_equal(jf_clock_parse_rfc3339("2026-10-13T10:59:59.123-05:00", &t), JF_ERR_OK);
    jf_clock_format_cst(t, out);
    assert_string_equal(out, "2026-10-13T23:59:59+08:00");
    /* Malformed or impossible. */
    const char *bad[] = {"2026-10-13", "2026-10-13T23:59:59", "2026-02-29T00:00:00Z",
                         "2026-13-01T00:00:00Z", "2026-10-13T24:00:00Z", "2026-10-13T23:59:59+0800",
                         "2026-10-13T23:59:59Zjunk", "", "20261013T000000Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(jf_clock_parse_rfc3339(bad[i], &t), JF_ERR_PARSE);
    assert_int_equal(jf_clock_parse_rfc3339("2024-02-29T00:00:00Z", &t), JF_ERR_OK);
}

static void test_clock_days(void **state)
{
    (void)state;
    jf_date d = {1970, 1, 1};
    assert_int_equal(jf_clock_days_from_civil(d), 0);
    assert_int_equal(jf_clock_weekday(0), 4); /* Thursday */
    jf_date d2 = {2026, 10, 1};
    int64_t n = jf_clock_days_from_civil(d2);
    assert_int_equal(jf_clock_weekday(n), 4); /* 2026-10-01 is a Thursday */
    jf_date back = jf_clock_civil_from_days(n);
    assert_int_equal(back.y, 2026);
    assert_int_equal(back.m, 10);
    assert_int_equal(back.d, 1);
    /* 16:00Z is already the next day in China. */
    int64_t t = 0;
    assert_int_equal(jf_clock_parse_rfc3339("2026-09-30T16:00:00Z", &t), JF_ERR_OK);
    assert_int_equal(jf_clock_cst_day(t), n);
    assert_int_equal(jf_clock_parse_rfc3339("2026-09-30T15:59:59Z", &t), JF_ERR_OK);
    assert_int_equal(jf_clock_cst_day(t), n - 1);
    char out[JF_RFC3339_LEN];
    jf_clock_format_cst(jf_clock_cst_end_of_day(n), out);
    assert_string_equal(out, "2026-10-01T23:59:59+08:00");
}

static void test_hmac_vectors(void **state)
{
    (void)state;
    uint8_t mac[32];
    char h[65];
    /* RFC 2202 test case 2 and RFC 4231 test case 2: key "Jefe". */
    const char *data = "what do ya want for nothing?";
    assert_int_equal(jf_crypto_hmac_sha1("Jefe", 4, data, strlen(data), mac), JF_ERR_OK);
    hex(mac, 20, h);
    assert_string_equal(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    assert_int_equal(jf_crypto_hmac_sha256("Jefe", 4, data, strlen(data), mac), JF_ERR_OK);
    hex(mac, 32, h);
    assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_pbkdf2_vectors(void **state)
{
    (void)state;
    uint8_t dk[32];
    char h[65];
    /* PBKDF2-HMAC-SHA256 vectors as published with RFC 7914 section 11's companions. */
    assert_int_equal(jf_crypto_pbkdf2_sha256("password", 8, "salt", 4, 1, dk, 32), JF_ERR_OK);
    hex(dk, 32, h);
    assert_string_equal(h, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
    assert_int_equal(jf_crypto_pbkdf2_sha256("password", 8, "salt", 4, 4096, dk, 32), JF_ERR_OK);
    hex(dk, 32, h);
    assert_string_equal(h, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

static void test_gcm(void **state)
{
    (void)state;
    uint8_t key[32], nonce[12], tag[16], ct[5], pt[5];
    assert_int_equal(jf_crypto_random(key, sizeof key), JF_ERR_OK);
    assert_int_equal(jf_crypto_random(nonce, sizeof nonce), JF_ERR_OK);
    assert_int_equal(jf_crypto_gcm_seal(key, nonce, "aad", 3, "hello", 5, ct, tag), JF_ERR_OK);
    assert_memory_not_equal(ct, "hello", 5);
    assert_int_equal(jf_crypto_gcm_open(key, nonce, "aad", 3, ct, 5, tag, pt), JF_ERR_OK);
    assert_memory_equal(pt, "hello", 5);
    assert_int_equal(jf_crypto_gcm_open(key, nonce, "aaX", 3, ct, 5, tag, pt), JF_ERR_AUTH);
    ct[0] ^= 1;
    assert_int_equal(jf_crypto_gcm_open(key, nonce, "aad", 3, ct, 5, tag, pt), JF_ERR_AUTH);
}

static void test_random_and_equal(void **state)
{
    (void)state;
    uint8_t a[32] = {0}, b[32] = {0};
    assert_int_equal(jf_crypto_random(a, sizeof a), JF_ERR_OK);
    assert_int_equal(jf_crypto_random(b, sizeof b), JF_ERR_OK);
    assert_false(jf_crypto_equal(a, b, sizeof a));
    memcpy(b, a, sizeof a);
    assert_true(jf_crypto_equal(a, b, sizeof a));
    char out[8];
    assert_int_equal(jf_crypto_base64_encode(a, 32, out, sizeof out, NULL), JF_ERR_TOOBIG);
    uint8_t dec[8];
    assert_int_equal(jf_crypto_base64_decode("!!!!", 4, dec, sizeof dec, NULL), JF_ERR_PARSE);
}

static void test_log_mask(void **state)
{
    (void)state;
    char s[] = "from 13800138000 batch=12 id=1234567 x=123456";
    jf_log_mask_digits(s, 7);
    assert_string_equal(s, "from ########### batch=12 id=####### x=123456");
}

static void test_config(void **state)
{
    (void)state;
    unsigned v = 0;
    assert_int_equal(jf_config_parse_uint("42", 1, 100, &v), JF_ERR_OK);
    assert_int_equal(v, 42);
    assert_int_not_equal(jf_config_parse_uint("-1", 0, 100, &v), JF_ERR_OK);
    assert_int_not_equal(jf_config_parse_uint("4x", 0, 100, &v), JF_ERR_OK);
    assert_int_not_equal(jf_config_parse_uint("101", 0, 100, &v), JF_ERR_OK);

    /* Fractions (the triage threshold): the whole string a number in [0, 1]. */
    static const struct {
        const char *s;
        bool ok;
        double want;
    } fractions[] = {
        {"0.5", true, 0.5}, {"0", true, 0.0},   {"1", true, 1.0},   {"1e-3", true, 0.001},
        {"", false, 0},     {" 0.5", false, 0}, {"0.5 ", false, 0}, {"0.5x", false, 0},
        {"-0.1", false, 0}, {"1.01", false, 0}, {"nan", false, 0},  {"inf", false, 0},
        {"half", false, 0}, {"0,5", false, 0},
    };
    for (size_t i = 0; i < sizeof fractions / sizeof fractions[0]; i++) {
        double f = -1;
        jf_err e = jf_config_parse_fraction(fractions[i].s, &f);
        if ((e == JF_ERR_OK) != fractions[i].ok)
            fail_msg("jf_config_parse_fraction(\"%s\") gave %d", fractions[i].s, (int)e);
        assert_true(f == (fractions[i].ok ? fractions[i].want : -1));
    }

    char msg[256];
    jf_config c;
    setenv("JIANFU_LISTEN", "0.0.0.0:9000", 1);
    setenv("JIANFU_SLA", "2,6,20", 1);
    setenv("JIANFU_PUBLIC_URL", "https://jianfu.example.gov.cn/", 1);
    assert_int_equal(jf_config_load(&c, msg, sizeof msg), JF_ERR_OK);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9000);
    assert_int_equal(c.sla_answer, 6);
    assert_string_equal(c.public_url, "https://jianfu.example.gov.cn");
    jf_config_free(&c);

    setenv("JIANFU_SLA", "5,1,20", 1);
    assert_int_equal(jf_config_load(&c, msg, sizeof msg), JF_ERR_CONFIG);
    assert_non_null(strstr(msg, "JIANFU_SLA"));
    unsetenv("JIANFU_SLA");
    setenv("JIANFU_LISTEN", "8080", 1);
    assert_int_equal(jf_config_load(&c, msg, sizeof msg), JF_ERR_CONFIG);
    assert_non_null(strstr(msg, "JIANFU_LISTEN"));
    unsetenv("JIANFU_LISTEN");
    setenv("JIANFU_PUBLIC_URL", "jianfu.example.gov.cn", 1);
    assert_int_equal(jf_config_load(&c, msg, sizeof msg), JF_ERR_CONFIG);
    unsetenv("JIANFU_PUBLIC_URL");
    setenv("JIANFU_TRIAGE_THRESHOLD", "0.7", 1);
    assert_int_equal(jf_config_load(&c, msg, sizeof msg), JF_ERR_OK);
    assert_true(c.triage_threshold == 0.7);
    jf_config_free(&c);
    setenv("JIANFU_TRIAGE_THRESHOLD", "70%", 1);
    assert_int_equal(jf_config_load(&c, msg, sizeof msg), JF_ERR_CONFIG);
    assert_string_equal(msg, JF_CONFIG_THRESHOLD_HINT);
    unsetenv("JIANFU_TRIAGE_THRESHOLD");
    setenv("JIANFU_MAX_CONNECTIONS", "lots", 1);
    assert_int_equal(jf_config_load(&c, msg, sizeof msg), JF_ERR_CONFIG);
    assert_non_null(strstr(msg, "JIANFU_MAX_CONNECTIONS"));
    unsetenv("JIANFU_MAX_CONNECTIONS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_bounded),     cmocka_unit_test(test_clock_rfc3339),
        cmocka_unit_test(test_clock_days),      cmocka_unit_test(test_hmac_vectors),
        cmocka_unit_test(test_pbkdf2_vectors),  cmocka_unit_test(test_gcm),
        cmocka_unit_test(test_random_and_equal), cmocka_unit_test(test_log_mask),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
