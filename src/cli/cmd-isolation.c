/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "guest/image.h"
#include "report/report.h"
#include "runtime/idmap.h"

struct iso_args {
	const char *platform, *workloads, *suites, *aggressor, *policies;
	struct vb_cli_guest_args g; /* --db, --json, --kernel, --image, ... */
	char **sets;
	size_t nsets;
	uint64_t rounds, warmup;
	enum vb_profile profile;
};

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static unsigned numa_nodes(void)
{
	unsigned n = 0;
	for (;; n++) {
		char p[64];
		snprintf(p, sizeof(p), "/sys/devices/system/node/node%u", n);
		if (access(p, F_OK) != 0)
			break;
	}
	return n ? n : 1;
}

/* A cpu (or node) list "0-2,5" whose every member is below max. */
static int check_list(const char *what, const char *text, unsigned max, struct vb_error **err)
{
	const char *s = text;
	if (!*s)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "%s: empty list", what);
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			goto bad;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b < a)
				goto bad;
		}
		if (b >= max)
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "%s: '%.64s' asks for %lu, but this host has %u "
					     "(0-%u)",
					     what, text, b, max, max - 1);
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		s = end;
	}
	return 0;
bad:
	return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "%s: '%.64s' is not a list like 0-1,3",
			     what, text);
}

/* "V/A" into two parts; both must be there. */
static int split_pair(const char *what, const char *arg, char *a, char *b, size_t len,
		      struct vb_error **err)
{
	const char *slash = strchr(arg, '/');
	if (!slash || slash == arg || !slash[1] || (size_t)(slash - arg) >= len ||
	    strlen(slash + 1) >= len)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "%s wants VICTIM/AGGRESSOR, not '%.64s'", what, arg);
	memcpy(a, arg, (size_t)(slash - arg));
	a[slash - arg] = '\0';
	snprintf(b, len, "%s", slash + 1);
	return 0;
}

static int parse_weight(const char *what, const char *t, unsigned *out, struct vb_error **err)
{
	uint64_t v;
	if (vb_parse_u64(t, &v) || v < 1 || v > 10000)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "%s: weights are 1-10000, not '%.64s'", what, t);
	*out = (unsigned)v;
	return 0;
}

/* The least memory an aggressor guest needs: the agent, plus what its stressor maps. */
static uint64_t aggressor_needs(const struct vb_isolation_config *cfg)
{
	uint64_t need = 32ULL << 20;
	for (size_t i = 0; i < cfg->nvictims; i++) {
		const char *s =
		    cfg->aggressor ? cfg->aggressor : vb_isolation_stressor(cfg->victims[i].w);
		const struct vb_workload_ops *w = vb_workload_find(s);
		if (!w || strcmp(w->name, "stress.vm"))
			continue;
		void *o = xcalloc(1, w->opts_size);
		vb_options_defaults(w, cfg->profile, o);
		uint64_t m = vb_option_get(vb_workload_option(w, "size"), o) *
			     vb_option_get(vb_workload_option(w, "workers"), o);
		free(o);
		if (m + (32ULL << 20) > need)
			need = m + (32ULL << 20);
	}
	return need;
}

