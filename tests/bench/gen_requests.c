/* gen_requests.c - pre-generate provider webhook requests for tests/bench/ingest, and open
 * the encrypted WeCom replies the gateway gave to them.
 *
 * usage: jf_bench_gen [--channel twilio|kannel|wecom] --url URL --count N --shards S
 *            --out PREFIX [--seed N]
 *        jf_bench_gen --channel wecom --open-replies FILE
 *
 * Settings, from the environment, the same variables the gateway reads:
 *   twilio  JIANFU_TWILIO_AUTH_TOKEN
 *   kannel  JIANFU_KANNEL_KEY
 *   wecom   JIANFU_WECOM_TOKEN, JIANFU_WECOM_AES_KEY, JIANFU_WECOM_RECEIVE_ID
 *
 * Generating writes S files PREFIX.0 .. PREFIX.<S-1>; request i goes to shard i % S, so
 * that each wrk thread reads a disjoint share and no request is ever sent twice. Each
 * record is eight decimal digits giving the length of what follows, then one complete raw
 * HTTP/1.1 request to URL's path:
 *   twilio  POST with the form fields Twilio sends for an inbound SMS (From, To, Body,
 *           MessageSid, AccountSid, ...) and its X-Twilio-Signature, computed with the
 *           project's own jf_webhook_twilio_signature over URL exactly as given (which
 *           must be the server's JIANFU_PUBLIC_URL plus the path);
 *   kannel  GET without a body, as smsbox's get-url service of deploy/kannel/kannel.conf
 *           calls it with mo-recode = true: ?key=&id=%I&from=%p&to=%P&text=%b&coding=0
 *           &charset=UTF-8&ts=%t (id a UUID, as smsbox's %I);
 *   wecom   POST of WeCom's safe-mode callback: ?msg_signature=&timestamp=&nonce= and the
 *           body <xml><ToUserName/><Encrypt/><AgentID/></xml>, the text message (MsgType
 *           text, FromUserName a WeCom user id, MsgId, AgentID) encrypted with the
 *           project's own jf_wxcrypt_encrypt for the receive id, signed with
 *           jf_wxcrypt_signature. The timestamp is the clock when the request is made: the
 *           gateway refuses requests more than JF_WXMSG_MAX_SKEW (300 s) from its clock,
 *           so the requests must be sent within that window (tests/bench/ingest generates
 *           them right before wrk and limits --duration).
 * PREFIX.smoke is one more request of the same kind with "Connection: close" and the
 * message id "bench-smoke" (Twilio: SMbenchgensmoke), for a smoke test before the run.
 *
 * Every message id is distinct (a bijective mix of the index under a per-run prefix),
 * the text is a varied Chinese complaint of about 60 characters, and senders are varied,
 * with some reporters writing more than once. Deterministic for a given --seed, except
 * for WeCom's timestamps. Prints a one-line summary on stderr (count, bytes, mean text
 * length in characters, and the time spent signing and encrypting per request).
 *
 * --open-replies FILE reads the WeCom passive replies that tests/bench/ingest.lua
 * collected, one per line as "Encrypt MsgSignature TimeStamp Nonce", and for each checks
 * the signature with the token (jf_wxcrypt_verify), decrypts it for the receive id
 * (jf_wxcrypt_decrypt: padding and receive id checked), parses the plaintext XML and
 * checks that it is a text message from the corp id to a user, and prints the ticket code
 * that follows 编号 in its Content, one per line on stdout. Exits 1 if any reply fails a
 * check (counts on stderr).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "webhook/form.h"
#include "webhook/twilio.h"
#include "webhook/wxcrypt.h"
#include "webhook/xml.h"

#define MAX_SHARDS 64
#define MAX_REQUEST (16 * 1024)
#define MAX_TEXT 1024
/* Longest request line a Kannel GET may have: jianfu documents 2 KiB URLs for get-url. */
#define MAX_KANNEL_URL 2048
/* The WeCom app the messages are written to. */
#define WECOM_AGENT_ID "1000002"
/* The ticket code alphabet and length (triage/ticket.h). */
#define TICKET_ALPHABET "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#define TICKET_LEN 10

