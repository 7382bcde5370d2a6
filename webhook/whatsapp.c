/* whatsapp.c - WhatsApp Cloud API webhooks: handshake, signature, notifications, sends. */
#include "webhook/whatsapp.h"

#include <stdio.h>
#include <string.h>

#include "webhook/form.h"
#include "webhook/jsonbody.h"

/* Longest hub.challenge echoed back (Meta sends a decimal integer). */
#define CHALLENGE_MAX 128
/* Longest phone number id or WhatsApp number, in digits. */
#define WA_NUMBER_MAX 32
/* Longest BSUID: two letters, a dot, up to 128 alphanumerics (with ".ENT." for parents). */
#define WA_BSUID_MAX 140
#define STR(x) #x
#define XSTR(x) STR(x)
/* clang-format off */
#define WHY_BAD_CHALLENGE                                                                  \
    "invalid hub.challenge: expected 1 to " XSTR(CHALLENGE_MAX)                            \
    " ASCII letters, digits, '-' or '_'"
/* clang-format on */

/* Message types taken, and where their text is: text.body must be there; a caption may
 * not be, and a picture without one carries nothing to act on. */
static const struct {
    const char *type;
    const char *object;
    const char *field;
    const char *path;
    jf_jsonbody_presence presence;
} message_types[] = {
    {"text", "text", "body", "entry[].changes[].value.messages[].text.body",
     JF_JSONBODY_REQUIRED},
    {"image", "image", "caption", "entry[].changes[].value.messages[].image.caption",
     JF_JSONBODY_OPTIONAL},
    {"video", "video", "caption", "entry[].changes[].value.messages[].video.caption",
     JF_JSONBODY_OPTIONAL},
    {"document", "document", "caption", "entry[].changes[].value.messages[].document.caption",
     JF_JSONBODY_OPTIONAL},
};

/* Graph API error codes worth retrying: rate limits and Meta's transient failures
 * (WhatsApp Cloud API, "Error codes"). Every other coded error is permanent. */
static const json_int_t retry_codes[] = {
    1,      /* API Unknown */
    2,      /* API Service: temporary downtime */
    4,      /* API Too Many Calls */
    80007,  /* rate limit issues */
    130429, /* rate limit hit */
    131000, /* something went wrong */
    131016, /* service unavailable */
    131048, /* spam rate limit hit */
    131056, /* (business, consumer) pair rate limit hit */
    133004, /* server temporarily unavailable */
};

