/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_APT_H
#define VB_GUEST_APT_H

#include <stdbool.h>
#include <stddef.h>

#include "virtbench/error.h"

/*
 * What the host's own Debian configuration says a Debian image is made
 * from: its release (os-release) and its apt mirror (sources.list). All of
 * it is outside input, parsed strictly: what does not parse is skipped,
 * never guessed at.
 */

/* Longest mirror URI and suite name accepted. */
#define VB_APT_URI_MAX 512
#define VB_APT_SUITE_MAX 32

/*
 * Is name a Debian package name (policy 5.6.1: lowercase letters, digits,
 * '+', '-' and '.', at least two characters, starting alphanumeric), at
 * most 128 characters?
 */
bool vb_apt_package_valid(const char *name);

/*
 * VERSION_CODENAME from an os-release text (len bytes, need not be
 * NUL-terminated; quotes allowed) into out. 0, -ENOENT when there is none,
 * -EINVAL when it is not [a-z0-9-]{1,32} (or does not fit outlen).
 */
int vb_apt_codename(const char *text, size_t len, char *out, size_t outlen);

/*
 * The main archive's mirror in an apt sources text (len bytes, need not be
 * NUL-terminated): the first http:// or https:// URI of an enabled `deb`
 * source whose suites include suite and whose components include main.
 * deb822 selects the format (*.sources) over the one-line one (*.list).
 * Trailing slashes are dropped. 0 with out filled, -ENOENT when there is none.
 */
int vb_apt_mirror_parse(const char *text, size_t len, bool deb822, const char *suite, char *out,
			size_t outlen);

/*
 * The host's release codename, from <root>/etc/os-release (root "" = /),
 * with a message saying what is wrong when there is none.
 */
int vb_apt_host_codename(const char *root, char *out, size_t outlen, struct vb_error **err);

/*
 * The host's mirror for suite: <root>/etc/apt/sources.list, then
 * <root>/etc/apt/sources.list.d/ *.list and *.sources in name order (as apt
 * reads them); the first match wins. -ENOENT with a message naming the
 * files when none has one.
 */
int vb_apt_host_mirror(const char *root, const char *suite, char *out, size_t outlen,
		       struct vb_error **err);

#endif
