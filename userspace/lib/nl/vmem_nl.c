// SPDX-License-Identifier: LGPL-2.1
/*
 * vmem_nl.c - libvmem's netlink half (see vmem_nl.h), on libnl-genl-3.
 *
 * One request at a time per handle: build with genlmsg_put(), send,
 * receive with a callback that parses each reply (and the REFUSED
 * message that precedes an admission refusal) until the ACK or error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "vmem_nl.h"

struct vmem_nl {
	struct nl_sock *sk;
	int family;
	bool refused;
	struct vmem_refusal_info refusal;
};

/* Where a request's replies go. */
struct vmem_nl_ctx {
	struct vmem_nl *nl;
	int (*parse)(struct nlattr **tb, void *out);
	void *out;		/* one item, or a growing array */
	size_t item, *n;	/* item size; count for dumps (else NULL) */
	int err;
	bool done;		/* the ACK, error or DONE has come */
};

static struct nla_policy vmem_nl_parse_policy[VMEM_A_MAX + 1];

int vmem_nl_open(struct vmem_nl **out)
{
	struct vmem_nl *nl;
	int r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	r = genl_connect(nl->sk);
	if (r < 0) {
		r = -nl_syserr2nlerr(r);
		goto fail;
	}
	nl->family = genl_ctrl_resolve(nl->sk, VMEM_GENL_NAME);
	if (nl->family < 0) {
		r = -ENOENT;
		goto fail;
	}
	*out = nl;
	return 0;
fail:
	nl_socket_free(nl->sk);
	free(nl);
	return r < 0 ? r : -EIO;
}

