/*
 * table_recovery_job.c - safekeep.recover_table(): restore a backup into a
 * private scratch copy, replay WAL to the target, move the table into
 * into_schema there, dump its definition (pg_dump, argument vector) and its
 * rows (binary COPY file), and create it in this database in one
 * transaction, so a failure anywhere changes nothing here.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "job.h"
#include "restored_copy.h"
#include "spi_util.h"

#include <sys/stat.h>

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

/* pg_dump -t pattern matching exactly schema.table (quotes make every
 * pattern character literal; a quote inside is doubled). */
static char *exact_pattern(const char *schema, const char *table) {
    StringInfoData buf;
    const char *parts[2] = {schema, table};

    initStringInfo(&buf);
    for (int i = 0; i < 2; i++) {
        if (i > 0)
            appendStringInfoChar(&buf, '.');
        appendStringInfoChar(&buf, '"');
        for (const char *c = parts[i]; *c; c++) {
            if (*c == '"')
                appendStringInfoChar(&buf, '"');
            appendStringInfoChar(&buf, *c);
        }
        appendStringInfoChar(&buf, '"');
    }
    return buf.data;
}

/* One pg_dump section of the table into file. */
static void dump_section(sk_instance *inst, const char *dbname, const char *pattern,
                         const char *section, const char *file) {
    const char *argv[12];
    int n = 0;
    char *output = NULL;
    int exit_code = 0;
    sk_msg msg;
    int rc;

    argv[n++] = "pg_dump";
    argv[n++] = psprintf("--section=%s", section);
    argv[n++] = "--no-owner";
    argv[n++] = "--no-privileges";
    argv[n++] = psprintf("--table=%s", pattern);
    if (strcmp(section, "data") == 0) /* sequence values only: rows go by COPY */
        argv[n++] = psprintf("--exclude-table-data=%s", pattern);
    argv[n++] = psprintf("--file=%s", file);
    argv[n++] = sk_dbname_option("--dbname", dbname);
    argv[n] = NULL;
    rc = sk_instance_run(inst, argv, sk_restore_timeout, sk_cancel_requested, &output, &exit_code,
                         &msg);
    CHECK_FOR_INTERRUPTS();
    if (rc != SK_OK)
        ereport(ERROR, (errmsg("could not run pg_dump in the scratch copy: %s", msg.text)));
    if (exit_code != 0) {
        char *text = pstrdup(output ? output : "");

        sk_free(output);
        ereport(ERROR, (errmsg("pg_dump of the table's %s failed (exit code %d): %s", section,
                               exit_code, text)));
    }
    sk_free(output);
}

static char *read_text_file(const char *path) {
    FILE *f = AllocateFile(path, PG_BINARY_R);
    StringInfoData buf;
    char chunk[8192];
    size_t n;

    if (f == NULL)
        ereport(ERROR, (errcode_for_file_access(), errmsg("could not open \"%s\": %m", path)));
    initStringInfo(&buf);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        appendBinaryStringInfo(&buf, chunk, (int)n);
    if (ferror(f))
        ereport(ERROR, (errcode_for_file_access(), errmsg("could not read \"%s\": %m", path)));
    FreeFile(f);
    return buf.data;
}

/*
 * pg_dump (15.14 on) brackets its script with psql meta-commands
 * (\\restrict KEY ... \\unrestrict KEY) that only psql understands: blank them.
 */
static void strip_restrict_lines(char *script) {
    char *line = script;

    while (line != NULL && *line != '\0') {
        char *end = strchr(line, '\n');

        if (strncmp(line, "\\restrict ", 10) == 0 || strncmp(line, "\\unrestrict ", 12) == 0)
            memset(line, ' ', end ? (size_t)(end - line) : strlen(line));
        line = end ? end + 1 : NULL;
    }
}

/* A pg_dump script, ready for SPI. */
static char *read_dump(const char *path) {
    char *script = read_text_file(path);

    strip_restrict_lines(script);
    return script;
}

static void spi_exec(const char *sql) {
    if (SPI_execute(sql, false, 0) < 0)
        elog(ERROR, "pg_safekeep: could not run \"%.200s\"", sql);
}

/*
 * Create the table here from the dumped definition and load its rows, all
 * in one transaction that also records the result.  figures: the start of a
 * JSON object, completed here with the RTO (until the table is ready).
 * Returns the rows loaded.
 */
