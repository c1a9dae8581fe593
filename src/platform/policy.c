/* SPDX-License-Identifier: MIT */
/*
 * Entitlement policies for guests that live in a cgroup (container, QEMU):
 * one translation from the platform-neutral policy to cgroup knobs.
 */
#include "core/util.h"
#include "platform/policy.h"

int vb_policy_apply(struct vb_cgroup *cg, const struct vb_guest_policy *p, const char *scratch,
		    struct vb_error **err)
{
	if (!cg)
		return vb_error_set(err, VB_SKIP, "the guest has no cgroup here");
	struct vb_cgroup_limits lim = {
		.cpus = p->cpus,
		.mems = p->mems,
		.cpu_weight = p->cpu_weight,
		.memory_bytes = p->memory_bytes,
	};
	if (p->cpu_quota_pct) {
		lim.cpu_period_us = 100000;
		lim.cpu_quota_us = 1000ULL * p->cpu_quota_pct;
	}
	/* The device is needed to lift a limit too: always name it when known. */
	if (scratch) {
		struct vb_error *e = NULL;
		int r = vb_cgroup_block_dev(scratch, &lim.io_dev, &e);
		if (r && p->io_bps) {
			*err = e;
			return r;
		}
		vb_error_free(&e);
		lim.io_bps = p->io_bps;
	} else if (p->io_bps) {
		return vb_error_set(err, VB_SKIP, "the guest has no scratch disk to throttle");
	}
	return vb_cgroup_update(cg, &lim, err);
}
