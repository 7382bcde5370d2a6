/* category.h - the complaint categories of design.md, in one static table.
 *
 * The codes are part of the interface contract (design.md, "Category codes"): they appear
 * in `jianfu classify` output, in the database and in saved classifier models, so they are
 * never renamed; a new category is appended before JF_CAT_OTHER only together with a new
 * model format. The enum order is the table order and the order of every per-category
 * array in the classifier. Pure functions over constant data, thread-safe.
 */
#ifndef JF_TRIAGE_CATEGORY_H
#define JF_TRIAGE_CATEGORY_H

#include <stddef.h>

#include "core/err.h"

typedef enum {
    JF_CAT_DOCUMENTS,   /* 文件 */
    JF_CAT_MEETINGS,    /* 会议 */
    JF_CAT_INSPECTIONS, /* 督查检查考核 */
    JF_CAT_TRACES,      /* 过度留痕 */
    JF_CAT_FORMS,       /* 填表报数 */
    JF_CAT_APPS,        /* 政务App与工作群 */
    JF_CAT_SECONDMENT,  /* 借调 */
    JF_CAT_DUTIES,      /* 属地管理/权责转嫁 */
    JF_CAT_CAMPAIGNS,   /* 创建示范/评比达标/挂牌 */
    JF_CAT_VANITY,      /* 政绩工程/数据造假 */
    JF_CAT_OTHER,       /* 其他: not a burden complaint */
    JF_CAT_COUNT
} jf_triage_category;

/* Longest code, without its NUL ("inspections"). */
#define JF_CAT_CODE_MAX 11

/* jf_triage_category_code - the ASCII code of c ("meetings"), a static string; NULL when
 * c is not a category. */
const char *jf_triage_category_code(jf_triage_category c);

/* jf_triage_category_name - the Chinese name of c (会议), a static UTF-8 string; NULL when
 * c is not a category. */
const char *jf_triage_category_name(jf_triage_category c);

/* jf_triage_category_parse - the category whose code is the len bytes at code (exact,
 * case-sensitive: codes are lower case). JF_ERR_NOTFOUND otherwise, and *out is not
 * written. */
jf_err jf_triage_category_parse(const char *code, size_t len, jf_triage_category *out) JF_WUR;

#endif
