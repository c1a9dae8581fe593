/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_IMAGE_H
#define VB_GUEST_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/image-build.h"
#include "guest/image-debian.h"
#include "virtbench/error.h"
#include "virtbench/platform.h"

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

/* What `--image` names (enum vb_image_kind: include/virtbench/platform.h). */
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

/*
 * Add the comma-separated Debian packages list to s (kept sorted, each
 * once). what names where the list comes from in an error ("debian",
 * "workload app.nginx"). -EINVAL with exit code 2 when a name is not a
 * Debian package name or there are more than VB_IMAGE_MAX_PACKAGES.
 */
int vb_image_spec_add_packages(struct vb_image_spec *s, const char *list, const char *what,
			       struct vb_error **err);

/* s's packages comma-separated ("" for none). Caller frees. */
char *vb_image_spec_packages(const struct vb_image_spec *s);

/* The image spec names, built or taken from the cache; dir of VB_IMAGE_DIR as given. */
int vb_image_get(const struct vb_image_spec *s, const char *agent_path,
		 vb_image_progress_cb progress, void *data, char **dir, bool *built,
		 struct vb_error **err);

/*
 * Have the image s names in the forms a run needs: its tree (tree: container
 * guests) and its ext4 disk (disk: VM guests, vb_image_disk; the tree is
 * built first), each built or taken from the cache and timed, into *out
 * (release it with vb_guest_image_release). The minimal image needs neither
 * (containers make theirs, VMs boot the initramfs). A directory has no disk:
 * asking for one is an error with exit code 2.
 */
int vb_image_resolve(const struct vb_image_spec *s, const char *agent_path, bool tree, bool disk,
		     vb_image_progress_cb progress, void *data, struct vb_guest_image *out,
		     struct vb_error **err);
void vb_guest_image_release(struct vb_guest_image *g);

#endif
