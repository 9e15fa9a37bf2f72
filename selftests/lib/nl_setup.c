// SPDX-License-Identifier: GPL-2.0
/*
 * nl_setup.c - the netlink socket of a selftest's setup(); see nl_util.h.
 */
#include <unistd.h>

#include "nl_util.h"
#include "vt.h"

int nlt_require(struct nlt_sock *s)
{
	int r;

	if (geteuid())
		return vt_skip("needs root");
	r = nlt_open(s);
	if (r)
		return vt_fail_at(__FILE__, __LINE__, "netlink family %s: %s",
				  VMEM_GENL_NAME, vt_errno_name(-r));
	return VT_PASS;
}
