#!/usr/bin/env bash
# Run vmem's test matrix: build the module for each kernel (W=1, sparse),
# build the selftests, boot every configuration in its emulator, judge the
# console logs, and print one line per configuration and the totals.
#
# Usage: scripts/check.sh [-c CONFIG]... [-t TEST]... [-k]
#   -c CONFIG  run only this configuration (see scripts/configs.sh)
#   -t TEST    run only this selftest (name as in selftests/tests.list)
#   -k         keep going quietly: don't print failing tests' output
# Environment: VMEM_BUILD (default build/), VMEM_TEST_TIMEOUT (seconds per
# test, default 180 under QEMU and 1200 under Bochs), VMEM_HOST_BOOT (a
# scripts/host-boot.sh snapshot taken before the set-up: /boot compared),
# VMEM_FUZZ (the fuzzers' budget, selftests/lib/fz.h) and VMEM_WALL (the
# machine's wall limit in seconds), which scripts/fuzz.sh sets.
# Logs: $VMEM_BUILD/logs/<config>/run.console (kernel console), run.tests
# (test output), results.txt; build logs in $VMEM_BUILD/logs/.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/configs.sh"
build=${VMEM_BUILD:-$top/build}
want_cfgs=() want_tests=() quiet=0
while getopts "c:t:kh" o; do
	case $o in
	c) want_cfgs+=("$OPTARG") ;;
	t) want_tests+=("$OPTARG") ;;
	k) quiet=1 ;;
	*) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done

