/*
 * drill_job.c - safekeep.test_backup_recovery(): prove a backup restores.
 * Restore it into a private scratch copy, recover to the restore point the
 * backup job counted rows at (else to the end of the backup), then check:
 * every database accepts connections, pg_amcheck finds nothing, the row
 * counts match (when the backup job recorded any: else the result says they
 * were not compared).  Restore plus recovery time is the measured RTO.  The copy
 * is always removed; safekeep.record_drill() judges and records the result.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "job.h"
#include "json_out.h"
#include "restored_copy.h"
#include "spi_util.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

typedef struct DrillState {
    const char *job_text;
    const char *label;
    TimestampTz started;
    double restore_seconds;
    double recovery_seconds;
} DrillState;

/* [[name, "ok" | error], ...] for every database that allows connections. */
static char *check_databases(sk_instance *inst, const char *dbname) {
    const char *args[1];
    char *names[1];
    StringInfoData out;
    char *list = sk_scratch_rows(
        inst, dbname, "SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1", 0, NULL);
    int count;

    args[0] = list;
    sk_query_in_xact("SELECT jsonb_array_length($1::jsonb)::text", 1, args, names, 1);
    count = atoi(names[0]);
    initStringInfo(&out);
    appendStringInfoChar(&out, '[');
    for (int i = 0; i < count; i++) {
        const char *pair[2];
        char *db[1];
        sk_msg msg;
        char *rows = NULL;
        const char *status;

        pair[0] = list;
        pair[1] = psprintf("%d", i);
        sk_query_in_xact("SELECT ($1::jsonb)->($2::integer)->>0", 2, pair, db, 1);
        status = sk_instance_query(inst, db[0], "SELECT 1", 0, NULL, &rows, &msg) == SK_OK
                     ? "ok"
                     : pstrdup(msg.text);
        sk_free(rows);
        CHECK_FOR_INTERRUPTS();
        pair[0] = db[0];
        pair[1] = status;
        sk_query_in_xact("SELECT jsonb_build_array($1, $2)::text", 2, pair, db, 1);
        appendStringInfo(&out, "%s%s", i > 0 ? "," : "", db[0]);
    }
    appendStringInfoChar(&out, ']');
    return out.data;
}

/* {"exit_code": n, "output": text} of pg_amcheck over every database. */
static char *run_amcheck(sk_instance *inst, const char *dbname) {
    const char *argv[6];
    char *output = NULL;
    int exit_code = 0;
    sk_msg msg;
    const char *args[2];
    char *out[1];
    char code[16];

    argv[0] = "pg_amcheck";
    argv[1] = "--all";
    argv[2] = "--install-missing";
    argv[3] = sk_dbname_option("--maintenance-db", dbname);
    argv[4] = NULL;
    if (sk_instance_run(inst, argv, sk_restore_timeout, sk_cancel_requested, &output, &exit_code,
                        &msg) != SK_OK) {
        CHECK_FOR_INTERRUPTS();
        ereport(ERROR, (errmsg("could not run pg_amcheck: %s", msg.text)));
    }
    snprintf(code, sizeof(code), "%d", exit_code);
    args[0] = code;
    args[1] = output ? output : "";
    sk_query_in_xact("SELECT jsonb_build_object('exit_code', $1::integer, 'output', $2)::text", 2,
                     args, out, 1);
    sk_free(output);
    return out[0];
}

/* [[schema, table, rows or null], ...] in the copy, for the tables planned. */
static char *count_tables(sk_instance *inst, const char *dbname, const char *tables) {
    const char *args[1];
    char *counts;

    sk_scratch_install_helpers(inst, dbname);
    args[0] = tables;
    counts =
        sk_scratch_rows(inst, dbname, "SELECT safekeep_scratch.count_tables($1::jsonb)", 1, args);
    args[0] = counts;
    sk_query_in_xact("SELECT (($1::jsonb)->0->>0)", 1, args, &counts, 1);
    return counts;
}

/* The drill's timings, the start of every report it records. */
static void add_timings(StringInfo report, const DrillState *st) {
    sk_json_double(report, "restore_seconds", st->restore_seconds, 3);
    sk_json_double(report, "recovery_seconds", st->recovery_seconds, 3);
    sk_json_double(report, "duration_seconds", sk_seconds_since(st->started), 3);
}

