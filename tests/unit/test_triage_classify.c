/* test_triage_classify.c - categories, features, training, the model file, keyword rules,
 * evaluation, and the accuracy bar of issue 4 on a held-out slice of the shipped corpus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <unistd.h>

#include "triage/category.h"
#include "triage/classify.h"
#include "triage/normalize.h"
#include "triage/classify_internal.h" /* to write a model with a bad temperature */
#include "triage/rules.h"

/* ---- a small synthetic training set ---------------------------------------------------- */

/* Each category has three phrases of its own; messages are a shared filler, one of the
 * category's phrases and another filler, so that only the phrase tells the category. */
static const char *const phrases[JF_CAT_COUNT][3] = {
    [JF_CAT_DOCUMENTS] = {"文件层层转发", "红头文件又来了", "照抄照转上级文件"},
    [JF_CAT_MEETINGS] = {"一天开了四个会", "视频会议开到深夜", "陪会凑人数"},
    [JF_CAT_INSPECTIONS] = {"督查组又来检查", "年终考核打分排名", "暗访组要陪同"},
    [JF_CAT_TRACES] = {"入户拍照留痕", "台账手抄一周", "每次都要签字按手印"},
    [JF_CAT_FORMS] = {"重复填报表格", "报表多如牛毛", "同一数据报三遍"},
    [JF_CAT_APPS] = {"政务app每天打卡", "工作群里接龙", "学习积分要达标"},
    [JF_CAT_SECONDMENT] = {"被县里借调一年", "抽调到专班半年", "人被借走了活还在"},
    [JF_CAT_DUTIES] = {"属地管理什么都推给乡镇", "签责任状兜底", "职能部门甩锅给村里"},
    [JF_CAT_CAMPAIGNS] = {"创建示范村挂牌子", "评比达标活动太多", "创文期间上街捡垃圾"},
    [JF_CAT_VANITY] = {"形象工程劳民伤财", "数据造假往上调", "盆景式示范点"},
    [JF_CAT_OTHER] = {"请问社保怎么查询", "新年快乐恭喜发财", "身份证补办要带什么"},
};

static const char *const fillers[] = {
    "我们镇", "最近", "村里反映", "说实话", "基层干部", "这个月", "真的", "大家都觉得",
};
#define NFILL (sizeof fillers / sizeof fillers[0])

/* Training messages: for each category, each phrase with fillers (i, i+1) for i in
 * [0, per). Test messages use filler pairs the training set never combined. */
static void make_synthetic(jf_triage_examples *set, size_t per)
{
    char buf[256];
    jf_triage_examples_init(set);
    for (int c = 0; c < JF_CAT_COUNT; c++)
        for (int p = 0; p < 3; p++)
            for (size_t i = 0; i < per; i++) {
                int n = snprintf(buf, sizeof buf, "%s%s，%s", fillers[i % NFILL], phrases[c][p],
                                 fillers[(i + 1) % NFILL]);
                assert_true(n > 0 && (size_t)n < sizeof buf);
                assert_int_equal(
                    jf_triage_examples_add(set, (jf_triage_category)c, buf, (size_t)n),
                    JF_ERR_OK);
            }
}

static void test_message(char *buf, size_t sz, int c, int p)
{
    snprintf(buf, sz, "%s！%s。。", fillers[(c + p + 3) % NFILL], phrases[c][p]);
}

static jf_triage_model *train_synthetic(jf_triage_model_kind kind)
{
    jf_triage_examples set;
    jf_triage_train_opts o;
    jf_triage_model *m = NULL;
    make_synthetic(&set, 6);
    jf_triage_train_opts_default(&o);
    o.kind = kind;
    o.hash_bits = 16;
    assert_int_equal(jf_triage_model_train(set.items, set.n, &o, &m), JF_ERR_OK);
    assert_non_null(m);
    jf_triage_examples_free(&set);
    return m;
}

static void expect_all_right(const jf_triage_model *m)
{
    char buf[256];
    jf_triage_result res;
    for (int c = 0; c < JF_CAT_COUNT; c++)
        for (int p = 0; p < 3; p++) {
            test_message(buf, sizeof buf, c, p);
            assert_int_equal(jf_triage_classify(m, NULL, buf, strlen(buf), 0.5, &res),
                             JF_ERR_OK);
            if ((int)res.category != c)
                fail_msg("'%s' classified %s, expected %s", buf,
                         jf_triage_category_code(res.category),
                         jf_triage_category_code((jf_triage_category)c));
        }
}

static void check_invariants(const jf_triage_result *res, double threshold);

/* ---- categories and hashing ------------------------------------------------------------- */

static void test_categories(void **state)
{
    static const char *const codes[] = {"documents", "meetings", "inspections", "traces",
                                        "forms",     "apps",     "secondment",  "duties",
                                        "campaigns", "vanity",   "other"};
    (void)state;
    assert_int_equal(JF_CAT_COUNT, 11);
    for (int c = 0; c < JF_CAT_COUNT; c++) {
        jf_triage_category back;
        assert_string_equal(jf_triage_category_code((jf_triage_category)c), codes[c]);
        assert_non_null(jf_triage_category_name((jf_triage_category)c));
        assert_true(strlen(codes[c]) <= JF_CAT_CODE_MAX);
        assert_int_equal(jf_triage_category_parse(codes[c], strlen(codes[c]), &back),
                         JF_ERR_OK);
        assert_int_equal(back, c);
    }
    assert_string_equal(jf_triage_category_name(JF_CAT_MEETINGS), "会议");
    assert_string_equal(jf_triage_category_name(JF_CAT_OTHER), "其他");
    assert_null(jf_triage_category_code(JF_CAT_COUNT));
    assert_null(jf_triage_category_name((jf_triage_category)-1));
    jf_triage_category x = JF_CAT_APPS;
    assert_int_equal(jf_triage_category_parse("meeting", 7, &x), JF_ERR_NOTFOUND);
    assert_int_equal(jf_triage_category_parse("Meetings", 8, &x), JF_ERR_NOTFOUND);
    assert_int_equal(jf_triage_category_parse("meetingsx", 9, &x), JF_ERR_NOTFOUND);
    assert_int_equal(jf_triage_category_parse(NULL, 0, &x), JF_ERR_NOTFOUND);
    assert_int_equal(x, JF_CAT_APPS);
}

