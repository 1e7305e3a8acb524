/*
 * logical_job.c - logical backup and restore jobs: pg_dump / pg_restore run
 * by the core from an argument vector, connecting to this server over its
 * unix socket as the bootstrap superuser (pg_hba.conf must let the server's
 * OS user in that way: peer or trust for local connections).
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "job.h"
#include "spi_util.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

/* Strings that must live as long as the sk_pg_conn. */
typedef struct ConnStrings {
    char bindir[MAXPGPATH];
    char host[MAXPGPATH];
    char user[NAMEDATALEN];
} ConnStrings;

/* The live server's first socket directory, port and bootstrap superuser. */
static void fill_conn(sk_pg_conn *conn, ConnStrings *s, const char *dbname) {
    const char *dirs = GetConfigOption("unix_socket_directories", false, false);
    MemoryContext caller = CurrentMemoryContext;
    char *copy = pstrdup(dirs ? dirs : "");
    List *list = NIL;

    sk_bindir(s->bindir, sizeof(s->bindir));
    if (!SplitDirectoriesString(copy, ',', &list) || list == NIL)
        ereport(ERROR, (errmsg("unix_socket_directories is empty: pg_dump cannot connect"),
                        errhint("Logical backups connect over the local unix socket.")));
    strlcpy(s->host, (char *)linitial(list), sizeof(s->host));
    StartTransactionCommand();
    strlcpy(s->user, GetUserNameFromId(BOOTSTRAP_SUPERUSERID, false), sizeof(s->user));
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
    conn->bindir = s->bindir;
    conn->host = s->host;
    conn->port = PostPortNumber;
    conn->user = s->user;
    conn->dbname = dbname;
}

/* "schema<TAB>table" lines into pg_dump exact patterns and schema.table names. */
static int split_tables(const char *lines, const char ***patterns, const char ***names) {
    char *copy = pstrdup(lines);
    int n = 0;
    int cap = 8;
    char *save = NULL;

    *patterns = palloc(sizeof(char *) * cap);
    *names = palloc(sizeof(char *) * cap);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        StringInfoData pat;

        if (tab == NULL)
            continue;
        *tab = '\0';
        if (n == cap) {
            cap *= 2;
            *patterns = repalloc(*patterns, sizeof(char *) * cap);
            *names = repalloc(*names, sizeof(char *) * cap);
        }
        /* Quoted parts make every pattern character literal. */
        initStringInfo(&pat);
        for (int part = 0; part < 2; part++) {
            const char *s = part == 0 ? line : tab + 1;

            if (part == 1)
                appendStringInfoChar(&pat, '.');
            appendStringInfoChar(&pat, '"');
            for (const char *c = s; *c; c++) {
                if (*c == '"')
                    appendStringInfoChar(&pat, '"');
                appendStringInfoChar(&pat, *c);
            }
            appendStringInfoChar(&pat, '"');
        }
        (*patterns)[n] = pat.data;
        (*names)[n] = psprintf("%s.%s", line, tab + 1);
        n++;
    }
    return n;
}

/* What both logical jobs set up first. */
typedef struct LogicalSetup {
    sk_config cfg;
    char stanza[32];
    sk_pg_conn conn;
    ConnStrings strings;
    const char **patterns; /* pg_dump patterns of the tables asked for */
    const char **names;    /* and their schema.table names */
    int ntables;           /* 0: every table */
} LogicalSetup;

/* Record the job as started, read the settings (a backup needs a
 * repository), and connect to dbname (NULL: this database). */
static void logical_setup(const SkJob *job, const char *kind, bool need_repo, const char *dbname,
                          LogicalSetup *s) {
    s->ntables = split_tables(job->slot->logical.tables, &s->patterns, &s->names);
    sk_job_started(job, kind);
    sk_fill_config(&s->cfg, s->stanza, sizeof(s->stanza));
    if (need_repo)
        sk_require_repo();
    fill_conn(&s->conn, &s->strings, dbname ? dbname : sk_current_database_name());
}

void sk_run_logical_backup(int slotno) {
    SkJob job;
    SkJobSlot *slot;
    bool schema_only;

    sk_job_init(&job, slotno);
    slot = job.slot;
    schema_only = slot->logical.schema_only;
    PG_TRY();
    {
        LogicalSetup s;
        char label[64];
        char *manifest = NULL;
        char *manifest_copy;
        sk_msg msg;
        int rc;
        const char *args[2];

        logical_setup(&job, "logical", true, NULL, &s);
        sk_job_phase(slot, "dumping");
        rc = sk_logical_backup(&s.cfg, GetSystemIdentifier(), &s.conn, schema_only, s.patterns,
                               s.names, s.ntables, sk_cancel_requested, label, &manifest, &msg);
        CHECK_FOR_INTERRUPTS();
        if (rc != SK_OK)
            sk_core_error("logical backup failed", &msg);
        manifest_copy = pstrdup(manifest);
        sk_free(manifest);
        LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
        strlcpy(slot->label, label, sizeof(slot->label));
        LWLockRelease(sk_shared->lock);

        args[0] = job.job_text;
        args[1] = manifest_copy;
        sk_exec_in_xact("SELECT safekeep.logical_backup_completed($1::bigint, $2::jsonb)", 2, args);
        sk_slot_finish(slotno, job.job_id, true, label, NULL);
        sk_after_backup(label, sk_expire_after_logical_backup);
    }
    PG_CATCH();
    { sk_job_catch(&job); }
    PG_END_TRY();
}

void sk_run_logical_restore(int slotno) {
    SkJob job;
    SkLogicalParams p;

    sk_job_init(&job, slotno);
    p = job.slot->logical;
    PG_TRY();
    {
        LogicalSetup s;
        sk_msg msg;
        int rc;
        const char *args[2];
        char *result;

        logical_setup(&job, "logical_restore", false, p.target_db, &s);
        sk_job_phase(job.slot, "restoring");
        rc = sk_logical_restore(&s.cfg, &s.conn, p.label, s.names, s.ntables, sk_cancel_requested,
                                &msg);
        CHECK_FOR_INTERRUPTS();
        if (rc != SK_OK)
            sk_core_error("logical restore failed", &msg);
        result = psprintf("restored logical backup %s into database %s%s", p.label, p.target_db,
                          s.ntables > 0 ? psprintf(" (%d tables)", s.ntables) : "");
        args[0] = job.job_text;
        args[1] = result;
        sk_exec_in_xact("SELECT safekeep.job_succeeded($1::bigint, $2)", 2, args);
        sk_slot_finish(slotno, job.job_id, true, result, NULL);
    }
    PG_CATCH();
    { sk_job_catch(&job); }
    PG_END_TRY();
}
