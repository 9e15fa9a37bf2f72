/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmem: a small hypervisor with ESX-style memory management.
 *
 * This header is the ABI between the vmem module and virtual machine
 * monitors.  Every ioctl and structure here is documented in
 * Documentation/api.rst.  Rules (see Documentation/abi-rules.rst):
 *   - fixed-width types and explicit padding only;
 *   - every input structure has flags and reserved fields that must be
 *     zero: a nonzero value is refused with -EINVAL so they can be given a
 *     meaning later;
 *   - features are discovered with VMEM_CHECK_EXTENSION, never guessed
 *     from the API version.
 */
#ifndef _UAPI_LINUX_VMEM_H
#define _UAPI_LINUX_VMEM_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped only for incompatible changes; additions are capabilities. */
#define VMEM_API_VERSION	1

/*
 * Free in the kernel's Documentation/userspace-api/ioctl/ioctl-number.rst
 * (0xB7 is nsfs's and remoteproc's, 0xB8 mshv's, 0xBA liveupdate's);
 * vmem uses sequence numbers 0x00-0x4f.
 */
#define VMEMIO			0xBD

/* ---------------------------------------------------------------------- */
/* System ioctls: on the fd of /dev/vmem                                   */

/* Returns VMEM_API_VERSION. */
#define VMEM_GET_API_VERSION	_IO(VMEMIO, 0x00)

/*
 * The argument is a VMEM_CAP_* number; returns its value, 0 when the
 * capability is absent or unknown.
 */
#define VMEM_CHECK_EXTENSION	_IO(VMEMIO, 0x01)

/*
 * Fills struct vmem_limits.  On input flags, pad and reserved must be zero
 * (-EINVAL otherwise); flags may later select other limit sets.
 */
#define VMEM_GET_LIMITS		_IOWR(VMEMIO, 0x02, struct vmem_limits)

/* Capabilities answered by VMEM_CHECK_EXTENSION. */
#define VMEM_CAP_BACKEND	1	/* VMEM_BACKEND_SVM or VMEM_BACKEND_VMX */
#define VMEM_CAP_HW_MMU		2	/* 1: NPT or EPT usable */
#define VMEM_CAP_SHADOW_MMU	3	/* 1: shadow MMU usable */
#define VMEM_CAP_MAX_VMS	4	/* VMs at once, host-wide */
#define VMEM_CAP_MAX_VCPUS	5	/* vCPUs per VM */
#define VMEM_CAP_MAX_MEMSLOTS	6	/* memory slots per VM */
#define VMEM_CAP_MAX_MEM_MB	7	/* guest-physical memory per VM, MiB */
#define VMEM_CAP_NR_CPUS	8	/* host CPUs with virtualization on */
/* 9: VMEM_CAP_RUN_SIZE, below */

#define VMEM_BACKEND_SVM	1
#define VMEM_BACKEND_VMX	2

/**
 * struct vmem_limits - static limits of this vmem instance
 * @flags:		in: zero; reserved for future use
 * @max_vms:		VMs that may exist at once, host-wide
 * @max_vcpus:		vCPUs per VM (ids 0 .. max_vcpus - 1)
 * @max_memslots:	memory slots per VM (ids 0 .. max_memslots - 1)
 * @max_mem_bytes:	guest-physical memory per VM, in bytes
 * @max_gpa_bits:	highest guest-physical address width supported
 * @pad:		zero
 * @reserved:		zero
 */
struct vmem_limits {
	__u32 flags;
	__u32 max_vms;
	__u32 max_vcpus;
	__u32 max_memslots;
	__u64 max_mem_bytes;
	__u32 max_gpa_bits;
	__u32 pad;
	__u64 reserved[4];
};

/* ---------------------------------------------------------------------- */
/* Creating VMs                                                            */

/*
 * System ioctl.  The argument is VMEM_VM_* flags; returns a VM fd.
 * Unknown flag bits: -EINVAL.  An MMU the host cannot offer: -EOPNOTSUPP.
 */
#define VMEM_CREATE_VM		_IO(VMEMIO, 0x03)

#define VMEM_VM_MMU_AUTO	0x0	/* hardware-assisted if usable, else shadow */
#define VMEM_VM_MMU_HW		0x1	/* NPT/EPT */
#define VMEM_VM_MMU_SHADOW	0x2	/* shadow page tables */
#define VMEM_VM_MMU_MASK	0x3

