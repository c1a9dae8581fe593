/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#include "agent/agent.h"
#include "agent/channel.h"
#include "agent/peer.h"
#include "agent/protocol.h"
#include "agent/relay.h"
#include "core/json.h"
#include "core/util.h"
#include "virtbench/workload.h"

static volatile sig_atomic_t agent_stop;

static void on_term(int sig)
{
	(void)sig;
	agent_stop = 1;
}

/*
 * As PID 1 of a container or guest, the agent inherits orphans: reap them,
 * but never while a job runs, whose service workloads wait for their own
 * children (a reaper here would take their exit status); what was orphaned
 * during the job is reaped after it.
 */
static volatile sig_atomic_t job_running;

static void reap_orphans(void)
{
	int saved = errno;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static void on_child(int sig)
{
	(void)sig;
	if (!job_running)
		reap_orphans();
}

struct agent {
	struct vb_channel ch;
	const char *job; /* id of the job running now */
};

static void send_event(struct agent *a, const struct vb_event *ev)
{
	_cleanup_free_ char *line = vb_event_format(ev);
	/* A broken channel ends the agent at the next read; nothing else to do here. */
	(void)vb_channel_send(&a->ch, line);
}

static void send_text(struct agent *a, enum vb_event_type type, const char *level, const char *msg)
{
	struct vb_event ev = {
		.type = type, .job = (char *)a->job, .level = (char *)level, .msg = (char *)msg
	};
	send_event(a, &ev);
}

static void workload_log(void *data, const char *msg)
{
	send_text(data, VB_EV_LOG, "info", msg);
}

static void fill_ctx(struct vb_workload_ctx *ctx)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	ctx->online_cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? (unsigned)CPU_COUNT(&set)
									: (unsigned)get_nprocs();
	struct sysinfo si;
	if (sysinfo(&si) == 0)
		ctx->mem_total = (uint64_t)si.totalram * si.mem_unit;
}

/* Turn the job's params into an option struct: every key must be an option. */
static int build_opts(const struct vb_workload_ops *w, const json_t *params, void *opts,
		      struct vb_error **err)
{
	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)params, k, v)
	{
		const struct vb_option *o = vb_workload_option(w, k);
		if (!o)
			return vb_error_set(err, -EINVAL, "%s has no option \"%s\"", w->name, k);
		if (json_is_boolean(v) != (o->type == VB_OPT_BOOL) ||
		    json_is_string(v) != (o->type == VB_OPT_CHOICE))
			return vb_error_set(err, -EINVAL, "%s: option \"%s\" has the wrong type",
					    w->name, k);
		int r = json_is_string(v)
			    ? vb_option_parse(w, o, json_string_value(v), opts, err)
			    : vb_option_set(w, o,
					    json_is_boolean(v) ? json_is_true(v)
							       : (uint64_t)json_integer_value(v),
					    opts, err);
		if (r)
			return r;
	}
	return 0;
}

static bool run_job(struct agent *a, const struct vb_job *job)
{
	struct vb_error *err = NULL;
	a->job = job->id;
	const struct vb_workload_ops *w = vb_workload_find(job->workload);
	struct vb_event started = { .type = VB_EV_STARTED,
				    .job = job->id,
				    .workload = job->workload };
	send_event(a, &started);

	struct vb_workload_ctx ctx = { .scratch_dir = job->scratch_dir,
				       .peer = job->peer,
				       .stop = &agent_stop,
				       .log = workload_log,
				       .log_data = a };
	fill_ctx(&ctx);
	_cleanup_free_ void *opts = NULL;
	_cleanup_free_ double *values = NULL;
	size_t nm = 0;
	int r;
	if (!w) {
		r = vb_error_set(&err, -EINVAL, "unknown workload \"%s\"", job->workload);
		goto out;
	}
	opts = xcalloc(1, w->opts_size);
	r = build_opts(w, job->params, opts, &err);
	if (!r && w->check)
		r = w->check(opts, &ctx, &err);
	if (r)
		goto out;
	nm = vb_workload_nmetrics(w);
	values = xcalloc(nm, sizeof(*values));
	job_running = 1;
	r = w->run(&ctx, opts, values, &err);
	job_running = 0;
	if (getpid() == 1)
		reap_orphans();
	for (size_t i = 0; !r && i < nm; i++)
		if (!isfinite(values[i]))
			r = vb_error_set(&err, -ERANGE, "%s: metric %s is not a finite number (%g)",
					 w->name, w->metrics[i].name, values[i]);
	if (!r) {
		_cleanup_free_ struct vb_event_value *vals = xcalloc(nm, sizeof(*vals));
		for (size_t i = 0; i < nm; i++) {
			vals[i].name = (char *)w->metrics[i].name;
			vals[i].value = values[i];
		}
		struct vb_event sample = {
			.type = VB_EV_SAMPLE, .job = job->id, .nvalues = nm, .values = vals
		};
		send_event(a, &sample);
	}
out:
	if (r)
		send_text(a, VB_EV_ERROR, NULL, err ? err->msg : "failed");
	struct vb_event done = { .type = VB_EV_DONE, .job = job->id, .ok = r == 0 };
	send_event(a, &done);
	vb_error_free(&err);
	a->job = NULL;
	return r == 0;
}

