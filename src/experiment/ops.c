/* SPDX-License-Identifier: MIT */
/*
 * The ops experiment (study §5.1, tables 5.1–5.3): how long each step of a
 * guest's life takes on each platform — provision from the cached image,
 * boot to agent-ready, reboot, stop, clone, destroy — what a running guest
 * costs the host in memory, and how many guests a second can be started one
 * after another. Rounds are interleaved across platforms like the overhead
 * experiment's; the first round (which also fills the image caches) is
 * warm-up. Each lifecycle is one stored sample, committed as it ends.
 */
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"
#include "experiment/session.h"

enum {
	M_PROVISION,
	M_BOOT,
	M_HOST_BOOT,
	M_GUEST_BOOT,
	M_FOOTPRINT,
	M_REBOOT,
	M_STOP,
	M_CLONE,
	M_CLONE_BOOT,
	M_DESTROY,
	NMETRICS
};

static const struct vb_metric_desc lifecycle_metrics[NMETRICS + 1] = {
	[M_PROVISION] = { "provision_s", "s", false, "provision from the cached image" },
	[M_BOOT] = { "boot_s", "s", false, "start to agent-ready" },
	/* The parts of boot_s where a platform boots a host first (xen: dom0, then the domU). */
	[M_HOST_BOOT] = { "dom0_boot_s", "s", false, "start to dom0's control loop (xen)" },
	[M_GUEST_BOOT] = { "domu_boot_s", "s", false, "xl create to the domU agent's hello (xen)" },
	[M_FOOTPRINT] = { "footprint_bytes", "B", false, "memory charged to the idle guest" },
	[M_REBOOT] = { "reboot_s", "s", false, "stop and start to agent-ready again" },
	[M_STOP] = { "stop_s", "s", false, "stop the guest" },
	[M_CLONE] = { "clone_s", "s", false, "a new stopped guest from the stopped one" },
	[M_CLONE_BOOT] = { "clone_boot_s", "s", false, "the clone started to agent-ready" },
	[M_DESTROY] = { "destroy_s", "s", false, "remove everything of the guest" },
};

/*
 * The run's image in the form a platform boots (a container's tree, a VM's
 * root disk made from the tree), had once before the rounds: built now or
 * taken from the cache, which the second metric says.
 */
static const struct vb_metric_desc image_metrics[] = {
	{ "image_s", "s", false, "the image this platform boots, built or from the cache" },
	{ "image_built", "built", false, "1: built by this run, 0: taken from the cache" },
	{ 0 },
};

static const struct vb_metric_desc rate_metrics[] = {
	{ "guests_per_s", "guests/s", true, "provision + boot, one guest after another" },
	{ "parallel_guests_per_s", "guests/s", true,
	  "boot of guests provisioned beforehand, all at once (one process each), to the last "
	  "hello" },
	{ 0 },
};

/* What one round on one platform measured; have[m] says which values exist. */
struct lifecycle {
	double v[NMETRICS];
	bool have[NMETRICS];
};

static void put(struct lifecycle *lc, int m, double v)
{
	lc->v[m] = v;
	lc->have[m] = true;
}

/* A guest name: the run's tag, a dash and a number (network names are ≤ 15 characters). */
static char *guest_name(const char *tag, unsigned *counter)
{
	return xasprintf("%s-%u", tag, (*counter)++ % 1000);
}

/*
 * One lifecycle. Whatever fails stops the round there (the error is the
 * sample's); what exists is destroyed on every path.
 */
