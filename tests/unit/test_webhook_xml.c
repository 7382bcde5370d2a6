/* test_webhook_xml.c - the bounded flat-XML reader and the CDATA-safe writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "webhook/xml.h"

/* The decrypted message of WeCom's sample (WXBizMsgCrypt Sample.cpp, "使用示例二": token
 * QDG6eK, corp id wx5823bf96d3bd56c7; decrypted with Python's cryptography package from
 * the sample's ciphertext): elements separated by newlines, CDATA and plain text mixed. */
#define WECOM_SAMPLE_PLAIN                                                                     \
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"                           \
    "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"                                      \
    "<CreateTime>1409659813</CreateTime>\n"                                                    \
    "<MsgType><![CDATA[text]]></MsgType>\n"                                                    \
    "<Content><![CDATA[hello]]></Content>\n"                                                   \
    "<MsgId>4561255354251345929</MsgId>\n"                                                     \
    "<AgentID>218</AgentID>\n"                                                                 \
    "</xml>"

static void parse_ok(const char *in, jf_xml *d)
{
    const char *why = NULL;
    jf_err err = jf_webhook_xml_parse(in, strlen(in), "xml", d, &why);
    if (err)
        fail_msg("parse failed: %s (%s)", jf_errname(err), why ? why : "?");
    assert_null(why);
}

static void test_wecom_sample(void **state)
{
    (void)state;
    jf_xml d;
    parse_ok(WECOM_SAMPLE_PLAIN, &d);
    assert_int_equal(d.n, 7);
    assert_string_equal(jf_webhook_xml_get(&d, "ToUserName"), "wx5823bf96d3bd56c7");
    assert_string_equal(jf_webhook_xml_get(&d, "FromUserName"), "mycreate");
    assert_string_equal(jf_webhook_xml_get(&d, "CreateTime"), "1409659813");
    assert_string_equal(jf_webhook_xml_get(&d, "MsgType"), "text");
    assert_string_equal(jf_webhook_xml_get(&d, "Content"), "hello");
    assert_string_equal(jf_webhook_xml_get(&d, "MsgId"), "4561255354251345929");
    assert_string_equal(jf_webhook_xml_get(&d, "AgentID"), "218");
    /* Document order is kept; lookups are exact and case-sensitive. */
    assert_string_equal(d.fields[0].name, "ToUserName");
    assert_null(jf_webhook_xml_get(&d, "content"));
    assert_null(jf_webhook_xml_get(&d, "Missing"));
    assert_null(jf_webhook_xml_get(NULL, "Content"));
    jf_webhook_xml_free(&d);
    assert_null(d.arena);
    assert_int_equal(d.n, 0);
    jf_webhook_xml_free(&d); /* twice is fine */
    jf_webhook_xml_free(NULL);
}

static void test_character_data(void **state)
{
    (void)state;
    jf_xml d;
    /* The five predefined entities and decimal and hex character references. */
    parse_ok("<xml><A>a&lt;b&gt;&amp;&quot;&apos;&#20013;&#x6587;&#x1F600;&#65;</A></xml>", &d);
    assert_string_equal(jf_webhook_xml_get(&d, "A"), "a<b>&\"'中文\xF0\x9F\x98\x80"
                                                     "A");
    jf_webhook_xml_free(&d);

    /* Text and CDATA concatenate; markup inside CDATA is text; whitespace is kept, as in
     * WeChat's Sample.py <MsgType>  <![CDATA[video]]></MsgType>. */
    parse_ok("<xml><C>x<![CDATA[<y>&amp;]]>z</C><M>  <![CDATA[video]]></M>"
             "<E></E><F/><G>\n  <![CDATA[]]>\n</G></xml>",
             &d);
    assert_string_equal(jf_webhook_xml_get(&d, "C"), "x<y>&amp;z");
    assert_string_equal(jf_webhook_xml_get(&d, "M"), "  video");
    assert_string_equal(jf_webhook_xml_get(&d, "E"), "");
    assert_string_equal(jf_webhook_xml_get(&d, "F"), "");
    assert_string_equal(jf_webhook_xml_get(&d, "G"), "\n  \n");
    assert_int_equal(jf_webhook_xml_field(&d, "C")->value_len, 10);
    jf_webhook_xml_free(&d);

    /* A CDATA section split around "]]>" joins back into one text. */
    parse_ok("<xml><T><![CDATA[a]]]]><![CDATA[>b]]></T></xml>", &d);
    assert_string_equal(jf_webhook_xml_get(&d, "T"), "a]]>b");
    jf_webhook_xml_free(&d);
}

