/*
 * wal_wait.c - wait until the archiver has shipped a WAL segment.  Used at
 * the end of a backup (pg_backup_stop's own wait sleeps a whole second
 * between checks) and before a recovery to a recent time.
 */
#include "postgres.h"

#include "settings.h"
#include "job.h"
#include "job_slots.h"
#include "spi_util.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

void sk_wait_for_archived(const char *segment) {
    TimestampTz deadline =
        TimestampTzPlusMilliseconds(GetCurrentTimestamp(), (int64)sk_archive_timeout * 1000);

    for (;;) {
        char *last[1];

        /* The archiver ships in name order: reaching segment means it is done. */
        sk_query_in_xact("SELECT last_archived_wal FROM pg_stat_archiver", 0, NULL, last, 1);
        if (last[0] != NULL && strncmp(last[0], segment, 24) >= 0)
            return;
        if (GetCurrentTimestamp() > deadline) {
            char why[SK_MSG_LEN];
            bool failing = sk_last_archive_error(why, sizeof(why));

            ereport(ERROR, (errmsg("WAL segment %s was not archived within %d seconds%s%s", segment,
                                   sk_archive_timeout,
                                   failing ? ": the archiver's last attempt failed: " : "",
                                   failing ? why : ""),
                            errhint("Check pg_stat_archiver and the server log; "
                                    "safekeep.archive_timeout sets this limit.")));
        }
        /* A dead postmaster means no archiver: stop rather than wait it out,
         * by ERROR so the job's clean-up runs (sk_job_failed then exits). */
        if (WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_POSTMASTER_DEATH, 10L,
                      PG_WAIT_EXTENSION) &
            WL_POSTMASTER_DEATH)
            ereport(ERROR, (errmsg("the postmaster died while waiting for WAL segment %s to be "
                                   "archived",
                                   segment)));
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    }
}

/*
 * A commit record (recovery to a time needs a commit after it to stop at),
 * a segment switch, and a wait until the archiver has shipped that segment.
 */
void sk_archive_recent_wal(void) {
    char *row[1];

    sk_query_in_xact("SELECT pg_current_xact_id()::text", 0, NULL, row, 1);
    sk_query_in_xact("SELECT pg_walfile_name(pg_switch_wal())", 0, NULL, row, 1);
    sk_wait_for_archived(row[0]);
}
