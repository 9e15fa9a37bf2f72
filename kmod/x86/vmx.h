/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/vmx.h - the Intel VMX backend: VMCS field encodings, control bits,
 * exit reasons, the VMX instructions, and what the backend's files
 * (vmx.c, vmx_vcpu.c, vmx_exit.c, vmx_entry.S) share.  Nothing outside
 * x86/vmx*.c includes this header: the core sees the backend only through
 * struct vmem_backend_ops.
 *
 * The encodings and bits are our own (not the kernel's <asm/vmx.h>, whose
 * names moved between 6.1 and 6.12 and which is KVM's, not an ABI).
 *
 * Reference: Intel SDM vol. 3C (325384): chapter 25 "Virtual Machine
 * Control Structures" (25.6-25.8 controls), 26.2-26.3 (entry checks),
 * chapter 28 "VM Exits" (28.2 exit information), appendix A "VMX
 * Capability Reporting Facility", appendix B "Field Encoding in VMCS",
 * appendix C "VMX Basic Exit Reasons", 31.4 "VM Instruction Error
 * Numbers".
 */
#ifndef _VMEM_X86_VMX_H
#define _VMEM_X86_VMX_H

#ifndef __ASSEMBLY__
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/user-return-notifier.h>
#include <asm/asm.h>
#include <asm/desc_defs.h>

#include "vmem_vm.h"
#endif

/* ---------------------------------------------------------------------- */
/* VMCS field encodings (SDM appendix B)                                   */

/*
 * An encoding is: bit 0 access type (1 = high half of a 64-bit field),
 * bits 9:1 index, bits 11:10 type (0 control, 1 read-only data, 2 guest
 * state, 3 host state), bits 14:13 width (0 16-bit, 1 64-bit, 2 32-bit,
 * 3 natural width).
 */
#define VMCS_ENC(width, type, index) \
	(((width) << 13) | ((type) << 10) | ((index) << 1))
#define VMCS_W16	0
#define VMCS_W64	1
#define VMCS_W32	2
#define VMCS_WNAT	3
#define VMCS_TCTL	0
#define VMCS_TRO	1
#define VMCS_TGUEST	2
#define VMCS_THOST	3

/* 16-bit */
#define VMCS_VPID			VMCS_ENC(VMCS_W16, VMCS_TCTL, 0)
#define VMCS_GUEST_ES_SEL		VMCS_ENC(VMCS_W16, VMCS_TGUEST, 0)
/* ES, CS, SS, DS, FS, GS, LDTR, TR: consecutive indexes in every group. */
#define VMCS_HOST_ES_SEL		VMCS_ENC(VMCS_W16, VMCS_THOST, 0)
#define VMCS_HOST_CS_SEL		VMCS_ENC(VMCS_W16, VMCS_THOST, 1)
#define VMCS_HOST_SS_SEL		VMCS_ENC(VMCS_W16, VMCS_THOST, 2)
#define VMCS_HOST_DS_SEL		VMCS_ENC(VMCS_W16, VMCS_THOST, 3)
#define VMCS_HOST_FS_SEL		VMCS_ENC(VMCS_W16, VMCS_THOST, 4)
#define VMCS_HOST_GS_SEL		VMCS_ENC(VMCS_W16, VMCS_THOST, 5)
#define VMCS_HOST_TR_SEL		VMCS_ENC(VMCS_W16, VMCS_THOST, 6)

/* 64-bit */
#define VMCS_MSR_BITMAP			VMCS_ENC(VMCS_W64, VMCS_TCTL, 2)
#define VMCS_EXIT_MSR_STORE_ADDR	VMCS_ENC(VMCS_W64, VMCS_TCTL, 3)
#define VMCS_EXIT_MSR_LOAD_ADDR		VMCS_ENC(VMCS_W64, VMCS_TCTL, 4)
#define VMCS_ENTRY_MSR_LOAD_ADDR	VMCS_ENC(VMCS_W64, VMCS_TCTL, 5)
#define VMCS_TSC_OFFSET			VMCS_ENC(VMCS_W64, VMCS_TCTL, 8)
#define VMCS_EPTP			VMCS_ENC(VMCS_W64, VMCS_TCTL, 13)
#define VMCS_GUEST_PHYS_ADDR		VMCS_ENC(VMCS_W64, VMCS_TRO, 0)
#define VMCS_LINK_POINTER		VMCS_ENC(VMCS_W64, VMCS_TGUEST, 0)
#define VMCS_GUEST_DEBUGCTL		VMCS_ENC(VMCS_W64, VMCS_TGUEST, 1)
#define VMCS_GUEST_PAT			VMCS_ENC(VMCS_W64, VMCS_TGUEST, 2)
#define VMCS_GUEST_EFER			VMCS_ENC(VMCS_W64, VMCS_TGUEST, 3)
#define VMCS_GUEST_PDPTE(n)		VMCS_ENC(VMCS_W64, VMCS_TGUEST, 5 + (n))
#define VMCS_HOST_PAT			VMCS_ENC(VMCS_W64, VMCS_THOST, 0)
#define VMCS_HOST_EFER			VMCS_ENC(VMCS_W64, VMCS_THOST, 1)

/* 32-bit */
#define VMCS_PIN_CTLS			VMCS_ENC(VMCS_W32, VMCS_TCTL, 0)
#define VMCS_PROC_CTLS			VMCS_ENC(VMCS_W32, VMCS_TCTL, 1)
#define VMCS_EXCEPTION_BITMAP		VMCS_ENC(VMCS_W32, VMCS_TCTL, 2)
#define VMCS_PF_ERROR_MASK		VMCS_ENC(VMCS_W32, VMCS_TCTL, 3)
#define VMCS_PF_ERROR_MATCH		VMCS_ENC(VMCS_W32, VMCS_TCTL, 4)
#define VMCS_CR3_TARGET_COUNT		VMCS_ENC(VMCS_W32, VMCS_TCTL, 5)
#define VMCS_EXIT_CTLS			VMCS_ENC(VMCS_W32, VMCS_TCTL, 6)
#define VMCS_EXIT_MSR_STORE_COUNT	VMCS_ENC(VMCS_W32, VMCS_TCTL, 7)
#define VMCS_EXIT_MSR_LOAD_COUNT	VMCS_ENC(VMCS_W32, VMCS_TCTL, 8)
#define VMCS_ENTRY_CTLS			VMCS_ENC(VMCS_W32, VMCS_TCTL, 9)
#define VMCS_ENTRY_MSR_LOAD_COUNT	VMCS_ENC(VMCS_W32, VMCS_TCTL, 10)
#define VMCS_ENTRY_INTR_INFO		VMCS_ENC(VMCS_W32, VMCS_TCTL, 11)
#define VMCS_ENTRY_EXCEPTION_ERROR	VMCS_ENC(VMCS_W32, VMCS_TCTL, 12)
#define VMCS_ENTRY_INSN_LEN		VMCS_ENC(VMCS_W32, VMCS_TCTL, 13)
#define VMCS_PROC2_CTLS			VMCS_ENC(VMCS_W32, VMCS_TCTL, 15)
#define VMCS_INSN_ERROR			VMCS_ENC(VMCS_W32, VMCS_TRO, 0)
#define VMCS_EXIT_REASON		VMCS_ENC(VMCS_W32, VMCS_TRO, 1)
#define VMCS_EXIT_INTR_INFO		VMCS_ENC(VMCS_W32, VMCS_TRO, 2)
#define VMCS_EXIT_INTR_ERROR		VMCS_ENC(VMCS_W32, VMCS_TRO, 3)
#define VMCS_IDT_VECTORING_INFO		VMCS_ENC(VMCS_W32, VMCS_TRO, 4)
#define VMCS_IDT_VECTORING_ERROR	VMCS_ENC(VMCS_W32, VMCS_TRO, 5)
#define VMCS_EXIT_INSN_LEN		VMCS_ENC(VMCS_W32, VMCS_TRO, 6)
#define VMCS_EXIT_INSN_INFO		VMCS_ENC(VMCS_W32, VMCS_TRO, 7)
#define VMCS_GUEST_ES_LIMIT		VMCS_ENC(VMCS_W32, VMCS_TGUEST, 0)
#define VMCS_GUEST_GDTR_LIMIT		VMCS_ENC(VMCS_W32, VMCS_TGUEST, 8)
#define VMCS_GUEST_IDTR_LIMIT		VMCS_ENC(VMCS_W32, VMCS_TGUEST, 9)
#define VMCS_GUEST_ES_AR		VMCS_ENC(VMCS_W32, VMCS_TGUEST, 10)
#define VMCS_GUEST_INTERRUPTIBILITY	VMCS_ENC(VMCS_W32, VMCS_TGUEST, 18)
#define VMCS_GUEST_ACTIVITY		VMCS_ENC(VMCS_W32, VMCS_TGUEST, 19)
#define VMCS_GUEST_SYSENTER_CS		VMCS_ENC(VMCS_W32, VMCS_TGUEST, 21)
#define VMCS_PREEMPTION_TIMER		VMCS_ENC(VMCS_W32, VMCS_TGUEST, 23)
#define VMCS_HOST_SYSENTER_CS		VMCS_ENC(VMCS_W32, VMCS_THOST, 0)

/* Natural width */
#define VMCS_CR0_MASK			VMCS_ENC(VMCS_WNAT, VMCS_TCTL, 0)
#define VMCS_CR4_MASK			VMCS_ENC(VMCS_WNAT, VMCS_TCTL, 1)
#define VMCS_CR0_SHADOW			VMCS_ENC(VMCS_WNAT, VMCS_TCTL, 2)
#define VMCS_CR4_SHADOW			VMCS_ENC(VMCS_WNAT, VMCS_TCTL, 3)
#define VMCS_EXIT_QUAL			VMCS_ENC(VMCS_WNAT, VMCS_TRO, 0)
#define VMCS_GUEST_LINEAR_ADDR		VMCS_ENC(VMCS_WNAT, VMCS_TRO, 5)
#define VMCS_GUEST_CR0			VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 0)
#define VMCS_GUEST_CR3			VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 1)
#define VMCS_GUEST_CR4			VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 2)
#define VMCS_GUEST_ES_BASE		VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 3)
#define VMCS_GUEST_GDTR_BASE		VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 11)
#define VMCS_GUEST_IDTR_BASE		VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 12)
#define VMCS_GUEST_DR7			VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 13)
#define VMCS_GUEST_RSP			VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 14)
#define VMCS_GUEST_RIP			VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 15)
#define VMCS_GUEST_RFLAGS		VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 16)
#define VMCS_GUEST_PENDING_DBG		VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 17)
#define VMCS_GUEST_SYSENTER_ESP		VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 18)
#define VMCS_GUEST_SYSENTER_EIP		VMCS_ENC(VMCS_WNAT, VMCS_TGUEST, 19)
#define VMCS_HOST_CR0			VMCS_ENC(VMCS_WNAT, VMCS_THOST, 0)
#define VMCS_HOST_CR3			VMCS_ENC(VMCS_WNAT, VMCS_THOST, 1)
#define VMCS_HOST_CR4			VMCS_ENC(VMCS_WNAT, VMCS_THOST, 2)
#define VMCS_HOST_FS_BASE		VMCS_ENC(VMCS_WNAT, VMCS_THOST, 3)
#define VMCS_HOST_GS_BASE		VMCS_ENC(VMCS_WNAT, VMCS_THOST, 4)
#define VMCS_HOST_TR_BASE		VMCS_ENC(VMCS_WNAT, VMCS_THOST, 5)
#define VMCS_HOST_GDTR_BASE		VMCS_ENC(VMCS_WNAT, VMCS_THOST, 6)
#define VMCS_HOST_IDTR_BASE		VMCS_ENC(VMCS_WNAT, VMCS_THOST, 7)
#define VMCS_HOST_SYSENTER_ESP		VMCS_ENC(VMCS_WNAT, VMCS_THOST, 8)
#define VMCS_HOST_SYSENTER_EIP		VMCS_ENC(VMCS_WNAT, VMCS_THOST, 9)
#define VMCS_HOST_RSP			VMCS_ENC(VMCS_WNAT, VMCS_THOST, 10)
#define VMCS_HOST_RIP			VMCS_ENC(VMCS_WNAT, VMCS_THOST, 11)

/* Guest segment fields by enum vmem_seg (ES CS SS DS FS GS TR LDTR). */
#define VMCS_GUEST_SEG_SEL(i)	(VMCS_GUEST_ES_SEL + 2 * vmx_seg_index(i))
#define VMCS_GUEST_SEG_LIMIT(i)	(VMCS_GUEST_ES_LIMIT + 2 * vmx_seg_index(i))
#define VMCS_GUEST_SEG_AR(i)	(VMCS_GUEST_ES_AR + 2 * vmx_seg_index(i))
#define VMCS_GUEST_SEG_BASE(i)	(VMCS_GUEST_ES_BASE + 2 * vmx_seg_index(i))

/* ---------------------------------------------------------------------- */
/* Controls (SDM 25.6-25.8; the capability MSRs of appendix A)            */

/* Pin-based VM-execution controls. */
#define VMX_PIN_EXTINT_EXITING		BIT(0)
#define VMX_PIN_NMI_EXITING		BIT(3)
#define VMX_PIN_VIRTUAL_NMIS		BIT(5)
#define VMX_PIN_PREEMPTION_TIMER	BIT(6)

/* Primary processor-based VM-execution controls. */
#define VMX_PROC_INTR_WINDOW		BIT(2)
#define VMX_PROC_TSC_OFFSETTING		BIT(3)
#define VMX_PROC_HLT_EXITING		BIT(7)
#define VMX_PROC_INVLPG_EXITING		BIT(9)
#define VMX_PROC_MWAIT_EXITING		BIT(10)
#define VMX_PROC_RDPMC_EXITING		BIT(11)
#define VMX_PROC_RDTSC_EXITING		BIT(12)
#define VMX_PROC_CR3_LOAD_EXITING	BIT(15)
#define VMX_PROC_CR3_STORE_EXITING	BIT(16)
#define VMX_PROC_CR8_LOAD_EXITING	BIT(19)
#define VMX_PROC_CR8_STORE_EXITING	BIT(20)
#define VMX_PROC_TPR_SHADOW		BIT(21)
#define VMX_PROC_NMI_WINDOW		BIT(22)
#define VMX_PROC_MOV_DR_EXITING		BIT(23)
#define VMX_PROC_UNCOND_IO_EXITING	BIT(24)
#define VMX_PROC_IO_BITMAPS		BIT(25)
#define VMX_PROC_MTF			BIT(27)
#define VMX_PROC_MSR_BITMAPS		BIT(28)
#define VMX_PROC_MONITOR_EXITING	BIT(29)
#define VMX_PROC_PAUSE_EXITING		BIT(30)
#define VMX_PROC_SECONDARY		BIT(31)

/* Secondary processor-based VM-execution controls. */
#define VMX_PROC2_EPT			BIT(1)
#define VMX_PROC2_DESC_EXITING		BIT(2)
#define VMX_PROC2_RDTSCP		BIT(3)
#define VMX_PROC2_VPID			BIT(5)
#define VMX_PROC2_WBINVD_EXITING	BIT(6)
#define VMX_PROC2_UNRESTRICTED		BIT(7)
#define VMX_PROC2_INVPCID		BIT(12)
#define VMX_PROC2_XSAVES		BIT(20)

/* VM-exit controls. */
#define VMX_EXIT_SAVE_DEBUG		BIT(2)
#define VMX_EXIT_HOST_64		BIT(9)
#define VMX_EXIT_ACK_INTR		BIT(15)
#define VMX_EXIT_SAVE_PAT		BIT(18)
#define VMX_EXIT_LOAD_PAT		BIT(19)
#define VMX_EXIT_SAVE_EFER		BIT(20)
#define VMX_EXIT_LOAD_EFER		BIT(21)

/* VM-entry controls. */
#define VMX_ENTRY_LOAD_DEBUG		BIT(2)
#define VMX_ENTRY_IA32E			BIT(9)
#define VMX_ENTRY_LOAD_PAT		BIT(14)
#define VMX_ENTRY_LOAD_EFER		BIT(15)

/* IA32_VMX_BASIC (SDM A.1). */
#define VMX_CAP_REVISION_MASK		GENMASK_ULL(30, 0)
#define VMX_CAP_REGION_SIZE(b)	(((b) >> 32) & 0x1fff)
#define VMX_CAP_32BIT_ADDR		BIT_ULL(48)
#define VMX_CAP_MEMTYPE(b)		(((b) >> 50) & 0xf)
#define VMX_CAP_INOUT_INFO		BIT_ULL(54)
#define VMX_CAP_TRUE_CTLS		BIT_ULL(55)
#define VMX_MEMTYPE_WB			6

/* IA32_VMX_EPT_VPID_CAP (SDM A.10). */
#define VMX_EPT_CAP_PWL4		BIT_ULL(6)
#define VMX_EPT_CAP_WB			BIT_ULL(14)
#define VMX_EPT_CAP_2M			BIT_ULL(16)
#define VMX_EPT_CAP_INVEPT		BIT_ULL(20)
#define VMX_EPT_CAP_AD			BIT_ULL(21)
#define VMX_EPT_CAP_INVEPT_SINGLE	BIT_ULL(25)
#define VMX_EPT_CAP_INVEPT_ALL		BIT_ULL(26)
#define VMX_VPID_CAP_INVVPID		BIT_ULL(32)
#define VMX_VPID_CAP_INVVPID_SINGLE	BIT_ULL(41)
#define VMX_VPID_CAP_INVVPID_ALL	BIT_ULL(42)

/* EPTP (SDM 25.6.11) and EPT entries (SDM 29.3.2). */
#define VMX_EPTP_WB			6ull
#define VMX_EPTP_PWL4			(3ull << 3)
#define VMX_EPTP_AD			BIT_ULL(6)
#define VMX_EPT_R			BIT_ULL(0)
#define VMX_EPT_W			BIT_ULL(1)
#define VMX_EPT_X			BIT_ULL(2)
#define VMX_EPT_MT_WB			(6ull << 3)
#define VMX_EPT_LARGE			BIT_ULL(7)
#define VMX_EPT_A			BIT_ULL(8)
#define VMX_EPT_D			BIT_ULL(9)

/* INVEPT / INVVPID types (SDM 31.3). */
#define VMX_INVEPT_SINGLE		1
#define VMX_INVEPT_ALL			2
#define VMX_INVVPID_SINGLE		1
#define VMX_INVVPID_ALL			2

/* ---------------------------------------------------------------------- */
/* Exit information                                                        */

/* Basic exit reasons (SDM appendix C). */
#define VMX_REASON_EXCEPTION_NMI	0
#define VMX_REASON_EXTINT		1
#define VMX_REASON_TRIPLE_FAULT		2
#define VMX_REASON_INIT			3
#define VMX_REASON_SIPI			4
#define VMX_REASON_IO_SMI		5
#define VMX_REASON_OTHER_SMI		6
#define VMX_REASON_INTR_WINDOW		7
#define VMX_REASON_NMI_WINDOW		8
#define VMX_REASON_TASK_SWITCH		9
#define VMX_REASON_CPUID		10
#define VMX_REASON_GETSEC		11
#define VMX_REASON_HLT			12
#define VMX_REASON_INVD			13
#define VMX_REASON_INVLPG		14
#define VMX_REASON_RDPMC		15
#define VMX_REASON_RDTSC		16
#define VMX_REASON_RSM			17
#define VMX_REASON_VMCALL		18
#define VMX_REASON_VMCLEAR		19
#define VMX_REASON_VMLAUNCH		20
#define VMX_REASON_VMPTRLD		21
#define VMX_REASON_VMPTRST		22
#define VMX_REASON_VMREAD		23
#define VMX_REASON_VMRESUME		24
#define VMX_REASON_VMWRITE		25
#define VMX_REASON_VMXOFF		26
#define VMX_REASON_VMXON		27
#define VMX_REASON_CR_ACCESS		28
#define VMX_REASON_DR_ACCESS		29
#define VMX_REASON_IO			30
#define VMX_REASON_RDMSR		31
#define VMX_REASON_WRMSR		32
#define VMX_REASON_INVALID_STATE	33
#define VMX_REASON_MSR_LOADING		34
#define VMX_REASON_MWAIT		36
#define VMX_REASON_MTF			37
#define VMX_REASON_MONITOR		39
#define VMX_REASON_PAUSE		40
#define VMX_REASON_MCE_DURING_ENTRY	41
#define VMX_REASON_EPT_VIOLATION	48
#define VMX_REASON_EPT_MISCONFIG	49
#define VMX_REASON_INVEPT		50
#define VMX_REASON_RDTSCP		51
#define VMX_REASON_PREEMPTION_TIMER	52
#define VMX_REASON_INVVPID		53
#define VMX_REASON_WBINVD		54
#define VMX_REASON_XSETBV		55
#define VMX_REASON_RDRAND		57
#define VMX_REASON_INVPCID		58
#define VMX_REASON_VMFUNC		59
#define VMX_REASON_ENCLS		60
#define VMX_REASON_RDSEED		61
#define VMX_REASON_XSAVES		63
#define VMX_REASON_XRSTORS		64
#define VMX_REASON_UMWAIT		67
#define VMX_REASON_TPAUSE		68

/* Exit reason field: basic reason in 15:0, bit 31 "VM-entry failure". */
#define VMX_REASON_BASIC(r)		((r) & 0xffff)
#define VMX_REASON_FAILED_ENTRY		BIT(31)

/*
 * Not hardware exit reasons: what vmx_vcpu_run() records when it did not
 * (or could not) enter, for vmx_handle_exit().  Above any basic reason.
 */
#define VMX_PSEUDO_MIGRATE		0x10000	/* VMCS active on another CPU */
#define VMX_PSEUDO_VMX_OFF		0x10001	/* this CPU is not in VMX root */
#define VMX_PSEUDO_VMFAIL		0x10002	/* VMLAUNCH/VMRESUME VMfail */
#define VMX_PSEUDO_FAULT		0x10003	/* VMLAUNCH/VMRESUME faulted */
#define VMX_PSEUDO_REAL_MODE		0x10004	/* shadow VM with CR0.PE=0 */

/*
 * VMEM_EXIT_FAIL_ENTRY's hardware_reason for a VMLAUNCH/VMRESUME that
 * failed without a VM exit (VMfailValid): this bit plus the VM-instruction
 * error number (SDM 31.4), e.g. 7 "invalid control fields", 8 "invalid
 * host-state fields".  Failures after the checks of the guest state are
 * VM exits and report the exit reason itself (bit 31 set: 0x80000021
 * invalid guest state, 0x80000022 MSR loading, 0x80000029 machine check).
 */
#define VMX_FAIL_ENTRY_VMFAIL		(1ull << 32)

/* VM-entry/exit interruption information (SDM 25.8.3, 28.2.2). */
#define VMX_INTR_VECTOR_MASK		0xffu
#define VMX_INTR_TYPE_SHIFT		8
#define VMX_INTR_TYPE_MASK		(7u << VMX_INTR_TYPE_SHIFT)
#define VMX_INTR_TYPE_EXTINT		(0u << VMX_INTR_TYPE_SHIFT)
#define VMX_INTR_TYPE_NMI		(2u << VMX_INTR_TYPE_SHIFT)
#define VMX_INTR_TYPE_HW_EXC		(3u << VMX_INTR_TYPE_SHIFT)
#define VMX_INTR_TYPE_SW_INT		(4u << VMX_INTR_TYPE_SHIFT)
#define VMX_INTR_TYPE_PRIV_SW_EXC	(5u << VMX_INTR_TYPE_SHIFT)
#define VMX_INTR_TYPE_SW_EXC		(6u << VMX_INTR_TYPE_SHIFT)
#define VMX_INTR_ERROR_VALID		BIT(11)
#define VMX_INTR_NMI_UNBLOCK		BIT(12)
#define VMX_INTR_VALID			BIT(31)

/* Guest interruptibility state (SDM 25.4.2). */
#define VMX_INTR_STATE_STI		BIT(0)
#define VMX_INTR_STATE_MOV_SS		BIT(1)
#define VMX_INTR_STATE_NMI		BIT(3)
#define VMX_INTR_STATE_SHADOW		(VMX_INTR_STATE_STI | \
					 VMX_INTR_STATE_MOV_SS)

