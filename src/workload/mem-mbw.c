/* SPDX-License-Identifier: MIT */
/*
 * w2 (§4.3): mbw's three methods on two buffers of `size` bytes, in mbw's
 * order (every loop of one method, then the next method):
 *
 *   MEMCPY   memcpy() of the whole buffer
 *   DUMB     a copy loop of 8-byte words, one load and one store per word
 *   MCBLOCK  memcpy() in blocks of `block` bytes (mbw's -b, default 256 KiB)
 *
 * Each method's bandwidth is mbw's AVG line: size x loops / total time, in
 * MiB/s. Both buffers are touched before timing so page faults are not
 * measured. Before each method the destination is cleared, and after its
 * loops it must equal the source, so each method proves its own copy.
 */
#include <sys/mman.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

struct mbw_opts {
	uint64_t size;
	uint64_t loops;
	uint64_t block;
};

enum mbw_method { MBW_MEMCPY, MBW_DUMB, MBW_MCBLOCK, MBW_NMETHODS };

static const char *const method_names[MBW_NMETHODS] = { "MEMCPY", "DUMB", "MCBLOCK" };

static int mbw_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct mbw_opts *opts = o;

	if (opts->block > opts->size)
		return vb_error_set(
		    err, -EINVAL, "mem.mbw: block=%llu bytes is larger than size=%llu bytes",
		    (unsigned long long)opts->block, (unsigned long long)opts->size);
	/* Two buffers; leave at least half of memory to everything else. */
	if (ctx->mem_total && opts->size > ctx->mem_total / 4)
		return vb_error_set(err, -EINVAL,
				    "mem.mbw: size=%llu MiB needs twice that, more than half of "
				    "the %llu MiB of memory here",
				    (unsigned long long)(opts->size >> 20),
				    (unsigned long long)(ctx->mem_total >> 20));
	return 0;
}

/*
 * mbw's DUMB loop, `b[t] = a[t]` over longs. Written by hand on purpose: the
 * point of the method is an element-by-element copy, not a library call.
 * Both sides are volatile-qualified, so the compiler must emit one 8-byte
 * load and one 8-byte store per word, in order: it can neither turn the loop
 * into a memcpy() call (-ftree-loop-distribute-patterns, on at -O2 since GCC
 * 10; clang's loop-idiom pass) nor widen it into vector moves. That is the
 * code Debian's mbw binary runs for DUMB (a scalar mov/mov loop).
 */
static void dumb_copy(void *dst, const void *src, size_t n)
{
	volatile uint64_t *d = dst;
	const volatile uint64_t *s = src;
	size_t words = n / sizeof(uint64_t);

	for (size_t i = 0; i < words; i++)
		d[i] = s[i];
	/* A size that is not a multiple of 8 (mbw's are whole MiB) ends bytewise. */
	volatile uint8_t *db = (volatile uint8_t *)dst + words * sizeof(uint64_t);
	const volatile uint8_t *sb = (const volatile uint8_t *)src + words * sizeof(uint64_t);
	for (size_t i = 0; i < n % sizeof(uint64_t); i++)
		db[i] = sb[i];
}

/* mbw's MCBLOCK loop: whole blocks, then the remainder. */
static void block_copy(char *dst, const char *src, size_t n, size_t block)
{
	size_t left = n;

	for (; left >= block; left -= block, src += block)
		dst = (char *)memcpy(dst, src, block) + block;
	if (left)
		memcpy(dst, src, left);
}

static void copy_once(enum mbw_method m, char *dst, const char *src, size_t n, size_t block)
{
	switch (m) {
	case MBW_MEMCPY:
		memcpy(dst, src, n);
		break;
	case MBW_DUMB:
		dumb_copy(dst, src, n);
		break;
	case MBW_MCBLOCK:
		block_copy(dst, src, n, block);
		break;
	default:
		VB_BUG("mbw method %d", (int)m);
	}
	/* Keep the compiler from proving a repeated copy dead. */
	__asm__ volatile("" : : "r"(dst) : "memory");
}

/* A pattern with no zero byte, so a byte a method failed to copy shows up. */
static void fill_source(char *src, size_t n)
{
	uint64_t *w = (uint64_t *)(void *)src;
	size_t words = n / sizeof(uint64_t);

	for (size_t i = 0; i < words; i++)
		w[i] = ((uint64_t)i * UINT64_C(0x9e3779b97f4a7c15)) | UINT64_C(0x0101010101010101);
	for (size_t i = words * sizeof(uint64_t); i < n; i++)
		src[i] = (char)0xa5;
}

