#!/usr/bin/env bash
# Install what building and testing vmem needs, from Debian's archive.
# Idempotent: packages already present are not touched, and apt is not
# called at all when nothing is missing.
set -euo pipefail

pkgs=(
	gcc gcc-12 make bc kmod cpio gzip xz-utils util-linux  # toolchain, initramfs
	sparse dwarves                            # C=1, BTF for 6.12 modules
	libelf1 libssl3 zlib1g                    # what the unpacked kbuild tools link
	busybox-static                            # the test machines' userland
	qemu-system-x86                           # SVM configurations
	bochs bochs-term bochsbios vgabios        # VMX configurations
	isolinux syslinux-common xorriso          # Bochs boots an ISO
	libnl-3-dev libnl-genl-3-dev libncurses-dev
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root or install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once per hour at most.
stamp=/var/lib/apt/periodic/vmem-update-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +60)" ]; then
	apt-get update -q
	mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# No recommends: they would pull a kernel image into /boot.  The kernel
# headers are not installed either (scripts/kernels.sh unpacks them).
apt-get install -y -q --no-install-recommends "${missing[@]}"