/* Segment access rights in the VMCS (SDM 25.4.1, table 25-2). */
#define VMX_AR_TYPE_MASK		0xfu
#define VMX_AR_S			BIT(4)
#define VMX_AR_DPL_SHIFT		5
#define VMX_AR_P			BIT(7)
#define VMX_AR_AVL			BIT(12)
#define VMX_AR_L			BIT(13)
#define VMX_AR_DB			BIT(14)
#define VMX_AR_G			BIT(15)
#define VMX_AR_UNUSABLE			BIT(16)

/* Exit qualification: I/O instructions (SDM table 28-5). */
#define VMX_IO_SIZE_MASK		7u
#define VMX_IO_IN			BIT(3)
#define VMX_IO_STRING			BIT(4)
#define VMX_IO_REP			BIT(5)
#define VMX_IO_PORT_SHIFT		16

/* Exit qualification: control-register accesses (SDM table 28-3). */
#define VMX_CR_NUM(q)			((q) & 0xf)
#define VMX_CR_TYPE(q)			(((q) >> 4) & 3)
#define VMX_CR_TYPE_MOV_TO		0
#define VMX_CR_TYPE_MOV_FROM		1
#define VMX_CR_TYPE_CLTS		2
#define VMX_CR_TYPE_LMSW		3
#define VMX_CR_GPR(q)			(((q) >> 8) & 0xf)
#define VMX_CR_LMSW_DATA(q)		(((q) >> 16) & 0xffff)

