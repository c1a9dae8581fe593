/* SPDX-License-Identifier: MIT */
#include <getopt.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "report/report.h"
#include "runtime/idmap.h"

static void usage(FILE *f)
{
	fputs("usage: virtbench ops [-p PLATFORMS] [options]\n\n"
	      "Time each step of a guest's life on each platform (the study's tables\n"
	      "5.1-5.3): provision from the cached image, boot to agent-ready, reboot,\n"
	      "stop, clone, destroy; the memory an idle guest costs; and the start rate\n"
	      "(guests provisioned and booted per second, one after another).\n\n"
	      "  -p, --platform LIST    comma-separated platforms with guests, or\n"
	      "                         'available' (the default)\n"
	      "      --rounds N         measured lifecycles per platform (default 5)\n"
	      "      --warmup N         discarded first rounds (default 1; fills caches)\n"
	      "      --rate-guests N    guests per start-rate measurement (default 4;\n"
	      "                         0 = none)\n"
	      "      --vcpus N          guest vCPUs (default: the platform's)\n"
	      "      --memory SIZE      guest memory, e.g. 512MiB (default: the platform's)\n"
	      "      --db PATH          results database\n"
	      "      --json FILE        also export the run as JSON\n"
	      "  -o, --report FILE      also write the HTML report\n"
	      "  -q, --quiet            no progress line\n"
	      "      --userns [MAP]     containers in a user namespace with MAP:\n"
	      "                         [u:|g:]INSIDE:OUTSIDE:COUNT[,...][,setgroups=deny]\n"
	      "                         (default 0:1879048192:65536; docs/container.md)\n"
	      "      --kernel IMAGE     the guest kernel of the VM platforms;\n"
	      "      --kernel-modules DIR   its modules\n"
	      "      --container-image IMAGE  the container platform's image: minimal (the\n"
	      "                         default), debian[:PKG,...] or a DIR (see 'virtbench\n"
	      "                         run --help')\n"
	      "      --container-disk D the container's /scratch: volume (the default) or\n"
	      "                         overlay (stored as container[disk=overlay])\n"
	      "  -h, --help             this text\n",
	      f);
}

/* Host has no guest and hence no lifecycle. */
static bool has_guests(const struct vb_platform_ops *p)
{
	return strcmp(p->name, "host") != 0;
}

struct ops_args {
	const char *platforms, *db, *json, *report, *kernel, *kmods, *image;
	uint64_t rounds, warmup, rate, vcpus, memory;
	bool quiet;
	struct vb_userns userns;
	bool have_userns;
	enum vb_container_disk container_disk;
	bool have_container_disk;
};

static int parse_u64(const char *opt, const char *text, uint64_t min, uint64_t max, bool size,
		     uint64_t *out)
{
	int r = size ? vb_parse_size(text, out) : vb_parse_u64(text, out);
	if (r || *out < min || *out > max)
		return vb_cli_usage_error("ops", "%s wants %s from %llu to %llu, not '%.64s'", opt,
					  size ? "a size" : "a whole number",
					  (unsigned long long)min, (unsigned long long)max, text);
	return 0;
}

static int parse_args(int argc, char **argv, struct ops_args *a)
{
	enum {
		O_ROUNDS = 256,
		O_WARMUP,
		O_RATE,
		O_VCPUS,
		O_MEMORY,
		O_DB,
		O_JSON,
		O_USERNS,
		O_IMAGE,
		O_CONTAINER_DISK,
	};
	static const struct option longopts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "rate-guests", required_argument, NULL, O_RATE },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "memory", required_argument, NULL, O_MEMORY },
		{ "db", required_argument, NULL, O_DB },
		{ "json", required_argument, NULL, O_JSON },
		{ "report", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "kernel", required_argument, NULL, 'K' },
		{ "kernel-modules", required_argument, NULL, 'M' },
		{ "userns", optional_argument, NULL, O_USERNS },
		{ "container-image", required_argument, NULL, O_IMAGE },
		{ "container-disk", required_argument, NULL, O_CONTAINER_DISK },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, r = 0;
	optind = 1;
	opterr = 0;
	while (!r && (c = getopt_long(argc, argv, ":p:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->platforms = optarg;
			break;
		case O_ROUNDS:
			r = parse_u64("--rounds", optarg, 1, 10000, false, &a->rounds);
			break;
		case O_WARMUP:
			r = parse_u64("--warmup", optarg, 0, 100, false, &a->warmup);
			break;
		case O_RATE:
			r = parse_u64("--rate-guests", optarg, 0, 100, false, &a->rate);
			break;
		case O_VCPUS:
			r = parse_u64("--vcpus", optarg, 1, 1024, false, &a->vcpus);
			break;
		case O_MEMORY:
			r = parse_u64("--memory", optarg, 64 << 20, UINT64_C(1) << 42, true,
				      &a->memory);
			break;
		case O_DB:
			a->db = optarg;
			break;
		case O_JSON:
			a->json = optarg;
			break;
		case 'o':
			a->report = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'K':
			a->kernel = optarg;
			break;
		case 'M':
			a->kmods = optarg;
			break;
		case O_USERNS:
			r = vb_cli_userns("ops", argc, argv, &a->userns);
			a->have_userns = true;
			break;
		case O_IMAGE:
			a->image = optarg;
			r = vb_cli_check_image("ops", optarg);
			break;
		case O_CONTAINER_DISK:
			r = vb_cli_container_disk("ops", optarg, &a->container_disk);
			a->have_container_disk = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			r = vb_cli_usage_error("ops", "%s needs a value", argv[optind - 1]);
			break;
		default:
			r = vb_cli_usage_error("ops", "unknown option '%.64s'", argv[optind - 1]);
			break;
		}
	}
	if (!r && optind < argc)
		r = vb_cli_usage_error("ops", "unexpected argument '%.64s'", argv[optind]);
	if (!r)
		r = vb_cli_kernel("ops", a->kernel, a->kmods);
	return r;
}

