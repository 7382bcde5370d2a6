/* config.h - configuration read once at start-up from the environment.
 *
 * The environment variables are the interface contract (design.md); a configuration file
 * may be added later to extend them but never to rename them. After jf_config_load the
 * struct is read-only and may be shared by all threads.
 */
#ifndef JF_CORE_CONFIG_H
#define JF_CORE_CONFIG_H

#include <stddef.h>

#include "err.h"

typedef struct {
    char *database_url;   /* JIANFU_DATABASE_URL: libpq conninfo; NULL when unset */
    char *listen_host;    /* JIANFU_LISTEN host part, default 127.0.0.1 */
    unsigned listen_port; /* JIANFU_LISTEN port part, default 8080 */
    char *public_url;     /* JIANFU_PUBLIC_URL without trailing '/', default http://LISTEN */
    char *key_file;       /* JIANFU_KEY_FILE; NULL when unset */
    char *channels_file;  /* JIANFU_CHANNELS_FILE: named webhook channels; NULL when unset */
    char *model_file;     /* JIANFU_MODEL_FILE: the classifier (jianfu train); NULL: none */
    char *rules_file;     /* JIANFU_RULES_FILE: coordinators' keyword rules; NULL: none */
    double triage_threshold; /* JIANFU_TRIAGE_THRESHOLD: below it, triage queue; 0.5 */
    unsigned triage_reload;  /* JIANFU_TRIAGE_RELOAD: seconds between freshness checks; 10 */
    unsigned max_connections;    /* JIANFU_MAX_CONNECTIONS, default 512 */
    unsigned connection_timeout; /* JIANFU_CONNECTION_TIMEOUT seconds, default 30 */
    unsigned http_threads;       /* JIANFU_HTTP_THREADS, default 2 */
    unsigned committers;         /* JIANFU_COMMITTERS, default 2 */
    unsigned shutdown_grace;     /* JIANFU_SHUTDOWN_GRACE seconds, default 25 */
    unsigned send_rate;          /* JIANFU_SEND_RATE messages/s per channel, default 10 */
    unsigned outbox_max_attempts; /* JIANFU_OUTBOX_MAX_ATTEMPTS, default 10 */
    unsigned outbox_backoff;      /* JIANFU_OUTBOX_BACKOFF first retry delay, s, default 5 */
    unsigned send_timeout;        /* JIANFU_SEND_TIMEOUT total seconds per send, default 15 */
    unsigned sla_ack, sla_answer, sla_resolve; /* JIANFU_SLA "1,5,15" working days */
} jf_config;

/* jf_config_load - fill c from the environment (caller frees with jf_config_free).
 * JF_ERR_CONFIG with a message naming the variable when a value is malformed. */
jf_err jf_config_load(jf_config *c, char *errbuf, size_t errsz) JF_WUR;

/* jf_config_free - release the strings; c may be reloaded afterwards. */
void jf_config_free(jf_config *c);

/* jf_config_parse_uint - strict decimal parse of s into *out within [min, max]. */
jf_err jf_config_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out) JF_WUR;

/* jf_config_parse_fraction - strict parse of s as a number from 0 to 1 (a probability, such
 * as the triage threshold) into *out: JF_ERR_PARSE when s is not a number, JF_ERR_RANGE when
 * it is outside [0, 1] (NaN included). */
jf_err jf_config_parse_fraction(const char *s, double *out) JF_WUR;

/* What to tell a person whose JIANFU_TRIAGE_THRESHOLD jf_config_parse_fraction refused. */
#define JF_CONFIG_THRESHOLD_HINT "JIANFU_TRIAGE_THRESHOLD must be a number from 0 to 1, e.g. 0.5"

#endif