void vmem_nl_close(struct vmem_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

const struct vmem_refusal_info *vmem_nl_refusal(const struct vmem_nl *nl)
{
	return nl->refused ? &nl->refusal : NULL;
}

/* libnl's NLE_* to an errno, for the few it maps itself. */
static int vmem_nl_errno(int nle)
{
	switch (-nle) {
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_EXIST:		return -EEXIST;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_BUSY:		return -EBUSY;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AGAIN:		return -EAGAIN;
	default:		return -EIO;
	}
}

static uint64_t get64(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u64(tb[a]) : 0;
}

static uint32_t get32(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u32(tb[a]) : 0;
}

static void getstr(struct nlattr **tb, int a, char *buf, size_t size)
{
	buf[0] = 0;
	if (tb[a])
		nla_strlcpy(buf, tb[a], size);
}

static int parse_pool(struct nlattr **tb, void *out)
{
	struct vmem_pool_info *p = out;

	memset(p, 0, sizeof(*p));
	p->id = get32(tb, VMEM_A_POOL_ID);
	p->parent_id = get32(tb, VMEM_A_PARENT_ID);
	getstr(tb, VMEM_A_POOL_NAME, p->name, sizeof(p->name));
	p->res = get64(tb, VMEM_A_RESERVATION);
	p->limit = get64(tb, VMEM_A_LIMIT);
	p->used = get64(tb, VMEM_A_USED);
	p->charge = get64(tb, VMEM_A_CHARGE);
	p->unreserved = get64(tb, VMEM_A_UNRESERVED);
	p->shares_level = get32(tb, VMEM_A_SHARES_LEVEL);
	p->shares = get32(tb, VMEM_A_SHARES);
	p->nr_vms = get32(tb, VMEM_A_NR_VMS);
	p->nr_pools = get32(tb, VMEM_A_NR_POOLS);
	p->expandable = tb[VMEM_A_EXPANDABLE] &&
			nla_get_u8(tb[VMEM_A_EXPANDABLE]);
	return 0;
}

static int parse_vm(struct nlattr **tb, void *out)
{
	struct vmem_vm_info *v = out;

	memset(v, 0, sizeof(*v));
	v->id = get32(tb, VMEM_A_VM_ID);
	v->pid = get32(tb, VMEM_A_VM_PID);
	v->pool_id = get32(tb, VMEM_A_POOL_ID);
	getstr(tb, VMEM_A_VM_NAME, v->name, sizeof(v->name));
	getstr(tb, VMEM_A_POOL_NAME, v->pool_name, sizeof(v->pool_name));
	v->res = get64(tb, VMEM_A_RESERVATION);
	v->limit = get64(tb, VMEM_A_LIMIT);
	v->charge = get64(tb, VMEM_A_CHARGE);
	v->overhead_admitted = get64(tb, VMEM_A_OVERHEAD_ADMITTED);
	v->configured = get64(tb, VMEM_A_CONFIGURED);
	v->overhead = get64(tb, VMEM_A_OVERHEAD);
	v->granted = get64(tb, VMEM_A_GRANTED);
	v->consumed = get64(tb, VMEM_A_CONSUMED);
	v->shared = get64(tb, VMEM_A_SHARED);
	v->zero = get64(tb, VMEM_A_ZERO);
	v->swapped = get64(tb, VMEM_A_SWAPPED);
	v->shares_level = get32(tb, VMEM_A_SHARES_LEVEL);
	v->shares = get32(tb, VMEM_A_SHARES);
	v->pshare = tb[VMEM_A_PSHARE] && nla_get_u8(tb[VMEM_A_PSHARE]);
	return 0;
}

static int parse_host(struct nlattr **tb, void *out)
{
	struct vmem_host_info *h = out;

	memset(h, 0, sizeof(*h));
	h->total = get64(tb, VMEM_A_HOST_TOTAL);
	h->free = get64(tb, VMEM_A_HOST_FREE);
	h->res = get64(tb, VMEM_A_RESERVATION);
	h->used = get64(tb, VMEM_A_USED);
	h->nr_vms = get32(tb, VMEM_A_NR_VMS_TOTAL);
	h->granted = get64(tb, VMEM_A_GRANTED);
	h->consumed = get64(tb, VMEM_A_CONSUMED);
	h->shared = get64(tb, VMEM_A_SHARED);
	h->zero = get64(tb, VMEM_A_ZERO);
	h->swapped = get64(tb, VMEM_A_SWAPPED);
	h->overhead = get64(tb, VMEM_A_OVERHEAD);
	h->shared_common = get64(tb, VMEM_A_SHARED_COMMON);
	h->saving = get64(tb, VMEM_A_SAVING);
	return 0;
}

static int parse_tunable(struct nlattr **tb, void *out)
{
	struct vmem_tunable_info *t = out;

	memset(t, 0, sizeof(*t));
	getstr(tb, VMEM_A_TUNABLE_NAME, t->name, sizeof(t->name));
	t->value = get64(tb, VMEM_A_TUNABLE_VALUE);
	t->min = get64(tb, VMEM_A_TUNABLE_MIN);
	t->max = get64(tb, VMEM_A_TUNABLE_MAX);
	return 0;
}

static int vmem_nl_valid(struct nl_msg *msg, void *arg)
{
	struct vmem_nl_ctx *ctx = arg;
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[VMEM_A_MAX + 1];
	void *item;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMEM_A_MAX,
			  vmem_nl_parse_policy) < 0)
		return NL_SKIP;
	if (g->cmd == VMEM_CMD_REFUSED) {
		struct vmem_refusal_info *r = &ctx->nl->refusal;

		ctx->nl->refused = true;
		r->err = get32(tb, VMEM_A_ERRNO);
		r->why = get32(tb, VMEM_A_REFUSED_WHY);
		r->pool_id = get32(tb, VMEM_A_POOL_ID);
		getstr(tb, VMEM_A_POOL_NAME, r->pool_name,
		       sizeof(r->pool_name));
		r->need = get64(tb, VMEM_A_NEED);
		return NL_OK;
	}
	if (!ctx->parse)
		return NL_OK;
	if (ctx->n) {
		void **arr = ctx->out;
		void *grown = realloc(*arr, (*ctx->n + 1) * ctx->item);

		if (!grown) {
			ctx->err = -ENOMEM;
			return NL_STOP;
		}
		*arr = grown;
		item = (char *)grown + *ctx->n * ctx->item;
		(*ctx->n)++;
	} else {
		item = ctx->out;
	}
	ctx->parse(tb, item);
	return NL_OK;
}

static int vmem_nl_error(struct sockaddr_nl *sa, struct nlmsgerr *e, void *arg)
{
	struct vmem_nl_ctx *ctx = arg;

	(void)sa;
	ctx->err = e->error;
	ctx->done = true;
	return NL_STOP;
}

/* The ACK of a doit, or the DONE of a dump. */
static int vmem_nl_done(struct nl_msg *msg, void *arg)
{
	struct vmem_nl_ctx *ctx = arg;

	(void)msg;
	ctx->done = true;
	return NL_STOP;
}

/* Send @msg (consumed) and collect the answers into @ctx. */
static int vmem_nl_call(struct vmem_nl *nl, struct nl_msg *msg,
			struct vmem_nl_ctx *ctx)
{
	struct nl_cb *cb;
	int r;

