/* SPDX-License-Identifier: MIT */
/*
 * Xen PV guests, nested in QEMU/TCG (docs/xen.md): QEMU boots Xen 4.17
 * with Debian's kernel as a PV dom0; dom0's /init starts the toolstack and
 * one PV domU whose /init runs the agent on its PV console. dom0 relays the
 * host's virtio-serial port to that console, so the host side is the QEMU
 * platforms' own: a socket, the --sync handshake, the same protocol. Two
 * levels of emulation: every figure is labelled so.
 */
#include <sys/stat.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/util.h"
#include "guest/xen.h"
#include "platform/qemu-vm.h"
#include "runtime/net.h"
#include "virtbench/platform.h"

/* dom0's memory: the toolstack in an initramfs, the relay, blkback. */
#define DOM0_MIB 512
/* Xen's own: its heap, frame table and the domU's page tables. */
#define XEN_MIB 192
/* The domU unpacks its 36 MB initramfs (31 MB of it the agent) into RAM. */
#define DOMU_MIN_MIB 256
/* Xen, dom0 and the domU boot under TCG: 35 s unloaded, 85 s and more on a busy host. */
#define READY_MIN_S 300
/* quit -> agent exits -> domU powers off -> dom0 powers off -> Xen -> QEMU: 2-10 s seen. */
#define STOP_GRACE_MS 30000

struct vb_guest {
	char *name, *dir;
	struct vb_qemu_vm vm;
	struct vb_xen x;
	char *disk; /* the scratch disk, the domU's xvda through dom0's blkback */
	uint64_t disk_bytes;
	unsigned vcpus;	 /* the domU's */
	uint64_t memory; /* the domU's */
	bool ready;	 /* the agent said hello since the last start */
	bool dom0;	 /* xen-dom0: the agent runs in dom0 itself, no domU */
	bool net;	 /* a tap on the run's bridge: dom0's eth0, bridged to the domU */
	char ip[20];	 /* the agent's address on the run's bridge */
	double ready_timeout_s, job_timeout_s;
	char hash[65];
};

static int xen_probe(struct vb_error **err)
{
	_cleanup_free_ char *qemu = vb_qemu_find();
	_cleanup_free_ char *tools = vb_xen_missing_tools();
	if (!qemu || tools)
		return vb_error_set(err, VB_SKIP,
				    "not installed: %s%s%s (Xen's own packages are fetched with "
				    "apt-get at the first provision, never installed)",
				    qemu ? "" : "qemu-system-x86_64 (qemu-system-x86)",
				    !qemu && tools ? ", " : "", tools ? tools : "");
	return 0;
}

static void guest_free(struct vb_guest *g)
{
	if (g->net)
		vb_net_run_guest_leave(g->name);
	vb_qemu_vm_release(&g->vm);
	if (g->dir)
		vb_rm_rf(g->dir);
	vb_xen_release(&g->x);
	free(g->name);
	free(g->dir);
	free(g->disk);
	free(g);
}

/* QEMU's -initrd lists multiboot modules as "path args,path": no comma or space in a path. */
static bool module_path_ok(const char *p)
{
	return !strpbrk(p, ", ");
}

static int provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		     const char *name, bool dom0, struct vb_guest **out, struct vb_error **err)
{
	if (spec->net == VB_NET_NAT)
		return vb_error_set(err, VB_SKIP,
				    "%s: xen guests have no NAT (bridged is: a tap on the run's "
				    "bridge into dom0)",
				    name);
	uint64_t mem = spec->memory_bytes ? spec->memory_bytes : 512ull << 20;
	if (mem >> 20 < DOMU_MIN_MIB)
		return vb_error_set(err, -EINVAL,
				    "%s: a xen domU needs at least %d MiB (its initramfs is "
				    "unpacked in RAM)",
				    name, DOMU_MIN_MIB);
	struct vb_guest *g = xcalloc(1, sizeof(*g));
	g->name = xstrdup(name);
	g->dom0 = dom0;
	g->dir = xasprintf("%s/%s", ctx->work_dir, name);
	g->disk = xasprintf("%s/scratch.img", g->dir);
	g->disk_bytes = spec->disk_bytes ? spec->disk_bytes : 4ull << 30;
	g->vcpus = spec->vcpus ? spec->vcpus : 1;
	g->memory = mem;
	g->ready_timeout_s =
	    ctx->ready_timeout_s > READY_MIN_S ? ctx->ready_timeout_s : READY_MIN_S;
	g->job_timeout_s = ctx->job_timeout_s;
	int r = 0;
	if (mkdir(g->dir, 0700) < 0)
		r = vb_error_errno(err, errno, "%s: creating %s", name, g->dir);
	if (!r)
		r = vb_xen_get(ctx->agent_path, &g->x, err);
	if (!r && (!module_path_ok(g->x.kernel) || !module_path_ok(g->x.dom0_initrd)))
		r = vb_error_set(err, -EINVAL,
				 "%s: QEMU's multiboot list cannot take %s or %s (a comma or a "
				 "space in VIRTBENCH_CACHE_DIR?)",
				 name, g->x.kernel, g->x.dom0_initrd);
	if (!r)
		r = vb_qemu_make_disk(g->disk, g->disk_bytes, err);
	if (!r && vb_sha256_file(ctx->agent_path, g->hash))
		r = vb_error_set(err, -EIO, "%s: cannot read the agent", name);
	if (!r)
		r = vb_qemu_vm_init(&g->vm, name, g->dir, true, err);
	if (!r && spec->net == VB_NET_BRIDGED) {
		r = vb_net_run_guest_join(ctx->run_id, name, g->ip, err);
		g->net = r == 0;
	}
	if (r) {
		guest_free(g);
		return r;
	}
	*out = g;
	return 0;
}

