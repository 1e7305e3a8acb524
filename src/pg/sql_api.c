/*
 * sql_api.c - SQL-callable C functions.  The user-facing functions are
 * PL/pgSQL in sql/pg_safekeep--*.sql (validation with clear messages); they
 * call these for what needs the core or shared memory.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "job.h"

#include <sys/stat.h>

#include "catalog/namespace.h"
#include "postmaster/postmaster.h"
#include "commands/sequence.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(sk_sql_queue_backup);
PG_FUNCTION_INFO_V1(sk_sql_queue_restore);
PG_FUNCTION_INFO_V1(sk_sql_queue_verify);
PG_FUNCTION_INFO_V1(sk_sql_queue_table_recovery);
PG_FUNCTION_INFO_V1(sk_sql_queue_drill);
PG_FUNCTION_INFO_V1(sk_sql_queue_disaster_recovery);
PG_FUNCTION_INFO_V1(sk_sql_expire);
PG_FUNCTION_INFO_V1(sk_sql_repository_info);
PG_FUNCTION_INFO_V1(sk_sql_check_target_dir);
PG_FUNCTION_INFO_V1(sk_sql_check_port_free);
PG_FUNCTION_INFO_V1(sk_sql_check_repository);

static char *text_arg_or_empty(FunctionCallInfo fcinfo, int n) {
    return PG_ARGISNULL(n) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static int64 next_job_id(void) {
    Oid nsp = get_namespace_oid("safekeep", false);
    Oid seq = get_relname_relid("jobs_id_seq", nsp);

    if (!OidIsValid(seq))
        elog(ERROR, "sequence safekeep.jobs_id_seq is missing");
    return DatumGetInt64(DirectFunctionCall1(nextval_oid, ObjectIdGetDatum(seq)));
}

/* Right after a (crash) restart the launcher may still be starting. */
static void wait_for_launcher(SkShared *sh) {
    for (int i = 0; i < 150; i++) {
        bool running;

        LWLockAcquire(sh->lock, LW_SHARED);
        running = sh->launcher_latch != NULL;
        LWLockRelease(sh->lock);
        if (running)
            return;
        /* Not pg_usleep: a dead postmaster ends the wait (and this backend). */
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100L,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    }
}

int sk_queue_job(const SkJobSlot *request, bool wait, Oid dboid, Oid userid, int64 *job_id) {
    SkShared *sh = sk_shared_or_error();
    int slotno = -1;
    Latch *launcher;

    *job_id = next_job_id();
    wait_for_launcher(sh);
    LWLockAcquire(sh->lock, LW_EXCLUSIVE);
    if (sh->launcher_latch == NULL) {
        LWLockRelease(sh->lock);
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("the pg_safekeep launcher is not running"),
                 errhint("Check the server log; the launcher connects to safekeep.database.")));
    }
    if (request->kind == SK_JOB_BACKUP && sh->backup_running) {
        LWLockRelease(sh->lock);
        ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
                        errmsg("another backup of this cluster is running"),
                        errhint("See safekeep.jobs; only one backup runs at a time.")));
    }
    for (int i = 0; i < SK_MAX_JOBS; i++) {
        if (sh->slots[i].state == SK_SLOT_FREE) {
            slotno = i;
            break;
        }
    }
    if (slotno < 0) {
        LWLockRelease(sh->lock);
        ereport(ERROR, (errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
                        errmsg("too many pg_safekeep jobs are queued or running (at most %d)",
                               SK_MAX_JOBS)));
    }
    {
        SkJobSlot *slot = &sh->slots[slotno];

        memset(slot, 0, sizeof(*slot));
        slot->state = SK_SLOT_QUEUED;
        slot->job_id = *job_id;
        slot->kind = request->kind;
        memcpy(slot->backup_type, request->backup_type, sizeof(slot->backup_type));
        memcpy(slot->verify_label, request->verify_label, sizeof(slot->verify_label));
        slot->verify_wal_to_newest = request->verify_wal_to_newest;
        slot->restore = request->restore;
        slot->table = request->table;
        memcpy(slot->drill_label, request->drill_label, sizeof(slot->drill_label));
        slot->logical = request->logical;
        slot->dboid = dboid;
        slot->userid = userid;
        slot->waiter = wait ? MyProc : NULL;
        slot->waiter_gone = !wait;
        slot->queued_at = GetCurrentTimestamp();
    }
    if (request->kind == SK_JOB_BACKUP)
        sh->backup_running = true;
    launcher = sh->launcher_latch;
    LWLockRelease(sh->lock);
    SetLatch(launcher);
    return slotno;
}

