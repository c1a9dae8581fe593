/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the file workloads (disk.fileio, disk.latency, disk.copy,
 * sys.iozone, stress.io), run directly on tiny options in a mkdtemp scratch
 * directory. Byte counts are checked with the counters disk-common keeps for
 * every pread/pwrite and every file created/removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"
#include "wl-test.h"
#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/disk-common.h"

extern const struct vb_workload_ops vb_workload_disk_fileio;
extern const struct vb_workload_ops vb_workload_disk_latency;
extern const struct vb_workload_ops vb_workload_disk_copy;
extern const struct vb_workload_ops vb_workload_sys_iozone;
extern const struct vb_workload_ops vb_workload_stress_io;

#define KIB ((uint64_t)1 << 10)
#define MIB ((uint64_t)1 << 20)
#define SKIP_CODE 77

static const struct vb_workload_ops *const all[] = {
	&vb_workload_disk_fileio, &vb_workload_disk_latency, &vb_workload_disk_copy,
	&vb_workload_sys_iozone,  &vb_workload_stress_io,
};

static char *scratch_new(void)
{
	char *d = xstrdup("/tmp/vb-test-disk-XXXXXX");

	if (!mkdtemp(d)) {
		printf("# mkdtemp: %s\n", strerror(errno));
		free(d);
		return NULL;
	}
	return d;
}

/* Entries in dir other than . and ..; -1 when it cannot be read. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The scratch dir must be empty; then it goes. */
static void scratch_done(char *dir, const char *what)
{
	int n = dir_entries(dir);

	CHECK_MSG(n == 0, "%s: %d files left in the scratch directory", what, n);
	vb_rm_rf(dir);
	free(dir);
}

static uint64_t counter(atomic_uint_fast64_t *c)
{
	return (uint64_t)atomic_load(c);
}

static void check_metrics(const struct vb_workload_ops *w, const double *values)
{
	for (size_t i = 0; i < vb_workload_nmetrics(w); i++)
		CHECK_MSG(isfinite(values[i]) && values[i] > 0, "%s.%s = %g", w->name,
			  w->metrics[i].name, values[i]);
}

/* ---- metadata ---- */

static void test_metadata(void)
{
	static const char *const groups[] = { "w4", "w4", "w4", "system", "aggressor" };
	static const size_t nmetrics[] = { 5, 3, 3, 4, 3 };

	for (size_t i = 0; i < VB_ARRAY_SIZE(all); i++) {
		const struct vb_workload_ops *w = all[i];

		CHECK_MSG(!strcmp(w->group, groups[i]), "%s group %s", w->name, w->group);
		CHECK(vb_workload_nmetrics(w) == nmetrics[i]);
		CHECK(w->check != NULL && w->run != NULL && w->summary && w->study_ref);
		/* The full profile is the study's: 10,000 operations, 1024 MiB files. */
		void *full = xmalloc(w->opts_size);
		vb_options_defaults(w, VB_PROFILE_FULL, full);
		const struct vb_option *o = vb_workload_option(w, "ops");
		if (o)
			CHECK(vb_option_get(o, full) == 10000);
		o = vb_workload_option(w, "size");
		if (o && w == &vb_workload_disk_copy)
			CHECK(vb_option_get(o, full) == 1024 * MIB);
		free(full);
	}
	CHECK(!strcmp(vb_workload_disk_fileio.metrics[0].name, "seq_write"));
	CHECK(!strcmp(vb_workload_disk_fileio.metrics[4].name, "mixed"));
	CHECK(!vb_workload_disk_latency.metrics[0].higher_is_better);
	CHECK(!strcmp(vb_workload_disk_latency.metrics[1].name, "p99"));
	CHECK(!strcmp(vb_workload_disk_copy.metrics[1].name, "dsync"));
}

/* ---- each workload on tiny options ---- */

