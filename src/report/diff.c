/* SPDX-License-Identifier: MIT */
/*
 * `virtbench diff` and the baseline check: two results documents compared
 * cell by cell from their raw samples, with a bootstrap interval of B/A per
 * cell, plus what differs in the host fingerprints and the setup.
 */
#include <math.h>

#include "core/json.h"
#include "core/util.h"
#include "report/diff.h"
#include "report/report.h"
#include "store/store.h"

/* Rendered values longer than this are cut: a table line, not a dump. */
#define VALUE_MAX 120

/* One document, indexed: platform and workload names to positions, samples by cell. */
struct side {
	const json_t *doc;
	json_t *platforms, *workloads, *samples; /* borrowed arrays */
	json_t *pindex, *windex;		 /* owned: name -> position */
	size_t np, nw;
	size_t *start; /* [np * nw + 1]: samples of (p, w) are order[start[c] .. start[c+1]) */
	size_t *order;
};

static bool flag(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) >= 1);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static size_t position(const json_t *index, const char *name)
{
	return (size_t)json_integer_value(json_object_get(index, name));
}

static void side_release(struct side *s)
{
	json_decref(s->pindex);
	json_decref(s->windex);
	free(s->start);
	free(s->order);
}

/* The document has passed vb_result_doc_check: every reference resolves. */
static void side_init(struct side *s, const json_t *doc)
{
	json_t *v;
	size_t i;
	*s = (struct side){ .doc = doc };
	s->platforms = json_object_get(doc, "platforms");
	s->workloads = json_object_get(doc, "workloads");
	s->samples = json_object_get(doc, "samples");
	s->np = json_array_size(s->platforms);
	s->nw = json_array_size(s->workloads);
	s->pindex = json_object();
	s->windex = json_object();
	json_array_foreach(s->platforms, i, v)
	    json_object_set_new(s->pindex, str(v, "name"), json_integer((json_int_t)i));
	json_array_foreach(s->workloads, i, v)
	    json_object_set_new(s->windex, str(v, "name"), json_integer((json_int_t)i));

	/* A counting sort of the samples by cell, so each cell reads only its own. */
	size_t ncells = s->np * s->nw, nsamples = json_array_size(s->samples);
	s->start = xcalloc(ncells + 1, sizeof(*s->start));
	s->order = xcalloc(nsamples ? nsamples : 1, sizeof(*s->order));
	_cleanup_free_ size_t *cell = xcalloc(nsamples ? nsamples : 1, sizeof(*cell));
	json_array_foreach(s->samples, i, v)
	{
		cell[i] = position(s->pindex, str(v, "platform")) * s->nw +
			  position(s->windex, str(v, "workload"));
		s->start[cell[i] + 1]++;
	}
	for (size_t c = 0; c < ncells; c++)
		s->start[c + 1] += s->start[c];
	_cleanup_free_ size_t *fill = xmalloc((ncells ? ncells : 1) * sizeof(*fill));
	memcpy(fill, s->start, ncells * sizeof(*fill));
	for (i = 0; i < nsamples; i++)
		s->order[fill[cell[i]]++] = i;
}

/* The measured values (not warm-up, ok) of one metric in cell (p, w); caller frees. */
/* A cell's measured values and the fresh guest (instance) that took each. */
static double *side_values(const struct side *s, size_t p, size_t w, const char *metric, size_t *n,
			   unsigned **inst)
{
	size_t c = p * s->nw + w;
	double *v = xmalloc((s->start[c + 1] - s->start[c] + 1) * sizeof(*v));
	*inst = xmalloc((s->start[c + 1] - s->start[c] + 1) * sizeof(**inst));
	*n = 0;
	for (size_t k = s->start[c]; k < s->start[c + 1]; k++) {
		json_t *sample = json_array_get(s->samples, s->order[k]);
		json_t *x = json_object_get(json_object_get(sample, "values"), metric);
		if (x && !flag(sample, "warmup") && flag(sample, "ok")) {
			(*inst)[*n] =
			    (unsigned)json_integer_value(json_object_get(sample, "instance"));
			v[(*n)++] = json_number_value(x);
		}
	}
	return v;
}

