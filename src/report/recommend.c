/* SPDX-License-Identifier: MIT */
/* virtbench recommend: the platforms ranked for a workload profile (docs/recommend.md). */
#include <ctype.h>
#include <math.h>

#include "core/json.h"
#include "core/text.h"
#include "core/util.h"
#include "report/doc.h"
#include "report/recommend.h"
#include "virtbench/feature.h"

static const char *const criterion_names[VB_REC_NCRIT] = { "overhead", "operations", "isolation",
							   "footprint" };

const char *vb_rec_criterion_name(enum vb_rec_criterion c)
{
	return (unsigned)c < VB_REC_NCRIT ? criterion_names[c] : "?";
}

void vb_rec_default_weights(double w[VB_REC_NCRIT])
{
	w[VB_REC_OVERHEAD] = 4;
	w[VB_REC_OPS] = 2;
	w[VB_REC_ISOLATION] = 3;
	w[VB_REC_FOOTPRINT] = 1;
}

/* --for: a component and the workloads (names, or groups after '@') it stands for. */
static const struct component {
	const char *name;
	const char *workloads[5];
} components[] = {
	{ "web", { "app.nginx" } },
	{ "database", { "app.pgbench" } },
	{ "broker", { "mw.broker" } },
	{ "docstore", { "mw.docstore" } },
	{ "triplestore", { "mw.triplestore" } },
	{ "worker", { "mw.worker" } },
	{ "middleware", { "mw.broker", "mw.docstore", "mw.triplestore", "mw.worker" } },
	{ "cpu", { "@w1" } },
	{ "memory", { "@w2" } },
	{ "network", { "@w3" } },
	{ "disk", { "@w4" } },
	{ "system", { "@system" } },
};

static const struct component *component(const char *name)
{
	for (size_t i = 0; i < VB_ARRAY_SIZE(components); i++)
		if (!strcmp(components[i].name, name))
			return &components[i];
	return NULL;
}

bool vb_rec_component_known(const char *name)
{
	return component(name) != NULL;
}

const char *vb_rec_components(void)
{
	return "web, database, broker, docstore, triplestore, worker, middleware, cpu, memory, "
	       "network, disk, system";
}

const char *vb_rec_feature_id(const char *name)
{
	if (!strcmp(name, "custom-kernel"))
		return vb_feature_id(VB_FEATURE_KERNEL_UPDATES);
	for (int f = 0; f < VB_FEATURE_COUNT; f++)
		if (!strcmp(name, vb_feature_id((enum vb_feature)f)))
			return vb_feature_id((enum vb_feature)f);
	return NULL;
}

int vb_rec_weights_parse(const char *text, size_t len, double w[VB_REC_NCRIT],
			 struct vb_error **err)
{
	bool seen[VB_REC_NCRIT] = { false };
	unsigned lineno = 0;
	for (size_t at = 0; at < len;) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		at += n + 1;
		lineno++;
		_cleanup_free_ char *l = xstrndup(line, n);
		if (strlen(l) != n)
			return vb_error_set(err, -EINVAL, "weights line %u: a NUL byte", lineno);
		char *hash = strchr(l, '#');
		if (hash)
			*hash = '\0';
		char *s = l;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			return vb_error_set(err, -EINVAL,
					    "weights line %u: not CRITERION = NUMBER (criteria: "
					    "overhead, operations, isolation, footprint)",
					    lineno);
		char *end = eq;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		*end = '\0';
		int c = -1;
		for (int k = 0; k < VB_REC_NCRIT; k++)
			if (!strcmp(s, criterion_names[k]))
				c = k;
		if (c < 0)
			return vb_error_set(err, -EINVAL,
					    "weights line %u: unknown criterion '%.40s' (overhead, "
					    "operations, isolation, footprint)",
					    lineno, s);
		if (seen[c])
			return vb_error_set(err, -EINVAL, "weights line %u: %s given twice", lineno,
					    criterion_names[c]);
		char *num = eq + 1, *stop;
		while (isspace((unsigned char)*num))
			num++;
		errno = 0;
		double v = strtod(num, &stop);
		while (isspace((unsigned char)*stop))
			stop++;
		if (stop == num || *stop || errno || !isfinite(v) || v < 0 || v > 1e6)
			return vb_error_set(err, -EINVAL,
					    "weights line %u: %s's weight is not a number in 0 - "
					    "1000000",
					    lineno, criterion_names[c]);
		w[c] = v;
		seen[c] = true;
	}
	double sum = 0;
	for (int k = 0; k < VB_REC_NCRIT; k++)
		sum += w[k];
	if (!(sum > 0))
		return vb_error_set(err, -EINVAL, "weights: every weight is 0");
	return 0;
}

/* ---- reading the documents ---- */

