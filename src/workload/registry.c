/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "virtbench/workload.h"

#define VB_WORKLOAD(sym) extern const struct vb_workload_ops vb_workload_##sym;
#include "workload/workloads.def"
#undef VB_WORKLOAD

const struct vb_workload_ops *const vb_workloads[] = {
#define VB_WORKLOAD(sym) &vb_workload_##sym,
#include "workload/workloads.def"
#undef VB_WORKLOAD
	NULL,
};

const struct vb_workload_ops *vb_workload_find(const char *name)
{
	for (size_t i = 0; vb_workloads[i]; i++)
		if (!strcmp(vb_workloads[i]->name, name))
			return vb_workloads[i];
	return NULL;
}

size_t vb_workload_nmetrics(const struct vb_workload_ops *w)
{
	size_t n = 0;
	while (w->metrics[n].name)
		n++;
	return n;
}

size_t vb_workload_noptions(const struct vb_workload_ops *w)
{
	size_t n = 0;
	while (w->options[n].name)
		n++;
	return n;
}

const struct vb_option *vb_workload_option(const struct vb_workload_ops *w, const char *name)
{
	for (const struct vb_option *o = w->options; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

bool vb_workload_needs_peer(const struct vb_workload_ops *w, const void *opts)
{
	if (w->needs_peer)
		return true;
	const struct vb_option *o = vb_workload_option(w, "where");
	if (!o || o->type != VB_OPT_CHOICE || !opts)
		return false;
	uint64_t v = vb_option_get(o, opts);
	return v <= o->max && !strcmp(o->choices[v], "host");
}

const struct vb_workload_ops *vb_workload_pair(const struct vb_workload_ops *w, const void *opts)
{
	const struct vb_option *o = w->pair ? vb_workload_option(w, "layout") : NULL;
	if (!o || o->type != VB_OPT_CHOICE || !opts)
		return NULL;
	uint64_t v = vb_option_get(o, opts);
	return v <= o->max && !strcmp(o->choices[v], "split") ? w->pair : NULL;
}

/*
 * Upper bounds per unit, far beyond any machine (a rate of 10^8 MiB/s is
 * 100 TiB/s), so that only a lying or broken agent reaches them. Counts and
 * rates without an entry get 10^15.
 */
static const struct {
	const char *unit;
	double max;
} unit_max[] = {
	{ "MiB/s", 1e8 }, { "MB/s", 1e8 },  { "Mbit/s", 1e8 }, { "GFLOPS", 1e8 }, { "MWIPS", 1e9 },
	{ "MiB", 1e12 },  { "req/s", 1e9 }, { "tx/s", 1e9 },   { "msg/s", 1e9 },  { "ops/s", 1e9 },
	{ "obs/s", 1e9 }, { "%", 1e5 }, /* a client's CPU:
1,000 CPUs */
};

int vb_metric_check(const struct vb_metric_desc *m, double v, double timeout_s,
		    struct vb_error **err)
{
	/* A week when there is no job timeout, as the client's own limit. */
	double t = timeout_s > 0 ? timeout_s : 7 * 86400.0;
	double lo = 0, hi = 1e15;
	bool open_lo = false;
	if (!strcmp(m->unit, "s")) {
		hi = t;
		open_lo = true;
	} else if (!strcmp(m->unit, "us")) {
		hi = t * 1e6;
	} else if (!strcmp(m->unit, "ms")) {
		hi = t * 1e3;
	} else {
		for (size_t i = 0; i < sizeof(unit_max) / sizeof(unit_max[0]); i++)
			if (!strcmp(m->unit, unit_max[i].unit))
				hi = unit_max[i].max;
	}
	if (isfinite(v) && (open_lo ? v > lo : v >= lo) && v <= hi)
		return 0;
	return vb_error_set(err, -ERANGE,
			    "%s = %.6g %s is implausible (must be %s 0 and at most %.6g %s)",
			    m->name, v, m->unit, open_lo ? ">" : ">=", hi, m->unit);
}
