/* SPDX-License-Identifier: MIT */
/*
 * The overhead experiment: every workload on every platform, interleaved
 * round by round (xA xB yA yB ...), warm-up rounds discarded, each platform
 * sampling a workload until its ratio to the baseline is precise or
 * decisive (the budget goes where the doubt is), over one or more fresh
 * guests per platform. A plan on the session (session.h): every sample is
 * committed to the store the moment it arrives.
 */
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/session.h"

/* Measured values per platform × workload, for the stopping rule. */
struct cell {
	size_t n, cap;
	double **vals; /* [metric][n] */
};

static const char *platform_label(const struct vb_run_config *cfg, size_t p)
{
	return cfg->labels && cfg->labels[p] ? cfg->labels[p] : cfg->platforms[p]->name;
}

static const struct vb_guest_spec *platform_spec(const struct vb_run_config *cfg, size_t p)
{
	return cfg->specs ? &cfg->specs[p] : &cfg->spec;
}

/* The baseline the ratios are against: host when it runs, else the first platform. */
static size_t baseline_index(const struct vb_run_config *cfg)
{
	for (size_t p = 0; p < cfg->nplatforms; p++)
		if (!strcmp(platform_label(cfg, p), "host"))
			return p;
	return 0;
}

static char *config_json(const struct vb_run_config *cfg)
{
	_cleanup_json_ json_t *o = json_object();
	json_t *p = json_array();
	for (size_t i = 0; i < cfg->nplatforms; i++)
		json_array_append_new(p, json_string(platform_label(cfg, i)));
	json_object_set_new(o, "platforms", p);
	json_t *w = json_array();
	for (size_t i = 0; i < cfg->nworkloads; i++)
		json_array_append_new(w, json_string(vb_run_workload_name(&cfg->workloads[i])));
	json_object_set_new(o, "workloads", w);
	json_object_set_new(o, "profile",
			    json_string(cfg->profile == VB_PROFILE_FULL ? "full" : "quick"));
	json_object_set_new(o, "warmup", json_integer(cfg->warmup));
	json_object_set_new(o, "min_runs", json_integer(cfg->rule.min_runs));
	json_object_set_new(o, "max_runs", json_integer(cfg->rule.max_runs));
	json_object_set_new(o, "ci_target", json_real(cfg->rule.ci_target));
	json_object_set_new(o, "instances", json_integer(cfg->instances > 1 ? cfg->instances : 1));
	json_object_set_new(
	    o, "stop_rule",
	    json_string(cfg->instances > 1
			    ? "fixed: ceil(max_runs / instances) measured rounds per instance"
			    : "per platform: the ratio's 95% half-width within ci_target, or its "
			      "99.5% interval beyond 1 +- 25%, or max_runs"));
	json_object_set_new(o, "time_budget_s", json_real(cfg->time_budget_s));
	json_object_set_new(o, "job_timeout_s", json_real(cfg->job_timeout_s));
	json_object_set_new(o, "baseline", json_string(platform_label(cfg, baseline_index(cfg))));
	json_object_set_new(o, "ratio_interval",
			    json_string("95% Welch t on log samples (ratio of geometric means)"));
	json_object_set_new(o, "equivalence", json_real(cfg->equivalence));
	json_object_set_new(o, "order",
			    json_string("rounds; per workload every platform in order"));
	return vb_json_line(o);
}

/* Has platform p's cell of workload wi met the stop rule on every metric? */
static bool cell_done(const struct vb_run_config *cfg, struct cell **cells, size_t wi, size_t p,
		      size_t base)
{
	size_t nm = vb_workload_nmetrics(cfg->workloads[wi].w);
	const struct cell *c = &cells[p][wi], *b = &cells[base][wi];
	if (c->n == 0)
		return false;
	for (size_t m = 0; m < nm; m++) {
		if (p != base) {
			if (!vb_stats_compare_done(&cfg->rule, c->vals[m], c->n, b->vals[m], b->n))
				return false;
			continue;
		}
		struct vb_summary s;
		vb_stats_summarize(c->vals[m], c->n, &s);
		if (!vb_stats_cell_done(&cfg->rule, &s))
			return false;
	}
	return true;
}

