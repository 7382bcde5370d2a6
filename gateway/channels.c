/* channels.c - webhook channels from the environment and the channel file. */
#include "channels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/crypto.h"
#include "core/log.h"

#define FILE_MAX (256 * 1024)
#define LINE_MAX_LEN 4096

static char *keep(jf_channels *cs, const char *s, size_t n)
{
    if (cs->nstrings >= sizeof cs->strings / sizeof cs->strings[0])
        return NULL;
    char *p = strndup(s, n);
    if (p)
        cs->strings[cs->nstrings++] = p;
    return p;
}

static const jf_webhook_setting_spec *find_spec(const jf_webhook_adapter *a, const char *key,
                                                size_t klen)
{
    for (size_t i = 0; i < a->nsettings; i++)
        if (strlen(a->settings[i].key) == klen && strncmp(a->settings[i].key, key, klen) == 0)
            return &a->settings[i];
    return NULL;
}

/* The first required setting ch lacks, or NULL when it has them all. */
static const char *missing_required(const jf_channel *c)
{
    for (size_t i = 0; i < c->adapter->nsettings; i++) {
        const jf_webhook_setting_spec *s = &c->adapter->settings[i];
        if ((s->flags & JF_SETTING_REQUIRED) && !jf_webhook_channel_get(&c->ch, s->key))
            return s->key;
    }
    return NULL;
}

static void load_env(jf_channels *cs)
{
    for (size_t i = 0; cs->n < JF_CHANNELS_MAX; i++) {
        const jf_webhook_adapter *a = jf_webhook_adapter_at(i);
        if (!a)
            break;
        jf_channel *c = &cs->items[cs->n];
        memset(c, 0, sizeof *c);
        c->adapter = a;
        c->ch.kind = a->kind;
        c->ch.name = "default";
        const char *missing = NULL;
        for (size_t j = 0; j < a->nsettings && j < JF_WEBHOOK_MAX_SETTINGS; j++) {
            const char *v = getenv(a->settings[j].env);
            if (v && *v) {
                c->ch.settings[c->ch.nsettings].key = a->settings[j].key;
                c->ch.settings[c->ch.nsettings].value = v;
                c->ch.nsettings++;
            } else if ((a->settings[j].flags & JF_SETTING_REQUIRED) && !missing) {
                missing = a->settings[j].env;
            }
        }
        if (missing) {
            jf_log_info("channel.disabled", "kind=%s name=default reason=\"%s is not set\"",
                        a->kind, missing);
            continue;
        }
        cs->n++;
        jf_log_info("channel.enabled", "kind=%s name=default path=/webhooks/%s", a->kind,
                    a->kind);
    }
}

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > JF_CHANNEL_NAME_MAX || (n == 7 && strncmp(s, "default", 7) == 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_'))
            return 0;
    return 1;
}

static const char *trim(const char *s, const char *end, const char **out_end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *out_end = end;
    return s;
}

