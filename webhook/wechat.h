/* wechat.h - WeChat official account (微信公众号) callbacks and customer-service messages.
 *
 * Inbound: the account's server configuration (服务器配置) in safe mode (安全模式), kind
 * "wechat", path /webhooks/wechat: a GET verifies the URL with `signature` over token,
 * timestamp and nonce (no ciphertext) and is answered with echostr as is; POSTs carry
 * encrypt_type=aes and msg_signature in the query and the encrypted message in the body.
 * Plaintext mode (明文模式) is refused: its signature does not cover the body. Checks,
 * rejects and the jf_inbound mapping are those of wxmsg.h with the WeChat flavour
 * (sender = the user's openid, recipient = the account's original id gh_...).
 * Acknowledgements are inline: the encrypted passive reply.
 *
 * Outbound, to a reporter: GET {api_base}/cgi-bin/token?grant_type=client_credential
 * &appid=&secret= for the access token, then the customer-service message API, POST
 * {api_base}/cgi-bin/message/custom/send?access_token= with
 *     {"touser": openid, "msgtype": "text", "text": {"content": text}}.
 * WeChat allows these only within 48 hours of the user's last message (errcode 45015) and
 * caps them per user (45047): both are permanent for the row. 40001, 40014, 42001, 41001
 * (access token refused) are retried with a fresh token; -1 (busy), 45009 (rate limit),
 * HTTP 429 and 5xx are retried.
 *
 * Settings: token JIANFU_WECHAT_TOKEN (required, secret), aes_key JIANFU_WECHAT_AES_KEY
 * (required, secret), receive_id JIANFU_WECHAT_RECEIVE_ID (required: the AppID), secret
 * JIANFU_WECHAT_SECRET (secret; the AppSecret, for sending), api_base
 * JIANFU_WECHAT_API_BASE (default JF_WECHAT_DEFAULT_API_BASE). Thread-safe.
 */
#ifndef JF_WEBHOOK_WECHAT_H
#define JF_WEBHOOK_WECHAT_H

#include "webhook/adapter.h"

#define JF_WECHAT_DEFAULT_API_BASE "https://api.weixin.qq.com"

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_wechat_adapter;

#endif
