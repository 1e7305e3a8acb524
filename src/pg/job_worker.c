/*
 * job_worker.c - the dynamic background worker that runs one job, and the
 * full backup job.  The backup calls pg_backup_start/pg_backup_stop through
 * SPI in this session, in short transactions, and the core copies the files
 * between them with no transaction (and no snapshot) open.  If this process
 * dies the session's backup is aborted by PostgreSQL and the launcher marks
 * the job failed.
 */
#include "safekeep.h"

#include <time.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

int sk_cancel_requested(void) {
    /* Only reads flags set by signal handlers: safe from core threads. */
    return (ProcDiePending || QueryCancelPending) ? 1 : 0;
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

    if (kind == SK_JOB_FULL_BACKUP)
        sk_run_full_backup(slotno);
    else if (kind == SK_JOB_RESTORE)
        sk_run_restore(slotno);
    proc_exit(0);
}

static void core_error(const char *what, const sk_msg *msg) {
    ereport(ERROR,
            (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("%s: %s", what, msg->text)));
}

static char *build_result_json(const sk_backup_result *res, const sk_backup_stop *stop) {
    return psprintf("{\"label\":\"%s\",\"backup_file\":\"%s\",\"checksum\":\"%s\","
                    "\"start_wal\":\"%s\",\"stop_wal\":\"%s\",\"timeline\":%u,"
                    "\"file_count\":%llu,\"database_size\":%llu,\"backup_size\":%llu,"
                    "\"start_lsn\":\"%s\",\"stop_lsn\":\"%s\",\"start_time\":%lld,"
                    "\"stop_time\":%lld}",
                    res->label, res->manifest_path, res->manifest_sha256, res->start_wal,
                    res->stop_wal, res->timeline, (unsigned long long)res->file_count,
                    (unsigned long long)res->original_bytes, (unsigned long long)res->stored_bytes,
                    stop->start_lsn, stop->stop_lsn, (long long)stop->start_time,
                    (long long)stop->stop_time);
}

void sk_run_full_backup(int slotno) {
    SkJobSlot *slot = &sk_shared->slots[slotno];
    MemoryContext job_cxt = CurrentMemoryContext;
    int64 job_id = slot->job_id;
    char job_text[32];
    char user_text[32];
    sk_backup *volatile backup = NULL;

    snprintf(job_text, sizeof(job_text), INT64_FORMAT, job_id);
    snprintf(user_text, sizeof(user_text), "%u", slot->userid);

    PG_TRY();
    {
        sk_config cfg;
        char stanza[32];
        sk_msg msg;
        sk_backup_start start;
        sk_backup_stop stop;
        sk_backup_result res;
        const char *args[4];
        char *row[3];
        char *label;

        args[0] = job_text;
        args[1] = "full_backup";
        args[2] = user_text;
        sk_exec_in_xact("SELECT safekeep.job_started($1::bigint, $2, $3::oid)", 3, args);

        sk_fill_config(&cfg, stanza, sizeof(stanza));
        if (cfg.repo1_path[0] == '\0')
            ereport(ERROR, (errmsg("safekeep.repo1_path is not set")));
        start.pgdata = DataDir;
        start.system_id = GetSystemIdentifier();
        start.pg_version = PG_VERSION_NUM;
        start.type = "full";
        backup = sk_backup_begin(&cfg, &start, &msg);
        if (backup == NULL)
            core_error("could not start the backup", &msg);
        label = pstrdup(sk_backup_label(backup));
        LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
        strlcpy(slot->label, label, sizeof(slot->label));
        LWLockRelease(sk_shared->lock);

        args[1] = label;
        args[2] = "full";
        sk_exec_in_xact("SELECT safekeep.backup_started($1::bigint, $2, $3)", 3, args);

        args[0] = label;
        args[1] = sk_start_fast ? "true" : "false";
        sk_query_in_xact("SELECT pg_backup_start($1, $2::boolean)::text", 2, args, row, 1);
        stop.start_lsn = row[0];
        stop.start_time = (int64)time(NULL);

        /* The copy: no transaction open, interrupts polled by the core. */
        {
            int rc = sk_backup_copy(backup, sk_cancel_requested, &slot->progress, &msg);

            CHECK_FOR_INTERRUPTS();
            if (rc != SK_OK)
                core_error("could not copy the data directory", &msg);
        }

        sk_query_in_xact("SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(true)", 0,
                         NULL, row, 3);
        stop.stop_lsn = row[0];
        stop.labelfile = row[1];
        stop.spcmapfile = row[2];
        /* Rounded up: a target time at or after stop_time is past consistency. */
        stop.stop_time = (int64)time(NULL) + 1;
        stop.table_counts = NULL;

        memset(&res, 0, sizeof(res));
        if (sk_backup_finish(backup, &stop, &res, &msg) != SK_OK)
            core_error("could not write the backup manifest", &msg);

        args[0] = job_text;
        args[1] = build_result_json(&res, &stop);
        sk_exec_in_xact("SELECT safekeep.backup_completed($1::bigint, $2::jsonb)", 2, args);
        sk_backup_free(backup);
        backup = NULL;
        sk_slot_finish(slotno, job_id, true, res.label, NULL);
    }
    PG_CATCH();
    {
        ErrorData *edata;
        const char *args[2];

        MemoryContextSwitchTo(job_cxt);
        edata = CopyErrorData();
        FlushErrorState();
        AbortOutOfAnyTransaction();
        ereport(LOG, (errmsg("pg_safekeep job %s failed: %s", job_text, edata->message)));

        if (backup != NULL) {
            sk_backup_abort(backup);
            sk_backup_free(backup);
        }
        /* The session's backup (if started) is aborted when this process exits. */
        args[0] = job_text;
        args[1] = edata->message;
        sk_exec_in_xact("SELECT safekeep.job_failed($1::bigint, $2)", 2, args);
        sk_slot_finish(slotno, job_id, false, NULL, edata->message);
    }
    PG_END_TRY();
}
