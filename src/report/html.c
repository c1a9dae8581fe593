/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "core/json.h"
#include "core/util.h"
#include "report/doc.h"
#include "report/html-views.h"
#include "report/markup.h"
#include "report/svg.h"
#include "report/report.h"
#include "virtbench/stats.h"

/* Polyglot markup: valid HTML that also parses as XML, so tests can check its structure. */
static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1b1b;"
    "background:#fff;margin:0 auto;max-width:1240px;padding:12px 24px}"
    "h1{font-size:22px;margin:8px 0}"
    "h2{font-size:19px;border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:28px}"
    "h3{font-size:16px;margin:22px 0 6px}h4{font-size:14px;margin:14px 0 4px}"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0}"
    "th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f4f6;font-weight:600}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "table.meta th{width:10em}.top{display:flex;flex-wrap:wrap;gap:0 28px}"
    ".top>div{flex:1 1 480px;min-width:0}.top h3{margin-top:10px}"
    ".banner{background:#fdecea;border:1px solid #e3a29b;color:#8a1c12;padding:8px 12px;"
    "font-weight:600;margin:8px 0}"
    ".status-complete{color:#116329;font-weight:600}"
    ".status-incomplete,.status-running,.status-failed{color:#a4160b;font-weight:600}"
    ".verdict-slower{color:#a4160b}.verdict-faster{color:#116329}"
    ".verdict-inconclusive{color:#57606a}"
    ".emulated{font-style:italic}.small,.how{color:#57606a;font-size:12px}"
    "code,pre{font:12px ui-monospace,'DejaVu Sans Mono',monospace}"
    "td "
    "code{word-break:break-word}code.digest{white-space:nowrap}pre{background:#f6f8fa;padding:8px;"
    "white-space:pre-wrap;word-break:break-all}"
    ".charts{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}"
    "figure{margin:0;max-width:100%}svg.chart{border:1px solid #e5e7eb;background:#fff;"
    "max-width:100%;height:auto}"
    "svg.chart text{font:11px sans-serif;fill:#24292f}"
    "svg.chart .title{font-size:12px;font-weight:600}"
    "svg.chart .val{font-size:10px;fill:#444}svg.chart .missing{font-size:14px}"
    "svg.chart .grid{stroke:#eaeef2}svg.chart .axis-line{stroke:#6e7781}"
    "svg.chart .err{stroke:#1b1b1b;stroke-width:1.2;fill:none}"
    "svg.chart .ref{stroke:#cf222e;stroke-dasharray:5 3}"
    "svg.chart .line{fill:none;stroke-width:2}"
    ".study-agrees{color:#116329;font-weight:600}.study-differs{color:#a4160b;font-weight:600}"
    ".study-partly{color:#9a6700;font-weight:600}.study-inconclusive,.study-not-measured,"
    ".study-not-mapped{color:#57606a}p.answer{font-size:16px;font-weight:600}"
    "svg.chart .band{fill:#ddf4ff}svg.chart text.verdict-slower{fill:#a4160b}"
    "svg.chart text.verdict-faster{fill:#116329}svg.chart text.verdict-equivalent{fill:#0550ae}"
    "svg.chart text.verdict-inconclusive,svg.chart text.verdict-none{fill:#57606a}"
    "footer{margin-top:36px;border-top:1px solid #d0d7de;padding-top:8px;color:#57606a;"
    "font-size:12px}";

/* A heading row cell with text; NULL gives "–". */
static void td_text(FILE *f, const char *s)
{
	fputs("<td>", f);
	if (s)
		vb_html_escape(f, s);
	else
		fputs("–", f);
	fputs("</td>", f);
}

static void meta_row(FILE *f, const char *key, const json_t *v)
{
	fprintf(f, "<tr><th>%s</th><td>", key);
	vb_html_json_text(f, v);
	fputs("</td></tr>\n", f);
}

