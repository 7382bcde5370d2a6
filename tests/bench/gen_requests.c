/* gen_requests.c - pre-generate signed Twilio SMS webhook requests for tests/bench/ingest.
 *
 * usage: JIANFU_TWILIO_AUTH_TOKEN=... jf_bench_gen --url URL --count N --shards S
 *            --out PREFIX [--seed N]
 *
 * Writes S files PREFIX.0 .. PREFIX.<S-1>; request i goes to shard i % S, so that each wrk
 * thread reads a disjoint share and no request is ever sent twice. Each record is eight
 * decimal digits giving the length of what follows, then one complete raw HTTP/1.1
 * request: POST to URL's path with the form fields Twilio sends for an inbound SMS (From,
 * To, Body, MessageSid, AccountSid, ...) and its X-Twilio-Signature, computed with the
 * project's own jf_webhook_twilio_signature over URL exactly as given (which must be the
 * server's JIANFU_PUBLIC_URL plus the path).
 *
 * Every MessageSid is distinct (a bijective mix of the index under a per-run prefix), the
 * Body is a varied Chinese complaint of about 60 characters, and From numbers are
 * varied, with some reporters writing more than once. Deterministic for a given --seed.
 * Prints a one-line summary (count, bytes, mean body length in characters) on stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "webhook/form.h"
#include "webhook/twilio.h"

#define MAX_SHARDS 64
#define MAX_REQUEST (16 * 1024)
#define MAX_TEXT 1024

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

/* ---- main ----------------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: JIANFU_TWILIO_AUTH_TOKEN=... jf_bench_gen --url URL --count N "
                    "--shards S --out PREFIX [--seed N]\n");
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

int main(int argc, char **argv)
{
    const char *url = NULL, *out = NULL;
    const char *token = getenv("JIANFU_TWILIO_AUTH_TOKEN");
    uint64_t count = 0, shards = 1, seed = 0;
    int have_seed = 0;

    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (strcmp(argv[i], "--url") == 0)
            url = v;
        else if (strcmp(argv[i], "--out") == 0)
            out = v;
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
    if (!url || !out || !token || !*token || count == 0 || shards == 0 || shards > MAX_SHARDS)
        return usage();
    const char *scheme_end = strstr(url, "://");
    const char *path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
    if (!path) {
        fprintf(stderr, "jf_bench_gen: --url must be absolute with a path\n");
        return 2;
    }
    char host[256];
    size_t hlen = (size_t)(path - (scheme_end + 3));
    if (hlen == 0 || hlen >= sizeof host)
        return usage();
    memcpy(host, scheme_end + 3, hlen);
    host[hlen] = '\0';

    if (!have_seed && jf_crypto_random(&seed, sizeof seed)) {
        fprintf(stderr, "jf_bench_gen: no randomness\n");
        return 1;
    }
    rng_state = seed;
    char run_id[9], account[35];
    snprintf(run_id, sizeof run_id, "%08x", (unsigned)(rnd() & 0xFFFFFFFFu));
    snprintf(account, sizeof account, "AC%016llx%016llx", (unsigned long long)rnd(),
             (unsigned long long)rnd());
    const char *to = "+8610690012";

    FILE *files[MAX_SHARDS];
    for (uint64_t s = 0; s < shards; s++) {
        char name[4096];
        snprintf(name, sizeof name, "%s.%llu", out, (unsigned long long)s);
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

    for (uint64_t i = 0; i < count && rc == 0; i++) {
        char sid[35], from[24], text[MAX_TEXT], sig[JF_TWILIO_SIG_LEN + 1], segs[24];
        /* splitmix64 is a bijection, so distinct indices give distinct sids. */
        snprintf(sid, sizeof sid, "SM%s%016llx%08x", run_id,
                 (unsigned long long)splitmix64(i ^ seed), (unsigned)(rnd() & 0xFFFFFFFFu));
        sender(from, sizeof from, seed);
        complaint_text(text, sizeof text);
        size_t chars = utf8_chars(text);
        total_chars += chars;
        snprintf(segs, sizeof segs, "%zu", chars <= 70 ? (size_t)1 : (chars + 66) / 67);

        /* The fields in the order Twilio posts them. */
        jf_form_field f[] = {
            {"ToCountry", "CN"},
            {"ToState", ""},
            {"SmsMessageSid", sid},
            {"NumMedia", "0"},
            {"ToCity", ""},
            {"FromZip", ""},
            {"SmsSid", sid},
            {"FromState", ""},
            {"SmsStatus", "received"},
            {"FromCity", ""},
            {"Body", text},
            {"FromCountry", "CN"},
            {"To", (char *)to},
            {"ToZip", ""},
            {"NumSegments", segs},
            {"MessageSid", sid},
            {"AccountSid", account},
            {"From", from},
            {"ApiVersion", "2010-04-01"},
        };
        jf_form form = {f, sizeof f / sizeof f[0]};
        if (jf_webhook_twilio_signature(token, url, &form, sig)) {
            fprintf(stderr, "jf_bench_gen: cannot sign request %llu\n", (unsigned long long)i);
            rc = 1;
            break;
        }

        jf_buf_reset(&body);
        for (size_t k = 0; k < form.n && rc == 0; k++) {
            if ((k && jf_buf_appends(&body, "&")) || form_escape(&body, f[k].name) ||
                jf_buf_appends(&body, "=") || form_escape(&body, f[k].value))
                rc = 1;
        }
        jf_buf_reset(&req);
        if (rc ||
            jf_buf_appendf(&req,
                           "POST %s HTTP/1.1\r\n"
                           "Host: %s\r\n"
                           "User-Agent: TwilioProxy/1.1\r\n"
                           "Accept: */*\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           "X-Twilio-Signature: %s\r\n"
                           "Content-Length: %zu\r\n"
                           "\r\n",
                           path, host, sig, body.len) ||
            jf_buf_append(&req, body.data, body.len)) {
            fprintf(stderr, "jf_bench_gen: request %llu too large\n", (unsigned long long)i);
            rc = 1;
            break;
        }
        FILE *fp = files[i % shards];
        if (fprintf(fp, "%08zu", req.len) != 8 || fwrite(req.data, 1, req.len, fp) != req.len) {
            fprintf(stderr, "jf_bench_gen: write failed: %s\n", strerror(errno));
            rc = 1;
        }
        total_bytes += 8 + req.len;
    }
    for (uint64_t s = 0; s < shards; s++)
        if (fclose(files[s]) != 0 && rc == 0) {
            fprintf(stderr, "jf_bench_gen: write failed: %s\n", strerror(errno));
            rc = 1;
        }
    jf_buf_free(&body);
    jf_buf_free(&req);
    if (rc == 0)
        fprintf(stderr,
                "jf_bench_gen: %llu requests, %llu bytes, body %.1f characters on average\n",
                (unsigned long long)count, (unsigned long long)total_bytes,
                (double)total_chars / (double)count);
    return rc;
}