static void test_fileio(void)
{
	const struct vb_workload_ops *w = &vb_workload_disk_fileio;
	char *dir = scratch_new();
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 1 };
	struct vb_error *err = NULL;
	double v[5];

	if (!dir)
		SKIP("no scratch directory");
	/* read_pct 100 / 0 make the mixed phase all reads / all writes: exact counts. */
	static const char *const pct[] = { "100", "0", "70" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(pct); i++) {
		void *opts = make_opts(w, "file_size", "256K", "block", "4K", "ops", "100",
				       "read_pct", pct[i], NULL);
		uint64_t phase = 100 * 4 * KIB;

		vb_disk_counters_reset();
		CHECK_MSG(run_once(w, &ctx, opts, v, &err) == 0, "read_pct %s: %s", pct[i],
			  err ? err->msg : "");
		vb_error_free(&err);
		check_metrics(w, v);
		uint64_t wr = counter(&vb_disk_counters.written),
			 rd = counter(&vb_disk_counters.read);
		/* layout + seq write + rand write (+ mixed writes) */
		if (i == 0)
			CHECK_MSG(wr == 256 * KIB + 2 * phase && rd == 3 * phase,
				  "written %llu read %llu", (unsigned long long)wr,
				  (unsigned long long)rd);
		if (i == 1)
			CHECK_MSG(wr == 256 * KIB + 3 * phase && rd == 2 * phase,
				  "written %llu read %llu", (unsigned long long)wr,
				  (unsigned long long)rd);
		CHECK_MSG(wr + rd == 256 * KIB + 5 * phase, "written %llu + read %llu",
			  (unsigned long long)wr, (unsigned long long)rd);
		CHECK(counter(&vb_disk_counters.created) == 1);
		CHECK(counter(&vb_disk_counters.removed) == 1);
		CHECK(dir_entries(dir) == 0);
		free(opts);
	}

	/* A file that is not a whole number of blocks, fsync every 7 writes, more ops than blocks.
	 */
	void *opts =
	    make_opts(w, "file_size", "10000", "block", "4K", "ops", "50", "fsync", "7", NULL);
	vb_disk_counters_reset();
	CHECK_MSG(run_once(w, &ctx, opts, v, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	check_metrics(w, v);
	CHECK(counter(&vb_disk_counters.written) + counter(&vb_disk_counters.read) ==
	      10000 + 5 * 50 * 4 * KIB);
	free(opts);

	/* O_DIRECT where the filesystem has it (ext4, xfs, tmpfs on Linux >= 6.6). */
	opts = make_opts(w, "file_size", "1M", "block", "4K", "ops", "64", "direct", "1", NULL);
	int r = run_once(w, &ctx, opts, v, &err);
	if (r && err && strstr(err->msg, "O_DIRECT not supported"))
		printf("# %s: direct=1 not tested here: %s\n", w->name, err->msg);
	else
		CHECK_MSG(r == 0, "direct=1: %s", err ? err->msg : "");
	if (!r)
		check_metrics(w, v);
	vb_error_free(&err);
	free(opts);
	scratch_done(dir, w->name);
}

static void test_latency(void)
{
	const struct vb_workload_ops *w = &vb_workload_disk_latency;
	char *dir = scratch_new();
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 1 };
	struct vb_error *err = NULL;
	double v[3];

	if (!dir)
		SKIP("no scratch directory");
	for (int direct = 1; direct >= 0; direct--) {
		void *opts = make_opts(w, "file_size", "1M", "count", "200", "direct",
				       direct ? "1" : "0", NULL);
		vb_disk_counters_reset();
		int r = run_once(w, &ctx, opts, v, &err);
		free(opts);
		if (direct && r && err && strstr(err->msg, "O_DIRECT not supported")) {
			printf("# direct=1 not available here: %s\n", err->msg);
			vb_error_free(&err);
			continue;
		}
		CHECK_MSG(r == 0, "direct=%d: %s", direct, err ? err->msg : "");
		vb_error_free(&err);
		check_metrics(w, v);
		CHECK_MSG(v[0] <= v[1], "p50 %g > p99 %g", v[0], v[1]);
		CHECK_MSG(v[2] <= v[1] * 200, "mean %g, p99 %g", v[2], v[1]);
		/* One warm-up request plus `count`, 4 KiB each; the layout writes the file once. */
		CHECK(counter(&vb_disk_counters.read) == 201 * 4096);
		CHECK(counter(&vb_disk_counters.written) == MIB);
		CHECK(counter(&vb_disk_counters.created) == 1 &&
		      counter(&vb_disk_counters.removed) == 1);
	}

	/* interval_us is honoured: 20 pauses of 2 ms take at least 40 ms. */
	void *opts = make_opts(w, "file_size", "64K", "count", "20", "direct", "0", "interval_us",
			       "2000", NULL);
	double t0 = vb_now();
	CHECK_MSG(run_once(w, &ctx, opts, v, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK_MSG(vb_now() - t0 >= 0.040, "took %g s", vb_now() - t0);
	check_metrics(w, v);
	free(opts);
	scratch_done(dir, w->name);
}

static void test_copy(void)
{
	const struct vb_workload_ops *w = &vb_workload_disk_copy;
	char *dir = scratch_new();
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 1 };
	struct vb_error *err = NULL;
	double v[3];

	if (!dir)
		SKIP("no scratch directory");
	static const struct {
		const char *size, *block;
		uint64_t bytes, last;
	} cases[] = {
		{ "1M", "256K", MIB, 256 * KIB },
		{ "1048676", "256K", MIB + 100, 100 }, /* a short last chunk */
		{ "4K", "4K", 4 * KIB, 0 },	       /* a single chunk */
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(cases); i++) {
		void *opts = make_opts(w, "size", cases[i].size, "block", cases[i].block, NULL);
		uint64_t block = i == 2 ? 4 * KIB : 256 * KIB;

		vb_disk_counters_reset();
		CHECK_MSG(run_once(w, &ctx, opts, v, &err) == 0, "%s: %s", cases[i].size,
			  err ? err->msg : "");
		vb_error_free(&err);
		check_metrics(w, v);
		/* Three files written in full; the copy reads A once, then the first and last chunk
		 * of C. */
		CHECK(counter(&vb_disk_counters.written) == 3 * cases[i].bytes);
		CHECK_MSG(counter(&vb_disk_counters.read) == cases[i].bytes + block + cases[i].last,
			  "read %llu", (unsigned long long)counter(&vb_disk_counters.read));
		CHECK(counter(&vb_disk_counters.created) == 3 &&
		      counter(&vb_disk_counters.removed) == 3);
		CHECK(dir_entries(dir) == 0);
		free(opts);
	}
	scratch_done(dir, w->name);
}

static void test_iozone(void)
{
	const struct vb_workload_ops *w = &vb_workload_sys_iozone;
	char *dir = scratch_new();
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 1 };
	struct vb_error *err = NULL;
	double v[4];

	if (!dir)
		SKIP("no scratch directory");
	static const char *const sizes[] = { "1M", "10000" };
	static const uint64_t bytes[] = { MIB, 10000 };
	for (size_t i = 0; i < VB_ARRAY_SIZE(sizes); i++) {
		void *opts = make_opts(w, "file_size", sizes[i], "record", "4K", NULL);

		vb_disk_counters_reset();
		CHECK_MSG(run_once(w, &ctx, opts, v, &err) == 0, "%s: %s", sizes[i],
			  err ? err->msg : "");
		vb_error_free(&err);
		check_metrics(w, v);
		CHECK(counter(&vb_disk_counters.written) == 2 * bytes[i]);
		CHECK(counter(&vb_disk_counters.read) == 2 * bytes[i]);
		CHECK(counter(&vb_disk_counters.created) == 1 &&
		      counter(&vb_disk_counters.removed) == 1);
		free(opts);
	}
	scratch_done(dir, w->name);
}

