/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/svm.h - the AMD SVM backend: VMCB layout, intercept numbers, and
 * what the backend's files (svm.c, svm_vcpu.c, svm_exit.c, svm_entry.S)
 * share.  Nothing outside x86/svm*.c includes this header: the core sees
 * the backend only through struct vmem_backend_ops.
 *
 * Reference: AMD64 Architecture Programmer's Manual, vol. 2 (24593),
 * chapter 15 "Secure Virtual Machine" and appendix B "Layout of VMCB".
 * Exit codes come from the kernel's UAPI <asm/svm.h> (appendix C), which is
 * ABI and so stable; the VMCB structures are our own so that they never
 * change under us with a kernel version.
 */
#ifndef _VMEM_X86_SVM_H
#define _VMEM_X86_SVM_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <uapi/asm/svm.h>

#include "vmem_vm.h"

/* ---------------------------------------------------------------------- */
/* VMCB layout (APM vol. 2, appendix B)                                    */

/*
 * Control area, table B-1: 0x400 bytes at the start of the VMCB.  The
 * intercept vectors are six 32-bit words so that an intercept is named by
 * one number, word * 32 + bit (SVM_ICPT_* below).
 */
struct svm_vmcb_control {
	u32 intercepts[6];		/* 0x000 CR, DR, exceptions, misc 1-3 */
	u8 reserved_0x018[0x3c - 0x18];
	u16 pause_filter_thresh;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8 tlb_ctl;			/* 0x05c */
	u8 reserved_0x05d[3];
	u32 int_ctl;			/* 0x060 V_TPR, V_IRQ, ... */
	u32 int_vector;			/* 0x064 V_INTR_VECTOR */
	u64 int_state;			/* 0x068 interrupt shadow */
	u64 exit_code;			/* 0x070 */
	u64 exit_info_1;		/* 0x078 */
	u64 exit_info_2;		/* 0x080 */
	u64 exit_int_info;		/* 0x088 EXITINTINFO, EVENTINJ format */
	u64 nested_ctl;			/* 0x090 NP_ENABLE, ... */
	u64 avic_vapic_bar;		/* 0x098 */
	u64 ghcb_gpa;			/* 0x0a0 */
	u64 event_inj;			/* 0x0a8 EVENTINJ */
	u64 nested_cr3;			/* 0x0b0 nCR3 */
	u64 virt_ext;			/* 0x0b8 LBR virtualization, ... */
	u32 clean;			/* 0x0c0 VMCB clean bits */
	u32 reserved_0x0c4;
	u64 next_rip;			/* 0x0c8 with nrip-save only */
	u8 insn_len;			/* 0x0d0 with decode assists only */
	u8 insn_bytes[15];		/* 0x0d1 */
	u8 reserved_0x0e0[0x400 - 0xe0];
} __packed;

/* Segment in the save area: the hidden part, attributes packed (B-2). */
struct svm_vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __packed;

/* State save area, table B-2: at 0x400 in the VMCB; offsets relative. */
struct svm_vmcb_save {
	struct svm_vmcb_seg es;		/* 0x000 */
	struct svm_vmcb_seg cs;		/* 0x010 */
	struct svm_vmcb_seg ss;		/* 0x020 */
	struct svm_vmcb_seg ds;		/* 0x030 */
	struct svm_vmcb_seg fs;		/* 0x040 */
	struct svm_vmcb_seg gs;		/* 0x050 */
	struct svm_vmcb_seg gdtr;	/* 0x060 */
	struct svm_vmcb_seg ldtr;	/* 0x070 */
	struct svm_vmcb_seg idtr;	/* 0x080 */
	struct svm_vmcb_seg tr;		/* 0x090 */
	u8 reserved_0x0a0[0xcb - 0xa0];
	u8 cpl;				/* 0x0cb */
	u32 reserved_0x0cc;
	u64 efer;			/* 0x0d0 */
	u8 reserved_0x0d8[0x148 - 0xd8];
	u64 cr4;			/* 0x148 */
	u64 cr3;			/* 0x150 */
	u64 cr0;			/* 0x158 */
	u64 dr7;			/* 0x160 */
	u64 dr6;			/* 0x168 */
	u64 rflags;			/* 0x170 */
	u64 rip;			/* 0x178 */
	u8 reserved_0x180[0x1d8 - 0x180];
	u64 rsp;			/* 0x1d8 */
	u64 s_cet;			/* 0x1e0 */
	u64 ssp;			/* 0x1e8 */
	u64 isst_addr;			/* 0x1f0 */
	u64 rax;			/* 0x1f8 */
	u64 star;			/* 0x200 */
	u64 lstar;			/* 0x208 */
	u64 cstar;			/* 0x210 */
	u64 sfmask;			/* 0x218 */
	u64 kernel_gs_base;		/* 0x220 */
	u64 sysenter_cs;		/* 0x228 */
	u64 sysenter_esp;		/* 0x230 */
	u64 sysenter_eip;		/* 0x238 */
	u64 cr2;			/* 0x240 */
	u8 reserved_0x248[0x268 - 0x248];
	u64 g_pat;			/* 0x268 guest PAT, with NPT */
	u64 dbgctl;			/* 0x270 with LBR virtualization */
	u64 br_from;			/* 0x278 */
	u64 br_to;			/* 0x280 */
	u64 last_excp_from;		/* 0x288 */
	u64 last_excp_to;		/* 0x290 */
	u8 reserved_0x298[0x2e0 - 0x298];
	u64 spec_ctrl;			/* 0x2e0 */
} __packed;

