#!/usr/bin/env bash
# Build the Linux guest that `vmem run` boots in the demo, the tests and
# the benchmark: Debian's 6.1 (or 6.12) kernel and a tiny busybox initramfs.
#
# Usage: scripts/guest/build.sh OUTDIR [SERIES]
#   OUTDIR/vmlinuz    the guest kernel (.cache/kernels/SERIES/vmlinuz)
#   OUTDIR/initrd.gz  static busybox, guest-init.sh as /init, and the
#                     pvpanic modules of that kernel
#   OUTDIR/cmdline    the kernel command line the demo and tests use
# SERIES defaults to 6.1.  The guest's behaviour is chosen on its command
# line with guest=MODE (see guest-init.sh): demo (default), wait, shell, panic,
# reboot, halt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1 series=${2:-6.1}
kdir=$top/.cache/kernels/$series
[ -f "$kdir/vmlinuz" ] || { echo "guest: no kernel in $kdir (run scripts/kernels.sh $series)" >&2; exit 1; }
rel=$(cat "$kdir/release")
mods=$kdir/root/lib/modules/$rel/kernel/drivers/misc/pvpanic

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib/modules,etc,root}
cp /bin/busybox "$root/bin/busybox"
# Applet links made here: creating them at boot would cost guest time.
for a in $("$root/bin/busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
cp "$here/guest-init.sh" "$root/init"
chmod 755 "$root/init"
# Debian 6.1 ships modules plain, 6.12 compressed (.ko.xz): the guest's
# busybox insmod takes plain ones, so unpack them here.  A kernel without
# the module would end a panic as a reset, not status 3: say so.
for m in pvpanic pvpanic-mmio; do
	if [ -f "$mods/$m.ko" ]; then
		cp "$mods/$m.ko" "$root/lib/modules/"
	elif [ -f "$mods/$m.ko.xz" ]; then
		xz -dc "$mods/$m.ko.xz" >"$root/lib/modules/$m.ko"
	elif [ -f "$mods/$m.ko.zst" ]; then
		zstd -qdc "$mods/$m.ko.zst" >"$root/lib/modules/$m.ko"
	elif [ -f "$mods/$m.ko.gz" ]; then
		gzip -dc "$mods/$m.ko.gz" >"$root/lib/modules/$m.ko"
	else
		echo "guest: no $m module in $mods" >&2
		exit 1
	fi
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
mkdir -p "$out"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out/initrd.cpio"
# /dev/console must be in the initramfs: the kernel opens it for init's
# stdio before anything is mounted.  A second cpio archive (the kernel
# reads concatenated ones) written by hand, so no mknod (root) is needed.
cpio_entry() {	# name mode rdevmajor rdevminor
	local name=$1 n=$((${#1} + 1)) pad
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$n" 0
	printf '%s\0' "$name"
	pad=$(( (4 - (110 + n) % 4) % 4 ))
	head -c "$pad" /dev/zero
}
{ cpio_entry dev/console $((0x2180)) 5 1; cpio_entry 'TRAILER!!!' 0 0 0; } >>"$out/initrd.cpio"
gzip -9 -n <"$out/initrd.cpio" >"$out/initrd.gz"
rm -f "$out/initrd.cpio"
cp "$kdir/vmlinuz" "$out/vmlinuz"
# quiet: every console byte is a trap to the VMM, so less is faster.
# tsc=reliable: no clocksource watchdog (there is no second clocksource).
# The rest skips probes this machine has nothing for.
echo "console=ttyS0 quiet panic=-1 tsc=reliable nokaslr pci=off i8042.noaux i8042.nokbd noapic nolapic nosmp mitigations=off" >"$out/cmdline"
