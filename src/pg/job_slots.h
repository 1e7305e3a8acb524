/*
 * job_slots.h - job slots in shared memory (shmem.c), queueing a job into one
 * (sql_api.c) and the progress a slot publishes (progress.c).
 */
#ifndef SAFEKEEP_JOB_SLOTS_H
#define SAFEKEEP_JOB_SLOTS_H

#include "postgres.h"

#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/timestamp.h"

#include "pg_safekeep/capi.h"

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
    /* The archive module's last failure, "" since its last success
     * (archive.c); a wait that times out on the archiver reports it. */
    char archive_error[SK_MSG_LEN];
    SkJobSlot slots[SK_MAX_JOBS];
} SkShared;

extern SkShared *sk_shared;

extern void sk_shmem_request(void);
extern void sk_shmem_startup(void);
extern SkShared *sk_shared_or_error(void);
/* Mark a slot done and wake its waiter (caller must NOT hold the lock).
 * Returns false when the slot no longer carries that job or already has a
 * result. */
/* Record the archive module's outcome (error NULL: a success) and read the
 * last failure back (false: none since the last success). */
extern void sk_set_archive_error(const char *error);
extern bool sk_last_archive_error(char *buf, size_t len);
extern bool sk_slot_finish(int slotno, int64 job_id, bool success, const char *result,
                           const char *error);

/* Claim a free job slot for request and wake the launcher (sql_api.c).
 * Needs a transaction (for the job id).  Returns the slot number. */
extern int sk_queue_job(const SkJobSlot *request, bool wait, Oid dboid, Oid userid, int64 *job_id);
/* sk_queue_job as the caller of a SQL job function: with wait, waits and
 * returns the result (ERROR if the job failed); else the job id (text). */
extern Datum sk_queue_and_maybe_wait(const SkJobSlot *request, bool wait);

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

#endif
