/* SPDX-License-Identifier: MIT */
/*
 * What the three xen platforms share (xen, xen-dom0: nested in QEMU/TCG,
 * xen-nested.c; xen-local: this host's own Xen, xen-local.c): the machine's
 * life, the requests to its control loop, and the domU operations. The
 * machine itself is reached only through its kind's ops (m->ops).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/log.h"
#include "core/text.h"
#include "core/util.h"
#include "guest/xen.h"
#include "platform/xen-ctl.h"
#include "platform/xen-machine.h"
#include "runtime/net-run.h"
#include "virtbench/platform.h"

/* Xen, dom0 and the domU boot under TCG: 35 s unloaded, 85 s and more on a busy host. */
#define READY_MIN_S 300
/* How long dom0 waits for a domU to power off after its agent's quit, then xl destroy. */
#define DOMU_GRACE_MS 20000
/* VIRTBENCH_XEN_DOM0_TEST's run.sh: its time on top of the ready limit. */
#define TEST_HOOK_S 1200
/* One control request (xl create under TCG on a busy host: 6-40 s seen). */
#define CTL_TIMEOUT_S 180

/*
 * One request to dom0's control loop and its answer (docs/xen.md). Answers
 * to earlier requests (the repeated hellos of the boot) are skipped. 0; -EIO
 * with dom0's msg= when it refused or failed; anything else leaves the
 * channel unusable.
 */
