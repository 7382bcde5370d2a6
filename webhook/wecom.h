/* wecom.h - WeCom (企业微信, incl. 政务微信) app callbacks, app messages and group robots.
 *
 * Inbound: the app's "receive messages" callback in safe mode, kind "wecom", path
 * /webhooks/wecom: a GET verifies the URL (msg_signature over token, timestamp, nonce and
 * the encrypted echostr, which is decrypted and answered as text/plain), POSTs carry
 * encrypted messages. Checks, rejects and the jf_inbound mapping are those of wxmsg.h with
 * the WeCom flavour. Acknowledgements are inline: the encrypted passive reply to the
 * sender (ToUserName = sender, FromUserName = corp id, MsgType text).
 *
 * Outbound, to a reporter (the dispatcher's token_request / token_parse / send_request /
 * send_result): GET {api_base}/cgi-bin/gettoken?corpid=&corpsecret= for the access token,
 * then POST {api_base}/cgi-bin/message/send?access_token= with
 *     {"touser": user id, "msgtype": "text", "agentid": N, "text": {"content": text}}.
 * errcode 0 is delivered unless WeCom lists the user as invalid; 40014, 42001, 40001,
 * 41001 (access token refused) are retried with a fresh token; -1 (busy), 45009 and 45033
 * (rate limits), HTTP 429 and 5xx are retried; anything else is permanent.
 *
 * Outbound, to a department: a WeCom group robot (群机器人), whose webhook URL
 * (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...) is itself the credential.
 *
 * Settings (key, environment variable): token JIANFU_WECOM_TOKEN (required, secret),
 * aes_key JIANFU_WECOM_AES_KEY (required, secret), receive_id JIANFU_WECOM_RECEIVE_ID
 * (required: the corp id), secret JIANFU_WECOM_SECRET (secret; the app's Secret, for
 * sending), agent_id JIANFU_WECOM_AGENT_ID (the app's AgentId, for sending), api_base
 * JIANFU_WECOM_API_BASE (default JF_WECOM_DEFAULT_API_BASE). All functions are
 * thread-safe.
 */
#ifndef JF_WEBHOOK_WECOM_H
#define JF_WEBHOOK_WECOM_H

#include "core/err.h"
#include "webhook/adapter.h"

#define JF_WECOM_DEFAULT_API_BASE "https://qyapi.weixin.qq.com"

/* jf_webhook_wecom_robot_request - build into out (initialised) the POST of text to the
 * group robot at url ("https://" or "http://"; the robot's full webhook URL with its key):
 *     {"msgtype": "text", "text": {"content": text}}
 * JF_ERR_INVAL for a NULL or non-http(s) url, or text that is NULL or not valid UTF-8;
 * JF_ERR_TOOBIG past JF_WEBHOOK_HTTP_MAX_URL or JF_WEBHOOK_HTTP_MAX_BODY; JF_ERR_NOMEM.
 * The URL holds the robot's key: out is wiped by jf_webhook_http_free. */
jf_err jf_webhook_wecom_robot_request(const char *url, const char *text,
                                      jf_webhook_http *out) JF_WUR;

/* jf_webhook_wecom_robot_result - classify a group robot's answer: errcode 0 delivered;
 * -1 and 45009 (a robot may send 20 messages a minute), HTTP 429 and 5xx retried;
 * anything else (93000 invalid webhook URL, ...) permanent. */
void jf_webhook_wecom_robot_result(long status, const char *retry_after, const char *body,
                                   size_t len, jf_send_result *res);

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_wecom_adapter;

#endif
