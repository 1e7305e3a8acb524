/*
 * restore_job.c - a recovery started from SQL: restore a backup into a new
 * directory, optionally start it on a free port and wait until it has
 * replayed WAL to the target and promoted.  The copy never archives into
 * the live server's repository.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "job.h"
#include "json_out.h"
#include "restored_copy.h"
#include "spi_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/copydir.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* Config files the copy needs when the live server keeps them outside PGDATA. */
static void copy_config_if_missing(const char *target_dir, const char *live_file,
                                   const char *name) {
    char dest[MAXPGPATH];
    struct stat st;

    snprintf(dest, sizeof(dest), "%s/%s", target_dir, name);
    if (stat(dest, &st) == 0 || live_file == NULL || stat(live_file, &st) != 0)
        return;
    copy_file(unconstify(char *, live_file), dest);
}

/* RTO (since the job started) and RPO (from the copy's log) into
 * disaster_recovery_log; returns the one-line verdict. */
static char *record_disaster_figures(const char *job_text, const sk_config *cfg,
                                     const char *log_path, TimestampTz started) {
    sk_recovery_figures fig;
    sk_msg msg;
    StringInfoData json;
    const char *args[2];
    char *out[1];

    memset(&fig, 0, sizeof(fig));
    if (sk_recovery_figures_read(cfg, log_path, &fig, &msg) != SK_OK)
        ereport(WARNING,
                (errmsg("pg_safekeep: could not read the recovery figures: %s", msg.text)));
    initStringInfo(&json);
    sk_json_double(&json, "rto_seconds", sk_seconds_since(started), 3);
    if (fig.has_last_xact)
        sk_json_double(&json, "last_xact_time", fig.last_xact_time, 6);
    if (fig.newest_wal[0])
        sk_json_text(&json, "newest_wal", fig.newest_wal);
    if (fig.has_newest_wal_time)
        sk_json_double(&json, "newest_wal_time", fig.newest_wal_time, 6);
    if (fig.has_rpo)
        sk_json_double(&json, "rpo_seconds", fig.rpo_seconds, 6);
    sk_json_end(&json);
    args[0] = job_text;
    args[1] = json.data;
    sk_query_in_xact("SELECT safekeep.disaster_recovery_finished($1::bigint, $2::jsonb)", 2, args,
                     out, 1);
    return out[0];
}

void sk_run_restore(int slotno) {
    SkJob job;
    SkRestoreParams p;
    const char *job_text;
    char port_text[16];

    sk_job_init(&job, slotno);
    p = job.slot->restore;
    job_text = job.job_text;
    snprintf(port_text, sizeof(port_text), "%d", p.port);

    PG_TRY();
    {
        sk_config cfg;
        char stanza[32];
        char bindir[MAXPGPATH];
        char tool[MAXPGPATH];
        char log_path[MAXPGPATH];
        sk_msg msg;
        sk_restore_opts opts;
        sk_setting_list copy;
        sk_restore_result res;
        const char *args[8];
        char *summary;

        bool disaster = strcmp(p.recovery_type, "disaster") == 0;
        TimestampTz started = GetCurrentTimestamp();

        sk_job_started(&job, disaster ? "disaster_recovery" : "restore");
        args[0] = job_text;
        args[1] = p.recovery_type;
        args[2] = p.label[0] ? p.label : NULL;
        args[3] = p.target_time[0] ? p.target_time : NULL;
        args[4] = p.target_dir;
        args[5] = p.port > 0 ? port_text : NULL;
        sk_exec_in_xact("SELECT safekeep.recovery_started($1::bigint, $2, $3, $4::timestamptz, "
                        "$5, $6::integer)",
                        6, args);

        if (disaster) {
            args[1] = p.scenario;
            args[2] = p.label;
            args[3] = p.target_dir;
            args[4] = port_text;
            sk_exec_in_xact("SELECT safekeep.disaster_recovery_started($1::bigint, $2, $3, $4, "
                            "$5::integer)",
                            5, args);
        }

        if (p.target_time[0] || disaster)
            sk_archive_recent_wal();

        sk_fill_config(&cfg, stanza, sizeof(stanza));
        sk_bindir(bindir, sizeof(bindir));
        snprintf(tool, sizeof(tool), "%s/pg_safekeep", bindir);
        memset(&opts, 0, sizeof(opts));
        opts.pgdata = p.target_dir;
        opts.label = p.label[0] ? p.label : NULL;
        /* Without a target time: the end of the backup (its consistency point);
         * a disaster recovery replays every archived segment. */
        opts.target_type = p.target_time[0] ? "time" : disaster ? NULL : "immediate";
        opts.target_value = p.target_time[0] ? p.target_time : NULL;
        opts.target_action = "promote";
        opts.target_time_unix = p.target_time_unix;
        opts.target_inclusive = 1;
        opts.tool_path = tool;
        opts.tablespaces_in_place = 1; /* never touch the live server's tablespaces */
        copy = sk_copy_settings(p.port);
        opts.extra_settings = copy.items;
        opts.n_extra_settings = copy.n;
        memset(&res, 0, sizeof(res));
        if (sk_restore(&cfg, &opts, sk_cancel_requested, &res, &msg) != SK_OK) {
            CHECK_FOR_INTERRUPTS();
            ereport(ERROR, (errmsg("restore failed: %s", msg.text)));
        }
        args[0] = job_text;
        args[1] = res.label;
        sk_exec_in_xact("SELECT safekeep.recovery_backup_chosen($1::bigint, $2)", 2, args);

        copy_config_if_missing(p.target_dir, GetConfigOption("hba_file", false, false),
                               "pg_hba.conf");
        copy_config_if_missing(p.target_dir, GetConfigOption("ident_file", false, false),
                               "pg_ident.conf");
        snprintf(log_path, sizeof(log_path), "%s/postgresql.conf", p.target_dir);
        if (access(log_path, F_OK) != 0) {
            FILE *f = AllocateFile(log_path, "w");

            if (f == NULL || FreeFile(f) != 0)
                ereport(ERROR, (errcode_for_file_access(),
                                errmsg("could not create \"%s\": %m", log_path)));
        }

        if (p.port > 0) {
            snprintf(log_path, sizeof(log_path), "%s/pg_safekeep_start.log", p.target_dir);
            if (sk_start_server(bindir, p.target_dir, p.port, log_path, sk_restore_timeout, &msg) !=
                SK_OK) {
                CHECK_FOR_INTERRUPTS();
                ereport(ERROR, (errmsg("the restored copy did not start: %s", msg.text)));
            }
            summary = psprintf("restored backup %s into %s; running on port %d", res.label,
                               p.target_dir, p.port);
            if (disaster)
                summary = psprintf("%s; %s", summary,
                                   record_disaster_figures(job_text, &cfg, log_path, started));
        } else
            summary = psprintf("restored backup %s into %s", res.label, p.target_dir);

        args[0] = job_text;
        args[1] = summary;
        sk_exec_in_xact("SELECT safekeep.recovery_finished($1::bigint, NULL, $2)", 2, args);
        sk_slot_finish(slotno, job.job_id, true, summary, NULL);
    }
    PG_CATCH();
    { sk_job_catch(&job); }
    PG_END_TRY();
}
