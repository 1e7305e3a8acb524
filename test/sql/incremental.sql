-- Incremental and differential backups, verification and retention (after
-- backup.sql, which left two full backups).
\set VERBOSITY terse

UPDATE regress_data SET payload = 'changed' WHERE id <= 100;
SELECT safekeep.create_incremental_backup() ~ '^\d{8}-\d{6}F_\d{8}-\d{6}I$' AS incremental_label;
INSERT INTO regress_data SELECT g, md5(g::text) FROM generate_series(10001, 10100) g;
SELECT safekeep.create_differential_backup() ~ '^\d{8}-\d{6}F_\d{8}-\d{6}D$' AS differential_label;

-- Both are relative to the newest full backup and store far less than it.
SELECT c.backup_type,
       c.prior_label = (SELECT max(label) FROM safekeep.backup_catalog WHERE backup_type = 'full')
         AS prior_is_newest_full,
       c.backup_size * 5 < (SELECT min(backup_size) FROM safekeep.backup_catalog
                             WHERE backup_type = 'full') AS much_smaller,
       c.changes_count > 0 AS has_changes
  FROM safekeep.backup_catalog c
 WHERE c.status = 'completed' AND c.backup_type <> 'full'
 ORDER BY c.label;

-- Every backup verifies clean, and the catalog says so.
SELECT count(*) AS problems FROM safekeep.verify_backup();
SELECT verify_status, count(*) FROM safekeep.backup_catalog
 WHERE status = 'completed' GROUP BY 1;
SELECT * FROM safekeep.verify_backup('20000101-000000F');

-- The default policy keeps every backup younger than 7 days.
SELECT backup_type, action FROM safekeep.expire_backups() ORDER BY label NULLS LAST;

-- Keep one full backup (and what depends on it); a dry run changes nothing.
ALTER SYSTEM SET safekeep.retention_full = 1;
ALTER SYSTEM SET safekeep.retention_days = 0;
ALTER SYSTEM SET safekeep.retention_daily = 0;
ALTER SYSTEM SET safekeep.retention_weekly = 0;
ALTER SYSTEM SET safekeep.retention_monthly = 0;
ALTER SYSTEM SET safekeep.retention_yearly = 0;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
SELECT backup_type, action FROM safekeep.expire_backups() ORDER BY label NULLS LAST;
SELECT count(*) AS still_completed FROM safekeep.backup_catalog WHERE status = 'completed';

-- For real: the older full is marked expired, not deleted; the rest verify.
SELECT backup_type, action FROM safekeep.expire_backups(dry_run => false)
 WHERE label IS NOT NULL ORDER BY label;
SELECT backup_type, status FROM safekeep.backup_catalog
 WHERE label NOT LIKE '%~%' ORDER BY label;
SELECT jsonb_array_length(safekeep.repository_info()->'backups') AS backups_in_repository;
SELECT count(*) AS problems FROM safekeep.verify_backup();

ALTER SYSTEM RESET ALL;
SELECT pg_reload_conf();
