/* aliyun.h - Aliyun (Alibaba Cloud) SMS upstream messages, HTTP batch push mode
 * (短信上行消息 SmsUp, HTTP批量推送模式).
 *
 * Aliyun POSTs application/json, UTF-8: a JSON array of upstream SMS, each an object
 *     {"phone_number":"1381111****","send_time":"2017-09-01 00:00:00","content":"内容",
 *      "sign_name":"签名","dest_code":"1234","sequence_id":1234567890}
 * (sequence_id is a Number in the older document and a String in the current one;
 * sign_name is absent from the current one) and expects 200 with {"code":0,"msg":...},
 * checking only that code is a number. Anything else is pushed again after 1, 5 and 10
 * minutes, then dropped. Aliyun signs nothing, so the callback URL carries a secret:
 * .../webhooks/aliyun?key=<setting key>.
 *
 * The adapter row (kind "aliyun") checks a request in the order of jsonbody.h, the
 * authentication being exactly one query parameter "key" equal to setting key
 * (JIANFU_ALIYUN_KEY), compared in constant time (403 "invalid or missing key
 * parameter"). Then the root must be an array (400) of at most JF_WEBHOOK_MAX_BATCH
 * elements (413), each an object with phone_number (1 to JF_JSONBODY_MAX_SENDER bytes,
 * no control characters), content (a string of at most JF_JSONBODY_MAX_TEXT bytes; may be
 * empty), sequence_id (a non-negative integer, or a string of 1 to JF_WEBHOOK_MAX_MSG_ID
 * characters of [A-Za-z0-9._:-]) and optionally dest_code (a string of at most
 * JF_JSONBODY_MAX_RECIPIENT bytes); one bad element refuses the batch (400), so that the
 * operator sees the fault while Aliyun still holds the messages. An empty array stores
 * nothing: *n = 0 and the answer is the success reply.
 * jf_inbound: msg_id = sequence_id (decimal when a number), sender = phone_number,
 * recipient = dest_code (NULL when absent or empty), text = content.
 *
 * render_ack answers 200 application/json {"code":0,"msg":"接收成功"}, the reply of
 * Aliyun's document. Aliyun cannot carry a reply in that answer (inline_ack is false) and
 * this adapter has no sender: the acknowledgement queued in the outbox waits for an
 * Aliyun SendSms sender. All functions are thread-safe.
 */
#ifndef JF_WEBHOOK_ALIYUN_H
#define JF_WEBHOOK_ALIYUN_H

#include "webhook/adapter.h"

#define JF_ALIYUN_REPLY "{\"code\":0,\"msg\":\"接收成功\"}"

/* The adapter table row. */
extern const jf_webhook_adapter jf_webhook_aliyun_adapter;

#endif
