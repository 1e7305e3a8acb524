# bench/lib.sh: the cluster set-up bench/run.sh and bench/rto.sh share.
# Sourced, not run; the caller runs as root and sets `set -Eeuo pipefail`.

PGBIN=/usr/lib/postgresql/15/bin

as_pg() { runuser -u postgres -- "$@"; }

# initdb DATADIR (data checksums; its output in DATADIR's parent, initdb.out)
# and append the settings every benchmark cluster has: its own PORT and
# socket directory SOCK, no TCP, WAL for archiving and backups, pg_safekeep
# preloaded with fast checkpoints and the built-in scheduler off (the seeded
# schedules must not start a backup in the middle of a measurement).  Lines
# on stdin follow them.  Fails (initdb's output in initdb.out) if initdb does.
bench_init_cluster() {   # datadir port sock
    local data=$1 port=$2 sock=$3 out
    out=$(dirname "$data")/initdb.out
    as_pg "$PGBIN/initdb" -D "$data" --data-checksums -A trust -U postgres >"$out" 2>&1 || return 1
    {
        cat <<CONF

# ---- $(basename "$0")
port = $port
listen_addresses = ''
unix_socket_directories = '$sock'
wal_level = replica
shared_preload_libraries = 'pg_safekeep'
safekeep.start_fast = on
safekeep.scheduler = off
CONF
        cat
    } >>"$data/postgresql.conf"
}

# pgBackRest's configuration FILE for the cluster DATADIR PORT SOCK, with the
# settings that match pg_safekeep's in every benchmark (zstd 3, 2 processes,
# fast start, archive and page checks, file logging off) and its spool, lock
# and log directories under SCRATCH. The repository's repo1-* lines come on
# stdin.
write_pgbr_conf_file() {   # file scratch datadir port sock
    local file=$1 scratch=$2 data=$3 port=$4 sock=$5
    mkdir -p "$scratch/pgbr_spool" "$scratch/pgbr_lock" "$scratch/pgbr_log"
    chown postgres: "$scratch/pgbr_spool" "$scratch/pgbr_lock" "$scratch/pgbr_log"
    {
        echo "[global]"
        cat
        cat <<CONF
repo1-retention-full=100
compress-type=zst
compress-level=3
process-max=2
start-fast=y
archive-check=y
checksum-page=y
spool-path=$scratch/pgbr_spool
lock-path=$scratch/pgbr_lock
log-path=$scratch/pgbr_log
log-level-console=warn
log-level-stderr=warn
log-level-file=off

[bench]
pg1-path=$data
pg1-port=$port
pg1-socket-path=$sock
CONF
    } >"$file"
    chown postgres: "$file"
}
