/* SPDX-License-Identifier: MIT */
/*
 * The full-virtualization platforms: QEMU with TCG (`qemu-tcg`, always
 * labelled emulation) and with KVM (`kvm`, only where a guest can really run
 * accelerated). The guest is Debian's kernel with virtbench's initramfs; the
 * agent talks over a virtio-serial port, so the guest needs no network to
 * be controlled. QEMU runs with -nodefaults and only the devices asked for,
 * under its own cgroup, with the parent-death signal so it never outlives
 * virtbench.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/run.h"
#include "core/util.h"
#include "guest/initramfs.h"
#include "guest/kernel.h"
#include "platform/policy.h"
#include "platform/qemu-vm.h"
#include "runtime/cgroup.h"
#include "runtime/net-run.h"
#include "runtime/net.h"
#include "virtbench/platform.h"
#include "platform/features.h"

/* The root disk's virtio serial number: how /init tells it from the scratch disk. */
#define ROOT_SERIAL "vb-root"

struct vb_guest {
	char *name;
	bool kvm;
	char *dir;
	struct vb_qemu_vm vm; /* the process, its files, cgroup and agent channel */
	char *disk; /* the scratch disk: a sparse raw file with ext4 on it, or a qcow2 overlay */
	bool disk_qcow2; /* an overlay on a base image (after a clone) */
	unsigned nbases; /* bases made from this guest's disk by clones */
	/*
	 * With a Debian image: the guest's root, a qcow2 overlay of its own in
	 * its directory on the image's read-only ext4 disk (or, after a clone,
	 * on what the guest's root was then).
	 */
	char *root;
	const struct vb_guest_image *image; /* the run's; borrowed */
	char *run_id;			    /* the run's tag: a clone joins its bridge */
	uint64_t disk_bytes;
	char *kernel, *initrd;
	unsigned vcpus;
	uint64_t memory;
	double ready_timeout_s, job_timeout_s;
	char hash[65];
	char *agent_path;
	bool net;   /* a tap named after the guest on the run's bridge, eth0 inside */
	bool nat;   /* QEMU's user-mode network (slirp): 10.0.2.15, the host is 10.0.2.2 */
	int nat_ns; /* with nat: QEMU's own network namespace, only lo; the peer's too */
	char *kernel_version; /* Debian's "6.1.0-56-amd64", or "custom" */
	char *root_release;   /* what the root said it is at the last start ("12.8"), or NULL */
	char ip[20];
};

static int tcg_probe(const struct vb_platform_ctx *ctx, struct vb_error **err)
{
	(void)ctx;
	_cleanup_free_ char *q = vb_qemu_find();
	if (!q)
		return vb_error_set(err, VB_SKIP, "%s is not installed (qemu-system-x86)",
				    "qemu-system-x86_64");
	return 0;
}

static bool cpu_has_flag(const char *flag)
{
	_cleanup_free_ char *info = NULL;
	if (vb_read_file("/proc/cpuinfo", 16 << 20, &info, NULL))
		return false;
	char *flags = strstr(info, "\nflags");
	if (!flags)
		return false;
	char *end = strchr(flags + 1, '\n');
	if (end)
		*end = '\0';
	_cleanup_free_ char *want = xasprintf(" %s ", flag);
	_cleanup_free_ char *line = xasprintf("%s ", flags);
	return strstr(line, want) != NULL;
}

static int provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		     const char *name, bool kvm, struct vb_guest **out, struct vb_error **err);
static int qemu_start(struct vb_guest *g, struct vb_error **err);
static void qemu_destroy(struct vb_guest *g);
static int nat_netns(struct vb_guest *g, struct vb_error **err);

/*
 * Boot one small guest under KVM to its agent, in a run of its own (tag,
 * work directory, cgroup: all swept like any run's if this process dies).
 */
