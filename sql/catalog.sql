-- The catalog DBAs and Grafana query: tables, columns, functions, privileges.
CREATE EXTENSION pg_safekeep;

SELECT table_name, column_name, data_type
  FROM information_schema.columns
 WHERE table_schema = 'safekeep'
   AND table_name IN ('backup_catalog', 'backup_log', 'recovery_log', 'jobs', 'wal_archive_catalog')
 ORDER BY table_name, ordinal_position;

-- User-facing functions (internal ones start with an underscore).
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'safekeep'
   AND p.proname IN ('create_full_backup', 'point_in_time_recovery', 'recover_full_database',
                     'check_backup_health', 'repository_info', 'sync_catalog')
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
SELECT name, setting, unit, context FROM pg_settings WHERE name LIKE 'safekeep.%' ORDER BY name;
