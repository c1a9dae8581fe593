/* SPDX-License-Identifier: MIT */
/* Unit tests for src/stats: summaries, t quantiles, RNG, bootstrap, verdicts, schedule. */
#include <errno.h>
#include <stdbool.h>

#include "test.h"
#include "virtbench/stats.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void test_summary_known(void)
{
	static const double x[] = { 9, 2, 5, 4, 7, 4, 5, 4 };
	struct vb_summary s;
	double half;

	vb_stats_summarize(x, ARRAY_LEN(x), &s);
	CHECK(s.n == 8);
	CHECK_NEAR(s.mean, 5, 1e-12);
	CHECK_NEAR(s.median, 4.5, 1e-12);
	CHECK_NEAR(s.stdev, 2.138089935299395, 1e-12);
	CHECK(s.min == 2);
	CHECK(s.max == 9);
	/* t(0.975, 7) = 2.364624252 */
	half = 2.364624252 * 2.138089935299395 / sqrt(8);
	CHECK_NEAR(s.ci_low, 5 - half, 1e-8);
	CHECK_NEAR(s.ci_high, 5 + half, 1e-8);
	CHECK_NEAR(s.ci_rel, half / 5, 1e-9);
	/* the input is left unsorted */
	CHECK(x[0] == 9 && x[1] == 2);
}

static void test_summary_odd_negative(void)
{
	static const double x[] = { -3, -1, -2 };
	struct vb_summary s;

	vb_stats_summarize(x, ARRAY_LEN(x), &s);
	CHECK_NEAR(s.mean, -2, 1e-12);
	CHECK_NEAR(s.median, -2, 1e-12);
	CHECK_NEAR(s.stdev, 1, 1e-12);
	/* relative to |mean| */
	CHECK(s.ci_rel > 0);
	CHECK_NEAR(s.ci_rel, 4.302652730 / sqrt(3) / 2, 1e-8);
	CHECK(s.ci_low < -2 && s.ci_high > -2);
}

static void test_summary_single(void)
{
	static const double x[] = { 42.5 };
	struct vb_summary s;

	vb_stats_summarize(x, 1, &s);
	CHECK(s.n == 1);
	CHECK(s.mean == 42.5);
	CHECK(s.median == 42.5);
	CHECK(s.stdev == 0);
	CHECK(s.min == 42.5 && s.max == 42.5);
	CHECK(isnan(s.ci_low));
	CHECK(isnan(s.ci_high));
	CHECK(isinf(s.ci_rel) && s.ci_rel > 0);
}

static void test_summary_zero_mean(void)
{
	static const double x[] = { -1, 1, -2, 2 };
	static const double c[] = { 3, 3, 3 };
	struct vb_summary s;

	vb_stats_summarize(x, ARRAY_LEN(x), &s);
	CHECK(s.mean == 0);
	CHECK(isinf(s.ci_rel));
	CHECK(!isnan(s.ci_low));

	vb_stats_summarize(c, ARRAY_LEN(c), &s);
	CHECK(s.stdev == 0);
	CHECK(s.ci_rel == 0);
	CHECK(s.ci_low == 3 && s.ci_high == 3);
}

