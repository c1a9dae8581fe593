/* SPDX-License-Identifier: MIT */
/* The study's findings beside virtbench's (docs/study.md). */
#include <math.h>

#include "core/json.h"
#include "core/text.h"
#include "core/util.h"
#include "report/doc.h"
#include "report/recommend.h"
#include "report/study.h"
#include "virtbench/workload.h"

#define FINDINGS_MAX 500
#define CELLS_MAX 32

static const char *const verdict_names[] = { "agrees",	     "differs",	     "partly",
					     "inconclusive", "not measured", "not mapped" };

const char *vb_study_verdict_name(enum vb_study_verdict v)
{
	return (unsigned)v <= VB_STUDY_UNMAPPED ? verdict_names[v] : "?";
}

/* ---- the document ---- */

static int bad(struct vb_error **err, const char *where, const char *what)
{
	return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "study findings: %s: %s", where, what);
}

/* A string member of at most max bytes, printable; NULL when missing (optional). */
static int text(const json_t *o, const char *key, size_t max, bool needed, const char *where,
		struct vb_error **err)
{
	const json_t *v = json_object_get(o, key);
	_cleanup_free_ char *at = xasprintf("%s.%s", where, key);
	if (!v)
		return needed ? bad(err, at, "missing") : 0;
	if (!json_is_string(v) || (needed && json_string_length(v) == 0) ||
	    json_string_length(v) > max)
		return bad(err, at,
			   needed ? "not a string of 1 to the allowed bytes"
				  : "not a string of at most the allowed bytes");
	for (const unsigned char *c = (const unsigned char *)json_string_value(v); *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return bad(err, at, "holds a control character");
	return 0;
}

static bool is_ops(const char *w)
{
	return !strcmp(w, "ops.lifecycle") || !strcmp(w, "ops.start_rate");
}

/* A workload and metric as virtbench names them (ops.* are the ops experiment's own). */
static int known_cell(const json_t *c, const char *where, struct vb_error **err)
{
	const char *w = vb_html_str(c, "workload"), *m = vb_html_str(c, "metric");
	if (!w || !m)
		return bad(err, where, "needs a workload and a metric");
	if (is_ops(w))
		return vb_is_token(m, 64) ? 0 : bad(err, where, "a metric that is not a name");
	const struct vb_workload_ops *ops = vb_workload_find(w);
	if (!ops)
		return bad(err, where, "a workload virtbench does not have");
	for (size_t i = 0; ops->metrics[i].name; i++)
		if (!strcmp(ops->metrics[i].name, m))
			return 0;
	return bad(err, where, "a metric the workload does not have");
}

static bool one_of(const char *s, const char *const *set)
{
	for (size_t i = 0; s && set[i]; i++)
		if (!strcmp(s, set[i]))
			return true;
	return false;
}

static const char *const platforms[] = { "host", "container", "kvm", "xen", NULL };

static int check_cell(const json_t *c, const char *where, struct vb_error **err)
{
	static const char *const claims[] = { "faster",	       "slower",	"same",
					      "less-slowdown", "more-slowdown", NULL };
	if (!json_is_object(c))
		return bad(err, where, "not an object");
	if (!one_of(vb_html_str(c, "platform"), platforms))
		return bad(err, where, "platform is not host, container, kvm or xen");
	const json_t *than = json_object_get(c, "than");
	if (than && !one_of(json_string_value(than), platforms))
		return bad(err, where, "than is not host, container, kvm or xen");
	if (!one_of(vb_html_str(c, "claim"), claims))
		return bad(err, where, "claim is not faster, slower, same, less- or more-slowdown");
	const json_t *iso = json_object_get(c, "isolation");
	if (iso && !json_is_boolean(iso))
		return bad(err, where, "isolation is not true or false");
	return known_cell(c, where, err);
}

static int check_value(const json_t *v, const char *where, struct vb_error **err)
{
	double x = vb_html_num(v, "value");
	if (!json_is_object(v) || !one_of(vb_html_str(v, "platform"), platforms) || !isfinite(x))
		return bad(err, where, "needs a platform and a finite value");
	int r = text(v, "unit", 16, true, where, err);
	return r ? r : known_cell(v, where, err);
}

static int check_feature(const json_t *v, const char *where, struct vb_error **err)
{
	static const char *const values[] = { "yes", "no", "partial", "n/a", NULL };
	if (!json_is_object(v) || !one_of(vb_html_str(v, "platform"), platforms))
		return bad(err, where, "needs a platform");
	const char *id = vb_html_str(v, "feature");
	if (!id || !vb_rec_feature_id(id) || strcmp(vb_rec_feature_id(id), id))
		return bad(err, where, "a feature virtbench does not probe");
	if (!one_of(vb_html_str(v, "value"), values))
		return bad(err, where, "value is not yes, no, partial or n/a");
	return text(v, "note", 300, false, where, err);
}

static int check_list(const json_t *f, const char *key, const char *where,
		      int (*check)(const json_t *, const char *, struct vb_error **),
		      struct vb_error **err)
{
	const json_t *a = json_object_get(f, key);
	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > CELLS_MAX)
		return bad(err, where, "a list too long or not a list");
	size_t i;
	const json_t *c;
	json_array_foreach(a, i, c)
	{
		_cleanup_free_ char *at = xasprintf("%s.%s[%zu]", where, key, i);
		int r = check(c, at, err);
		if (r)
			return r;
	}
	return 0;
}