static void test_stress(void)
{
	const struct vb_workload_ops *w = &vb_workload_stress_io;
	char *dir = scratch_new();
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 2 };
	struct vb_error *err = NULL;
	double v[3];

	if (!dir)
		SKIP("no scratch directory");
	void *opts = make_opts(w, "workers", "2", "size", "256K", "duration_ms", "200", NULL);
	vb_disk_counters_reset();
	double t0 = vb_now();
	CHECK_MSG(run_once(w, &ctx, opts, v, &err) == 0, "%s", err ? err->msg : "");
	double dt = vb_now() - t0;
	vb_error_free(&err);
	check_metrics(w, v);
	CHECK_MSG(dt >= 0.2 && dt < 1.5, "duration 200 ms took %g s", dt);
	/* "written" is every byte pwrite took, in MiB; at least the fsync'd files. */
	CHECK_NEAR(v[1] * (double)MIB, (double)counter(&vb_disk_counters.written), 0.5);
	CHECK(v[1] * (double)MIB >= v[0] * 256 * KIB);
	CHECK(v[0] <= (double)counter(&vb_disk_counters.created));
	CHECK_NEAR(v[2], v[1] / dt, v[2] * 0.2);
	CHECK(counter(&vb_disk_counters.created) == counter(&vb_disk_counters.removed));
	free(opts);
	scratch_done(dir, w->name);
}

/* ---- stopping ---- */

struct stopper {
	volatile sig_atomic_t *stop;
	unsigned ms;
	double at;
};

