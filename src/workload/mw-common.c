/* SPDX-License-Identifier: MIT */
/* What the middleware workloads share: the clients' program, its figures, RabbitMQ. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include "core/net.h"
#include "core/util.h"
#include "workload/mw-common.h"
#include "workload/net-common.h"

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
	return vb_mw_client_io(who, args, env, -1, -1, timeout_s, stop, m, skip, values, err);
}

int vb_mw_client_io(const char *who, char *const args[], char *const env[], int in_fd, int out_fd,
		    double timeout_s, volatile sig_atomic_t *stop, const struct vb_metric_desc *m,
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
	r = vb_client_run_io(argv, env, in_fd, out_fd, timeout_s, stop, &cr, err);
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

int vb_mw_rabbitmq_start(struct vb_svc *s, const struct vb_mw_start *st, struct vb_error **err)
{
	static const char *const servers[] = { "/usr/lib/rabbitmq/bin/rabbitmq-server", NULL };
	_cleanup_free_ char *server = NULL, *helper = NULL;
	int r = vb_app_program(servers, "rabbitmq-server", &server, err);
	if (!r)
		r = vb_mw_helper(&helper, err);
	/*
	 * epmd's port and the Erlang distribution's (by default 4369 and port
	 * + 20000, maybe past 65535): free ones, so that a host's own RabbitMQ
	 * or epmd is neither met nor disturbed.
	 */
	uint16_t dist = 0, epmd = 0;
	if (!r)
		r = vb_app_port(0, &dist, err);
	for (int tries = 0; !r && tries < 16 && (!epmd || epmd == dist); tries++)
		r = vb_app_port(0, &epmd, err);
	if (!r && epmd == dist)
		r = vb_error_set(err, -EADDRINUSE, "no free port for epmd");
	if (!r)
		r = vb_svc_open(s, "rabbitmq", st->scratch, "rabbitmq", err);
	if (r)
		return r;
	/*
	 * Sized for small guests: the memory alarm at 60 % of the guest's
	 * memory and the disk alarm at 16 MB free, so that a 512 MiB guest
	 * with a small scratch disk still takes messages. One user, vb, with
	 * the job's password, admitted from any address (the pair's worker
	 * logs in from its own guest); the file is in the service's 0700
	 * directory.
	 */
	_cleanup_free_ char *conf =
	    xasprintf("listeners.tcp.default = %s:%u\n"
		      "vm_memory_high_watermark.relative = 0.6\n"
		      "disk_free_limit.absolute = 16MB\n"
		      "default_user = vb\ndefault_pass = %s\nloopback_users = none\n",
		      st->addr, st->port, st->secret);
	r = vb_svc_write(s, "rabbitmq.conf", conf, strlen(conf), err);
	explicit_bzero(conf, strlen(conf));
	/*
	 * Names from /etc/hosts alone: a guest on the run's bridge has a
	 * resolver it cannot reach, and Erlang asked it about every client
	 * (8 s a login, seen in containers).
	 */
	static const char inetrc[] = "{lookup, [file]}.\n";
	if (!r)
		r = vb_svc_write(s, "inetrc", inetrc, strlen(inetrc), err);
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
	_cleanup_free_ char *eport = xasprintf("ERL_EPMD_PORT=%u", epmd);
	_cleanup_free_ char *rc = xasprintf("ERL_INETRC=%s/inetrc", s->seen);
	char *argv[] = { "/usr/bin/env", home, "RABBITMQ_NODENAME=rabbit@localhost", mnesia, logs,
			 config, plugins, pid, dport, eport, rc, "RABBITMQ_LOGS=-",
			 /* Erlang's epmd and distribution on loopback, not every address. */
			 "ERL_EPMD_ADDRESS=127.0.0.1",
			 "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface "
			 "{127,0,0,1}",
			 server, NULL };
	r = vb_svc_start(s, argv, err);
	_cleanup_free_ char *p = xasprintf("%u", st->port);
	_cleanup_free_ char *pass = xasprintf("VB_MW_SECRET=%s", st->secret);
	char *probe[] = {
		helper, "broker", "--host", (char *)st->addr, "--port", p, "--ping", NULL
	};
	char *env[] = { pass, NULL };
	/*
	 * The login carries the password in the clear (AMQP PLAIN): only once
	 * RabbitMQ's own log says its listener is bound is the port its, and
	 * not a local user's who took it first to hear the password.
	 */
	_cleanup_free_ char *bound =
	    xasprintf("started TCP listener on %s:%u\n", st->addr, st->port);
	double end = vb_monotonic_s() + st->timeout_s;
	for (bool seen = false; !r && !seen;) {
		_cleanup_free_ char *text = NULL;
		seen = vb_read_file(s->log, 16u << 20, &text, NULL) == 0 && strstr(text, bound);
		if (seen)
			break;
		if (!vb_svc_alive(s))
			r = vb_svc_wait_ready(s, NULL, st->port, NULL, 0, st->stop, err);
		else if (st->stop && *st->stop)
			r = vb_error_set(err, -EINTR, "%s: stopped while it started", s->name);
		else if (vb_monotonic_s() > end)
			r = vb_error_set(
			    err, -ETIMEDOUT,
			    "%s: its log did not say it listens on %s:%u within %.0f s", s->name,
			    st->addr, st->port, st->timeout_s);
		else
			usleep(50 * 1000);
	}
	if (!r)
		r = vb_svc_wait_ready_env(s, st->addr, st->port, probe, env, st->timeout_s,
					  st->stop, err);
	return r;
}

