/* SPDX-License-Identifier: MIT */
/*
 * system (§4.6): McCalpin's STREAM. Three arrays of doubles, laid out back to
 * back in one mapping as stream.c's static arrays are; ntimes iterations of
 *
 *   copy   c = a            scale  b = q * c
 *   add    c = a + b        triad  a = b + q * c
 *
 * each kernel timed on its own; the rate of a kernel is STREAM's "Best Rate":
 * bytes moved / fastest time, skipping the first iteration, in MB/s of 10^6
 * bytes. With threads > 1 each loop is split into contiguous slices, one per
 * pthread, and a barrier before and after every kernel brackets its time (as
 * the implicit barrier of STREAM's OpenMP loops does); each thread first
 * touches its own slice, as STREAM's parallel initialisation does.
 *
 * The arrays must be at least 4x the largest cache (STREAM's rule), so
 * elements=0 sizes them from sysfs. Afterwards the arrays are validated as
 * STREAM's checkSTREAMresults() does; a failed validation fails the sample.
 *
 * The kernels are hand-written: they are the benchmark, and no library
 * provides STREAM's loops.
 */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <sys/mman.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/sys-stream.h"

#define CACHE_DIR "/sys/devices/system/cpu/cpu0/cache"
/* When sysfs says nothing: a last-level cache as large as most servers have. */
#define FALLBACK_CACHE (32 * VB_MIB)
#define NKERNELS 4

struct stream_opts {
	uint64_t elements;
	uint64_t ntimes;
	uint64_t threads;
};

static const char *const kernel_names[NKERNELS] = { "copy", "scale", "add", "triad" };
/* Arrays each kernel reads or writes, as STREAM counts bytes. */
static const unsigned kernel_arrays[NKERNELS] = { 2, 2, 3, 3 };

static int parse_cache_size(const char *text, uint64_t *bytes)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text)
		return -EINVAL;
	switch (*end) {
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end && *end != '\n')
		return -EINVAL;
	*bytes = v;
	return 0;
}

int vb_stream_largest_cache(const char *dir, uint64_t *bytes, unsigned *level)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t best = 0;
	unsigned best_level = 0;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		_cleanup_free_ char *size_path = NULL, *level_path = NULL, *type_path = NULL;
		_cleanup_free_ char *size = NULL, *lvl = NULL, *type = NULL;
		uint64_t b;
		uint64_t l = 0;

		if (strncmp(de->d_name, "index", 5))
			continue;
		size_path = xasprintf("%s/%s/size", dir, de->d_name);
		level_path = xasprintf("%s/%s/level", dir, de->d_name);
		type_path = xasprintf("%s/%s/type", dir, de->d_name);
		if (vb_read_file(size_path, 64, &size, NULL) || parse_cache_size(size, &b))
			continue;
		/* An instruction cache holds no STREAM data. */
		if (!vb_read_file(type_path, 64, &type, NULL) && !strncmp(type, "Instruction", 11))
			continue;
		if (!vb_read_file(level_path, 64, &lvl, NULL)) {
			lvl[strcspn(lvl, "\n")] = '\0';
			if (vb_parse_u64(lvl, &l))
				l = 0;
		}
		if (b > best) {
			best = b;
			best_level = (unsigned)l;
		}
	}
	closedir(d);
	if (!best)
		return -ENOENT;
	*bytes = best;
	*level = best_level;
	return 0;
}

/* The array length in elements, and where the cache size it follows came from. */
static uint64_t stream_elements(const struct stream_opts *opts, uint64_t *cache, unsigned *level)
{
	*cache = 0;
	*level = 0;
	if (opts->elements)
		return opts->elements;
	if (vb_stream_largest_cache(CACHE_DIR, cache, level)) {
		*cache = FALLBACK_CACHE;
		*level = 0;
	}
	return 4 * *cache / sizeof(double);
}

