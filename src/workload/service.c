/* SPDX-License-Identifier: MIT */
/*
 * Servers and clients of the service workloads (service.h). Every child is
 * set up between fork and exec with async-signal-safe calls only: the
 * strings it needs are made before.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <pwd.h>
#include <linux/close_range.h>
#include <sched.h>
#include <linux/mount.h>
#include <math.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "core/net.h"
#include "core/util.h"
#include "workload/net-common.h"
#include "workload/service.h"

#define SVC_SEEN_PRIVATE "/tmp/vb-svc"
#define CLIENT_MAX_OUT (1u << 20)

/* The environment of every server and client: nothing of the agent's. */
static char *const svc_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"LANG=C.UTF-8",
	"LC_ALL=C.UTF-8",
	"TZ=UTC",
	/*
	 * libpq (pg_isready, pgbench, virtbench-mw) as root would look for a
	 * Kerberos ticket in /tmp/krb5cc_0, where any local user may put a
	 * FIFO that blocks it, or data for root's libkrb5 to parse: neither
	 * GSSAPI nor TLS is used on these loopback connections.
	 */
	"PGGSSENCMODE=disable",
	"PGSSLMODE=disable",
	"KRB5CCNAME=MEMORY:",
	NULL,
};
#define SVC_ENV_N (sizeof(svc_env) / sizeof(svc_env[0]) - 1)

/* Can a user other than the owner walk down to dir (o+x on every parent)? */
static bool parents_open(const char *dir)
{
	_cleanup_free_ char *p = xstrdup(dir);
	for (char *slash = strrchr(p, '/'); slash && slash != p; slash = strrchr(p, '/')) {
		*slash = '\0';
		struct stat st;
		if (stat(p, &st) || !(st.st_mode & S_IXOTH))
			return false;
	}
	return true;
}

/* The user's ids from the guest's own /etc/passwd (no NSS in a static agent). */
/* Is uid one of this user namespace's (/proc/self/uid_map)? */
static bool uid_mapped(uid_t uid)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long inside, outside, count;
	while (f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		if (uid >= inside && uid - inside < count)
			return true;
	return false;
}

static int lookup_user(const char *user, uid_t *uid, gid_t *gid, struct vb_error **err)
{
	/*
	 * Virtbench's own id for a server whose package has no user: in no
	 * user database, so no other process of the host runs as it (as
	 * "nobody" may: one could then ptrace the server into the job's
	 * network). Inside a user namespace that does not map it (a
	 * container's), nobody, which only the container's own processes use.
	 */
	if (!user) {
		bool own = uid_mapped(VB_SVC_UID);
		*uid = own ? VB_SVC_UID : 65534;
		*gid = own ? VB_SVC_UID : 65534;
		return 0;
	}
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return vb_error_errno(err, errno, "cannot read /etc/passwd for user %s", user);
	struct passwd *pw;
	while ((pw = fgetpwent(f)))
		if (!strcmp(pw->pw_name, user)) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			return 0;
		}
	return vb_error_set(err, -ENOENT,
			    "user %s does not exist here (its Debian package creates it)", user);
}