# Pick the configurations.
declare -a cfgs
while read -r name series emu cpu params skip; do
	[ -n "$name" ] || continue
	if [ ${#want_cfgs[@]} -gt 0 ]; then
		printf '%s\n' "${want_cfgs[@]}" | grep -qx "$name" || continue
	fi
	cfgs+=("$name $series $emu $cpu $params ${skip:--}")
done <<<"$VMEM_CONFIGS"
if [ ${#cfgs[@]} -eq 0 ]; then
	echo "check: no configuration matches ${want_cfgs[*]}" >&2
	exit 2
fi
series_used=$(printf '%s\n' "${cfgs[@]}" | awk '{print $2}' | sort -u)
# Debian's kernels are fetched; the debug kernel (series *dbg) is built
# from source by scripts/debug-kernel.sh, which takes many minutes the
# first time: it starts now, in the background, and the lines that boot
# it wait for it in the QEMU lane (they come last there).
dist_series=$(printf '%s\n' $series_used | grep -v 'dbg$')
dbg_series=$(printf '%s\n' $series_used | grep 'dbg$')

mkdir -p "$build/logs"
rm -f "$build"/logs/build-*.results
if [ -n "$dbg_series" ]; then
	"$top/scripts/debug-kernel.sh" >"$build/logs/debug-kernel.log" 2>&1 &
fi
# QEMU with the vmem accelerator (scripts/qemu-build.sh, cached outside
# the clone like the debug kernel) for the qemu_* tests: built in the
# background too, when a QEMU line may run one; the first line that needs
# it waits for it (run_config).
want_qemu=0
if printf '%s\n' "${cfgs[@]}" | awk '$3 == "qemu"' | grep -q . &&
	{ [ ${#want_tests[@]} -eq 0 ] || printf '%s\n' "${want_tests[@]}" | grep -q '^qemu_'; }; then
	want_qemu=1
fi
rm -f "$build/logs/qemu-build.rc"
if [ $want_qemu -eq 1 ] && [ -z "${VMEM_QEMU_BIN:-}" ]; then
	( "$top/scripts/qemu-build.sh" >"$build/logs/qemu-build.log" 2>&1
	  echo $? >"$build/logs/qemu-build.rc" ) &
fi
[ -z "$dist_series" ] || "$top/scripts/kernels.sh" $dist_series || exit 1
results=$build/logs/results.txt
: >"$results"

# ---- builds: one result per kernel, failing on any warning -------------
build_series() {	# series: results on stdout
	local s=$1 rel log nw ko elog
	rel=$(cat "$top/.cache/kernels/$s/release")
	log=$build/logs/build-$s.log
	if "$top/scripts/build-module.sh" "$rel" "$build/$s" >"$log" 2>&1; then
		nw=$(grep -cE '(warning|error):' "$log")
		if [ "$nw" -eq 0 ]; then
			echo "RESULT PASS build/$s-W1-sparse clean"
		else
			echo "RESULT FAIL build/$s-W1-sparse $nw warning(s), see $log"
		fi
	else
		echo "RESULT FAIL build/$s-W1-sparse build failed, see $log"
	fi
	# Speculation the harness cannot observe: read the world switches.
	ko=$build/$s/kmod/vmem.ko elog=$build/logs/entry-$s.log
	if [ -f "$ko" ]; then
		if "$top/scripts/check-entry.sh" "$ko" >"$elog" 2>&1; then
			echo "RESULT PASS build/$s-entry-mitigations"
		else
			echo "RESULT FAIL build/$s-entry-mitigations see $elog"
		fi
	fi
}
for s in $dist_series; do
	build_series "$s" >>"$results"
done
# The debug kernel's module, once the kernel is there (the first line of
# the series in the QEMU lane asks; debug-kernel.sh's lock makes it wait
# for the background build).  Its results join the report at the end.
build_dbg() {	# series
	local s=$1 out=$build/logs/build-$1.results
	[ -f "$out" ] && return
	rm -f "$build/$s/kmod/vmem.ko"
	if "$top/scripts/debug-kernel.sh" >>"$build/logs/debug-kernel.log" 2>&1; then
		build_series "$s" >"$out"
	else
		echo "RESULT FAIL build/$s-kernel see $build/logs/debug-kernel.log" >"$out"
	fi
}

make -s -C "$top/selftests" OUT="$build/selftests" >"$build/logs/selftests-build.log" 2>&1 &&
	make -s -C "$top/userspace" OUT="$build/userspace" >"$build/logs/userspace-build.log" 2>&1
ubuild=$?
# The Linux guest `vmem run` boots in the boot_* tests (missing: they skip).
"$top/scripts/guest/build.sh" "$build/guest" >"$build/logs/guest-build.log" 2>&1 ||
	echo "check: the Linux guest did not build, see $build/logs/guest-build.log" >&2
# The 6.12 guest too, for boot_ends's panic on both guest kernels.
"$top/scripts/guest/build.sh" "$build/guest-6.12" 6.12 >>"$build/logs/guest-build.log" 2>&1 ||
	echo "check: the 6.12 Linux guest did not build, see $build/logs/guest-build.log" >&2
# kselftest's install convention: the programs, tests.list, settings and
# run_kselftest.sh in INSTALL_PATH (ksft_runner runs the runner in the
# test machines).
kinst=$build/kselftest-install
rm -rf "$kinst"
if [ $ubuild -eq 0 ]; then
	if make -s -C "$top/selftests" OUT="$build/selftests" install INSTALL_PATH="$kinst" \
		>"$build/logs/kselftest-install.log" 2>&1 &&
		[ -x "$kinst/run_kselftest.sh" ] && [ -f "$kinst/settings" ] &&
		cmp -s "$kinst/tests.list" "$build/selftests/tests.list" &&
		(cd "$kinst" && ./run_kselftest.sh --list | cmp -s - tests.list); then
		echo "RESULT PASS build/kselftest-install run_kselftest.sh, settings, tests.list" >>"$results"
	else
		echo "RESULT FAIL build/kselftest-install see $build/logs/kselftest-install.log" >>"$results"
	fi
fi
if [ $ubuild -eq 0 ]; then
	echo "RESULT PASS build/userspace-selftests clean" >>"$results"
else
	echo "RESULT FAIL build/userspace-selftests see $build/logs/*-build.log" >>"$results"
fi

# The background QEMU build's end; its result joins the report once.
wait_qemu_build() {
	local out=$build/logs/build-qemu.results rc
	[ -n "${VMEM_QEMU_BIN:-}" ] && return
	while [ ! -f "$build/logs/qemu-build.rc" ]; do sleep 5; done
	[ -f "$out" ] && return
	rc=$(cat "$build/logs/qemu-build.rc")
	if [ "$rc" = 0 ]; then
		echo "RESULT PASS build/qemu-accel $("$top/scripts/qemu-build.sh" --prefix)" >"$out"
	else
		echo "RESULT FAIL build/qemu-accel see $build/logs/qemu-build.log" >"$out"
	fi
}

# ---- boots ----------------------------------------------------------------
run_config() {	# name series emu cpu params skip
	local name=$1 series=$2 emu=$3 cpu=$4 params=$5 skip=$6
	local dir=$build/logs/$name ko=$build/$series/kmod/vmem.ko
	local tlimit wall list append
	rm -rf "$dir" && mkdir -p "$dir"
	case $series in *dbg) build_dbg "$series" ;; esac
	list=$dir/tests.list
	if [ ${#want_tests[@]} -gt 0 ]; then
		printf '%s\n' "${want_tests[@]}" >"$list"
	else
		cp "$build/selftests/tests.list" "$list"
	fi
	# Tests this configuration leaves out (configs.sh says why).
	: >"$dir/excluded.txt"
	# "only:a,b,..." keeps just those tests (in the suite's order): the
	# others are left out, unless -t named them.
	if [ "${skip#only:}" != "$skip" ] && [ ${#want_tests[@]} -gt 0 ]; then
		skip=-
	elif [ "${skip#only:}" != "$skip" ]; then
		skip=$(grep -vxF -f <(tr , '\n' <<<"${skip#only:}") "$list" | paste -sd,)
		[ -n "$skip" ] || skip=-
	fi
	if [ "$skip" != "-" ]; then
		for t in ${skip//,/ }; do
			grep -qx "$t" "$list" || continue
			echo "RESULT SKIP $name/$t left out of this configuration (scripts/configs.sh)" >>"$dir/excluded.txt"
			grep -vx "$t" "$list" >"$list.new"; mv "$list.new" "$list"
		done
	fi
	if [ ! -f "$ko" ] || [ $ubuild -ne 0 ]; then
		while read -r t; do
			echo "RESULT FAIL $name/$t not run: build failed"
		done <"$list" >"$dir/results.txt"
		echo "RESULT FAIL $name/lifecycle not run: build failed" >>"$dir/results.txt"
		return
	fi
	mkdir -p "$dir/extra/bin"
	cp "$build/userspace/vmem" "$dir/extra/bin/" 2>/dev/null
	cp -r "$build/guest" "$dir/extra/guest" 2>/dev/null
	cp -r "$build/guest-6.12" "$dir/extra/guest-6.12" 2>/dev/null
	# QEMU with the vmem accelerator for the qemu_* tests, on the QEMU
	# lines, when it is built (scripts/qemu-build.sh; VMEM_QEMU_BIN names
	# a development build): some 19 MB more initramfs, so only when a
	# qemu_* test is in the list.  Without it they skip.
	if [ "$emu" = qemu ] && grep -q '^qemu_' "$list"; then
		wait_qemu_build
		"$top/scripts/qemu-into-initramfs.sh" "$dir/extra" >"$dir/qemu-into-initramfs.log" 2>&1 ||
			echo "check: $name: no QEMU for the qemu_* tests (see $dir/qemu-into-initramfs.log)" >&2
	fi
	"$top/scripts/mkinitramfs.sh" "$dir/initrd.gz" "$ko" "$build/selftests" "$dir/extra"
	# Per-test limits are in guest seconds; Bochs's guest clock runs
	# slower than the wall clock (clock: sync=none).  The machine's wall
	# limit keeps a hung machine from eating CI's 90 minutes: QEMU machines
	# run one after another, Bochs beside them.  The slowest Bochs line
	# (6.12-vmx-ept, two CPUs) needs about 2000 s with the cores to
	# itself and reached 3000 s while the four QEMU lines and another
	# Bochs line ran beside it: 4000 leaves room, and a hung machine
	# still ends, with the builds before it, well inside CI's 90 minutes.
	# A QEMU line's 1800 s has room for qemu_boot's own 1200
	# (selftests/timeouts) beside some 600 s of other tests.
	case $emu in
	qemu) tlimit=${VMEM_TEST_TIMEOUT:-180}; wall=${VMEM_WALL:-1800} ;;
	bochs) tlimit=${VMEM_TEST_TIMEOUT:-600}; wall=${VMEM_WALL:-4000} ;;
	esac
	# KASAN, lockdep and the other checkers slow the debug kernel down.
	case $series in
	*dbg) tlimit=${VMEM_TEST_TIMEOUT:-360}; wall=${VMEM_WALL:-2400} ;;
	esac
	# A larger VMEM_TEST_TIMEOUT must fit in the machine's wall limit.
	[ "$wall" -lt $((tlimit + 300)) ] && wall=$((tlimit + 300))
	append="vmemtest_timeout=$tlimit vmemtest_only=$(paste -sd, "$list")"
	[ -n "${VMEM_FUZZ:-}" ] && append+=" vmemtest_fuzz=$VMEM_FUZZ"
	[ "$params" != "-" ] && append+=" vmemtest_params=$params"
	local t0=$SECONDS
	"$top/scripts/boot-$emu.sh" "$top/.cache/kernels/$series/vmlinuz" "$dir/initrd.gz" \
		"$dir/run" "$cpu" "$append" "$wall"
	awk -v cfg="$name" -v list="$list" -f "$top/scripts/parse-console.awk" \
		"$dir/run.console" "$dir/run.tests" >"$dir/results.txt"
	cat "$dir/excluded.txt" >>"$dir/results.txt"
	echo "$((SECONDS - t0))" >"$dir/seconds"
}

# QEMU machines take both cores one after another (a few minutes each).
# Bochs is single-threaded and an order of magnitude slower: its machines
# run beside them in two lanes (every other Bochs configuration), so the
# second core is not left idle once the QEMU lane is done.  Bochs's
# per-test limits count guest time, so sharing the cores cannot time a
# test out there.
lane() {	# emulator lane-index lanes
	local emu=$1 want=$2 lanes=$3 c i=0
	for c in "${cfgs[@]}"; do
		set -- $c
		[ "$3" = "$emu" ] || continue
		[ $((i++ % lanes)) -eq "$want" ] && run_config "$@"
	done
}
lane qemu 0 1 &
lane bochs 0 2 &
lane bochs 1 2 &
wait

# ---- report ---------------------------------------------------------------
[ -n "${VMEM_HOST_BOOT:-}" ] && "$top/scripts/host-boot.sh" compare "$VMEM_HOST_BOOT" >>"$results"
cat "$build"/logs/build-*.results >>"$results" 2>/dev/null
for c in "${cfgs[@]}"; do
	set -- $c
	cat "$build/logs/$1/results.txt" >>"$results"
done
grep -E '^RESULT (FAIL|SKIP)' "$results" | sed 's/^RESULT //'
if [ $quiet -eq 0 ]; then
	for c in "${cfgs[@]}"; do
		set -- $c
		log=$build/logs/$1/run.tests
		fails=$(awk -v p="$1/" '$2 == "FAIL" && index($3, p) == 1 { sub(p, "", $3); print $3 }' "$results")
		[ -n "$fails" ] && [ -f "$log" ] || continue
		for t in $fails; do
			grep -q "^@@VMEM BEGIN $t" "$log" || continue
			echo "---- $1/$t (from $log) ----"
			tr -d '\r' <"$log" | sed -n "/^@@VMEM BEGIN $t\$/,/^@@VMEM END $t /p" | tail -n 60
		done
		echo "---- $1: kernel console, last lines (${log%.tests}.console) ----"
		tr -d '\r' <"${log%.tests}.console" | tail -n 30
	done
fi
echo
printf '%-24s %6s %6s %6s %6s\n' configuration passed failed skipped secs
for c in "${cfgs[@]}" build; do
	set -- $c
	if [ "$1" = build ]; then
		pat='build/'
		secs=-
	else
		pat="$1/"
		secs=$(cat "$build/logs/$1/seconds" 2>/dev/null || echo -)
	fi
	awk -v pat="$pat" -v name="$1" -v secs="$secs" '
		index($3, pat) == 1 { n[$2]++ }
		END { printf "%-24s %6d %6d %6d %6s\n", name, n["PASS"], n["FAIL"], n["SKIP"], secs }' "$results"
done
awk '{ n[$2]++ } END {
	printf "%d passed, %d failed", n["PASS"], n["FAIL"]
	if (n["SKIP"]) printf ", %d skipped", n["SKIP"]
	printf "\n"
	exit n["FAIL"] > 0 }' "$results"
