/*
 * maintenance.c - verification and retention: the core checks or expires,
 * the catalog records the outcome.  Used by the verify job, by the backup job
 * after a success, and (retention) directly by safekeep.expire_backups().
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "job.h"
#include "json_out.h"
#include "spi_util.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

/* Runs one catalog statement: in the caller's transaction when there is one
 * (a SQL call), else in its own (a job worker). */
static char *record(const char *sql, int nargs, const char **args) {
    char *out[1] = {NULL};

    if (!IsTransactionState())
        sk_query_in_xact(sql, nargs, args, out, 1);
    else
        sk_spi_query(sql, nargs, args, out, 1, CurrentMemoryContext);
    return out[0];
}

int sk_verify_and_record(const char *label, bool wal_to_newest) {
    sk_config cfg;
    char stanza[32];
    sk_msg msg;
    char *problems = NULL;
    char *copy;
    const char *args[2];
    char *count;
    int rc;

    /* Every repository (a corrupt object in repo2 is as bad as one in
     * repo1); the catalog decides which of them should hold the backup. */
    sk_fill_config(&cfg, stanza, sizeof(stanza));
    rc = sk_verify_everywhere(&cfg, label, wal_to_newest ? 1 : 0, sk_cancel_requested, &problems,
                              &msg);
    CHECK_FOR_INTERRUPTS();
    if (rc == SK_NOT_FOUND)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("backup \"%s\" does not exist in any repository", label ? label : "")));
    if (rc != SK_OK)
        sk_core_error("verification failed", &msg);
    copy = pstrdup(problems);
    sk_free(problems);

    args[0] = label;
    args[1] = copy;
    count = record("SELECT safekeep.record_verification_everywhere($1, $2::jsonb)", 2, args);
    return count ? atoi(count) : 0;
}

/* Both policies in one: one plan, one catalog update, one notification. */
static char *retention_policy(void) {
    StringInfoData logical;
    StringInfoData policy;

    initStringInfo(&logical);
    sk_json_int(&logical, "count", sk_logical_retention_count);
    sk_json_int(&logical, "days", sk_logical_retention_days);
    initStringInfo(&policy);
    sk_json_int(&policy, "full", sk_retention_full);
    sk_json_int(&policy, "days", sk_retention_days);
    sk_json_int(&policy, "daily", sk_retention_daily);
    sk_json_int(&policy, "weekly", sk_retention_weekly);
    sk_json_int(&policy, "monthly", sk_retention_monthly);
    sk_json_int(&policy, "yearly", sk_retention_yearly);
    sk_json_text(&policy, "wal", sk_wal_retention == 0 ? "all" : "consistent");
    sk_json_raw(&policy, "logical", sk_json_end(&logical));
    return sk_json_end(&policy);
}

char *sk_expire_and_record(bool dry_run) {
    sk_config cfg;
    char stanza[32];
    sk_msg msg;
    char *plan = NULL;
    char *copy;

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    sk_require_repo();
    if (sk_expire(&cfg, retention_policy(), dry_run ? 1 : 0, &plan, &msg) != SK_OK)
        sk_core_error("retention failed", &msg);
    copy = pstrdup(plan);
    sk_free(plan);
    if (!dry_run) {
        const char *args[1] = {copy};

        (void)record("SELECT safekeep.record_expire($1::jsonb)", 1, args);
    }
    return copy;
}

void sk_after_backup(const char *label, void (*steps)(const char *label)) {
    MemoryContext cxt = CurrentMemoryContext;

    PG_TRY();
    { steps(label); }
    PG_CATCH();
    {
        ErrorData *edata;

        MemoryContextSwitchTo(cxt);
        edata = CopyErrorData();
        FlushErrorState();
        AbortOutOfAnyTransaction();
        ereport(WARNING, (errmsg("pg_safekeep: after backup %s: %s", label, edata->message)));
    }
    PG_END_TRY();
}

void sk_expire_after_logical_backup(const char *label) {
    (void)label;
    if (sk_expire_after_backup)
        (void)sk_expire_and_record(false);
}

void sk_run_verify(int slotno) {
    SkJob job;
    char label[64];
    bool wal_to_newest;

    sk_job_init(&job, slotno);
    strlcpy(label, job.slot->verify_label, sizeof(label));
    wal_to_newest = job.slot->verify_wal_to_newest;

    PG_TRY();
    {
        const char *args[2] = {job.job_text, NULL};
        int problems;
        char *summary;

        sk_job_started(&job, "verify");
        problems = sk_verify_and_record(label[0] ? label : NULL, wal_to_newest);
        summary = psprintf("%d problem(s) found", problems);
        args[1] = summary;
        sk_exec_in_xact("SELECT safekeep.job_succeeded($1::bigint, $2)", 2, args);
        sk_slot_finish(slotno, job.job_id, true, summary, NULL);
    }
    PG_CATCH();
    { sk_job_catch(&job); }
    PG_END_TRY();
}
