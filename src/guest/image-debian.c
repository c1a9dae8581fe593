/* SPDX-License-Identifier: MIT */
/*
 * The Debian golden image: debootstrap's minbase of the host's own release
 * from the host's own mirror, plus the static agent. It takes minutes and
 * hundreds of megabytes, so it is built once per (suite, mirror, packages,
 * agent) and kept in the image cache next to the minimal image.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "agent/client.h"
#include "virtbench/workload.h"
#include "core/proc.h"
#include "core/util.h"
#include "guest/apt.h"
#include "guest/image-build.h"
#include "guest/image-debian.h"

#define BUILD_PREFIX ".build-debian-"
#define STACK_SIZE (256 * 1024)
#define TAIL_LINES 15

extern char **environ;

int vb_image_debian_plan(const char *const *packages, size_t npackages, const char *agent_path,
			 char suite[], size_t suite_len, char mirror[], size_t mirror_len,
			 char **dir, bool *cached, struct vb_error **err)
{
	int r = vb_apt_host_codename("", suite, suite_len, err);
	if (!r)
		r = vb_apt_host_mirror("", suite, mirror, mirror_len, err);
	if (r) {
		(*err)->exit_code = VB_EXIT_UNAVAILABLE;
		return r;
	}
	char agent[65], mw[65] = "-";
	r = vb_sha256_file(agent_path, agent);
	if (r)
		return vb_error_errno(err, -r, "image debian: reading the agent %s", agent_path);
	_cleanup_free_ char *mw_path = vb_image_mw_path(agent_path, packages, npackages);
	if (mw_path && (r = vb_sha256_file(mw_path, mw)))
		return vb_error_errno(err, -r, "image debian: reading %s", mw_path);
	/* Everything the image is made of; packages are sorted already. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	fprintf(f, "debootstrap minbase\n%s\n%s\n", suite, mirror);
	for (size_t i = 0; i < npackages; i++)
		fprintf(f, "%s%s", i ? "," : "", packages[i]);
	fprintf(f, "\n%s\n", agent);
	/* The middleware clients' program; "-" (and the old keys) where it is not built. */
	if (mw_path)
		fprintf(f, "%s\n", mw);
	fclose(f);
	char h[65];
	vb_sha256_buf(buf, len, h);
	free(buf);
	*dir = xasprintf("%s/images/debian-%s-%.16s", vb_cache_dir(), suite, h);
	struct stat st;
	*cached = stat(*dir, &st) == 0 && S_ISDIR(st.st_mode);
	return 0;
}

/* Remove the build directories of processes that are gone (killed mid-build). */
static void sweep_builds(const char *images)
{
	DIR *d = opendir(images);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, BUILD_PREFIX, strlen(BUILD_PREFIX)))
			continue;
		uint64_t pid;
		if (vb_parse_u64(e->d_name + strlen(BUILD_PREFIX), &pid) || pid > INT32_MAX ||
		    (pid_t)pid == getpid() || vb_proc_alive((pid_t)pid) > 0)
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", images, e->d_name);
		vb_rm_rf(p);
	}
	if (d)
		closedir(d);
}

struct init_args {
	char *const *argv, *const *envp;
	int out_fd;
};

/*
 * PID 1 of debootstrap's namespaces: its mounts (/proc, /sys in the target)
 * stay in this mount namespace, and whatever a package's scripts leave
 * running dies with this process. Dies itself with virtbench.
 */
static int init_main(void *arg)
{
	const struct init_args *a = arg;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(125);
	pid_t p = fork();
	if (p < 0)
		_exit(125);
	if (p == 0) {
		vb_proc_child_signals();
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(a->out_fd, STDOUT_FILENO) < 0 || dup2(a->out_fd, STDERR_FILENO) < 0)
			_exit(126);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execve(a->argv[0], a->argv, a->envp);
		_exit(127);
	}
	close(a->out_fd);
	/*
	 * Reap orphans until debootstrap itself ends, then end: the kernel kills
	 * whatever else a package's scripts left running in this PID namespace
	 * (waiting for those too would wait for a daemon forever).
	 */
	int st = 0;
	for (;;) {
		int s;
		pid_t w = wait(&s);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (w == p) {
			st = s;
			break;
		}
	}
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* The last TAIL_LINES lines of a file, each indented, or "" when unreadable. */
static char *file_tail(const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (vb_read_file(path, 1 << 22, &text, &len) || !len)
		return xstrdup("");
	size_t start = len, lines = 0;
	while (start > 0 && lines <= TAIL_LINES)
		if (text[--start] == '\n' && start + 1 < len)
			lines++;
	if (lines > TAIL_LINES)
		start++;
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);
	if (!f)
		abort();
	for (size_t i = start; i < len; i++) {
		if (i == start || text[i - 1] == '\n')
			fputs("\n    ", f);
		if (text[i] != '\n')
			fputc(text[i] >= ' ' || text[i] == '\t' ? text[i] : '?', f);
	}
	fclose(f);
	return out;
}

