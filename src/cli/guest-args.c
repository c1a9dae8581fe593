/* SPDX-License-Identifier: MIT */
/*
 * The options every guest-starting verb shares (struct vb_cli_guest_args):
 * stored from the option table's ids, the parse ended, the user namespace
 * a run's workloads call for.
 */
#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/experiment.h"

bool vb_cli_guest_option(const char *cmd, int c, const struct vb_cli_parser *p,
			 struct vb_cli_guest_args *g, int *r)
{
	*r = 0;
	switch (c) {
	case VB_CLI_DB:
		g->db = p->arg;
		break;
	case VB_CLI_JSON:
		g->json = p->arg;
		break;
	case VB_CLI_CSV:
		g->csv = p->arg;
		break;
	case VB_CLI_REPORT:
		g->report = p->arg;
		break;
	case VB_CLI_QUIET:
		g->quiet = true;
		break;
	case VB_CLI_VERBOSE:
		vb_log_set_level(VB_LOG_INFO);
		break;
	case VB_CLI_KERNEL:
		g->kernel = p->arg;
		break;
	case VB_CLI_KERNEL_MODULES:
		g->kmods = p->arg;
		break;
	case VB_CLI_USERNS:
		*r = vb_cli_userns(cmd, p->arg, &g->userns);
		g->have_userns = true;
		break;
	case VB_CLI_IMAGE:
	case VB_CLI_CONTAINER_IMAGE:
		g->image = p->arg;
		*r = vb_cli_check_image(cmd, p->arg);
		break;
	case VB_CLI_CONTAINER_DISK:
		g->container_disk = p->u ? VB_CONTAINER_DISK_OVERLAY : VB_CONTAINER_DISK_VOLUME;
		g->have_container_disk = true;
		break;
	default:
		return false;
	}
	return true;
}

int vb_cli_guest_end(const char *cmd, struct vb_cli_parser *p, int c, int r,
		     const struct vb_cli_guest_args *g)
{
	vb_cli_parser_release(p);
	if (c < 0)
		return p->exit ? p->exit : -1;
	if (!r && p->optind < p->argc)
		r = vb_cli_unexpected(p->verb, p->argv[p->optind]);
	if (!r)
		r = vb_cli_kernel(cmd, g->kernel, g->kmods);
	return r;
}

struct vb_userns *vb_cli_guest_userns(struct vb_cli_guest_args *g, const struct vb_run_workload *wl,
				      size_t nwl)
{
	for (size_t i = 0; !g->have_userns && i < nwl; i++) {
		_cleanup_free_ char *pk = vb_workload_packages(wl[i].w, wl[i].opts);
		if (pk) {
			vb_userns_default(&g->userns);
			return &g->userns;
		}
	}
	return g->have_userns ? &g->userns : NULL;
}
