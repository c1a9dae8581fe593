/* SPDX-License-Identifier: MIT */
/* Unit tests for the workloads, run directly with tiny options. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>

#include "test.h"
#include "wl-test.h"
#include "core/util.h"
#include "virtbench/workload.h"

#define MIB ((uint64_t)1 << 20)

static void test_primes(void)
{
	const struct vb_workload_ops *w = vb_workload_find("cpu.primes");
	struct log_capture log = { 0 };
	struct vb_workload_ctx ctx = { .online_cpus = 1, .log = capture_log, .log_data = &log };
	struct vb_error *err = NULL;
	double values[2];
	void *opts;

	CHECK(w != NULL && vb_workload_nmetrics(w) == 2);
	if (!w || vb_workload_nmetrics(w) != 2)
		return;
	CHECK(!strcmp(w->metrics[0].name, "elapsed") && !w->metrics[0].higher_is_better);
	CHECK(!strcmp(w->metrics[1].name, "rate") && w->metrics[1].higher_is_better);

	/* run() checks its count against pi(n): returning 0 is the check. */
	for (int threads = 1; threads <= 3; threads += 2) {
		char t[8];

		snprintf(t, sizeof(t), "%d", threads);
		opts = make_opts(w, "limit", "100000", "threads", t, NULL);
		log.n = 0;
		CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "threads %d: %s", threads,
			  err ? err->msg : "");
		vb_error_free(&err);
		CHECK(values[0] > 0 && isfinite(values[0]));
		CHECK(values[1] > 0 && isfinite(values[1]));
		/* rate is the odd numbers tested per second */
		CHECK_NEAR(values[1] * values[0], 50000, 1);
		CHECK(log.n == 1);
		CHECK_MSG(strstr(log.last, "9592 primes up to 100000") != NULL, "%s", log.last);
		free(opts);
	}

	/* Limits that are not in the table of known values, and the smallest ones. */
	{
		static const char *const limits[] = { "10",   "11",   "12",   "13",
						      "4099", "4097", "65537" };

		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			opts = make_opts(w, "limit", limits[i], "threads", "4", NULL);
			CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "limit %s: %s",
				  limits[i], err ? err->msg : "");
			vb_error_free(&err);
			free(opts);
		}
		opts = make_opts(w, "limit", "10", "threads", "1", NULL);
		log.n = 0;
		CHECK(run_once(w, &ctx, opts, values, &err) == 0);
		CHECK(strstr(log.last, "4 primes up to 10") != NULL);
		free(opts);
	}

	/* No log callback is fine. */
	ctx.log = NULL;
	opts = make_opts(w, "limit", "1000", NULL);
	CHECK(run_once(w, &ctx, opts, values, &err) == 0);
	CHECK(values[0] > 0);
	free(opts);
	CHECK(err == NULL);
}

static void test_primes_stop(void)
{
	const struct vb_workload_ops *w = vb_workload_find("cpu.primes");
	volatile sig_atomic_t stop = 1;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .stop = &stop };
	struct vb_error *err = NULL;
	double values[2] = { -1, -1 };
	void *opts;

	if (!w)
		SKIP("no cpu.primes");
	/* A stop requested before the run: it ends early with -EINTR. */
	opts = make_opts(w, "limit", "10000000", "threads", "2", NULL);
	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	CHECK(err && strstr(err->msg, "stopped"));
	CHECK(err && err->exit_code == VB_EXIT_INTERRUPTED);
	CHECK(values[0] == -1);
	vb_error_free(&err);
	free(opts);
}

static void test_memcpy(void)
{
	const struct vb_workload_ops *w = vb_workload_find("mem.memcpy");
	struct vb_workload_ctx ctx = { .online_cpus = 1 };
	struct vb_error *err = NULL;
	double values[2];
	void *opts;

	CHECK(w != NULL && vb_workload_nmetrics(w) == 2);
	if (!w || vb_workload_nmetrics(w) != 2)
		return;
	CHECK(!strcmp(w->metrics[0].name, "bandwidth") && w->metrics[0].higher_is_better);
	CHECK(!strcmp(w->metrics[1].name, "best") && w->metrics[1].higher_is_better);
	CHECK(!strcmp(w->metrics[0].unit, "MiB/s"));

	opts = make_opts(w, "size", "1M", "loops", "2", NULL);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(values[0] > 0 && isfinite(values[0]));
	CHECK(values[1] > 0 && isfinite(values[1]));
	/* The best loop is at least as fast as the mean of the loops. */
	CHECK_MSG(values[1] >= values[0] * 0.5, "best %g, mean %g", values[1], values[0]);
	CHECK_MSG(values[1] >= values[0] * (1 - 1e-9), "best %g, mean %g", values[1], values[0]);
	free(opts);

	/* The smallest size and an odd one. */
	opts = make_opts(w, "size", "4K", "loops", "1", NULL);
	CHECK(run_once(w, &ctx, opts, values, &err) == 0);
	/* One loop: mean and best are the same loop. */
	CHECK_NEAR(values[0], values[1], values[1] * 1e-9);
	free(opts);
	opts = make_opts(w, "size", "12345", "loops", "3", NULL);
	CHECK(run_once(w, &ctx, opts, values, &err) == 0);
	CHECK(values[0] > 0 && values[1] > 0);
	free(opts);
	CHECK(err == NULL);
}