static const json_t *doc_workload(const json_t *doc, const char *name)
{
	size_t i;
	const json_t *w;
	json_array_foreach(json_object_get(doc, "workloads"), i,
			   w) if (vb_html_is(w, "name", name)) return w;
	return NULL;
}

static bool relevant(const struct vb_rec_request *req, const json_t *w)
{
	const char *name = vb_html_str(w, "name"), *group = vb_html_str(w, "group");
	if (!name || (group && !strcmp(group, "aggressor")))
		return false;
	if (!req->components)
		return true;
	for (size_t i = 0; req->components[i]; i++) {
		const struct component *c = component(req->components[i]);
		for (size_t k = 0; c && k < VB_ARRAY_SIZE(c->workloads) && c->workloads[k]; k++) {
			const char *x = c->workloads[k];
			if (x[0] == '@' ? group && !strcmp(group, x + 1)
					: vb_doc_same_base(name, x))
				return true;
		}
	}
	return false;
}

/* ---- the platforms and the evidence ---- */

struct build {
	const struct vb_rec_request *req;
	struct vb_recommendation *r;
	size_t cap_p, cap_ev;
};

static struct vb_rec_platform *platform(struct build *b, const char *name, bool emu)
{
	struct vb_recommendation *r = b->r;
	for (size_t i = 0; i < r->np; i++)
		if (!strcmp(r->p[i].name, name)) {
			r->p[i].emulated |= emu;
			return &r->p[i];
		}
	if (r->np == b->cap_p)
		r->p = xrealloc(r->p, (b->cap_p = b->cap_p * 2 + 4) * sizeof(*r->p));
	r->p[r->np] = (struct vb_rec_platform){ .name = xstrdup(name), .emulated = emu };
	return &r->p[r->np++];
}

static void note_run(struct vb_recommendation *r, long long id)
{
	for (size_t i = 0; i < r->nruns; i++)
		if (r->runs[i] == id)
			return;
	r->runs = xrealloc(r->runs, (r->nruns + 1) * sizeof(*r->runs));
	r->runs[r->nruns++] = id;
}

/* Add e (its strings taken), replacing an earlier document's figure of the same cell. */
static void add_evidence(struct build *b, struct vb_rec_evidence *e)
{
	struct vb_recommendation *r = b->r;
	for (size_t i = 0; i < r->nev; i++) {
		struct vb_rec_evidence *o = &r->ev[i];
		if (o->criterion == e->criterion && !strcmp(o->platform, e->platform) &&
		    !strcmp(o->workload, e->workload) && !strcmp(o->metric, e->metric)) {
			free(o->platform);
			free(o->workload);
			free(o->metric);
			*o = *e;
			return;
		}
	}
	if (r->nev == b->cap_ev)
		r->ev = xrealloc(r->ev, (b->cap_ev = b->cap_ev * 2 + 16) * sizeof(*r->ev));
	r->ev[r->nev++] = *e;
}

/* A ratio as a factor, higher better: itself, or its inverse for a lower-is-better metric. */
/* Factors are kept within 10^-12 - 10^12: no infinity, no zero to take the log of. */
static double clamp_factor(double x)
{
	return isnan(x) ? NAN : fmin(fmax(x, 1e-12), 1e12);
}

/* An interval end that is a positive finite number, else NaN: unknown, never made up. */
static double end_of(double x)
{
	return x > 0 && isfinite(x) ? x : NAN;
}

/* A ratio as a factor, higher better: itself, or its inverse for a lower-is-better metric. */
static void orient(struct vb_rec_evidence *e, bool higher)
{
	double lo = end_of(e->low), hi = end_of(e->high);
	e->factor = clamp_factor(higher ? e->value : 1 / e->value);
	e->factor_low = clamp_factor(higher ? lo : 1 / hi);
	e->factor_high = clamp_factor(higher ? hi : 1 / lo);
}

static bool usable_ratio(const json_t *s)
{
	double r = vb_html_num(s, "ratio");
	return isfinite(r) && r >= 1e-9 && r <= 1e9;
}

/* Summary s's ratio (to the host, or to :alone) as evidence of criterion c. */
static void add_ratio(struct build *b, const json_t *doc, const json_t *s, enum vb_rec_criterion c,
		      bool higher)
{
	struct vb_rec_evidence e = { .criterion = c,
				     .run = vb_doc_run_id(doc),
				     .workload = xstrdup(vb_html_str(s, "workload")),
				     .metric = xstrdup(vb_html_str(s, "metric")),
				     .platform = xstrdup(vb_html_str(s, "platform")),
				     .kind = "ratio",
				     .value = vb_html_num(s, "ratio"),
				     .low = vb_html_num(s, "ratio_low"),
				     .high = vb_html_num(s, "ratio_high") };
	orient(&e, higher);
	add_evidence(b, &e);
	note_run(b->r, e.run);
}

