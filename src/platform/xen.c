/* SPDX-License-Identifier: MIT */
/*
 * Xen PV guests, nested in QEMU/TCG (docs/xen.md): QEMU boots Xen 4.17
 * with Debian's kernel as a PV dom0; dom0's /init starts the toolstack and
 * one PV domU whose /init runs the agent on its PV console. dom0 relays the
 * host's virtio-serial port to that console, so the host side is the QEMU
 * platforms' own: a socket, the --sync handshake, the same protocol. Two
 * levels of emulation: every figure is labelled so.
 *
 * xen-local: on a host that is a Xen dom0 itself, the same control loop
 * runs here, a child of virtbench speaking over a socket pair, and each
 * domU's relay connects to a socket virtbench listens on: the same answers,
 * parsed as strictly, the same agent protocol, no QEMU.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/text.h"
#include "core/util.h"
#include "guest/xen.h"
#include "platform/qemu-vm.h"
#include "platform/xen.h"
#include "platform/xen-ctl.h"
#include "platform/xen-xl.h"
#include "runtime/net-run.h"
#include "virtbench/platform.h"

/* dom0's memory: the toolstack in an initramfs, the relays, blkback. */
#define DOM0_MIB 512
/* Xen's own: its heap, frame table and the domUs' page tables. */
#define XEN_MIB 192
/* The domU unpacks its 36 MB initramfs (31 MB of it the agent) into RAM. */
#define DOMU_MIN_MIB 256
/* Room for this many domUs of the guest's size at once (a guest and its clone). */
#define DOMU_ROOM 2
/* Xen, dom0 and the domU boot under TCG: 35 s unloaded, 85 s and more on a busy host. */
#define READY_MIN_S 300
/* quit -> dom0 powers off -> Xen -> QEMU: 2-10 s seen. */
#define STOP_GRACE_MS 30000
/* How long dom0 waits for a domU to power off after its agent's quit, then xl destroy. */
#define DOMU_GRACE_MS 20000
/* VIRTBENCH_XEN_DOM0_TEST's run.sh: its time on top of the ready limit. */
#define TEST_HOOK_S 1200
/* One control request (xl create under TCG on a busy host: 6-40 s seen). */
#define CTL_TIMEOUT_S 180

/*
 * The nested machine: QEMU, Xen, dom0 and its control loop. Its first guest
 * provisions it; clones share it, each in a slot of its own (an agent port
 * and a scratch disk); it powers off when its last guest is destroyed.
 */
struct machine {
	unsigned refs;
	char *name, *dir; /* the first guest's: QEMU's -name and cgroup, the work dir */
	char *run_id;
	char *agent; /* the static agent: xen-local's relay */
	struct vb_qemu_vm vm;
	struct vb_xen x;
	struct vb_channel ctl;	    /* to dom0's control loop (domU machines) */
	unsigned seq;		    /* the last request's */
	bool dom0;		    /* xen-dom0: the agent in dom0 itself, no control loop */
	bool local;		    /* xen-local: this host's Xen, the loop a child of ours */
	pid_t loop;		    /* xen-local: the control loop (-1: not running) */
	int lsock[VB_XENCTL_SLOTS]; /* xen-local: where slot k's relay connects */
	char *loop_log;		    /* xen-local: the loop's output */
	char *domu_initrd;	    /* xen-local: the domU's initramfs (x.kernel its kernel) */
	bool net;	   /* a tap on the run's bridge: dom0's eth0, bridged to the domUs */
	uint64_t domu_mib; /* sizing: a domU of the first guest's size */
	unsigned vcpus;
	uint64_t disk_bytes;
	char *disk[VB_XENCTL_SLOTS]; /* slot k's scratch image: xvda of the domU there */
	char *sock[VB_XENCTL_SLOTS]; /* slot k's agent port */
	struct vb_guest *slot[VB_XENCTL_SLOTS];
	double ready_timeout_s;
};

struct vb_guest {
	char *name;
	struct machine *m;
	unsigned slot;
	struct vb_channel ch; /* to the domU's agent (xen-dom0: m->vm.ch) */
	bool running;	      /* its domU exists (xen-dom0: the machine runs) */
	unsigned vcpus;	      /* the domU's */
	uint64_t memory;      /* the domU's */
	bool net;	      /* an address on the run's bridge */
	char ip[20];
	double job_timeout_s;
	char hash[65];
	double host_s, guest_s; /* the last start: dom0's boot (0: it was up), the domU's */
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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
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
	if (!best)
		return NULL;
	/* What the guest printed: cleaned of escape sequences before anyone prints it. */
	_cleanup_free_ char *cut = xstrndup(best, 300);
	return vb_text_clean(cut);
}

/* Is the machine up: QEMU (nested), or the control loop (xen-local)? */
static bool machine_running(const struct machine *m)
{
	return m->local ? m->loop > 0 : m->vm.running;
}