typedef enum { CH_TWILIO, CH_KANNEL, CH_WECOM } channel_kind;

/* ---- deterministic randomness ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t rnd(void)
{
    rng_state += 0x9E3779B97F4A7C15ull;
    uint64_t z = rng_state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

#define PICK(arr) (arr[below((unsigned)(sizeof arr / sizeof arr[0]))])

/* ---- complaint text ------------------------------------------------------------------ */

static const char *const places[] = {
    "我们城关镇", "石桥镇",   "河西街道",   "青山乡",     "柳林镇",     "新华街道",
    "东关街道",   "白沙镇",   "马坊乡",     "高庙镇",     "我所在的村", "我们社区",
    "县里各乡镇", "我们学校", "我们卫生院", "我们街道办", "西湖村",     "桃园社区",
};

static const char *const periods[] = {
    "这个月", "上周", "今年以来", "最近两个月", "国庆前后", "每到月底", "开学以来", "入夏以来",
};

static const char *const numbers[] = {
    "三", "四", "五", "六", "七", "八", "十", "十几", "二十多", "三十多",
};

/* Problems: one of numbers[] goes between the two halves. */
static const struct {
    const char *before, *after;
} problems[] = {
    {"开了", "个会，很多会层层陪会，村干部一天要跑两趟县城"},
    {"同一份材料要报", "遍，每个部门的格式还都不一样"},
    {"要求每天在政务App上打卡", "次并截图发到工作群"},
    {"督查检查考核名目繁多，一周迎检", "次，正常工作没法干"},
    {"要求所有工作都拍照留痕，光台账就做了", "本"},
    {"被借调到县里", "个月，原单位的活还得照样干"},
    {"上级把安全生产责任层层转嫁给村里，签了", "份责任状"},
    {"为了创建示范村突击刷墙挂牌，", "天内要完成验收"},
    {"填表报数没完没了，同样的数据", "个部门都要一遍"},
    {"工作群有", "个，半夜还要在群里接龙回复收到"},
    {"教育局让老师填", "张调查表，挤占了上课时间"},
    {"卫健委要求村医每天录入", "类数据，重复录入很严重"},
};

/* A second clause, so that bodies average about 60 characters. */
static const char *const details[] = {
    "，大家周末都在加班补材料，身心俱疲",
    "，上面检查只看台账不看实效",
    "，各部门之间还互相推诿，没人负责",
    "，很多要求都是临时加的，根本来不及",
    "，说是上级文件规定的，但谁也拿不出文件",
    "，群众来办事反而没人接待",
    "，不报就通报批评、年底考核扣分",
    "，这些数据系统里明明都有",
    "，一线人员疲于应付，怨言很大",
    "，分管领导也说没有办法",
    "，材料做得漂亮就能评先进",
    "，真正该干的活反而没时间干",
};

/* How a message opens. */
static const char *const openers[] = {
    "",         "您好，", "反映个问题：", "我是基层干部，", "我是乡村教师，", "匿名反映：",
    "领导好，", "",
};

static const char *const asks[] = {
    "，请核实。",       "，希望能减一减。", "，请上级管一管。", "，基层实在吃不消。",
    "，希望统一口径。", "，请帮忙反映。",   "，盼回复。",       "。",
};

/* Number of UTF-8 code points in s. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static void complaint_text(char *out, size_t outsz)
{
    unsigned p = below((unsigned)(sizeof problems / sizeof problems[0]));
    int n = snprintf(out, outsz, "%s%s%s%s%s%s%s%s", PICK(openers), PICK(places), PICK(periods),
                     problems[p].before, PICK(numbers), problems[p].after, PICK(details),
                     PICK(asks));
    /* Now and then a reporter gives a number to call back: the gateway must redact it. */
    if (n > 0 && (size_t)n < outsz && below(12) == 0)
        snprintf(out + n, outsz - (size_t)n, "电话1%u%09u", 3 + below(7),
                 (unsigned)(rnd() % 1000000000u));
}

