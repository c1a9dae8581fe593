/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_CONTAINER_H
#define VB_RUNTIME_CONTAINER_H

/*
 * Start one process in a new container: mount, UTS, IPC, PID, network and
 * cgroup namespaces, optionally a user namespace; an overlay root over a
 * read-only image, optionally a volume on /scratch; pivot_root; /proc with
 * masked and read-only paths; a minimal /dev; /sys read-only; capabilities
 * bounded; no_new_privs; a seccomp allow-list; every other descriptor
 * closed (docs/container.md, ../shared/SECURITY.md).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "runtime/idmap.h"
#include "virtbench/error.h"

struct vb_ctr_config {
	const char *hostname;	  /* the guest's name */
	const char *lower;	  /* the image: read-only lower layer */
	const char *upper;	  /* the guest's writable layer (a directory) */
	const char *work;	  /* overlayfs work directory, same filesystem as upper */
	const char *mnt;	  /* an empty directory where the root is assembled */
	struct vb_cgroup *cgroup; /* attached before the child leaves its mounts; or NULL */
	char *const *argv; /* argv[0] is the path inside the root, e.g. "/sbin/virtbench-agent" */
	int stdin_fd, stdout_fd; /* become the child's 0 and 1 */
	int stderr_fd;		 /* > 0: becomes the child's 2; 0: stderr is inherited */
	bool seccomp;		 /* apply the allow-list (default true; off only for debugging) */
	/* Called between clone and go (the child is in its namespaces, idle): e.g. a veth. */
	int (*before_go)(pid_t pid, void *data, struct vb_error **err);
	void *before_go_data;
	const char *net_ip;	 /* non-NULL: the child gives eth0 this address (/24) */
	const char *net_gateway; /* and routes everything through this one */
	/*
	 * Non-NULL: a new user namespace too, with these maps; the child becomes
	 * its root (uid and gid 0 inside) before it mounts anything. upper and
	 * work must belong to the host ids that inside 0 maps to.
	 */
	const struct vb_userns *userns;
	/*
	 * Non-NULL: a host directory bound read-write (nosuid, nodev) on
	 * /scratch inside the root (made there when the image has none), the
	 * guest's volume. With a user namespace it must belong to the host ids
	 * that inside 0 maps to, as upper and work.
	 */
	const char *volume;
	/*
	 * Non-NULL: a host file bound read-only over /etc/hosts where the root
	 * has one (not through a symlink), so that the guest's own name
	 * resolves without a resolver, as the host's does.
	 */
	const char *hosts;
	/*
	 * Non-zero: RLIMIT_FSIZE (soft and hard) of the container's processes,
	 * the enforced disk cap's per-file part (runtime/disk-bound.h).
	 */
	uint64_t fsize_max;
	/*
	 * stdin_fd is a terminal of the container's own (a pty's slave): it
	 * becomes the controlling terminal of the child's new session. Without
	 * it the child has none (it always starts a session of its own).
	 */
	bool ctty;
};

/*
 * Start the container; on success *pid is the container's init (PID 1
 * inside) as seen from here. Any failure inside the child before exec is
 * reported here with the step that failed.
 */
int vb_container_start(const struct vb_ctr_config *c, pid_t *pid, struct vb_error **err);

/* The capabilities a container keeps (bounding and effective). */
extern const int vb_container_caps[];
extern const size_t vb_container_ncaps;

#endif
