/*
 * capi_services.h - the part of the C interface for schedules,
 * notifications and logical backups (pg_dump / pg_restore); capi.h includes
 * it, so the shim still includes capi.h alone.
 */
#ifndef PG_SAFEKEEP_CAPI_SERVICES_H
#define PG_SAFEKEEP_CAPI_SERVICES_H

#ifndef SAFEKEEP_CAPI_H
#error "include pg_safekeep/capi.h, which includes this after the types it uses"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- schedules -------------------------------------------------------------- */

/* The first whole minute strictly after after_unix that the 5-field cron
 * expression matches, evaluated in UTC (src/core/schedule/cron.h).
 * SK_ERROR with a message naming the bad field on a bad expression. */
int sk_cron_next(const char *expr, int64_t after_unix, int64_t *next_unix, sk_msg *msg) SK_NOEXCEPT;

/* ---- notifications ---------------------------------------------------------- */

/* POST json_body to url (http or https, peer verified); timeout in seconds.
 * SK_ERROR names the URL's host (never the whole URL: it may hold a token)
 * and the HTTP status or curl error. */
int sk_notify_webhook(const char *url, const char *json_body, int timeout_seconds,
                      sk_msg *msg) SK_NOEXCEPT;

typedef struct sk_smtp_opts {
    const char *server;
    int port;
    int tls;              /* 0 none, 1 STARTTLS (required), 2 implicit TLS (smtps) */
    const char *user;     /* NULL or "": no authentication */
    const char *password; /* read by the shim from safekeep.smtp_password_file */
    const char *from;
    const char *to; /* comma-separated list */
    int timeout_seconds;
    const char *ca_file; /* NULL or "": system CAs; the peer is always verified */
} sk_smtp_opts;

/* Send a plain-text email; SK_ERROR names the server and the error. */
int sk_notify_email(const sk_smtp_opts *opts, const char *subject, const char *body,
                    sk_msg *msg) SK_NOEXCEPT;

/* ---- logical backups (pg_dump / pg_restore) ------------------------------ */

/* How pg_dump and pg_restore reach the live server. */
typedef struct sk_pg_conn {
    const char *bindir; /* holds pg_dump, pg_restore */
    const char *host;   /* unix socket directory */
    int port;
    const char *user;
    const char *dbname; /* backup: the database dumped; restore: the target */
} sk_pg_conn;

/*
 * pg_dump -Fc streamed through sha256 -> zstd into
 * <stanza>/logical/<label>/dump.zst, manifest.json written last.
 * tables: pg_dump --table patterns (NULL/0: the whole database), recorded
 * in the manifest as table_names.  *manifest_json (malloc'ed, sk_free) is
 * the manifest; label receives the label (YYYYMMDD-HHMMSSL, 16 bytes).
 */
int sk_logical_backup(const sk_config *cfg, uint64_t system_id, const sk_pg_conn *conn,
                      int schema_only, const char *const *tables, const char *const *table_names,
                      int ntables, sk_cancel_fn cancel, char label[64], char **manifest_json,
                      sk_msg *msg) SK_NOEXCEPT;

/* The manifest of one logical backup; SK_NOT_FOUND for an unknown label. */
int sk_logical_manifest(const sk_config *cfg, const char *label, char **manifest_json,
                        sk_msg *msg) SK_NOEXCEPT;

/*
 * Stream the object back (zstd, sha256 checked before and while streaming)
 * into pg_restore -d conn->dbname; tables ("table" or "schema.table")
 * restricts it.  A corrupt object fails naming it, before pg_restore runs.
 */
int sk_logical_restore(const sk_config *cfg, const sk_pg_conn *conn, const char *label,
                       const char *const *tables, int ntables, sk_cancel_fn cancel,
                       sk_msg *msg) SK_NOEXCEPT;

/* Every logical backup's manifest as one JSON array (malloc'ed, sk_free). */
int sk_logical_list_json(const sk_config *cfg, char **json, sk_msg *msg) SK_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif
