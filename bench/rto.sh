#!/usr/bin/env bash
# bench/rto.sh: measured recovery times (RTO) of a restore drill, a table
# recovery and an automated disaster recovery on one pgbench cluster (issue 5).
#
#   bash bench/rto.sh [--scale N] [--scratch DIR] [--port N]
#
# Run as root; every server runs as postgres.  Prints one table of figures as
# the extension itself recorded them (backup_test_log, recovery_log,
# disaster_recovery_log).
set -Eeuo pipefail
export LC_ALL=C

SCALE=100
SCRATCH_PARENT=/var/tmp
PORT=55449
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=$2; shift 2 ;;
        --scratch) SCRATCH_PARENT=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[[ $SCALE =~ ^[0-9]+$ && $PORT =~ ^[0-9]+$ ]] || { echo "--scale and --port are numbers" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "run as root (servers run as postgres)" >&2; exit 2; }

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
S=$(mktemp -d "$SCRATCH_PARENT/pg_safekeep_rto.XXXXXX")
chown postgres: "$S"
sql() { as_pg "$PGBIN/psql" -X -q -At -h "$S" -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -c "$1"; }
cleanup() {
    for d in "$S/pgdata" "$S/dr_copy"; do
        [[ -f $d/postmaster.pid ]] && as_pg "$PGBIN/pg_ctl" stop -m immediate -D "$d" >/dev/null 2>&1 || true
    done
    rm -rf "$S"
}
trap cleanup EXIT

as_pg mkdir -p "$S/repo"
bench_init_cluster "$S/pgdata" "$PORT" "$S" <<EOF
archive_mode = on
archive_library = 'pg_safekeep'
safekeep.repo1_path = '$S/repo'
safekeep.drill_interval = 0
max_wal_size = 4GB
EOF
as_pg "$PGBIN/pg_ctl" start -w -D "$S/pgdata" -l "$S/pg.log" >/dev/null
sql "CREATE EXTENSION pg_safekeep"
echo "loading pgbench scale $SCALE ..." >&2
as_pg "$PGBIN/pgbench" -i -q -s "$SCALE" -h "$S" -p "$PORT" postgres >/dev/null 2>&1
label=$(sql "SELECT safekeep.create_full_backup()")
echo "backup $label taken; waiting for its row counts and verification ..." >&2
until [[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_safekeep job worker'") == 0 ]]; do
    sleep 1
done

echo "restore drill ..." >&2
sql "SELECT safekeep.test_backup_recovery('$label')" >&2
echo "table recovery of pgbench_accounts after DROP TABLE ..." >&2
sql "DROP TABLE pgbench_accounts CASCADE"
sql "SELECT safekeep.recover_table('public.pgbench_accounts')" >&2
echo "automated disaster recovery ..." >&2
sql "SELECT safekeep.automated_disaster_recovery('$S/dr_copy', $((PORT + 1)), 'hardware_failure')" >&2

printf '\npgbench scale %s, %s, %s cores\n' "$SCALE" \
    "$(sql "SELECT pg_size_pretty(pg_database_size('postgres'))")" "$(nproc)"
printf '%-22s %10s %10s %10s\n' "recovery" "RTO s" "restore s" "replay s"
sql "SELECT 'restore drill', rto_seconds, restore_seconds, recovery_seconds
       FROM safekeep.backup_test_log ORDER BY id DESC LIMIT 1" |
    awk -F'|' '{ printf "%-22s %10s %10s %10s\n", $1, $2, $3, $4 }'
sql "SELECT 'table recovery', details->>'rto_seconds', details->>'restore_seconds',
            details->>'recovery_seconds'
       FROM safekeep.recovery_log WHERE recovery_type = 'table' ORDER BY id DESC LIMIT 1" |
    awk -F'|' '{ printf "%-22s %10s %10s %10s\n", $1, $2, $3, $4 }'
sql "SELECT 'disaster recovery', rto_seconds, '-', '-' FROM safekeep.disaster_recovery_log
      ORDER BY id DESC LIMIT 1" |
    awk -F'|' '{ printf "%-22s %10s %10s %10s\n", $1, $2, $3, $4 }'
