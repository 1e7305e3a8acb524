-- ---------------------------------------------------------------------------
-- Logical backups: pg_dump -Fc into <stanza>/logical/<label>/ (apart from
-- the physical backups, so chains and verify never see them; retention has
-- its own rules, safekeep.logical_retention_*), and pg_restore from there
-- into a database of this cluster.
-- ---------------------------------------------------------------------------
CREATE TABLE safekeep.logical_backups (
    label           text PRIMARY KEY,
    database_name   name NOT NULL,
    schema_only     boolean NOT NULL,
    tables          text[],          -- schema.table of what was requested; NULL = all
    dumped_tables   text[],          -- schema.table of every table in the dump
    schema_hash     text NOT NULL,
    sha256          text NOT NULL,   -- of the pg_dump output (before zstd)
    dump_size       bigint,
    stored_size     bigint,
    pg_dump_version text,
    manifest        jsonb
);

CREATE FUNCTION safekeep._queue_logical_backup(wait boolean, schema_only boolean, tables text)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_queue_logical_backup' LANGUAGE C VOLATILE;

CREATE FUNCTION safekeep._queue_logical_restore(wait boolean, label text, target_database text,
                                                tables text)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_queue_logical_restore' LANGUAGE C VOLATILE;

-- Ordinary and partitioned tables of this database, as "schema<TAB>table"
-- lines for the job (names holding a tab or newline are refused).
CREATE FUNCTION safekeep._logical_resolve_tables(tables text[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    t text;
    v_oid regclass;
    v_lines text[] := '{}';
    v_nsp name;
    v_rel name;
BEGIN
    IF tables IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(tables) = 0 THEN
        RAISE EXCEPTION 'tables is empty' USING HINT = 'Pass NULL for the whole database.';
    END IF;
    FOREACH t IN ARRAY tables LOOP
        v_oid := to_regclass(t);
        IF t IS NULL OR v_oid IS NULL THEN
            RAISE EXCEPTION 'table "%" does not exist', t;
        END IF;
        SELECT n.nspname, c.relname INTO v_nsp, v_rel
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = v_oid AND c.relkind IN ('r', 'p');
        IF NOT FOUND THEN
            RAISE EXCEPTION '"%" is not a table', t;
        END IF;
        IF v_nsp IN ('pg_catalog', 'information_schema') THEN
            RAISE EXCEPTION '"%" is a system catalog', t;
        END IF;
        IF v_nsp || v_rel ~ '[\t\n.]' THEN
            RAISE EXCEPTION 'table name "%" holds a tab, newline or dot, which logical backups do not support', t;
        END IF;
        v_lines := v_lines || (v_nsp || E'\t' || v_rel);
    END LOOP;
    RETURN array_to_string(v_lines, E'\n');
END;
$$;

CREATE FUNCTION safekeep.create_logical_backup(schema_only boolean DEFAULT false,
                                               tables text[] DEFAULT NULL,
                                               wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM safekeep._audit('create_logical_backup',
                            jsonb_build_object('schema_only', coalesce(schema_only, false),
                                               'tables', tables, 'wait', wait));
    RETURN safekeep._queue_logical_backup(wait, coalesce(schema_only, false),
                                          safekeep._logical_resolve_tables(tables));
END;
$$;

-- The job worker (connected to the dumped database) records the result.
CREATE FUNCTION safekeep.logical_backup_completed(p_job bigint, m jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_tables text[];
    v_dumped text[];
BEGIN
    SELECT array_agg(x ORDER BY x) INTO v_tables FROM jsonb_array_elements_text(m->'tables') x;
    IF v_tables IS NULL THEN
        SELECT array_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname) INTO v_dumped
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
           -- pg_dump leaves extension members out
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype = 'e');
    ELSE
        v_dumped := v_tables;
    END IF;
    INSERT INTO safekeep.logical_backups (label, database_name, schema_only, tables, dumped_tables,
                                          schema_hash, sha256, dump_size, stored_size,
                                          pg_dump_version, manifest)
    VALUES (m->>'label', m->>'database', (m->>'schema_only')::boolean, v_tables, v_dumped,
            m->>'schema_hash', m->>'sha256', (m->>'dump_size')::bigint,
            (m->>'stored_size')::bigint, m->>'pg_dump_version', m);
    INSERT INTO safekeep.backup_catalog (label, backup_type, backup_file, backup_size,
                                         database_size, checksum, compression_ratio, status,
                                         job_id, pg_version, system_identifier, started_at,
                                         completed_at, duration, schema_hash)
    VALUES (m->>'label', 'logical', 'logical/' || (m->>'label') || '/manifest.json',
            (m->>'stored_size')::bigint, (m->>'dump_size')::bigint, m->>'sha256',
            round((m->>'dump_size')::numeric / greatest((m->>'stored_size')::numeric, 1), 2),
            'completed', p_job, current_setting('server_version_num')::integer,
            (SELECT system_identifier::text FROM pg_control_system()),
            (m->>'start_time')::timestamptz, (m->>'stop_time')::timestamptz,
            (m->>'stop_time')::timestamptz - (m->>'start_time')::timestamptz, m->>'schema_hash');
    INSERT INTO safekeep.backup_log (label, backup_type, backup_file, event, message)
    VALUES (m->>'label', 'logical', 'logical/' || (m->>'label') || '/dump.zst', 'completed',
            format('logical backup %s of database %s completed%s: %s stored, schema hash %s',
                   m->>'label', m->>'database',
                   CASE WHEN (m->>'schema_only')::boolean THEN ' (schema only)' ELSE '' END,
                   pg_size_pretty((m->>'stored_size')::bigint), m->>'schema_hash'));
    UPDATE safekeep.jobs SET status = 'succeeded', finished_at = now(), result = m->>'label',
                             label = m->>'label'
     WHERE id = p_job;
END;
$$;

CREATE FUNCTION safekeep.restore_logical_backup(label text, target_database text,
                                                tables text[] DEFAULT NULL,
                                                wait boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_type text;
    v_status text;
    v_dumped text[];
    v_lines text[] := '{}';
    t text;
    v_parts text[];
BEGIN
    PERFORM safekeep._check_logical_label(label, 'label');
    PERFORM safekeep._check_object_name(target_database, 'target_database');
    SELECT c.backup_type, c.status INTO v_type, v_status
      FROM safekeep.backup_catalog c WHERE c.label = restore_logical_backup.label;
    IF NOT FOUND OR label IS NULL THEN
        RAISE EXCEPTION 'unknown backup "%"', label
              USING HINT = 'See safekeep.logical_backups.';
    END IF;
    IF v_type <> 'logical' THEN
        RAISE EXCEPTION 'backup "%" is a % (physical) backup, not a logical one', label, v_type
              USING HINT = 'Use point_in_time_recovery() or recover_table() for physical backups.';
    END IF;
    IF v_status <> 'completed' THEN
        RAISE EXCEPTION 'logical backup "%" is %', label, v_status;
    END IF;
    IF target_database IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = target_database) THEN
        RAISE EXCEPTION 'database "%" does not exist', target_database
              USING HINT = 'Create the target database first (CREATE DATABASE).';
    END IF;
    IF tables IS NOT NULL THEN
        IF cardinality(tables) = 0 THEN
            RAISE EXCEPTION 'tables is empty' USING HINT = 'Pass NULL to restore everything.';
        END IF;
        SELECT l.dumped_tables INTO v_dumped FROM safekeep.logical_backups l
         WHERE l.label = restore_logical_backup.label;
        FOREACH t IN ARRAY tables LOOP
            -- "table" means public.table; "schema.table" as recorded.
            v_parts := CASE WHEN position('.' IN coalesce(t, '')) > 0
                            THEN string_to_array(t, '.') ELSE ARRAY['public', t] END;
            IF t IS NULL OR cardinality(v_parts) <> 2
               OR NOT (v_parts[1] || '.' || v_parts[2]) = ANY (coalesce(v_dumped, '{}')) THEN
                RAISE EXCEPTION 'table "%" is not in logical backup "%"', t, label
                      USING HINT = 'safekeep.logical_backups.dumped_tables lists them.';
            END IF;
            v_lines := v_lines || (v_parts[1] || E'\t' || v_parts[2]);
        END LOOP;
    END IF;
    PERFORM safekeep._audit('restore_logical_backup',
                            jsonb_build_object('label', label, 'target_database', target_database,
                                               'tables', tables, 'wait', wait));
    RETURN safekeep._queue_logical_restore(wait, label, target_database,
                                           CASE WHEN tables IS NULL THEN NULL
                                                ELSE array_to_string(v_lines, E'\n') END);
END;
$$;
