/* SPDX-License-Identifier: MIT */
/* Unit tests for mem.mbw, run directly with tiny options. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>

#include "test.h"
#include "wl-test.h"
#include "core/util.h"
#include "virtbench/workload.h"

#define MIB ((uint64_t)1 << 20)

extern const struct vb_workload_ops vb_workload_mem_mbw;

static void test_mbw_descriptors(void)
{
	const struct vb_workload_ops *w = &vb_workload_mem_mbw;
	static const char *const names[] = { "memcpy", "dumb", "mcblock" };
	char buf[32];

	CHECK(!strcmp(w->name, "mem.mbw"));
	CHECK(!strcmp(w->group, "w2"));
	CHECK(!strcmp(w->study_ref, "§4.3"));
	CHECK(w->check != NULL && w->run != NULL);
	CHECK(vb_workload_nmetrics(w) == 3);
	for (size_t i = 0; i < 3 && i < vb_workload_nmetrics(w); i++) {
		CHECK(!strcmp(w->metrics[i].name, names[i]));
		CHECK(!strcmp(w->metrics[i].unit, "MiB/s"));
		CHECK(w->metrics[i].higher_is_better);
	}
	/* Profiles: quick 64 MiB x 3 loops, full as mbw (256 MiB, 10 loops), 256 KiB blocks. */
	const struct vb_option *size = vb_workload_option(w, "size");
	const struct vb_option *loops = vb_workload_option(w, "loops");
	const struct vb_option *block = vb_workload_option(w, "block");
	CHECK(size && loops && block);
	if (!size || !loops || !block)
		return;
	CHECK(size->def[VB_PROFILE_QUICK] == 64 * MIB && loops->def[VB_PROFILE_QUICK] == 8);
	CHECK(size->def[VB_PROFILE_FULL] == 256 * MIB && loops->def[VB_PROFILE_FULL] == 10);
	CHECK(block->def[VB_PROFILE_QUICK] == 262144 && block->def[VB_PROFILE_FULL] == 262144);
	CHECK(!strcmp(vb_option_format(block, block->def[0], buf, sizeof(buf)), "256KiB"));
	/* Every default set passes check() on a machine of 1 GiB. */
	for (int p = 0; p < 2; p++) {
		struct vb_workload_ctx ctx = { .online_cpus = 1, .mem_total = 1024 * MIB };
		_cleanup_free_ void *opts = xmalloc(w->opts_size);
		struct vb_error *err = NULL;

		vb_options_defaults(w, (enum vb_profile)p, opts);
		CHECK_MSG(w->check(opts, &ctx, &err) == 0, "%s", err ? err->msg : "");
		vb_error_free(&err);
	}
}

static void test_mbw_run(void)
{
	const struct vb_workload_ops *w = &vb_workload_mem_mbw;
	struct log_capture log = { 0 };
	struct vb_workload_ctx ctx = {
		.online_cpus = 1, .mem_total = 1024 * MIB, .log = capture_log, .log_data = &log
	};
	struct vb_error *err = NULL;
	double values[3];
	void *opts;

	/* run() compares the copy with the source after each method: 0 is that check. */
	opts = make_opts(w, "size", "1M", "loops", "2", "block", "64K", NULL);
	CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	for (int i = 0; i < 3; i++)
		CHECK_MSG(isfinite(values[i]) && values[i] > 0, "metric %d = %g", i, values[i]);
	CHECK(log.n == 1);
	CHECK_MSG(strstr(log.last, "copies verified") && strstr(log.last, "MEMCPY") &&
		      strstr(log.last, "DUMB") && strstr(log.last, "MCBLOCK"),
		  "%s", log.last);
	free(opts);

	/*
	 * Sizes that are not a multiple of 8 (DUMB's byte tail) nor of the block
	 * (MCBLOCK's remainder), a block equal to the size, the smallest block.
	 */
	static const char *const sets[][3] = {
		{ "12345", "1000", "1" }, { "4K", "4K", "3" },	   { "4097", "64", "2" },
		{ "8200", "8199", "1" },  { "65536", "333", "2" }, { "1M", "1M", "1" },
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		opts = make_opts(w, "size", sets[i][0], "block", sets[i][1], "loops", sets[i][2],
				 NULL);
		CHECK_MSG(run_once(w, &ctx, opts, values, &err) == 0, "size %s block %s: %s",
			  sets[i][0], sets[i][1], err ? err->msg : "");
		vb_error_free(&err);
		for (int k = 0; k < 3; k++)
			CHECK(isfinite(values[k]) && values[k] > 0);
		free(opts);
	}

	/* No log callback is fine. */
	ctx.log = NULL;
	opts = make_opts(w, "size", "64K", "loops", "1", "block", "4K", NULL);
	CHECK(run_once(w, &ctx, opts, values, &err) == 0);
	CHECK(err == NULL);
	free(opts);
}