/* Saved models depend on these exact values: a change must bump the features version. */
static void test_hash_stability(void **state)
{
    (void)state;
    assert_int_equal(jf_triage_hash32("", 0, 0), 0xab3e7c0bu);
    assert_int_equal(jf_triage_hash32("会", strlen("会"), 1), 0xb237fb84u);
    assert_int_equal(jf_triage_hash32("开会", strlen("开会"), 2), 0xb7d7ca50u);
    assert_int_equal(jf_triage_hash32("abc", 3, 3), 0x750c56e7u);
    /* The seed (the n-gram order) separates otherwise equal keys. */
    assert_true(jf_triage_hash32("abc", 3, 1) != jf_triage_hash32("abc", 3, 2));
}

/* ---- training and classifying --------------------------------------------------------- */

static void test_train_synthetic(void **state)
{
    jf_triage_model_info info;
    (void)state;
    jf_triage_model *m = train_synthetic(JF_TRIAGE_MODEL_AUTO);
    expect_all_right(m);
    jf_triage_model_describe(m, &info);
    assert_true(info.kind == JF_TRIAGE_MODEL_NB || info.kind == JF_TRIAGE_MODEL_LR ||
                info.kind == JF_TRIAGE_MODEL_SVM);
    assert_int_equal(info.examples, JF_CAT_COUNT * 3 * 6);
    for (int c = 0; c < JF_CAT_COUNT; c++)
        assert_int_equal(info.per_category[c], 18);
    assert_int_equal(info.hash_bits, 16);
    assert_true(info.rows > 100);
    assert_true(info.temperature > 0);
    assert_true(info.cv_accuracy > 0.9);
    assert_true(info.bytes > info.rows * 4 * JF_CAT_COUNT);
    jf_triage_model_free(m);

    m = train_synthetic(JF_TRIAGE_MODEL_NB);
    jf_triage_model_describe(m, &info);
    assert_int_equal(info.kind, JF_TRIAGE_MODEL_NB);
    expect_all_right(m);
    jf_triage_model_free(m);

    m = train_synthetic(JF_TRIAGE_MODEL_LR);
    jf_triage_model_describe(m, &info);
    assert_int_equal(info.kind, JF_TRIAGE_MODEL_LR);
    expect_all_right(m);
    jf_triage_model_free(m);

    m = train_synthetic(JF_TRIAGE_MODEL_SVM);
    jf_triage_model_describe(m, &info);
    assert_int_equal(info.kind, JF_TRIAGE_MODEL_SVM);
    assert_true(info.lambda > 0);
    expect_all_right(m);
    jf_triage_model_free(m);
}

static void test_train_invalid(void **state)
{
    jf_triage_example ex[2] = {{.label = JF_CAT_APPS, .text = "打卡"},
                               {.label = JF_CAT_COUNT, .text = "x"}};
    jf_triage_train_opts o;
    jf_triage_model *m = (jf_triage_model *)&o;
    (void)state;
    assert_int_equal(jf_triage_model_train(ex, 0, NULL, &m), JF_ERR_INVAL);
    assert_null(m);
    assert_int_equal(jf_triage_model_train(ex, 2, NULL, &m), JF_ERR_INVAL);
    jf_triage_train_opts_default(&o);
    o.hash_bits = 40;
    assert_int_equal(jf_triage_model_train(ex, 1, &o, &m), JF_ERR_INVAL);
    jf_triage_train_opts_default(&o);
    o.folds = 1;
    assert_int_equal(jf_triage_model_train(ex, 1, &o, &m), JF_ERR_INVAL);
    /* One example is too few to cross-validate, but still trains (T = 1). */
    jf_triage_train_opts_default(&o);
    assert_int_equal(jf_triage_model_train(ex, 1, &o, &m), JF_ERR_OK);
    jf_triage_result res;
    assert_int_equal(jf_triage_classify(m, NULL, "打卡", strlen("打卡"), 0.5, &res), JF_ERR_OK);
    assert_int_equal(res.category, JF_CAT_APPS);
    jf_triage_model_free(m);

    /* Texts without a single feature still train, for either kind of model. */
    jf_triage_example empty[3] = {{.label = JF_CAT_APPS, .text = "★★"},
                                  {.label = JF_CAT_OTHER, .text = ""},
                                  {.label = JF_CAT_FORMS, .text = "😫 +"}};
    for (int kind = JF_TRIAGE_MODEL_NB; kind <= JF_TRIAGE_MODEL_SVM; kind++) {
        o.kind = (jf_triage_model_kind)kind;
        assert_int_equal(jf_triage_model_train(empty, 3, &o, &m), JF_ERR_OK);
        assert_int_equal(jf_triage_classify(m, NULL, "打卡", strlen("打卡"), 0.5, &res),
                         JF_ERR_OK);
        check_invariants(&res, 0.5);
        jf_triage_model_free(m);
    }
}

static void check_invariants(const jf_triage_result *res, double threshold)
{
    double sum = 0.0;
    for (int c = 0; c < JF_CAT_COUNT; c++) {
        assert_true(res->prob[c] >= 0.0 && res->prob[c] <= 1.0);
        sum += res->prob[c];
    }
    assert_true(sum > 1.0 - 1e-9 && sum < 1.0 + 1e-9);
    assert_true(res->confidence >= 0.0 && res->confidence <= 1.0);
    assert_int_equal(res->top[0].category, res->category);
    assert_true(res->top[0].score == res->confidence);
    for (int t = 1; t < JF_TRIAGE_TOP; t++) {
        assert_true(res->top[t].score <= res->top[t - 1].score);
        assert_true(res->top[t].category != res->top[t - 1].category);
        assert_true(res->top[t].score == res->prob[res->top[t].category]);
    }
    for (int c = 0; c < JF_CAT_COUNT; c++)
        assert_true(res->prob[c] <= res->confidence);
    assert_int_equal(res->below_threshold, res->confidence < threshold);
}

