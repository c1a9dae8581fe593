/* SPDX-License-Identifier: MIT */
/*
 * The CRIU probe of `virtbench features`: is CRIU installed, does `criu
 * check` pass, and can it checkpoint and restore a small process tree in
 * new namespaces here? The tree is killed and reaped, its images removed.
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
#include "experiment/features-parse.h"
#include "experiment/features-probe.h"

#define CRIU_TIMEOUT_MS 30000

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

int vb_features_probe_criu(const struct vb_features_host *h, struct vb_features_criu *p)
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

void vb_features_criu_release(struct vb_features_criu *p)
{
	free(p->check_why);
	free(p->cr_what);
	memset(p, 0, sizeof(*p));
}
