#!/usr/bin/python3
"""Sample the pg_safekeep job worker while a backup runs.

Usage: sample_worker.py POSTMASTER_PID STOP_FILE [TIMEOUT_S]

Scans /proc every 20 ms for a child of POSTMASTER_PID whose title starts
with "postgres: pg_safekeep job " (the dynamic background worker; bgw_name
is "pg_safekeep job <id>"; other clusters on the machine are ignored), then
polls that pid every 20 ms, keeping the
largest VmHWM (peak RSS) and the last utime+stime (all threads, live and
exited) until the process is gone.  Prints one line:

    <pid> <peak_rss_kb> <cpu_seconds> <samples>

or "NA NA NA 0" when no worker was seen before STOP_FILE appeared (the
caller creates STOP_FILE once the SQL call has returned) or TIMEOUT_S passed.
"""
import os
import sys
import time

PREFIX = b"postgres: pg_safekeep job "
INTERVAL = 0.02
TCK = os.sysconf("SC_CLK_TCK")


def find_worker(postmaster):
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                c = f.read(64)
            if not c.startswith(PREFIX):
                continue
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(b")") + 2:].split()[1]) == postmaster:
            return int(d)
    return None


def sample(pid):
    """(VmHWM kB, cpu seconds) or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            status = f.read()
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    hwm = 0
    for line in status.splitlines():
        if line.startswith(b"VmHWM:"):
            hwm = int(line.split()[1])
            break
    fields = stat[stat.rindex(b")") + 2:].split()
    # fields[0] is field 3 (state); utime/stime are fields 14/15
    if fields[0] in (b"Z", b"X"):
        return None
    cpu = (int(fields[11]) + int(fields[12])) / TCK
    return hwm, cpu


def main():
    postmaster = int(sys.argv[1])
    stop_file = sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 7200.0
    deadline = time.monotonic() + timeout
    pid = None
    while pid is None:
        pid = find_worker(postmaster)
        if pid is not None:
            break
        if os.path.exists(stop_file) or time.monotonic() > deadline:
            print("NA NA NA 0")
            return
        time.sleep(INTERVAL)

    peak, cpu, n = 0, 0.0, 0
    stop_seen = None
    while True:
        s = sample(pid)
        if s is None:
            break
        n += 1
        peak = max(peak, s[0])
        cpu = max(cpu, s[1])
        if stop_seen is None and os.path.exists(stop_file):
            stop_seen = time.monotonic()
        # the worker should exit right after the job; do not wait forever
        if (stop_seen is not None and time.monotonic() - stop_seen > 30) or \
                time.monotonic() > deadline:
            break
        time.sleep(INTERVAL)
    print(f"{pid} {peak} {cpu:.2f} {n}")


if __name__ == "__main__":
    main()
