// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_netlink - every command and attribute of the "vmem" generic-netlink
 * family with random and odd values, as root and as nobody
 * (Documentation/api.rst, section 8; testing.rst, "Fuzzers").
 *
 * A sequence opens a socket and sends MSGS_PER_SEQ random requests: a
 * command of the family (sometimes any number), request flags with or
 * without NLM_F_DUMP, sometimes a nonzero reserved byte, and up to six
 * attributes, each of a type the command uses or any, with its natural
 * size or a wrong one, values from the pools, VMs and tunables that exist
 * or odd ones (0, ~0, names too long, unterminated, with bad characters,
 * nested or byte-order flags).  Rules checked on each answer:
 *   - an answer comes (an error, an ACK or a finished dump);
 *   - errors are the documented ones;
 *   - as nobody (30% of the sequences, setuid in the child): every
 *     administrative command is EPERM, joining "events" is EPERM, root's
 *     VMs do not exist (VM_GET ENOENT, not in dumps), and the pools and
 *     tunables are the same after the sequence as before it;
 *   - as root: every pool's used is the sum of its children's charges
 *     after the sequence; the sequence's pools are deleted and the
 *     tunables and root pool put back afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "fz.h"
#include "nl_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define MSGS_PER_SEQ	16
#define MAX_POOLS	64
#define MAX_TUNABLES	16

/* What the tree looked like at setup: pools to keep, tunables to restore. */
struct snapshot {
	int npools;
	uint32_t pool_id[MAX_POOLS];
	char pool_line[MAX_POOLS][160];
	int ntun;
	char tun_name[MAX_TUNABLES][VMEM_NAME_MAX];
	uint64_t tun_val[MAX_TUNABLES];
	uint64_t root_res;
	uint32_t root_level, root_shares;
};

static struct snapshot initial;
static struct nlt_msg M;

static int pool_cb(const struct nlt_attrs *at, void *arg)
{
	struct snapshot *s = arg;

	if (s->npools == MAX_POOLS)
		return 0;
	s->pool_id[s->npools] = nlt_u32(at, VMEM_A_POOL_ID);
	snprintf(s->pool_line[s->npools], sizeof(s->pool_line[0]),
		 "%u %s parent %u res %llu limit %llu level %u exp %u",
		 nlt_u32(at, VMEM_A_POOL_ID), nlt_str(at, VMEM_A_POOL_NAME),
		 nlt_u32(at, VMEM_A_PARENT_ID),
		 (unsigned long long)nlt_u64(at, VMEM_A_RESERVATION),
		 (unsigned long long)nlt_u64(at, VMEM_A_LIMIT),
		 nlt_u32(at, VMEM_A_SHARES_LEVEL), nlt_u8(at, VMEM_A_EXPANDABLE));
	if (nlt_u32(at, VMEM_A_POOL_ID) == VMEM_POOL_ROOT_ID) {
		s->root_res = nlt_u64(at, VMEM_A_RESERVATION);
		s->root_level = nlt_u32(at, VMEM_A_SHARES_LEVEL);
		s->root_shares = nlt_u32(at, VMEM_A_SHARES);
	}
	s->npools++;
	return 0;
}

static int tun_cb(const struct nlt_attrs *at, void *arg)
{
	struct snapshot *s = arg;

	if (s->ntun == MAX_TUNABLES)
		return 0;
	snprintf(s->tun_name[s->ntun], VMEM_NAME_MAX, "%s",
		 nlt_str(at, VMEM_A_TUNABLE_NAME));
	s->tun_val[s->ntun++] = nlt_u64(at, VMEM_A_TUNABLE_VALUE);
	return 0;
}

static int take(struct nlt_sock *s, struct snapshot *snap)
{
	int ret;

	memset(snap, 0, sizeof(*snap));
	ret = nlt_dump(s, VMEM_CMD_POOL_GET, pool_cb, snap);
	if (!ret)
		ret = nlt_dump(s, VMEM_CMD_TUNABLE_GET, tun_cb, snap);
	return ret;
}

static bool kept(uint32_t id)
{
	int i;

	for (i = 0; i < initial.npools; i++)
		if (initial.pool_id[i] == id)
			return true;
	return false;
}

/* Put the tree back as setup found it: delete the pools it did not have
 * (leaves first), restore the tunables and the root pool's settings. */
