#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_kselftest.sh - run vmem's selftests as the kernel's kselftest runner
# does: TAP 13 on stdout, one "ok|not ok N selftests: vmem: NAME" line per
# program with the program's own output before it as "# " lines, exit 4
# reported as "# SKIP", and a per-program timeout ("# TIMEOUT").  Each
# program runs in its own session and is killed with everything it
# started, as in scripts/init.sh.  Exit status 0 when every program
# passed or skipped, 1 otherwise.
#
#   run_kselftest.sh [-o|--override-timeout SECS] [-t|--test NAME]... [-l|--list]
#
# Installed by "make -C selftests install INSTALL_PATH=DIR" beside the
# programs, tests.list (the order) and settings (timeout=SECS); "make -C
# selftests run_tests" runs it from the build directory.  Needs /dev/vmem
# (the module loaded) and, for most programs, root.
here=$(cd "$(dirname "$0")" && pwd)
timeout_s=$(sed -n 's/^timeout=//p' "$here/settings" 2>/dev/null)
: "${timeout_s:=45}"
tests=
while [ $# -gt 0 ]; do
	case $1 in
	-o|--override-timeout) timeout_s=$2; shift 2 ;;
	-t|--test) tests="$tests $2"; shift 2 ;;
	-l|--list) cat "$here/tests.list"; exit 0 ;;
	-h|--help) sed -n 's/^#   //p' "$0"; exit 0 ;;
	*) echo "run_kselftest.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -n "$tests" ] || tests=$(cat "$here/tests.list")

# One program in its own session, the session killed at the limit and at
# its end; 137 when the limit killed it.
run_one() {	# program seconds output-file
	setsid "$1" >"$3" 2>&1 </dev/null &
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

out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
set -- $tests
echo "TAP version 13"
echo "1..$#"
n=0 failed=0
for t in "$@"; do
	n=$((n + 1))
	echo "# selftests: vmem: $t"
	if [ ! -x "$here/$t" ]; then
		echo "not ok $n selftests: vmem: $t # no such program"
		failed=1
		continue
	fi
	cd "$here" || exit 1
	run_one "./$t" "$timeout_s" "$out"
	rc=$?
	sed 's/^/# /' "$out"
	case $rc in
	0) echo "ok $n selftests: vmem: $t" ;;
	4) echo "ok $n selftests: vmem: $t # SKIP" ;;
	137) echo "not ok $n selftests: vmem: $t # TIMEOUT $timeout_s seconds"
	     failed=1 ;;
	*) echo "not ok $n selftests: vmem: $t # exit=$rc"; failed=1 ;;
	esac
done
exit $failed