static int lifecycle(const struct vb_platform_ops *ops, const struct vb_platform_ctx *ctx,
		     const struct vb_guest_spec *spec, unsigned *counter, struct lifecycle *lc,
		     struct vb_error **err)
{
	struct vb_guest *g = NULL, *c = NULL;
	_cleanup_free_ char *name = guest_name(ctx->run_id, counter);
	double t = vb_monotonic_s();
	int r = ops->provision(ctx, spec, name, &g, err);
	if (r)
		goto out;
	put(lc, M_PROVISION, vb_monotonic_s() - t);
	t = vb_monotonic_s();
	r = ops->start(g, err);
	if (r)
		goto out;
	put(lc, M_BOOT, vb_monotonic_s() - t);
	double host_s, guest_s;
	if (ops->boot_parts && ops->boot_parts(g, &host_s, &guest_s) == 0) {
		if (host_s > 0)
			put(lc, M_HOST_BOOT, host_s);
		put(lc, M_GUEST_BOOT, guest_s);
	}
	uint64_t bytes;
	struct vb_error *ferr = NULL;
	if (ops->footprint && ops->footprint(g, &bytes, &ferr) == 0)
		put(lc, M_FOOTPRINT, (double)bytes);
	vb_error_free(&ferr);
	if (ops->reboot && !vb_interrupted) {
		t = vb_monotonic_s();
		r = ops->reboot(g, err);
		if (r)
			goto out;
		put(lc, M_REBOOT, vb_monotonic_s() - t);
	}
	t = vb_monotonic_s();
	r = ops->stop(g, err);
	if (r)
		goto out;
	put(lc, M_STOP, vb_monotonic_s() - t);
	if (ops->clone && !vb_interrupted) {
		_cleanup_free_ char *cname = guest_name(ctx->run_id, counter);
		t = vb_monotonic_s();
		r = ops->clone(g, cname, &c, err);
		if (r)
			goto out;
		put(lc, M_CLONE, vb_monotonic_s() - t);
		/* A clone counts only if it boots: its disk and rootfs are whole. */
		t = vb_monotonic_s();
		r = ops->start(c, err);
		if (r)
			goto out;
		put(lc, M_CLONE_BOOT, vb_monotonic_s() - t);
	}
	t = vb_monotonic_s();
	ops->destroy(g);
	g = NULL;
	put(lc, M_DESTROY, vb_monotonic_s() - t);
out:
	ops->destroy(c);
	ops->destroy(g);
	if (!r && vb_interrupted)
		r = vb_error_set(err, -EINTR, "interrupted");
	return r;
}

/*
 * One guest of the parallel start, in a child process of its own: a
 * platform's start forks or clones, which is only safe from a process with
 * one thread, so parallel starts are processes, not threads. The child
 * provisions its guest, says 'p', waits for the go byte, starts it, says
 * 'r' (or 'e'), then waits for its pipe to close, destroys the guest and
 * exits. It dies with the supervisor (PDEATHSIG); a later start sweeps what
 * it leaves then, as for any run.
 */
static void starter_child(const struct vb_platform_ops *ops, const struct vb_platform_ctx *ctx,
			  const struct vb_guest_spec *spec, const char *name, int rfd, int wfd)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct vb_guest *g = NULL;
	struct vb_error *e = NULL;
	char c = ops->provision(ctx, spec, name, &g, &e) ? 'e' : 'p';
	if (write(wfd, &c, 1) == 1 && c == 'p' && read(rfd, &c, 1) == 1) {
		c = ops->start(g, &e) ? 'e' : 'r';
		if (write(wfd, &c, 1) == 1)
			while (read(rfd, &c, 1) > 0)
				;
	}
	ops->destroy(g);
	vb_error_free(&e);
	_exit(0);
}

/* Wait for one byte from each child: 1 when all said want. */
static bool all_say(int *from, unsigned n, char want)
{
	bool ok = true;
	for (unsigned i = 0; i < n; i++) {
		char c = 0;
		ssize_t k;
		while ((k = read(from[i], &c, 1)) < 0 && errno == EINTR)
			;
		ok &= k == 1 && c == want;
	}
	return ok;
}

/*
 * Provision n guests (untimed, one child process each), then start them all
 * at once; the rate is n over the time from the go to the last hello.
 */
static int parallel_rate(const struct vb_platform_ops *ops, const struct vb_platform_ctx *ctx,
			 const struct vb_guest_spec *spec, unsigned n, unsigned *counter,
			 double *rate, struct vb_error **err)
{
	pid_t *pid = xcalloc(n, sizeof(*pid));
	int *to = xcalloc(n, sizeof(int)), *from = xcalloc(n, sizeof(int));
	int r = 0;
	unsigned made = 0;
	fflush(NULL);
	for (; made < n; made++) {
		int a[2], b[2];
		if (pipe2(a, O_CLOEXEC) < 0) {
			r = vb_error_errno(err, errno, "pipe");
			break;
		}
		if (pipe2(b, O_CLOEXEC) < 0) {
			r = vb_error_errno(err, errno, "pipe");
			close(a[0]);
			close(a[1]);
			break;
		}
		_cleanup_free_ char *name = guest_name(ctx->run_id, counter);
		pid[made] = fork();
		if (pid[made] == 0) {
			close(a[1]);
			close(b[0]);
			/* The siblings' ends too: their pipes must close when the parent's do. */
			for (unsigned k = 0; k < made; k++) {
				close(to[k]);
				close(from[k]);
			}
			starter_child(ops, ctx, spec, name, a[0], b[1]);
		}
		close(a[0]);
		close(b[1]);
		to[made] = a[1];
		from[made] = b[0];
		if (pid[made] < 0) {
			r = vb_error_errno(err, errno, "fork");
			close(to[made]);
			close(from[made]);
			break;
		}
	}
	if (!r && !all_say(from, n, 'p'))
		r = vb_error_set(err, -EIO, "a guest for the parallel start was not provisioned");
	if (!r) {
		double t = vb_monotonic_s();
		for (unsigned i = 0; i < n; i++)
			if (write(to[i], "g", 1) != 1)
				r = vb_error_errno(err, errno, "starting guest %u", i);
		if (!r && !all_say(from, n, 'r'))
			r = vb_error_set(err, -EIO, "a guest of the parallel start did not boot");
		*rate = (double)n / (vb_monotonic_s() - t);
	}
	/* Closing the pipes tells each child to destroy its guest and exit. */
	for (unsigned i = 0; i < made; i++) {
		close(to[i]);
		close(from[i]);
		vb_proc_reap(pid[i], 30000);
	}
	free(pid);
	free(to);
	free(from);
	if (!r && vb_interrupted)
		r = vb_error_set(err, -EINTR, "interrupted");
	return r;
}