static const char *status_note(const char *status)
{
	if (!status)
		return "status unknown: the numbers may be partial";
	if (!strcmp(status, "complete"))
		return NULL;
	if (!strcmp(status, "incomplete"))
		return "incomplete run: it was interrupted or aborted; the numbers cover only "
		       "the samples measured before it stopped";
	if (!strcmp(status, "running"))
		return "run still in progress (or its process died and no virtbench has started "
		       "since): the numbers are partial";
	return "failed run: the numbers may be partial or missing";
}

static void run_title(const struct vb_html_run *run)
{
	FILE *f = run->f;
	const json_t *info = json_object_get(run->doc, "run");
	const char *status = vb_html_str(info, "status");
	const char *note = status_note(status);
	fprintf(f, "<h2>Run %lld <code>", run->id);
	vb_html_escape(f, vb_html_str(info, "tag"));
	fputs("</code>", f);
	if (note) {
		fputs(" <span class=\"status-incomplete\">(", f);
		vb_html_escape(f, status ? status : "unknown");
		fputs(")</span>", f);
	}
	fputs("</h2>\n", f);
	if (note)
		fprintf(f, "<p class=\"banner\" data-status=\"%s\">%s</p>\n",
			status && vb_is_token(status, 16) ? status : "unknown", note);
}

static void run_meta(const struct vb_html_run *run)
{
	FILE *f = run->f;
	const json_t *info = json_object_get(run->doc, "run");
	const char *status = vb_html_str(info, "status");
	fputs("<h3>Run</h3>\n", f);
	fputs("<table class=\"meta\">\n", f);
	meta_row(f, "run", json_object_get(info, "id"));
	meta_row(f, "tag", json_object_get(info, "tag"));
	meta_row(f, "experiment", json_object_get(info, "experiment"));
	fprintf(f, "<tr><th>status</th><td class=\"status-%s\">",
		status && vb_is_token(status, 16) ? status : "unknown");
	vb_html_json_text(f, json_object_get(info, "status"));
	fputs("</td></tr>\n", f);
	meta_row(f, "profile", json_object_get(info, "profile"));
	meta_row(f, "started (UTC)", json_object_get(info, "started_at"));
	meta_row(f, "ended (UTC)", json_object_get(info, "ended_at"));
	meta_row(f, "exit code", json_object_get(info, "exit_code"));
	meta_row(f, "virtbench", json_object_get(info, "version"));
	fputs("<tr><th>command</th><td><code class=\"command\">", f);
	vb_html_escape(f, vb_html_str(info, "command"));
	fputs("</code></td></tr>\n</table>\n", f);
}

