/* err.c - messages for the jf_err codes, generated from JF_ERR_MAP. */
#include "err.h"

const char *jf_strerror(jf_err err)
{
    switch (err) {
#define JF_ERR_MSG(name, value, msg)                                                           \
    case JF_ERR_##name:                                                                        \
        return msg;
        JF_ERR_MAP(JF_ERR_MSG)
#undef JF_ERR_MSG
    }
    return "unknown error";
}

const char *jf_errname(jf_err err)
{
    switch (err) {
#define JF_ERR_NAME(name, value, msg)                                                          \
    case JF_ERR_##name:                                                                        \
        return #name;
        JF_ERR_MAP(JF_ERR_NAME)
#undef JF_ERR_NAME
    }
    return "UNKNOWN";
}
