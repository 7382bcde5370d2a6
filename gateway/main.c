/* main.c - the jianfu binary: dispatch to a subcommand from a table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "gateway/gateway.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} subcommand;

static const subcommand subcommands[] = {
    {"serve", jf_cmd_serve,
     "serve                      run the HTTP server and background workers"},
    {"migrate", jf_cmd_migrate, "migrate                    apply database migrations"},
    {"keygen", jf_cmd_keygen, "keygen --out FILE          write a new key file (mode 0600)"},
    {"due", jf_cmd_due, "due --from RFC3339 --working-days N   print a deadline"},
    {"dept", jf_cmd_dept,
     "dept add --code CODE --name NAME [--parent CODE] [--alias ALIAS]...\n"
     "  dept notify --code CODE --robot wecom|dingtalk --url URL [--secret S|-] [--triage]\n"
     "  dept notify --code CODE --off"},
    {"user", jf_cmd_user,
     "user add --login LOGIN --role liaison|coordinator|inspector|admin [--dept CODE]\n"
     "                             (password on stdin)"},
    {"overdue", jf_cmd_overdue, "overdue [--at RFC3339] [--dept CODE] [--format json|csv]"},
    {"show", jf_cmd_show,
     "show CODE [--format text|json]   one complaint: route reason, deadlines, timeline"},
    {"triage", jf_cmd_triage,
     "triage [--format text|csv|json] [--limit N]   the coordinators' triage queue\n"
     "  triage stats [--since RFC3339] [--until RFC3339] [--format text|json]\n"
     "                             routing at intake, and what coordinators changed since"},
    {"category", jf_cmd_category,
     "category set CODE [--sla ACK,ANSWER,RESOLVE] [--dept DEPT|--no-dept]"},
    {"correct", jf_cmd_correct,
     "correct CODE [--category C] [--dept D] --reason TEXT   re-categorise / re-route"},
    {"calendar", jf_cmd_calendar,
     "calendar import FILE | calendar show YEAR   official holiday notices"},
    {"classify", jf_cmd_classify,
     "classify [--model FILE] [--rules FILE] [--threshold P]   stdin lines -> JSON lines\n"
     "  classify --eval FILE [--cv K [--kind auto|nb|lr|svm]]   accuracy, P/R/F1, confusion"},
    {"train", jf_cmd_train,
     "train [--corpus FILE] [--rules FILE] [--out FILE] [--kind auto|nb|lr|svm]   build the "
     "model"},
    {"twilio-sign", jf_cmd_twilio_sign,
     "twilio-sign --url URL NAME=VALUE...   print the X-Twilio-Signature for a test request"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: jianfu COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %s\n", subcommands[i].usage);
    fprintf(f, "\nenvironment: JIANFU_DATABASE_URL, JIANFU_LISTEN, JIANFU_PUBLIC_URL, "
               "JIANFU_KEY_FILE,\n  JIANFU_TWILIO_AUTH_TOKEN (see README.md)\n");
}

int main(int argc, char **argv)
{
    const char *level = getenv("JIANFU_LOG_LEVEL");
    if (level && strcmp(level, "debug") == 0)
        jf_log_set_level(JF_LOG_DEBUG);
    else if (level && strcmp(level, "warn") == 0)
        jf_log_set_level(JF_LOG_WARN);

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? JF_EXIT_USAGE : JF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "jianfu: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return JF_EXIT_USAGE;
}
