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
 *
 * store=jena-tdb2: the study's own store, Jena TDB2 (Debian's
 * libapache-jena-java), through its command-line classes, as the service's
 * user: no server and no REST layer, so the graphs are loaded in one
 * tdb2.tdbloader run and read back in one tdb2.tdbdump run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/mw-common.h"

struct triplestore_opts {
	uint64_t observations;
	uint64_t threads;
	uint64_t seed;
	uint64_t port;
	uint64_t store;
};

enum { STORE_VIRTUOSO, STORE_JENA_TDB2 };
static const char *const stores[] = { "virtuoso", "jena-tdb2", NULL };

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
	VB_OPTION_CHOICE("store", struct triplestore_opts, store, STORE_VIRTUOSO, STORE_VIRTUOSO,
			 stores,
			 "virtuoso: over the SPARQL Graph Store protocol; jena-tdb2: the study's "
			 "Jena TDB2 through its command-line loader and dump (no REST layer, one "
			 "client)"),
	{ 0 },
};

enum { STORE_RATE, RETRIEVE_RATE, STORE_S, RETRIEVE_S, START_S };
static const struct vb_metric_desc triplestore_metrics[] = {
	{ "store_rate", "obs/s", true,
	  "observations' graphs stored per second (virtuoso: PUT each; jena-tdb2: loaded)" },
	{ "retrieve_rate", "obs/s", true,
	  "observations' graphs retrieved per second (virtuoso: GET each; jena-tdb2: dumped)" },
	{ "store_s", "s", false, "storing every observation's graph" },
	{ "retrieve_s", "s", false, "retrieving and checking every graph" },
	{ "start_s", "s", false,
	  "the store's start until a SPARQL query answers (jena-tdb2: a JVM, a fresh database)" },
	{ 0 },
};

static const struct vb_mw_server virtuoso = {
	.what = "the triplestore",
	.flag = "--port",
	.start = vb_mw_virtuoso_start,
	.stop_signal = SIGTERM, /* a quick shutdown */
	.secret_env = "VB_MW_DBA_SECRET",
};

/* Jena's classes and what they need, in /usr/share/java (libapache-jena-java's dependencies). */
static const char *const jena_jars[] = {
	"jena-arq",
	"jena-base",
	"jena-cmds",
	"jena-core",
	"jena-dboe-base",
	"jena-dboe-index",
	"jena-dboe-storage",
	"jena-dboe-trans-data",
	"jena-dboe-transaction",
	"jena-iri",
	"jena-tdb2",
	"commons-cli",
	"commons-codec",
	"commons-compress",
	"commons-csv",
	"commons-io",
	"commons-lang3",
	"dexx.collection",
	"gson",
	"guava",
	"httpclient",
	"httpcore",
	"jackson-annotations",
	"jackson-core",
	"jackson-databind",
	"jakarta.json-api",
	"jsonld-java",
	"protobuf",
	"slf4j-api",
	"slf4j-simple",
	"thrift",
	"titanium-json-ld",
	NULL,
};
#define JAVA_DIR "/usr/share/java/"

static const char *triplestore_packages(const void *vo)
{
	const struct triplestore_opts *o = vo;
	/* unzip: the messages Debian's jena-core.jar keeps apart from their classes (below). */
	return o->store == STORE_JENA_TDB2 ? "default-jre-headless,libapache-jena-java,unzip"
					   : NULL;
}

static int triplestore_check(const void *vo, const struct vb_workload_ctx *ctx,
			     struct vb_error **err)
{
	(void)ctx;
	const struct triplestore_opts *o = vo;
	if (o->store == STORE_JENA_TDB2 && (o->threads != 1 || o->port))
		return vb_error_set(
		    err, -EINVAL,
		    "mw.triplestore store=jena-tdb2: Jena's loader is one process "
		    "with no server: threads must be 1 and port 0 (got threads=%llu, "
		    "port=%llu)",
		    (unsigned long long)o->threads, (unsigned long long)o->port);
	return 0;
}

