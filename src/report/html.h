/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_HTML_H
#define VB_REPORT_HTML_H

/*
 * Internal to src/report: the pieces the HTML report (html.c, html-views.c)
 * is made of. Charts are hand-written SVG: no charting library draws
 * self-contained, script-free SVG with per-mark data attributes from C.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Write s escaped for HTML text and attribute values; control characters become U+FFFD. */
void vb_html_escape(FILE *f, const char *s);

/* Write v as a data-value: %.17g (exact), or "null" when missing (NaN, infinite). */
void vb_html_number(FILE *f, double v);

/* Format v for reading: about 4 significant digits, SI prefix outside 1e-3..1e4; "–" if missing. */
const char *vb_html_short(double v, char *buf, size_t len);

/* One stored number as a chart or a table shows it. */
struct vb_mark {
	const char *platform, *workload, *metric; /* where it comes from; NULL = not applicable */
	const char *kind;	 /* mean, ratio, slowdown, stack, ...; NULL = none */
	double value, low, high; /* NaN = missing; low/high NaN = no interval */
};

/*
 * Write the machine-readable attributes of a mark (leading space included):
 * data-run, data-platform, data-workload, data-metric, data-kind, data-value,
 * and data-low/data-high when the mark has an interval.
 */
void vb_html_mark_attrs(FILE *f, long long run, const struct vb_mark *m);

enum vb_html_style {
	VB_HTML_PLAIN,	 /* the value */
	VB_HTML_PM,	 /* value ± half-width of the interval */
	VB_HTML_BRACKET, /* value [low, high] */
	VB_HTML_PERCENT, /* +v% [+low, +high] */
};

/* A table cell (<td>) showing a mark, with its data attributes; "–" when missing. */
void vb_html_cell(FILE *f, long long run, const struct vb_mark *m, enum vb_html_style style);

/* Write a JSON value for reading: strings escaped, yes/no, numbers, "–" for null or missing. */
void vb_html_json_text(FILE *f, const json_t *v);

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

/* One run's export document as the report reads it. */
struct vb_html_run {
	FILE *f;
	const json_t *doc;
	long long id;
	const char *experiment;
	const json_t *platforms, *workloads, *summaries;
	char **labels;	      /* per platform: its name, with " (emulated)" when it is */
	const char *baseline; /* the platform ratios are taken against; NULL = unknown */
};

/* The number under key, NaN when missing or not a number. */
double vb_html_num(const json_t *o, const char *key);
/* The string under key, NULL when missing or not a string. */
const char *vb_html_str(const json_t *o, const char *key);
/* Does o[key] hold the string want? */
bool vb_html_is(const json_t *o, const char *key, const char *want);
/* A platform's index in the document, or -1. */
int vb_html_platform(const struct vb_html_run *run, const char *name);
/* The label of a platform (emulated marked); the name itself when unknown. */
const char *vb_html_label(const struct vb_html_run *run, const char *name);
/* Is this platform the one its ratios are taken against (isolation: "<p>:alone")? */
bool vb_html_is_baseline(const struct vb_html_run *run, const char *platform);
/* A workload of the document by name, or NULL. */
const json_t *vb_html_workload(const struct vb_html_run *run, const char *name);
/* The summary of a cell, or NULL. */
const json_t *vb_html_summary(const struct vb_html_run *run, const char *platform,
			      const char *workload, const char *metric);
/* The unit of a workload's metric, "" when unknown. */
const char *vb_html_unit(const struct vb_html_run *run, const char *workload, const char *metric);
/* The mean of a summary as a mark (interval: the 95% CI). */
void vb_html_mean_mark(const json_t *sum, const char *platform, const char *workload,
		       const char *metric, struct vb_mark *m);
/* The ratio of a summary to the baseline as a mark (interval: the bootstrap 95% CI). */
void vb_html_ratio_mark(const json_t *sum, const char *platform, const char *workload,
			const char *metric, struct vb_mark *m);

/* The study's views, each written only when the document has the data for it. */
void vb_html_view_stacked(const struct vb_html_run *run);
void vb_html_view_sweeps(const struct vb_html_run *run);
void vb_html_view_ops(const struct vb_html_run *run);
void vb_html_view_isolation(const struct vb_html_run *run);
void vb_html_view_features(const struct vb_html_run *run);

#endif
