/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "agent/client.h"
#include "cli/cli.h"
#include "core/log.h"
#include "core/text.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "guest/image.h"
#include "report/diff.h"
#include "report/report.h"
#include "runtime/idmap.h"

/*
 * `run` and `compare` are one verb with two sets of defaults: `run` is the
 * embedded default job (host, two workloads); `compare` is the study's
 * overhead experiment over suites on every platform available here.
 */
struct verb {
	enum vb_verb id;
	const char *name, *experiment;
	const char *platforms; /* default -p */
	const char *suites;    /* default --suite when no -w */
	const char *workloads; /* default -w when no --suite */
};
static const struct verb verb_run = { VB_VERB_RUN, "run", "run",
				      "host",	   NULL,  "cpu.primes,mem.memcpy" };
static const struct verb verb_compare = { VB_VERB_COMPARE, "compare",	  "compare",
					  "available",	   "w1,w2,w3,w4", NULL };
static const struct verb verb_scale = { VB_VERB_SCALE, "scale", "scale",
					"available",   NULL,	"cpu.primes,mem.memcpy" };
static const struct verb verb_calibrate = { VB_VERB_CALIBRATE, "calibrate", "calibrate", "host",
					    "w1,w2",	       NULL };
static const struct verb *verb = &verb_run;

struct run_args {
	const char *platforms, *workloads, *suites, *vcpus, *memory;
	const char *baseline, *net;
	struct vb_cli_guest_args g;	   /* --db, --json, --kernel, --image, ... */
	uint64_t memory_bytes, disk_bytes; /* run, compare: --memory SIZE; all: --disk SIZE */
	double tolerance;
	enum vb_profile profile;
	char **sets;
	size_t nsets;
	uint64_t runs, min_runs, warmup, instances;
	double ci_target, budget, timeout, equivalence;
	bool have_budget, have_runs;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	struct vb_cli_parser p;
	int c = 0, r = 0;
	vb_cli_parser_init(&p, verb->id, argc, argv);
	while (!r && (c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_PLATFORM:
			a->platforms = p.arg;
			break;
		case VB_CLI_WORKLOAD:
			a->workloads = p.arg;
			break;
		case VB_CLI_SUITE:
			a->suites = p.arg;
			break;
		case VB_CLI_VCPUS:
			a->vcpus = p.arg;
			break;
		case VB_CLI_MEMORY:
			/* scale: a LIST (vb_cli_scale_expand); the others: a SIZE. */
			a->memory = p.arg;
			a->memory_bytes = p.u;
			break;
		case VB_CLI_DISK:
			a->disk_bytes = p.u;
			break;
		case VB_CLI_PROFILE:
			a->profile = p.u ? VB_PROFILE_FULL : VB_PROFILE_QUICK;
			break;
		case VB_CLI_SET:
			a->sets = xrealloc(a->sets, (a->nsets + 1) * sizeof(char *));
			a->sets[a->nsets++] = (char *)p.arg;
			break;
		case VB_CLI_RUNS:
			a->runs = p.u;
			a->have_runs = true;
			break;
		case VB_CLI_MIN_RUNS:
			a->min_runs = p.u;
			break;
		case VB_CLI_WARMUP:
			a->warmup = p.u;
			break;
		case VB_CLI_INSTANCES:
			a->instances = p.u;
			break;
		case VB_CLI_EQUIVALENCE:
			a->equivalence = p.d;
			break;
		case VB_CLI_CI_TARGET:
			a->ci_target = p.d;
			break;
		case VB_CLI_TIME_BUDGET:
			a->budget = p.d;
			a->have_budget = true;
			break;
		case VB_CLI_TIMEOUT:
			a->timeout = p.d;
			break;
		case VB_CLI_BASELINE:
			a->baseline = p.arg;
			break;
		case VB_CLI_NET:
			a->net = p.arg;
			break;
		case VB_CLI_TOLERANCE:
			a->tolerance = p.d;
			break;
		default:
			if (!vb_cli_guest_option(verb->name, c, &p, &a->g, &r))
				VB_BUG("run: option %d from the table not handled", c);
		}
	}
	r = vb_cli_guest_end(verb->name, &p, c, r, &a->g);
	if (!r && !a->workloads && !a->suites) {
		a->workloads = verb->workloads;
		a->suites = verb->suites;
	}
	if (!r && a->min_runs > a->runs)
		a->min_runs = a->runs;
	return r;
}