/* Exit qualification: debug exceptions (SDM table 28-1). */
#define VMX_DB_QUAL_MASK		(0xfull | BIT_ULL(13) | BIT_ULL(14))

/* Exit qualification: EPT violations (SDM table 28-7). */
#define VMX_EPT_QUAL_WRITE		BIT_ULL(1)
#define VMX_EPT_QUAL_FETCH		BIT_ULL(2)
#define VMX_EPT_QUAL_LINEAR_VALID	BIT_ULL(7)
#define VMX_EPT_QUAL_FINAL		BIT_ULL(8)
#define VMX_EPT_QUAL_NMI_UNBLOCK	BIT_ULL(12)

/* VM-exit instruction information for INS/OUTS (SDM table 28-8). */
#define VMX_INSN_INFO_ADDR_SIZE(i)	(((i) >> 7) & 7)
#define VMX_INSN_INFO_SEG(i)		(((i) >> 15) & 7)

/* Activity states. */
#define VMX_ACTIVITY_ACTIVE		0

/* What __vmx_vcpu_run() returns (vmx_entry.S). */
#define VMX_RUN_EXIT			0	/* a VM exit */
#define VMX_RUN_FAIL_INVALID		1	/* VMfailInvalid (CF) */
#define VMX_RUN_FAIL_VALID		2	/* VMfailValid (ZF) */
#define VMX_RUN_FAULT			3	/* #UD/#GP: VMX off */

