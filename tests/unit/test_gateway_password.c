/* test_gateway_password.c - password hashes: format, per-user salt, verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/password.h"

static void test_hash_and_verify(void **state)
{
    (void)state;
    char a[JF_PASSWORD_HASH_MAX], b[JF_PASSWORD_HASH_MAX];
    assert_int_equal(jf_gateway_password_hash("correct horse battery", a), JF_ERR_OK);
    assert_int_equal(jf_gateway_password_hash("correct horse battery", b), JF_ERR_OK);
    assert_true(strncmp(a, "pbkdf2-sha256$600000$", 21) == 0);
    /* The same password hashes differently for two users: the salt is random. */
    assert_string_not_equal(a, b);
    assert_true(jf_gateway_password_verify("correct horse battery", a));
    assert_true(jf_gateway_password_verify("correct horse battery", b));
    assert_false(jf_gateway_password_verify("correct horse batterz", a));
    assert_false(jf_gateway_password_verify("", a));
}

static void test_malformed_stored(void **state)
{
    (void)state;
    assert_false(jf_gateway_password_verify("x", ""));
    assert_false(jf_gateway_password_verify("x", "md5$abc"));
    assert_false(jf_gateway_password_verify("x", "pbkdf2-sha256$10$AAAA$AAAA"));
    assert_false(jf_gateway_password_verify("x", "pbkdf2-sha256$600000$!!$AAAA"));
    assert_false(jf_gateway_password_verify("x", "pbkdf2-sha256$600000$AAAA"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_verify),
        cmocka_unit_test(test_malformed_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
