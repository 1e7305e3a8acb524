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
    # tests: GoogleTest, prove + IPC::Run for the TAP tests, ps (019, 020)
    libgtest-dev perl libipc-run-perl procps
    # scheduling and comparison tools, formatting
    postgresql-15-cron pgbackrest rsync clang-format
    # notification tests: a real SMTP server on loopback
    python3-aiosmtpd
    # S3 tests: botocore signs the SigV4 oracle's requests; node + npm run
    # s3rver (an S3-compatible server on loopback; openssl makes its certificate)
    # (npm comes with nodejs from NodeSource, separately in Debian: see below)
    python3-botocore nodejs openssl
    # a real S3 server for the S3 tests: Ceph's radosgw with one monitor and
    # one in-memory OSD (test/s3/start_radosgw.sh)
    radosgw ceph-mon ceph-osd ceph-common curl
)

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root" >&2
    exit 2
fi

# Another apt-get or unattended-upgrades may hold the dpkg lock (a fresh
# cloud machine often runs one at boot): wait for it instead of failing.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup.sh: all packages already installed"
else
    echo "setup.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_get update
    apt_get install -y --no-install-recommends "${missing[@]}"
fi

# s3rver for the S3 client's tests, at the versions package-lock.json pins.
s3dir="$(cd "$(dirname "$0")/.." && pwd)/test/s3"
if [ ! -d "$s3dir/node_modules/s3rver" ]; then
    if ! command -v npm >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt_get install -y --no-install-recommends npm
    fi
    echo "setup.sh: npm ci in $s3dir"
    (cd "$s3dir" && npm ci --no-audit --no-fund)
fi
