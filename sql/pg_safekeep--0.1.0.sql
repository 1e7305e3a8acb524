-- pg_safekeep 0.1.0: catalog, job functions and health checks.
\echo Use "CREATE EXTENSION pg_safekeep" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Catalog tables.  The repository is the source of truth; these are a view of
-- it that the launcher keeps in step (safekeep.sync_catalog()).
-- ---------------------------------------------------------------------------

-- Job ids are taken before the job's row exists (the worker inserts it).
CREATE SEQUENCE safekeep.jobs_id_seq;

CREATE TABLE safekeep.jobs (
    id            bigint PRIMARY KEY,
    kind          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    label         text,
    requested_by  name,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    result        text,
    error_message text
);

CREATE TABLE safekeep.backup_catalog (
    id                bigserial PRIMARY KEY,
    label             text NOT NULL UNIQUE,
    backup_type       text NOT NULL
                      CHECK (backup_type IN ('full', 'differential', 'incremental', 'logical')),
    prior_label       text,
    backup_file       text,          -- repository location of manifest.json
    backup_size       bigint,        -- bytes stored in the repository
    database_size     bigint,        -- bytes of the files backed up
    checksum          text,          -- sha256 of manifest.json
    compression_ratio numeric,
    changes_count     bigint,
    file_count        bigint,
    status            text NOT NULL
                      CHECK (status IN ('running', 'completed', 'failed', 'expired')),
    job_id            bigint,
    start_lsn         pg_lsn,
    stop_lsn          pg_lsn,
    start_wal         text,
    stop_wal          text,
    timeline          integer,
    pg_version        integer,
    system_identifier text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    completed_at      timestamptz,
    duration          interval,
    copied_bytes      bigint,        -- uncompressed changed data this backup stored
    notice            text,          -- e.g. why an incremental became a full backup
    verified_at       timestamptz,
    verify_status     text CHECK (verify_status IN ('ok', 'failed')),
    verify_problems   jsonb,         -- [{kind, object, detail}] of the last verification
    error_message     text
);
CREATE INDEX ON safekeep.backup_catalog (status, completed_at);

