# The test matrix: one line per configuration.
#   name  kernel-series  emulator  cpu-model  module-params(comma-separated)
# Later issues add shadow-MMU lines.
VMEM_CONFIGS="
6.1-svm-npt   6.1   qemu   EPYC,+svm,+npt   -
6.12-svm-npt  6.12  qemu   EPYC,+svm,+npt   -
6.1-vmx-ept   6.1   bochs  corei7_skylake_x -
"
