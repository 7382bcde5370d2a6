/* wechat.c - WeChat official accounts: the safe-mode callback and customer-service sends. */
#include "webhook/wechat.h"

#include <jansson.h>

#include "webhook/wxapi.h"
#include "webhook/wxmsg.h"

/* WeChat's URL check signs token, timestamp and nonce with `signature` and echoes echostr
 * as is; a POST is encrypted when encrypt_type=aes. */
static const jf_wxmsg_flavour wechat_flavour = {
    .label = "WeChat",
    .get_signature_param = "signature",
    .echostr_encrypted = false,
    .encrypt_type_param = "encrypt_type",
};

/* token answers: a wrong AppID or AppSecret, or a server IP missing from the account's
 * IP whitelist (40164), will not heal by retrying. */
static const jf_wxapi_code token_codes[] = {
    {-1, JF_SEND_RETRY, 0},    /* system busy */
    {45009, JF_SEND_RETRY, 0}, /* API rate limit */
};

/* message/custom/send answers. */
static const jf_wxapi_code send_codes[] = {
    {-1, JF_SEND_RETRY, 0},    /* system busy */
    {40001, JF_SEND_RETRY, 1}, /* invalid credential: the token is not the latest */
    {40014, JF_SEND_RETRY, 1}, /* invalid access_token */
    {42001, JF_SEND_RETRY, 1}, /* access_token expired */
    {41001, JF_SEND_RETRY, 1}, /* access_token missing */
    {45009, JF_SEND_RETRY, 0}, /* API rate limit */
};

static const char *api_base(const jf_webhook_channel *ch)
{
    const char *b = jf_webhook_channel_get(ch, "api_base");
    return b ? b : JF_WECHAT_DEFAULT_API_BASE;
}

static jf_err wechat_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                             jf_inbound *msgs, size_t max, size_t *n, void **state,
                             jf_webhook_reply *reply)
{
    return jf_webhook_wxmsg_receive(&wechat_flavour, ch, req, msgs, max, n, state, reply);
}

static jf_err wechat_token_request(const jf_webhook_channel *ch, jf_webhook_http *out)
{
    jf_err err = JF_ERR_CONFIG;
    const char *appid = jf_webhook_channel_get(ch, "receive_id");
    const char *secret = jf_webhook_channel_get(ch, "secret");

    if (!out)
        return JF_ERR_INVAL;
    if (!appid || !secret)
        goto out;
    out->method = "GET";
    out->content_type = NULL;
    err = jf_webhook_wxapi_url(&out->url, api_base(ch), "/cgi-bin/token");
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "grant_type", "client_credential");
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "appid", appid);
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "secret", secret);
out:
    return err;
}

static jf_err wechat_token_parse(long status, const char *body, size_t len, char *token,
                                 size_t tokensz, int64_t *expires_in, jf_send_result *res)
{
    return jf_webhook_wxapi_token_parse(token_codes, sizeof token_codes / sizeof token_codes[0],
                                        status, body, len, token, tokensz, expires_in, res);
}

static jf_err wechat_send_request(const jf_webhook_channel *ch, const char *token,
                                  const char *address, const char *text, jf_webhook_http *out)
{
    jf_err err = JF_ERR_INVAL;
    json_t *doc = NULL;

    if (!out || !token || !address || !address[0] || !text)
        return JF_ERR_INVAL;
    err = jf_webhook_wxapi_url(&out->url, api_base(ch), "/cgi-bin/message/custom/send");
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "access_token", token);
    if (err)
        goto out;
    err = JF_ERR_INVAL;
    doc = json_pack("{s:s, s:s, s:{s:s}}", "touser", address, "msgtype", "text", "text",
                    "content", text);
    if (!doc)
        goto out;
    err = jf_webhook_wxapi_json_body(out, doc);
out:
    json_decref(doc);
    return err;
}

static void wechat_send_result(long status, const char *retry_after, const char *body,
                               size_t len, jf_send_result *res)
{
    (void)retry_after;
    jf_webhook_wxapi_classify(send_codes, sizeof send_codes / sizeof send_codes[0], status,
                              body, len, res);
}

static const jf_webhook_setting_spec wechat_settings[] = {
    {"token", "JIANFU_WECHAT_TOKEN", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the server configuration Token: verifies signature and msg_signature"},
    {"aes_key", "JIANFU_WECHAT_AES_KEY", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the EncodingAESKey (43 characters): decrypts messages"},
    {"receive_id", "JIANFU_WECHAT_RECEIVE_ID", JF_SETTING_REQUIRED,
     "the AppID: the receive id inside every encrypted message"},
    {"secret", "JIANFU_WECHAT_SECRET", JF_SETTING_SECRET,
     "the AppSecret: fetches the access token for sending"},
    {"api_base", "JIANFU_WECHAT_API_BASE", 0,
     "API base URL (default " JF_WECHAT_DEFAULT_API_BASE ")"},
};

const jf_webhook_adapter jf_webhook_wechat_adapter = {
    .kind = "wechat",
    .methods = JF_WEBHOOK_GET | JF_WEBHOOK_POST,
    .inline_ack = true,
    .settings = wechat_settings,
    .nsettings = sizeof wechat_settings / sizeof wechat_settings[0],
    .receive = wechat_receive,
    .render_ack = jf_webhook_wxmsg_render_ack,
    .release = jf_webhook_wxmsg_release,
    .token_request = wechat_token_request,
    .token_parse = wechat_token_parse,
    .send_request = wechat_send_request,
    .send_result = wechat_send_result,
};
