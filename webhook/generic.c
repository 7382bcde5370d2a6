/* generic.c - jianfu's signed JSON webhook: timestamped HMAC, parsing, JSON replies. */
#include "webhook/generic.h"

#include <string.h>

#include "webhook/jsonbody.h"

#define STR(x) #x
#define XSTR(x) STR(x)
/* clang-format off */
#define WHY_STALE                                                                          \
    "stale timestamp: " JF_GENERIC_TIMESTAMP_HEADER " is more than "                       \
    XSTR(JF_GENERIC_MAX_SKEW) " seconds from the server's clock"
#define WHY_BAD_ID                                                                         \
    "invalid field id: expected 1 to " XSTR(JF_WEBHOOK_MAX_MSG_ID)                         \
    " characters of [A-Za-z0-9._:-]"
/* clang-format on */

jf_err jf_webhook_generic_signature(const char *secret, const char *timestamp, const char *body,
                                    size_t len, char out[JF_GENERIC_SIG_LEN + 1])
{
    if (!out)
        return JF_ERR_INVAL;
    out[0] = '\0';
    if (!secret || !secret[0] || !timestamp || (!body && len > 0) ||
        !jf_jsonbody_digits_ok(timestamp, 1, JF_GENERIC_TIMESTAMP_MAX_DIGITS))
        return JF_ERR_INVAL;
    if (len > JF_WEBHOOK_MAX_BODY)
        return JF_ERR_TOOBIG;
    const void *parts[] = {timestamp, ".", body ? body : ""};
    const size_t lens[] = {strlen(timestamp), 1, len};
    return jf_jsonbody_signature(secret, parts, lens, 3, out);
}

/* parse_timestamp - the value of a timestamp that jf_jsonbody_digits_ok accepted. */
static int64_t parse_timestamp(const char *s)
{
    int64_t v = 0;
    for (; *s; s++)
        v = v * 10 + (*s - '0');
    return v;
}

/* The string fields of a message, checked in this order. */
static const struct {
    const char *key;
    jf_jsonbody_presence presence;
    size_t minlen, maxlen;
    bool no_controls;
} string_fields[] = {
    {"id", JF_JSONBODY_REQUIRED, 1, JF_WEBHOOK_MAX_MSG_ID, true},
    {"from", JF_JSONBODY_REQUIRED, 1, JF_JSONBODY_MAX_SENDER, true},
    {"text", JF_JSONBODY_REQUIRED, 0, JF_JSONBODY_MAX_TEXT, false},
    {"to", JF_JSONBODY_OPTIONAL, 0, JF_JSONBODY_MAX_RECIPIENT, true},
};
enum { F_ID, F_FROM, F_TEXT, F_TO, F_COUNT };
_Static_assert(sizeof string_fields / sizeof string_fields[0] == F_COUNT, "one slot per field");

