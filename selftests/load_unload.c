// SPDX-License-Identifier: GPL-2.0
/*
 * load_unload - unloading and reloading the module is clean.
 *
 * Runs inside the emulated machine only: it unloads "vmem" and loads it
 * again from $VMEM_KO, with $VMEM_PARAMS when set, else with the values
 * read back from /sys/module/vmem/parameters at start, so the module comes
 * back configured as the harness loaded it.  It refuses to start (skips) unless it runs as root,
 * /dev/vmem exists, /sys/module/vmem/initstate says "live" and VMEM_KO is
 * set, so on a machine without the module it makes no module syscall.
 * It leaves the module loaded on every path: teardown reloads it, also
 * after a failed or crashed case.
 *
 * Checks: an open fd pins the module (delete_module with O_NONBLOCK fails
 * with EAGAIN, the "would block" of try_stop_module, or EBUSY); after close
 * it unloads and /dev/vmem, /sys/module/vmem and the debugfs directory go
 * away; 50 unload/load cycles each give a working device and the same
 * leak counters (debugfs pages and objects) as after the first load; a bad
 * parameter (max_vcpus=0) makes the load fail and leaves nothing behind.
 * No timing or memory-size assertions.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "vt.h"
#include "vt_util.h"

#define NR_CYCLES	50
#define OPENS_PER_CYCLE	3

struct counters {
	unsigned long long pages, objects;
};

static const char *ko_path;
static char params[1024];	/* for every reload */
static bool armed;		/* setup passed: module syscalls allowed */

static struct counters first_load;	/* after the first reload */
static bool have_first_load;
static struct counters cycle_counters[NR_CYCLES];
static unsigned int nr_cycles_done;

/* ---------------------------------------------------------------------- */
/* Module helpers                                                          */

static long mod_unload(void)
{
	return syscall(SYS_delete_module, VT_MODULE, O_NONBLOCK);
}

/* finit_module(VMEM_KO, args): 0, or -1 with errno. */
static long mod_load(const char *args)
{
	long ret;
	int fd, err;

	fd = open(ko_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, args, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static bool mod_is_loaded(void)
{
	return path_exists(VT_SYSFS_MODULE);
}

/*
 * Wait until the module, its device node and its debugfs directory are
 * all there (@loaded) or all gone.  Node creation and removal are
 * synchronous in devtmpfs; the bounded wait only tolerates a slow
 * emulator and is not a timing assertion.
 */
static bool wait_state(bool loaded)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500; i++) {
		bool dev = vt_dev_present() == 0;
		bool mod = mod_is_loaded();
		bool dbg = path_exists(VT_DEBUGFS);

		if (dev == loaded && mod == loaded && dbg == loaded)
			return true;
		nanosleep(&tick, NULL);
	}
	vt_diag("still: /dev/vmem %s, module %s, debugfs dir %s",
		vt_dev_present() == 0 ? "present" : "absent",
		mod_is_loaded() ? "loaded" : "absent",
		path_exists(VT_DEBUGFS) ? "present" : "absent");
	return false;
}

/* Opens the device and checks GET_API_VERSION; VT_PASS or VT_FAIL. */
static int check_device_works(void)
{
	int fd;

	ASSERT_OK(fd = vt_open_dev(O_RDWR));
	EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
	close(fd);
	return vt_case_failed() ? VT_FAIL : VT_PASS;
}

static int read_counters(struct counters *c)
{
	int ret;

	ret = vt_read_u64(VT_DEBUGFS_PAGES, &c->pages);
	if (ret)
		FAIL(VT_DEBUGFS_PAGES ": %s", vt_errno_name(-ret));
	ret = vt_read_u64(VT_DEBUGFS_OBJECTS, &c->objects);
	if (ret)
		FAIL(VT_DEBUGFS_OBJECTS ": %s", vt_errno_name(-ret));
	return VT_PASS;
}

/*
 * "name=value ..." from /sys/module/vmem/parameters: the configuration the
 * module was loaded with (bools read back as Y/N, which the kernel takes).
 */
