/* SPDX-License-Identifier: MIT */
/*
 * The network a run's guests share: its bridge with the bridge's input
 * filter, and the NAT behind it, each made with the first guest that needs
 * it and removed with the last. The layer above runtime/net.c (rtnetlink)
 * and runtime/nat.c (nftables), which know nothing of each other.
 */
#include <net/if.h>
#include <time.h>

#include "core/util.h"
#include "runtime/nat.h"
#include "runtime/net-run.h"

static struct {
	char tag[16];
	struct vb_net_plan plan;
	unsigned refs;
} run_bridge;

int vb_net_run_bridge_get(const char *run_id, struct vb_error **err)
{
	if (run_bridge.refs && strcmp(run_bridge.tag, run_id))
		return vb_error_set(err, -EBUSY, "a bridge of run %s is still up", run_bridge.tag);
	if (!run_bridge.refs) {
		/* The input filter first: the bridge never exists without it. */
		int r = vb_fw_run_create(run_id, err);
		if (!r)
			r = vb_net_bridge_create(run_id, &run_bridge.plan, err);
		if (r) {
			vb_fw_run_delete();
			return r;
		}
		snprintf(run_bridge.tag, sizeof(run_bridge.tag), "%s", run_id);
	}
	run_bridge.refs++;
	return 0;
}

void vb_net_run_bridge_put(void)
{
	if (run_bridge.refs && --run_bridge.refs == 0) {
		vb_net_link_delete(run_bridge.plan.bridge, NULL);
		vb_fw_run_delete();
	}
}

const struct vb_net_plan *vb_net_run_bridge(void)
{
	return &run_bridge.plan;
}

int vb_net_run_guest_join(const char *run_id, const char *name, char ip[20], struct vb_error **err)
{
	int r = vb_net_run_bridge_get(run_id, err);
	if (r)
		return r;
	/* The guest index is the number after the run tag: vb-1a2b3c4d-N. */
	const char *dash = strrchr(name, '-');
	vb_net_guest_ip(&run_bridge.plan, dash ? (unsigned)strtoul(dash + 1, NULL, 10) : 0, ip);
	return 0;
}

void vb_net_run_guest_leave(const char *name)
{
	vb_net_link_delete(name, NULL);
	vb_net_run_bridge_put();
}

int vb_net_run_attach_when_up(const char *ifname, int timeout_ms, struct vb_error **err)
{
	for (int waited = 0; waited < timeout_ms && !if_nametoindex(ifname); waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return vb_net_attach(&run_bridge.plan, ifname, err);
}

static struct {
	char tag[16];
	struct vb_net_outside out;
	unsigned refs;
} run_nat = { .out.netns = -1 };

int vb_nat_run_get(const char *run_id, struct vb_error **err)
{
	if (run_nat.refs && strcmp(run_nat.tag, run_id))
		return vb_error_set(err, -EBUSY, "the NAT of run %s is still up", run_nat.tag);
	if (run_nat.refs) {
		run_nat.refs++;
		return 0;
	}
	const struct vb_net_plan *plan = vb_net_run_bridge();
	if (strcmp(plan->bridge, run_id))
		VB_BUG("NAT of %s without its bridge", run_id);
	int r = vb_nat_probe(err);
	if (r)
		return r;
	r = vb_net_outside_create(run_id, &run_nat.out, err);
	if (!r)
		r = vb_net_set_forwarding(plan->bridge, true, err);
	if (!r) {
		_cleanup_free_ char *subnet = xasprintf("10.233.%u.0/24", plan->subnet % 256);
		r = vb_nat_table_create(run_id, subnet, err);
	}
	if (r) {
		vb_net_set_forwarding(plan->bridge, false, NULL);
		vb_net_outside_destroy(&run_nat.out);
		return r;
	}
	snprintf(run_nat.tag, sizeof(run_nat.tag), "%s", run_id);
	run_nat.refs = 1;
	return 0;
}

void vb_nat_run_put(void)
{
	if (!run_nat.refs || --run_nat.refs)
		return;
	vb_nat_table_delete(run_nat.tag);
	/* The bridge may stay for guests without NAT: it forwards no more. */
	vb_net_set_forwarding(run_nat.tag, false, NULL);
	vb_net_outside_destroy(&run_nat.out);
}

const struct vb_net_outside *vb_nat_run_outside(void)
{
	return &run_nat.out;
}