static void test_memcpy_check(void)
{
	const struct vb_workload_ops *w = vb_workload_find("mem.memcpy");
	struct vb_workload_ctx ctx = { .online_cpus = 1, .mem_total = 64 * MIB };
	struct vb_error *err = NULL;
	void *opts;

	if (!w)
		SKIP("no mem.memcpy");
	CHECK(w->check != NULL);
	if (!w->check)
		return;
	/* A quarter of memory per buffer is the most. */
	opts = make_opts(w, "size", "16M", NULL);
	CHECK(w->check(opts, &ctx, &err) == 0);
	CHECK(err == NULL);
	free(opts);
	opts = make_opts(w, "size", "17M", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "mem.memcpy") && strstr(err->msg, "64 MiB"));
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	free(opts);
	opts = make_opts(w, "size", "64M", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	vb_error_free(&err);
	/* Unknown memory size: nothing to check against. */
	ctx.mem_total = 0;
	CHECK(w->check(opts, &ctx, &err) == 0);
	free(opts);
}

static void test_memcpy_stop(void)
{
	const struct vb_workload_ops *w = vb_workload_find("mem.memcpy");
	volatile sig_atomic_t stop = 1;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .stop = &stop };
	struct vb_error *err = NULL;
	double values[2] = { -1, -1 };
	void *opts;

	if (!w)
		SKIP("no mem.memcpy");
	opts = make_opts(w, "size", "64K", "loops", "1000", NULL);
	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	CHECK(err && strstr(err->msg, "stopped"));
	CHECK(values[0] == -1 && values[1] == -1);
	vb_error_free(&err);
	free(opts);
}

static void test_every_workload_quick(void)
{
	/*
	 * Every workload runs with its smallest options (or, where those do not
	 * go together, its quick defaults) in a scratch directory, and fills
	 * every metric. w3 needs a peer: tests/unit/test-wl-net.c covers it.
	 */
	char tmpl[] = "/tmp/vb-test-wl-XXXXXX";
	char *scratch = mkdtemp(tmpl);
	CHECK(scratch != NULL);
	volatile sig_atomic_t stop = 0;
	for (size_t i = 0; scratch && vb_workloads[i]; i++) {
		const struct vb_workload_ops *w = vb_workloads[i];
		/*
		 * w3 needs a peer; service workloads need their servers installed
		 * and root (tests/integration/apps.sh runs them for real).
		 */
		if (w->needs_peer || w->packages)
			continue;
		size_t nm = vb_workload_nmetrics(w);
		_cleanup_free_ double *values = xcalloc(nm, sizeof(*values));
		_cleanup_free_ void *opts = xmalloc(w->opts_size);
		struct vb_workload_ctx ctx = { .online_cpus = 1,
					       .scratch_dir = scratch,
					       .mem_total = 1ull << 30,
					       .stop = &stop };
		struct vb_error *err = NULL;

		vb_options_defaults(w, VB_PROFILE_QUICK, opts);
		for (const struct vb_option *o = w->options; o->name; o++) {
			/*
			 * 0 means "until stopped" for a duration and "automatic" (4x the
			 * cache: hundreds of MiB) for STREAM's elements: small values instead.
			 */
			uint64_t v = o->min;
			if (!v && strstr(o->name, "duration"))
				v = 50;
			else if (!v && !strcmp(o->name, "elements"))
				v = 100000;
			CHECK(vb_option_set(w, o, v, opts, &err) == 0);
		}
		if (w->check && w->check(opts, &ctx, &err)) {
			vb_error_free(&err);
			vb_options_defaults(w, VB_PROFILE_QUICK, opts);
		}
		CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s: %s", w->name,
			  err ? err->msg : "");
		vb_error_free(&err);
		for (size_t k = 0; k < nm; k++)
			CHECK_MSG(isfinite(values[k]) && values[k] > 0, "%s.%s = %g", w->name,
				  w->metrics[k].name, values[k]);
	}
	/* Nothing left behind by any of them. */
	CHECK(scratch && rmdir(scratch) == 0);
}

TEST_MAIN(T(test_primes), T(test_primes_stop), T(test_memcpy), T(test_memcpy_check),
	  T(test_memcpy_stop), T(test_every_workload_quick))
