/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_DIFF_H
#define VB_REPORT_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "virtbench/error.h"
#include "virtbench/stats.h"

/*
 * Two results documents compared (docs/diff.md): A is the reference (the
 * older run, the baseline), B the one judged against it.
 */

enum vb_diff_verdict {
	VB_DIFF_INCONCLUSIVE =
	    0,		    /* too few samples, no ratio, or an interval that decides nothing */
	VB_DIFF_EQUIVALENT, /* the interval of B/A lies within 1 ± VB_EQUIVALENCE_DEFAULT */
	VB_DIFF_BETTER,	    /* B significantly better (direction from higher_is_better) */
	VB_DIFF_WORSE,	    /* B significantly worse */
};

/* One platform × workload × metric present in both documents. */
struct vb_diff_cell {
	char *platform, *workload, *metric, *unit;
	bool higher_is_better;
	bool emulated;	       /* in either document */
	size_t n_a, n_b;       /* measured samples: not warm-up, ok */
	double mean_a, mean_b; /* NAN without samples */
	double change_pct;     /* 100 * (mean_b / mean_a - 1); NAN when not computable */
	struct vb_ratio ratio; /* B / A: geometric means, 95% Welch t interval on logs */
	enum vb_diff_verdict verdict;
	const char *why; /* static text when inconclusive, else NULL */
	bool regression; /* worse, and worse than the tolerance by the point estimate */
};

/* What is in one document only: a platform, a workload, or a metric of a common workload. */
struct vb_diff_only {
	char side; /* 'A' or 'B' (only there), '=' (in both, another unit or direction) */
	char *platform, *workload, *metric; /* NULL where it names a whole platform or workload */
	char *why; /* only in one side, or why a common cell cannot be compared */
};

/* A field that differs: host fingerprint, workload parameter or platform spec. */
struct vb_diff_field {
	char *name;
	char *a, *b; /* rendered values, or with `words` the words only in A, only in B */
	bool words;  /* a list, or a long string of words (CPU flags, kernel command line) */
};

struct vb_diff_counts {
	unsigned cells, better, worse, equivalent, inconclusive;
	unsigned regressions; /* 0 when no tolerance was given */
	unsigned only_a, only_b, mismatched;
};

struct vb_diff {
	char *label_a, *label_b; /* "run 3 (vb-1a2b3c4d) on host, started ..." */
	double tolerance_pct;	 /* NAN: no tolerance, no regression test */
	struct vb_diff_cell *cells;
	size_t ncells;
	struct vb_diff_only *only;
	size_t nonly;
	struct vb_diff_field *host; /* fingerprint fields that differ */
	size_t nhost;
	struct vb_diff_field *setup; /* workload parameters and platform specs that differ */
	size_t nsetup;
	struct vb_diff_counts counts;
};

/*
 * Compare b against a, cell by cell. source_a and source_b name where each
 * document came from for the labels (a file path; NULL for the database).
 * tolerance_pct: NAN for none, else finite and ≥ 0 (0: every significant
 * worsening is a regression); anything else is -EINVAL. Both documents are
 * checked with vb_result_doc_check first. *out: free with vb_diff_free.
 */
int vb_diff_compare(const json_t *a, const char *source_a, const json_t *b, const char *source_b,
		    double tolerance_pct, struct vb_diff **out, struct vb_error **err);
void vb_diff_free(struct vb_diff *d);

/* The human report: labels, host and setup differences, the cell table, one-sided cells, counts. */
void vb_diff_print(FILE *f, const struct vb_diff *d);

/* The diff as a JSON document, format "virtbench-diff" version 1 (docs/diff.md). */
json_t *vb_diff_json(const struct vb_diff *d);

/*
 * The pipeline check after a run: compare `current` (a vb_store_export_doc
 * document) against the results file `baseline_path` (A = baseline, B =
 * current), print the report on out and set *regressions. Returns 0 even
 * when there are regressions (the caller picks the exit code, 1 by the
 * convention of `virtbench diff`); -EINVAL (exit code 2) for a bad
 * baseline file or tolerance, or when the two share no cell at all, so a
 * wrong baseline cannot pass silently.
 */
int vb_diff_baseline(json_t *current, const char *baseline_path, double tolerance_pct, FILE *out,
		     unsigned *regressions, struct vb_error **err);

#endif
