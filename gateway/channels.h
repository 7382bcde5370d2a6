/* channels.h - the webhook channels this server answers, from the environment and the
 * channel file.
 *
 * The default channel of each kind ("/webhooks/<kind>") takes its settings from the
 * environment variables the adapter's setting table names (JIANFU_TWILIO_AUTH_TOKEN, ...)
 * and is enabled when every required one is set. Further channels of any kind
 * ("/webhooks/<kind>/<name>") come from the channel file named by JIANFU_CHANNELS_FILE,
 * whose format is documented in docs/channels.md:
 *
 *     [wecom hr-bureau]
 *     token = ...
 *     aes_key = ...
 *
 * A loaded channel set is read-only and shared by all threads without a lock.
 */
#ifndef JF_GATEWAY_CHANNELS_H
#define JF_GATEWAY_CHANNELS_H

#include <stddef.h>

#include "core/err.h"
#include "webhook/adapter.h"

#define JF_CHANNELS_MAX 64
#define JF_CHANNEL_NAME_MAX 32

typedef struct {
    const jf_webhook_adapter *adapter;
    jf_webhook_channel ch;
} jf_channel;

typedef struct {
    jf_channel items[JF_CHANNELS_MAX];
    size_t n;
    char *strings[JF_CHANNELS_MAX * (JF_WEBHOOK_MAX_SETTINGS + 1)]; /* owned copies */
    size_t nstrings;
} jf_channels;

/* jf_gateway_channels_load - fill *cs from the environment and, when path is not NULL,
 * the channel file (which must not be readable by others: it holds secrets). Errors name
 * the file, line and setting, never a value. Caller frees with jf_gateway_channels_free. */
jf_err jf_gateway_channels_load(jf_channels *cs, const char *path, char *errbuf,
                                size_t errsz) JF_WUR;

/* jf_gateway_channels_find - the channel kind/name, or NULL. */
const jf_channel *jf_gateway_channels_find(const jf_channels *cs, const char *kind,
                                           const char *name);

/* jf_gateway_channels_free - wipe the secrets and free the strings. */
void jf_gateway_channels_free(jf_channels *cs);

#endif
