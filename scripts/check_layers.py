#!/usr/bin/env python3
"""Checks that includes point down the layers of src/core (DESIGN-NOTES.md,
"Architecture") and that source files stay small.

    python3 scripts/check_layers.py [repository root]

Reports, with a count per category, and exits 1 when any count is not 0:
  upward    folder-level includes that point up or sideways (same rank)
  cycles    strongly connected groups of folders, and of files (x.h + x.cpp
            count as one file)
  long      source files over MAX_LINES lines
  shim      src/pg files that include a core header other than pg_safekeep/capi.h
  unknown   folders of src/core (or include/) that have no rank below
  markers   merge-conflict markers left in sources or documentation
"""

import os
import re
import sys

# The layers, bottom (0) to top. A file may include only layers of lower rank
# (and its own folder). Folders of src/core by name; three more groups:
# "capi" = files directly in src/core, "api" = include/pg_safekeep, "cli" = src/cli.
RANKS = {
    "util": 0,  # pure helpers: errors, text, dates, conf lines, user-chosen names
    "os": 1,  # the operating system: files, processes, threads, stop poll, checks
    "net": 2,  # network clients: libcurl helpers, libpq
    "io": 3,  # byte sinks and filters: sha256, zstd, AES-GCM, O_DIRECT, pipes
    "format": 3,  # pure formats: WAL file names, LSNs, WAL segment checks
    "storage": 4,  # object stores: posix, S3, encryption, fan-out, throttling
    "repo": 5,  # a repository: layout, config, keyring, labels, manifests, listings
    "backup": 6,  # operations, each on the repository
    "wal": 6,
    "logical": 6,
    "restore": 6,
    "verify": 6,
    "schedule": 6,
    "notify": 6,
    "scratch": 7,  # operations built on restore
    "expire": 7,  # retention over physical and logical backups
    "api": 8,  # include/pg_safekeep/capi.h: the C interface
    "capi": 9,  # src/core/capi.cpp: the C interface over the core
    "cli": 10,  # src/cli: the pg_safekeep tool
}

MAX_LINES = 600
LONG_DIRS = ["src", "include", "test/unit", "test/t", "test/lib", "sql", "scripts", "bench"]
SOURCE_EXT = (".c", ".h", ".cpp", ".hpp", ".pl", ".pm", ".sql", ".sh", ".py")
CODE_EXT = (".c", ".h", ".cpp", ".hpp")
SHIM_API = "include/pg_safekeep/capi.h"
MARKER_RE = re.compile(r"^(<{7} |={7}$|>{7} )")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def rel_files(root, top, exts):
    out = []
    for d, _, names in os.walk(os.path.join(root, top)):
        for n in names:
            if n.endswith(exts):
                out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def layer_of(path):
    """The layer key of a repository-relative path, or None outside the scan."""
    parts = path.split(os.sep)
    if parts[:2] == ["src", "core"]:
        return parts[2] if len(parts) > 3 else "capi"
    if parts[:2] == ["src", "cli"]:
        return "cli"
    if parts[0] == "include":
        return "api" if len(parts) > 2 and parts[1] == "pg_safekeep" else "include/" + parts[1]
    return None


def resolve(root, including, name):
    """The repository-relative file an #include "name" means, or None (system header)."""
    for base in (os.path.dirname(including), "src/core", "include"):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def includes(root, path):
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        text = f.read()
    for name in INCLUDE_RE.findall(text):
        target = resolve(root, path, name)
        if target:
            yield target


def tarjan(graph):
    """Strongly connected components with more than one node."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def module(path):
    return os.path.splitext(path)[0]


def check(root):
    found = {k: [] for k in ("upward", "cycles", "long", "shim", "unknown", "markers")}
    scanned = [f for top in ("src/core", "src/cli", "include") for f in rel_files(root, top, CODE_EXT)]

    folder_edges, file_graph = {}, {}
    for f in scanned:
        for t in includes(root, f):
            a, b = layer_of(f), layer_of(t)
            if b is None:
                continue
            if a != b:
                folder_edges.setdefault((a, b), []).append(f + " -> " + t)
            if module(f) != module(t):
                file_graph.setdefault(module(f), set()).add(module(t))

    layers = sorted({layer_of(f) for f in scanned})
    for name in layers:
        if name not in RANKS:
            found["unknown"].append(name)
    for (a, b), why in sorted(folder_edges.items()):
        if a in RANKS and b in RANKS and RANKS[b] >= RANKS[a]:
            found["upward"].append("%s -> %s (%d includes, e.g. %s)" % (a, b, len(why), why[0]))

    folder_graph = {}
    for a, b in folder_edges:
        folder_graph.setdefault(a, set()).add(b)
    for comp in tarjan(folder_graph):
        found["cycles"].append("folders: " + " <-> ".join(comp))
    for comp in tarjan(file_graph):
        found["cycles"].append("files: " + " <-> ".join(comp))

    for top in LONG_DIRS:
        for f in rel_files(root, top, SOURCE_EXT):
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                n = sum(1 for _ in fh)
            if n > MAX_LINES:
                found["long"].append("%s (%d lines)" % (f, n))

    for f in rel_files(root, "src/pg", CODE_EXT):
        for t in includes(root, f):
            if layer_of(t) is not None and t != SHIM_API:
                found["shim"].append("%s -> %s" % (f, t))
    for top in LONG_DIRS + ["."]:
        exts = SOURCE_EXT if top != "." else (".md",)
        files = rel_files(root, top, exts) if top != "." else [
            f for f in os.listdir(root) if f.endswith(exts)]
        for f in files:
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    if MARKER_RE.match(line):
                        found["markers"].append("%s:%d" % (f, n))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    found = check(os.path.abspath(root))
    for category, items in found.items():
        for item in items:
            print("%s: %s" % (category, item))
    print(", ".join("%s %d" % (c, len(i)) for c, i in found.items()))
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
