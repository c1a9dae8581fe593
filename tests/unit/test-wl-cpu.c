/* SPDX-License-Identifier: MIT */
/* Unit tests for the w1 CPU workloads cpu.whetstone, cpu.mutex and cpu.rsa, run directly. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include "test.h"
#include "wl-test.h"
#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

extern const struct vb_workload_ops vb_workload_cpu_whetstone;
extern const struct vb_workload_ops vb_workload_cpu_mutex;
extern const struct vb_workload_ops vb_workload_cpu_rsa;

static bool all_positive(const struct vb_workload_ops *w, const double *values)
{
	bool ok = true;

	for (size_t i = 0; i < vb_workload_nmetrics(w); i++) {
		CHECK_MSG(isfinite(values[i]) && values[i] > 0, "%s.%s = %g", w->name,
			  w->metrics[i].name, values[i]);
		ok = ok && isfinite(values[i]) && values[i] > 0;
	}
	return ok;
}

/* Sets *stop after a delay, from another thread. */
struct stopper {
	volatile sig_atomic_t *stop;
	unsigned delay_ms;
	double set_at;
	pthread_t tid;
};

static void *stopper_main(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = { s->delay_ms / 1000, (long)(s->delay_ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	s->set_at = vb_now();
	*s->stop = 1;
	return NULL;
}

static void stopper_start(struct stopper *s, volatile sig_atomic_t *stop, unsigned delay_ms)
{
	s->stop = stop;
	s->delay_ms = delay_ms;
	s->set_at = 0;
	CHECK(pthread_create(&s->tid, NULL, stopper_main, s) == 0);
}

/* Every option at its minimum: the workload still runs and fills its metrics. */
static void check_minimum_options(const struct vb_workload_ops *w)
{
	_cleanup_free_ void *opts = xmalloc(w->opts_size);
	struct vb_workload_ctx ctx = { .online_cpus = 1 };
	struct vb_error *err = NULL;
	double values[8];

	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	for (const struct vb_option *o = w->options; o->name; o++)
		CHECK(vb_option_set(w, o, o->min, opts, &err) == 0);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s: %s", w->name,
		  err ? err->msg : "");
	vb_error_free(&err);
	all_positive(w, values);
}

static void check_descriptors(const struct vb_workload_ops *w, const char *group, size_t nmetrics)
{
	CHECK(!strcmp(w->group, group));
	CHECK(w->summary && w->summary[0] && w->study_ref && w->study_ref[0]);
	CHECK(vb_workload_nmetrics(w) == nmetrics);
	/* Both profiles' defaults are inside the bounds. */
	for (const struct vb_option *o = w->options; o->name; o++) {
		CHECK_MSG(o->def[0] >= o->min && o->def[0] <= o->max, "%s.%s quick", w->name,
			  o->name);
		CHECK_MSG(o->def[1] >= o->min && o->def[1] <= o->max, "%s.%s full", w->name,
			  o->name);
	}
}

static void test_whetstone(void)
{
	const struct vb_workload_ops *w = &vb_workload_cpu_whetstone;
	struct log_capture log = { 0 };
	struct vb_workload_ctx ctx = { .online_cpus = 1, .log = capture_log, .log_data = &log };
	struct vb_error *err = NULL;
	char first[512];
	double values[2];
	void *opts;

	check_descriptors(w, "w1", 2);
	CHECK(!strcmp(w->metrics[0].name, "mwips") && w->metrics[0].higher_is_better);
	CHECK(!strcmp(w->metrics[1].name, "elapsed") && !w->metrics[1].higher_is_better);

	opts = make_opts(w, "loops", "20", NULL);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	all_positive(w, values);
	/* mwips is the passes (millions of Whetstone instructions) per second */
	CHECK_NEAR(values[0] * values[1], 20, 1e-6);
	CHECK(log.n == 1);
	CHECK_MSG(strstr(log.last, "integer paths 4,6,9,10 as the algorithm defines") != NULL, "%s",
		  log.last);
	snprintf(first, sizeof(first), "%s", log.last);

	/* Deterministic: the same loops give the same module results, to the bit. */
	CHECK(run_once(w, &ctx, opts, values, &err) == 0);
	CHECK(log.n == 2);
	CHECK_MSG(!strcmp(first, log.last), "'%s' vs '%s'", first, log.last);
	free(opts);
	/* And so does another number of passes: every pass starts afresh. */
	opts = make_opts(w, "loops", "3", NULL);
	CHECK(run_once(w, &ctx, opts, values, &err) == 0);
	CHECK_MSG(!strcmp(first, log.last), "'%s' vs '%s'", first, log.last);
	free(opts);
	CHECK(err == NULL);
	check_minimum_options(w);
}

static void test_whetstone_stop(void)
{
	const struct vb_workload_ops *w = &vb_workload_cpu_whetstone;
	volatile sig_atomic_t stop = 1;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .stop = &stop };
	struct vb_error *err = NULL;
	double values[2] = { -1, -1 };
	void *opts = make_opts(w, "loops", "100000000", NULL);

	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	CHECK(err && strstr(err->msg, "cpu.whetstone") && strstr(err->msg, "stopped"));
	CHECK(values[0] == -1 && values[1] == -1);
	vb_error_free(&err);

	/* Stopped from another thread mid-run: it notices within a pass. */
	struct stopper s;
	stop = 0;
	stopper_start(&s, &stop, 50);
	double t0 = vb_now();
	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	double t1 = vb_now();
	pthread_join(s.tid, NULL);
	CHECK_MSG(t1 - s.set_at < 0.5, "returned %.3f s after the stop", t1 - s.set_at);
	CHECK(t1 - t0 < 5);
	vb_error_free(&err);
	free(opts);
}