/* One --policy item into pol; *skip when it does not apply on this host. */
static int parse_policy(const struct vb_isolation_config *cfg, const char *item,
			struct vb_isolation_policy *pol, bool *skip, struct vb_error **err)
{
	_cleanup_free_ char *name = xstrdup(item);
	char *arg = strchr(name, ':');
	if (arg)
		*arg++ = '\0';
	unsigned ncpu = online_cpus();
	memset(pol, 0, sizeof(*pol));
	*skip = false;
	int r = 0;
	if (!strcmp(name, "pin")) {
		if (arg) {
			r = split_pair("pin", arg, pol->cpus[0], pol->cpus[1], 64, err);
		} else if (ncpu < 2) {
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "pin needs two CPUs; this host has one");
		} else {
			unsigned half = ncpu / 2;
			snprintf(pol->cpus[0], 64, half > 1 ? "0-%u" : "0", half - 1);
			snprintf(pol->cpus[1], 64, ncpu - half > 1 ? "%u-%u" : "%u", half,
				 ncpu - 1);
		}
		for (int k = 0; !r && k < 2; k++)
			r = check_list("pin", pol->cpus[k], ncpu, err);
		pol->victim.cpus = pol->cpus[0];
		pol->aggressor.cpus = pol->cpus[1];
		pol->text = xasprintf("victim on CPUs %s, aggressor on CPUs %s", pol->cpus[0],
				      pol->cpus[1]);
	} else if (!strcmp(name, "shares")) {
		char a[32] = "1000", b[32] = "10";
		if (arg)
			r = split_pair("shares", arg, a, b, sizeof(a), err);
		if (!r)
			r = parse_weight("shares", a, &pol->victim.cpu_weight, err);
		if (!r)
			r = parse_weight("shares", b, &pol->aggressor.cpu_weight, err);
		pol->text = xasprintf("CPU weight %s for the victim, %s for the aggressor", a, b);
	} else if (!strcmp(name, "quota")) {
		uint64_t pct = 50;
		if (arg && (vb_parse_u64(arg, &pct) || pct < 1 || pct > 100ULL * ncpu))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "quota: a percentage of one CPU, 1-%u, not '%.64s'",
					     100 * ncpu, arg);
		pol->aggressor.cpu_quota_pct = (unsigned)pct;
		pol->text =
		    xasprintf("the aggressor gets %llu%% of one CPU", (unsigned long long)pct);
	} else if (!strcmp(name, "memory")) {
		uint64_t b = 256ULL << 20, need = aggressor_needs(cfg);
		if (arg && vb_parse_size(arg, &b))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "memory: a size like 256MiB, not '%.64s'", arg);
		if (b < need)
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "memory: %.64s is below what the aggressor needs (its "
					     "agent and stressor: %llu MiB)",
					     arg ? arg : "256MiB",
					     (unsigned long long)(need >> 20));
		pol->aggressor.memory_bytes = b;
		pol->text = xasprintf("the aggressor's memory limited to %llu MiB",
				      (unsigned long long)(b >> 20));
	} else if (!strcmp(name, "io")) {
		uint64_t b = 10ULL << 20;
		if (arg && (vb_parse_size(arg, &b) || b == 0))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "io: a rate in bytes/s like 10MiB, not '%.64s'", arg);
		pol->aggressor.io_bps = b;
		pol->text = xasprintf("the aggressor's disk limited to %llu KiB/s read and "
				      "write",
				      (unsigned long long)(b >> 10));
	} else if (!strcmp(name, "net")) {
		uint64_t b = 10ULL << 20;
		if (arg && (vb_parse_size(arg, &b) || b == 0))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "net: a rate in bytes/s like 10MiB, not '%.64s'", arg);
		pol->aggressor.net_bps = b;
		pol->text = xasprintf("what the aggressor sends limited to %llu KiB/s (tbf on "
				      "its eth0)",
				      (unsigned long long)(b >> 10));
	} else if (!strcmp(name, "numa")) {
		unsigned nodes = numa_nodes();
		if (nodes < 2 && !arg) {
			fprintf(stderr,
				"virtbench isolation: numa: not applicable here (one NUMA node); "
				"left out\n");
			*skip = true;
			return 0;
		}
		if (arg)
			r = split_pair("numa", arg, pol->mems[0], pol->mems[1], 64, err);
		else {
			snprintf(pol->mems[0], 64, "0");
			snprintf(pol->mems[1], 64, "1");
		}
		for (int k = 0; !r && k < 2; k++)
			r = check_list("numa", pol->mems[k], nodes, err);
		pol->victim.mems = pol->mems[0];
		pol->aggressor.mems = pol->mems[1];
		pol->text = xasprintf("victim's memory on node %s, aggressor's on node %s",
				      pol->mems[0], pol->mems[1]);
	} else {
		return vb_error_exit(
		    err, -EINVAL, VB_EXIT_USAGE,
		    "unknown policy '%.64s' (pin, shares, quota, memory, io, net or numa)", name);
	}
	if (r) {
		free(pol->text);
		pol->text = NULL;
		return r;
	}
	pol->name = xstrdup(name);
	return 0;
}

static void free_policies(struct vb_isolation_config *cfg)
{
	for (size_t i = 0; i < cfg->npolicies; i++) {
		free(cfg->policies[i].name);
		free(cfg->policies[i].text);
	}
	free(cfg->policies);
}

static int parse_policies(struct vb_isolation_config *cfg, const char *text, struct vb_error **err)
{
	char **items;
	size_t n;
	int r = vb_cli_split_list("--policy", text, &items, &n, err);
	cfg->policies = xcalloc(n ? n : 1, sizeof(*cfg->policies));
	for (size_t i = 0; !r && i < n; i++) {
		bool skip;
		struct vb_isolation_policy *p = &cfg->policies[cfg->npolicies];
		r = parse_policy(cfg, items[i], p, &skip, err);
		if (r || skip)
			continue;
		for (size_t k = 0; k < cfg->npolicies; k++)
			if (!strcmp(cfg->policies[k].name, p->name))
				r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
						  "policy '%s' named twice", p->name);
		cfg->npolicies++;
	}
	vb_cli_free_list(items, n);
	/* The pointers into each policy's own storage stay valid: no realloc. */
	return r;
}

