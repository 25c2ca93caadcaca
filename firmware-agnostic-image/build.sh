#!/usr/bin/env bash
# Usage: firmware-agnostic-image/build.sh amd64|arm64
# Builds the Knowd appliance disk image from Debian bookworm packages (mmdebstrap, the mirror of the
# host's apt sources) and the npm registry (Node.js, Knowd's production dependencies):
#   out/knowd-<arch>.raw, out/knowd-<arch>.qcow2, out/knowd-<arch>.manifest.txt
# Run as root on Debian bookworm; installs its own build tools with apt-get. No loop devices, no mounts.
# Environment:
#   KNOWD_NOTIFY=auto|yes|no   knowd.service as Type=notify with a watchdog (yes), or Type=exec through a
#                              drop-in while knowd cannot notify yet (no); auto: yes when the built knowd
#                              speaks sd_notify (it mentions NOTIFY_SOCKET).
#   INITRD_MODULES=most|list   generic initramfs (default), or a short virtio/nvme/ahci list (arm64 builds
#                              several times faster under emulation; fine for VMs, not for every server).
#   SOURCE_DATE_EPOCH          defaults to the time of the last git commit.
set -euo pipefail

usage() { echo "usage: $0 amd64|arm64" >&2; exit 2; }
[ "$#" -eq 1 ] || usage
ARCH=$1
case "$ARCH" in
  amd64) NPM_CPU=x64 KERNEL=linux-image-amd64 ;;
  arm64) NPM_CPU=arm64 KERNEL=linux-image-arm64 ;;
  *) usage ;;
esac
if [ "$(id -u)" != 0 ]; then echo "$0: run as root (mmdebstrap --mode=root, file ownership in the image)" >&2; exit 1; fi
KNOWD_NOTIFY=${KNOWD_NOTIFY:-auto}
INITRD_MODULES=${INITRD_MODULES:-most}
case "$KNOWD_NOTIFY" in auto|yes|no) ;; *) echo "$0: KNOWD_NOTIFY must be auto, yes or no, not '$KNOWD_NOTIFY'" >&2; exit 2 ;; esac
case "$INITRD_MODULES" in most|list) ;; *) echo "$0: INITRD_MODULES must be most or list, not '$INITRD_MODULES'" >&2; exit 2 ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OUT=$HERE/out
WORK=$HERE/work/$ARCH
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)}
started=$(date +%s)
step() { echo "== [$(( $(date +%s) - started ))s] $*"; }

# --- 1. Build tools (only what is missing) --------------------------------------------------------
need=()
for tool in mmdebstrap:mmdebstrap mkfs.ext4:e2fsprogs mkfs.vfat:dosfstools mcopy:mtools sfdisk:fdisk \
            qemu-img:qemu-utils zstd:zstd; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ "$ARCH" = amd64 ]; then
  [ -d /usr/lib/grub/i386-pc ] || need+=(grub-pc-bin)
  command -v grub-mkimage >/dev/null || need+=(grub2-common)
else
  command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
  command -v update-binfmts >/dev/null || need+=(binfmt-support)
  command -v arch-test >/dev/null || need+=(arch-test)   # mmdebstrap checks foreign-arch support with it
fi
if [ "${#need[@]}" -gt 0 ]; then
  step "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
if [ "$ARCH" = arm64 ]; then
  # Run the arm64 chroot's programs through qemu-user (flag F: works inside the chroot).
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64 || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "$0: binfmt for qemu-aarch64 is not registered" >&2; exit 1; }
fi

# --- 2. Knowd release + Node.js (npm registry) ----------------------------------------------------
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"
step "build Knowd (tsc)"
(cd "$REPO" && npm run build --silent)
VERSION=$(node -p "require('$REPO/package.json').version")
NODE_VERSION=$(node --version | sed 's/^v//')
REL=$WORK/release/$VERSION
mkdir -p "$REL"
cp "$REPO/package.json" "$REPO/package-lock.json" "$REPO/README.md" "$REL/"
step "production node_modules for linux-$NPM_CPU"
# --ignore-scripts: an install script would build or pick native code for the host's CPU; the
# prebuilt per-platform packages (@lmdb/lmdb-linux-*, @msgpackr-extract/*, usearch's prebuilds)
# are chosen by --cpu/--os instead. The customize step loads each addon inside the image to prove it.
(cd "$REL" && npm ci --omit=dev --ignore-scripts --os=linux --cpu="$NPM_CPU" --no-audit --no-fund --loglevel=error)
cp -a "$REPO/dist" "$REL/dist"
# The gRPC transport loads proto/knowd/v1/*.proto at run time, from beside dist/.
cp -a "$REPO/proto" "$REL/proto"
rm -rf "$REL/dist/test"
step "node $NODE_VERSION for linux-$NPM_CPU (npm package node-linux-$NPM_CPU)"
(cd "$WORK" && npm pack --silent "node-linux-$NPM_CPU@$NODE_VERSION" >/dev/null)
tar -xzf "$WORK"/node-linux-"$NPM_CPU"-*.tgz -C "$WORK" package/bin/node
mv "$WORK/package/bin/node" "$WORK/node"
if [ "$KNOWD_NOTIFY" = auto ]; then
  if grep -rqs NOTIFY_SOCKET "$REL/dist/src"; then KNOWD_NOTIFY=yes; else KNOWD_NOTIFY=no; fi