/*
 * Debian's jena-core.jar (4.5.0-2) moved Xerces's classes to the package
 * xerces.* but left their message bundles under org/apache/jena/ext/xerces:
 * without them every Jena command fails at start ("internal error" in
 * XSSimpleTypeDecl). Taken from the jar into the service's directory; its
 * MESSAGES_ROOT holds them where the classes look (xerces/impl/...), and
 * goes on the class path behind the jars.
 */
#define MESSAGES_ROOT "/messages/org/apache/jena/ext"
static int jena_messages(struct vb_svc *s, const char *unzip, double timeout_s,
			 volatile sig_atomic_t *stop, struct vb_error **err)
{
	_cleanup_free_ char *to = xasprintf("%s/messages", s->seen);
	char *argv[] = { (char *)unzip,
			 "-q",
			 JAVA_DIR "jena-core.jar",
			 "org/apache/jena/ext/xerces/*.properties",
			 "-d",
			 to,
			 NULL };
	return vb_svc_run(s, argv, timeout_s, stop, err);
}

/* Run Jena's command class with args (NULL-terminated), its output to out_fd (-1: the log). */
static int jena(struct vb_svc *s, const char *java, const char *classpath, const char *cls,
		char *const args[], int out_fd, double timeout_s, volatile sig_atomic_t *stop,
		struct vb_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("-Djava.io.tmpdir=%s", s->seen);
	/* No shared-memory performance file in /tmp, where another user could have put one. */
	char *head[] = { (char *)java, "-XX:-UsePerfData", tmp,
			 "-cp",	       (char *)classpath,  (char *)cls };
	size_t nh = sizeof(head) / sizeof(head[0]), na = 0;
	while (args[na])
		na++;
	_cleanup_free_ char **argv = xcalloc(nh + na + 1, sizeof(char *));
	memcpy(argv, head, sizeof(head));
	memcpy(argv + nh, args, na * sizeof(char *));
	int r = vb_svc_run_out(s, argv, out_fd, timeout_s, stop, err);
	return r ? vb_error_wrap(err, "%s", cls) : 0;
}

#define WHO_JENA "mw.triplestore (jena-tdb2)"

