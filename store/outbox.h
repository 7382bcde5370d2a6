/* outbox.h - the transactional outbox: claiming messages to send and recording outcomes.
 *
 * Rows are written by the transactions that cause them (intake, answers, notifications).
 * A dispatcher claims due rows with FOR UPDATE SKIP LOCKED and, in the same statement,
 * leases them (pushes next_attempt_at past the lease), then commits: rows claimed by one
 * dispatcher are invisible to every other until the lease ends, so any number of
 * `jianfu serve` processes share the work without sending a row twice. After the send the
 * row is marked sent, rescheduled with backoff, or dead. Should a process die between
 * claiming and recording, the lease runs out and the row is sent again: delivery is at
 * least once, and the lease is far longer than any send may take.
 */
#ifndef JF_STORE_OUTBOX_H
#define JF_STORE_OUTBOX_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define JF_STORE_OUTBOX_MAX_CLAIM 64
#define JF_STORE_OUTBOX_ERROR_MAX 256

/* One claimed row. Strings and the sealed blob are owned by the row and released by
 * jf_store_outbox_rows_free. */
typedef struct {
    int64_t id;
    char *purpose;         /* "ack", "answer" or "notify" */
    int64_t complaint_id;  /* 0 for notifications */
    int64_t department_id; /* 0 for messages to reporters */
    char *channel_kind;
    char *channel_name;
    char *body;
    int attempts; /* including this one */
    /* For messages to reporters: what opens the reply address (NULL when the sealed
     * address has been purged after its retention period). */
    uint8_t reporter_key[32];
    char *seal_kid;
    uint8_t *sealed;
    size_t sealed_len;
    /* For notifications: the department's robot ("wecom_robot" or "dingtalk_robot"), its
     * webhook URL (a credential) and signing secret (NULL when it has none). NULL when the
     * department no longer has a robot. */
    char *robot_kind;
    char *robot_url;
    char *robot_secret;
} jf_store_outbox_row;

/* jf_store_outbox_claim - lease up to max (≤ JF_STORE_OUTBOX_MAX_CLAIM) due rows for
 * lease_s seconds into rows[]; *n gets how many. */
jf_err jf_store_outbox_claim(PGconn *conn, int max, int lease_s, jf_store_outbox_row *rows,
                             int *n) JF_WUR;

/* jf_store_outbox_rows_free - release what claim allocated in rows[0..n). */
void jf_store_outbox_rows_free(jf_store_outbox_row *rows, int n);

/* jf_store_outbox_sent - the provider took row id. */
jf_err jf_store_outbox_sent(PGconn *conn, int64_t id) JF_WUR;

/* jf_store_outbox_retry - try row id again after delay_s seconds; error (the provider's
 * words, never an address) is kept for admins. */
jf_err jf_store_outbox_retry(PGconn *conn, int64_t id, int delay_s, const char *error) JF_WUR;

/* jf_store_outbox_dead - give up on row id, keeping error for admins. */
jf_err jf_store_outbox_dead(PGconn *conn, int64_t id, const char *error) JF_WUR;

#endif
