/* SPDX-License-Identifier: MIT */
/*
 * w2 (§4.3), mbw's "MEMCPY" method: copy one buffer to another with
 * memcpy(), `loops` times, and report the mean bandwidth. Both buffers are
 * touched before timing so page faults are not measured; the copy is checked
 * against the source afterwards.
 */
#include <sys/mman.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

struct memcpy_opts {
	uint64_t size;
	uint64_t loops;
};

static int memcpy_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct memcpy_opts *opts = o;
	/* Two buffers; leave at least half of memory to everything else. */
	if (ctx->mem_total && opts->size > ctx->mem_total / 4)
		return vb_error_set(err, -EINVAL,
				    "mem.memcpy: size=%llu MiB needs twice that, more than half of "
				    "the %llu MiB of memory here",
				    (unsigned long long)(opts->size >> 20),
				    (unsigned long long)(ctx->mem_total >> 20));
	return 0;
}

static void unmap(void *p, size_t n)
{
	if (p != MAP_FAILED)
		munmap(p, n);
}

static int memcpy_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		      struct vb_error **err)
{
	const struct memcpy_opts *opts = o;
	size_t n = opts->size;
	/* mmap rather than malloc: a failure is an error, not an abort. */
	char *src = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *dst = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r = 0;
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		r = vb_error_errno(err, errno, "mem.memcpy: cannot map 2 x %zu bytes", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		src[i] = (char)(i * 131 + 7);
	memset(dst, 0, n);

	double best = 0, total = 0;
	for (uint64_t l = 0; l < opts->loops; l++) {
		if (ctx->stop && *ctx->stop) {
			r = vb_error_set(err, -EINTR, "mem.memcpy: stopped");
			goto out;
		}
		double t0 = vb_now();
		memcpy(dst, src, n);
		double dt = vb_now() - t0;
		/* Keep the compiler from proving the copy dead. */
		__asm__ volatile("" : : "r"(dst) : "memory");
		total += dt;
		if (l == 0 || dt < best)
			best = dt;
	}
	if (memcmp(src, dst, n)) {
		r = vb_error_set(err, -EIO, "mem.memcpy: destination differs from source");
		goto out;
	}
	values[0] = (double)n * (double)opts->loops / (double)VB_MIB / total;
	values[1] = (double)n / (double)VB_MIB / best;
out:
	unmap(src, n);
	unmap(dst, n);
	return r;
}

static const struct vb_option memcpy_options[] = {
	VB_OPTION("size", VB_OPT_SIZE, struct memcpy_opts, size, 64 * VB_MIB, 256 * VB_MIB,
		  4 * VB_KIB, 64 * VB_GIB, "bytes per buffer (two are allocated)"),
	VB_OPTION("loops", VB_OPT_U64, struct memcpy_opts, loops, 16, 10, 1, 100000,
		  "copies per sample"),
	{ 0 },
};

static const struct vb_metric_desc memcpy_metrics[] = {
	{ "bandwidth", "MiB/s", true, "mean copy bandwidth over the loops (as mbw's AVG)" },
	{ "best", "MiB/s", true, "bandwidth of the fastest loop" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_mem_memcpy = {
	.name = "mem.memcpy",
	.group = "w2",
	.summary = "memcpy bandwidth between two buffers (mbw's MEMCPY method)",
	.study_ref = "§4.3",
	.options = memcpy_options,
	.opts_size = sizeof(struct memcpy_opts),
	.metrics = memcpy_metrics,
	.check = memcpy_check,
	.run = memcpy_run,
};
