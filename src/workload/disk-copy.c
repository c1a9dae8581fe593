/* SPDX-License-Identifier: MIT */
/*
 * w4 (§4.5, figure 4.11): the study's dd runs. Three timed steps on new
 * files of `size` bytes written in `block`-byte chunks:
 *   fdatasync: write file A, then one fdatasync    (dd conv=fdatasync)
 *   dsync:     write file B opened with O_DSYNC    (dd oflag=dsync)
 *   copy:      read A and write it to file C, then one fdatasync
 * Each clock covers the writes and the sync. B is removed before the copy,
 * so at most two files (2 x size) exist at once. A was just written, so the
 * copy reads it from the page cache, as dd would.
 *
 * Self-check: every chunk read from A carries the stamp written there; all
 * files are `size` bytes long; C's first and last chunks, read back after
 * the copy (not timed), hold A's stamps.
 */
#include <fcntl.h>
#include <inttypes.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/disk-common.h"

#define WHO "disk.copy"

struct copy_opts {
	uint64_t size;
	uint64_t block;
};

static int copy_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct copy_opts *opts = o;

	if (opts->block > opts->size)
		return vb_error_set(err, -EINVAL,
				    WHO ": block=%" PRIu64 " is larger than size=%" PRIu64,
				    opts->block, opts->size);
	int r = vb_disk_check_buffer(ctx, opts->block, WHO, "block", err);
	if (r)
		return r;
	/* A and C (or A and B) exist together. */
	return vb_disk_check_space(ctx, 2 * opts->size, WHO, "size (two files)", err);
}

/* Write `size` bytes of stamped chunks to f; the caller times it. */
static int write_file(const struct vb_workload_ctx *ctx, const struct copy_opts *opts,
		      struct vb_disk_file *f, char *buf, struct vb_error **err)
{
	for (uint64_t off = 0, i = 0; off < opts->size; i++) {
		if (vb_disk_stopped(ctx))
			return vb_error_set(err, -EINTR, WHO ": stopped");
		size_t n = opts->size - off < opts->block ? (size_t)(opts->size - off)
							  : (size_t)opts->block;
		vb_disk_stamp(buf, n, 0, i);
		int r = vb_disk_pwrite(f, buf, n, off, err);
		if (r)
			return r;
		off += n;
	}
	return 0;
}

static int copy_file(const struct vb_workload_ctx *ctx, const struct copy_opts *opts,
		     struct vb_disk_file *src, struct vb_disk_file *dst, char *buf,
		     struct vb_error **err)
{
	for (uint64_t off = 0, i = 0; off < opts->size; i++) {
		if (vb_disk_stopped(ctx))
			return vb_error_set(err, -EINTR, WHO ": stopped");
		size_t n = opts->size - off < opts->block ? (size_t)(opts->size - off)
							  : (size_t)opts->block;
		int r = vb_disk_pread(src, buf, n, off, err);
		if (r)
			return r;
		if (!vb_disk_stamp_ok(buf, n, 0, i))
			return vb_error_set(err, -EIO,
					    WHO ": reading %s: chunk %" PRIu64
						" does not hold what was written there",
					    src->path, i);
		r = vb_disk_pwrite(dst, buf, n, off, err);
		if (r)
			return r;
		off += n;
	}
	return 0;
}

/* Read chunk i of the copy back and compare its stamp. */
static int verify_chunk(const struct copy_opts *opts, struct vb_disk_file *f, char *buf, uint64_t i,
			struct vb_error **err)
{
	uint64_t off = i * opts->block;
	size_t n =
	    opts->size - off < opts->block ? (size_t)(opts->size - off) : (size_t)opts->block;
	int r = vb_disk_pread(f, buf, n, off, err);

	if (r)
		return r;
	if (!vb_disk_stamp_ok(buf, n, 0, i))
		return vb_error_set(err, -EIO,
				    WHO ": the copy %s differs from its source at chunk %" PRIu64,
				    f->path, i);
	return 0;
}

