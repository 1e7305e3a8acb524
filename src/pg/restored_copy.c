/*
 * restored_copy.c - settings for copies restored from SQL, and private
 * scratch copies (drills, table recovery) run through the core's
 * sk_instance: restored into safekeep.scratch_dir, reachable only through a
 * socket directory of this OS user, removed when the job ends.
 */
#include "postgres.h"

#include "settings.h"
#include "job.h"
#include "restored_copy.h"
#include "spi_util.h"

#include <sys/stat.h>

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

/* Appends one setting (copied) to a palloc'd array that grows as needed. */
static void add_setting(sk_setting_list *list, const char *name, const char *value) {
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 32;
        list->items = list->items ? repalloc(list->items, sizeof(sk_setting) * list->cap)
                                  : palloc(sizeof(sk_setting) * list->cap);
    }
    list->items[list->n].name = pstrdup(name);
    list->items[list->n].value = pstrdup(value);
    list->n++;
}

/*
 * Name/value pairs only: the core's configuration writer turns them into
 * lines (quoting, refusing control characters), so no text is built here.
 */
sk_setting_list sk_copy_settings(int port) {
    sk_setting_list list = {NULL, 0, 0};
    char path[MAXPGPATH];
    char name[64];
    struct stat st;

    add_setting(&list, "archive_mode", "off");
    /* No repository: the copy's launcher neither syncs, schedules nor archives. */
    for (int n = 1; n <= SK_MAX_REPOS; n++) {
        snprintf(name, sizeof(name), "safekeep.repo%d_path", n);
        add_setting(&list, name, "");
        snprintf(name, sizeof(name), "safekeep.repo%d_type", n);
        add_setting(&list, name, "");
    }
    add_setting(&list, "safekeep.drill_interval", "0");
    /* A copy runs no launcher: no schedules, scratch cleanup, catalog sync or
     * notifications (it would clean up the very scratch copy it is). */
    add_setting(&list, "safekeep.launcher", "off");
    add_setting(&list, "safekeep.scheduler", "off");
    add_setting(&list, "safekeep.notify_webhook_url", "");
    add_setting(&list, "safekeep.notify_webhook_url_file", "");
    add_setting(&list, "safekeep.smtp_server", "");
    /* pg_ctl -w then returns only once recovery is over and the copy promoted */
    add_setting(&list, "hot_standby", "off");
    if (port > 0) {
        snprintf(name, sizeof(name), "%d", port);
        add_setting(&list, "port", name);
    }

    snprintf(path, sizeof(path), "%s/postgresql.conf", DataDir);
    if (stat(path, &st) != 0) {
        /* Configuration lives outside PGDATA (Debian layout): keep the essentials. */
        const char *sockets = GetConfigOption("unix_socket_directories", false, false);
        const char *preload = GetConfigOption("shared_preload_libraries", false, false);

        add_setting(&list, "unix_socket_directories", sockets ? sockets : "");
        add_setting(&list, "shared_preload_libraries", preload ? preload : "");
    }
    return list;
}

char *sk_dbname_option(const char *option, const char *dbname) {
    StringInfoData buf;

    initStringInfo(&buf);
    appendStringInfo(&buf, "%s=dbname='", option);
    for (const char *c = dbname; *c; c++) {
        if (*c == '\'' || *c == '\\')
            appendStringInfoChar(&buf, '\\');
        appendStringInfoChar(&buf, *c);
    }
    appendStringInfoChar(&buf, '\'');
    return buf.data;
}

char *sk_scratch_root(void) {
    char *parent;
    char *slash;

    if (sk_scratch_dir != NULL && sk_scratch_dir[0] != '\0')
        return pstrdup(sk_scratch_dir);
    parent = pstrdup(DataDir);
    slash = strrchr(parent, '/');
    if (slash != NULL && slash != parent)
        *slash = '\0';
    return psprintf("%s/pg_safekeep_scratch", parent);
}

static char *superuser_name(void) {
    MemoryContext caller = CurrentMemoryContext;
    char *name;
    bool in_xact = IsTransactionState();

    if (!in_xact)
        StartTransactionCommand();
    name = MemoryContextStrdup(caller, GetUserNameFromId(BOOTSTRAP_SUPERUSERID, false));
    if (!in_xact)
        CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
    return name;
}

sk_instance *sk_scratch_start(const char *name, const char *label, const char *target_type,
                              const char *target_value, bool inclusive, int64 target_time_unix,
                              sk_restore_result *res) {
    sk_config cfg;
    char stanza[32];
    char bindir[MAXPGPATH];
    char tool[MAXPGPATH];
    sk_restore_opts ropts;
    sk_instance_opts iopts;
    sk_instance *inst;
    sk_setting_list copy;
    sk_msg msg;

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    sk_require_repo();
    sk_bindir(bindir, sizeof(bindir));
    snprintf(tool, sizeof(tool), "%s/pg_safekeep", bindir);

    memset(&ropts, 0, sizeof(ropts));
    ropts.label = label;
    ropts.target_type = target_type ? target_type : "immediate";
    ropts.target_value = target_value;
    ropts.target_action = "promote";
    ropts.target_inclusive = inclusive ? 1 : 0;
    ropts.target_time_unix = target_time_unix;
    ropts.tool_path = tool;
    ropts.tablespaces_in_place = 1;
    copy = sk_copy_settings(0);
    ropts.extra_settings = copy.items;
    ropts.n_extra_settings = copy.n;

    memset(&iopts, 0, sizeof(iopts));
    iopts.scratch_root = sk_scratch_root();
    iopts.bindir = bindir;
    iopts.name = name;
    iopts.user = superuser_name();
    iopts.port = PostPortNumber;
    iopts.timeout_seconds = sk_restore_timeout;

    memset(res, 0, sizeof(*res));
    inst = sk_instance_start(&cfg, &ropts, &iopts, sk_cancel_requested, res, &msg);
    if (inst != NULL)
        sk_scratch_guard(inst); /* stopped on every exit; free it with sk_scratch_destroy */
    CHECK_FOR_INTERRUPTS();
    if (inst == NULL)
        ereport(ERROR,
                (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                 errmsg("could not restore backup %s into a scratch copy: %s", label, msg.text)));
    return inst;
}