int vb_svc_open(struct vb_svc *s, const char *name, const char *scratch, const char *user,
		struct vb_error **err)
{
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	s->log_fd = -1;
	s->dir_fd = -1;
	s->name = xstrdup(name);
	if (!scratch || scratch[0] != '/')
		return vb_error_set(err, -EINVAL, "%s needs a scratch directory", name);
	int r = lookup_user(user, &s->uid, &s->gid, err);
	if (r)
		return r;
	if (!user)
		user = s->uid == VB_SVC_UID ? "virtbench's own" : "nobody";
	if (s->uid == 0)
		return vb_error_set(err, -EINVAL, "%s must not run as root (user %s)", name, user);
	s->dir = xasprintf("%s/svc-%s", scratch, name);
	r = vb_rm_rf(s->dir);
	if (!r && mkdir(s->dir, 0700) < 0)
		r = -errno;
	if (r) {
		free(s->dir);
		s->dir = NULL;
		return vb_error_errno(err, -r, "cannot create %s/svc-%s", scratch, name);
	}
	s->dir_fd = open(s->dir, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dir_fd < 0)
		return vb_error_errno(err, errno, "cannot open %s", s->dir);
	if (fchown(s->dir_fd, s->uid, s->gid) < 0)
		return vb_error_errno(err, errno, "cannot give %s to user %s", s->dir, user);
	if (parents_open(s->dir)) {
		s->seen = xstrdup(s->dir);
	} else if (geteuid() == 0) {
		s->private_tmp = true;
		s->seen = xstrdup(SVC_SEEN_PRIVATE);
	} else {
		return vb_error_set(err, -EACCES,
				    "user %s cannot reach %s (a parent is closed to it) and the "
				    "agent is not root",
				    user, s->dir);
	}
	s->log = xasprintf("%s/server.log", s->dir);
	/*
	 * Root's, opened now and handed to every process: the service's user
	 * owns the directory and could put a FIFO or a link in its place later.
	 */
	s->log_fd = openat(s->dir_fd, "server.log",
			   O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (s->log_fd < 0)
		return vb_error_errno(err, errno, "%s: cannot create %s", name, s->log);
	return 0;
}

int vb_svc_create(const struct vb_svc *s, const char *name, int flags, mode_t mode,
		  struct vb_error **err)
{
	int fd = s->dir_fd < 0 ? -EBADF
			       : openat(s->dir_fd, name,
					flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return vb_error_errno(err, s->dir_fd < 0 ? EBADF : errno, "cannot create %s/%s",
				      s->dir ? s->dir : "(no service directory)", name);
	return fd;
}

void vb_svc_unlink(const struct vb_svc *s, const char *name)
{
	if (s->dir_fd >= 0)
		(void)unlinkat(s->dir_fd, name, 0);
}

int vb_svc_write(const struct vb_svc *s, const char *name, const void *data, size_t len,
		 struct vb_error **err)
{
	_cleanup_close_ int fd = vb_svc_create(s, name, O_WRONLY, 0644, err);
	if (fd < 0)
		return fd;
	int r = vb_write_all(fd, data, len);
	if (!r && fchown(fd, s->uid, s->gid) < 0)
		r = -errno;
	if (r)
		return vb_error_errno(err, -r, "cannot write %s/%s", s->dir, name);
	return 0;
}

/* What a child needs, made before the fork. */
struct child_plan {
	char *const *argv;
	int out_fd, null_fd, err_w; /* err_w: close-on-exec pipe for an errno */
	int stdout_fd;		    /* > 2: standard output goes there, not to out_fd */
	int stdin_fd;		    /* > 2: standard input comes from there, not null_fd */
	bool set_ids;
	uid_t uid;
	gid_t gid;
	const char *cwd;      /* NULL: stay */
	const char *bind_src; /* with private_tmp: bound on SVC_SEEN_PRIVATE */
	int parent_fd;	      /* a pidfd of the agent: readable once it died */
	char *const *envp;    /* NULL: svc_env */
};

static void child_fail(int fd, int e)
{
	(void)!write(fd, &e, sizeof(e));
	_exit(127);
}

/* Between fork and exec: async-signal-safe calls only. */
static void child_exec(const struct child_plan *p)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Its own session: no terminal, and a process group the agent can kill whole. */
	(void)setsid();
	if (p->bind_src) {
		/*
		 * A copy of the directory's mount taken first: the tmpfs on /tmp
		 * may hide the directory itself (a state directory under /tmp).
		 */
		int tree = -1;
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    (tree = (int)syscall(SYS_open_tree, AT_FDCWD, p->bind_src,
					 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0 ||
		    mount("vb-svc", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") <
			0 ||
		    mkdir(SVC_SEEN_PRIVATE, 0700) < 0 ||
		    syscall(SYS_move_mount, tree, "", AT_FDCWD, SVC_SEEN_PRIVATE,
			    MOVE_MOUNT_F_EMPTY_PATH) < 0 ||
		    /* POSIX shared memory (PostgreSQL's) goes with the namespace too. */
		    mount("vb-svc-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=1777,size=256m") < 0)
			child_fail(p->err_w, errno);
		close(tree);
	}
	if (dup2(p->stdin_fd > 2 ? p->stdin_fd : p->null_fd, STDIN_FILENO) < 0 ||
	    dup2(p->stdout_fd > 2 ? p->stdout_fd : p->out_fd, STDOUT_FILENO) < 0 ||
	    dup2(p->out_fd, STDERR_FILENO) < 0)
		child_fail(p->err_w, errno);
	/* Nothing of the agent's (its channel above all) reaches the server. */
	if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(p->err_w, errno);
	/*
	 * Raw system calls: glibc's setuid() in a child of a threaded process
	 * (the peer serves connections on threads) waits for threads that
	 * were not copied, forever. The kernel's credentials are per thread,
	 * and this child has one.
	 */
	if (p->set_ids && (syscall(SYS_setgroups, 0, NULL) < 0 ||
			   syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0 ||
			   syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0))
		child_fail(p->err_w, errno);
	/* After the id change, which clears it; then: did the agent die before? */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(p->err_w, errno);
	struct pollfd gone = { .fd = p->parent_fd, .events = POLLIN };
	if (p->parent_fd >= 0 && poll(&gone, 1, 0) != 0)
		_exit(127);
	if (p->cwd && chdir(p->cwd) < 0)
		child_fail(p->err_w, errno);
	execve(p->argv[0], p->argv, p->envp ? p->envp : svc_env);
	child_fail(p->err_w, errno);
}

/*
 * Fork (into a new PID namespace, and mount namespace with bind_src, when
 * allowed) and exec. The exec's failure comes back as -errno.
 */
static int spawn(const struct child_plan *plan, bool new_pidns, pid_t *pid, bool *got_pidns)
{
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	struct child_plan p = *plan;
	p.err_w = ep[1];
	p.parent_fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	unsigned long flags = SIGCHLD;
	/* A PID namespace, and an IPC one for SysV shared memory, ended with it. */
	if (new_pidns)
		flags |= CLONE_NEWPID | CLONE_NEWIPC;
	if (p.bind_src)
		flags |= CLONE_NEWNS;
	pid_t c = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (c < 0 && (errno == EPERM || errno == ENOSYS) && new_pidns && !p.bind_src) {
		flags = SIGCHLD;
		/*
		 * No CAP_SYS_ADMIN, or a seccomp filter that refuses new
		 * namespaces (a container): a plain child in its own session.
		 */
		c = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	}
	if (c < 0) {
		int e = errno;
		if (p.parent_fd >= 0)
			close(p.parent_fd);
		close(ep[0]);
		close(ep[1]);
		return -e;
	}
	if (c == 0)
		child_exec(&p);
	if (got_pidns)
		*got_pidns = flags & CLONE_NEWPID;
	close(ep[1]);
	if (p.parent_fd >= 0)
		close(p.parent_fd);
	int e = 0;
	ssize_t n;
	do
		n = read(ep[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
			;
		return -e;
	}
	*pid = c;
	return 0;
}

static int svc_spawn(struct vb_svc *s, char *const argv[], int stdout_fd, pid_t *pid,
		     struct vb_error **err)
{
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return vb_error_errno(err, errno, "%s: cannot open /dev/null", s->name);
	struct child_plan p = { .argv = argv,
				.out_fd = s->log_fd,
				.null_fd = null,
				.stdout_fd = stdout_fd,
				.set_ids = true,
				.uid = s->uid,
				.gid = s->gid,
				.cwd = s->seen,
				.bind_src = s->private_tmp ? s->dir : NULL };
	bool pidns = false;
	int r = spawn(&p, true, pid, &pidns);
	if (r)
		return vb_error_errno(err, -r, "%s: cannot start %s", s->name, argv[0]);
	s->shared_pidns |= !pidns;
	return 0;
}

int vb_svc_start(struct vb_svc *s, char *const argv[], struct vb_error **err)
{
	if (s->pid > 0)
		return vb_error_set(err, -EBUSY, "%s is already running", s->name);
	return svc_spawn(s, argv, -1, &s->pid, err);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

bool vb_svc_alive(struct vb_svc *s)
{
	if (s->pid <= 0)
		return false;
	siginfo_t si = { 0 };
	int w = waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	if (w == 0 && si.si_pid == 0)
		return true;
	/*
	 * Ended (not reaped yet, so its id is still its own): what it left in
	 * its session goes too, where no PID namespace took it along.
	 */
	if (w == 0)
		kill(-s->pid, SIGKILL);
	while (waitpid(s->pid, &s->status, 0) < 0 && errno == EINTR)
		;
	s->pid = -1;
	return false;
}

static char *describe_status(int st)
{
	if (WIFEXITED(st))
		return xasprintf("exit status %d", WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return xasprintf("killed by signal %d", WTERMSIG(st));
	return xstrdup("ended");
}

static int with_log(const struct vb_svc *s, struct vb_error **err, int code, const char *what)
{
	_cleanup_free_ char *tail = vb_svc_log_tail(s);
	if (tail)
		return vb_error_set(err, code, "%s %s; its log ends: %s", s->name, what, tail);
	return vb_error_set(err, code, "%s %s (its log is empty)", s->name, what);
}

static bool tcp_accepts(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = sizeof(*a4);
	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	if (!addr || inet_pton(AF_INET, addr, &a4->sin_addr) != 1) {
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (addr && inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons(port);
			sl = sizeof(*a6);
		}
	}
	_cleanup_close_ int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd >= 0 && connect(fd, (struct sockaddr *)&ss, sl) == 0;
}

int vb_svc_wait_ready(struct vb_svc *s, const char *addr, uint16_t port, char *const probe[],
		      double timeout_s, volatile sig_atomic_t *stop, struct vb_error **err)
{
	return vb_svc_wait_ready_env(s, addr, port, probe, NULL, timeout_s, stop, err);
}

int vb_svc_wait_ready_env(struct vb_svc *s, const char *addr, uint16_t port, char *const probe[],
			  char *const env[], double timeout_s, volatile sig_atomic_t *stop,
			  struct vb_error **err)
{
	double end = vb_monotonic_s() + timeout_s;
	for (;;) {
		if (!vb_svc_alive(s)) {
			_cleanup_free_ char *how = describe_status(s->status);
			_cleanup_free_ char *what = xasprintf("exited at start (%s)", how);
			return with_log(s, err, -ECHILD, what);
		}
		if (stop && *stop)
			return vb_error_set(err, -EINTR, "%s: stopped while it started", s->name);
		if (tcp_accepts(addr, port)) {
			if (!probe)
				return 0;
			struct vb_client_result pr = { 0 };
			int r = vb_client_run_env(probe, env, 5, stop, &pr, NULL);
			bool ok = !r && WIFEXITED(pr.status) && WEXITSTATUS(pr.status) == 0;
			vb_client_result_release(&pr);
			if (ok)
				return 0;
		}
		if (vb_monotonic_s() > end) {
			_cleanup_free_ char *what =
			    xasprintf("did not answer on port %u within %.0f s", port, timeout_s);
			return with_log(s, err, -ETIMEDOUT, what);
		}
		nap_ms(20);
	}
}

int vb_svc_run(struct vb_svc *s, char *const argv[], double timeout_s, volatile sig_atomic_t *stop,
	       struct vb_error **err)
{
	return vb_svc_run_out(s, argv, -1, timeout_s, stop, err);
}

int vb_svc_run_out(struct vb_svc *s, char *const argv[], int out_fd, double timeout_s,
		   volatile sig_atomic_t *stop, struct vb_error **err)
{
	pid_t pid;
	int r = svc_spawn(s, argv, out_fd, &pid, err);
	if (r)
		return r;
	double end = vb_monotonic_s() + timeout_s;
	int st = 0;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if ((stop && *stop) || vb_monotonic_s() > end) {
			kill(pid, SIGKILL);
			kill(-pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			const char *base = strrchr(argv[0], '/');
			if (stop && *stop)
				return vb_error_set(err, -EINTR, "%s: stopped during %s", s->name,
						    base + 1);
			_cleanup_free_ char *what =
			    xasprintf("%s took longer than %.0f s", base + 1, timeout_s);
			return with_log(s, err, -ETIMEDOUT, what);
		}
		nap_ms(10);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	_cleanup_free_ char *how = describe_status(st);
	_cleanup_free_ char *what = xasprintf("%s failed (%s)", strrchr(argv[0], '/') + 1, how);
	return with_log(s, err, -EIO, what);
}

static void kill_wait(pid_t pid, int *status)
{
	kill(pid, SIGKILL);
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

void vb_svc_stop(struct vb_svc *s, int sig, double grace_s)
{
	if (!vb_svc_alive(s))
		return;
	kill(s->pid, sig);
	double end = vb_monotonic_s() + grace_s;
	while (vb_svc_alive(s) && vb_monotonic_s() < end)
		nap_ms(10);
	if (s->pid > 0) {
		kill_wait(s->pid, &s->status);
		s->pid = -1;
	}
}

/*
 * Without a PID namespace of its own (a container): what the server's user
 * left that escaped its session (epmd daemonizes with setsid). Only there:
 * in a container nothing but the job runs as that user, on a host others
 * may.
 */
static void closedirp(DIR **d);

static void kill_user(uid_t uid)
{
	_cleanup_(closedirp) DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		struct stat st;
		if (*end || pid <= 1 || fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
		    st.st_uid != uid)
			continue;
		kill((pid_t)pid, SIGKILL);
	}
}

void vb_svc_close(struct vb_svc *s)
{
	if (s->pid > 0) {
		kill_wait(s->pid, &s->status);
		s->pid = -1;
	}
	if (s->shared_pidns && s->uid != 0)
		kill_user(s->uid);
	/* Without a PID namespace: whatever of the user's the server left in its session. */
	if (s->dir)
		vb_rm_rf(s->dir);
	free(s->name);
	free(s->dir);
	free(s->seen);
	free(s->log);
	if (s->log_fd >= 0)
		close(s->log_fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	s->log_fd = -1;
	s->dir_fd = -1;
}

/* The last non-empty line of text, cleaned to printable ASCII, at most 240 bytes. */
static char *last_line(const char *text, size_t len)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	if (!len)
		return NULL;
	size_t start = len;
	while (start && text[start - 1] != '\n')
		start--;
	size_t n = len - start > 240 ? 240 : len - start;
	char *out = xstrndup(text + start, n);
	for (char *c = out; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	return out;
}

char *vb_svc_log_tail(const struct vb_svc *s)
{
	struct stat st;
	if (s->log_fd < 0 || fstat(s->log_fd, &st) || !S_ISREG(st.st_mode))
		return NULL;
	int fd = s->log_fd;
	char buf[4096];
	off_t off = st.st_size > (off_t)sizeof(buf) ? st.st_size - (off_t)sizeof(buf) : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, off);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/*
	 * The last line that says what went wrong (PostgreSQL follows its
	 * ERROR with the STATEMENT; nginx marks [emerg]), else the last line.
	 */
	static const char *const marks[] = { "ERROR",	"FATAL",  "PANIC", "[emerg]",
					     "[alert]", "[crit]", "rror" };
	const char *best = NULL;
	for (const char *l = buf; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
		size_t len = strcspn(l, "\n");
		for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
			const char *m = memmem(l, len, marks[i], strlen(marks[i]));
			if (m) {
				best = l;
				break;
			}
		}
	}
	if (best)
		return last_line(best, strcspn(best, "\n"));
	return last_line(buf, (size_t)n);
}

/* vb_client_run, as uid:gid when set_ids. */
static int client_run_as(char *const argv[], char *const envp[], bool set_ids, uid_t uid, gid_t gid,
			 int in_fd, int out_fd, double timeout_s, volatile sig_atomic_t *stop,
			 struct vb_client_result *res, struct vb_error **err)
{
	memset(res, 0, sizeof(*res));
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "cannot start %s", argv[0]);
	_cleanup_close_ int rd = pfd[0];
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* The client's own pipe: ab -e /proc/self/fd/1 reopens it through /proc. */
	if (set_ids && fchown(pfd[1], uid, gid) < 0) {
		close(pfd[1]);
		return vb_error_errno(err, errno, "cannot start %s", argv[0]);
	}
	/* In "/": nothing of the directory the agent was started in is read by accident. */
	struct child_plan p = { .argv = argv,
				.out_fd = pfd[1],
				.null_fd = null,
				.stdin_fd = in_fd,
				.stdout_fd = out_fd,
				.cwd = "/",
				.set_ids = set_ids,
				.uid = uid,
				.gid = gid,
				.envp = envp };
	pid_t pid;
	double t0 = vb_monotonic_s();
	int r = null < 0 ? -errno : spawn(&p, false, &pid, NULL);
	close(pfd[1]);
	if (r)
		return vb_error_errno(err, -r, "cannot start %s", argv[0]);
	size_t len = 0, cap = 65536;
	res->out = xmalloc(cap + 1);
	bool eof = false, killed = false;
	int code = 0;
	double end = t0 + timeout_s, killed_at = 0;
	/* After the kill, what still holds the pipe (a child in a session of its own) gets 2 s. */
	while (!eof && !(killed && vb_monotonic_s() > killed_at + 2)) {
		struct pollfd pf = { .fd = rd, .events = POLLIN };
		int pr = poll(&pf, 1, 50);
		if (pr > 0) {
			char buf[16384];
			ssize_t n = read(rd, buf, sizeof(buf));
			if (n <= 0) {
				eof = n == 0 || errno != EINTR;
				continue;
			}
			/* Past the cap the rest is read and dropped, so the client never blocks. */
			size_t keep = len >= CLIENT_MAX_OUT ? 0 : (size_t)n;
			if (keep > CLIENT_MAX_OUT - len)
				keep = CLIENT_MAX_OUT - len;
			if (len + keep > cap) {
				cap = cap * 2 > CLIENT_MAX_OUT ? CLIENT_MAX_OUT : cap * 2;
				res->out = xrealloc(res->out, cap + 1);
			}
			memcpy(res->out + len, buf, keep);
			len += keep;
		}
		if (!killed && ((stop && *stop) || vb_monotonic_s() > end)) {
			code = stop && *stop ? -EINTR : -ETIMEDOUT;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = true;
			killed_at = vb_monotonic_s();
		}
	}
	res->out[len] = '\0';
	/* Its output closed, it may still run: the same time limit and stop hold. */
	struct rusage ru;
	for (;;) {
		pid_t w = wait4(pid, &res->status, WNOHANG, &ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			memset(&ru, 0, sizeof(ru));
			break;
		}
		if (!killed && ((stop && *stop) || vb_monotonic_s() > end)) {
			code = stop && *stop ? -EINTR : -ETIMEDOUT;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = true;
		}
		nap_ms(5);
	}
	if (!killed)
		kill(-pid, SIGKILL); /* anything it left in its session */
	res->wall_s = vb_monotonic_s() - t0;
	res->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	const char *base = strrchr(argv[0], '/') + 1;
	if (code == -EINTR)
		return vb_error_set(err, code, "%s: stopped", base);
	if (code)
		return vb_error_set(err, code, "%s took longer than %.0f s", base, timeout_s);
	return 0;
}

int vb_client_run(char *const argv[], double timeout_s, volatile sig_atomic_t *stop,
		  struct vb_client_result *res, struct vb_error **err)
{
	return client_run_as(argv, NULL, false, 0, 0, -1, -1, timeout_s, stop, res, err);
}

int vb_client_run_env(char *const argv[], char *const extra[], double timeout_s,
		      volatile sig_atomic_t *stop, struct vb_client_result *res,
		      struct vb_error **err)
{
	return vb_client_run_io(argv, extra, -1, -1, timeout_s, stop, res, err);
}

int vb_client_run_io(char *const argv[], char *const extra[], int in_fd, int out_fd,
		     double timeout_s, volatile sig_atomic_t *stop, struct vb_client_result *res,
		     struct vb_error **err)
{
	size_t n = 0;
	while (extra && extra[n])
		n++;
	_cleanup_free_ char **env = xcalloc(SVC_ENV_N + n + 1, sizeof(char *));
	memcpy(env, svc_env, SVC_ENV_N * sizeof(char *));
	if (n)
		memcpy(env + SVC_ENV_N, extra, n * sizeof(char *));
	return client_run_as(argv, env, false, 0, 0, in_fd, out_fd, timeout_s, stop, res, err);
}

void vb_client_result_release(struct vb_client_result *res)
{
	free(res->out);
	res->out = NULL;
}

char *vb_client_tail(const struct vb_client_result *res)
{
	char *t = res->out ? last_line(res->out, strlen(res->out)) : NULL;
	return t ? t : xstrdup("");
}

int vb_app_program(const char *const candidates[], const char *package, char **path,
		   struct vb_error **err)
{
	for (size_t i = 0; candidates[i]; i++)
		if (access(candidates[i], X_OK) == 0) {
			*path = xstrdup(candidates[i]);
			return 0;
		}
	const char *base = strrchr(candidates[0], '/');
	return vb_error_set(err, -ENOENT, "%s is not installed here (Debian package %s)",
			    base ? base + 1 : candidates[0], package);
}

int vb_app_port(uint64_t port, uint16_t *out, struct vb_error **err)
{
	if (port > 65535)
		return vb_error_set(err, -EINVAL, "port %llu is not a TCP port",
				    (unsigned long long)port);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vb_error_errno(err, errno, "cannot open a socket");
	/* As servers do: a port whose old connections wait in TIME_WAIT is free. */
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (errno == EADDRINUSE)
			return vb_error_set(err, -EADDRINUSE,
					    "port %llu on 127.0.0.1 is already taken by another "
					    "program",
					    (unsigned long long)port);
		return vb_error_errno(err, errno, "cannot bind 127.0.0.1:%llu",
				      (unsigned long long)port);
	}
	socklen_t al = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		return vb_error_errno(err, errno, "cannot read a socket's port");
	*out = ntohs(a.sin_port);
	return 0;
}

int vb_http_get(uint16_t port, const char *path, double timeout_s, char **body, size_t *len,
		struct vb_error **err)
{
	*body = NULL;
	*len = 0;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return vb_error_errno(err, errno, "cannot connect to 127.0.0.1:%u", port);
	_cleanup_free_ char *req =
	    xasprintf("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: virtbench\r\n\r\n", path);
	if (vb_write_all(fd, req, strlen(req)))
		return vb_error_errno(err, errno, "cannot send a request to 127.0.0.1:%u", port);
	size_t n = 0, cap = 1 << 16;
	_cleanup_free_ char *resp = xmalloc(cap + 1);
	double end = vb_monotonic_s() + timeout_s;
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (vb_monotonic_s() > end)
			return vb_error_set(err, -ETIMEDOUT,
					    "127.0.0.1:%u did not answer within %.0f s", port,
					    timeout_s);
		if (poll(&pf, 1, 100) <= 0)
			continue;
		if (n == cap)
			return vb_error_set(err, -E2BIG, "the answer of 127.0.0.1:%u is too long",
					    port);
		ssize_t k = read(fd, resp + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return vb_error_errno(err, errno, "cannot read from 127.0.0.1:%u", port);
		if (k == 0)
			break;
		n += (size_t)k;
	}
	resp[n] = '\0';
	if (n < 12 || strncmp(resp, "HTTP/1.", 7) || strncmp(resp + 8, " 200", 4)) {
		char *line = last_line(resp, strcspn(resp, "\r\n"));
		int r = vb_error_set(err, -EPROTO, "GET %s answered '%s', not 200", path,
				     line ? line : "");
		free(line);
		return r;
	}
	char *sep = strstr(resp, "\r\n\r\n");
	if (!sep)
		return vb_error_set(err, -EPROTO, "GET %s: no end of headers", path);
	sep += 4;
	*len = n - (size_t)(sep - resp);
	*body = xmalloc(*len + 1);
	memcpy(*body, sep, *len);
	(*body)[*len] = '\0';
	return 0;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

char *vb_pg_bindir(struct vb_error **err)
{
	_cleanup_(closedirp) DIR *d = opendir("/usr/lib/postgresql");
	long best = -1;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end || v <= best || v > 1000)
			continue;
		_cleanup_free_ char *pg = xasprintf("/usr/lib/postgresql/%ld/bin/postgres", v);
		_cleanup_free_ char *pb = xasprintf("/usr/lib/postgresql/%ld/bin/pgbench", v);
		if (access(pg, X_OK) == 0 && access(pb, X_OK) == 0)
			best = v;
	}
	if (best < 0) {
		vb_error_set(err, -ENOENT,
			     "PostgreSQL is not installed here (Debian package postgresql-15)");
		return NULL;
	}
	return xasprintf("/usr/lib/postgresql/%ld/bin", best);
}

/* What the host spends on one guest's request at most, in seconds. */
#define LOAD_MAX_S 7200.0

void vb_load_secret_text(const struct vb_load *l, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(l->secret); i++) {
		out[2 * i] = hex[l->secret[i] >> 4];
		out[2 * i + 1] = hex[l->secret[i] & 15];
	}
	out[32] = '\0';
}

int vb_peer_local_addr(const char *peer, char *out, size_t n, struct vb_error **err)
{
	struct sockaddr_storage ss, me;
	socklen_t sl, ml = sizeof(me);
	char hp[VB_PEER_MAX_TEXT];
	uint8_t token[16];
	if (!peer || vb_peer_split(peer, hp, sizeof(hp), token) ||
	    vb_parse_hostport(hp, false, &ss, &sl))
		return vb_error_set(err, -EINVAL, "bad peer address %.64s", peer ? peer : "");
	_cleanup_close_ int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) < 0)
		return vb_error_errno(err, errno, "no route to the peer %s", peer);
	const void *a = me.ss_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&me)->sin6_addr
						 : (void *)&((struct sockaddr_in *)&me)->sin_addr;
	if (!inet_ntop(me.ss_family, a, out, (socklen_t)n))
		return vb_error_errno(err, errno, "the address toward the peer %s", peer);
	return 0;
}

