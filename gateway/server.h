/* server.h - `jianfu serve`: the HTTP server, its routes and its background workers.
 *
 * The server owns one libmicrohttpd daemon (internal polling threads, epoll), the intake
 * committers and a readiness checker. Webhook requests that must wait for a commit are
 * suspended, not blocked: the committer thread resumes them, so one slow commit never
 * stalls unrelated connections.
 */
#ifndef JF_GATEWAY_SERVER_H
#define JF_GATEWAY_SERVER_H

#include "core/config.h"
#include "core/err.h"
#include "privacy/keyring.h"

typedef struct jf_server jf_server;

/* jf_gateway_server_start - start listening per cfg (borrowed, must outlive the server)
 * with keyring kr (borrowed likewise). */
jf_err jf_gateway_server_start(const jf_config *cfg, const jf_keyring *kr, jf_server **out,
                               char *errbuf, size_t errsz) JF_WUR;

/* jf_gateway_server_shutdown - stop accepting, let in-flight requests finish (up to the
 * configured grace period), stop the workers and free the server. */
void jf_gateway_server_shutdown(jf_server *srv);

#endif
