/* SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/text.h"
#include "core/util.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "compare", vb_cmd_compare, "the overhead experiment: suites on every platform here" },
	{ "isolation", vb_cmd_isolation,
	  "noisy neighbours, and what entitlement policies win back" },
	{ "ops", vb_cmd_ops, "time provision, boot, reboot, clone, destroy per platform" },
	{ "scale", vb_cmd_scale, "the overhead experiment over vCPU counts and memory sizes" },
	{ "calibrate", vb_cmd_calibrate,
	  "one platform against itself: this host's false verdicts" },
	{ "run", vb_cmd_run, "run workloads on platforms and compare them with the host" },
	{ "list", vb_cmd_list, "list platforms (with availability here) or workloads" },
	{ "runs", vb_cmd_runs, "list the runs in the results database" },
	{ "show", vb_cmd_show, "show one stored run: its table, or export it" },
	{ "report", vb_cmd_report, "write an HTML report with charts of stored runs" },
	{ "diff", vb_cmd_diff, "compare two runs or results files, cell by cell" },
	{ "features", vb_cmd_features, "probe this host's operational features per platform" },
	{ "container", vb_cmd_container, "run one command in a virtbench container" },
	{ "agent", vb_cmd_agent, "serve the agent protocol on stdin/stdout (internal)" },
};

static void usage(FILE *f)
{
	fputs("usage: virtbench [--version] [--help] <command> [<args>]\n\n"
	      "How much each virtualization platform costs against bare metal, measured.\n\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < VB_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s  %s\n", commands[i].name, commands[i].help);
	fputs("\n'virtbench <command> --help' describes a command. With no command, virtbench\n"
	      "runs its default job: a quick comparison on the platforms available here.\n\n"
	      "exit codes: 0 ok, 1 a measurement failed, 2 bad usage or input,\n"
	      "            3 platform unavailable, 130 interrupted (SIGINT, SIGTERM, SIGHUP)\n",
	      f);
}

/* OpenBLAS's, not in its headers: stops the server threads (exported since 0.2). */
extern int blas_thread_shutdown_(void) __attribute__((weak));
extern void openblas_set_num_threads(int n);

int main(int argc, char **argv)
{
	/*
	 * A write into a guest's channel, a QMP socket, a child's pipe or a
	 * closed stdout whose reader is gone fails with EPIPE, which every
	 * caller handles; it never kills virtbench mid-cleanup. Process-wide
	 * rather than MSG_NOSIGNAL per call: half of those ends are pipes,
	 * where send() flags do not exist. Children get the default back
	 * (vb_proc_child_signals).
	 */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * OpenBLAS (linked for sys.linpack) starts a server thread before main()
	 * unless OPENBLAS_NUM_THREADS=1, and that thread spins for a while beside
	 * whatever is being measured. One thread from here on, the server's
	 * threads stopped now (OpenBLAS starts them again if a call ever wants
	 * more); agents started from here inherit the variable. sys.linpack asks
	 * for its threads itself. Where that OpenBLAS function is missing: set
	 * the variable and start again (once).
	 */
	const char *nt = getenv("OPENBLAS_NUM_THREADS");
	if (!nt || strcmp(nt, "1")) {
		setenv("OPENBLAS_NUM_THREADS", "1", 1);
		if (blas_thread_shutdown_) {
			openblas_set_num_threads(1);
			blas_thread_shutdown_();
		} else {
			execv("/proc/self/exe", argv);
			/* Could not re-exec (no /proc?): carry on, agents still inherit it. */
		}
	}
	if (argc < 2) {
		char *def[] = { "compare", NULL };
		return vb_cmd_compare(1, def);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("virtbench %s\n", VB_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < VB_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	_cleanup_free_ char *cmd = vb_printable(argv[1]);
	fprintf(stderr, "virtbench: unknown command '%.64s' (see 'virtbench --help')\n", cmd);
	return 2;
}