/* Wire forms (network order) of the request and the reply's head. */
struct load_wire {
	uint32_t tool, port;
	uint64_t arg[4];
	uint8_t secret[16];
} __attribute__((packed));

struct load_reply {
	int32_t status;
	uint32_t len;
	uint64_t wall_us, cpu_us;
} __attribute__((packed));

int vb_load_check(const struct vb_load *l, struct vb_error **err)
{
	const uint64_t *a = l->arg;
	bool ok = l->port >= 1 && l->port <= 65535;
	switch (l->tool) {
	case VB_LOAD_AB:
		ok = ok && a[0] >= 1 && a[0] <= 100000000 && a[1] >= 1 && a[1] <= 10000 &&
		     a[1] <= a[0];
		break;
	case VB_LOAD_WRK:
		ok = ok && a[0] >= 1 && a[0] <= 256 && a[1] >= a[0] && a[1] <= 10000 && a[2] >= 1 &&
		     a[2] <= 3600;
		break;
	case VB_LOAD_PGBENCH_INIT:
		ok = ok && a[0] >= 1 && a[0] <= 1000;
		break;
	case VB_LOAD_PGBENCH:
		ok = ok && a[0] >= 1 && a[0] <= 1000 && a[1] >= 1 && a[1] <= a[0] &&
		     a[2] <= 100000000 && (a[2] || (a[3] >= 1 && a[3] <= 86400));
		break;
	default:
		ok = false;
	}
	if (!ok)
		return vb_error_set(
		    err, -EINVAL,
		    "a load request out of bounds (tool %u, port %u, %llu %llu %llu "
		    "%llu)",
		    l->tool, l->port, (unsigned long long)a[0], (unsigned long long)a[1],
		    (unsigned long long)a[2], (unsigned long long)a[3]);
	return 0;
}

