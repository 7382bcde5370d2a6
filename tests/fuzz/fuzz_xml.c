/* fuzz_xml.c - libFuzzer harness for jf_webhook_xml_parse, the bounded flat-XML reader of
 * WeCom and WeChat bodies (outer envelope and decrypted message alike).
 *
 * The whole input is one document, root "xml". Besides memory safety it checks the
 * contract of xml.h: a failure leaves the document empty with a reason; a success has at
 * most JF_XML_MAX_FIELDS children with distinct non-empty names, value_len equal to the
 * C-string length (values cannot hold NUL), nested children with an empty value, and
 * values that jf_webhook_xml_text_ok accepts. Then it writes the fields back out twice,
 * with jf_webhook_xml_append_cdata and with jf_webhook_xml_append_text, and requires that
 * both documents parse to the same fields: the reader and the writers of the passive
 * replies agree on every value the reader can produce.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "webhook/xml.h"

#include "fuzz_util.h"

/* Write d's fields back out (CDATA or escaped text) and require the same fields. */
static void check_roundtrip(const jf_xml *d, bool cdata)
{
    jf_buf out;
    jf_xml again;
    const char *why = NULL;

    /* Escaping can grow text up to six times ("'" -> "&apos;"). */
    jf_buf_init(&out, 8 * JF_XML_MAX_LEN);
    FUZZ_CHECK(jf_buf_appends(&out, "<xml>") == JF_ERR_OK);
    for (size_t i = 0; i < d->n; i++) {
        const jf_xml_field *f = &d->fields[i];
        jf_err err;
        if (f->nested)
            err = jf_buf_appendf(&out, "<%s><i/></%s>", f->name, f->name);
        else if (cdata)
            err = jf_webhook_xml_append_cdata(&out, f->name, f->value);
        else
            err = jf_webhook_xml_append_text(&out, f->name, f->value);
        FUZZ_CHECK(err == JF_ERR_OK);
    }
    FUZZ_CHECK(jf_buf_appends(&out, "</xml>") == JF_ERR_OK);
    jf_err err = jf_webhook_xml_parse(out.data, out.len, "xml", &again, &why);
    if (out.len <= JF_XML_MAX_LEN) {
        if (err)
            fprintf(stderr, "re-parse failed: %s\n", why ? why : "?");
        FUZZ_CHECK(err == JF_ERR_OK);
        FUZZ_CHECK(again.n == d->n);
        for (size_t i = 0; i < d->n; i++) {
            FUZZ_CHECK(strcmp(again.fields[i].name, d->fields[i].name) == 0);
            FUZZ_CHECK(again.fields[i].nested == d->fields[i].nested);
            FUZZ_CHECK(again.fields[i].value_len == d->fields[i].value_len);
            FUZZ_CHECK(
                memcmp(again.fields[i].value, d->fields[i].value, d->fields[i].value_len) == 0);
        }
    }
    jf_webhook_xml_free(&again);
    jf_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jf_xml d;
    const char *why = (const char *)1;

    jf_err err = jf_webhook_xml_parse((const char *)data, size, "xml", &d, &why);
    if (err) {
        FUZZ_CHECK(d.n == 0 && d.arena == NULL);
        FUZZ_CHECK(why != NULL && why != (const char *)1 && fuzz_touch(why) > 0);
        FUZZ_CHECK(err == JF_ERR_PARSE || err == JF_ERR_TOOBIG || err == JF_ERR_NOMEM);
        /* Text the reader refuses outright, the writers refuse too. */
        if (!jf_webhook_xml_text_ok((const char *)data, size)) {
            char *s = fuzz_strndup(data, size);
            jf_buf out;
            jf_buf_init(&out, 1024);
            if (strlen(s) == size) {
                FUZZ_CHECK(jf_webhook_xml_append_cdata(&out, "C", s) == JF_ERR_INVAL);
                FUZZ_CHECK(jf_webhook_xml_append_text(&out, "C", s) == JF_ERR_INVAL);
            }
            jf_buf_free(&out);
            free(s);
        }
        jf_webhook_xml_free(&d);
        return 0;
    }

    FUZZ_CHECK(why == NULL);
    FUZZ_CHECK(d.n <= JF_XML_MAX_FIELDS);
    for (size_t i = 0; i < d.n; i++) {
        const jf_xml_field *f = &d.fields[i];
        size_t nl = fuzz_touch(f->name);
        FUZZ_CHECK(nl > 0 && nl <= JF_XML_MAX_NAME);
        FUZZ_CHECK(fuzz_touch(f->value) == f->value_len);
        FUZZ_CHECK(!f->nested || f->value_len == 0);
        FUZZ_CHECK(jf_webhook_xml_text_ok(f->value, f->value_len));
        FUZZ_CHECK(jf_webhook_xml_field(&d, f->name) == f);
        FUZZ_CHECK(jf_webhook_xml_get(&d, f->name) == (f->nested ? NULL : f->value));
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(strcmp(d.fields[k].name, f->name) != 0);
    }
    check_roundtrip(&d, true);
    check_roundtrip(&d, false);
    jf_webhook_xml_free(&d);
    return 0;
}
