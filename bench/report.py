#!/usr/bin/python3
"""Summarise bench/run.sh measurements.

Usage: report.py RAW_TSV META_FILE TABLE_OUT [BENCHMARKS_MD]

RAW_TSV lines: scale <TAB> metric <TAB> tool <TAB> run <TAB> value
META_FILE lines: key=value (machine description, command, data sizes).
Writes the table (markdown) to TABLE_OUT and stdout, and, if given, the full
BENCHMARKS.md (table + machine + command + method).
"""
import os
import statistics
import sys
from collections import defaultdict

raw_path, meta_path, table_path = sys.argv[1:4]
md_path = sys.argv[4] if len(sys.argv) > 4 else None

data = defaultdict(list)          # (scale, metric, tool) -> [values]
by_run = {}                       # (scale, metric, tool, run) -> value
with open(raw_path) as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5 or parts[4] in ("", "NA"):
            continue
        scale, metric, tool, run, value = parts
        data[(scale, metric, tool)].append(float(value))
        by_run[(scale, metric, tool, run)] = float(value)

meta = {}
with open(meta_path) as f:
    for line in f:
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            meta[k] = v

S = meta["scale"]
S2 = meta.get("scale2", "")


def vals(metric, tool, scale=S):
    return data.get((scale, metric, tool), [])


def fmt_num(x, digits):
    return f"{x:.{digits}f}"


def cell(metric, tool, scale=S, div=1.0, digits=2):
    v = [x / div for x in vals(metric, tool, scale)]
    if not v:
        return "n/a"
    med = statistics.median(v)
    if len(v) == 1:
        return fmt_num(med, digits)
    return f"{fmt_num(med, digits)} ({fmt_num(min(v), digits)}–{fmt_num(max(v), digits)})"


def median(metric, tool, scale=S):
    v = vals(metric, tool, scale)
    return statistics.median(v) if v else None


def ratio(metric, a, b, scale=S):
    """Median of the per-run ratios a/b (each run measures a and b back to
    back, so a slow patch of a shared machine hits both), with their range."""
    rs = [v / by_run[(sc, m, b, run)] for (sc, m, t, run), v in by_run.items()
          if sc == scale and m == metric and t == a and by_run.get((sc, m, b, run))]
    if not rs:
        return "n/a", None
    r = statistics.median(rs)
    if len(rs) == 1:
        return f"{r:.2f}×", r
    return f"{r:.2f}× ({min(rs):.2f}–{max(rs):.2f})", r


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


MB = 1024 * 1024
rows = []

r, rv = ratio("backup_wall_s", "sk", "pgbr")
rows.append(("full backup, wall time (s)", cell("backup_wall_s", "sk"), cell("backup_wall_s", "pgbr"),
             r, "", "≤ 0.50×", verdict(None if rv is None else rv <= 0.5)))
r, rv = ratio("backup_cpu_s", "sk", "pgbr")
rows.append(("full backup, CPU time (s)", cell("backup_cpu_s", "sk"), cell("backup_cpu_s", "pgbr"),
             r, "", "", ""))
r, rv = ratio("backup_size_b", "sk", "pgbr")
rows.append(("full backup, stored size (MiB)", cell("backup_size_b", "sk", div=MB, digits=1),
             cell("backup_size_b", "pgbr", div=MB, digits=1), r, "", "", ""))
r, rv = ratio("restore_wall_s", "sk", "pgbr")
rows.append(("restore into empty dir, wall time (s)", cell("restore_wall_s", "sk"),
             cell("restore_wall_s", "pgbr"), r, "", "≤ 0.80×",
             verdict(None if rv is None else rv <= 0.8)))

r, rv = ratio("wal_rate", "sk", "pgbr")
wal_verdict = "n/a"
_, vs_basic = ratio("wal_rate", "sk", "basic")
if rv is not None and vs_basic is not None:
    wal_verdict = (f"≥ basic_archive ({vs_basic:.2f}×): {verdict(vs_basic >= 1.0)}; "
                   f"≥ 2.5× sync ({rv:.2f}×): {verdict(rv >= 2.5)}")
rows.append(("WAL archive drain, pgBackRest archive-push sync (segments/s)", cell("wal_rate", "sk", digits=1),
             cell("wal_rate", "pgbr", digits=1), r, cell("wal_rate", "basic", digits=1),
             "≥ basic_archive, and ≥ 2.5× sync", wal_verdict))
r, rv = ratio("wal_rate", "sk", "pgbr_async")
rows.append(("WAL archive drain, pgBackRest archive-async=y (segments/s)", cell("wal_rate", "sk", digits=1),
             cell("wal_rate", "pgbr_async", digits=1), r, cell("wal_rate", "basic", digits=1), "", ""))
r, rv = ratio("wal_stored_b", "sk", "pgbr")
rows.append(("WAL stored per 16 MiB segment (MiB)", cell("wal_stored_b", "sk", div=MB, digits=2),
             cell("wal_stored_b", "pgbr", div=MB, digits=2), r, cell("wal_stored_b", "basic", div=MB, digits=2),
             "", ""))

