// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_state - random guest states through VMEM_SET_SREGS/SET_REGS, then
 * VMEM_RUN (Documentation/api.rst 4.9-4.11; testing.rst, "Fuzzers").
 *
 * Each sequence is one VM (MMU picked at random among those the host
 * offers) with one vCPU and the memory layout of lib/fz_guest.h, then
 * STATES_PER_SEQ states, each of a random mode (real, v86, 16/32-bit
 * protected with and without paging, PAE, long, compatibility, CPL 3)
 * and one of three kinds:
 *   valid	the mode's documented-valid state with random registers:
 *		SET must accept it and read it back;
 *   invalid	that state with one rule of api.rst 4.10/4.11 broken
 *		(reserved bits, CR0/CR4/EFER combinations, segment fields,
 *		canonical bases, CR3 width, CR8, APIC base, RFLAGS): SET
 *		must refuse it with EINVAL;
 *   random	1-4 random bit flips anywhere: SET may say either.
 * An accepted state runs (random short guest code, a timer bounding each
 * VMEM_RUN) for a few exits: RUN must return an exit, or EINTR, never
 * another error; invalid hardware state is VMEM_EXIT_FAIL_ENTRY.  The
 * host must neither crash nor hang (the harness reads the console).
 *
 * Under SVM the only test machines are QEMU TCG, which itself crashes on
 * some states (lib/fz_guest.h, fz_emulator_safe()): those are set but not
 * run, and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "fz.h"
#include "fz_guest.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"
#include "vt_x86.h"

#define STATES_PER_SEQ	8
#define RUNS_PER_STATE	4

static bool vmx, nx;
static long real_modes, run_size;
static unsigned int mmus;	/* VMEM_VM_MMU_* the host offers, as bits */

enum kind { VALID, INVALID, RANDOM };
static const char *const kind_names[] = { "valid", "invalid", "random" };

struct state {
	enum fz_mode mode;
	enum kind kind;
	const char *rule;	/* the broken rule (invalid) */
	bool bad_regs;		/* ... is in the regs, not the sregs */
	struct vmem_sregs sr;
	struct vmem_regs regs;
};

static void on_alarm(int sig)
{
	(void)sig;
}

static struct vmem_segment *pick_seg(struct fz_rng *r, struct vmem_sregs *sr)
{
	struct vmem_segment *segs[] = {
		&sr->cs, &sr->ds, &sr->es, &sr->fs, &sr->gs, &sr->ss, &sr->tr,
		&sr->ldt,
	};

	return segs[fz_below(r, 8)];
}

static bool long_mode(const struct state *s)
{
	return s->mode == FZ_LONG64 || s->mode == FZ_COMPAT ||
	       s->mode == FZ_LONG64_CPL3;
}

static uint64_t noncanonical(struct fz_rng *r)
{
	return (1ull << (47 + fz_below(r, 16))) | (fz_next(r) & 0x7fffffffffffull);
}