static void *stopper_thread(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = { .tv_sec = s->ms / 1000, .tv_nsec = (long)(s->ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
	s->at = vb_now();
	*s->stop = 1;
	return NULL;
}

/* Run w with a stop raised after ms; returns run()'s code, *late = return time - stop time. */
static int run_stopped(const struct vb_workload_ops *w, const char *dir, void *opts, unsigned ms,
		       double *late, struct vb_error **err)
{
	volatile sig_atomic_t stop = 0;
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 2, .stop = &stop };
	struct stopper s = { .stop = &stop, .ms = ms };
	double values[8];
	pthread_t t;

	if (pthread_create(&t, NULL, stopper_thread, &s))
		return -EAGAIN;
	int r = run_once(w, &ctx, opts, values, err);
	double end = vb_now();
	pthread_join(t, NULL);
	*late = end - s.at;
	return r;
}

static void test_stop_midrun(void)
{
	char *dir = scratch_new();
	struct vb_error *err = NULL;
	double late;

	if (!dir)
		SKIP("no scratch directory");
	/* Options that would run for many seconds; a stop after 50 ms ends each with -EINTR. */
	struct {
		const struct vb_workload_ops *w;
		void *opts;
	} cases[] = {
		{ &vb_workload_disk_fileio, make_opts(&vb_workload_disk_fileio, "file_size", "1M",
						      "ops", "100000000", NULL) },
		{ &vb_workload_disk_fileio,
		  make_opts(&vb_workload_disk_fileio, "file_size", "8G", "block", "1M", NULL) },
		{ &vb_workload_disk_latency,
		  make_opts(&vb_workload_disk_latency, "file_size", "64K", "count", "10000000",
			    "direct", "0", NULL) },
		{ &vb_workload_disk_latency,
		  make_opts(&vb_workload_disk_latency, "file_size", "64K", "count", "10", "direct",
			    "0", "interval_us", "10000000", NULL) },
		{ &vb_workload_disk_copy, make_opts(&vb_workload_disk_copy, "size", "8G", NULL) },
		{ &vb_workload_sys_iozone,
		  make_opts(&vb_workload_sys_iozone, "file_size", "8G", NULL) },
		{ &vb_workload_stress_io,
		  make_opts(&vb_workload_stress_io, "size", "8G", "duration_ms", "60000", NULL) },
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(cases); i++) {
		const struct vb_workload_ops *w = cases[i].w;
		/* Free space is checked by check(): run() directly for the big ones. */
		volatile sig_atomic_t stop = 0;
		struct vb_workload_ctx ctx = { .scratch_dir = dir,
					       .online_cpus = 2,
					       .stop = &stop };
		struct stopper s = { .stop = &stop, .ms = 50 };
		double values[8];
		pthread_t t;

		vb_disk_counters_reset();
		CHECK(pthread_create(&t, NULL, stopper_thread, &s) == 0);
		int r = w->run(&ctx, cases[i].opts, values, &err);
		double end = vb_now();
		pthread_join(t, NULL);
		late = end - s.at;
		CHECK_MSG(r == -EINTR, "%s case %zu: %d %s", w->name, i, r, err ? err->msg : "");
		CHECK(err && strstr(err->msg, "stopped") && strstr(err->msg, w->name));
		CHECK(err && err->exit_code == VB_EXIT_INTERRUPTED);
		vb_error_free(&err);
		/* A stop is honoured within ~100 ms (one fsync of at most a MiB or two here). */
		CHECK_MSG(late < 0.5, "%s case %zu ended %.3f s after the stop", w->name, i, late);
		CHECK_MSG(dir_entries(dir) == 0, "%s case %zu left files", w->name, i);
		CHECK(counter(&vb_disk_counters.created) == counter(&vb_disk_counters.removed));
		free(cases[i].opts);
	}

	/* stress.io with duration=0 runs until the stop, which is its normal end. */
	void *opts = make_opts(&vb_workload_stress_io, "workers", "2", "size", "4M", "duration_ms",
			       "0", NULL);
	vb_disk_counters_reset();
	int r = run_stopped(&vb_workload_stress_io, dir, opts, 300, &late, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	/* Without the stop it would never end; the bound only proves the stop was heard
	 * (a loaded CI machine under ASan took 105 ms, so no tighter timing here). */
	CHECK_MSG(late < 2.0, "stress.io ended %.3f s after the stop", late);
	printf("# stress.io ended %.1f ms after the stop\n", late * 1e3);
	CHECK(dir_entries(dir) == 0);
	CHECK(counter(&vb_disk_counters.written) > 0);
	/* ... and refuses to start when nothing could stop it. */
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 2 };
	double v[3];
	CHECK(vb_workload_stress_io.run(&ctx, opts, v, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "duration_ms=0"));
	vb_error_free(&err);
	free(opts);
	scratch_done(dir, "stop");
}

/* ---- bad options ---- */

static void expect_bad(const struct vb_workload_ops *w, const char *name, const char *value)
{
	const struct vb_option *o = vb_workload_option(w, name);
	struct vb_error *err = NULL;
	void *opts = xmalloc(w->opts_size);

	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	CHECK_MSG(o != NULL, "%s has no %s", w->name, name);
	if (o) {
		CHECK_MSG(vb_option_parse(w, o, value, opts, &err) == -EINVAL, "%s %s=%s accepted",
			  w->name, name, value);
		CHECK(err && strstr(err->msg, w->name) && strstr(err->msg, name));
	}
	vb_error_free(&err);
	free(opts);
}

static void expect_check_fails(const struct vb_workload_ops *w, const struct vb_workload_ctx *ctx,
			       void *opts, const char *want1, const char *want2)
{
	struct vb_error *err = NULL;

	CHECK_MSG(w->check(opts, ctx, &err) == -EINVAL, "%s: check passed", w->name);
	CHECK_MSG(err && strstr(err->msg, w->name) && strstr(err->msg, want1) &&
		      (!want2 || strstr(err->msg, want2)),
		  "%s", err ? err->msg : "(no message)");
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	free(opts);
}

static void test_bad_options(void)
{
	const struct vb_workload_ops *fio = &vb_workload_disk_fileio,
				     *lat = &vb_workload_disk_latency, *cp = &vb_workload_disk_copy,
				     *ioz = &vb_workload_sys_iozone, *st = &vb_workload_stress_io;
	struct vb_workload_ctx ctx = { .online_cpus = 1 };

	/* Zero and absurd values are outside the option bounds. */
	expect_bad(fio, "ops", "0");
	expect_bad(fio, "block", "0");
	expect_bad(fio, "block", "128M");
	expect_bad(fio, "file_size", "0");
	expect_bad(fio, "read_pct", "101");
	expect_bad(lat, "count", "0");
	expect_bad(lat, "file_size", "1K");
	expect_bad(cp, "block", "0");
	expect_bad(cp, "size", "0");
	expect_bad(ioz, "record", "0");
	expect_bad(st, "workers", "0");
	expect_bad(st, "size", "1K");

	/* A block larger than the file, in check() (scratch_dir NULL: no space check). */
	expect_check_fails(fio, &ctx, make_opts(fio, "file_size", "64K", "block", "128K", NULL),
			   "block", "file_size");
	expect_check_fails(cp, &ctx, make_opts(cp, "size", "64K", "block", "1M", NULL), "block",
			   "size");
	expect_check_fails(ioz, &ctx, make_opts(ioz, "file_size", "8K", "record", "16K", NULL),
			   "record", "file_size");
	/* O_DIRECT needs aligned blocks. */
	expect_check_fails(fio, &ctx, make_opts(fio, "block", "1000", "direct", "1", NULL), "block",
			   "512");
	/* Buffers beyond memory. */
	ctx.mem_total = 2 * MIB;
	expect_check_fails(fio, &ctx, make_opts(fio, "block", "2M", NULL), "block", "memory");
	expect_check_fails(cp, &ctx, make_opts(cp, NULL), "block", "memory");
	ctx.mem_total = 0;

	/* More than the scratch filesystem holds. */
	char *dir = scratch_new();
	if (dir) {
		ctx.scratch_dir = dir;
		expect_check_fails(fio, &ctx, make_opts(fio, "file_size", "16T", NULL), "file_size",
				   "free");
		expect_check_fails(lat, &ctx, make_opts(lat, "file_size", "16T", NULL), "file_size",
				   "free");
		expect_check_fails(cp, &ctx, make_opts(cp, "size", "16T", NULL), "size", "free");
		expect_check_fails(ioz, &ctx, make_opts(ioz, "file_size", "16T", NULL), "file_size",
				   "free");
		expect_check_fails(st, &ctx, make_opts(st, "workers", "256", "size", "16T", NULL),
				   "size", "free");
		/* The defaults fit. */
		for (size_t i = 0; i < VB_ARRAY_SIZE(all); i++) {
			struct vb_error *err = NULL;
			void *opts = make_opts(all[i], NULL);
			CHECK_MSG(all[i]->check(opts, &ctx, &err) == 0, "%s", err ? err->msg : "");
			vb_error_free(&err);
			free(opts);
		}
		scratch_done(dir, "bad options");
		ctx.scratch_dir = NULL;
	}

	/* run() without a scratch directory, and run() alone with block > file_size. */
	volatile sig_atomic_t stop = 0;
	ctx.stop = &stop;
	for (size_t i = 0; i < VB_ARRAY_SIZE(all); i++) {
		struct vb_error *err = NULL;
		void *opts = make_opts(all[i], NULL);
		double v[8];

		CHECK_MSG(all[i]->run(&ctx, opts, v, &err) == -EINVAL, "%s ran without scratch",
			  all[i]->name);
		CHECK(err && strstr(err->msg, all[i]->name) && strstr(err->msg, "scratch"));
		vb_error_free(&err);
		free(opts);
	}
	{
		struct vb_error *err = NULL;
		void *opts = make_opts(fio, "file_size", "64K", "block", "128K", NULL);
		double v[5];
		ctx.scratch_dir = "/nonexistent";
		CHECK(fio->run(&ctx, opts, v, &err) == -EINVAL);
		CHECK(err && strstr(err->msg, "block"));
		vb_error_free(&err);
		free(opts);
	}
}

/* ---- write errors ---- */

/*
 * In a child: a file size limit makes writes past it fail with EFBIG (SIGXFSZ
 * ignored), the same path ENOSPC and EIO take. Each workload must fail with
 * "WHO: writing DIR/vb-...: File too large" and leave nothing behind.
 */
static void efbig_child(const char *dir)
{
	struct rlimit rl;
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 2 };
	_cleanup_free_ char *want = xasprintf("writing %s/vb-", dir);
	const char *const sizes[][4] = {
		{ "file_size", "1M", NULL, NULL },	 { "file_size", "1M", "direct", "0" },
		{ "size", "1M", "block", "64K" },	 { "file_size", "1M", "record", "4K" },
		{ "size", "1M", "duration_ms", "5000" },
	};

	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &rl) < 0)
		rl.rlim_max = RLIM_INFINITY;
	rl.rlim_cur = 128 * KIB;
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0) {
		printf("# setrlimit: %s\n", strerror(errno));
		vb_test_failed = 1;
		return;
	}
	for (size_t i = 0; i < VB_ARRAY_SIZE(all); i++) {
		const struct vb_workload_ops *w = all[i];
		void *opts = make_opts(w, sizes[i][0], sizes[i][1], sizes[i][2], sizes[i][3], NULL);
		struct vb_error *err = NULL;
		double v[8];

		vb_disk_counters_reset();
		int r = run_once(w, &ctx, opts, v, &err);
		CHECK_MSG(r == -EFBIG, "%s: %d %s", w->name, r, err ? err->msg : "");
		CHECK_MSG(err && strstr(err->msg, w->name) && strstr(err->msg, want) &&
			      strstr(err->msg, strerror(EFBIG)),
			  "%s", err ? err->msg : "(no message)");
		CHECK(err && err->exit_code == VB_EXIT_MEASUREMENT);
		CHECK_MSG(dir_entries(dir) == 0, "%s left files after a write error", w->name);
		CHECK(counter(&vb_disk_counters.created) >= 1 &&
		      counter(&vb_disk_counters.created) == counter(&vb_disk_counters.removed));
		vb_error_free(&err);
		free(opts);
	}
}