static bool challenge_ok(const char *c)
{
    size_t n;

    if (!c)
        return false;
    n = strlen(c);
    return n > 0 && n <= CHALLENGE_MAX &&
           strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* whatsapp_handshake - Meta's GET verification of the callback URL. */
static jf_err whatsapp_handshake(const char *verify_token, const jf_webhook_request *req,
                                 jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    jf_form q = {NULL, 0};
    const char *why = NULL;
    const char *mode;
    const char *token;
    const char *challenge;

    if (jf_webhook_form_parse_detail(req->query ? req->query : "",
                                     req->query ? strlen(req->query) : 0, &q, &why)) {
        jf_jsonbody_reject(rej, 400, "malformed query string: ", why);
        goto out;
    }
    mode = jf_webhook_form_get(&q, "hub.mode");
    token = jf_webhook_form_get(&q, "hub.verify_token");
    challenge = jf_webhook_form_get(&q, "hub.challenge");
    /* Compare the token first and always, so the mode check cannot shortcut it. */
    bool ok = jf_jsonbody_secret_equal(verify_token, token ? token : "");
    if (!ok || !mode || strcmp(mode, "subscribe") != 0) {
        err = JF_ERR_AUTH;
        jf_jsonbody_reject(rej, 403,
                           "verification failed: hub.mode must be subscribe and "
                           "hub.verify_token the configured verify token",
                           NULL);
        goto out;
    }
    if (!challenge_ok(challenge)) {
        jf_jsonbody_reject(rej, 400, WHY_BAD_CHALLENGE, NULL);
        goto out;
    }
    err = jf_webhook_reply_text(rej, 200, challenge);
    if (err)
        jf_jsonbody_reject(rej, 500, "internal error rendering the challenge", NULL);
out:
    jf_webhook_form_free(&q);
    return err;
}

/* take_message - if m (one element of value.messages) is a message jianfu stores, make it
 * msgs[*count] with recipient, its keyed id in st->ids[*count]. Returns JF_ERR_OK whether
 * or not it was taken; otherwise *rej says why the notification is refused. */
static jf_err take_message(const char *app_secret, json_t *m, const char *recipient,
                           jf_jsonbody_state *st, jf_inbound *msgs, size_t max, size_t *count,
                           jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    const char *type = NULL;
    const char *text = NULL;
    const char *id = NULL;
    const char *from = NULL;
    size_t t;

    if (!json_is_object(m)) {
        jf_jsonbody_reject(rej, 400,
                           "invalid field entry[].changes[].value.messages[]: expected objects",
                           NULL);
        goto out;
    }
    err = jf_jsonbody_string_or_reject(m, "type", "entry[].changes[].value.messages[].type",
                                       JF_JSONBODY_REQUIRED, 1, 64, true, &type, rej);
    if (err)
        goto out;
    for (t = 0; t < sizeof message_types / sizeof message_types[0]; t++) {
        if (strcmp(type, message_types[t].type) == 0)
            break;
    }
    if (t == sizeof message_types / sizeof message_types[0])
        goto out; /* audio, stickers, reactions, locations, ...: nothing written */
    json_t *content = json_object_get(m, message_types[t].object);
    if (!json_is_object(content) && message_types[t].presence == JF_JSONBODY_OPTIONAL)
        goto out;
    err = jf_jsonbody_string_or_reject(content, message_types[t].field, message_types[t].path,
                                       message_types[t].presence, 0, JF_JSONBODY_MAX_TEXT,
                                       false, &text, rej);
    if (err || !text)
        goto out;
    err = jf_jsonbody_string_or_reject(m, "id", "entry[].changes[].value.messages[].id",
                                       JF_JSONBODY_REQUIRED, 1, JF_JSONBODY_MAX_RAW_ID, true,
                                       &id, rej);
    if (!err)
        err = jf_jsonbody_string_or_reject(m, "from", "entry[].changes[].value.messages[].from",
                                           JF_JSONBODY_OPTIONAL, 1, JF_JSONBODY_MAX_SENDER,
                                           true, &from, rej);
    if (!err && !from)
        err = jf_jsonbody_string_or_reject(
            m, "from_user_id", "entry[].changes[].value.messages[].from (or from_user_id)",
            JF_JSONBODY_REQUIRED, 1, JF_JSONBODY_MAX_SENDER, true, &from, rej);
    if (err)
        goto out;
    if (*count >= max) {
        err = JF_ERR_TOOBIG;
        jf_jsonbody_reject(rej, 413, "too many messages in one notification: the limit is ",
                           XSTR(JF_WEBHOOK_MAX_BATCH));
        goto out;
    }
    err = jf_jsonbody_keyed_id(app_secret, JF_WHATSAPP_MSGID_LABEL, &id, 1, st->ids[*count]);
    if (err) {
        jf_jsonbody_reject(rej, 500, "internal error: could not derive the message id", NULL);
        goto out;
    }
    msgs[*count].msg_id = st->ids[*count];
    msgs[*count].sender = from;
    msgs[*count].recipient = recipient;
    msgs[*count].text = text;
    (*count)++;
out:
    return err;
}

/* take_change - the messages of one element of entry[].changes. */
static jf_err take_change(const char *app_secret, json_t *change, jf_jsonbody_state *st,
                          jf_inbound *msgs, size_t max, size_t *count, jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    json_t *field = json_object_get(change, "field");
    json_t *value = json_object_get(change, "value");
    json_t *messages;
    json_t *m;
    const char *recipient = NULL;
    size_t i;

    if (!json_is_object(change)) {
        jf_jsonbody_reject(rej, 400, "invalid field entry[].changes[]: expected objects", NULL);
        goto out;
    }
    if (json_is_string(field) && strcmp(json_string_value(field), "messages") != 0) {
        err = JF_ERR_OK; /* template, quality, account updates: not messages */
        goto out;
    }
    if (!json_is_object(value)) {
        jf_jsonbody_reject(rej, 400,
                           value ? "invalid field entry[].changes[].value: expected an object"
                                 : "missing required field entry[].changes[].value",
                           NULL);
        goto out;
    }
    messages = json_object_get(value, "messages");
    if (!messages) {
        err = JF_ERR_OK; /* statuses or errors only */
        goto out;
    }
    if (!json_is_array(messages)) {
        jf_jsonbody_reject(rej, 400,
                           "invalid field entry[].changes[].value.messages: expected an array",
                           NULL);
        goto out;
    }
    /* The business number written to, if Meta says it in a usable form. */
    json_t *display =
        json_object_get(json_object_get(value, "metadata"), "display_phone_number");
    if (json_is_string(display) &&
        jf_jsonbody_digits_ok(json_string_value(display), 1, JF_JSONBODY_MAX_RECIPIENT))
        recipient = json_string_value(display);
    err = JF_ERR_OK;
    json_array_foreach(messages, i, m)
    {
        err = take_message(app_secret, m, recipient, st, msgs, max, count, rej);
        if (err)
            goto out;
    }
out:
    return err;
}

/* take_notification - every message of the notification root into msgs. */
static jf_err take_notification(const char *app_secret, json_t *root, jf_jsonbody_state *st,
                                jf_inbound *msgs, size_t max, size_t *count,
                                jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    json_t *entry = json_object_get(root, "entry");
    json_t *e;
    json_t *changes;
    json_t *c;
    size_t i, j;

    if (!json_is_array(entry)) {
        jf_jsonbody_reject(rej, 400,
                           entry ? "invalid field entry: expected an array"
                                 : "missing required field entry",
                           NULL);
        goto out;
    }
    err = JF_ERR_OK;
    json_array_foreach(entry, i, e)
    {
        changes = json_object_get(e, "changes");
        if (!json_is_object(e) || (changes && !json_is_array(changes))) {
            err = JF_ERR_PARSE;
            jf_jsonbody_reject(rej, 400,
                               "invalid field entry[]: expected objects with an array changes",
                               NULL);
            goto out;
        }
        json_array_foreach(changes, j, c)
        {
            err = take_change(app_secret, c, st, msgs, max, count, rej);
            if (err)
                goto out;
        }
    }
out:
    return err;
}

/* whatsapp_receive - see whatsapp.h for the handshake, the order of checks and what is
 * stored. */
static jf_err whatsapp_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                               jf_inbound *msgs, size_t max, size_t *n, void **state,
                               jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_INVAL;
    jf_jsonbody_state *st = NULL;
    json_t *root = NULL;
    json_t *object;
    char expected[JF_JSONBODY_SIG_LEN + 1] = {0};
    size_t count = 0;

    if (!req || !msgs || !n || !state || !rej || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(msgs, 0, max * sizeof msgs[0]);

    const char *app_secret = ch ? jf_webhook_channel_get(ch, "app_secret") : NULL;
    const char *verify_token = ch ? jf_webhook_channel_get(ch, "verify_token") : NULL;
    if (!app_secret || !verify_token) {
        err = JF_ERR_CONFIG;
        jf_jsonbody_reject(
            rej, 500, "whatsapp channel has no app secret or verify token configured", NULL);
        goto out;
    }
    if (req->method && strcmp(req->method, "GET") == 0) {
        err = whatsapp_handshake(verify_token, req, rej);
        goto out;
    }
    err = jf_jsonbody_precheck_or_reject(req, "WhatsApp", rej);
    if (err)
        goto out;
    const void *parts[] = {req->body ? req->body : ""};
    const size_t lens[] = {req->body_len};
    err = jf_jsonbody_signature(app_secret, parts, lens, 1, expected);
    if (err) {
        jf_jsonbody_reject(rej, 500, "internal error: could not compute the signature", NULL);
        goto out;
    }
    const char *got =
        req->header ? req->header(req->header_ctx, JF_WHATSAPP_SIGNATURE_HEADER) : NULL;
    if (!jf_jsonbody_signature_equal(expected, got)) {
        err = JF_ERR_AUTH;
        jf_jsonbody_reject(rej, 403, "invalid or missing " JF_WHATSAPP_SIGNATURE_HEADER, NULL);
        goto out;
    }
    err = jf_jsonbody_parse_or_reject(req, &root, rej);
    if (err)
        goto out;
    if (!json_is_object(root)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, "malformed WhatsApp notification: expected a JSON object",
                           NULL);
        goto out;
    }
    object = json_object_get(root, "object");
    if (json_is_string(object) &&
        strcmp(json_string_value(object), "whatsapp_business_account") != 0) {
        jf_jsonbody_reply_empty(rej); /* another product's webhook: not ours to store */
        goto out;
    }
    st = jf_jsonbody_state_new();
    if (!st) {
        err = JF_ERR_NOMEM;
        jf_jsonbody_reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    err = take_notification(app_secret, root, st, msgs, max, &count, rej);
    if (err)
        goto out;
    if (count == 0) {
        jf_jsonbody_reply_empty(rej); /* statuses, reactions, media without captions */
        goto out;
    }
    st->root = root;
    root = NULL;
    *n = count;
    *state = st;
    st = NULL;
out:
    if (err)
        memset(msgs, 0, max * sizeof msgs[0]);
    jf_crypto_zeroize(expected, sizeof expected);
    jf_jsonbody_wipe_free(root);
    jf_jsonbody_state_free(st);
    return err;
}

static jf_err whatsapp_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                  jf_webhook_reply *out)
{
    (void)ch;
    (void)state;
    (void)text; /* acknowledgements go through the outbox */
    if (!out)
        return JF_ERR_INVAL;
    jf_jsonbody_reply_empty(out);
    return JF_ERR_OK;
}