static void test_prolog_and_misc(void **state)
{
    (void)state;
    jf_xml d;
    parse_ok("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- hi -->\n"
             "<xml >\n  <A>1</A> <!-- between -->\n  <B >2</B >\n</xml >\n<!-- after -->\n",
             &d);
    assert_string_equal(jf_webhook_xml_get(&d, "A"), "1");
    assert_string_equal(jf_webhook_xml_get(&d, "B"), "2");
    jf_webhook_xml_free(&d);

    parse_ok("<xml/>", &d);
    assert_int_equal(d.n, 0);
    jf_webhook_xml_free(&d);
}

static void test_nested(void **state)
{
    (void)state;
    jf_xml d;
    /* A WeCom scancode event carries one level of nesting; pic_sysphoto three. */
    parse_ok("<xml><Event><![CDATA[scancode_push]]></Event>"
             "<ScanCodeInfo>\n <ScanType><![CDATA[qrcode]]></ScanType>\n"
             " <ScanResult>x</ScanResult></ScanCodeInfo>"
             "<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>ab</PicMd5Sum></item>"
             "<item><PicMd5Sum>cd</PicMd5Sum></item></PicList></SendPicsInfo></xml>",
             &d);
    const jf_xml_field *f = jf_webhook_xml_field(&d, "ScanCodeInfo");
    assert_non_null(f);
    assert_true(f->nested);
    assert_string_equal(f->value, "");
    assert_null(jf_webhook_xml_get(&d, "ScanCodeInfo"));
    /* Descendants are not fields of the document. */
    assert_null(jf_webhook_xml_field(&d, "ScanType"));
    assert_string_equal(jf_webhook_xml_get(&d, "Event"), "scancode_push");
    assert_true(jf_webhook_xml_field(&d, "SendPicsInfo")->nested);
    jf_webhook_xml_free(&d);
}

