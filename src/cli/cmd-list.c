/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "core/util.h"
#include "virtbench/platform.h"
#include "virtbench/workload.h"

static void list_platforms(const struct vb_platform_ctx *probe)
{
	printf("%-15s %-32s %s\n", "platform", "status", "what it is");
	for (size_t i = 0; vb_platforms[i]; i++) {
		const struct vb_platform_ops *p = vb_platforms[i];
		struct vb_error *err = NULL;
		int r = vb_platform_probe(p, probe, &err);
		char status[256];
		_cleanup_free_ char *found = r == 0 && p->found ? p->found() : NULL;
		if (r == 0)
			snprintf(status, sizeof(status), "available");
		else
			snprintf(status, sizeof(status), "unavailable: %s", err ? err->msg : "?");
		printf("%-15s %-32s %s%s\n", p->name, status, p->summary,
		       vb_platform_emulation(p) ? " [emulation]" : "");
		if (found)
			printf("%-15s %-32s found: %s\n", "", "", found);
		vb_error_free(&err);
	}
}

static void list_workloads(bool verbose)
{
	for (size_t i = 0; vb_workloads[i]; i++) {
		const struct vb_workload_ops *w = vb_workloads[i];
		printf("%s  [%s, study %s]\n  %s\n", w->name, w->group, w->study_ref, w->summary);
		for (const struct vb_option *o = w->options; o->name; o++) {
			char q[32], fl[32], lo[32], hi[32];
			printf("  option %-10s quick %-8s full %-8s range [%s, %s]\n", o->name,
			       vb_option_format(o, o->def[VB_PROFILE_QUICK], q, sizeof(q)),
			       vb_option_format(o, o->def[VB_PROFILE_FULL], fl, sizeof(fl)),
			       vb_option_format(o, o->min, lo, sizeof(lo)),
			       vb_option_format(o, o->max, hi, sizeof(hi)));
			if (verbose)
				printf("         %s\n", o->help);
		}
		for (const struct vb_metric_desc *m = w->metrics; m->name; m++)
			printf("  metric %-10s %s, %s\n", m->name, m->unit,
			       m->higher_is_better ? "higher is better" : "lower is better");
	}
}

int vb_cmd_list(int argc, char **argv)
{
	bool verbose = false;
	const char *kernel = NULL, *kmods = NULL;
	struct vb_cli_parser p;
	int c;
	vb_cli_parser_init(&p, VB_VERB_LIST, argc, argv);
	while ((c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_VERBOSE:
			verbose = true;
			break;
		case VB_CLI_KERNEL:
			kernel = p.arg;
			break;
		case VB_CLI_KERNEL_MODULES:
			kmods = p.arg;
			break;
		default:
			VB_BUG("list: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit;
	if (p.optind + 1 != argc)
		return vb_cli_usage_error("list", "say what to list: platforms or workloads");
	int r = vb_cli_kernel("list", kernel, kmods);
	if (r)
		return r;
	if (!strcmp(argv[p.optind], "platforms"))
		list_platforms(
		    &(struct vb_platform_ctx){ .kernel = kernel, .kernel_modules = kmods });
	else if (!strcmp(argv[p.optind], "workloads"))
		list_workloads(verbose);
	else
		return vb_cli_usage_error("list", "unknown list '%.64s': platforms or workloads",
					  argv[p.optind]);
	return 0;
}