/* Break one documented rule (api.rst 4.10, 4.11). */
static void make_invalid(struct fz_rng *r, struct state *s)
{
	struct vmem_sregs *sr = &s->sr;
	struct vmem_segment *g = pick_seg(r, sr);
	static const uint8_t cr4_never[] = { 12, 13, 14, 22, 23 };
	static const uint8_t efer_bad[] = { 1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14,
					    15, 16, 20, 31, 32, 63 };
	static const uint8_t rfl_bad[] = { 3, 5, 15, 22, 23, 31, 32, 63 };
	static const uint8_t apic_bad[] = { 0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 52,
					    60, 63 };

	switch (fz_below(r, 22)) {
	case 0: sr->flags = 1u << fz_below(r, 32); s->rule = "sregs.flags"; break;
	case 1: sr->pad = 1u << fz_below(r, 32); s->rule = "sregs.pad"; break;
	case 2: sr->reserved[fz_below(r, 8)] = fz_value(r) | 1;
		s->rule = "sregs.reserved"; break;
	case 3: g->pad = 1 + fz_below(r, 255); s->rule = "segment pad"; break;
	case 4: g->type = 16 + fz_below(r, 240); s->rule = "segment type > 15"; break;
	case 5: g->dpl = 4 + fz_below(r, 252); s->rule = "segment dpl > 3"; break;
	case 6: {
		uint8_t *f[] = { &g->s, &g->present, &g->avl, &g->l, &g->db,
				 &g->g, &g->unusable };

		*f[fz_below(r, 7)] = 2 + fz_below(r, 254);
		s->rule = "segment flag > 1";
		break;
	}
	case 7:
		if (fz_chance(r, 70))
			g->base = noncanonical(r);
		else if (fz_chance(r, 50))
			sr->gdt.base = noncanonical(r);
		else
			sr->idt.base = noncanonical(r);
		s->rule = "non-canonical base";
		break;
	case 8: sr->cr0 |= 1ull << (32 + fz_below(r, 32)); s->rule = "CR0 63:32"; break;
	case 9: sr->cr0 = (sr->cr0 | X86_CR0_NW) & ~X86_CR0_CD;
		s->rule = "CR0.NW without CD"; break;
	case 10: sr->cr0 = (sr->cr0 | X86_CR0_PG) & ~X86_CR0_PE;
		s->rule = "CR0.PG without PE"; break;
	case 11: sr->cr4 |= 1ull << cr4_never[fz_below(r, sizeof(cr4_never))];
		s->rule = "CR4 bit never given"; break;
	case 12:
		if (long_mode(s)) {
			sr->cr4 &= ~X86_CR4_PAE;
			s->rule = "LME and PG without PAE";
		} else {
			sr->cr4 |= X86_CR4_PCIDE;
			s->rule = "CR4.PCIDE outside long mode";
		}
		break;
	case 13: sr->efer |= 1ull << efer_bad[fz_below(r, sizeof(efer_bad))];
		s->rule = "EFER reserved bit"; break;
	case 14:
		if (long_mode(s))
			sr->efer &= ~EFER_LMA;
		else
			sr->efer |= EFER_LMA;
		s->rule = "EFER.LMA != LME && PG";
		break;
	case 15:
		if (long_mode(s)) {
			sr->cs.l = 1;
			sr->cs.db = 1;
			sr->cs.unusable = 0;
			s->rule = "CS.L and CS.D";
		} else {
			sr->cr3 |= 1ull << (32 + fz_below(r, 32));
			s->rule = "CR3 above bit 31";
		}
		break;
	case 16:
		sr->cr3 |= 1ull << (long_mode(s) ? 52 + fz_below(r, 11) :
				    32 + fz_below(r, 32));
		s->rule = "CR3 above the address width";
		break;
	case 17: sr->cr8 = 16 + fz_below(r, 1000); s->rule = "CR8 > 15"; break;
	case 18: sr->apic_base |= 1ull << apic_bad[fz_below(r, sizeof(apic_bad))];
		s->rule = "APIC base reserved bit"; break;
	case 19: s->regs.rflags |= 1ull << rfl_bad[fz_below(r, sizeof(rfl_bad))];
		s->rule = "RFLAGS reserved bit"; s->bad_regs = true; break;
	case 20:
		if (fz_chance(r, 50))
			s->regs.flags = 1u << fz_below(r, 32);
		else
			s->regs.pad = 1u << fz_below(r, 32);
		s->rule = "regs.flags/pad"; s->bad_regs = true;
		break;
	default:
		s->regs.reserved[fz_below(r, 4)] = fz_value(r) | 1;
		s->rule = "regs.reserved"; s->bad_regs = true;
		break;
	}
}

