// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - the generic-netlink family "vmem": resource pools, VM
 * resource settings, statistics, tunables and events.
 *
 * The ABI is <linux/vmem_netlink.h>, documented in Documentation/api.rst
 * (section 8).  Policy, in short:
 *   - one attribute space, validated strictly by the genetlink core
 *     (unknown attributes, wrong lengths, unterminated or long strings,
 *     values out of range are -EINVAL before a handler runs); on top of
 *     that each command accepts only the attributes it uses
 *     (vmem_nl_only()), so a misspelt request is refused, not half-done;
 *   - commands that change state carry GENL_ADMIN_PERM (CAP_NET_ADMIN);
 *     reads are open to everyone, but a VM (its name, pid and figures)
 *     only to its owner (the uid that created it, compared with the
 *     requesting socket opener's effective uid) and to CAP_NET_ADMIN:
 *     another user's VM is not there (-ENOENT, skipped by dumps).  Pools,
 *     the administrator's objects, and host totals are visible to all;
 *   - the events multicast group is CAP_NET_ADMIN's only (events name
 *     VMs of every user);
 *   - the family lives in the initial network namespace only;
 *   - parallel_ops: handlers do not run under genl_mutex; the pool tree
 *     mutex and the tunables mutex are all the locking they need.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/uidgid.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "vmem_compat.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"
#include "pool.h"

