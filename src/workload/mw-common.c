/* SPDX-License-Identifier: MIT */
/* What the middleware workloads share: the clients' program, its figures, RabbitMQ. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "core/util.h"
#include "workload/mw-common.h"

int vb_mw_helper(char **path, struct vb_error **err)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return vb_error_errno(err, errno, "cannot find the agent's own program");
	self[n] = '\0';
	_cleanup_free_ char *p = xasprintf("%s/virtbench-mw", dirname(self));
	if (access(p, X_OK) < 0)
		return vb_error_errno(err, errno,
				      "the middleware clients' program %s is missing (it is "
				      "built and installed beside the agent)",
				      p);
	*path = steal_ptr(&p);
	return 0;
}

static bool skipped(const char *name, const char *const *skip)
{
	for (size_t i = 0; skip && skip[i]; i++)
		if (!strcmp(skip[i], name))
			return true;
	return false;
}

int vb_mw_parse(const char *out, const struct vb_metric_desc *m, const char *const *skip,
		double *values, const char *who, struct vb_error **err)
{
	for (size_t i = 0; m[i].name; i++) {
		if (skipped(m[i].name, skip))
			continue;
		size_t len = strlen(m[i].name);
		int seen = 0;
		for (const char *line = out; line && *line;) {
			const char *nl = strchr(line, '\n');
			if (!strncmp(line, m[i].name, len) && line[len] == ' ') {
				char *end;
				double v = strtod(line + len + 1, &end);
				if (end == line + len + 1 || (*end && *end != '\n') ||
				    !isfinite(v) || v <= 0)
					return vb_error_set(err, -EPROTO,
							    "%s: the client's %s is not a figure",
							    who, m[i].name);
				values[i] = v;
				seen++;
			}
			line = nl ? nl + 1 : NULL;
		}
		if (seen != 1)
			return vb_error_set(err, -EPROTO, "%s: the client printed %s %d times", who,
					    m[i].name, seen);
	}
	return 0;
}

int vb_mw_client(const char *who, char *const args[], char *const env[], double timeout_s,
		 volatile sig_atomic_t *stop, const struct vb_metric_desc *m,
		 const char *const *skip, double *values, struct vb_error **err)
{
	_cleanup_free_ char *prog = NULL;
	int r = vb_mw_helper(&prog, err);
	if (r)
		return r;
	size_t n = 0;
	while (args[n])
		n++;
	_cleanup_free_ char **argv = xcalloc(n + 2, sizeof(char *));
	argv[0] = prog;
	memcpy(argv + 1, args, n * sizeof(char *));
	struct vb_client_result cr;
	r = vb_client_run_env(argv, env, timeout_s, stop, &cr, err);
	if (r == -ETIMEDOUT)
		return vb_error_set(err, r, "%s: the client did not finish within %.0f s", who,
				    timeout_s);
	if (r)
		return r;
	if (!WIFEXITED(cr.status) || WEXITSTATUS(cr.status) != 0) {
		_cleanup_free_ char *tail = vb_client_tail(&cr);
		const char *why = strncmp(tail, "error: ", 7) ? tail : tail + 7;
		r = vb_error_set(err, -EIO, "%s: %s", who,
				 *why ? why : "the client failed without a word");
	} else {
		r = vb_mw_parse(cr.out, m, skip, values, who, err);
	}
	vb_client_result_release(&cr);
	return r;
}

static int start_rabbitmq(struct vb_svc *s, const char *scratch, uint16_t port, double timeout_s,
			  volatile sig_atomic_t *stop, struct vb_error **err)
{
	static const char *const servers[] = { "/usr/lib/rabbitmq/bin/rabbitmq-server", NULL };
	_cleanup_free_ char *server = NULL, *helper = NULL;
	int r = vb_app_program(servers, "rabbitmq-server", &server, err);
	if (!r)
		r = vb_mw_helper(&helper, err);
	/* The Erlang distribution's port: by default port + 20000, maybe past 65535. */
	uint16_t dist = 0;
	if (!r)
		r = vb_app_port(0, &dist, err);
	if (!r)
		r = vb_svc_open(s, "rabbitmq", scratch, "rabbitmq", err);
	if (r)
		return r;
	/*
	 * Sized for small guests: the memory alarm at 60 % of the guest's
	 * memory and the disk alarm at 16 MB free, so that a 512 MiB guest
	 * with a small scratch disk still takes messages.
	 */
	_cleanup_free_ char *conf = xasprintf("listeners.tcp.default = 127.0.0.1:%u\n"
					      "vm_memory_high_watermark.relative = 0.6\n"
					      "disk_free_limit.absolute = 16MB\n",
					      port);
	r = vb_svc_write(s, "rabbitmq.conf", conf, strlen(conf), err);
	if (r)
		return r;
	/*
	 * Its own node name (the database directory is named after it), home
	 * (the Erlang cookie), database, configuration and plugin list; the
	 * log on standard output, which is the service's log.
	 */
	_cleanup_free_ char *home = xasprintf("HOME=%s", s->seen);
	_cleanup_free_ char *mnesia = xasprintf("RABBITMQ_MNESIA_BASE=%s/mnesia", s->seen);
	_cleanup_free_ char *logs = xasprintf("RABBITMQ_LOG_BASE=%s/log", s->seen);
	_cleanup_free_ char *config = xasprintf("RABBITMQ_CONFIG_FILE=%s/rabbitmq", s->seen);
	_cleanup_free_ char *plugins =
	    xasprintf("RABBITMQ_ENABLED_PLUGINS_FILE=%s/enabled_plugins", s->seen);
	_cleanup_free_ char *pid = xasprintf("RABBITMQ_PID_FILE=%s/pid", s->seen);
	_cleanup_free_ char *dport = xasprintf("RABBITMQ_DIST_PORT=%u", dist);
	char *argv[] = { "/usr/bin/env", home, "RABBITMQ_NODENAME=rabbit@localhost", mnesia, logs,
			 config, plugins, pid, dport, "RABBITMQ_LOGS=-",
			 /* Erlang's epmd and distribution on loopback, not every address. */
			 "ERL_EPMD_ADDRESS=127.0.0.1",
			 "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface "
			 "{127,0,0,1}",
			 server, NULL };
	r = vb_svc_start(s, argv, err);
	_cleanup_free_ char *p = xasprintf("%u", port);
	char *probe[] = { helper, "broker", "--port", p, "--ping", NULL };
	if (!r)
		r = vb_svc_wait_ready(s, "127.0.0.1", port, probe, timeout_s, stop, err);
	return r;
}

