/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_MARKUP_H
#define VB_REPORT_MARKUP_H

/*
 * Internal to src/report: the smallest pieces of the HTML report, shared by
 * the page (html.c), its views (html-views.c) and its charts (svg.c). It
 * includes nothing of the report above it.
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

#endif
