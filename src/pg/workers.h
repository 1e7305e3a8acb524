/*
 * workers.h - the background processes: launcher, job workers, helpers, and
 * the slow steps they run (start-up upkeep, sweep, schedules, notifications).
 */
#ifndef SAFEKEEP_WORKERS_H
#define SAFEKEEP_WORKERS_H

#include "postgres.h"

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

/* One notification pass: queue launcher-side events, send the due messages;
 * run in a helper worker every ten seconds (notifier.c). */
extern void sk_notification_pass(void);

#endif
