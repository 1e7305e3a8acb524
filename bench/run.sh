#!/usr/bin/env bash
# bench/run.sh: pg_safekeep against pgBackRest on the same cluster, the same
# data, the same disk, in the same run (issue 3).
#
#   bash bench/run.sh [--scale N] [--scale2 N] [--runs N] [--segments N] [--out DIR]
#                     [--md FILE | --no-md] [--scratch DIR] [--port N] [--keep]
#
# Run as root; every server and tool runs as postgres. Prints one table and
# writes it, with the machine description and this command, to BENCHMARKS.md.
set -Eeuo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
COMMAND="bash bench/run.sh $*"

SCALE=100          # pgbench scale of the main cluster
SCALE2=10          # second scale, for "memory does not grow with the database"
RUNS=3             # runs per tool per measurement
SEGMENTS=64        # WAL segments to accumulate before each drain
OUT="$BENCH_DIR/results"
MD="$REPO_DIR/BENCHMARKS.md"
SCRATCH_PARENT=/var/tmp
PORT=55439
KEEP=0

usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=$2; shift 2 ;;
        --scale2) SCALE2=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --segments) SEGMENTS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --md) MD=$2; shift 2 ;;
        --no-md) MD=""; shift ;;
        --scratch) SCRATCH_PARENT=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done
for v in SCALE SCALE2 RUNS SEGMENTS PORT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "--${v,,} must be a number" >&2; exit 2; }
done
(( RUNS >= 1 && SCALE >= 1 && SEGMENTS >= 2 )) || { echo "bad --runs/--scale/--segments" >&2; exit 2; }

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
PGLIB=/usr/lib/postgresql/15/lib
PGBR=/usr/bin/pgbackrest

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
S=""
die() {
    log "ERROR: $*"
    if [[ -n $S && -f $S/pg.log ]]; then
        echo "---- last lines of the server log ($S/pg.log) ----" >&2
        tail -n 40 "$S/pg.log" >&2
        [[ -d $OUT ]] && cp "$S/pg.log" "$OUT/pg.log" 2>/dev/null || true
    fi
    exit 1
}
trap 'die "command failed (line $LINENO): $BASH_COMMAND"' ERR

# ---------------------------------------------------------------- checks
[[ $(id -u) == 0 ]] || die "run as root (servers are started as postgres with runuser)"
id postgres >/dev/null 2>&1 || die "no postgres user"
for f in "$PGBIN/initdb" "$PGBIN/pg_ctl" "$PGBIN/pgbench" "$PGBIN/psql" "$PGBIN/pg_safekeep" \
         "$PGLIB/pg_safekeep.so" "$PGLIB/basic_archive.so" "$PGLIB/pgcrypto.so" /usr/bin/time /usr/bin/python3; do
    [[ -e $f ]] || die "missing $f (make && make install; apt-get install postgresql-15 pgbackrest time python3)"
done
[[ -x $PGBR ]] || die "pgbackrest not installed (apt-get install -y pgbackrest)"

mkdir -p "$OUT"
RAW="$OUT/raw.tsv"
META="$OUT/meta.txt"
: >"$RAW"
: >"$META"

S=$(mktemp -d "$SCRATCH_PARENT/pg_safekeep_bench.XXXXXX")
chown postgres: "$S"
chmod 0755 "$S"
PGDATA=$S/pgdata
SOCK=$S
PGBR_CONF=$S/pgbackrest.conf
PGBR_REPO=$S/pgbr_repo
SAMPLER_PID=""

