/*
 * pg_safekeep.c - module entry: settings, shared memory hooks and the
 * launcher registration.  Loaded by the postmaster through
 * shared_preload_libraries; the archiver loads the same library as its
 * archive module (archive.c).
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "workers.h"
#include "job.h"

#include <unistd.h>

#include "access/xlog.h"
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);

int sk_compress_level = 3;
int sk_parallel = 2;
char *sk_database = NULL;
int sk_max_backup_age = 86400;
bool sk_start_fast = false;
int sk_restore_timeout = 3600;
char *sk_scratch_dir = NULL;
int sk_drill_interval = 10080;
int sk_archive_timeout = 60;
int sk_retention_full = 0;
int sk_retention_days = 7;
int sk_retention_daily = 30;
int sk_retention_weekly = 12;
int sk_retention_monthly = 12;
int sk_retention_yearly = 7;
int sk_wal_retention = 0;
int sk_logical_retention_count = 7;
int sk_logical_retention_days = 7;
bool sk_verify_after_backup = true;
bool sk_expire_after_backup = true;
bool sk_drill_row_counts = true;
bool sk_scheduler = true;
bool sk_launcher = true;

static const struct config_enum_entry wal_retention_options[] = {
    {"all", 0, false}, {"consistent", 1, false}, {NULL, 0, false}};

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void sk_shmem_request_hook(void) {
    if (prev_shmem_request_hook)
        prev_shmem_request_hook();
    sk_shmem_request();
}

static void sk_shmem_startup_hook(void) {
    if (prev_shmem_startup_hook)
        prev_shmem_startup_hook();
    sk_shmem_startup();
}

static void define_settings(void) {
    sk_define_repo_settings();
    DefineCustomIntVariable("safekeep.compress_level", "zstd level for backups and WAL.", NULL,
                            &sk_compress_level, 3, 1, 19, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.parallel", "Copy threads per backup or restore job.", NULL,
                            &sk_parallel, 2, 1, 64, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomStringVariable("safekeep.database",
                               "Database the launcher connects to (where the extension lives).",
                               NULL, &sk_database, "postgres", PGC_POSTMASTER, 0, NULL, NULL, NULL);
    DefineCustomIntVariable(
        "safekeep.max_backup_age", "Age of the newest backup past which health reports backup_old.",
        NULL, &sk_max_backup_age, 86400, 60, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomBoolVariable("safekeep.start_fast",
                             "Request an immediate checkpoint when a backup starts.",
                             "Off spreads the checkpoint like pg_basebackup does by default.",
                             &sk_start_fast, false, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable(
        "safekeep.restore_timeout", "How long a SQL-started recovery may take to promote.", NULL,
        &sk_restore_timeout, 3600, 10, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.archive_timeout",
                            "How long a backup or recovery waits for a WAL segment to be archived.",
                            NULL, &sk_archive_timeout, 60, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, NULL,
                            NULL, NULL);
    DefineCustomIntVariable("safekeep.retention_full",
                            "Keep this many newest full backups (0: off).",
                            "And every backup that depends on them.", &sk_retention_full, 0, 0,
                            1000, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.retention_days", "Keep backups younger than this many days.",
                            NULL, &sk_retention_days, 7, 0, 36500, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.retention_daily",
                            "Keep the newest backup of each of this many days (0: off).", NULL,
                            &sk_retention_daily, 30, 0, 3650, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.retention_weekly",
                            "Keep the newest backup of each of this many weeks (0: off).", NULL,
                            &sk_retention_weekly, 12, 0, 520, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.retention_monthly",
                            "Keep the newest backup of each of this many months (0: off).", NULL,
                            &sk_retention_monthly, 12, 0, 1200, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.retention_yearly",
                            "Keep the newest backup of each of this many years (0: off).", NULL,
                            &sk_retention_yearly, 7, 0, 100, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomEnumVariable("safekeep.wal_retention",
                             "WAL kept: all from the oldest kept backup on, or only what each "
                             "kept backup needs to be consistent.",
                             NULL, &sk_wal_retention, 0, wal_retention_options, PGC_SIGHUP, 0, NULL,
                             NULL, NULL);
    DefineCustomIntVariable("safekeep.logical_retention_count",
                            "Keep this many newest logical backups of each database and kind "
                            "(0: off).",
                            "Full and schema-only backups are counted apart; the newest of each "
                            "is always kept.",
                            &sk_logical_retention_count, 7, 0, 1000, PGC_SIGHUP, 0, NULL, NULL,
                            NULL);
    DefineCustomIntVariable("safekeep.logical_retention_days",
                            "Keep logical backups younger than this many days (0: off).",
                            "With both logical retention settings 0, no logical backup expires.",
                            &sk_logical_retention_days, 7, 0, 36500, PGC_SIGHUP, 0, NULL, NULL,
                            NULL);
    DefineCustomBoolVariable("safekeep.verify_after_backup",
                             "Verify each backup once it completes.", NULL, &sk_verify_after_backup,
                             true, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomBoolVariable("safekeep.expire_after_backup",
                             "Apply the retention policy after each successful backup.", NULL,
                             &sk_expire_after_backup, true, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomStringVariable(
        "safekeep.scratch_dir", "Directory for the scratch copies of drills and table recoveries.",
        "Empty: pg_safekeep_scratch beside the data directory.  Needs room for one restored "
        "copy of the cluster.",
        &sk_scratch_dir, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.drill_interval",
                            "How often the launcher runs a restore drill of the newest backup.",
                            "0 turns scheduled drills off.", &sk_drill_interval, 10080, 0,
                            INT_MAX / 60, PGC_SIGHUP, GUC_UNIT_MIN, NULL, NULL, NULL);
    DefineCustomBoolVariable("safekeep.drill_row_counts",
                             "Count every table's rows after each backup, for restore drills to "
                             "compare.",
                             "Off spares large databases the counting; drills of backups taken "
                             "then report that row counts were not compared.",
                             &sk_drill_row_counts, true, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomBoolVariable("safekeep.scheduler", "Run the jobs of safekeep.schedules.",
                             "Off when pg_cron (or anything else) drives the jobs.", &sk_scheduler,
                             true, PGC_SIGHUP, 0, NULL, NULL, NULL);
    /* Restored, scratch and drill copies set this off: a copy must never run
     * schedules, clean up scratch copies, sync a catalog or notify. */
    DefineCustomBoolVariable("safekeep.launcher",
                             "Start the launcher (jobs, scheduler, catalog sync, notifications).",
                             "Off in copies restored from SQL, drills and table recoveries.",
                             &sk_launcher, true, PGC_POSTMASTER, 0, NULL, NULL, NULL);
    sk_define_monitor_settings();
    sk_define_notify_settings();
    MarkGUCPrefixReserved("safekeep");
}

