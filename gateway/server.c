/* server.c - HTTP server of `jianfu serve`: routes, request lifecycle, webhook intake. */
#include "gateway/server_internal.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "gateway/channels.h"
#include "store/db.h"
#include "store/intake.h"
#include "store/migrate.h"
#include "webhook/adapter.h"

/* Seconds a provider is asked to wait before retrying when we cannot store. */
#define RETRY_AFTER "5"
/* Memory libmicrohttpd gives each connection for its headers and read buffer; bodies are
 * streamed into our own bounded buffer, so this stays small (it is cleared per request). */
#define CONNECTION_MEMORY (16 * 1024)
/* How often the readiness checker looks at the database, in milliseconds. */
#define READY_INTERVAL_MS 1000

/* ---- responses ---------------------------------------------------------------------- */

enum MHD_Result jf_gateway_respond(struct MHD_Connection *conn, unsigned status,
                                   const char *content_type, const char *body, size_t len,
                                   bool retry_after)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (retry_after)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, RETRY_AFTER);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A plain-text error a person can act on; the message never contains request data. */
enum MHD_Result jf_gateway_respond_text(struct MHD_Connection *conn, unsigned status,
                                        const char *msg)
{
    char body[512];
    int n = snprintf(body, sizeof body, "%s\n", msg);
    return jf_gateway_respond(conn, status, "text/plain; charset=utf-8", body,
                              n < 0                      ? 0
                              : (size_t)n >= sizeof body ? sizeof body - 1
                                                         : (size_t)n,
                              status == MHD_HTTP_SERVICE_UNAVAILABLE);
}

enum MHD_Result jf_gateway_respond_reply(struct MHD_Connection *conn, const jf_webhook_reply *r)
{
    return jf_gateway_respond(conn, r->status, r->content_type ? r->content_type : "text/plain",
                              r->body.data ? r->body.data : "", r->body.len,
                              r->status == MHD_HTTP_SERVICE_UNAVAILABLE);
}

/* ---- health and readiness ------------------------------------------------------------ */

static enum MHD_Result handle_healthz(jf_server *srv, jf_request *r)
{
    (void)srv;
    static const char body[] = "{\"status\":\"alive\"}\n";
    return jf_gateway_respond(r->conn, MHD_HTTP_OK, "application/json", body, sizeof body - 1,
                              false);
}

static enum MHD_Result handle_readyz(jf_server *srv, jf_request *r)
{
    char body[512];
    pthread_mutex_lock(&srv->ready_lock);
    bool ready = srv->ready;
    char why[sizeof srv->ready_why];
    memcpy(why, srv->ready_why, sizeof why);
    pthread_mutex_unlock(&srv->ready_lock);
    for (char *p = why; *p; p++)
        if (*p == '"' || *p == '\\')
            *p = '\'';
    int n = ready ? snprintf(body, sizeof body, "{\"status\":\"ready\",\"schema\":%d}\n",
                             jf_store_schema_target())
                  : snprintf(body, sizeof body,
                             "{\"status\":\"not ready\",\"reason\":\"%s\"}\n", why);
    if (n < 0 || (size_t)n >= sizeof body)
        n = 0;
    return jf_gateway_respond(r->conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                              "application/json", body, (size_t)n, !ready);
}

/* The readiness checker keeps one connection and asks, every READY_INTERVAL_MS, whether
 * the database answers and its schema matches this binary. /readyz reads the verdict
 * without touching the database, so probes cannot pile up connections. */
