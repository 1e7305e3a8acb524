#!/usr/bin/env bash
# Starts a one-machine Ceph cluster with an S3 gateway on 127.0.0.1 for the
# tests: one monitor, one OSD keeping objects in RAM (memstore, no disk
# setup), radosgw with the beast frontend, cephx authentication.
#
#   start_radosgw.sh [--tls <cert-dir>] <port> <data-dir>
#
# Port 0 picks a free port. With --tls it serves HTTPS with a self-signed
# certificate for 127.0.0.1 and localhost, created in <cert-dir> (cert.pem is
# also the CA file clients should trust) unless already there.
# Creates the S3 user RADOSGW_ACCESS_KEY / RADOSGW_SECRET_KEY (defaults
# below) and the buckets named in RADOSGW_BUCKETS (space-separated, default
# pgbackups), prints "radosgw ready: <url>", then waits: SIGTERM or SIGINT
# stops the three daemons and removes nothing (the caller owns <data-dir>);
# so does the exit of the process that started the script.
# Runs as any user (the tests run it as postgres); needs the Debian packages
# radosgw ceph-mon ceph-osd ceph-common and python3-botocore (s3_client.py).
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
dir=$(mkdir -p "$2" && cd "$2" && pwd)
access_key=${RADOSGW_ACCESS_KEY:-SAFEKEEPTESTKEY0001}
secret_key=${RADOSGW_SECRET_KEY:-safekeep-radosgw-test-secret-0001}
buckets=${RADOSGW_BUCKETS:-pgbackups}

for prog in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool ceph; do
    command -v "$prog" >/dev/null || {
        echo "$0: $prog is missing (apt-get install radosgw ceph-mon ceph-osd ceph-common)" >&2
        exit 1
    }
done

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
[ "$port" != 0 ] || port=$(free_port)
mon_port=$(free_port)

parent=$PPID
pids=()
gateway=
# One daemon, given 10 s to stop cleanly before SIGKILL.
stop_daemon() {
    kill "$1" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
stop_gateway() {
    [ -z "$gateway" ] || stop_daemon "$gateway"
    gateway=
}
# Newest first: the gateway, then the OSD, then the monitor.
stop() {
    local i
    stop_gateway
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        stop_daemon "${pids[i]}"
    done
    pids=()
}
trap 'stop; exit 0' TERM INT
trap stop EXIT

mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/log"
scheme=http
frontend="beast endpoint=127.0.0.1:$port tcp_nodelay=1"
if [ -n "$tls_dir" ]; then
    bash "$here/make_test_cert.sh" "$tls_dir"
    scheme=https
    frontend="beast ssl_endpoint=127.0.0.1:$port ssl_certificate=$tls_dir/cert.pem"
    frontend+=" ssl_private_key=$tls_dir/key.pem tcp_nodelay=1"
fi

url="$scheme://127.0.0.1:$port"
fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
conf=$dir/ceph.conf
cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = 127.0.0.1:$mon_port
mon initial members = a
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/\$name.keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
# one OSD: every pool has one copy and few placement groups
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
# a test cluster: no waiting for a manager, small limits
mon pg warn min per osd = 0

[mon.a]
mon data = $dir/mon

[osd.0]
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = 4294967296

[client.rgw.a]
rgw frontends = $frontend
rgw data = $dir/rgw
rgw enable usage log = false
# quotas (a test's full repository) checked against fresh usage, not a
# ten-minute cache
rgw bucket quota ttl = 0
EOF

ceph_auth=(ceph-authtool)
"${ceph_auth[@]}" --create-keyring "$dir/mon..keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
"${ceph_auth[@]}" --create-keyring "$dir/client.admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
"${ceph_auth[@]}" "$dir/mon..keyring" --import-keyring "$dir/client.admin.keyring" >/dev/null
cp "$dir/mon..keyring" "$dir/mon.a.keyring"
monmaptool --create --add a "127.0.0.1:$mon_port" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon..keyring"
ceph-mon -c "$conf" -i a -f 2>>"$dir/log/mon.stderr" &
pids+=($!)

ceph=(ceph -c "$conf" --connect-timeout 30)
for _ in $(seq 1 100); do
    "${ceph[@]}" mon stat >/dev/null 2>&1 && break
    sleep 0.2
done

osd_uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
osd_id=$("${ceph[@]}" osd new "$osd_uuid")
ceph-authtool --create-keyring "$dir/osd.$osd_id.keyring" --gen-key -n "osd.$osd_id" >/dev/null
"${ceph[@]}" auth add "osd.$osd_id" osd 'allow *' mon 'allow profile osd' \
    -i "$dir/osd.$osd_id.keyring" >/dev/null 2>&1
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd-mkfs.log" 2>&1
"${ceph[@]}" osd crush add "osd.$osd_id" 1.0 host=localhost root=default >/dev/null 2>&1 ||
    "${ceph[@]}" osd crush create-or-move "osd.$osd_id" 1.0 host=localhost root=default >/dev/null
ceph-osd -c "$conf" -i "$osd_id" -f 2>>"$dir/log/osd.stderr" &
pids+=($!)
for _ in $(seq 1 150); do
    "${ceph[@]}" osd stat 2>/dev/null | grep -q '1 up' && break
    sleep 0.2
done

"${ceph[@]}" auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' \
    -o "$dir/client.rgw.a.keyring" >/dev/null
# The gateway alone can be stopped and started again (SIGUSR1, SIGUSR2): an
# S3 outage with the objects kept (the OSD holds them in RAM).
start_gateway() {
    radosgw -c "$conf" -n client.rgw.a -f 2>>"$dir/log/rgw.stderr" &
    gateway=$!
}
# Ready once it answers a request (any HTTP status).
wait_gateway() {
    local curl_tls=()
    [ -z "$tls_dir" ] || curl_tls=(--cacert "$tls_dir/cert.pem")
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "${curl_tls[@]}" "$url/" && return 0
        sleep 0.1
    done
    echo "$0: radosgw does not answer at $url (logs in $dir/log)" >&2
    exit 1
}
start_gateway

admin=(radosgw-admin -c "$conf")
for _ in $(seq 1 150); do
    "${admin[@]}" user create --uid=safekeep --display-name=safekeep \
        --access-key="$access_key" --secret="$secret_key" >/dev/null 2>&1 && break
    sleep 0.2
done

wait_gateway
ca=
[ -z "$tls_dir" ] || ca=$tls_dir/cert.pem
# shellcheck disable=SC2086 # the bucket list is split on spaces
S3_URL=$url S3_CA=$ca S3_ACCESS_KEY=$access_key S3_SECRET_KEY=$secret_key \
    python3 "$here/s3_client.py" make-buckets $buckets

echo "radosgw ready: $url"
trap 'stop_gateway; echo "radosgw stopped"' USR1
trap 'if [ -z "$gateway" ]; then start_gateway; wait_gateway; fi; echo "radosgw ready: $url"' USR2
# Until a signal (the trap stops the daemons), a daemon dies, or whoever
# started us is gone: a test killed with -9 leaves no cluster behind.
while [ -d "/proc/$parent" ]; do
    for p in "${pids[@]}" $gateway; do
        kill -0 "$p" 2>/dev/null || {
            echo "$0: a Ceph daemon exited (logs in $dir/log)" >&2
            exit 1
        }
    done
    sleep 0.5
done
echo "$0: the process that started radosgw is gone: stopping it" >&2
exit 1
