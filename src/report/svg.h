/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_SVG_H
#define VB_REPORT_SVG_H

/*
 * Internal to src/report: the HTML report's charts. Charts are hand-written
 * SVG: no charting library draws self-contained, script-free SVG with
 * per-mark data attributes from C.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report/markup.h"

struct vb_chart_series {
	const char *label; /* legend text, "(emulated)" included */
	unsigned colour;   /* palette index: a platform keeps its colour in every chart */
};

struct vb_chart {
	long long run;
	const char *title;
	const char *unit;	   /* the y axis label */
	const char *xlabel;	   /* the x axis label; NULL = none */
	const char *const *groups; /* x categories, in order; "" = unlabelled */
	size_t ngroups;
	const struct vb_chart_series *series; /* legend order */
	size_t nseries;
	double base; /* bars grow from here: 0, or 1 for ratios */
	bool ref;    /* draw a reference line at base */
};

/* Grouped bars with error bars; marks[g * nseries + s], kind NULL = no mark there. */
void vb_svg_bars(FILE *f, const struct vb_chart *c, const struct vb_mark *marks);

/*
 * One bar per group with the series stacked in order; the total carries an
 * error bar whose half-width adds the parts' half-widths in quadrature.
 */
void vb_svg_stack(FILE *f, const struct vb_chart *c, const struct vb_mark *marks);

/* One line per series across the groups (x in group order), points with error bars. */
void vb_svg_lines(FILE *f, const struct vb_chart *c, const struct vb_mark *marks);

/* One row of a forest plot: a workload's metric on one platform. */
struct vb_forest_row {
	const char *group;   /* "cpu.primes: elapsed (lower is better)": a metric's rows share it */
	size_t series;	     /* its platform: an index into the plot's series */
	const char *verdict; /* faster, slower, equivalent, inconclusive; NULL = none */
	bool emulated;	     /* drawn hollow */
	struct vb_mark m;    /* the ratio and its interval */
};

struct vb_forest {
	long long run;
	const char *title;
	const char *axis;   /* "ratio to host (log scale)" */
	double equivalence; /* the band 1 ± it is shaded; 0 = none */
	const struct vb_chart_series *series;
	size_t nseries;
	const struct vb_forest_row *rows; /* a metric's rows together */
	size_t nrows;
};

/*
 * A forest plot: each row's ratio as a point with its interval on a log
 * axis (0.5 and 2 the same distance from 1), the equivalence band shaded,
 * the verdict beside each row, emulated platforms hollow.
 */
void vb_svg_forest(FILE *f, const struct vb_forest *fo);

#endif
