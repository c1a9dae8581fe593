/* SPDX-License-Identifier: MIT */
/*
 * The container's column of `virtbench features`. The CRIU probe: is CRIU
 * installed, does `criu check` pass, and can it checkpoint and restore a
 * small process tree in new namespaces here? The tree is killed and reaped,
 * its images removed. The rest follows from namespaces and cgroups, as
 * this kernel has them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "agent/client.h"
#include "core/proc.h"
#include "core/util.h"
#include "platform/features-parse.h"
#include "platform/features.h"

#define CRIU_TIMEOUT_MS 30000

/* What CRIU did here. */
struct vb_features_criu {
	bool installed;
	bool check_ok;
	char *check_why; /* why criu check failed */
	bool cr_ok;	 /* dumped, restored and running again */
	char *cr_what;	 /* what happened to the dump and restore */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The child of parent (first found), 0 when none. */
static pid_t child_of(pid_t parent)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;
	while (d && !found && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		_cleanup_free_ char *path = xasprintf("/proc/%s/stat", e->d_name);
		_cleanup_free_ char *st = NULL;
		if (vb_read_file(path, 4096, &st, NULL))
			continue;
		char *p = strrchr(st, ')');
		int ppid = 0;
		if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == parent)
			found = (pid_t)atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

static bool comm_is(pid_t pid, const char *comm)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/comm", (int)pid);
	_cleanup_free_ char *t = NULL;
	if (vb_read_file(path, 64, &t, NULL))
		return false;
	t[strcspn(t, "\n")] = '\0';
	return !strcmp(t, comm);
}

