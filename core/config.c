/* config.c - environment configuration. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jf_err jf_config_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end = NULL;
    if (!s || *s < '0' || *s > '9')
        return JF_ERR_PARSE;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return JF_ERR_RANGE;
    *out = (unsigned)v;
    return JF_ERR_OK;
}

jf_err jf_config_parse_fraction(const char *s, double *out)
{
    char *end = NULL;
    if (!s || !*s || isspace((unsigned char)*s))
        return JF_ERR_PARSE;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return JF_ERR_PARSE;
    if (!(v >= 0.0 && v <= 1.0))
        return JF_ERR_RANGE;
    *out = v;
    return JF_ERR_OK;
}

static char *dup_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strdup(v) : NULL;
}

/* Table of the numeric settings: tables over branches, so a new knob is one row. */
typedef struct {
    const char *env;
    size_t offset;
    unsigned def, min, max;
} uint_setting;

static const uint_setting uint_settings[] = {
    {"JIANFU_MAX_CONNECTIONS", offsetof(jf_config, max_connections), 512, 4, 65536},
    {"JIANFU_CONNECTION_TIMEOUT", offsetof(jf_config, connection_timeout), 30, 1, 3600},
    {"JIANFU_HTTP_THREADS", offsetof(jf_config, http_threads), 2, 1, 64},
    {"JIANFU_COMMITTERS", offsetof(jf_config, committers), 2, 1, 16},
    {"JIANFU_SHUTDOWN_GRACE", offsetof(jf_config, shutdown_grace), 25, 0, 600},
    {"JIANFU_SEND_RATE", offsetof(jf_config, send_rate), 10, 1, 1000},
    {"JIANFU_OUTBOX_MAX_ATTEMPTS", offsetof(jf_config, outbox_max_attempts), 10, 1, 100},
    {"JIANFU_OUTBOX_BACKOFF", offsetof(jf_config, outbox_backoff), 5, 1, 600},
    {"JIANFU_SEND_TIMEOUT", offsetof(jf_config, send_timeout), 15, 1, 120},
    {"JIANFU_TRIAGE_RELOAD", offsetof(jf_config, triage_reload), 10, 1, 3600},
};

static jf_err parse_listen(jf_config *c, const char *v, char *errbuf, size_t errsz)
{
    const char *colon = strrchr(v, ':');
    unsigned port = 0;
    if (!colon || colon == v || jf_config_parse_uint(colon + 1, 1, 65535, &port)) {
        snprintf(errbuf, errsz, "JIANFU_LISTEN must be HOST:PORT, e.g. 127.0.0.1:8080");
        return JF_ERR_CONFIG;
    }
    c->listen_host = strndup(v, (size_t)(colon - v));
    if (!c->listen_host)
        return JF_ERR_NOMEM;
    c->listen_port = port;
    return JF_ERR_OK;
}

static jf_err parse_sla(jf_config *c, const char *v, char *errbuf, size_t errsz)
{
    unsigned a = 0, b = 0, r = 0;
    char extra;
    if (sscanf(v, "%u,%u,%u%c", &a, &b, &r, &extra) != 3 || a < 1 || a > b || b > r ||
        r > 366) {
        snprintf(errbuf, errsz,
                 "JIANFU_SLA must be three working-day counts ACK,ANSWER,RESOLVE with "
                 "1 <= ACK <= ANSWER <= RESOLVE <= 366, e.g. 1,5,15");
        return JF_ERR_CONFIG;
    }
    c->sla_ack = a;
    c->sla_answer = b;
    c->sla_resolve = r;
    return JF_ERR_OK;
}

jf_err jf_config_load(jf_config *c, char *errbuf, size_t errsz)
{
    jf_err err;
    memset(c, 0, sizeof *c);

    for (size_t i = 0; i < sizeof uint_settings / sizeof uint_settings[0]; i++) {
        const uint_setting *s = &uint_settings[i];
        unsigned *dst = (unsigned *)((char *)c + s->offset);
        const char *v = getenv(s->env);
        *dst = s->def;
        if (v && *v && jf_config_parse_uint(v, s->min, s->max, dst)) {
            snprintf(errbuf, errsz, "%s must be a whole number from %u to %u", s->env, s->min,
                     s->max);
            err = JF_ERR_CONFIG;
            goto fail;
        }
    }

    const char *listen = getenv("JIANFU_LISTEN");
    err = parse_listen(c, listen && *listen ? listen : "127.0.0.1:8080", errbuf, errsz);
    if (err)
        goto fail;

    const char *sla = getenv("JIANFU_SLA");
    err = parse_sla(c, sla && *sla ? sla : "1,5,15", errbuf, errsz);
    if (err)
        goto fail;

    c->database_url = dup_env("JIANFU_DATABASE_URL");
    c->key_file = dup_env("JIANFU_KEY_FILE");
    c->channels_file = dup_env("JIANFU_CHANNELS_FILE");
    c->model_file = dup_env("JIANFU_MODEL_FILE");
    c->rules_file = dup_env("JIANFU_RULES_FILE");
    c->triage_threshold = 0.5;
    const char *th = getenv("JIANFU_TRIAGE_THRESHOLD");
    if (th && *th && jf_config_parse_fraction(th, &c->triage_threshold)) {
        snprintf(errbuf, errsz, JF_CONFIG_THRESHOLD_HINT);
        err = JF_ERR_CONFIG;
        goto fail;
    }
    c->public_url = dup_env("JIANFU_PUBLIC_URL");
    if (!c->public_url) {
        size_t n = strlen(c->listen_host) + 32;
        c->public_url = malloc(n);
        if (!c->public_url) {
            err = JF_ERR_NOMEM;
            goto fail;
        }
        snprintf(c->public_url, n, "http://%s:%u", c->listen_host, c->listen_port);
    }
    size_t n = strlen(c->public_url);
    while (n > 0 && c->public_url[n - 1] == '/')
        c->public_url[--n] = '\0';
    if (strncmp(c->public_url, "http://", 7) != 0 &&
        strncmp(c->public_url, "https://", 8) != 0) {
        snprintf(errbuf, errsz,
                 "JIANFU_PUBLIC_URL must start with http:// or https:// (it is the external "
                 "base URL providers sign, e.g. https://jianfu.example.gov.cn)");
        err = JF_ERR_CONFIG;
        goto fail;
    }
    return JF_ERR_OK;
fail:
    jf_config_free(c);
    return err;
}

void jf_config_free(jf_config *c)
{
    free(c->database_url);
    free(c->listen_host);
    free(c->public_url);
    free(c->key_file);
    free(c->channels_file);
    free(c->model_file);
    free(c->rules_file);
    memset(c, 0, sizeof *c);
}