static int stream_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct stream_opts *opts = o;
	uint64_t cache;
	unsigned level;
	uint64_t n = stream_elements(opts, &cache, &level);

	/* Three arrays; leave at least half of memory to everything else. */
	if (ctx->mem_total && n > ctx->mem_total / 2 / 3 / sizeof(double))
		return vb_error_set(
		    err, -EINVAL,
		    "sys.stream: elements=%llu%s needs 3 x %llu MiB, more than half "
		    "of the %llu MiB of memory here",
		    (unsigned long long)n, opts->elements ? "" : " (automatic)",
		    (unsigned long long)(n * sizeof(double) >> 20),
		    (unsigned long long)(ctx->mem_total >> 20));
	return 0;
}

int vb_stream_validate(const double *a, const double *b, const double *c, size_t n, unsigned ntimes,
		       struct vb_error **err)
{
	const double scalar = VB_STREAM_SCALAR;
	double aj = 1.0, bj = 2.0, cj = 0.0;
	double asum = 0, bsum = 0, csum = 0;

	if (n == 0)
		return vb_error_set(err, -EINVAL, "sys.stream: nothing to validate");
	/* The initialisation, the timing-granularity pass, then ntimes iterations. */
	aj = 2.0 * aj;
	for (unsigned k = 0; k < ntimes; k++) {
		cj = aj;
		bj = scalar * cj;
		cj = aj + bj;
		aj = bj + scalar * cj;
	}
	for (size_t j = 0; j < n; j++) {
		asum += fabs(a[j] - aj);
		bsum += fabs(b[j] - bj);
		csum += fabs(c[j] - cj);
	}
	const double avg[3] = { asum / (double)n, bsum / (double)n, csum / (double)n };
	const double want[3] = { aj, bj, cj };
	for (int i = 0; i < 3; i++) {
		double rel = fabs(avg[i] / want[i]);
		/* Written so that a NaN fails, where stream.c's `>` would let it pass. */
		if (!(rel <= VB_STREAM_EPSILON))
			return vb_error_set(err, -EIO,
					    "sys.stream: validation failed on array %c: average "
					    "relative error %g exceeds %g (expected %g, average "
					    "absolute error %g)",
					    "abc"[i], rel, VB_STREAM_EPSILON, want[i], avg[i]);
	}
	return 0;
}

struct stream_shared {
	double *a, *b, *c;
	size_t n;
	unsigned ntimes, nthreads;
	double *times; /* [NKERNELS][ntimes] */
	volatile sig_atomic_t *stop;
	bool quit; /* written by thread 0 between barriers */
	pthread_barrier_t barrier;
	/* Start gate: no thread enters a barrier until every thread exists. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int gate; /* 0 wait, 1 go, -1 abandon */
};

struct stream_thread {
	struct stream_shared *sh;
	unsigned id;
	size_t lo, hi;
};

static void sync_threads(struct stream_shared *sh)
{
	if (sh->nthreads > 1)
		pthread_barrier_wait(&sh->barrier);
}

static bool pass_gate(struct stream_shared *sh)
{
	if (sh->nthreads == 1)
		return true;
	pthread_mutex_lock(&sh->lock);
	while (!sh->gate)
		pthread_cond_wait(&sh->cond, &sh->lock);
	bool go = sh->gate > 0;
	pthread_mutex_unlock(&sh->lock);
	return go;
}

static void open_gate(struct stream_shared *sh, int state)
{
	pthread_mutex_lock(&sh->lock);
	sh->gate = state;
	pthread_cond_broadcast(&sh->cond);
	pthread_mutex_unlock(&sh->lock);
}

static void kernel_copy(double *restrict c, const double *restrict a, size_t lo, size_t hi)
{
	for (size_t j = lo; j < hi; j++)
		c[j] = a[j];
}

static void kernel_scale(double *restrict b, const double *restrict c, double q, size_t lo,
			 size_t hi)
{
	for (size_t j = lo; j < hi; j++)
		b[j] = q * c[j];
}

static void kernel_add(double *restrict c, const double *restrict a, const double *restrict b,
		       size_t lo, size_t hi)
{
	for (size_t j = lo; j < hi; j++)
		c[j] = a[j] + b[j];
}

static void kernel_triad(double *restrict a, const double *restrict b, const double *restrict c,
			 double q, size_t lo, size_t hi)
{
	for (size_t j = lo; j < hi; j++)
		a[j] = b[j] + q * c[j];
}

