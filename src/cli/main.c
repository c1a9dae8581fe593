/* SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/text.h"
#include "core/util.h"

/* Each verb's function, by its place in vb_cli_verbs. */
static int (*const commands[VB_VERB_COUNT])(int argc, char **argv) = {
	[VB_VERB_COMPARE] = vb_cmd_compare,
	[VB_VERB_ISOLATION] = vb_cmd_isolation,
	[VB_VERB_OPS] = vb_cmd_ops,
	[VB_VERB_SCALE] = vb_cmd_scale,
	[VB_VERB_CALIBRATE] = vb_cmd_calibrate,
	[VB_VERB_RUN] = vb_cmd_run,
	[VB_VERB_LIST] = vb_cmd_list,
	[VB_VERB_RUNS] = vb_cmd_runs,
	[VB_VERB_SHOW] = vb_cmd_show,
	[VB_VERB_REPORT] = vb_cmd_report,
	[VB_VERB_DIFF] = vb_cmd_diff,
	[VB_VERB_RECOMMEND] = vb_cmd_recommend,
	[VB_VERB_STUDY] = vb_cmd_study,
	[VB_VERB_FEATURES] = vb_cmd_features,
	[VB_VERB_CONTAINER] = vb_cmd_container,
	[VB_VERB_AGENT] = vb_cmd_agent,
};

static void usage(FILE *f)
{
	fputs("usage: virtbench [--version] [--help] <command> [<args>]\n\n"
	      "How much each virtualization platform costs against bare metal, measured.\n\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < VB_VERB_COUNT; i++)
		fprintf(f, "  %-9s  %s\n", vb_cli_verbs[i].name, vb_cli_verbs[i].summary);
	fprintf(f,
		"\n'virtbench <command> --help' describes a command. With no command, virtbench\n"
		"runs its default job: a quick comparison on the platforms available here.\n\n"
		"%s\n",
		vb_cli_exit_codes);
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
	/* Hidden: what meson generates the man page and the completions with. */
	if (!strcmp(argv[1], "--man") && argc == 2) {
		vb_cli_man(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--completion")) {
		if (argc == 3 && vb_cli_completion(argv[2], stdout) == 0)
			return 0;
		fprintf(stderr, "virtbench: --completion wants bash or zsh\n");
		return 2;
	}
	for (size_t i = 0; i < VB_VERB_COUNT; i++)
		if (!strcmp(argv[1], vb_cli_verbs[i].name))
			return commands[i](argc - 1, argv + 1);
	_cleanup_free_ char *cmd = vb_printable(argv[1]);
	fprintf(stderr, "virtbench: unknown command '%.64s' (see 'virtbench --help')\n", cmd);
	return 2;
}
