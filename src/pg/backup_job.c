/*
 * backup_job.c - a physical backup (full, incremental or differential), run
 * in a job worker.  pg_backup_start/pg_backup_stop go through SPI in this
 * session, in short transactions; the core copies the files between them
 * with no transaction (and no snapshot) open.  If this process dies, the
 * session's backup is aborted by PostgreSQL and the launcher marks the job
 * failed.  After a success: verification and retention, as configured.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "workers.h"
#include "job.h"
#include "json_out.h"
#include "spi_util.h"

#include <time.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

/* The result for safekeep.backup_completed(); the manifest path holds the
 * repository path, which may hold '"' or '\\'. */
static char *result_json(const sk_backup_result *res, const sk_backup_stop *stop) {
    StringInfoData json;

    initStringInfo(&json);
    sk_json_text(&json, "label", res->label);
    sk_json_text(&json, "type", res->type);
    sk_json_text(&json, "prior", res->prior);
    sk_json_text(&json, "backup_file", res->manifest_path);
    sk_json_text(&json, "checksum", res->manifest_sha256);
    sk_json_text(&json, "start_wal", res->start_wal);
    sk_json_text(&json, "stop_wal", res->stop_wal);
    sk_json_uint(&json, "timeline", res->timeline);
    sk_json_uint(&json, "file_count", res->file_count);
    sk_json_uint(&json, "changed_files", res->changed_files);
    sk_json_uint(&json, "database_size", res->original_bytes);
    sk_json_uint(&json, "backup_size", res->stored_bytes);
    sk_json_uint(&json, "copied_bytes", res->copied_bytes);
    sk_json_text(&json, "start_lsn", stop->start_lsn);
    sk_json_text(&json, "stop_lsn", stop->stop_lsn);
    sk_json_int(&json, "start_time", stop->start_time);
    sk_json_int(&json, "stop_time", stop->stop_time);
    /* Built by the core's JSON library: already JSON. */
    sk_json_raw(&json, "repositories", res->repositories[0] ? res->repositories : "[]");
    return sk_json_end(&json);
}

static void publish_label(SkJobSlot *slot, const char *label, const char *notice) {
    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    strlcpy(slot->label, label, sizeof(slot->label));
    strlcpy(slot->notice, notice, sizeof(slot->notice));
    LWLockRelease(sk_shared->lock);
}

/* Copy between pg_backup_start and pg_backup_stop; fills stop. */
static void take_backup(sk_backup *backup, SkJobSlot *slot, const char *label,
                        sk_backup_stop *stop) {
    const char *args[2];
    char *row[4];
    sk_msg msg;
    int rc;

    args[0] = label;
    args[1] = sk_start_fast ? "true" : "false";
    sk_job_phase(slot, "starting"); /* pg_backup_start's checkpoint */
    sk_query_in_xact("SELECT pg_backup_start($1, $2::boolean)::text", 2, args, row, 1);
    stop->start_lsn = row[0];
    stop->start_time = (int64)time(NULL);

    sk_job_phase(slot, "copying");
    rc = sk_backup_copy(backup, sk_cancel_requested, &slot->progress, &msg);
    CHECK_FOR_INTERRUPTS();
    if (rc != SK_OK)
        sk_core_error("could not copy the data directory", &msg);

    /* PostgreSQL's own wait for the archive polls once a second: wait here. */
    sk_job_phase(slot, "stopping");
    sk_query_in_xact("SELECT lsn::text, labelfile, spcmapfile, pg_walfile_name(lsn) "
                     "FROM pg_backup_stop(false)",
                     0, NULL, row, 4);
    sk_job_phase(slot, "archiving");
    sk_wait_for_archived(row[3]);
    stop->stop_lsn = row[0];
    stop->labelfile = row[1];
    stop->spcmapfile = row[2];
    /* Rounded up: a target time at or after stop_time is past consistency. */
    stop->stop_time = (int64)time(NULL) + 1;
    stop->table_counts = NULL;
}