static void *stream_worker(void *arg)
{
	struct stream_thread *t = arg;
	struct stream_shared *sh = t->sh;
	double *a = sh->a, *b = sh->b, *c = sh->c;
	const double q = VB_STREAM_SCALAR;
	size_t lo = t->lo, hi = t->hi;
	bool lead = t->id == 0;

	if (!pass_gate(sh))
		return NULL;
	for (size_t j = lo; j < hi; j++) {
		a[j] = 1.0;
		b[j] = 2.0;
		c[j] = 0.0;
	}
	/* stream.c's clock-granularity pass, which the validation expects. */
	for (size_t j = lo; j < hi; j++)
		a[j] = 2.0 * a[j];

	for (unsigned k = 0; k < sh->ntimes; k++) {
		double t0 = 0, t1;

		if (lead)
			sh->quit = sh->stop && *sh->stop;
		sync_threads(sh);
		if (sh->quit)
			break;
		if (lead)
			t0 = vb_now();
		kernel_copy(c, a, lo, hi);
		sync_threads(sh);
		if (lead) {
			t1 = vb_now();
			sh->times[0 * sh->ntimes + k] = t1 - t0;
			t0 = t1;
		}
		kernel_scale(b, c, q, lo, hi);
		sync_threads(sh);
		if (lead) {
			t1 = vb_now();
			sh->times[1 * sh->ntimes + k] = t1 - t0;
			t0 = t1;
		}
		kernel_add(c, a, b, lo, hi);
		sync_threads(sh);
		if (lead) {
			t1 = vb_now();
			sh->times[2 * sh->ntimes + k] = t1 - t0;
			t0 = t1;
		}
		kernel_triad(a, b, c, q, lo, hi);
		sync_threads(sh);
		if (lead)
			sh->times[3 * sh->ntimes + k] = vb_now() - t0;
	}
	return NULL;
}

/* Run the workers; the calling thread is worker 0. */
static int run_threads(struct stream_shared *sh, struct vb_error **err)
{
	unsigned nt = sh->nthreads;
	_cleanup_free_ struct stream_thread *th = xcalloc(nt, sizeof(*th));
	_cleanup_free_ pthread_t *tids = xcalloc(nt, sizeof(*tids));
	unsigned started = 1;
	int r = 0;

	for (unsigned i = 0; i < nt; i++) {
		th[i].sh = sh;
		th[i].id = i;
		th[i].lo = sh->n * i / nt;
		th[i].hi = sh->n * (i + 1) / nt;
	}
	if (nt == 1) {
		stream_worker(&th[0]);
		return 0;
	}
	r = pthread_barrier_init(&sh->barrier, NULL, nt);
	if (r)
		return vb_error_errno(err, r, "sys.stream: cannot create a barrier");
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->cond, NULL);
	sh->gate = 0;
	for (; started < nt; started++) {
		r = pthread_create(&tids[started], NULL, stream_worker, &th[started]);
		if (r)
			break;
	}
	if (r) {
		open_gate(sh, -1);
		vb_error_errno(err, r, "sys.stream: cannot start thread %u of %u", started + 1, nt);
	} else {
		open_gate(sh, 1);
		stream_worker(&th[0]);
	}
	for (unsigned i = 1; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_cond_destroy(&sh->cond);
	pthread_mutex_destroy(&sh->lock);
	pthread_barrier_destroy(&sh->barrier);
	return r ? -r : 0;
}