/* Stop waiting: the worker frees the slot when it finishes. */
static void detach_from_slot(int slotno, int64 job_id) {
    SkJobSlot *slot = &sk_shared->slots[slotno];

    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    if (slot->job_id == job_id) {
        if (slot->state == SK_SLOT_DONE)
            slot->state = SK_SLOT_FREE;
        else {
            slot->waiter = NULL;
            slot->waiter_gone = true;
        }
    }
    LWLockRelease(sk_shared->lock);
}

/* Every 10 s once the copy has begun: phase, counts, rate and time left. */
static void report_progress(int slotno, int64 job_id, TimestampTz *last) {
    TimestampTz now = GetCurrentTimestamp();
    SkJobProgress p;
    char rate[80] = "";

    if (!TimestampDifferenceExceeds(*last, now, 10000))
        return;
    if (!sk_job_progress(slotno, job_id, &p) || p.progress.bytes_total == 0)
        return;
    *last = now;
    if (p.bytes_per_second >= 0)
        snprintf(rate, sizeof(rate), ", %.1f MB/s, about %.0f s left",
                 p.bytes_per_second / 1048576.0, p.seconds_left);
    ereport(NOTICE, (errmsg("job " INT64_FORMAT ": %s, %llu of %llu files, %llu of %llu MB%s",
                            job_id, p.phase, (unsigned long long)p.progress.files_done,
                            (unsigned long long)p.progress.files_total,
                            (unsigned long long)(p.progress.bytes_done >> 20),
                            (unsigned long long)(p.progress.bytes_total >> 20), rate)));
}

/* Wait for the job's result; ERROR with the job's error if it failed. */
static char *wait_for_job(int slotno, int64 job_id) {
    SkJobSlot *slot = &sk_shared->slots[slotno];
    TimestampTz last_report = GetCurrentTimestamp();
    bool success = false;
    char result[sizeof(slot->result)];
    char error[sizeof(slot->error)];
    char notice[sizeof(slot->notice)];

    PG_TRY();
    {
        for (;;) {
            bool done;

            LWLockAcquire(sk_shared->lock, LW_SHARED);
            done = slot->job_id == job_id && slot->state == SK_SLOT_DONE;
            if (done) {
                success = slot->success;
                strlcpy(result, slot->result, sizeof(result));
                strlcpy(error, slot->error, sizeof(error));
                strlcpy(notice, slot->notice, sizeof(notice));
            }
            LWLockRelease(sk_shared->lock);
            if (done)
                break;
            report_progress(slotno, job_id, &last_report);
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L,
                            PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
            CHECK_FOR_INTERRUPTS();
        }
    }
    PG_CATCH();
    {
        detach_from_slot(slotno, job_id);
        PG_RE_THROW();
    }
    PG_END_TRY();

    detach_from_slot(slotno, job_id);
    if (notice[0] != '\0')
        ereport(NOTICE, (errmsg("%s", notice)));
    if (!success)
        ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                        errmsg("pg_safekeep job " INT64_FORMAT " failed: %s", job_id, error),
                        errhint("See safekeep.jobs and safekeep.backup_log.")));
    return pstrdup(result);
}

static Datum queue_and_maybe_wait(const SkJobSlot *request, bool wait) {
    int64 job_id;
    int slotno;

    sk_require_admin("run pg_safekeep jobs");
    /* The role that asked, not the owner of the SECURITY DEFINER entry point. */
    slotno = sk_queue_job(request, wait, MyDatabaseId, GetOuterUserId(), &job_id);
    if (!wait)
        return PointerGetDatum(cstring_to_text(psprintf(INT64_FORMAT, job_id)));
    return PointerGetDatum(cstring_to_text(wait_for_job(slotno, job_id)));
}

/* For job kinds whose SQL entry points live in their own files. */
Datum sk_queue_and_maybe_wait(const SkJobSlot *request, bool wait) {
    return queue_and_maybe_wait(request, wait);
}

