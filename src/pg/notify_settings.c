/*
 * notify_settings.c - the safekeep.notify_* and safekeep.smtp_* settings.
 * Check hooks refuse addresses that could never work (a webhook that is not
 * http/https, an email address without @) when they are set, rather than
 * at 3 a.m. when the first failure has to be reported.
 */
#include "postgres.h"

#include "settings.h"

#include "utils/elog.h"
#include "utils/guc.h"

#include <limits.h>
#include <sys/stat.h>

char *sk_notify_webhook_url = NULL;
char *sk_notify_webhook_url_file = NULL;
bool sk_notify_on_success = false;
int sk_notify_archive_failing_after = 600;
char *sk_smtp_server = NULL;
int sk_smtp_port = 587;
int sk_smtp_tls = SK_SMTP_TLS_OFF;
char *sk_smtp_user = NULL;
char *sk_smtp_password_file = NULL;
char *sk_smtp_from = NULL;
char *sk_smtp_to = NULL;
char *sk_smtp_ca_file = NULL;

static const struct config_enum_entry smtp_tls_options[] = {
    {"off", SK_SMTP_TLS_OFF, false},
    {"starttls", SK_SMTP_TLS_STARTTLS, false},
    {"tls", SK_SMTP_TLS_TLS, false},
    {NULL, 0, false}};

/*
 * A webhook URL carries its token, and settings are shown to
 * pg_read_all_settings members, logged on reload and copied into restored
 * clusters: the URL lives in a file only.  The message is our own
 * (GUC_check_errmsg), so the refusal never echoes the value.
 */
static const char webhook_url_refused[] =
    "safekeep.notify_webhook_url takes no URL; put the URL in a file";

static bool check_webhook_url(char **newval, void **extra, GucSource source) {
    if (*newval == NULL || (*newval)[0] == '\0')
        return true;
    GUC_check_errmsg("%s", webhook_url_refused);
    GUC_check_errdetail("A webhook URL carries its access token, and settings are readable by "
                        "pg_read_all_settings members and written to the server log.");
    GUC_check_errhint("Write the URL into a file only the postgres user can read and set "
                      "safekeep.notify_webhook_url_file to its absolute path.");
    return false;
}

/*
 * The refused value may be in the statement that set it (ALTER SYSTEM): keep
 * that statement out of the server log, where log_min_error_statement would
 * print it next to the error.
 */
static emit_log_hook_type prev_emit_log_hook = NULL;

static void hide_refused_secret(ErrorData *edata) {
    if (edata->message != NULL && strcmp(edata->message, webhook_url_refused) == 0)
        edata->hide_stmt = true;
    if (prev_emit_log_hook)
        prev_emit_log_hook(edata);
}

static bool check_path(char **newval, void **extra, GucSource source) {
    if (*newval == NULL || (*newval)[0] == '\0' || is_absolute_path(*newval))
        return true;
    GUC_check_errdetail("The file must be given as an absolute path.");
    return false;
}

/* A CA file that is not there would only show as a failed send later. */
static bool check_ca_file(char **newval, void **extra, GucSource source) {
    struct stat st;

    if (!check_path(newval, extra, source))
        return false;
    if (*newval == NULL || (*newval)[0] == '\0')
        return true;
    if (stat(*newval, &st) != 0) {
        GUC_check_errdetail("Could not access the CA file \"%s\": %m.", *newval);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        GUC_check_errdetail("The CA file \"%s\" is not a regular file.", *newval);
        return false;
    }
    return true;
}

/* One address: something@something, optionally as "Name <a@b>". */
static bool valid_address(const char *a, size_t len) {
    const char *at = memchr(a, '@', len);

    return at != NULL && at > a && at < a + len - 1 && memchr(a, '\n', len) == NULL &&
           memchr(a, '\r', len) == NULL;
}

static bool check_from(char **newval, void **extra, GucSource source) {
    const char *v = *newval;

    if (v == NULL || v[0] == '\0' || valid_address(v, strlen(v)))
        return true;
    GUC_check_errdetail("\"%s\" is not an email address (no @).", v);
    return false;
}