/*
 * Virtuoso's configuration, everything in the service's directory: SQL on
 * loopback, HTTP on http_addr (the stock configuration listens on every
 * address), the buffers sized for small guests (2,000 pages: 16 MB).
 */
static int virtuoso_conf(struct vb_svc *s, uint16_t sql, const char *http_addr, uint16_t port,
			 struct vb_error **err)
{
	const char *d = s->seen;
	_cleanup_free_ char *ini =
	    xasprintf("[Database]\nDatabaseFile = %s/virtuoso.db\nErrorLogFile = %s/virtuoso.log\n"
		      "LockFile = %s/virtuoso.lck\nTransactionFile = %s/virtuoso.trx\n"
		      "xa_persistent_file = %s/virtuoso.pxa\nTempStorage = TempDatabase\n"
		      "[TempDatabase]\nDatabaseFile = %s/virtuoso-temp.db\n"
		      "TransactionFile = %s/virtuoso-temp.trx\n"
		      "[Parameters]\nServerPort = 127.0.0.1:%u\nDisableUnixSocket = 1\n"
		      "NumberOfBuffers = 2000\nMaxDirtyBuffers = 1200\nDirsAllowed = .\n"
		      "[HTTPServer]\nServerPort = %s:%u\n"
		      "ServerRoot = /var/lib/virtuoso-opensource-7/vsp\nServerThreads = 10\n"
		      "MaxClientConnections = 10\n",
		      d, d, d, d, d, d, d, sql, http_addr, port);
	vb_svc_unlink(s, "virtuoso.ini"); /* the first start's, when it starts again */
	return vb_svc_write(s, "virtuoso.ini", ini, strlen(ini), err);
}

/* Start Virtuoso with its configuration; ready when a SPARQL query over HTTP answers. */
static int virtuoso_up(struct vb_svc *s, const char *server, const char *helper,
		       const char *http_addr, const struct vb_mw_start *st, struct vb_error **err)
{
	_cleanup_free_ char *conf = xasprintf("%s/virtuoso.ini", s->seen);
	char *argv[] = { (char *)server, "+foreground", "+configfile", conf, NULL };
	int r = vb_svc_start(s, argv, err);
	_cleanup_free_ char *p = xasprintf("%u", st->port);
	char *probe[] = { (char *)helper, "triplestore", "--host", (char *)http_addr, "--port", p,
			  "--ping",	  NULL };
	if (!r)
		r = vb_svc_wait_ready(s, http_addr, st->port, probe, st->timeout_s, st->stop, err);
	return r;
}

/*
 * A fresh database binds its SPARQL endpoints to the host part of the
 * HTTP listener it was made with (HP_HOST 127.0.0.1): moved to any host,
 * they answer on the exposed start's address too (404 otherwise).
 */
#define MOVE_VHOSTS                                                                                \
	"UPDATE DB.DBA.HTTP_PATH SET HP_HOST = '*ini*' WHERE HP_LISTEN_HOST = '*ini*' AND "        \
	"HP_HOST = '127.0.0.1';\n"

