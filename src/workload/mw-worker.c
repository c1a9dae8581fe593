/* SPDX-License-Identifier: MIT */
/*
 * mw.worker (study §4.8.4, fig. 4.26): the Intelligent River's
 * observation worker with the whole middleware around it: RabbitMQ, the
 * document store (PostgreSQL JSONB) and the triplestore (Virtuoso), the
 * observations published, then one worker draining them (virtbench-mw
 * worker): each consumed, its raw and processed documents stored, its RDF
 * graph stored, the processed observation published and the delivery
 * acked. Afterwards the counts in broker, document store and triplestore
 * must match, or the sample fails.
 *
 * layout=single: everything in one guest. layout=split: the engine runs
 * mw.services (below) in a second guest of the platform, the pair, beside
 * this job: it starts the three servers on its address, publishes the
 * observations, waits for the worker to be gone and checks the counts;
 * this job runs only the worker, against the pair's address. Both jobs
 * get the pair's place in their peer field: "ADDR:PORT/SECRET" (the
 * servers on PORT, PORT+1, PORT+2; SECRET the password of all three).
 */
#include <stdio.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/mw-common.h"

extern const struct vb_workload_ops vb_workload_mw_services;

struct worker_opts {
	uint64_t observations;
	uint64_t prefetch;
	uint64_t seed;
	uint64_t layout;
};

enum { LAYOUT_SINGLE, LAYOUT_SPLIT };
static const char *const layouts[] = { "single", "split", NULL };

static const struct vb_option worker_options[] = {
	VB_OPTION("observations", VB_OPT_U64, struct worker_opts, observations, 200, 1000, 1,
		  1000000, "observations published, then drained by the worker"),
	VB_OPTION("prefetch", VB_OPT_U64, struct worker_opts, prefetch, 100, 100, 1, 65535,
		  "unacknowledged observations the worker may hold (basic.qos)"),
	VB_OPTION("seed", VB_OPT_U64, struct worker_opts, seed, 1, 1, 0, UINT32_MAX,
		  "the observation stream's seed: the same observations on every platform"),
	VB_OPTION_CHOICE("layout", struct worker_opts, layout, LAYOUT_SINGLE, LAYOUT_SINGLE,
			 layouts,
			 "single: broker, stores and worker in one guest; split: the servers in "
			 "a second guest of the platform (mw.services), the worker in this one"),
	{ 0 },
};

static const struct vb_metric_desc worker_metrics[] = {
	{ "drain_rate", "obs/s", true, "observations processed per second by one worker" },
	{ "drain_s", "s", false, "draining every observation until the last confirm" },
	{ "start_s", "s", false, "the three servers' starts, one after another" },
	{ 0 },
};

static const struct vb_mw_server store = {
	.what = "the document store",
	.flag = "--store-port",
	.start = vb_mw_pg_start,
	.stop_signal = SIGINT,
	.secret_env = "PGPASSWORD",
};
static const struct vb_mw_server triplestore = {
	.what = "the triplestore",
	.flag = "--triplestore-port",
	.start = vb_mw_virtuoso_start,
	.stop_signal = SIGTERM,
	.secret_env = "VB_MW_DBA_SECRET",
};
static const struct vb_mw_server broker = {
	.what = "the broker",
	.flag = "--broker-port",
	.start = vb_mw_rabbitmq_start,
	.stop_signal = SIGTERM,
	.secret_env = "VB_MW_SECRET",
};
/* In vb_mw_place's order: the broker on the pair's port, the stores on the next two. */
static const struct vb_mw_server *const servers[] = { &broker, &store, &triplestore, NULL };

/* Five observations a second at least, even emulated, plus ten minutes. */
static double client_timeout(uint64_t observations)
{
	return 600.0 + (double)observations / 5.0;
}

