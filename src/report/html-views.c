/* SPDX-License-Identifier: MIT */
/* The study's views in the HTML report: each drawn only when a run has the data for it. */
#include <math.h>

#include "core/json.h"
#include "core/util.h"
#include "report/doc.h"
#include "report/html-views.h"
#include "report/markup.h"
#include "report/svg.h"

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static bool has_metric(const json_t *w, const char *metric)
{
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(w, "metrics"), i,
			   m) if (vb_html_is(m, "name", metric)) return true;
	return false;
}

static const char *platform_name(const struct vb_html_run *run, size_t p)
{
	const char *name = vb_html_str(json_array_get(run->platforms, p), "name");
	return name ? name : "";
}

static void figure(const struct vb_html_run *run, const struct vb_chart *c,
		   const struct vb_mark *marks,
		   void (*draw)(FILE *, const struct vb_chart *, const struct vb_mark *))
{
	fputs("<figure>", run->f);
	draw(run->f, c, marks);
	fputs("</figure>\n", run->f);
}

/* Figure 4.1: per platform, the mean elapsed time of each w1 workload stacked. */
void vb_html_view_stacked(const struct vb_html_run *run)
{
	size_t np = json_array_size(run->platforms), nw = 0, i;
	const json_t *w;
	_cleanup_free_ const char **names =
	    xcalloc(json_array_size(run->workloads) + 1, sizeof(*names));
	json_array_foreach(run->workloads, i,
			   w) if (vb_html_is(w, "group", "w1") && has_metric(w, "elapsed") &&
				  vb_html_str(w, "name")) names[nw++] = vb_html_str(w, "name");
	if (nw < 2 || np == 0)
		return;
	_cleanup_free_ struct vb_mark *marks = xcalloc(np * nw, sizeof(*marks));
	_cleanup_free_ struct vb_chart_series *series = xcalloc(nw, sizeof(*series));
	for (size_t s = 0; s < nw; s++)
		series[s] = (struct vb_chart_series){ names[s], (unsigned)s };
	for (size_t p = 0; p < np; p++) {
		for (size_t s = 0; s < nw; s++) {
			const char *pn = platform_name(run, p);
			struct vb_mark *m = &marks[p * nw + s];
			vb_html_mean_mark(vb_html_summary(run, pn, names[s], "elapsed"), pn,
					  names[s], "elapsed", m);
			m->kind = "stack";
		}
	}
	struct vb_chart c = { .run = run->id,
			      .title = "w1 tasks: mean elapsed time, stacked",
			      .unit = vb_html_unit(run, names[0], "elapsed"),
			      .groups = (const char *const *)run->labels,
			      .ngroups = np,
			      .series = series,
			      .nseries = nw };
	fputs(
	    "<h3>w1 task times, stacked (the study's figure 4.1)</h3>\n<p class=\"small\">One bar "
	    "per platform: the mean elapsed time of each w1 workload stacked; the error bar on "
	    "the total adds the parts' 95% half-widths in quadrature.</p>\n<div "
	    "class=\"charts\">",
	    run->f);
	figure(run, &c, marks, vb_svg_stack);
	fputs("</div>\n", run->f);
}

/* One sweep: the instances "base[key=value]" of one workload, in value order. */
struct sweep {
	char *base, *key;
	const char **workloads; /* instance names */
	char **values;
	double *order; /* the value as a number, NaN when it is not one */
	size_t n;
};

/* "base[key=value]" into its parts; false when the name is not a sweep instance. */
static bool split_instance(const char *name, char **base, char **key, char **value)
{
	size_t len = strlen(name);
	const char *open = strrchr(name, '[');
	if (!open || open == name || name[len - 1] != ']')
		return false;
	const char *eq = memchr(open, '=', (size_t)(name + len - open));
	if (!eq || eq == open + 1)
		return false;
	*base = xstrndup(name, (size_t)(open - name));
	*key = xstrndup(open + 1, (size_t)(eq - open - 1));
	*value = xstrndup(eq + 1, (size_t)(name + len - 1 - (eq + 1)));
	return true;
}

static double value_order(const char *v)
{
	double d;
	uint64_t u;
	if (!vb_parse_double(v, &d))
		return d;
	if (!vb_parse_size(v, &u))
		return (double)u;
	return NAN;
}

