/* fuzz_redact.c - libFuzzer harness for jf_privacy_redact, which every inbound message
 * text goes through before it is stored.
 *
 * The whole input is the message text (any bytes: invalid UTF-8 must pass through). It
 * checks the contract of redact.h: into a buffer that already holds a prefix and has room
 * for the input, redaction succeeds, keeps the prefix, never lengthens the text, and
 * changes the text exactly when it counts a replacement (with nothing counted, the output
 * is the input byte for byte), and valid UTF-8 stays valid. Then, into a buffer with room
 * for only half the input, it either succeeds with the same output or fails with TOOBIG,
 * leaving the prefix as it was and the counts zero.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "privacy/redact.h"
#include "webhook/form.h"

#include "fuzz_util.h"

#define PREFIX "前缀:"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const size_t plen = strlen(PREFIX);
    jf_buf out;
    jf_buf tight;
    jf_redact_counts counts = {-1, -1, -1};
    jf_redact_counts again = {-1, -1, -1};

    jf_buf_init(&out, plen + size);
    FUZZ_CHECK(jf_buf_appends(&out, PREFIX) == JF_ERR_OK);
    jf_err err = jf_privacy_redact(text, size, &out, &counts);
    FUZZ_CHECK(err == JF_ERR_OK);
    FUZZ_CHECK(out.len >= plen && memcmp(out.data, PREFIX, plen) == 0);
    FUZZ_CHECK(out.len - plen <= size);
    FUZZ_CHECK(fuzz_touch(out.data) <= out.len);
    FUZZ_CHECK(counts.phones >= 0 && counts.ids >= 0 && counts.cards >= 0);
    int total = counts.phones + counts.ids + counts.cards;
    bool same =
        out.len - plen == size && (size == 0 || memcmp(out.data + plen, text, size) == 0);
    if (total == 0 && !same)
        fprintf(stderr, "text changed with nothing counted\n");
    FUZZ_CHECK(total == 0 ? same : !same);
    /* Spans start and end on character boundaries: valid UTF-8 stays valid (PostgreSQL
     * refuses anything else). */
    if (jf_webhook_utf8_valid(text, size))
        FUZZ_CHECK(jf_webhook_utf8_valid(out.data + plen, out.len - plen));

    /* Half the room: all or nothing. */
    jf_buf_init(&tight, plen + size / 2);
    FUZZ_CHECK(jf_buf_appends(&tight, PREFIX) == JF_ERR_OK);
    err = jf_privacy_redact(text, size, &tight, &again);
    if (err == JF_ERR_OK) {
        FUZZ_CHECK(tight.len == out.len && memcmp(tight.data, out.data, out.len) == 0);
        FUZZ_CHECK(again.phones == counts.phones && again.ids == counts.ids &&
                   again.cards == counts.cards);
    } else {
        FUZZ_CHECK(err == JF_ERR_TOOBIG);
        FUZZ_CHECK(tight.len == plen && memcmp(tight.data, PREFIX, plen) == 0);
        FUZZ_CHECK(again.phones == 0 && again.ids == 0 && again.cards == 0);
    }

    jf_buf_free(&tight);
    jf_buf_free(&out);
    return 0;
}