/* criu's first telling error line, or its exit status; caller frees. */
static char *criu_failure(const char *out, int status, int r)
{
	if (r == -ETIMEDOUT)
		return xasprintf("timed out after %d s", CRIU_TIMEOUT_MS / 1000);
	char *e = out ? vb_features_criu_error(out) : NULL;
	if (e)
		return e;
	if (WIFEXITED(status))
		return xasprintf("exit status %d", WEXITSTATUS(status));
	return xasprintf("killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/*
 * Start `sleep` as PID 1 of new pid, UTS and IPC namespaces, in a session of
 * its own, dump it with criu (which ends it), restore it detached and see
 * it run again as PID 1 of a new pid namespace; then kill it.
 *
 * The mount namespace stays the host's: CRIU refuses to dump a mount
 * namespace that is a copy of the host's whole mount table (criu.org, "CR
 * in namespace"); a container's own small root would need CRIU's external
 * mount options, which is the runtime's job, not a probe's.
 */
static int criu_dump_restore(const struct vb_features_host *h, const char *criu,
			     struct vb_features_criu *p)
{
	_cleanup_free_ char *unshare = vb_proc_which("unshare");
	_cleanup_free_ char *setsid = vb_proc_which("setsid");
	_cleanup_free_ char *sleep_bin = vb_proc_which("sleep");
	if (!unshare || !setsid || !sleep_bin) {
		p->cr_what = xstrdup("unshare, setsid or sleep (util-linux, coreutils) is missing");
		return 0;
	}
	_cleanup_free_ char *dir = xasprintf("%s/criu", h->work);
	_cleanup_free_ char *pidfile = xasprintf("%s/restored.pid", h->work);
	if (mkdir(dir, 0700) < 0) {
		p->cr_what = xasprintf("cannot create %s: %s", dir, strerror(errno));
		return 0;
	}
	/* Sixty seconds bound the tree's life even if virtbench is killed meanwhile. */
	char *targv[] = { unshare, "--fork", "--pid",	"--uts", "--ipc", "--wd=/",
			  "--",	   setsid,   sleep_bin, "60",	 NULL };
	_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t ush = -1, tree = 0, restored = 0;
	struct vb_error *err = NULL;
	int r = null < 0 ? -errno : vb_proc_spawn_logged(targv, null, &ush, &err);
	if (r) {
		p->cr_what =
		    xasprintf("could not start the tree: %s", err ? err->msg : strerror(-r));
		vb_error_free(&err);
		rmdir(dir);
		return 0;
	}
	/* Wait for unshare's child to become sleep (after setsid's exec). */
	for (int i = 0; i < 300 && !tree; i++) {
		pid_t c = child_of(ush);
		if (c && comm_is(c, "sleep"))
			tree = c;
		else
			sleep_ms(10);
	}
	/* CRIU's restored tree is reparented to us, not to init: we reap it. */
	int was_subreaper = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper, 0, 0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* All declared before the first goto: a jump must not skip a cleanup's initializer. */
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *pidtext = NULL;
	_cleanup_free_ char *spath = NULL;
	_cleanup_free_ char *stext = NULL;
	int status = 0;
	if (!tree) {
		p->cr_what = xstrdup("the sleep in new namespaces never started");
		goto out;
	}
	char tpid[16];
	snprintf(tpid, sizeof(tpid), "%d", (int)tree);
	char *dargv[] = { (char *)criu, "dump", "-t", tpid, "-D", dir, NULL };
	r = vb_proc_run(dargv, CRIU_TIMEOUT_MS, 1 << 20, &out, &status, NULL);
	if (r || !WIFEXITED(status) || WEXITSTATUS(status)) {
		_cleanup_free_ char *why = criu_failure(out, status, r);
		p->cr_what =
		    xasprintf("criu dump of a sleep in new pid/uts/ipc namespaces failed: %s", why);
		goto out;
	}
	free(out);
	out = NULL;
	/* The dump ended the tree; unshare follows its child. */
	vb_proc_reap(ush, 2000);
	ush = -1;
	tree = 0;
	char *rargv[] = { (char *)criu,		"restore",   "-D",    dir,
			  "--restore-detached", "--pidfile", pidfile, NULL };
	r = vb_proc_run(rargv, CRIU_TIMEOUT_MS, 1 << 20, &out, &status, NULL);
	if (vb_read_file(pidfile, 64, &pidtext, NULL) == 0)
		restored = (pid_t)atoi(pidtext);
	if (r || !WIFEXITED(status) || WEXITSTATUS(status) || restored <= 0) {
		_cleanup_free_ char *why = criu_failure(out, status, r);
		p->cr_what = xasprintf("criu dumped a sleep in new pid/uts/ipc namespaces, but "
				       "restoring it failed: %s",
				       why);
		goto out;
	}
	spath = xasprintf("/proc/%d/status", (int)restored);
	unsigned depth = 0;
	long inner =
	    vb_read_file(spath, 65536, &stext, NULL) ? -1 : vb_features_nspid(stext, &depth);
	if (!comm_is(restored, "sleep") || inner != 1 || depth < 2) {
		p->cr_what = xasprintf("criu restore returned, but pid %d is not a sleep running "
				       "as PID 1 of a new pid namespace",
				       (int)restored);
		goto out;
	}
	p->cr_ok = true;
	p->cr_what = xasprintf("a sleep started as PID 1 of new pid/uts/ipc namespaces was "
			       "dumped with criu dump and restored with criu restore, and ran "
			       "again (pid %d here, PID 1 inside)",
			       (int)restored);
out:
	if (restored > 0) {
		kill(restored, SIGKILL);
		for (int i = 0; i < 200 && vb_proc_alive(restored); i++) {
			waitpid(restored, NULL, WNOHANG);
			sleep_ms(10);
		}
		waitpid(restored, NULL, WNOHANG);
	}
	if (tree > 0)
		kill(tree, SIGKILL);
	if (ush > 0)
		vb_proc_reap(ush, 2000);
	prctl(PR_SET_CHILD_SUBREAPER, was_subreaper, 0, 0, 0);
	unlink(pidfile);
	vb_rm_rf(dir);
	return vb_interrupted ? -EINTR : 0;
}

static int probe_criu(const struct vb_features_host *h, struct vb_features_criu *p)
{
	_cleanup_free_ char *criu = vb_proc_which("criu");
	if (!criu)
		return 0;
	p->installed = true;
	char *argv[] = { criu, "check", NULL };
	_cleanup_free_ char *out = NULL;
	int status = 0;
	int r = vb_proc_run(argv, CRIU_TIMEOUT_MS, 1 << 20, &out, &status, NULL);
	p->check_ok = !r && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!p->check_ok)
		p->check_why = criu_failure(out, status, r);
	/* Tried even when the check fails: the check covers more than a dump needs. */
	return criu_dump_restore(h, criu, p);
}

static void criu_release(struct vb_features_criu *p)
{
	free(p->check_why);
	free(p->cr_what);
	memset(p, 0, sizeof(*p));
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

int vb_container_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c)
{
	(void)named;
	struct vb_features_criu criu = { 0 };
	int r = probe_criu(h, &criu);
	if (!r)
		fill_container(h, &criu, c);
	criu_release(&criu);
	return r;
}
