// SPDX-License-Identifier: GPL-2.0
/*
 * launcher_cli - `vmem run` on bad input: usage errors exit 2, bad images
 * and sizes exit 1 with a clear message, and none of it needs a VM (the
 * input is checked before the hypervisor is touched).  Uses the guest
 * kernel of scripts/guest/ where a real bzImage is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher_util.h"
#include "vt.h"

#define T	30	/* seconds: these never start a guest */

/* Run `vmem ARGS...` and check its status and a phrase of its output. */
static int expect_run(const char *const argv[], int status, const char *text)
{
	return lrun_expect(status, text, argv, T) ? VT_PASS : VT_FAIL;
}

static int setup(void)
{
	return lrun_require_tool();
}

static int test_help(void)
{
	const char *const a[] = { "vmem", "run", "--help", NULL };

	return expect_run(a, 0, "usage: vmem run");
}

static int test_unknown_option(void)
{
	const char *const a[] = { "vmem", "run", "--frobnicate", NULL };

	return expect_run(a, 2, "frobnicate");
}

static int test_missing_memory(void)
{
	const char *const a[] = { "vmem", "run", "--kernel", "/x", NULL };

	return expect_run(a, 2, "--memory is required");
}

static int test_bad_size(void)
{
	const char *const a[] = { "vmem", "run", "--kernel", "/x",
				  "--memory", "12Q", NULL };

	return expect_run(a, 2, "bad --memory");
}

/* One rule for every option: a repeat is status 2, never "last wins". */
static int test_options_given_twice(void)
{
	static const char *const twice[][5] = {
		{ "-m", "64M", "-m", "32M" },
		{ "--memory", "64M", "--memory", "64M" },
		{ "-k", "/y", "-k", "/z" },
		{ "--kernel", "/y", "-k", "/y" },
		{ "-i", "/a", "--initrd", "/b" },
		{ "-c", "quiet", "-c", "console=ttyS0" },
		{ "--name", "a", "--name", "b" },
		{ "--mmu", "hw", "--mmu", "shadow" },
		{ "--backend", "vmem", "--backend", "kvm" },
		{ "--tsc-khz", "off", "--tsc-khz", "auto" },
		{ "-v", "-v", NULL, NULL },
	};
	unsigned int i, j;

	for (i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		const char *a[8] = { "vmem", "run" };
		unsigned int n = 2;

		for (j = 0; j < 4 && twice[i][j]; j++)
			a[n++] = twice[i][j];
		a[n] = NULL;
		EXPECT_EQ(expect_run(a, 2, "given twice"), VT_PASS);
	}
	return VT_PASS;
}

/*
 * Sizes: a bare number is MiB (4 is 4 MiB, enough), decimals are
 * accepted, and a size too small names the argument.  The kernel file
 * does not exist: getting that far means the size was taken.
 */
static int test_memory_sizes(void)
{
	const char *const mib[] = { "vmem", "run", "--kernel", "/nonexistent",
				    "--memory", "4", NULL };
	const char *const dec[] = { "vmem", "run", "--kernel", "/nonexistent",
				    "--memory", "1.5G", NULL };
	const char *const small[] = { "vmem", "run", "--kernel", "/x",
				      "--memory", "1K", NULL };
	const char *const odd[] = { "vmem", "run", "--kernel", "/x",
				    "--memory", "2.0001M", NULL };

	EXPECT_EQ(expect_run(mib, 1, "No such file"), VT_PASS);
	EXPECT_EQ(expect_run(dec, 1, "No such file"), VT_PASS);
	EXPECT_EQ(expect_run(small, 2, "bad --memory '1K'"), VT_PASS);
	EXPECT_EQ(expect_run(odd, 2, "bad --memory '2.0001M'"), VT_PASS);
	return VT_PASS;
}

static int test_kernel_and_flat(void)
{
	const char *const a[] = { "vmem", "run", "--kernel", "/x", "--flat",
				  "/y", "--memory", "64M", NULL };

	return expect_run(a, 2, "either --kernel or --flat");
}

static int test_missing_kernel_file(void)
{
	const char *const a[] = { "vmem", "run", "--kernel",
				  "/nonexistent/bzImage", "--memory", "64M",
				  NULL };

	return expect_run(a, 1, "No such file");
}

