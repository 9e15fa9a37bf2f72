// SPDX-License-Identifier: GPL-2.0
/*
 * nl_util.c - raw generic-netlink helpers for the pool_* and netlink_*
 * tests (see nl_util.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl_util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK		11
#endif

#define NLT_ALIGN(x)	(((x) + 3u) & ~3u)

static struct nlmsghdr *nlt_hdr(struct nlt_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

void nlt_init_raw(struct nlt_msg *m, uint16_t family, uint8_t cmd,
		  uint16_t flags, uint8_t resv)
{
	struct nlmsghdr *h = nlt_hdr(m);
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = VMEM_GENL_VERSION;
	g->reserved = resv;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

void nlt_init(struct nlt_msg *m, const struct nlt_sock *s, uint8_t cmd,
	      uint16_t flags)
{
	nlt_init_raw(m, s->family, cmd, flags, 0);
}

void nlt_put(struct nlt_msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	if (m->len + NLT_ALIGN(NLA_HDRLEN + len) > sizeof(m->buf))
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0,
	       NLT_ALIGN(NLA_HDRLEN + len) - NLA_HDRLEN - len);
	m->len += NLT_ALIGN(NLA_HDRLEN + len);
}

void nlt_put_u8(struct nlt_msg *m, uint16_t type, uint8_t v)
{
	nlt_put(m, type, &v, 1);
}

void nlt_put_u32(struct nlt_msg *m, uint16_t type, uint32_t v)
{
	nlt_put(m, type, &v, 4);
}

void nlt_put_u64(struct nlt_msg *m, uint16_t type, uint64_t v)
{
	nlt_put(m, type, &v, 8);
}

void nlt_put_str(struct nlt_msg *m, uint16_t type, const char *str)
{
	nlt_put(m, type, str, strlen(str) + 1);
}

/* Parse the attributes after a genl header into @at. */
static void nlt_parse(const struct nlmsghdr *h, struct nlt_attrs *at)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);
	const char *p = (const char *)g + GENL_HDRLEN;
	const char *end = (const char *)h + h->nlmsg_len;

	memset(at, 0, sizeof(*at));
	at->cmd = g->cmd;
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if (type <= VMEM_A_MAX) {
			at->a[type] = p + NLA_HDRLEN;
			at->alen[type] = a->nla_len - NLA_HDRLEN;
		}
		p += NLT_ALIGN(a->nla_len);
	}
}

bool nlt_has(const struct nlt_attrs *at, int type)
{
	return at->a[type] != NULL;
}

uint32_t nlt_u32(const struct nlt_attrs *at, int type)
{
	uint32_t v = 0;

	if (at->a[type] && at->alen[type] == 4)
		memcpy(&v, at->a[type], 4);
	return v;
}

uint64_t nlt_u64(const struct nlt_attrs *at, int type)
{
	uint64_t v = 0;

	if (at->a[type] && at->alen[type] == 8)
		memcpy(&v, at->a[type], 8);
	return v;
}

uint8_t nlt_u8(const struct nlt_attrs *at, int type)
{
	return at->a[type] && at->alen[type] == 1 ?
	       *(const uint8_t *)at->a[type] : 0;
}

const char *nlt_str(const struct nlt_attrs *at, int type)
{
	return at->a[type] ? at->a[type] : "";
}

/* The extack message of an NLMSG_ERROR, if any. */
static void nlt_extack(const struct nlmsghdr *h, char *out, size_t size)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	const char *p, *end = (const char *)h + h->nlmsg_len;

	out[0] = 0;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	p = (const char *)e + sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		p += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG) {
			snprintf(out, size, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
				 p + NLA_HDRLEN);
			return;
		}
		p += NLT_ALIGN(a->nla_len);
	}
}

static int nlt_send(struct nlt_sock *s, struct nlt_msg *m)
{
	struct nlmsghdr *h = nlt_hdr(m);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	h->nlmsg_len = m->len;
	h->nlmsg_seq = ++s->seq;
	if (sendto(s->fd, m->buf, m->len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -errno;
	return 0;
}

int nlt_call(struct nlt_sock *s, struct nlt_msg *m, struct nlt_reply *r)
{
	static char buf[65536];
	int ret;

	memset(r, 0, offsetof(struct nlt_reply, raw));
	ret = nlt_send(s, m);
	if (ret)
		return r->err = ret;
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return r->err = -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != s->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				nlt_extack(h, r->extack, sizeof(r->extack));
				return r->err = e->error;
			}
			if (h->nlmsg_type != s->family)
				continue;
			if (((struct genlmsghdr *)NLMSG_DATA(h))->cmd ==
			    VMEM_CMD_REFUSED) {
				memcpy(r->raw2, h, h->nlmsg_len);
				nlt_parse((struct nlmsghdr *)r->raw2,
					  &r->refused);
				r->has_refused = true;
			} else {
				memcpy(r->raw, h, h->nlmsg_len);
				nlt_parse((struct nlmsghdr *)r->raw, &r->reply);
				r->has_reply = true;
			}
		}
	}
}