/*
 * After a measured round of workload wi: the budget goes where the doubt
 * is. A platform whose ratio to the baseline is precise, or decisively far
 * from 1, stops (vb_stats_compare_done); the others keep sampling,
 * interleaved, and the baseline samples for as long as any of them does.
 * Alone, a platform stops on its own mean's interval. Returns whether every
 * cell of wi is done.
 */
static bool mark_cells(const struct vb_run_config *cfg, struct cell **cells, size_t wi,
		       struct vb_sched *sched)
{
	size_t base = baseline_index(cfg);
	bool others = true;
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		if (p == base || vb_sched_cell_done(sched, (unsigned)wi, (unsigned)p))
			continue;
		if (cell_done(cfg, cells, wi, p, base))
			vb_sched_mark_cell_done(sched, (unsigned)wi, (unsigned)p);
		else
			others = false;
	}
	bool alone = cfg->nplatforms == 1;
	if ((!alone && others) || cells[base][wi].n >= cfg->rule.max_runs ||
	    (alone && cell_done(cfg, cells, wi, base, base)))
		vb_sched_mark_cell_done(sched, (unsigned)wi, (unsigned)base);
	return vb_sched_cell_done(sched, (unsigned)wi, (unsigned)base) && others;
}

static void cell_add(struct cell *c, size_t nm, const double *values)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		for (size_t m = 0; m < nm; m++)
			c->vals[m] = xrealloc(c->vals[m], c->cap * sizeof(double));
	}
	for (size_t m = 0; m < nm; m++)
		c->vals[m][c->n] = values[m];
	c->n++;
}

/* One overhead run as it goes. */
struct overhead {
	const struct vb_run_config *cfg;
	struct vb_session s;
	struct vb_session_guest *guests; /* [platform]: the current instance's */
	struct vb_session_guest *pairs;	 /* [platform]: its second guest, for layout=split */
	bool needs_peer, needs_pair;
	int64_t *wids; /* [workload]: workloads.id */
	struct cell **cells;
	unsigned round_base; /* rounds of earlier instances: stored rounds go on */
	bool interrupted, aborted, budget_hit;
};

static int record_setup(struct overhead *o, struct vb_error **err)
{
	const struct vb_run_config *cfg = o->cfg;
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		const struct vb_platform_ops *ops = cfg->platforms[p];
		_cleanup_free_ char *spec =
		    vb_guest_record_json(platform_spec(cfg, p), ops, o->guests[p].g, cfg->image);
		int r =
		    vb_store_add_platform(o->s.db, o->s.run_id, (int)p, platform_label(cfg, p),
					  vb_platform_emulation(ops), spec,
					  ops->agent_hash ? ops->agent_hash(o->guests[p].g) : NULL,
					  &o->guests[p].id, err);
		if (r)
			return r;
	}
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		const struct vb_workload_ops *w = cfg->workloads[i].w;
		_cleanup_free_ char *params = vb_workload_params_json(w, cfg->workloads[i].opts);
		int r =
		    vb_session_add_workload(&o->s, (int)i, vb_run_workload_name(&cfg->workloads[i]),
					    w->group, params, w->metrics, &o->wids[i], err);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Instance inst of every platform's guest. Guest names go on across
 * instances ("vb-1a2b3c4d-N", N = inst * platforms + p), so every instance
 * is a fresh guest with fresh resources. The platform rows (ids) stay the
 * first instance's.
 */
