/* SPDX-License-Identifier: MIT */
/*
 * Workload selection shared by the verbs that run workloads: -w names,
 * --suite groups, --set options and sweeps, each instance checked against
 * this host before anything is created.
 */
#include <unistd.h>

#include "cli/cli.h"
#include "core/util.h"
#include "experiment/experiment.h"

const char *const vb_cli_suites[] = {
	"w1", "w2", "w3", "w4", "system", "apps", "middleware", NULL
};

/* A suite's workload group: the suites are the groups ("apps" is the group app). */
static const char *suite_group(const char *suite)
{
	return strcmp(suite, "apps") ? suite : "app";
}

/* The suites are the workload groups; "all" is every group but the aggressors and pairs. */
static int add_suites(const char *text, char ***names, size_t *n, struct vb_error **err)
{
	char **items;
	size_t nitems;
	int r = vb_cli_split_list("--suite", text, &items, &nitems, err);
	for (size_t k = 0; !r && k < nitems; k++) {
		bool all = !strcmp(items[k], "all"), known = all;
		for (size_t s = 0; vb_cli_suites[s]; s++)
			known |= !strcmp(items[k], vb_cli_suites[s]);
		if (!known) {
			r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					  "unknown suite '%.64s' (w1, w2, w3, w4, system, apps, "
					  "middleware or all)",
					  items[k]);
			break;
		}
		for (size_t i = 0; vb_workloads[i]; i++) {
			const char *g = vb_workloads[i]->group;
			if (all ? !strcmp(g, "aggressor") || !strcmp(g, "pair")
				: strcmp(g, suite_group(items[k])) != 0)
				continue;
			bool dup = false;
			for (size_t j = 0; j < *n; j++)
				dup |= !strcmp((*names)[j], vb_workloads[i]->name);
			if (dup)
				continue;
			*names = xrealloc(*names, (*n + 1) * sizeof(char *));
			(*names)[(*n)++] = xstrdup(vb_workloads[i]->name);
		}
	}
	vb_cli_free_list(items, nitems);
	return r;
}

static int resolve_workloads(const char *text, const char *suites, struct vb_run_config *cfg,
			     struct vb_error **err)
{
	char **names = NULL;
	size_t n = 0;
	if (text && !strcmp(text, "all")) {
		for (size_t i = 0; vb_workloads[i]; i++) {
			if (!strcmp(vb_workloads[i]->group, "pair"))
				continue;
			names = xrealloc(names, (n + 1) * sizeof(char *));
			names[n++] = xstrdup(vb_workloads[i]->name);
		}
	} else if (text && vb_cli_split_list("--workload", text, &names, &n, err)) {
		vb_cli_free_list(names, n);
		return -EINVAL;
	}
	int r = suites ? add_suites(suites, &names, &n, err) : 0;
	if (r) {
		vb_cli_free_list(names, n);
		return r;
	}
	cfg->workloads = xcalloc(n, sizeof(*cfg->workloads));
	for (size_t i = 0; i < n && !r; i++) {
		const struct vb_workload_ops *w = vb_workload_find(names[i]);
		if (!w) {
			r = vb_error_exit(
			    err, -EINVAL, VB_EXIT_USAGE,
			    "unknown workload '%.64s' (see 'virtbench list workloads')", names[i]);
			break;
		}
		if (!strcmp(w->group, "pair")) {
			r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					  "%s runs only as the pair of a workload in layout=split "
					  "(mw.worker --set layout=split), not on its own",
					  w->name);
			break;
		}
		for (size_t j = 0; j < cfg->nworkloads; j++)
			if (cfg->workloads[j].w == w)
				r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
						  "workload '%s' named twice", w->name);
		struct vb_run_workload *rw = &cfg->workloads[cfg->nworkloads++];
		rw->w = w;
		rw->opts = xcalloc(1, w->opts_size);
		vb_options_defaults(w, cfg->profile, rw->opts);
	}
	vb_cli_free_list(names, n);
	return r;
}

/*
 * Apply one --set. "NAME=V" sets the option; "NAME=V1,V2,..." is a sweep:
 * each matching workload becomes one instance per value, labelled
 * "w[NAME=V]", in the order given. An option no chosen workload has is an
 * error.
 */
