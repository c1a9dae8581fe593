/* SPDX-License-Identifier: MIT */
/*
 * `virtbench features`: the study's tables 5.4-5.5 (operational features
 * and constraints per platform) filled by probing this host. What can be
 * tried is tried (features-qemu.c, features-criu.c): QEMU machines are saved
 * to a file and restored, migrated live between two QEMUs, started with more
 * memory than the host has and more vCPUs than it has CPUs; CRIU checkpoints
 * and restores a process tree in new namespaces. What follows from a
 * platform's design or only from its documentation says so. Every file a
 * probe makes is in the run's work directory, which goes at the end.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/proc.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "experiment/features-parse.h"
#include "experiment/features-probe.h"
#include "experiment/features.h"
#include "experiment/session.h"
#include "platform/xen.h"

const char *const vb_features_platforms[] = { "host", "container", "kvm", "qemu-tcg", "xen", NULL };

bool vb_features_platform_known(const char *name)
{
	for (size_t i = 0; vb_features_platforms[i]; i++)
		if (!strcmp(vb_features_platforms[i], name))
			return true;
	return false;
}

/* ---- cells ---- */

static void cell_copy(struct vb_feature_cell *dst, const struct vb_feature_cell *src)
{
	vb_feature_cell_set(dst, src->value, src->how, "%s", src->detail);
}

/* ---- what the host is ---- */

static int read_int_file(const char *path)
{
	_cleanup_free_ char *t = NULL;
	if (vb_read_file(path, 64, &t, NULL))
		return -1;
	return atoi(t);
}

static void host_facts_init(struct vb_features_host *h)
{
	struct utsname u;
	uname(&u);
	h->release = xstrdup(u.release);
	if (vb_read_file("/proc/cpuinfo", 16 << 20, &h->cpuinfo, NULL))
		h->cpuinfo = xstrdup("");
	h->vmx = vb_features_cpu_flag(h->cpuinfo, "vmx");
	h->svm = vb_features_cpu_flag(h->cpuinfo, "svm");
	h->pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	_cleanup_free_ char *boot = xasprintf("/boot/config-%s", u.release);
	if (vb_features_read_text(boot, &h->config) == 0)
		h->config_src = xstrdup(boot);
	else if (vb_features_read_text("/proc/config.gz", &h->config) == 0)
		h->config_src = xstrdup("/proc/config.gz");
	else
		h->config_src = xasprintf("neither %s nor /proc/config.gz can be read", boot);
	h->ncpus = (unsigned)get_nprocs();
	_cleanup_free_ char *mi = NULL;
	if (vb_read_file("/proc/meminfo", 1 << 20, &mi, NULL) == 0)
		h->mem_total = vb_features_meminfo(mi, "MemTotal");
	h->overcommit_memory = read_int_file("/proc/sys/vm/overcommit_memory");
	h->ksm_run = read_int_file("/sys/kernel/mm/ksm/run");
	h->qemu = vb_proc_which(VB_QEMU_BIN);
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	h->kvm_dev = fd >= 0;
	if (fd >= 0)
		close(fd);
}

static void host_facts_release(struct vb_features_host *h)
{
	free(h->release);
	free(h->cpuinfo);
	free(h->config);
	free(h->config_src);
	free(h->qemu);
}

static const char *present(bool b)
{
	return b ? "present" : "absent";
}

/* "CONFIG_KVM=y" as the config says it, for details. */
static char *kconfig_text(const struct vb_features_host *h, const char *sym)
{
	switch (vb_features_kconfig(h->config, sym)) {
	case 'y':
		return xasprintf("%s=y", sym);
	case 'm':
		return xasprintf("%s=m", sym);
	case 'n':
		return xasprintf("%s not set", sym);
	case 'v':
		return xasprintf("%s set", sym);
	default:
		return xasprintf("no %s", sym);
	}
}

