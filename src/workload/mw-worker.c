/* SPDX-License-Identifier: MIT */
/*
 * mw.worker (study §4.8.4, fig. 4.26): the Intelligent River's
 * observation worker with the whole middleware around it: RabbitMQ, the
 * document store (PostgreSQL JSONB) and the triplestore (Virtuoso) started
 * in the guest, the observations published, then one worker draining them
 * (virtbench-mw worker): each consumed, its raw and processed documents
 * stored, its RDF graph stored, the processed observation published and
 * the delivery acked. Afterwards the counts in broker, document store and
 * triplestore must match, or the sample fails. layout=single: everything in
 * one guest (the split layout, the worker in a second guest, is not built
 * yet).
 */
#include <stdio.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/mw-common.h"

struct worker_opts {
	uint64_t observations;
	uint64_t prefetch;
	uint64_t seed;
	uint64_t layout;
};

enum { LAYOUT_SINGLE };
static const char *const layouts[] = { "single", NULL };

static const struct vb_option worker_options[] = {
	VB_OPTION("observations", VB_OPT_U64, struct worker_opts, observations, 200, 1000, 1,
		  1000000, "observations published, then drained by the worker"),
	VB_OPTION("prefetch", VB_OPT_U64, struct worker_opts, prefetch, 100, 100, 1, 65535,
		  "unacknowledged observations the worker may hold (basic.qos)"),
	VB_OPTION("seed", VB_OPT_U64, struct worker_opts, seed, 1, 1, 0, UINT32_MAX,
		  "the observation stream's seed: the same observations on every platform"),
	VB_OPTION_CHOICE("layout", struct worker_opts, layout, LAYOUT_SINGLE, LAYOUT_SINGLE,
			 layouts, "single: broker, stores and worker in one guest"),
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
};
static const struct vb_mw_server triplestore = {
	.what = "the triplestore",
	.flag = "--triplestore-port",
	.start = vb_virtuoso_start,
	.stop_signal = SIGTERM,
};
static const struct vb_mw_server broker = {
	.what = "the broker",
	.flag = "--broker-port",
	.start = vb_rabbitmq_start,
	.stop_signal = SIGTERM,
};

static int worker_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
		      struct vb_error **err)
{
	const struct worker_opts *o = vo;
	_cleanup_free_ char *n = xasprintf("%llu", (unsigned long long)o->observations);
	_cleanup_free_ char *f = xasprintf("%llu", (unsigned long long)o->prefetch);
	_cleanup_free_ char *seed = xasprintf("%llu", (unsigned long long)o->seed);
	char *extra[] = { "--observations", n,	   "--prefetch", f, "--seed", seed,
			  "--timeout",	    "120", NULL };
	static const struct vb_mw_server *const servers[] = { &store, &triplestore, &broker, NULL };
	/* Five observations a second at least, even emulated, plus ten minutes. */
	double timeout = 600.0 + (double)o->observations / 5.0;
	return vb_mw_run(ctx, "mw.worker", servers, 0, "worker", extra, timeout, worker_metrics,
			 values, err);
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
	.run = worker_run,
};
