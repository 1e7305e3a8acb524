/*
 * notifier.c - delivers safekeep.notification_log rows.  One pass, run
 * every ten seconds in a helper worker the launcher starts
 * (helper_worker.c): queue the launcher-side events (archiving failing too
 * long, health turned unhealthy: safekeep._notify_check), then send up to
 * MAX_SENDS_PER_PASS due messages.  Each send happens outside any
 * transaction with a short timeout; a dead receiver delays neither job
 * dispatch (the launcher does not wait for the pass) nor a backup (which
 * runs in its own worker).  safekeep._notify_attempted records every attempt and computes
 * the backoff; after MAX_ATTEMPTS the row is gave_up.
 */
#include "postgres.h"

#include "settings.h"
#include "workers.h"
#include "job.h"
#include "spi_util.h"

#include "storage/fd.h"

#define SEND_TIMEOUT_S 10
#define MAX_SENDS_PER_PASS 3
#define MAX_ATTEMPTS 6

/* First line of a secret file, trimmed; NULL with *error set on failure. */
static char *read_first_line(const char *path, const char *what, char **error) {
    FILE *f = AllocateFile(path, "r");
    char buf[4096];
    size_t len;

    if (f == NULL) {
        *error = psprintf("could not open %s \"%s\": %m", what, path);
        return NULL;
    }
    if (fgets(buf, sizeof(buf), f) == NULL)
        buf[0] = '\0';
    FreeFile(f);
    len = strcspn(buf, "\r\n");
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        buf[--len] = '\0';
    if (len == 0) {
        *error = psprintf("%s \"%s\" is empty", what, path);
        return NULL;
    }
    return pstrdup(buf);
}

static char *send_webhook(const char *payload) {
    char *error = NULL;
    char *url;
    sk_msg msg;

    /* safekeep.notify_webhook_url refuses every value: the URL is a secret. */
    if (sk_notify_webhook_url_file == NULL || sk_notify_webhook_url_file[0] == '\0')
        return pstrdup("no webhook configured (safekeep.notify_webhook_url_file)");
    url = read_first_line(sk_notify_webhook_url_file, "safekeep.notify_webhook_url_file", &error);
    if (url == NULL)
        return error;
    if (sk_notify_webhook(url, payload, SEND_TIMEOUT_S, &msg) != SK_OK)
        error = pstrdup(msg.text);
    explicit_bzero(url, strlen(url));
    pfree(url);
    return error;
}

static char *send_email(const char *subject, const char *body) {
    char *error = NULL;
    char *password = NULL;
    sk_smtp_opts opts;
    sk_msg msg;

    if (sk_smtp_password_file != NULL && sk_smtp_password_file[0] != '\0') {
        password = read_first_line(sk_smtp_password_file, "safekeep.smtp_password_file", &error);
        if (password == NULL)
            return error;
    }
    memset(&opts, 0, sizeof(opts));
    opts.server = sk_smtp_server;
    opts.port = sk_smtp_port;
    opts.tls = sk_smtp_tls;
    opts.user = sk_smtp_user;
    opts.password = password;
    opts.from = sk_smtp_from;
    opts.to = sk_smtp_to;
    opts.timeout_seconds = SEND_TIMEOUT_S;
    opts.ca_file = sk_smtp_ca_file;
    if (sk_notify_email(&opts, subject, body, &msg) != SK_OK)
        error = pstrdup(msg.text);
    if (password != NULL) {
        /* Do not leave the password lying in freed memory. */
        explicit_bzero(password, strlen(password));
        pfree(password);
    }
    return error;
}

/* Send the message that has been due longest; false when none is due. */
static bool send_next_due(void) {
    char *row[5]; /* id, channel, subject, body, payload */
    char *error;
    char max_text[16];
    const char *args[3];
    char *status[1];

    if (!sk_query_in_xact("SELECT id, channel, subject, body, payload FROM safekeep._notify_due(1)",
                          0, NULL, row, 5))
        return false;
    if (strcmp(row[1], "webhook") == 0)
        error = send_webhook(row[4]);
    else
        error = send_email(row[2], row[3]);
    snprintf(max_text, sizeof(max_text), "%d", MAX_ATTEMPTS);
    args[0] = row[0];
    args[1] = error;
    args[2] = max_text;
    sk_query_in_xact("SELECT safekeep._notify_attempted($1::bigint, $2, $3::integer)", 3, args,
                     status, 1);
    if (error != NULL)
        ereport(LOG, (errmsg("pg_safekeep: notification %s by %s: %s (%s)", row[0], row[1],
                             status[0] ? status[0] : "?", error)));
    return true;
}

void sk_notification_pass(void) {
    char after[32];
    const char *args[1];

    snprintf(after, sizeof(after), "%d seconds", sk_notify_archive_failing_after);
    args[0] = after;
    sk_exec_in_xact("SELECT safekeep._notify_check($1::interval)", 1, args);
    /* A dead postmaster: stop before the next send (the process then exits). */
    for (int i = 0; i < MAX_SENDS_PER_PASS && !sk_postmaster_dead() && send_next_due(); i++)
        ;
}