void _PG_init(void) {
    define_settings();
    /* Every process that loads us (postmaster children inherit it): the core's
     * waits end on cancel, shutdown or postmaster death (job_worker.c). */
    sk_set_stop_poll(sk_cancel_requested);

    if (!process_shared_preload_libraries_in_progress)
        return;

    prev_shmem_request_hook = shmem_request_hook;
    shmem_request_hook = sk_shmem_request_hook;
    prev_shmem_startup_hook = shmem_startup_hook;
    shmem_startup_hook = sk_shmem_startup_hook;

    if (sk_launcher)
        sk_register_launcher();
}

void sk_fill_config(sk_config *cfg, char *stanza_buf, size_t stanza_len) {
    snprintf(stanza_buf, stanza_len, UINT64_FORMAT, GetSystemIdentifier());
    memset(cfg, 0, sizeof(*cfg));
    sk_fill_repos(cfg);
    cfg->stanza = stanza_buf;
    cfg->compress_level = sk_compress_level;
    cfg->parallel = sk_parallel;
}

void sk_bindir(char *buf, size_t len) {
    char *slash;

    strlcpy(buf, my_exec_path, len);
    slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
}

void sk_require_admin(const char *what) {
    Oid admin = get_role_oid("safekeep_admin", true);

    if (superuser())
        return;
    if (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin))
        return;
    ereport(ERROR,
            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied to %s", what),
             errhint("Only superusers and members of safekeep_admin may do this.")));
}
