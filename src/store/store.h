/* SPDX-License-Identifier: MIT */
#ifndef VB_STORE_STORE_H
#define VB_STORE_STORE_H

#include <jansson.h>
#include <stdio.h>
#include <sys/types.h>

#include "virtbench/error.h"
#include "virtbench/feature.h"
#include "virtbench/result.h"
#include "virtbench/stats.h"

/*
 * The SQLite results store (docs/schema.md). WAL, synchronous=FULL, every
 * sample committed as it arrives; a run is "running" until it ends, and a
 * run whose process died is marked "incomplete" by the next open.
 */
struct vb_store;

#define VB_STORE_SCHEMA_VERSION 3

/* The default path: $VIRTBENCH_DB, else $XDG_DATA_HOME/virtbench/results.db, else
 * ~/.local/share/... */
char *vb_store_default_path(void);

/*
 * Open (creating directories and the file) and migrate to the current schema.
 * A file that is not a virtbench database, or is newer than this virtbench,
 * is refused with -EINVAL.
 */
int vb_store_open(const char *path, struct vb_store **out, struct vb_error **err);
void vb_store_close(struct vb_store *s);

/* Mark runs left "running" by a process that is gone as incomplete; *n = how many. */
int vb_store_sweep_stale(struct vb_store *s, int *n, struct vb_error **err);

struct vb_run_begin {
	const char *tag, *experiment, *command, *profile;
	const char *config_json; /* the resolved configuration */
	const char *host_json;	 /* the host fingerprint */
};
int vb_store_run_begin(struct vb_store *s, const struct vb_run_begin *b, int64_t *run_id,
		       struct vb_error **err);
/*
 * The runs begun from now on belong to a study (virtbench study): the
 * object's members ("study", "study_part", ...) are merged into each run's
 * config. NULL ends it. One process, one study at a time.
 */
void vb_store_set_study(const json_t *label);
/* status: complete, incomplete or failed. */
int vb_store_run_end(struct vb_store *s, int64_t run_id, const char *status, int exit_code,
		     struct vb_error **err);

int vb_store_add_platform(struct vb_store *s, int64_t run_id, int ord, const char *name,
			  int emulated, const char *spec_json, const char *agent_sha256,
			  int64_t *id, struct vb_error **err);
int vb_store_add_workload(struct vb_store *s, int64_t run_id, int ord, const char *name,
			  const char *group, const char *params_json, int64_t *id,
			  struct vb_error **err);
int vb_store_add_metric(struct vb_store *s, int64_t workload_id, int ord, const char *name,
			const char *unit, bool higher_is_better, struct vb_error **err);

struct vb_sample_record {
	int64_t run_id, platform_id, workload_id;
	int seq; /* position in the interleaved order, from 0 */
	int round;
	bool warmup;
	bool ok;
	const char *error; /* NULL when ok */
	double duration_s; /* wall time of the job as the supervisor saw it */
	unsigned instance; /* which fresh guest took it (--instances), from 0 */
	size_t nvalues;
	const char *const *names;
	const double *values;
};
/* Insert and commit one sample with its values. */
int vb_store_add_sample(struct vb_store *s, const struct vb_sample_record *r,
			struct vb_error **err);

/* A transaction around several writes (the summarizer's). */
int vb_store_begin(struct vb_store *s, struct vb_error **err);
int vb_store_commit(struct vb_store *s, struct vb_error **err);
void vb_store_rollback(struct vb_store *s);

/* A cell of a run: platform x workload x metric, in table order (vb_store_cells). */
struct vb_store_cell {
	int64_t platform_id, workload_id;
	char *platform, *metric;
	bool higher_is_better;
};
int vb_store_cells(struct vb_store *s, int64_t run_id, struct vb_store_cell **cells, size_t *n,
		   struct vb_error **err);
void vb_store_cells_free(struct vb_store_cell *c, size_t n);
/* The platforms.id of a run's platform by name; -1 when none. */
int64_t vb_store_platform_id(struct vb_store *s, int64_t run_id, const char *name);

