/*
 * sql_api.c - SQL-callable C functions.  The user-facing functions are
 * PL/pgSQL in sql/pg_safekeep--*.sql (validation with clear messages); they
 * call these for what needs the core or shared memory.
 */
#include "safekeep.h"

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

PG_FUNCTION_INFO_V1(sk_sql_queue_job);
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
        pg_usleep(100 * 1000L);
        CHECK_FOR_INTERRUPTS();
    }
}

/* Claim a free slot and hand it to the launcher.  Returns the slot number. */
static int queue_job(SkJobKind kind, bool wait, const SkRestoreParams *restore, int64 *job_id) {
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
    if (kind == SK_JOB_FULL_BACKUP && sh->backup_running) {
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
        slot->kind = kind;
        slot->dboid = MyDatabaseId;
        slot->userid = GetUserId();
        slot->waiter = wait ? MyProc : NULL;
        slot->waiter_gone = !wait;
        if (restore)
            slot->restore = *restore;
    }
    if (kind == SK_JOB_FULL_BACKUP)
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

static void report_progress(const SkJobSlot *slot, TimestampTz *last) {
    TimestampTz now = GetCurrentTimestamp();
    sk_progress p = slot->progress;

    if (!TimestampDifferenceExceeds(*last, now, 10000) || p.bytes_total == 0)
        return;
    *last = now;
    ereport(NOTICE,
            (errmsg("job " INT64_FORMAT ": %llu of %llu files, %llu of %llu MB", slot->job_id,
                    (unsigned long long)p.files_done, (unsigned long long)p.files_total,
                    (unsigned long long)(p.bytes_done >> 20),
                    (unsigned long long)(p.bytes_total >> 20))));
}

/* Wait for the job's result; ERROR with the job's error if it failed. */
static char *wait_for_job(int slotno, int64 job_id) {
    SkJobSlot *slot = &sk_shared->slots[slotno];
    TimestampTz last_report = GetCurrentTimestamp();
    bool success = false;
    char result[sizeof(slot->result)];
    char error[sizeof(slot->error)];

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
            }
            LWLockRelease(sk_shared->lock);
            if (done)
                break;
            report_progress(slot, &last_report);
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
    if (!success)
        ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                        errmsg("pg_safekeep job " INT64_FORMAT " failed: %s", job_id, error),
                        errhint("See safekeep.jobs and safekeep.backup_log.")));
    return pstrdup(result);
}

/*
 * _queue_job(kind, wait, label, target_dir, target_time text, target_time_unix,
 *            port, recovery_type) -> label/result, or the job id with wait => false
 */
Datum sk_sql_queue_job(PG_FUNCTION_ARGS) {
    char *kind_name = text_arg_or_empty(fcinfo, 0);
    bool wait = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
    SkRestoreParams restore;
    SkJobKind kind;
    int64 job_id;
    int slotno;

    sk_require_admin("run pg_safekeep jobs");
    memset(&restore, 0, sizeof(restore));
    if (strcmp(kind_name, "full_backup") == 0)
        kind = SK_JOB_FULL_BACKUP;
    else if (strcmp(kind_name, "restore") == 0) {
        kind = SK_JOB_RESTORE;
        strlcpy(restore.label, text_arg_or_empty(fcinfo, 2), sizeof(restore.label));
        strlcpy(restore.target_dir, text_arg_or_empty(fcinfo, 3), sizeof(restore.target_dir));
        strlcpy(restore.target_time, text_arg_or_empty(fcinfo, 4), sizeof(restore.target_time));
        restore.target_time_unix = PG_ARGISNULL(5) ? 0 : (int64)PG_GETARG_FLOAT8(5);
        restore.port = PG_ARGISNULL(6) ? 0 : PG_GETARG_INT32(6);
        strlcpy(restore.recovery_type, text_arg_or_empty(fcinfo, 7), sizeof(restore.recovery_type));
    } else
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unknown job kind \"%s\"", kind_name)));

    slotno = queue_job(kind, wait, &restore, &job_id);
    if (!wait)
        PG_RETURN_TEXT_P(cstring_to_text(psprintf(INT64_FORMAT, job_id)));
    PG_RETURN_TEXT_P(cstring_to_text(wait_for_job(slotno, job_id)));
}

/* repository_info(with_wal boolean) -> jsonb, read from the repository itself */
Datum sk_sql_repository_info(PG_FUNCTION_ARGS) {
    bool with_wal = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
    sk_config cfg;
    char stanza[32];
    sk_msg msg;
    char *json;
    Datum result;

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    if (cfg.repo1_path[0] == '\0')
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("safekeep.repo1_path is not set")));
    json = sk_repo_info_json(&cfg, with_wal ? 1 : 0, &msg);
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
    if (cfg.repo1_path[0] == '\0')
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("safekeep.repo1_path is not set"),
                 errhint("Set it in postgresql.conf and reload.")));
    if (sk_check_repo(&cfg, &msg) != SK_OK)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unusable repository: %s", msg.text)));
    PG_RETURN_VOID();
}
