#!/usr/bin/env bash
# `make run`: boot an emulated machine with SVM (QEMU) or VMX (Bochs), load
# vmem there and show what it offers.  Later issues make it boot guests.
# Usage: run-demo.sh [CONFIG]      (default 6.1-svm-npt; see configs.sh)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/configs.sh"
build=${VMEM_BUILD:-$top/build}
want=${1:-6.1-svm-npt}
line=$(awk -v w="$want" '$1 == w' <<<"$VMEM_CONFIGS")
[ -n "$line" ] || { echo "run: unknown configuration $want" >&2; exit 2; }
read -r name series emu cpu params <<<"$line"

"$top/scripts/kernels.sh" "$series"
rel=$(cat "$top/.cache/kernels/$series/release")
mkdir -p "$build"
echo "run: building vmem for $rel"
"$top/scripts/build-module.sh" "$rel" "$build/$series" >"$build/run-build.log" 2>&1 ||
	{ cat "$build/run-build.log"; exit 1; }
make -s -C "$top/userspace" OUT="$build/userspace"

dir=$build/run/$name
rm -rf "$dir" && mkdir -p "$dir/extra/bin" "$dir/tests"
cp "$build/userspace/vmem" "$dir/extra/bin/"
cat >"$dir/extra/bin/demo.sh" <<'DEMO'
#!/bin/sh
echo "@@DEMO-BEGIN"
echo "\$ ls -l /dev/vmem"; ls -l /dev/vmem
echo "\$ vmem info"; vmem info
echo "\$ dmesg | grep 'vmem:'"; dmesg | grep 'vmem:'
echo "@@DEMO-END"
DEMO
chmod +x "$dir/extra/bin/demo.sh"
: >"$dir/tests/tests.list"
"$top/scripts/mkinitramfs.sh" "$dir/initrd.gz" "$build/$series/kmod/vmem.ko" "$dir/tests" "$dir/extra"

append="vmemtest_mode=demo"
[ "$params" != "-" ] && append+=" vmemtest_params=$params"
echo "run: booting $name ($emu, $cpu); logs: $dir/run.console, $dir/run.tests"
"$top/scripts/boot-$emu.sh" "$top/.cache/kernels/$series/vmlinuz" "$dir/initrd.gz" \
	"$dir/run" "$cpu" "$append" 1800
tr -d '\r' <"$dir/run.tests" | sed -n '/^@@VMEM INSMOD/p; /^@@DEMO-BEGIN/,/^@@DEMO-END/p' |
	grep -v '^@@DEMO'
if ! tr -d '\r' <"$dir/run.tests" | grep -q '^@@VMEM DONE'; then
	echo "run: the machine did not finish cleanly; see $dir/run.console" >&2
	exit 1
fi
