/* SPDX-License-Identifier: MIT */
/*
 * w1 task 3 (§4.2): threads competing for a set of mutexes, the model being
 * sysbench's `mutex` test. Each of `threads` threads does `locks` rounds of
 * lock / increment the mutex's counter / unlock on a mutex picked by a
 * per-thread xorshift generator. Unlike sysbench there is no empty loop
 * between locks: the threads spend their time taking locks, so a holder
 * descheduled with its lock held (what the study blames Xen's scheduler for)
 * shows in the time.
 *
 * Self-check: the per-mutex counters add up to threads x locks; a lost
 * increment means a mutex did not exclude.
 */
#include <pthread.h>
#include <stdalign.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

struct mutex_opts {
	uint64_t threads;
	uint64_t mutexes;
	uint64_t locks;
};

/* One mutex and the counter it guards, alone on its cache line(s): no false sharing. */
struct mutex_slot {
	alignas(64) pthread_mutex_t m;
	uint64_t count;
};

struct mutex_shared {
	struct mutex_slot *slots;
	uint64_t nslots;
	uint64_t locks;
	volatile sig_atomic_t *stop;
	/* The start gate: workers wait until every thread exists. */
	pthread_mutex_t gate;
	pthread_cond_t open;
	bool go, abort;
};

struct mutex_worker {
	struct mutex_shared *sh;
	pthread_t tid;
	uint64_t seed;
	uint64_t done; /* rounds completed */
	int error;     /* a pthread_mutex_* error */
};

/* How often a worker looks at the stop flag. */
#define STOP_POLL 1024

static void *mutex_thread(void *arg)
{
	struct mutex_worker *w = arg;
	struct mutex_shared *sh = w->sh;
	uint64_t x = w->seed, i;

	pthread_mutex_lock(&sh->gate);
	while (!sh->go && !sh->abort)
		pthread_cond_wait(&sh->open, &sh->gate);
	bool run = sh->go && !sh->abort;
	pthread_mutex_unlock(&sh->gate);
	if (!run)
		return NULL;

	for (i = 0; i < sh->locks; i++) {
		if (i % STOP_POLL == 0 && sh->stop && *sh->stop)
			break;
		/* xorshift64: a few cycles, no shared state. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Map the top 32 bits onto [0, nslots) without a division. */
		struct mutex_slot *s = &sh->slots[((x >> 32) * sh->nslots) >> 32];
		int r = pthread_mutex_lock(&s->m);
		if (r) {
			w->error = r;
			break;
		}
		s->count++;
		r = pthread_mutex_unlock(&s->m);
		if (r) {
			w->error = r;
			break;
		}
	}
	w->done = i;
	return NULL;
}