/* The VMCB: one 4 KiB page, 4 KiB aligned (APM 15.5.1). */
struct svm_vmcb {
	struct svm_vmcb_control control;	/* 0x000 */
	struct svm_vmcb_save save;		/* 0x400 */
} __packed;

#define SVM_CTRL_OFF(f)	offsetof(struct svm_vmcb_control, f)
#define SVM_SAVE_OFF(f)	offsetof(struct svm_vmcb_save, f)

static_assert(sizeof(struct svm_vmcb_seg) == 16);
static_assert(sizeof(struct svm_vmcb_control) == 0x400);
static_assert(SVM_CTRL_OFF(pause_filter_thresh) == 0x03c);
static_assert(SVM_CTRL_OFF(iopm_base_pa) == 0x040);
static_assert(SVM_CTRL_OFF(msrpm_base_pa) == 0x048);
static_assert(SVM_CTRL_OFF(tsc_offset) == 0x050);
static_assert(SVM_CTRL_OFF(asid) == 0x058);
static_assert(SVM_CTRL_OFF(tlb_ctl) == 0x05c);
static_assert(SVM_CTRL_OFF(int_ctl) == 0x060);
static_assert(SVM_CTRL_OFF(int_state) == 0x068);
static_assert(SVM_CTRL_OFF(exit_code) == 0x070);
static_assert(SVM_CTRL_OFF(exit_info_1) == 0x078);
static_assert(SVM_CTRL_OFF(exit_info_2) == 0x080);
static_assert(SVM_CTRL_OFF(exit_int_info) == 0x088);
static_assert(SVM_CTRL_OFF(nested_ctl) == 0x090);
static_assert(SVM_CTRL_OFF(event_inj) == 0x0a8);
static_assert(SVM_CTRL_OFF(nested_cr3) == 0x0b0);
static_assert(SVM_CTRL_OFF(virt_ext) == 0x0b8);
static_assert(SVM_CTRL_OFF(clean) == 0x0c0);
static_assert(SVM_CTRL_OFF(next_rip) == 0x0c8);
static_assert(SVM_CTRL_OFF(insn_len) == 0x0d0);
static_assert(SVM_CTRL_OFF(insn_bytes) == 0x0d1);
static_assert(SVM_SAVE_OFF(cs) == 0x010);
static_assert(SVM_SAVE_OFF(gdtr) == 0x060);
static_assert(SVM_SAVE_OFF(tr) == 0x090);
static_assert(SVM_SAVE_OFF(cpl) == 0x0cb);
static_assert(SVM_SAVE_OFF(efer) == 0x0d0);
static_assert(SVM_SAVE_OFF(cr4) == 0x148);
static_assert(SVM_SAVE_OFF(cr3) == 0x150);
static_assert(SVM_SAVE_OFF(cr0) == 0x158);
static_assert(SVM_SAVE_OFF(dr7) == 0x160);
static_assert(SVM_SAVE_OFF(dr6) == 0x168);
static_assert(SVM_SAVE_OFF(rflags) == 0x170);
static_assert(SVM_SAVE_OFF(rip) == 0x178);
static_assert(SVM_SAVE_OFF(rsp) == 0x1d8);
static_assert(SVM_SAVE_OFF(rax) == 0x1f8);
static_assert(SVM_SAVE_OFF(star) == 0x200);
static_assert(SVM_SAVE_OFF(kernel_gs_base) == 0x220);
static_assert(SVM_SAVE_OFF(sysenter_eip) == 0x238);
static_assert(SVM_SAVE_OFF(cr2) == 0x240);
static_assert(SVM_SAVE_OFF(g_pat) == 0x268);
static_assert(SVM_SAVE_OFF(dbgctl) == 0x270);
static_assert(SVM_SAVE_OFF(spec_ctrl) == 0x2e0);
static_assert(offsetof(struct svm_vmcb, save) == 0x400);
static_assert(sizeof(struct svm_vmcb) <= 4096);