static double load_timeout(const struct vb_load *l)
{
	const uint64_t *a = l->arg;
	switch (l->tool) {
	case VB_LOAD_AB:
		return (double)a[0] / 1000.0 + 60; /* a thousand requests/s at worst */
	case VB_LOAD_WRK:
		return (double)a[2] + 60;
	case VB_LOAD_PGBENCH_INIT:
		return 1800;
	default:
		return a[2] ? (double)(a[0] * a[2]) / 20.0 + 600 : (double)a[3] + 600;
	}
}

/* The client's command line against host:port; NULL with *err (a program missing). */
static char **load_argv(const struct vb_load *l, const char *host, struct vb_error **err)
{
	static const char *const ab[] = { "/usr/bin/ab", NULL };
	static const char *const wrk[] = { "/usr/bin/wrk", NULL };
	char *prog = NULL;
	int r = 0;
	if (l->tool == VB_LOAD_AB)
		r = vb_app_program(ab, "apache2-utils", &prog, err);
	else if (l->tool == VB_LOAD_WRK)
		r = vb_app_program(wrk, "wrk", &prog, err);
	else {
		_cleanup_free_ char *bin = vb_pg_bindir(err);
		r = bin ? 0 : -ENOENT;
		if (bin)
			prog = xasprintf("%s/pgbench", bin);
	}
	if (r)
		return NULL;
	const uint64_t *a = l->arg;
	bool v6 = strchr(host, ':') != NULL;
	char **v = xcalloc(20, sizeof(char *));
	size_t n = 0;
	v[n++] = prog;
#define ADD(...) (v[n++] = xasprintf(__VA_ARGS__))
	switch (l->tool) {
	case VB_LOAD_AB:
		/* Its percentiles as CSV (tenths of ms), after the report on the same pipe. */
		ADD("-q"), ADD("-n"), ADD("%llu", (unsigned long long)a[0]), ADD("-c"),
		    ADD("%llu", (unsigned long long)a[1]), ADD("-e"), ADD("/proc/self/fd/1");
		ADD(v6 ? "http://[%s]:%u/test.html" : "http://%s:%u/test.html", host, l->port);
		break;
	case VB_LOAD_WRK:
		ADD("-t"), ADD("%llu", (unsigned long long)a[0]), ADD("-c"),
		    ADD("%llu", (unsigned long long)a[1]), ADD("-d"),
		    ADD("%llus", (unsigned long long)a[2]), ADD("--latency");
		ADD(v6 ? "http://[%s]:%u/test.html" : "http://%s:%u/test.html", host, l->port);
		break;
	case VB_LOAD_PGBENCH_INIT:
		ADD("-i"), ADD("-q"), ADD("-s"), ADD("%llu", (unsigned long long)a[0]);
		break;
	default:
		ADD("-c"), ADD("%llu", (unsigned long long)a[0]), ADD("-j"),
		    ADD("%llu", (unsigned long long)a[1]), ADD(a[2] ? "-t" : "-T"),
		    ADD("%llu", (unsigned long long)(a[2] ? a[2] : a[3]));
		break;
	}
	if (l->tool == VB_LOAD_PGBENCH_INIT || l->tool == VB_LOAD_PGBENCH)
		ADD("-h"), ADD("%s", host), ADD("-p"), ADD("%u", l->port), ADD("-U"),
		    ADD("postgres"), ADD("postgres");
#undef ADD
	return v;
}

