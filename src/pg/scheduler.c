/*
 * scheduler.c - the built-in scheduler.  The launcher calls
 * sk_run_due_schedules() every loop; every ten seconds it queues the jobs of
 * the safekeep.schedules rows whose next_run_at has come.  Cron expressions
 * are evaluated in UTC.  next_run_at is always recomputed from now, so runs
 * missed while the server was down happen once at start-up, not once per
 * missed slot.  A backup that finds another backup running is skipped, and
 * the schedule row, safekeep.schedule_log and the server log say so.  An
 * expire schedule's retention run lists and removes backups: a helper worker
 * fires it (helper_worker.c), so the launcher does not wait on the
 * repositories.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "workers.h"
#include "job.h"
#include "spi_util.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

/* More due rows than this in one check means something keeps them due. */
#define MAX_FIRINGS_PER_CHECK 100

/* What one firing did, for safekeep._schedule_fired(). */
typedef struct FireResult {
    int64 job_id;        /* 0: no job */
    const char *outcome; /* queued, skipped, succeeded, failed */
    char *message;
} FireResult;

/* Run fn in a subtransaction it keeps; an ERROR comes back as its message
 * (NULL: it succeeded) instead of aborting the caller's transaction. */
static char *run_guarded(void (*fn)(void *), void *arg) {
    ErrorData *edata;

    return sk_in_subxact(fn, arg, true, &edata) ? NULL : edata->message;
}

typedef struct QueueArgs {
    const SkJobSlot *request;
    int64 job_id;
} QueueArgs;

static void queue_fn(void *arg) {
    QueueArgs *q = (QueueArgs *)arg;

    (void)sk_queue_job(q->request, false, MyDatabaseId, BOOTSTRAP_SUPERUSERID, &q->job_id);
}

/* Queue request; sk_queue_job's refusals ("another backup of this cluster is
 * running", no free slot) make the run skipped. */
static void queue_request(const SkJobSlot *request, FireResult *r) {
    QueueArgs q = {request, 0};
    char *error = run_guarded(queue_fn, &q);

    if (error != NULL) {
        r->outcome = "skipped";
        r->message = error;
        return;
    }
    r->job_id = q.job_id;
    r->outcome = "queued";
    r->message = psprintf("job " INT64_FORMAT, q.job_id);
}

static void fire_backup(const char *kind, FireResult *r) {
    SkJobSlot request;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_BACKUP;
    /* full_verify: a full backup; the verification follows once it succeeded. */
    strlcpy(request.backup_type, strcmp(kind, "full_verify") == 0 ? "full" : kind,
            sizeof(request.backup_type));
    queue_request(&request, r);
}

static bool backup_running(void) {
    bool running;

    LWLockAcquire(sk_shared->lock, LW_SHARED);
    running = sk_shared->backup_running;
    LWLockRelease(sk_shared->lock);
    return running;
}

/* A backup (label NULL: every backup) and the WAL from it up to the newest
 * archived segment. */
static void fire_verify(const char *label, FireResult *r) {
    SkJobSlot request;

    /* Retention at the end of a running backup could remove what a
     * verification of every backup is reading. */
    if (label == NULL && backup_running()) {
        r->outcome = "skipped";
        r->message = "a backup of this cluster is running";
        return;
    }
    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_VERIFY;
    if (label != NULL)
        strlcpy(request.verify_label, label, sizeof(request.verify_label));
    request.verify_wal_to_newest = true;
    queue_request(&request, r);
}

/* A logical backup (pg_dump) of the launcher's database; schema_only for
 * structure versioning. */
static void fire_logical(bool schema_only, FireResult *r) {
    SkJobSlot request;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_LOGICAL;
    request.logical.schema_only = schema_only;
    queue_request(&request, r);
}

static void fire_drill(FireResult *r) {
    char *label[1];
    SkJobSlot request;

    if (!sk_spi_query("SELECT label FROM safekeep.backup_catalog WHERE status = 'completed' "
                      "ORDER BY label DESC LIMIT 1",
                      0, NULL, label, 1, CurrentMemoryContext) ||
        label[0] == NULL) {
        r->outcome = "skipped";
        r->message = "there is no completed backup to drill";
        return;
    }
    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_DRILL;
    strlcpy(request.drill_label, label[0], sizeof(request.drill_label));
    queue_request(&request, r);
    if (r->job_id != 0)
        r->message = psprintf("job " INT64_FORMAT ": drill of backup %s", r->job_id, label[0]);
}

static void expire_fn(void *arg) {
    *(char **)arg = sk_expire_and_record(false);
}

/* Retention lists and removes backups in the repositories: in a helper
 * worker, not in the launcher (see hand_off_expire). */
static void fire_expire(FireResult *r) {
    char *plan = NULL;
    char *error;
    char *summary[1];
    const char *args[1];

    /* The backup applies the policy itself when it ends (expire_after_backup). */
    if (backup_running()) {
        r->outcome = "skipped";
        r->message = "a backup of this cluster is running";
        return;
    }
    error = run_guarded(expire_fn, &plan);
    if (error != NULL) {
        r->outcome = "failed";
        r->message = error;
        return;
    }
    args[0] = plan;
    sk_spi_query("SELECT format('%s backup(s) expired, %s WAL file(s) removed', "
                 "count(*) FILTER (WHERE b->>'action' = 'expire'), "
                 "coalesce($1::jsonb->'wal'->>'removed_count', '0')) "
                 "FROM jsonb_array_elements(coalesce($1::jsonb->'backups', '[]')) b",
                 1, args, summary, 1, CurrentMemoryContext);
    r->outcome = "succeeded";
    r->message = summary[0];
}