CREATE TABLE safekeep.backup_log (
    id          bigserial PRIMARY KEY,
    label       text,
    backup_type text,
    backup_file text,
    event       text NOT NULL,
    message     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE safekeep.recovery_log (
    id            bigserial PRIMARY KEY,
    job_id        bigint,
    recovery_type text NOT NULL
                  CHECK (recovery_type IN ('full', 'point_in_time', 'table', 'drill', 'disaster')),
    backup_label  text,
    backup_file   text,
    target_time   timestamptz,
    table_name    text,
    target_dir    text,
    port          integer,
    status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    error_message text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    duration      interval
);

-- ---------------------------------------------------------------------------
-- C functions (src/pg/sql_api.c)
-- ---------------------------------------------------------------------------
CREATE FUNCTION safekeep._queue_backup(backup_type text, wait boolean)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_queue_backup' LANGUAGE C VOLATILE;

CREATE FUNCTION safekeep._queue_restore(wait boolean, label text, target_dir text,
                                        target_time text, target_time_unix float8,
                                        port integer, recovery_type text)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_queue_restore' LANGUAGE C VOLATILE;

CREATE FUNCTION safekeep._queue_verify(label text, wal_to_newest boolean, wait boolean)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_queue_verify' LANGUAGE C VOLATILE;

CREATE FUNCTION safekeep._expire(dry_run boolean)
RETURNS jsonb AS 'MODULE_PATHNAME', 'sk_sql_expire' LANGUAGE C VOLATILE;

CREATE FUNCTION safekeep.repository_info(with_wal boolean DEFAULT false)
RETURNS jsonb AS 'MODULE_PATHNAME', 'sk_sql_repository_info' LANGUAGE C VOLATILE;

CREATE FUNCTION safekeep._check_target_dir(target_dir text)
RETURNS void AS 'MODULE_PATHNAME', 'sk_sql_check_target_dir' LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION safekeep._check_port_free(port integer)
RETURNS void AS 'MODULE_PATHNAME', 'sk_sql_check_port_free' LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION safekeep._check_repository()
RETURNS void AS 'MODULE_PATHNAME', 'sk_sql_check_repository' LANGUAGE C VOLATILE;

-- What the archive module shipped, read from the repository itself (the
-- archiver has no database connection to record it anywhere else).
CREATE VIEW safekeep.wal_archive_catalog AS
SELECT w->>'name'                                      AS wal_file,
       w->>'object'                                    AS archive_path,
       (w->>'stored_size')::bigint                     AS file_size,
       to_timestamp((w->>'mtime')::double precision)   AS archived_at
FROM jsonb_array_elements(safekeep.repository_info(true)->'wal') AS w;

-- ---------------------------------------------------------------------------
-- Bookkeeping called by the launcher and job workers (not for users)
-- ---------------------------------------------------------------------------
CREATE FUNCTION safekeep.job_started(p_job bigint, p_kind text, p_user oid)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO safekeep.jobs (id, kind, status, requested_by)
    VALUES (p_job, p_kind, 'running', (SELECT rolname FROM pg_roles WHERE oid = p_user))
    ON CONFLICT (id) DO UPDATE SET status = 'running';
$$;

CREATE FUNCTION safekeep.job_failed(p_job bigint, p_error text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_label text;
BEGIN
    UPDATE safekeep.jobs SET status = 'failed', finished_at = now(), error_message = p_error
     WHERE id = p_job AND status IN ('queued', 'running') RETURNING label INTO v_label;
    IF v_label IS NOT NULL THEN
        UPDATE safekeep.backup_catalog
           SET status = 'failed', error_message = p_error, completed_at = now(),
               duration = now() - started_at
         WHERE label = v_label AND status = 'running';
        INSERT INTO safekeep.backup_log (label, backup_type, event, message)
        SELECT label, backup_type, 'failed', p_error FROM safekeep.backup_catalog
         WHERE label = v_label;
    END IF;
    UPDATE safekeep.recovery_log
       SET status = 'failed', error_message = p_error, completed_at = now(),
           duration = now() - started_at
     WHERE job_id = p_job AND status = 'running';
END;
$$;

-- A worker that vanished (the launcher noticed): same as job_failed.
CREATE FUNCTION safekeep.fail_job(p_job bigint, p_error text)
RETURNS void LANGUAGE sql AS $$ SELECT safekeep.job_failed(p_job, p_error); $$;

-- At launcher start: whatever was running was interrupted by a crash or restart.
CREATE FUNCTION safekeep.fail_interrupted_jobs()
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_job bigint;
    n integer := 0;
BEGIN
    FOR v_job IN SELECT id FROM safekeep.jobs WHERE status IN ('queued', 'running') LOOP
        PERFORM safekeep.job_failed(v_job, 'interrupted by a server restart or crash');
        n := n + 1;
    END LOOP;
    UPDATE safekeep.backup_catalog
       SET status = 'failed', error_message = 'interrupted by a server restart or crash',
           completed_at = now(), duration = now() - started_at
     WHERE status = 'running';
    UPDATE safekeep.recovery_log
       SET status = 'failed', error_message = 'interrupted by a server restart or crash',
           completed_at = now(), duration = now() - started_at
     WHERE status = 'running';
    RETURN n;
END;
$$;

CREATE FUNCTION safekeep.job_succeeded(p_job bigint, p_result text)
RETURNS void LANGUAGE sql AS $$
    UPDATE safekeep.jobs SET status = 'succeeded', finished_at = now(), result = p_result
     WHERE id = p_job;
$$;

CREATE FUNCTION safekeep.backup_started(p_job bigint, p_label text, p_type text,
                                        p_prior text, p_notice text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE safekeep.jobs SET label = p_label WHERE id = p_job;
    -- A failed backup's label is free again once its directory is discarded;
    -- keep that failed row under a suffixed label.
    UPDATE safekeep.backup_catalog SET label = label || '~' || id
     WHERE label = p_label AND status = 'failed';
    INSERT INTO safekeep.backup_catalog (label, backup_type, prior_label, status, job_id,
                                         started_at, notice, pg_version, system_identifier)
    VALUES (p_label, p_type, p_prior, 'running', p_job, now(), p_notice,
            current_setting('server_version_num')::integer,
            (SELECT system_identifier::text FROM pg_control_system()));
    INSERT INTO safekeep.backup_log (label, backup_type, event, message)
    VALUES (p_label, p_type, 'started',
            format('%s backup %s started (job %s)%s', p_type, p_label, p_job,
                   coalesce(' relative to ' || p_prior, '') || coalesce(': ' || p_notice, '')));
END;
$$;

CREATE FUNCTION safekeep.backup_completed(p_job bigint, r jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE safekeep.backup_catalog
       SET status = 'completed',
           backup_type = r->>'type',
           prior_label = nullif(r->>'prior', ''),
           backup_file = r->>'backup_file',
           backup_size = (r->>'backup_size')::bigint,
           database_size = (r->>'database_size')::bigint,
           copied_bytes = (r->>'copied_bytes')::bigint,
           checksum = r->>'checksum',
           compression_ratio = round((r->>'database_size')::numeric
                                     / greatest((r->>'backup_size')::numeric, 1), 2),
           changes_count = (r->>'changed_files')::bigint,
           file_count = (r->>'file_count')::bigint,
           start_lsn = (r->>'start_lsn')::pg_lsn,
           stop_lsn = (r->>'stop_lsn')::pg_lsn,
           start_wal = r->>'start_wal',
           stop_wal = r->>'stop_wal',
           timeline = (r->>'timeline')::integer,
           started_at = to_timestamp((r->>'start_time')::double precision),
           completed_at = now(),
           duration = now() - to_timestamp((r->>'start_time')::double precision)
     WHERE label = r->>'label';
    INSERT INTO safekeep.backup_log (label, backup_type, backup_file, event, message)
    VALUES (r->>'label', r->>'type', r->>'backup_file', 'completed',
            format('%s backup %s completed: %s files, %s stored of %s', r->>'type', r->>'label',
                   r->>'file_count', pg_size_pretty((r->>'backup_size')::bigint),
                   pg_size_pretty((r->>'database_size')::bigint)));
    UPDATE safekeep.jobs SET status = 'succeeded', finished_at = now(), result = r->>'label'
     WHERE id = p_job;
END;
$$;

-- The outcome of a verification: per backup, when, ok/failed and the problems.
CREATE FUNCTION safekeep.record_verification(p_label text, p_problems jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    PERFORM safekeep.sync_catalog();
    UPDATE safekeep.backup_catalog c
       SET verified_at = now(),
           verify_problems = coalesce((SELECT jsonb_agg(p - 'label')
                                         FROM jsonb_array_elements(p_problems) p
                                        WHERE p->>'label' = c.label), '[]'::jsonb),
           verify_status = CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(p_problems) p
                                              WHERE p->>'label' = c.label)
                                THEN 'failed' ELSE 'ok' END
     WHERE c.status = 'completed' AND (p_label IS NULL OR c.label = p_label);
    INSERT INTO safekeep.backup_log (label, event, message)
    SELECT p->>'label', 'verify_problem', format('%s: %s (%s)', p->>'kind', p->>'object', p->>'detail')
      FROM jsonb_array_elements(p_problems) p;
    RETURN jsonb_array_length(p_problems);
END;
$$;

-- Mark what retention removed; the rows stay, as history.
CREATE FUNCTION safekeep.record_expire(p_plan jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH gone AS (
        UPDATE safekeep.backup_catalog c SET status = 'expired'
          FROM jsonb_array_elements(p_plan->'backups') b
         WHERE b->>'action' = 'expire' AND c.label = b->>'label' AND c.status <> 'expired'
        RETURNING c.label, c.backup_type, b->>'reason' AS reason)
    INSERT INTO safekeep.backup_log (label, backup_type, event, message)
    SELECT label, backup_type, 'expired', reason FROM gone;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

CREATE FUNCTION safekeep.recovery_started(p_job bigint, p_type text, p_label text,
                                          p_target timestamptz, p_dir text, p_port integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO safekeep.recovery_log (job_id, recovery_type, backup_label, target_time,
                                       target_dir, port, status)
    VALUES (p_job, p_type, p_label, p_target, p_dir, p_port, 'running');
$$;

CREATE FUNCTION safekeep.recovery_backup_chosen(p_job bigint, p_label text)
RETURNS void LANGUAGE sql AS $$
    UPDATE safekeep.recovery_log
       SET backup_label = p_label,
           backup_file = (SELECT backup_file FROM safekeep.backup_catalog WHERE label = p_label)
     WHERE job_id = p_job;
    UPDATE safekeep.jobs SET label = p_label WHERE id = p_job;
$$;

CREATE FUNCTION safekeep.recovery_finished(p_job bigint, p_error text, p_result text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_error IS NOT NULL THEN
        PERFORM safekeep.job_failed(p_job, p_error);
        RETURN;
    END IF;
    UPDATE safekeep.recovery_log
       SET status = 'completed', completed_at = now(), duration = now() - started_at
     WHERE job_id = p_job;
    UPDATE safekeep.jobs SET status = 'succeeded', finished_at = now(), result = p_result
     WHERE id = p_job;
END;
$$;

-- Bring backup_catalog in step with the repository (after a restore the
-- restored database's catalog is stale; backups taken elsewhere appear).
CREATE FUNCTION safekeep.sync_catalog()
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    b jsonb;
    labels text[] := '{}';
    n integer := 0;
    changed integer;
BEGIN
    FOR b IN SELECT jsonb_array_elements(safekeep.repository_info(false)->'backups') LOOP
        labels := labels || (b->>'label');
        INSERT INTO safekeep.backup_catalog AS c
               (label, backup_type, status, backup_file, backup_size, database_size, checksum,
                compression_ratio, file_count, start_lsn, stop_lsn, start_wal, stop_wal,
                timeline, pg_version, system_identifier, started_at, completed_at, duration)
        VALUES (b->>'label', b->>'type', 'completed', b->>'manifest_path',
                (b->>'stored_bytes')::bigint, (b->>'original_bytes')::bigint,
                b->>'manifest_sha256',
                round((b->>'original_bytes')::numeric
                      / greatest((b->>'stored_bytes')::numeric, 1), 2),
                (b->>'file_count')::bigint, (b->>'start_lsn')::pg_lsn,
                (b->>'stop_lsn')::pg_lsn, b->>'start_wal', b->>'stop_wal',
                (b->>'timeline')::integer, (b->>'pg_version')::integer, b->>'system_id',
                to_timestamp((b->>'start_time')::double precision),
                to_timestamp((b->>'stop_time')::double precision),
                to_timestamp((b->>'stop_time')::double precision)
                  - to_timestamp((b->>'start_time')::double precision))
        ON CONFLICT (label) DO UPDATE
           SET status = 'completed', error_message = NULL,
               backup_file = excluded.backup_file, backup_size = excluded.backup_size,
               database_size = excluded.database_size, checksum = excluded.checksum,
               compression_ratio = excluded.compression_ratio
         WHERE c.status <> 'completed';
        GET DIAGNOSTICS changed = ROW_COUNT;
        n := n + changed;
    END LOOP;
    UPDATE safekeep.backup_catalog
       SET status = 'expired', error_message = 'no longer in the repository'
     WHERE status = 'completed' AND label <> ALL (labels);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN n + changed;
END;
$$;

-- ---------------------------------------------------------------------------
-- User functions
-- ---------------------------------------------------------------------------

-- WAL must reach the repository or a backup cannot be restored.
CREATE FUNCTION safekeep._check_archiving()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('archive_mode') = 'off' THEN
        RAISE EXCEPTION 'archive_mode is off'
              USING HINT = 'Set archive_mode = on and archive_library = ''pg_safekeep'' and restart.';
    END IF;
    IF current_setting('archive_library') <> 'pg_safekeep' THEN
        RAISE EXCEPTION 'archive_library is "%", not pg_safekeep', current_setting('archive_library')
              USING HINT = 'Set archive_library = ''pg_safekeep'' so WAL reaches the repository.';
    END IF;
    PERFORM safekeep._check_repository();
END;
$$;

CREATE FUNCTION safekeep.create_full_backup(wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM safekeep._check_archiving();
    RETURN safekeep._queue_backup('full', wait);
END;
$$;

-- Changes since the newest backup of any type; a full one when none exists.
CREATE FUNCTION safekeep.create_incremental_backup(wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM safekeep._check_archiving();
    RETURN safekeep._queue_backup('incremental', wait);
END;
$$;

-- Changes since the newest full backup; a full one when none exists.
CREATE FUNCTION safekeep.create_differential_backup(wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM safekeep._check_archiving();
    RETURN safekeep._queue_backup('differential', wait);
END;
$$;

-- Check objects, sizes, checksums, the chain and the WAL a backup needs
-- (NULL: every backup).  Returns one row per problem, none when all is well;
-- backup_catalog records verified_at, verify_status and the problems.
CREATE FUNCTION safekeep.verify_backup(backup_label text DEFAULT NULL,
                                       wal_to_newest boolean DEFAULT false)
RETURNS TABLE (label text, problem text, object text, detail text)
LANGUAGE plpgsql AS $$
BEGIN
    IF backup_label IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(safekeep.repository_info(false)->'backups') e
            WHERE e->>'label' = backup_label) THEN
        RAISE EXCEPTION 'backup "%" does not exist in the repository', backup_label;
    END IF;
    PERFORM safekeep._queue_verify(backup_label, wal_to_newest, true);
    RETURN QUERY
        SELECT c.label, p->>'kind', p->>'object', p->>'detail'
          FROM safekeep.backup_catalog c, jsonb_array_elements(c.verify_problems) p
         WHERE c.status = 'completed' AND (backup_label IS NULL OR c.label = backup_label)
         ORDER BY 1, 2, 3;
END;
$$;

-- Retention by the safekeep.retention_* settings.  dry_run (the default)
-- only shows what would go and why; the last row is the WAL decision.
CREATE FUNCTION safekeep.expire_backups(dry_run boolean DEFAULT true)
RETURNS TABLE (label text, backup_type text, action text, reason text)
LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb := safekeep._expire(dry_run);
BEGIN
    RETURN QUERY
        SELECT b->>'label', b->>'type', b->>'action', b->>'reason'
          FROM jsonb_array_elements(plan->'backups') b;
    RETURN QUERY
        SELECT NULL::text, 'wal'::text,
               CASE WHEN (plan->'wal'->>'removed_count')::bigint > 0 THEN 'expire' ELSE 'keep' END,
               format('%s WAL files (%s) %s%s', plan->'wal'->>'removed_count',
                      pg_size_pretty((plan->'wal'->>'removed_bytes')::bigint),
                      CASE WHEN dry_run THEN 'would be removed' ELSE 'removed' END,
                      coalesce(' before ' || (plan->'wal'->>'remove_before'), ''));
END;
$$;

-- The backup a recovery uses: the given label (checked), or the newest one
-- that ended at or before the target time (or the newest one at all).
CREATE FUNCTION safekeep._choose_backup(p_label text, p_target timestamptz)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    backups jsonb := safekeep.repository_info(false)->'backups';
    b jsonb;
    chosen text;
BEGIN
    IF jsonb_array_length(backups) = 0 THEN
        RAISE EXCEPTION 'the repository holds no backups'
              USING HINT = 'Take one with SELECT safekeep.create_full_backup();';
    END IF;
    IF p_label IS NOT NULL THEN
        SELECT e INTO b FROM jsonb_array_elements(backups) e WHERE e->>'label' = p_label;
        IF b IS NULL THEN
            RAISE EXCEPTION 'backup "%" does not exist in the repository', p_label
                  USING HINT = 'See pg_safekeep info or SELECT label FROM safekeep.backup_catalog.';
        END IF;
        IF p_target IS NOT NULL
           AND to_timestamp((b->>'stop_time')::double precision) > p_target THEN
            RAISE EXCEPTION 'backup "%" ends at %, after the target time %', p_label,
                  to_timestamp((b->>'stop_time')::double precision), p_target;
        END IF;
        RETURN p_label;
    END IF;
    SELECT e->>'label' INTO chosen FROM jsonb_array_elements(backups) e
     WHERE p_target IS NULL OR to_timestamp((e->>'stop_time')::double precision) <= p_target
     ORDER BY e->>'label' DESC LIMIT 1;
    IF chosen IS NULL THEN
        RAISE EXCEPTION 'no backup ends before the target time %', p_target
              USING DETAIL = format('The oldest backup ends at %s.',
                                    (SELECT min(to_timestamp((e->>'stop_time')::double precision))
                                       FROM jsonb_array_elements(backups) e));
    END IF;
    RETURN chosen;
END;
$$;

CREATE FUNCTION safekeep._check_recovery_target(p_dir text, p_port integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_dir IS NULL THEN
        RAISE EXCEPTION 'target_dir must be given'
              USING HINT = 'A recovery from SQL restores into a new, empty directory; '
                           'an in-place restore of a stopped server is pg_safekeep restore.';
    END IF;
    PERFORM safekeep._check_target_dir(p_dir);
    IF p_port IS NOT NULL THEN
        PERFORM safekeep._check_port_free(p_port);
    END IF;
END;
$$;

CREATE FUNCTION safekeep.point_in_time_recovery(target_time timestamptz,
                                                backup_label text DEFAULT NULL,
                                                target_dir text DEFAULT NULL,
                                                port integer DEFAULT NULL,
                                                wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    chosen text;
BEGIN
    IF target_time IS NULL THEN
        RAISE EXCEPTION 'target_time must be given'
              USING HINT = 'safekeep.recover_full_database() restores to the end of a backup.';
    END IF;
    IF target_time > clock_timestamp() THEN
        RAISE EXCEPTION 'target time % is in the future', target_time;
    END IF;
    PERFORM safekeep._check_recovery_target(target_dir, port);
    chosen := safekeep._choose_backup(backup_label, target_time);
    RETURN safekeep._queue_restore(wait, chosen, target_dir,
                                   to_char(target_time AT TIME ZONE 'UTC',
                                           'YYYY-MM-DD HH24:MI:SS.US') || '+00',
                                   extract(epoch FROM target_time)::float8, port, 'point_in_time');
END;
$$;

CREATE FUNCTION safekeep.recover_full_database(backup_label text DEFAULT NULL,
                                               target_dir text DEFAULT NULL,
                                               port integer DEFAULT NULL,
                                               wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    chosen text;
BEGIN
    PERFORM safekeep._check_recovery_target(target_dir, port);
    chosen := safekeep._choose_backup(backup_label, NULL);
    RETURN safekeep._queue_restore(wait, chosen, target_dir, NULL, NULL, port, 'full');
END;
$$;

-- Health: the first of no_backups, backup_failed, archive_failing, backup_old
-- that applies, else healthy.
CREATE FUNCTION safekeep.check_backup_health()
RETURNS TABLE (health_status text, details jsonb) LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_total bigint;
    v_failed bigint;
    v_latest record;
    v_size_gb numeric;
    v_ratio numeric;
    v_arch record;
    v_max_age integer;
BEGIN
    SELECT count(*) FILTER (WHERE c.status = 'completed'),
           count(*) FILTER (WHERE c.status = 'failed' AND c.created_at > now() - interval '7 days'),
           round(coalesce(sum(c.backup_size) FILTER (WHERE c.status = 'completed'), 0)
                 / 1073741824.0, 3),
           round(avg(c.compression_ratio) FILTER (WHERE c.status = 'completed'), 2)
      INTO v_total, v_failed, v_size_gb, v_ratio
      FROM safekeep.backup_catalog c;
    SELECT c.label, c.completed_at INTO v_latest FROM safekeep.backup_catalog c
     WHERE c.status = 'completed' ORDER BY c.completed_at DESC NULLS LAST LIMIT 1;
    SELECT * INTO v_arch FROM pg_stat_archiver;
    SELECT setting::integer INTO v_max_age FROM pg_settings WHERE name = 'safekeep.max_backup_age';

    details := jsonb_build_object(
        'total_backups', v_total,
        'latest_backup', v_latest.label,
        'latest_backup_at', v_latest.completed_at,
        'failed_backups', v_failed,
        'backup_size_gb', v_size_gb,
        'compression_ratio', v_ratio,
        'last_archived_wal', v_arch.last_archived_wal,
        'seconds_since_last_archived_wal',
            round(extract(epoch FROM now() - v_arch.last_archived_time)),
        'archive_failed_count', v_arch.failed_count);

    IF v_total = 0 THEN
        health_status := 'no_backups';
    ELSIF EXISTS (SELECT 1 FROM safekeep.backup_catalog c
                   WHERE c.status = 'failed' AND c.created_at > now() - interval '7 days'
                     AND c.created_at > v_latest.completed_at) THEN
        health_status := 'backup_failed';
    ELSIF v_arch.last_failed_time IS NOT NULL
          AND v_arch.last_failed_time > coalesce(v_arch.last_archived_time, '-infinity') THEN
        health_status := 'archive_failing';
    ELSIF v_latest.completed_at < now() - make_interval(secs => coalesce(v_max_age, 86400)) THEN
        health_status := 'backup_old';
    ELSE
        health_status := 'healthy';
    END IF;
    RETURN NEXT;
END;
$$;

-- ---------------------------------------------------------------------------
-- Privileges: the catalog is readable by pg_monitor (Grafana); everything
-- that changes anything is for superusers and safekeep_admin only.
-- ---------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safekeep_admin') THEN
        CREATE ROLE safekeep_admin NOLOGIN;
    END IF;
END;
$$;

-- Usage for all, so a denied call names the function rather than the schema.
GRANT USAGE ON SCHEMA safekeep TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA safekeep TO pg_monitor, safekeep_admin;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA safekeep FROM PUBLIC;
GRANT EXECUTE ON FUNCTION safekeep.check_backup_health() TO PUBLIC;
GRANT EXECUTE ON FUNCTION safekeep.repository_info(boolean) TO pg_monitor, safekeep_admin;
GRANT EXECUTE ON FUNCTION safekeep.create_full_backup(boolean),
                          safekeep.create_incremental_backup(boolean),
                          safekeep.create_differential_backup(boolean),
                          safekeep.verify_backup(text, boolean),
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
                          safekeep.sync_catalog()
      TO safekeep_admin;
GRANT USAGE ON SEQUENCE safekeep.jobs_id_seq TO safekeep_admin;
