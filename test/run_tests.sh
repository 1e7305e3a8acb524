#!/usr/bin/env bash
# Builds and installs pg_safekeep, then runs every test suite: the include
# layers check (scripts/check_layers.py), the core's unit tests (ctest),
# pg_regress (test/sql/, test/expected/) and each TAP test (test/t/*.pl). Run as root: `make install` writes into PostgreSQL's
# directories, and the servers the tests start run as the unprivileged user
# `postgres` (PostgreSQL refuses root), from a copy of the tree that user can
# write to. The unit tests that start servers run as that user too (make
# unittest, test/unit/as_server_user.sh).
#
#   SAFEKEEP_TEST_DIR   where the copy goes (default /tmp/pg_safekeep_test);
#                       give each run on one machine its own
#   SAFEKEEP_TEST_USER  the server user (default postgres)
#
#   bash test/run_tests.sh            all suites
#   bash test/run_tests.sh 001 003    only TAP tests whose names contain 001 or 003
#
# The last line is "N passed, N failed" (suites, not individual assertions);
# the exit status is non-zero when anything failed.
set -uo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG=$PG_BIN/pg_config
PGXS_DIR=$($PG_CONFIG --pkglibdir)/pgxs
RUN_USER=${SAFEKEEP_TEST_USER:-postgres}
WORK=${SAFEKEEP_TEST_DIR:-/tmp/pg_safekeep_test}
SUITE_TIMEOUT=${SAFEKEEP_SUITE_TIMEOUT:-1200}
SRC=$(cd "$(dirname "$0")/.." && pwd)

passed=0
failed=0
failed_names=()

heading() { printf '\n===== %s =====\n' "$*"; }

record() { # name status
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok: $1"
    else
        failed=$((failed + 1))
        failed_names+=("$1")
        echo "FAILED: $1 (exit $2)"
    fi
}

finish() {
    heading "summary"
    for n in "${failed_names[@]+"${failed_names[@]}"}"; do echo "failed: $n"; done
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

as_user() { runuser -u "$RUN_USER" -- "$@"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "run_tests.sh: run as root (make install, then servers as $RUN_USER)" >&2
    exit 2
fi

cd "$SRC"

heading "build"
if make PG_CONFIG=$PG_CONFIG && make install PG_CONFIG=$PG_CONFIG; then
    record build 0
else
    record build 1
    finish
fi

heading "layers (scripts/check_layers.py)"
python3 scripts/check_layers.py
record layers $?

heading "unit tests (ctest)"
timeout "$SUITE_TIMEOUT" make unittest PG_CONFIG=$PG_CONFIG SAFEKEEP_TEST_USER="$RUN_USER"
record unit $?

# A copy of the tree the server user owns: pg_regress and the TAP tests write
# their data directories, logs and results beside the sources.
heading "copy tree to $WORK"
rm -rf "$WORK"
mkdir -p "$WORK"
tar -C "$SRC" --exclude=./.git --exclude=./build --exclude='./tmp_check*' \
    --exclude=./results --exclude=./log -cf - . | tar -C "$WORK" -xf -
chown -R "$RUN_USER": "$WORK"

only=("$@")
if [ ${#only[@]} -eq 0 ]; then
    heading "pg_regress"
    # The temporary instance archives into an empty repository inside the copy
    # (Makefile regress-files), so runs never share one.
    # TAP_TESTS= : the TAP tests run one by one below, so each counts as a suite.
    as_user timeout "$SUITE_TIMEOUT" make -C "$WORK" installcheck PG_CONFIG=$PG_CONFIG TAP_TESTS=
    rc=$?
    if [ $rc -ne 0 ] && [ -f "$WORK/regression.diffs" ]; then
        head -n 200 "$WORK/regression.diffs"
    fi
    record pg_regress $rc
fi

for t in "$WORK"/test/t/*.pl; do
    [ -e "$t" ] || continue
    name=$(basename "$t")
    if [ ${#only[@]} -gt 0 ]; then
        match=0
        for o in "${only[@]}"; do [[ $name == *"$o"* ]] && match=1; done
        [ $match -eq 1 ] || continue
    fi
    heading "TAP $name"
    (cd "$WORK" && as_user env PATH="$PG_BIN:$PATH" TESTDIR="$WORK" \
        PG_REGRESS="$PGXS_DIR/src/test/regress/pg_regress" \
        timeout "$SUITE_TIMEOUT" prove -v -I "$PGXS_DIR/src/test/perl" -I test/lib "test/t/$name")
    rc=$?
    [ $rc -ne 0 ] && echo "logs: $WORK/tmp_check/log/"
    record "$name" $rc
done

finish
