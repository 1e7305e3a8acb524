/*
 * startup_upkeep.c - makes the catalog truthful after a crash or restart, in
 * a helper worker the launcher starts once (helper_worker.c): jobs and
 * backups left running are failed, half-written backups and any other
 * directory without a manifest are removed (sweep.c), the catalog is brought
 * in step with the repository, scratch copies left behind are removed.  The
 * launcher dispatches no job until this has finished.
 */
#include "postgres.h"

#include "settings.h"
#include "workers.h"
#include "restored_copy.h"
#include "spi_util.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/snapmgr.h"

/* Scratch copies of drills and table recoveries that a crash left behind:
 * stop their servers and remove them. */
static void remove_scratch_copies(void) {
    char bindir[MAXPGPATH];
    sk_msg msg;

    sk_bindir(bindir, sizeof(bindir));
    if (sk_scratch_cleanup(sk_scratch_root(), bindir, &msg) != SK_OK)
        ereport(WARNING, (errmsg("pg_safekeep: %s", msg.text)));
}

/*
 * After a crash or restart: every job and backup still marked running was
 * interrupted.  Mark them failed and remove what they left in the
 * repository; then bring the catalog in step with the repository.
 */
void sk_recover_catalog(void) {
    sk_config cfg;
    char stanza[32];
    MemoryContext oldcxt = CurrentMemoryContext;
    List *labels = NIL;
    ListCell *lc;

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    if (SPI_execute("SELECT label FROM safekeep.backup_catalog WHERE status = 'running'", true,
                    0) == SPI_OK_SELECT) {
        for (uint64 r = 0; r < SPI_processed; r++) {
            char *label = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
            MemoryContext spicxt = MemoryContextSwitchTo(oldcxt);

            labels = lappend(labels, pstrdup(label));
            MemoryContextSwitchTo(spicxt);
        }
    }
    SPI_execute("SELECT safekeep.fail_interrupted_jobs()", false, 0);
    PopActiveSnapshot();
    SPI_finish();
    CommitTransactionCommand();

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    foreach (lc, labels) {
        sk_msg msg;

        if (!sk_any_repo_configured())
            break;
        if (sk_backup_discard_partial(&cfg, (char *)lfirst(lc), &msg) != SK_OK)
            ereport(WARNING, (errmsg("pg_safekeep: %s", msg.text)));
    }
    /* What earlier crashes (or a refused discard) left: partial backups and
     * directories retention did not finish removing. */
    sk_sweep_repositories(-1);

    if (sk_any_repo_configured())
        sk_exec_in_xact("SELECT safekeep.sync_catalog()", 0, NULL);
    remove_scratch_copies();
}
