/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_SECCOMP_H
#define VB_RUNTIME_SECCOMP_H

/*
 * The seccomp filters of a container's guest (runtime/container.h, the
 * seccomp option): an allow-list of syscalls (anything else fails with
 * ENOSYS, a few known-dangerous calls with EPERM; clone without namespace
 * flags only; socket for AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK only)
 * and, stacked on it, a filter refusing the TIOCSTI and TIOCLINUX ioctls.
 */

#include <linux/filter.h>

#include "virtbench/error.h"

/*
 * Build both filters as classic BPF: the allow-list in *out, the refused
 * ioctl requests in *ioctls. Built once per process and kept for its life
 * (the caller never frees them); later calls return the same programs.
 * The child installs ioctls first, then out.
 */
int vb_seccomp_compile(struct sock_fprog *out, struct sock_fprog *ioctls, struct vb_error **err);

#endif