static const json_t *get2(const json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

static void host_memory(FILE *f, const json_t *host)
{
	double bytes = vb_html_num(json_object_get(host, "memory"), "total_bytes");
	fputs("<tr><th>memory</th><td>", f);
	if (isfinite(bytes))
		fprintf(f, "%.1f GiB (%.0f bytes)", bytes / (1024.0 * 1024 * 1024), bytes);
	else
		fputs("–", f);
	fputs("</td></tr>\n", f);
}

static void host_section(const struct vb_html_run *run)
{
	static const char *const virt[] = { "kvm_device", "kvm_pvm", "qemu", "lxc",
					    "xl",	  "crun",    "runc" };
	FILE *f = run->f;
	const json_t *host = json_object_get(run->doc, "host");
	fputs("<h3>Host</h3>\n<table class=\"meta host\">\n", f);
	meta_row(f, "hostname", json_object_get(host, "hostname"));
	meta_row(f, "CPU model", get2(host, "cpu", "model"));
	meta_row(f, "cores online", get2(host, "cpu", "online"));
	meta_row(f, "cores configured", get2(host, "cpu", "configured"));
	meta_row(f, "CPU governor", get2(host, "cpu", "governor"));
	host_memory(f, host);
	meta_row(f, "NUMA nodes", json_object_get(host, "numa_nodes"));
	meta_row(f, "kernel", get2(host, "kernel", "release"));
	meta_row(f, "kernel build", get2(host, "kernel", "version"));
	meta_row(f, "cgroup", get2(host, "cgroup", "version"));
	for (size_t i = 0; i < VB_ARRAY_SIZE(virt); i++)
		meta_row(f, virt[i], get2(host, "virtualization", virt[i]));
	fputs("</table>\n<details><summary>The whole host fingerprint (JSON)</summary><pre>", f);
	if (host) {
		_cleanup_free_ char *text = json_dumps(host, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
								 JSON_REAL_PRECISION(17));
		vb_html_escape(f, text);
	}
	fputs("</pre></details>\n", f);
}

/* The agent's digest, shortened; the whole in the tooltip. */
static void agent_cell(FILE *f, const char *sha)
{
	if (!sha) {
		fputs("<td>–</td>", f);
		return;
	}
	fputs("<td title=\"", f);
	vb_html_escape(f, sha);
	fputs("\"><code class=\"digest\">", f);
	_cleanup_free_ char *head = xstrndup(sha, 12);
	vb_html_escape(f, head);
	fputs(strlen(sha) > 12 ? "…</code></td>" : "</code></td>", f);
}

static void platforms_section(const struct vb_html_run *run)
{
	FILE *f = run->f;
	size_t i;
	const json_t *p;
	fputs("<h3>Platforms</h3>\n<table class=\"platforms\"><tr><th>platform</th>"
	      "<th>guest spec</th><th>agent SHA-256</th></tr>\n",
	      f);
	json_array_foreach(run->platforms, i, p)
	{
		fputs("<tr>", f);
		td_text(f, run->labels[i]);
		fputs("<td><code>", f);
		vb_html_json_text(f, json_object_get(p, "spec"));
		fputs("</code></td>", f);
		agent_cell(f, vb_html_str(p, "agent_sha256"));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void verdict_cell(const struct vb_html_run *run, const char *platform, const json_t *sum)
{
	const char *v = vb_html_str(sum, "verdict");
	FILE *f = run->f;
	if (vb_html_is_baseline(run, platform)) {
		fputs("<td></td>", f);
	} else if (!v || !strcmp(v, "none")) {
		fputs("<td>–</td>", f);
	} else {
		fprintf(f, "<td class=\"verdict-%s\">", vb_is_token(v, 32) ? v : "other");
		vb_html_escape(f, v);
		/* The resolution the interval reached, whatever the verdict. */
		struct vb_ratio r = { vb_html_num(sum, "ratio"), vb_html_num(sum, "ratio_low"),
				      vb_html_num(sum, "ratio_high") };
		double half = vb_stats_ratio_halfwidth(&r);
		if (isfinite(half))
			fprintf(f, " <span class=\"small\">±%.1f%%</span>", 100 * half);
		fputs("</td>", f);
	}
}

static void overhead_row(const struct vb_html_run *run, const char *workload, const json_t *metric,
			 size_t p)
{
	FILE *f = run->f;
	const char *name = vb_html_str(metric, "name");
	const char *platform = vb_html_str(json_array_get(run->platforms, p), "name");
	const json_t *sum = vb_html_summary(run, platform, workload, name);
	struct vb_mark m;
	fputs("<td", f);
	if (strcmp(run->labels[p], platform ? platform : ""))
		fputs(" class=\"emulated\"", f);
	fputc('>', f);
	vb_html_escape(f, run->labels[p]);
	fputs("</td>", f);
	vb_html_mean_mark(sum, platform, workload, name, &m);
	vb_html_cell(f, run->id, &m, VB_HTML_PM);
	m.kind = "n";
	m.value = vb_html_num(sum, "n");
	m.low = m.high = NAN;
	vb_html_cell(f, run->id, &m, VB_HTML_PLAIN);
	vb_html_ratio_mark(sum, platform, workload, name, &m);
	if (vb_html_is_baseline(run, platform) && !isfinite(m.value)) {
		fputs("<td class=\"num\"", f);
		vb_html_mark_attrs(f, run->id, &m);
		fputs(">baseline</td>", f);
	} else {
		vb_html_cell(f, run->id, &m, VB_HTML_BRACKET);
	}
	verdict_cell(run, platform, sum);
}

static void overhead_metric(const struct vb_html_run *run, const json_t *w, const json_t *metric,
			    bool first)
{
	FILE *f = run->f;
	size_t np = json_array_size(run->platforms);
	size_t rows = np * json_array_size(json_object_get(w, "metrics"));
	for (size_t p = 0; p < np; p++) {
		fputs("<tr>", f);
		if (first && p == 0) {
			fprintf(f, "<td rowspan=\"%zu\">", rows);
			vb_html_escape(f, vb_html_str(w, "name"));
			fputs("</td>", f);
		}
		if (p == 0) {
			fprintf(f, "<td rowspan=\"%zu\">", np);
			vb_html_escape(f, vb_html_str(metric, "name"));
			fprintf(f, " <span class=\"small\">%s</span></td><td rowspan=\"%zu\">",
				json_is_true(json_object_get(metric, "higher_is_better"))
				    ? "higher is better"
				    : "lower is better",
				np);
			vb_html_escape(f, vb_html_str(metric, "unit"));
			fputs("</td>", f);
		}
		overhead_row(run, vb_html_str(w, "name"), metric, p);
		fputs("</tr>\n", f);
	}
}

static void overhead_table(const struct vb_html_run *run)
{
	FILE *f = run->f;
	size_t i, k;
	const json_t *w, *m;
	fputs("<h3>Overhead</h3>\n<p class=\"small\">Mean ± half-width of its 95% confidence "
	      "interval (Student t; the interval is in each cell's tooltip); the ratio to ",
	      f);
	vb_html_escape(f, !strcmp(run->experiment, "isolation") ? "each platform's :alone row"
			  : run->baseline			? run->baseline
								: "the baseline");
	fputs(" (of geometric means) with its 95% interval (Welch t on log samples) and its "
	      "half-width; the verdict: faster or slower when the interval excludes 1, "
	      "equivalent when it lies within the run's equivalence margin, else "
	      "inconclusive.</p>\n<table class=\"overhead\"><tr><th>workload</th><th>metric</th>"
	      "<th>unit</th><th>platform</th><th>mean ± 95% CI</th><th>n</th>"
	      "<th>ratio [95% CI]</th><th>verdict</th></tr>\n",
	      f);
	json_array_foreach(run->workloads, i, w)
	    json_array_foreach(json_object_get(w, "metrics"), k, m)
		overhead_metric(run, w, m, k == 0);
	fputs("</table>\n", f);
}

/*
 * The report's first figure: every metric's ratio to the baseline on every
 * other platform, as a forest plot; nothing when no ratio was taken.
 */
static void overview(const struct vb_html_run *run)
{
	size_t np = json_array_size(run->platforms), i, k, n = 0, cap = 16;
	const json_t *w, *m;
	_cleanup_free_ struct vb_forest_row *rows = xcalloc(cap, sizeof(*rows));
	_cleanup_free_ struct vb_chart_series *series = xcalloc(np + 1, sizeof(*series));
	_cleanup_free_ size_t *index = xcalloc(np + 1, sizeof(*index)); /* platform -> series */
	char **groups = NULL;
	size_t ngroups = 0, nseries = 0;
	bool any = false;
	for (size_t p = 0; p < np; p++) {
		const char *platform = vb_html_str(json_array_get(run->platforms, p), "name");
		if (!platform || vb_html_is_baseline(run, platform))
			continue;
		index[p] = nseries;
		series[nseries++] = (struct vb_chart_series){ run->labels[p], (unsigned)p };
	}
	json_array_foreach(run->workloads, i, w)
	    json_array_foreach(json_object_get(w, "metrics"), k, m)
	{
		const char *wname = vb_html_str(w, "name"), *mname = vb_html_str(m, "name");
		char *group =
		    xasprintf("%s: %s %s", wname ? wname : "", mname ? mname : "",
			      json_is_true(json_object_get(m, "higher_is_better")) ? "↑" : "↓");
		groups = xrealloc(groups, (ngroups + 1) * sizeof(*groups));
		groups[ngroups++] = group;
		for (size_t p = 0; p < np; p++) {
			const char *platform =
			    vb_html_str(json_array_get(run->platforms, p), "name");
			if (!platform || vb_html_is_baseline(run, platform))
				continue;
			const json_t *sum = vb_html_summary(run, platform, wname, mname);
			if (n == cap)
				rows = xrealloc(rows, (cap *= 2) * sizeof(*rows));
			struct vb_forest_row *r = &rows[n++];
			*r = (struct vb_forest_row){ .group = group,
						     .series = index[p],
						     .verdict = vb_html_str(sum, "verdict"),
						     .emulated =
							 strcmp(run->labels[p], platform) != 0 };
			vb_html_ratio_mark(sum, platform, wname, mname, &r->m);
			any |= isfinite(r->m.value);
		}
	}
	const char *base = !strcmp(run->experiment, "isolation") ? ":alone"
			   : run->baseline			 ? run->baseline
								 : "the baseline";
	if (any) {
		const json_t *config = json_object_get(json_object_get(run->doc, "run"), "config");
		double eq = vb_html_num(config, "equivalence");
		_cleanup_free_ char *title =
		    xasprintf("Overview: every metric's ratio to %s", base);
		_cleanup_free_ char *axis = xasprintf("ratio to %s (log scale)", base);
		struct vb_forest fo = { .run = run->id,
					.title = title,
					.axis = axis,
					.equivalence = isfinite(eq) ? eq : 0,
					.series = series,
					.nseries = nseries,
					.rows = rows,
					.nrows = n };
		FILE *f = run->f;
		fputs("<h3>Overview</h3>\n<p class=\"small\">Each platform's ratio to ", f);
		vb_html_escape(f, base);
		fputs(" with its 95% interval, on a log axis (a ratio of 0.5 and one of 2 are "
		      "as far from 1); ↑: higher is better, ↓: lower is better; shaded: the "
		      "equivalence margin; hollow: an emulated platform (its figures are "
		      "emulation's, not a hypervisor's). The verdict is the table's "
		      "below.</p>\n<figure class=\"overview\">",
		      f);
		vb_svg_forest(f, &fo);
		fputs("</figure>\n", f);
	}
	for (size_t g = 0; g < ngroups; g++)
		free(groups[g]);
	free(groups);
}

static void mean_chart(const struct vb_html_run *run, const char *workload, const json_t *metric,
		       struct vb_chart_series *series)
{
	size_t np = json_array_size(run->platforms);
	const char *name = vb_html_str(metric, "name");
	_cleanup_free_ struct vb_mark *marks = xcalloc(np + 1, sizeof(*marks));
	_cleanup_free_ char *title = xasprintf(
	    "%s: %s (%s)", workload, name,
	    json_is_true(json_object_get(metric, "higher_is_better")) ? "higher is better"
								      : "lower is better");
	static const char *const groups[] = { "" };
	for (size_t p = 0; p < np; p++) {
		const char *platform = vb_html_str(json_array_get(run->platforms, p), "name");
		vb_html_mean_mark(vb_html_summary(run, platform, workload, name), platform,
				  workload, name, &marks[p]);
		series[p] = (struct vb_chart_series){ run->labels[p], (unsigned)p };
	}
	struct vb_chart c = { .run = run->id,
			      .title = title,
			      .unit = vb_html_unit(run, workload, name),
			      .groups = groups,
			      .ngroups = 1,
			      .series = series,
			      .nseries = np };
	fputs("<figure>", run->f);
	vb_svg_bars(run->f, &c, marks);
	fputs("</figure>\n", run->f);
}

/* The ratios of the platforms that are not the baseline; nothing when there are none. */
static void ratio_chart(const struct vb_html_run *run, const char *workload, const json_t *metric,
			struct vb_chart_series *series)
{
	size_t np = json_array_size(run->platforms), n = 0;
	const char *name = vb_html_str(metric, "name");
	_cleanup_free_ struct vb_mark *marks = xcalloc(np + 1, sizeof(*marks));
	static const char *const groups[] = { "" };
	for (size_t p = 0; p < np; p++) {
		const char *platform = vb_html_str(json_array_get(run->platforms, p), "name");
		if (!platform || vb_html_is_baseline(run, platform))
			continue;
		vb_html_ratio_mark(vb_html_summary(run, platform, workload, name), platform,
				   workload, name, &marks[n]);
		series[n++] = (struct vb_chart_series){ run->labels[p], (unsigned)p };
	}
	bool any = false;
	for (size_t k = 0; k < n; k++)
		any |= isfinite(marks[k].value);
	if (!any)
		return;
	_cleanup_free_ char *title = xasprintf("%s: %s, ratio to %s", workload, name,
					       !strcmp(run->experiment, "isolation") ? ":alone"
					       : run->baseline			     ? run->baseline
										     : "baseline");
	struct vb_chart c = { .run = run->id,
			      .title = title,
			      .unit = "ratio",
			      .groups = groups,
			      .ngroups = 1,
			      .series = series,
			      .nseries = n,
			      .base = 1,
			      .ref = true };
	fputs("<figure>", run->f);
	vb_svg_bars(run->f, &c, marks);
	fputs("</figure>\n", run->f);
}

static void charts_section(const struct vb_html_run *run)
{
	FILE *f = run->f;
	size_t i, k;
	const json_t *w, *m;
	_cleanup_free_ struct vb_chart_series *series =
	    xcalloc(json_array_size(run->platforms) + 1, sizeof(*series));
	fputs("<h3>Charts</h3>\n<p class=\"small\">Per workload and metric: each platform's mean "
	      "with its 95% confidence interval, and the ratio to the baseline with its 95% "
	      "interval (dashed line: 1.0, no difference). Hover a bar for its "
	      "numbers.</p>\n",
	      f);
	json_array_foreach(run->workloads, i, w)
	{
		const char *name = vb_html_str(w, "name");
		fputs("<h4>", f);
		vb_html_escape(f, name);
		fputs("</h4>\n<div class=\"charts\">\n", f);
		json_array_foreach(json_object_get(w, "metrics"), k, m)
		{
			mean_chart(run, name ? name : "", m, series);
			ratio_chart(run, name ? name : "", m, series);
		}
		fputs("</div>\n", f);
	}
}

static void failure_row(const struct vb_html_run *run, const json_t *s)
{
	FILE *f = run->f;
	fputs("<tr><td class=\"num\">", f);
	vb_html_json_text(f, json_object_get(s, "seq"));
	fputs("</td><td>", f);
	vb_html_escape(f, vb_html_label(run, vb_html_str(s, "platform")));
	fputs("</td><td>", f);
	vb_html_json_text(f, json_object_get(s, "workload"));
	fputs(vb_html_num(s, "warmup") == 1 || json_is_true(json_object_get(s, "warmup"))
		  ? "</td><td>yes"
		  : "</td><td>no",
	      f);
	fputs("</td><td><code>", f);
	vb_html_json_text(f, json_object_get(s, "error"));
	fputs("</code></td></tr>\n", f);
}

static void failures_section(const struct vb_html_run *run)
{
	enum { SHOWN = 100 };
	FILE *f = run->f;
	size_t i, n = 0;
	const json_t *s;
	json_array_foreach(json_object_get(run->doc, "samples"), i, s)
	{
		const json_t *ok = json_object_get(s, "ok");
		if (!(json_is_false(ok) || (json_is_integer(ok) && !json_integer_value(ok))))
			continue;
		if (n == 0)
			fputs("<h3>Failed samples</h3>\n<table class=\"failures\"><tr><th>seq</th>"
			      "<th>platform</th><th>workload</th><th>warm-up</th><th>error</th>"
			      "</tr>\n",
			      f);
		if (n++ < SHOWN)
			failure_row(run, s);
	}
	if (n)
		fputs("</table>\n", f);
	if (n > SHOWN)
		fprintf(f, "<p class=\"small\">… and %zu more (see the JSON export).</p>\n",
			n - SHOWN);
}

static void run_section(FILE *f, const json_t *doc)
{
	struct vb_html_run run;
	vb_html_run_init(&run, f, doc);
	fprintf(f, "<section class=\"run\" id=\"run-%lld\" data-run=\"%lld\">\n", run.id, run.id);
	run_title(&run);
	fputs("<div class=\"top\"><div>\n", f);
	run_meta(&run);
	platforms_section(&run);
	fputs("</div><div>\n", f);
	host_section(&run);
	fputs("</div></div>\n", f);
	overview(&run);
	vb_html_view_features(&run);
	overhead_table(&run);
	vb_html_view_stacked(&run);
	vb_html_view_sweeps(&run);
	vb_html_view_ops(&run);
	vb_html_view_middleware(&run);
	vb_html_view_isolation(&run);
	charts_section(&run);
	failures_section(&run);
	fputs("</section>\n", f);
	vb_html_run_release(&run);
}

static void head(FILE *f, json_t *const *docs, size_t ndocs)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
	      "<meta name=\"generator\" content=\"virtbench " VB_VERSION "\"/>"
	      "<title>virtbench report: run",
	      f);
	for (size_t i = 0; i < ndocs; i++) {
		const json_t *info = json_object_get(docs[i], "run");
		fprintf(f, "%s%lld",
			i	    ? ", "
			: ndocs > 1 ? "s "
				    : " ",
			(long long)json_integer_value(json_object_get(info, "id")));
	}
	fprintf(f, "</title><style>%s</style></head>\n<body>\n<h1>virtbench report</h1>\n", css);
	fputs("<nav><ul>\n", f);
	for (size_t i = 0; i < ndocs; i++) {
		const json_t *info = json_object_get(docs[i], "run");
		long long id = (long long)json_integer_value(json_object_get(info, "id"));
		fprintf(f, "<li><a href=\"#run-%lld\">run %lld</a> <code>", id, id);
		vb_html_escape(f, vb_html_str(info, "tag"));
		fputs("</code> ", f);
		vb_html_escape(f, vb_html_str(info, "experiment"));
		fputs(", ", f);
		vb_html_escape(f, vb_html_str(info, "status"));
		fputs(", started ", f);
		vb_html_escape(f, vb_html_str(info, "started_at"));
		fputs("</li>\n", f);
	}
	fputs("</ul></nav>\n", f);
}

static void footer(FILE *f, const char *command)
{
	fputs("<footer>Made by virtbench " VB_VERSION " with <code class=\"report-command\">", f);
	vb_html_escape(f, command);
	fputs("</code>. Every number is as stored in the results database (docs/report.md); "
	      "“–” marks a value that is missing.</footer>\n</body></html>\n",
	      f);
}

static int check_doc(const json_t *doc, size_t i, struct vb_error **err)
{
	const json_t *run = json_object_get(doc, "run");
	if (!vb_html_is(doc, "format", "virtbench-results") ||
	    json_integer_value(json_object_get(doc, "format_version")) != 1 ||
	    !json_is_integer(json_object_get(run, "id")))
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "report: document %zu is not a virtbench-results export of "
				     "format_version 1",
				     i + 1);
	return 0;
}

static int write_report(json_t *const *docs, size_t ndocs, const char *command, const char *path,
			bool study, struct vb_error **err)
{
	for (size_t i = 0; i < ndocs; i++) {
		int r = check_doc(docs[i], i, err);
		if (r)
			return r;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	head(f, docs, ndocs);
	if (study)
		vb_html_study(f, docs, ndocs);
	for (size_t i = 0; i < ndocs; i++)
		run_section(f, docs[i]);
	footer(f, command);
	fclose(f);
	int r = vb_write_file_atomic(path, buf, len);
	free(buf);
	if (r)
		return vb_error_exit(err, r, VB_EXIT_USAGE, "cannot write %s: %s", path,
				     strerror(-r));
	return 0;
}

int vb_report_html(json_t *const *docs, size_t ndocs, const char *command, const char *path,
		   struct vb_error **err)
{
	return write_report(docs, ndocs, command, path, false, err);
}

int vb_report_html_study(json_t *const *docs, size_t ndocs, const char *command, const char *path,
			 struct vb_error **err)
{
	return write_report(docs, ndocs, command, path, true, err);
}