static void restore(struct nlt_sock *s)
{
	struct nlt_reply *r = malloc(sizeof(*r));
	struct snapshot now;
	int round, i;

	for (round = 0; r && round < 50; round++) {
		bool left = false;

		if (take(s, &now) < 0)
			break;
		for (i = 0; i < now.npools; i++) {
			if (kept(now.pool_id[i]))
				continue;
			left = true;
			nlt_pool_del(s, now.pool_id[i]);
		}
		if (!left)
			break;
		usleep(10000);
	}
	for (i = 0; r && i < initial.ntun; i++) {
		nlt_init(&M, s, VMEM_CMD_TUNABLE_SET, 0);
		nlt_put_str(&M, VMEM_A_TUNABLE_NAME, initial.tun_name[i]);
		nlt_put_u64(&M, VMEM_A_TUNABLE_VALUE, initial.tun_val[i]);
		nlt_call(s, &M, r);
	}
	if (r) {
		nlt_init(&M, s, VMEM_CMD_POOL_SET, 0);
		nlt_put_u32(&M, VMEM_A_POOL_ID, VMEM_POOL_ROOT_ID);
		nlt_put_u64(&M, VMEM_A_RESERVATION, initial.root_res);
		nlt_put_u32(&M, VMEM_A_SHARES_LEVEL, initial.root_level);
		if (initial.root_level == VMEM_SHARES_CUSTOM)
			nlt_put_u32(&M, VMEM_A_SHARES, initial.root_shares);
		nlt_call(s, &M, r);
	}
	free(r);
}

/* ---- one random request --------------------------------------------------- */

struct ctx {
	struct fz_rng r;
	struct nlt_sock s;
	bool nobody;
	int nvms;
	uint32_t vm_id[3];
	struct snapshot now;
};

static const char *const names[] = {
	"fz0", "fz1", "fz2", "fz3", "root", "a.b:c-d_e", "",
	"0123456789012345678901234567890",	/* 31: the longest */
	"01234567890123456789012345678901",	/* 32: too long */
	"bad name", "bad/name", "\xff\xfe", "Mem.ShareScanTime",
	"Mem.ShareScanGHz", "Mem.Nothing",
};

static void put_name(struct ctx *c, uint16_t type)
{
	char buf[48];

	if (fz_chance(&c->r, 10)) {
		/* Unterminated, or random bytes. */
		unsigned int n = 1 + fz_below(&c->r, 40);

		fz_bytes(&c->r, buf, n);
		if (fz_chance(&c->r, 50))
			memset(buf, 'a', n);
		nlt_put(&M, type, buf, n);
		return;
	}
	nlt_put_str(&M, type, names[fz_below(&c->r, sizeof(names) / sizeof(names[0]))]);
}

static uint32_t an_id(struct ctx *c, bool vm)
{
	if (vm && c->nvms && fz_chance(&c->r, 70))
		return c->vm_id[fz_below(&c->r, c->nvms)];
	if (!vm && c->now.npools && fz_chance(&c->r, 70))
		return c->now.pool_id[fz_below(&c->r, c->now.npools)];
	return fz_chance(&c->r, 50) ? fz_below(&c->r, 8) : (uint32_t)fz_value(&c->r);
}

static uint64_t an_amount(struct ctx *c)
{
	switch (fz_below(&c->r, 4)) {
	case 0: return fz_below(&c->r, 64) * MB_PAGES;
	case 1: return VMEM_UNLIMITED;
	case 2: return fz_below(&c->r, 4096);
	default: return fz_value(&c->r);
	}
}

