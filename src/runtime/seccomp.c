/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filters of a container's guest, built with libseccomp in the
 * supervisor: the syscall allow-list (with its argument rules for clone,
 * socket and socketpair) and the refused ioctl requests. The child only
 * installs what is built here (runtime/container.c).
 */
#include <linux/filter.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "core/util.h"
#include "runtime/seccomp.h"

/*
 * The seccomp allow-list: what the agent, its workloads and busybox need.
 * Anything not named fails with ENOSYS (so programs fall back gracefully);
 * the known-dangerous calls below fail with EPERM.
 */
static const char *const allowed_syscalls[] = {
	"accept",
	"accept4",
	"access",
	"alarm",
	"arch_prctl",
	"bind",
	"brk",
	"capget",
	"chdir",
	"chmod",
	"chown",
	"clock_getres",
	"clock_gettime",
	"clock_nanosleep",
	"close",
	"close_range",
	"connect",
	"copy_file_range",
	"creat",
	"dup",
	"dup2",
	"dup3",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_pwait",
	"epoll_pwait2",
	"epoll_wait",
	"eventfd",
	"eventfd2",
	"execve",
	"execveat",
	"exit",
	"exit_group",
	"faccessat",
	"faccessat2",
	"fadvise64",
	"fchdir",
	"fchmod",
	"fchmodat",
	"fchown",
	"fchownat",
	"fcntl",
	"fdatasync",
	"fgetxattr",
	"flistxattr",
	"flock",
	"fork",
	"fstat",
	"fstatfs",
	"fsync",
	"ftruncate",
	"futex",
	"futex_waitv",
	"get_mempolicy",
	"get_robust_list",
	"getcpu",
	"getcwd",
	"getdents",
	"getdents64",
	"getegid",
	"geteuid",
	"getgid",
	"getgroups",
	"getitimer",
	"getpeername",
	"getpgid",
	"getpgrp",
	"getpid",
	"getppid",
	"getpriority",
	"getrandom",
	"getresgid",
	"getresuid",
	"getrlimit",
	"getrusage",
	"getsid",
	"getsockname",
	"getsockopt",
	"gettid",
	"gettimeofday",
	"getuid",
	"getxattr",
	"inotify_add_watch",
	"inotify_init",
	"inotify_init1",
	"inotify_rm_watch",
	"io_cancel",
	"io_destroy",
	"io_getevents",
	"io_setup",
	"io_submit",
	"ioctl",
	"kill",
	"lchown",
	"lgetxattr",
	"link",
	"linkat",
	"listen",
	"listxattr",
	"llistxattr",
	"lseek",
	"lstat",
	"madvise",
	"mbind",
	"membarrier",
	"memfd_create",
	"mincore",
	"mkdir",
	"mkdirat",
	"mlock",
	"mlock2",
	"mlockall",
	"mmap",
	"mprotect",
	"mremap",
	"msgctl",
	"msgget",
	"msgrcv",
	"msgsnd",
	"msync",
	"munlock",
	"munlockall",
	"munmap",
	"nanosleep",
	"newfstatat",
	"open",
	"openat",
	"openat2",
	"pause",
	"pidfd_open",
	"pidfd_send_signal",
	"pipe",
	"pipe2",
	"poll",
	"ppoll",
	"prctl",
	"pread64",
	"preadv",
	"preadv2",
	"prlimit64",
	"pselect6",
	"pwrite64",
	"pwritev",
	"pwritev2",
	"read",
	"readahead",
	"readlink",
	"readlinkat",
	"readv",
	"recvfrom",
	"recvmmsg",
	"recvmsg",
	"rename",
	"renameat",
	"renameat2",
	"restart_syscall",
	"rmdir",
	"rseq",
	"rt_sigaction",
	"rt_sigpending",
	"rt_sigprocmask",
	"rt_sigqueueinfo",
	"rt_sigreturn",
	"rt_sigsuspend",
	"rt_sigtimedwait",
	"rt_tgsigqueueinfo",
	"sched_get_priority_max",
	"sched_get_priority_min",
	"sched_getaffinity",
	"sched_getparam",
	"sched_getscheduler",
	"sched_rr_get_interval",
	"sched_setaffinity",
	"sched_setparam",
	"sched_setscheduler",
	"sched_yield",
	"select",
	"semctl",
	"semget",
	"semop",
	"semtimedop",
	"sendfile",
	"sendmmsg",
	"sendmsg",
	"sendto",
	"set_mempolicy",
	"set_robust_list",
	"set_tid_address",
	"setfsgid",
	"setfsuid",
	"setgid",
	"setgroups",
	"setitimer",
	"setpgid",
	"setpriority",
	"setregid",
	"setresgid",
	"setresuid",
	"setreuid",
	"setrlimit",
	"setsid",
	"setsockopt",
	"setuid",
	"shmat",
	"shmctl",
	"shmdt",
	"shmget",
	"shutdown",
	"sigaltstack",
	"signalfd",
	"signalfd4",
	"splice",
	"stat",
	"statfs",
	"statx",
	"symlink",
	"symlinkat",
	"sync",
	"sync_file_range",
	"syncfs",
	"sysinfo",
	"tee",
	"tgkill",
	"time",
	"timer_create",
	"timer_delete",
	"timer_getoverrun",
	"timer_gettime",
	"timer_settime",
	"timerfd_create",
	"timerfd_gettime",
	"timerfd_settime",
	"times",
	"tkill",
	"truncate",
	"umask",
	"uname",
	"unlink",
	"unlinkat",
	"utime",
	"utimensat",
	"utimes",
	"vfork",
	"vmsplice",
	"wait4",
	"waitid",
	"write",
	"writev",
};

