/* SPDX-License-Identifier: MIT */
/*
 * The deterministic PRNG and the percentile bootstrap of a ratio of means.
 *
 * xoshiro256** and splitmix64 are Blackman & Vigna's public-domain
 * generators (https://prng.di.unimi.it/); they are a few lines each and a
 * fixed, documented stream matters more here than a library's choice, so
 * they are written out rather than taken from a dependency.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "virtbench/stats.h"

static uint64_t vb_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t vb_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void vb_rng_seed(struct vb_rng *r, uint64_t seed)
{
	/* splitmix64 never yields four zero words, the one state xoshiro must avoid */
	for (int i = 0; i < 4; i++)
		r->s[i] = vb_splitmix64(&seed);
}

uint64_t vb_rng_next(struct vb_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = vb_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = vb_rotl(s[3], 45);
	return result;
}

double vb_rng_uniform(struct vb_rng *r)
{
	return (double)(vb_rng_next(r) >> 11) * 0x1.0p-53;
}

double vb_rng_normal(struct vb_rng *r)
{
	/*
	 * Box-Muller, keeping only the cosine half: struct vb_rng has no room
	 * to cache the second variate. 1 - u lies in (0, 1], so log() is finite.
	 */
	double u1 = 1 - vb_rng_uniform(r), u2 = vb_rng_uniform(r);

	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* A uniform index in [0, n); the bias of scaling 53 bits is below 2^-53 * n. */
static size_t vb_rng_index(struct vb_rng *r, size_t n)
{
	size_t i = (size_t)(vb_rng_uniform(r) * (double)n);

	return i < n ? i : n - 1;
}

static double vb_mean(const double *x, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return sum / n;
}

static double vb_resample_mean(struct vb_rng *r, const double *x, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += x[vb_rng_index(r, n)];
	return sum / n;
}

/* NaN sorts last so that a 0/0 resample cannot break qsort's ordering. */
static int vb_cmp_ratio(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return (a > b) - (a < b);
}

/* Linearly interpolated percentile (Hyndman & Fan type 7) of sorted v[0..n-1]. */
static double vb_percentile(const double *v, size_t n, double p)
{
	double h = (n - 1) * p, frac;
	size_t i = (size_t)h;

	if (i >= n - 1)
		return v[n - 1];
	frac = h - (double)i;
	if (frac == 0)
		return v[i];
	return v[i] + frac * (v[i + 1] - v[i]);
}

int vb_stats_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb,
			     unsigned iterations, uint64_t seed, struct vb_ratio *out)
{
	struct vb_rng rng;
	double ma, mb, *ratios;

	out->ratio = out->low = out->high = NAN;
	if (na == 0 || nb == 0)
		return -EINVAL;
	ma = vb_mean(a, na);
	mb = vb_mean(b, nb);
	if (mb == 0)
		return -EINVAL;
	out->ratio = ma / mb;
	if (na < 2 || nb < 2 || iterations == 0)
		return -EINVAL;

	ratios = calloc(iterations, sizeof(*ratios));
	if (!ratios)
		abort();

	vb_rng_seed(&rng, seed);
	for (unsigned i = 0; i < iterations; i++) {
		double ra = vb_resample_mean(&rng, a, na);
		double rb = vb_resample_mean(&rng, b, nb);

		/*
		 * rb can be 0 when b mixes signs or holds zeros: record +-inf,
		 * which sorts to an end, or NaN for 0/0, which sorts last.
		 */
		if (rb != 0)
			ratios[i] = ra / rb;
		else
			ratios[i] = ra == 0 ? NAN : copysign(INFINITY, ra);
	}
	qsort(ratios, iterations, sizeof(*ratios), vb_cmp_ratio);
	out->low = vb_percentile(ratios, iterations, 0.025);
	out->high = vb_percentile(ratios, iterations, 0.975);
	free(ratios);
	return 0;
}