static int with_console(struct machine *m, const char *name, struct vb_error **err)
{
	if (m->local) {
		_cleanup_free_ char *said = vb_qemu_last_line(m->loop_log);
		return vb_error_wrap(err, "%s (xl control loop: %s)", name,
				     said ? said : "nothing printed");
	}
	if (!vb_proc_alive(m->vm.pid))
		vb_qemu_vm_flush_logs(&m->vm);
	_cleanup_free_ char *why = console_hint(m->vm.console);
	_cleanup_free_ char *qemu_said = vb_qemu_last_line(m->vm.log);
	return vb_error_wrap(err, "%s (console: %s%s%s)", name, why ? why : "nothing printed",
			     qemu_said ? "; QEMU said: " : "", qemu_said ? qemu_said : "");
}

/*
 * One request to dom0's control loop and its answer (docs/xen.md). Answers
 * to earlier requests (the repeated hellos of the boot) are skipped. 0; -EIO
 * with dom0's msg= when it refused or failed; anything else leaves the
 * channel unusable.
 */
static int ctl_request(struct machine *m, double timeout_s, struct vb_xenctl_answer *a,
		       struct vb_error **err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int ctl_request(struct machine *m, double timeout_s, struct vb_xenctl_answer *a,
		       struct vb_error **err, const char *fmt, ...)
{
	if (m->ctl.rfd < 0)
		return vb_error_set(err, -ENOTCONN, "%s: dom0's control channel is closed",
				    m->name);
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *req = NULL;
	if (vasprintf(&req, fmt, ap) < 0)
		VB_BUG("out of memory");
	va_end(ap);
	unsigned seq = ++m->seq;
	_cleanup_free_ char *line = xasprintf("%u %s", seq, req);
	int r = vb_channel_send(&m->ctl, line);
	if (r)
		return vb_error_errno(err, -r, "%s: sending '%s' to dom0", m->name, req);
	double end = now_s() + timeout_s;
	for (;;) {
		double left = end - now_s();
		char *got;
		size_t len;
		r = left <= 0 ? -ETIMEDOUT
			      : vb_channel_recv(&m->ctl, (int)(left * 1000) + 1, &vb_interrupted,
						&got, &len);
		if (r == -E2BIG)
			return vb_error_set(err, -EPROTO,
					    "%s: dom0's answer to '%s' is longer than %d bytes",
					    m->name, req, VB_XENCTL_MAX_LINE);
		if (r)
			return vb_error_errno(err, -r, "%s: dom0's answer to '%s'", m->name, req);
		r = vb_xenctl_parse(got, len, a, err);
		if (r)
			return vb_error_wrap(err, "%s: '%s'", m->name, req);
		if (a->seq < seq)
			continue;
		if (a->seq > seq)
			return vb_error_set(err, -EPROTO,
					    "%s: dom0 answered request %u, the last sent is %u",
					    m->name, a->seq, seq);
		if (!a->ok)
			return vb_error_set(err, -EIO, "%s: dom0: %s: %s", m->name, req, a->msg);
		vb_debug("%s: dom0: %s: ok in %lld ms", m->name, req, a->ms);
		return 0;
	}
}

/*
 * Until dom0's control loop answers: a hello every second while the port
 * takes it (xen-local: m->ctl is the loop's socket pair already).
 */
static int ctl_hello(struct machine *m, double timeout_s, struct vb_error **err)
{
	int r =
	    m->local ? 0 : vb_qemu_vm_connect(&m->vm, m->vm.sock, &m->ctl, VB_XENCTL_MAX_LINE, err);
	if (r)
		return r;
	m->seq = 1;
	double end = now_s() + timeout_s, next = 0;
	for (;;) {
		double t = now_s();
		if (t > end)
			return vb_error_set(err, -ETIMEDOUT,
					    "%s: dom0's control loop did not answer in %.0f s",
					    m->name, timeout_s);
		if (t >= next) {
			if (vb_channel_writable(&m->ctl) &&
			    (r = vb_channel_send(&m->ctl, "1 hello"))) {
				r = vb_error_errno(err, -r, "%s: dom0's control channel", m->name);
				return m->local ? r : vb_qemu_vm_exited_at_start(&m->vm, r, err);
			}
			next = t + 1;
		}
		char *got;
		size_t len;
		r = vb_channel_recv(&m->ctl, 500, &vb_interrupted, &got, &len);
		if (r == -ETIMEDOUT)
			continue;
		if (r) {
			r = vb_error_errno(err, -r, "%s: waiting for dom0's control loop", m->name);
			return m->local || r == -EINTR ? r
						       : vb_qemu_vm_exited_at_start(&m->vm, r, err);
		}
		struct vb_xenctl_answer a;
		if ((r = vb_xenctl_parse(got, len, &a, err)))
			return r;
		if (a.seq != 1 || !a.ok)
			return vb_error_set(err, -EPROTO, "%s: dom0 did not answer the hello",
					    m->name);
		vb_debug("%s: dom0's control loop up at %lld ms of its uptime", m->name, a.up);
		return 0;
	}
}

static void local_stop(struct machine *m, bool clean);

/* Power the machine off: dom0 on request (or the agent's quit in dom0), then signals. */
static void machine_stop(struct machine *m, bool clean)
{
	if (m->local) {
		local_stop(m, clean);
		return;
	}
	if (!m->vm.running)
		return;
	struct vb_xenctl_answer a;
	struct vb_error *e = NULL;
	if (clean && !m->dom0 && !vb_interrupted)
		clean = ctl_request(m, 10, &a, &e, "poweroff") == 0;
	vb_error_free(&e);
	vb_channel_release(&m->ctl);
	vb_qemu_vm_stop(&m->vm, clean && !vb_interrupted ? STOP_GRACE_MS : 0);
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++)
		if (m->slot[k]) {
			vb_channel_release(&m->slot[k]->ch);
			m->slot[k]->running = false;
		}
}

