/*
 * monitor_settings.c - the safekeep.threshold_* settings.  Most are read by
 * safekeep.monitor_backup_performance() from pg_settings; the backup job
 * reads the long-transaction threshold in its pre-backup checks.
 */
#include "postgres.h"

#include "settings.h"

#include "utils/guc.h"

#include <limits.h>

int sk_threshold_long_transaction = 3600;

/* Only SQL reads these, through pg_settings; GUCs still need storage. */
static int threshold_full_backup_duration = 3600;
static int threshold_success_rate = 95;
static int threshold_archive_lag = 300;
static int threshold_archive_backlog = 16;
static int threshold_rpo_exposure = 300;
static int threshold_storage_growth = 50;
static int threshold_drill_rto = 1800;

void sk_define_monitor_settings(void) {
    DefineCustomIntVariable("safekeep.threshold_full_backup_duration",
                            "Duration of the last full backup past which monitoring warns.",
                            "Critical past twice this.", &threshold_full_backup_duration, 3600, 1,
                            INT_MAX, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.threshold_success_rate",
                            "Backup success rate over 30 days (percent) below which monitoring "
                            "warns.",
                            "Critical when failures are twice as frequent as this allows.",
                            &threshold_success_rate, 95, 0, 100, PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.threshold_archive_lag",
                            "Age of the oldest WAL file waiting to be archived past which "
                            "monitoring warns.",
                            "Critical past twice this.", &threshold_archive_lag, 300, 1, INT_MAX,
                            PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.threshold_archive_backlog",
                            "Number of WAL files waiting to be archived past which monitoring "
                            "warns.",
                            "Critical past twice this.", &threshold_archive_backlog, 16, 1, INT_MAX,
                            PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.threshold_rpo_exposure",
                            "Time of changes not yet in the repository past which monitoring "
                            "warns.",
                            "Critical past twice this.", &threshold_rpo_exposure, 300, 1, INT_MAX,
                            PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.threshold_storage_growth",
                            "Growth of the bytes stored by backups, last 7 days against the 7 "
                            "before (percent), past which monitoring warns.",
                            "Critical past twice this.", &threshold_storage_growth, 50, 1, 100000,
                            PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("safekeep.threshold_drill_rto",
                            "RTO measured by the last restore drill past which monitoring warns.",
                            "Critical past twice this, or when the drill failed.",
                            &threshold_drill_rto, 1800, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, NULL,
                            NULL, NULL);
    DefineCustomIntVariable("safekeep.threshold_long_transaction",
                            "Transactions open longer than this make a backup log a warning "
                            "before it starts.",
                            "0 turns the check off.", &sk_threshold_long_transaction, 3600, 0,
                            INT_MAX, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
}
