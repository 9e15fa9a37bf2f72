/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmem_vm.h - VMs and vCPUs: the objects behind the VM and vCPU fds, and
 * the services the core offers the backends (guest memory, the TDP MMU,
 * exits to the VMM, and x86 helpers shared by SVM and VMX).
 *
 * The core never asks which backend runs; the backends never touch the
 * p2m, the slots or the TDP tables except through the functions below.
 *
 * Protection annotations (see also vmem_core.h):
 *   [I] immutable after creation      [a] atomic / READ_ONCE-WRITE_ONCE
 *   [m] vm->lock (mutex)              [s] vm->slots_lock (rwsem)
 *   [x] the p2m xarray's xa_lock      [u] vm->mmu_lock (spinlock)
 *   [v] the vCPU: only under vcpu->mutex (held by every vCPU-fd ioctl)
 *   [k] kick protocol, see vmem_vcpu_kick()
 */
#ifndef _VMEM_VM_H
#define _VMEM_VM_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <linux/vmem.h>

struct vmem_vm;
struct vmem_vcpu;
struct vmem_pool_vm;
struct vmem_share_vm;
struct vmem_reclaim_vm;
struct page;

/* ---------------------------------------------------------------------- */
/* Memory slots and the p2m (vmem_mem.c)                                  */

/**
 * struct vmem_slot - one guest-physical RAM range and the backing behind it
 * @id:		slot id chosen by the VMM (VMEM_SET_MEMSLOT), or
 *		VMEM_SLOT_MAP for a mapping of the backing (VMEM_MAP_MEMORY)
 * @flags:	VMEM_MEMSLOT_* (the VMEM_MAP_* flags have the same values)
 * @base_gfn:	first guest frame
 * @npages:	frames in the slot
 * @base_bidx:	backing page index of @base_gfn: equal to it for a slot
 *		(identity), inside the sized backing for a mapping
 */
struct vmem_slot {
	u32 id;
	u32 flags;
	u64 base_gfn;
	u64 npages;
	u64 base_bidx;
};

/* The id of a mapping: slot ids stay below max_memslots. */
#define VMEM_SLOT_MAP		U32_MAX

/*
 * Guest memory lives in the VM's backing, a space of page indices:
 * vm->p2m is an xarray indexed by backing index (bidx), and the VMM's
 * mmap() offset of the VM fd is the backing offset (bidx << PAGE_SHIFT).
 * Guest-physical addresses reach it through vm->slots, each a gfn range
 * onto a bidx range.  A legacy slot (VMEM_SET_MEMSLOT) owns the backing
 * range equal to its own gfn range and frees it with itself; a mapping
 * (VMEM_MAP_MEMORY) points into the backing VMEM_SET_BACKING sized,
 * [vm->backing_base, + vm->backing_pages), whose contents outlive every
 * mapping.  The two
 * backing ranges never overlap (creating either refuses it), so a bidx is
 * either some slot's own page or a page of the sized backing.
 *
 * An absent p2m entry is "untouched"; the others are private, shared,
 * zero and swapped, encoded as vmem_share.h describes.  Nobody but
 * vmem_mem.c and the sharing daemon (vmem_share.c) reads the xarray
 * directly; reclaim and swap (reclaim.c, swap.c) change entries through
 * their helpers.
 */

/* Result of vmem_gpa_lookup(): what backs a guest-physical address. */
enum vmem_gpa_kind {
	VMEM_GPA_RAM,		/* RAM, writable by the guest */
	VMEM_GPA_ROM,		/* RAM in a read-only slot */
	VMEM_GPA_MMIO,		/* no slot: device space, exit to the VMM */
};

/*
 * Look up what backs @gpa.  Takes slots_lock for read (callers must not
 * hold it); the answer may be stale by the time it is used, the fault
 * paths check again under the lock.
 */
enum vmem_gpa_kind vmem_gpa_lookup(struct vmem_vm *vm, u64 gpa);