int vb_study_parse(const char *buf, size_t len, json_t **out, struct vb_error **err)
{
	*out = NULL;
	json_error_t jerr;
	_cleanup_json_ json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "study findings: invalid JSON at line %d: %s", jerr.line,
				     jerr.text);
	if (!vb_html_is(doc, "format", "virtbench-study-findings") ||
	    vb_html_num(doc, "format_version") != 1)
		return bad(err, "format", "not virtbench-study-findings version 1");
	const json_t *fs = json_object_get(doc, "findings");
	if (!json_is_array(fs) || !json_array_size(fs) || json_array_size(fs) > FINDINGS_MAX)
		return bad(err, "findings", "not a list of 1 to 500 findings");
	size_t i;
	const json_t *f;
	json_array_foreach(fs, i, f)
	{
		_cleanup_free_ char *at = xasprintf("findings[%zu]", i);
		const char *id = vb_html_str(f, "id");
		if (!json_is_object(f) || !id || !vb_is_token(id, 64))
			return bad(err, at, "no id made of letters, digits, '.', '-' or '_'");
		for (size_t k = 0; k < i; k++)
			if (vb_html_is(json_array_get(fs, k), "id", id))
				return bad(err, at, "its id is taken");
		int r = text(f, "ref", 64, true, at, err);
		if (!r)
			r = text(f, "section", 32, true, at, err);
		if (!r)
			r = text(f, "title", 160, true, at, err);
		if (!r)
			r = text(f, "quote", 600, true, at, err);
		if (!r)
			r = text(f, "unmapped", 400, false, at, err);
		if (!r && !json_is_array(json_object_get(f, "cells")))
			r = bad(err, at, "no list of cells");
		if (!r)
			r = check_list(f, "cells", at, check_cell, err);
		if (!r)
			r = check_list(f, "values", at, check_value, err);
		if (!r)
			r = check_list(f, "features", at, check_feature, err);
		if (r)
			return r;
	}
	*out = steal_ptr(&doc);
	return 0;
}

/* ---- judging ---- */

/* An interval of "goodness", higher is better, from a stored figure and its ends. */
struct span {
	double v, lo, hi;
	long long run;
	bool ok;
};

static struct span oriented(double v, double lo, double hi, bool higher, long long run)
{
	struct span s = { .run = run };
	if (!(v > 0) || !(lo > 0) || !(hi > 0) || !isfinite(v) || !isfinite(lo) || !isfinite(hi))
		return s;
	s.v = higher ? v : 1 / v;
	s.lo = higher ? lo : 1 / hi;
	s.hi = higher ? hi : 1 / lo;
	s.ok = true;
	return s;
}

