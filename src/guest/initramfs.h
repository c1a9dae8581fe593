/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_INITRAMFS_H
#define VB_GUEST_INITRAMFS_H

#include "guest/kernel.h"
#include "virtbench/error.h"

/*
 * The guest's initramfs: busybox, the static agent, the virtio modules of
 * kernel k that are not built in (in load order), and an /init that loads
 * them, mounts a tmpfs on /scratch, finds the virtio-serial port named
 * "vb.agent" and execs the agent on it (with --sync). Cached under
 * <cache>/initramfs/ by kernel version and the identity of agent and busybox.
 */
int vb_initramfs_get(const struct vb_kernel *k, const char *agent_path, char **path,
		     struct vb_error **err);

#endif
