#!/usr/bin/env bash
# Put the cached QEMU build (scripts/qemu-build.sh) into a test machine's
# extra tree: the binary as /usr/bin/qemu-system-x86_64, the shared
# libraries it links (ldd) at their host paths, and the firmware it loads
# from Debian's packages (seabios, qemu-system-data, ipxe-qemu) at the
# paths the build searches (--firmwarepath).  scripts/mkinitramfs.sh
# copies DEST over the initramfs's root.
#
# Usage: scripts/qemu-into-initramfs.sh DEST
# Fails when QEMU is not built yet (run scripts/qemu-build.sh, or make qemu).
# VMEM_QEMU_BIN=path takes that binary instead of the cached build (a
# development tree's build/qemu-system-x86_64).
set -euo pipefail
dest=${1:?usage: qemu-into-initramfs.sh DEST}
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${VMEM_QEMU_BIN:-}" ]; then
	bin=$VMEM_QEMU_BIN
	[ -x "$bin" ] || { echo "qemu-into-initramfs: $bin is not executable" >&2; exit 1; }
else
	prefix=$("$top/scripts/qemu-build.sh" --prefix)
	bin=$prefix/bin/qemu-system-x86_64
	[ -f "$prefix/.complete" ] && [ -x "$bin" ] || {
		echo "qemu-into-initramfs: no QEMU build in $prefix (make qemu)" >&2
		exit 1
	}
fi

# What q35 and microvm load: SeaBIOS (q35) and qboot, which Debian installs
# as /usr/share/qemu/bios-microvm.bin (microvm); the option ROMs of direct
# kernel boot (linuxboot*, multiboot, pvh) and of the TPR patching under
# KVM (kvmvapic); the VGA BIOS of q35's default display; the iPXE ROMs of
# virtio-net and of q35's default NIC (e1000e).
firmware=(
	/usr/share/seabios/bios-256k.bin
	/usr/share/seabios/vgabios-stdvga.bin
	/usr/share/qemu/bios-microvm.bin
	/usr/share/qemu/qboot.rom
	/usr/share/qemu/linuxboot.bin
	/usr/share/qemu/linuxboot_dma.bin
	/usr/share/qemu/multiboot_dma.bin
	/usr/share/qemu/pvh.bin
	/usr/share/qemu/kvmvapic.bin
	/usr/lib/ipxe/qemu/efi-virtio.rom
	/usr/lib/ipxe/qemu/efi-e1000e.rom
)

mkdir -p "$dest/usr/bin"
# Without its symbols: a smaller initramfs unpacks faster under TCG.
strip -o "$dest/usr/bin/qemu-system-x86_64" "$bin"
# Libraries and the dynamic loader, symlinks resolved, at the paths ldd
# names (the loader finds /lib/x86_64-linux-gnu without ld.so.cache).
ldd "$bin" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }' |
	while read -r lib; do
		mkdir -p "$dest$(dirname "$lib")"
		cp -L "$lib" "$dest$lib"
	done
for f in "${firmware[@]}"; do
	[ -e "$f" ] || { echo "qemu-into-initramfs: missing $f" >&2; exit 1; }
	mkdir -p "$dest$(dirname "$f")"
	cp -L "$f" "$dest$f"
done