/* Row counts for drills, verification and retention after a success. */
static void after_backup_steps(const char *label) {
    sk_record_table_counts(label);
    if (sk_verify_after_backup)
        sk_verify_and_record(label, false);
    if (sk_expire_after_backup)
        (void)sk_expire_and_record(false);
}

void sk_run_backup(int slotno) {
    SkJob job;
    SkJobSlot *slot;
    char requested_type[16];
    sk_backup *volatile backup = NULL;

    sk_job_init(&job, slotno);
    slot = job.slot;
    strlcpy(requested_type, slot->backup_type, sizeof(requested_type));

    PG_TRY();
    {
        sk_config cfg;
        char stanza[32];
        sk_msg msg;
        sk_backup_start start;
        sk_backup_stop stop;
        sk_backup_result res;
        const char *args[5];
        char *row[1];
        char *label;

        sk_job_started(&job, psprintf("%s_backup", requested_type));

        sk_fill_config(&cfg, stanza, sizeof(stanza));
        /* Archiving and the repository are checked here, not by the caller,
         * so a refusal is a recorded failed backup (job_failed). */
        sk_exec_in_xact("SELECT safekeep._check_archiving()", 0, NULL);
        /* Leftovers of earlier failures go before this backup takes a label. */
        sk_sweep_repositories(slotno);
        /* Labels of discarded (failed) backups live on only in the catalog:
         * the one with the newest own stamp (its last 16 characters).  Rows of
         * attempts that failed before they had a label ("failed-job-N") hold
         * no stamp. */
        sk_query_in_xact("SELECT split_part(label, '~', 1) FROM safekeep.backup_catalog "
                         "WHERE backup_type <> 'logical' AND label ~ '^[0-9]{8}-[0-9]{6}F' "
                         "ORDER BY right(split_part(label, '~', 1), 16) DESC LIMIT 1",
                         0, NULL, row, 1);
        memset(&start, 0, sizeof(start));
        start.label_after = row[0];
        start.pgdata = DataDir;
        start.system_id = GetSystemIdentifier();
        start.pg_version = PG_VERSION_NUM;
        start.type = requested_type;
        start.timeline = GetWALInsertionTimeLine();
        start.fallback_full = 1;
        backup = sk_backup_begin(&cfg, &start, &msg);
        if (backup == NULL)
            sk_core_error("could not start the backup", &msg);
        label = pstrdup(sk_backup_label(backup));
        publish_label(slot, label, sk_backup_notice(backup));

        args[0] = job.job_text;
        args[1] = label;
        args[2] = sk_backup_type(backup);
        args[3] = sk_backup_prior(backup)[0] ? sk_backup_prior(backup) : NULL;
        args[4] = sk_backup_notice(backup)[0] ? sk_backup_notice(backup) : NULL;
        sk_exec_in_xact("SELECT safekeep.backup_started($1::bigint, $2, $3, $4, $5)", 5, args);

        sk_job_phase(slot, "checking");
        sk_pre_backup_checks(slot, label, sk_backup_type(backup));
        take_backup(backup, slot, label, &stop);

        memset(&res, 0, sizeof(res));
        sk_job_phase(slot, "writing manifest");
        if (sk_backup_finish(backup, &stop, &res, &msg) != SK_OK)
            sk_core_error("could not write the backup manifest", &msg);

        args[0] = job.job_text;
        args[1] = result_json(&res, &stop);
        sk_exec_in_xact("SELECT safekeep.backup_completed($1::bigint, $2::jsonb)", 2, args);
        sk_backup_free(backup);
        backup = NULL;
        /* The caller gets the label now; checks and retention follow. */
        sk_slot_finish(slotno, job.job_id, true, res.label, NULL);
        sk_after_backup(res.label, after_backup_steps);
    }
    PG_CATCH();
    {
        /* Nothing of a backup without a manifest may stay in the repository;
         * the session's backup (if started) is aborted when this process exits. */
        if (backup != NULL) {
            sk_backup_abort(backup);
            sk_backup_free(backup);
        }
        sk_job_catch(&job);
    }
    PG_END_TRY();
}