/* A business-scoped user id: two capital letters, a dot, then letters, digits and dots. */
static bool bsuid_ok(const char *a)
{
    size_t n = strlen(a);
    return n > 3 && n <= WA_BSUID_MAX && a[0] >= 'A' && a[0] <= 'Z' && a[1] >= 'A' &&
           a[1] <= 'Z' && a[2] == '.' &&
           strspn(a + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.") ==
               n - 3;
}

/* An API version path segment such as "v19.0". */
static bool api_version_ok(const char *v)
{
    size_t n = strlen(v);
    return n >= 2 && n <= 16 && v[0] == 'v' && strspn(v + 1, "0123456789.") == n - 1;
}

/* An access token goes into a header: printable ASCII without spaces only. */
static bool access_token_ok(const char *t)
{
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    }
    return t[0] != '\0';
}

/* whatsapp_send_request - POST {api_base}/{api_version}/{phone_number_id}/messages. The
 * Authorization header holds the access token: the caller wipes it and never logs it.
 * JF_ERR_CONFIG for missing or malformed settings (an access token too long for a
 * header included), JF_ERR_INVAL for an address that is neither a number nor a BSUID or
 * text that is not UTF-8, JF_ERR_TOOBIG. */
static jf_err whatsapp_send_request(const jf_webhook_channel *ch, const char *token,
                                    const char *address, const char *text, jf_webhook_http *out)
{
    (void)token;
    jf_err err = JF_ERR_INVAL;
    const char *access = ch ? jf_webhook_channel_get(ch, "access_token") : NULL;
    const char *pnid = ch ? jf_webhook_channel_get(ch, "phone_number_id") : NULL;
    const char *version = ch ? jf_webhook_channel_get(ch, "api_version") : NULL;
    size_t blen = 0;
    const char *base = ch ? jf_jsonbody_api_base(ch, JF_WHATSAPP_API_BASE, &blen) : NULL;
    const char *field;

    if (!out)
        return JF_ERR_INVAL;
    jf_buf_reset(&out->url);
    jf_buf_reset(&out->body);
    out->nheaders = 0;
    if (!version)
        version = JF_WHATSAPP_API_VERSION;
    if (!access || !access_token_ok(access) || !pnid ||
        !jf_jsonbody_digits_ok(pnid, 1, WA_NUMBER_MAX) || !api_version_ok(version) || !base) {
        err = JF_ERR_CONFIG;
        goto out;
    }
    if (!address || !text)
        goto out;
    if (jf_jsonbody_digits_ok(address, 1, WA_NUMBER_MAX))
        field = "to";
    else if (bsuid_ok(address))
        field = "recipient"; /* Meta's field for a business-scoped user id */
    else
        goto out;
    int hn =
        snprintf(out->headers[0], sizeof out->headers[0], "Authorization: Bearer %s", access);
    if (hn < 0 || (size_t)hn >= sizeof out->headers[0]) {
        err = JF_ERR_CONFIG;
        goto out;
    }
    out->nheaders = 1;
    err = jf_buf_append(&out->url, base, blen);
    if (!err)
        err = jf_buf_appendf(&out->url, "/%s/%s/messages", version, pnid);
    if (!err)
        err = jf_buf_appendf(&out->body,
                             "{\"messaging_product\":\"whatsapp\",\"%s\":\"%s\","
                             "\"type\":\"text\",\"text\":{\"body\":",
                             field, address);
    if (!err)
        err = jf_jsonbody_append_string(&out->body, text);
    if (!err)
        err = jf_buf_appends(&out->body, "}}");
    if (err)
        goto out;
    out->method = "POST";
    out->content_type = JF_JSONBODY_CONTENT_TYPE;
out:
    if (err) {
        jf_buf_reset(&out->url);
        jf_buf_reset(&out->body);
        jf_crypto_zeroize(out->headers, sizeof out->headers);
        out->nheaders = 0;
    }
    return err;
}

