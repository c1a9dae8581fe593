/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_UTIL_H
#define VB_CORE_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

#define VB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Programmer error: print where and abort. Never for bad input. */
#define VB_BUG(...) vb_bug(__FILE__, __LINE__, __VA_ARGS__)
void vb_bug(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* Allocation failure aborts: there is nothing sensible a benchmark can do. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void vb_freep(void *p)
{
	free(*(void **)p);
}
static inline void vb_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void vb_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(vb_freep)
#define _cleanup_close_ _cleanup_(vb_closep)
#define _cleanup_fclose_ _cleanup_(vb_fclosep)

/* Declare cleanup_<fn> for `type *` values freed by fn(type *). */
#define VB_DEFINE_CLEANUP(type, fn)                                                                \
	static inline void cleanup_##fn(type **p)                                                  \
	{                                                                                          \
		if (*p)                                                                            \
			fn(*p);                                                                    \
	}

static inline void *vb_steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_ptr(pp) vb_steal_ptr(pp)

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* Strict number parsing: the whole string, no sign surprises, range-checked. */
int vb_parse_u64(const char *s, uint64_t *out);
int vb_parse_double(const char *s, double *out);
/* "64K", "1.5GiB", "4096": a byte count with binary suffixes (K, M, G, T, P[i][B]). */
int vb_parse_size(const char *s, uint64_t *out);

/*
 * Read a whole small regular file (≤ max bytes) into a NUL-terminated buffer.
 * Anything else (a FIFO, a device) is -EINVAL at once, never a hang.
 */
int vb_read_file(const char *path, size_t max, char **out, size_t *len);
/* The same from an open descriptor, from its offset to end of file. */
int vb_read_fd(int fd, size_t max, char **out, size_t *len);
/*
 * Write data to path atomically: a new file of a random name in path's
 * directory (O_EXCL | O_NOFOLLOW: a planted name or symlink cannot redirect
 * it), fsync, rename over path (a symlink at path is replaced, not followed),
 * fsync the directory.
 */
int vb_write_file_atomic(const char *path, const void *data, size_t len);
/*
 * The same without the fsyncs: readers never see a half file, but a crash
 * of the host may lose it. For state that only has to outlive a process.
 */
int vb_write_file_replace(const char *path, const void *data, size_t len);

/* Write all of buf to fd, retrying on EINTR and short writes. Returns 0 or -errno. */
int vb_write_all(int fd, const void *buf, size_t len);

/* Copy everything from in (at its offset) to out until end of file; 0 or -errno. */
int vb_copy_fd(int in, int out);

/* mkdir -p with mode; existing directories are fine. */
int vb_mkdir_p(const char *path, mode_t mode);

/*
 * Remove a directory tree by descriptor (see vb_rm_rf_at in core/fs.h): never
 * following a symlink, never crossing into a mount. path's parent is opened
 * with O_NOFOLLOW: a parent that is a symlink fails with -ELOOP (or
 * -ENOTDIR). Missing is fine.
 */
int vb_rm_rf(const char *path);

/* Lowercase hex SHA-256 of a file (65 bytes incl. NUL). */
int vb_sha256_file(const char *path, char out[65]);

/* Lowercase hex SHA-256 of len bytes. */
void vb_sha256_buf(const void *data, size_t len, char out[65]);

/* 16 random bytes (getrandom) as 32 lower-case hex digits: 0, or -errno. */
int vb_random_hex16(char out[33]);

/* Seconds on the monotonic clock: for durations and deadlines, never for dates. */
double vb_monotonic_s(void);
/* The same in whole milliseconds. */
int64_t vb_monotonic_ms(void);

#endif