/*
 * The summary of (platform, workload, metric) in the documents of kind:
 * "overhead" (compare and run against the host: the ratio), "ops" (the
 * mean), "isolation" (platform:noisy's ratio to :alone); the last given
 * wins. The study's xen is virtbench's xen-local (dom0 on this host) or
 * xen (nested); a platform emulated in its run never stands for the
 * study's (*emulated says one was seen).
 */
static const json_t *latest(json_t *const *docs, size_t n, const char *kind, const char *platform,
			    const char *workload, const char *metric, const json_t **in,
			    bool *emulated)
{
	static const char *const xen_names[] = { "xen-local", "xen", NULL };
	const char *own[] = { platform, NULL };
	const char *const *names = !strcmp(platform, "xen") ? xen_names : own;
	const json_t *found = NULL;
	*emulated = false;
	for (size_t d = 0; d < n; d++) {
		const char *x = vb_doc_experiment(docs[d]);
		bool take = !strcmp(kind, "overhead") ? (!strcmp(x, "compare") || !strcmp(x, "run"))
						      : !strcmp(x, kind);
		if (!take || (!strcmp(kind, "overhead") && !vb_doc_against_host(docs[d])))
			continue;
		size_t i;
		const json_t *s;
		json_array_foreach(json_object_get(docs[d], "summaries"), i, s)
		{
			const char *p = vb_html_str(s, "platform"), *w = vb_html_str(s, "workload");
			if (!p || !w || !vb_doc_same_base(w, workload) ||
			    !vb_html_is(s, "metric", metric))
				continue;
			for (size_t k = 0; names[k]; k++) {
				_cleanup_free_ char *want = xasprintf(
				    "%s%s", names[k], !strcmp(kind, "isolation") ? ":noisy" : "");
				if (strcmp(p, want))
					continue;
				if (vb_doc_emulated(docs[d], p)) {
					*emulated = true;
				} else {
					found = s;
					*in = docs[d];
				}
			}
		}
	}
	return found;
}

/* Why a claim's platform had no figure: emulated here, or not measured at all. */
static char *absent(const char *kind, const char *platform, const char *workload, bool emulated)
{
	if (emulated)
		return xasprintf("%s here is emulated (TCG): not the study's %s", platform,
				 platform);
	return xasprintf("no %s run here measured %s on %s", kind, workload, platform);
}

/* oriented() of the summary; ok false when it has no interval (*found says it was there). */
static struct span span_of(json_t *const *docs, size_t n, const char *kind, const char *platform,
			   const char *workload, const char *metric, bool *found, bool *emulated)
{
	const json_t *in = NULL;
	const json_t *s = latest(docs, n, kind, platform, workload, metric, &in, emulated);
	*found = s != NULL;
	if (!s)
		return (struct span){ .ok = false };
	int higher = vb_doc_higher_is_better(in, vb_html_str(s, "workload"), metric);
	if (higher < 0)
		return (struct span){ .ok = false };
	if (!strcmp(kind, "ops"))
		return oriented(vb_html_num(s, "mean"), vb_html_num(s, "ci_low"),
				vb_html_num(s, "ci_high"), higher, vb_doc_run_id(in));
	return oriented(vb_html_num(s, "ratio"), vb_html_num(s, "ratio_low"),
			vb_html_num(s, "ratio_high"), higher, vb_doc_run_id(in));
}

static void cell_set(struct vb_study_cell *c, enum vb_study_verdict v, char *evidence)
{
	c->verdict = v;
	c->evidence = evidence;
}

