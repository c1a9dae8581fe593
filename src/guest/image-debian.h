/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_IMAGE_DEBIAN_H
#define VB_GUEST_IMAGE_DEBIAN_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/image-build.h"
#include "virtbench/error.h"

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

/*
 * virtbench-mw beside the agent at agent_path, when it is there and the
 * packages hold its libraries (VB_MW_CLIENT_PACKAGES): the tree holds it
 * as /sbin/virtbench-mw, and its hash is part of the tree's key. NULL
 * otherwise. Caller frees.
 */
char *vb_image_mw_path(const char *agent_path, const char *const *packages, size_t npackages);

#endif
