/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal baseline. The agent runs as a plain child process, started
 * and spoken to exactly as a guest's agent is, so host and guests pay the
 * same launch path and the same protocol costs.
 */
#include <signal.h>
#include <sys/stat.h>

#include "agent/client.h"
#include "core/caplog.h"
#include "core/proc.h"
#include "core/util.h"
#include "virtbench/feature.h"
#include "virtbench/platform.h"

struct vb_guest {
	char *name;
	char *agent_path;
	char *scratch; /* <work_dir>/<name>: the workloads' scratch directory */
	char *log;     /* <work_dir>/<name>.log: the agent's stderr, capped */
	struct vb_caplog stderr_log;
	double ready_timeout_s;
	double job_timeout_s;
	pid_t pid;
	struct vb_channel ch;
	bool running;
	char hash[65];
};

static int host_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			  const char *name, struct vb_guest **out, struct vb_error **err)
{
	(void)spec;
	struct vb_guest *g = xcalloc(1, sizeof(*g));
	g->name = xstrdup(name);
	g->agent_path = xstrdup(ctx->agent_path);
	g->scratch = xasprintf("%s/%s", ctx->work_dir, name);
	g->log = xasprintf("%s/%s.log", ctx->work_dir, name);
	g->ready_timeout_s = ctx->ready_timeout_s;
	g->job_timeout_s = ctx->job_timeout_s;
	g->pid = -1;
	g->ch.rfd = g->ch.wfd = -1;
	int r = vb_sha256_file(g->agent_path, g->hash);
	if (r) {
		vb_error_errno(err, -r, "cannot read the agent %s", g->agent_path);
		goto fail;
	}
	r = vb_mkdir_p(g->scratch, 0700);
	if (r) {
		vb_error_errno(err, -r, "cannot create %s", g->scratch);
		goto fail;
	}
	*out = g;
	return 0;
fail:
	free(g->name);
	free(g->agent_path);
	free(g->scratch);
	free(g->log);
	free(g);
	return r;
}

static int host_stop(struct vb_guest *g, struct vb_error **err)
{
	(void)err;
	if (!g->running)
		return 0;
	/* An idle agent quits at once; a busy one gets SIGTERM after a moment. */
	vb_agent_client_quit(&g->ch);
	vb_channel_release(&g->ch);
	vb_proc_reap(g->pid, 200);
	vb_caplog_stop(&g->stderr_log);
	g->pid = -1;
	g->running = false;
	return 0;
}

/* err with the agent's last word on stderr (cleaned), if it said anything. */
static int with_stderr(struct vb_guest *g, struct vb_error **err)
{
	_cleanup_free_ char *last = vb_caplog_last_line(g->log, NULL);
	if (last)
		return vb_error_wrap(err, "%s (its stderr, %s, ends: %s)", g->name, g->log, last);
	return vb_error_wrap(err, "%s", g->name);
}

static int host_start(struct vb_guest *g, struct vb_error **err)
{
	if (g->running)
		return 0;
	char *argv[] = { g->agent_path, NULL };
	int to, from, errw;
	/* What the agent writes on stderr goes to a capped file, never to our terminal. */
	int r = vb_caplog_pipe(&g->stderr_log, g->log, VB_CAPLOG_DEFAULT_CAP, &errw, err);
	if (r)
		return r;
	r = vb_proc_spawn_piped_err(argv, -1, errw, &g->pid, &to, &from, err);
	close(errw);
	if (r) {
		vb_caplog_stop(&g->stderr_log);
		return r;
	}
	vb_channel_init(&g->ch, from, to, 65536);
	g->running = true;
	struct vb_event hello;
	r = vb_agent_client_hello(&g->ch, g->ready_timeout_s, &hello, err);
	if (r) {
		host_stop(g, NULL);
		return with_stderr(g, err);
	}
	vb_event_release(&hello);
	return 0;
}

static int host_exec(struct vb_guest *g, const struct vb_job *job, vb_event_cb cb, void *data,
		     struct vb_error **err)
{
	if (!g->running)
		return vb_error_set(err, -ESRCH, "%s is not running", g->name);
	bool broken;
	int r = vb_agent_client_run(&g->ch, job, job->scratch_dir ? job->scratch_dir : g->scratch,
				    g->job_timeout_s, cb, data, &broken, err);
	if (broken) {
		host_stop(g, NULL);
		return with_stderr(g, err);
	}
	return r;
}

static int host_reboot(struct vb_guest *g, struct vb_error **err)
{
	host_stop(g, err);
	return host_start(g, err);
}

static void host_destroy(struct vb_guest *g)
{
	if (!g)
		return;
	host_stop(g, NULL);
	vb_rm_rf(g->scratch);
	unlink(g->log);
	free(g->name);
	free(g->agent_path);
	free(g->scratch);
	free(g->log);
	free(g);
}

static const char *host_agent_hash(struct vb_guest *g)
{
	return g->hash;
}

static const char *host_peer_listen(struct vb_guest *g)
{
	(void)g;
	return "127.0.0.1";
}

/* Two host "guests" are two agents on this host: they meet on its loopback. */
static const char *host_guest_address(struct vb_guest *g)
{
	(void)g;
	return "127.0.0.1";
}

/* Its column of `virtbench features`: the baseline, by design. */
static int host_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c)
{
	(void)h;
	(void)named;
	vb_feature_cell_set(
	    &c[VB_FEATURE_CHECKPOINT], VB_FV_NA, VB_FH_BY_DESIGN,
	    "Bare metal is the baseline, not a guest: there is no machine apart from the "
	    "host to save (processes: see container).");
	vb_feature_cell_set(&c[VB_FEATURE_LIVE_MIGRATION], VB_FV_NA, VB_FH_BY_DESIGN,
			    "Bare metal cannot move to another server while it runs.");
	vb_feature_cell_set(&c[VB_FEATURE_MEM_OVERCOMMIT], VB_FV_NA, VB_FH_BY_DESIGN,
			    "No guests share the host's memory: there is nothing to over-commit.");
	vb_feature_cell_set(&c[VB_FEATURE_CPU_OVERCOMMIT], VB_FV_NA, VB_FH_BY_DESIGN,
			    "No guests share the host's CPUs: there is nothing to over-commit.");
	vb_feature_cell_set(&c[VB_FEATURE_HW_EXTENSIONS], VB_FV_NO, VB_FH_BY_DESIGN,
			    "Programs run natively; no virtualization extension is used.");
	vb_feature_cell_set(
	    &c[VB_FEATURE_KERNEL_UPDATES], VB_FV_NA, VB_FH_BY_DESIGN,
	    "There is one kernel, the host's: updating it means rebooting the machine.");
	vb_feature_cell_set(&c[VB_FEATURE_MAINLINE], VB_FV_NA, VB_FH_BY_DESIGN,
			    "Nothing beyond an ordinary kernel is needed.");
	return 0;
}

const struct vb_platform_ops vb_platform_host = {
	.name = "host",
	.summary = "bare metal baseline: the agent as a plain child process",
	/* The host is the outside itself: every --net leaves it as it is. */
	.caps = VB_CAP_REBOOT | VB_CAP_NETWORK | VB_CAP_NAT,
	.provision = host_provision,
	.start = host_start,
	.exec = host_exec,
	.reboot = host_reboot,
	.stop = host_stop,
	.destroy = host_destroy,
	.agent_hash = host_agent_hash,
	.peer_listen = host_peer_listen,
	.guest_address = host_guest_address,
	.features = host_features,
};
