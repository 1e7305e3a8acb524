-- ---------------------------------------------------------------------------
-- Table-level recovery: a DDL history that finds the moment before a table
-- was dropped or altered, named restore points, and recover_table().
-- ---------------------------------------------------------------------------

-- Every DROP and ALTER of a table, with the transaction that did it, so a
-- recovery can stop just before that transaction commits.
CREATE TABLE safekeep.ddl_history (
    id              bigserial PRIMARY KEY,
    command         text NOT NULL,        -- DROP TABLE, DROP SCHEMA, ALTER TABLE, ...
    object_type     text NOT NULL,
    schema_name     name,
    object_name     name,
    object_identity text NOT NULL,
    transaction_id  xid8 NOT NULL,
    lsn             pg_lsn NOT NULL,      -- WAL position when the command ran
    happened_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    username        name NOT NULL DEFAULT session_user
);
CREATE INDEX ON safekeep.ddl_history (object_name, happened_at);

-- Tables dropped directly or by a cascade (DROP SCHEMA ... CASCADE).  Never
-- lets a failure here fail the user's command.
CREATE FUNCTION safekeep._record_table_drop()
RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO safekeep.ddl_history (command, object_type, schema_name, object_name,
                                      object_identity, transaction_id, lsn)
    SELECT tg_tag, o.object_type, o.schema_name, o.object_name, o.object_identity,
           pg_current_xact_id(), pg_current_wal_lsn()
      FROM pg_event_trigger_dropped_objects() o
     WHERE o.object_type = 'table' AND NOT o.is_temporary;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pg_safekeep could not record % in safekeep.ddl_history: %', tg_tag, SQLERRM;
END;
$$;

CREATE FUNCTION safekeep._record_table_alter()
RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO safekeep.ddl_history (command, object_type, schema_name, object_name,
                                      object_identity, transaction_id, lsn)
    SELECT c.command_tag, c.object_type, c.schema_name, r.relname, c.object_identity,
           pg_current_xact_id(), pg_current_wal_lsn()
      FROM pg_event_trigger_ddl_commands() c
      JOIN pg_class r ON r.oid = c.objid
     WHERE c.command_tag = 'ALTER TABLE' AND c.object_type = 'table'
       AND r.relpersistence <> 't' AND c.schema_name <> 'safekeep';
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pg_safekeep could not record % in safekeep.ddl_history: %', tg_tag, SQLERRM;
END;
$$;

CREATE EVENT TRIGGER safekeep_record_table_drop ON sql_drop
    EXECUTE FUNCTION safekeep._record_table_drop();
CREATE EVENT TRIGGER safekeep_record_table_alter ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE')
    EXECUTE FUNCTION safekeep._record_table_alter();

-- Named points in WAL that recoveries can target.
CREATE TABLE safekeep.restore_points (
    name       text PRIMARY KEY,
    lsn        pg_lsn NOT NULL,
    timeline   integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by name NOT NULL DEFAULT session_user
);

-- pg_create_restore_point plus a catalog row.  Names must be unique here
-- (recovery stops at the first point of a name).
CREATE FUNCTION safekeep.create_restore_point(name text)
RETURNS pg_lsn LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_name text := name;
    v_lsn pg_lsn;
BEGIN
    PERFORM safekeep._check_restore_point_name(v_name);
    IF EXISTS (SELECT 1 FROM safekeep.restore_points r WHERE r.name = v_name) THEN
        RAISE EXCEPTION 'restore point "%" already exists', v_name
              USING HINT = 'Choose another name; recovery stops at the first point of a name.';
    END IF;
    v_lsn := pg_create_restore_point(v_name);
    INSERT INTO safekeep.restore_points (name, lsn, timeline)
    VALUES (v_name, v_lsn, (SELECT timeline_id FROM pg_control_checkpoint()));
    PERFORM safekeep._audit('create_restore_point',
                            jsonb_build_object('name', v_name, 'lsn', v_lsn));
    RETURN v_lsn;
END;
$$;

CREATE FUNCTION safekeep._queue_table_recovery(wait boolean, label text, schema_name text,
                                               table_name text, into_schema text,
                                               replace boolean, target_type text,
                                               target_value text, target_time text,
                                               target_time_unix float8, inclusive boolean)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_queue_table_recovery' LANGUAGE C VOLATILE;

