/* admin.h - administration writes: departments and users.
 *
 * Each function runs its own transaction on a connection the caller owns. Messages meant
 * for the operator (a duplicate code, an unknown department) go to errbuf.
 */
#ifndef JF_STORE_ADMIN_H
#define JF_STORE_ADMIN_H

#include <libpq-fe.h>
#include <stddef.h>

#include "core/err.h"

/* jf_store_dept_add - create department code/name with aliases (naliases may be 0), and,
 * when parent_code is not NULL, under that department. JF_ERR_EXISTS when the code or an
 * alias is taken, JF_ERR_NOTFOUND for an unknown parent, JF_ERR_INVAL for a code or name
 * the schema refuses. */
jf_err jf_store_dept_add(PGconn *conn, const char *code, const char *name,
                         const char *parent_code, const char *const *aliases, int naliases,
                         char *errbuf, size_t errsz) JF_WUR;

/* jf_store_dept_notify - set (kind "wecom_robot" or "dingtalk_robot", url, secret may be
 * NULL) or, with kind NULL, remove the group robot department code is notified through;
 * triage: whether it is told about every new complaint in the triage queue. */
jf_err jf_store_dept_notify(PGconn *conn, const char *code, const char *kind, const char *url,
                            const char *secret, int triage, char *errbuf, size_t errsz) JF_WUR;

/* jf_store_user_add - create a user with an already-hashed password. dept_code may be NULL
 * except for liaisons. JF_ERR_EXISTS for a taken login, JF_ERR_NOTFOUND for an unknown
 * department, JF_ERR_INVAL when the role and department do not fit together. */
jf_err jf_store_user_add(PGconn *conn, const char *login, const char *role,
                         const char *dept_code, const char *password_hash, char *errbuf,
                         size_t errsz) JF_WUR;

#endif
