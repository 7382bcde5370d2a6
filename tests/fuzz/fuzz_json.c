/* fuzz_json.c - libFuzzer harness for the JSON body handling shared by the JSON adapters
 * (webhook/jsonbody.c over jansson): the parse and its reject, the bounded field access,
 * the JSON string writer, and the small header parsers.
 *
 * The first input byte picks a mode ('0' or '1'; the byte minus '0', modulo 2):
 *   0 body    the rest is a request body: jf_jsonbody_parse_or_reject; on success every
 *             member of the root object (or of each object in a root array) is read with
 *             jf_jsonbody_string_or_reject and jf_jsonbody_integer_or_reject under several
 *             bounds, every string accepted is written back with jf_jsonbody_append_string
 *             and must parse to the same string, and the document is wiped and freed as the
 *             adapters do; on failure the reject must be a 400 (500 when out of memory);
 *   1 header  the rest, as a C string, is a Content-Type, a Retry-After, a message id and
 *             a provider's error message: jf_jsonbody_content_type_ok,
 *             jf_jsonbody_retry_after, jf_jsonbody_id_ok, jf_jsonbody_digits_ok,
 *             jf_jsonbody_send_error (whose output must be printable ASCII without a run of
 *             seven digits), and jf_jsonbody_parse_result of the same bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "webhook/adapter.h"
#include "webhook/form.h"
#include "webhook/jsonbody.h"

#include "fuzz_util.h"

/* A string the writer produced must read back as itself. */
static void check_string_roundtrip(const char *s)
{
    jf_buf out;
    json_error_t e;

    jf_buf_init(&out, 8 * JF_WEBHOOK_MAX_BODY);
    FUZZ_CHECK(jf_jsonbody_append_string(&out, s) == JF_ERR_OK);
    json_t *back = json_loadb(out.data, out.len, JSON_DECODE_ANY, &e);
    if (!back)
        fprintf(stderr, "written string does not parse: %s\n", e.text);
    FUZZ_CHECK(back != NULL && json_is_string(back));
    FUZZ_CHECK(strcmp(json_string_value(back), s) == 0);
    json_decref(back);
    jf_buf_free(&out);
}

/* Read every member of obj the way the adapters read their fields. */
static void read_members(json_t *obj)
{
    const char *key;
    json_t *v;
    static const struct {
        size_t min, max;
        bool no_controls;
    } bounds[] = {
        {0, JF_JSONBODY_MAX_TEXT, false}, {1, JF_JSONBODY_MAX_SENDER, true}, {1, 4, true}};

    json_object_foreach(obj, key, v)
    {
        for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
            jf_webhook_reply rej;
            const char *s = (const char *)1;
            jf_webhook_reply_init(&rej);
            jf_err err = jf_jsonbody_string_or_reject(
                obj, key, "fuzz.field", b ? JF_JSONBODY_REQUIRED : JF_JSONBODY_OPTIONAL,
                bounds[b].min, bounds[b].max, bounds[b].no_controls, &s, &rej);
            if (err) {
                FUZZ_CHECK(err == JF_ERR_PARSE && s == NULL && rej.status == 400);
            } else if (s) {
                size_t n = fuzz_touch(s);
                FUZZ_CHECK(n >= bounds[b].min && n <= bounds[b].max);
                FUZZ_CHECK(jf_webhook_utf8_valid(s, n));
                if (b == 0)
                    check_string_roundtrip(s);
                (void)jf_jsonbody_id_ok(s);
                (void)jf_jsonbody_digits_ok(s, 1, 20);
            }
            jf_webhook_reply_free(&rej);
        }
        jf_webhook_reply rej;
        json_int_t iv = -1;
        jf_webhook_reply_init(&rej);
        if (jf_jsonbody_integer_or_reject(obj, key, "fuzz.int", 0, 4294967295LL, &iv, &rej) ==
            JF_ERR_OK)
            FUZZ_CHECK(iv >= 0 && iv <= 4294967295LL);
        else
            FUZZ_CHECK(rej.status == 400 && iv == 0);
        jf_webhook_reply_free(&rej);
    }
}

static void mode_body(const uint8_t *p, size_t n)
{
    char *body = fuzz_strndup(p, n);
    jf_webhook_request req = {.method = "POST",
                              .url = "https://jianfu.example.gov.cn/webhooks/generic",
                              .query = "",
                              .content_type = "application/json",
                              .body = body,
                              .body_len = n};
    jf_webhook_reply rej;
    json_t *root = (json_t *)1;

    jf_webhook_reply_init(&rej);
    FUZZ_CHECK(jf_jsonbody_precheck_or_reject(&req, "fuzz", &rej) ==
               (n > JF_WEBHOOK_MAX_BODY ? JF_ERR_TOOBIG : JF_ERR_OK));
    jf_err err = jf_jsonbody_parse_or_reject(&req, &root, &rej);
    if (err) {
        FUZZ_CHECK(root == NULL);
        FUZZ_CHECK(rej.status == (err == JF_ERR_NOMEM ? 500u : 400u));
        FUZZ_CHECK(rej.body.len > 0 && jf_webhook_utf8_valid(rej.body.data, rej.body.len));
    } else {
        FUZZ_CHECK(root != NULL);
        if (json_is_object(root)) {
            read_members(root);
        } else if (json_is_array(root)) {
            size_t i;
            json_t *v;
            json_array_foreach(root, i, v)
            {
                if (i >= JF_WEBHOOK_MAX_BATCH)
                    break;
                read_members(v);
            }
        }
        jf_jsonbody_wipe_free(root);
    }
    jf_webhook_reply_free(&rej);
    free(body);
}

static void mode_header(const uint8_t *p, size_t n)
{
    char *s = fuzz_strndup(p, n);
    jf_send_result res;

    (void)jf_jsonbody_content_type_ok(s);
    int ra = jf_jsonbody_retry_after(s);
    FUZZ_CHECK(ra >= 0 && ra <= JF_JSONBODY_MAX_RETRY_AFTER);
    (void)jf_jsonbody_id_ok(s);
    (void)jf_jsonbody_digits_ok(s, 1, 4);

    memset(&res, 0x5a, sizeof res);
    jf_jsonbody_send_error(&res, "Fuzz", 400, s, s);
    size_t len = strnlen(res.error, sizeof res.error);
    FUZZ_CHECK(len < sizeof res.error);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)res.error[i];
        FUZZ_CHECK(ch >= 0x20 && ch < 0x7f);
        run = ch >= '0' && ch <= '9' ? run + 1 : 0;
        FUZZ_CHECK(run < 7);
    }

    json_t *answer = jf_jsonbody_parse_result((const char *)p, n);
    FUZZ_CHECK(answer == NULL || json_is_object(answer));
    jf_jsonbody_wipe_free(answer);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_cursor c = {data, size};
    uint8_t mode = (uint8_t)(fuzz_byte(&c) - '0');

    if (mode % 2 == 0)
        mode_body(c.p, c.n);
    else
        mode_header(c.p, c.n);
    return 0;
}
