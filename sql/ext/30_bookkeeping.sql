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
    j safekeep.jobs;
BEGIN
    SELECT * INTO j FROM safekeep.jobs
     WHERE id = p_job AND status IN ('queued', 'running') FOR UPDATE;
    -- A physical backup that failed before it had a label (archiving or the
    -- repository refused it, the repository was unreachable) is an attempt
    -- all the same: a failed row under a label no backup can have (labels
    -- start with their stamp), so health, the success rate and the
    -- notification (notify_backup) count it like any failed backup.
    IF j.label IS NULL AND j.kind IN ('full_backup', 'incremental_backup', 'differential_backup') THEN
        j.label := 'failed-job-' || p_job;
        INSERT INTO safekeep.backup_catalog (label, backup_type, status, job_id, started_at,
                                             completed_at, duration, error_message, pg_version,
                                             system_identifier)
        VALUES (j.label, split_part(j.kind, '_', 1), 'failed', p_job, j.started_at, now(),
                now() - j.started_at, p_error, current_setting('server_version_num')::integer,
                (SELECT system_identifier::text FROM pg_control_system()))
        ON CONFLICT (label) DO NOTHING;
    END IF;
    UPDATE safekeep.jobs SET status = 'failed', finished_at = now(), error_message = p_error,
                             label = j.label
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
    PERFORM safekeep.disaster_recovery_failed(p_job, p_error);
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

