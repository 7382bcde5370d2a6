/* server_internal.h - state shared by the HTTP server (server.c) and the webhook intake
 * pipeline (intake.c) of `jianfu serve`. Not for use outside gateway/.
 */
#ifndef JF_GATEWAY_SERVER_INTERNAL_H
#define JF_GATEWAY_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/config.h"
#include "gateway/channels.h"
#include "gateway/dispatcher.h"
#include "gateway/triage_ctx.h"
#include "gateway/server.h"
#include "privacy/keyring.h"
#include "store/intake.h"
#include "webhook/inbound.h"

/* The longest request URI (path and query) we accept; providers' URLs are short. */
#define JF_GATEWAY_MAX_URI 2048

struct jf_server {
    const jf_config *cfg;
    const jf_keyring *kr;
    jf_store_intake *intake;
    struct MHD_Daemon *daemon;
    jf_channels channels;
    jf_dispatcher *dispatcher;
    jf_triage_holder *triage;
    atomic_int inflight; /* requests between URI callback and completion */

    pthread_t ready_thread;
    pthread_mutex_t ready_lock;
    pthread_cond_t ready_wake;
    bool ready_stop;     /* guarded by ready_lock */
    bool ready;          /* guarded by ready_lock */
    char ready_why[256]; /* guarded by ready_lock */
};

typedef enum { JF_REQ_READING, JF_REQ_WAITING, JF_REQ_DONE } jf_req_state;

typedef struct jf_intake_item jf_intake_item;

/* One request, from the URI callback to the completion callback. */
typedef struct {
    jf_server *srv;
    struct MHD_Connection *conn;
    char uri[JF_GATEWAY_MAX_URI + 1];
    bool uri_too_long;
    bool started;
    bool too_big;
    const char *method; /* libmicrohttpd's, valid for the whole request */
    jf_buf body;
    jf_req_state state; /* set to DONE by the last committer callback, before resuming */
    int64_t t0;

    /* Webhook intake state (intake.c). */
    const jf_channel *chan;
    void *adapter_state;
    jf_inbound msgs[JF_WEBHOOK_MAX_BATCH];
    size_t nmsgs;
    jf_intake_item *items; /* one per stored message */
    size_t nitems;
    atomic_int pending; /* items whose commit has not completed */
} jf_request;

/* Queue a response with the common security headers; Retry-After when asked. */
enum MHD_Result jf_gateway_respond(struct MHD_Connection *conn, unsigned status,
                                   const char *content_type, const char *body, size_t len,
                                   bool retry_after);

/* A plain-text response; msg never contains request data. 503 carries Retry-After. */
enum MHD_Result jf_gateway_respond_text(struct MHD_Connection *conn, unsigned status,
                                        const char *msg);

/* Send what an adapter rendered. */
enum MHD_Result jf_gateway_respond_reply(struct MHD_Connection *conn,
                                         const jf_webhook_reply *r);

/* intake.c: verify, protect and submit a complete webhook request, suspending the
 * connection until its messages are committed; then answer it. */
enum MHD_Result jf_gateway_webhook_start(jf_server *srv, jf_request *r);
enum MHD_Result jf_gateway_webhook_finish(jf_server *srv, jf_request *r);
void jf_gateway_webhook_release(jf_request *r);

#endif
