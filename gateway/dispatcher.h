/* dispatcher.h - the outbox dispatcher of `jianfu serve`: sends what the outbox holds.
 *
 * One thread per process claims due outbox rows (store/outbox.h), opens each reporter's
 * sealed reply address in memory only, has the channel's adapter build the provider
 * request, performs it with libcurl, and records the outcome: sent; retried with
 * exponential backoff and jitter (or after the provider's Retry-After) on transient
 * failures; dead, with the provider's error kept for admins, on permanent failures or
 * after JIANFU_OUTBOX_MAX_ATTEMPTS tries. Access tokens (WeCom, WeChat, DingTalk) are
 * cached per channel until they expire. Sends on one channel are spaced to at most
 * JIANFU_SEND_RATE per second per process.
 */
#ifndef JF_GATEWAY_DISPATCHER_H
#define JF_GATEWAY_DISPATCHER_H

#include "core/config.h"
#include "core/err.h"
#include "gateway/channels.h"
#include "privacy/keyring.h"

typedef struct jf_dispatcher jf_dispatcher;

/* jf_gateway_dispatcher_start - start the dispatcher thread. cfg, kr and cs are borrowed
 * and must outlive it. */
jf_err jf_gateway_dispatcher_start(const jf_config *cfg, const jf_keyring *kr,
                                   const jf_channels *cs, jf_dispatcher **out) JF_WUR;

/* jf_gateway_dispatcher_stop - finish the send in progress, stop, free. NULL allowed. */
void jf_gateway_dispatcher_stop(jf_dispatcher *d);

/* jf_gateway_backoff - seconds to wait before attempt (attempts + 1), given that
 * `attempts` have failed: base seconds (JIANFU_OUTBOX_BACKOFF) doubling up to an hour, times a
 * random factor in [0.5, 1.5) so that retries from many rows do not arrive in step; never less
 * than retry_after (the provider's request, 0 for none). Exposed for tests. */
int jf_gateway_backoff(int base, int attempts, int retry_after);

#endif
