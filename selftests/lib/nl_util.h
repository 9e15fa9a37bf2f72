/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl_util.h - raw generic-netlink helpers for the pool_* and netlink_*
 * tests.  Raw sockets rather than libnl, so that the tests can build
 * malformed messages on purpose (wrong lengths, unterminated strings,
 * unknown attributes, nonzero reserved header bytes).
 *
 * Every function returns >= 0 or -errno and never prints.
 */
#ifndef VMEM_NL_UTIL_H
#define VMEM_NL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vmem_netlink.h>

#define NLT_BUF		16384

/* A request being built. */
struct nlt_msg {
	char buf[NLT_BUF];
	size_t len;
};

/* The attributes of one received message (pointers into its buffer). */
struct nlt_attrs {
	uint8_t cmd;
	const void *a[VMEM_A_MAX + 1];
	uint16_t alen[VMEM_A_MAX + 1];
};

/* What a request came back with. */
struct nlt_reply {
	int err;			/* 0 or -errno from the NLMSG_ERROR */
	char extack[256];		/* the extack message, "" if none */
	bool has_reply;			/* a reply message came (last one) */
	struct nlt_attrs reply;
	bool has_refused;		/* a VMEM_CMD_REFUSED came */
	struct nlt_attrs refused;
	char raw[NLT_BUF];		/* storage behind reply/refused */
	char raw2[NLT_BUF];
};

struct nlt_sock {
	int fd;
	uint16_t family;
	uint32_t mcgrp_events;
	uint32_t seq;
};

/* Open and resolve the family (-ENOENT if vmem's family is absent). */
int nlt_open(struct nlt_sock *s);
void nlt_close(struct nlt_sock *s);

/* Start a request: genl header with @cmd, version, reserved byte @resv. */
void nlt_init(struct nlt_msg *m, const struct nlt_sock *s, uint8_t cmd,
	      uint16_t flags);
void nlt_init_raw(struct nlt_msg *m, uint16_t family, uint8_t cmd,
		  uint16_t flags, uint8_t resv);
void nlt_put(struct nlt_msg *m, uint16_t type, const void *data, size_t len);
void nlt_put_u8(struct nlt_msg *m, uint16_t type, uint8_t v);
void nlt_put_u32(struct nlt_msg *m, uint16_t type, uint32_t v);
void nlt_put_u64(struct nlt_msg *m, uint16_t type, uint64_t v);
void nlt_put_str(struct nlt_msg *m, uint16_t type, const char *str);

/* Send @m and read until the ACK/error: returns r->err. */
int nlt_call(struct nlt_sock *s, struct nlt_msg *m, struct nlt_reply *r);

/* A dump: calls @fn for each message (stop with nonzero). */
int nlt_dump(struct nlt_sock *s, uint8_t cmd,
	     int (*fn)(const struct nlt_attrs *at, void *arg), void *arg);

/* Attribute accessors; 0 / "" when absent. */
bool nlt_has(const struct nlt_attrs *at, int type);
uint32_t nlt_u32(const struct nlt_attrs *at, int type);
uint64_t nlt_u64(const struct nlt_attrs *at, int type);
uint8_t nlt_u8(const struct nlt_attrs *at, int type);
const char *nlt_str(const struct nlt_attrs *at, int type);

/* Subscribe to the events group; nlt_recv_event waits up to @ms. */
int nlt_join_events(struct nlt_sock *s);
int nlt_recv_event(struct nlt_sock *s, struct nlt_attrs *at, char *raw,
		   int ms);

/* ---- convenience over nlt_call -------------------------------------- */

#define MB_PAGES	256ULL		/* 4 KiB pages per MiB */

/* Pool by name: its attributes in r->reply. */
int nlt_pool_get(struct nlt_sock *s, const char *name, struct nlt_reply *r);
/* Create; *id set on success.  @limit VMEM_UNLIMITED, @exp 0/1. */
int nlt_pool_new(struct nlt_sock *s, const char *name, uint32_t parent,
		 uint64_t res, uint64_t limit, int exp, uint32_t *id,
		 struct nlt_reply *r);
int nlt_pool_del(struct nlt_sock *s, uint32_t id);
/* Move pool @id under @parent (0: stay) and set its @limit (NLT_KEEP: keep). */
#define NLT_KEEP	(~0ULL - 1)
int nlt_pool_set(struct nlt_sock *s, uint32_t id, uint32_t parent,
		 uint64_t limit, struct nlt_reply *r);
/* Delete pools by name if they exist, children first (cleanup). */
void nlt_pool_del_names(struct nlt_sock *s, const char *const *names, int n);
int nlt_vm_get(struct nlt_sock *s, uint32_t id, struct nlt_reply *r);
/* Move VM @id into @pool (0: stay) with reservation @res (~0: keep). */
int nlt_vm_set(struct nlt_sock *s, uint32_t id, uint32_t pool, uint64_t res,
	       struct nlt_reply *r);

/*
 * The tree's invariant as the dumps show it: every pool's used is the sum
 * of its children's charges (pools' and VMs').  nlt_sums_read() dumps the
 * pools (in dump order, at most NLT_SUMS_MAX) and subtracts every child's
 * charge from its pool's used; nlt_sums_mismatches() counts the pools
 * left with a nonzero remainder.
 */
#define NLT_SUMS_MAX	256
struct nlt_sums {
	uint32_t id[NLT_SUMS_MAX], parent[NLT_SUMS_MAX];
	int64_t used[NLT_SUMS_MAX], charge[NLT_SUMS_MAX];
	int n;
};
int nlt_sums_read(struct nlt_sock *s, struct nlt_sums *sums);
int nlt_sums_mismatches(const struct nlt_sums *sums);

/*
 * Setup helper (nl_setup.c, which prints): open @s for a test; VT_PASS,
 * vt_skip() without root (the pool commands need CAP_NET_ADMIN), or
 * VT_FAIL with a diagnostic when vmem's family cannot be resolved.
 */
int nlt_require(struct nlt_sock *s);

#endif /* VMEM_NL_UTIL_H */