/* The pipeline check: this run against a stored baseline results file. */
static int check_baseline(struct vb_store *db, int64_t run_id, const struct run_args *a,
			  unsigned *regressions, struct vb_error **err)
{
	json_t *doc = NULL;
	int r = vb_store_export_doc(db, run_id, &doc, err);
	if (!r) {
		printf("\nagainst the baseline %s (tolerance %g%%):\n", a->baseline, a->tolerance);
		r = vb_diff_baseline(doc, a->baseline, a->tolerance, stdout, regressions, err);
	}
	json_decref(doc);
	return r;
}

/*
 * The Debian image cannot be had (err says why): go on without the
 * workloads that need it, saying so, with the minimal image.
 */
static int leave_out_packaged(const char *cmd, struct vb_run_config *cfg,
			      struct vb_image_spec *ispec, struct vb_error **err)
{
	_cleanup_free_ char *names = vb_cli_drop_packaged(cfg);
	if (!names)
		return (*err)->code ? (*err)->code : -EINVAL;
	fprintf(stderr, "virtbench %s: leaving out %s: %s\n", cmd, names, (*err)->msg);
	vb_error_free(err);
	if (cfg->nworkloads == 0)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "no workload is left to run");
	vb_image_spec_release(ispec);
	*ispec = (struct vb_image_spec){ .kind = VB_IMAGE_MINIMAL };
	return 0;
}