static void flip_some(struct fz_rng *r, struct state *s)
{
	struct vmem_sregs *sr = &s->sr;
	unsigned int i, n = 1 + fz_below(r, 4);

	for (i = 0; i < n; i++) {
		struct vmem_segment *g = pick_seg(r, sr);

		switch (fz_below(r, 14)) {
		case 0: sr->cr0 = fz_flip(r, sr->cr0, 32); break;
		case 1: sr->cr4 = fz_flip(r, sr->cr4, 24); break;
		case 2: sr->efer = fz_flip(r, sr->efer, 16); break;
		case 3: sr->cr3 = fz_flip(r, sr->cr3, 52); break;
		case 4: sr->cr8 = fz_below(r, 17); break;
		case 5: sr->apic_base = fz_flip(r, sr->apic_base, 40); break;
		case 6: g->type = fz_flip(r, g->type, 4); break;
		case 7: g->dpl = fz_below(r, 4); break;
		case 8: {
			uint8_t *f[] = { &g->s, &g->present, &g->avl, &g->l,
					 &g->db, &g->g, &g->unusable };

			*f[fz_below(r, 7)] ^= 1;
			break;
		}
		case 9: g->base = fz_flip(r, g->base, 48); break;
		case 10: g->limit = fz_flip(r, g->limit, 32); break;
		case 11: g->selector = fz_flip(r, g->selector, 16); break;
		case 12:
			if (fz_chance(r, 50))
				sr->idt.limit = fz_flip(r, sr->idt.limit, 16);
			else
				sr->gdt.base = fz_flip(r, sr->gdt.base, 32);
			break;
		default:
			/* RFLAGS bits 0-21 but the fixed ones. */
			s->regs.rflags = fz_flip(r, s->regs.rflags, 22) &
					 ~(1ull << 3 | 1ull << 5 | 1ull << 15);
			break;
		}
	}
}

static void random_regs(struct fz_rng *r, struct vmem_regs *regs)
{
	__u64 *g = &regs->rax;
	static const uint32_t msrs[] = { 0x10, 0x1b, 0x3a, 0x48, 0x174, 0x176,
		0x1d9, 0x277, 0x2ff, 0xc0000080, 0xc0000081, 0xc0000082,
		0xc0000100, 0xc0000102, 0xc0000103, 0xc0010117, 0x40000000 };
	unsigned int i;

	for (i = 0; i < 6; i++)	/* rax .. rdi; rsp stays */
		g[i] = fz_chance(r, 50) ? fz_value(r) : fz_below(r, 0x100000);
	if (fz_chance(r, 50))
		regs->rcx = msrs[fz_below(r, sizeof(msrs) / sizeof(msrs[0]))];
	/* A guest WRMSR of EFER.LME outside long mode: see fz_emulator_safe(). */
	if (!vmx && regs->rcx == 0xc0000080)
		regs->rcx = 0xc0000081;
	if (fz_chance(r, 20))
		regs->rax = VMEM_HC_BASE + fz_below(r, 4);
	regs->rflags |= fz_next(r) & (X86_EFLAGS_CF | X86_EFLAGS_ZF |
				      X86_EFLAGS_IF | X86_EFLAGS_DF);
	if (fz_chance(r, 5))
		regs->rflags |= X86_EFLAGS_TF;
}

static bool mode_ok(enum fz_mode m, unsigned int mmu)
{
	if (m == FZ_REAL && !(real_modes & mmu))
		return false;
	if (m == FZ_LONG64 || m == FZ_COMPAT || m == FZ_LONG64_CPL3)
		return true;
	return true;
}

/* Answer an exit so the next RUN can go on. */
static void answer(struct fz_rng *r, struct vmem_run *run)
{
	switch (run->exit_reason) {
	case VMEM_EXIT_IO:
		if (run->io.direction == VMEM_IO_IN &&
		    run->io.data_offset == VMEM_RUN_IO_DATA_OFFSET)
			fz_bytes(r, (char *)run + VMEM_RUN_IO_DATA_OFFSET,
				 (unsigned long)run->io.size *
				 (run->io.count < 512 ? run->io.count : 512));
		break;
	case VMEM_EXIT_MMIO:
		fz_bytes(r, run->mmio.data, 8);
		break;
	case VMEM_EXIT_MSR:
		run->msr.data = fz_value(r);
		run->msr.error = fz_chance(r, 50);
		break;
	case VMEM_EXIT_HYPERCALL:
		run->hypercall.ret = fz_value(r);
		break;
	default:
		break;
	}
}

static int run_state(struct fz_rng *r, int vcpu, struct vmem_run *run,
		     struct fz_stats *st, const struct state *s)
{
	struct itimerval it = { .it_value.tv_usec = 30000 };
	struct itimerval off = { 0 };
	unsigned int i;

