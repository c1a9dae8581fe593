/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_XEN_H
#define VB_GUEST_XEN_H

#include "virtbench/error.h"

/* The Xen release whose Debian packages the xen platform boots. */
#define VB_XEN_SERIES "4.17"

/*
 * What QEMU boots for the xen platform (docs/xen.md): Xen, one kernel for
 * dom0 and the domU, dom0's initramfs, and a read-only ext4 boot disk with
 * the domU's kernel and initramfs (on a disk, not in dom0's initramfs: QEMU
 * would keep a multiboot module twice in its memory).
 */
struct vb_xen {
	char *version;	      /* Debian's version of the Xen packages */
	char *hypervisor;     /* xen-4.17-amd64, gunzipped: a multiboot ELF */
	char *kernel;	      /* the uncompressed vmlinux (an ELF), dom0's and the domU's */
	char *kernel_version; /* "6.1.0-56-amd64", or "custom" */
	char *dom0_initrd;    /* busybox, the toolstack and its libraries, /init */
	char *boot_disk;      /* ext4: /kernel, /domu.cpio (busybox, the agent, /init) */
};

/*
 * The whole set, built once and cached under <cache>/xen/<version>/:
 * Debian's 15 Xen packages are fetched with `apt-get download` and unpacked
 * with `dpkg-deb -x` (never installed), the kernel is the one the QEMU
 * platforms use (vb_kernel_get) with its xz payload decompressed by the
 * host's xz, the initramfs are written by virtbench's cpio writer, the boot
 * disk by mkfs.ext4 -d. Each artifact is keyed by its inputs: kernel, Xen
 * version, init script, module list, and the identity of busybox and (for
 * the domU) agent_path, so a rebuilt agent gets a new boot disk.
 */
int vb_xen_get(const char *agent_path, struct vb_xen *out, struct vb_error **err);
void vb_xen_release(struct vb_xen *x);

/*
 * Host tools the build needs and lacks, as a readable list ("xz (xz-utils),
 * ldd (libc-bin)"), or NULL when none is missing. Fetching the packages is
 * not tried. Caller frees.
 */
char *vb_xen_missing_tools(void);

#endif
