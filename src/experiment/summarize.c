/* SPDX-License-Identifier: MIT */
/*
 * The one place statistics are applied to a run's stored samples: for
 * every cell its summary, outlier flags, ratio to the baseline with its
 * interval and verdict, and with fresh guests (--instances) the interval
 * across instances and the variance components. The store only reads and
 * writes; run, show, report and diff read what this wrote (diff applies
 * the same src/stats/ functions to two runs' raw samples).
 */
#include <math.h>

#include "core/util.h"
#include "experiment/experiment.h"

/*
 * A cell replicated over fresh guests: its instances' geometric means
 * (allocated), how many, and the variance components. Zero instances when
 * the samples cannot be logged (then the samples decide).
 */
static size_t cell_instances(const struct vb_cell_samples *c, double **means, double *within,
			     double *between)
{
	*means = xcalloc(c->n ? c->n : 1, sizeof(**means));
	return vb_stats_instances(c->v, c->inst, c->n, *means, within, between);
}

/*
 * One cell: summary, flags, ratio against the baseline's cell (base_id -1:
 * none) into *x; stored by the caller once the platform's verdicts are
 * judged together.
 */
static int summarize_cell(struct vb_store *db, int64_t run_id, const struct vb_store_cell *cell,
			  int64_t base_id, double equivalence, struct vb_summary_record *x,
			  struct vb_error **err)
{
	struct vb_cell_samples c = { 0 }, bc = { 0 };
	_cleanup_free_ double *means = NULL, *bmeans = NULL;
	_cleanup_free_ bool *out = NULL;
	double bw, bb;
	*x = (struct vb_summary_record){
		.run_id = run_id,
		.platform_id = cell->platform_id,
		.workload_id = cell->workload_id,
		.metric = cell->metric,
		.ratio = { NAN, NAN, NAN, NAN },
		.verdict = VB_VERDICT_NONE,
		.var_within = NAN,
		.var_between = NAN,
	};
	int r = vb_store_cell_samples(db, run_id, cell->platform_id, cell->workload_id,
				      cell->metric, &c, err);
	if (r || c.n == 0)
		goto done;
	vb_stats_summarize(c.v, c.n, &x->s);
	/*
	 * Over fresh guests (--instances) the instance is the unit: the
	 * interval of the typical value is over the instances' means.
	 */
	size_t k = cell_instances(&c, &means, &x->var_within, &x->var_between);
	x->instances = k ? (unsigned)k : 1;
	if (k > 1) {
		struct vb_summary is;
		vb_stats_summarize(means, k, &is);
		x->s.ci_low = is.ci_low;
		x->s.ci_high = is.ci_high;
		x->s.ci_rel = is.ci_rel;
	}
	out = xcalloc(c.n, sizeof(*out));
	/* Below 5 samples the median absolute deviation says nothing: flag none. */
	x->outliers = c.n >= 5 ? vb_stats_mad_outliers(c.v, c.n, 3.5, out) : 0;
	r = vb_store_flag_outliers(db, cell->metric, c.ids, out, c.n, err);
	if (!r && base_id >= 0 && cell->platform_id != base_id) {
		r = vb_store_cell_samples(db, run_id, base_id, cell->workload_id, cell->metric, &bc,
					  err);
		size_t bk = r ? 0 : cell_instances(&bc, &bmeans, &bw, &bb);
		if (!r && k > 1 && bk > 1)
			vb_stats_ratio_interval(means, k, bmeans, bk, &x->ratio);
		else if (!r && bc.n > 0)
			vb_stats_ratio_interval(c.v, c.n, bc.v, bc.n, &x->ratio);
		if (!r && bc.n > 0)
			x->verdict =
			    vb_stats_verdict(&x->ratio, cell->higher_is_better, equivalence);
	}
done:
	vb_cell_samples_free(&c);
	vb_cell_samples_free(&bc);
	return r;
}

/*
 * A platform's verdicts are judged together (vb_stats_family_verdicts):
 * the chance of any false faster/slower among its cells stays at 5 %.
 * Cells are in platform order, so each platform's are consecutive.
 */
static void family_verdicts(const struct vb_store_cell *cells, struct vb_summary_record *x,
			    size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i, m = 0;
		while (j < n && cells[j].platform_id == cells[i].platform_id)
			j++;
		struct vb_ratio *ratios = xcalloc(j - i + 1, sizeof(*ratios));
		enum vb_verdict *verdicts = xcalloc(j - i + 1, sizeof(*verdicts));
		size_t *at = xcalloc(j - i + 1, sizeof(*at));
		for (size_t k = i; k < j; k++)
			if (x[k].verdict != VB_VERDICT_NONE) {
				ratios[m] = x[k].ratio;
				verdicts[m] = x[k].verdict;
				at[m++] = k;
			}
		vb_stats_family_verdicts(ratios, verdicts, m);
		for (size_t k = 0; k < m; k++)
			x[at[k]].verdict = verdicts[k];
		free(ratios);
		free(verdicts);
		free(at);
		i = j;
	}
}

int vb_summarize_run(struct vb_store *db, int64_t run_id, const char *baseline, double equivalence,
		     struct vb_error **err)
{
	struct vb_store_cell *cells = NULL;
	size_t n = 0;
	int r = vb_store_begin(db, err);
	if (r)
		return r;
	r = vb_store_cells(db, run_id, &cells, &n, err);
	int64_t base_id = vb_store_platform_id(db, run_id, baseline);
	struct vb_summary_record *x = xcalloc(n ? n : 1, sizeof(*x));
	for (size_t i = 0; i < n && !r; i++)
		r = summarize_cell(db, run_id, &cells[i], base_id, equivalence, &x[i], err);
	if (!r)
		family_verdicts(cells, x, n);
	/* Cells without measured samples get no summary. */
	for (size_t i = 0; i < n && !r; i++)
		if (x[i].s.n > 0)
			r = vb_store_put_summary(db, &x[i], err);
	free(x);
	vb_store_cells_free(cells, n);
	if (r) {
		vb_store_rollback(db);
		return r;
	}
	return vb_store_commit(db, err);
}
