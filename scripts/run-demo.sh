#!/usr/bin/env bash
# `make run`: boot an emulated machine with SVM (QEMU) or VMX (Bochs), load
# vmem there, and run scripts/demo.sh in it: two Linux guests (Debian's
# 6.1 kernel and the busybox initramfs of scripts/guest/) booted with
# `vmem run` into one resource pool, side by side, with `vmem stats`
# before and after vmem's sharing daemon has merged their identical
# pages; then both are powered off and the figures summed up.  Takes
# about five to ten minutes under QEMU.
# Usage: run-demo.sh [CONFIG]      (default 6.1-svm-npt; see configs.sh)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/configs.sh"
build=${VMEM_BUILD:-$top/build}
want=${1:-6.1-svm-npt}
line=$(awk -v w="$want" '$1 == w' <<<"$VMEM_CONFIGS")
[ -n "$line" ] || { echo "run: unknown configuration $want" >&2; exit 2; }
read -r name series emu cpu params _ <<<"$line"

"$top/scripts/kernels.sh" "$series" 6.1
rel=$(cat "$top/.cache/kernels/$series/release")
mkdir -p "$build"
echo "run: building vmem for $rel, the vmem tool and the Linux guest"
"$top/scripts/build-module.sh" "$rel" "$build/$series" >"$build/run-build.log" 2>&1 ||
	{ cat "$build/run-build.log"; exit 1; }
make -s -C "$top/userspace" OUT="$build/userspace"
"$top/scripts/guest/build.sh" "$build/guest"

dir=$build/run/$name
rm -rf "$dir" && mkdir -p "$dir/extra/bin" "$dir/tests"
cp "$build/userspace/vmem" "$dir/extra/bin/"
cp -r "$build/guest" "$dir/extra/guest"
cp "$top/scripts/demo.sh" "$dir/extra/bin/demo.sh"
chmod +x "$dir/extra/bin/demo.sh"
: >"$dir/tests/tests.list"
"$top/scripts/mkinitramfs.sh" "$dir/initrd.gz" "$build/$series/kmod/vmem.ko" "$dir/tests" "$dir/extra"

append="vmemtest_mode=demo"
[ "$params" != "-" ] && append+=" vmemtest_params=$params"
echo "run: booting $name ($emu, $cpu); logs: $dir/run.console, $dir/run.tests"
echo "run: two guests boot nested inside an emulator, then vmem shares their pages:"
echo "run: expect five to ten minutes"
"$top/scripts/boot-$emu.sh" "$top/.cache/kernels/$series/vmlinuz" "$dir/initrd.gz" \
	"$dir/run" "$cpu" "$append" 3600
tr -d '\r' <"$dir/run.tests" | sed -n '/^@@VMEM INSMOD/p; /^@@DEMO-BEGIN/,/^@@DEMO-END/p' |
	grep -v '^@@DEMO'
echo "run: kernel messages from vmem:"
tr -d '\r' <"$dir/run.tests" | sed -n '/^@@VMEM DMESG-BEGIN/,/^@@VMEM DMESG-END/p' |
	grep -E '(^|[^a-z_])vmem:' | sed 's/^/  /' | tail -n 20
if ! tr -d '\r' <"$dir/run.tests" | grep -q '^@@VMEM DONE'; then
	echo "run: the machine did not finish cleanly; see $dir/run.console" >&2
	exit 1
fi
if [ "$(tr -d '\r' <"$dir/run.tests" | grep -c '^guest[12]: vmem run exited with status 0$')" != 2 ]; then
	echo "run: a guest did not power off cleanly; see $dir/run.tests" >&2
	exit 1
fi
