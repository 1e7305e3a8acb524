/*
 * capi.h - the one C interface between the PostgreSQL shim (src/pg) and the
 * C++ core (src/core).
 *
 * Rules (DESIGN-NOTES.md, Foundations, the boundary rule):
 *  - every function here is noexcept on the C++ side: it catches every
 *    exception and reports it as SK_ERROR plus a message;
 *  - the core never calls into PostgreSQL; cancellation is polled through
 *    sk_cancel_fn, which may only read flags;
 *  - memory crossing the boundary is malloc'ed by the core and released with
 *    the matching sk_*_free function.
 */
#ifndef SAFEKEEP_CAPI_H
#define SAFEKEEP_CAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
/* Declared noexcept so the compiler holds the definitions to it too. */
#define SK_NOEXCEPT noexcept
extern "C" {
#else
#define SK_NOEXCEPT
#endif

enum sk_status {
    SK_OK = 0,
    SK_ERROR = 1,     /* failure; message says what and where */
    SK_NOT_FOUND = 2, /* e.g. archive-get of a segment the repository lacks */
    SK_CANCELED = 3   /* sk_cancel_fn returned nonzero */
};

#define SK_MSG_LEN 2048

/* Error text (and on success an optional one-line summary); a longer one is
 * cut visibly, ending in "...".  Results are allocated, never cut. */
typedef struct sk_msg {
    char text[SK_MSG_LEN];
} sk_msg;

/* Returns nonzero when the caller wants the operation to stop. */
typedef int (*sk_cancel_fn)(void);

/* The process-wide stop poll (src/core/os/stop.h): every wait in the core,
 * on any thread (rate limit, S3 backoff, curl, child processes, push-ahead),
 * looks at it at least every ~100 ms (curl: ~1 s) and gives up with
 * SK_CANCELED.  It is called from core threads, so it may only read flags.
 * NULL: never stop. Set once, at load. */
void sk_set_stop_poll(sk_cancel_fn poll) SK_NOEXCEPT;

/* Up to four repositories; every backup and WAL file goes to each one configured. */
#define SK_MAX_REPOS 4

/* One repository, as the safekeep.repoN_* GUCs (or the tool's --repoN-* options)
 * give it.  Unset strings are NULL or "".  Secrets are never here: only the
 * names of files that hold them. */
typedef struct sk_repo_config {
    const char *type; /* "posix" (default when path is set) or "s3"; unset = not configured */
    const char *path; /* posix: root directory (must exist) */
    const char *s3_endpoint; /* URL; https:// when no scheme */
    const char *s3_bucket;
    const char *s3_region;              /* default us-east-1 */
    const char *s3_prefix;              /* key prefix inside the bucket */
    const char *s3_uri_style;           /* "path" (default) or "host" */
    int s3_verify_tls;                  /* nonzero: verify the server certificate */
    const char *s3_ca_file;             /* CA bundle for verification */
    int s3_part_size_mb;                /* multipart part size; 0 = default (16) */
    const char *s3_credentials_file;    /* AWS shared-credentials format */
    const char *s3_profile;             /* default "default" */
    const char *s3_storage_class;       /* x-amz-storage-class; "" = bucket's */
    const char *cipher;                 /* "none" (default) or "aes-256-gcm" */
    const char *cipher_passphrase_file; /* file holding the passphrase */
} sk_repo_config;

/* Repository and tuning settings, as the GUCs (or the tool's options) give them. */
typedef struct sk_config {
    sk_repo_config repos[SK_MAX_REPOS]; /* repos[0] is repo1 */
    const char *stanza; /* cluster directory under the root; usually the system id */
    int compress_level; /* zstd level */
    int parallel;       /* copy threads */
    int read_repo;      /* reads (restore, verify, info): 1..4, or 0 = the first that has it */
    int64_t max_rate;   /* bytes per second a job may write to the repositories; 0 = no limit */
    const char *archive_require; /* repositories WAL must reach ("1,2"); NULL/"": all */
    const char *state_dir;       /* PGDATA/pg_safekeep: WAL owed to repositories; NULL: none */
} sk_config;

/* ---- WAL archive --------------------------------------------------------- */

/*
 * Push one file from pg_wal (segment, .partial, .history or .backup) into the
 * repository.  Returns SK_OK only once the object is durable.  The same name
 * with the same sha256 already present is SK_OK; a different sha256 is
 * SK_ERROR and nothing is overwritten.  pg_version/system_id initialise
 * repo.json on first use and must match it afterwards.
 * Push-ahead: up to 2 x cfg->parallel further files that are .ready in
 * <dirname(wal_path)>/archive_status are pushed by background threads of
 * this process, so the call for the next file usually finds it done; a
 * failed push-ahead is retried (and reported) by the call for that file.
 */
int sk_archive_push(const sk_config *cfg, uint64_t system_id, int pg_version, const char *wal_name,
                    const char *wal_path, sk_msg *msg) SK_NOEXCEPT;

/*
 * safekeep.archive_require: a file is durable in every repository it lists
 * before sk_archive_push returns SK_OK; one it does not list that failed is
 * owed the file (a marker under cfg->state_dir).  sk_wal_catch_up copies
 * owed files from a repository that holds them and clears their markers;
 * *copied and *still_owed count files (SK_OK even when some stay owed: msg
 * then says why).  sk_wal_owed_count only looks at the markers (no I/O on
 * repositories).  sk_check_archive_require checks the setting's syntax.
 */
int sk_wal_catch_up(const sk_config *cfg, uint64_t system_id, int pg_version, int *copied,
                    int *still_owed, sk_msg *msg) SK_NOEXCEPT;
int sk_wal_owed_count(const char *state_dir) SK_NOEXCEPT;
int sk_check_archive_require(const char *value, sk_msg *msg) SK_NOEXCEPT;

/* Fetch one archived file into dest_path, checking its sha256.
 * SK_NOT_FOUND when the repository has no such file. */
int sk_archive_get(const sk_config *cfg, const char *wal_name, const char *dest_path,
                   sk_msg *msg) SK_NOEXCEPT;

/* ---- physical backup ----------------------------------------------------- */

typedef struct sk_backup sk_backup;

typedef struct sk_backup_start {
    const char *pgdata; /* live data directory */
    uint64_t system_id;
    int pg_version;   /* PG_VERSION_NUM */
    const char *type; /* "full" (NULL too), "incremental" or "differential" */
    /* Fields below were added for incremental/differential backups;
     * zero-initialise the struct so that they default to off. */
    const char *prior_label; /* NULL/"": the core chooses, as sk_backup_choose_prior does */
    uint32_t timeline;       /* the server's current timeline (0: checked at finish only) */
    int fallback_full;       /* 1: with no usable prior, take a full backup instead of
                              * failing; sk_backup_notice() says why */
    const char *label_after; /* NULL/"": none; else the new label sorts after it (the
                              * catalog may remember labels whose directories were
                              * discarded) */
} sk_backup_start;

/*
 * Allocate a label and create the backup's directory (no manifest yet).
 * Labels: YYYYMMDD-HHMMSSF for a full backup, <full label>_YYYYMMDD-HHMMSSI
 * for an incremental (relative to prior_label, by default the newest backup
 * of any type) and <full label>_YYYYMMDD-HHMMSSD for a differential
 * (relative to the newest full backup).  Without a usable prior (no full
 * backup in the repository, timeline changed, prior's chain incomplete) it
 * fails with the reason in msg, or with fallback_full takes a full backup.
 */
sk_backup *sk_backup_begin(const sk_config *cfg, const sk_backup_start *start,
                           sk_msg *msg) SK_NOEXCEPT;
const char *sk_backup_label(const sk_backup *b) SK_NOEXCEPT;
/* "full", "incremental" or "differential": what is actually being taken. */
const char *sk_backup_type(const sk_backup *b) SK_NOEXCEPT;
/* Label of the backup this one is relative to; "" for a full backup. */
const char *sk_backup_prior(const sk_backup *b) SK_NOEXCEPT;
/* Why an incremental/differential request became a full backup, e.g. "the
 * repository holds no full backup: taking a full backup instead of an
 * incremental backup"; "" when it did not. */
const char *sk_backup_notice(const sk_backup *b) SK_NOEXCEPT;

/*
 * The prior an incremental (newest backup of any type) or differential
 * (newest full backup) backup would use, read from the repository.
 * SK_OK: prior_label (64 bytes) holds it ("" for type "full").
 * SK_NOT_FOUND: there is none; msg says why (no full backup, timeline
 * changed since it (when timeline != 0), its chain incomplete): the caller
 * takes a full backup and says so.  SK_ERROR: bad type or repository.
 */
int sk_backup_choose_prior(const sk_config *cfg, const char *type, uint32_t timeline,
                           char *prior_label, sk_msg *msg) SK_NOEXCEPT;

typedef struct sk_progress {
    uint64_t files_total, files_done;
    uint64_t bytes_total, bytes_done;
} sk_progress;

/* Copy every file of pgdata (and tablespaces) that PostgreSQL's exclusion
 * rules keep.  Runs outside any transaction; polls cancel. */
int sk_backup_copy(sk_backup *b, sk_cancel_fn cancel, sk_progress *progress,
                   sk_msg *msg) SK_NOEXCEPT;

typedef struct sk_backup_stop {
    const char *start_lsn;  /* "0/2000028" as pg_backup_start returned it */
    const char *stop_lsn;   /* as pg_backup_stop returned it */
    const char *labelfile;  /* pg_backup_stop's labelfile (becomes backup_label) */
    const char *spcmapfile; /* may be NULL or "" */
    int64_t start_time;     /* unix seconds */
    int64_t stop_time;
    const char *table_counts; /* optional JSON object {"db.schema.table": rows} */
} sk_backup_stop;

/* Where a finished backup landed, one per configured repository. */
typedef struct sk_repo_outcome {
    int repo;      /* repository number, 1..SK_MAX_REPOS */
    char kind[16]; /* the storage kind: "posix" or "s3" (a fixed set) */
    int landed;    /* 1: the backup is complete there */
    char *error;   /* why it did not land ("" when it did); never NULL */
} sk_repo_outcome;

/* The fixed arrays hold values of a grammar the core checks (labels: at most
 * 33 bytes, hex sha256, 24-byte WAL names, the type); the rest is allocated. */
typedef struct sk_backup_result {
    char label[64];
    char *manifest_path; /* repository location of manifest.json */
    char manifest_sha256[65];
    char start_wal[32], stop_wal[32];
    uint32_t timeline;
    uint64_t file_count;
    uint64_t original_bytes; /* sum of file sizes */
    uint64_t stored_bytes;   /* bytes written to the repository */
    /* Added for incremental/differential backups: */
    char type[16];          /* "full", "incremental", "differential" */
    char prior[64];         /* "" for a full backup */
    uint64_t copied_bytes;  /* uncompressed bytes of changed data stored (pages and files) */
    uint64_t changed_files; /* files with new data in this backup (changes_count) */
    /* Per repository, in number order (e.g. for backup_catalog.repositories). */
    sk_repo_outcome *repos;
    int n_repos;
} sk_backup_result;

/* Store backup_label/tablespace_map and write the manifest (last, atomically).
 * Zero res first and, whatever the status, release it with
 * sk_backup_result_free (its allocated fields only; NULL/0 afterwards). */
int sk_backup_finish(sk_backup *b, const sk_backup_stop *stop, sk_backup_result *res,
                     sk_msg *msg) SK_NOEXCEPT;
void sk_backup_result_free(sk_backup_result *res) SK_NOEXCEPT;

/* Remove everything a backup that never got a manifest left behind. */
void sk_backup_abort(sk_backup *b) SK_NOEXCEPT;
void sk_backup_free(sk_backup *b) SK_NOEXCEPT;

/* Remove backup/<label> if (and only if) it has no manifest.  SK_OK also when
 * there is nothing to remove. */
int sk_backup_discard_partial(const sk_config *cfg, const char *label, sk_msg *msg) SK_NOEXCEPT;

/* ---- leftovers (repo/sweep.h) ---------------------------------------------- */

/* One removed directory without a manifest (only label-grammar names are swept). */
typedef struct sk_swept {
    int repo;       /* repository number */
    char kind[16];  /* "backup" (backup/<label>) or "logical" (logical/<label>) */
    char label[64]; /* the directory's name */
    char *location; /* where it was ("/repo/123/backup/<label>", "s3://..."); never NULL */
    int expired;    /* retention had expired it: a crash cut its removal short */
} sk_swept;

typedef struct sk_sweep_opts {
    const char *const *spare; /* labels of backups running now: never removed */
    int n_spare;
    int skip_physical; /* nonzero: leave backup/ alone (a backup may be claiming a label) */
    int skip_logical;  /* nonzero: leave logical/ alone (a logical backup is running) */
    /* labels the catalog knows as completed: a missing manifest is a
     * missing_backup problem, not garbage; removed only when retention's
     * expired/<label> note says their removal was cut short */
    const char *const *completed;
    int n_completed;
} sk_sweep_opts;

/*
 * Remove every backup/<label> and logical/<label> without a manifest.json in
 * every configured repository; a directory with one (even a damaged one) is
 * never touched.  *removed (sk_swept_free; NULL when none) and *n_removed list what
 * was removed, also on SK_ERROR, which says in msg what could not be listed
 * or removed (the sweep goes on past it).
 */
int sk_sweep_leftovers(const sk_config *cfg, const sk_sweep_opts *opts, sk_swept **removed,
                       int *n_removed, sk_msg *msg) SK_NOEXCEPT;
/* Releases sk_sweep_leftovers' list (n entries) and what they hold; NULL is fine. */
void sk_swept_free(sk_swept *removed, int n) SK_NOEXCEPT;

/* ---- restore -------------------------------------------------------------- */

/* One setting for a PostgreSQL configuration file: the value as PostgreSQL
 * should read it back (not quoted). */
typedef struct sk_setting {
    const char *name;
    const char *value;
} sk_setting;

typedef struct sk_restore_opts {
    const char *pgdata;      /* absolute, missing or empty */
    const char *label;       /* NULL: newest backup that ends before the target */
    const char *target_type; /* NULL/"" (none: all archived WAL), "time", "lsn", "xid", "name",
                                "immediate" */
    const char *target_value;
    const char *target_action; /* NULL: promote; "pause", "shutdown" */
    int64_t target_time_unix;  /* chooses the backup: for target_type "time", and for
                                * "xid"/"name" when > 0 (when it was made) */
    int target_inclusive;      /* 1 (default) or 0 */
    const char *tool_path;     /* pg_safekeep binary named in restore_command */
    int tablespaces_in_place;  /* 1: tablespaces as directories inside pgdata */
    /* Settings appended to postgresql.auto.conf after the recovery ones (later
     * ones win), written by the core's one configuration writer: names are
     * checked, values quoted, values with control characters refused. */
    const sk_setting *extra_settings;
    int n_extra_settings;

    /* archive_mode: NULL or "preserve" keeps the backup's; "off".
     * target_timeline: NULL is PostgreSQL's default (latest); "current",
     * "latest" or a timeline number. */
    const char *archive_mode;
    const char *target_timeline;
} sk_restore_opts;

typedef struct sk_restore_result {
    char label[64]; /* a checked backup label: at most 33 bytes */
    uint64_t file_count;
    uint64_t bytes;
} sk_restore_result;

int sk_restore(const sk_config *cfg, const sk_restore_opts *opts, sk_cancel_fn cancel,
               sk_restore_result *res, sk_msg *msg) SK_NOEXCEPT;

/* ---- repository queries ---------------------------------------------------- */

/* JSON document describing the repository: {"stanza":..., "backups":[{label,
 * type ("full", "incremental", "differential"), prior (label or null),
 * status, start_time, stop_time, start_lsn, stop_lsn, start_wal,
 * stop_wal, timeline, original_bytes (restored size), stored_bytes (written
 * to this backup's objects, compressed), copied_bytes (uncompressed bytes
 * this backup stored), depends_on (labels it reads data from), file_count,
 * manifest_path, manifest_sha256, pg_version, system_id}...] in label order,
 * "logical_backups": [{label, kind ("full", "schema-only"), database, tables
 * ([] for the whole database), start_time, stop_time (unix seconds),
 * dump_size, stored_size, schema_hash, manifest_path}...] in label order,
 * "archive": {"min": seg, "max": seg, "count": n}, "wal": [...] when with_wal}.
 * Returns NULL on error.  Free with sk_free. */
char *sk_repo_info_json(const sk_config *cfg, int with_wal, sk_msg *msg) SK_NOEXCEPT;

void sk_free(void *p) SK_NOEXCEPT;

/* ---- verification ----------------------------------------------------------- */

/*
 * Verify one backup (label) or every backup (label NULL or "").  Checks, per
 * backup: the manifest parses; the chain is complete (the prior and every
 * backup a reference or block map names exist, store the named file, and
 * block maps cover each file); every object of the backup is present, its
 * stored size matches and its decompressed bytes match the manifest's size
 * and sha256 (objects of earlier backups it reads from: present with the
 * right stored size; they are verified in full when their own backup is);
 * the WAL from the backup's start segment to its stop segment is archived
 * and its sha256 matches; with check_wal_to_newest every later segment up to
 * the newest archived one is present too (following timeline switches).
 * Parallel over cfg->parallel threads; polls cancel.
 *
 * SK_OK: *problems_json (free with sk_free) is a JSON array, [] when clean:
 *   [{"label": backup, "kind": "manifest"|"chain"|"missing_object"|
 *     "corrupt_object"|"missing_wal"|"corrupt_wal",
 *     "object": path relative to the stanza directory (e.g.
 *       "backup/<label>/data/base/5/16384.zst", "archive/<dir>/<object>") or
 *       the missing WAL segment's name,
 *     "detail": text naming the file and what is wrong}]
 * and msg says "verified N backup(s): M problem(s)".
 * SK_NOT_FOUND: no backup with that label.  SK_ERROR/SK_CANCELED otherwise.
 */
int sk_verify_backup(const sk_config *cfg, const char *label, int check_wal_to_newest,
                     sk_cancel_fn cancel, char **problems_json, sk_msg *msg) SK_NOEXCEPT;

/*
 * sk_verify_backup in every configured repository in turn (cfg->read_repo 0)
 * or only in cfg->read_repo: one repository that cannot be read, or does not
 * hold the backup, hides no other's result.  SK_OK: *results_json (sk_free)
 *   [{"repository": n, "outcome": "verified"|"not_found"|"unreadable",
 *     "error": why (not_found, unreadable), "checked": [label...],
 *     "problems": [as sk_verify_backup's]}]
 * and msg sums it up.  SK_NOT_FOUND: a label no readable repository holds.
 */
int sk_verify_everywhere(const sk_config *cfg, const char *label, int check_wal_to_newest,
                         sk_cancel_fn cancel, char **results_json, sk_msg *msg) SK_NOEXCEPT;

/* ---- retention ------------------------------------------------------------- */

/* One retention rule (src/core/repo/retention_rules.cpp, the one table of
 * them): the shim defines its settings from these. */
typedef struct sk_retention_rule {
    const char *setting; /* "retention_full": safekeep.retention_full */
    const char *key;     /* its key in sk_expire's policy ("full"; logical: under "logical") */
    int logical;         /* nonzero: a rule of logical backups */
    int per_repository;  /* nonzero: also safekeep.repoN_<setting>, N = 1..SK_MAX_REPOS */
    int min, max;        /* its range */
    int default_value;   /* the setting's default */
    const char *short_desc, *long_desc; /* long_desc may be NULL */
} sk_retention_rule;

const sk_retention_rule *sk_retention_rules(int *count) SK_NOEXCEPT; /* static storage */

/*
 * Expire backups and WAL by a retention policy, from the repositories alone,
 * in every configured repository (cfg->read_repo set: only that one).
 * policy_json: {"full": N, "days": D, "daily": N, "weekly": N, "monthly": N,
 *   "yearly": N, "wal": "all"|"consistent"}: the rules, keys, ranges and
 *   meanings as sk_retention_rules() and src/core/repo/retention.h give
 *   them; 0 turns a rule off; a backup is kept when any rule keeps it.  With
 *   none of the six given the default is daily 30, weekly 12, monthly 12,
 *   yearly 7; once one is given, the rest default to 0.  wal "all" (default)
 *   keeps every segment from the oldest kept backup's start on;
 *   "consistent" below the newest kept backup only each one's start..stop.
 *   Optional "now" (unix seconds) replaces the clock (tests).
 *   Optional "logical": {"count": N, "days": D} for logical backups, per
 *   database and kind; without either the default is count 7, days 7; once
 *   one is given the other defaults to 0; both 0 keep every logical backup.
 *   Optional "repositories": {"2": {"full": N, ...}}: repository 2's own
 *   values of the per-repository rules, each replacing the global one there.
 *   Unknown keys, wrong types, out-of-range values and all physical rules 0
 *   (globally or for one repository) are SK_ERROR with a message naming the
 *   setting; every policy is checked before anything is removed.
 * Always kept: the newest full backup, the newest backup of any type, and
 * every backup a kept backup depends on; the newest logical backup of each
 * database and kind.  History files are never removed.
 * Without dry_run expired backups go newest first, each manifest before the
 * rest of its directory, then the WAL the plan lets go, then expired logical
 * backups (manifest first, too).
 * A repository that cannot be read (or fails half-way) is reported with its
 * error and the others are still expired; SK_ERROR only when every one
 * failed (msg: the error; with several, each one's).
 * *plan_json (free with sk_free):
 *   {"dry_run": bool,
 *    "repositories": [one per repository, in order:
 *      {"repository": N, "dry_run": bool, "error": text}   (could not be expired)
 *      {"repository": N, "dry_run": bool,
 *       "policy": {"full", "days", "daily", "weekly", "monthly", "yearly", "wal"},
 *       "backups": [{"label", "type", "action": "keep"|"expire", "reason"}]
 *               (physical, then logical, each in label order; a logical one
 *               has type "logical", "kind", "database", "stored_size"),
 *       "wal": {"mode": "all"|"consistent", "remove_before": segment or null,
 *               "keep_ranges": [[start_seg, stop_seg], ...] (consistent mode),
 *               "removed_count": n, "removed_bytes": n},
 *       "logical": {"count": N, "days": D, "removed_count": n, "removed_bytes": n}}]}
 * removed_count/bytes: what was (dry run: would be) removed.  msg says
 * "[would ]expire[d] N backup(s)[ (M logical)] and W WAL file(s)" (summed),
 * then "; repository N could not be expired: ERROR" for each that failed.
 */
int sk_expire(const sk_config *cfg, const char *policy_json, int dry_run, char **plan_json,
              sk_msg *msg) SK_NOEXCEPT;

/* ---- scratch instances (restore drills, table recovery) -------------------- */

/*
 * A backup restored into <scratch_root>/<name>-<random>/pgdata and started
 * privately: no TCP (listen_addresses = ''), one socket in a fresh 0700
 * directory /tmp/sk-XXXXXX, "local all all trust" in its own pg_hba.conf,
 * archive_mode off, hot_standby off (it accepts connections only once
 * promoted), logging_collector and ssl off, synchronous_standby_names ''.
 * These settings follow ropts->extra_settings in postgresql.auto.conf, so
 * they win; shared_preload_libraries and the rest are up to extra_settings.
 * <dir>/work is an empty 0700 directory for the caller's files (pg_dump -f,
 * COPY); <dir>/server.log is the server's log.
 */
typedef struct sk_instance sk_instance;

typedef struct sk_instance_opts {
    const char *scratch_root; /* holds the scratch copies; created (0700) if missing */
    const char *bindir;       /* pg_ctl and the other server programs */
    const char *name;         /* tag in the directory name, e.g. "drill-42" ([A-Za-z0-9._-],
                               * at most 64; NULL/"": "scratch") */
    const char *user;         /* role the queries and programs connect as (NULL/"": the OS
                               * user name) */
    int port;                 /* names the socket; 0: 5432 (no TCP is opened) */
    int timeout_seconds;      /* start and recovery; <1: 60 */
} sk_instance_opts;

/* Restore a backup (ropts as for sk_restore; ropts->pgdata is ignored) into a new
 * directory under scratch_root and start it privately (see above); waits for promotion.
 * NULL on error (msg), with nothing left behind. res as for sk_restore. */
sk_instance *sk_instance_start(const sk_config *cfg, const sk_restore_opts *ropts,
                               const sk_instance_opts *iopts, sk_cancel_fn cancel,
                               sk_restore_result *res, sk_msg *msg) SK_NOEXCEPT;
const char *sk_instance_pgdata(const sk_instance *inst) SK_NOEXCEPT;
const char *sk_instance_workdir(const sk_instance *inst) SK_NOEXCEPT; /* <dir>/work */
const char *sk_instance_log_path(const sk_instance *inst) SK_NOEXCEPT;
double sk_instance_restore_seconds(const sk_instance *inst) SK_NOEXCEPT;
double sk_instance_recovery_seconds(const sk_instance *inst) SK_NOEXCEPT;
/* One statement in database dbname; params are text (NULL = SQL NULL). *rows_json
 * (sk_free) is a JSON array of rows, each an array of strings or null. */
int sk_instance_query(sk_instance *inst, const char *dbname, const char *sql, int nparams,
                      const char *const *params, char **rows_json, sk_msg *msg) SK_NOEXCEPT;
/* Run <bindir>/<argv[0]> with "-h <sockdir> -p <port> -U <user>" inserted after argv[0]
 * and then argv[1..] (argv is NULL-terminated). *output (sk_free): stdout+stderr, last
 * 64 KiB; *exit_code its exit status. SK_ERROR only when it could not be run or timed out
 * (timeout_seconds, <1: none); SK_CANCELED on cancel. */
int sk_instance_run(sk_instance *inst, const char *const *argv, int timeout_seconds,
                    sk_cancel_fn cancel, char **output, int *exit_code, sk_msg *msg) SK_NOEXCEPT;
/* Stop the copy (immediate) and remove it and its socket directory. NULL is fine. */
void sk_instance_destroy(sk_instance *inst) SK_NOEXCEPT;
/* Stop servers left running in scratch_root by a crash and remove their directories.
 * Only while no scratch instance is in use (e.g. when the launcher starts). */
int sk_scratch_cleanup(const char *scratch_root, const char *bindir, sk_msg *msg) SK_NOEXCEPT;

/* ---- helpers the shim needs without PostgreSQL code ---------------------- */

/* Check a SQL-side restore target directory: absolute, outside live_pgdata,
 * missing or empty, parent writable. */
int sk_check_target_dir(const char *dir, const char *live_pgdata, sk_msg *msg) SK_NOEXCEPT;

/* Names a user chooses, checked where they enter (SQL and CLI) before
 * anything is created.  A restore point name: 1 to 63 bytes, valid UTF-8, no
 * control characters (quotes and backslashes are fine).  A backup label: the
 * physical label grammar (YYYYMMDD-HHMMSSF[_YYYYMMDD-HHMMSSD|I]); what names
 * the argument in the message. */
int sk_check_restore_point_name(const char *name, sk_msg *msg) SK_NOEXCEPT;
int sk_check_backup_label(const char *label, const char *what, sk_msg *msg) SK_NOEXCEPT;

/* SK_OK when nothing listens on the TCP port (127.0.0.1 and ::1). */
int sk_check_port_free(int port, sk_msg *msg) SK_NOEXCEPT;
/* SK_OK when timeline is "current", "latest" or a timeline number. */
int sk_check_target_timeline(const char *timeline, sk_msg *msg) SK_NOEXCEPT;

/* Check that repo1_path exists, is a directory and is writable. */
int sk_check_repo(const sk_config *cfg, sk_msg *msg) SK_NOEXCEPT;

/* Re-wraps every data key of encrypted repository repo_number (1..4) under a
 * key derived from the passphrase in new_passphrase_file; no data is
 * rewritten.  The configured passphrase must unlock it first.  Afterwards the
 * old passphrase no longer opens the repository: point the repository's
 * cipher_passphrase_file at the new file. */
int sk_rekey(const sk_config *cfg, int repo_number, const char *new_passphrase_file,
             sk_msg *msg) SK_NOEXCEPT;

/* Start a restored data directory with pg_ctl (argument vector, no shell) and
 * wait until it accepts connections as a primary.  log_path receives the
 * server log. */
int sk_start_server(const char *bindir, const char *pgdata, int port, const char *log_path,
                    int timeout_seconds, sk_msg *msg) SK_NOEXCEPT;

/* ---- recovery figures (RTO / RPO) ------------------------------------------ */

typedef struct sk_recovery_figures {
    int has_last_xact;     /* 1 when the log named the last replayed transaction */
    double last_xact_time; /* unix seconds (0 when the log's time zone was not understood) */
    char *last_xact_text;  /* as the log printed it; NULL without has_last_xact */
    char newest_wal[32];   /* newest segment in the repository ("" if none; 24 bytes) */
    int has_newest_wal_time;
    double newest_wal_time; /* when it was archived (object mtime), unix seconds */
    int has_rpo;
    double rpo_seconds; /* newest_wal_time - last_xact_time, at least 0 */
} sk_recovery_figures;

/*
 * Read the server log of a finished recovery and the repository's newest WAL.
 * The log (stderr format, English messages) gives the last replayed
 * transaction: "last completed transaction was at log time T", else the last
 * "recovery stopping ..., time T".  has_last_xact is 1 with last_xact_time 0
 * when T's zone is neither numeric nor UTC/GMT; has_rpo needs both times.
 * Segments of the timeline the log says it promoted to, and later ones, are
 * left out (the new primary may archive into the same repository), as are
 * .partial and .backup files.  log_path NULL or "": the repository only.
 * SK_OK: without has_rpo, msg says why the RPO is unknown (e.g. the log went
 * to the logging collector); with it, msg is "".  An unreadable log or
 * repository is SK_ERROR.  sk_recovery_figures_free releases out's text.
 */
int sk_recovery_figures_read(const sk_config *cfg, const char *log_path, sk_recovery_figures *out,
                             sk_msg *msg) SK_NOEXCEPT;
void sk_recovery_figures_free(sk_recovery_figures *f) SK_NOEXCEPT;

#ifdef __cplusplus
}
#endif

/* Schedules, notifications and logical backups. */
#include "pg_safekeep/capi_services.h"

#endif