#ifndef __ASSEMBLY__

/* Compile-time checks of the encodings against SDM appendix B's tables. */
static_assert(VMCS_VPID == 0x0000);
static_assert(VMCS_GUEST_ES_SEL == 0x0800);
static_assert(VMCS_HOST_TR_SEL == 0x0c0c);
static_assert(VMCS_MSR_BITMAP == 0x2004);
static_assert(VMCS_TSC_OFFSET == 0x2010);
static_assert(VMCS_EPTP == 0x201a);
static_assert(VMCS_GUEST_PHYS_ADDR == 0x2400);
static_assert(VMCS_LINK_POINTER == 0x2800);
static_assert(VMCS_GUEST_EFER == 0x2806);
static_assert(VMCS_GUEST_PDPTE(3) == 0x2810);
static_assert(VMCS_HOST_EFER == 0x2c02);
static_assert(VMCS_PROC_CTLS == 0x4002);
static_assert(VMCS_ENTRY_INSN_LEN == 0x401a);
static_assert(VMCS_PROC2_CTLS == 0x401e);
static_assert(VMCS_EXIT_REASON == 0x4402);
static_assert(VMCS_EXIT_INSN_INFO == 0x440e);
static_assert(VMCS_GUEST_ES_AR == 0x4814);
static_assert(VMCS_GUEST_INTERRUPTIBILITY == 0x4824);
static_assert(VMCS_GUEST_SYSENTER_CS == 0x482a);
static_assert(VMCS_PREEMPTION_TIMER == 0x482e);
static_assert(VMCS_HOST_SYSENTER_CS == 0x4c00);
static_assert(VMCS_CR4_SHADOW == 0x6006);
static_assert(VMCS_EXIT_QUAL == 0x6400);
static_assert(VMCS_GUEST_LINEAR_ADDR == 0x640a);
static_assert(VMCS_GUEST_CR0 == 0x6800);
static_assert(VMCS_GUEST_GDTR_BASE == 0x6816);
static_assert(VMCS_GUEST_RFLAGS == 0x6820);
static_assert(VMCS_GUEST_SYSENTER_EIP == 0x6826);
static_assert(VMCS_HOST_CR0 == 0x6c00);
static_assert(VMCS_HOST_RSP == 0x6c14);
static_assert(VMCS_HOST_RIP == 0x6c16);