/*
 * The machine page behind guest frame @gfn, allocated, zeroed and charged
 * on first touch.  Returns the page with a reference held (put_page() it), or an
 * ERR_PTR: -EFAULT outside RAM, -ENOMEM.  May sleep.  The page may be a
 * shared or the zero frame: read it only (writers use vmem_write_guest(),
 * which breaks sharing).
 */
struct page *vmem_p2m_get_page(struct vmem_vm *vm, u64 gfn);

/*
 * Copy to/from guest-physical memory, touching (allocating) pages as
 * needed.  Return 0, -EFAULT if part of the range is not RAM, -ENOMEM.
 * May sleep.
 */
int vmem_read_guest(struct vmem_vm *vm, u64 gpa, void *buf, size_t len);
int vmem_write_guest(struct vmem_vm *vm, u64 gpa, const void *buf, size_t len);

/*
 * The one invalidation entry point (DESIGN.md): before any p2m change of
 * backing pages [@bidx, @bidx + @npages), drop every derived mapping: the
 * TDP and shadow entries of every guest-physical range mapping them
 * (found by a linear scan of vm->slots: a VM has few), after which every
 * vCPU has left the guest and will flush its TLB before it runs again,
 * and the VMM's mappings of the VM fd at those backing offsets.  Then
 * change the p2m, then call vmem_invalidate_end().  Between the two, TDP
 * and shadow faults retry instead of mapping (the mmu_seq protocol).
 *
 * May sleep (unmap_mapping_range(), waiting IPIs).  The caller holds
 * vm->slots_lock for write, which also keeps VMM-mapping faults out (they
 * read the p2m and install the PTE under slots_lock for read).
 * Core-internal: backends never call these.
 */
void vmem_invalidate_range(struct vmem_vm *vm, u64 bidx, u64 npages);
void vmem_invalidate_end(struct vmem_vm *vm);

/* ---------------------------------------------------------------------- */
/* The TDP MMU: NPT and EPT tables built from the p2m (mmu/tdp.c)         */

/**
 * struct vmem_tdp_format - the PTE format of one backend's nested tables
 * @present_mask:	bits that make an entry present (NPT: P; EPT: R)
 * @table_bits:		bits for a non-leaf entry pointing to a table
 * @leaf_bits:		bits for a 4 KiB leaf, readable and executable
 * @write_bit:		the write-permission bit
 * @large_bit:		the page-size bit in a level-2 entry (2 MiB leaf)
 * @ad_bits:		accessed/dirty bits to set up front, 0 if none
 * @root_level:		levels the CPU walks: 4 for EPT (the EPTP says so),
 *			4 or 5 for NPT (the host's paging levels, set at
 *			hardware setup)
 *
 * The walker and builder are shared; only these bits differ.
 */
struct vmem_tdp_format {
	u64 present_mask;
	u64 table_bits;
	u64 leaf_bits;
	u64 write_bit;
	u64 large_bit;
	u64 ad_bits;
	int root_level;
};

/* Return of vmem_tdp_fault(). */
#define VMEM_FAULT_RETRY	0	/* mapped (or raced): enter again */
#define VMEM_FAULT_MMIO		1	/* not RAM (or a write to ROM) */

/*
 * Resolve a nested page fault at @gpa.  @write: the access was a write.
 * Returns VMEM_FAULT_RETRY, VMEM_FAULT_MMIO, or -errno.  May sleep.
 */
int vmem_tdp_fault(struct vmem_vcpu *vcpu, u64 gpa, bool write);

/* Physical address of the VM's TDP root table (for nCR3 / EPTP).  [I] */
u64 vmem_tdp_root_hpa(struct vmem_vm *vm);

/* ---------------------------------------------------------------------- */
/* The shadow MMU: guest-virtual -> machine tables per vCPU (mmu/shadow.c) */