/* ---------------------------------------------------------------------- */
/* Control-area fields                                                     */

/*
 * Intercepts, as word * 32 + bit into control.intercepts[] (APM table
 * B-1: word 0 at 0x000 CR read/write, 1 at 0x004 DR read/write, 2 at 0x008
 * exceptions, 3 at 0x00c, 4 at 0x010, 5 at 0x014).
 */
#define SVM_ICPT_CR_READ(n)	(n)
#define SVM_ICPT_CR_WRITE(n)	(16 + (n))
#define SVM_ICPT_DR_READ(n)	(32 + (n))
#define SVM_ICPT_DR_WRITE(n)	(32 + 16 + (n))
#define SVM_ICPT_EXCP(v)	(64 + (v))
#define SVM_ICPT_INTR		(96 + 0)
#define SVM_ICPT_NMI		(96 + 1)
#define SVM_ICPT_SMI		(96 + 2)
#define SVM_ICPT_INIT		(96 + 3)
#define SVM_ICPT_VINTR		(96 + 4)
#define SVM_ICPT_RDPMC		(96 + 15)
#define SVM_ICPT_CPUID		(96 + 18)
#define SVM_ICPT_RSM		(96 + 19)
#define SVM_ICPT_IRET		(96 + 20)
#define SVM_ICPT_INVD		(96 + 22)
#define SVM_ICPT_HLT		(96 + 24)
#define SVM_ICPT_INVLPG		(96 + 25)
#define SVM_ICPT_INVLPGA	(96 + 26)
#define SVM_ICPT_IOIO_PROT	(96 + 27)
#define SVM_ICPT_MSR_PROT	(96 + 28)
#define SVM_ICPT_TASK_SWITCH	(96 + 29)
#define SVM_ICPT_SHUTDOWN	(96 + 31)
#define SVM_ICPT_VMRUN		(128 + 0)
#define SVM_ICPT_VMMCALL	(128 + 1)
#define SVM_ICPT_VMLOAD		(128 + 2)
#define SVM_ICPT_VMSAVE		(128 + 3)
#define SVM_ICPT_STGI		(128 + 4)
#define SVM_ICPT_CLGI		(128 + 5)
#define SVM_ICPT_SKINIT		(128 + 6)
#define SVM_ICPT_RDTSCP		(128 + 7)
#define SVM_ICPT_WBINVD		(128 + 9)
#define SVM_ICPT_MONITOR	(128 + 10)
#define SVM_ICPT_MWAIT		(128 + 11)
#define SVM_ICPT_MWAIT_COND	(128 + 12)
#define SVM_ICPT_XSETBV		(128 + 13)
#define SVM_ICPT_RDPRU		(128 + 14)
#define SVM_ICPT_INVLPGB	(160 + 0)
#define SVM_ICPT_INVLPGB_ILL	(160 + 1)
#define SVM_ICPT_INVPCID	(160 + 2)
#define SVM_ICPT_MCOMMIT	(160 + 3)
#define SVM_ICPT_TLBSYNC	(160 + 4)

/*
 * Exit codes the 6.1/6.12 UAPI header lacks (APM appendix C); vmem_-
 * prefixed so a later kernel's own definitions cannot clash.
 */
#define VMEM_SVM_EXIT_INVLPGB		0x0a0
#define VMEM_SVM_EXIT_INVLPGB_ILL	0x0a1
#define VMEM_SVM_EXIT_MCOMMIT		0x0a3
#define VMEM_SVM_EXIT_TLBSYNC		0x0a4

/* TLB_CONTROL (0x05c), APM 15.16.1. */
#define SVM_TLB_CONTROL_NOTHING		0
#define SVM_TLB_CONTROL_FLUSH_ALL	1	/* every ASID on this CPU */
#define SVM_TLB_CONTROL_FLUSH_ASID	3	/* this guest's ASID only */