/*
 * The VMCS orders segments ES CS SS DS FS GS LDTR TR; enum vmem_seg is
 * ES CS SS DS FS GS TR LDTR.
 */
static inline unsigned int vmx_seg_index(int seg)
{
	switch (seg) {
	case VMEM_SEG_TR:
		return 7;
	case VMEM_SEG_LDTR:
		return 6;
	default:
		return seg;
	}
}

/* ---------------------------------------------------------------------- */
/* VMX instructions                                                        */

/*
 * Every VMX instruction has an exception fixup: VMX can be turned off
 * under a vCPU by the emergency path (crash, reboot), and a fault there
 * must not become an oops.  VMfail (CF or ZF set) is reported separately
 * where the caller can do something about it.
 */
void vmx_vmwrite_error(unsigned long field, unsigned long value);

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long value = 0;

	asm volatile("1: vmread %[field], %[value]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [value] "+r" (value)
		     : [field] "r" (field)
		     : "cc");
	return value;
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	return vmcs_read(field);
}

static __always_inline void vmcs_write(unsigned long field,
				       unsigned long value)
{
	asm goto("1: vmwrite %[value], %[field]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [field] "r" (field), [value] "rm" (value)
		 : "cc" : fail, fault);
	return;
fail:
	vmx_vmwrite_error(field, value);
fault:
	return;
}

