/* err.h - the one error type of jianfu: 0 is success, negative values are errors.
 *
 * Every fallible function returns jf_err. The codes and their messages come from one
 * X-macro so that a code cannot exist without a message. Messages are written for an
 * operator reading a log line and never contain request data.
 */
#ifndef JF_CORE_ERR_H
#define JF_CORE_ERR_H

#define JF_ERR_MAP(X)                                                                          \
    X(OK, 0, "success")                                                                        \
    X(NOMEM, -1, "out of memory")                                                              \
    X(INVAL, -2, "invalid argument")                                                           \
    X(TOOBIG, -3, "input exceeds its size limit")                                              \
    X(IO, -4, "input/output error")                                                            \
    X(PARSE, -5, "malformed input")                                                            \
    X(CRYPTO, -6, "cryptographic operation failed")                                            \
    X(AUTH, -7, "authentication failed")                                                       \
    X(NOTFOUND, -8, "not found")                                                               \
    X(EXISTS, -9, "already exists")                                                            \
    X(DB, -10, "database error")                                                               \
    X(DB_UNAVAILABLE, -11, "database unavailable")                                             \
    X(SCHEMA, -12, "database schema does not match this binary")                               \
    X(CONFIG, -13, "configuration error")                                                      \
    X(RANGE, -14, "value out of range")                                                        \
    X(SHUTDOWN, -15, "shutting down")                                                          \
    X(BUSY, -16, "too many requests in flight")

typedef enum {
#define JF_ERR_ENUM(name, value, msg) JF_ERR_##name = (value),
    JF_ERR_MAP(JF_ERR_ENUM)
#undef JF_ERR_ENUM
} jf_err_code;

/* A jf_err is an int so that it can carry any code from JF_ERR_MAP. */
typedef int jf_err;

#define JF_WUR __attribute__((warn_unused_result))

/* jf_strerror - the static, human-readable message for err; never NULL. Thread-safe. */
const char *jf_strerror(jf_err err);

/* jf_errname - the symbolic name ("DB_UNAVAILABLE") for err; never NULL. Thread-safe. */
const char *jf_errname(jf_err err);

#endif
