/* SPDX-License-Identifier: MIT */
/*
 * Cell summaries, Student-t quantiles, outliers, the stopping rule and
 * verdicts.
 *
 * The t quantile is hand-written because libm has none and a numerics
 * library (GSL, Rmath) would be a heavy dependency for one function. It
 * inverts the t distribution function, written through the regularized
 * incomplete beta function
 *
 *	P(T > t) = I_x(df/2, 1/2) / 2,	x = df / (df + t^2),  t >= 0
 *
 * (Abramowitz & Stegun 26.7.1 with 26.5.2). I_x is evaluated from its
 * continued fraction (A&S 26.5.8) by the modified Lentz method (Thompson &
 * Barnett, J. Comput. Phys. 64, 1986), and the equation P(T > t) = q is
 * solved by Newton's method on log P against log t, which is nearly linear
 * in the heavy tail, safeguarded by bisection inside a bracket. Very large
 * df use an asymptotic expansion instead; df = 1 and 2 have closed forms.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "virtbench/stats.h"

#define VB_CF_MAX_ITER 10000
#define VB_CF_EPS 1e-15
#define VB_CF_TINY 1e-300
#define VB_T_ASYMPTOTIC_DF 1e5

static void *vb_stats_alloc(size_t n, size_t size)
{
	/* The stats library is linked without core, hence no xmalloc. */
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static int vb_cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/* Median of the sorted v[0..n-1], n >= 1. */
static double vb_sorted_median(const double *v, size_t n)
{
	if (n % 2)
		return v[n / 2];
	return v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
}

/*
 * ln B(a, 1/2) for a = df/2. lgamma() of a large argument carries an
 * absolute error of about a * DBL_EPSILON, which the exponential in the
 * prefactor of I_x would turn into a relative error, so for large a use the
 * asymptotic series of ln Gamma(a + 1/2) - ln Gamma(a) instead of the
 * difference of two lgamma() values.
 */
static double vb_log_beta_half(double a)
{
	double d;

	if (a < 16) {
		d = lgamma(a + 0.5) - lgamma(a);
	} else {
		double r = 1 / a, r2 = r * r;

		d = 0.5 * log(a) -
		    r * (1.0 / 8 - r2 * (1.0 / 192 - r2 * (1.0 / 640 - r2 * (17.0 / 14336))));
	}
	return 0.5 * log(M_PI) - d;
}

/* Continued fraction of I_x(a, b), without the prefactor x^a y^b / (a B(a, b)). */
static double vb_beta_cf(double a, double b, double x)
{
	double c = 1, d, h;

	d = 1 - (a + b) * x / (a + 1);
	if (fabs(d) < VB_CF_TINY)
		d = VB_CF_TINY;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= VB_CF_MAX_ITER; m++) {
		double num, delta;

		num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		d = 1 + num * d;
		if (fabs(d) < VB_CF_TINY)
			d = VB_CF_TINY;
		c = 1 + num / c;
		if (fabs(c) < VB_CF_TINY)
			c = VB_CF_TINY;
		d = 1 / d;
		h *= d * c;

		num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 + num * d;
		if (fabs(d) < VB_CF_TINY)
			d = VB_CF_TINY;
		c = 1 + num / c;
		if (fabs(c) < VB_CF_TINY)
			c = VB_CF_TINY;
		d = 1 / d;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1) < VB_CF_EPS)
			break;
	}
	return h;
}

/* log(1 + t^2/df), without overflow for huge t. */
static double vb_log1p_sq(double t, double df)
{
	double s = t / df * t;

	if (s <= 1)
		return log1p(s);
	return 2 * log(t) - log(df) + log1p(df / t / t);
}

/* Upper tail P(T > t) for t >= 0. */
static double vb_t_upper(double t, double df)
{
	double a = df / 2, b = 0.5, x, y, lx, ly, front;

	if (isinf(df))
		return 0.5 * erfc(t / M_SQRT2);
	if (t == 0)
		return 0.5;
	if (isinf(t))
		return 0;

	/* x = df / (df + t^2), y = 1 - x, and their logarithms, each without cancellation */
	lx = -vb_log1p_sq(t, df);
	if (t * t <= df) {
		double s = t / df * t;

		x = 1 / (1 + s);
		y = s / (1 + s);
		ly = log(s) + lx;
	} else {
		double r = df / t / t;

		x = r / (1 + r);
		y = 1 / (1 + r);
		ly = -log1p(r);
	}
	front = exp(a * lx + b * ly - vb_log_beta_half(a));

	/* The fraction converges quickly for x < (a + 1) / (a + b + 2), else use symmetry. */
	if (x * (a + b + 2) < a + 1)
		return 0.5 * front * vb_beta_cf(a, b, x) / a;
	return 0.5 * (1 - front * vb_beta_cf(b, a, y) / b);
}

double vb_stats_t_upper(double t, double df)
{
	if (isnan(t) || isnan(df) || df <= 0)
		return NAN;
	return t < 0 ? 1 - vb_t_upper(-t, df) : vb_t_upper(t, df);
}

