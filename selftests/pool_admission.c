// SPDX-License-Identifier: GPL-2.0
/*
 * pool_admission - resource pools and admission control through the
 * netlink family (Documentation/pools.rst).
 *
 * The worked examples T1-T4 of the reference, scaled by 1/16 so that
 * they fit the emulated machines (MOM 384 MiB, M1 64, KID 128, K1/K2
 * 128; T2's 3072 -> 192, T4's limit 3072 -> 192) with each VM's
 * overhead o added where the reference has "overhead 0": pools reserve
 * o more per VM they are meant to hold, so every comparison of the
 * example keeps its outcome and its margin.  Then moves of VMs and
 * pools, reservation changes of fixed and expandable pools, power-on
 * refused by the root, and the errno and REFUSED details of every
 * refusal.  Needs /dev/vmem, the netlink family, root.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define ROOT		VMEM_POOL_ROOT_ID
#define UNLIM		VMEM_UNLIMITED

static struct nlt_sock nl;
static struct nlt_reply R;

static const char *const pool_names[] = {
	"t_mom", "t_kid", "t_a", "t_b", "t_c",
};

struct tvm {
	struct vt_vm *vm;
	uint32_t id;
	uint64_t ovh;
};

/* A VM with @mb MiB of (untouched) RAM, measured in the root pool. */
static int tvm_make(struct tvm *t, uint64_t mb)
{
	struct vmem_memslot ms = { .slot = 0, .gpa = 0, .size = mb << 20 };
	int id;

	memset(t, 0, sizeof(*t));
	t->vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	if (!t->vm)
		return -1;
	if (ioctl(t->vm->fd, VMEM_SET_MEMSLOT, &ms))
		return -1;
	id = ioctl(t->vm->fd, VMEM_GET_VM_ID, 0);
	if (id <= 0)
		return -1;
	t->id = id;
	/* A move re-measures the overhead: what later moves will charge. */
	if (nlt_vm_set(&nl, t->id, ROOT, ~0ULL, &R))
		return -1;
	t->ovh = nlt_u64(&R.reply, VMEM_A_OVERHEAD_ADMITTED);
	return 0;
}

static void tvm_free(struct tvm *t)
{
	vm_free(t->vm);
	t->vm = NULL;
}

static uint64_t pool_attr(const char *name, int attr)
{
	if (nlt_pool_get(&nl, name, &R))
		return ~0ULL;
	return nlt_u64(&R.reply, attr);
}

static void cleanup_pools(void)
{
	nlt_pool_del_names(&nl, pool_names,
			   sizeof(pool_names) / sizeof(pool_names[0]));
}

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r == VT_PASS)
		r = nlt_require(&nl);
	if (r != VT_PASS)
		return r;
	cleanup_pools();
	return VT_PASS;
}

static void teardown(void)
{
	cleanup_pools();
	nlt_close(&nl);
}

/* ---------------------------------------------------------------------- */
/* The family of T1-T4: MOM (fixed) holds M1 and KID; K1, K2 go to KID.  */

struct fam {
	struct tvm m1, k1, k2;
	uint32_t mom, kid;
	uint64_t o;
};

static int fam_make(struct fam *f, bool kid_fixed, uint64_t kid_limit_mb,
		    uint64_t m1_res_mb)
{
	uint64_t o, kid_limit;

	memset(f, 0, sizeof(*f));
	ASSERT_OK(tvm_make(&f->m1, 256));
	ASSERT_OK(tvm_make(&f->k1, 256));
	ASSERT_OK(tvm_make(&f->k2, 256));
	o = f->o = f->m1.ovh;
	ASSERT_EQ(f->k1.ovh, o);
	ASSERT_EQ(f->k2.ovh, o);
	vt_diag("overhead per VM: %llu pages", (unsigned long long)o);

	ASSERT_EQ(nlt_pool_new(&nl, "t_mom", ROOT, 384 * MB_PAGES + 3 * o,
			       UNLIM, 0, &f->mom, &R), 0);
	kid_limit = kid_limit_mb ? kid_limit_mb * MB_PAGES + 2 * o : UNLIM;
	ASSERT_EQ(nlt_pool_new(&nl, "t_kid", f->mom, 128 * MB_PAGES + o,
			       kid_limit, !kid_fixed, &f->kid, &R), 0);
	ASSERT_EQ(nlt_vm_set(&nl, f->m1.id, f->mom, m1_res_mb * MB_PAGES, &R),
		  0);
	/* K1 (128) is admitted from KID's own reservation. */
	ASSERT_EQ(nlt_vm_set(&nl, f->k1.id, f->kid, 128 * MB_PAGES, &R), 0);
	EXPECT_EQ(pool_attr("t_kid", VMEM_A_USED), 128 * MB_PAGES + o);
	EXPECT_EQ(pool_attr("t_mom", VMEM_A_USED),
		  (m1_res_mb + 128) * MB_PAGES + 2 * o);
	return VT_PASS;
}