/* A claim against the host: the stored verdict decides (it holds its stated error rate). */
static void judge_vs_host(const json_t *cell, json_t *const *docs, size_t n,
			  struct vb_study_cell *c)
{
	const char *p = vb_html_str(cell, "platform"), *w = vb_html_str(cell, "workload"),
		   *m = vb_html_str(cell, "metric"), *claim = vb_html_str(cell, "claim");
	const json_t *in = NULL;
	bool emulated = false;
	const json_t *s = latest(docs, n, "overhead", p, w, m, &in, &emulated);
	if (!s) {
		cell_set(c, VB_STUDY_NOT_MEASURED, absent("compare", p, w, emulated));
		return;
	}
	const char *v = vb_html_str(s, "verdict");
	v = v ? v : "none";
	bool faster = !strcmp(v, "faster"), slower = !strcmp(v, "slower"),
	     same = !strcmp(v, "equivalent");
	enum vb_study_verdict out = VB_STUDY_INCONCLUSIVE;
	if (!strcmp(claim, "faster") && (faster || slower || same))
		out = faster ? VB_STUDY_AGREES : VB_STUDY_DIFFERS;
	else if (!strcmp(claim, "slower") && (faster || slower || same))
		out = slower ? VB_STUDY_AGREES : VB_STUDY_DIFFERS;
	else if (!strcmp(claim, "same") && (faster || slower || same))
		out = same ? VB_STUDY_AGREES : VB_STUDY_DIFFERS;
	c->mark = (struct vb_study_mark){ .kind = "ratio",
					  .run = vb_doc_run_id(in),
					  .platform = vb_html_str(s, "platform"),
					  .workload = vb_html_str(s, "workload"),
					  .metric = m,
					  .value = vb_html_num(s, "ratio"),
					  .low = vb_html_num(s, "ratio_low"),
					  .high = vb_html_num(s, "ratio_high") };
	cell_set(c, out,
		 xasprintf("run %lld: %s ratio %.3g [%.3g, %.3g], %s", vb_doc_run_id(in),
			   vb_html_str(s, "workload"), vb_html_num(s, "ratio"),
			   vb_html_num(s, "ratio_low"), vb_html_num(s, "ratio_high"), v));
}

/* One platform against another: their intervals must not overlap to decide. */
static void judge_than(const json_t *cell, json_t *const *docs, size_t n, struct vb_study_cell *c)
{
	const char *p = vb_html_str(cell, "platform"), *q = vb_html_str(cell, "than"),
		   *w = vb_html_str(cell, "workload"), *m = vb_html_str(cell, "metric"),
		   *claim = vb_html_str(cell, "claim");
	const char *kind = json_is_true(json_object_get(cell, "isolation")) ? "isolation"
			   : is_ops(w)					    ? "ops"
									    : "overhead";
	bool fa, fb, ea, eb;
	struct span a = span_of(docs, n, kind, p, w, m, &fa, &ea),
		    b = span_of(docs, n, kind, q, w, m, &fb, &eb);
	if (!fa || !fb) {
		cell_set(c, VB_STUDY_NOT_MEASURED, absent(kind, !fa ? p : q, w, !fa ? ea : eb));
		return;
	}
	if (!a.ok || !b.ok) {
		cell_set(c, VB_STUDY_INCONCLUSIVE,
			 xasprintf("%s's figure has no interval here", !a.ok ? p : q));
		return;
	}
	/* better: p's interval above q's; worse: below; else undecided. */
	int better = a.lo > b.hi ? 1 : a.hi < b.lo ? -1 : 0;
	bool want_better = !strcmp(claim, "faster") || !strcmp(claim, "less-slowdown");
	bool want_worse = !strcmp(claim, "slower") || !strcmp(claim, "more-slowdown");
	enum vb_study_verdict out = VB_STUDY_INCONCLUSIVE;
	if ((want_better || want_worse) && better)
		out = (better > 0) == want_better ? VB_STUDY_AGREES : VB_STUDY_DIFFERS;
	else if (!want_better && !want_worse && better)
		out = VB_STUDY_DIFFERS; /* "same", but one is decidedly ahead */
	cell_set(c, out,
		 xasprintf("%s, turned so that higher is better: %s %.3g [%.3g, %.3g] (run %lld), "
			   "%s %.3g [%.3g, %.3g] (run %lld)%s",
			   !strcmp(kind, "ops")		? "the mean"
			   : !strcmp(kind, "isolation") ? "the slowdown under stress"
							: "the ratio to the host",
			   p, a.v, a.lo, a.hi, a.run, q, b.v, b.lo, b.hi, b.run,
			   better ? "" : "; the intervals overlap"));
}