/* Every way a document is refused, with the status-relevant error and a reason. */
static void test_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        jf_err err;
        const char *why;
    } cases[] = {
        /* XXE and entity expansion: no declarations at all, anywhere. */
        {"<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
         "<xml><A>&xxe;</A></xml>",
         JF_ERR_PARSE, "declarations"},
        {"<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>"
         "<xml><A>&lol2;</A></xml>",
         JF_ERR_PARSE, "declarations"},
        {"<xml><!DOCTYPE x><A>1</A></xml>", JF_ERR_PARSE, "declarations"},
        {"<xml><A><!ENTITY x \"y\"></A></xml>", JF_ERR_PARSE, "declarations"},
        {"<xml><A>&xxe;</A></xml>", JF_ERR_PARSE, "undefined entity"},
        {"<xml><A>&amp</A></xml>", JF_ERR_PARSE, "undefined entity"},
        {"<xml><A>a & b</A></xml>", JF_ERR_PARSE, "undefined entity"},
        {"<?xml-stylesheet href=\"x\"?><xml/>", JF_ERR_PARSE, "processing instructions"},
        {"<xml><?php echo 1; ?></xml>", JF_ERR_PARSE, "processing instructions"},
        {"<xml><A><?pi x?></A></xml>", JF_ERR_PARSE, "processing instructions"},
        {"<?xml version=\"1.0\"<xml/>", JF_ERR_PARSE, "XML declaration"},
        /* Shape. */
        {"", JF_ERR_PARSE, "root"},
        {"hello", JF_ERR_PARSE, "root"},
        {"<root><A>1</A></root>", JF_ERR_PARSE, "root element name"},
        {"<xml a=\"1\"><A>1</A></xml>", JF_ERR_PARSE, "attributes"},
        {"<xml><A x='1'>1</A></xml>", JF_ERR_PARSE, "attributes"},
        {"<xml><A>1</A><A>2</A></xml>", JF_ERR_PARSE, "duplicate"},
        {"<xml><A>1</B></xml>", JF_ERR_PARSE, "closing tag"},
        {"<xml><A>1</A>", JF_ERR_PARSE, "unclosed"},
        {"<xml><A>1", JF_ERR_PARSE, "unclosed"},
        {"<xml>text<A>1</A></xml>", JF_ERR_PARSE, "text directly inside"},
        {"<xml><A>1</A></xml><xml/>", JF_ERR_PARSE, "after the root"},
        {"<xml><A>1</A></xml>junk", JF_ERR_PARSE, "after the root"},
        {"<xml><x:A>1</x:A></xml>", JF_ERR_PARSE, "element name"},
        {"<xml><1A>1</1A></xml>", JF_ERR_PARSE, "element name"},
        {"<xml><A>x<B>1</B></A></xml>", JF_ERR_PARSE, "mixed"},
        {"<xml><A><![CDATA[x</A></xml>", JF_ERR_PARSE, "CDATA"},
        {"<xml><!-- x </xml>", JF_ERR_PARSE, "comment"},
        {"<xml><!-- a -- b --></xml>", JF_ERR_PARSE, "comment"},
        /* Characters. */
        {"<xml><A>&#0;</A></xml>", JF_ERR_PARSE, "character reference"},
        {"<xml><A>&#1;</A></xml>", JF_ERR_PARSE, "character reference"},
        {"<xml><A>&#xD800;</A></xml>", JF_ERR_PARSE, "character reference"},
        {"<xml><A>&#x110000;</A></xml>", JF_ERR_PARSE, "character reference"},
        {"<xml><A>&#xFFFE;</A></xml>", JF_ERR_PARSE, "character reference"},
        {"<xml><A>&#12a;</A></xml>", JF_ERR_PARSE, "character reference"},
        {"<xml><A>&#;</A></xml>", JF_ERR_PARSE, "entity"},
        {"<xml><A>&#X41;</A></xml>", JF_ERR_PARSE, "character reference"}, /* 'x' only */
        {"<xml><A>\xFF</A></xml>", JF_ERR_PARSE, "UTF-8"},
        {"<xml><A>\xC0\xAF</A></xml>", JF_ERR_PARSE, "UTF-8"},
        {"<xml><A>\x01</A></xml>", JF_ERR_PARSE, "character XML does not allow"},
        {"<xml><A>\xEF\xBF\xBF</A></xml>", JF_ERR_PARSE, "character XML does not allow"},
        /* Depth: root > A > B > C > D is the limit. */
        {"<xml><A><B><C><D><E>1</E></D></C></B></A></xml>", JF_ERR_TOOBIG, "nested too deeply"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jf_xml d;
        const char *why = NULL;
        jf_err err = jf_webhook_xml_parse(cases[i].in, strlen(cases[i].in), "xml", &d, &why);
        if (err != cases[i].err)
            fail_msg("case %zu: got %s, want %s", i, jf_errname(err), jf_errname(cases[i].err));
        assert_non_null(why);
        if (!strstr(why, cases[i].why))
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why, cases[i].why);
        /* The document is empty and reusable after a failure. */
        assert_null(d.arena);
        assert_int_equal(d.n, 0);
    }

    /* The deepest allowed nesting parses. */
    jf_xml d;
    parse_ok("<xml><A><B><C><D>1</D></C></B></A></xml>", &d);
    jf_webhook_xml_free(&d);

    /* A NUL byte in the input. */
    const char nul[] = "<xml><A>a\0b</A></xml>";
    const char *why = NULL;
    assert_int_equal(jf_webhook_xml_parse(nul, sizeof nul - 1, "xml", &d, &why), JF_ERR_PARSE);
    assert_int_equal(jf_webhook_xml_parse(NULL, 1, "xml", &d, &why), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_xml_parse("<xml/>", 6, NULL, &d, &why), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_xml_parse("<xml/>", 6, "xml", NULL, &why), JF_ERR_INVAL);
}

static void test_limits(void **state)
{
    (void)state;
    jf_buf b;
    jf_xml d;
    const char *why = NULL;

    /* JF_XML_MAX_FIELDS children pass, one more does not. */
    jf_buf_init(&b, 1 << 20);
    assert_int_equal(jf_buf_appends(&b, "<xml>"), JF_ERR_OK);
    for (int i = 0; i < JF_XML_MAX_FIELDS; i++)
        assert_int_equal(jf_buf_appendf(&b, "<F%d>%d</F%d>", i, i, i), JF_ERR_OK);
    assert_int_equal(jf_buf_appends(&b, "</xml>"), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_parse(b.data, b.len, "xml", &d, &why), JF_ERR_OK);
    assert_int_equal(d.n, JF_XML_MAX_FIELDS);
    jf_webhook_xml_free(&d);
    jf_buf_reset(&b);
    assert_int_equal(jf_buf_appends(&b, "<xml>"), JF_ERR_OK);
    for (int i = 0; i <= JF_XML_MAX_FIELDS; i++)
        assert_int_equal(jf_buf_appendf(&b, "<F%d/>", i), JF_ERR_OK);
    assert_int_equal(jf_buf_appends(&b, "</xml>"), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_parse(b.data, b.len, "xml", &d, &why), JF_ERR_TOOBIG);
    assert_string_equal(why, "too many elements");

    /* Input over JF_XML_MAX_LEN. */
    jf_buf_reset(&b);
    assert_int_equal(jf_buf_appends(&b, "<xml><A>"), JF_ERR_OK);
    while (b.len < JF_XML_MAX_LEN)
        assert_int_equal(jf_buf_appends(&b, "xxxxxxxxxxxxxxxx"), JF_ERR_OK);
    assert_int_equal(jf_buf_appends(&b, "</A></xml>"), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_parse(b.data, b.len, "xml", &d, &why), JF_ERR_TOOBIG);

    /* Element names up to JF_XML_MAX_NAME characters. */
    char name[JF_XML_MAX_NAME + 2];
    memset(name, 'N', sizeof name - 1);
    name[JF_XML_MAX_NAME] = '\0';
    jf_buf_reset(&b);
    assert_int_equal(jf_buf_appendf(&b, "<xml><%s>1</%s></xml>", name, name), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_parse(b.data, b.len, "xml", &d, &why), JF_ERR_OK);
    jf_webhook_xml_free(&d);
    name[JF_XML_MAX_NAME] = 'N';
    name[JF_XML_MAX_NAME + 1] = '\0';
    jf_buf_reset(&b);
    assert_int_equal(jf_buf_appendf(&b, "<xml><%s>1</%s></xml>", name, name), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_parse(b.data, b.len, "xml", &d, &why), JF_ERR_PARSE);
    jf_buf_free(&b);
}