-- The newest backup that ended at or before a WAL position (label given: checked).
CREATE FUNCTION safekeep._choose_backup_before_lsn(p_label text, p_lsn pg_lsn, p_what text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    backups jsonb := safekeep.repository_info(false)->'backups';
    chosen text;
BEGIN
    SELECT e->>'label' INTO chosen FROM jsonb_array_elements(backups) e
     WHERE (p_label IS NULL OR e->>'label' = p_label) AND (e->>'stop_lsn')::pg_lsn <= p_lsn
     ORDER BY e->>'label' DESC LIMIT 1;
    IF chosen IS NOT NULL THEN
        RETURN chosen;
    END IF;
    IF p_label IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(backups) e WHERE e->>'label' = p_label) THEN
            RAISE EXCEPTION 'backup "%" does not exist in the repository', p_label;
        END IF;
        RAISE EXCEPTION 'backup "%" ends after %', p_label, p_what;
    END IF;
    RAISE EXCEPTION 'no backup ends before %', p_what
          USING HINT = 'A recovery needs a backup taken before its target.';
END;
$$;

-- Bring back one table as it was at a moment, into into_schema of this
-- database.  Without a target: just before the newest DROP or ALTER of it
-- that safekeep.ddl_history recorded (else its state now).
CREATE FUNCTION safekeep.recover_table(table_name text,
                                       target_time timestamptz DEFAULT NULL,
                                       into_schema text DEFAULT 'safekeep_restored',
                                       backup_label text DEFAULT NULL,
                                       replace boolean DEFAULT false,
                                       restore_point text DEFAULT NULL,
                                       wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    parts text[];
    v_schema text;
    v_name text;
    v_live regclass;
    ev record;
    rp record;
    v_type text;
    v_value text;
    v_time timestamptz;
    v_inclusive boolean := true;
    v_label text;
BEGIN
    IF restore_point IS NOT NULL THEN
        PERFORM safekeep._check_restore_point_name(restore_point);
    END IF;
    PERFORM safekeep._check_backup_label(backup_label, 'backup_label');
    IF into_schema <> '' THEN
        PERFORM safekeep._check_object_name(into_schema, 'into_schema');
    END IF;
    IF table_name IS NULL OR table_name = '' THEN
        RAISE EXCEPTION 'table_name must be given';
    END IF;
    BEGIN
        parts := parse_ident(table_name);
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'table_name "%" is not a valid [schema.]table name', table_name
              USING HINT = 'Quote names with capitals or special characters: ''"My Schema"."Orders"''.';
    END;
    IF array_length(parts, 1) > 2 THEN
        RAISE EXCEPTION 'table_name "%" has too many parts (expected [schema.]table)', table_name;
    END IF;
    IF into_schema IS NULL OR into_schema = '' THEN
        RAISE EXCEPTION 'into_schema must be given';
    END IF;
    IF into_schema IN ('safekeep', 'information_schema', 'safekeep_scratch')
       OR into_schema LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'into_schema "%" is reserved; recover into a schema of your own', into_schema;
    END IF;
    IF target_time IS NOT NULL AND restore_point IS NOT NULL THEN
        RAISE EXCEPTION 'give target_time or restore_point, not both';
    END IF;

    v_name := parts[array_length(parts, 1)];
    v_live := to_regclass(table_name);
    IF array_length(parts, 1) = 2 THEN
        v_schema := parts[1];
    ELSIF v_live IS NOT NULL THEN
        SELECT n.nspname INTO v_schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = v_live;
    ELSE
        -- Dropped: the schema its drop was recorded in, else the first on the search path.
        SELECT h.schema_name INTO v_schema FROM safekeep.ddl_history h
         WHERE h.object_name = v_name ORDER BY h.id DESC LIMIT 1;
        v_schema := coalesce(v_schema, (current_schemas(false))[1], 'public');
    END IF;
    IF v_schema = into_schema THEN
        RAISE EXCEPTION 'into_schema "%" is the table''s own schema; recover into another schema',
              into_schema;
    END IF;

    IF restore_point IS NOT NULL THEN
        SELECT * INTO rp FROM safekeep.restore_points r WHERE r.name = restore_point;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'restore point "%" is not in safekeep.restore_points', restore_point
                  USING HINT = 'Create restore points with safekeep.create_restore_point(name).';
        END IF;
        v_type := 'name';
        v_value := restore_point;
        v_time := rp.created_at;
        v_label := safekeep._choose_backup_before_lsn(backup_label, rp.lsn,
                                                      format('restore point "%s"', restore_point));
    ELSIF target_time IS NOT NULL THEN
        IF target_time > clock_timestamp() THEN
            RAISE EXCEPTION 'target time % is in the future', target_time;
        END IF;
        v_type := 'time';
        v_value := to_char(target_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00';
        v_time := target_time;
        v_label := safekeep._choose_backup(backup_label, target_time);
    ELSE
        SELECT * INTO ev FROM safekeep.ddl_history h
         WHERE h.schema_name = v_schema AND h.object_name = v_name ORDER BY h.id DESC LIMIT 1;
        IF FOUND THEN
            -- Stop just before the transaction that dropped or altered it commits.
            v_type := 'xid';
            v_value := (ev.transaction_id::text::numeric % 4294967296)::text;
            v_inclusive := false;
            v_time := ev.happened_at;
            v_label := safekeep._choose_backup_before_lsn(
                           backup_label, ev.lsn,
                           format('the %s of %s at %s', ev.command, ev.object_identity,
                                  ev.happened_at));
            RAISE NOTICE 'recovering %.% as it was just before % (transaction %, %)',
                  quote_ident(v_schema), quote_ident(v_name), ev.command, ev.transaction_id,
                  ev.happened_at;
        ELSIF v_live IS NOT NULL THEN
            v_type := 'time';
            v_time := clock_timestamp();
            v_value := to_char(v_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00';
            v_label := safekeep._choose_backup(backup_label, v_time);
        ELSE
            RAISE EXCEPTION 'table %.% does not exist and safekeep.ddl_history has no record of it',
                  quote_ident(v_schema), quote_ident(v_name)
                  USING HINT = 'Give target_time or restore_point.';
        END IF;
    END IF;

    IF to_regclass(format('%I.%I', into_schema, v_name)) IS NOT NULL AND NOT replace THEN
        RAISE EXCEPTION 'table %.% already exists', quote_ident(into_schema), quote_ident(v_name)
              USING HINT = 'Pass replace => true to overwrite it, or choose another into_schema.';
    END IF;
    PERFORM safekeep._check_repository();
    PERFORM safekeep._audit('recover_table',
                            jsonb_build_object('table', format('%I.%I', v_schema, v_name),
                                               'into_schema', into_schema, 'replace', replace,
                                               'target_type', v_type, 'target', v_value,
                                               'target_time', v_time, 'backup_label', v_label,
                                               'wait', wait));
    RETURN safekeep._queue_table_recovery(wait, v_label, v_schema, v_name, into_schema, replace,
                                          v_type, v_value,
                                          to_char(v_time AT TIME ZONE 'UTC',
                                                  'YYYY-MM-DD HH24:MI:SS.US') || '+00',
                                          extract(epoch FROM v_time)::float8, v_inclusive);
END;
$$;

CREATE FUNCTION safekeep.table_recovery_started(p_job bigint, p_label text, p_target timestamptz,
                                                p_table text, p_details jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO safekeep.recovery_log (job_id, recovery_type, backup_label, backup_file,
                                       target_time, table_name, status, details)
    VALUES (p_job, 'table', p_label,
            (SELECT backup_file FROM safekeep.backup_catalog WHERE label = p_label),
            p_target, p_table, 'running', p_details);
    UPDATE safekeep.jobs SET label = p_label WHERE id = p_job;
$$;

-- Called in the transaction that created the recovered table.
CREATE FUNCTION safekeep.table_recovery_finished(p_job bigint, p_result text, p_details jsonb)
RETURNS void LANGUAGE sql AS $$
    UPDATE safekeep.recovery_log
       SET status = 'completed', completed_at = clock_timestamp(),
           duration = clock_timestamp() - started_at, details = details || p_details
     WHERE job_id = p_job;
    UPDATE safekeep.jobs SET status = 'succeeded', finished_at = clock_timestamp(),
           result = p_result
     WHERE id = p_job;
$$;
