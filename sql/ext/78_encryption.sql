
-- Key rotation (issue 6): re-wraps the data keys of encrypted repository
-- p_repo under the passphrase in p_new_passphrase_file. Afterwards point
-- safekeep.repoN_cipher_passphrase_file at that file and reload; until then
-- the archiver retries (WAL stays in pg_wal), nothing is lost.
CREATE FUNCTION safekeep._rotate_encryption_key(p_repo integer, p_new_passphrase_file text)
RETURNS text AS 'MODULE_PATHNAME', 'sk_sql_rotate_encryption_key' LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION safekeep.rotate_encryption_key(repo integer, new_passphrase_file text)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_result text;
BEGIN
    v_result := safekeep._rotate_encryption_key(repo, new_passphrase_file);
    PERFORM safekeep._audit('rotate_encryption_key',
                            jsonb_build_object('repo', repo, 'new_passphrase_file', new_passphrase_file));
    RETURN v_result;
END;
$$;