static int stream_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		      struct vb_error **err)
{
	const struct stream_opts *opts = o;
	uint64_t cache;
	unsigned level;
	uint64_t n = stream_elements(opts, &cache, &level);
	double rate[NKERNELS];
	int r;

	if (opts->ntimes < 2 || opts->threads < 1 || n == 0 || n > SIZE_MAX / 3 / sizeof(double))
		return vb_error_set(
		    err, -EINVAL,
		    "sys.stream: elements=%llu, ntimes=%llu, threads=%llu are not a valid set",
		    (unsigned long long)n, (unsigned long long)opts->ntimes,
		    (unsigned long long)opts->threads);
	size_t bytes = (size_t)n * 3 * sizeof(double);
	/* mmap rather than malloc: a failure is an error, not an abort. */
	double *base =
	    mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return vb_error_errno(err, errno, "sys.stream: cannot map 3 x %llu doubles",
				      (unsigned long long)n);
	_cleanup_free_ double *times = xcalloc(NKERNELS * opts->ntimes, sizeof(double));
	struct stream_shared sh = {
		.a = base,
		.b = base + n,
		.c = base + 2 * n,
		.n = (size_t)n,
		.ntimes = (unsigned)opts->ntimes,
		.nthreads = (unsigned)opts->threads,
		.times = times,
		.stop = ctx->stop,
	};

	r = run_threads(&sh, err);
	if (r)
		goto out;
	if (sh.quit) {
		r = vb_error_set(err, -EINTR, "sys.stream: stopped");
		goto out;
	}
	r = vb_stream_validate(sh.a, sh.b, sh.c, sh.n, sh.ntimes, err);
	if (r)
		goto out;
	for (int k = 0; k < NKERNELS; k++) {
		double best = INFINITY;

		/* As stream.c: the first iteration warms up and is not counted. */
		for (unsigned i = 1; i < sh.ntimes; i++)
			best = fmin(best, times[k * sh.ntimes + i]);
		if (!(best > 0) || !isfinite(best)) {
			r = vb_error_set(err, -EIO,
					 "sys.stream: %s of %llu elements took no measurable "
					 "time; use more elements",
					 kernel_names[k], (unsigned long long)n);
			goto out;
		}
		rate[k] = 1e-6 * (double)kernel_arrays[k] * sizeof(double) * (double)n / best;
	}
	if (ctx->log) {
		char msg[256], origin[96] = "";

		if (!opts->elements && level)
			snprintf(origin, sizeof(origin), " (4 x the %llu KiB L%u cache)",
				 (unsigned long long)(cache >> 10), level);
		else if (!opts->elements)
			snprintf(origin, sizeof(origin),
				 " (4 x %llu MiB: cache size unreadable in " CACHE_DIR ")",
				 (unsigned long long)(cache >> 20));
		snprintf(msg, sizeof(msg),
			 "%llu elements per array%s, ntimes=%u, threads=%u: copy %.1f, scale %.1f, "
			 "add %.1f, triad %.1f MB/s; solution validates",
			 (unsigned long long)n, origin, sh.ntimes, sh.nthreads, rate[0], rate[1],
			 rate[2], rate[3]);
		ctx->log(ctx->log_data, msg);
	}
	for (int k = 0; k < NKERNELS; k++)
		values[k] = rate[k];
out:
	munmap(base, bytes);
	return r;
}

static const struct vb_option stream_options[] = {
	VB_OPTION("elements", VB_OPT_U64, struct stream_opts, elements, 0, 0, 0, UINT64_C(1) << 34,
		  "doubles per array; 0 = 4 x the largest CPU cache (STREAM's rule)"),
	VB_OPTION("ntimes", VB_OPT_U64, struct stream_opts, ntimes, 3, 10, 2, 200,
		  "iterations; the best of all but the first is reported (STREAM's NTIMES)"),
	VB_OPTION("threads", VB_OPT_U64, struct stream_opts, threads, 1, 1, 1, 1024,
		  "threads, each taking a contiguous slice of every loop"),
	{ 0 },
};

static const struct vb_metric_desc stream_metrics[] = {
	{ "copy", "MB/s", true, "c = a; best rate, 10^6 bytes/s" },
	{ "scale", "MB/s", true, "b = q*c; best rate, 10^6 bytes/s" },
	{ "add", "MB/s", true, "c = a + b; best rate, 10^6 bytes/s" },
	{ "triad", "MB/s", true, "a = b + q*c; best rate, 10^6 bytes/s" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_sys_stream = {
	.name = "sys.stream",
	.group = "system",
	.summary = "STREAM copy/scale/add/triad memory bandwidth, validated as stream.c does",
	.study_ref = "§4.6",
	.options = stream_options,
	.opts_size = sizeof(struct stream_opts),
	.metrics = stream_metrics,
	.check = stream_check,
	.run = stream_run,
};
