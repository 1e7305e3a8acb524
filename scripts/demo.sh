#!/usr/bin/env bash
# The first command to run on a fresh Debian bookworm machine (as root):
# installs what is needed, builds and installs pg_safekeep, then shows a whole
# round trip on a scratch cluster in /tmp/pg_safekeep_demo: pgbench data, a
# full backup, more writes, an accident, and a point-in-time restore into a
# second data directory that has the data exactly as it was before.
#   SAFEKEEP_DEMO_DIR            where the demo's files go (/tmp/pg_safekeep_demo)
#   SAFEKEEP_DEMO_PORT           the demo server's port (default: a free one from 5499)
#   SAFEKEEP_DEMO_RESTORED_PORT  the restored copy's port (default: the next free one)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=/usr/lib/postgresql/15/bin
DEMO=${SAFEKEEP_DEMO_DIR:-/tmp/pg_safekeep_demo}

# The first port from $1 on that no server uses: nothing listens on it on
# loopback and no PostgreSQL socket for it is in the usual directories.
free_port() {
    local p
    for p in $(seq "$1" 65535); do
        if [ -e "/var/run/postgresql/.s.PGSQL.$p" ] || [ -e "/tmp/.s.PGSQL.$p" ]; then
            continue
        fi
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        echo "$p"
        return 0
    done
    echo "demo.sh: no free port from $1 on" >&2
    return 1
}
PORT=${SAFEKEEP_DEMO_PORT:-$(free_port 5499)}
RESTORED_PORT=${SAFEKEEP_DEMO_RESTORED_PORT:-$(free_port $((PORT + 1)))}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: run as root (it installs packages and the extension)" >&2
    exit 2
fi

# Everything that touches the cluster runs as postgres: PostgreSQL refuses root.
pg() { runuser -u postgres -- env PATH="$PG_BIN:$PATH" "$@"; }
sql() { pg psql -X -q -v ON_ERROR_STOP=1 -h "$DEMO" -p "$PORT" -d postgres "$@"; }

stop_servers() {
    for d in "$DEMO/restored" "$DEMO/data"; do
        if [ -f "$d/postmaster.pid" ]; then
            pg pg_ctl -D "$d" -m fast -w stop >/dev/null 2>&1 || true
        fi
    done
}

step "1. install packages (scripts/setup.sh)"
bash "$SRC/scripts/setup.sh"

step "2. build and install pg_safekeep (make && make install)"
make -C "$SRC" PG_CONFIG=$PG_BIN/pg_config
make -C "$SRC" install PG_CONFIG=$PG_BIN/pg_config

step "3. create a cluster in $DEMO/data with the library configured"
stop_servers
rm -rf "$DEMO"
mkdir -p "$DEMO/repo"
chown -R postgres: "$DEMO"
trap stop_servers EXIT
pg initdb --data-checksums -A trust -D "$DEMO/data" >/dev/null
cat >>"$DEMO/data/postgresql.conf" <<CONF

# pg_safekeep demo
port = $PORT
listen_addresses = ''
unix_socket_directories = '$DEMO'
shared_preload_libraries = 'pg_safekeep'
archive_mode = on
archive_library = 'pg_safekeep'
safekeep.repo1_path = '$DEMO/repo'
safekeep.start_fast = on
# the demo takes its own backups; the seeded schedules stay off
safekeep.scheduler = off
CONF
pg pg_ctl -D "$DEMO/data" -l "$DEMO/server.log" -w start >/dev/null
sql -c "CREATE EXTENSION pg_safekeep"
echo "server on port $PORT, repository in $DEMO/repo, log in $DEMO/server.log"

step "4. load pgbench data (scale 10)"
pg pgbench -i -s 10 -q -h "$DEMO" -p "$PORT" postgres

step "5. full backup: SELECT safekeep.create_full_backup()"
sql -c "SELECT safekeep.create_full_backup() AS label"
sql -c "SELECT label, status, pg_size_pretty(database_size) AS database, pg_size_pretty(backup_size) AS stored, compression_ratio FROM safekeep.backup_catalog"

