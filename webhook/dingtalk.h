/* dingtalk.h - DingTalk (钉钉, incl. 浙政钉-style government workspaces): robot callbacks,
 * event subscriptions, work notifications and custom group robots.
 *
 * Inbound, kind "dingtalk", path /webhooks/dingtalk, POST application/json; two mechanisms
 * share the path and are told apart by how the request is signed:
 *   (a) robot callback (企业内部机器人 receives an @-message): headers `timestamp` (Unix
 *       milliseconds) and `sign` = base64(HMAC-SHA256(app secret, timestamp + "\n" +
 *       app secret)). A timestamp more than one hour from the server clock is refused,
 *       as DingTalk's documentation prescribes. Body fields: msgtype, msgId,
 *       senderStaffId (the user id; senderId, an opaque id, when absent), text.content,
 *       chatbotUserId. Acknowledgements are inline: {"msgtype":"text","text":{"content":
 *       ...}}, or {"msgtype":"empty"} for no reply.
 *   (b) event subscription over HTTP (事件订阅, HTTP 推送): query msg_signature (or
 *       signature), timestamp (or timeStamp) and nonce; body {"encrypt": "..."}; the
 *       WXBizMsgCrypt scheme of wxcrypt.h with receive id = the owner key (the app key of
 *       an internal app, the suite key of a third-party app). Every event, check_url
 *       included, is answered with the encrypted "success":
 *           {"msg_signature": ..., "timeStamp": ..., "nonce": ..., "encrypt": ...}
 *       and carries no message (*n == 0): cadres reach jianfu through the robot.
 * Checks, in order: method POST (405) -> Content-Type application/json (415) -> body
 * within JF_WEBHOOK_MAX_BODY (413) -> query well-formed (400) -> a `sign` header means (a),
 * else a signature query parameter means (b), else 403 ->
 *   (a) app_secret set (500) -> timestamp header (400) -> sign (403) -> timestamp a number
 *       (400) within JF_DINGTALK_MAX_SKEW (403) -> body a JSON object (400) -> msgtype
 *       (400; not "text": *n == 0 and {"msgtype":"empty"}) -> msgId (1..
 *       JF_WEBHOOK_MAX_MSG_ID of A-Z a-z 0-9 + / = _ . : -), sender, text.content (400).
 *   (b) token, aes_key, owner_key set (500) -> timestamp, nonce (400) -> body a JSON
 *       object with encrypt (400) -> signature (403) -> timestamp (400/403) -> decryption
 *       and owner key (400/403) -> a JSON object with EventType (400) -> 200.
 *
 * Outbound, to a reporter (work notification, 工作通知): GET {api_base}/gettoken?appkey=
 * {owner_key}&appsecret={app_secret}, then POST {api_base}/topapi/message/corpconversation/
 * asyncsend_v2?access_token= with {"agent_id": N, "userid_list": user id, "msg":
 * {"msgtype": "text", "text": {"content": text}}}.
 * Outbound, to a department: a custom group robot (自定义机器人) with 加签 signing, below.
 *
 * Settings: app_secret JIANFU_DINGTALK_APP_SECRET (required, secret), token
 * JIANFU_DINGTALK_TOKEN (secret), aes_key JIANFU_DINGTALK_AES_KEY (secret), owner_key
 * JIANFU_DINGTALK_OWNER_KEY, agent_id JIANFU_DINGTALK_AGENT_ID (for sending), api_base
 * JIANFU_DINGTALK_API_BASE (default JF_DINGTALK_DEFAULT_API_BASE). All thread-safe.
 */
#ifndef JF_WEBHOOK_DINGTALK_H
#define JF_WEBHOOK_DINGTALK_H

#include <stdint.h>

#include "core/err.h"
#include "webhook/adapter.h"

#define JF_DINGTALK_DEFAULT_API_BASE "https://oapi.dingtalk.com"
#define JF_DINGTALK_SIGN_HEADER "sign"
#define JF_DINGTALK_TIMESTAMP_HEADER "timestamp"
#define JF_DINGTALK_SIGN_LEN 44 /* base64 of an HMAC-SHA256 */
/* "与系统当前时间戳如果相差1小时以上，则认为是非法的请求" (robot callback docs). */
#define JF_DINGTALK_MAX_SKEW 3600
/* Longest timestamp or secret taken into a robot signature. */
#define JF_DINGTALK_MAX_SIGN_INPUT 256

/* jf_webhook_dingtalk_robot_sign - out receives base64(HMAC-SHA256(secret, timestamp +
 * "\n" + secret)), the signature of both the robot callback's `sign` header and a custom
 * robot's `sign` parameter (before URL encoding). JF_ERR_INVAL for NULL arguments or an
 * empty secret; JF_ERR_TOOBIG when timestamp or secret is longer than
 * JF_DINGTALK_MAX_SIGN_INPUT; JF_ERR_CRYPTO. */
jf_err jf_webhook_dingtalk_robot_sign(const char *secret, const char *timestamp,
                                      char out[JF_DINGTALK_SIGN_LEN + 1]) JF_WUR;

/* jf_webhook_dingtalk_robot_request - build into out (initialised) the POST of text to the
 * custom group robot at url (its webhook URL, "https://oapi.dingtalk.com/robot/send?
 * access_token=..."): when secret is not NULL (加签 robots, secret "SEC..."), timestamp=
 * now_ms and sign=urlencode(jf_webhook_dingtalk_robot_sign(secret, now_ms)) are appended;
 * the body is {"msgtype": "text", "text": {"content": text}}. JF_ERR_INVAL for a NULL or
 * non-http(s) url, NULL or invalid UTF-8 text, or an empty secret; JF_ERR_TOOBIG,
 * JF_ERR_NOMEM, JF_ERR_CRYPTO. For departments, not reporters: the URL and secret come
 * from the department's configuration. */
jf_err jf_webhook_dingtalk_robot_request(const char *url, const char *secret, int64_t now_ms,
                                         const char *text, jf_webhook_http *out) JF_WUR;

/* jf_webhook_dingtalk_robot_result - classify a custom robot's answer: errcode 0
 * delivered; 130101 (more than 20 messages a minute) and -1, HTTP 429 and 5xx retried;
 * anything else (310000: keyword, signature or IP check failed; 400102 robot disabled)
 * permanent. */
void jf_webhook_dingtalk_robot_result(long status, const char *retry_after, const char *body,
                                      size_t len, jf_send_result *res);

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_dingtalk_adapter;

#endif