static void machine_unref(struct machine *m)
{
	if (!m || --m->refs)
		return;
	machine_stop(m, true);
	if (m->net)
		vb_net_run_guest_leave(m->name);
	if (!m->local)
		vb_qemu_vm_release(&m->vm);
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++)
		if (m->lsock[k] >= 0)
			close(m->lsock[k]);
	free(m->loop_log);
	free(m->agent);
	free(m->domu_initrd);
	if (m->dir)
		vb_rm_rf(m->dir);
	vb_xen_release(&m->x);
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++) {
		free(m->disk[k]);
		free(m->sock[k]);
	}
	free(m->name);
	free(m->dir);
	free(m->run_id);
	free(m);
}

/* QEMU's -initrd lists multiboot modules as "path args,path": no comma or space in a path. */
static bool module_path_ok(const char *p)
{
	return !strpbrk(p, ", ");
}

/* A sparse file of size bytes: a slot's disk until a clone copies one into it. */
static int make_sparse(const char *path, uint64_t size, struct vb_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return vb_error_errno(err, errno, "creating %s", path);
	return 0;
}

/* A path xl's configuration takes inside quotes and a disk spec: no quote, comma or space. */
static bool xl_path_ok(const char *p)
{
	return !strpbrk(p, "\"',\\ \t\n=");
}

/* A small file of the loop's state directory (the host's side of it). */
static int state_file(struct machine *m, const char *file, const char *value, struct vb_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", m->dir, file);
	_cleanup_free_ char *text = xasprintf("%s\n", value);
	int r = vb_write_file_replace(path, text, strlen(text));
	return r ? vb_error_errno(err, -r, "writing %s", path) : 0;
}

/*
 * xen-local's share of a new machine: the domU's kernel and initramfs, the
 * Xen version, and the loop's state files (each slot's port and disk).
 */
static int local_new(const struct vb_platform_ctx *ctx, struct machine *m, struct vb_error **err)
{
	int r = vb_xen_domu_files(ctx->agent_path, &m->x.kernel, &m->domu_initrd,
				  &m->x.kernel_version, err);
	if (r)
		return r;
	if (!xl_path_ok(m->x.kernel) || !xl_path_ok(m->domu_initrd) || !xl_path_ok(m->dir) ||
	    !xl_path_ok(ctx->agent_path))
		return vb_error_set(err, -EINVAL,
				    "%s: xl's configuration cannot take %s, %s, %s or %s (a quote, "
				    "comma or space in a path?)",
				    m->name, m->x.kernel, m->domu_initrd, m->dir, ctx->agent_path);
	char *info[] = { "info", NULL };
	_cleanup_free_ char *out = NULL;
	if ((r = vb_xl_run(info, 60000, &out, err)))
		return r;
	m->x.version = vb_xl_info_field(out, "xen_version");
	if (!m->x.version)
		return vb_error_set(err, -EPROTO, "%s: xl info names no xen_version", m->name);
	m->loop_log = xasprintf("%s/xl-loop.log", m->dir);
	for (unsigned k = 0; !r && k < VB_XENCTL_SLOTS; k++) {
		_cleanup_free_ char *port = xasprintf("slot%u.port", k);
		_cleanup_free_ char *disk = xasprintf("slot%u.disk", k);
		free(m->sock[k]);
		m->sock[k] = xasprintf("%s/agent%u.sock", m->dir, k);
		r = state_file(m, port, m->sock[k], err);
		if (!r)
			r = state_file(m, disk, m->disk[k], err);
	}
	return r;
}

