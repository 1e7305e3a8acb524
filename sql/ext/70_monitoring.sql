-- ---------------------------------------------------------------------------
-- Monitoring: an audit trail, views for dashboards (readable by pg_monitor),
-- progress of running jobs and monitor_backup_performance().
-- ---------------------------------------------------------------------------

-- Every call of a function that changes something, and every change of a
-- runbook.  Written in the caller's transaction: a call that ends in an
-- error leaves no row (the job it started, if any, is in safekeep.jobs).
CREATE TABLE safekeep.audit_log (
    id               bigserial PRIMARY KEY,
    happened_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    who              name NOT NULL DEFAULT session_user,
    what             text NOT NULL,     -- the function, or table.operation
    details          jsonb NOT NULL DEFAULT '{}',
    client_addr      inet DEFAULT inet_client_addr(),
    application_name text DEFAULT current_setting('application_name', true),
    backend_pid      integer DEFAULT pg_backend_pid()
);
CREATE INDEX ON safekeep.audit_log (happened_at);

-- Definer rights: callers append rows but can neither change nor delete them.
CREATE FUNCTION safekeep._audit(what text, details jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO safekeep.audit_log (what, details) VALUES ($1, coalesce($2, '{}'));
$$;

-- Runbook edits: the whole row for INSERT and DELETE, old and new values of
-- the changed columns for UPDATE.
CREATE FUNCTION safekeep._audit_runbook_change()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM safekeep._audit('disaster_recovery_procedures.insert',
                                jsonb_build_object('scenario', NEW.scenario, 'new', to_jsonb(NEW)));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM safekeep._audit('disaster_recovery_procedures.delete',
                                jsonb_build_object('scenario', OLD.scenario, 'old', to_jsonb(OLD)));
    ELSE
        PERFORM safekeep._audit('disaster_recovery_procedures.update',
                                jsonb_build_object('scenario', NEW.scenario, 'changed',
                                    (SELECT jsonb_object_agg(n.key, jsonb_build_object(
                                                'old', to_jsonb(OLD)->n.key, 'new', n.value))
                                       FROM jsonb_each(to_jsonb(NEW)) n
                                      WHERE to_jsonb(OLD)->n.key IS DISTINCT FROM n.value)));
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_runbook_change
    AFTER INSERT OR UPDATE OR DELETE ON safekeep.disaster_recovery_procedures
    FOR EACH ROW EXECUTE FUNCTION safekeep._audit_runbook_change();

-- ---------------------------------------------------------------------------
-- C functions (src/pg/progress.c, src/pg/repo_space.c)
-- ---------------------------------------------------------------------------
CREATE FUNCTION safekeep._job_progress(
    OUT job_id bigint, OUT kind text, OUT phase text, OUT label text, OUT requested_by name,
    OUT queued_at timestamptz, OUT phase_started_at timestamptz,
    OUT files_done bigint, OUT files_total bigint, OUT bytes_done bigint, OUT bytes_total bigint,
    OUT bytes_per_second float8, OUT seconds_left float8)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'sk_sql_job_progress' LANGUAGE C VOLATILE;

CREATE FUNCTION safekeep.repository_space(OUT repository text, OUT free_bytes bigint,
                                          OUT total_bytes bigint)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'sk_sql_repository_space' LANGUAGE C VOLATILE;

-- ---------------------------------------------------------------------------
-- Views for dashboards
-- ---------------------------------------------------------------------------

-- Queued and running jobs.  phase: queued (waiting for a job worker),
-- running (a worker has it but published no finer phase: a backup until it
-- chose its label; restores, drills, verifications and table recoveries
-- throughout), a backup's checking, starting (the checkpoint of
-- pg_backup_start), copying, stopping, archiving (waiting for the last WAL
-- segment), writing manifest, a logical backup's dumping and a logical
-- restore's restoring (README "Monitoring" lists the same).  requested_by:
-- the role that asked, from the job's slot, so it shows before the worker
-- wrote the safekeep.jobs row.  Files and bytes, and while copying the rate
-- and an estimate of the time left.
CREATE VIEW safekeep.backup_progress AS
SELECT p.job_id, p.kind, p.label, p.phase, p.requested_by,
       p.queued_at AS started_at, p.phase_started_at,
       round(extract(epoch FROM clock_timestamp() - p.queued_at)::numeric, 1) AS elapsed_seconds,
       p.files_done, p.files_total, p.bytes_done, p.bytes_total,
       round(100.0 * p.bytes_done / nullif(p.bytes_total, 0), 1) AS percent_done,
       round(p.bytes_per_second::numeric) AS bytes_per_second,
       round(p.seconds_left::numeric) AS seconds_left,
       clock_timestamp() + make_interval(secs => p.seconds_left) AS estimated_end
  FROM safekeep._job_progress() p;

