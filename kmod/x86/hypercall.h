/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/hypercall.h - the in-kernel hypercall class (x86/hypercall.c) as the
 * VM fd and the system fd see it.  The exit itself, vmem_exit_hypercall(),
 * is declared with the other exits in vmem_vm.h.
 */
#ifndef _VMEM_X86_HYPERCALL_H
#define _VMEM_X86_HYPERCALL_H

#include <linux/types.h>

struct vmem_vm;
struct vmem_hypercalls;

/* VMEM_CAP_HYPERCALLS: bit n set when VMEM_HC_BASE + n is answered. */
u64 vmem_hypercall_features(void);

/* VMEM_HYPERCALLS on a VM fd: checks @hc, applies it, fills in @enable. */
long vmem_hypercalls_ioctl(struct vmem_vm *vm, struct vmem_hypercalls *hc);

#endif /* _VMEM_X86_HYPERCALL_H */
