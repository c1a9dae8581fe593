/* SPDX-License-Identifier: MIT */
/*
 * The container platform: virtbench's own runtime (src/runtime/). A guest is
 * an overlay over a cached golden image (the minimal one unless
 * the run's context names another (--container-image)), a cgroup named after it, and the
 * agent as PID 1 of fresh namespaces. Everything is named after the run
 * ("vb-1a2b3c4d-N") and lives under the run's work directory, so a sweep
 * finds what a dead run left. Its /scratch is a volume by default: a
 * directory of its own beside the layer, bound on /scratch (the same
 * filesystem as the host platform's scratch, so disk workloads compare a
 * plain directory with a plain directory); or, with the overlay disk, in
 * the upper layer. A clone is a new guest over the same image whose upper
 * layer and volume start as copies of its source's.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "agent/client.h"
#include "core/caplog.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/proc.h"
#include "core/util.h"
#include "guest/copy.h"
#include "guest/image.h"
#include "platform/policy.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/disk-bound.h"
#include "runtime/idmap.h"
#include "runtime/net-run.h"
#include "runtime/net.h"
#include "runtime/tty.h"
#include "virtbench/platform.h"
#include "platform/features.h"

struct vb_guest {
	char *name;
	char *image;			/* the lower layer */
	char *work_dir;			/* the run's: a clone's directory goes there too */
	char *dir, *upper, *work, *mnt; /* <work_dir>/<name>/... */
	char *hosts;			/* <dir>/hosts: bound over the guest's /etc/hosts */
	char *volume;			/* <dir>/volume, on /scratch; NULL: the overlay disk */
	char *log;			/* <dir>/agent.log: the agent's stderr, capped */
	struct vb_caplog stderr_log;
	bool own_dir;		   /* dir was made for this guest: destroy removes it */
	char run_id[16];	   /* "vb-1a2b3c4d": the run's bridge is named after it */
	struct vb_guest_spec spec; /* as provisioned; .image NULL: the lower layer is image */
	struct vb_cgroup *cg;
	char cpus[32];
	struct vb_cgroup_limits limits; /* .cpus points into cpus: never copy it to another guest */
	uint64_t disk_bytes;		/* the bound on upper + work + volume (disk-bound.h) */
	struct vb_disk_watch *watch;	/* while running: the layer against disk_bytes */
	double ready_timeout_s, job_timeout_s;
	pid_t pid;
	struct vb_channel ch;
	bool running;
	char hash[65];
	bool net; /* a veth named after the guest on the run's bridge, eth0 inside */
	bool nat; /* and behind the run's NAT: its w3 peer is in the run's outside */
	char ip[20];
};

/*
 * A guest spec without memory gets half the host's RAM as its limit: a
 * container has no RAM of its own, so the limit is what it may take from the
 * host, and half leaves the host room while workloads sized for the host
 * (page cache of a 1 GiB file, the memory workloads' arrays) still fit.
 */
static uint64_t default_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	uint64_t half = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 2 : 1ull << 30;
	return half & ~((1ull << 20) - 1);
}

/* Without a disk size, the same 4 GiB a QEMU guest's disk gets. */
#define DEFAULT_DISK_BYTES (4ull << 30)

static int container_probe(const struct vb_platform_ctx *ctx, struct vb_error **err)
{
	(void)ctx;
	if (geteuid() != 0)
		return vb_error_set(err, VB_SKIP, "needs root (namespaces, cgroups, overlayfs)");
	_cleanup_free_ char *fs = NULL;
	if (vb_read_file("/proc/filesystems", 65536, &fs, NULL) || !strstr(fs, "\toverlay\n"))
		return vb_error_set(err, VB_SKIP, "the kernel has no overlayfs");
	if (!vb_elf_is_static(vb_busybox_path()))
		return vb_error_set(err, VB_SKIP,
				    "%s is not a static busybox (install busybox-static)",
				    vb_busybox_path());
	if (!vb_cgroup_host_layout(err))
		return (*err)->code > 0 ? (*err)->code : vb_error_wrap(err, "cgroups");
	return 0;
}

