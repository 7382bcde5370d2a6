/* xml.h - a minimal, bounded reader and writer for the flat XML of WeCom and WeChat.
 *
 * WeCom (企业微信) and WeChat official accounts send, and expect back, documents of one
 * root element whose children each hold text:
 *     <xml><ToUserName><![CDATA[ww1234]]></ToUserName><CreateTime>1409659813</CreateTime>
 *     ...<Encrypt><![CDATA[...]]></Encrypt></xml>
 * This reader accepts exactly that shape and nothing that would let a request make the
 * parser do unbounded work or fetch anything:
 *   - an optional XML declaration (<?xml ...?>) at the very start, then one root element
 *     with the expected name; whitespace and comments around and between elements;
 *   - no DOCTYPE, no entity or other declarations (no XXE, no entity expansion), no other
 *     processing instructions, no attributes, no namespace prefixes;
 *   - the content of a child of the root is character data: text with the five predefined
 *     entities (&lt; &gt; &amp; &quot; &apos;) and numeric character references (&#N; and
 *     &#xH;), and CDATA sections, concatenated as they come (whitespace is kept);
 *   - a child may itself hold elements (some WeCom events carry <ScanCodeInfo>...), up to
 *     JF_XML_MAX_DEPTH levels including the root; such a child is recorded with an empty
 *     value and nested set, its descendants are checked but not recorded, and it may not
 *     mix non-whitespace text with its elements;
 *   - the children of the root have distinct names (two <Encrypt> or two <Content> make a
 *     request ambiguous, so they are refused);
 *   - the input is valid UTF-8 and holds only characters XML 1.0 allows.
 * Everything decoded lives in the parsed document; nothing is shared between documents,
 * so distinct documents may be used on distinct threads.
 */
#ifndef JF_WEBHOOK_XML_H
#define JF_WEBHOOK_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Longest input the reader accepts (the webhook body limit). */
#define JF_XML_MAX_LEN (64 * 1024)
/* Most children the root may have. */
#define JF_XML_MAX_FIELDS 64
/* Deepest nesting, the root counting as 1. WeCom's photo events need five:
 * xml > SendPicsInfo > PicList > item > PicMd5Sum. */
#define JF_XML_MAX_DEPTH 5
/* Longest element name. */
#define JF_XML_MAX_NAME 64

typedef struct {
    const char *name;  /* NUL-terminated, owned by the document */
    const char *value; /* decoded character data, NUL-terminated; "" when nested */
    size_t value_len;  /* bytes in value (values cannot hold NUL: &#0; is refused) */
    bool nested;       /* the element held child elements */
} jf_xml_field;

typedef struct {
    char *arena; /* every name and value, one allocation; wiped on free */
    size_t arena_size;
    jf_xml_field fields[JF_XML_MAX_FIELDS];
    size_t n; /* children of the root, in document order */
} jf_xml;

/* jf_webhook_xml_parse - parse len bytes of in (borrowed; need not be NUL-terminated) whose
 * root element must be called root, into *out, which is overwritten: free a previously
 * parsed document first. The caller frees *out with jf_webhook_xml_free, also on failure
 * (it is then empty). JF_ERR_PARSE for anything outside the grammar above; JF_ERR_TOOBIG
 * past JF_XML_MAX_LEN bytes, JF_XML_MAX_FIELDS children or JF_XML_MAX_DEPTH levels;
 * JF_ERR_INVAL for NULL arguments; JF_ERR_NOMEM. *why (may be NULL) receives a static,
 * English description of the defect ("DOCTYPE declarations are not accepted") that never
 * contains input data, so it may be sent back to the client as is. */
jf_err jf_webhook_xml_parse(const char *in, size_t len, const char *root, jf_xml *out,
                            const char **why) JF_WUR;

/* jf_webhook_xml_field - the field of the root's child called name (exact, case-sensitive),
 * or NULL when there is none or d or name is NULL. Borrowed from d. */
const jf_xml_field *jf_webhook_xml_field(const jf_xml *d, const char *name);

/* jf_webhook_xml_get - the value of that child, or NULL when it is absent or nested. */
const char *jf_webhook_xml_get(const jf_xml *d, const char *name);

/* jf_webhook_xml_free - wipe and free the document; d may be reused. NULL allowed. */
void jf_webhook_xml_free(jf_xml *d);

/* jf_webhook_xml_text_ok - true when the n bytes at s are valid UTF-8 holding only
 * characters XML 1.0 can carry (no NUL or other C0 control but tab, LF and CR; no U+FFFE or
 * U+FFFF). Thread-safe. */
bool jf_webhook_xml_text_ok(const char *s, size_t n);

/* jf_webhook_xml_append_cdata - append <name><![CDATA[text]]></name> to out. A "]]>" in
 * text is split across two CDATA sections ("]]" ends one, ">" starts the next), so any
 * text round-trips. name is trusted (a constant of the caller). JF_ERR_INVAL for NULL
 * arguments or text that jf_webhook_xml_text_ok refuses; JF_ERR_TOOBIG past out's maximum;
 * JF_ERR_NOMEM. On failure out may hold part of the element: callers discard it. */
jf_err jf_webhook_xml_append_cdata(jf_buf *out, const char *name, const char *text) JF_WUR;

/* jf_webhook_xml_append_text - append <name>text</name> with & < > " ' escaped; fails like
 * jf_webhook_xml_append_cdata. For numbers and other short values. */
jf_err jf_webhook_xml_append_text(jf_buf *out, const char *name, const char *text) JF_WUR;

#endif
