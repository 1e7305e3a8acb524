#!/usr/bin/env bash
# bench/s3.sh: pg_safekeep against pgBackRest with the repository in S3
# (issues 6, 16): both tools write to the same S3 server over TLS on
# loopback — Ceph's radosgw (test/s3/start_radosgw.sh; the default) or
# s3rver (npm) — same cluster, same data, same run.
#
#   bash bench/s3.sh [--server radosgw|s3rver] [--scale N] [--runs N] [--segments N] [--port N] [--keep]
#
# Measures the full backup (wall time, stored bytes) and the WAL archive drain
# rate (segments/s) of pg_safekeep (archive_library) and pgBackRest
# (archive-push, synchronous and --archive-async). Prints one table (median,
# and min-max over the runs). Run as root; servers and tools run as postgres.
# Needs scripts/setup.sh (radosgw packages; `npm ci` in test/s3 for s3rver).
set -Eeuo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
COMMAND="bash bench/s3.sh $*"
SCALE=20
RUNS=3
SEGMENTS=32
PORT=55449
KEEP=0
SERVER=radosgw
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --segments) SEGMENTS=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --server) SERVER=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
for v in SCALE RUNS SEGMENTS PORT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "--${v,,} must be a number" >&2; exit 2; }
done

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
PGBR=/usr/bin/pgbackrest
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
[[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 2; }
case $SERVER in
    radosgw) command -v radosgw >/dev/null || { echo "radosgw missing: bash scripts/setup.sh" >&2; exit 2; } ;;
    s3rver) [[ -d $REPO_DIR/test/s3/node_modules/s3rver ]] || { echo "s3rver missing: npm ci in test/s3" >&2; exit 2; } ;;
    *) echo "--server must be radosgw or s3rver" >&2; exit 2 ;;
esac