static json_t *metric_of(const json_t *workload, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(workload, "metrics"), i,
			   m) if (!strcmp(str(m, "name"), name)) return m;
	return NULL;
}

/* Printable and bounded: file contents reach the terminal. */
static char *clean(const char *s)
{
	size_t n = strlen(s), keep = n > VALUE_MAX ? VALUE_MAX : n;
	char *out = xmalloc(keep + 4);
	for (size_t i = 0; i < keep; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	memcpy(out + keep, n > keep ? "..." : "", n > keep ? 4 : 1);
	return out;
}

static char *render(const json_t *v)
{
	if (!v)
		return xstrdup("(absent)");
	if (json_is_string(v))
		return clean(json_string_value(v));
	_cleanup_free_ char *line = json_dumps(
	    v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	if (!line)
		VB_BUG("json_dumps failed");
	return clean(line);
}

static char *label(const json_t *doc, const char *source)
{
	const json_t *run = json_object_get(doc, "run");
	const char *host = str(json_object_get(doc, "host"), "hostname");
	char *text =
	    xasprintf("run %lld (%s) on %s, started %s, %s%s%s",
		      (long long)json_integer_value(json_object_get(run, "id")), str(run, "tag"),
		      host ? host : "an unnamed host", str(run, "started_at"), str(run, "status"),
		      source ? ", from " : "", source ? source : "");
	char *out = clean(text);
	free(text);
	return out;
}

static void add_field(struct vb_diff_field **list, size_t *n, char *name, char *a, char *b,
		      bool words)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = (struct vb_diff_field){ .name = name, .a = a, .b = b, .words = words };
}

/* The words of a list or of a long space-separated string, as a JSON array. */
static json_t *words(const json_t *v)
{
	if (json_is_array(v))
		return json_deep_copy(v);
	json_t *arr = json_array();
	_cleanup_free_ char *copy = xstrdup(json_string_value(v));
	char *save = NULL;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		json_array_append_new(arr, json_string(w));
	return arr;
}

static bool wordy(const json_t *v)
{
	return json_is_array(v) || (json_is_string(v) && json_string_length(v) > 60);
}

static bool in(const json_t *arr, const json_t *v)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) if (json_equal(e, v)) return true;
	return false;
}

/* The words of x missing from y, space-separated and bounded. */
static char *missing_words(const json_t *x, const json_t *y)
{
	char *buf = NULL;
	size_t len = 0, i;
	json_t *e;
	bool first = true;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	json_array_foreach(x, i, e)
	{
		if (in(y, e))
			continue;
		_cleanup_free_ char *t = render(e);
		fprintf(f, "%s%s", first ? "" : " ", t);
		first = false;
	}
	fclose(f);
	char *out = clean(buf);
	free(buf);
	return out;
}

/*
 * Leaf by leaf, what differs between a and b (either may be NULL: absent).
 * Names are prefix + sep + key, then joined with dots further down.
 */
static void walk(struct vb_diff_field **list, size_t *n, const char *name, const char *sep,
		 json_t *a, json_t *b)
{
	if (a && b && json_equal(a, b))
		return;
	if ((!a || json_is_object(a)) && (!b || json_is_object(b)) && (a || b)) {
		const char *k;
		json_t *v;
		json_object_foreach(a, k, v)
		{
			_cleanup_free_ char *child = xasprintf("%s%s%s", name, sep, k);
			walk(list, n, child, ".", v, json_object_get(b, k));
		}
		json_object_foreach(b, k, v)
		{
			if (json_object_get(a, k))
				continue;
			_cleanup_free_ char *child = xasprintf("%s%s%s", name, sep, k);
			walk(list, n, child, ".", NULL, v);
		}
		return;
	}
	if ((json_is_array(a) || json_is_string(a)) && (json_is_array(b) || json_is_string(b)) &&
	    (wordy(a) || wordy(b))) {
		_cleanup_json_ json_t *wa = words(a);
		_cleanup_json_ json_t *wb = words(b);
		char *only_a = missing_words(wa, wb), *only_b = missing_words(wb, wa);
		if (!*only_a && !*only_b) {
			free(only_a);
			free(only_b);
			only_a = xstrdup("(the same words in another order)");
			only_b = xstrdup("");
		}
		add_field(list, n, clean(name), only_a, only_b, true);
		return;
	}
	add_field(list, n, clean(name), render(a), render(b), false);
}

