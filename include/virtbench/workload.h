/* SPDX-License-Identifier: MIT */
#ifndef VIRTBENCH_WORKLOAD_H
#define VIRTBENCH_WORKLOAD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * A workload is a const table of callbacks plus metadata. It never knows the
 * platform it runs on: the agent runs it the same way on the host, in a
 * container and in a guest. The full list is in src/workload/workloads.def.
 */

enum vb_profile {
	VB_PROFILE_QUICK = 0, /* finishes in seconds: tests, first runs */
	VB_PROFILE_FULL = 1,  /* the study's parameters */
};

enum vb_opt_type {
	VB_OPT_U64,    /* a plain count */
	VB_OPT_SIZE,   /* a byte count; accepts K/M/G/T suffixes */
	VB_OPT_BOOL,   /* 0 or 1; accepts true/false/yes/no */
	VB_OPT_CHOICE, /* one of the names in choices; the field holds its index */
};

/*
 * Declarative option: the same table drives parsing (--set, job params),
 * validation, --help and the JSON record of what was run.
 */
struct vb_option {
	const char *name; /* [a-z0-9_]+ */
	enum vb_opt_type type;
	size_t offset;	   /* offsetof(the workload's option struct, field); field is uint64_t */
	uint64_t def[2];   /* default per enum vb_profile */
	uint64_t min, max; /* inclusive bounds */
	const char *help;
	const char *const *choices; /* VB_OPT_CHOICE: the names, NULL-terminated */
};

/* An option table entry: name, type, option struct, field, quick, full, min, max, help. */
#define VB_OPTION(n, t, st, field, q, f, lo, hi, h)                                                \
	{                                                                                          \
		.name = (n), .type = (t), .offset = offsetof(st, field), .def = { (q), (f) },      \
		.min = (lo), .max = (hi), .help = (h)                                              \
	}

struct vb_metric_desc {
	const char *name; /* [a-z0-9_]+, unique within the workload */
	const char *unit; /* "s", "MiB/s", ... */
	bool higher_is_better;
	const char *help;
};

/*
 * A choice among names: arr is a NULL-terminated array of [a-z0-9_]+ names;
 * q and f are the quick and full defaults as indexes into it.
 */
#define VB_OPTION_CHOICE(n, st, field, q, f, arr, h)                                               \
	{                                                                                          \
		.name = (n), .type = VB_OPT_CHOICE, .offset = offsetof(st, field),                 \
		.def = { (q), (f) }, .min = 0, .max = sizeof(arr) / sizeof((arr)[0]) - 2,          \
		.help = (h), .choices = (arr)                                                      \
	}

/* What the agent hands a workload's run callback. */
struct vb_workload_ctx {
	const char *scratch_dir; /* a private directory the platform provides; may be NULL */
	const char *peer;     /* "addr:port" of the w3 peer the supervisor started; may be NULL */
	unsigned online_cpus; /* CPUs this workload may use (sched_getaffinity) */
	uint64_t mem_total;   /* bytes of memory visible here */
	volatile sig_atomic_t *stop; /* set when the run must end early; may be NULL */
	/* Send a log line to the supervisor (prefixed with the workload's name). */
	void (*log)(void *data, const char *msg);
	void *log_data;
};

/*
 * The Debian packages of the shared libraries virtbench-mw (the middleware
 * workloads' clients) needs: a Debian image holds virtbench-mw only when
 * it holds all of these (src/guest/image-debian.c), so that images without
 * them have the same key wherever virtbench-mw is built or not.
 */
#define VB_MW_CLIENT_PACKAGES "libcurl4,libjansson4,libpq5,librabbitmq4"

