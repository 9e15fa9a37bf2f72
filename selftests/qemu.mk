# SPDX-License-Identifier: GPL-2.0
#
# The tests of QEMU's vmem accelerator (included by Makefile): qemu_* run
# the QEMU that scripts/qemu-build.sh built, which check.sh puts in the
# test machine when it exists (the tests skip without it), with the Linux
# guest of scripts/guest/ (lib/launcher_util.c runs QEMU, boot_util.c
# knows the guest).

QEMU_TESTS := qemu_boot

$(addprefix $(OUT)/,$(QEMU_TESTS)): $(OUT)/boot_util.o
