/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_DOC_H
#define VB_REPORT_DOC_H

/*
 * Internal to src/report: the document model, one run's export document
 * (vb_store_export_json) as the HTML report reads it.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "report/markup.h"

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
/* ---- what recommend and the study read of an export document ---- */

/* The run's experiment ("compare", "ops", ...); "" when missing. */
const char *vb_doc_experiment(const json_t *doc);
/* The run's id; 0 when missing. */
long long vb_doc_run_id(const json_t *doc);
/* Is label the workload name, or one of its sweep instances ("mem.memcpy[size=4MiB]")? */
bool vb_doc_same_base(const char *label, const char *name);
/* Are the document's ratios against a host it measured (without a recorded baseline: has it host)?
 */
bool vb_doc_against_host(const json_t *doc);
/* Is the platform of that name emulated in the document? */
bool vb_doc_emulated(const json_t *doc, const char *platform);
/* 1 or 0 as the document's workload says of metric; -1 when it does not say. */
int vb_doc_higher_is_better(const json_t *doc, const char *workload, const char *metric);

/* Fill run from doc, written to f; run_release frees what it made. */
void vb_html_run_init(struct vb_html_run *run, FILE *f, const json_t *doc);
void vb_html_run_release(struct vb_html_run *run);

#endif