static void record_failure(const char *error, void *arg) {
    DrillState *st = (DrillState *)arg;
    const char *args[4];
    StringInfoData report;

    initStringInfo(&report);
    add_timings(&report, st);
    args[0] = st->job_text;
    args[1] = st->label;
    args[2] = sk_json_end(&report);
    args[3] = error;
    sk_exec_in_xact("SELECT safekeep.record_drill($1::bigint, $2, $3::jsonb, $4)", 4, args);
}

void sk_run_drill(int slotno) {
    SkJob job;
    const char *job_text;
    char label[64];
    DrillState st;
    sk_instance *volatile inst = NULL;
    volatile bool judged = false; /* record_drill() ran: the failure has its row */

    sk_job_init(&job, slotno);
    job_text = job.job_text;
    strlcpy(label, job.slot->drill_label, sizeof(label));
    memset(&st, 0, sizeof(st));
    st.job_text = job_text;
    st.label = label;
    st.started = GetCurrentTimestamp();

    PG_TRY();
    {
        const char *args[6];
        char *plan[3]; /* restore point, tables, why counts are not compared */
        char *dbname;
        sk_restore_result res;
        char *databases;
        char *amcheck;
        char *counts;
        StringInfoData report;
        char *verdict[2];

        sk_job_started(&job, "drill");
        args[0] = job_text;
        args[1] = "drill";
        args[2] = label;
        args[3] = NULL;
        args[4] = NULL;
        args[5] = NULL;
        sk_exec_in_xact("SELECT safekeep.recovery_started($1::bigint, $2, $3, $4::timestamptz, "
                        "$5, $6::integer)",
                        6, args);
        sk_exec_in_xact("SELECT safekeep.recovery_backup_chosen($1::bigint, $2)", 2,
                        (const char *[]){job_text, label});

        args[0] = label;
        sk_query_in_xact("SELECT p->>'restore_point', (p->'tables')::text, p->>'not_compared' "
                         "FROM safekeep._drill_plan($1) p",
                         1, args, plan, 3);
        dbname = sk_current_database_name();

        /* The restore point lies just past the backup's end: archive it. */
        if (plan[0] != NULL)
            sk_archive_recent_wal();
        inst = sk_scratch_start(psprintf("drill-%s", job_text), label,
                                plan[0] ? "name" : "immediate", plan[0], true, 0, &res);
        st.restore_seconds = sk_instance_restore_seconds(inst);
        st.recovery_seconds = sk_instance_recovery_seconds(inst);

        databases = check_databases(inst, dbname);
        amcheck = run_amcheck(inst, dbname);
        counts = plan[2] == NULL ? count_tables(inst, dbname, plan[1]) : NULL;
        sk_scratch_destroy(inst);
        inst = NULL;

        initStringInfo(&report);
        add_timings(&report, &st);
        sk_json_raw(&report, "databases", databases);
        sk_json_raw(&report, "amcheck", amcheck);
        sk_json_raw(&report, "counts", counts ? counts : "[]");
        args[0] = job_text;
        args[1] = label;
        args[2] = sk_json_end(&report);
        args[3] = NULL;
        sk_query_in_xact("SELECT r->>'passed', r->>'summary' "
                         "FROM safekeep.record_drill($1::bigint, $2, $3::jsonb, $4) r",
                         4, args, verdict, 2);
        judged = true;
        if (strcmp(verdict[0], "true") != 0)
            ereport(ERROR, (errmsg("%s", verdict[1])));
        args[1] = verdict[1];
        sk_exec_in_xact("SELECT safekeep.recovery_finished($1::bigint, NULL, $2)", 2, args);
        sk_slot_finish(slotno, job.job_id, true, verdict[1], NULL);
    }
    PG_CATCH();
    {
        if (inst != NULL)
            sk_scratch_destroy(inst);
        inst = NULL;
        sk_job_failed_with(slotno, job.job_id, job.cxt, judged ? NULL : record_failure, &st);
    }
    PG_END_TRY();
}
