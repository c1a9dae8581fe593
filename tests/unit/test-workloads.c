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
#include "workload/service.h"

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

/* The app workloads' units have bounds: a lying guest's 1e14 ms latency is refused. */
static void test_app_metric_bounds(void)
{
	static const struct {
		const char *unit;
		double ok, bad;
	} cases[] = {
		{ "ms", 59000, 61000 }, /* at most the job timeout (60 s) in ms */
		{ "req/s", 5e4, 1e14 },
		{ "tx/s", 2e3, 1e14 },
		{ "%", 180, 1e6 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vb_metric_desc m = { "x", cases[i].unit, true, "" };
		struct vb_error *err = NULL;
		CHECK_MSG(vb_metric_check(&m, cases[i].ok, 60, &err) == 0, "%s %g", cases[i].unit,
			  cases[i].ok);
		vb_error_free(&err);
		CHECK_MSG(vb_metric_check(&m, cases[i].bad, 60, &err) == -ERANGE, "%s %g",
			  cases[i].unit, cases[i].bad);
		vb_error_free(&err);
		CHECK(vb_metric_check(&m, -1, 60, &err) == -ERANGE);
		vb_error_free(&err);
	}
}

/* Which runs need the w3 peer: w3 always, a service workload with where=host. */
static void test_needs_peer(void)
{
	const struct vb_workload_ops *nginx = vb_workload_find("app.nginx");
	const struct vb_workload_ops *tcp = vb_workload_find("net.tcp");
	const struct vb_workload_ops *primes = vb_workload_find("cpu.primes");
	CHECK(nginx && tcp && primes);
	if (!nginx || !tcp || !primes)
		return;
	_cleanup_free_ void *opts = xcalloc(1, nginx->opts_size);
	struct vb_error *err = NULL;
	vb_options_defaults(nginx, VB_PROFILE_QUICK, opts);
	CHECK(!vb_workload_needs_peer(nginx, opts));
	CHECK(vb_option_parse(nginx, vb_workload_option(nginx, "where"), "host", opts, &err) == 0);
	CHECK(vb_workload_needs_peer(nginx, opts));
	CHECK(vb_workload_needs_peer(tcp, NULL));
	CHECK(!vb_workload_needs_peer(primes, NULL));
	vb_error_free(&err);
}

/* What a guest may ask the host to run (where=host): bounded numbers only. */
static void test_load_check(void)
{
	static const struct {
		struct vb_load l;
		bool ok;
	} cases[] = {
		{ { VB_LOAD_AB, 8080, { 500000, 100 } }, true },
		{ { VB_LOAD_AB, 8080, { 10, 100 } }, false },	  /* more in flight than requests */
		{ { VB_LOAD_AB, 0, { 10, 1 } }, false },	  /* no port */
		{ { VB_LOAD_AB, 70000, { 10, 1 } }, false },	  /* no TCP port */
		{ { VB_LOAD_AB, 80, { 1000000000, 1 } }, false }, /* beyond 10^8 */
		{ { VB_LOAD_WRK, 80, { 2, 100, 30 } }, true },
		{ { VB_LOAD_WRK, 80, { 2, 100, 0 } }, false },	   /* no duration */
		{ { VB_LOAD_WRK, 80, { 300, 1000, 30 } }, false }, /* threads */
		{ { VB_LOAD_PGBENCH_INIT, 5432, { 8 } }, true },
		{ { VB_LOAD_PGBENCH_INIT, 5432, { 0 } }, false },
		{ { VB_LOAD_PGBENCH, 5432, { 4, 2, 30000, 0 } }, true },
		{ { VB_LOAD_PGBENCH, 5432, { 4, 2, 0, 10 } }, true },
		{ { VB_LOAD_PGBENCH, 5432, { 4, 2, 0, 0 } }, false },  /* neither -t nor -T */
		{ { VB_LOAD_PGBENCH, 5432, { 2, 4, 10, 0 } }, false }, /* threads above clients */
		{ { 9, 80, { 1, 1 } }, false },			       /* no such tool */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vb_error *err = NULL;
		int r = vb_load_check(&cases[i].l, &err);
		CHECK_MSG((r == 0) == cases[i].ok, "case %zu: %d", i, r);
		CHECK(cases[i].ok || (err && strstr(err->msg, "out of bounds")));
		vb_error_free(&err);
	}
}

/* The password's text: two hex digits a byte, in order, NUL-terminated. */
static void test_load_secret(void)
{
	struct vb_load l = { .tool = VB_LOAD_PGBENCH };
	for (int i = 0; i < 16; i++)
		l.secret[i] = (uint8_t)(i * 17 + 10);
	char out[40];
	memset(out, 'x', sizeof(out));
	vb_load_secret_text(&l, out);
	CHECK_MSG(!strcmp(out, "0a1b2c3d4e5f708192a3b4c5d6e7f809"), "%s", out);
}

TEST_MAIN(T(test_primes), T(test_primes_stop), T(test_memcpy), T(test_memcpy_check),
	  T(test_memcpy_stop), T(test_every_workload_quick), T(test_app_metric_bounds),
	  T(test_needs_peer), T(test_load_check), T(test_load_secret))
