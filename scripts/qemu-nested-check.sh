#!/usr/bin/env bash
# Check that the QEMU build runs guests on vmem inside the harness's test
# machine: boot 6.1-svm-npt's machine (QEMU TCG, EPYC with SVM) with QEMU,
# its libraries and firmware in the initramfs (scripts/qemu-into-
# initramfs.sh) and vmem loaded, and run nested guests there with
# -accel vmem: the Linux guest of scripts/guest/ (Debian's kernel and the
# busybox initramfs) with -kernel/-initrd.  A case passes when the guest's
# first userspace line and its power-off line reach its serial console and
# QEMU exits 0.  With -k it also loads the distribution's kvm and kvm_amd
# in the test machine and runs q35 under -accel kvm.
#
# Usage: scripts/qemu-nested-check.sh [-k] [CASE...]
#   CASE is accel:machine[:cpus], e.g. vmem:microvm, vmem:q35, vmem:q35:2
#   (default: vmem:microvm vmem:q35 vmem:q35:2)
# Environment: VMEM_QEMU_BIN (a QEMU binary instead of the cached build,
#   see qemu-into-initramfs.sh), VMEM_QEMU_TRACE=1 (the accelerator
#   traces every exit to QEMU's stderr; the last lines land in run.tests).
# Logs: $VMEM_BUILD/logs/qemu-nested/{results.txt,run.console,run.tests}
# Not part of `make check` (the qemu_boot test is).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VMEM_BUILD:-$top/build}
kvm=
[ "${1:-}" = -k ] && { kvm=kvm; shift; }
cases=${*:-vmem:microvm vmem:q35 vmem:q35:2}
series=6.1 cpu=EPYC,+svm,+npt
limit=${VMEM_NESTED_LIMIT:-600}	# seconds per nested guest (test machine time)
ncases=$(echo $cases | wc -w)
[ -n "$kvm" ] && ncases=$((ncases + 1))

if [ -z "${VMEM_QEMU_BIN:-}" ]; then
	"$top/scripts/qemu-build.sh" || exit 1
fi
"$top/scripts/kernels.sh" $series || exit 1
rel=$(cat "$top/.cache/kernels/$series/release")
ko=$build/$series/kmod/vmem.ko
# init.sh loads vmem before the tests (and checks it unloads cleanly).
if [ ! -f "$ko" ]; then
	mkdir -p "$build/logs"
	"$top/scripts/build-module.sh" "$rel" "$build/$series" >"$build/logs/build-$series.log" 2>&1 ||
		{ echo "qemu-nested: vmem.ko did not build (see $build/logs/build-$series.log)" >&2; exit 1; }
fi

dir=$build/logs/qemu-nested
rm -rf "$dir" && mkdir -p "$dir/extra/qemu-nested" "$dir/tests"
"$top/scripts/qemu-into-initramfs.sh" "$dir/extra" || exit 1
"$top/scripts/guest/build.sh" "$dir/guest" $series >"$dir/guest-build.log" 2>&1 ||
	{ echo "qemu-nested: the guest did not build (see $dir/guest-build.log)" >&2; exit 1; }
cp "$dir/guest/vmlinuz" "$dir/guest/initrd.gz" "$dir/extra/qemu-nested/"
echo "${VMEM_QEMU_TRACE:-}" >"$dir/extra/qemu-nested/trace"
if [ -n "$kvm" ]; then
	cases+=" kvm:q35"
	moddir=$top/.cache/kernels/$series/root/lib/modules/$rel
	mkdir -p "$dir/extra/qemu-nested/kvm"
	: >"$dir/extra/qemu-nested/kvm.modules"
	# NAME and its dependencies, uncompressed, listed in load order.
	add_ko() {
		local m=$1 f d
		grep -qx "$m" "$dir/extra/qemu-nested/kvm.modules" && return 0
		f=$(find "$moddir" -name "$m.ko*" | head -n 1)
		[ -n "$f" ] || { echo "qemu-nested: no $m in $moddir" >&2; return 1; }
		for d in $(modinfo -F depends "$f" | tr , ' '); do
			add_ko "$d" || return 1
		done
		case $f in
		*.xz) xz -dc "$f" ;; *.zst) zstd -qdc "$f" ;; *) cat "$f" ;;
		esac >"$dir/extra/qemu-nested/kvm/$m.ko"
		echo "$m" >>"$dir/extra/qemu-nested/kvm.modules"
	}
	add_ko kvm-amd || exit 1
fi
echo "$cases" >"$dir/extra/qemu-nested/cases"