/* Size of the vCPU fd's mmap()able run area (struct vmem_run), in bytes. */
#define VMEM_CAP_RUN_SIZE	9
/* 1: transparent page sharing (VMEM_PSHARE, sharing statistics). */
#define VMEM_CAP_PSHARE		10
/*
 * The MMU modes whose VMs can run real mode (CR0.PE=0): VMEM_VM_MMU_HW
 * and/or VMEM_VM_MMU_SHADOW, ORed.  VMX runs real mode only with
 * unrestricted guest, which needs EPT.
 */
#define VMEM_CAP_REAL_MODE	11
/*
 * The hypercalls vmem answers in the kernel (VMEM_HC_*, below): bit n set
 * when VMEM_HC_BASE + n is one, the same bits the guest's
 * VMEM_HC_FEATURES returns; 0 when vmem answers none.
 */
#define VMEM_CAP_HYPERCALLS	12
/* 13: VMEM_CAP_BACKING, below */
/* Highest VMEM_CAP_* number this header knows. */
#define VMEM_CAP_MAX		13

/* ---------------------------------------------------------------------- */
/* VM ioctls: on a VM fd                                                   */

/**
 * struct vmem_memslot - one range of guest-physical RAM
 * @slot:	slot id, 0 .. max_memslots - 1
 * @flags:	VMEM_MEMSLOT_* flags
 * @gpa:	first guest-physical address, page aligned
 * @size:	bytes, page aligned; 0 deletes the slot (its memory is freed)
 * @reserved:	zero
 *
 * A slot is created empty: machine pages are allocated on first touch,
 * by the guest or through the VMM's mapping.  Changing an existing slot
 * means deleting it and creating it again.  Slots may not overlap.
 */
struct vmem_memslot {
	__u32 slot;
	__u32 flags;
	__u64 gpa;
	__u64 size;
	__u64 reserved[5];
};

#define VMEM_MEMSLOT_READONLY	(1u << 0)	/* guest writes exit as MMIO */
#define VMEM_MEMSLOT_SMALL_PAGES (1u << 1)	/* never 2 MiB at first touch */

#define VMEM_SET_MEMSLOT	_IOW(VMEMIO, 0x10, struct vmem_memslot)

/* vCPU id as argument; returns a vCPU fd. */
#define VMEM_CREATE_VCPU	_IO(VMEMIO, 0x11)

/**
 * struct vmem_vm_stats - memory statistics of one VM, in 4 KiB pages
 * @flags:	in: zero
 * @pad:	in: zero
 * @granted:	guest pages backed by machine memory
 * @consumed:	machine pages charged to this VM (a page with n references
 *		counts 1/n; here rounded down, see consumed_frac)
 * @shared:	guest pages whose machine page has more than one reference
 * @zero:	guest pages backed by the shared zero frame
 * @swapped:	guest pages in the VM's swap file
 * @overhead:	pages vmem uses for the VM itself (page tables, control
 *		blocks, p2m)
 * @configured:	guest pages covered by memory slots
 * @consumed_frac: the fraction of a page in Consumed beyond @consumed, in
 *		units of 2^-32 page (each reference's 1/n rounded down)
 * @scanned:	pages the sharing daemon hashed
 * @volatile_pages: visits that found the hash changed since the last one
 * @cow_breaks:	writes that broke sharing (copy-on-write)
 * @full_scans:	full passes of the daemon over the VM
 * @share_flags: VMEM_STATS_* bits
 * @pad2:	zero
 * @reserved:	zero on output, for future statistics
 *
 * Only @flags, @pad, @pad2 and @reserved are checked on input (zero, else
 * -EINVAL); the statistics are output only.
 */
struct vmem_vm_stats {
	__u32 flags;
	__u32 pad;
	__u64 granted;
	__u64 consumed;
	__u64 shared;
	__u64 zero;
	__u64 swapped;
	__u64 overhead;
	__u64 configured;
	__u64 consumed_frac;
	__u64 scanned;
	__u64 volatile_pages;
	__u64 cow_breaks;
	__u64 full_scans;
	__u32 share_flags;
	__u32 pad2;
	__u64 reserved[2];
};

