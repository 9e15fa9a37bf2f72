// SPDX-License-Identifier: GPL-2.0
/*
 * x86/decode.c - just enough instruction decoding for exits.
 *
 * Never an emulator: vmem decodes an instruction only to learn its length
 * (for intercepts on CPUs without next-RIP reporting, such as QEMU's SVM)
 * and, for MMIO, which register and how many bytes move.  The MMIO forms
 * understood are the plain MOVs compilers emit for device access:
 *
 *   88/89 MOV r/m,r   8A/8B MOV r,r/m   C6/C7 /0 MOV r/m,imm
 *   A0-A3 MOV AL/rAX <-> moffs          0F B6/B7 MOVZX   0F BE/BF MOVSX
 *   63 MOVSXD (64-bit mode)             0F C3 MOVNTI
 *
 * with 66h/REX.W sizes, REX.R/B, ModRM/SIB/displacements and 16-bit
 * addressing.  Anything else becomes VMEM_EXIT_INTERNAL (EMULATION) with
 * the instruction bytes, for the VMM to emulate or report.  The length
 * decoder (VMEM_INSN_ANY) knows the one-, two- and three-byte maps and
 * VEX; it does not know EVEX, XOP or 3DNow! suffix forms.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/msr-index.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "vmem_vm.h"
#include "insn.h"

unsigned int vmem_code_size(struct vmem_vcpu *vcpu)
{
	struct vmem_sregs sregs;

	vmem_get_sregs(vcpu, &sregs);
	if ((sregs.efer & EFER_LMA) && sregs.cs.l)
		return 8;
	return sregs.cs.db ? 4 : 2;
}

/*
 * Fetch up to 15 bytes at CS:RIP.  A second page that cannot be read
 * only shortens the fetch (the instruction may end before it).
 */
static int vmem_fetch(struct vmem_vcpu *vcpu, unsigned int mode, u8 *buf,
		      unsigned int *len)
{
	struct vmem_segment cs;
	unsigned int first;
	u64 lin, fault;
	int r;

	if (mode == 8) {
		lin = vcpu->rip;
	} else {
		vmem_backend->get_segment(vcpu, &cs, VMEM_SEG_CS);
		lin = (u32)(cs.base + (mode == 2 ? (u16)vcpu->rip :
						   (u32)vcpu->rip));
	}
	first = min_t(unsigned int, VMEM_INSN_MAX,
		      PAGE_SIZE - offset_in_page(lin));
	r = vmem_guest_virt_access(vcpu, lin, buf, first, VMEM_ACC_FETCH,
				   &fault);
	if (r)
		return r;
	*len = first;
	if (first < VMEM_INSN_MAX &&
	    !vmem_guest_virt_access(vcpu, lin + first, buf + first,
				    VMEM_INSN_MAX - first, VMEM_ACC_FETCH,
				    &fault))
		*len = VMEM_INSN_MAX;
	return 0;
}

int vmem_insn_fetch(struct vmem_vcpu *vcpu, u8 *insn, unsigned int *len)
{
	return vmem_fetch(vcpu, vmem_code_size(vcpu), insn, len);
}

/* ---------------------------------------------------------------------- */
/* Opcode tables                                                           */

static bool onebyte_has_modrm(u8 op)
{
	switch (op) {
	case 0x00 ... 0x03: case 0x08 ... 0x0b:
	case 0x10 ... 0x13: case 0x18 ... 0x1b:
	case 0x20 ... 0x23: case 0x28 ... 0x2b:
	case 0x30 ... 0x33: case 0x38 ... 0x3b:
	case 0x62: case 0x63: case 0x69: case 0x6b:
	case 0x80 ... 0x8f:
	case 0xc0: case 0xc1: case 0xc4 ... 0xc7:
	case 0xd0 ... 0xd3: case 0xd8 ... 0xdf:
	case 0xf6: case 0xf7: case 0xfe: case 0xff:
		return true;
	default:
		return false;
	}
}

static bool twobyte_has_modrm(u8 op)
{
	switch (op) {
	case 0x04 ... 0x09: case 0x0a: case 0x0b: case 0x0e:
	case 0x30 ... 0x37: case 0x77:
	case 0x80 ... 0x8f:
	case 0xa0 ... 0xa2: case 0xa8 ... 0xaa:
	case 0xc8 ... 0xcf:
		return false;
	default:
		return true;
	}
}

