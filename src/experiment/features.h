/* SPDX-License-Identifier: MIT */
#ifndef VB_EXPERIMENT_FEATURES_H
#define VB_EXPERIMENT_FEATURES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "virtbench/feature.h"

/*
 * `virtbench features`: the study's tables 5.4-5.5 filled by probing this
 * host (docs/features.md). Every cell says its value, how it was determined
 * and what was tried.
 */

/*
 * Does the table have a column for platform name: a platform of the
 * registry (vb_platforms, whose order is the columns') with a features op?
 */
bool vb_features_platform_known(const char *name);

struct vb_features_config {
	const char *const *platforms; /* names vb_features_platform_known knows, no repeats */
	size_t nplatforms;
	const char *command; /* the command line, for the record */
	bool named;	     /* the platforms were named (-p): a long probe (xen's) may run */
};

/*
 * Probe every feature on every platform of cfg and store the cells, feature
 * by feature, as a run of experiment "features" in db. A probe that fails
 * is a cell that says so, not an error: errors are what stops the run (its
 * work directory, the store) and an interruption (-EINTR), which leave the
 * run incomplete. *run_id names the stored run (-1 when none was begun).
 * Every process a probe starts is killed and every file it makes removed
 * before this returns.
 */
int vb_features_run(const struct vb_features_config *cfg, struct vb_store *db, int64_t *run_id,
		    struct vb_error **err);

#endif
