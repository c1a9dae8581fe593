/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_IMAGE_BUILD_H
#define VB_GUEST_IMAGE_BUILD_H

/*
 * What every guest image build uses (image.c, image-debian.c, kernel.c,
 * initramfs.c, xen.c): the cache directory, the static inputs and their
 * identities, progress reports. It includes no image builder.
 */
#include <stdbool.h>
#include <stddef.h>

#include "virtbench/error.h"

/* Where built images are cached: $VIRTBENCH_CACHE_DIR or /var/cache/virtbench. */
const char *vb_cache_dir(void);

/*
 * Make the cache directory if missing (0755) and refuse one another user
 * could change or swap (see vb_dir_open_trusted): before anything in it is
 * read or built. 0 or -errno with *err filled (exit code 2).
 */
int vb_cache_dir_check(struct vb_error **err);

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
 * What a built guest root starts from: the agent and busybox (vb_busybox_path)
 * must both be static (else VB_SKIP, naming which); their identities
 * (vb_file_identity) go to ida and idb, 17 bytes or more each.
 */
int vb_static_inputs(const char *agent_path, char *ida, size_t na, char *idb, size_t nb,
		     struct vb_error **err);

/* Told each line of progress while an image is built (debootstrap's phases). */
typedef void (*vb_image_progress_cb)(const char *line, void *data);

#endif