/* Fork, run fn(dir) in the child, return its exit status (0 ok, SKIP_CODE, else failed). */
static int in_child(void (*fn)(const char *), const char *dir)
{
	fflush(stdout);
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		vb_test_failed = 0;
		vb_test_skip = NULL;
		fn(dir);
		fflush(stdout);
		_exit(vb_test_skip ? SKIP_CODE : vb_test_failed ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_write_error_efbig(void)
{
	char *dir = scratch_new();

	if (!dir)
		SKIP("no scratch directory");
	int st = in_child(efbig_child, dir);
	CHECK_MSG(st == 0, "child status %d", st);
	scratch_done(dir, "EFBIG");
}

/*
 * As root, in a private mount namespace: a 256 KiB tmpfs gives real ENOSPC,
 * and a ramfs (no direct I/O at all) gives the O_DIRECT message.
 */
static const char *private_mount(const char *dir, const char *fstype, const char *data)
{
	if (geteuid() != 0)
		return "needs root to mount a small filesystem";
	if (unshare(CLONE_NEWNS) < 0)
		return "unshare(CLONE_NEWNS) is not permitted here";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("vbtest", dir, fstype, 0, data) < 0)
		return "mount is not permitted here";
	return NULL;
}

static void enospc_child(const char *dir)
{
	const char *why = private_mount(dir, "tmpfs", "size=256k");
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 2 };
	_cleanup_free_ char *want = xasprintf("writing %s/vb-", dir);

	if (why) {
		vb_test_skip = why;
		return;
	}
	for (size_t i = 0; i < VB_ARRAY_SIZE(all); i++) {
		const struct vb_workload_ops *w = all[i];
		const char *size = w == &vb_workload_stress_io	 ? "size"
				   : w == &vb_workload_disk_copy ? "size"
								 : "file_size";
		void *opts = make_opts(w, size, "1M", NULL);
		struct vb_error *err = NULL;
		double v[8];

		/* check() sees the filesystem is too small ... */
		CHECK_MSG(w->check(opts, &ctx, &err) == -EINVAL, "%s: check passed", w->name);
		CHECK(err && strstr(err->msg, "free"));
		vb_error_free(&err);
		/* ... and run() regardless meets ENOSPC and says so. */
		vb_disk_counters_reset();
		int r = w->run(&ctx, opts, v, &err);
		CHECK_MSG(r == -ENOSPC, "%s: %d %s", w->name, r, err ? err->msg : "");
		CHECK_MSG(err && strstr(err->msg, want) &&
			      strstr(err->msg, ": No space left on device"),
			  "%s", err ? err->msg : "(no message)");
		printf("# %s\n", err ? err->msg : "");
		CHECK_MSG(dir_entries(dir) == 0, "%s left files after ENOSPC", w->name);
		vb_error_free(&err);
		free(opts);
	}
	umount2(dir, MNT_DETACH);
}

