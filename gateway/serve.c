/* serve.c - `jianfu serve`: start-up checks, signal handling and graceful shutdown. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "gateway/gateway.h"
#include "gateway/server.h"
#include "privacy/keyring.h"
#include "store/db.h"
#include "store/migrate.h"
#include "triage/calendar.h"

/* Refuse to serve against a database whose schema is not the one this binary was built
 * for: writing into an older or newer schema is how data gets lost. */
static int check_database(const jf_config *cfg)
{
    PGconn *conn = NULL;
    char msg[512] = "";
    jf_err err = jf_store_connect(cfg->database_url, &conn, msg, sizeof msg);
    if (err) {
        fprintf(stderr, "jianfu serve: cannot connect to the database: %s\n", msg);
        return JF_EXIT_FAIL;
    }
    err = jf_store_schema_check(conn, msg, sizeof msg);
    if (!err) {
        /* Imported holiday notices are configuration: installed once, before any thread. */
        int years = 0;
        err = jf_gateway_calendar_load(conn, &years, msg, sizeof msg);
        if (!err && years)
            jf_log_info("calendar.imported", "years=%d", years);
    }
    PQfinish(conn);
    if (err) {
        fprintf(stderr, "jianfu serve: %s\n", msg);
        return JF_EXIT_FAIL;
    }
    return JF_EXIT_OK;
}

/* Deadlines in a year without the State Council's notice are counted Monday to Friday,
 * which is wrong around its holidays: say so loudly, every start. */
static void warn_calendar(void)
{
    /* A malformed built-in holiday table would corrupt every deadline: a broken invariant,
     * not an operational event, so stop here. */
    if (jf_triage_calendar_check() != JF_ERR_OK) {
        jf_log_error("calendar.invalid", "%s", "built-in holiday table failed its check");
        abort();
    }
    int year = jf_clock_civil_from_days(jf_clock_cst_day(jf_clock_now())).y;
    for (int y = year; y <= year + 1; y++)
        if (!jf_triage_calendar_year_known(y))
            jf_log_warn("calendar.year_unknown",
                        "year=%d note=\"no official holiday notice loaded; deadlines in this "
                        "year count Monday to Friday\"",
                        y);
}

int jf_cmd_serve(int argc, char **argv)
{
    jf_config cfg;
    jf_keyring *kr = NULL;
    jf_server *srv = NULL;
    char msg[512] = "";
    int rc = JF_EXIT_FAIL;

    if (argc > 1) {
        fprintf(stderr,
                "jianfu serve: unexpected argument '%s': serve takes none; configure it with "
                "JIANFU_* environment variables\n",
                argv[1]);
        return JF_EXIT_USAGE;
    }
    if (jf_config_load(&cfg, msg, sizeof msg)) {
        fprintf(stderr, "jianfu serve: %s\n", msg);
        return JF_EXIT_USAGE;
    }
    if (!cfg.database_url) {
        fprintf(stderr, "jianfu serve: JIANFU_DATABASE_URL is not set (or run ./deploy/up for "
                        "a private database)\n");
        rc = JF_EXIT_USAGE;
        goto out;
    }
    if (!cfg.key_file) {
        fprintf(stderr, "jianfu serve: JIANFU_KEY_FILE is not set; create one with "
                        "`jianfu keygen --out FILE`\n");
        rc = JF_EXIT_USAGE;
        goto out;
    }
    if (jf_privacy_keyring_load(cfg.key_file, &kr, msg, sizeof msg)) {
        fprintf(stderr, "jianfu serve: %s\n", msg);
        goto out;
    }
    rc = check_database(&cfg);
    if (rc)
        goto out;
    warn_calendar();

    /* Block the shutdown signals in every thread created from here on, and wait for them
     * here; SIGPIPE is ignored so that a client hanging up never kills the server. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* libcurl's global state must be set up before any thread uses it. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "jianfu serve: cannot initialise libcurl\n");
        goto out;
    }
    if (jf_gateway_server_start(&cfg, kr, &srv, msg, sizeof msg)) {
        fprintf(stderr, "jianfu serve: %s\n", msg);
        rc = JF_EXIT_FAIL;
        goto out;
    }
    jf_log_info("server.listening", "listen=%s:%u public_url=%s", cfg.listen_host,
                cfg.listen_port, cfg.public_url);

    int sig = 0;
    sigwait(&sigs, &sig);
    jf_log_info("server.stopping", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    jf_gateway_server_shutdown(srv);
    jf_log_info("server.stopped", "%s", "");
    curl_global_cleanup();
    rc = JF_EXIT_OK;
out:
    jf_triage_calendar_uninstall();
    jf_privacy_keyring_free(kr);
    jf_config_free(&cfg);
    return rc;
}
