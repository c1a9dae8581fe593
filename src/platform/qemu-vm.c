/* SPDX-License-Identifier: MIT */
/*
 * What the VM platforms share about their QEMU process: how it is started
 * (-nodefaults, the sandbox, its own cgroup, the parent-death signal), how
 * the agent is reached (a unix socket behind a virtio-serial port, the
 * --sync handshake) and how it is stopped (the agent's quit, then signals).
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "agent/client.h"
#include "core/caplog.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"
#include "platform/qemu-vm.h"
#include "runtime/cgroup.h"

/* 65,536 ids for QEMU processes: above the container userns default (1879048192 + 65536). */
#define VB_QEMU_UID_BASE 2113929216u

static void unwatch(struct vb_qemu_vm *vm);

void vb_qemu_args_add(struct vb_qemu_args *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->v = xrealloc(a->v, a->cap * sizeof(char *));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void vb_qemu_args_addf(struct vb_qemu_args *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		VB_BUG("out of memory");
	va_end(ap);
	vb_qemu_args_add(a, s);
	free(s);
}

void vb_qemu_args_release(struct vb_qemu_args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* QEMU 9.1 and later: -run-with user= rather than -runas (deprecated there). */
static bool run_with_user(const char *qemu)
{
	static int known = -1;
	if (known >= 0)
		return known;
	char *argv[] = { (char *)qemu, "--version", NULL };
	_cleanup_free_ char *out = NULL;
	int st;
	unsigned maj = 0, min = 0;
	known = 0;
	if (vb_proc_run(argv, 5000, 4096, &out, &st, NULL) == 0 && out &&
	    sscanf(out, "QEMU emulator version %u.%u", &maj, &min) == 2)
		known = maj > 9 || (maj == 9 && min >= 1);
	return known;
}

/*
 * Does an /etc/passwd or /etc/group text name id in its third field? Read
 * by hand: virtbench is linked static, and getpwuid's NSS modules are not.
 */
static bool id_listed(const char *db, uid_t id)
{
	for (const char *l = db; l && *l;) {
		const char *f = strchr(l, ':');
		f = f ? strchr(f + 1, ':') : NULL;
		char *end;
		if (f && strtoul(f + 1, &end, 10) == id && *end == ':')
			return true;
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return false;
}

uid_t vb_qemu_guest_uid(const char *name)
{
	const char *want = getenv("VIRTBENCH_QEMU_USER");
	if (geteuid() != 0 || (want && !strcmp(want, "root")))
		return 0;
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	_cleanup_free_ char *users = NULL, *groups = NULL;
	vb_read_file("/etc/passwd", 16 << 20, &users, NULL);
	vb_read_file("/etc/group", 16 << 20, &groups, NULL);
	for (unsigned i = 0; i < 64; i++) {
		uid_t id = (uid_t)(VB_QEMU_UID_BASE + ((h + i) & 0xffff));
		if (!id_listed(users, id) && !id_listed(groups, id))
			return id;
	}
	return 0;
}

char *vb_qemu_find(void)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *paths = xstrdup(path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(paths, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", d, VB_QEMU_BIN);
		if (access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

int vb_qemu_vm_init(struct vb_qemu_vm *vm, const char *name, const char *dir, bool cgroup,
		    struct vb_error **err)
{
	memset(vm, 0, sizeof(*vm));
	vm->name = xstrdup(name);
	vm->sock = xasprintf("%s/agent.sock", dir);
	vm->console = xasprintf("%s/console.log", dir);
	vm->log = xasprintf("%s/qemu.log", dir);
	vm->qmp_sock = xasprintf("%s/qmp.sock", dir);
	vm->console_fifo = xasprintf("%s/console.fifo", dir);
	vm->console_log.fd = vm->console_log.out = -1;
	vm->qemu_log.fd = vm->qemu_log.out = -1;
	vm->netns = -1;
	vm->watch_fd = -1;
	vm->uid = vb_qemu_guest_uid(name);
	vm->gid = (gid_t)vm->uid;
	vb_qmp_init(&vm->qmp);
	vm->pid = -1;
	vm->ch.rfd = vm->ch.wfd = -1;
	const struct vb_cgroup_layout *l = cgroup ? vb_cgroup_host_layout(NULL) : NULL;
	if (!l)
		return 0;
	struct vb_cgroup_limits lim = { .pids_max = 4096 };
	return vb_cgroup_create(l, name, &lim, &vm->cg, err);
}

void vb_qemu_vm_release(struct vb_qemu_vm *vm)
{
	vb_qemu_vm_stop(vm, 0);
	vb_cgroup_destroy(vm->cg);
	vm->cg = NULL;
	vb_qemu_vm_flush_logs(vm);
	unwatch(vm);
	free(vm->console_fifo);
	vm->console_fifo = NULL;
	free(vm->name);
	free(vm->sock);
	free(vm->console);
	free(vm->log);
	free(vm->qmp_sock);
	vm->qmp_sock = NULL;
	vm->name = vm->sock = vm->console = vm->log = NULL;
}

void vb_qemu_machine_args(const struct vb_qemu_machine *m, struct vb_qemu_args *a)
{
	vb_qemu_args_add(a, m->qemu);
	vb_qemu_args_add(a, "-name");
	vb_qemu_args_addf(a, "%s%s", m->name, m->debug_threads ? ",debug-threads=on" : "");
	vb_qemu_args_add(a, "-nodefaults");
	vb_qemu_args_add(a, "-no-user-config");
	vb_qemu_args_add(a, "-M");
	vb_qemu_args_add(a, VB_QEMU_MACHINE);
	vb_qemu_args_add(a, "-accel");
	vb_qemu_args_add(a, m->accel);
	if (m->cpu) {
		vb_qemu_args_add(a, "-cpu");
		vb_qemu_args_add(a, m->cpu);
	}
	vb_qemu_args_add(a, "-m");
	vb_qemu_args_addf(a, "%llu", (unsigned long long)m->mem_mib);
	vb_qemu_args_add(a, "-smp");
	vb_qemu_args_addf(a, "%u", m->smp);
	vb_qemu_args_add(a, "-display");
	vb_qemu_args_add(a, "none");
	vb_qemu_args_add(a, "-qmp");
	vb_qemu_args_addf(a, "unix:%s,server=on,wait=off", m->qmp_sock);
	/*
	 * Root only while QEMU opens its files (kernel, disks, sockets, the
	 * console, a tap); then the guest's own ids, no capabilities. The drop
	 * is a setuid QEMU's seccomp filter must allow: elevateprivileges=deny
	 * kills it (SIGSYS). Once dropped, no set*id call can regain anything.
	 */
	vb_qemu_args_add(a, "-sandbox");
	vb_qemu_args_addf(a, "on,obsolete=deny,elevateprivileges=%s,spawn=%s,resourcecontrol=deny",
			  m->uid ? "allow" : "deny", m->spawn ? "allow" : "deny");
	if (m->uid) {
		/* -runas is deprecated from QEMU 9.1 on, for -run-with user=. */
		vb_qemu_args_add(a, run_with_user(m->qemu) ? "-run-with" : "-runas");
		vb_qemu_args_addf(a, "%s%u:%u", run_with_user(m->qemu) ? "user=" : "",
				  (unsigned)m->uid, (unsigned)m->gid);
	}
}

void vb_qemu_vm_args(const struct vb_qemu_vm *vm, struct vb_qemu_args *a, const char *qemu,
		     const char *accel, const char *cpu, uint64_t mem_mib, unsigned smp)
{
	/* debug-threads: the vCPU threads are named, as pinning shows them. */
	struct vb_qemu_machine m = {
		.qemu = qemu,
		.name = vm->name,
		.debug_threads = true,
		.accel = accel,
		.cpu = cpu,
		.mem_mib = mem_mib,
		.smp = smp,
		.qmp_sock = vm->qmp_sock,
		.uid = vm->uid,
		.gid = vm->gid,
	};
	vb_qemu_machine_args(&m, a);
	vb_qemu_args_add(a, "-no-reboot");
	/* A FIFO that virtbench drains into a capped file: the guest cannot fill the disk. */
	vb_qemu_args_add(a, "-serial");
	vb_qemu_args_addf(a, "file:%s", vm->console_fifo);
	vb_qemu_args_add(a, "-device");
	vb_qemu_args_add(a, "virtio-serial-pci");
	vb_qemu_args_add(a, "-chardev");
	vb_qemu_args_addf(a, "socket,id=agent,path=%s,server=on,wait=off", vm->sock);
	vb_qemu_args_add(a, "-device");
	vb_qemu_args_add(a, "virtserialport,chardev=agent,name=vb.agent");
}

/*
 * QEMU loses its parent-death signal when it drops to its own ids: the
 * kernel clears it on every change of euid or egid. A watcher holds it
 * instead: a child of ours, root, forked without exec, that waits on a pipe
 * only we write to and on a pidfd of QEMU. When the pipe ends (we died, or
 * released vm) it kills QEMU; when QEMU ends, it ends. Between fork and
 * _exit it calls only async-signal-safe functions.
 */
static int watch(struct vb_qemu_vm *vm, struct vb_error **err)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, vm->pid, 0);
	if (pidfd < 0)
		return vb_error_errno(err, errno, "%s: pidfd_open of QEMU", vm->name);
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "%s: a pipe for QEMU's watcher", vm->name);
	pid_t parent = getpid();
	pid_t w = fork();
	if (w < 0) {
		int e = errno;
		close(pp[0]);
		close(pp[1]);
		return vb_error_errno(err, e, "%s: forking QEMU's watcher", vm->name);
	}
	if (w == 0) {
		struct sigaction ign = { .sa_handler = SIG_IGN };
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
		for (size_t i = 0; i < VB_ARRAY_SIZE(sigs); i++)
			sigaction(sigs[i], &ign, NULL);
		/* Only the pipe's read end and the pidfd: no other descriptor of ours lives on. */
		if (dup2(pp[0], 3) < 0 || dup2(pidfd, 4) < 0)
			_exit(1);
		syscall(SYS_close_range, 5U, ~0U, 0U);
		struct pollfd f[2] = { { .fd = 3, .events = POLLIN },
				       { .fd = 4, .events = POLLIN } };
		while (getppid() == parent && poll(f, 2, -1) < 0 && errno == EINTR)
			;
		if (!(f[1].revents & POLLIN))
			syscall(SYS_pidfd_send_signal, 4, SIGKILL, NULL, 0);
		_exit(0);
	}
	close(pp[0]);
	vm->watch_pid = w;
	vm->watch_fd = pp[1];
	return 0;
}

/* End the watcher (QEMU, if still there, with it) and reap it. */
static void unwatch(struct vb_qemu_vm *vm)
{
	vb_closep(&vm->watch_fd);
	vm->watch_fd = -1;
	if (vm->watch_pid > 0)
		vb_proc_reap(vm->watch_pid, 2000);
	vm->watch_pid = 0;
}

int vb_qemu_vm_spawn(struct vb_qemu_vm *vm, char *const argv[], struct vb_error **err)
{
	unwatch(vm);
	unlink(vm->sock);
	/* A previous start's drain has its EOF by now; a new FIFO for this one. */
	vb_caplog_stop(&vm->console_log);
	int r = vb_caplog_fifo(&vm->console_log, vm->console_fifo, vm->console, VB_QEMU_CONSOLE_CAP,
			       err);
	if (r)
		return vb_error_wrap(err, "%s: the serial console", vm->name);
	/* QEMU's own output: a guest can make QEMU warn, so it is capped too. */
	vb_caplog_stop(&vm->qemu_log);
	int logfd;
	r = vb_caplog_pipe(&vm->qemu_log, vm->log, VB_QEMU_LOG_CAP, &logfd, err);
	if (r)
		return vb_error_wrap(err, "%s: QEMU's log", vm->name);
	r = vb_proc_spawn_logged_ns(argv, logfd, vm->netns, &vm->pid, err);
	close(logfd);
	if (r)
		return vb_error_wrap(err, "%s: starting QEMU", vm->name);
	vm->running = true;
	if (vm->cg)
		r = vb_cgroup_attach(vm->cg, vm->pid, err);
	if (!r && vm->uid)
		r = watch(vm, err);
	return r;
}

/*
 * QEMU has ended before its agent's hello: -ECHILD, with QEMU's last word, or
 * when it said nothing (the guest ended it: a panic, with -no-reboot) the
 * console's. The drained logs get a moment to be complete.
 */
static int exited(const struct vb_qemu_vm *vm, struct vb_error **err)
{
	vb_caplog_wait(&vm->qemu_log, 500);
	_cleanup_free_ char *why = vb_qemu_last_line(vm->log);
	if (why)
		return vb_error_set(err, -ECHILD, "%s: QEMU exited at start: %s", vm->name, why);
	vb_caplog_wait(&vm->console_log, 500);
	_cleanup_free_ char *console = vb_qemu_last_line(vm->console);
	return vb_error_set(err, -ECHILD,
			    "%s: QEMU exited at start (nothing in its log); the console's last "
			    "line: %s",
			    vm->name, console ? console : "none (the kernel printed nothing)");
}

int vb_qemu_vm_connect(const struct vb_qemu_vm *vm, const char *sock, struct vb_channel *ch,
		       size_t max_line, struct vb_error **err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof(a.sun_path))
		return vb_error_set(err, -ENAMETOOLONG, "%s: socket path too long", vm->name);
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	/* QEMU creates the socket a moment after it starts. */
	for (int i = 0; i < 500; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return vb_error_errno(err, errno, "%s: socket", vm->name);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			vb_channel_init(ch, fd, fd, max_line);
			return 0;
		}
		close(fd);
		if (!vb_proc_alive(vm->pid))
			return exited(vm, err);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return vb_error_set(err, -ETIMEDOUT, "%s: QEMU did not open %s", vm->name, sock);
}

int vb_qemu_vm_exited_at_start(struct vb_qemu_vm *vm, int r, struct vb_error **err)
{
	for (int waited = 0; r == -EPIPE && waited < 1000 && vb_proc_alive(vm->pid) > 0;
	     waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (vb_proc_alive(vm->pid) > 0)
		return r;
	vb_error_free(err);
	return exited(vm, err);
}

int vb_qemu_vm_hello(struct vb_qemu_vm *vm, double timeout_s, struct vb_error **err)
{
	int r = vb_qemu_vm_connect(vm, vm->sock, &vm->ch, 65536, err);
	struct vb_event hello;
	if (!r) {
		r = vb_agent_client_hello_sync(&vm->ch, timeout_s, &hello, err);
		if (r && r != -EINTR)
			r = vb_qemu_vm_exited_at_start(vm, r, err);
	}
	if (!r)
		vb_event_release(&hello);
	if (!r) {
		/* QMP's vCPU threads are needed only for pinning: without them, say why. */
		struct vb_error *e = NULL;
		free(vm->vcpu_tids);
		vm->vcpu_tids = NULL;
		vm->nvcpus = 0;
		if (vm->qmp.fd < 0 && vb_qmp_connect(&vm->qmp, vm->qmp_sock, vm->pid, 5, &e))
			vb_warn("%s: no QMP: %s", vm->name, e->msg);
		else if (vb_qmp_vcpu_threads(&vm->qmp, &vm->vcpu_tids, &vm->nvcpus, &e))
			vb_warn("%s: no vCPU threads from QMP: %s", vm->name, e->msg);
		vb_error_free(&e);
	}
	return r;
}

int vb_qemu_vm_pin_vcpus(struct vb_qemu_vm *vm, const char *cpus, struct vb_error **err)
{
	if (!vm->nvcpus)
		return cpus ? vb_error_set(err, VB_SKIP, "%s: no vCPU thread ids (QMP) to pin",
					   vm->name)
			    : 0;
	int list[CPU_SETSIZE], n = 0;
	if (cpus) {
		_cleanup_free_ char *copy = xstrdup(cpus);
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t && n < CPU_SETSIZE;
		     t = strtok_r(NULL, ",", &save)) {
			unsigned a, b;
			int k = sscanf(t, "%u-%u", &a, &b);
			if (k == 1)
				b = a;
			if (k < 1 || b < a || b >= CPU_SETSIZE)
				return vb_error_set(err, -EINVAL, "%s: bad CPU list '%s'", vm->name,
						    cpus);
			for (unsigned c = a; c <= b && n < CPU_SETSIZE; c++)
				list[n++] = (int)c;
		}
	}
	for (size_t k = 0; k < vm->nvcpus; k++) {
		cpu_set_t set;
		CPU_ZERO(&set);
		if (n) {
			CPU_SET(list[k % (size_t)n], &set);
		} else {
			long online = sysconf(_SC_NPROCESSORS_ONLN);
			for (long c = 0; c < online && c < CPU_SETSIZE; c++)
				CPU_SET(c, &set);
		}
		if (sched_setaffinity(vm->vcpu_tids[k], sizeof(set), &set) < 0)
			return vb_error_errno(err, errno, "%s: pinning vCPU %zu (thread %d)",
					      vm->name, k, (int)vm->vcpu_tids[k]);
	}
	return 0;
}

void vb_qemu_vm_stop(struct vb_qemu_vm *vm, int grace_ms)
{
	if (!vm->running)
		return;
	bool asked = vb_agent_client_quit(&vm->ch);
	vb_channel_release(&vm->ch);
	/*
	 * The guest powers off and -no-reboot ends QEMU; else QMP's quit; else
	 * signals. Grace only for a QEMU that was asked to end.
	 */
	for (int waited = 0; asked && waited < grace_ms && vb_proc_alive(vm->pid) > 0;
	     waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (vm->qmp.fd >= 0 && vb_proc_alive(vm->pid) > 0)
		asked = vb_qmp_exec(&vm->qmp, "quit", NULL, NULL, NULL) == 0 || asked;
	vb_qmp_close(&vm->qmp);
	free(vm->vcpu_tids);
	vm->vcpu_tids = NULL;
	vm->nvcpus = 0;
	vb_proc_reap(vm->pid, asked ? 2000 : 0);
	if (vm->cg)
		vb_cgroup_kill(vm->cg, 2000, NULL);
	vm->pid = -1;
	vm->running = false;
	unlink(vm->sock);
}

int vb_qemu_vm_footprint(struct vb_qemu_vm *vm, uint64_t *bytes, struct vb_error **err)
{
	if (!vm->cg)
		return vb_error_set(err, VB_SKIP, "%s has no cgroup here", vm->name);
	return vb_cgroup_memory_current(vm->cg, bytes, err);
}

void vb_qemu_vm_flush_logs(struct vb_qemu_vm *vm)
{
	vb_caplog_stop(&vm->console_log);
	vb_caplog_stop(&vm->qemu_log);
}

char *vb_qemu_last_line(const char *path)
{
	return vb_caplog_last_line(path, "terminating on signal");
}

/*
 * Run the program argv[0] (found in PATH) to its end, its output discarded;
 * *code is its exit code (-1: killed). 0, or -errno with *err (no fork).
 */
static int run_quietly(char *const argv[], int *code, struct vb_error **err)
{
	pid_t p = fork();
	if (p < 0)
		return vb_error_errno(err, errno, "fork");
	if (p == 0) {
		vb_proc_child_signals();
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	*code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return 0;
}

int vb_qemu_make_overlay(const char *base, const char *fmt, const char *overlay,
			 struct vb_error **err)
{
	char *argv[] = { "qemu-img", "create",	   "-q", "-f",	      "qcow2",
			 "-b",	     (char *)base, "-F", (char *)fmt, (char *)overlay,
			 NULL };
	int code, r = run_quietly(argv, &code, err);
	if (r)
		return r;
	if (code)
		return vb_error_set(err, -EIO,
				    "qemu-img create of %s over %s failed (exit %d; qemu-utils "
				    "installed?)",
				    overlay, base, code);
	return 0;
}

int vb_qemu_make_disk(const char *path, uint64_t size, struct vb_error **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return vb_error_errno(err, errno, "creating %s", path);
	int r = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	if (r)
		return vb_error_errno(err, -r, "sizing %s", path);
	char *argv[] = {
		"mkfs.ext4",  "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1",
		(char *)path, NULL
	};
	int code;
	r = run_quietly(argv, &code, err);
	if (r)
		return r;
	if (code)
		return vb_error_set(
		    err, -EIO, "mkfs.ext4 %s failed (exit %d; e2fsprogs installed?)", path, code);
	return 0;
}
