/* test_webhook_form.c - application/x-www-form-urlencoded decoding (webhook/form.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "webhook/form.h"

/* Parse a NUL-terminated body, asserting the result code; the form is returned for
 * further checks and must be freed by the caller. */
static jf_form parse_str(const char *body, jf_err want)
{
    jf_form f;
    jf_err err = jf_webhook_form_parse(body, strlen(body), &f);
    assert_int_equal(err, want);
    return f;
}

static void expect_parse_error(const char *body, const char *want_why)
{
    jf_form f;
    const char *why = NULL;
    jf_err err = jf_webhook_form_parse_detail(body, strlen(body), &f, &why);
    assert_int_equal(err, JF_ERR_PARSE);
    assert_non_null(why);
    assert_string_equal(why, want_why);
    /* A failed parse leaves nothing behind, and freeing it is still allowed. */
    assert_int_equal(f.n, 0);
    jf_webhook_form_free(&f);
}

static void test_plus_and_percent(void **state)
{
    (void)state;
    jf_form f = parse_str("a=1&b=x+y%21&c=%2b%2B%7e%7E", JF_ERR_OK);
    assert_int_equal(f.n, 3);
    assert_string_equal(f.fields[0].name, "a");
    assert_string_equal(f.fields[0].value, "1");
    assert_string_equal(jf_webhook_form_get(&f, "b"), "x y!");
    /* Escapes decode in either hex case, and an escaped '+' is a plus, not a space. */
    assert_string_equal(jf_webhook_form_get(&f, "c"), "++~~");
    jf_webhook_form_free(&f);
}

static void test_names_are_decoded_too(void **state)
{
    (void)state;
    jf_form f = parse_str("my+name=1&a%5Bb%5D=2", JF_ERR_OK);
    assert_string_equal(jf_webhook_form_get(&f, "my name"), "1");
    assert_string_equal(jf_webhook_form_get(&f, "a[b]"), "2");
    jf_webhook_form_free(&f);
}

static void test_chinese_utf8(void **state)
{
    (void)state;
    /* "减负直通车：会议太多" percent-encoded (upper and lower case hex) and raw. */
    jf_form f = parse_str("Body=%E5%87%8F%e8%b4%9f%E7%9B%B4%E9%80%9A%E8%BD%A6%EF%BC%9A"
                          "%E4%BC%9A%E8%AE%AE%E5%A4%AA%E5%A4%9A&Raw=文山会海",
                          JF_ERR_OK);
    assert_string_equal(jf_webhook_form_get(&f, "Body"), "减负直通车：会议太多");
    assert_string_equal(jf_webhook_form_get(&f, "Raw"), "文山会海");
    jf_webhook_form_free(&f);

    /* A 4-byte character (U+1F600) and the largest code point U+10FFFF. */
    f = parse_str("e=%F0%9F%98%80&max=%F4%8F%BF%BF", JF_ERR_OK);
    assert_string_equal(jf_webhook_form_get(&f, "e"), "\xF0\x9F\x98\x80");
    assert_string_equal(jf_webhook_form_get(&f, "max"), "\xF4\x8F\xBF\xBF");
    jf_webhook_form_free(&f);
}

static void test_invalid_percent_escape(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a=%", "a=%4", "a=%zz", "a=%g1", "a=%1g", "a=1%", "%=1", "a%2=1", "a=%%41", "a=% 1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_parse_error(bad[i], "invalid percent-escape");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a=%FF",          /* never valid */
        "a=%C0%AF",       /* overlong '/' */
        "a=%E0%80%AF",    /* overlong '/' in three bytes */
        "a=%ED%A0%80",    /* UTF-16 surrogate U+D800 */
        "a=%F4%90%80%80", /* above U+10FFFF */
        "a=%E4%B8",       /* truncated */
        "a=%80",          /* lone continuation byte */
        "a=%E4%B8%41",    /* continuation replaced by ASCII */
        "%FF=1",          /* in a name */
        "a=\xFF",         /* raw, not escaped */
        "a=%E4%B8&b=%AD", /* split across fields is still broken in each */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_parse_error(bad[i], "invalid UTF-8 in form data");
}