static void add_only(struct vb_diff *d, char side, const char *platform, const char *workload,
		     const char *metric, char *why)
{
	d->only = xrealloc(d->only, (d->nonly + 1) * sizeof(*d->only));
	d->only[d->nonly++] = (struct vb_diff_only){
		.side = side,
		.platform = platform ? xstrdup(platform) : NULL,
		.workload = workload ? xstrdup(workload) : NULL,
		.metric = metric ? xstrdup(metric) : NULL,
		.why = why,
	};
	if (side == 'A')
		d->counts.only_a++;
	else if (side == 'B')
		d->counts.only_b++;
	else
		d->counts.mismatched++;
}

/* Platforms, workloads and metrics of x that y lacks. */
static void one_sided(struct vb_diff *d, char side, const struct side *x, const struct side *y)
{
	const char *text = side == 'A' ? "only in A" : "only in B";
	size_t i, j;
	json_t *v, *m;
	json_array_foreach(x->platforms, i, v) if (!json_object_get(y->pindex, str(v, "name")))
	    add_only(d, side, str(v, "name"), NULL, NULL, xstrdup(text));
	json_array_foreach(x->workloads, i, v)
	{
		const char *name = str(v, "name");
		json_t *other = json_object_get(y->windex, name);
		if (!other) {
			add_only(d, side, NULL, name, NULL, xstrdup(text));
			continue;
		}
		json_t *wy = json_array_get(y->workloads, (size_t)json_integer_value(other));
		json_array_foreach(json_object_get(v, "metrics"), j,
				   m) if (!metric_of(wy, str(m, "name")))
		    add_only(d, side, NULL, name, str(m, "name"), xstrdup(text));
	}
}

static double mean(const double *x, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return n ? sum / n : NAN;
}

/*
 * Both sides replicated over fresh guests (--instances): the instance is
 * the unit, as in the run's own summaries. Returns the number of instance
 * means of a (and of b in *kb), or 0 when either side has one instance.
 */
static size_t instance_means(const double *a, const unsigned *ia, size_t na, const double *b,
			     const unsigned *ib, size_t nb, double *ma, double *mb, size_t *kb)
{
	double w, bt;
	size_t ka = vb_stats_instances(a, ia, na, ma, &w, &bt);
	*kb = vb_stats_instances(b, ib, nb, mb, &w, &bt);
	return ka > 1 && *kb > 1 ? ka : 0;
}

static void judge(struct vb_diff_cell *c, const double *a, const unsigned *ia, const double *b,
		  const unsigned *ib, double tolerance)
{
	bool positive = true;
	for (size_t i = 0; i < c->n_a; i++)
		positive &= a[i] > 0;
	for (size_t i = 0; i < c->n_b; i++)
		positive &= b[i] > 0;
	c->mean_a = mean(a, c->n_a);
	c->mean_b = mean(b, c->n_b);
	c->ratio = (struct vb_ratio){ NAN, NAN, NAN, NAN };
	c->change_pct = NAN;
	if (c->mean_a > 0 && isfinite(c->mean_a) && isfinite(c->mean_b))
		c->change_pct = 100 * (c->mean_b / c->mean_a - 1);
	c->verdict = VB_DIFF_INCONCLUSIVE;
	if (c->n_a == 0 || c->n_b == 0) {
		c->why = c->n_a ? "no measured sample in B" : "no measured sample in A";
		return;
	}
	if (c->n_a < 2 || c->n_b < 2) {
		c->why = "fewer than 2 measured samples";
		return;
	}
	/* A ratio of means compares positive quantities; times, rates and sizes are. */
	if (!positive) {
		c->why = "values not all positive";
		return;
	}
	if (!isfinite(c->mean_a) || !isfinite(c->mean_b)) {
		c->why = "values out of range";
		return;
	}
	_cleanup_free_ double *ma = xcalloc(c->n_a, sizeof(*ma));
	_cleanup_free_ double *mb = xcalloc(c->n_b, sizeof(*mb));
	size_t kb, ka = instance_means(a, ia, c->n_a, b, ib, c->n_b, ma, mb, &kb);
	if (ka ? vb_stats_ratio_interval(mb, kb, ma, ka, &c->ratio)
	       : vb_stats_ratio_interval(b, c->n_b, a, c->n_a, &c->ratio)) {
		c->why = "no ratio interval";
		return;
	}
	switch (vb_stats_verdict(&c->ratio, c->higher_is_better, VB_EQUIVALENCE_DEFAULT)) {
	case VB_VERDICT_FASTER:
		c->verdict = VB_DIFF_BETTER;
		break;
	case VB_VERDICT_SLOWER:
		c->verdict = VB_DIFF_WORSE;
		break;
	case VB_VERDICT_EQUIVALENT:
		c->verdict = VB_DIFF_EQUIVALENT;
		break;
	case VB_VERDICT_INCONCLUSIVE:
		c->why = "the interval is wider than the equivalence margin and holds 1";
		break;
	case VB_VERDICT_NONE:
		c->why = "no ratio";
		break;
	}
	/* Worse by: the fall of a higher-is-better metric, the rise of a lower-is-better one. */
	double worse_by = c->higher_is_better ? -c->change_pct : c->change_pct;
	c->regression = c->verdict == VB_DIFF_WORSE && !isnan(tolerance) && worse_by > tolerance;
}

