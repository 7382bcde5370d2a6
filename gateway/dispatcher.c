/* dispatcher.c - the outbox dispatcher: claim, open, send, settle. */
#include "dispatcher.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "gateway/http_client.h"
#include "privacy/redact.h"
#include "privacy/seal.h"
#include "store/db.h"
#include "store/outbox.h"
#include "webhook/dingtalk.h"
#include "webhook/wecom.h"

/* Rows claimed per round trip, and how long a claim keeps them from other dispatchers:
 * far longer than the most a round of sends can take. */
#define CLAIM_BATCH 16
#define LEASE_SECONDS 300
/* How often an idle dispatcher looks for due rows. */
#define POLL_MS 500
#define BACKOFF_MAX 3600
#define TOKEN_MAX 1024
/* Tokens are renewed this long before the provider says they expire. */
#define TOKEN_MARGIN 300

typedef struct {
    char token[TOKEN_MAX];
    int64_t expires_at;   /* 0: no token */
    int64_t next_send_ms; /* rate limit: earliest monotonic time of the next send */
} channel_state;

struct jf_dispatcher {
    const jf_config *cfg;
    const jf_keyring *kr;
    const jf_channels *cs;
    channel_state states[JF_CHANNELS_MAX]; /* by index in cs; only the thread touches them */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop; /* guarded by lock */
};

typedef struct {
    jf_send_result res;
    bool transport_error;
} outcome;

int jf_gateway_backoff(int base, int attempts, int retry_after)
{
    int64_t delay = base > 0 ? base : 1;
    for (int i = 1; i < attempts && delay < BACKOFF_MAX; i++)
        delay *= 2;
    if (delay > BACKOFF_MAX)
        delay = BACKOFF_MAX;
    uint16_t r = 0;
    if (jf_crypto_random(&r, sizeof r) == JF_ERR_OK)
        delay = delay / 2 + (delay * r) / 65536;
    if (delay < 1)
        delay = 1;
    /* The provider's own request wins, even past the hour: sending sooner would only be
     * refused again. parse_retry_after bounds it to a day. */
    if (retry_after > delay)
        delay = retry_after;
    return (int)delay;
}