static void container_checkpoint(const struct vb_features_criu *p, struct vb_feature_cell *c)
{
	if (!p->installed) {
		vb_feature_cell_set(
		    c, VB_FV_NO, VB_FH_PROBED,
		    "CRIU, which checkpoints and restores containers, is not installed "
		    "(Debian package criu).");
		return;
	}
	if (p->check_ok && p->cr_ok)
		vb_feature_cell_set(c, VB_FV_YES, VB_FH_PROBED, "criu check passed, and %s.",
				    p->cr_what);
	else if (p->check_ok)
		vb_feature_cell_set(c, VB_FV_NO, VB_FH_PROBED, "criu check passed, but %s.",
				    p->cr_what);
	else if (p->cr_ok)
		vb_feature_cell_set(
		    c, VB_FV_PARTIAL, VB_FH_PROBED,
		    "criu check failed (%s), yet %s: what the check found missing may "
		    "matter to other trees.",
		    p->check_why, p->cr_what);
	else
		vb_feature_cell_set(c, VB_FV_NO, VB_FH_PROBED, "criu check failed (%s), and %s.",
				    p->check_why, p->cr_what);
}

/* ---- the columns ---- */

/* The memory or cpu controller: mounted (v1), enabled (v2) or missing. */
static char *controller_text(const char *ctrl)
{
	_cleanup_free_ char *v1 = xasprintf("/sys/fs/cgroup/%s", ctrl);
	_cleanup_free_ char *v2 = NULL;
	struct stat st;
	if (stat(v1, &st) == 0 && S_ISDIR(st.st_mode))
		return xasprintf("%s controller mounted at %s (cgroup v1)", ctrl, v1);
	if (vb_read_file("/sys/fs/cgroup/cgroup.controllers", 4096, &v2, NULL) == 0) {
		/* Word match: "cpu" must not match "cpuset". */
		_cleanup_free_ char *want = xasprintf(" %s ", ctrl);
		v2[strcspn(v2, "\n")] = '\0';
		_cleanup_free_ char *line = xasprintf(" %s ", v2);
		if (strstr(line, want))
			return xasprintf("%s controller available (cgroup v2)", ctrl);
	}
	return xasprintf("no %s controller found in /sys/fs/cgroup", ctrl);
}

static void fill_host(struct vb_feature_cell *c)
{
	vb_feature_cell_set(
	    &c[VB_FEATURE_CHECKPOINT], VB_FV_NA, VB_FH_BY_DESIGN,
	    "Bare metal is the baseline, not a guest: there is no machine apart from the "
	    "host to save (processes: see container).");
	vb_feature_cell_set(&c[VB_FEATURE_LIVE_MIGRATION], VB_FV_NA, VB_FH_BY_DESIGN,
			    "Bare metal cannot move to another server while it runs.");
	vb_feature_cell_set(&c[VB_FEATURE_MEM_OVERCOMMIT], VB_FV_NA, VB_FH_BY_DESIGN,
			    "No guests share the host's memory: there is nothing to over-commit.");
	vb_feature_cell_set(&c[VB_FEATURE_CPU_OVERCOMMIT], VB_FV_NA, VB_FH_BY_DESIGN,
			    "No guests share the host's CPUs: there is nothing to over-commit.");
	vb_feature_cell_set(&c[VB_FEATURE_HW_EXTENSIONS], VB_FV_NO, VB_FH_BY_DESIGN,
			    "Programs run natively; no virtualization extension is used.");
	vb_feature_cell_set(
	    &c[VB_FEATURE_KERNEL_UPDATES], VB_FV_NA, VB_FH_BY_DESIGN,
	    "There is one kernel, the host's: updating it means rebooting the machine.");
	vb_feature_cell_set(&c[VB_FEATURE_MAINLINE], VB_FV_NA, VB_FH_BY_DESIGN,
			    "Nothing beyond an ordinary kernel is needed.");
}

