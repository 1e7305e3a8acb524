/*
 * worker_start.c - registering the launcher's dynamic background workers
 * (job workers and helpers): the settings they share in one place.
 */
#include "postgres.h"

#include "workers.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/memutils.h"

bool sk_start_worker(const char *function, const char *name, const char *type, Datum arg,
                     const char *extra, size_t extra_len, BackgroundWorkerHandle **handle) {
    BackgroundWorker worker;
    MemoryContext oldcxt;
    bool started;

    memset(&worker, 0, sizeof(worker));
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_ConsistentState;
    /* A worker that dies is the launcher's to notice and report, never restarted. */
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    strlcpy(worker.bgw_library_name, "pg_safekeep", BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, function, BGW_MAXLEN);
    strlcpy(worker.bgw_name, name, BGW_MAXLEN);
    strlcpy(worker.bgw_type, type, BGW_MAXLEN);
    worker.bgw_main_arg = arg;
    Assert(extra_len <= BGW_EXTRALEN);
    if (extra != NULL)
        memcpy(worker.bgw_extra, extra, extra_len);
    /* Its start and exit set the launcher's latch. */
    worker.bgw_notify_pid = MyProcPid;
    /* The handle outlives the loop's memory context, which is reset each turn. */
    oldcxt = MemoryContextSwitchTo(TopMemoryContext);
    started = RegisterDynamicBackgroundWorker(&worker, handle);
    MemoryContextSwitchTo(oldcxt);
    if (!started)
        *handle = NULL;
    return started;
}
