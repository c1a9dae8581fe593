/* SPDX-License-Identifier: MIT */
/*
 * w4 (§4.5): ioping-style request latency. A file of file_size bytes is laid
 * out (written and fsync'd, not timed); then `count` 4 KiB reads at random
 * 4 KiB-aligned offsets, one at a time, with O_DIRECT when direct=1 (ioping's
 * default) and interval_us of sleep between requests. One untimed warm-up
 * request comes first, as ioping's. p50 and p99 are nearest-rank percentiles
 * of all request times, sorted; mean is their average.
 *
 * Self-check: every read returns 4 KiB holding the stamp of the block asked
 * for.
 */
#include <inttypes.h>
#include <math.h>
#include <time.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/disk-common.h"

#define WHO "disk.latency"
#define REQ 4096

struct latency_opts {
	uint64_t file_size;
	uint64_t count;
	uint64_t direct;
	uint64_t interval_us;
};

static int latency_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct latency_opts *opts = o;

	if (opts->file_size < REQ)
		return vb_error_set(err, -EINVAL,
				    WHO ": file_size=%" PRIu64 " is smaller than one 4 KiB request",
				    opts->file_size);
	int r = vb_disk_check_buffer(ctx, opts->count * sizeof(double), WHO,
				     "count (one time per request)", err);
	if (r)
		return r;
	return vb_disk_check_space(ctx, opts->file_size, WHO, "file_size", err);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100 * (double)n);

	return v[rank ? rank - 1 : 0];
}

/* Sleep us microseconds in slices, so a stop is seen within ~100 ms. */
static void pause_us(const struct vb_workload_ctx *ctx, uint64_t us)
{
	while (us && !vb_disk_stopped(ctx)) {
		uint64_t slice = us < 100000 ? us : 100000;
		struct timespec ts = { .tv_sec = (time_t)(slice / 1000000),
				       .tv_nsec = (long)(slice % 1000000) * 1000 };
		nanosleep(&ts, NULL);
		us -= slice;
	}
}

static int latency_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		       struct vb_error **err)
{
	const struct latency_opts *opts = o;
	struct vb_disk_file f _cleanup_disk_ = VB_DISK_FILE_INIT;
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ double *lat = NULL;
	const char *dir;
	int r;

	r = latency_check(opts, &(struct vb_workload_ctx){ .mem_total = ctx->mem_total }, err);
	if (!r)
		r = vb_disk_scratch(ctx, WHO, &dir, err);
	if (!r)
		r = vb_disk_alloc((void **)&buf, REQ, WHO, err);
	if (!r)
		r = vb_disk_create(&f, dir, WHO, "latency", 0, err);
	if (!r)
		r = vb_disk_fill(&f, opts->file_size, REQ, 0, ctx, err);
	if (!r && opts->direct)
		r = vb_disk_set_direct(&f, true, err);
	if (r)
		return r;

	lat = xcalloc(opts->count, sizeof(*lat));
	uint64_t nblocks = opts->file_size / REQ;
	uint64_t seed = 0x8c2b0a7d61e3f459u;
	double sum = 0;
	for (uint64_t i = 0; i <= opts->count; i++) {
		if (vb_disk_stopped(ctx))
			return vb_error_set(err, -EINTR, WHO ": stopped");
		uint64_t idx = vb_xorshift64(&seed) % nblocks;
		double t0 = vb_now();
		r = vb_disk_pread(&f, buf, REQ, idx * REQ, err);
		double dt = vb_now() - t0;
		if (r)
			return r;
		if (!vb_disk_stamp_ok(buf, REQ, 0, idx))
			return vb_error_set(err, -EIO,
					    WHO ": reading %s: block %" PRIu64
						" does not hold what was written there",
					    f.path, idx);
		/* Request 0 is the warm-up. */
		if (i) {
			lat[i - 1] = dt * 1e6;
			sum += dt * 1e6;
		}
		if (opts->interval_us && i < opts->count)
			pause_us(ctx, opts->interval_us);
	}
	qsort(lat, opts->count, sizeof(*lat), cmp_double);
	double p50 = percentile(lat, opts->count, 50);
	double p99 = percentile(lat, opts->count, 99);
	double mean = sum / (double)opts->count;
	if (!(p50 > 0) || p50 > p99 || !(mean > 0))
		return vb_error_set(
		    err, -EIO, WHO ": request times make no sense (p50 %g, p99 %g, mean %g us)",
		    p50, p99, mean);
	if (ctx->log) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%" PRIu64 " requests, min %.1f us, max %.1f us%s",
			 opts->count, lat[0], lat[opts->count - 1],
			 opts->direct ? "" : "; cached reads (direct=0)");
		ctx->log(ctx->log_data, msg);
	}
	values[0] = p50;
	values[1] = p99;
	values[2] = mean;
	return 0;
}

static const struct vb_option latency_options[] = {
	VB_OPTION("file_size", VB_OPT_SIZE, struct latency_opts, file_size, 16 * VB_MIB, VB_GIB,
		  4 * VB_KIB, 16 * 1024 * VB_GIB, "size of the file the requests fall in"),
	VB_OPTION("count", VB_OPT_U64, struct latency_opts, count, 4000, 10000, 1, 10000000,
		  "timed 4 KiB requests (after one warm-up request)"),
	VB_OPTION("direct", VB_OPT_BOOL, struct latency_opts, direct, 1, 1, 0, 1,
		  "O_DIRECT (ioping's default); 0 measures the page cache"),
	VB_OPTION("interval_us", VB_OPT_U64, struct latency_opts, interval_us, 0, 0, 0,
		  60 * 1000000, "pause between requests in microseconds (ioping's default is 1 s)"),
	{ 0 },
};

static const struct vb_metric_desc latency_metrics[] = {
	{ "p50", "us", false, "median request time" },
	{ "p99", "us", false, "99th percentile of request times" },
	{ "mean", "us", false, "mean request time" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_disk_latency = {
	.name = "disk.latency",
	.group = "w4",
	.summary = "4 KiB random read latency, one request at a time (ioping style)",
	.study_ref = "§4.5",
	.options = latency_options,
	.opts_size = sizeof(struct latency_opts),
	.metrics = latency_metrics,
	.check = latency_check,
	.run = latency_run,
};