#define VMEM_STATS_CONVERGED	(1u << 0)	/* two full passes, no merge */
#define VMEM_STATS_PSHARE	(1u << 1)	/* pshare.enable is on */

#define VMEM_GET_VM_STATS	_IOWR(VMEMIO, 0x12, struct vmem_vm_stats)

/**
 * struct vmem_pshare - transparent page sharing settings of one VM
 * @flags:	in: VMEM_PSHARE_SET_* for the fields to change (0 only
 *		reads them)
 * @enable:	pshare.enable: 1 (the default) lets the sharing daemon
 *		merge the VM's pages, 0 stops new merges; in: 0 or 1 with
 *		VMEM_PSHARE_SET_ENABLE, else ignored; out: the setting
 * @salt:	pshare.salt: pages are shared only between VMs with equal
 *		salts and the same owner (the uid that created the VM),
 *		or between VMs an administrator gave the same host-wide
 *		salt (VMEM_PSHARE_HOST_SALT); a VM starts with a random
 *		salt of its own; in: with VMEM_PSHARE_SET_SALT, else
 *		ignored; out: the setting
 * @reserved:	zero
 *
 * VMEM_PSHARE_HOST_SALT (with VMEM_PSHARE_SET_SALT only; needs
 * CAP_SYS_ADMIN, else EPERM) makes the salt host-wide: VMs of different
 * owners with the same host-wide salt share pages.  Pages already shared
 * stay shared after a change, until written.
 */
struct vmem_pshare {
	__u32 flags;
	__u32 enable;
	__u64 salt;
	__u64 reserved[4];
};

#define VMEM_PSHARE_SET_ENABLE	(1u << 0)
#define VMEM_PSHARE_SET_SALT	(1u << 1)
#define VMEM_PSHARE_HOST_SALT	(1u << 2)	/* administrator: any owner */

#define VMEM_PSHARE		_IOWR(VMEMIO, 0x13, struct vmem_pshare)

/*
 * The VM's id in the netlink control plane (<linux/vmem_netlink.h>):
 * returns it (>= 1, fixed for the VM's life, not reused soon).  The
 * argument must be 0.
 */
#define VMEM_GET_VM_ID		_IO(VMEMIO, 0x18)

/**
 * struct vmem_vm_name - the VM's name in the control plane
 * @flags:	zero
 * @pad:	zero
 * @name:	1 to VMEM_VM_NAME_MAX - 1 characters of [A-Za-z0-9._:-],
 *		NUL-terminated (an unterminated name is -EINVAL)
 * @reserved:	zero
 */
#define VMEM_VM_NAME_MAX	32
struct vmem_vm_name {
	__u32 flags;
	__u32 pad;
	char name[VMEM_VM_NAME_MAX];
	__u64 reserved[4];
};

#define VMEM_SET_VM_NAME	_IOW(VMEMIO, 0x19, struct vmem_vm_name)

/**
 * struct vmem_swap_file - the file vmem swaps the VM's pages out to
 * @fd:		in: a regular file opened read-write (not O_APPEND), on a
 *		filesystem that supports reads and writes at any offset
 * @flags:	zero
 * @reserved:	zero
 *
 * The VMM's hypervisor-swap file (ESX's .vswp): when the VM or a pool
 * above it would pass its limit, or the host has no free guest memory,
 * vmem writes the VM's own pages there and reads them back, with their
 * exact content, when the guest or the VMM touches them again.  vmem
 * holds its own reference to the file; the VMM may close the fd.
 */
struct vmem_swap_file {
	__s32 fd;
	__u32 flags;
	__u64 reserved[3];
};

#define VMEM_SET_SWAP_FILE	_IOW(VMEMIO, 0x1a, struct vmem_swap_file)

/**
 * struct vmem_hypercalls - vmem's in-kernel hypercalls for one VM
 * @flags:	in: VMEM_HYPERCALLS_SET_ENABLE to change @enable (0 only
 *		reads the setting)
 * @enable:	1 (the default): the guest's hypercalls with a number in
 *		vmem's range are answered in the kernel; 0: every hypercall
 *		from CPL 0 exits VMEM_EXIT_HYPERCALL.  In: 0 or 1 with
 *		VMEM_HYPERCALLS_SET_ENABLE, else ignored; out: the setting
 * @reserved:	zero
 */
