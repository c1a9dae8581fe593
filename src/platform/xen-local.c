/* SPDX-License-Identifier: MIT */
/*
 * xen-local: on a host that is a Xen dom0 itself, the same control loop
 * runs here, a child of virtbench speaking over a socket pair, and each
 * domU's relay connects to a socket virtbench listens on: the same answers,
 * parsed as strictly, the same agent protocol, no QEMU. The domU operations are xen-domu.c's,
 * shared with the nested machine; this file is the machine they call
 * (local_machine).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"
#include "guest/xen.h"
#include "platform/xen-ctl.h"
#include "platform/xen-machine.h"
#include "platform/xen-xl.h"
#include "virtbench/platform.h"

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

static int local_probe(const struct vb_platform_ctx *ctx, struct vb_error **err)
{
	(void)ctx;
	return vb_xen_local_probe(err);
}

/*
 * Slot k's Debian root: a copy of from (the image's disk, or another slot's
 * root for a clone) in the work directory, given to its domU as xvdb
 * (phy:, on a loop device as the scratch disk). A copy, not an overlay: xl's
 * phy: takes no qcow2 without QEMU in dom0.
 */
static int root_copy(struct machine *m, const char *from, unsigned k, struct vb_error **err)
{
	if (!m->root[k])
		m->root[k] =
		    k ? xasprintf("%s/root%u.img", m->dir, k) : xasprintf("%s/root.img", m->dir);
	int r = vb_xen_copy_disk(from, m->root[k], err);
	_cleanup_free_ char *file = xasprintf("slot%u.root", k);
	if (!r)
		r = state_file(m, file, m->root[k], err);
	return r;
}

static int local_clone_root(struct machine *m, unsigned from, unsigned to, struct vb_error **err)
{
	return root_copy(m, m->root[from], to, err);
}

/*
 * xen-local's share of a new machine: the domU's kernel and initramfs, the
 * Xen version, and the loop's state files (each slot's port and disk; slot
 * 0's root with a Debian image).
 */
static int local_init(const struct vb_platform_ctx *ctx, struct machine *m, struct vb_error **err)
{
	int r = vb_xen_domu_files(ctx->agent_path, ctx->kernel, ctx->kernel_modules, &m->x.kernel,
				  &m->domu_initrd, &m->x.kernel_version, err);
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
	if (!r && ctx->image && ctx->image->disk) {
		m->image = ctx->image;
		r = root_copy(m, ctx->image->disk, 0, err);
	}
	return r;
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

/* What the loop says last, naming name. */
static int local_with_console(struct machine *m, const char *name, struct vb_error **err)
{
	_cleanup_free_ char *said = vb_qemu_last_line(m->loop_log);
	return vb_error_wrap(err, "%s (xl control loop: %s)", name,
			     said ? said : "nothing printed");
}

static void local_stop(struct machine *m, bool clean);

/*
 * xen-local's "boot": the control loop, a child in a session of its own
 * (a Ctrl-C reaches virtbench, which asks it to clean up), on a socket
 * pair as fd 6, its output in loop_log; then its hello. No parent-death
 * signal: when virtbench dies the loop reads end of file and destroys its
 * domUs itself.
 */
static int local_boot(struct machine *m, const char *ip, struct vb_error **err)
{
	(void)ip;
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
	int r = vb_xen_ctl_hello(m, 60, err);
	if (r) {
		local_stop(m, false);
		return local_with_console(m, m->name, err);
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
	if (clean && !vb_interrupted && vb_xen_ctl_request(m, 60, &a, &e, "poweroff"))
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

/* The relay of slot's domU connects; ch gets that connection. */
static int local_connect(struct machine *m, unsigned slot, struct vb_channel *ch,
			 struct vb_error **err)
{
	double end = vb_monotonic_s() + m->ready_timeout_s;
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
		double left = end - vb_monotonic_s();
		if (left <= 0)
			return vb_error_set(err, -ETIMEDOUT,
					    "%s: slot %u's relay did not connect in %.0f s",
					    m->name, slot, m->ready_timeout_s);
		struct pollfd p = { .fd = m->lsock[slot], .events = POLLIN };
		poll(&p, 1, left > 0.5 ? 500 : (int)(left * 1000) + 1);
	}
}

static void local_release(struct machine *m)
{
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++)
		if (m->lsock[k] >= 0)
			close(m->lsock[k]);
	free(m->loop_log);
	free(m->domu_initrd);
}

static bool local_running(const struct machine *m)
{
	return m->loop > 0;
}

/* No QEMU to have ended: the error stands. */
static int local_failed(struct machine *m, int r, struct vb_error **err)
{
	(void)m;
	(void)err;
	return r;
}

/* The loop names the slot's domU after the guest: the sweep finds it so. */
static void local_slot_named(struct machine *m, unsigned slot, const char *name)
{
	_cleanup_free_ char *file = xasprintf("slot%u.name", slot);
	struct vb_error *e = NULL;
	if (state_file(m, file, name, &e))
		vb_warn("%s", e->msg);
	vb_error_free(&e);
}

/* What xen-local found this dom0 to be, read rather than assumed. */
static void local_guest_info(const struct machine *m, json_t *o)
{
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
	if (!m->image)
		return;
	const char *base = strrchr(m->image->disk, '/');
	_cleanup_free_ char *what =
	    xasprintf("ext4 as xvdb: a copy of its own of %s on a loop device (phy:)",
		      base ? base + 1 : m->image->disk);
	json_object_set_new(o, "root_disk", json_string(what));
}

/* The loop's output: its relays print the domUs' boot lines there. */
static const char *local_boot_log(const struct machine *m)
{
	return m->loop_log;
}

static const struct xen_machine_ops local_machine = {
	.init = local_init,
	.release = local_release,
	.running = local_running,
	.boot = local_boot,
	.stop = local_stop,
	.connect = local_connect,
	.failed = local_failed,
	.with_console = local_with_console,
	.drain = local_drain,
	.slot_named = local_slot_named,
	.guest_info = local_guest_info,
	.boot_log = local_boot_log,
	.clone_root = local_clone_root,
};

static int local_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			   const char *name, struct vb_guest **out, struct vb_error **err)
{
	if (spec->net != VB_NET_NONE)
		return vb_error_set(err, VB_SKIP,
				    "%s: xen-local has no network yet (a domU's vif on the run's "
				    "bridge is not built): w3 workloads run on xen, nested",
				    name);
	return vb_xen_provision(ctx, spec, name, &local_machine, false, out, err);
}

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
	.caps = VB_CAP_REBOOT | VB_CAP_CLONE | VB_CAP_ROOT_DISK,
	.probe = local_probe,
	.provision = local_provision,
	.start = vb_xen_start,
	.exec = vb_xen_exec,
	.reboot = vb_xen_reboot,
	.clone = vb_xen_clone,
	.stop = vb_xen_stop,
	.destroy = vb_xen_destroy,
	.agent_hash = vb_xen_agent_hash,
	.guest_info = vb_xen_guest_info,
	.emulation = vb_xen_local_emulation,
	.found = vb_xen_local_found,
	.sweep = vb_xen_local_sweep,
};
