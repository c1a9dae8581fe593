/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_REPORT_H
#define VB_REPORT_REPORT_H

#include <stdio.h>

#include "virtbench/result.h"

/*
 * The overhead table: one line per workload × metric × platform with n,
 * mean, the 95% interval, the ratio to the baseline with its bootstrap
 * interval, the verdict and outlier count. Emulated platforms are labelled.
 */
void vb_report_table(FILE *f, const struct vb_result_row *rows, size_t n);

/*
 * The study's figure 4.1 as text: per platform, the sum of the mean
 * `elapsed` of every workload of `group`, with each part and a 95% interval
 * of the sum (half-widths added in quadrature: the parts are independent).
 * Prints nothing when fewer than two workloads of the group have `elapsed`.
 */
void vb_report_stacked(FILE *f, const struct vb_result_row *rows, size_t n, const char *group);

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

/* Format a value with its unit and about 4 significant digits. */
const char *vb_report_value(double v, const char *unit, char *buf, size_t len);

#endif