static void test_t_quantile_table(void)
{
	static const struct {
		double p, df, t, tol;
	} cases[] = {
		/* textbook table values (4 decimals) */
		{ 0.975, 1, 12.7062, 5e-5 },
		{ 0.975, 2, 4.3027, 5e-5 },
		{ 0.975, 5, 2.5706, 5e-5 },
		{ 0.975, 10, 2.2281, 5e-5 },
		{ 0.975, 30, 2.0423, 5e-5 },
		{ 0.975, 1000, 1.9623, 5e-5 },
		{ 0.995, 4, 4.6041, 5e-5 },
		/* more digits (computed with mpmath at 50 digits) */
		{ 0.975, 1, 12.706204736174698, 1e-9 },
		{ 0.975, 3, 3.182446305283708, 1e-9 },
		{ 0.975, 7, 2.364624251592785, 1e-9 },
		{ 0.975, 1000, 1.962339080826408, 1e-9 },
		{ 0.95, 20, 1.724718242920787, 1e-9 },
		{ 0.9, 1, 3.077683537175254, 1e-9 },
		{ 0.999, 3, 10.214531852407385, 1e-8 },
		/* real-valued df */
		{ 0.975, 2.5, 3.574654842003682, 1e-9 },
		{ 0.975, 7.3, 2.345066736547703, 1e-9 },
		/* large df approaches the normal quantile */
		{ 0.975, 1e6, 1.959966356814107, 1e-9 },
		{ 0.975, INFINITY, 1.959963984540054, 1e-9 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		double t = vb_stats_t_quantile(cases[i].p, cases[i].df);

		CHECK_MSG(fabs(t - cases[i].t) <= cases[i].tol, "t(%g, %g) = %.12g, want %.12g",
			  cases[i].p, cases[i].df, t, cases[i].t);
	}
}

static void test_t_quantile_shape(void)
{
	static const double dfs[] = { 1, 1.5, 2, 3, 4.25, 9, 29, 200, 5000, 1e5, 1e7 };
	/* 1 - p must be exact enough for the symmetry check: 2^-30, not 1e-9 */
	static const double ps[] = { 0x1p-30, 0.001, 0.025, 0.2, 0.45, 0.5 };

	CHECK(vb_stats_t_quantile(0.5, 3) == 0);
	CHECK(isnan(vb_stats_t_quantile(0.5, 0)));
	CHECK(isnan(vb_stats_t_quantile(1.5, 3)));
	CHECK(isnan(vb_stats_t_quantile(NAN, 3)));

	for (size_t i = 0; i < ARRAY_LEN(dfs); i++) {
		double prev = -INFINITY;

		for (size_t j = 0; j < ARRAY_LEN(ps); j++) {
			double lo = vb_stats_t_quantile(ps[j], dfs[i]);
			double hi = vb_stats_t_quantile(1 - ps[j], dfs[i]);

			CHECK_MSG(fabs(lo + hi) <= 1e-9 * fabs(hi),
				  "symmetry df %g p %g: %.12g %.12g", dfs[i], ps[j], lo, hi);
			CHECK_MSG(lo > prev, "monotone in p at df %g p %g", dfs[i], ps[j]);
			prev = lo;
		}
		/* heavier tails for fewer degrees of freedom */
		if (i > 0)
			CHECK_MSG(vb_stats_t_quantile(0.975, dfs[i]) <
				      vb_stats_t_quantile(0.975, dfs[i - 1]),
				  "monotone in df at %g", dfs[i]);
	}
	CHECK_NEAR(vb_stats_t_quantile(0.025, 10), -2.228138851986273, 1e-9);
	/* far tail with a heavy distribution: t(1e-12, 1) = -1 / tan(pi * 1e-12) */
	CHECK_MSG(fabs(vb_stats_t_quantile(1e-12, 1) / -318309886183.7907 - 1) < 1e-9, "%.17g",
		  vb_stats_t_quantile(1e-12, 1));
	CHECK_MSG(fabs(vb_stats_t_quantile(1e-12, 3) / -10331.10824429249 - 1) < 1e-9, "%.17g",
		  vb_stats_t_quantile(1e-12, 3));
}

static void test_rng(void)
{
	struct vb_rng a, b;
	double sum = 0, nsum = 0, nsq = 0, umin = 1, umax = 0;
	const int n = 100000;
	bool differ = false;

	/* the reference stream of splitmix64-seeded xoshiro256** */
	vb_rng_seed(&a, 0);
	CHECK(a.s[0] == 0xe220a8397b1dcdafULL);
	CHECK(vb_rng_next(&a) == 0x99ec5f36cb75f2b4ULL);
	CHECK(vb_rng_next(&a) == 0xbf6e1f784956452aULL);
	CHECK(vb_rng_next(&a) == 0x1a5f849d4933e6e0ULL);
	vb_rng_seed(&a, 42);
	CHECK(vb_rng_next(&a) == 0x15780b2e0c2ec716ULL);

	vb_rng_seed(&a, 12345);
	vb_rng_seed(&b, 12345);
	for (int i = 0; i < 1000; i++)
		CHECK(vb_rng_next(&a) == vb_rng_next(&b));
	vb_rng_seed(&b, 12346);
	for (int i = 0; i < 10; i++)
		differ |= vb_rng_next(&a) != vb_rng_next(&b);
	CHECK(differ);

	vb_rng_seed(&a, 7);
	for (int i = 0; i < n; i++) {
		double u = vb_rng_uniform(&a);

		CHECK(u >= 0 && u < 1);
		sum += u;
		umin = u < umin ? u : umin;
		umax = u > umax ? u : umax;
	}
	/* standard error of the mean is 0.29 / sqrt(n) = 0.0009 */
	CHECK_NEAR(sum / n, 0.5, 0.005);
	CHECK(umin < 0.001 && umax > 0.999);

	for (int i = 0; i < n; i++) {
		double z = vb_rng_normal(&a);

		CHECK(isfinite(z));
		nsum += z;
		nsq += z * z;
	}
	CHECK_NEAR(nsum / n, 0, 0.015);
	CHECK_NEAR(nsq / n - (nsum / n) * (nsum / n), 1, 0.02);
}

static void test_bootstrap_coverage(void)
{
	static const double ratios[] = { 0.8, 1.0, 1.25 };
	const unsigned per_ratio = 200, n = 10, iterations = 1000;
	unsigned covered = 0, total = 0, ordered = 0;

	for (size_t k = 0; k < ARRAY_LEN(ratios); k++) {
		double tr = ratios[k];

		for (unsigned c = 0; c < per_ratio; c++) {
			struct vb_rng rng;
			struct vb_ratio r;
			double host[10], plat[10];
			int ret;

			vb_rng_seed(&rng, 1000 * k + c);
			for (unsigned i = 0; i < n; i++) {
				host[i] = 10 + 0.5 * vb_rng_normal(&rng);
				plat[i] = 10 * tr + 0.5 * tr * vb_rng_normal(&rng);
			}
			ret = vb_stats_bootstrap_ratio(plat, n, host, n, iterations,
						       0xb007 + 7919 * total, &r);
			CHECK(ret == 0);
			ordered += r.low <= r.ratio && r.ratio <= r.high;
			covered += r.low <= tr && tr <= r.high;
			total++;
		}
	}
	printf("# coverage %u/%u = %.3f\n", covered, total, (double)covered / total);
	CHECK_MSG(ordered == total, "%u of %u intervals ordered", ordered, total);
	CHECK_MSG((double)covered / total >= 0.90, "coverage %.3f", (double)covered / total);
	/* a percentile interval that is far too wide would also "cover" */
	CHECK((double)covered / total <= 0.99);
}

static void test_bootstrap_basic(void)
{
	static const double a[] = { 20, 21, 19, 20.5, 19.5 };
	static const double b[] = { 10, 10.5, 9.5, 10.2, 9.8 };
	struct vb_ratio r1, r2, r3;

	CHECK(vb_stats_bootstrap_ratio(a, 5, b, 5, 2000, 1, &r1) == 0);
	CHECK(vb_stats_bootstrap_ratio(a, 5, b, 5, 2000, 1, &r2) == 0);
	CHECK(vb_stats_bootstrap_ratio(a, 5, b, 5, 2000, 2, &r3) == 0);
	CHECK_NEAR(r1.ratio, 2, 1e-12);
	CHECK(r1.low == r2.low && r1.high == r2.high);
	CHECK(r1.low != r3.low || r1.high != r3.high);
	CHECK(r1.low < 2 && r1.high > 2);
	CHECK(r1.low > 1.8 && r1.high < 2.2);
	CHECK(vb_stats_verdict(&r1, true) == VB_VERDICT_FASTER);

	CHECK(vb_stats_bootstrap_ratio(b, 1, b, 1, 10, 1, &r1) == -EINVAL);
	/* identical constant samples: a degenerate interval */
	{
		static const double c[] = { 4, 4, 4 };

		CHECK(vb_stats_bootstrap_ratio(c, 3, c, 3, 100, 1, &r1) == 0);
		CHECK(r1.ratio == 1 && r1.low == 1 && r1.high == 1);
	}
}

static void test_bootstrap_einval(void)
{
	static const double a[] = { 1, 2, 3 };
	static const double z[] = { -1, 1, 0 };
	struct vb_ratio r;

	CHECK(vb_stats_bootstrap_ratio(a, 1, a, 3, 100, 1, &r) == -EINVAL);
	CHECK_NEAR(r.ratio, 0.5, 1e-12);
	CHECK(vb_stats_bootstrap_ratio(a, 3, a, 1, 100, 1, &r) == -EINVAL);
	CHECK_NEAR(r.ratio, 2, 1e-12);
	CHECK(vb_stats_bootstrap_ratio(a, 3, z, 3, 100, 1, &r) == -EINVAL);
	CHECK(isnan(r.ratio));
	CHECK(vb_stats_bootstrap_ratio(a, 0, a, 3, 100, 1, &r) == -EINVAL);
	CHECK(isnan(r.ratio));
	CHECK(vb_stats_bootstrap_ratio(a, 3, a, 3, 0, 1, &r) == -EINVAL);
	CHECK(vb_stats_verdict(&r, true) == VB_VERDICT_SAME);
}

static void test_verdict(void)
{
	struct vb_ratio above = { 1.2, 1.1, 1.3 }, below = { 0.8, 0.7, 0.9 };
	struct vb_ratio across = { 1.0, 0.9, 1.1 }, touch = { 1.1, 1.0, 1.2 };
	struct vb_ratio none = { NAN, NAN, NAN }, noint = { 1.5, NAN, NAN };

	CHECK(vb_stats_verdict(&above, true) == VB_VERDICT_FASTER);
	CHECK(vb_stats_verdict(&above, false) == VB_VERDICT_SLOWER);
	CHECK(vb_stats_verdict(&below, true) == VB_VERDICT_SLOWER);
	CHECK(vb_stats_verdict(&below, false) == VB_VERDICT_FASTER);
	CHECK(vb_stats_verdict(&across, true) == VB_VERDICT_SAME);
	CHECK(vb_stats_verdict(&across, false) == VB_VERDICT_SAME);
	CHECK(vb_stats_verdict(&touch, true) == VB_VERDICT_SAME);
	CHECK(vb_stats_verdict(&none, true) == VB_VERDICT_NONE);
	CHECK(vb_stats_verdict(&noint, true) == VB_VERDICT_SAME);

	CHECK(strcmp(vb_verdict_name(VB_VERDICT_NONE), "none") == 0);
	CHECK(strcmp(vb_verdict_name(VB_VERDICT_SAME), "indistinguishable") == 0);
	CHECK(strcmp(vb_verdict_name(VB_VERDICT_FASTER), "faster") == 0);
	CHECK(strcmp(vb_verdict_name(VB_VERDICT_SLOWER), "slower") == 0);
}

static void test_mad_outliers(void)
{
	static const double x[] = { 10, 10.1, 9.9, 10.05, 9.95, 30 };
	static const double c[] = { 5, 5, 5, 7, 5, 5 };
	static const double clean[] = { 1, 2, 3, 4, 5 };
	bool flags[6];

	CHECK(vb_stats_mad_outliers(x, ARRAY_LEN(x), 3.5, flags) == 1);
	for (size_t i = 0; i < ARRAY_LEN(x); i++)
		CHECK_MSG(flags[i] == (i == 5), "flag %zu", i);

	CHECK(vb_stats_mad_outliers(c, ARRAY_LEN(c), 3.5, flags) == 1);
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		CHECK_MSG(flags[i] == (i == 3), "flag %zu", i);

	CHECK(vb_stats_mad_outliers(clean, ARRAY_LEN(clean), 3.5, flags) == 0);
	for (size_t i = 0; i < ARRAY_LEN(clean); i++)
		CHECK(!flags[i]);
	/* a low threshold: 0.6745 * 2 / 1 = 1.35 flags only the ends */
	CHECK(vb_stats_mad_outliers(clean, ARRAY_LEN(clean), 1.0, flags) == 2);
	CHECK(flags[0] && flags[4] && !flags[1] && !flags[2] && !flags[3]);
	CHECK(vb_stats_mad_outliers(x, ARRAY_LEN(x), 3.5, NULL) == 1);
}

static void test_stop_rule(void)
{
	static const double tight[] = { 100, 100.1, 99.9, 100, 100.05, 99.95 };
	static const double loose[] = { 50, 150, 80, 120, 60, 140 };
	struct vb_stop_rule rule = { .min_runs = 5, .max_runs = 20, .ci_target = 0.02 };
	struct vb_summary s;

	vb_stats_summarize(tight, 4, &s);
	CHECK(s.ci_rel < 0.02);
	CHECK(!vb_stats_cell_done(&rule, &s)); /* below min_runs */

	vb_stats_summarize(tight, ARRAY_LEN(tight), &s);
	CHECK(vb_stats_cell_done(&rule, &s));

	vb_stats_summarize(loose, ARRAY_LEN(loose), &s);
	CHECK(s.ci_rel > 0.02);
	CHECK(!vb_stats_cell_done(&rule, &s));
	s.n = 20;
	CHECK(vb_stats_cell_done(&rule, &s)); /* max_runs */
	s.n = 25;
	CHECK(vb_stats_cell_done(&rule, &s));

	rule.ci_target = 0;
	vb_stats_summarize(tight, ARRAY_LEN(tight), &s);
	CHECK(!vb_stats_cell_done(&rule, &s)); /* no target: run to max */
	s.n = 20;
	CHECK(vb_stats_cell_done(&rule, &s));

	/* min_runs below 2 still needs 2 samples for an interval */
	rule.min_runs = 0;
	rule.ci_target = 0.5;
	vb_stats_summarize(tight, 1, &s);
	CHECK(!vb_stats_cell_done(&rule, &s));
	s.ci_rel = 0;
	CHECK(!vb_stats_cell_done(&rule, &s));
	vb_stats_summarize(tight, 2, &s);
	CHECK(vb_stats_cell_done(&rule, &s));
}

struct slot_want {
	unsigned round, workload, platform;
	bool warmup, last;
};

static void check_slots(struct vb_sched *s, const struct slot_want *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct vb_slot slot;
		bool ok = vb_sched_next(s, &slot), same;

		CHECK_MSG(ok, "slot %zu missing", i);
		if (!ok)
			return;
		same = slot.round == want[i].round && slot.workload == want[i].workload &&
		       slot.platform == want[i].platform && slot.warmup == want[i].warmup &&
		       slot.last_in_workload == want[i].last;
		/* round/workload/platform/warmup/last */
		CHECK_MSG(same, "slot %zu: got %u/%u/%u/%d/%d, want %u/%u/%u/%d/%d", i, slot.round,
			  slot.workload, slot.platform, slot.warmup, slot.last_in_workload,
			  want[i].round, want[i].workload, want[i].platform, want[i].warmup,
			  want[i].last);
	}
}