/*
 * A platform's cells are judged together, as in a run's table: a better or
 * worse that does not survive Holm's procedure over the platform's cells
 * (vb_stats_family_verdicts) is inconclusive. Then the counts.
 */
static void family_verdicts(struct vb_diff *d)
{
	bool *seen = xcalloc(d->ncells + 1, sizeof(*seen));
	struct vb_ratio *ratios = xcalloc(d->ncells + 1, sizeof(*ratios));
	enum vb_verdict *verdicts = xcalloc(d->ncells + 1, sizeof(*verdicts));
	size_t *at = xcalloc(d->ncells + 1, sizeof(*at));
	for (size_t i = 0; i < d->ncells; i++) {
		if (seen[i])
			continue;
		size_t m = 0;
		for (size_t j = i; j < d->ncells; j++) {
			struct vb_diff_cell *c = &d->cells[j];
			if (seen[j] || strcmp(c->platform, d->cells[i].platform))
				continue;
			seen[j] = true;
			if (isnan(c->ratio.low))
				continue;
			ratios[m] = c->ratio;
			verdicts[m] = c->verdict == VB_DIFF_BETTER  ? VB_VERDICT_FASTER
				      : c->verdict == VB_DIFF_WORSE ? VB_VERDICT_SLOWER
								    : VB_VERDICT_INCONCLUSIVE;
			at[m++] = j;
		}
		vb_stats_family_verdicts(ratios, verdicts, m);
		for (size_t k = 0; k < m; k++) {
			struct vb_diff_cell *c = &d->cells[at[k]];
			if ((c->verdict == VB_DIFF_BETTER || c->verdict == VB_DIFF_WORSE) &&
			    verdicts[k] == VB_VERDICT_INCONCLUSIVE) {
				c->verdict = VB_DIFF_INCONCLUSIVE;
				c->regression = false;
				c->why =
				    "its interval excludes 1, but not once the platform's cells "
				    "are judged together (Holm)";
			}
		}
	}
	for (size_t i = 0; i < d->ncells; i++) {
		const struct vb_diff_cell *c = &d->cells[i];
		d->counts.cells++;
		d->counts.better += c->verdict == VB_DIFF_BETTER;
		d->counts.worse += c->verdict == VB_DIFF_WORSE;
		d->counts.equivalent += c->verdict == VB_DIFF_EQUIVALENT;
		d->counts.inconclusive += c->verdict == VB_DIFF_INCONCLUSIVE;
		d->counts.regressions += c->regression;
	}
	free(seen);
	free(ratios);
	free(verdicts);
	free(at);
}