/* A cell's measured samples (warm-up and failed ones left out), in run order. */
struct vb_cell_samples {
	double *v;
	int64_t *ids;	/* sample ids, for the outlier flags */
	unsigned *inst; /* the fresh guest (instance) that took each */
	size_t n;
};
int vb_store_cell_samples(struct vb_store *s, int64_t run_id, int64_t platform_id,
			  int64_t workload_id, const char *metric, struct vb_cell_samples *out,
			  struct vb_error **err);
void vb_cell_samples_free(struct vb_cell_samples *c);

/* Mark samples ids[i] outliers of metric (flags[i]) or not. */
int vb_store_flag_outliers(struct vb_store *s, const char *metric, const int64_t *ids,
			   const bool *flags, size_t n, struct vb_error **err);

/* One cell's summary, as experiment/summarize.c computed it. */
struct vb_summary_record {
	int64_t run_id, platform_id, workload_id;
	const char *metric;
	struct vb_summary s;
	struct vb_ratio ratio; /* NAN: none */
	enum vb_verdict verdict;
	size_t outliers;
	unsigned instances;
	double var_within, var_between; /* NAN: none */
};
int vb_store_put_summary(struct vb_store *s, const struct vb_summary_record *r,
			 struct vb_error **err);

/* Record one cell of a features run (every field required). */
int vb_store_add_feature(struct vb_store *s, int64_t run_id, const struct vb_feature_row *f,
			 struct vb_error **err);
/* The feature cells of a run in the order they were recorded (none: *n = 0). */
int vb_store_load_features(struct vb_store *s, int64_t run_id, struct vb_feature_row **rows,
			   size_t *n, struct vb_error **err);

/* Find a run by number or tag ("3", "vb-1a2b3c4d", "1a2b3c4d"); "last" = newest. */
int vb_store_find_run(struct vb_store *s, const char *ref, struct vb_run_info *out,
		      struct vb_error **err);
/* Call cb for every run, newest first. */
int vb_store_list_runs(struct vb_store *s, void (*cb)(const struct vb_run_info *r, void *data),
		       void *data, struct vb_error **err);
/* The summary rows of a run in platform, workload, metric order. */
int vb_store_load_rows(struct vb_store *s, int64_t run_id, struct vb_result_row **rows, size_t *n,
		       struct vb_error **err);
/* The host fingerprint (JSON text) of a run; caller frees. */
int vb_store_host_json(struct vb_store *s, int64_t run_id, char **out, struct vb_error **err);

/* The versioned JSON document of a run (docs/schema.md) in memory; caller decrefs. */
int vb_store_export_doc(struct vb_store *s, int64_t run_id, json_t **out, struct vb_error **err);
/* Write a versioned JSON document with every raw sample (docs/schema.md). */
int vb_store_export_json(struct vb_store *s, int64_t run_id, const char *path,
			 struct vb_error **err);
/* Write one CSV row per sample value. */
int vb_store_export_csv(struct vb_store *s, int64_t run_id, const char *path,
			struct vb_error **err);

/*
 * Reading a results document back (src/store/result-file.c): the input of
 * `virtbench diff`, from outside. Checked strictly: the format name and a
 * version this virtbench reads, and the type of every field the diff uses
 * (run, host, platforms, workloads and their metrics, samples with finite
 * values, summaries), names unique and every reference declared. A document
 * that fails is -EINVAL (exit code 2) with a message naming the field.
 */
#define VB_RESULT_FORMAT "virtbench-results"
#define VB_RESULT_FORMAT_VERSION 1
#define VB_RESULT_DOC_MAX (64 << 20) /* bytes; a larger file is refused */

/* Check a document in memory (also one vb_store_export_doc made). */
int vb_result_doc_check(const json_t *doc, struct vb_error **err);
/* Parse buf[0..len-1] (no NUL needed) and check it; *out (caller decrefs) only on success. */
int vb_result_doc_parse(const char *buf, size_t len, json_t **out, struct vb_error **err);
/* Read path (at most VB_RESULT_DOC_MAX bytes), parse and check it; errors name the file. */
int vb_result_doc_load(const char *path, json_t **out, struct vb_error **err);

/* For the exporters in export.c. */
struct sqlite3 *vb_store_db(struct vb_store *s);

#endif