static const struct nla_policy vmem_nl_policy[VMEM_A_MAX + 1] = {
	[VMEM_A_POOL_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[VMEM_A_POOL_NAME]	= { .type = NLA_NUL_STRING,
				    .len = VMEM_NAME_MAX - 1 },
	[VMEM_A_PARENT_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[VMEM_A_RESERVATION]	= { .type = NLA_U64 },
	[VMEM_A_LIMIT]		= { .type = NLA_U64 },
	[VMEM_A_SHARES_LEVEL]	= NLA_POLICY_RANGE(NLA_U32, VMEM_SHARES_LOW,
						   VMEM_SHARES_CUSTOM),
	[VMEM_A_SHARES]		= NLA_POLICY_MIN(NLA_U32, 1),
	[VMEM_A_EXPANDABLE]	= NLA_POLICY_MAX(NLA_U8, 1),
	[VMEM_A_VM_ID]		= NLA_POLICY_MIN(NLA_U32, 1),
	[VMEM_A_PSHARE]		= NLA_POLICY_MAX(NLA_U8, 1),
	[VMEM_A_TUNABLE_NAME]	= { .type = NLA_NUL_STRING,
				    .len = VMEM_NAME_MAX - 1 },
	[VMEM_A_TUNABLE_VALUE]	= { .type = NLA_U64 },
	/*
	 * Everything else is output only: NLA_UNSPEC, which strict
	 * validation refuses as input.
	 */
};

static struct genl_family vmem_genl_family;

enum vmem_nl_mcgrp {
	VMEM_NL_MCGRP_EVENTS,
};

static const struct genl_multicast_group vmem_nl_mcgrps[] = {
	[VMEM_NL_MCGRP_EVENTS] = { .name = VMEM_GENL_MCGRP_EVENTS,
				   .flags = VMEM_GENL_MCAST_ADMIN },
};

/* Tunables registered by their owners (vmem_tunable_register()). */
static DEFINE_MUTEX(vmem_tunables_lock);
static LIST_HEAD(vmem_tunables);	/* [vmem_tunables_lock] */

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

#define VMEM_ABIT(x)	BIT_ULL(VMEM_A_##x)

/* Refuse any attribute outside @allowed (a mask of BIT_ULL(VMEM_A_*)). */
static int vmem_nl_only(struct genl_info *info, u64 allowed)
{
	int i;

	BUILD_BUG_ON(VMEM_A_MAX >= 64);
	for (i = 1; i <= VMEM_A_MAX; i++) {
		if (info->attrs[i] && !(allowed & BIT_ULL(i))) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[i],
					    "attribute not used by this command");
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * struct vmem_nl_viewer - who sent a request, for what it may see
 * @all:	CAP_NET_ADMIN (the socket's opener and the caller, as for
 *		GENL_ADMIN_PERM): every VM
 * @uid:	the socket opener's effective uid: its own VMs
 */
struct vmem_nl_viewer {
	bool all;
	kuid_t uid;
};

/* @skb: the request (a dump's cb->skb). */
static void vmem_nl_viewer_of(const struct sk_buff *skb,
			      struct vmem_nl_viewer *v)
{
	const struct sock *sk = NETLINK_CB(skb).sk;
	const struct socket *sock = sk ? sk->sk_socket : NULL;

	v->all = netlink_capable(skb, CAP_NET_ADMIN);
	v->uid = sock && sock->file ? sock->file->f_cred->euid : INVALID_UID;
}

/* Tree lock held (pvm->vm is valid while the record is in the tree). */
static bool vmem_nl_may_see(const struct vmem_nl_viewer *v,
			    const struct vmem_pool_vm *pvm)
{
	return v->all || uid_eq(v->uid, pvm->vm->owner);
}

static int vmem_nl_put_u64(struct sk_buff *skb, int type, u64 val)
{
	return nla_put_u64_64bit(skb, type, val, VMEM_A_PAD);
}

/*
 * The pool a request names: by VMEM_A_POOL_ID or VMEM_A_POOL_NAME,
 * exactly one of them.  Returns the id, or 0 with the error in *@err.
 * Tree lock held.
 */
static u32 vmem_nl_pool_id(struct genl_info *info, int *err)
{
	struct nlattr *aid = info->attrs[VMEM_A_POOL_ID];
	struct nlattr *aname = info->attrs[VMEM_A_POOL_NAME];
	struct vmem_pool *pool;

	if (!aid == !aname) {
		NL_SET_ERR_MSG(info->extack,
			       "name the pool by POOL_ID or POOL_NAME (one)");
		*err = -EINVAL;
		return 0;
	}
	if (aid)
		pool = vmem_pool_find(nla_get_u32(aid));
	else
		pool = vmem_pool_find_name(nla_data(aname));
	if (!pool) {
		NL_SET_ERR_MSG_ATTR(info->extack, aid ?: aname, "no such pool");
		*err = -ENOENT;
		return 0;
	}
	return pool->id;
}

/* Fill @a from the request's setting attributes. */
static void vmem_nl_args(struct genl_info *info, struct vmem_pool_args *a)
{
	struct nlattr **at = info->attrs;

	memset(a, 0, sizeof(*a));
	if (at[VMEM_A_RESERVATION]) {
		a->set |= VMEM_PSET_RES;
		a->res = nla_get_u64(at[VMEM_A_RESERVATION]);
	}
	if (at[VMEM_A_LIMIT]) {
		a->set |= VMEM_PSET_LIMIT;
		a->limit = nla_get_u64(at[VMEM_A_LIMIT]);
	}
	if (at[VMEM_A_SHARES_LEVEL]) {
		a->set |= VMEM_PSET_SHARES;
		a->shares_level = nla_get_u32(at[VMEM_A_SHARES_LEVEL]);
		if (at[VMEM_A_SHARES])
			a->shares = nla_get_u32(at[VMEM_A_SHARES]);
	}
	if (at[VMEM_A_EXPANDABLE]) {
		a->set |= VMEM_PSET_EXPANDABLE;
		a->expandable = nla_get_u8(at[VMEM_A_EXPANDABLE]);
	}
	if (at[VMEM_A_PSHARE]) {
		a->set |= VMEM_PSET_PSHARE;
		a->pshare = nla_get_u8(at[VMEM_A_PSHARE]);
	}
}

/* SHARES without SHARES_LEVEL custom, and the reverse, are mistakes. */
static int vmem_nl_check_shares(struct genl_info *info)
{
	struct nlattr *lvl = info->attrs[VMEM_A_SHARES_LEVEL];
	struct nlattr *val = info->attrs[VMEM_A_SHARES];
	bool custom = lvl && nla_get_u32(lvl) == VMEM_SHARES_CUSTOM;

	if (custom && !val) {
		NL_SET_ERR_MSG_ATTR(info->extack, lvl,
				    "custom shares need SHARES");
		return -EINVAL;
	}
	if (val && !custom) {
		NL_SET_ERR_MSG_ATTR(info->extack, val,
				    "SHARES needs SHARES_LEVEL custom");
		return -EINVAL;
	}
	return 0;
}

/* Messages for the errors of pool.h that a user can cause. */
static void vmem_nl_explain(struct genl_info *info, int r)
{
	switch (r) {
	case -EEXIST:
		NL_SET_ERR_MSG(info->extack, "a pool of that name exists");
		break;
	case -EBUSY:
		NL_SET_ERR_MSG(info->extack,
			       "in use: the pool has children, or they hold more than the new setting allows");
		break;
	case -EINVAL:
		if (!info->extack->_msg)
			NL_SET_ERR_MSG(info->extack,
				       "invalid setting (limit below reservation, reservation above the VM's memory, a move into the own subtree, or a root change)");
		break;
	case -ENOENT:
		if (!info->extack->_msg)
			NL_SET_ERR_MSG(info->extack, "no such pool or VM");
		break;
	case -EMLINK:
		NL_SET_ERR_MSG(info->extack,
			       "too deep: pools nest at most max_pool_depth levels below the root");
		break;
	case -ENFILE:
		NL_SET_ERR_MSG(info->extack,
			       "too many pools: max_pools exist");
		break;
	}
}

/*
 * An admission refusal: the errno, an extack message naming the pool and
 * the amount, and before it a VMEM_CMD_REFUSED message to the requester
 * with the same facts as attributes (for kernels whose extack cannot
 * carry a formatted message, and for programs).
 */
static int vmem_nl_refused(struct genl_info *info, int r,
			   const struct vmem_refusal *ref)
{
	struct sk_buff *msg;
	void *hdr;

	if (r != -ENOSPC && r != -EDQUOT) {
		vmem_nl_explain(info, r);
		return r;
	}
#ifdef VMEM_HAVE_NL_ERR_MSG_FMT
	NL_SET_ERR_MSG_FMT(info->extack,
			   "admission refused: pool %s (id %u) %s %llu pages",
			   ref->pool_name, ref->pool_id,
			   r == -ENOSPC ? "lacks" : "would pass its limit by",
			   ref->need);
#else
	if (r == -ENOSPC)
		NL_SET_ERR_MSG(info->extack,
			       "admission refused: a pool lacks unreserved memory (see the REFUSED message)");
	else
		NL_SET_ERR_MSG(info->extack,
			       "admission refused: a pool's limit would be passed (see the REFUSED message)");
#endif
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return r;
	hdr = genlmsg_put_reply(msg, info, &vmem_genl_family, 0,
				VMEM_CMD_REFUSED);
	if (!hdr ||
	    nla_put_u32(msg, VMEM_A_POOL_ID, ref->pool_id) ||
	    nla_put_string(msg, VMEM_A_POOL_NAME, ref->pool_name) ||
	    vmem_nl_put_u64(msg, VMEM_A_NEED, ref->need) ||
	    nla_put_u32(msg, VMEM_A_ERRNO, -r) ||
	    nla_put_u32(msg, VMEM_A_REFUSED_WHY, ref->why) ||
	    (ref->vm_id && nla_put_u32(msg, VMEM_A_VM_ID, ref->vm_id))) {
		nlmsg_free(msg);
		return r;
	}
	genlmsg_end(msg, hdr);
	genlmsg_reply(msg, info);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Pools                                                                   */

static int vmem_nl_fill_pool(struct sk_buff *skb, u32 portid, u32 seq,
			     int flags, const struct vmem_pool *p)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vmem_genl_family, flags,
			  VMEM_CMD_POOL_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMEM_A_POOL_ID, p->id) ||
	    nla_put_string(skb, VMEM_A_POOL_NAME, p->name) ||
	    (p->parent && nla_put_u32(skb, VMEM_A_PARENT_ID, p->parent->id)) ||
	    vmem_nl_put_u64(skb, VMEM_A_RESERVATION, p->res) ||
	    vmem_nl_put_u64(skb, VMEM_A_LIMIT, p->limit) ||
	    nla_put_u32(skb, VMEM_A_SHARES_LEVEL, p->shares_level) ||
	    nla_put_u32(skb, VMEM_A_SHARES, vmem_pool_shares(p)) ||
	    nla_put_u8(skb, VMEM_A_EXPANDABLE, p->expandable) ||
	    vmem_nl_put_u64(skb, VMEM_A_USED, p->used) ||
	    vmem_nl_put_u64(skb, VMEM_A_CHARGE,
			    p->parent ? vmem_pool_charge(p) : p->used) ||
	    vmem_nl_put_u64(skb, VMEM_A_UNRESERVED, vmem_pool_unreserved(p)) ||
	    nla_put_u32(skb, VMEM_A_NR_VMS, p->nr_vms) ||
	    nla_put_u32(skb, VMEM_A_NR_POOLS, p->nr_pools)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Reply to @info with pool @id; tree lock not held. */
static int vmem_nl_reply_pool(struct genl_info *info, u32 id)
{
	struct vmem_pool *pool;
	struct sk_buff *msg;
	int r;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	vmem_pool_lock();
	pool = vmem_pool_find(id);
	r = pool ? vmem_nl_fill_pool(msg, info->snd_portid, info->snd_seq, 0,
				     pool) : -ENOENT;
	vmem_pool_unlock();
	if (r) {
		nlmsg_free(msg);
		return r;
	}
	return genlmsg_reply(msg, info);
}

static int vmem_nl_pool_new(struct sk_buff *skb, struct genl_info *info)
{
	struct vmem_refusal ref = {};
	struct vmem_pool_args a;
	const char *name;
	u32 id;
	int r;

	r = vmem_nl_only(info, VMEM_ABIT(POOL_NAME) | VMEM_ABIT(PARENT_ID) | VMEM_ABIT(RESERVATION) |
			       VMEM_ABIT(LIMIT) | VMEM_ABIT(SHARES_LEVEL) | VMEM_ABIT(SHARES) |
			       VMEM_ABIT(EXPANDABLE));
	if (r)
		return r;
	if (GENL_REQ_ATTR_CHECK(info, VMEM_A_POOL_NAME))
		return -EINVAL;
	r = vmem_nl_check_shares(info);
	if (r)
		return r;
	name = nla_data(info->attrs[VMEM_A_POOL_NAME]);
	if (!vmem_pool_name_valid(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VMEM_A_POOL_NAME],
				    "pool names are 1-31 of [A-Za-z0-9._:-]");
		return -EINVAL;
	}
	vmem_nl_args(info, &a);
	if (info->attrs[VMEM_A_PARENT_ID]) {
		a.set |= VMEM_PSET_PARENT;
		a.parent = nla_get_u32(info->attrs[VMEM_A_PARENT_ID]);
	}
	r = vmem_pool_create(name, &a, &id, &ref);
	if (r)
		return vmem_nl_refused(info, r, &ref);
	return vmem_nl_reply_pool(info, id);
}

static int vmem_nl_pool_del(struct sk_buff *skb, struct genl_info *info)
{
	u32 id;
	int r;

	r = vmem_nl_only(info, VMEM_ABIT(POOL_ID) | VMEM_ABIT(POOL_NAME));
	if (r)
		return r;
	vmem_pool_lock();
	id = vmem_nl_pool_id(info, &r);
	vmem_pool_unlock();
	if (!id)
		return r;
	r = vmem_pool_destroy(id);
	if (r == -EINVAL)
		NL_SET_ERR_MSG(info->extack, "the root pool stays");
	else if (r == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "the pool has VMs or pools: move them first");
	return r;
}

static int vmem_nl_pool_set(struct sk_buff *skb, struct genl_info *info)
{
	struct vmem_refusal ref = {};
	struct vmem_pool_args a;
	u32 id;
	int r;

	r = vmem_nl_only(info, VMEM_ABIT(POOL_ID) | VMEM_ABIT(POOL_NAME) | VMEM_ABIT(PARENT_ID) |
			       VMEM_ABIT(RESERVATION) | VMEM_ABIT(LIMIT) | VMEM_ABIT(SHARES_LEVEL) |
			       VMEM_ABIT(SHARES) | VMEM_ABIT(EXPANDABLE));
	if (r)
		return r;
	r = vmem_nl_check_shares(info);
	if (r)
		return r;
	vmem_pool_lock();
	id = vmem_nl_pool_id(info, &r);
	vmem_pool_unlock();
	if (!id)
		return r;
	vmem_nl_args(info, &a);
	if (info->attrs[VMEM_A_PARENT_ID]) {
		a.set |= VMEM_PSET_PARENT;
		a.parent = nla_get_u32(info->attrs[VMEM_A_PARENT_ID]);
	}
	r = vmem_pool_set(id, &a, &ref);
	if (r)
		return vmem_nl_refused(info, r, &ref);
	return vmem_nl_reply_pool(info, id);
}

static int vmem_nl_pool_get(struct sk_buff *skb, struct genl_info *info)
{
	u32 id;
	int r;

	r = vmem_nl_only(info, VMEM_ABIT(POOL_ID) | VMEM_ABIT(POOL_NAME));
	if (r)
		return r;
	vmem_pool_lock();
	id = vmem_nl_pool_id(info, &r);
	vmem_pool_unlock();
	if (!id)
		return r;
	return vmem_nl_reply_pool(info, id);
}

/* Dumps resume at the id in cb->args[0]. */
static int vmem_nl_pool_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	struct vmem_pool *pool;
	int r = 0;

	vmem_pool_lock();
	while ((pool = vmem_pool_next(&id))) {
		r = vmem_nl_fill_pool(skb, NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI, pool);
		if (r)
			break;
		id++;
	}
	vmem_pool_unlock();
	cb->args[0] = id;
	return r && !skb->len ? r : skb->len;
}

/* ---------------------------------------------------------------------- */
/* VMs                                                                     */

static int vmem_nl_fill_vm(struct sk_buff *skb, u32 portid, u32 seq,
			   int flags, const struct vmem_pool_vm *pvm)
{
	struct vmem_vm_stats st;
	void *hdr;

	vmem_pool_vm_stats(pvm, &st);
	hdr = genlmsg_put(skb, portid, seq, &vmem_genl_family, flags,
			  VMEM_CMD_VM_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMEM_A_VM_ID, pvm->id) ||
	    nla_put_string(skb, VMEM_A_VM_NAME, pvm->name) ||
	    nla_put_u32(skb, VMEM_A_VM_PID, pvm->pid) ||
	    nla_put_u32(skb, VMEM_A_POOL_ID, pvm->pool->id) ||
	    nla_put_string(skb, VMEM_A_POOL_NAME, pvm->pool->name) ||
	    vmem_nl_put_u64(skb, VMEM_A_RESERVATION, pvm->res) ||
	    vmem_nl_put_u64(skb, VMEM_A_LIMIT, pvm->limit) ||
	    nla_put_u32(skb, VMEM_A_SHARES_LEVEL, pvm->shares_level) ||
	    nla_put_u32(skb, VMEM_A_SHARES, vmem_pool_vm_shares(pvm)) ||
	    nla_put_u8(skb, VMEM_A_PSHARE, vmem_share_enabled(pvm->vm)) ||
	    vmem_nl_put_u64(skb, VMEM_A_CHARGE, vmem_pool_vm_charge(pvm)) ||
	    vmem_nl_put_u64(skb, VMEM_A_OVERHEAD_ADMITTED, pvm->ovh) ||
	    vmem_nl_put_u64(skb, VMEM_A_CONFIGURED, st.configured) ||
	    vmem_nl_put_u64(skb, VMEM_A_OVERHEAD, st.overhead) ||
	    vmem_nl_put_u64(skb, VMEM_A_GRANTED, st.granted) ||
	    vmem_nl_put_u64(skb, VMEM_A_CONSUMED, st.consumed) ||
	    vmem_nl_put_u64(skb, VMEM_A_SHARED, st.shared) ||
	    vmem_nl_put_u64(skb, VMEM_A_ZERO, st.zero) ||
	    vmem_nl_put_u64(skb, VMEM_A_SWAPPED, st.swapped)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Another user's VM is -ENOENT, as if it did not exist. */
static int vmem_nl_reply_vm(struct sk_buff *skb, struct genl_info *info,
			    u32 id)
{
	struct vmem_nl_viewer v;
	struct vmem_pool_vm *pvm;
	struct sk_buff *msg;
	int r;

	vmem_nl_viewer_of(skb, &v);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	vmem_pool_lock();
	pvm = vmem_pool_vm_find(id);
	if (pvm && !vmem_nl_may_see(&v, pvm))
		pvm = NULL;
	r = pvm ? vmem_nl_fill_vm(msg, info->snd_portid, info->snd_seq, 0,
				  pvm) : -ENOENT;
	vmem_pool_unlock();
	if (r) {
		nlmsg_free(msg);
		if (r == -ENOENT)
			NL_SET_ERR_MSG(info->extack, "no such VM");
		return r;
	}
	return genlmsg_reply(msg, info);
}

static int vmem_nl_vm_get(struct sk_buff *skb, struct genl_info *info)
{
	int r;

	r = vmem_nl_only(info, VMEM_ABIT(VM_ID));
	if (r)
		return r;
	if (GENL_REQ_ATTR_CHECK(info, VMEM_A_VM_ID))
		return -EINVAL;
	return vmem_nl_reply_vm(skb, info,
				nla_get_u32(info->attrs[VMEM_A_VM_ID]));
}

static int vmem_nl_vm_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	struct vmem_nl_viewer v;
	struct vmem_pool_vm *pvm;
	int r = 0;

	vmem_nl_viewer_of(cb->skb, &v);
	vmem_pool_lock();
	while ((pvm = vmem_pool_vm_next(&id))) {
		if (!vmem_nl_may_see(&v, pvm)) {
			id++;
			continue;
		}
		r = vmem_nl_fill_vm(skb, NETLINK_CB(cb->skb).portid,
				    cb->nlh->nlmsg_seq, NLM_F_MULTI, pvm);
		if (r)
			break;
		id++;
	}
	vmem_pool_unlock();
	cb->args[0] = id;
	return r && !skb->len ? r : skb->len;
}

static int vmem_nl_vm_set(struct sk_buff *skb, struct genl_info *info)
{
	struct vmem_refusal ref = {};
	struct vmem_pool_args a;
	u32 id;
	int r;

	r = vmem_nl_only(info, VMEM_ABIT(VM_ID) | VMEM_ABIT(POOL_ID) | VMEM_ABIT(POOL_NAME) |
			       VMEM_ABIT(RESERVATION) | VMEM_ABIT(LIMIT) | VMEM_ABIT(SHARES_LEVEL) |
			       VMEM_ABIT(SHARES) | VMEM_ABIT(PSHARE));
	if (r)
		return r;
	if (GENL_REQ_ATTR_CHECK(info, VMEM_A_VM_ID))
		return -EINVAL;
	r = vmem_nl_check_shares(info);
	if (r)
		return r;
	id = nla_get_u32(info->attrs[VMEM_A_VM_ID]);
	vmem_nl_args(info, &a);
	/* POOL_ID / POOL_NAME here: the pool to move the VM into. */
	if (info->attrs[VMEM_A_POOL_ID] || info->attrs[VMEM_A_POOL_NAME]) {
		vmem_pool_lock();
		a.parent = vmem_nl_pool_id(info, &r);
		vmem_pool_unlock();
		if (!a.parent)
			return r;
		a.set |= VMEM_PSET_PARENT;
	}
	r = vmem_pool_vm_set(id, &a, &ref);
	if (r)
		return vmem_nl_refused(info, r, &ref);
	return vmem_nl_reply_vm(skb, info, id);
}

/* ---------------------------------------------------------------------- */
/* Host statistics                                                         */

static int vmem_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct vmem_host_stats hs;
	struct sk_buff *msg;
	void *hdr;
	int r;

	r = vmem_nl_only(info, 0);
	if (r)
		return r;
	vmem_pool_host_stats(&hs);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vmem_genl_family, 0,
				VMEM_CMD_STATS_GET);
	if (!hdr ||
	    vmem_nl_put_u64(msg, VMEM_A_HOST_TOTAL, hs.total) ||
	    vmem_nl_put_u64(msg, VMEM_A_HOST_FREE, hs.free) ||
	    vmem_nl_put_u64(msg, VMEM_A_RESERVATION, hs.root_res) ||
	    vmem_nl_put_u64(msg, VMEM_A_USED, hs.root_used) ||
	    nla_put_u32(msg, VMEM_A_NR_VMS_TOTAL, hs.nr_vms) ||
	    vmem_nl_put_u64(msg, VMEM_A_GRANTED, hs.granted) ||
	    vmem_nl_put_u64(msg, VMEM_A_CONSUMED, hs.consumed) ||
	    vmem_nl_put_u64(msg, VMEM_A_SHARED, hs.shared) ||
	    vmem_nl_put_u64(msg, VMEM_A_ZERO, hs.zero) ||
	    vmem_nl_put_u64(msg, VMEM_A_SWAPPED, hs.swapped) ||
	    vmem_nl_put_u64(msg, VMEM_A_OVERHEAD, hs.overhead) ||
	    vmem_nl_put_u64(msg, VMEM_A_SHARED_COMMON, hs.shared_common) ||
	    vmem_nl_put_u64(msg, VMEM_A_SAVING, hs.saving)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ---------------------------------------------------------------------- */
/* Tunables                                                                */

int vmem_tunable_register(struct vmem_tunable *t)
{
	struct vmem_tunable *o;
	int r = 0;

	mutex_lock(&vmem_tunables_lock);
	list_for_each_entry(o, &vmem_tunables, node)
		if (!strcmp(o->name, t->name))
			r = -EEXIST;
	if (!r)
		list_add_tail(&t->node, &vmem_tunables);
	mutex_unlock(&vmem_tunables_lock);
	return r;
}

void vmem_tunable_unregister(struct vmem_tunable *t)
{
	mutex_lock(&vmem_tunables_lock);
	list_del(&t->node);
	mutex_unlock(&vmem_tunables_lock);
}

static struct vmem_tunable *vmem_tunable_find(const char *name)
{
	struct vmem_tunable *t;

	lockdep_assert_held(&vmem_tunables_lock);
	list_for_each_entry(t, &vmem_tunables, node)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static int vmem_nl_fill_tunable(struct sk_buff *skb, u32 portid, u32 seq,
				int flags, const struct vmem_tunable *t)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vmem_genl_family, flags,
			  VMEM_CMD_TUNABLE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, VMEM_A_TUNABLE_NAME, t->name) ||
	    vmem_nl_put_u64(skb, VMEM_A_TUNABLE_VALUE, t->get()) ||
	    vmem_nl_put_u64(skb, VMEM_A_TUNABLE_MIN, t->min) ||
	    vmem_nl_put_u64(skb, VMEM_A_TUNABLE_MAX, t->max)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int vmem_nl_tunable_doit(struct sk_buff *skb, struct genl_info *info,
				bool set)
{
	struct vmem_tunable *t;
	struct sk_buff *msg;
	int r;

	r = vmem_nl_only(info, VMEM_ABIT(TUNABLE_NAME) |
			       (set ? VMEM_ABIT(TUNABLE_VALUE) : 0));
	if (r)
		return r;
	if (GENL_REQ_ATTR_CHECK(info, VMEM_A_TUNABLE_NAME) ||
	    (set && GENL_REQ_ATTR_CHECK(info, VMEM_A_TUNABLE_VALUE)))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&vmem_tunables_lock);
	t = vmem_tunable_find(nla_data(info->attrs[VMEM_A_TUNABLE_NAME]));
	if (!t) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VMEM_A_TUNABLE_NAME],
				    "no such tunable");
		r = -ENOENT;
		goto out;
	}
	if (set) {
		u64 val = nla_get_u64(info->attrs[VMEM_A_TUNABLE_VALUE]);

		if (val < t->min || val > t->max) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[VMEM_A_TUNABLE_VALUE],
					    "value out of the tunable's range");
			r = -ERANGE;
			goto out;
		}
		r = t->set(val);
		if (r)
			goto out;
	}
	r = vmem_nl_fill_tunable(msg, info->snd_portid, info->snd_seq, 0, t);