static void fill_container(const struct vb_features_host *h, const struct vb_features_criu *p,
			   struct vb_feature_cell *c)
{
	container_checkpoint(p, &c[VB_FEATURE_CHECKPOINT]);
	const struct vb_feature_cell *ck = &c[VB_FEATURE_CHECKPOINT];
	if (ck->value == VB_FV_YES || ck->value == VB_FV_PARTIAL)
		vb_feature_cell_set(
		    &c[VB_FEATURE_LIVE_MIGRATION], VB_FV_PARTIAL, VB_FH_PROBED,
		    "Only through CRIU: a checkpoint copied to another host and restored "
		    "there (needs CRIU and the same kernel features on both ends, and a "
		    "pause while the copy moves); the checkpoint probe here worked.");
	else
		vb_feature_cell_set(
		    &c[VB_FEATURE_LIVE_MIGRATION], VB_FV_NO, VB_FH_PROBED,
		    "Containers move between hosts only as CRIU checkpoints, and the "
		    "checkpoint/restore probe here failed (see checkpoint/restore).");
	_cleanup_free_ char *mem = controller_text("memory");
	_cleanup_free_ char *cpu = controller_text("cpu");
	vb_feature_cell_set(
	    &c[VB_FEATURE_MEM_OVERCOMMIT], VB_FV_YES, VB_FH_BY_DESIGN,
	    "Memory cgroup limits are caps, not reservations: the limits of all "
	    "containers may add up to more than RAM, backed by the host's virtual memory "
	    "(here: %s, vm.overcommit_memory=%d).",
	    mem, h->overcommit_memory);
	vb_feature_cell_set(
	    &c[VB_FEATURE_CPU_OVERCOMMIT], VB_FV_YES, VB_FH_BY_DESIGN,
	    "Containers are processes under the host's scheduler: any number share the "
	    "CPUs, weighted by cpu shares and capped by quota (here: %s).",
	    cpu);
	vb_feature_cell_set(
	    &c[VB_FEATURE_HW_EXTENSIONS], VB_FV_NO, VB_FH_BY_DESIGN,
	    "Namespaces and cgroups are kernel features: containers run natively, with no "
	    "CPU virtualization extension.");
	vb_feature_cell_set(
	    &c[VB_FEATURE_KERNEL_UPDATES], VB_FV_NO, VB_FH_BY_DESIGN,
	    "Containers share the host's kernel (here %s): updating it updates it for "
	    "every container, and no container can run another.",
	    h->release);
	/* Mainline: the namespaces a container needs and a cgroup hierarchy. */
	static const char *const ns[] = { "mnt", "uts", "ipc", "pid", "net", "user", "cgroup" };
	char have[96] = "", missing[96] = "";
	for (size_t i = 0; i < VB_ARRAY_SIZE(ns); i++) {
		_cleanup_free_ char *path = xasprintf("/proc/self/ns/%s", ns[i]);
		char *list = access(path, F_OK) ? missing : have;
		size_t l = strlen(list);
		snprintf(list + l, sizeof(have) - l, "%s%s", l ? " " : "", ns[i]);
	}
	_cleanup_free_ char *mounts = NULL;
	unsigned v1 = 0, v2 = 0;
	if (vb_read_file("/proc/mounts", 1 << 20, &mounts, NULL) == 0)
		vb_features_cgroup_mounts(mounts, &v1, &v2);
	bool ok = !missing[0] && (v1 || v2);
	vb_feature_cell_set(
	    &c[VB_FEATURE_MAINLINE], ok ? VB_FV_YES : VB_FV_PARTIAL, VB_FH_PROBED,
	    "Namespaces and cgroups are mainline kernel features; this kernel (%s) has "
	    "%s in /proc/self/ns%s%s%s, and %u cgroup v1 and %u cgroup2 mounts in "
	    "/proc/mounts.",
	    h->release, have[0] ? have : "none", missing[0] ? " (missing: " : "", missing,
	    missing[0] ? ")" : "", v1, v2);
}

