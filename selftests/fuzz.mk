# SPDX-License-Identifier: GPL-2.0
#
# The fuzzers (included by Makefile): seeded random sequences over the
# ioctls (fuzz_calls), guest states (fuzz_state) and the netlink family
# (fuzz_netlink), sharing lib/fz.c (PRNG, budget, sequence driver) and
# lib/fz_guest.c (guest layout and states).  Each is an ordinary test with
# a fixed budget; `make fuzz` runs them longer (Documentation/testing.rst).

FUZZ_TESTS := fuzz_calls fuzz_state fuzz_netlink

FUZZ_OBJS := $(OUT)/lib/fz.o $(OUT)/lib/fz_guest.o

$(OUT)/lib/fz.o $(OUT)/lib/fz_guest.o: | $(OUT)/lib
$(addprefix $(OUT)/,$(FUZZ_TESTS)): $(FUZZ_OBJS)
$(addprefix $(OUT)/,$(FUZZ_TESTS)): LDFLAGS += -pthread