/*
 * For VMs with mmu_mode VMEM_VM_MMU_SHADOW.  Each vCPU has its own shadow
 * tree, a virtual TLB: it caches translations of the guest's tables
 * through the p2m and may drop any of them at any time.  The backend runs
 * the guest on it with paging always on (CR0.PG, CR0.WP forced; CR4.PAE
 * forced: guests without long mode run on PAE shadow tables, and EFER.LME
 * follows the guest's LMA), keeps the guest's own CR0/CR3/CR4/EFER for the
 * guest's reads, and tells the shadow MMU what the guest does:
 *
 *  - vmem_shadow_reset(): paging state changed (CR0.PG/WP, CR4.PAE/PSE/
 *    PGE/SMEP, EFER.NXE/LMA, set_sregs): every translation is dropped,
 *    global ones included; the tree's format follows EFER.LMA.
 *  - vmem_shadow_new_cr3(): a MOV to CR3: non-global translations dropped.
 *  - vmem_shadow_invlpg(): INVLPG/INVLPGA of one address; @gva ~0 when
 *    the backend cannot tell which (drops everything).
 *  - vmem_shadow_page_fault(): an intercepted #PF.
 *
 * Each of them leaves VMEM_REQ_TLB_FLUSH set when the hardware TLB must
 * be flushed before the next entry.  All under vcpu->mutex.
 */
int vmem_shadow_vcpu_init(struct vmem_vcpu *vcpu);
void vmem_shadow_vcpu_destroy(struct vmem_vcpu *vcpu);
/* Root of the tree for the hardware's CR3. */
u64 vmem_shadow_root_hpa(struct vmem_vcpu *vcpu);
void vmem_shadow_reset(struct vmem_vcpu *vcpu, bool long_mode);
void vmem_shadow_new_cr3(struct vmem_vcpu *vcpu);
void vmem_shadow_invlpg(struct vmem_vcpu *vcpu, u64 gva);
/*
 * Resolve an intercepted #PF at @gva with hardware error code @ec:
 * VMEM_FAULT_RETRY (mapped, raced, or a guest #PF queued with its own
 * error code and CR2), VMEM_FAULT_MMIO with *@gpa (a data access to
 * device memory, or a write to ROM), -EFAULT with *@gpa when the guest's
 * tables or code lie outside RAM, or -errno.  May sleep.
 */
int vmem_shadow_page_fault(struct vmem_vcpu *vcpu, u64 gva, u32 ec, u64 *gpa);

/*
 * The hardware's view of the guest's paging registers under the shadow
 * MMU (see above).  CR4.PSE is moot with PAE on.
 */
static inline void vmem_shadow_hw_regs(u64 cr0, u64 cr4, u64 efer,
				       u64 *hcr0, u64 *hcr4, u64 *hefer)
{
	*hcr0 = cr0 | X86_CR0_PG | X86_CR0_WP;
	*hcr4 = cr4 | X86_CR4_PAE;
	*hefer = (efer & EFER_LMA) ? efer : efer & ~EFER_LME;
}

/* ---------------------------------------------------------------------- */
/* The VM                                                                 */

