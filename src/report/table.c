/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "core/util.h"
#include "report/report.h"

const char *vb_report_emulation(int emulated)
{
	return emulated == 2 ? " (nested in QEMU/TCG)" : emulated ? " (emulated)" : "";
}

const char *vb_report_value(double v, const char *unit, char *buf, size_t len)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.4g %s", v, unit);
	return buf;
}

enum {
	COL_WORKLOAD,
	COL_METRIC,
	COL_PLATFORM,
	COL_N,
	COL_MEAN,
	COL_CI,
	COL_RATIO,
	COL_VERDICT,
	COL_OUT,
	NCOLS
};

static const char *const headers[NCOLS] = {
	"workload", "metric",  "platform", "n", "mean", "±95% CI", "ratio to host [95% CI] ±half",
	"verdict",  "outliers"
};

static void fill(const struct vb_result_row *r, char cols[NCOLS][96])
{
	snprintf(cols[COL_WORKLOAD], 96, "%s", r->workload);
	snprintf(cols[COL_METRIC], 96, "%s (%s)", r->metric,
		 r->higher_is_better ? "higher is better" : "lower is better");
	snprintf(cols[COL_PLATFORM], 96, "%s%s", r->platform, vb_report_emulation(r->emulated));
	snprintf(cols[COL_N], 96, "%zu", r->s.n);
	vb_report_value(r->s.mean, r->unit, cols[COL_MEAN], 96);
	if (isfinite(r->s.ci_rel))
		snprintf(cols[COL_CI], 96, "±%.2f%%", 100 * r->s.ci_rel);
	else
		snprintf(cols[COL_CI], 96, "-");
	/* The half-width shows how much the interval resolved, whatever the verdict. */
	if (r->has_ratio && isfinite(r->ratio.low))
		snprintf(cols[COL_RATIO], 96, "%.3f [%.3f, %.3f] ±%.1f%%", r->ratio.ratio,
			 r->ratio.low, r->ratio.high, 100 * vb_stats_ratio_halfwidth(&r->ratio));
	else if (r->has_ratio)
		snprintf(cols[COL_RATIO], 96, "%.3f", r->ratio.ratio);
	else
		snprintf(cols[COL_RATIO], 96, "%s",
			 r->verdict == VB_VERDICT_NONE ? "baseline" : "-");
	snprintf(cols[COL_VERDICT], 96, "%s",
		 r->verdict == VB_VERDICT_NONE ? "" : vb_verdict_name(r->verdict));
	snprintf(cols[COL_OUT], 96, "%u", r->outliers);
}

size_t vb_report_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static void print_row(FILE *f, char cols[NCOLS][96], const size_t *w)
{
	for (int c = 0; c < NCOLS; c++) {
		bool right = c == COL_N || c == COL_MEAN || c == COL_CI || c == COL_OUT;
		size_t pad = w[c] - vb_report_width(cols[c]);
		if (right)
			fprintf(f, "%*s", (int)pad, "");
		fputs(cols[c], f);
		if (!right && c != NCOLS - 1)
			fprintf(f, "%*s", (int)pad, "");
		fputs(c == NCOLS - 1 ? "\n" : "  ", f);
	}
}

void vb_report_table(FILE *f, const struct vb_result_row *rows, size_t n)
{
	size_t w[NCOLS];
	char cols[NCOLS][96];
	for (int c = 0; c < NCOLS; c++)
		w[c] = vb_report_width(headers[c]);
	for (size_t i = 0; i < n; i++) {
		fill(&rows[i], cols);
		for (int c = 0; c < NCOLS; c++)
			if (vb_report_width(cols[c]) > w[c])
				w[c] = vb_report_width(cols[c]);
	}
	for (int c = 0; c < NCOLS; c++)
		snprintf(cols[c], 96, "%s", headers[c]);
	print_row(f, cols, w);
	for (size_t i = 0; i < n; i++) {
		fill(&rows[i], cols);
		/* Workload and metric once per group of platforms. */
		if (i > 0 && !strcmp(rows[i].workload, rows[i - 1].workload) &&
		    !strcmp(rows[i].metric, rows[i - 1].metric)) {
			cols[COL_WORKLOAD][0] = '\0';
			cols[COL_METRIC][0] = '\0';
		}
		print_row(f, cols, w);
	}
}