/*
 * debootstrap's phases ("I: Installing core packages...", not the line per
 * package "I: Configuring sed..."), its warnings and its errors.
 */
static void progress_line(const char *line, vb_image_progress_cb progress, void *data)
{
	size_t n = strlen(line), words = 1;
	for (size_t i = 3; i < n; i++)
		words += line[i] == ' ';
	bool phase =
	    !strncmp(line, "I: ", 3) &&
	    ((words > 2 && n > 3 && !strcmp(line + n - 3, "...")) || strstr(line, "successfully"));
	if (progress && (phase || !strncmp(line, "W: ", 3) || !strncmp(line, "E: ", 3)))
		progress(line, data);
}

/*
 * Run argv with its output into log (and each line to progress); a
 * Ctrl-C ends it. 0 when it exits 0; its exit status as -EIO otherwise.
 */
static int run_logged(char *const argv[], const char *log, vb_image_progress_cb progress,
		      void *data, int *status, struct vb_error **err)
{
	_cleanup_close_ int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return vb_error_errno(err, errno, "image debian: creating %s", log);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "image debian: pipe");
	/* A fixed PATH and C messages: debootstrap needs chroot and friends from sbin. */
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **envp = xcalloc(nenv + 3, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < nenv; i++)
		if (strncmp(environ[i], "PATH=", 5) && strncmp(environ[i], "LC_ALL=", 7))
			envp[k++] = environ[i];
	envp[k++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	envp[k++] = "LC_ALL=C";
	struct init_args a = { .argv = argv, .envp = envp, .out_fd = pfd[1] };
	void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		free(envp);
		return vb_error_errno(err, e, "image debian: stack");
	}
	pid_t pid =
	    clone(init_main, (char *)stack + STACK_SIZE, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, &a);
	int clone_errno = errno;
	munmap(stack, STACK_SIZE);
	free(envp);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return vb_error_errno(err, clone_errno, "image debian: starting debootstrap");
	}
	char line[1024];
	size_t ln = 0;
	bool interrupted = false;
	for (;;) {
		if (vb_interrupted && !interrupted) {
			interrupted = true;
			kill(pid, SIGKILL); /* PID 1: the whole namespace goes */
		}
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		if (poll(&p, 1, 500) <= 0)
			continue;
		char buf[4096];
		ssize_t n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		vb_write_all(logfd, buf, (size_t)n);
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (ln + 1 < sizeof(line))
					line[ln++] = buf[i];
				continue;
			}
			line[ln] = '\0';
			progress_line(line, progress, data);
			ln = 0;
		}
	}
	close(pfd[0]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return vb_error_errno(err, errno, "image debian: waiting for debootstrap");
	if (interrupted)
		return vb_error_exit(err, -EINTR, VB_EXIT_INTERRUPTED, "interrupted");
	if (!WIFEXITED(*status) || WEXITSTATUS(*status))
		return -EIO;
	return 0;
}