static int start_guests(struct overhead *o, unsigned inst, struct vb_error **err)
{
	const struct vb_run_config *cfg = o->cfg;
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		int64_t id = o->guests[p].id;
		int r = vb_session_guest_start(&o->s, cfg->platforms[p], platform_spec(cfg, p),
					       (unsigned)(inst * cfg->nplatforms + p),
					       o->needs_peer, &o->guests[p], err);
		o->guests[p].id = id;
		if (r)
			return vb_error_wrap(err, "%s", platform_label(cfg, p));
		vb_info("instance %u of %s: guest %s-%zu", inst + 1, platform_label(cfg, p),
			o->s.tag, inst * cfg->nplatforms + p);
		/*
		 * The pair's guest of a layout=split workload: numbered after
		 * every instance's own (VB_MAX_INSTANCES * platforms + ...), so
		 * that its name and address on the run's bridge are its own.
		 */
		unsigned pn = (unsigned)((VB_MAX_INSTANCES + inst) * cfg->nplatforms + p);
		if (o->needs_pair)
			r = vb_session_guest_start(&o->s, cfg->platforms[p], platform_spec(cfg, p),
						   pn, false, &o->pairs[p], err);
		if (r)
			return vb_error_wrap(err, "%s: the pair's guest", platform_label(cfg, p));
	}
	return 0;
}

static void stop_guests(struct overhead *o)
{
	for (size_t p = 0; p < o->cfg->nplatforms; p++) {
		vb_session_guest_stop(&o->guests[p]);
		vb_session_guest_stop(&o->pairs[p]);
	}
}

/* A guest that failed a job gets a fresh start: false (and *err) when it cannot. */
static bool restart(struct overhead *o, struct vb_session_guest *gs, struct vb_error **err)
{
	struct vb_error *serr = NULL;
	if (!gs->g)
		return true;
	gs->ops->stop(gs->g, NULL);
	if (gs->ops->start(gs->g, &serr)) {
		vb_error_set(err, serr->code, "%s: cannot restart: %s", gs->ops->name, serr->msg);
		vb_error_free(&serr);
		o->aborted = true;
		return false;
	}
	return true;
}

/*
 * One job in one slot: run, store, count. Returns the store's error; an
 * interruption or a guest that cannot go on sets o->interrupted or
 * o->aborted.
 */
static int run_slot(struct overhead *o, const struct vb_slot *slot, unsigned inst, bool *wfailed,
		    struct vb_error **err)
{
	const struct vb_run_config *cfg = o->cfg;
	const struct vb_run_workload *rw = &cfg->workloads[slot->workload];
	struct vb_session_guest *gs = &o->guests[slot->platform];
	vb_session_progress(&o->s, slot->round + o->round_base, slot->warmup,
			    vb_run_workload_name(rw), platform_label(cfg, slot->platform));

	char id[16];
	snprintf(id, sizeof(id), "%d", o->s.seq);
	struct vb_job_outcome jo;
	if (vb_workload_pair(rw->w, rw->opts))
		vb_session_job_pair(&o->s, gs, &o->pairs[slot->platform], rw->w, rw->opts, id, &jo);
	else
		vb_session_job(&o->s, gs, rw->w, rw->opts, id, &jo);
	if (jo.rc == -EINTR || vb_interrupted)
		o->interrupted = true;

