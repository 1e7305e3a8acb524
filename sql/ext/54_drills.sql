-- ---------------------------------------------------------------------------
-- Restore drills: restore a backup into a scratch directory, start it,
-- check it, measure the recovery time (RTO), remove it.
-- ---------------------------------------------------------------------------

-- Row counts the backup job took right after the backup, in a snapshot
-- that matches the restore point it wrote (writers held off for that
-- instant), so a drill that recovers to that point must find them exactly.
CREATE TABLE safekeep.backup_table_counts (
    label         text NOT NULL,
    database_name name NOT NULL,
    schema_name   name NOT NULL,
    table_name    name NOT NULL,
    row_count     bigint NOT NULL,
    restore_point text NOT NULL,
    counted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (label, database_name, schema_name, table_name)
);

CREATE TABLE safekeep.backup_test_log (
    id               bigserial PRIMARY KEY,
    job_id           bigint,
    backup_label     text,
    backup_file      text,
    test_result      boolean NOT NULL,
    test_date        timestamptz NOT NULL DEFAULT now(),
    duration         interval,
    rto_seconds      numeric,  -- restore plus recovery until the copy was promoted
    restore_seconds  numeric,
    recovery_seconds numeric,
    checks           jsonb,    -- what was checked and what each check found
    errors           text,
    notes            text
);
CREATE INDEX ON safekeep.backup_test_log (test_date);

CREATE FUNCTION safekeep._queue_drill(label text, wait boolean)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_queue_drill' LANGUAGE C VOLATILE;

-- Restore drill of one backup (the newest completed one by default).  No
-- sync_catalog() here: its row locks would block the job we wait for.
CREATE FUNCTION safekeep.test_backup_recovery(backup_label text DEFAULT NULL,
                                              wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_label text := backup_label;
BEGIN
    PERFORM safekeep._check_backup_label(backup_label, 'backup_label');
    PERFORM safekeep._check_repository();
    IF v_label IS NULL THEN
        SELECT c.label INTO v_label FROM safekeep.backup_catalog c
         WHERE c.status = 'completed' ORDER BY c.label DESC LIMIT 1;
        IF v_label IS NULL THEN
            RAISE EXCEPTION 'there is no completed backup to test'
                  USING HINT = 'Take one with SELECT safekeep.create_full_backup();';
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM safekeep.backup_catalog c
                       WHERE c.label = v_label AND c.status = 'completed') THEN
        RAISE EXCEPTION 'backup "%" does not exist or is not completed', v_label;
    END IF;
    PERFORM safekeep._audit('test_backup_recovery',
                            jsonb_build_object('backup_label', v_label, 'wait', wait));
    RETURN safekeep._queue_drill(v_label, wait);
END;
$$;

-- What the drill compares: the counts recorded for a backup (in this database),
-- or, when there are none, why they will not be compared (not_compared).
CREATE FUNCTION safekeep._drill_plan(p_label text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'restore_point', (SELECT min(restore_point) FROM safekeep.backup_table_counts
                           WHERE label = p_label AND database_name = current_database()),
        'tables', coalesce(t.tables, '[]'::jsonb),
        'not_compared', CASE WHEN t.tables IS NULL
                             THEN coalesce((SELECT c.row_counts_skipped
                                              FROM safekeep.backup_catalog c
                                             WHERE c.label = p_label),
                                           'no row counts were recorded for this backup') END)
      FROM (SELECT jsonb_agg(jsonb_build_array(schema_name, table_name, row_count)
                             ORDER BY schema_name, table_name) AS tables
              FROM safekeep.backup_table_counts
             WHERE label = p_label AND database_name = current_database()) t;
$$;