static void fam_free(struct fam *f)
{
	tvm_free(&f->m1);
	tvm_free(&f->k1);
	tvm_free(&f->k2);
	cleanup_pools();
}

/* A refused K2 changed nothing: still in the root without reservation. */
static void expect_k2_untouched(struct fam *f)
{
	struct nlt_reply r;

	EXPECT_EQ(nlt_vm_get(&nl, f->k2.id, &r), 0);
	EXPECT_EQ(nlt_u32(&r.reply, VMEM_A_POOL_ID), ROOT);
	EXPECT_EQ(nlt_u64(&r.reply, VMEM_A_RESERVATION), 0);
	EXPECT_EQ(pool_attr("t_kid", VMEM_A_USED), 128 * MB_PAGES + f->o);
}

static void expect_refused(int err, uint32_t pool, uint64_t need)
{
	EXPECT_TRUE(R.has_refused);
	EXPECT_EQ(nlt_u32(&R.refused, VMEM_A_ERRNO), err);
	EXPECT_EQ(nlt_u32(&R.refused, VMEM_A_POOL_ID), pool);
	EXPECT_EQ(nlt_u64(&R.refused, VMEM_A_NEED), need);
	EXPECT_TRUE(strstr(R.extack, "admission refused") != NULL);
	vt_diag("refusal: %s", R.extack);
}

/* T1: K2 makes KID borrow from MOM; MOM's unreserved falls to 64 (1024). */
static int test_t1_expandable_borrows(void)
{
	struct fam f;

	if (fam_make(&f, false, 0, 64) == VT_PASS) {
		EXPECT_EQ(pool_attr("t_mom", VMEM_A_UNRESERVED),
			  192 * MB_PAGES + f.o);
		EXPECT_EQ(nlt_vm_set(&nl, f.k2.id, f.kid, 128 * MB_PAGES, &R),
			  0);
		EXPECT_EQ(pool_attr("t_kid", VMEM_A_USED),
			  256 * MB_PAGES + 2 * f.o);
		EXPECT_EQ(pool_attr("t_kid", VMEM_A_CHARGE),
			  256 * MB_PAGES + 2 * f.o);
		EXPECT_EQ(pool_attr("t_mom", VMEM_A_UNRESERVED), 64 * MB_PAGES);
	}
	fam_free(&f);
	return VT_PASS;
}

/* T2: MOM's own VMs reserve 192 (3072): K1 admitted, K2 refused by MOM. */
static int test_t2_parent_lacks(void)
{
	struct fam f;

	if (fam_make(&f, false, 0, 192) == VT_PASS) {
		EXPECT_EQ(nlt_vm_set(&nl, f.k2.id, f.kid, 128 * MB_PAGES, &R),
			  -ENOSPC);
		/* MOM had 64 MiB + o; KID asked 128 MiB + o. */
		expect_refused(ENOSPC, f.mom, 64 * MB_PAGES);
		expect_k2_untouched(&f);
	}
	fam_free(&f);
	return VT_PASS;
}

/* T3: KID fixed: K2 refused by KID without asking MOM. */
static int test_t3_fixed_child_refuses(void)
{
	struct fam f;

	if (fam_make(&f, true, 0, 64) == VT_PASS) {
		EXPECT_EQ(nlt_vm_set(&nl, f.k2.id, f.kid, 128 * MB_PAGES, &R),
			  -ENOSPC);
		expect_refused(ENOSPC, f.kid, 128 * MB_PAGES + f.o);
		expect_k2_untouched(&f);
		/* MOM still has its 192 (3072 - 1024 - 2048) unreserved. */
		EXPECT_EQ(pool_attr("t_mom", VMEM_A_UNRESERVED),
			  192 * MB_PAGES + f.o);
	}
	fam_free(&f);
	return VT_PASS;
}