/* generic_receive - see generic.h for the order of checks and what is stored. */
static jf_err generic_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                              jf_inbound *msgs, size_t max, size_t *n, void **state,
                              jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_INVAL;
    jf_jsonbody_state *st = NULL;
    json_t *root = NULL;
    const char *v[F_COUNT] = {NULL};
    char expected[JF_GENERIC_SIG_LEN + 1] = {0};

    if (!req || !msgs || !n || !state || !rej || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(&msgs[0], 0, sizeof msgs[0]);

    const char *secret = ch ? jf_webhook_channel_get(ch, "secret") : NULL;
    if (!secret) {
        err = JF_ERR_CONFIG;
        jf_jsonbody_reject(rej, 500, "generic channel has no secret configured", NULL);
        goto out;
    }
    err = jf_jsonbody_precheck_or_reject(req, "generic", rej);
    if (err)
        goto out;
    const char *ts =
        req->header ? req->header(req->header_ctx, JF_GENERIC_TIMESTAMP_HEADER) : NULL;
    if (!jf_jsonbody_digits_ok(ts, 1, JF_GENERIC_TIMESTAMP_MAX_DIGITS)) {
        err = JF_ERR_AUTH;
        jf_jsonbody_reject(rej, 403, "missing or invalid " JF_GENERIC_TIMESTAMP_HEADER, NULL);
        goto out;
    }
    err = jf_webhook_generic_signature(secret, ts, req->body, req->body_len, expected);
    if (err) {
        jf_jsonbody_reject(rej, 500, "internal error: could not compute the signature", NULL);
        goto out;
    }
    const char *got =
        req->header ? req->header(req->header_ctx, JF_GENERIC_SIGNATURE_HEADER) : NULL;
    if (!jf_jsonbody_signature_equal(expected, got)) {
        err = JF_ERR_AUTH;
        jf_jsonbody_reject(rej, 403, "invalid or missing " JF_GENERIC_SIGNATURE_HEADER, NULL);
        goto out;
    }
    int64_t skew = req->now - parse_timestamp(ts);
    if (skew > JF_GENERIC_MAX_SKEW || skew < -JF_GENERIC_MAX_SKEW) {
        err = JF_ERR_AUTH;
        jf_jsonbody_reject(rej, 403, WHY_STALE, NULL);
        goto out;
    }
    err = jf_jsonbody_parse_or_reject(req, &root, rej);
    if (err)
        goto out;
    if (!json_is_object(root)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, "malformed message: expected a JSON object", NULL);
        goto out;
    }
    for (size_t i = 0; i < F_COUNT; i++) {
        err = jf_jsonbody_string_or_reject(root, string_fields[i].key, string_fields[i].key,
                                           string_fields[i].presence, string_fields[i].minlen,
                                           string_fields[i].maxlen,
                                           string_fields[i].no_controls, &v[i], rej);
        if (err)
            goto out;
    }
    if (!jf_jsonbody_id_ok(v[F_ID])) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, WHY_BAD_ID, NULL);
        goto out;
    }
    st = jf_jsonbody_state_new();
    if (!st) {
        err = JF_ERR_NOMEM;
        jf_jsonbody_reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    st->root = root;
    root = NULL;
    msgs[0].msg_id = v[F_ID];
    msgs[0].sender = v[F_FROM];
    msgs[0].recipient = v[F_TO] && v[F_TO][0] ? v[F_TO] : NULL;
    msgs[0].text = v[F_TEXT];
    *n = 1;
    *state = st;
    st = NULL;
out:
    if (err)
        memset(&msgs[0], 0, sizeof msgs[0]);
    jf_crypto_zeroize(expected, sizeof expected);
    jf_jsonbody_wipe_free(root);
    jf_jsonbody_state_free(st);
    return err;
}

/* generic_render_ack - {"status":"accepted","message":<text>}: the caller relays the
 * acknowledgement to the reporter itself. */
static jf_err generic_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                 jf_webhook_reply *out)
{
    (void)ch;
    (void)state;
    jf_err err;

    if (!out)
        return JF_ERR_INVAL;
    jf_buf_reset(&out->body);
    err = jf_buf_appends(&out->body, "{\"status\":\"accepted\"");
    if (!err && text)
        err = jf_buf_appends(&out->body, ",\"message\":");
    if (!err && text)
        err = jf_jsonbody_append_string(&out->body, text);
    if (!err)
        err = jf_buf_appends(&out->body, "}");
    if (err) {
        jf_buf_reset(&out->body);
        return err;
    }
    out->status = 200;
    out->content_type = JF_JSONBODY_CONTENT_TYPE;
    return JF_ERR_OK;
}

static const jf_webhook_setting_spec generic_settings[] = {
    {"secret", "JIANFU_GENERIC_SECRET", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the shared HMAC-SHA256 key: verifies X-Jianfu-Signature over timestamp.body"},
};

const jf_webhook_adapter jf_webhook_generic_adapter = {
    .kind = "generic",
    .methods = JF_WEBHOOK_POST,
    .inline_ack = true,
    .settings = generic_settings,
    .nsettings = sizeof generic_settings / sizeof generic_settings[0],
    .receive = generic_receive,
    .render_ack = generic_render_ack,
    .release = jf_jsonbody_state_free,
};
