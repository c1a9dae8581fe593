/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_IMAGE_H
#define VB_GUEST_IMAGE_H

#include <stdbool.h>

#include "virtbench/error.h"

/* Where built images are cached: $VIRTBENCH_CACHE_DIR or /var/cache/virtbench. */
const char *vb_cache_dir(void);

/* The busybox binary images are built with: $VIRTBENCH_BUSYBOX or /bin/busybox. */
const char *vb_busybox_path(void);

/*
 * A short stable name for "this exact file" (16 hex digits into out): its
 * device, inode, size and mtime. 0 or -errno.
 */
int vb_file_identity(const char *path, char *out, size_t len);

/* Is path a statically linked ELF executable (no PT_INTERP)? */
bool vb_elf_is_static(const char *path);

/*
 * The minimal golden image: the static agent as /sbin/virtbench-agent and
 * busybox-static with its usual applets, plus empty /proc /sys /dev /tmp
 * /scratch. Cached under <cache>/images/minimal-<agent id>-<busybox id>,
 * where an id names the exact file (device, inode, size, mtime)
 * (built in a temporary directory and renamed into place, so a crash never
 * leaves a half image). *dir is the image's directory; *built says whether it
 * was built now (false = taken from the cache).
 */
int vb_image_minimal(const char *agent_path, char **dir, bool *built, struct vb_error **err);

#endif
