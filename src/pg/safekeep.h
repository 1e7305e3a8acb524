/*
 * safekeep.h - declarations shared by the PostgreSQL shim files (src/pg).
 *
 * Only src/pg includes postgres.h.  The engine lives in src/core behind
 * capi.h; every call into it returns before we ereport (DESIGN-NOTES.md,
 * the boundary rule), so no longjmp ever crosses a C++ frame.
 */
#ifndef SAFEKEEP_SHIM_H
#define SAFEKEEP_SHIM_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/timestamp.h"

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
extern const char *sk_state_dir(void);
extern int sk_compress_level;
extern int sk_parallel;
extern char *sk_database;
extern int sk_max_backup_age;
extern bool sk_start_fast;
extern int sk_restore_timeout;
extern int sk_archive_timeout;
extern int sk_retention_full;
extern int sk_retention_days;
extern int sk_retention_daily;
extern int sk_retention_weekly;
extern int sk_retention_monthly;
extern int sk_retention_yearly;
extern int sk_wal_retention;
extern int sk_logical_retention_count;
extern int sk_logical_retention_days;
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
/* One notification pass: queue launcher-side events, send the due messages;
 * run in a helper worker every ten seconds (notifier.c). */
extern void sk_notification_pass(void);

/* Fill cfg from the GUCs; stanza_buf receives the system identifier. */
extern void sk_fill_config(sk_config *cfg, char *stanza_buf, size_t stanza_len);

/* Directory holding the server programs (and our pg_safekeep tool). */
extern void sk_bindir(char *buf, size_t len);

/* ERROR unless the current user is superuser or a member of safekeep_admin. */
extern void sk_require_admin(const char *what);

/* ---- job slots in shared memory (shmem.c) -------------------------------- */
#define SK_MAX_JOBS 8

typedef enum SkJobKind {
    SK_JOB_BACKUP = 1,
    SK_JOB_RESTORE = 2,
    SK_JOB_VERIFY = 3,
    SK_JOB_TABLE_RECOVERY = 4,
    SK_JOB_DRILL = 5,
    SK_JOB_LOGICAL = 6,        /* pg_dump into the repository (logical_job.c) */
    SK_JOB_LOGICAL_RESTORE = 7 /* pg_restore from it */
} SkJobKind;

typedef enum SkSlotState {
    SK_SLOT_FREE = 0,
    SK_SLOT_QUEUED,  /* waiting for the launcher to start a worker */
    SK_SLOT_RUNNING, /* a job worker owns it */
    SK_SLOT_DONE     /* result/error filled in; the waiter frees it */
} SkSlotState;

typedef struct SkRestoreParams {
    char recovery_type[32]; /* point_in_time, full */
    char label[64];         /* "" = choose */
    char target_dir[MAXPGPATH];
    char target_time[64]; /* "" = end of backup */
    int64 target_time_unix;
    int port;          /* 0 = do not start */
    char scenario[32]; /* recovery_type "disaster": the disaster_scenario */
} SkRestoreParams;

/* recover_table(): which table, where to, and the recovery target. */
typedef struct SkTableParams {
    char label[64];
    char schema[NAMEDATALEN];
    char table[NAMEDATALEN];
    char into_schema[NAMEDATALEN];
    bool replace;
    char target_type[16]; /* time, xid, name */
    char target_value[128];
    char target_time[64]; /* the moment, for recovery_log */
    int64 target_time_unix;
    bool inclusive;
} SkTableParams;

/* Logical backup and restore jobs; tables: one "schema<TAB>table" per line. */
typedef struct SkLogicalParams {
    bool schema_only;
    char label[64];              /* restore: which backup */
    char target_db[NAMEDATALEN]; /* restore: into which database */
    char tables[2048];           /* "" = every table */
} SkLogicalParams;

typedef struct SkJobSlot {
    SkSlotState state;
    int64 job_id;
    SkJobKind kind;
    Oid dboid;
    Oid userid;
    bool waiter_gone; /* nobody waits: the worker frees the slot */
    PGPROC *waiter;   /* whose latch to set when done */
    pid_t worker_pid;
    char backup_type[16];  /* backup jobs: full, incremental, differential */
    char verify_label[64]; /* verify jobs: "" = every backup */
    bool verify_wal_to_newest;
    SkRestoreParams restore;
    SkTableParams table;
    char drill_label[64]; /* drill jobs */
    SkLogicalParams logical;
    sk_progress progress; /* written loosely by the core's threads */
    char label[64];       /* backup label once known */
    bool success;
    char result[256];
    char notice[256]; /* shown to the waiting session, e.g. "took a full backup instead" */
    char error[SK_MSG_LEN];
    /* For safekeep.backup_progress (progress.c): */
    TimestampTz queued_at;
    char phase[32]; /* what the job is doing now (README "Monitoring" lists them) */
    TimestampTz phase_started_at;
} SkJobSlot;