/* compare and run: each summary's ratio to the host, for the profile's workloads. */
static void overhead_doc(struct build *b, const json_t *doc)
{
	if (!vb_doc_against_host(doc))
		return; /* ratios to something else than bare metal */
	size_t i;
	const json_t *s;
	json_array_foreach(json_object_get(doc, "summaries"), i, s)
	{
		const char *pn = vb_html_str(s, "platform"), *wn = vb_html_str(s, "workload"),
			   *mn = vb_html_str(s, "metric");
		const json_t *w = wn ? doc_workload(doc, wn) : NULL;
		int higher = w && mn ? vb_doc_higher_is_better(doc, wn, mn) : -1;
		if (!pn || !strcmp(pn, "host") || higher < 0 || !relevant(b->req, w) ||
		    !usable_ratio(s))
			continue;
		platform(b, pn, vb_doc_emulated(doc, pn));
		add_ratio(b, doc, s, VB_REC_OVERHEAD, higher);
	}
}

/* ops: the lifecycle's times and footprint, as means with their intervals. */
static void ops_doc(struct build *b, const json_t *doc)
{
	static const char *const times[] = { "provision_s", "boot_s", "reboot_s", "clone_s" };
	size_t i;
	const json_t *s;
	json_array_foreach(json_object_get(doc, "summaries"), i, s)
	{
		const char *pn = vb_html_str(s, "platform"), *mn = vb_html_str(s, "metric");
		if (!pn || !mn || !vb_html_is(s, "workload", "ops.lifecycle"))
			continue;
		enum vb_rec_criterion c = VB_REC_NCRIT;
		for (size_t k = 0; k < VB_ARRAY_SIZE(times); k++)
			if (!strcmp(mn, times[k]))
				c = VB_REC_OPS;
		if (!strcmp(mn, "footprint_bytes"))
			c = VB_REC_FOOTPRINT;
		double mean = vb_html_num(s, "mean");
		if (c == VB_REC_NCRIT || !(mean > 0) || !isfinite(mean))
			continue;
		platform(b, pn, vb_doc_emulated(doc, pn));
		struct vb_rec_evidence e = { .criterion = c,
					     .run = vb_doc_run_id(doc),
					     .workload = xstrdup("ops.lifecycle"),
					     .metric = xstrdup(mn),
					     .platform = xstrdup(pn),
					     .kind = "mean",
					     .value = mean,
					     .low = vb_html_num(s, "ci_low"),
					     .high = vb_html_num(s, "ci_high") };
		add_evidence(b, &e);
		note_run(b->r, e.run);
	}
}

/* isolation: each victim's slowdown ratio under no policy and under each policy. */
static void isolation_doc(struct build *b, const json_t *doc)
{
	size_t i;
	const json_t *s;
	json_array_foreach(json_object_get(doc, "summaries"), i, s)
	{
		const char *pn = vb_html_str(s, "platform"), *wn = vb_html_str(s, "workload"),
			   *mn = vb_html_str(s, "metric");
		const char *colon = pn ? strchr(pn, ':') : NULL;
		const json_t *w = wn ? doc_workload(doc, wn) : NULL;
		int higher = w && mn ? vb_doc_higher_is_better(doc, wn, mn) : -1;
		if (!colon || strncmp(colon, ":noisy", 6) || higher < 0 || !usable_ratio(s))
			continue;
		const char *g = vb_html_str(w, "group");
		if (g && !strcmp(g, "aggressor"))
			continue;
		_cleanup_free_ char *base = xstrndup(pn, (size_t)(colon - pn));
		if (!strcmp(base, "host"))
			continue; /* bare metal is the reference, not a candidate */
		platform(b, base, vb_doc_emulated(doc, pn));
		add_ratio(b, doc, s, VB_REC_ISOLATION, higher);
	}
}

/* The latest value of feature id for platform in the documents; NULL: none recorded. */
static const char *feature_value(json_t *const *docs, size_t n, const char *platform,
				 const char *id, long long *run)
{
	const char *v = NULL;
	for (size_t d = 0; d < n; d++) {
		size_t i;
		const json_t *f;
		json_array_foreach(json_object_get(docs[d], "features"), i, f)
		{
			if (!vb_html_is(f, "platform", platform) || !vb_html_is(f, "feature", id))
				continue;
			const json_t *val = json_object_get(f, "value");
			v = json_is_string(val)	 ? json_string_value(val)
			    : json_is_true(val)	 ? "yes"
			    : json_is_false(val) ? "no"
						 : "unknown";
			*run = vb_doc_run_id(docs[d]);
		}
	}
	return v;
}

