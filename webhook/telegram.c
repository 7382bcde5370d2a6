/* telegram.c - Telegram Bot API webhooks: secret token, Update parsing, inline replies. */
#include "webhook/telegram.h"

#include <stdio.h>
#include <string.h>

#include "webhook/jsonbody.h"

/* Telegram ids fit in 52 bits (Bot API, "Chat": "at most 52 significant bits"). */
#define TELEGRAM_ID_MAX ((json_int_t)1 << 53)
/* Longest chat id written in decimal: a sign and 16 digits, with room to spare. */
#define CHAT_ID_MAX_LEN 20

_Static_assert(CHAT_ID_MAX_LEN < JF_JSONBODY_MAX_SENDER, "a chat id fits a sender slot");
_Static_assert(CHAT_ID_MAX_LEN < JF_WEBHOOK_MAX_MSG_ID, "an update id fits an id slot");

/* Fields of a Message that mean "media the reporter sent": with no text or caption, such a
 * message still reaches the gateway (with empty text), which asks for a written
 * description; a message with none of them (a service message) is ignored. */
static const char *const media_fields[] = {
    "photo",      "video",    "voice",   "audio", "document", "sticker", "animation",
    "video_note", "location", "contact", "venue", "poll",     "dice",
};

/* Where the text of a message comes from, in order. */
static const struct {
    const char *key;
    const char *path;
} text_fields[] = {
    {"text", "message.text"},
    {"caption", "message.caption"},
};

/* is_private - whether message, in chat (both objects) with id chat_id, was written in a
 * private chat with the bot. *bad is set when chat.type is present but not a string. */
static bool is_private(json_t *message, json_t *chat, json_int_t chat_id, bool *bad)
{
    json_t *type = json_object_get(chat, "type");
    json_t *from_id = json_object_get(json_object_get(message, "from"), "id");

    *bad = false;
    if (type) {
        *bad = !json_is_string(type);
        return json_is_string(type) && strcmp(json_string_value(type), "private") == 0;
    }
    /* Telegram's own test updates predate chat.type; in a private chat the chat is the
     * user, so its id is the sender's. */
    return json_is_integer(from_id) && json_integer_value(from_id) == chat_id;
}

static bool has_media(json_t *message)
{
    for (size_t i = 0; i < sizeof media_fields / sizeof media_fields[0]; i++) {
        if (json_object_get(message, media_fields[i]))
            return true;
    }
    return false;
}

