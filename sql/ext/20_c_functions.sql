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

CREATE FUNCTION safekeep.repository_info(with_wal boolean DEFAULT false)
RETURNS jsonb AS 'MODULE_PATHNAME', 'sk_sql_repository_info' LANGUAGE C VOLATILE;

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

