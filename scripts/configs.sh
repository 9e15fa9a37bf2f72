# The test matrix: one line per configuration.
#   name  kernel-series  emulator  cpu-model  module-params(comma-separated)
# Shadow-MMU lines: NPT absent from the CPU model, or tdp=0 (module
# parameter).  6.1-vmx-shadow (bochs corei7_skylake_x tdp=0) waits for the
# VMX backend's shadow support.
VMEM_CONFIGS="
6.1-svm-npt   6.1   qemu   EPYC,+svm,+npt   -
6.12-svm-npt  6.12  qemu   EPYC,+svm,+npt   -
6.1-vmx-ept   6.1   bochs  corei7_skylake_x -
6.1-svm-shadow 6.1  qemu   EPYC,+svm,-npt   -
"

# Benchmark configurations (make bench): one line per machine.
#   name  kernel-series  emulator  cpu-model  module-params  kvm-module
# kvm-module is the distribution's vendor module the KVM side runs on
# (its dependencies are found with modinfo); "-" runs the vmem side only.
# More lines (Bochs with kvm-intel, shadow MMU via module parameters) are
# welcome; `make bench CONFIG=name` picks one.
VMEM_BENCH_CONFIGS="
6.1-svm-npt   6.1   qemu   EPYC,+svm,+npt   -   kvm-amd
6.12-svm-npt  6.12  qemu   EPYC,+svm,+npt   -   kvm-amd
6.1-vmx-ept   6.1   bochs  corei7_skylake_x -   kvm-intel
"