rss_main = [x / 1024 for x in vals("backup_rss_kb", "sk")]
rss_small = [x / 1024 for x in vals("backup_rss_kb", "sk", S2)] if S2 else []
rss_verdict = "n/a"
if rss_main:
    rss_verdict = f"< 256 MiB in every run: {verdict(max(rss_main) < 256)}"
    if rss_small:
        big, small = statistics.median(rss_main), statistics.median(rss_small)
        rss_verdict += (f"; scale {S2} → {S}: {big - small:+.0f} MiB (median), "
                        f"{max(rss_main) - max(rss_small):+.0f} MiB (max) for "
                        f"{float(meta.get('db_mb', 1)) / float(meta.get('db2_mb', 1)):.0f}× the data")
rows.append((f"peak RSS of backup, scale {S} (MiB)", cell("backup_rss_kb", "sk", div=1024, digits=0),
             cell("backup_rss_kb", "pgbr", div=1024, digits=0), ratio("backup_rss_kb", "sk", "pgbr")[0], "",
             f"< 256, the same at scale {S2}" if S2 else "< 256", rss_verdict))
if S2:
    rows.append((f"peak RSS of backup, scale {S2} (MiB)", cell("backup_rss_kb", "sk", S2, div=1024, digits=0),
                 cell("backup_rss_kb", "pgbr", S2, div=1024, digits=0),
                 ratio("backup_rss_kb", "sk", "pgbr", S2)[0], "", "", ""))

header = ("figure", "pg_safekeep", "pgBackRest", "ratio (pg_safekeep ÷ pgBackRest)", "basic_archive",
          "target", "met")
lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
for row in rows:
    lines.append("| " + " | ".join(row) + " |")
table = "\n".join(lines) + "\n"
notes = (f"\nMedian (min–max) of {meta.get('runs')} runs per tool, tools alternated; pgbench scale {S}. "
         "Ratio: median (min–max) of the per-run ratios, each run measuring both tools back to back. pgBackRest's RSS is the largest single process "
         "(/usr/bin/time %M, children included); pg_safekeep's is VmHWM of the job worker.\n")

with open(table_path, "w") as f:
    f.write(table + notes)
sys.stdout.write(table + notes)

# Sections other scripts' runs added by hand (bench/s3.sh) survive a rewrite.
KEPT_FROM = "\n## Repository in S3"
kept = ""
if md_path and os.path.exists(md_path):
    with open(md_path) as f:
        old = f.read()
    if KEPT_FROM in old:
        kept = old[old.index(KEPT_FROM):]

if md_path:
    m = meta
    with open(md_path, "w") as f:
        f.write("# Benchmarks: pg_safekeep vs pgBackRest\n\n")
        f.write("Produced by `bench/run.sh` (issue 3). Same cluster, same data, same disk, same run; "
                "the two tools are alternated for every measurement.\n\n")
        f.write("Command:\n\n```sh\n" + m.get("command", "") + "\n```\n\n")
        f.write(f"Run {m.get('started', '')} to {m.get('finished', '')}; pg_safekeep at commit `{m.get('commit', '')}`. "
                f"Load average before / after: {m.get('load_before', '?')} / {m.get('load_after', '?')} "
                "(the machine is shared: other sessions may build and test on it meanwhile, hence the spreads).\n\n")
        f.write("## Results\n\n" + table + notes + "\n")
        f.write("## Machine\n\n")
        for k, label in (("cpu", "CPU"), ("nproc", "cores (nproc)"), ("mem", "memory"),
                         ("disk", "disk (df of the scratch dir)"), ("kernel", "kernel"),
                         ("pg", "PostgreSQL"), ("pgbackrest", "pgBackRest")):
            f.write(f"- {label}: {m.get(k, '')}\n")
        f.write("\n## Data\n\n")
        f.write(f"- pgbench scale {S}: {m.get('pgbench_mb', '?')} MiB (tables + indexes)\n")
        f.write(f"- table `rnd` of incompressible random bytea (pgcrypto gen_random_bytes, STORAGE EXTERNAL): "
                f"{m.get('rnd_mb', '?')} MiB, {m.get('rnd_pct', '?')}% of the database\n")
        f.write(f"- database `bench` total {m.get('db_mb', '?')} MiB; data checksums on (initdb --data-checksums)\n")
        if S2:
            f.write(f"- second scale {S2} (same recipe, {m.get('db2_mb', '?')} MiB) for the memory figure\n")
        f.write("\n## Every run\n\nValues in run order (run 1 first); the tools alternate within each run.\n\n")
        f.write("| scale | figure | tool | values |\n|---|---|---|---|\n")
        names = {"sk": "pg_safekeep", "pgbr": "pgBackRest", "pgbr_async": "pgBackRest async", "basic": "basic_archive"}
        for (sc, metric, tool), v in sorted(data.items(), key=lambda kv: (kv[0][0] != S, kv[0][1], kv[0][2])):
            runs = sorted(((int(r), x) for (a, b, c, r), x in by_run.items() if (a, b, c) == (sc, metric, tool)))
            f.write(f"| {sc} | {metric} | {names.get(tool, tool)} | {' '.join(f'{x:.0f}' if x == int(x) else f'{x:g}' for _, x in runs)} |\n")
        f.write("\n## Method\n\n")
        f.write(m.get("method", "").replace("\\n", "\n") + "\n")
        f.write(kept)
