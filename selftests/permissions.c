// SPDX-License-Identifier: GPL-2.0
/*
 * permissions - who may open /dev/vmem.
 *
 * vmem does no access checks of its own on open: the device node's owner,
 * group and mode decide, as for any file (the module creates it 0660
 * root:root), and root passes them through CAP_DAC_OVERRIDE.  So an
 * administrator grants VM rights with a group, like the "kvm" group for
 * /dev/kvm.
 *
 * O_RDONLY: opening read-only is accepted or refused by the module; the
 * case reports which one it saw.  If accepted, the system ioctls work on
 * the read-only fd (they change nothing).
 *
 * Modifies the owner and mode of /dev/vmem and restores them (teardown
 * restores them even after a crash of a case).  Runs only as root.
 */
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "vt.h"
#include "vt_util.h"

#define NOBODY		65534
#define VMEM_GROUP	4242

static struct stat saved;	/* the node as the module created it */
static bool saved_valid;

static int setup(void)
{
	int ret;

	if (geteuid() != 0)
		SKIP("needs root (to chown /dev/vmem and change uid)");
	ret = vt_require_dev();
	if (ret != VT_PASS)
		return ret;
	ASSERT_OK(stat(VT_DEV, &saved));
	saved_valid = true;
	return VT_PASS;
}

/* Put the node back as the module created it. */
static int restore_node(void)
{
	if (!saved_valid)
		return VT_PASS;
	ASSERT_OK(chown(VT_DEV, saved.st_uid, saved.st_gid));
	ASSERT_OK(chmod(VT_DEV, saved.st_mode & 07777));
	return VT_PASS;
}

static void teardown(void)
{
	restore_node();
}

struct creds {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t nr_groups;
	int open_flags;
	int want_errno;		/* 0: open must succeed */
};

/* In a child: become @c, then open the device. */
static int open_as(void *arg)
{
	const struct creds *c = arg;
	int fd;

	ASSERT_OK(setgroups(c->nr_groups, c->groups));
	ASSERT_OK(setresgid(c->gid, c->gid, c->gid));
	ASSERT_OK(setresuid(c->uid, c->uid, c->uid));
	ASSERT_EQ(geteuid(), c->uid);

	if (c->want_errno) {
		EXPECT_ERRNO(vt_open_dev(c->open_flags), c->want_errno);
		return VT_PASS;
	}
	ASSERT_OK(fd = vt_open_dev(c->open_flags));
	EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
	close(fd);
	return VT_PASS;
}

static int test_node_is_0660_root_root(void)
{
	vt_diag("%s: mode %04o uid %u gid %u", VT_DEV,
		(unsigned int)(saved.st_mode & 07777),
		(unsigned int)saved.st_uid, (unsigned int)saved.st_gid);
	EXPECT_EQ(saved.st_mode & 07777, 0660);
	EXPECT_EQ(saved.st_uid, 0);
	EXPECT_EQ(saved.st_gid, 0);
	return VT_PASS;
}

static int test_nobody_denied(void)
{
	struct creds c = {
		.uid = NOBODY, .gid = NOBODY,
		.open_flags = O_RDWR, .want_errno = EACCES,
	};

	int ret;

	/* Whatever the module chose, the point is "not world-accessible". */
	ASSERT_OK(chmod(VT_DEV, 0660));
	ret = vt_run_in_child(open_as, &c);
	c.open_flags = O_RDONLY;
	if (ret == VT_PASS)
		ret = vt_run_in_child(open_as, &c);
	if (restore_node() != VT_PASS)
		return VT_FAIL;
	return ret;
}

static int test_group_member_allowed(void)
{
	static const gid_t groups[] = { VMEM_GROUP };
	struct creds c = {
		.uid = NOBODY, .gid = NOBODY,
		.groups = groups, .nr_groups = 1,
		.open_flags = O_RDWR,
	};
	int ret;

	ASSERT_OK(chown(VT_DEV, 0, VMEM_GROUP));
	ASSERT_OK(chmod(VT_DEV, 0660));
	ret = vt_run_in_child(open_as, &c);
	/* Same uid without the group: refused. */
	c.groups = NULL;
	c.nr_groups = 0;
	c.want_errno = EACCES;
	if (ret == VT_PASS)
		ret = vt_run_in_child(open_as, &c);
	if (restore_node() != VT_PASS)
		return VT_FAIL;
	return ret;
}

static int test_root_bypasses_mode(void)
{
	int fd, ret = VT_PASS;

	ASSERT_OK(chmod(VT_DEV, 0));
	fd = vt_open_dev(O_RDWR);
	if (fd < 0) {
		vt_diag("root open of a mode 0000 node: %s",
			vt_errno_name(errno));
		ret = VT_FAIL;
	} else {
		EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
		close(fd);
	}
	if (restore_node() != VT_PASS)
		return VT_FAIL;
	return ret;
}

static int test_root_rdonly(void)
{
	struct vmem_limits lim;
	int fd;

	fd = vt_open_dev(O_RDONLY);
	if (fd < 0) {
		vt_diag("O_RDONLY open refused by the module: %s",
			vt_errno_name(errno));
		EXPECT_TRUE(errno == EACCES || errno == EPERM);
		return VT_PASS;
	}
	vt_diag("O_RDONLY open accepted by the module");
	memset(&lim, 0, sizeof(lim));
	EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
	EXPECT_EQ(ioctl(fd, VMEM_GET_LIMITS, &lim), 0);
	close(fd);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(node_is_0660_root_root),
	VT_CASE(nobody_denied),
	VT_CASE(group_member_allowed),
	VT_CASE(root_bypasses_mode),
	VT_CASE(root_rdonly),
};

VT_MAIN(cases, setup, teardown)
