/* test_triage_route.c - the department router: every occurrence found in one pass, the
 * most specific name wins, aliases map to their department, conflicts refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "triage/route.h"

enum { JIAOYU = 11, WEIJIAN = 12, XIANJIAOYU = 13, NONGYE = 14 };

static const jf_triage_route_pattern city[] = {
    {"教育局", JIAOYU},       {"教体局", JIAOYU},  {"市教育局", JIAOYU},
    {"县教育局", XIANJIAOYU}, {"卫健委", WEIJIAN}, {"卫生健康委员会", WEIJIAN},
    {"农业农村局", NONGYE},   {"农业局", NONGYE},
};

static jf_triage_router *build(void)
{
    jf_triage_router *r = NULL;
    assert_int_equal(jf_triage_router_build(city, sizeof city / sizeof city[0], &r), JF_ERR_OK);
    assert_non_null(r);
    return r;
}

static void route(const jf_triage_router *r, const char *text, jf_triage_route_result *out)
{
    jf_triage_route(r, text, strlen(text), out);
}

static void test_alias_and_name(void **state)
{
    (void)state;
    jf_triage_router *r = build();
    jf_triage_route_result res;
    route(r, "教体局这周又要我们填三张表", &res);
    assert_int_equal(res.department, JIAOYU);
    assert_string_equal(res.pattern, "教体局");
    assert_int_equal(res.offset, 0);
    route(r, "镇里说是卫生健康委员会要的材料", &res);
    assert_int_equal(res.department, WEIJIAN);
    assert_string_equal(res.pattern, "卫生健康委员会");
    route(r, "这个月开了二十多个会", &res);
    assert_int_equal(res.department, 0);
    assert_null(res.pattern);
    assert_int_equal(res.matches, 0);
    jf_triage_router_free(r);
}

/* A number at either end of a name matches a whole number only. */
static void test_numbers_whole(void **state)
{
    (void)state;
    static const jf_triage_route_pattern pats[] = {
        {"12345", 1}, {"12315热线", 2}, {"热线110", 3}, {"3中", 4}};
    jf_triage_router *r = NULL;
    jf_triage_route_result res;
    static const struct {
        const char *text;
        int64_t department; /* 0: no name found, and no occurrence counted */
    } cases[] = {
        {"打了12345没人管", 1}, {"12345", 1},       {"编号123456的表", 0},
        {"电话012345", 0},      {"找12315热线", 2}, {"找112315热线", 0},
        {"热线110转", 3},       {"热线1101", 0},    {"13中", 0}, /* a digit before: not 3中 */
        {"3中的老师", 4},
    };
    assert_int_equal(jf_triage_router_build(pats, 4, &r), JF_ERR_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        route(r, cases[i].text, &res);
        if (res.department != cases[i].department ||
            (cases[i].department == 0 && res.matches != 0))
            fail_msg("\"%s\": department %lld, %zu matches; want %lld", cases[i].text,
                     (long long)res.department, res.matches, (long long)cases[i].department);
    }
    jf_triage_router_free(r);
}

static void test_most_specific_wins(void **state)
{
    (void)state;
    jf_triage_router *r = build();
    jf_triage_route_result res;
    /* "县教育局" contains "教育局": both occur, the longer, more specific one decides. */
    route(r, "县教育局要求每个村上报", &res);
    assert_int_equal(res.department, XIANJIAOYU);
    assert_string_equal(res.pattern, "县教育局");
    assert_int_equal(res.matches, 2);
    /* Two different departments named: the longer name wins, wherever it stands. */
    route(r, "卫健委和农业农村局都来检查", &res);
    assert_int_equal(res.department, NONGYE);
    /* Equally long names: the first in the text wins. */
    route(r, "农业局和教育局都来检查", &res);
    assert_int_equal(res.department, NONGYE);
    route(r, "教育局和农业局都来检查", &res);
    assert_int_equal(res.department, JIAOYU);
    jf_triage_router_free(r);
}