int vb_mw_virtuoso_start(struct vb_svc *s, const struct vb_mw_start *st, struct vb_error **err)
{
	static const char *const servers[] = { "/usr/bin/virtuoso-t", NULL };
	static const char *const isqls[] = { "/usr/bin/isql-vt", NULL };
	_cleanup_free_ char *server = NULL, *helper = NULL, *isql = NULL;
	int r = vb_app_program(servers, "virtuoso-opensource-7", &server, err);
	if (!r)
		r = vb_app_program(isqls, "virtuoso-opensource-7-bin", &isql, err);
	if (!r)
		r = vb_mw_helper(&helper, err);
	/*
	 * A fresh database's dba has the stock password until it is set: an
	 * exposed server (st->exposed) first runs where no one else reaches
	 * it (a network namespace of its own where the agent may make one; a
	 * container's loopback is its own anyway), HTTP on loopback too,
	 * until dba's password is the job's; then it starts again with HTTP
	 * on st->addr.
	 */
	int netns = -1;
	if (!r && st->exposed)
		r = vb_svc_net_enter(&netns, err);
	uint16_t sql = 0;
	if (!r)
		r = vb_app_port(0, &sql, err);
	if (!r)
		r = vb_svc_open(s, "virtuoso", st->scratch, NULL, err);
	if (!r)
		r = virtuoso_conf(s, sql, "127.0.0.1", st->port, err);
	if (!r)
		r = virtuoso_up(s, server, helper, "127.0.0.1", st, err);
	/* The statement in a file of the service's 0700 directory, never on a command line. */
	_cleanup_free_ char *stmt =
	    xasprintf("USER_SET_PASSWORD ('dba', '%s');\n%sexit;\n", st->secret,
		      st->exposed ? MOVE_VHOSTS "checkpoint;\n" : "");
	if (!r)
		r = vb_svc_write(s, "password.sql", stmt, strlen(stmt), err);
	explicit_bzero(stmt, strlen(stmt));
	_cleanup_free_ char *at = xasprintf("127.0.0.1:%u", sql);
	_cleanup_free_ char *script = xasprintf("%s/password.sql", s->seen ? s->seen : "");
	char *set[] = { isql, at, "dba", "dba", script, NULL };
	if (!r)
		r = vb_svc_run(s, set, st->timeout_s, st->stop, err);
	vb_svc_unlink(s, "password.sql");
	if (!r && st->exposed) {
		vb_svc_stop(s, SIGTERM, 30);
		vb_svc_net_leave(&netns);
		r = vb_app_port(0, &sql, err);
		if (!r)
			r = virtuoso_conf(s, sql, st->addr, st->port, err);
		if (!r)
			r = virtuoso_up(s, server, helper, st->addr, st, err);
	}
	vb_svc_net_leave(&netns);
	return r;
}

int vb_mw_pg_start(struct vb_svc *s, const struct vb_mw_start *st, struct vb_error **err)
{
	/* vb_pg_start's own timeout: 120 s for pg_isready */
	return vb_pg_start(s, st->scratch, st->addr, st->port, st->secret, st->stop,
			   "the document store", err);
}

int vb_mw_place_parse(const char *peer, const char *who, char **addr_out, uint16_t *port,
		      char **secret_out, struct vb_error **err)
{
	char hostport[VB_PEER_MAX_TEXT];
	uint8_t token[16];
	struct sockaddr_storage ss;
	socklen_t sl;
	if (!peer || vb_peer_split(peer, hostport, sizeof(hostport), token) ||
	    vb_parse_hostport(hostport, false, &ss, &sl) || ss.ss_family != AF_INET)
		return vb_error_set(err, -EINVAL,
				    "%s: layout=split runs with its pair, which virtbench starts "
				    "(mw.worker --set layout=split): no pair's address here",
				    who);
	const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
	*addr_out = xstrdup(addr);
	*port = ntohs(in->sin_port);
	*secret_out = xstrdup(strchr(peer, '/') + 1);
	return 0;
}

#define MW_SERVERS_MAX 4

void vb_mw_server_secret(const char *job_secret, const char *secret_env, char out[33])
{
	_cleanup_free_ char *in = xasprintf("%s:%s", job_secret, secret_env);
	char hex[65];
	vb_sha256_buf(in, strlen(in), hex);
	explicit_bzero(in, strlen(in));
	memcpy(out, hex, 32);
	out[32] = '\0';
	explicit_bzero(hex, sizeof(hex));
}

char **vb_mw_secret_env(const struct vb_mw_server *const srv[], const char *job_secret)
{
	size_t n = 0;
	while (srv[n])
		n++;
	char **env = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		char own[33];
		vb_mw_server_secret(job_secret, srv[i]->secret_env, own);
		env[i] = xasprintf("%s=%s", srv[i]->secret_env, own);
		explicit_bzero(own, sizeof(own));
	}
	return env;
}