/* Did vb_mw_client fail with r after its client ran (its message names who)? */
static bool client_said(int r)
{
	return r == -EIO || r == -ETIMEDOUT || r == -EPROTO;
}
static int jena_run(const struct vb_workload_ctx *ctx, const struct triplestore_opts *o,
		    double *values, struct vb_error **err)
{
	static const char *const javas[] = { "/usr/bin/java", NULL };
	static const char *const unzips[] = { "/usr/bin/unzip", NULL };
	_cleanup_free_ char *java = NULL, *unzip = NULL, *classpath = NULL;
	int r = vb_app_program(javas, "default-jre-headless", &java, err);
	if (!r)
		r = vb_app_program(unzips, "unzip", &unzip, err);
	for (size_t i = 0; !r && jena_jars[i]; i++) {
		_cleanup_free_ char *jar = xasprintf(JAVA_DIR "%s.jar", jena_jars[i]);
		if (access(jar, R_OK) < 0)
			r = vb_error_errno(err, errno,
					   "%s is missing (Debian's libapache-jena-java and its "
					   "dependencies provide it)",
					   jar);
		char *next = xasprintf("%s%s:", classpath ? classpath : "", jar);
		free(classpath);
		classpath = next;
	}
	if (r)
		return vb_error_wrap(err, WHO_JENA);
	/* Seconds per graph even emulated, plus ten minutes: for each of Jena's commands. */
	double timeout = 600.0 + (double)o->observations * 0.2;
	_cleanup_free_ char *n = xasprintf("%llu", (unsigned long long)o->observations);
	_cleanup_free_ char *seed = xasprintf("%llu", (unsigned long long)o->seed);
	/* Jena needs no network: a namespace of its own, where the agent may make one. */
	int netns = -1;
	r = vb_svc_net_enter(&netns, err);
	struct vb_svc s = { .pid = -1, .log_fd = -1, .dir_fd = -1 };
	if (!r)
		r = vb_svc_open(&s, "jena", ctx->scratch_dir, NULL, err);
	if (!r)
		r = jena_messages(&s, unzip, timeout, ctx->stop, err);
	char *next = xasprintf("%s%s" MESSAGES_ROOT, classpath, s.seen ? s.seen : "");
	free(classpath);
	classpath = next;
	/*
	 * The observations' graphs as N-Quads, written before the clock runs;
	 * files made through the directory's descriptor (vb_svc_create), and
	 * handed to virtbench-mw as its output and input: nothing is opened by
	 * a path the service's user could have turned into a link.
	 */
	static const struct vb_metric_desc none[] = { { 0 } };
	char *write[] = { "triplestore", "--write-quads", "-", "--observations", n, "--seed", seed,
			  NULL };
	int fd = r ? -1 : vb_svc_create(&s, "observations.nq", O_WRONLY, 0644, err);
	if (fd < 0 && !r)
		r = fd;
	bool told = false; /* the client ran, and its message names the workload already */
	if (!r)
		told = client_said(r = vb_mw_client_io(WHO_JENA, write, NULL, -1, fd, timeout,
						       ctx->stop, none, NULL, NULL, err));
	if (fd >= 0)
		close(fd);
	_cleanup_free_ char *loc = xasprintf("%s/tdb2", s.seen ? s.seen : "");
	_cleanup_free_ char *input = xasprintf("%s/observations.nq", s.seen ? s.seen : "");
	/* start: a JVM, and the fresh database made by its first query. */
	char *ask[] = { "--loc", loc, "ASK {}", NULL };
	double t0 = vb_monotonic_s();
	if (!r)
		r = jena(&s, java, classpath, "tdb2.tdbquery", ask, -1, timeout, ctx->stop, err);
	values[START_S] = vb_monotonic_s() - t0;
	/* store: every graph loaded in one run of the loader. */
	char *load[] = { "--loc", loc, input, NULL };
	t0 = vb_monotonic_s();
	if (!r)
		r = jena(&s, java, classpath, "tdb2.tdbloader", load, -1, timeout, ctx->stop, err);
	values[STORE_S] = vb_monotonic_s() - t0;
	/* retrieve: every quad dumped (the clock stops there), then checked. */
	char *all[] = { "--loc", loc, NULL };
	char *check[] = { "triplestore", "--check-quads", "-", "--observations", n, "--seed", seed,
			  NULL };
	fd = r ? -1 : vb_svc_create(&s, "dump.nq", O_RDWR, 0600, err);
	if (fd < 0 && !r)
		r = fd;
	t0 = vb_monotonic_s();
	if (!r)
		r = jena(&s, java, classpath, "tdb2.tdbdump", all, fd, timeout, ctx->stop, err);
	values[RETRIEVE_S] = vb_monotonic_s() - t0;
	if (!r && lseek(fd, 0, SEEK_SET) < 0)
		r = vb_error_errno(err, errno, "cannot read the dump back");
	if (!r)
		told = client_said(r = vb_mw_client_io(WHO_JENA, check, NULL, fd, -1, timeout,
						       ctx->stop, none, NULL, NULL, err));
	if (fd >= 0)
		close(fd);
	values[STORE_RATE] = (double)o->observations / values[STORE_S];
	values[RETRIEVE_RATE] = (double)o->observations / values[RETRIEVE_S];
	vb_svc_close(&s);
	vb_svc_net_leave(&netns);
	return r && !told ? vb_error_wrap(err, WHO_JENA) : r;
}

static int triplestore_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
			   struct vb_error **err)
{
	const struct triplestore_opts *o = vo;
	if (o->store == STORE_JENA_TDB2)
		return jena_run(ctx, o, values, err);
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
	.extra_packages = triplestore_packages,
	.check = triplestore_check,
	.run = triplestore_run,
};