static void test_schedule(void)
{
	static const struct slot_want first[] = {
		{ 0, 0, 0, true, false },  { 0, 0, 1, true, true },   { 0, 1, 0, true, false },
		{ 0, 1, 1, true, true },   { 1, 0, 0, false, false }, { 1, 0, 1, false, true },
		{ 1, 1, 0, false, false }, { 1, 1, 1, false, true },  { 2, 0, 0, false, false },
		{ 2, 0, 1, false, true },  { 2, 1, 0, false, false }, { 2, 1, 1, false, true },
	};
	static const struct slot_want rest[] = {
		{ 3, 1, 0, false, false },
		{ 3, 1, 1, false, true },
		{ 4, 1, 0, false, false },
		{ 4, 1, 1, false, true },
	};
	struct vb_sched s;
	struct vb_slot slot;

	vb_sched_init(&s, 2, 2, 1);
	check_slots(&s, first, 8); /* rounds 0 and 1 */
	vb_sched_mark_done(&s, 0);
	check_slots(&s, first + 10, 2); /* round 2: only workload 1 */
	check_slots(&s, rest, ARRAY_LEN(rest));
	vb_sched_mark_done(&s, 1);
	CHECK(!vb_sched_next(&s, &slot));
	CHECK(!vb_sched_next(&s, &slot));
	vb_sched_release(&s);
	vb_sched_release(&s);

	/* without marks, the first three rounds in full */
	vb_sched_init(&s, 2, 2, 1);
	check_slots(&s, first, ARRAY_LEN(first));
	vb_sched_release(&s);
}

