/* xml.c - the bounded flat-XML reader and the CDATA-safe writer of WeCom/WeChat messages. */
#include "webhook/xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "webhook/form.h"

/* Reasons handed back through *why: static, and naming the defect, never input data. */
#define WHY_INVAL "invalid arguments"
#define WHY_LEN "XML document too large"
#define WHY_CHARS "invalid UTF-8 or a character XML does not allow"
#define WHY_NOMEM "out of memory"
#define WHY_NOROOT "expected the root element"
#define WHY_ROOT "unexpected root element name"
#define WHY_DECL "declarations (DOCTYPE, ENTITY) are not accepted"
#define WHY_PI "processing instructions are not accepted"
#define WHY_XMLDECL "malformed XML declaration"
#define WHY_COMMENT "unterminated or malformed comment"
#define WHY_CDATA "unterminated CDATA section"
#define WHY_NAME "invalid element name"
#define WHY_ATTR "attributes are not accepted"
#define WHY_TAG "malformed tag"
#define WHY_MISMATCH "closing tag does not match its element"
#define WHY_UNCLOSED "unclosed element"
#define WHY_ROOTTEXT "text directly inside the root element"
#define WHY_TRAILING "content after the root element"
#define WHY_ENTITY "undefined entity reference"
#define WHY_CHARREF "invalid character reference"
#define WHY_MIXED "text mixed with child elements"
#define WHY_DUP "duplicate element"
#define WHY_FIELDS "too many elements"
#define WHY_DEPTH "elements nested too deeply"

/* The five entities XML predefines, and what they stand for. */
static const struct {
    const char *name; /* without '&' and ';' */
    char c;
} predefined[] = {
    {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''},
};

/* A parse in progress. w is where the value of the child being recorded is written;
 * NULL while the content of descendants is only checked. */
typedef struct {
    const char *p;
    const char *end;
    jf_xml *doc;
    char *w;
    char *w_end;
    const char *why;
} cursor;

/* ---- characters ---------------------------------------------------------------------- */