void vb_mw_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++) {
		explicit_bzero(env[i], strlen(env[i]));
		free(env[i]);
	}
	free(env);
}

/* A free port for each of ns servers, the first port_opt when it is not 0; all differ. */
static int own_ports(const char *who, const struct vb_mw_server *const srv[], size_t ns,
		     uint64_t port_opt, uint16_t ports[], struct vb_error **err)
{
	int r = 0;
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
	}
	return r;
}

int vb_mw_run(const struct vb_workload_ctx *ctx, const char *who,
	      const struct vb_mw_server *const srv[], uint64_t port_opt,
	      const struct vb_mw_place *place, const char *cmd, char *const extra[],
	      double client_timeout_s, const struct vb_metric_desc *m, double *values,
	      struct vb_error **err)
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
	int netns = -1, r = 0;
	uint16_t ports[MW_SERVERS_MAX] = { 0 };
	char port_text[MW_SERVERS_MAX][8], secret[33];
	if (place) {
		if ((unsigned)place->base_port + ns - 1 > 65535)
			return vb_error_set(err, -EINVAL, "%s: ports from %u run past 65535", who,
					    place->base_port);
		for (size_t i = 0; i < ns; i++)
			ports[i] = (uint16_t)(place->base_port + i);
		snprintf(secret, sizeof(secret), "%s", place->secret);
	} else {
		r = vb_svc_net_enter(&netns, err);
		if (!r)
			r = own_ports(who, srv, ns, port_opt, ports, err);
		/* The job's password, for the servers; the client gets it in its environment. */
		if (!r && (r = vb_random_hex16(secret)) < 0)
			r = vb_error_errno(err, -r, "no random password");
	}
	if (r) {
		vb_svc_net_leave(&netns);
		return vb_error_wrap(err, "%s", who);
	}
	for (size_t i = 0; i < ns; i++)
		snprintf(port_text[i], sizeof(port_text[i]), "%u", ports[i]);
	const char *addr = place ? place->addr : "127.0.0.1";
	char **env = vb_mw_secret_env(srv, secret);
	struct vb_svc s[MW_SERVERS_MAX];
	size_t started = 0;
	double t0 = vb_monotonic_s();
	for (; !r && started < ns; started++) {
		char own[33];
		vb_mw_server_secret(secret, srv[started]->secret_env, own);
		struct vb_mw_start st = { .scratch = ctx->scratch_dir,
					  .addr = addr,
					  .port = ports[started],
					  .secret = own,
					  .timeout_s = 600,
					  .stop = ctx->stop,
					  .exposed = place != NULL };
		s[started] = (struct vb_svc){ .pid = -1, .log_fd = -1, .dir_fd = -1 };
		r = srv[started]->start(&s[started], &st, err);
		explicit_bzero(own, sizeof(own));
		if (r)
			vb_error_wrap(err, "%s", who);
	}
	values[start_i] = vb_monotonic_s() - t0;
	_cleanup_free_ char **args = xcalloc(1 + 2 * ns + nx + 4 + 1, sizeof(char *));
	size_t k = 0;
	args[k++] = (char *)cmd;
	for (size_t i = 0; i < ns; i++) {
		args[k++] = (char *)srv[i]->flag;
		args[k++] = port_text[i];
	}
	memcpy(args + k, extra, nx * sizeof(char *));
	args[k + nx] = "--host";
	args[k + nx + 1] = (char *)addr;
	if (!r && !place)
		r = vb_mw_client(who, args, env, client_timeout_s, ctx->stop, m, apart, values,
				 err);
	/*
	 * The pair's servers: the client fills them (--role fill), the engine
	 * hears they are ready and starts the worker, then the client waits
	 * for the worker to come and go and checks (--role check).
	 */
	static const char *const roles[] = { "fill", "check" };
	for (size_t i = 0; !r && place && i < 2; i++) {
		args[k + nx + 2] = "--role";
		args[k + nx + 3] = (char *)roles[i];
		r = vb_mw_client(who, args, env, client_timeout_s, ctx->stop, m, apart, values,
				 err);
		if (!r && i == 0 && ctx->log)
			ctx->log(ctx->log_data, VB_PAIR_READY);
	}
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
	explicit_bzero(secret, sizeof(secret));
	vb_mw_env_free(env);
	vb_svc_net_leave(&netns);
	return r;
}