static void sweep_add(struct sweep **sweeps, size_t *n, const char *workload)
{
	char *base, *key, *value;
	if (!split_instance(workload, &base, &key, &value))
		return;
	struct sweep *s = NULL;
	for (size_t i = 0; i < *n && !s; i++)
		if (!strcmp((*sweeps)[i].base, base) && !strcmp((*sweeps)[i].key, key))
			s = &(*sweeps)[i];
	if (s) {
		free(base);
		free(key);
	} else {
		*sweeps = xrealloc(*sweeps, (*n + 1) * sizeof(**sweeps));
		s = &(*sweeps)[(*n)++];
		*s = (struct sweep){ .base = base, .key = key };
	}
	s->workloads = xrealloc(s->workloads, (s->n + 1) * sizeof(*s->workloads));
	s->values = xrealloc(s->values, (s->n + 1) * sizeof(*s->values));
	s->order = xrealloc(s->order, (s->n + 1) * sizeof(*s->order));
	s->workloads[s->n] = workload;
	s->values[s->n] = value;
	s->order[s->n++] = value_order(value);
}

/* In value order when every value is a number (sizes included), else as run. */
static void sweep_sort(struct sweep *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!isfinite(s->order[i]))
			return;
	for (size_t i = 1; i < s->n; i++) {
		for (size_t j = i; j > 0 && s->order[j - 1] > s->order[j]; j--) {
			double o = s->order[j];
			const char *w = s->workloads[j];
			char *v = s->values[j];
			s->order[j] = s->order[j - 1];
			s->workloads[j] = s->workloads[j - 1];
			s->values[j] = s->values[j - 1];
			s->order[j - 1] = o;
			s->workloads[j - 1] = w;
			s->values[j - 1] = v;
		}
	}
}

static void sweeps_free(struct sweep *sweeps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sweeps[i].n; k++)
			free(sweeps[i].values[k]);
		free(sweeps[i].base);
		free(sweeps[i].key);
		free(sweeps[i].workloads);
		free(sweeps[i].values);
		free(sweeps[i].order);
	}
	free(sweeps);
}

static void sweep_chart(const struct vb_html_run *run, const struct sweep *s, const char *metric,
			struct vb_chart_series *series)
{
	size_t np = json_array_size(run->platforms);
	_cleanup_free_ struct vb_mark *marks = xcalloc(np * s->n, sizeof(*marks));
	_cleanup_free_ char *title = xasprintf("%s: %s by %s", s->base, metric, s->key);
	for (size_t g = 0; g < s->n; g++) {
		for (size_t p = 0; p < np; p++) {
			const char *pn = platform_name(run, p);
			vb_html_mean_mark(vb_html_summary(run, pn, s->workloads[g], metric), pn,
					  s->workloads[g], metric, &marks[g * np + p]);
		}
	}
	struct vb_chart c = { .run = run->id,
			      .title = title,
			      .unit = vb_html_unit(run, s->workloads[0], metric),
			      .xlabel = s->key,
			      .groups = (const char *const *)s->values,
			      .ngroups = s->n,
			      .series = series,
			      .nseries = np };
	figure(run, &c, marks, vb_svg_lines);
}

/* Figure 4.5 and its kin: a metric against the swept option, one line per platform. */
void vb_html_view_sweeps(const struct vb_html_run *run)
{
	struct sweep *sweeps = NULL;
	size_t n = 0, i, k, np = json_array_size(run->platforms);
	const json_t *w, *m;
	bool heading = false;
	json_array_foreach(run->workloads, i, w) if (vb_html_str(w, "name"))
	    sweep_add(&sweeps, &n, vb_html_str(w, "name"));
	_cleanup_free_ struct vb_chart_series *series = xcalloc(np + 1, sizeof(*series));
	for (size_t p = 0; p < np; p++)
		series[p] = (struct vb_chart_series){ run->labels[p], (unsigned)p };
	for (size_t s = 0; s < n; s++) {
		if (sweeps[s].n < 2 || np == 0)
			continue;
		sweep_sort(&sweeps[s]);
		if (!heading)
			fputs(
			    "<h3>Sweeps (the study's figure 4.5: bandwidth per array size)</h3>\n"
			    "<p class=\"small\">A metric against the value of a swept option, one "
			    "line per platform; error bars are 95% confidence intervals.</p>\n",
			    run->f);
		heading = true;
		fputs("<div class=\"charts\">\n", run->f);
		w = vb_html_workload(run, sweeps[s].workloads[0]);
		json_array_foreach(json_object_get(w, "metrics"), k, m) if (vb_html_str(m, "name"))
		    sweep_chart(run, &sweeps[s], vb_html_str(m, "name"), series);
		fputs("</div>\n", run->f);
	}
	sweeps_free(sweeps, n);
}