/* Immediate bytes after ModRM/displacement. */
static unsigned int insn_imm_size(const struct vmem_insn *insn)
{
	unsigned int iz = insn->op_bytes == 2 ? 2 : 4;
	u8 op = insn->opcode;

	if (insn->map == 3)
		return 1;
	if (insn->map == 2)
		return 0;
	if (insn->map == 1) {
		switch (op) {
		case 0x70 ... 0x73: case 0xa4: case 0xac: case 0xba:
		case 0xc2: case 0xc4 ... 0xc6:
			return 1;
		case 0x80 ... 0x8f:
			return insn->mode == 8 ? 4 : iz;
		default:
			return 0;
		}
	}
	switch (op) {
	case 0x04: case 0x0c: case 0x14: case 0x1c:
	case 0x24: case 0x2c: case 0x34: case 0x3c:
	case 0x6a: case 0x6b: case 0x70 ... 0x7f:
	case 0x80: case 0x82: case 0x83: case 0xa8: case 0xb0 ... 0xb7:
	case 0xc0: case 0xc1: case 0xc6: case 0xcd: case 0xd4: case 0xd5:
	case 0xe0 ... 0xe7: case 0xeb:
		return 1;
	case 0x05: case 0x0d: case 0x15: case 0x1d:
	case 0x25: case 0x2d: case 0x35: case 0x3d:
	case 0x68: case 0x69: case 0x81: case 0xa9: case 0xc7:
		return iz;
	case 0xe8: case 0xe9:
		return insn->mode == 8 ? 4 : iz;
	case 0xb8 ... 0xbf:
		return insn->op_bytes;
	case 0xc2: case 0xca:
		return 2;
	case 0xc8:
		return 3;
	case 0x9a: case 0xea:
		return 2 + iz;
	case 0xf6:
		return (insn->reg & 7) < 2 ? 1 : 0;
	case 0xf7:
		return (insn->reg & 7) < 2 ? iz : 0;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------------- */
/* Decoder                                                                 */

struct vmem_cursor {
	struct vmem_insn *insn;
	unsigned int pos;
};

static int cur_byte(struct vmem_cursor *c, u8 *b)
{
	if (c->pos >= VMEM_INSN_MAX)
		return -EINVAL;		/* longer than 15 bytes: #GP */
	if (c->pos >= c->insn->nbytes)
		return -EFAULT;		/* runs into an unreadable page */
	*b = c->insn->bytes[c->pos++];
	return 0;
}

static int cur_imm(struct vmem_cursor *c, unsigned int size, s64 *val)
{
	u64 v = 0;
	unsigned int i;
	u8 b;
	int r;

	for (i = 0; i < size; i++) {
		r = cur_byte(c, &b);
		if (r)
			return r;
		v |= (u64)b << (8 * i);
	}
	if (size && size < 8)
		v = sign_extend64(v, 8 * size - 1);
	*val = v;
	return 0;
}

static int decode_modrm(struct vmem_cursor *c)
{
	struct vmem_insn *insn = c->insn;
	unsigned int disp = 0;
	u8 sib;
	int r;

	r = cur_byte(c, &insn->modrm);
	if (r)
		return r;
	insn->has_modrm = true;
	insn->mod = insn->modrm >> 6;
	insn->reg = ((insn->modrm >> 3) & 7) | ((insn->rex & 4) << 1);
	insn->rm = (insn->modrm & 7) | ((insn->rex & 1) << 3);

	/* MOV to/from CR/DR: the ModRM is a register form whatever mod says. */
	if (insn->map == 1 && insn->opcode >= 0x20 && insn->opcode <= 0x23)
		return 0;
	if (insn->mod == 3)
		return 0;

	if (insn->addr_bytes == 2) {
		if (insn->mod == 1)
			disp = 1;
		else if (insn->mod == 2 || (insn->modrm & 7) == 6)
			disp = 2;
	} else {
		if ((insn->modrm & 7) == 4) {
			r = cur_byte(c, &sib);
			if (r)
				return r;
			insn->has_sib = true;
			insn->sib = sib;
			if (insn->mod == 0 && (sib & 7) == 5)
				disp = 4;
		}
		if (insn->mod == 1)
			disp = 1;
		else if (insn->mod == 2 ||
			 (insn->mod == 0 && (insn->modrm & 7) == 5))
			disp = 4;
	}
	return cur_imm(c, disp, &insn->disp);
}

/*
 * The effective address of the ModRM memory operand, plus the segment
 * base (SDM vol. 2, 2.1.5 and 2.2.1.6): for INVLPG under the shadow MMU on
 * CPUs that do not report its operand.  No limit or canonical checks: the
 * instructions it serves do not fault on the address.
 */
u64 vmem_insn_linear(struct vmem_vcpu *vcpu, const struct vmem_insn *insn)
{
	static const u8 base16[8][2] = {
		{ VMEM_RBX, VMEM_RSI }, { VMEM_RBX, VMEM_RDI },
		{ VMEM_RBP, VMEM_RSI }, { VMEM_RBP, VMEM_RDI },
		{ VMEM_RSI, 0xff }, { VMEM_RDI, 0xff },
		{ VMEM_RBP, 0xff }, { VMEM_RBX, 0xff },
	};
	int seg = VMEM_SEG_DS;
	struct vmem_segment s;
	u64 ea = insn->disp;
	unsigned int rm = insn->rm & 7;

	if (insn->addr_bytes == 2) {
		if (!(insn->mod == 0 && rm == 6)) {
			ea += vcpu->regs[base16[rm][0]];
			if (base16[rm][1] != 0xff)
				ea += vcpu->regs[base16[rm][1]];
			if (base16[rm][0] == VMEM_RBP)
				seg = VMEM_SEG_SS;
		}
		ea = (u16)ea;
	} else {
		if (insn->has_sib) {
			unsigned int index = ((insn->sib >> 3) & 7) |
					     ((insn->rex & 2) << 2);
			unsigned int base = (insn->sib & 7) |
					    ((insn->rex & 1) << 3);

			if (index != 4)
				ea += vcpu->regs[index] << (insn->sib >> 6);
			if (!(insn->mod == 0 && (base & 7) == 5)) {
				ea += vcpu->regs[base];
				if (base == 4 || base == 5)
					seg = VMEM_SEG_SS;
			}
		} else if (insn->mod == 0 && rm == 5) {
			/* RIP-relative in 64-bit mode, disp32 otherwise. */
			if (insn->mode == 8)
				ea += vcpu->rip + insn->len;
		} else {
			ea += vcpu->regs[insn->rm];
			if (insn->rm == 5)
				seg = VMEM_SEG_SS;
		}
		if (insn->addr_bytes == 4)
			ea = (u32)ea;
	}
	if (insn->seg >= 0)
		seg = insn->seg;
	/* 64-bit mode: only FS and GS have a base. */
	if (insn->mode == 8 && seg != VMEM_SEG_FS && seg != VMEM_SEG_GS)
		return ea;
	vmem_backend->get_segment(vcpu, &s, seg);
	return insn->mode == 8 ? s.base + ea : (u32)(s.base + ea);
}

static int decode_vex(struct vmem_cursor *c, u8 first)
{
	struct vmem_insn *insn = c->insn;
	u8 b1, b2;
	int r;

	insn->vex = true;
	r = cur_byte(c, &b1);
	if (r)
		return r;
	if (first == 0xc5) {
		insn->map = 1;
		/* R is stored inverted. */
		insn->rex = (b1 & 0x80) ? 0 : 4;
	} else {
		r = cur_byte(c, &b2);
		if (r)
			return r;
		insn->map = b1 & 0x1f;
		if (insn->map < 1 || insn->map > 3)
			return -EINVAL;
		insn->rex = ((~b1 >> 5) & 7) | ((b2 & 0x80) ? 8 : 0);
		if (insn->mode == 8 && (b2 & 0x80))
			insn->op_bytes = 8;
	}
	return cur_byte(c, &insn->opcode);
}

int vmem_insn_decode(struct vmem_vcpu *vcpu, struct vmem_insn *insn)
{
	struct vmem_cursor c = { .insn = insn };
	u8 b, next;
	int r;

	memset(insn, 0, sizeof(*insn));
	insn->seg = -1;
	insn->mode = vmem_code_size(vcpu);
	r = vmem_fetch(vcpu, insn->mode, insn->bytes, &insn->nbytes);
	if (r)
		return r;

	/* Legacy prefixes, any order. */
	for (;;) {
		r = cur_byte(&c, &b);
		if (r)
			return r;
		switch (b) {
		case 0x66: insn->opsize = true; continue;
		case 0x67: insn->addr_bytes = 1; continue;	/* seen */
		case 0xf0: insn->lock = true; continue;
		case 0xf2: insn->repne = true; continue;
		case 0xf3: insn->rep = true; continue;
		case 0x26: insn->seg = VMEM_SEG_ES; continue;
		case 0x2e: insn->seg = VMEM_SEG_CS; continue;
		case 0x36: insn->seg = VMEM_SEG_SS; continue;
		case 0x3e: insn->seg = VMEM_SEG_DS; continue;
		case 0x64: insn->seg = VMEM_SEG_FS; continue;
		case 0x65: insn->seg = VMEM_SEG_GS; continue;
		}
		break;
	}
	/* REX counts only right before the opcode; the last one wins. */
	while (insn->mode == 8 && (b & 0xf0) == 0x40) {
		insn->rex = b;
		r = cur_byte(&c, &b);
		if (r)
			return r;
	}

	switch (insn->mode) {
	case 8:
		insn->op_bytes = (insn->rex & 8) ? 8 : insn->opsize ? 2 : 4;
		insn->addr_bytes = insn->addr_bytes ? 4 : 8;
		break;
	case 4:
		insn->op_bytes = insn->opsize ? 2 : 4;
		insn->addr_bytes = insn->addr_bytes ? 2 : 4;
		break;
	default:
		insn->op_bytes = insn->opsize ? 4 : 2;
		insn->addr_bytes = insn->addr_bytes ? 4 : 2;
		break;
	}

	if (b == 0xc4 || b == 0xc5) {
		/* VEX in 64-bit mode, or where LES/LDS could not have mod 3. */
		if (c.pos >= insn->nbytes)
			return -EFAULT;
		next = insn->bytes[c.pos];
		if (insn->mode == 8 || (next & 0xc0) == 0xc0) {
			if (insn->rex || insn->opsize || insn->rep ||
			    insn->repne || insn->lock)
				return -EINVAL;		/* #UD */
			r = decode_vex(&c, b);
			if (r)
				return r;
			goto modrm;
		}
	}
	if (b == 0x0f) {
		r = cur_byte(&c, &b);
		if (r)
			return r;
		if (b == 0x38 || b == 0x3a) {
			insn->map = b == 0x38 ? 2 : 3;
			r = cur_byte(&c, &b);
			if (r)
				return r;
		} else {
			insn->map = 1;
		}
	}
	insn->opcode = b;

modrm:
	if ((insn->map == 0 && onebyte_has_modrm(insn->opcode)) ||
	    (insn->map == 1 && (insn->vex ? insn->opcode != 0x77 :
				twobyte_has_modrm(insn->opcode))) ||
	    insn->map >= 2) {
		r = decode_modrm(&c);
		if (r)
			return r;
	}

	if (insn->map == 0 && insn->opcode >= 0xa0 && insn->opcode <= 0xa3) {
		s64 v;

		r = cur_imm(&c, insn->addr_bytes, &v);
		if (r)
			return r;
		insn->moffs = insn->addr_bytes == 8 ? (u64)v :
			      (u64)v & GENMASK_ULL(8 * insn->addr_bytes - 1, 0);
	} else {
		r = cur_imm(&c, insn_imm_size(insn), &insn->imm);
		if (r)
			return r;
	}
	insn->len = c.pos;
	return 0;
}

/*
 * Length of the intercepted instruction at RIP, after checking it is the
 * kind the intercept says (the guest may have rewritten it since).
 */
/*
 * The usual encoding of the intercepted instructions that have a fixed
 * one.  Without prefixes (nothing emits them on these, but they are
 * legal) each is exactly these bytes, so finding them at RIP gives the
 * length with one small fetch instead of a 15-byte fetch and a decode:
 * this is the path of every CPUID, MSR access and hypercall on CPUs
 * without nrip-save.  Anything else takes the general decode below.
 */
static const struct {
	u8 len;
	u8 bytes[3];
} vmem_insn_fixed[] = {
	[VMEM_INSN_CPUID]	= { 2, { 0x0f, 0xa2 } },
	[VMEM_INSN_RDMSR]	= { 2, { 0x0f, 0x32 } },
	[VMEM_INSN_WRMSR]	= { 2, { 0x0f, 0x30 } },
	[VMEM_INSN_HLT]		= { 1, { 0xf4 } },
	[VMEM_INSN_VMMCALL]	= { 3, { 0x0f, 0x01, 0xd9 } },
	[VMEM_INSN_VMCALL]	= { 3, { 0x0f, 0x01, 0xc1 } },
	[VMEM_INSN_RDTSC]	= { 2, { 0x0f, 0x31 } },
	[VMEM_INSN_RDTSCP]	= { 3, { 0x0f, 0x01, 0xf9 } },
	[VMEM_INSN_XSETBV]	= { 3, { 0x0f, 0x01, 0xd1 } },
};

/* The fixed encoding's length if it is at RIP, else 0. */
static int vmem_insn_length_fixed(struct vmem_vcpu *vcpu,
				  unsigned int exit_kind)
{
	u8 buf[sizeof(vmem_insn_fixed[0].bytes)];
	unsigned int len;

	if (exit_kind >= ARRAY_SIZE(vmem_insn_fixed))
		return 0;
	len = vmem_insn_fixed[exit_kind].len;
	if (!len || vmem_fetch_rip_bytes(vcpu, buf, len))
		return 0;
	return memcmp(buf, vmem_insn_fixed[exit_kind].bytes, len) ? 0 : len;
}

int vmem_insn_length(struct vmem_vcpu *vcpu, unsigned int exit_kind)
{
	struct vmem_insn insn;
	bool ok, m0, m1;
	int r;

	r = vmem_insn_length_fixed(vcpu, exit_kind);
	if (r)
		return r;

	r = vmem_insn_decode(vcpu, &insn);
	if (r > 0 || r == -EFAULT)
		return -EFAULT;
	if (r)
		return r;

	m0 = !insn.vex && insn.map == 0;
	m1 = !insn.vex && insn.map == 1;
	switch (exit_kind) {
	case VMEM_INSN_CPUID:
		ok = m1 && insn.opcode == 0xa2;
		break;
	case VMEM_INSN_RDMSR:
		ok = m1 && insn.opcode == 0x32;
		break;
	case VMEM_INSN_WRMSR:
		ok = m1 && insn.opcode == 0x30;
		break;
	case VMEM_INSN_HLT:
		ok = m0 && insn.opcode == 0xf4;
		break;
	case VMEM_INSN_VMMCALL:
		ok = m1 && insn.opcode == 0x01 && insn.modrm == 0xd9;
		break;
	case VMEM_INSN_VMCALL:
		ok = m1 && insn.opcode == 0x01 && insn.modrm == 0xc1;
		break;
	case VMEM_INSN_INVLPG:
		ok = m1 && insn.opcode == 0x01 && insn.mod != 3 &&
		     (insn.reg & 7) == 7;
		break;
	case VMEM_INSN_RDTSC:
		ok = m1 && insn.opcode == 0x31;
		break;
	case VMEM_INSN_RDTSCP:
		ok = m1 && insn.opcode == 0x01 && insn.modrm == 0xf9;
		break;
	case VMEM_INSN_PAUSE:
		ok = m0 && insn.opcode == 0x90 && insn.rep;
		break;
	case VMEM_INSN_XSETBV:
		ok = m1 && insn.opcode == 0x01 && insn.modrm == 0xd1;
		break;
	case VMEM_INSN_MONITOR:
		ok = m1 && insn.opcode == 0x01 &&
		     (insn.modrm == 0xc8 || insn.modrm == 0xfa);
		break;
	case VMEM_INSN_MWAIT:
		ok = m1 && insn.opcode == 0x01 &&
		     (insn.modrm == 0xc9 || insn.modrm == 0xfb);
		break;
	case VMEM_INSN_WBINVD:
		ok = m1 && insn.opcode == 0x09;
		break;
	case VMEM_INSN_INVD:
		ok = m1 && insn.opcode == 0x08;
		break;
	case VMEM_INSN_IRET:
		ok = m0 && insn.opcode == 0xcf;
		break;
	case VMEM_INSN_MOV_CR:
		ok = m1 && (insn.opcode == 0x20 || insn.opcode == 0x22);
		break;
	case VMEM_INSN_MOV_DR:
		ok = m1 && (insn.opcode == 0x21 || insn.opcode == 0x23);
		break;
	case VMEM_INSN_INT3:
		ok = m0 && insn.opcode == 0xcc;
		break;
	case VMEM_INSN_ANY:
		ok = true;
		break;
	default:
		ok = false;
		break;
	}
	return ok ? insn.len : -EINVAL;
}