static void guest_free(struct vb_guest *g)
{
	if (g->nat)
		vb_nat_run_put();
	if (g->net)
		vb_net_run_guest_leave(g->name);
	vb_cgroup_destroy(g->cg);
	if (g->own_dir)
		vb_rm_rf(g->dir);
	free(g->name);
	free(g->image);
	free(g->work_dir);
	free(g->dir);
	free(g->log);
	free(g->upper);
	free(g->work);
	free(g->mnt);
	free(g->hosts);
	free(g->volume);
	free(g);
}

/*
 * With a user namespace the guest's root is an unprivileged host id: the
 * upper layer, the overlay's work directory and the volume become its, and
 * so do the image's writable directories (/tmp, and /scratch unless the
 * volume is bound there), made in the upper layer with the image's modes.
 * The rest of the image stays the host root's: readable inside, never
 * writable (overlayfs cannot copy up a file whose owner is not mapped in
 * the namespace).
 */
static int userns_own(const struct vb_guest *g, struct vb_error **err)
{
	uint32_t uid, gid;
	if (!vb_idmap_outside(&g->spec.userns->uid, 0, &uid) ||
	    !vb_idmap_outside(&g->spec.userns->gid, 0, &gid))
		return vb_error_set(err, -EINVAL, "%s: the user namespace has no root", g->name);
	static const char *const writable[] = { "tmp", "scratch" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(writable) - !!g->volume; i++) {
		_cleanup_free_ char *lower = xasprintf("%s/%s", g->image, writable[i]);
		_cleanup_free_ char *upper = xasprintf("%s/%s", g->upper, writable[i]);
		struct stat st;
		if (lstat(lower, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mkdir(upper, 0700) < 0 || chmod(upper, st.st_mode & 07777) < 0 ||
		    lchown(upper, uid, gid) < 0)
			return vb_error_errno(err, errno, "%s: making %s", g->name, upper);
	}
	if (chown(g->upper, uid, gid) < 0 || chown(g->work, uid, gid) < 0)
		return vb_error_errno(err, errno, "%s: giving %s and %s to uid %u", g->name,
				      g->upper, g->work, uid);
	if (g->volume && chown(g->volume, uid, gid) < 0)
		return vb_error_errno(err, errno, "%s: giving %s to uid %u", g->name, g->volume,
				      uid);
	return 0;
}

/*
 * The volume is what the guest sees as /scratch: it gets the mode of the
 * image's /scratch (0755 where the image has none), so that inside nothing
 * changes but where the files go. On the host it stays out of reach all
 * the same: the guest's directory above it is root's, mode 0700.
 */
static int volume_mode(const struct vb_guest *g, struct vb_error **err)
{
	_cleanup_free_ char *lower = xasprintf("%s/scratch", g->image);
	struct stat st;
	mode_t mode = lstat(lower, &st) == 0 && S_ISDIR(st.st_mode) ? st.st_mode & 07777 : 0755;
	if (chmod(g->volume, mode) < 0)
		return vb_error_errno(err, errno, "%s: making %s mode %o", g->name, g->volume,
				      (unsigned)mode);
	return 0;
}

/*
 * Directories and cgroup of a guest over image; the rootfs layer and the
 * volume start empty (but for the writable directories of a user
 * namespace's root).
 * Everything it needs from ctx and spec is kept in the guest, so that a clone
 * can be made from the guest alone.
 */
static int guest_new(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		     const char *name, const char *image, struct vb_guest **out,
		     struct vb_error **err)
{
	struct vb_guest *g = xcalloc(1, sizeof(*g));
	g->name = xstrdup(name);
	g->image = xstrdup(image);
	g->work_dir = xstrdup(ctx->work_dir);
	g->dir = xasprintf("%s/%s", ctx->work_dir, name);
	g->upper = xasprintf("%s/upper", g->dir);
	g->work = xasprintf("%s/work", g->dir);
	g->mnt = xasprintf("%s/root", g->dir);
	g->log = xasprintf("%s/agent.log", g->dir);
	g->hosts = xasprintf("%s/hosts", g->dir);
	if (spec->container_disk == VB_CONTAINER_DISK_VOLUME)
		g->volume = xasprintf("%s/volume", g->dir);
	snprintf(g->run_id, sizeof(g->run_id), "%s", ctx->run_id);
	g->spec = *spec;
	g->spec.image = NULL;
	g->ready_timeout_s = ctx->ready_timeout_s;
	g->job_timeout_s = ctx->job_timeout_s;
	g->pid = -1;
	g->ch.rfd = g->ch.wfd = -1;
	g->disk_bytes = spec->disk_bytes ? spec->disk_bytes : DEFAULT_DISK_BYTES;
	int r = 0;
	/* A name in use already (EEXIST) must not lose its directory in guest_free. */
	if (mkdir(g->dir, 0700) < 0)
		r = vb_error_errno(err, errno, "%s: creating %s", name, g->dir);
	else
		g->own_dir = true;
	const char *dirs[] = { g->upper, g->work, g->mnt, g->volume };
	for (size_t i = 0; i < VB_ARRAY_SIZE(dirs) && dirs[i] && !r; i++)
		if (mkdir(dirs[i], 0700) < 0)
			r = vb_error_errno(err, errno, "%s: creating %s", name, dirs[i]);
	/*
	 * Its own name on 127.0.1.1, as Debian names a host: a guest on the
	 * run's bridge has a resolver it cannot reach, and a server that looks
	 * its host up (RabbitMQ, Virtuoso) would wait for it at every start.
	 */
	_cleanup_free_ char *hosts =
	    xasprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%s\n"
		      "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
		      "ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n",
		      name);
	int hr = r ? 0 : vb_write_file_atomic(g->hosts, hosts, strlen(hosts));
	if (hr)
		r = vb_error_errno(err, -hr, "%s: writing %s", name, g->hosts);
	/*
	 * The upper layer is the overlay's root directory: it takes the image
	 * root's mode (0755), or the guest's own users (www-data, postgres)
	 * could reach nothing. Host users stay out: g->dir above it is 0700.
	 */
	struct stat rst;
	if (!r && (stat(image, &rst) < 0 || chmod(g->upper, rst.st_mode & 07777) < 0))
		r = vb_error_errno(err, errno, "%s: giving %s the mode of %s", name, g->upper,
				   image);
	if (!r && g->volume)
		r = volume_mode(g, err);
	if (!r && spec->userns)
		r = userns_own(g, err);
	const struct vb_cgroup_layout *layout = r ? NULL : vb_cgroup_host_layout(err);
	if (!r && !layout)
		r = (*err)->code;
	if (!r) {
		if (spec->vcpus) {
			snprintf(g->cpus, sizeof(g->cpus), spec->vcpus > 1 ? "0-%u" : "0",
				 spec->vcpus - 1);
			g->limits.cpus = g->cpus;
		}
		/* memory.limit_in_bytes and memsw (v1) or memory.max, swap 0 (v2). */
		g->limits.memory_bytes = spec->memory_bytes ? spec->memory_bytes : default_memory();
		g->limits.pids_max = 4096; /* a fork bomb stops here, the host does not */
		g->limits.devices_allowlist = true;
		r = vb_cgroup_create(layout, name, &g->limits, &g->cg, err);
	}
	/* NAT is the bridged network with the run's masquerade and outside on top. */
	if (!r && spec->net != VB_NET_NONE) {
		r = vb_net_run_guest_join(g->run_id, name, g->ip, err);
		g->net = r == 0;
	}
	if (!r && spec->net == VB_NET_NAT) {
		r = vb_nat_run_get(g->run_id, err);
		g->nat = r == 0;
		if (r)
			vb_error_wrap(err, "%s", name);
	}
	if (r) {
		guest_free(g);
		return r;
	}
	*out = g;
	return 0;
}