/* VINTR control (0x060), APM 15.21. */
#define SVM_V_TPR_MASK		0x0fu
#define SVM_V_IRQ		BIT(8)
#define SVM_V_INTR_PRIO_SHIFT	16
#define SVM_V_INTR_PRIO_MASK	(0xfu << SVM_V_INTR_PRIO_SHIFT)
#define SVM_V_IGN_TPR		BIT(20)
#define SVM_V_INTR_MASKING	BIT(24)

/* Interrupt state (0x068). */
#define SVM_INT_SHADOW		BIT_ULL(0)

/* Nested control (0x090). */
#define SVM_NESTED_CTL_NP_ENABLE	BIT_ULL(0)

/* EVENTINJ and EXITINTINFO (0x0a8, 0x088), APM 15.20. */
#define SVM_EVT_VECTOR_MASK	0xffull
#define SVM_EVT_TYPE_SHIFT	8
#define SVM_EVT_TYPE_MASK	(7ull << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_INTR	(0ull << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_NMI	(2ull << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_EXCEPT	(3ull << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_SOFT	(4ull << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_EV		BIT_ULL(11)
#define SVM_EVT_VALID		BIT_ULL(31)
#define SVM_EVT_ERR_SHIFT	32

/* IOIO EXITINFO1, APM 15.10.2. */
#define SVM_IOIO_TYPE_IN	BIT_ULL(0)
#define SVM_IOIO_STR		BIT_ULL(2)
#define SVM_IOIO_REP		BIT_ULL(3)
#define SVM_IOIO_SZ8		BIT_ULL(4)
#define SVM_IOIO_SZ16		BIT_ULL(5)
#define SVM_IOIO_SZ32		BIT_ULL(6)
#define SVM_IOIO_A16		BIT_ULL(7)
#define SVM_IOIO_A32		BIT_ULL(8)
#define SVM_IOIO_A64		BIT_ULL(9)
#define SVM_IOIO_SEG_SHIFT	10
#define SVM_IOIO_SEG_MASK	(7ull << SVM_IOIO_SEG_SHIFT)
#define SVM_IOIO_PORT_SHIFT	16

/* NPF EXITINFO1, APM 15.25.6 (the #PF error-code bits plus two more). */
#define SVM_NPF_P		BIT_ULL(0)
#define SVM_NPF_WRITE		BIT_ULL(1)
#define SVM_NPF_USER		BIT_ULL(2)
#define SVM_NPF_RSVD		BIT_ULL(3)
#define SVM_NPF_FETCH		BIT_ULL(4)
#define SVM_NPF_FINAL_GPA	BIT_ULL(32)
#define SVM_NPF_GUEST_TABLE	BIT_ULL(33)

/* Segment attributes in the save area: descriptor bits 8-15 and 20-23. */
#define SVM_SEG_TYPE_MASK	0xfu
#define SVM_SEG_S		BIT(4)
#define SVM_SEG_DPL_SHIFT	5
#define SVM_SEG_P		BIT(7)
#define SVM_SEG_AVL		BIT(8)
#define SVM_SEG_L		BIT(9)
#define SVM_SEG_DB		BIT(10)
#define SVM_SEG_G		BIT(11)

/*
 * The MSR permission map: 8 KiB, two bits per MSR (read, write) for three
 * ranges of 8192 MSRs (APM 15.11, figure 15-7).  The I/O permission map:
 * 12 KiB, one bit per port plus a third page so that a multi-byte access
 * at port 0xffff finds its bits (APM 15.10.1).
 */
#define SVM_MSRPM_SIZE		(2 * PAGE_SIZE)
#define SVM_MSRPM_ORDER		1
#define SVM_IOPM_SIZE		(3 * PAGE_SIZE)
#define SVM_IOPM_ORDER		2

/* ---------------------------------------------------------------------- */
/* Backend state                                                           */

/**
 * struct svm_caps - what CPUID 0x8000000A says, read at hardware_setup
 * @nrips:	next_rip is saved on instruction intercepts (EDX bit 3)
 * @flush_by_asid: TLB_CONTROL 3 flushes one ASID (EDX bit 6)
 * @decode_assists: EXITINFO1 segment/insn bytes are filled (EDX bit 7)
 * @tsc_aux:	the CPU has TSC_AUX (RDTSCP or RDPID): it is switched
 *		around VMRUN, because RDPID cannot be intercepted (and QEMU
 *		ignores the RDTSCP intercept)
 * @xsave:	the host uses XSAVE (XCR0 exists)
 * @max_asid:	highest usable ASID (EBX - 1); ASID 0 is the host's
 * @phys_bits:	host MAXPHYADDR, for CR3 and nCR3 checks
 * @cr4_allowed: CR4 bits a guest may hold on this host
 *
 * All [I]: written by hardware_setup during module init.
 */
