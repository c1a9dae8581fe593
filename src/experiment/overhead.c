/* SPDX-License-Identifier: MIT */
/*
 * The overhead experiment: every workload on every platform, interleaved
 * round by round (xA xB yA yB ...), warm-up rounds discarded, repetitions
 * until each cell's 95% interval is narrow enough or a budget is spent. Every
 * sample is committed to the store the moment it arrives.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/random.h>
#include <time.h>

#include "agent/client.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "platform/xen-xl.h"
#include "runtime/cgroup.h"
#include "runtime/nat.h"
#include "runtime/net.h"

char *vb_workload_params_json(const struct vb_workload_ops *w, const void *opts)
{
	_cleanup_json_ json_t *o = json_object();
	for (const struct vb_option *opt = w->options; opt->name; opt++) {
		uint64_t v = vb_option_get(opt, opts);
		json_object_set_new(o, opt->name,
				    opt->type == VB_OPT_BOOL ? json_boolean(v)
							     : json_integer((json_int_t)v));
	}
	return vb_json_line(o);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Measured values per platform × workload, for the stopping rule. */
struct cell {
	size_t n, cap;
	double **vals; /* [metric][n] */
};

struct guest_slot {
	const struct vb_platform_ops *ops;
	struct vb_guest *g;
	int64_t id; /* platforms.id */
};

struct job_result {
	const struct vb_workload_ops *w;
	size_t nm;
	double *values; /* [metric] */
	bool have_sample;
};

static void on_event(const struct vb_event *ev, void *data)
{
	struct job_result *jr = data;
	if (ev->type == VB_EV_LOG) {
		vb_info("%s: %s", jr->w->name, ev->msg);
	} else if (ev->type == VB_EV_SAMPLE) {
		/* Take the values the workload declares; anything else is ignored. */
		size_t found = 0;
		for (size_t m = 0; m < jr->nm; m++)
			for (size_t i = 0; i < ev->nvalues; i++)
				if (!strcmp(ev->values[i].name, jr->w->metrics[m].name)) {
					jr->values[m] = ev->values[i].value;
					found++;
					break;
				}
		jr->have_sample = found == jr->nm;
	}
}

/*
 * A cgroup is ours to sweep only when its run's owner file is in our state
 * directory and that owner is gone: a run of another virtbench (another
 * state directory) is never touched, whatever its cgroups look like.
 */
static bool alive_cb(const char *tag, void *data)
{
	(void)data;
	_cleanup_free_ char *owner = xasprintf("%s/%s/owner", vb_state_dir(), tag);
	if (access(owner, F_OK) != 0)
		return true;
	return vb_run_alive(tag);
}

/* Does the state directory hold the work directory of a dead run? */
static bool dead_runs(void)
{
	DIR *d = opendir(vb_state_dir());
	struct dirent *e;
	bool dead = false;
	while (d && !dead && (e = readdir(d)))
		dead = !strncmp(e->d_name, "vb-", 3) && strlen(e->d_name) == 11 &&
		       !alive_cb(e->d_name, NULL);
	if (d)
		closedir(d);
	return dead;
}