	int r = 0;
	if (!o->interrupted) {
		struct vb_session_sample sm = {
			.platform_id = gs->id,
			.workload_id = o->wids[slot->workload],
			.round = slot->round + o->round_base,
			.instance = inst,
			.warmup = slot->warmup,
			.error = jo.rc ? jo.err->msg : NULL,
			.duration_s = jo.end - jo.start,
			.metrics = rw->w->metrics,
			.values = jo.values,
		};
		r = vb_session_store(&o->s, &sm, err);
		if (r) {
			vb_job_outcome_release(&jo);
			o->aborted = true;
			return r;
		}
	}
	if (jo.rc && !o->interrupted) {
		vb_session_progress_end(&o->s);
		vb_warn("%s on %s failed: %s", vb_run_workload_name(rw), gs->ops->name,
			jo.err->msg);
		wfailed[slot->workload] = true;
		/* A guest whose agent is gone gets one fresh start; then we give up. */
		if (jo.rc != -EIO)
			restart(o, gs, err);
		/* The pair's agent may be the one that broke: it starts afresh either way. */
		if (!o->aborted && vb_workload_pair(rw->w, rw->opts))
			restart(o, &o->pairs[slot->platform], err);
	} else if (!jo.rc && !slot->warmup) {
		cell_add(&o->cells[slot->platform][slot->workload], vb_workload_nmetrics(rw->w),
			 jo.values);
	}
	vb_job_outcome_release(&jo);
	return 0;
}

/*
 * A guest with nothing left to run is destroyed at once: an idle emulated
 * guest still costs the host CPU (QEMU's timers under TCG), which would
 * land in the samples of the platforms still sampling. The baseline's
 * guest stays while any other does.
 */
static void stop_finished(struct overhead *o, const struct vb_sched *sched)
{
	const struct vb_run_config *cfg = o->cfg;
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		bool finished = o->guests[p].g != NULL;
		for (size_t w = 0; finished && w < cfg->nworkloads; w++)
			finished = vb_sched_cell_done(sched, (unsigned)w, (unsigned)p);
		if (finished) {
			vb_info("%s has nothing left to run: its guest goes now",
				platform_label(cfg, p));
			vb_session_guest_stop(&o->guests[p]);
			vb_session_guest_stop(&o->pairs[p]);
		}
	}
}

/*
 * The rounds of one instance. per_instance 0: the adaptive stop rule decides
 * (mark_cells); else every workload runs exactly that many measured rounds
 * on every platform (a fixed design, so that instances weigh alike).
 */
static int run_rounds(struct overhead *o, unsigned inst, unsigned per_instance,
		      struct vb_error **err)
{
	const struct vb_run_config *cfg = o->cfg;
	struct vb_sched sched;
	struct vb_slot slot;
	unsigned last_round = 0;
	int r = 0;
	bool *wfailed = xcalloc(cfg->nworkloads, sizeof(bool));
	vb_sched_init(&sched, (unsigned)cfg->nplatforms, (unsigned)cfg->nworkloads, cfg->warmup);
	while (vb_sched_next(&sched, &slot)) {
		last_round = slot.round;
		r = run_slot(o, &slot, inst, wfailed, err);
		if (r || o->interrupted || o->aborted)
			break;
		if (wfailed[slot.workload]) {
			vb_sched_mark_done(&sched, slot.workload);
			continue;
		}
		if (!slot.last_in_workload || slot.warmup)
			continue;
		bool budget =
		    cfg->time_budget_s > 0 && vb_monotonic_s() - o->s.t0 > cfg->time_budget_s;
		bool done = per_instance ? slot.round + 1 - cfg->warmup >= per_instance
					 : mark_cells(cfg, o->cells, slot.workload, &sched);
		if (done || budget)
			vb_sched_mark_done(&sched, slot.workload);
		if (!done && budget)
			o->budget_hit = true;
		if (!per_instance)
			stop_finished(o, &sched);
	}
	o->round_base += last_round + 1;
	vb_sched_release(&sched);
	free(wfailed);
	return r;
}

static void overhead_free(struct overhead *o)
{
	const struct vb_run_config *cfg = o->cfg;
	for (size_t p = 0; o->cells && p < cfg->nplatforms; p++) {
		for (size_t w = 0; w < cfg->nworkloads; w++) {
			size_t nm = vb_workload_nmetrics(cfg->workloads[w].w);
			for (size_t m = 0; m < nm; m++)
				free(o->cells[p][w].vals[m]);
			free(o->cells[p][w].vals);
		}
		free(o->cells[p]);
	}
	free(o->cells);
	free(o->guests);
	free(o->pairs);
	free(o->wids);
}

