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
#include <time.h>

#include "agent/client.h"
#include "agent/protocol.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/experiment.h"

/* The lead the aggressor gets before the victim starts, in seconds. */
#define LEAD_S 0.3

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

struct collect {
	const struct vb_workload_ops *w;
	double *values;
	bool have;
};

static void on_event(const struct vb_event *ev, void *data)
{
	struct collect *c = data;
	if (ev->type == VB_EV_LOG) {
		vb_info("%s: %s", c->w->name, ev->msg);
		return;
	}
	if (ev->type != VB_EV_SAMPLE)
		return;
	size_t found = 0, nm = vb_workload_nmetrics(c->w);
	for (size_t m = 0; m < nm; m++)
		for (size_t i = 0; i < ev->nvalues; i++)
			if (!strcmp(ev->values[i].name, c->w->metrics[m].name)) {
				c->values[m] = ev->values[i].value;
				found++;
				break;
			}
	c->have = found == nm;
}

/* One job on one guest, possibly on its own thread. */
struct job_run {
	const struct vb_platform_ops *ops;
	struct vb_guest *g;
	struct vb_job job;
	struct collect col;
	int rc;
	struct vb_error *err;
	double start, end;
};

static void job_prepare(struct job_run *j, const struct vb_platform_ops *ops, struct vb_guest *g,
			const struct vb_workload_ops *w, const void *opts, const char *id,
			const char *peer)
{
	_cleanup_free_ char *params = vb_workload_params_json(w, opts);
	memset(j, 0, sizeof(*j));
	j->ops = ops;
	j->g = g;
	j->job.id = xstrdup(id);
	j->job.workload = xstrdup(w->name);
	j->job.params = json_loads(params, 0, NULL);
	if (w->needs_peer)
		j->job.peer = xstrdup(peer);
	j->col.w = w;
	j->col.values = xcalloc(vb_workload_nmetrics(w), sizeof(double));
}

static void job_release(struct job_run *j)
{
	vb_job_release(&j->job);
	free(j->col.values);
	vb_error_free(&j->err);
}

static void job_exec(struct job_run *j)
{
	j->start = now_s();
	j->rc = j->ops->exec(j->g, &j->job, on_event, &j->col, &j->err);
	j->end = now_s();
	if (!j->rc && !j->col.have)
		j->rc = vb_error_set(&j->err, -EPROTO, "agent finished without a full sample");
}

static void *job_thread(void *data)
{
	job_exec(data);
	return NULL;
}

/* Row ids and bookkeeping of a run. */
struct iso_state {
	const struct vb_isolation_config *cfg;
	struct vb_store *db;
	int64_t run_id;
	char tag[16];
	int64_t *cond_ids;   /* platforms.id per condition */
	int64_t *victim_ids; /* workloads.id per victim */
	int64_t *aggr_ids;   /* workloads.id per victim: its stressor's row */
	void **aggr_opts;    /* per victim */
	const struct vb_workload_ops **aggr;
	double *longest; /* per victim: the longest victim job so far, s */
	struct vb_guest *victim, *aggressor;
	struct vb_peer vpeer, apeer;
	int seq;
	unsigned failed;
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
		     const struct job_run *j, const char *error, struct vb_error **err)
{
	const struct vb_workload_ops *w = j->col.w;
	size_t nm = vb_workload_nmetrics(w);
	const char **names = xcalloc(nm, sizeof(char *));
	for (size_t m = 0; m < nm; m++)
		names[m] = w->metrics[m].name;
	bool ok = !j->rc && !error;
	struct vb_sample_record rec = {
		.run_id = st->run_id,
		.platform_id = st->cond_ids[cond],
		.workload_id = wid,
		.seq = st->seq++,
		.round = (int)round,
		.warmup = warmup,
		.ok = ok,
		.error = j->rc ? j->err->msg : error,
		.duration_s = j->end - j->start,
		.nvalues = ok ? nm : 0,
		.names = names,
		.values = j->col.values,
	};
	int r = vb_store_add_sample(st->db, &rec, err);
	free(names);
	if (!ok) {
		st->failed++;
		vb_warn("%s under %s: %s", w->name, st->cfg->platform->name, rec.error);
	}
	return r;
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
	int r = cfg->platform->set_policy(st->victim, v, err);
	if (!r)
		r = cfg->platform->set_policy(st->aggressor, a, err);
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
	_cleanup_free_ char *vid = xasprintf("%s-%d", st->tag, st->seq);
	struct job_run victim, aggr;
	_cleanup_free_ char *vaddr = vb_peer_address(&st->vpeer, cfg->platform, st->victim);
	job_prepare(&victim, cfg->platform, st->victim, rw->w, rw->opts, vid, vaddr);
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
		_cleanup_free_ char *aid = xasprintf("%s-%da", st->tag, st->seq);
		_cleanup_free_ char *aaddr =
		    vb_peer_address(&st->apeer, cfg->platform, st->aggressor);
		job_prepare(&aggr, cfg->platform, st->aggressor, aw, st->aggr_opts[vi], aid, aaddr);
		if (pthread_create(&th, NULL, job_thread, &aggr) != 0)
			VB_BUG("cannot start a thread");
		/* Sleep the lead in steps, so Ctrl-C is not kept waiting. */
		double until = now_s() + LEAD_S;
		while (now_s() < until && !vb_interrupted)
			usleep(20000);
	}
	job_exec(&victim);
	if (noisy)
		pthread_join(th, NULL);
	if (victim.rc == -EINTR || vb_interrupted || (noisy && aggr.rc == -EINTR)) {
		job_release(&victim);
		if (noisy)
			job_release(&aggr);
		return -EINTR;
	}
	const char *why = NULL;
	if (noisy && !aggr.rc && aggr.end < victim.end)
		why = "the aggressor stopped before the victim finished (the next one runs "
		      "longer)";
	double took = victim.end - victim.start;
	if (!victim.rc && took > st->longest[vi])
		st->longest[vi] = took;
	r = store_job(st, cond, st->victim_ids[vi], round, warmup, &victim, why, err);
	if (!r && noisy)
		r = store_job(st, cond, st->aggr_ids[vi], round, warmup, &aggr, NULL, err);
	bool restart = victim.rc && victim.rc != -EIO;
	job_release(&victim);
	if (noisy)
		job_release(&aggr);
	if (!r && restart) {
		/* A guest whose agent is gone gets a fresh start, as in the overhead run. */
		cfg->platform->stop(st->victim, NULL);
		r = cfg->platform->start(st->victim, err);
	}
	return r;
}

