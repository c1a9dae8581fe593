/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <math.h>
#include <sys/random.h>

#include "agent/client.h"
#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "report/report.h"

/* The embedded default job: what `virtbench` and `virtbench run` do bare. */
#define DEFAULT_PLATFORMS "host"
#define DEFAULT_WORKLOADS "cpu.primes,mem.memcpy"

static void usage(FILE *f)
{
	fputs("usage: virtbench run [-p PLATFORMS] [-w WORKLOADS] [options]\n\n"
	      "Run each workload on each platform, interleaved, until every 95% confidence\n"
	      "interval is narrow enough; print the overhead table and store the run.\n\n"
	      "  -p, --platform LIST    comma-separated platforms (default " DEFAULT_PLATFORMS
	      ");\n"
	      "                         see 'virtbench list platforms'\n"
	      "  -w, --workload LIST    comma-separated workloads, or 'all'\n"
	      "                         (default " DEFAULT_WORKLOADS ")\n"
	      "      --profile P        quick (seconds) or full (the study's parameters)\n"
	      "      --set [W.]NAME=VALUE  set a workload option (repeatable); without W.\n"
	      "                         it applies to every chosen workload that has NAME;\n"
	      "                         NAME=V1,V2,... runs one instance per value (a sweep)\n"
	      "      --runs N           at most N measured repetitions per cell (default 10)\n"
	      "      --min-runs N       at least N before the CI rule may stop (default 3)\n"
	      "      --warmup N         discarded warm-up rounds (default 1)\n"
	      "      --ci-target PCT    stop a cell when its 95% CI half-width is within PCT%\n"
	      "                         of the mean (default 2; 0 = always run --runs)\n"
	      "      --time-budget S    stop starting new rounds after S seconds (default none)\n"
	      "      --timeout S        a single job's limit in seconds (default 600)\n"
	      "      --seed N           bootstrap seed (default: random, recorded)\n"
	      "      --db PATH          results database (default $VIRTBENCH_DB or\n"
	      "                         $XDG_DATA_HOME/virtbench/results.db)\n"
	      "      --json FILE        also export the run as JSON with every raw sample\n"
	      "      --csv FILE         also export the samples as CSV\n"
	      "  -q, --quiet            no progress line\n"
	      "  -v, --verbose          log what the agents say\n"
	      "  -h, --help             this text\n",
	      f);
}

struct run_args {
	const char *platforms, *workloads, *db, *json, *csv;
	enum vb_profile profile;
	char **sets;
	size_t nsets;
	uint64_t runs, min_runs, warmup, seed;
	bool have_seed, quiet;
	double ci_target, budget, timeout;
};

static int parse_count(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	if (vb_parse_u64(text, out) || *out < min || *out > max)
		return vb_cli_usage_error(
		    "run", "%s wants a whole number from %llu to %llu, not '%.64s'", opt,
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
		return vb_cli_usage_error("run", "%s wants a number from %g to %g, not '%.64s'",
					  opt, min, max, text);
	return 0;
}

/* Split "a,b,c"; empty items are an error. */
static int split_list(const char *what, const char *text, char ***items, size_t *n,
		      struct vb_error **err)
{
	_cleanup_free_ char *copy = xstrdup(text);
	*items = NULL;
	*n = 0;
	char *save = NULL;
	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		*items = xrealloc(*items, (*n + 1) * sizeof(char *));
		(*items)[(*n)++] = xstrdup(s);
	}
	if (*n == 0 || strstr(text, ",,") || text[0] == ',' || text[strlen(text) - 1] == ',')
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "%s: empty name in '%.64s'", what,
				     text);
	return 0;
}

static void free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

static int resolve_platforms(const char *text, struct vb_run_config *cfg, struct vb_error **err)
{
	char **names;
	size_t n;
	int r = split_list("--platform", text, &names, &n, err);
	if (r) {
		free_list(names, n);
		return r;
	}
	cfg->platforms = xcalloc(n, sizeof(*cfg->platforms));
	for (size_t i = 0; i < n && !r; i++) {
		const struct vb_platform_ops *p = vb_platform_find(names[i]);
		if (!p) {
			r = vb_error_exit(
			    err, -EINVAL, VB_EXIT_USAGE,
			    "unknown platform '%.64s' (see 'virtbench list platforms')", names[i]);
			break;
		}
		for (size_t j = 0; j < cfg->nplatforms; j++)
			if (cfg->platforms[j] == p)
				r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
						  "platform '%s' named twice", p->name);
		cfg->platforms[cfg->nplatforms++] = p;
	}
	free_list(names, n);
	return r;
}