static void compare_cells(struct vb_diff *d, const struct side *a, const struct side *b)
{
	size_t wa, pa, k;
	json_t *w, *m, *p;
	json_array_foreach(a->workloads, wa, w)
	{
		const char *wname = str(w, "name");
		json_t *wbi = json_object_get(b->windex, wname);
		if (!wbi)
			continue;
		size_t wb = (size_t)json_integer_value(wbi);
		json_t *wbo = json_array_get(b->workloads, wb);
		json_array_foreach(json_object_get(w, "metrics"), k, m)
		{
			const char *mname = str(m, "name");
			json_t *mb = metric_of(wbo, mname);
			if (!mb)
				continue;
			bool hib = flag(m, "higher_is_better");
			if (strcmp(str(m, "unit"), str(mb, "unit"))) {
				_cleanup_free_ char *ua = clean(str(m, "unit"));
				_cleanup_free_ char *ub = clean(str(mb, "unit"));
				add_only(d, '=', NULL, wname, mname,
					 xasprintf("unit %s in A, %s in B", ua, ub));
				continue;
			}
			if (hib != flag(mb, "higher_is_better")) {
				add_only(d, '=', NULL, wname, mname,
					 xasprintf("%s is better in A, %s in B",
						   hib ? "higher" : "lower",
						   hib ? "lower" : "higher"));
				continue;
			}
			json_array_foreach(a->platforms, pa, p)
			{
				const char *pname = str(p, "name");
				json_t *pbi = json_object_get(b->pindex, pname);
				if (!pbi)
					continue;
				size_t pb = (size_t)json_integer_value(pbi);
				d->cells = xrealloc(d->cells, (d->ncells + 1) * sizeof(*d->cells));
				struct vb_diff_cell *c = &d->cells[d->ncells++];
				*c = (struct vb_diff_cell){
					.platform = xstrdup(pname),
					.workload = xstrdup(wname),
					.metric = xstrdup(mname),
					.unit = xstrdup(str(m, "unit")),
					.higher_is_better = hib,
					.emulated =
					    flag(p, "emulated") ||
					    flag(json_array_get(b->platforms, pb), "emulated"),
				};
				_cleanup_free_ unsigned *ia = NULL, *ib = NULL;
				_cleanup_free_ double *va =
				    side_values(a, pa, wa, mname, &c->n_a, &ia);
				_cleanup_free_ double *vb =
				    side_values(b, pb, wb, mname, &c->n_b, &ib);
				judge(c, va, ia, vb, ib, d->tolerance_pct);
			}
		}
	}
}

/* Workload parameters and platform specs (and emulation) of what both sides ran. */
static void compare_setup(struct vb_diff *d, const struct side *a, const struct side *b)
{
	size_t i;
	json_t *v;
	json_array_foreach(a->workloads, i, v)
	{
		json_t *o = json_object_get(b->windex, str(v, "name"));
		if (!o)
			continue;
		json_t *vb = json_array_get(b->workloads, (size_t)json_integer_value(o));
		_cleanup_free_ char *name = xasprintf("workload %s", str(v, "name"));
		_cleanup_json_ json_t *pa = json_object();
		_cleanup_json_ json_t *pb = json_object();
		json_t *x = json_object_get(v, "params"), *y = json_object_get(vb, "params");
		walk(&d->setup, &d->nsetup, name, ": ", json_is_object(x) ? x : pa,
		     json_is_object(y) ? y : pb);
	}
	json_array_foreach(a->platforms, i, v)
	{
		json_t *o = json_object_get(b->pindex, str(v, "name"));
		if (!o)
			continue;
		json_t *vb = json_array_get(b->platforms, (size_t)json_integer_value(o));
		_cleanup_free_ char *name = xasprintf("platform %s", str(v, "name"));
		_cleanup_json_ json_t *x = json_object();
		_cleanup_json_ json_t *y = json_object();
		json_t *sa = json_object_get(v, "spec"), *sb = json_object_get(vb, "spec");
		if (json_is_object(sa))
			json_object_update(x, sa);
		if (json_is_object(sb))
			json_object_update(y, sb);
		json_object_set_new(x, "emulated", json_boolean(flag(v, "emulated")));
		json_object_set_new(y, "emulated", json_boolean(flag(vb, "emulated")));
		walk(&d->setup, &d->nsetup, name, ": ", x, y);
	}
}

