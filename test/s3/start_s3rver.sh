#!/usr/bin/env bash
# Starts s3rver (an S3-compatible server, npm) on 127.0.0.1 for the tests.
#
#   start_s3rver.sh [--tls <cert-dir>] <port> <data-dir>
#
# Port 0 picks a free port. With --tls it serves HTTPS with a self-signed
# certificate for 127.0.0.1 and localhost, created in <cert-dir> (cert.pem is
# also the CA file clients should trust) unless already there.
# Prints "s3rver ready: <url>" once it listens. The script execs node, so its
# pid is the server's: stop it with `kill <pid>` (SIGTERM).
# Needs `npm ci` in this directory first (scripts/setup.sh does it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

tls_dir=
if [ "${1:-}" = --tls ]; then
    tls_dir=$2
    shift 2
fi
if [ $# -ne 2 ]; then
    echo "usage: $0 [--tls <cert-dir>] <port> <data-dir>" >&2
    exit 2
fi
port=$1
data=$2
mkdir -p "$data"

if [ ! -d "$here/node_modules/s3rver" ]; then
    echo "$0: s3rver is not installed: run 'npm ci' in $here" >&2
    exit 1
fi

# s3rver 3.7 encrypts ListObjectsV2 continuation tokens with DES, which
# OpenSSL 3 only has in its legacy provider: without it every truncated
# listing (more than max-keys objects) fails with 500 InternalError.
node=(node --openssl-legacy-provider)

if [ -z "$tls_dir" ]; then
    exec "${node[@]}" "$here/run_s3rver.js" "$port" "$data"
fi

bash "$here/make_test_cert.sh" "$tls_dir"
exec "${node[@]}" "$here/run_s3rver.js" "$port" "$data" "$tls_dir/key.pem" "$tls_dir/cert.pem"
