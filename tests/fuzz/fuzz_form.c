/* fuzz_form.c - libFuzzer harness for jf_webhook_form_parse, the form and query decoder
 * every form-based adapter (Twilio, Kannel) and every query-string check goes through.
 *
 * The whole input is one body. Besides memory safety it checks the contract of form.h:
 * every decoded name is non-empty, every name and value is valid UTF-8 without NUL, a
 * failure leaves the form empty, at most JF_FORM_MAX_FIELDS fields; and that
 * re-encoding the fields with jf_webhook_form_add and parsing again gives the same fields
 * in the same order (the encoder and decoder agree). It also runs the query-secret lookup
 * of the JSON adapters over the input read as a query string.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "webhook/form.h"
#include "webhook/jsonbody.h"

#include "fuzz_util.h"

/* Re-encode f, parse the result and require the same fields. */
static void check_roundtrip(const jf_form *f)
{
    jf_buf enc;
    jf_form again;

    jf_buf_init(&enc, 4 * JF_FORM_MAX_LEN);
    for (size_t i = 0; i < f->n; i++)
        FUZZ_CHECK(jf_webhook_form_add(&enc, f->fields[i].name, f->fields[i].value) ==
                   JF_ERR_OK);
    jf_err err = jf_webhook_form_parse(enc.data ? enc.data : "", enc.len, &again);
    /* Encoding can triple the length, so a large input may legitimately exceed the limit. */
    if (enc.len <= JF_FORM_MAX_LEN) {
        FUZZ_CHECK(err == JF_ERR_OK);
        FUZZ_CHECK(again.n == f->n);
        for (size_t i = 0; i < f->n; i++) {
            FUZZ_CHECK(strcmp(again.fields[i].name, f->fields[i].name) == 0);
            FUZZ_CHECK(strcmp(again.fields[i].value, f->fields[i].value) == 0);
        }
    }
    jf_webhook_form_free(&again);
    jf_buf_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    jf_form f;
    const char *why = (const char *)1;

    jf_err err = jf_webhook_form_parse_detail(body, size, &f, &why);
    if (err) {
        FUZZ_CHECK(f.n == 0 && f.fields == NULL);
        FUZZ_CHECK(why != NULL && why != (const char *)1 && fuzz_touch(why) > 0);
        FUZZ_CHECK(err == JF_ERR_PARSE || err == JF_ERR_TOOBIG || err == JF_ERR_NOMEM);
    } else {
        FUZZ_CHECK(why == NULL);
        FUZZ_CHECK(f.n <= JF_FORM_MAX_FIELDS);
        FUZZ_CHECK(f.n == 0 || f.fields != NULL);
        for (size_t i = 0; i < f.n; i++) {
            size_t nl = fuzz_touch(f.fields[i].name);
            size_t vl = fuzz_touch(f.fields[i].value);
            FUZZ_CHECK(nl > 0);
            FUZZ_CHECK(jf_webhook_utf8_valid(f.fields[i].name, nl));
            FUZZ_CHECK(jf_webhook_utf8_valid(f.fields[i].value, vl));
            /* The first field of a name is what a lookup finds. */
            const char *got = jf_webhook_form_get(&f, f.fields[i].name);
            FUZZ_CHECK(got != NULL);
            if (got != f.fields[i].value) {
                size_t k = 0;
                while (k < i && strcmp(f.fields[k].name, f.fields[i].name) != 0)
                    k++;
                FUZZ_CHECK(k < i && got == f.fields[k].value);
            }
        }
        check_roundtrip(&f);
    }
    jf_webhook_form_free(&f);

    /* The same bytes as a query string carrying a URL secret (Aliyun, Tencent). */
    char *query = fuzz_strndup(data, size);
    (void)jf_jsonbody_query_secret_ok(query, "key", "tencent-example-key");
    free(query);
    return 0;
}
