/*
 * backup_checks.c - what a backup job checks before pg_backup_start.
 * Long-running transactions and failing WAL archiving are warnings: they go
 * to backup_log (event 'warning'), the server log and the waiting caller's
 * NOTICE, and the backup goes on.  A repository without room for another
 * backup the size of the last full one is an error that stops the backup.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "job.h"
#include "spi_util.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

static char *pretty_size(uint64 bytes) {
    return text_to_cstring(
        DatumGetTextPP(DirectFunctionCall1(pg_size_pretty, Int64GetDatum((int64)bytes))));
}

static void warn(SkJobSlot *slot, const char *label, const char *type, const char *message) {
    const char *args[3];

    args[0] = label;
    args[1] = type;
    args[2] = message;
    sk_exec_in_xact("INSERT INTO safekeep.backup_log (label, backup_type, event, message) "
                    "VALUES ($1, $2, 'warning', $3)",
                    3, args);
    ereport(WARNING, (errmsg("pg_safekeep: backup %s: %s", label, message)));
    /* The waiting caller gets the notice when the backup ends (truncated;
     * backup_log has it whole). */
    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    if (slot->notice[0] != '\0')
        strlcat(slot->notice, "; ", sizeof(slot->notice));
    strlcat(slot->notice, message, sizeof(slot->notice));
    LWLockRelease(sk_shared->lock);
}

/* They hold back vacuum, and writers among them make the row counts for
 * drills wait for their locks. */
static void check_long_transactions(SkJobSlot *slot, const char *label, const char *type) {
    char secs[16];
    const char *args[1];
    char *row[2];

    if (sk_threshold_long_transaction <= 0)
        return;
    snprintf(secs, sizeof(secs), "%d", sk_threshold_long_transaction);
    args[0] = secs;
    if (!sk_query_in_xact(
            "SELECT count(*)::text, string_agg(format('pid %s (user %s, open %s, %s)', pid, "
            "usename, date_trunc('second', now() - xact_start), state), ', ' "
            "ORDER BY xact_start) FILTER (WHERE n <= 5) || CASE WHEN count(*) > 5 "
            "THEN ', ...' ELSE '' END "
            "FROM (SELECT a.*, row_number() OVER (ORDER BY a.xact_start) AS n "
            "FROM pg_stat_activity a WHERE a.backend_type = 'client backend' "
            "AND a.pid <> pg_backend_pid() "
            "AND a.xact_start < now() - make_interval(secs => $1::integer)) s "
            "HAVING count(*) > 0",
            1, args, row, 2))
        return;
    warn(slot, label, type,
         psprintf("%s transaction(s) open longer than %d s (safekeep.threshold_long_transaction): "
                  "%s; they hold back vacuum and can delay the row counts for restore drills",
                  row[0], sk_threshold_long_transaction, row[1]));
}

static void check_archiving(SkJobSlot *slot, const char *label, const char *type) {
    char *row[1];

    if (!sk_query_in_xact(
            "SELECT format('WAL archiving is failing: %s failed at %s (%s failures so far), "
            "last success %s; the backup cannot complete until its WAL is archived', "
            "last_failed_wal, last_failed_time, failed_count, "
            "coalesce(last_archived_wal || ' at ' || last_archived_time, 'never')) "
            "FROM pg_stat_archiver "
            "WHERE last_failed_time > coalesce(last_archived_time, '-infinity')",
            0, NULL, row, 1))
        return;
    warn(slot, label, type, row[0]);
}

/* The last full backup's stored size is what the next one will roughly
 * need; without one there is nothing to go by. */
static void check_free_space(SkJobSlot *slot, const char *label, const char *type) {
    char *row[2];
    uint64 need;
    uint64 avail;
    uint64 total;

    if (!sk_query_in_xact("SELECT label, backup_size::text FROM safekeep.backup_catalog "
                          "WHERE backup_type = 'full' AND status = 'completed' "
                          "AND backup_size IS NOT NULL "
                          "ORDER BY completed_at DESC NULLS LAST, label DESC LIMIT 1",
                          0, NULL, row, 2))
        return;
    need = strtoull(row[1], NULL, 10);
    /* Free space is a question for a local directory; object stores grow. */
    for (int n = 1; n <= SK_MAX_REPOS; n++) {
        const char *path = sk_repo_posix_path(n);

        if (path == NULL || path[0] == '\0')
            continue;
        if (!sk_fs_space(path, &avail, &total)) {
            warn(slot, label, type,
                 psprintf("could not read the free space of repository %d \"%s\": %m", n, path));
            continue;
        }
        if (avail < need)
            ereport(ERROR,
                    (errcode(ERRCODE_DISK_FULL),
                     errmsg("not enough free space in repository %d for a backup: %s free in "
                            "\"%s\", the last full backup (%s) stored %s; remove expired backups "
                            "(safekeep.expire_backups(dry_run => false)) or give the repository "
                            "more space",
                            n, pretty_size(avail), path, row[0], pretty_size(need))));
        if (avail < 2 * need)
            warn(slot, label, type,
                 psprintf("repository %d free space is low: %s free in \"%s\", less than twice "
                          "the %s the last full backup (%s) stored",
                          n, pretty_size(avail), path, pretty_size(need), row[0]));
    }
}

void sk_pre_backup_checks(SkJobSlot *slot, const char *label, const char *backup_type) {
    check_long_transactions(slot, label, backup_type);
    check_archiving(slot, label, backup_type);
    check_free_space(slot, label, backup_type);
}