int vb_overhead_run(const struct vb_run_config *cfg, struct vb_store *db, int64_t *run_id,
		    unsigned *failed, struct vb_error **err)
{
	struct overhead o = { .cfg = cfg };
	*failed = 0;
	*run_id = -1;

	int r = vb_session_open(&o.s, db, cfg->agent_path, cfg->ready_timeout_s, cfg->job_timeout_s,
				cfg->progress, err);
	if (r)
		return r;
	o.s.pctx.image = cfg->image;
	o.s.pctx.kernel = cfg->kernel;
	o.s.pctx.kernel_modules = cfg->kernel_modules;
	o.guests = xcalloc(cfg->nplatforms, sizeof(*o.guests));
	o.pairs = xcalloc(cfg->nplatforms, sizeof(*o.pairs));
	for (size_t p = 0; p < cfg->nplatforms; p++)
		o.guests[p].peer = o.pairs[p].peer = (struct vb_peer){ .pid = -1, .in_fd = -1 };
	o.wids = xcalloc(cfg->nworkloads, sizeof(*o.wids));
	o.cells = xcalloc(cfg->nplatforms, sizeof(*o.cells));
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		o.cells[p] = xcalloc(cfg->nworkloads, sizeof(**o.cells));
		for (size_t w = 0; w < cfg->nworkloads; w++)
			o.cells[p][w].vals =
			    xcalloc(vb_workload_nmetrics(cfg->workloads[w].w), sizeof(double *));
	}
	for (size_t i = 0; i < cfg->nworkloads; i++)
		o.needs_peer |= vb_workload_needs_peer(cfg->workloads[i].w, cfg->workloads[i].opts);
	for (size_t i = 0; i < cfg->nworkloads; i++)
		o.needs_pair |=
		    vb_workload_pair(cfg->workloads[i].w, cfg->workloads[i].opts) != NULL;

	/*
	 * Fresh guests: K instances one after another, each with the same
	 * share of the rounds; one instance: the adaptive rule over them all.
	 */
	unsigned instances = cfg->instances > 1 ? cfg->instances : 1;
	unsigned per_instance = 0;
	if (instances > 1) {
		per_instance = (cfg->rule.max_runs + instances - 1) / instances;
		if (per_instance < 2)
			per_instance = 2;
	}
	for (unsigned inst = 0; inst < instances && !r; inst++) {
		if (inst > 0 && cfg->time_budget_s > 0 &&
		    vb_monotonic_s() - o.s.t0 > cfg->time_budget_s) {
			o.budget_hit = true;
			break;
		}
		r = start_guests(&o, inst, err);
		if (!r && inst == 0) {
			_cleanup_free_ char *config = config_json(cfg);
			r = vb_session_begin(
			    &o.s, cfg->experiment ? cfg->experiment : "run", cfg->command,
			    cfg->profile == VB_PROFILE_FULL ? "full" : "quick", config, err);
			*run_id = o.s.run_id;
			if (!r)
				r = record_setup(&o, err);
		}
		if (!r)
			r = run_rounds(&o, inst, per_instance, err);
		if (o.interrupted || o.aborted)
			break;
		if (inst + 1 < instances)
			stop_guests(&o);
	}
	vb_session_progress_end(&o.s);
	if (o.budget_hit && !o.interrupted)
		vb_warn("the time budget of %g s was spent before every interval was narrow "
			"enough: see n and the intervals",
			cfg->time_budget_s);
	if (o.interrupted && !r)
		r = vb_session_interrupted(&o.s, err);
	else if (o.aborted && !r)
		r = -EIO;
	stop_guests(&o);
	r = vb_session_close(&o.s, platform_label(cfg, baseline_index(cfg)), cfg->equivalence, r,
			     err);
	*failed = o.s.failed;
	overhead_free(&o);
	return r;
}
