/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "guest/image.h"
#include "report/report.h"
#include "runtime/idmap.h"

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

static int parse_args(int argc, char **argv, struct ops_args *a)
{
	struct vb_cli_parser p;
	int c = 0, r = 0;
	vb_cli_parser_init(&p, VB_VERB_OPS, argc, argv);
	while (!r && (c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_PLATFORM:
			a->platforms = p.arg;
			break;
		case VB_CLI_ROUNDS:
			a->rounds = p.u;
			break;
		case VB_CLI_WARMUP:
			a->warmup = p.u;
			break;
		case VB_CLI_RATE_GUESTS:
			a->rate = p.u;
			break;
		case VB_CLI_VCPUS:
			a->vcpus = p.u;
			break;
		case VB_CLI_MEMORY:
			a->memory = p.u;
			break;
		case VB_CLI_DB:
			a->db = p.arg;
			break;
		case VB_CLI_JSON:
			a->json = p.arg;
			break;
		case VB_CLI_REPORT:
			a->report = p.arg;
			break;
		case VB_CLI_QUIET:
			a->quiet = true;
			break;
		case VB_CLI_KERNEL:
			a->kernel = p.arg;
			break;
		case VB_CLI_KERNEL_MODULES:
			a->kmods = p.arg;
			break;
		case VB_CLI_USERNS:
			r = vb_cli_userns("ops", p.arg, &a->userns);
			a->have_userns = true;
			break;
		case VB_CLI_IMAGE:
		case VB_CLI_CONTAINER_IMAGE:
			a->image = p.arg;
			r = vb_cli_check_image("ops", p.arg);
			break;
		case VB_CLI_CONTAINER_DISK:
			a->container_disk =
			    p.u ? VB_CONTAINER_DISK_OVERLAY : VB_CONTAINER_DISK_VOLUME;
			a->have_container_disk = true;
			break;
		default:
			VB_BUG("ops: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit ? p.exit : -1;
	if (!r && p.optind < argc)
		r = vb_cli_unexpected(VB_VERB_OPS, argv[p.optind]);
	if (!r)
		r = vb_cli_kernel("ops", a->kernel, a->kmods);
	return r;
}

static int check_platforms(struct vb_ops_config *cfg, const struct vb_platform_ctx *probe,
			   struct vb_error **err)
{
	for (size_t i = 0; i < cfg->nplatforms; i++) {
		const struct vb_platform_ops *p = cfg->platforms[i];
		if (!has_guests(p))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "ops: host has no guest, hence no lifecycle to time");
		int r = vb_platform_probe(p, probe, err);
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
	struct vb_image_spec ispec = { 0 };
	struct vb_guest_image image = { 0 };
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
		.image = &image,
		.kernel = a.kernel,
		.kernel_modules = a.kmods,
		.command = command,
		.progress = !a.quiet && isatty(STDOUT_FILENO),
	};
	struct vb_error *err = NULL;
	struct vb_store *db = NULL;
	int64_t run_id = -1;
	unsigned failed = 0;
	struct vb_platform_ctx probe = { .kernel = a.kernel, .kernel_modules = a.kmods };
	r = vb_cli_platforms("ops", a.platforms, has_guests, &probe, &cfg.platforms,
			     &cfg.nplatforms, &err);
	if (!r)
		r = vb_cli_image_plan(a.image, NULL, 0, cfg.platforms, cfg.nplatforms, &ispec,
				      &err);
	if (!r && a.have_userns)
		r = vb_cli_userns_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r && a.have_container_disk)
		r = vb_cli_container_disk_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r)
		r = check_platforms(&cfg, &probe, &err);
	if (!r)
		r = vb_cli_check_outputs(a.json, NULL, a.report, &err);
	if (!r)
		r = vb_cli_agent_path(&agent, &err);
	if (!r)
		r = vb_cli_image_resolve(&ispec, cfg.platforms, cfg.nplatforms, agent, &image,
					 &err);
	vb_image_spec_release(&ispec);
	if (!r)
		r = vb_cli_open_store(dbpath, &db, &err);
	if (r) {
		free(cfg.platforms);
		vb_guest_image_release(&image);
		return vb_cli_fail(&err);
	}
	cfg.agent_path = agent;
	vb_cli_install_signals();
	r = vb_ops_run(&cfg, db, &run_id, &failed, &err);
	if (run_id >= 0) {
		struct vb_error *perr = NULL;
		if (vb_cli_run_outputs(db, run_id, dbpath, command, a.json, NULL, a.report,
				       &perr) &&
		    !r) {
			r = perr->code;
			vb_error_keep(&err, &perr);
		}
		vb_error_free(&perr);
	}
	int code = r ? vb_cli_fail(&err) : failed ? VB_EXIT_MEASUREMENT : VB_EXIT_OK;
	vb_store_close(db);
	free(cfg.platforms);
	vb_guest_image_release(&image);
	return code;
}
