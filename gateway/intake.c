/* intake.c - the webhook intake pipeline: verify, protect, set deadlines, store, answer.
 *
 * For every message a webhook request carries: the reporter key and the sealed reply
 * address (privacy/), the redacted text (privacy/), the three deadlines and a ticket code
 * (triage/), and a job for the group committer (store/). The connection is suspended
 * while the jobs wait for their commit; the last job to finish resumes it, and only then
 * is the provider answered: 2xx after COMMIT, 503 when the database could not take it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "gateway/server_internal.h"
#include "gateway/triage_ctx.h"
#include "privacy/pseudonym.h"
#include "privacy/redact.h"
#include "privacy/seal.h"
#include "triage/calendar.h"
#include "triage/ticket.h"
#include "webhook/adapter.h"

/* What a reporter is told when a message has no text to act on. */
#define EMPTY_MESSAGE_REPLY "减负直通车：请用文字描述您遇到的问题，我们会转给承办部门。"
/* How many times a ticket code is redrawn after a (very unlikely) collision. */
#define MAX_CODE_ATTEMPTS 4
/* The longest acknowledgement text. */
#define ACK_MAX 1024

struct jf_intake_item {
    jf_request *r;
    const jf_inbound *msg;
    uint8_t reporter_key[JF_REPORTER_KEY_LEN];
    jf_sealed sealed;
    jf_buf redacted;
    char code[JF_TICKET_LEN + 1];
    int attempts;
    jf_buf ack; /* outbox acknowledgement, for kinds without inline acks */
    jf_triage_decision decision;
    jf_store_intake_job job;
};