/* The natural value of attribute @type. */
static void put_attr(struct ctx *c, uint16_t type)
{
	uint16_t t = type;

	if (fz_chance(&c->r, 3))
		t |= fz_chance(&c->r, 50) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
	if (fz_chance(&c->r, 8)) {
		/* A wrong length. */
		char buf[40];
		unsigned int n = fz_below(&c->r, sizeof(buf));

		fz_bytes(&c->r, buf, n);
		nlt_put(&M, t, buf, n);
		return;
	}
	switch (type) {
	case VMEM_A_POOL_ID:
	case VMEM_A_PARENT_ID:
		nlt_put_u32(&M, t, an_id(c, false));
		break;
	case VMEM_A_VM_ID:
		nlt_put_u32(&M, t, an_id(c, true));
		break;
	case VMEM_A_POOL_NAME:
	case VMEM_A_VM_NAME:
	case VMEM_A_TUNABLE_NAME:
		put_name(c, t);
		break;
	case VMEM_A_SHARES_LEVEL:
		nlt_put_u32(&M, t, fz_below(&c->r, 6));
		break;
	case VMEM_A_SHARES:
	case VMEM_A_NR_VMS:
	case VMEM_A_NR_POOLS:
	case VMEM_A_VM_PID:
	case VMEM_A_NR_VMS_TOTAL:
	case VMEM_A_EVENT:
	case VMEM_A_ERRNO:
	case VMEM_A_REFUSED_WHY:
		nlt_put_u32(&M, t, fz_chance(&c->r, 50) ? fz_below(&c->r, 100000) :
							 (uint32_t)fz_value(&c->r));
		break;
	case VMEM_A_EXPANDABLE:
	case VMEM_A_PSHARE:
		nlt_put_u8(&M, t, fz_below(&c->r, 3) == 2 ? fz_next(&c->r) : fz_below(&c->r, 2));
		break;
	case VMEM_A_TUNABLE_VALUE:
		nlt_put_u64(&M, t, fz_chance(&c->r, 50) ? fz_below(&c->r, 2000) :
							 fz_value(&c->r));
		break;
	default:	/* u64 amounts, and the types past the last */
		nlt_put_u64(&M, t, an_amount(c));
		break;
	}
}

/* The attributes each command reads (api.rst 8.2). */
static const uint8_t cmd_attrs[][8] = {
	[VMEM_CMD_POOL_NEW] = { VMEM_A_POOL_NAME, VMEM_A_PARENT_ID,
		VMEM_A_RESERVATION, VMEM_A_LIMIT, VMEM_A_SHARES_LEVEL,
		VMEM_A_SHARES, VMEM_A_EXPANDABLE },
	[VMEM_CMD_POOL_DEL] = { VMEM_A_POOL_ID, VMEM_A_POOL_NAME },
	[VMEM_CMD_POOL_SET] = { VMEM_A_POOL_ID, VMEM_A_POOL_NAME,
		VMEM_A_RESERVATION, VMEM_A_LIMIT, VMEM_A_SHARES_LEVEL,
		VMEM_A_SHARES, VMEM_A_EXPANDABLE, VMEM_A_PARENT_ID },
	[VMEM_CMD_POOL_GET] = { VMEM_A_POOL_ID, VMEM_A_POOL_NAME },
	[VMEM_CMD_VM_GET] = { VMEM_A_VM_ID },
	[VMEM_CMD_VM_SET] = { VMEM_A_VM_ID, VMEM_A_RESERVATION, VMEM_A_LIMIT,
		VMEM_A_SHARES_LEVEL, VMEM_A_SHARES, VMEM_A_PSHARE,
		VMEM_A_POOL_ID, VMEM_A_POOL_NAME },
	[VMEM_CMD_STATS_GET] = { 0 },
	[VMEM_CMD_TUNABLE_GET] = { VMEM_A_TUNABLE_NAME },
	[VMEM_CMD_TUNABLE_SET] = { VMEM_A_TUNABLE_NAME, VMEM_A_TUNABLE_VALUE },
	[VMEM_CMD_EVENT] = { VMEM_A_EVENT, VMEM_A_VM_ID },
	[VMEM_CMD_REFUSED] = { VMEM_A_NEED, VMEM_A_ERRNO, VMEM_A_REFUSED_WHY },
};

static bool admin_cmd(unsigned int cmd)
{
	return cmd == VMEM_CMD_POOL_NEW || cmd == VMEM_CMD_POOL_DEL ||
	       cmd == VMEM_CMD_POOL_SET || cmd == VMEM_CMD_VM_SET ||
	       cmd == VMEM_CMD_TUNABLE_SET;
}