	nl->refused = false;
	ctx->nl = nl;
	ctx->err = 0;
	ctx->done = false;
	r = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (r < 0)
		return vmem_nl_errno(r);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, vmem_nl_valid, ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, vmem_nl_done, ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, vmem_nl_done, ctx);
	nl_cb_err(cb, NL_CB_CUSTOM, vmem_nl_error, ctx);
	/*
	 * nl_recvmsgs() returns after each message that is not part of a
	 * dump: read on until the ACK, the error or DONE, so that nothing
	 * of this request is left for the next one.
	 */
	do {
		r = nl_recvmsgs(nl->sk, cb);
	} while (r >= 0 && !ctx->done);
	nl_cb_put(cb);
	if (ctx->err)
		return ctx->err;
	return r < 0 ? vmem_nl_errno(r) : 0;
}

static struct nl_msg *vmem_nl_msg(struct vmem_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_ACK, cmd, VMEM_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Put the settings of @req (the parent/pool is the caller's). */
static int vmem_nl_put_req(struct nl_msg *msg, const struct vmem_nl_req *req)
{
	int r = 0;

	if (!req)
		return 0;
	if (req->set & VMEM_REQ_RES)
		r |= nla_put_u64(msg, VMEM_A_RESERVATION, req->res);
	if (req->set & VMEM_REQ_LIMIT)
		r |= nla_put_u64(msg, VMEM_A_LIMIT, req->limit);
	if (req->set & VMEM_REQ_SHARES) {
		r |= nla_put_u32(msg, VMEM_A_SHARES_LEVEL, req->shares_level);
		if (req->shares_level == VMEM_SHARES_CUSTOM)
			r |= nla_put_u32(msg, VMEM_A_SHARES, req->shares);
	}
	if (req->set & VMEM_REQ_EXPANDABLE)
		r |= nla_put_u8(msg, VMEM_A_EXPANDABLE, req->expandable);
	if (req->set & VMEM_REQ_PSHARE)
		r |= nla_put_u8(msg, VMEM_A_PSHARE, req->pshare);
	return r ? -EMSGSIZE : 0;
}

/* The id of pool @name (parents are named, the kernel wants ids). */
static int vmem_nl_pool_id(struct vmem_nl *nl, const char *name, uint32_t *id)
{
	struct vmem_pool_info p;
	int r = vmem_nl_pool_get(nl, name, &p);

	if (!r)
		*id = p.id;
	return r;
}

int vmem_nl_pool_get(struct vmem_nl *nl, const char *name,
		     struct vmem_pool_info *out)
{
	struct vmem_nl_ctx ctx = { .parse = parse_pool, .out = out };
	struct nl_msg *msg = vmem_nl_msg(nl, VMEM_CMD_POOL_GET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, VMEM_A_POOL_NAME, name)) {
		nlmsg_free(msg);
		return -EINVAL;
	}
	return vmem_nl_call(nl, msg, &ctx);
}

static int vmem_nl_pool_write(struct vmem_nl *nl, uint8_t cmd,
			      const char *name, const struct vmem_nl_req *req,
			      struct vmem_pool_info *out)
{
	struct vmem_pool_info dummy;
	struct vmem_nl_ctx ctx = { .parse = parse_pool,
				   .out = out ? out : &dummy };
	struct nl_msg *msg;
	uint32_t parent = 0;
	int r;

	if (req && (req->set & VMEM_REQ_PARENT)) {
		r = vmem_nl_pool_id(nl, req->parent, &parent);
		if (r)
			return r;
	}
	msg = vmem_nl_msg(nl, cmd, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, VMEM_A_POOL_NAME, name) ||
	    (parent && nla_put_u32(msg, VMEM_A_PARENT_ID, parent)) ||
	    vmem_nl_put_req(msg, req)) {
		nlmsg_free(msg);
		return -EINVAL;
	}
	return vmem_nl_call(nl, msg, &ctx);
}

int vmem_nl_pool_create(struct vmem_nl *nl, const char *name,
			const struct vmem_nl_req *req,
			struct vmem_pool_info *out)
{
	return vmem_nl_pool_write(nl, VMEM_CMD_POOL_NEW, name, req, out);
}

int vmem_nl_pool_set(struct vmem_nl *nl, const char *name,
		     const struct vmem_nl_req *req, struct vmem_pool_info *out)
{
	return vmem_nl_pool_write(nl, VMEM_CMD_POOL_SET, name, req, out);
}

int vmem_nl_pool_destroy(struct vmem_nl *nl, const char *name)
{
	return vmem_nl_pool_write(nl, VMEM_CMD_POOL_DEL, name, NULL, NULL);
}