static bool retry_code(json_int_t code)
{
    for (size_t i = 0; i < sizeof retry_codes / sizeof retry_codes[0]; i++) {
        if (retry_codes[i] == code)
            return true;
    }
    return false;
}

/* whatsapp_send_result - classify the Graph API's answer: see whatsapp.h. */
static void whatsapp_send_result(long status, const char *retry_after, const char *body,
                                 size_t len, jf_send_result *res)
{
    json_t *root = jf_jsonbody_parse_result(body, len);
    json_t *error = json_object_get(root, "error");
    json_t *code = json_object_get(error, "code");
    json_t *msg = json_object_get(error, "message");
    memset(res, 0, sizeof *res);
    res->verdict = jf_jsonbody_status_verdict(status);
    if (res->verdict != JF_SEND_OK && json_is_integer(code) &&
        retry_code(json_integer_value(code)))
        res->verdict = JF_SEND_RETRY;
    if (res->verdict == JF_SEND_RETRY)
        res->retry_after = jf_jsonbody_retry_after(retry_after);
    if (res->verdict != JF_SEND_OK) {
        char codebuf[24];
        if (json_is_integer(code))
            snprintf(codebuf, sizeof codebuf, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(code));
        jf_jsonbody_send_error(res, "whatsapp", status, json_is_integer(code) ? codebuf : NULL,
                               json_is_string(msg) ? json_string_value(msg) : NULL);
    }
    jf_jsonbody_wipe_free(root);
}