static int test_not_a_bzimage(void)
{
	const char *const a[] = { "vmem", "run", "--kernel", "/bin/busybox",
				  "--memory", "256M", NULL };

	return expect_run(a, 1, "not a bzImage");
}

/* The first @len bytes of the guest kernel in a temporary file. */
static int truncated_copy(const char *src, const char *dst, size_t len)
{
	char buf[4096];
	int in, out;
	size_t done = 0;

	in = open(src, O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || out < 0)
		return -1;
	while (done < len) {
		ssize_t n = read(in, buf, sizeof(buf) < len - done ?
				 sizeof(buf) : len - done);

		if (n <= 0 || write(out, buf, n) != n)
			break;
		done += n;
	}
	close(in);
	close(out);
	return done == len ? 0 : -1;
}

static int test_truncated_kernel(void)
{
	const char *k = lrun_guest_file("vmlinuz");
	const char *t = "/tmp/launcher_cli.trunc";
	const char *const a[] = { "vmem", "run", "--kernel", t, "--memory",
				  "256M", NULL };
	const char *const b[] = { "vmem", "run", "--kernel", t, "--memory",
				  "256M", NULL };
	int ret;

	if (!k)
		SKIP("no guest kernel in %s", lrun_guest_dir());
	ASSERT_EQ(truncated_copy(k, t, 100000), 0);
	ret = expect_run(a, 1, "truncated");
	ASSERT_EQ(truncated_copy(k, t, 0x100), 0);
	if (ret == VT_PASS)
		ret = expect_run(b, 1, "too small");
	unlink(t);
	return ret;
}

static int test_memory_too_small(void)
{
	const char *k = lrun_guest_file("vmlinuz");
	const char *const a[] = { "vmem", "run", "--kernel", k, "--memory",
				  "32M", NULL };

	if (!k)
		SKIP("no guest kernel in %s", lrun_guest_dir());
	return expect_run(a, 1, "memory too small for the kernel");
}

static int test_initrd_larger_than_memory(void)
{
	const char *k = lrun_guest_file("vmlinuz");
	const char *big = "/tmp/launcher_cli.big";
	const char *const a[] = { "vmem", "run", "--kernel", k, "--initrd",
				  big, "--memory", "256M", NULL };
	int fd, ret;

	if (!k)
		SKIP("no guest kernel in %s", lrun_guest_dir());
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_OK(fd);
	ASSERT_OK(ftruncate(fd, 300 << 20));	/* sparse: costs nothing */
	close(fd);
	ret = expect_run(a, 1, "initrd");
	unlink(big);
	return ret;
}

static int test_flat_outside_memory(void)
{
	const char *f = "/tmp/launcher_cli.flat";
	const char *const a[] = { "vmem", "run", "--flat", f, "--load-addr",
				  "0x2000000", "--entry", "0x2000000",
				  "--memory", "16M", NULL };
	int fd, ret;

	fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, "\xf4", 1), 1);	/* hlt */
	close(fd);
	ret = expect_run(a, 1, "does not fit");
	unlink(f);
	return ret;
}

/* `vmem run --flat /x ... 16M` plus @extra: a usage error naming @text. */
static int expect_usage(const char *const extra[], const char *text)
{
	const char *argv[24];

	lrun_flat_argv(argv, 24, "/x", extra);
	return expect_run(argv, 2, text);
}

#define USAGE(text, ...) \
	EXPECT_EQ(expect_usage((const char *const[]){ __VA_ARGS__, NULL }, \
			       (text)), VT_PASS)

