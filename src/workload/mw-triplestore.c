/* SPDX-License-Identifier: MIT */
/*
 * mw.triplestore (study §4.8.3, figs. 4.24-4.25): the annotated observations
 * (13 RDF triples each, SOSA) kept in a triplestore over HTTP, as the
 * study kept them in Jena TDB behind a REST API. The store is Virtuoso 7
 * (Debian's virtuoso-opensource-7; no Fuseki or other Jena server is
 * packaged), started in the guest as a service and driven over the SPARQL
 * 1.1 Graph Store HTTP protocol (virtbench-mw triplestore): every
 * observation's graph stored (PUT), then retrieved (GET) and compared with
 * what was stored.
 */
#include <stdio.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/mw-common.h"

struct triplestore_opts {
	uint64_t observations;
	uint64_t threads;
	uint64_t seed;
	uint64_t port;
};

static const struct vb_option triplestore_options[] = {
	VB_OPTION("observations", VB_OPT_U64, struct triplestore_opts, observations, 300, 1000, 1,
		  1000000, "observations stored as graphs, then retrieved"),
	VB_OPTION("threads", VB_OPT_U64, struct triplestore_opts, threads, 1, 1, 1, 8,
		  "client threads, each with its own HTTP connection (the study's script was "
		  "one; Virtuoso serves 10)"),
	VB_OPTION("seed", VB_OPT_U64, struct triplestore_opts, seed, 1, 1, 0, UINT32_MAX,
		  "the observation stream's seed: the same triples on every platform"),
	VB_OPTION("port", VB_OPT_U64, struct triplestore_opts, port, 0, 0, 0, 65535,
		  "Virtuoso's HTTP port on 127.0.0.1; 0: a free one"),
	{ 0 },
};

static const struct vb_metric_desc triplestore_metrics[] = {
	{ "store_rate", "obs/s", true, "observations' graphs stored (PUT) per second" },
	{ "retrieve_rate", "obs/s", true, "observations' graphs retrieved (GET) per second" },
	{ "store_s", "s", false, "storing every observation's graph" },
	{ "retrieve_s", "s", false, "retrieving and checking every graph" },
	{ "start_s", "s", false, "Virtuoso's start until a SPARQL query answers" },
	{ 0 },
};

static const struct vb_mw_server virtuoso = {
	.what = "the triplestore",
	.flag = "--port",
	.start = vb_mw_virtuoso_start,
	.stop_signal = SIGTERM, /* a quick shutdown */
	.secret_env = "VB_MW_DBA_SECRET",
};

static int triplestore_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
			   struct vb_error **err)
{
	const struct triplestore_opts *o = vo;
	_cleanup_free_ char *n = xasprintf("%llu", (unsigned long long)o->observations);
	_cleanup_free_ char *t = xasprintf("%llu", (unsigned long long)o->threads);
	_cleanup_free_ char *seed = xasprintf("%llu", (unsigned long long)o->seed);
	char *extra[] = { "--observations", n,	   "--threads", t, "--seed", seed,
			  "--timeout",	    "120", NULL };
	/* Ten graphs a second at least, even emulated, plus ten minutes. */
	double timeout = 600.0 + (double)o->observations * 2 / 10.0;
	static const struct vb_mw_server *const servers[] = { &virtuoso, NULL };
	return vb_mw_run(ctx, "mw.triplestore", servers, o->port, NULL, "triplestore", extra,
			 timeout, triplestore_metrics, values, err);
}

const struct vb_workload_ops vb_workload_mw_triplestore = {
	.name = "mw.triplestore",
	.group = "middleware",
	.summary = "Virtuoso 7 over the SPARQL Graph Store protocol: observations' RDF stored, "
		   "then retrieved and compared",
	.study_ref = "§4.8.3, figs. 4.24-4.25",
	.options = triplestore_options,
	.opts_size = sizeof(struct triplestore_opts),
	.metrics = triplestore_metrics,
	.packages = "virtuoso-opensource-7," VB_MW_LIBS,
	.run = triplestore_run,
};