static void argv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Read exactly n bytes within the deadline, giving up when *stop is set. */
static int read_until(int fd, void *buf, size_t n, double end, volatile sig_atomic_t *stop)
{
	size_t got = 0;
	while (got < n) {
		if (stop && *stop)
			return -EINTR;
		if (vb_monotonic_s() > end)
			return -ETIMEDOUT;
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EPIPE;
		got += (size_t)k;
	}
	return 0;
}

int vb_load_run(const struct vb_load *l, const char *peer, volatile sig_atomic_t *stop,
		struct vb_client_result *res, struct vb_error **err)
{
	memset(res, 0, sizeof(*res));
	int r = vb_load_check(l, err);
	if (r)
		return r;
	if (!peer) {
		char **argv = load_argv(l, "127.0.0.1", err);
		if (!argv)
			return -ENOENT;
		r = vb_client_run(argv, load_timeout(l), stop, res, err);
		argv_free(argv);
		return r;
	}
	_cleanup_close_ int fd = vb_peer_connect(peer, VB_PEER_LOAD, 0, "where=host", err);
	if (fd < 0)
		return fd;
	struct load_wire w = { htonl(l->tool), htonl(l->port), { 0 }, { 0 } };
	for (int i = 0; i < 4; i++)
		w.arg[i] = htobe64(l->arg[i]);
	memcpy(w.secret, l->secret, sizeof(w.secret));
	if (vb_write_all(fd, &w, sizeof(w)))
		return vb_error_errno(err, errno, "where=host: cannot send the load to %s", peer);
	double end = vb_monotonic_s() + load_timeout(l) + 60;
	struct load_reply h;
	r = read_until(fd, &h, sizeof(h), end, stop);
	uint32_t len = r ? 0 : ntohl(h.len);
	if (!r && len > CLIENT_MAX_OUT)
		r = -EPROTO;
	if (!r) {
		res->out = xmalloc((size_t)len + 1);
		r = read_until(fd, res->out, len, end, stop);
		res->out[r ? 0 : len] = '\0';
	}
	if (r == -EINTR)
		return vb_error_set(err, r, "where=host: stopped");
	if (r)
		return vb_error_errno(err, -r, "where=host: no answer from the peer %s", peer);
	res->status = (int)(int32_t)ntohl((uint32_t)h.status);
	res->wall_s = (double)be64toh(h.wall_us) * 1e-6;
	res->cpu_s = (double)be64toh(h.cpu_us) * 1e-6;
	if (res->status == -1)
		return vb_error_set(err, -EINVAL, "where=host: the host refused the load: %.200s",
				    res->out);
	return 0;
}