static void test_result_invariants(void **state)
{
    static const char *const texts[] = {
        "",
        "，。！",
        "开会",
        "\xff\xfe\xc0\xaf不是UTF-8",
        "一天开了四个会，还要拍照留痕，群里打卡，填了三张表",
        "ＡＰＰ打卡！！！每天３次",
    };
    jf_triage_result res;
    (void)state;
    jf_triage_model *m = train_synthetic(JF_TRIAGE_MODEL_AUTO);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        for (double th = 0.0; th <= 1.0; th += 0.25) {
            assert_int_equal(jf_triage_classify(m, NULL, texts[i], strlen(texts[i]), th, &res),
                             JF_ERR_OK);
            check_invariants(&res, th);
            assert_int_equal(res.matched, 0);
        }
    }
    assert_int_equal(jf_triage_classify(m, NULL, "x", 1, 1.01, &res), JF_ERR_OK);
    assert_true(res.below_threshold);
    assert_int_equal(jf_triage_classify(m, NULL, "x", 1, 0.0, &res), JF_ERR_OK);
    assert_false(res.below_threshold);

    /* A text far longer than what is classified. */
    size_t big = 200000;
    char *long_text = malloc(big + 1);
    assert_non_null(long_text);
    for (size_t i = 0; i + 3 <= big; i += 3)
        memcpy(long_text + i, "会", 3);
    long_text[big - big % 3] = '\0';
    assert_int_equal(jf_triage_classify(m, NULL, long_text, strlen(long_text), 0.5, &res),
                     JF_ERR_OK);
    check_invariants(&res, 0.5);
    free(long_text);

    assert_int_equal(jf_triage_classify(NULL, NULL, "x", 1, 0.5, &res), JF_ERR_INVAL);
    assert_int_equal(jf_triage_classify(m, NULL, NULL, 1, 0.5, &res), JF_ERR_INVAL);
    assert_int_equal(jf_triage_classify(m, NULL, "x", 1, 0.5, NULL), JF_ERR_INVAL);
    assert_int_equal(jf_triage_classify(m, NULL, NULL, 0, 0.5, &res), JF_ERR_OK);
    jf_triage_model_free(m);
}

/* Traditional, full-width and punctuated spellings classify like the plain one. */
static void test_spelling_insensitive(void **state)
{
    jf_triage_result a, b;
    (void)state;
    jf_triage_model *m = train_synthetic(JF_TRIAGE_MODEL_AUTO);
    const char *plain = "村里反映一天开了四个会";
    const char *trad = "村裡反映，一天開了四個會！！";
    assert_int_equal(jf_triage_classify(m, NULL, plain, strlen(plain), 0.5, &a), JF_ERR_OK);
    assert_int_equal(jf_triage_classify(m, NULL, trad, strlen(trad), 0.5, &b), JF_ERR_OK);
    assert_int_equal(a.category, JF_CAT_MEETINGS);
    assert_int_equal(b.category, JF_CAT_MEETINGS);
    const char *fw = "政务ＡＰＰ每天打卡";
    assert_int_equal(jf_triage_classify(m, NULL, fw, strlen(fw), 0.5, &b), JF_ERR_OK);
    assert_int_equal(b.category, JF_CAT_APPS);
    jf_triage_model_free(m);
}

/* ---- the model file ------------------------------------------------------------------- */

static void temp_path(char *buf, size_t sz, const char *tag)
{
    snprintf(buf, sz, "/tmp/jf_test_classify_%ld_%s.bin", (long)getpid(), tag);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len > 0);
    rewind(f);
    unsigned char *p = malloc((size_t)len);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static void test_save_load_roundtrip(void **state)
{
    static const char *const texts[] = {
        "一天开了四个会",
        "请问社保怎么查询",
        "政务app每天打卡，还要截图",
        "入户拍照留痕，台账手抄",
        "",
    };
    char path[256], msg[512];
    jf_triage_model *loaded = NULL;
    jf_triage_model_info a, b;
    (void)state;
    for (int kind = JF_TRIAGE_MODEL_NB; kind <= JF_TRIAGE_MODEL_SVM; kind++) {
        jf_triage_model *m = train_synthetic((jf_triage_model_kind)kind);
        temp_path(path, sizeof path, "roundtrip");
        assert_int_equal(jf_triage_model_save(m, path, msg, sizeof msg), JF_ERR_OK);
        assert_int_equal(access(path, F_OK), 0);
        char tmp[300];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        assert_int_not_equal(access(tmp, F_OK), 0); /* renamed into place */
        assert_int_equal(jf_triage_model_load(path, &loaded, msg, sizeof msg), JF_ERR_OK);
        jf_triage_model_describe(m, &a);
        jf_triage_model_describe(loaded, &b);
        assert_memory_equal(&a, &b, sizeof a);
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            jf_triage_result r1, r2;
            assert_int_equal(jf_triage_classify(m, NULL, texts[i], strlen(texts[i]), 0.5, &r1),
                             JF_ERR_OK);
            assert_int_equal(
                jf_triage_classify(loaded, NULL, texts[i], strlen(texts[i]), 0.5, &r2),
                JF_ERR_OK);
            assert_memory_equal(r1.prob, r2.prob, sizeof r1.prob);
            assert_int_equal(r1.category, r2.category);
        }
        jf_triage_model_free(loaded);
        jf_triage_model_free(m);
        unlink(path);
    }
}

static void expect_refused(const char *path, jf_err want, const char *says)
{
    char msg[512] = "";
    jf_triage_model *m = (jf_triage_model *)msg;
    jf_err err = jf_triage_model_load(path, &m, msg, sizeof msg);
    assert_int_equal(err, want);
    assert_null(m);
    if (!strstr(msg, says))
        fail_msg("message '%s' does not say '%s'", msg, says);
}