static int parse_args(int argc, char **argv, struct iso_args *a)
{
	struct vb_cli_parser p;
	int c = 0, r = 0;
	vb_cli_parser_init(&p, VB_VERB_ISOLATION, argc, argv);
	while (!r && (c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_PLATFORM:
			a->platform = p.arg;
			break;
		case VB_CLI_WORKLOAD:
			a->workloads = p.arg;
			break;
		case VB_CLI_SUITE:
			a->suites = p.arg;
			break;
		case VB_CLI_SET:
			a->sets = xrealloc(a->sets, (a->nsets + 1) * sizeof(char *));
			a->sets[a->nsets++] = (char *)p.arg;
			break;
		case VB_CLI_AGGRESSOR:
			a->aggressor = p.arg;
			break;
		case VB_CLI_POLICY:
			a->policies = p.arg;
			break;
		case VB_CLI_ROUNDS:
			a->rounds = p.u;
			break;
		case VB_CLI_WARMUP:
			a->warmup = p.u;
			break;
		case VB_CLI_PROFILE:
			a->profile = p.u ? VB_PROFILE_FULL : VB_PROFILE_QUICK;
			break;
		default:
			if (!vb_cli_guest_option("isolation", c, &p, &a->g, &r))
				VB_BUG("isolation: option %d from the table not handled", c);
		}
	}
	r = vb_cli_guest_end("isolation", &p, c, r, &a->g);
	if (!r && !a->workloads && !a->suites)
		a->workloads = VB_CLI_DEFAULT_VICTIMS;
	return r;
}

/* Victims: no aggressor among them; cpu.primes single-threaded unless set. */
static int check_victims(const struct iso_args *a, struct vb_run_config *wc, struct vb_error **err)
{
	bool threads_set = false;
	for (size_t i = 0; i < a->nsets; i++)
		threads_set |= strstr(a->sets[i], "threads") != NULL;
	for (size_t i = 0; i < wc->nworkloads; i++) {
		struct vb_run_workload *rw = &wc->workloads[i];
		if (!strcmp(rw->w->group, "aggressor"))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "%s is an aggressor, not a victim", rw->w->name);
		if (vb_workload_pair(rw->w, rw->opts))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "%s layout=split takes two guests of its own: "
					     "isolation runs it with layout=single only",
					     rw->w->name);
		if (!threads_set && !strcmp(rw->w->name, "cpu.primes")) {
			int r = vb_option_set(rw->w, vb_workload_option(rw->w, "threads"), 1,
					      rw->opts, err);
			if (r)
				return r;
		}
	}
	if (a->aggressor) {
		const struct vb_workload_ops *w = vb_workload_find(a->aggressor);
		if (!w || strcmp(w->group, "aggressor"))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "--aggressor: '%.64s' is not a stressor (stress.cpu, "
					     "stress.vm, stress.io, stress.net)",
					     a->aggressor);
	}
	return 0;
}

static int check_platform(struct vb_isolation_config *cfg, struct vb_error **err)
{
	const struct vb_platform_ops *p = cfg->platform;
	if (cfg->npolicies && !p->set_policy)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "%s cannot apply policies (they need a platform with "
				     "cgroups: container, qemu-tcg, kvm)",
				     p->name);
	bool net = false;
	for (size_t i = 0; i < cfg->nvictims; i++)
		net |= vb_workload_needs_peer(cfg->victims[i].w, cfg->victims[i].opts) ||
		       !strcmp(cfg->aggressor ? cfg->aggressor
					      : vb_isolation_stressor(cfg->victims[i].w),
			       "stress.net");
	for (size_t i = 0; !net && i < cfg->npolicies; i++)
		if (cfg->policies[i].aggressor.net_bps)
			return vb_error_exit(
			    err, -EINVAL, VB_EXIT_USAGE,
			    "policy net shapes network traffic, and no victim or "
			    "aggressor here uses the network (add a w3 victim such "
			    "as net.tcp)");
	if (net) {
		if (!(p->caps & VB_CAP_NETWORK))
			return vb_error_exit(err, VB_SKIP, VB_EXIT_UNAVAILABLE,
					     "%s has no network for the w3 cases", p->name);
		cfg->spec.net = VB_NET_BRIDGED;
	}
	struct vb_platform_ctx probe = { .kernel = cfg->kernel,
					 .kernel_modules = cfg->kernel_modules };
	int r = vb_platform_probe(p, &probe, err);
	if (r) {
		vb_error_wrap(err, "platform %s is unavailable here", p->name);
		(*err)->exit_code = VB_EXIT_UNAVAILABLE;
	}
	return r;
}