static int test_resource_usage_errors(void)
{
	USAGE("bad --reservation '12Q'", "--reservation", "12Q");
	USAGE("bad --reservation '-4M'", "--reservation", "-4M");
	USAGE("bad --limit 'lots'", "--limit", "lots");
	USAGE("bad shares 'medium'", "--shares", "medium");
	USAGE("bad shares '0'", "--shares", "0");
	USAGE("bad --pshare 'maybe'", "--pshare", "maybe");
	USAGE("bad --salt 'pepper'", "--salt", "pepper");
	USAGE("bad --salt '-1'", "--salt", "-1");
	USAGE("bad --pool ''", "--pool", "");
	USAGE("bad --pool", "--pool", "a_pool_name_far_too_long_for_vmem");
	USAGE("bad --name 'two words'", "--name", "two words");
	USAGE("bad --name", "--name", "a_vm_name_far_too_long_for_vmem_");
	USAGE("--pool given twice", "--pool", "a", "--pool", "b");
	USAGE("--salt given twice", "--salt", "1", "--salt", "1");
	USAGE("--reservation 512 MiB is more than --memory (16 MiB)",
	      "--reservation", "0.5G");
	USAGE("--reservation 32 MiB is more than --memory (16 MiB)",
	      "--reservation", "32");
	USAGE("--reservation 32 MiB is more than --memory (16 MiB)",
	      "--reservation", "32M");
	USAGE("--limit 4 MiB is below --reservation 8 MiB",
	      "--reservation", "8M", "--limit", "4M");
	USAGE("are for the vmem backend", "--backend", "kvm", "--pool", "a");
	USAGE("are for the vmem backend", "--backend", "kvm", "--salt", "3");
	USAGE("bad --swap-file ''", "--swap-file", "");
	return VT_PASS;
}

/* Checked before the hypervisor is touched: no VM needed. */
static int test_swap_file_not_regular(void)
{
	const char *const a[] = { "vmem", "run", "--flat", "/x",
				  "--load-addr", "0x100000", "--entry",
				  "0x100000", "--memory", "16M",
				  "--swap-file", "/dev/null", NULL };
	const char *const b[] = { "vmem", "run", "--flat", "/x",
				  "--load-addr", "0x100000", "--entry",
				  "0x100000", "--memory", "16M",
				  "--swap-file", "/tmp", NULL };
	const char *const c[] = { "vmem", "run", "--flat", "/x",
				  "--load-addr", "0x100000", "--entry",
				  "0x100000", "--memory", "16M",
				  "--swap-file", "/nonexistent/dir/vswp", NULL };

	EXPECT_EQ(expect_run(a, 1, "swap file /dev/null: not a regular file"),
		  VT_PASS);
	EXPECT_EQ(expect_run(b, 1, "cannot open swap file /tmp"), VT_PASS);
	EXPECT_EQ(expect_run(c, 1, "cannot open swap file /nonexistent"),
		  VT_PASS);
	return VT_PASS;
}

/* A swap file the launcher created goes away when the guest never ran. */
static int test_swap_file_removed_when_not_started(void)
{
	const char *sw = "/tmp/launcher_cli.vswp";
	const char *const a[] = { "vmem", "run", "--flat",
				  "/nonexistent/flat.bin", "--load-addr",
				  "0x100000", "--entry", "0x100000",
				  "--memory", "16M", "--swap-file", sw, NULL };
	struct stat st;
	int fd;

	unlink(sw);
	EXPECT_EQ(expect_run(a, 1, "No such file"), VT_PASS);
	EXPECT_ERRNO(access(sw, F_OK), ENOENT);
	/* One that existed before stays. */
	ASSERT_OK(fd = open(sw, O_WRONLY | O_CREAT | O_TRUNC, 0640));
	close(fd);
	EXPECT_EQ(expect_run(a, 1, "No such file"), VT_PASS);
	EXPECT_OK(stat(sw, &st));
	EXPECT_EQ(st.st_mode & 0777, 0640);
	unlink(sw);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(help),
	VT_CASE(unknown_option),
	VT_CASE(missing_memory),
	VT_CASE(bad_size),
	VT_CASE(options_given_twice),
	VT_CASE(memory_sizes),
	VT_CASE(kernel_and_flat),
	VT_CASE(missing_kernel_file),
	VT_CASE(not_a_bzimage),
	VT_CASE(truncated_kernel),
	VT_CASE(memory_too_small),
	VT_CASE(initrd_larger_than_memory),
	VT_CASE(flat_outside_memory),
	VT_CASE(resource_usage_errors),
	VT_CASE(swap_file_not_regular),
	VT_CASE(swap_file_removed_when_not_started),
};

VT_MAIN(cases, setup, NULL)
