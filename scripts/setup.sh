#!/usr/bin/env bash
# Installs everything pg_safekeep needs to build, test and run on Debian
# bookworm.  Idempotent: when every package is already there it changes nothing
# (and skips apt-get update, so it also works offline).  Run as root.
set -euo pipefail

PACKAGES=(
    # server, client (pg_ctl, psql, pgbench, the TAP test modules), PGXS
    postgresql-15 postgresql-client-15 postgresql-server-dev-15
    # the C++ core
    g++ make cmake libzstd-dev libssl-dev libcurl4-openssl-dev nlohmann-json3-dev
    # tests: GoogleTest, prove + IPC::Run for the TAP tests
    libgtest-dev perl libipc-run-perl
    # scheduling and comparison tools, formatting
    postgresql-15-cron pgbackrest rsync clang-format
    # notification tests: a real SMTP server on loopback
    python3-aiosmtpd
)

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root" >&2
    exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup.sh: all packages already installed"
    exit 0
fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