/* A mainland mobile number; about a fifth of messages come from a small set of
 * reporters who write repeatedly. */
static void sender(char *out, size_t outsz, uint64_t seed)
{
    uint64_t r = below(5) == 0 ? splitmix64(seed ^ below(300)) : rnd();
    snprintf(out, outsz, "+861%u%09u", 3 + (unsigned)(r % 7),
             (unsigned)((r >> 8) % 1000000000u));
}

/* ---- form encoding ------------------------------------------------------------------ */

/* application/x-www-form-urlencoded as Twilio sends it: unreserved bytes as is, space as
 * '+', everything else %XX. */
static int form_escape(jf_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[3];
        size_t n = 1;
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '*') {
            e[0] = (char)*p;
        } else if (*p == ' ') {
            e[0] = '+';
        } else {
            e[0] = '%';
            e[1] = hex[*p >> 4];
            e[2] = hex[*p & 15];
            n = 3;
        }
        if (jf_buf_append(b, e, n))
            return -1;
    }
    return 0;
}

/* Query-string encoding of a value: the same rules (RFC 3986 unreserved bytes and '*' as
 * they are, space as '+'). */
#define query_escape form_escape

/* Seconds of CPU time (this process) as a double. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A WeCom user id (账号): pinyin, as most organisations assign them; about a fifth of
 * messages come from a small set of users who write repeatedly. */
static void wecom_user(char *out, size_t outsz, uint64_t seed)
{
    static const char *const family[] = {"Wang", "Li",    "Zhang", "Liu", "Chen", "Yang",
                                         "Zhao", "Huang", "Zhou",  "Wu",  "Xu",   "Sun"};
    static const char *const given[] = {"Wei",   "Fang", "Na",  "Min",  "Jing", "Lei",
                                        "Qiang", "Yan",  "Jun", "Yong", "Jie",  "Tao"};
    uint64_t r = below(5) == 0 ? splitmix64(seed ^ 0x5745ull ^ below(300)) : rnd();
    snprintf(out, outsz, "%s%s%u", family[r % 12], given[(r >> 8) % 12],
             (unsigned)((r >> 16) % 100000u));
}

/* ---- the three kinds of request ------------------------------------------------------ */

typedef struct {
    channel_kind kind;
    const char *url;  /* absolute, as the server's JIANFU_PUBLIC_URL + path */
    const char *path; /* points into url */
    char host[256];
    uint64_t seed;
    char run_id[9];
    char account[35]; /* Twilio AccountSid */
    const char *twilio_token;
    const char *kannel_key;
    const char *wecom_token;
    const char *wecom_receive_id;
    jf_wxcrypt_key wecom_key;
    double crypto_s; /* CPU seconds spent signing and encrypting */
} gen_ctx;

/* One message: its provider id, sender and text. */
typedef struct {
    char id[64];
    char from[64];
    char text[MAX_TEXT];
} gen_msg;

static const char *const connection_close = "Connection: close\r\n";