void vb_report_stacked(FILE *f, const struct vb_result_row *rows, size_t n, const char *group)
{
	/* Rows come ordered by workload, metric, platform: collect platforms in order. */
	const char *platforms[64];
	const char *last = NULL;
	size_t np = 0, parts = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].group, group) || strcmp(rows[i].metric, "elapsed"))
			continue;
		bool seen = false;
		for (size_t p = 0; p < np; p++)
			seen |= !strcmp(platforms[p], rows[i].platform);
		if (!seen && np < VB_ARRAY_SIZE(platforms))
			platforms[np++] = rows[i].platform;
		if (!last || strcmp(rows[i].workload, last))
			parts++;
		last = rows[i].workload;
	}
	if (parts < 2)
		return;
	fprintf(f, "\n%s stacked elapsed time (the study's figure 4.1):\n", group);
	for (size_t p = 0; p < np; p++) {
		double sum = 0, var = 0;
		bool exact = true;
		char line[1024] = "";
		size_t len = 0;
		for (size_t i = 0; i < n; i++) {
			const struct vb_result_row *r = &rows[i];
			if (strcmp(r->group, group) || strcmp(r->metric, "elapsed") ||
			    strcmp(r->platform, platforms[p]))
				continue;
			sum += r->s.mean;
			double half = (r->s.ci_high - r->s.ci_low) / 2;
			if (isfinite(half))
				var += half * half;
			else
				exact = false;
			int k = snprintf(line + len, sizeof(line) - len, "%s%s %.4g s",
					 len ? " + " : "", r->workload, r->s.mean);
			if (k > 0 && (size_t)k < sizeof(line) - len)
				len += (size_t)k;
		}
		char ci[32] = "";
		if (exact)
			snprintf(ci, sizeof(ci), " ±%.3g s", sqrt(var));
		fprintf(f, "  %-12s %.4g s%s  = %s\n", platforms[p], sum, ci, line);
	}
}

/* The mean with its interval half-width, in the unit's scale. */
static void pivot_cell(const struct vb_result_row *r, char *buf, size_t len)
{
	char v[48];
	if (strcmp(r->unit, "B") == 0 && isfinite(r->s.mean))
		snprintf(v, sizeof(v), "%.4g MiB", r->s.mean / 1048576);
	else if (strcmp(r->unit, "s") == 0 && isfinite(r->s.mean) && fabs(r->s.mean) < 1)
		snprintf(v, sizeof(v), "%.4g ms", r->s.mean * 1000);
	else
		vb_report_value(r->s.mean, r->unit, v, sizeof(v));
	double half = (r->s.ci_high - r->s.ci_low) / 2;
	if (isfinite(half) && r->s.mean != 0)
		snprintf(buf, len, "%s ±%.1f%%", v, 100 * half / fabs(r->s.mean));
	else
		snprintf(buf, len, "%s", v);
}

void vb_report_pivot(FILE *f, const struct vb_result_row *rows, size_t n)
{
	const char *platforms[32];
	int emulated[32];
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t p = 0; p < np; p++)
			seen |= !strcmp(platforms[p], rows[i].platform);
		if (!seen && np < VB_ARRAY_SIZE(platforms)) {
			emulated[np] = rows[i].emulated;
			platforms[np++] = rows[i].platform;
		}
	}
	int w0 = 28, wc = 26;
	fprintf(f, "%-*s", w0, "workload / metric");
	for (size_t p = 0; p < np; p++) {
		char h[64];
		snprintf(h, sizeof(h), "%s%s", platforms[p], vb_report_emulation(emulated[p]));
		fprintf(f, "  %*s", wc, h);
	}
	fputc('\n', f);
	for (size_t i = 0; i < n;) {
		/* Rows are ordered workload, metric, platform: one line per metric. */
		size_t j = i;
		while (j < n && !strcmp(rows[j].workload, rows[i].workload) &&
		       !strcmp(rows[j].metric, rows[i].metric))
			j++;
		char label[96];
		snprintf(label, sizeof(label), "%s %s", rows[i].workload, rows[i].metric);
		fprintf(f, "%-*s", w0, label);
		for (size_t p = 0; p < np; p++) {
			char cell[64] = "-";
			for (size_t k = i; k < j; k++)
				if (!strcmp(rows[k].platform, platforms[p]))
					pivot_cell(&rows[k], cell, sizeof(cell));
			fprintf(f, "  %*s", wc + (int)(strlen(cell) - vb_report_width(cell)), cell);
		}
		fputc('\n', f);
		i = j;
	}
}