/* T4: KID's limit 192 (3072): K2 refused, 256 > 192. */
static int test_t4_limit_refuses(void)
{
	struct fam f;

	if (fam_make(&f, false, 192, 64) == VT_PASS) {
		EXPECT_EQ(nlt_vm_set(&nl, f.k2.id, f.kid, 128 * MB_PAGES, &R),
			  -EDQUOT);
		expect_refused(EDQUOT, f.kid, 64 * MB_PAGES);
		EXPECT_EQ(nlt_u32(&R.refused, VMEM_A_REFUSED_WHY),
			  VMEM_REFUSED_LIMIT);
		expect_k2_untouched(&f);
		/* Within the limit it still borrows: 32 MiB more is fine. */
		EXPECT_EQ(nlt_vm_set(&nl, f.k2.id, f.kid, 32 * MB_PAGES, &R),
			  0);
	}
	fam_free(&f);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Moves                                                                   */

/* A VM keeps reservation, limit and shares level across a move. */
static int test_move_vm_keeps_settings(void)
{
	struct nlt_msg m;
	struct tvm v;
	uint32_t a, b;

	ASSERT_OK(tvm_make(&v, 256));
	ASSERT_EQ(nlt_pool_new(&nl, "t_a", ROOT, 0, UNLIM, 1, &a, &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, "t_b", ROOT, 0, UNLIM, 1, &b, &R), 0);

	nlt_init(&m, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, v.id);
	nlt_put_u32(&m, VMEM_A_POOL_ID, a);
	nlt_put_u64(&m, VMEM_A_RESERVATION, 100 * MB_PAGES);
	nlt_put_u64(&m, VMEM_A_LIMIT, 200 * MB_PAGES);
	nlt_put_u32(&m, VMEM_A_SHARES_LEVEL, VMEM_SHARES_HIGH);
	ASSERT_EQ(nlt_call(&nl, &m, &R), 0);
	/* High: 20 shares per MiB of the limit the VM was given. */
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_SHARES), 20 * 200);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_USED), 100 * MB_PAGES + v.ovh);

	ASSERT_EQ(nlt_vm_set(&nl, v.id, b, ~0ULL, &R), 0);
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_POOL_ID), b);
	EXPECT_EQ(nlt_u64(&R.reply, VMEM_A_RESERVATION), 100 * MB_PAGES);
	EXPECT_EQ(nlt_u64(&R.reply, VMEM_A_LIMIT), 200 * MB_PAGES);
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_SHARES_LEVEL), VMEM_SHARES_HIGH);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_USED), 0);
	EXPECT_EQ(pool_attr("t_b", VMEM_A_USED), 100 * MB_PAGES + v.ovh);

	/* Pools with VMs stay; after the VM is gone they go. */
	EXPECT_EQ(nlt_pool_del(&nl, b), -EBUSY);
	tvm_free(&v);
	EXPECT_EQ(pool_attr("t_b", VMEM_A_USED), 0);
	EXPECT_EQ(nlt_pool_del(&nl, b), 0);
	EXPECT_EQ(nlt_pool_del(&nl, a), 0);
	cleanup_pools();
	return VT_PASS;
}

/* A powered-on VM's move fails when the destination cannot admit it. */
static int test_move_vm_refused(void)
{
	struct tvm v;
	uint32_t a, b;

	ASSERT_OK(tvm_make(&v, 256));
	ASSERT_EQ(nlt_pool_new(&nl, "t_a", ROOT, 100 * MB_PAGES + v.ovh, UNLIM,
			       0, &a, &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, "t_b", ROOT, 50 * MB_PAGES, UNLIM, 0, &b,
			       &R), 0);
	ASSERT_EQ(nlt_vm_set(&nl, v.id, a, 100 * MB_PAGES, &R), 0);
	EXPECT_EQ(nlt_vm_set(&nl, v.id, b, ~0ULL, &R), -ENOSPC);
	expect_refused(ENOSPC, b, 50 * MB_PAGES + v.ovh);
	EXPECT_EQ(nlt_vm_get(&nl, v.id, &R), 0);
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_POOL_ID), a);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_USED), 100 * MB_PAGES + v.ovh);
	EXPECT_EQ(pool_attr("t_b", VMEM_A_USED), 0);
	/* A reservation above the VM's memory is invalid, not refused. */
	EXPECT_EQ(nlt_vm_set(&nl, v.id, 0, 257 * MB_PAGES, &R), -EINVAL);
	tvm_free(&v);
	cleanup_pools();
	return VT_PASS;
}

