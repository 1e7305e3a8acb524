/*
 * spi_util.c - short transactions for processes that run outside a client
 * transaction (launcher, job workers).
 */
#include "postgres.h"

#include "spi_util.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

bool sk_spi_query(const char *sql, int nargs, const char **args, char **out, int nout,
                  MemoryContext result_cxt) {
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
    SPI_connect();
    if (SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0) < 0)
        elog(ERROR, "pg_safekeep: could not run \"%s\"", sql);
    found = SPI_processed > 0 && SPI_tuptable != NULL;
    for (int i = 0; i < nout; i++) {
        char *v = found ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1) : NULL;

        out[i] = v ? MemoryContextStrdup(result_cxt, v) : NULL;
    }
    SPI_finish();
    return found;
}

void sk_exec_in_xact(const char *sql, int nargs, const char **args) {
    (void)sk_query_in_xact(sql, nargs, args, NULL, 0);
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
    bool found;

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, sql);
    found = sk_spi_query(sql, nargs, args, out, nout, caller);
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
    pgstat_report_activity(STATE_IDLE, NULL);
    return found;
}

char *sk_current_database_name(void) {
    MemoryContext caller = CurrentMemoryContext;
    char *name;

    StartTransactionCommand();
    name = MemoryContextStrdup(caller, get_database_name(MyDatabaseId));
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
    return name;
}

bool sk_in_subxact(void (*fn)(void *), void *arg, bool keep, ErrorData **err) {
    MemoryContext cxt = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    volatile bool ok = true;

    if (err != NULL)
        *err = NULL;
    BeginInternalSubTransaction(NULL);
    MemoryContextSwitchTo(cxt);
    PG_TRY();
    {
        fn(arg);
        if (keep)
            ReleaseCurrentSubTransaction();
        else
            RollbackAndReleaseCurrentSubTransaction();
    }
    PG_CATCH();
    {
        ErrorData *edata;

        MemoryContextSwitchTo(cxt);
        edata = CopyErrorData();
        FlushErrorState();
        RollbackAndReleaseCurrentSubTransaction();
        if (err != NULL)
            *err = edata;
        ok = false;
    }
    PG_END_TRY();
    /* Ending the subtransaction leaves its parent's context and owner unset. */
    MemoryContextSwitchTo(cxt);
    CurrentResourceOwner = owner;
    return ok;
}
