// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_bad_input - the "vmem" generic-netlink family refuses malformed
 * and unauthorized requests, and changes nothing when it does: unknown
 * and output-only attributes, attributes a command does not use, wrong
 * lengths (EINVAL), values out of a policy range (ERANGE, the netlink
 * core's answer), missing attributes, unterminated, empty,
 * long and ill-formed names, a nonzero reserved header byte, unknown
 * commands, truncated messages, senders without CAP_NET_ADMIN (reads
 * still work for them), and operations on pools, VMs and tunables that
 * do not exist or are gone.  Needs /dev/vmem, the family, root.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

static struct nlt_sock nl;
static struct nlt_reply R;
static struct nlt_msg M;

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	return r == VT_PASS ? nlt_require(&nl) : r;
}

static void drop_test_pools(void)
{
	static const char *const names[] = { "t_bad", "t_x" };

	nlt_pool_del_names(&nl, names, 2);
}

static void teardown(void)
{
	drop_test_pools();
	nlt_close(&nl);
}

/* POOL_NEW "t_bad" plus one extra attribute. */
static int new_with(uint16_t type, const void *data, size_t len)
{
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "t_bad");
	nlt_put(&M, type, data, len);
	return nlt_call(&nl, &M, &R);
}

/* Nothing was created by a refused request. */
static void expect_no_pool(void)
{
	static struct nlt_reply r;

	EXPECT_EQ(nlt_pool_get(&nl, "t_bad", &r), -ENOENT);
	drop_test_pools();
}

static int test_unknown_attribute(void)
{
	uint32_t v = 1;

	EXPECT_EQ(new_with(VMEM_A_MAX + 1, &v, 4), -EINVAL);
	EXPECT_EQ(new_with(1000, &v, 4), -EINVAL);
	expect_no_pool();
	return VT_PASS;
}

static int test_output_only_attribute(void)
{
	uint64_t v = 0;

	EXPECT_EQ(new_with(VMEM_A_USED, &v, 8), -EINVAL);
	EXPECT_EQ(new_with(VMEM_A_GRANTED, &v, 8), -EINVAL);
	EXPECT_EQ(new_with(VMEM_A_PAD, &v, 8), -EINVAL);
	expect_no_pool();
	return VT_PASS;
}

static int test_attribute_of_other_command(void)
{
	uint32_t v = 1;
	uint8_t b = 1;

	/* Valid attributes, but POOL_NEW does not use them. */
	EXPECT_EQ(new_with(VMEM_A_VM_ID, &v, 4), -EINVAL);
	EXPECT_TRUE(R.extack[0] != 0);
	EXPECT_EQ(new_with(VMEM_A_PSHARE, &b, 1), -EINVAL);
	expect_no_pool();
	/* STATS_GET takes nothing. */
	nlt_init(&M, &nl, VMEM_CMD_STATS_GET, 0);
	nlt_put_u32(&M, VMEM_A_POOL_ID, 1);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	return VT_PASS;
}

static int test_wrong_lengths(void)
{
	uint64_t v8 = 1;
	uint32_t v4 = 1;
	uint16_t v2 = 1;

	EXPECT_EQ(new_with(VMEM_A_RESERVATION, &v4, 4), -EINVAL);
	EXPECT_EQ(new_with(VMEM_A_LIMIT, &v2, 2), -EINVAL);
	EXPECT_EQ(new_with(VMEM_A_PARENT_ID, &v8, 8), -EINVAL);
	EXPECT_EQ(new_with(VMEM_A_PARENT_ID, &v2, 2), -EINVAL);
	EXPECT_EQ(new_with(VMEM_A_EXPANDABLE, &v4, 4), -EINVAL);
	EXPECT_EQ(new_with(VMEM_A_SHARES_LEVEL, &v4, 0), -EINVAL);
	expect_no_pool();
	return VT_PASS;
}