static atomic_int load_busy;

struct load_watch {
	int fd;
	volatile sig_atomic_t gone;
	volatile sig_atomic_t done;
};

/* Sets gone when the guest closes the connection: its client is killed then. */
static void *watch_thread(void *arg)
{
	struct load_watch *w = arg;
	while (!w->done) {
		struct pollfd pf = { .fd = w->fd, .events = POLLRDHUP };
		if (poll(&pf, 1, 100) > 0 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			w->gone = 1;
			break;
		}
	}
	return NULL;
}

static void load_reply(int fd, int32_t status, const char *text, double wall, double cpu)
{
	size_t len = text ? strlen(text) : 0;
	struct load_reply h = { (int32_t)htonl((uint32_t)status), htonl((uint32_t)len),
				htobe64((uint64_t)(wall * 1e6)), htobe64((uint64_t)(cpu * 1e6)) };
	if (!vb_write_all(fd, &h, sizeof(h)) && len)
		(void)vb_write_all(fd, text, len);
}

void vb_load_serve(int fd)
{
	struct load_wire w;
	if (vb_read_full(fd, &w, sizeof(w)))
		return;
	struct vb_load l = { ntohl(w.tool), ntohl(w.port), { 0 }, { 0 } };
	for (int i = 0; i < 4; i++)
		l.arg[i] = be64toh(w.arg[i]);
	memcpy(l.secret, w.secret, sizeof(l.secret));
	struct vb_error *err = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "";
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    !inet_ntop(ss.ss_family,
		       ss.ss_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
						: (void *)&((struct sockaddr_in *)&ss)->sin_addr,
		       host, sizeof(host))) {
		load_reply(fd, -1, "the peer cannot tell the guest's address", 0, 0);
		return;
	}
	if (vb_load_check(&l, &err)) {
		load_reply(fd, -1, err->msg, 0, 0);
		vb_error_free(&err);
		return;
	}
	/* A guest's request takes at most the host's CPUs and two hours. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t threads = l.tool == VB_LOAD_WRK       ? l.arg[0]
			   : l.tool == VB_LOAD_PGBENCH ? l.arg[1]
						       : 1;
	if (cpus > 0 && threads > (uint64_t)cpus) {
		char why[96];
		snprintf(why, sizeof(why), "%llu client threads, more than this host's %ld CPUs",
			 (unsigned long long)threads, cpus);
		load_reply(fd, -1, why, 0, 0);
		return;
	}
	if (atomic_exchange(&load_busy, 1)) {
		load_reply(fd, -1, "another load of this run is running", 0, 0);
		return;
	}
	char **argv = load_argv(&l, host, &err);
	if (!argv) {
		load_reply(fd, -1, err->msg, 0, 0);
		vb_error_free(&err);
		atomic_store(&load_busy, 0);
		return;
	}
	/* The guest's wait may outlast the peer's idle limit. */
	struct timeval tv = { 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct load_watch watch = { .fd = fd };
	pthread_t t;
	bool watching = pthread_create(&t, NULL, watch_thread, &watch) == 0;
	struct vb_client_result res;
	/* Not as root: the host's root never runs what a guest asked for. */
	char pw[33 + 11] = "PGPASSWORD=";
	vb_load_secret_text(&l, pw + 11);
	char *env[] = { svc_env[0], svc_env[1], svc_env[2], svc_env[3], pw, NULL };
	bool secret = memcmp(l.secret, (uint8_t[16]){ 0 }, sizeof(l.secret)) != 0;
	int r = client_run_as(argv, secret ? env : NULL, true, VB_LOAD_UID, VB_LOAD_UID, -1, -1,
			      fmin(load_timeout(&l), LOAD_MAX_S), &watch.gone, &res, &err);
	watch.done = 1;
	if (watching)
		pthread_join(t, NULL);
	if (r)
		load_reply(fd, -1, err->msg, 0, 0);
	else if (!watch.gone)
		load_reply(fd, res.status, res.out, res.wall_s, res.cpu_s);
	vb_error_free(&err);
	vb_client_result_release(&res);
	argv_free(argv);
	atomic_store(&load_busy, 0);
}

