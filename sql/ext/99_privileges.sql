-- ---------------------------------------------------------------------------
-- Privileges: who may call what (README "Privileges" has the same table, and
-- test/t/021_privileges.pl calls every function as every role).
--
-- - PUBLIC (any login role): check_backup_health() only.
-- - pg_monitor (Grafana): reads every table and view, repository_info(),
--   repository_space(), monitor_backup_performance().
-- - safekeep_admin: every user function.  Entry points that write the
--   catalog run with definer rights (SECURITY DEFINER, search_path pinned
--   to pg_catalog, pg_temp); the EXECUTE grant is the gate.
-- - Internal helpers (the launcher's and job workers' bookkeeping, the
--   _queue_* C functions behind the entry points) are granted to nobody,
--   except the few that recover_table() and create_logical_backup() call:
--   those two run with the caller's rights because they resolve the
--   caller's table names on the caller's search_path.
-- ---------------------------------------------------------------------------

-- Usage for all, so a denied call names the function rather than the schema.
-- Nobody but the extension's owner may create objects in it: every function
-- names safekeep.* objects, and a planted one would run with definer rights.
GRANT USAGE ON SCHEMA safekeep TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA safekeep TO pg_monitor, safekeep_admin;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA safekeep FROM PUBLIC;

GRANT EXECUTE ON FUNCTION safekeep.check_backup_health() TO PUBLIC;

-- _job_progress(): the backup_progress view calls it, and a view's function
-- calls are checked against the reader.
GRANT EXECUTE ON FUNCTION safekeep.repository_info(boolean, integer), safekeep.repositories(),
                          safekeep._repository_info_or_error(integer),
                          safekeep.repository_space(),
                          safekeep.monitor_backup_performance(),
                          safekeep._job_progress()
      TO pg_monitor, safekeep_admin;

GRANT EXECUTE ON FUNCTION safekeep.create_full_backup(boolean),
                          safekeep.create_incremental_backup(boolean),
                          safekeep.create_differential_backup(boolean),
                          safekeep.verify_backup(text, boolean, boolean),
                          safekeep.expire_backups(boolean),
                          safekeep.sync_catalog(),
                          safekeep.point_in_time_recovery(timestamptz, text, text, integer, boolean),
                          safekeep.recover_full_database(text, text, integer, boolean),
                          safekeep.recover_table(text, timestamptz, text, text, boolean, text,
                                                 boolean),
                          safekeep.create_restore_point(text),
                          safekeep.test_backup_recovery(text, boolean),
                          safekeep.automated_disaster_recovery(text, integer,
                                                               safekeep.disaster_scenario, boolean),
                          safekeep.create_logical_backup(boolean, text[], boolean),
                          safekeep.restore_logical_backup(text, text, text[], boolean),
                          safekeep.rotate_encryption_key(integer, text),
                          safekeep.add_schedule(text, text, text, boolean, integer),
                          safekeep.alter_schedule(text, text, text, boolean),
                          safekeep.pause_schedule(text), safekeep.resume_schedule(text),
                          safekeep.remove_schedule(text)
      TO safekeep_admin;

-- What recover_table() and create_logical_backup() (caller's rights) call.
-- The _queue_* C functions check for safekeep_admin themselves.
GRANT EXECUTE ON FUNCTION safekeep._choose_backup(text, timestamptz),
                          safekeep._choose_backup_before_lsn(text, pg_lsn, text),
                          safekeep._check_repository(),
                          safekeep._audit(text, jsonb),
                          safekeep._queue_table_recovery(boolean, text, text, text, text, boolean,
                                                         text, text, text, float8, boolean),
                          safekeep._logical_resolve_tables(text[]),
                          safekeep._queue_logical_backup(boolean, boolean, text),
                          -- pure input checks (15_names.sql) those two run as the caller
                          safekeep._first_control(text), safekeep._shown(text),
                          safekeep._check_restore_point_name(text),
                          safekeep._check_backup_label(text, text),
                          safekeep._check_logical_label(text, text),
                          safekeep._check_object_name(text, text)
      TO safekeep_admin;

-- Runbooks are the DBAs' to edit.
GRANT INSERT, UPDATE, DELETE ON safekeep.disaster_recovery_procedures TO safekeep_admin;
GRANT USAGE ON SEQUENCE safekeep.disaster_recovery_procedures_id_seq TO safekeep_admin;
-- Job ids: recover_table() and create_logical_backup() queue in the caller's rights.
GRANT USAGE ON SEQUENCE safekeep.jobs_id_seq TO safekeep_admin;

-- Every other function gets the same pinned search_path, so nothing the
-- launcher or a job worker (superuser) runs resolves a name through a schema
-- someone else can write to.  The two caller's-rights functions above keep
-- the caller's path: that is how they find the caller's tables.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'safekeep'::regnamespace AND p.proconfig IS NULL
                AND p.oid NOT IN (
                    'safekeep.recover_table(text, timestamptz, text, text, boolean, text, boolean)'::regprocedure,
                    'safekeep.create_logical_backup(boolean, text[], boolean)'::regprocedure,
                    'safekeep._logical_resolve_tables(text[])'::regprocedure)
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f);
    END LOOP;
END;
$$;
