#!/usr/bin/awk -f
# Judge one test machine's run.
#
# Input, in this order: the kernel console log (ttyS0), where init.sh's
# "vmemtest: BEGIN/END" markers sit in the kernel log, and the test channel
# log (ttyS1) with the @@VMEM markers and the tests' TAP output.
# Variables: cfg (configuration name), list (file with the expected test
# names, one per line).
# Output: one line per result, "RESULT <PASS|FAIL|SKIP> <cfg>/<test> <why>".
#
# A test passes when it exited 0 with a TAP plan whose every case reported
# ok.  An oops, WARN, BUG, panic or lockup while it ran, a timeout, a
# missing plan or a machine that never came back fail it; a test that never
# ran because the machine died fails too.  Lockdep, KASAN, UBSAN and the
# other debug-kernel reports count as trouble on every line.  The machine itself is judged as
# the pseudo-test "lifecycle": vmem loaded, unloaded without a leak, the
# kernel log stayed clean outside tests, kmemleak (where the kernel has it)
# found nothing vmem allocated unreferenced, and the run reached its end.
# A fuzzer (selftests/lib/fz.h) prints "# fuzz: NAME seq N seed X" before
# each sequence: a kernel report, a hang or a dead machine during a fuzzer
# names the last seed.  A machine whose emulator ended on its own (boot-
# qemu.sh's "@@HARNESS EMULATOR CRASHED") with no kernel report is an
# emulator crash, reported as such, not as a vmem failure.

# The debug kernel's checkers (lockdep, KASAN, UBSAN, atomic sleep, list
# and object debugging) report with "BUG:", a "WARNING:" heading or their
# own prefix; "WARNING:" counts where it opens the message (the SRSO boot
# notice has it in the middle).
function trouble(line) {
	return line ~ /(Oops|BUG:|WARNING: CPU:|cut here|Kernel panic|general protection fault|kernel BUG|Call Trace:|soft lockup|hard LOCKUP|blocked for more than|self-detected stall|detected stalls|UBSAN:|KASAN:|vmem: leaked)/ ||
		line ~ /(^|\] )(WARNING: |INFO: trying to register non-static key)/ ||
		line ~ /(sleeping function called from invalid context|scheduling while atomic|ODEBUG: |list_(add|del) corruption|DEBUG_LOCKS_WARN_ON)/
}

function finish(t, rc, secs,    why) {
	why = ""
	if (rc == 4 && !bad[t]) { result("SKIP", t, "skipped" skipwhy[t]); return }
	if (bad[t] != "")
		why = bad[t]
	else if (rc == 137)
		why = "timeout (killed after the per-test limit)"
	else if (rc != 0)
		why = "exit code " rc
	else if (!plan[t])
		why = "no TAP plan"
	else if (notok[t] > 0)
		why = notok[t] " case(s) not ok"
	else if (oks[t] != plan[t])
		why = "plan 1.." plan[t] " but " oks[t] " ok"
	if (why != "")
		result("FAIL", t, why seed[t])
	else
		result("PASS", t, oks[t] " cases, " secs "s")
}

function result(kind, t, why) {
	printf "RESULT %s %s/%s %s\n", kind, cfg, t, why
	done[t] = 1
}

BEGIN {
	n = 0
	while ((getline name < list) > 0)
		if (name != "") order[++n] = name
	cur = ""; kcur = ""; dcur = ""; indmesg = 0; booted = 0; insmod = -1; rmmod = -1; finished = 0
	inleak = 0; leakobj = ""; leakvmem = 0
	timeout = 0; life = ""
}

{ sub(/\r$/, "") }

# ---- the kernel console: only looking for trouble -----------------------
FILENAME == ARGV[1] {
	if ($0 ~ /vmemtest: BEGIN /) { kcur = $NF; next }
	if ($0 ~ /vmemtest: END /) { kcur = ""; next }
	if (trouble($0)) {
		if (kcur != "" && bad[kcur] == "")
			bad[kcur] = "kernel: " $0
		else if (kcur == "" && life == "")
			life = "kernel: " $0
	}
	next
}

