/* SPDX-License-Identifier: MIT */
#ifndef VIRTBENCH_RESULT_H
#define VIRTBENCH_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "stats.h"

/* A run as the results store holds it. */
struct vb_run_info {
	int64_t id;		     /* the store's number: `virtbench show 3` */
	char *tag;		     /* "vb-1a2b3c4d": names everything the run created */
	char *experiment;	     /* "run" (overhead), later "ops", "isolation", ... */
	char *command;		     /* the command line, shell-quoted */
	char *status;		     /* running, complete, incomplete, failed */
	char *started_at, *ended_at; /* ISO 8601 UTC; ended_at may be NULL */
	char *version;		     /* virtbench version that made it */
	char *profile;
	int exit_code;	  /* -1 while running */
	int64_t nsamples; /* measured samples stored (warm-up excluded) */
	int64_t nfailed;  /* failed samples */
};

/* One cell of the overhead table: platform × workload × metric. */
struct vb_result_row {
	char *platform;
	int emulated; /* 1 emulation, 2 nested in emulation: label every figure */
	char *workload;
	char *group; /* the workload's group: w1 ... aggressor */
	char *metric;
	char *unit;
	bool higher_is_better;
	struct vb_summary s;
	bool has_ratio;	       /* false for the baseline itself and when not computable */
	struct vb_ratio ratio; /* to the host */
	enum vb_verdict verdict;
	unsigned outliers; /* samples flagged by the MAD rule */
	/*
	 * Fresh guests the samples came from (--instances; 1 = one guest), and
	 * the variance of the log samples within an instance and between
	 * instances (NAN where not estimable).
	 */
	unsigned instances;
	double var_within, var_between;
};

void vb_run_info_release(struct vb_run_info *r);
void vb_result_rows_free(struct vb_result_row *rows, size_t n);

#endif
