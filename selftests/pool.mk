# SPDX-License-Identifier: GPL-2.0
#
# The resource-pool and netlink selftests (included by Makefile): they
# talk to the "vmem" generic-netlink family through raw sockets
# (lib/nl_util.c), so that they can also send malformed messages; pool_cli
# runs the vmem tool (lib/launcher_util.c).

POOL_TESTS := pool_admission netlink_bad_input pool_concurrency pool_cli pool_swap swap_worker \
	      pool_limits user_limits nl_visibility walker_errors