typedef struct SkShared {
    LWLock *lock;
    pid_t launcher_pid;
    Latch *launcher_latch;
    bool backup_running;
    SkJobSlot slots[SK_MAX_JOBS];
} SkShared;

extern SkShared *sk_shared;

extern void sk_shmem_request(void);
extern void sk_shmem_startup(void);
extern SkShared *sk_shared_or_error(void);
/* Mark a slot done and wake its waiter (caller must NOT hold the lock).
 * Returns false when the slot no longer carries that job or already has a
 * result. */
extern bool sk_slot_finish(int slotno, int64 job_id, bool success, const char *result,
                           const char *error);

/* ---- processes ------------------------------------------------------------ */
extern void sk_register_launcher(void);
PGDLLEXPORT void sk_launcher_main(Datum arg);
PGDLLEXPORT void sk_job_worker_main(Datum arg);

/* Register one of this library's dynamic workers running function(arg),
 * never restarted, notifying the calling process on start and exit; extra
 * (NULL: none) fills bgw_extra.  *handle lives in TopMemoryContext (NULL when
 * nothing was registered). */
struct BackgroundWorkerHandle;
extern bool sk_start_worker(const char *function, const char *name, const char *type, Datum arg,
                            const char *extra, size_t extra_len,
                            struct BackgroundWorkerHandle **handle);

/* Short-lived workers for the launcher's slow work, one at a time per task
 * (helper_worker.c). */
typedef enum SkHelperTask {
    SK_HELPER_UPKEEP = 0,
    SK_HELPER_NOTIFY,
    SK_HELPER_EXPIRE,      /* arg: the expire schedule to fire */
    SK_HELPER_DISCARD,     /* arg: the label of a vanished job's partial backup */
    SK_HELPER_WAL_CATCHUP, /* copy WAL owed to a repository that was down */
    SK_HELPER_COUNT
} SkHelperTask;
/* Start task's helper with arg (or NULL); false when no worker could be
 * registered (or arg is too long to hand over). */
extern bool sk_helper_start(SkHelperTask task, const char *arg);
/* Whether the helper last started for task has not stopped yet. */
extern bool sk_helper_running(SkHelperTask task);
extern bool sk_any_helper_running(void);
PGDLLEXPORT void sk_helper_main(Datum arg);
/* The catalog made truthful after a crash or restart (startup_upkeep.c). */
extern void sk_recover_catalog(void);

/* Job implementations, run inside the job worker. */
extern void sk_run_backup(int slotno);
extern void sk_run_restore(int slotno);
extern void sk_run_verify(int slotno);
extern void sk_run_table_recovery(int slotno);
extern void sk_run_drill(int slotno);
extern void sk_run_logical_backup(int slotno);
extern void sk_run_logical_restore(int slotno);

/* Claim a free job slot for request and wake the launcher (sql_api.c).
 * Needs a transaction (for the job id).  Returns the slot number. */
extern int sk_queue_job(const SkJobSlot *request, bool wait, Oid dboid, Oid userid, int64 *job_id);
/* sk_queue_job as the caller of a SQL job function: with wait, waits and
 * returns the result (ERROR if the job failed); else the job id (text). */
extern Datum sk_queue_and_maybe_wait(const SkJobSlot *request, bool wait);

/* What every job reads from its slot before it starts (job_worker.c). */
typedef struct SkJob {
    int slotno;
    SkJobSlot *slot;
    int64 job_id;
    char job_text[32];  /* job_id as text, for SQL parameters */
    char user_text[32]; /* the requesting role's oid as text */
    MemoryContext cxt;  /* the job's memory context, for sk_job_failed */
} SkJob;

/* Fill job from slot slotno; call first, outside the job's PG_TRY. */
extern void sk_job_init(SkJob *job, int slotno);
/* Record in safekeep.jobs that job (of kind) started, in its own transaction;
 * call inside the job's PG_TRY so a failure is the job's failure. */
