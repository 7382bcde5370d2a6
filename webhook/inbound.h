/* inbound.h - the normalised inbound message every adapter produces, and the request and
 * reply shapes adapters work on.
 *
 * The gateway hands an adapter a jf_webhook_request that borrows the HTTP request; the
 * adapter verifies it, and parses it into a jf_inbound that borrows from the adapter's
 * own parse state. Nothing here performs I/O.
 */
#ifndef JF_WEBHOOK_INBOUND_H
#define JF_WEBHOOK_INBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* The maximum webhook body the gateway accepts (larger gets 413). */
#define JF_WEBHOOK_MAX_BODY (64 * 1024)
/* Longest provider message id kept for idempotency. */
#define JF_WEBHOOK_MAX_MSG_ID 128
/* Most messages one webhook request may carry (providers that batch: Aliyun, WhatsApp). */
#define JF_WEBHOOK_MAX_BATCH 32
/* Largest reply body an adapter renders. */
#define JF_WEBHOOK_MAX_REPLY (16 * 1024)

/* One inbound message. All pointers are borrowed from the adapter's parse state and stay
 * valid until that state is released. sender is the reporter's address: it must never be
 * logged, stored or echoed in clear. */
typedef struct {
    const char *msg_id;    /* provider's message id: the idempotency key */
    const char *sender;    /* phone number or chat user id (sensitive) */
    const char *recipient; /* short code / number / account written to; may be NULL */
    const char *text;      /* message body as sent, UTF-8 */
} jf_inbound;

/* A header lookup supplied by the gateway: the value of header name, or NULL. */
typedef const char *(*jf_webhook_header_fn)(void *ctx, const char *name);

/* What an adapter sees of an HTTP request; everything borrowed. */
typedef struct {
    const char *method;       /* "GET" or "POST" */
    const char *url;          /* full external URL: public base + path + query, as sent */
    const char *query;        /* raw query string after '?', still %-encoded; "" if none */
    const char *content_type; /* may be NULL */
    jf_webhook_header_fn header;
    void *header_ctx;
    const char *body; /* NUL-terminated; body_len excludes the NUL */
    size_t body_len;
    int64_t now; /* Unix seconds at receipt, for freshness checks of signed timestamps */
} jf_webhook_request;

/* A response an adapter renders. body is bounded by JF_WEBHOOK_MAX_REPLY. */
typedef struct {
    unsigned status;
    const char *content_type; /* static string */
    jf_buf body;
} jf_webhook_reply;

#define JF_WEBHOOK_MAX_SETTINGS 16

/* One setting of a channel: key as named in the adapter's setting table. */
typedef struct {
    const char *key;
    const char *value;
} jf_webhook_setting;

/* One configured channel: the default channel of a kind (settings from JIANFU_<KIND>_*
 * environment variables) or a named one from the channel file. Everything is borrowed
 * from configuration, read-only after start-up and shared by all threads. */
typedef struct {
    const char *kind; /* "twilio" */
    const char *name; /* "default" or the <name> of /webhooks/<kind>/<name> */
    jf_webhook_setting settings[JF_WEBHOOK_MAX_SETTINGS];
    size_t nsettings;
} jf_webhook_channel;

/* jf_webhook_channel_get - the value of setting key of ch, or NULL when unset or empty. */
const char *jf_webhook_channel_get(const jf_webhook_channel *ch, const char *key);

#endif
