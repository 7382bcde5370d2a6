/* adapter.h - the provider adapter interface and the table of adapters.
 *
 * Each provider kind is one row of a static table: how to check that a request really
 * comes from the provider, how to turn it into a jf_inbound, and how to answer it.
 * The gateway does the I/O (HTTP, database) and calls these in this order:
 *     receive  -> verify + parse into a jf_inbound (state owned by the adapter)
 *     (gateway stores the complaint and commits)
 *     render_ack -> the provider's success response carrying the acknowledgement text
 *     release  -> free the parse state
 * On failure receive fills *reply with the status and a message a provider's operator
 * can act on, and the gateway sends it as is. A reject message names what is wrong
 * ("missing required parameter MessageSid") and never echoes a request value: values are
 * phone numbers and message text. Adapters are stateless; all functions are thread-safe.
 *
 * Replies: the gateway initialises every jf_webhook_reply it hands an adapter with
 * jf_webhook_reply_init and frees it with jf_webhook_reply_free, whatever the outcome.
 * An adapter replaces the reply's contents; it never frees it.
 *
 * Adding a provider is one file defining a const jf_webhook_adapter and one row in the
 * table in adapter.c.
 */
#ifndef JF_WEBHOOK_ADAPTER_H
#define JF_WEBHOOK_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "webhook/inbound.h"

/* Flags of a channel setting. */
#define JF_SETTING_REQUIRED 1u /* the channel cannot be enabled without it */
#define JF_SETTING_SECRET 2u   /* never logged or shown, not even its length */

/* One setting an adapter understands. The default channel of the kind reads it from the
 * environment variable env; a named channel from its section of the channel file. */
typedef struct {
    const char *key; /* "auth_token" */
    const char *env; /* "JIANFU_TWILIO_AUTH_TOKEN" */
    unsigned flags;
    const char *help; /* one line for docs and error messages */
} jf_webhook_setting_spec;

/* An outbound HTTP request that an adapter builds and the dispatcher performs (webhook/
 * does no I/O). Initialise with jf_webhook_http_init, free with jf_webhook_http_free. */
#define JF_WEBHOOK_HTTP_MAX_HEADERS 4
#define JF_WEBHOOK_HTTP_MAX_URL 4096
#define JF_WEBHOOK_HTTP_MAX_BODY (32 * 1024)
typedef struct {
    const char *method;       /* "GET" or "POST"; static */
    jf_buf url;               /* bounded by JF_WEBHOOK_HTTP_MAX_URL */
    const char *content_type; /* static; NULL for no body */
    char headers[JF_WEBHOOK_HTTP_MAX_HEADERS][256]; /* "Name: value" */
    size_t nheaders;
    jf_buf body; /* bounded by JF_WEBHOOK_HTTP_MAX_BODY */
} jf_webhook_http;

void jf_webhook_http_init(jf_webhook_http *h);
void jf_webhook_http_free(jf_webhook_http *h); /* wipes: URLs and bodies carry addresses */

/* What a provider's answer to a send means for the outbox row. */
typedef enum {
    JF_SEND_OK,    /* delivered to the provider */
    JF_SEND_RETRY, /* transient (5xx, 429, rate limit, expired token): try again later */
    JF_SEND_FAIL   /* permanent (bad address, bad credentials): the row is dead */
} jf_send_verdict;

typedef struct {
    jf_send_verdict verdict;
    int retry_after;  /* seconds the provider asked us to wait; 0 when it did not say */
    int token_stale;  /* the access token was refused: fetch a new one before retrying */
    char error[256];  /* the provider's error code and message; never an address or text */
} jf_send_result;

/* HTTP methods an adapter answers (a bit set). */
#define JF_WEBHOOK_GET 1u
#define JF_WEBHOOK_POST 2u