static const char *const refused_syscalls[] = {
	"acct",
	"add_key",
	"bpf",
	"clock_adjtime",
	"clock_settime",
	"delete_module",
	"finit_module",
	"fsconfig",
	"fsmount",
	"fsopen",
	"fspick",
	"init_module",
	"ioperm",
	"iopl",
	"kexec_file_load",
	"kexec_load",
	"keyctl",
	"lookup_dcookie",
	"mknod",
	"mknodat",
	"mount",
	"mount_setattr",
	"move_mount",
	"name_to_handle_at",
	"open_by_handle_at",
	"open_tree",
	"perf_event_open",
	"pivot_root",
	"process_vm_readv",
	"process_vm_writev",
	"ptrace",
	"quotactl",
	"reboot",
	"request_key",
	"setdomainname",
	"sethostname",
	"setns",
	"settimeofday",
	"swapoff",
	"swapon",
	"umount2",
	"unshare",
	"userfaultfd",
};

/*
 * The socket families a guest may use: what the agent, its workloads and
 * busybox need (netlink for ip and getifaddrs). The others fail with
 * EAFNOSUPPORT, as on a kernel built without them: AF_VSOCK above all, which
 * network namespaces do not isolate (a guest could reach the host's vsock
 * services, or listen for a VM's), and AF_PACKET, AF_BLUETOOTH, AF_ALG and
 * the like, rarely needed and often where a kernel's bugs are.
 */
static const int socket_families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };

/*
 * One rule per family value below AF_MAX, and one for everything above: the
 * comparisons are on all 64 bits, so a family with upper bits set (the
 * kernel reads an int) falls in the last rule and is refused, never allowed.
 */
static int family_rules(scmp_filter_ctx ctx, int nr, const int *allowed, size_t n)
{
	for (uint64_t f = 0; f < AF_MAX; f++) {
		bool ok = false;
		for (size_t i = 0; i < n; i++)
			ok |= (uint64_t)allowed[i] == f;
		if (seccomp_rule_add(ctx, ok ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EAFNOSUPPORT), nr, 1,
				     SCMP_A0(SCMP_CMP_EQ, f)) < 0)
			return -1;
	}
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), nr, 1,
				SCMP_A0(SCMP_CMP_GE, (uint64_t)AF_MAX));
}