static int test_values_out_of_range(void)
{
	uint32_t v4;
	uint8_t v1;

	/* Policy ranges: the netlink core answers ERANGE. */
	v4 = 0;
	EXPECT_EQ(new_with(VMEM_A_SHARES_LEVEL, &v4, 4), -ERANGE);
	v4 = VMEM_SHARES_CUSTOM + 1;
	EXPECT_EQ(new_with(VMEM_A_SHARES_LEVEL, &v4, 4), -ERANGE);
	v1 = 2;
	EXPECT_EQ(new_with(VMEM_A_EXPANDABLE, &v1, 1), -ERANGE);
	v4 = 0;
	EXPECT_EQ(new_with(VMEM_A_PARENT_ID, &v4, 4), -ERANGE);
	/* Combinations the handler checks: EINVAL. */
	v4 = VMEM_SHARES_CUSTOM;	/* custom without SHARES */
	EXPECT_EQ(new_with(VMEM_A_SHARES_LEVEL, &v4, 4), -EINVAL);
	v4 = 100;			/* SHARES without custom */
	EXPECT_EQ(new_with(VMEM_A_SHARES, &v4, 4), -EINVAL);
	v4 = 0x7fffffff;		/* no such parent */
	EXPECT_EQ(new_with(VMEM_A_PARENT_ID, &v4, 4), -ENOENT);
	expect_no_pool();

	/* Limit below reservation. */
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "t_bad");
	nlt_put_u64(&M, VMEM_A_RESERVATION, 2);
	nlt_put_u64(&M, VMEM_A_LIMIT, 1);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	expect_no_pool();
	return VT_PASS;
}

static int test_missing_attributes(void)
{
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	nlt_init(&M, &nl, VMEM_CMD_VM_GET, 0);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	nlt_init(&M, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u64(&M, VMEM_A_RESERVATION, 0);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	nlt_init(&M, &nl, VMEM_CMD_POOL_DEL, 0);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	nlt_init(&M, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u64(&M, VMEM_A_RESERVATION, 0);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	/* Both POOL_ID and POOL_NAME is ambiguous. */
	nlt_init(&M, &nl, VMEM_CMD_POOL_GET, 0);
	nlt_put_u32(&M, VMEM_A_POOL_ID, VMEM_POOL_ROOT_ID);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "root");
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	nlt_init(&M, &nl, VMEM_CMD_TUNABLE_SET, 0);
	nlt_put_str(&M, VMEM_A_TUNABLE_NAME, "Mem.ShareScanTime");
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	return VT_PASS;
}

static int test_bad_names(void)
{
	char long_name[64];

	/* Unterminated. */
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put(&M, VMEM_A_POOL_NAME, "t_bad", 5);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	/* 32 characters: one too many. */
	memset(long_name, 'a', sizeof(long_name));
	long_name[VMEM_NAME_MAX] = 0;
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, long_name);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	/* 31 is fine. */
	long_name[VMEM_NAME_MAX - 1] = 0;
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, long_name);
	EXPECT_EQ(nlt_call(&nl, &M, &R), 0);
	EXPECT_EQ(nlt_pool_del(&nl, nlt_u32(&R.reply, VMEM_A_POOL_ID)), 0);
	/* Empty, spaces, slashes, a name taken. */
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "");
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "t bad");
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "../t_bad");
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	nlt_init(&M, &nl, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "root");
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EEXIST);
	/* Tunable names follow the same length rule. */
	nlt_init(&M, &nl, VMEM_CMD_TUNABLE_GET, 0);
	nlt_put(&M, VMEM_A_TUNABLE_NAME, "Mem.X", 5);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -EINVAL);
	expect_no_pool();
	return VT_PASS;
}

