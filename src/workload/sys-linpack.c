/* SPDX-License-Identifier: MIT */
/*
 * system (§4.6): LINPACK, as HPL measures it on one process. A random n x n
 * matrix A and right-hand side b (LAPACK's dlarnv, uniform in [-0.5, 0.5) as
 * HPL's generator, from a fixed seed) are solved with LAPACKE_dgesv: LU with
 * partial pivoting and the two triangular solves, by OpenBLAS. Only the solve
 * is timed, as HPL times HPL_pdgesv. GFLOPS = (2/3 n^3 + 2 n^2) / time.
 *
 * The solution is then checked with HPL's scaled residual
 *   ||Ax-b||_oo / (eps * (||A||_oo * ||x||_oo + ||b||_oo) * n)
 * on kept copies of A and b, with A x - b from OpenBLAS's cblas_dgemv and the
 * norms from LAPACKE_dlange / cblas_idamax. Above 16 (HPL's threshold) the
 * sample fails.
 *
 * threads=0 uses every CPU the guest has; otherwise that many.
 * openblas_set_num_threads() sets it for the run and
 * the previous count is restored afterwards.
 */
#include <math.h>
#include <sys/mman.h>

#include <cblas.h>
#include <lapacke.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/sys-linpack.h"

#ifndef OPENBLAS_VERSION
/* <cblas.h> is netlib's here (Debian's cblas.h alternative); libopenblas still exports these. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif

/* n^2 stays below 2^31, so 32-bit LAPACK index arithmetic cannot overflow. */
#define MAX_N 46340

struct linpack_opts {
	uint64_t n;
	uint64_t threads;
	uint64_t seed;
};

static int linpack_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct linpack_opts *opts = o;
	uint64_t bytes = 2 * opts->n * opts->n * sizeof(double);

	/* A and the copy the residual check needs; at most half of memory. */
	if (ctx->mem_total && bytes > ctx->mem_total / 2)
		return vb_error_set(err, -EINVAL,
				    "sys.linpack: n=%llu needs 2 x %llu MiB for the matrix and its "
				    "copy, more than half of the %llu MiB of memory here",
				    (unsigned long long)opts->n,
				    (unsigned long long)(bytes / 2 >> 20),
				    (unsigned long long)(ctx->mem_total >> 20));
	return 0;
}

int vb_linpack_solve(size_t n, double *a, double *b, struct vb_error **err)
{
	if (n == 0 || n > MAX_N)
		return vb_error_set(err, -EINVAL, "sys.linpack: n=%zu is out of range [1, %d]", n,
				    MAX_N);
	_cleanup_free_ lapack_int *ipiv = xcalloc(n, sizeof(*ipiv));
	lapack_int info = LAPACKE_dgesv(LAPACK_COL_MAJOR, (lapack_int)n, 1, a, (lapack_int)n, ipiv,
					b, (lapack_int)n);
	if (info > 0)
		return vb_error_set(err, -EIO,
				    "sys.linpack: the matrix is singular: U(%d,%d) is exactly zero",
				    (int)info, (int)info);
	if (info < 0)
		return vb_error_set(err, -EIO, "sys.linpack: dgesv rejected argument %d",
				    (int)-info);
	return 0;
}

int vb_linpack_residual(size_t n, const double *a, const double *x, const double *b, double *resid,
			struct vb_error **err)
{
	if (n == 0 || n > MAX_N)
		return vb_error_set(err, -EINVAL, "sys.linpack: n=%zu is out of range [1, %d]", n,
				    MAX_N);
	_cleanup_free_ double *r = xmalloc(n * sizeof(*r));
	int in = (int)n;

	memcpy(r, b, n * sizeof(*r));
	/* r = A x - b */
	cblas_dgemv(CblasColMajor, CblasNoTrans, in, in, 1.0, a, in, x, 1, -1.0, r, 1);
	double rnorm = fabs(r[cblas_idamax(in, r, 1)]);
	double anorm = LAPACKE_dlange(LAPACK_COL_MAJOR, 'I', in, in, a, in);
	double xnorm = fabs(x[cblas_idamax(in, x, 1)]);
	double bnorm = fabs(b[cblas_idamax(in, b, 1)]);
	/* dlamch('E') is HPL's eps: 2^-53, the unit roundoff. */
	double eps = LAPACKE_dlamch('E');

	*resid = rnorm / (eps * (anorm * xnorm + bnorm) * (double)n);
	/* Written so that a NaN fails too. */
	if (!(*resid <= VB_LINPACK_THRESHOLD))
		return vb_error_set(err, -EIO,
				    "sys.linpack: scaled residual %g exceeds %g: the solution is "
				    "wrong (||Ax-b||_oo %g, ||A||_oo %g, ||x||_oo %g)",
				    *resid, VB_LINPACK_THRESHOLD, rnorm, anorm, xnorm);
	return 0;
}

/*
 * Fill v (count values) uniformly in [-0.5, 0.5) from LAPACK's generator;
 * iseed carries the stream on from call to call.
 */
static void fill_random(double *v, size_t count, lapack_int iseed[4])
{
	/* dlarnv takes an int count: go in slices. */
	const size_t slice = (size_t)1 << 20;

	for (size_t done = 0; done < count; done += slice) {
		size_t k = count - done < slice ? count - done : slice;
		LAPACKE_dlarnv(1, iseed, (lapack_int)k, v + done);
		for (size_t i = 0; i < k; i++)
			v[done + i] -= 0.5;
	}
}

