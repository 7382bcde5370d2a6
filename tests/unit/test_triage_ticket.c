/* test_triage_ticket.c - random public ticket codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "triage/ticket.h"

#define ALPHABET_LEN (sizeof JF_TICKET_ALPHABET - 1)
#define SAMPLE 10000

static void test_alphabet(void **state)
{
    (void)state;
    /* 8 digits and 23 letters: no 0/O, 1/I/L, which a reporter would misread. */
    assert_int_equal(ALPHABET_LEN, 31);
    assert_int_equal(strlen(JF_TICKET_ALPHABET), 31);
    for (const char *p = "01OIL"; *p; p++)
        assert_null(strchr(JF_TICKET_ALPHABET, *p));
}

static void test_new_is_well_formed(void **state)
{
    char code[JF_TICKET_LEN + 1];
    (void)state;

    for (int i = 0; i < 100; i++) {
        memset(code, 'x', sizeof code);
        assert_int_equal(jf_triage_ticket_new(code), JF_ERR_OK);
        assert_int_equal(strlen(code), JF_TICKET_LEN);
        for (size_t j = 0; j < JF_TICKET_LEN; j++)
            assert_non_null(memchr(JF_TICKET_ALPHABET, code[j], ALPHABET_LEN));
        assert_true(jf_triage_ticket_valid(code));
    }
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(jf_triage_ticket_valid("23456789AB"));
    assert_true(jf_triage_ticket_valid("ZZZZZZZZZZ"));
    assert_true(jf_triage_ticket_valid("HJKMNPQRST"));

    assert_false(jf_triage_ticket_valid(NULL));
    assert_false(jf_triage_ticket_valid(""));
    assert_false(jf_triage_ticket_valid("23456789A"));   /* 9 */
    assert_false(jf_triage_ticket_valid("23456789ABC")); /* 11 */
    assert_false(jf_triage_ticket_valid("23456789ab"));  /* lower case */
    assert_false(jf_triage_ticket_valid("abcdefghjk"));
    assert_false(jf_triage_ticket_valid("0345678 9A"));
    assert_false(jf_triage_ticket_valid("23456789A0"));
    assert_false(jf_triage_ticket_valid("23456789AO"));
    assert_false(jf_triage_ticket_valid("23456789A1"));
    assert_false(jf_triage_ticket_valid("23456789AI"));
    assert_false(jf_triage_ticket_valid("23456789AL"));
    assert_false(jf_triage_ticket_valid("23456789A "));
    assert_false(jf_triage_ticket_valid("23456789A-"));
    assert_false(jf_triage_ticket_valid("23456789A\xc3"));
    assert_false(jf_triage_ticket_valid(" 23456789A"));
    assert_false(jf_triage_ticket_valid("23456789A\n"));
}

/* Codes as people type them: any case, blanks around; nothing else is forgiven. */
static void test_parse(void **state)
{
    char out[JF_TICKET_LEN + 1];
    (void)state;

    assert_true(jf_triage_ticket_parse("23456789AB", out));
    assert_string_equal(out, "23456789AB");
    assert_true(jf_triage_ticket_parse("hjkmnpqrst", out));
    assert_string_equal(out, "HJKMNPQRST");
    assert_true(jf_triage_ticket_parse("  zZzZzZzZzZ\t ", out));
    assert_string_equal(out, "ZZZZZZZZZZ");

    static const char *const bad[] = {
        "",
        "   ",
        "23456789a",
        "23456789abc",
        "2345 6789AB",
        "23456789A0",
        "23456789Ao",
        "23456789ai",
        "23456789AL",
        "23456789AB\n",
        "23456789AB.",
        "#23456789AB",
        "23456789AB x",
        "23456789\xc3\xa9",
        "                  23456789AB", /* more leading blanks than are read */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(out, "XXXXXXXXXX", JF_TICKET_LEN + 1);
        assert_false(jf_triage_ticket_parse(bad[i], out));
        assert_string_equal(out, "");
    }
    assert_false(jf_triage_ticket_parse(NULL, out));
}

/* A short string is rejected at its NUL, without reading past it: the buffer below ends
 * exactly there, so ASan would report any read beyond. */
static void test_valid_reads_no_further(void **state)
{
    char *s = malloc(4);
    (void)state;

    assert_non_null(s);
    memcpy(s, "ABC", 4);
    assert_false(jf_triage_ticket_valid(s));
    free(s);
}

static int cmp_code(const void *a, const void *b)
{
    return memcmp(a, b, JF_TICKET_LEN + 1);
}

/* 10 000 codes: all distinct (a collision among them has probability about 6e-8 with a
 * uniform generator), every symbol used, and no symbol favoured. With 100 000 symbols each
 * is expected 100000/31 = 3225.8 times, standard deviation sqrt(100000 * 1/31 * 30/31) =
 * 55.9; a count outside 6 deviations (335) means a broken generator, not bad luck
 * (probability about 1e-9 per symbol). The first 8 symbols together are what plain
 * byte % 31 would favour (9/256 each instead of 1/31): expected 25806, deviation
 * sqrt(100000 * 8/31 * 23/31) = 138; modulo bias would put them near 28125, 16 deviations
 * off, so the 6-deviation bound (830) catches it. */
static void test_distinct_and_uniform(void **state)
{
    char(*codes)[JF_TICKET_LEN + 1] = calloc(SAMPLE, sizeof *codes);
    long counts[ALPHABET_LEN] = {0};
    long first8 = 0;
    (void)state;

    assert_non_null(codes);
    for (int i = 0; i < SAMPLE; i++) {
        assert_int_equal(jf_triage_ticket_new(codes[i]), JF_ERR_OK);
        for (size_t j = 0; j < JF_TICKET_LEN; j++) {
            const char *p = memchr(JF_TICKET_ALPHABET, codes[i][j], ALPHABET_LEN);
            assert_non_null(p);
            counts[p - JF_TICKET_ALPHABET]++;
        }
    }
    qsort(codes, SAMPLE, sizeof *codes, cmp_code);
    for (int i = 1; i < SAMPLE; i++)
        assert_int_not_equal(cmp_code(codes[i - 1], codes[i]), 0);

    for (size_t k = 0; k < ALPHABET_LEN; k++) {
        assert_true(counts[k] > 0);
        assert_in_range(counts[k], 3226 - 335, 3226 + 335);
        if (k < 8)
            first8 += counts[k];
    }
    assert_in_range(first8, 25806 - 830, 25806 + 830);
    free(codes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alphabet),
        cmocka_unit_test(test_new_is_well_formed),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_valid_reads_no_further),
        cmocka_unit_test(test_distinct_and_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
