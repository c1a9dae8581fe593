/* SPDX-License-Identifier: MIT */
/*
 * virtbench's container start: clone into new namespaces, wait until the
 * supervisor has written the user namespace's maps (when there is one) and
 * put the child in its cgroup, then build the root and harden the process
 * step by step before exec. Every step that fails is reported to the
 * supervisor through a close-on-exec pipe as (errno, step), and the child
 * exits: nothing half-set-up ever runs the agent.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <grp.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <cap-ng.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "core/proc.h"
#include "core/util.h"
#include "runtime/container.h"
#include "runtime/net.h"
#include "runtime/seccomp.h"

#define STACK_SIZE (1024 * 1024)

struct child_report {
	int err;
	bool exec; /* the last step, execve, failed: the command is bad input */
	char step[200];
};

struct child_args {
	const struct vb_ctr_config *c;
	int go_fd;		  /* read end: 'u' (maps written), then go (cgroup attached) */
	int err_fd;		  /* write end, close-on-exec: failures before exec */
	int parent_fds[2];	  /* the supervisor's ends, closed first thing */
	struct sock_fprog filter; /* compiled by the supervisor (vb_seccomp_compile) */
	struct sock_fprog ioctls; /* and the refused ioctl requests (same call) */
};

const int vb_container_caps[] = {
	/*
	 * Docker's default set minus MKNOD, NET_RAW and AUDIT_WRITE (found in
	 * review: a guest could send AUDIT_USER records into the host's audit
	 * log; no workload writes audit records).
	 */
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,     CAP_SETGID, CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,
};
const size_t vb_container_ncaps = VB_ARRAY_SIZE(vb_container_caps);

__attribute__((format(printf, 4, 0))) static void report(int fd, int e, bool exec, const char *fmt,
							 va_list ap)
{
	struct child_report rep = { .err = e, .exec = exec };
	vsnprintf(rep.step, sizeof(rep.step), fmt, ap);
	(void)!write(fd, &rep, sizeof(rep));
}

/* Reported to the supervisor; the child ends here. */
__attribute__((noreturn, format(printf, 3, 4))) static void fail(int fd, int e, const char *fmt,
								 ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(fd, e, false, fmt, ap);
	va_end(ap);
	_exit(127);
}

/* As fail, for the command itself: missing, not executable, not a program. */
__attribute__((noreturn, format(printf, 3, 4))) static void fail_exec(int fd, int e,
								      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(fd, e, true, fmt, ap);
	va_end(ap);
	_exit(127);
}

/*
 * Open a path inside the root without following any symlink and without
 * leaving the root (CVE-2021-30465 and kin): the target of every mount is
 * an O_PATH descriptor from here, mounted on through /proc/self/fd/N.
 */
static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