int vb_sweep_stale(struct vb_store *db, int *dirs, int *cgroups, int *runs, struct vb_error **err)
{
	*dirs = *cgroups = *runs = 0;
	/*
	 * The state directory first: every sweep below trusts the owner files in
	 * it, and one that another user can change is refused, not swept.
	 */
	struct vb_error *serr = NULL;
	_cleanup_close_ int sfd = vb_state_dir_open(false, &serr);
	if (sfd == -ENOENT) {
		vb_error_free(&serr);
	} else if (sfd < 0) {
		if (err && !*err)
			*err = steal_ptr(&serr);
		vb_error_free(&serr);
		return sfd;
	}
	/* Cgroups first: their owner files are in the directories swept below. */
	struct vb_error *cerr = NULL;
	const struct vb_cgroup_layout *l = geteuid() == 0 ? vb_cgroup_host_layout(&cerr) : NULL;
	vb_error_free(&cerr);
	if (l) {
		int r = vb_cgroup_sweep(l, alive_cb, NULL, cgroups, err);
		if (r)
			return r;
	}
	if (geteuid() == 0) {
		/* Bridges and veths are counted with the cgroups: all are the run's. */
		int links = 0;
		int r = vb_net_sweep(alive_cb, NULL, &links, err);
		if (r)
			return r;
		*cgroups += links;
		/* A NAT run's nft table: nft is started only when some run is dead. */
		int tables = 0;
		if ((dead_runs() || vb_nat_leftovers()) &&
		    (r = vb_nat_sweep(alive_cb, NULL, &tables, err)))
			return r;
		*cgroups += tables;
		/* xen-local's domUs, on a host that is a Xen dom0: before the work dirs go. */
		int doms = 0;
		if ((r = vb_xen_local_sweep(alive_cb, NULL, &doms, err)))
			return r;
		*cgroups += doms;
	}
	int dfd = sfd < 0 ? -1 : fcntl(sfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d && dfd >= 0)
		close(dfd);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		/* Only our own names: vb- and eight hex digits. */
		if (strncmp(e->d_name, "vb-", 3) || strlen(e->d_name) != 11 ||
		    strspn(e->d_name + 3, "0123456789abcdef") != 8)
			continue;
		if (vb_run_alive(e->d_name))
			continue;
		vb_info("removing %s/%s, left by a run that is gone", vb_state_dir(), e->d_name);
		/* By descriptor: a guest's symlink in its work directory leads nowhere. */
		vb_rm_rf_at(sfd, e->d_name);
		(*dirs)++;
	}
	if (d)
		closedir(d);
	return db ? vb_store_sweep_stale(db, runs, err) : 0;
}

char *vb_guest_spec_json(const struct vb_guest_spec *spec)
{
	_cleanup_json_ json_t *o = json_object();
	static const char *const nets[] = { "none", "nat", "bridged" };
	json_object_set_new(o, "vcpus", json_integer(spec->vcpus));
	json_object_set_new(o, "memory_bytes", json_integer((json_int_t)spec->memory_bytes));
	json_object_set_new(o, "disk_bytes", json_integer((json_int_t)spec->disk_bytes));
	json_object_set_new(o, "net", json_string(nets[spec->net]));
	json_object_set_new(o, "image", spec->image ? json_string(spec->image) : json_null());
	return vb_json_line(o);
}

char *vb_guest_record_json(const struct vb_guest_spec *spec, const struct vb_platform_ops *ops,
			   struct vb_guest *g)
{
	_cleanup_free_ char *text = vb_guest_spec_json(spec);
	_cleanup_free_ char *info = ops->guest_info && g ? ops->guest_info(g) : NULL;
	json_t *gi = info ? json_loads(info, 0, NULL) : NULL;
	if (!gi && !g && (ops->caps & VB_CAP_CONTAINER_DISK)) {
		gi = json_object();
		json_object_set_new(gi, "scratch",
				    json_string(vb_container_disk_name(spec->container_disk)));
	}
	if (!gi)
		return steal_ptr(&text);
	_cleanup_json_ json_t *o = json_loads(text, 0, NULL);
	json_object_set_new(o, "guest", gi);
	return vb_json_line(o);
}

char *vb_guest_label(const char *label, const struct vb_platform_ops *ops,
		     const struct vb_guest_spec *spec)
{
	if (!(ops->caps & VB_CAP_CONTAINER_DISK) ||
	    spec->container_disk == VB_CONTAINER_DISK_VOLUME)
		return xstrdup(label);
	_cleanup_free_ char *disk =
	    xasprintf("disk=%s", vb_container_disk_name(spec->container_disk));
	size_t n = strlen(ops->name);
	if (strncmp(label, ops->name, n))
		return xasprintf("%s[%s]", label, disk);
	const char *rest = label + n, *close = strchr(rest, ']');
	if (rest[0] == '[' && close)
		return xasprintf("%.*s,%s%s", (int)(close - label), label, disk, close);
	return xasprintf("%s[%s]%s", ops->name, disk, rest);
}

static const char *platform_label(const struct vb_run_config *cfg, size_t p)
{
	return cfg->labels && cfg->labels[p] ? cfg->labels[p] : cfg->platforms[p]->name;
}