struct svm_caps {
	bool nrips;
	bool flush_by_asid;
	bool decode_assists;
	bool tsc_aux;
	bool xsave;
	u32 max_asid;
	u8 phys_bits;
	u64 cr4_allowed;
};

extern struct svm_caps svm_caps;

/*
 * Maps shared by every vCPU: all ports intercepted; MSRs intercepted except
 * those the VMCB holds and VMLOAD/VMSAVE switch.  [I] filled at
 * hardware_setup, read-only (by the hardware too) afterwards.
 */
extern u64 svm_iopm_pa;
extern u64 svm_msrpm_pa;

/**
 * struct svm_cpu - per-CPU state of the backend
 * @host_save:		page that VMSAVE fills with the host's FS, GS, TR,
 *			LDTR, KernelGSbase, STAR family and SYSENTER MSRs
 *			before each VMRUN, and VMLOAD restores from after it
 *			(VMRUN itself does not switch these; APM 15.5.2)
 * @host_save_pa:	its physical address
 * @asid_generation:	bumped whenever this CPU's ASIDs run out and
 *			the whole TLB is flushed, so that a vCPU holding an
 *			ASID of an older generation takes a new one
 * @next_asid:		next ASID to hand out
 * @host_tsc_aux:	this CPU's TSC_AUX as the kernel set it at bring-up
 *			(setup_getcpu(): CPU and node for getcpu() in user
 *			space), read at cpu_enable
 *
 * [p] All written only by the owning CPU with interrupts off (entry path,
 * cpu_enable); @host_save/@host_save_pa [I] after hardware_setup.
 */
struct svm_cpu {
	struct page *host_save;
	u64 host_save_pa;
	u64 asid_generation;
	u32 next_asid;
	u64 host_tsc_aux;
};

DECLARE_PER_CPU(struct svm_cpu, svm_cpu);

/**
 * struct svm_vcpu - the SVM side of one vCPU (vcpu->backend)
 * @vmcb:		the VMCB, one page  [I] pointer, [v] contents
 * @vmcb_page:		its page  [I]
 * @vmcb_pa:		its physical address  [I]
 * @asid_cpu:		CPU whose ASID @vmcb->control.asid is, -1 if none [v]
 * @asid_generation:	that CPU's generation when the ASID was taken  [v]
 * @db:			guest DR0-DR3 (DR6/DR7 live in the VMCB)  [v]
 * @db_guest_owned:	the guest touched DR0-3: they are loaded before
 *			every entry and read back after every exit, and DR
 *			accesses are not intercepted, until the next exit
 *			(KVM's "won't exit" scheme)  [v]
 * @nmi_masked:		an NMI we injected is being handled: no other NMI
 *			until the guest's IRET  [v]
 * @awaiting_iret:	the guest's IRET was intercepted at @iret_rip; NMIs
 *			unmask once RIP has moved past it  [v]
 * @iret_rip:		see @awaiting_iret  [v]
 * @reinject:		EVENTINJ value of an NMI or interrupt whose delivery
 *			an exit interrupted, injected at the next entry
 *			that has no exception to inject (0: none); an
 *			interrupted exception goes back to the core's
 *			queue instead (vmem_requeue_exception())  [v]
 * @nmi_singlestep:	TF was set to exit right after one instruction, for
 *			a pending NMI (see svm_nmi_singlestep())  [v]
 * @ss_over_iret:	that instruction is the NMI handler's IRET  [v]
 * @ss_guest_tf:	the guest's own TF before the step  [v]
 * @ss_dr6:		the guest's DR6 before the step, put back after  [v]
 * @ss_trapped:		the #DB exit just recorded was that step  [v]
 * @irq_window:		the core asked for an interrupt-window exit with
 *			enable_irq_window()  [v]
 * @exit_rip:		guest RIP at the last exit: if the core moves RIP
 *			(an emulated instruction), the interrupt shadow that
 *			instruction may have had is gone  [v]
 * @tsc_aux:		the guest's TSC_AUX: in the MSR while the guest runs,
 *			and RDTSCP is emulated from it  [v]
 * @mismatch_rip:	RIP of the last intercepted instruction whose bytes
 *			did not match the exit; a second mismatch there is
 *			reported instead of re-executed  [v]
 * @shadow:		the VM runs on the shadow MMU  [I]
 * @gcr0, @gcr3, @gcr4, @gefer: with @shadow, the guest's own CR0, CR3,
 *			CR4 and EFER (without SVME); the VMCB holds what the
 *			hardware runs with (svm_shadow_sync())  [v]
 */