int vb_diff_compare(const json_t *a, const char *source_a, const json_t *b, const char *source_b,
		    double tolerance_pct, struct vb_diff **out, struct vb_error **err)
{
	*out = NULL;
	if (!isnan(tolerance_pct) && !(tolerance_pct >= 0 && isfinite(tolerance_pct)))
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "tolerance %g%%: not a finite percentage of at least 0",
				     tolerance_pct);
	int r = vb_result_doc_check(a, err);
	if (r)
		return vb_error_wrap(err, "%s", source_a ? source_a : "A");
	r = vb_result_doc_check(b, err);
	if (r)
		return vb_error_wrap(err, "%s", source_b ? source_b : "B");
	struct side sa, sb;
	side_init(&sa, a);
	side_init(&sb, b);
	struct vb_diff *d = xcalloc(1, sizeof(*d));
	d->tolerance_pct = tolerance_pct;
	d->label_a = label(a, source_a);
	d->label_b = label(b, source_b);
	walk(&d->host, &d->nhost, "", "", json_object_get(a, "host"), json_object_get(b, "host"));
	compare_setup(d, &sa, &sb);
	compare_cells(d, &sa, &sb);
	family_verdicts(d);
	one_sided(d, 'A', &sa, &sb);
	one_sided(d, 'B', &sb, &sa);
	side_release(&sa);
	side_release(&sb);
	*out = d;
	return 0;
}

static void fields_free(struct vb_diff_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].a);
		free(f[i].b);
	}
	free(f);
}

void vb_diff_free(struct vb_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ncells; i++) {
		free(d->cells[i].platform);
		free(d->cells[i].workload);
		free(d->cells[i].metric);
		free(d->cells[i].unit);
	}
	free(d->cells);
	for (size_t i = 0; i < d->nonly; i++) {
		free(d->only[i].platform);
		free(d->only[i].workload);
		free(d->only[i].metric);
		free(d->only[i].why);
	}
	free(d->only);
	fields_free(d->host, d->nhost);
	fields_free(d->setup, d->nsetup);
	free(d->label_a);
	free(d->label_b);
	free(d);
}

static const char *verdict_name(enum vb_diff_verdict v)
{
	switch (v) {
	case VB_DIFF_EQUIVALENT:
		return "equivalent";
	case VB_DIFF_BETTER:
		return "better";
	case VB_DIFF_WORSE:
		return "worse";
	case VB_DIFF_INCONCLUSIVE:
		break;
	}
	return "inconclusive";
}

enum {
	C_WORKLOAD,
	C_METRIC,
	C_PLATFORM,
	C_N,
	C_MEAN_A,
	C_MEAN_B,
	C_CHANGE,
	C_RATIO,
	C_VERDICT,
	NC
};

static const char *const headers[NC] = { "workload", "metric", "platform",     "n A/B",	 "mean A",
					 "mean B",   "change", "B/A [95% CI]", "verdict" };

#define CW 160

static void fill(const struct vb_diff *d, const struct vb_diff_cell *c, char cols[NC][CW])
{
	_cleanup_free_ char *w = clean(c->workload);
	_cleanup_free_ char *m = clean(c->metric);
	_cleanup_free_ char *p = clean(c->platform);
	_cleanup_free_ char *u = clean(c->unit);
	snprintf(cols[C_WORKLOAD], CW, "%s", w);
	snprintf(cols[C_METRIC], CW, "%s (%s)", m,
		 c->higher_is_better ? "higher is better" : "lower is better");
	snprintf(cols[C_PLATFORM], CW, "%s%s", p, c->emulated ? " (emulated)" : "");
	snprintf(cols[C_N], CW, "%zu/%zu", c->n_a, c->n_b);
	vb_report_value(c->mean_a, u, cols[C_MEAN_A], CW);
	vb_report_value(c->mean_b, u, cols[C_MEAN_B], CW);
	if (isfinite(c->change_pct))
		snprintf(cols[C_CHANGE], CW, "%+.1f%%", c->change_pct);
	else
		snprintf(cols[C_CHANGE], CW, "-");
	if (isfinite(c->ratio.low) && isfinite(c->ratio.high))
		snprintf(cols[C_RATIO], CW, "%.3f [%.3f, %.3f]", c->ratio.ratio, c->ratio.low,
			 c->ratio.high);
	else
		snprintf(cols[C_RATIO], CW, "-");
	if (c->regression)
		snprintf(cols[C_VERDICT], CW, "worse: REGRESSION beyond %g%%", d->tolerance_pct);
	else if (c->why)
		snprintf(cols[C_VERDICT], CW, "inconclusive (%s)", c->why);
	else
		snprintf(cols[C_VERDICT], CW, "%s", verdict_name(c->verdict));
}