static int build_twilio(gen_ctx *g, const gen_msg *m, bool smoke, jf_buf *body, jf_buf *req)
{
    char sig[JF_TWILIO_SIG_LEN + 1], segs[24];
    const char *to = "+8610690012";
    size_t chars = utf8_chars(m->text);
    snprintf(segs, sizeof segs, "%zu", chars <= 70 ? (size_t)1 : (chars + 66) / 67);

    /* The fields in the order Twilio posts them. */
    jf_form_field f[] = {
        {"ToCountry", "CN"},
        {"ToState", ""},
        {"SmsMessageSid", (char *)m->id},
        {"NumMedia", "0"},
        {"ToCity", ""},
        {"FromZip", ""},
        {"SmsSid", (char *)m->id},
        {"FromState", ""},
        {"SmsStatus", "received"},
        {"FromCity", ""},
        {"Body", (char *)m->text},
        {"FromCountry", "CN"},
        {"To", (char *)to},
        {"ToZip", ""},
        {"NumSegments", segs},
        {"MessageSid", (char *)m->id},
        {"AccountSid", g->account},
        {"From", (char *)m->from},
        {"ApiVersion", "2010-04-01"},
    };
    jf_form form = {f, sizeof f / sizeof f[0]};
    double t0 = cpu_seconds();
    if (jf_webhook_twilio_signature(g->twilio_token, g->url, &form, sig)) {
        fprintf(stderr, "jf_bench_gen: cannot sign a Twilio request\n");
        return -1;
    }
    g->crypto_s += cpu_seconds() - t0;

    jf_buf_reset(body);
    for (size_t k = 0; k < form.n; k++) {
        if ((k && jf_buf_appends(body, "&")) || form_escape(body, f[k].name) ||
            jf_buf_appends(body, "=") || form_escape(body, f[k].value))
            return -1;
    }
    jf_buf_reset(req);
    if (jf_buf_appendf(req,
                       "POST %s HTTP/1.1\r\n"
                       "Host: %s\r\n"
                       "User-Agent: TwilioProxy/1.1\r\n"
                       "Accept: */*\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\n"
                       "X-Twilio-Signature: %s\r\n"
                       "%s"
                       "Content-Length: %zu\r\n"
                       "\r\n",
                       g->path, g->host, sig, smoke ? connection_close : "", body->len) ||
        jf_buf_append(req, body->data, body->len))
        return -1;
    return 0;
}

static int build_kannel(gen_ctx *g, const gen_msg *m, bool smoke, jf_buf *body, jf_buf *req)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);

    /* The request line, as smsbox's get-url expands it (the key first, as configured). */
    jf_buf_reset(body);
    if (jf_buf_appends(body, g->path) || jf_buf_appends(body, "?key=") ||
        query_escape(body, g->kannel_key) || jf_buf_appends(body, "&id=") ||
        query_escape(body, m->id) || jf_buf_appends(body, "&from=") ||
        query_escape(body, m->from) || jf_buf_appends(body, "&to=10690012&text=") ||
        query_escape(body, m->text) || jf_buf_appends(body, "&coding=0&charset=UTF-8&ts=") ||
        query_escape(body, ts))
        return -1;
    if (body->len > MAX_KANNEL_URL) {
        fprintf(stderr, "jf_bench_gen: a Kannel get-url request is longer than %d bytes\n",
                MAX_KANNEL_URL);
        return -1;
    }
    jf_buf_reset(req);
    if (jf_buf_appendf(req,
                       "GET %s HTTP/1.1\r\n"
                       "Host: %s\r\n"
                       "User-Agent: Kannel/1.4.5\r\n"
                       "%s"
                       "\r\n",
                       body->data, g->host, smoke ? connection_close : ""))
        return -1;
    return 0;
}