/* ---- the criteria ---- */

/* e's platform without an isolation condition: "container" of "container:noisy+pin". */
static size_t base_len(const struct vb_rec_evidence *e)
{
	const char *colon = strchr(e->platform, ':');
	return colon ? (size_t)(colon - e->platform) : strlen(e->platform);
}

static bool is_base(const struct vb_rec_evidence *e, const char *platform)
{
	size_t n = base_len(e);
	return strlen(platform) == n && !strncmp(e->platform, platform, n);
}

/* Index of the evidence by (criterion, workload, metric, platform): sorted, for bsearch. */
struct cell_key {
	int c;
	const char *w, *m, *p; /* p: the platform, its condition included */
	size_t np;	       /* how much of p is the base platform */
};

static int key_cmp(const struct cell_key *a, const struct cell_key *b)
{
	int d = a->c - b->c;
	if (!d)
		d = strcmp(a->w, b->w);
	if (!d)
		d = strcmp(a->m, b->m);
	if (!d) {
		size_t n = a->np < b->np ? a->np : b->np;
		d = strncmp(a->p, b->p, n);
		if (!d)
			d = (a->np > b->np) - (a->np < b->np);
	}
	return d;
}

static int key_sort(const void *x, const void *y)
{
	return key_cmp(x, y);
}

struct index {
	struct cell_key *k;
	size_t n;
};

/* exact: keyed by the whole platform name ("container:noisy+pin"), else by its base. */
static void index_build(struct index *ix, const struct vb_recommendation *r, bool exact)
{
	ix->k = xcalloc(r->nev + 1, sizeof(*ix->k));
	ix->n = r->nev;
	for (size_t i = 0; i < r->nev; i++)
		ix->k[i] =
		    (struct cell_key){ r->ev[i].criterion, r->ev[i].workload, r->ev[i].metric,
				       r->ev[i].platform,
				       exact ? strlen(r->ev[i].platform) : base_len(&r->ev[i]) };
	qsort(ix->k, ix->n, sizeof(*ix->k), key_sort);
}

/* Is there a figure of (criterion, workload, metric) for the platform (any condition)? */
static bool has_cell(const struct index *ix, int c, const char *w, const char *m, const char *p)
{
	struct cell_key k = { c, w, m, p, strlen(p) };
	return bsearch(&k, ix->k, ix->n, sizeof(*ix->k), key_sort) != NULL;
}

/* A candidate: ranked unless excluded already (emulated, a required feature). */
static bool candidate(const struct vb_rec_platform *p)
{
	return !p->excluded;
}

static bool has_any(const struct vb_recommendation *r, int c, const char *platform)
{
	for (size_t k = 0; k < r->nev; k++)
		if ((int)r->ev[k].criterion == c && is_base(&r->ev[k], platform))
			return true;
	return false;
}

/*
 * Which figures of criterion c count: those every candidate with figures
 * of c has (a platform measured on fewer workloads is not compared on
 * others). When none is shared, the candidate with the fewest figures
 * leaves the criterion (unknown for it) and the rest try again.
 */
static void settle(struct vb_recommendation *r, const struct index *ix, int c, bool *in)
{
	for (size_t i = 0; i < r->np; i++)
		in[i] = candidate(&r->p[i]) && has_any(r, c, r->p[i].name);
	for (;;) {
		size_t used = 0, members = 0;
		for (size_t i = 0; i < r->np; i++)
			members += in[i];
		for (size_t e = 0; e < r->nev; e++) {
			struct vb_rec_evidence *ev = &r->ev[e];
			if ((int)ev->criterion != c)
				continue;
			bool mine = false, all = true;
			for (size_t i = 0; i < r->np; i++) {
				if (!in[i])
					continue;
				mine |= is_base(ev, r->p[i].name);
				all =
				    all && has_cell(ix, c, ev->workload, ev->metric, r->p[i].name);
			}
			ev->used = mine && all;
			used += ev->used;
		}
		if (used || members < 2)
			return;
		size_t worst = r->np, fewest = SIZE_MAX;
		for (size_t i = 0; i < r->np; i++) {
			size_t n = 0;
			for (size_t e = 0; in[i] && e < r->nev; e++)
				n += (int)r->ev[e].criterion == c &&
				     is_base(&r->ev[e], r->p[i].name);
			if (in[i] && n < fewest) {
				fewest = n;
				worst = i;
			}
		}
		in[worst] = false;
	}
}

struct acc {
	double log, low, high;
	size_t n;
};

static void acc_add(struct acc *a, double f, double lo, double hi)
{
	a->log += log(f);
	a->low += log(lo); /* NaN (no interval) stays NaN: the ends are unknown */
	a->high += log(hi);
	a->n++;
}

