#!/usr/bin/env bash
# Check that the cached QEMU build works inside the harness's test machine:
# boot 6.1-svm-npt's machine (QEMU TCG, EPYC with SVM) with QEMU, its
# libraries and firmware in the initramfs (scripts/qemu-into-initramfs.sh),
# and run a nested guest there, the test kernel with -kernel, on microvm
# and q35 under TCG; it passes when the nested kernel's first lines reach
# its serial console.  With -k it also loads the distribution's kvm and
# kvm_amd in the test machine and runs q35 under -accel kvm.
#
# Usage: scripts/qemu-nested-check.sh [-k]
# Logs: $VMEM_BUILD/logs/qemu-nested/{results.txt,run.console,run.tests}
# Not part of `make check`: TCG inside TCG takes minutes per guest.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VMEM_BUILD:-$top/build}
kvm=
[ "${1:-}" = -k ] && kvm=kvm
series=6.1 cpu=EPYC,+svm,+npt
limit=600	# seconds per nested guest, guest time of the test machine

"$top/scripts/qemu-build.sh" || exit 1
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
cp "$top/.cache/kernels/$series/vmlinuz" "$dir/extra/qemu-nested/vmlinuz"
cases="tcg:microvm tcg:q35"
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
# One TAP case per nested guest: accelerator:machine.
limit=$limit
EOF
cat >>"$dir/tests/qemu_nested" <<'EOF'
cases=$(cat /qemu-nested/cases)
set -- $cases
echo "1..$#"
kvm_mods=
if [ -f /qemu-nested/kvm.modules ]; then
	# vmem and KVM cannot both own SVM: KVM's turn now, vmem's again after
	# (init.sh loads vmem back when a test leaves it unloaded).
	rmmod vmem
	kvm_mods=$(cat /qemu-nested/kvm.modules)
	for m in $kvm_mods; do
		insmod /qemu-nested/kvm/$m.ko || echo "# insmod $m failed"
	done
	ls -l /dev/kvm 2>&1 | sed "s/^/# /"
fi
n=0 rc=0
for c in $cases; do
	n=$((n + 1)) accel=${c%%:*} machine=${c#*:}
	log=/tmp/nested-$accel-$machine.log
	: >"$log"
	/usr/bin/qemu-system-x86_64 -accel "$accel" -M "$machine" -m 256 -nodefaults \
		-no-reboot -display none -monitor none -serial "file:$log" \
		-kernel /qemu-nested/vmlinuz \
		-append "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1" \
		</dev/null >/tmp/nested.err 2>&1 &
	pid=$! t=0
	while kill -0 $pid 2>/dev/null && [ $t -lt $limit ] &&
		! grep -q 'Command line:' "$log"; do
		sleep 2
		t=$((t + 2))
	done
	kill $pid 2>/dev/null
	wait $pid
	echo "# $accel $machine: nested console after ${t}s:"
	head -n 4 "$log" | sed 's/^/#   /'
	sed 's/^/# qemu: /' /tmp/nested.err
	if grep -q 'Linux version' "$log" && grep -q 'Command line:' "$log"; then
		echo "ok $n - $accel $machine reaches the nested kernel"
	else
		echo "not ok $n - $accel $machine reaches the nested kernel"
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
	"$cpu" "vmemtest_timeout=$((limit * 3 + 120)) vmemtest_only=qemu_nested" \
	$((limit * 3 + 600)) $kvm
echo qemu_nested >"$dir/tests.list"
awk -v cfg=qemu-nested -v list="$dir/tests.list" -f "$top/scripts/parse-console.awk" \
	"$dir/run.console" "$dir/run.tests" >"$dir/results.txt"
grep '^#' "$dir/run.tests" | sed 's/^/  /'
cat "$dir/results.txt"
echo "qemu-nested: $((SECONDS - t0)) s"
! grep -q '^RESULT FAIL' "$dir/results.txt"