static void unmap(void *p, size_t n)
{
	if (p != MAP_FAILED)
		munmap(p, n);
}

static int linpack_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		       struct vb_error **err)
{
	const struct linpack_opts *opts = o;
	size_t n = opts->n;
	int r = 0;

	if (n == 0 || n > MAX_N)
		return vb_error_set(err, -EINVAL, "sys.linpack: n=%zu is out of range [1, %d]", n,
				    MAX_N);
	size_t mbytes = n * n * sizeof(double);
	/* mmap rather than malloc: a failure is an error, not an abort. */
	double *a = mmap(NULL, mbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double *a0 = mmap(NULL, mbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	_cleanup_free_ double *x = xmalloc(n * sizeof(*x));
	_cleanup_free_ double *b0 = xmalloc(n * sizeof(*b0));
	if (a == MAP_FAILED || a0 == MAP_FAILED) {
		r = vb_error_errno(err, errno, "sys.linpack: cannot map 2 x %zu bytes", mbytes);
		goto out;
	}
	/* LAPACK's seed: four 12-bit integers, the last one odd. */
	lapack_int iseed[4] = {
		(lapack_int)(opts->seed & 4095),
		(lapack_int)((opts->seed >> 12) & 4095),
		(lapack_int)((opts->seed >> 24) & 4095),
		(lapack_int)(((opts->seed >> 36) & 4095) | 1),
	};
	fill_random(a0, n * n, iseed);
	fill_random(b0, n, iseed);
	memcpy(a, a0, mbytes);
	memcpy(x, b0, n * sizeof(*x));

	/* dgesv is one library call and cannot be interrupted: check before it. */
	if (ctx->stop && *ctx->stop) {
		r = vb_error_set(err, -EINTR, "sys.linpack: stopped");
		goto out;
	}
	/*
	 * The agent starts OpenBLAS with one thread (OPENBLAS_NUM_THREADS=1, so
	 * no server thread spins beside other workloads); LINPACK asks for its
	 * threads here: the option, or every CPU this guest has.
	 */
	int prev_threads = openblas_get_num_threads();
	int want =
	    opts->threads ? (int)opts->threads : (ctx->online_cpus ? (int)ctx->online_cpus : 1);
	openblas_set_num_threads(want);
	int used_threads = openblas_get_num_threads();
	double t0 = vb_now();
	r = vb_linpack_solve(n, a, x, err);
	double elapsed = vb_now() - t0;
	openblas_set_num_threads(prev_threads);
	if (r)
		goto out;
	if (ctx->stop && *ctx->stop) {
		r = vb_error_set(err, -EINTR, "sys.linpack: stopped");
		goto out;
	}
	double resid;
	r = vb_linpack_residual(n, a0, x, b0, &resid, err);
	if (r)
		goto out;
	if (!(elapsed > 0)) {
		r = vb_error_set(err, -EIO,
				 "sys.linpack: n=%zu solved in no measurable time; use a larger n",
				 n);
		goto out;
	}
	double dn = (double)n;
	double gflops = (2.0 / 3.0 * dn * dn * dn + 2.0 * dn * dn) / elapsed / 1e9;
	if (ctx->log) {
		char msg[200];
		snprintf(msg, sizeof(msg),
			 "n=%zu, %d OpenBLAS threads: %.3f s, %.2f GFLOPS, scaled residual %.4g "
			 "(passes, <= %g)",
			 n, used_threads, elapsed, gflops, resid, VB_LINPACK_THRESHOLD);
		ctx->log(ctx->log_data, msg);
	}
	values[0] = gflops;
	values[1] = elapsed;
out:
	unmap(a, mbytes);
	unmap(a0, mbytes);
	return r;
}

static const struct vb_option linpack_options[] = {
	VB_OPTION("n", VB_OPT_U64, struct linpack_opts, n, 1800, 5000, 1, MAX_N,
		  "matrix order; the scale experiment sweeps several sizes as the study did"),
	VB_OPTION("threads", VB_OPT_U64, struct linpack_opts, threads, 0, 0, 0, 1024,
		  "OpenBLAS threads; 0 = every CPU the guest has"),
	VB_OPTION("seed", VB_OPT_U64, struct linpack_opts, seed, 1, 1, 0, (UINT64_C(1) << 48) - 1,
		  "seed of the random matrix (LAPACK dlarnv)"),
	{ 0 },
};

static const struct vb_metric_desc linpack_metrics[] = {
	{ "gflops", "GFLOPS", true, "(2/3 n^3 + 2 n^2) flops / solve time" },
	{ "elapsed", "s", false, "time of LAPACKE_dgesv (LU factorisation and solve)" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_sys_linpack = {
	.name = "sys.linpack",
	.group = "system",
	.summary = "LINPACK: LU solve of a random system with LAPACKE/OpenBLAS, HPL residual check",
	.study_ref = "§4.6",
	.options = linpack_options,
	.opts_size = sizeof(struct linpack_opts),
	.metrics = linpack_metrics,
	.check = linpack_check,
	.run = linpack_run,
};
