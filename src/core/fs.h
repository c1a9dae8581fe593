/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_FS_H
#define VB_CORE_FS_H

#include <stdbool.h>
#include <sys/types.h>

#include "virtbench/error.h"

/*
 * Remove the entry name of the directory dirfd, and everything below it if it
 * is a directory. Walked by descriptor: every directory is opened relative to
 * its parent with O_NOFOLLOW | O_DIRECTORY, so a directory swapped for a
 * symlink during the walk is removed as the symlink it now is, never followed;
 * nothing on another filesystem or below a mount point is touched (the walk
 * stops there and the removal fails with -EBUSY). A tree of any depth goes:
 * below 128 levels a directory is moved up into the tree's top directory and
 * removed from there. Missing is fine.
 * 0 or the first -errno; the walk goes on past a failure.
 */
int vb_rm_rf_at(int dirfd, const char *name);

/*
 * Open the directory path for a process running as root to keep its own
 * files in, refusing one that another user could change or swap: walked from
 * "/" by descriptor, each ancestor must be owned by root or the effective
 * user and not writable by group or others unless sticky (as /tmp); a
 * symlink among the ancestors must be owned by root or the effective user.
 * The directory itself must not be a symlink, must be owned by the effective
 * user and must not be writable by group or others. With create, missing
 * components are made (ancestors 0755, the directory with mode).
 * what names it in the message ("state directory"). Returns a descriptor, or
 * a negative errno with *err filled (exit code 2; -ENOENT when it is
 * missing and create is false).
 */
int vb_dir_open_trusted(const char *what, const char *path, bool create, mode_t mode,
			struct vb_error **err);

/*
 * Open a user-named input file for reading, refusing anything but a regular
 * file (a fifo would block the open or the first read forever, a device or
 * a directory is no input): opened O_NONBLOCK, checked with fstat, then made
 * blocking again. what names the input in the message ("--kernel").
 * Returns a descriptor, or a negative errno with *err filled (exit code 2).
 */
int vb_open_regular(const char *what, const char *path, struct vb_error **err);

/*
 * Can a file be written at path? Its directory exists and a file can be
 * created there (a temporary one is made with O_EXCL and removed again), and
 * path is not a directory. what names the option ("--json"). 0, or a
 * negative errno with *err filled (exit code 2).
 */
int vb_check_output(const char *what, const char *path, struct vb_error **err);

#endif
