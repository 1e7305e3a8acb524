/*
 * launcher.c - the static background worker.  Starts one dynamic job worker
 * per queued job, notices workers that died without reporting, queues
 * scheduled jobs and drills.  What waits on the network or the repositories
 * runs in helper workers it starts (helper_worker.c): at start the upkeep
 * that makes the catalog truthful after a crash (startup_upkeep.c), every
 * ten seconds a notification pass (notifier.c), an expire schedule's
 * retention run (scheduler.c).  Loop shape of pg_cron's
 * launcher: every step in an ERROR handler, a memory context reset each turn.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "workers.h"
#include "spi_util.h"

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
/* The per-iteration memory context: every step runs in it, and a step's
 * ERROR handler switches back to it. */
static MemoryContext loop_cxt = NULL;

/* The start-up upkeep (startup_upkeep.c), run once in a helper worker: no
 * job is dispatched while it runs (it fails the jobs left 'running'). */
typedef enum UpkeepState { UPKEEP_NOT_STARTED, UPKEEP_RUNNING, UPKEEP_DONE } UpkeepState;
static UpkeepState upkeep = UPKEEP_NOT_STARTED;

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
    char name[BGW_MAXLEN];

    snprintf(name, sizeof(name), "pg_safekeep job " INT64_FORMAT, sk_shared->slots[slotno].job_id);
    return sk_start_worker("sk_job_worker_main", name, "pg_safekeep job worker",
                           Int32GetDatum(slotno), NULL, 0, &worker_handles[slotno]);
}

/*
 * A worker stopped: if it did so without reporting (it hit a FATAL, or was
 * terminated), fail its slot and its catalog rows, and have a helper remove
 * whatever partial backup it left.  The slot may since carry a new job:
 * sk_slot_finish checks the job id.
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
    /* Repository I/O belongs in a helper; when none can be had now, the
     * sweep before the next backup (or at the next start) removes it. */
    if (label[0] != '\0' &&
        (sk_helper_running(SK_HELPER_DISCARD) || !sk_helper_start(SK_HELPER_DISCARD, label)))
        ereport(LOG,
                (errmsg("pg_safekeep: the partial backup %s is left to the next sweep", label)));
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
                /* A helper may hold the last worker for seconds: try again. */
                if (sk_any_helper_running())
                    continue;
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
 * One step of the loop, pg_cron's way: an ERROR is logged and cleared, the
 * transaction it left open is aborted, and the loop goes on in its own
 * memory context.
 */
static void run_step(void (*step)(void)) {
    PG_TRY();
    { step(); }
    PG_CATCH();
    {
        /* Error cleanup is not to be cut short by another interrupt. */
        HOLD_INTERRUPTS();
        MemoryContextSwitchTo(loop_cxt);
        EmitErrorReport();
        AbortOutOfAnyTransaction();
        FlushErrorState();
        /* Aborting the transaction leaves TopMemoryContext current. */
        MemoryContextSwitchTo(loop_cxt);
        RESUME_INTERRUPTS();
    }
    PG_END_TRY();
}

static void reload_config(void) {
    if (ConfigReloadPending) {
        ConfigReloadPending = false;
        ProcessConfigFile(PGC_SIGHUP);
    }
}

/*
 * Once the extension is there: start the start-up upkeep in a helper worker
 * (in this process when no worker can be had), then notice its end.  A bad
 * repository does not stop job dispatch for long: the upkeep is retried at
 * the next start only.
 */
static void advance_upkeep(void) {
    if (upkeep == UPKEEP_RUNNING && !sk_helper_running(SK_HELPER_UPKEEP))
        upkeep = UPKEEP_DONE;
    if (upkeep != UPKEEP_NOT_STARTED || !sk_extension_exists())
        return;
    if (sk_helper_start(SK_HELPER_UPKEEP, NULL)) {
        upkeep = UPKEEP_RUNNING;
        return;
    }
    upkeep = UPKEEP_DONE;
    ereport(LOG, (errmsg("pg_safekeep: no worker for the start-up upkeep, running it in the "
                         "launcher (max_worker_processes reached?)")));
    sk_recover_catalog();
}

/* Every ten seconds a notification pass, in a helper worker unless the last
 * one still runs (in this process when no worker can be had). */
static void start_notification_pass(void) {
    static TimestampTz last_start = 0;
    TimestampTz now = GetCurrentTimestamp();

    if (!TimestampDifferenceExceeds(last_start, now, 10000) || sk_helper_running(SK_HELPER_NOTIFY))
        return;
    last_start = now;
    if (!sk_helper_start(SK_HELPER_NOTIFY, NULL))
        sk_notification_pass();
}

/* Every 30 seconds, while WAL is owed to a repository that was down (a
 * marker per file, see safekeep.archive_require), a helper copies it there. */
static void start_wal_catch_up(void) {
    static TimestampTz last_start = 0;
    TimestampTz now = GetCurrentTimestamp();

    if (!TimestampDifferenceExceeds(last_start, now, 30000) ||
        sk_helper_running(SK_HELPER_WAL_CATCHUP))
        return;
    last_start = now;
    if (sk_wal_owed_count(sk_state_dir()) > 0)
        (void)sk_helper_start(SK_HELPER_WAL_CATCHUP, NULL);
}

void sk_launcher_main(Datum arg) {
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

        run_step(reload_config);
        run_step(advance_upkeep);

        /* A failure to schedule or to notify stops neither the rest nor the
         * dispatch; neither runs before the upkeep has made the catalog true. */
        if (upkeep == UPKEEP_DONE) {
            run_step(schedule_drill);
            run_step(sk_run_due_schedules);
            run_step(start_notification_pass);
            run_step(start_wal_catch_up);
        }
        if (upkeep != UPKEEP_RUNNING)
            run_step(dispatch_jobs);

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