static int resolve_workloads(const char *text, struct vb_run_config *cfg, struct vb_error **err)
{
	char **names = NULL;
	size_t n = 0;
	if (!strcmp(text, "all")) {
		for (size_t i = 0; vb_workloads[i]; i++) {
			names = xrealloc(names, (n + 1) * sizeof(char *));
			names[n++] = xstrdup(vb_workloads[i]->name);
		}
	} else if (split_list("--workload", text, &names, &n, err)) {
		free_list(names, n);
		return -EINVAL;
	}
	int r = 0;
	cfg->workloads = xcalloc(n, sizeof(*cfg->workloads));
	for (size_t i = 0; i < n && !r; i++) {
		const struct vb_workload_ops *w = vb_workload_find(names[i]);
		if (!w) {
			r = vb_error_exit(
			    err, -EINVAL, VB_EXIT_USAGE,
			    "unknown workload '%.64s' (see 'virtbench list workloads')", names[i]);
			break;
		}
		for (size_t j = 0; j < cfg->nworkloads; j++)
			if (cfg->workloads[j].w == w)
				r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
						  "workload '%s' named twice", w->name);
		struct vb_run_workload *rw = &cfg->workloads[cfg->nworkloads++];
		rw->w = w;
		rw->opts = xcalloc(1, w->opts_size);
		vb_options_defaults(w, cfg->profile, rw->opts);
	}
	free_list(names, n);
	return r;
}

/*
 * Apply one --set. "NAME=V" sets the option; "NAME=V1,V2,..." is a sweep:
 * each matching workload becomes one instance per value, labelled
 * "w[NAME=V]", in the order given. An option no chosen workload has is an
 * error.
 */
