/* test_triage_normalize.c - the canonical form of informal Chinese text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "triage/normalize.h"

/* Normalise s (its strlen bytes) and compare with want. */
static void check(const char *s, const char *want)
{
    char out[1024];
    size_t n = 12345;
    assert_int_equal(jf_triage_normalize(s, strlen(s), out, sizeof out, &n), JF_ERR_OK);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

/* Whether the n bytes at s are valid UTF-8 throughout. */
static int valid_utf8(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = jf_triage_utf8_next((const unsigned char *)s + i, n - i, &cp);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

static void test_table(void **state)
{
    (void)state;
    assert_int_equal(jf_triage_normalize_check(), JF_ERR_OK);
    assert_true(jf_triage_t2s_size() >= 300);
    assert_int_equal(jf_triage_to_simplified(0x6703 /* 會 */), 0x4F1A /* 会 */);
    assert_int_equal(jf_triage_to_simplified(0x4F1A), 0x4F1A);
    assert_int_equal(jf_triage_to_simplified('a'), 'a');
    assert_int_equal(jf_triage_to_simplified(0x1F600), 0x1F600);
}

static void test_full_width(void **state)
{
    (void)state;
    check("ＡＰＰ打卡", "app打卡");
    check("ｗｅｃｈａｔ群", "wechat群");
    check("Ｗｏｒｄ文档", "word文档");
    check("１２３个表", "#个表");
    check("（通知）", "(通知)");
    check("ＡＢＣ！ｘｙｚ", "abc!xyz");
}

static void test_space(void **state)
{
    (void)state;
    check("　你好　　世界　", "你好 世界");
    check("  a \t\r\n b  ", "a b");
    check("\xc2\xa0开会\xe2\x80\x83了", "开会 了"); /* no-break space, em space */
    check("", "");
    check("   ", "");
    check("，。！", ",。!"); /* punctuation marks are kept (test_punctuation) */
}

static void test_case(void **state)
{
    (void)state;
    check("APP WeChat QQ", "app wechat qq");
    check("DingTalk钉钉", "dingtalk钉钉");
}

static void test_traditional(void **state)
{
    (void)state;
    check("會議太多", "会议太多");
    check("檢查考核過多過頻", "检查考核过多过频");
    check("填報數據", "填报数据");
    check("鄉鎮幹部負擔重", "乡镇干部负担重");
    check("這週開了六個會", "这周开了六个会");
    check("說説爲為", "说说为为");
    /* Characters also used in simplified text are left alone. */
    check("乾净 著名 覆盖", "乾净 著名 覆盖");
    /* Already simplified text is unchanged. */
    check("文山会海", "文山会海");
}

static void test_punctuation(void **state)
{
    (void)state;
    /* Punctuation marks are kept, full-width ones as ASCII: "在哪？" asks. */
    check("你好，世界！", "你好,世界!");
    check("【通知】《关于开会的通知》", "【通知】《关于开会的通知》");
    check("“留痕”‘台账’……——", "“留痕”‘台账’……——");
    check("a,b;c.d", "a,b;c.d");
    check("[开会](拍照){签到}", "[开会](拍照){签到}");
    check("今天下午的培训在哪个会议室？", "今天下午的培训在哪个会议室?");
    check("你好 ， 世界", "你好 , 世界");
    check("#话题#", "#话题#"); /* '#' is the digit placeholder */
    check("12#34", "#");
    /* Symbols, the middle dot and white space separate. */
    check("开会·学习、讨论", "开会 学习、讨论");
    check("开会・学习", "开会 学习"); /* the katakana middle dot too */
    check("～～好累～～", "好累");
    check("a+b=c|d$e", "a b c d e");
    check("★重要★", "重要");
}

static void test_digits(void **state)
{
    (void)state;
    check("3天开了15个会", "#天开了#个会");
    check("12 34", "# #");
    check("2024年10月1日", "#年#月#日");
    check("app1234", "app#");
    check("百分之95%", "百分之#%");
    check("1.5万", "#.#万");
    check("１2３", "#");
}

typedef jf_err (*normal_form)(const char *, size_t, char *, size_t, size_t *);

/* Bring s to the normal form form, compare with want, and check that bringing the result
 * to it again changes nothing. */
static void check_form(normal_form form, const char *s, const char *want)
{
    char out[256], again[256];
    size_t n = 12345, m = 0;
    assert_int_equal(form(s, strlen(s), out, sizeof out, &n), JF_ERR_OK);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    assert_int_equal(form(out, n, again, sizeof again, &m), JF_ERR_OK);
    assert_string_equal(again, out);
}

/* The form for names keeps digits, and is otherwise the keyword form. */
static void check_names(const char *s, const char *want)
{
    check_form(jf_triage_normalize_names, s, want);
}

static void test_names_keep_digits(void **state)
{
    (void)state;
    check_names("市12345热线", "市12345热线");
    check_names("１２３１５熱線", "12315热线");
    check_names("3天开了15个会", "3天开了15个会");
    check_names("#12 34#", "12 34");
    check_names("ＪＹＪ·县教體局", "jyj 县教体局");
    /* ...and punctuation separates, as before marks were kept for the classifier. */
    check_names("找教体局，打12345热线！", "找教体局 打12345热线");
    check_names("", "");
    /* The masked form is unchanged by this variant's existence. */
    check("１２３１５熱線", "#热线");
}

/* The keyword form (rules): the classifier's form with punctuation separating. */
static void check_keywords(const char *s, const char *want)
{
    check_form(jf_triage_normalize_keywords, s, want);
}

static void test_keywords(void **state)
{
    (void)state;
    check_keywords("又要填表，报数！", "又要填表 报数");
    check_keywords("【通知】《關於開會》", "通知 关于开会");
    check_keywords("１２３个表、百分之95%", "#个表 百分之#");
    check_keywords("，。！", "");
    check_keywords("", "");
}

static void test_emoji_and_invisible(void **state)
{
    (void)state;
    check("好累😫😫了", "好累 了");
    check("开\xe2\x80\x8b会", "开会"); /* zero-width space */
    check("\xef\xbb\xbf开会", "开会"); /* byte order mark */
    check("好\xef\xb8\x8f的", "好的"); /* variation selector */
    check("a\x01\x02"
          "b\x7f"
          "c",
          "abc"); /* controls */
}

static void test_invalid_utf8(void **state)
{
    char out[64];
    size_t n = 0;
    (void)state;
    check("\xff你\xfe好", "你好");
    check("\xc0\xaf开会", "开会");         /* overlong '/' */
    check("\xed\xa0\x80开会", "开会");     /* surrogate */
    check("开会\xf4\x90\x80\x80", "开会"); /* beyond U+10FFFF */
    check("开会\xe4\xbd", "开会");         /* truncated at the end */
    check("\x80\x80\x80好", "好");         /* stray continuation bytes */
    check("\xe4\xbd好", "好");             /* truncated in the middle */

    static const char with_nul[] = "开\0会";
    assert_int_equal(jf_triage_normalize(with_nul, sizeof with_nul - 1, out, sizeof out, &n),
                     JF_ERR_OK);
    assert_string_equal(out, "开会");

    uint32_t cp;
    assert_int_equal(jf_triage_utf8_next((const unsigned char *)"\xc0\x80", 2, &cp), 0);
    assert_int_equal(jf_triage_utf8_next((const unsigned char *)"\xe0\x80\x80", 3, &cp), 0);
    assert_int_equal(jf_triage_utf8_next((const unsigned char *)"\xf0\x80\x80\x80", 4, &cp), 0);
    assert_int_equal(jf_triage_utf8_next((const unsigned char *)"\xe4\xbd\xa0", 2, &cp), 0);
    assert_int_equal(jf_triage_utf8_next((const unsigned char *)"\xe4\xbd\xa0", 3, &cp), 3);
    assert_int_equal(cp, 0x4F60);
    assert_int_equal(jf_triage_utf8_next((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
}

static void test_bounded(void **state)
{
    char out[16];
    size_t n = 0;
    (void)state;

    /* 7 bytes of room: two characters fit, the third does not. */
    memset(out, 'x', sizeof out);
    assert_int_equal(jf_triage_normalize("你好世界", strlen("你好世界"), out, 7, &n),
                     JF_ERR_TOOBIG);
    assert_string_equal(out, "你好");
    assert_int_equal(n, 6);
    assert_int_equal(out[7], 'x'); /* nothing written past outsz */

    /* A pending separator is not written when the character after it does not fit. */
    assert_int_equal(jf_triage_normalize("你好 世界", strlen("你好 世界"), out, 8, &n),
                     JF_ERR_TOOBIG);
    assert_string_equal(out, "你好");

    /* len + 1 always suffices. */
    const char *s = "ＡＢＣ　會議，１２３";
    assert_int_equal(jf_triage_normalize(s, strlen(s), out, sizeof out, &n), JF_ERR_OK);

    assert_int_equal(jf_triage_normalize("abc", 3, out, 1, &n), JF_ERR_TOOBIG);
    assert_string_equal(out, "");
    assert_int_equal(jf_triage_normalize("abc", 3, NULL, 4, &n), JF_ERR_INVAL);
    assert_int_equal(jf_triage_normalize("abc", 3, out, 0, &n), JF_ERR_INVAL);
    assert_int_equal(jf_triage_normalize(NULL, 3, out, sizeof out, &n), JF_ERR_INVAL);
    assert_int_equal(jf_triage_normalize(NULL, 0, out, sizeof out, &n), JF_ERR_OK);
    assert_string_equal(out, "");
    assert_int_equal(jf_triage_normalize("ab", 2, out, sizeof out, NULL), JF_ERR_OK);
}

static void test_idempotent(void **state)
{
    static const char *const samples[] = {
        "ＡＰＰ打卡，每天３次！！",
        "會議　太多了……",
        "12 34 abc",
        "【通知】#话题#",
        "好累😫了",
        "\xff开\xc0\xaf会",
        "  ",
        "文山会海，檢查過頻",
    };
    char a[256], b[256];
    size_t na, nb;
    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        assert_int_equal(jf_triage_normalize(samples[i], strlen(samples[i]), a, sizeof a, &na),
                         JF_ERR_OK);
        assert_int_equal(jf_triage_normalize(a, na, b, sizeof b, &nb), JF_ERR_OK);
        assert_string_equal(a, b);
    }
}

/* Random bytes, biased towards UTF-8 lead and continuation bytes: the output is always
 * valid UTF-8, no longer than the input, with no space at either end and no two spaces
 * in a row. */
static void test_random_bytes(void **state)
{
    unsigned char in[64];
    char out[65];
    uint32_t x = 12345;
    (void)state;
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(round % 64);
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            unsigned r = (x >> 16) & 0xff;
            static const unsigned char picks[] = {0xe4, 0xbd, 0xa0, 0x80, 0xc2, 0xf0,
                                                  0x9f, ' ',  '1',  'A',  0xef, 0xbc};
            in[i] = (r & 1) ? picks[(r >> 1) % sizeof picks] : (unsigned char)r;
        }
        size_t n = 999;
        jf_err err = jf_triage_normalize((const char *)in, len, out, sizeof out, &n);
        assert_int_equal(err, JF_ERR_OK);
        assert_true(n <= len);
        assert_int_equal(strlen(out), n);
        assert_true(valid_utf8(out, n));
        if (n > 0) {
            assert_true(out[0] != ' ');
            assert_true(out[n - 1] != ' ');
        }
        assert_null(strstr(out, "  "));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_full_width),
        cmocka_unit_test(test_space),        cmocka_unit_test(test_case),
        cmocka_unit_test(test_traditional),  cmocka_unit_test(test_punctuation),
        cmocka_unit_test(test_digits),       cmocka_unit_test(test_names_keep_digits),
        cmocka_unit_test(test_keywords),     cmocka_unit_test(test_emoji_and_invisible),
        cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_idempotent),   cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