struct vb_workload_ops {
	const char *name;		 /* "group.name", e.g. "cpu.primes" */
	const char *group;		 /* w1 w2 w3 w4 system app middleware aggressor */
	const char *summary;		 /* one line for `list workloads` */
	const char *study_ref;		 /* where in the study it comes from, e.g. "§4.2 task 1" */
	const struct vb_option *options; /* terminated by an entry with name == NULL */
	size_t opts_size;		 /* sizeof the option struct the table describes */
	const struct vb_metric_desc *metrics; /* terminated by name == NULL */
	bool needs_peer; /* w3: the supervisor starts a peer and passes its address */
	/*
	 * Its pair's workload (mw.worker's mw.services): with option "layout"
	 * set to "split", the engine runs the pair in a second guest of the
	 * platform beside each job of this one (docs/middleware.md). NULL: none.
	 */
	const struct vb_workload_ops *pair;
	/*
	 * Debian packages the workload needs in its guest, comma-separated
	 * ("nginx,apache2-utils"); NULL: none, the minimal image will do. A run
	 * with such a workload uses a Debian image holding the union of its
	 * workloads' packages (docs/apps.md).
	 */
	const char *packages;
	/*
	 * Optional: the packages an option set needs beyond packages
	 * (mw.triplestore store=jena-tdb2: Java and Jena), comma-separated;
	 * NULL: none.
	 */
	const char *(*extra_packages)(const void *opts);
	/*
	 * Optional check of a whole option set against this machine (e.g. a
	 * buffer larger than memory). Returns 0 or -EINVAL with *err set.
	 */
	int (*check)(const void *opts, const struct vb_workload_ctx *ctx, struct vb_error **err);
	/*
	 * Run once and fill values[i] for metrics[i]. Returns 0, or a negative
	 * code with *err set when the run failed or its self-check did not hold.
	 */
	int (*run)(const struct vb_workload_ctx *ctx, const void *opts, double *values,
		   struct vb_error **err);
};

/* The registry: NULL-terminated, in display order. */
extern const struct vb_workload_ops *const vb_workloads[];

/* Look up by exact name; NULL when unknown. */
const struct vb_workload_ops *vb_workload_find(const char *name);

/*
 * Is v a plausible value of metric m (docs/protocol.md, "Plausible values")?
 * The bounds follow from the metric's unit: a duration in seconds is in
 * (0, timeout_s], one in microseconds in [0, timeout_s * 1e6], anything else
 * in [0, a generous physical bound of its unit]. timeout_s <= 0 means no job
 * timeout (a week is taken). Returns 0, or -ERANGE with *err naming the
 * metric, the value and the bounds.
 */
int vb_metric_check(const struct vb_metric_desc *m, double v, double timeout_s,
		    struct vb_error **err);

/*
 * Does this run of w need the w3 peer: w3 workloads always; a service
 * workload when its option "where" is "host" (the client runs on the host,
 * driven through the peer: docs/apps.md).
 */
bool vb_workload_needs_peer(const struct vb_workload_ops *w, const void *opts);

/*
 * The workload this run of w needs beside it in a second guest (w->pair,
 * when its option "layout" is "split"), or NULL.
 */
const struct vb_workload_ops *vb_workload_pair(const struct vb_workload_ops *w, const void *opts);

/*
 * The log line a pair's job sends when its side is ready (mw.services:
 * the servers up, the observations published): the engine then starts
 * the workload's own job beside it.
 */
#define VB_PAIR_READY "ready: the pair's servers hold the observations"

/* Number of metrics / options of a workload. */
size_t vb_workload_nmetrics(const struct vb_workload_ops *w);
size_t vb_workload_noptions(const struct vb_workload_ops *w);

/* Find an option by name; NULL when the workload has none of that name. */
const struct vb_option *vb_workload_option(const struct vb_workload_ops *w, const char *name);

/* Fill opts (w->opts_size bytes) with the defaults of a profile. */
void vb_options_defaults(const struct vb_workload_ops *w, enum vb_profile p, void *opts);

/*
 * Parse a textual value for option o and store it in opts. Range-checked;
 * returns -EINVAL with a message naming the workload, option and bounds.
 */
int vb_option_parse(const struct vb_workload_ops *w, const struct vb_option *o, const char *text,
		    void *opts, struct vb_error **err);

/* Store an already numeric value after the same range check. */
int vb_option_set(const struct vb_workload_ops *w, const struct vb_option *o, uint64_t value,
		  void *opts, struct vb_error **err);

static inline uint64_t vb_option_get(const struct vb_option *o, const void *opts)
{
	return *(const uint64_t *)((const char *)opts + o->offset);
}

/* A choice option's names as text ("ab or wrk"). Caller frees. */
char *vb_option_choices(const struct vb_option *o);

/* Format a value for humans ("64 MiB", "4", "true"); returns buf. */
const char *vb_option_format(const struct vb_option *o, uint64_t v, char *buf, size_t len);

#endif
