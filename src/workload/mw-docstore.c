/* SPDX-License-Identifier: MIT */
/*
 * mw.docstore (study §4.8.1, figs. 4.19-4.21): the study's MongoDB workload
 * on a document store on PostgreSQL JSONB. MongoDB is neither packaged in
 * Debian nor obtainable here; the documents (the observation stream) are a
 * jsonb column with a key index in the guest's PostgreSQL 15, driven
 * through libpq by threads on connections of their own: insert, find by
 * key, set one field (virtbench-mw docstore). Found documents must equal
 * the inserted ones, or the sample fails.
 */
#include <stdio.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/mw-common.h"

struct docstore_opts {
	uint64_t documents;
	uint64_t threads;
	uint64_t seed;
	uint64_t port;
};

static const struct vb_option docstore_options[] = {
	VB_OPTION("documents", VB_OPT_U64, struct docstore_opts, documents, 3000, 12000, 1,
		  10000000, "observations inserted, found and updated"),
	VB_OPTION("threads", VB_OPT_U64, struct docstore_opts, threads, 4, 4, 1, 256,
		  "client threads, each on its own connection"),
	VB_OPTION("seed", VB_OPT_U64, struct docstore_opts, seed, 1, 1, 0, UINT32_MAX,
		  "the observation stream's seed: the same documents on every platform"),
	VB_OPTION("port", VB_OPT_U64, struct docstore_opts, port, 0, 0, 0, 65535,
		  "PostgreSQL's port on 127.0.0.1; 0: a free one"),
	{ 0 },
};

static const struct vb_metric_desc docstore_metrics[] = {
	{ "insert_rate", "ops/s", true, "documents inserted per second" },
	{ "find_rate", "ops/s", true, "documents found by key per second" },
	{ "set_rate", "ops/s", true, "documents with one field set per second" },
	{ "insert_s", "s", false, "inserting every document" },
	{ "find_s", "s", false, "finding every document by its key" },
	{ "set_s", "s", false, "setting one field in every document" },
	{ "start_s", "s", false, "the store's initdb and start until pg_isready" },
	{ 0 },
};

static const struct vb_mw_server postgres = {
	.what = "the document store",
	.flag = "--port",
	.start = vb_mw_pg_start,
	.stop_signal = SIGINT, /* fast shutdown */
	.secret_env = "PGPASSWORD",
};

static int docstore_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
			struct vb_error **err)
{
	const struct docstore_opts *o = vo;
	_cleanup_free_ char *n = xasprintf("%llu", (unsigned long long)o->documents);
	_cleanup_free_ char *t = xasprintf("%llu", (unsigned long long)o->threads);
	_cleanup_free_ char *seed = xasprintf("%llu", (unsigned long long)o->seed);
	char *extra[] = {
		"--documents", n, "--threads", t, "--seed", seed, "--timeout", "120", NULL
	};
	/* A hundred operations a second at least, even emulated, plus ten minutes. */
	double timeout = 600.0 + (double)o->documents * 3 / 100.0;
	static const struct vb_mw_server *const servers[] = { &postgres, NULL };
	return vb_mw_run(ctx, "mw.docstore", servers, o->port, NULL, "docstore", extra, timeout,
			 docstore_metrics, values, err);
}

const struct vb_workload_ops vb_workload_mw_docstore = {
	.name = "mw.docstore",
	.group = "middleware",
	.summary = "a document store on PostgreSQL 15 JSONB (not MongoDB): insert, find by key, "
		   "set a field",
	.study_ref = "§4.8.1, figs. 4.19-4.21",
	.options = docstore_options,
	.opts_size = sizeof(struct docstore_opts),
	.metrics = docstore_metrics,
	.packages = "postgresql-15," VB_MW_LIBS,
	.run = docstore_run,
};