	for (i = 0; i < RUNS_PER_STATE; i++) {
		int ret, err;

		if (fz_chance(r, 10))
			run->request_interrupt_window = 1;
		setitimer(ITIMER_REAL, &it, NULL);
		ret = ioctl(vcpu, VMEM_RUN, 0);
		err = errno;
		setitimer(ITIMER_REAL, &off, NULL);
		st->runs++;
		st->calls++;
		run->request_interrupt_window = 0;
		if (fz_verbose)
			ksft_print_msg("run %u: %d %s, exit %s", i, ret,
				       ret ? vt_errno_name(err) : "",
				       vt_exit_name(run->exit_reason));
		if (ret < 0) {
			st->run_errors++;
			if (err == EINTR)
				continue;
			fz_report("%s %s state (%s): VMEM_RUN failed with %s, which a guest state must never cause",
				  kind_names[s->kind], fz_mode_names[s->mode],
				  s->rule ? s->rule : "-", vt_errno_name(err));
			return -1;
		}
		if (run->exit_reason < FZ_NR_EXITS)
			st->exits[run->exit_reason]++;
		if (run->exit_reason == VMEM_EXIT_FAIL_ENTRY ||
		    run->exit_reason == VMEM_EXIT_SHUTDOWN ||
		    run->exit_reason == VMEM_EXIT_INTERNAL)
			break;
		answer(r, run);
	}
	return 0;
}

