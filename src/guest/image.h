/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_IMAGE_H
#define VB_GUEST_IMAGE_H

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

/* Told each line of progress while an image is built (debootstrap's phases). */
typedef void (*vb_image_progress_cb)(const char *line, void *data);

/*
 * The Debian image: `debootstrap --variant=minbase --include=PKGS <suite>
 * <root> <mirror>` with the host's suite (os-release VERSION_CODENAME) and
 * the host's apt mirror for it, then the static agent as
 * /sbin/virtbench-agent and empty /scratch. Cached under
 * <cache>/images/debian-<suite>-<16 hex digits of SHA-256 over suite,
 * mirror, packages and the agent's SHA-256>, built in a temporary directory
 * renamed into place. debootstrap runs in its own mount and PID namespaces:
 * its mounts and processes end with it, whatever happens to us. A failed
 * build leaves nothing; its error quotes the end of debootstrap's output.
 * Build directories that dead processes left are removed first. progress
 * may be NULL.
 */
int vb_image_debian(const char *const *packages, size_t npackages, const char *agent_path,
		    vb_image_progress_cb progress, void *data, char **dir, bool *built,
		    struct vb_error **err);

/*
 * What vb_image_debian would use, without building: the suite, the mirror,
 * the image directory (caller frees) and whether it is cached.
 */
int vb_image_debian_plan(const char *const *packages, size_t npackages, const char *agent_path,
			 char suite[], size_t suite_len, char mirror[], size_t mirror_len,
			 char **dir, bool *cached, struct vb_error **err);

/* The image spec names, built or taken from the cache; dir of VB_IMAGE_DIR as given. */
int vb_image_get(const struct vb_image_spec *s, const char *agent_path,
		 vb_image_progress_cb progress, void *data, char **dir, bool *built,
		 struct vb_error **err);

#endif