struct vmem_hypercalls {
	__u32 flags;
	__u32 enable;
	__u64 reserved[3];
};

#define VMEM_HYPERCALLS_SET_ENABLE	(1u << 0)

#define VMEM_HYPERCALLS		_IOWR(VMEMIO, 0x1b, struct vmem_hypercalls)

/* ---------------------------------------------------------------------- */
/* VM ioctls: the backing and its guest-physical mappings                 */

/*
 * Guest memory that lives in the VM's backing, independent of where the
 * guest sees it: one backing range may be mapped at several guest-
 * physical addresses, unmapped and mapped again without losing its
 * contents, and the VMM mmap()s the VM fd at the backing offset.
 * Documentation/api.rst, sections 4.14 to 4.17 and 6.
 *
 * The number of guest-physical mappings a VM may have (besides its
 * slots); 0 when the backing ioctls are not there.
 */
#define VMEM_CAP_BACKING	13

/**
 * struct vmem_backing - a range of the VM's backing
 * @offset:	first byte, page aligned
 * @size:	bytes, page aligned
 * @flags:	zero
 * @pad:	zero
 * @reserved:	zero
 *
 * VMEM_SET_BACKING makes the backing [@offset, @offset + @size) (usually
 * offset 0; elsewhere when legacy slots use low offsets, as their own
 * backing offset is their guest-physical address).  VMEM_DISCARD_BACKING
 * frees the contents of [@offset, @offset + @size), which read as zeros
 * afterwards.
 */
struct vmem_backing {
	__u64 offset;
	__u64 size;
	__u32 flags;
	__u32 pad;
	__u64 reserved[4];
};

/**
 * struct vmem_memory_map - a guest-physical mapping of backing memory
 * @gpa:	first guest-physical address, page aligned
 * @size:	bytes, page aligned, nonzero
 * @offset:	backing offset, page aligned (VMEM_UNMAP_MEMORY: zero)
 * @flags:	VMEM_MAP_* (VMEM_UNMAP_MEMORY: zero)
 * @pad:	zero
 * @reserved:	zero
 */
struct vmem_memory_map {
	__u64 gpa;
	__u64 size;
	__u64 offset;
	__u32 flags;
	__u32 pad;
	__u64 reserved[4];
};

#define VMEM_MAP_READONLY	(1u << 0)	/* guest writes exit as MMIO */
#define VMEM_MAP_SMALL_PAGES	(1u << 1)	/* never 2 MiB at first touch */

#define VMEM_SET_BACKING	_IOW(VMEMIO, 0x40, struct vmem_backing)
#define VMEM_DISCARD_BACKING	_IOW(VMEMIO, 0x41, struct vmem_backing)
#define VMEM_MAP_MEMORY		_IOW(VMEMIO, 0x42, struct vmem_memory_map)
#define VMEM_UNMAP_MEMORY	_IOW(VMEMIO, 0x43, struct vmem_memory_map)

/*
 * Hypercalls vmem answers in the kernel: VMMCALL (or VMCALL) at CPL 0
 * with RAX (EAX outside 64-bit mode) in [VMEM_HC_BASE, VMEM_HC_BASE +
 * VMEM_HC_RANGE), while enabled (VMEM_HYPERCALLS).  Every other number
 * exits VMEM_EXIT_HYPERCALL.  The result is in RAX (zero-extended EAX
 * outside 64-bit mode): >= 0 success, negative -VMEM_HC_E* (KVM's
 * values).  Documentation/api.rst, section 5.7.
 */
#define VMEM_HC_BASE		0x564d0000	/* "VM" */
#define VMEM_HC_RANGE		0x10000

#define VMEM_HC_PING		(VMEM_HC_BASE + 0)	/* RAX = 0 */
#define VMEM_HC_FEATURES	(VMEM_HC_BASE + 1)	/* RAX = VMEM_CAP_HYPERCALLS */
/* RBX = 0 (flags); RAX = 0, RBX = Configured, RCX = Granted pages */
#define VMEM_HC_MEM_INFO	(VMEM_HC_BASE + 2)