static int apply_set(struct vb_run_config *cfg, const char *text, struct vb_error **err)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *eq = strchr(copy, '=');
	if (!eq || eq == copy || !eq[1])
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "--set wants [WORKLOAD.]NAME=VALUE[,VALUE...], not '%.64s'",
				     text);
	*eq = '\0';
	char **values;
	size_t nvalues;
	int r = split_list("--set", eq + 1, &values, &nvalues, err);
	if (r) {
		free_list(values, nvalues);
		return r;
	}
	char *name = copy;
	char *dot = strrchr(copy, '.');
	const char *only = NULL;
	if (dot) {
		*dot = '\0';
		only = copy;
		name = dot + 1;
	}
	size_t applied = 0;
	for (size_t i = 0; i < cfg->nworkloads && !r; i++) {
		struct vb_run_workload *rw = &cfg->workloads[i];
		if (only && strcmp(rw->w->name, only))
			continue;
		const struct vb_option *o = vb_workload_option(rw->w, name);
		if (!o)
			continue;
		applied++;
		if (nvalues == 1) {
			r = vb_option_parse(rw->w, o, values[0], rw->opts, err);
			continue;
		}
		/* A sweep: replace this instance by one per value. */
		struct vb_run_workload *inst = xcalloc(nvalues, sizeof(*inst));
		for (size_t k = 0; k < nvalues && !r; k++) {
			char buf[32];
			inst[k].w = rw->w;
			inst[k].opts = xmalloc(rw->w->opts_size);
			memcpy(inst[k].opts, rw->opts, rw->w->opts_size);
			r = vb_option_parse(rw->w, o, values[k], inst[k].opts, err);
			if (!r)
				inst[k].label =
				    xasprintf("%s[%s=%s]", vb_run_workload_name(rw), o->name,
					      vb_option_format(o, vb_option_get(o, inst[k].opts),
							       buf, sizeof(buf)));
		}
		cfg->workloads = xrealloc(cfg->workloads, (cfg->nworkloads + nvalues - 1) *
							      sizeof(*cfg->workloads));
		rw = &cfg->workloads[i];
		free(rw->opts);
		free(rw->label);
		memmove(rw + nvalues, rw + 1, (cfg->nworkloads - i - 1) * sizeof(*rw));
		memcpy(rw, inst, nvalues * sizeof(*rw));
		free(inst);
		cfg->nworkloads += nvalues - 1;
		i += nvalues - 1;
	}
	free_list(values, nvalues);
	if (r) {
		(*err)->exit_code = VB_EXIT_USAGE;
		return r;
	}
	if (!applied)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "--set %.64s: no chosen workload has an option '%.64s'", text,
				     name);
	for (size_t i = 0; i < cfg->nworkloads; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(vb_run_workload_name(&cfg->workloads[i]),
				    vb_run_workload_name(&cfg->workloads[j])))
				return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
						     "--set %.64s: %s would run twice", text,
						     vb_run_workload_name(&cfg->workloads[i]));
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
		O_SEED,
		O_DB,
		O_JSON,
		O_CSV
	};
	static const struct option longopts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "workload", required_argument, NULL, 'w' },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "set", required_argument, NULL, O_SET },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "min-runs", required_argument, NULL, O_MIN_RUNS },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "ci-target", required_argument, NULL, O_CI },
		{ "time-budget", required_argument, NULL, O_BUDGET },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "db", required_argument, NULL, O_DB },
		{ "json", required_argument, NULL, O_JSON },
		{ "csv", required_argument, NULL, O_CSV },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, r = 0;
	optind = 1;
	opterr = 0;
	while (!r && (c = getopt_long(argc, argv, ":p:w:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->platforms = optarg;
			break;
		case 'w':
			a->workloads = optarg;
			break;
		case O_PROFILE:
			if (!strcmp(optarg, "quick"))
				a->profile = VB_PROFILE_QUICK;
			else if (!strcmp(optarg, "full"))
				a->profile = VB_PROFILE_FULL;
			else
				r = vb_cli_usage_error(
				    "run", "--profile is quick or full, not '%.64s'", optarg);
			break;
		case O_SET:
			a->sets = xrealloc(a->sets, (a->nsets + 1) * sizeof(char *));
			a->sets[a->nsets++] = optarg;
			break;
		case O_RUNS:
			r = parse_count("--runs", optarg, 1, 100000, &a->runs);
			break;
		case O_MIN_RUNS:
			r = parse_count("--min-runs", optarg, 1, 100000, &a->min_runs);
			break;
		case O_WARMUP:
			r = parse_count("--warmup", optarg, 0, 1000, &a->warmup);
			break;
		case O_SEED:
			r = parse_count("--seed", optarg, 0, UINT64_MAX, &a->seed);
			a->have_seed = true;
			break;
		case O_CI:
			r = parse_real("--ci-target", optarg, 0, 100, true, &a->ci_target);
			break;
		case O_BUDGET:
			r = parse_real("--time-budget", optarg, 0, 7 * 86400, false, &a->budget);
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
			r = vb_cli_usage_error("run", "%s needs a value", argv[optind - 1]);
			break;
		default:
			r = vb_cli_usage_error("run", "unknown option '%.64s'", argv[optind - 1]);
			break;
		}
	}
	if (!r && optind < argc)
		r = vb_cli_usage_error("run", "unexpected argument '%.64s'", argv[optind]);
	if (!r && a->min_runs > a->runs)
		a->min_runs = a->runs;
	return r;
}

static void free_config(struct vb_run_config *cfg)
{
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		free(cfg->workloads[i].opts);
		free(cfg->workloads[i].label);
	}
	free(cfg->workloads);
	free(cfg->platforms);
}

static int print_run(struct vb_store *db, int64_t run_id, const char *path, struct vb_error **err)
{
	struct vb_result_row *rows = NULL;
	size_t n = 0;
	int r = vb_store_load_rows(db, run_id, &rows, &n, err);
	if (r)
		return r;
	vb_report_table(stdout, rows, n);
	vb_report_stacked(stdout, rows, n, "w1");
	vb_result_rows_free(rows, n);
	struct vb_run_info info;
	_cleanup_free_ char *ref = xasprintf("%lld", (long long)run_id);
	r = vb_store_find_run(db, ref, &info, err);
	if (r)
		return r;
	char failed[64] = "";
	if (info.nfailed)
		snprintf(failed, sizeof(failed), ", %lld failed", (long long)info.nfailed);
	printf("\nrun %lld (%s): %s, %lld samples%s, stored in %s\n", (long long)info.id, info.tag,
	       info.status, (long long)info.nsamples, failed, path);
	vb_run_info_release(&info);
	return 0;
}