/* Start n guests one after another, to agent-ready; the rate is n over the time. */
static int start_rate(const struct vb_platform_ops *ops, const struct vb_platform_ctx *ctx,
		      const struct vb_guest_spec *spec, unsigned n, unsigned *counter, double *rate,
		      struct vb_error **err)
{
	struct vb_guest **gs = xcalloc(n, sizeof(*gs));
	int r = 0;
	double t = vb_monotonic_s();
	for (unsigned i = 0; i < n && !r; i++) {
		_cleanup_free_ char *name = guest_name(ctx->run_id, counter);
		r = ops->provision(ctx, spec, name, &gs[i], err);
		if (!r)
			r = ops->start(gs[i], err);
		if (!r && vb_interrupted)
			r = vb_error_set(err, -EINTR, "interrupted");
	}
	*rate = (double)n / (vb_monotonic_s() - t);
	for (unsigned i = 0; i < n; i++)
		ops->destroy(gs[i]);
	free(gs);
	return r;
}

static char *ops_config_json(const struct vb_ops_config *cfg)
{
	_cleanup_json_ json_t *o = json_object();
	json_t *p = json_array();
	for (size_t i = 0; i < cfg->nplatforms; i++) {
		_cleanup_free_ char *label =
		    vb_guest_label(cfg->platforms[i]->name, cfg->platforms[i], &cfg->spec);
		json_array_append_new(p, json_string(label));
	}
	json_object_set_new(o, "platforms", p);
	json_object_set_new(o, "baseline", json_null());
	json_object_set_new(o, "rounds", json_integer(cfg->rounds));
	json_object_set_new(o, "warmup", json_integer(cfg->warmup));
	json_object_set_new(o, "rate_guests", json_integer(cfg->rate_guests));
	json_object_set_new(o, "ready_timeout_s", json_real(cfg->ready_timeout_s));
	json_object_set_new(o, "order", json_string("rounds; per round every platform in order"));
	return vb_json_line(o);
}