/* _queue_backup(type, wait) -> label, or the job id with wait => false */
Datum sk_sql_queue_backup(PG_FUNCTION_ARGS) {
    char *type = text_arg_or_empty(fcinfo, 0);
    SkJobSlot request;

    if (strcmp(type, "full") != 0 && strcmp(type, "incremental") != 0 &&
        strcmp(type, "differential") != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unknown backup type \"%s\"", type),
                        errhint("Use full, incremental or differential.")));
    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_BACKUP;
    strlcpy(request.backup_type, type, sizeof(request.backup_type));
    PG_RETURN_DATUM(queue_and_maybe_wait(&request, PG_ARGISNULL(1) || PG_GETARG_BOOL(1)));
}

/*
 * _queue_restore(wait, label, target_dir, target_time text, target_time_unix,
 *                port, recovery_type) -> summary, or the job id
 */
Datum sk_sql_queue_restore(PG_FUNCTION_ARGS) {
    SkJobSlot request;
    SkRestoreParams *r = &request.restore;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_RESTORE;
    strlcpy(r->label, text_arg_or_empty(fcinfo, 1), sizeof(r->label));
    strlcpy(r->target_dir, text_arg_or_empty(fcinfo, 2), sizeof(r->target_dir));
    strlcpy(r->target_time, text_arg_or_empty(fcinfo, 3), sizeof(r->target_time));
    r->target_time_unix = PG_ARGISNULL(4) ? 0 : (int64)PG_GETARG_FLOAT8(4);
    r->port = PG_ARGISNULL(5) ? 0 : PG_GETARG_INT32(5);
    strlcpy(r->recovery_type, text_arg_or_empty(fcinfo, 6), sizeof(r->recovery_type));
    PG_RETURN_DATUM(queue_and_maybe_wait(&request, PG_ARGISNULL(0) || PG_GETARG_BOOL(0)));
}

/*
 * _queue_table_recovery(wait, label, schema, table, into_schema, replace,
 *                       target_type, target_value, target_time, target_time_unix,
 *                       inclusive) -> summary, or the job id
 */
Datum sk_sql_queue_table_recovery(PG_FUNCTION_ARGS) {
    SkJobSlot request;
    SkTableParams *t = &request.table;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_TABLE_RECOVERY;
    strlcpy(t->label, text_arg_or_empty(fcinfo, 1), sizeof(t->label));
    strlcpy(t->schema, text_arg_or_empty(fcinfo, 2), sizeof(t->schema));
    strlcpy(t->table, text_arg_or_empty(fcinfo, 3), sizeof(t->table));
    strlcpy(t->into_schema, text_arg_or_empty(fcinfo, 4), sizeof(t->into_schema));
    t->replace = !PG_ARGISNULL(5) && PG_GETARG_BOOL(5);
    strlcpy(t->target_type, text_arg_or_empty(fcinfo, 6), sizeof(t->target_type));
    if (strlen(text_arg_or_empty(fcinfo, 7)) >= sizeof(t->target_value))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("recovery target value is too long")));
    strlcpy(t->target_value, text_arg_or_empty(fcinfo, 7), sizeof(t->target_value));
    strlcpy(t->target_time, text_arg_or_empty(fcinfo, 8), sizeof(t->target_time));
    t->target_time_unix = PG_ARGISNULL(9) ? 0 : (int64)PG_GETARG_FLOAT8(9);
    t->inclusive = PG_ARGISNULL(10) || PG_GETARG_BOOL(10);
    if (t->label[0] == '\0' || t->schema[0] == '\0' || t->table[0] == '\0' ||
        t->into_schema[0] == '\0' || t->target_type[0] == '\0')
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("a table recovery needs a backup, a table, a schema and a target")));
    PG_RETURN_DATUM(queue_and_maybe_wait(&request, PG_ARGISNULL(0) || PG_GETARG_BOOL(0)));
}

/* _queue_drill(label, wait) -> summary, or the job id */
Datum sk_sql_queue_drill(PG_FUNCTION_ARGS) {
    SkJobSlot request;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_DRILL;
    strlcpy(request.drill_label, text_arg_or_empty(fcinfo, 0), sizeof(request.drill_label));
    PG_RETURN_DATUM(queue_and_maybe_wait(&request, PG_ARGISNULL(1) || PG_GETARG_BOOL(1)));
}

