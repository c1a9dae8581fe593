/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the aggressors stress.cpu and stress.vm, run directly. The
 * time bounds are functional (does it end at its duration, does it end when
 * told to), generous enough for a loaded 2-core machine; not speed targets.
 */
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

extern const struct vb_workload_ops vb_workload_stress_cpu;
extern const struct vb_workload_ops vb_workload_stress_vm;

#define MIB ((uint64_t)1 << 20)

/* check() then run(), as the agent does; returns the wall time in *secs. */
static int run_timed(const struct vb_workload_ops *w, const struct vb_workload_ctx *ctx,
		     const void *opts, double *values, double *secs, struct vb_error **err)
{
	int r = 0;

	for (size_t i = 0; i < vb_workload_nmetrics(w); i++)
		values[i] = NAN;
	double t0 = vb_now();
	if (w->check)
		r = w->check(opts, ctx, err);
	if (!r)
		r = w->run(ctx, opts, values, err);
	*secs = vb_now() - t0;
	return r;
}

static void check_positive(const struct vb_workload_ops *w, const double *values)
{
	for (size_t i = 0; i < vb_workload_nmetrics(w); i++)
		CHECK_MSG(isfinite(values[i]) && values[i] > 0, "%s.%s = %g", w->name,
			  w->metrics[i].name, values[i]);
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

/* The things both aggressors share: metadata, bounds, duration, stop. */
static void check_aggressor(const struct vb_workload_ops *w, const char *size_opt)
{
	struct log_capture log = { 0 };
	struct vb_workload_ctx ctx = { .online_cpus = 2, .log = capture_log, .log_data = &log };
	struct vb_error *err = NULL;
	double values[4], secs;
	void *opts;

	CHECK(!strcmp(w->group, "aggressor"));
	CHECK(!strcmp(w->study_ref, "§6"));
	CHECK(!strcmp(w->metrics[0].name, "ops") && !strcmp(w->metrics[1].name, "rate"));
	CHECK(w->check != NULL);
	const struct vb_option *dur = vb_workload_option(w, "duration_ms");
	CHECK(dur != NULL && dur->min == 0 && dur->def[VB_PROFILE_QUICK] > 0);
	if (!dur || !w->check)
		return;

	/* Ends at its duration; ops and rate agree with each other. */
	opts = make_opts(w, "duration_ms", "200", size_opt ? size_opt : NULL, "1M", NULL);
	CHECK_MSG(run_timed(w, &ctx, opts, values, &secs, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	check_positive(w, values);
	CHECK_MSG(secs >= 0.195 && secs < 1.0, "duration 200 ms took %.3f s", secs);
	CHECK_MSG(fabs(values[1] * secs - values[0]) <= 0.25 * values[0] + 1, "ops %g, rate %g",
		  values[0], values[1]);
	CHECK(log.n == 1 && strstr(log.last, "workers") && !strstr(log.last, "stopped"));
	free(opts);

	/* Every option at its minimum, except duration 0 which wants a stop signal. */
	opts = make_opts(w, NULL);
	for (const struct vb_option *o = w->options; o->name; o++)
		CHECK(vb_option_set(w, o, o == dur ? 50 : o->min, opts, &err) == 0);
	CHECK_MSG(run_timed(w, &ctx, opts, values, &secs, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	check_positive(w, values);
	CHECK_MSG(secs < 0.25, "duration 50 ms took %.3f s", secs);
	free(opts);

	/* Zero workers is rejected by the bounds, naming the workload and option. */
	opts = make_opts(w, NULL);
	CHECK(vb_option_set(w, vb_workload_option(w, "workers"), 0, opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, w->name) && strstr(err->msg, "workers"));
	vb_error_free(&err);

	/* duration=0 means "until stopped": refused when nothing can stop the run. */
	CHECK(vb_option_set(w, dur, 0, opts, &err) == 0);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, w->name) && strstr(err->msg, "duration_ms"));
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	CHECK(w->run(&ctx, opts, values, &err) == -EINVAL);
	vb_error_free(&err);

	/* duration=0 with a stop flag: runs until another thread sets it, then succeeds. */
	volatile sig_atomic_t stop = 0;
	struct stopper s;
	ctx.stop = &stop;
	CHECK(w->check(opts, &ctx, &err) == 0);
	stopper_start(&s, &stop, 150);
	CHECK_MSG(run_timed(w, &ctx, opts, values, &secs, &err) == 0, "%s", err ? err->msg : "");
	double end = vb_now();
	pthread_join(s.tid, NULL);
	vb_error_free(&err);
	check_positive(w, values);
	CHECK_MSG(secs >= 0.145, "stopped after 150 ms, yet ended after %.3f s", secs);
	CHECK_MSG(end - s.set_at < 0.25, "ended %.3f s after the stop", end - s.set_at);
	CHECK(strstr(log.last, "(stopped)") != NULL);

	/* A long duration cut short by the stop flag. */
	stop = 0;
	CHECK(vb_option_set(w, dur, 60000, opts, &err) == 0);
	stopper_start(&s, &stop, 100);
	CHECK_MSG(run_timed(w, &ctx, opts, values, &secs, &err) == 0, "%s", err ? err->msg : "");
	end = vb_now();
	pthread_join(s.tid, NULL);
	vb_error_free(&err);
	CHECK_MSG(secs < 1.0, "a 60 s run stopped after 100 ms took %.3f s", secs);
	CHECK_MSG(end - s.set_at < 0.25, "ended %.3f s after the stop", end - s.set_at);

	/* Stopped before it starts: success, little or no work, at once. */
	CHECK(run_timed(w, &ctx, opts, values, &secs, &err) == 0);
	CHECK(values[0] >= 0 && isfinite(values[1]));
	CHECK_MSG(secs < 0.25, "took %.3f s", secs);
	free(opts);
}

static void test_stress_cpu(void)
{
	check_aggressor(&vb_workload_stress_cpu, NULL);
	CHECK(vb_workload_nmetrics(&vb_workload_stress_cpu) == 2);
}

static void test_stress_cpu_workers(void)
{
	const struct vb_workload_ops *w = &vb_workload_stress_cpu;
	struct vb_workload_ctx ctx = { .online_cpus = 2 };
	struct vb_error *err = NULL;
	double one[2], four[2], secs;
	void *opts;

	/* More workers than CPUs still end on time and share the CPUs. */
	opts = make_opts(w, "workers", "1", "duration_ms", "200", NULL);
	CHECK(run_timed(w, &ctx, opts, one, &secs, &err) == 0);
	free(opts);
	opts = make_opts(w, "workers", "4", "duration_ms", "200", NULL);
	CHECK(run_timed(w, &ctx, opts, four, &secs, &err) == 0);
	CHECK_MSG(secs < 1.0, "4 workers, 200 ms: %.3f s", secs);
	CHECK(one[0] > 0 && four[0] > 0);
	free(opts);
	CHECK(err == NULL);
}

static void test_stress_vm(void)
{
	const struct vb_workload_ops *w = &vb_workload_stress_vm;
	struct vb_workload_ctx ctx = { .online_cpus = 2 };
	struct vb_error *err = NULL;
	double values[3], secs;
	void *opts;

	check_aggressor(w, "size");
	CHECK(vb_workload_nmetrics(w) == 3);
	CHECK(!strcmp(w->metrics[2].name, "touch_rate") && !strcmp(w->metrics[2].unit, "MiB/s"));

	/* A size that is not a multiple of the page: its last partial page is touched too. */
	opts = make_opts(w, "workers", "1", "size", "12345", "duration_ms", "100", NULL);
	CHECK_MSG(run_timed(w, &ctx, opts, values, &secs, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	check_positive(w, values);
	/* 4 pages a round; MiB touched / rounds is (almost, partial rounds aside) 16 KiB. */
	CHECK_MSG(values[2] / values[1] >= 4.0 * 4096 / MIB * 0.99, "%g MiB/s, %g rounds/s",
		  values[2], values[1]);
	free(opts);
}

static void test_stress_vm_memory(void)
{
	const struct vb_workload_ops *w = &vb_workload_stress_vm;
	volatile sig_atomic_t stop = 0;
	struct vb_workload_ctx ctx = { .online_cpus = 2, .mem_total = 64 * MIB, .stop = &stop };
	struct vb_error *err = NULL;
	void *opts;

	/* workers x size may take half of memory, no more. */
	opts = make_opts(w, "workers", "2", "size", "16M", NULL);
	CHECK(w->check(opts, &ctx, &err) == 0);
	CHECK(err == NULL);
	free(opts);
	opts = make_opts(w, "workers", "2", "size", "17M", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "stress.vm") && strstr(err->msg, "size") &&
	      strstr(err->msg, "64 MiB"));
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	free(opts);
	opts = make_opts(w, "workers", "1", "size", "1T", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	vb_error_free(&err);
	/* run() refuses as well, without mapping anything. */
	double values[3] = { -1, -1, -1 };
	CHECK(w->run(&ctx, opts, values, &err) == -EINVAL);
	CHECK(values[0] == -1);
	vb_error_free(&err);
	/* Memory size unknown: nothing to check against. */
	ctx.mem_total = 0;
	CHECK(w->check(opts, &ctx, &err) == 0);
	free(opts);

	/* Size bounds: zero and absurd sizes never reach check(). */
	opts = make_opts(w, NULL);
	CHECK(vb_option_set(w, vb_workload_option(w, "size"), 0, opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "stress.vm") && strstr(err->msg, "size"));
	vb_error_free(&err);
	CHECK(vb_option_parse(w, vb_workload_option(w, "size"), "2T", opts, &err) == -EINVAL);
	vb_error_free(&err);
	free(opts);
}

TEST_MAIN(T(test_stress_cpu), T(test_stress_cpu_workers), T(test_stress_vm),
	  T(test_stress_vm_memory))
