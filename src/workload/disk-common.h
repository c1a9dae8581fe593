/* SPDX-License-Identifier: MIT */
#ifndef VB_WORKLOAD_DISK_COMMON_H
#define VB_WORKLOAD_DISK_COMMON_H

/*
 * Helpers shared by the w4 disk workloads, sys.iozone and stress.io: files
 * with unique names in the scratch directory that are removed on every path,
 * pread/pwrite loops that survive short I/O and EINTR and turn ENOSPC/EIO
 * into "WHO: writing FILE: No space left on device", O_DIRECT switched on
 * with a clear message where the filesystem refuses it, aligned buffers,
 * and a block stamp (magic, tag, index) so reads can check what they got.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtbench/error.h"
#include "virtbench/workload.h"

/* Buffer alignment: enough for O_DIRECT on any logical block size up to 4 KiB. */
#define VB_DISK_ALIGN 4096
/* I/O sizes and offsets under O_DIRECT must be multiples of this (and of the device's block). */
#define VB_DISK_DIRECT_ALIGN 512
/* Bytes of the stamp at the start of a block; shorter pieces are not stamped. */
#define VB_DISK_STAMP_SIZE 24

/*
 * Process-wide byte and file counters, updated by the helpers below. They let
 * the unit tests check that a workload moved exactly the bytes it was asked
 * to and removed every file it created; workloads do not read them.
 */
struct vb_disk_counters {
	atomic_uint_fast64_t written; /* bytes pwrite() accepted */
	atomic_uint_fast64_t read;    /* bytes pread() returned */
	atomic_uint_fast64_t created; /* files created by vb_disk_create */
	atomic_uint_fast64_t removed; /* files unlinked by vb_disk_remove */
};
extern struct vb_disk_counters vb_disk_counters;

/* Zero the counters (tests only). */
void vb_disk_counters_reset(void);

/* A scratch file. Zero state is VB_DISK_FILE_INIT; vb_disk_remove() is safe on it. */
struct vb_disk_file {
	int fd;		 /* -1 when closed */
	char *path;	 /* owned; NULL when there is no file to remove */
	const char *who; /* workload name for messages; borrowed, static */
	bool direct;	 /* O_DIRECT is on: EINVAL from I/O gets an alignment hint */
};
#define VB_DISK_FILE_INIT                                                                          \
	{                                                                                          \
		.fd = -1, .path = NULL, .who = NULL, .direct = false                               \
	}
/* Declare a file that is closed and unlinked when it goes out of scope. */
#define _cleanup_disk_ __attribute__((cleanup(vb_disk_remove)))

/* xorshift64 (Marsaglia 2003): cheap, seedable offsets; state must not be 0. */
static inline uint64_t vb_xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static inline bool vb_disk_stopped(const struct vb_workload_ctx *ctx)
{
	return ctx->stop && *ctx->stop;
}

/* ctx->scratch_dir, or -EINVAL "WHO: needs a scratch directory ..." when it is NULL. */
int vb_disk_scratch(const struct vb_workload_ctx *ctx, const char *who, const char **dir,
		    struct vb_error **err);

/*
 * check() helpers. vb_disk_check_space: `need` bytes must fit in the free
 * space of ctx->scratch_dir (statvfs); skipped when scratch_dir is NULL.
 * vb_disk_check_buffer: a buffer of `bytes` must stay under a quarter of
 * ctx->mem_total; skipped when it is 0. `what` names the options involved.
 * Both return 0 or -EINVAL with a message naming the workload.
 */
int vb_disk_check_space(const struct vb_workload_ctx *ctx, uint64_t need, const char *who,
			const char *what, struct vb_error **err);
int vb_disk_check_buffer(const struct vb_workload_ctx *ctx, uint64_t bytes, const char *who,
			 const char *what, struct vb_error **err);

/*
 * Create a new, uniquely named file "DIR/vb-TAG-XXXXXX" (mode 0600, O_RDWR |
 * O_CLOEXEC | extra_flags, e.g. O_DSYNC). On failure nothing is left behind.
 */
int vb_disk_create(struct vb_disk_file *f, const char *dir, const char *who, const char *tag,
		   int extra_flags, struct vb_error **err);

/* Close and unlink; accepts a never-created or already removed file. */
void vb_disk_remove(struct vb_disk_file *f);

/*
 * Turn O_DIRECT on or off. A filesystem that refuses it gives -EINVAL with
 * "WHO: O_DIRECT not supported on this filesystem (FILE)".
 */
int vb_disk_set_direct(struct vb_disk_file *f, bool on, struct vb_error **err);

/*
 * Write / read exactly len bytes at off, looping over short transfers and
 * EINTR. Errors read "WHO: writing FILE: <strerror>"; a read that meets the
 * end of the file early is -EIO "WHO: reading FILE: unexpected end of file".
 */
int vb_disk_pwrite(struct vb_disk_file *f, const void *buf, size_t len, uint64_t off,
		   struct vb_error **err);
int vb_disk_pread(struct vb_disk_file *f, void *buf, size_t len, uint64_t off,
		  struct vb_error **err);

/* fsync / fdatasync with the same kind of message ("WHO: syncing FILE: ..."). */
int vb_disk_fsync(struct vb_disk_file *f, struct vb_error **err);
int vb_disk_fdatasync(struct vb_disk_file *f, struct vb_error **err);

/* The file must be exactly `size` bytes long (fstat), else -EIO. */
int vb_disk_check_size(struct vb_disk_file *f, uint64_t size, struct vb_error **err);

/*
 * A VB_DISK_ALIGN-aligned buffer of len bytes filled with a non-zero pattern
 * (posix_memalign); -ENOMEM with a message when it cannot be had. Free with free().
 */
int vb_disk_alloc(void **out, size_t len, const char *who, struct vb_error **err);

/* Stamp a piece of a block / check its stamp; pieces under VB_DISK_STAMP_SIZE pass. */
void vb_disk_stamp(void *buf, size_t len, uint64_t tag, uint64_t index);
bool vb_disk_stamp_ok(const void *buf, size_t len, uint64_t tag, uint64_t index);

/*
 * Write the whole file from offset 0 to size in large sequential chunks,
 * each stamp_block piece stamped with (tag, offset / stamp_block), then
 * fsync. Used to lay out a file before timed phases. -EINTR when stopped.
 */
int vb_disk_fill(struct vb_disk_file *f, uint64_t size, size_t stamp_block, uint64_t tag,
		 const struct vb_workload_ctx *ctx, struct vb_error **err);

/* "1.5 MiB"-style text for messages, in buf. */
const char *vb_disk_fmt_size(uint64_t bytes, char *buf, size_t len);

#endif
