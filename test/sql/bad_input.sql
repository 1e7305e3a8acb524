-- Every bad input gets a clear error and changes nothing.
\set VERBOSITY terse
-- Restore targets: a path in this run's own directory (Makefile regress-files),
-- never created.
SELECT current_setting('regress.files_dir') || '/target' AS target \gset

-- Errors that name the live data directory or port print them as placeholders.
CREATE FUNCTION pg_temp.refused(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN replace(replace(SQLERRM, current_setting('data_directory'), '$PGDATA'),
                   current_setting('port'), '$PORT');
END;
$$;

-- Nothing restorable yet.
SELECT safekeep.recover_full_database(target_dir => :'target');
SELECT safekeep.point_in_time_recovery('2999-01-01 00:00:00+00',
                                       target_dir => :'target');
SELECT safekeep.point_in_time_recovery(NULL, target_dir => :'target');

-- Table recovery, drills and disaster recovery with nothing to work from.
SELECT safekeep.recover_table('public.never_was');
SELECT safekeep.recover_table(NULL);
SELECT safekeep.recover_table('"unterminated');
SELECT safekeep.recover_table('a.b.c');
SELECT safekeep.recover_table('x', into_schema => 'safekeep');
SELECT safekeep.recover_table('x', target_time => now(), restore_point => 'p');
SELECT safekeep.recover_table('x', restore_point => 'no_such_point');
SELECT safekeep.test_backup_recovery();
SELECT safekeep.test_backup_recovery('20000101-000000F');
SELECT safekeep.automated_disaster_recovery(:'target', NULL);
SELECT safekeep.automated_disaster_recovery(:'target', 54329);
SELECT safekeep.automated_disaster_recovery(scenario => 'meteor', target_dir => :'target',
                                            port => 54329);
SELECT safekeep.create_restore_point('');
SELECT safekeep.create_restore_point(repeat('x', 64));

-- Bad target directories and ports.
SELECT safekeep.recover_full_database();
SELECT safekeep.recover_full_database(target_dir => 'relative/dir');
SELECT pg_temp.refused($$SELECT safekeep.recover_full_database(
           target_dir => current_setting('data_directory') || '/restore_here')$$);
SELECT pg_temp.refused($$SELECT safekeep.recover_full_database(
           target_dir => current_setting('data_directory'))$$);
SELECT pg_temp.refused($$SELECT safekeep.recover_full_database(target_dir => '/')$$);
SELECT pg_temp.refused($$SELECT safekeep.recover_full_database(
           target_dir => current_setting('regress.files_dir') || '/target',
           port => current_setting('port')::integer)$$);
SELECT safekeep.recover_full_database(target_dir => :'target',
                                      port => 70000);

-- Non-superusers change nothing.
CREATE ROLE regress_safekeep_user;
SET ROLE regress_safekeep_user;
SELECT safekeep.create_full_backup();
SELECT safekeep.recover_full_database(target_dir => :'target');
SELECT safekeep.recover_table('public.x');
SELECT safekeep.test_backup_recovery();
SELECT safekeep.create_restore_point('mine');
UPDATE safekeep.disaster_recovery_procedures SET rto_minutes = 1;
SELECT count(*) FROM safekeep.backup_catalog;
RESET ROLE;

-- Nothing was recorded by any of the above.
SELECT count(*) AS backups FROM safekeep.backup_catalog;
SELECT count(*) AS recoveries FROM safekeep.recovery_log;
SELECT count(*) AS jobs FROM safekeep.jobs;
SELECT count(*) AS drills FROM safekeep.backup_test_log;
SELECT count(*) AS disaster_recoveries FROM safekeep.disaster_recovery_log;
SELECT count(*) AS restore_points FROM safekeep.restore_points WHERE name <> 'regress_point';

-- A repository path that does not exist: the backup job refuses it, and the
-- attempt is a failed backup (under a label no backup can have) with its job.
ALTER SYSTEM SET safekeep.repo1_path = '/nonexistent/pg_safekeep_repo';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
SELECT regexp_replace(pg_temp.refused('SELECT safekeep.create_full_backup()'),
                      'job \d+', 'job N') AS refused;
ALTER SYSTEM RESET safekeep.repo1_path;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
SELECT backup_type, status, label = 'failed-job-' || job_id AS attempt_label,
       job_id = (SELECT id FROM safekeep.jobs) AS its_job, error_message
  FROM safekeep.backup_catalog;
SELECT kind, status, error_message FROM safekeep.jobs;
SELECT health_status, details->'last_failed_backup'->>'error' AS failure
  FROM safekeep.check_backup_health();
-- backup.sql starts from an empty catalog.
DELETE FROM safekeep.backup_log;
DELETE FROM safekeep.backup_catalog;
DELETE FROM safekeep.jobs;
