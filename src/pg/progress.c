/*
 * progress.c - what running jobs are doing, read from their shared-memory
 * slots: the phase a backup job publishes, the file and byte counts the
 * core's copy publishes, and the rate and time left estimated from them.
 * Feeds safekeep.backup_progress and the NOTICE lines of a waiting call.
 *
 * Phases (README "Monitoring" lists the same): queued (no worker yet),
 * running (a worker has the job but published no phase: a backup until it
 * chose its label; restores, drills, verifications and table recoveries
 * throughout), the backup's checking .. writing manifest, and dumping /
 * restoring for logical jobs.
 */
#include "postgres.h"

#include "job_slots.h"
#include "job.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(sk_sql_job_progress);

void sk_job_phase(SkJobSlot *slot, const char *phase) {
    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    strlcpy(slot->phase, phase, sizeof(slot->phase));
    slot->phase_started_at = GetCurrentTimestamp();
    LWLockRelease(sk_shared->lock);
}

static const char *kind_name(const SkJobSlot *slot) {
    switch (slot->kind) {
    case SK_JOB_BACKUP:
        return slot->backup_type;
    case SK_JOB_RESTORE:
        return slot->restore.recovery_type;
    case SK_JOB_VERIFY:
        return "verify";
    case SK_JOB_TABLE_RECOVERY:
        return "table_recovery";
    case SK_JOB_DRILL:
        return "drill";
    case SK_JOB_LOGICAL:
        return "logical";
    case SK_JOB_LOGICAL_RESTORE:
        return "logical_restore";
    }
    return "unknown";
}

static const char *slot_label(const SkJobSlot *slot) {
    switch (slot->kind) {
    case SK_JOB_BACKUP:
        return slot->label;
    case SK_JOB_RESTORE:
        return slot->restore.label;
    case SK_JOB_VERIFY:
        return slot->verify_label;
    case SK_JOB_TABLE_RECOVERY:
        return slot->table.label;
    case SK_JOB_DRILL:
        return slot->drill_label;
    case SK_JOB_LOGICAL:
        return slot->label;
    case SK_JOB_LOGICAL_RESTORE:
        return slot->logical.label;
    }
    return "";
}

/* Rate over the copy so far; the time left assumes it holds. */
static void estimate(SkJobProgress *p) {
    double secs;
    uint64 left;

    p->bytes_per_second = -1;
    p->seconds_left = -1;
    if (strcmp(p->phase, "copying") != 0 || p->progress.bytes_total == 0)
        return;
    secs = sk_seconds_since(p->phase_started_at);
    if (secs < 0.5 || p->progress.bytes_done == 0)
        return;
    p->bytes_per_second = (double)p->progress.bytes_done / secs;
    left = p->progress.bytes_total > p->progress.bytes_done
               ? p->progress.bytes_total - p->progress.bytes_done
               : 0;
    p->seconds_left = (double)left / p->bytes_per_second;
}

bool sk_job_progress(int slotno, int64 job_id, SkJobProgress *out) {
    SkJobSlot *slot = &sk_shared->slots[slotno];
    bool active;

    memset(out, 0, sizeof(*out));
    LWLockAcquire(sk_shared->lock, LW_SHARED);
    active = (slot->state == SK_SLOT_QUEUED || slot->state == SK_SLOT_RUNNING) &&
             (job_id == 0 || slot->job_id == job_id);
    if (active) {
        out->job_id = slot->job_id;
        strlcpy(out->kind_name, kind_name(slot), sizeof(out->kind_name));
        if (slot->state == SK_SLOT_QUEUED)
            strlcpy(out->phase, "queued", sizeof(out->phase));
        else if (slot->phase[0] != '\0')
            strlcpy(out->phase, slot->phase, sizeof(out->phase));
        else
            strlcpy(out->phase, "running", sizeof(out->phase));
        strlcpy(out->label, slot_label(slot), sizeof(out->label));
        out->userid = slot->userid;
        out->queued_at = slot->queued_at;
        out->phase_started_at = slot->phase_started_at;
        /* The core's threads store these with relaxed atomics: no tearing. */
        out->progress = slot->progress;
    }
    LWLockRelease(sk_shared->lock);
    if (active)
        estimate(out);
    return active;
}

/*
 * _job_progress() -> (job_id, kind, phase, label, requested_by, queued_at,
 *                     phase_started_at, files_done, files_total, bytes_done,
 *                     bytes_total, bytes_per_second, seconds_left): one row per
 * queued or running job.  requested_by comes from the slot, so a queued job
 * (no safekeep.jobs row yet) shows it too; NULL once that role was dropped.
 */
Datum sk_sql_job_progress(PG_FUNCTION_ARGS) {
    ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;

    (void)sk_shared_or_error();
    InitMaterializedSRF(fcinfo, 0);
    for (int i = 0; i < SK_MAX_JOBS; i++) {
        SkJobProgress p;
        Datum values[13];
        bool nulls[13];
        char *who;

        if (!sk_job_progress(i, 0, &p))
            continue;
        memset(nulls, 0, sizeof(nulls));
        values[0] = Int64GetDatum(p.job_id);
        values[1] = CStringGetTextDatum(p.kind_name);
        values[2] = CStringGetTextDatum(p.phase);
        values[3] = CStringGetTextDatum(p.label);
        nulls[3] = p.label[0] == '\0';
        who = OidIsValid(p.userid) ? GetUserNameFromId(p.userid, true) : NULL;
        values[4] = who ? DirectFunctionCall1(namein, CStringGetDatum(who)) : (Datum)0;
        nulls[4] = who == NULL;
        values[5] = TimestampTzGetDatum(p.queued_at);
        nulls[5] = p.queued_at == 0;
        values[6] = TimestampTzGetDatum(p.phase_started_at);
        nulls[6] = p.phase_started_at == 0;
        values[7] = Int64GetDatum((int64)p.progress.files_done);
        values[8] = Int64GetDatum((int64)p.progress.files_total);
        values[9] = Int64GetDatum((int64)p.progress.bytes_done);
        values[10] = Int64GetDatum((int64)p.progress.bytes_total);
        values[11] = Float8GetDatum(p.bytes_per_second);
        nulls[11] = p.bytes_per_second < 0;
        values[12] = Float8GetDatum(p.seconds_left);
        nulls[12] = p.seconds_left < 0;
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}
