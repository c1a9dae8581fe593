/* SPDX-License-Identifier: MIT */
/*
 * Xen PV guests, nested in QEMU/TCG (docs/xen.md): QEMU boots Xen 4.17
 * with Debian's kernel as a PV dom0; dom0's /init starts the toolstack and
 * one PV domU whose /init runs the agent on its PV console. dom0 relays the
 * host's virtio-serial port to that console, so the host side is the QEMU
 * platforms' own: a socket, the --sync handshake, the same protocol. Two
 * levels of emulation: every figure is labelled so.
 *
 * xen-dom0: the same machine, the agent in dom0 itself. The domU
 * operations are xen-domu.c's, shared with xen-local; this file is the
 * machine they call (nested_machine).
 */
#include <string.h>

#include "agent/client.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/text.h"
#include "core/util.h"
#include "guest/xen.h"
#include "platform/qemu-vm.h"
#include "platform/xen.h"
#include "platform/xen-ctl.h"
#include "platform/xen-machine.h"
#include "runtime/net-run.h"
#include "virtbench/platform.h"
#include "platform/features.h"

/* dom0's memory: the toolstack in an initramfs, the relays, blkback. */
#define DOM0_MIB 512
/* Xen's own: its heap, frame table and the domUs' page tables. */
#define XEN_MIB 192
/* Room for this many domUs of the guest's size at once (a guest and its clone). */
#define DOMU_ROOM 2
/* quit -> dom0 powers off -> Xen -> QEMU: 2-10 s seen. */
#define STOP_GRACE_MS 30000

static int xen_probe(const struct vb_platform_ctx *ctx, struct vb_error **err)
{
	(void)ctx;
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

/*
 * Why a start failed, from the serial console: dom0's last word (it says
 * FAILED: and what), else the console's last line. NULL: nothing printed.
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
	if (!best)
		return NULL;
	/* What the guest printed: cleaned of escape sequences before anyone prints it. */
	_cleanup_free_ char *cut = xstrndup(best, 300);
	return vb_text_clean(cut);
}

/* QEMU's -initrd lists multiboot modules as "path args,path": no comma or space in a path. */
static bool module_path_ok(const char *p)
{
	return !strpbrk(p, ", ");
}

/* Wraps *err, naming name, with what the console and QEMU said last. */
static int nested_with_console(struct machine *m, const char *name, struct vb_error **err)
{
	if (!vb_proc_alive(m->vm.pid))
		vb_qemu_vm_flush_logs(&m->vm);
	_cleanup_free_ char *why = console_hint(m->vm.console);
	_cleanup_free_ char *qemu_said = vb_qemu_last_line(m->vm.log);
	return vb_error_wrap(err, "%s (console: %s%s%s)", name, why ? why : "nothing printed",
			     qemu_said ? "; QEMU said: " : "", qemu_said ? qemu_said : "");
}

/* Xen's files, then QEMU's own (cgroup, paths) and the sockets of the ports. */
static int nested_init(const struct vb_platform_ctx *ctx, struct machine *m, struct vb_error **err)
{
	int r = vb_xen_get(ctx->agent_path, ctx->kernel, ctx->kernel_modules, &m->x, err);
	if (r)
		return r;
	if (!module_path_ok(m->x.kernel) || !module_path_ok(m->x.dom0_initrd))
		return vb_error_set(err, -EINVAL,
				    "%s: QEMU's multiboot list cannot take %s or %s (a comma or a "
				    "space in VIRTBENCH_CACHE_DIR?)",
				    m->name, m->x.kernel, m->x.dom0_initrd);
	r = vb_qemu_vm_init(&m->vm, m->name, m->dir, true, err);
	if (r)
		return r;
	/*
	 * A Debian image: each slot's domU gets a root of its own, a qcow2
	 * overlay on the cached ext4 disk, which QEMU opens read-only.
	 */
	if (!m->dom0 && ctx->image && ctx->image->disk) {
		m->image = ctx->image;
		for (unsigned k = 0; !r && k < VB_XENCTL_SLOTS; k++) {
			m->root[k] = k ? xasprintf("%s/root%u.qcow2", m->dir, k)
				       : xasprintf("%s/root.qcow2", m->dir);
			r = vb_qemu_make_overlay(ctx->image->disk, "raw", m->root[k], err);
		}
		if (r)
			return r;
	}
	/* Slot 0's agent port is the QEMU platforms' own; the control port takes its socket. */
	m->sock[0] = m->dom0 ? xstrdup(m->vm.sock) : xasprintf("%s/agent0.sock", m->dir);
	if (!m->dom0) {
		free(m->vm.sock);
		m->vm.sock = xasprintf("%s/ctl.sock", m->dir);
	}
	return 0;
}

