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
 * the domU) agent_path, so a rebuilt agent gets a new boot disk. kernel and
 * kernel_modules: the run's --kernel (vb_kernel_get), NULL: the default.
 */
int vb_xen_get(const char *agent_path, const char *kernel, const char *kernel_modules,
	       struct vb_xen *out, struct vb_error **err);
void vb_xen_release(struct vb_xen *x);

/*
 * Host tools the build needs and lacks, as a readable list ("xz (xz-utils),
 * ldd (libc-bin)"), or NULL when none is missing. Fetching the packages is
 * not tried. Caller frees.
 */
char *vb_xen_missing_tools(void);

/*
 * The control loop of xen-local (docs/xen.md): the nested dom0's own loop
 * for /bin/sh on a host that is a Xen dom0, with the channel on fd 6 and
 * VB_STATE, VB_AGENT, VB_KERNEL, VB_RAMDISK, VB_BRIDGE in its environment.
 * It powers nothing off: a poweroff request, or end of file on fd 6,
 * destroys the domUs it made and ends it.
 */
const char *vb_xen_local_loop(void);

/*
 * xen-local's domU: the kernel (an uncompressed vmlinux), its initramfs
 * (busybox, the static agent at agent_path, /init) and the kernel's
 * version, caller frees each. From $VIRTBENCH_XEN_DOMU when set: a
 * directory with `kernel` and `domu.cpio`, a nested boot disk's layout, for
 * a dom0 that cannot build them (virtbench's own nested dom0, in a test).
 * Else built as the nested machine's are and cached as
 * <cache>/xen/domu-<kernel>-<key>.cpio.
 */
int vb_xen_domu_files(const char *agent_path, const char *guest_kernel,
		      const char *guest_kernel_modules, char **kernel, char **initrd,
		      char **version, struct vb_error **err);

#endif