extern void sk_job_started(const SkJob *job, const char *kind);
/* sk_job_failed for job: call in its PG_CATCH. */
extern void sk_job_catch(const SkJob *job);

/* In a job's PG_CATCH: record the error as the job's failure (catalog and
 * slot) and clear it; the worker then exits normally. */
extern void sk_job_failed(int slotno, int64 job_id, MemoryContext job_cxt);
/* The same, calling record(error, arg) first (in its own transactions) so a
 * job can log its failure in its own tables. */
typedef void (*sk_failure_recorder)(const char *error, void *arg);
extern void sk_job_failed_with(int slotno, int64 job_id, MemoryContext job_cxt,
                               sk_failure_recorder record, void *arg);

/* ERROR with what failed and the core's message. */
extern void sk_core_error(const char *what, const sk_msg *msg);

/* Verify backups (label NULL: all) and record the outcome in backup_catalog;
 * returns the number of problems (maintenance.c). */
extern int sk_verify_and_record(const char *label, bool wal_to_newest);

/* Apply the safekeep.retention_* and logical_retention_* policies (or only
 * plan them); marks expired backups in backup_catalog.  Returns the plan as JSON text (palloc'd).
 */
extern char *sk_expire_and_record(bool dry_run);

/* Runs steps(label) after a successful backup, once the job is reported done;
 * a failure there is a WARNING, the backup itself stands (maintenance.c). */
extern void sk_after_backup(const char *label, void (*steps)(const char *label));

/* Retention after a logical backup (safekeep.expire_after_backup), as after a
 * physical one; a step for sk_after_backup (maintenance.c). */
extern void sk_expire_after_logical_backup(const char *label);

/* Remove leftovers (backup and logical directories without a manifest) from
 * every repository, sparing the backups running now (job slots other than
 * own_slot, -1: none, and catalog rows 'running'); each removal is a LOG line
 * and a backup_log row, a failure a WARNING (sweep.c). */
extern void sk_sweep_repositories(int own_slot);

/* Queue the jobs of safekeep.schedules rows that are due; the launcher calls
 * it every loop, it checks every ten seconds (scheduler.c). */
extern void sk_run_due_schedules(void);
/* Fire the expire schedule name if it is still due: retention, recorded as a
 * firing of it (scheduler.c; run in a helper worker). */
extern void sk_fire_expire_schedule(const char *name);

/* A flat JSON object built field by field on an initStringInfo'd buf, the
 * strings escaped; sk_json_end closes it and returns buf->data (json_out.c). */
extern void sk_json_text(StringInfo buf, const char *name, const char *value);
extern void sk_json_int(StringInfo buf, const char *name, int64 value);
extern void sk_json_uint(StringInfo buf, const char *name, uint64 value);
extern void sk_json_double(StringInfo buf, const char *name, double value, int digits);
/* json: already JSON (an array or object the core built). */
extern void sk_json_raw(StringInfo buf, const char *name, const char *json);
extern char *sk_json_end(StringInfo buf);

/* Wall-clock seconds since start (job_worker.c). */
extern double sk_seconds_since(TimestampTz start);

/* Cancellation callback for the core, also its process-wide stop poll
 * (sk_set_stop_poll): only reads interrupt flags and getppid(), so core
 * threads may call it (job_worker.c). */
extern int sk_cancel_requested(void);
/* Whether this process's postmaster has died; thread-safe (job_worker.c). */
extern int sk_postmaster_dead(void);

/* A scratch copy that is stopped and removed on every exit of this process,
 * including one on postmaster death; free it with sk_scratch_destroy
 * (scratch_guard.c). */
extern void sk_scratch_guard(sk_instance *inst);
extern void sk_scratch_destroy(sk_instance *inst);

/* Wait until the archiver has shipped segment; ERROR after
 * safekeep.archive_timeout (wal_wait.c). */
extern void sk_wait_for_archived(const char *segment);

/* Make everything committed so far durable in the repository: a commit
 * record, a segment switch, and a wait for the archiver (wal_wait.c). */
extern void sk_archive_recent_wal(void);

/* Row counts of this database's tables in a snapshot that matches a restore
 * point written for label; drills compare against them (table_counts.c).
 * When it counts nothing (safekeep.drill_row_counts off, no tables, locks not
 * had) backup_catalog.row_counts_skipped says why, for the drill to report. */