static void set_result(jf_send_result *res, jf_send_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_result(jf_send_result *res, jf_send_verdict v, const char *fmt, ...)
{
    va_list ap;
    res->verdict = v;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
}

static int parse_retry_after(const char *s)
{
    unsigned v = 0;
    if (s && *s && jf_config_parse_uint(s, 0, 86400, &v) == JF_ERR_OK)
        return (int)v;
    return 0;
}

/* A fresh access token for channel c, from the cache or the provider. */
static jf_err channel_token(jf_dispatcher *d, const jf_channel *c, channel_state *st,
                            outcome *o)
{
    jf_webhook_http req;
    jf_http_response resp;
    int64_t expires_in = 0;
    jf_err err;

    if (st->expires_at > jf_clock_now() + TOKEN_MARGIN)
        return JF_ERR_OK;
    (void)d;
    jf_webhook_http_init(&req);
    err = c->adapter->token_request(&c->ch, &req);
    if (err) {
        set_result(&o->res, JF_SEND_FAIL, "cannot build the token request: %s",
                   jf_strerror(err));
        jf_webhook_http_free(&req);
        return err;
    }
    err = jf_gateway_http_perform(&req, (long)d->cfg->send_timeout * 1000, &resp);
    jf_webhook_http_free(&req);
    if (err) {
        set_result(&o->res, JF_SEND_RETRY, "token: %s", resp.error);
        o->transport_error = true;
        goto out;
    }
    err = c->adapter->token_parse(resp.status, resp.body.data ? resp.body.data : "",
                                  resp.body.len, st->token, sizeof st->token, &expires_in,
                                  &o->res);
    if (err || o->res.verdict != JF_SEND_OK) {
        if (!err)
            err = JF_ERR_AUTH;
        st->expires_at = 0;
        goto out;
    }
    st->expires_at = jf_clock_now() + (expires_in > 0 ? expires_in : 600);
out:
    jf_buf_free(&resp.body);
    return err;
}

/* Space sends on one channel to the configured rate, sleeping if need be. */
static void rate_wait(jf_dispatcher *d, channel_state *st)
{
    int64_t now = jf_clock_mono_ms();
    int64_t gap = 1000 / (int64_t)d->cfg->send_rate;
    if (st->next_send_ms > now) {
        struct timespec ts = {(time_t)((st->next_send_ms - now) / 1000),
                              (long)((st->next_send_ms - now) % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        now = st->next_send_ms;
    }
    st->next_send_ms = now + gap;
}

/* Department robots: a uniform builder over each robot kind's request function. */
typedef struct {
    const char *kind;
    jf_err (*build)(const jf_store_outbox_row *row, jf_webhook_http *out);
    void (*result)(long status, const char *retry_after, const char *body, size_t len,
                   jf_send_result *res);
} robot;

static jf_err wecom_robot_build(const jf_store_outbox_row *row, jf_webhook_http *out)
{
    return jf_webhook_wecom_robot_request(row->robot_url, row->body, out);
}

static jf_err dingtalk_robot_build(const jf_store_outbox_row *row, jf_webhook_http *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return jf_webhook_dingtalk_robot_request(row->robot_url, row->robot_secret, now_ms,
                                             row->body, out);
}

static const robot robots[] = {
    {"wecom_robot", wecom_robot_build, jf_webhook_wecom_robot_result},
    {"dingtalk_robot", dingtalk_robot_build, jf_webhook_dingtalk_robot_result},
};

/* Deliver a notification to its department's group robot. */
static void send_notification(jf_dispatcher *d, const jf_store_outbox_row *row, outcome *o)
{
    const robot *rb = NULL;
    jf_webhook_http req;
    jf_http_response resp;

    memset(o, 0, sizeof *o);
    for (size_t i = 0; row->robot_kind && i < sizeof robots / sizeof robots[0]; i++)
        if (strcmp(robots[i].kind, row->robot_kind) == 0)
            rb = &robots[i];
    if (!rb || !row->robot_url) {
        set_result(&o->res, JF_SEND_FAIL, "the department has no notification robot");
        return;
    }
    jf_webhook_http_init(&req);
    jf_err err = rb->build(row, &req);
    if (err) {
        set_result(&o->res, JF_SEND_FAIL, "cannot build the robot request: %s",
                   jf_strerror(err));
        goto out;
    }
    err = jf_gateway_http_perform(&req, (long)d->cfg->send_timeout * 1000, &resp);
    if (err) {
        set_result(&o->res, JF_SEND_RETRY, "%s", resp.error);
        o->transport_error = true;
    } else {
        rb->result(resp.status, resp.retry_after[0] ? resp.retry_after : NULL,
                   resp.body.data ? resp.body.data : "", resp.body.len, &o->res);
        if (!o->res.retry_after)
            o->res.retry_after = parse_retry_after(resp.retry_after);
    }
    jf_buf_free(&resp.body);
out:
    jf_webhook_http_free(&req);
}

/* Send one claimed row; the outcome says what to record. */
static void send_row(jf_dispatcher *d, const jf_store_outbox_row *row, outcome *o)
{
    char *addr = NULL;
    size_t addrlen = 0;
    jf_webhook_http req;
    jf_http_response resp;
    bool have_resp = false;

    if (strcmp(row->purpose, "notify") == 0) {
        send_notification(d, row, o);
        return;
    }
    memset(o, 0, sizeof *o);
    jf_webhook_http_init(&req);
    const jf_channel *c = jf_gateway_channels_find(d->cs, row->channel_kind, row->channel_name);
    if (!c) {
        /* Configuration may come back (a channel file fixed and the server restarted). */
        set_result(&o->res, JF_SEND_RETRY, "channel %s is not configured on this server",
                   row->channel_kind);
        goto out;
    }
    if (!c->adapter->send_request || !c->adapter->send_result) {
        set_result(&o->res, JF_SEND_FAIL, "channels of kind %s cannot send messages",
                   row->channel_kind);
        goto out;
    }
    if (row->complaint_id == 0) {
        set_result(&o->res, JF_SEND_FAIL, "a message to a reporter without a complaint");
        goto out;
    }
    if (!row->sealed || !row->seal_kid) {
        set_result(&o->res, JF_SEND_FAIL,
                   "the reply address was purged after its retention period");
        goto out;
    }
    jf_err err = jf_privacy_open(d->kr, row->reporter_key, row->seal_kid, row->sealed,
                                 row->sealed_len, &addr, &addrlen);
    if (err) {
        /* A missing key or a blob that does not authenticate will not heal by waiting. */
        set_result(&o->res, JF_SEND_FAIL, "cannot open the sealed reply address: %s",
                   jf_strerror(err));
        goto out;
    }

    channel_state *st = &d->states[c - d->cs->items];
    const char *token = NULL;
    if (c->adapter->token_request && c->adapter->token_parse) {
        if (channel_token(d, c, st, o))
            goto out;
        token = st->token;
    }
    err = c->adapter->send_request(&c->ch, token, addr, row->body, &req);
    if (err) {
        set_result(&o->res, JF_SEND_FAIL, "cannot build the send request: %s",
                   jf_strerror(err));
        goto out;
    }
    rate_wait(d, st);
    err = jf_gateway_http_perform(&req, (long)d->cfg->send_timeout * 1000, &resp);
    have_resp = true;
    if (err) {
        set_result(&o->res, JF_SEND_RETRY, "%s", resp.error);
        o->transport_error = true;
        goto out;
    }
    c->adapter->send_result(resp.status, resp.retry_after[0] ? resp.retry_after : NULL,
                            resp.body.data ? resp.body.data : "", resp.body.len, &o->res);
    if (!o->res.retry_after)
        o->res.retry_after = parse_retry_after(resp.retry_after);
    if (o->res.token_stale)
        st->expires_at = 0;
out:
    if (have_resp)
        jf_buf_free(&resp.body);
    jf_webhook_http_free(&req);
    if (addr) {
        jf_crypto_zeroize(addr, addrlen);
        free(addr);
    }
}

/* Record what happened to a row. Provider error texts can quote numbers back at us, so
 * long digit runs are masked before they are stored or logged. */
static jf_err settle(jf_dispatcher *d, PGconn *conn, const jf_store_outbox_row *row, outcome *o)
{
    jf_log_mask_digits(o->res.error, 7);
    switch (o->res.verdict) {
    case JF_SEND_OK:
        jf_log_info("outbox.sent", "id=%lld kind=%s channel=%s purpose=%s attempts=%d",
                    (long long)row->id, row->channel_kind, row->channel_name, row->purpose,
                    row->attempts);
        return jf_store_outbox_sent(conn, row->id);
    case JF_SEND_RETRY:
        if (row->attempts < (int)d->cfg->outbox_max_attempts) {
            int delay = jf_gateway_backoff((int)d->cfg->outbox_backoff, row->attempts,
                                           o->res.retry_after);
            jf_log_warn("outbox.retry", "id=%lld kind=%s attempts=%d delay=%d error=\"%s\"",
                        (long long)row->id, row->channel_kind, row->attempts, delay,
                        o->res.error);
            return jf_store_outbox_retry(conn, row->id, delay, o->res.error);
        }
        /* fall through: out of attempts */
    case JF_SEND_FAIL:
        break;
    }
    jf_log_error("outbox.dead", "id=%lld kind=%s attempts=%d error=\"%s\"", (long long)row->id,
                 row->channel_kind, row->attempts, o->res.error);
    return jf_store_outbox_dead(conn, row->id, o->res.error);
}

static bool sleep_or_stop(jf_dispatcher *d, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&d->lock);
    while (!d->stop && pthread_cond_timedwait(&d->wake, &d->lock, &until) == 0)
        ;
    bool stop = d->stop;
    pthread_mutex_unlock(&d->lock);
    return stop;
}

static void *dispatcher_main(void *arg)
{
    jf_dispatcher *d = arg;
    PGconn *conn = NULL;
    jf_store_outbox_row rows[CLAIM_BATCH];

    for (;;) {
        int n = 0;
        char msg[256] = "";
        if (conn && PQstatus(conn) != CONNECTION_OK) {
            PQfinish(conn);
            conn = NULL;
        }
        if (!conn && jf_store_connect(d->cfg->database_url, &conn, msg, sizeof msg)) {
            if (sleep_or_stop(d, 2000))
                break;
            continue;
        }
        jf_err err = jf_store_outbox_claim(conn, CLAIM_BATCH, LEASE_SECONDS, rows, &n);
        if (err || n == 0) {
            if (sleep_or_stop(d, POLL_MS))
                break;
            continue;
        }
        for (int i = 0; i < n; i++) {
            outcome o;
            send_row(d, &rows[i], &o);
            /* If the database went away meanwhile, the lease runs out and the row is
             * sent again: at least once, never silently dropped. */
            if (settle(d, conn, &rows[i], &o))
                jf_log_warn("outbox.settle_failed", "id=%lld", (long long)rows[i].id);
        }
        jf_store_outbox_rows_free(rows, n);
        pthread_mutex_lock(&d->lock);
        bool stop = d->stop;
        pthread_mutex_unlock(&d->lock);
        if (stop)
            break;
    }
    PQfinish(conn);
    return NULL;
}

jf_err jf_gateway_dispatcher_start(const jf_config *cfg, const jf_keyring *kr,
                                   const jf_channels *cs, jf_dispatcher **out)
{
    *out = NULL;
    jf_dispatcher *d = calloc(1, sizeof *d);
    if (!d)
        return JF_ERR_NOMEM;
    d->cfg = cfg;
    d->kr = kr;
    d->cs = cs;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    if (pthread_create(&d->thread, NULL, dispatcher_main, d) != 0) {
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return JF_ERR_NOMEM;
    }
    *out = d;
    return JF_ERR_OK;
}

void jf_gateway_dispatcher_stop(jf_dispatcher *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stop = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    jf_crypto_zeroize(d->states, sizeof d->states);
    free(d);
}
