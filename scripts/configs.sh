# The test matrix: one line per configuration.
#   name  kernel-series  emulator  cpu-model  module-params  left-out-tests
# module-params and left-out-tests are comma-separated lists, or "-".
# Shadow-MMU lines: NPT absent from the CPU model, or tdp=0 (module
# parameter: Bochs's corei7_skylake_x has EPT, vmem leaves it unused).
# The whole suite runs on 6.1-vmx-ept but pshare, whose stress case alone
# runs for many minutes under Bochs (its other cases passed there by hand,
# EPT copy-on-write included; it runs on every QEMU line), and
# large_pages_events, which waits for the sharing daemon's passes range
# after range (over ten minutes there without finishing; it runs on the
# QEMU NPT lines), and share_saving, which waits for the daemon's merges
# in eight VMs (a debugfs figure independent of the vendor; it runs on
# every QEMU line).  The other two
# Bochs lines also leave out the tests that boot a Linux guest inside the
# test machine (some 7 minutes of wall time per line there), for the
# matrix's time budget; they boot Linux on 6.1-vmx-ept and on every QEMU
# line.  check.sh runs the Bochs lines in two lanes, every other line
# each: the order above balances them (6.12-vmx-ept alone, the two 6.1
# lines in the other).
# The two Bochs VMX lines differ in CPU count as well as kernel: 6.1 runs
# on one CPU (the uniprocessor paths, e.g. a guest spinning with IF=0 that
# only the preemption timer bounds), 6.12 on two, so the tests that need a
# second CPU (VMCS migration, host NMIs, preemption inside RUN) and the
# concurrent ones run for real on VMX.  Two Bochs CPUs share its one
# thread: the suite takes about twice as long (measured: ~12.5 min of
# Bochs CPU time against about 6 for one CPU), which one line can afford.
# The fuzzers (fuzz_calls, fuzz_state, fuzz_netlink) run on every QEMU
# line and on one VMX line, 6.1-vmx-ept, with a budget of sequences that
# is smaller under VMX (Bochs); make fuzz runs them longer.
# 6.1-svm-la57 is a host with 5-level paging and protection keys (the
# test machine's kernel runs with 5-level paging there): the nested page
# tables must follow the host's paging depth and no guest may reach LA57,
# PKE or its VMM's PKRU (x86_escape).  It is a QEMU line, so it runs in
# the QEMU lane, which ends well before the Bochs lanes do.
# Kernel series 6.12dbg is Debian's 6.12 source built by
# scripts/debug-kernel.sh with lockdep, KASAN, UBSAN, the atomic-sleep,
# list and object checks and kmemleak (scripts/debug-kernel.config); any
# report of theirs fails the test that was running.  The two 6.12dbg lines
# come last: check.sh starts that kernel's build in the background, and
# the QEMU lane reaches them after the four other QEMU lines.
VMEM_CONFIGS="
6.1-svm-npt    6.1   qemu   EPYC,+svm,+npt   -  -
6.12-svm-npt   6.12  qemu   EPYC,+svm,+npt   -  -
6.1-vmx-ept    6.1   bochs  corei7_skylake_x -  pshare,share_saving,large_pages_events
6.12-vmx-ept   6.12  bochs  corei7_skylake_x:2 -  boot_linux,boot_console,boot_ends,pshare,share_saving,large_pages_events,pool_limits,fuzz_calls,fuzz_state,fuzz_netlink
6.1-svm-shadow 6.1   qemu   EPYC,+svm,-npt   -  -
6.1-svm-la57   6.1   qemu   EPYC,+svm,+npt,+pku,+la57  -  -
6.1-vmx-shadow 6.1   bochs  corei7_skylake_x tdp=0  boot_linux,boot_console,boot_ends,pshare,share_saving,large_pages_events,pool_limits,fuzz_calls,fuzz_state,fuzz_netlink
6.12dbg-svm-npt    6.12dbg qemu EPYC,+svm,+npt  -  -
6.12dbg-svm-shadow 6.12dbg qemu EPYC,+svm,-npt  -  -
"

# Benchmark configurations (make bench): one line per machine.
#   name  kernel-series  emulator  cpu-model  module-params  kvm-module  args
# kvm-module is the distribution's vendor module the KVM side runs on
# (its dependencies are found with modinfo); "-" runs the vmem side only.
# args: comma-separated arguments for every benchmark program on this
# machine, before BENCH_ARGS (which therefore win), or "-".  Bochs's clock
# follows the instructions executed (clock: sync=none), so a repetition
# gives the same figure again (two runs agreed within 0.5%): one is enough
# there, and it keeps the boot benchmark to one boot per driver.
# More lines (shadow MMU via module parameters) are welcome; `make bench
# CONFIG=name` picks one.
VMEM_BENCH_CONFIGS="
6.1-svm-npt   6.1   qemu   EPYC,+svm,+npt   large_pages=1   kvm-amd    -
6.12-svm-npt  6.12  qemu   EPYC,+svm,+npt   large_pages=1   kvm-amd    -
6.1-vmx-ept   6.1   bochs  corei7_skylake_x large_pages=1   kvm-intel  --repeat=1
"
