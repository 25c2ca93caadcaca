#!/usr/bin/env bash
# Usage: make-disk.sh amd64|arm64 ROOTFS OUT.raw
# Assembles a bootable GPT disk from a root directory without loop devices or mounts:
#   amd64: BIOS boot partition (GRUB core.img, legacy BIOS) + ESP (systemd-boot for UEFI, the kernel,
#          the initrd, and GRUB's grub.cfg for BIOS) + root (ext4, grown to the disk at first boot)
#   arm64: ESP (systemd-boot) + root
set -euo pipefail

[ "$#" -eq 3 ] || { echo "usage: $0 amd64|arm64 ROOTFS OUT.raw" >&2; exit 2; }
ARCH=$1 ROOTFS=$2 OUT=$3
case "$ARCH" in amd64) EFI_NAME=BOOTX64.EFI SDBOOT=systemd-bootx64.efi ;; arm64) EFI_NAME=BOOTAA64.EFI SDBOOT=systemd-bootaa64.efi ;;
  *) echo "usage: $0 amd64|arm64 ROOTFS OUT.raw" >&2; exit 2 ;; esac
[ -d "$ROOTFS/boot" ] || { echo "$0: $ROOTFS is not a root filesystem (no /boot)" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=disk-ids.sh
. "$HERE/disk-ids.sh"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
# mke2fs takes its timestamps from here, so the same root gives the same filesystem.
export E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH MTOOLS_SKIP_CHECK=1
OUT_DIR=$(cd "$(dirname "$OUT")" && pwd)
TMP=$(mktemp -d "$OUT_DIR/.make-disk.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

MIB=2048  # sectors
BIOS_START=$((1 * MIB)) BIOS_SIZE=$((1 * MIB))
ESP_START=$((2 * MIB)) ESP_SIZE=$((ESP_MB * MIB))
ROOT_START=$(( (2 + ESP_MB) * MIB )) ROOT_SIZE=$((ROOT_MB * MIB))
DISK_MB=$((2 + ESP_MB + ROOT_MB + 1))

kernel=$(find "$ROOTFS/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -1)
initrd=$(find "$ROOTFS/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -1)
if [ -z "$kernel" ] || [ -z "$initrd" ]; then echo "$0: no kernel or initrd in $ROOTFS/boot" >&2; exit 1; fi
CMDLINE=$(kernel_cmdline "$ARCH")

# --- ESP ---------------------------------------------------------------------------------------------
mkdir -p "$TMP/esp/EFI/BOOT" "$TMP/esp/loader/entries" "$TMP/esp/grub"
cp "$ROOTFS/usr/lib/systemd/boot/efi/$SDBOOT" "$TMP/esp/EFI/BOOT/$EFI_NAME"
cp "$kernel" "$TMP/esp/vmlinuz"
cp "$initrd" "$TMP/esp/initrd.img"
printf 'timeout 0\ndefault knowd.conf\neditor no\n' > "$TMP/esp/loader/loader.conf"
printf 'title Knowd appliance\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$CMDLINE" > "$TMP/esp/loader/entries/knowd.conf"
printf 'set timeout=0\nlinux /vmlinuz %s\ninitrd /initrd.img\nboot\n' "$CMDLINE" > "$TMP/esp/grub/grub.cfg"
cat > "$TMP/esp/knowd-seed.json.example" <<'SEED'
{
  "version": 1,
  "hostname": "knowd-rack1-a",
  "adminPassword": "at least twelve characters",
  "sshAuthorizedKeys": ["ssh-ed25519 AAAA... you@example"],
  "settings": {"KNOWD_LOG_LEVEL": "info"},
  "cluster": {"token": "K1....", "url": "http://knowd-first.local:8090"}
}
SEED
find "$TMP/esp" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkfs.vfat -C -F 32 -n "$ESP_LABEL" -i "$ESP_VOLID" "$TMP/esp.img" $((ESP_MB * 1024)) >/dev/null
(cd "$TMP/esp" && mcopy -s -p -m -i "$TMP/esp.img" ./* ::/)

# --- root ---------------------------------------------------------------------------------------------
mkfs.ext4 -q -F -L "$ROOT_LABEL" -U "$ROOT_UUID" -E "hash_seed=$ROOT_UUID" -d "$ROOTFS" "$TMP/root.img" "${ROOT_MB}M"

# --- GPT ----------------------------------------------------------------------------------------------
rm -f "$OUT"
truncate -s "${DISK_MB}M" "$OUT"
{
  echo "label: gpt"
  echo "label-id: $DISK_GUID"
  echo "unit: sectors"
  echo "first-lba: 2048"
  if [ "$ARCH" = amd64 ]; then
    echo "start=$BIOS_START, size=$BIOS_SIZE, type=21686148-6449-6E6F-744E-656564454649, uuid=$BIOS_PARTUUID, name=bios-boot"
    ROOT_TYPE=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
  else
    ROOT_TYPE=B921B045-1DF0-41C3-AF44-4C6F280D3FAE
  fi
  echo "start=$ESP_START, size=$ESP_SIZE, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$ESP_PARTUUID, name=esp"
  echo "start=$ROOT_START, size=$ROOT_SIZE, type=$ROOT_TYPE, uuid=$ROOT_PARTUUID, name=root"
} | sfdisk --quiet --no-reread --no-tell-kernel "$OUT"
dd if="$TMP/esp.img" of="$OUT" bs=512 seek="$ESP_START" conv=notrunc,sparse status=none
dd if="$TMP/root.img" of="$OUT" bs=512 seek="$ROOT_START" conv=notrunc,sparse status=none

# --- legacy BIOS: GRUB in the MBR gap and the BIOS boot partition (what grub-bios-setup does) ----------
if [ "$ARCH" = amd64 ]; then
  GRUB=/usr/lib/grub/i386-pc
  # ESP is partition 2: core.img reads grub.cfg, the kernel and the initrd from the FAT filesystem.
  grub-mkimage -O i386-pc -o "$TMP/core.img" -p '(hd0,gpt2)/grub' \
    biosdisk part_gpt fat normal linux boot configfile echo test
  core_sectors=$(( ($(stat -c %s "$TMP/core.img") + 511) / 512 ))
  [ "$core_sectors" -le "$BIOS_SIZE" ] || { echo "$0: core.img ($core_sectors sectors) does not fit the BIOS boot partition" >&2; exit 1; }
  le() { # value bytes → little-endian bytes on stdout
    local v=$1 n=$2 i
    for ((i = 0; i < n; i++)); do printf '%b' "\\x$(printf %02x $(( (v >> (8 * i)) & 255 )))"; done
  }
  patch() { # file offset bytes-from-stdin
    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
  }
  # core.img's first sector (diskboot) loads the rest: one blocklist entry right after itself,
  # to segment 0x820 (GRUB_BOOT_I386_PC_KERNEL_SEG + 0x20).
  le $((BIOS_START + 1)) 8 | patch "$TMP/core.img" 500
  le $((core_sectors - 1)) 2 | patch "$TMP/core.img" 508
  le $((0x820)) 2 | patch "$TMP/core.img" 510
  cp "$GRUB/boot.img" "$TMP/boot.img"
  le "$BIOS_START" 8 | patch "$TMP/boot.img" $((0x5c))  # where core.img starts
  printf '\x90\x90' | patch "$TMP/boot.img" $((0x66))     # trust the BIOS's boot drive only if it is a disk
  dd if="$TMP/boot.img" of="$OUT" bs=440 count=1 conv=notrunc status=none   # keep the protective MBR's table
  dd if="$TMP/core.img" of="$OUT" bs=512 seek="$BIOS_START" conv=notrunc status=none
fi
sfdisk --verify --quiet "$OUT" >/dev/null || { echo "$0: sfdisk --verify failed on $OUT" >&2; exit 1; }
echo "$OUT: ${DISK_MB} MiB, kernel $(basename "$kernel"), cmdline: $CMDLINE"
