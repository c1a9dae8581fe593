/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_PROC_H
#define VB_CORE_PROC_H

#include <sys/types.h>

#include "virtbench/error.h"

/*
 * In a child between fork and exec (async-signal-safe): the signals
 * virtbench handles or ignores (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE)
 * back to their defaults, and none blocked. virtbench ignores SIGPIPE
 * process-wide; a program it starts must not inherit that (`yes | head`
 * would never end).
 */
void vb_proc_child_signals(void);

/*
 * Start argv[0] (an absolute path) with its stdin and stdout on new pipes,
 * stderr inherited, every other descriptor closed, and SIGKILL as its
 * parent-death signal so it never outlives the supervisor. netns_fd, unless
 * -1, is a network namespace the child enters before exec. An exec failure
 * in the child is reported here through a close-on-exec pipe.
 * On success *to_child writes its stdin and *from_child reads its stdout.
 */
int vb_proc_spawn_piped(char *const argv[], int netns_fd, pid_t *pid, int *to_child,
			int *from_child, struct vb_error **err);

/* As vb_proc_spawn_piped, with err_fd (unless -1) as the child's stderr. */
int vb_proc_spawn_piped_err(char *const argv[], int netns_fd, int err_fd, pid_t *pid, int *to_child,
			    int *from_child, struct vb_error **err);

/*
 * Start argv[0] (an absolute path) with stdin on /dev/null, stdout and stderr
 * on out_fd, every other descriptor closed and SIGKILL as its parent-death
 * signal. An exec failure in the child is reported here.
 */
int vb_proc_spawn_logged(char *const argv[], int out_fd, pid_t *pid, struct vb_error **err);

/* As vb_proc_spawn_logged, inside the network namespace netns_fd (-1: the caller's). */
int vb_proc_spawn_logged_ns(char *const argv[], int out_fd, int netns_fd, pid_t *pid,
			    struct vb_error **err);

/*
 * Run argv[0] (an absolute path) to its end as vb_proc_spawn_logged starts
 * it, its stdout and stderr captured (the first max bytes, NUL-terminated) in
 * *output (caller frees). Past timeout_ms it is killed (SIGKILL) and the call
 * returns -ETIMEDOUT, with *output and *status still filled. *status is its
 * wait status. Returns 0, or a negative code with *err set.
 */
int vb_proc_run(char *const argv[], int timeout_ms, size_t max, char **output, int *status,
		struct vb_error **err);

/* vb_proc_run with the NUL-terminated text input on its stdin. */
int vb_proc_run_input(char *const argv[], const char *input, int timeout_ms, size_t max,
		      char **output, int *status, struct vb_error **err);

/*
 * Run argv[0] (an absolute path) to its end, started as vb_proc_spawn_logged
 * does but with stdin from in_fd, stdout to out_fd and stderr discarded (a
 * filter: xz -dc). No time limit. *status is its wait status.
 */
int vb_proc_run_redirected(char *const argv[], int in_fd, int out_fd, int *status,
			   struct vb_error **err);

/*
 * The absolute path of the executable name found in $PATH, then in the
 * usual sbin and bin directories; NULL when there is none. Caller frees.
 */
char *vb_proc_which(const char *name);

/*
 * Wait up to timeout_ms for pid to exit; then SIGTERM it and wait a second
 * more; then SIGKILL it. Always reaps. Returns its wait status, or -errno.
 */
int vb_proc_reap(pid_t pid, int timeout_ms);

/* Is pid a live process (not a zombie)? Reads /proc/PID/stat, as kill(0) sees zombies. */
int vb_proc_alive(pid_t pid);

/* The start time of pid (field 22 of /proc/PID/stat), 0 when it is gone. */
unsigned long long vb_proc_starttime(pid_t pid);

#endif