static void test_mbw_bad_options(void)
{
	const struct vb_workload_ops *w = &vb_workload_mem_mbw;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .mem_total = 64 * MIB };
	struct vb_error *err = NULL;
	double values[3] = { -1, -1, -1 };
	void *opts;

	/* Bounds: zero and absurd values never reach run(). */
	check_rejected(w, "size", "0");
	check_rejected(w, "size", "100");
	check_rejected(w, "size", "128T");
	check_rejected(w, "loops", "0");
	check_rejected(w, "block", "0");
	check_rejected(w, "block", "1");
	check_rejected(w, "size", "lots");

	/* A block larger than the array. */
	opts = make_opts(w, "size", "1M", "block", "2M", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK_MSG(err && strstr(err->msg, "mem.mbw") && strstr(err->msg, "block"), "%s",
		  err ? err->msg : "");
	vb_error_free(&err);
	/* run() on its own refuses it too, before touching values. */
	CHECK(w->run(&ctx, opts, values, &err) == -EINVAL);
	CHECK(values[0] == -1);
	vb_error_free(&err);
	free(opts);

	/* Two arrays in at most half of memory: 16 MiB each of 64 MiB fits, 17 does not. */
	opts = make_opts(w, "size", "16M", NULL);
	CHECK(w->check(opts, &ctx, &err) == 0);
	CHECK(err == NULL);
	free(opts);
	opts = make_opts(w, "size", "17M", NULL);
	CHECK(w->check(opts, &ctx, &err) == -EINVAL);
	CHECK_MSG(err && strstr(err->msg, "mem.mbw") && strstr(err->msg, "size") &&
		      strstr(err->msg, "64 MiB"),
		  "%s", err ? err->msg : "");
	vb_error_free(&err);
	/* Unknown memory size: nothing to check against. */
	ctx.mem_total = 0;
	CHECK(w->check(opts, &ctx, &err) == 0);
	free(opts);
}

static void test_mbw_stop(void)
{
	const struct vb_workload_ops *w = &vb_workload_mem_mbw;
	volatile sig_atomic_t stop = 1;
	struct vb_workload_ctx ctx = { .online_cpus = 1, .stop = &stop };
	struct vb_error *err = NULL;
	double values[3] = { -1, -1, -1 };
	void *opts;

	opts = make_opts(w, "size", "64K", "loops", "1000", "block", "4K", NULL);
	CHECK(w->run(&ctx, opts, values, &err) == -EINTR);
	CHECK(err && strstr(err->msg, "stopped"));
	CHECK(err && err->exit_code == VB_EXIT_INTERRUPTED);
	CHECK(values[0] == -1 && values[1] == -1 && values[2] == -1);
	vb_error_free(&err);
	free(opts);
}

TEST_MAIN(T(test_mbw_descriptors), T(test_mbw_run), T(test_mbw_bad_options), T(test_mbw_stop))