static int one_state(struct fz_rng *r, int vcpu, struct vmem_run *run,
		     uint8_t *mem, unsigned int mmu, struct fz_stats *st)
{
	struct state s = { 0 };
	struct vmem_sregs back;
	unsigned int code_len, i;
	int rs, es, rr, er;
	bool valid_mode;

	s.mode = fz_below(r, FZ_NR_MODES);
	s.kind = fz_below(r, 3);
	fz_state(s.mode, vmx, nx && fz_chance(r, 50), &s.sr, &s.regs);
	random_regs(r, &s.regs);
	if (vmx && fz_chance(r, 30))
		s.sr.cr8 = fz_below(r, 16);
	valid_mode = mode_ok(s.mode, mmu);
	if (s.kind == INVALID)
		make_invalid(r, &s);
	else if (s.kind == RANDOM)
		flip_some(r, &s);
	code_len = fz_code(r, s.mode, !vmx, mem + FZ_CODE);
	/* The state the run area's sync of the last one left must not count. */
	run->sync_dirty = 0;

	st->states++;
	/* RFLAGS first, as a VMM does: VMX checks segments against RFLAGS.VM
	 * (a v86 state's CS is a data segment). */
	errno = 0;
	rr = ioctl(vcpu, VMEM_SET_REGS, &s.regs);
	er = errno;
	errno = 0;
	rs = ioctl(vcpu, VMEM_SET_SREGS, &s.sr);
	es = errno;
	st->calls += 2;

	if ((rs < 0 && es != EINVAL) || (rr < 0 && er != EINVAL)) {
		fz_report("%s %s state: SET_SREGS %d (%s), SET_REGS %d (%s): only EINVAL is documented",
			  kind_names[s.kind], fz_mode_names[s.mode], rs,
			  vt_errno_name(es), rr, vt_errno_name(er));
		return -1;
	}
	/*
	 * Known, not fixed here: vmem's VMX checks the segments as for
	 * protected mode whatever RFLAGS.VM says, so it refuses the v86
	 * segment state the SDM requires (CS type 3 at DPL 3; 26.3.1.2),
	 * which SVM accepts.  Reported, not failed, so the fuzzer goes on.
	 */
	if (s.kind == VALID && vmx && s.mode == FZ_V86 && rs < 0 && rr == 0) {
		ksft_print_msg("fuzz: known: VMX refuses the v86 segment state (EINVAL)");
		return 0;
	}
	if (s.kind == VALID && valid_mode && (rs < 0 || rr < 0)) {
		fz_report("valid %s state refused: SET_SREGS %s, SET_REGS %s (cr0 %#llx cr4 %#llx efer %#llx)",
			  fz_mode_names[s.mode], rs ? vt_errno_name(es) : "ok",
			  rr ? vt_errno_name(er) : "ok",
			  (unsigned long long)s.sr.cr0,
			  (unsigned long long)s.sr.cr4,
			  (unsigned long long)s.sr.efer);
		return -1;
	}
	if (s.kind == VALID && !valid_mode && rs == 0) {
		fz_report("%s state accepted in a VM whose MMU cannot run it (VMEM_CAP_REAL_MODE %ld)",
			  fz_mode_names[s.mode], real_modes);
		return -1;
	}
	if (s.kind == INVALID && (s.bad_regs ? rr : rs) == 0) {
		fz_report("invalid %s state accepted by SET_%s: %s",
			  fz_mode_names[s.mode], s.bad_regs ? "REGS" : "SREGS",
			  s.rule);
		return -1;
	}
	if (rs < 0 || rr < 0)
		return 0;
	st->states_set++;
	if (s.kind == VALID) {
		st->calls++;
		if (ioctl(vcpu, VMEM_GET_SREGS, &back) < 0) {
			fz_report("GET_SREGS after a valid SET: %s",
				  vt_errno_name(errno));
			return -1;
		}
		if (back.cr0 != (s.sr.cr0 | X86_CR0_ET) || back.cr3 != s.sr.cr3 ||
		    back.cr4 != s.sr.cr4 || back.efer != s.sr.efer ||
		    back.cr8 != s.sr.cr8 || back.apic_base != s.sr.apic_base) {
			fz_report("valid %s state read back differently: cr0 %#llx/%#llx cr3 %#llx/%#llx cr4 %#llx/%#llx efer %#llx/%#llx cr8 %llu/%llu",
				  fz_mode_names[s.mode],
				  (unsigned long long)s.sr.cr0, (unsigned long long)back.cr0,
				  (unsigned long long)s.sr.cr3, (unsigned long long)back.cr3,
				  (unsigned long long)s.sr.cr4, (unsigned long long)back.cr4,
				  (unsigned long long)s.sr.efer, (unsigned long long)back.efer,
				  (unsigned long long)s.sr.cr8, (unsigned long long)back.cr8);
			return -1;
		}
	}
	if (fz_verbose) {
		const struct vmem_segment *cs = &s.sr.cs, *tr = &s.sr.tr;

		ksft_print_msg("state %s %s (%s): cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx cr8 %llu apic %#llx rflags %#llx rip %#llx; cs %#x base %#llx lim %#x t%u s%u dpl%u p%u l%u db%u g%u u%u; ss dpl%u t%u u%u; tr t%u p%u u%u base %#llx; idt %#llx/%#x gdt %#llx/%#x",
			       kind_names[s.kind], fz_mode_names[s.mode],
			       s.rule ? s.rule : "-",
			       (unsigned long long)s.sr.cr0, (unsigned long long)s.sr.cr3,
			       (unsigned long long)s.sr.cr4, (unsigned long long)s.sr.efer,
			       (unsigned long long)s.sr.cr8, (unsigned long long)s.sr.apic_base,
			       (unsigned long long)s.regs.rflags, (unsigned long long)s.regs.rip,
			       cs->selector, (unsigned long long)cs->base, cs->limit,
			       cs->type, cs->s, cs->dpl, cs->present, cs->l, cs->db,
			       cs->g, cs->unusable, s.sr.ss.dpl, s.sr.ss.type,
			       s.sr.ss.unusable, tr->type, tr->present, tr->unusable,
			       (unsigned long long)tr->base,
			       (unsigned long long)s.sr.idt.base, s.sr.idt.limit,
			       (unsigned long long)s.sr.gdt.base, s.sr.gdt.limit);
		printf("# code");
		for (i = 0; i < code_len; i++)
			printf(" %02x", mem[FZ_CODE + i]);
		printf("; rax %#llx rcx %#llx rdx %#llx rsi %#llx\n",
		       (unsigned long long)s.regs.rax, (unsigned long long)s.regs.rcx,
		       (unsigned long long)s.regs.rdx, (unsigned long long)s.regs.rsi);
		fflush(stdout);
	}
	if (!vmx && !fz_emulator_safe(&s.sr, s.regs.rflags)) {
		st->unsafe++;
		return 0;
	}
	st->states_run++;
	return run_state(r, vcpu, run, st, &s);
}