static int build_wecom(gen_ctx *g, const gen_msg *m, bool smoke, jf_buf *body, jf_buf *req)
{
    char ts[24], nonce[16], sig[JF_WXCRYPT_SIG_LEN + 1];
    uint8_t prefix[JF_WXCRYPT_RANDOM_LEN];
    static const char alnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    jf_buf plain, enc;
    int rc = -1;
    double t0;

    jf_buf_init(&plain, JF_WXCRYPT_MAX_MSG);
    jf_buf_init(&enc, JF_WXCRYPT_MAX_ENCRYPTED);
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    /* WeCom's nonces are decimal numbers; the random prefix alphanumeric, as the SDKs'. */
    snprintf(nonce, sizeof nonce, "%u", 1000000000u + (unsigned)(rnd() % 1000000000u));
    for (size_t k = 0; k < sizeof prefix; k++)
        prefix[k] = (uint8_t)alnum[below(sizeof alnum - 1)];

    /* The message as WeCom encrypts it (企业微信 "接收消息与事件", 文本消息). */
    if (jf_buf_appends(&plain, "<xml>") ||
        jf_webhook_xml_append_cdata(&plain, "ToUserName", g->wecom_receive_id) ||
        jf_webhook_xml_append_cdata(&plain, "FromUserName", m->from) ||
        jf_webhook_xml_append_text(&plain, "CreateTime", ts) ||
        jf_webhook_xml_append_cdata(&plain, "MsgType", "text") ||
        jf_webhook_xml_append_cdata(&plain, "Content", m->text) ||
        jf_webhook_xml_append_text(&plain, "MsgId", m->id) ||
        jf_webhook_xml_append_text(&plain, "AgentID", WECOM_AGENT_ID) ||
        jf_buf_appends(&plain, "</xml>"))
        goto out;
    t0 = cpu_seconds();
    if (jf_wxcrypt_encrypt(&g->wecom_key, prefix, plain.data, plain.len, g->wecom_receive_id,
                           &enc) ||
        jf_wxcrypt_signature(g->wecom_token, ts, nonce, enc.data, sig)) {
        fprintf(stderr, "jf_bench_gen: cannot encrypt or sign a WeCom request\n");
        goto out;
    }
    g->crypto_s += cpu_seconds() - t0;

    jf_buf_reset(body);
    if (jf_buf_appends(body, "<xml>") ||
        jf_webhook_xml_append_cdata(body, "ToUserName", g->wecom_receive_id) ||
        jf_webhook_xml_append_cdata(body, "Encrypt", enc.data) ||
        jf_webhook_xml_append_cdata(body, "AgentID", WECOM_AGENT_ID) ||
        jf_buf_appends(body, "</xml>"))
        goto out;
    jf_buf_reset(req);
    if (jf_buf_appendf(req,
                       "POST %s?msg_signature=%s&timestamp=%s&nonce=%s HTTP/1.1\r\n"
                       "Host: %s\r\n"
                       "User-Agent: Mozilla/4.0\r\n"
                       "Accept: */*\r\n"
                       "Content-Type: text/xml\r\n"
                       "%s"
                       "Content-Length: %zu\r\n"
                       "\r\n",
                       g->path, sig, ts, nonce, g->host, smoke ? connection_close : "",
                       body->len) ||
        jf_buf_append(req, body->data, body->len))
        goto out;
    rc = 0;
out:
    jf_buf_free(&plain);
    jf_buf_free(&enc);
    return rc;
}

/* make_msg - message i: a distinct provider id, a sender, a complaint. */
static void make_msg(gen_ctx *g, uint64_t i, bool smoke, gen_msg *m)
{
    /* splitmix64 is a bijection, so distinct indices give distinct ids. */
    uint64_t mix = splitmix64(i ^ g->seed);
    unsigned tail = (unsigned)(rnd() & 0xFFFFFFFFu);
    switch (g->kind) {
    case CH_TWILIO:
        if (smoke)
            snprintf(m->id, sizeof m->id, "SMbenchgensmoke");
        else
            snprintf(m->id, sizeof m->id, "SM%s%016llx%08x", g->run_id, (unsigned long long)mix,
                     tail);
        sender(m->from, sizeof m->from, g->seed);
        break;
    case CH_KANNEL:
        /* smsbox's %I: a UUID. */
        if (smoke)
            snprintf(m->id, sizeof m->id, "bench-smoke");
        else
            snprintf(m->id, sizeof m->id, "%s-%04x-%04x-%04x-%04x%08x", g->run_id,
                     (unsigned)(mix >> 48), (unsigned)((mix >> 32) & 0xFFFF),
                     (unsigned)((mix >> 16) & 0xFFFF), (unsigned)(mix & 0xFFFF), tail);
        sender(m->from, sizeof m->from, g->seed);
        break;
    case CH_WECOM:
        /* MsgId: a 64-bit number. */
        if (smoke)
            snprintf(m->id, sizeof m->id, "bench-smoke");
        else
            snprintf(m->id, sizeof m->id, "%llu", (unsigned long long)mix);
        wecom_user(m->from, sizeof m->from, g->seed);
        break;
    }
    complaint_text(m->text, sizeof m->text);
}