static void test_mutex(void)
{
	const struct vb_workload_ops *w = &vb_workload_cpu_mutex;
	struct vb_workload_ctx ctx = { .online_cpus = 2 };
	struct vb_error *err = NULL;
	double values[2];
	void *opts;

	check_descriptors(w, "w1", 2);
	CHECK(!strcmp(w->metrics[0].name, "elapsed") && !w->metrics[0].higher_is_better);
	CHECK(!strcmp(w->metrics[1].name, "rate") && w->metrics[1].higher_is_better);

	/* The counters add up (run() checks): many mutexes, and one shared by every thread. */
	static const char *const nmutex[] = { "4096", "7", "1" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(nmutex); i++) {
		opts = make_opts(w, "threads", "4", "mutexes", nmutex[i], "locks", "20000", NULL);
		CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "mutexes %s: %s", nmutex[i],
			  err ? err->msg : "");
		vb_error_free(&err);
		all_positive(w, values);
		/* rate is every thread's rounds per second */
		CHECK_NEAR(values[0] * values[1], 4 * 20000, 1e-3);
		free(opts);
	}
	/* More threads than CPUs, as the full profile has. */
	opts = make_opts(w, "threads", "33", "mutexes", "64", "locks", "2000", NULL);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK_NEAR(values[0] * values[1], 33 * 2000, 1e-3);
	free(opts);
	check_minimum_options(w);
}

static void test_mutex_bounds(void)
{
	const struct vb_workload_ops *w = &vb_workload_cpu_mutex;
	struct vb_workload_ctx ctx = { .online_cpus = 2, .mem_total = 64 << 20 };
	struct vb_error *err = NULL;
	void *opts = make_opts(w, NULL);

	static const char *const zero[] = { "threads", "mutexes", "locks" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(zero); i++) {
		CHECK(vb_option_set(w, vb_workload_option(w, zero[i]), 0, opts, &err) == -EINVAL);
		CHECK(err && strstr(err->msg, "cpu.mutex") && strstr(err->msg, zero[i]));
		vb_error_free(&err);
	}
	/* 64 bytes a mutex: a quarter of 64 MiB holds 262144 of them. */
	CHECK(vb_option_set(w, vb_workload_option(w, "mutexes"), 262144, opts, &err) == 0);
	CHECK(w->check(opts, &ctx, &err) == 0);
	CHECK(vb_option_set(w, vb_workload_option(w, "mutexes"), 262145, opts, &err) == 0);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "cpu.mutex") && strstr(err->msg, "mutexes"));
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	free(opts);
}

static void test_mutex_stop(void)
{
	const struct vb_workload_ops *w = &vb_workload_cpu_mutex;
	volatile sig_atomic_t stop = 1;
	struct vb_workload_ctx ctx = { .online_cpus = 2, .stop = &stop };
	struct vb_error *err = NULL;
	double values[2] = { -1, -1 };
	void *opts = make_opts(w, "threads", "4", "locks", "1000000000", NULL);

	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	CHECK(err && strstr(err->msg, "stopped"));
	CHECK(values[0] == -1);
	vb_error_free(&err);

	struct stopper s;
	stop = 0;
	stopper_start(&s, &stop, 50);
	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	double t1 = vb_now();
	pthread_join(s.tid, NULL);
	CHECK_MSG(t1 - s.set_at < 0.5, "returned %.3f s after the stop", t1 - s.set_at);
	vb_error_free(&err);
	free(opts);
}

