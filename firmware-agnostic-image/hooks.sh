#!/usr/bin/env bash
# Usage: hooks.sh essential|customize ROOTFS
# mmdebstrap hooks of build.sh (run on the host; ROOTFS is the image's root). The environment comes
# from build.sh: KNOWD_ARCH, KNOWD_REL, KNOWD_VERSION, KNOWD_NODE, KNOWD_REPO, KNOWD_NOTIFY, INITRD_MODULES.
set -euo pipefail

[ "$#" -eq 2 ] || { echo "usage: $0 essential|customize ROOTFS" >&2; exit 2; }
PHASE=$1
R=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=disk-ids.sh
. "$HERE/disk-ids.sh"

essential() {
  # The kernel and its triggers would each build the initramfs (minutes under arm64 emulation):
  # divert update-initramfs now, run it once at the end.
  chroot "$R" dpkg-divert --local --rename --add /usr/sbin/update-initramfs
  ln -sf /bin/true "$R/usr/sbin/update-initramfs"
}

install_file() { # mode src dst
  install -D -m "$1" "$2" "$R$3"
}

customize() {
  local rel=/opt/knowd/releases/$KNOWD_VERSION
  # Node.js and the Knowd release (layout: see systemd/README.md).
  install_file 0755 "$KNOWD_NODE" /usr/local/bin/node
  mkdir -p "$R/opt/knowd/releases"
  cp -a "$KNOWD_REL" "$R$rel"
  chown -R root:root "$R$rel"
  ln -sfn "releases/$KNOWD_VERSION" "$R/opt/knowd/current"
  install_file 0755 "$HERE/files/knowd" /usr/local/bin/knowd
  install_file 0755 "$HERE/files/knowdctl" /usr/local/bin/knowdctl
  install_file 0755 "$KNOWD_REPO/provision/knowd-provision" /usr/local/sbin/knowd-provision
  install_file 0755 "$KNOWD_REPO/provision/knowd-ack-admin-password" /usr/local/sbin/knowd-ack-admin-password
  install_file 0755 "$KNOWD_REPO/provision/60-knowd-admin-password" /etc/update-motd.d/60-knowd-admin-password
  # The native addons must load on the image's CPU and libc (arm64 runs through qemu-user here).
  chroot "$R" /usr/bin/env -i PATH=/usr/bin:/bin /bin/sh -c "cd /opt/knowd/current && /usr/local/bin/node --input-type=module -e \"
    await import('lmdb'); await import('usearch'); await import('msgpackr-extract');
    const { detectHardware } = await import('/opt/knowd/current/dist/src/obs/index.js');
    if (typeof detectHardware !== 'function') throw new Error('no detectHardware');
    console.log('node', process.version, process.arch, ': lmdb, usearch, msgpackr-extract load');\""

  # Units and system definitions, where packages put theirs (/etc stays the operator's).
  for unit in knowd.service knowd-provision.service knowd-ssh-keygen.service; do
    install_file 0644 "$KNOWD_REPO/systemd/$unit" "/usr/lib/systemd/system/$unit"
  done
  install_file 0644 "$KNOWD_REPO/systemd/knowd.sysusers" /usr/lib/sysusers.d/knowd.conf
  install_file 0644 "$KNOWD_REPO/systemd/knowd.tmpfiles" /usr/lib/tmpfiles.d/knowd.conf
  if [ "$KNOWD_NOTIFY" = no ]; then
    install_file 0644 "$HERE/files/knowd-no-notify.conf" /usr/lib/systemd/system/knowd.service.d/10-no-notify.conf
  fi
  install_file 0644 "$HERE/files/sshd-knowd.conf" /etc/ssh/sshd_config.d/knowd.conf
  install_file 0644 "$HERE/files/80-knowd.network" /etc/systemd/network/80-knowd.network
  install_file 0644 "$HERE/files/resolved-knowd.conf" /etc/systemd/resolved.conf.d/knowd.conf
  install_file 0644 "$HERE/files/journald-knowd.conf" /etc/systemd/journald.conf.d/knowd.conf
  install_file 0644 "$HERE/files/repart-root.conf" /usr/lib/repart.d/50-root.conf
  systemctl --root="$R" enable knowd-provision.service knowd.service knowd-ssh-keygen.service \
    systemd-networkd.service systemd-resolved.service
  # Nothing here needs the network up before it starts; waiting would cost 2 minutes without DHCP.
  systemctl --root="$R" mask systemd-networkd-wait-online.service
  mkdir -p "$R/var/log/journal" "$R/boot/efi"

  # Identity comes at first boot: machine id (ConditionFirstBoot), SSH host keys, hostname.
  echo uninitialized > "$R/etc/machine-id"
  rm -f "$R/var/lib/dbus/machine-id" "$R"/etc/ssh/ssh_host_*
  echo knowd > "$R/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
  # No password for anyone: SSH keys only (the root account stays locked).
  sed -i "s/^root:[^:]*:/root:*:/" "$R/etc/shadow"
  cat > "$R/etc/fstab" <<FSTAB
# <file system>          <mount point>  <type>  <options>                                        <dump> <pass>
UUID=$ROOT_UUID  /          ext4  defaults,x-systemd.growfs                         0 1
UUID=${ESP_VOLID:0:4}-${ESP_VOLID:4:4}           /boot/efi  vfat  umask=0077,nofail,x-systemd.device-timeout=60s  0 2
FSTAB

  # The initramfs, once.
  rm -f "$R/usr/sbin/update-initramfs"
  chroot "$R" dpkg-divert --local --rename --remove /usr/sbin/update-initramfs
  mkdir -p "$R/etc/initramfs-tools/conf.d"
  printf 'MODULES=%s\nCOMPRESS=gzip\n' "$INITRD_MODULES" > "$R/etc/initramfs-tools/conf.d/knowd.conf"
  if [ "$INITRD_MODULES" = list ]; then
    printf '%s\n' virtio_pci virtio_blk virtio_scsi virtio_net nvme ahci sd_mod ext4 vfat > "$R/etc/initramfs-tools/modules"
  fi
  chroot "$R" update-initramfs -c -k all

  # Build leftovers.
  rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb "$R"/tmp/* \
    "$R"/var/cache/debconf/*-old "$R"/var/lib/dpkg/*-old
  find "$R/var/log" -type f -exec truncate -s 0 {} +
}

case "$PHASE" in
  essential) essential ;;
  customize) customize ;;
  *) echo "usage: $0 essential|customize ROOTFS" >&2; exit 2 ;;
esac
