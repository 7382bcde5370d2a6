/* fake_provider.c - a scripted provider HTTP API on 127.0.0.1 for the send-path tests. */
#include "fake_provider.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* Most scripted answers waiting at once. */
#define MAX_QUEUE 256
/* An idle connection is closed after this many seconds. */
#define IDLE_TIMEOUT_S 60

typedef struct {
    int status;
    char *body;
    char *content_type;
    char *retry_after;
    int hang_ms;
} owned_response;

struct jt_fake_provider {
    struct MHD_Daemon *daemon;
    int port;
    char base_url[64];
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a request was recorded, or the fake is stopping */
    bool stopping;
    owned_response queue[MAX_QUEUE];
    size_t qhead, qlen;
    owned_response dflt;
    jt_fake_request **reqs;
    size_t nreqs, capreqs;
};

/* What one connection's request has gathered so far. */
typedef struct {
    char *body;
    size_t len, cap;
    bool truncated;
} conn_ctx;

/* ---- small helpers ------------------------------------------------------------------ */

static char *xstrdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void owned_free(owned_response *r)
{
    free(r->body);
    free(r->content_type);
    free(r->retry_after);
    memset(r, 0, sizeof *r);
}

/* Copy r into o; false when out of memory. */
static bool owned_copy(owned_response *o, const jt_fake_response *r)
{
    memset(o, 0, sizeof *o);
    o->status = r->status ? r->status : 200;
    o->hang_ms = r->hang_ms;
    o->body = xstrdup_or_null(r->body);
    o->content_type = xstrdup_or_null(r->content_type);
    o->retry_after = xstrdup_or_null(r->retry_after);
    if ((r->body && !o->body) || (r->content_type && !o->content_type) ||
        (r->retry_after && !o->retry_after)) {
        owned_free(o);
        return false;
    }
    return true;
}

static void request_free(jt_fake_request *q)
{
    if (!q)
        return;
    free(q->path);
    free(q->headers);
    free(q->authorization);
    free(q->content_type);
    free(q->body);
    for (size_t i = 0; i < q->nform; i++) {
        free(q->form[i].name);
        free(q->form[i].value);
    }
    for (size_t i = 0; i < q->nquery; i++) {
        free(q->query[i].name);
        free(q->query[i].value);
    }
    free(q);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode n bytes of x-www-form-urlencoded text ('+' is a space, %XX a byte) into a new
 * string; a malformed escape is kept as it is. */
static char *form_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            out[o++] =
                (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Split a form body into fields; false when out of memory. */
static bool parse_form(jt_fake_request *q, const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && q->nform < JT_FAKE_MAX_FIELDS) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && body[eq] != '=')
                eq++;
            jt_fake_field *f = &q->form[q->nform];
            f->name = form_decode(body + i, eq - i);
            f->value = eq < end ? form_decode(body + eq + 1, end - eq - 1) : strdup("");
            if (!f->name || !f->value) {
                free(f->name);
                free(f->value);
                f->name = f->value = NULL;
                return false;
            }
            q->nform++;
        }
        i = end + 1;
    }
    return true;
}

typedef struct {
    jt_fake_request *q;
    jt_text headers;
    bool oom;
} collect_ctx;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    collect_ctx *c = cls;
    (void)kind;
    if (!jt_text_append_try(&c->headers, key, strlen(key)) ||
        !jt_text_append_try(&c->headers, ": ", 2) ||
        !jt_text_append_try(&c->headers, value ? value : "", value ? strlen(value) : 0) ||
        !jt_text_append_try(&c->headers, "\n", 1))
        c->oom = true;
    return MHD_YES;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    collect_ctx *c = cls;
    (void)kind;
    if (c->q->nquery == JT_FAKE_MAX_FIELDS)
        return MHD_YES;
    jt_fake_field *f = &c->q->query[c->q->nquery];
    f->name = strdup(key ? key : "");
    f->value = strdup(value ? value : "");
    if (!f->name || !f->value) {
        free(f->name);
        free(f->value);
        f->name = f->value = NULL;
        c->oom = true;
        return MHD_YES;
    }
    c->q->nquery++;
    return MHD_YES;
}

