/* server.c - HTTP server of `jianfu serve`: routes, request lifecycle, webhook intake. */
#include "server.h"

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
#include "privacy/pseudonym.h"
#include "privacy/redact.h"
#include "privacy/seal.h"
#include "store/db.h"
#include "store/intake.h"
#include "store/migrate.h"
#include "triage/calendar.h"
#include "triage/ticket.h"
#include "webhook/adapter.h"

/* The longest request URI (path and query) we accept; providers' URLs are short. */
#define MAX_URI 2048
/* Seconds a provider is asked to wait before retrying when we cannot store. */
#define RETRY_AFTER "5"
/* How often the readiness checker looks at the database, in milliseconds. */
#define READY_INTERVAL_MS 1000
/* What a reporter is told when a message has no text to act on. */
#define EMPTY_MESSAGE_REPLY "减负直通车：请用文字描述您遇到的问题，我们会转给承办部门。"
/* How many times a ticket code is redrawn after a (very unlikely) collision. */
#define MAX_CODE_ATTEMPTS 4

struct jf_server {
    const jf_config *cfg;
    const jf_keyring *kr;
    jf_store_intake *intake;
    struct MHD_Daemon *daemon;
    jf_channels channels;
    atomic_int inflight; /* requests between URI callback and completion */

    pthread_t ready_thread;
    pthread_mutex_t ready_lock;
    pthread_cond_t ready_wake;
    bool ready_stop;     /* guarded by ready_lock */
    bool ready;          /* guarded by ready_lock */
    char ready_why[256]; /* guarded by ready_lock */
};

typedef enum { REQ_READING, REQ_WAITING, REQ_DONE } req_state;

/* One request, from the URI callback to the completion callback. */
typedef struct {
    jf_server *srv;
    struct MHD_Connection *conn;
    char uri[MAX_URI + 1];
    bool uri_too_long;
    bool started;
    bool too_big;
    const char *method; /* libmicrohttpd's, valid for the whole request */
    jf_buf body;
    req_state state; /* written by the committer before it resumes the connection */

    /* Webhook intake state. */
    const jf_channel *chan;
    void *adapter_state;
    jf_inbound msg;
    uint8_t reporter_key[JF_REPORTER_KEY_LEN];
    jf_sealed sealed;
    jf_buf redacted;
    char code[JF_TICKET_LEN + 1];
    int attempts;
    jf_store_intake_job job;
    int64_t t0;
} request;

/* ---- responses ---------------------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status,
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
static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned status,
                                    const char *msg)
{
    char body[512];
    int n = snprintf(body, sizeof body, "%s\n", msg);
    return respond(conn, status, "text/plain; charset=utf-8", body,
                   n < 0                      ? 0
                   : (size_t)n >= sizeof body ? sizeof body - 1
                                              : (size_t)n,
                   status == MHD_HTTP_SERVICE_UNAVAILABLE);
}

static enum MHD_Result respond_reply(struct MHD_Connection *conn, const jf_webhook_reply *r)
{
    return respond(conn, r->status, r->content_type ? r->content_type : "text/plain",
                   r->body.data ? r->body.data : "", r->body.len,
                   r->status == MHD_HTTP_SERVICE_UNAVAILABLE);
}

/* ---- health and readiness ------------------------------------------------------------ */

static enum MHD_Result handle_healthz(jf_server *srv, request *r)
{
    (void)srv;
    static const char body[] = "{\"status\":\"alive\"}\n";
    return respond(r->conn, MHD_HTTP_OK, "application/json", body, sizeof body - 1, false);
}