static void print_row(FILE *f, char cols[NC][CW], const size_t *w)
{
	for (int c = 0; c < NC; c++) {
		bool right = c >= C_N && c <= C_CHANGE;
		size_t pad = w[c] - vb_report_width(cols[c]);
		if (right)
			fprintf(f, "%*s", (int)pad, "");
		fputs(cols[c], f);
		if (!right && c != NC - 1)
			fprintf(f, "%*s", (int)pad, "");
		fputs(c == NC - 1 ? "\n" : "  ", f);
	}
}

static void print_table(FILE *f, const struct vb_diff *d)
{
	size_t w[NC];
	char cols[NC][CW];
	for (int c = 0; c < NC; c++)
		w[c] = vb_report_width(headers[c]);
	for (size_t i = 0; i < d->ncells; i++) {
		fill(d, &d->cells[i], cols);
		for (int c = 0; c < NC; c++)
			if (vb_report_width(cols[c]) > w[c])
				w[c] = vb_report_width(cols[c]);
	}
	for (int c = 0; c < NC; c++)
		snprintf(cols[c], CW, "%s", headers[c]);
	print_row(f, cols, w);
	for (size_t i = 0; i < d->ncells; i++) {
		const struct vb_diff_cell *c = &d->cells[i];
		fill(d, c, cols);
		/* Workload and metric once per group of platforms. */
		if (i > 0 && !strcmp(c->workload, d->cells[i - 1].workload) &&
		    !strcmp(c->metric, d->cells[i - 1].metric)) {
			cols[C_WORKLOAD][0] = '\0';
			cols[C_METRIC][0] = '\0';
		}
		print_row(f, cols, w);
	}
}

static void print_fields(FILE *f, const struct vb_diff_field *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (list[i].words)
			fprintf(f, "  %s: only in A: %s; only in B: %s\n", list[i].name,
				*list[i].a ? list[i].a : "-", *list[i].b ? list[i].b : "-");
		else
			fprintf(f, "  %s: %s -> %s\n", list[i].name, list[i].a, list[i].b);
	}
}

void vb_diff_print(FILE *f, const struct vb_diff *d)
{
	fprintf(f, "A: %s\nB: %s\n\n", d->label_a, d->label_b);
	if (d->nhost) {
		fprintf(f, "host fingerprints differ in %zu field%s (A -> B):\n", d->nhost,
			d->nhost == 1 ? "" : "s");
		print_fields(f, d->host, d->nhost);
	} else {
		fputs("host fingerprints: the same\n", f);
	}
	if (d->nsetup) {
		fputs("\nsetup differs (A -> B):\n", f);
		print_fields(f, d->setup, d->nsetup);
	}
	fputc('\n', f);
	if (d->ncells)
		print_table(f, d);
	else
		fputs("no platform x workload x metric in common\n", f);
	if (d->nonly) {
		fputs("\nnot compared:\n", f);
		for (size_t i = 0; i < d->nonly; i++) {
			const struct vb_diff_only *o = &d->only[i];
			_cleanup_free_ char *p = o->platform ? clean(o->platform) : NULL;
			_cleanup_free_ char *w = o->workload ? clean(o->workload) : NULL;
			_cleanup_free_ char *m = o->metric ? clean(o->metric) : NULL;
			if (p)
				fprintf(f, "  platform %s: %s\n", p, o->why);
			else if (m)
				fprintf(f, "  %s %s: %s\n", w, m, o->why);
			else
				fprintf(f, "  workload %s: %s\n", w, o->why);
		}
	}
	const struct vb_diff_counts *n = &d->counts;
	fprintf(f,
		"\n%u cell%s compared: %u better, %u worse, %u equivalent, %u "
		"inconclusive\n",
		n->cells, n->cells == 1 ? "" : "s", n->better, n->worse, n->equivalent,
		n->inconclusive);
	if (!isnan(d->tolerance_pct))
		fprintf(f, "tolerance %g%%: %u regression%s\n", d->tolerance_pct, n->regressions,
			n->regressions == 1 ? "" : "s");
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *fields_json(const struct vb_diff_field *list, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      json_pack("{s:s, s:s, s:s, s:b}", "name", list[i].name, "a",
						list[i].a, "b", list[i].b, "words", list[i].words));
	return arr;
}

