/* SPDX-License-Identifier: MIT */
/*
 * w1 task 2 (§4.2): the Whetstone benchmark of Curnow & Wichmann (1976).
 * Written here from the published algorithm: no library offers it, and
 * UnixBench's whets.c is a program with its own timing and output, not
 * something a workload can call.
 *
 * The program has eleven modules, each a loop run N_k = w_k * I times:
 *
 *   1 simple identifiers   w=0     7 trigonometric functions   w=32
 *   2 array elements       w=12    8 procedure calls           w=899
 *   3 array as parameter   w=14    9 array references          w=616
 *   4 conditional jumps    w=345  10 integer arithmetic        w=0
 *   5 (omitted in the original)   11 standard functions        w=93
 *   6 integer arithmetic   w=210
 *
 * With I = 10 one pass is one million Whetstone instructions, so `loops`
 * passes give loops / elapsed MWIPS. Modules 1 and 10 have weight 0 in the
 * published program, so a timed pass does not run them, exactly as there.
 *
 * Self-check: every pass must give the same results as the first one; the
 * integer paths (modules 4, 6, 9, 10) must hold the values the algorithm
 * defines; every floating-point result must be finite. Before timing, an
 * untimed probe pass runs every module (1 and 10 included) 1001 times and
 * checks the same things, plus that module 1 (scalars) and module 2 (array
 * elements), the same arithmetic, agree to the bit.
 */
#include <math.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

struct whet_opts {
	uint64_t loops;
};

#define WHET_I 10
#define PROBE_N 1001

/* Module weights, index = module number; module 5 does not exist. */
static const long whet_weight[12] = { 0, 0, 12, 14, 345, 0, 210, 32, 899, 616, 0, 93 };

/* The constants of the published program (T, T1, T2). */
struct whet_consts {
	double t, t1, t2;
};

struct whet_result {
	double m1[4], m2[4], m3[4]; /* modules 1-3: X1..X4, E1 after each */
	long j4;		    /* module 4 */
	long j6, k6, l6;	    /* module 6 */
	double e6[2];		    /* module 6: E1[1], E1[2] it writes */
	double x7, y7;		    /* module 7 */
	double z8;		    /* module 8 */
	double e9[3];		    /* module 9 */
	long j10, k10;		    /* module 10 */
	double x11;		    /* module 11 */
};

/* Results leave through here so no module is dead code. */
static volatile double whet_sink;

/* Let the compiler know nothing about v after this point: no folding of integer loops. */
#define OPAQUE(v) __asm__("" : "+r"(v))

/* Module 3's procedure: the array passed as a parameter, six rounds. */
__attribute__((noinline)) static void whet_pa(double *e, const struct whet_consts *c)
{
	for (int j = 0; j < 6; j++) {
		e[0] = (e[0] + e[1] + e[2] - e[3]) * c->t;
		e[1] = (e[0] + e[1] - e[2] + e[3]) * c->t;
		e[2] = (e[0] - e[1] + e[2] + e[3]) * c->t;
		e[3] = (-e[0] + e[1] + e[2] + e[3]) / c->t2;
	}
}

/* Module 8's procedure. */
__attribute__((noinline)) static void whet_p3(double x, double y, double *z,
					      const struct whet_consts *c)
{
	double x1 = c->t * (x + y);
	double y1 = c->t * (x1 + y);

	*z = (x1 + y1) / c->t2;
}

/* Module 9's procedure: shuffle three array elements through indices. */
__attribute__((noinline)) static void whet_p0(double *e, long j, long k, long l)
{
	e[j] = e[k];
	e[k] = e[l];
	e[l] = e[j];
}