/* The record of a complete request, or NULL when out of memory. */
static jt_fake_request *make_record(struct MHD_Connection *conn, const char *url,
                                    const char *method, conn_ctx *cc)
{
    collect_ctx c = {0};
    jt_fake_request *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    c.q = q;
    snprintf(q->method, sizeof q->method, "%s", method);
    q->path = strdup(url ? url : "");
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    q->authorization = strdup(auth ? auth : "");
    q->content_type = strdup(ct ? ct : "");
    q->body = malloc(cc->len + 1);
    if (q->body) {
        if (cc->len)
            memcpy(q->body, cc->body, cc->len);
        q->body[cc->len] = '\0';
        q->body_len = cc->len;
    }
    q->truncated = cc->truncated;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &c);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &c);
    jt_text_append_try(&c.headers, "", 0);
    q->headers = c.headers.data ? c.headers.data : strdup("");
    static const char form_type[] = "application/x-www-form-urlencoded";
    if (q->body && strncasecmp(q->content_type, form_type, sizeof form_type - 1) == 0 &&
        !parse_form(q, q->body, q->body_len))
        c.oom = true;
    if (c.oom || !q->path || !q->authorization || !q->content_type || !q->body || !q->headers) {
        request_free(q);
        return NULL;
    }
    return q;
}