/* Logarithm of the density of the t distribution at t. */
static double vb_t_log_density(double t, double df)
{
	if (isinf(df))
		return -t * t / 2 - 0.5 * log(2 * M_PI);
	return -vb_log_beta_half(df / 2) - 0.5 * log(df) - (df + 1) / 2 * vb_log1p_sq(t, df);
}

/* Solve P(T > t) = q for t > 0, 0 < q < 1/2. */
static double vb_t_solve_upper(double q, double df)
{
	double lo = 0, hi = 1, t, lq = log(q);

	/* Bracket the root: P(T > lo) > q >= P(T > hi). */
	while (vb_t_upper(hi, df) > q && hi < 1e300) {
		lo = hi;
		hi *= 2;
	}

	t = hi;
	for (int i = 0; i < 200; i++) {
		double up = vb_t_upper(t, df), next, slope;

		if (up == q)
			return t;
		if (up > q)
			lo = t;
		else
			hi = t;

		/* d log P / d log t = -t f(t) / P */
		slope = -exp(log(t) + vb_t_log_density(t, df) - log(up));
		next = t * exp(-(log(up) - lq) / slope);
		if (!(next > lo && next < hi) || !isfinite(next))
			next = lo + (hi - lo) / 2;
		if (fabs(next - t) <= 4 * DBL_EPSILON * next)
			return next;
		t = next;
		if (hi - lo <= 4 * DBL_EPSILON * hi)
			break;
	}
	return t;
}

/*
 * For large df the continued fraction needs O(sqrt(df)) terms; there the
 * expansion of t in powers of 1/df around the normal quantile z (Fisher &
 * Cornish; A&S 26.7.5) is accurate to far below DBL_EPSILON.
 */
static double vb_t_asymptotic(double z, double df)
{
	double z2 = z * z;
	double g1 = z * (z2 + 1) / 4;
	double g2 = z * ((5 * z2 + 16) * z2 + 3) / 96;
	double g3 = z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / 384;
	double g4 = z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / 92160;

	return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}

double vb_stats_t_quantile(double p, double df)
{
	double q, t;

	if (isnan(p) || isnan(df) || df <= 0 || p < 0 || p > 1)
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	if (p == 0.5)
		return 0;

	/* Solve in the smaller tail, by symmetry; q is exact for p >= 1/2. */
	q = p < 0.5 ? p : 1 - p;
	if (df == 1)
		t = 1 / tan(M_PI * q);
	else if (df == 2)
		t = (1 - 2 * q) / sqrt(2 * q * (1 - q));
	else if (df > VB_T_ASYMPTOTIC_DF)
		t = vb_t_asymptotic(vb_t_solve_upper(q, INFINITY), df);
	else
		t = vb_t_solve_upper(q, df);
	return p < 0.5 ? -t : t;
}

void vb_stats_summarize(const double *x, size_t n, struct vb_summary *out)
{
	double sum = 0, ss = 0, half, *v;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->ci_low = out->ci_high = NAN;
	out->ci_rel = INFINITY;
	if (n == 0) {
		out->mean = out->median = out->min = out->max = NAN;
		return;
	}

	out->min = out->max = x[0];
	for (size_t i = 0; i < n; i++) {
		sum += x[i];
		if (x[i] < out->min)
			out->min = x[i];
		if (x[i] > out->max)
			out->max = x[i];
	}
	out->mean = sum / n;
	/* Two passes: the one-pass formula cancels badly for tight samples. */
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - out->mean) * (x[i] - out->mean);

	v = vb_stats_alloc(n, sizeof(*v));
	memcpy(v, x, n * sizeof(*v));
	qsort(v, n, sizeof(*v), vb_cmp_double);
	out->median = vb_sorted_median(v, n);
	free(v);

	if (n < 2)
		return;
	out->stdev = sqrt(ss / (n - 1));
	half = vb_stats_t_quantile(0.975, n - 1) * out->stdev / sqrt(n);
	out->ci_low = out->mean - half;
	out->ci_high = out->mean + half;
	if (out->mean != 0)
		out->ci_rel = half / fabs(out->mean);
}

size_t vb_stats_mad_outliers(const double *x, size_t n, double threshold, bool *flags)
{
	double *v, med, mad;
	size_t count = 0;

	if (n == 0)
		return 0;

	v = vb_stats_alloc(n, sizeof(*v));
	memcpy(v, x, n * sizeof(*v));
	qsort(v, n, sizeof(*v), vb_cmp_double);
	med = vb_sorted_median(v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(x[i] - med);
	qsort(v, n, sizeof(*v), vb_cmp_double);
	mad = vb_sorted_median(v, n);
	free(v);

	for (size_t i = 0; i < n; i++) {
		double dev = fabs(x[i] - med);
		bool out = mad > 0 ? 0.6745 * dev / mad > threshold : dev > 0;

		if (flags)
			flags[i] = out;
		count += out;
	}
	return count;
}

bool vb_stats_cell_done(const struct vb_stop_rule *r, const struct vb_summary *s)
{
	size_t min_runs = r->min_runs < 2 ? 2 : r->min_runs;

	if (s->n >= r->max_runs)
		return true;
	if (s->n < min_runs || !(r->ci_target > 0))
		return false;
	return s->ci_rel <= r->ci_target;
}
