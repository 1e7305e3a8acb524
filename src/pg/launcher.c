/*
 * launcher.c - the static background worker.  Starts one dynamic job worker
 * per queued job, notices workers that died without reporting, and at start
 * makes the catalog truthful after a crash (jobs left running are failed,
 * half-written backups and any other directory without a manifest are
 * removed: sweep.c) and in step with the repository.  Loop shape of
 * pg_cron's launcher.
 */
#include "safekeep.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

static BackgroundWorkerHandle *worker_handles[SK_MAX_JOBS];
static int64 worker_job_ids[SK_MAX_JOBS]; /* the job each handle was started for */
static bool catalog_recovered = false;

void sk_register_launcher(void) {
    BackgroundWorker worker;

    memset(&worker, 0, sizeof(worker));
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = 10;
    strlcpy(worker.bgw_library_name, "pg_safekeep", BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, "sk_launcher_main", BGW_MAXLEN);
    strlcpy(worker.bgw_name, "pg_safekeep launcher", BGW_MAXLEN);
    strlcpy(worker.bgw_type, "pg_safekeep launcher", BGW_MAXLEN);
    RegisterBackgroundWorker(&worker);
}

static bool start_job_worker(int slotno) {
    BackgroundWorker worker;
    MemoryContext oldcxt;
    bool started;

    memset(&worker, 0, sizeof(worker));
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_ConsistentState;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    strlcpy(worker.bgw_library_name, "pg_safekeep", BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, "sk_job_worker_main", BGW_MAXLEN);
    snprintf(worker.bgw_name, BGW_MAXLEN, "pg_safekeep job " INT64_FORMAT,
             sk_shared->slots[slotno].job_id);
    strlcpy(worker.bgw_type, "pg_safekeep job worker", BGW_MAXLEN);
    worker.bgw_main_arg = Int32GetDatum(slotno);
    worker.bgw_notify_pid = MyProcPid;
    /* The handle outlives the loop's memory context, which is reset each turn. */
    oldcxt = MemoryContextSwitchTo(TopMemoryContext);
    started = RegisterDynamicBackgroundWorker(&worker, &worker_handles[slotno]);
    MemoryContextSwitchTo(oldcxt);
    return started;
}

/*
 * A worker stopped: if it did so without reporting (it hit a FATAL, or was
 * terminated), fail its slot, its catalog rows and whatever partial backup
 * it left.  The slot may since carry a new job: sk_slot_finish checks the
 * job id.
 */
static void fail_vanished_job(int slotno, int64 job_id) {
    static const char *why = "job worker exited before reporting a result";
    char job_text[32];
    char label[64];
    const char *args[2];

    LWLockAcquire(sk_shared->lock, LW_SHARED);
    strlcpy(label, sk_shared->slots[slotno].job_id == job_id ? sk_shared->slots[slotno].label : "",
            sizeof(label));
    LWLockRelease(sk_shared->lock);
    /* A worker that reported its result already (the normal case) is done. */
    if (!sk_slot_finish(slotno, job_id, false, NULL, why))
        return;
    if (!sk_extension_exists())
        return;
    snprintf(job_text, sizeof(job_text), INT64_FORMAT, job_id);
    args[0] = job_text;
    args[1] = why;
    sk_exec_in_xact("SELECT safekeep.fail_job($1::bigint, $2)", 2, args);
    if (label[0] != '\0') {
        sk_config cfg;
        char stanza[32];
        sk_msg msg;

        sk_fill_config(&cfg, stanza, sizeof(stanza));
        if (sk_any_repo_configured() && sk_backup_discard_partial(&cfg, label, &msg) != SK_OK)
            ereport(WARNING, (errmsg("pg_safekeep: %s", msg.text)));
    }
}

/* Start workers for queued slots; fail the slots of workers that vanished. */
static void dispatch_jobs(void) {
    for (int i = 0; i < SK_MAX_JOBS; i++) {
        SkJobSlot *slot = &sk_shared->slots[i];
        SkSlotState state;
        int64 job_id;

        LWLockAcquire(sk_shared->lock, LW_SHARED);
        state = slot->state;
        job_id = slot->job_id;
        LWLockRelease(sk_shared->lock);

        if (state == SK_SLOT_QUEUED && worker_handles[i] == NULL) {
            if (!start_job_worker(i)) {
                worker_handles[i] = NULL;
                sk_slot_finish(i, job_id, false, NULL,
                               "could not start a job worker (max_worker_processes reached?)");
                continue;
            }
            worker_job_ids[i] = job_id;
            LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
            slot->state = SK_SLOT_RUNNING;
            LWLockRelease(sk_shared->lock);
        } else if (worker_handles[i] != NULL) {
            pid_t pid;

            if (GetBackgroundWorkerPid(worker_handles[i], &pid) != BGWH_STOPPED)
                continue;
            pfree(worker_handles[i]);
            worker_handles[i] = NULL;
            /* A worker that reported its result already left the slot DONE/FREE
             * (and the slot may since carry a new job). */
            fail_vanished_job(i, worker_job_ids[i]);
        }
    }
}