static void nested_release(struct machine *m)
{
	vb_qemu_vm_release(&m->vm);
}

static bool nested_running(const struct machine *m)
{
	return m->vm.running;
}

/* Power the machine off: dom0 on request (or the agent's quit in dom0), then signals. */
static void nested_stop(struct machine *m, bool clean)
{
	if (!m->vm.running)
		return;
	struct vb_xenctl_answer a;
	struct vb_error *e = NULL;
	if (clean && !m->dom0 && !vb_interrupted)
		clean = vb_xen_ctl_request(m, 10, &a, &e, "poweroff") == 0;
	vb_error_free(&e);
	vb_channel_release(&m->ctl);
	vb_qemu_vm_stop(&m->vm, clean && !vb_interrupted ? STOP_GRACE_MS : 0);
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++)
		if (m->slot[k]) {
			vb_channel_release(&m->slot[k]->ch);
			m->slot[k]->running = false;
		}
}

/* Slot's agent port: a socket chardev of QEMU's. */
static int nested_connect(struct machine *m, unsigned slot, struct vb_channel *ch,
			  struct vb_error **err)
{
	return vb_qemu_vm_connect(&m->vm, m->sock[slot], ch, 65536, err);
}

static int nested_failed(struct machine *m, int r, struct vb_error **err)
{
	return vb_qemu_vm_exited_at_start(&m->vm, r, err);
}

static void nested_guest_info(const struct machine *m, json_t *o)
{
	json_object_set_new(o, "nested", json_string("QEMU/TCG"));
	if (!m->image)
		return;
	const char *base = strrchr(m->image->disk, '/');
	_cleanup_free_ char *what =
	    xasprintf("ext4 as xvdb: the slot's qcow2 overlay of its own on %s (read-only), "
		      "through dom0's blkback",
		      base ? base + 1 : m->image->disk);
	json_object_set_new(o, "root_disk", json_string(what));
}

/* dom0's console: Xen copies it to com1, QEMU's serial console. */
static const char *nested_boot_log(const struct machine *m)
{
	return m->vm.console;
}

/* Add a virtio-serial port named name on sock. */
static void add_port(struct vb_qemu_args *a, const char *id, const char *sock, const char *name)
{
	vb_qemu_args_add(a, "-chardev");
	vb_qemu_args_addf(a, "socket,id=%s,path=%s,server=on,wait=off", id, sock);
	vb_qemu_args_add(a, "-device");
	vb_qemu_args_addf(a, "virtserialport,chardev=%s,name=%s", id, name);
}

