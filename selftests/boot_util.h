/* SPDX-License-Identifier: GPL-2.0 */
/*
 * boot_util.h - what the boot_* tests share: a setup that skips without
 * /dev/vmem, the tool or the guest, and the `vmem run` command line that
 * boots the guest of scripts/guest/ with guest=MODE.
 */
#ifndef VMEM_BOOT_UTIL_H
#define VMEM_BOOT_UTIL_H

#include <stdbool.h>

#include "launcher_util.h"

/*
 * Seconds a nested boot may take to its first userspace line, and to the
 * end after that: three quarters and a sixth of the harness's per-test
 * limit ($VMEM_TEST_TIMEOUT, set by init.sh), 150 and 60 without one.
 * Boots inside an emulator are slow.
 */
#define BOOT_TIMEOUT		boot_timeout(0)
#define BOOT_END_TIMEOUT	boot_timeout(1)
int boot_timeout(int end);

#define BOOT_BANNER	"vmem-guest: hello from userspace"

int boot_setup(void);

/*
 * Start `vmem run` on the guest with "guest=@mode" and @extra options
 * (NULL-terminated, may be NULL); @pty: console on a pseudo-terminal.
 */
int boot_start(struct lrun *r, const char *mode, const char *const extra[],
	       bool pty);

#endif /* VMEM_BOOT_UTIL_H */
