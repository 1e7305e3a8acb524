/*
 * job_worker.c - the dynamic background worker that runs one job: connect
 * to the database that asked for it and hand over to the job's code
 * (backup_job.c, restore_job.c, maintenance_job.c).  If this process dies
 * the launcher marks the job failed.
 */
#include "postgres.h"

#include "job_slots.h"
#include "workers.h"
#include "job.h"
#include "spi_util.h"

#include <time.h>
#include <unistd.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

void sk_core_error(const char *what, const sk_msg *msg) {
    ereport(ERROR,
            (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("%s: %s", what, msg->text)));
}

void sk_job_failed_with(int slotno, int64 job_id, MemoryContext job_cxt, sk_failure_recorder record,
                        void *arg) {
    ErrorData *edata;
    char job_text[32];
    const char *args[2];

    MemoryContextSwitchTo(job_cxt);
    edata = CopyErrorData();
    FlushErrorState();
    snprintf(job_text, sizeof(job_text), INT64_FORMAT, job_id);
    if (sk_postmaster_dead()) {
        /* Nothing more in this cluster: no transaction, no slot, no latch. The
         * restarted launcher marks the job failed.  proc_exit runs the exit
         * callbacks (scratch copies are stopped by scratch_guard.c). */
        ereport(LOG, (errmsg("pg_safekeep job %s stops: the postmaster died (%s)", job_text,
                             edata->message)));
        proc_exit(1);
    }
    AbortOutOfAnyTransaction();
    ereport(LOG, (errmsg("pg_safekeep job %s failed: %s", job_text, edata->message)));
    if (record != NULL)
        record(edata->message, arg);
    args[0] = job_text;
    args[1] = edata->message;
    sk_exec_in_xact("SELECT safekeep.job_failed($1::bigint, $2)", 2, args);
    sk_slot_finish(slotno, job_id, false, NULL, edata->message);
}

void sk_job_failed(int slotno, int64 job_id, MemoryContext job_cxt) {
    sk_job_failed_with(slotno, job_id, job_cxt, NULL, NULL);
}

void sk_job_init(SkJob *job, int slotno) {
    job->slotno = slotno;
    job->slot = &sk_shared->slots[slotno];
    job->job_id = job->slot->job_id;
    job->cxt = CurrentMemoryContext;
    snprintf(job->job_text, sizeof(job->job_text), INT64_FORMAT, job->job_id);
    snprintf(job->user_text, sizeof(job->user_text), "%u", job->slot->userid);
}

void sk_job_started(const SkJob *job, const char *kind) {
    const char *args[3] = {job->job_text, kind, job->user_text};

    sk_exec_in_xact("SELECT safekeep.job_started($1::bigint, $2, $3::oid)", 3, args);
}

void sk_job_catch(const SkJob *job) {
    sk_job_failed(job->slotno, job->job_id, job->cxt);
}

double sk_seconds_since(TimestampTz start) {
    long secs;
    int usecs;

    TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);
    return (double)secs + usecs / 1e6;
}

/*
 * Whether our postmaster is gone, answerable from any thread.
 * PostmasterIsAlive() is not: it reads the postmaster-death pipe and clears
 * postmaster_possibly_dead (which PR_SET_PDEATHSIG's handler sets on Linux),
 * state that belongs to the main thread.  Every child of the postmaster is
 * forked by it directly, so our parent is the postmaster until it dies; then
 * the kernel reparents us (to init or a subreaper) at once, so getppid()
 * differs from PostmasterPid (inherited at fork).  getppid() is a plain
 * system call: thread-safe, async-signal-safe, and cheap enough for a poll
 * every 100 ms.  Not under a postmaster (single-user mode): never dead.
 */
int sk_postmaster_dead(void) {
    return (IsUnderPostmaster && getppid() != PostmasterPid) ? 1 : 0;
}

/*
 * The core's cancel poll and, registered in _PG_init, its process-wide stop
 * poll: every wait in the core looks at it.  It only reads flags set by
 * signal handlers and getppid(): safe from core threads.  A shutdown request
 * (launcher) stops too, but not in the archiver: PostgreSQL's archiver loop
 * acts on that itself between segments, and a segment half pushed at
 * shutdown would only be pushed again.
 */
int sk_cancel_requested(void) {
    if (ProcDiePending || QueryCancelPending)
        return 1;
    if (ShutdownRequestPending && MyBackendType != B_ARCHIVER)
        return 1;
    return sk_postmaster_dead();
}

void sk_job_worker_main(Datum arg) {
    int slotno = DatumGetInt32(arg);
    SkJobSlot *slot = &sk_shared->slots[slotno];
    SkJobKind kind;
    Oid dboid;

    /* die() only sets flags; the default handler would longjmp from a signal. */
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();

    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    slot->worker_pid = MyProcPid;
    kind = slot->kind;
    dboid = slot->dboid;
    LWLockRelease(sk_shared->lock);

    /* No user: jobs run as the bootstrap superuser, the requester is recorded. */
    BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

    if (kind == SK_JOB_BACKUP)
        sk_run_backup(slotno);
    else if (kind == SK_JOB_RESTORE)
        sk_run_restore(slotno);
    else if (kind == SK_JOB_VERIFY)
        sk_run_verify(slotno);
    else if (kind == SK_JOB_TABLE_RECOVERY)
        sk_run_table_recovery(slotno);
    else if (kind == SK_JOB_DRILL)
        sk_run_drill(slotno);
    else if (kind == SK_JOB_LOGICAL)
        sk_run_logical_backup(slotno);
    else if (kind == SK_JOB_LOGICAL_RESTORE)
        sk_run_logical_restore(slotno);
    proc_exit(0);
}