int vb_rabbitmq_start(struct vb_svc *s, const char *scratch, uint16_t port, const char *secret,
		      double timeout_s, volatile sig_atomic_t *stop, const char *who,
		      struct vb_error **err)
{
	(void)secret; /* guest, which RabbitMQ admits over loopback only */
	*s = (struct vb_svc){ .pid = -1, .log_fd = -1 };
	int r = start_rabbitmq(s, scratch, port, timeout_s, stop, err);
	if (r && who)
		vb_error_wrap(err, "%s", who);
	return r;
}

static int start_virtuoso(struct vb_svc *s, const char *scratch, uint16_t port, double timeout_s,
			  volatile sig_atomic_t *stop, struct vb_error **err)
{
	static const char *const servers[] = { "/usr/bin/virtuoso-t", NULL };
	_cleanup_free_ char *server = NULL, *helper = NULL;
	int r = vb_app_program(servers, "virtuoso-opensource-7", &server, err);
	if (!r)
		r = vb_mw_helper(&helper, err);
	uint16_t sql = 0;
	if (!r)
		r = vb_app_port(0, &sql, err);
	if (!r)
		r = vb_svc_open(s, "virtuoso", scratch, NULL, err);
	if (r)
		return r;
	/*
	 * Everything in the service's directory, both listeners on loopback
	 * (the stock configuration listens on every address), the buffers
	 * sized for small guests (2,000 pages: 16 MB).
	 */
	const char *d = s->seen;
	_cleanup_free_ char *ini =
	    xasprintf("[Database]\nDatabaseFile = %s/virtuoso.db\nErrorLogFile = %s/virtuoso.log\n"
		      "LockFile = %s/virtuoso.lck\nTransactionFile = %s/virtuoso.trx\n"
		      "xa_persistent_file = %s/virtuoso.pxa\nTempStorage = TempDatabase\n"
		      "[TempDatabase]\nDatabaseFile = %s/virtuoso-temp.db\n"
		      "TransactionFile = %s/virtuoso-temp.trx\n"
		      "[Parameters]\nServerPort = 127.0.0.1:%u\nDisableUnixSocket = 1\n"
		      "NumberOfBuffers = 2000\nMaxDirtyBuffers = 1200\nDirsAllowed = .\n"
		      "[HTTPServer]\nServerPort = 127.0.0.1:%u\n"
		      "ServerRoot = /var/lib/virtuoso-opensource-7/vsp\nServerThreads = 10\n"
		      "MaxClientConnections = 10\n",
		      d, d, d, d, d, d, d, sql, port);
	r = vb_svc_write(s, "virtuoso.ini", ini, strlen(ini), err);
	if (r)
		return r;
	_cleanup_free_ char *conf = xasprintf("%s/virtuoso.ini", d);
	char *argv[] = { server, "+foreground", "+configfile", conf, NULL };
	r = vb_svc_start(s, argv, err);
	_cleanup_free_ char *p = xasprintf("%u", port);
	char *probe[] = { helper, "triplestore", "--port", p, "--ping", NULL };
	if (!r)
		r = vb_svc_wait_ready(s, "127.0.0.1", port, probe, timeout_s, stop, err);
	return r;
}