static void judge_feature(const json_t *ft, json_t *const *docs, size_t n, struct vb_study_cell *c)
{
	const char *p = vb_html_str(ft, "platform"), *id = vb_html_str(ft, "feature"),
		   *want = vb_html_str(ft, "value");
	const char *got = NULL;
	long long run = 0;
	for (size_t d = 0; d < n; d++) {
		size_t i;
		const json_t *f;
		json_array_foreach(json_object_get(docs[d], "features"), i, f)
		{
			if (!vb_html_is(f, "platform", p) || !vb_html_is(f, "feature", id))
				continue;
			const json_t *val = json_object_get(f, "value");
			got = json_is_string(val)  ? json_string_value(val)
			      : json_is_true(val)  ? "yes"
			      : json_is_false(val) ? "no"
						   : "unknown";
			run = vb_doc_run_id(docs[d]);
		}
	}
	c->claim = xasprintf("%s: %s %s", p, id, want);
	if (!got)
		cell_set(c, VB_STUDY_NOT_MEASURED, xasprintf("no features run here names it"));
	else if (!strcmp(got, "unknown"))
		cell_set(c, VB_STUDY_INCONCLUSIVE, xasprintf("run %lld: unknown here", run));
	else {
		_cleanup_free_ char *pg = vb_printable(got);
		cell_set(c, strcmp(got, want) ? VB_STUDY_DIFFERS : VB_STUDY_AGREES,
			 xasprintf("run %lld: %s", run, pg));
	}
}

/* The mean this host measured for a number the study printed (an ops run's, say). */
static void value_here(const json_t *v, json_t *const *docs, size_t n, struct vb_study_value *out)
{
	const char *w = vb_html_str(v, "workload");
	const json_t *in = NULL;
	bool emulated = false;
	const json_t *s =
	    latest(docs, n, is_ops(w) ? "ops" : "overhead", vb_html_str(v, "platform"), w,
		   vb_html_str(v, "metric"), &in, &emulated);
	*out = (struct vb_study_value){ .v = v, .emulated = emulated };
	if (!s)
		return;
	out->here = true;
	out->mean = vb_html_num(s, "mean");
	out->low = vb_html_num(s, "ci_low");
	out->high = vb_html_num(s, "ci_high");
	out->run = vb_doc_run_id(in);
}

static char *claim_text(const json_t *cell)
{
	const char *than = vb_html_str(cell, "than"), *claim = vb_html_str(cell, "claim");
	const char *words = !strcmp(claim, "same")	      ? "the same as"
			    : !strcmp(claim, "less-slowdown") ? "less slowed than"
			    : !strcmp(claim, "more-slowdown") ? "more slowed than"
			    : !strcmp(claim, "faster")	      ? "faster than"
							      : "slower than";
	return xasprintf("%s %s %s%s: %s %s", vb_html_str(cell, "platform"), words,
			 than ? than : "host",
			 json_is_true(json_object_get(cell, "isolation")) ? " (under stress)" : "",
			 vb_html_str(cell, "workload"), vb_html_str(cell, "metric"));
}

static enum vb_study_verdict combine(const struct vb_study_cell *c, size_t n)
{
	unsigned agree = 0, differ = 0, measured = 0;
	for (size_t i = 0; i < n; i++) {
		agree += c[i].verdict == VB_STUDY_AGREES;
		differ += c[i].verdict == VB_STUDY_DIFFERS;
		measured += c[i].verdict != VB_STUDY_NOT_MEASURED;
	}
	if (agree && differ)
		return VB_STUDY_PARTLY;
	if (differ)
		return VB_STUDY_DIFFERS;
	if (agree)
		return VB_STUDY_AGREES;
	return measured ? VB_STUDY_INCONCLUSIVE : VB_STUDY_NOT_MEASURED;
}

