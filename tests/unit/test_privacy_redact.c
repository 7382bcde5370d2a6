/* test_privacy_redact.c - phone, resident ID and bank card numbers are removed from
 * message text, and nothing else is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "privacy/redact.h"

#define OUT_MAX 4096

/* Redact text into a fresh buffer, check the call succeeded and return the result
 * (caller frees). */
static char *redact_counts(const char *text, jf_redact_counts *counts)
{
    jf_buf out;
    jf_buf_init(&out, OUT_MAX);
    assert_int_equal(jf_privacy_redact(text, strlen(text), &out, counts), JF_ERR_OK);
    char *s = jf_buf_steal(&out);
    assert_non_null(s);
    return s;
}

/* Assert that text redacts to want with the given counts. */
static void check(const char *text, const char *want, int phones, int ids, int cards)
{
    jf_redact_counts c = {-1, -1, -1};
    char *got = redact_counts(text, &c);
    if (strcmp(got, want) != 0)
        print_error("input:    %s\nexpected: %s\ngot:      %s\n", text, want, got);
    assert_string_equal(got, want);
    /* Redaction never makes text longer, so the input's bound also bounds the output. */
    assert_true(strlen(got) <= strlen(text));
    assert_int_equal(c.phones, phones);
    assert_int_equal(c.ids, ids);
    assert_int_equal(c.cards, cards);
    free(got);
}

static void unchanged(const char *text)
{
    check(text, text, 0, 0, 0);
}

/* An independent GB 11643-1999 check character, so the tests do not trust the code
 * under test to compute it. */