cat >"$dir/tests/qemu_nested" <<EOF
#!/bin/sh
# One TAP case per nested guest: accelerator:machine[:cpus].
limit=$limit
EOF
cat >>"$dir/tests/qemu_nested" <<'EOF'
cases=$(cat /qemu-nested/cases)
set -- $cases
echo "1..$#"
kvm_mods=
n=0 rc=0
trace=$(cat /qemu-nested/trace)
for c in $cases; do
	n=$((n + 1))
	accel=${c%%:*} rest=${c#*:}
	machine=${rest%%:*} cpus=${rest#*:}
	[ "$cpus" = "$machine" ] && cpus=1
	log=/tmp/nested-$n.log
	: >"$log"
	if [ "$accel" = kvm ] && [ -z "$kvm_mods" ]; then
		# vmem and KVM cannot both own SVM: KVM's turn now (the kvm
		# cases come last), vmem's again after (init.sh loads vmem
		# back when a test leaves it unloaded).
		rmmod vmem
		kvm_mods=$(cat /qemu-nested/kvm.modules)
		for m in $kvm_mods; do
			insmod /qemu-nested/kvm/$m.ko || echo "# insmod $m failed"
		done
		ls -l /dev/kvm 2>&1 | sed "s/^/# /"
	fi
	# quiet: every console byte is two exits.  SMP cases are not quiet:
	# "Brought up ... CPUs" counts the vCPUs.  tsc_early_khz: Linux
	# cannot calibrate the TSC against the PIT this deep in emulation (it
	# reads the PIT too slowly), and an AMD CPU model has no CPUID 0x15;
	# the test machine's own TSC rate is the guest's.
	khz=$(awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)
	append="console=ttyS0 panic=-1 guest=demo tsc_early_khz=$khz"
	[ "$cpus" = 1 ] && append="$append quiet"
	VMEM_QEMU_TRACE=$trace /usr/bin/qemu-system-x86_64 -accel "$accel" \
		-M "$machine" -smp "$cpus" -m 256 -nodefaults -no-reboot \
		-display none -monitor none -serial "file:$log" -name "nested-$n" \
		-kernel /qemu-nested/vmlinuz -initrd /qemu-nested/initrd.gz \
		-append "$append" \
		</dev/null >/tmp/nested.err 2>&1 &
	pid=$! t=0
	while kill -0 $pid 2>/dev/null && [ $t -lt $limit ]; do
		sleep 2
		t=$((t + 2))
	done
	kill -9 $pid 2>/dev/null
	wait $pid
	st=$?
	echo "# $accel $machine $cpus cpus: QEMU exit status $st after ${t}s; guest console:"
	grep -E 'Linux version|Command line|smp: Brought up|vmem-guest|Kernel panic|RIP:|Call Trace' "$log" |
		head -n 20 | sed 's/^/#   /'
	echo "#   (last lines)"
	tail -n 8 "$log" | sed 's/^/#   /'
	if [ -n "$trace" ]; then
		# The exits of the last stretch, counted, then the last ones.
		echo "# qemu: exit trace, last 20000 exits by kind:"
		tail -n 20000 /tmp/nested.err | grep '^vmem: cpu' |
			sed -E 's/(data|gpa|len|count) 0x[0-9a-f]+.*//; s/ len [0-9]+//' |
			sort | uniq -c | sort -rn | head -n 25 | sed 's/^/# qemu: /'
		grep '^vmem: map\|^vmem: unmap' /tmp/nested.err | head -n 60 | sed 's/^/# qemu: /'
	fi
	grep -v '^vmem: cpu\|^vmem: map\|^vmem: unmap' /tmp/nested.err | tail -n 40 | sed 's/^/# qemu: /'
	tail -n 40 /tmp/nested.err | sed 's/^/# qemu tail: /'
	ok=1
	grep -q 'vmem-guest: hello from userspace' "$log" || ok=0
	grep -q 'vmem-guest: powering off' "$log" || ok=0
	[ "$st" = 0 ] || ok=0
	if [ "$cpus" != 1 ]; then
		grep -q "smp: Brought up 1 node, $cpus CPUs" "$log" || ok=0
	fi
	if [ $ok = 1 ]; then
		echo "ok $n - $accel $machine $cpus cpus boots the guest to userspace and powers off"
	else
		echo "not ok $n - $accel $machine $cpus cpus boots the guest to userspace and powers off"
		rc=1
	fi
done
for m in $(echo "$kvm_mods" | tac); do
	rmmod "$m"
done
exit $rc
EOF
chmod 755 "$dir/tests/qemu_nested"
echo qemu_nested >"$dir/tests/tests.list"
"$top/scripts/mkinitramfs.sh" "$dir/initrd.gz" "$ko" "$dir/tests" "$dir/extra"
echo "qemu-nested: initramfs $(du -h "$dir/initrd.gz" | cut -f1), booting (cases: $cases)"
t0=$SECONDS
"$top/scripts/boot-qemu.sh" "$top/.cache/kernels/$series/vmlinuz" "$dir/initrd.gz" "$dir/run" \
	"$cpu" "vmemtest_timeout=$((limit * ncases + 120)) vmemtest_only=qemu_nested" \
	$((limit * ncases + 600)) $kvm
echo qemu_nested >"$dir/tests.list"
awk -v cfg=qemu-nested -v list="$dir/tests.list" -f "$top/scripts/parse-console.awk" \
	"$dir/run.console" "$dir/run.tests" >"$dir/results.txt"
grep '^#' "$dir/run.tests" | sed 's/^/  /'
cat "$dir/results.txt"
echo "qemu-nested: $((SECONDS - t0)) s"
! grep -q '^RESULT FAIL' "$dir/results.txt"