/* Index of the first differing byte, or n. */
static size_t first_difference(const char *a, const char *b, size_t n)
{
	if (!memcmp(a, b, n))
		return n;
	size_t i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

static void unmap(void *p, size_t n)
{
	if (p != MAP_FAILED)
		munmap(p, n);
}

static int mbw_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		   struct vb_error **err)
{
	const struct mbw_opts *opts = o;
	size_t n = opts->size, block = opts->block;
	double bw[MBW_NMETHODS];
	int r = 0;

	/* Option bounds and check() normally catch these; run() stands on its own too. */
	if (n == 0 || block == 0 || block > n || opts->loops == 0)
		return vb_error_set(err, -EINVAL,
				    "mem.mbw: size=%zu, block=%zu, loops=%llu are not a valid set",
				    n, block, (unsigned long long)opts->loops);
	/* mmap rather than malloc: a failure is an error, not an abort. */
	char *src = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *dst = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		r = vb_error_errno(err, errno, "mem.mbw: cannot map 2 x %zu bytes", n);
		goto out;
	}
	fill_source(src, n);

	for (int m = 0; m < MBW_NMETHODS; m++) {
		double total = 0;

		memset(dst, 0, n);
		for (uint64_t l = 0; l < opts->loops; l++) {
			if (ctx->stop && *ctx->stop) {
				r = vb_error_set(err, -EINTR, "mem.mbw: stopped");
				goto out;
			}
			double t0 = vb_now();
			copy_once((enum mbw_method)m, dst, src, n, block);
			total += vb_now() - t0;
		}
		size_t bad = first_difference(src, dst, n);
		if (bad != n) {
			r = vb_error_set(err, -EIO,
					 "mem.mbw: after the %s method the copy differs from the "
					 "source at byte %zu of %zu",
					 method_names[m], bad, n);
			goto out;
		}
		if (!(total > 0)) {
			r = vb_error_set(err, -EIO,
					 "mem.mbw: %s of %zu bytes took no measurable time; use a "
					 "larger size",
					 method_names[m], n);
			goto out;
		}
		bw[m] = (double)n * (double)opts->loops / (double)VB_MIB / total;
	}
	if (ctx->log) {
		char msg[200];
		snprintf(msg, sizeof(msg),
			 "%zu bytes, %llu loops, block %zu: MEMCPY %.1f, DUMB %.1f, MCBLOCK %.1f "
			 "MiB/s, copies verified",
			 n, (unsigned long long)opts->loops, block, bw[MBW_MEMCPY], bw[MBW_DUMB],
			 bw[MBW_MCBLOCK]);
		ctx->log(ctx->log_data, msg);
	}
	for (int m = 0; m < MBW_NMETHODS; m++)
		values[m] = bw[m];
out:
	unmap(src, n);
	unmap(dst, n);
	return r;
}

static const struct vb_option mbw_options[] = {
	VB_OPTION("size", VB_OPT_SIZE, struct mbw_opts, size, 64 * VB_MIB, 256 * VB_MIB, 4 * VB_KIB,
		  64 * VB_GIB, "bytes per array (two are allocated); mbw's SIZE argument"),
	VB_OPTION("loops", VB_OPT_U64, struct mbw_opts, loops, 8, 10, 1, 100000,
		  "copies per method per sample (mbw -n)"),
	VB_OPTION("block", VB_OPT_SIZE, struct mbw_opts, block, 262144, 262144, 64, 64 * VB_GIB,
		  "block size of the MCBLOCK method (mbw -b); at most size"),
	{ 0 },
};

static const struct vb_metric_desc mbw_metrics[] = {
	{ "memcpy", "MiB/s", true, "MEMCPY: memcpy() of the whole array, mean over loops" },
	{ "dumb", "MiB/s", true, "DUMB: 8-byte word copy loop, mean over loops" },
	{ "mcblock", "MiB/s", true,
	  "MCBLOCK: memcpy() in blocks of `block` bytes, mean over loops" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_mem_mbw = {
	.name = "mem.mbw",
	.group = "w2",
	.summary = "mbw's MEMCPY, DUMB and MCBLOCK copy bandwidth between two arrays",
	.study_ref = "§4.3",
	.options = mbw_options,
	.opts_size = sizeof(struct mbw_opts),
	.metrics = mbw_metrics,
	.check = mbw_check,
	.run = mbw_run,
};