bool jf_webhook_xml_text_ok(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;

    if (!s && n)
        return false;
    if (!jf_webhook_utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return false;
        /* U+FFFE and U+FFFF are EF BF BE and EF BF BF; valid UTF-8 guarantees the tail. */
        if (p[i] == 0xEF && i + 2 < n && p[i + 1] == 0xBF &&
            (p[i + 2] == 0xBE || p[i + 2] == 0xBF))
            return false;
    }
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool at(const cursor *c, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(c->end - c->p) >= n && memcmp(c->p, lit, n) == 0;
}

static void skip_space(cursor *c)
{
    while (c->p < c->end && is_space(*c->p))
        c->p++;
}

/* fail - remember why and return err; the first reason wins. */
static jf_err fail(cursor *c, jf_err err, const char *why)
{
    if (!c->why)
        c->why = why;
    return err;
}

/* put - append n bytes to the value being recorded, if any. The arena is sized so that
 * decoded output can never outgrow it; the check guards the invariant all the same. */
static jf_err put(cursor *c, const char *s, size_t n)
{
    if (!c->w)
        return JF_ERR_OK;
    if ((size_t)(c->w_end - c->w) < n)
        return fail(c, JF_ERR_TOOBIG, WHY_LEN);
    memcpy(c->w, s, n);
    c->w += n;
    return JF_ERR_OK;
}

/* utf8_encode - write code point cp (a valid XML Char) as UTF-8 into out; its length. */
static size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* True for the code points production [2] Char of XML 1.0 allows. */
static bool xml_char(uint32_t cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* entity - decode the reference at c->p ('&') into the value. */
static jf_err entity(cursor *c)
{
    const char *semi =
        memchr(c->p, ';', (size_t)(c->end - c->p) < 12 ? (size_t)(c->end - c->p) : 12);
    const char *name = c->p + 1;

    if (!semi)
        return fail(c, JF_ERR_PARSE, WHY_ENTITY);
    size_t n = (size_t)(semi - name);
    if (n >= 2 && name[0] == '#') {
        bool hex = name[1] == 'x';
        const char *d = name + (hex ? 2 : 1);
        uint32_t cp = 0;
        if (d == semi || semi - d > (hex ? 6 : 7))
            return fail(c, JF_ERR_PARSE, WHY_CHARREF);
        for (; d < semi; d++) {
            int v = -1;
            if (*d >= '0' && *d <= '9')
                v = *d - '0';
            else if (hex && *d >= 'a' && *d <= 'f')
                v = *d - 'a' + 10;
            else if (hex && *d >= 'A' && *d <= 'F')
                v = *d - 'A' + 10;
            if (v < 0)
                return fail(c, JF_ERR_PARSE, WHY_CHARREF);
            cp = cp * (hex ? 16u : 10u) + (uint32_t)v;
        }
        if (!xml_char(cp))
            return fail(c, JF_ERR_PARSE, WHY_CHARREF);
        char utf8[4];
        c->p = semi + 1;
        return put(c, utf8, utf8_encode(cp, utf8));
    }
    for (size_t i = 0; i < sizeof predefined / sizeof predefined[0]; i++) {
        if (strlen(predefined[i].name) == n && memcmp(name, predefined[i].name, n) == 0) {
            c->p = semi + 1;
            return put(c, &predefined[i].c, 1);
        }
    }
    return fail(c, JF_ERR_PARSE, WHY_ENTITY);
}

/* ---- markup ---------------------------------------------------------------------------- */

/* skip_comment - at "<!--": move past the matching "-->". "--" inside is not allowed. */
static jf_err skip_comment(cursor *c)
{
    const char *p = c->p + 4;
    for (; c->end - p >= 3; p++) {
        if (p[0] == '-' && p[1] == '-') {
            if (p[2] != '>')
                return fail(c, JF_ERR_PARSE, WHY_COMMENT);
            c->p = p + 3;
            return JF_ERR_OK;
        }
    }
    return fail(c, JF_ERR_PARSE, WHY_COMMENT);
}

/* skip_misc - whitespace and comments, as allowed around the root and between children.
 * Declarations and processing instructions are refused here, so that a DOCTYPE can never
 * be skipped over. */
static jf_err skip_misc(cursor *c)
{
    for (;;) {
        skip_space(c);
        if (at(c, "<!--")) {
            jf_err err = skip_comment(c);
            if (err)
                return err;
            continue;
        }
        if (at(c, "<!"))
            return fail(c, JF_ERR_PARSE, WHY_DECL);
        if (at(c, "<?"))
            return fail(c, JF_ERR_PARSE, WHY_PI);
        return JF_ERR_OK;
    }
}

/* read_name - the element name at c->p into [*name, *name + *n). */
static jf_err read_name(cursor *c, const char **name, size_t *n)
{
    const char *s = c->p;
    if (s >= c->end || !is_name_start(*s))
        return fail(c, JF_ERR_PARSE, WHY_NAME);
    while (c->p < c->end && is_name_char(*c->p))
        c->p++;
    *name = s;
    *n = (size_t)(c->p - s);
    if (*n > JF_XML_MAX_NAME)
        return fail(c, JF_ERR_PARSE, WHY_NAME);
    if (c->p < c->end && *c->p == ':')
        return fail(c, JF_ERR_PARSE, WHY_NAME);
    return JF_ERR_OK;
}

/* start_tag - after '<' and the name: optional whitespace then '>' or "/>". *empty tells
 * which. Anything else is an attribute or garbage. */
static jf_err start_tag_end(cursor *c, bool *empty)
{
    skip_space(c);
    if (at(c, "/>")) {
        c->p += 2;
        *empty = true;
        return JF_ERR_OK;
    }
    if (at(c, ">")) {
        c->p++;
        *empty = false;
        return JF_ERR_OK;
    }
    if (c->p < c->end && is_name_start(*c->p))
        return fail(c, JF_ERR_PARSE, WHY_ATTR);
    return fail(c, JF_ERR_PARSE, WHY_TAG);
}

/* end_tag - at "</": the closing tag of the element called [name, name + n). */
static jf_err end_tag(cursor *c, const char *name, size_t n)
{
    const char *got = NULL;
    size_t gn = 0;

    c->p += 2;
    jf_err err = read_name(c, &got, &gn);
    if (err)
        return err;
    if (gn != n || memcmp(got, name, n) != 0)
        return fail(c, JF_ERR_PARSE, WHY_MISMATCH);
    skip_space(c);
    if (!at(c, ">"))
        return fail(c, JF_ERR_PARSE, WHY_TAG);
    c->p++;
    return JF_ERR_OK;
}

/* content - the content of the element [name, name + n) at depth, up to and including its
 * closing tag. Character data goes to the value being recorded (if any); child elements
 * are parsed recursively (their data discarded) and reported through *nested; whether
 * non-whitespace text occurred through *text. Recursion is bounded by JF_XML_MAX_DEPTH. */
static jf_err content(cursor *c, const char *name, size_t n, int depth, bool *nested,
                      bool *text)
{
    jf_err err = JF_ERR_OK;

    *nested = false;
    *text = false;
    while (!err) {
        if (c->p >= c->end)
            return fail(c, JF_ERR_PARSE, WHY_UNCLOSED);
        if (at(c, "</"))
            return end_tag(c, name, n);
        if (at(c, "<![CDATA[")) {
            const char *s = c->p + 9;
            const char *e = s;
            while (c->end - e >= 3 && memcmp(e, "]]>", 3) != 0)
                e++;
            if (c->end - e < 3)
                return fail(c, JF_ERR_PARSE, WHY_CDATA);
            if (e > s)
                *text = true;
            err = put(c, s, (size_t)(e - s));
            c->p = e + 3;
        } else if (at(c, "<!--")) {
            err = skip_comment(c);
        } else if (at(c, "<!")) {
            return fail(c, JF_ERR_PARSE, WHY_DECL);
        } else if (at(c, "<?")) {
            return fail(c, JF_ERR_PARSE, WHY_PI);
        } else if (at(c, "<")) {
            const char *sub = NULL;
            size_t cn = 0;
            bool empty = false;
            bool sub_nested = false;
            bool sub_text = false;
            char *keep_w = c->w;

            if (depth + 1 > JF_XML_MAX_DEPTH)
                return fail(c, JF_ERR_TOOBIG, WHY_DEPTH);
            c->p++;
            err = read_name(c, &sub, &cn);
            if (!err)
                err = start_tag_end(c, &empty);
            if (!err && !empty) {
                /* Descendants are checked, not recorded. */
                c->w = NULL;
                err = content(c, sub, cn, depth + 1, &sub_nested, &sub_text);
                c->w = keep_w;
            }
            *nested = true;
        } else if (*c->p == '&') {
            *text = true;
            err = entity(c);
        } else {
            const char *s = c->p;
            while (c->p < c->end && *c->p != '<' && *c->p != '&') {
                if (!is_space(*c->p))
                    *text = true;
                c->p++;
            }
            err = put(c, s, (size_t)(c->p - s));
        }
    }
    return err;
}

/* child - at '<' inside the root: parse one child and record it as a field. */
static jf_err child(cursor *c)
{
    jf_xml *doc = c->doc;
    const char *name = NULL;
    size_t n = 0;
    bool empty = false;
    bool nested = false;
    bool text = false;
    jf_err err;

    if (doc->n >= JF_XML_MAX_FIELDS)
        return fail(c, JF_ERR_TOOBIG, WHY_FIELDS);
    c->p++;
    err = read_name(c, &name, &n);
    if (err)
        return err;
    err = start_tag_end(c, &empty);
    if (err)
        return err;

    /* The name first, then the value, each NUL-terminated, in the arena. */
    char *field_name = c->w;
    err = put(c, name, n);
    if (!err)
        err = put(c, "", 1);
    if (err)
        return err;
    char *value = c->w;
    if (!empty)
        err = content(c, name, n, 2, &nested, &text);
    if (err)
        return err;
    if (nested && text)
        return fail(c, JF_ERR_PARSE, WHY_MIXED);
    if (nested)
        c->w = value; /* whitespace between the child's elements is not its value */
    size_t value_len = (size_t)(c->w - value);
    err = put(c, "", 1);
    if (err)
        return err;

    for (size_t i = 0; i < doc->n; i++) {
        if (strcmp(doc->fields[i].name, field_name) == 0)
            return fail(c, JF_ERR_PARSE, WHY_DUP);
    }
    doc->fields[doc->n].name = field_name;
    doc->fields[doc->n].value = value;
    doc->fields[doc->n].value_len = value_len;
    doc->fields[doc->n].nested = nested;
    doc->n++;
    return JF_ERR_OK;
}

/* document - prolog, root element with its children, epilog. */
static jf_err document(cursor *c, const char *root)
{
    const char *name = NULL;
    size_t n = 0;
    bool empty = false;
    jf_err err;

    /* A UTF-8 byte order mark, then an XML declaration, may open the document. */
    if (at(c, "\xEF\xBB\xBF"))
        c->p += 3;
    if (at(c, "<?xml") && c->end - c->p > 5 && (is_space(c->p[5]) || c->p[5] == '?')) {
        const char *e = c->p + 5;
        while (c->end - e >= 2 && memcmp(e, "?>", 2) != 0 && *e != '<')
            e++;
        if (c->end - e < 2 || *e == '<')
            return fail(c, JF_ERR_PARSE, WHY_XMLDECL);
        c->p = e + 2;
    }
    err = skip_misc(c);
    if (err)
        return err;
    if (!at(c, "<"))
        return fail(c, JF_ERR_PARSE, WHY_NOROOT);
    c->p++;
    err = read_name(c, &name, &n);
    if (err)
        return err;
    if (n != strlen(root) || memcmp(name, root, n) != 0)
        return fail(c, JF_ERR_PARSE, WHY_ROOT);
    err = start_tag_end(c, &empty);
    while (!err && !empty) {
        err = skip_misc(c);
        if (err)
            break;
        if (c->p >= c->end)
            return fail(c, JF_ERR_PARSE, WHY_UNCLOSED);
        if (at(c, "</")) {
            err = end_tag(c, name, n);
            break;
        }
        if (*c->p != '<')
            return fail(c, JF_ERR_PARSE, WHY_ROOTTEXT);
        err = child(c);
    }
    if (err)
        return err;
    err = skip_misc(c);
    if (err)
        return err;
    if (c->p != c->end)
        return fail(c, JF_ERR_PARSE, WHY_TRAILING);
    return JF_ERR_OK;
}

/* ---- public ---------------------------------------------------------------------------- */

jf_err jf_webhook_xml_parse(const char *in, size_t len, const char *root, jf_xml *out,
                            const char **why)
{
    jf_err err = JF_ERR_INVAL;
    cursor c = {0};

    c.why = WHY_INVAL;
    if (!out)
        goto out;
    memset(out, 0, sizeof *out);
    if ((!in && len) || !root) {
        goto out;
    }
    c.why = NULL;
    if (len > JF_XML_MAX_LEN) {
        err = fail(&c, JF_ERR_TOOBIG, WHY_LEN);
        goto out;
    }
    if (!jf_webhook_xml_text_ok(in, len)) {
        err = fail(&c, JF_ERR_PARSE, WHY_CHARS);
        goto out;
    }
    /* Decoding never lengthens text, and each name is copied once: the input's length
     * plus two terminators per field bounds everything written. */
    out->arena_size = len + 2 * JF_XML_MAX_FIELDS + 1;
    out->arena = calloc(1, out->arena_size);
    if (!out->arena) {
        err = fail(&c, JF_ERR_NOMEM, WHY_NOMEM);
        goto out;
    }
    c.p = in ? in : "";
    c.end = c.p + len;
    c.doc = out;
    c.w = out->arena;
    c.w_end = out->arena + out->arena_size;
    err = document(&c, root);
out:
    if (err && out)
        jf_webhook_xml_free(out);
    if (why)
        *why = err ? (c.why ? c.why : WHY_INVAL) : NULL;
    return err;
}

const jf_xml_field *jf_webhook_xml_field(const jf_xml *d, const char *name)
{
    if (!d || !name)
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->fields[i].name, name) == 0)
            return &d->fields[i];
    }
    return NULL;
}

