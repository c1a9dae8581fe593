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
	const char *platforms;
	struct vb_cli_guest_args g; /* --db, --json, --kernel, --image, ... */
	uint64_t rounds, warmup, rate, vcpus, memory;
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
		default:
			if (!vb_cli_guest_option("ops", c, &p, &a->g, &r))
				VB_BUG("ops: option %d from the table not handled", c);
		}
	}
	r = vb_cli_guest_end("ops", &p, c, r, &a->g);
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
	_cleanup_free_ char *dbpath = a.g.db ? xstrdup(a.g.db) : vb_store_default_path();
	struct vb_ops_config cfg = {
		.rounds = (unsigned)a.rounds,
		.warmup = (unsigned)a.warmup,
		.rate_guests = (unsigned)a.rate,
		.spec = { .vcpus = (unsigned)a.vcpus,
			  .memory_bytes = a.memory,
			  .userns = a.g.have_userns ? &a.g.userns : NULL,
			  .container_disk = a.g.container_disk },
		.ready_timeout_s = 60,
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
	struct vb_platform_ctx probe = { .kernel = a.g.kernel, .kernel_modules = a.g.kmods };
	r = vb_cli_platforms("ops", a.platforms, has_guests, &probe, &cfg.platforms,
			     &cfg.nplatforms, &err);
	if (!r)
		r = vb_cli_image_plan(a.g.image, NULL, 0, cfg.platforms, cfg.nplatforms, &ispec,
				      &err);
	if (!r && a.g.have_userns)
		r = vb_cli_userns_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r && a.g.have_container_disk)
		r = vb_cli_container_disk_check(cfg.platforms, cfg.nplatforms, &err);
	if (!r)
		r = check_platforms(&cfg, &probe, &err);
	if (!r)
		r = vb_cli_check_outputs(a.g.json, NULL, a.g.report, &err);
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
		if (vb_cli_run_outputs(db, run_id, dbpath, command, a.g.json, NULL, a.g.report,
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