/* Times and footprint: against the smallest mean of all platforms, per metric. */
static void relative_to_best(struct vb_recommendation *r, enum vb_rec_criterion c)
{
	for (size_t i = 0; i < r->nev; i++) {
		struct vb_rec_evidence *e = &r->ev[i];
		if (e->criterion != c)
			continue;
		double best = INFINITY;
		for (size_t k = 0; k < r->nev; k++)
			if (r->ev[k].criterion == c && !strcmp(r->ev[k].metric, e->metric))
				best = fmin(best, r->ev[k].value);
		e->factor = clamp_factor(best / e->value);
		e->factor_low = clamp_factor(best / end_of(e->high));
		e->factor_high = clamp_factor(best / end_of(e->low));
	}
}

/*
 * An isolation condition ("+pin") every candidate with isolation figures
 * measured this victim metric under: a policy counts only where all were
 * measured under it, so no platform wins by having tried more.
 */
static bool shared_policy(const struct vb_recommendation *r, const struct index *exact,
			  const bool *in, const struct vb_rec_evidence *o)
{
	const char *cond = o->platform + base_len(o); /* ":noisy+pin" */
	for (size_t i = 0; i < r->np; i++) {
		if (!in[i])
			continue;
		_cleanup_free_ char *name = xasprintf("%s%s", r->p[i].name, cond);
		struct cell_key k = { VB_REC_ISOLATION, o->workload, o->metric, name,
				      strlen(name) };
		if (!bsearch(&k, exact->k, exact->n, sizeof(*exact->k), key_sort))
			return false;
	}
	return true;
}

/* A platform's factor for a criterion: the geometric mean over the figures that count. */
static void criterion_factor(struct vb_recommendation *r, const struct index *exact,
			     struct vb_rec_platform *p, enum vb_rec_criterion c, const bool *in)
{
	struct acc a = { 0 };
	if (c == VB_REC_ISOLATION) {
		/*
		 * Per victim metric: the slowdown with no policy and under the
		 * shared policy that held it best, together (their geometric mean).
		 */
		_cleanup_free_ char *noisy = xasprintf("%s:noisy", p->name);
		for (size_t i = 0; i < r->nev; i++) {
			const struct vb_rec_evidence *e = &r->ev[i];
			if (e->criterion != c || strcmp(e->platform, noisy) || !e->used)
				continue;
			const struct vb_rec_evidence *best = e;
			for (size_t k = 0; k < r->nev; k++) {
				const struct vb_rec_evidence *o = &r->ev[k];
				if (o->criterion == c && is_base(o, p->name) && o != e &&
				    !strcmp(o->workload, e->workload) &&
				    !strcmp(o->metric, e->metric) && o->factor > best->factor &&
				    shared_policy(r, exact, in, o))
					best = o;
			}
			acc_add(&a, sqrt(e->factor * best->factor),
				sqrt(e->factor_low * best->factor_low),
				sqrt(e->factor_high * best->factor_high));
		}
	} else {
		for (size_t i = 0; i < r->nev; i++) {
			const struct vb_rec_evidence *e = &r->ev[i];
			if (e->criterion == c && !strcmp(e->platform, p->name) && e->used)
				acc_add(&a, e->factor, e->factor_low, e->factor_high);
		}
	}
	p->known[c] = a.n > 0;
	if (a.n) {
		p->factor[c] = exp(a.log / (double)a.n);
		p->low[c] = exp(a.low / (double)a.n);
		p->high[c] = exp(a.high / (double)a.n);
	}
}

/* Best first; a score that is not a number (there is none) after every number. */
static int by_score(const void *a, const void *b)
{
	const struct vb_rec_platform *x = a, *y = b;
	if (!x->excluded != !y->excluded)
		return x->excluded ? 1 : -1;
	if (!x->excluded && x->score != y->score) {
		if (isnan(x->score) != isnan(y->score))
			return isnan(x->score) ? 1 : -1;
		if (!isnan(x->score))
			return x->score > y->score ? -1 : 1;
	}
	return strcmp(x->name, y->name);
}

static void set_profile(struct vb_recommendation *r, const struct vb_rec_request *req)
{
	if (!req->components) {
		r->profile = xstrdup("every measured workload");
		return;
	}
	char *s = xstrdup("");
	for (size_t i = 0; req->components[i]; i++) {
		char *next = xasprintf("%s%s%s", s, i ? ", " : "", req->components[i]);
		free(s);
		s = next;
	}
	r->profile = s;
}

