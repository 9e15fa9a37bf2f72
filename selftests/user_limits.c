// SPDX-License-Identifier: GPL-2.0
/*
 * user_limits - one user cannot crowd out the others (Documentation/
 * pools.rst, "Users and shares"; module-parameters.rst).
 *
 * VMs per owner: an unprivileged user (effective uid nobody, no
 * capabilities, /dev/vmem through a group) creates max_vms_per_user VMs
 * and the next is EDQUOT, while another uid still creates one and gets
 * its own EDQUOT only at its own count; closing a VM gives its count
 * back.  A process with CAP_SYS_RESOURCE/CAP_SYS_ADMIN is exempt.
 *
 * Shares: a VM's default shares follow what the control plane sized it
 * with (its limit, or its reservation), never the slots its VMM
 * declares: a VM with 4 GiB of sparse slots and one with 16 MiB get the
 * same shares, before and after an administrator sizes them.
 *
 * Changes the group and mode of /dev/vmem and restores them (teardown
 * too).  Needs root and the netlink family.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"
#include "vt_vm.h"

#define NOBODY		65534
#define OTHER		65533
#define VMEM_GROUP	4242
#define MB		(1ull << 20)
#define PAGES(bytes)	((bytes) / 4096)
/* Beyond this many VMs per user the count case would take too long. */
#define PER_USER_MAX	256

static struct nlt_sock nl;
static struct nlt_reply R;
static struct stat saved;	/* the node as the module created it */
static bool saved_valid;
static long per_user, max_vms;
/* Whether the module has the parameter (else the default is assumed). */
static bool have_param;
#define PER_USER_DEFAULT	16

static int restore_node(void)
{
	if (!saved_valid)
		return VT_PASS;
	ASSERT_OK(chown(VT_DEV, saved.st_uid, saved.st_gid));
	ASSERT_OK(chmod(VT_DEV, saved.st_mode & 07777));
	return VT_PASS;
}

/* VMs created on @dev until one fails: their fds in @fds (at most @max). */
static int create_vms(int dev, int *fds, int max, int *err)
{
	int n;

	*err = 0;
	for (n = 0; n < max; n++) {
		fds[n] = ioctl(dev, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO);
		if (fds[n] < 0) {
			*err = errno;
			break;
		}
	}
	return n;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Become effective uid @uid (from root, or back to root). */
static int become(uid_t uid)
{
	if (uid != 0 && geteuid() != 0 && seteuid(0))
		return -1;
	return seteuid(uid);
}

/*
 * In a child: nobody fills its count, a second user still creates VMs
 * up to its own, a closed VM gives its count back.  The real uid stays
 * root so that the child can switch users; the effective one (what vmem
 * counts, and what capabilities follow) is the unprivileged user's.
 */
static int two_users(void *arg)
{
	static const gid_t groups[] = { VMEM_GROUP };
	int *a = calloc(per_user + 1, sizeof(int));
	int *b = calloc(per_user + 1, sizeof(int));
	int dev, na, nb, err, fd;

	(void)arg;
	ASSERT_TRUE(a && b);
	ASSERT_OK(setgroups(1, groups));
	ASSERT_OK(become(NOBODY));
	ASSERT_OK(dev = vt_open_dev(O_RDWR));
	na = create_vms(dev, a, per_user + 1, &err);
	vt_diag("uid %d: %d VMs, then %s", NOBODY, na,
		err ? vt_errno_name(err) : "no refusal");
	EXPECT_EQ(na, per_user);
	EXPECT_EQ(err, EDQUOT);
	close(dev);

	/* Another user is not crowded out by nobody's VMs. */
	ASSERT_OK(become(OTHER));
	ASSERT_OK(dev = vt_open_dev(O_RDWR));
	nb = create_vms(dev, b, per_user + 1, &err);
	vt_diag("uid %d: %d VMs, then %s", OTHER, nb,
		err ? vt_errno_name(err) : "no refusal");
	EXPECT_EQ(nb, per_user);
	EXPECT_EQ(err, EDQUOT);
	close(dev);

	/* A VM closed is a VM given back, to its owner only. */
	ASSERT_OK(become(NOBODY));
	ASSERT_OK(dev = vt_open_dev(O_RDWR));
	if (na > 0) {
		close(a[--na]);
		EXPECT_OK(fd = ioctl(dev, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO));
		if (fd >= 0)
			a[na++] = fd;
		EXPECT_ERRNO(ioctl(dev, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO),
			     EDQUOT);
	}
	close(dev);
	close_all(a, na);
	close_all(b, nb);
	free(a);
	free(b);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                   */

static int test_params(void)
{
	vt_diag("max_vms_per_user %ld, max_vms %ld", per_user, max_vms);
	ASSERT_TRUE(have_param);
	EXPECT_TRUE(per_user <= 4096);
	EXPECT_NE(vt_param_set("max_vms_per_user", per_user + 1), 0);
	return VT_PASS;
}

static int test_per_user_vm_count(void)
{
	int ret;

	if (per_user > PER_USER_MAX || 2 * per_user + 2 > max_vms)
		SKIP("max_vms_per_user %ld, max_vms %ld: cannot fill here",
		     per_user, max_vms);
	ASSERT_OK(chown(VT_DEV, 0, VMEM_GROUP));
	ASSERT_OK(chmod(VT_DEV, 0660));
	ret = vt_run_in_child(two_users, NULL);
	if (restore_node() != VT_PASS)
		return VT_FAIL;
	return ret;
}

/* Root (CAP_SYS_RESOURCE, CAP_SYS_ADMIN) may go past the count. */
static int test_privileged_exempt(void)
{
	int *fds, n, err, dev;

	if (per_user > PER_USER_MAX || per_user + 2 > max_vms)
		SKIP("max_vms_per_user %ld, max_vms %ld: cannot fill here",
		     per_user, max_vms);
	ASSERT_TRUE(fds = calloc(per_user + 1, sizeof(int)));
	ASSERT_OK(dev = vt_open_dev(O_RDWR));
	n = create_vms(dev, fds, per_user + 1, &err);
	if (err)
		vt_diag("root: %d VMs, then %s", n, vt_errno_name(err));
	EXPECT_EQ(n, per_user + 1);
	close_all(fds, n);
	close(dev);
	free(fds);
	return VT_PASS;
}

/* VM @id's effective shares, or 0. */
static uint32_t vm_shares(uint32_t id)
{
	if (nlt_vm_get(&nl, id, &R))
		return 0;
	return nlt_u32(&R.reply, VMEM_A_SHARES);
}

static int vm_size(uint32_t id, uint64_t res, uint64_t limit)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, id);
	nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	nlt_put_u64(&m, VMEM_A_LIMIT, limit);
	return nlt_call(&nl, &m, &R);
}