static const jf_webhook_setting_spec whatsapp_settings[] = {
    {"app_secret", "JIANFU_WHATSAPP_APP_SECRET", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the Meta app's App Secret: verifies X-Hub-Signature-256"},
    {"verify_token", "JIANFU_WHATSAPP_VERIFY_TOKEN", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the Verify Token entered with the callback URL: answers the hub.challenge handshake"},
    {"access_token", "JIANFU_WHATSAPP_ACCESS_TOKEN", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "a system user access token with whatsapp_business_messaging: sends messages"},
    {"phone_number_id", "JIANFU_WHATSAPP_PHONE_NUMBER_ID", JF_SETTING_REQUIRED,
     "the business phone number's id (not the number) that messages are sent from"},
    {"api_base", "JIANFU_WHATSAPP_API_BASE", 0,
     "Graph API base URL (default " JF_WHATSAPP_API_BASE ")"},
    {"api_version", "JIANFU_WHATSAPP_API_VERSION", 0,
     "Graph API version (default " JF_WHATSAPP_API_VERSION ")"},
};

const jf_webhook_adapter jf_webhook_whatsapp_adapter = {
    .kind = "whatsapp",
    .methods = JF_WEBHOOK_GET | JF_WEBHOOK_POST,
    .inline_ack = false,
    .settings = whatsapp_settings,
    .nsettings = sizeof whatsapp_settings / sizeof whatsapp_settings[0],
    .receive = whatsapp_receive,
    .render_ack = whatsapp_render_ack,
    .release = jf_jsonbody_state_free,
    .send_request = whatsapp_send_request,
    .send_result = whatsapp_send_result,
};
