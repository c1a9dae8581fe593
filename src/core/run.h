/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_RUN_H
#define VB_CORE_RUN_H

#include <signal.h>
#include <stdbool.h>

#include "virtbench/error.h"

/*
 * Set by the CLI's SIGINT/SIGTERM/SIGHUP handler: the run is to end. Every
 * wait on a guest, an agent or QMP watches it.
 */
extern volatile sig_atomic_t vb_interrupted;

/* Is the run with this tag ("vb-1a2b3c4d") alive (its owner process exists)? */
bool vb_run_alive(const char *tag);

/*
 * Give a new run its tag ("vb-" + 8 random hex digits) and its work
 * directory <state>/<tag> holding an owner file (pid + start time) that
 * tells a later sweep whether the run is alive. The caller removes the
 * directory when the run ends.
 */
int vb_run_claim(char tag[16], char **work_dir, struct vb_error **err);

/*
 * Where runs keep their work directories: $VIRTBENCH_STATE_DIR, else
 * /var/lib/virtbench for root, else $XDG_STATE_HOME/virtbench or
 * ~/.local/state/virtbench.
 */
const char *vb_state_dir(void);

/*
 * Open the state directory, refused (exit code 2) when another user could
 * change or swap it: see vb_dir_open_trusted. With create it is made 0700
 * if missing; without, a missing one is -ENOENT. A descriptor or -errno.
 */
int vb_state_dir_open(bool create, struct vb_error **err);

#endif
