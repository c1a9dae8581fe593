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

/* The platforms the table has a column for, in order; NULL-terminated. */
extern const char *const vb_features_platforms[];

/* Is name one of vb_features_platforms? */
bool vb_features_platform_known(const char *name);

struct vb_features_config {
	const char *const *platforms; /* names from vb_features_platforms, no repeats */
	size_t nplatforms;
	const char *command; /* the command line, for the record */
	bool xen_named;	     /* xen was asked for by name: its nested Xen may boot */
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

/* Pure helpers, for the probes and the unit tests. */

/*
 * A whole text file (≤ 64 MiB) through zlib: plain and gzip-compressed
 * (/proc/config.gz) alike; caller frees. 0 or a negative errno.
 */
int vb_features_read_text(const char *path, char **out);

/* Does the first "flags" line of /proc/cpuinfo text list flag? */
bool vb_features_cpu_flag(const char *cpuinfo, const char *flag);

/*
 * A symbol's setting in kernel config text ("CONFIG_KVM"): 'y', 'm',
 * 'n' for "# CONFIG_X is not set", 'v' for another value (a number, a
 * string), '\0' when the text does not mention it.
 */
char vb_features_kconfig(const char *config, const char *symbol);

/* Count the cgroup (v1) and cgroup2 mounts in /proc/mounts text. */
void vb_features_cgroup_mounts(const char *mounts, unsigned *v1, unsigned *v2);

/* A "Key: N kB" line of /proc/meminfo text, in bytes; 0 when missing. */
uint64_t vb_features_meminfo(const char *meminfo, const char *key);

/*
 * The pid in the innermost pid namespace from /proc/PID/status text (the
 * last number of "NSpid:"), and in *depth how many namespaces it has a pid
 * in. -1 when there is no NSpid line.
 */
long vb_features_nspid(const char *status, unsigned *depth);

/*
 * The most telling error line of CRIU's output ("Error (file:line): msg"
 * lines, minus "exited, status=" noise), without its prefix; caller frees.
 * NULL when there is none.
 */
char *vb_features_criu_error(const char *output);

/*
 * From a QMP query-migrate return value: its "status" ("completed",
 * "failed", ...), NULL when absent. Borrowed from reply.
 */
const char *vb_features_migrate_status(const json_t *reply);

#endif