/**
 * struct vmem_vm - a virtual machine
 * @ref:		the VM fd and each vCPU hold one (VMM mappings hold
 *			the VM file, hence the VM fd's reference)  [a]
 * @lock:		serializes configuration (slots, vCPU creation)
 * @owner:		the creator's effective uid: whose VM it is for the
 *			control plane's visibility and for sharing groups
 *			(Documentation/api.rst, "Who may see and do what"),
 *			and whose VM count (vmem_user.c) it is given back to
 *			when the VM is freed  [I]
 * @mmu_mode:		VMEM_VM_MMU_HW or VMEM_VM_MMU_SHADOW  [I]
 * @slots_lock:		faults read, SET_MEMSLOT writes
 * @slots:		slots and mappings, sorted by base_gfn, @nr_slots in
 *			use  [s]
 * @nr_maps:		of which mappings (VMEM_SLOT_MAP)  [s]
 * @backing_base, @backing_pages: first index and size of the backing
 *			mappings point into (VMEM_SET_BACKING)  [s]
 * @configured:		pages of backing the VM may use: its slots' plus
 *			@backing_pages (an aliased page counts once)  [s]
 *			to write, [a] read
 * @p2m:		bidx -> machine page; changed under the xarray's own
 *			lock (xa_lock), which is also held while taking a
 *			page reference, so a lookup never races a removal.
 *			Removing a machine page (slot deletion, a discard,
 *			teardown, a merge, a swap-out) also needs
 *			@slots_lock for write;
 *			adding one (first touch, swap-in) only for read.
 * @granted:		guest pages in a backed state (swapped ones are
 *			not)  [a]
 * @overhead:		pages vmem uses for this VM (tables, VMCB/VMCS, run
 *			areas); backends add their own per-VM/per-vCPU pages
 *			here and subtract them when freed  [a]
 * @inode:		the VM fd's own inode; its mapping is zapped by
 *			vmem_invalidate_range().  The VM holds a reference,
 *			so it outlives the file for late invalidations  [I]
 * @mmu_lock:		protects the TDP tables
 * @mmu_seq:		bumped by every invalidation, so a fault that
 *			raced with one retries  [u] to write, READ_ONCE
 * @mmu_invalidating:	invalidations in progress (begin..end)  [u]
 * @tdp:		the TDP tree (root and format)  [u]
 * @hypercalls_off:	the VMM turned vmem's in-kernel hypercalls off
 *			(VMEM_HYPERCALLS): every CPL-0 hypercall exits.
 *			False, the default, as the VM is allocated  [a]
 * @nr_vcpus:		vCPUs created  [m]
 * @vcpus:		by id, max_vcpus entries  [m] to write, READ_ONCE
 * @pool_vm:		the VM's resource settings and place in the pool
 *			tree (pool.h); set at creation, before the fd
 *			exists, cleared at teardown  [I]
 * @share:		the sharing daemon's view of the VM (vmem_share.c)  [I]
 * @reclaim:		charges, reclaim and the swap file (reclaim.h)  [I]
 * @backend:		backend-private per-VM data  [I]
 */
struct vmem_vm {
	struct kref ref;
	struct mutex lock;
	kuid_t owner;
	u32 mmu_mode;

	struct rw_semaphore slots_lock;
	struct vmem_slot *slots;
	unsigned int nr_slots;
	unsigned int nr_maps;
	u64 backing_base;
	u64 backing_pages;
	unsigned long configured;

	struct xarray p2m;
	atomic_long_t granted;
	atomic_long_t overhead;

	struct inode *inode;

	spinlock_t mmu_lock;
	unsigned long mmu_seq;
	unsigned int mmu_invalidating;
	void *tdp;

	bool hypercalls_off;

	unsigned int nr_vcpus;
	struct vmem_vcpu **vcpus;

	struct vmem_pool_vm *pool_vm;
	struct vmem_share_vm *share;
	struct vmem_reclaim_vm *reclaim;
	void *backend;
};

void vmem_vm_get(struct vmem_vm *vm);
void vmem_vm_put(struct vmem_vm *vm);

/* ---------------------------------------------------------------------- */
/* The vCPU                                                               */

/* GPRs in instruction-encoding order, so ModRM/REX numbers index them. */
enum vmem_gpr {
	VMEM_RAX, VMEM_RCX, VMEM_RDX, VMEM_RBX,
	VMEM_RSP, VMEM_RBP, VMEM_RSI, VMEM_RDI,
	VMEM_R8, VMEM_R9, VMEM_R10, VMEM_R11,
	VMEM_R12, VMEM_R13, VMEM_R14, VMEM_R15,
	VMEM_NR_GPRS
};

/* vcpu->mode, for the kick protocol. */
enum vmem_vcpu_mode {
	VMEM_OUTSIDE_GUEST = 0,
	VMEM_IN_GUEST,
};