static struct timespec deadline_in(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static enum MHD_Result respond(struct MHD_Connection *conn, const owned_response *r)
{
    const char *body = r->body ? r->body : "";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    if (r->content_type)
        MHD_add_response_header(resp, "Content-Type", r->content_type);
    else if (body[0])
        MHD_add_response_header(resp, "Content-Type", "application/json");
    if (r->retry_after)
        MHD_add_response_header(resp, "Retry-After", r->retry_after);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- the daemon's callbacks (on its threads: no cmocka here) -------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    jt_fake_provider *f = cls;
    (void)version;
    conn_ctx *cc = *con_cls;
    if (!cc) {
        cc = calloc(1, sizeof *cc);
        if (!cc)
            return MHD_NO;
        *con_cls = cc;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (cc->len + n > JT_FAKE_MAX_BODY) {
            cc->truncated = true;
            n = JT_FAKE_MAX_BODY - cc->len;
        }
        if (n && cc->len + n > cc->cap) {
            size_t cap = cc->cap ? cc->cap : 4096;
            while (cap < cc->len + n)
                cap *= 2;
            char *p = realloc(cc->body, cap);
            if (!p)
                return MHD_NO;
            cc->body = p;
            cc->cap = cap;
        }
        if (n)
            memcpy(cc->body + cc->len, upload_data, n);
        cc->len += n;
        *upload_data_size = 0;
        return MHD_YES;
    }

    /* The request is complete: record it, then answer as scripted. */
    jt_fake_request *q = make_record(conn, url, method, cc);
    if (!q)
        return MHD_NO;
    owned_response r;
    bool have = false;
    pthread_mutex_lock(&f->lock);
    if (cc->truncated) {
        r = (owned_response){.status = 413};
    } else if (f->qlen) {
        r = f->queue[f->qhead];
        memset(&f->queue[f->qhead], 0, sizeof f->queue[f->qhead]);
        f->qhead = (f->qhead + 1) % MAX_QUEUE;
        f->qlen--;
        have = true;
    } else {
        have = owned_copy(&r, &(jt_fake_response){.status = f->dflt.status,
                                                  .body = f->dflt.body,
                                                  .content_type = f->dflt.content_type,
                                                  .retry_after = f->dflt.retry_after,
                                                  .hang_ms = f->dflt.hang_ms});
        if (!have)
            r = (owned_response){.status = 500};
    }
    q->status = r.status;
    q->hang_ms = r.hang_ms;
    q->at_ms = jt_mono_ms();
    bool stored = false;
    if (f->nreqs == f->capreqs) {
        size_t cap = f->capreqs ? f->capreqs * 2 : 64;
        jt_fake_request **p = realloc(f->reqs, cap * sizeof *p);
        if (p) {
            f->reqs = p;
            f->capreqs = cap;
        }
    }
    if (f->nreqs < f->capreqs) {
        q->seq = f->nreqs;
        f->reqs[f->nreqs++] = q;
        stored = true;
    }
    pthread_cond_broadcast(&f->changed);
    if (r.hang_ms > 0) {
        struct timespec until = deadline_in(r.hang_ms);
        while (!f->stopping &&
               pthread_cond_timedwait(&f->changed, &f->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&f->lock);
    if (!stored)
        request_free(q);

    enum MHD_Result ret = respond(conn, &r);
    if (have)
        owned_free(&r);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    conn_ctx *cc = *con_cls;
    if (cc) {
        free(cc->body);
        free(cc);
        *con_cls = NULL;
    }
}

/* ---- the test's side -------------------------------------------------------------------- */

jt_fake_provider *jt_fake_start(void)
{
    jt_fake_provider *f = calloc(1, sizeof *f);
    pthread_condattr_t ca;
    struct sockaddr_in sa;

    if (!f)
        fail_msg("out of memory");
    pthread_mutex_init(&f->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->changed, &ca);
    pthread_condattr_destroy(&ca);
    if (!owned_copy(&f->dflt, &(jt_fake_response){.status = 200, .body = "{}"}))
        fail_msg("out of memory");

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    f->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
        on_request, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, f, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)IDLE_TIMEOUT_S, MHD_OPTION_END);
    if (!f->daemon) {
        owned_free(&f->dflt);
        pthread_cond_destroy(&f->changed);
        pthread_mutex_destroy(&f->lock);
        free(f);
        fail_msg("cannot start the fake provider on 127.0.0.1");
        return NULL; /* fail_msg does not return; this tells the compiler so */
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
    f->port = info ? info->port : 0;
    if (f->port <= 0) {
        jt_fake_stop(f);
        fail_msg("the fake provider has no port");
        return NULL;
    }
    snprintf(f->base_url, sizeof f->base_url, "http://127.0.0.1:%d", f->port);
    return f;
}

static void forget_records(jt_fake_provider *f)
{
    for (size_t i = 0; i < f->nreqs; i++)
        request_free(f->reqs[i]);
    free(f->reqs);
    f->reqs = NULL;
    f->nreqs = f->capreqs = 0;
}

static void clear_queue(jt_fake_provider *f)
{
    for (size_t i = 0; i < f->qlen; i++)
        owned_free(&f->queue[(f->qhead + i) % MAX_QUEUE]);
    f->qhead = f->qlen = 0;
}

void jt_fake_stop(jt_fake_provider *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    if (f->daemon)
        MHD_stop_daemon(f->daemon);
    clear_queue(f);
    owned_free(&f->dflt);
    forget_records(f);
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

int jt_fake_port(const jt_fake_provider *f)
{
    return f->port;
}

const char *jt_fake_base_url(const jt_fake_provider *f)
{
    return f->base_url;
}

void jt_fake_push(jt_fake_provider *f, const jt_fake_response *r)
{
    owned_response o;
    if (!owned_copy(&o, r))
        fail_msg("out of memory");
    pthread_mutex_lock(&f->lock);
    bool full = f->qlen == MAX_QUEUE;
    if (!full) {
        f->queue[(f->qhead + f->qlen) % MAX_QUEUE] = o;
        f->qlen++;
    }
    pthread_mutex_unlock(&f->lock);
    if (full) {
        owned_free(&o);
        fail_msg("more than %d scripted answers queued", MAX_QUEUE);
    }
}

void jt_fake_set_default(jt_fake_provider *f, const jt_fake_response *r)
{
    owned_response o;
    if (!owned_copy(&o, r))
        fail_msg("out of memory");
    pthread_mutex_lock(&f->lock);
    owned_response old = f->dflt;
    f->dflt = o;
    pthread_mutex_unlock(&f->lock);
    owned_free(&old);
}

void jt_fake_reset(jt_fake_provider *f)
{
    jt_fake_set_default(f, &(jt_fake_response){.status = 200, .body = "{}"});
    pthread_mutex_lock(&f->lock);
    clear_queue(f);
    forget_records(f);
    pthread_mutex_unlock(&f->lock);
}

size_t jt_fake_count(jt_fake_provider *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = f->nreqs;
    pthread_mutex_unlock(&f->lock);
    return n;
}

size_t jt_fake_queued(jt_fake_provider *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = f->qlen;
    pthread_mutex_unlock(&f->lock);
    return n;
}

const jt_fake_request *jt_fake_get(jt_fake_provider *f, size_t i)
{
    pthread_mutex_lock(&f->lock);
    const jt_fake_request *q = i < f->nreqs ? f->reqs[i] : NULL;
    size_t n = f->nreqs;
    pthread_mutex_unlock(&f->lock);
    if (!q)
        fail_msg("fake provider: no request %zu (%zu recorded)", i, n);
    return q;
}

size_t jt_fake_wait_count(jt_fake_provider *f, size_t n, int timeout_ms)
{
    struct timespec until = deadline_in(timeout_ms);
    pthread_mutex_lock(&f->lock);
    while (f->nreqs < n && pthread_cond_timedwait(&f->changed, &f->lock, &until) != ETIMEDOUT)
        ;
    size_t have = f->nreqs;
    pthread_mutex_unlock(&f->lock);
    return have;
}

const char *jt_fake_field_get(const jt_fake_request *r, const char *name)
{
    for (size_t i = 0; i < r->nform; i++)
        if (strcmp(r->form[i].name, name) == 0)
            return r->form[i].value;
    for (size_t i = 0; i < r->nquery; i++)
        if (strcmp(r->query[i].name, name) == 0)
            return r->query[i].value;
    return NULL;
}

const char *jt_fake_header_get(const jt_fake_request *r, const char *name, char *out,
                               size_t outsz)
{
    size_t nlen = strlen(name);
    const char *p = r->headers;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len >= nlen + 1 && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(out, outsz, "%.*s", (int)(p + len - v), v);
            return out;
        }
        p += len + (eol ? 1 : 0);
    }
    return NULL;
}

/* Count under the lock; the index of the k-th match in *at (or -1). */
static size_t count_field_locked(jt_fake_provider *f, const char *name, const char *value,
                                 size_t k, long *at)
{
    size_t n = 0;
    if (at)
        *at = -1;
    for (size_t i = 0; i < f->nreqs; i++) {
        const char *v = jt_fake_field_get(f->reqs[i], name);
        if (v && strcmp(v, value) == 0) {
            if (at && n == k)
                *at = (long)i;
            n++;
        }
    }
    return n;
}

size_t jt_fake_count_field(jt_fake_provider *f, const char *name, const char *value)
{
    pthread_mutex_lock(&f->lock);
    size_t n = count_field_locked(f, name, value, 0, NULL);
    pthread_mutex_unlock(&f->lock);
    return n;
}

long jt_fake_find_field(jt_fake_provider *f, const char *name, const char *value, size_t k)
{
    long at;
    pthread_mutex_lock(&f->lock);
    count_field_locked(f, name, value, k, &at);
    pthread_mutex_unlock(&f->lock);
    return at;
}

size_t jt_fake_wait_field(jt_fake_provider *f, const char *name, const char *value, size_t n,
                          int timeout_ms)
{
    struct timespec until = deadline_in(timeout_ms);
    pthread_mutex_lock(&f->lock);
    size_t have;
    while ((have = count_field_locked(f, name, value, 0, NULL)) < n &&
           pthread_cond_timedwait(&f->changed, &f->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&f->lock);
    return have;
}
