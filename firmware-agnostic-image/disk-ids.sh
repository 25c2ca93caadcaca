# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this
# Fixed identifiers of the image's disk, shared by hooks.sh (fstab, kernel command line) and
# make-disk.sh: the same inputs give the same disk. Every clone shares them, like any cloud image;
# the machine id, SSH host keys, node key and hostname are what make a node unique (first boot).
# Sourced, not run.
DISK_GUID=6b6e6f77-6400-4000-8000-000000000001
ESP_PARTUUID=6b6e6f77-6400-4000-8000-0000000000e5
BIOS_PARTUUID=6b6e6f77-6400-4000-8000-0000000000b1
ROOT_PARTUUID=6b6e6f77-6400-4000-8000-00000000007f
ROOT_UUID=6b6e6f77-6400-4000-8000-0000000000f5
ESP_VOLID=4B4E4F57      # FAT volume id: shows as 4B4E-4F57 in /dev/disk/by-uuid
ESP_LABEL=KNOWD-ESP
ROOT_LABEL=knowd-root
ESP_MB=126
ROOT_MB=1600
kernel_cmdline() { # $1: arch
  local console=ttyS0,115200n8
  [ "$1" = arm64 ] && console=ttyAMA0,115200n8
  # no_timer_check: an emulated or overcommitted VM can fail the kernel's IO-APIC timer check and panic
  # at boot (seen under QEMU TCG on a loaded host); cloud images carry the same flag.
  # panic=10: an appliance reboots after a kernel panic instead of hanging.
  echo "root=UUID=$ROOT_UUID ro rootwait console=tty0 console=$console no_timer_check panic=10"
}
