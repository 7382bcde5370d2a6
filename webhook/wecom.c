/* wecom.c - WeCom: the safe-mode app callback, app messages and group robots. */
#include "webhook/wecom.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "webhook/wxapi.h"
#include "webhook/wxmsg.h"

/* WeCom's URL check signs the encrypted echostr with msg_signature; every POST is
 * encrypted. */
static const jf_wxmsg_flavour wecom_flavour = {
    .label = "WeCom",
    .get_signature_param = "msg_signature",
    .echostr_encrypted = true,
    .encrypt_type_param = NULL,
};

/* gettoken answers: a wrong corp id or secret will not heal by retrying. */
static const jf_wxapi_code token_codes[] = {
    {-1, JF_SEND_RETRY, 0},    /* system busy */
    {45009, JF_SEND_RETRY, 0}, /* API rate limit */
    {45033, JF_SEND_RETRY, 0}, /* too many concurrent calls */
};

/* message/send answers. */
static const jf_wxapi_code send_codes[] = {
    {-1, JF_SEND_RETRY, 0},    /* system busy */
    {40014, JF_SEND_RETRY, 1}, /* invalid access_token */
    {42001, JF_SEND_RETRY, 1}, /* access_token expired */
    {40001, JF_SEND_RETRY, 1}, /* invalid credential */
    {41001, JF_SEND_RETRY, 1}, /* access_token missing */
    {45009, JF_SEND_RETRY, 0}, /* API rate limit */
    {45033, JF_SEND_RETRY, 0}, /* too many concurrent calls */
};

/* group robot answers. */
static const jf_wxapi_code robot_codes[] = {
    {-1, JF_SEND_RETRY, 0},    /* system busy */
    {45009, JF_SEND_RETRY, 0}, /* more than 20 messages a minute */
};

static const char *api_base(const jf_webhook_channel *ch)
{
    const char *b = jf_webhook_channel_get(ch, "api_base");
    return b ? b : JF_WECOM_DEFAULT_API_BASE;
}

static jf_err wecom_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                            jf_inbound *msgs, size_t max, size_t *n, void **state,
                            jf_webhook_reply *reply)
{
    return jf_webhook_wxmsg_receive(&wecom_flavour, ch, req, msgs, max, n, state, reply);
}

static jf_err wecom_token_request(const jf_webhook_channel *ch, jf_webhook_http *out)
{
    jf_err err = JF_ERR_CONFIG;
    const char *corp = jf_webhook_channel_get(ch, "receive_id");
    const char *secret = jf_webhook_channel_get(ch, "secret");

    if (!out)
        return JF_ERR_INVAL;
    if (!corp || !secret)
        goto out;
    out->method = "GET";
    out->content_type = NULL;
    err = jf_webhook_wxapi_url(&out->url, api_base(ch), "/cgi-bin/gettoken");
    if (err)
        goto out;
    err = jf_webhook_wxapi_param(&out->url, "corpid", corp);
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "corpsecret", secret);
out:
    return err;
}

static jf_err wecom_token_parse(long status, const char *body, size_t len, char *token,
                                size_t tokensz, int64_t *expires_in, jf_send_result *res)
{
    return jf_webhook_wxapi_token_parse(token_codes, sizeof token_codes / sizeof token_codes[0],
                                        status, body, len, token, tokensz, expires_in, res);
}

/* text_doc - {"msgtype": "text", "text": {"content": text}}, with extra members added by
 * the caller; NULL when text is not valid UTF-8 (jansson checks) or memory runs out. */
static json_t *text_doc(const char *text)
{
    return json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", text);
}

static jf_err wecom_send_request(const jf_webhook_channel *ch, const char *token,
                                 const char *address, const char *text, jf_webhook_http *out)
{
    jf_err err = JF_ERR_CONFIG;
    long long agent = 0;
    json_t *doc = NULL;

    if (!out || !token || !address || !address[0] || !text)
        return JF_ERR_INVAL;
    if (jf_webhook_wxapi_uint(jf_webhook_channel_get(ch, "agent_id"), &agent))
        goto out;
    err = jf_webhook_wxapi_url(&out->url, api_base(ch), "/cgi-bin/message/send");
    if (!err)
        err = jf_webhook_wxapi_param(&out->url, "access_token", token);
    if (err)
        goto out;
    err = JF_ERR_INVAL;
    doc = text_doc(text);
    if (!doc || json_object_set_new(doc, "touser", json_string(address)) ||
        json_object_set_new(doc, "agentid", json_integer(agent)))
        goto out;
    err = jf_webhook_wxapi_json_body(out, doc);
out:
    json_decref(doc);
    return err;
}