static int build(gen_ctx *g, const gen_msg *m, bool smoke, jf_buf *body, jf_buf *req)
{
    switch (g->kind) {
    case CH_TWILIO:
        return build_twilio(g, m, smoke, body, req);
    case CH_KANNEL:
        return build_kannel(g, m, smoke, body, req);
    case CH_WECOM:
        return build_wecom(g, m, smoke, body, req);
    }
    return -1;
}

/* ---- opening WeCom's replies ------------------------------------------------------------ */

/* ticket_after - the ticket code that follows "编号" in s, into code; -1 when there is
 * none. */
static int ticket_after(const char *s, char code[TICKET_LEN + 1])
{
    const char *p = strstr(s, "编号");
    if (!p)
        return -1;
    p += strlen("编号");
    for (int k = 0; k < TICKET_LEN; k++) {
        if (!p[k] || !strchr(TICKET_ALPHABET, p[k]))
            return -1;
        code[k] = p[k];
    }
    code[TICKET_LEN] = '\0';
    /* Exactly TICKET_LEN symbols: the next character is not another code symbol. */
    if (p[TICKET_LEN] && strchr(TICKET_ALPHABET, p[TICKET_LEN]))
        return -1;
    return 0;
}

static int open_replies(gen_ctx *g, const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "jf_bench_gen: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    static char line[JF_WEBHOOK_MAX_REPLY + 256];
    jf_buf plain;
    jf_buf_init(&plain, JF_WXCRYPT_MAX_MSG);
    unsigned long long n = 0, bad_format = 0, bad_sig = 0, bad_decrypt = 0, bad_xml = 0,
                       bad_code = 0;
    double t0 = cpu_seconds();
    while (fgets(line, sizeof line, in)) {
        char *save = NULL;
        char *enc = strtok_r(line, " \n", &save);
        char *sig = strtok_r(NULL, " \n", &save);
        char *ts = strtok_r(NULL, " \n", &save);
        char *nonce = strtok_r(NULL, " \n", &save);
        char code[TICKET_LEN + 1];
        const char *why = NULL;
        jf_xml x;

        n++;
        if (!enc || !sig || !ts || !nonce || strtok_r(NULL, " \n", &save)) {
            bad_format++;
            continue;
        }
        if (jf_wxcrypt_verify(g->wecom_token, ts, nonce, enc, sig)) {
            bad_sig++;
            continue;
        }
        jf_buf_reset(&plain);
        if (jf_wxcrypt_decrypt(&g->wecom_key, enc, strlen(enc), g->wecom_receive_id, &plain,
                               &why)) {
            bad_decrypt++;
            continue;
        }
        memset(&x, 0, sizeof x);
        if (jf_webhook_xml_parse(plain.data, plain.len, "xml", &x, &why)) {
            bad_xml++;
            jf_webhook_xml_free(&x);
            continue;
        }
        const char *type = jf_webhook_xml_get(&x, "MsgType");
        const char *from = jf_webhook_xml_get(&x, "FromUserName");
        const char *to = jf_webhook_xml_get(&x, "ToUserName");
        const char *content = jf_webhook_xml_get(&x, "Content");
        if (!type || strcmp(type, "text") != 0 || !from ||
            strcmp(from, g->wecom_receive_id) != 0 || !to || !to[0] || !content) {
            bad_xml++;
        } else if (ticket_after(content, code)) {
            bad_code++;
        } else {
            printf("%s\n", code);
        }
        jf_webhook_xml_free(&x);
    }
    double dt = cpu_seconds() - t0;
    int rc = ferror(in) ? 1 : 0;
    fclose(in);
    jf_buf_free(&plain);
    if (fflush(stdout) != 0)
        rc = 1;
    unsigned long long bad = bad_format + bad_sig + bad_decrypt + bad_xml + bad_code;
    fprintf(stderr,
            "jf_bench_gen: opened %llu WeCom replies in %.2f s of CPU (%.1f us each: SHA-1 "
            "check, base64, AES-256-CBC decryption, XML); %llu bad (format %llu, signature "
            "%llu, decryption or receive id %llu, message %llu, ticket code %llu)\n",
            n, dt, n ? dt * 1e6 / (double)n : 0.0, bad, bad_format, bad_sig, bad_decrypt,
            bad_xml, bad_code);
    return rc || bad ? 1 : 0;
}

