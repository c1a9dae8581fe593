/* SPDX-License-Identifier: MIT */
/*
 * The isolation and entitlement experiment (study ch. 6, measured where the
 * study only describes): two guests of one platform share the host. The
 * victim runs its workloads alone, then while the aggressor runs the
 * matching stressor, then again under each entitlement policy applied to
 * both guests. Conditions are stored as platform rows "<platform>:alone",
 * "<platform>:noisy", "<platform>:noisy+<policy>"; the ratio to ":alone" is
 * the slowdown. The aggressor's own samples (its work rate) are stored too:
 * proof that it loaded the machine, and of how much a policy held it back.
 *
 * The aggressor runs for a fixed time longer than the victim is expected to
 * take (three times the longest victim job seen so far, plus a lead); a
 * victim that outlasts it is a failed sample and the next one runs longer.
 */
#include <math.h>
#include <pthread.h>

#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/session.h"

/* The lead the aggressor gets before the victim starts, in seconds. */
#define LEAD_S 0.3

const char *vb_isolation_stressor(const struct vb_workload_ops *victim)
{
	const char *g = victim->group;
	if (!strcmp(g, "w2") || !strcmp(victim->name, "sys.stream"))
		return "stress.vm";
	if (!strcmp(g, "w3"))
		return "stress.net";
	if (!strcmp(g, "w4") || !strcmp(victim->name, "sys.iozone"))
		return "stress.io";
	return "stress.cpu";
}

/* One job on its own thread: the aggressor's, beside the victim's. */
struct job_thread_args {
	struct vb_session *s;
	struct vb_session_guest *g;
	const struct vb_workload_ops *w;
	const void *opts;
	const char *id;
	struct vb_job_outcome out;
};

static void *job_thread(void *data)
{
	struct job_thread_args *a = data;
	vb_session_job(a->s, a->g, a->w, a->opts, a->id, &a->out);
	return NULL;
}

/* Row ids and bookkeeping of a run. */
struct iso_state {
	const struct vb_isolation_config *cfg;
	struct vb_session s;
	int64_t *cond_ids;   /* platforms.id per condition */
	int64_t *victim_ids; /* workloads.id per victim */
	int64_t *aggr_ids;   /* workloads.id per victim: its stressor's row */
	void **aggr_opts;    /* per victim */
	const struct vb_workload_ops **aggr;
	double *longest; /* per victim: the longest victim job so far, s */
	struct vb_session_guest victim, aggressor;
};

static size_t nconds(const struct vb_isolation_config *cfg)
{
	return 2 + cfg->npolicies;
}

static char *cond_name(const struct vb_isolation_config *cfg, size_t c)
{
	_cleanup_free_ char *p = vb_guest_label(cfg->platform->name, cfg->platform, &cfg->spec);
	if (c == 0)
		return xasprintf("%s:alone", p);
	if (c == 1)
		return xasprintf("%s:noisy", p);
	return xasprintf("%s:noisy+%s", p, cfg->policies[c - 2].name);
}

static int store_job(struct iso_state *st, size_t cond, int64_t wid, unsigned round, bool warmup,
		     const struct vb_job_outcome *j, const char *error, struct vb_error **err)
{
	struct vb_session_sample sm = {
		.platform_id = st->cond_ids[cond],
		.workload_id = wid,
		.round = round,
		.warmup = warmup,
		.error = j->rc ? j->err->msg : error,
		.duration_s = j->end - j->start,
		.metrics = j->w->metrics,
		.values = j->values,
	};
	if (sm.error)
		vb_warn("%s under %s: %s", j->w->name, st->cfg->platform->name, sm.error);
	return vb_session_store(&st->s, &sm, err);
}

static int apply_policies(struct iso_state *st, size_t cond, struct vb_error **err)
{
	const struct vb_isolation_config *cfg = st->cfg;
	static const struct vb_guest_policy none = { 0 };
	const struct vb_guest_policy *v = cond < 2 ? &none : &cfg->policies[cond - 2].victim;
	const struct vb_guest_policy *a = cond < 2 ? &none : &cfg->policies[cond - 2].aggressor;
	if (!cfg->platform->set_policy)
		return cond < 2 ? 0
				: vb_error_set(err, VB_SKIP, "%s cannot apply policies",
					       cfg->platform->name);
	int r = cfg->platform->set_policy(st->victim.g, v, err);
	if (!r)
		r = cfg->platform->set_policy(st->aggressor.g, a, err);
	return r;
}