typedef struct {
    const char *kind;
    unsigned methods;
    const jf_webhook_setting_spec *settings;
    size_t nsettings;
    /* Whether render_ack can carry the acknowledgement text to the reporter in the HTTP
     * response itself (TwiML, Kannel's reply body, WeCom's passive reply). Kinds that
     * cannot are acknowledged through the outbox, and render_ack gets NULL text. */
    bool inline_ack;
    /* Verify and parse req for channel ch into msgs[0..*n) (at most max, which is
     * JF_WEBHOOK_MAX_BATCH). Three outcomes:
     *  - JF_ERR_OK with *n > 0: messages to store; they borrow from *state, which the
     *    caller passes to release once done with them;
     *  - JF_ERR_OK with *n == 0: nothing to store (a URL-verification handshake, a
     *    delivery receipt, an event that is not a message); *reply holds the complete
     *    answer to send;
     *  - an error: *state is NULL, *n is 0 and *reply holds the rejection (400/403/405/
     *    413/415 for the client's mistakes, 500 for the server's, such as a missing
     *    setting). */
    jf_err (*receive)(const jf_webhook_channel *ch, const jf_webhook_request *req,
                      jf_inbound *msgs, size_t max, size_t *n, void **state,
                      jf_webhook_reply *reply);
    /* Render the provider's success response (status 200) into *out carrying the
     * acknowledgement text (UTF-8; NULL for no reply message). state is what receive
     * returned, for adapters whose reply depends on the request (e.g. encrypted replies
     * addressed back to the sender). */
    jf_err (*render_ack)(const jf_webhook_channel *ch, void *state, const char *text,
                         jf_webhook_reply *out);
    /* Free what receive allocated; NULL allowed. */
    void (*release)(void *state);

    /* Outbound, for kinds that can send a message to a reporter; all NULL otherwise.
     * Kinds whose send API needs an access token (WeCom, WeChat, DingTalk) also set
     * token_request and token_parse; the dispatcher caches the token per channel until it
     * expires and passes it to send_request (NULL for kinds without tokens). */
    jf_err (*token_request)(const jf_webhook_channel *ch, jf_webhook_http *out);
    jf_err (*token_parse)(long status, const char *body, size_t len, char *token,
                          size_t tokensz, int64_t *expires_in, jf_send_result *res);
    /* Build the request that delivers text to address (the reply address just opened from
     * its seal: sensitive, wiped by the caller after use). */
    jf_err (*send_request)(const jf_webhook_channel *ch, const char *token,
                           const char *address, const char *text, jf_webhook_http *out);
    /* Classify the provider's answer to a send: HTTP status, Retry-After header (may be
     * NULL), body. */
    void (*send_result)(long status, const char *retry_after, const char *body, size_t len,
                        jf_send_result *res);
} jf_webhook_adapter;

/* jf_webhook_adapter_at - the i-th adapter of the table (0-based), or NULL past its end;
 * lets the gateway enumerate the kinds it can enable. */
const jf_webhook_adapter *jf_webhook_adapter_at(size_t i);

/* jf_webhook_adapter_find - the adapter for kind (exact, case-sensitive: the <kind> of
 * /webhooks/<kind>), or NULL if there is none or kind is NULL. The row is static. */
const jf_webhook_adapter *jf_webhook_adapter_find(const char *kind);

/* jf_webhook_reply_init / _free - an empty reply (status 0, no content type) whose body
 * is bounded by JF_WEBHOOK_MAX_REPLY. _free wipes and releases the body and leaves r
 * empty and reusable. */
void jf_webhook_reply_init(jf_webhook_reply *r);
void jf_webhook_reply_free(jf_webhook_reply *r);

/* jf_webhook_reply_text - replace r (initialised) with a "text/plain; charset=utf-8"
 * response of this status whose body is msg. JF_ERR_INVAL for a NULL r or msg,
 * JF_ERR_TOOBIG past JF_WEBHOOK_MAX_REPLY, JF_ERR_NOMEM; on failure the body is empty. */
jf_err jf_webhook_reply_text(jf_webhook_reply *r, unsigned status, const char *msg) JF_WUR;

#endif