static double mib_s(uint64_t bytes, double t0)
{
	return (double)bytes / (double)VB_MIB / (vb_now() - t0);
}

static int copy_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		    struct vb_error **err)
{
	const struct copy_opts *opts = o;
	struct vb_disk_file a _cleanup_disk_ = VB_DISK_FILE_INIT;
	struct vb_disk_file b _cleanup_disk_ = VB_DISK_FILE_INIT;
	struct vb_disk_file c _cleanup_disk_ = VB_DISK_FILE_INIT;
	_cleanup_free_ char *buf = NULL;
	const char *dir;
	double t0, v[3];
	int r;

	r = copy_check(opts, &(struct vb_workload_ctx){ .mem_total = ctx->mem_total }, err);
	if (!r)
		r = vb_disk_scratch(ctx, WHO, &dir, err);
	if (!r)
		r = vb_disk_alloc((void **)&buf, (size_t)opts->block, WHO, err);
	if (r)
		return r;

	/* (a) dd conv=fdatasync */
	r = vb_disk_create(&a, dir, WHO, "copy-a", 0, err);
	if (r)
		return r;
	t0 = vb_now();
	r = write_file(ctx, opts, &a, buf, err);
	if (!r)
		r = vb_disk_fdatasync(&a, err);
	if (r)
		return r;
	v[0] = mib_s(opts->size, t0);

	/* (b) dd oflag=dsync: every write returns once its data is on stable storage. */
	r = vb_disk_create(&b, dir, WHO, "copy-b", O_DSYNC, err);
	if (r)
		return r;
	t0 = vb_now();
	r = write_file(ctx, opts, &b, buf, err);
	if (r)
		return r;
	v[1] = mib_s(opts->size, t0);
	r = vb_disk_check_size(&b, opts->size, err);
	if (r)
		return r;
	vb_disk_remove(&b);

	/* (c) copy A to C: read + write + fdatasync */
	r = vb_disk_create(&c, dir, WHO, "copy-c", 0, err);
	if (r)
		return r;
	t0 = vb_now();
	r = copy_file(ctx, opts, &a, &c, buf, err);
	if (!r)
		r = vb_disk_fdatasync(&c, err);
	if (r)
		return r;
	v[2] = mib_s(opts->size, t0);

	uint64_t last = (opts->size - 1) / opts->block;
	r = vb_disk_check_size(&a, opts->size, err);
	if (!r)
		r = vb_disk_check_size(&c, opts->size, err);
	if (!r)
		r = verify_chunk(opts, &c, buf, 0, err);
	if (!r && last)
		r = verify_chunk(opts, &c, buf, last, err);
	if (r)
		return r;
	memcpy(values, v, sizeof(v));
	return 0;
}

static const struct vb_option copy_options[] = {
	VB_OPTION("size", VB_OPT_SIZE, struct copy_opts, size, 64 * VB_MIB, VB_GIB, 4 * VB_KIB,
		  16 * 1024 * VB_GIB, "bytes per file (the study: 1024 MB)"),
	VB_OPTION("block", VB_OPT_SIZE, struct copy_opts, block, VB_MIB, VB_MIB, 512, 64 * VB_MIB,
		  "bytes per write, as dd's bs"),
	{ 0 },
};

static const struct vb_metric_desc copy_metrics[] = {
	{ "fdatasync", "MiB/s", true, "write a new file, then fdatasync (dd conv=fdatasync)" },
	{ "dsync", "MiB/s", true, "write a new file opened O_DSYNC (dd oflag=dsync)" },
	{ "copy", "MiB/s", true, "read a file and write a copy, then fdatasync" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_disk_copy = {
	.name = "disk.copy",
	.group = "w4",
	.summary = "dd-style file writes with fdatasync and with O_DSYNC, and a file copy",
	.study_ref = "§4.5 fig 4.11",
	.options = copy_options,
	.opts_size = sizeof(struct copy_opts),
	.metrics = copy_metrics,
	.check = copy_check,
	.run = copy_run,
};
