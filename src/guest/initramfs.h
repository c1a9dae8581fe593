/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_INITRAMFS_H
#define VB_GUEST_INITRAMFS_H

#include <sys/types.h>

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

/*
 * A cpio "newc" archive being written: the format of an initramfs. Each
 * entry's parent directories are written before it, once (the kernel's
 * unpacker creates none). The first error sticks; vb_cpio_close reports it.
 */
struct vb_cpio {
	int fd;
	unsigned ino;
	off_t off;
	int err;     /* the first error, -errno */
	char **dirs; /* directories written */
	size_t ndirs;
};

/* Create (truncate) the archive at path. 0 or -errno. */
int vb_cpio_open(struct vb_cpio *c, const char *path);
/* A directory (0755). */
void vb_cpio_dir(struct vb_cpio *c, const char *name);
/* An entry of any mode (S_IFREG, S_IFLNK...) with its data. */
void vb_cpio_data(struct vb_cpio *c, const char *name, unsigned mode, const void *data,
		  size_t size);
/* A symbolic link name -> target. */
void vb_cpio_symlink(struct vb_cpio *c, const char *name, const char *target);
/* The file at path (links followed) as a regular file of the given permissions. 0 or -errno. */
int vb_cpio_file(struct vb_cpio *c, const char *name, const char *path, unsigned mode);
/*
 * The n modules named in wanted ('-' and '_' alike) that moddir (a
 * lib/modules/<version> directory; NULL: everything built in) has as
 * files, each after the modules its .modinfo depends on, as
 * lib/modules/NN-<name>.ko: an /init that loads the files of lib/modules
 * in glob order loads them in order. Built-in modules are skipped. 0 or -errno.
 */
int vb_cpio_modules(struct vb_cpio *c, const char *moddir, const char *const wanted[], size_t n);
/* The trailer; fsync and close. 0 or the first error (-errno). Frees what c holds. */
int vb_cpio_close(struct vb_cpio *c);

#endif