-- One row per backup: how long it took, how big it is, what checked it.
CREATE VIEW safekeep.backup_history AS
SELECT c.label, c.backup_type, c.status, c.prior_label, c.created_at, c.started_at,
       c.completed_at,
       round(extract(epoch FROM c.duration)::numeric, 3) AS duration_seconds,
       c.database_size, c.backup_size, c.copied_bytes, c.compression_ratio, c.file_count,
       c.changes_count,
       round(c.database_size / nullif(extract(epoch FROM c.duration)::numeric, 0))
           AS bytes_per_second,
       c.verify_status, c.last_drill_result, c.last_drill_rto,
       (SELECT count(*) FROM safekeep.backup_log l
         WHERE l.label = c.label AND l.event = 'warning') AS warnings,
       c.error_message, c.outcome,
       -- the repositories a partial backup is not in (their numbers)
       (SELECT array_agg((x->>'repo')::integer ORDER BY (x->>'repo')::integer)
          FROM jsonb_array_elements(coalesce(c.repositories, '[]'::jsonb)) x
         WHERE NOT (x->>'landed')::boolean) AS not_in_repositories
  FROM safekeep.backup_catalog c;

-- Finished backups per day (session time zone); expired ones had succeeded.
CREATE VIEW safekeep.backup_success_daily AS
SELECT date_trunc('day', c.created_at) AS day,
       count(*) AS backups,
       count(*) FILTER (WHERE c.status IN ('completed', 'expired')) AS succeeded,
       count(*) FILTER (WHERE c.status = 'failed') AS failed,
       round(100.0 * count(*) FILTER (WHERE c.status IN ('completed', 'expired'))
             / count(*), 1) AS success_rate_percent
  FROM safekeep.backup_catalog c
 WHERE c.status <> 'running'
 GROUP BY 1;

-- The archiver now.  archive_lag_seconds: age of the oldest WAL file
-- waiting to be archived (0: none waits).  rpo_exposure_seconds: how far
-- back changes not yet in the repository may reach, estimated as the time
-- since the last successful archive when WAL has been written past the last
-- archived segment, else 0 (DESIGN-NOTES.md).  pg_ls_archive_statusdir()
-- needs pg_monitor.
CREATE VIEW safekeep.archive_status AS
SELECT a.archived_count, a.failed_count, a.last_archived_wal, a.last_archived_time,
       a.last_failed_wal, a.last_failed_time,
       coalesce(a.last_failed_time > coalesce(a.last_archived_time, '-infinity'), false)
           AS failing,
       round(extract(epoch FROM now() - a.last_archived_time)::numeric)
           AS seconds_since_last_archived,
       w.files_waiting,
       coalesce(round(extract(epoch FROM now() - w.oldest_waiting)::numeric), 0)
           AS archive_lag_seconds,
       cur.wal_file AS current_wal,
       CASE WHEN cur.wal_file IS NULL THEN NULL
            WHEN cur.wal_file COLLATE "C" <= left(coalesce(a.last_archived_wal, ''), 24) THEN 0
            ELSE round(extract(epoch FROM now() - coalesce(a.last_archived_time, a.stats_reset,
                                                            pg_postmaster_start_time()))::numeric)
       END AS rpo_exposure_seconds
  FROM pg_stat_archiver a,
       LATERAL (SELECT count(*) AS files_waiting, min(s.modification) AS oldest_waiting
                  FROM pg_ls_archive_statusdir() s WHERE s.name LIKE '%.ready') w,
       -- The segment holding the insert position (at a boundary: the one it closed).
       LATERAL (SELECT CASE WHEN pg_is_in_recovery() THEN NULL
                            ELSE pg_walfile_name(pg_current_wal_insert_lsn()) END AS wal_file) cur;

