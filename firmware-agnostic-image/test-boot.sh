#!/usr/bin/env bash
# Usage: firmware-agnostic-image/test-boot.sh amd64|arm64
# Boots out/knowd-<arch>.qcow2 (through a throw-away overlay: the built image stays pristine) under
# qemu-system-x86_64 (or qemu-system-aarch64 -M virt) with TCG, inside a network namespace of its own
# (user-mode networking, hostfwd on 127.0.0.1 only, restrict=on: the guest reaches nothing else), and
# checks from the host:
#   boot 1 (UEFI, OVMF): first boot provisions from a seed disk (test SSH key, token secret), the root
#     grows to the disk, /healthz answers, a transaction writes, `ssh` runs `knowdctl status`, the
#     generated admin password is on the console but not in the journal, `systemctl is-system-running`
#     says running; then a clean power-off.
#   boot 2 (amd64: legacy BIOS, SeaBIOS; arm64: UEFI again), same disk: no re-provisioning, the data is
#     still there, running.
# Exit 0 only when every check passed. Run as root (network namespaces); installs what it needs.
# Environment: KNOWD_BOOT_TIMEOUT (seconds per wait, default 420), KNOWD_ACCEL (tcg; kvm on real VT-x).
# Commands in single quotes run in the guest, where they expand (SC2016); helper functions are
# called through check/wait_for and the traps (SC2317).
# shellcheck disable=SC2016,SC2317
set -euo pipefail

usage() { echo "usage: $0 amd64|arm64" >&2; exit 2; }
[ "$#" -eq 1 ] || usage
ARCH=$1
case "$ARCH" in
  amd64) QEMU=qemu-system-x86_64 QEMU_PKG=qemu-system-x86 FW_PKG=ovmf SECOND=bios
         MACHINE=(-machine q35 -cpu max)
         FW_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd FW_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd ;;
  arm64) QEMU=qemu-system-aarch64 QEMU_PKG=qemu-system-arm FW_PKG=qemu-efi-aarch64 SECOND=uefi
         MACHINE=(-machine virt -cpu "max,pauth-impdef=on")
         FW_CODE=/usr/share/AAVMF/AAVMF_CODE.fd FW_VARS=/usr/share/AAVMF/AAVMF_VARS.fd ;;
  *) usage ;;
esac
if [ "$(id -u)" != 0 ]; then echo "$0: run as root (it creates a network namespace)" >&2; exit 1; fi
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
IMAGE=$HERE/out/knowd-$ARCH.qcow2
[ -f "$IMAGE" ] || { echo "$0: $IMAGE is missing: run build.sh $ARCH first" >&2; exit 1; }
TIMEOUT=${KNOWD_BOOT_TIMEOUT:-420}
ACCEL=${KNOWD_ACCEL:-tcg}

need=()
for tool in "$QEMU:$QEMU_PKG" qemu-img:qemu-utils ssh:openssh-client ssh-keygen:openssh-client \
            curl:curl mkfs.vfat:dosfstools mcopy:mtools ip:iproute2; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
[ -f "$FW_CODE" ] || need+=("$FW_PKG")
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"
fi

started=$(date +%s)
say() { echo "== [$(( $(date +%s) - started ))s] $*"; }
failed=0
check() { # description command...
  local what=$1; shift
  if "$@" >/dev/null; then echo "PASS $what"; else echo "FAIL $what"; failed=1; fi
}