cleanup() {
    local rc=$?
    trap - ERR
    set +e
    [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null
    if [[ -f $PGDATA/postmaster.pid ]]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1 ||
            runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1
    fi
    # a pgBackRest async archive-push process may still be winding down
    for i in $(seq 50); do pgrep -u postgres -f -- "--config=$PGBR_CONF" >/dev/null || break; sleep 0.1; done
    if (( KEEP )); then
        log "scratch kept in $S"
    else
        rm -rf "$S"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql_db() { local db=$1; shift; as_pg "$PGBIN/psql" -h "$SOCK" -p "$PORT" -d "$db" -XAtq -v ON_ERROR_STOP=1 "$@"; }
sql() { psql_db postgres -c "$1"; }
sqlb() { psql_db bench -c "$1"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RAW"; }   # scale metric tool run value
mkdir_pg() { rm -rf "$1"; mkdir -p "$1"; chown postgres: "$1"; chmod 0700 "$1"; }
ready_count() { local f=("$PGDATA"/pg_wal/archive_status/*.ready); echo "${#f[@]}"; }
shopt -s nullglob
# Before every timed step: flush dirty pages and let the disk go quiet (the
# previous step's writes and deletions otherwise land in the next timing).
settle() { sync; sleep 2; }

# ---------------------------------------------------------------- server
pg_start() {
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$S/pg.log" -w -t 120 start >/dev/null ||
        die "server did not start within 120 s"
}
pg_stop() {
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 120 stop >/dev/null ||
        die "server did not stop within 120 s"
}
set_archive_mode() {   # on|off, needs a restart
    echo "archive_mode = $1" >"$PGDATA/bench_mode.conf"
    chown postgres: "$PGDATA/bench_mode.conf"
    pg_stop
    pg_start
}
archiver_pid() { sql "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE backend_type = 'archiver'"; }
reload() { kill -HUP "$(head -n 1 "$PGDATA/postmaster.pid")"; }

# Archive configuration: METHOD sk|pgbr|pgbr_async|basic, STATE on|paused.
# "paused" keeps the method's library loaded but leaves its target empty, so
# the module's check_configured callback says "not configured" and the
# archiver waits on its latch without failing (no 1 s retry sleeps, no
# failed_count); the reload that fills the target wakes it at once.
CUR_LIB=""
SK_REPO=""         # current pg_safekeep repository (safekeep.repo1_path)
BASIC_DIR=""       # current basic_archive directory
write_archive_conf() {
    local method=$1 state=$2 lib="" cmd="" skpath=$SK_REPO basic=""
    case $method in
        sk) lib=pg_safekeep; [[ $state == on ]] || skpath="" ;;
        pgbr) [[ $state == on ]] && cmd="$PGBR --config=$PGBR_CONF --stanza=bench archive-push %p" ;;
        pgbr_async) [[ $state == on ]] && cmd="$PGBR --config=$PGBR_CONF --stanza=bench --archive-async archive-push %p" ;;
        basic) lib=basic_archive; [[ $state == on ]] && basic=$BASIC_DIR ;;
        *) die "unknown archive method $method" ;;
    esac
    {
        echo "archive_library = '$lib'"
        echo "archive_command = '$cmd'"
        echo "safekeep.repo1_path = '$skpath'"
        [[ $method == basic ]] && echo "basic_archive.archive_directory = '$basic'"
    } >"$PGDATA/bench_archive.conf"
    chown postgres: "$PGDATA/bench_archive.conf"
    NEW_LIB=$lib
}
# Switch archive configuration and wait until the archiver runs with it.
archive_set() {
    local old_pid
    old_pid=$(archiver_pid)
    write_archive_conf "$1" "$2"
    reload
    if [[ $NEW_LIB != "$CUR_LIB" ]]; then
        # PostgreSQL 15 restarts the archiver when archive_library changes; the
        # postmaster forks the new one on its next loop, which another SIGHUP
        # starts at once instead of after up to a minute
        local i p
        for i in $(seq 300); do
            p=$(archiver_pid)
            [[ $p != 0 && $p != "$old_pid" ]] && break
            (( i == 300 )) && die "archiver did not restart after archive_library changed to '$NEW_LIB'"
            sleep 0.1
            [[ $p == 0 ]] && reload
        done
    fi
    CUR_LIB=$NEW_LIB
    sleep 0.3
}
# Wait until nothing is waiting to be archived; fail on archive errors.
wait_drained() {
    local what=$1 timeout=$2 fails0 i=0
    fails0=$(sql "SELECT failed_count FROM pg_stat_archiver")
    local deadline=$(( SECONDS + timeout ))
    while (( $(ready_count) > 0 )); do
        (( SECONDS < deadline )) || die "$what: WAL still waiting to be archived after $timeout s ($(ready_count) .ready files)"
        if (( ++i % 50 == 0 )); then
            local st; st=$(sql "SELECT failed_count || ' ' || coalesce(last_failed_wal, '') FROM pg_stat_archiver")
            (( ${st%% *} == fails0 )) || die "$what: archiving failed (pg_stat_archiver failed_count/last_failed_wal: $st)"
        fi
        sleep 0.02
    done
}

# ---------------------------------------------------------------- pgBackRest
write_pgbr_conf() {
    write_pgbr_conf_file "$PGBR_CONF" "$S" "$PGDATA" "$PORT" "$SOCK" <<<"repo1-path=$PGBR_REPO"
}
# Fresh pgBackRest repository (the archive target must not be pgbr meanwhile).
reset_pgbr_repo() {
    mkdir_pg "$PGBR_REPO"
    rm -rf "$S/pgbr_spool"/*
    as_pg "$PGBR" --config="$PGBR_CONF" --stanza=bench stanza-create >"$S/pgbr.out" 2>&1 ||
        die "pgbackrest stanza-create failed: $(cat "$S/pgbr.out")"
}
new_sk_repo() { SK_REPO=$S/sk_repo_$1; mkdir_pg "$SK_REPO"; }

# ---------------------------------------------------------------- data
load_data() {   # scale
    local scale=$1
    log "loading pgbench scale $scale plus incompressible random bytea (archive_mode off)"
    sql "DROP DATABASE IF EXISTS bench" >/dev/null
    sql "CREATE DATABASE bench" >/dev/null
    as_pg "$PGBIN/pgbench" -h "$SOCK" -p "$PORT" -i -q -s "$scale" bench >"$S/pgbench.out" 2>&1 ||
        die "pgbench -i failed: $(tail -n 5 "$S/pgbench.out")"
    local pgb_bytes rows
    pgb_bytes=$(sqlb "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE relname LIKE 'pgbench_%' AND relkind = 'r'")
    # random = 1/4 of pgbench, so 1/5 (20%) of the total; 7984 bytes = 4 toast chunks = one toast page
    rows=$(( pgb_bytes / 4 / 8192 + 1 ))
    sqlb "CREATE EXTENSION IF NOT EXISTS pgcrypto" >/dev/null
    sqlb "CREATE TABLE rnd (id int PRIMARY KEY, b bytea)" >/dev/null
    sqlb "ALTER TABLE rnd ALTER COLUMN b SET STORAGE EXTERNAL" >/dev/null
    sqlb "INSERT INTO rnd SELECT g, gen_random_bytes(1024) || gen_random_bytes(1024) || gen_random_bytes(1024)
            || gen_random_bytes(1024) || gen_random_bytes(1024) || gen_random_bytes(1024)
            || gen_random_bytes(1024) || gen_random_bytes(816) FROM generate_series(1, $rows) g" >/dev/null
    sqlb "CREATE TABLE walgen_a (LIKE pgbench_accounts)" >/dev/null
    sqlb "CREATE TABLE walgen_r (LIKE rnd INCLUDING STORAGE)" >/dev/null
    sqlb "VACUUM (FREEZE, ANALYZE)" >/dev/null
    sql "CHECKPOINT" >/dev/null
    RND_ROWS=$rows
    PGB_MB=$(( pgb_bytes / 1048576 ))
    RND_MB=$(sqlb "SELECT pg_total_relation_size('rnd') / 1048576")
    DB_MB=$(sqlb "SELECT pg_database_size('bench') / 1048576")
    log "database bench: $DB_MB MiB (pgbench $PGB_MB MiB, rnd $RND_MB MiB)"
}

# ---------------------------------------------------------------- measurements
declare -A LABEL
backup_sk() {   # scale run
    local scale=$1 run=$2 t0 t1 label stop=$S/sampler.stop out=$S/sampler.out
    archive_set sk on
    wait_drained "before pg_safekeep backup" 600
    sql "CHECKPOINT" >/dev/null; settle
    rm -f "$stop"
    /usr/bin/python3 "$BENCH_DIR/sample_worker.py" "$(head -n 1 "$PGDATA/postmaster.pid")" "$stop" 7200 >"$out" &
    SAMPLER_PID=$!
    t0=$EPOCHREALTIME
    if ! label=$(sql "SELECT safekeep.create_full_backup()" 2>"$S/sk.err"); then
        touch "$stop"
        die "pg_safekeep backup failed (scale $scale, run $run): $(cat "$S/sk.err")"
    fi
    t1=$EPOCHREALTIME
    touch "$stop"
    wait "$SAMPLER_PID" || true
    SAMPLER_PID=""
    local pid rss cpu n dir
    read -r pid rss cpu n <"$out" || die "worker sampler printed nothing"
    [[ $pid != NA ]] || log "warning: the pg_safekeep job worker was not seen by the sampler"
    dir=$(echo "$SK_REPO"/*/backup/"$label")
    [[ -d $dir ]] || die "pg_safekeep backup $label: no directory $SK_REPO/*/backup/$label"
    record "$scale" backup_wall_s sk "$run" "$(elapsed "$t0" "$t1")"
    record "$scale" backup_cpu_s sk "$run" "$cpu"
    record "$scale" backup_rss_kb sk "$run" "$rss"
    record "$scale" backup_size_b sk "$run" "$(du -sb "$dir" | cut -f1)"
    LABEL[sk]=$label
    log "  pg_safekeep backup $label: $(elapsed "$t0" "$t1") s, cpu $cpu s, peak RSS $(( ${rss/NA/0} / 1024 )) MiB ($n samples)"
}
backup_pgbr() {
    local scale=$1 run=$2 t0 t1 label tf=$S/time.out
    archive_set pgbr on
    wait_drained "before pgBackRest backup" 600
    sql "CHECKPOINT" >/dev/null; settle
    t0=$EPOCHREALTIME
    as_pg /usr/bin/time -f '%e %U %S %M' -o "$tf" "$PGBR" --config="$PGBR_CONF" --stanza=bench --type=full backup \
        >"$S/pgbr.out" 2>&1 || die "pgbackrest backup failed (scale $scale, run $run): $(cat "$S/pgbr.out")"
    t1=$EPOCHREALTIME
    local e u s m
    read -r e u s m < <(tail -n 1 "$tf")
    local b=("$PGBR_REPO"/backup/bench/*F)
    (( ${#b[@]} > 0 )) || die "pgbackrest backup: no backup directory in $PGBR_REPO/backup/bench"
    label=$(basename "${b[-1]}")
    record "$scale" backup_wall_s pgbr "$run" "$(elapsed "$t0" "$t1")"
    record "$scale" backup_cpu_s pgbr "$run" "$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')"
    record "$scale" backup_rss_kb pgbr "$run" "$m"
    record "$scale" backup_size_b pgbr "$run" "$(du -sb "$PGBR_REPO/backup/bench/$label" | cut -f1)"
    LABEL[pgbr]=$label
    log "  pgBackRest backup $label: $(elapsed "$t0" "$t1") s, cpu $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') s, max RSS $(( m / 1024 )) MiB"
}
restore_one() {   # tool scale run
    local tool=$1 scale=$2 run=$3 dst=$S/restore t0 t1
    mkdir_pg "$dst"
    settle
    t0=$EPOCHREALTIME
    if [[ $tool == sk ]]; then
        as_pg "$PGBIN/pg_safekeep" restore --repo1-path="$SK_REPO" --pgdata="$dst" --set="${LABEL[sk]}" \
            >"$S/restore.out" 2>&1 || die "pg_safekeep restore failed: $(cat "$S/restore.out")"
    else
        as_pg "$PGBR" --config="$PGBR_CONF" --stanza=bench --pg1-path="$dst" restore --set="${LABEL[pgbr]}" \
            >"$S/restore.out" 2>&1 || die "pgbackrest restore failed: $(cat "$S/restore.out")"
    fi
    t1=$EPOCHREALTIME
    [[ -f $dst/PG_VERSION && -f $dst/global/pg_control ]] || die "$tool restore produced no PG_VERSION/pg_control in $dst"
    record "$scale" restore_wall_s "$tool" "$run" "$(elapsed "$t0" "$t1")"
    log "  $tool restore: $(elapsed "$t0" "$t1") s ($(du -sm "$dst" | cut -f1) MiB restored)"
    rm -rf "$dst"
}

# Fill SEGMENTS WAL segments with inserts copied from pgbench_accounts (80%)
# and rnd (20%, incompressible), then switch: all of them end up .ready.
gen_wal() {
    local n=$1
    sqlb "DO \$\$
DECLARE
    start pg_lsn := pg_current_wal_insert_lsn();
    acc bigint := (SELECT count(*) FROM pgbench_accounts);
    a bigint := 0;
    r int := 0;
BEGIN
    WHILE pg_current_wal_insert_lsn() - start < $n::numeric * 16777216 LOOP
        INSERT INTO walgen_a SELECT * FROM pgbench_accounts WHERE aid > a AND aid <= a + 100000;
        INSERT INTO walgen_r SELECT * FROM rnd WHERE id > r AND id <= r + 400;
        a := (a + 100000) % greatest(acc - 100000, 1);
        r := (r + 400) % greatest($RND_ROWS - 400, 1);
    END LOOP;
END \$\$" >/dev/null
    sql "SELECT pg_switch_wal()" >/dev/null
}
wal_drain() {   # method run
    local method=$1 run=$2 n t0 t1 stored
    archive_set "$method" paused
    case $method in
        sk) new_sk_repo "wal_$run" ;;
        pgbr|pgbr_async) reset_pgbr_repo ;;
        basic) BASIC_DIR=$S/basic_archive; mkdir_pg "$BASIC_DIR" ;;
    esac
    (( $(ready_count) == 0 )) || die "$(ready_count) segments .ready before the $method drain test"
    gen_wal "$SEGMENTS"
    n=$(ready_count)
    (( n >= SEGMENTS )) || die "only $n segments .ready after generating $SEGMENTS"
    settle
    write_archive_conf "$method" on
    t0=$EPOCHREALTIME
    reload
    wait_drained "$method drain" 1800
    t1=$EPOCHREALTIME
    case $method in
        sk) stored=$(du -sb "$SK_REPO" | cut -f1) ;;
        pgbr|pgbr_async) stored=$(du -sb "$PGBR_REPO/archive" | cut -f1) ;;
        basic) stored=$(du -sb "$BASIC_DIR" | cut -f1) ;;
    esac
    record "$SCALE" wal_rate "$method" "$run" "$(awk -v n="$n" -v e="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.2f", n / e }')"
    record "$SCALE" wal_stored_b "$method" "$run" "$(( stored / n ))"
    log "  $method: $n segments archived in $(elapsed "$t0" "$t1") s ($(awk -v n="$n" -v e="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.1f", n / e }') segments/s, $(( stored / n / 1024 )) KiB stored per segment)"
    sqlb "TRUNCATE walgen_a, walgen_r" >/dev/null
    sql "CHECKPOINT" >/dev/null
    case $method in
        sk) rm -rf "${SK_REPO:?}"/* ;;   # keep the directory: safekeep.repo1_path still names it
        basic) rm -rf "$BASIC_DIR" ;;
    esac
}

# Backups (and optionally restores) of both tools, alternating who goes first.
backup_round() {   # scale run with_restore
    local scale=$1 run=$2 with_restore=$3 order old_sk=$SK_REPO
    # fresh repositories: archive to a new pg_safekeep repo, then recreate pgBackRest's
    new_sk_repo "s${scale}_$run"
    archive_set sk on
    wait_drained "switching to a new pg_safekeep repository" 600
    [[ -n $old_sk && $old_sk != "$SK_REPO" ]] && rm -rf "$old_sk"
    reset_pgbr_repo
    if (( run % 2 )); then order="sk pgbr"; else order="pgbr sk"; fi
    for t in $order; do "backup_$t" "$scale" "$run"; done
    if (( with_restore )); then
        for t in $order; do restore_one "$t" "$scale" "$run"; done
    fi
    # leave pg_safekeep archiving (into this run's repository, removed by the next round)
    archive_set sk on
    rm -rf "$PGBR_REPO"
}

# ---------------------------------------------------------------- main
log "scratch $S, results in $OUT"
{
    echo "command=$COMMAND"
    echo "scale=$SCALE"
    echo "scale2=$SCALE2"
    echo "runs=$RUNS"
    echo "segments=$SEGMENTS"
    echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
    echo "nproc=$(nproc)"
    echo "mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "disk=$(df -hT "$S" | awk 'NR == 2 { printf "%s %s, %s total, %s free", $1, $2, $3, $5 }')"
    echo "kernel=$(uname -r)"
    echo "started=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "pg=$("$PGBIN/postgres" --version)"
    echo "pgbackrest=$("$PGBR" version)"
    echo "commit=$(cd "$REPO_DIR" && git rev-parse --short HEAD 2>/dev/null)$(cd "$REPO_DIR" && [[ -n $(git status --porcelain -- src sql 2>/dev/null) ]] && echo ' + uncommitted changes in src/ or sql/')"
} >>"$META"

log "initdb --data-checksums"
bench_init_cluster "$PGDATA" "$PORT" "$SOCK" <<EOF || die "initdb failed: $(cat "$S/initdb.out")"
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 1h
safekeep.compress_level = 3
safekeep.parallel = 2
# pgBackRest does not read its backup back after taking it; pg_safekeep would,
# in the same job worker, after create_full_backup() has returned
safekeep.verify_after_backup = off
include_if_exists = 'bench_mode.conf'
include_if_exists = 'bench_archive.conf'
EOF
echo "archive_mode = off" >"$PGDATA/bench_mode.conf"
chown postgres: "$PGDATA/bench_mode.conf"
new_sk_repo init
write_archive_conf sk on
CUR_LIB=pg_safekeep
write_pgbr_conf
pg_start
sql "CREATE EXTENSION pg_safekeep" >/dev/null
mkdir_pg "$PGBR_REPO"

# ---- memory at the second scale (both tools, for the RSS figure)
if (( SCALE2 > 0 )); then
    load_data "$SCALE2"
    echo "db2_mb=$DB_MB" >>"$META"
    set_archive_mode on
    log "scale $SCALE2: $RUNS backups per tool (memory)"
    for run in $(seq "$RUNS"); do backup_round "$SCALE2" "$run" 0; done
    wait_drained "after scale $SCALE2" 600
    set_archive_mode off
fi

# ---- main scale
load_data "$SCALE"
{
    echo "pgbench_mb=$PGB_MB"
    echo "rnd_mb=$RND_MB"
    echo "db_mb=$DB_MB"
    echo "rnd_pct=$(( RND_MB * 100 / DB_MB ))"
} >>"$META"
set_archive_mode on
for run in $(seq "$RUNS"); do
    log "scale $SCALE, run $run/$RUNS: full backup and restore"
    backup_round "$SCALE" "$run" 1
done

# ---- WAL archiving drain rate, methods rotated between runs
methods=(sk pgbr pgbr_async basic)
for run in $(seq "$RUNS"); do
    log "WAL drain, run $run/$RUNS: $SEGMENTS+ segments per method"
    for k in 0 1 2 3; do
        wal_drain "${methods[(k + run - 1) % 4]}" "$run"
    done
done
archive_set sk on

# ---- report
cat >>"$META" <<'EOF'
method=- Each run of each measurement alternates the tools (odd runs pg_safekeep first, even runs pgBackRest first; the four WAL methods rotate). Every run uses fresh, empty repositories on the same disk as PGDATA. The page cache is warm (both tools read the same cached files); `CHECKPOINT` precedes every backup, and `sync` plus a 2 s pause every timed step (backup, restore, WAL drain), so one step's writeback does not land in the next one's time.\n- Settings: pg_safekeep `safekeep.compress_level=3`, `safekeep.parallel=2`, `safekeep.start_fast=on`, `safekeep.verify_after_backup=off` (on by default: the job worker then reads the backup back after `create_full_backup()` returns; pgBackRest has no such step), `archive_library='pg_safekeep'`; pgBackRest `compress-type=zst`, `compress-level=3`, `process-max=2`, `start-fast=y`, `archive-check=y`, `checksum-page=y`, file logging off. During each tool's backup the archiver ships WAL with that tool.\n- Full backup: wall time of `SELECT safekeep.create_full_backup()` (queue, job worker, WAL of the backup archived) and of `pgbackrest backup --type=full`. CPU time: pg_safekeep, utime+stime of the job worker (all its threads) from /proc/<pid>/stat sampled every 20 ms until it exits; pgBackRest, user+system of `/usr/bin/time` (its local worker processes included). The checkpointer's work is in neither. Stored size: `du -sb` of the backup directory.\n- Restore: wall time of `pg_safekeep restore --set=<label>` and `pgbackrest restore --set=<label>` into a new empty directory.\n- WAL drain: archiving is paused by leaving the method's target empty (its check_configured callback then reports "not configured" and the archiver waits without failing), 64+ segments are generated (INSERTs copying pgbench_accounts rows and, about 20% of the bytes, incompressible rnd rows, then pg_switch_wal), the target is filled in and the postmaster sent SIGHUP; the time runs until no `.ready` file is left in pg_wal/archive_status (polled every 20 ms). Methods: `archive_library='pg_safekeep'`; `archive_command='pgbackrest archive-push %p'`; the same with `--archive-async` (spool on the same disk, process-max=2); `archive_library='basic_archive'` (contrib, copy + fsync, no compression or checksum).\n- Peak RSS: VmHWM of the pg_safekeep job worker (sampled every 20 ms), at both scales; for pgBackRest the largest process's maximum RSS from `/usr/bin/time`.
EOF
echo "finished=$(date -u '+%H:%M UTC')" >>"$META"
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"
log "done; results"
echo
/usr/bin/python3 "$BENCH_DIR/report.py" "$RAW" "$META" "$OUT/table.md" ${MD:+"$MD"}
[[ -n $MD ]] && log "wrote $MD"
exit 0
