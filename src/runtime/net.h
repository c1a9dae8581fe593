/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_NET_H
#define VB_RUNTIME_NET_H

/*
 * Guest networking over rtnetlink (libnl-route): one bridge per run named
 * after it ("vb-1a2b3c4d", address 10.233.N.1/24), and per guest a veth
 * pair whose host side ("vb-1a2b3c4d-0") joins the bridge and whose guest
 * side is created directly inside the guest's network namespace (moving an
 * interface into a namespace costs ~16 ms, creating it there ~0.3 ms).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "virtbench/error.h"

struct vb_net_plan {
	char bridge[16];  /* "vb-1a2b3c4d" */
	unsigned subnet;  /* N of 10.233.N.0/24 */
	char host_ip[20]; /* "10.233.N.1" */
};

/*
 * Choose the run's subnet (derived from its tag; one no address or route of
 * this host overlaps) and create the bridge with the host's address on it.
 */
int vb_net_bridge_create(const char *tag, struct vb_net_plan *out, struct vb_error **err);

/* Put an existing interface (a QEMU tap) on the bridge and bring it up. */
int vb_net_attach(const struct vb_net_plan *plan, const char *ifname, struct vb_error **err);

/* Delete a link by name; a missing link is fine. */
int vb_net_link_delete(const char *name, struct vb_error **err);

/*
 * Create the veth pair for guest index n: host side `host_if` on the bridge
 * and up; guest side "eth0" inside the network namespace of pid.
 */
int vb_net_veth_create(const struct vb_net_plan *plan, const char *host_if, pid_t pid,
		       struct vb_error **err);

/* The guest's address for index n: 10.233.N.(n + 2). */
void vb_net_guest_ip(const struct vb_net_plan *plan, unsigned n, char out[20]);

/*
 * Inside the guest's namespace (before its capabilities are dropped): give
 * eth0 its address (ip/24), bring it up, route everything via the gateway.
 * Returns 0 or -errno; *step says what failed.
 */
int vb_net_guest_setup(const char *ip, const char *gateway, const char **step);

/*
 * Set net.ipv4.conf.<ifname>.forwarding (of this process's namespace): IPv4
 * forwarding is decided per input device, so this forwards what arrives on
 * that one device only. For the run's own devices, which take the setting
 * with them when they are deleted.
 */
int vb_net_set_forwarding(const char *ifname, bool on, struct vb_error **err);

/*
 * The outside of a run whose guests are behind NAT: a network namespace of
 * its own, held by the descriptor netns (and by the processes started in
 * it), joined to the host by a veth pair: host side "vb-1a2b3c4d-out" with
 * 10.233.K.1/24 and forwarding on, "eth0" inside with 10.233.K.2 (K is
 * chosen as the bridge's N is). Nothing inside routes anywhere else.
 */
struct vb_net_outside {
	int netns;	  /* -1: none */
	char link[16];	  /* "vb-1a2b3c4d-out", the host side */
	unsigned subnet;  /* K */
	char host_ip[20]; /* "10.233.K.1": the source a masqueraded guest has there */
	char peer_ip[20]; /* "10.233.K.2": inside */
};

/*
 * A new network namespace with nothing in it but its loopback, up: *fd holds
 * it (close-on-exec; it goes with the descriptor and the processes started
 * in it). What runs in it reaches no address of the host and no network.
 */
int vb_net_loopback_ns(int *fd, struct vb_error **err);

/* Make the outside of run tag. On failure nothing of it is left. */
int vb_net_outside_create(const char *tag, struct vb_net_outside *out, struct vb_error **err);

/*
 * Delete the veth pair and close the descriptor: the namespace goes with
 * the last process in it. Safe twice.
 */
void vb_net_outside_destroy(struct vb_net_outside *o);

/*
 * Delete every link named "vb-" + 8 hex digits (a bridge) or that plus
 * "-N" (a veth) or "-out" (an outside's veth) whose run is not alive; *n
 * counts them.
 */
int vb_net_sweep(bool (*is_alive)(const char *tag, void *data), void *data, int *n,
		 struct vb_error **err);

/*
 * Limit what the guest whose process is pid sends on ifname (its eth0) to
 * bytes_per_s with a token bucket (tbf) set from inside its network
 * namespace; 0 lifts the limit again. The host side is not touched.
 */
int vb_net_shape(pid_t pid, const char *ifname, uint64_t bytes_per_s, struct vb_error **err);

#endif
