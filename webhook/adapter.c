/* adapter.c - the table of provider adapters and the reply helpers they share. */
#include "webhook/adapter.h"

#include <string.h>

#include "core/crypto.h"

#include "webhook/kannel.h"
#include "webhook/twilio.h"
#include "webhook/telegram.h"
#include "webhook/whatsapp.h"
#include "webhook/aliyun.h"
#include "webhook/tencent.h"
#include "webhook/generic.h"
#include "webhook/wecom.h"
#include "webhook/wechat.h"
#include "webhook/dingtalk.h"

/* One row per provider kind. A new provider is one file defining its adapter and one
 * line here; the gateway finds it by the <kind> of /webhooks/<kind>. */
static const jf_webhook_adapter *const adapters[] = {
    &jf_webhook_twilio_adapter,
    &jf_webhook_telegram_adapter,
    &jf_webhook_whatsapp_adapter,
    &jf_webhook_aliyun_adapter,
    &jf_webhook_tencent_adapter,
    &jf_webhook_generic_adapter,
    &jf_webhook_kannel_adapter,
    &jf_webhook_wecom_adapter,
    &jf_webhook_wechat_adapter,
    &jf_webhook_dingtalk_adapter,
};

const jf_webhook_adapter *jf_webhook_adapter_at(size_t i)
{
    return i < sizeof adapters / sizeof adapters[0] ? adapters[i] : NULL;
}

const jf_webhook_adapter *jf_webhook_adapter_find(const char *kind)
{
    if (!kind)
        return NULL;
    for (size_t i = 0; i < sizeof adapters / sizeof adapters[0]; i++) {
        if (strcmp(adapters[i]->kind, kind) == 0)
            return adapters[i];
    }
    return NULL;
}

void jf_webhook_reply_init(jf_webhook_reply *r)
{
    r->status = 0;
    r->content_type = NULL;
    jf_buf_init(&r->body, JF_WEBHOOK_MAX_REPLY);
}

void jf_webhook_reply_free(jf_webhook_reply *r)
{
    if (!r)
        return;
    jf_buf_free(&r->body);
    r->status = 0;
    r->content_type = NULL;
}

jf_err jf_webhook_reply_text(jf_webhook_reply *r, unsigned status, const char *msg)
{
    jf_err err = JF_ERR_INVAL;

    if (!r || !msg)
        goto out;
    jf_buf_reset(&r->body);
    err = jf_buf_appends(&r->body, msg);
    if (err)
        goto out;
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
out:
    return err;
}

const char *jf_webhook_channel_get(const jf_webhook_channel *ch, const char *key)
{
    if (!ch || !key)
        return NULL;
    for (size_t i = 0; i < ch->nsettings; i++)
        if (ch->settings[i].key && strcmp(ch->settings[i].key, key) == 0)
            return ch->settings[i].value && ch->settings[i].value[0] ? ch->settings[i].value
                                                                     : NULL;
    return NULL;
}

void jf_webhook_http_init(jf_webhook_http *h)
{
    memset(h, 0, sizeof *h);
    jf_buf_init(&h->url, JF_WEBHOOK_HTTP_MAX_URL);
    jf_buf_init(&h->body, JF_WEBHOOK_HTTP_MAX_BODY);
}

void jf_webhook_http_free(jf_webhook_http *h)
{
    jf_buf_free(&h->url);
    jf_buf_free(&h->body);
    jf_crypto_zeroize(h->headers, sizeof h->headers);
    h->nheaders = 0;
}
