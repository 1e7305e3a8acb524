/*
 * settings.h - the safekeep.* settings (GUCs) and the configuration the core is handed.
 *
 * Only src/pg includes postgres.h.  The engine lives in src/core behind
 * capi.h; every call into it returns before we ereport (DESIGN-NOTES.md,
 * the boundary rule), so no longjmp ever crosses a C++ frame.
 */
#ifndef SAFEKEEP_SETTINGS_H
#define SAFEKEEP_SETTINGS_H

#include "postgres.h"

#include "pg_safekeep/capi.h"

/* ---- settings (safekeep.* GUCs, defined in pg_safekeep.c) ---------------- */
extern char *sk_repo1_path;
extern int sk_max_rate;

/* The safekeep.repoN_* settings (repo_settings.c). */
extern void sk_define_repo_settings(void);
/* True when at least one repository is configured. */
extern bool sk_any_repo_configured(void);
/* Repository n (1..SK_MAX_REPOS): whether it is configured, whether it is
 * S3, and its directory (NULL unless a configured posix repository). */
extern bool sk_repo_configured(int n);
extern bool sk_repo_is_s3(int n);
extern const char *sk_repo_posix_path(int n);
/* ERROR naming what (e.g. "repository") unless n is a configured repository. */
extern void sk_require_repo_number(int n, const char *what);
/* ERROR (with a hint) unless a repository is configured. */
extern void sk_require_repo(void);
/* Fills cfg->repos and cfg->max_rate from the settings. */
extern void sk_fill_repos(sk_config *cfg);
/* PGDATA/pg_safekeep: WAL owed to repositories (safekeep.archive_require). */
extern const char *sk_state_dir(void);
extern int sk_compress_level;
extern int sk_parallel;
extern char *sk_database;
extern int sk_max_backup_age;
extern bool sk_start_fast;
extern int sk_restore_timeout;
extern int sk_archive_timeout;
/* The retention settings, from the core's rule table, and the policy they
 * make for sk_expire (retention_settings.c). */
extern void sk_define_retention_settings(void);
extern char *sk_retention_policy_json(void);
extern bool sk_verify_after_backup;
extern bool sk_expire_after_backup;
extern char *sk_scratch_dir;
extern int sk_drill_interval;
extern bool sk_drill_row_counts;
extern bool sk_scheduler;
extern bool sk_launcher;
/* Monitoring thresholds (monitor_settings.c); the rest are read from SQL. */
extern int sk_threshold_long_transaction;

/* Define the safekeep.threshold_* settings (monitor_settings.c). */
extern void sk_define_monitor_settings(void);

/* Notification settings (notify_settings.c); delivery is notifier.c. */
#define SK_SMTP_TLS_OFF 0
#define SK_SMTP_TLS_STARTTLS 1 /* values match sk_smtp_opts.tls */
#define SK_SMTP_TLS_TLS 2
extern char *sk_notify_webhook_url;
extern char *sk_notify_webhook_url_file;
extern bool sk_notify_on_success;
extern int sk_notify_archive_failing_after;
extern char *sk_smtp_server;
extern int sk_smtp_port;
extern int sk_smtp_tls;
extern char *sk_smtp_user;
extern char *sk_smtp_password_file;
extern char *sk_smtp_from;
extern char *sk_smtp_to;
extern char *sk_smtp_ca_file;
extern void sk_define_notify_settings(void);
/* Fill cfg from the GUCs; stanza_buf receives the system identifier. */
extern void sk_fill_config(sk_config *cfg, char *stanza_buf, size_t stanza_len);

/* Directory holding the server programs (and our pg_safekeep tool). */
extern void sk_bindir(char *buf, size_t len);

/* ERROR unless the current user is superuser or a member of safekeep_admin. */
extern void sk_require_admin(const char *what);

#endif
