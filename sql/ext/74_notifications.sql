-- ---------------------------------------------------------------------------
-- Notifications: events become queued rows of safekeep.notification_log (one
-- per configured channel); the launcher delivers them (src/pg/notifier.c)
-- with retries, so a slow or dead receiver never holds up a backup.
-- One row per message and channel; every attempt updates attempt, status,
-- error and next_attempt_at, and appends {at, status, error} to attempts.
-- ---------------------------------------------------------------------------

CREATE TABLE safekeep.notification_log (
    id              bigserial PRIMARY KEY,
    event           text NOT NULL,   -- backup_failed, backup_partial, backup_completed, ...
    channel         text NOT NULL CHECK (channel IN ('webhook', 'email')),
    subject         text NOT NULL,
    body            text NOT NULL,
    attempt         integer NOT NULL DEFAULT 0,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sent', 'failed', 'gave_up')),
    error           text,
    attempts        jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX ON safekeep.notification_log (next_attempt_at) WHERE status IN ('queued', 'failed');

-- What the launcher last saw (health status, archive failing since when).
CREATE TABLE safekeep.notification_state (
    key        text PRIMARY KEY,
    value      text,
    since      timestamptz NOT NULL DEFAULT now(),
    notified   boolean NOT NULL DEFAULT false
);

-- Channels that have their settings.
CREATE FUNCTION safekeep._notify_channels()
RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT 'webhook'
     WHERE coalesce(current_setting('safekeep.notify_webhook_url', true), '') <> ''
        OR coalesce(current_setting('safekeep.notify_webhook_url_file', true), '') <> ''
    UNION ALL
    SELECT 'email'
     WHERE coalesce(current_setting('safekeep.smtp_server', true), '') <> ''
       AND coalesce(current_setting('safekeep.smtp_to', true), '') <> ''
       AND coalesce(current_setting('safekeep.smtp_from', true), '') <> '';
$$;

-- Queue one message per configured channel.  The text says what happened,
-- on which cluster, which backup, the error and the first checks to make.
CREATE FUNCTION safekeep._notify(p_event text, p_what text, p_label text, p_error text,
                                 p_hint text DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_sysid  text := (SELECT system_identifier::text FROM pg_control_system());
    v_name   text := coalesce(nullif(current_setting('cluster_name', true), ''), '(no cluster_name)');
    v_subject text;
    v_body   text;
    n        integer;
BEGIN
    v_subject := format('[pg_safekeep] %s on %s (%s)', p_what, v_name, v_sysid);
    v_body := concat_ws(E'\n',
        format('What: %s', p_what),
        format('Cluster: cluster_name %s, system identifier %s, host %s', v_name, v_sysid,
               coalesce(host(inet_server_addr()), 'local')),
        format('When: %s', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')),
        CASE WHEN p_label IS NOT NULL THEN format('Backup: %s', p_label) END,
        CASE WHEN p_error IS NOT NULL THEN format('Error: %s', p_error) END,
        '',
        'What to do next:',
        coalesce('- ' || p_hint, NULL),
        '- read the server log around that time (lines starting "pg_safekeep:")',
        '- check the repository (safekeep.repo1_path): free space, and that the postgres user can write to it',
        '- SELECT * FROM pg_stat_archiver;  (failed_count, last_failed_wal)',
        '- SELECT * FROM safekeep.check_backup_health();');
    INSERT INTO safekeep.notification_log (event, channel, subject, body)
    SELECT p_event, c, v_subject, v_body FROM safekeep._notify_channels() c;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

-- A backup failed (or completed, with safekeep.notify_on_success; rows that
-- sync_catalog adds from the repository are not news).  A backup job that
-- failed before it had a label has a failed row too (job_failed), so this is
-- the one place a failed backup is notified.
CREATE FUNCTION safekeep._notify_backup_trigger()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN
        RETURN NULL;
    END IF;
    IF NEW.status = 'missing' THEN
        PERFORM safekeep._notify('backup_missing', format('%s backup missing from the repository',
                                                          NEW.backup_type),
                                 NEW.label, NEW.error_message,
                                 'copy the backup''s directory back from another copy, or take a new full backup; SELECT * FROM safekeep.verify_backup() lists every missing backup');
    ELSIF NEW.status = 'failed' THEN
        PERFORM safekeep._notify('backup_failed', format('%s backup failed', NEW.backup_type),
                                 NEW.label, coalesce(NEW.error_message, 'no error message recorded'));
    ELSIF TG_OP = 'UPDATE' AND OLD.status = 'running' AND NEW.status = 'completed'
          AND NEW.outcome = 'partial' THEN
        PERFORM safekeep._notify('backup_partial',
                                 format('%s backup completed partially', NEW.backup_type),
                                 NEW.label, ltrim(safekeep._not_landed_text(NEW.repositories), '; '),
                                 'bring the repository back (SELECT * FROM safekeep.repositories()); the next full backup lands in every repository again');
    ELSIF TG_OP = 'UPDATE' AND OLD.status = 'running' AND NEW.status = 'completed'
          AND coalesce(current_setting('safekeep.notify_on_success', true), 'off') = 'on' THEN
        PERFORM safekeep._notify('backup_completed',
                                 format('%s backup completed', NEW.backup_type), NEW.label, NULL,
                                 format('nothing to do; %s stored, took %s',
                                        pg_size_pretty(NEW.backup_size), NEW.duration));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notify_backup AFTER INSERT OR UPDATE OF status ON safekeep.backup_catalog
    FOR EACH ROW EXECUTE FUNCTION safekeep._notify_backup_trigger();

CREATE FUNCTION safekeep._notify_drill_trigger()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT NEW.test_result AND (TG_OP = 'INSERT' OR OLD.test_result) THEN
        PERFORM safekeep._notify('drill_failed', 'restore drill failed', NEW.backup_label,
                                 coalesce(NEW.errors, 'no error recorded'),
                                 'SELECT checks FROM safekeep.backup_test_log ORDER BY id DESC LIMIT 1;');
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notify_drill AFTER INSERT OR UPDATE OF test_result ON safekeep.backup_test_log
    FOR EACH ROW EXECUTE FUNCTION safekeep._notify_drill_trigger();

-- Retention: one message per statement, naming every backup it removed.
CREATE FUNCTION safekeep._notify_expire_trigger()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_labels text;
    n integer;
BEGIN
    SELECT string_agg(label || coalesce(' (' || message || ')', ''), ', ' ORDER BY label), count(*)
      INTO v_labels, n
      FROM new_rows WHERE event = 'expired';
    IF n > 0 THEN
        PERFORM safekeep._notify('retention_removed',
                                 format('retention removed %s backup(s)', n), v_labels, NULL,
                                 'expected if the safekeep.retention_* settings say so; SELECT * FROM safekeep.backup_catalog ORDER BY label;');
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notify_expire AFTER INSERT ON safekeep.backup_log
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION safekeep._notify_expire_trigger();

-- Launcher checks: archiving failing for longer than p_after, and health
-- turning unhealthy.  A transition into backup_failed, backup_partial or
-- no_backups is not sent: the failed or partial backup has its own message,
-- and no_backups is a new install.
CREATE FUNCTION safekeep._notify_check(p_after interval)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    a record;
    s record;
    v_health text;
    v_details jsonb;
    v_prev text;
BEGIN
    SELECT * INTO a FROM pg_stat_archiver;
    IF a.last_failed_time IS NOT NULL
       AND a.last_failed_time > coalesce(a.last_archived_time, '-infinity') THEN
        INSERT INTO safekeep.notification_state (key, value) VALUES ('archive_failing', a.last_failed_wal)
        ON CONFLICT (key) DO NOTHING;
        SELECT * INTO s FROM safekeep.notification_state WHERE key = 'archive_failing';
        IF NOT s.notified AND now() - s.since >= p_after THEN
            PERFORM safekeep._notify('archive_failing',
                format('WAL archiving failing for %s', date_trunc('second', now() - s.since)), NULL,
                format('%s failures; last failed WAL %s at %s', a.failed_count, a.last_failed_wal,
                       a.last_failed_time),
                'point-in-time recovery stops at the last archived WAL and pg_wal grows until archiving works again');
            UPDATE safekeep.notification_state SET notified = true WHERE key = 'archive_failing';
        END IF;
    ELSE
        DELETE FROM safekeep.notification_state WHERE key = 'archive_failing';
    END IF;

    SELECT h.health_status, h.details INTO v_health, v_details
      FROM safekeep.check_backup_health() h LIMIT 1;
    SELECT value INTO v_prev FROM safekeep.notification_state WHERE key = 'health';
    IF v_health IS DISTINCT FROM v_prev THEN
        INSERT INTO safekeep.notification_state (key, value) VALUES ('health', v_health)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, since = now();
        IF v_health NOT IN ('healthy', 'backup_failed', 'backup_partial', 'backup_missing',
                            'no_backups') THEN
            PERFORM safekeep._notify('health_unhealthy',
                                     format('backup health turned %s', v_health), NULL,
                                     v_details::text);
        END IF;
    END IF;
END;
$$;

-- Due messages for the launcher, oldest first.
CREATE FUNCTION safekeep._notify_due(p_limit integer)
RETURNS TABLE (id bigint, channel text, subject text, body text, payload text, attempt integer)
LANGUAGE sql STABLE AS $$
    SELECT n.id, n.channel, n.subject, n.body,
           json_build_object('text', n.subject || E'\n' || n.body)::text, n.attempt
      FROM safekeep.notification_log n
     WHERE n.status IN ('queued', 'failed') AND n.next_attempt_at <= now()
     ORDER BY n.next_attempt_at, n.id
     LIMIT p_limit;
$$;

-- Record one attempt.  Backoff after failure k: 30 s * 2^(k-1) plus up to
-- 20 % jitter (30 s, 1, 2, 4, 8 min); after p_max attempts it gives up.
CREATE FUNCTION safekeep._notify_attempted(p_id bigint, p_error text, p_max integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_attempt integer;
    v_status text;
    v_delay double precision;
BEGIN
    SELECT attempt + 1 INTO v_attempt FROM safekeep.notification_log WHERE id = p_id;
    v_status := CASE WHEN p_error IS NULL THEN 'sent'
                     WHEN v_attempt >= p_max THEN 'gave_up' ELSE 'failed' END;
    v_delay := 30 * 2 ^ (v_attempt - 1) * (1 + random() * 0.2);
    UPDATE safekeep.notification_log
       SET attempt = v_attempt, status = v_status, error = p_error,
           sent_at = CASE WHEN p_error IS NULL THEN now() END,
           next_attempt_at = CASE WHEN v_status = 'failed'
                                  THEN now() + make_interval(secs => v_delay)
                                  ELSE next_attempt_at END,
           attempts = attempts || jsonb_build_object('at', now(), 'status', v_status,
                                                     'error', p_error)
     WHERE id = p_id;
    RETURN v_status;
END;
$$;
