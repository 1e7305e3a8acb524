/*
 * spi_util.c - short transactions for processes that run outside a client
 * transaction (launcher, job workers).
 */
#include "safekeep.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

void sk_exec_in_xact(const char *sql, int nargs, const char **args) {
    Oid types[8];
    Datum values[8];
    char nulls[8];

    Assert(nargs <= 8);
    for (int i = 0; i < nargs; i++) {
        types[i] = TEXTOID;
        values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum)0;
        nulls[i] = args[i] ? ' ' : 'n';
    }

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, sql);
    if (SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0) < 0)
        elog(ERROR, "pg_safekeep: could not run \"%s\"", sql);
    PopActiveSnapshot();
    SPI_finish();
    CommitTransactionCommand();
    pgstat_report_activity(STATE_IDLE, NULL);
}

bool sk_extension_exists(void) {
    bool exists;

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    exists = SPI_execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_safekeep'", true, 1) ==
                 SPI_OK_SELECT &&
             SPI_processed > 0;
    PopActiveSnapshot();
    SPI_finish();
    CommitTransactionCommand();
    return exists;
}

bool sk_query_in_xact(const char *sql, int nargs, const char **args, char **out, int nout) {
    MemoryContext caller = CurrentMemoryContext;
    Oid types[8];
    Datum values[8];
    char nulls[8];
    bool found;

    Assert(nargs <= 8);
    for (int i = 0; i < nargs; i++) {
        types[i] = TEXTOID;
        values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum)0;
        nulls[i] = args[i] ? ' ' : 'n';
    }

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, sql);
    if (SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0) < 0)
        elog(ERROR, "pg_safekeep: could not run \"%s\"", sql);
    found = SPI_processed > 0 && SPI_tuptable != NULL;
    for (int i = 0; i < nout; i++) {
        char *v = found ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1) : NULL;

        out[i] = v ? MemoryContextStrdup(caller, v) : NULL;
    }
    PopActiveSnapshot();
    SPI_finish();
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
    pgstat_report_activity(STATE_IDLE, NULL);
    return found;
}