/* _queue_disaster_recovery(wait, label, target_dir, port, scenario) -> summary, or the job id */
Datum sk_sql_queue_disaster_recovery(PG_FUNCTION_ARGS) {
    SkJobSlot request;
    SkRestoreParams *r = &request.restore;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_RESTORE;
    strlcpy(r->recovery_type, "disaster", sizeof(r->recovery_type));
    strlcpy(r->label, text_arg_or_empty(fcinfo, 1), sizeof(r->label));
    strlcpy(r->target_dir, text_arg_or_empty(fcinfo, 2), sizeof(r->target_dir));
    r->port = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3);
    strlcpy(r->scenario, text_arg_or_empty(fcinfo, 4), sizeof(r->scenario));
    PG_RETURN_DATUM(queue_and_maybe_wait(&request, PG_ARGISNULL(0) || PG_GETARG_BOOL(0)));
}

/* _queue_verify(label, wal_to_newest, wait) -> summary, or the job id */
Datum sk_sql_queue_verify(PG_FUNCTION_ARGS) {
    SkJobSlot request;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_VERIFY;
    strlcpy(request.verify_label, text_arg_or_empty(fcinfo, 0), sizeof(request.verify_label));
    request.verify_wal_to_newest = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
    PG_RETURN_DATUM(queue_and_maybe_wait(&request, PG_ARGISNULL(2) || PG_GETARG_BOOL(2)));
}

/* _expire(dry_run) -> the plan (jsonb); quick enough to run in the session */
Datum sk_sql_expire(PG_FUNCTION_ARGS) {
    bool dry_run = PG_ARGISNULL(0) || PG_GETARG_BOOL(0);
    char *plan;

    if (!dry_run)
        sk_require_admin("expire backups");
    plan = sk_expire_and_record(dry_run);
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(plan)));
}

/* repository_info(with_wal boolean, repository integer) -> jsonb, read from
 * the repository itself (repository NULL: the first configured one) */
Datum sk_sql_repository_info(PG_FUNCTION_ARGS) {
    bool with_wal = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
    sk_config cfg;
    char stanza[32];
    sk_msg msg;
    char *json;
    Datum result;

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    sk_require_repo();
    if (PG_NARGS() > 1 && !PG_ARGISNULL(1)) {
        sk_require_repo_number(PG_GETARG_INT32(1), "repository");
        cfg.read_repo = PG_GETARG_INT32(1);
    }
    json = sk_repo_info_json(&cfg, with_wal ? 1 : 0, &msg);
    if (json == NULL && cfg.read_repo > 0)
        ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                        errmsg("could not read repository %d: %s", cfg.read_repo, msg.text)));
    if (json == NULL)
        ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                        errmsg("could not read the repository: %s", msg.text)));
    PG_TRY();
    { result = DirectFunctionCall1(jsonb_in, CStringGetDatum(json)); }
    PG_FINALLY();
    { sk_free(json); }
    PG_END_TRY();
    PG_RETURN_DATUM(result);
}

Datum sk_sql_check_target_dir(PG_FUNCTION_ARGS) {
    char *dir = text_arg_or_empty(fcinfo, 0);
    sk_msg msg;

    if (sk_check_target_dir(dir, DataDir, &msg) != SK_OK)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("invalid target_dir: %s", msg.text)));
    PG_RETURN_VOID();
}

/* A server listening only on Unix sockets holds no TCP port: check those too. */
static void check_unix_socket_free(int port) {
    char *dirs = pstrdup(Unix_socket_directories ? Unix_socket_directories : "");
    List *list;
    ListCell *lc;

    if (!SplitDirectoriesString(dirs, ',', &list))
        return;
    foreach (lc, list) {
        char path[MAXPGPATH];
        struct stat st;

        snprintf(path, sizeof(path), "%s/.s.PGSQL.%d", (char *)lfirst(lc), port);
        if (lstat(path, &st) == 0)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("invalid port: port %d is in use", port),
                            errdetail("Socket \"%s\" exists.", path)));
    }
}

Datum sk_sql_check_port_free(PG_FUNCTION_ARGS) {
    int port = PG_GETARG_INT32(0);
    sk_msg msg;

    if (sk_check_port_free(port, &msg) != SK_OK)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid port: %s", msg.text)));
    check_unix_socket_free(port);
    PG_RETURN_VOID();
}

Datum sk_sql_check_repository(PG_FUNCTION_ARGS) {
    sk_config cfg;
    char stanza[32];
    sk_msg msg;

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    sk_require_repo();
    if (sk_check_repo(&cfg, &msg) != SK_OK)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unusable repository: %s", msg.text)));
    PG_RETURN_VOID();
}
