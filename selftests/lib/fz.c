// SPDX-License-Identifier: GPL-2.0
/*
 * fz.c - PRNG, budget and sequence driver of the fuzz_* selftests; see fz.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "fz.h"
#include "vt.h"
#include "vt_vm.h"

struct fz_stats *fz_st;
bool fz_verbose;
static uint64_t fz_cur_seed;
static const char *fz_cur_name = "?";

uint64_t fz_below(struct fz_rng *r, uint64_t n)
{
	return n ? fz_next(r) % n : 0;
}

bool fz_chance(struct fz_rng *r, unsigned int pct)
{
	return fz_below(r, 100) < pct;
}

uint64_t fz_value(struct fz_rng *r)
{
	unsigned int b = fz_below(r, 64);

	switch (fz_below(r, 12)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return ~0ull;
	case 3: return 1ull << b;
	case 4: return (1ull << b) - 1;
	case 5: return (1ull << b) + 1;
	case 6: return fz_below(r, 64) << 12;
	case 7: return fz_below(r, 8) << 21;
	case 8: return fz_below(r, 4096);
	case 9: return 0x7fffffffull + fz_below(r, 3) - 1;
	case 10: return -(fz_below(r, 8) << 12);
	default: return fz_next(r);
	}
}

uint64_t fz_flip(struct fz_rng *r, uint64_t v, unsigned int bits)
{
	return v ^ (1ull << fz_below(r, bits));
}

void fz_bytes(struct fz_rng *r, void *buf, unsigned long len)
{
	unsigned char *p = buf;

	while (len) {
		uint64_t v = fz_next(r);
		unsigned int n = len < 8 ? len : 8;

		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

uint64_t fz_seq_seed(uint64_t base, uint64_t n)
{
	struct fz_rng r = { base ^ (n * 0xd1b54a32d192ed03ull) };

	return fz_next(&r);
}

void fz_report(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ksft_print_msg("fuzz: %s seed 0x%016llx: %s\n", fz_cur_name,
		       (unsigned long long)fz_cur_seed, buf);
	fflush(stdout);
}

bool fz_host_vmx(void)
{
	return vt_check_extension(VMEM_CAP_BACKEND) == VMEM_BACKEND_VMX;
}

/* ---- budget ------------------------------------------------------------- */

struct fz_budget {
	uint64_t seqs, seconds, seed, replay;
	bool has_seqs, has_seconds, has_replay;
};

static int fz_parse(struct fz_budget *b)
{
	const char *env = getenv("VMEM_FUZZ");
	char buf[256], *save = NULL, *kv;

	b->seed = 1;
	if (!env || !*env)
		return 0;
	snprintf(buf, sizeof(buf), "%s", env);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '='), *end;
		uint64_t v;

		if (!eq)
			goto bad;
		*eq = '\0';
		errno = 0;
		v = strtoull(eq + 1, &end, 0);
		if (errno || *end || end == eq + 1)
			goto bad;
		if (!strcmp(kv, "seqs")) {
			b->seqs = v;
			b->has_seqs = true;
		} else if (!strcmp(kv, "seconds")) {
			b->seconds = v;
			b->has_seconds = true;
		} else if (!strcmp(kv, "seed")) {
			b->seed = v;
		} else if (!strcmp(kv, "verbose")) {
			fz_verbose = v;
		} else if (!strcmp(kv, "replay")) {
			b->replay = v;
			b->has_replay = true;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	ksft_print_msg("fuzz: bad VMEM_FUZZ \"%s\" (seqs=, seconds=, seed=, replay=, verbose=)\n",
		       env);
	return -1;
}

static double fz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- one sequence ---------------------------------------------------------- */

enum fz_outcome { FZ_OK, FZ_FAILED, FZ_STUCK };

