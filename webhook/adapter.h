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

#include <stddef.h>

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

/* HTTP methods an adapter answers (a bit set). */
#define JF_WEBHOOK_GET 1u
#define JF_WEBHOOK_POST 2u

typedef struct {
    const char *kind;
    unsigned methods;
    const jf_webhook_setting_spec *settings;
    size_t nsettings;
    /* Verify and parse req for channel ch. Three outcomes:
     *  - JF_ERR_OK with msg->msg_id set: a message to store; *msg borrows from *state,
     *    which the caller passes to release once done with *msg;
     *  - JF_ERR_OK with msg->msg_id NULL: nothing to store (a URL-verification handshake,
     *    an event that is not a message); *reply holds the complete answer to send;
     *  - an error: *state is NULL and *reply holds the rejection (400/403/405/413/415 for
     *    the client's mistakes, 500 for the server's, such as a missing setting). */
    jf_err (*receive)(const jf_webhook_channel *ch, const jf_webhook_request *req,
                      jf_inbound *msg, void **state, jf_webhook_reply *reply);
    /* Render the provider's success response (status 200) into *out carrying the
     * acknowledgement text (UTF-8; NULL for no reply message). state is what receive
     * returned, for adapters whose reply depends on the request (e.g. encrypted replies
     * addressed back to the sender). */
    jf_err (*render_ack)(const jf_webhook_channel *ch, void *state, const char *text,
                         jf_webhook_reply *out);
    /* Free what receive allocated; NULL allowed. */
    void (*release)(void *state);
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
