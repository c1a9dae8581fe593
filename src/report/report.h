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

/* Format a value with its unit and about 4 significant digits. */
const char *vb_report_value(double v, const char *unit, char *buf, size_t len);

#endif