/* QEMU, Xen and dom0, to its control loop's hello (xen-dom0: to the agent's in dom0). */
static int nested_boot(struct machine *m, const char *ip, struct vb_error **err)
{
	_cleanup_free_ char *qemu = vb_qemu_find();
	if (!qemu)
		return vb_error_set(err, VB_SKIP, "qemu-system-x86_64 is not installed");
	struct vb_qemu_args a = { 0 };
	/* dom0 gets a vCPU of its own: its relays do not take the domUs' time. */
	/* The test hook's domUs (xen-local in dom0) get the room a domU machine has. */
	const char *test = m->dom0 ? getenv("VIRTBENCH_XEN_DOM0_TEST") : NULL;
	bool hook = test && *test;
	vb_qemu_vm_args(&m->vm, &a, qemu, "tcg", "max",
			DOM0_MIB + XEN_MIB + (m->dom0 && !hook ? 1 : DOMU_ROOM) * m->domu_mib,
			m->vcpus + 1);
	vb_qemu_args_add(&a, "-kernel");
	vb_qemu_args_add(&a, m->x.hypervisor);
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
	    m->dom0 && ip ? xasprintf(" vb.ip=%s vb.gw=%s", ip, vb_net_run_bridge()->host_ip)
			  : xstrdup("");
	vb_qemu_args_addf(&a, "%s console=hvc0 quiet vb.target=%s%s,%s", m->x.kernel,
			  m->dom0 ? "dom0" : "domu", net, m->x.dom0_initrd);
	if (m->net) {
		/* dom0's eth0: a tap QEMU creates and that dies with it, on the run's bridge. */
		vb_qemu_args_add(&a, "-netdev");
		vb_qemu_args_addf(&a, "tap,id=n0,ifname=%s,script=no,downscript=no,vhost=off",
				  m->name);
		vb_qemu_args_add(&a, "-device");
		vb_qemu_args_add(&a, "virtio-net-pci,netdev=n0");
	}
	/*
	 * The domU machine: vb_qemu_vm_args's port on vm.sock is vb.agent, the
	 * control port here: renamed below. Slots 0-3: vb.agentK, scratchK.
	 */
	for (unsigned k = 0; k < VB_XENCTL_SLOTS && m->disk[k]; k++) {
		if (!m->dom0) {
			_cleanup_free_ char *id = xasprintf("agent%u", k);
			_cleanup_free_ char *port =
			    k ? xasprintf("vb.agent%u", k) : xstrdup("vb.agent");
			add_port(&a, id, m->sock[k], port);
		}
		vb_qemu_args_add(&a, "-drive");
		vb_qemu_args_addf(&a,
				  "file=%s,if=none,id=scratch%u,format=raw,cache=none,aio=threads",
				  m->disk[k], k);
		vb_qemu_args_add(&a, "-device");
		/* Serials scratch, scratch1..3: dom0's /init finds each slot's disk by it. */
		if (k)
			vb_qemu_args_addf(&a, "virtio-blk-pci,drive=scratch%u,serial=scratch%u", k,
					  k);
		else
			vb_qemu_args_add(&a, "virtio-blk-pci,drive=scratch0,serial=scratch");
		if (!m->root[k])
			continue;
		/* Serials vbroot, vbroot1..3: dom0 gives slot K's to its domU as xvdb. */
		vb_qemu_args_add(&a, "-drive");
		vb_qemu_args_addf(&a, "file=%s,if=none,id=vbroot%u,format=qcow2,discard=unmap",
				  m->root[k], k);
		vb_qemu_args_add(&a, "-device");
		if (k)
			vb_qemu_args_addf(&a, "virtio-blk-pci,drive=vbroot%u,serial=vbroot%u", k,
					  k);
		else
			vb_qemu_args_add(&a, "virtio-blk-pci,drive=vbroot0,serial=vbroot");
	}
	if (!m->dom0)
		for (size_t i = 0; i < a.n; i++)
			if (!strcmp(a.v[i], "virtserialport,chardev=agent,name=vb.agent")) {
				free(a.v[i]);
				a.v[i] = xstrdup("virtserialport,chardev=agent,name=vb.ctl");
			}
	/*
	 * A test's hook: xen-dom0's dom0 mounts this ext4 image on /test and runs
	 * its run.sh before the agent starts (tests/integration/xen-local.sh runs
	 * virtbench's xen-local in dom0 so).
	 */
	if (hook && module_path_ok(test)) {
		vb_qemu_args_add(&a, "-drive");
		vb_qemu_args_addf(&a, "file=%s,if=none,id=vbtest,format=raw,cache=none,aio=threads",
				  test);
		vb_qemu_args_add(&a, "-device");
		vb_qemu_args_add(&a, "virtio-blk-pci,drive=vbtest,serial=vbtest");
	}
	vb_qemu_args_add(&a, "-drive");
	vb_qemu_args_addf(&a, "file=%s,if=none,id=vbboot,format=raw,readonly=on", m->x.boot_disk);
	vb_qemu_args_add(&a, "-device");
	vb_qemu_args_add(&a, "virtio-blk-pci,drive=vbboot,serial=vbboot");
	int r = vb_qemu_vm_spawn(&m->vm, a.v, err);
	vb_qemu_args_release(&a);
	/* QEMU creates the tap as it starts: it goes on the bridge once it is there. */
	if (!r && m->net)
		r = vb_net_run_attach_when_up(m->name, 5000, err);
	if (!r && m->dom0)
		r = vb_qemu_vm_hello(&m->vm, m->ready_timeout_s, err);
	if (!r && !m->dom0)
		r = vb_qemu_vm_connect(&m->vm, m->vm.sock, &m->ctl, VB_XENCTL_MAX_LINE, err);
	if (!r && !m->dom0) {
		r = vb_xen_ctl_hello(m, m->ready_timeout_s, err);
		/* QMP: QEMU's quit when dom0 does not power off. */
		struct vb_error *e = NULL;
		if (!r && vb_qmp_connect(&m->vm.qmp, m->vm.qmp_sock, m->vm.pid, 5, &e))
			vb_warn("%s: no QMP: %s", m->name, e->msg);
		vb_error_free(&e);
	}
	if (r) {
		nested_stop(m, false);
		return nested_with_console(m, m->name, err);
	}
	return 0;
}