static void test_overlaps_and_repeats(void **state)
{
    (void)state;
    /* Patterns that overlap each other exercise the failure and output links. */
    static const jf_triage_route_pattern p[] = {{"he", 1}, {"she", 2}, {"his", 3}, {"hers", 4}};
    jf_triage_router *r = NULL;
    assert_int_equal(jf_triage_router_build(p, 4, &r), JF_ERR_OK);
    jf_triage_route_result res;
    jf_triage_route(r, "ushers", 6, &res);
    /* "she" at 1, "he" at 2, "hers" at 2. */
    assert_int_equal(res.matches, 3);
    assert_int_equal(res.department, 4);
    assert_int_equal(res.offset, 2);
    jf_triage_route(r, "hishe", 5, &res);
    assert_int_equal(res.matches, 3); /* his, she, he */
    assert_true(jf_triage_router_size(r) > 0);
    jf_triage_router_free(r);
}

static void test_refusals(void **state)
{
    (void)state;
    jf_triage_router *r = NULL;
    static const jf_triage_route_pattern conflict[] = {{"教育局", 1}, {"教育局", 2}};
    assert_int_equal(jf_triage_router_build(conflict, 2, &r), JF_ERR_EXISTS);
    assert_null(r);
    static const jf_triage_route_pattern same[] = {{"教育局", 1}, {"教育局", 1}};
    assert_int_equal(jf_triage_router_build(same, 2, &r), JF_ERR_OK);
    jf_triage_router_free(r);
    static const jf_triage_route_pattern empty[] = {{"", 1}};
    assert_int_equal(jf_triage_router_build(empty, 1, &r), JF_ERR_INVAL);
    char longp[JF_ROUTE_MAX_PATTERN_LEN + 2];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    jf_triage_route_pattern toolong[] = {{longp, 1}};
    assert_int_equal(jf_triage_router_build(toolong, 1, &r), JF_ERR_INVAL);
    /* An empty router matches nothing. */
    assert_int_equal(jf_triage_router_build(NULL, 0, &r), JF_ERR_OK);
    jf_triage_route_result res;
    jf_triage_route(r, "教育局", strlen("教育局"), &res);
    assert_int_equal(res.department, 0);
    jf_triage_router_free(r);
}

/* Many patterns against a brute-force search: same count of occurrences. */
static void test_against_brute_force(void **state)
{
    (void)state;
    enum { N = 300 };
    static char texts[N][8];
    jf_triage_route_pattern p[N];
    unsigned seed = 12345;
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        int len = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 4;
        for (int j = 0; j < len; j++)
            texts[i][j] = (char)('a' + ((seed = seed * 1103515245 + 12345) >> 16) % 3);
        texts[i][len] = '\0';
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup = dup || strcmp(p[k].text, texts[i]) == 0;
        if (dup)
            continue;
        p[n].text = texts[i];
        p[n].department = (int64_t)n + 1;
        n++;
    }
    jf_triage_router *r = NULL;
    assert_int_equal(jf_triage_router_build(p, n, &r), JF_ERR_OK);
    char hay[200];
    for (int i = 0; i < 199; i++)
        hay[i] = (char)('a' + ((seed = seed * 1103515245 + 12345) >> 16) % 3);
    hay[199] = '\0';
    size_t want = 0;
    for (size_t k = 0; k < n; k++)
        for (const char *q = hay; (q = strstr(q, p[k].text)) != NULL; q++)
            want++;
    jf_triage_route_result res;
    jf_triage_route(r, hay, strlen(hay), &res);
    assert_int_equal(res.matches, want);
    jf_triage_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alias_and_name),       cmocka_unit_test(test_most_specific_wins),
        cmocka_unit_test(test_overlaps_and_repeats), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_against_brute_force),  cmocka_unit_test(test_numbers_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