static int record_setup(struct iso_state *st, struct vb_error **err)
{
	const struct vb_isolation_config *cfg = st->cfg;
	_cleanup_free_ char *spec = vb_guest_record_json(&cfg->spec, cfg->platform, st->victim);
	int r = 0;
	for (size_t c = 0; !r && c < nconds(cfg); c++) {
		_cleanup_free_ char *name = cond_name(cfg, c);
		r = vb_store_add_platform(
		    st->db, st->run_id, (int)c, name, vb_platform_emulation(cfg->platform), spec,
		    cfg->platform->agent_hash ? cfg->platform->agent_hash(st->victim) : NULL,
		    &st->cond_ids[c], err);
	}
	int ord = 0;
	for (size_t i = 0; !r && i < cfg->nvictims; i++) {
		const struct vb_workload_ops *w = cfg->victims[i].w;
		_cleanup_free_ char *params = vb_workload_params_json(w, cfg->victims[i].opts);
		r = vb_store_add_workload(st->db, st->run_id, ord++,
					  vb_run_workload_name(&cfg->victims[i]), w->group, params,
					  &st->victim_ids[i], err);
		for (size_t m = 0; !r && w->metrics[m].name; m++)
			r = vb_store_add_metric(st->db, st->victim_ids[i], (int)m,
						w->metrics[m].name, w->metrics[m].unit,
						w->metrics[m].higher_is_better, err);
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
		r = vb_store_add_workload(st->db, st->run_id, ord++, w->name, w->group, "{}",
					  &st->aggr_ids[i], err);
		for (size_t m = 0; !r && w->metrics[m].name; m++)
			r = vb_store_add_metric(st->db, st->aggr_ids[i], (int)m, w->metrics[m].name,
						w->metrics[m].unit, w->metrics[m].higher_is_better,
						err);
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

static void progress(const struct iso_state *st, size_t vi, size_t cond, unsigned round, double t0)
{
	if (!st->cfg->progress)
		return;
	_cleanup_free_ char *c = cond_name(st->cfg, cond);
	printf("\r\033[K[%5.1fs] round %u%s  %s as %s", now_s() - t0, round + 1,
	       round < st->cfg->warmup ? " (warm-up)" : "",
	       vb_run_workload_name(&st->cfg->victims[vi]), c);
	fflush(stdout);
}

static int start_guests(struct iso_state *st, const struct vb_platform_ctx *pctx,
			struct vb_error **err)
{
	const struct vb_isolation_config *cfg = st->cfg;
	const struct vb_platform_ops *ops = cfg->platform;
	_cleanup_free_ char *vn = xasprintf("%s-0", st->tag);
	_cleanup_free_ char *an = xasprintf("%s-1", st->tag);
	int r = ops->provision(pctx, &cfg->spec, vn, &st->victim, err);
	if (!r)
		r = ops->provision(pctx, &cfg->spec, an, &st->aggressor, err);
	if (!r)
		r = ops->start(st->victim, err);
	if (!r)
		r = ops->start(st->aggressor, err);
	if (r || cfg->spec.net == VB_NET_NONE)
		return r;
	const char *vl = ops->peer_listen ? ops->peer_listen(st->victim) : NULL;
	const char *al = ops->peer_listen ? ops->peer_listen(st->aggressor) : NULL;
	if (!vl || !al)
		return vb_error_set(err, VB_SKIP, "%s guests have no network to a peer", ops->name);
	_cleanup_free_ char *va = xasprintf("%s:0", vl);
	_cleanup_free_ char *aa = xasprintf("%s:0", al);
	r = vb_peer_start(cfg->agent_path, va, vb_peer_netns(ops, st->victim), &st->vpeer, err);
	if (!r)
		r = vb_peer_start(cfg->agent_path, aa, vb_peer_netns(ops, st->aggressor),
				  &st->apeer, err);
	return r;
}

int vb_isolation_run(const struct vb_isolation_config *cfg, struct vb_store *db, int64_t *run_id,
		     unsigned *failed, struct vb_error **err)
{
	struct iso_state st = { .cfg = cfg, .db = db, .run_id = -1 };
	_cleanup_free_ char *work_dir = NULL, *host = NULL, *config = NULL;
	*run_id = -1;
	*failed = 0;
	int r = vb_run_claim(st.tag, &work_dir, err);
	if (r)
		return r;
	struct vb_platform_ctx pctx = {
		.run_id = st.tag,
		.agent_path = cfg->agent_path,
		.work_dir = work_dir,
		.ready_timeout_s = cfg->ready_timeout_s,
		.job_timeout_s = cfg->job_timeout_s,
	};
	size_t nc = nconds(cfg), nv = cfg->nvictims;
	st.cond_ids = xcalloc(nc, sizeof(int64_t));
	st.victim_ids = xcalloc(nv, sizeof(int64_t));
	st.aggr_ids = xcalloc(nv, sizeof(int64_t));
	st.aggr = xcalloc(nv, sizeof(*st.aggr));
	st.aggr_opts = xcalloc(nv, sizeof(void *));
	st.longest = xcalloc(nv, sizeof(double));
	st.vpeer = st.apeer = (struct vb_peer){ .pid = -1, .in_fd = -1 };
	for (size_t i = 0; i < nv; i++) {
		const char *name =
		    cfg->aggressor ? cfg->aggressor : vb_isolation_stressor(cfg->victims[i].w);
		st.aggr[i] = vb_workload_find(name);
		if (!st.aggr[i])
			VB_BUG("no stressor %s", name);
		st.aggr_opts[i] = xcalloc(1, st.aggr[i]->opts_size);
		vb_options_defaults(st.aggr[i], cfg->profile, st.aggr_opts[i]);
	}

	r = start_guests(&st, &pctx, err);
	if (r) {
		vb_error_wrap(err, "%s", cfg->platform->name);
		goto out;
	}
	host = vb_fingerprint_host();
	config = iso_config_json(cfg);
	struct vb_run_begin rb = {
		.tag = st.tag,
		.experiment = "isolation",
		.command = cfg->command,
		.profile = cfg->profile == VB_PROFILE_FULL ? "full" : "quick",
		.config_json = config,
		.host_json = host,
	};
	r = vb_store_run_begin(db, &rb, &st.run_id, err);
	*run_id = st.run_id;
	if (!r)
		r = record_setup(&st, err);
	double t0 = now_s();
	for (unsigned round = 0; !r && round < cfg->warmup + cfg->rounds; round++)
		for (size_t vi = 0; !r && vi < nv; vi++)
			for (size_t c = 0; !r && c < nc; c++) {
				progress(&st, vi, c, round, t0);
				r = one_sample(&st, vi, c, round, round < cfg->warmup, err);
			}
	if (cfg->progress) {
		printf("\r\033[K");
		fflush(stdout);
	}
	if (r == -EINTR)
		r = vb_error_set(err, -EINTR,
				 "interrupted: run %s kept what it measured, marked incomplete",
				 st.tag);
out:
	cfg->platform->destroy(st.victim);
	cfg->platform->destroy(st.aggressor);
	vb_peer_stop(&st.vpeer);
	vb_peer_stop(&st.apeer);
	*failed = st.failed;
	if (st.run_id >= 0) {
		struct vb_error *serr = NULL;
		_cleanup_free_ char *base = cond_name(cfg, 0);
		if (vb_store_summarize(db, st.run_id, base, VB_EQUIVALENCE_DEFAULT, &serr) && !r)
			r = vb_error_set(err, serr->code, "%s", serr->msg);
		vb_error_free(&serr);
		int code = r ? (*err)->exit_code : (st.failed ? VB_EXIT_MEASUREMENT : VB_EXIT_OK);
		vb_store_run_end(db, st.run_id, r ? "incomplete" : "complete", code, NULL);
	}
	for (size_t i = 0; i < nv; i++)
		free(st.aggr_opts[i]);
	free(st.aggr_opts);
	free(st.aggr);
	free(st.cond_ids);
	free(st.victim_ids);
	free(st.aggr_ids);
	free(st.longest);
	vb_rm_rf(work_dir);
	return r;
}