struct svm_vcpu {
	struct svm_vmcb *vmcb;
	struct page *vmcb_page;
	u64 vmcb_pa;

	int asid_cpu;
	u64 asid_generation;

	u64 db[4];
	bool db_guest_owned;

	bool nmi_masked;
	bool awaiting_iret;
	u64 iret_rip;
	u64 reinject;
	bool nmi_singlestep;
	bool ss_over_iret;
	bool ss_guest_tf;
	bool ss_trapped;
	u64 ss_dr6;
	bool irq_window;

	u64 exit_rip;
	u64 tsc_aux;
	u64 mismatch_rip;

	bool shadow;
	u64 gcr0, gcr3, gcr4, gefer;
};

static inline struct svm_vcpu *to_svm(struct vmem_vcpu *vcpu)
{
	return vcpu->backend;
}

static inline void svm_set_intercept(struct svm_vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static inline void svm_clr_intercept(struct svm_vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

static inline bool svm_has_intercept(struct svm_vmcb *vmcb, unsigned int bit)
{
	return vmcb->control.intercepts[bit / 32] & BIT(bit % 32);
}

/* Guest DR0-3 accesses: intercepted until the guest first touches them. */
static inline void svm_set_dr_intercepts(struct svm_vmcb *vmcb, bool on)
{
	u32 mask = 0x000f000f;	/* DR0-3 read (bits 0-3), write (16-19) */

	if (on)
		vmcb->control.intercepts[1] |= mask;
	else
		vmcb->control.intercepts[1] &= ~mask;
}

/* ---------------------------------------------------------------------- */
/* Functions shared between the backend's files                            */

/* svm_entry.S: one world switch.  @regs is vcpu->regs (enum vmem_gpr). */
void __svm_vcpu_run(u64 vmcb_pa, u64 *regs, u64 host_save_pa);

/* svm_vcpu.c */
int svm_vm_init(struct vmem_vm *vm);
void svm_vm_destroy(struct vmem_vm *vm);
int svm_vcpu_create(struct vmem_vcpu *vcpu);
void svm_vcpu_destroy(struct vmem_vcpu *vcpu);
void svm_vcpu_reset(struct vmem_vcpu *vcpu);
u64 svm_get_rflags(struct vmem_vcpu *vcpu);
void svm_set_rflags(struct vmem_vcpu *vcpu, u64 rflags);
void svm_get_segment(struct vmem_vcpu *vcpu, struct vmem_segment *seg,
		     int which);
void svm_get_sregs(struct vmem_vcpu *vcpu, struct vmem_sregs *sregs);
int svm_set_sregs(struct vmem_vcpu *vcpu, const struct vmem_sregs *sregs);
void svm_get_debugregs(struct vmem_vcpu *vcpu, struct vmem_debugregs *dregs);
int svm_set_debugregs(struct vmem_vcpu *vcpu,
		      const struct vmem_debugregs *dregs);
int svm_get_msr(struct vmem_vcpu *vcpu, u32 index, u64 *data);
int svm_set_msr(struct vmem_vcpu *vcpu, u32 index, u64 data);
int svm_get_cpl(struct vmem_vcpu *vcpu);
u64 svm_get_cr8(struct vmem_vcpu *vcpu);
/* Shadow MMU: guest writes of CR0/CR3/CR4 (0, or -EINVAL for #GP). */
int svm_shadow_set_cr(struct vmem_vcpu *vcpu, int cr, u64 val);
int svm_npt_set_cr4(struct vmem_vcpu *vcpu, u64 val);
u64 svm_shadow_get_cr(struct vmem_vcpu *vcpu, int cr);
bool svm_interrupt_allowed(struct vmem_vcpu *vcpu);
bool svm_nmi_allowed(struct vmem_vcpu *vcpu);
void svm_enable_irq_window(struct vmem_vcpu *vcpu, bool enable);
void svm_vcpu_run(struct vmem_vcpu *vcpu);
void svm_cpu_init(void);

/* svm_exit.c */
bool svm_handle_exit_fast(struct vmem_vcpu *vcpu);
int svm_handle_exit(struct vmem_vcpu *vcpu);

#endif /* _VMEM_X86_SVM_H */