/* telegram_receive - see telegram.h for the order of checks and what is stored. */
static jf_err telegram_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                               jf_inbound *msgs, size_t max, size_t *n, void **state,
                               jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_INVAL;
    jf_jsonbody_state *st = NULL;
    json_t *root = NULL;
    json_t *message;
    json_t *chat;
    json_int_t update_id = 0;
    json_int_t chat_id = 0;
    const char *text = NULL;
    bool bad_type = false;

    if (!req || !msgs || !n || !state || !rej || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(&msgs[0], 0, sizeof msgs[0]);

    const char *secret = ch ? jf_webhook_channel_get(ch, "secret") : NULL;
    if (!secret) {
        err = JF_ERR_CONFIG;
        jf_jsonbody_reject(rej, 500, "telegram channel has no secret token configured", NULL);
        goto out;
    }
    err = jf_jsonbody_precheck_or_reject(req, "Telegram", rej);
    if (err)
        goto out;
    const char *got =
        req->header ? req->header(req->header_ctx, JF_TELEGRAM_SECRET_HEADER) : NULL;
    if (!jf_jsonbody_secret_equal(secret, got)) {
        err = JF_ERR_AUTH;
        jf_jsonbody_reject(rej, 403, "invalid or missing " JF_TELEGRAM_SECRET_HEADER, NULL);
        goto out;
    }
    err = jf_jsonbody_parse_or_reject(req, &root, rej);
    if (err)
        goto out;
    if (!json_is_object(root)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, "malformed Telegram update: expected a JSON object", NULL);
        goto out;
    }
    err = jf_jsonbody_integer_or_reject(root, "update_id", "update_id", 0, TELEGRAM_ID_MAX,
                                        &update_id, rej);
    if (err)
        goto out;

    message = json_object_get(root, "message");
    if (!message) {
        /* Edits, channel posts, button presses, membership changes: nothing to store. */
        jf_jsonbody_reply_empty(rej);
        goto out;
    }
    if (!json_is_object(message)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, "invalid field message: expected an object", NULL);
        goto out;
    }
    chat = json_object_get(message, "chat");
    if (!json_is_object(chat)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400,
                           chat ? "invalid field message.chat: expected an object"
                                : "missing required field message.chat",
                           NULL);
        goto out;
    }
    err = jf_jsonbody_integer_or_reject(chat, "id", "message.chat.id", -TELEGRAM_ID_MAX,
                                        TELEGRAM_ID_MAX, &chat_id, rej);
    if (err)
        goto out;
    if (!is_private(message, chat, chat_id, &bad_type)) {
        if (bad_type) {
            err = JF_ERR_PARSE;
            jf_jsonbody_reject(rej, 400, "invalid field message.chat.type: expected a string",
                               NULL);
            goto out;
        }
        /* Never answer into a group: every member would see the ticket. */
        jf_jsonbody_reply_empty(rej);
        goto out;
    }
    for (size_t i = 0; i < sizeof text_fields / sizeof text_fields[0] && !text; i++) {
        err = jf_jsonbody_string_or_reject(message, text_fields[i].key, text_fields[i].path,
                                           JF_JSONBODY_OPTIONAL, 0, JF_JSONBODY_MAX_TEXT, false,
                                           &text, rej);
        if (err)
            goto out;
    }
    if (!text && has_media(message))
        text = "";
    if (!text) {
        /* A service message (a pinned message, a timer change): nothing was written. */
        jf_jsonbody_reply_empty(rej);
        goto out;
    }

    st = jf_jsonbody_state_new();
    if (!st) {
        err = JF_ERR_NOMEM;
        jf_jsonbody_reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    snprintf(st->ids[0], sizeof st->ids[0], "%" JSON_INTEGER_FORMAT, update_id);
    snprintf(st->senders[0], sizeof st->senders[0], "%" JSON_INTEGER_FORMAT, chat_id);
    st->root = root;
    root = NULL;
    msgs[0].msg_id = st->ids[0];
    msgs[0].sender = st->senders[0];
    msgs[0].recipient = NULL;
    msgs[0].text = text;
    *n = 1;
    *state = st;
    st = NULL;
out:
    if (err)
        memset(&msgs[0], 0, sizeof msgs[0]);
    jf_jsonbody_wipe_free(root);
    jf_jsonbody_state_free(st);
    return err;
}

/* telegram_render_ack - answer the webhook with a sendMessage call to the chat the update
 * came from, so the acknowledgement needs no request of its own. */
static jf_err telegram_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                  jf_webhook_reply *out)
{
    (void)ch;
    jf_err err = JF_ERR_INVAL;
    const jf_jsonbody_state *st = state;

    if (!out)
        return JF_ERR_INVAL;
    if (!text) {
        jf_jsonbody_reply_empty(out);
        return JF_ERR_OK;
    }
    jf_buf_reset(&out->body);
    if (!st || !st->senders[0][0])
        goto out;
    err = jf_buf_appends(&out->body, "{\"method\":\"sendMessage\",\"chat_id\":");
    if (!err)
        err = jf_buf_appends(&out->body, st->senders[0]);
    if (!err)
        err = jf_buf_appends(&out->body, ",\"text\":");
    if (!err)
        err = jf_jsonbody_append_string(&out->body, text);
    if (!err)
        err = jf_buf_appends(&out->body, "}");
    if (err)
        goto out;
    out->status = 200;
    out->content_type = JF_JSONBODY_CONTENT_TYPE;
out:
    if (err)
        jf_buf_reset(&out->body);
    return err;
}

/* A chat id as jianfu writes it: an optional minus and 1 to 19 digits. */
static bool chat_id_ok(const char *s)
{
    if (!s)
        return false;
    return jf_jsonbody_digits_ok(s[0] == '-' ? s + 1 : s, 1, 19);
}

/* A bot token is "<bot id>:<secret>"; anything else could change the URL's meaning. */
static bool bot_token_ok(const char *t)
{
    size_t n = strlen(t);
    return n > 0 && n < 128 &&
           strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_-") == n;
}

/* telegram_send_request - POST {api_base}/bot{token}/sendMessage {"chat_id":..,"text":..}.
 * The URL holds the bot token: the caller wipes it (jf_webhook_http_free) and never logs
 * it. JF_ERR_CONFIG for a missing or malformed bot token or API base, JF_ERR_INVAL for an
 * address that is not a chat id or text that is not UTF-8, JF_ERR_TOOBIG. */
