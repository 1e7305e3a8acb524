-- ---------------------------------------------------------------------------
-- User functions
-- ---------------------------------------------------------------------------

-- WAL must reach the repository or a backup cannot be restored, and the
-- repository must take the backup.  Run by the backup job (backup_job.c),
-- not by the caller: a refusal is then a failed backup like any other, with
-- its job, its backup_catalog row and its notification, however the backup
-- was started (pg_cron with wait => false included).  The job keeps only the
-- message, so each says how to fix it.
CREATE FUNCTION safekeep._check_archiving()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('archive_mode') = 'off' THEN
        RAISE EXCEPTION 'archive_mode is off: set archive_mode = on and archive_library = ''pg_safekeep'' and restart';
    END IF;
    IF current_setting('archive_library') <> 'pg_safekeep' THEN
        RAISE EXCEPTION 'archive_library is "%", not pg_safekeep: set archive_library = ''pg_safekeep'' so WAL reaches the repository',
              current_setting('archive_library');
    END IF;
    PERFORM safekeep._check_repository();
END;
$$;

CREATE FUNCTION safekeep.create_full_backup(wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM safekeep._audit('create_full_backup', jsonb_build_object('wait', wait));
    RETURN safekeep._queue_backup('full', wait);
END;
$$;

-- Changes since the newest backup of any type; a full one when none exists.
CREATE FUNCTION safekeep.create_incremental_backup(wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM safekeep._audit('create_incremental_backup', jsonb_build_object('wait', wait));
    RETURN safekeep._queue_backup('incremental', wait);
END;
$$;

-- Changes since the newest full backup; a full one when none exists.
CREATE FUNCTION safekeep.create_differential_backup(wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM safekeep._audit('create_differential_backup', jsonb_build_object('wait', wait));
    RETURN safekeep._queue_backup('differential', wait);
END;
$$;

-- Check objects, sizes, checksums, the chain and the WAL a backup needs
-- (NULL: every backup).  Returns one row per problem, none when all is well
-- (with the rows of later backups that read a bad object of this one);
-- backup_catalog records verified_at, verify_status and the problems.
-- wait => false returns at once with one row: problem 'queued', detail the job.
CREATE FUNCTION safekeep.verify_backup(backup_label text DEFAULT NULL,
                                       wal_to_newest boolean DEFAULT false,
                                       wait boolean DEFAULT true)
RETURNS TABLE (label text, problem text, object text, detail text, repository integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM safekeep._check_backup_label(backup_label, 'backup_label');
    -- A damaged manifest is still a backup to verify: its problem is a row.
    IF backup_label IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM (SELECT safekeep._repository_info_or_error(r.repository) AS j
                            FROM safekeep.repositories() r) i,
                         jsonb_array_elements(coalesce(i.j->'backups', '[]')
                                              || coalesce(i.j->'damaged_backups', '[]')) e
            WHERE e->>'label' = backup_label)
       AND NOT EXISTS (SELECT 1 FROM safekeep.backup_catalog c
                        WHERE c.label = backup_label AND c.status = 'missing') THEN
        RAISE EXCEPTION 'backup "%" does not exist in the repository', backup_label;
    END IF;
    -- Nothing to read for a backup that is gone: its problem is the answer.
    IF backup_label IS NOT NULL AND EXISTS (SELECT 1 FROM safekeep.backup_catalog c
                                             WHERE c.label = backup_label
                                               AND c.status = 'missing') THEN
        RETURN QUERY SELECT c.label, 'missing_backup'::text,
                            'backup/' || c.label || '/manifest.json', c.error_message,
                            NULL::integer
                       FROM safekeep.backup_catalog c WHERE c.label = backup_label;
        RETURN;
    END IF;
    IF NOT wait THEN
        -- pg_cron: one row naming the job; the outcome lands in backup_catalog.
        PERFORM safekeep._audit('verify_backup',
                                jsonb_build_object('backup_label', backup_label,
                                                   'wal_to_newest', wal_to_newest, 'wait', wait));
        RETURN QUERY SELECT backup_label, 'queued'::text, NULL::text,
                            'job ' || safekeep._queue_verify(backup_label, wal_to_newest, false),
                            NULL::integer;
        RETURN;
    END IF;
    PERFORM safekeep._audit('verify_backup',
                            jsonb_build_object('backup_label', backup_label,
                                               'wal_to_newest', wal_to_newest, 'wait', wait));
    PERFORM safekeep._queue_verify(backup_label, wal_to_newest, true);
    RETURN QUERY
        SELECT c.label, p->>'kind', p->>'object', p->>'detail', (p->>'repository')::integer
          FROM safekeep.backup_catalog c, jsonb_array_elements(c.verify_problems) p
         WHERE c.status = 'completed'
           AND (backup_label IS NULL OR c.label = backup_label
                -- backups that read a bad object of this one
                OR starts_with(p->>'object', 'backup/' || backup_label || '/'))
        UNION ALL
        -- Known as completed, gone from the repository without retention.
        SELECT c.label, 'missing_backup', 'backup/' || c.label || '/manifest.json',
               c.error_message, NULL::integer
          FROM safekeep.backup_catalog c
         WHERE c.status = 'missing' AND (backup_label IS NULL OR c.label = backup_label)
         ORDER BY 1, 2, 3, 5;
END;
$$;

-- Retention by the safekeep.retention_* settings (logical backups: by
-- safekeep.logical_retention_*, rows of backup_type logical), in every
-- configured repository, each by its own safekeep.repoN_retention_* where
-- set.  dry_run (the default) only shows what would go and why; each
-- repository's last row is its WAL decision; a repository that could not be
-- expired is one row (backup_type 'repository', action 'error').
CREATE FUNCTION safekeep.expire_backups(dry_run boolean DEFAULT true)
RETURNS TABLE (label text, backup_type text, action text, reason text, repository integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    plan jsonb := safekeep._expire(dry_run);
    r jsonb;
BEGIN
    PERFORM safekeep._audit('expire_backups', jsonb_build_object(
                'expired', (SELECT coalesce(jsonb_agg(DISTINCT b->>'label'), '[]')
                              FROM jsonb_array_elements(plan->'repositories') p,
                                   jsonb_array_elements(coalesce(p->'backups', '[]')) b
                             WHERE b->>'action' = 'expire'),
                'wal', (SELECT jsonb_build_object(
                                   'removed_count', coalesce(sum((p->'wal'->>'removed_count')::bigint), 0),
                                   'removed_bytes', coalesce(sum((p->'wal'->>'removed_bytes')::bigint), 0))
                          FROM jsonb_array_elements(plan->'repositories') p),
                'failed', (SELECT coalesce(jsonb_agg(p->'repository'), '[]')
                             FROM jsonb_array_elements(plan->'repositories') p WHERE p ? 'error')))
     WHERE NOT dry_run;
    FOR r IN SELECT jsonb_array_elements(plan->'repositories') LOOP
        IF r ? 'error' THEN
            RETURN QUERY SELECT NULL::text, 'repository'::text, 'error'::text,
                                format('repository %s could not be expired: %s',
                                       r->>'repository', r->>'error'),
                                (r->>'repository')::integer;
            CONTINUE;
        END IF;
        RETURN QUERY
            SELECT b->>'label', b->>'type', b->>'action', b->>'reason', (r->>'repository')::integer
              FROM jsonb_array_elements(r->'backups') b;
        RETURN QUERY
            SELECT NULL::text, 'wal'::text,
                   CASE WHEN (r->'wal'->>'removed_count')::bigint > 0 THEN 'expire' ELSE 'keep' END,
                   format('%s WAL files (%s) %s%s', r->'wal'->>'removed_count',
                          pg_size_pretty((r->'wal'->>'removed_bytes')::bigint),
                          CASE WHEN dry_run THEN 'would be removed' ELSE 'removed' END,
                          coalesce(' before ' || (r->'wal'->>'remove_before'), '')),
                   (r->>'repository')::integer;
    END LOOP;
END;
$$;