/* Leave out what cannot be a candidate: emulated platforms, those without a required feature. */
static void exclude(struct vb_recommendation *out, json_t *const *docs, size_t ndocs,
		    const struct vb_rec_request *req)
{
	for (size_t i = 0; i < out->np; i++) {
		struct vb_rec_platform *p = &out->p[i];
		if (p->emulated)
			p->excluded = xstrdup("emulated (TCG): its figures are emulation's, not a "
					      "hypervisor's");
		for (size_t k = 0; req->require && req->require[k] && !p->excluded; k++) {
			long long run = 0;
			const char *v = feature_value(docs, ndocs, p->name, req->require[k], &run);
			_cleanup_free_ char *pv = v ? vb_printable(v) : NULL;
			if (!v)
				p->excluded = xasprintf("%s: unknown (no features run names it)",
							req->require[k]);
			else if (strcmp(v, "yes"))
				p->excluded = xasprintf("%s: %s (features run %lld)",
							req->require[k], pv, run);
		}
	}
}

int vb_recommend(json_t *const *docs, size_t ndocs, const struct vb_rec_request *req,
		 struct vb_recommendation *out, struct vb_error **err)
{
	*out = (struct vb_recommendation){ 0 };
	struct build b = { .req = req, .r = out };
	memcpy(out->weights, req->weights, sizeof(out->weights));
	set_profile(out, req);
	for (size_t d = 0; d < ndocs; d++) {
		const char *x = vb_doc_experiment(docs[d]);
		if (!strcmp(x, "compare") || !strcmp(x, "run"))
			overhead_doc(&b, docs[d]);
		else if (!strcmp(x, "ops"))
			ops_doc(&b, docs[d]);
		else if (!strcmp(x, "isolation"))
			isolation_doc(&b, docs[d]);
		if (json_array_size(json_object_get(docs[d], "features")))
			note_run(out, vb_doc_run_id(docs[d]));
	}
	/* A profile asked for whose workloads no run measured: nothing to say of it. */
	bool overhead_seen = false;
	for (size_t i = 0; i < out->nev; i++)
		overhead_seen |= out->ev[i].criterion == VB_REC_OVERHEAD;
	if (req->components && req->weights[VB_REC_OVERHEAD] > 0 && !overhead_seen) {
		int r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				      "recommend: no compare or run here measured %s against the "
				      "host",
				      out->profile);
		vb_recommendation_release(out);
		return r;
	}
	relative_to_best(out, VB_REC_OPS);
	relative_to_best(out, VB_REC_FOOTPRINT);
	exclude(out, docs, ndocs, req);
	bool any = false, weighted = false;
	for (int c = 0; c < VB_REC_NCRIT; c++) {
		weighted |= req->weights[c] > 0;
		for (size_t i = 0; i < out->nev && req->weights[c] > 0; i++)
			any |= (int)out->ev[i].criterion == c;
	}
	if (!any) {
		int r =
		    vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				  "recommend: these runs hold nothing to rank platforms by%s "
				  "(%s)",
				  req->components ? " for this profile" : "",
				  weighted ? "no compare or run with the host as baseline, no ops, "
					     "no isolation run"
					   : "every weight is 0");
		vb_recommendation_release(out);
		return r;
	}
	struct index ix, exact;
	index_build(&ix, out, false);
	index_build(&exact, out, true);
	bool *in = xcalloc(out->np + 1, sizeof(bool));
	/*
	 * The figures that count depend on who is a candidate, and a candidate
	 * without a used criterion leaves: again until no one leaves.
	 */
	for (size_t round = 0; round <= out->np; round++) {
		for (size_t i = 0; i < out->np; i++)
			memset(out->p[i].known, 0, sizeof(out->p[i].known));
		for (int c = 0; c < VB_REC_NCRIT; c++) {
			settle(out, &ix, c, in);
			for (size_t i = 0; i < out->np; i++)
				if (candidate(&out->p[i]))
					criterion_factor(out, &exact, &out->p[i],
							 (enum vb_rec_criterion)c, in);
		}
		/* A criterion is used when it is weighted and measured on some candidate. */
		for (int c = 0; c < VB_REC_NCRIT; c++) {
			bool known = false;
			for (size_t i = 0; i < out->np; i++)
				known |= candidate(&out->p[i]) && out->p[i].known[c];
			out->used[c] = known && req->weights[c] > 0;
		}
		size_t left = 0;
		for (size_t i = 0; i < out->np; i++) {
			struct vb_rec_platform *p = &out->p[i];
			for (int c = 0; c < VB_REC_NCRIT && !p->excluded; c++)
				if (out->used[c] && !p->known[c]) {
					p->excluded = xasprintf(
					    has_any(out, c, p->name)
						? "%s: unknown (measured on it, but on none of the "
						  "workloads the others were)"
						: "%s: unknown (not measured on it)",
					    criterion_names[c]);
					left++;
				}
		}
		if (!left)
			break;
	}
	free(in);
	free(ix.k);
	free(exact.k);
	for (int c = 0; c < VB_REC_NCRIT; c++)
		if (!out->used[c])
			out->unused_why[c] = xstrdup(
			    req->weights[c] > 0 ? "not measured on a candidate" : "weight 0");
	for (size_t i = 0; i < out->np; i++) {
		struct vb_rec_platform *p = &out->p[i];
		if (p->excluded)
			continue;
		double w = 0, sc = 0, lo = 0, hi = 0;
		for (int c = 0; c < VB_REC_NCRIT; c++)
			if (out->used[c]) {
				w += req->weights[c];
				sc += req->weights[c] * log(p->factor[c]);
				lo += req->weights[c] * log(p->low[c]);
				hi += req->weights[c] * log(p->high[c]);
			}
		if (!(w > 0))
			continue; /* nothing used: no candidate was measured on anything */
		p->score = exp(sc / w);
		p->score_low = exp(lo / w);
		p->score_high = exp(hi / w);
		out->nranked++;
	}
	if (!out->nranked)
		for (size_t i = 0; i < out->np; i++)
			if (!out->p[i].excluded)
				out->p[i].excluded = xstrdup("nothing weighted was measured on it");
	qsort(out->p, out->np, sizeof(*out->p), by_score);
	/* Scores against the first's point: the best is 1. */
	double top = out->nranked ? out->p[0].score : 1;
	for (size_t i = 0; i < out->nranked; i++) {
		out->p[i].score /= top;
		out->p[i].score_low /= top;
		out->p[i].score_high /= top;
	}
	/* Unknown ends (NaN) never make a lead robust. */
	for (size_t i = 0; i + 1 < out->nranked; i++)
		out->p[i].close_to_next = !(out->p[i].score_low > out->p[i + 1].score_high);
	out->robust = out->nranked > 1 && !out->p[0].close_to_next;
	return 0;
}

