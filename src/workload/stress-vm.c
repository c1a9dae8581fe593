/* SPDX-License-Identifier: MIT */
/*
 * Aggressor (§6): the memory load of the study's `stress --vm N --vm-bytes X`.
 * N threads each loop: map X bytes of anonymous memory, write a byte into
 * every page (a page fault and a zeroed page each), read every page back,
 * unmap. They run until `duration` milliseconds have passed or the run is
 * told to stop, which is the normal end of an aggressor: the work done so
 * far is reported. duration_ms=0 means "until stopped".
 *
 * Self-check: every page must read back the byte written into it; a page
 * that does not fails the sample. Workers are threads of one process, where
 * stress forks processes: the page-fault work is the same, but the threads
 * share one address space (and its mmap lock).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

struct stress_vm_opts {
	uint64_t workers;
	uint64_t size;
	uint64_t duration; /* ms; 0 = until ctx->stop */
};

/* Pages between looks at the done flag: at most a few hundred microseconds. */
#define PAGE_POLL 256

struct vm_shared {
	atomic_bool done;
	size_t size;
	size_t page;
};

struct vm_worker {
	struct vm_shared *sh;
	pthread_t tid;
	unsigned id;
	uint64_t cycles;  /* complete map / touch / check / unmap rounds */
	uint64_t touched; /* pages written, partial rounds included */
	int map_errno;
	size_t bad_page; /* first page that read back wrong, + 1 */
};

static inline unsigned char vm_pattern(size_t page, uint64_t cycle, unsigned id)
{
	return (unsigned char)(page * 31 + cycle * 7 + id * 13 + 1);
}

static bool vm_done(struct vm_shared *sh)
{
	return atomic_load_explicit(&sh->done, memory_order_relaxed);
}

static void *vm_worker_main(void *arg)
{
	struct vm_worker *w = arg;
	struct vm_shared *sh = w->sh;
	size_t npages = (sh->size + sh->page - 1) / sh->page;

	while (!vm_done(sh)) {
		volatile unsigned char *p = mmap(NULL, sh->size, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			w->map_errno = errno;
			break;
		}
		bool whole = true;
		for (size_t pg = 0; pg < npages; pg++) {
			if (pg % PAGE_POLL == 0 && vm_done(sh)) {
				whole = false;
				break;
			}
			p[pg * sh->page] = vm_pattern(pg, w->cycles, w->id);
			w->touched++;
		}
		for (size_t pg = 0; whole && pg < npages; pg++) {
			if (pg % PAGE_POLL == 0 && vm_done(sh)) {
				whole = false;
				break;
			}
			if (p[pg * sh->page] != vm_pattern(pg, w->cycles, w->id)) {
				w->bad_page = pg + 1;
				break;
			}
		}
		munmap((void *)p, sh->size);
		if (w->bad_page)
			break;
		if (whole)
			w->cycles++;
	}
	return NULL;
}

static int stress_vm_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct stress_vm_opts *opts = o;

	int dr = vb_check_duration("stress.vm", opts->duration, ctx, err);
	if (dr)
		return dr;
	/* Leave half of memory to everything else, the victim included. */
	if (ctx->mem_total && opts->workers * opts->size > ctx->mem_total / 2)
		return vb_error_set(err, -EINVAL,
				    "stress.vm: workers=%llu x size=%llu MiB is more than half "
				    "of the %llu MiB of memory here",
				    (unsigned long long)opts->workers,
				    (unsigned long long)(opts->size >> 20),
				    (unsigned long long)(ctx->mem_total >> 20));
	if (opts->size > SIZE_MAX / 2)
		return vb_error_set(err, -EINVAL, "stress.vm: size=%llu is too large here",
				    (unsigned long long)opts->size);
	return 0;
}

static int stress_vm_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
			 struct vb_error **err)
{
	const struct stress_vm_opts *opts = o;
	size_t n = opts->workers, started = 0;
	_cleanup_free_ struct vm_worker *workers = xcalloc(n, sizeof(*workers));
	struct vm_shared sh = { .size = opts->size };
	long page = sysconf(_SC_PAGESIZE);
	int r = stress_vm_check(opts, ctx, err);

	if (r)
		return r;
	sh.page = page > 0 ? (size_t)page : 4096;
	atomic_init(&sh.done, false);
	double t0 = vb_now();
	for (; started < n; started++) {
		workers[started].sh = &sh;
		workers[started].id = (unsigned)started;
		r = pthread_create(&workers[started].tid, NULL, vm_worker_main, &workers[started]);
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
		return vb_error_errno(err, r, "stress.vm: cannot start worker %zu of %zu",
				      started + 1, n);

	uint64_t cycles = 0, touched = 0;
	for (size_t i = 0; i < n; i++) {
		struct vm_worker *w = &workers[i];

		if (w->bad_page)
			return vb_error_set(err, -EIO,
					    "stress.vm: worker %zu: page %zu of round %llu read "
					    "back a different byte from the one written",
					    i + 1, w->bad_page - 1,
					    (unsigned long long)w->cycles + 1);
		if (w->map_errno)
			return vb_error_errno(err, w->map_errno,
					      "stress.vm: worker %zu cannot map %zu bytes", i + 1,
					      sh.size);
		cycles += w->cycles;
		touched += w->touched;
	}
	double mib = (double)touched * (double)sh.page / (double)VB_MIB;
	if (ctx->log) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "%zu workers did %llu rounds, %.1f MiB touched in %.3f s%s", n,
			 (unsigned long long)cycles, mib, elapsed,
			 ctx->stop && *ctx->stop ? " (stopped)" : "");
		ctx->log(ctx->log_data, msg);
	}
	values[0] = (double)cycles;
	values[1] = elapsed > 0 ? (double)cycles / elapsed : 0;
	values[2] = elapsed > 0 ? mib / elapsed : 0;
	return 0;
}

static const struct vb_option stress_vm_options[] = {
	VB_OPTION("workers", VB_OPT_U64, struct stress_vm_opts, workers, 2, 2, 1, 1024,
		  "threads allocating and touching memory (stress --vm N)"),
	VB_OPTION("size", VB_OPT_SIZE, struct stress_vm_opts, size, 32 * VB_MIB, 256 * VB_MIB,
		  4 * VB_KIB, 1024 * VB_GIB,
		  "bytes each worker maps per round (stress --vm-bytes)"),
	VB_OPTION("duration_ms", VB_OPT_U64, struct stress_vm_opts, duration, 500, 60000, 0,
		  7 * 24 * 3600 * 1000ULL, "milliseconds to run; 0 = until the run is stopped"),
	{ 0 },
};

static const struct vb_metric_desc stress_vm_metrics[] = {
	{ "ops", "rounds", true, "map / touch every page / check / unmap rounds completed" },
	{ "rate", "rounds/s", true, "rounds per second of wall time" },
	{ "touch_rate", "MiB/s", true,
	  "memory written page by page per second, partial rounds "
	  "included" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_stress_vm = {
	.name = "stress.vm",
	.group = "aggressor",
	.summary = "N threads mapping, touching and unmapping memory in a loop (stress --vm)",
	.study_ref = "§6",
	.options = stress_vm_options,
	.opts_size = sizeof(struct stress_vm_opts),
	.metrics = stress_vm_metrics,
	.check = stress_vm_check,
	.run = stress_vm_run,
};
