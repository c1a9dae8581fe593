/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "core/proc.h"
#include "core/util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void child_fail(int errfd, int errnum)
{
	(void)!write(errfd, &errnum, sizeof(errnum));
	_exit(127);
}

/*
 * Fork and exec argv[0] with in_fd, out_fd and err_fd (-1 = inherited) as
 * its stdin, stdout and stderr, inside the network namespace netns_fd (-1 =
 * the caller's); the caller's descriptors stay open.
 */
void vb_proc_child_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
	for (size_t i = 0; i < VB_ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int spawn(char *const argv[], int in_fd, int out_fd, int err_fd, int netns_fd, pid_t *pid,
		 struct vb_error **err)
{
	int ep[2] = { -1, -1 };
	if (pipe2(ep, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "cannot create a pipe for %s", argv[0]);
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0) {
		int e = errno;
		close(ep[0]);
		close(ep[1]);
		return vb_error_errno(err, e, "cannot fork for %s", argv[0]);
	}
	if (p == 0) {
		/* Between fork and exec: async-signal-safe calls only. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			child_fail(ep[1], errno);
		if (getppid() != parent)
			_exit(127);
		if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
			child_fail(ep[1], errno);
		vb_proc_child_signals();
		if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
			child_fail(ep[1], errno);
		if (err_fd >= 0 && dup2(err_fd, STDERR_FILENO) < 0)
			child_fail(ep[1], errno);
		/* Keep only the error pipe (close-on-exec) above 2. */
		int efd = fcntl(ep[1], F_DUPFD_CLOEXEC, 3);
		if (efd < 0)
			child_fail(ep[1], errno);
		if (efd != 3) {
			if (dup3(efd, 3, O_CLOEXEC) < 0)
				child_fail(efd, errno);
			efd = 3;
		}
		if (syscall(SYS_close_range, 4U, ~0U, 0U) != 0) {
			long max = sysconf(_SC_OPEN_MAX);
			for (long fd = 4; fd < (max > 0 ? max : 65536); fd++)
				close((int)fd);
		}
		execv(argv[0], argv);
		child_fail(efd, errno);
	}
	close(ep[1]);
	int child_errno = 0;
	ssize_t n;
	do {
		n = read(ep[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n > 0) {
		vb_proc_reap(p, 1000);
		return vb_error_errno(err, child_errno, "cannot execute %s", argv[0]);
	}
	*pid = p;
	return 0;
}

int vb_proc_spawn_piped(char *const argv[], int netns_fd, pid_t *pid, int *to_child,
			int *from_child, struct vb_error **err)
{
	return vb_proc_spawn_piped_err(argv, netns_fd, -1, pid, to_child, from_child, err);
}

int vb_proc_spawn_piped_err(char *const argv[], int netns_fd, int err_fd, pid_t *pid, int *to_child,
			    int *from_child, struct vb_error **err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		int e = errno;
		for (int i = 0; i < 2; i++) {
			vb_closep(&in[i]);
			vb_closep(&out[i]);
		}
		return vb_error_errno(err, e, "cannot create pipes for %s", argv[0]);
	}
	int r = spawn(argv, in[0], out[1], err_fd, netns_fd, pid, err);
	close(in[0]);
	close(out[1]);
	if (r) {
		close(in[1]);
		close(out[0]);
		return r;
	}
	*to_child = in[1];
	*from_child = out[0];
	return 0;
}

int vb_proc_spawn_logged(char *const argv[], int out_fd, pid_t *pid, struct vb_error **err)
{
	return vb_proc_spawn_logged_ns(argv, out_fd, -1, pid, err);
}

int vb_proc_spawn_logged_ns(char *const argv[], int out_fd, int netns_fd, pid_t *pid,
			    struct vb_error **err)
{
	_cleanup_close_ int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0)
		return vb_error_errno(err, errno, "cannot open /dev/null");
	return spawn(argv, null, out_fd, out_fd, netns_fd, pid, err);
}

int vb_proc_run_redirected(char *const argv[], int in_fd, int out_fd, int *status,
			   struct vb_error **err)
{
	_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		return vb_error_errno(err, errno, "cannot open /dev/null");
	pid_t pid;
	int r = spawn(argv, in_fd, out_fd, null, -1, &pid, err);
	if (r)
		return r;
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return vb_error_errno(err, errno, "waiting for %s", argv[0]);
	return 0;
}

/* vb_proc_run with stdin from in_fd. */
static int run_captured(char *const argv[], int in_fd, int timeout_ms, size_t max, char **output,
			int *status, struct vb_error **err)
{
	*output = NULL;
	*status = -1;
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "cannot create a pipe for %s", argv[0]);
	_cleanup_close_ int rfd = pp[0];
	pid_t pid;
	int r = spawn(argv, in_fd, pp[1], pp[1], -1, &pid, err);
	close(pp[1]);
	if (r)
		return r;
	char *buf = xmalloc(max + 1);
	size_t len = 0;
	double deadline = (vb_monotonic_s() * 1e3) + timeout_ms;
	bool eof = false, exited = false, late = false;
	double exited_at = 0;
	int st = 0;
	/*
	 * Read until end of file and exit. A grandchild may keep the pipe open
	 * after the child exited: give it a moment, not forever.
	 */
	while (!(eof && exited)) {
		double now = (vb_monotonic_s() * 1e3);
		if (now >= deadline) {
			late = true;
			break;
		}
		if (exited && now - exited_at > 200)
			break;
		struct pollfd pfd = { .fd = rfd, .events = POLLIN };
		int left = (int)(deadline - now);
		int pr = eof ? 0 : poll(&pfd, 1, left < 50 ? left : 50);
		if (pr < 0 && errno != EINTR) {
			eof = true;
		} else if (pr > 0) {
			char tmp[4096];
			ssize_t n = read(rfd, tmp, sizeof(tmp));
			if (n <= 0 && !(n < 0 && errno == EINTR)) {
				eof = true;
			} else if (n > 0 && len < max) {
				size_t take = (size_t)n < max - len ? (size_t)n : max - len;
				memcpy(buf + len, tmp, take);
				len += take;
			}
		}
		if (!exited) {
			pid_t w = waitpid(pid, &st, WNOHANG);
			if (w == pid || (w < 0 && errno != EINTR)) {
				exited = true;
				exited_at = (vb_monotonic_s() * 1e3);
			}
		}
		if (eof && !exited) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	if (!exited) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	buf[len] = '\0';
	*output = buf;
	*status = st;
	if (late)
		return vb_error_set(err, -ETIMEDOUT, "%s did not finish within %d ms", argv[0],
				    timeout_ms);
	return 0;
}

int vb_proc_run(char *const argv[], int timeout_ms, size_t max, char **output, int *status,
		struct vb_error **err)
{
	_cleanup_close_ int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0)
		return vb_error_errno(err, errno, "cannot open /dev/null");
	return run_captured(argv, null, timeout_ms, max, output, status, err);
}

