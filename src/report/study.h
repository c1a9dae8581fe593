/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_STUDY_H
#define VB_REPORT_STUDY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "virtbench/error.h"

/*
 * The study's own findings beside virtbench's (docs/study.md): what the
 * thesis says of each figure and table, transcribed as data in
 * data/study-findings.json (built into the binary), judged against the
 * runs at hand: agrees, differs, inconclusive or not measured, with the
 * figures it rests on.
 */

/* The findings file as built in (data/study-findings.json, scripts/embed.py). */
extern const char vb_study_findings_json[];
extern const unsigned long vb_study_findings_json_len;

/*
 * Parse and check a findings document (format virtbench-study-findings,
 * version 1): every finding with an id, a reference, a section, a title
 * and a quote; every cell a known claim about a platform, workload and
 * metric named as virtbench names them. -EINVAL with *err naming the first
 * fault.
 */
int vb_study_parse(const char *text, size_t len, json_t **out, struct vb_error **err);

enum vb_study_verdict {
	VB_STUDY_AGREES,
	VB_STUDY_DIFFERS,
	VB_STUDY_PARTLY, /* some cells agree, some differ */
	VB_STUDY_INCONCLUSIVE,
	VB_STUDY_NOT_MEASURED, /* nothing of it in these runs (a platform not here, a run not done)
				*/
	VB_STUDY_UNMAPPED,     /* virtbench measures nothing it speaks of */
};

/* "agrees", "differs", "partly", "inconclusive", "not measured", "not mapped". */
const char *vb_study_verdict_name(enum vb_study_verdict v);

/* One claim of the study judged against the runs. */
struct vb_study_cell {
	char *claim; /* "container faster than host on mw.docstore insert_rate" */
	enum vb_study_verdict verdict;
	char *evidence; /* "run 3: ratio 0.858 [0.750, 0.980], slower"; or why nothing */
	/*
	 * A claim against the host judged on a stored cell: the cell as stored
	 * (platform, workload, metric, the ratio and its interval), for the
	 * page's data attributes; mark.kind NULL otherwise.
	 */
	struct vb_study_mark {
		const char *kind; /* "ratio" */
		long long run;
		const char *platform, *workload, *metric; /* the document's strings */
		double value, low, high;
	} mark;
};

/* One number the study printed (tables 5.1-5.3) and this host's figure beside it. */
struct vb_study_value {
	const json_t *v; /* the study's: platform, workload, metric, value, unit */
	bool here;	 /* a mean was measured here (not emulated) */
	bool emulated;	 /* one was, but on an emulated platform only */
	double mean, low, high;
	long long run;
};

struct vb_study_finding {
	const json_t *f; /* the finding in the document: id, ref, section, title, quote, values */
	enum vb_study_verdict verdict;
	struct vb_study_cell *cells;
	size_t ncells;
	struct vb_study_value *values;
	size_t nvalues;
};

struct vb_study_judgement {
	struct vb_study_finding *f;
	size_t n;
	unsigned counts[VB_STUDY_UNMAPPED + 1];
};

/*
 * Judge every finding of findings (a parsed document) against docs
 * (export documents): claims against the host from compare and run
 * runs (the stored verdict, which holds its error rate), one platform
 * against another from two intervals that do not overlap (ops means,
 * ratios, isolation slowdowns), features from features runs.
 */
void vb_study_judge(const json_t *findings, json_t *const *docs, size_t ndocs,
		    struct vb_study_judgement *out);
void vb_study_judgement_release(struct vb_study_judgement *j);

/* A text table: finding, verdict, and under it each claim with its evidence. */
void vb_study_print(FILE *f, const struct vb_study_judgement *j);

#endif