#define VMEM_HC_EPERM		1	/* from CPL > 0 (any number) */
#define VMEM_HC_EINVAL		22	/* a bad argument */
#define VMEM_HC_ENOSYS		1000	/* a number in the range vmem lacks */

/* ---------------------------------------------------------------------- */
/* vCPU state                                                              */

/**
 * struct vmem_regs - general-purpose registers, RIP and RFLAGS of a vCPU
 * @flags:	in: zero; out: zero
 * @pad:	zero
 * @rax, ...:	the registers
 * @rflags:	reserved bits must hold their fixed values on SET
 * @reserved:	zero
 *
 * Input to VMEM_SET_REGS and to VMEM_RUN through run->s.regs with
 * VMEM_SYNC_REGS in run->sync_dirty: a nonzero @flags, @pad or @reserved
 * is -EINVAL there, before anything changes.
 */
struct vmem_regs {
	__u32 flags;
	__u32 pad;
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
	__u64 reserved[4];
};

/**
 * struct vmem_segment - a segment register, hidden part included
 * @base, @limit, @selector: as loaded
 * @type:	descriptor type (4 bits)
 * @s, @dpl, @present, @avl, @l, @db, @g: descriptor bits
 * @unusable:	1 for a null/unusable segment
 */
struct vmem_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8 type;
	__u8 s;
	__u8 dpl, present, avl, l, db, g, unusable;
	__u8 pad;
};

struct vmem_dtable {
	__u64 base;
	__u16 limit;
	__u16 pad[3];
};

/**
 * struct vmem_sregs - system state of a vCPU
 * @flags:	zero
 * @pad:	zero
 * @cs, ...:	segment registers
 * @gdt, @idt:	descriptor tables
 * @cr0, @cr2, @cr3, @cr4, @cr8, @efer: control registers and EFER
 * @apic_base:	IA32_APIC_BASE
 * @reserved:	zero
 *
 * SET refuses states the hardware would refuse (e.g. EFER.LMA without
 * CR0.PG, reserved CR0/CR4/EFER bits, CR0.NW without CR0.CD) with -EINVAL
 * before anything changes.
 */
struct vmem_sregs {
	__u32 flags;
	__u32 pad;
	struct vmem_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct vmem_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	__u64 reserved[8];
};

struct vmem_debugregs {
	__u64 db[4];
	__u64 dr6, dr7;
	__u32 flags;
	__u32 pad;
	__u64 reserved[4];
};

/**
 * struct vmem_fpu - x87/SSE/AVX state in XSAVE standard (non-compacted)
 * format
 * @flags:	zero
 * @pad:	zero
 * @xcr0:	the guest's XCR0
 * @reserved:	zero
 * @xsave:	the XSAVE area; bytes past what xcr0 needs are ignored on SET
 *		and zero on GET
 */
struct vmem_fpu {
	__u32 flags;
	__u32 pad;
	__u64 xcr0;
	__u64 reserved[6];
	__u8 xsave[4096];
};

struct vmem_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

/**
 * struct vmem_msrs - a list of MSRs to read or write
 * @nmsrs:	entries that follow (at most 256)
 * @flags:	zero
 * @reserved:	zero
 *
 * GET/SET process entries in order and return how many succeeded; an MSR
 * vmem does not virtualize, or a value the MSR refuses, stops the list.
 */
struct vmem_msrs {
	__u32 nmsrs;
	__u32 flags;
	__u64 reserved;
	struct vmem_msr_entry entries[];
};

/**
 * struct vmem_cpuid_entry - what the guest's CPUID returns for one leaf
 * @function, @index: the leaf (EAX) and subleaf (ECX)
 * @flags:	VMEM_CPUID_SIGNIFICANT_INDEX if @index matters
 */
struct vmem_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 reserved[3];
};

#define VMEM_CPUID_SIGNIFICANT_INDEX	(1u << 0)

/**
 * struct vmem_cpuid - a CPUID table (at most 256 entries)
 * @nent:	entries that follow
 * @flags:	zero
 * @reserved:	zero
 */
struct vmem_cpuid {
	__u32 nent;
	__u32 flags;
	__u64 reserved;
	struct vmem_cpuid_entry entries[];
};

/* On the system fd: what vmem can offer guests (the host's CPUID, filtered). */
#define VMEM_GET_SUPPORTED_CPUID _IOWR(VMEMIO, 0x04, struct vmem_cpuid)