int nlt_dump(struct nlt_sock *s, uint8_t cmd,
	     int (*fn)(const struct nlt_attrs *at, void *arg), void *arg)
{
	static char buf[65536];
	struct nlt_attrs at;
	struct nlt_msg m;
	int ret, stop = 0;

	nlt_init(&m, s, cmd, NLM_F_DUMP);
	ret = nlt_send(s, &m);
	if (ret)
		return ret;
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != s->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					return e->error;
				continue;
			}
			if (stop)
				continue;
			nlt_parse(h, &at);
			stop = fn(&at, arg);
		}
	}
}

/* CTRL_CMD_GETFAMILY: the family id and the events group id. */
static int nlt_resolve(struct nlt_sock *s)
{
	static char buf[8192];
	struct nlt_msg m;
	struct nlmsghdr *h;
	ssize_t n;
	int ret;

	nlt_init_raw(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, 0);
	((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->version = 1;
	nlt_put_str(&m, CTRL_ATTR_FAMILY_NAME, VMEM_GENL_NAME);
	ret = nlt_send(s, &m);
	if (ret)
		return ret;
	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			const char *p, *end;

			if (h->nlmsg_type == NLMSG_ERROR) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

				if (e)
					return e;
				return s->family ? 0 : -ENOENT;
			}
			p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
			end = (const char *)h + h->nlmsg_len;
			while (p + NLA_HDRLEN <= end) {
				const struct nlattr *a = (const void *)p;

				if (a->nla_type == CTRL_ATTR_FAMILY_ID)
					memcpy(&s->family, p + NLA_HDRLEN, 2);
				if ((a->nla_type & NLA_TYPE_MASK) ==
				    CTRL_ATTR_MCAST_GROUPS) {
					/* nested: [ [ID, NAME] ... ] */
					const char *q = p + NLA_HDRLEN;
					const char *qe = p + a->nla_len;

					while (q + NLA_HDRLEN <= qe) {
						const struct nlattr *g = (const void *)q;
						const char *r = q + NLA_HDRLEN;
						const char *re = q + g->nla_len;
						uint32_t id = 0;
						bool ev = false;

						while (r + NLA_HDRLEN <= re) {
							const struct nlattr *x = (const void *)r;

							if (x->nla_type == CTRL_ATTR_MCAST_GRP_ID)
								memcpy(&id, r + NLA_HDRLEN, 4);
							if (x->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
							    !strcmp(r + NLA_HDRLEN, VMEM_GENL_MCGRP_EVENTS))
								ev = true;
							r += NLT_ALIGN(x->nla_len);
						}
						if (ev)
							s->mcgrp_events = id;
						q += NLT_ALIGN(g->nla_len);
					}
				}
				p += NLT_ALIGN(a->nla_len);
			}
		}
	}
}

int nlt_open(struct nlt_sock *s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, ret;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one)) < 0) {
		ret = -errno;
		close(s->fd);
		return ret;
	}
	ret = nlt_resolve(s);
	if (ret) {
		close(s->fd);
		s->fd = -1;
	}
	return ret;
}

void nlt_close(struct nlt_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int nlt_join_events(struct nlt_sock *s)
{
	int grp = s->mcgrp_events;

	if (!grp)
		return -ENOENT;
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)) < 0)
		return -errno;
	return 0;
}

int nlt_recv_event(struct nlt_sock *s, struct nlt_attrs *at, char *raw,
		   int ms)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct nlmsghdr *h;
	ssize_t n;

	for (;;) {
		int p = poll(&pfd, 1, ms);

		if (p < 0)
			return -errno;
		if (!p)
			return -ETIMEDOUT;
		n = recv(s->fd, raw, NLT_BUF, 0);
		if (n < 0)
			return -errno;
		h = (struct nlmsghdr *)raw;
		if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != s->family)
			continue;
		nlt_parse(h, at);
		if (at->cmd == VMEM_CMD_EVENT)
			return 0;
	}
}

