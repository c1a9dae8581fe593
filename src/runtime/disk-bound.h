/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_DISK_BOUND_H
#define VB_RUNTIME_DISK_BOUND_H

/*
 * The bound on what a container guest writes to the host's filesystem. Its
 * writable layer (overlay upper and work directories) stays on the same
 * filesystem as the host platform's scratch, so disk workloads compare like
 * with like; this filesystem (ext4 without prjquota here) has no project
 * quotas, so the bound is a cap virtbench enforces itself
 * (docs/security.md, "Guest resources"):
 *  - RLIMIT_FSIZE of the guest's processes just below the bound
 *    (vb_disk_fsize_max, set by the container runtime): no single file
 *    grows past it, kernel-enforced;
 *  - a watch of the layer's allocated blocks, and of the files its processes
 *    deleted but hold open, for as long as the guest runs
 *    (every VB_DISK_WATCH_MS, more often near the bound, down to
 *    VB_DISK_WATCH_MIN_MS; slower when a walk takes long; at nice -20) and
 *    once after each job; over the bound, the guest is
 * killed and the job fails with the reason. Between two looks a guest writing many files can
 * overshoot by what it writes in that time.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "virtbench/error.h"

#define VB_DISK_WATCH_MS 50
/* Near the bound, down to this (see next_wait in disk-bound.c). */
#define VB_DISK_WATCH_MIN_MS 1
/* The fastest a guest is assumed to fill its layer: 4 MiB per ms (page cache here). */
#define VB_DISK_WATCH_RATE (4ull << 20)
/* Deeper trees are not walked: the usage is then unknown and taken as over the bound. */
#define VB_DISK_MAX_DEPTH 128

/*
 * Bytes allocated on the host (st_blocks * 512) by the tree at dir,
 * entries included, walked by descriptor (O_NOFOLLOW: symlinks are counted,
 * never followed). Entries that vanish during the walk are skipped. A hard
 * link is counted once per name. -ELOOP for a tree deeper than
 * VB_DISK_MAX_DEPTH.
 */
int vb_disk_usage(const char *dir, uint64_t *bytes, struct vb_error **err);

/*
 * RLIMIT_FSIZE for a bound: the bound less room for the layer's directories
 * and metadata (1 MiB, or half of a bound below 2 MiB), so that one file
 * stopped by the rlimit leaves the layer within the bound (a disk of N bytes
 * does not hold a file of N bytes either).
 */
static inline uint64_t vb_disk_fsize_max(uint64_t bound)
{
	uint64_t room = bound / 2 < (1u << 20) ? bound / 2 : (1u << 20);
	return bound - room;
}

struct vb_disk_watch;

/*
 * Watch the usage of dirs (n of them, summed; copied) in a thread. When it
 * passes bound, or cannot be measured, the guest is killed (once): every
 * process of cg at once through cgroup.kill where there is one (cg may be
 * NULL; borrowed, it must outlive the watch), and kill_pid with SIGKILL. The
 * watch remembers why.
 */
int vb_disk_watch_start(const char *const *dirs, size_t n, uint64_t bound, pid_t kill_pid,
			struct vb_cgroup *cg, struct vb_disk_watch **out, struct vb_error **err);

/*
 * While it watches: 0 when the usage is within the bound now, else as
 * vb_disk_watch_stop (-ENOSPC with the reason) after killing kill_pid if
 * the watch had not yet. Looks once more itself (the watch may be between
 * two looks).
 */
int vb_disk_watch_check(struct vb_disk_watch *w, struct vb_error **err);

/*
 * Stop the watch and look once more. Returns 0 when the usage stayed within
 * the bound, else -ENOSPC (or the walk's error) with the reason in *err:
 * how much was in use, the bound, and whether the guest was killed. Accepts
 * NULL (returns 0). Frees w.
 */
int vb_disk_watch_stop(struct vb_disk_watch *w, struct vb_error **err);

#endif
