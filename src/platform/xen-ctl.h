/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_XEN_CTL_H
#define VB_PLATFORM_XEN_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "virtbench/error.h"

/*
 * The control channel between the host and dom0's control loop (docs/xen.md):
 * one request line "SEQ VERB ARGS..." from the host, one answer line
 * "SEQ ok|err KEY=VALUE..." from dom0. An answer is outside input: this
 * parser takes only what the grammar allows and refuses everything else.
 */

/* domU slots of one nested machine: a virtio-serial port and a disk each. */
#define VB_XENCTL_SLOTS 4
/* The longest answer line accepted (the channel's limit too). */
#define VB_XENCTL_MAX_LINE 512
/* The longest msg= text. */
#define VB_XENCTL_MAX_MSG 255

struct vb_xenctl_dom {
	unsigned slot;	/* < VB_XENCTL_SLOTS */
	unsigned domid; /* a domU's id, 1..32751 */
};

struct vb_xenctl_answer {
	unsigned seq; /* the request's, 1..999999999 */
	bool ok;
	long long ms;	/* ms=: dom0's time for the request (ms); -1 when absent */
	long long up;	/* up=: dom0's uptime when it answered (ms); -1 when absent */
	int domid;	/* domid=: the domU the request made; -1 when absent */
	int forced;	/* forced=: 1 when a domU had to be destroyed by force; -1 absent */
	unsigned ndoms; /* dom=SLOT:DOMID fields (list), each slot at most once */
	struct vb_xenctl_dom doms[VB_XENCTL_SLOTS];
	char msg[VB_XENCTL_MAX_MSG + 1]; /* msg=: why it failed (err only, required there) */
};

/*
 * Parse one answer line of len bytes (no newline; need not be
 * NUL-terminated). The grammar: single spaces between tokens; SEQ decimal
 * without leading zeros; then "ok" or "err"; then key=value fields among
 * ms, up, domid, forced (each at most once, decimal), dom=SLOT:DOMID
 * (repeatable), and last msg=TEXT (rest of the line, err only and required
 * there); printable ASCII only, at most VB_XENCTL_MAX_LINE bytes. Returns 0,
 * or -EPROTO with what was wrong in *err.
 */
int vb_xenctl_parse(const char *line, size_t len, struct vb_xenctl_answer *a,
		    struct vb_error **err);

/* The answer as a line (no newline), as dom0 would write it; caller frees. */
char *vb_xenctl_format(const struct vb_xenctl_answer *a);

#endif