static const struct vb_guest_spec *platform_spec(const struct vb_run_config *cfg, size_t p)
{
	return cfg->specs ? &cfg->specs[p] : &cfg->spec;
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
	json_object_set_new(o, "time_budget_s", json_real(cfg->time_budget_s));
	json_object_set_new(o, "job_timeout_s", json_real(cfg->job_timeout_s));
	/* The baseline the ratios are against: host when it runs, else the first platform. */
	const char *baseline = platform_label(cfg, 0);
	for (size_t i = 0; i < cfg->nplatforms; i++)
		if (!strcmp(platform_label(cfg, i), "host"))
			baseline = "host";
	json_object_set_new(o, "baseline", json_string(baseline));
	json_object_set_new(o, "ratio_interval",
			    json_string("95% Welch t on log samples (ratio of geometric means)"));
	json_object_set_new(o, "equivalence", json_real(cfg->equivalence));
	json_object_set_new(o, "order",
			    json_string("rounds; per workload every platform in order"));
	return vb_json_line(o);
}

static void progress(const struct vb_run_config *cfg, const struct vb_slot *slot, unsigned done,
		     double t0)
{
	if (!cfg->progress)
		return;
	printf("\r\033[K[%5.1fs] round %u%s  %s on %s  (%u jobs done)", now_s() - t0,
	       slot->round + 1, slot->warmup ? " (warm-up)" : "",
	       vb_run_workload_name(&cfg->workloads[slot->workload]),
	       platform_label(cfg, slot->platform), done);
	fflush(stdout);
}

static void progress_end(const struct vb_run_config *cfg)
{
	if (cfg->progress) {
		printf("\r\033[K");
		fflush(stdout);
	}
}

/* Has every platform's cell of workload wi met the stopping rule? */
static bool workload_done(const struct vb_run_config *cfg, struct cell **cells, size_t wi)
{
	size_t nm = vb_workload_nmetrics(cfg->workloads[wi].w);
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		struct cell *c = &cells[p][wi];
		for (size_t m = 0; m < nm; m++) {
			struct vb_summary s;
			if (c->n == 0)
				return false;
			vb_stats_summarize(c->vals[m], c->n, &s);
			if (!vb_stats_cell_done(&cfg->rule, &s))
				return false;
		}
	}
	return true;
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

static int record_setup(const struct vb_run_config *cfg, struct vb_store *db, int64_t run_id,
			struct guest_slot *guests, int64_t *wids, struct vb_error **err)
{
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		const struct vb_platform_ops *ops = cfg->platforms[p];
		_cleanup_free_ char *spec =
		    vb_guest_record_json(platform_spec(cfg, p), ops, guests[p].g);
		int r = vb_store_add_platform(
		    db, run_id, (int)p, platform_label(cfg, p), vb_platform_emulation(ops), spec,
		    ops->agent_hash ? ops->agent_hash(guests[p].g) : NULL, &guests[p].id, err);
		if (r)
			return r;
	}
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		const struct vb_workload_ops *w = cfg->workloads[i].w;
		_cleanup_free_ char *params = vb_workload_params_json(w, cfg->workloads[i].opts);
		int r = vb_store_add_workload(db, run_id, (int)i,
					      vb_run_workload_name(&cfg->workloads[i]), w->group,
					      params, &wids[i], err);
		for (size_t m = 0; !r && w->metrics[m].name; m++)
			r = vb_store_add_metric(db, wids[i], (int)m, w->metrics[m].name,
						w->metrics[m].unit, w->metrics[m].higher_is_better,
						err);
		if (r)
			return r;
	}
	return 0;
}

/* Build the protocol job for one slot. */
static void make_job(const struct vb_run_config *cfg, const char *tag, unsigned seq, size_t wi,
		     const struct vb_peer *peer, const struct guest_slot *gs, struct vb_job *job)
{
	const struct vb_run_workload *rw = &cfg->workloads[wi];
	_cleanup_free_ char *params = vb_workload_params_json(rw->w, rw->opts);
	memset(job, 0, sizeof(*job));
	job->id = xasprintf("%s-%u", tag, seq);
	job->workload = xstrdup(rw->w->name);
	job->params = json_loads(params, 0, NULL);
	if (rw->w->needs_peer)
		job->peer = vb_peer_address(peer, gs->ops, gs->g);
}