static enum MHD_Result handle_readyz(jf_server *srv, request *r)
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
    return respond(r->conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
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

static const char *header_lookup(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

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

/* The acknowledgement a reporter reads on their phone: ticket code and answer deadline,
 * and the reassurance that matters most to them. Kept under 70 characters so it fits one
 * UCS-2 SMS segment. */
static jf_err ack_text(const char *code, int64_t answer_due, jf_buf *out)
{
    jf_date d = jf_clock_civil_from_days(jf_clock_cst_day(answer_due));
    return jf_buf_appendf(out,
                          "减负直通车已收到您的反映，编号%s，承办部门须于%d年%d月%d日前答复。"
                          "您的号码已加密，部门看不到您的身份。",
                          code, d.y, d.m, d.d);
}

static void intake_done(jf_store_intake_job *job, void *arg)
{
    request *r = arg;
    if (job->err == JF_ERR_EXISTS && r->attempts < MAX_CODE_ATTEMPTS) {
        /* The random ticket code collided with an existing one: draw again. */
        r->attempts++;
        if (jf_triage_ticket_new(r->code) == JF_ERR_OK &&
            jf_store_intake_submit(r->srv->intake, job) == JF_ERR_OK)
            return;
        job->err = JF_ERR_DB;
    }
    r->state = REQ_DONE;
    MHD_resume_connection(r->conn);
}

/* Finish a webhook whose job has completed: the provider's acknowledgement after a
 * commit, 503 when the database could not take it (the provider retries), 500 else. */
static enum MHD_Result webhook_finish(jf_server *srv, request *r)
{
    (void)srv;
    enum MHD_Result ret;
    jf_webhook_reply reply;
    jf_buf text;
    jf_webhook_reply_init(&reply);
    jf_buf_init(&text, 1024);
    int64_t ms = jf_clock_mono_ms() - r->t0;

    switch (r->job.err) {
    case JF_ERR_OK:
        break;
    case JF_ERR_DB_UNAVAILABLE:
    case JF_ERR_BUSY:
    case JF_ERR_SHUTDOWN:
        jf_log_warn("webhook.deferred", "kind=%s reason=%s ms=%lld", r->chan->ch.kind,
                    jf_errname(r->job.err), (long long)ms);
        ret = respond_text(r->conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                           "the message was not stored because the database is unavailable; "
                           "retry later");
        goto out;
    default:
        jf_log_error("webhook.store_failed", "kind=%s reason=%s", r->chan->ch.kind,
                     jf_errname(r->job.err));
        ret = respond_text(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "the message could not be stored; it was not accepted");
        goto out;
    }
    if (ack_text(r->job.result_code, r->job.result_answer_due, &text) ||
        r->chan->adapter->render_ack(&r->chan->ch, r->adapter_state, text.data, &reply)) {
        ret = respond_text(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "the message was stored but the acknowledgement could not be built");
        goto out;
    }
    jf_log_info("webhook.stored", "kind=%s channel=%s ticket=%s created=%d ms=%lld",
                r->chan->ch.kind, r->chan->ch.name, r->job.result_code, r->job.created,
                (long long)ms);
    ret = respond_reply(r->conn, &reply);
out:
    jf_webhook_reply_free(&reply);
    jf_buf_free(&text);
    return ret;
}

/* Whether a message body holds anything but white space. */
static bool has_text(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return true;
    return false;
}

/* Verify, parse, pseudonymise, seal, redact, set deadlines and hand the complaint to the
 * committers; the connection is suspended until the commit is done. */
static enum MHD_Result webhook_start(jf_server *srv, request *r)
{
    enum MHD_Result ret;
    jf_webhook_reply reply;
    jf_webhook_reply_init(&reply);
    char full_url[MAX_URI + 512];
    jf_err err;

    snprintf(full_url, sizeof full_url, "%s%s", srv->cfg->public_url, r->uri);
    const char *q = strchr(r->uri, '?');
    jf_webhook_request wreq = {
        .method = r->method,
        .url = full_url,
        .query = q ? q + 1 : "",
        .now = jf_clock_now(),
        .content_type =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .header = header_lookup,
        .header_ctx = r->conn,
        .body = r->body.data ? r->body.data : "",
        .body_len = r->body.len,
    };
    err = r->chan->adapter->receive(&r->chan->ch, &wreq, &r->msg, &r->adapter_state, &reply);
    if (err) {
        jf_log_info("webhook.rejected", "kind=%s status=%u reason=%s", r->chan->ch.kind,
                    reply.status, jf_errname(err));
        ret = respond_reply(r->conn, &reply);
        goto out;
    }
    if (!r->msg.msg_id) {
        /* A handshake or an event that carries no message: the adapter has answered. */
        ret = respond_reply(r->conn, &reply);
        goto out;
    }
    if (!has_text(r->msg.text)) {
        /* Nothing to act on: tell the reporter instead of opening an empty complaint. */
        if (r->chan->adapter->render_ack(&r->chan->ch, r->adapter_state, EMPTY_MESSAGE_REPLY,
                                         &reply)) {
            ret = respond_text(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error");
            goto out;
        }
        jf_log_info("webhook.empty", "kind=%s", r->chan->ch.kind);
        ret = respond_reply(r->conn, &reply);
        goto out;
    }

    const jf_keyring *kr = srv->kr;
    jf_redact_counts counts = {0, 0, 0};
    err = jf_privacy_reporter_key(kr, r->chan->ch.kind, r->msg.sender, r->reporter_key);
    if (err) {
        ret = respond_text(r->conn, MHD_HTTP_BAD_REQUEST,
                           "the sender address is empty or malformed");
        goto out;
    }
    err =
        jf_privacy_seal(kr, r->reporter_key, r->msg.sender, strlen(r->msg.sender), &r->sealed);
    if (!err)
        err = jf_privacy_redact(r->msg.text, strlen(r->msg.text), &r->redacted, &counts);
    if (err) {
        jf_log_error("webhook.privacy_failed", "kind=%s reason=%s", r->chan->ch.kind,
                     jf_errname(err));
        ret = respond_text(r->conn,
                           err == JF_ERR_TOOBIG ? MHD_HTTP_CONTENT_TOO_LARGE
                                                : MHD_HTTP_INTERNAL_SERVER_ERROR,
                           err == JF_ERR_TOOBIG ? "the message text is too long"
                                                : "internal error protecting the message");
        goto out;
    }

    int64_t now = jf_clock_now();
    jf_store_intake_job *job = &r->job;
    memset(job, 0, sizeof *job);
    if (jf_triage_due(now, (int)srv->cfg->sla_ack, &job->ack_due) ||
        jf_triage_due(now, (int)srv->cfg->sla_answer, &job->answer_due) ||
        jf_triage_due(now, (int)srv->cfg->sla_resolve, &job->resolve_due) ||
        jf_triage_ticket_new(r->code)) {
        ret = respond_text(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error");
        goto out;
    }
    job->kind = r->chan->ch.kind;
    job->channel = r->chan->ch.name;
    job->msg_id = r->msg.msg_id;
    job->code = r->code;
    job->reporter_key = r->reporter_key;
    job->pseudonym_kid = jf_privacy_keyring_pseudonym(kr)->id;
    job->body = r->redacted.data;
    job->redactions = counts.phones + counts.ids + counts.cards;
    job->received_at = now;
    job->seal_kid = r->sealed.key_id;
    job->sealed = r->sealed.blob;
    job->sealed_len = r->sealed.len;
    job->done = intake_done;
    job->done_arg = r;

    /* Suspend before submitting, so that a commit finishing at once finds the connection
     * already suspended when it resumes it. */
    r->state = REQ_WAITING;
    MHD_suspend_connection(r->conn);
    err = jf_store_intake_submit(srv->intake, job);
    if (err) {
        job->err = err;
        r->state = REQ_DONE;
        MHD_resume_connection(r->conn);
    }
    ret = MHD_YES;
out:
    jf_webhook_reply_free(&reply);
    return ret;
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
    request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = srv;
    r->conn = conn;
    r->t0 = jf_clock_mono_ms();
    size_t n = strlen(uri);
    if (n > MAX_URI)
        r->uri_too_long = true;
    else
        memcpy(r->uri, uri, n + 1);
    jf_buf_init(&r->body, JF_WEBHOOK_MAX_BODY);
    /* Redaction never lengthens a number by more than a few bytes; twice the body is a
     * generous bound. */
    jf_buf_init(&r->redacted, 2 * JF_WEBHOOK_MAX_BODY);
    atomic_fetch_add(&srv->inflight, 1);
    return r;
}

static void completed_callback(void *cls, struct MHD_Connection *conn, void **req_cls,
                               enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    jf_server *srv = cls;
    request *r = *req_cls;
    if (!r)
        return;
    if (r->chan && r->adapter_state)
        r->chan->adapter->release(r->adapter_state);
    jf_privacy_sealed_free(&r->sealed);
    jf_buf_free(&r->redacted);
    jf_buf_free(&r->body);
    jf_crypto_zeroize(r->reporter_key, sizeof r->reporter_key);
    free(r);
    *req_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* The first call for a request: route it and refuse early what cannot succeed, before a
 * body is read. Returns MHD_YES with nothing queued to go on reading. */
static enum MHD_Result first_call(jf_server *srv, request *r, const char *method)
{
    char kind[32], name[64];
    bool path_known = false;

    if (r->uri_too_long)
        return respond_text(r->conn, MHD_HTTP_URI_TOO_LONG, "request URI too long");
    const route *rt = match_route(r->uri, &path_known, method);
    if (!rt && path_known)
        return respond_text(r->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "method not allowed for this path");
    if (!rt)
        return respond_text(r->conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
    if (rt->id != ROUTE_WEBHOOK)
        return MHD_YES;

    if (!parse_webhook_path(r->uri, kind, sizeof kind, name, sizeof name))
        return respond_text(r->conn, MHD_HTTP_NOT_FOUND,
                            "webhook paths are /webhooks/<kind> or /webhooks/<kind>/<name>");
    r->chan = jf_gateway_channels_find(&srv->channels, kind, name);
    if (!r->chan)
        return respond_text(r->conn, MHD_HTTP_NOT_FOUND,
                            "no channel of that kind and name is configured on this server");
    unsigned want = strcmp(method, "GET") == 0 ? JF_WEBHOOK_GET : JF_WEBHOOK_POST;
    if (!(r->chan->adapter->methods & want))
        return respond_text(r->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "method not allowed for this kind of webhook");

    const char *cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned len = 0;
    if (cl && (jf_config_parse_uint(cl, 0, JF_WEBHOOK_MAX_BODY, &len) != JF_ERR_OK))
        return respond_text(r->conn, MHD_HTTP_CONTENT_TOO_LARGE,
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
    request *r = *req_cls;
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
    if (r->state == REQ_DONE)
        return webhook_finish(srv, r);
    if (r->state == REQ_WAITING)
        return MHD_YES;
    if (r->too_big) {
        jf_buf_free(&r->body);
        return respond_text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
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
        return webhook_start(srv, r);
    }
    return respond_text(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
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

    err = jf_store_intake_start(cfg->database_url, (int)cfg->committers, &srv->intake);
    if (err) {
        snprintf(errbuf, errsz, "cannot start intake committers: %s", jf_strerror(err));
        goto fail;
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
        (size_t)(64 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
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
    jf_store_intake_stop(srv->intake);
fail:
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