static void test_enospc(void)
{
	char *dir = scratch_new();

	if (!dir)
		SKIP("no scratch directory");
	int st = in_child(enospc_child, dir);
	CHECK_MSG(st == 0 || st == SKIP_CODE, "child status %d", st);
	scratch_done(dir, "ENOSPC");
	if (st == SKIP_CODE)
		SKIP("cannot mount a small tmpfs here (needs root and a mount namespace)");
}

static bool refuses_odirect(const char *dir)
{
	_cleanup_free_ char *p = xasprintf("%s/probe", dir);
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
	bool refused = false;

	if (fd < 0)
		return false;
	refused = fcntl(fd, F_SETFL, O_DIRECT) < 0 && errno == EINVAL;
	close(fd);
	unlink(p);
	return refused;
}

static void odirect_run(const char *dir)
{
	struct vb_workload_ctx ctx = { .scratch_dir = dir, .online_cpus = 1 };
	const struct vb_workload_ops *ws[] = { &vb_workload_disk_latency,
					       &vb_workload_disk_fileio };

	for (size_t i = 0; i < VB_ARRAY_SIZE(ws); i++) {
		void *opts = make_opts(ws[i], "file_size", "64K", "direct", "1", NULL);
		struct vb_error *err = NULL;
		double v[8];

		vb_disk_counters_reset();
		CHECK(run_once(ws[i], &ctx, opts, v, &err) == -EINVAL);
		CHECK_MSG(err && strstr(err->msg, ws[i]->name) &&
			      strstr(err->msg, "O_DIRECT not supported on this filesystem"),
			  "%s", err ? err->msg : "(no message)");
		CHECK_MSG(dir_entries(dir) == 0, "%s left files", ws[i]->name);
		CHECK(counter(&vb_disk_counters.created) == counter(&vb_disk_counters.removed));
		vb_error_free(&err);
		free(opts);
	}
}