static int mutex_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		     struct vb_error **err)
{
	const struct mutex_opts *opts = o;
	struct mutex_shared sh = { .nslots = opts->mutexes,
				   .locks = opts->locks,
				   .stop = ctx->stop };
	size_t nthreads = opts->threads, started = 0, inited = 0;
	_cleanup_free_ struct mutex_worker *workers = xcalloc(nthreads, sizeof(*workers));
	int r = 0;

	sh.slots = aligned_alloc(alignof(struct mutex_slot), sh.nslots * sizeof(*sh.slots));
	if (!sh.slots)
		return vb_error_errno(err, ENOMEM, "cpu.mutex: cannot allocate %llu mutexes",
				      (unsigned long long)sh.nslots);
	for (; inited < sh.nslots; inited++) {
		memset(&sh.slots[inited], 0, sizeof(sh.slots[inited]));
		r = pthread_mutex_init(&sh.slots[inited].m, NULL);
		if (r) {
			r = vb_error_errno(err, r, "cpu.mutex: cannot create mutex %zu",
					   inited + 1);
			goto out_slots;
		}
	}
	pthread_mutex_init(&sh.gate, NULL);
	pthread_cond_init(&sh.open, NULL);
	for (; started < nthreads; started++) {
		struct mutex_worker *w = &workers[started];

		w->sh = &sh;
		/* Distinct non-zero seeds (splitmix64 of the index). */
		uint64_t z = (started + 1) * 0x9e3779b97f4a7c15ULL;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		w->seed = (z ^ (z >> 31)) | 1;
		r = pthread_create(&w->tid, NULL, mutex_thread, w);
		if (r)
			break;
	}

	pthread_mutex_lock(&sh.gate);
	if (r)
		sh.abort = true;
	else
		sh.go = true;
	double t0 = vb_now();
	pthread_cond_broadcast(&sh.open);
	pthread_mutex_unlock(&sh.gate);
	for (size_t i = 0; i < started; i++)
		pthread_join(workers[i].tid, NULL);
	double elapsed = vb_now() - t0;

	if (r) {
		r = vb_error_errno(err, r, "cpu.mutex: cannot start thread %zu of %zu", started + 1,
				   nthreads);
		goto out;
	}
	for (size_t i = 0; i < nthreads; i++)
		if (workers[i].error) {
			r = vb_error_errno(err, workers[i].error,
					   "cpu.mutex: thread %zu: a mutex operation failed",
					   i + 1);
			goto out;
		}
	if (ctx->stop && *ctx->stop) {
		r = vb_error_set(err, -EINTR, "cpu.mutex: stopped");
		goto out;
	}

	uint64_t sum = 0, want = opts->threads * opts->locks;
	for (size_t i = 0; i < sh.nslots; i++)
		sum += sh.slots[i].count;
	if (sum != want) {
		r = vb_error_set(err, -EIO,
				 "cpu.mutex: the mutex counters add up to %llu, not threads x "
				 "locks = %llu: a mutex did not exclude",
				 (unsigned long long)sum, (unsigned long long)want);
		goto out;
	}
	if (elapsed <= 0) {
		r = vb_error_set(err, -EIO, "cpu.mutex: the clock did not advance");
		goto out;
	}
	values[0] = elapsed;
	values[1] = (double)want / elapsed;
out:
	pthread_cond_destroy(&sh.open);
	pthread_mutex_destroy(&sh.gate);
out_slots:
	for (size_t i = 0; i < inited; i++)
		pthread_mutex_destroy(&sh.slots[i].m);
	free(sh.slots);
	return r;
}

static int mutex_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct mutex_opts *opts = o;

	/* The mutex array: keep it well under memory (it is 64 bytes a mutex). */
	if (ctx->mem_total && opts->mutexes * sizeof(struct mutex_slot) > ctx->mem_total / 4)
		return vb_error_set(
		    err, -EINVAL,
		    "cpu.mutex: mutexes=%llu needs %llu MiB, more than a quarter "
		    "of the %llu MiB of memory here",
		    (unsigned long long)opts->mutexes,
		    (unsigned long long)(opts->mutexes * sizeof(struct mutex_slot) >> 20),
		    (unsigned long long)(ctx->mem_total >> 20));
	return 0;
}

static const struct vb_option mutex_options[] = {
	VB_OPTION("threads", VB_OPT_U64, struct mutex_opts, threads, 8, 64, 1, 4096,
		  "threads competing for the mutexes"),
	VB_OPTION("mutexes", VB_OPT_U64, struct mutex_opts, mutexes, 4096, 4096, 1, 1 << 24,
		  "mutexes in the set (sysbench's --mutex-num)"),
	VB_OPTION("locks", VB_OPT_U64, struct mutex_opts, locks, 4000000, 2000000, 1, 1000000000,
		  "lock/increment/unlock rounds per thread (sysbench's --mutex-locks)"),
	{ 0 },
};

static const struct vb_metric_desc mutex_metrics[] = {
	{ "elapsed", "s", false, "time until every thread has done its rounds" },
	{ "rate", "locks/s", true, "lock/unlock rounds per second, all threads together" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_cpu_mutex = {
	.name = "cpu.mutex",
	.group = "w1",
	.summary = "N threads locking random mutexes of a set (sysbench mutex style), "
		   "counts checked",
	.study_ref = "§4.2 task 3",
	.options = mutex_options,
	.opts_size = sizeof(struct mutex_opts),
	.metrics = mutex_metrics,
	.check = mutex_check,
	.run = mutex_run,
};