static void *ready_main(void *arg)
{
    jf_server *srv = arg;
    PGconn *conn = NULL;
    bool was_ready = true;

    for (;;) {
        char why[256] = "";
        jf_err err = JF_ERR_OK;
        if (conn && PQstatus(conn) != CONNECTION_OK) {
            PQfinish(conn);
            conn = NULL;
        }
        if (!conn)
            err = jf_store_connect(srv->cfg->database_url, &conn, why, sizeof why);
        if (!err)
            err = jf_store_schema_check(conn, why, sizeof why);
        if (err == JF_ERR_DB_UNAVAILABLE || (err && err != JF_ERR_SCHEMA))
            snprintf(why, sizeof why, "database unreachable");
        if (err && conn && PQstatus(conn) != CONNECTION_OK) {
            PQfinish(conn);
            conn = NULL;
        }
        if (!err != was_ready) {
            if (err)
                jf_log_warn("ready.lost", "reason=\"%s\"", why);
            else
                jf_log_info("ready.ok", "schema=%d", jf_store_schema_target());
            was_ready = !err;
        }

        pthread_mutex_lock(&srv->ready_lock);
        srv->ready = !err;
        snprintf(srv->ready_why, sizeof srv->ready_why, "%s", why);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)READY_INTERVAL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!srv->ready_stop &&
               pthread_cond_timedwait(&srv->ready_wake, &srv->ready_lock, &until) == 0)
            ;
        bool stop = srv->ready_stop;
        pthread_mutex_unlock(&srv->ready_lock);
        if (stop)
            break;
    }
    PQfinish(conn);
    return NULL;
}

/* ---- webhook intake -------------------------------------------------------------------- */