/* vcpu->requests bits: work owed before the next entry. */
#define VMEM_REQ_TLB_FLUSH	0	/* TDP entries were zapped */
#define VMEM_REQ_TRIPLE_FAULT	1	/* a fault while #DF was queued */

/*
 * What the next VMEM_RUN owes the guest before it runs again: the VMM's
 * answer to the exit it was given completes the instruction.
 */
enum vmem_pending {
	VMEM_PENDING_NONE = 0,
	VMEM_PENDING_PIO,		/* IN: data to RAX/memory; strings advance */
	VMEM_PENDING_MMIO_READ,		/* run->mmio.data to a register */
	VMEM_PENDING_MMIO_WRITE,	/* nothing to copy, just skip */
	VMEM_PENDING_HYPERCALL,		/* RAX = run->hypercall.ret */
	VMEM_PENDING_MSR,		/* RDMSR result or #GP */
};

/**
 * struct vmem_vcpu - a virtual CPU
 * @vm:			the VM (holds a reference)  [I]
 * @id:			vCPU id  [I]
 * @mutex:		held by every ioctl on the vCPU fd, RUN included
 *			(VMEM_KICK excepted: it must reach a vCPU in RUN)
 * @run:		the shared run area, one page the VMM mmap()s  [I]
 * @run_page:		its page  [I]
 * @regs:		GPRs; current whenever the vCPU is outside the
 *			guest (backends sync what hardware keeps elsewhere,
 *			e.g. RAX/RSP in the VMCB, at entry and exit)  [v]
 * @rip:		the guest RIP, same rule  [v]
 * @mode:		VMEM_IN_GUEST while between the last stop/request
 *			check and the exit  [k]
 * @cpu:		host CPU of the last entry, -1 before the first  [v]
 *			(written before @mode goes IN_GUEST; kickers read it
 *			with READ_ONCE after seeing IN_GUEST)
 * @requests:		VMEM_REQ_* bits  [a]
 * @pending:		completion owed at the next RUN, with its details:
 *			@pending_next_rip (RIP after the instruction),
 *			@pending_reg (MMIO read: destination, VMEM_RAX..R15,
 *			or VMEM_PENDING_REG_AH..BH for a legacy high-byte
 *			register), @pending_len (bytes read), @pending_dst
 *			(destination operand size: 1, 2, 4 or 8) and
 *			@pending_ext (0: plain MOV, 's'/'z': MOVSX/MOVZX)  [v]
 * @pio:		the port I/O in flight: the backend fills string,
 *			rep, in, size, port and addr_size before calling
 *			vmem_exit_pio(); the core fills count and seg, and
 *			for string forms decodes the instruction for the
 *			address size (addr_size is then only a fallback)  [v]
 * @nmi_pending:	an NMI the guest has not taken yet  [v]
 * @exception:		an exception to deliver at the next entry (one the
 *			core queued, or one whose delivery an exit
 *			interrupted); for a #PF queued by the core (or the
 *			#DF it made), @cr2_valid says the backend must load
 *			@cr2 into the guest's CR2 as it injects  [v]
 * @interrupt:		an external interrupt to deliver at the next entry [v]
 * @guest_fpu:		the guest's XSAVE area (standard format, 4 KiB)  [v]
 * @guest_xcr0:		the guest's XCR0  [v]
 * @xcr0_allowed:	XCR0 bits the guest may set: vmem's offer, narrowed
 *			by the VMM's CPUID leaf 0xD  [v]
 * @apic_base:		IA32_APIC_BASE, kept by the core: backends need not
 *			store it (get_sregs's value is overwritten, set_sregs
 *			may ignore it)  [v]
 * @misc_enable, @mtrr_def_type: IA32_MISC_ENABLE and IA32_MTRR_DEF_TYPE,
 *			kept by the core (x86/exits.c)  [v]
 * @cpuid:		the CPUID table the VMM set, @nr_cpuid entries  [v]
 * @mmu_cache:		zeroed pages for TDP and shadow tables, filled
 *			outside mmu_lock, @nr_mmu_cache of them  [v]
 * @shadow:		the shadow MMU's tree (shadow VMs only): set before
 *			the vCPU is published, freed with it  [I]; its
 *			tables are [u] (vmem_invalidate_range() zaps them
 *			from other threads)
 * @backend:		backend-private per-vCPU data (VMCB, VMCS)  [I]
 */