static int kvm_probe_boot(const struct vb_platform_ctx *pctx, struct vb_error **err)
{
	_cleanup_free_ char *agent = NULL;
	if (vb_platform_agent_path(&agent))
		return vb_error_set(err, VB_SKIP, "no agent binary to boot a probe guest with");
	char tag[16];
	_cleanup_free_ char *work = NULL;
	int r = vb_run_claim(tag, &work, err);
	if (r)
		return r;
	struct vb_platform_ctx ctx = { .run_id = tag,
				       .agent_path = agent,
				       .work_dir = work,
				       .ready_timeout_s = 20,
				       .kernel = pctx->kernel,
				       .kernel_modules = pctx->kernel_modules };
	struct vb_guest_spec spec = { .disk_bytes = 64ull << 20 };
	_cleanup_free_ char *name = xasprintf("%s-0", tag);
	struct vb_guest *g = NULL;
	r = provision(&ctx, &spec, name, true, &g, err);
	if (!r) {
		/* A guest that boots under KVM says hello in seconds; one that hangs, never. */
		g->ready_timeout_s = 20;
		r = qemu_start(g, err);
		if (r == -ECHILD) {
			/* QEMU's own reason says it all; without the guest's name. */
			size_t nl = strlen(name);
			if (!strncmp((*err)->msg, name, nl) &&
			    !strncmp((*err)->msg + nl, ": ", 2)) {
				_cleanup_free_ char *msg = xstrdup((*err)->msg + nl + 2);
				vb_error_free(err);
				r = vb_error_set(err, r, "%s", msg);
			}
		} else if (r) {
			/* Its directory goes now: say what the console showed instead. */
			vb_qemu_vm_flush_logs(&g->vm);
			_cleanup_free_ char *tail = vb_qemu_last_line(g->vm.console);
			_cleanup_free_ char *msg = xstrdup((*err)->msg);
			vb_error_free(err);
			r = vb_error_set(err, r, "%s; the console's last line: %s", msg,
					 tail ? tail : "none (the kernel printed nothing)");
		}
	}
	qemu_destroy(g);
	vb_rm_rf(work);
	return r;
}

/*
 * KVM is offered only when a probe guest boots under it, with the run's
 * kernel: opening /dev/kvm proves nothing. The verdict is kept for the life
 * of the process, per kernel. On a kvm_pvm host only a PVM guest kernel can
 * boot: without one of the user's (--kernel), the probe is skipped with the
 * reason; VIRTBENCH_KVM_PROBE=boot probes anyway (and shows what QEMU says).
 */
static int kvm_probe(const struct vb_platform_ctx *ctx, struct vb_error **err)
{
	static int verdict = 1;	      /* 1: not probed yet */
	static char *reason, *probed; /* probed: the kernel the verdict is for ("" the default) */
	const char *kernel = ctx->kernel ? ctx->kernel : "";
	if (verdict != 1 && strcmp(probed, kernel)) {
		verdict = 1;
		free(reason);
		reason = NULL;
	}
	int r = tcg_probe(ctx, err);
	if (r)
		return r;
	if (access("/dev/kvm", R_OK | W_OK))
		return vb_error_set(err, VB_SKIP, "no usable /dev/kvm");
	const char *force = getenv("VIRTBENCH_KVM_PROBE");
	bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0 && !cpu_has_flag("vmx") &&
		   !cpu_has_flag("svm");
	if (pvm && !vb_kernel_is_custom(ctx->kernel) && !(force && !strcmp(force, "boot")))
		return vb_error_set(
		    err, VB_SKIP,
		    "/dev/kvm is kvm_pvm (no vmx/svm): only CONFIG_PVM_GUEST kernels "
		    "run; Debian's fails (-cpu host: failed to set MSR 0x10a; PVH: "
		    "emulation failure on lock cmpxchg16b); give a PVM guest kernel with "
		    "--kernel");
	if (verdict == 1) {
		struct vb_error *e = NULL;
		int pr = kvm_probe_boot(ctx, &e);
		verdict = pr ? VB_SKIP : 0;
		free(probed);
		probed = xstrdup(kernel);
		if (pr == -ECHILD)
			reason = xstrdup(e->msg);
		else if (pr)
			reason =
			    xasprintf("a probe guest did not boot to its agent under KVM%s: %s",
				      pvm ? " (kvm_pvm)" : "", e ? e->msg : "?");
		vb_error_free(&e);
	}
	return verdict ? vb_error_set(err, VB_SKIP, "%s", reason) : 0;
}