step "6. business as usual: 5 seconds of pgbench"
pg pgbench -n -c 2 -j 2 -T 5 -h "$DEMO" -p "$PORT" postgres | grep -E 'transactions actually|tps'

step "7. note the time T and the data at T"
T=$(sql -At -c "SELECT now()")
SUM_AT_T=$(sql -At -c "SELECT sum(abalance) FROM pgbench_accounts")
echo "T = $T"
echo "sum(abalance) at T = $SUM_AT_T"
sleep 1

step "8. more writes after T (3 seconds of pgbench)"
pg pgbench -n -c 2 -j 2 -T 3 -h "$DEMO" -p "$PORT" postgres | grep -E 'transactions actually'
SUM_BEFORE_DROP=$(sql -At -c "SELECT sum(abalance) FROM pgbench_accounts")
echo "sum(abalance) now = $SUM_BEFORE_DROP"

step "9. the accident: DROP TABLE pgbench_accounts"
sql -c "DROP TABLE pgbench_accounts"
# Ship the WAL that holds the accident, so recovery can find where T ends.
SEG=$(sql -At -c "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 60); do
    [ "$(sql -At -c "SELECT coalesce(last_archived_wal COLLATE \"C\" >= '$SEG', false) FROM pg_stat_archiver")" = t ] && break
    sleep 1
done
echo "WAL archived up to $SEG"

step "10. point-in-time recovery to T into $DEMO/restored, started on port $RESTORED_PORT"
sql -c "SELECT safekeep.point_in_time_recovery(target_time => '$T', target_dir => '$DEMO/restored', port => $RESTORED_PORT)"

step "11. the restored copy has pgbench_accounts as it was at T"
SUM_RESTORED=$(pg psql -X -At -h "$DEMO" -p "$RESTORED_PORT" -d postgres -c "SELECT sum(abalance) FROM pgbench_accounts")
echo "sum(abalance) at T        = $SUM_AT_T"
echo "sum(abalance) in the copy = $SUM_RESTORED"
if [ "$SUM_AT_T" = "$SUM_RESTORED" ]; then
    echo "MATCH: the copy holds the data as of T"
else
    echo "MISMATCH" >&2
    exit 1
fi
sql -c "SELECT recovery_type, status, target_time, duration FROM safekeep.recovery_log"

step "12. or bring back only the dropped table, as it was just before the DROP: recover_table"
sql -c "SELECT command, object_identity, transaction_id, happened_at FROM safekeep.ddl_history"
sql -c "SELECT safekeep.recover_table('public.pgbench_accounts')"
SUM_TABLE=$(sql -At -c "SELECT sum(abalance) FROM safekeep_restored.pgbench_accounts")
echo "sum(abalance) just before the DROP   = $SUM_BEFORE_DROP"
echo "sum(abalance) of the recovered table = $SUM_TABLE"
if [ "$SUM_BEFORE_DROP" = "$SUM_TABLE" ]; then
    echo "MATCH: every row the table had at the DROP is back, in schema safekeep_restored"
else
    echo "MISMATCH" >&2
    exit 1
fi

step "13. prove the backup restores: a restore drill (test_backup_recovery)"
sql -c "SELECT safekeep.test_backup_recovery()"
sql -c "SELECT backup_label, test_result, rto_seconds, checks->>'amcheck_exit_code' AS amcheck, checks->>'tables_counted' AS tables_counted FROM safekeep.backup_test_log"

step "14. the repository, read by the command-line tool: pg_safekeep info"
pg "$PG_BIN/pg_safekeep" info --repo1-path="$DEMO/repo"

step "15. SELECT * FROM safekeep.check_backup_health()"
sql -x -c "SELECT * FROM safekeep.check_backup_health()"

step "done: both servers are stopped on exit; files stay in $DEMO"
