/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_POLICY_H
#define VB_PLATFORM_POLICY_H

#include "runtime/cgroup.h"
#include "virtbench/platform.h"

/*
 * Apply p to a guest's cgroup (replacing the previous policy); the I/O limit
 * goes on the block device that holds scratch (a host path).
 */
int vb_policy_apply(struct vb_cgroup *cg, const struct vb_guest_policy *p, const char *scratch,
		    struct vb_error **err);

#endif
