/* http_client.h - performing the outbound HTTP requests adapters build, with libcurl.
 *
 * Every call has a connect timeout and a total timeout, follows no redirects, speaks only
 * HTTP and HTTPS, and reads at most JF_HTTP_MAX_RESPONSE bytes of the answer. URLs and
 * bodies can hold a reporter's address, so nothing of them is ever logged; transport
 * errors are reported with libcurl's generic message only. Thread-safe (one easy handle
 * per call) once curl_global_init has run.
 */
#ifndef JF_GATEWAY_HTTP_CLIENT_H
#define JF_GATEWAY_HTTP_CLIENT_H

#include "core/buf.h"
#include "core/err.h"
#include "webhook/adapter.h"

#define JF_HTTP_MAX_RESPONSE (64 * 1024)
#define JF_HTTP_CONNECT_TIMEOUT_MS 5000

typedef struct {
    long status;          /* 0 when no answer arrived */
    char retry_after[32]; /* the Retry-After header, "" when absent */
    jf_buf body;          /* bounded by JF_HTTP_MAX_RESPONSE; caller frees */
    char error[128];      /* transport error when status is 0 */
} jf_http_response;

/* jf_gateway_http_perform - send req, giving up after timeout_ms in all (connecting takes
 * at most JF_HTTP_CONNECT_TIMEOUT_MS of it); JF_ERR_OK when an HTTP answer (any status) came
 * back, JF_ERR_IO on a transport failure or timeout (res->error says which). res is
 * initialised here; free its body with jf_buf_free. */
jf_err jf_gateway_http_perform(const jf_webhook_http *req, long timeout_ms,
                               jf_http_response *res) JF_WUR;

#endif