WORK=$(mktemp -d /tmp/knowd-boot.XXXXXX)
NS=knowd-boot-$$
QEMU_PID=
cleanup() {
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$QEMU_PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
  if [ "$failed" != 0 ] && [ -n "${KNOWD_KEEP_LOGS:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
inns() { ip netns exec "$NS" "$@"; }

# --- the disk, the seed, the test key ------------------------------------------------------------
# A 4 GiB overlay on the 1.7 GiB image: first boot must grow the root partition into the rest.
qemu-img create -q -f qcow2 -b "$IMAGE" -F qcow2 "$WORK/disk.qcow2" 4G
cp "$FW_VARS" "$WORK/vars.fd"
ssh-keygen -q -t ed25519 -N '' -C knowd-boot-test -f "$WORK/id"
SECRET=$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')
cat > "$WORK/knowd-seed.json" <<SEED
{"version": 1, "sshAuthorizedKeys": ["$(cat "$WORK/id.pub")"], "settings": {"KNOWD_TOKEN_SECRET": "$SECRET"}}
SEED
mkfs.vfat -C -n KNOWD-SEED "$WORK/seed.img" 2048 >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -i "$WORK/seed.img" "$WORK/knowd-seed.json" ::/
# The secret goes in the environment, not argv: not in ps, and a value starting with '-' is not
# taken for one of node's options (it was, once in 64 runs: 'node: bad option').
TOKEN=$(cd "$REPO" && KNOWD_TEST_SECRET="$SECRET" node --input-type=module -e "
  import { SignJWT } from 'jose';
  const t = await new SignJWT({ role: 'admin', ns: '*' }).setProtectedHeader({ alg: 'HS256' }).setSubject('boot-test')
    .setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(process.env.KNOWD_TEST_SECRET));
  console.log(t);")

HTTP=18090 SSHP=10022
boot() { # bios|uefi logfile
  local fw=()
  if [ "$1" = uefi ]; then fw=(-drive "if=pflash,format=raw,readonly=on,file=$FW_CODE" -drive "if=pflash,format=raw,file=$WORK/vars.fd"); fi
  # Straight through `ip netns exec` (it execs, no fork), so $! is QEMU's own PID.
  ip netns exec "$NS" "$QEMU" "${MACHINE[@]}" -accel "$ACCEL" -smp 2 -m 1536 "${fw[@]}" \
    -drive "file=$WORK/disk.qcow2,if=virtio,format=qcow2" \
    -drive "file=$WORK/seed.img,if=virtio,format=raw,readonly=on" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$HTTP-:8090,hostfwd=tcp:127.0.0.1:$SSHP-:22" \
    -device virtio-net-pci,netdev=n0 \
    -display none -monitor none -serial "file:$2" &
  QEMU_PID=$!
}
http() { # method path [body] → body on stdout; fails on a non-2xx status
  inns curl -sS --fail-with-body --max-time 120 -X "$1" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' ${3:+--data "$3"} "http://127.0.0.1:$HTTP$2"
}
gssh() {
  inns ssh -q -i "$WORK/id" -p "$SSHP" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=15 root@127.0.0.1 "$@"
}
wait_for() { # description command...
  local what=$1 t0; shift; t0=$(date +%s)
  while ! "$@" >/dev/null 2>&1; do
    if ! kill -0 "$QEMU_PID" 2>/dev/null; then say "qemu exited while waiting for $what"; return 1; fi
    if grep -aqs 'Kernel panic' "$WORK"/serial-*.log; then say "the guest kernel panicked while waiting for $what"; return 1; fi
    if [ $(( $(date +%s) - t0 )) -ge "$TIMEOUT" ]; then say "timed out after ${TIMEOUT}s waiting for $what"; return 1; fi
    sleep 3
  done
  say "$what after $(( $(date +%s) - t0 ))s"
}
poweroff() {
  gssh systemctl poweroff || true
  for _ in $(seq 120); do kill -0 "$QEMU_PID" 2>/dev/null || { QEMU_PID=; return 0; }; sleep 1; done
  echo "FAIL the guest did not power off within 120s"; failed=1
  kill "$QEMU_PID"; QEMU_PID=
}
fatal() { echo "FAIL $*"; failed=1; tail -n 60 "$WORK"/serial-*.log >&2 || true; exit 1; }

# --- boot 1: UEFI, first boot ----------------------------------------------------------------------
say "boot 1 (UEFI, first boot) under $ACCEL"
boot uefi "$WORK/serial-1.log"
wait_for "/healthz (boot 1)" http GET /healthz || fatal "knowd never became healthy on first boot"
check "/healthz answers 200" http GET /healthz
TX='{"add": "<http://example.org/appliance> <http://example.org/survives> \"reboot\" .", "format": "n-triples", "actor": "boot-test"}'
tx_writes() { http POST /v1/tx "$TX" | grep -q '"added":1'; }
check "POST /v1/tx writes" tx_writes
wait_for "ssh (boot 1)" gssh true || fatal "ssh never answered with the test key"
check "ssh runs knowdctl status" gssh "KNOWDCTL_TOKEN=$TOKEN knowdctl status"
system_running() { [ "$(gssh timeout 300 systemctl is-system-running --wait)" = running ]; }
check "systemctl is-system-running says running" system_running
check "provisioned: marker, knowd-<machine id> hostname, settings 0640 root:knowd" \
  gssh 'test -f /etc/knowd/provisioned && hostname | grep -Eq "^knowd-[0-9a-f]{8}$" && [ "$(stat -c "%a %U %G" /etc/knowd/knowd.env)" = "640 root knowd" ] && test -s /etc/knowd/hardware.json'
PASSWORD=$(gssh cat /etc/knowd/initial-admin-password || true)
check "the generated admin password is on the console" grep -qF "$PASSWORD" "$WORK/serial-1.log"
motd_shows() { gssh /etc/update-motd.d/60-knowd-admin-password | grep -qF "$PASSWORD"; }
check "... and shown at SSH login (motd)" motd_shows
check "... but never in the journal" gssh "! journalctl -q -b --no-pager | grep -qF '$PASSWORD'"
check "the root filesystem grew to the 4 GiB disk" gssh '[ "$(findmnt -bno SIZE /)" -gt 3000000000 ]'
check "sshd takes keys only" gssh 'sshd -T | grep -qx "passwordauthentication no"'
check "the admin socket is 0660 root-or-knowd" gssh '[ "$(stat -c "%a %G" /var/lib/knowd/admin.sock)" = "660 knowd" ]'
say "power off"
poweroff

# --- boot 2: legacy BIOS (amd64) or UEFI again (arm64), same disk --------------------------------
say "boot 2 ($SECOND) under $ACCEL"
boot "$SECOND" "$WORK/serial-2.log"
wait_for "/healthz (boot 2)" http GET /healthz || fatal "knowd never became healthy after the reboot"
Q='{"query": "SELECT ?o WHERE { <http://example.org/appliance> <http://example.org/survives> ?o }"}'
data_kept() { http POST /v1/query "$Q" | grep -q reboot; }
check "the transaction survived the reboot" data_kept
wait_for "ssh (boot 2)" gssh true || fatal "ssh did not answer after the reboot"
check "provisioning did not run again" gssh '[ "$(systemctl show -P ConditionResult knowd-provision.service)" = no ]'
check "systemctl is-system-running says running (boot 2)" system_running
if [ "$failed" != 0 ]; then gssh 'systemctl --failed --no-pager; journalctl -b -p warning --no-pager | tail -n 40' || true; fi
poweroff

say "done"
if [ "$failed" = 0 ]; then echo "test-boot: all checks passed"; else echo "test-boot: some checks FAILED"; fi
exit "$failed"
