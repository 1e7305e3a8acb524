-- ---------------------------------------------------------------------------
-- Schedules: the launcher's built-in scheduler (src/pg/scheduler.c).  Cron
-- expressions are evaluated in UTC.  A run missed while the server was down
-- runs once at start-up: next_run_at is recomputed from the time a schedule
-- fires, never from the missed slot.  safekeep.scheduler = off stops it.
-- ---------------------------------------------------------------------------

-- The first minute strictly after `after` that expr matches (UTC); an error
-- naming the bad field for a bad expression.
CREATE FUNCTION safekeep._cron_next(expr text, after timestamptz)
RETURNS timestamptz AS 'MODULE_PATHNAME', 'sk_sql_cron_next'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- full_verify: a full backup, then (once it succeeded) a verification of that
-- backup and of the WAL from it up to the newest archived segment.  verify:
-- every backup and the WAL from each up to the newest segment.  expire: the
-- safekeep.retention_* policy.
CREATE FUNCTION safekeep._check_schedule_kind(p_kind text)
RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_kind IS NULL THEN
        RAISE EXCEPTION 'a schedule needs a job kind'
              USING HINT = 'Use full, differential, incremental, full_verify, verify, drill, expire, logical or logical_schema.';
    END IF;
    IF p_kind NOT IN ('full', 'differential', 'incremental', 'full_verify', 'verify', 'drill',
                      'expire', 'logical', 'logical_schema') THEN
        RAISE EXCEPTION 'unknown job kind "%"', p_kind
              USING HINT = 'Use full, differential, incremental, full_verify, verify, drill, expire, logical or logical_schema.';
    END IF;
END;
$$;