static void odirect_child(const char *dir)
{
	const char *why = private_mount(dir, "ramfs", NULL);

	if (why) {
		vb_test_skip = why;
		return;
	}
	odirect_run(dir);
	umount2(dir, MNT_DETACH);
}

static void test_odirect_unsupported(void)
{
	/* tmpfs refused O_DIRECT before Linux 6.6; use it when it still does. */
	static const char *const tmpfs_dirs[] = { "/tmp", "/dev/shm" };

	for (size_t i = 0; i < VB_ARRAY_SIZE(tmpfs_dirs); i++) {
		struct statfs sf;
		if (statfs(tmpfs_dirs[i], &sf) < 0 || sf.f_type != TMPFS_MAGIC)
			continue;
		_cleanup_free_ char *d = xasprintf("%s/vb-test-odirect-XXXXXX", tmpfs_dirs[i]);
		if (!mkdtemp(d))
			continue;
		if (refuses_odirect(d)) {
			odirect_run(d);
			CHECK(dir_entries(d) == 0);
			vb_rm_rf(d);
			return;
		}
		vb_rm_rf(d);
	}
	/* Here tmpfs does O_DIRECT (or there is none): a ramfs never does. */
	char *dir = scratch_new();
	if (!dir)
		SKIP("no scratch directory");
	int st = in_child(odirect_child, dir);
	CHECK_MSG(st == 0 || st == SKIP_CODE, "child status %d", st);
	scratch_done(dir, "O_DIRECT");
	if (st == SKIP_CODE)
		SKIP("no filesystem refusing O_DIRECT: tmpfs here accepts it (Linux >= 6.6) or is "
		     "absent, and mounting a ramfs needs root and a mount namespace");
}