/* Moving a pool moves its charge; cycles and the root are refused. */
static int test_move_pool(void)
{
	struct nlt_msg m;
	uint32_t a, b, c;

	ASSERT_EQ(nlt_pool_new(&nl, "t_a", ROOT, 300 * MB_PAGES, UNLIM, 0, &a,
			       &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, "t_b", a, 100 * MB_PAGES, UNLIM, 1, &b,
			       &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, "t_c", b, 50 * MB_PAGES, UNLIM, 1, &c,
			       &R), 0);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_USED), 100 * MB_PAGES);

	/* b (with c) out of a into the root. */
	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, b);
	nlt_put_u32(&m, VMEM_A_PARENT_ID, ROOT);
	EXPECT_EQ(nlt_call(&nl, &m, &R), 0);
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_PARENT_ID), ROOT);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_USED), 0);

	/* b under its own child c: a cycle. */
	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, b);
	nlt_put_u32(&m, VMEM_A_PARENT_ID, c);
	EXPECT_EQ(nlt_call(&nl, &m, &R), -EINVAL);

	/* The root does not move. */
	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, ROOT);
	nlt_put_u32(&m, VMEM_A_PARENT_ID, a);
	EXPECT_EQ(nlt_call(&nl, &m, &R), -EINVAL);

	/* b into a fixed pool too small for it: refused, b stays. */
	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, a);
	nlt_put_u64(&m, VMEM_A_RESERVATION, 80 * MB_PAGES);
	EXPECT_EQ(nlt_call(&nl, &m, &R), 0);
	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, b);
	nlt_put_u32(&m, VMEM_A_PARENT_ID, a);
	EXPECT_EQ(nlt_call(&nl, &m, &R), -ENOSPC);
	expect_refused(ENOSPC, a, 20 * MB_PAGES);
	EXPECT_EQ(nlt_pool_get(&nl, "t_b", &R), 0);
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_PARENT_ID), ROOT);

	EXPECT_EQ(nlt_pool_del(&nl, b), -EBUSY);	/* has c */
	EXPECT_EQ(nlt_pool_del(&nl, ROOT), -EINVAL);
	cleanup_pools();
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Reservation changes                                                     */

static int pool_set_u64(uint32_t id, int attr, uint64_t v)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, id);
	nlt_put_u64(&m, attr, v);
	return nlt_call(&nl, &m, &R);
}

static int pool_set_exp(uint32_t id, int exp)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, id);
	nlt_put_u8(&m, VMEM_A_EXPANDABLE, exp);
	return nlt_call(&nl, &m, &R);
}

static int test_fixed_pool_reservation(void)
{
	uint32_t a, b;

	ASSERT_EQ(nlt_pool_new(&nl, "t_a", ROOT, 200 * MB_PAGES, UNLIM, 0, &a,
			       &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, "t_b", a, 150 * MB_PAGES, UNLIM, 0, &b,
			       &R), 0);
	/* Below what b holds: the children would be uncovered. */
	EXPECT_EQ(pool_set_u64(a, VMEM_A_RESERVATION, 100 * MB_PAGES), -EBUSY);
	EXPECT_EQ(pool_set_u64(a, VMEM_A_RESERVATION, 150 * MB_PAGES), 0);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_UNRESERVED), 0);
	/* b cannot grow inside a fixed, full a. */
	EXPECT_EQ(pool_set_u64(b, VMEM_A_RESERVATION, 151 * MB_PAGES), -ENOSPC);
	expect_refused(ENOSPC, a, 1 * MB_PAGES);
	EXPECT_EQ(pool_attr("t_b", VMEM_A_RESERVATION), 150 * MB_PAGES);
	/* A fixed pool can grow from its parent (root). */
	EXPECT_EQ(pool_set_u64(a, VMEM_A_RESERVATION, 300 * MB_PAGES), 0);
	EXPECT_EQ(pool_set_u64(b, VMEM_A_RESERVATION, 300 * MB_PAGES), 0);
	/* Limit below the reservation, and below what is held. */
	EXPECT_EQ(pool_set_u64(b, VMEM_A_LIMIT, 100 * MB_PAGES), -EINVAL);
	EXPECT_EQ(pool_set_u64(a, VMEM_A_LIMIT, 299 * MB_PAGES), -EINVAL);
	cleanup_pools();
	return VT_PASS;
}