/* Send M and read to its end: 0 or -errno; -ETIME when nothing came. */
static int exchange(struct ctx *c, int *nmsgs)
{
	static char buf[65536];
	struct nlmsghdr *h = (struct nlmsghdr *)M.buf;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	h->nlmsg_len = M.len;
	h->nlmsg_seq = ++c->s.seq;
	*nmsgs = 0;
	if (sendto(c->s.fd, M.buf, M.len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(c->s.fd, buf, sizeof(buf), 0);
		struct nlmsghdr *p;

		if (n < 0)
			return errno == EAGAIN ? -ETIME : -errno;
		for (p = (struct nlmsghdr *)buf; NLMSG_OK(p, (size_t)n);
		     p = NLMSG_NEXT(p, n)) {
			if (p->nlmsg_seq != c->s.seq)
				continue;
			if (p->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(p))->error;
			if (p->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (p->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(p), sizeof(int));
				/* A dump sent with NLM_F_ACK ends at DONE. */
				return err;
			}
			if (p->nlmsg_type == c->s.family)
				(*nmsgs)++;
		}
	}
}

static bool documented(int err)
{
	switch (-err) {
	case 0: case EINVAL: case ERANGE: case ENOENT: case EEXIST: case EBUSY:
	case EMLINK: case ENFILE: case ENOSPC: case EDQUOT: case EPERM:
	case EOPNOTSUPP:
		return true;
	default:
		return false;
	}
}

static int one_msg(struct ctx *c, struct fz_stats *st)
{
	unsigned int cmd, i, n;
	uint16_t flags = 0;
	uint8_t resv = 0;
	int err, nmsgs;

	cmd = fz_chance(&c->r, 90) ? 1 + fz_below(&c->r, VMEM_CMD_MAX) :
				     fz_below(&c->r, 256);
	if (fz_chance(&c->r, 20))
		flags |= NLM_F_DUMP;
	if (fz_chance(&c->r, 4))
		resv = 1 + fz_below(&c->r, 255);
	nlt_init_raw(&M, c->s.family, cmd, flags, resv);
	n = fz_below(&c->r, 7);
	for (i = 0; i < n; i++) {
		uint16_t type;

		if (cmd <= VMEM_CMD_MAX && cmd_attrs[cmd][0] && fz_chance(&c->r, 75)) {
			unsigned int k = 0;

			while (k < 8 && cmd_attrs[cmd][k])
				k++;
			type = cmd_attrs[cmd][fz_below(&c->r, k)];
		} else {
			type = fz_below(&c->r, VMEM_A_MAX + 4);
		}
		put_attr(c, type);
	}
	if (n && fz_chance(&c->r, 3)) {
		/* The last attribute claims more than the message holds. */
		struct nlattr *a = (struct nlattr *)(M.buf + NLMSG_HDRLEN + GENL_HDRLEN);
		size_t last = NLMSG_HDRLEN + GENL_HDRLEN;

		while (last < M.len) {
			a = (struct nlattr *)(M.buf + last);
			if (last + NLA_ALIGN(a->nla_len) >= M.len)
				break;
			last += NLA_ALIGN(a->nla_len);
		}
		a->nla_len += 4 + fz_below(&c->r, 64);
	}
	err = exchange(c, &nmsgs);
	st->calls++;
	if (err == -ETIME) {
		fz_report("command %u flags %#x: no answer in 10 s", cmd, flags);
		return -1;
	}
	if (!documented(err)) {
		fz_report("command %u flags %#x%s: %s, not a documented answer",
			  cmd, flags, resv ? " reserved byte" : "",
			  vt_errno_name(-err));
		return -1;
	}
	/*
	 * The genl core refuses a nonzero reserved byte before it checks
	 * the capability; since Linux 6.2 it also looks the operation up by
	 * kind first, so a dump of an administrative command (all of them
	 * are do-only) is EOPNOTSUPP there before it is EPERM.
	 */
	if (c->nobody && admin_cmd(cmd) && !resv && err != -EPERM &&
	    !((flags & NLM_F_DUMP) && err == -EOPNOTSUPP)) {
		fz_report("command %u as nobody: %s, not EPERM", cmd,
			  vt_errno_name(-err));
		return -1;
	}
	if (c->nobody && cmd == VMEM_CMD_VM_GET && (flags & NLM_F_DUMP) &&
	    nmsgs) {
		fz_report("VM_GET dump as nobody showed %d VM(s) of root", nmsgs);
		return -1;
	}
	if (c->nobody && cmd == VMEM_CMD_VM_GET && !(flags & NLM_F_DUMP) &&
	    err == 0) {
		fz_report("VM_GET as nobody answered for a VM of root");
		return -1;
	}
	return 0;
}

static int compare(const struct snapshot *a, const struct snapshot *b)
{
	int i;

	if (a->npools != b->npools) {
		fz_report("as nobody: %d pools before, %d after", a->npools,
			  b->npools);
		return -1;
	}
	for (i = 0; i < a->npools; i++)
		if (strcmp(a->pool_line[i], b->pool_line[i])) {
			fz_report("as nobody: pool \"%s\" became \"%s\"",
				  a->pool_line[i], b->pool_line[i]);
			return -1;
		}
	for (i = 0; i < a->ntun; i++)
		if (a->tun_val[i] != b->tun_val[i]) {
			fz_report("as nobody: tunable %s changed", a->tun_name[i]);
			return -1;
		}
	return 0;
}

static int fuzz_seq(uint64_t seed, struct fz_stats *st)
{
	struct ctx c = { .r = { seed } };
	struct timeval tv = { .tv_sec = 10 };
	struct snapshot before;
	int vms[3], sys, i, ret = 0;

	c.nobody = fz_chance(&c.r, 30);
	/* Root's VMs: the objects VM_GET/VM_SET name. */
	sys = vt_open_dev(O_RDWR);
	c.nvms = fz_below(&c.r, 4);
	for (i = 0; i < c.nvms; i++) {
		struct vmem_memslot ms = { .slot = 0, .size = 1 << 20 };

		vms[i] = ioctl(sys, VMEM_CREATE_VM, 0);
		if (vms[i] < 0 || ioctl(vms[i], VMEM_SET_MEMSLOT, &ms) < 0) {
			fz_report("VM set-up: %s", vt_errno_name(errno));
			return FZ_FOUND;
		}
		c.vm_id[i] = ioctl(vms[i], VMEM_GET_VM_ID, 0);
		st->calls += 3;
	}
	if (c.nobody) {
		st->unpriv++;
		if (setgid(65534) < 0 || setuid(65534) < 0) {
			fz_report("setuid(nobody): %s", vt_errno_name(errno));
			return FZ_FOUND;
		}
	}
	if (nlt_open(&c.s) < 0 ||
	    setsockopt(c.s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		fz_report("netlink socket: %s", vt_errno_name(errno));
		return FZ_FOUND;
	}
	if (take(&c.s, &before) < 0) {
		fz_report("dumping pools and tunables failed");
		return FZ_FOUND;
	}
	c.now = before;
	if (fz_chance(&c.r, 20)) {
		int join = nlt_join_events(&c.s);

		st->calls++;
		if (c.nobody && join != -EPERM) {
			fz_report("joining \"events\" as nobody: %d, not EPERM", join);
			return FZ_FOUND;
		}
	}
	for (i = 0; i < MSGS_PER_SEQ && !ret; i++) {
		ret = one_msg(&c, st);
		if (!ret && fz_chance(&c.r, 20) && take(&c.s, &c.now) < 0)
			ret = -1;
	}
	if (!ret && c.nobody) {
		struct snapshot after;

		if (take(&c.s, &after) < 0 || compare(&before, &after) < 0)
			ret = -1;
	} else if (!ret) {
		struct nlt_sums sums;

		if (nlt_sums_read(&c.s, &sums) < 0) {
			fz_report("dumping the pools for their sums failed");
			ret = -1;
		} else if (nlt_sums_mismatches(&sums)) {
			fz_report("%d pool(s) whose used is not the sum of their children's charges",
				  nlt_sums_mismatches(&sums));
			ret = -1;
		}
		for (i = 0; i < c.nvms; i++)
			close(vms[i]);
		restore(&c.s);
	}
	nlt_close(&c.s);
	if (ret)
		return FZ_FOUND;
	st->seqs++;
	return 0;
}

static struct nlt_sock nl;

static int setup(void)
{
	int ret = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (ret != VT_PASS)
		return ret;
	ret = nlt_require(&nl);
	if (ret != VT_PASS)
		return ret;
	if (take(&nl, &initial) < 0)
		FAIL("cannot dump the pools and tunables");
	return VT_PASS;
}

static void teardown(void)
{
	restore(&nl);
	nlt_close(&nl);
}

static void cleanup(void)
{
	restore(&nl);
}

static int test_requests(void)
{
	static const struct fz_fuzzer f = {
		.name = "fuzz_netlink",
		.seqs = 400,
		.seqs_vmx = 60,
		.cap_s = 90,
		.seq_limit_s = 60,
		.seq = fuzz_seq,
		.cleanup = cleanup,
	};
	struct snapshot after;
	int ret = fz_run(&f);
	int i;

	/* Every sequence put the tree back (the last one too). */
	restore(&nl);
	ASSERT_EQ(take(&nl, &after), 0);
	EXPECT_EQ(after.npools, initial.npools);
	for (i = 0; i < initial.ntun && i < after.ntun; i++)
		EXPECT_EQ(after.tun_val[i], initial.tun_val[i]);
	return ret;
}

static const struct vt_case cases[] = {
	VT_CASE(requests),
};

VT_MAIN(cases, setup, teardown);