struct vmem_vcpu {
	struct vmem_vm *vm;
	u32 id;
	struct mutex mutex;
	struct vmem_run *run;
	struct page *run_page;

	u64 regs[VMEM_NR_GPRS];
	u64 rip;

	int mode;
	int cpu;
	unsigned long requests;

	enum vmem_pending pending;
	u64 pending_next_rip;
	u8 pending_reg;
	u8 pending_len;
	u8 pending_dst;
	u8 pending_ext;

	struct {
		bool string;
		bool rep;
		bool in;
		u8 size;
		u16 port;
		u32 count;	/* items in this exit */
		u8 seg;		/* OUTS source segment (VMEM_SEG_*) */
		u8 addr_size;	/* 2, 4 or 8 */
	} pio;

	bool nmi_pending;
	struct {
		bool pending;
		bool has_error;
		bool cr2_valid;
		u8 vector;
		u32 error_code;
		u64 cr2;
	} exception;
	struct {
		bool pending;
		u8 vector;
	} interrupt;

	void *guest_fpu;
	u64 guest_xcr0;
	u64 xcr0_allowed;
	u64 apic_base;
	u64 misc_enable;
	u64 mtrr_def_type;

	struct vmem_cpuid_entry *cpuid;
	u32 nr_cpuid;

	struct page *mmu_cache[4];
	unsigned int nr_mmu_cache;
	void *shadow;

	void *backend;
};

/* @pending_reg values for AH, CH, DH, BH (byte registers 4-7, no REX). */
#define VMEM_PENDING_REG_AH	0x80

/*
 * Make a vCPU leave the guest or its wait soon (IPI to the CPU it runs on,
 * if in the guest).  Race-free with the entry path: the entry sets
 * vcpu->mode = VMEM_IN_GUEST, then (after a full barrier) checks stop,
 * requests and signals with interrupts disabled; kickers set their flag
 * first, then read mode.
 */
void vmem_vcpu_kick(struct vmem_vcpu *vcpu);

/* Set @req on every vCPU of @vm and kick them. */
void vmem_vm_request_all(struct vmem_vm *vm, int req);

/* ---------------------------------------------------------------------- */
/* x86 helpers shared by the backends (x86/)                              */

/* Segment numbers for get_segment and string I/O. */
enum vmem_seg {
	VMEM_SEG_ES, VMEM_SEG_CS, VMEM_SEG_SS, VMEM_SEG_DS,
	VMEM_SEG_FS, VMEM_SEG_GS, VMEM_SEG_TR, VMEM_SEG_LDTR,
};

/*
 * Read or write guest-virtual (linear: callers add the segment base)
 * memory as the guest would see it at its current CPL (current paging
 * mode, CR0.WP, CR4.PSE/PAE, EFER.LMA/NXE; A/D bits are not set).
 * Returns 0; -EFAULT with *@fault_addr = the guest-physical address when
 * a page is not RAM; or a positive VMEM_GUEST_PF | error code, with
 * *@fault_addr = the faulting linear address (for CR2), if the guest's
 * tables refuse the access.  May sleep.  (x86/walk.c)
 */
#define VMEM_GUEST_PF		(1 << 30)
#define VMEM_PF_EC(r)		((u32)(r) & 0xffff)

int vmem_read_guest_virt(struct vmem_vcpu *vcpu, u64 gva, void *buf,
			 unsigned int len, u64 *fault_addr);
int vmem_write_guest_virt(struct vmem_vcpu *vcpu, u64 gva, const void *buf,
			  unsigned int len, u64 *fault_addr);