static const struct xen_machine_ops nested_machine = {
	.init = nested_init,
	.release = nested_release,
	.running = nested_running,
	.boot = nested_boot,
	.stop = nested_stop,
	.connect = nested_connect,
	.failed = nested_failed,
	.with_console = nested_with_console,
	.guest_info = nested_guest_info,
	.boot_log = nested_boot_log,
};

static int xen_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			 const char *name, struct vb_guest **out, struct vb_error **err)
{
	return vb_xen_provision(ctx, spec, name, &nested_machine, false, out, err);
}

static int dom0_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			  const char *name, struct vb_guest **out, struct vb_error **err)
{
	return vb_xen_provision(ctx, spec, name, &nested_machine, true, out, err);
}

static int xen_boot_parts(struct vb_guest *g, double *host_s, double *guest_s)
{
	if (g->m->dom0 || !g->running)
		return -ENOENT;
	*host_s = g->host_s;
	*guest_s = g->guest_s;
	return 0;
}

static const char *xen_peer_listen(struct vb_guest *g)
{
	return g->net ? vb_net_run_bridge()->host_ip : NULL;
}

/* The whole machine's: QEMU, Xen, dom0 and every domU in it. */
static int xen_footprint(struct vb_guest *g, uint64_t *bytes, struct vb_error **err)
{
	return vb_qemu_vm_footprint(&g->m->vm, bytes, err);
}

int vb_xen_probe_cpu_overcommit(const struct vb_platform_ctx *ctx, const char *name,
				unsigned *pcpus, unsigned *vcpus, struct vb_error **err)
{
	int r = xen_probe(ctx, err);
	if (r)
		return r;
	/* The smallest machine: Xen sees 2 CPUs (one domU vCPU + dom0's), a 64 MiB disk. */
	struct vb_guest_spec spec = { .vcpus = 1,
				      .memory_bytes = (uint64_t)DOMU_MIN_MIB << 20,
				      .disk_bytes = 64ull << 20 };
	struct vb_guest *g;
	r = vb_xen_provision(ctx, &spec, name, &nested_machine, false, &g, err);
	if (r)
		return r;
	*pcpus = g->m->vcpus + 1;
	g->vcpus = *vcpus = *pcpus + 1;
	r = vb_xen_start(g, err);
	vb_xen_destroy(g);
	return r;
}

const struct vb_platform_ops vb_platform_xen = {
	.name = "xen",
	.summary = "Xen PV domU, nested in QEMU/TCG: Xen " VB_XEN_SERIES
		   " and Debian's kernel, agent on the domU's PV console",
	.caps = VB_CAP_EMULATED | VB_CAP_NESTED | VB_CAP_REBOOT | VB_CAP_CLONE | VB_CAP_NETWORK |
		VB_CAP_ROOT_DISK,
	.probe = xen_probe,
	.provision = xen_provision,
	.start = vb_xen_start,
	.exec = vb_xen_exec,
	.reboot = vb_xen_reboot,
	.clone = vb_xen_clone,
	.footprint = xen_footprint,
	.stop = vb_xen_stop,
	.destroy = vb_xen_destroy,
	.agent_hash = vb_xen_agent_hash,
	.guest_info = vb_xen_guest_info,
	.peer_listen = xen_peer_listen,
	.boot_parts = xen_boot_parts,
	.features = vb_xen_features,
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
	.start = vb_xen_start,
	.exec = vb_xen_exec,
	.reboot = vb_xen_reboot,
	.footprint = xen_footprint,
	.stop = vb_xen_stop,
	.destroy = vb_xen_destroy,
	.agent_hash = vb_xen_agent_hash,
	.guest_info = vb_xen_guest_info,
	.peer_listen = xen_peer_listen,
};