static int test_expandable_pool_reservation(void)
{
	uint32_t a, b, c;

	ASSERT_EQ(nlt_pool_new(&nl, "t_a", ROOT, 200 * MB_PAGES, UNLIM, 0, &a,
			       &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, "t_b", a, 50 * MB_PAGES, UNLIM, 1, &b,
			       &R), 0);
	/* c borrows 50 through b from a. */
	ASSERT_EQ(nlt_pool_new(&nl, "t_c", b, 100 * MB_PAGES, UNLIM, 1, &c,
			       &R), 0);
	EXPECT_EQ(pool_attr("t_b", VMEM_A_USED), 100 * MB_PAGES);
	EXPECT_EQ(pool_attr("t_b", VMEM_A_CHARGE), 100 * MB_PAGES);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_USED), 100 * MB_PAGES);
	/* Shrinking an expandable pool below its use keeps the charge. */
	EXPECT_EQ(pool_set_u64(b, VMEM_A_RESERVATION, 0), 0);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_USED), 100 * MB_PAGES);
	/* ... but it cannot become fixed then. */
	EXPECT_EQ(pool_set_exp(b, 0), -EBUSY);
	/* Growing past the parent's fixed 200 is refused by a. */
	EXPECT_EQ(pool_set_u64(b, VMEM_A_RESERVATION, 201 * MB_PAGES),
		  -ENOSPC);
	expect_refused(ENOSPC, a, 1 * MB_PAGES);
	EXPECT_EQ(pool_set_u64(b, VMEM_A_RESERVATION, 200 * MB_PAGES), 0);
	EXPECT_EQ(pool_attr("t_a", VMEM_A_UNRESERVED), 0);
	/* Now fixed is fine (use 100 <= 200). */
	EXPECT_EQ(pool_set_exp(b, 0), 0);
	/* A child pool larger than a fixed parent can give: refused. */
	EXPECT_EQ(nlt_pool_new(&nl, "t_mom", c, 201 * MB_PAGES, UNLIM, 1, NULL,
			       &R), -ENOSPC);
	expect_refused(ENOSPC, b, 1 * MB_PAGES);
	EXPECT_EQ(nlt_pool_get(&nl, "t_mom", &R), -ENOENT);
	cleanup_pools();
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Power-on                                                                */

/* A VM the root cannot admit is not created; an event says why. */
static int test_power_on_refused(void)
{
	struct nlt_sock ev;
	struct nlt_attrs at;
	static char raw[NLT_BUF];
	uint64_t res, used;
	struct vt_vm *vm;
	int dev, fd, err;

	ASSERT_EQ(nlt_pool_get(&nl, "root", &R), 0);
	res = nlt_u64(&R.reply, VMEM_A_RESERVATION);
	used = nlt_u64(&R.reply, VMEM_A_USED);
	ASSERT_EQ(nlt_open(&ev), 0);
	ASSERT_EQ(nlt_join_events(&ev), 0);

	EXPECT_EQ(pool_set_u64(ROOT, VMEM_A_RESERVATION, used), 0);
	ASSERT_OK(dev = vt_open_dev(O_RDWR));
	fd = ioctl(dev, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO);
	err = errno;
	EXPECT_EQ(fd, -1);
	EXPECT_EQ(err, ENOSPC);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(nlt_recv_event(&ev, &at, raw, 2000), 0);
	EXPECT_EQ(nlt_u32(&at, VMEM_A_EVENT), VMEM_EVENT_ADMISSION_REFUSED);
	EXPECT_EQ(nlt_u32(&at, VMEM_A_POOL_ID), ROOT);
	EXPECT_EQ(nlt_u32(&at, VMEM_A_ERRNO), ENOSPC);
	EXPECT_TRUE(nlt_u64(&at, VMEM_A_NEED) > 0);

	/* Below what is in use: refused; above host RAM: invalid. */
	if (used)
		EXPECT_EQ(pool_set_u64(ROOT, VMEM_A_RESERVATION, used - 1),
			  -EBUSY);
	EXPECT_EQ(pool_set_u64(ROOT, VMEM_A_RESERVATION, ~0ULL >> 1), -EINVAL);
	EXPECT_EQ(pool_set_u64(ROOT, VMEM_A_RESERVATION, res), 0);
	vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	EXPECT_TRUE(vm != NULL);
	vm_free(vm);
	close(dev);
	nlt_close(&ev);
	return VT_PASS;
}

