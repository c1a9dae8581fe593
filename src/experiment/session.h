/* SPDX-License-Identifier: MIT */
#ifndef VB_EXPERIMENT_SESSION_H
#define VB_EXPERIMENT_SESSION_H

/*
 * The experiment engine's session: what every experiment does around its
 * own plan. Claim the run (tag, work directory, platform context), start
 * guests with their w3 peers, begin the stored run (fingerprint, config),
 * record platforms and workloads, run jobs and store their samples, and at
 * the end summarize, mark the run complete or incomplete and remove what
 * the run made. overhead.c, isolation.c and ops.c are descriptions of what
 * to run on it; docs/architecture.md says how to add another.
 */
#include <stdbool.h>
#include <stdint.h>

#include "experiment/experiment.h"

struct vb_session {
	char tag[16]; /* "vb-1a2b3c4d": names everything the run makes */
	char *work_dir;
	struct vb_platform_ctx pctx;
	struct vb_store *db;
	int64_t run_id; /* -1 until vb_session_begin */
	int seq;	/* the next sample's place in the run's order */
	unsigned failed;
	double t0;
	bool progress; /* a progress line on stdout */
};

/* Claim a run: its tag and work directory; the platform context points into s. */
int vb_session_open(struct vb_session *s, struct vb_store *db, const char *agent_path,
		    double ready_timeout_s, double job_timeout_s, bool progress,
		    struct vb_error **err);

/* The stored run begins (the host's fingerprint taken now); s->run_id is set. */
int vb_session_begin(struct vb_session *s, const char *experiment, const char *command,
		     const char *profile, const char *config_json, struct vb_error **err);

/* A workload row with its metrics (a NULL-named entry ends metrics). */
int vb_session_add_workload(struct vb_session *s, int ord, const char *name, const char *group,
			    const char *params, const struct vb_metric_desc *metrics, int64_t *id,
			    struct vb_error **err);

/* A running guest and the w3 peer it reaches (pid -1: none). */
struct vb_session_guest {
	const struct vb_platform_ops *ops;
	struct vb_guest *g;
	struct vb_peer peer;
	int64_t id; /* its platforms.id, once recorded */
};

/*
 * Provision and start a guest named "<tag>-<index>", and with needs_peer its
 * peer on the address the guest reaches. On failure what was made is
 * destroyed.
 */
int vb_session_guest_start(struct vb_session *s, const struct vb_platform_ops *ops,
			   const struct vb_guest_spec *spec, unsigned index, bool needs_peer,
			   struct vb_session_guest *out, struct vb_error **err);
/* Destroy the guest and stop its peer; safe on one never started, and twice. */
void vb_session_guest_stop(struct vb_session_guest *g);

/* One job's outcome: values of the workload's declared metrics, in their order. */
struct vb_job_outcome {
	const struct vb_workload_ops *w;
	double *values; /* [metric], owned */
	bool have;	/* every declared metric arrived */
	int rc;		/* 0, or the error's code */
	struct vb_error *err;
	double start, end; /* monotonic seconds */
	/* Called with each log line of the job, where set (the pair's ready line). */
	void (*on_log)(void *data, const char *msg);
	void *on_log_data;
};

/*
 * Run workload w with opts on guest g as job "<tag>-<id>" and collect its
 * sample. Thread-safe for different guests (isolation runs two at once).
 * A job that ends without a full sample fails with -EPROTO.
 */
void vb_session_job(struct vb_session *s, struct vb_session_guest *g,
		    const struct vb_workload_ops *w, const void *opts, const char *id,
		    struct vb_job_outcome *out);

/*
 * A job of a workload in layout=split (vb_workload_pair): its pair runs on
 * guest pg (a second guest of the same platform) beside it, on its own
 * thread. Both jobs get the pair's place as their peer field:
 * "ADDR:PORT/SECRET", ADDR pg's address on the run's network
 * (guest_address), PORT the first of the pair's servers' ports (5672 in a
 * guest of its own; three free ones in a row for host), SECRET 16 random
 * bytes made for the job. w's job starts once the pair's says
 * VB_PAIR_READY (a log line): a pair that ends before fails the sample
 * without it. The outcome is w's: it fails when either job fails (w's
 * error first), and a metric of the pair's takes the place of w's of the
 * same name (mw.worker's start_s is the servers').
 */
void vb_session_job_pair(struct vb_session *s, struct vb_session_guest *g,
			 struct vb_session_guest *pg, const struct vb_workload_ops *w,
			 const void *opts, const char *id, struct vb_job_outcome *out);
void vb_job_outcome_release(struct vb_job_outcome *o);

/* One sample to store: values for the metrics with have[m] (have NULL: all, or none if !ok). */
struct vb_session_sample {
	int64_t platform_id, workload_id;
	unsigned round, instance;
	bool warmup;
	const char *error; /* NULL: ok */
	double duration_s;
	const struct vb_metric_desc *metrics; /* ends with a NULL name */
	const double *values;
	const bool *have;
};

/* Store it (s->seq goes on); a failed one is counted in s->failed. */
int vb_session_store(struct vb_session *s, const struct vb_session_sample *sm,
		     struct vb_error **err);

/* The progress line: "[  1.2s] round 3 (warm-up)  WHAT on WHERE  (N jobs done)". */
void vb_session_progress(const struct vb_session *s, unsigned round, bool warmup, const char *what,
			 const char *where);
void vb_session_progress_end(const struct vb_session *s);

/* -EINTR, with the interrupted run's error ("kept what it measured, marked incomplete") unless err
 * holds one. */
int vb_session_interrupted(struct vb_session *s, struct vb_error **err);

/*
 * End the run: summaries against baseline (NULL or "": none), status
 * complete (r == 0) or incomplete, the exit code; remove the work
 * directory. Returns r, or the summarizer's error when r was 0.
 */
int vb_session_close(struct vb_session *s, const char *baseline, double equivalence, int r,
		     struct vb_error **err);

#endif
