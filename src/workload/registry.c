/* SPDX-License-Identifier: MIT */
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
