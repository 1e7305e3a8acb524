/*
 * helper_worker.c - short-lived workers the launcher starts for work that
 * waits on the network or on the repositories: the start-up upkeep (sweep,
 * sync_catalog, scratch copies) and each notification pass (SMTP, webhook).
 * The launcher's loop thus keeps dispatching jobs every second.  They are
 * not jobs: they take no job slot (the eight slots stay for the jobs users
 * ask for) and leave no safekeep.jobs row.  At most one helper per task.
 */
#include "safekeep.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"

static const char *const helper_names[SK_HELPER_COUNT] = {
    [SK_HELPER_UPKEEP] = "pg_safekeep start-up upkeep",
    [SK_HELPER_NOTIFY] = "pg_safekeep notifier",
};

/* The launcher's handles, one per task (NULL: none started or seen stopped). */
static BackgroundWorkerHandle *helpers[SK_HELPER_COUNT];

bool sk_helper_start(SkHelperTask task) {
    BackgroundWorker worker;
    MemoryContext oldcxt;
    bool started;

    memset(&worker, 0, sizeof(worker));
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_ConsistentState;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    strlcpy(worker.bgw_library_name, "pg_safekeep", BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, "sk_helper_main", BGW_MAXLEN);
    strlcpy(worker.bgw_name, helper_names[task], BGW_MAXLEN);
    strlcpy(worker.bgw_type, helper_names[task], BGW_MAXLEN);
    worker.bgw_main_arg = Int32GetDatum((int32)task);
    /* The launcher's database: the catalog and notification tables live there. */
    memcpy(worker.bgw_extra, &MyDatabaseId, sizeof(Oid));
    /* Its start and exit set the launcher's latch. */
    worker.bgw_notify_pid = MyProcPid;
    /* The handle outlives the loop's memory context, which is reset each turn. */
    oldcxt = MemoryContextSwitchTo(TopMemoryContext);
    started = RegisterDynamicBackgroundWorker(&worker, &helpers[task]);
    MemoryContextSwitchTo(oldcxt);
    if (!started)
        helpers[task] = NULL;
    return started;
}

bool sk_helper_running(SkHelperTask task) {
    pid_t pid;

    if (helpers[task] == NULL)
        return false;
    if (GetBackgroundWorkerPid(helpers[task], &pid) != BGWH_STOPPED)
        return true;
    pfree(helpers[task]);
    helpers[task] = NULL;
    return false;
}

void sk_helper_main(Datum arg) {
    SkHelperTask task = (SkHelperTask)DatumGetInt32(arg);
    Oid dboid;

    /* die() only sets flags; the core's stop poll sees them. */
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
    BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

    /* An ERROR ends the process (exit code 1) after logging it: the launcher
     * carries on as when the same step failed in its own loop. */
    if (task == SK_HELPER_UPKEEP)
        sk_recover_catalog();
    else if (task == SK_HELPER_NOTIFY)
        sk_notification_pass();
    proc_exit(0);
}
