/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_NET_RUN_H
#define VB_RUNTIME_NET_RUN_H

/*
 * The network a run's guests share, counted by reference: the bridge
 * (runtime/net.h) with its input filter (runtime/nat.h), and the NAT behind
 * it.
 */

#include "runtime/net.h"
#include "virtbench/error.h"

/*
 * The run's bridge, shared by every guest of the run on every platform:
 * created with the first guest that has a network, deleted with the last.
 * One run per process.
 */
int vb_net_run_bridge_get(const char *run_id, struct vb_error **err);
void vb_net_run_bridge_put(void);
/* The plan of the bridge while some guest holds it. */
const struct vb_net_plan *vb_net_run_bridge(void);

/*
 * A guest named "vb-1a2b3c4d-N" joins its run's bridge (taking a reference)
 * and gets its address there, from N. vb_net_run_guest_leave deletes its
 * link (veth or tap, if still there) and drops the reference.
 */
int vb_net_run_guest_join(const char *run_id, const char *name, char ip[20], struct vb_error **err);
void vb_net_run_guest_leave(const char *name);

/*
 * Put ifname on the run's bridge once it exists (a tap QEMU creates as it
 * starts), waiting up to timeout_ms for it.
 */
int vb_net_run_attach_when_up(const char *ifname, int timeout_ms, struct vb_error **err);

/*
 * The run's NAT, shared by its guests behind it: a guest takes it after
 * joining the run's bridge (vb_net_run_guest_join) and drops it before
 * leaving. The first reference makes the outside (vb_net_outside_create),
 * turns forwarding on for the bridge and creates the table; the last
 * removes all three. VB_SKIP when nft is not installed. One run per process.
 */
int vb_nat_run_get(const char *run_id, struct vb_error **err);
void vb_nat_run_put(void);

/* The run's outside while some guest holds the NAT. */
const struct vb_net_outside *vb_nat_run_outside(void);

#endif