static uint64 create_here(const SkTableParams *t, const char *workdir, uint64 expected_rows,
                          const char *job_text, const char *figures, TimestampTz started) {
    const char *qinto = quote_identifier(t->into_schema);
    const char *qtable = quote_identifier(t->table);
    char *pre = read_dump(psprintf("%s/pre.sql", workdir));
    char *seq = read_dump(psprintf("%s/sequences.sql", workdir));
    char *post = read_dump(psprintf("%s/post.sql", workdir));
    char *data_file = psprintf("%s/table.copy", workdir);
    MemoryContext caller = CurrentMemoryContext;
    const char *args[3];
    uint64 loaded;
    char *out[1];

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
    SPI_connect();
    spi_exec(psprintf("CREATE SCHEMA IF NOT EXISTS %s", qinto));
    if (t->replace)
        spi_exec(psprintf("DROP TABLE IF EXISTS %s.%s", qinto, qtable));
    spi_exec(pre);
    spi_exec(seq);
    spi_exec(psprintf("COPY %s.%s FROM %s WITH (FORMAT binary)", qinto, qtable,
                      quote_literal_cstr(data_file)));
    loaded = SPI_processed;
    if (loaded != expected_rows)
        ereport(ERROR,
                (errmsg("loaded " UINT64_FORMAT " rows of %s.%s, but the copy held " UINT64_FORMAT,
                        loaded, qinto, qtable, expected_rows)));
    spi_exec(post);
    SPI_finish();

    args[0] = job_text;
    args[1] = psprintf("recovered %s.%s into %s.%s: " UINT64_FORMAT " rows",
                       quote_identifier(t->schema), qtable, qinto, qtable, loaded);
    args[2] = psprintf("%s, \"rto_seconds\": %.3f}", figures, sk_seconds_since(started));
    (void)sk_spi_query("SELECT safekeep.table_recovery_finished($1::bigint, $2, $3::jsonb)", 3,
                       args, out, 0, CurrentMemoryContext);
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
    return loaded;
}

static char *json_details(const SkTableParams *t, const char *label) {
    const char *args[6];
    char *out[1];

    args[0] = t->target_type;
    args[1] = t->target_value;
    args[2] = t->inclusive ? "true" : "false";
    args[3] = t->into_schema;
    args[4] = label;
    args[5] = t->replace ? "true" : "false";
    sk_query_in_xact("SELECT jsonb_build_object('target_type', $1, 'target_value', $2, "
                     "'target_inclusive', $3::boolean, 'into_schema', $4, 'backup', $5, "
                     "'replace', $6::boolean)::text",
                     6, args, out, 1);
    return out[0];
}

void sk_run_table_recovery(int slotno) {
    SkJob job;
    SkTableParams t;
    const char *job_text;
    sk_instance *volatile inst = NULL;

    sk_job_init(&job, slotno);
    t = job.slot->table;
    job_text = job.job_text;

    PG_TRY();
    {
        TimestampTz started = GetCurrentTimestamp();
        const char *args[5];
        char *qualified = psprintf("%s.%s", quote_identifier(t.schema), quote_identifier(t.table));
        char *dbname = sk_current_database_name();
        sk_restore_result res;
        const char *workdir;
        char *pattern;
        char *rows_text;
        const char *export_args[4];
        uint64 expected;
        uint64 loaded;
        char *result;
        char *figures;

        sk_job_started(&job, "table_recovery");
        args[0] = job_text;
        args[1] = t.label;
        args[2] = t.target_time;
        args[3] = qualified;
        args[4] = json_details(&t, t.label);
        sk_exec_in_xact("SELECT safekeep.table_recovery_started($1::bigint, $2, $3::timestamptz, "
                        "$4, $5::jsonb)",
                        5, args);

        sk_archive_recent_wal();
        inst = sk_scratch_start(psprintf("table-%s", job_text), t.label, t.target_type,
                                t.target_value, t.inclusive, t.target_time_unix, &res);
        sk_scratch_install_helpers(inst, dbname);
        workdir = sk_instance_workdir(inst);

        export_args[0] = t.schema;
        export_args[1] = t.table;
        export_args[2] = t.into_schema;
        export_args[3] = psprintf("%s/table.copy", workdir);
        rows_text = sk_scratch_value(
            inst, dbname, "SELECT safekeep_scratch.export_table($1, $2, $3, $4)", 4, export_args);
        expected = rows_text ? strtoull(rows_text, NULL, 10) : 0;

        pattern = exact_pattern(t.into_schema, t.table);
        dump_section(inst, dbname, pattern, "pre-data", psprintf("%s/pre.sql", workdir));
        dump_section(inst, dbname, pattern, "data", psprintf("%s/sequences.sql", workdir));
        dump_section(inst, dbname, pattern, "post-data", psprintf("%s/post.sql", workdir));

        figures = psprintf("{\"rows\": " UINT64_FORMAT ", \"restore_seconds\": %.3f, "
                           "\"recovery_seconds\": %.3f",
                           expected, sk_instance_restore_seconds(inst),
                           sk_instance_recovery_seconds(inst));
        loaded = create_here(&t, workdir, expected, job_text, figures, started);

        sk_scratch_destroy(inst);
        inst = NULL;
        result = psprintf(
            "recovered %s into %s.%s: " UINT64_FORMAT " rows as of %s (backup %s) in %.1f s",
            qualified, quote_identifier(t.into_schema), quote_identifier(t.table), loaded,
            strcmp(t.target_type, "xid") == 0
                ? psprintf("just before transaction %s", t.target_value)
            : strcmp(t.target_type, "name") == 0 ? psprintf("restore point \"%s\"", t.target_value)
                                                 : t.target_value,
            t.label, sk_seconds_since(started));
        sk_slot_finish(slotno, job.job_id, true, result, NULL);
    }
    PG_CATCH();
    {
        /* The copy goes whatever happened; the core call cannot longjmp. */
        if (inst != NULL)
            sk_scratch_destroy(inst);
        inst = NULL;
        sk_job_catch(&job);
    }
    PG_END_TRY();
}
