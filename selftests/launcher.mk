# SPDX-License-Identifier: GPL-2.0
#
# The launcher's selftests (included by Makefile): launcher_* test the
# userspace machine (userspace/run/, userspace/lib/), without a VM or with
# tiny flat guests (launcher_flat, launcher_pool: the resource options);
# tunable_cli runs `vmem tunable`;
# boot_* boot the Linux guest of scripts/guest/ with `vmem run` (the
# harness puts it in /guest and the tool in /bin).

# Included before the Makefile's first rule: keep "all" the default goal.
.DEFAULT_GOAL := all

LAUNCHER_TESTS := launcher_boot launcher_devices launcher_cli \
	launcher_flat launcher_pool tunable_cli boot_linux boot_console \
	boot_ends

LAUNCHER_DIR  := $(top)/userspace
LAUNCHER_SRCS := $(wildcard $(LAUNCHER_DIR)/run/*.c) \
		 $(wildcard $(LAUNCHER_DIR)/lib/*.c)
# Helpers of the boot tests (the command runner is lib/launcher_util.c).
LAUNCHER_HELPERS := $(OUT)/boot_util.o
LAUNCHER_OBJS := $(patsubst $(LAUNCHER_DIR)/%.c,$(OUT)/launcher/%.o,$(LAUNCHER_SRCS))
LAUNCHER_CPPFLAGS := -I$(LAUNCHER_DIR)/run -I$(LAUNCHER_DIR)/lib

$(OUT)/launcher/%.o: $(LAUNCHER_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LAUNCHER_CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(addprefix $(OUT)/,$(LAUNCHER_TESTS:=.o)): CPPFLAGS += $(LAUNCHER_CPPFLAGS)
$(addprefix $(OUT)/,$(LAUNCHER_TESTS)): $(LAUNCHER_OBJS) $(LAUNCHER_HELPERS)
$(addprefix $(OUT)/,$(LAUNCHER_TESTS)): LDFLAGS += -pthread

-include $(LAUNCHER_OBJS:.o=.d) $(LAUNCHER_HELPERS:.o=.d)
