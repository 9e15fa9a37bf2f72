# vmem top-level Makefile.
#
#   make               module (against KDIR), userspace and selftests
#   make check         the whole test matrix in emulated machines
#   make fuzz          the fuzzers for as long as asked (SECONDS, SEED, REPLAY)
#   make run           the demo: boot an emulated machine, load vmem, use it
#   make bench         benchmarks in an emulated machine: vmem against KVM
#   make qemu          QEMU 7.2 from Debian's source, cached in /var/cache/vmem
#   make debug-kernel  the 6.12 debug kernel (lockdep, KASAN...), cached likewise
#   make headers_install DESTDIR=... [PREFIX=/usr]
#
# Variables: KDIR (kernel build tree), CONFIG and TEST (narrow `make check`
# to one configuration or test; space-separated lists work too; CONFIG also
# picks `make bench` configurations), BENCH_ARGS, BENCH_ROUNDS (see bench),
# SECONDS, SEQS, SEED and REPLAY (see fuzz).

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD ?= $(TOP)/build
PREFIX ?= /usr

# The running kernel's build tree when it has one, else the headers of the
# harness's default kernel (Debian 12's 6.1) as scripts/kernels.sh unpacks
# them into .cache/.
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build), \
	     $(shell cat $(TOP)/.cache/kernels/6.1/kdir 2>/dev/null))

.PHONY: all module userspace selftests deps kernels debug-kernel check fuzz run bench qemu \
	headers_install clean help

all: module userspace selftests

module:
	$(MAKE) -C $(KDIR) M=$(TOP)/kmod modules

userspace:
	$(MAKE) -C userspace OUT=$(BUILD)/userspace

selftests:
	$(MAKE) -C selftests OUT=$(BUILD)/selftests

deps:
	@scripts/deps.sh

kernels: deps
	@scripts/kernels.sh

# The host's /boot is snapshotted before anything is installed: check.sh
# reports a change as a failure (scripts/host-boot.sh).
check:
	@scripts/host-boot.sh snapshot $(BUILD)/logs/host-boot.before
	@scripts/deps.sh
	@scripts/kernels.sh
	@VMEM_HOST_BOOT=$(BUILD)/logs/host-boot.before \
		scripts/check.sh $(foreach c,$(CONFIG),-c $(c)) $(foreach t,$(TEST),-t $(t))

# The fuzzers in a test machine (default 6.1-svm-npt, all three, 600 s
# each): SECONDS per fuzzer, SEQS sequences instead, SEED the base seed
# (printed; the same seed and budget run the same sequences), REPLAY one
# sequence's seed with TEST its fuzzer (Documentation/testing.rst).
fuzz: deps kernels
	@scripts/fuzz.sh $(foreach c,$(CONFIG),-c $(c)) $(foreach t,$(TEST),-t $(t)) \
		$(if $(SECONDS),-s $(SECONDS)) $(if $(SEQS),-n $(SEQS)) \
		$(if $(SEED),-S $(SEED)) $(if $(REPLAY),-r $(REPLAY))

run: deps kernels
	@scripts/run-demo.sh $(CONFIG)

# Benchmarks in the emulated machine, vmem against the distribution's KVM.
# BENCH_ARGS go to every benchmark program (e.g. "--repeat 5 --only cpuid");
# BENCH_ROUNDS alternates the drivers that many times.
bench: deps kernels
	@scripts/bench.sh $(foreach c,$(CONFIG),-c $(c)) $(if $(BENCH_ROUNDS),-r $(BENCH_ROUNDS)) \
		$(if $(BENCH_ARGS),-a "$(BENCH_ARGS)")

# QEMU from Debian 12's source package with userspace/qemu/ applied, built
# once per machine into /var/cache/vmem/qemu (Documentation/qemu.rst).
qemu: deps
	@scripts/qemu-build.sh

# The 6.12 debug kernel of the 6.12dbg-* lines, built once per machine into
# /var/cache/vmem/kernel-debug (make check starts it by itself if needed).
debug-kernel: deps
	@scripts/debug-kernel.sh

headers_install:
	install -D -m 0644 include/uapi/linux/vmem.h \
		$(DESTDIR)$(PREFIX)/include/linux/vmem.h

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP)/kmod clean
	-$(MAKE) -C userspace OUT=$(BUILD)/userspace clean
	-$(MAKE) -C selftests OUT=$(BUILD)/selftests clean
	rm -rf $(BUILD)

help:
	@sed -n '3,13s/^# \{0,1\}//p' Makefile