CREATE TABLE safekeep.schedules (
    name          text PRIMARY KEY CHECK (name <> '' AND octet_length(name) <= 63),
    -- _cron_next raises the error naming the bad field.
    cron          text NOT NULL CHECK (safekeep._cron_next(cron, '2000-01-01 00:00+00') IS NOT NULL),
    job_kind      text NOT NULL CHECK (job_kind IN ('full', 'differential', 'incremental',
                                                    'full_verify', 'verify', 'drill', 'expire',
                                                    'logical', 'logical_schema')),
    repository    integer NOT NULL DEFAULT 1 CHECK (repository = 1),  -- only repo1 exists
    enabled       boolean NOT NULL DEFAULT true,
    next_run_at   timestamptz,   -- NULL while paused
    last_run_at   timestamptz,
    last_job_id   bigint,
    verify_job_id bigint,        -- full_verify: the verification after the backup (0: not queued)
    last_result   text CHECK (last_result IN ('queued', 'running', 'succeeded', 'failed',
                                              'skipped')),
    last_message  text,          -- the label, the skip reason, the error
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Every firing: what was due, what it queued or why it was skipped.
CREATE TABLE safekeep.schedule_log (
    id            bigserial PRIMARY KEY,
    schedule_name text NOT NULL,
    job_kind      text NOT NULL,
    due_at        timestamptz,
    fired_at      timestamptz NOT NULL DEFAULT now(),
    job_id        bigint,
    outcome       text NOT NULL CHECK (outcome IN ('queued', 'skipped', 'succeeded', 'failed')),
    message       text
);
CREATE INDEX ON safekeep.schedule_log (schedule_name, fired_at);

-- The seeds' plan.  The weekly full is a full_verify (see above); every
-- backup is also verified by its own job while safekeep.verify_after_backup
-- is on.
INSERT INTO safekeep.schedules (name, cron, job_kind) VALUES
    ('incremental_every_4h', '0 */4 * * *', 'incremental'),
    ('full_daily', '0 2 * * *', 'full'),
    ('full_verify_weekly', '0 1 * * 0', 'full_verify'),
    ('drill_monthly', '0 3 1 * *', 'drill');
UPDATE safekeep.schedules SET next_run_at = safekeep._cron_next(cron, now());

CREATE VIEW safekeep.schedule_status AS
SELECT s.name, s.cron, s.job_kind AS kind, s.enabled, s.repository,
       s.last_run_at, s.last_result, s.last_message, s.last_job_id,
       s.next_run_at, s.next_run_at - now() AS next_run_in
  FROM safekeep.schedules s
 ORDER BY s.next_run_at NULLS LAST, s.name;

-- The row of a schedule, locked; an error for an unknown name.
CREATE FUNCTION safekeep._schedule_row(p_name text)
RETURNS safekeep.schedules LANGUAGE plpgsql AS $$
DECLARE
    s safekeep.schedules;
BEGIN
    SELECT * INTO s FROM safekeep.schedules WHERE name = p_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'schedule "%" does not exist', p_name
              USING HINT = 'SELECT name FROM safekeep.schedules; lists them.';
    END IF;
    RETURN s;
END;
$$;

-- Add a schedule; returns its next run (NULL when added paused).
CREATE FUNCTION safekeep.add_schedule(name text, cron text, job_kind text,
                                      enabled boolean DEFAULT true,
                                      repository integer DEFAULT 1)
RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_next timestamptz;
BEGIN
    IF add_schedule.name IS NULL OR add_schedule.name = '' THEN
        RAISE EXCEPTION 'a schedule needs a name';
    END IF;
    IF octet_length(add_schedule.name) > 63 THEN
        RAISE EXCEPTION 'schedule name "%" is too long (at most 63 bytes)', add_schedule.name;
    END IF;
    IF add_schedule.cron IS NULL THEN
        RAISE EXCEPTION 'a schedule needs a cron expression'
              USING HINT = 'For example ''0 2 * * *'': 02:00 UTC every day.';
    END IF;
    PERFORM safekeep._check_schedule_kind(add_schedule.job_kind);
    v_next := safekeep._cron_next(add_schedule.cron, now());
    IF add_schedule.enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must be true or false';
    END IF;
    IF add_schedule.repository IS DISTINCT FROM 1 THEN
        RAISE EXCEPTION 'repository % does not exist', coalesce(add_schedule.repository::text, 'NULL')
              USING HINT = 'Only repository 1 (safekeep.repo1_path) is configured.';
    END IF;
    IF EXISTS (SELECT 1 FROM safekeep.schedules s WHERE s.name = add_schedule.name) THEN
        RAISE EXCEPTION 'schedule "%" already exists', add_schedule.name
              USING HINT = 'Change it with safekeep.alter_schedule().';
    END IF;
    INSERT INTO safekeep.schedules (name, cron, job_kind, repository, enabled, next_run_at)
    VALUES (add_schedule.name, add_schedule.cron, add_schedule.job_kind, add_schedule.repository,
            add_schedule.enabled, CASE WHEN add_schedule.enabled THEN v_next END);
    RETURN CASE WHEN add_schedule.enabled THEN v_next END;
END;
$$;

-- Change what is given (NULL: keep).  A new expression, or enabling a
-- paused schedule, counts its next run from now.  Returns the next run.
CREATE FUNCTION safekeep.alter_schedule(name text, cron text DEFAULT NULL,
                                        job_kind text DEFAULT NULL,
                                        enabled boolean DEFAULT NULL)
RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s safekeep.schedules := safekeep._schedule_row(alter_schedule.name);
    v_cron text := coalesce(alter_schedule.cron, s.cron);
    v_enabled boolean := coalesce(alter_schedule.enabled, s.enabled);
    v_next timestamptz;
BEGIN
    IF alter_schedule.cron IS NULL AND alter_schedule.job_kind IS NULL
       AND alter_schedule.enabled IS NULL THEN
        RAISE EXCEPTION 'nothing to change for schedule "%"', s.name
              USING HINT = 'Give cron, job_kind or enabled.';
    END IF;
    IF alter_schedule.job_kind IS NOT NULL THEN
        PERFORM safekeep._check_schedule_kind(alter_schedule.job_kind);
    END IF;
    v_next := safekeep._cron_next(v_cron, now());
    IF NOT v_enabled THEN
        v_next := NULL;
    ELSIF alter_schedule.cron IS NULL AND s.enabled THEN
        v_next := s.next_run_at;
    END IF;
    UPDATE safekeep.schedules t
       SET cron = v_cron, job_kind = coalesce(alter_schedule.job_kind, t.job_kind),
           enabled = v_enabled, next_run_at = v_next, updated_at = now()
     WHERE t.name = s.name;
    RETURN v_next;
END;
$$;

-- Stop running a schedule (a run in progress goes on).
CREATE FUNCTION safekeep.pause_schedule(name text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM safekeep._schedule_row(pause_schedule.name);
    UPDATE safekeep.schedules t SET enabled = false, next_run_at = NULL, updated_at = now()
     WHERE t.name = pause_schedule.name AND t.enabled;
END;
$$;

-- Run it again from its next slot; the runs missed while paused are not made up.
CREATE FUNCTION safekeep.resume_schedule(name text)
RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s safekeep.schedules := safekeep._schedule_row(resume_schedule.name);
BEGIN
    IF s.enabled THEN
        RETURN s.next_run_at;
    END IF;
    UPDATE safekeep.schedules t
       SET enabled = true, next_run_at = safekeep._cron_next(t.cron, now()), updated_at = now()
     WHERE t.name = s.name;
    RETURN (SELECT t.next_run_at FROM safekeep.schedules t WHERE t.name = s.name);
END;
$$;

-- Remove a schedule; its safekeep.schedule_log rows stay, as history.
CREATE FUNCTION safekeep.remove_schedule(name text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM safekeep._schedule_row(remove_schedule.name);
    DELETE FROM safekeep.schedules t WHERE t.name = remove_schedule.name;
END;
$$;

-- ---- called by the launcher (scheduler.c) ---------------------------------

-- The enabled schedule that has been due longest.
CREATE FUNCTION safekeep._schedule_next_due()
RETURNS TABLE (name text, job_kind text, next_run_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT s.name, s.job_kind, s.next_run_at FROM safekeep.schedules s
     WHERE s.enabled AND s.next_run_at <= now()
     ORDER BY s.next_run_at, s.name LIMIT 1;
$$;

-- Record a firing (outcome queued, skipped, succeeded or failed) and count
-- the next run from now: missed slots are not made up one by one.
CREATE FUNCTION safekeep._schedule_fired(p_name text, p_due timestamptz, p_job bigint,
                                         p_outcome text, p_message text)
RETURNS void LANGUAGE sql AS $$
    UPDATE safekeep.schedules s
       SET last_run_at = now(), last_job_id = p_job, verify_job_id = NULL,
           last_result = p_outcome, last_message = p_message,
           next_run_at = CASE WHEN s.enabled THEN safekeep._cron_next(s.cron, now()) END
     WHERE s.name = p_name;
    INSERT INTO safekeep.schedule_log (schedule_name, job_kind, due_at, job_id, outcome, message)
    SELECT p_name, s.job_kind, p_due, p_job, p_outcome, p_message
      FROM safekeep.schedules s WHERE s.name = p_name;
    -- The audit trail: the scheduler, not the launcher's role, did it.
    INSERT INTO safekeep.audit_log (who, what, details)
    SELECT 'pg_safekeep scheduler', 'schedule.run',
           jsonb_build_object('schedule', p_name, 'job_kind', s.job_kind, 'job_id', p_job,
                              'outcome', p_outcome, 'message', p_message)
      FROM safekeep.schedules s WHERE s.name = p_name AND p_outcome IN ('queued', 'succeeded');
$$;

-- full_verify schedules whose backup succeeded and whose verification is
-- still to be queued, with the backup's label.
CREATE FUNCTION safekeep._schedule_verify_due()
RETURNS TABLE (name text, label text) LANGUAGE sql STABLE AS $$
    SELECT s.name, j.label FROM safekeep.schedules s JOIN safekeep.jobs j ON j.id = s.last_job_id
     WHERE s.job_kind = 'full_verify' AND s.verify_job_id IS NULL AND j.status = 'succeeded'
     ORDER BY s.name LIMIT 1;
$$;

CREATE FUNCTION safekeep._schedule_verify_queued(p_name text, p_job bigint, p_error text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s safekeep.schedules;
    v_label text;
BEGIN
    SELECT * INTO s FROM safekeep.schedules WHERE name = p_name FOR UPDATE;
    SELECT label INTO v_label FROM safekeep.jobs WHERE id = s.last_job_id;
    IF p_job IS NOT NULL THEN
        UPDATE safekeep.schedules SET verify_job_id = p_job, last_result = 'running',
               last_message = format('backup %s completed; verification job %s', v_label, p_job)
         WHERE name = p_name;
    ELSE
        UPDATE safekeep.schedules SET verify_job_id = 0, last_result = 'failed',
               last_message = format('backup %s completed but its verification could not be queued: %s',
                                     v_label, p_error)
         WHERE name = p_name;
    END IF;
    INSERT INTO safekeep.schedule_log (schedule_name, job_kind, job_id, outcome, message)
    VALUES (p_name, 'verify', p_job, CASE WHEN p_job IS NULL THEN 'skipped' ELSE 'queued' END,
            coalesce(p_error, format('verification of full backup %s and the WAL after it', v_label)));
    INSERT INTO safekeep.audit_log (who, what, details)
    SELECT 'pg_safekeep scheduler', 'schedule.run',
           jsonb_build_object('schedule', p_name, 'job_kind', 'verify', 'job_id', p_job,
                              'outcome', 'queued', 'backup_label', v_label)
     WHERE p_job IS NOT NULL;
END;
$$;

-- A finished verify job: failed when it found problems (its result is
-- "N problem(s) found").
CREATE FUNCTION safekeep._verify_outcome(j safekeep.jobs, OUT result text, OUT message text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF j.status = 'failed' THEN
        result := 'failed';
        message := j.error_message;
    ELSIF coalesce(substring(j.result FROM '^(\d+) problem')::integer, 0) > 0 THEN
        result := 'failed';
        message := j.result || ' (see verify_problems in safekeep.backup_catalog)';
    ELSE
        result := 'succeeded';
        message := j.result;
    END IF;
END;
$$;

-- Bring last_result in step with the jobs the schedules queued.
CREATE FUNCTION safekeep._schedule_refresh()
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s safekeep.schedules;
    j safekeep.jobs;
    v safekeep.jobs;
    v_result text;
    v_message text;
BEGIN
    -- Rows a superuser inserted directly get their first run time.
    UPDATE safekeep.schedules SET next_run_at = safekeep._cron_next(cron, now())
     WHERE enabled AND next_run_at IS NULL;
    FOR s IN SELECT * FROM safekeep.schedules
              WHERE last_result IN ('queued', 'running') AND last_job_id IS NOT NULL LOOP
        v_message := s.last_message;
        SELECT * INTO j FROM safekeep.jobs WHERE id = s.last_job_id;
        IF NOT FOUND THEN
            -- The worker inserts the job's row when it starts.
            CONTINUE WHEN s.last_run_at > now() - interval '10 minutes';
            v_result := 'failed';
            v_message := format('job %s never started (see the server log)', s.last_job_id);
        ELSIF j.status IN ('queued', 'running') THEN
            v_result := 'running';
        ELSIF j.status = 'failed' THEN
            v_result := 'failed';
            v_message := j.error_message;
        ELSIF s.job_kind = 'verify' THEN
            SELECT * INTO v_result, v_message FROM safekeep._verify_outcome(j);
        ELSIF s.job_kind = 'full_verify' THEN
            SELECT * INTO v FROM safekeep.jobs WHERE id = s.verify_job_id;
            IF s.verify_job_id IS NULL OR NOT FOUND OR v.status IN ('queued', 'running') THEN
                v_result := 'running';
                v_message := coalesce(v_message, format('backup %s completed', j.label));
            ELSE
                SELECT * INTO v_result, v_message FROM safekeep._verify_outcome(v);
                v_message := format('backup %s; verification: %s', j.label, v_message);
            END IF;
        ELSE
            v_result := 'succeeded';
            v_message := coalesce(j.result, j.label);
        END IF;
        UPDATE safekeep.schedules t SET last_result = v_result, last_message = v_message
         WHERE t.name = s.name AND t.last_job_id = s.last_job_id
           AND (t.last_result, t.last_message) IS DISTINCT FROM (v_result, v_message);
    END LOOP;
END;
$$;

-- Schedule changes go to the audit trail; the launcher's own bookkeeping
-- (last run, next run, results) does not.
CREATE FUNCTION safekeep._audit_schedule_change()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM safekeep._audit('schedule.add', jsonb_build_object(
            'name', NEW.name, 'cron', NEW.cron, 'job_kind', NEW.job_kind, 'enabled', NEW.enabled));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM safekeep._audit('schedule.remove', jsonb_build_object(
            'name', OLD.name, 'cron', OLD.cron, 'job_kind', OLD.job_kind));
    ELSIF (OLD.cron, OLD.job_kind, OLD.enabled) IS DISTINCT FROM (NEW.cron, NEW.job_kind, NEW.enabled)
    THEN
        PERFORM safekeep._audit('schedule.change', jsonb_build_object(
            'name', NEW.name,
            'old', jsonb_build_object('cron', OLD.cron, 'job_kind', OLD.job_kind,
                                      'enabled', OLD.enabled),
            'new', jsonb_build_object('cron', NEW.cron, 'job_kind', NEW.job_kind,
                                      'enabled', NEW.enabled)));
    END IF;
    RETURN NULL;
END;
$$;

-- After the seeded plan: installing the extension is not a schedule change.
CREATE TRIGGER audit_schedule_change
    AFTER INSERT OR UPDATE OR DELETE ON safekeep.schedules
    FOR EACH ROW EXECUTE FUNCTION safekeep._audit_schedule_change();
