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

-- repository NULL: the first configured repository (safekeep.read_repo aside).
CREATE FUNCTION safekeep.repository_info(with_wal boolean DEFAULT false,
                                         repository integer DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'sk_sql_repository_info' LANGUAGE C VOLATILE;

-- The configured repositories, from the settings alone (no repository I/O).
CREATE FUNCTION safekeep.repositories(OUT repository integer, OUT kind text, OUT location text,
                                      OUT encrypted boolean)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'sk_sql_repositories' LANGUAGE C VOLATILE;

-- One repository's description, or {"error": why} when it cannot be read:
-- a repository that is down hides no other repository's row.
CREATE FUNCTION safekeep._repository_info_or_error(p_repository integer)
RETURNS jsonb LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN safekeep.repository_info(true, p_repository);
EXCEPTION WHEN OTHERS THEN
    RETURN jsonb_build_object('error', SQLERRM);
END;
$$;

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

