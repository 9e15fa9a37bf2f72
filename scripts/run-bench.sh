#!/bin/busybox sh
# Inside the benchmark machine (copied to /bench/run-bench.sh by
# scripts/bench.sh, started by /init in mode "bench"): run every benchmark
# program on vmem, then on the distribution's KVM, one driver loaded at a
# time, and print their output between @@BENCH-BEGIN and @@BENCH-END.
#
# /init has loaded vmem already.  vmem refuses to load while kvm.ko is
# loaded and refuses to let it load while vmem is, so one round is:
#   vmem side -> rmmod vmem -> insmod KVM modules -> KVM side ->
#   rmmod them (reverse order) -> [insmod KVM modules with the vendor
#   module's paging off (npt=0 / ept=0) -> KVM side of the programs in
#   modes.list -> rmmod them] -> insmod vmem
# KVM chooses its paging mode per module load, vmem per VM: the programs
# in modes.list run both of vmem's modes in one go and report which mode
# KVM was loaded with.
# With several rounds the drivers alternate, so a slow patch of the host
# weighs on both; the host keeps the best round.  vmem is loaded
# again at the end, so /init's final unload still checks it for leaks.
#
# Files in /bench:  benches.list (programs, run order), args (extra
# arguments for every program), kvm.modules (.ko files under /bench/kvm,
# in load order, the vendor module last; empty: no KVM side), modes.list
# (programs to run again with KVM's paging off), kvm.tdp_param (the
# vendor module's paging parameter, npt or ept; absent: no second pass).  Kernel command line:
# vmemtest_timeout (seconds per program and driver), vmemtest_rounds.
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^vmemtest_$1=//p"; }
timeout_s=$(arg timeout); : "${timeout_s:=900}"
rounds=$(arg rounds); : "${rounds:=1}"
args=$(cat /bench/args 2>/dev/null)
mark() { echo "@@BENCH-$*"; echo "vmembench: $*" >/dev/kmsg; }

# An idle VM held beside the programs of one driver (bench_exits --hold),
# so no benchmark's VM is the driver's first or last: KVM turns
# virtualization on/off on every CPU and live-patches a static key
# (int3 + IPIs) at those points, which is not what we measure and was seen
# to hang QEMU's multi-threaded TCG now and then.  Killed before unloading.
hold_start() {	# driver
	holder=
	[ -x /bench/bench_exits ] || return 0
	/bench/bench_exits --driver "$1" --hold &
	holder=$!
	sleep 1		# let it create its VM before the first program does
}

hold_stop() {
	[ -n "$holder" ] || return 0
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	holder=
}

run_side() {	# driver round [program list]
	local d=$1 r=$2 list=${3:-/bench/benches.list} b rc start end
	hold_start "$d"
	for b in $(cat "$list"); do
		mark "RUN $d $b round=$r"
		start=$(cut -d' ' -f1 /proc/uptime)
		timeout -s KILL "$timeout_s" "/bench/$b" --driver "$d" $args
		rc=$?
		end=$(cut -d' ' -f1 /proc/uptime)
		mark "RC $d $b rc=$rc round=$r uptime=$start-$end"
	done
	hold_stop
}

kvm_load() {	# [vendor module parameter]; on failure, unload what loaded
	local m last p
	kvm_loaded=
	last=$(tail -n 1 /bench/kvm.modules)
	for m in $(cat /bench/kvm.modules); do
		p=
		[ "$m" = "$last" ] && p=$1
		if ! insmod "/bench/kvm/$m" $p; then
			mark "NOTE insmod $m failed: no KVM figures"
			kvm_unload
			return 1
		fi
		kvm_loaded="$m $kvm_loaded"
	done
}

kvm_unload() {	# reverse order
	local m
	for m in $kvm_loaded; do
		rmmod "/bench/kvm/$m" || mark "NOTE rmmod $m failed"
	done
	kvm_loaded=
}

echo "@@BENCH-BEGIN"
echo "@@BENCH-INFO kernel $(uname -r) cpus $(grep -c ^processor /proc/cpuinfo) rounds $rounds"
echo "@@BENCH-INFO cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "@@BENCH-INFO clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

vmem=
if [ -e /sys/module/vmem ]; then
	vmem=1
else
	mark "NOTE vmem is not loaded: no vmem figures"
fi
kvm=
if [ -s /bench/kvm.modules ]; then
	kvm=1
else
	mark "NOTE no KVM modules for this configuration"
fi

r=1
while [ "$r" -le "$rounds" ]; do
	if [ -n "$vmem" ]; then
		run_side vmem "$r"
		rmmod vmem || { mark "NOTE rmmod vmem failed: stopping"; break; }
	fi
	if [ -n "$kvm" ]; then
		if kvm_load; then
			run_side kvm "$r"
			kvm_unload
		else
			kvm=
		fi
	fi
	if [ -n "$kvm" ] && [ -s /bench/kvm.tdp_param ] && [ -s /bench/modes.list ]; then
		tdp_param=$(cat /bench/kvm.tdp_param)
		mark "NOTE KVM again with $tdp_param=0 for $(paste -sd' ' /bench/modes.list)"
		if kvm_load "$tdp_param=0"; then
			run_side kvm "$r" /bench/modes.list
			kvm_unload
		fi
	fi
	if [ -n "$vmem" ]; then
		insmod "$VMEM_KO" $VMEM_PARAMS ||
			{ mark "NOTE could not reload vmem: stopping"; break; }
	fi
	r=$((r + 1))
done
echo "@@BENCH-END"