static int test_header_and_commands(void)
{
	struct nlt_msg m;

	/* Reserved genl header byte must be zero (resv_start_op). */
	nlt_init_raw(&m, nl.family, VMEM_CMD_STATS_GET, 0, 1);
	EXPECT_EQ(nlt_call(&nl, &m, &R), -EINVAL);
	nlt_init_raw(&m, nl.family, VMEM_CMD_STATS_GET, 0, 0);
	EXPECT_EQ(nlt_call(&nl, &m, &R), 0);
	EXPECT_TRUE(R.has_reply);
	/* Unknown commands, and the ones only the kernel sends. */
	nlt_init(&m, &nl, 200, 0);
	EXPECT_EQ(nlt_call(&nl, &m, &R), -EOPNOTSUPP);
	nlt_init(&m, &nl, VMEM_CMD_EVENT, 0);
	EXPECT_EQ(nlt_call(&nl, &m, &R), -EOPNOTSUPP);
	nlt_init(&m, &nl, VMEM_CMD_UNSPEC, 0);
	EXPECT_EQ(nlt_call(&nl, &m, &R), -EOPNOTSUPP);
	/* Truncated: no room for the genl header. */
	nlt_init(&m, &nl, VMEM_CMD_STATS_GET, 0);
	m.len = NLMSG_HDRLEN + 2;
	EXPECT_EQ(nlt_call(&nl, &m, &R), -EINVAL);
	return VT_PASS;
}

static int test_gone_objects(void)
{
	struct vt_vm *vm;
	uint32_t id;
	int vm_id;

	ASSERT_EQ(nlt_pool_new(&nl, "t_x", 0, 0, VMEM_UNLIMITED, 1, &id, &R),
		  0);
	EXPECT_EQ(nlt_pool_del(&nl, id), 0);
	EXPECT_EQ(nlt_pool_del(&nl, id), -ENOENT);
	nlt_init(&M, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&M, VMEM_A_POOL_ID, id);
	nlt_put_u64(&M, VMEM_A_RESERVATION, 0);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -ENOENT);
	nlt_init(&M, &nl, VMEM_CMD_POOL_GET, 0);
	nlt_put_u32(&M, VMEM_A_POOL_ID, id);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -ENOENT);

	vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	ASSERT_TRUE(vm != NULL);
	ASSERT_OK(vm_id = ioctl(vm->fd, VMEM_GET_VM_ID, 0));
	/* Into a pool that is gone. */
	EXPECT_EQ(nlt_vm_set(&nl, vm_id, id, ~0ULL, &R), -ENOENT);
	EXPECT_EQ(nlt_vm_get(&nl, vm_id, &R), 0);
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_POOL_ID), VMEM_POOL_ROOT_ID);
	vm_free(vm);
	EXPECT_EQ(nlt_vm_get(&nl, vm_id, &R), -ENOENT);
	EXPECT_EQ(nlt_vm_set(&nl, vm_id, 0, 0, &R), -ENOENT);

	nlt_init(&M, &nl, VMEM_CMD_TUNABLE_GET, 0);
	nlt_put_str(&M, VMEM_A_TUNABLE_NAME, "No.Such.Tunable");
	EXPECT_EQ(nlt_call(&nl, &M, &R), -ENOENT);
	nlt_init(&M, &nl, VMEM_CMD_TUNABLE_SET, 0);
	nlt_put_str(&M, VMEM_A_TUNABLE_NAME, "No.Such.Tunable");
	nlt_put_u64(&M, VMEM_A_TUNABLE_VALUE, 1);
	EXPECT_EQ(nlt_call(&nl, &M, &R), -ENOENT);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Privilege                                                               */

static int count_cb(const struct nlt_attrs *at, void *arg)
{
	(void)at;
	(*(int *)arg)++;
	return 0;
}