static char id_check(const char *d17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (d17[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

static int luhn_ok(const char *d)
{
    size_t n = strlen(d);
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/* Make a Luhn-valid number of n digits from the n-1 digits in body. */
static void luhn_complete(char *num, const char *body, size_t n)
{
    memcpy(num, body, n - 1);
    num[n] = '\0';
    for (char c = '0'; c <= '9'; c++) {
        num[n - 1] = c;
        if (luhn_ok(num))
            return;
    }
    fail_msg("no Luhn digit");
}

static void test_phone_plain_and_adjacent_to_chinese(void **state)
{
    (void)state;
    check("13800138000", "[手机号]", 1, 0, 0);
    check("电话13800138000找我", "电话[手机号]找我", 1, 0, 0);
    check("请拨打13912345678。", "请拨打[手机号]。", 1, 0, 0);
    check("call 13800138000.", "call [手机号].", 1, 0, 0);
    check("联系13800138000或15900001111", "联系[手机号]或[手机号]", 2, 0, 0);
    /* Every second digit from 3 to 9 is a mobile prefix. */
    const char *prefixes[] = {"13", "14", "15", "16", "17", "18", "19"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "号码%s012345678", prefixes[i]);
        check(text, "号码[手机号]", 1, 0, 0);
    }
}

static void test_phone_grouped_and_prefixed(void **state)
{
    (void)state;
    check("138 0013 8000", "[手机号]", 1, 0, 0);
    check("138-0013-8000", "[手机号]", 1, 0, 0);
    check("+86 138 0013 8000", "[手机号]", 1, 0, 0);
    check("+86-138-0013-8000", "[手机号]", 1, 0, 0);
    check("+8613800138000", "[手机号]", 1, 0, 0);
    check("008613800138000", "[手机号]", 1, 0, 0);
    check("0086 138 0013 8000", "[手机号]", 1, 0, 0);
    check("8613800138000", "[手机号]", 1, 0, 0);
    check("86 13800138000", "[手机号]", 1, 0, 0);
    check("电话：+86 13800138000，谢谢", "电话：[手机号]，谢谢", 1, 0, 0);
    /* A mixed-form separator sequence is still one number. */
    check("138 0013-8000", "[手机号]", 1, 0, 0);
}

static void test_phone_fullwidth(void **state)
{
    (void)state;
    check("１３８００１３８０００", "[手机号]", 1, 0, 0);
    check("电话１３８００１３８０００找我", "电话[手机号]找我", 1, 0, 0);
    check("＋８６１３８００１３８０００", "[手机号]", 1, 0, 0);
    /* U+3000 ideographic space and U+FF0D full-width hyphen as separators. */
    check("＋８６　１３８－００１３－８０００", "[手机号]", 1, 0, 0);
    check("１３８　００１３　８０００", "[手机号]", 1, 0, 0);
    /* Mixed half- and full-width digits. */
    check("138００138000", "[手机号]", 1, 0, 0);
}

static void test_phones_inside_a_longer_run(void **state)
{
    (void)state;
    /* Two numbers one space apart form one 22-digit run, which as a whole is nothing;
     * each of its parts is a phone, and both must go. */
    check("13800138000 13900139000", "[手机号] [手机号]", 2, 0, 0);
    check("编号 123 13800138000", "编号 123 [手机号]", 1, 0, 0);
    check("13800138000 1", "[手机号] 1", 1, 0, 0);
    check("2024 138 0013 8000", "2024 [手机号]", 1, 0, 0);
}

static void test_phone_negatives(void **state)
{
    (void)state;
    unchanged("12345678901");        /* 11 digits, but 12 is not a mobile prefix */
    unchanged("11800138000");        /* 11 is not either */
    unchanged("138001380001");       /* 12 digits: no phone inside a longer number */
    unchanged("1138001380001");      /* 13 digits not starting 86 */
    unchanged("1380013800");         /* 10 digits */
    unchanged("编号138001380001号"); /* 12 digits between Chinese characters */
    unchanged("21380013800");
    unchanged("+12345");
    /* Two separators in a row end a run: these are three short numbers. */
    unchanged("138  0013  8000");
    /* '.' is not a separator. */
    unchanged("138.0013.8000");
}

static void test_dates_amounts_documents_untouched(void **state)
{
    (void)state;
    unchanged("2026年10月13日");
    unchanged("开了15个会");
    unchanged("〔2024〕12号");
    unchanged("中办发〔2019〕16号文件");
    unchanged("2024-10-13");
    unchanged("2024 10 13");
    unchanged("10.5万元，3.14，1,380,013,800");
    unchanged("一周填表37张，群里要求每天8点前上报");
    unchanged("");
    unchanged("no digits at all");
    unchanged("12345678901234567890"); /* a 20-digit run is never redacted */
    unchanged("123456789012345");      /* 15 digits */
    unchanged("4111111111111112");     /* fails Luhn */
    unchanged("411111111111111");      /* 15 digits, even though it passes nothing */
}

static void test_id_numbers(void **state)
{
    (void)state;
    /* The well-known sample with an X check character, in every form of X. */
    check("11010519491231002X", "[身份证号]", 0, 1, 0);
    check("11010519491231002x", "[身份证号]", 0, 1, 0);
    check("11010519491231002Ｘ", "[身份证号]", 0, 1, 0);
    check("身份证号：11010519491231002X，住址", "身份证号：[身份证号]，住址", 0, 1, 0);
    check("身份证11010519491231002X号", "身份证[身份证号]号", 0, 1, 0);
    check("110105 19491231 002X", "[身份证号]", 0, 1, 0);
    check("１１０１０５１９４９１２３１００２Ｘ", "[身份证号]", 0, 1, 0);
    /* The X belongs to the ID only when it makes the checksum right. */
    check("11010519491231002", "11010519491231002", 0, 0, 0);

    /* Generated IDs with digit check characters. */
    const char *bases[] = {"44030419900101001", "32010619851231123", "51010719700615002",
                           "65010220001111456", "37020319881010777", "21010219950505050"};
    int found_digit = 0;
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        char id[19];
        char text[64];
        memcpy(id, bases[i], 17);
        id[17] = id_check(bases[i]);
        id[18] = '\0';
        snprintf(text, sizeof text, "身份证%s。", id);
        check(text, "身份证[身份证号]。", 0, 1, 0);
        found_digit += id[17] != 'X';
    }
    assert_true(found_digit > 0);
}

/* An 18-digit number whose check character is wrong is not an ID; it stays as written
 * unless it is a Luhn-valid card. */
static void test_id_wrong_check_digit(void **state)
{
    (void)state;
    const char *base = "44030419900101001";
    char good = id_check(base);
    int tested = 0;
    for (char c = '0'; c <= '9'; c++) {
        char num[19];
        memcpy(num, base, 17);
        num[17] = c;
        num[18] = '\0';
        if (c == good)
            continue;
        if (luhn_ok(num))
            check(num, "[银行卡号]", 0, 0, 1);
        else {
            unchanged(num);
            tested++;
        }
    }
    assert_true(tested > 0);
    /* The sample with a wrong final character. */
    unchanged("110105194912310021");
    unchanged("11010519491231002Y");
}

static void test_id_takes_priority_over_card(void **state)
{
    (void)state;
    /* Find an 18-digit number that is both a valid ID and Luhn-valid: it counts as an ID. */
    char num[19] = "44030419900101";
    int found = 0;
    for (int n = 0; n < 1000 && !found; n++) {
        snprintf(num + 14, 4, "%03d", n);
        num[17] = id_check(num);
        num[18] = '\0';
        if (num[17] != 'X' && luhn_ok(num))
            found = 1;
    }
    assert_true(found);
    check(num, "[身份证号]", 0, 1, 0);
}

static void test_cards(void **state)
{
    (void)state;
    check("4111111111111111", "[银行卡号]", 0, 0, 1);
    check("卡号4111 1111 1111 1111，", "卡号[银行卡号]，", 0, 0, 1);
    check("4111-1111-1111-1111", "[银行卡号]", 0, 0, 1);
    check("５５５５５５５５５５５５４４４４", "[银行卡号]", 0, 0, 1);
    /* A plus before a card is not part of it. */
    check("+4111111111111111", "+[银行卡号]", 0, 0, 1);
    unchanged("4111111111111112");
    unchanged("4111 1111 1111 1112");

    /* Luhn-valid numbers of every card length, and their one-digit-off neighbours. */
    const char *body = "622202123456789012";
    for (size_t n = 16; n <= 19; n++) {
        char num[21];
        char text[64];
        luhn_complete(num, body, n);
        snprintf(text, sizeof text, "工资卡%s到账", num);
        check(text, "工资卡[银行卡号]到账", 0, 0, 1);
        num[n - 1] = (char)(num[n - 1] == '9' ? '0' : num[n - 1] + 1);
        if (n != 18 || id_check(num) != num[17]) {
            snprintf(text, sizeof text, "工资卡%s到账", num);
            unchanged(text);
        }
    }
    /* 15 and 20 digits are not cards even when Luhn-valid. */
    char num15[16], num20[21];
    luhn_complete(num15, body, 15);
    luhn_complete(num20, "6222021234567890123456", 20);
    unchanged(num15);
    unchanged(num20);
}

static void test_mixed_message_counts(void **state)
{
    (void)state;
    check("我是某镇干部，身份证11010519491231002X，电话138 0013 8000，"
          "工资卡4111111111111111，2024年开了120个会。另一个电话+8615900001111。",
          "我是某镇干部，身份证[身份证号]，电话[手机号]，"
          "工资卡[银行卡号]，2024年开了120个会。另一个电话[手机号]。",
          2, 1, 1);
}

static void test_invalid_utf8_passes_through(void **state)
{
    (void)state;
    check("\xff\xfe"
          "13800138000\xc3",
          "\xff\xfe[手机号]\xc3", 1, 0, 0);
    /* A truncated full-width digit at the end of the text. */
    check("13800138000\xef\xbc", "[手机号]\xef\xbc", 1, 0, 0);
}

static void test_appends_and_counts(void **state)
{
    (void)state;
    jf_buf out;
    jf_redact_counts c = {7, 7, 7};
    jf_buf_init(&out, OUT_MAX);
    assert_int_equal(jf_buf_appends(&out, "前缀:"), JF_ERR_OK);
    const char *text = "13800138000";
    assert_int_equal(jf_privacy_redact(text, strlen(text), &out, &c), JF_ERR_OK);
    assert_string_equal(out.data, "前缀:[手机号]");
    /* Counts are this call's, not accumulated. */
    assert_int_equal(c.phones, 1);
    assert_int_equal(c.ids, 0);
    assert_int_equal(c.cards, 0);
    /* counts may be NULL. */
    assert_int_equal(jf_privacy_redact(text, strlen(text), &out, NULL), JF_ERR_OK);
    assert_string_equal(out.data, "前缀:[手机号][手机号]");
    /* Only len bytes are read. */
    jf_buf_reset(&out);
    assert_int_equal(jf_privacy_redact("13800138000", 5, &out, &c), JF_ERR_OK);
    assert_string_equal(out.data, "13800");
    assert_int_equal(c.phones, 0);
    jf_buf_free(&out);

    assert_int_equal(jf_privacy_redact("x", 1, NULL, &c), JF_ERR_INVAL);
    jf_buf_init(&out, OUT_MAX);
    assert_int_equal(jf_privacy_redact(NULL, 0, &out, &c), JF_ERR_OK);
    assert_int_equal(out.len, 0);
    jf_buf_free(&out);
}

static void test_output_bound(void **state)
{
    (void)state;
    jf_buf out;
    jf_redact_counts c;
    /* One byte short of the result: the failure leaves what was already in the buffer
     * untouched, and no partly redacted text behind it. */
    const char *text = "abc 13800138000 def 13900139000";
    const char *want = "abc [手机号] def [手机号]";
    jf_buf_init(&out, strlen("keep") + strlen(want) - 1);
    assert_int_equal(jf_buf_appends(&out, "keep"), JF_ERR_OK);
    assert_int_equal(jf_privacy_redact(text, strlen(text), &out, &c), JF_ERR_TOOBIG);
    assert_int_equal(out.len, 4);
    assert_string_equal(out.data, "keep");
    assert_int_equal(c.phones, 0);
    jf_buf_free(&out);

    /* Exactly enough room succeeds. */
    jf_buf_init(&out, strlen(want));
    assert_int_equal(jf_privacy_redact(text, strlen(text), &out, &c), JF_ERR_OK);
    assert_string_equal(out.data, want);
    jf_buf_free(&out);
}

/* Long and pathological inputs finish and keep their length. */
static void test_long_runs(void **state)
{
    (void)state;
    size_t n = 100000;
    char *digits = malloc(n + 1);
    char *spaced = malloc(2 * n + 1);
    assert_non_null(digits);
    assert_non_null(spaced);
    for (size_t i = 0; i < n; i++) {
        digits[i] = (char)('0' + (i * 7) % 10);
        spaced[2 * i] = '1';
        spaced[2 * i + 1] = ' ';
    }
    digits[n] = '\0';
    spaced[2 * n] = '\0';
    jf_buf out;
    jf_buf_init(&out, 4 * n);
    assert_int_equal(jf_privacy_redact(digits, n, &out, NULL), JF_ERR_OK);
    assert_string_equal(out.data, digits);
    jf_buf_reset(&out);
    /* "1 1 1 ..." is one long run of one-digit groups; no span of it is anything. */
    assert_int_equal(jf_privacy_redact(spaced, 2 * n, &out, NULL), JF_ERR_OK);
    assert_string_equal(out.data, spaced);
    jf_buf_free(&out);
    free(digits);
    free(spaced);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phone_plain_and_adjacent_to_chinese),
        cmocka_unit_test(test_phone_grouped_and_prefixed),
        cmocka_unit_test(test_phone_fullwidth),
        cmocka_unit_test(test_phones_inside_a_longer_run),
        cmocka_unit_test(test_phone_negatives),
        cmocka_unit_test(test_dates_amounts_documents_untouched),
        cmocka_unit_test(test_id_numbers),
        cmocka_unit_test(test_id_wrong_check_digit),
        cmocka_unit_test(test_id_takes_priority_over_card),
        cmocka_unit_test(test_cards),
        cmocka_unit_test(test_mixed_message_counts),
        cmocka_unit_test(test_invalid_utf8_passes_through),
        cmocka_unit_test(test_appends_and_counts),
        cmocka_unit_test(test_output_bound),
        cmocka_unit_test(test_long_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
