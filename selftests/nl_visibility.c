// SPDX-License-Identifier: GPL-2.0
/*
 * nl_visibility - who sees which VM through the "vmem" netlink family
 * (Documentation/api.rst, "Who may see and do what"): a VM's name, pid
 * and figures are its owner's (the uid that created it) and
 * CAP_NET_ADMIN's.  An unprivileged user's VM dump lists its own VMs
 * only, and a GET of another user's VM is ENOENT as for a VM that does
 * not exist; root sees every VM.  The events multicast group (events
 * name every user's VMs) is CAP_NET_ADMIN's: joining it without is
 * EPERM, as a non-root user and as root without the capability.  Pools
 * and host totals stay visible to everyone.  Needs /dev/vmem, the family,
 * root (it creates a VM as uid 1000 through seteuid).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define OTHER_UID	1000

static struct nlt_sock nl;
static struct nlt_reply R;

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	return r == VT_PASS ? nlt_require(&nl) : r;
}

static void teardown(void)
{
	nlt_close(&nl);
}

static struct vt_vm *named_vm(const char *name)
{
	struct vmem_vm_name n = { 0 };
	struct vt_vm *vm = vm_create_bare(VMEM_VM_MMU_AUTO);

	if (!vm)
		return NULL;
	strncpy(n.name, name, sizeof(n.name) - 1);
	if (ioctl(vm->fd, VMEM_SET_VM_NAME, &n)) {
		vt_diag("VMEM_SET_VM_NAME: %s", strerror(errno));
		vm_free(vm);
		return NULL;
	}
	return vm;
}

/* A VM created (owned) by @uid; egid 0 opens the 0660 root:root node. */
static struct vt_vm *named_vm_as(const char *name, uid_t uid)
{
	struct vt_vm *vm;

	if (seteuid(uid))
		return NULL;
	vm = named_vm(name);
	if (seteuid(0)) {
		vt_diag("cannot become root again: %s", strerror(errno));
		abort();
	}
	return vm;
}

static uint32_t vm_id(struct vt_vm *vm)
{
	int id = ioctl(vm->fd, VMEM_GET_VM_ID, 0);

	return id > 0 ? (uint32_t)id : 0;
}

/* What a VM dump showed of two ids. */
struct seen {
	uint32_t mine, theirs;
	int n_mine, n_theirs, n;
	char mine_name[VMEM_NAME_MAX];
};

static int seen_cb(const struct nlt_attrs *at, void *arg)
{
	struct seen *s = arg;
	uint32_t id = nlt_u32(at, VMEM_A_VM_ID);

	s->n++;
	if (id == s->mine) {
		s->n_mine++;
		snprintf(s->mine_name, sizeof(s->mine_name), "%s",
			 nlt_str(at, VMEM_A_VM_NAME));
	}
	if (id == s->theirs)
		s->n_theirs++;
	return 0;
}

/* Become uid 1000 for good (no capabilities left). */
static int become_other(void)
{
	static const gid_t none[] = { OTHER_UID };

	ASSERT_OK(setgroups(1, none));
	ASSERT_OK(setresgid(OTHER_UID, OTHER_UID, OTHER_UID));
	ASSERT_OK(setresuid(OTHER_UID, OTHER_UID, OTHER_UID));
	return VT_PASS;
}