static enum fz_outcome fz_one(const struct fz_fuzzer *f, uint64_t n,
			      uint64_t seed)
{
	double t0, limit;
	int status;
	pid_t pid;

	printf("# fuzz: %s seq %llu seed 0x%016llx\n", f->name,
	       (unsigned long long)n, (unsigned long long)seed);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("fuzz: fork: %s\n", strerror(errno));
		return FZ_FAILED;
	}
	if (pid == 0) {
		int ret;

		fz_cur_seed = seed;
		fz_cur_name = f->name;
		signal(SIGPIPE, SIG_IGN);
		ret = f->seq(seed, fz_st);
		fflush(stdout);
		_exit(ret);
	}
	t0 = fz_now();
	limit = f->seq_limit_s;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			ksft_print_msg("fuzz: waitpid: %s\n", strerror(errno));
			return FZ_FAILED;
		}
		if (fz_now() - t0 > limit) {
			if (limit > f->seq_limit_s) {
				ksft_print_msg("fuzz: %s seed 0x%016llx: the child survives SIGKILL for %d s (stuck in the kernel)\n",
					       f->name, (unsigned long long)seed,
					       FZ_REAP_S);
				return FZ_STUCK;
			}
			ksft_print_msg("fuzz: %s seed 0x%016llx: sequence still running after %u s: hang, killed\n",
				       f->name, (unsigned long long)seed,
				       f->seq_limit_s);
			kill(pid, SIGKILL);
			limit += FZ_REAP_S;
		}
		usleep(2000);
	}
	if (limit > f->seq_limit_s)
		return FZ_FAILED;
	if (WIFSIGNALED(status)) {
		ksft_print_msg("fuzz: %s seed 0x%016llx: the child died of signal %d (%s)\n",
			       f->name, (unsigned long long)seed,
			       WTERMSIG(status), strsignal(WTERMSIG(status)));
		return FZ_FAILED;
	}
	if (WEXITSTATUS(status) != 0) {
		if (WEXITSTATUS(status) != FZ_FOUND)
			ksft_print_msg("fuzz: %s seed 0x%016llx: the child exited %d\n",
				       f->name, (unsigned long long)seed,
				       WEXITSTATUS(status));
		return FZ_FAILED;
	}
	return FZ_OK;
}

int fz_run(const struct fz_fuzzer *f)
{
	struct fz_budget b = { 0 };
	struct vt_leaks leaks;
	uint64_t n, want, found = 0;
	double t0, cap;
	bool capped = false;
	unsigned int i;

	if (fz_parse(&b) < 0)
		return VT_FAIL;
	if (!fz_st) {
		fz_st = mmap(NULL, sizeof(*fz_st), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (fz_st == MAP_FAILED)
			FAIL("mmap: %s", strerror(errno));
	}
	memset(fz_st, 0, sizeof(*fz_st));
	if (vt_leaks_read(&leaks) < 0)
		FAIL("the leak counters cannot be read");

	want = b.has_seqs ? b.seqs : fz_host_vmx() ? f->seqs_vmx : f->seqs;
	if (b.has_seconds && !b.has_seqs)
		want = ~0ull;
	cap = b.has_seconds ? (double)b.seconds : f->cap_s;
	if (b.has_replay)
		want = 1;
	ksft_print_msg("fuzz: %s base seed 0x%llx, %s%llu sequences, cap %.0f s\n",
		       f->name, (unsigned long long)b.seed,
		       b.has_replay ? "replay, " : "",
		       (unsigned long long)want, cap);
	t0 = fz_now();
	for (n = 0; n < want; n++) {
		uint64_t seed = b.has_replay ? b.replay : fz_seq_seed(b.seed, n);
		enum fz_outcome o;

		if (n && fz_now() - t0 >= cap) {
			capped = true;
			break;
		}
		o = fz_one(f, n, seed);
		if (o == FZ_OK)
			continue;
		found++;
		if (o == FZ_STUCK)
			break;
	}
	ksft_print_msg("fuzz: %s: %llu sequences, %llu calls, %llu runs, %llu states (%llu accepted, %llu run, %llu not run: emulator), %llu as nobody, %.0f s%s\n",
		       f->name, (unsigned long long)fz_st->seqs,
		       (unsigned long long)fz_st->calls,
		       (unsigned long long)fz_st->runs,
		       (unsigned long long)fz_st->states,
		       (unsigned long long)fz_st->states_set,
		       (unsigned long long)fz_st->states_run,
		       (unsigned long long)fz_st->unsafe,
		       (unsigned long long)fz_st->unpriv,
		       fz_now() - t0,
		       capped ? " (wall cap reached first)" : "");
	if (fz_st->runs) {
		char line[512];
		int len = 0;

		for (i = 0; i < FZ_NR_EXITS; i++)
			if (fz_st->exits[i])
				len += snprintf(line + len, sizeof(line) - len,
						" %s:%llu", vt_exit_name(i),
						(unsigned long long)fz_st->exits[i]);
		ksft_print_msg("fuzz: %s exits:%s, RUN errors %llu\n", f->name,
			       len ? line : " none",
			       (unsigned long long)fz_st->run_errors);
	}
	if (f->cleanup)
		f->cleanup();
	if (found)
		FAIL("%llu sequence(s) found something (seeds above; replay with VMEM_FUZZ=replay=SEED)",
		     (unsigned long long)found);
	EXPECT_NO_LEAKS(&leaks);
	return VT_PASS;
}