/* The worker alone, against the pair's servers (layout=split). */
static int worker_split(const struct vb_workload_ctx *ctx, const struct worker_opts *o,
			double *values, struct vb_error **err)
{
	_cleanup_free_ char *addr = NULL, *secret = NULL;
	uint16_t port;
	int r = vb_mw_place_parse(ctx->peer, "mw.worker", &addr, &port, &secret, err);
	if (r)
		return r;
	char ports[3][8];
	for (int i = 0; i < 3; i++)
		snprintf(ports[i], sizeof(ports[i]), "%u", port + i);
	_cleanup_free_ char *n = xasprintf("%llu", (unsigned long long)o->observations);
	_cleanup_free_ char *f = xasprintf("%llu", (unsigned long long)o->prefetch);
	_cleanup_free_ char *seed = xasprintf("%llu", (unsigned long long)o->seed);
	char **env = vb_mw_secret_env(servers, secret);
	/* The pair's servers are ready when this job starts: --wait is a bound, not a wait. */
	char *args[] = { "worker", "--role",
			 "work",   "--host",
			 addr,	   "--broker-port",
			 ports[0], "--store-port",
			 ports[1], "--triplestore-port",
			 ports[2], "--observations",
			 n,	   "--prefetch",
			 f,	   "--seed",
			 seed,	   "--timeout",
			 "120",	   "--wait",
			 "120",	   NULL };
	/* start_s here is the wait for the pair; the engine puts the pair's own in its place. */
	static const char *const apart[] = { "start_s", NULL };
	double t0 = vb_monotonic_s();
	r = vb_mw_client("mw.worker", args, env, 120 + client_timeout(o->observations), ctx->stop,
			 worker_metrics, apart, values, err);
	values[2] = vb_monotonic_s() - t0 - values[1];
	if (values[2] <= 0)
		values[2] = 1e-6;
	explicit_bzero(secret, strlen(secret));
	vb_mw_env_free(env);
	return r;
}

static int worker_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
		      struct vb_error **err)
{
	const struct worker_opts *o = vo;
	if (o->layout == LAYOUT_SPLIT)
		return worker_split(ctx, o, values, err);
	_cleanup_free_ char *n = xasprintf("%llu", (unsigned long long)o->observations);
	_cleanup_free_ char *f = xasprintf("%llu", (unsigned long long)o->prefetch);
	_cleanup_free_ char *seed = xasprintf("%llu", (unsigned long long)o->seed);
	char *extra[] = { "--observations", n,	   "--prefetch", f, "--seed", seed,
			  "--timeout",	    "120", NULL };
	return vb_mw_run(ctx, "mw.worker", servers, 0, NULL, "worker", extra,
			 client_timeout(o->observations), worker_metrics, values, err);
}

const struct vb_workload_ops vb_workload_mw_worker = {
	.name = "mw.worker",
	.group = "middleware",
	.summary = "the observation worker: consume, store raw and processed documents and RDF, "
		   "publish, ack",
	.study_ref = "§4.8.4, fig. 4.26",
	.options = worker_options,
	.opts_size = sizeof(struct worker_opts),
	.metrics = worker_metrics,
	.packages = "postgresql-15,rabbitmq-server,virtuoso-opensource-7," VB_MW_LIBS,
	.pair = &vb_workload_mw_services,
	.run = worker_run,
};

/* mw.services: the servers of mw.worker layout=split, in the pair's guest. */
struct services_opts {
	uint64_t observations;
	uint64_t seed;
};

static const struct vb_option services_options[] = {
	VB_OPTION("observations", VB_OPT_U64, struct services_opts, observations, 200, 1000, 1,
		  1000000, "observations published for the pair's worker"),
	VB_OPTION("seed", VB_OPT_U64, struct services_opts, seed, 1, 1, 0, UINT32_MAX,
		  "the observation stream's seed"),
	{ 0 },
};

static const struct vb_metric_desc services_metrics[] = {
	{ "start_s", "s", false, "the three servers' starts, one after another" },
	{ 0 },
};

static int services_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
			struct vb_error **err)
{
	const struct services_opts *o = vo;
	_cleanup_free_ char *addr = NULL, *secret = NULL;
	uint16_t port;
	int r = vb_mw_place_parse(ctx->peer, "mw.services", &addr, &port, &secret, err);
	if (r)
		return r;
	_cleanup_free_ char *n = xasprintf("%llu", (unsigned long long)o->observations);
	_cleanup_free_ char *seed = xasprintf("%llu", (unsigned long long)o->seed);
	/* The worker's own time, its wait for a worker to come and the checks. */
	char *extra[] = { "--observations", n,	   "--seed", seed, "--timeout", "120",
			  "--wait",	    "300", NULL };
	struct vb_mw_place place = { .addr = addr, .base_port = port, .secret = secret };
	r = vb_mw_run(ctx, "mw.services", servers, 0, &place, "worker", extra,
		      600 + client_timeout(o->observations), services_metrics, values, err);
	explicit_bzero(secret, strlen(secret));
	return r;
}

const struct vb_workload_ops vb_workload_mw_services = {
	.name = "mw.services",
	.group = "pair",
	.summary = "the servers of mw.worker layout=split, started by the engine in a second guest",
	.study_ref = "§4.8.4, fig. 3.8",
	.options = services_options,
	.opts_size = sizeof(struct services_opts),
	.metrics = services_metrics,
	.packages = "postgresql-15,rabbitmq-server,virtuoso-opensource-7," VB_MW_LIBS,
	.run = services_run,
};
