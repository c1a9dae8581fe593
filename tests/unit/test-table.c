/* SPDX-License-Identifier: MIT */
/*
 * The text views of src/report/table.c: the isolation slowdown's direction
 * and interval, the emulation labels, and the pivot and isolation tables
 * built from rows as the store returns them.
 */
#include <math.h>

#include "report/report.h"
#include "test.h"

static struct vb_result_row row(const char *platform, const char *workload, const char *group,
				const char *metric, const char *unit, bool hib, double mean,
				double ratio, double lo, double hi)
{
	struct vb_result_row r = {
		.platform = (char *)platform,
		.workload = (char *)workload,
		.group = (char *)group,
		.metric = (char *)metric,
		.unit = (char *)unit,
		.higher_is_better = hib,
	};
	r.s.n = 5;
	r.s.mean = mean;
	r.s.ci_low = mean * 0.9;
	r.s.ci_high = mean * 1.1;
	r.s.ci_rel = 0.1;
	r.has_ratio = !isnan(ratio);
	r.ratio = (struct vb_ratio){ ratio, lo, hi };
	r.verdict = r.has_ratio ? VB_VERDICT_SLOWER : VB_VERDICT_NONE;
	return r;
}

/* What fn prints, read back from a temporary file; caller frees. */
static char *render(void (*fn)(FILE *, const struct vb_result_row *, size_t),
		    const struct vb_result_row *rows, size_t n)
{
	FILE *f = tmpfile();
	if (!f)
		abort();
	fn(f, rows, n);
	long len = ftell(f);
	rewind(f);
	char *out = calloc(1, (size_t)len + 1);
	if (!out || fread(out, 1, (size_t)len, f) != (size_t)len)
		abort();
	fclose(f);
	return out;
}

/* Does out hold s? Says what it holds when not. */
static bool has(const char *out, const char *s)
{
	if (strstr(out, s))
		return true;
	printf("# no '%s' in:\n%s", s, out);
	return false;
}

static void test_slowdown_direction(void)
{
	double p, lo, hi;
	/* A time 25 % up is a 25 % slowdown. */
	struct vb_result_row t =
	    row("c:noisy", "w", "w1", "elapsed", "s", false, 1.25, 1.25, 1.1, 1.4);
	CHECK(vb_report_slowdown(&t, &p, &lo, &hi));
	CHECK_NEAR(p, 25, 1e-9);
	CHECK_NEAR(lo, 10, 1e-9);
	CHECK_NEAR(hi, 40, 1e-9);
	/* A rate at 2/3 is a 50 % slowdown; the interval turns over. */
	struct vb_result_row r =
	    row("c:noisy", "w", "w2", "bandwidth", "MiB/s", true, 6000, 2.0 / 3, 0.6, 0.8);
	CHECK(vb_report_slowdown(&r, &p, &lo, &hi));
	CHECK_NEAR(p, 50, 1e-9);
	CHECK_NEAR(lo, 25, 1e-9);
	CHECK_NEAR(hi, 100.0 * (1 / 0.6 - 1), 1e-9);
	/* The reference row has no ratio, hence no slowdown. */
	struct vb_result_row a = row("c:alone", "w", "w1", "elapsed", "s", false, 1, NAN, NAN, NAN);
	CHECK(!vb_report_slowdown(&a, &p, &lo, &hi));
}

static void test_emulation_labels(void)
{
	CHECK(!strcmp(vb_report_emulation(0), ""));
	CHECK(!strcmp(vb_report_emulation(1), " (emulated)"));
	CHECK(!strcmp(vb_report_emulation(2), " (nested in QEMU/TCG)"));
}

