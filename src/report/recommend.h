/* SPDX-License-Identifier: MIT */
#ifndef VB_REPORT_RECOMMEND_H
#define VB_REPORT_RECOMMEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "virtbench/error.h"

/*
 * The study's conclusion (ch. 7) computed (docs/recommend.md): the
 * platforms ranked for a workload profile from what stored runs measured.
 * Every criterion is a factor, higher is better, with the ends of the
 * intervals it came from; a platform's score is their weighted geometric
 * mean, so a criterion's scale (against the host, against the best
 * platform) does not change the order.
 */

enum vb_rec_criterion {
	VB_REC_OVERHEAD,  /* ratio to the host of the profile's workloads (compare, run) */
	VB_REC_OPS,	  /* provision, boot, reboot and clone times against the best (ops) */
	VB_REC_ISOLATION, /* a victim's slowdown beside an aggressor, no policy and best policy */
	VB_REC_FOOTPRINT, /* an idle guest's memory against the smallest (ops) */
	VB_REC_NCRIT,
};

/* "overhead", "operations", "isolation", "footprint". */
const char *vb_rec_criterion_name(enum vb_rec_criterion c);

/* One figure a reason rests on, as stored. */
struct vb_rec_evidence {
	enum vb_rec_criterion criterion;
	long long run;
	char *workload, *metric, *platform;	/* platform as stored: "container:noisy+pin" */
	const char *kind;			/* "ratio" (to host or :alone) or "mean" */
	double value, low, high;		/* the stored figure and its 95% interval */
	double factor, factor_low, factor_high; /* what it gives the criterion, higher better;
						 * an end is NaN where the interval is unknown */
	bool used; /* it counts: every candidate with figures of the criterion has this cell */
};

struct vb_rec_platform {
	char *name;
	bool emulated;
	char *excluded; /* why it is not ranked (a required feature); NULL: ranked */
	bool known[VB_REC_NCRIT];
	double factor[VB_REC_NCRIT], low[VB_REC_NCRIT], high[VB_REC_NCRIT];
	double score, score_low, score_high; /* over the criteria used; 1 = the best's point;
					      * the ends NaN where an interval is unknown */
	bool close_to_next;		     /* its lead over the next holds at one end only */
};

struct vb_rec_request {
	const char *const *components; /* NULL-terminated, validated; NULL: every workload */
	const char *const *require;    /* feature ids, NULL-terminated, validated; NULL: none */
	double weights[VB_REC_NCRIT];  /* >= 0, not all 0 */
};

struct vb_recommendation {
	struct vb_rec_platform *p; /* ranked first (best first), then those not ranked */
	size_t np, nranked;
	bool robust;		 /* two or more ranked, and the first's lead holds at both ends */
	bool used[VB_REC_NCRIT]; /* criteria in the score: known for every ranked platform */
	char *unused_why[VB_REC_NCRIT]; /* why a weighted criterion is not used */
	struct vb_rec_evidence *ev;
	size_t nev;
	long long *runs; /* the runs it drew on */
	size_t nruns;
	double weights[VB_REC_NCRIT];
	char *profile; /* "broker, docstore" or "every measured workload" */
};

/* The default weights: overhead 4, operations 2, isolation 3, footprint 1. */
void vb_rec_default_weights(double w[VB_REC_NCRIT]);

/*
 * Parse a weights file's text: lines "CRITERION = NUMBER" (a criterion's
 * name, a number >= 0), blank lines and '#' comments; criteria not named
 * keep the weight in w. -EINVAL with *err naming the line when it is
 * malformed, names a criterion twice or leaves every weight 0.
 */
int vb_rec_weights_parse(const char *text, size_t len, double w[VB_REC_NCRIT],
			 struct vb_error **err);

/*
 * Is name a component --for takes (web, database, broker, docstore,
 * triplestore, worker, middleware, cpu, memory, network, disk, system)?
 */
bool vb_rec_component_known(const char *name);
/* The components, comma-separated, for messages and completions. */
const char *vb_rec_components(void);

/* A feature id --require takes ("live-migration"; "custom-kernel" is isolated-kernel-updates). */
const char *vb_rec_feature_id(const char *name);

/*
 * Rank the platforms of docs (export documents: compare, run, ops,
 * isolation and features runs; later documents win where two measured the
 * same) for req. -EINVAL with *err (exit code 2) when the documents hold
 * nothing the request can use.
 */
int vb_recommend(json_t *const *docs, size_t ndocs, const struct vb_rec_request *req,
		 struct vb_recommendation *out, struct vb_error **err);
void vb_recommendation_release(struct vb_recommendation *r);

/* The answer in one line: "container, robust: its lead over kvm holds ..." (caller frees). */
char *vb_recommendation_answer(const struct vb_recommendation *r);

/* The answer first, then the criteria and the evidence. */
void vb_recommendation_print(FILE *f, const struct vb_recommendation *r);
json_t *vb_recommendation_json(const struct vb_recommendation *r);

#endif