/* Access kinds for vmem_gva_to_gpa(), PF error-code bits. */
#define VMEM_ACC_WRITE		(1u << 1)
#define VMEM_ACC_USER		(1u << 2)	/* forced user access */
#define VMEM_ACC_FETCH		(1u << 4)

/*
 * Translate one linear address with the guest's tables for @access
 * (VMEM_ACC_*; the CPL decides user/supervisor unless VMEM_ACC_USER).
 * Same returns as vmem_read_guest_virt(), *@gpa set on success.
 */
int vmem_gva_to_gpa(struct vmem_vcpu *vcpu, u64 gva, u32 access, u64 *gpa);

/*
 * Instruction decoding for exits (x86/decode.c), never a full emulator.
 * vmem_insn_fetch() reads up to 15 bytes at CS:RIP.
 */
int vmem_insn_fetch(struct vmem_vcpu *vcpu, u8 *insn, unsigned int *len);

/*
 * Length of the instruction at RIP that caused an intercept of a known
 * kind (CPUID, RDMSR, WRMSR, HLT, VMMCALL/VMCALL, INVLPG, MOV CR/DR,
 * RDTSC(P), PAUSE, IRET...): fetches it and checks the opcode, so a
 * self-modified instruction is noticed.  Returns the length or -errno.
 * For backends without "next RIP" hardware.
 */
int vmem_insn_length(struct vmem_vcpu *vcpu, unsigned int exit_kind);

/* Exit kinds for vmem_insn_length(). */
enum vmem_insn_kind {
	VMEM_INSN_CPUID, VMEM_INSN_RDMSR, VMEM_INSN_WRMSR, VMEM_INSN_HLT,
	VMEM_INSN_VMMCALL, VMEM_INSN_VMCALL, VMEM_INSN_INVLPG,
	VMEM_INSN_RDTSC, VMEM_INSN_RDTSCP, VMEM_INSN_PAUSE, VMEM_INSN_XSETBV,
	VMEM_INSN_MONITOR, VMEM_INSN_MWAIT, VMEM_INSN_WBINVD, VMEM_INSN_INVD,
	VMEM_INSN_ANY,	/* any instruction: full length decode */
	VMEM_INSN_IRET,		/* IRET/IRETD/IRETQ */
	VMEM_INSN_MOV_CR,	/* MOV to/from CR0-CR15 */
	VMEM_INSN_MOV_DR,	/* MOV to/from DR0-DR7 */
	VMEM_INSN_INT3,		/* INT3 */
};

/*
 * Exits handled by the core on behalf of both backends (x86/exits.c;
 * VMMCALL/VMCALL in x86/hypercall.c).
 * Each returns 1 to re-enter the guest, 0 to return to the VMM with
 * vcpu->run filled, or -errno.  They advance RIP themselves: at once when
 * handled in the kernel, else at the next VMEM_RUN, when the VMM's answer
 * completes the instruction (so during an exit to the VMM, RIP still
 * points at the instruction that caused it; HLT excepted, as on
 * hardware).  @insn_len is the intercepted instruction's length (from
 * next-RIP hardware or vmem_insn_length()).  vmem_exit_cpuid never sleeps
 * and returns 1, so handle_exit_fast may call it (interrupts off); the
 * others belong in handle_exit.
 */
int vmem_exit_cpuid(struct vmem_vcpu *vcpu, unsigned int insn_len);
int vmem_exit_hlt(struct vmem_vcpu *vcpu, unsigned int insn_len);
int vmem_exit_hypercall(struct vmem_vcpu *vcpu, unsigned int insn_len);
/*
 * The in-kernel part of vmem_exit_hypercall(): true when vmem answered
 * (RAX and RIP updated), false when the hypercall is the VMM's.  Never
 * sleeps, so handle_exit_fast may call it.
 */
