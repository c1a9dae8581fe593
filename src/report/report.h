/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_REPORT_H
#define VB_REPORT_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "virtbench/error.h"
#include "virtbench/result.h"

/*
 * The overhead table: one line per workload × metric × platform with n,
 * mean, the 95% interval, the ratio to the baseline with its bootstrap
 * interval, the verdict and outlier count. Emulated platforms are labelled.
 */
void vb_report_table(FILE *f, const struct vb_result_row *rows, size_t n);

/*
 * The resolution a run reached, one line per platform compared with the
 * baseline: the median and worst half-width of its ratio intervals, and how
 * many cells got each verdict ("no interval" counts the cells without one).
 * Prints nothing when no row has a ratio.
 */
void vb_report_resolution(FILE *f, const struct vb_result_row *rows, size_t n);

/*
 * For `calibrate` (a platform against itself): how many cells with a ratio
 * got faster or slower, each of them a false verdict, against the number
 * the interval's level lets chance produce.
 */
void vb_report_calibration(FILE *f, const struct vb_result_row *rows, size_t n);

/*
 * The study's figure 4.1 as text: per platform, the sum of the mean
 * `elapsed` of every workload of `group`, with each part and a 95% interval
 * of the sum (half-widths added in quadrature: the parts are independent).
 * Prints nothing when fewer than two workloads of the group have `elapsed`.
 */
void vb_report_stacked(FILE *f, const struct vb_result_row *rows, size_t n, const char *group);

/*
 * A side-by-side table: one line per workload × metric, one column per
 * platform with the mean and its 95% interval half-width in percent. For
 * experiments without a baseline (ops).
 */
void vb_report_pivot(FILE *f, const struct vb_result_row *rows, size_t n);

/*
 * The victim's slowdown in percent from a row's ratio to ":alone" (time up,
 * or rate down, both as a positive slowdown), with its interval. False when
 * the row has no ratio.
 */
bool vb_report_slowdown(const struct vb_result_row *r, double *pct, double *low, double *high);

/* The isolation table: victim × condition with slowdowns, then the aggressors' work. */
void vb_report_isolation(FILE *f, const struct vb_result_row *rows, size_t n);

/* The variance components of cells replicated over fresh guests (--instances); none: nothing. */
void vb_report_instances(FILE *f, const struct vb_result_row *rows, size_t n);
/* A stored run's text output as its experiment wants it (table, views, pivot). */
void vb_report_run(FILE *f, const char *experiment, const struct vb_result_row *rows, size_t n);
struct vb_feature_row;

/*
 * The features table (docs/features.md): a row per feature and a column per
 * platform, both in order of first appearance in rows; each cell the value
 * and a letter for how it was determined, then the legend and every cell's
 * detail, wrapped.
 */
void vb_report_features(FILE *f, const struct vb_feature_row *rows, size_t n);

/* One cell as the table shows it: "yes (p)", "n/a (b)", "yes (d)". */
const char *vb_report_feature_cell(const char *value, const char *how, char *buf, size_t len);

/* The label after a platform's name for platforms.emulated: "", " (emulated)", " (nested in
 * QEMU/TCG)". */
const char *vb_report_emulation(int emulated);

/* Format a value with its unit and about 4 significant digits. */
const char *vb_report_value(double v, const char *unit, char *buf, size_t len);

/*
 * Write one self-contained HTML report (inline CSS and SVG; no script, no
 * outside resource) of the runs whose export documents (docs/schema.md) are
 * docs, atomically at path. Per run: its header, the host fingerprint, the
 * overhead table, a chart of means and of ratios per workload × metric, and
 * the study's views its data allows (docs/report.md). Every number drawn or
 * tabulated carries data-* attributes with the stored value (%.17g). command
 * (the report's own command line) goes in the footer. A document that is not
 * a format_version 1 export is refused with -EINVAL.
 */
int vb_report_html(json_t *const *docs, size_t ndocs, const char *command, const char *path,
		   struct vb_error **err);

/*
 * The same, opened by the study's section (docs/study.md): the
 * recommendation, the study's conclusion and findings judged against docs.
 */
int vb_report_html_study(json_t *const *docs, size_t ndocs, const char *command, const char *path,
			 struct vb_error **err);
/* Display width in columns: UTF-8 continuation bytes take none. */
size_t vb_report_width(const char *s);

#endif
