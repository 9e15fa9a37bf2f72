/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/insn.h - the instruction decoder shared by the core's exit helpers
 * (decode.c, exits.c).  Core-internal: backends use vmem_insn_length()
 * and the vmem_exit_*() helpers from vmem_vm.h.
 */
#ifndef _VMEM_X86_INSN_H
#define _VMEM_X86_INSN_H

#include <linux/types.h>

struct vmem_vcpu;

#define VMEM_INSN_MAX	15

/**
 * struct vmem_insn - one decoded instruction
 * @bytes, @nbytes:	what was fetched at CS:RIP (may be short at the
 *			end of the guest's mapped code)
 * @mode:		code size in bytes: 2, 4 or 8
 * @op_bytes:		operand size after 66h/REX.W
 * @addr_bytes:		address size after 67h
 * @seg:		segment override (VMEM_SEG_*), or -1
 * @rep, @repne, @opsize, @lock: legacy prefixes seen
 * @rex:		the REX byte, 0 if none (64-bit mode only)
 * @vex:		a VEX prefix was decoded
 * @map:		opcode map: 0 one-byte, 1 0F, 2 0F38, 3 0F3A
 * @opcode:		the opcode byte within @map
 * @has_modrm, @modrm, @mod, @reg, @rm: ModRM (@reg and @rm with REX)
 * @has_sib, @sib:	the SIB byte of a memory operand
 * @disp:		its displacement, sign-extended
 * @imm:		the immediate, sign-extended
 * @moffs:		the A0-A3 memory offset
 * @len:		instruction length
 */
struct vmem_insn {
	u8 bytes[VMEM_INSN_MAX];
	unsigned int nbytes;
	u8 mode;
	u8 op_bytes;
	u8 addr_bytes;
	s8 seg;
	bool rep, repne, opsize, lock;
	u8 rex;
	bool vex;
	u8 map;
	u8 opcode;
	bool has_modrm;
	u8 modrm, mod, reg, rm;
	bool has_sib;
	u8 sib;
	s64 disp;
	s64 imm;
	u64 moffs;
	unsigned int len;
};

/* The code size (2, 4, 8) of the vCPU's current CS. */
unsigned int vmem_code_size(struct vmem_vcpu *vcpu);
/* Fetch at CS:RIP and decode prefixes, opcode, ModRM, immediates. */
int vmem_insn_decode(struct vmem_vcpu *vcpu, struct vmem_insn *insn);
/* The linear address of a decoded ModRM memory operand (no limit checks). */
u64 vmem_insn_linear(struct vmem_vcpu *vcpu, const struct vmem_insn *insn);

#endif /* _VMEM_X86_INSN_H */
