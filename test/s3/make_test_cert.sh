#!/usr/bin/env bash
# make_test_cert.sh <cert-dir>: a self-signed certificate for 127.0.0.1 and
# localhost (cert.pem, key.pem), unless already there; cert.pem doubles as
# the CA file clients trust. Used by the S3 servers' start scripts.
set -euo pipefail
dir=$1
mkdir -p "$dir"
if [ ! -s "$dir/cert.pem" ] || [ ! -s "$dir/key.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 30 \
        -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
fi