/* One victim job under one condition, with its aggressor when there is one. */
static int one_sample(struct iso_state *st, size_t vi, size_t cond, unsigned round, bool warmup,
		      struct vb_error **err)
{
	const struct vb_isolation_config *cfg = st->cfg;
	const struct vb_run_workload *rw = &cfg->victims[vi];
	int r = apply_policies(st, cond, err);
	if (r)
		return r;
	char vid[24], aid[24];
	snprintf(vid, sizeof(vid), "%d", st->s.seq);
	snprintf(aid, sizeof(aid), "%da", st->s.seq);
	struct vb_job_outcome victim;
	struct job_thread_args aggr = { .s = &st->s, .g = &st->aggressor, .id = aid };
	bool noisy = cond > 0;
	pthread_t th;
	if (noisy) {
		/* Run the stressor well past the victim's longest job so far. */
		double secs = 3 * st->longest[vi] + LEAD_S + 0.5;
		const struct vb_workload_ops *aw = st->aggr[vi];
		const struct vb_option *o = vb_workload_option(aw, "duration_ms");
		uint64_t ms = (uint64_t)ceil(secs * 1000);
		if (vb_option_set(aw, o, ms, st->aggr_opts[vi], err))
			return (*err)->code;
		aggr.w = aw;
		aggr.opts = st->aggr_opts[vi];
		if (pthread_create(&th, NULL, job_thread, &aggr) != 0)
			VB_BUG("cannot start a thread");
		/* Sleep the lead in steps, so Ctrl-C is not kept waiting. */
		double until = vb_monotonic_s() + LEAD_S;
		while (vb_monotonic_s() < until && !vb_interrupted)
			usleep(20000);
	}
	vb_session_job(&st->s, &st->victim, rw->w, rw->opts, vid, &victim);
	if (noisy)
		pthread_join(th, NULL);
	if (victim.rc == -EINTR || vb_interrupted || (noisy && aggr.out.rc == -EINTR)) {
		vb_job_outcome_release(&victim);
		if (noisy)
			vb_job_outcome_release(&aggr.out);
		return -EINTR;
	}
	const char *why = NULL;
	if (noisy && !aggr.out.rc && aggr.out.end < victim.end)
		why = "the aggressor stopped before the victim finished (the next one runs "
		      "longer)";
	double took = victim.end - victim.start;
	if (!victim.rc && took > st->longest[vi])
		st->longest[vi] = took;
	r = store_job(st, cond, st->victim_ids[vi], round, warmup, &victim, why, err);
	if (!r && noisy)
		r = store_job(st, cond, st->aggr_ids[vi], round, warmup, &aggr.out, NULL, err);
	bool restart = victim.rc && victim.rc != -EIO;
	vb_job_outcome_release(&victim);
	if (noisy)
		vb_job_outcome_release(&aggr.out);
	if (!r && restart) {
		/* A guest whose agent is gone gets a fresh start, as in the overhead run. */
		cfg->platform->stop(st->victim.g, NULL);
		r = cfg->platform->start(st->victim.g, err);
	}
	return r;
}

static int record_setup(struct iso_state *st, struct vb_error **err)
{
	const struct vb_isolation_config *cfg = st->cfg;
	_cleanup_free_ char *spec =
	    vb_guest_record_json(&cfg->spec, cfg->platform, st->victim.g, st->s.pctx.image);
	int r = 0;
	for (size_t c = 0; !r && c < nconds(cfg); c++) {
		_cleanup_free_ char *name = cond_name(cfg, c);
		r = vb_store_add_platform(
		    st->s.db, st->s.run_id, (int)c, name, vb_platform_emulation(cfg->platform),
		    spec,
		    cfg->platform->agent_hash ? cfg->platform->agent_hash(st->victim.g) : NULL,
		    &st->cond_ids[c], err);
	}
	int ord = 0;
	for (size_t i = 0; !r && i < cfg->nvictims; i++) {
		const struct vb_workload_ops *w = cfg->victims[i].w;
		_cleanup_free_ char *params = vb_workload_params_json(w, cfg->victims[i].opts);
		r = vb_session_add_workload(&st->s, ord++, vb_run_workload_name(&cfg->victims[i]),
					    w->group, params, w->metrics, &st->victim_ids[i], err);
	}
	/* One row per stressor used; victims sharing one share its row. */
	for (size_t i = 0; !r && i < cfg->nvictims; i++) {
		st->aggr_ids[i] = -1;
		for (size_t k = 0; k < i; k++)
			if (st->aggr[k] == st->aggr[i])
				st->aggr_ids[i] = st->aggr_ids[k];
		if (st->aggr_ids[i] >= 0)
			continue;
		const struct vb_workload_ops *w = st->aggr[i];
		r = vb_session_add_workload(&st->s, ord++, w->name, w->group, "{}", w->metrics,
					    &st->aggr_ids[i], err);
	}
	return r;
}