/* In a child as uid 1000: arg = { its VM's id, root's VM's id }. */
static int dump_as_other(void *arg)
{
	const uint32_t *ids = arg;
	struct seen s = { .mine = ids[0], .theirs = ids[1] };
	struct nlt_sock u;
	struct nlt_reply r;

	ASSERT_EQ(become_other(), VT_PASS);
	ASSERT_EQ(nlt_open(&u), 0);
	ASSERT_EQ(nlt_dump(&u, VMEM_CMD_VM_GET, seen_cb, &s), 0);
	vt_diag("uid %d's dump: %d VMs, its own %d, root's %d", OTHER_UID,
		s.n, s.n_mine, s.n_theirs);
	EXPECT_EQ(s.n_mine, 1);
	EXPECT_EQ(strcmp(s.mine_name, "vis_user"), 0);
	EXPECT_EQ(s.n_theirs, 0);
	EXPECT_EQ(s.n, 1);

	EXPECT_EQ(nlt_vm_get(&u, ids[0], &r), 0);
	EXPECT_EQ(nlt_u32(&r.reply, VMEM_A_VM_ID), ids[0]);
	EXPECT_EQ(nlt_vm_get(&u, ids[1], &r), -ENOENT);
	EXPECT_TRUE(!r.has_reply);
	/* Changes stay the administrator's, on its own VM too. */
	EXPECT_EQ(nlt_vm_set(&u, ids[0], 0, 0, &r), -EPERM);

	/* Pools and host totals are everyone's. */
	EXPECT_EQ(nlt_pool_get(&u, "root", &r), 0);
	nlt_close(&u);
	return VT_PASS;
}

static int test_dump_and_get(void)
{
	struct seen s = { 0 };
	struct vt_vm *mine, *theirs;
	uint32_t ids[2];

	ASSERT_TRUE(theirs = named_vm("vis_root"));
	ASSERT_TRUE(mine = named_vm_as("vis_user", OTHER_UID));
	ids[0] = vm_id(mine);
	ids[1] = vm_id(theirs);
	ASSERT_TRUE(ids[0] && ids[1]);

	EXPECT_EQ(vt_run_in_child(dump_as_other, ids), VT_PASS);

	/* Root sees both. */
	s.mine = ids[0];
	s.theirs = ids[1];
	ASSERT_EQ(nlt_dump(&nl, VMEM_CMD_VM_GET, seen_cb, &s), 0);
	EXPECT_EQ(s.n_mine, 1);
	EXPECT_EQ(s.n_theirs, 1);
	EXPECT_EQ(nlt_vm_get(&nl, ids[0], &R), 0);
	EXPECT_EQ(strcmp(nlt_str(&R.reply, VMEM_A_VM_NAME), "vis_user"), 0);
	EXPECT_EQ(nlt_vm_get(&nl, ids[1], &R), 0);
	EXPECT_EQ(strcmp(nlt_str(&R.reply, VMEM_A_VM_NAME), "vis_root"), 0);

	vm_free(mine);
	vm_free(theirs);
	return VT_PASS;
}

/* In a child: join the events group as uid 1000 (arg NULL) or as root
 * without CAP_NET_ADMIN. */
static int join_unprivileged(void *arg)
{
	struct nlt_sock u;

	if (!arg) {
		ASSERT_EQ(become_other(), VT_PASS);
	} else {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];

		ASSERT_OK(syscall(SYS_capget, &hdr, data));
		data[0].effective &= ~(1u << CAP_NET_ADMIN);
		data[0].permitted &= ~(1u << CAP_NET_ADMIN);
		ASSERT_OK(syscall(SYS_capset, &hdr, data));
	}
	ASSERT_EQ(nlt_open(&u), 0);
	EXPECT_EQ(nlt_join_events(&u), -EPERM);
	nlt_close(&u);
	return VT_PASS;
}

static int test_events_group_admin_only(void)
{
	struct nlt_sock ev;
	int root_without_cap = 1;

	EXPECT_EQ(vt_run_in_child(join_unprivileged, NULL), VT_PASS);
	EXPECT_EQ(vt_run_in_child(join_unprivileged, &root_without_cap),
		  VT_PASS);
	/* Root joins. */
	ASSERT_EQ(nlt_open(&ev), 0);
	EXPECT_EQ(nlt_join_events(&ev), 0);
	nlt_close(&ev);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(dump_and_get),
	VT_CASE(events_group_admin_only),
};

VT_MAIN(cases, setup, teardown)
