/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <math.h>

#include "agent/client.h"
#include "cli/cli.h"
#include "core/log.h"
#include "core/text.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "report/diff.h"
#include "report/report.h"
#include "runtime/idmap.h"

/*
 * `run` and `compare` are one verb with two sets of defaults: `run` is the
 * embedded default job (host, two workloads); `compare` is the study's
 * overhead experiment over suites on every platform available here.
 */
struct verb {
	const char *name, *experiment;
	const char *platforms; /* default -p */
	const char *suites;    /* default --suite when no -w */
	const char *workloads; /* default -w when no --suite */
};
static const struct verb verb_run = { "run", "run", "host", NULL, "cpu.primes,mem.memcpy" };
static const struct verb verb_compare = { "compare", "compare", "available", "w1,w2,w3,w4", NULL };
static const struct verb verb_scale = { "scale", "scale", "available", NULL,
					"cpu.primes,mem.memcpy" };
static const struct verb verb_calibrate = { "calibrate", "calibrate", "host", "w1,w2", NULL };
static const struct verb *verb = &verb_run;

static void usage(FILE *f)
{
	if (verb == &verb_scale)
		fputs("usage: virtbench scale [-p PLATFORMS] [-w WORKLOADS] [--vcpus LIST]\n"
		      "                       [--memory LIST] [options]\n\n"
		      "The overhead experiment over guest sizes (the study's figs. 4.1-4.7):\n"
		      "each platform with guests runs once per vCPU count and memory size,\n"
		      "stored as e.g. container[vcpus=2], all compared with the host.\n\n"
		      "      --vcpus LIST       vCPU counts (default 1,2,4,8 as far as the host\n"
		      "                         has CPUs; more than it has is refused)\n"
		      "      --memory LIST      guest memory sizes: 512MiB, 2G, or a percentage\n"
		      "                         of host memory such as 50%,100%,150% (default:\n"
		      "                         the platform's); refused where the platform does\n"
		      "                         not over-commit or the host cannot spare it\n"
		      "  -p, --platform LIST    platforms (default: every one available here)\n"
		      "  -w, --workload LIST    workloads (default cpu.primes,mem.memcpy)\n"
		      "      --suite LIST       add the workloads of suites\n",
		      f);
	else if (verb == &verb_calibrate)
		fputs("usage: virtbench calibrate [-p PLATFORM] [-w WORKLOADS] [options]\n\n"
		      "This host's noise floor: one platform against itself, two instances\n"
		      "(NAME#1, the baseline, and NAME#2) interleaved as any two platforms are.\n"
		      "Every faster or slower verdict is a false one; the resolution line says\n"
		      "how narrow the intervals got within the budget given.\n\n"
		      "  -p, --platform NAME    one platform (default host)\n"
		      "  -w, --workload LIST    workloads (default: the suites w1 and w2)\n"
		      "      --suite LIST       the suites instead (w1 w2 w3 w4 system all)\n",
		      f);
	else if (verb == &verb_compare)
		fputs("usage: virtbench compare [--suite SUITES] [-p PLATFORMS] [options]\n\n"
		      "The overhead experiment: every workload of the chosen suites on every\n"
		      "chosen platform, interleaved, each compared with the host; prints the\n"
		      "overhead table and the study's views and stores the run.\n\n"
		      "      --suite LIST       w1 (CPU), w2 (memory), w3 (network), w4 (disk),\n"
		      "                         system, or all (default w1,w2,w3,w4)\n"
		      "  -p, --platform LIST    comma-separated platforms, or 'available' (the\n"
		      "                         default: every platform that works here)\n"
		      "  -w, --workload LIST    workloads to add to the suites\n",
		      f);
	else
		fputs("usage: virtbench run [-p PLATFORMS] [-w WORKLOADS] [options]\n\n"
		      "Run each workload on each platform, interleaved, until every 95% "
		      "confidence\n"
		      "interval is narrow enough; print the overhead table and store the run.\n\n"
		      "  -p, --platform LIST    comma-separated platforms, or 'available'\n"
		      "                         (default host); see 'virtbench list platforms'\n"
		      "  -w, --workload LIST    comma-separated workloads, or 'all'\n"
		      "                         (default cpu.primes,mem.memcpy)\n"
		      "      --suite LIST       add the workloads of suites: w1 w2 w3 w4 system "
		      "all\n",
		      f);
	fputs("      --profile P        quick (seconds) or full (the study's parameters)\n"
	      "      --memory SIZE      guest memory, e.g. 512M (scale: a LIST, above); a\n"
	      "                         container's memory + swap limit (default: half the\n"
	      "                         host's RAM), a VM's RAM (default 512M)\n"
	      "      --disk SIZE        guest disk, e.g. 8G (default 4G): a VM's disk image,\n"
	      "                         the bound on what a container writes (a job going\n"
	      "                         past it fails)\n"
	      "      --set [W.]NAME=VALUE  set a workload option (repeatable); without W.\n"
	      "                         it applies to every chosen workload that has NAME;\n"
	      "                         NAME=V1,V2,... runs one instance per value (a sweep)\n"
	      "      --runs N           at most N measured repetitions per cell (default 10)\n"
	      "      --min-runs N       at least N before the CI rule may stop (default 3)\n"
	      "      --warmup N         discarded warm-up rounds (default 1; per instance)\n"
	      "      --instances K      fresh guests per platform, the rounds split over them;\n"
	      "                         intervals across instances (default: quick 1, full 3;\n"
	      "                         at most 20)\n"
	      "      --ci-target PCT    stop a platform's cell when its ratio to the baseline\n"
	      "                         has a 95% half-width within PCT% (alone: its mean's\n"
	      "                         CI), or is decisively far from 1 (default 2; 0 = run\n"
	      "                         --runs unless decisive)\n"
	      "      --time-budget S    stop starting new rounds after S seconds (default\n"
	      "                         none; compare --profile quick: 240, with --runs 20)\n"
	      "      --timeout S        a single job's limit in seconds (default 600)\n"
	      "      --equivalence PCT  verdict 'equivalent' when the ratio's whole 95%\n"
	      "                         interval lies within 1 +- PCT% (default 5; 0: never)\n"
	      "      --db PATH          results database (default $VIRTBENCH_DB or\n"
	      "                         $XDG_DATA_HOME/virtbench/results.db)\n"
	      "      --json FILE        also export the run as JSON with every raw sample\n"
	      "      --csv FILE         also export the samples as CSV\n"
	      "  -o, --report FILE      also write the HTML report (see 'virtbench report')\n"
	      "      --net MODE         guest network: none, bridged (the run's bridge; the\n"
	      "                         default with w3) or nat (QEMU: user-mode; container:\n"
	      "                         the bridge behind a masquerade, the peer outside)\n"
	      "      --userns [MAP]     containers in a user namespace with MAP:\n"
	      "                         [u:|g:]INSIDE:OUTSIDE:COUNT[,...][,setgroups=deny]\n"
	      "                         (default 0:1879048192:65536; docs/container.md)\n"
	      "      --kernel IMAGE     the guest kernel of the VM platforms (default:\n"
	      "                         Debian's); --kernel-modules DIR: its modules\n"
	      "      --container-image IMAGE  the container platform's image: minimal (the\n"
	      "                         default), debian[:PKG,...] (debootstrap of this\n"
	      "                         host's release, built once and cached) or a DIR\n"
	      "      --container-disk D the container's /scratch: volume (the default: a\n"
	      "                         directory of its own bound there, beside the host's\n"
	      "                         scratch) or overlay (in its overlay layer; stored\n"
	      "                         as container[disk=overlay])\n"
	      "      --baseline FILE    compare the run with a results file (a --json\n"
	      "                         export): exit 1 on a regression (see 'virtbench diff')\n"
	      "      --tolerance PCT    a regression is significantly worse by more than\n"
	      "                         PCT% (default 10)\n"
	      "  -q, --quiet            no progress line\n"
	      "  -v, --verbose          log what the agents say\n"
	      "  -h, --help             this text\n",
	      f);
}