static int machine_new(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		       const char *name, bool dom0, bool local, struct machine **out,
		       struct vb_error **err)
{
	struct machine *m = xcalloc(1, sizeof(*m));
	m->refs = 1;
	m->name = xstrdup(name);
	m->run_id = xstrdup(ctx->run_id);
	m->agent = xstrdup(ctx->agent_path);
	m->dom0 = dom0;
	m->local = local;
	m->loop = -1;
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++)
		m->lsock[k] = -1;
	m->dir = xasprintf("%s/%s", ctx->work_dir, name);
	m->disk_bytes = spec->disk_bytes ? spec->disk_bytes : 4ull << 30;
	m->ready_timeout_s =
	    ctx->ready_timeout_s > READY_MIN_S ? ctx->ready_timeout_s : READY_MIN_S;
	/* The test hook's run.sh runs before dom0's agent says hello. */
	const char *test = getenv("VIRTBENCH_XEN_DOM0_TEST");
	if (dom0 && test && *test)
		m->ready_timeout_s += TEST_HOOK_S;
	m->ctl.rfd = m->ctl.wfd = -1;
	int r = 0;
	if (mkdir(m->dir, 0700) < 0) {
		r = vb_error_errno(err, errno, "%s: creating %s", name, m->dir);
		free(m->dir);
		m->dir = NULL;
	}
	if (!r && !local)
		r = vb_xen_get(ctx->agent_path, &m->x, err);
	if (!r && !local && (!module_path_ok(m->x.kernel) || !module_path_ok(m->x.dom0_initrd)))
		r = vb_error_set(err, -EINVAL,
				 "%s: QEMU's multiboot list cannot take %s or %s (a comma or a "
				 "space in VIRTBENCH_CACHE_DIR?)",
				 name, m->x.kernel, m->x.dom0_initrd);
	for (unsigned k = 0; !r && k < (dom0 ? 1 : VB_XENCTL_SLOTS); k++) {
		m->disk[k] = k ? xasprintf("%s/scratch%u.img", m->dir, k)
			       : xasprintf("%s/scratch.img", m->dir);
		m->sock[k] = k ? xasprintf("%s/agent%u.sock", m->dir, k) : NULL;
		r = k ? make_sparse(m->disk[k], m->disk_bytes, err)
		      : vb_qemu_make_disk(m->disk[k], m->disk_bytes, err);
	}
	if (!r && local)
		r = local_new(ctx, m, err);
	if (!r && !local)
		r = vb_qemu_vm_init(&m->vm, name, m->dir, true, err);
	if (!r && !local) {
		/* Slot 0's agent port is the QEMU platforms' own; the control port takes its
		 * socket. */
		m->sock[0] = dom0 ? xstrdup(m->vm.sock) : xasprintf("%s/agent0.sock", m->dir);
		if (!dom0) {
			free(m->vm.sock);
			m->vm.sock = xasprintf("%s/ctl.sock", m->dir);
		}
	}
	if (r) {
		machine_unref(m);
		return r;
	}
	*out = m;
	return 0;
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
static int machine_boot(struct machine *m, const char *ip, struct vb_error **err)
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
	if (!r && !m->dom0) {
		r = ctl_hello(m, m->ready_timeout_s, err);
		/* QMP: QEMU's quit when dom0 does not power off. */
		struct vb_error *e = NULL;
		if (!r && vb_qmp_connect(&m->vm.qmp, m->vm.qmp_sock, m->vm.pid, 5, &e))
			vb_warn("%s: no QMP: %s", m->name, e->msg);
		vb_error_free(&e);
	}
	if (r) {
		machine_stop(m, false);
		return with_console(m, m->name, err);
	}
	return 0;
}

/* A listening unix socket at path, for a relay to connect to. */
static int listen_at(const char *path, int *out, struct vb_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return vb_error_set(err, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return vb_error_errno(err, e, "listening on %s", path);
	}
	*out = fd;
	return 0;
}

/*
 * xen-local's "boot": the control loop, a child in a session of its own
 * (a Ctrl-C reaches virtbench, which asks it to clean up), on a socket
 * pair as fd 6, its output in loop_log; then its hello. No parent-death
 * signal: when virtbench dies the loop reads end of file and destroys its
 * domUs itself.
 */
static int local_boot(struct machine *m, struct vb_error **err)
{
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++) {
		if (m->lsock[k] >= 0)
			continue;
		int r = listen_at(m->sock[k], &m->lsock[k], err);
		if (r)
			return r;
	}
	int sv[2], ep[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return vb_error_errno(err, errno, "%s: socketpair", m->name);
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return vb_error_errno(err, e, "%s: pipe", m->name);
	}
	/* Its environment: ours and the loop's variables, made before the fork. */
	extern char **environ;
	size_t ne = 0;
	while (environ[ne])
		ne++;
	char **env = xcalloc(ne + 6, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < ne; i++)
		if (strncmp(environ[i], "VB_", 3))
			env[k++] = environ[i];
	char *vars[] = {
		xasprintf("VB_STATE=%s", m->dir),
		xasprintf("VB_AGENT=%s", m->agent),
		xasprintf("VB_KERNEL=%s", m->x.kernel),
		xasprintf("VB_RAMDISK=%s", m->domu_initrd),
		xstrdup("VB_BRIDGE="),
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(vars); i++)
		env[k++] = vars[i];
	int logfd = open(m->loop_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid_t pid = logfd < 0 ? -1 : fork();
	if (pid == 0) {
		/* Between fork and exec: report a failure through the pipe, then _exit. */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (setsid() < 0 || null < 0 || dup2(null, 0) < 0 || dup2(logfd, 1) < 0 ||
		    dup2(logfd, 2) < 0)
			goto fail;
		/* The channel is fd 6 in the loop; dup2 onto itself would keep its CLOEXEC. */
		if (sv[1] == 6 ? fcntl(6, F_SETFD, 0) < 0 : dup2(sv[1], 6) < 0)
			goto fail;
		vb_proc_child_signals();
		char *argv[] = { "sh", "-c", (char *)vb_xen_local_loop(), NULL };
		execve("/bin/sh", argv, env);
	fail:;
		int e = errno;
		(void)!write(ep[1], &e, sizeof(e));
		_exit(127);
	}
	int e = pid < 0 ? errno : 0;
	for (size_t i = 0; i < VB_ARRAY_SIZE(vars); i++)
		free(vars[i]);
	free(env);
	close(sv[1]);
	close(ep[1]);
	if (logfd >= 0)
		close(logfd);
	if (!e && read(ep[0], &e, sizeof(e)) == sizeof(e))
		waitpid(pid, NULL, 0);
	close(ep[0]);
	if (pid < 0 || e) {
		close(sv[0]);
		return vb_error_errno(err, e ? e : EIO,
				      "%s: starting the xl control loop (/bin/sh)", m->name);
	}
	m->loop = pid;
	vb_channel_init(&m->ctl, sv[0], sv[0], VB_XENCTL_MAX_LINE);
	int r = ctl_hello(m, 60, err);
	if (r) {
		local_stop(m, false);
		return with_console(m, m->name, err);
	}
	return 0;
}

