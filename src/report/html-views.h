/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_HTML_VIEWS_H
#define VB_REPORT_HTML_VIEWS_H

/* Internal to src/report: the study's views in the HTML report (html-views.c). */

#include "report/doc.h"

/* The study's views, each written only when the document has the data for it. */
void vb_html_view_stacked(const struct vb_html_run *run);
void vb_html_view_sweeps(const struct vb_html_run *run);
void vb_html_view_ops(const struct vb_html_run *run);
void vb_html_view_middleware(const struct vb_html_run *run);
void vb_html_view_isolation(const struct vb_html_run *run);
void vb_html_view_features(const struct vb_html_run *run);

/* The study report's first section: recommendation, conclusion, findings (html-study.c). */
void vb_html_study(FILE *f, json_t *const *docs, size_t n);

#endif