/* Split "/webhooks/<kind>[/<name>]" of the raw URI (query excluded) into kind and name. */
static bool parse_webhook_path(const char *uri, char *kind, size_t ksz, char *name, size_t nsz)
{
    static const char prefix[] = "/webhooks/";
    if (strncmp(uri, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *p = uri + sizeof prefix - 1;
    size_t plen = strcspn(p, "?");
    const char *slash = memchr(p, '/', plen);
    size_t klen = slash ? (size_t)(slash - p) : plen;
    size_t nlen = slash ? plen - klen - 1 : 0;
    if (klen == 0 || klen >= ksz || nlen >= nsz || (slash && nlen == 0))
        return false;
    memcpy(kind, p, klen);
    kind[klen] = '\0';
    if (slash)
        memcpy(name, slash + 1, nlen);
    name[slash ? nlen : 0] = '\0';
    if (!slash)
        snprintf(name, nsz, "default");
    for (const char *c = kind; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
            return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
            return false;
    return true;
}

/* ---- routing ------------------------------------------------------------------------ */

typedef enum { ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_WEBHOOK } route_id;

typedef struct {
    const char *method;
    const char *path; /* exact path, or prefix when it ends in '/' */
    route_id id;
} route;

static const route routes[] = {
    {"GET", "/healthz", ROUTE_HEALTHZ},
    {"GET", "/readyz", ROUTE_READYZ},
    {"POST", "/webhooks/", ROUTE_WEBHOOK},
    {"GET", "/webhooks/", ROUTE_WEBHOOK}, /* Kannel get-url, URL-verification handshakes */
};

static const route *match_route(const char *uri, bool *path_known, const char *method)
{
    size_t plen = strcspn(uri, "?");
    *path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *rt = &routes[i];
        size_t n = strlen(rt->path);
        bool hit = rt->path[n - 1] == '/' ? plen > n && strncmp(uri, rt->path, n) == 0
                                          : plen == n && strncmp(uri, rt->path, n) == 0;
        if (!hit)
            continue;
        *path_known = true;
        if (strcmp(method, rt->method) == 0 ||
            (strcmp(rt->method, "GET") == 0 && strcmp(method, "HEAD") == 0))
            return rt;
    }
    return NULL;
}

static void *uri_callback(void *cls, const char *uri, struct MHD_Connection *conn)
{
    jf_server *srv = cls;
    jf_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = srv;
    r->conn = conn;
    r->t0 = jf_clock_mono_ms();
    size_t n = strlen(uri);
    if (n > JF_GATEWAY_MAX_URI)
        r->uri_too_long = true;
    else
        memcpy(r->uri, uri, n + 1);
    jf_buf_init(&r->body, JF_WEBHOOK_MAX_BODY);
    atomic_fetch_add(&srv->inflight, 1);
    return r;
}

static void completed_callback(void *cls, struct MHD_Connection *conn, void **req_cls,
                               enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    jf_server *srv = cls;
    jf_request *r = *req_cls;
    if (!r)
        return;
    jf_gateway_webhook_release(r);
    jf_buf_free(&r->body);
    free(r);
    *req_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* The first call for a request: route it and refuse early what cannot succeed, before a
 * body is read. Returns MHD_YES with nothing queued to go on reading. */
static enum MHD_Result first_call(jf_server *srv, jf_request *r, const char *method)
{
    char kind[32], name[64];
    bool path_known = false;

    if (r->uri_too_long)
        return jf_gateway_respond_text(r->conn, MHD_HTTP_URI_TOO_LONG, "request URI too long");
    const route *rt = match_route(r->uri, &path_known, method);
    if (!rt && path_known)
        return jf_gateway_respond_text(r->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                       "method not allowed for this path");
    if (!rt)
        return jf_gateway_respond_text(r->conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
    if (rt->id != ROUTE_WEBHOOK)
        return MHD_YES;

    if (!parse_webhook_path(r->uri, kind, sizeof kind, name, sizeof name))
        return jf_gateway_respond_text(
            r->conn, MHD_HTTP_NOT_FOUND,
            "webhook paths are /webhooks/<kind> or /webhooks/<kind>/<name>");
    r->chan = jf_gateway_channels_find(&srv->channels, kind, name);
    if (!r->chan)
        return jf_gateway_respond_text(
            r->conn, MHD_HTTP_NOT_FOUND,
            "no channel of that kind and name is configured on this server");
    unsigned want = strcmp(method, "GET") == 0 ? JF_WEBHOOK_GET : JF_WEBHOOK_POST;
    if (!(r->chan->adapter->methods & want))
        return jf_gateway_respond_text(r->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                       "method not allowed for this kind of webhook");

    const char *cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned len = 0;
    if (cl && (jf_config_parse_uint(cl, 0, JF_WEBHOOK_MAX_BODY, &len) != JF_ERR_OK))
        return jf_gateway_respond_text(
            r->conn, MHD_HTTP_CONTENT_TOO_LARGE,
            "request body too large: webhooks are limited to 64 KiB");
    return MHD_YES;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
    (void)url;
    (void)version;
    jf_server *srv = cls;
    jf_request *r = *req_cls;
    if (!r)
        return MHD_NO; /* out of memory in the URI callback */

    if (!r->started) {
        r->started = true;
        r->conn = conn;
        r->method = method;
        enum MHD_Result ret = first_call(srv, r, method);
        /* A response queued on the first call ends the request. */
        return ret;
    }
    if (*upload_data_size > 0) {
        if (!r->too_big && jf_buf_append(&r->body, upload_data, *upload_data_size))
            r->too_big = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->state == JF_REQ_DONE)
        return jf_gateway_webhook_finish(srv, r);
    if (r->state == JF_REQ_WAITING)
        return MHD_YES;
    if (r->too_big) {
        jf_buf_free(&r->body);
        return jf_gateway_respond_text(
            conn, MHD_HTTP_CONTENT_TOO_LARGE,
            "request body too large: webhooks are limited to 64 KiB");
    }

    bool known;
    const route *rt = match_route(r->uri, &known, method);
    if (!rt) /* first_call answered every request that matches no route */
        return MHD_NO;
    switch (rt->id) {
    case ROUTE_HEALTHZ:
        return handle_healthz(srv, r);
    case ROUTE_READYZ:
        return handle_readyz(srv, r);
    case ROUTE_WEBHOOK:
        return jf_gateway_webhook_start(srv, r);
    }
    return jf_gateway_respond_text(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

/* libmicrohttpd's own diagnostics can name peers; digits are masked before logging. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    jf_log_mask_digits(msg, 1);
    jf_log_warn("http.mhd", "msg=\"%s\"", msg);
}

/* ---- start and stop ------------------------------------------------------------------- */

jf_err jf_gateway_server_start(const jf_config *cfg, const jf_keyring *kr, jf_server **out,
                               char *errbuf, size_t errsz)
{
    jf_err err = JF_ERR_NOMEM;
    struct sockaddr_in addr;
    *out = NULL;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->listen_port);
    if (inet_pton(AF_INET, cfg->listen_host, &addr.sin_addr) != 1) {
        snprintf(errbuf, errsz, "JIANFU_LISTEN host must be an IPv4 address, e.g. 0.0.0.0");
        return JF_ERR_CONFIG;
    }

    jf_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return JF_ERR_NOMEM;
    srv->cfg = cfg;
    srv->kr = kr;
    pthread_mutex_init(&srv->ready_lock, NULL);
    pthread_cond_init(&srv->ready_wake, NULL);
    snprintf(srv->ready_why, sizeof srv->ready_why, "starting");
    err = jf_gateway_channels_load(&srv->channels, cfg->channels_file, errbuf, errsz);
    if (err) {
        pthread_cond_destroy(&srv->ready_wake);
        pthread_mutex_destroy(&srv->ready_lock);
        free(srv);
        return err;
    }

    err = jf_gateway_triage_start(cfg, &srv->triage, errbuf, errsz);
    if (err) {
        jf_gateway_channels_free(&srv->channels);
        pthread_cond_destroy(&srv->ready_wake);
        pthread_mutex_destroy(&srv->ready_lock);
        free(srv);
        return err;
    }
    err = jf_store_intake_start(cfg->database_url, (int)cfg->committers, &srv->intake);
    if (err) {
        snprintf(errbuf, errsz, "cannot start intake committers: %s", jf_strerror(err));
        goto fail;
    }
    err = jf_gateway_dispatcher_start(cfg, kr, &srv->channels, &srv->dispatcher);
    if (err) {
        snprintf(errbuf, errsz, "cannot start the outbox dispatcher: %s", jf_strerror(err));
        goto fail_intake;
    }
    if (pthread_create(&srv->ready_thread, NULL, ready_main, srv) != 0) {
        snprintf(errbuf, errsz, "cannot start the readiness checker");
        err = JF_ERR_NOMEM;
        goto fail_intake;
    }

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_URI_LOG_CALLBACK, uri_callback, srv,
        MHD_OPTION_NOTIFY_COMPLETED, completed_callback, srv, MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->http_threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(errbuf, errsz, "cannot listen on %s:%u (address in use or not permitted)",
                 cfg->listen_host, cfg->listen_port);
        err = JF_ERR_IO;
        goto fail_ready;
    }
    *out = srv;
    return JF_ERR_OK;

fail_ready:
    pthread_mutex_lock(&srv->ready_lock);
    srv->ready_stop = true;
    pthread_cond_signal(&srv->ready_wake);
    pthread_mutex_unlock(&srv->ready_lock);
    pthread_join(srv->ready_thread, NULL);
fail_intake:
    jf_gateway_dispatcher_stop(srv->dispatcher);
    jf_store_intake_stop(srv->intake);
fail:
    jf_gateway_triage_stop(srv->triage);
    jf_gateway_channels_free(&srv->channels);
    pthread_cond_destroy(&srv->ready_wake);
    pthread_mutex_destroy(&srv->ready_lock);
    free(srv);
    return err;
}

void jf_gateway_server_shutdown(jf_server *srv)
{
    if (!srv)
        return;
    /* Stop accepting: new connections are refused by the kernel from here on. */
    MHD_socket lsock = MHD_quiesce_daemon(srv->daemon);
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    int64_t deadline = jf_clock_mono_ms() + (int64_t)srv->cfg->shutdown_grace * 1000;
    while (atomic_load(&srv->inflight) > 0 && jf_clock_mono_ms() < deadline)
        usleep(20 * 1000);
    int left = atomic_load(&srv->inflight);
    if (left > 0)
        jf_log_warn("server.shutdown_timeout", "requests_in_flight=%d", left);
    /* Committers finish what is queued (and resume its connections) before the daemon
     * goes, so that no acknowledged request is cut off mid-way. */
    jf_store_intake_stop(srv->intake);
    MHD_stop_daemon(srv->daemon);
    jf_gateway_dispatcher_stop(srv->dispatcher);
    jf_gateway_triage_stop(srv->triage);

    pthread_mutex_lock(&srv->ready_lock);
    srv->ready_stop = true;
    pthread_cond_signal(&srv->ready_wake);
    pthread_mutex_unlock(&srv->ready_lock);
    pthread_join(srv->ready_thread, NULL);
    pthread_cond_destroy(&srv->ready_wake);
    pthread_mutex_destroy(&srv->ready_lock);
    jf_gateway_channels_free(&srv->channels);
    free(srv);
}
