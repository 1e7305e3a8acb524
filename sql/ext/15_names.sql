-- ---------------------------------------------------------------------------
-- Names a user chooses, checked where they enter: a clear error naming what
-- is wrong before anything is queued or created.  (The core checks again:
-- src/core/util/user_names.cpp, and its one configuration writer refuses
-- control characters in anything it writes.)
-- ---------------------------------------------------------------------------

-- The first control character (below 0x20, or 0x7f) as '0x0a at byte 5'; NULL if none.
CREATE FUNCTION safekeep._first_control(p text)
RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m text[] := regexp_match(p, '([\x01-\x1f\x7f])');
BEGIN
    IF m IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN format('0x%s at byte %s', lpad(to_hex(ascii(m[1])), 2, '0'),
                  octet_length(substr(p, 1, strpos(p, m[1]))));
END;
$$;

-- A value for an error message: quoted when short and printable, else
-- described (no 10 000-byte or multi-line messages in the log).
CREATE FUNCTION safekeep._shown(p text)
RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN octet_length(p) <= 64 AND safekeep._first_control(p) IS NULL
                THEN '"' || p || '"'
                ELSE format('(%s bytes, not shown)', octet_length(p)) END;
$$;

-- Restore point names: 1 to 63 bytes (PostgreSQL's limit), no control
-- characters.  Quotes, backslashes and spaces are fine.
CREATE FUNCTION safekeep._check_restore_point_name(p_name text)
RETURNS void LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad text := safekeep._first_control(p_name);
BEGIN
    IF p_name IS NULL OR p_name = '' THEN
        RAISE EXCEPTION 'invalid restore point name: it is empty';
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'invalid restore point name: it contains a control character (%)', bad;
    END IF;
    IF octet_length(p_name) > 63 THEN
        RAISE EXCEPTION 'invalid restore point name: it is % bytes long (at most 63)',
              octet_length(p_name);
    END IF;
END;
$$;

-- A physical backup label (src/core/repo/label.cpp): YYYYMMDD-HHMMSSF, or
-- <full>_YYYYMMDD-HHMMSSD|I.  NULL passes (callers then choose one).
CREATE FUNCTION safekeep._check_backup_label(p_label text, p_what text)
RETURNS void LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_label IS NOT NULL
       AND p_label !~ '^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?$' THEN
        RAISE EXCEPTION 'invalid backup label % for %', safekeep._shown(p_label), p_what
              USING HINT = 'A backup label is YYYYMMDD-HHMMSSF, or '
                           'YYYYMMDD-HHMMSSF_YYYYMMDD-HHMMSSD (or I); see safekeep.backup_catalog.';
    END IF;
END;
$$;

-- A logical backup label (src/core/repo/logical_list.cpp): YYYYMMDD-HHMMSSL.
CREATE FUNCTION safekeep._check_logical_label(p_label text, p_what text)
RETURNS void LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_label IS NULL OR p_label !~ '^[0-9]{8}-[0-9]{6}L$' THEN
        RAISE EXCEPTION 'invalid logical backup label % for %', coalesce(safekeep._shown(p_label), 'NULL'), p_what
              USING HINT = 'A logical backup label is YYYYMMDD-HHMMSSL; see safekeep.logical_backups.';
    END IF;
END;
$$;

-- A name PostgreSQL stores as "name" (schemas, databases): 1 to 63 bytes, no
-- control characters (legal when quoted, but never what a caller meant, and
-- a longer one would be cut silently).
CREATE FUNCTION safekeep._check_object_name(p_name text, p_what text)
RETURNS void LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad text := safekeep._first_control(p_name);
BEGIN
    IF p_name IS NULL OR p_name = '' THEN
        RAISE EXCEPTION 'invalid %: it is empty', p_what;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'invalid %: it contains a control character (%)', p_what, bad;
    END IF;
    IF octet_length(p_name) > 63 THEN
        RAISE EXCEPTION 'invalid %: it is % bytes long (at most 63)', p_what, octet_length(p_name);
    END IF;
END;
$$;