/*
 * The loop ends: on request (poweroff: it destroys what it made), or when
 * its channel closes (the same, by itself). Whatever of the run's domUs
 * is left after it (it was killed) goes with xl destroy.
 */
static void local_stop(struct machine *m, bool clean)
{
	if (m->loop <= 0)
		return;
	struct vb_xenctl_answer a;
	struct vb_error *e = NULL;
	if (clean && !vb_interrupted && ctl_request(m, 60, &a, &e, "poweroff"))
		vb_warn("%s: %s", m->name, e->msg);
	vb_error_free(&e);
	vb_channel_release(&m->ctl);
	int st = vb_proc_reap(m->loop, 60000);
	m->loop = -1;
	bool ended = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++) {
		struct vb_guest *g = m->slot[k];
		if (!g)
			continue;
		vb_channel_release(&g->ch);
		/* Whether or not it ran: a stop that failed may have left it behind. */
		if (!ended) {
			char *destroy[] = { "destroy", g->name, NULL };
			_cleanup_free_ char *out = NULL;
			if (!vb_xl_run(destroy, 60000, &out, &e))
				vb_info("%s: destroyed its domain after the xl loop", g->name);
			vb_error_free(&e);
		}
		g->running = false;
	}
}

/* Drop connections left from a relay whose session never reached us. */
static void local_drain(struct machine *m, unsigned slot)
{
	int fd;
	while ((fd = accept4(m->lsock[slot], NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(fd);
}

/* xen-local: the relay of slot's domU connects; ch gets that connection. */
static int local_accept(struct machine *m, unsigned slot, struct vb_channel *ch,
			struct vb_error **err)
{
	double end = now_s() + m->ready_timeout_s;
	for (;;) {
		int fd = accept4(m->lsock[slot], NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			vb_channel_init(ch, fd, fd, 65536);
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return vb_error_errno(err, errno, "%s: accepting slot %u's relay", m->name,
					      slot);
		if (vb_interrupted)
			return vb_error_set(err, -EINTR, "%s: interrupted", m->name);
		double left = end - now_s();
		if (left <= 0)
			return vb_error_set(err, -ETIMEDOUT,
					    "%s: slot %u's relay did not connect in %.0f s",
					    m->name, slot, m->ready_timeout_s);
		struct pollfd p = { .fd = m->lsock[slot], .events = POLLIN };
		poll(&p, 1, left > 0.5 ? 500 : (int)(left * 1000) + 1);
	}
}

static void guest_free(struct vb_guest *g)
{
	vb_channel_release(&g->ch);
	if (g->m && g->m->slot[g->slot] == g)
		g->m->slot[g->slot] = NULL;
	if (g->net && (!g->m || strcmp(g->name, g->m->name)))
		vb_net_run_guest_leave(g->name);
	machine_unref(g->m);
	free(g->name);
	free(g);
}

static struct vb_guest *guest_new(struct machine *m, unsigned slot, const char *name)
{
	struct vb_guest *g = xcalloc(1, sizeof(*g));
	g->name = xstrdup(name);
	g->m = m;
	g->slot = slot;
	g->ch.rfd = g->ch.wfd = -1;
	m->slot[slot] = g;
	if (m->local) {
		/* The loop names the slot's domU after the guest: the sweep finds it so. */
		_cleanup_free_ char *file = xasprintf("slot%u.name", slot);
		struct vb_error *e = NULL;
		if (state_file(m, file, name, &e))
			vb_warn("%s", e->msg);
		vb_error_free(&e);
	}
	return g;
}

static int provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		     const char *name, bool dom0, bool local, struct vb_guest **out,
		     struct vb_error **err)
{
	if (local && spec->net != VB_NET_NONE)
		return vb_error_set(err, VB_SKIP,
				    "%s: xen-local has no network yet (a domU's vif on the run's "
				    "bridge is not built): w3 workloads run on xen, nested",
				    name);
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
	struct machine *m;
	int r = machine_new(ctx, spec, name, dom0, local, &m, err);
	if (r)
		return r;
	struct vb_guest *g = guest_new(m, 0, name);
	g->vcpus = m->vcpus = spec->vcpus ? spec->vcpus : 1;
	g->memory = mem;
	m->domu_mib = mem >> 20;
	g->job_timeout_s = ctx->job_timeout_s;
	if (vb_sha256_file(ctx->agent_path, g->hash))
		r = vb_error_set(err, -EIO, "%s: cannot read the agent", name);
	if (!r && spec->net == VB_NET_BRIDGED) {
		r = vb_net_run_guest_join(ctx->run_id, name, g->ip, err);
		g->net = m->net = r == 0;
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
	return provision(ctx, spec, name, false, false, out, err);
}

static int local_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			   const char *name, struct vb_guest **out, struct vb_error **err)
{
	return provision(ctx, spec, name, false, true, out, err);
}

static int dom0_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			  const char *name, struct vb_guest **out, struct vb_error **err)
{
	return provision(ctx, spec, name, true, false, out, err);
}

/*
 * The domU's agent quits and powers its domU off; dom0 waits for that, else
 * destroys it (grace_ms 0: xl destroy at once). A control channel that fails
 * takes the machine down: nobody knows what runs in it then.
 */
static void domu_stop(struct vb_guest *g, int grace_ms)
{
	struct machine *m = g->m;
	if (grace_ms)
		vb_agent_client_quit(&g->ch);
	vb_channel_release(&g->ch);
	if (!g->running)
		return;
	g->running = false;
	struct vb_xenctl_answer a;
	struct vb_error *e = NULL;
	if (vb_interrupted ||
	    ctl_request(m, grace_ms / 1000.0 + 30, &a, &e, "destroy %u %d", g->slot, grace_ms)) {
		if (e)
			vb_warn("%s: %s: powering the machine off", g->name, e->msg);
		machine_stop(m, false);
	}
	vb_error_free(&e);
}

static int xen_stop(struct vb_guest *g, struct vb_error **err)
{
	(void)err;
	if (g->m->dom0) {
		/* The agent is dom0's: the machine goes. */
		machine_stop(g->m, g->running && !vb_interrupted);
		g->running = false;
		return 0;
	}
	domu_stop(g, g->running && !vb_interrupted ? DOMU_GRACE_MS : 0);
	return 0;
}

/* The domU's agent, to its hello through dom0's relay. */
static int domu_hello(struct vb_guest *g, struct vb_error **err)
{
	struct machine *m = g->m;
	int r = m->local ? local_accept(m, g->slot, &g->ch, err)
			 : vb_qemu_vm_connect(&m->vm, m->sock[g->slot], &g->ch, 65536, err);
	struct vb_event hello;
	if (!r)
		r = vb_agent_client_hello_sync(&g->ch, m->ready_timeout_s, &hello, err);
	if (r && r != -EINTR && !m->local)
		r = vb_qemu_vm_exited_at_start(&m->vm, r, err);
	if (!r)
		vb_event_release(&hello);
	return r;
}

/* "VCPUS MEM [IP GW]" of a create or reboot request. */
static char *domu_args(const struct vb_guest *g)
{
	if (!g->net)
		return xasprintf("%u %llu", g->vcpus, (unsigned long long)(g->memory >> 20));
	return xasprintf("%u %llu %s %s", g->vcpus, (unsigned long long)(g->memory >> 20), g->ip,
			 vb_net_run_bridge()->host_ip);
}

static int xen_start(struct vb_guest *g, struct vb_error **err)
{
	struct machine *m = g->m;
	if (g->running)
		return 0;
	double t0 = now_s();
	g->host_s = g->guest_s = 0;
	if (!machine_running(m)) {
		int r = m->local ? local_boot(m, err) : machine_boot(m, g->net ? g->ip : NULL, err);
		if (r)
			return r;
		g->host_s = now_s() - t0;
	}
	if (m->dom0) {
		vb_channel_release(&g->ch);
		g->running = true;
		return 0;
	}
	double t1 = now_s();
	g->running = true;
	struct vb_xenctl_answer a;
	_cleanup_free_ char *args = domu_args(g);
	if (m->local)
		local_drain(m, g->slot);
	int r = ctl_request(m, CTL_TIMEOUT_S, &a, err, "create %u %s", g->slot, args);
	if (!r)
		r = domu_hello(g, err);
	if (r) {
		/* dom0 destroys whatever of the domU there is (nothing when xl create failed). */
		domu_stop(g, 0);
		return with_console(m, g->name, err);
	}
	g->guest_s = now_s() - t1;
	return 0;
}

/* The agent's channel: xen-dom0's is the machine's own. */
static struct vb_channel *agent_channel(struct vb_guest *g)
{
	return g->m->dom0 ? &g->m->vm.ch : &g->ch;
}

static int xen_exec(struct vb_guest *g, const struct vb_job *job, vb_event_cb cb, void *data,
		    struct vb_error **err)
{
	if (!g->running)
		return vb_error_set(err, -ESRCH, "%s is not running", g->name);
	bool broken;
	int r = vb_agent_client_run(agent_channel(g), job, "/scratch", g->job_timeout_s, cb, data,
				    &broken, err);
	if (broken)
		xen_stop(g, NULL);
	return r;
}

/*
 * The domU alone: its agent quits, dom0 waits for the domU to go and
 * creates it again (one request, timed in dom0 too); QEMU, Xen and dom0
 * stay up and the scratch disk is kept. xen-dom0: the whole machine again.
 */
static int xen_reboot(struct vb_guest *g, struct vb_error **err)
{
	struct machine *m = g->m;
	if (m->dom0 || !g->running || !machine_running(m)) {
		int r = xen_stop(g, err);
		return r ? r : xen_start(g, err);
	}
	vb_agent_client_quit(&g->ch);
	vb_channel_release(&g->ch);
	struct vb_xenctl_answer a;
	_cleanup_free_ char *args = domu_args(g);
	if (m->local)
		local_drain(m, g->slot);
	int r = ctl_request(m, DOMU_GRACE_MS / 1000.0 + CTL_TIMEOUT_S, &a, err, "reboot %u %d %s",
			    g->slot, DOMU_GRACE_MS, args);
	if (!r)
		r = domu_hello(g, err);
	if (r) {
		domu_stop(g, 0);
		return with_console(m, g->name, err);
	}
	return 0;
}

/*
 * Copy src into dst's inode in place (QEMU holds dst open as a slot's disk):
 * dst emptied (hole-punched), then src's data extents copied at their
 * offsets, so a sparse 4 GiB image costs what it holds. The domU on dst's
 * slot sees it through blkback, which bypasses dom0's page cache.
 */
static int copy_into(const char *src, const char *dst, struct vb_error **err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CLOEXEC);
	struct stat st;
	if (in < 0 || out < 0 || fstat(in, &st) < 0)
		return vb_error_errno(err, errno, "opening %s and %s", src, dst);
	if (fallocate(out, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, st.st_size) < 0)
		return vb_error_errno(err, errno, "emptying %s", dst);
	off_t pos = 0;
	while (pos < st.st_size) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			return vb_error_errno(err, errno, "reading %s", src);
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return vb_error_errno(err, errno, "reading %s", src);
		loff_t from = data, to = data;
		while (from < hole) {
			ssize_t n = copy_file_range(in, &from, out, &to, (size_t)(hole - from), 0);
			if (n <= 0)
				return vb_error_errno(err, n < 0 ? errno : EIO, "copying %s to %s",
						      src, dst);
		}
		pos = hole;
	}
	if (fsync(out) < 0)
		return vb_error_errno(err, errno, "writing %s", dst);
	return 0;
}

