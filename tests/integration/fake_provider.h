/* fake_provider.h - a provider's HTTP API, faked inside the test process, for the send
 * paths of the outbox dispatcher (Twilio's Messages API, Kannel's sendsms, Telegram's
 * sendMessage, ...).
 *
 * A libmicrohttpd daemon on 127.0.0.1 and a free port, one thread per connection (so a
 * request told to hang holds only its own connection). What it answers is scripted per
 * test: a queue of responses, each taken by the next request that arrives (status, body,
 * Content-Type, Retry-After, or "hang for N ms first"), and a default for when the queue
 * is empty. Every request is recorded as it arrives, before it is answered: method, path,
 * query, headers, raw body and the decoded fields of a form body and of the query string,
 * the arrival time and what it was answered.
 *
 * Records are immutable once made and stay valid until jt_fake_reset or jt_fake_stop, so
 * a test may read them while the daemon keeps recording. Functions that fail report
 * through cmocka (fail_msg), so call them from the test's own thread; the daemon's threads
 * never call cmocka. Every wait is bounded.
 */
#ifndef JF_TESTS_FAKE_PROVIDER_H
#define JF_TESTS_FAKE_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* Largest request body the fake keeps; a longer one is answered 413 and recorded as
 * truncated. */
#define JT_FAKE_MAX_BODY (1024 * 1024)
/* Most form or query fields decoded per request. */
#define JT_FAKE_MAX_FIELDS 32

typedef struct jt_fake_provider jt_fake_provider;

/* One scripted answer. Zero-initialised fields take their defaults. */
typedef struct {
    int status;               /* HTTP status; 0 means 200 */
    const char *body;         /* NULL: empty */
    const char *content_type; /* NULL: application/json when there is a body */
    const char *retry_after;  /* NULL: no Retry-After header */
    int hang_ms;              /* > 0: hold the request this long before answering (the
                               * client usually gives up first) */
} jt_fake_response;

typedef struct {
    char *name;
    char *value;
} jt_fake_field;

/* What the fake saw of one request. */
typedef struct {
    size_t seq;    /* 0, 1, ... in order of arrival */
    int64_t at_ms; /* jt_mono_ms() when the request was complete */
    char method[16];
    char *path;          /* URL path, without the query */
    char *headers;       /* "name: value\n" for each header, names as sent */
    char *authorization; /* the Authorization header, "" when absent */
    char *content_type;  /* the Content-Type header, "" when absent */
    char *body;          /* raw body, NUL-terminated ("" when empty) */
    size_t body_len;
    bool truncated;                         /* the body was longer than JT_FAKE_MAX_BODY */
    jt_fake_field form[JT_FAKE_MAX_FIELDS]; /* decoded application/x-www-form-urlencoded */
    size_t nform;
    jt_fake_field query[JT_FAKE_MAX_FIELDS]; /* decoded query string */
    size_t nquery;
    int status;  /* what it was answered with (or was to be, after a hang) */
    int hang_ms; /* how long it was held first */
} jt_fake_request;

/* jt_fake_start - start a fake provider on 127.0.0.1 and a free port. Its default answer
 * is 200 with an empty JSON object until jt_fake_set_default says otherwise. */
jt_fake_provider *jt_fake_start(void);

/* jt_fake_stop - release every hanging request, stop the daemon (bounded by the hangs
 * ending at once) and free everything, records included. NULL allowed. */
void jt_fake_stop(jt_fake_provider *f);

/* jt_fake_port / jt_fake_base_url - where it listens: "http://127.0.0.1:<port>". */
int jt_fake_port(const jt_fake_provider *f);
const char *jt_fake_base_url(const jt_fake_provider *f);

/* jt_fake_push - queue r for the next request that finds the queue empty before it. The
 * strings are copied. */
void jt_fake_push(jt_fake_provider *f, const jt_fake_response *r);

/* jt_fake_set_default - what requests get while the queue is empty (copied). */
void jt_fake_set_default(jt_fake_provider *f, const jt_fake_response *r);

/* jt_fake_reset - empty the queue, forget every record (pointers from jt_fake_get become
 * invalid) and restore the default answer (200, "{}"). */
void jt_fake_reset(jt_fake_provider *f);

/* jt_fake_count - how many requests were recorded so far. */
size_t jt_fake_count(jt_fake_provider *f);

/* jt_fake_queued - how many scripted answers are still waiting for a request. */
size_t jt_fake_queued(jt_fake_provider *f);

/* jt_fake_get - record i (< jt_fake_count); valid until jt_fake_reset or jt_fake_stop. */
const jt_fake_request *jt_fake_get(jt_fake_provider *f, size_t i);

/* jt_fake_wait_count - wait up to timeout_ms until at least n requests were recorded;
 * returns the count then (which may be less than n on timeout). */
size_t jt_fake_wait_count(jt_fake_provider *f, size_t n, int timeout_ms);

/* jt_fake_field_get - the value of the first field called name in the request's form
 * body, else in its query string; NULL when neither has it. */
const char *jt_fake_field_get(const jt_fake_request *r, const char *name);

/* jt_fake_header_get - the value of header name (case-insensitive) copied into out, or
 * NULL when absent. */
const char *jt_fake_header_get(const jt_fake_request *r, const char *name, char *out,
                               size_t outsz);

/* jt_fake_count_field - how many recorded requests have field name equal to value. */
size_t jt_fake_count_field(jt_fake_provider *f, const char *name, const char *value);

/* jt_fake_find_field - the index of the k-th (0-based) recorded request whose field name
 * equals value, or -1. */
long jt_fake_find_field(jt_fake_provider *f, const char *name, const char *value, size_t k);

/* jt_fake_wait_field - wait up to timeout_ms until at least n recorded requests have
 * field name equal to value; returns how many have then. */
size_t jt_fake_wait_field(jt_fake_provider *f, const char *name, const char *value, size_t n,
                          int timeout_ms);

#endif
