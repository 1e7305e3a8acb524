-- Recoveries started from SQL: always into a new directory (DESIGN-NOTES.md).

-- The backup a recovery uses: the given label (checked), or the newest one
-- that ended at or before the target time (or the newest one at all).
CREATE FUNCTION safekeep._choose_backup(p_label text, p_target timestamptz)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    info jsonb := safekeep.repository_info(false);
    backups jsonb := info->'backups';
    b jsonb;
    chosen text;
BEGIN
    SELECT d INTO b FROM jsonb_array_elements(info->'damaged_backups') d
     WHERE d->>'label' = p_label;
    IF b IS NOT NULL THEN
        RAISE EXCEPTION 'backup "%" cannot be restored: its manifest is damaged', p_label
              USING DETAIL = b->>'error',
                    HINT = 'SELECT * FROM safekeep.verify_backup() lists what is wrong.';
    END IF;
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
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    chosen text;
BEGIN
    PERFORM safekeep._check_backup_label(backup_label, 'backup_label');
    IF target_time IS NULL THEN
        RAISE EXCEPTION 'target_time must be given'
              USING HINT = 'safekeep.recover_full_database() restores to the end of a backup.';
    END IF;
    IF target_time > clock_timestamp() THEN
        RAISE EXCEPTION 'target time % is in the future', target_time;
    END IF;
    PERFORM safekeep._check_recovery_target(target_dir, port);
    chosen := safekeep._choose_backup(backup_label, target_time);
    PERFORM safekeep._audit('point_in_time_recovery',
                            jsonb_build_object('target_time', target_time, 'backup_label', chosen,
                                               'target_dir', target_dir, 'port', port,
                                               'wait', wait));
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
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    chosen text;
BEGIN
    PERFORM safekeep._check_backup_label(backup_label, 'backup_label');
    PERFORM safekeep._check_recovery_target(target_dir, port);
    chosen := safekeep._choose_backup(backup_label, NULL);
    PERFORM safekeep._audit('recover_full_database',
                            jsonb_build_object('backup_label', chosen, 'target_dir', target_dir,
                                               'port', port, 'wait', wait));
    RETURN safekeep._queue_restore(wait, chosen, target_dir, NULL, NULL, port, 'full');
END;
$$;