char *sk_scratch_rows(sk_instance *inst, const char *dbname, const char *sql, int nparams,
                      const char **params) {
    char *rows = NULL;
    char *copy;
    sk_msg msg;

    if (sk_instance_query(inst, dbname, sql, nparams, params, &rows, &msg) != SK_OK)
        ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                        errmsg("in the scratch copy: %s", msg.text)));
    copy = pstrdup(rows ? rows : "[]");
    sk_free(rows);
    return copy;
}

char *sk_scratch_value(sk_instance *inst, const char *dbname, const char *sql, int nparams,
                       const char **params) {
    const char *args[1];
    char *out[1];

    args[0] = sk_scratch_rows(inst, dbname, sql, nparams, params);
    sk_query_in_xact("SELECT ($1::jsonb)->0->>0", 1, args, out, 1);
    return out[0];
}

/*
 * Helpers run inside the copy, which is thrown away afterwards.  Their text
 * is constant: names reach them only as parameters.
 */
static const char *const export_table_fn =
    "CREATE OR REPLACE FUNCTION safekeep_scratch.export_table(s name, t name, into_s name, "
    "f text) RETURNS bigint LANGUAGE plpgsql AS $fn$\n"
    "DECLARE rel regclass; kind \"char\"; r record; n bigint;\n"
    "BEGIN\n"
    "  SELECT c.oid, c.relkind INTO rel, kind FROM pg_class c\n"
    "    JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = s AND c.relname = t;\n"
    "  IF rel IS NULL THEN\n"
    "    RAISE EXCEPTION 'table %.% did not exist at the recovery target', quote_ident(s), "
    "quote_ident(t);\n"
    "  END IF;\n"
    "  IF kind <> 'r' OR (SELECT relispartition FROM pg_class WHERE oid = rel) THEN\n"
    "    RAISE EXCEPTION '%.% is not an ordinary table (partitioned tables and partitions "
    "are not recovered alone)', quote_ident(s), quote_ident(t);\n"
    "  END IF;\n"
    /* Constraints and triggers that point at other tables make no sense alone. */
    "  FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = rel AND contype = 'f' LOOP\n"
    "    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel, r.conname);\n"
    "  END LOOP;\n"
    "  FOR r IN SELECT tgname FROM pg_trigger WHERE tgrelid = rel AND NOT tgisinternal LOOP\n"
    "    EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, rel);\n"
    "  END LOOP;\n"
    "  EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', into_s);\n"
    "  EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', into_s, t);\n"
    "  EXECUTE format('ALTER TABLE %s SET SCHEMA %I', rel, into_s);\n"
    "  EXECUTE format('SELECT count(*) FROM ONLY %I.%I', into_s, t) INTO n;\n"
    "  EXECUTE format('COPY %I.%I TO %L WITH (FORMAT binary)', into_s, t, f);\n"
    "  RETURN n;\n"
    "END $fn$";

/* [[schema, table, expected], ...] -> [[schema, table, rows or null if missing], ...] */
static const char *const count_tables_fn =
    "CREATE OR REPLACE FUNCTION safekeep_scratch.count_tables(tables jsonb) RETURNS jsonb "
    "LANGUAGE plpgsql AS $fn$\n"
    "DECLARE e jsonb; n bigint; out jsonb := '[]';\n"
    "BEGIN\n"
    "  FOR e IN SELECT jsonb_array_elements(tables) LOOP\n"
    "    n := NULL;\n"
    "    IF to_regclass(format('%I.%I', e->>0, e->>1)) IS NOT NULL THEN\n"
    "      EXECUTE format('SELECT count(*) FROM ONLY %I.%I', e->>0, e->>1) INTO n;\n"
    "    END IF;\n"
    "    out := out || jsonb_build_array(jsonb_build_array(e->0, e->1, n));\n"
    "  END LOOP;\n"
    "  RETURN out;\n"
    "END $fn$";

void sk_scratch_install_helpers(sk_instance *inst, const char *dbname) {
    (void)sk_scratch_rows(inst, dbname, "CREATE SCHEMA IF NOT EXISTS safekeep_scratch", 0, NULL);
    (void)sk_scratch_rows(inst, dbname, export_table_fn, 0, NULL);
    (void)sk_scratch_rows(inst, dbname, count_tables_fn, 0, NULL);
}
