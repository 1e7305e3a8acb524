/*
 * job.h - what a job worker's job is made of: its slot, its start and
 * failure bookkeeping, and the steps jobs share (verify, retention, WAL waits,
 * pre-backup checks).
 */
#ifndef SAFEKEEP_JOB_H
#define SAFEKEEP_JOB_H

#include "postgres.h"

#include "utils/timestamp.h"

#include "pg_safekeep/capi.h"
#include "job_slots.h"

/* Job implementations, run inside the job worker. */
extern void sk_run_backup(int slotno);
extern void sk_run_restore(int slotno);
extern void sk_run_verify(int slotno);
extern void sk_run_table_recovery(int slotno);
extern void sk_run_drill(int slotno);
extern void sk_run_logical_backup(int slotno);
extern void sk_run_logical_restore(int slotno);

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

/* Wall-clock seconds since start (job_worker.c). */
extern double sk_seconds_since(TimestampTz start);

/* Cancellation callback for the core, also its process-wide stop poll
 * (sk_set_stop_poll): only reads interrupt flags and getppid(), so core
 * threads may call it (job_worker.c). */
extern int sk_cancel_requested(void);
/* Whether this process's postmaster has died; thread-safe (job_worker.c). */
extern int sk_postmaster_dead(void);

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

/* Before pg_backup_start: long transactions and failing archiving become
 * warnings (backup_log and the caller's notice); too little free space in
 * the repository for another full backup is an ERROR. */
extern void sk_pre_backup_checks(SkJobSlot *slot, const char *label, const char *backup_type);

/* Free and total bytes of the file system holding path (repo_space.c);
 * false with errno set when statvfs fails. */
extern bool sk_fs_space(const char *path, uint64 *avail, uint64 *total);

#endif