static int fuzz_seq(uint64_t seed, struct fz_stats *st)
{
	struct fz_rng r = { seed };
	struct vmem_memslot ms = { .slot = 0, .gpa = 0, .size = FZ_MEM_SIZE };
	static const unsigned int choice[] = { VMEM_VM_MMU_AUTO, VMEM_VM_MMU_HW,
					       VMEM_VM_MMU_SHADOW };
	const struct vmem_cpuid *cpuid = vt_supported_cpuid();
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned int flags, mmu, i;
	struct vmem_run *run;
	int sys, vm, vcpu;
	uint8_t *mem;

	sigaction(SIGALRM, &sa, NULL);
	do
		flags = choice[fz_below(&r, 3)];
	while (flags && !(mmus & flags));
	mmu = flags ? flags : (mmus & VMEM_VM_MMU_HW) ? VMEM_VM_MMU_HW :
						       VMEM_VM_MMU_SHADOW;
	sys = vt_open_dev(O_RDWR);
	vm = sys < 0 ? -1 : ioctl(sys, VMEM_CREATE_VM, flags);
	if (vm < 0 || ioctl(vm, VMEM_SET_MEMSLOT, &ms) < 0) {
		fz_report("VM set-up: %s", vt_errno_name(errno));
		return FZ_FOUND;
	}
	mem = mmap(NULL, FZ_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vm, 0);
	vcpu = ioctl(vm, VMEM_CREATE_VCPU, 0);
	run = vcpu < 0 ? MAP_FAILED : mmap(NULL, run_size, PROT_READ | PROT_WRITE,
					  MAP_SHARED, vcpu, 0);
	if (mem == MAP_FAILED || run == MAP_FAILED || !cpuid ||
	    ioctl(vcpu, VMEM_SET_CPUID, cpuid) < 0) {
		fz_report("vCPU set-up: %s", vt_errno_name(errno));
		return FZ_FOUND;
	}
	st->calls += 6;
	fz_guest_tables(mem);
	for (i = 0; i < STATES_PER_SEQ; i++)
		if (one_state(&r, vcpu, run, mem, mmu, st) < 0)
			return FZ_FOUND;
	st->seqs++;
	/* Half the time the exit tears the VM down, half the time close(). */
	if (fz_chance(&r, 50)) {
		munmap(run, run_size);
		munmap(mem, FZ_MEM_SIZE);
		close(vcpu);
		close(vm);
		close(sys);
	}
	return 0;
}

static int setup(void)
{
	int ret = vt_require_vm(VMEM_VM_MMU_AUTO);
	const struct vmem_cpuid_entry *e;

	if (ret != VT_PASS)
		return ret;
	vmx = fz_host_vmx();
	real_modes = vt_check_extension(VMEM_CAP_REAL_MODE);
	run_size = vt_check_extension(VMEM_CAP_RUN_SIZE);
	if (vt_check_extension(VMEM_CAP_HW_MMU) == 1)
		mmus |= VMEM_VM_MMU_HW;
	if (vt_check_extension(VMEM_CAP_SHADOW_MMU) == 1)
		mmus |= VMEM_VM_MMU_SHADOW;
	e = vt_supported_cpuid() ?
	    vt_cpuid_find(vt_supported_cpuid(), 0x80000001, 0) : NULL;
	nx = e && (e->edx & (1u << 20));
	if (run_size <= 0 || !mmus)
		FAIL("VMEM_CAP_RUN_SIZE %ld, MMUs %#x", run_size, mmus);
	return VT_PASS;
}

static int test_states(void)
{
	static const struct fz_fuzzer f = {
		.name = "fuzz_state",
		.seqs = 150,		/* 1200 states */
		.seqs_vmx = 25,
		.cap_s = 120,
		.seq_limit_s = 60,
		.seq = fuzz_seq,
	};

	return fz_run(&f);
}

static const struct vt_case cases[] = {
	VT_CASE(states),
};

VT_MAIN(cases, setup, NULL);
