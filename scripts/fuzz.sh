#!/usr/bin/env bash
# make fuzz: run the fuzzers (selftests/fuzz_*) for as long as asked, in
# the test machines of scripts/check.sh, and print their figures.
#
# Usage: scripts/fuzz.sh [-c CONFIG]... [-t TEST]... [-s SECONDS] [-S SEED]
#                        [-n SEQS] [-r SEQ_SEED]
#   -c CONFIG    configuration (default 6.1-svm-npt); several run in turn
#   -t TEST      fuzz_calls, fuzz_state or fuzz_netlink (default: all three)
#   -s SECONDS   seconds per fuzzer (default 600; guest seconds under Bochs)
#   -n SEQS      sequences per fuzzer instead (with -s: whichever ends first)
#   -S SEED      base seed (default: from the clock, printed): the same
#                seed and budget give the same sequences again
#   -r SEQ_SEED  replay the one sequence with this seed (from a report's
#                "# fuzz: NAME seq N seed 0x..." line); give its -t
# Results as for check.sh: build/logs/<config>/{results.txt,run.tests,run.console}.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VMEM_BUILD:-$top/build}
cfgs=() tests=() secs="" seqs="" seed="" replay=""
while getopts "c:t:s:S:n:r:h" o; do
	case $o in
	c) cfgs+=("$OPTARG") ;;
	t) tests+=("$OPTARG") ;;
	s) secs=$OPTARG ;;
	S) seed=$OPTARG ;;
	n) seqs=$OPTARG ;;
	r) replay=$OPTARG ;;
	*) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
[ ${#cfgs[@]} -gt 0 ] || cfgs=(6.1-svm-npt)
[ ${#tests[@]} -gt 0 ] || tests=(fuzz_calls fuzz_state fuzz_netlink)
if [ -n "$replay" ] && [ ${#tests[@]} -ne 1 ]; then
	echo "fuzz: -r replays one fuzzer's sequence: give its -t" >&2
	exit 2
fi
[ -n "$secs$seqs" ] || secs=600
[ -n "$seed" ] || seed=$(date +%s)

fuzz="seed=$seed"
[ -n "$secs" ] && fuzz+=",seconds=$secs"
[ -n "$seqs" ] && fuzz+=",seqs=$seqs"
[ -n "$replay" ] && fuzz="replay=$replay"
# A fuzzer stops starting sequences at its time; the last one may run for
# its own limit (60 s) and the leak check after it for a few more.  A run
# by sequences alone gets a day.
per=$(( ${secs:-86400} + 180 ))
echo "fuzz: ${cfgs[*]}: ${tests[*]}: VMEM_FUZZ=$fuzz"

targs=()
for t in "${tests[@]}"; do targs+=(-t "$t"); done
rc=0
for c in "${cfgs[@]}"; do
	. "$top/scripts/configs.sh"
	emu=$(awk -v c="$c" '$1 == c { print $3 }' <<<"$VMEM_CONFIGS")
	# Bochs's guest clock runs slower than the wall clock.
	slow=1
	[ "$emu" = bochs ] && slow=6
	VMEM_FUZZ=$fuzz VMEM_TEST_TIMEOUT=$per \
	VMEM_WALL=$(( (per * ${#tests[@]} + 300) * slow )) \
		"$top/scripts/check.sh" -k -c "$c" "${targs[@]}" || rc=1
	echo "---- $c: figures (from $build/logs/$c/run.tests) ----"
	tr -d '\r' <"$build/logs/$c/run.tests" |
		grep -E '^# fuzz: [a-z_]+(:| exits| base| seed)' | grep -v ' seq [0-9]* seed '
done
exit $rc
