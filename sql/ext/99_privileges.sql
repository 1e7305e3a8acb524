-- ---------------------------------------------------------------------------
-- Privileges: the catalog is readable by pg_monitor (Grafana); everything
-- that changes anything is for superusers and safekeep_admin only.
-- ---------------------------------------------------------------------------

-- Usage for all, so a denied call names the function rather than the schema.
GRANT USAGE ON SCHEMA safekeep TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA safekeep TO pg_monitor, safekeep_admin;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA safekeep FROM PUBLIC;
GRANT EXECUTE ON FUNCTION safekeep.check_backup_health() TO PUBLIC;
GRANT EXECUTE ON FUNCTION safekeep.repository_info(boolean) TO pg_monitor, safekeep_admin;
GRANT EXECUTE ON FUNCTION safekeep.rotate_encryption_key(integer, text),
                          safekeep._rotate_encryption_key(integer, text),
                          safekeep.create_full_backup(boolean),
                          safekeep.create_incremental_backup(boolean),
                          safekeep.create_differential_backup(boolean),
                          safekeep.verify_backup(text, boolean, boolean),
                          safekeep.expire_backups(boolean),
                          safekeep._queue_backup(text, boolean),
                          safekeep._queue_restore(boolean, text, text, text, float8, integer, text),
                          safekeep._queue_verify(text, boolean, boolean),
                          safekeep._expire(boolean),
                          safekeep.point_in_time_recovery(timestamptz, text, text, integer, boolean),
                          safekeep.recover_full_database(text, text, integer, boolean),
                          safekeep._check_archiving(), safekeep._check_repository(),
                          safekeep._check_target_dir(text), safekeep._check_port_free(integer),
                          safekeep._check_recovery_target(text, integer),
                          safekeep._choose_backup(text, timestamptz),
                          safekeep.sync_catalog(),
                          safekeep.recover_table(text, timestamptz, text, text, boolean, text,
                                                 boolean),
                          safekeep._queue_table_recovery(boolean, text, text, text, text, boolean,
                                                         text, text, text, float8, boolean),
                          safekeep._choose_backup_before_lsn(text, pg_lsn, text),
                          safekeep.create_restore_point(text),
                          safekeep.test_backup_recovery(text, boolean),
                          safekeep._queue_drill(text, boolean),
                          safekeep.automated_disaster_recovery(text, integer,
                                                               safekeep.disaster_scenario, boolean),
                          safekeep._queue_disaster_recovery(boolean, text, text, integer, text),
                          safekeep._choose_trusted_backup(),
                          safekeep._audit(text, jsonb),
                          safekeep.monitor_backup_performance(),
                          safekeep._job_progress(), safekeep.repository_space()
      TO safekeep_admin;
-- Runbooks are the DBAs' to edit.
GRANT INSERT, UPDATE, DELETE ON safekeep.disaster_recovery_procedures TO safekeep_admin;
GRANT USAGE ON SEQUENCE safekeep.disaster_recovery_procedures_id_seq TO safekeep_admin;
GRANT USAGE ON SEQUENCE safekeep.jobs_id_seq TO safekeep_admin;
