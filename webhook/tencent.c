/* tencent.c - Tencent Cloud SMS reply callbacks: URL secret, parsing, derived ids. */
#include "webhook/tencent.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "webhook/jsonbody.h"

/* Longest country calling code, in digits (ITU-T E.164: 1 to 3, with room). */
#define NATIONCODE_MAX 4

_Static_assert(JF_TENCENT_MSGID_LEN <= JF_WEBHOOK_MAX_MSG_ID, "a derived id is a message id");
_Static_assert(1 + NATIONCODE_MAX + JF_TENCENT_MOBILE_MAX <= JF_JSONBODY_MAX_SENDER,
               "an E.164 sender fits a sender slot");

jf_err jf_webhook_tencent_msg_id(const char *key, const char *nationcode, const char *mobile,
                                 long long time, const char *text,
                                 char out[JF_TENCENT_MSGID_LEN + 1])
{
    char t[24];

    if (!key || !key[0] || !nationcode || !mobile || !text || !out)
        return JF_ERR_INVAL;
    snprintf(t, sizeof t, "%lld", time);
    const char *parts[] = {nationcode, mobile, t, text};
    return jf_jsonbody_keyed_id(key, JF_TENCENT_MSGID_LABEL, parts,
                                sizeof parts / sizeof parts[0], out);
}

/* The string fields of a callback, checked in this order. */
static const struct {
    const char *key;
    jf_jsonbody_presence presence;
    size_t minlen, maxlen;
    bool no_controls;
} string_fields[] = {
    {"nationcode", JF_JSONBODY_REQUIRED, 1, NATIONCODE_MAX, true},
    {"mobile", JF_JSONBODY_REQUIRED, 1, JF_TENCENT_MOBILE_MAX, true},
    {"text", JF_JSONBODY_REQUIRED, 0, JF_JSONBODY_MAX_TEXT, false},
    {"sign", JF_JSONBODY_OPTIONAL, 0, 64, true},
    {"extend", JF_JSONBODY_OPTIONAL, 0, 64, true},
};
enum { F_NATIONCODE, F_MOBILE, F_TEXT, F_SIGN, F_EXTEND, F_COUNT };
_Static_assert(sizeof string_fields / sizeof string_fields[0] == F_COUNT, "one slot per field");

/* tencent_receive - see tencent.h for the order of checks and what is stored. */
static jf_err tencent_receive(const jf_webhook_channel *ch, const jf_webhook_request *req,
                              jf_inbound *msgs, size_t max, size_t *n, void **state,
                              jf_webhook_reply *rej)
{
    jf_err err = JF_ERR_INVAL;
    jf_jsonbody_state *st = NULL;
    json_t *root = NULL;
    const char *v[F_COUNT] = {NULL};
    json_int_t time = 0;

    if (!req || !msgs || !n || !state || !rej || max < 1)
        return JF_ERR_INVAL;
    *state = NULL;
    *n = 0;
    memset(&msgs[0], 0, sizeof msgs[0]);

    const char *key = ch ? jf_webhook_channel_get(ch, "key") : NULL;
    if (!key) {
        err = JF_ERR_CONFIG;
        jf_jsonbody_reject(rej, 500, "tencent channel has no key configured", NULL);
        goto out;
    }
    err = jf_jsonbody_precheck_or_reject(req, "Tencent SMS reply", rej);
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
    if (!json_is_object(root)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, "malformed Tencent SMS reply: expected a JSON object",
                           NULL);
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
    /* The sender is built by concatenation, so both parts must be digits only. */
    if (!jf_jsonbody_digits_ok(v[F_NATIONCODE], 1, NATIONCODE_MAX)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, "invalid field nationcode: expected 1 to 4 digits", NULL);
        goto out;
    }
    if (!jf_jsonbody_digits_ok(v[F_MOBILE], 1, JF_TENCENT_MOBILE_MAX)) {
        err = JF_ERR_PARSE;
        jf_jsonbody_reject(rej, 400, "invalid field mobile: expected 1 to 20 digits", NULL);
        goto out;
    }
    err = jf_jsonbody_integer_or_reject(root, "time", "time", 0, LLONG_MAX, &time, rej);
    if (err)
        goto out;

    st = jf_jsonbody_state_new();
    if (!st) {
        err = JF_ERR_NOMEM;
        jf_jsonbody_reject(rej, 500, "internal error: out of memory", NULL);
        goto out;
    }
    err = jf_webhook_tencent_msg_id(key, v[F_NATIONCODE], v[F_MOBILE], (long long)time,
                                    v[F_TEXT], st->ids[0]);
    if (err) {
        jf_jsonbody_reject(rej, 500, "internal error: could not derive the message id", NULL);
        goto out;
    }
    snprintf(st->senders[0], sizeof st->senders[0], "+%s%s", v[F_NATIONCODE], v[F_MOBILE]);
    st->root = root;
    root = NULL;
    msgs[0].msg_id = st->ids[0];
    msgs[0].sender = st->senders[0];
    msgs[0].recipient = NULL;
    msgs[0].text = v[F_TEXT];
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

static jf_err tencent_render_ack(const jf_webhook_channel *ch, void *state, const char *text,
                                 jf_webhook_reply *out)
{
    (void)ch;
    (void)state;
    (void)text; /* the callback's answer cannot carry an SMS */
    return jf_jsonbody_reply_json(out, JF_TENCENT_REPLY);
}

static const jf_webhook_setting_spec tencent_settings[] = {
    {"key", "JIANFU_TENCENT_KEY", JF_SETTING_REQUIRED | JF_SETTING_SECRET,
     "the secret in the reply callback URL (...?key=...): Tencent signs nothing"},
};

const jf_webhook_adapter jf_webhook_tencent_adapter = {
    .kind = "tencent",
    .methods = JF_WEBHOOK_POST,
    .inline_ack = false,
    .settings = tencent_settings,
    .nsettings = sizeof tencent_settings / sizeof tencent_settings[0],
    .receive = tencent_receive,
    .render_ack = tencent_render_ack,
    .release = jf_jsonbody_state_free,
};