static void test_schedule_mid_workload(void)
{
	static const struct slot_want want[] = {
		/* done marked after w0 p0: w0 still runs p1 and p2 this round */
		{ 0, 0, 1, false, false }, { 0, 0, 2, false, true }, { 0, 1, 0, false, false },
		{ 0, 1, 1, false, false }, { 0, 1, 2, false, true }, { 1, 1, 0, false, false },
	};
	struct vb_sched s;
	struct vb_slot slot;

	vb_sched_init(&s, 3, 2, 0);
	CHECK(vb_sched_next(&s, &slot));
	CHECK(slot.round == 0 && slot.workload == 0 && slot.platform == 0 && !slot.warmup);
	vb_sched_mark_done(&s, 0);
	check_slots(&s, want, ARRAY_LEN(want));

	/* every workload done mid-way: finish the platforms, then end */
	vb_sched_mark_done(&s, 1);
	CHECK(vb_sched_next(&s, &slot));
	CHECK(slot.round == 1 && slot.workload == 1 && slot.platform == 1);
	CHECK(vb_sched_next(&s, &slot));
	CHECK(slot.round == 1 && slot.workload == 1 && slot.platform == 2 && slot.last_in_workload);
	CHECK(!vb_sched_next(&s, &slot));
	vb_sched_release(&s);
}

