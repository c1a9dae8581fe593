/* SPDX-License-Identifier: MIT */
/*
 * Shared plumbing of the file workloads (disk-common.h). Plain POSIX calls:
 * no library wraps "pread exactly n bytes at an offset, with a message that
 * names the file" in a way that fits the error convention, so it is here.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "core/util.h"
#include "workload/common.h"
#include "workload/disk-common.h"

struct vb_disk_counters vb_disk_counters;

#define STAMP_MAGIC UINT64_C(0x76625f6469736b31) /* "vb_disk1" */
#define FILL_CHUNK (1 * VB_MIB)

void vb_disk_counters_reset(void)
{
	atomic_store(&vb_disk_counters.written, 0);
	atomic_store(&vb_disk_counters.read, 0);
	atomic_store(&vb_disk_counters.created, 0);
	atomic_store(&vb_disk_counters.removed, 0);
}

const char *vb_disk_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= VB_GIB)
		snprintf(buf, len, "%.1f GiB", (double)bytes / (double)VB_GIB);
	else if (bytes >= VB_MIB)
		snprintf(buf, len, "%.1f MiB", (double)bytes / (double)VB_MIB);
	else if (bytes >= VB_KIB)
		snprintf(buf, len, "%.1f KiB", (double)bytes / (double)VB_KIB);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
	return buf;
}

int vb_disk_scratch(const struct vb_workload_ctx *ctx, const char *who, const char **dir,
		    struct vb_error **err)
{
	if (!ctx->scratch_dir || !ctx->scratch_dir[0])
		return vb_error_set(
		    err, -EINVAL, "%s: needs a scratch directory for its files, and none was given",
		    who);
	*dir = ctx->scratch_dir;
	return 0;
}

int vb_disk_check_space(const struct vb_workload_ctx *ctx, uint64_t need, const char *who,
			const char *what, struct vb_error **err)
{
	struct statvfs st;
	char a[32], b[32];

	if (!ctx->scratch_dir)
		return 0;
	if (statvfs(ctx->scratch_dir, &st) < 0)
		return vb_error_errno(err, errno, "%s: cannot check the free space of %s", who,
				      ctx->scratch_dir);
	/* ramfs and the like keep no block counts: nothing to check against. */
	if (st.f_blocks == 0)
		return 0;
	uint64_t avail = (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
	if (need > avail)
		return vb_error_set(err, -EINVAL, "%s: %s needs %s in %s, which has only %s free",
				    who, what, vb_disk_fmt_size(need, a, sizeof(a)),
				    ctx->scratch_dir, vb_disk_fmt_size(avail, b, sizeof(b)));
	return 0;
}

int vb_disk_check_buffer(const struct vb_workload_ctx *ctx, uint64_t bytes, const char *who,
			 const char *what, struct vb_error **err)
{
	char a[32], b[32];

	if (ctx->mem_total && bytes > ctx->mem_total / 4)
		return vb_error_set(err, -EINVAL,
				    "%s: %s needs a %s buffer, more than a quarter of the %s of "
				    "memory here",
				    who, what, vb_disk_fmt_size(bytes, a, sizeof(a)),
				    vb_disk_fmt_size(ctx->mem_total, b, sizeof(b)));
	return 0;
}

int vb_disk_create(struct vb_disk_file *f, const char *dir, const char *who, const char *tag,
		   int extra_flags, struct vb_error **err)
{
	char *path = xasprintf("%s/vb-%s-XXXXXX", dir, tag);
	/* mkostemp: O_EXCL with a random suffix, so parallel workers never collide. */
	int fd = mkostemp(path, O_CLOEXEC | extra_flags);

	if (fd < 0) {
		int e = errno;
		vb_error_errno(err, e, "%s: creating a file in %s", who, dir);
		free(path);
		return -e;
	}
	atomic_fetch_add(&vb_disk_counters.created, 1);
	f->fd = fd;
	f->path = path;
	f->who = who;
	f->direct = false;
	return 0;
}

void vb_disk_remove(struct vb_disk_file *f)
{
	int saved = errno;

	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->path && unlink(f->path) == 0)
		atomic_fetch_add(&vb_disk_counters.removed, 1);
	free(f->path);
	f->path = NULL;
	errno = saved;
}

int vb_disk_set_direct(struct vb_disk_file *f, bool on, struct vb_error **err)
{
	int fl = fcntl(f->fd, F_GETFL);

	if (fl < 0)
		return vb_error_errno(err, errno, "%s: F_GETFL on %s", f->who, f->path);
	fl = on ? fl | O_DIRECT : fl & ~O_DIRECT;
	if (fcntl(f->fd, F_SETFL, fl) < 0) {
		/* setfl() refuses O_DIRECT with EINVAL where the filesystem has no direct I/O. */
		if (errno == EINVAL && on)
			return vb_error_set(err, -EINVAL,
					    "%s: O_DIRECT not supported on this filesystem (%s); "
					    "run with direct=0",
					    f->who, f->path);
		return vb_error_errno(err, errno, "%s: F_SETFL on %s", f->who, f->path);
	}
	f->direct = on;
	return 0;
}