fi
step "knowd.service readiness: KNOWD_NOTIFY=$KNOWD_NOTIFY"

# --- 3. Root filesystem (mmdebstrap) --------------------------------------------------------------
# The mirrors of the host's apt sources (deb822), so the build uses the same archive as the host.
mapfile -t SOURCES < <(awk '
  /^URIs:/ {uri=$2} /^Suites:/ {$1=""; suites=$0} /^Components:/ {$1=""; comps=$0}
  /^$/ {if (uri!="") {n=split(suites, s, " "); for (i=1;i<=n;i++) print "deb " uri " " s[i] comps}; uri=""}
  END {if (uri!="") {n=split(suites, s, " "); for (i=1;i<=n;i++) print "deb " uri " " s[i] comps}}
' /etc/apt/sources.list.d/debian.sources)
[ "${#SOURCES[@]}" -gt 0 ] || { echo "$0: no deb lines found in /etc/apt/sources.list.d/debian.sources" >&2; exit 1; }
PACKAGES=(systemd systemd-sysv systemd-resolved udev dbus kmod e2fsprogs "$KERNEL" initramfs-tools
          systemd-boot-efi openssh-server avahi-daemon libnss-mdns chrony iproute2)
step "mmdebstrap bookworm $ARCH (${#PACKAGES[@]} packages + dependencies)"
ROOTFS=$WORK/rootfs
export KNOWD_ARCH=$ARCH KNOWD_REL=$REL KNOWD_VERSION=$VERSION KNOWD_NODE=$WORK/node KNOWD_REPO=$REPO \
       KNOWD_NOTIFY INITRD_MODULES
mmdebstrap --mode=root --variant=apt --architectures="$ARCH" --include="$(IFS=,; echo "${PACKAGES[*]}")" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook="'$HERE/hooks.sh' essential \"\$1\"" \
  --customize-hook="'$HERE/hooks.sh' customize \"\$1\"" \
  bookworm "$ROOTFS" "${SOURCES[@]}"

# --- 4. Disk ----------------------------------------------------------------------------------------
step "disk image"
"$HERE/make-disk.sh" "$ARCH" "$ROOTFS" "$OUT/knowd-$ARCH.raw"
step "qcow2 (zstd)"
rm -f "$OUT/knowd-$ARCH.qcow2"
qemu-img convert -f raw -O qcow2 -c -o compression_type=zstd "$OUT/knowd-$ARCH.raw" "$OUT/knowd-$ARCH.qcow2"

# --- 5. Manifest ------------------------------------------------------------------------------------
MANIFEST=$OUT/knowd-$ARCH.manifest.txt
{
  echo "# Knowd appliance image $ARCH"
  echo "knowd $VERSION (git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo "node $NODE_VERSION (npm node-linux-$NPM_CPU, sha256 $(sha256sum "$WORK/node" | cut -d' ' -f1))"
  echo "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"
  echo "knowd.service readiness: KNOWD_NOTIFY=$KNOWD_NOTIFY; initramfs modules: $INITRD_MODULES"
  printf 'source %s\n' "${SOURCES[@]}"
  echo "built with mmdebstrap $(dpkg-query -W -f='${Version}' mmdebstrap)$([ "$ARCH" = amd64 ] && echo ", grub-pc-bin $(dpkg-query -W -f='${Version}' grub-pc-bin)")"
  echo "raw sha256 $(sha256sum "$OUT/knowd-$ARCH.raw" | cut -d' ' -f1)"
  echo "# Debian packages (dpkg-query)"
  dpkg-query --admindir="$ROOTFS/var/lib/dpkg" -W -f='${Package} ${Version} ${Architecture}\n'
  echo "# npm packages in /opt/knowd/releases/$VERSION/node_modules"
  (cd "$REL" && npm ls --omit=dev --all --parseable --long 2>/dev/null | sed -n 's|.*/node_modules/\(.*\):\(.*\)@\([^:]*\):.*|\2 \3|p' | sort -u)
} > "$MANIFEST"
ls -l "$OUT/knowd-$ARCH.raw" "$OUT/knowd-$ARCH.qcow2" "$MANIFEST"
du -sh --apparent-size "$ROOTFS" | sed 's/^/rootfs /'
step "done: $OUT/knowd-$ARCH.qcow2"