static void test_schedule_warmup_marks(void)
{
	static const struct slot_want want[] = {
		{ 0, 0, 0, true, true },  { 0, 1, 0, true, true },  { 0, 2, 0, true, true },
		{ 1, 0, 0, true, true },  { 1, 1, 0, true, true },  { 1, 2, 0, true, true },
		{ 2, 1, 0, false, true }, { 3, 1, 0, false, true },
	};
	struct vb_sched s;
	struct vb_slot slot;

	/* one platform, three workloads, two warm-up rounds */
	vb_sched_init(&s, 1, 3, 2);
	vb_sched_mark_done(&s, 0);
	vb_sched_mark_done(&s, 2);
	vb_sched_mark_done(&s, 7); /* out of range: ignored */
	check_slots(&s, want, ARRAY_LEN(want));
	vb_sched_mark_done(&s, 1);
	CHECK(!vb_sched_next(&s, &slot));
	vb_sched_release(&s);

	/* nothing to schedule */
	vb_sched_init(&s, 0, 3, 1);
	CHECK(!vb_sched_next(&s, &slot));
	vb_sched_release(&s);
	vb_sched_init(&s, 2, 0, 1);
	CHECK(!vb_sched_next(&s, &slot));
	vb_sched_release(&s);
}

TEST_MAIN(T(test_summary_known), T(test_summary_odd_negative), T(test_summary_single),
	  T(test_summary_zero_mean), T(test_t_quantile_table), T(test_t_quantile_shape),
	  T(test_rng), T(test_bootstrap_coverage), T(test_bootstrap_basic),
	  T(test_bootstrap_einval), T(test_verdict), T(test_mad_outliers), T(test_stop_rule),
	  T(test_schedule), T(test_schedule_mid_workload), T(test_schedule_warmup_marks))