extern void sk_record_table_counts(const char *label);

/* ---- progress and pre-backup checks (progress.c, backup_checks.c) ------- */
/* Publish what the job in slot is doing now (starting, copying, ...). */
extern void sk_job_phase(SkJobSlot *slot, const char *phase);

/* A consistent copy of one slot's progress, with the copy rate and the time
 * left estimated from it (negative: unknown). */
typedef struct SkJobProgress {
    int64 job_id;
    char kind_name[32]; /* full, incremental, restore, drill, ... */
    char phase[32];
    char label[64];
    Oid userid; /* the role that asked (GetOuterUserId() of the caller) */
    TimestampTz queued_at;
    TimestampTz phase_started_at;
    sk_progress progress;
    double bytes_per_second;
    double seconds_left;
} SkJobProgress;

/* False when slotno holds no queued or running job (with job_id != 0: not
 * that job). */
extern bool sk_job_progress(int slotno, int64 job_id, SkJobProgress *out);

/* Before pg_backup_start: long transactions and failing archiving become
 * warnings (backup_log and the caller's notice); too little free space in
 * the repository for another full backup is an ERROR. */
extern void sk_pre_backup_checks(SkJobSlot *slot, const char *label, const char *backup_type);

/* Free and total bytes of the file system holding path (repo_space.c);
 * false with errno set when statvfs fails. */
extern bool sk_fs_space(const char *path, uint64 *avail, uint64 *total);

/* ---- restored copies (restored_copy.c) ------------------------------------ */
/* Settings (palloc'd) for a copy restored from SQL: no archiving into our
 * repository, no jobs of its own; port 0 = leave the port alone.  The core's
 * configuration writer turns them into postgresql.auto.conf lines. */
typedef struct sk_setting_list {
    sk_setting *items;
    int n;
    int cap;
} sk_setting_list;
extern sk_setting_list sk_copy_settings(int port);
/* "<option>=dbname='<name>'" for a client program's argv: a database name
 * holding '=' would otherwise be read as a connection string. */
extern char *sk_dbname_option(const char *option, const char *dbname);
/* Where scratch copies go: safekeep.scratch_dir, else beside the data directory. */
extern char *sk_scratch_root(void);
/* Restore label into a private scratch copy and start it, recovering to the
 * target (type NULL: the end of the backup); ERROR on failure. */
extern sk_instance *sk_scratch_start(const char *name, const char *label, const char *target_type,
                                     const char *target_value, bool inclusive,
                                     int64 target_time_unix, sk_restore_result *res);
/* First column of the first row of a query in the copy (NULL: none or NULL). */
extern char *sk_scratch_value(sk_instance *inst, const char *dbname, const char *sql, int nparams,
                              const char **params);
/* All rows of a query in the copy as JSON text: [[col, ...], ...]. */
extern char *sk_scratch_rows(sk_instance *inst, const char *dbname, const char *sql, int nparams,
                             const char **params);
/* Create the copy's helper functions (schema safekeep_scratch) in dbname. */
extern void sk_scratch_install_helpers(sk_instance *inst, const char *dbname);

/* ---- small SPI helpers (spi_util.c) --------------------------------------- */
/* Run a query with text parameters in the current transaction; copy the first
 * row's columns into out[] (allocated in result_cxt).  False: no row. */
extern bool sk_spi_query(const char *sql, int nargs, const char **args, char **out, int nout,
                         MemoryContext result_cxt);
/* Run one statement with text parameters in its own transaction. */
extern void sk_exec_in_xact(const char *sql, int nargs, const char **args);
extern bool sk_extension_exists(void);
/* This database's name, in the caller's memory context (own transaction). */
extern char *sk_current_database_name(void);
/* Run a query in its own transaction; copy the first row's columns (NULL ->
 * NULL) into out[] allocated in the caller's memory context.  Returns false
 * when there was no row. */
extern bool sk_query_in_xact(const char *sql, int nargs, const char **args, char **out, int nout);
/* Run fn(arg) in a subtransaction of the current transaction, which it then
 * keeps (keep) or rolls back.  An ERROR rolls it back and comes back as
 * false with *err (in the caller's memory context) instead of aborting the
 * caller's transaction. */
extern bool sk_in_subxact(void (*fn)(void *), void *arg, bool keep, ErrorData **err);

#endif
