-- The catalog DBAs and Grafana query: tables, columns, functions, privileges.
CREATE EXTENSION pg_safekeep;

SELECT table_name, column_name, data_type
  FROM information_schema.columns
 WHERE table_schema = 'safekeep'
   AND table_name IN ('backup_catalog', 'backup_log', 'recovery_log', 'jobs', 'wal_archive_catalog',
                      'backup_test_log', 'disaster_recovery_procedures', 'disaster_recovery_log',
                      'ddl_history', 'restore_points', 'backup_table_counts')
 ORDER BY table_name, ordinal_position;

-- User-facing functions (internal ones start with an underscore).
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'safekeep'
   AND p.proname IN ('create_full_backup', 'point_in_time_recovery', 'recover_full_database',
                     'check_backup_health', 'repository_info', 'sync_catalog', 'recover_table',
                     'create_restore_point', 'test_backup_recovery',
                     'automated_disaster_recovery')
 ORDER BY 1;

-- No backups yet.
SELECT health_status, details->>'total_backups' AS total, details->>'latest_backup' AS latest
  FROM safekeep.check_backup_health();

-- Grafana's role reads the catalog; nobody else changes anything.
SELECT has_table_privilege('pg_monitor', 'safekeep.backup_catalog', 'SELECT') AS monitor_reads,
       has_function_privilege('pg_monitor', 'safekeep.create_full_backup(boolean)', 'EXECUTE')
         AS monitor_backs_up,
       has_function_privilege('safekeep_admin', 'safekeep.create_full_backup(boolean)', 'EXECUTE')
         AS admin_backs_up;

-- Settings are reserved under the safekeep. prefix.
-- (the repository is this run's own: its path shows as $FILES/repo)
SELECT name, replace(setting, current_setting('regress.files_dir'), '$FILES') AS setting, unit, context
  FROM pg_settings WHERE name LIKE 'safekeep.%' ORDER BY name;

-- A runbook for every disaster scenario, naming real commands.
SELECT scenario, priority, rto_minutes, rpo_minutes, cardinality(procedure_steps) > 2 AS has_steps,
       array_to_string(procedure_steps, ' ') ~ '(safekeep\.|pg_safekeep )' AS names_commands
  FROM safekeep.disaster_recovery_procedures ORDER BY scenario;

-- DROP and ALTER of tables are recorded for table recovery; temporary ones are not.
CREATE TABLE ddl_probe (x integer);
ALTER TABLE ddl_probe ADD COLUMN y text;
CREATE TEMP TABLE ddl_temp (x integer);
DROP TABLE ddl_temp;
DROP TABLE ddl_probe;
SELECT command, object_type, schema_name, object_name, transaction_id IS NOT NULL AS has_xid,
       lsn IS NOT NULL AS has_lsn, username = session_user AS by_me
  FROM safekeep.ddl_history ORDER BY id;

-- Named restore points land in the catalog.
SELECT safekeep.create_restore_point('regress_point') IS NOT NULL AS created;
SELECT name, created_by = session_user AS by_me FROM safekeep.restore_points;
