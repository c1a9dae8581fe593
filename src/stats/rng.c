/* SPDX-License-Identifier: MIT */
/*
 * The deterministic PRNG (the simulations of the unit tests use it).
 *
 * xoshiro256** and splitmix64 are Blackman & Vigna's public-domain
 * generators (https://prng.di.unimi.it/); they are a few lines each and a
 * fixed, documented stream matters more here than a library's choice, so
 * they are written out rather than taken from a dependency.
 */
#include <math.h>

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