/* Are all of VB_MW_CLIENT_PACKAGES among packages? */
static bool holds_mw_libraries(const char *const *packages, size_t npackages)
{
	_cleanup_free_ char *want = xstrdup(VB_MW_CLIENT_PACKAGES);
	char *save = NULL;
	for (char *p = strtok_r(want, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		bool found = false;
		for (size_t i = 0; i < npackages && !found; i++)
			found = !strcmp(packages[i], p);
		if (!found)
			return false;
	}
	return true;
}

char *vb_image_mw_path(const char *agent_path, const char *const *packages, size_t npackages)
{
	if (!holds_mw_libraries(packages, npackages))
		return NULL;
	_cleanup_free_ char *dir = xstrdup(agent_path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	char *p = xasprintf("%s/virtbench-mw", dir);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* Copy the file from to path in root (beside the agent in /sbin), mode 0755. */
static int install(int rootfd, const char *from, const char *path, struct vb_error **err)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return vb_error_errno(err, errno, "image debian: opening %s", from);
	/* /sbin is a symlink (merged /usr): followed, but never out of the root. */
	struct open_how how = {
		.flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		.mode = 0755,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int out = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (out < 0)
		return vb_error_errno(err, errno, "image debian: creating /%s", path);
	int r = vb_copy_fd(in, out);
	if (!r && (fchmod(out, 0755) < 0 || fsync(out) < 0))
		r = -errno;
	if (r)
		return vb_error_errno(err, -r, "image debian: copying %s", from);
	return 0;
}

/*
 * The agent (and the middleware clients' program beside it, where built)
 * and the directories the container start needs, inside root.
 */
static int finish(const char *root, const char *agent, const char *const *packages,
		  size_t npackages, struct vb_error **err)
{
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return vb_error_errno(err, errno, "image debian: opening %s", root);
	static const char *const dirs[] = { "proc", "sys", "dev", "tmp", "scratch" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(dirs); i++) {
		bool tmp = !strcmp(dirs[i], "tmp");
		if (mkdirat(rootfd, dirs[i], tmp ? 01777 : 0755) < 0 && errno != EEXIST)
			return vb_error_errno(err, errno, "image debian: creating /%s", dirs[i]);
	}
	int r = install(rootfd, agent, "sbin/virtbench-agent", err);
	_cleanup_free_ char *mw = vb_image_mw_path(agent, packages, npackages);
	if (!r && mw)
		r = install(rootfd, mw, "sbin/virtbench-mw", err);
	return r;
}

int vb_image_debian(const char *const *packages, size_t npackages, const char *agent_path,
		    vb_image_progress_cb progress, void *data, char **dir, bool *built,
		    struct vb_error **err)
{
	*built = false;
	if (!vb_elf_is_static(agent_path))
		return vb_error_set(err, VB_SKIP, "the agent %s is not statically linked",
				    agent_path);
	char suite[VB_APT_SUITE_MAX + 1], mirror[VB_APT_URI_MAX + 1];
	_cleanup_free_ char *final = NULL;
	bool cached;
	int r = vb_image_debian_plan(packages, npackages, agent_path, suite, sizeof(suite), mirror,
				     sizeof(mirror), &final, &cached, err);
	if (r)
		return r;
	if (cached) {
		*dir = steal_ptr(&final);
		return 0;
	}
	_cleanup_free_ char *debootstrap = vb_proc_which("debootstrap");
	if (!debootstrap)
		return vb_error_exit(err, -ENOENT, VB_EXIT_UNAVAILABLE,
				     "image debian: debootstrap is not installed (apt-get install "
				     "debootstrap)");
	if ((r = vb_cache_dir_check(err)))
		return r;
	_cleanup_free_ char *images = xasprintf("%s/images", vb_cache_dir());
	r = vb_mkdir_p(images, 0755);
	if (r)
		return vb_error_errno(err, -r, "image debian: creating %s", images);
	sweep_builds(images);
	_cleanup_free_ char *build = xasprintf("%s/" BUILD_PREFIX "%ld", images, (long)getpid());
	_cleanup_free_ char *root = xasprintf("%s/root", build);
	_cleanup_free_ char *log = xasprintf("%s/output.log", build);
	vb_rm_rf(build);
	if (mkdir(build, 0700) < 0)
		return vb_error_errno(err, errno, "image debian: creating %s", build);
	_cleanup_free_ char *include = NULL;
	for (size_t i = 0; i < npackages; i++) {
		char *next = xasprintf("%s%s%s", include ? include : "--include=", i ? "," : "",
				       packages[i]);
		free(include);
		include = next;
	}
	char *argv[] = { debootstrap, "--variant=minbase", suite, root, mirror, NULL, NULL, NULL };
	if (include) {
		memmove(&argv[2], &argv[1], 4 * sizeof(char *));
		argv[2] = include;
	}
	if (progress) {
		_cleanup_free_ char *what = xasprintf(
		    "building the Debian image (debootstrap --variant=minbase %s%s%s from %s; "
		    "minutes) into %s",
		    include ? include : "", include ? " " : "", suite, mirror, final);
		progress(what, data);
	}
	int status = 0;
	r = run_logged(argv, log, progress, data, &status, err);
	if (r == -EIO) {
		_cleanup_free_ char *out = file_tail(log);
		_cleanup_free_ char *dlog = xasprintf("%s/debootstrap/debootstrap.log", root);
		_cleanup_free_ char *detail = file_tail(dlog);
		r = vb_error_set(
		    err, -EIO,
		    "image debian: debootstrap %s from %s failed (exit %d); its output "
		    "ends:%s%s%s",
		    suite, mirror, WIFEXITED(status) ? WEXITSTATUS(status) : -1, out,
		    *detail ? "\n  and its debootstrap.log ends:" : "", detail);
	}
	if (!r)
		r = finish(root, agent_path, packages, npackages, err);
	if (!r && rename(root, final) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = vb_error_errno(err, errno, "image debian: renaming %s", root);
	vb_rm_rf(build); /* the log, and the root when the build failed or another won */
	if (r)
		return r;
	*built = true;
	*dir = steal_ptr(&final);
	return 0;
}
