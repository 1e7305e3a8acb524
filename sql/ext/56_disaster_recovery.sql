-- ---------------------------------------------------------------------------
-- Disaster recovery: runbooks per scenario (editable), and an automated
-- recovery that brings up a copy from the best backup plus all archived WAL
-- and measures the RTO and RPO it achieved against the scenario's objectives.
-- ---------------------------------------------------------------------------
CREATE TYPE safekeep.disaster_scenario AS ENUM (
    'database_corruption', 'hardware_failure', 'network_outage',
    'data_center_disaster', 'cyber_attack', 'human_error');

CREATE TABLE safekeep.disaster_recovery_procedures (
    id                 serial PRIMARY KEY,
    scenario           safekeep.disaster_scenario NOT NULL UNIQUE,
    priority           integer NOT NULL,      -- 1 = handle first
    rto_minutes        integer NOT NULL CHECK (rto_minutes > 0),
    rpo_minutes        integer NOT NULL CHECK (rpo_minutes >= 0),
    procedure_steps    text[] NOT NULL,
    required_resources text[] NOT NULL,
    contact_person     text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

INSERT INTO safekeep.disaster_recovery_procedures
       (scenario, priority, rto_minutes, rpo_minutes, procedure_steps, required_resources,
        contact_person)
VALUES
('database_corruption', 2, 60, 5, ARRAY[
    'Confirm the damage: run pg_amcheck --all on the live server and read the server log for "invalid page" or checksum failures.',
    'Find the newest good backup: SELECT label, verify_status, last_drill_result FROM safekeep.backup_catalog WHERE status = ''completed'' ORDER BY label DESC;',
    'Prove it before relying on it: SELECT safekeep.test_backup_recovery(''<label>'');',
    'If only some tables are damaged, bring them back one by one: SELECT safekeep.recover_table(''schema.table'', target_time => ''<time before the corruption>'');',
    'Otherwise restore a full copy beside the server: SELECT safekeep.automated_disaster_recovery(''/path/new_pgdata'', 5433, ''database_corruption'');',
    'Check the copy (row counts, application smoke test), then stop the damaged server and move clients to the copy.',
    'Re-enable archiving on the new primary (archive_mode = on, archive_library = ''pg_safekeep'', safekeep.repo1_path) and take a full backup: SELECT safekeep.create_full_backup();'],
 ARRAY['a disk with room for one more data directory', 'the repository (safekeep.repo1_path)',
       'pg_safekeep installed on the recovery host'],
 'on-call DBA'),
('hardware_failure', 1, 30, 5, ARRAY[
    'Provision a replacement host with PostgreSQL 15 and pg_safekeep installed (same major version).',
    'Mount or copy the repository; list what it holds: pg_safekeep info --repo1-path=<repository>',
    'Restore the newest backup plus all archived WAL and start it, which prints the RTO and RPO achieved: pg_safekeep restore --repo1-path=<repository> --stanza=<system id> --pgdata=<new data directory> --start --port=5432',
    'Point clients (DNS, connection pooler) at the new host.',
    'Turn archiving back on for the new primary and take a full backup: SELECT safekeep.create_full_backup();',
    'Record the incident: SELECT * FROM safekeep.disaster_recovery_log ORDER BY started_at DESC;'],
 ARRAY['replacement host', 'repository copy', 'DNS or pooler access'],
 'on-call DBA'),
('network_outage', 3, 120, 15, ARRAY[
    'Check whether the server is up but unreachable: pg_isready on the host; SELECT * FROM safekeep.check_backup_health(); (archive_failing means WAL is waiting in pg_wal).',
    'If the repository is unreachable, WAL stays in pg_wal until it comes back; watch disk space in pg_wal.',
    'If the outage outlasts the RTO, restore at the other site from the newest backup and all WAL that reached the repository: pg_safekeep restore --repo1-path=<repository> --pgdata=<dir> --start',
    'When the network returns, decide which server is primary; never run both as primaries for the same clients.'],
 ARRAY['second site or network path', 'repository reachable from the recovery site'],
 'network on-call and DBA'),
('data_center_disaster', 1, 240, 15, ARRAY[
    'Declare the disaster and fail over to the secondary site.',
    'Use the off-site repository copy; list backups: pg_safekeep info --repo1-path=<off-site repository>',
    'Verify the chosen backup and its WAL: pg_safekeep verify --repo1-path=<off-site repository> --set=<label>',
    'Restore and start it: pg_safekeep restore --repo1-path=<off-site repository> --pgdata=<dir> --start --port=5432',
    'Redirect clients; turn archiving on for the new primary; take a full backup.'],
 ARRAY['secondary site', 'off-site repository', 'runbook access outside the failed site'],
 'incident commander'),
('cyber_attack', 1, 480, 60, ARRAY[
    'Isolate the server: block client access and stop the server (pg_ctl stop -m fast); keep its data directory for forensics.',
    'Find the last backup taken before the intrusion; check it is intact: pg_safekeep verify --repo1-path=<repository> --set=<label>',
    'Restore to a moment before the intrusion on a clean host: pg_safekeep restore --repo1-path=<repository> --pgdata=<dir> --target-time=''<before the intrusion>'' --start',
    'Rotate every password and key the attacker could have seen before reconnecting clients.',
    'Take a fresh full backup into a repository the attacker never had access to.'],
 ARRAY['clean host', 'repository copy not reachable from the compromised host', 'security team'],
 'security officer'),
('human_error', 2, 30, 0, ARRAY[
    'Stop the damage spreading (revoke the role, pause the job that did it).',
    'A dropped or altered table: SELECT safekeep.recover_table(''schema.table''); recovers it as it was just before the DROP or ALTER (see safekeep.ddl_history).',
    'Rows deleted or updated by mistake: SELECT safekeep.recover_table(''schema.table'', target_time => ''<just before the mistake>''); then copy the rows back from safekeep_restored.',
    'Before risky changes, mark the moment: SELECT safekeep.create_restore_point(''before_release_42'');',
    'Whole database damaged: SELECT safekeep.point_in_time_recovery(''<time>'', target_dir => ''/path/dir'', port => 5433);'],
 ARRAY['the live server', 'the repository'],
 'on-call DBA');

CREATE TABLE safekeep.disaster_recovery_log (
    id                     bigserial PRIMARY KEY,
    job_id                 bigint,
    scenario               safekeep.disaster_scenario NOT NULL,
    backup_label           text,
    backup_file            text,
    target_dir             text,
    port                   integer,
    started_at             timestamptz NOT NULL DEFAULT now(),
    completed_at           timestamptz,
    status                 text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    rto_seconds            numeric,     -- from the start until the copy was promoted
    rpo_seconds            numeric,     -- newest archived WAL minus last replayed commit
    last_replayed_xact_at  timestamptz,
    newest_wal             text,
    newest_wal_archived_at timestamptz,
    rto_objective_minutes  integer,
    rpo_objective_minutes  integer,
    objectives_met         boolean,
    notes                  text,
    error_message          text
);

CREATE FUNCTION safekeep._queue_disaster_recovery(wait boolean, label text, target_dir text,
                                                  port integer, scenario text)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_queue_disaster_recovery' LANGUAGE C VOLATILE;

-- The backup a disaster recovery trusts: the newest whose last check (a
-- verification or a drill, whichever was later) passed, else the newest.
CREATE FUNCTION safekeep._choose_trusted_backup()
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT label FROM safekeep.backup_catalog
     WHERE status = 'completed'
     ORDER BY CASE
                WHEN last_drill_at IS NOT NULL
                     AND (verified_at IS NULL OR last_drill_at >= verified_at)
                THEN coalesce(last_drill_result, false)
                ELSE coalesce(verify_status = 'ok', false)
              END DESC,
              label DESC
     LIMIT 1;
$$;

-- Restore the trusted backup plus every archived WAL segment into
-- target_dir, start it on port, and record the RTO/RPO achieved.  (No
-- sync_catalog() here: its row locks would block the job we wait for.)
CREATE FUNCTION safekeep.automated_disaster_recovery(
    target_dir text, port integer,
    scenario safekeep.disaster_scenario DEFAULT 'hardware_failure',
    wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_label text;
BEGIN
    IF port IS NULL THEN
        RAISE EXCEPTION 'port must be given: the recovered copy is started on it';
    END IF;
    IF scenario IS NULL THEN
        RAISE EXCEPTION 'scenario must be given';
    END IF;
    PERFORM safekeep._check_recovery_target(target_dir, port);
    PERFORM safekeep._check_repository();
    v_label := safekeep._choose_trusted_backup();
    IF v_label IS NULL THEN
        RAISE EXCEPTION 'the repository holds no completed backup to recover from';
    END IF;
    PERFORM safekeep._audit('automated_disaster_recovery',
                            jsonb_build_object('scenario', scenario, 'backup_label', v_label,
                                               'target_dir', target_dir, 'port', port,
                                               'wait', wait));
    RETURN safekeep._queue_disaster_recovery(wait, v_label, target_dir, port, scenario::text);
END;
$$;

CREATE FUNCTION safekeep.disaster_recovery_started(p_job bigint, p_scenario text, p_label text,
                                                   p_dir text, p_port integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO safekeep.disaster_recovery_log (job_id, scenario, backup_label, backup_file,
                                                target_dir, port, status,
                                                rto_objective_minutes, rpo_objective_minutes)
    SELECT p_job, p_scenario::safekeep.disaster_scenario, p_label,
           (SELECT backup_file FROM safekeep.backup_catalog WHERE label = p_label),
           p_dir, p_port, 'running', p.rto_minutes, p.rpo_minutes
      FROM (SELECT 1) one
      LEFT JOIN safekeep.disaster_recovery_procedures p
             ON p.scenario = p_scenario::safekeep.disaster_scenario;
$$;

-- p_figures: {rto_seconds, last_xact_time (unix), newest_wal, newest_wal_time (unix),
-- rpo_seconds}; missing keys are unknown.  Returns a one-line summary.
CREATE FUNCTION safekeep.disaster_recovery_finished(p_job bigint, p_figures jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r safekeep.disaster_recovery_log;
    v_rto numeric := round((p_figures->>'rto_seconds')::numeric, 3);
    v_rpo numeric := round((p_figures->>'rpo_seconds')::numeric, 3);
    v_notes text[] := '{}';
BEGIN
    SELECT * INTO r FROM safekeep.disaster_recovery_log WHERE job_id = p_job;
    IF r.rto_objective_minutes IS NOT NULL AND v_rto > r.rto_objective_minutes * 60 THEN
        v_notes := v_notes || format('RTO objective broken: %s s measured, objective %s min',
                                     v_rto, r.rto_objective_minutes);
    END IF;
    IF v_rpo IS NULL THEN
        v_notes := v_notes || 'RPO unknown: the server log named no replayed transaction'::text;
    ELSIF r.rpo_objective_minutes IS NOT NULL AND v_rpo > r.rpo_objective_minutes * 60 THEN
        v_notes := v_notes || format('RPO objective broken: %s s measured, objective %s min',
                                     v_rpo, r.rpo_objective_minutes);
    END IF;
    UPDATE safekeep.disaster_recovery_log
       SET status = 'completed', completed_at = clock_timestamp(),
           rto_seconds = v_rto, rpo_seconds = v_rpo,
           last_replayed_xact_at = to_timestamp((p_figures->>'last_xact_time')::float8),
           newest_wal = nullif(p_figures->>'newest_wal', ''),
           newest_wal_archived_at = to_timestamp((p_figures->>'newest_wal_time')::float8),
           objectives_met = cardinality(v_notes) = 0,
           notes = nullif(array_to_string(v_notes, '; '), '')
     WHERE job_id = p_job;
    RETURN format('RTO %s s, RPO %s%s', v_rto, coalesce(v_rpo || ' s', 'unknown'),
                  CASE WHEN cardinality(v_notes) = 0 THEN ': objectives met'
                       ELSE ': ' || array_to_string(v_notes, '; ') END);
END;
$$;

CREATE FUNCTION safekeep.disaster_recovery_failed(p_job bigint, p_error text)
RETURNS void LANGUAGE sql AS $$
    UPDATE safekeep.disaster_recovery_log
       SET status = 'failed', completed_at = clock_timestamp(), error_message = p_error
     WHERE job_id = p_job AND status = 'running';
$$;