static void test_rsa(void)
{
	const struct vb_workload_ops *w = &vb_workload_cpu_rsa;
	struct log_capture log = { 0 };
	struct vb_workload_ctx ctx = { .online_cpus = 2, .log = capture_log, .log_data = &log };
	struct vb_error *err = NULL;
	double values[2];
	void *opts;

	check_descriptors(w, "w1", 2);
	CHECK(!strcmp(w->metrics[0].name, "elapsed") && !w->metrics[0].higher_is_better);
	CHECK(!strcmp(w->metrics[1].name, "rate") && w->metrics[1].higher_is_better);
	CHECK(vb_workload_option(w, "keys")->def[VB_PROFILE_FULL] == 500);
	CHECK(vb_workload_option(w, "bits")->def[VB_PROFILE_FULL] == 2048);

	/* run() verifies every key (pairwise check, sign + verify): 0 means they all passed. */
	opts = make_opts(w, "keys", "4", "bits", "1024", "threads", "2", NULL);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	all_positive(w, values);
	CHECK_NEAR(values[0] * values[1], 4, 1e-9);
	CHECK(log.n == 1);
	CHECK_MSG(strstr(log.last, "4 RSA-1024 keys pass") != NULL, "%s", log.last);
	free(opts);

	/* An odd size, one thread. */
	opts = make_opts(w, "keys", "1", "bits", "1025", "threads", "1", NULL);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(strstr(log.last, "1 RSA-1025 keys pass") != NULL);
	free(opts);

	/* The default size once. */
	opts = make_opts(w, "keys", "1", "bits", "2048", NULL);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(strstr(log.last, "1 RSA-2048 keys pass") != NULL);
	free(opts);
	check_minimum_options(w);
}

static void test_rsa_bounds(void)
{
	const struct vb_workload_ops *w = &vb_workload_cpu_rsa;
	struct vb_workload_ctx ctx = { .online_cpus = 2 };
	struct vb_error *err = NULL;
	void *opts = make_opts(w, NULL);
	static const struct {
		const char *name;
		uint64_t value;
	} bad[] = {
		{ "keys", 0 },	  { "threads", 0 },  { "bits", 0 },	{ "bits", 512 },
		{ "bits", 1023 }, { "bits", 16385 }, { "keys", 10001 }, { "bits", UINT64_MAX },
	};

	for (size_t i = 0; i < VB_ARRAY_SIZE(bad); i++) {
		const struct vb_option *o = vb_workload_option(w, bad[i].name);

		CHECK(o != NULL);
		if (!o)
			continue;
		CHECK_MSG(vb_option_set(w, o, bad[i].value, opts, &err) == -EINVAL, "%s=%llu",
			  bad[i].name, (unsigned long long)bad[i].value);
		CHECK_MSG(err && strstr(err->msg, "cpu.rsa") && strstr(err->msg, bad[i].name), "%s",
			  err ? err->msg : "no error");
		vb_error_free(&err);
	}
	CHECK(vb_option_parse(w, vb_workload_option(w, "bits"), "1000", opts, &err) == -EINVAL);
	vb_error_free(&err);
	/* The rejected values left the options alone. */
	CHECK(vb_option_get(vb_workload_option(w, "bits"), opts) ==
	      vb_workload_option(w, "bits")->def[VB_PROFILE_QUICK]);
	CHECK(vb_option_get(vb_workload_option(w, "keys"), opts) >= 1);

	/* More threads than keys: check() refuses. */
	free(opts);
	opts = make_opts(w, "keys", "2", "threads", "3", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "cpu.rsa") && strstr(err->msg, "threads"));
	vb_error_free(&err);
	free(opts);
}

static void test_rsa_stop(void)
{
	const struct vb_workload_ops *w = &vb_workload_cpu_rsa;
	volatile sig_atomic_t stop = 1;
	struct vb_workload_ctx ctx = { .online_cpus = 2, .stop = &stop };
	struct vb_error *err = NULL;
	double values[2] = { -1, -1 };
	void *opts = make_opts(w, "keys", "100", "bits", "4096", NULL);

	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	CHECK(err && strstr(err->msg, "stopped"));
	CHECK(values[0] == -1);
	vb_error_free(&err);

	/* A stop during a 4096-bit prime search ends it without waiting for the key. */
	struct stopper s;
	stop = 0;
	stopper_start(&s, &stop, 100);
	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	double t1 = vb_now();
	pthread_join(s.tid, NULL);
	CHECK_MSG(t1 - s.set_at < 0.5, "returned %.3f s after the stop", t1 - s.set_at);
	CHECK(err && strstr(err->msg, "stopped"));
	vb_error_free(&err);
	free(opts);
}

TEST_MAIN(T(test_whetstone), T(test_whetstone_stop), T(test_mutex), T(test_mutex_bounds),
	  T(test_mutex_stop), T(test_rsa), T(test_rsa_bounds), T(test_rsa_stop))