bool vb_report_slowdown(const struct vb_result_row *r, double *pct, double *low, double *high)
{
	if (!r->has_ratio || !isfinite(r->ratio.ratio) || r->ratio.ratio <= 0)
		return false;
	if (r->higher_is_better) {
		/* Throughput: the victim is slower when its rate is lower. */
		*pct = 100 * (1 / r->ratio.ratio - 1);
		*low = r->ratio.high > 0 ? 100 * (1 / r->ratio.high - 1) : NAN;
		*high = r->ratio.low > 0 ? 100 * (1 / r->ratio.low - 1) : NAN;
	} else {
		*pct = 100 * (r->ratio.ratio - 1);
		*low = 100 * (r->ratio.low - 1);
		*high = 100 * (r->ratio.high - 1);
	}
	return true;
}

void vb_report_isolation(FILE *f, const struct vb_result_row *rows, size_t n)
{
	fprintf(f, "%-28s %-30s %12s %8s  %-26s %s\n", "victim / metric", "condition", "mean",
		"±95% CI", "slowdown [95% CI]", "verdict");
	for (size_t i = 0; i < n; i++) {
		const struct vb_result_row *r = &rows[i];
		if (!strcmp(r->group, "aggressor"))
			continue;
		char label[96] = "", mean[48], ci[24] = "-", slow[64] = "(reference)";
		if (i == 0 || strcmp(r->workload, rows[i - 1].workload) ||
		    strcmp(r->metric, rows[i - 1].metric))
			snprintf(label, sizeof(label), "%s %s", r->workload, r->metric);
		vb_report_value(r->s.mean, r->unit, mean, sizeof(mean));
		if (isfinite(r->s.ci_rel))
			snprintf(ci, sizeof(ci), "±%.1f%%", 100 * r->s.ci_rel);
		double p, lo, hi;
		if (vb_report_slowdown(r, &p, &lo, &hi))
			snprintf(slow, sizeof(slow), "%+.1f%% [%+.1f%%, %+.1f%%]", p, lo, hi);
		else if (r->has_ratio || !strstr(r->platform, ":alone"))
			snprintf(slow, sizeof(slow), "-");
		char cond[80];
		snprintf(cond, sizeof(cond), "%s%s", r->platform, vb_report_emulation(r->emulated));
		fprintf(f, "%-28s %-30s %12s %8s  %-26s %s\n", label, cond, mean, ci, slow,
			r->verdict == VB_VERDICT_NONE ? "" : vb_verdict_name(r->verdict));
	}
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct vb_result_row *r = &rows[i];
		if (strcmp(r->group, "aggressor") || r->higher_is_better == false)
			continue;
		if (!any)
			fprintf(f, "\naggressor work done beside the victim (proof of load):\n");
		any = true;
		char mean[48];
		vb_report_value(r->s.mean, r->unit, mean, sizeof(mean));
		fprintf(f, "  %-12s %-12s %-30s %s\n", r->workload, r->metric, r->platform, mean);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void vb_report_resolution(FILE *f, const struct vb_result_row *rows, size_t n)
{
	_cleanup_free_ double *half = xcalloc(n ? n : 1, sizeof(*half));
	_cleanup_free_ bool *seen = xcalloc(n ? n : 1, sizeof(*seen));
	bool header = false;
	for (size_t i = 0; i < n; i++) {
		if (seen[i] || !rows[i].has_ratio)
			continue;
		/* Every row of this platform, in one pass from its first. */
		size_t k = 0, none = 0;
		unsigned count[VB_VERDICT_EQUIVALENT + 1] = { 0 };
		for (size_t j = i; j < n; j++) {
			if (seen[j] || !rows[j].has_ratio ||
			    strcmp(rows[j].platform, rows[i].platform))
				continue;
			seen[j] = true;
			double h = vb_stats_ratio_halfwidth(&rows[j].ratio);
			if (isfinite(h))
				half[k++] = h;
			else
				none++;
			if ((size_t)rows[j].verdict <= VB_VERDICT_EQUIVALENT)
				count[rows[j].verdict]++;
		}
		if (!header)
			fputs("resolution (half-width of the 95% interval of each ratio to the "
			      "baseline):\n",
			      f);
		header = true;
		fprintf(f, "  %s%s: ", rows[i].platform, vb_report_emulation(rows[i].emulated));
		if (k) {
			qsort(half, k, sizeof(*half), cmp_double);
			double med = k % 2 ? half[k / 2] : (half[k / 2 - 1] + half[k / 2]) / 2;
			fprintf(f, "median ±%.1f%%, worst ±%.1f%% over %zu cell%s", 100 * med,
				100 * half[k - 1], k, k == 1 ? "" : "s");
		}
		if (none)
			fprintf(f, "%s%zu cell%s with no interval", k ? "; " : "", none,
				none == 1 ? "" : "s");
		fprintf(f, "; %u faster, %u slower, %u equivalent, %u inconclusive\n",
			count[VB_VERDICT_FASTER], count[VB_VERDICT_SLOWER],
			count[VB_VERDICT_EQUIVALENT], count[VB_VERDICT_INCONCLUSIVE]);
	}
	if (header)
		fputc('\n', f);
}

/*
 * With fresh guests (--instances): how much of each cell's spread comes
 * from the guest itself. Standard deviations of the log samples, as a
 * percentage (about the coefficient of variation).
 */
void vb_report_instances(FILE *f, const struct vb_result_row *rows, size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct vb_result_row *r = &rows[i];
		if (r->instances < 2)
			continue;
		if (!any)
			fprintf(f,
				"\nreplication over fresh guests (standard deviation of the log "
				"samples, about the CV):\n  %-14s %-12s %-30s %9s %9s %9s\n",
				"workload", "metric", "platform", "instances", "within", "between");
		any = true;
		char w[16] = "-", b[16] = "-";
		if (isfinite(r->var_within))
			snprintf(w, sizeof(w), "%.2f%%", 100 * sqrt(r->var_within));
		if (isfinite(r->var_between))
			snprintf(b, sizeof(b), "%.2f%%", 100 * sqrt(r->var_between));
		fprintf(f, "  %-14s %-12s %-30s %9u %9s %9s\n", r->workload, r->metric, r->platform,
			r->instances, w, b);
	}
}