static void ops_table(const struct vb_html_run *run, const json_t *w)
{
	FILE *f = run->f;
	const char *wn = vb_html_str(w, "name");
	size_t k;
	const json_t *m;
	fputs("<table class=\"ops\"><tr><th>platform</th>", f);
	json_array_foreach(json_object_get(w, "metrics"), k, m)
	{
		fputs("<th>", f);
		vb_html_escape(f, vb_html_str(m, "name"));
		fputs(" (", f);
		vb_html_escape(f, vb_html_str(m, "unit"));
		fputs(")</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t p = 0; p < json_array_size(run->platforms); p++) {
		const char *pn = platform_name(run, p);
		fputs("<tr><td>", f);
		vb_html_escape(f, run->labels[p]);
		fputs("</td>", f);
		json_array_foreach(json_object_get(w, "metrics"), k, m)
		{
			const char *mn = vb_html_str(m, "name");
			struct vb_mark mark;
			vb_html_mean_mark(vb_html_summary(run, pn, wn, mn), pn, wn, mn, &mark);
			vb_html_cell(f, run->id, &mark, VB_HTML_PM);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* One chart per unit: the metrics in that unit side by side, a bar per platform. */
static void ops_chart(const struct vb_html_run *run, const json_t *w, const char *unit,
		      struct vb_chart_series *series)
{
	size_t np = json_array_size(run->platforms), ng = 0, k;
	const json_t *m, *metrics = json_object_get(w, "metrics");
	const char *wn = vb_html_str(w, "name");
	_cleanup_free_ const char **groups = xcalloc(json_array_size(metrics), sizeof(*groups));
	_cleanup_free_ struct vb_mark *marks =
	    xcalloc(json_array_size(metrics) * np, sizeof(*marks));
	json_array_foreach(metrics, k, m)
	{
		const char *mn = vb_html_str(m, "name");
		if (!mn || !vb_html_is(m, "unit", unit))
			continue;
		for (size_t p = 0; p < np; p++) {
			const char *pn = platform_name(run, p);
			vb_html_mean_mark(vb_html_summary(run, pn, wn, mn), pn, wn, mn,
					  &marks[ng * np + p]);
		}
		groups[ng++] = mn;
	}
	_cleanup_free_ char *title = xasprintf("%s: metrics in %s", wn ? wn : "", unit);
	struct vb_chart c = { .run = run->id,
			      .title = title,
			      .unit = unit,
			      .groups = groups,
			      .ngroups = ng,
			      .series = series,
			      .nseries = np };
	figure(run, &c, marks, vb_svg_bars);
}

/* One chart per unit of w's metrics (ops_chart), side by side. */
static void unit_charts(const struct vb_html_run *run, const json_t *w,
			struct vb_chart_series *series)
{
	const json_t *m, *metrics = json_object_get(w, "metrics");
	size_t k;
	fputs("<div class=\"charts\">\n", run->f);
	json_array_foreach(metrics, k, m)
	{
		const char *unit = vb_html_str(m, "unit");
		bool seen = false;
		for (size_t j = 0; j < k && unit; j++)
			seen |= vb_html_is(json_array_get(metrics, j), "unit", unit);
		if (unit && !seen)
			ops_chart(run, w, unit, series);
	}
	fputs("</div>\n", run->f);
}

/* Experiment "ops": lifecycle times and memory per platform. */
void vb_html_view_ops(const struct vb_html_run *run)
{
	size_t np = json_array_size(run->platforms), i;
	const json_t *w;
	if (strcmp(run->experiment, "ops") || np == 0)
		return;
	_cleanup_free_ struct vb_chart_series *series = xcalloc(np, sizeof(*series));
	for (size_t p = 0; p < np; p++)
		series[p] = (struct vb_chart_series){ run->labels[p], (unsigned)p };
	fputs("<h3>Operations per platform (experiment ops)</h3>\n<p "
	      "class=\"small\">Mean ± half-width of the 95% confidence interval per platform "
	      "and operation.</p>\n",
	      run->f);
	json_array_foreach(run->workloads, i, w)
	{
		fputs("<h4>", run->f);
		vb_html_escape(run->f, vb_html_str(w, "name"));
		fputs("</h4>\n", run->f);
		ops_table(run, w);
		unit_charts(run, w, series);
	}
}

/*
 * The middleware (§4.8) as the study showed it, per component and
 * operation: each component's rates, then its times, a bar per platform.
 */
void vb_html_view_middleware(const struct vb_html_run *run)
{
	static const struct {
		const char *workload, *component, *figures;
	} order[] = {
		{ "mw.docstore", "document store (PostgreSQL JSONB; the study's MongoDB)",
		  "figures 4.19-4.21" },
		{ "mw.broker", "message broker (RabbitMQ)", "figures 4.22-4.23" },
		{ "mw.triplestore", "triplestore (Virtuoso; the study's Jena TDB)",
		  "figures 4.24-4.25" },
		{ "mw.worker", "observation worker", "figure 4.26" },
	};
	size_t np = json_array_size(run->platforms), i;
	const json_t *w;
	bool any = false;
	json_array_foreach(run->workloads, i, w) any |= vb_html_is(w, "group", "middleware");
	if (!any || np == 0)
		return;
	_cleanup_free_ struct vb_chart_series *series = xcalloc(np, sizeof(*series));
	for (size_t p = 0; p < np; p++)
		series[p] = (struct vb_chart_series){ run->labels[p], (unsigned)p };
	fputs("<h3>The middleware (the study's figures 4.19-4.26)</h3>\n<p class=\"small\">Per "
	      "component and operation, as the study showed them: mean ± half-width of the 95% "
	      "confidence interval per platform (docs/middleware.md).</p>\n",
	      run->f);
	for (size_t o = 0; o < VB_ARRAY_SIZE(order); o++)
		json_array_foreach(run->workloads, i, w)
		{
			if (!vb_html_is(w, "name", order[o].workload))
				continue;
			fprintf(run->f, "<h4>%s: the %s (%s)</h4>\n", order[o].workload,
				order[o].component, order[o].figures);
			unit_charts(run, w, series);
		}
}

static bool higher_is_better(const struct vb_html_run *run, const char *workload,
			     const char *metric)
{
	size_t i, k;
	const json_t *w, *m;
	json_array_foreach(run->workloads, i, w)
	{
		if (!vb_html_is(w, "name", workload))
			continue;
		const json_t *metrics = json_object_get(w, "metrics");
		json_array_foreach(metrics, k, m)
		{
			if (vb_html_is(m, "name", metric))
				return json_is_true(json_object_get(m, "higher_is_better"));
		}
	}
	return false;
}

/*
 * The victim's slowdown in percent, positive when it got worse: time up
 * (ratio − 1) or rate down (1/ratio − 1), as `virtbench show` prints it.
 */
static void slowdown_mark(const struct vb_html_run *run, const char *platform, const char *workload,
			  const char *metric, struct vb_mark *m)
{
	vb_html_ratio_mark(vb_html_summary(run, platform, workload, metric), platform, workload,
			   metric, m);
	m->kind = "slowdown";
	if (higher_is_better(run, workload, metric)) {
		double lo = m->low, hi = m->high;
		m->value = (1 / m->value - 1) * 100;
		m->low = (1 / hi - 1) * 100;
		m->high = (1 / lo - 1) * 100;
	} else {
		m->value = (m->value - 1) * 100;
		m->low = (m->low - 1) * 100;
		m->high = (m->high - 1) * 100;
	}
}

/* The victims' "<workload> · <metric>" pairs of a run, in order; caller frees each. */
static size_t workload_metrics(const struct vb_html_run *run, char ***labels, const char ***w,
			       const char ***m)
{
	size_t n = 0, i, k;
	const json_t *wl, *me;
	json_array_foreach(run->workloads, i, wl) n +=
	    json_array_size(json_object_get(wl, "metrics"));
	*labels = xcalloc(n + 1, sizeof(**labels));
	*w = xcalloc(n + 1, sizeof(**w));
	*m = xcalloc(n + 1, sizeof(**m));
	n = 0;
	json_array_foreach(run->workloads, i, wl)
	{
		json_array_foreach(json_object_get(wl, "metrics"), k, me)
		{
			const char *wn = vb_html_str(wl, "name"), *mn = vb_html_str(me, "name");
			/* The aggressors have no :alone row: their work is in the table above. */
			if (!wn || !mn || vb_html_is(wl, "group", "aggressor"))
				continue;
			(*w)[n] = wn;
			(*m)[n] = mn;
			(*labels)[n++] = xasprintf("%s · %s", wn, mn);
		}
	}
	return n;
}

/* The condition rows ("<prefix>:<condition>", not ":alone") of one platform prefix. */
static size_t conditions(const struct vb_html_run *run, const char *prefix, size_t *idx)
{
	size_t n = 0, len = strlen(prefix);
	for (size_t p = 0; p < json_array_size(run->platforms); p++) {
		const char *pn = platform_name(run, p);
		if (!strncmp(pn, prefix, len) && pn[len] == ':' && !vb_html_is_baseline(run, pn))
			idx[n++] = p;
	}
	return n;
}

struct pairs {
	char **labels;
	const char **w, **m;
	size_t n;
};

static void isolation_chart(const struct vb_html_run *run, const char *prefix,
			    const struct pairs *pr)
{
	size_t np = json_array_size(run->platforms);
	_cleanup_free_ size_t *idx = xcalloc(np + 1, sizeof(*idx));
	size_t nc = conditions(run, prefix, idx);
	if (!nc || !pr->n)
		return;
	_cleanup_free_ struct vb_chart_series *series = xcalloc(nc, sizeof(*series));
	_cleanup_free_ struct vb_mark *marks = xcalloc(pr->n * nc, sizeof(*marks));
	for (size_t c = 0; c < nc; c++)
		series[c] = (struct vb_chart_series){ run->labels[idx[c]], (unsigned)idx[c] };
	for (size_t g = 0; g < pr->n; g++)
		for (size_t c = 0; c < nc; c++)
			slowdown_mark(run, platform_name(run, idx[c]), pr->w[g], pr->m[g],
				      &marks[g * nc + c]);
	_cleanup_free_ char *title = xasprintf("%s: slowdown against %s:alone", prefix, prefix);
	struct vb_chart c = { .run = run->id,
			      .title = title,
			      .unit = "slowdown %",
			      .groups = (const char *const *)pr->labels,
			      .ngroups = pr->n,
			      .series = series,
			      .nseries = nc,
			      .ref = true };
	figure(run, &c, marks, vb_svg_bars);
}

static void isolation_table(const struct vb_html_run *run, const struct pairs *pr)
{
	FILE *f = run->f;
	size_t np = json_array_size(run->platforms);
	fputs("<table class=\"isolation\"><tr><th>workload</th><th>metric</th>", f);
	for (size_t p = 0; p < np; p++) {
		if (vb_html_is_baseline(run, platform_name(run, p)))
			continue;
		fputs("<th>", f);
		vb_html_escape(f, run->labels[p]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t g = 0; g < pr->n; g++) {
		fputs("<tr><td>", f);
		vb_html_escape(f, pr->w[g]);
		fputs("</td><td>", f);
		vb_html_escape(f, pr->m[g]);
		fputs("</td>", f);
		for (size_t p = 0; p < np; p++) {
			struct vb_mark m;
			if (vb_html_is_baseline(run, platform_name(run, p)))
				continue;
			slowdown_mark(run, platform_name(run, p), pr->w[g], pr->m[g], &m);
			vb_html_cell(f, run->id, &m, VB_HTML_PERCENT);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* Experiment "isolation": rows "<platform>:<condition>" against "<platform>:alone". */
void vb_html_view_isolation(const struct vb_html_run *run)
{
	size_t np = json_array_size(run->platforms), nprefix = 0;
	if (strcmp(run->experiment, "isolation") || np == 0)
		return;
	struct pairs pr;
	pr.n = workload_metrics(run, &pr.labels, &pr.w, &pr.m);
	_cleanup_free_ char **prefixes = xcalloc(np, sizeof(*prefixes));
	for (size_t p = 0; p < np; p++) {
		const char *pn = platform_name(run, p), *colon = strrchr(pn, ':');
		_cleanup_free_ char *prefix = colon ? xstrndup(pn, (size_t)(colon - pn)) : NULL;
		if (prefix && !in_list((const char *const *)prefixes, nprefix, prefix))
			prefixes[nprefix++] = steal_ptr(&prefix);
	}
	fputs("<h3>Isolation: slowdown under interference</h3>\n<p class=\"small\">Slowdown % "
	      "against the same platform alone, positive when the victim got worse: "
	      "(ratio − 1) × 100 for a time, (1/ratio − 1) × 100 for a rate, with the 95% "
	      "interval of the ratio (Welch t on log samples).</p>\n<div class=\"charts\">\n",
	      run->f);
	for (size_t i = 0; i < nprefix; i++)
		isolation_chart(run, prefixes[i], &pr);
	fputs("</div>\n", run->f);
	isolation_table(run, &pr);
	for (size_t i = 0; i < nprefix; i++)
		free(prefixes[i]);
	for (size_t g = 0; g < pr.n; g++)
		free(pr.labels[g]);
	free(pr.labels);
	free(pr.w);
	free(pr.m);
}

static const json_t *feature_entry(const json_t *features, const char *platform,
				   const char *feature)
{
	size_t i;
	const json_t *e;
	json_array_foreach(features, i, e) if (vb_html_is(e, "platform", platform) &&
					       vb_html_is(e, "feature", feature)) return e;
	return NULL;
}

/* A JSON value as a data-value: strings as they are, other scalars as JSON spells them. */
static void value_attr(FILE *f, const json_t *v)
{
	if (json_is_string(v)) {
		vb_html_escape(f, json_string_value(v));
	} else if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		vb_html_number(f, json_real_value(v));
	} else if (json_is_object(v) || json_is_array(v)) {
		_cleanup_free_ char *text = vb_json_line(v);
		vb_html_escape(f, text);
	} else {
		fputs(json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null", f);
	}
}

static void feature_cell(const struct vb_html_run *run, const json_t *e, const char *platform,
			 const char *feature)
{
	FILE *f = run->f;
	const json_t *v = json_object_get(e, "value");
	if (!e) {
		fputs("<td>–</td>", f);
		return;
	}
	fprintf(f, "<td data-run=\"%lld\" data-platform=\"", run->id);
	vb_html_escape(f, platform);
	fputs("\" data-feature=\"", f);
	vb_html_escape(f, feature);
	fputs("\" data-kind=\"feature\" data-value=\"", f);
	value_attr(f, v);
	fputs("\" title=\"", f);
	vb_html_escape(f, vb_html_str(e, "detail"));
	fputs("\">", f);
	vb_html_json_text(f, v);
	if (vb_html_str(e, "how")) {
		fputs("<div class=\"how\">", f);
		vb_html_escape(f, vb_html_str(e, "how"));
		fputs("</div>", f);
	}
	fputs("</td>", f);
}

/* The document's "features" array, when present: feature rows × platform columns. */
void vb_html_view_features(const struct vb_html_run *run)
{
	const json_t *features = json_object_get(run->doc, "features"), *e;
	size_t n = json_array_size(features), nf = 0, np = 0, i;
	if (!n)
		return;
	_cleanup_free_ const char **fnames = xcalloc(n, sizeof(*fnames));
	_cleanup_free_ const char **pnames =
	    xcalloc(n + json_array_size(run->platforms), sizeof(*pnames));
	for (size_t p = 0; p < json_array_size(run->platforms); p++)
		pnames[np++] = platform_name(run, p);
	json_array_foreach(features, i, e)
	{
		const char *fn = vb_html_str(e, "feature"), *pn = vb_html_str(e, "platform");
		if (fn && !in_list(fnames, nf, fn))
			fnames[nf++] = fn;
		if (pn && !in_list(pnames, np, pn))
			pnames[np++] = pn;
	}
	FILE *f = run->f;
	fputs("<h3>Features</h3>\n<p class=\"small\">What each platform offers, and how it was "
	      "found out (the cell's tooltip has the detail).</p>\n<table "
	      "class=\"features\"><tr><th>feature</th>",
	      f);
	for (size_t p = 0; p < np; p++) {
		fputs("<th>", f);
		vb_html_escape(f, vb_html_label(run, pnames[p]));
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t k = 0; k < nf; k++) {
		fputs("<tr><th>", f);
		vb_html_escape(f, fnames[k]);
		fputs("</th>", f);
		for (size_t p = 0; p < np; p++)
			feature_cell(run, feature_entry(features, pnames[p], fnames[k]), pnames[p],
				     fnames[k]);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}