static void guest_free(struct vb_guest *g)
{
	if (g->net)
		vb_net_run_guest_leave(g->name);
	vb_qemu_vm_release(&g->vm);
	vb_closep(&g->nat_ns);
	if (g->dir)
		vb_rm_rf(g->dir);
	free(g->name);
	free(g->dir);
	free(g->disk);
	free(g->kernel);
	free(g->initrd);
	free(g->agent_path);
	free(g->run_id);
	free(g->kernel_version);
	free(g->root);
	free(g->root_release);
	free(g);
}

static int provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		     const char *name, bool kvm, struct vb_guest **out, struct vb_error **err)
{
	struct vb_kernel k;
	int r = vb_kernel_get(ctx->kernel, ctx->kernel_modules, &k, err);
	if (r)
		return r;
	struct vb_guest *g = xcalloc(1, sizeof(*g));
	g->name = xstrdup(name);
	g->kvm = kvm;
	g->nat_ns = -1;
	g->dir = xasprintf("%s/%s", ctx->work_dir, name);
	g->disk = xasprintf("%s/scratch.img", g->dir);
	/* Room for the full profiles' 1 GiB files and their copies; sparse on the host. */
	g->disk_bytes = spec->disk_bytes ? spec->disk_bytes : 4ull << 30;
	g->kernel = NULL;
	if (!kvm) {
		/*
		 * Under TCG the uncompressed vmlinux through its PVH entry boots in
		 * about half the time of the bzImage (its xz is not decompressed in
		 * emulation). Without xz, the bzImage it is.
		 */
		struct vb_error *e = NULL;
		if (vb_kernel_vmlinux(&k, &g->kernel, &e))
			vb_debug("%s: booting the bzImage: %s", name, e->msg);
		vb_error_free(&e);
	}
	if (!g->kernel)
		g->kernel = xstrdup(k.image);
	g->agent_path = xstrdup(ctx->agent_path);
	g->run_id = xstrdup(ctx->run_id);
	g->kernel_version = xstrdup(k.version);
	g->vcpus = spec->vcpus ? spec->vcpus : 1;
	g->memory = spec->memory_bytes ? spec->memory_bytes : 512ull << 20;
	/* Emulation is slow to boot: at least two minutes for the hello. */
	g->ready_timeout_s = ctx->ready_timeout_s > 120 ? ctx->ready_timeout_s : 120;
	g->job_timeout_s = ctx->job_timeout_s;
	if (mkdir(g->dir, 0700) < 0)
		r = vb_error_errno(err, errno, "%s: creating %s", name, g->dir);
	if (!r)
		r = vb_initramfs_get(&k, ctx->agent_path, &g->initrd, err);
	if (!r)
		r = vb_qemu_make_disk(g->disk, g->disk_bytes, err);
	if (!r && ctx->image && ctx->image->disk) {
		g->image = ctx->image;
		g->root = xasprintf("%s/root.qcow2", g->dir);
		r = vb_qemu_make_overlay(ctx->image->disk, "raw", g->root, err);
	}
	if (!r && vb_sha256_file(ctx->agent_path, g->hash))
		r = vb_error_set(err, -EIO, "%s: cannot read the agent", name);
	/* QEMU gets its own cgroup where cgroups are usable; none is no error. */
	if (!r)
		r = vb_qemu_vm_init(&g->vm, name, g->dir, true, err);
	g->nat = spec->net == VB_NET_NAT;
	if (!r && g->nat)
		r = nat_netns(g, err);
	if (!r && spec->net == VB_NET_BRIDGED) {
		r = vb_net_run_guest_join(ctx->run_id, name, g->ip, err);
		g->net = r == 0;
	}
	vb_kernel_release(&k);
	if (r) {
		guest_free(g);
		return r;
	}
	*out = g;
	return 0;
}

/*
 * Slirp reaches "the host" (10.0.2.2) as connections QEMU makes from its
 * own network namespace: in one of its own, holding only lo, the guest
 * reaches nothing but what virtbench starts there (the w3 peer), never a
 * service on the host's loopback or a network beyond.
 */
static int nat_netns(struct vb_guest *g, struct vb_error **err)
{
	int r = vb_net_loopback_ns(&g->nat_ns, err);
	if (r)
		return vb_error_wrap(err, "%s: QEMU's user-mode network", g->name);
	g->vm.netns = g->nat_ns;
	return 0;
}