void vb_recommendation_release(struct vb_recommendation *r)
{
	for (size_t i = 0; i < r->np; i++) {
		free(r->p[i].name);
		free(r->p[i].excluded);
	}
	for (size_t i = 0; i < r->nev; i++) {
		free(r->ev[i].workload);
		free(r->ev[i].metric);
		free(r->ev[i].platform);
	}
	for (int c = 0; c < VB_REC_NCRIT; c++)
		free(r->unused_why[c]);
	free(r->p);
	free(r->ev);
	free(r->runs);
	free(r->profile);
	*r = (struct vb_recommendation){ 0 };
}

/* ---- output ---- */

static const char *label(const struct vb_rec_platform *p, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", p->name, p->emulated ? " (emulated)" : "");
	return buf;
}

/* "[0.893, 1.120]", or "[no interval]" where an end is unknown. */
static const char *ends_text(double lo, double hi, char *buf, size_t n)
{
	if (isfinite(lo) && isfinite(hi))
		snprintf(buf, n, "[%.3f, %.3f]", lo, hi);
	else
		snprintf(buf, n, "[no interval]");
	return buf;
}

static void print_runs(FILE *f, const struct vb_recommendation *r)
{
	for (size_t i = 0; i < r->nruns; i++)
		fprintf(f, "%s%lld", i ? ", " : "", r->runs[i]);
}

char *vb_recommendation_answer(const struct vb_recommendation *r)
{
	char a[128], b[128];
	if (!r->nranked)
		return xstrdup("no platform has every figure and feature asked for");
	if (r->nranked == 1)
		return xasprintf("%s: the only platform with every figure and feature asked for",
				 label(&r->p[0], a, sizeof(a)));
	return xasprintf("%s, %s: its lead over %s holds %s", label(&r->p[0], a, sizeof(a)),
			 r->robust ? "robust" : "close", label(&r->p[1], b, sizeof(b)),
			 r->robust ? "at both ends of the intervals"
				   : "at the point estimates only, not at both ends of the "
				     "intervals");
}