static void test_pivot(void)
{
	struct vb_result_row rows[] = {
		row("container", "ops.lifecycle", "ops", "boot_s", "s", false, 0.0125, NAN, NAN,
		    NAN),
		row("xen", "ops.lifecycle", "ops", "boot_s", "s", false, 31.5, NAN, NAN, NAN),
		row("container", "ops.lifecycle", "ops", "footprint_bytes", "B", false, 1048576,
		    NAN, NAN, NAN),
	};
	rows[1].emulated = 2;
	char *out = render(vb_report_pivot, rows, sizeof(rows) / sizeof(rows[0]));
	CHECK(has(out, "xen (nested in QEMU/TCG)"));
	CHECK(has(out, "12.5 ms ±10.0%")); /* ms below a second */
	CHECK(has(out, "31.5 s ±10.0%"));
	CHECK(has(out, "1 MiB ±10.0%"));
	/* footprint has no xen cell: "-", not 0. */
	const char *line = strstr(out, "ops.lifecycle footprint_bytes");
	CHECK(line && strchr(line, '-'));
	free(out);
}

static void test_isolation_table(void)
{
	struct vb_result_row rows[] = {
		row("container:alone", "cpu.primes", "w1", "elapsed", "s", false, 1, NAN, NAN, NAN),
		row("container:noisy", "cpu.primes", "w1", "elapsed", "s", false, 1.25, 1.25, 1.1,
		    1.4),
		row("container:noisy", "stress.cpu", "aggressor", "rate", "ops/s", true, 1e6, NAN,
		    NAN, NAN),
	};
	char *out = render(vb_report_isolation, rows, sizeof(rows) / sizeof(rows[0]));
	CHECK(has(out, "(reference)"));
	CHECK(has(out, "+25.0% [+10.0%, +40.0%]"));
	CHECK(has(out, "proof of load"));
	/* The aggressor is not a victim row. */
	const char *proof = strstr(out, "proof of load");
	const char *agg = strstr(out, "stress.cpu");
	CHECK(proof && agg && agg > proof);
	free(out);
}

static void test_resolution(void)
{
	struct vb_result_row rows[] = {
		row("host", "a", "w1", "elapsed", "s", false, 1, NAN, NAN, NAN),
		row("container", "a", "w1", "elapsed", "s", false, 1, 1.0, 0.9, 1.1),
		row("qemu-tcg", "a", "w1", "elapsed", "s", false, 5, 5.0, 4.0, 6.0),
		row("container", "b", "w1", "elapsed", "s", false, 1, 1.0, 0.8, 1.2),
		row("container", "c", "w1", "elapsed", "s", false, 1, 1.0, NAN, NAN),
		row("container", "d", "w1", "elapsed", "s", false, 1, 1.0, 0.97, 1.02),
	};
	rows[2].emulated = 1;
	rows[3].verdict = VB_VERDICT_INCONCLUSIVE;
	rows[4].verdict = VB_VERDICT_INCONCLUSIVE;
	rows[5].verdict = VB_VERDICT_EQUIVALENT;
	char *out = render(vb_report_resolution, rows, sizeof(rows) / sizeof(rows[0]));
	/* half-widths 10 %, 20 %, 3 %: median 10 %, worst 20 %; one cell without an interval */
	CHECK(has(out, "  container: median ±10.0%, worst ±20.0% over 3 cells; 1 cell with no "
		       "interval; 0 faster, 1 slower, 1 equivalent, 2 inconclusive\n"));
	CHECK(has(out, "  qemu-tcg (emulated): median ±20.0%, worst ±20.0% over 1 cell; 0 faster, "
		       "1 slower, 0 equivalent, 0 inconclusive\n"));
	/* the baseline has no line; container comes first, as it does in the rows */
	CHECK(!strstr(out, "host:"));
	CHECK(strstr(out, "container:") < strstr(out, "qemu-tcg"));
	free(out);
	/* nothing with a ratio: nothing at all */
	out = render(vb_report_resolution, rows, 1);
	CHECK(!*out);
	free(out);
}

TEST_MAIN(T(test_slowdown_direction), T(test_emulation_labels), T(test_pivot),
	  T(test_isolation_table), T(test_resolution))
