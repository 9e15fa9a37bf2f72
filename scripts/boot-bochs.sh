#!/usr/bin/env bash
# Boot a test machine under Bochs with a VMX+EPT CPU.  Bochs has no direct
# kernel boot, so the kernel and initramfs go on an isolinux ISO; it has no
# headless display either, so the "term" display runs under a pseudo-tty.
# Usage: boot-bochs.sh VMLINUZ INITRAMFS LOG_PREFIX MODEL "APPEND" WALL_TIMEOUT [KVM]
#   writes LOG_PREFIX.console (ttyS0, the kernel) and LOG_PREFIX.tests (ttyS1)
#   MODEL: a Bochs CPU model, e.g. corei7_skylake_x; MODEL:N for N CPUs
#          (Bochs runs them all in its one thread, so each gets 1/N), as N
#          cores of one package: with N packages ("count=N") Bochs's CPUID
#          topology leaves disagree and 6.12 WARNs at boot (parse_legacy,
#          topology_common.c:57)
#   KVM: "kvm" lets the distribution's KVM modules load (benchmarks);
#        anything else, or nothing, blacklists them (tests)
set -uo pipefail
kernel=$1 initrd=$2 log=$3 model=$4 append=$5 wall=${6:-1800} kvm=${7:-}
ncpus=1
case $model in *:*) ncpus=${model##*:}; model=${model%%:*} ;; esac

base="console=ttyS0,115200 panic=-1 oops=panic panic_on_warn=1 loglevel=5"
base+=" softlockup_panic=1 hung_task_panic=1"
[ "$kvm" = kvm ] || base+=" module_blacklist=kvm,kvm_amd,kvm_intel"
# Bochs 2.7 reports a CPUID.0xD size that disagrees with its AVX-512 state
# layout (2432 != 2688), which WARNs at boot: keep AVX-512 off.
# Bochs 2.7's XSAVEC/XSAVES (compacted format) store the upper YMM halves at
# byte 416 instead of 576 (cpu/xsave.cc starts the extended components right
# after the 256 bytes of XMM state), over the XSAVE header's reserved bytes:
# a task whose YMM7+ upper halves are nonzero when the kernel saves it gets
# #GP at the next XRSTORS ("Bad FPU state detected", seen in the launcher
# after its AVX memcpy of a kernel image, in clone3 children).  Since 6.0
# the kernel uses XSAVEC where XSAVES is missing, so both go; it then uses
# XSAVEOPT/XSAVE and the standard format, which Bochs gets right (the boot
# log says "using 'standard' format").  Not "noxsaves": 6.1 no longer knows
# it ("Unknown kernel command line parameters noxsaves", and the
# 'compacted' format); clearcpuid takes flag names on both kernels.
base+=" clearcpuid=avx512f,xsaves,xsavec"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/iso/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
	"$work/iso/isolinux/"
cp "$kernel" "$work/iso/vmlinuz"
cp "$initrd" "$work/iso/initrd.gz"
cat >"$work/iso/isolinux/isolinux.cfg" <<CFG
default vmem
prompt 0
timeout 0
label vmem
  kernel /vmlinuz
  append initrd=/initrd.gz $base $append
CFG
xorriso -as mkisofs -quiet -o "$work/test.iso" -b isolinux/isolinux.bin \
	-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
	"$work/iso" >/dev/null 2>&1 || { echo "@@HARNESS ISO build failed" >"$log.tests"; exit 0; }

cat >"$work/bochsrc" <<RC
megs: 1024
cpu: model=$model, count=1:$ncpus:1, ips=200000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
ata0-master: type=cdrom, path=$work/test.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$log.console
com2: enabled=1, mode=file, dev=$log.tests
clock: sync=none, time0=local
display_library: term
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: $log.bochs
panic: action=fatal
error: action=ignore
info: action=ignore
RC
# The debugger build stops at a prompt: continue at once.  It also stops
# again on some guest events (seen: an INT3 in a nested guest) and then
# reads the next command; once the rc file is used up it would wait on the
# terminal forever, so give it plenty of "continue"s and then "quit".
{ yes c | head -n 100000; echo quit; } >"$work/dbg.rc"
: >"$log.console"; : >"$log.tests"
# With the debugger built in, the "term" display draws the emulated screen
# on a pty of its own ("Bochs connected to screen /dev/pts/N") instead of
# the debugger's terminal.  Nobody looks at it, and once its buffer is full
# Bochs blocks in write() and the machine stops (a long run, with the
# screen's cursor updates, gets there): keep it drained.
drain_screen() {	# term-log
	local pts i
	for i in $(seq 1 600); do
		pts=$(grep -ao 'connected to screen "/dev/pts/[0-9]*"' "$1" 2>/dev/null |
			head -n 1 | sed 's/.*"\(.*\)"/\1/')
		[ -n "$pts" ] && exec cat "$pts" >/dev/null 2>&1
		sleep 0.2
	done
}
(cd "$work" && timeout -k 10 "$wall" script -qfec \
	"bochs -q -f $work/bochsrc -rc $work/dbg.rc" /dev/null </dev/null >"$log.term" 2>&1) &
bochs_job=$!
drain_screen "$log.term" &
drain_job=$!
wait $bochs_job
rc=$?
kill $drain_job 2>/dev/null
wait $drain_job 2>/dev/null
[ $rc -eq 124 ] && echo "@@HARNESS TIMEOUT after ${wall}s" >>"$log.tests"
exit 0