const char *jf_webhook_xml_get(const jf_xml *d, const char *name)
{
    const jf_xml_field *f = jf_webhook_xml_field(d, name);
    return f && !f->nested ? f->value : NULL;
}

void jf_webhook_xml_free(jf_xml *d)
{
    if (!d)
        return;
    if (d->arena) {
        jf_crypto_zeroize(d->arena, d->arena_size);
        free(d->arena);
    }
    memset(d, 0, sizeof *d);
}

/* ---- writer ---------------------------------------------------------------------------- */

static jf_err open_tag(jf_buf *out, const char *name)
{
    jf_err err = jf_buf_appends(out, "<");
    if (!err)
        err = jf_buf_appends(out, name);
    if (!err)
        err = jf_buf_appends(out, ">");
    return err;
}

static jf_err close_tag(jf_buf *out, const char *name)
{
    jf_err err = jf_buf_appends(out, "</");
    if (!err)
        err = jf_buf_appends(out, name);
    if (!err)
        err = jf_buf_appends(out, ">");
    return err;
}

jf_err jf_webhook_xml_append_cdata(jf_buf *out, const char *name, const char *text)
{
    jf_err err = JF_ERR_INVAL;
    const char *p = text;

    if (!out || !name || !text || !jf_webhook_xml_text_ok(text, strlen(text)))
        goto out;
    err = open_tag(out, name);
    if (!err)
        err = jf_buf_appends(out, "<![CDATA[");
    /* "]]>" cannot occur inside a section: end the section after "]]" and start the next
     * with ">", which a reader joins back into the same text. */
    for (const char *hit = strstr(p, "]]>"); !err && hit; hit = strstr(p, "]]>")) {
        err = jf_buf_append(out, p, (size_t)(hit - p) + 2);
        if (!err)
            err = jf_buf_appends(out, "]]><![CDATA[");
        p = hit + 2;
    }
    if (!err)
        err = jf_buf_appends(out, p);
    if (!err)
        err = jf_buf_appends(out, "]]>");
    if (!err)
        err = close_tag(out, name);
out:
    return err;
}

/* The entity for each byte that must be escaped in character data; NULL otherwise. */
static const char *const escapes[256] = {
    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&apos;",
};

jf_err jf_webhook_xml_append_text(jf_buf *out, const char *name, const char *text)
{
    jf_err err = JF_ERR_INVAL;
    const char *run = text;
    const char *p = text;

    if (!out || !name || !text || !jf_webhook_xml_text_ok(text, strlen(text)))
        goto out;
    err = open_tag(out, name);
    for (; !err && *p; p++) {
        const char *e = escapes[(uint8_t)*p];
        if (!e)
            continue;
        err = jf_buf_append(out, run, (size_t)(p - run));
        if (!err)
            err = jf_buf_appends(out, e);
        run = p + 1;
    }
    if (!err)
        err = jf_buf_append(out, run, (size_t)(p - run));
    if (!err)
        err = close_tag(out, name);
out:
    return err;
}