static int check_platforms(struct vb_ops_config *cfg, struct vb_error **err)
{
	for (size_t i = 0; i < cfg->nplatforms; i++) {
		const struct vb_platform_ops *p = cfg->platforms[i];
		if (!has_guests(p))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "ops: host has no guest, hence no lifecycle to time");
		int r = vb_platform_probe(p, err);
		if (r) {
			vb_error_wrap(err, "platform %s is unavailable here", p->name);
			(*err)->exit_code = VB_EXIT_UNAVAILABLE;
			return r;
		}
	}
	return 0;
}

int vb_cmd_ops(int argc, char **argv)
{
	struct ops_args a = { .platforms = "available", .rounds = 5, .warmup = 1, .rate = 4 };
	int r = parse_args(argc, argv, &a);
	if (r)
		return r < 0 ? 0 : r;
	_cleanup_free_ char *command = vb_cli_command_line(argc, argv);
	_cleanup_free_ char *agent = NULL;
	_cleanup_free_ char *dbpath = a.db ? xstrdup(a.db) : vb_store_default_path();
	struct vb_ops_config cfg = {
		.rounds = (unsigned)a.rounds,
		.warmup = (unsigned)a.warmup,
		.rate_guests = (unsigned)a.rate,
		.spec = { .vcpus = (unsigned)a.vcpus,
			  .memory_bytes = a.memory,
			  .userns = a.have_userns ? &a.userns : NULL,
			  .container_disk = a.container_disk },
		.ready_timeout_s = 60,
		.command = command,
		.progress = !a.quiet && isatty(STDOUT_FILENO),
	};
	struct vb_error *err = NULL;
	struct vb_store *db = NULL;
	int64_t run_id = -1;
	unsigned failed = 0;
	r = vb_cli_platforms("ops", a.platforms, has_guests, &cfg.platforms, &cfg.nplatforms, &err);
	if (!r && a.have_userns)
		r = vb_cli_userns_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r && a.have_container_disk)
		r = vb_cli_container_disk_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r)
		r = check_platforms(&cfg, &err);
	if (!r)
		r = vb_cli_check_outputs(a.json, NULL, a.report, &err);
	if (!r)
		r = vb_cli_agent_path(&agent, &err);
	if (!r)
		r = vb_cli_container_image(a.image, cfg.platforms, cfg.nplatforms, agent, &err);
	if (!r)
		r = vb_cli_open_store(dbpath, &db, &err);
	if (r) {
		free(cfg.platforms);
		return vb_cli_fail(&err);
	}
	cfg.agent_path = agent;
	vb_cli_install_signals();
	r = vb_ops_run(&cfg, db, &run_id, &failed, &err);
	if (run_id >= 0) {
		struct vb_error *perr = NULL;
		if (vb_cli_run_outputs(db, run_id, dbpath, command, a.json, NULL, a.report,
				       &perr) &&
		    !r)
			r = vb_error_set(&err, perr->code, "%s", perr->msg);
		vb_error_free(&perr);
	}
	int code = r ? vb_cli_fail(&err) : failed ? VB_EXIT_MEASUREMENT : VB_EXIT_OK;
	vb_store_close(db);
	free(cfg.platforms);
	return code;
}
