/* aliyun.c - Aliyun SMS upstream batch push: URL secret, array parsing, the JSON reply. */
#include "webhook/aliyun.h"

#include <stdio.h>
#include <string.h>

#include "webhook/jsonbody.h"

#define STR(x) #x
#define XSTR(x) STR(x)
/* clang-format off */
#define WHY_BAD_SEQUENCE_ID                                                                \
    "invalid field [].sequence_id: expected a non-negative integer or 1 to "               \
    XSTR(JF_WEBHOOK_MAX_MSG_ID) " characters of [A-Za-z0-9._:-]"
/* clang-format on */

/* sequence_id_or_reject - the id of one upstream SMS: a number written in decimal into
 * buf, or a string of id characters, borrowed from el. */
static jf_err sequence_id_or_reject(json_t *el, char buf[JF_WEBHOOK_MAX_MSG_ID + 1],
                                    const char **out, jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    json_t *v = json_object_get(el, "sequence_id");

    *out = NULL;
    if (!v || json_is_null(v)) {
        jf_jsonbody_reject(rej, 400, "missing required field [].sequence_id", NULL);
        goto out;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(buf, JF_WEBHOOK_MAX_MSG_ID + 1, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        *out = buf;
    } else if (json_is_string(v) && jf_jsonbody_id_ok(json_string_value(v)) &&
               strlen(json_string_value(v)) == json_string_length(v)) {
        *out = json_string_value(v);
    } else {
        jf_jsonbody_reject(rej, 400, WHY_BAD_SEQUENCE_ID, NULL);
        goto out;
    }
    err = JF_ERR_OK;
out:
    return err;
}

/* take_sms - one element of the pushed array into msgs[i], formatted ids in st. */
static jf_err take_sms(json_t *el, size_t i, jf_jsonbody_state *st, jf_inbound *msgs,
                       jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_PARSE;
    const char *phone = NULL;
    const char *content = NULL;
    const char *dest = NULL;
    const char *id = NULL;

    if (!json_is_object(el)) {
        jf_jsonbody_reject(rej, 400, "invalid field []: expected an array of objects", NULL);
        goto out;
    }
    err = jf_jsonbody_string_or_reject(el, "phone_number", "[].phone_number",
                                       JF_JSONBODY_REQUIRED, 1, JF_JSONBODY_MAX_SENDER, true,
                                       &phone, rej);
    if (!err)
        err = jf_jsonbody_string_or_reject(el, "content", "[].content", JF_JSONBODY_REQUIRED, 0,
                                           JF_JSONBODY_MAX_TEXT, false, &content, rej);
    if (!err)
        err = sequence_id_or_reject(el, st->ids[i], &id, rej);
    if (!err)
        err =
            jf_jsonbody_string_or_reject(el, "dest_code", "[].dest_code", JF_JSONBODY_OPTIONAL,
                                         0, JF_JSONBODY_MAX_RECIPIENT, true, &dest, rej);
    if (err)
        goto out;
    msgs[i].msg_id = id;
    msgs[i].sender = phone;
    msgs[i].recipient = dest && dest[0] ? dest : NULL;
    msgs[i].text = content;
out:
    return err;
}

/* aliyun_receive - see aliyun.h for the order of checks and what is stored. */
static jf_err aliyun_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                             jf_inbound *msgs, size_t max, size_t *n, void **state,
                             jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_INVAL;
    jf_jsonbody_state *st = NULL;
    json_t *root = NULL;
    json_t *el;
    size_t i;

    if (!req || !msgs || !n || !state || !rej || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(msgs, 0, max * sizeof msgs[0]);

    const char *key = ch ? jf_webhook_channel_get(ch, "key") : NULL;
    if (!key) {
        err = JF_ERR_CONFIG;
        jf_jsonbody_reject(rej, 500, "aliyun channel has no key configured", NULL);
        goto out;
    }
    err = jf_jsonbody_precheck_or_reject(req, "Aliyun SMS upstream", rej);
    if (err)
        goto out;
    if (!jf_jsonbody_query_secret_ok(req->query, "key", key)) {
        err = JF_ERR_AUTH;
        jf_jsonbody_reject(rej, 403, "invalid or missing key parameter", NULL);
        goto out;
    }
    err = jf_jsonbody_parse_or_reject(req, &root, rej);
    if (err)
        goto out;
    if (!json_is_array(root)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, "malformed Aliyun SMS push: expected a JSON array", NULL);
        goto out;
    }
    if (json_array_size(root) > max || json_array_size(root) > JF_WEBHOOK_MAX_BATCH) {
        err = JF_ERR_TOOBIG;
        jf_jsonbody_reject(rej, 413, "too many messages in one push: the limit is ",
                           XSTR(JF_WEBHOOK_MAX_BATCH));
        goto out;
    }
    if (json_array_size(root) == 0) {
        err = jf_jsonbody_reply_json(rej, JF_ALIYUN_REPLY);
        if (err)
            jf_jsonbody_reject(rej, 500, "internal error rendering the reply", NULL);
        goto out;
    }
    st = jf_jsonbody_state_new();
    if (!st) {
        err = JF_ERR_NOMEM;
        jf_jsonbody_reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    json_array_foreach(root, i, el)
    {
        err = take_sms(el, i, st, msgs, rej);
        if (err)
            goto out;
    }
    st->root = root;
    root = NULL;
    *n = i;
    *state = st;
    st = NULL;
out:
    if (err)
        memset(msgs, 0, max * sizeof msgs[0]);
    jf_jsonbody_wipe_free(root);
    jf_jsonbody_state_free(st);
    return err;
}

static jf_err aliyun_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                jf_webhook_reply *out)
{
    (void)ch;
    (void)state;
    (void)text; /* Aliyun's answer cannot carry an SMS */
    return jf_jsonbody_reply_json(out, JF_ALIYUN_REPLY);
}

static const jf_webhook_setting_spec aliyun_settings[] = {
    {"key", "JIANFU_ALIYUN_KEY", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the secret in the upstream push URL (...?key=...): Aliyun signs nothing"},
};

const jf_webhook_adapter jf_webhook_aliyun_adapter = {
    .kind = "aliyun",
    .methods = JF_WEBHOOK_POST,
    .inline_ack = false,
    .settings = aliyun_settings,
    .nsettings = sizeof aliyun_settings / sizeof aliyun_settings[0],
    .receive = aliyun_receive,
    .render_ack = aliyun_render_ack,
    .release = jf_jsonbody_state_free,
};
