/* SPDX-License-Identifier: MIT */
/*
 * w4 (§4.5, figures 4.9-4.10): the study's sysbench fileio runs. One file of
 * file_size bytes is laid out (written in full and fsync'd, not timed); then
 * five timed phases of `ops` operations of `block` bytes each, in this order:
 * sequential write, sequential read, random write, random read, and mixed
 * random read/write (read_pct % reads). Sequential phases walk the file from
 * offset 0 and wrap at its end; random phases pick block-aligned offsets with
 * a fixed-seed xorshift, with replacement (fio's norandommap).
 *
 * Durability: with fsync=N a write phase fsyncs after every N writes, and
 * every phase that wrote ends with one more fsync before its clock stops, so
 * a write figure always means "on stable storage" (fio's end_fsync=1).
 * Reads: without direct=1 the file is in the page cache after the layout and
 * the write phases, so read figures are memory speeds; direct=1 (O_DIRECT)
 * is how to measure the device.
 *
 * Self-check: every block written carries a stamp with its index, every read
 * must return exactly `block` bytes with the stamp of the block asked for,
 * each phase must have moved ops * block bytes, and the file must still be
 * file_size bytes long at the end.
 */
#include <inttypes.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/disk-common.h"

#define WHO "disk.fileio"

struct fileio_opts {
	uint64_t file_size;
	uint64_t block;
	uint64_t ops;
	uint64_t direct;
	uint64_t fsync;
	uint64_t read_pct;
};

enum phase { SEQ_WRITE, SEQ_READ, RAND_WRITE, RAND_READ, MIXED, NPHASES };

static const char *const phase_names[NPHASES] = { "sequential write", "sequential read",
						  "random write", "random read", "mixed" };

static int fileio_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct fileio_opts *opts = o;

	if (opts->block > opts->file_size)
		return vb_error_set(err, -EINVAL,
				    WHO ": block=%" PRIu64 " is larger than file_size=%" PRIu64,
				    opts->block, opts->file_size);
	if (opts->direct && opts->block % VB_DISK_DIRECT_ALIGN)
		return vb_error_set(
		    err, -EINVAL, WHO ": block=%" PRIu64 " must be a multiple of %d with direct=1",
		    opts->block, VB_DISK_DIRECT_ALIGN);
	int r = vb_disk_check_buffer(ctx, opts->block, WHO, "block", err);
	if (r)
		return r;
	return vb_disk_check_space(ctx, opts->file_size, WHO, "file_size", err);
}

struct phase_state {
	const struct vb_workload_ctx *ctx;
	const struct fileio_opts *opts;
	struct vb_disk_file *f;
	char *buf;
	uint64_t nblocks;
	uint64_t writes; /* since the phase began, for the fsync policy */
};

static int do_write(struct phase_state *ps, uint64_t idx, struct vb_error **err)
{
	size_t block = (size_t)ps->opts->block;

	vb_disk_stamp(ps->buf, block, 0, idx);
	int r = vb_disk_pwrite(ps->f, ps->buf, block, idx * block, err);
	if (r)
		return r;
	ps->writes++;
	if (ps->opts->fsync && ps->writes % ps->opts->fsync == 0)
		return vb_disk_fsync(ps->f, err);
	return 0;
}

static int do_read(struct phase_state *ps, uint64_t idx, struct vb_error **err)
{
	size_t block = (size_t)ps->opts->block;
	int r = vb_disk_pread(ps->f, ps->buf, block, idx * block, err);

	if (r)
		return r;
	if (!vb_disk_stamp_ok(ps->buf, block, 0, idx))
		return vb_error_set(err, -EIO,
				    WHO ": reading %s: block %" PRIu64 " at offset %" PRIu64
					" does not hold what was written there",
				    ps->f->path, idx, idx * block);
	return 0;
}

/* Run one phase; *bytes gets what it moved, *elapsed its time including the final fsync. */
static int run_phase(struct phase_state *ps, enum phase ph, double *elapsed, uint64_t *bytes,
		     struct vb_error **err)
{
	const struct fileio_opts *opts = ps->opts;
	/* A fixed seed per phase: every sample and every platform does the same I/O. */
	uint64_t seed = 0x2545f4914f6cdd1du + (uint64_t)ph * 0x9e3779b97f4a7c15u;
	int r = 0;

	ps->writes = 0;
	*bytes = 0;
	double t0 = vb_now();
	for (uint64_t i = 0; i < opts->ops; i++) {
		if (vb_disk_stopped(ps->ctx))
			return vb_error_set(err, -EINTR, WHO ": stopped");
		uint64_t idx = ph == SEQ_WRITE || ph == SEQ_READ
				   ? i % ps->nblocks
				   : vb_xorshift64(&seed) % ps->nblocks;
		bool write = ph == SEQ_WRITE || ph == RAND_WRITE;
		if (ph == MIXED)
			write = vb_xorshift64(&seed) % 100 >= opts->read_pct;
		r = write ? do_write(ps, idx, err) : do_read(ps, idx, err);
		if (r)
			return r;
		*bytes += opts->block;
	}
	if (ps->writes)
		r = vb_disk_fsync(ps->f, err);
	*elapsed = vb_now() - t0;
	return r;
}