/* ---------------------------------------------------------------------- */

int nlt_pool_get(struct nlt_sock *s, const char *name, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, VMEM_CMD_POOL_GET, 0);
	nlt_put_str(&m, VMEM_A_POOL_NAME, name);
	return nlt_call(s, &m, r);
}

int nlt_pool_new(struct nlt_sock *s, const char *name, uint32_t parent,
		 uint64_t res, uint64_t limit, int exp, uint32_t *id,
		 struct nlt_reply *r)
{
	struct nlt_msg m;
	int ret;

	nlt_init(&m, s, VMEM_CMD_POOL_NEW, 0);
	nlt_put_str(&m, VMEM_A_POOL_NAME, name);
	if (parent)
		nlt_put_u32(&m, VMEM_A_PARENT_ID, parent);
	nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	nlt_put_u64(&m, VMEM_A_LIMIT, limit);
	nlt_put_u8(&m, VMEM_A_EXPANDABLE, exp);
	ret = nlt_call(s, &m, r);
	if (!ret && id)
		*id = nlt_u32(&r->reply, VMEM_A_POOL_ID);
	return ret;
}

int nlt_pool_del(struct nlt_sock *s, uint32_t id)
{
	static struct nlt_reply r;
	struct nlt_msg m;

	nlt_init(&m, s, VMEM_CMD_POOL_DEL, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, id);
	return nlt_call(s, &m, &r);
}

void nlt_pool_del_names(struct nlt_sock *s, const char *const *names, int n)
{
	static struct nlt_reply r;
	struct nlt_msg m;
	int i;

	for (i = n - 1; i >= 0; i--) {
		nlt_init(&m, s, VMEM_CMD_POOL_DEL, 0);
		nlt_put_str(&m, VMEM_A_POOL_NAME, names[i]);
		nlt_call(s, &m, &r);
	}
}

int nlt_vm_get(struct nlt_sock *s, uint32_t id, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, VMEM_CMD_VM_GET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, id);
	return nlt_call(s, &m, r);
}

int nlt_pool_set(struct nlt_sock *s, uint32_t id, uint32_t parent,
		 uint64_t limit, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, id);
	if (parent)
		nlt_put_u32(&m, VMEM_A_PARENT_ID, parent);
	if (limit != NLT_KEEP)
		nlt_put_u64(&m, VMEM_A_LIMIT, limit);
	return nlt_call(s, &m, r);
}

int nlt_vm_set(struct nlt_sock *s, uint32_t id, uint32_t pool, uint64_t res,
	       struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, id);
	if (pool)
		nlt_put_u32(&m, VMEM_A_POOL_ID, pool);
	if (res != ~0ULL)
		nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	return nlt_call(s, &m, r);
}

static int sums_pool(const struct nlt_attrs *at, void *arg)
{
	struct nlt_sums *s = arg;

	if (s->n < NLT_SUMS_MAX) {
		s->id[s->n] = nlt_u32(at, VMEM_A_POOL_ID);
		s->parent[s->n] = nlt_u32(at, VMEM_A_PARENT_ID);
		s->used[s->n] = nlt_u64(at, VMEM_A_USED);
		s->charge[s->n] = nlt_u64(at, VMEM_A_CHARGE);
		s->n++;
	}
	return 0;
}

static int sums_vm(const struct nlt_attrs *at, void *arg)
{
	struct nlt_sums *s = arg;
	uint32_t pool = nlt_u32(at, VMEM_A_POOL_ID);
	int i;

	for (i = 0; i < s->n; i++)
		if (s->id[i] == pool)
			s->used[i] -= nlt_u64(at, VMEM_A_CHARGE);
	return 0;
}

int nlt_sums_read(struct nlt_sock *s, struct nlt_sums *sums)
{
	int i, j, r;

	memset(sums, 0, sizeof(*sums));
	r = nlt_dump(s, VMEM_CMD_POOL_GET, sums_pool, sums);
	if (!r)
		r = nlt_dump(s, VMEM_CMD_VM_GET, sums_vm, sums);
	if (r)
		return r;
	for (i = 0; i < sums->n; i++)
		for (j = 0; j < sums->n; j++)
			if (sums->parent[j] == sums->id[i])
				sums->used[i] -= sums->charge[j];
	return 0;
}

int nlt_sums_mismatches(const struct nlt_sums *sums)
{
	int i, n = 0;

	for (i = 0; i < sums->n; i++)
		n += sums->used[i] != 0;
	return n;
}