static bool check_to(char **newval, void **extra, GucSource source) {
    const char *p = *newval;

    if (p == NULL)
        return true;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t lead = strspn(p, " \t");

        if (len > lead && !valid_address(p + lead, len - lead)) {
            GUC_check_errdetail("\"%.*s\" in the recipient list is not an email address (no @).",
                                (int)(len - lead), p + lead);
            return false;
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return true;
}

static bool check_server(char **newval, void **extra, GucSource source) {
    const char *v = *newval;

    if (v == NULL || v[0] == '\0')
        return true;
    if (strstr(v, "://") != NULL || strpbrk(v, " \t/:@") != NULL) {
        GUC_check_errdetail("Give the SMTP server as a host name or address only; the port is "
                            "safekeep.smtp_port and TLS is safekeep.smtp_tls.");
        return false;
    }
    return true;
}

void sk_define_notify_settings(void) {
    prev_emit_log_hook = emit_log_hook;
    emit_log_hook = hide_refused_secret;
    DefineCustomStringVariable(
        "safekeep.notify_webhook_url", "Refuses any value: use safekeep.notify_webhook_url_file.",
        "A URL holds a secret token; settings are not secret.", &sk_notify_webhook_url, "",
        PGC_SIGHUP, GUC_SUPERUSER_ONLY, check_webhook_url, NULL, NULL);
    DefineCustomStringVariable(
        "safekeep.notify_webhook_url_file", "File holding the webhook URL (http:// or https://).",
        "Read at every delivery; empty turns the webhook off.", &sk_notify_webhook_url_file, "",
        PGC_SIGHUP, GUC_SUPERUSER_ONLY, check_path, NULL, NULL);
    DefineCustomBoolVariable("safekeep.notify_on_success", "Also notify when a backup completes.",
                             NULL, &sk_notify_on_success, false, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.notify_archive_failing_after",
                            "Notify when WAL archiving has been failing for this long.", NULL,
                            &sk_notify_archive_failing_after, 600, 1, INT_MAX, PGC_SIGHUP,
                            GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomStringVariable("safekeep.smtp_server", "SMTP server for email notifications.",
                               "Host name or address; empty turns email off.", &sk_smtp_server, "",
                               PGC_SIGHUP, 0, check_server, NULL, NULL);
    DefineCustomIntVariable("safekeep.smtp_port", "Port of the SMTP server.", NULL, &sk_smtp_port,
                            587, 1, 65535, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomEnumVariable("safekeep.smtp_tls", "TLS to the SMTP server: off, starttls or tls.",
                             "starttls requires the upgrade; tls is implicit TLS (smtps).",
                             &sk_smtp_tls, SK_SMTP_TLS_OFF, smtp_tls_options, PGC_SIGHUP, 0, NULL,
                             NULL, NULL);
    DefineCustomStringVariable(
        "safekeep.smtp_ca_file", "PEM file of the CAs that may sign the SMTP server's certificate.",
        "Empty: the system CAs.  The certificate is always verified.", &sk_smtp_ca_file, "",
        PGC_SIGHUP, GUC_SUPERUSER_ONLY, check_ca_file, NULL, NULL);
    DefineCustomStringVariable("safekeep.smtp_user", "User name for SMTP authentication.",
                               "Empty: no authentication.", &sk_smtp_user, "", PGC_SIGHUP,
                               GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
    DefineCustomStringVariable(
        "safekeep.smtp_password_file", "File holding the SMTP password (first line).", NULL,
        &sk_smtp_password_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, check_path, NULL, NULL);
    DefineCustomStringVariable("safekeep.smtp_from", "Sender address of notification emails.", NULL,
                               &sk_smtp_from, "", PGC_SIGHUP, 0, check_from, NULL, NULL);
    DefineCustomStringVariable("safekeep.smtp_to",
                               "Recipients of notification emails, comma-separated.", NULL,
                               &sk_smtp_to, "", PGC_SIGHUP, 0, check_to, NULL, NULL);
}
