/*
 * logical_api.c - SQL entry points that queue logical backup and restore
 * jobs; 76_logical.sql checks the arguments (labels, databases, tables).
 */
#include "postgres.h"

#include "job_slots.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(sk_sql_queue_logical_backup);
PG_FUNCTION_INFO_V1(sk_sql_queue_logical_restore);

static void copy_text_arg(FunctionCallInfo fcinfo, int n, char *dst, size_t size,
                          const char *what) {
    char *s = PG_ARGISNULL(n) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(n));

    if (strlen(s) >= size)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("%s is too long", what)));
    strlcpy(dst, s, size);
}

/* _queue_logical_backup(wait, schema_only, tables) -> label, or the job id */
Datum sk_sql_queue_logical_backup(PG_FUNCTION_ARGS) {
    SkJobSlot request;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_LOGICAL;
    request.logical.schema_only = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
    copy_text_arg(fcinfo, 2, request.logical.tables, sizeof(request.logical.tables),
                  "the list of tables");
    PG_RETURN_DATUM(sk_queue_and_maybe_wait(&request, PG_ARGISNULL(0) || PG_GETARG_BOOL(0)));
}

/* _queue_logical_restore(wait, label, target_database, tables) -> summary, or the job id */
Datum sk_sql_queue_logical_restore(PG_FUNCTION_ARGS) {
    SkJobSlot request;

    memset(&request, 0, sizeof(request));
    request.kind = SK_JOB_LOGICAL_RESTORE;
    copy_text_arg(fcinfo, 1, request.logical.label, sizeof(request.logical.label), "the label");
    copy_text_arg(fcinfo, 2, request.logical.target_db, sizeof(request.logical.target_db),
                  "the database name");
    copy_text_arg(fcinfo, 3, request.logical.tables, sizeof(request.logical.tables),
                  "the list of tables");
    PG_RETURN_DATUM(sk_queue_and_maybe_wait(&request, PG_ARGISNULL(0) || PG_GETARG_BOOL(0)));
}