void vb_report_run(FILE *f, const char *experiment, const struct vb_result_row *rows, size_t n)
{
	if (experiment && !strcmp(experiment, "ops")) {
		vb_report_pivot(f, rows, n);
		return;
	}
	if (experiment && !strcmp(experiment, "isolation")) {
		vb_report_isolation(f, rows, n);
		return;
	}
	vb_report_resolution(f, rows, n);
	vb_report_table(f, rows, n);
	vb_report_instances(f, rows, n);
	vb_report_stacked(f, rows, n, "w1");
	if (experiment && !strcmp(experiment, "calibrate"))
		vb_report_calibration(f, rows, n);
}

void vb_report_calibration(FILE *f, const struct vb_result_row *rows, size_t n)
{
	size_t cells = 0, false_verdicts = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].has_ratio)
			continue;
		cells++;
		false_verdicts +=
		    rows[i].verdict == VB_VERDICT_FASTER || rows[i].verdict == VB_VERDICT_SLOWER;
	}
	fprintf(f,
		"\ncalibration: %zu of %zu cell%s called faster or slower; the platform was "
		"compared with itself, so each of those is a false verdict (its cells are judged "
		"together: any at all has a 5%% chance)\n",
		false_verdicts, cells, cells == 1 ? "" : "s");
}