/* A reject reason never quotes the input. */
static void test_reasons_carry_no_input(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "<xml><SECRET13812345678>1</SECRET13812345679></xml>",
        "<xml><A>13812345678 &bogus13812345678;</A></xml>",
        "<xml13812345678/>",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        jf_xml d;
        const char *why = NULL;
        assert_int_not_equal(
            jf_webhook_xml_parse(inputs[i], strlen(inputs[i]), "xml", &d, &why), JF_ERR_OK);
        assert_null(strstr(why, "13812345678"));
    }
}

static void test_writer(void **state)
{
    (void)state;
    jf_buf b;
    jf_xml d;
    jf_buf_init(&b, 4096);

    /* "]]>" is split so the text round-trips through a reader. */
    const char *tricky = "a]]>b]]]]>c<![CDATA[d&e<f>]]";
    assert_int_equal(jf_buf_appends(&b, "<xml>"), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_append_cdata(&b, "Content", tricky), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_append_text(&b, "Escaped", "<a href=\"x\">&'</a>"),
                     JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_append_cdata(&b, "Empty", ""), JF_ERR_OK);
    assert_int_equal(jf_webhook_xml_append_cdata(&b, "Chinese", "减负直通车"), JF_ERR_OK);
    assert_int_equal(jf_buf_appends(&b, "</xml>"), JF_ERR_OK);
    assert_non_null(strstr(b.data, "<Content><![CDATA[a]]]]><![CDATA[>b]]]]]]><![CDATA[>c"));
    assert_non_null(
        strstr(b.data, "<Escaped>&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;</Escaped>"));
    assert_non_null(strstr(b.data, "<Empty><![CDATA[]]></Empty>"));
    parse_ok(b.data, &d);
    assert_string_equal(jf_webhook_xml_get(&d, "Content"), tricky);
    assert_string_equal(jf_webhook_xml_get(&d, "Escaped"), "<a href=\"x\">&'</a>");
    assert_string_equal(jf_webhook_xml_get(&d, "Empty"), "");
    assert_string_equal(jf_webhook_xml_get(&d, "Chinese"), "减负直通车");
    jf_webhook_xml_free(&d);

    /* Text XML cannot carry is refused, not silently mangled. */
    assert_int_equal(jf_webhook_xml_append_cdata(&b, "A", "a\x01"), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_xml_append_cdata(&b, "A", "\xE4\xB8"), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_xml_append_text(&b, "A", "\xEF\xBF\xBE"), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_xml_append_cdata(&b, "A", NULL), JF_ERR_INVAL);
    assert_int_equal(jf_webhook_xml_append_text(NULL, "A", "x"), JF_ERR_INVAL);
    jf_buf_free(&b);

    /* Bounded by the buffer's maximum. */
    jf_buf_init(&b, 16);
    assert_int_equal(jf_webhook_xml_append_cdata(&b, "Content", "0123456789"), JF_ERR_TOOBIG);
    jf_buf_free(&b);

    assert_true(jf_webhook_xml_text_ok("tab\tlf\ncr\r 中", strlen("tab\tlf\ncr\r 中")));
    assert_false(jf_webhook_xml_text_ok("\x7F\x00", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wecom_sample),
        cmocka_unit_test(test_character_data),
        cmocka_unit_test(test_prolog_and_misc),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_reasons_carry_no_input),
        cmocka_unit_test(test_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
