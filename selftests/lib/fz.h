/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fz.h - what the fuzz_* selftests share: a seeded PRNG, the budget, and
 * a driver that runs each random sequence in a forked child.
 *
 * A fuzzer is a function that runs one sequence from a 64-bit seed: the
 * same seed gives the same calls (timing aside: signals and the kick
 * thread land where they land).  fz_run() runs sequences until the budget
 * is spent; before each it prints
 *
 *	# fuzz: <name> seq <n> seed 0x<16 hex digits>
 *
 * so the seed of the sequence that was running when a machine died is the
 * last such line (scripts/parse-console.awk puts it in the result).
 *
 * The budget comes from the environment, VMEM_FUZZ (the harness passes
 * the kernel command line's vmemtest_fuzz, see scripts/init.sh):
 * comma-separated key=value pairs,
 *	seqs=N		run N sequences (default: the fuzzer's own, smaller
 *			under VMX, whose only test machines here are Bochs)
 *	seconds=S	stop starting sequences after S seconds (with seqs:
 *			whichever ends first; alone: no sequence count)
 *	seed=X		base seed (default 1: make check repeats itself);
 *			sequence n gets fz_seq_seed(X, n)
 *	replay=X	run the one sequence whose seed is X
 *	verbose=1	the fuzzer describes each step (for a replay)
 * Numbers are decimal or 0x hex.  Without seconds= a wall cap still ends
 * the run (the fuzzer's cap_s) so a slow machine cannot time the test out;
 * reaching it is reported, not failed.
 *
 * A sequence's child exits 0 (nothing found), FZ_FOUND after printing
 * what broke a documented rule, or dies.  A child still running after
 * seq_limit_s seconds is killed and reported as a hang; one that even
 * SIGKILL does not end within FZ_REAP_S seconds (a task stuck in the
 * kernel) stops the run.
 */
#ifndef VMEM_FZ_H
#define VMEM_FZ_H

#include <stdbool.h>
#include <stdint.h>

#define FZ_FOUND	3
#define FZ_REAP_S	30

struct fz_rng {
	uint64_t s;
};

/* splitmix64: tiny, full period, and good enough for choosing calls. */
static inline uint64_t fz_next(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 when n is 0. */
uint64_t fz_below(struct fz_rng *r, uint64_t n);
/* True with probability pct percent. */
bool fz_chance(struct fz_rng *r, unsigned int pct);
/* A value an ioctl is likely to mind: 0, 1, ~0, powers of two and their
 * neighbours, page and large-page multiples, or anything. */
uint64_t fz_value(struct fz_rng *r);
/* @v with one random bit of the low @bits flipped. */
uint64_t fz_flip(struct fz_rng *r, uint64_t v, unsigned int bits);
/* Fill @len bytes with random bytes. */
void fz_bytes(struct fz_rng *r, void *buf, unsigned long len);

uint64_t fz_seq_seed(uint64_t base, uint64_t n);

/* Counters the children add to (shared memory). */
#define FZ_NR_EXITS	16
struct fz_stats {
	uint64_t seqs;		/* sequences finished */
	uint64_t calls;		/* system calls made on vmem's fds/sockets */
	uint64_t runs;		/* VMEM_RUN calls */
	uint64_t states;	/* guest states tried (fuzz_state) */
	uint64_t states_set;	/* ... that SET accepted */
	uint64_t states_run;	/* ... that were run */
	uint64_t unsafe;	/* accepted states left unrun: emulator */
	uint64_t run_errors;	/* VMEM_RUN returning -1 (EINTR included) */
	uint64_t exits[FZ_NR_EXITS];	/* exit reasons seen */
	uint64_t unpriv;	/* sequences run as nobody */
};

struct fz_fuzzer {
	const char *name;
	uint64_t seqs;		/* default budget, sequences */
	uint64_t seqs_vmx;	/* ... on a VMX host */
	unsigned int cap_s;	/* wall cap when no seconds= is given */
	unsigned int seq_limit_s; /* one sequence; more is a hang */
	/* Run sequence @seed in the child: 0, or FZ_FOUND (it printed). */
	int (*seq)(uint64_t seed, struct fz_stats *st);
	/* Optional: undo what sequences left behind (before the leak check). */
	void (*cleanup)(void);
};

/*
 * Run the budget: VT_PASS, or VT_FAIL when a sequence found something,
 * hung or died (each printed with its seed).  Prints the figures.
 */
int fz_run(const struct fz_fuzzer *f);

/* verbose=1 was given. */
extern bool fz_verbose;

/* The stats of the running sequence (the child's view of them). */
extern struct fz_stats *fz_st;

/* "# fuzz: <name> seed 0x...: <what>" from a sequence. */
void fz_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* VMEM_CHECK_EXTENSION(VMEM_CAP_BACKEND) == VMEM_BACKEND_VMX. */
bool fz_host_vmx(void);

#endif /* VMEM_FZ_H */
