/* SPDX-License-Identifier: MIT */
/*
 * System benchmark (§4.6, figure 4.14): IOZONE's write / rewrite / read /
 * reread tests (iozone -i 0 -i 1 -e -s FILE_SIZE -r RECORD). A new file of
 * file_size bytes is written sequentially in `record`-byte calls (write),
 * then overwritten in place (rewrite), then read twice (read, reread). As
 * with iozone -e, the write and rewrite clocks include the fsync that ends
 * them. No cache is dropped between tests, as in iozone without -I: read and
 * reread normally come from the page cache.
 *
 * Self-check: each record carries (pass, index); read and reread must see
 * the rewrite's stamps in every record; the file must be file_size bytes.
 */
#include <inttypes.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/disk-common.h"

#define WHO "sys.iozone"

struct iozone_opts {
	uint64_t file_size;
	uint64_t record;
};

static int iozone_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct iozone_opts *opts = o;

	if (opts->record > opts->file_size)
		return vb_error_set(err, -EINVAL,
				    WHO ": record=%" PRIu64 " is larger than file_size=%" PRIu64,
				    opts->record, opts->file_size);
	int r = vb_disk_check_buffer(ctx, opts->record, WHO, "record", err);
	if (r)
		return r;
	return vb_disk_check_space(ctx, opts->file_size, WHO, "file_size", err);
}

/* One pass over the file; pass 1 and 2 write with their own tag, 3 and 4 read tag 2. */
static int iozone_pass(const struct vb_workload_ctx *ctx, const struct iozone_opts *opts,
		       struct vb_disk_file *f, char *buf, int pass, double *mib_s,
		       struct vb_error **err)
{
	bool write = pass <= 2;
	uint64_t done = 0;
	int r = 0;

	double t0 = vb_now();
	for (uint64_t i = 0; done < opts->file_size; i++) {
		if (vb_disk_stopped(ctx))
			return vb_error_set(err, -EINTR, WHO ": stopped");
		size_t n = opts->file_size - done < opts->record ? (size_t)(opts->file_size - done)
								 : (size_t)opts->record;
		if (write) {
			vb_disk_stamp(buf, n, (uint64_t)pass, i);
			r = vb_disk_pwrite(f, buf, n, done, err);
		} else {
			r = vb_disk_pread(f, buf, n, done, err);
			if (!r && !vb_disk_stamp_ok(buf, n, 2, i))
				r = vb_error_set(err, -EIO,
						 WHO ": reading %s: record %" PRIu64
						     " does not hold what the rewrite put there",
						 f->path, i);
		}
		if (r)
			return r;
		done += n;
	}
	if (write)
		r = vb_disk_fsync(f, err);
	double elapsed = vb_now() - t0;
	if (r)
		return r;
	if (done != opts->file_size || !(elapsed > 0))
		return vb_error_set(err, -EIO,
				    WHO ": pass %d moved %" PRIu64 " of %" PRIu64 " bytes", pass,
				    done, opts->file_size);
	*mib_s = (double)done / (double)VB_MIB / elapsed;
	return 0;
}

static int iozone_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		      struct vb_error **err)
{
	const struct iozone_opts *opts = o;
	struct vb_disk_file f _cleanup_disk_ = VB_DISK_FILE_INIT;
	_cleanup_free_ char *buf = NULL;
	const char *dir;
	double v[4];
	int r;

	r = iozone_check(opts, &(struct vb_workload_ctx){ .mem_total = ctx->mem_total }, err);
	if (!r)
		r = vb_disk_scratch(ctx, WHO, &dir, err);
	if (!r)
		r = vb_disk_alloc((void **)&buf, (size_t)opts->record, WHO, err);
	if (!r)
		r = vb_disk_create(&f, dir, WHO, "iozone", 0, err);
	for (int pass = 1; !r && pass <= 4; pass++)
		r = iozone_pass(ctx, opts, &f, buf, pass, &v[pass - 1], err);
	if (!r)
		r = vb_disk_check_size(&f, opts->file_size, err);
	if (r)
		return r;
	memcpy(values, v, sizeof(v));
	return 0;
}

static const struct vb_option iozone_options[] = {
	VB_OPTION("file_size", VB_OPT_SIZE, struct iozone_opts, file_size, 64 * VB_MIB, VB_GIB,
		  4 * VB_KIB, 16 * 1024 * VB_GIB, "size of the test file (iozone -s)"),
	VB_OPTION("record", VB_OPT_SIZE, struct iozone_opts, record, 4 * VB_KIB, 4 * VB_KIB, 512,
		  64 * VB_MIB, "bytes per read/write call (iozone -r; its default is 4 KiB)"),
	{ 0 },
};

static const struct vb_metric_desc iozone_metrics[] = {
	{ "write", "MiB/s", true, "write a new file, fsync included (iozone -e)" },
	{ "rewrite", "MiB/s", true, "overwrite the file in place, fsync included" },
	{ "read", "MiB/s", true, "read the file (page cache, as iozone without -I)" },
	{ "reread", "MiB/s", true, "read the file again" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_sys_iozone = {
	.name = "sys.iozone",
	.group = "system",
	.summary = "IOZONE-style write, rewrite, read and reread throughput of one file",
	.study_ref = "§4.6 fig 4.14",
	.options = iozone_options,
	.opts_size = sizeof(struct iozone_opts),
	.metrics = iozone_metrics,
	.check = iozone_check,
	.run = iozone_run,
};
