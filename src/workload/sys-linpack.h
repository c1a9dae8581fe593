/* SPDX-License-Identifier: MIT */
/* Internals of sys.linpack, exposed for tests/unit/test-wl-sys.c only. */
#ifndef VB_WORKLOAD_SYS_LINPACK_H
#define VB_WORKLOAD_SYS_LINPACK_H

#include <stddef.h>

#include "virtbench/error.h"

/* HPL's pass threshold for the scaled residual. */
#define VB_LINPACK_THRESHOLD 16.0

/*
 * Solve A x = b in place with LAPACKE_dgesv: a is n x n, column-major, and
 * is overwritten by its LU factors; b (n values) is overwritten by x.
 * Returns 0, or -EIO with *err when the matrix is singular.
 */
int vb_linpack_solve(size_t n, double *a, double *b, struct vb_error **err);

/*
 * HPL's scaled residual of a solution x of A x = b (a column-major, n x n):
 *   ||Ax-b||_oo / (eps * (||A||_oo * ||x||_oo + ||b||_oo) * n)
 * stored in *resid. Returns 0 when it is at most VB_LINPACK_THRESHOLD, or
 * -EIO with *err otherwise (a NaN or infinite residual fails too).
 */
int vb_linpack_residual(size_t n, const double *a, const double *x, const double *b, double *resid,
			struct vb_error **err);

#endif
