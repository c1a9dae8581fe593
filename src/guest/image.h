/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_IMAGE_H
#define VB_GUEST_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/image-build.h"
#include "guest/image-debian.h"
#include "virtbench/error.h"

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

/* Which image a container guest runs on (`--image`, `--container-image`). */
enum vb_image_kind {
	VB_IMAGE_MINIMAL, /* "minimal": vb_image_minimal */
	VB_IMAGE_DEBIAN,  /* "debian[:PKG,...]": vb_image_debian */
	VB_IMAGE_DIR,	  /* "/DIR": a directory the user made */
};

struct vb_image_spec {
	enum vb_image_kind kind;
	char *dir;	  /* VB_IMAGE_DIR */
	char **packages;  /* VB_IMAGE_DEBIAN: extra packages, sorted, each once */
	size_t npackages; /* at most VB_IMAGE_MAX_PACKAGES */
};

#define VB_IMAGE_MAX_PACKAGES 64

/*
 * Parse "minimal", "debian", "debian:PKG[,PKG...]" or an absolute directory
 * into *out (release it with vb_image_spec_release). Package names must be
 * Debian package names (vb_apt_package_valid). Bad text: -EINVAL with exit
 * code 2 and a message naming what is wrong.
 */
int vb_image_spec_parse(const char *text, struct vb_image_spec *out, struct vb_error **err);
void vb_image_spec_release(struct vb_image_spec *s);

/* The image spec names, built or taken from the cache; dir of VB_IMAGE_DIR as given. */
int vb_image_get(const struct vb_image_spec *s, const char *agent_path,
		 vb_image_progress_cb progress, void *data, char **dir, bool *built,
		 struct vb_error **err);

#endif