int vb_cmd_run(int argc, char **argv)
{
	struct run_args a = {
		.platforms = DEFAULT_PLATFORMS,
		.workloads = DEFAULT_WORKLOADS,
		.profile = VB_PROFILE_QUICK,
		.runs = 10,
		.min_runs = 3,
		.warmup = 1,
		.ci_target = 2,
		.timeout = 600,
	};
	struct vb_run_config cfg = { 0 };
	struct vb_error *err = NULL;
	struct vb_store *db = NULL;
	_cleanup_free_ char *agent = NULL;
	_cleanup_free_ char *command = vb_cli_command_line(argc, argv);
	_cleanup_free_ char *dbpath = NULL;
	int64_t run_id = -1;
	unsigned failed = 0;
	int code;

	int r = parse_args(argc, argv, &a);
	if (r) {
		free(a.sets);
		return r < 0 ? 0 : r;
	}
	cfg.profile = a.profile;
	/* Everything outside input can get wrong is checked before anything is created. */
	r = resolve_platforms(a.platforms, &cfg, &err);
	if (!r)
		r = resolve_workloads(a.workloads, &cfg, &err);
	for (size_t i = 0; !r && i < a.nsets; i++)
		r = apply_set(&cfg, a.sets[i], &err);
	struct vb_workload_ctx here = { 0 };
	{
		long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
		here.mem_total = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
		here.online_cpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	}
	for (size_t i = 0; !r && i < cfg.nworkloads; i++)
		if (cfg.workloads[i].w->check) {
			r = cfg.workloads[i].w->check(cfg.workloads[i].opts, &here, &err);
			if (r)
				err->exit_code = VB_EXIT_USAGE;
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
	if (!r) {
		dbpath = a.db ? xstrdup(a.db) : vb_store_default_path();
		r = vb_cli_open_store(dbpath, &db, &err);
	}
	if (r) {
		code = vb_cli_fail(&err);
		goto out;
	}

	uint64_t seed = a.seed;
	if (!a.have_seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)getpid();
	cfg.warmup = (unsigned)a.warmup;
	cfg.rule = (struct vb_stop_rule){ .min_runs = (unsigned)a.min_runs,
					  .max_runs = (unsigned)a.runs,
					  .ci_target = a.ci_target / 100 };
	/* w3 needs a network from each guest to the host, where its peer runs. */
	for (size_t i = 0; i < cfg.nworkloads; i++)
		if (cfg.workloads[i].w->needs_peer)
			cfg.spec.net = VB_NET_BRIDGED;
	cfg.time_budget_s = a.budget;
	cfg.job_timeout_s = a.timeout;
	cfg.ready_timeout_s = 30;
	cfg.agent_path = agent;
	cfg.command = command;
	/* Seeds are stored as SQLite/JSON integers: keep them in 63 bits. */
	cfg.seed = seed & INT64_MAX;
	cfg.progress = !a.quiet && isatty(STDOUT_FILENO);

	vb_cli_install_signals();
	r = vb_overhead_run(&cfg, db, &run_id, &failed, &err);
	if (run_id >= 0) {
		struct vb_error *perr = NULL;
		if (print_run(db, run_id, dbpath, &perr))
			vb_cli_fail(&perr);
		if (a.json && vb_store_export_json(db, run_id, a.json, &perr))
			r = r ? r : vb_error_set(&err, perr->code, "%s", perr->msg);
		vb_error_free(&perr);
		if (a.csv && vb_store_export_csv(db, run_id, a.csv, &perr))
			r = r ? r : vb_error_set(&err, perr->code, "%s", perr->msg);
		vb_error_free(&perr);
	}
	if (r)
		code = vb_cli_fail(&err);
	else
		code = failed ? VB_EXIT_MEASUREMENT : VB_EXIT_OK;
	if (!r && failed)
		fprintf(stderr, "virtbench: %u measurement%s failed\n", failed,
			failed == 1 ? "" : "s");
out:
	vb_store_close(db);
	free_config(&cfg);
	free(a.sets);
	return code;
}
