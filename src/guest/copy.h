/* SPDX-License-Identifier: MIT */
#ifndef VB_GUEST_COPY_H
#define VB_GUEST_COPY_H

#include "virtbench/error.h"

/*
 * Copy the tree at src to dst exactly as an overlay layer needs it:
 * directories, regular files (hard links within the tree stay hard links),
 * symlinks (never followed), device nodes (overlayfs whiteouts are char 0:0),
 * fifos and sockets, with owners, modes, access and modification times (a
 * directory's are set after its entries are made) and extended attributes
 * (trusted.overlay.* marks opaque directories and redirects; copying those
 * needs root, as does making device nodes and giving files other owners).
 *
 * src must be a directory and not a symlink. dst must not exist: -EEXIST
 * then, and dst is left alone. On any other failure the partial dst is
 * removed again and *err names the entry and the step that failed.
 *
 * Every entry is reached through the descriptor of its parent directory,
 * never by a path, so an entry replaced by a symlink while the copy runs (a
 * running guest writing its own upper layer) is not followed out of the tree:
 * a file or directory that changed type under the copy makes it fail
 * (-ESTALE). Otherwise a source that changes meanwhile is copied as each
 * entry is when it is reached, with no snapshot across entries. Entries on
 * another filesystem (mount points) are skipped, as are their contents.
 * Trees deeper than 256 levels are refused (-ELOOP). Needs /proc for the
 * extended attributes of symlinks and device nodes. No global state: safe to
 * call from several threads on different trees.
 */
int vb_copy_tree(const char *src, const char *dst, struct vb_error **err);

#endif
