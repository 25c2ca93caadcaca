#!/usr/bin/env bash
# Usage: firmware-agnostic-image/test-cluster.sh amd64 [N]
# Boots N (default 3) guests of out/knowd-amd64.qcow2 (each on its own overlay) on a private Ethernet:
# tap devices on a Linux bridge inside a network namespace of their own, with no route anywhere else.
# There is no DHCP on that link, so each guest takes an IPv4 link-local address and avahi announces it.
# Checks that every node discovers the others by mDNS (/v1/cluster/status → discovery.peers), then forms
# one cluster: `knowdctl cluster init` on the first, `knowdctl cluster join --token T` on the others
# (no --url: knowdctl finds the cluster by mDNS, as an operator on the appliance would), and a write on
# the first is read on the last.
# Each guest also has a user-mode NIC (restrict=on) with hostfwd on the namespace's 127.0.0.1 for the checks.
# Commands in single quotes run in the guest (SC2016); helpers are called through check/wait_for (SC2317).
# shellcheck disable=SC2016,SC2317
set -euo pipefail

usage() { echo "usage: $0 amd64 [N]" >&2; exit 2; }
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then usage; fi
[ "$1" = amd64 ] || usage
N=${2:-3}
[[ "$N" =~ ^[2-5]$ ]] || { echo "$0: N must be 2 to 5" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then echo "$0: run as root (network namespaces, tap devices)" >&2; exit 1; fi
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
IMAGE=$HERE/out/knowd-amd64.qcow2
[ -f "$IMAGE" ] || { echo "$0: $IMAGE is missing: run build.sh amd64 first" >&2; exit 1; }
TIMEOUT=${KNOWD_BOOT_TIMEOUT:-600}
ACCEL=${KNOWD_ACCEL:-tcg}
for tool in qemu-system-x86_64 qemu-img ssh ssh-keygen curl mkfs.vfat mcopy ip; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is missing: run test-boot.sh once (it installs the tools)" >&2; exit 1; }
done

started=$(date +%s)
say() { echo "== [$(( $(date +%s) - started ))s] $*"; }
failed=0
check() { local what=$1; shift; if "$@" >/dev/null; then echo "PASS $what"; else echo "FAIL $what"; failed=1; fi; }

WORK=$(mktemp -d /tmp/knowd-cluster.XXXXXX)
NS=knowd-cl-$$
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  ip netns del "$NS" 2>/dev/null || true
  if [ "$failed" != 0 ] && [ -n "${KNOWD_KEEP_LOGS:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
inns() { ip netns exec "$NS" "$@"; }
inns ip link set lo up
# The private link: multicast snooping off, so mDNS reaches every port at once.
inns ip link add br0 type bridge mcast_snooping 0
inns ip link set br0 up

ssh-keygen -q -t ed25519 -N '' -C knowd-cluster-test -f "$WORK/id"
SECRET=$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')
# The secret goes in the environment, not argv: not in ps, and a value starting with '-' is not
# taken for one of node's options (it was, once in 64 runs: 'node: bad option').
TOKEN=$(cd "$REPO" && KNOWD_TEST_SECRET="$SECRET" node --input-type=module -e "
  import { SignJWT } from 'jose';
  console.log(await new SignJWT({ role: 'admin', ns: '*' }).setProtectedHeader({ alg: 'HS256' }).setSubject('cluster-test')
    .setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(process.env.KNOWD_TEST_SECRET)));")
# One seed for all: the test key and one token secret (so one bearer token works on every node).
printf '{"version": 1, "sshAuthorizedKeys": ["%s"], "settings": {"KNOWD_TOKEN_SECRET": "%s"}}\n' "$(cat "$WORK/id.pub")" "$SECRET" > "$WORK/knowd-seed.json"
mkfs.vfat -C -n KNOWD-SEED "$WORK/seed.img" 2048 >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -i "$WORK/seed.img" "$WORK/knowd-seed.json" ::/

for i in $(seq "$N"); do
  inns ip tuntap add dev "tap$i" mode tap
  inns ip link set "tap$i" master br0 up
  qemu-img create -q -f qcow2 -b "$IMAGE" -F qcow2 "$WORK/disk$i.qcow2" 4G
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars$i.fd"
  # Distinct MACs: every QEMU would otherwise number its NICs from the same address.
  ip netns exec "$NS" qemu-system-x86_64 -machine q35 -cpu max -accel "$ACCEL" -smp 2 -m 1280 \
    -drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd" -drive "if=pflash,format=raw,file=$WORK/vars$i.fd" \
    -drive "file=$WORK/disk$i.qcow2,if=virtio,format=qcow2" \
    -drive "file=$WORK/seed.img,if=virtio,format=raw,readonly=on" \
    -netdev "tap,id=lan,ifname=tap$i,script=no,downscript=no" -device "virtio-net-pci,netdev=lan,mac=52:54:00:4b:00:0$i" \
    -netdev "user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:$((18090 + i))-:8090,hostfwd=tcp:127.0.0.1:$((10022 + i))-:22" \
    -device "virtio-net-pci,netdev=mgmt,mac=52:54:00:4b:01:0$i" \
    -display none -monitor none -serial "file:$WORK/serial-$i.log" &
  PIDS+=("$!")
done
say "$N guests started under $ACCEL"

http() { # node method path [body]
  inns curl -sS --fail-with-body --max-time 60 -X "$2" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' ${4:+--data "$4"} "http://127.0.0.1:$((18090 + $1))$3"
}
gssh() { # node command
  local i=$1; shift
  inns ssh -q -i "$WORK/id" -p "$((10022 + i))" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=15 root@127.0.0.1 "$@"
}
wait_for() { # description command...
  local what=$1 t0; shift; t0=$(date +%s)
  while ! "$@" >/dev/null 2>&1; do
    if [ $(( $(date +%s) - t0 )) -ge "$TIMEOUT" ]; then say "timed out after ${TIMEOUT}s waiting for $what"; return 1; fi
    if grep -aq 'Kernel panic' "$WORK"/serial-*.log; then say "a guest kernel panicked while waiting for $what"; return 1; fi
    sleep 3
  done
  say "$what after $(( $(date +%s) - t0 ))s"
}
fatal() { echo "FAIL $*"; failed=1; exit 1; }

for i in $(seq "$N"); do wait_for "node $i /healthz" http "$i" GET /healthz || fatal "node $i never became healthy"; done
declare -A HOST
for i in $(seq "$N"); do
  wait_for "node $i ssh" gssh "$i" true || fatal "node $i: no ssh"
  HOST[$i]=$(gssh "$i" hostname)
done
say "nodes: ${HOST[*]}"

# Discovery: every node lists the other N-1 by mDNS (knowd's own avahi browser).
peers_seen() { # node → true when it lists all others
  local i=$1 j body
  body=$(http "$i" GET /v1/cluster/status)
  for j in $(seq "$N"); do
    [ "$j" = "$i" ] && continue
    grep -Eq "\"host\":\"${HOST[$j]}\\.local\\.?\"" <<<"$body" || return 1
  done
}
for i in $(seq "$N"); do
  wait_for "node $i sees the other $((N - 1)) by mDNS" peers_seen "$i" || { failed=1; echo "FAIL node $i discovery: $(http "$i" GET /v1/cluster/status || true)"; }
done
[ "$failed" = 0 ] && echo "PASS every node discovered every other by mDNS"
# nss-mdns: the first node's .local name resolves on the others (what the member ids and gRPC use).
for i in $(seq 2 "$N"); do check "node $i resolves ${HOST[1]}.local" gssh "$i" "getent hosts ${HOST[1]}.local"; done

# One cluster: init on node 1, restart it as the first voter, then each other node joins: knowdctl
# browses mDNS for a provisioned node and presents the token to it (no address given).
init=$(gssh 1 "KNOWDCTL_TOKEN=$TOKEN knowdctl cluster init --json") || fatal "cluster init on node 1: $init"
say "cluster init on ${HOST[1]}"
gssh 1 systemctl restart knowd
leads() { http 1 GET /v1/cluster/status | grep -q '"mode":"leader"'; }
wait_for "node 1 leads" leads || fatal "node 1 did not become leader: $(http 1 GET /v1/cluster/status || true)"
for i in $(seq 2 "$N"); do
  t=$(gssh 1 "KNOWDCTL_TOKEN=$TOKEN knowdctl cluster token --json" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [ -n "$t" ] || fatal "no join token from node 1"
  gssh "$i" "systemctl stop knowd && runuser -u knowd -- knowdctl --data-dir /var/lib/knowd cluster join --wipe --token '$t' --grpc-addr ${HOST[$i]}.local:8091 && systemctl start knowd" \
    || fatal "node $i could not join"
  say "node $i joined"
done
members_ok() { http 1 GET /v1/cluster/status | node -e "
  let s=''; process.stdin.on('data', d => s += d).on('end', () => {
    const v = JSON.parse(s).voters; process.exit(Array.isArray(v) && v.length === $N ? 0 : 1); });"; }
wait_for "$N voters" members_ok || { failed=1; echo "FAIL cluster membership: $(http 1 GET /v1/cluster/status || true)"; }
TX='{"add": "<http://example.org/cluster> <http://example.org/has> \"3 nodes\" .", "format": "n-triples"}'
idx=$(http 1 POST /v1/tx "$TX" | sed -n 's/.*"logIndex":\([0-9]*\).*/\1/p')
read_on_last() { inns curl -sS --fail --max-time 60 -H "authorization: Bearer $TOKEN" -H "x-knowd-min-index: $idx" -H 'content-type: application/json' \
  --data '{"query": "SELECT ?o WHERE { <http://example.org/cluster> <http://example.org/has> ?o }"}' "http://127.0.0.1:$((18090 + N))/v1/query" | grep -q '3 nodes'; }
check "a write on node 1 is read on node $N" read_on_last

say "done"
if [ "$failed" = 0 ]; then echo "test-cluster: all checks passed"; else echo "test-cluster: some checks FAILED"; fi
exit "$failed"