static int fileio_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		      struct vb_error **err)
{
	const struct fileio_opts *opts = o;
	struct vb_disk_file f _cleanup_disk_ = VB_DISK_FILE_INIT;
	_cleanup_free_ char *buf = NULL;
	const char *dir;
	int r;

	r = fileio_check(opts, &(struct vb_workload_ctx){ .mem_total = ctx->mem_total }, err);
	if (!r)
		r = vb_disk_scratch(ctx, WHO, &dir, err);
	if (!r)
		r = vb_disk_alloc((void **)&buf, (size_t)opts->block, WHO, err);
	if (!r)
		r = vb_disk_create(&f, dir, WHO, "fileio", 0, err);
	if (!r)
		r = vb_disk_fill(&f, opts->file_size, (size_t)opts->block, 0, ctx, err);
	if (!r && opts->direct)
		r = vb_disk_set_direct(&f, true, err);
	if (r)
		return r;

	struct phase_state ps = { .ctx = ctx,
				  .opts = opts,
				  .f = &f,
				  .buf = buf,
				  .nblocks = opts->file_size / opts->block };
	double mib_s[NPHASES];
	for (int ph = 0; ph < NPHASES; ph++) {
		double elapsed = 0;
		uint64_t bytes = 0;
		r = run_phase(&ps, (enum phase)ph, &elapsed, &bytes, err);
		if (r)
			return r;
		if (bytes != opts->ops * opts->block)
			return vb_error_set(err, -EIO,
					    WHO ": the %s phase moved %" PRIu64 " bytes, %" PRIu64
						" were asked for",
					    phase_names[ph], bytes, opts->ops * opts->block);
		if (!(elapsed > 0))
			return vb_error_set(err, -EIO, WHO ": the %s phase took no measurable time",
					    phase_names[ph]);
		mib_s[ph] = (double)bytes / (double)VB_MIB / elapsed;
	}
	r = vb_disk_check_size(&f, opts->file_size, err);
	if (r)
		return r;
	if (ctx->log) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%" PRIu64 " x %" PRIu64 "-byte operations per phase%s",
			 opts->ops, opts->block,
			 opts->direct ? ", O_DIRECT" : "; reads are served by the page cache");
		ctx->log(ctx->log_data, msg);
	}
	for (int ph = 0; ph < NPHASES; ph++)
		values[ph] = mib_s[ph];
	return 0;
}

static const struct vb_option fileio_options[] = {
	VB_OPTION("file_size", VB_OPT_SIZE, struct fileio_opts, file_size, 32 * VB_MIB, VB_GIB,
		  4 * VB_KIB, 16 * 1024 * VB_GIB, "size of the test file (laid out before timing)"),
	VB_OPTION("block", VB_OPT_SIZE, struct fileio_opts, block, 4 * VB_KIB, 16 * VB_KIB, 512,
		  64 * VB_MIB, "bytes per operation (sysbench's default is 16 KiB)"),
	VB_OPTION("ops", VB_OPT_U64, struct fileio_opts, ops, 12000, 10000, 1, 1000000000,
		  "operations per phase (the study: 10,000)"),
	VB_OPTION("direct", VB_OPT_BOOL, struct fileio_opts, direct, 0, 0, 0, 1,
		  "O_DIRECT: bypass the page cache and measure the device"),
	VB_OPTION("fsync", VB_OPT_U64, struct fileio_opts, fsync, 0, 100, 0, 1000000000,
		  "fsync after every N writes (0 = only at the end of a write phase)"),
	VB_OPTION("read_pct", VB_OPT_U64, struct fileio_opts, read_pct, 70, 70, 0, 100,
		  "share of reads in the mixed phase, in percent"),
	{ 0 },
};

static const struct vb_metric_desc fileio_metrics[] = {
	{ "seq_write", "MiB/s", true, "sequential writes, including the final fsync" },
	{ "seq_read", "MiB/s", true, "sequential reads (page cache unless direct=1)" },
	{ "rand_write", "MiB/s", true, "random block-aligned writes, including the final fsync" },
	{ "rand_read", "MiB/s", true, "random block-aligned reads (page cache unless direct=1)" },
	{ "mixed", "MiB/s", true, "random reads and writes (read_pct % reads), bytes of both" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_disk_fileio = {
	.name = "disk.fileio",
	.group = "w4",
	.summary = "sequential, random and mixed file I/O on one file (sysbench fileio style)",
	.study_ref = "§4.5 figs 4.9-4.10",
	.options = fileio_options,
	.opts_size = sizeof(struct fileio_opts),
	.metrics = fileio_metrics,
	.check = fileio_check,
	.run = fileio_run,
};