/* Ids are stable and distinct; names are set by the VMM; VMs go away. */
static int test_vm_id_and_name(void)
{
	struct vmem_vm_name n = { 0 };
	struct tvm a, b;

	ASSERT_OK(tvm_make(&a, 16));
	ASSERT_OK(tvm_make(&b, 16));
	EXPECT_NE(a.id, b.id);
	EXPECT_EQ(ioctl(a.vm->fd, VMEM_GET_VM_ID, 0), (int)a.id);
	EXPECT_ERRNO(ioctl(a.vm->fd, VMEM_GET_VM_ID, 1), EINVAL);

	strcpy(n.name, "guest-1.test");
	EXPECT_OK(ioctl(a.vm->fd, VMEM_SET_VM_NAME, &n));
	EXPECT_EQ(nlt_vm_get(&nl, a.id, &R), 0);
	EXPECT_TRUE(!strcmp(nlt_str(&R.reply, VMEM_A_VM_NAME), "guest-1.test"));
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_VM_PID), getpid());
	EXPECT_EQ(nlt_u64(&R.reply, VMEM_A_CONFIGURED), 16 * MB_PAGES);
	/* Normal shares, not sized by the control plane: those of 1 MiB. */
	EXPECT_EQ(nlt_u32(&R.reply, VMEM_A_SHARES), 10);

	strcpy(n.name, "bad name");
	EXPECT_ERRNO(ioctl(a.vm->fd, VMEM_SET_VM_NAME, &n), EINVAL);
	memset(n.name, 'x', sizeof(n.name));
	EXPECT_ERRNO(ioctl(a.vm->fd, VMEM_SET_VM_NAME, &n), EINVAL);
	memset(&n, 0, sizeof(n));
	EXPECT_ERRNO(ioctl(a.vm->fd, VMEM_SET_VM_NAME, &n), EINVAL);
	strcpy(n.name, "ok");
	n.flags = 1;
	EXPECT_ERRNO(ioctl(a.vm->fd, VMEM_SET_VM_NAME, &n), EINVAL);
	n.flags = 0;
	n.reserved[3] = 1;
	EXPECT_ERRNO(ioctl(a.vm->fd, VMEM_SET_VM_NAME, &n), EINVAL);
	EXPECT_EQ(nlt_vm_get(&nl, a.id, &R), 0);
	EXPECT_TRUE(!strcmp(nlt_str(&R.reply, VMEM_A_VM_NAME), "guest-1.test"));

	tvm_free(&a);
	EXPECT_EQ(nlt_vm_get(&nl, a.id, &R), -ENOENT);
	EXPECT_EQ(nlt_vm_set(&nl, a.id, ROOT, 0, &R), -ENOENT);
	tvm_free(&b);
	return VT_PASS;
}

/* Every pool's used equals the sum of its children's charges. */
static int test_dump_consistent(void)
{
	static struct nlt_sums s;
	struct tvm v;
	uint32_t a, b;

	ASSERT_OK(tvm_make(&v, 64));
	ASSERT_EQ(nlt_pool_new(&nl, "t_a", ROOT, 100 * MB_PAGES, UNLIM, 1, &a,
			       &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, "t_b", a, 20 * MB_PAGES, UNLIM, 1, &b,
			       &R), 0);
	ASSERT_EQ(nlt_vm_set(&nl, v.id, b, 64 * MB_PAGES, &R), 0);

	ASSERT_EQ(nlt_sums_read(&nl, &s), 0);
	ASSERT_TRUE(s.n >= 3);
	EXPECT_EQ(s.id[0], ROOT);
	EXPECT_EQ(nlt_sums_mismatches(&s), 0);
	tvm_free(&v);
	cleanup_pools();
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(t1_expandable_borrows),
	VT_CASE(t2_parent_lacks),
	VT_CASE(t3_fixed_child_refuses),
	VT_CASE(t4_limit_refuses),
	VT_CASE(move_vm_keeps_settings),
	VT_CASE(move_vm_refused),
	VT_CASE(move_pool),
	VT_CASE(fixed_pool_reservation),
	VT_CASE(expandable_pool_reservation),
	VT_CASE(power_on_refused),
	VT_CASE(vm_id_and_name),
	VT_CASE(dump_consistent),
};

VT_MAIN(cases, setup, teardown)