# ---- the test channel ------------------------------------------------------
/^@@VMEM BOOTED/ { booted = 1; next }
/^@@VMEM INSMOD rc=/ { insmod = substr($3, 4) + 0; next }
/^@@VMEM BEGIN / { cur = $3; next }
/^@@VMEM END / {
	t = $3; rc = substr($4, 4) + 0; secs = substr($5, 6) + 0
	finish(t, rc, secs)
	cur = ""
	next
}
/^@@VMEM KMEMLEAK-BEGIN/ { inleak = 1; next }
/^@@VMEM KMEMLEAK-END/ {
	inleak = 0
	if (leakobj != "" && leakvmem && life == "") life = "kmemleak: " leakobj " allocated by vmem"
	next
}
/^@@VMEM DMESG-BEGIN/ { indmesg = 1; next }
/^@@VMEM DMESG-END/ { indmesg = 0; next }
/^@@VMEM RMMOD rc=/ { rmmod = substr($3, 4) + 0; next }
/^@@VMEM DONE/ { finished = 1; next }
/^@@HARNESS TIMEOUT/ { timeout = 1; next }
/^@@HARNESS EMULATOR CRASHED/ { emucrash = $0; sub(/^@@HARNESS EMULATOR CRASHED /, "", emucrash); next }

{
	if (inleak) {
		# One block per suspect: it counts when vmem is on its
		# allocation trace (the kernel's own suspects are not ours).
		if ($0 ~ /unreferenced object/) {
			if (leakobj != "" && leakvmem && life == "") life = "kmemleak: " leakobj " allocated by vmem"
			leakobj = $0; sub(/^ */, "", leakobj); leakvmem = 0
		} else if ($0 ~ /\[vmem\]/)
			leakvmem = 1
		next
	}
	if (indmesg) {
		# The kernel log again, with what was below the console level.
		if ($0 ~ /vmemtest: BEGIN /) dcur = $NF
		else if ($0 ~ /vmemtest: END /) dcur = ""
		else if (trouble($0)) {
			if (dcur != "" && bad[dcur] == "") bad[dcur] = "kernel: " $0
			else if (dcur == "" && life == "") life = "kernel: " $0
		}
		next
	}
	if (cur == "")
		next
	if ($0 ~ /^# fuzz: [^ ]+ seq [0-9]+ seed /) {
		seed[cur] = " (last fuzz seed " $NF ")"
		next
	}
	if ($0 ~ /^1\.\.[0-9]+/) {
		plan[cur] = substr($1, 4) + 0
		if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) skipwhy[cur] = ": " $0
	} else if ($0 ~ /^not ok [0-9]+/) {
		notok[cur]++
	} else if ($0 ~ /^ok [0-9]+/) {
		if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) skips[cur]++
		oks[cur]++
	}
}

END {
	if (cur != "") {
		if (bad[cur] != "")
			why = bad[cur]
		else if (emucrash != "")
			why = "emulator crashed, not a vmem failure (" emucrash ")"
		else
			why = timeout ? "machine hung (harness timeout)" : "machine died during the test"
		result("FAIL", cur, why seed[cur])
	}
	for (i = 1; i <= n; i++)
		if (!done[order[i]])
			result("FAIL", order[i], booted ? "not run: the machine did not get to it" : "not run: the machine did not boot")
	if (!booted)
		life = timeout ? "machine did not boot (harness timeout)" : "machine did not boot"
	else if (insmod != 0 && life == "")
		life = "insmod failed (rc=" insmod ")"
	else if (life == "" && !finished)
		life = timeout ? "machine hung (harness timeout)" : emucrash != "" ? "emulator crashed (" emucrash ")" : "run did not reach its end"
	else if (life == "" && rmmod != 0)
		life = "rmmod failed (rc=" rmmod ")"
	if (life != "")
		result("FAIL", "lifecycle", life)
	else
		result("PASS", "lifecycle", "load, run, unload clean")
}