void vb_study_judge(const json_t *findings, json_t *const *docs, size_t ndocs,
		    struct vb_study_judgement *out)
{
	const json_t *fs = json_object_get(findings, "findings");
	*out = (struct vb_study_judgement){ .n = json_array_size(fs) };
	out->f = xcalloc(out->n + 1, sizeof(*out->f));
	for (size_t i = 0; i < out->n; i++) {
		struct vb_study_finding *sf = &out->f[i];
		sf->f = json_array_get(fs, i);
		const json_t *cells = json_object_get(sf->f, "cells"),
			     *feats = json_object_get(sf->f, "features");
		sf->ncells = json_array_size(cells) + json_array_size(feats);
		sf->cells = xcalloc(sf->ncells + 1, sizeof(*sf->cells));
		size_t k = 0, j;
		const json_t *c;
		json_array_foreach(cells, j, c)
		{
			sf->cells[k].claim = claim_text(c);
			if (json_object_get(c, "than"))
				judge_than(c, docs, ndocs, &sf->cells[k]);
			else
				judge_vs_host(c, docs, ndocs, &sf->cells[k]);
			k++;
		}
		json_array_foreach(feats, j, c) judge_feature(c, docs, ndocs, &sf->cells[k++]);
		const json_t *vals = json_object_get(sf->f, "values");
		sf->nvalues = json_array_size(vals);
		sf->values = xcalloc(sf->nvalues + 1, sizeof(*sf->values));
		json_array_foreach(vals, j, c) value_here(c, docs, ndocs, &sf->values[j]);
		sf->verdict = sf->ncells ? combine(sf->cells, sf->ncells) : VB_STUDY_UNMAPPED;
		out->counts[sf->verdict]++;
	}
}

void vb_study_judgement_release(struct vb_study_judgement *j)
{
	for (size_t i = 0; i < j->n; i++) {
		for (size_t k = 0; k < j->f[i].ncells; k++) {
			free(j->f[i].cells[k].claim);
			free(j->f[i].cells[k].evidence);
		}
		free(j->f[i].cells);
		free(j->f[i].values);
	}
	free(j->f);
	*j = (struct vb_study_judgement){ 0 };
}

void vb_study_print(FILE *f, const struct vb_study_judgement *j)
{
	fprintf(f,
		"the study beside these runs: %u agree, %u differ, %u partly, %u inconclusive, "
		"%u not measured, %u not mapped\n",
		j->counts[VB_STUDY_AGREES], j->counts[VB_STUDY_DIFFERS], j->counts[VB_STUDY_PARTLY],
		j->counts[VB_STUDY_INCONCLUSIVE], j->counts[VB_STUDY_NOT_MEASURED],
		j->counts[VB_STUDY_UNMAPPED]);
	for (size_t i = 0; i < j->n; i++) {
		const struct vb_study_finding *sf = &j->f[i];
		fprintf(f, "\n%s (%s, %s) %s: %s\n  the study: %s\n", vb_html_str(sf->f, "ref"),
			vb_html_str(sf->f, "section"), vb_html_str(sf->f, "id"),
			vb_html_str(sf->f, "title"), vb_study_verdict_name(sf->verdict),
			vb_html_str(sf->f, "quote"));
		if (!sf->ncells && vb_html_str(sf->f, "unmapped"))
			fprintf(f, "  not mapped: %s\n", vb_html_str(sf->f, "unmapped"));
		size_t k;
		for (k = 0; k < sf->nvalues; k++) {
			const struct vb_study_value *sv = &sf->values[k];
			const json_t *v = sv->v;
			fprintf(f, "  the study's figure: %s %s %s = %g %s; here: ",
				vb_html_str(v, "platform"), vb_html_str(v, "workload"),
				vb_html_str(v, "metric"), vb_html_num(v, "value"),
				vb_html_str(v, "unit"));
			if (sv->here)
				fprintf(f, "%.4g [%.4g, %.4g] (run %lld)\n", sv->mean, sv->low,
					sv->high, sv->run);
			else
				fputs(sv->emulated ? "emulated only\n" : "not measured\n", f);
		}
		for (k = 0; k < sf->ncells; k++)
			fprintf(f, "  - %s: %s (%s)\n", sf->cells[k].claim,
				vb_study_verdict_name(sf->cells[k].verdict), sf->cells[k].evidence);
	}
}