static void fill_qemu(const struct vb_features_host *h, bool kvm, const struct vb_features_qemu *q,
		      struct vb_feature_cell *c)
{
	cell_copy(&c[VB_FEATURE_CHECKPOINT], &q->ckpt);
	cell_copy(&c[VB_FEATURE_LIVE_MIGRATION], &q->live);
	cell_copy(&c[VB_FEATURE_MEM_OVERCOMMIT], &q->mem);
	cell_copy(&c[VB_FEATURE_CPU_OVERCOMMIT], &q->cpu);
	vb_feature_cell_set(
	    &c[VB_FEATURE_KERNEL_UPDATES], VB_FV_YES, VB_FH_BY_DESIGN,
	    "A guest boots its own kernel (QEMU's -kernel or the guest's disk), apart from "
	    "the host's %s; virtbench's guests boot Debian's packaged kernel.",
	    h->release);
	if (!kvm) {
		vb_feature_cell_set(
		    &c[VB_FEATURE_HW_EXTENSIONS], VB_FV_NO, VB_FH_BY_DESIGN,
		    "TCG translates guest code in software: no CPU extension is needed "
		    "(this CPU: vmx %s, svm %s).",
		    present(h->vmx), present(h->svm));
		vb_feature_cell_set(
		    &c[VB_FEATURE_MAINLINE], VB_FV_NA, VB_FH_BY_DESIGN,
		    "TCG is QEMU's user-space code: it needs nothing from the kernel beyond "
		    "an ordinary process.");
		return;
	}
	if (h->pvm && !h->vmx && !h->svm)
		vb_feature_cell_set(
		    &c[VB_FEATURE_HW_EXTENSIONS], VB_FV_YES, VB_FH_BY_DESIGN,
		    "KVM needs Intel VT-x (vmx) or AMD-V (svm), and /proc/cpuinfo shows "
		    "neither here; /dev/kvm is served by kvm_pvm (/sys/module/kvm_pvm) "
		    "instead, without them (PVM: only CONFIG_PVM_GUEST kernels boot; firmware "
		    "runs, as the probes above show).");
	else
		vb_feature_cell_set(
		    &c[VB_FEATURE_HW_EXTENSIONS], VB_FV_YES, VB_FH_BY_DESIGN,
		    "KVM needs Intel VT-x (vmx) or AMD-V (svm); /proc/cpuinfo here: vmx %s, "
		    "svm %s%s.",
		    present(h->vmx), present(h->svm),
		    h->pvm ? "; /sys/module/kvm_pvm exists (PVM: only CONFIG_PVM_GUEST kernels)"
			   : "");
	/* Loaded (or built in), or a module for this kernel. */
	bool loaded = access("/sys/module/kvm", F_OK) == 0;
	_cleanup_free_ char *mod = NULL;
	static const char *const exts[] = { "", ".xz", ".zst", ".gz" };
	for (size_t i = 0; !loaded && !mod && i < VB_ARRAY_SIZE(exts); i++) {
		char *p =
		    xasprintf("/lib/modules/%s/kernel/arch/x86/kvm/kvm.ko%s", h->release, exts[i]);
		if (access(p, F_OK) == 0)
			mod = p;
		else
			free(p);
	}
	_cleanup_free_ char *cfg = NULL;
	if (h->config) {
		_cleanup_free_ char *k = kconfig_text(h, "CONFIG_KVM");
		_cleanup_free_ char *ki = kconfig_text(h, "CONFIG_KVM_INTEL");
		_cleanup_free_ char *ka = kconfig_text(h, "CONFIG_KVM_AMD");
		_cleanup_free_ char *kp = kconfig_text(h, "CONFIG_KVM_PVM");
		cfg = xasprintf("%s, %s, %s, %s (%s)", k, ki, ka, kp, h->config_src);
	} else {
		cfg = xasprintf("kernel config unknown: %s", h->config_src);
	}
	char k = h->config ? vb_features_kconfig(h->config, "CONFIG_KVM") : '\0';
	bool yes = loaded || mod || k == 'y' || k == 'm';
	vb_feature_cell_set(
	    &c[VB_FEATURE_MAINLINE], yes ? VB_FV_YES : (h->config ? VB_FV_NO : VB_FV_UNKNOWN),
	    VB_FH_PROBED, "KVM is part of mainline Linux; on this kernel (%s): %s; %s.", h->release,
	    loaded ? "the kvm module is loaded or built in (/sys/module/kvm)"
	    : mod  ? "kvm is a module here, not loaded"
		   : "no kvm module is loaded or installed",
	    cfg);
}

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
		cell_copy(&c[VB_FEATURE_CPU_OVERCOMMIT], cpu);
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
	    present(h->vmx), present(h->svm));
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
	_cleanup_free_ char *xt = kconfig_text(h, "CONFIG_XEN");
	_cleanup_free_ char *dt = kconfig_text(h, "CONFIG_XEN_DOM0");
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

/* ---- the run ---- */

