/* SPDX-License-Identifier: MIT */
/*
 * xen's column of `virtbench features`: CPU over-commit tried in
 * virtbench's nested Xen when xen is named (the boot takes a minute or
 * more under TCG); the rest from xl(1) and this kernel's config.
 */
#include "agent/client.h"
#include "core/util.h"
#include "platform/features-parse.h"
#include "platform/features.h"
#include "platform/xen.h"
#include "virtbench/platform.h"

/*
 * CPU over-commit in virtbench's nested Xen, tried (only when xen is named:
 * the boot takes a minute or more under TCG): a domU with more vCPUs than
 * Xen has CPUs, created by dom0's control loop, must answer. -EINTR only.
 */
static int probe_xen_cpu(struct vb_features_host *h, struct vb_feature_cell *c)
{
	_cleanup_free_ char *agent = NULL;
	struct vb_error *err = NULL;
	unsigned pcpus = 0, vcpus = 0;
	int r = vb_platform_agent_path(&agent);
	if (r) {
		vb_feature_cell_set(c, VB_FV_YES, VB_FH_DOCUMENTED,
				    "Xen's scheduler time-shares the physical CPUs: a domain may "
				    "have more vCPUs than the host has CPUs; not probed: no static "
				    "agent for the nested Xen's domU.");
		return 0;
	}
	struct vb_platform_ctx ctx = {
		.run_id = h->tag,
		.agent_path = agent,
		.work_dir = h->work,
		.ready_timeout_s = 300,
		.job_timeout_s = 60,
	};
	_cleanup_free_ char *name = xasprintf("%s-%u", h->tag, h->seq++);
	r = vb_xen_probe_cpu_overcommit(&ctx, name, &pcpus, &vcpus, &err);
	if (r == -EINTR || vb_interrupted) {
		vb_error_free(&err);
		return -EINTR;
	}
	if (!r)
		vb_feature_cell_set(
		    c, VB_FV_YES, VB_FH_PROBED,
		    "In virtbench's nested Xen (QEMU/TCG), whose Xen has %u physical CPUs, dom0's "
		    "control loop created a PV domU with %u vCPUs (xl create) and its agent "
		    "answered: Xen time-shares more vCPUs than it has CPUs.",
		    pcpus, vcpus);
	else if (r == VB_SKIP)
		vb_feature_cell_set(c, VB_FV_YES, VB_FH_DOCUMENTED,
				    "Xen's scheduler time-shares the physical CPUs: a domain may "
				    "have more vCPUs than the host has CPUs; not probed: %s.",
				    err->msg);
	else
		vb_feature_cell_set(
		    c, r == -EIO ? VB_FV_NO : VB_FV_UNKNOWN, VB_FH_PROBED,
		    "A PV domU with more vCPUs than Xen's CPUs in virtbench's nested Xen did not "
		    "answer: %s.",
		    err->msg);
	vb_error_free(&err);
	return 0;
}

/* cpu: the nested Xen's CPU over-commit probe, or NULL when it did not run. */
static void fill_xen(const struct vb_features_host *h, const struct vb_feature_cell *cpu,
		     struct vb_feature_cell *c)
{
	_cleanup_free_ char *caps = NULL;
	bool dom0 = vb_read_file("/proc/xen/capabilities", 4096, &caps, NULL) == 0 &&
		    strstr(caps, "control_d");
	/*
	 * virtbench drives xl only inside its own nested dom0, whose control
	 * loop creates, destroys, re-creates and (with a disk copy) clones domUs:
	 * no save, restore or migration, and no ballooning.
	 */
	const char *why = dom0 ? "this host is a Xen dom0, but virtbench drives xl only in its "
				 "nested dom0, and that has no save or migration"
			       : "this host is no Xen dom0, and virtbench's nested dom0 does not "
				 "save or migrate domains";
	vb_feature_cell_set(
	    &c[VB_FEATURE_CHECKPOINT], VB_FV_YES, VB_FH_DOCUMENTED,
	    "xl save writes a running domain's memory and state to a file and xl restore "
	    "starts it again (xl(1)); not probed: %s.",
	    why);
	vb_feature_cell_set(
	    &c[VB_FEATURE_LIVE_MIGRATION], VB_FV_YES, VB_FH_DOCUMENTED,
	    "xl migrate moves a running domain to another dom0 (xl(1)); not probed: %s.", why);
	vb_feature_cell_set(
	    &c[VB_FEATURE_MEM_OVERCOMMIT], VB_FV_PARTIAL, VB_FH_DOCUMENTED,
	    "A domain's memory is real host memory that xl will not over-commit; "
	    "ballooning (memory below maxmem) moves memory between running domains, which "
	    "the study did not count as over-commit for PV guests; not probed: virtbench's "
	    "nested dom0 does not balloon.");
	if (cpu)
		vb_feature_cell_copy(&c[VB_FEATURE_CPU_OVERCOMMIT], cpu);
	else
		vb_feature_cell_set(
		    &c[VB_FEATURE_CPU_OVERCOMMIT], VB_FV_YES, VB_FH_DOCUMENTED,
		    "Xen's scheduler time-shares the physical CPUs: a domain may have more vCPUs "
		    "than the host has CPUs, up to its maxvcpus; not probed: the nested Xen "
		    "boots only when named (features -p xen).");
	vb_feature_cell_set(
	    &c[VB_FEATURE_HW_EXTENSIONS], VB_FV_PARTIAL, VB_FH_DOCUMENTED,
	    "PV guests (the study's) need no CPU extension; HVM and PVH guests need VT-x "
	    "or AMD-V (this CPU: vmx %s, svm %s).",
	    vb_features_present(h->vmx), vb_features_present(h->svm));
	vb_feature_cell_set(
	    &c[VB_FEATURE_KERNEL_UPDATES], VB_FV_YES, VB_FH_BY_DESIGN,
	    "Each domU boots its own kernel, updated apart from dom0's kernel and from the "
	    "hypervisor.");
	if (!h->config) {
		vb_feature_cell_set(
		    &c[VB_FEATURE_MAINLINE], VB_FV_UNKNOWN, VB_FH_PROBED,
		    "Mainline Linux runs as dom0 and domU (the hypervisor is separate), but "
		    "whether this kernel (%s) was built so is unknown: %s.",
		    h->release, h->config_src);
		return;
	}
	char x = vb_features_kconfig(h->config, "CONFIG_XEN");
	char d = vb_features_kconfig(h->config, "CONFIG_XEN_DOM0");
	_cleanup_free_ char *xt = vb_features_kconfig_text(h, "CONFIG_XEN");
	_cleanup_free_ char *dt = vb_features_kconfig_text(h, "CONFIG_XEN_DOM0");
	enum vb_feature_value v = d == 'y' ? VB_FV_YES : x == 'y' ? VB_FV_PARTIAL : VB_FV_NO;
	const char *what = d == 'y'   ? "can run as dom0 and domU"
			   : x == 'y' ? "can run as a domU, not as dom0"
				      : "was built without Xen support";
	vb_feature_cell_set(
	    &c[VB_FEATURE_MAINLINE], v, VB_FH_PROBED,
	    "Mainline Linux runs as dom0 and domU (the hypervisor is separate); this "
	    "kernel (%s) %s: %s, %s (%s).",
	    h->release, what, xt, dt, h->config_src);
}

int vb_xen_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c)
{
	struct vb_feature_cell cpu = { 0 };
	int r = named ? probe_xen_cpu(h, &cpu) : 0;
	if (!r)
		fill_xen(h, named ? &cpu : NULL, c);
	free(cpu.detail);
	return r;
}