static int tcg_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			 const char *name, struct vb_guest **out, struct vb_error **err)
{
	return provision(ctx, spec, name, false, out, err);
}

static int kvm_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			 const char *name, struct vb_guest **out, struct vb_error **err)
{
	return provision(ctx, spec, name, true, out, err);
}

static int qemu_stop(struct vb_guest *g, struct vb_error **err)
{
	(void)err;
	/* The agent quits; as PID 1 that ends the kernel, and -no-reboot ends QEMU. */
	vb_qemu_vm_stop(&g->vm, 5000);
	return 0;
}

/*
 * What the root the guest switched to says it is: the console line its
 * /init printed from inside it, with the root's own shell and cat
 * ("virtbench init: in the root: debian 12.8"), before the agent started.
 */
static void root_release(struct vb_guest *g)
{
	static const char mark[] = "virtbench init: in the root: debian ";
	free(g->root_release);
	g->root_release = NULL;
	for (int i = 0; i < 50 && !g->root_release; i++) {
		_cleanup_free_ char *text = NULL;
		if (vb_read_file(g->vm.console, VB_QEMU_CONSOLE_CAP + 1, &text, NULL) == 0) {
			char *p = strstr(text, mark);
			if (p) {
				p += strlen(mark);
				g->root_release = xstrndup(p, strcspn(p, "\r\n"));
				break;
			}
		}
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static int qemu_start(struct vb_guest *g, struct vb_error **err)
{
	if (g->vm.running)
		return 0;
	_cleanup_free_ char *qemu = vb_qemu_find();
	if (!qemu)
		return vb_error_set(err, VB_SKIP, "qemu-system-x86_64 is not installed");
	struct vb_qemu_args a = { 0 };
	vb_qemu_vm_args(&g->vm, &a, qemu, g->kvm ? "kvm" : "tcg", g->kvm ? "host" : "max",
			g->memory >> 20, g->vcpus);
	vb_qemu_args_add(&a, "-kernel");
	vb_qemu_args_add(&a, g->kernel);
	vb_qemu_args_add(&a, "-initrd");
	vb_qemu_args_add(&a, g->initrd);
	/*
	 * vb.ip and vb.gw tell /init how to set up eth0 (only with a network),
	 * vb.root which disk holds the root to switch to (only with an image).
	 */
	const char *root = g->root ? " vb.root=" ROOT_SERIAL : "";
	vb_qemu_args_add(&a, "-append");
	if (g->net)
		vb_qemu_args_addf(&a, "console=ttyS0 quiet panic=-1 vb.ip=%s vb.gw=%s%s", g->ip,
				  vb_net_run_bridge()->host_ip, root);
	else if (g->nat)
		vb_qemu_args_addf(
		    &a, "console=ttyS0 quiet panic=-1 vb.ip=10.0.2.15 vb.gw=10.0.2.2%s", root);
	else
		vb_qemu_args_addf(&a, "console=ttyS0 quiet panic=-1%s", root);
	/* cache=none: the guest's writes reach the host file with O_DIRECT, as a disk's would. */
	vb_qemu_args_add(&a, "-drive");
	vb_qemu_args_addf(&a, "file=%s,if=none,id=scratch,format=%s,cache=none,aio=threads",
			  g->disk, g->disk_qcow2 ? "qcow2" : "raw");
	vb_qemu_args_add(&a, "-device");
	vb_qemu_args_add(&a, "virtio-blk-pci,drive=scratch");
	if (g->root) {
		/* After the scratch disk: that stays /dev/vda, as without a root disk. */
		vb_qemu_args_add(&a, "-drive");
		vb_qemu_args_addf(&a, "file=%s,if=none,id=root,format=qcow2,discard=unmap",
				  g->root);
		vb_qemu_args_add(&a, "-device");
		vb_qemu_args_add(&a, "virtio-blk-pci,drive=root,serial=" ROOT_SERIAL);
	}
	if (g->net) {
		/* A tap QEMU creates and that dies with it; no vhost-net here. */
		vb_qemu_args_add(&a, "-netdev");
		vb_qemu_args_addf(&a, "tap,id=n0,ifname=%s,script=no,downscript=no,vhost=off",
				  g->name);
		/*
		 * A MAC of its own from its address (10.233.S.N: 52:54:00:e9:S:N):
		 * QEMU's default is the same for every guest, and two guests on
		 * one bridge (a layout=split pair, isolation's victim and
		 * aggressor) would each get the other's frames.
		 */
		unsigned o[4] = { 0 };
		if (sscanf(g->ip, "%u.%u.%u.%u", &o[0], &o[1], &o[2], &o[3]) != 4 || o[2] > 255 ||
		    o[3] > 255)
			VB_BUG("%s: address %s", g->name, g->ip);
		vb_qemu_args_add(&a, "-device");
		vb_qemu_args_addf(&a, "virtio-net-pci,netdev=n0,mac=52:54:00:e9:%02x:%02x", o[2],
				  o[3]);
	} else if (g->nat) {
		/*
		 * NAT without touching the host's network: QEMU's slirp. The guest
		 * reaches the host's loopback as 10.0.2.2, where the w3 peer listens.
		 */
		vb_qemu_args_add(&a, "-netdev");
		vb_qemu_args_add(&a, "user,id=n0,net=10.0.2.0/24,host=10.0.2.2,ipv6=off");
		vb_qemu_args_add(&a, "-device");
		vb_qemu_args_add(&a, "virtio-net-pci,netdev=n0");
	}
	int r = vb_qemu_vm_spawn(&g->vm, a.v, err);
	vb_qemu_args_release(&a);
	/* QEMU creates the tap as it starts: it goes on the bridge once it is there. */
	if (!r && g->net)
		r = vb_net_run_attach_when_up(g->name, 5000, err);
	if (!r)
		r = vb_qemu_vm_hello(&g->vm, g->ready_timeout_s, err);
	if (!r && g->root)
		root_release(g);
	if (r) {
		qemu_stop(g, NULL);
		vb_qemu_vm_flush_logs(&g->vm);
		if (r == -ECHILD)
			return r; /* "QEMU exited at start" and its last line say it all */
		_cleanup_free_ char *why = vb_qemu_last_line(g->vm.log);
		if (why)
			return vb_error_wrap(err, "%s (QEMU said: %s)", g->name, why);
		return vb_error_wrap(err, "%s (console: %s)", g->name, g->vm.console);
	}
	return 0;
}

static int qemu_exec(struct vb_guest *g, const struct vb_job *job, vb_event_cb cb, void *data,
		     struct vb_error **err)
{
	if (!g->vm.running)
		return vb_error_set(err, -ESRCH, "%s is not running", g->name);
	bool broken;
	int r = vb_agent_client_run(&g->vm.ch, job, "/scratch", g->job_timeout_s, cb, data, &broken,
				    err);
	if (broken)
		qemu_stop(g, NULL);
	return r;
}

static int qemu_footprint(struct vb_guest *g, uint64_t *bytes, struct vb_error **err)
{
	return vb_qemu_vm_footprint(&g->vm, bytes, err);
}

/*
 * The policy covers the whole QEMU process through its cgroup, and with a
 * cpuset each vCPU thread (QMP's query-cpus-fast) is pinned on its own.
 */
static int qemu_set_policy(struct vb_guest *g, const struct vb_guest_policy *p,
			   struct vb_error **err)
{
	if (p->net_bps)
		return vb_error_set(err, VB_SKIP,
				    "%s: network shaping is not built for QEMU guests (what a "
				    "guest sends enters the host on its tap: that needs ingress "
				    "policing)",
				    g->name);
	int r = vb_policy_apply(g->vm.cg, p, g->disk, err);
	/*
	 * The cgroup's cpuset holds every QEMU thread (vCPUs, I/O, the main
	 * loop); within it each vCPU thread is pinned to a CPU of its own.
	 */
	if (!r && g->vm.running)
		r = vb_qemu_vm_pin_vcpus(&g->vm, p->cpus, err);
	return r;
}

/*
 * A clone shares g's disk as it is now through qcow2: the first clone moves
 * g's raw disk to a read-only base in the run's work directory and gives g
 * an overlay on it; each clone gets an overlay of its own on g's current
 * disk (a chain for later clones). The bases live until the run's work
 * directory goes. g must be stopped: its disk must not change under them.
 */
static int qemu_clone(struct vb_guest *g, const char *name, struct vb_guest **out,
		      struct vb_error **err)
{
	if (g->vm.running)
		return vb_error_set(err, -EBUSY, "%s: stop it before cloning", g->name);
	_cleanup_free_ char *work = xstrdup(g->dir);
	*strrchr(work, '/') = '\0';
	_cleanup_free_ char *base = xasprintf("%s/%s-base%u.img", work, g->name, g->nbases);
	if (rename(g->disk, base) < 0)
		return vb_error_errno(err, errno, "%s: moving %s to %s", g->name, g->disk, base);
	const char *fmt = g->disk_qcow2 ? "qcow2" : "raw";
	int r = vb_qemu_make_overlay(base, fmt, g->disk, err);
	if (r) {
		rename(base, g->disk);
		return r;
	}
	g->disk_qcow2 = true;
	/* The root likewise: g's overlay becomes a base for g's new one and the clone's. */
	_cleanup_free_ char *root_base =
	    g->root ? xasprintf("%s/%s-root%u.qcow2", work, g->name, g->nbases) : NULL;
	if (root_base && rename(g->root, root_base) < 0)
		r = vb_error_errno(err, errno, "%s: moving %s to %s", g->name, g->root, root_base);
	if (!r && root_base && (r = vb_qemu_make_overlay(root_base, "qcow2", g->root, err)))
		rename(root_base, g->root);
	if (r) {
		/* g is whole: its scratch overlay is on the same data, its root unmoved. */
		g->nbases++;
		return r;
	}
	g->nbases++;
	struct vb_guest *c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	c->kvm = g->kvm;
	c->dir = xasprintf("%s/%s", work, name);
	c->disk = xasprintf("%s/scratch.img", c->dir);
	c->disk_qcow2 = true;
	c->disk_bytes = g->disk_bytes;
	c->kernel = xstrdup(g->kernel);
	c->initrd = xstrdup(g->initrd);
	c->agent_path = xstrdup(g->agent_path);
	c->run_id = xstrdup(g->run_id);
	c->kernel_version = xstrdup(g->kernel_version);
	c->image = g->image;
	c->root = g->root ? xasprintf("%s/root.qcow2", c->dir) : NULL;
	memcpy(c->hash, g->hash, sizeof(c->hash));
	c->vcpus = g->vcpus;
	c->memory = g->memory;
	c->ready_timeout_s = g->ready_timeout_s;
	c->job_timeout_s = g->job_timeout_s;
	if (mkdir(c->dir, 0700) < 0)
		r = vb_error_errno(err, errno, "%s: creating %s", name, c->dir);
	if (!r)
		r = vb_qemu_make_overlay(base, fmt, c->disk, err);
	if (!r && c->root)
		r = vb_qemu_make_overlay(root_base, "qcow2", c->root, err);
	if (!r)
		r = vb_qemu_vm_init(&c->vm, name, c->dir, true, err);
	c->nat = g->nat;
	c->nat_ns = -1;
	if (!r && c->nat)
		r = nat_netns(c, err);
	if (!r && g->net) {
		r = vb_net_run_guest_join(g->run_id, name, c->ip, err);
		c->net = r == 0;
	}
	if (r) {
		guest_free(c);
		return r;
	}
	*out = c;
	return 0;
}

static int qemu_reboot(struct vb_guest *g, struct vb_error **err)
{
	int r = qemu_stop(g, err);
	return r ? r : qemu_start(g, err);
}

static void qemu_destroy(struct vb_guest *g)
{
	if (!g)
		return;
	qemu_stop(g, NULL);
	guest_free(g);
}

static const char *qemu_agent_hash(struct vb_guest *g)
{
	return g->hash;
}

static char *qemu_guest_info(struct vb_guest *g)
{
	_cleanup_json_ json_t *o = json_object();
	json_object_set_new(o, "kernel", json_string(g->kernel_version));
	json_object_set_new(
	    o, "boot", json_string(strstr(g->kernel, "vmlinux") ? "vmlinux (PVH)" : "bzImage"));
	json_object_set_new(o, "accel", json_string(g->kvm ? "kvm" : "tcg"));
	json_object_set_new(o, "machine", json_string("pc"));
	json_object_set_new(o, "disk", json_string(g->disk_qcow2 ? "qcow2 overlay" : "raw"));
	if (g->root) {
		const char *base = strrchr(g->image->disk, '/');
		_cleanup_free_ char *what =
		    xasprintf("ext4 on virtio-blk: a qcow2 overlay of its own on %s (read-only)",
			      base ? base + 1 : g->image->disk);
		json_object_set_new(o, "root_disk", json_string(what));
		json_object_set_new(o, "root_release",
				    g->root_release ? json_string(g->root_release) : json_null());
	} else {
		json_object_set_new(o, "root_disk", json_string("none: the initramfs"));
	}
	json_object_set_new(o, "net",
			    json_string(g->net	 ? "tap on the run's bridge"
					: g->nat ? "user"
						 : "none"));
	/* Whom QEMU runs as once it is set up: 0 is root (VIRTBENCH_QEMU_USER=root). */
	json_object_set_new(o, "qemu_uid", json_integer(g->vm.uid));
	return vb_json_line(o);
}

static const char *qemu_peer_via(struct vb_guest *g)
{
	return g->nat ? "10.0.2.2" : NULL;
}

static const char *qemu_peer_listen(struct vb_guest *g)
{
	return g->net ? vb_net_run_bridge()->host_ip : g->nat ? "127.0.0.1" : NULL;
}

/* A tap on the run's bridge; behind QEMU's user-mode NAT no other guest reaches it. */
static const char *qemu_guest_address(struct vb_guest *g)
{
	return g->net ? g->ip : NULL;
}

/* NAT: the peer listens on the loopback of QEMU's own namespace, 10.0.2.2 inside. */
static int qemu_peer_netns(struct vb_guest *g)
{
	return g->nat ? g->nat_ns : -1;
}

const struct vb_platform_ops vb_platform_qemu_tcg = {
	.name = "qemu-tcg",
	.summary = "QEMU full emulation (TCG), Debian's kernel, agent on virtio-serial",
	.caps = VB_CAP_EMULATED | VB_CAP_REBOOT | VB_CAP_CLONE | VB_CAP_MEM_OVERCOMMIT |
		VB_CAP_CPU_OVERCOMMIT | VB_CAP_NETWORK | VB_CAP_NAT | VB_CAP_ROOT_DISK,
	.probe = tcg_probe,
	.provision = tcg_provision,
	.start = qemu_start,
	.exec = qemu_exec,
	.reboot = qemu_reboot,
	.clone = qemu_clone,
	.footprint = qemu_footprint,
	.set_policy = qemu_set_policy,
	.stop = qemu_stop,
	.destroy = qemu_destroy,
	.agent_hash = qemu_agent_hash,
	.peer_listen = qemu_peer_listen,
	.peer_via = qemu_peer_via,
	.peer_netns = qemu_peer_netns,
	.guest_address = qemu_guest_address,
	.guest_info = qemu_guest_info,
	.features = vb_qemu_tcg_features,
};

const struct vb_platform_ops vb_platform_kvm = {
	.name = "kvm",
	.summary = "QEMU with KVM acceleration, Debian's kernel, agent on virtio-serial",
	.caps = VB_CAP_REBOOT | VB_CAP_CLONE | VB_CAP_MEM_OVERCOMMIT | VB_CAP_CPU_OVERCOMMIT |
		VB_CAP_NETWORK | VB_CAP_NAT | VB_CAP_ROOT_DISK,
	.probe = kvm_probe,
	.provision = kvm_provision,
	.start = qemu_start,
	.exec = qemu_exec,
	.reboot = qemu_reboot,
	.clone = qemu_clone,
	.footprint = qemu_footprint,
	.set_policy = qemu_set_policy,
	.stop = qemu_stop,
	.destroy = qemu_destroy,
	.agent_hash = qemu_agent_hash,
	.peer_listen = qemu_peer_listen,
	.peer_via = qemu_peer_via,
	.peer_netns = qemu_peer_netns,
	.guest_address = qemu_guest_address,
	.guest_info = qemu_guest_info,
	.features = vb_kvm_features,
};