int vb_virtuoso_start(struct vb_svc *s, const char *scratch, uint16_t port, const char *secret,
		      double timeout_s, volatile sig_atomic_t *stop, const char *who,
		      struct vb_error **err)
{
	(void)secret; /* dba on a database made for this job (AllowOSCalls off) */
	*s = (struct vb_svc){ .pid = -1, .log_fd = -1 };
	int r = start_virtuoso(s, scratch, port, timeout_s, stop, err);
	if (r && who)
		vb_error_wrap(err, "%s", who);
	return r;
}

int vb_mw_pg_start(struct vb_svc *s, const char *scratch, uint16_t port, const char *secret,
		   double timeout_s, volatile sig_atomic_t *stop, const char *who,
		   struct vb_error **err)
{
	(void)timeout_s; /* vb_pg_start's own: 120 s for pg_isready */
	return vb_pg_start(s, scratch, "127.0.0.1", port, secret, stop, who, err);
}

#define MW_SERVERS_MAX 4

int vb_mw_run(const struct vb_workload_ctx *ctx, const char *who,
	      const struct vb_mw_server *const srv[], uint64_t port_opt, const char *cmd,
	      char *const extra[], double client_timeout_s, const struct vb_metric_desc *m,
	      double *values, struct vb_error **err)
{
	static const char *const apart[] = { "start_s", NULL };
	size_t start_i = 0, ns = 0, nx = 0;
	while (m[start_i].name && strcmp(m[start_i].name, "start_s"))
		start_i++;
	while (srv[ns])
		ns++;
	while (extra[nx])
		nx++;
	if (!m[start_i].name || ns == 0 || ns > MW_SERVERS_MAX)
		VB_BUG("%s: no start_s, or %zu servers", who, ns);
	int netns = -1;
	int r = vb_svc_net_enter(&netns, err);
	uint16_t ports[MW_SERVERS_MAX] = { 0 };
	char port_text[MW_SERVERS_MAX][8];
	for (size_t i = 0; !r && i < ns; i++) {
		/* A free port stays free until its server binds it: each must differ. */
		bool taken = true;
		for (int tries = 0; !r && taken && tries < 16; tries++) {
			r = vb_app_port(i == 0 ? port_opt : 0, &ports[i], err);
			taken = false;
			for (size_t j = 0; j < i; j++)
				taken |= ports[j] == ports[i];
		}
		if (!r && taken)
			r = vb_error_set(err, -EADDRINUSE, "%s: no free port for %s", who,
					 srv[i]->what);
		snprintf(port_text[i], sizeof(port_text[i]), "%u", ports[i]);
	}
	if (r) {
		vb_svc_net_leave(&netns);
		return r;
	}
	/* The job's password, for the servers that ask for one; the client gets it as PGPASSWORD.
	 */
	unsigned char raw[16];
	char secret[33];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		vb_svc_net_leave(&netns);
		return vb_error_errno(err, errno, "%s: no random password", who);
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(secret + 2 * i, 3, "%02x", raw[i]);
	_cleanup_free_ char *pgpass = xasprintf("PGPASSWORD=%s", secret);
	char *env[] = { pgpass, NULL };
	struct vb_svc s[MW_SERVERS_MAX];
	size_t started = 0;
	double t0 = vb_monotonic_s();
	for (; !r && started < ns; started++)
		r = srv[started]->start(&s[started], ctx->scratch_dir, ports[started], secret, 600,
					ctx->stop, who, err);
	values[start_i] = vb_monotonic_s() - t0;
	_cleanup_free_ char **args = xcalloc(1 + 2 * ns + nx + 1, sizeof(char *));
	size_t k = 0;
	args[k++] = (char *)cmd;
	for (size_t i = 0; i < ns; i++) {
		args[k++] = (char *)srv[i]->flag;
		args[k++] = port_text[i];
	}
	memcpy(args + k, extra, nx * sizeof(char *));
	if (!r)
		r = vb_mw_client(who, args, env, client_timeout_s, ctx->stop, m, apart, values,
				 err);
	for (size_t i = 0; r == -EIO && i < started; i++)
		if (!vb_svc_alive(&s[i])) {
			_cleanup_free_ char *tail = vb_svc_log_tail(&s[i]);
			vb_error_wrap(err, "%s ended (its log ends: %s)", srv[i]->what,
				      tail ? tail : "");
			break;
		}
	while (started--) {
		vb_svc_stop(&s[started], srv[started]->stop_signal, 30);
		vb_svc_close(&s[started]);
	}
	vb_svc_net_leave(&netns);
	return r;
}
