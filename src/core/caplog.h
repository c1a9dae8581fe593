/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_CAPLOG_H
#define VB_CORE_CAPLOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtbench/error.h"

/* What a guest may write to one log file: at most this many bytes stay. */
#define VB_CAPLOG_DEFAULT_CAP (1u << 20)

/*
 * A guest's output (the agent's stderr, a VM's serial console) drained by a
 * thread of ours into a file of at most cap bytes: what a guest writes can
 * neither reach the host's terminal nor fill the host's disk. When the
 * file would grow past cap, its first half is kept, a marker says how much
 * was dropped, and the newest output follows: the start (a kernel's boot)
 * and the last lines (what errors quote) both stay.
 */
struct vb_caplog {
	int fd;		    /* what is read: a pipe or FIFO; -1 when not running */
	int out;	    /* the file */
	size_t cap;	    /* bytes the file may hold */
	uint64_t size;	    /* bytes in the file now */
	uint64_t head;	    /* bytes kept at the start once the cap was hit; 0 before */
	uint64_t seen;	    /* bytes read in all */
	volatile bool stop; /* set by vb_caplog_stop */
	volatile bool done; /* set by the thread as it ends: every writer is gone */
	pthread_t thread;
	bool started;
};

/*
 * Drain fd (the caller's; owned by lc from now on, even on failure) into a
 * new file at path (created 0600, truncated; not through a symlink) with at
 * most cap bytes (at least 64 KiB), until the writers close it or
 * vb_caplog_stop.
 */
int vb_caplog_start(struct vb_caplog *lc, int fd, const char *path, size_t cap,
		    struct vb_error **err);

/*
 * A new pipe drained into path as vb_caplog_start does; *wfd is its write
 * end (close-on-exec, the caller's: hand it to the child as its stderr, then
 * close it).
 */
int vb_caplog_pipe(struct vb_caplog *lc, const char *path, size_t cap, int *wfd,
		   struct vb_error **err);

/*
 * A new FIFO at fifo (replacing whatever is there) drained into path as
 * vb_caplog_start does: a program told to write to fifo (QEMU's -serial
 * file:) opens it as it starts and is read until it closes it.
 */
int vb_caplog_fifo(struct vb_caplog *lc, const char *fifo, const char *path, size_t cap,
		   struct vb_error **err);

/*
 * Read what is still there (up to 200 ms), stop the thread and close both
 * files. Safe on a zeroed struct and twice.
 */
void vb_caplog_stop(struct vb_caplog *lc);

/* Wait up to ms for the thread to have read everything (its writers gone). */
void vb_caplog_wait(const struct vb_caplog *lc, int ms);

/*
 * The last line of the log at path that says something (blank lines and
 * lines containing skip, if not NULL, are passed over), cleaned with
 * vb_text_clean; NULL if none. Caller frees.
 */
char *vb_caplog_last_line(const char *path, const char *skip);

#endif