json_t *vb_diff_json(const struct vb_diff *d)
{
	const struct vb_diff_counts *n = &d->counts;
	json_t *cells = json_array(), *only = json_array();
	for (size_t i = 0; i < d->ncells; i++) {
		const struct vb_diff_cell *c = &d->cells[i];
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:I}", "platform", c->platform,
			      "workload", c->workload, "metric", c->metric, "unit", c->unit,
			      "higher_is_better", c->higher_is_better, "emulated", c->emulated,
			      "n_a", (json_int_t)c->n_a, "n_b", (json_int_t)c->n_b);
		json_object_set_new(o, "mean_a", num(c->mean_a));
		json_object_set_new(o, "mean_b", num(c->mean_b));
		json_object_set_new(o, "change_pct", num(c->change_pct));
		json_object_set_new(o, "ratio", num(c->ratio.ratio));
		json_object_set_new(o, "ratio_low", num(c->ratio.low));
		json_object_set_new(o, "ratio_high", num(c->ratio.high));
		json_object_set_new(o, "verdict", json_string(verdict_name(c->verdict)));
		json_object_set_new(o, "why", opt_str(c->why));
		json_object_set_new(o, "regression", json_boolean(c->regression));
		json_array_append_new(cells, o);
	}
	for (size_t i = 0; i < d->nonly; i++) {
		const struct vb_diff_only *o = &d->only[i];
		char side[2] = { o->side, '\0' };
		json_t *e = json_object();
		json_object_set_new(e, "side", json_string(o->side == '=' ? "both" : side));
		json_object_set_new(e, "platform", opt_str(o->platform));
		json_object_set_new(e, "workload", opt_str(o->workload));
		json_object_set_new(e, "metric", opt_str(o->metric));
		json_object_set_new(e, "why", json_string(o->why));
		json_array_append_new(only, e);
	}
	json_t *doc = json_pack("{s:s, s:i, s:s, s:s}", "format", "virtbench-diff",
				"format_version", 1, "a", d->label_a, "b", d->label_b);
	json_object_set_new(doc, "tolerance_pct", num(d->tolerance_pct));
	json_object_set_new(doc, "counts",
			    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "cells",
				      n->cells, "better", n->better, "worse", n->worse,
				      "equivalent", n->equivalent, "inconclusive", n->inconclusive,
				      "regressions", n->regressions, "only_a", n->only_a, "only_b",
				      n->only_b, "mismatched", n->mismatched));
	json_object_set_new(doc, "host", fields_json(d->host, d->nhost));
	json_object_set_new(doc, "setup", fields_json(d->setup, d->nsetup));
	json_object_set_new(doc, "cells", cells);
	json_object_set_new(doc, "not_compared", only);
	return doc;
}

int vb_diff_baseline(json_t *current, const char *baseline_path, double tolerance_pct, FILE *out,
		     unsigned *regressions, struct vb_error **err)
{
	_cleanup_json_ json_t *base = NULL;
	struct vb_diff *d = NULL;
	*regressions = 0;
	int r = vb_result_doc_check(current, err);
	if (r)
		return vb_error_wrap(err, "the current run");
	r = vb_result_doc_load(baseline_path, &base, err);
	if (r)
		return vb_error_wrap(err, "baseline");
	r = vb_diff_compare(base, baseline_path, current, NULL, tolerance_pct, &d, err);
	if (r)
		return r;
	vb_diff_print(out, d);
	*regressions = d->counts.regressions;
	if (!d->counts.cells)
		r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				  "baseline %s: no platform x workload x metric in common with "
				  "this run",
				  baseline_path);
	vb_diff_free(d);
	return r;
}