static char *config_json(const struct vb_features_config *cfg)
{
	_cleanup_json_ json_t *o = json_object();
	json_t *p = json_array();
	for (size_t i = 0; i < cfg->nplatforms; i++)
		json_array_append_new(p, json_string(cfg->platforms[i]));
	json_object_set_new(o, "platforms", p);
	return vb_json_line(o);
}

static bool wants(const struct vb_features_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nplatforms; i++)
		if (!strcmp(cfg->platforms[i], name))
			return true;
	return false;
}

int vb_features_run(const struct vb_features_config *cfg, struct vb_store *db, int64_t *run_id,
		    struct vb_error **err)
{
	struct vb_session s;
	*run_id = -1;
	for (size_t i = 0; i < cfg->nplatforms; i++)
		if (!vb_features_platform_known(cfg->platforms[i]))
			VB_BUG("features of unknown platform %s", cfg->platforms[i]);
	int r = vb_session_open(&s, db, NULL, 0, 0, false, err);
	if (r)
		return r;
	struct vb_features_host h = { .tag = s.tag, .work = s.work_dir };
	host_facts_init(&h);
	struct vb_feature_cell(*cells)[VB_FEATURE_COUNT] = xcalloc(cfg->nplatforms, sizeof(*cells));
	struct vb_features_qemu tcg = { 0 }, kvm = { 0 };
	struct vb_features_criu criu = { 0 };
	struct vb_feature_cell xen_cpu = { 0 };
	bool xen_probed = false;
	_cleanup_free_ char *config = config_json(cfg);
	r = vb_session_begin(&s, "features", cfg->command, NULL, config, err);
	*run_id = s.run_id;
	if (r)
		goto out;
	/* The probes that start things, once each, before the cells are filled. */
	if (wants(cfg, "container"))
		r = vb_features_probe_criu(&h, &criu);
	if (!r && wants(cfg, "qemu-tcg"))
		r = vb_features_probe_qemu(&h, "tcg", &tcg);
	if (!r && wants(cfg, "kvm"))
		r = vb_features_probe_qemu(&h, "kvm", &kvm);
	if (!r && cfg->xen_named && wants(cfg, "xen")) {
		r = probe_xen_cpu(&h, &xen_cpu);
		xen_probed = true;
	}
	if (r == -EINTR || vb_interrupted) {
		r = vb_error_set(err, -EINTR,
				 "interrupted: run %s recorded no features, marked incomplete",
				 s.tag);
		goto out;
	}
	for (size_t i = 0; i < cfg->nplatforms; i++) {
		const char *p = cfg->platforms[i];
		if (!strcmp(p, "host"))
			fill_host(cells[i]);
		else if (!strcmp(p, "container"))
			fill_container(&h, &criu, cells[i]);
		else if (!strcmp(p, "kvm"))
			fill_qemu(&h, true, &kvm, cells[i]);
		else if (!strcmp(p, "qemu-tcg"))
			fill_qemu(&h, false, &tcg, cells[i]);
		else
			fill_xen(&h, xen_probed ? &xen_cpu : NULL, cells[i]);
	}
	for (int f = 0; !r && f < VB_FEATURE_COUNT; f++)
		for (size_t i = 0; !r && i < cfg->nplatforms; i++) {
			const struct vb_feature_cell *c = &cells[i][f];
			struct vb_feature_row row = {
				.platform = (char *)cfg->platforms[i],
				.feature = (char *)vb_feature_id((enum vb_feature)f),
				.value = (char *)vb_feature_value_name(c->value),
				.how = (char *)vb_feature_how_name(c->how),
				.detail = c->detail ? c->detail : (char *)"",
			};
			r = vb_store_add_feature(db, *run_id, &row, err);
		}
out:
	for (size_t i = 0; i < cfg->nplatforms; i++)
		for (int f = 0; f < VB_FEATURE_COUNT; f++)
			free(cells[i][f].detail);
	free(cells);
	vb_features_qemu_release(&tcg);
	vb_features_qemu_release(&kvm);
	vb_features_criu_release(&criu);
	free(xen_cpu.detail);
	host_facts_release(&h);
	/* No samples: closing stores no summaries, only the status. */
	return vb_session_close(&s, NULL, 0, r, err);
}