static int params_from_sysfs(char *buf, size_t size)
{
	DIR *dir = opendir(VT_SYSFS_MODULE "/parameters");
	size_t len = 0;
	struct dirent *de;

	buf[0] = '\0';
	if (!dir)
		return errno == ENOENT ? 0 : -errno;	/* no parameters */
	while ((de = readdir(dir))) {
		char path[512], val[256];
		int ret, n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), VT_SYSFS_MODULE "/parameters/%s",
			 de->d_name);
		ret = vt_read_file(path, val, sizeof(val));
		if (ret < 0)
			continue;		/* write-only: keep the default */
		val[strcspn(val, "\n")] = '\0';
		n = snprintf(buf + len, size - len, "%s%s=%s", len ? " " : "",
			     de->d_name, val);
		if (n < 0 || (size_t)n >= size - len) {
			closedir(dir);
			return -E2BIG;
		}
		len += n;
	}
	closedir(dir);
	return 0;
}

/* Reload when a failed case left the module out. */
static void ensure_loaded(void)
{
	if (!armed || mod_is_loaded())
		return;
	vt_diag("module not loaded: loading %s again", ko_path);
	if (mod_load(params) && errno != EEXIST)
		vt_diag("finit_module(%s): %s", ko_path, vt_errno_name(errno));
	EXPECT_TRUE(wait_state(true));
}

/* ---------------------------------------------------------------------- */
/* Setup                                                                   */

static int setup(void)
{
	char state[32];
	int ret;

	if (geteuid() != 0)
		SKIP("needs root to load and unload the module");
	ret = vt_require_dev();
	if (ret != VT_PASS)
		return ret;
	ret = vt_read_file(VT_SYSFS_MODULE "/initstate", state, sizeof(state));
	if (ret < 0)
		SKIP(VT_SYSFS_MODULE "/initstate: %s (vmem not a loaded module)",
		     vt_errno_name(-ret));
	if (strncmp(state, "live", 4))
		SKIP("module state is \"%.*s\", not live", ret - 1, state);
	ko_path = getenv("VMEM_KO");
	if (!ko_path || !*ko_path)
		SKIP("VMEM_KO is not set (path of vmem.ko)");
	if (access(ko_path, R_OK))
		FAIL("VMEM_KO=%s: %s", ko_path, vt_errno_name(errno));
	if (getenv("VMEM_PARAMS")) {
		ret = snprintf(params, sizeof(params), "%s",
			       getenv("VMEM_PARAMS"));
		if (ret < 0 || (size_t)ret >= sizeof(params))
			FAIL("VMEM_PARAMS too long");
	} else {
		ret = params_from_sysfs(params, sizeof(params));
		if (ret)
			FAIL(VT_SYSFS_MODULE "/parameters: %s",
			     vt_errno_name(-ret));
	}
	vt_diag("reloads use: %s params \"%s\"", ko_path, params);
	armed = true;
	return VT_PASS;
}

