/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_DEB_H
#define VB_GUEST_DEB_H

#include <stddef.h>

#include "virtbench/error.h"

/*
 * Debian packages as guest material: fetched with `apt-get download` and
 * unpacked with `dpkg-deb -x`, never installed on the host.
 */

/*
 * Run argv (argv[0] found in $PATH) in dir with stderr discarded and stdout
 * captured into out (up to len - 1 bytes, NUL-terminated) when out is
 * given, discarded otherwise. -EIO with the exit status when it fails.
 */
int vb_deb_tool(char *const argv[], const char *dir, char *out, size_t len, struct vb_error **err);

/* `apt-get download` of the n packages into dir. */
int vb_deb_download(const char *const pkgs[], size_t n, const char *dir, struct vb_error **err);

/* The .deb in dir whose name starts with prefix, or NULL. Caller frees. */
char *vb_deb_find(const char *dir, const char *prefix);

/* `dpkg-deb -x deb root`. */
int vb_deb_unpack(const char *deb, const char *root, struct vb_error **err);

/* A control field of deb (`dpkg-deb -f`), without its trailing newline. */
int vb_deb_field(const char *deb, const char *field, char *out, size_t len, struct vb_error **err);

#endif