static const char *header_lookup(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

/* The acknowledgement a reporter reads on their phone: ticket code and answer deadline,
 * and the reassurance that matters most to them. Under 70 characters, so that it fits one
 * UCS-2 SMS segment. */
static jf_err ack_text(const char *code, int64_t answer_due, jf_buf *out)
{
    jf_date d = jf_clock_civil_from_days(jf_clock_cst_day(answer_due));
    return jf_buf_appendf(out,
                          "减负直通车已收到您的反映，编号%s，承办部门须于%d年%d月%d日前答复。"
                          "您的号码已加密，部门看不到您的身份。",
                          code, d.y, d.m, d.d);
}

/* Whether a message body holds anything but white space. */
static bool has_text(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return true;
    return false;
}

/* For kinds that cannot answer inline, the acknowledgement goes into the outbox in the
 * same transaction as the complaint; it names the candidate ticket code, so it is
 * rebuilt whenever the code is redrawn. */
static jf_err item_ack(jf_request *r, jf_intake_item *it)
{
    if (r->chan->adapter->inline_ack)
        return JF_ERR_OK;
    jf_buf_reset(&it->ack);
    jf_err err = ack_text(it->code, it->job.answer_due, &it->ack);
    it->job.ack = err ? NULL : it->ack.data;
    return err;
}

/* Runs on a committer thread when an item's job is finished. */
static void item_done(jf_store_intake_job *job, void *arg)
{
    jf_intake_item *it = arg;
    jf_request *r = it->r;
    if (job->err == JF_ERR_EXISTS && it->attempts < MAX_CODE_ATTEMPTS) {
        /* The random ticket code collided with an existing one: draw again. */
        it->attempts++;
        if (jf_triage_ticket_new(it->code) == JF_ERR_OK && item_ack(r, it) == JF_ERR_OK &&
            jf_store_intake_submit(r->srv->intake, job) == JF_ERR_OK)
            return;
        job->err = JF_ERR_DB;
    }
    if (atomic_fetch_sub(&r->pending, 1) == 1) {
        r->state = JF_REQ_DONE;
        MHD_resume_connection(r->conn);
    }
}

/* Protect one message and prepare its job. Returns the HTTP status to refuse the whole
 * request with, or 0. */
static unsigned item_prepare(jf_server *srv, jf_request *r, jf_intake_item *it, int64_t now)
{
    const jf_keyring *kr = srv->kr;
    const jf_inbound *m = it->msg;
    jf_redact_counts counts = {0, 0, 0};
    jf_store_intake_job *job = &it->job;

    it->r = r;
    /* Redaction never lengthens the text, so the webhook body bounds it. */
    jf_buf_init(&it->redacted, JF_WEBHOOK_MAX_BODY);
    jf_buf_init(&it->ack, ACK_MAX);
    if (jf_privacy_reporter_key(kr, r->chan->ch.kind, m->sender, it->reporter_key))
        return MHD_HTTP_BAD_REQUEST;
    jf_err err =
        jf_privacy_seal(kr, it->reporter_key, m->sender, strlen(m->sender), &it->sealed);
    if (!err)
        err = jf_privacy_redact(m->text, strlen(m->text), &it->redacted, &counts);
    if (err) {
        jf_log_error("webhook.privacy_failed", "kind=%s reason=%s", r->chan->ch.kind,
                     jf_errname(err));
        return err == JF_ERR_TOOBIG ? MHD_HTTP_CONTENT_TOO_LARGE
                                    : MHD_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* Classify and route the redacted text: numbers never reach the model or the reason. */
    jf_triage_ctx *tc = jf_gateway_triage_acquire(srv->triage);
    err = jf_gateway_triage_decide(tc, srv->cfg, it->redacted.data ? it->redacted.data : "",
                                   it->redacted.len, &it->decision);
    jf_gateway_triage_release(tc);
    if (err) {
        jf_log_error("webhook.triage_failed", "kind=%s reason=%s", r->chan->ch.kind,
                     jf_errname(err));
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    const jf_triage_decision *d = &it->decision;

    memset(job, 0, sizeof *job);
    if (jf_triage_due(now, d->sla_ack, &job->ack_due) ||
        jf_triage_due(now, d->sla_answer, &job->answer_due) ||
        jf_triage_due(now, d->sla_resolve, &job->resolve_due) || jf_triage_ticket_new(it->code))
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    job->category = d->category;
    job->confidence = d->confidence;
    job->department_id = d->department;
    job->urgent = d->urgent;
    job->route_reason = d->reason.data;
    job->kind = r->chan->ch.kind;
    job->channel = r->chan->ch.name;
    job->msg_id = m->msg_id;
    job->code = it->code;
    job->reporter_key = it->reporter_key;
    job->pseudonym_kid = jf_privacy_keyring_pseudonym(kr)->id;
    job->body = it->redacted.data;
    job->redactions = counts.phones + counts.ids + counts.cards;
    job->received_at = now;
    job->seal_kid = it->sealed.key_id;
    job->sealed = it->sealed.blob;
    job->sealed_len = it->sealed.len;
    job->done = item_done;
    job->done_arg = it;
    if (item_ack(r, it))
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    return 0;
}

static const char *refusal(unsigned status)
{
    switch (status) {
    case MHD_HTTP_BAD_REQUEST:
        return "a sender address is empty or malformed";
    case MHD_HTTP_CONTENT_TOO_LARGE:
        return "the message text is too long";
    default:
        return "internal error protecting the message; it was not accepted";
    }
}

enum MHD_Result jf_gateway_webhook_start(jf_server *srv, jf_request *r)
{
    enum MHD_Result ret;
    jf_webhook_reply reply;
    char full_url[JF_GATEWAY_MAX_URI + 512];
    const jf_webhook_adapter *a = r->chan->adapter;

    jf_webhook_reply_init(&reply);
    snprintf(full_url, sizeof full_url, "%s%s", srv->cfg->public_url, r->uri);
    const char *q = strchr(r->uri, '?');
    int64_t now = jf_clock_now();
    jf_webhook_request wreq = {
        .method = r->method,
        .url = full_url,
        .query = q ? q + 1 : "",
        .content_type =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .header = header_lookup,
        .header_ctx = r->conn,
        .body = r->body.data ? r->body.data : "",
        .body_len = r->body.len,
        .now = now,
    };
    jf_err err = a->receive(&r->chan->ch, &wreq, r->msgs, JF_WEBHOOK_MAX_BATCH, &r->nmsgs,
                            &r->adapter_state, &reply);
    if (err) {
        jf_log_info("webhook.rejected", "kind=%s channel=%s status=%u reason=%s",
                    r->chan->ch.kind, r->chan->ch.name, reply.status, jf_errname(err));
        ret = jf_gateway_respond_reply(r->conn, &reply);
        goto out;
    }
    if (r->nmsgs == 0) {
        /* A handshake or an event that carries no message: the adapter has answered. */
        ret = jf_gateway_respond_reply(r->conn, &reply);
        goto out;
    }

    /* Messages without text open no complaint; a lone one is answered with a request to
     * write what the problem is, where the provider lets us answer inline. */
    size_t n = 0;
    for (size_t i = 0; i < r->nmsgs; i++)
        n += has_text(r->msgs[i].text);
    if (n == 0) {
        jf_log_info("webhook.empty", "kind=%s messages=%zu", r->chan->ch.kind, r->nmsgs);
        if (a->render_ack(&r->chan->ch, r->adapter_state,
                          a->inline_ack && r->nmsgs == 1 ? EMPTY_MESSAGE_REPLY : NULL,
                          &reply)) {
            ret = jf_gateway_respond_text(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                          "internal error rendering the reply");
            goto out;
        }
        ret = jf_gateway_respond_reply(r->conn, &reply);
        goto out;
    }

    r->items = calloc(n, sizeof *r->items);
    if (!r->items) {
        ret = jf_gateway_respond_text(r->conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                                      "out of memory; retry later");
        goto out;
    }
    for (size_t i = 0; i < r->nmsgs; i++) {
        if (!has_text(r->msgs[i].text))
            continue;
        jf_intake_item *it = &r->items[r->nitems++];
        it->msg = &r->msgs[i];
        unsigned status = item_prepare(srv, r, it, now);
        if (status) {
            ret = jf_gateway_respond_text(r->conn, status, refusal(status));
            goto out;
        }
    }

    /* Suspend before submitting, so that a commit finishing at once finds the connection
     * already suspended when it resumes it. Items that cannot be queued count as done. */
    r->state = JF_REQ_WAITING;
    atomic_store(&r->pending, (int)r->nitems);
    MHD_suspend_connection(r->conn);
    for (size_t i = 0; i < r->nitems; i++) {
        jf_intake_item *it = &r->items[i];
        err = jf_store_intake_submit(srv->intake, &it->job);
        if (err) {
            it->job.err = err;
            if (atomic_fetch_sub(&r->pending, 1) == 1) {
                r->state = JF_REQ_DONE;
                MHD_resume_connection(r->conn);
            }
        }
    }
    ret = MHD_YES;
out:
    jf_webhook_reply_free(&reply);
    return ret;
}

enum MHD_Result jf_gateway_webhook_finish(jf_server *srv, jf_request *r)
{
    (void)srv;
    enum MHD_Result ret;
    jf_webhook_reply reply;
    jf_buf text;
    const jf_webhook_adapter *a = r->chan->adapter;
    jf_err worst = JF_ERR_OK;

    jf_webhook_reply_init(&reply);
    jf_buf_init(&text, ACK_MAX);
    int64_t ms = jf_clock_mono_ms() - r->t0;
    for (size_t i = 0; i < r->nitems; i++) {
        jf_err e = r->items[i].job.err;
        if (e == JF_ERR_DB_UNAVAILABLE || e == JF_ERR_BUSY || e == JF_ERR_SHUTDOWN)
            worst = e;
        else if (e && !worst)
            worst = e;
    }

    if (worst == JF_ERR_DB_UNAVAILABLE || worst == JF_ERR_BUSY || worst == JF_ERR_SHUTDOWN) {
        /* The provider retries; what did commit is found again by its message id. */
        jf_log_warn("webhook.deferred", "kind=%s reason=%s messages=%zu ms=%lld",
                    r->chan->ch.kind, jf_errname(worst), r->nitems, (long long)ms);
        ret = jf_gateway_respond_text(r->conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                                      "the message was not stored because the database is "
                                      "unavailable; retry later");
        goto out;
    }
    if (worst) {
        jf_log_error("webhook.store_failed", "kind=%s reason=%s", r->chan->ch.kind,
                     jf_errname(worst));
        ret = jf_gateway_respond_text(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "the message could not be stored; it was not accepted");
        goto out;
    }
    const char *ack = NULL;
    if (a->inline_ack && r->nitems == 1) {
        if (ack_text(r->items[0].job.result_code, r->items[0].job.result_answer_due, &text)) {
            ret = jf_gateway_respond_text(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                          "stored, but the acknowledgement could not be built");
            goto out;
        }
        ack = text.data;
    }
    if (a->render_ack(&r->chan->ch, r->adapter_state, ack, &reply)) {
        ret = jf_gateway_respond_text(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "stored, but the acknowledgement could not be rendered");
        goto out;
    }
    for (size_t i = 0; i < r->nitems; i++)
        jf_log_info("webhook.stored", "kind=%s channel=%s ticket=%s created=%d ms=%lld",
                    r->chan->ch.kind, r->chan->ch.name, r->items[i].job.result_code,
                    r->items[i].job.created, (long long)ms);
    ret = jf_gateway_respond_reply(r->conn, &reply);
out:
    jf_webhook_reply_free(&reply);
    jf_buf_free(&text);
    return ret;
}

void jf_gateway_webhook_release(jf_request *r)
{
    for (size_t i = 0; r->items && i < r->nitems; i++) {
        jf_intake_item *it = &r->items[i];
        jf_privacy_sealed_free(&it->sealed);
        jf_buf_free(&it->redacted);
        jf_buf_free(&it->ack);
        jf_buf_free(&it->decision.reason);
        jf_crypto_zeroize(it->reporter_key, sizeof it->reporter_key);
    }
    free(r->items);
    r->items = NULL;
    r->nitems = 0;
    if (r->chan && r->adapter_state)
        r->chan->adapter->release(r->adapter_state);
    r->adapter_state = NULL;
}
