#!/usr/bin/env bash
# Runs the unit tests that start PostgreSQL servers (which refuse root) as the
# server user, when the unit tests run as root (`make unittest` from
# test/run_tests.sh): under root ctest skips them.
#
#   as_server_user.sh <build-dir> <gtest filter>
#
# The test binary and the pg_safekeep tool beside it (the tests' restore
# command) are copied to a directory that user can read: the build tree may
# be under a home directory it cannot enter.
set -euo pipefail
build=$1
filter=$2
user=${SAFEKEEP_TEST_USER:-postgres}

[ "$(id -u)" -eq 0 ] || exit 0 # not root: ctest ran them already

dir=$(mktemp -d /tmp/sk_unit_bin_XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$build/unit_tests" "$build/pg_safekeep" "$dir/"
chown -R "$user": "$dir"
echo "as $user: unit_tests --gtest_filter='$filter'"
(cd "$dir" && runuser -u "$user" -- ./unit_tests --gtest_filter="$filter") | tee "$dir/out"
# A skip here would hide that they did not run (no initdb, say): that fails.
if grep -q '^\[  SKIPPED \]' "$dir/out"; then
    echo "as_server_user.sh: tests were skipped as $user" >&2
    exit 1
fi