int vb_xen_ctl_request(struct machine *m, double timeout_s, struct vb_xenctl_answer *a,
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
	double end = vb_monotonic_s() + timeout_s;
	for (;;) {
		double left = end - vb_monotonic_s();
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
 * Until dom0's control loop, on m->ctl (connected), answers: a hello every
 * second while the channel takes it.
 */
int vb_xen_ctl_hello(struct machine *m, double timeout_s, struct vb_error **err)
{
	int r;
	m->seq = 1;
	double end = vb_monotonic_s() + timeout_s, next = 0;
	for (;;) {
		double t = vb_monotonic_s();
		if (t > end)
			return vb_error_set(err, -ETIMEDOUT,
					    "%s: dom0's control loop did not answer in %.0f s",
					    m->name, timeout_s);
		if (t >= next) {
			if (vb_channel_writable(&m->ctl) &&
			    (r = vb_channel_send(&m->ctl, "1 hello"))) {
				r = vb_error_errno(err, -r, "%s: dom0's control channel", m->name);
				return m->ops->failed(m, r, err);
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
			return r == -EINTR ? r : m->ops->failed(m, r, err);
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

static void machine_unref(struct machine *m)
{
	if (!m || --m->refs)
		return;
	m->ops->stop(m, true);
	if (m->net)
		vb_net_run_guest_leave(m->name);
	m->ops->release(m);
	free(m->agent);
	if (m->dir)
		vb_rm_rf(m->dir);
	vb_xen_release(&m->x);
	for (unsigned k = 0; k < VB_XENCTL_SLOTS; k++) {
		free(m->disk[k]);
		free(m->sock[k]);
		free(m->root[k]);
	}
	free(m->name);
	free(m->dir);
	free(m->run_id);
	free(m);
}

/* A sparse file of size bytes: a slot's disk until a clone copies one into it. */
static int make_sparse(const char *path, uint64_t size, struct vb_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return vb_error_errno(err, errno, "creating %s", path);
	return 0;
}

static int machine_new(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		       const char *name, const struct xen_machine_ops *ops, bool dom0,
		       struct machine **out, struct vb_error **err)
{
	struct machine *m = xcalloc(1, sizeof(*m));
	m->ops = ops;
	m->refs = 1;
	m->name = xstrdup(name);
	m->run_id = xstrdup(ctx->run_id);
	m->agent = xstrdup(ctx->agent_path);
	m->dom0 = dom0;
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
	for (unsigned k = 0; !r && k < (dom0 ? 1 : VB_XENCTL_SLOTS); k++) {
		m->disk[k] = k ? xasprintf("%s/scratch%u.img", m->dir, k)
			       : xasprintf("%s/scratch.img", m->dir);
		m->sock[k] = k ? xasprintf("%s/agent%u.sock", m->dir, k) : NULL;
		r = k ? make_sparse(m->disk[k], m->disk_bytes, err)
		      : vb_qemu_make_disk(m->disk[k], m->disk_bytes, err);
	}
	if (!r)
		r = ops->init(ctx, m, err);
	if (r) {
		machine_unref(m);
		return r;
	}
	*out = m;
	return 0;
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
	free(g->root_release);
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
	if (m->ops->slot_named)
		m->ops->slot_named(m, slot, name);
	return g;
}

int vb_xen_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		     const char *name, const struct xen_machine_ops *ops, bool dom0,
		     struct vb_guest **out, struct vb_error **err)
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
	struct machine *m;
	int r = machine_new(ctx, spec, name, ops, dom0, &m, err);
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
	if (vb_interrupted || vb_xen_ctl_request(m, grace_ms / 1000.0 + 30, &a, &e, "destroy %u %d",
						 g->slot, grace_ms)) {
		if (e)
			vb_warn("%s: %s: powering the machine off", g->name, e->msg);
		m->ops->stop(m, false);
	}
	vb_error_free(&e);
}

int vb_xen_stop(struct vb_guest *g, struct vb_error **err)
{
	(void)err;
	if (g->m->dom0) {
		/* The agent is dom0's: the machine goes. */
		g->m->ops->stop(g->m, g->running && !vb_interrupted);
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
	int r = m->ops->connect(m, g->slot, &g->ch, err);
	struct vb_event hello;
	if (!r)
		r = vb_agent_client_hello_sync(&g->ch, m->ready_timeout_s, &hello, err);
	if (r && r != -EINTR)
		r = m->ops->failed(m, r, err);
	if (!r)
		vb_event_release(&hello);
	return r;
}

/*
 * How many times the domU of g's slot said from inside its Debian root what
 * it is ("domUK| virtbench domU: in the root: debian 12.8", its relay's
 * copy of the line in the machine's boot log), and *last the last release
 * (the caller frees).
 */
static unsigned root_said(const struct vb_guest *g, char **last)
{
	const struct machine *m = g->m;
	*last = NULL;
	const char *path = m->ops->boot_log ? m->ops->boot_log(m) : NULL;
	_cleanup_free_ char *text = NULL;
	if (!path || vb_read_file(path, 16 << 20, &text, NULL) < 0)
		return 0;
	_cleanup_free_ char *mark =
	    xasprintf("domU%u| virtbench domU: in the root: debian ", g->slot);
	unsigned n = 0;
	const char *rel = NULL;
	for (const char *p = strstr(text, mark); p; p = strstr(p + 1, mark)) {
		n++;
		rel = p + strlen(mark);
	}
	if (rel) {
		/* What the guest printed: cleaned before anyone stores or prints it. */
		_cleanup_free_ char *line = xstrndup(rel, strcspn(rel, "\r\n"));
		*last = vb_text_clean(line);
	}
	return n;
}

/*
 * After the hello of a domU with a Debian root: its line from inside, the
 * one after the before'th (the console reaches the log a little later).
 */
static void root_release(struct vb_guest *g, unsigned before)
{
	free(g->root_release);
	g->root_release = NULL;
	for (int i = 0; i < 100; i++) {
		char *rel;
		unsigned n = root_said(g, &rel);
		if (n > before || i == 99) {
			g->root_release = rel;
			return;
		}
		free(rel);
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* "VCPUS MEM [IP GW]" of a create or reboot request. */
static char *domu_args(const struct vb_guest *g)
{
	if (!g->net)
		return xasprintf("%u %llu", g->vcpus, (unsigned long long)(g->memory >> 20));
	return xasprintf("%u %llu %s %s", g->vcpus, (unsigned long long)(g->memory >> 20), g->ip,
			 vb_net_run_bridge()->host_ip);
}

int vb_xen_start(struct vb_guest *g, struct vb_error **err)
{
	struct machine *m = g->m;
	if (g->running)
		return 0;
	double t0 = vb_monotonic_s();
	g->host_s = g->guest_s = 0;
	if (!m->ops->running(m)) {
		int r = m->ops->boot(m, g->net ? g->ip : NULL, err);
		if (r)
			return r;
		g->host_s = vb_monotonic_s() - t0;
	}
	if (m->dom0) {
		vb_channel_release(&g->ch);
		g->running = true;
		return 0;
	}
	double t1 = vb_monotonic_s();
	g->running = true;
	struct vb_xenctl_answer a;
	_cleanup_free_ char *args = domu_args(g);
	if (m->ops->drain)
		m->ops->drain(m, g->slot);
	_cleanup_free_ char *said = NULL;
	unsigned before = m->image ? root_said(g, &said) : 0;
	m->root_used[g->slot] = true;
	int r = vb_xen_ctl_request(m, CTL_TIMEOUT_S, &a, err, "create %u %s", g->slot, args);
	if (!r)
		r = domu_hello(g, err);
	if (r) {
		/* dom0 destroys whatever of the domU there is (nothing when xl create failed). */
		domu_stop(g, 0);
		return m->ops->with_console(m, g->name, err);
	}
	g->guest_s = vb_monotonic_s() - t1;
	if (m->image)
		root_release(g, before);
	return 0;
}

/* The agent's channel: xen-dom0's is the machine's own. */
static struct vb_channel *agent_channel(struct vb_guest *g)
{
	return g->m->dom0 ? &g->m->vm.ch : &g->ch;
}

int vb_xen_exec(struct vb_guest *g, const struct vb_job *job, vb_event_cb cb, void *data,
		struct vb_error **err)
{
	if (!g->running)
		return vb_error_set(err, -ESRCH, "%s is not running", g->name);
	bool broken;
	int r = vb_agent_client_run(agent_channel(g), job, "/scratch", g->job_timeout_s, cb, data,
				    &broken, err);
	if (broken)
		vb_xen_stop(g, NULL);
	return r;
}

/*
 * The domU alone: its agent quits, dom0 waits for the domU to go and
 * creates it again (one request, timed in dom0 too); QEMU, Xen and dom0
 * stay up and the scratch disk is kept. xen-dom0: the whole machine again.
 */
int vb_xen_reboot(struct vb_guest *g, struct vb_error **err)
{
	struct machine *m = g->m;
	if (m->dom0 || !g->running || !m->ops->running(m)) {
		int r = vb_xen_stop(g, err);
		return r ? r : vb_xen_start(g, err);
	}
	vb_agent_client_quit(&g->ch);
	vb_channel_release(&g->ch);
	struct vb_xenctl_answer a;
	_cleanup_free_ char *args = domu_args(g);
	if (m->ops->drain)
		m->ops->drain(m, g->slot);
	_cleanup_free_ char *said = NULL;
	unsigned before = m->image ? root_said(g, &said) : 0;
	int r = vb_xen_ctl_request(m, DOMU_GRACE_MS / 1000.0 + CTL_TIMEOUT_S, &a, err,
				   "reboot %u %d %s", g->slot, DOMU_GRACE_MS, args);
	if (!r)
		r = domu_hello(g, err);
	if (r) {
		domu_stop(g, 0);
		return m->ops->with_console(m, g->name, err);
	}
	if (m->image)
		root_release(g, before);
	return 0;
}

/*
 * Copy src into dst's inode in place (QEMU holds dst open as a slot's disk):
 * dst emptied (hole-punched), then src's data extents copied at their
 * offsets, so a sparse 4 GiB image costs what it holds. The domU on dst's
 * slot sees it through blkback, which bypasses dom0's page cache.
 */
int vb_xen_copy_disk(const char *src, const char *dst, struct vb_error **err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
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
	if (ftruncate(out, st.st_size) < 0 || fsync(out) < 0)
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
int vb_xen_clone(struct vb_guest *g, const char *name, struct vb_guest **out, struct vb_error **err)
{
	struct machine *m = g->m;
	if (m->dom0)
		return vb_error_set(err, VB_SKIP, "%s: xen-dom0 has no domU to clone", g->name);
	if (g->running)
		return vb_error_set(err, -EBUSY, "%s: stop it before cloning it", g->name);
	/*
	 * A Debian root that cannot be copied into a slot (nested: QEMU holds
	 * the slot's overlay open) is the slot's own, the image as built: a
	 * slot whose root a domU ran on is not taken again.
	 */
	unsigned k = 0;
	bool fixed = m->image && !m->ops->clone_root;
	while (k < VB_XENCTL_SLOTS && (m->slot[k] || (fixed && m->root_used[k])))
		k++;
	if (k == VB_XENCTL_SLOTS)
		return vb_error_set(err, -ENOSPC,
				    "%s: its machine has no free domU slot%s (%d in all)", g->name,
				    fixed ? " with an unused root" : "", VB_XENCTL_SLOTS);
	int r = vb_xen_copy_disk(m->disk[g->slot], m->disk[k], err);
	if (!r && m->image && m->ops->clone_root)
		r = m->ops->clone_root(m, g->slot, k, err);
	if (r)
		return vb_error_wrap(err, "%s: cloning its disks into slot %u", g->name, k);
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
void vb_xen_destroy(struct vb_guest *g)
{
	if (!g)
		return;
	if (g->m->dom0)
		vb_xen_stop(g, NULL);
	else
		domu_stop(g, 0);
	guest_free(g);
}

const char *vb_xen_agent_hash(struct vb_guest *g)
{
	return g->hash;
}

char *vb_xen_guest_info(struct vb_guest *g)
{
	_cleanup_json_ json_t *o = json_object();
	json_object_set_new(o, "xen", json_string(g->m->x.version));
	json_object_set_new(o, "kernel", json_string(g->m->x.kernel_version));
	json_object_set_new(o, "agent_in", json_string(g->m->dom0 ? "dom0" : "PV domU"));
	const struct machine *m = g->m;
	/* root_disk: the kind's guest_info says what the slot's root is. */
	if (m->image) {
		json_object_set_new(o, "root_release",
				    g->root_release ? json_string(g->root_release) : json_null());
	} else if (!m->dom0) {
		json_object_set_new(o, "root_disk", json_string("none: the initramfs"));
	}
	m->ops->guest_info(g->m, o);
	return vb_json_line(o);
}
