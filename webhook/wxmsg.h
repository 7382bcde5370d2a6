/* wxmsg.h - the encrypted XML callback shared by WeCom apps and WeChat official accounts.
 *
 * Both providers use the same "safe mode" (安全模式) callback: a GET to verify the URL,
 * then POSTs of <xml>...<Encrypt>ciphertext</Encrypt></xml> signed by msg_signature over
 * token, timestamp, nonce and ciphertext, whose plaintext is the message as flat XML; and
 * a passive reply (被动回复) that is itself encrypted and signed. They differ only in the
 * URL check and in what marks a POST as encrypted, which a jf_wxmsg_flavour states, so
 * that wecom.c and wechat.c are a table row each. Channel settings read here: token,
 * aes_key, receive_id (all three required).
 *
 * Checks, in order, so that only a correctly signed request learns what else is needed:
 *   settings (500) -> method GET or POST (405) -> query string well-formed (400) ->
 *   GET: signature, timestamp, nonce, echostr present (400) -> signature (403) ->
 *     timestamp a number (400) and within JF_WXMSG_MAX_SKEW of the server clock (403) ->
 *     echostr decrypts for our receive id (WeCom; 400/403) or is a plain token (WeChat;
 *     400) -> 200 text/plain with the echo; *n == 0.
 *   POST: Content-Type text/xml or application/xml (415) -> body within
 *     JF_WEBHOOK_MAX_BODY (413) -> [WeChat: encrypt_type=aes (400)] -> msg_signature,
 *     timestamp, nonce present (400) -> body XML with an Encrypt element (400) ->
 *     msg_signature (403) -> timestamp (400/403) -> decryption and receive id (400/403) ->
 *     decrypted XML with MsgType (400) -> MsgType text: MsgId (1..JF_WEBHOOK_MAX_MSG_ID of
 *     A-Z a-z 0-9 _ -), FromUserName (non-empty) and Content present (400) -> one message;
 *     any other MsgType (events, pictures, voice) -> *n == 0 and an empty 200.
 * jf_inbound: msg_id = MsgId, sender = FromUserName (user id / openid), recipient = AgentID
 * when present (WeCom's app) else ToUserName (corp id / the account's gh_ id), text =
 * Content. Replays inside the freshness window are caught downstream by MsgId.
 * All functions are thread-safe.
 */
#ifndef JF_WEBHOOK_WXMSG_H
#define JF_WEBHOOK_WXMSG_H

#include <stdbool.h>

#include "core/err.h"
#include "webhook/adapter.h"

/* How far a request's timestamp may be from the server clock, either way, in seconds.
 * The providers retry within seconds (WeCom and WeChat: three tries in 15 s). */
#define JF_WXMSG_MAX_SKEW 300
/* Longest plain echostr of WeChat's URL check that is echoed back. */
#define JF_WXMSG_MAX_ECHOSTR 128

typedef struct {
    const char *label; /* "WeCom", "WeChat": names the provider in reject messages */
    /* GET: the query parameter carrying the signature, and whether echostr is a
     * ciphertext included in it (WeCom) or a plain token echoed as is (WeChat, whose
     * signature covers token, timestamp and nonce only). */
    const char *get_signature_param;
    bool echostr_encrypted;
    /* POST: a query parameter that must equal "aes" for the body to be encrypted
     * (WeChat's encrypt_type); NULL when every POST is encrypted (WeCom). */
    const char *encrypt_type_param;
} jf_wxmsg_flavour;

/* jf_webhook_wxmsg_receive - the adapter's receive for flavour f (see the order above). */
jf_err jf_webhook_wxmsg_receive(const jf_wxmsg_flavour *f, const jf_webhook_channel *ch,
                                const jf_webhook_request *req, jf_inbound *msgs, size_t max,
                                size_t *n, void **state, jf_webhook_reply *reply) JF_WUR;

/* jf_webhook_wxmsg_render_ack - the passive reply to the message receive returned in
 * state: NULL text renders an empty 200 (no reply); otherwise a text message to the
 * sender from the account it wrote to, encrypted with a fresh random prefix, signed with
 * the time of receipt and a fresh nonce, as
 *     <xml><Encrypt>..</Encrypt><MsgSignature>..</MsgSignature><TimeStamp>..</TimeStamp>
 *     <Nonce>..</Nonce></xml>
 * JF_ERR_INVAL for text XML cannot carry or a NULL state with text; JF_ERR_CONFIG for
 * unusable settings; JF_ERR_TOOBIG, JF_ERR_NOMEM, JF_ERR_CRYPTO. On failure out's body is
 * empty. */
jf_err jf_webhook_wxmsg_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                   jf_webhook_reply *out) JF_WUR;

/* jf_webhook_wxmsg_release - free receive's state (wiping the message); NULL allowed. */
void jf_webhook_wxmsg_release(void *state);

#endif