int vb_overhead_run(const struct vb_run_config *cfg, struct vb_store *db, int64_t *run_id,
		    unsigned *failed, struct vb_error **err)
{
	char tag[16];
	_cleanup_free_ char *work_dir = NULL;
	*failed = 0;
	*run_id = -1;

	int r = vb_run_claim(tag, &work_dir, err);
	if (r)
		return r;
	struct vb_platform_ctx pctx = {
		.run_id = tag,
		.agent_path = cfg->agent_path,
		.work_dir = work_dir,
		.ready_timeout_s = cfg->ready_timeout_s,
		.job_timeout_s = cfg->job_timeout_s,
	};
	struct guest_slot *guests = xcalloc(cfg->nplatforms, sizeof(*guests));
	int64_t *wids = xcalloc(cfg->nworkloads, sizeof(*wids));
	struct cell **cells = xcalloc(cfg->nplatforms, sizeof(*cells));
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		cells[p] = xcalloc(cfg->nworkloads, sizeof(**cells));
		for (size_t w = 0; w < cfg->nworkloads; w++)
			cells[p][w].vals =
			    xcalloc(vb_workload_nmetrics(cfg->workloads[w].w), sizeof(double *));
	}
	struct vb_sched sched = { 0 };
	_cleanup_free_ char *host = NULL;
	_cleanup_free_ char *config = NULL;
	/* One w3 peer per platform, on the host address its guest reaches. */
	struct vb_peer *peers = xcalloc(cfg->nplatforms, sizeof(*peers));
	for (size_t p = 0; p < cfg->nplatforms; p++)
		peers[p] = (struct vb_peer){ .pid = -1, .in_fd = -1 };
	bool needs_peer = false;
	for (size_t i = 0; i < cfg->nworkloads; i++)
		needs_peer |= cfg->workloads[i].w->needs_peer;
	bool interrupted = false, aborted = false, budget_hit = false;
	double t0 = now_s();

	for (size_t p = 0; p < cfg->nplatforms; p++) {
		const struct vb_platform_ops *ops = cfg->platforms[p];
		_cleanup_free_ char *name = xasprintf("%s-%zu", tag, p);
		guests[p].ops = ops;
		r = ops->provision(&pctx, platform_spec(cfg, p), name, &guests[p].g, err);
		if (!r)
			r = ops->start(guests[p].g, err);
		const char *listen =
		    (!r && needs_peer && ops->peer_listen) ? ops->peer_listen(guests[p].g) : NULL;
		if (!r && needs_peer && !listen)
			r = vb_error_set(err, VB_SKIP, "its guest has no network to a peer");
		if (!r && needs_peer) {
			_cleanup_free_ char *addr = xasprintf("%s:0", listen);
			r = vb_peer_start(cfg->agent_path, addr, vb_peer_netns(ops, guests[p].g),
					  &peers[p], err);
		}
		if (r) {
			vb_error_wrap(err, "%s", platform_label(cfg, p));
			goto out;
		}
	}

	host = vb_fingerprint_host();
	config = config_json(cfg);
	struct vb_run_begin rb = {
		.tag = tag,
		.experiment = cfg->experiment ? cfg->experiment : "run",
		.command = cfg->command,
		.profile = cfg->profile == VB_PROFILE_FULL ? "full" : "quick",
		.config_json = config,
		.host_json = host,
	};
	r = vb_store_run_begin(db, &rb, run_id, err);
	if (!r)
		r = record_setup(cfg, db, *run_id, guests, wids, err);
	if (r)
		goto out;

	vb_sched_init(&sched, (unsigned)cfg->nplatforms, (unsigned)cfg->nworkloads, cfg->warmup);
	struct vb_slot slot;
	unsigned seq = 0;
	bool *wfailed = xcalloc(cfg->nworkloads, sizeof(bool));
	while (!interrupted && !aborted && vb_sched_next(&sched, &slot)) {
		const struct vb_run_workload *rw = &cfg->workloads[slot.workload];
		struct guest_slot *gs = &guests[slot.platform];
		size_t nm = vb_workload_nmetrics(rw->w);
		progress(cfg, &slot, seq, t0);

		struct vb_job job;
		make_job(cfg, tag, seq, slot.workload, &peers[slot.platform], gs, &job);
		_cleanup_free_ double *values = xcalloc(nm, sizeof(double));
		struct job_result jr = { .w = rw->w, .nm = nm, .values = values };
		struct vb_error *jerr = NULL;
		double js = now_s();
		int jrc = gs->ops->exec(gs->g, &job, on_event, &jr, &jerr);
		double jdur = now_s() - js;
		vb_job_release(&job);
		if (!jrc && !jr.have_sample)
			jrc = vb_error_set(&jerr, -EPROTO, "agent finished without a full sample");
		if (jrc == -EINTR || vb_interrupted)
			interrupted = true;

		if (!interrupted) {
			const char **names = xcalloc(nm, sizeof(char *));
			for (size_t m = 0; m < nm; m++)
				names[m] = rw->w->metrics[m].name;
			struct vb_sample_record rec = {
				.run_id = *run_id,
				.platform_id = gs->id,
				.workload_id = wids[slot.workload],
				.seq = (int)seq,
				.round = (int)slot.round,
				.warmup = slot.warmup,
				.ok = jrc == 0,
				.error = jrc ? jerr->msg : NULL,
				.duration_s = jdur,
				.nvalues = jrc ? 0 : nm,
				.names = names,
				.values = values,
			};
			r = vb_store_add_sample(db, &rec, err);
			free(names);
			seq++;
			if (r) {
				vb_error_free(&jerr);
				aborted = true;
				break;
			}
		}
		if (jrc && !interrupted) {
			(*failed)++;
			progress_end(cfg);
			vb_warn("%s on %s failed: %s", vb_run_workload_name(rw), gs->ops->name,
				jerr->msg);
			wfailed[slot.workload] = true;
			vb_sched_mark_done(&sched, slot.workload);
			/* A guest whose agent is gone gets one fresh start; then we give up. */
			if (jrc != -EIO) {
				struct vb_error *serr = NULL;
				gs->ops->stop(gs->g, NULL);
				if (gs->ops->start(gs->g, &serr)) {
					vb_error_set(err, serr->code, "%s: cannot restart: %s",
						     gs->ops->name, serr->msg);
					vb_error_free(&serr);
					aborted = true;
				}
			}
		} else if (!jrc && !slot.warmup) {
			cell_add(&cells[slot.platform][slot.workload], nm, values);
		}
		vb_error_free(&jerr);
		if (slot.last_in_workload && !slot.warmup && !wfailed[slot.workload]) {
			bool budget = cfg->time_budget_s > 0 && now_s() - t0 > cfg->time_budget_s;
			if (budget && !workload_done(cfg, cells, slot.workload))
				budget_hit = true;
			if (budget || workload_done(cfg, cells, slot.workload))
				vb_sched_mark_done(&sched, slot.workload);
		}
	}
	free(wfailed);
	progress_end(cfg);
	if (budget_hit && !interrupted)
		vb_warn("the time budget of %g s was spent before every interval was narrow "
			"enough: see n and the intervals",
			cfg->time_budget_s);
	if (interrupted)
		r = vb_error_set(err, -EINTR,
				 "interrupted: run %s kept what it measured, marked incomplete",
				 tag);
	else if (aborted && !r)
		r = -EIO;

