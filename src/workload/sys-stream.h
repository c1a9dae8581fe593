/* SPDX-License-Identifier: MIT */
/* Internals of sys.stream, exposed for tests/unit/test-wl-sys.c only. */
#ifndef VB_WORKLOAD_SYS_STREAM_H
#define VB_WORKLOAD_SYS_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "virtbench/error.h"

/* STREAM's scalar (stream.c 5.10) and its error bound for 8-byte words. */
#define VB_STREAM_SCALAR 3.0
#define VB_STREAM_EPSILON 1e-13

/*
 * STREAM's checkSTREAMresults(): replay the kernels on scalars for ntimes
 * iterations and compare each array's average absolute error, relative to
 * the expected value, with VB_STREAM_EPSILON. Returns 0, or -EIO with *err
 * naming the array that failed.
 */
int vb_stream_validate(const double *a, const double *b, const double *c, size_t n, unsigned ntimes,
		       struct vb_error **err);

/*
 * The largest data or unified cache listed under dir (normally
 * /sys/devices/system/cpu/cpu0/cache): the index* subdirectories with files
 * size ("49152K") and level. Returns 0 with *bytes and *level, or -ENOENT
 * when no cache could be read.
 */
int vb_stream_largest_cache(const char *dir, uint64_t *bytes, unsigned *level);

#endif