static int run_verb(int argc, char **argv)
{
	struct run_args a = {
		.platforms = verb->platforms,
		.profile = VB_PROFILE_QUICK,
		.runs = 10,
		.min_runs = 3,
		.warmup = 1,
		.ci_target = 2,
		.equivalence = 100 * VB_EQUIVALENCE_DEFAULT,
		.timeout = 600,
		.tolerance = 10,
	};
	struct vb_run_config cfg = { 0 };
	struct vb_error *err = NULL;
	struct vb_store *db = NULL;
	_cleanup_free_ char *agent = NULL;
	struct vb_image_spec ispec = { 0 };
	struct vb_guest_image image = { 0 };
	_cleanup_free_ char *command = vb_cli_command_line(argc, argv);
	_cleanup_free_ char *dbpath = NULL;
	int64_t run_id = -1;
	unsigned failed = 0, regressions = 0;
	int code;

	int r = parse_args(argc, argv, &a);
	if (r) {
		free(a.sets);
		return r < 0 ? 0 : r;
	}
	cfg.profile = a.profile;
	/* Everything outside input can get wrong is checked before anything is created. */
	r = vb_cli_workloads(a.workloads, a.suites, a.sets, a.nsets, &cfg, &err);
	struct vb_platform_ctx probe = { .kernel = a.g.kernel, .kernel_modules = a.g.kmods };
	if (!r)
		r = vb_cli_platforms(verb->name, a.platforms, NULL, &probe, &cfg.platforms,
				     &cfg.nplatforms, &err);
	bool optional = !a.g.image && vb_cli_packages_optional(a.workloads, a.suites);
	if (!r)
		r = vb_cli_image_plan(a.g.image, cfg.workloads, cfg.nworkloads, cfg.platforms,
				      cfg.nplatforms, &ispec, &err);
	/* --suite all with a platform that boots only the minimal image: without them. */
	if (r && optional && err->exit_code == VB_EXIT_USAGE)
		r = leave_out_packaged(verb->name, &cfg, &ispec, &err);
	/* w3 needs a network from each guest to the host, where its peer runs. */
	bool w3 = false;
	for (size_t i = 0; i < cfg.nworkloads; i++)
		w3 |= vb_workload_needs_peer(cfg.workloads[i].w, cfg.workloads[i].opts);
	/* layout=split: the pair's guests meet on the run's bridge. */
	const struct vb_workload_ops *split = NULL;
	for (size_t i = 0; i < cfg.nworkloads; i++)
		if (vb_workload_pair(cfg.workloads[i].w, cfg.workloads[i].opts))
			split = cfg.workloads[i].w;
	cfg.spec.net = w3 || split ? VB_NET_BRIDGED : VB_NET_NONE;
	if (a.net)
		cfg.spec.net = !strcmp(a.net, "nat")	   ? VB_NET_NAT
			       : !strcmp(a.net, "bridged") ? VB_NET_BRIDGED
							   : VB_NET_NONE;
	cfg.spec.userns = vb_cli_guest_userns(&a.g, cfg.workloads, cfg.nworkloads);
	cfg.spec.memory_bytes = a.memory_bytes;
	cfg.spec.disk_bytes = a.disk_bytes;
	cfg.spec.container_disk = a.g.container_disk;
	if (!r && a.g.have_userns)
		r = vb_cli_userns_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r && a.g.have_container_disk)
		r = vb_cli_container_disk_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r && w3 && cfg.spec.net == VB_NET_NONE)
		r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
				  "--net none: the w3 workloads need a network to their peer");
	if (!r && split && cfg.spec.net != VB_NET_BRIDGED)
		r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
				  "--net %s: %s layout=split needs its two guests on the run's "
				  "bridge (use --net bridged, or leave --net out)",
				  a.net, split->name);
	/* Behind NAT the host reaches no guest address: where=host needs the bridge. */
	for (size_t i = 0; !r && cfg.spec.net == VB_NET_NAT && i < cfg.nworkloads; i++)
		if (vb_workload_needs_peer(cfg.workloads[i].w, cfg.workloads[i].opts) &&
		    !cfg.workloads[i].w->needs_peer)
			r = vb_error_exit(
			    &err, -EINVAL, VB_EXIT_USAGE,
			    "%s where=host: the host drives the guest's server, which "
			    "--net nat hides (use --net bridged)",
			    cfg.workloads[i].w->name);
	for (size_t i = 0; !r && cfg.spec.net == VB_NET_NAT && i < cfg.nplatforms; i++)
		if (!(cfg.platforms[i]->caps & VB_CAP_NAT))
			r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
					  "--net nat: platform %s has no NAT (use --net bridged)",
					  cfg.platforms[i]->name);
	if (!r && verb == &verb_scale)
		r = vb_cli_scale_expand(a.vcpus, a.memory, &cfg, &err);
	if (!r && verb == &verb_calibrate)
		r = vb_cli_calibrate_expand(&cfg, &err);
	/*
	 * A guest's address on the bridge is 10.233.S.(N % 250 + 2): the pairs,
	 * numbered from 20 x platforms on, stay clear of every instance's
	 * guests only while 40 x platforms <= 250.
	 */
	if (!r && split && cfg.nplatforms > VB_SPLIT_MAX_PLATFORMS)
		r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
				  "%s layout=split takes at most %d platform entries (here %zu): "
				  "their pairs' addresses on the run's bridge would meet",
				  split->name, VB_SPLIT_MAX_PLATFORMS, cfg.nplatforms);
	if (!r)
		vb_cli_disk_labels(&cfg);
	if (!r)
		r = vb_cli_check_outputs(a.g.json, a.g.csv, a.g.report, &err);
	if (!r && a.baseline) {
		/* A baseline that is no results file fails now, not after the run. */
		json_t *base = NULL;
		r = vb_result_doc_load(a.baseline, &base, &err);
		json_decref(base);
	}
	if (!r)
		r = vb_cli_agent_path(&agent, &err);
	for (size_t i = 0; !r && i < cfg.nplatforms; i++) {
		for (size_t k = 0; !r && k < cfg.nworkloads; k++)
			if (vb_workload_needs_peer(cfg.workloads[k].w, cfg.workloads[k].opts) &&
			    !(cfg.platforms[i]->caps & VB_CAP_NETWORK))
				r = vb_error_exit(
				    &err, VB_SKIP, VB_EXIT_UNAVAILABLE,
				    "platform %s cannot run %s yet: it has no network "
				    "to the peer",
				    cfg.platforms[i]->name, cfg.workloads[k].w->name);
		if (!r && split && !cfg.platforms[i]->guest_address)
			r = vb_error_exit(&err, VB_SKIP, VB_EXIT_UNAVAILABLE,
					  "platform %s cannot run %s layout=split: another guest "
					  "cannot reach its guests",
					  cfg.platforms[i]->name, split->name);
		if (r)
			break;
		probe.agent_path = agent;
		r = vb_platform_probe(cfg.platforms[i], &probe, &err);
		if (r) {
			vb_error_wrap(&err, "platform %s is unavailable here",
				      cfg.platforms[i]->name);
			err->exit_code = VB_EXIT_UNAVAILABLE;
		}
	}
	if (!r)
		r = vb_cli_image_resolve(&ispec, cfg.platforms, cfg.nplatforms, agent, &image,
					 &err);
	/* --suite all where the Debian image cannot be built: without its workloads. */
	if (r && optional && ispec.kind == VB_IMAGE_DEBIAN && r != -EINTR) {
		vb_guest_image_release(&image);
		r = leave_out_packaged(verb->name, &cfg, &ispec, &err);
		if (!r)
			r = vb_cli_image_resolve(&ispec, cfg.platforms, cfg.nplatforms, agent,
						 &image, &err);
	}
	cfg.image = &image;
	cfg.kernel = a.g.kernel;
	cfg.kernel_modules = a.g.kmods;
	if (!r) {
		dbpath = a.g.db ? xstrdup(a.g.db) : vb_store_default_path();
		r = vb_cli_open_store(dbpath, &db, &err);
	}
	if (r) {
		code = vb_cli_fail(&err);
		goto out;
	}

	cfg.warmup = (unsigned)a.warmup;
	/*
	 * Fresh guests: a quick run keeps one (its 5-minute budget cannot pay
	 * for more boots of an emulated guest), a full run starts three per
	 * platform, enough to see the between-instance variance.
	 */
	cfg.instances = a.instances ? (unsigned)a.instances : a.profile == VB_PROFILE_FULL ? 3 : 1;
	cfg.rule = (struct vb_stop_rule){ .min_runs = (unsigned)a.min_runs,
					  .max_runs = (unsigned)a.runs,
					  .ci_target = a.ci_target / 100 };
	/*
	 * A quick compare must end within minutes even with an emulated VM in it
	 * (a round of w1-w4 under TCG takes 40-60 s here): unless told otherwise
	 * it stops starting rounds after 240 s, and says so. The emulated
	 * platform is decided after --min-runs rounds and its guest goes; the
	 * rest of the budget buys host and container rounds (about 10 s each),
	 * up to 20 of them unless --runs says otherwise.
	 */
	cfg.time_budget_s = a.budget;
	if (!a.have_budget && verb == &verb_compare && a.profile == VB_PROFILE_QUICK) {
		cfg.time_budget_s = 240;
		if (!a.have_runs)
			cfg.rule.max_runs = 20;
	}
	cfg.job_timeout_s = a.timeout;
	cfg.ready_timeout_s = 30;
	cfg.agent_path = agent;
	cfg.command = command;
	cfg.experiment = verb->experiment;
	cfg.equivalence = a.equivalence / 100;
	cfg.progress = !a.g.quiet && isatty(STDOUT_FILENO);

	vb_cli_install_signals();
	r = vb_overhead_run(&cfg, db, &run_id, &failed, &err);
	if (run_id >= 0) {
		struct vb_error *perr = NULL;
		if (vb_cli_run_outputs(db, run_id, dbpath, command, a.g.json, a.g.csv, a.g.report,
				       &perr) &&
		    !r) {
			r = perr->code;
			vb_error_keep(&err, &perr);
		}
		vb_error_free(&perr);
		if (!r && a.baseline)
			r = check_baseline(db, run_id, &a, &regressions, &err);
	}
	if (r)
		code = vb_cli_fail(&err);
	else
		code = failed || regressions ? VB_EXIT_MEASUREMENT : VB_EXIT_OK;
	if (!r && regressions) {
		_cleanup_free_ char *base = vb_printable(a.baseline);
		fprintf(stderr, "virtbench: %u regression%s against %s beyond %g%%\n", regressions,
			regressions == 1 ? "" : "s", base, a.tolerance);
	}
	if (!r && failed)
		fprintf(stderr, "virtbench: %u measurement%s failed\n", failed,
			failed == 1 ? "" : "s");
out:
	vb_store_close(db);
	vb_image_spec_release(&ispec);
	vb_guest_image_release(&image);
	vb_cli_free_workloads(&cfg);
	vb_cli_scale_free(&cfg);
	free(cfg.platforms);
	free(a.sets);
	return code;
}

int vb_cmd_run(int argc, char **argv)
{
	verb = &verb_run;
	return run_verb(argc, argv);
}

int vb_cmd_compare(int argc, char **argv)
{
	verb = &verb_compare;
	return run_verb(argc, argv);
}

int vb_cmd_scale(int argc, char **argv)
{
	verb = &verb_scale;
	return run_verb(argc, argv);
}

int vb_cmd_calibrate(int argc, char **argv)
{
	verb = &verb_calibrate;
	return run_verb(argc, argv);
}