/* Parse the channel file's text; lineno and a reason go to errbuf on failure. */
static jf_err parse_file(jf_channels *cs, const char *path, const char *text, size_t len,
                         char *errbuf, size_t errsz)
{
    const char *p = text, *end = text + len;
    jf_channel *cur = NULL;
    int lineno = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *e;
        lineno++;
        if (le - p > LINE_MAX_LEN) {
            snprintf(errbuf, errsz, "%s:%d: line too long", path, lineno);
            return JF_ERR_CONFIG;
        }
        const char *s = trim(p, le, &e);
        p = nl ? nl + 1 : end;
        if (s == e || *s == '#')
            continue;
        if (*s == '[') {
            if (cur && missing_required(cur)) {
                snprintf(errbuf, errsz, "%s: channel %s/%s lacks required setting %s", path,
                         cur->ch.kind, cur->ch.name, missing_required(cur));
                return JF_ERR_CONFIG;
            }
            const char *close = memchr(s, ']', (size_t)(e - s));
            const char *sp = close ? memchr(s, ' ', (size_t)(close - s)) : NULL;
            if (!close || close + 1 != e || !sp) {
                snprintf(errbuf, errsz, "%s:%d: a section is [KIND NAME], e.g. [wecom hr]",
                         path, lineno);
                return JF_ERR_CONFIG;
            }
            char kind[32];
            size_t klen = (size_t)(sp - s - 1);
            const char *ne;
            const char *name = trim(sp, close, &ne);
            if (klen == 0 || klen >= sizeof kind) {
                snprintf(errbuf, errsz, "%s:%d: missing channel kind", path, lineno);
                return JF_ERR_CONFIG;
            }
            memcpy(kind, s + 1, klen);
            kind[klen] = '\0';
            const jf_webhook_adapter *a = jf_webhook_adapter_find(kind);
            if (!a) {
                snprintf(errbuf, errsz, "%s:%d: unknown channel kind '%s'", path, lineno, kind);
                return JF_ERR_CONFIG;
            }
            if (!valid_name(name, (size_t)(ne - name))) {
                snprintf(errbuf, errsz,
                         "%s:%d: channel names are 1-%d of a-z 0-9 - _ and not 'default'", path,
                         lineno, JF_CHANNEL_NAME_MAX);
                return JF_ERR_CONFIG;
            }
            char *n = keep(cs, name, (size_t)(ne - name));
            if (!n || cs->n >= JF_CHANNELS_MAX) {
                snprintf(errbuf, errsz, "%s:%d: too many channels (at most %d)", path, lineno,
                         JF_CHANNELS_MAX);
                return JF_ERR_CONFIG;
            }
            if (jf_gateway_channels_find(cs, a->kind, n)) {
                snprintf(errbuf, errsz, "%s:%d: channel %s/%s defined twice", path, lineno,
                         a->kind, n);
                return JF_ERR_CONFIG;
            }
            cur = &cs->items[cs->n++];
            memset(cur, 0, sizeof *cur);
            cur->adapter = a;
            cur->ch.kind = a->kind;
            cur->ch.name = n;
            continue;
        }
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (!cur || !eq) {
            snprintf(errbuf, errsz,
                     "%s:%d: expected 'key = value' inside a [KIND NAME] section", path,
                     lineno);
            return JF_ERR_CONFIG;
        }
        const char *ke, *ve;
        const char *k = trim(s, eq, &ke);
        const char *v = trim(eq + 1, e, &ve);
        const jf_webhook_setting_spec *spec = find_spec(cur->adapter, k, (size_t)(ke - k));
        if (!spec) {
            snprintf(errbuf, errsz, "%s:%d: %s channels have no setting '%.*s'", path, lineno,
                     cur->ch.kind, (int)(ke - k), k);
            return JF_ERR_CONFIG;
        }
        if (jf_webhook_channel_get(&cur->ch, spec->key) ||
            cur->ch.nsettings >= JF_WEBHOOK_MAX_SETTINGS) {
            snprintf(errbuf, errsz, "%s:%d: setting %s given twice", path, lineno, spec->key);
            return JF_ERR_CONFIG;
        }
        char *val = keep(cs, v, (size_t)(ve - v));
        if (!val)
            return JF_ERR_NOMEM;
        cur->ch.settings[cur->ch.nsettings].key = spec->key;
        cur->ch.settings[cur->ch.nsettings].value = val;
        cur->ch.nsettings++;
    }
    if (cur && missing_required(cur)) {
        snprintf(errbuf, errsz, "%s: channel %s/%s lacks required setting %s", path,
                 cur->ch.kind, cur->ch.name, missing_required(cur));
        return JF_ERR_CONFIG;
    }
    return JF_ERR_OK;
}

jf_err jf_gateway_channels_load(jf_channels *cs, const char *path, char *errbuf, size_t errsz)
{
    jf_err err = JF_ERR_OK;
    char *text = NULL;
    FILE *f = NULL;
    struct stat st;

    memset(cs, 0, sizeof *cs);
    load_env(cs);
    if (!path)
        return JF_ERR_OK;

    f = fopen(path, "r");
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(errbuf, errsz, "cannot read channel file %s: %s", path, strerror(errno));
        err = JF_ERR_IO;
        goto out;
    }
    if (st.st_mode & 007) {
        snprintf(errbuf, errsz,
                 "channel file %s holds secrets but is readable by others; run chmod 600 %s",
                 path, path);
        err = JF_ERR_CONFIG;
        goto out;
    }
    if (st.st_size > FILE_MAX) {
        snprintf(errbuf, errsz, "channel file %s is larger than %d bytes", path, FILE_MAX);
        err = JF_ERR_CONFIG;
        goto out;
    }
    text = malloc((size_t)st.st_size + 1);
    if (!text) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    size_t n = fread(text, 1, (size_t)st.st_size, f);
    text[n] = '\0';
    err = parse_file(cs, path, text, n, errbuf, errsz);
    if (!err)
        for (size_t i = 0; i < cs->n; i++)
            if (strcmp(cs->items[i].ch.name, "default") != 0)
                jf_log_info("channel.enabled", "kind=%s name=%s path=/webhooks/%s/%s",
                            cs->items[i].ch.kind, cs->items[i].ch.name, cs->items[i].ch.kind,
                            cs->items[i].ch.name);
out:
    if (text) {
        jf_crypto_zeroize(text, (size_t)st.st_size);
        free(text);
    }
    if (f)
        fclose(f);
    if (err)
        jf_gateway_channels_free(cs);
    return err;
}

const jf_channel *jf_gateway_channels_find(const jf_channels *cs, const char *kind,
                                           const char *name)
{
    for (size_t i = 0; i < cs->n; i++)
        if (strcmp(cs->items[i].ch.kind, kind) == 0 && strcmp(cs->items[i].ch.name, name) == 0)
            return &cs->items[i];
    return NULL;
}

void jf_gateway_channels_free(jf_channels *cs)
{
    for (size_t i = 0; i < cs->nstrings; i++) {
        jf_crypto_zeroize(cs->strings[i], strlen(cs->strings[i]));
        free(cs->strings[i]);
    }
    memset(cs, 0, sizeof *cs);
}
