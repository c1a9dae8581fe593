/* SPDX-License-Identifier: MIT */
/* The report's document model: one run's export document, read. */
#include <math.h>

#include "core/util.h"
#include "report/doc.h"
#include "report/report.h"

double vb_html_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *vb_html_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int vb_html_platform(const struct vb_html_run *run, const char *name)
{
	for (size_t i = 0; name && i < json_array_size(run->platforms); i++) {
		const char *n = vb_html_str(json_array_get(run->platforms, i), "name");
		if (n && !strcmp(n, name))
			return (int)i;
	}
	return -1;
}

const char *vb_html_label(const struct vb_html_run *run, const char *name)
{
	int i = vb_html_platform(run, name);
	return i < 0 ? name : run->labels[i];
}

bool vb_html_is(const json_t *o, const char *key, const char *want)
{
	const char *s = vb_html_str(o, key);
	return s && want && !strcmp(s, want);
}

const json_t *vb_html_summary(const struct vb_html_run *run, const char *platform,
			      const char *workload, const char *metric)
{
	size_t i;
	const json_t *s;
	json_array_foreach(run->summaries, i, s) if (vb_html_is(s, "platform", platform) &&
						     vb_html_is(s, "workload", workload) &&
						     vb_html_is(s, "metric", metric)) return s;
	return NULL;
}

const json_t *vb_html_workload(const struct vb_html_run *run, const char *name)
{
	size_t i;
	const json_t *w;
	json_array_foreach(run->workloads, i, w) if (vb_html_is(w, "name", name)) return w;
	return NULL;
}

const char *vb_html_unit(const struct vb_html_run *run, const char *workload, const char *metric)
{
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(vb_html_workload(run, workload), "metrics"), i,
			   m) if (vb_html_is(m, "name", metric) &&
				  vb_html_str(m, "unit")) return vb_html_str(m, "unit");
	return "";
}

void vb_html_mean_mark(const json_t *sum, const char *platform, const char *workload,
		       const char *metric, struct vb_mark *m)
{
	*m = (struct vb_mark){ platform,
			       workload,
			       metric,
			       "mean",
			       vb_html_num(sum, "mean"),
			       vb_html_num(sum, "ci_low"),
			       vb_html_num(sum, "ci_high") };
}

void vb_html_ratio_mark(const json_t *sum, const char *platform, const char *workload,
			const char *metric, struct vb_mark *m)
{
	*m = (struct vb_mark){ platform,
			       workload,
			       metric,
			       "ratio",
			       vb_html_num(sum, "ratio"),
			       vb_html_num(sum, "ratio_low"),
			       vb_html_num(sum, "ratio_high") };
}

bool vb_html_is_baseline(const struct vb_html_run *run, const char *platform)
{
	if (!strcmp(run->experiment, "isolation")) {
		const char *colon = strrchr(platform, ':');
		return colon && !strcmp(colon, ":alone");
	}
	return run->baseline && !strcmp(platform, run->baseline);
}

/*
 * Ratios are against config.baseline when recorded, else host when present,
 * else the first platform; with several platforms and no ratio stored at
 * all, the report claims no baseline.
 */
static const char *find_baseline(const json_t *doc, const json_t *platforms)
{
	const json_t *config = json_object_get(json_object_get(doc, "run"), "config");
	size_t i;
	const json_t *p, *s;
	bool ratios = json_array_size(platforms) == 1;
	if (vb_html_str(config, "baseline"))
		return vb_html_str(config, "baseline");
	json_array_foreach(json_object_get(doc, "summaries"), i, s) ratios |=
	    isfinite(vb_html_num(s, "ratio"));
	if (!ratios)
		return NULL;
	json_array_foreach(platforms, i, p) if (vb_html_is(p, "name", "host")) return "host";
	return vb_html_str(json_array_get(platforms, 0), "name");
}

void vb_html_run_init(struct vb_html_run *run, FILE *f, const json_t *doc)
{
	const json_t *info = json_object_get(doc, "run");
	const char *exp = vb_html_str(info, "experiment");
	*run = (struct vb_html_run){ .f = f, .doc = doc };
	run->id = (long long)json_integer_value(json_object_get(info, "id"));
	run->experiment = exp ? exp : "";
	run->platforms = json_object_get(doc, "platforms");
	run->workloads = json_object_get(doc, "workloads");
	run->summaries = json_object_get(doc, "summaries");
	run->labels = xcalloc(json_array_size(run->platforms) + 1, sizeof(*run->labels));
	for (size_t i = 0; i < json_array_size(run->platforms); i++) {
		const json_t *p = json_array_get(run->platforms, i);
		const char *name = vb_html_str(p, "name");
		int emulated = json_is_true(json_object_get(p, "emulated")) ? 1
			       : (int)vb_html_num(p, "emulated") == 2	    ? 2
			       : vb_html_num(p, "emulated") == 1	    ? 1
									    : 0;
		run->labels[i] =
		    xasprintf("%s%s", name ? name : "?", vb_report_emulation(emulated));
	}
	run->baseline = find_baseline(doc, run->platforms);
}

void vb_html_run_release(struct vb_html_run *run)
{
	for (size_t i = 0; run->labels && run->labels[i]; i++)
		free(run->labels[i]);
	free(run->labels);
	run->labels = NULL;
}

const char *vb_doc_experiment(const json_t *doc)
{
	const char *e = vb_html_str(json_object_get(doc, "run"), "experiment");
	return e ? e : "";
}

long long vb_doc_run_id(const json_t *doc)
{
	double id = vb_html_num(json_object_get(doc, "run"), "id");
	return isfinite(id) ? (long long)id : 0;
}

bool vb_doc_same_base(const char *label, const char *name)
{
	size_t n = strlen(name);
	return !strncmp(label, name, n) && (label[n] == '\0' || label[n] == '[');
}

static const json_t *doc_platform(const json_t *doc, const char *name)
{
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(doc, "platforms"), i, p)
	{
		if (vb_html_is(p, "name", name))
			return p;
	}
	return NULL;
}

bool vb_doc_against_host(const json_t *doc)
{
	const json_t *config = json_object_get(json_object_get(doc, "run"), "config");
	const char *base = vb_html_str(config, "baseline");
	if (base)
		return !strcmp(base, "host");
	return doc_platform(doc, "host") != NULL;
}

bool vb_doc_emulated(const json_t *doc, const char *platform)
{
	const json_t *e = json_object_get(doc_platform(doc, platform), "emulated");
	return json_is_true(e) || (json_is_integer(e) && json_integer_value(e) != 0);
}

int vb_doc_higher_is_better(const json_t *doc, const char *workload, const char *metric)
{
	size_t i, k;
	const json_t *w, *m;
	json_array_foreach(json_object_get(doc, "workloads"), i, w)
	{
		if (!vb_html_is(w, "name", workload))
			continue;
		json_array_foreach(json_object_get(w, "metrics"), k, m)
		{
			if (!vb_html_is(m, "name", metric))
				continue;
			const json_t *h = json_object_get(m, "higher_is_better");
			return json_is_boolean(h) ? json_is_true(h) : -1;
		}
	}
	return -1;
}