out:
	mutex_unlock(&vmem_tunables_lock);
	if (r) {
		nlmsg_free(msg);
		return r;
	}
	return genlmsg_reply(msg, info);
}

static int vmem_nl_tunable_get(struct sk_buff *skb, struct genl_info *info)
{
	return vmem_nl_tunable_doit(skb, info, false);
}

static int vmem_nl_tunable_set(struct sk_buff *skb, struct genl_info *info)
{
	return vmem_nl_tunable_doit(skb, info, true);
}

/* Dumps resume at the position in cb->args[0]. */
static int vmem_nl_tunable_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct vmem_tunable *t;
	long i = 0;
	int r = 0;

	mutex_lock(&vmem_tunables_lock);
	list_for_each_entry(t, &vmem_tunables, node) {
		if (i++ < cb->args[0])
			continue;
		r = vmem_nl_fill_tunable(skb, NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI, t);
		if (r) {
			i--;
			break;
		}
	}
	mutex_unlock(&vmem_tunables_lock);
	cb->args[0] = i;
	return r && !skb->len ? r : skb->len;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                  */

static struct sk_buff *vmem_nl_event_new(u32 event, void **hdr)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&vmem_genl_family, &init_net,
				VMEM_NL_MCGRP_EVENTS))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &vmem_genl_family, 0, VMEM_CMD_EVENT);
	if (!*hdr || nla_put_u32(msg, VMEM_A_EVENT, event)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void vmem_nl_event_send(struct sk_buff *msg, void *hdr)
{
	genlmsg_end(msg, hdr);
	/* -ESRCH when the last listener just left: nothing to do. */
	genlmsg_multicast(&vmem_genl_family, msg, 0, VMEM_NL_MCGRP_EVENTS,
			  GFP_KERNEL);
}

/* May sleep; called without the tree lock. */
void vmem_nl_event_refused(const struct vmem_refusal *ref)
{
	struct sk_buff *msg;
	void *hdr;

	msg = vmem_nl_event_new(VMEM_EVENT_ADMISSION_REFUSED, &hdr);
	if (!msg)
		return;
	if (nla_put_u32(msg, VMEM_A_POOL_ID, ref->pool_id) ||
	    nla_put_string(msg, VMEM_A_POOL_NAME, ref->pool_name) ||
	    vmem_nl_put_u64(msg, VMEM_A_NEED, ref->need) ||
	    nla_put_u32(msg, VMEM_A_ERRNO, ref->err) ||
	    nla_put_u32(msg, VMEM_A_REFUSED_WHY, ref->why) ||
	    (ref->vm_id && nla_put_u32(msg, VMEM_A_VM_ID, ref->vm_id))) {
		nlmsg_free(msg);
		return;
	}
	vmem_nl_event_send(msg, hdr);
}

void vmem_nl_event_vm(u32 event, u32 vm_id)
{
	struct sk_buff *msg;
	void *hdr;

	msg = vmem_nl_event_new(event, &hdr);
	if (!msg)
		return;
	if (nla_put_u32(msg, VMEM_A_VM_ID, vm_id)) {
		nlmsg_free(msg);
		return;
	}
	vmem_nl_event_send(msg, hdr);
}

/* ---------------------------------------------------------------------- */
/* The family                                                              */

static const struct genl_ops vmem_nl_ops[] = {
	{
		.cmd	= VMEM_CMD_POOL_NEW,
		.doit	= vmem_nl_pool_new,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= VMEM_CMD_POOL_DEL,
		.doit	= vmem_nl_pool_del,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= VMEM_CMD_POOL_SET,
		.doit	= vmem_nl_pool_set,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= VMEM_CMD_POOL_GET,
		.doit	= vmem_nl_pool_get,
		.dumpit	= vmem_nl_pool_dump,
	},
	{
		.cmd	= VMEM_CMD_VM_GET,
		.doit	= vmem_nl_vm_get,
		.dumpit	= vmem_nl_vm_dump,
	},
	{
		.cmd	= VMEM_CMD_VM_SET,
		.doit	= vmem_nl_vm_set,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= VMEM_CMD_STATS_GET,
		.doit	= vmem_nl_stats_get,
	},
	{
		.cmd	= VMEM_CMD_TUNABLE_GET,
		.doit	= vmem_nl_tunable_get,
		.dumpit	= vmem_nl_tunable_dump,
	},
	{
		.cmd	= VMEM_CMD_TUNABLE_SET,
		.doit	= vmem_nl_tunable_set,
		.flags	= GENL_ADMIN_PERM,
	},
};

static struct genl_family vmem_genl_family __ro_after_init = {
	.name		= VMEM_GENL_NAME,
	.version	= VMEM_GENL_VERSION,
	.maxattr	= VMEM_A_MAX,
	.policy		= vmem_nl_policy,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= vmem_nl_ops,
	.n_ops		= ARRAY_SIZE(vmem_nl_ops),
	/* Every command checks the header's reserved byte and has a policy. */
	.resv_start_op	= VMEM_CMD_POOL_NEW,
	.mcgrps		= vmem_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vmem_nl_mcgrps),
};

int vmem_netlink_init(void)
{
	int r = genl_register_family(&vmem_genl_family);

	if (r)
		pr_err("cannot register the netlink family (error %d)\n", r);
	return r;
}

void vmem_netlink_exit(void)
{
	genl_unregister_family(&vmem_genl_family);
}