static int apply_set(struct vb_run_config *cfg, const char *text, struct vb_error **err)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *eq = strchr(copy, '=');
	if (!eq || eq == copy || !eq[1])
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "--set wants [WORKLOAD.]NAME=VALUE[,VALUE...], not '%.64s'",
				     text);
	*eq = '\0';
	char **values;
	size_t nvalues;
	int r = vb_cli_split_list("--set", eq + 1, &values, &nvalues, err);
	if (r) {
		vb_cli_free_list(values, nvalues);
		return r;
	}
	char *name = copy;
	char *dot = strrchr(copy, '.');
	const char *only = NULL;
	if (dot) {
		*dot = '\0';
		only = copy;
		name = dot + 1;
	}
	size_t applied = 0;
	for (size_t i = 0; i < cfg->nworkloads && !r; i++) {
		struct vb_run_workload *rw = &cfg->workloads[i];
		if (only && strcmp(rw->w->name, only))
			continue;
		const struct vb_option *o = vb_workload_option(rw->w, name);
		if (!o)
			continue;
		applied++;
		if (nvalues == 1) {
			r = vb_option_parse(rw->w, o, values[0], rw->opts, err);
			continue;
		}
		/* A sweep: replace this instance by one per value. */
		struct vb_run_workload *inst = xcalloc(nvalues, sizeof(*inst));
		for (size_t k = 0; k < nvalues && !r; k++) {
			char buf[32];
			inst[k].w = rw->w;
			inst[k].opts = xmalloc(rw->w->opts_size);
			memcpy(inst[k].opts, rw->opts, rw->w->opts_size);
			r = vb_option_parse(rw->w, o, values[k], inst[k].opts, err);
			if (!r)
				inst[k].label =
				    xasprintf("%s[%s=%s]", vb_run_workload_name(rw), o->name,
					      vb_option_format(o, vb_option_get(o, inst[k].opts),
							       buf, sizeof(buf)));
		}
		cfg->workloads = xrealloc(cfg->workloads, (cfg->nworkloads + nvalues - 1) *
							      sizeof(*cfg->workloads));
		rw = &cfg->workloads[i];
		free(rw->opts);
		free(rw->label);
		memmove(rw + nvalues, rw + 1, (cfg->nworkloads - i - 1) * sizeof(*rw));
		memcpy(rw, inst, nvalues * sizeof(*rw));
		free(inst);
		cfg->nworkloads += nvalues - 1;
		i += nvalues - 1;
	}
	vb_cli_free_list(values, nvalues);
	if (r) {
		(*err)->exit_code = VB_EXIT_USAGE;
		return r;
	}
	if (!applied)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "--set %.64s: no chosen workload has an option '%.64s'", text,
				     name);
	for (size_t i = 0; i < cfg->nworkloads; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(vb_run_workload_name(&cfg->workloads[i]),
				    vb_run_workload_name(&cfg->workloads[j])))
				return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
						     "--set %.64s: %s would run twice", text,
						     vb_run_workload_name(&cfg->workloads[i]));
	return 0;
}

int vb_cli_workloads(const char *names, const char *suites, char **sets, size_t nsets,
		     struct vb_run_config *cfg, struct vb_error **err)
{
	int r = resolve_workloads(names, suites, cfg, err);
	for (size_t i = 0; !r && i < nsets; i++)
		r = apply_set(cfg, sets[i], err);
	struct vb_workload_ctx here = { 0 };
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	here.mem_total = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
	here.online_cpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	for (size_t i = 0; !r && i < cfg->nworkloads; i++)
		if (cfg->workloads[i].w->check) {
			r = cfg->workloads[i].w->check(cfg->workloads[i].opts, &here, err);
			if (r)
				(*err)->exit_code = VB_EXIT_USAGE;
		}
	return r;
}

bool vb_cli_packages_optional(const char *names, const char *suites)
{
	if (names || !suites)
		return false;
	char **items;
	size_t n;
	if (vb_cli_split_list("--suite", suites, &items, &n, NULL))
		return false;
	bool all = false;
	for (size_t i = 0; i < n; i++)
		all |= !strcmp(items[i], "all");
	vb_cli_free_list(items, n);
	return all;
}

char *vb_cli_drop_packaged(struct vb_run_config *cfg)
{
	char *names = NULL;
	size_t kept = 0;
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		struct vb_run_workload *rw = &cfg->workloads[i];
		_cleanup_free_ char *pk = vb_workload_packages(rw->w, rw->opts);
		if (!pk) {
			cfg->workloads[kept++] = *rw;
			continue;
		}
		char *next = xasprintf("%s%s%s", names ? names : "", names ? ", " : "",
				       vb_run_workload_name(rw));
		free(names);
		names = next;
		free(rw->opts);
		free(rw->label);
	}
	cfg->nworkloads = kept;
	return names;
}

void vb_cli_free_workloads(struct vb_run_config *cfg)
{
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		free(cfg->workloads[i].opts);
		free(cfg->workloads[i].label);
	}
	free(cfg->workloads);
	cfg->workloads = NULL;
	cfg->nworkloads = 0;
}