-- "; partial, not in repository 2 (S3 GET ... failed)" when a configured
-- repository did not get the backup; '' when every one did.
CREATE FUNCTION safekeep._not_landed_text(p_repositories jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce('; partial, not in ' || string_agg(
               format('repository %s (%s)', x->>'repo', coalesce(nullif(x->>'error', ''), 'no error recorded')),
               ', ' ORDER BY (x->>'repo')::integer), '')
      FROM jsonb_array_elements(coalesce(p_repositories, '[]'::jsonb)) x
     WHERE NOT (x->>'landed')::boolean;
$$;

CREATE FUNCTION safekeep.backup_completed(p_job bigint, r jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_not_landed text := safekeep._not_landed_text(r->'repositories');
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
           repositories = r->'repositories',
           outcome = CASE WHEN v_not_landed = '' THEN 'success' ELSE 'partial' END,
           started_at = to_timestamp((r->>'start_time')::double precision),
           completed_at = now(),
           duration = now() - to_timestamp((r->>'start_time')::double precision)
     WHERE label = r->>'label';
    INSERT INTO safekeep.backup_log (label, backup_type, backup_file, event, message)
    VALUES (r->>'label', r->>'type', r->>'backup_file', 'completed',
            format('%s backup %s completed: %s files, %s stored of %s%s', r->>'type', r->>'label',
                   r->>'file_count', pg_size_pretty((r->>'backup_size')::bigint),
                   pg_size_pretty((r->>'database_size')::bigint), v_not_landed));
    UPDATE safekeep.jobs SET status = 'succeeded', finished_at = now(), result = r->>'label'
     WHERE id = p_job;
END;
$$;

-- The outcome of a verification: per backup, when, ok/failed and the problems.
-- p_label NULL: every backup was checked. Else p_label was, and so was every
-- object its restore reads, some held by earlier backups; a bad one is a row
-- of each backup that reads it, so other backups change too (see below).
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
    IF p_label IS NOT NULL THEN
        -- Other backups: their rows about objects of p_label (every object in
        -- its directory is one it reads) or about an object named now were
        -- just re-checked and are replaced by this run's rows; the rest of
        -- what they had stays.
        UPDATE safekeep.backup_catalog c
           SET verify_problems = n.kept || n.added,
               verify_status = CASE WHEN jsonb_array_length(n.kept || n.added) > 0
                                    THEN 'failed' ELSE 'ok' END
          FROM (SELECT c2.label,
                       coalesce((SELECT jsonb_agg(o) FROM jsonb_array_elements(c2.verify_problems) o
                                  WHERE NOT safekeep._rechecked(o, p_label, p_problems)),
                                '[]'::jsonb) AS kept,
                       coalesce((SELECT jsonb_agg(p - 'label') FROM jsonb_array_elements(p_problems) p
                                  WHERE p->>'label' = c2.label), '[]'::jsonb) AS added,
                       EXISTS (SELECT 1 FROM jsonb_array_elements(c2.verify_problems) o
                                WHERE safekeep._rechecked(o, p_label, p_problems)) AS touched
                  FROM safekeep.backup_catalog c2
                 WHERE c2.status = 'completed' AND c2.label <> p_label
                   AND jsonb_typeof(c2.verify_problems) = 'array') n
         WHERE c.label = n.label AND (n.touched OR jsonb_array_length(n.added) > 0);
        UPDATE safekeep.backup_catalog c
           SET verify_problems = (SELECT jsonb_agg(p - 'label') FROM jsonb_array_elements(p_problems) p
                                   WHERE p->>'label' = c.label),
               verify_status = 'failed'
         WHERE c.status = 'completed' AND c.label <> p_label AND c.verify_problems IS NULL
           AND c.label IN (SELECT p->>'label' FROM jsonb_array_elements(p_problems) p);
    END IF;
    INSERT INTO safekeep.backup_log (label, event, message)
    SELECT p->>'label', 'verify_problem', format('%s: %s (%s)', p->>'kind', p->>'object', p->>'detail')
      FROM jsonb_array_elements(p_problems) p;
    RETURN jsonb_array_length(p_problems);
END;
$$;

-- The outcome of a verification in every repository (sk_verify_everywhere's
-- results): each problem is tagged with its repository; a repository that
-- could not be read is a problem of each backup (p_label, or all) that
-- landed there, and one that lacks p_label is when the backup landed there.
-- A repository the backup never landed in (added later, say) is no problem.
CREATE FUNCTION safekeep.record_verification_everywhere(p_label text, p_results jsonb)
RETURNS integer LANGUAGE sql AS $$
    WITH r AS (SELECT (e->>'repository')::integer AS n, e->>'outcome' AS outcome,
                      e->>'error' AS error, e->'problems' AS problems
                 FROM jsonb_array_elements(p_results) e),
         landed AS (SELECT c.label, r.n, r.outcome, r.error
                      FROM safekeep.backup_catalog c, r
                     WHERE c.status = 'completed' AND (p_label IS NULL OR c.label = p_label)
                       AND (c.repositories IS NULL
                            OR EXISTS (SELECT 1 FROM jsonb_array_elements(c.repositories) x
                                        WHERE (x->>'repo')::integer = r.n
                                          AND (x->>'landed')::boolean)))
    SELECT safekeep.record_verification(p_label, coalesce(
        (SELECT jsonb_agg(p ORDER BY p->>'label', p->>'object', p->'repository')
           FROM (SELECT q || jsonb_build_object('repository', r.n) AS p
                   FROM r, jsonb_array_elements(r.problems) q WHERE r.outcome = 'verified'
                 UNION ALL
                 SELECT jsonb_build_object('label', l.label, 'kind', 'unreachable_repository',
                                           'object', 'repo' || l.n,
                                           'detail', 'repository ' || l.n
                                                     || ' could not be read: ' || l.error,
                                           'repository', l.n)
                   FROM landed l WHERE l.outcome = 'unreadable'
                 UNION ALL
                 SELECT jsonb_build_object('label', l.label, 'kind', 'missing_backup',
                                           'object', 'backup/' || l.label || '/manifest.json',
                                           'detail', 'backup ' || l.label || ' landed in repository '
                                                     || l.n || ' but is not there now',
                                           'repository', l.n)
                   FROM landed l WHERE l.outcome = 'not_found' AND p_label IS NOT NULL) all_p),
        '[]'::jsonb));
$$;

-- Whether an earlier problem row was checked again by a verification of
-- p_label whose problems are p_problems.
CREATE FUNCTION safekeep._rechecked(p_row jsonb, p_label text, p_problems jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT starts_with(p_row->>'object', 'backup/' || p_label || '/')
        OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_problems) p
                    WHERE p->>'object' = p_row->>'object');
$$;

-- Mark what retention removed (p_plan: sk_expire's, one plan per
-- repository); the rows stay, as history.  A repository that expired a
-- backup no longer holds it (repositories: landed false, expired true), so
-- verification stops looking for it there; the backup is expired once no
-- plan keeps it (a repository with a longer policy may still hold it) and it
-- did not land in a repository that could not be read.
CREATE FUNCTION safekeep.record_expire(p_plan jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH d AS (
        SELECT (r->>'repository')::integer AS repo, b->>'label' AS label, b->>'action' AS action,
               b->>'reason' AS reason
          FROM jsonb_array_elements(p_plan->'repositories') r,
               jsonb_array_elements(coalesce(r->'backups', '[]')) b),
    failed AS (
        SELECT (r->>'repository')::integer AS repo
          FROM jsonb_array_elements(p_plan->'repositories') r WHERE r ? 'error'),
    per_label AS (
        SELECT label, bool_or(action = 'keep') AS kept,
               (array_agg(reason ORDER BY repo) FILTER (WHERE action = 'expire'))[1] AS reason,
               array_agg(repo) FILTER (WHERE action = 'expire') AS gone_from
          FROM d GROUP BY label HAVING bool_or(action = 'expire')),
    changed AS (
        UPDATE safekeep.backup_catalog c
           -- Kept by a plan, or in a repository that could not be read: not expired.
           SET status = CASE WHEN p.kept OR EXISTS (
                                 SELECT 1 FROM jsonb_array_elements(
                                                 CASE WHEN jsonb_typeof(c.repositories) = 'array'
                                                      THEN c.repositories ELSE '[]' END) x
                                  WHERE (x->>'landed')::boolean
                                    AND (x->>'repo')::integer IN (SELECT repo FROM failed))
                             THEN c.status ELSE 'expired' END,
               repositories = CASE WHEN jsonb_typeof(c.repositories) = 'array' THEN
                   (SELECT jsonb_agg(CASE WHEN (x->>'repo')::integer = ANY (p.gone_from)
                                          THEN x || '{"landed": false, "expired": true}'
                                          ELSE x END ORDER BY i)
                      FROM jsonb_array_elements(c.repositories) WITH ORDINALITY AS t(x, i))
                   ELSE c.repositories END
          FROM per_label p
         WHERE c.label = p.label AND c.status <> 'expired'
        RETURNING c.label, c.backup_type, p.reason, c.status = 'expired' AS expired)
    INSERT INTO safekeep.backup_log (label, backup_type, event, message)
    SELECT label, backup_type, 'expired', reason FROM changed WHERE expired;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

-- The leftover sweep (src/pg/sweep.c) removed a directory without a
-- manifest: one backup_log row; returns its message for the server log.
CREATE FUNCTION safekeep.record_swept(p_repo integer, p_kind text, p_label text,
                                      p_location text, p_expired boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_message text := format('removed leftover directory of %s %s from repo%s (%s): %s',
                             CASE WHEN p_kind = 'logical' THEN 'logical backup' ELSE 'backup' END,
                             p_label, p_repo, p_location,
                             CASE WHEN p_expired
                                  THEN 'retention had expired it; its removal was cut short'
                                  ELSE 'it has no manifest.json (a failed or unfinished backup)'
                             END);
BEGIN
    INSERT INTO safekeep.backup_log (label, backup_type, backup_file, event, message)
    VALUES (p_label,
            CASE WHEN p_kind = 'logical' THEN 'logical'
                 WHEN right(p_label, 1) = 'I' THEN 'incremental'
                 WHEN right(p_label, 1) = 'D' THEN 'differential'
                 ELSE 'full' END,
            p_location, 'swept', v_message);
    RETURN v_message;
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
-- restored database's catalog is stale; backups taken elsewhere appear;
-- logical backups that `pg_safekeep expire` removed are marked expired).
CREATE FUNCTION safekeep.sync_catalog()
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b jsonb;
    labels text[] := '{}';
    n integer := 0;
    changed integer;
    v_listed_at timestamptz := clock_timestamp();
    v_info jsonb := safekeep.repository_info(false);
    -- repository_info() read the first configured repository.  A backup
    -- retention removed there but another repository still holds (its own
    -- retention keeps it longer) is neither expired nor missing.
    v_read integer := (SELECT min(repository) FROM safekeep.repositories());
    v_elsewhere text[] := ARRAY(
        SELECT c.label FROM safekeep.backup_catalog c
         WHERE jsonb_typeof(c.repositories) = 'array'
           AND EXISTS (SELECT 1 FROM jsonb_array_elements(c.repositories) x
                        WHERE (x->>'repo')::integer = v_read AND (x->>'expired')::boolean)
           AND EXISTS (SELECT 1 FROM jsonb_array_elements(c.repositories) x
                        WHERE (x->>'repo')::integer <> v_read AND (x->>'landed')::boolean));
BEGIN
    FOR b IN SELECT jsonb_array_elements(v_info->'backups') LOOP
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
    labels := labels || ARRAY(SELECT l->>'label'
                                FROM jsonb_array_elements(v_info->'logical_backups') l);
    -- A backup whose manifest is damaged is still there (verify reports it),
    -- not expired.
    labels := labels || ARRAY(SELECT d->>'label'
                                FROM jsonb_array_elements(v_info->'damaged_backups') d);
    -- A logical row is inserted after its manifest is written: one newer than
    -- the listing may be missing from it without being gone.
    UPDATE safekeep.backup_catalog
       SET status = 'expired', error_message = 'no longer in the repository'
     WHERE status = 'completed' AND label <> ALL (labels)
       AND backup_type = 'logical' AND created_at < v_listed_at;
    GET DIAGNOSTICS changed = ROW_COUNT;
    n := n + changed;
    -- Only retention expires a physical backup: it leaves an expired/<label>
    -- note.  A completed backup that is gone without one is missing.
    UPDATE safekeep.backup_catalog c
       SET status = 'expired', error_message = 'removed by retention (pg_safekeep expire)'
     WHERE c.status IN ('completed', 'missing') AND c.backup_type <> 'logical'
       AND c.label <> ALL (labels) AND c.label <> ALL (v_elsewhere)
       AND c.label IN (SELECT jsonb_array_elements_text(v_info->'expired_labels'));
    GET DIAGNOSTICS changed = ROW_COUNT;
    n := n + changed;
    UPDATE safekeep.backup_catalog c
       SET status = 'missing',
           error_message = 'the repository no longer holds this backup (no manifest.json, and '
                           'retention did not remove it)'
     WHERE c.status = 'completed' AND c.backup_type <> 'logical' AND c.label <> ALL (labels)
       AND c.label <> ALL (v_elsewhere);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN n + changed;
END;
$$;

