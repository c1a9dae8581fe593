/* SPDX-License-Identifier: MIT */
/* Unit tests for sys.stream and sys.linpack, run directly with tiny options. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

#include "test.h"
#include "wl-test.h"
#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/sys-linpack.h"
#include "workload/sys-stream.h"

#define MIB ((uint64_t)1 << 20)

extern const struct vb_workload_ops vb_workload_sys_stream;
extern const struct vb_workload_ops vb_workload_sys_linpack;

/* From libopenblas, which sys.linpack links. */
int openblas_get_num_threads(void);

static uint64_t host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	return pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
}

/* ---- sys.stream ---- */

static void test_stream_descriptors(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_stream;
	static const char *const names[] = { "copy", "scale", "add", "triad" };

	CHECK(!strcmp(w->name, "sys.stream"));
	CHECK(!strcmp(w->group, "system"));
	CHECK(!strcmp(w->study_ref, "§4.6"));
	CHECK(vb_workload_nmetrics(w) == 4);
	for (size_t i = 0; i < 4 && i < vb_workload_nmetrics(w); i++) {
		CHECK(!strcmp(w->metrics[i].name, names[i]));
		CHECK(!strcmp(w->metrics[i].unit, "MB/s"));
		CHECK(w->metrics[i].higher_is_better);
	}
	const struct vb_option *ntimes = vb_workload_option(w, "ntimes");
	CHECK(ntimes && ntimes->def[VB_PROFILE_FULL] == 10 && ntimes->min == 2);
}

static void test_stream_run(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_stream;
	struct log_capture log = { 0 };
	struct vb_workload_ctx ctx = {
		.online_cpus = 2, .mem_total = 1024 * MIB, .log = capture_log, .log_data = &log
	};
	struct vb_error *err = NULL;
	double values[4];

	/* run() validates the arrays as STREAM does: 0 is that check. */
	static const char *const threads[] = { "1", "2", "3", "7" };
	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		void *opts =
		    make_opts(w, "elements", "200003", "ntimes", "4", "threads", threads[t], NULL);

		log.n = 0;
		CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "threads %s: %s", threads[t],
			  err ? err->msg : "");
		vb_error_free(&err);
		for (int k = 0; k < 4; k++)
			CHECK_MSG(isfinite(values[k]) && values[k] > 0, "threads %s metric %d = %g",
				  threads[t], k, values[k]);
		CHECK(log.n == 1);
		CHECK_MSG(strstr(log.last, "solution validates") &&
			      strstr(log.last, "200003 elements"),
			  "%s", log.last);
		free(opts);
	}

	/* More threads than elements: some threads get empty slices. */
	void *opts = make_opts(w, "elements", "3", "ntimes", "2", "threads", "5", NULL);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	free(opts);
}

