/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_KERNEL_H
#define VB_GUEST_KERNEL_H

#include <stdbool.h>

#include "virtbench/error.h"

/* A guest kernel and the modules that go with it. */
struct vb_kernel {
	char *image;   /* bzImage (or any kernel QEMU's -kernel takes) */
	char *modules; /* <...>/lib/modules/<version>, or NULL (all built in) */
	char *version;
};

/*
 * The guest kernel: custom (the run's --kernel, with its modules directory
 * custom_modules, may be NULL) when given; else $VIRTBENCH_KERNEL (with
 * $VIRTBENCH_KERNEL_MODULES) when set — how a PVM-capable or any custom
 * kernel gets in — else Debian's linux-image-amd64, fetched with `apt-get
 * download` and unpacked with `dpkg-deb -x` into <cache>/kernel/<version>
 * (never installed on the host), once; later calls find it there.
 */
int vb_kernel_get(const char *custom, const char *custom_modules, struct vb_kernel *out,
		  struct vb_error **err);

/* Is a kernel of the user's own in use (custom, the run's --kernel, or $VIRTBENCH_KERNEL)? */
bool vb_kernel_is_custom(const char *custom);
void vb_kernel_release(struct vb_kernel *k);

/*
 * The uncompressed vmlinux (an ELF) of k: k's image itself when it is one,
 * else the xz payload of the bzImage decompressed with the host's xz, once,
 * into <cache>/xen/vmlinux-<version>-<identity>. Caller frees *out.
 */
int vb_kernel_vmlinux(const struct vb_kernel *k, char **out, struct vb_error **err);

#endif