static void test_corrupt_refused(void **state)
{
    char path[256], bad[256], msg[512];
    size_t n = 0;
    (void)state;
    jf_triage_model *m = train_synthetic(JF_TRIAGE_MODEL_LR);
    temp_path(path, sizeof path, "good");
    temp_path(bad, sizeof bad, "bad");
    assert_int_equal(jf_triage_model_save(m, path, msg, sizeof msg), JF_ERR_OK);
    jf_triage_model_free(m);
    unsigned char *good = read_bytes(path, &n);

    /* One flipped bit anywhere in the body. */
    size_t spots[] = {20, n / 2, n - 40};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        unsigned char *copy = malloc(n);
        memcpy(copy, good, n);
        copy[spots[i]] ^= 0x10;
        write_bytes(bad, copy, n);
        expect_refused(bad, JF_ERR_PARSE, "checksum");
        free(copy);
    }
    /* Truncated, at the end and in the header. */
    write_bytes(bad, good, n - 1);
    expect_refused(bad, JF_ERR_PARSE, "checksum");
    write_bytes(bad, good, 30);
    expect_refused(bad, JF_ERR_PARSE, "truncated");
    /* Not a model at all. */
    write_bytes(bad, "label\ttext\n", 11);
    expect_refused(bad, JF_ERR_PARSE, "not a jianfu classifier model");
    write_bytes(bad, "", 0);
    expect_refused(bad, JF_ERR_PARSE, "not a jianfu classifier model");
    /* Another format version (checked before the checksum, whose scope it may change). */
    {
        unsigned char *copy = malloc(n);
        memcpy(copy, good, n);
        copy[8] = 99;
        write_bytes(bad, copy, n);
        expect_refused(bad, JF_ERR_SCHEMA, "format version 99");
        free(copy);
    }
    /* A temperature outside what training can fit, with a valid checksum: a tiny one
     * would make every confidence NaN. */
    static const double temps[] = {1e-300, 0.05, 1e5};
    for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++) {
        m = train_synthetic(JF_TRIAGE_MODEL_LR);
        m->temperature = temps[i];
        assert_int_equal(jf_triage_model_save(m, bad, msg, sizeof msg), JF_ERR_OK);
        jf_triage_model_free(m);
        expect_refused(bad, JF_ERR_PARSE, "malformed");
    }
    /* Missing file. */
    unlink(bad);
    expect_refused(bad, JF_ERR_IO, "cannot open");
    /* A directory. */
    expect_refused("/tmp", JF_ERR_IO, "not a regular file");

    /* Saving where it cannot be written. */
    m = train_synthetic(JF_TRIAGE_MODEL_NB);
    assert_int_equal(jf_triage_model_save(m, "/nonexistent-dir/model.bin", msg, sizeof msg),
                     JF_ERR_IO);
    assert_non_null(strstr(msg, "cannot create"));
    jf_triage_model_free(m);
    free(good);
    unlink(path);
}

/* ---- rules ------------------------------------------------------------------------------ */

static jf_triage_rules *parse_rules(const char *text)
{
    jf_triage_rules *r = NULL;
    char msg[256];
    jf_err err = jf_triage_rules_parse(text, strlen(text), &r, msg, sizeof msg);
    if (err)
        fail_msg("rules did not parse: %s", msg);
    return r;
}

static void expect_rules_error(const char *text, const char *says)
{
    jf_triage_rules *r = (jf_triage_rules *)1;
    char msg[256] = "";
    assert_int_not_equal(jf_triage_rules_parse(text, strlen(text), &r, msg, sizeof msg),
                         JF_ERR_OK);
    assert_null(r);
    if (!strstr(msg, says))
        fail_msg("message '%s' does not say '%s'", msg, says);
}

static void test_rules_parse(void **state)
{
    (void)state;
    jf_triage_rules *r = parse_rules("# comment\n"
                                     "\n"
                                     "apps\t3\t打卡\r\n"
                                     "meetings\t2.5\t开会*拍照\n"
                                     "other\t-1\t请问\n"
                                     "forms\t+0.5\t填表");
    assert_int_equal(jf_triage_rules_count(r), 4);
    jf_triage_rules_free(r);
    r = parse_rules("");
    assert_int_equal(jf_triage_rules_count(r), 0);
    jf_triage_rules_free(r);
    assert_int_equal(jf_triage_rules_count(NULL), 0);
    jf_triage_rules_free(NULL);

    expect_rules_error("app\t1\t打卡\n", "line 1: unknown category 'app'");
    expect_rules_error("# x\napps\t1\n", "line 2: expected category<TAB>weight<TAB>pattern");
    expect_rules_error("apps 1 打卡\n", "line 1: expected");
    expect_rules_error("apps\tabc\t打卡\n", "line 1: weight must be");
    expect_rules_error("apps\t1e3\t打卡\n", "weight must be");
    expect_rules_error("apps\t25\t打卡\n", "weight must be");
    expect_rules_error("apps\t\t打卡\n", "weight must be");
    expect_rules_error("apps\t1\t！！，\n", "nothing to match");
    expect_rules_error("apps\t1\t★～\n", "nothing to match");
    expect_rules_error("apps\t1\t*\n", "nothing to match");
    expect_rules_error("apps\t1\t打卡\textra\n", "may not contain a TAB");
    expect_rules_error("apps\t1\ta*b*c*d*e*f*g*h*i\n", "more than 8 keywords");
}