-- WAL reaching the repository per hour (from the objects' mtimes).
CREATE VIEW safekeep.archive_throughput AS
SELECT date_trunc('hour', w.archived_at) AS hour,
       count(*) AS files,
       count(*) FILTER (WHERE w.wal_file ~ '^[0-9A-F]{24}$') AS segments,
       count(*) FILTER (WHERE w.wal_file ~ '^[0-9A-F]{24}$')
         * (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size') AS wal_bytes,
       sum(w.file_size)::bigint AS stored_bytes
  FROM safekeep.wal_archive_catalog w
 GROUP BY 1;

-- One row per repository (today only repo1): what its backups and WAL take,
-- the room left, and whether it holds the newest completed backup of each
-- kind.  Physical backups are ordered by their own stamp (a label's last 16
-- characters, as backup_job.c and label.cpp do): <full>_<stamp>I of an older
-- chain can be newer than a later full.  holds_newest_backup: the newest
-- completed physical backup is there (false when there is none);
-- holds_newest_logical_backup: the same for logical backups (NULL when none
-- was taken).  newest_backup: the newest physical backup the repository holds.
-- One row per configured repository (1..4), each read from the repository
-- itself; error says why one could not be read (its counts are then NULL).
CREATE VIEW safekeep.repository_usage AS
WITH info AS (SELECT r.repository AS number, r.kind, r.location, r.encrypted,
                     safekeep._repository_info_or_error(r.repository) AS j
                FROM safekeep.repositories() r),
     newest AS (SELECT (SELECT c.label FROM safekeep.backup_catalog c
                         WHERE c.status = 'completed' AND c.backup_type <> 'logical'
                         ORDER BY right(c.label, 16) DESC, c.label DESC LIMIT 1) AS physical,
                       (SELECT c.label FROM safekeep.backup_catalog c
                         WHERE c.status = 'completed' AND c.backup_type = 'logical'
                         ORDER BY c.label DESC LIMIT 1) AS logical)
SELECT 'repo' || i.number AS repository,
       i.kind AS storage_kind,
       i.kind = 's3' AS object_storage,
       i.location,
       jsonb_array_length(i.j->'backups') AS backups,
       (SELECT coalesce(sum((b->>'stored_bytes')::bigint), 0)::bigint
          FROM jsonb_array_elements(i.j->'backups') b) AS backup_bytes,
       jsonb_array_length(i.j->'wal') AS wal_files,
       (SELECT coalesce(sum((w->>'stored_size')::bigint), 0)::bigint
          FROM jsonb_array_elements(i.j->'wal') w) AS wal_bytes,
       (SELECT b->>'label' FROM jsonb_array_elements(i.j->'backups') b
         ORDER BY right(b->>'label', 16) DESC, b->>'label' DESC LIMIT 1) AS newest_backup,
       coalesce(n.physical IN (SELECT b->>'label' FROM jsonb_array_elements(i.j->'backups') b),
                false) AS holds_newest_backup,
       s.free_bytes, s.total_bytes AS filesystem_bytes,
       n.logical IN (SELECT l->>'label' FROM jsonb_array_elements(i.j->'logical_backups') l)
           AS holds_newest_logical_backup,
       i.number AS repository_number,
       i.encrypted,
       i.j->>'error' AS error
  FROM info i
  CROSS JOIN newest n
  LEFT JOIN safekeep.repository_space() s ON s.repository = 'repo' || i.number
 ORDER BY i.number;

-- Restore drills, newest first in any ORDER BY test_date DESC.
CREATE VIEW safekeep.drill_results AS
SELECT t.id, t.test_date, t.backup_label, t.test_result,
       t.rto_seconds, t.restore_seconds, t.recovery_seconds,
       round(extract(epoch FROM t.duration)::numeric, 3) AS duration_seconds,
       round(extract(epoch FROM t.test_date - c.completed_at)::numeric) AS backup_age_seconds,
       t.errors, t.notes
  FROM safekeep.backup_test_log t
  LEFT JOIN safekeep.backup_catalog c ON c.label = t.backup_label;

-- ---------------------------------------------------------------------------
-- monitor_backup_performance(): one row per metric with its threshold (from
-- the safekeep.threshold_* settings) and ok / warning / critical, or unknown
-- when there is no data.  Critical is twice as far past the threshold.
-- ---------------------------------------------------------------------------
CREATE FUNCTION safekeep._metric_status(p_value numeric, p_warning numeric, p_critical numeric,
                                        p_higher_is_worse boolean)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
             WHEN p_value IS NULL THEN 'unknown'
             WHEN p_higher_is_worse AND p_value > p_critical THEN 'critical'
             WHEN p_higher_is_worse AND p_value > p_warning THEN 'warning'
             WHEN NOT p_higher_is_worse AND p_value < p_critical THEN 'critical'
             WHEN NOT p_higher_is_worse AND p_value < p_warning THEN 'warning'
             ELSE 'ok'
           END;
$$;

-- Definer rights: pg_ls_archive_statusdir() needs pg_monitor, and
-- safekeep_admin may not be a member.  No arguments, reads only.
CREATE FUNCTION safekeep.monitor_backup_performance()
RETURNS TABLE (metric_name text, metric_value numeric, threshold numeric, status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t jsonb;
    v numeric;
    arch record;
    drill record;
    last7 numeric;
    prev7 numeric;
BEGIN
    SELECT jsonb_object_agg(substr(s.name, 20), s.setting::numeric) INTO t
      FROM pg_settings s WHERE s.name LIKE 'safekeep.threshold\_%';

    -- Duration of the last full backup.
    SELECT extract(epoch FROM c.duration)::numeric INTO v FROM safekeep.backup_catalog c
     WHERE c.backup_type = 'full' AND c.status IN ('completed', 'expired')
     ORDER BY c.completed_at DESC NULLS LAST LIMIT 1;
    metric_name := 'full_backup_duration_seconds';
    metric_value := round(v, 1);
    threshold := (t->>'full_backup_duration')::numeric;
    status := safekeep._metric_status(metric_value, threshold, 2 * threshold, true);
    RETURN NEXT;

    -- Finished backups of the last 30 days that succeeded.
    SELECT round(100.0 * count(*) FILTER (WHERE c.status IN ('completed', 'expired'))
                 / nullif(count(*), 0), 1) INTO v
      FROM safekeep.backup_catalog c
     WHERE c.status <> 'running' AND c.created_at > now() - interval '30 days';
    metric_name := 'backup_success_rate_30d_percent';
    metric_value := v;
    threshold := (t->>'success_rate')::numeric;
    status := safekeep._metric_status(v, threshold, 100 - 2 * (100 - threshold), false);
    RETURN NEXT;

    SELECT * INTO arch FROM safekeep.archive_status;
    metric_name := 'archive_lag_seconds';
    metric_value := arch.archive_lag_seconds;
    threshold := (t->>'archive_lag')::numeric;
    status := safekeep._metric_status(metric_value, threshold, 2 * threshold, true);
    RETURN NEXT;

    metric_name := 'archive_files_waiting';
    metric_value := arch.files_waiting;
    threshold := (t->>'archive_backlog')::numeric;
    status := safekeep._metric_status(metric_value, threshold, 2 * threshold, true);
    RETURN NEXT;

    metric_name := 'rpo_exposure_seconds';
    metric_value := arch.rpo_exposure_seconds;
    threshold := (t->>'rpo_exposure')::numeric;
    status := safekeep._metric_status(metric_value, threshold, 2 * threshold, true);
    RETURN NEXT;

    -- Bytes stored by backups of the last 7 days against the 7 before.
    SELECT sum(c.backup_size) FILTER (WHERE c.completed_at > now() - interval '7 days'),
           sum(c.backup_size) FILTER (WHERE c.completed_at <= now() - interval '7 days')
      INTO last7, prev7
      FROM safekeep.backup_catalog c
     WHERE c.status IN ('completed', 'expired') AND c.completed_at > now() - interval '14 days';
    metric_name := 'stored_bytes_growth_7d_percent';
    metric_value := round(100.0 * (coalesce(last7, 0) - prev7) / nullif(prev7, 0), 1);
    threshold := (t->>'storage_growth')::numeric;
    status := safekeep._metric_status(metric_value, threshold, 2 * threshold, true);
    RETURN NEXT;

    -- The newest drill: its RTO; a failed drill is critical whatever it took.
    SELECT d.test_result, d.rto_seconds INTO drill FROM safekeep.backup_test_log d
     ORDER BY d.test_date DESC, d.id DESC LIMIT 1;
    metric_name := 'last_drill_rto_seconds';
    metric_value := drill.rto_seconds;
    threshold := (t->>'drill_rto')::numeric;
    status := CASE WHEN drill.test_result IS NULL THEN 'unknown'
                   WHEN NOT drill.test_result THEN 'critical'
                   ELSE safekeep._metric_status(metric_value, threshold, 2 * threshold, true) END;
    RETURN NEXT;
END;
$$;