static int xen_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			 const char *name, struct vb_guest **out, struct vb_error **err)
{
	return provision(ctx, spec, name, false, out, err);
}

static int dom0_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			  const char *name, struct vb_guest **out, struct vb_error **err)
{
	return provision(ctx, spec, name, true, out, err);
}

static int xen_stop(struct vb_guest *g, struct vb_error **err)
{
	(void)err;
	/*
	 * After a hello the chain powers everything off; before one nothing
	 * would, and after Ctrl-C nobody wants to wait for it.
	 */
	vb_qemu_vm_stop(&g->vm, g->ready && !vb_interrupted ? STOP_GRACE_MS : 0);
	g->ready = false;
	return 0;
}

/*
 * Why a start failed, from the serial console: dom0's last word (it says
 * FAILED: and what), else the console's last line.
 */
static char *console_hint(const char *path)
{
	_cleanup_free_ char *text = NULL;
	if (vb_read_file(path, 4 << 20, &text, NULL) < 0)
		return NULL;
	char *best = NULL, *any = NULL, *save = NULL;
	for (char *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
		if (*l)
			any = l;
		if (strstr(l, "virtbench dom0:"))
			best = l;
	}
	best = best ? best : any;
	return best ? xstrndup(best, 300) : NULL;
}

static int xen_start(struct vb_guest *g, struct vb_error **err)
{
	if (g->vm.running)
		return 0;
	_cleanup_free_ char *qemu = vb_qemu_find();
	if (!qemu)
		return vb_error_set(err, VB_SKIP, "qemu-system-x86_64 is not installed");
	uint64_t domu_mib = g->memory >> 20;
	struct vb_qemu_args a = { 0 };
	/* dom0 gets a vCPU of its own: its relay does not take the domU's time. */
	vb_qemu_vm_args(&g->vm, &a, qemu, "tcg", "max", DOM0_MIB + domu_mib + XEN_MIB,
			g->vcpus + 1);
	vb_qemu_args_add(&a, "-kernel");
	vb_qemu_args_add(&a, g->x.hypervisor);
	/*
	 * smap=0: Xen does not boot under TCG without it. bootscrub=0: the boot
	 * scrub would touch all of -m, and QEMU's RSS with it.
	 */
	vb_qemu_args_add(&a, "-append");
	vb_qemu_args_addf(&a,
			  "dom0_mem=%dM,max:%dM dom0_max_vcpus=1 console=com1 com1=115200,8n1 "
			  "noreboot smap=0 bootscrub=0",
			  DOM0_MIB, DOM0_MIB);
	/* The multiboot modules: dom0's kernel with its command line, then its initramfs. */
	vb_qemu_args_add(&a, "-initrd");
	_cleanup_free_ char *net =
	    g->net ? xasprintf(" vb.ip=%s vb.gw=%s", g->ip, vb_net_run_bridge()->host_ip)
		   : xstrdup("");
	vb_qemu_args_addf(&a, "%s console=hvc0 quiet vb.vcpus=%u vb.mem=%llu vb.target=%s%s,%s",
			  g->x.kernel, g->vcpus, (unsigned long long)domu_mib,
			  g->dom0 ? "dom0" : "domu", net, g->x.dom0_initrd);
	if (g->net) {
		/* dom0's eth0: a tap QEMU creates and that dies with it, on the run's bridge. */
		vb_qemu_args_add(&a, "-netdev");
		vb_qemu_args_addf(&a, "tap,id=n0,ifname=%s,script=no,downscript=no,vhost=off",
				  g->name);
		vb_qemu_args_add(&a, "-device");
		vb_qemu_args_add(&a, "virtio-net-pci,netdev=n0");
	}
	vb_qemu_args_add(&a, "-drive");
	vb_qemu_args_addf(&a, "file=%s,if=none,id=scratch,format=raw,cache=none,aio=threads",
			  g->disk);
	vb_qemu_args_add(&a, "-device");
	vb_qemu_args_add(&a, "virtio-blk-pci,drive=scratch,serial=scratch");
	vb_qemu_args_add(&a, "-drive");
	vb_qemu_args_addf(&a, "file=%s,if=none,id=vbboot,format=raw,readonly=on", g->x.boot_disk);
	vb_qemu_args_add(&a, "-device");
	vb_qemu_args_add(&a, "virtio-blk-pci,drive=vbboot,serial=vbboot");
	int r = vb_qemu_vm_spawn(&g->vm, a.v, err);
	vb_qemu_args_release(&a);
	/* QEMU creates the tap as it starts: it goes on the bridge once it is there. */
	if (!r && g->net)
		r = vb_net_run_attach_when_up(g->name, 5000, err);
	if (!r)
		r = vb_qemu_vm_hello(&g->vm, g->ready_timeout_s, err);
	if (r) {
		xen_stop(g, NULL);
		_cleanup_free_ char *why = console_hint(g->vm.console);
		_cleanup_free_ char *qemu_said = vb_qemu_last_line(g->vm.log);
		return vb_error_wrap(err, "%s (console: %s%s%s)", g->name,
				     why ? why : "nothing printed",
				     qemu_said ? "; QEMU said: " : "", qemu_said ? qemu_said : "");
	}
	g->ready = true;
	return 0;
}

