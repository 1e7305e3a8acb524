-- Health: the first of backup_missing, no_backups, verify_failed,
-- backup_failed, backup_partial, archive_failing, backup_old that applies,
-- else healthy.  no_backups only when nothing failed either: a new
-- installation whose first backups fail is backup_failed.
-- details.last_failed_backup names the newest failure; details.partial_backup
-- the newest physical backup when a configured repository did not get it
-- (backup_partial), with those repositories and their errors.
CREATE FUNCTION safekeep.check_backup_health()
RETURNS TABLE (health_status text, details jsonb) LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_total bigint;
    v_failed bigint;
    v_latest record;
    v_size_gb numeric;
    v_ratio numeric;
    v_arch record;
    v_max_age integer;
    v_copies integer;
    v_kinds integer;
    v_object boolean;
    v_missing text[];
    v_unverified text[];
    v_last_failed jsonb;
    v_partial jsonb;
BEGIN
    SELECT array_agg(c.label ORDER BY c.label) INTO v_missing
      FROM safekeep.backup_catalog c WHERE c.status = 'missing';
    -- Backups whose last verification found that they would not restore.
    SELECT array_agg(c.label ORDER BY c.label) INTO v_unverified
      FROM safekeep.backup_catalog c WHERE c.status = 'completed' AND c.verify_status = 'failed';
    SELECT count(*) FILTER (WHERE c.status = 'completed'),
           count(*) FILTER (WHERE c.status = 'failed' AND c.created_at > now() - interval '7 days'),
           round(coalesce(sum(c.backup_size) FILTER (WHERE c.status = 'completed'), 0)
                 / 1073741824.0, 3),
           -- Bytes the completed backups hold / bytes they store (2.5: stored is
           -- 2.5x smaller), not a mean of per-backup ratios: an incremental's
           -- ratio (the whole database over the few pages it stored) would
           -- swamp it.  NULL when they store nothing.
           round(sum(c.database_size) FILTER (WHERE c.status = 'completed'
                                                AND c.backup_size IS NOT NULL)
                 / nullif(sum(c.backup_size) FILTER (WHERE c.status = 'completed'
                                                       AND c.database_size IS NOT NULL), 0), 2)
      INTO v_total, v_failed, v_size_gb, v_ratio
      FROM safekeep.backup_catalog c;
    SELECT c.label, c.completed_at INTO v_latest FROM safekeep.backup_catalog c
     WHERE c.status = 'completed' ORDER BY c.completed_at DESC NULLS LAST LIMIT 1;
    -- The newest failure (also an attempt that never got a label), named.
    SELECT jsonb_build_object('label', c.label, 'backup_type', c.backup_type, 'job_id', c.job_id,
                              'failed_at', c.completed_at, 'error', c.error_message)
      INTO v_last_failed
      FROM safekeep.backup_catalog c
     WHERE c.status = 'failed' AND c.created_at > now() - interval '7 days'
     ORDER BY c.created_at DESC, c.id DESC LIMIT 1;
    -- 3-2-1: the newest physical backup (by its own stamp, as
    -- repository_usage; logical ones record no landings) in at least 2
    -- repositories (3 copies with the live data), on 2 kinds of storage, one
    -- of them object storage (offsite).
    SELECT count(*) FILTER (WHERE (r->>'landed')::boolean),
           count(DISTINCT r->>'kind') FILTER (WHERE (r->>'landed')::boolean),
           coalesce(bool_or(r->>'kind' = 's3' AND (r->>'landed')::boolean), false)
      INTO v_copies, v_kinds, v_object
      FROM safekeep.backup_catalog c,
           jsonb_array_elements(coalesce(c.repositories, '[]')) r
     WHERE c.label = (SELECT p.label FROM safekeep.backup_catalog p
                       WHERE p.status = 'completed' AND p.backup_type <> 'logical'
                       ORDER BY right(p.label, 16) DESC, p.label DESC LIMIT 1);
    SELECT jsonb_build_object('label', c.label, 'backup_type', c.backup_type,
                              'not_in_repositories',
                              (SELECT jsonb_agg(jsonb_build_object('repo', (x->>'repo')::integer,
                                                                   'kind', x->>'kind',
                                                                   'error', x->>'error')
                                                ORDER BY (x->>'repo')::integer)
                                 FROM jsonb_array_elements(c.repositories) x
                                WHERE NOT (x->>'landed')::boolean))
      INTO v_partial
      FROM safekeep.backup_catalog c
     WHERE c.outcome = 'partial'
       AND c.label = (SELECT p.label FROM safekeep.backup_catalog p
                       WHERE p.status = 'completed' AND p.backup_type <> 'logical'
                       ORDER BY right(p.label, 16) DESC, p.label DESC LIMIT 1);
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
        'archive_failed_count', v_arch.failed_count,
        'repositories_with_latest_backup', v_copies,
        'storage_kinds', v_kinds,
        'has_object_storage', v_object,
        'rule_3_2_1', v_copies >= 2 AND v_kinds >= 2 AND v_object,
        'missing_backups', coalesce(to_jsonb(v_missing), '[]'::jsonb),
        'failed_verification', coalesce(to_jsonb(v_unverified), '[]'::jsonb),
        'last_failed_backup', v_last_failed,
        'partial_backup', v_partial);

    IF v_missing IS NOT NULL THEN
        health_status := 'backup_missing';
    ELSIF v_total = 0 AND v_last_failed IS NULL THEN
        health_status := 'no_backups';
    ELSIF v_unverified IS NOT NULL THEN
        health_status := 'verify_failed';
    -- No backup yet but attempts that failed: that they fail is the news.
    ELSIF v_total = 0 OR EXISTS (SELECT 1 FROM safekeep.backup_catalog c
                                  WHERE c.status = 'failed'
                                    AND c.created_at > now() - interval '7 days'
                                    AND c.created_at > v_latest.completed_at) THEN
        health_status := 'backup_failed';
    ELSIF v_partial IS NOT NULL THEN
        health_status := 'backup_partial';
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