int vb_proc_run_input(char *const argv[], const char *input, int timeout_ms, size_t max,
		      char **output, int *status, struct vb_error **err)
{
	/* A memory file, not a pipe: no writer to keep alive, no size limit. */
	_cleanup_close_ int fd = memfd_create("virtbench-input", MFD_CLOEXEC);
	if (fd < 0)
		return vb_error_errno(err, errno, "cannot create the input of %s", argv[0]);
	size_t len = strlen(input), done = 0;
	while (done < len) {
		ssize_t n = write(fd, input + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vb_error_errno(err, n < 0 ? errno : EIO,
					      "cannot write the input of %s", argv[0]);
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return vb_error_errno(err, errno, "cannot rewind the input of %s", argv[0]);
	return run_captured(argv, fd, timeout_ms, max, output, status, err);
}

char *vb_proc_which(const char *name)
{
	const char *path = getenv("PATH");
	/* root's sbin directories too: criu lives there and PATH may lack them. */
	_cleanup_free_ char *paths = xasprintf(
	    "%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", path ? path : "");
	char *save = NULL;
	for (char *d = strtok_r(paths, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue;
		char *full = xasprintf("%s/%s", d, name);
		if (access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

/* Wait up to ms for pid to exit; 1 with *status filled when it did. */
static int wait_for(pid_t pid, int ms, int *status)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= ms)
			return 0;
		nanosleep(&ts, NULL);
	}
}

int vb_proc_reap(pid_t pid, int timeout_ms)
{
	int status;
	int r = wait_for(pid, timeout_ms, &status);
	if (r)
		return r < 0 ? r : status;
	/* SIGTERM lets an agent end its workload cleanly; SIGKILL if it does not. */
	kill(pid, SIGTERM);
	r = wait_for(pid, 1000, &status);
	if (r)
		return r < 0 ? r : status;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
}

static int read_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *buf = NULL;
	if (vb_read_file(path, 4096, &buf, NULL) < 0)
		return -ENOENT;
	/* comm may hold spaces and parentheses: parse after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EINVAL;
	*state = p[2];
	/* Field 3 is state; starttime is field 22. */
	char *s = p + 2;
	for (int field = 3; field < 22 && s; field++) {
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	if (!s)
		return -EINVAL;
	*start = strtoull(s, NULL, 10);
	return 0;
}

int vb_proc_alive(pid_t pid)
{
	char state;
	unsigned long long start;
	if (pid <= 0 || read_stat(pid, &state, &start))
		return 0;
	return state != 'Z' && state != 'X';
}

unsigned long long vb_proc_starttime(pid_t pid)
{
	char state;
	unsigned long long start;
	if (pid <= 0 || read_stat(pid, &state, &start) || state == 'Z' || state == 'X')
		return 0;
	return start;
}