static void teardown(void)
{
	if (!armed)
		return;
	ensure_loaded();
	EXPECT_TRUE(mod_is_loaded());
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                   */

static int test_counters_readable(void)
{
	struct counters c;

	if (read_counters(&c) != VT_PASS)
		return VT_FAIL;
	vt_diag("as loaded by the harness: pages %llu objects %llu",
		c.pages, c.objects);
	return VT_PASS;
}

static int test_unload_refused_while_open(void)
{
	long ret;
	int fd, err;

	ASSERT_OK(fd = vt_open_dev(O_RDWR));
	ret = mod_unload();
	err = errno;
	if (ret == 0) {
		close(fd);
		ensure_loaded();
		FAIL("delete_module succeeded with %s open", VT_DEV);
	}
	vt_diag("delete_module with an open fd: %s", vt_errno_name(err));
	EXPECT_TRUE(err == EAGAIN || err == EBUSY);
	EXPECT_TRUE(mod_is_loaded());
	EXPECT_EQ(vt_dev_present(), 0);
	EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
	close(fd);
	return VT_PASS;
}

static int test_unload_after_close(void)
{
	int fd;

	ASSERT_OK(fd = vt_open_dev(O_RDWR));
	ASSERT_OK(close(fd));
	EXPECT_OK(mod_unload());
	EXPECT_TRUE(wait_state(false));
	EXPECT_ERRNO(vt_open_dev(O_RDWR), ENOENT);

	ASSERT_OK(mod_load(params));
	ASSERT_TRUE(wait_state(true));
	return check_device_works();
}

static int test_reload_cycles(void)
{
	unsigned int i, j;
	int fd;

	for (i = 0; i < NR_CYCLES; i++) {
		EXPECT_OK(mod_unload());
		if (!vt_case_failed())
			EXPECT_TRUE(wait_state(false));
		if (!vt_case_failed())
			EXPECT_OK(mod_load(params));
		if (!vt_case_failed())
			EXPECT_TRUE(wait_state(true));
		if (!vt_case_failed())
			check_device_works();
		if (!vt_case_failed() &&
		    read_counters(&cycle_counters[i]) == VT_PASS) {
			nr_cycles_done = i + 1;
			if (!have_first_load) {
				first_load = cycle_counters[i];
				have_first_load = true;
			}
		}
		for (j = 0; j < OPENS_PER_CYCLE && !vt_case_failed(); j++) {
			EXPECT_OK(fd = vt_open_dev(O_RDWR));
			if (fd >= 0)
				EXPECT_OK(close(fd));
		}
		if (vt_case_failed()) {
			vt_diag("failed in cycle %u of %u", i + 1, NR_CYCLES);
			ensure_loaded();
			return VT_FAIL;
		}
	}
	return VT_PASS;
}

static int test_counters_stable(void)
{
	unsigned int i;

	if (!have_first_load)
		SKIP("no reload cycle completed");
	vt_diag("after the first load: pages %llu objects %llu",
		first_load.pages, first_load.objects);
	for (i = 0; i < nr_cycles_done; i++) {
		const struct counters *c = &cycle_counters[i];

		if (c->pages == first_load.pages &&
		    c->objects == first_load.objects)
			continue;
		FAIL("cycle %u: pages %llu objects %llu", i + 1,
		     c->pages, c->objects);
	}
	if (nr_cycles_done < NR_CYCLES)
		FAIL("only %u of %u cycles completed", nr_cycles_done,
		     NR_CYCLES);
	return VT_PASS;
}

static int test_bad_param_refused(void)
{
	long ret;
	int err;

	ASSERT_OK(mod_unload());
	ASSERT_TRUE(wait_state(false));
	ret = mod_load("max_vcpus=0");
	err = errno;
	if (ret == 0) {
		vt_diag("max_vcpus=0 was accepted; unloading it");
		mod_unload();
		wait_state(false);
		FAIL("finit_module with max_vcpus=0 succeeded");
	}
	vt_diag("finit_module with max_vcpus=0: %s", vt_errno_name(err));
	EXPECT_TRUE(err != EEXIST && err != ENOENT);
	EXPECT_TRUE(!mod_is_loaded());
	EXPECT_NE(vt_dev_present(), 0);
	EXPECT_TRUE(!path_exists(VT_DEBUGFS));
	return VT_PASS;
}

static int test_load_after_bad_param(void)
{
	struct counters c;

	if (!mod_is_loaded())
		ASSERT_OK(mod_load(params));
	ASSERT_TRUE(wait_state(true));
	if (check_device_works() != VT_PASS)
		return VT_FAIL;
	if (read_counters(&c) != VT_PASS)
		return VT_FAIL;
	vt_diag("pages %llu objects %llu", c.pages, c.objects);
	if (have_first_load) {
		EXPECT_EQ(c.pages, first_load.pages);
		EXPECT_EQ(c.objects, first_load.objects);
	}
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(counters_readable),
	VT_CASE(unload_refused_while_open),
	VT_CASE(unload_after_close),
	VT_CASE(reload_cycles),
	VT_CASE(counters_stable),
	VT_CASE(bad_param_refused),
	VT_CASE(load_after_bad_param),
};

VT_MAIN(cases, setup, teardown)