/* ctx as classic BPF in out (allocated; kept for the life of the process). Releases ctx. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out, struct vb_error **err)
{
	int r = 0;
	int mfd = memfd_create("vb-seccomp", MFD_CLOEXEC);
	if (mfd < 0)
		r = vb_error_errno(err, errno, "seccomp: memfd");
	if (!r && seccomp_export_bpf(ctx, mfd) < 0)
		r = vb_error_set(err, -EIO, "seccomp: exporting the filter");
	seccomp_release(ctx);
	off_t size = r ? 0 : lseek(mfd, 0, SEEK_END);
	if (!r && (size <= 0 || size % sizeof(struct sock_filter) ||
		   size / sizeof(struct sock_filter) > 65535))
		r = vb_error_set(err, -EIO, "seccomp: odd filter size %lld", (long long)size);
	if (!r) {
		struct sock_filter *p = xmalloc((size_t)size);
		if (pread(mfd, p, (size_t)size, 0) != size) {
			free(p);
			r = vb_error_errno(err, errno, "seccomp: reading the filter back");
		} else {
			out->filter = p;
			out->len = (unsigned short)(size / sizeof(struct sock_filter));
		}
	}
	if (mfd >= 0)
		close(mfd);
	return r;
}

/*
 * The ioctl requests no guest may make, whatever its terminal: TIOCSTI
 * pushes characters into a terminal's input as if typed, TIOCLINUX pastes
 * a virtual console's selection into it (and more). Both are how a guest
 * would type commands into a shell outside.
 *
 * A filter of its own, stacked on the allow-list (the kernel applies the
 * stricter answer of the two): libseccomp cannot say "ioctl, except these
 * requests" in one filter, an unconditional allow of ioctl there wins over
 * any rule on its arguments. The request is compared on its low 32 bits,
 * as the kernel reads it (an unsigned int): a request with high bits set
 * is the same request.
 */
static int compile_ioctl_filter(struct sock_fprog *out, struct vb_error **err)
{
	static struct sock_fprog done;
	if (done.filter) {
		*out = done;
		return 0;
	}
	static const unsigned long refused[] = { TIOCSTI, TIOCLINUX };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return vb_error_set(err, -ENOMEM, "seccomp_init failed");
	for (size_t i = 0; i < VB_ARRAY_SIZE(refused); i++)
		if (seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, (uint64_t)refused[i])) < 0) {
			seccomp_release(ctx);
			return vb_error_set(err, -EINVAL, "seccomp rule for ioctl %#lx",
					    refused[i]);
		}
	int r = export_bpf(ctx, &done, err);
	if (!r)
		*out = done;
	return r;
}

/*
 * Build the filters (the allow-list in out, the refused ioctl requests in
 * ioctls) with libseccomp and export them as BPF, once per process:
 * generating the programs costs milliseconds, installing them microseconds,
 * and the child only installs them.
 */
int vb_seccomp_compile(struct sock_fprog *out, struct sock_fprog *ioctls, struct vb_error **err)
{
	static struct sock_fprog done;
	if (done.filter) {
		*out = done;
		return compile_ioctl_filter(ioctls, err);
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!ctx)
		return vb_error_set(err, -ENOMEM, "seccomp_init failed");
	int r = 0;
	for (size_t i = 0; i < VB_ARRAY_SIZE(allowed_syscalls) && !r; i++) {
		int nr = seccomp_syscall_resolve_name(allowed_syscalls[i]);
		if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			r = vb_error_set(err, -EINVAL, "seccomp rule for %s", allowed_syscalls[i]);
	}
	for (size_t i = 0; i < VB_ARRAY_SIZE(refused_syscalls); i++) {
		int nr = seccomp_syscall_resolve_name(refused_syscalls[i]);
		if (nr != __NR_SCMP_ERROR)
			seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	/* clone: threads and plain forks only, never new namespaces. */
	const uint64_t ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
			    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
	if (!r && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				   SCMP_A0(SCMP_CMP_MASKED_EQ, ns, 0)) < 0)
		r = vb_error_set(err, -EINVAL, "seccomp rule for clone");
	static const int unix_only[] = { AF_UNIX };
	if (!r && (family_rules(ctx, SCMP_SYS(socket), socket_families,
				VB_ARRAY_SIZE(socket_families)) < 0 ||
		   family_rules(ctx, SCMP_SYS(socketpair), unix_only, 1) < 0))
		r = vb_error_set(err, -EINVAL, "seccomp rules for socket families");
	/* clone3's flags are behind a pointer: refuse it, libc falls back to clone. */
	if (!r)
		seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/*
	 * fallocate reserves gigabytes in microseconds, faster than the disk
	 * watch looks (found in review: 8 GB past a 512 MiB bound). EOPNOTSUPP,
	 * as on a filesystem without it: posix_fallocate then writes, at a
	 * rate the watch keeps up with.
	 */
	if (!r)
		seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), SCMP_SYS(fallocate), 0);
	if (r) {
		seccomp_release(ctx);
		return r;
	}
	r = export_bpf(ctx, &done, err);
	if (r)
		return r;
	*out = done;
	return compile_ioctl_filter(ioctls, err);
}