bool vmem_exit_hypercall_fast(struct vmem_vcpu *vcpu, unsigned int insn_len);
int vmem_exit_rdmsr(struct vmem_vcpu *vcpu, unsigned int insn_len);
int vmem_exit_wrmsr(struct vmem_vcpu *vcpu, unsigned int insn_len);
/*
 * XSETBV: XCR0 from EDX:EAX checked against vcpu->xcr0_allowed and the
 * architectural rules; #GP for CPL > 0, ECX != 0 or a bad value.  The
 * core loads the guest's XCR0 around every entry, so a backend must
 * intercept XSETBV and call this.  (The core also reads XCR0 back after
 * every exit, for CPUs that ignore the intercept: QEMU's TCG SVM.)
 */
int vmem_exit_xsetbv(struct vmem_vcpu *vcpu, unsigned int insn_len);
/* A nested page fault the TDP MMU could not map: decode, exit MMIO. */
int vmem_exit_mmio(struct vmem_vcpu *vcpu, u64 gpa, bool write);
/*
 * Port I/O: the backend decodes its exit information into vcpu->pio
 * (string, rep, in, size, port, addr_size) and gives the RIP after the
 * instruction.  String forms move as many items as fit one guest page
 * and VMEM_RUN_IO_DATA_SIZE (one if RFLAGS.DF=1) and re-execute the
 * instruction while the REP count is not exhausted.  May sleep.
 */
int vmem_exit_pio(struct vmem_vcpu *vcpu, u64 next_rip);
int vmem_exit_shutdown(struct vmem_vcpu *vcpu);
int vmem_exit_irq_window(struct vmem_vcpu *vcpu);
/*
 * The guest's tables walked for the shadow MMU (x86/walk.c): @access's
 * U/S from VMEM_ACC_USER alone; A/D bits set as hardware would; on
 * success *@gw holds the guest-physical address and the translation's
 * effective permissions.  Returns as vmem_gva_to_gpa() (*@fault: the
 * table's address on -EFAULT), or -EAGAIN if an entry changed under the
 * walk.  May sleep.
 */
struct vmem_gwalk {
	u64 gpa;
	bool user;	/* U/S=1 at every level */
	bool write;	/* R/W=1 at every level */
	bool nx;	/* NX at some level (with EFER.NXE) */
	bool dirty;	/* the leaf's D bit */
	bool global;	/* the leaf's G bit, with CR4.PGE */
	u8 page_shift;	/* the guest's page: 12, 21 (2 MiB), 22, 30 */
};

int vmem_guest_walk(struct vmem_vcpu *vcpu, u64 gva, u32 access,
		    struct vmem_gwalk *gw, u64 *fault);

/* Anything else: VMEM_EXIT_INTERNAL with the instruction bytes. */
int vmem_exit_internal(struct vmem_vcpu *vcpu, u32 suberror, u64 hw_exit);
int vmem_exit_fail_entry(struct vmem_vcpu *vcpu, u64 reason, u64 qual);

/* Queue a #GP(0) / #UD / ... for the guest. */
void vmem_queue_exception(struct vmem_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error_code);
/* An exception whose delivery an exit interrupted, queued again. */
void vmem_requeue_exception(struct vmem_vcpu *vcpu, u8 vector, bool has_error,
			    u32 error_code);
/* Queue a #PF with its CR2 (see struct vmem_vcpu @exception). */
void vmem_queue_page_fault(struct vmem_vcpu *vcpu, u64 cr2, u32 error_code);

/*
 * The CPUID answer for the guest (x86/cpuid.c): the VMM's table.  A leaf
 * that is not in the table reads as zeros (AMD's rule, not Intel's
 * "highest basic leaf"); a few bits follow the vCPU's state as on
 * hardware (leaf 1 OSXSAVE and APIC, leaf 0xD's XSAVE size).
 */
void vmem_cpuid_lookup(struct vmem_vcpu *vcpu, u32 function, u32 index,
		       u32 *eax, u32 *ebx, u32 *ecx, u32 *edx);

#endif /* _VMEM_VM_H */
