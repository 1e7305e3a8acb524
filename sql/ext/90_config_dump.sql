-- ---------------------------------------------------------------------------
-- pg_dump keeps what users configure (as pg_cron marks cron.job): the
-- schedules and the disaster recovery runbooks, with the runbooks' id
-- sequence. Everything else the extension writes itself (jobs, catalogs,
-- logs, restore points of this cluster's WAL, notification state) is history
-- or a view of the repository: sync_catalog() rebuilds the catalog there.
-- ---------------------------------------------------------------------------

-- A restore runs CREATE EXTENSION, which seeds both tables, before it loads
-- their dumped rows: an inserted row replaces the seed of the same name when
-- nobody has touched that seed (a schedule never run nor changed through the
-- functions, a runbook never updated), so the dump's version of a seeded row
-- wins instead of failing on the key. A used or changed seed still refuses a
-- duplicate.
CREATE FUNCTION safekeep._replace_untouched_seed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME = 'schedules' THEN
        DELETE FROM safekeep.schedules s
         WHERE s.name = NEW.name AND s.last_run_at IS NULL AND s.last_job_id IS NULL
           AND s.updated_at = s.created_at;
    ELSE
        DELETE FROM safekeep.disaster_recovery_procedures p
         WHERE p.scenario = NEW.scenario AND p.updated_at = p.created_at;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER replace_untouched_seed
    BEFORE INSERT ON safekeep.schedules
    FOR EACH ROW EXECUTE FUNCTION safekeep._replace_untouched_seed();
CREATE TRIGGER replace_untouched_seed
    BEFORE INSERT ON safekeep.disaster_recovery_procedures
    FOR EACH ROW EXECUTE FUNCTION safekeep._replace_untouched_seed();

-- Runbooks are edited with plain UPDATEs: keep updated_at true, so an edited
-- runbook never counts as untouched.
CREATE FUNCTION safekeep._touch_runbook()
RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.updated_at = OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER touch_runbook
    BEFORE UPDATE ON safekeep.disaster_recovery_procedures
    FOR EACH ROW EXECUTE FUNCTION safekeep._touch_runbook();

SELECT pg_catalog.pg_extension_config_dump('safekeep.schedules', '');
SELECT pg_catalog.pg_extension_config_dump('safekeep.disaster_recovery_procedures', '');
SELECT pg_catalog.pg_extension_config_dump('safekeep.disaster_recovery_procedures_id_seq', '');
