/* SPDX-License-Identifier: MIT */
/*
 * Aggressor (§6): the CPU load of the study's `stress --cpu N`. N threads
 * spin on integer and floating-point work until `duration` milliseconds have
 * passed or the run is told to stop, which is the normal end of an aggressor:
 * it then reports the work done so far. duration_ms=0 means "until stopped".
 *
 * One op is: a xorshift64 step; a 64-bit multiply by an odd constant undone
 * by its inverse modulo 2^64; a square root and its square. Both results are
 * checked (the integer one exactly, the root to the rounding error), so a
 * wrong answer from the CPU fails the sample, as stress-ng's --verify does.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

struct stress_cpu_opts {
	uint64_t workers;
	uint64_t duration; /* ms; 0 = until ctx->stop */
};

/* Ops between looks at the done flag: tens of microseconds. */
#define CHUNK 4096
/* How often the controlling thread looks at the clock and ctx->stop. */

/* An odd multiplier and its inverse modulo 2^64. */
#define MUL 0x9e3779b97f4a7c15ULL
#define MUL_INV 0xf1de83e19937733dULL

struct cpu_shared {
	atomic_bool done;
};

struct cpu_worker {
	struct cpu_shared *sh;
	pthread_t tid;
	uint64_t seed;
	uint64_t ops;
	uint64_t wrong;
	double sink;
};

static void *cpu_worker_main(void *arg)
{
	struct cpu_worker *w = arg;
	uint64_t x = w->seed, ops = 0, wrong = 0;
	double acc = 0;

	while (!atomic_load_explicit(&w->sh->done, memory_order_relaxed)) {
		for (int i = 0; i < CHUNK; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			uint64_t y = x * MUL;
			/* Hide y's origin, or the compiler folds MUL * MUL_INV to 1. */
			__asm__("" : "+r"(y));
			wrong += y * MUL_INV != x;
			double d = (double)(x >> 11); /* 53 bits: exact */
			double s = sqrt(d);
			/* A correctly rounded root squares back within 3 ulp-ish of d. */
			wrong += fabs(s * s - d) > d * 4e-16;
			acc += s;
		}
		ops += CHUNK;
	}
	w->ops = ops;
	w->wrong = wrong;
	w->sink = acc;
	return NULL;
}

static int stress_cpu_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct stress_cpu_opts *opts = o;

	return vb_check_duration("stress.cpu", opts->duration, ctx, err);
}

static int stress_cpu_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
			  struct vb_error **err)
{
	const struct stress_cpu_opts *opts = o;
	size_t n = opts->workers, started = 0;
	_cleanup_free_ struct cpu_worker *workers = xcalloc(n, sizeof(*workers));
	struct cpu_shared sh;
	int r = stress_cpu_check(opts, ctx, err);

	if (r)
		return r;
	atomic_init(&sh.done, false);
	double t0 = vb_now();
	for (; started < n; started++) {
		workers[started].sh = &sh;
		workers[started].seed = (0x2545f4914f6cdd1dULL * (started + 1)) | 1;
		r = pthread_create(&workers[started].tid, NULL, cpu_worker_main, &workers[started]);
		if (r)
			break;
	}
	if (!r)
		vb_wait_duration(opts->duration, ctx->stop, t0);
	atomic_store(&sh.done, true);
	for (size_t i = 0; i < started; i++)
		pthread_join(workers[i].tid, NULL);
	double elapsed = vb_now() - t0;
	if (r)
		return vb_error_errno(err, r, "stress.cpu: cannot start worker %zu of %zu",
				      started + 1, n);

	uint64_t ops = 0;
	for (size_t i = 0; i < n; i++) {
		if (workers[i].wrong)
			return vb_error_set(err, -EIO,
					    "stress.cpu: worker %zu got %llu wrong integer or "
					    "square-root results",
					    i + 1, (unsigned long long)workers[i].wrong);
		ops += workers[i].ops;
	}
	if (ctx->log) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%zu workers did %llu ops in %.3f s%s", n,
			 (unsigned long long)ops, elapsed,
			 ctx->stop && *ctx->stop ? " (stopped)" : "");
		ctx->log(ctx->log_data, msg);
	}
	values[0] = (double)ops;
	values[1] = elapsed > 0 ? (double)ops / elapsed : 0;
	return 0;
}

static const struct vb_option stress_cpu_options[] = {
	VB_OPTION("workers", VB_OPT_U64, struct stress_cpu_opts, workers, 2, 8, 1, 4096,
		  "spinning threads (stress --cpu N)"),
	VB_OPTION("duration_ms", VB_OPT_U64, struct stress_cpu_opts, duration, 500, 60000, 0,
		  7 * 24 * 3600 * 1000ULL, "milliseconds to run; 0 = until the run is stopped"),
	{ 0 },
};

static const struct vb_metric_desc stress_cpu_metrics[] = {
	{ "ops", "ops", true, "integer + square-root ops done by all workers" },
	{ "rate", "ops/s", true, "ops per second of wall time" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_stress_cpu = {
	.name = "stress.cpu",
	.group = "aggressor",
	.summary = "N threads spinning on checked integer and floating-point work (stress --cpu)",
	.study_ref = "§6",
	.options = stress_cpu_options,
	.opts_size = sizeof(struct stress_cpu_opts),
	.metrics = stress_cpu_metrics,
	.check = stress_cpu_check,
	.run = stress_cpu_run,
};