struct run_args {
	const char *platforms, *workloads, *suites, *db, *json, *csv, *vcpus, *memory, *report;
	const char *baseline, *kernel, *kmods, *net, *image;
	uint64_t memory_bytes, disk_bytes; /* run, compare: --memory SIZE; all: --disk SIZE */
	double tolerance;
	enum vb_profile profile;
	char **sets;
	size_t nsets;
	uint64_t runs, min_runs, warmup, instances;
	bool quiet;
	double ci_target, budget, timeout, equivalence;
	bool have_budget, have_runs;
	struct vb_userns userns;
	bool have_userns;
	enum vb_container_disk container_disk;
	bool have_container_disk;
};

static int parse_count(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	if (vb_parse_u64(text, out) || *out < min || *out > max)
		return vb_cli_usage_error(
		    verb->name, "%s wants a whole number from %llu to %llu, not '%.64s'", opt,
		    (unsigned long long)min, (unsigned long long)max, text);
	return 0;
}

static int parse_real(const char *opt, const char *text, double min, double max, bool pct,
		      double *out)
{
	_cleanup_free_ char *t = xstrdup(text);
	size_t n = strlen(t);
	if (pct && n && t[n - 1] == '%')
		t[n - 1] = '\0';
	if (vb_parse_double(t, out) || *out < min || *out > max)
		return vb_cli_usage_error(verb->name,
					  "%s wants a number from %g to %g, not '%.64s'", opt, min,
					  max, text);
	return 0;
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
	enum {
		O_PROFILE = 256,
		O_SET,
		O_RUNS,
		O_MIN_RUNS,
		O_WARMUP,
		O_CI,
		O_BUDGET,
		O_TIMEOUT,
		O_EQUIV,
		O_DB,
		O_JSON,
		O_CSV,
		O_SUITE,
		O_VCPUS,
		O_MEMORY,
		O_BASELINE,
		O_TOLERANCE,
		O_KERNEL,
		O_KMODS,
		O_NET,
		O_USERNS,
		O_IMAGE,
		O_DISK,
		O_INSTANCES,
		O_CONTAINER_DISK,
	};
	static const struct option longopts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "workload", required_argument, NULL, 'w' },
		{ "suite", required_argument, NULL, O_SUITE },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "memory", required_argument, NULL, O_MEMORY },
		{ "disk", required_argument, NULL, O_DISK },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "set", required_argument, NULL, O_SET },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "min-runs", required_argument, NULL, O_MIN_RUNS },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "instances", required_argument, NULL, O_INSTANCES },
		{ "ci-target", required_argument, NULL, O_CI },
		{ "time-budget", required_argument, NULL, O_BUDGET },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "equivalence", required_argument, NULL, O_EQUIV },
		{ "db", required_argument, NULL, O_DB },
		{ "json", required_argument, NULL, O_JSON },
		{ "csv", required_argument, NULL, O_CSV },
		{ "report", required_argument, NULL, 'o' },
		{ "baseline", required_argument, NULL, O_BASELINE },
		{ "tolerance", required_argument, NULL, O_TOLERANCE },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "net", required_argument, NULL, O_NET },
		{ "userns", optional_argument, NULL, O_USERNS },
		{ "kernel-modules", required_argument, NULL, O_KMODS },
		{ "container-image", required_argument, NULL, O_IMAGE },
		{ "container-disk", required_argument, NULL, O_CONTAINER_DISK },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, r = 0;
	optind = 1;
	opterr = 0;
	while (!r && (c = getopt_long(argc, argv, ":p:w:o:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->platforms = optarg;
			break;
		case 'w':
			a->workloads = optarg;
			break;
		case O_SUITE:
			a->suites = optarg;
			break;
		case O_VCPUS:
			if (verb != &verb_scale)
				r = vb_cli_usage_error(verb->name, "--vcpus is an option of scale");
			else
				a->vcpus = optarg;
			break;
		case O_MEMORY:
			if (verb == &verb_scale)
				a->memory = optarg;
			else if (vb_parse_size(optarg, &a->memory_bytes) ||
				 a->memory_bytes < (4u << 20))
				r = vb_cli_usage_error(
				    verb->name, "--memory wants a size of at least 4M, not '%.64s'",
				    optarg);
			break;
		case O_DISK:
			if (vb_parse_size(optarg, &a->disk_bytes) || a->disk_bytes < (1u << 20))
				r = vb_cli_usage_error(
				    verb->name, "--disk wants a size of at least 1M, not '%.64s'",
				    optarg);
			break;
		case O_PROFILE:
			if (!strcmp(optarg, "quick"))
				a->profile = VB_PROFILE_QUICK;
			else if (!strcmp(optarg, "full"))
				a->profile = VB_PROFILE_FULL;
			else
				r = vb_cli_usage_error(
				    verb->name, "--profile is quick or full, not '%.64s'", optarg);
			break;
		case O_SET:
			a->sets = xrealloc(a->sets, (a->nsets + 1) * sizeof(char *));
			a->sets[a->nsets++] = optarg;
			break;
		case O_RUNS:
			r = parse_count("--runs", optarg, 1, 100000, &a->runs);
			a->have_runs = true;
			break;
		case O_MIN_RUNS:
			r = parse_count("--min-runs", optarg, 1, 100000, &a->min_runs);
			break;
		case O_WARMUP:
			r = parse_count("--warmup", optarg, 0, 1000, &a->warmup);
			break;
		case O_INSTANCES:
			r = parse_count("--instances", optarg, 1, VB_MAX_INSTANCES, &a->instances);
			break;
		case O_EQUIV:
			r = parse_real("--equivalence", optarg, 0, 50, true, &a->equivalence);
			break;
		case O_CI:
			r = parse_real("--ci-target", optarg, 0, 100, true, &a->ci_target);
			break;
		case O_BUDGET:
			r = parse_real("--time-budget", optarg, 0, 7 * 86400, false, &a->budget);
			a->have_budget = true;
			break;
		case O_TIMEOUT:
			r = parse_real("--timeout", optarg, 0.1, 7 * 86400, false, &a->timeout);
			break;
		case O_DB:
			a->db = optarg;
			break;
		case O_JSON:
			a->json = optarg;
			break;
		case O_CSV:
			a->csv = optarg;
			break;
		case 'o':
			a->report = optarg;
			break;
		case O_BASELINE:
			a->baseline = optarg;
			break;
		case O_KERNEL:
			a->kernel = optarg;
			break;
		case O_NET:
			if (strcmp(optarg, "none") && strcmp(optarg, "bridged") &&
			    strcmp(optarg, "nat"))
				r = vb_cli_usage_error(verb->name,
						       "--net is none, bridged or nat, not '%.64s'",
						       optarg);
			a->net = optarg;
			break;
		case O_KMODS:
			a->kmods = optarg;
			break;
		case O_USERNS:
			r = vb_cli_userns(verb->name, argc, argv, &a->userns);
			a->have_userns = true;
			break;
		case O_IMAGE:
			a->image = optarg;
			r = vb_cli_check_image(verb->name, optarg);
			break;
		case O_CONTAINER_DISK:
			r = vb_cli_container_disk(verb->name, optarg, &a->container_disk);
			a->have_container_disk = true;
			break;
		case O_TOLERANCE:
			r = parse_real("--tolerance", optarg, 0, 1000, true, &a->tolerance);
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'v':
			vb_log_set_level(VB_LOG_INFO);
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			r = vb_cli_usage_error(verb->name, "%s needs a value", argv[optind - 1]);
			break;
		default:
			r = vb_cli_usage_error(verb->name, "unknown option '%.64s'",
					       argv[optind - 1]);
			break;
		}
	}
	if (!r && optind < argc)
		r = vb_cli_usage_error(verb->name, "unexpected argument '%.64s'", argv[optind]);
	if (!r)
		r = vb_cli_kernel(verb->name, a->kernel, a->kmods);
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
	if (!r)
		r = vb_cli_platforms(verb->name, a.platforms, NULL, &cfg.platforms, &cfg.nplatforms,
				     &err);
	/* w3 needs a network from each guest to the host, where its peer runs. */
	bool w3 = false;
	for (size_t i = 0; i < cfg.nworkloads; i++)
		w3 |= cfg.workloads[i].w->needs_peer;
	cfg.spec.net = w3 ? VB_NET_BRIDGED : VB_NET_NONE;
	if (a.net)
		cfg.spec.net = !strcmp(a.net, "nat")	   ? VB_NET_NAT
			       : !strcmp(a.net, "bridged") ? VB_NET_BRIDGED
							   : VB_NET_NONE;
	if (a.have_userns)
		cfg.spec.userns = &a.userns;
	cfg.spec.memory_bytes = a.memory_bytes;
	cfg.spec.disk_bytes = a.disk_bytes;
	cfg.spec.container_disk = a.container_disk;
	if (!r && a.have_userns)
		r = vb_cli_userns_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r && a.have_container_disk)
		r = vb_cli_container_disk_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r && w3 && cfg.spec.net == VB_NET_NONE)
		r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
				  "--net none: the w3 workloads need a network to their peer");
	for (size_t i = 0; !r && cfg.spec.net == VB_NET_NAT && i < cfg.nplatforms; i++)
		if (!(cfg.platforms[i]->caps & VB_CAP_NAT))
			r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
					  "--net nat: platform %s has no NAT (use --net bridged)",
					  cfg.platforms[i]->name);
	if (!r && verb == &verb_scale)
		r = vb_cli_scale_expand(a.vcpus, a.memory, &cfg, &err);
	if (!r && verb == &verb_calibrate)
		r = vb_cli_calibrate_expand(&cfg, &err);
	if (!r)
		vb_cli_disk_labels(&cfg);
	if (!r)
		r = vb_cli_check_outputs(a.json, a.csv, a.report, &err);
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
			if (cfg.workloads[k].w->needs_peer &&
			    !(cfg.platforms[i]->caps & VB_CAP_NETWORK))
				r = vb_error_exit(
				    &err, VB_SKIP, VB_EXIT_UNAVAILABLE,
				    "platform %s cannot run %s yet: it has no network "
				    "to the peer",
				    cfg.platforms[i]->name, cfg.workloads[k].w->name);
		if (r)
			break;
		r = vb_platform_probe(cfg.platforms[i], &err);
		if (r) {
			vb_error_wrap(&err, "platform %s is unavailable here",
				      cfg.platforms[i]->name);
			err->exit_code = VB_EXIT_UNAVAILABLE;
		}
	}
	if (!r)
		r = vb_cli_container_image(a.image, cfg.platforms, cfg.nplatforms, agent, &err);
	if (!r) {
		dbpath = a.db ? xstrdup(a.db) : vb_store_default_path();
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
	cfg.progress = !a.quiet && isatty(STDOUT_FILENO);

	vb_cli_install_signals();
	r = vb_overhead_run(&cfg, db, &run_id, &failed, &err);
	if (run_id >= 0) {
		struct vb_error *perr = NULL;
		if (vb_cli_run_outputs(db, run_id, dbpath, command, a.json, a.csv, a.report,
				       &perr) &&
		    !r)
			r = vb_error_set(&err, perr->code, "%s", perr->msg);
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