/* CAP_SYS_ADMIN in the effective set (bit 21 of /proc/self/status's CapEff). */
static bool may_admin(void)
{
	_cleanup_free_ char *status = NULL;
	size_t len;
	if (vb_read_file("/proc/self/status", 1 << 16, &status, &len))
		return false;
	const char *p = strstr(status, "\nCapEff:");
	unsigned long long eff = p ? strtoull(p + 8, NULL, 16) : 0;
	return eff & (1ull << 21);
}

int vb_svc_net_enter(int *saved, struct vb_error **err)
{
	*saved = -1;
	if (!may_admin())
		return 0;
	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return vb_error_errno(err, errno, "cannot open this thread's network namespace");
	if (unshare(CLONE_NEWNET) < 0) {
		int e = errno;
		close(orig);
		return vb_error_errno(err, e, "cannot make a network namespace for the server");
	}
	/* Only loopback, up. */
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
		int e = errno;
		(void)setns(orig, CLONE_NEWNET);
		close(orig);
		return vb_error_errno(err, e, "cannot bring up loopback for the server");
	}
	*saved = orig;
	return 0;
}

void vb_svc_net_leave(int *saved)
{
	if (*saved < 0)
		return;
	if (setns(*saved, CLONE_NEWNET) < 0)
		vb_bug(__FILE__, __LINE__, "cannot return to the agent's network namespace: %s",
		       strerror(errno));
	close(*saved);
	*saved = -1;
}

int vb_svc_load(struct vb_svc *s, const struct vb_load *l, const char *peer,
		volatile sig_atomic_t *stop, const char *what, struct vb_client_result *res,
		struct vb_error **err)
{
	int r = vb_load_run(l, peer, stop, res, err);
	if (!r && !(WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0)) {
		_cleanup_free_ char *tail = vb_client_tail(res);
		_cleanup_free_ char *slog = vb_svc_log_tail(s);
		r = vb_error_set(err, -EIO, "%s failed (status %d): %s; %s's log ends: %s", what,
				 res->status, tail, s->name, slog ? slog : "(empty)");
	}
	if (!r && !vb_svc_alive(s))
		r = vb_error_set(err, -ECHILD, "%s: %s ended during the load", what, s->name);
	return r;
}