/* Before the child proceeds: its veth, created inside its namespace. */
static int make_veth(pid_t pid, void *data, struct vb_error **err)
{
	struct vb_guest *g = data;
	/* A previous start's pair may still be dying with its namespace. */
	vb_net_link_delete(g->name, NULL);
	return vb_net_veth_create(vb_net_run_bridge(), g->name, pid, err);
}

/* How to start g's container around argv, with the given channel. */
static struct vb_ctr_config guest_config(struct vb_guest *g, char *const *argv, int in, int out,
					 int errfd, bool seccomp)
{
	return (struct vb_ctr_config){
		.before_go = g->net ? make_veth : NULL,
		.before_go_data = g,
		.net_ip = g->net ? g->ip : NULL,
		.net_gateway = g->net ? vb_net_run_bridge()->host_ip : NULL,
		.hostname = g->name,
		.lower = g->image,
		.upper = g->upper,
		.work = g->work,
		.mnt = g->mnt,
		.volume = g->volume,
		.hosts = g->hosts,
		.cgroup = g->cg,
		.argv = argv,
		.stdin_fd = in,
		.stdout_fd = out,
		.stderr_fd = errfd,
		.seccomp = seccomp,
		.userns = g->spec.userns,
		.fsize_max = vb_disk_fsize_max(g->disk_bytes),
	};
}

