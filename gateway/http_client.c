/* http_client.c - libcurl for outbound sends. */
#include "http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    jf_http_response *res = arg;
    size_t len = size * n;
    /* Returning less than len aborts the transfer: an oversize answer is refused. */
    if (jf_buf_append(&res->body, p, len))
        return 0;
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    jf_http_response *res = arg;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        size_t vlen = len - (sizeof name - 1);
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen >= sizeof res->retry_after)
            vlen = sizeof res->retry_after - 1;
        memcpy(res->retry_after, v, vlen);
        res->retry_after[vlen] = '\0';
    }
    return len;
}

jf_err jf_gateway_http_perform(const jf_webhook_http *req, long timeout_ms,
                               jf_http_response *res)
{
    jf_err err = JF_ERR_IO;
    struct curl_slist *headers = NULL;
    char ctype[128];

    memset(res, 0, sizeof *res);
    jf_buf_init(&res->body, JF_HTTP_MAX_RESPONSE);
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(res->error, sizeof res->error, "cannot create an HTTP handle");
        return JF_ERR_NOMEM;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        struct curl_slist *h = curl_slist_append(headers, req->headers[i]);
        if (!h) {
            err = JF_ERR_NOMEM;
            goto out;
        }
        headers = h;
    }
    if (req->content_type) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s", req->content_type);
        struct curl_slist *h = curl_slist_append(headers, ctype);
        if (!h) {
            err = JF_ERR_NOMEM;
            goto out;
        }
        headers = h;
    }
    /* Suppress curl's "Expect: 100-continue" round trip on POSTs. */
    struct curl_slist *h = curl_slist_append(headers, "Expect:");
    if (h)
        headers = h;

    curl_easy_setopt(c, CURLOPT_URL, req->url.data ? req->url.data : "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout_ms < JF_HTTP_CONNECT_TIMEOUT_MS
                         ? timeout_ms
                         : (long)JF_HTTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_USERAGENT, "jianfu");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
    if (req->method && strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body.data ? req->body.data : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body.len);
    }

    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        /* The generic message only: the error buffer could quote the URL. */
        snprintf(res->error, sizeof res->error, "transport: %s", curl_easy_strerror(rc));
        res->status = 0;
        err = JF_ERR_IO;
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
    err = JF_ERR_OK;
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return err;
}
