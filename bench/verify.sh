#!/usr/bin/env bash
# bench/verify.sh: how long verifying a backup takes, against reading the
# backup's files once and against pgBackRest's verify of the same cluster, in
# the same run (issue 15: verify <= 1.5x one read of the repository).
#
#   bash bench/verify.sh [--scale N] [--runs N] [--scratch DIR] [--port N] [--md FILE | --no-md]
#
# Run as root; servers and tools run as postgres. The page cache is dropped
# before every measurement (cold reads, as after a restart), when permitted.
set -Eeuo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
COMMAND="bash bench/verify.sh $*"
SCALE=100
RUNS=3
SCRATCH_PARENT=/var/tmp
PORT=55441
MD="$REPO_DIR/BENCHMARKS.md"

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --scratch) SCRATCH_PARENT=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        --md) MD=$2; shift 2 ;;
        --no-md) MD=""; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done
for v in SCALE RUNS PORT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "--${v,,} must be a number" >&2; exit 2; }
done

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
[[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 2; }
for f in "$PGBIN/pg_safekeep" /usr/bin/pgbackrest /usr/bin/time; do
    [[ -x $f ]] || { echo "missing $f (make install; apt-get install pgbackrest time)" >&2; exit 2; }
done

S=$(mktemp -d "$SCRATCH_PARENT/sk_verify_bench.XXXXXX")
chown postgres: "$S"
cleanup() {
    as_pg "$PGBIN/pg_ctl" -D "$S/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$S"
}
trap cleanup EXIT

as_pg mkdir "$S/repo" "$S/pgbr_repo" "$S/sock"
bench_init_cluster "$S/data" "$PORT" "$S/sock" <<CONF
archive_mode = on
archive_library = 'pg_safekeep'
safekeep.repo1_path = '$S/repo'
safekeep.parallel = 2
CONF
as_pg "$PGBIN/pg_ctl" -D "$S/data" -l "$S/pg.log" -w start >/dev/null
psql_() { as_pg "$PGBIN/psql" -h "$S/sock" -p "$PORT" -d postgres -XAtq "$@"; }
psql_ -c 'CREATE EXTENSION pg_safekeep'
log "pgbench -i -s $SCALE"
as_pg "$PGBIN/pgbench" -h "$S/sock" -p "$PORT" -i -s "$SCALE" -q postgres >"$S/pgbench.out" 2>&1
LABEL=$(psql_ -c 'SELECT safekeep.create_full_backup()')
STANZA=$(psql_ -c 'SELECT system_identifier FROM pg_control_system()')
log "pg_safekeep full backup $LABEL"

# pgBackRest backs up the same cluster into its own repository; WAL goes to
# pg_safekeep's archive, so its archive check is off (it verifies the backup's
# files either way).
write_pgbr_conf_file "$S/pgbackrest.conf" "$S" "$S/data" "$PORT" "$S/sock" <<CONF
repo1-path=$S/pgbr_repo
CONF
sed -i 's/^archive-check=y$/archive-check=n/' "$S/pgbackrest.conf"
pgbr() { as_pg /usr/bin/pgbackrest --config="$S/pgbackrest.conf" --stanza=bench "$@"; }
pgbr stanza-create --no-online >/dev/null 2>&1 || pgbr stanza-create
pgbr backup --type=full
log "pgBackRest full backup done"

BACKUP_DIR="$S/repo/$STANZA/backup/$LABEL"
# The files one read of the backup takes: its objects and the WAL it needs.
mapfile -t START_STOP < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["start_wal"]); print(m["stop_wal"])' "$BACKUP_DIR/manifest.json")
mapfile -d '' READ_FILES < <(find "$BACKUP_DIR" -type f -print0)
for seg in $(python3 - "${START_STOP[0]}" "${START_STOP[1]}" <<'PY'
import sys
a, b = sys.argv[1], sys.argv[2]
t = a[:8]; sa = int(a[8:16], 16) * 256 + int(a[16:], 16); sb = int(b[8:16], 16) * 256 + int(b[16:], 16)
for s in range(sa, sb + 1):
    print("%s%08X%08X" % (t, s // 256, s % 256))
PY
); do
    for f in "$S/repo/$STANZA/archive/${seg:0:16}/$seg"-*.zst; do READ_FILES+=("$f"); done
done
READ_BYTES=$(du -cb "${READ_FILES[@]}" | tail -1 | cut -f1)
log "read set: ${#READ_FILES[@]} files, $READ_BYTES bytes"

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; }
CACHE=cold
drop_caches || CACHE=warm
# seconds (wall) and CPU seconds of one command, as "wall cpu"
timed() {
    local out=$S/time.out
    drop_caches || true
    /usr/bin/time -f '%e %U %S' -o "$out" "$@" >/dev/null 2>"$S/cmd.err" ||
        { echo "failed: $*" >&2; cat "$S/cmd.err" >&2; return 1; }
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$out"
}

RAW="$S/raw.tsv"
: >"$RAW"
for run in $(seq 1 "$RUNS"); do
    read -r w c < <(timed xargs -0 -a <(printf '%s\0' "${READ_FILES[@]}") cat)
    printf 'read_once\t%s\t%s\n' "$w" "$c" >>"$RAW"
    read -r w c < <(timed runuser -u postgres -- "$PGBIN/pg_safekeep" verify --repo1-path="$S/repo" \
        --stanza="$STANZA" --set="$LABEL" --parallel=2)
    printf 'pg_safekeep\t%s\t%s\n' "$w" "$c" >>"$RAW"
    read -r w c < <(timed runuser -u postgres -- /usr/bin/pgbackrest --config="$S/pgbackrest.conf" \
        --stanza=bench verify)
    printf 'pgbackrest\t%s\t%s\n' "$w" "$c" >>"$RAW"
    log "run $run: $(tail -3 "$RAW" | tr '\t\n' ' ;')"
done

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
TABLE=$(python3 - "$RAW" "$READ_BYTES" "$CACHE" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
by = {}
for tool, w, c in rows:
    by.setdefault(tool, []).append((float(w), float(c)))
def med(tool, i): return statistics.median(v[i] for v in by[tool])
def rng(tool, i): vs = [v[i] for v in by[tool]]; return "%.2f (%.2f–%.2f)" % (statistics.median(vs), min(vs), max(vs))
n = len(by['read_once'])
ratios = [by['pg_safekeep'][k][0] / by['read_once'][k][0] for k in range(n)]
vs_pgbr = [by['pg_safekeep'][k][0] / by['pgbackrest'][k][0] for k in range(n)]
r = statistics.median(ratios)
print("| figure | read once (cat) | pg_safekeep verify | pgBackRest verify |")
print("|---|---|---|---|")
print("| wall time (s) | %s | %s | %s |" % (rng('read_once', 0), rng('pg_safekeep', 0), rng('pgbackrest', 0)))
print("| CPU time (s) | %s | %s | %s |" % (rng('read_once', 1), rng('pg_safekeep', 1), rng('pgbackrest', 1)))
print()
print("pg_safekeep verify ÷ read once: **%.2f×** (%.2f–%.2f) — target ≤ 1.5×: **%s**." %
      (r, min(ratios), max(ratios), "met" if r <= 1.5 else "not met"))
print("pg_safekeep verify ÷ pgBackRest verify: %.2f× (%.2f–%.2f)." %
      (statistics.median(vs_pgbr), min(vs_pgbr), max(vs_pgbr)))
print("Read set: %.1f MiB (the backup's objects and the WAL from its start to its stop segment); page cache %s before every measurement." %
      (int(sys.argv[2]) / 1048576.0, "dropped" if sys.argv[3] == "cold" else "NOT dropped (not permitted)"))
PY
)
echo "$TABLE"
if [[ -n $MD ]]; then
    python3 - "$MD" <<PY
import re, sys
path = sys.argv[1]
text = open(path).read()
section = """## Verify (issue 15)

Produced by \`$COMMAND\` on $(date -u '+%Y-%m-%d %H:%M') UTC, pg_safekeep at commit \`$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)\`; pgbench scale $SCALE, one full backup each, $RUNS runs, the three alternated in every run; load average after: $LOAD.

$TABLE

"""
text = re.sub(r"## Verify \(issue 15\)\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
    log "wrote the Verify section of $MD"
fi
