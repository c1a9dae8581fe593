/* SPDX-License-Identifier: MIT */
/*
 * app.pgbench (§4.7, fig. 4.16): PostgreSQL under pgbench's TPC-B-like
 * load, as the study ran it. The server is the guest's own PostgreSQL
 * (Debian's postgresql-15), run as the postgres user on a database made per
 * job on the job's scratch (the guest's data disk): initdb, start, wait for
 * pg_isready, `pgbench -i -s SCALE`, the load, stop, remove.
 *
 * One fixed scale on every platform (users' complaint about PTS: scales
 * derived from RAM make results incomparable). Full: `-i -s 8`, then
 * `-c 4 -j 2 -t 30000`; quick: a short `-T` run. With -t the count of
 * processed transactions must be clients × transactions; any failed
 * transaction fails the sample.
 */
#include <stdio.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/service.h"

struct pgbench_opts {
	uint64_t scale;
	uint64_t clients;
	uint64_t threads;
	uint64_t transactions;
	uint64_t duration_s;
	uint64_t port;
	uint64_t where;
};

enum { WHERE_GUEST, WHERE_HOST };
static const char *const wheres[] = { "guest", "host", NULL };

static const struct vb_option pgbench_options[] = {
	VB_OPTION("scale", VB_OPT_U64, struct pgbench_opts, scale, 8, 8, 1, 1000,
		  "pgbench -i -s: 100,000 accounts per unit"),
	VB_OPTION("clients", VB_OPT_U64, struct pgbench_opts, clients, 4, 4, 1, 1000,
		  "concurrent sessions (pgbench -c)"),
	VB_OPTION("threads", VB_OPT_U64, struct pgbench_opts, threads, 2, 2, 1, 1000,
		  "pgbench's worker threads (-j); at most clients"),
	VB_OPTION("transactions", VB_OPT_U64, struct pgbench_opts, transactions, 0, 30000, 0,
		  100000000, "transactions per client (-t); 0: run for duration_s (-T)"),
	VB_OPTION("duration_s", VB_OPT_U64, struct pgbench_opts, duration_s, 10, 60, 1, 86400,
		  "with transactions=0: seconds of load (-T)"),
	VB_OPTION("port", VB_OPT_U64, struct pgbench_opts, port, 0, 0, 0, 65535,
		  "TCP port on 127.0.0.1; 0: a free one"),
	VB_OPTION_CHOICE("where", struct pgbench_opts, where, WHERE_GUEST, WHERE_GUEST, wheres,
			 "where pgbench runs: in the guest over loopback TCP (the study's), or "
			 "on the host over the run's network"),
	{ 0 },
};

static const struct vb_metric_desc pgbench_metrics[] = {
	{ "tps", "tx/s", true, "transactions per second, without connection time" },
	{ "latency_avg", "ms", false, "mean latency of a transaction" },
	{ 0 },
};

static int pgbench_check(const void *vo, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct pgbench_opts *o = vo;
	(void)ctx;
	if (o->threads > o->clients)
		return vb_error_set(err, -EINVAL,
				    "app.pgbench: threads=%llu is more than clients=%llu",
				    (unsigned long long)o->threads, (unsigned long long)o->clients);
	return 0;
}

static double field(const char *out, const char *label, bool *found)
{
	const char *p = strstr(out, label);
	if (!p) {
		*found = false;
		return 0;
	}
	char *end;
	double v = strtod(p + strlen(label), &end);
	if (end == p + strlen(label))
		*found = false;
	return v;
}

static int parse_pgbench(const char *out, const struct pgbench_opts *o, double *values,
			 struct vb_error **err)
{
	bool ok = true;
	values[0] = field(out, "tps = ", &ok);
	if (ok && !strstr(out, "(without initial connection time)"))
		ok = false;
	values[1] = field(out, "latency average = ", &ok);
	double processed = field(out, "number of transactions actually processed: ", &ok);
	if (!ok)
		return vb_error_set(err, -EPROTO, "app.pgbench: pgbench's report lacks a figure");
	bool found = true;
	double failed = field(out, "number of failed transactions: ", &found);
	if (found && failed != 0)
		return vb_error_set(err, -EIO, "app.pgbench: %.0f transactions failed", failed);
	double want = (double)(o->clients * o->transactions);
	if (o->transactions && processed != want)
		return vb_error_set(err, -EIO, "app.pgbench: %.0f transactions processed, not %.0f",
				    processed, want);
	if (processed <= 0)
		return vb_error_set(err, -EIO, "app.pgbench: no transaction was processed");
	return 0;
}

static int pgbench_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
		       struct vb_error **err)
{
	const struct pgbench_opts *o = vo;
	bool remote = o->where == WHERE_HOST;
	if (remote && !ctx->peer)
		return vb_error_set(err, -EINVAL,
				    "app.pgbench where=host: this run has no peer on the host");
	/* where=guest: server and client alone in a network namespace (service.h). */
	int netns = -1;
	int r = remote ? 0 : vb_svc_net_enter(&netns, err);
	uint16_t port = 0;
	if (!r)
		r = vb_app_port(o->port, &port, err);
	if (r) {
		vb_svc_net_leave(&netns);
		return r;
	}
	/*
	 * where=host: the server answers on the one address the host's client
	 * comes to (a port raced there is a failed start, not a stranger's
	 * server measured) and asks for a password made for this job: anyone
	 * on the host reaches that address too.
	 */
	char addr[INET6_ADDRSTRLEN] = "127.0.0.1";
	struct vb_load init = { .tool = VB_LOAD_PGBENCH_INIT, .port = port, .arg = { o->scale } };
	char secret[33] = "";
	if (remote) {
		r = vb_peer_local_addr(ctx->peer, addr, sizeof(addr), err);
		if (!r && getrandom(init.secret, sizeof(init.secret), 0) != sizeof(init.secret))
			r = vb_error_errno(err, errno, "app.pgbench: no random password");
		if (r)
			return r;
		vb_load_secret_text(&init, secret);
	}
	struct vb_svc s;
	r = vb_pg_start(&s, ctx->scratch_dir, addr, port, remote ? secret : NULL, ctx->stop,
			"app.pgbench", err);

	struct vb_client_result cr = { 0 };
	const char *peer = remote ? ctx->peer : NULL;
	if (!r) {
		r = vb_svc_load(&s, &init, peer, ctx->stop, "app.pgbench: pgbench -i", &cr, err);
		vb_client_result_release(&cr);
	}
	struct vb_load load = { .tool = VB_LOAD_PGBENCH,
				.port = port,
				.arg = { o->clients, o->threads, o->transactions, o->duration_s } };
	memcpy(load.secret, init.secret, sizeof(load.secret));
	if (!r) {
		r = vb_svc_load(&s, &load, peer, ctx->stop, "app.pgbench: pgbench", &cr, err);
		if (!r)
			r = parse_pgbench(cr.out, o, values, err);
		vb_client_result_release(&cr);
	}
	/* Fast shutdown: SIGINT ends the sessions and stops at once. */
	vb_svc_stop(&s, SIGINT, 30);
	vb_svc_close(&s);
	vb_svc_net_leave(&netns);
	return r;
}

const struct vb_workload_ops vb_workload_app_pgbench = {
	.name = "app.pgbench",
	.group = "app",
	.summary = "PostgreSQL 15 under pgbench's TPC-B-like load, one fixed scale",
	.study_ref = "§4.7, fig. 4.16",
	.options = pgbench_options,
	.opts_size = sizeof(struct pgbench_opts),
	.metrics = pgbench_metrics,
	.packages = "postgresql-15",
	.check = pgbench_check,
	.run = pgbench_run,
};