static int container_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			       const char *name, struct vb_guest **out, struct vb_error **err)
{
	_cleanup_free_ char *image = NULL;
	bool built;
	int r = 0;
	if (spec->image || (ctx->image && ctx->image->tree))
		image = xstrdup(spec->image ? spec->image : ctx->image->tree);
	else
		r = vb_image_minimal(ctx->agent_path, &image, &built, err);
	if (r)
		return r;
	return guest_new(ctx, spec, name, image, out, err);
}

static int container_stop(struct vb_guest *g, struct vb_error **err)
{
	if (!g->running)
		return 0;
	vb_agent_client_quit(&g->ch);
	vb_channel_release(&g->ch);
	/* PID 1 of the namespace: when it exits, the kernel kills the rest. */
	int status;
	for (int i = 0; i < 20 && waitpid(g->pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	int r = vb_cgroup_kill(g->cg, 2000, err);
	vb_disk_watch_stop(g->watch, NULL);
	g->watch = NULL;
	vb_proc_reap(g->pid, 0);
	vb_caplog_stop(&g->stderr_log);
	g->pid = -1;
	g->running = false;
	return r;
}

/*
 * The channel closed before hello: if the container's init ended, its exit
 * status is the reason (looked at, not reaped: container_stop reaps).
 */
static int init_exited(struct vb_guest *g, int r, struct vb_error **err)
{
	siginfo_t si = { 0 };
	for (int waited = 0; waited <= 1000; waited += 10) {
		if (waitid(P_PID, (id_t)g->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
			return r;
		if (si.si_pid)
			break;
		usleep(10000);
	}
	if (!si.si_pid)
		return r;
	vb_error_free(err);
	if (si.si_code == CLD_EXITED)
		return vb_error_set(
		    err, -ECHILD, "the container's init exited at start (status %d)", si.si_status);
	return vb_error_set(err, -ECHILD, "the container's init was killed at start by signal %d",
			    si.si_status);
}

/* err with the agent's last word on stderr (cleaned), if it said anything. */
static int with_stderr(struct vb_guest *g, struct vb_error **err)
{
	_cleanup_free_ char *last = vb_caplog_last_line(g->log, NULL);
	if (last)
		return vb_error_wrap(err, "%s (its stderr, %s, ends: %s)", g->name, g->log, last);
	return vb_error_wrap(err, "%s", g->name);
}

static int container_start(struct vb_guest *g, struct vb_error **err)
{
	if (g->running)
		return 0;
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "%s: pipe", g->name);
	if (pipe2(out, O_CLOEXEC) < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		return vb_error_errno(err, e, "%s: pipe", g->name);
	}
	/* What the agent writes on stderr goes to a capped file, never to our terminal. */
	int errw = -1;
	int r = vb_caplog_pipe(&g->stderr_log, g->log, VB_CAPLOG_DEFAULT_CAP, &errw, err);
	char *argv[] = { "/sbin/virtbench-agent", NULL };
	struct vb_ctr_config c = guest_config(g, argv, in[0], out[1], errw, true);
	if (!r)
		r = vb_container_start(&c, &g->pid, err);
	close(in[0]);
	close(out[1]);
	if (errw >= 0)
		close(errw);
	if (r) {
		vb_caplog_stop(&g->stderr_log);
		close(in[1]);
		close(out[0]);
		return r;
	}
	vb_channel_init(&g->ch, out[0], in[1], 65536);
	g->running = true;
	/* For as long as it runs: an idle agent could write as well as a busy one. */
	const char *dirs[] = { g->upper, g->work, g->volume };
	r = vb_disk_watch_start(dirs, VB_ARRAY_SIZE(dirs) - !g->volume, g->disk_bytes, g->pid,
				g->cg, &g->watch, err);
	if (r) {
		container_stop(g, NULL);
		return vb_error_wrap(err, "%s", g->name);
	}
	struct vb_event hello;
	r = vb_agent_client_hello(&g->ch, g->ready_timeout_s, &hello, err);
	if (r == -EPIPE)
		r = init_exited(g, r, err);
	if (r) {
		container_stop(g, NULL);
		return with_stderr(g, err);
	}
	vb_event_release(&hello);
	return 0;
}

/*
 * After the disk cap stopped a guest: empty the agent's scratch directory,
 * its volume or /scratch in its layer (what the jobs write), so that the
 * next start can run jobs again. Anything the guest wrote elsewhere stays,
 * as on a full disk. The guest's processes are gone: nothing races the
 * removal.
 */
static void scratch_empty(struct vb_guest *g)
{
	/*
	 * By descriptor, never following a link: the guest owns what is in
	 * its layer and its volume, and may have made any of it (the layer's
	 * /scratch included) a symlink to a host directory of root's. Then
	 * the link alone goes. The volume itself is the host's: mounted on
	 * /scratch, the guest could not replace it.
	 */
	int sfd;
	if (g->volume) {
		sfd = open(g->volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0)
			return;
	} else {
		_cleanup_close_ int upper =
		    open(g->upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (upper < 0)
			return;
		sfd = openat(upper, "scratch", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			if (errno != ENOENT)
				vb_rm_rf_at(upper, "scratch");
			return;
		}
	}
	DIR *d = fdopendir(sfd);
	if (!d) {
		close(sfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			vb_rm_rf_at(dirfd(d), de->d_name);
	closedir(d);
}

/*
 * One job, with the guest's disk watched against its bound meanwhile and
 * its OOM kills counted: a job that ends either way fails with that reason,
 * not with the bare "agent closed the channel".
 */
static int container_exec(struct vb_guest *g, const struct vb_job *job, vb_event_cb cb, void *data,
			  struct vb_error **err)
{
	if (!g->running)
		return vb_error_set(err, -ESRCH, "%s is not running", g->name);
	uint64_t ooms_before = 0, ooms_after = 0;
	bool oom_known = vb_cgroup_oom_kills(g->cg, &ooms_before, NULL) == 0;
	bool broken;
	int r =
	    vb_agent_client_run(&g->ch, job, "/scratch", g->job_timeout_s, cb, data, &broken, err);
	struct vb_error *derr = NULL;
	int dr = vb_disk_watch_check(g->watch, &derr);
	if (dr) {
		vb_error_free(err);
		vb_error_set(err, dr, "%s: %s", g->name, derr->msg);
		vb_error_free(&derr);
		container_stop(g, NULL);
		scratch_empty(g);
		return dr;
	}
	/*
	 * RLIMIT_FSIZE stopped a write (EFBIG) before the watch saw the layer
	 * pass the bound: the guest's own message is the only sign of it (a
	 * guest that lies about it changes only the wording of its failure).
	 */
	if (r && err && *err && strstr((*err)->msg, strerror(EFBIG)))
		vb_error_wrap(err,
			      "%s: its disk bound of %llu bytes was reached (enforced cap: no "
			      "file grows past %llu bytes)",
			      g->name, (unsigned long long)g->disk_bytes,
			      (unsigned long long)vb_disk_fsize_max(g->disk_bytes));
	if (r && oom_known && vb_cgroup_oom_kills(g->cg, &ooms_after, NULL) == 0 &&
	    ooms_after > ooms_before) {
		vb_error_free(err);
		r = vb_error_set(
		    err, -ENOMEM,
		    "%s: out of memory: the kernel's OOM killer ended %llu process(es) "
		    "at its memory limit of %llu bytes",
		    g->name, (unsigned long long)(ooms_after - ooms_before),
		    (unsigned long long)g->limits.memory_bytes);
		broken = true;
	}
	if (broken) {
		container_stop(g, NULL);
		return with_stderr(g, err);
	}
	return r;
}

static int container_footprint(struct vb_guest *g, uint64_t *bytes, struct vb_error **err)
{
	return vb_cgroup_memory_current(g->cg, bytes, err);
}

static int container_set_policy(struct vb_guest *g, const struct vb_guest_policy *p,
				struct vb_error **err)
{
	/* No memory in the policy: back to the guest's own limit, never to none. */
	struct vb_guest_policy pol = *p;
	if (!pol.memory_bytes)
		pol.memory_bytes = g->limits.memory_bytes;
	int r = vb_policy_apply(g->cg, &pol, g->volume ? g->volume : g->upper, err);
	if (r)
		return r;
	if (!g->net)
		return p->net_bps
			   ? vb_error_set(err, VB_SKIP, "%s has no network to shape", g->name)
			   : 0;
	/* Lifting a limit that was never set is fine: the shaping call says so. */
	return vb_net_shape(g->pid, "eth0", p->net_bps, err);
}

static int container_reboot(struct vb_guest *g, struct vb_error **err)
{
	int r = container_stop(g, err);
	return r ? r : container_start(g, err);
}

/*
 * The clone's upper layer and volume are made by copying g's, as they are
 * at this moment (a running g is frozen meanwhile). The clone gets its own
 * empty overlay work directory, its own cgroup with the same limits, and
 * its own veth (when g has a network), whose address follows from the N in
 * its name.
 */
static int container_clone(struct vb_guest *g, const char *name, struct vb_guest **out,
			   struct vb_error **err)
{
	struct vb_platform_ctx ctx = {
		.run_id = g->run_id,
		.work_dir = g->work_dir,
		.ready_timeout_s = g->ready_timeout_s,
		.job_timeout_s = g->job_timeout_s,
	};
	/* Same run: its bridge, its sweep and its work directory are the clone's too. */
	size_t n = strlen(g->run_id);
	if (strncmp(name, g->run_id, n) || name[n] != '-' || !name[n + 1] ||
	    strspn(name + n + 1, "0123456789") != strlen(name + n + 1))
		return vb_error_set(err, -EINVAL, "cloning %s: %s is not named %s-N", g->name, name,
				    g->run_id);
	struct vb_guest *c = NULL;
	int r = guest_new(&ctx, &g->spec, name, g->image, &c, err);
	if (r) {
		vb_error_wrap(err, "cloning %s", g->name);
		return r;
	}
	/*
	 * guest_new made them (with a user namespace's writable directories
	 * and owners); the copy makes them, with the source's.
	 */
	const char *made[] = { c->upper, c->volume };
	for (size_t i = 0; i < VB_ARRAY_SIZE(made) && made[i] && !r; i++) {
		r = vb_rm_rf(made[i]);
		if (r)
			r = vb_error_errno(err, -r, "%s: removing %s", name, made[i]);
	}
	/*
	 * A running source is frozen while its layer is copied, so the clone
	 * gets one moment of it, not files from different moments.
	 */
	bool frozen = false;
	if (!r && g->running) {
		r = vb_cgroup_freeze(g->cg, true, err);
		frozen = r == 0;
	}
	if (!r)
		r = vb_copy_tree(g->upper, c->upper, err);
	if (!r && g->volume)
		r = vb_copy_tree(g->volume, c->volume, err);
	if (frozen) {
		int t = vb_cgroup_freeze(g->cg, false, r ? NULL : err);
		if (!r)
			r = t;
	}
	if (r) {
		guest_free(c);
		vb_error_wrap(err, "cloning %s to %s", g->name, name);
		return r;
	}
	*out = c;
	return 0;
}

static void container_destroy(struct vb_guest *g)
{
	if (!g)
		return;
	container_stop(g, NULL);
	guest_free(g);
}

/* Hashed on first use only: `container run` never needs it. */
static const char *container_agent_hash(struct vb_guest *g)
{
	if (!g->hash[0]) {
		_cleanup_free_ char *agent = xasprintf("%s/sbin/virtbench-agent", g->image);
		if (vb_sha256_file(agent, g->hash))
			snprintf(g->hash, sizeof(g->hash), "unknown");
	}
	return g->hash;
}

/*
 * What the guest is made of: which golden image (its name in the cache says
 * what it holds), the limits that applied, where its /scratch is and, with a
 * user namespace, its maps.
 */
static char *container_guest_info(struct vb_guest *g)
{
	_cleanup_json_ json_t *o = json_object();
	const char *base = strrchr(g->image, '/');
	json_object_set_new(o, "image", json_string(base && base[1] ? base + 1 : g->image));
	/* The limits that applied: the spec's, or the defaults a zero asks for. */
	json_object_set_new(o, "memory_limit_bytes",
			    json_integer((json_int_t)g->limits.memory_bytes));
	json_object_set_new(o, "memsw_limit_bytes",
			    json_integer((json_int_t)g->limits.memory_bytes));
	json_object_set_new(o, "disk_limit_bytes", json_integer((json_int_t)g->disk_bytes));
	json_object_set_new(o, "disk_bound", json_string("enforced-cap"));
	/* Where /scratch is: the guest's volume or its overlay layer. */
	json_object_set_new(o, "scratch",
			    json_string(vb_container_disk_name(g->spec.container_disk)));
	if (g->spec.userns) {
		char map[512];
		vb_userns_format(g->spec.userns, map, sizeof(map));
		json_object_set_new(o, "userns", json_string(map));
	}
	return vb_json_line(o);
}

static const char *container_peer_listen(struct vb_guest *g)
{
	return g->nat	? vb_nat_run_outside()->peer_ip
	       : g->net ? vb_net_run_bridge()->host_ip
			: NULL;
}

static const char *container_guest_address(struct vb_guest *g)
{
	return g->net ? g->ip : NULL;
}

static int container_peer_netns(struct vb_guest *g)
{
	return g->nat ? vb_nat_run_outside()->netns : -1;
}

const struct vb_platform_ops vb_platform_container = {
	.name = "container",
	.summary = "Linux container, virtbench's own runtime (namespaces + cgroups + overlayfs)",
	.caps = VB_CAP_REBOOT | VB_CAP_CLONE | VB_CAP_CPU_OVERCOMMIT | VB_CAP_MEM_OVERCOMMIT |
		VB_CAP_NETWORK | VB_CAP_NAT | VB_CAP_USERNS | VB_CAP_CONTAINER_DISK |
		VB_CAP_ROOT_TREE,
	.probe = container_probe,
	.provision = container_provision,
	.start = container_start,
	.exec = container_exec,
	.reboot = container_reboot,
	.footprint = container_footprint,
	.set_policy = container_set_policy,
	.clone = container_clone,
	.stop = container_stop,
	.destroy = container_destroy,
	.agent_hash = container_agent_hash,
	.peer_listen = container_peer_listen,
	.peer_netns = container_peer_netns,
	.guest_address = container_guest_address,
	.guest_info = container_guest_info,
	.features = vb_container_features,
};

int vb_container_run_command(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			     char *const argv[], bool seccomp, int *status, struct vb_error **err)
{
	_cleanup_free_ char *image = NULL;
	bool built;
	int r = 0;
	if (spec->image || (ctx->image && ctx->image->tree))
		image = xstrdup(spec->image ? spec->image : ctx->image->tree);
	else
		r = vb_image_minimal(ctx->agent_path, &image, &built, err);
	_cleanup_free_ char *name = xasprintf("%s-0", ctx->run_id);
	struct vb_guest *g = NULL;
	if (!r)
		r = guest_new(ctx, spec, name, image, &g, err);
	if (r)
		return r;
	/* Never a terminal of the host's inside: a pty of its own, or pipes (runtime/tty.h). */
	struct vb_tty_relay tty;
	r = vb_tty_relay_init(&tty, err);
	if (r) {
		guest_free(g);
		return r;
	}
	struct vb_ctr_config c =
	    guest_config(g, argv, tty.child[0], tty.child[1], tty.child[2], seccomp);
	c.ctty = tty.ctty;
	pid_t pid;
	r = vb_container_start(&c, &pid, err);
	vb_tty_relay_started(&tty);
	const char *dirs[] = { g->upper, g->work, g->volume };
	struct vb_disk_watch *w = NULL;
	if (!r && vb_disk_watch_start(dirs, VB_ARRAY_SIZE(dirs) - !g->volume, g->disk_bytes, pid,
				      g->cg, &w, err)) {
		kill(pid, SIGKILL);
		waitpid(pid, status, 0);
		r = vb_error_wrap(err, "%s", name);
	} else if (!r) {
		/*
		 * Ctrl-C, SIGTERM, SIGHUP reach us (vb_interrupted); PID 1 inside
		 * ignores them: we end it.
		 */
		r = vb_tty_relay_wait(&tty, pid, status, &vb_interrupted, err);
		struct vb_error *derr = NULL;
		int dr = vb_disk_watch_stop(w, &derr);
		if (dr && !r)
			r = vb_error_set(err, dr, "%s: %s", name, derr->msg);
		vb_error_free(&derr);
	}
	vb_tty_relay_release(&tty);
	guest_free(g);
	return r;
}