/*
 * A second domU in the same Xen: a free slot of g's machine gets a copy of
 * g's scratch disk (g must be stopped, so its disk is quiet) and will run
 * the same kernel and initramfs. The copy is made on the host, into the
 * slot's image: a copy in dom0 would read the whole disk under TCG (a block
 * device has no holes).
 */
static int xen_clone(struct vb_guest *g, const char *name, struct vb_guest **out,
		     struct vb_error **err)
{
	struct machine *m = g->m;
	if (m->dom0)
		return vb_error_set(err, VB_SKIP, "%s: xen-dom0 has no domU to clone", g->name);
	if (g->running)
		return vb_error_set(err, -EBUSY, "%s: stop it before cloning it", g->name);
	unsigned k = 0;
	while (k < VB_XENCTL_SLOTS && m->slot[k])
		k++;
	if (k == VB_XENCTL_SLOTS)
		return vb_error_set(err, -ENOSPC,
				    "%s: its machine has no free domU slot (%d in all)", g->name,
				    VB_XENCTL_SLOTS);
	int r = copy_into(m->disk[g->slot], m->disk[k], err);
	if (r)
		return vb_error_wrap(err, "%s: cloning its disk into slot %u", g->name, k);
	struct vb_guest *c = guest_new(m, k, name);
	m->refs++;
	c->vcpus = g->vcpus;
	c->memory = g->memory;
	c->job_timeout_s = g->job_timeout_s;
	memcpy(c->hash, g->hash, sizeof(c->hash));
	if (g->net) {
		r = vb_net_run_guest_join(m->run_id, name, c->ip, err);
		c->net = r == 0;
	}
	if (r) {
		guest_free(c);
		return r;
	}
	*out = c;
	return 0;
}