int vb_cmd_isolation(int argc, char **argv)
{
	struct iso_args a = { .platform = "container", .rounds = 5, .warmup = 1 };
	int r = parse_args(argc, argv, &a);
	if (r) {
		free(a.sets);
		return r < 0 ? 0 : r;
	}
	_cleanup_free_ char *command = vb_cli_command_line(argc, argv);
	_cleanup_free_ char *agent = NULL;
	struct vb_image_spec ispec = { 0 };
	struct vb_guest_image image = { 0 };
	_cleanup_free_ char *dbpath = a.g.db ? xstrdup(a.g.db) : vb_store_default_path();
	struct vb_run_config wc = { .profile = a.profile };
	struct vb_isolation_config cfg = {
		.aggressor = a.aggressor,
		.rounds = (unsigned)a.rounds,
		.warmup = (unsigned)a.warmup,
		.profile = a.profile,
		.ready_timeout_s = 60,
		.job_timeout_s = 600,
		.image = &image,
		.kernel = a.g.kernel,
		.kernel_modules = a.g.kmods,
		.command = command,
		.progress = !a.g.quiet && isatty(STDOUT_FILENO),
	};
	struct vb_error *err = NULL;
	struct vb_store *db = NULL;
	int64_t run_id = -1;
	unsigned failed = 0;
	int code;
	cfg.platform = vb_platform_find(a.platform);
	if (!cfg.platform)
		r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
				  "unknown platform '%.64s' (see 'virtbench list platforms')",
				  a.platform);
	if (!r)
		r = vb_cli_workloads(a.workloads, a.suites, a.sets, a.nsets, &wc, &err);
	if (!r)
		r = check_victims(&a, &wc, &err);
	cfg.victims = wc.workloads;
	cfg.nvictims = wc.nworkloads;
	if (!r && a.policies)
		r = parse_policies(&cfg, a.policies, &err);
	cfg.spec.userns = vb_cli_guest_userns(&a.g, cfg.victims, cfg.nvictims);
	if (!r && a.g.have_userns)
		r = vb_cli_userns_check(&cfg.platform, 1, &err);
	cfg.spec.container_disk = a.g.container_disk;
	if (!r && a.g.have_container_disk)
		r = vb_cli_container_disk_check(&cfg.platform, 1, &err);
	if (!r)
		r = vb_cli_image_plan(a.g.image, cfg.victims, cfg.nvictims, &cfg.platform, 1,
				      &ispec, &err);
	if (!r)
		r = check_platform(&cfg, &err);
	if (!r)
		r = vb_cli_check_outputs(a.g.json, NULL, a.g.report, &err);
	if (!r)
		r = vb_cli_agent_path(&agent, &err);
	if (!r)
		r = vb_cli_image_resolve(&ispec, &cfg.platform, 1, agent, &image, &err);
	if (!r)
		r = vb_cli_open_store(dbpath, &db, &err);
	if (r) {
		code = vb_cli_fail(&err);
		goto out;
	}
	for (size_t i = 0; i < cfg.npolicies; i++)
		printf("policy %s: %s\n", cfg.policies[i].name, cfg.policies[i].text);
	cfg.agent_path = agent;
	vb_cli_install_signals();
	r = vb_isolation_run(&cfg, db, &run_id, &failed, &err);
	if (run_id >= 0) {
		struct vb_error *perr = NULL;
		if (vb_cli_run_outputs(db, run_id, dbpath, command, a.g.json, NULL, a.g.report,
				       &perr) &&
		    !r) {
			r = perr->code;
			vb_error_keep(&err, &perr);
		}
		vb_error_free(&perr);
	}
	code = r ? vb_cli_fail(&err) : failed ? VB_EXIT_MEASUREMENT : VB_EXIT_OK;
out:
	vb_store_close(db);
	vb_image_spec_release(&ispec);
	vb_guest_image_release(&image);
	free_policies(&cfg);
	vb_cli_free_workloads(&wc);
	free(a.sets);
	return code;
}