static int test_huge_slots_no_shares(void)
{
	/* Sparse: nothing is touched, only declared. */
	const uint64_t huge = 4096 * MB, small = 16 * MB, tiny = 4 * MB;
	struct vt_vm *h, *s, *t;
	uint32_t hid, sid, tid;

	ASSERT_TRUE(h = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(s = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(t = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(h, 0, 0, huge, 0));
	ASSERT_OK(vm_add_slot(s, 0, 0, small, 0));
	ASSERT_OK(vm_add_slot(t, 0, 0, tiny, 0));
	ASSERT_TRUE((hid = ioctl(h->fd, VMEM_GET_VM_ID, 0)) > 0);
	ASSERT_TRUE((sid = ioctl(s->fd, VMEM_GET_VM_ID, 0)) > 0);
	ASSERT_TRUE((tid = ioctl(t->fd, VMEM_GET_VM_ID, 0)) > 0);

	/* Nobody sized them: equal, whatever the slots say. */
	vt_diag("unsized: %u shares with 4 GiB of slots, %u with 16 MiB",
		vm_shares(hid), vm_shares(sid));
	EXPECT_EQ(vm_shares(hid), vm_shares(sid));
	EXPECT_NE(vm_shares(hid), 0);

	/* Sized by the administrator: by the reservation... */
	ASSERT_EQ(vm_size(hid, PAGES(8 * MB), VMEM_UNLIMITED), 0);
	ASSERT_EQ(vm_size(sid, PAGES(8 * MB), VMEM_UNLIMITED), 0);
	EXPECT_EQ(vm_shares(hid), 10 * 8);
	EXPECT_EQ(vm_shares(sid), 10 * 8);
	/* ...or the limit when there is one... */
	ASSERT_EQ(vm_size(hid, PAGES(8 * MB), PAGES(12 * MB)), 0);
	ASSERT_EQ(vm_size(sid, PAGES(8 * MB), PAGES(12 * MB)), 0);
	EXPECT_EQ(vm_shares(hid), 10 * 12);
	EXPECT_EQ(vm_shares(sid), 10 * 12);
	/* ...never beyond what the slots cover. */
	ASSERT_EQ(vm_size(tid, 0, PAGES(12 * MB)), 0);
	EXPECT_EQ(vm_shares(tid), 10 * 4);

	vm_free(t);
	vm_free(s);
	vm_free(h);
	return VT_PASS;
}

static int setup(void)
{
	int r;

	if (geteuid() != 0)
		SKIP("needs root (to chown /dev/vmem and change uid)");
	r = vt_require_vm(VMEM_VM_MMU_AUTO);
	if (r == VT_PASS)
		r = nlt_require(&nl);
	if (r != VT_PASS)
		return r;
	ASSERT_OK(stat(VT_DEV, &saved));
	saved_valid = true;
	have_param = !vt_param_get("max_vms_per_user", &per_user);
	if (!have_param || per_user <= 0) {
		vt_diag("no max_vms_per_user parameter: expecting %d",
			PER_USER_DEFAULT);
		per_user = PER_USER_DEFAULT;
	}
	if (vt_param_get("max_vms", &max_vms))
		max_vms = 0;
	return VT_PASS;
}

static void teardown(void)
{
	restore_node();
	nlt_close(&nl);
}

static const struct vt_case cases[] = {
	VT_CASE(params),
	VT_CASE(per_user_vm_count),
	VT_CASE(privileged_exempt),
	VT_CASE(huge_slots_no_shares),
};

VT_MAIN(cases, setup, teardown)