/* ---- helpers of disk-common ---- */

static void test_common(void)
{
	char *dir = scratch_new();
	struct vb_error *err = NULL;
	struct vb_disk_file a = VB_DISK_FILE_INIT, b = VB_DISK_FILE_INIT;
	char buf[64];

	if (!dir)
		SKIP("no scratch directory");
	/* Unique names, O_EXCL, removal is idempotent. */
	CHECK(vb_disk_create(&a, dir, "t", "x", 0, &err) == 0);
	CHECK(vb_disk_create(&b, dir, "t", "x", O_DSYNC, &err) == 0);
	CHECK(a.path && b.path && strcmp(a.path, b.path) != 0);
	CHECK(b.fd >= 0 && (fcntl(b.fd, F_GETFL) & O_DSYNC) == O_DSYNC);
	CHECK(dir_entries(dir) == 2);
	/* Short pieces: a pread past the end is an error naming the file. */
	memset(buf, 'a', sizeof(buf));
	CHECK(vb_disk_pwrite(&a, buf, 10, 0, &err) == 0);
	CHECK(vb_disk_pread(&a, buf, 20, 0, &err) == -EIO);
	CHECK(err && strstr(err->msg, a.path) && strstr(err->msg, "end of file"));
	vb_error_free(&err);
	CHECK(vb_disk_check_size(&a, 10, &err) == 0);
	CHECK(vb_disk_check_size(&a, 11, &err) == -EIO);
	vb_error_free(&err);
	/* Stamps. */
	vb_disk_stamp(buf, sizeof(buf), 3, 42);
	CHECK(vb_disk_stamp_ok(buf, sizeof(buf), 3, 42));
	CHECK(!vb_disk_stamp_ok(buf, sizeof(buf), 3, 43));
	CHECK(!vb_disk_stamp_ok(buf, sizeof(buf), 2, 42));
	CHECK(vb_disk_stamp_ok(buf, 10, 9, 9));
	vb_disk_remove(&a);
	vb_disk_remove(&a);
	vb_disk_remove(&b);
	CHECK(a.fd == -1 && a.path == NULL);
	/* Creating in a missing directory fails cleanly. */
	_cleanup_free_ char *missing = xasprintf("%s/missing", dir);
	CHECK(vb_disk_create(&a, missing, "t", "x", 0, &err) < 0);
	CHECK(err && strstr(err->msg, missing));
	vb_error_free(&err);
	/* xorshift never sticks at 0 and spreads over a range. */
	uint64_t s = 1, seen = 0;
	for (int i = 0; i < 1000; i++)
		seen |= (uint64_t)1 << (vb_xorshift64(&s) % 64);
	CHECK(seen == UINT64_MAX && s != 0);
	scratch_done(dir, "common");
}

TEST_MAIN(T(test_metadata), T(test_common), T(test_fileio), T(test_latency), T(test_copy),
	  T(test_iozone), T(test_stress), T(test_stop_midrun), T(test_bad_options),
	  T(test_write_error_efbig), T(test_enospc), T(test_odirect_unsupported))