/* One pass of the program with n[k] iterations of module k. */
static void whet_pass(const long n[12], const struct whet_consts *c, struct whet_result *r)
{
	double t = c->t, t1 = c->t1, t2 = c->t2;

	/* Module 1: simple identifiers. */
	{
		double x1 = 1.0, x2 = -1.0, x3 = -1.0, x4 = -1.0;

		for (long i = 0; i < n[1]; i++) {
			x1 = (x1 + x2 + x3 - x4) * t;
			x2 = (x1 + x2 - x3 + x4) * t;
			x3 = (x1 - x2 + x3 + x4) * t;
			x4 = (-x1 + x2 + x3 + x4) * t;
		}
		r->m1[0] = x1;
		r->m1[1] = x2;
		r->m1[2] = x3;
		r->m1[3] = x4;
	}
	/* Module 2: array elements. */
	{
		double *e = r->m2;

		e[0] = 1.0;
		e[1] = e[2] = e[3] = -1.0;
		for (long i = 0; i < n[2]; i++) {
			e[0] = (e[0] + e[1] + e[2] - e[3]) * t;
			e[1] = (e[0] + e[1] - e[2] + e[3]) * t;
			e[2] = (e[0] - e[1] + e[2] + e[3]) * t;
			e[3] = (-e[0] + e[1] + e[2] + e[3]) * t;
		}
	}
	/* Module 3: array as parameter (starts from module 2's array, as in the original). */
	{
		memcpy(r->m3, r->m2, sizeof(r->m3));
		for (long i = 0; i < n[3]; i++)
			whet_pa(r->m3, c);
	}
	/* Module 4: conditional jumps. */
	{
		long j = 1;

		for (long i = 0; i < n[4]; i++) {
			OPAQUE(j);
			if (j == 1)
				j = 2;
			else
				j = 3;
			if (j > 2)
				j = 0;
			else
				j = 1;
			if (j < 1)
				j = 1;
			else
				j = 0;
		}
		r->j4 = j;
	}
	/* Module 6: integer arithmetic; E1 indices are the original's 1-based L-1, K-1. */
	{
		long j = 1, k = 2, l = 3;
		double e[4] = { 0, 0, 0, 0 };

		for (long i = 0; i < n[6]; i++) {
			OPAQUE(j);
			OPAQUE(k);
			OPAQUE(l);
			j = j * (k - j) * (l - k);
			k = l * k - (l - j) * k;
			l = (l - k) * (k + j);
			if (l < 2 || l > 5 || k < 2 || k > 5)
				break; /* left the defined path: the check below reports it */
			e[l - 2] = (double)(j + k + l);
			e[k - 2] = (double)(j * k * l);
		}
		r->j6 = j;
		r->k6 = k;
		r->l6 = l;
		r->e6[0] = e[0];
		r->e6[1] = e[1];
	}
	/* Module 7: trigonometric functions. */
	{
		double x = 0.5, y = 0.5;

		for (long i = 0; i < n[7]; i++) {
			x = t * atan(t2 * sin(x) * cos(x) / (cos(x + y) + cos(x - y) - 1.0));
			y = t * atan(t2 * sin(y) * cos(y) / (cos(x + y) + cos(x - y) - 1.0));
		}
		r->x7 = x;
		r->y7 = y;
	}
	/* Module 8: procedure calls. */
	{
		double x = 1.0, y = 1.0, z = 1.0;

		for (long i = 0; i < n[8]; i++) {
			whet_p3(x, y, &z, c);
			__asm__("" : "+m"(z));
		}
		r->z8 = z;
	}
	/* Module 9: array references. */
	{
		long j = 0, k = 1, l = 2;

		OPAQUE(j);
		OPAQUE(k);
		OPAQUE(l);
		r->e9[0] = 1.0;
		r->e9[1] = 2.0;
		r->e9[2] = 3.0;
		for (long i = 0; i < n[9]; i++)
			whet_p0(r->e9, j, k, l);
	}
	/* Module 10: integer arithmetic. */
	{
		long j = 2, k = 3;

		for (long i = 0; i < n[10]; i++) {
			OPAQUE(j);
			OPAQUE(k);
			j = j + k;
			k = j + k;
			j = k - j;
			k = k - j - j;
		}
		r->j10 = j;
		r->k10 = k;
	}
	/* Module 11: standard functions. */
	{
		double x = 0.75;

		for (long i = 0; i < n[11]; i++)
			x = sqrt(exp(log(x) / t1));
		r->x11 = x;
	}
	whet_sink = r->m1[3] + r->m2[3] + r->m3[3] + r->x7 + r->y7 + r->z8 + r->e9[2] + r->x11 +
		    r->e6[0] + (double)(r->j4 + r->j6 + r->k6 + r->l6 + r->j10 + r->k10);
}