/**
 * struct vmem_event - an event to inject at the next guest entry
 * @type:	VMEM_EVENT_*
 * @vector:	interrupt or exception vector
 * @flags:	VMEM_EVENT_ERROR_CODE if @error_code is delivered
 * @error_code: for exceptions that push one
 * @reserved:	zero
 *
 * External interrupts need the guest to accept one
 * (run->ready_for_interrupt) else -EBUSY; request an interrupt-window exit
 * with run->request_interrupt_window.  One NMI may be pending; a second
 * one while it is pending is merged, as on hardware.
 */
struct vmem_event {
	__u32 type;
	__u32 vector;
	__u32 flags;
	__u32 error_code;
	__u64 reserved[2];
};

#define VMEM_EVENT_EXTINT	1
#define VMEM_EVENT_NMI		2
#define VMEM_EVENT_EXCEPTION	3

#define VMEM_EVENT_ERROR_CODE	(1u << 0)

/* ---------------------------------------------------------------------- */
/* vCPU ioctls: on a vCPU fd                                               */

#define VMEM_RUN		_IO(VMEMIO, 0x20)
#define VMEM_GET_REGS		_IOR(VMEMIO, 0x21, struct vmem_regs)
#define VMEM_SET_REGS		_IOW(VMEMIO, 0x22, struct vmem_regs)
#define VMEM_GET_SREGS		_IOR(VMEMIO, 0x23, struct vmem_sregs)
#define VMEM_SET_SREGS		_IOW(VMEMIO, 0x24, struct vmem_sregs)
#define VMEM_GET_DEBUGREGS	_IOR(VMEMIO, 0x25, struct vmem_debugregs)
#define VMEM_SET_DEBUGREGS	_IOW(VMEMIO, 0x26, struct vmem_debugregs)
#define VMEM_GET_FPU		_IOR(VMEMIO, 0x27, struct vmem_fpu)
#define VMEM_SET_FPU		_IOW(VMEMIO, 0x28, struct vmem_fpu)
#define VMEM_GET_MSRS		_IOWR(VMEMIO, 0x29, struct vmem_msrs)
#define VMEM_SET_MSRS		_IOW(VMEMIO, 0x2a, struct vmem_msrs)
#define VMEM_SET_CPUID		_IOW(VMEMIO, 0x2b, struct vmem_cpuid)
#define VMEM_INJECT		_IOW(VMEMIO, 0x2c, struct vmem_event)
/*
 * Callable from any thread: sets run->stop and makes the vCPU leave the
 * guest (IPI), so VMEM_RUN returns VMEM_EXIT_STOPPED promptly; a vCPU
 * sleeping in VMEM_RUN for memory stops at the check before its next entry.
 * A kick that lands before VMEM_RUN is not lost: the flag stays set until
 * the VMM clears it.
 */
#define VMEM_KICK		_IO(VMEMIO, 0x2d)

/* ---------------------------------------------------------------------- */
/* The run area: mmap() of a vCPU fd, offset 0, VMEM_CAP_RUN_SIZE bytes   */

/* Exit reasons (run->exit_reason). */
#define VMEM_EXIT_NONE		0
#define VMEM_EXIT_IO		1	/* port I/O, see run->io */
#define VMEM_EXIT_MMIO		2	/* access outside RAM, see run->mmio */
#define VMEM_EXIT_HLT		3	/* HLT with no event pending */
#define VMEM_EXIT_HYPERCALL	4	/* VMMCALL/VMCALL, see run->hypercall */
#define VMEM_EXIT_SHUTDOWN	5	/* triple fault or shutdown */
#define VMEM_EXIT_IRQ_WINDOW	6	/* the guest can take an interrupt */
#define VMEM_EXIT_FAIL_ENTRY	7	/* the hardware refused the state */
#define VMEM_EXIT_INTERNAL	8	/* vmem could not handle an exit */
#define VMEM_EXIT_STOPPED	9	/* run->stop was set */
#define VMEM_EXIT_MSR		10	/* MSR access outside the allowed set */

/* run->internal.suberror */
#define VMEM_INTERNAL_EMULATION	1	/* instruction not decodable */
#define VMEM_INTERNAL_UNEXPECTED 2	/* unknown hardware exit code */