static __always_inline int vmx_vmclear(u64 pa)
{
	asm goto("1: vmclear %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (pa) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

static __always_inline int vmx_vmptrld(u64 pa)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (pa) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

static __always_inline void vmx_invept(unsigned long type, u64 eptp)
{
	struct {
		u64 eptp, reserved;
	} desc = { eptp, 0 };

	asm volatile("1: invept %[desc], %[type]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" (type)
		     : "cc", "memory");
}

static __always_inline void vmx_invvpid(unsigned long type, u16 vpid)
{
	struct {
		u64 vpid, gva;
	} desc = { vpid, 0 };

	asm volatile("1: invvpid %[desc], %[type]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" (type)
		     : "cc", "memory");
}

/* ---------------------------------------------------------------------- */
/* Backend state                                                           */

/**
 * struct vmx_caps - what the CPU offers and what vmem uses of it
 * @basic:		IA32_VMX_BASIC
 * @revision:		VMCS revision id, at the head of VMXON/VMCS regions
 * @true_ctls:		the IA32_VMX_TRUE_*_CTLS MSRs exist
 * @inout_info:		VM-exit instruction information for INS/OUTS
 * @cr0_fixed0, @cr0_fixed1, @cr4_fixed0, @cr4_fixed1: IA32_VMX_CR*_FIXED*
 * @ept_vpid_cap:	IA32_VMX_EPT_VPID_CAP, 0 without secondary controls
 * @has_ept:		EPT usable (4-level walk, WB, INVEPT)
 * @has_vpid:		VPID usable (INVVPID)
 * @ept_ad:		A/D flags in EPT entries (set in the EPTP)
 * @unrestricted:	unrestricted guest: real mode and unpaged protected
 *			mode run natively (VMs on EPT only: it needs EPT on)
 * @shadow:		shadow-MMU VMs can run: CR3-load/store and INVLPG
 *			exiting may be 1 (see vmx_shadow.c)
 * @preempt_timer:	the VMX-preemption timer is used (see vmx_vcpu_run())
 * @preempt_value:	its start value, about 1 ms of TSC
 * @has_debugctl:	IA32_DEBUGCTL is readable (Bochs has none): the VM exit
 *			clears it, so the host's value is put back
 * @pin, @proc, @proc2, @exit, @entry: the controls every VMCS starts with
 *			(entry without IA-32e mode guest; proc without the
 *			window exits; pin without the preemption timer)
 * @cr4_allowed:	CR4 bits a guest may hold (architectural set,
 *			narrowed by this host's features and CR4_FIXED1)
 * @phys_bits:		host MAXPHYADDR
 *
 * All [I]: written by vmx_hardware_setup() during module init.
 */
struct vmx_caps {
	u64 basic;
	u32 revision;
	bool true_ctls;
	bool inout_info;
	u64 cr0_fixed0;
	u64 cr0_fixed1;
	u64 cr4_fixed0;
	u64 cr4_fixed1;
	u64 ept_vpid_cap;
	bool has_ept;
	bool has_vpid;
	bool ept_ad;
	bool unrestricted;
	bool shadow;
	bool preempt_timer;
	u32 preempt_value;
	bool has_debugctl;
	u32 pin, proc, proc2, exit, entry;
	u64 cr4_allowed;
	u8 phys_bits;
};

extern struct vmx_caps vmx_caps;

/* The MSR bitmap every VMCS points at (see vmx.c).  [I] */
extern u64 vmx_msr_bitmap_pa;

/*
 * MSRs the guest uses only from its own user mode or through SYSCALL:
 * loaded with the guest's values before an entry and left there until the
 * vCPU's thread (or any task on that CPU) returns to user space, when a
 * user-return notifier puts the host's back (KVM's "user return MSRs").
 * The host kernel does not use them in between: SYSCALL MSRs only matter
 * at a user-mode SYSCALL, TSC_AUX only to user RDTSCP/RDPID (the kernel's
 * paranoid entry reads the CPU number with LSL, not RDPID).
 */
enum vmx_uret_msr {
	VMX_URET_STAR,
	VMX_URET_LSTAR,
	VMX_URET_CSTAR,
	VMX_URET_SFMASK,
	VMX_URET_TSC_AUX,
	VMX_NR_URET
};

/**
 * struct vmx_cpu - per-CPU state of the backend
 * @on:			this CPU is in VMX root operation
 * @current_vmcs:	the vCPU whose VMCS is current (VMPTRLD), or NULL
 * @loaded:		every vCPU whose VMCS is active on this CPU, so that
 *			disabling VMX (hotplug, suspend, unload, emergency)
 *			can VMCLEAR them first; linked with list_add_rcu/
 *			list_del_rcu so the NMI-time emergency walk always
 *			finds a consistent forward chain
 * @gdt:		this CPU's GDT descriptor: VM exit sets the GDTR limit
 *			to 0xffff, the real one is put back after each exit
 * @urn:		the user-return notifier, registered while guest
 *			values are in the VMX_URET MSRs
 * @urn_registered:	@urn is on this CPU's list
 * @uret_host:		the host's values of the VMX_URET MSRs
 * @uret_cur:		what the MSRs hold now
 * @nmi_exits:		host NMIs that arrived in a guest here and were handed
 *			to the host's handler (__vmx_do_nmi); read with
 *			READ_ONCE by the vmx_nmi_test debugfs hook, so a test
 *			can tell that path from NMIs taken in the host
 *
 * [p] All written only by the owning CPU with interrupts off.
 */
struct vmx_cpu {
	bool on;
	struct vmx_vcpu *current_vmcs;
	struct list_head loaded;
	struct desc_ptr gdt;
	struct user_return_notifier urn;
	bool urn_registered;
	u64 uret_host[VMX_NR_URET];
	u64 uret_cur[VMX_NR_URET];
	unsigned long nmi_exits;
};

DECLARE_PER_CPU(struct vmx_cpu, vmx_cpu);

/**
 * struct vmx_vcpu - the VMX side of one vCPU (vcpu->backend)
 * @vcpu:		back pointer  [I]
 * @vmcs:		the VMCS region  [I] pointer; the hardware owns the
 *			contents while the VMCS is active
 * @vmcs_page, @vmcs_pa: its page and physical address  [I]
 * @cpu:		the CPU the VMCS is active on (VMPTRLDed and not yet
 *			VMCLEARed), -1 if clear.  Set by the vCPU thread
 *			with interrupts off on that CPU; set back to -1 by
 *			that CPU when it VMCLEARs (its IPI, hotplug, unload);
 *			READ_ONCE elsewhere  [a]
 * @loaded_link:	on vmx_cpu.loaded of @cpu  [p]
 * @launched:		VMLAUNCH done since the VMCS was last made active:
 *			the next entry is a VMRESUME  [v]
 * @shadow:		the VM runs on the shadow MMU (vmx_shadow.c)  [I]
 * @unrestricted:	unrestricted guest is on in this VMCS: never for
 *			@shadow, since it needs EPT  [I]
 * @gcr3, @gefer:	with @shadow, the guest's own CR3 and EFER; the VMCS
 *			holds the shadow root and the EFER the CPU runs with
 *			(vmem_shadow_hw_regs()).  The guest's CR0 and CR4
 *			are the read shadows' owned bits, as without @shadow,
 *			since every bit the CPU holds differently is owned  [v]
 * @vpid:		this vCPU's VPID, 0 without VPID  [I]
 * @eptp:		the EPT pointer  [I]
 * @host_rsp, @host_cr3, @host_cr4, @host_fs_base: the values last
 *			written to those host-state fields  [v]
 * @pin, @proc, @proc2, @entry: the controls as last written  [v]
 * @cr0_mask, @cr4_mask: guest/host masks as last written  [v]
 * @rflags:		guest RFLAGS, current outside the guest  [v]
 * @intr_state:		guest interruptibility state, current outside  [v]
 * @state_dirty:	@rflags/@intr_state changed since the exit  [v]
 * @exit_rip:		guest RIP at the last exit (the core moving RIP
 *			means an instruction was emulated, and its
 *			interrupt shadow ended with it)  [v]
 * @cr2:		guest CR2 (not in the VMCS)  [v]
 * @cr8:		guest TPR (CR8 accesses exit)  [v]
 * @db:			guest DR0-DR3  [v]
 * @dr6:		guest DR6 (not in the VMCS)  [v]
 * @dr7:		guest DR7, a copy of the VMCS's, current outside the
 *			guest (MOV DR exits, or is read back at the exit)  [v]
 * @db_guest_owned:	the guest touched a debug register: DR0-3/DR6 are in
 *			the hardware and MOV DR does not exit until the next
 *			exit (KVM's "won't exit" scheme, as on SVM)  [v]
 * @debugctl:		guest IA32_DEBUGCTL as written: kept for reading back,
 *			without effect (the VMCS's stays 0), as on SVM  [v]
 * @kernel_gs_base:	guest IA32_KERNEL_GS_BASE, swapped around each
 *			entry (SWAPGS changes it without an exit)  [v]
 * @uret:		guest values of the VMX_URET MSRs  [v]
 * @irq_window:		the core asked for an interrupt window  [v]
 * @flush:		the guest's TLB must be flushed before the next
 *			entry (set_sregs, emulated CR writes, new CPU)  [v]
 * @cpuid_seen, @nr_cpuid_seen: the CPUID table "enable RDTSCP" was last
 *			derived from  [v]
 * @exit_reason ... @insn_error: the last exit, read by vmx_vcpu_run()
 *			for vmx_handle_exit()  [v]
 */
struct vmx_vcpu {
	struct vmem_vcpu *vcpu;
	void *vmcs;
	struct page *vmcs_page;
	u64 vmcs_pa;

	int cpu;
	struct list_head loaded_link;
	bool launched;
	bool shadow;
	bool unrestricted;
	u64 gcr3;
	u64 gefer;
	u16 vpid;
	u64 eptp;

	unsigned long host_rsp;
	unsigned long host_cr3;
	unsigned long host_cr4;
	unsigned long host_fs_base;

	u32 pin, proc, proc2, entry;
	unsigned long cr0_mask, cr4_mask;

	u64 rflags;
	u32 intr_state;
	bool state_dirty;
	u64 exit_rip;
	u64 cr2;
	u8 cr8;
	u64 db[4];
	u64 dr6;
	u64 dr7;
	bool db_guest_owned;
	u64 debugctl;
	u64 kernel_gs_base;
	u64 uret[VMX_NR_URET];
	bool irq_window;
	bool flush;
	const void *cpuid_seen;
	u32 nr_cpuid_seen;

	u32 exit_reason;
	u64 exit_qual;
	u32 exit_intr_info;
	u32 exit_intr_error;
	u32 idt_info;
	u32 insn_len;
	u32 insn_info;
	u64 exit_gpa;
	u32 insn_error;
};

static inline struct vmx_vcpu *to_vmx(struct vmem_vcpu *vcpu)
{
	return vcpu->backend;
}

/* ---------------------------------------------------------------------- */
/* Functions shared between the backend's files                            */

/*
 * vmx_entry.S: one VMLAUNCH (@resume 0) or VMRESUME, GPRs from/to @regs
 * (enum vmem_gpr order; RSP is the VMCS's).  *@host_rsp caches the
 * HOST_RSP field.  Returns 0 after a VM exit, 1 on VMfailInvalid, 2 on
 * VMfailValid, 3 if the instruction faulted (VMX off).
 */
int __vmx_vcpu_run(u64 *regs, unsigned long resume, unsigned long *host_rsp);
/* Where VM exits land: the VMCS's HOST_RIP. */
void __vmx_vmexit(void);
/* Invoke the host's NMI handler as if an NMI had arrived (IRQs off). */
void __vmx_do_nmi(void);

/* vmx.c */
int vmx_vm_init(struct vmem_vm *vm);
void vmx_vm_destroy(struct vmem_vm *vm);
int vmx_vmcs_load_here(struct vmx_vcpu *vmx);
void vmx_vmcs_clear_ipi(void *arg);
void vmx_uret_load(struct vmx_vcpu *vmx);

/* vmx_vcpu.c */
int vmx_vcpu_create(struct vmem_vcpu *vcpu);
void vmx_vcpu_destroy(struct vmem_vcpu *vcpu);
void vmx_vcpu_reset(struct vmem_vcpu *vcpu);
int vmx_vmcs_get(struct vmx_vcpu *vmx);
void vmx_vmcs_put(struct vmx_vcpu *vmx);
u64 vmx_get_rflags(struct vmem_vcpu *vcpu);
void vmx_set_rflags(struct vmem_vcpu *vcpu, u64 rflags);
void vmx_get_segment(struct vmem_vcpu *vcpu, struct vmem_segment *seg,
		     int which);
void vmx_get_sregs(struct vmem_vcpu *vcpu, struct vmem_sregs *sregs);
int vmx_set_sregs(struct vmem_vcpu *vcpu, const struct vmem_sregs *sregs);
void vmx_get_debugregs(struct vmem_vcpu *vcpu, struct vmem_debugregs *dregs);
int vmx_set_debugregs(struct vmem_vcpu *vcpu,
		      const struct vmem_debugregs *dregs);
int vmx_get_msr(struct vmem_vcpu *vcpu, u32 index, u64 *data);
int vmx_set_msr(struct vmem_vcpu *vcpu, u32 index, u64 data);
int vmx_get_cpl(struct vmem_vcpu *vcpu);
u64 vmx_get_cr8(struct vmem_vcpu *vcpu);
bool vmx_interrupt_allowed(struct vmem_vcpu *vcpu);
bool vmx_nmi_allowed(struct vmem_vcpu *vcpu);
void vmx_enable_irq_window(struct vmem_vcpu *vcpu, bool enable);
void vmx_vcpu_run(struct vmem_vcpu *vcpu);
/* With the VMCS current (vmx_vmcs_get or in the run path). */
u64 vmx_read_cr0(struct vmx_vcpu *vmx);
u64 vmx_read_cr4(struct vmx_vcpu *vmx);
/* Emulated MOV to CR0/CR4: 0, -EINVAL (#GP), -EOPNOTSUPP.  May sleep. */
int vmx_set_cr0(struct vmem_vcpu *vcpu, u64 cr0);
int vmx_set_cr4(struct vmem_vcpu *vcpu, u64 cr4);
bool vmx_long_mode_64bit(struct vmx_vcpu *vmx);
bool vmx_canonical(u64 addr);
/* The guest's own EFER and CR3 (not the CPU's under the shadow MMU). */
u64 vmx_guest_efer(struct vmx_vcpu *vmx);
u64 vmx_guest_cr3(struct vmx_vcpu *vmx);

/* vmx_shadow.c: the shadow MMU's controls, registers and exits */
void vmx_shadow_vmcs_setup(struct vmx_vcpu *vmx, u32 *proc, u32 *proc2,
			   u32 *exceptions);
u64 vmx_shadow_hw_cr0(u64 cr0);
u64 vmx_shadow_hw_cr4(u64 cr4);
u64 vmx_shadow_hw_efer(u64 efer);
bool vmx_shadow_paging_changed(u64 cr0, u64 cr4, u64 efer, u64 old_cr0,
			       u64 old_cr4, u64 old_efer);
int vmx_shadow_set_cr3(struct vmem_vcpu *vcpu, u64 val);
int vmx_shadow_exit_pf(struct vmem_vcpu *vcpu);
int vmx_shadow_exit_invlpg(struct vmem_vcpu *vcpu);

/* vmx_exit.c */
bool vmx_handle_exit_fast(struct vmem_vcpu *vcpu);
int vmx_handle_exit(struct vmem_vcpu *vcpu);

#endif /* !__ASSEMBLY__ */
#endif /* _VMEM_X86_VMX_H */