/* In a child: drop CAP_NET_ADMIN and CAP_SYS_ADMIN (or all, as nobody). */
static int unprivileged(void *arg)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	struct nlt_sock s;
	int n = 0, vm_id = *(int *)arg;

	if (vm_id < 0) {
		ASSERT_OK(setgid(65534));
		ASSERT_OK(setuid(65534));
	} else {
		ASSERT_OK(syscall(SYS_capget, &hdr, data));
		data[0].effective &= ~(1u << CAP_NET_ADMIN | 1u << CAP_SYS_ADMIN);
		data[0].permitted &= ~(1u << CAP_NET_ADMIN | 1u << CAP_SYS_ADMIN);
		ASSERT_OK(syscall(SYS_capset, &hdr, data));
	}
	ASSERT_EQ(nlt_open(&s), 0);

	nlt_init(&M, &s, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "t_bad");
	EXPECT_EQ(nlt_call(&s, &M, &R), -EPERM);
	nlt_init(&M, &s, VMEM_CMD_POOL_DEL, 0);
	nlt_put_str(&M, VMEM_A_POOL_NAME, "t_x");
	EXPECT_EQ(nlt_call(&s, &M, &R), -EPERM);
	nlt_init(&M, &s, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&M, VMEM_A_POOL_ID, VMEM_POOL_ROOT_ID);
	nlt_put_u64(&M, VMEM_A_RESERVATION, 0);
	EXPECT_EQ(nlt_call(&s, &M, &R), -EPERM);
	if (vm_id > 0)
		EXPECT_EQ(nlt_vm_set(&s, vm_id, 0, 0, &R), -EPERM);
	nlt_init(&M, &s, VMEM_CMD_TUNABLE_SET, 0);
	nlt_put_str(&M, VMEM_A_TUNABLE_NAME, "Mem.ShareScanTime");
	nlt_put_u64(&M, VMEM_A_TUNABLE_VALUE, 1);
	EXPECT_EQ(nlt_call(&s, &M, &R), -EPERM);

	/* Reads are open. */
	nlt_init(&M, &s, VMEM_CMD_STATS_GET, 0);
	EXPECT_EQ(nlt_call(&s, &M, &R), 0);
	EXPECT_TRUE(nlt_u64(&R.reply, VMEM_A_HOST_TOTAL) > 0);
	EXPECT_EQ(nlt_pool_get(&s, "root", &R), 0);
	EXPECT_EQ(nlt_dump(&s, VMEM_CMD_POOL_GET, count_cb, &n), 0);
	EXPECT_TRUE(n >= 2);
	n = 0;
	EXPECT_EQ(nlt_dump(&s, VMEM_CMD_VM_GET, count_cb, &n), 0);
	if (vm_id > 0)
		EXPECT_TRUE(n >= 1);
	nlt_close(&s);
	return VT_PASS;
}

static int test_unprivileged(void)
{
	struct vt_vm *vm;
	uint32_t id;
	int vm_id, nobody = -1;

	ASSERT_EQ(nlt_pool_new(&nl, "t_x", 0, 0, VMEM_UNLIMITED, 1, &id, &R),
		  0);
	vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	ASSERT_TRUE(vm != NULL);
	ASSERT_OK(vm_id = ioctl(vm->fd, VMEM_GET_VM_ID, 0));
	EXPECT_EQ(vt_run_in_child(unprivileged, &vm_id), VT_PASS);
	EXPECT_EQ(vt_run_in_child(unprivileged, &nobody), VT_PASS);
	/* Nothing changed. */
	EXPECT_EQ(nlt_pool_get(&nl, "t_x", &R), 0);
	EXPECT_EQ(nlt_pool_get(&nl, "t_bad", &R), -ENOENT);
	vm_free(vm);
	EXPECT_EQ(nlt_pool_del(&nl, id), 0);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(unknown_attribute),
	VT_CASE(output_only_attribute),
	VT_CASE(attribute_of_other_command),
	VT_CASE(wrong_lengths),
	VT_CASE(values_out_of_range),
	VT_CASE(missing_attributes),
	VT_CASE(bad_names),
	VT_CASE(header_and_commands),
	VT_CASE(gone_objects),
	VT_CASE(unprivileged),
};

VT_MAIN(cases, setup, teardown)