/* Its domU goes with xl destroy; the machine with its last guest. */
static void xen_destroy(struct vb_guest *g)
{
	if (!g)
		return;
	if (g->m->dom0)
		xen_stop(g, NULL);
	else
		domu_stop(g, 0);
	guest_free(g);
}

static int xen_boot_parts(struct vb_guest *g, double *host_s, double *guest_s)
{
	if (g->m->dom0 || !g->running)
		return -ENOENT;
	*host_s = g->host_s;
	*guest_s = g->guest_s;
	return 0;
}

static const char *xen_agent_hash(struct vb_guest *g)
{
	return g->hash;
}

static char *xen_guest_info(struct vb_guest *g)
{
	_cleanup_json_ json_t *o = json_object();
	json_object_set_new(o, "xen", json_string(g->m->x.version));
	json_object_set_new(o, "kernel", json_string(g->m->x.kernel_version));
	json_object_set_new(o, "agent_in", json_string(g->m->dom0 ? "dom0" : "PV domU"));
	if (!g->m->local) {
		json_object_set_new(o, "nested", json_string("QEMU/TCG"));
		return vb_json_line(o);
	}
	/* What xen-local found this dom0 to be, read rather than assumed. */
	json_object_set_new(o, "dom0", json_string("real (this host, driven with its own xl)"));
	_cleanup_free_ char *cpuinfo = NULL, *model = NULL, *vendor = NULL, *product = NULL;
	if (vb_read_file("/proc/cpuinfo", 1 << 20, &cpuinfo, NULL) >= 0)
		model = vb_cpuinfo_model(cpuinfo);
	json_t *cj = model ? json_string(model) : NULL;
	json_object_set_new(o, "cpu", cj ? cj : json_null());
	if (vb_read_file("/sys/class/dmi/id/sys_vendor", 256, &vendor, NULL) >= 0)
		vendor[strcspn(vendor, "\n")] = '\0';
	if (vb_read_file("/sys/class/dmi/id/product_name", 256, &product, NULL) >= 0)
		product[strcspn(product, "\n")] = '\0';
	_cleanup_free_ char *machine =
	    vendor ? xasprintf("%s%s%s", vendor, product ? " " : "", product ? product : "") : NULL;
	json_t *mj = machine ? json_string(machine) : NULL;
	json_object_set_new(o, "machine", mj ? mj : json_null());
	json_object_set_new(o, "nested",
			    vb_xen_local_emulation() == 2
				? json_string("Xen itself in QEMU/TCG (this dom0's CPU is TCG's)")
				: json_null());
	return vb_json_line(o);
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
	int r = xen_probe(err);
	if (r)
		return r;
	/* The smallest machine: Xen sees 2 CPUs (one domU vCPU + dom0's), a 64 MiB disk. */
	struct vb_guest_spec spec = { .vcpus = 1,
				      .memory_bytes = (uint64_t)DOMU_MIN_MIB << 20,
				      .disk_bytes = 64ull << 20 };
	struct vb_guest *g;
	r = provision(ctx, &spec, name, false, false, &g, err);
	if (r)
		return r;
	*pcpus = g->m->vcpus + 1;
	g->vcpus = *vcpus = *pcpus + 1;
	r = xen_start(g, err);
	xen_destroy(g);
	return r;
}

