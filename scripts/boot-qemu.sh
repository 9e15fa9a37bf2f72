#!/usr/bin/env bash
# Boot a test machine under QEMU TCG with SVM.
# Usage: boot-qemu.sh VMLINUZ INITRAMFS LOG_PREFIX CPU "APPEND" WALL_TIMEOUT [KVM]
#   writes LOG_PREFIX.console (ttyS0, the kernel) and LOG_PREFIX.tests (ttyS1)
#   CPU: e.g. EPYC,+svm,+npt or EPYC,+svm,-npt
#   KVM: "kvm" lets the distribution's KVM modules load (benchmarks);
#        anything else, or nothing, blacklists them (tests)
set -uo pipefail
kernel=$1 initrd=$2 log=$3 cpu=$4 append=$5 wall=${6:-900} kvm=${7:-}

base="console=ttyS0,115200 panic=-1 oops=panic panic_on_warn=1 loglevel=5"
base+=" softlockup_panic=1 hung_task_panic=1"
[ "$kvm" = kvm ] || base+=" module_blacklist=kvm,kvm_amd,kvm_intel"

timeout --foreground -k 10 "$wall" qemu-system-x86_64 \
	-accel tcg,thread=multi -smp 2 -cpu "$cpu" -m 2048 \
	-nographic -no-reboot -nodefaults -serial "file:$log.console" -serial "file:$log.tests" \
	-monitor none -display none \
	-kernel "$kernel" -initrd "$initrd" \
	-append "$base $append" </dev/null >"$log.qemu" 2>&1

rc=$?
[ $rc -eq 124 ] && echo "@@HARNESS TIMEOUT after ${wall}s" >>"$log.tests"
# A guest panic or power-off ends QEMU with 0 (-no-reboot); anything else
# is QEMU's own end (an assertion, "invalid tss type", a segfault): the
# emulator crashed, which parse-console.awk tells from a vmem failure.
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then
	why="exit status $rc"
	[ $rc -gt 128 ] && why="killed by signal $(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
	last=$(grep -v -e '^$' -e 'warning:' "$log.qemu" | tail -n 1)
	echo "@@HARNESS EMULATOR CRASHED qemu $why${last:+: $last}" >>"$log.tests"
fi
exit 0