static void test_rules_match(void **state)
{
    double adj[JF_CAT_COUNT] = {0};
    jf_triage_rule_hit hits[4];
    (void)state;
    jf_triage_rules *r = parse_rules("apps\t3\t打卡\n"
                                     "meetings\t2\t开会*拍照\n"
                                     "apps\t1\tＡＰＰ\n"
                                     "forms\t1\t報表\n"
                                     "vanity\t1\t完成#%\n");
    /* Rules match normalised text. */
    const char *t = "要求开会还要拍照 app打卡 报表 完成#";
    assert_int_equal(jf_triage_rules_apply(r, t, strlen(t), adj, hits, 4), 5);
    assert_string_equal(hits[0].pattern, "打卡");
    assert_int_equal(hits[0].category, JF_CAT_APPS);
    assert_true(hits[0].weight == 3.0);
    assert_string_equal(hits[1].pattern, "开会*拍照");
    assert_string_equal(hits[2].pattern, "ＡＰＰ");
    assert_string_equal(hits[3].pattern, "報表");
    assert_true(adj[JF_CAT_APPS] == 4.0);
    assert_true(adj[JF_CAT_MEETINGS] == 2.0);
    assert_true(adj[JF_CAT_FORMS] == 1.0);

    /* '*' keeps the order: photos before the meeting do not match. */
    memset(adj, 0, sizeof adj);
    t = "拍照 然后开会";
    assert_int_equal(jf_triage_rules_apply(r, t, strlen(t), adj, hits, 4), 0);
    /* A rule counts once however often its keyword occurs. */
    t = "打卡打卡打卡";
    assert_int_equal(jf_triage_rules_apply(r, t, strlen(t), adj, NULL, 0), 1);
    assert_true(adj[JF_CAT_APPS] == 3.0);
    /* Keywords at either end, the whole text, a text shorter than the keyword, and a
     * last byte that occurs before the keyword does. */
    jf_triage_rules *e = parse_rules("apps\t1\t打卡\nforms\t1\tab\n");
    static const char *const yes[] = {"打卡", "打卡了", "要打卡", "卡打卡", "xab", "aab"};
    static const char *const no[] = {"打", "卡打", "a", "ba", "打 卡", ""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_int_equal(jf_triage_rules_apply(e, yes[i], strlen(yes[i]), adj, NULL, 0), 1);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_int_equal(jf_triage_rules_apply(e, no[i], strlen(no[i]), adj, NULL, 0), 0);
    jf_triage_rules_free(e);
    /* Punctuation does not matter to rules: the pattern and the text are both in the
     * keyword form, where marks separate (the classifier's features keep them). */
    e = parse_rules("forms\t1\t填表、报数\n");
    char kw[64];
    size_t kwlen = 0;
    assert_int_equal(jf_triage_normalize_keywords(
                         "又要填表，报数！", strlen("又要填表，报数！"), kw, sizeof kw, &kwlen),
                     JF_ERR_OK);
    assert_string_equal(kw, "又要填表 报数");
    assert_int_equal(jf_triage_rules_apply(e, kw, kwlen, adj, NULL, 0), 1);
    jf_triage_rules_free(e);
    /* NULL rules: nothing. */
    assert_int_equal(jf_triage_rules_apply(NULL, t, strlen(t), adj, hits, 4), 0);
    jf_triage_rules_free(r);
}

static void test_rules_in_classify(void **state)
{
    char path[256], msg[256], rules[256];
    jf_triage_result plain, ruled;
    jf_triage_rules *r = NULL, *r2 = NULL;
    (void)state;
    jf_triage_model *m = train_synthetic(JF_TRIAGE_MODEL_AUTO);

    /* A message of which the model knows no n-gram: only the priors speak, and a rule
     * decides it. */
    const char *t = "钉钉述";
    assert_int_equal(jf_triage_classify(m, NULL, t, strlen(t), 0.5, &plain), JF_ERR_OK);
    assert_int_equal(plain.matched, 0);
    jf_triage_category want = (jf_triage_category)((plain.category + 1) % JF_CAT_COUNT);
    jf_triage_category down = (jf_triage_category)((plain.category + 2) % JF_CAT_COUNT);
    snprintf(rules, sizeof rules, "# coordinators' rules\n%s\t8\t钉钉*述\n%s\t-0.5\t述\n",
             jf_triage_category_code(want), jf_triage_category_code(down));
    temp_path(path, sizeof path, "rules");
    write_bytes(path, rules, strlen(rules));
    assert_int_equal(jf_triage_rules_load(path, &r, msg, sizeof msg), JF_ERR_OK);
    unlink(path);

    assert_int_equal(jf_triage_classify(m, r, t, strlen(t), 0.5, &ruled), JF_ERR_OK);
    assert_int_equal(ruled.category, want);
    assert_int_equal(ruled.matched, 2);
    assert_string_equal(ruled.hits[0].pattern, "钉钉*述");
    assert_int_equal(ruled.hits[0].category, want);
    assert_true(ruled.hits[0].weight == 8.0);
    assert_string_equal(ruled.hits[1].pattern, "述");
    assert_int_equal(ruled.hits[1].category, down);
    check_invariants(&ruled, 0.5);
    assert_true(ruled.prob[want] > plain.prob[want]);
    assert_true(ruled.prob[down] < plain.prob[down]);

    /* Even a message the model is sure of moves towards a rule's category. */
    const char *sure = "村里反映一天开了四个会，钉钉上述";
    assert_int_equal(jf_triage_classify(m, NULL, sure, strlen(sure), 0.5, &plain), JF_ERR_OK);
    assert_int_equal(jf_triage_classify(m, r, sure, strlen(sure), 0.5, &ruled), JF_ERR_OK);
    assert_int_equal(ruled.matched, 2);
    assert_true(ruled.prob[want] >= plain.prob[want]);

    assert_int_equal(jf_triage_rules_load("/nonexistent/rules.tsv", &r2, msg, sizeof msg),
                     JF_ERR_IO);
    assert_null(r2);
    const char *bad = "apps\t1\t打卡\nnope\t1\tx\n";
    write_bytes(path, bad, strlen(bad));
    assert_int_equal(jf_triage_rules_load(path, &r2, msg, sizeof msg), JF_ERR_PARSE);
    assert_null(r2);
    assert_non_null(strstr(msg, "line 2: unknown category 'nope'"));
    assert_non_null(strstr(msg, path));
    unlink(path);
    jf_triage_rules_free(r);
    jf_triage_model_free(m);
}

/* ---- threads ----------------------------------------------------------------------------- */

typedef struct {
    const jf_triage_model *m;
    const jf_triage_rules *r;
    jf_triage_category want[JF_CAT_COUNT * 3];
    double conf[JF_CAT_COUNT * 3];
    int failures;
} thread_job;

static void *classify_many(void *arg)
{
    thread_job *j = arg;
    char buf[256];
    for (int round = 0; round < 50; round++)
        for (int c = 0; c < JF_CAT_COUNT; c++)
            for (int p = 0; p < 3; p++) {
                jf_triage_result res;
                test_message(buf, sizeof buf, c, p);
                if (jf_triage_classify(j->m, j->r, buf, strlen(buf), 0.5, &res) ||
                    res.category != j->want[c * 3 + p] || res.confidence != j->conf[c * 3 + p])
                    j->failures++;
            }
    return NULL;
}

static void test_threads(void **state)
{
    thread_job jobs[4];
    pthread_t th[4];
    char buf[256];
    (void)state;
    jf_triage_model *m = train_synthetic(JF_TRIAGE_MODEL_AUTO);
    jf_triage_rules *r = parse_rules("apps\t1\t打卡\n");
    memset(jobs, 0, sizeof jobs);
    for (int c = 0; c < JF_CAT_COUNT; c++)
        for (int p = 0; p < 3; p++) {
            jf_triage_result res;
            test_message(buf, sizeof buf, c, p);
            assert_int_equal(jf_triage_classify(m, r, buf, strlen(buf), 0.5, &res), JF_ERR_OK);
            for (int t = 0; t < 4; t++) {
                jobs[t].want[c * 3 + p] = res.category;
                jobs[t].conf[c * 3 + p] = res.confidence;
            }
        }
    for (int t = 0; t < 4; t++) {
        jobs[t].m = m;
        jobs[t].r = r;
        assert_int_equal(pthread_create(&th[t], NULL, classify_many, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(jobs[t].failures, 0);
    }
    jf_triage_rules_free(r);
    jf_triage_model_free(m);
}

/* ---- training data and evaluation -------------------------------------------------------- */

static void test_examples_tsv(void **state)
{
    char path[256], msg[512];
    jf_triage_examples set;
    (void)state;
    temp_path(path, sizeof path, "corpus");
    const char *good = "label\ttext\tnote\n"
                       "# a comment\n"
                       "\n"
                       "meetings\t一天开四个会\t2024规定第5条\r\n"
                       "apps\t每天打卡\n"
                       "other\t请问几点开会\tnote\textra field\n"
                       "apps\t群里截图打卡\t2023指尖意见 mixed: apps+traces 截图\n"
                       "apps\t群里接龙\tmixed: traces+apps (label not first)\n"
                       "apps\t群里点赞\tmixed: apps+nonsense\n";
    write_bytes(path, good, strlen(good));
    jf_triage_examples_init(&set);
    assert_int_equal(jf_triage_examples_load_tsv(&set, path, msg, sizeof msg), JF_ERR_OK);
    assert_int_equal(set.n, 6);
    assert_int_equal(set.items[0].label, JF_CAT_MEETINGS);
    assert_string_equal(set.items[0].text, "一天开四个会");
    assert_string_equal(set.items[1].text, "每天打卡");
    assert_int_equal(set.items[2].label, JF_CAT_OTHER);
    assert_string_equal(set.items[2].text, "请问几点开会");
    /* "mixed: LABEL+OTHER" in the note names the second category; a marker whose first
     * code is not the label, or whose second is not a category, is ignored. */
    assert_false(set.items[0].has_also);
    assert_true(set.items[3].has_also);
    assert_int_equal(set.items[3].also, JF_CAT_TRACES);
    assert_false(set.items[4].has_also);
    assert_false(set.items[5].has_also);

    /* A bad line fails the whole file and leaves the set as it was. */
    const char *bad = "apps\t打卡\nmeeting\t开会\n";
    write_bytes(path, bad, strlen(bad));
    assert_int_equal(jf_triage_examples_load_tsv(&set, path, msg, sizeof msg), JF_ERR_PARSE);
    assert_non_null(strstr(msg, ":2: unknown category 'meeting'"));
    assert_int_equal(set.n, 6);
    write_bytes(path, "apps 打卡\n", strlen("apps 打卡\n"));
    assert_int_equal(jf_triage_examples_load_tsv(&set, path, msg, sizeof msg), JF_ERR_PARSE);
    assert_non_null(strstr(msg, ":1: expected label<TAB>text"));
    write_bytes(path, "apps\t\tnote\n", strlen("apps\t\tnote\n"));
    assert_int_equal(jf_triage_examples_load_tsv(&set, path, msg, sizeof msg), JF_ERR_PARSE);
    assert_non_null(strstr(msg, ":1: empty text"));
    unlink(path);
    assert_int_equal(jf_triage_examples_load_tsv(&set, path, msg, sizeof msg), JF_ERR_IO);
    assert_int_equal(set.n, 6);

    assert_int_equal(jf_triage_examples_add(&set, JF_CAT_COUNT, "x", 1), JF_ERR_INVAL);
    assert_int_equal(jf_triage_examples_add(&set, JF_CAT_APPS, "", 0), JF_ERR_INVAL);
    assert_int_equal(jf_triage_examples_add(&set, JF_CAT_APPS, "x", JF_TRIAGE_MAX_TEXT + 1),
                     JF_ERR_TOOBIG);
    assert_int_equal(set.n, 6);
    jf_triage_examples_free(&set);
    assert_int_equal(set.n, 0);
}

/* Training shifts `other` down until its cross-validated precision reaches the target:
 * not at all when `other` is easy to tell apart, and below 0 when many complaints read
 * like "not a complaint" (here every third meetings message is worded exactly like an
 * `other` one). */
static void test_other_shift(void **state)
{
    static const char *const fill[] = {"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"};
    jf_triage_examples set;
    jf_triage_model *m = NULL;
    jf_triage_model_info info;
    char text[128];
    (void)state;

    m = train_synthetic(JF_TRIAGE_MODEL_LR);
    jf_triage_model_describe(m, &info);
    assert_true(info.other_shift == 0.0);
    jf_triage_model_free(m);

    jf_triage_examples_init(&set);
    for (int i = 0; i < 64; i++) {
        const char *a = fill[i % 8], *b = fill[(i / 8) % 8];
        snprintf(text, sizeof text, "你好请问%s%s一下", a, b);
        assert_int_equal(jf_triage_examples_add(&set, JF_CAT_OTHER, text, strlen(text)),
                         JF_ERR_OK);
        if (i % 3 == 0) /* word for word like the `other` message */
            snprintf(text, sizeof text, "你好请问%s%s一下", a, b);
        else
            snprintf(text, sizeof text, "又开会%s%s陪会", a, b);
        assert_int_equal(jf_triage_examples_add(&set, JF_CAT_MEETINGS, text, strlen(text)),
                         JF_ERR_OK);
    }
    jf_triage_train_opts o;
    jf_triage_train_opts_default(&o);
    o.kind = JF_TRIAGE_MODEL_LR;
    assert_int_equal(jf_triage_model_train(set.items, set.n, &o, &m), JF_ERR_OK);
    jf_triage_model_describe(m, &info);
    print_message("other shift on the ambiguous set: %.2f\n", info.other_shift);
    assert_true(info.other_shift < 0.0);
    assert_true(info.other_shift >= -4.0);
    jf_triage_model_free(m);
    jf_triage_examples_free(&set);
}

static void test_eval_and_cv(void **state)
{
    jf_triage_examples set;
    jf_triage_report rep;
    jf_triage_train_opts o;
    (void)state;
    jf_triage_model *m = train_synthetic(JF_TRIAGE_MODEL_AUTO);
    make_synthetic(&set, 6);
    assert_int_equal(jf_triage_eval(m, NULL, set.items, set.n, 0.5, &rep), JF_ERR_OK);
    assert_int_equal(rep.n, set.n);
    assert_true(rep.accuracy > 0.95);
    size_t total = 0, diag = 0, binned = 0;
    for (int g = 0; g < JF_CAT_COUNT; g++) {
        assert_int_equal(rep.support[g], 18);
        for (int c = 0; c < JF_CAT_COUNT; c++)
            total += rep.confusion[g][c];
        diag += rep.confusion[g][g];
    }
    for (int b = 0; b < JF_TRIAGE_CALIB_BINS; b++)
        binned += rep.bin_n[b];
    assert_int_equal(total, set.n);
    assert_int_equal(diag, rep.correct);
    assert_int_equal(binned, set.n);
    assert_true(rep.ece >= 0.0 && rep.ece <= 1.0);
    jf_triage_model_free(m);

    jf_triage_train_opts_default(&o);
    o.hash_bits = 16;
    assert_int_equal(jf_triage_cross_validate(set.items, set.n, 3, &o, 0.5, &rep), JF_ERR_OK);
    assert_int_equal(rep.n, set.n);
    assert_true(rep.accuracy > 0.9);
    assert_int_equal(jf_triage_cross_validate(set.items, set.n, 1, &o, 0.5, &rep),
                     JF_ERR_INVAL);
    assert_int_equal(jf_triage_cross_validate(set.items, 2, 3, &o, 0.5, &rep), JF_ERR_INVAL);

    /* Report arithmetic on a hand-made case: 2 meetings right, 1 meeting called other,
     * 1 other right. */
    jf_triage_result res;
    memset(&res, 0, sizeof res);
    jf_triage_report_init(&rep, 0.5);
    res.category = JF_CAT_MEETINGS;
    res.confidence = res.prob[JF_CAT_MEETINGS] = 0.9;
    jf_triage_report_add(&rep, JF_CAT_MEETINGS, &res);
    jf_triage_report_add(&rep, JF_CAT_MEETINGS, &res);
    res.category = JF_CAT_OTHER;
    res.prob[JF_CAT_MEETINGS] = 0.4;
    res.confidence = res.prob[JF_CAT_OTHER] = 0.6;
    jf_triage_report_add(&rep, JF_CAT_MEETINGS, &res);
    jf_triage_report_add(&rep, JF_CAT_OTHER, &res);
    jf_triage_report_finish(&rep);
    assert_int_equal(rep.n, 4);
    assert_int_equal(rep.correct, 3);
    assert_true(rep.precision[JF_CAT_MEETINGS] == 1.0);
    assert_true(rep.recall[JF_CAT_MEETINGS] > 0.666 && rep.recall[JF_CAT_MEETINGS] < 0.667);
    assert_true(rep.precision[JF_CAT_OTHER] == 0.5);
    assert_true(rep.recall[JF_CAT_OTHER] == 1.0);
    assert_int_equal(rep.confusion[JF_CAT_MEETINGS][JF_CAT_OTHER], 1);
    assert_int_equal(rep.below, 0);
    assert_int_equal(rep.mixed, 0);

    /* A mixed example (meetings, also apps) predicted as its label, as its second category
     * and as neither; then the same text without the second category. */
    jf_triage_example mx = {
        .label = JF_CAT_MEETINGS, .text = "", .has_also = true, .also = JF_CAT_APPS};
    jf_triage_report_init(&rep, 0.5);
    const jf_triage_category predicted[] = {JF_CAT_MEETINGS, JF_CAT_APPS, JF_CAT_OTHER};
    for (size_t i = 0; i < sizeof predicted / sizeof predicted[0]; i++) {
        res.category = predicted[i];
        jf_triage_report_add_example(&rep, &mx, &res);
    }
    mx.has_also = false;
    res.category = JF_CAT_APPS;
    jf_triage_report_add_example(&rep, &mx, &res);
    jf_triage_report_finish(&rep);
    assert_int_equal(rep.n, 4);
    assert_int_equal(rep.correct, 1);
    assert_int_equal(rep.mixed, 3);
    assert_int_equal(rep.mixed_correct, 1);
    assert_int_equal(rep.mixed_either, 2);
    jf_triage_examples_free(&set);
}

/* The SVMs learn a mixed example (A+B) as both: trained with six lines of a new phrase
 * marked meetings + apps besides the synthetic set, the phrase is meetings first and apps
 * second, and apps is more probable for it than when the same lines carry no second
 * category. */
static void test_svm_mixed(void **state)
{
    static const char *const mixed[] = {
        "周末连开三个视频会全员在线签到", "视频会开到深夜还要全员在线签到",
        "天天视频会，全员在线签到截图",   "一上午三个视频会，全员在线签到",
        "视频会又要全员在线签到",         "全员在线签到的视频会又来了"};
    const char *probe = "今天的视频会也要全员在线签到";
    double p_apps[2];
    (void)state;
    for (int with_also = 1; with_also >= 0; with_also--) {
        jf_triage_examples set;
        jf_triage_train_opts o;
        jf_triage_model *m = NULL;
        jf_triage_result res;
        make_synthetic(&set, 6);
        for (size_t i = 0; i < sizeof mixed / sizeof mixed[0]; i++) {
            assert_int_equal(
                jf_triage_examples_add(&set, JF_CAT_MEETINGS, mixed[i], strlen(mixed[i])),
                JF_ERR_OK);
            set.items[set.n - 1].has_also = with_also;
            set.items[set.n - 1].also = JF_CAT_APPS;
        }
        jf_triage_train_opts_default(&o);
        o.kind = JF_TRIAGE_MODEL_SVM;
        o.hash_bits = 16;
        assert_int_equal(jf_triage_model_train(set.items, set.n, &o, &m), JF_ERR_OK);
        assert_int_equal(jf_triage_classify(m, NULL, probe, strlen(probe), 0.5, &res),
                         JF_ERR_OK);
        assert_int_equal(res.top[0].category, JF_CAT_MEETINGS);
        if (with_also)
            assert_int_equal(res.top[1].category, JF_CAT_APPS);
        p_apps[with_also] = res.prob[JF_CAT_APPS];
        jf_triage_model_free(m);
        jf_triage_examples_free(&set);
    }
    if (!(p_apps[1] > p_apps[0]))
        fail_msg("apps %.4f with the second category, %.4f without", p_apps[1], p_apps[0]);
}

/* ---- the bar of issue 4 on the shipped corpus ----------------------------------------- */

/* The corpus lives in the source tree; the tests run in tests/unit, but the path is taken
 * from this file's own so it does not depend on that. */
static void corpus_path(char *buf, size_t sz)
{
    const char *self = __FILE__;
    const char *cut = strstr(self, "tests/unit/test_triage_classify.c");
    int prefix = cut ? (int)(cut - self) : 0;
    snprintf(buf, sz, "%.*s%striage/data/corpus.tsv", prefix, self, cut ? "" : "../../");
}

/* Train on the shipped corpus minus a fixed slice (every fifth example, 20%), classify the
 * slice with no rules, and check the figures issue 4 asks about: accuracy and the
 * precision of `other` (a complaint must not be discarded as noise).
 *
 * The issue's bar is accuracy >= 0.85 and `other` precision >= 0.90, and both are asserted.
 * On the corpus as shipped (6 260 lines, each labelled twice) this slice gives 0.863 and
 * 0.928 (10-fold cross-validation over the whole corpus: 0.854 and 0.929). */
#define BAR_ACCURACY 0.85
#define BAR_OTHER_PRECISION 0.90
static void test_corpus_heldout(void **state)
{
    char path[1024], msg[512];
    jf_triage_examples set;
    jf_triage_model *m = NULL;
    jf_triage_report rep;
    (void)state;
    corpus_path(path, sizeof path);
    if (access(path, R_OK) != 0) {
        print_message("corpus %s not found; skipping the held-out test\n", path);
        skip();
    }
    jf_triage_examples_init(&set);
    if (jf_triage_examples_load_tsv(&set, path, msg, sizeof msg))
        fail_msg("%s", msg);
    assert_true(set.n >= 600);
    jf_triage_example *train = malloc(set.n * sizeof *train);
    jf_triage_example *test = malloc(set.n * sizeof *test);
    assert_non_null(train);
    assert_non_null(test);
    size_t ntrain = 0, ntest = 0;
    for (size_t i = 0; i < set.n; i++) {
        if (i % 5 == 0)
            test[ntest++] = set.items[i];
        else
            train[ntrain++] = set.items[i];
    }
    assert_int_equal(jf_triage_model_train(train, ntrain, NULL, &m), JF_ERR_OK);
    assert_int_equal(jf_triage_eval(m, NULL, test, ntest, JF_TRIAGE_DEFAULT_THRESHOLD, &rep),
                     JF_ERR_OK);
    print_message("held-out slice: %zu examples, accuracy %.4f, other precision %.4f recall "
                  "%.4f, macro-F1 %.4f (issue 4 bar: accuracy %.2f, other precision %.2f: "
                  "%s)\n",
                  rep.n, rep.accuracy, rep.precision[JF_CAT_OTHER], rep.recall[JF_CAT_OTHER],
                  rep.macro_f1, BAR_ACCURACY, BAR_OTHER_PRECISION,
                  rep.accuracy >= BAR_ACCURACY &&
                          rep.precision[JF_CAT_OTHER] >= BAR_OTHER_PRECISION
                      ? "met"
                      : "NOT met");
    if (rep.mixed)
        print_message("of them mixed: %zu, label right %.4f, label or second category %.4f\n",
                      rep.mixed, (double)rep.mixed_correct / (double)rep.mixed,
                      (double)rep.mixed_either / (double)rep.mixed);
    assert_true(rep.accuracy >= BAR_ACCURACY);
    assert_true(rep.precision[JF_CAT_OTHER] >= BAR_OTHER_PRECISION);
    jf_triage_model_free(m);
    free(train);
    free(test);
    jf_triage_examples_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_hash_stability),
        cmocka_unit_test(test_train_synthetic),
        cmocka_unit_test(test_svm_mixed),
        cmocka_unit_test(test_train_invalid),
        cmocka_unit_test(test_result_invariants),
        cmocka_unit_test(test_spelling_insensitive),
        cmocka_unit_test(test_save_load_roundtrip),
        cmocka_unit_test(test_corrupt_refused),
        cmocka_unit_test(test_rules_parse),
        cmocka_unit_test(test_rules_match),
        cmocka_unit_test(test_rules_in_classify),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_examples_tsv),
        cmocka_unit_test(test_eval_and_cv),
        cmocka_unit_test(test_other_shift),
        cmocka_unit_test(test_corpus_heldout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