void vb_recommendation_print(FILE *f, const struct vb_recommendation *r)
{
	char a[128];
	fprintf(f, "recommendation for %s (runs ", r->profile);
	print_runs(f, r);
	_cleanup_free_ char *answer = vb_recommendation_answer(r);
	fprintf(f, "):\n  %s\n", answer);
	fputs("\nranking (score: weighted geometric mean of the criteria, the first = 1; "
	      "[at the intervals' ends]):\n",
	      f);
	for (size_t i = 0; i < r->nranked; i++) {
		const struct vb_rec_platform *p = &r->p[i];
		char ends[64];
		fprintf(f, "  %zu. %-24s %.3f %s%s\n", i + 1, label(p, a, sizeof(a)), p->score,
			ends_text(p->score_low, p->score_high, ends, sizeof(ends)),
			p->close_to_next ? "  close to the next" : "");
	}
	for (size_t i = r->nranked; i < r->np; i++)
		fprintf(f, "  -  %-24s not ranked: %s\n", label(&r->p[i], a, sizeof(a)),
			r->p[i].excluded);
	fputs("\ncriteria (weight; factor per platform, higher is better):\n", f);
	for (int c = 0; c < VB_REC_NCRIT; c++) {
		fprintf(f, "  %-10s %g: ", criterion_names[c], r->weights[c]);
		if (!r->used[c]) {
			fprintf(f, "not used (%s)\n", r->unused_why[c]);
			continue;
		}
		for (size_t i = 0; i < r->np; i++) {
			const struct vb_rec_platform *p = &r->p[i];
			char ends[64];
			if (p->known[c])
				fprintf(f, "%s%s %.3f %s", i ? "; " : "", p->name, p->factor[c],
					ends_text(p->low[c], p->high[c], ends, sizeof(ends)));
			else
				fprintf(f, "%s%s unknown", i ? "; " : "", p->name);
		}
		fputc('\n', f);
	}
	fputs("\nevidence (run, workload, metric, platform: stored figure [95% interval]):\n", f);
	for (int c = 0; c < VB_REC_NCRIT; c++)
		for (size_t i = 0; i < r->nev; i++) {
			const struct vb_rec_evidence *e = &r->ev[i];
			if ((int)e->criterion != c)
				continue;
			fprintf(f, "  %-10s run %lld %s %s %s: %s %.4g [%.4g, %.4g]%s\n",
				criterion_names[c], e->run, e->workload, e->metric, e->platform,
				e->kind, e->value, e->low, e->high,
				e->used ? "" : " (not counted: not on every candidate)");
		}
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *vb_recommendation_json(const struct vb_recommendation *r)
{
	json_t *doc = json_object(), *ranking = json_array(), *unranked = json_array(),
	       *crit = json_object(), *ev = json_array(), *runs = json_array();
	for (size_t i = 0; i < r->nruns; i++)
		json_array_append_new(runs, json_integer(r->runs[i]));
	for (size_t i = 0; i < r->np; i++) {
		const struct vb_rec_platform *p = &r->p[i];
		json_t *o = json_pack("{s:s, s:b}", "platform", p->name, "emulated", p->emulated);
		if (p->excluded) {
			json_object_set_new(o, "why", json_string(p->excluded));
			json_array_append_new(unranked, o);
			continue;
		}
		json_object_set_new(o, "score", num(p->score));
		json_object_set_new(o, "score_low", num(p->score_low));
		json_object_set_new(o, "score_high", num(p->score_high));
		json_object_set_new(o, "close_to_next", json_boolean(p->close_to_next));
		json_t *f = json_object();
		for (int c = 0; c < VB_REC_NCRIT; c++)
			if (r->used[c])
				json_object_set_new(
				    f, criterion_names[c],
				    json_pack("{s:o, s:o, s:o}", "factor", num(p->factor[c]), "low",
					      num(p->low[c]), "high", num(p->high[c])));
		json_object_set_new(o, "criteria", f);
		json_array_append_new(ranking, o);
	}
	for (int c = 0; c < VB_REC_NCRIT; c++) {
		json_t *o = json_pack("{s:f, s:b}", "weight", r->weights[c], "used", r->used[c]);
		if (!r->used[c])
			json_object_set_new(o, "why", json_string(r->unused_why[c]));
		json_object_set_new(crit, criterion_names[c], o);
	}
	for (size_t i = 0; i < r->nev; i++) {
		const struct vb_rec_evidence *e = &r->ev[i];
		json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "criterion",
				      criterion_names[e->criterion], "run", (json_int_t)e->run,
				      "workload", e->workload, "metric", e->metric, "platform",
				      e->platform, "kind", e->kind);
		json_object_set_new(o, "value", num(e->value));
		json_object_set_new(o, "low", num(e->low));
		json_object_set_new(o, "high", num(e->high));
		json_object_set_new(o, "used", json_boolean(e->used));
		json_array_append_new(ev, o);
	}
	json_object_set_new(doc, "profile", json_string(r->profile));
	json_object_set_new(doc, "runs", runs);
	json_object_set_new(doc, "first", r->nranked ? json_string(r->p[0].name) : json_null());
	/* Robust or close needs two ranked platforms: null with fewer. */
	json_object_set_new(doc, "robust", r->nranked > 1 ? json_boolean(r->robust) : json_null());
	json_object_set_new(doc, "ranking", ranking);
	json_object_set_new(doc, "not_ranked", unranked);
	json_object_set_new(doc, "criteria", crit);
	json_object_set_new(doc, "evidence", ev);
	return doc;
}
