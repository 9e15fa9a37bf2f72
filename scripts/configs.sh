# The test matrix: one line per configuration.
#   name  kernel-series  emulator  cpu-model  module-params  left-out-tests
# module-params and left-out-tests are comma-separated lists, or "-".
# Shadow-MMU lines: NPT absent from the CPU model, or tdp=0 (module
# parameter: Bochs's corei7_skylake_x has EPT, vmem leaves it unused).
# Which line runs what (README.md has the table).  Every test runs on
# 6.1-svm-npt and 6.1-svm-shadow, the two MMUs of the SVM backend; the
# other lines leave out what they cannot add to, for the matrix's time
# budget (make check under 60 minutes on a warm 2-core machine):
# - qemu_boot (QEMU on -accel vmem, three nested boots) runs on those two
#   lines only: a third nested emulator under Bochs or KASAN would take
#   most of the budget by itself.
# - Tests of the control plane and of the memory layer's bookkeeping,
#   which no vendor code touches (CONTROL below: netlink, pools, the CLI,
#   tunables, the statistics' counters, the reclaim worker, the harness
#   and kselftest runner), run on every QEMU line but not under Bochs.
# - Under Bochs (VMX, some ten times slower): 6.1-vmx-ept runs the rest of
#   the suite, fuzz_calls and fuzz_state with a smaller budget included,
#   but pshare, whose stress case alone runs for many minutes there (its
#   other cases passed there by hand, EPT copy-on-write included),
#   large_pages_events, which waits for the sharing daemon's passes range
#   after range (over ten minutes there without finishing), and
#   share_saving, which waits for the daemon's merges in eight VMs (both
#   independent of the vendor).  The other two Bochs lines also leave out
#   the tests that boot a Linux guest inside the test machine (some 7
#   minutes of wall time per line there) and the fuzzers; they boot Linux
#   on 6.1-vmx-ept and on every QEMU line, and pool_swap, which since
#   swap I/O moved to the reclaim worker takes 12.5 guest seconds on
#   6.1-vmx-ept (4.7 before; 19-25 s on the QEMU lines, as before), some
#   8 minutes of wall time there and twice that on two Bochs CPUs
#   (6.12-vmx-ept was cut in it at its 4000-s limit).  walker_errors,
#   which swaps 16 MiB out the same way, is left out of 6.12-vmx-ept too
#   (it runs on the two 6.1 Bochs lines, EPT and shadow).
#   check.sh runs the Bochs lines
#   in two lanes, every other line each: the order below balances them
#   (6.12-vmx-ept alone, the two 6.1 lines in the other).
# The two Bochs VMX lines differ in CPU count as well as kernel: 6.1 runs
# on one CPU (the uniprocessor paths, e.g. a guest spinning with IF=0 that
# only the preemption timer bounds), 6.12 on two, so the tests that need a
# second CPU (VMCS migration, host NMIs, preemption inside RUN) and the
# concurrent ones run for real on VMX.  Two Bochs CPUs share its one
# thread: the suite takes about twice as long (measured: ~12.5 min of
# Bochs CPU time against about 6 for one CPU), which one line can afford.
# 6.1-svm-la57 is a host with 5-level paging and protection keys (the
# test machine's kernel runs with 5-level paging there): the nested page
# tables must follow the host's paging depth and no guest may reach LA57,
# PKE or its VMM's PKRU (x86_escape).
# Kernel series 6.12dbg is Debian's 6.12 source built by
# scripts/debug-kernel.sh with lockdep, KASAN, UBSAN, the atomic-sleep,
# list and object checks and kmemleak (scripts/debug-kernel.config); any
# report of theirs fails the test that was running.  That kernel runs
# vmem's code 2 to 10 times slower (pool_swap: 29 s on 6.1-svm-npt, 280 s
# there), so in make check its lines run the tests that exercise vmem's
# locks and memory paths (DEBUG_NPT: the core, memory, sharing counters,
# reclaim and swap, pools, netlink, the fuzzers of calls and netlink;
# DEBUG_SHADOW: the shadow MMU's tests, the walker, the state fuzzer),
# and not the Linux boots, the CLI tests or the daemon's long waits
# (pshare, large_pages_events, share_saving): `make check
# CONFIG=6.12dbg-svm-npt TEST=...` runs any of those there.  swap_worker
# is left out there too: its reader of guest memory can die of SIGBUS
# when four writers take the room the reclaim worker made before its
# fault's one retry (seen once there; a known defect of the user-fault
# retry, issue 14's note), which the slow kernel makes likely.  The two 6.12dbg lines
# come last in the QEMU lane: check.sh starts that kernel's build (and
# QEMU's, for qemu_boot) in the background at once.  The QEMU lane's
# order puts 6.1-svm-npt and 6.1-svm-shadow, which wait for QEMU's build,
# after 6.12-svm-npt and 6.1-svm-la57.
CONTROL=pool_cli,tunable_cli,launcher_cli,pool_limits,pool_concurrency,netlink_bad_input,nl_visibility,user_limits,pool_admission,share_counters,swap_worker,harness_session,ksft_runner,fuzz_netlink,qemu_boot
BOCHS_SLOW=pshare,share_saving,large_pages_events
BOCHS_LINUX=boot_linux,boot_console,boot_ends,fuzz_calls,fuzz_state
DEBUG_NPT=harness_session,api_version,capabilities,bad_ioctl,permissions,bad_vm_input,regs,interrupts,triple_fault,memory,memory_alias,large_pages,share_counters,vm_lifetime,kick,multi,x86_escape,core_vm,core_run,pool_admission,netlink_bad_input,pool_concurrency,pool_swap,user_limits,nl_visibility,walker_errors,fuzz_calls,fuzz_netlink,load_unload
DEBUG_SHADOW=api_version,modes,regs,interrupts,triple_fault,memory,memory_alias,share_counters,kick,shadow_tlb,shadow_modes,x86_escape,core_run,walker_errors,fuzz_state,load_unload
VMEM_CONFIGS="
6.12-svm-npt   6.12  qemu   EPYC,+svm,+npt   -  qemu_boot
6.1-vmx-ept    6.1   bochs  corei7_skylake_x -  $CONTROL,$BOCHS_SLOW
6.12-vmx-ept   6.12  bochs  corei7_skylake_x:2 -  $CONTROL,$BOCHS_SLOW,$BOCHS_LINUX,pool_swap,walker_errors
6.1-svm-la57   6.1   qemu   EPYC,+svm,+npt,+pku,+la57  -  qemu_boot
6.1-svm-npt    6.1   qemu   EPYC,+svm,+npt   -  -
6.1-vmx-shadow 6.1   bochs  corei7_skylake_x tdp=0  $CONTROL,$BOCHS_SLOW,$BOCHS_LINUX,pool_swap
6.1-svm-shadow 6.1   qemu   EPYC,+svm,-npt   -  -
6.12dbg-svm-npt    6.12dbg qemu EPYC,+svm,+npt  -  only:$DEBUG_NPT
6.12dbg-svm-shadow 6.12dbg qemu EPYC,+svm,-npt  -  only:$DEBUG_SHADOW
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