/* The quick profile: arrays sized from the CPU caches, as a first run uses them. */
static void test_stream_automatic(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_stream;
	struct log_capture log = { 0 };
	struct vb_workload_ctx ctx = {
		.online_cpus = 1, .mem_total = host_memory(), .log = capture_log, .log_data = &log
	};
	struct vb_error *err = NULL;
	double values[4];
	uint64_t cache;
	unsigned level;
	void *opts = make_opts(w, "ntimes", "2", NULL);

	if (vb_stream_largest_cache("/sys/devices/system/cpu/cpu0/cache", &cache, &level)) {
		cache = 32 * MIB;
		level = 0;
	}
	uint64_t n = 4 * cache / sizeof(double);
	/* The automatic size is 4 x the cache per array: exactly half of memory fits... */
	struct vb_workload_ctx small = { .online_cpus = 1, .mem_total = 2 * 3 * n * 8 };
	CHECK_MSG(w->check(opts, &small, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	/* ...a page less does not, and the message says the size was automatic. */
	small.mem_total -= 4096;
	CHECK(w->check(opts, &small, &err) == -EINVAL);
	CHECK_MSG(err && strstr(err->msg, "sys.stream") && strstr(err->msg, "elements") &&
		      strstr(err->msg, "automatic"),
		  "%s", err ? err->msg : "");
	vb_error_free(&err);

	if (!ctx.mem_total || 2 * 3 * n * 8 > ctx.mem_total / 2) {
		free(opts);
		SKIP("not enough memory here for STREAM arrays of 4 x the cache");
	}
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	for (int k = 0; k < 4; k++)
		CHECK(isfinite(values[k]) && values[k] > 0);
	char want[64];
	snprintf(want, sizeof(want), "%llu elements per array", (unsigned long long)n);
	CHECK_MSG(strstr(log.last, want) != NULL, "want '%s' in '%s'", want, log.last);
	free(opts);
}

/* Replay STREAM on small arrays with plain loops, to feed the validation. */
static void stream_replay(double *a, double *b, double *c, size_t n, unsigned ntimes)
{
	const double q = VB_STREAM_SCALAR;

	for (size_t j = 0; j < n; j++) {
		a[j] = 2.0;
		b[j] = 2.0;
		c[j] = 0.0;
	}
	for (unsigned k = 0; k < ntimes; k++) {
		for (size_t j = 0; j < n; j++)
			c[j] = a[j];
		for (size_t j = 0; j < n; j++)
			b[j] = q * c[j];
		for (size_t j = 0; j < n; j++)
			c[j] = a[j] + b[j];
		for (size_t j = 0; j < n; j++)
			a[j] = b[j] + q * c[j];
	}
}

static void test_stream_validation(void)
{
	enum { N = 1000, NTIMES = 10 };
	_cleanup_free_ double *a = xcalloc(N, sizeof(double));
	_cleanup_free_ double *b = xcalloc(N, sizeof(double));
	_cleanup_free_ double *c = xcalloc(N, sizeof(double));
	struct vb_error *err = NULL;

	stream_replay(a, b, c, N, NTIMES);
	CHECK_MSG(vb_stream_validate(a, b, c, N, NTIMES, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	/* The expected values after 10 iterations: a grows 15x per iteration. */
	CHECK_NEAR(a[0], 2.0 * pow(15, NTIMES), 1);

	/* A wrong iteration count is a wrong answer everywhere. */
	CHECK(vb_stream_validate(a, b, c, N, NTIMES - 1, &err) == -EIO);
	vb_error_free(&err);

	/* One element off by 1% in b: average relative error 1e-5, far above 1e-13. */
	double saved = b[N / 2];
	b[N / 2] *= 1.01;
	CHECK(vb_stream_validate(a, b, c, N, NTIMES, &err) == -EIO);
	CHECK_MSG(err && strstr(err->msg, "sys.stream") && strstr(err->msg, "array b"), "%s",
		  err ? err->msg : "");
	vb_error_free(&err);
	b[N / 2] = saved;

	/* A NaN, which stream.c's `error > epsilon` test would let through. */
	c[7] = NAN;
	CHECK(vb_stream_validate(a, b, c, N, NTIMES, &err) == -EIO);
	CHECK(err && strstr(err->msg, "array c"));
	vb_error_free(&err);
	c[7] = 0; /* wrong but finite */
	CHECK(vb_stream_validate(a, b, c, N, NTIMES, &err) == -EIO);
	vb_error_free(&err);

	/* A last element that a thread never wrote. */
	stream_replay(a, b, c, N, NTIMES);
	a[N - 1] = 0;
	CHECK(vb_stream_validate(a, b, c, N, NTIMES, &err) == -EIO);
	CHECK(err && strstr(err->msg, "array a"));
	vb_error_free(&err);
	CHECK(vb_stream_validate(a, b, c, 0, NTIMES, &err) == -EINVAL);
	vb_error_free(&err);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void make_cache(const char *root, const char *index, const char *level, const char *type,
		       const char *size)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", root, index);

	CHECK(mkdir(dir, 0755) == 0);
	if (level)
		write_text(dir, "level", level);
	if (type)
		write_text(dir, "type", type);
	if (size)
		write_text(dir, "size", size);
}

static void test_stream_cache_sysfs(void)
{
	char root[] = "/tmp/vb-test-cache-XXXXXX";
	uint64_t bytes = 0;
	unsigned level = 0;

	if (!mkdtemp(root))
		SKIP("cannot create a temporary directory");
	CHECK(vb_stream_largest_cache(root, &bytes, &level) == -ENOENT);
	make_cache(root, "index0", "1\n", "Data\n", "48K\n");
	make_cache(root, "index1", "1\n", "Instruction\n", "65536K\n"); /* never counts */
	make_cache(root, "index2", "2\n", "Unified\n", "1280K\n");
	CHECK(vb_stream_largest_cache(root, &bytes, &level) == 0);
	CHECK_MSG(bytes == 1280 * 1024 && level == 2, "%llu bytes, level %u",
		  (unsigned long long)bytes, level);
	make_cache(root, "index3", "3\n", "Unified\n", "48M\n");
	make_cache(root, "index4", "4\n", "Unified\n", "garbage\n"); /* unreadable: skipped */
	make_cache(root, "index5", "4\n", "Unified\n", NULL);
	CHECK(vb_stream_largest_cache(root, &bytes, &level) == 0);
	CHECK_MSG(bytes == 48 * MIB && level == 3, "%llu bytes, level %u",
		  (unsigned long long)bytes, level);
	CHECK(vb_rm_rf(root) == 0);
	CHECK(vb_stream_largest_cache(root, &bytes, &level) == -ENOENT);
}

static void test_stream_bad_options(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_stream;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .mem_total = 64 * MIB };
	struct vb_error *err = NULL;
	void *opts;

	check_rejected(w, "threads", "0");
	check_rejected(w, "ntimes", "1");
	check_rejected(w, "ntimes", "0");
	check_rejected(w, "elements", "99999999999999");

	/* 3 arrays in half of 64 MiB: 32 MiB / 24 bytes = 1398101 elements at most. */
	opts = make_opts(w, "elements", "1398101", NULL);
	CHECK_MSG(w->check(opts, &ctx, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	free(opts);
	opts = make_opts(w, "elements", "1398102", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK_MSG(err && strstr(err->msg, "sys.stream") && strstr(err->msg, "elements=1398102") &&
		      strstr(err->msg, "64 MiB"),
		  "%s", err ? err->msg : "");
	vb_error_free(&err);
	free(opts);
}

static void test_stream_stop(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_stream;
	volatile sig_atomic_t stop = 1;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .stop = &stop };
	struct vb_error *err = NULL;
	double values[4] = { -1, -1, -1, -1 };

	for (int threads = 1; threads <= 2; threads++) {
		char t[4];

		snprintf(t, sizeof(t), "%d", threads);
		void *opts =
		    make_opts(w, "elements", "100000", "ntimes", "200", "threads", t, NULL);
		CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
		CHECK(err && strstr(err->msg, "stopped"));
		CHECK(values[0] == -1 && values[3] == -1);
		vb_error_free(&err);
		free(opts);
	}
}

/* ---- sys.linpack ---- */

static void test_linpack_descriptors(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_linpack;

	CHECK(!strcmp(w->name, "sys.linpack"));
	CHECK(!strcmp(w->group, "system"));
	CHECK(!strcmp(w->study_ref, "§4.6"));
	CHECK(vb_workload_nmetrics(w) == 2);
	if (vb_workload_nmetrics(w) != 2)
		return;
	CHECK(!strcmp(w->metrics[0].name, "gflops") && w->metrics[0].higher_is_better);
	CHECK(!strcmp(w->metrics[1].name, "elapsed") && !w->metrics[1].higher_is_better);
	CHECK(!strcmp(w->metrics[1].unit, "s"));
}

static void test_linpack_run(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_linpack;
	struct log_capture log = { 0 };
	struct vb_workload_ctx ctx = {
		.online_cpus = 2, .mem_total = 1024 * MIB, .log = capture_log, .log_data = &log
	};
	struct vb_error *err = NULL;
	double values[2];
	int before = openblas_get_num_threads();

	static const char *const sets[][2] = {
		{ "300", "1" }, { "257", "0" }, { "64", "2" }, { "1", "1" }, { "2", "0" },
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		void *opts = make_opts(w, "n", sets[i][0], "threads", sets[i][1], NULL);

		log.n = 0;
		CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "n=%s: %s", sets[i][0],
			  err ? err->msg : "");
		vb_error_free(&err);
		CHECK_MSG(isfinite(values[0]) && values[0] > 0, "gflops %g", values[0]);
		CHECK_MSG(isfinite(values[1]) && values[1] > 0, "elapsed %g", values[1]);
		CHECK(log.n == 1 && strstr(log.last, "scaled residual"));
		/* The residual in the log is HPL's, and far below its threshold. */
		const char *p = strstr(log.last, "scaled residual ");
		double resid = p ? strtod(p + strlen("scaled residual "), NULL) : -1;
		CHECK_MSG(resid >= 0 && resid < 1, "n=%s: residual %g", sets[i][0], resid);
		/* GFLOPS and time are two views of one measurement. */
		double n = strtod(sets[i][0], NULL);
		CHECK_NEAR(values[0] * values[1] * 1e9, 2.0 / 3 * n * n * n + 2 * n * n,
			   1e-6 * (n * n * n + 2 * n * n));
		free(opts);
	}
	/* threads=N is for the run only: OpenBLAS's own count is back afterwards. */
	CHECK(openblas_get_num_threads() == before);
}

/* A random matrix generated in the test, column-major. */
static void random_system(size_t n, double *a, double *b, unsigned seed)
{
	srand(seed);
	for (size_t i = 0; i < n * n; i++)
		a[i] = (double)rand() / RAND_MAX - 0.5;
	for (size_t i = 0; i < n; i++)
		b[i] = (double)rand() / RAND_MAX - 0.5;
}

static void test_linpack_residual(void)
{
	enum { N = 120 };
	_cleanup_free_ double *a = xmalloc(N * N * sizeof(double));
	_cleanup_free_ double *a0 = xmalloc(N * N * sizeof(double));
	_cleanup_free_ double *x = xmalloc(N * sizeof(double));
	_cleanup_free_ double *b0 = xmalloc(N * sizeof(double));
	struct vb_error *err = NULL;
	double resid = -1;

	random_system(N, a0, b0, 7);
	memcpy(a, a0, N * N * sizeof(double));
	memcpy(x, b0, N * sizeof(double));
	CHECK(vb_linpack_solve(N, a, x, &err) == 0);
	vb_error_free(&err);
	CHECK(vb_linpack_residual(N, a0, x, b0, &resid, &err) == 0);
	vb_error_free(&err);
	CHECK_MSG(resid >= 0 && resid < 1, "residual %g", resid);

	/* A corrupted solution: one component off by 1e-6. */
	x[N / 3] += 1e-6;
	CHECK(vb_linpack_residual(N, a0, x, b0, &resid, &err) == -EIO);
	CHECK_MSG(resid > VB_LINPACK_THRESHOLD, "residual %g", resid);
	CHECK_MSG(err && strstr(err->msg, "sys.linpack") && strstr(err->msg, "residual"), "%s",
		  err ? err->msg : "");
	vb_error_free(&err);
	x[N / 3] -= 1e-6;
	/* A NaN anywhere fails as well. */
	x[0] = NAN;
	CHECK(vb_linpack_residual(N, a0, x, b0, &resid, &err) == -EIO);
	vb_error_free(&err);

	/* The solve of a different b is not a solution of this one. */
	random_system(N, a0, b0, 7);
	memcpy(a, a0, N * N * sizeof(double));
	for (size_t i = 0; i < N; i++)
		x[i] = b0[i] * 2 + 0.1;
	CHECK(vb_linpack_solve(N, a, x, &err) == 0);
	CHECK(vb_linpack_residual(N, a0, x, b0, &resid, &err) == -EIO);
	vb_error_free(&err);
}

static void test_linpack_singular(void)
{
	enum { N = 50 };
	_cleanup_free_ double *a = xmalloc(N * N * sizeof(double));
	_cleanup_free_ double *b = xmalloc(N * sizeof(double));
	struct vb_error *err = NULL;

	/* A zero column. */
	random_system(N, a, b, 3);
	for (size_t i = 0; i < N; i++)
		a[10 * N + i] = 0;
	CHECK(vb_linpack_solve(N, a, b, &err) == -EIO);
	CHECK_MSG(err && strstr(err->msg, "sys.linpack") && strstr(err->msg, "singular"), "%s",
		  err ? err->msg : "");
	vb_error_free(&err);

	/* Two equal columns (exactly representable values, so the pivot is an exact zero). */
	for (size_t j = 0; j < N; j++)
		for (size_t i = 0; i < N; i++)
			a[j * N + i] = (double)((i * 7 + j * 13) % 17) - 8;
	for (size_t i = 0; i < N; i++)
		a[1 * N + i] = a[0 * N + i];
	for (size_t i = 0; i < N; i++)
		b[i] = 1;
	CHECK(vb_linpack_solve(N, a, b, &err) == -EIO);
	vb_error_free(&err);

	/* The all-zero 1 x 1 system. */
	a[0] = 0;
	b[0] = 1;
	CHECK(vb_linpack_solve(1, a, b, &err) == -EIO);
	vb_error_free(&err);
	CHECK(vb_linpack_solve(0, a, b, &err) == -EINVAL);
	vb_error_free(&err);
}

static void test_linpack_bad_options(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_linpack;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .mem_total = 64 * MIB };
	struct vb_error *err = NULL;
	void *opts;

	check_rejected(w, "n", "0");
	check_rejected(w, "n", "1000000");
	check_rejected(w, "threads", "100000");

	/* A and its copy in half of 64 MiB: 2 n^2 x 8 <= 32 MiB, n <= 1448. */
	opts = make_opts(w, "n", "1448", NULL);
	CHECK_MSG(w->check(opts, &ctx, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	free(opts);
	opts = make_opts(w, "n", "1449", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK_MSG(err && strstr(err->msg, "sys.linpack") && strstr(err->msg, "n=1449") &&
		      strstr(err->msg, "64 MiB"),
		  "%s", err ? err->msg : "");
	vb_error_free(&err);
	free(opts);
}

static void test_linpack_stop(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_linpack;
	volatile sig_atomic_t stop = 1;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .stop = &stop };
	struct vb_error *err = NULL;
	double values[2] = { -1, -1 };
	void *opts = make_opts(w, "n", "100", NULL);

	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	CHECK(err && strstr(err->msg, "stopped"));
	CHECK(values[0] == -1 && values[1] == -1);
	vb_error_free(&err);
	free(opts);
}

TEST_MAIN(T(test_stream_descriptors), T(test_stream_run), T(test_stream_automatic),
	  T(test_stream_validation), T(test_stream_cache_sysfs), T(test_stream_bad_options),
	  T(test_stream_stop), T(test_linpack_descriptors), T(test_linpack_run),
	  T(test_linpack_residual), T(test_linpack_singular), T(test_linpack_bad_options),
	  T(test_linpack_stop))