/* Scratch copies of drills and table recoveries that a crash left behind:
 * stop their servers and remove them. */
static void remove_scratch_copies(void) {
    char bindir[MAXPGPATH];
    sk_msg msg;

    sk_bindir(bindir, sizeof(bindir));
    if (sk_scratch_cleanup(sk_scratch_root(), bindir, &msg) != SK_OK)
        ereport(WARNING, (errmsg("pg_safekeep: %s", msg.text)));
}

/* Queue a restore drill of the newest backup when safekeep.drill_interval
 * has passed since the last one (checked every ten seconds). */
static void schedule_drill(void) {
    static TimestampTz last_check = 0;
    MemoryContext cxt = CurrentMemoryContext;
    TimestampTz now = GetCurrentTimestamp();
    char interval[16];
    const char *args[1];
    char *label[1];
    SkJobSlot request;
    int64 job_id;

    if (sk_drill_interval <= 0 || !sk_any_repo_configured() ||
        !TimestampDifferenceExceeds(last_check, now, 10000))
        return;
    last_check = now;
    snprintf(interval, sizeof(interval), "%d", sk_drill_interval);
    args[0] = interval;
    if (!sk_query_in_xact("SELECT safekeep._drill_due($1::integer)", 1, args, label, 1) ||
        label[0] == NULL)
        return;
    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_DRILL;
    strlcpy(request.drill_label, label[0], sizeof(request.drill_label));
    StartTransactionCommand();
    (void)sk_queue_job(&request, false, MyDatabaseId, BOOTSTRAP_SUPERUSERID, &job_id);
    CommitTransactionCommand();
    MemoryContextSwitchTo(cxt);
    ereport(LOG, (errmsg("pg_safekeep: scheduled restore drill of backup %s (job " INT64_FORMAT ")",
                         label[0], job_id)));
}

/*
 * After a crash or restart: every job and backup still marked running was
 * interrupted.  Mark them failed and remove what they left in the
 * repository; then bring the catalog in step with the repository.
 */
static void recover_catalog(void) {
    sk_config cfg;
    char stanza[32];
    MemoryContext oldcxt = CurrentMemoryContext;
    List *labels = NIL;
    ListCell *lc;

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    if (SPI_execute("SELECT label FROM safekeep.backup_catalog WHERE status = 'running'", true,
                    0) == SPI_OK_SELECT) {
        for (uint64 r = 0; r < SPI_processed; r++) {
            char *label = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
            MemoryContext spicxt = MemoryContextSwitchTo(oldcxt);

            labels = lappend(labels, pstrdup(label));
            MemoryContextSwitchTo(spicxt);
        }
    }
    SPI_execute("SELECT safekeep.fail_interrupted_jobs()", false, 0);
    PopActiveSnapshot();
    SPI_finish();
    CommitTransactionCommand();

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    foreach (lc, labels) {
        sk_msg msg;

        if (!sk_any_repo_configured())
            break;
        if (sk_backup_discard_partial(&cfg, (char *)lfirst(lc), &msg) != SK_OK)
            ereport(WARNING, (errmsg("pg_safekeep: %s", msg.text)));
    }
    /* What earlier crashes (or a refused discard) left: partial backups and
     * directories retention did not finish removing. */
    sk_sweep_repositories(-1);

    if (sk_any_repo_configured())
        sk_exec_in_xact("SELECT safekeep.sync_catalog()", 0, NULL);
    remove_scratch_copies();
}

/* One step of the loop: its ERROR is logged and cleared, the loop goes on. */
static void run_step(void (*step)(void)) {
    PG_TRY();
    { step(); }
    PG_CATCH();
    {
        EmitErrorReport();
        FlushErrorState();
        AbortOutOfAnyTransaction();
    }
    PG_END_TRY();
}

void sk_launcher_main(Datum arg) {
    MemoryContext loop_cxt;

    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
    BackgroundWorkerUnblockSignals();

    BackgroundWorkerInitializeConnection(sk_database, NULL, 0);

    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    sk_shared->launcher_pid = MyProcPid;
    sk_shared->launcher_latch = MyLatch;
    LWLockRelease(sk_shared->lock);

    loop_cxt = AllocSetContextCreate(TopMemoryContext, "pg_safekeep launcher loop",
                                     ALLOCSET_DEFAULT_SIZES);

    while (!ShutdownRequestPending) {
        MemoryContext oldcxt = MemoryContextSwitchTo(loop_cxt);

        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }

        /* A bad repository must not stop job dispatch; retried next start. */
        if (!catalog_recovered && sk_extension_exists()) {
            run_step(recover_catalog);
            catalog_recovered = true;
        }

        /* Neither may a failure to schedule or to notify. */
        if (catalog_recovered) {
            run_step(schedule_drill);
            run_step(sk_run_due_schedules);
            run_step(sk_deliver_notifications);
        }

        dispatch_jobs();

        MemoryContextSwitchTo(oldcxt);
        MemoryContextReset(loop_cxt);

        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    }

    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    sk_shared->launcher_latch = NULL;
    sk_shared->launcher_pid = 0;
    LWLockRelease(sk_shared->lock);
    proc_exit(0);
}
