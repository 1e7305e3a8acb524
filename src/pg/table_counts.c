/*
 * table_counts.c - after a backup, count the rows of this database's tables
 * at a restore point, so a restore drill can check them exactly.
 *
 * Exactness under load: in a REPEATABLE READ transaction, a subtransaction
 * takes SHARE locks on the tables (waiting out writers in flight and holding
 * off new ones), fixes the transaction snapshot and writes the restore point;
 * rolling the subtransaction back releases the locks at once.  The snapshot
 * then sees exactly the commits WAL holds before the restore point, for
 * these tables, and the counting runs without blocking anyone.
 * safekeep.drill_row_counts = off skips all of it on large databases.
 */
#include "postgres.h"

#include "settings.h"
#include "job.h"
#include "spi_util.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

typedef struct CountedTable {
    Oid relid;
    char *schema;
    char *name;
} CountedTable;

/* Permanent ordinary tables outside the system schemas and ours. */
static List *user_tables(void) {
    MemoryContext caller = CurrentMemoryContext;
    List *tables = NIL;

    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
    SPI_connect();
    if (SPI_execute("SELECT c.oid, n.nspname, c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'r' AND c.relpersistence = 'p' "
                    "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'safekeep') "
                    "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 2, 3",
                    true, 0) == SPI_OK_SELECT) {
        for (uint64 r = 0; r < SPI_processed; r++) {
            HeapTuple tup = SPI_tuptable->vals[r];
            TupleDesc desc = SPI_tuptable->tupdesc;
            MemoryContext spi = MemoryContextSwitchTo(caller);
            CountedTable *t = palloc(sizeof(CountedTable));

            t->relid = (Oid)strtoul(SPI_getvalue(tup, desc, 1), NULL, 10);
            t->schema = pstrdup(SPI_getvalue(tup, desc, 2));
            t->name = pstrdup(SPI_getvalue(tup, desc, 3));
            tables = lappend(tables, t);
            MemoryContextSwitchTo(spi);
        }
    }
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
    return tables;
}

typedef struct FixArgs {
    List *tables;
    const char *point;
} FixArgs;

static void lock_snapshot_point(void *arg) {
    FixArgs *a = (FixArgs *)arg;
    ListCell *lc;

    foreach (lc, a->tables)
        LockRelationOid(((CountedTable *)lfirst(lc))->relid, ShareLock);
    (void)GetTransactionSnapshot();
    (void)XLogRestorePoint(a->point);
}

/* Why label has no counts: a drill must not pass them off as compared. */
static void note_skipped(const char *label, const char *why) {
    sk_exec_in_xact("UPDATE safekeep.backup_catalog SET row_counts_skipped = $2 WHERE label = $1",
                    2, (const char *[]){label, why});
}

/* Locks, snapshot and restore point in a subtransaction rolled back at once
 * (releasing the locks); NULL on success, else why (also logged as a WARNING)
 * when the locks could not be had within lock_timeout. */
static char *fix_snapshot_at_restore_point(List *tables, const char *point) {
    FixArgs a = {tables, point};
    ErrorData *edata;

    if (sk_in_subxact(lock_snapshot_point, &a, false, &edata))
        return NULL;
    ereport(WARNING,
            (errmsg("pg_safekeep: row counts for restore drills skipped: %s", edata->message)));
    return edata->message;
}

void sk_record_table_counts(const char *label) {
    MemoryContext caller = CurrentMemoryContext;
    List *tables;
    char *point = psprintf("safekeep_%s", label);
    ListCell *lc;
    char *failed;

    if (!sk_drill_row_counts) {
        note_skipped(label, "safekeep.drill_row_counts was off when the backup was taken");
        return;
    }
    tables = user_tables();
    if (tables == NIL || !XLogIsNeeded()) {
        note_skipped(label, tables == NIL ? "the database had no tables to count"
                                          : "wal_level allows no restore point to count at");
        return;
    }
    /* Writers wait for our locks at most this long, and only once. */
    SetConfigOption("lock_timeout", "5000", PGC_SUSET, PGC_S_SESSION);

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    XactIsoLevel = XACT_REPEATABLE_READ;
    failed = fix_snapshot_at_restore_point(tables, point);
    if (failed != NULL) {
        /* The message lives in the transaction's memory: keep a copy. */
        failed = MemoryContextStrdup(caller, failed);
        AbortCurrentTransaction();
        MemoryContextSwitchTo(caller);
        note_skipped(label, psprintf("the tables could not be locked for counting: %s", failed));
        return;
    }
    PushActiveSnapshot(GetTransactionSnapshot());
    SPI_connect();
    foreach (lc, tables) {
        CountedTable *t = (CountedTable *)lfirst(lc);
        Oid types[5] = {TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID};
        Datum values[5];
        int64 rows;

        /* Dropped since it was listed: nothing to count. */
        if (get_rel_name(t->relid) == NULL)
            continue;
        if (SPI_execute(psprintf("SELECT count(*) FROM ONLY %s.%s", quote_identifier(t->schema),
                                 quote_identifier(t->name)),
                        true, 1) != SPI_OK_SELECT)
            elog(ERROR, "pg_safekeep: could not count the rows of %s.%s", t->schema, t->name);
        rows = DatumGetInt64(
            SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){false}));
        values[0] = CStringGetTextDatum(label);
        values[1] = CStringGetTextDatum(t->schema);
        values[2] = CStringGetTextDatum(t->name);
        values[3] = Int64GetDatum(rows);
        values[4] = CStringGetTextDatum(point);
        SPI_execute_with_args("INSERT INTO safekeep.backup_table_counts "
                              "(label, database_name, schema_name, table_name, row_count, "
                              "restore_point) VALUES ($1, current_database(), $2, $3, $4, $5)",
                              5, types, values, NULL, false, 0);
    }
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
}
