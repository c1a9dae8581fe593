/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_CGROUP_DEVICES_H
#define VB_RUNTIME_CGROUP_DEVICES_H

/*
 * The device allow-list of cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE
 * program (cgroup v2 has no devices.allow file) attached to a cgroup2
 * directory, as crun does. It allows exactly the container's minimal /dev,
 * the same set as v1's devices.allow: char 1:3 1:5 1:7 1:8 1:9 (null zero
 * full random urandom), 5:0 5:2 (tty ptmx) and 136:* (ptys); every other
 * device is refused (EPERM) for every access, mknod included.
 */

#include <stddef.h>
#include <stdint.h>

#include "virtbench/error.h"

struct vb_dev_rule {
	char type; /* 'c' or 'b' */
	uint32_t major;
	int64_t minor; /* -1: any */
};

extern const struct vb_dev_rule vb_cgroup_dev_rules[];
extern const size_t vb_cgroup_ndev_rules;

/*
 * Load the program and attach it (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI: a
 * program of a cgroup above still applies too) to the cgroup2 directory
 * dirfd. The cgroup holds the program from then on (until it is removed).
 * An error says which step failed and why (no CONFIG_CGROUP_BPF, no
 * CAP_SYS_ADMIN/CAP_BPF, a parent program attached without ALLOW_MULTI).
 */
int vb_cgroup_devices_attach(int dirfd, struct vb_error **err);

#endif
