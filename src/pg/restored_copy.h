/*
 * restored_copy.h - scratch copies restored from SQL and started on a private
 * port (restored_copy.c), removed on every exit (scratch_guard.c).
 */
#ifndef SAFEKEEP_RESTORED_COPY_H
#define SAFEKEEP_RESTORED_COPY_H

#include "postgres.h"

#include "pg_safekeep/capi.h"

/* A scratch copy that is stopped and removed on every exit of this process,
 * including one on postmaster death; free it with sk_scratch_destroy
 * (scratch_guard.c). */
extern void sk_scratch_guard(sk_instance *inst);
extern void sk_scratch_destroy(sk_instance *inst);

/* ---- restored copies (restored_copy.c) ------------------------------------ */
/* Settings (palloc'd) for a copy restored from SQL: no archiving into our
 * repository, no jobs of its own; port 0 = leave the port alone.  The core's
 * configuration writer turns them into postgresql.auto.conf lines. */
typedef struct sk_setting_list {
    sk_setting *items;
    int n;
    int cap;
} sk_setting_list;
extern sk_setting_list sk_copy_settings(int port);
/* "<option>=dbname='<name>'" for a client program's argv: a database name
 * holding '=' would otherwise be read as a connection string. */
extern char *sk_dbname_option(const char *option, const char *dbname);
/* Where scratch copies go: safekeep.scratch_dir, else beside the data directory. */
extern char *sk_scratch_root(void);
/* Restore label into a private scratch copy and start it, recovering to the
 * target (type NULL: the end of the backup); ERROR on failure. */
extern sk_instance *sk_scratch_start(const char *name, const char *label, const char *target_type,
                                     const char *target_value, bool inclusive,
                                     int64 target_time_unix, sk_restore_result *res);
/* First column of the first row of a query in the copy (NULL: none or NULL). */
extern char *sk_scratch_value(sk_instance *inst, const char *dbname, const char *sql, int nparams,
                              const char **params);
/* All rows of a query in the copy as JSON text: [[col, ...], ...]. */
extern char *sk_scratch_rows(sk_instance *inst, const char *dbname, const char *sql, int nparams,
                             const char **params);
/* Create the copy's helper functions (schema safekeep_scratch) in dbname. */
extern void sk_scratch_install_helpers(sk_instance *inst, const char *dbname);

#endif
