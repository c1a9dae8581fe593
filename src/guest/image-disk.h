/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_IMAGE_DISK_H
#define VB_GUEST_IMAGE_DISK_H

#include <stdbool.h>

#include "virtbench/error.h"

/*
 * Where the disk of the image tree tree is cached: <cache>/images/<the
 * tree's directory name>.ext4-<recipe>.img (the tree's name is its key:
 * what it is made of). Caller frees.
 */
char *vb_image_disk_path(const char *tree);

/*
 * The ext4 disk of a built image tree (its agent included), for the VM
 * platforms' guests: `mke2fs -t ext4 -d tree` on a sparse file sized for the
 * tree plus room, made read-only, cached at vb_image_disk_path. Built as
 * .build-disk-<pid>.img in the cache and renamed into place, one build at a
 * time (a lock on the cache's images directory: a second run waits, then
 * finds it). *built says whether it was built now. Caller frees *path.
 */
int vb_image_disk(const char *tree, char **path, bool *built, struct vb_error **err);

/*
 * Remove what image builds of processes that are gone left in the cache
 * (.build-<pid>, .build-debian-<pid>, .build-disk-<pid>.img: a SIGKILLed
 * build); *n counts them. Missing cache: nothing to do.
 */
int vb_image_sweep(int *n);

#endif