static jf_err telegram_send_request(const jf_webhook_channel *ch, const char *token,
                                    const char *address, const char *text, jf_webhook_http *out)
{
    (void)token;
    jf_err err = JF_ERR_INVAL;
    const char *bot_token = ch ? jf_webhook_channel_get(ch, "bot_token") : NULL;
    size_t blen = 0;
    const char *base = ch ? jf_jsonbody_api_base(ch, JF_TELEGRAM_API_BASE, &blen) : NULL;

    if (!out)
        return JF_ERR_INVAL;
    jf_buf_reset(&out->url);
    jf_buf_reset(&out->body);
    out->nheaders = 0;
    if (!bot_token || !bot_token_ok(bot_token) || !base) {
        err = JF_ERR_CONFIG;
        goto out;
    }
    if (!chat_id_ok(address) || !text)
        goto out;
    err = jf_buf_append(&out->url, base, blen);
    if (!err)
        err = jf_buf_appends(&out->url, "/bot");
    if (!err)
        err = jf_buf_appends(&out->url, bot_token);
    if (!err)
        err = jf_buf_appends(&out->url, "/sendMessage");
    if (!err)
        err = jf_buf_appends(&out->body, "{\"chat_id\":");
    if (!err)
        err = jf_buf_appends(&out->body, address);
    if (!err)
        err = jf_buf_appends(&out->body, ",\"text\":");
    if (!err)
        err = jf_jsonbody_append_string(&out->body, text);
    if (!err)
        err = jf_buf_appends(&out->body, "}");
    if (err)
        goto out;
    out->method = "POST";
    out->content_type = JF_JSONBODY_CONTENT_TYPE;
out:
    if (err) {
        jf_buf_reset(&out->url);
        jf_buf_reset(&out->body);
    }
    return err;
}

/* telegram_send_result - classify Telegram's answer to sendMessage: see telegram.h. */
static void telegram_send_result(long status, const char *retry_after, const char *body,
                                 size_t len, jf_send_result *res)
{
    json_t *root = jf_jsonbody_parse_result(body, len);
    json_t *ok = json_object_get(root, "ok");
    json_t *code = json_object_get(root, "error_code");
    json_t *desc = json_object_get(root, "description");
    json_t *wait = json_object_get(json_object_get(root, "parameters"), "retry_after");
    memset(res, 0, sizeof *res);
    res->verdict = jf_jsonbody_status_verdict(status);
    /* A 2xx whose body is unreadable most likely delivered: resending risks a duplicate.
     * An explicit "ok": false did not. */
    if (res->verdict == JF_SEND_OK && ok && !json_is_true(ok))
        res->verdict = JF_SEND_FAIL;
    if (status == 429 || (json_is_integer(code) && json_integer_value(code) == 429)) {
        res->verdict = JF_SEND_RETRY;
        if (json_is_integer(wait) && json_integer_value(wait) > 0)
            res->retry_after = json_integer_value(wait) > JF_JSONBODY_MAX_RETRY_AFTER
                                   ? JF_JSONBODY_MAX_RETRY_AFTER
                                   : (int)json_integer_value(wait);
        else
            res->retry_after = jf_jsonbody_retry_after(retry_after);
    }
    if (res->verdict != JF_SEND_OK) {
        char codebuf[24];
        if (json_is_integer(code))
            snprintf(codebuf, sizeof codebuf, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(code));
        jf_jsonbody_send_error(res, "telegram", status, json_is_integer(code) ? codebuf : NULL,
                               json_is_string(desc) ? json_string_value(desc) : NULL);
    }
    jf_jsonbody_wipe_free(root);
}

static const jf_webhook_setting_spec telegram_settings[] = {
    {"secret", "JIANFU_TELEGRAM_SECRET", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the secret_token given to setWebhook: checks X-Telegram-Bot-Api-Secret-Token"},
    {"bot_token", "JIANFU_TELEGRAM_BOT_TOKEN", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the bot's token from @BotFather: sends answers with sendMessage"},
    {"api_base", "JIANFU_TELEGRAM_API_BASE", 0,
     "Bot API base URL (default " JF_TELEGRAM_API_BASE ")"},
};

const jf_webhook_adapter jf_webhook_telegram_adapter = {
    .kind = "telegram",
    .methods = JF_WEBHOOK_POST,
    .inline_ack = true,
    .settings = telegram_settings,
    .nsettings = sizeof telegram_settings / sizeof telegram_settings[0],
    .receive = telegram_receive,
    .render_ack = telegram_render_ack,
    .release = jf_jsonbody_state_free,
    .send_request = telegram_send_request,
    .send_result = telegram_send_result,
};