/* Register groups for run->sync_*. */
#define VMEM_SYNC_REGS		(1u << 0)	/* run->s.regs */
#define VMEM_SYNC_SREGS		(1u << 1)	/* run->s.sregs */
#define VMEM_SYNC_ALL		(VMEM_SYNC_REGS | VMEM_SYNC_SREGS)

#define VMEM_IO_IN		0
#define VMEM_IO_OUT		1

/**
 * struct vmem_run - the area shared between a vCPU and its VMM
 *
 * In (VMM → vmem), read at every VMEM_RUN:
 * @stop:		nonzero: return VMEM_EXIT_STOPPED before entering, or
 *			as soon as possible if already in the guest (the VMM
 *			sets it, then sends the vCPU thread a signal or calls
 *			VMEM_KICK: see Documentation/api.rst)
 * @request_interrupt_window: nonzero: exit VMEM_EXIT_IRQ_WINDOW as soon as
 *			the guest can take an external interrupt
 * @sync_wanted:	register groups to copy into @s at every exit
 * @sync_dirty:		register groups the VMM changed in @s; loaded at the
 *			next VMEM_RUN, then cleared by vmem
 * @pad0, @pad1:	zero (VMEM_RUN fails with -EINVAL otherwise)
 *
 * Out (vmem → VMM), valid after VMEM_RUN returns:
 * @exit_reason:	VMEM_EXIT_*
 * @ready_for_interrupt: the guest can take an external interrupt now
 * @if_flag:		RFLAGS.IF
 * @sync_valid:		register groups in @s that are current
 * @cr8:		the guest's TPR
 * @apic_base:		IA32_APIC_BASE
 */
struct vmem_run {
	/* in */
	__u8 stop;
	__u8 request_interrupt_window;
	__u8 pad0[2];
	__u32 sync_wanted;
	__u32 sync_dirty;
	__u32 pad1;
	/* out */
	__u32 exit_reason;
	__u8 ready_for_interrupt;
	__u8 if_flag;
	__u8 pad2[2];
	__u32 sync_valid;
	__u32 pad3;
	__u64 cr8;
	__u64 apic_base;
	__u64 reserved[8];

	union {
		/* VMEM_EXIT_IO: @count items of @size bytes at @data_offset
		 * bytes from the start of the run area; for IN, the VMM
		 * writes them there before the next VMEM_RUN. */
		struct {
			__u8 direction;		/* VMEM_IO_IN / VMEM_IO_OUT */
			__u8 size;		/* 1, 2 or 4 */
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		/* VMEM_EXIT_MMIO: for reads, the VMM fills @data. */
		struct {
			__u64 gpa;
			__u8 data[8];
			__u32 len;		/* 1, 2, 4 or 8 */
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		/* VMEM_EXIT_HYPERCALL: @nr from RAX, @args from RBX, RCX,
		 * RDX, RSI, RDI; @ret goes to RAX at the next entry. */
		struct {
			__u64 nr;
			__u64 args[5];
			__u64 ret;
		} hypercall;
		/* VMEM_EXIT_MSR: rdmsr or wrmsr of an MSR outside vmem's
		 * set; for reads the VMM fills @data; @error nonzero
		 * injects #GP instead. */
		struct {
			__u32 index;
			__u8 is_write;
			__u8 error;
			__u8 pad[2];
			__u64 data;
		} msr;
		/* VMEM_EXIT_FAIL_ENTRY: the backend's reason code. */
		struct {
			__u64 hardware_reason;
			__u64 qualification;
		} fail_entry;
		/* VMEM_EXIT_INTERNAL */
		struct {
			__u32 suberror;
			__u32 insn_len;
			__u8 insn[16];
			__u64 hardware_exit;
			__u64 gpa;
		} internal;
		__u8 exit_pad[256];
	};

	/* Register state, synced as sync_wanted/sync_valid/sync_dirty say. */
	struct {
		struct vmem_regs regs;
		struct vmem_sregs sregs;
	} s;
};

/* Data of VMEM_EXIT_IO lives in the run area from this offset. */
#define VMEM_RUN_IO_DATA_OFFSET	2048
#define VMEM_RUN_IO_DATA_SIZE	2048

#endif /* _UAPI_LINUX_VMEM_H */
