/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_IDMAP_H
#define VB_RUNTIME_IDMAP_H

/*
 * User namespace id maps: parsed from the command line (--userns MAP),
 * written to /proc/PID/{setgroups,uid_map,gid_map} by the supervisor and
 * read back to check the kernel holds exactly what was configured
 * (../shared/SECURITY.md item 10).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtbench/error.h"

/* The kernel's simple limit: up to 5 extents are kept in order, unsorted. */
#define VB_IDMAP_MAX 5

struct vb_idmap_extent {
	uint32_t inside;  /* first id inside the namespace */
	uint32_t outside; /* the host id it stands for */
	uint32_t count;	  /* ids in the extent, at least 1 */
};

struct vb_idmap {
	size_t n;
	struct vb_idmap_extent e[VB_IDMAP_MAX];
};

struct vb_userns {
	struct vb_idmap uid, gid;
	bool setgroups_deny; /* /proc/PID/setgroups = deny; else allow, and the child drops its
				groups */
};

/* The map --userns means without a value: 0:100000:65536 for uids and gids. */
void vb_userns_default(struct vb_userns *u);

/*
 * Parse MAP: comma-separated items, each an extent INSIDE:OUTSIDE:COUNT
 * (decimal, uids and gids alike), u:INSIDE:OUTSIDE:COUNT (uids only),
 * g:INSIDE:OUTSIDE:COUNT (gids only), or setgroups=deny|allow (once).
 * Checked: numbers fit 32 bits, COUNT >= 1, no extent wraps past
 * 4294967294, at most VB_IDMAP_MAX extents per map, no two extents
 * overlap inside or outside, no outside range holds host id 0, and
 * inside 0 (the container's root) is mapped in both maps. -EINVAL with
 * a one-line *err otherwise; *out is left unchanged then.
 */
int vb_userns_parse(const char *text, struct vb_userns *out, struct vb_error **err);

/*
 * The canonical text of u, which parses back to u: the shared extents when
 * the uid and gid maps are equal ("0:100000:65536"), else u:... and g:...
 * items; ",setgroups=deny" when set. Returns the length it needed, as
 * snprintf does.
 */
size_t vb_userns_format(const struct vb_userns *u, char *buf, size_t len);

/* The host id inside id stands for; false when it is not mapped. */
bool vb_idmap_outside(const struct vb_idmap *m, uint32_t inside, uint32_t *outside);

/*
 * Parse the kernel's view of a map (/proc/PID/uid_map: one "inside outside
 * count" line per extent) into out. -EINVAL on anything else.
 */
int vb_idmap_parse_proc(const char *text, struct vb_idmap *out);

/* Same extents, in any order. */
bool vb_idmap_equal(const struct vb_idmap *a, const struct vb_idmap *b);

/*
 * Give pid's (new, still unmapped) user namespace the maps of u: setgroups
 * first, then uid_map and gid_map; each read back and compared with u.
 */
int vb_userns_apply(pid_t pid, const struct vb_userns *u, struct vb_error **err);

#endif
