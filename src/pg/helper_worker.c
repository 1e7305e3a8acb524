/*
 * helper_worker.c - short-lived workers the launcher starts for work that
 * waits on the network or on the repositories: the start-up upkeep (sweep,
 * sync_catalog, scratch copies), each notification pass (SMTP, webhook) and
 * an expire schedule's retention run (listing and removing backups),
 * removing the partial backup of a job worker that vanished, and copying WAL
 * owed to a repository that was down (safekeep.archive_require).
 * The launcher's loop thus keeps dispatching jobs every second.  They are
 * not jobs: they take no job slot (the eight slots stay for the jobs users
 * ask for) and leave no safekeep.jobs row.  At most one helper per task.
 */
#include "postgres.h"

#include "settings.h"
#include "workers.h"

#include "access/xlog.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"

static const char *const helper_names[SK_HELPER_COUNT] = {
    [SK_HELPER_UPKEEP] = "pg_safekeep start-up upkeep",
    [SK_HELPER_NOTIFY] = "pg_safekeep notifier",
    [SK_HELPER_EXPIRE] = "pg_safekeep scheduled retention",
    [SK_HELPER_DISCARD] = "pg_safekeep partial backup removal",
    [SK_HELPER_WAL_CATCHUP] = "pg_safekeep owed WAL catch-up",
};

/* bgw_extra: the launcher's database, then the task's argument (a string). */
#define ARG_OFFSET sizeof(Oid)
#define ARG_MAX (BGW_EXTRALEN - ARG_OFFSET)

/* The launcher's handles, one per task (NULL: none started or seen stopped). */
static BackgroundWorkerHandle *helpers[SK_HELPER_COUNT];

bool sk_helper_start(SkHelperTask task, const char *arg) {
    /* bgw_extra: the launcher's database (the catalog and notification
     * tables live there), then arg. */
    char extra[BGW_EXTRALEN];

    memset(extra, 0, sizeof(extra));
    memcpy(extra, &MyDatabaseId, sizeof(Oid));
    if (arg != NULL && strlcpy(extra + ARG_OFFSET, arg, ARG_MAX) >= ARG_MAX)
        return false;
    return sk_start_worker("sk_helper_main", helper_names[task], helper_names[task],
                           Int32GetDatum((int32)task), extra, sizeof(extra), &helpers[task]);
}

/* Remove backup/<label> of a job worker that vanished, if it has no manifest. */
static void discard_partial_backup(const char *label) {
    sk_config cfg;
    char stanza[32];
    sk_msg msg;

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    if (sk_any_repo_configured() && sk_backup_discard_partial(&cfg, label, &msg) != SK_OK)
        ereport(WARNING, (errmsg("pg_safekeep: %s", msg.text)));
}

/* Copy WAL owed to repositories that were down; one still down is tried
 * again at the next pass. */
static void catch_up_owed_wal(void) {
    sk_config cfg;
    char stanza[32];
    sk_msg msg;
    int copied = 0, still_owed = 0;

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    if (sk_wal_catch_up(&cfg, GetSystemIdentifier(), PG_VERSION_NUM, &copied, &still_owed, &msg) !=
        SK_OK)
        ereport(WARNING, (errmsg("pg_safekeep: owed WAL catch-up failed: %s", msg.text)));
    else if (copied > 0 || still_owed > 0)
        ereport(LOG, (errmsg("pg_safekeep: owed WAL catch-up copied %d file(s), %d still owed%s%s",
                             copied, still_owed, still_owed > 0 ? ": " : "",
                             still_owed > 0 ? msg.text : "")));
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

bool sk_any_helper_running(void) {
    for (int task = 0; task < SK_HELPER_COUNT; task++)
        if (sk_helper_running((SkHelperTask)task))
            return true;
    return false;
}

void sk_helper_main(Datum arg) {
    SkHelperTask task = (SkHelperTask)DatumGetInt32(arg);
    Oid dboid;
    char task_arg[ARG_MAX];

    /* die() only sets flags; the core's stop poll sees them. */
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
    strlcpy(task_arg, MyBgworkerEntry->bgw_extra + ARG_OFFSET, sizeof(task_arg));
    BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

    /* An ERROR ends the process (exit code 1) after logging it: the launcher
     * carries on as when the same step failed in its own loop. */
    if (task == SK_HELPER_UPKEEP)
        sk_recover_catalog();
    else if (task == SK_HELPER_NOTIFY)
        sk_notification_pass();
    else if (task == SK_HELPER_EXPIRE)
        sk_fire_expire_schedule(task_arg);
    else if (task == SK_HELPER_DISCARD)
        discard_partial_backup(task_arg);
    else if (task == SK_HELPER_WAL_CATCHUP)
        catch_up_owed_wal();
    proc_exit(0);
}