const struct vb_platform_ops vb_platform_xen = {
	.name = "xen",
	.summary = "Xen PV domU, nested in QEMU/TCG: Xen " VB_XEN_SERIES
		   " and Debian's kernel, agent on the domU's PV console",
	.caps = VB_CAP_EMULATED | VB_CAP_NESTED | VB_CAP_REBOOT | VB_CAP_CLONE | VB_CAP_NETWORK,
	.probe = xen_probe,
	.provision = xen_provision,
	.start = xen_start,
	.exec = xen_exec,
	.reboot = xen_reboot,
	.clone = xen_clone,
	.footprint = xen_footprint,
	.stop = xen_stop,
	.destroy = xen_destroy,
	.agent_hash = xen_agent_hash,
	.guest_info = xen_guest_info,
	.peer_listen = xen_peer_listen,
	.boot_parts = xen_boot_parts,
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

/*
 * A host that is a Xen dom0 itself: the same control loop and relays, run
 * here as virtbench's children, drive its own xl (docs/xen.md). No dom0
 * boot: a start is the domU's. Labelled by what the host is (emulation: 2
 * when this dom0's CPU is QEMU's TCG, as in the test that runs it inside
 * xen's nested dom0).
 */
const struct vb_platform_ops vb_platform_xen_local = {
	.name = "xen-local",
	.summary = "Xen PV domU made by this host's own xl (this host is a Xen dom0), agent on "
		   "the domU's PV console",
	.caps = VB_CAP_REBOOT | VB_CAP_CLONE,
	.probe = vb_xen_local_probe,
	.provision = local_provision,
	.start = xen_start,
	.exec = xen_exec,
	.reboot = xen_reboot,
	.clone = xen_clone,
	.stop = xen_stop,
	.destroy = xen_destroy,
	.agent_hash = xen_agent_hash,
	.guest_info = xen_guest_info,
	.emulation = vb_xen_local_emulation,
	.found = vb_xen_local_found,
	.sweep = vb_xen_local_sweep,
};