/* A non-empty list of user ids WeCom could not deliver to. The ids themselves are never
 * copied into the result: they are addresses. */
static bool lists_recipients(const json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v && v[0];
}

static void wecom_send_result(long status, const char *retry_after, const char *body,
                              size_t len, jf_send_result *res)
{
    static const char *const undelivered[] = {"invaliduser", "unlicenseduser"};
    json_error_t jerr;
    (void)retry_after;

    jf_webhook_wxapi_classify(send_codes, sizeof send_codes / sizeof send_codes[0], status,
                              body, len, res);
    if (!res || res->verdict != JF_SEND_OK)
        return;
    /* errcode 0 with the user listed as invalid means nothing was delivered. */
    json_t *doc = json_loadb(body, len, 0, &jerr);
    for (size_t i = 0; i < sizeof undelivered / sizeof undelivered[0]; i++) {
        if (lists_recipients(doc, undelivered[i])) {
            res->verdict = JF_SEND_FAIL;
            snprintf(res->error, sizeof res->error,
                     "WeCom did not deliver: the recipient is listed in %s", undelivered[i]);
            break;
        }
    }
    json_decref(doc);
}

jf_err jf_webhook_wecom_robot_request(const char *url, const char *text, jf_webhook_http *out)
{
    jf_err err = JF_ERR_INVAL;
    json_t *doc = NULL;

    if (!url || !text || !out)
        goto out;
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        goto out;
    jf_buf_reset(&out->url);
    err = jf_buf_appends(&out->url, url);
    if (err)
        goto out;
    err = JF_ERR_INVAL;
    doc = text_doc(text);
    if (!doc)
        goto out;
    err = jf_webhook_wxapi_json_body(out, doc);
out:
    json_decref(doc);
    return err;
}

void jf_webhook_wecom_robot_result(long status, const char *retry_after, const char *body,
                                   size_t len, jf_send_result *res)
{
    (void)retry_after;
    jf_webhook_wxapi_classify(robot_codes, sizeof robot_codes / sizeof robot_codes[0], status,
                              body, len, res);
}

static const jf_webhook_setting_spec wecom_settings[] = {
    {"token", "JIANFU_WECOM_TOKEN", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the callback Token: verifies msg_signature"},
    {"aes_key", "JIANFU_WECOM_AES_KEY", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the callback EncodingAESKey (43 characters): decrypts messages"},
    {"receive_id", "JIANFU_WECOM_RECEIVE_ID", JF_SETTING_REQUIRED,
     "the corp id (企业ID): the receive id inside every encrypted message"},
    {"secret", "JIANFU_WECOM_SECRET", JF_SETTING_SECRET,
     "the app's Secret: fetches the access token for sending"},
    {"agent_id", "JIANFU_WECOM_AGENT_ID", 0, "the app's AgentId: the sender of replies"},
    {"api_base", "JIANFU_WECOM_API_BASE", 0,
     "API base URL (default " JF_WECOM_DEFAULT_API_BASE ")"},
};

const jf_webhook_adapter jf_webhook_wecom_adapter = {
    .kind = "wecom",
    .methods = JF_WEBHOOK_GET | JF_WEBHOOK_POST,
    .inline_ack = true,
    .settings = wecom_settings,
    .nsettings = sizeof wecom_settings / sizeof wecom_settings[0],
    .receive = wecom_receive,
    .render_ack = jf_webhook_wxmsg_render_ack,
    .release = jf_webhook_wxmsg_release,
    .token_request = wecom_token_request,
    .token_parse = wecom_token_parse,
    .send_request = wecom_send_request,
    .send_result = wecom_send_result,
};