static void test_nul_rejected(void **state)
{
    (void)state;
    expect_parse_error("a=%00", "NUL byte in form data");
    expect_parse_error("a%00b=1", "NUL byte in form data");
    expect_parse_error("a=x%00y", "NUL byte in form data");

    /* A raw NUL inside the counted body is just as bad. */
    static const char raw[] = "a=x\0y&b=2";
    jf_form f;
    assert_int_equal(jf_webhook_form_parse(raw, sizeof raw - 1, &f), JF_ERR_PARSE);
    jf_webhook_form_free(&f);
}

/* Build "f0=v&f1=v&...", n fields, with extra empty pairs between them. */
static char *many_fields(size_t n, const char *sep)
{
    jf_buf b;
    jf_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(jf_buf_appendf(&b, "%sf%zu=v", i ? sep : "", i), JF_ERR_OK);
    return jf_buf_steal(&b);
}

static void test_field_limit(void **state)
{
    (void)state;
    char *body = many_fields(JF_FORM_MAX_FIELDS, "&");
    jf_form f = parse_str(body, JF_ERR_OK);
    assert_int_equal(f.n, JF_FORM_MAX_FIELDS);
    assert_string_equal(f.fields[JF_FORM_MAX_FIELDS - 1].name, "f127");
    jf_webhook_form_free(&f);
    free(body);

    body = many_fields(JF_FORM_MAX_FIELDS + 1, "&");
    const char *why = NULL;
    assert_int_equal(jf_webhook_form_parse_detail(body, strlen(body), &f, &why), JF_ERR_TOOBIG);
    assert_string_equal(why, "too many form fields");
    assert_int_equal(f.n, 0);
    jf_webhook_form_free(&f);
    free(body);

    /* Empty pairs do not count against the limit. */
    body = many_fields(JF_FORM_MAX_FIELDS, "&&&");
    f = parse_str(body, JF_ERR_OK);
    assert_int_equal(f.n, JF_FORM_MAX_FIELDS);
    jf_webhook_form_free(&f);
    free(body);
}

static void test_length_limit(void **state)
{
    (void)state;
    size_t len = JF_FORM_MAX_LEN + 1;
    char *body = malloc(len);
    assert_non_null(body);
    memset(body, 'a', len);
    body[0] = 'k';
    body[1] = '=';
    jf_form f;
    assert_int_equal(jf_webhook_form_parse(body, len, &f), JF_ERR_TOOBIG);
    jf_webhook_form_free(&f);
    /* Exactly at the limit is fine. */
    assert_int_equal(jf_webhook_form_parse(body, len - 1, &f), JF_ERR_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(strlen(f.fields[0].value), JF_FORM_MAX_LEN - 2);
    jf_webhook_form_free(&f);
    free(body);
}

static void test_empty_pairs_skipped(void **state)
{
    (void)state;
    jf_form f = parse_str("a=1&&b=2", JF_ERR_OK);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.fields[0].name, "a");
    assert_string_equal(f.fields[1].name, "b");
    jf_webhook_form_free(&f);

    f = parse_str("&a=1&", JF_ERR_OK);
    assert_int_equal(f.n, 1);
    jf_webhook_form_free(&f);

    f = parse_str("&&&", JF_ERR_OK);
    assert_int_equal(f.n, 0);
    assert_null(jf_webhook_form_get(&f, "a"));
    jf_webhook_form_free(&f);

    f = parse_str("", JF_ERR_OK);
    assert_int_equal(f.n, 0);
    jf_webhook_form_free(&f);

    assert_int_equal(jf_webhook_form_parse(NULL, 0, &f), JF_ERR_OK);
    assert_int_equal(f.n, 0);
    jf_webhook_form_free(&f);
    assert_int_equal(jf_webhook_form_parse(NULL, 1, &f), JF_ERR_INVAL);
    jf_webhook_form_free(&f);
}

static void test_pair_without_equals(void **state)
{
    (void)state;
    /* A bare name is a field with an empty value; only the first '=' splits. */
    jf_form f = parse_str("flag&a=b=c&empty=", JF_ERR_OK);
    assert_int_equal(f.n, 3);
    assert_string_equal(jf_webhook_form_get(&f, "flag"), "");
    assert_string_equal(jf_webhook_form_get(&f, "a"), "b=c");
    assert_string_equal(jf_webhook_form_get(&f, "empty"), "");
    jf_webhook_form_free(&f);

    /* A field must have a name. */
    expect_parse_error("=x", "form field with an empty name");
    expect_parse_error("a=1&=", "form field with an empty name");
}