static void end_xact(MemoryContext caller) {
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
}

/* The schedule due longest, or (expire_name) that expire schedule if it is
 * still due: name, job_kind, next_run_at. */
static bool due_row(const char *expire_name, char **row, MemoryContext caller) {
    const char *args[1] = {expire_name};

    if (expire_name == NULL)
        return sk_spi_query("SELECT name, job_kind, next_run_at FROM safekeep._schedule_next_due()",
                            0, NULL, row, 3, caller);
    return sk_spi_query("SELECT name, job_kind, next_run_at FROM safekeep.schedules "
                        "WHERE name = $1 AND job_kind = 'expire' AND enabled "
                        "AND next_run_at <= now()",
                        1, args, row, 3, caller);
}

/* An expire schedule is fired by a helper worker: true when one is on it (or
 * on another one: this one waits for the next check), false when none could
 * be started and the launcher fires it itself, as before. */
static bool hand_off_expire(const char *name) {
    return sk_helper_running(SK_HELPER_EXPIRE) || sk_helper_start(SK_HELPER_EXPIRE, name);
}

/*
 * Fire the schedule that has been due longest (expire_name: that expire
 * schedule), in its own transaction.  Returns false when none is due, or
 * when the launcher handed an expire schedule to a helper: the schedules
 * due after it wait for the next check.
 */
static bool fire_next_due(const char *expire_name) {
    MemoryContext caller = CurrentMemoryContext;
    char *row[3]; /* name, job_kind, next_run_at */
    FireResult r = {0, NULL, NULL};
    char job_text[32];
    const char *args[5];

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    MemoryContextSwitchTo(caller);
    PushActiveSnapshot(GetTransactionSnapshot());
    if (!due_row(expire_name, row, caller) ||
        (expire_name == NULL && strcmp(row[1], "expire") == 0 && hand_off_expire(row[0]))) {
        end_xact(caller);
        return false;
    }
    if (strcmp(row[1], "verify") == 0)
        fire_verify(NULL, &r);
    else if (strcmp(row[1], "drill") == 0)
        fire_drill(&r);
    else if (strcmp(row[1], "expire") == 0)
        fire_expire(&r);
    else if (strcmp(row[1], "logical") == 0 || strcmp(row[1], "logical_schema") == 0)
        fire_logical(strcmp(row[1], "logical_schema") == 0, &r);
    else
        fire_backup(row[1], &r);

    snprintf(job_text, sizeof(job_text), INT64_FORMAT, r.job_id);
    args[0] = row[0];
    args[1] = row[2];
    args[2] = r.job_id != 0 ? job_text : NULL;
    args[3] = r.outcome;
    args[4] = r.message;
    sk_spi_query("SELECT safekeep._schedule_fired($1, $2::timestamptz, $3::bigint, $4, $5)", 5,
                 args, NULL, 0, caller);
    end_xact(caller);
    ereport(LOG, (errmsg("pg_safekeep: schedule \"%s\" (%s) %s: %s", row[0], row[1], r.outcome,
                         r.message)));
    return true;
}

void sk_fire_expire_schedule(const char *name) {
    (void)fire_next_due(name);
}

/*
 * full_verify schedules whose backup succeeded: queue the verification.
 * Returns false when there is none to queue.
 */
static bool queue_next_verification(void) {
    MemoryContext caller = CurrentMemoryContext;
    char *row[2]; /* name, label */
    FireResult r = {0, NULL, NULL};
    char job_text[32];
    const char *args[3];

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    MemoryContextSwitchTo(caller);
    PushActiveSnapshot(GetTransactionSnapshot());
    if (!sk_spi_query("SELECT name, label FROM safekeep._schedule_verify_due()", 0, NULL, row, 2,
                      caller)) {
        end_xact(caller);
        return false;
    }
    fire_verify(row[1], &r);
    snprintf(job_text, sizeof(job_text), INT64_FORMAT, r.job_id);
    args[0] = row[0];
    args[1] = r.job_id != 0 ? job_text : NULL;
    args[2] = r.job_id != 0 ? NULL : r.message;
    sk_spi_query("SELECT safekeep._schedule_verify_queued($1, $2::bigint, $3)", 3, args, NULL, 0,
                 caller);
    end_xact(caller);
    ereport(LOG, (errmsg("pg_safekeep: schedule \"%s\" (full_verify): verification of backup %s "
                         "%s: %s",
                         row[0], row[1], r.outcome, r.message)));
    return true;
}

void sk_run_due_schedules(void) {
    static TimestampTz last_check = 0;
    TimestampTz now = GetCurrentTimestamp();

    if (!sk_scheduler || !sk_any_repo_configured() ||
        !TimestampDifferenceExceeds(last_check, now, 10000))
        return;
    last_check = now;
    /* Outcomes of the jobs queued earlier, first: full_verify waits on them. */
    sk_exec_in_xact("SELECT safekeep._schedule_refresh()", 0, NULL);
    for (int i = 0; i < MAX_FIRINGS_PER_CHECK && queue_next_verification(); i++)
        ;
    for (int i = 0; i < MAX_FIRINGS_PER_CHECK && fire_next_due(NULL); i++)
        ;
}