/* ---- main ----------------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: jf_bench_gen [--channel twilio|kannel|wecom] --url URL --count N "
                    "--shards S --out PREFIX [--seed N]\n"
                    "       jf_bench_gen --channel wecom --open-replies FILE\n"
                    "(settings from the environment: JIANFU_TWILIO_AUTH_TOKEN; "
                    "JIANFU_KANNEL_KEY; JIANFU_WECOM_TOKEN, JIANFU_WECOM_AES_KEY, "
                    "JIANFU_WECOM_RECEIVE_ID)\n");
    return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

/* need - the value of environment variable name, or NULL after saying it is missing. */
static const char *need(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "jf_bench_gen: %s is not set\n", name);
        return NULL;
    }
    return v;
}

static int write_record(FILE *fp, const jf_buf *req)
{
    if (fprintf(fp, "%08zu", req->len) != 8 || fwrite(req->data, 1, req->len, fp) != req->len) {
        fprintf(stderr, "jf_bench_gen: write failed: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *out = NULL, *channel = "twilio", *replies = NULL;
    uint64_t count = 0, shards = 1, seed = 0;
    int have_seed = 0;
    gen_ctx g;

    memset(&g, 0, sizeof g);
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (strcmp(argv[i], "--channel") == 0)
            channel = v;
        else if (strcmp(argv[i], "--url") == 0)
            url = v;
        else if (strcmp(argv[i], "--out") == 0)
            out = v;
        else if (strcmp(argv[i], "--open-replies") == 0)
            replies = v;
        else if (strcmp(argv[i], "--count") == 0 && parse_u64(v, &count) == 0)
            ;
        else if (strcmp(argv[i], "--shards") == 0 && parse_u64(v, &shards) == 0)
            ;
        else if (strcmp(argv[i], "--seed") == 0 && parse_u64(v, &seed) == 0)
            have_seed = 1;
        else
            return usage();
        i++;
    }

    if (strcmp(channel, "twilio") == 0) {
        g.kind = CH_TWILIO;
        if (!(g.twilio_token = need("JIANFU_TWILIO_AUTH_TOKEN")))
            return 2;
    } else if (strcmp(channel, "kannel") == 0) {
        g.kind = CH_KANNEL;
        if (!(g.kannel_key = need("JIANFU_KANNEL_KEY")))
            return 2;
    } else if (strcmp(channel, "wecom") == 0) {
        g.kind = CH_WECOM;
        const char *aes = need("JIANFU_WECOM_AES_KEY");
        if (!(g.wecom_token = need("JIANFU_WECOM_TOKEN")) || !aes ||
            !(g.wecom_receive_id = need("JIANFU_WECOM_RECEIVE_ID")))
            return 2;
        if (jf_wxcrypt_key_parse(aes, &g.wecom_key)) {
            fprintf(stderr, "jf_bench_gen: JIANFU_WECOM_AES_KEY is not a 43-character "
                            "EncodingAESKey\n");
            return 2;
        }
    } else {
        return usage();
    }

    if (replies) {
        if (g.kind != CH_WECOM || url || out || count) {
            fprintf(stderr, "jf_bench_gen: --open-replies goes with --channel wecom alone\n");
            return 2;
        }
        int rc = open_replies(&g, replies);
        jf_wxcrypt_key_wipe(&g.wecom_key);
        return rc;
    }

    if (!url || !out || count == 0 || shards == 0 || shards > MAX_SHARDS)
        return usage();
    const char *scheme_end = strstr(url, "://");
    const char *path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
    if (!path) {
        fprintf(stderr, "jf_bench_gen: --url must be absolute with a path\n");
        return 2;
    }
    size_t hlen = (size_t)(path - (scheme_end + 3));
    if (hlen == 0 || hlen >= sizeof g.host)
        return usage();
    memcpy(g.host, scheme_end + 3, hlen);
    g.host[hlen] = '\0';
    g.url = url;
    g.path = path;

    if (!have_seed && jf_crypto_random(&seed, sizeof seed)) {
        fprintf(stderr, "jf_bench_gen: no randomness\n");
        return 1;
    }
    rng_state = seed;
    g.seed = seed;
    snprintf(g.run_id, sizeof g.run_id, "%08x", (unsigned)(rnd() & 0xFFFFFFFFu));
    snprintf(g.account, sizeof g.account, "AC%016llx%016llx", (unsigned long long)rnd(),
             (unsigned long long)rnd());

    FILE *files[MAX_SHARDS + 1];
    for (uint64_t s = 0; s <= shards; s++) {
        char name[4096];
        if (s < shards)
            snprintf(name, sizeof name, "%s.%llu", out, (unsigned long long)s);
        else
            snprintf(name, sizeof name, "%s.smoke", out);
        files[s] = fopen(name, "wb");
        if (!files[s]) {
            fprintf(stderr, "jf_bench_gen: cannot write %s: %s\n", name, strerror(errno));
            return 1;
        }
        setvbuf(files[s], NULL, _IOFBF, 1 << 20);
    }

    jf_buf body, req;
    jf_buf_init(&body, MAX_REQUEST);
    jf_buf_init(&req, MAX_REQUEST);
    uint64_t total_bytes = 0, total_chars = 0;
    int rc = 0;
    static gen_msg m;

    /* The smoke request first (its own file, no length prefix), then the pool. */
    make_msg(&g, UINT64_MAX, true, &m);
    if (build(&g, &m, true, &body, &req) ||
        fwrite(req.data, 1, req.len, files[shards]) != req.len) {
        fprintf(stderr, "jf_bench_gen: cannot make the smoke request\n");
        rc = 1;
    }
    g.crypto_s = 0;
    double t0 = cpu_seconds();
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        make_msg(&g, i, false, &m);
        total_chars += utf8_chars(m.text);
        if (build(&g, &m, false, &body, &req)) {
            fprintf(stderr, "jf_bench_gen: cannot make request %llu (too large?)\n",
                    (unsigned long long)i);
            rc = 1;
            break;
        }
        if (write_record(files[i % shards], &req))
            rc = 1;
        total_bytes += 8 + req.len;
    }
    double dt = cpu_seconds() - t0;
    for (uint64_t s = 0; s <= shards; s++)
        if (fclose(files[s]) != 0 && rc == 0) {
            fprintf(stderr, "jf_bench_gen: write failed: %s\n", strerror(errno));
            rc = 1;
        }
    jf_buf_free(&body);
    jf_buf_free(&req);
    jf_wxcrypt_key_wipe(&g.wecom_key);
    if (rc == 0)
        fprintf(stderr,
                "jf_bench_gen: %llu %s requests, %llu bytes (%.0f per request), text %.1f "
                "characters on average; %.1f us of CPU per request, of which %.1f us "
                "signing%s\n",
                (unsigned long long)count, channel, (unsigned long long)total_bytes,
                (double)total_bytes / (double)count, (double)total_chars / (double)count,
                dt * 1e6 / (double)count, g.crypto_s * 1e6 / (double)count,
                g.kind == CH_WECOM    ? " and encrypting (AES-256-CBC, base64, SHA-1)"
                : g.kind == CH_TWILIO ? " (HMAC-SHA1 over the URL and sorted fields)"
                                      : " (none: Kannel authenticates with a shared key)");
    return rc;
}