S=$(mktemp -d /var/tmp/pg_safekeep_s3bench.XXXXXX)
chown postgres: "$S"
chmod 0755 "$S"
PGDATA=$S/pgdata
SOCK=$S
S3DATA=$S/s3data
S3PID=""
RAW=$S/raw.tsv
: >"$RAW"
cleanup() {
    set +e
    [[ -f $PGDATA/postmaster.pid ]] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
    [[ -n $S3PID ]] && kill "$S3PID" 2>/dev/null && wait "$S3PID" 2>/dev/null
    if (( KEEP )); then log "scratch kept in $S"; else rm -rf "$S"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- S3 server
# s3rver's script execs node, so $! is the server itself; radosgw's stays in
# the foreground and stops its daemons on SIGTERM (both stopped by cleanup).
mkdir -p "$S3DATA"
# radosgw wants bucket names of 3 or more characters
SK_BUCKET=sk-bench
PGBR_BUCKET=pgbr-bench
if [[ $SERVER == radosgw ]]; then
    S3KEY=SAFEKEEPBENCHKEY0001
    S3SECRET=safekeep-bench-secret-0001
    RADOSGW_ACCESS_KEY=$S3KEY RADOSGW_SECRET_KEY=$S3SECRET RADOSGW_BUCKETS="$SK_BUCKET $PGBR_BUCKET" \
        bash "$REPO_DIR/test/s3/start_radosgw.sh" --tls "$S/tls" 0 "$S3DATA" >"$S/s3.out" 2>&1 &
else
    S3KEY=S3RVER
    S3SECRET=S3RVER
    S3RVER_BUCKETS=$SK_BUCKET,$PGBR_BUCKET bash "$REPO_DIR/test/s3/start_s3rver.sh" --tls "$S/tls" 0 "$S3DATA" \
        >"$S/s3.out" 2>&1 &
fi
S3PID=$!
for _ in $(seq 600); do grep -q 'ready' "$S/s3.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^.* ready: //p' "$S/s3.out")
[[ -n $URL ]] || { cat "$S/s3.out" >&2; exit 1; }
S3PORT=${URL##*:}
log "$SERVER at $URL"
chmod 0755 "$S/tls"
chmod 0644 "$S/tls/cert.pem"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3KEY" "$S3SECRET" >"$S/credentials"
chown postgres: "$S/credentials"
chmod 0600 "$S/credentials"

# ---------------------------------------------------------------- cluster
psql_() { as_pg "$PGBIN/psql" -h "$SOCK" -p "$PORT" -d postgres -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
bench_init_cluster "$PGDATA" "$PORT" "$SOCK" <<EOF
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 1h
archive_mode = on
safekeep.compress_level = 3
safekeep.parallel = 2
safekeep.verify_after_backup = off
safekeep.expire_after_backup = off
safekeep.repo1_s3_endpoint = '$URL'
safekeep.repo1_s3_bucket = '$SK_BUCKET'
safekeep.repo1_s3_ca_file = '$S/tls/cert.pem'
safekeep.repo1_s3_credentials_file = '$S/credentials'
include_if_exists = 'bench_archive.conf'
EOF
write_pgbr_conf_file "$S/pgbr.conf" "$S" "$PGDATA" "$PORT" "$SOCK" <<EOF
repo1-type=s3
repo1-path=/pgbr
repo1-s3-bucket=$PGBR_BUCKET
repo1-s3-endpoint=127.0.0.1
repo1-storage-port=$S3PORT
repo1-s3-region=us-east-1
repo1-s3-key=$S3KEY
repo1-s3-key-secret=$S3SECRET
repo1-s3-uri-style=path
repo1-storage-verify-tls=n
EOF

# Archive method sk | pgbr | pgbr_async, state on | paused. Paused keeps the
# method's archive_library (a change restarts the archiver, which must not
# happen inside a timed drain) with an empty target: the archiver waits.
archive_conf() {   # method [paused]
    local type="" cmd="" lib=""
    case $1 in
        sk) lib=pg_safekeep; type=s3 ;;
        pgbr) cmd="$PGBR --config=$S/pgbr.conf --stanza=bench archive-push %p" ;;
        pgbr_async) cmd="$PGBR --config=$S/pgbr.conf --stanza=bench --archive-async archive-push %p" ;;
    esac
    [[ ${2:-on} == paused ]] && type="" && cmd=""
    {
        echo "archive_library = '$lib'"
        echo "archive_command = '$cmd'"
        echo "safekeep.repo1_type = '$type'"
    } >"$PGDATA/bench_archive.conf"
    chown postgres: "$PGDATA/bench_archive.conf"
}
# PostgreSQL 15 restarts the archiver when archive_library changes; a second
# SIGHUP makes the postmaster start the new one at once.
reload() { psql_ "SELECT pg_reload_conf()" >/dev/null; sleep 0.5; psql_ "SELECT pg_reload_conf()" >/dev/null; sleep 0.5; }
ready() { local f=("$PGDATA"/pg_wal/archive_status/*.ready); echo "${#f[@]}"; }
shopt -s nullglob
drained() { while (( $(ready) > 0 )); do sleep 0.02; done; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RAW"; }   # metric tool value

archive_conf sk paused
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$S/pg.log" -w start >/dev/null
psql_ "CREATE EXTENSION pg_safekeep" >/dev/null
log "loading pgbench scale $SCALE"
as_pg "$PGBIN/pgbench" -h "$SOCK" -p "$PORT" -i -q -s "$SCALE" postgres >"$S/pgbench.out" 2>&1
psql_ "CREATE TABLE walgen AS SELECT * FROM pgbench_accounts WITH NO DATA" >/dev/null
DB_MB=$(psql_ "SELECT pg_database_size('postgres') / 1048576")
archive_conf sk
reload
as_pg "$PGBR" --config="$S/pgbr.conf" --stanza=bench stanza-create >"$S/pgbr.out" 2>&1 ||
    { cat "$S/pgbr.out" >&2; exit 1; }

bucket_bytes() {   # bucket
    if [[ $SERVER == radosgw ]]; then
        S3_URL=$URL S3_CA=$S/tls/cert.pem S3_ACCESS_KEY=$S3KEY S3_SECRET_KEY=$S3SECRET \
            python3 "$REPO_DIR/test/s3/s3_client.py" list "$1" | awk '{ n += $1 } END { print n + 0 }'
    else
        du -sb "$S3DATA/$1" | cut -f1
    fi
}

backup_sk() {
    archive_conf sk; reload; drained
    psql_ CHECKPOINT >/dev/null; sync; sleep 2
    local before t0 t1; before=$(bucket_bytes "$SK_BUCKET")
    t0=$EPOCHREALTIME
    psql_ "SELECT safekeep.create_full_backup()" >/dev/null
    t1=$EPOCHREALTIME
    record backup_wall_s sk "$(elapsed "$t0" "$t1")"
    record backup_stored_mb sk "$(( ($(bucket_bytes "$SK_BUCKET") - before) / 1048576 ))"
    log "  pg_safekeep backup to S3: $(elapsed "$t0" "$t1") s"
}
backup_pgbr() {
    archive_conf pgbr; reload; drained
    psql_ CHECKPOINT >/dev/null; sync; sleep 2
    local before t0 t1; before=$(bucket_bytes "$PGBR_BUCKET")
    t0=$EPOCHREALTIME
    as_pg "$PGBR" --config="$S/pgbr.conf" --stanza=bench --type=full backup >"$S/pgbr.out" 2>&1 ||
        { cat "$S/pgbr.out" >&2; exit 1; }
    t1=$EPOCHREALTIME
    record backup_wall_s pgbr "$(elapsed "$t0" "$t1")"
    record backup_stored_mb pgbr "$(( ($(bucket_bytes "$PGBR_BUCKET") - before) / 1048576 ))"
    log "  pgBackRest backup to S3: $(elapsed "$t0" "$t1") s"
}
drain() {   # method
    (( $(ready) == 0 )) || drained
    archive_conf "$1" paused; reload
    psql_ "DO \$\$ DECLARE s pg_lsn := pg_current_wal_insert_lsn(); BEGIN
             WHILE pg_current_wal_insert_lsn() - s < $SEGMENTS::numeric * 16777216 LOOP
               INSERT INTO walgen SELECT * FROM pgbench_accounts LIMIT 200000;
             END LOOP; END \$\$" >/dev/null
    psql_ "SELECT pg_switch_wal()" >/dev/null
    local n t0 t1; n=$(ready)
    sync; sleep 2
    archive_conf "$1"
    t0=$EPOCHREALTIME
    psql_ "SELECT pg_reload_conf()" >/dev/null
    drained
    t1=$EPOCHREALTIME
    record wal_rate "$1" "$(awk -v n="$n" -v e="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.2f", n / e }')"
    log "  $1: $n segments to S3 in $(elapsed "$t0" "$t1") s"
    psql_ "TRUNCATE walgen" >/dev/null
}

for run in $(seq "$RUNS"); do
    log "run $run/$RUNS"
    if (( run % 2 )); then backup_sk; backup_pgbr; else backup_pgbr; backup_sk; fi
    methods=(sk pgbr pgbr_async)
    for k in 0 1 2; do drain "${methods[(k + run - 1) % 3]}"; done
done
archive_conf sk; reload

# ---------------------------------------------------------------- report
echo
if [[ $SERVER == radosgw ]]; then
    server_name="Ceph radosgw $(dpkg-query -W -f='${Version}' radosgw), one in-memory OSD"
else
    server_name="s3rver $(cd "$REPO_DIR/test/s3" && node -p 'require("s3rver/package.json").version')"
fi
echo "pg_safekeep vs pgBackRest, repository in S3 ($server_name, over TLS on loopback)"
echo "pgbench scale $SCALE (${DB_MB} MiB), $RUNS runs, $SEGMENTS+ segments per drain; $(nproc) cores; $("$PGBR" version)"
echo "command: $COMMAND"
echo
/usr/bin/python3 - "$RAW" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def vals(m, t): return [float(v) for mm, tt, v in rows if mm == m and tt == t]
def cell(v): return "%.2f (%.2f-%.2f)" % (statistics.median(v), min(v), max(v)) if v else "-"
print("| figure | pg_safekeep | pgBackRest | ratio |")
print("| --- | --- | --- | --- |")
for m, name, better in [("backup_wall_s", "full backup to S3, s", "lower"),
                        ("backup_stored_mb", "stored, MiB", "lower")]:
    a, b = vals(m, "sk"), vals(m, "pgbr")
    r = statistics.median(a) / statistics.median(b) if a and b and statistics.median(b) else float("nan")
    print("| %s | %s | %s | %.2fx |" % (name, cell(a), cell(b), r))
a = vals("wal_rate", "sk")
for t, name in [("pgbr", "sync"), ("pgbr_async", "async")]:
    b = vals("wal_rate", t)
    r = statistics.median(a) / statistics.median(b) if a and b else float("nan")
    print("| WAL drain to S3, segments/s (pgBackRest %s) | %s | %s | %.2fx |" % (name, cell(a), cell(b), r))
PY