static int io_error(struct vb_disk_file *f, int e, const char *verb, struct vb_error **err)
{
	if (e == EINVAL && f->direct)
		return vb_error_set(err, -EINVAL,
				    "%s: %s %s: %s (O_DIRECT needs sizes and offsets that are "
				    "multiples of the device's logical block size)",
				    f->who, verb, f->path, strerror(e));
	return vb_error_errno(err, e, "%s: %s %s", f->who, verb, f->path);
}

int vb_disk_pwrite(struct vb_disk_file *f, const void *buf, size_t len, uint64_t off,
		   struct vb_error **err)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(f->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return io_error(f, errno, "writing", err);
		}
		if (n == 0)
			return io_error(f, EIO, "writing", err);
		atomic_fetch_add_explicit(&vb_disk_counters.written, (uint64_t)n,
					  memory_order_relaxed);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int vb_disk_pread(struct vb_disk_file *f, void *buf, size_t len, uint64_t off,
		  struct vb_error **err)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return io_error(f, errno, "reading", err);
		}
		if (n == 0)
			return vb_error_set(
			    err, -EIO,
			    "%s: reading %s: unexpected end of file at offset %" PRIu64
			    " (%zu bytes short)",
			    f->who, f->path, off, len);
		atomic_fetch_add_explicit(&vb_disk_counters.read, (uint64_t)n,
					  memory_order_relaxed);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int vb_disk_fsync(struct vb_disk_file *f, struct vb_error **err)
{
	while (fsync(f->fd) < 0)
		if (errno != EINTR)
			return vb_error_errno(err, errno, "%s: syncing %s", f->who, f->path);
	return 0;
}

int vb_disk_fdatasync(struct vb_disk_file *f, struct vb_error **err)
{
	while (fdatasync(f->fd) < 0)
		if (errno != EINTR)
			return vb_error_errno(err, errno, "%s: syncing %s", f->who, f->path);
	return 0;
}

int vb_disk_check_size(struct vb_disk_file *f, uint64_t size, struct vb_error **err)
{
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return vb_error_errno(err, errno, "%s: fstat %s", f->who, f->path);
	if ((uint64_t)st.st_size != size)
		return vb_error_set(err, -EIO,
				    "%s: %s is %" PRIu64 " bytes long, expected %" PRIu64, f->who,
				    f->path, (uint64_t)st.st_size, size);
	return 0;
}

int vb_disk_alloc(void **out, size_t len, const char *who, struct vb_error **err)
{
	void *p = NULL;
	int r = posix_memalign(&p, VB_DISK_ALIGN, len ? len : 1);

	if (r)
		return vb_error_errno(err, r, "%s: cannot allocate a %zu-byte I/O buffer", who,
				      len);
	/* Non-zero, non-repeating bytes: nothing below us can shortcut zero pages. */
	uint64_t s = 0x9e3779b97f4a7c15u;
	unsigned char *b = p;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t v = vb_xorshift64(&s);
		memcpy(b + i, &v, 8);
	}
	for (; i < len; i++)
		b[i] = (unsigned char)(i * 131 + 7);
	*out = p;
	return 0;
}

void vb_disk_stamp(void *buf, size_t len, uint64_t tag, uint64_t index)
{
	uint64_t st[3] = { STAMP_MAGIC, tag, index };

	if (len >= VB_DISK_STAMP_SIZE)
		memcpy(buf, st, sizeof(st));
}

bool vb_disk_stamp_ok(const void *buf, size_t len, uint64_t tag, uint64_t index)
{
	uint64_t st[3] = { STAMP_MAGIC, tag, index };

	return len < VB_DISK_STAMP_SIZE || memcmp(buf, st, sizeof(st)) == 0;
}

int vb_disk_fill(struct vb_disk_file *f, uint64_t size, size_t stamp_block, uint64_t tag,
		 const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	size_t chunk =
	    stamp_block >= FILL_CHUNK ? stamp_block : FILL_CHUNK / stamp_block * stamp_block;
	_cleanup_free_ void *buf = NULL;
	int r = vb_disk_alloc(&buf, chunk, f->who, err);

	if (r)
		return r;
	for (uint64_t off = 0; off < size;) {
		if (vb_disk_stopped(ctx))
			return vb_error_set(err, -EINTR, "%s: stopped", f->who);
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
		for (size_t k = 0; k < n; k += stamp_block) {
			size_t piece = n - k < stamp_block ? n - k : stamp_block;
			vb_disk_stamp((char *)buf + k, piece, tag, (off + k) / stamp_block);
		}
		r = vb_disk_pwrite(f, buf, n, off, err);
		if (r)
			return r;
		off += n;
	}
	return vb_disk_fsync(f, err);
}