static bool whet_finite(const struct whet_result *r)
{
	const double v[] = { r->m1[0], r->m1[1], r->m1[2], r->m1[3], r->m2[0], r->m2[1],
			     r->m2[2], r->m2[3], r->m3[0], r->m3[1], r->m3[2], r->m3[3],
			     r->x7,    r->y7,	 r->z8,	   r->x11 };

	for (size_t i = 0; i < VB_ARRAY_SIZE(v); i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

/*
 * The values the algorithm defines for n[] iterations: module 4 alternates
 * 0, 1 from j = 1; module 6 stays at J=1 K=2 L=3 and writes 6 into E1[1],
 * E1[2]; module 9 alternates (2,3,2), (3,2,3) from (1,2,3); module 10
 * alternates (3,2), (2,3) from (2,3); module 8 gives the same Z every call.
 */
static int whet_check(const long n[12], const struct whet_consts *c, const struct whet_result *r,
		      const char *when, struct vb_error **err)
{
	long j4 = n[4] % 2 ? 0 : 1;
	double e9[3] = { 1.0, 2.0, 3.0 };
	long j10 = n[10] % 2 ? 3 : 2, k10 = n[10] % 2 ? 2 : 3;
	double x1 = c->t * 2.0, z8 = n[8] ? (x1 + c->t * (x1 + 1.0)) / c->t2 : 1.0;

	if (n[9]) {
		e9[0] = n[9] % 2 ? 2.0 : 3.0;
		e9[1] = n[9] % 2 ? 3.0 : 2.0;
		e9[2] = e9[0];
	}
	if (!whet_finite(r))
		return vb_error_set(err, -EIO, "cpu.whetstone: %s: a module result is not finite",
				    when);
	if (r->j4 != j4)
		return vb_error_set(err, -EIO,
				    "cpu.whetstone: %s: module 4 (conditional jumps) ends with "
				    "J=%ld, the algorithm gives %ld",
				    when, r->j4, j4);
	if (r->j6 != 1 || r->k6 != 2 || r->l6 != 3 ||
	    (n[6] && (r->e6[0] != 6.0 || r->e6[1] != 6.0)))
		return vb_error_set(err, -EIO,
				    "cpu.whetstone: %s: module 6 (integer arithmetic) ends with "
				    "J=%ld K=%ld L=%ld E1=%g,%g, the algorithm gives 1 2 3 and 6,6",
				    when, r->j6, r->k6, r->l6, r->e6[0], r->e6[1]);
	if (memcmp(r->e9, e9, sizeof(e9)))
		return vb_error_set(err, -EIO,
				    "cpu.whetstone: %s: module 9 (array references) ends with "
				    "%g,%g,%g, the algorithm gives %g,%g,%g",
				    when, r->e9[0], r->e9[1], r->e9[2], e9[0], e9[1], e9[2]);
	if (r->j10 != j10 || r->k10 != k10)
		return vb_error_set(err, -EIO,
				    "cpu.whetstone: %s: module 10 (integer arithmetic) ends with "
				    "J=%ld K=%ld, the algorithm gives %ld %ld",
				    when, r->j10, r->k10, j10, k10);
	if (fabs(r->z8 - z8) > 1e-12 * fabs(z8))
		return vb_error_set(err, -EIO,
				    "cpu.whetstone: %s: module 8 (procedure calls) gives Z=%.17g, "
				    "expected %.17g",
				    when, r->z8, z8);
	return 0;
}

static int whet_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		    struct vb_error **err)
{
	const struct whet_opts *opts = o;
	/* Through a volatile: the compiler must not specialise the modules on them. */
	volatile double vt = 0.499975, vt1 = 0.50025, vt2 = 2.0;
	const struct whet_consts c = { vt, vt1, vt2 };
	struct whet_result first, r;
	long n[12], probe[12];

	memset(&first, 0, sizeof(first));
	memset(&r, 0, sizeof(r));
	int ret;

	for (int k = 0; k < 12; k++) {
		n[k] = whet_weight[k] * WHET_I;
		probe[k] = PROBE_N;
	}

	/* Untimed probe: every module, modules 1 and 10 included. */
	whet_pass(probe, &c, &r);
	ret = whet_check(probe, &c, &r, "probe pass", err);
	if (ret)
		return ret;
	if (memcmp(r.m1, r.m2, sizeof(r.m1)))
		return vb_error_set(err, -EIO,
				    "cpu.whetstone: probe pass: module 1 (simple identifiers) and "
				    "module 2 (array elements) disagree: %.17g vs %.17g",
				    r.m1[3], r.m2[3]);

	double t0 = vb_now();
	for (uint64_t pass = 0; pass < opts->loops; pass++) {
		if (ctx->stop && *ctx->stop)
			return vb_error_set(err, -EINTR, "cpu.whetstone: stopped");
		whet_pass(n, &c, pass ? &r : &first);
		if (pass && memcmp(&r, &first, sizeof(r)))
			return vb_error_set(err, -EIO,
					    "cpu.whetstone: pass %llu gave different results "
					    "from pass 1",
					    (unsigned long long)pass + 1);
	}
	double elapsed = vb_now() - t0;

	ret = whet_check(n, &c, &first, "timed pass", err);
	if (ret)
		return ret;
	if (elapsed <= 0)
		return vb_error_set(err, -EIO, "cpu.whetstone: the clock did not advance");
	if (ctx->log) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "modules 2,3,7,8,11: %.17g %.17g %.17g %.17g %.17g; "
			 "integer paths 4,6,9,10 as the algorithm defines",
			 first.m2[3], first.m3[3], first.x7, first.z8, first.x11);
		ctx->log(ctx->log_data, msg);
	}
	values[0] = (double)opts->loops / elapsed;
	values[1] = elapsed;
	return 0;
}

static const struct vb_option whet_options[] = {
	VB_OPTION("loops", VB_OPT_U64, struct whet_opts, loops, 2000, 50000, 1, 100000000,
		  "passes of the program; one pass (I=10) is a million Whetstone instructions"),
	{ 0 },
};

static const struct vb_metric_desc whet_metrics[] = {
	{ "mwips", "MWIPS", true, "millions of Whetstone instructions per second" },
	{ "elapsed", "s", false, "time for all the passes" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_cpu_whetstone = {
	.name = "cpu.whetstone",
	.group = "w1",
	.summary = "Whetstone (Curnow & Wichmann): float, trig, sqrt/exp/log, arrays, "
		   "branches, calls; MWIPS",
	.study_ref = "§4.2 task 2",
	.options = whet_options,
	.opts_size = sizeof(struct whet_opts),
	.metrics = whet_metrics,
	.run = whet_run,
};
