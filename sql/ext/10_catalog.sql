
-- ---------------------------------------------------------------------------
-- Catalog tables.  The repository is the source of truth; these are a view of
-- it that the launcher keeps in step (safekeep.sync_catalog()).
-- ---------------------------------------------------------------------------

-- The role that may run jobs without being superuser; every part's grants
-- name it, so it exists first.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safekeep_admin') THEN
        CREATE ROLE safekeep_admin NOLOGIN;
    END IF;
END;
$$;

-- Job ids are taken before the job's row exists (the worker inserts it).
CREATE SEQUENCE safekeep.jobs_id_seq;

CREATE TABLE safekeep.jobs (
    id            bigint PRIMARY KEY,
    kind          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    label         text,
    requested_by  name,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    result        text,
    error_message text
);

CREATE TABLE safekeep.backup_catalog (
    id                bigserial PRIMARY KEY,
    label             text NOT NULL UNIQUE,
    backup_type       text NOT NULL
                      CHECK (backup_type IN ('full', 'differential', 'incremental', 'logical')),
    prior_label       text,
    backup_file       text,          -- repository location of manifest.json
    backup_size       bigint,        -- bytes stored in the repository
    database_size     bigint,        -- bytes of the files backed up
    checksum          text,          -- sha256 of manifest.json
    compression_ratio numeric,
    changes_count     bigint,
    file_count        bigint,
    status            text NOT NULL
                      CHECK (status IN ('running', 'completed', 'failed', 'expired', 'missing')),
    job_id            bigint,
    start_lsn         pg_lsn,
    stop_lsn          pg_lsn,
    start_wal         text,
    stop_wal          text,
    timeline          integer,
    pg_version        integer,
    system_identifier text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    completed_at      timestamptz,
    duration          interval,
    copied_bytes      bigint,        -- uncompressed changed data this backup stored
    notice            text,          -- e.g. why an incremental became a full backup
    verified_at       timestamptz,
    verify_status     text CHECK (verify_status IN ('ok', 'failed')),
    verify_problems   jsonb,         -- [{kind, object, detail}] of the last verification
    last_drill_at     timestamptz,   -- last restore drill (safekeep.backup_test_log)
    last_drill_result boolean,
    last_drill_rto    numeric,       -- seconds: restore plus recovery until promoted
    row_counts_skipped text,         -- why no row counts were taken for drills (54_drills.sql)
    schema_hash       text,          -- logical backups: sha256 of the schema (76_logical.sql)
    repositories      jsonb,         -- [{repo, kind, landed, error}]: where the backup landed
    -- completed backups: partial when a configured repository did not get it
    outcome           text CHECK (outcome IN ('success', 'partial')),
    error_message     text
);
CREATE INDEX ON safekeep.backup_catalog (status, completed_at);

CREATE TABLE safekeep.backup_log (
    id          bigserial PRIMARY KEY,
    label       text,
    backup_type text,
    backup_file text,
    event       text NOT NULL,
    message     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE safekeep.recovery_log (
    id            bigserial PRIMARY KEY,
    job_id        bigint,
    recovery_type text NOT NULL
                  CHECK (recovery_type IN ('full', 'point_in_time', 'table', 'drill', 'disaster')),
    backup_label  text,
    backup_file   text,
    target_time   timestamptz,
    table_name    text,
    target_dir    text,
    port          integer,
    details       jsonb,          -- rows restored, RTO parts, the recovery target used
    status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    error_message text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    duration      interval
);