out:
	for (size_t p = 0; p < cfg->nplatforms; p++)
		if (guests[p].g)
			guests[p].ops->destroy(guests[p].g);
	for (size_t p = 0; p < cfg->nplatforms; p++)
		vb_peer_stop(&peers[p]);
	free(peers);
	if (*run_id >= 0) {
		struct vb_error *serr = NULL;
		const char *baseline = platform_label(cfg, 0);
		for (size_t p = 0; p < cfg->nplatforms; p++)
			if (!strcmp(platform_label(cfg, p), "host"))
				baseline = "host";
		if (vb_store_summarize(db, *run_id, baseline, cfg->equivalence, &serr)) {
			if (!r)
				r = vb_error_set(err, serr->code, "%s", serr->msg);
			vb_error_free(&serr);
		}
		const char *status = r ? "incomplete" : "complete";
		int code = r ? (*err ? (*err)->exit_code : VB_EXIT_MEASUREMENT)
			     : (*failed ? VB_EXIT_MEASUREMENT : VB_EXIT_OK);
		vb_store_run_end(db, *run_id, status, code, NULL);
	}
	for (size_t p = 0; p < cfg->nplatforms; p++) {
		for (size_t w = 0; w < cfg->nworkloads; w++) {
			size_t nm = vb_workload_nmetrics(cfg->workloads[w].w);
			for (size_t m = 0; m < nm; m++)
				free(cells[p][w].vals[m]);
			free(cells[p][w].vals);
		}
		free(cells[p]);
	}
	free(cells);
	free(guests);
	free(wids);
	vb_sched_release(&sched);
	vb_rm_rf(work_dir);
	return r;
}