static int vmem_nl_dump(struct vmem_nl *nl, uint8_t cmd,
			int (*parse)(struct nlattr **, void *), size_t item,
			void **out, size_t *n)
{
	struct vmem_nl_ctx ctx = { .parse = parse, .out = out, .item = item,
				   .n = n };
	struct nl_msg *msg = vmem_nl_msg(nl, cmd, NLM_F_DUMP);
	int r;

	*out = NULL;
	*n = 0;
	if (!msg)
		return -ENOMEM;
	r = vmem_nl_call(nl, msg, &ctx);
	if (r) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return r;
}

int vmem_nl_pool_list(struct vmem_nl *nl, struct vmem_pool_info **out,
		      size_t *n)
{
	return vmem_nl_dump(nl, VMEM_CMD_POOL_GET, parse_pool, sizeof(**out),
			    (void **)out, n);
}

int vmem_nl_vm_list(struct vmem_nl *nl, struct vmem_vm_info **out, size_t *n)
{
	return vmem_nl_dump(nl, VMEM_CMD_VM_GET, parse_vm, sizeof(**out),
			    (void **)out, n);
}

int vmem_nl_tunable_list(struct vmem_nl *nl, struct vmem_tunable_info **out,
			 size_t *n)
{
	return vmem_nl_dump(nl, VMEM_CMD_TUNABLE_GET, parse_tunable,
			    sizeof(**out), (void **)out, n);
}

int vmem_nl_vm_get(struct vmem_nl *nl, uint32_t id, struct vmem_vm_info *out)
{
	struct vmem_nl_ctx ctx = { .parse = parse_vm, .out = out };
	struct nl_msg *msg = vmem_nl_msg(nl, VMEM_CMD_VM_GET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, VMEM_A_VM_ID, id)) {
		nlmsg_free(msg);
		return -EINVAL;
	}
	return vmem_nl_call(nl, msg, &ctx);
}

int vmem_nl_vm_set(struct vmem_nl *nl, uint32_t id,
		   const struct vmem_nl_req *req, struct vmem_vm_info *out)
{
	struct vmem_vm_info dummy;
	struct vmem_nl_ctx ctx = { .parse = parse_vm,
				   .out = out ? out : &dummy };
	struct nl_msg *msg = vmem_nl_msg(nl, VMEM_CMD_VM_SET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, VMEM_A_VM_ID, id) ||
	    ((req->set & VMEM_REQ_PARENT) &&
	     nla_put_string(msg, VMEM_A_POOL_NAME, req->parent)) ||
	    vmem_nl_put_req(msg, req)) {
		nlmsg_free(msg);
		return -EINVAL;
	}
	return vmem_nl_call(nl, msg, &ctx);
}

int vmem_nl_stats(struct vmem_nl *nl, struct vmem_host_info *out)
{
	struct vmem_nl_ctx ctx = { .parse = parse_host, .out = out };
	struct nl_msg *msg = vmem_nl_msg(nl, VMEM_CMD_STATS_GET, 0);

	if (!msg)
		return -ENOMEM;
	return vmem_nl_call(nl, msg, &ctx);
}

int vmem_nl_tunable_set(struct vmem_nl *nl, const char *name, uint64_t val)
{
	struct vmem_tunable_info dummy;
	struct vmem_nl_ctx ctx = { .parse = parse_tunable, .out = &dummy };
	struct nl_msg *msg = vmem_nl_msg(nl, VMEM_CMD_TUNABLE_SET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, VMEM_A_TUNABLE_NAME, name) ||
	    nla_put_u64(msg, VMEM_A_TUNABLE_VALUE, val)) {
		nlmsg_free(msg);
		return -EINVAL;
	}
	return vmem_nl_call(nl, msg, &ctx);
}

static const char *const vmem_shares_names[] = {
	[VMEM_SHARES_LOW] = "low", [VMEM_SHARES_NORMAL] = "normal",
	[VMEM_SHARES_HIGH] = "high", [VMEM_SHARES_CUSTOM] = "custom",
};

const char *vmem_shares_name(uint32_t level)
{
	if (level >= VMEM_SHARES_LOW && level <= VMEM_SHARES_CUSTOM)
		return vmem_shares_names[level];
	return "?";
}

uint32_t vmem_shares_level(const char *name)
{
	uint32_t i;

	for (i = VMEM_SHARES_LOW; i <= VMEM_SHARES_CUSTOM; i++)
		if (!strcmp(name, vmem_shares_names[i]))
			return i;
	return 0;
}
