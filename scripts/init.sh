#!/bin/busybox sh
# /init of the test machines: load vmem, run the selftests, report on the
# second serial port (ttyS1) between @@VMEM markers that
# scripts/parse-console.awk reads.  The kernel console stays on ttyS0, so
# kernel messages never cut into test output; each marker is also written
# to the kernel log, so a kernel problem can be pinned on the test that
# was running.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmp /tmp
stty -F /dev/ttyS1 115200 raw -echo 2>/dev/null
exec </dev/null >/dev/ttyS1 2>&1
mark() { echo "@@VMEM $*"; echo "vmemtest: $*" >/dev/kmsg; }

# Settings come from the kernel command line: vmemtest_<key>=<value>.
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^vmemtest_$1=//p"; }
timeout_s=$(arg timeout); : "${timeout_s:=120}"
only=$(arg only | tr , ' ')
params=$(arg params | tr , ' ')
mode=$(arg mode); : "${mode:=test}"
# The fuzzers' budget (selftests/lib/fz.h): make fuzz passes it.
fuzz=$(arg fuzz)
export VMEM_KO=/lib/vmem.ko VMEM_PARAMS="$params" VMEM_TEST_TIMEOUT=$timeout_s
[ -n "$fuzz" ] && export VMEM_FUZZ="$fuzz"

echo "@@VMEM BOOTED $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
insmod "$VMEM_KO" $params
echo "@@VMEM INSMOD rc=$?"

# One test in its own session (so its own process group), killed as a
# whole: at the limit, and at its end whatever it left running (a `vmem
# run` it started, a VM with it), so that the next test and rmmod find a
# clean machine.  Status 137 (killed) marks the overrun.
run_one() {	# test seconds
	setsid "/tests/$1" &
	pid=$!
	# The watchdog holds none of our output open: a sleep it leaves
	# behind (a TERM before its trap is set) must not keep a reader of
	# our stdout waiting for the whole limit.
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "$2" &
		s=$!
		wait $s
		kill -KILL -- "-$pid"
	) >/dev/null 2>&1 &
	dog=$!
	wait "$pid"
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	return $rc
}

case $mode in
test)
	tests=$only
	[ -n "$tests" ] || tests=$(cat /tests/tests.list)
	for t in $tests; do
		mark "BEGIN $t"
		start=$(cut -d. -f1 /proc/uptime)
		# A test listed in /tests/timeouts gets at least its own limit.
		lim=$timeout_s
		while read -r n s; do
			[ "$n" = "$t" ] && [ "$s" -gt "$lim" ] && lim=$s
		done </tests/timeouts 2>/dev/null
		export VMEM_TEST_TIMEOUT=$lim
		run_one "$t" "$lim"
		rc=$?
		end=$(cut -d. -f1 /proc/uptime)
		mark "END $t rc=$rc secs=$((end - start))"
		# A test must leave vmem loaded; put it back so the next one runs.
		[ -e /sys/module/vmem ] || insmod "$VMEM_KO" $params
	done
	;;
demo)
	/bin/demo.sh
	;;
bench)
	# Benchmarks: vmem first, then the distribution's KVM (one driver
	# loaded at a time); run-bench.sh leaves vmem loaded at the end.
	/bench/run-bench.sh
	;;
esac

# A kernel with kmemleak (the debug lines): what is unreferenced now, while
# vmem is still loaded to name its allocation sites.  A suspect must stay
# unreferenced and unchanged from one scan to the next: two scans.
leaks=/sys/kernel/debug/kmemleak
if [ -e "$leaks" ]; then
	echo scan >"$leaks"
	echo scan >"$leaks"
	echo "@@VMEM KMEMLEAK-BEGIN"
	cat "$leaks"
	echo "@@VMEM KMEMLEAK-END"
fi

echo "@@VMEM DMESG-BEGIN"
dmesg
echo "@@VMEM DMESG-END"
# Unload last: the module WARNs (and panic_on_warn fails the run) on a leak.
rmmod vmem
echo "@@VMEM RMMOD rc=$?"
mark "DONE"
# Let the UARTs drain before the machine goes away.
sleep 1
poweroff -f
