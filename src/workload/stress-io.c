/* SPDX-License-Identifier: MIT */
/*
 * Aggressor (§6): disk pressure like stress's -d/-i workers. Each of
 * `workers` threads loops: create a file in the scratch directory, write
 * `size` bytes in 64 KiB chunks, fsync, unlink. It runs for `duration`
 * milliseconds, or with duration_ms=0 until ctx->stop is set (then ending is
 * the normal outcome and the sample succeeds; with duration > 0 a stop is an
 * interruption, -EINTR).
 *
 * Ending quickly: writeback of each file is started every 1 MiB
 * (sync_file_range), so the fsync that ends a file never has much left to
 * do, and a file being written when the run ends is unlinked without its
 * fsync (its dirty pages are dropped, not written). Workers poll between
 * chunks, so a stop is honoured within about one chunk plus one 1 MiB
 * flush.
 *
 * Self-check: every completed file is `size` bytes long (fstat) before its
 * fsync.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/disk-common.h"

#define WHO "stress.io"
#define CHUNK (64 * VB_KIB)
#define WRITEBACK_EVERY VB_MIB

struct stress_opts {
	uint64_t workers;
	uint64_t size;
	uint64_t duration;
};

struct stress_shared {
	const struct vb_workload_ctx *ctx;
	const struct stress_opts *opts;
	const char *dir;
	double deadline;  /* vb_now() value; 0 = until ctx->stop */
	atomic_bool quit; /* a worker failed: everyone ends */
	atomic_uint_fast64_t fsyncs, bytes;
	pthread_mutex_t lock;
	struct vb_error *err; /* the first worker error */
};

static bool should_end(struct stress_shared *sh)
{
	return vb_disk_stopped(sh->ctx) || atomic_load(&sh->quit) ||
	       (sh->deadline > 0 && vb_now() >= sh->deadline);
}

/* One file: write, fsync, unlink. Returns 1 when the run ended before the file was done. */
static int one_file(struct stress_shared *sh, char *buf, struct vb_error **err)
{
	struct vb_disk_file f _cleanup_disk_ = VB_DISK_FILE_INIT;
	uint64_t size = sh->opts->size, flushed = 0;
	int r = vb_disk_create(&f, sh->dir, WHO, "stress", 0, err);

	if (r)
		return r;
	for (uint64_t off = 0; off < size;) {
		if (should_end(sh))
			return 1;
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		r = vb_disk_pwrite(&f, buf, n, off, err);
		if (r)
			return r;
		atomic_fetch_add(&sh->bytes, n);
		off += n;
		if (off - flushed >= WRITEBACK_EVERY) {
			if (sync_file_range(f.fd, (off_t)flushed, (off_t)(off - flushed),
					    SYNC_FILE_RANGE_WRITE) < 0 &&
			    errno != EINTR)
				return vb_error_errno(err, errno, WHO ": writing back %s", f.path);
			flushed = off;
		}
	}
	r = vb_disk_check_size(&f, size, err);
	if (!r)
		r = vb_disk_fsync(&f, err);
	if (r)
		return r;
	atomic_fetch_add(&sh->fsyncs, 1);
	return 0;
}

static void *stress_worker(void *arg)
{
	struct stress_shared *sh = arg;
	struct vb_error *err = NULL;
	_cleanup_free_ char *buf = NULL;
	int r = vb_disk_alloc((void **)&buf, CHUNK, WHO, &err);

	while (!r && !should_end(sh))
		r = one_file(sh, buf, &err);
	if (r < 0) {
		pthread_mutex_lock(&sh->lock);
		if (!sh->err)
			sh->err = steal_ptr(&err);
		pthread_mutex_unlock(&sh->lock);
		atomic_store(&sh->quit, true);
	}
	vb_error_free(&err);
	return NULL;
}

static int stress_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct stress_opts *opts = o;

	return vb_disk_check_space(ctx, opts->workers * opts->size, WHO,
				   "workers x size (one file per worker)", err);
}

static int stress_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		      struct vb_error **err)
{
	const struct stress_opts *opts = o;
	struct stress_shared sh = { .ctx = ctx, .opts = opts };
	const char *dir;
	int r = vb_disk_scratch(ctx, WHO, &dir, err);

	if (r)
		return r;
	int dr = vb_check_duration(WHO, opts->duration, ctx, err);
	if (dr)
		return dr;
	sh.dir = dir;
	atomic_init(&sh.quit, false);
	atomic_init(&sh.fsyncs, 0);
	atomic_init(&sh.bytes, 0);
	pthread_mutex_init(&sh.lock, NULL);
	_cleanup_free_ pthread_t *tids = xcalloc(opts->workers, sizeof(*tids));

	double t0 = vb_now();
	if (opts->duration)
		sh.deadline = t0 + (double)opts->duration / 1000;
	size_t started = 0;
	for (; started < opts->workers; started++) {
		r = pthread_create(&tids[started], NULL, stress_worker, &sh);
		if (r) {
			atomic_store(&sh.quit, true);
			break;
		}
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	double elapsed = vb_now() - t0;
	pthread_mutex_destroy(&sh.lock);

	if (sh.err) {
		int code = sh.err->code;
		if (err && !*err)
			*err = steal_ptr(&sh.err);
		vb_error_free(&sh.err);
		return code;
	}
	if (r)
		return vb_error_errno(err, r, WHO ": cannot start worker %zu", started + 1);
	if (opts->duration && vb_disk_stopped(ctx))
		return vb_error_set(err, -EINTR, WHO ": stopped");

	uint64_t bytes = atomic_load(&sh.bytes);
	values[0] = (double)atomic_load(&sh.fsyncs);
	values[1] = (double)bytes / (double)VB_MIB;
	values[2] = elapsed > 0 ? values[1] / elapsed : 0;
	if (ctx->log) {
		char msg[128];
		snprintf(
		    msg, sizeof(msg), "%u workers: %" PRIu64 " files fsync'd, %.1f MiB in %.3f s",
		    (unsigned)opts->workers, (uint64_t)atomic_load(&sh.fsyncs), values[1], elapsed);
		ctx->log(ctx->log_data, msg);
	}
	return 0;
}

static const struct vb_option stress_options[] = {
	VB_OPTION("workers", VB_OPT_U64, struct stress_opts, workers, 2, 4, 1, 256,
		  "writer threads (stress -d N)"),
	VB_OPTION("size", VB_OPT_SIZE, struct stress_opts, size, VB_MIB, VB_GIB, 64 * VB_KIB,
		  16 * 1024 * VB_GIB, "bytes per file before its fsync (stress --hdd-bytes)"),
	VB_OPTION("duration_ms", VB_OPT_U64, struct stress_opts, duration, 500, 60000, 0,
		  7 * 24 * 3600 * 1000ull, "milliseconds to run; 0 = until stopped"),
	{ 0 },
};

static const struct vb_metric_desc stress_metrics[] = {
	{ "ops", "fsyncs", true, "files written in full and fsync'd" },
	{ "written", "MiB", true, "bytes written, including files cut short at the end" },
	{ "throughput", "MiB/s", true, "bytes written per second of the run" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_stress_io = {
	.name = "stress.io",
	.group = "aggressor",
	.summary = "disk aggressor: threads writing files, fsync, unlink, in a loop (stress -d)",
	.study_ref = "§6",
	.options = stress_options,
	.opts_size = sizeof(struct stress_opts),
	.metrics = stress_metrics,
	.check = stress_check,
	.run = stress_run,
};