static void fd_path(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

static void mount_in_root(const struct child_args *a, int rootfd, const char *src,
			  const char *target, const char *type, unsigned long flags,
			  const char *data)
{
	int fd = open_in_root(rootfd, target, O_PATH);
	if (fd < 0)
		fail(a->err_fd, errno, "opening /%s in the root (a symlink or missing?)", target);
	char p[32];
	fd_path(fd, p);
	if (mount(src, p, type, flags, data) < 0)
		fail(a->err_fd, errno, "mounting %s on /%s", type ? type : src, target);
	close(fd);
}

/* Bind src (an O_PATH fd or a host path) read-only over target. */
static void bind_ro(const struct child_args *a, int rootfd, const char *src, const char *target)
{
	int fd = open_in_root(rootfd, target, O_PATH);
	if (fd < 0) {
		if (errno == ENOENT)
			return; /* nothing to mask */
		fail(a->err_fd, errno, "opening /%s in the root", target);
	}
	char p[32];
	fd_path(fd, p);
	if (mount(src, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(a->err_fd, errno, "binding %s on /%s", src, target);
	close(fd);
	/* A fresh descriptor names the new mount, not the one under it. */
	fd = open_in_root(rootfd, target, O_PATH);
	if (fd < 0)
		fail(a->err_fd, errno, "reopening /%s", target);
	fd_path(fd, p);
	/* No MS_NODEV: a mask is the null device and must stay openable. */
	if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL) < 0)
		fail(a->err_fd, errno, "making /%s read-only", target);
	close(fd);
}

static void check_fs(const struct child_args *a, int rootfd, const char *target, long magic)
{
	int fd = open_in_root(rootfd, target, O_PATH | O_DIRECTORY);
	struct statfs fs;
	if (fd < 0 || fstatfs(fd, &fs) < 0 || fs.f_type != magic)
		fail(a->err_fd, fd < 0 ? errno : EXDEV, "/%s is not the filesystem just mounted",
		     target);
	close(fd);
}

static void setup_dev(const struct child_args *a, int rootfd)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	mount_in_root(a, rootfd, "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
		      "mode=755,size=1024k");
	int dev = open_in_root(rootfd, "dev", O_PATH | O_DIRECTORY);
	if (dev < 0)
		fail(a->err_fd, errno, "opening /dev");
	for (size_t i = 0; i < VB_ARRAY_SIZE(nodes); i++) {
		/*
		 * Bind the host's node onto an empty file: no mknod needed. Read-only:
		 * the inode is the host's own, and root inside (CAP_CHOWN, CAP_FOWNER)
		 * must not chmod, chown or touch it; reads and writes of the device
		 * do not need a writable mount.
		 */
		int f = openat(dev, nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
		if (f < 0)
			fail(a->err_fd, errno, "creating /dev/%s", nodes[i]);
		close(f);
		char host[32], target[32];
		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		snprintf(target, sizeof(target), "dev/%s", nodes[i]);
		bind_ro(a, rootfd, host, target);
	}
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
		fail(a->err_fd, errno, "creating /dev/pts, /dev/shm");
	mount_in_root(a, rootfd, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		      "newinstance,ptmxmode=0666,mode=0620");
	mount_in_root(a, rootfd, "shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		      "mode=1777,size=65536k");
	if (symlinkat("pts/ptmx", dev, "ptmx") < 0 || symlinkat("/proc/self/fd", dev, "fd") < 0 ||
	    symlinkat("/proc/self/fd/0", dev, "stdin") < 0 ||
	    symlinkat("/proc/self/fd/1", dev, "stdout") < 0 ||
	    symlinkat("/proc/self/fd/2", dev, "stderr") < 0)
		fail(a->err_fd, errno, "creating /dev links");
	/*
	 * The container's own terminal (a pty of the supervisor's) is its
	 * /dev/console, as runc does: ttyname() inside finds it there. Bound
	 * from its name in our copy of the host's /dev/pts (a descriptor names
	 * a mount of the supervisor's namespace, which cannot be bound here),
	 * once that name is checked to be this very terminal.
	 */
	struct stat tty, named;
	char pts[32];
	if (a->c->ctty && fstat(a->c->stdin_fd, &tty) == 0 &&
	    snprintf(pts, sizeof(pts), "/dev/pts/%u",
		     (major(tty.st_rdev) - 136) * 256 + minor(tty.st_rdev)) > 0 &&
	    stat(pts, &named) == 0 && named.st_rdev == tty.st_rdev && named.st_dev == tty.st_dev) {
		int f = openat(dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (f < 0)
			fail(a->err_fd, errno, "creating /dev/console");
		close(f);
		mount_in_root(a, rootfd, pts, "dev/console", NULL, MS_BIND, NULL);
	}
	/* The masks below bind this node: make sure it is what it claims (char 1:3). */
	struct stat st;
	if (fstatat(dev, "null", &st, 0) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 ||
	    minor(st.st_rdev) != 3)
		fail(a->err_fd, EXDEV, "/dev/null inside is not the null device");
	close(dev);
}

static void setup_proc_sys(const struct child_args *a, int rootfd)
{
	/*
	 * Besides the usual set, what maps the kernel's memory (slab caches,
	 * vmalloc addresses, the flags, counts and cgroups of every page): root
	 * inside a container without a user namespace could read it.
	 */
	static const char *const masked[] = {
		"proc/acpi",	      "proc/asound",	  "proc/kcore",	      "proc/keys",
		"proc/latency_stats", "proc/timer_list",  "proc/timer_stats", "proc/sched_debug",
		"proc/scsi",	      "proc/slabinfo",	  "proc/vmallocinfo", "proc/kpageflags",
		"proc/kpagecount",    "proc/kpagecgroup", "sys/firmware",
	};
	static const char *const readonly[] = {
		"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
	};
	mount_in_root(a, rootfd, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	check_fs(a, rootfd, "proc", PROC_SUPER_MAGIC);
	mount_in_root(a, rootfd, "sysfs", "sys", "sysfs",
		      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	check_fs(a, rootfd, "sys", SYSFS_MAGIC);
	int null = open_in_root(rootfd, "dev/null", O_PATH);
	if (null < 0)
		fail(a->err_fd, errno, "opening /dev/null");
	char nullp[32];
	fd_path(null, nullp);
	for (size_t i = 0; i < VB_ARRAY_SIZE(masked); i++) {
		int fd = open_in_root(rootfd, masked[i], O_PATH);
		if (fd < 0)
			continue; /* not on this kernel */
		struct stat st;
		if (fstat(fd, &st) < 0)
			fail(a->err_fd, errno, "stat /%s", masked[i]);
		close(fd);
		if (S_ISDIR(st.st_mode))
			mount_in_root(a, rootfd, "tmpfs", masked[i], "tmpfs",
				      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
		else
			bind_ro(a, rootfd, nullp, masked[i]);
	}
	close(null);
	for (size_t i = 0; i < VB_ARRAY_SIZE(readonly); i++) {
		char src[32];
		int fd = open_in_root(rootfd, readonly[i], O_PATH);
		if (fd < 0)
			continue;
		fd_path(fd, src);
		bind_ro(a, rootfd, src, readonly[i]);
		close(fd);
	}
}

static void loopback_up(const struct child_args *a)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fail(a->err_fd, errno, "reading lo's flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		fail(a->err_fd, errno, "bringing lo up");
	close(s);
}

static void drop_caps(const struct child_args *a)
{
	capng_clear(CAPNG_SELECT_ALL);
	for (size_t i = 0; i < vb_container_ncaps; i++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			     (unsigned)vb_container_caps[i]);
	/* Inheritable and ambient stay empty (CVE-2022-27650). */
	if (capng_apply(CAPNG_SELECT_ALL) < 0)
		fail(a->err_fd, EPERM, "applying the capability sets");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		fail(a->err_fd, errno, "clearing ambient capabilities");
}

static void load_seccomp(const struct child_args *a)
{
	/* Every thread, present and future, gets the filters (SECURITY.md item 6). */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &a->ioctls) !=
	    0)
		fail(a->err_fd, errno, "installing the seccomp filter of ioctl requests");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &a->filter) !=
	    0)
		fail(a->err_fd, errno, "installing the seccomp filter");
}

/* The overlay's directories and the volume, opened before the child changes its ids. */
struct layers {
	int lower, upper, work, mnt;
	int volume; /* -1: none */
	int hosts;  /* -1: none */
};

/*
 * As the mapped root of a user namespace the child may not be able to walk
 * to the layers at all (the run's directory is the host root's, mode 0700):
 * it opens them first, with the supervisor's identity, and from then on
 * names them as /proc/self/fd/N, which the kernel resolves without looking
 * at the directories above.
 */
static void open_layers(const struct child_args *a, struct layers *l)
{
	const struct vb_ctr_config *c = a->c;
	const char *paths[] = { c->lower, c->upper, c->work, c->mnt };
	int *fds[] = { &l->lower, &l->upper, &l->work, &l->mnt };
	for (size_t i = 0; i < VB_ARRAY_SIZE(paths); i++) {
		*fds[i] = open(paths[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*fds[i] < 0)
			fail(a->err_fd, errno, "opening %s", paths[i]);
	}
	l->volume = -1;
	if (c->volume) {
		l->volume = open(c->volume, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (l->volume < 0)
			fail(a->err_fd, errno, "opening the volume %s", c->volume);
	}
	l->hosts = -1;
	if (c->hosts) {
		l->hosts = open(c->hosts, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (l->hosts < 0)
			fail(a->err_fd, errno, "opening %s", c->hosts);
	}
}

/*
 * Become root inside the user namespace, once the supervisor has written its
 * maps. Raw system calls: glibc's set*id would signal threads that live only
 * in the supervisor (clone() leaves its thread list behind).
 */
static void become_root(const struct child_args *a)
{
	char u;
	if (read(a->go_fd, &u, 1) != 1)
		_exit(127); /* the supervisor gave up on us */
	if (syscall(SYS_setresgid, 0, 0, 0) < 0)
		fail(a->err_fd, errno, "becoming gid 0 in the user namespace");
	/* With setgroups allowed, the supervisor's supplementary groups go too. */
	if (!a->c->userns->setgroups_deny && syscall(SYS_setgroups, 0, NULL) < 0)
		fail(a->err_fd, errno, "dropping supplementary groups");
	if (syscall(SYS_setresuid, 0, 0, 0) < 0)
		fail(a->err_fd, errno, "becoming uid 0 in the user namespace");
	/* Changing ids cleared the parent-death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(a->err_fd, errno, "setting the parent-death signal again");
}

/*
 * The overlay root through the new mount API: fsmount's descriptor is the
 * root of the new mount, which a path (even /proc/self/fd/N of the mount
 * point) would not give once it is covered. Returns that descriptor.
 */
static int mount_root(const struct child_args *a, const struct layers *l)
{
	char lower[32], upper[32], work[32], msg[160] = "";
	fd_path(l->lower, lower);
	fd_path(l->upper, upper);
	fd_path(l->work, work);
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		fail(a->err_fd, errno, "opening overlayfs");
	/* In a user namespace trusted.* is out of reach: user.overlay.* instead. */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
	    (a->c->userns && fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;
		ssize_t n = read(fs, msg, sizeof(msg) - 1);
		msg[n > 0 ? n : 0] = '\0';
		fail(a->err_fd, e, "mounting the overlay root (lower %s, upper %s)%s%s",
		     a->c->lower, a->c->upper, n > 0 ? ": " : "", msg);
	}
	int m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (m < 0)
		fail(a->err_fd, errno, "making the overlay a mount");
	close(fs);
	if (move_mount(m, "", l->mnt, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail(a->err_fd, errno, "attaching the overlay root at %s", a->c->mnt);
	return m;
}

/*
 * The volume on /scratch: a clone of its mount (open_tree, so the source is
 * the descriptor opened before the ids changed, never a path), made nosuid
 * and nodev while still detached, then attached over the root's /scratch.
 * That is found inside the root without following any symlink (an image
 * whose /scratch is a link is refused) and made first when the image has
 * none (in the upper layer).
 */
static void bind_volume(const struct child_args *a, int rootfd, int volume)
{
	if (mkdirat(rootfd, "scratch", 0755) < 0 && errno != EEXIST)
		fail(a->err_fd, errno, "creating /scratch in the root");
	int target = open_in_root(rootfd, "scratch", O_PATH | O_DIRECTORY);
	if (target < 0)
		fail(a->err_fd, errno, "opening /scratch in the root (a symlink or no directory?)");
	int tree = open_tree(volume, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		fail(a->err_fd, errno, "cloning the volume %s", a->c->volume);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		fail(a->err_fd, errno, "making the volume nosuid and nodev");
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail(a->err_fd, errno, "attaching the volume %s on /scratch", a->c->volume);
	close(tree);
	close(target);
}

/*
 * execve, with a name without '/' looked up in the PATH the container gets
 * (as execvp would, but not with the supervisor's PATH: that is the host's).
 * Returns only on failure, errno from the last try that said more than
 * ENOENT.
 */
static void exec_in_path(char *const argv[], char *const envp[])
{
	static const char *const path[] = { "/sbin", "/bin", "/usr/sbin", "/usr/bin" };
	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		return;
	}
	int e = ENOENT;
	for (size_t i = 0; i < VB_ARRAY_SIZE(path); i++) {
		char full[4096];
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", path[i], argv[0]) >=
		    sizeof(full)) {
			e = ENAMETOOLONG;
			break;
		}
		execve(full, argv, envp);
		if (errno != ENOENT && errno != ENOTDIR)
			e = errno;
	}
	errno = e;
}

static int child_main(void *arg)
{
	const struct child_args *a = arg;
	const struct vb_ctr_config *c = a->c;
	/*
	 * Without the supervisor's ends, a supervisor that gives up (closes go
	 * unsent) ends our wait below, and our exit ends its read of the report.
	 */
	close(a->parent_fds[0]);
	close(a->parent_fds[1]);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(a->err_fd, errno, "setting the parent-death signal");
	/*
	 * A session of its own: the supervisor's controlling terminal stays
	 * outside (/dev/tty inside opens no terminal of the host's, and no
	 * terminal of the host's is the guest's to type into).
	 */
	if (setsid() < 0)
		fail(a->err_fd, errno, "starting a new session");
	struct layers l;
	open_layers(a, &l);
	/* Root inside before any mount: the overlay writes with its mounter's ids. */
	if (c->userns)
		become_root(a);
	/*
	 * The root is assembled while the supervisor moves us into the guest's
	 * cgroup (that move may wait for an RCU grace period); only what
	 * depends on the cgroup or the network waits for its go. Nothing
	 * mounted from here on propagates to the host.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(a->err_fd, errno, "making the mount tree private");
	int rootfd = mount_root(a, &l);
	if (l.volume >= 0) {
		bind_volume(a, rootfd, l.volume);
		close(l.volume);
	}
	close(l.lower);
	close(l.upper);
	close(l.work);
	close(l.mnt);
	setup_dev(a, rootfd);
	setup_proc_sys(a, rootfd);
	if (l.hosts >= 0) {
		/*
		 * Only a regular /etc/hosts of the root's own gets the guest's;
		 * where the image has none (debootstrap's minbase), one is made
		 * in the guest's layer to bind it on, where /etc lets us.
		 */
		struct open_how make = { .flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
					 .mode = 0644,
					 .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
						    RESOLVE_NO_MAGICLINKS };
		int made = (int)syscall(SYS_openat2, rootfd, "etc/hosts", &make, sizeof(make));
		if (made >= 0)
			close(made);
		int at = open_in_root(rootfd, "etc/hosts", O_PATH);
		struct stat st;
		if (at >= 0 && fstat(at, &st) == 0 && S_ISREG(st.st_mode)) {
			char p[32];
			fd_path(l.hosts, p);
			bind_ro(a, rootfd, p, "etc/hosts");
		}
		if (at >= 0)
			close(at);
		close(l.hosts);
	}
	if (sethostname(c->hostname, strlen(c->hostname)) < 0)
		fail(a->err_fd, errno, "setting the hostname");
	/* pivot_root, not chroot; the old root is detached, not left below. */
	if (fchdir(rootfd) < 0)
		fail(a->err_fd, errno, "chdir to the new root");
	close(rootfd);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(a->err_fd, errno, "pivot_root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0)
		fail(a->err_fd, errno, "detaching the old root");
	if (chdir("/") < 0)
		fail(a->err_fd, errno, "chdir /");
	char cwd[8];
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/"))
		fail(a->err_fd, EXDEV,
		     "working directory is not the new root"); /* CVE-2024-21626 */
	char go;
	if (read(a->go_fd, &go, 1) != 1)
		_exit(127); /* the supervisor gave up on us */
	close(a->go_fd);
	/* Now in the guest's cgroup: it becomes the root of our cgroup view. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		fail(a->err_fd, errno, "entering a new cgroup namespace");
	loopback_up(a);
	if (c->net_ip) {
		const char *step;
		int nr = vb_net_guest_setup(c->net_ip, c->net_gateway, &step);
		if (nr)
			fail(a->err_fd, -nr, "network: %s", step);
	}
	struct rlimit core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &core);
	/* Without CAP_SYS_RESOURCE inside, the guest cannot raise it again. */
	struct rlimit fsize = { c->fsize_max, c->fsize_max };
	if (c->fsize_max && setrlimit(RLIMIT_FSIZE, &fsize) < 0)
		fail(a->err_fd, errno, "setting RLIMIT_FSIZE");
	/*
	 * The supervisor's supplementary groups stay outside (raw call, as in
	 * become_root). In a user namespace become_root did it, or setgroups is
	 * denied there and they show as the overflow gid.
	 */
	if (!c->userns && syscall(SYS_setgroups, 0, NULL) < 0)
		fail(a->err_fd, errno, "dropping supplementary groups");
	drop_caps(a);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(a->err_fd, errno, "setting no_new_privs");
	if (dup2(c->stdin_fd, 0) < 0 || dup2(c->stdout_fd, 1) < 0)
		fail(a->err_fd, errno, "setting up the agent channel");
	if (c->stderr_fd > 0 && dup2(c->stderr_fd, 2) < 0)
		fail(a->err_fd, errno, "setting up stderr");
	if (c->ctty && ioctl(0, TIOCSCTTY, 0) < 0)
		fail(a->err_fd, errno, "making the container's terminal its controlling terminal");
	/* Only 0 1 2 and the report pipe (close-on-exec) survive (CVE-2024-21626). */
	int efd = a->err_fd;
	if ((efd > 3 && syscall(SYS_close_range, 3U, (unsigned)efd - 1, 0U) < 0) ||
	    syscall(SYS_close_range, (unsigned)efd + 1, ~0U, 0U) < 0)
		fail(efd, errno, "closing inherited descriptors");
	vb_proc_child_signals();
	if (c->seccomp)
		load_seccomp(a);
	/* OPENBLAS_NUM_THREADS: see src/cli/main.c. */
	char *const envp[] = { "PATH=/sbin:/bin:/usr/sbin:/usr/bin", "HOME=/",
			       "OPENBLAS_NUM_THREADS=1", NULL };
	exec_in_path(c->argv, envp);
	fail_exec(efd, errno, "executing %s", c->argv[0]);
}

/* clone3's arguments up to CLONE_ARGS_SIZE_VER2 (linux/sched.h, not includable beside sched.h). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/*
 * The child, in its namespaces. Where the guest has a cgroup2 directory it
 * is born there (clone3 with CLONE_INTO_CGROUP, fork-like: no new stack),
 * so on a v2 host nothing is moved at all; *born_in_cgroup says so. Else,
 * or where clone3 or that flag is refused (older kernels), plain clone().
 */
static pid_t spawn(struct child_args *a, bool *born_in_cgroup)
{
	const int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET |
			  (a->c->userns ? CLONE_NEWUSER : 0);
	*born_in_cgroup = false;
	int cgfd = a->c->cgroup ? vb_cgroup_v2_fd(a->c->cgroup) : -1;
	if (cgfd >= 0) {
		struct clone3_args ca = {
			.flags = (uint64_t)flags | CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)cgfd,
		};
		long p = syscall(SYS_clone3, &ca, sizeof(ca));
		if (p == 0) {
			close(cgfd);
			_exit(child_main(a));
		}
		close(cgfd);
		if (p > 0) {
			*born_in_cgroup = true;
			return (pid_t)p;
		}
	}
	void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	pid_t p = clone(child_main, (char *)stack + STACK_SIZE, flags | SIGCHLD, a);
	int e = errno;
	munmap(stack, STACK_SIZE);
	errno = e;
	return p;
}

int vb_container_start(const struct vb_ctr_config *c, pid_t *pid, struct vb_error **err)
{
	/*
	 * With setgroups denied in the guest's user namespace, the child could
	 * never drop the groups it inherits, and the kernel would keep checking
	 * them (as host gids, though they show as 65534 inside). The supervisor
	 * is root and needs none: it drops its own first.
	 */
	if (c->userns && c->userns->setgroups_deny && getgroups(0, NULL) > 0 &&
	    setgroups(0, NULL) < 0)
		return vb_error_errno(err, errno, "container: dropping supplementary groups");
	/*
	 * go is a socket pair, not a pipe: the child may have failed and gone
	 * while we attached it, and a send to it must then fail with EPIPE
	 * (MSG_NOSIGNAL) rather than raise SIGPIPE here.
	 */
	int go[2], ep[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0)
		return vb_error_errno(err, errno, "container: socketpair");
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int e = errno;
		close(go[0]);
		close(go[1]);
		return vb_error_errno(err, e, "container: pipe");
	}
	struct child_args a = {
		.c = c, .go_fd = go[0], .err_fd = ep[1], .parent_fds = { go[1], ep[0] }
	};
	if (c->seccomp) {
		int r = vb_seccomp_compile(&a.filter, &a.ioctls, err);
		if (r) {
			close(go[0]);
			close(go[1]);
			close(ep[0]);
			close(ep[1]);
			return r;
		}
	}
	bool born_in_cgroup;
	pid_t p = spawn(&a, &born_in_cgroup);
	int clone_errno = errno;
	close(go[0]);
	close(ep[1]);
	if (p < 0) {
		close(go[1]);
		close(ep[0]);
		return vb_error_errno(err, clone_errno, "container: clone into new namespaces");
	}
	int r = 0;
	bool maps_failed = false;
	if (c->userns) {
		/* The child waits for its maps before it mounts anything. */
		r = vb_userns_apply(p, c->userns, err);
		maps_failed = r != 0;
		/* EPIPE: the child failed already; its report is read below. */
		if (!r && send(go[1], "u", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
			r = vb_error_errno(err, errno, "container: waking the child");
		if (r)
			vb_error_wrap(err, "container %s", c->hostname);
	}
	if (!r && c->cgroup)
		r = born_in_cgroup ? vb_cgroup_attach_v1(c->cgroup, p, err)
				   : vb_cgroup_attach(c->cgroup, p, err);
	if (!r && c->before_go)
		r = c->before_go(p, c->before_go_data, err);
	/* EPIPE: the child failed already; its report is read below. */
	if (!r && send(go[1], "g", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
		r = vb_error_errno(err, errno, "container: waking the child");
	close(go[1]);
	struct child_report rep;
	ssize_t n;
	do {
		n = read(ep[0], &rep, sizeof(rep));
	} while (n < 0 && errno == EINTR);
	close(ep[0]);
	/* A child that failed before its maps were written says why they could not be. */
	if ((!r || maps_failed) && n == (ssize_t)sizeof(rep)) {
		rep.step[sizeof(rep.step) - 1] = '\0';
		vb_error_free(err);
		r = vb_error_errno(err, rep.err, "container %s: %s", c->hostname, rep.step);
		/* A command that is not there or not a program: bad input, not a failure here. */
		if (rep.exec && (rep.err == ENOENT || rep.err == ENOTDIR || rep.err == EACCES ||
				 rep.err == ENOEXEC || rep.err == ELOOP ||
				 rep.err == ENAMETOOLONG || rep.err == EISDIR))
			(*err)->exit_code = VB_EXIT_USAGE;
	}
	if (r) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		return r;
	}
	*pid = p;
	return 0;
}
