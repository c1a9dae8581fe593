/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_TTY_H
#define VB_RUNTIME_TTY_H

/*
 * What a container started from a terminal gets as its stdin, stdout and
 * stderr, so that no terminal of the host's is ever one of them (a guest
 * could type into it with TIOCSTI, change its modes, flush what the user
 * typed): the supervisor relays between the host's descriptors and the
 * container's, which are
 *  - a pty of the container's own (its controlling terminal) when stdin and
 *    stdout are terminals and virtbench is in the terminal's foreground:
 *    `container run -- /bin/sh` stays interactive, the host terminal in raw
 *    mode meanwhile (but for its signal keys: ^C still ends the run), the
 *    window size passed on;
 *  - otherwise a pipe for each of 0 1 2 that is a terminal (stdin: /dev/null
 *    when virtbench is not in the terminal's foreground, where reading it
 *    would stop virtbench), the others (files, pipes) passed unchanged.
 * Nothing is relayed when none of them is a terminal.
 */

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "virtbench/error.h"

struct vb_tty_relay {
	int child[3]; /* the container's 0 1 2: give them to vb_ctr_config */
	bool ctty;    /* child[0] is the pty's slave: the container's controlling terminal */
	int master;   /* the pty's master, or -1 */
	int in_w;     /* pipe mode: writes to the container's stdin, or -1 */
	int out_r;    /* pipe mode: reads the container's stdout, or -1 */
	int err_r;    /* pipe mode: reads the container's stderr, or -1 */
	int own[3];   /* descriptors behind child[] that are ours to close, or -1 */
	bool raw;     /* the host terminal (fd 0) is in raw mode; orig restores it */
	struct termios orig;
};

/* Decide and make what the container gets (see above). On failure t is released. */
int vb_tty_relay_init(struct vb_tty_relay *t, struct vb_error **err);

/* The container started (or failed to): close the container's ends here. */
void vb_tty_relay_started(struct vb_tty_relay *t);

/*
 * Relay until the container's init pid exits, then pass on what it left
 * and reap it (*status as from waitpid). When *stop becomes non-zero (a
 * signal handler of the caller: SIGINT, SIGTERM, SIGHUP must not restart
 * system calls), pid is killed and reaped and -EINTR is returned.
 */
int vb_tty_relay_wait(struct vb_tty_relay *t, pid_t pid, int *status, volatile sig_atomic_t *stop,
		      struct vb_error **err);

/* Restore the host terminal, close everything; safe twice and after a failed init. */
void vb_tty_relay_release(struct vb_tty_relay *t);

#endif
