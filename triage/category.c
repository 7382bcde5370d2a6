/* category.c - the table of complaint categories. */
#include "triage/category.h"

#include <string.h>

typedef struct {
    const char *code;
    const char *name;
} category_row;

/* Indexed by jf_triage_category; the codes and names are those of design.md. */
static const category_row categories[JF_CAT_COUNT] = {
    [JF_CAT_DOCUMENTS] = {"documents", "文件"},
    [JF_CAT_MEETINGS] = {"meetings", "会议"},
    [JF_CAT_INSPECTIONS] = {"inspections", "督查检查考核"},
    [JF_CAT_TRACES] = {"traces", "过度留痕"},
    [JF_CAT_FORMS] = {"forms", "填表报数"},
    [JF_CAT_APPS] = {"apps", "政务App与工作群"},
    [JF_CAT_SECONDMENT] = {"secondment", "借调"},
    [JF_CAT_DUTIES] = {"duties", "属地管理/权责转嫁"},
    [JF_CAT_CAMPAIGNS] = {"campaigns", "创建示范/评比达标/挂牌"},
    [JF_CAT_VANITY] = {"vanity", "政绩工程/数据造假"},
    [JF_CAT_OTHER] = {"other", "其他"},
};

const char *jf_triage_category_code(jf_triage_category c)
{
    if ((unsigned)c >= JF_CAT_COUNT)
        return NULL;
    return categories[c].code;
}

const char *jf_triage_category_name(jf_triage_category c)
{
    if ((unsigned)c >= JF_CAT_COUNT)
        return NULL;
    return categories[c].name;
}

jf_err jf_triage_category_parse(const char *code, size_t len, jf_triage_category *out)
{
    if (!code)
        return JF_ERR_NOTFOUND;
    for (unsigned i = 0; i < JF_CAT_COUNT; i++) {
        if (strlen(categories[i].code) == len && memcmp(categories[i].code, code, len) == 0) {
            *out = (jf_triage_category)i;
            return JF_ERR_OK;
        }
    }
    return JF_ERR_NOTFOUND;
}
