/* SPDX-License-Identifier: MIT */
/*
 * w1 task 1 (§4.2): prime search with N threads. Each thread tests odd
 * numbers by trial division (the method of sysbench's cpu test), taking
 * chunks from a shared counter so threads finish together. The count is
 * checked against π(n) from a sieve run outside the timed region, and against
 * published values of π for the usual limits.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

struct primes_opts {
	uint64_t limit;
	uint64_t threads;
};

#define CHUNK 2048

struct primes_shared {
	uint64_t limit;
	atomic_uint_fast64_t next; /* next odd number to hand out */
	atomic_uint_fast64_t count;
	volatile sig_atomic_t *stop;
};

static bool is_prime_trial(uint64_t n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (uint64_t d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

static void *primes_thread(void *arg)
{
	struct primes_shared *sh = arg;
	uint64_t local = 0;
	for (;;) {
		uint64_t lo = atomic_fetch_add(&sh->next, 2 * CHUNK);
		if (lo > sh->limit || (sh->stop && *sh->stop))
			break;
		uint64_t hi = lo + 2 * CHUNK;
		for (uint64_t n = lo; n < hi && n <= sh->limit; n += 2)
			local += is_prime_trial(n);
	}
	atomic_fetch_add(&sh->count, local);
	return NULL;
}

/* π(limit) by a bit sieve of odd numbers: a different method from the timed one. */
static uint64_t sieve_count(uint64_t limit)
{
	if (limit < 2)
		return 0;
	uint64_t nodd = (limit - 1) / 2; /* odd numbers 3, 5, ... ≤ limit */
	_cleanup_free_ uint8_t *composite = xcalloc(nodd / 8 + 1, 1);
	uint64_t count = 1; /* 2 */
	for (uint64_t i = 0; i < nodd; i++) {
		if (composite[i / 8] & (1u << (i % 8)))
			continue;
		count++;
		uint64_t p = 2 * i + 3;
		for (uint64_t m = p * p; m <= limit; m += 2 * p) {
			uint64_t j = (m - 3) / 2;
			composite[j / 8] |= (uint8_t)(1u << (j % 8));
		}
	}
	return count;
}

/* Published values of π(n), a check on the sieve itself. */
static const struct {
	uint64_t n, pi;
} known_pi[] = {
	{ 10, 4 },	   { 100, 25 },		{ 1000, 168 },	      { 10000, 1229 },
	{ 100000, 9592 },  { 1000000, 78498 },	{ 10000000, 664579 }, { 100000000, 5761455 },
	{ 300000, 25997 }, { 5000000, 348513 },
};

static int primes_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		      struct vb_error **err)
{
	const struct primes_opts *opts = o;
	struct primes_shared sh = { .limit = opts->limit, .stop = ctx->stop };
	atomic_init(&sh.next, 3);
	atomic_init(&sh.count, opts->limit >= 2 ? 1 : 0);
	_cleanup_free_ pthread_t *tids = xcalloc(opts->threads, sizeof(*tids));

	double t0 = vb_now();
	size_t started = 0;
	int r = 0;
	for (; started < opts->threads; started++) {
		r = pthread_create(&tids[started], NULL, primes_thread, &sh);
		if (r)
			break;
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	double elapsed = vb_now() - t0;
	if (r)
		return vb_error_errno(err, r, "cpu.primes: cannot start thread %zu", started + 1);
	if (ctx->stop && *ctx->stop)
		return vb_error_set(err, -EINTR, "cpu.primes: stopped");

	uint64_t got = atomic_load(&sh.count);
	uint64_t want = sieve_count(opts->limit);
	for (size_t i = 0; i < VB_ARRAY_SIZE(known_pi); i++)
		if (known_pi[i].n == opts->limit && known_pi[i].pi != want)
			VB_BUG("sieve gives pi(%llu) = %llu", (unsigned long long)opts->limit,
			       (unsigned long long)want);
	if (got != want)
		return vb_error_set(err, -EIO,
				    "cpu.primes: found %llu primes up to %llu, pi is %llu",
				    (unsigned long long)got, (unsigned long long)opts->limit,
				    (unsigned long long)want);
	if (ctx->log) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%llu primes up to %llu, as pi(n) says",
			 (unsigned long long)got, (unsigned long long)opts->limit);
		ctx->log(ctx->log_data, msg);
	}
	values[0] = elapsed;
	values[1] = (double)(opts->limit / 2) / elapsed;
	return 0;
}

static const struct vb_option primes_options[] = {
	VB_OPTION("limit", VB_OPT_U64, struct primes_opts, limit, 3000000, 5000000, 10, 100000000,
		  "search primes up to this number"),
	VB_OPTION("threads", VB_OPT_U64, struct primes_opts, threads, 2, 8, 1, 1024,
		  "worker threads sharing the range"),
	{ 0 },
};

static const struct vb_metric_desc primes_metrics[] = {
	{ "elapsed", "s", false, "time to test every number up to the limit" },
	{ "rate", "numbers/s", true, "odd numbers tested per second" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_cpu_primes = {
	.name = "cpu.primes",
	.group = "w1",
	.summary = "prime search by trial division over N threads, checked against pi(n)",
	.study_ref = "§4.2 task 1",
	.options = primes_options,
	.opts_size = sizeof(struct primes_opts),
	.metrics = primes_metrics,
	.run = primes_run,
};
