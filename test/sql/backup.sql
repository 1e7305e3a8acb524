-- A real full backup through the job worker, then the checks that need one.
\set VERBOSITY terse
-- Restore targets: a path in this run's own directory (Makefile regress-files),
-- never created.
SELECT current_setting('regress.files_dir') || '/target' AS target \gset

CREATE TABLE regress_data AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 10000) g;

SELECT safekeep.create_full_backup() ~ '^\d{8}-\d{6}F$' AS label_ok;

SELECT backup_type, status, backup_size > 0 AS stored, database_size > backup_size AS compressed,
       checksum ~ '^[0-9a-f]{64}$' AS checksum_ok, start_lsn < stop_lsn AS lsn_order,
       completed_at >= started_at AS times_ok, error_message
  FROM safekeep.backup_catalog;
SELECT event FROM safekeep.backup_log ORDER BY id;
SELECT kind, status, label = (SELECT label FROM safekeep.backup_catalog) AS same_label
  FROM safekeep.jobs;

-- The backup's WAL reached the repository.
SELECT count(*) > 0 AS wal_archived FROM safekeep.wal_archive_catalog;
SELECT jsonb_array_length(safekeep.repository_info()->'backups') AS backups_in_repository;

SELECT health_status, details->>'total_backups' AS total,
       details->>'latest_backup' = (SELECT label FROM safekeep.backup_catalog) AS latest_ok
  FROM safekeep.check_backup_health();

-- With a backup: targets before it, unknown labels, label/target mismatch.
SELECT safekeep.point_in_time_recovery('2000-01-01 00:00:00+00',
                                       target_dir => :'target');
SELECT safekeep.recover_full_database('20000101-000000F',
                                      target_dir => :'target');
SELECT safekeep.point_in_time_recovery('2999-01-01 00:00:00+00',
                                       target_dir => :'target');

-- wait => false returns the job id at once; a second backup meanwhile is refused.
SELECT safekeep.create_full_backup(wait => false) ~ '^\d+$' AS job_id_returned;
SELECT safekeep.create_full_backup();
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM safekeep.jobs WHERE status IN ('queued', 'running'))
              AND (SELECT count(*) FROM safekeep.jobs) = 2;
        PERFORM pg_sleep(0.1);
    END LOOP;
END;
$$;
SELECT kind, status FROM safekeep.jobs ORDER BY id;
SELECT status, count(*) FROM safekeep.backup_catalog GROUP BY status;
SELECT count(DISTINCT label) AS distinct_labels FROM safekeep.backup_catalog;