int vb_agent_serve(int rfd, int wfd, bool wait_sync)
{
	struct agent a = { 0 };
	vb_channel_init(&a.ch, rfd, wfd, VB_PROTO_MAX_LINE);
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	if (getpid() == 1) {
		struct sigaction sc = { .sa_handler = on_child, .sa_flags = SA_RESTART };
		sigaction(SIGCHLD, &sc, NULL);
	}
	/* Ctrl-C belongs to the supervisor, which decides how a run ends. */
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	struct vb_event hello = { .type = VB_EV_HELLO,
				  .protocol = VB_PROTOCOL_VERSION,
				  .agent_version = VB_VERSION,
				  .pid = getpid() };
	bool said_hello = !wait_sync;
	if (said_hello)
		send_event(&a, &hello);
	int status = 0;
	while (!agent_stop) {
		char *line;
		size_t len;
		int r = vb_channel_recv(&a.ch, -1, &agent_stop, &line, &len);
		if (r == -EPIPE || r == -EINTR)
			break;
		if (r == -E2BIG) {
			a.job = "-";
			send_text(&a, VB_EV_ERROR, NULL, "message too long");
			continue;
		}
		if (r) {
			status = 1;
			break;
		}
		struct vb_job job;
		struct vb_error *err = NULL;
		if (vb_job_parse(line, len, &job, &err)) {
			/* Say what was wrong and keep serving: the supervisor decides. */
			a.job = "-";
			send_text(&a, VB_EV_ERROR, NULL, err->msg);
			vb_error_free(&err);
			continue;
		}
		bool quit = job.quit;
		if (job.sync) {
			/* The host is listening now; later syncs are echoes of the wait. */
			if (!said_hello)
				send_event(&a, &hello);
			said_hello = true;
		} else if (!quit) {
			run_job(&a, &job);
		}
		vb_job_release(&job);
		if (quit)
			break;
	}
	vb_channel_release(&a.ch);
	return status;
}

static void usage(FILE *f)
{
	fputs("usage: virtbench agent [--fd N] [--sync]\n"
	      "       virtbench agent --peer ADDR:PORT\n"
	      "       virtbench agent --relay PORT CONSOLE [LABEL]\n"
	      "\n"
	      "Serve the agent protocol (docs/protocol.md): read jobs as JSON lines,\n"
	      "run them, stream events back. Without --fd the channel is stdin/stdout.\n"
	      "\n"
	      "  --fd N      use the inherited descriptor N (a socket or a serial port)\n"
	      "  --sync      say hello only when the first sync message arrives\n"
	      "              (a serial port loses what is written before the host listens)\n"
	      "  --peer A:P  be the w3 peer: listen on A:P (port 0 = any), print\n"
	      "              'listening A:P', serve until stdin closes\n"
	      "  --relay P C [L]  relay the host's port P and a guest's console C until\n"
	      "              C hangs up; the boot log before the agent's ready marker\n"
	      "              goes to stdout as 'L| line' (Xen's dom0, docs/xen.md)\n"
	      "  -h, --help  this text\n",
	      f);
}

int vb_agent_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'f' }, { "peer", required_argument, NULL, 'p' },
		{ "sync", no_argument, NULL, 's' },	{ "relay", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },	{ 0 },
	};
	int fd = -1, c;
	bool wait_sync = false;
	const char *relay = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		uint64_t v;
		switch (c) {
		case 'f':
			if (vb_parse_u64(optarg, &v) || v > 65535 || fcntl((int)v, F_GETFD) < 0) {
				fprintf(stderr,
					"virtbench agent: --fd %s is not an open descriptor\n",
					optarg);
				return 2;
			}
			fd = (int)v;
			break;
		case 'p':
			return vb_peer_main(optarg);
		case 's':
			wait_sync = true;
			break;
		case 'r':
			relay = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (relay) {
		if (argc - optind < 1 || argc - optind > 2) {
			usage(stderr);
			return 2;
		}
		return vb_relay_main(relay, argv[optind],
				     optind + 1 < argc ? argv[optind + 1] : "domU");
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (fd >= 0)
		return vb_agent_serve(fd, fd, wait_sync);
	/*
	 * Keep the protocol on a private descriptor and point fd 1 at stderr, so a
	 * stray printf in a workload can never corrupt the channel.
	 */
	int out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	int in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (out < 0 || in < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		perror("virtbench agent: cannot set up the channel");
		return 1;
	}
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	return vb_agent_serve(in, out, wait_sync);
}
