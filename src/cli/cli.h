/* SPDX-License-Identifier: MIT */
#ifndef VB_CLI_CLI_H
#define VB_CLI_CLI_H

#include "store/store.h"
#include "virtbench/error.h"

/* One function per verb; each returns the process exit code. */
int vb_cmd_list(int argc, char **argv);
int vb_cmd_run(int argc, char **argv);
int vb_cmd_runs(int argc, char **argv);
int vb_cmd_show(int argc, char **argv);
int vb_cmd_agent(int argc, char **argv);
int vb_cmd_container(int argc, char **argv);
int vb_cmd_features(int argc, char **argv);

/* Print "virtbench: <msg>" on stderr, free the error, return its exit code. */
int vb_cli_fail(struct vb_error **err);
/* Print a usage error line and return VB_EXIT_USAGE. */
int vb_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sweep what dead runs left (work directories, cgroups) and report it on stderr. */
int vb_cli_sweep(struct vb_error **err);

/* Open the store at path (NULL = default) and sweep what dead runs left. */
int vb_cli_open_store(const char *path, struct vb_store **out, struct vb_error **err);

/* The static agent next to this binary, or $VIRTBENCH_AGENT; caller frees. */
int vb_cli_agent_path(char **out, struct vb_error **err);

/* SIGINT/SIGTERM set vb_interrupted (no SA_RESTART, so waits wake). */
void vb_cli_install_signals(void);

/* "virtbench" + argv (a verb and its arguments) shell-quoted; caller frees. */
char *vb_cli_command_line(int argc, char **argv);

#endif