static char *iso_config_json(const struct vb_isolation_config *cfg)
{
	_cleanup_json_ json_t *o = json_object();
	json_object_set_new(o, "platform", json_string(cfg->platform->name));
	json_t *v = json_array();
	for (size_t i = 0; i < cfg->nvictims; i++)
		json_array_append_new(v, json_string(vb_run_workload_name(&cfg->victims[i])));
	json_object_set_new(o, "victims", v);
	json_object_set_new(o, "aggressor",
			    json_string(cfg->aggressor ? cfg->aggressor : "matching"));
	json_t *p = json_array();
	for (size_t i = 0; i < cfg->npolicies; i++) {
		const struct vb_isolation_policy *pol = &cfg->policies[i];
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(pol->name));
		json_object_set_new(e, "text", json_string(pol->text));
		json_array_append_new(p, e);
	}
	json_object_set_new(o, "policies", p);
	_cleanup_free_ char *base = cond_name(cfg, 0);
	json_object_set_new(o, "baseline", json_string(base));
	json_object_set_new(o, "rounds", json_integer(cfg->rounds));
	json_object_set_new(o, "warmup", json_integer(cfg->warmup));
	json_object_set_new(o, "order",
			    json_string("rounds; per victim every condition in order; the "
					"aggressor starts 0.3 s before the victim"));
	return vb_json_line(o);
}

static void progress(const struct iso_state *st, size_t vi, size_t cond, unsigned round)
{
	_cleanup_free_ char *c = cond_name(st->cfg, cond);
	vb_session_progress(&st->s, round, round < st->cfg->warmup,
			    vb_run_workload_name(&st->cfg->victims[vi]), c);
}

static int start_guests(struct iso_state *st, struct vb_error **err)
{
	const struct vb_isolation_config *cfg = st->cfg;
	bool net = cfg->spec.net != VB_NET_NONE;
	int r = vb_session_guest_start(&st->s, cfg->platform, &cfg->spec, 0, net, &st->victim, err);
	if (!r)
		r = vb_session_guest_start(&st->s, cfg->platform, &cfg->spec, 1, net,
					   &st->aggressor, err);
	return r;
}

int vb_isolation_run(const struct vb_isolation_config *cfg, struct vb_store *db, int64_t *run_id,
		     unsigned *failed, struct vb_error **err)
{
	struct iso_state st = { .cfg = cfg };
	*run_id = -1;
	*failed = 0;
	int r = vb_session_open(&st.s, db, cfg->agent_path, cfg->ready_timeout_s,
				cfg->job_timeout_s, cfg->progress, err);
	if (r)
		return r;
	st.s.pctx.image = cfg->image;
	st.s.pctx.kernel = cfg->kernel;
	st.s.pctx.kernel_modules = cfg->kernel_modules;
	size_t nc = nconds(cfg), nv = cfg->nvictims;
	st.cond_ids = xcalloc(nc, sizeof(int64_t));
	st.victim_ids = xcalloc(nv, sizeof(int64_t));
	st.aggr_ids = xcalloc(nv, sizeof(int64_t));
	st.aggr = xcalloc(nv, sizeof(*st.aggr));
	st.aggr_opts = xcalloc(nv, sizeof(void *));
	st.longest = xcalloc(nv, sizeof(double));
	st.victim.peer = st.aggressor.peer = (struct vb_peer){ .pid = -1, .in_fd = -1 };
	for (size_t i = 0; i < nv; i++) {
		const char *name =
		    cfg->aggressor ? cfg->aggressor : vb_isolation_stressor(cfg->victims[i].w);
		st.aggr[i] = vb_workload_find(name);
		if (!st.aggr[i])
			VB_BUG("no stressor %s", name);
		st.aggr_opts[i] = xcalloc(1, st.aggr[i]->opts_size);
		vb_options_defaults(st.aggr[i], cfg->profile, st.aggr_opts[i]);
	}

	r = start_guests(&st, err);
	if (r)
		vb_error_wrap(err, "%s", cfg->platform->name);
	if (!r) {
		_cleanup_free_ char *config = iso_config_json(cfg);
		r = vb_session_begin(&st.s, "isolation", cfg->command,
				     cfg->profile == VB_PROFILE_FULL ? "full" : "quick", config,
				     err);
		*run_id = st.s.run_id;
	}
	if (!r)
		r = record_setup(&st, err);
	for (unsigned round = 0; !r && round < cfg->warmup + cfg->rounds; round++)
		for (size_t vi = 0; !r && vi < nv; vi++)
			for (size_t c = 0; !r && c < nc; c++) {
				progress(&st, vi, c, round);
				r = one_sample(&st, vi, c, round, round < cfg->warmup, err);
			}
	if (r == -EINTR)
		r = vb_session_interrupted(&st.s, err);
	vb_session_guest_stop(&st.victim);
	vb_session_guest_stop(&st.aggressor);
	_cleanup_free_ char *base = cond_name(cfg, 0);
	r = vb_session_close(&st.s, base, VB_EQUIVALENCE_DEFAULT, r, err);
	*failed = st.s.failed;
	for (size_t i = 0; i < nv; i++)
		free(st.aggr_opts[i]);
	free(st.aggr_opts);
	free(st.aggr);
	free(st.cond_ids);
	free(st.victim_ids);
	free(st.aggr_ids);
	free(st.longest);
	return r;
}
