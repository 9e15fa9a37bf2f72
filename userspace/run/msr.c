// SPDX-License-Identifier: GPL-2.0
/*
 * msr.c - MSRs answered by the launcher; see msr.h.
 *
 * Kinds of answer:
 *   STORE  reads what was last written (or the initial value)
 *   ZERO   reads the value given, writes are ignored
 *   GP     #GP on read and write: the feature is absent
 */
#include <stdio.h>

#include "msr.h"

enum msr_kind { MSR_STORE, MSR_ZERO, MSR_GP };

struct msr_rule {
	uint32_t first, last;
	enum msr_kind kind;
	uint64_t init;
	const char *name;
};

static const struct msr_rule rules[] = {
	{ 0x00000017, 0x00000017, MSR_ZERO,  0, "IA32_PLATFORM_ID" },
	{ 0x0000001b, 0x0000001b, MSR_STORE, 0xfee00100, "IA32_APIC_BASE (no APIC)" },
	{ 0x00000034, 0x00000034, MSR_ZERO,  0, "MSR_SMI_COUNT" },
	{ 0x0000003a, 0x0000003a, MSR_ZERO,  1, "IA32_FEATURE_CONTROL (locked, VMX off)" },
	{ 0x00000079, 0x00000079, MSR_ZERO,  0, "IA32_BIOS_UPDT_TRIG" },
	{ 0x0000008b, 0x0000008b, MSR_ZERO,  0, "IA32_UCODE_REV / AMD patch level" },
	{ 0x000000ce, 0x000000ce, MSR_GP,    0, "MSR_PLATFORM_INFO" },
	{ 0x000000fe, 0x000000fe, MSR_ZERO,  0, "IA32_MTRRCAP (no MTRRs)" },
	{ 0x00000140, 0x00000140, MSR_ZERO,  0, "MSR_MISC_FEATURES_ENABLES" },
	{ 0x00000179, 0x0000017b, MSR_ZERO,  0, "IA32_MCG_CAP/STATUS/CTL (no banks)" },
	{ 0x000001a0, 0x000001a0, MSR_STORE, 1, "IA32_MISC_ENABLE (fast strings)" },
	{ 0x000001d9, 0x000001d9, MSR_ZERO,  0, "IA32_DEBUGCTL" },
	{ 0x00000200, 0x0000020f, MSR_ZERO,  0, "MTRR variable ranges" },
	{ 0x00000250, 0x00000250, MSR_ZERO,  0, "MTRR fixed 64K" },
	{ 0x00000258, 0x00000259, MSR_ZERO,  0, "MTRR fixed 16K" },
	{ 0x00000268, 0x0000026f, MSR_ZERO,  0, "MTRR fixed 4K" },
	{ 0x00000277, 0x00000277, MSR_STORE, 0x0007040600070406ull, "IA32_PAT" },
	{ 0x000002ff, 0x000002ff, MSR_ZERO,  0, "IA32_MTRR_DEF_TYPE" },
	{ 0x00000400, 0x0000047f, MSR_ZERO,  0, "machine-check banks" },
	{ 0x000006e0, 0x000006e0, MSR_GP,    0, "IA32_TSC_DEADLINE (no APIC)" },
	{ 0x00000800, 0x000008ff, MSR_GP,    0, "x2APIC (no APIC)" },
	{ 0xc0010000, 0xc0010007, MSR_ZERO,  0, "AMD legacy perf counters (none)" },
	{ 0xc0010010, 0xc0010010, MSR_ZERO,  0, "AMD SYSCFG" },
	{ 0xc0010015, 0xc0010015, MSR_STORE, 0, "AMD HWCR" },
	{ 0xc0010016, 0xc001001d, MSR_ZERO,  0, "AMD IORRs, TOP_MEM" },
	{ 0xc001001f, 0xc001001f, MSR_STORE, 0, "AMD NB_CFG" },
	{ 0xc0010058, 0xc0010058, MSR_ZERO,  0, "AMD MMIO_CONF_BASE" },
	{ 0xc0010114, 0xc0010114, MSR_ZERO,  0x10, "AMD VM_CR (SVM disabled)" },
	{ 0xc0010200, 0xc001020b, MSR_ZERO,  0, "AMD core perf counters (none)" },
	{ 0xc0011020, 0xc0011023, MSR_STORE, 0, "AMD LS/IC/DC/TW_CFG" },
	{ 0xc0011028, 0xc0011028, MSR_STORE, 0, "AMD FP_CFG" },
	{ 0xc0011029, 0xc0011029, MSR_STORE, 0x2, "AMD DE_CFG (LFENCE serializing)" },
	{ 0xc001102a, 0xc001102a, MSR_STORE, 0, "AMD BU_CFG2" },
};

#define NR_RULES	(sizeof(rules) / sizeof(rules[0]))

static const struct msr_rule *find_rule(uint32_t index)
{
	unsigned int i;

	for (i = 0; i < NR_RULES; i++)
		if (index >= rules[i].first && index <= rules[i].last)
			return &rules[i];
	return NULL;
}

void msr_init(struct msr_state *s, bool verbose)
{
	s->nr = 0;
	s->verbose = verbose;
}

static uint64_t *stored(struct msr_state *s, uint32_t index,
			const struct msr_rule *r, bool create)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		if (s->store[i].index == index)
			return &s->store[i].value;
	if (!create || s->nr == MSR_STORE_MAX)
		return NULL;
	s->store[s->nr].index = index;
	s->store[s->nr].value = r->init;
	return &s->store[s->nr++].value;
}

static int msr_gp(struct msr_state *s, const char *what, uint32_t index,
		  const struct msr_rule *r)
{
	if (s->verbose)
		fprintf(stderr, "vmem run: %s of MSR 0x%x (%s): #GP\r\n", what,
			index, r ? r->name : "unknown");
	return -1;
}

int msr_read(struct msr_state *s, uint32_t index, uint64_t *val)
{
	const struct msr_rule *r = find_rule(index);
	uint64_t *v;

	if (!r || r->kind == MSR_GP)
		return msr_gp(s, "read", index, r);
	if (r->kind == MSR_STORE && (v = stored(s, index, r, false)))
		*val = *v;
	else
		*val = r->init;
	return 0;
}

int msr_write(struct msr_state *s, uint32_t index, uint64_t val)
{
	const struct msr_rule *r = find_rule(index);
	uint64_t *v;

	if (!r || r->kind == MSR_GP)
		return msr_gp(s, "write", index, r);
	if (r->kind == MSR_STORE) {
		v = stored(s, index, r, true);
		if (!v)
			return msr_gp(s, "write", index, r);
		*v = val;
	}
	return 0;
}