static int xen_exec(struct vb_guest *g, const struct vb_job *job, vb_event_cb cb, void *data,
		    struct vb_error **err)
{
	if (!g->vm.running)
		return vb_error_set(err, -ESRCH, "%s is not running", g->name);
	bool broken;
	int r = vb_agent_client_run(&g->vm.ch, job, "/scratch", g->job_timeout_s, cb, data, &broken,
				    err);
	if (broken)
		xen_stop(g, NULL);
	return r;
}

/* The whole chain again: Xen, dom0 and the domU boot anew; the scratch disk stays. */
static int xen_reboot(struct vb_guest *g, struct vb_error **err)
{
	int r = xen_stop(g, err);
	return r ? r : xen_start(g, err);
}

static void xen_destroy(struct vb_guest *g)
{
	if (!g)
		return;
	xen_stop(g, NULL);
	guest_free(g);
}

static const char *xen_agent_hash(struct vb_guest *g)
{
	return g->hash;
}

static char *xen_guest_info(struct vb_guest *g)
{
	_cleanup_json_ json_t *o = json_object();
	json_object_set_new(o, "xen", json_string(g->x.version));
	json_object_set_new(o, "kernel", json_string(g->x.kernel_version));
	json_object_set_new(o, "agent_in", json_string(g->dom0 ? "dom0" : "PV domU"));
	json_object_set_new(o, "nested", json_string("QEMU/TCG"));
	return vb_json_line(o);
}

static const char *xen_peer_listen(struct vb_guest *g)
{
	return g->net ? vb_net_run_bridge()->host_ip : NULL;
}

static int xen_footprint(struct vb_guest *g, uint64_t *bytes, struct vb_error **err)
{
	return vb_qemu_vm_footprint(&g->vm, bytes, err);
}

const struct vb_platform_ops vb_platform_xen = {
	.name = "xen",
	.summary = "Xen PV domU, nested in QEMU/TCG: Xen " VB_XEN_SERIES
		   " and Debian's kernel, agent on the domU's PV console",
	.caps = VB_CAP_EMULATED | VB_CAP_NESTED | VB_CAP_REBOOT | VB_CAP_NETWORK,
	.probe = xen_probe,
	.provision = xen_provision,
	.start = xen_start,
	.exec = xen_exec,
	.reboot = xen_reboot,
	.footprint = xen_footprint,
	.stop = xen_stop,
	.destroy = xen_destroy,
	.agent_hash = xen_agent_hash,
	.guest_info = xen_guest_info,
	.peer_listen = xen_peer_listen,
};

/*
 * The same nested machine with the agent in dom0 itself (the toolstack up,
 * no domU): the baseline a domU is compared with, as the study's dom0 rows.
 * dom0 keeps its own 512 MiB; the memory a domU would have stays unused.
 */
const struct vb_platform_ops vb_platform_xen_dom0 = {
	.name = "xen-dom0",
	.summary = "Xen dom0 (the agent in dom0, no domU), nested in QEMU/TCG: the baseline "
		   "for xen's domU",
	.caps = VB_CAP_EMULATED | VB_CAP_NESTED | VB_CAP_REBOOT | VB_CAP_NETWORK,
	.probe = xen_probe,
	.provision = dom0_provision,
	.start = xen_start,
	.exec = xen_exec,
	.reboot = xen_reboot,
	.footprint = xen_footprint,
	.stop = xen_stop,
	.destroy = xen_destroy,
	.agent_hash = xen_agent_hash,
	.guest_info = xen_guest_info,
	.peer_listen = xen_peer_listen,
};
