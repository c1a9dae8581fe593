/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_XEN_H
#define VB_PLATFORM_XEN_H

#include "virtbench/platform.h"

/*
 * For `features -p xen`: CPU over-commit in virtbench's nested Xen, tried.
 * A machine named name (the run's tag, a dash, a number) whose Xen has *pcpus physical CPUs (QEMU's
 * -smp) gets, through dom0's control loop, a PV domU with *vcpus > *pcpus, whose agent must say
 * hello; then everything is destroyed. 0 when it did; -EIO when dom0 refused
 * the domU (the message says why); another error when the machine did not
 * come up; VB_SKIP when the platform is not usable here.
 */
int vb_xen_probe_cpu_overcommit(const struct vb_platform_ctx *ctx, const char *name,
				unsigned *pcpus, unsigned *vcpus, struct vb_error **err);

#endif