static void test_duplicates_keep_order(void **state)
{
    (void)state;
    jf_form f = parse_str("a=first&b=x&a=second", JF_ERR_OK);
    assert_int_equal(f.n, 3);
    assert_string_equal(jf_webhook_form_get(&f, "a"), "first");
    assert_string_equal(f.fields[2].name, "a");
    assert_string_equal(f.fields[2].value, "second");
    /* Lookup is exact and case-sensitive. */
    assert_null(jf_webhook_form_get(&f, "A"));
    assert_null(jf_webhook_form_get(&f, "missing"));
    assert_null(jf_webhook_form_get(NULL, "a"));
    jf_webhook_form_free(&f);
}

static void test_length_is_respected(void **state)
{
    (void)state;
    /* Only len bytes are read: the rest of the buffer is not part of the body. */
    jf_form f;
    assert_int_equal(jf_webhook_form_parse("a=1&b=2", 3, &f), JF_ERR_OK);
    assert_int_equal(f.n, 1);
    assert_string_equal(jf_webhook_form_get(&f, "a"), "1");
    assert_null(jf_webhook_form_get(&f, "b"));
    jf_webhook_form_free(&f);
    /* An escape cut off by len is invalid, even though the bytes after it are hex. */
    assert_int_equal(jf_webhook_form_parse("a=%41", 4, &f), JF_ERR_PARSE);
    jf_webhook_form_free(&f);
}

static void test_free_and_reuse(void **state)
{
    (void)state;
    jf_form f = parse_str("a=1", JF_ERR_OK);
    jf_webhook_form_free(&f);
    assert_null(f.fields);
    assert_int_equal(f.n, 0);
    jf_webhook_form_free(&f); /* twice is harmless */
    jf_webhook_form_free(NULL);
    f = parse_str("b=2", JF_ERR_OK);
    assert_string_equal(jf_webhook_form_get(&f, "b"), "2");
    jf_webhook_form_free(&f);

    /* A failure after some fields were decoded frees them (ASan checks for leaks). */
    f = parse_str("a=1&b=2&c=%zz", JF_ERR_PARSE);
    assert_int_equal(f.n, 0);
    jf_webhook_form_free(&f);
}

static void test_utf8_valid_edges(void **state)
{
    (void)state;
    assert_true(jf_webhook_utf8_valid("", 0));
    assert_true(jf_webhook_utf8_valid("\x7F", 1));
    assert_true(jf_webhook_utf8_valid("\xC2\x80", 2));          /* U+0080 */
    assert_true(jf_webhook_utf8_valid("\xE0\xA0\x80", 3));      /* U+0800 */
    assert_true(jf_webhook_utf8_valid("\xED\x9F\xBF", 3));      /* U+D7FF */
    assert_true(jf_webhook_utf8_valid("\xEE\x80\x80", 3));      /* U+E000 */
    assert_true(jf_webhook_utf8_valid("\xEF\xBF\xBF", 3));      /* U+FFFF */
    assert_true(jf_webhook_utf8_valid("\xF0\x90\x80\x80", 4));  /* U+10000 */
    assert_true(jf_webhook_utf8_valid("\xF4\x8F\xBF\xBF", 4));  /* U+10FFFF */
    assert_false(jf_webhook_utf8_valid("\xC1\xBF", 2));         /* overlong */
    assert_false(jf_webhook_utf8_valid("\xE0\x9F\xBF", 3));     /* overlong */
    assert_false(jf_webhook_utf8_valid("\xF0\x8F\xBF\xBF", 4)); /* overlong */
    assert_false(jf_webhook_utf8_valid("\xED\xBF\xBF", 3));     /* surrogate */
    assert_false(jf_webhook_utf8_valid("\xF5\x80\x80\x80", 4));
    assert_false(jf_webhook_utf8_valid("\xE4\xB8\xAD", 2)); /* cut by n */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plus_and_percent),
        cmocka_unit_test(test_names_are_decoded_too),
        cmocka_unit_test(test_chinese_utf8),
        cmocka_unit_test(test_invalid_percent_escape),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_rejected),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_empty_pairs_skipped),
        cmocka_unit_test(test_pair_without_equals),
        cmocka_unit_test(test_duplicates_keep_order),
        cmocka_unit_test(test_length_is_respected),
        cmocka_unit_test(test_free_and_reuse),
        cmocka_unit_test(test_utf8_valid_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