int vb_ops_run(const struct vb_ops_config *cfg, struct vb_store *db, int64_t *run_id,
	       unsigned *failed, struct vb_error **err)
{
	struct vb_session s;
	*run_id = -1;
	*failed = 0;
	int r =
	    vb_session_open(&s, db, cfg->agent_path, cfg->ready_timeout_s, 60, cfg->progress, err);
	if (r)
		return r;
	s.pctx.image = cfg->image;
	s.pctx.kernel = cfg->kernel;
	s.pctx.kernel_modules = cfg->kernel_modules;
	_cleanup_free_ char *config = ops_config_json(cfg);
	int64_t *pids = xcalloc(cfg->nplatforms, sizeof(*pids));
	int64_t wl = -1, wr = -1;
	r = vb_session_begin(&s, "ops", cfg->command, "quick", config, err);
	*run_id = s.run_id;
	for (size_t p = 0; !r && p < cfg->nplatforms; p++) {
		const struct vb_platform_ops *ops = cfg->platforms[p];
		_cleanup_free_ char *label = vb_guest_label(ops->name, ops, &cfg->spec);
		_cleanup_free_ char *spec = vb_guest_record_json(&cfg->spec, ops, NULL, cfg->image);
		r = vb_store_add_platform(db, s.run_id, (int)p, label, vb_platform_emulation(ops),
					  spec, NULL, &pids[p], err);
	}
	if (!r)
		r = vb_session_add_workload(&s, 0, "ops.lifecycle", "ops", "{}", lifecycle_metrics,
					    &wl, err);
	if (!r && cfg->rate_guests) {
		_cleanup_free_ char *params = xasprintf("{\"guests\":%u}", cfg->rate_guests);
		r = vb_session_add_workload(&s, 1, "ops.start_rate", "ops", params, rate_metrics,
					    &wr, err);
	}
	/* The image, when the run has one of its own: how long having it took here. */
	const struct vb_guest_image *img = cfg->image;
	int64_t wi = -1;
	if (!r && img && img->kind != VB_IMAGE_MINIMAL) {
		_cleanup_free_ char *params =
		    xasprintf("{\"kind\":\"%s\",\"key\":\"%s\",\"packages\":\"%s\"}",
			      vb_image_kind_name(img->kind), img->key ? img->key : "",
			      img->packages ? img->packages : "");
		r = vb_session_add_workload(&s, 2, "ops.image", "ops", params, image_metrics, &wi,
					    err);
	}
	for (size_t p = 0; !r && wi >= 0 && p < cfg->nplatforms; p++) {
		unsigned caps = cfg->platforms[p]->caps;
		bool disk = (caps & VB_CAP_ROOT_DISK) && img->disk;
		if (!disk && !((caps & VB_CAP_ROOT_TREE) && img->tree))
			continue;
		/* A disk is made from the tree: having it takes both. */
		double v[2] = { img->tree_s + (disk ? img->disk_s : 0),
				(disk ? img->disk_built || img->tree_built : img->tree_built) ? 1
											      : 0 };
		bool have[2] = { true, true };
		struct vb_session_sample sm = {
			.platform_id = pids[p],
			.workload_id = wi,
			.duration_s = v[0],
			.metrics = image_metrics,
			.values = v,
			.have = have,
		};
		r = vb_session_store(&s, &sm, err);
	}
	/* Guests are made and destroyed by the steps themselves: their names go on. */
	unsigned counter = 0;
	for (unsigned round = 0; !r && round < cfg->warmup + cfg->rounds; round++) {
		bool warm = round < cfg->warmup;
		for (size_t p = 0; !r && p < cfg->nplatforms; p++) {
			const struct vb_platform_ops *ops = cfg->platforms[p];
			struct lifecycle lc = { 0 };
			struct vb_error *jerr = NULL;
			vb_session_progress(&s, round, warm, "lifecycle", ops->name);
			double t = vb_monotonic_s();
			int jr = lifecycle(ops, &s.pctx, &cfg->spec, &counter, &lc, &jerr);
			if (jr == -EINTR || vb_interrupted) {
				vb_error_free(&jerr);
				r = vb_session_interrupted(&s, err);
				break;
			}
			struct vb_session_sample sm = {
				.platform_id = pids[p],
				.workload_id = wl,
				.round = round,
				.warmup = warm,
				.error = jerr ? jerr->msg : NULL,
				.duration_s = vb_monotonic_s() - t,
				.metrics = lifecycle_metrics,
				.values = lc.v,
				.have = lc.have,
			};
			r = vb_session_store(&s, &sm, err);
			if (jerr) {
				vb_session_progress_end(&s);
				vb_warn("ops on %s: %s", ops->name, jerr->msg);
			}
			vb_error_free(&jerr);
			if (r || warm || !cfg->rate_guests)
				continue;
			vb_session_progress(&s, round, warm, "start rate", ops->name);
			double rate[2] = { 0, 0 };
			bool have[2] = { false, false };
			t = vb_monotonic_s();
			jr = start_rate(ops, &s.pctx, &cfg->spec, cfg->rate_guests, &counter,
					&rate[0], &jerr);
			have[0] = jr == 0;
			if (!jr && !vb_interrupted)
				jr = parallel_rate(ops, &s.pctx, &cfg->spec, cfg->rate_guests,
						   &counter, &rate[1], &jerr);
			have[1] = have[0] && jr == 0;
			if (jr == -EINTR || vb_interrupted) {
				vb_error_free(&jerr);
				r = vb_session_interrupted(&s, err);
				break;
			}
			struct vb_session_sample rs = {
				.platform_id = pids[p],
				.workload_id = wr,
				.round = round,
				.error = jerr ? jerr->msg : NULL,
				.duration_s = vb_monotonic_s() - t,
				.metrics = rate_metrics,
				.values = rate,
				.have = have,
			};
			r = vb_session_store(&s, &rs, err);
			vb_error_free(&jerr);
		}
	}
	/* No baseline: an ops table compares platforms side by side, not to host. */
	r = vb_session_close(&s, NULL, VB_EQUIVALENCE_DEFAULT, r, err);
	*failed = s.failed;
	free(pids);
	return r;
}