-- Judge a drill from what the job found and record it.  p_report:
-- {restore_seconds, recovery_seconds, duration_seconds,
--  databases: [[name, "ok" | error]], amcheck: {exit_code, output},
--  counts: [[schema, table, rows or null when missing]]}.  p_error: the
-- drill could not run to the end (the restore or start failed).  A backup
-- without recorded counts is not reported as "0 counts match": checks say
-- row_counts_compared false and why.
CREATE FUNCTION safekeep.record_drill(p_job bigint, p_label text, p_report jsonb, p_error text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb := safekeep._drill_plan(p_label);
    expected jsonb := plan->'tables';
    not_compared text := plan->>'not_compared';
    bad_dbs jsonb;
    mismatches jsonb;
    amcheck_ok boolean;
    passed boolean;
    rto numeric := round((p_report->>'restore_seconds')::numeric
                         + (p_report->>'recovery_seconds')::numeric, 3);
    summary text;
    checks jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(d), '[]') INTO bad_dbs
      FROM jsonb_array_elements(coalesce(p_report->'databases', '[]')) d WHERE d->>1 <> 'ok';
    IF not_compared IS NULL THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object('table', format('%I.%I', e->>0, e->>1),
                                                     'expected', e->2, 'found', f->2)), '[]')
          INTO mismatches
          FROM jsonb_array_elements(expected) e
          LEFT JOIN jsonb_array_elements(coalesce(p_report->'counts', '[]')) f
                 ON f->>0 = e->>0 AND f->>1 = e->>1
         WHERE f IS NULL OR f->2 IS DISTINCT FROM e->2;
    END IF;
    amcheck_ok := (p_report->'amcheck'->>'exit_code')::integer = 0;
    passed := p_error IS NULL AND jsonb_array_length(bad_dbs) = 0 AND amcheck_ok
              AND coalesce(jsonb_array_length(mismatches), 0) = 0;
    checks := jsonb_build_object(
        'databases_connected', jsonb_array_length(coalesce(p_report->'databases', '[]'))
                               - jsonb_array_length(bad_dbs),
        'databases_failed', bad_dbs,
        'amcheck_exit_code', p_report->'amcheck'->'exit_code',
        'amcheck_output', CASE WHEN amcheck_ok THEN NULL ELSE p_report->'amcheck'->'output' END,
        'row_counts_compared', not_compared IS NULL,
        'row_counts_not_compared', not_compared,
        'tables_counted', CASE WHEN not_compared IS NULL THEN jsonb_array_length(expected) END,
        'row_count_mismatches', mismatches);
    IF p_error IS NOT NULL THEN
        summary := format('drill of backup %s failed: %s', p_label, p_error);
    ELSIF passed THEN
        summary := format('drill of backup %s passed: RTO %s s (restore %s s, recovery %s s); '
                          '%s database(s) connect, pg_amcheck clean, %s',
                          p_label, rto, round((p_report->>'restore_seconds')::numeric, 3),
                          round((p_report->>'recovery_seconds')::numeric, 3),
                          checks->'databases_connected',
                          CASE WHEN not_compared IS NULL
                               THEN format('%s table row count(s) match',
                                           jsonb_array_length(expected))
                               ELSE format('row counts not compared (%s)', not_compared) END);
    ELSE
        summary := format('drill of backup %s failed:%s%s%s%s', p_label,
                          CASE WHEN jsonb_array_length(bad_dbs) > 0
                               THEN ' database(s) not connecting ' || bad_dbs::text ELSE '' END,
                          CASE WHEN NOT amcheck_ok
                               THEN ' pg_amcheck found problems: '
                                    || left(p_report->'amcheck'->>'output', 500) ELSE '' END,
                          CASE WHEN jsonb_array_length(mismatches) > 0
                               THEN ' row counts differ ' || mismatches::text ELSE '' END,
                          CASE WHEN not_compared IS NOT NULL
                               THEN format(' (row counts not compared: %s)', not_compared)
                               ELSE '' END);
    END IF;
    INSERT INTO safekeep.backup_test_log (job_id, backup_label, backup_file, test_result,
                                          duration, rto_seconds, restore_seconds,
                                          recovery_seconds, checks, errors, notes)
    VALUES (p_job, p_label, (SELECT backup_file FROM safekeep.backup_catalog WHERE label = p_label),
            passed, make_interval(secs => coalesce((p_report->>'duration_seconds')::float8, 0)),
            CASE WHEN p_error IS NULL THEN rto END,
            round((p_report->>'restore_seconds')::numeric, 3),
            round((p_report->>'recovery_seconds')::numeric, 3), checks,
            CASE WHEN passed THEN NULL ELSE coalesce(p_error, summary) END, summary);
    UPDATE safekeep.backup_catalog
       SET last_drill_at = now(), last_drill_result = passed,
           last_drill_rto = CASE WHEN p_error IS NULL THEN rto END
     WHERE label = p_label;
    RETURN jsonb_build_object('passed', passed, 'summary', summary);
END;
$$;

-- The launcher's schedule: the newest completed backup when no drill ran
-- within p_interval_minutes and none is queued or running.  The first drill
-- comes one interval after the first backup, not right after it.
CREATE FUNCTION safekeep._drill_due(p_interval_minutes integer)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT c.label FROM safekeep.backup_catalog c
     WHERE c.status = 'completed'
       AND (SELECT min(f.completed_at) FROM safekeep.backup_catalog f WHERE f.status = 'completed')
           < now() - make_interval(mins => p_interval_minutes)
       AND NOT EXISTS (SELECT 1 FROM safekeep.backup_test_log t
                        WHERE t.test_date > now() - make_interval(mins => p_interval_minutes))
       AND NOT EXISTS (SELECT 1 FROM safekeep.jobs j
                        WHERE j.kind = 'drill'
                          AND (j.status IN ('queued', 'running')
                               OR j.started_at > now() - make_interval(mins => p_interval_minutes)))
     ORDER BY c.label DESC LIMIT 1;
$$;
