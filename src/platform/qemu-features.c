/* SPDX-License-Identifier: MIT */
/*
 * The columns of kvm and qemu-tcg in `virtbench features`. The QEMU
 * probes: a running machine (firmware
 * only, no guest OS) saved to a file and restored in a second QEMU,
 * migrated live to a second QEMU over a unix socket, two machines whose
 * memory adds up to more than the host's, one with more vCPUs than the
 * host has CPUs. Each QEMU is driven over QMP (jansson), named after the
 * run, in its own cgroup where cgroups are usable, with SIGKILL as its
 * parent-death signal; a QEMU that does not answer within a few seconds is
 * killed. Every file is in the run's work directory and removed after use.
 */
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "agent/client.h"
#include "platform/qemu-vm.h"
#include "core/json.h"
#include "core/proc.h"
#include "core/util.h"
#include "platform/features-parse.h"
#include "platform/features.h"
#include "platform/qmp.h"
#include "runtime/cgroup.h"

/* A QEMU that does not answer within this is killed: probes stay bounded. */
#define QMP_TIMEOUT_S 5.0
#define MIGRATE_TIMEOUT_S 20.0
/* The probe machines: firmware only, no guest OS. */
#define PROBE_MEM_MIB 64

/* The cells the QEMU probes fill for one accelerator. */
struct vb_features_qemu {
	struct vb_feature_cell ckpt, live, mem, cpu;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* query-status's "status" into buf ("running", "postmigrate", ...). */
static int qmp_status(struct vb_qmp *q, char *buf, size_t len, struct vb_error **err)
{
	_cleanup_json_ json_t *rv = NULL;
	int r = vb_qmp_exec(q, "query-status", NULL, &rv, err);
	if (r)
		return r;
	const char *s = NULL;
	if (vb_json_str(rv, "status", 64, &s))
		return vb_error_set(err, -EPROTO, "query-status: no status");
	snprintf(buf, len, "%s", s);
	return 0;
}

/* Poll query-status until it says want (or timeout_s passes); buf = last status. */
static int qmp_wait_status(struct vb_qmp *q, const char *want, double timeout_s, char *buf,
			   size_t len, struct vb_error **err)
{
	double deadline = vb_monotonic_s() + timeout_s;
	for (;;) {
		int r = qmp_status(q, buf, len, err);
		if (r)
			return r;
		if (!strcmp(buf, want))
			return 0;
		if (vb_monotonic_s() > deadline)
			return vb_error_set(err, -ETIMEDOUT, "query-status stayed %s, not %s", buf,
					    want);
		sleep_ms(50);
	}
}

/* ---- probe machines ---- */

struct vm {
	char *name, *sock, *log;
	pid_t pid;
	struct vb_cgroup *cg;
	struct vb_qmp q;
};

struct vm_args {
	const char *accel; /* "tcg" or "kvm" */
	uint64_t mem_mib;
	unsigned smp;
	bool paused;	      /* -S */
	bool spawn;	      /* let QEMU start helpers (exec: migration) */
	const char *incoming; /* -incoming URI, or NULL */
	const char *device;   /* one extra -device, or NULL */
};

/* The last non-empty line QEMU wrote (its error), or a placeholder; caller frees. */
static char *vm_log_tail(const struct vm *vm)
{
	_cleanup_free_ char *text = NULL;
	if (!vm->log || vb_read_file(vm->log, 1 << 20, &text, NULL))
		return xstrdup("no output");
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	if (!n)
		return xstrdup("no output");
	char *line = strrchr(text, '\n');
	line = line ? line + 1 : text;
	/* QEMU prefixes its errors with the program name. */
	if (!strncmp(line, VB_QEMU_BIN ": ", strlen(VB_QEMU_BIN) + 2))
		line += strlen(VB_QEMU_BIN) + 2;
	return xstrndup(line, 200);
}

static void vm_destroy(struct vm *vm)
{
	/* QEMU answers quit, then exits; one that does not answer is killed. */
	bool quit = vm->q.fd >= 0 && vb_qmp_exec(&vm->q, "quit", NULL, NULL, NULL) == 0;
	vb_qmp_close(&vm->q);
	if (vm->pid > 0 && !quit)
		kill(vm->pid, SIGKILL);
	if (vm->pid > 0)
		vb_proc_reap(vm->pid, 2000);
	vm->pid = -1;
	/* Kills what QEMU started (an exec: migration's shell and cat) and goes. */
	vb_cgroup_destroy(vm->cg);
	vm->cg = NULL;
	if (vm->sock)
		unlink(vm->sock);
	if (vm->log)
		unlink(vm->log);
	free(vm->name);
	free(vm->sock);
	free(vm->log);
	memset(vm, 0, sizeof(*vm));
	vm->q.fd = -1;
	vm->pid = -1;
}

static void vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->q.fd = -1;
	vm->pid = -1;
}

static int vm_connect(struct vm *vm, struct vb_error **err)
{
	int r = vb_qmp_connect(&vm->q, vm->sock, vm->pid, QMP_TIMEOUT_S, err);
	if (r == -ECHILD) {
		_cleanup_free_ char *tail = vm_log_tail(vm);
		vb_error_free(err);
		r = vb_error_set(err, -ECHILD, "QEMU exited at start: %s", tail);
	}
	return r;
}

/*
 * Start a QEMU as the study's platform would be, minus the guest: firmware
 * only, on qemu-vm's machine (vb_qemu_machine_args).
 */
static int vm_start(struct vb_features_host *h, const struct vm_args *a, struct vm *vm,
		    struct vb_error **err)
{
	vm_init(vm);
	vm->name = xasprintf("%s-%u", h->tag, h->seq++);
	vm->sock = xasprintf("%s/%s.qmp", h->work, vm->name);
	vm->log = xasprintf("%s/%s.log", h->work, vm->name);
	if (strlen(vm->sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return vb_error_set(err, -ENAMETOOLONG, "%s: path too long for a socket", vm->sock);
	struct vb_qemu_machine m = {
		.qemu = h->qemu,
		.name = vm->name,
		.accel = a->accel,
		.mem_mib = a->mem_mib,
		.smp = a->smp,
		.qmp_sock = vm->sock,
		.spawn = a->spawn,
	};
	struct vb_qemu_args argv = { 0 };
	vb_qemu_machine_args(&m, &argv);
	if (a->paused)
		vb_qemu_args_add(&argv, "-S");
	if (a->incoming) {
		vb_qemu_args_add(&argv, "-incoming");
		vb_qemu_args_add(&argv, a->incoming);
	}
	if (a->device) {
		vb_qemu_args_add(&argv, "-device");
		vb_qemu_args_add(&argv, a->device);
	}
	_cleanup_close_ int logfd =
	    open(vm->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int r = logfd < 0 ? vb_error_errno(err, errno, "creating %s", vm->log)
			  : vb_proc_spawn_logged(argv.v, logfd, &vm->pid, err);
	vb_qemu_args_release(&argv);
	if (r)
		return r;
	struct vb_error *cerr = NULL;
	const struct vb_cgroup_layout *l = geteuid() == 0 ? vb_cgroup_host_layout(&cerr) : NULL;
	vb_error_free(&cerr);
	/* Its own cgroup where cgroups are usable: a sweep finds it after a SIGKILL. */
	if (l && vb_cgroup_create(l, vm->name, NULL, &vm->cg, &cerr) == 0)
		vb_cgroup_attach(vm->cg, vm->pid, &cerr);
	vb_error_free(&cerr);
	return vm_connect(vm, err);
}

/* Start migrate to uri and wait until it completed; *bytes = RAM sent, *ms = its time. */
static int vm_migrate(struct vm *vm, const char *uri, long long *bytes, long long *ms,
		      long long *downtime, struct vb_error **err)
{
	json_t *args = json_object();
	json_object_set_new(args, "uri", json_string(uri));
	int r = vb_qmp_exec(&vm->q, "migrate", args, NULL, err);
	if (r)
		return r;
	double deadline = vb_monotonic_s() + MIGRATE_TIMEOUT_S;
	for (;;) {
		_cleanup_json_ json_t *rv = NULL;
		r = vb_qmp_exec(&vm->q, "query-migrate", NULL, &rv, err);
		if (r)
			return r;
		const char *st = vb_features_migrate_status(rv);
		if (st && !strcmp(st, "completed")) {
			json_t *ram = json_object_get(rv, "ram");
			long long v = 0;
			*bytes = vb_json_int(ram, "transferred", 0, LLONG_MAX, &v) ? -1 : v;
			*ms = vb_json_int(rv, "total-time", 0, LLONG_MAX, &v) ? -1 : v;
			*downtime = vb_json_int(rv, "downtime", 0, LLONG_MAX, &v) ? -1 : v;
			return 0;
		}
		if (st && (!strcmp(st, "failed") || !strcmp(st, "cancelled"))) {
			const char *why = NULL;
			if (vb_json_str(rv, "error-desc", 512, &why))
				why = "no reason given";
			return vb_error_set(err, -EIO, "migration %s: %s", st, why);
		}
		if (vb_monotonic_s() > deadline)
			return vb_error_set(err, -ETIMEDOUT, "migration still %s after %g s",
					    st ? st : "unknown", MIGRATE_TIMEOUT_S);
		if (vb_interrupted)
			return vb_error_set(err, -EINTR, "interrupted");
		sleep_ms(50);
	}
}

/* Single-quote s for /bin/sh (QEMU runs exec: URIs through it). */
static char *sh_quote(const char *s)
{
	size_t n = 3;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *out = xmalloc(n);
	char *o = out;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* How the detail names the accelerator; KVM served by PVM says so. */
static const char *accel_label(const struct vb_features_host *h, const char *accel)
{
	if (strcmp(accel, "kvm"))
		return "TCG";
	return h->pvm && !h->vmx && !h->svm ? "KVM through kvm_pvm" : "KVM";
}

/* Save a running machine to a file, restore it in a second QEMU, see it run. */
static int probe_checkpoint(struct vb_features_host *h, const char *accel,
			    struct vb_feature_cell *c)
{
	struct vb_error *err = NULL;
	struct vm src, dst;
	vm_init(&src);
	vm_init(&dst);
	_cleanup_free_ char *state = xasprintf("%s/%s-%u.state", h->work, h->tag, h->seq);
	_cleanup_free_ char *q = sh_quote(state);
	_cleanup_free_ char *out_uri = xasprintf("exec:cat > %s", q);
	_cleanup_free_ char *in_uri = xasprintf("exec:cat %s", q);
	char st[64] = "";
	long long bytes = 0, ms = 0, down = 0;
	struct stat sb = { 0 };
	bool tried = false;
	struct vm_args sa = {
		.accel = accel, .mem_mib = PROBE_MEM_MIB, .smp = 1, .paused = true, .spawn = true
	};
	int r = vm_start(h, &sa, &src, &err);
	if (!r)
		r = vb_qmp_exec(&src.q, "cont", NULL, NULL, &err);
	if (!r)
		r = qmp_wait_status(&src.q, "running", 2, st, sizeof(st), &err);
	if (!r) {
		tried = true;
		r = vm_migrate(&src, out_uri, &bytes, &ms, &down, &err);
	}
	if (!r)
		r = qmp_wait_status(&src.q, "postmigrate", 2, st, sizeof(st), &err);
	vm_destroy(&src);
	if (!r) {
		char magic[4] = { 0 };
		int fd = open(state, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0 || read(fd, magic, 4) != 4 ||
		    memcmp(magic, "QEVM", 4))
			r = vb_error_set(&err, -EIO, "the state file is not a QEMU state (QEVM)");
		if (fd >= 0)
			close(fd);
	}
	struct vm_args da = { .accel = accel,
			      .mem_mib = PROBE_MEM_MIB,
			      .smp = 1,
			      .spawn = true,
			      .incoming = in_uri };
	if (!r)
		r = vm_start(h, &da, &dst, &err);
	if (!r)
		r = qmp_wait_status(&dst.q, "running", 10, st, sizeof(st), &err);
	if (!r) {
		_cleanup_json_ json_t *rv = NULL;
		r = vb_qmp_exec(&dst.q, "query-migrate", NULL, &rv, &err);
		const char *ms_st = r ? NULL : vb_features_migrate_status(rv);
		if (!r && (!ms_st || strcmp(ms_st, "completed")))
			r = vb_error_set(&err, -EIO, "the restoring QEMU's migration is %s",
					 ms_st ? ms_st : "unknown");
	}
	vm_destroy(&dst);
	unlink(state);
	if (r == -EINTR) {
		vb_error_free(&err);
		return r;
	}
	if (r)
		vb_feature_cell_set(
		    c, tried ? VB_FV_NO : VB_FV_UNKNOWN, VB_FH_PROBED,
		    "%s a running QEMU machine (%s, firmware only) to a file and restoring "
		    "it failed: %s",
		    tried ? "Saving" : "Could not try saving", accel_label(h, accel), err->msg);
	else
		vb_feature_cell_set(
		    c, VB_FV_YES, VB_FH_PROBED,
		    "A running QEMU machine (%s, %d MiB, firmware only, no guest OS) was "
		    "saved with migrate to exec:cat > FILE (%lld KiB in %lld ms), and a "
		    "second QEMU restored it with -incoming exec:cat FILE and ran on "
		    "(query-status: running).",
		    accel_label(h, accel), PROBE_MEM_MIB, (long long)sb.st_size / 1024, ms);
	vb_error_free(&err);
	return 0;
}

/* Migrate a running machine over a socket to a second QEMU waiting for it. */
static int probe_live(struct vb_features_host *h, const char *accel, struct vb_feature_cell *c)
{
	struct vb_error *err = NULL;
	struct vm src, dst;
	vm_init(&src);
	vm_init(&dst);
	_cleanup_free_ char *msock = xasprintf("%s/%s-%u.mig", h->work, h->tag, h->seq);
	_cleanup_free_ char *uri = xasprintf("unix:%s", msock);
	char st[64] = "";
	long long bytes = 0, ms = 0, down = 0;
	bool tried = false;
	struct vm_args da = { .accel = accel, .mem_mib = PROBE_MEM_MIB, .smp = 1, .incoming = uri };
	struct vm_args sa = { .accel = accel, .mem_mib = PROBE_MEM_MIB, .smp = 1, .paused = true };
	int r = vm_start(h, &da, &dst, &err);
	/* The destination listens once it is up; wait for its socket. */
	for (int i = 0; !r && access(msock, F_OK) && i < 200; i++)
		sleep_ms(10);
	if (!r && access(msock, F_OK))
		r = vb_error_set(&err, -ETIMEDOUT, "the destination QEMU never listened");
	if (!r)
		r = vm_start(h, &sa, &src, &err);
	if (!r)
		r = vb_qmp_exec(&src.q, "cont", NULL, NULL, &err);
	if (!r)
		r = qmp_wait_status(&src.q, "running", 2, st, sizeof(st), &err);
	if (!r) {
		tried = true;
		r = vm_migrate(&src, uri, &bytes, &ms, &down, &err);
	}
	if (!r)
		r = qmp_wait_status(&src.q, "postmigrate", 2, st, sizeof(st), &err);
	if (!r)
		r = qmp_wait_status(&dst.q, "running", 10, st, sizeof(st), &err);
	vm_destroy(&src);
	vm_destroy(&dst);
	unlink(msock);
	if (r == -EINTR) {
		vb_error_free(&err);
		return r;
	}
	if (r)
		vb_feature_cell_set(
		    c, tried ? VB_FV_NO : VB_FV_UNKNOWN, VB_FH_PROBED,
		    "%s a running QEMU machine (%s, firmware only) to a second QEMU "
		    "failed: %s",
		    tried ? "Migrating" : "Could not try migrating", accel_label(h, accel),
		    err->msg);
	else
		vb_feature_cell_set(
		    c, VB_FV_YES, VB_FH_PROBED,
		    "A running QEMU machine (%s, %d MiB, firmware only, no guest OS) "
		    "migrated live over a unix socket to a second QEMU waiting with "
		    "-incoming (%lld KiB sent in %lld ms, %lld ms downtime); the source "
		    "ended postmigrate and the destination ran on.",
		    accel_label(h, accel), PROBE_MEM_MIB, bytes >= 0 ? bytes / 1024 : -1, ms, down);
	vb_error_free(&err);
	return 0;
}

/* Does `qemu -device help` list virtio-balloon-pci? -1 when it cannot be asked. */
static int qemu_has_balloon(const struct vb_features_host *h)
{
	char *argv[] = { h->qemu, "-device", "help", NULL };
	_cleanup_free_ char *out = NULL;
	int status;
	if (vb_proc_run(argv, 10000, 1 << 20, &out, &status, NULL))
		return -1;
	return strstr(out, "\"virtio-balloon-pci\"") != NULL;
}

static char *ksm_text(const struct vb_features_host *h)
{
	if (h->ksm_run < 0)
		return xstrdup("KSM: absent");
	return xasprintf("KSM: available, %s (/sys/kernel/mm/ksm/run=%d)",
			 h->ksm_run == 1 ? "on" : "off", h->ksm_run);
}

/* Two paused machines whose memory adds up to more than the host has. */
static int probe_mem(struct vb_features_host *h, const char *accel, int balloon,
		     struct vb_feature_cell *c)
{
	if (!h->mem_total) {
		vb_feature_cell_set(
		    c, VB_FV_UNKNOWN, VB_FH_PROBED,
		    "Not tried: the host's RAM could not be read from /proc/meminfo.");
		return 0;
	}
	struct vb_error *err = NULL;
	struct vm a, b;
	vm_init(&a);
	vm_init(&b);
	/* Each 60% of RAM: one alone passes the kernel's heuristic, the two exceed RAM. */
	uint64_t each = (h->mem_total / 10 * 6) >> 20;
	if (each < PROBE_MEM_MIB)
		each = PROBE_MEM_MIB;
	struct vm_args va = { .accel = accel,
			      .mem_mib = each,
			      .smp = 1,
			      .paused = true,
			      .device = balloon == 1 ? "virtio-balloon-pci" : NULL };
	struct vm_args vb = { .accel = accel, .mem_mib = each, .smp = 1, .paused = true };
	char st[64] = "";
	int r = vm_start(h, &va, &a, &err);
	bool first = !r;
	if (!r)
		r = qmp_wait_status(&a.q, "prelaunch", 2, st, sizeof(st), &err);
	if (!r)
		r = vm_start(h, &vb, &b, &err);
	if (!r)
		r = qmp_wait_status(&b.q, "prelaunch", 2, st, sizeof(st), &err);
	vm_destroy(&a);
	vm_destroy(&b);
	if (r == -EINTR) {
		vb_error_free(&err);
		return r;
	}
	_cleanup_free_ char *ksm = ksm_text(h);
	const char *bal = balloon == 1	 ? "virtio-balloon-pci listed and instantiated"
			  : balloon == 0 ? "no virtio-balloon-pci in -device help"
					 : "-device help could not be run";
	double ram_gib = (double)h->mem_total / (1ull << 30);
	double each_gib = (double)each / 1024;
	if (r)
		vb_feature_cell_set(
		    c, first ? VB_FV_NO : VB_FV_UNKNOWN, VB_FH_PROBED,
		    "Two paused QEMU machines (%s) of %.1f GiB each, together more than the "
		    "host's %.1f GiB RAM, did not both start (%s) with "
		    "vm.overcommit_memory=%d; %s; %s.",
		    accel_label(h, accel), each_gib, ram_gib, err->msg, h->overcommit_memory, ksm,
		    bal);
	else
		vb_feature_cell_set(
		    c, VB_FV_YES, VB_FH_PROBED,
		    "Two paused QEMU machines (%s) of %.1f GiB each, together %.1fx the "
		    "host's %.1f GiB RAM, started side by side (guest RAM is host virtual "
		    "memory, vm.overcommit_memory=%d); %s; %s.",
		    accel_label(h, accel), each_gib, 2 * each_gib / ram_gib, ram_gib,
		    h->overcommit_memory, ksm, bal);
	vb_error_free(&err);
	return 0;
}

/* A machine with more vCPUs than the host has CPUs, started and run. */
static int probe_cpu(struct vb_features_host *h, const char *accel, struct vb_feature_cell *c)
{
	struct vb_error *err = NULL;
	struct vm vm;
	vm_init(&vm);
	unsigned n = h->ncpus * 2 > h->ncpus + 1 ? h->ncpus * 2 : h->ncpus + 1;
	/* The i440fx PC takes at most 255 vCPUs. */
	if (n > 255) {
		vb_feature_cell_set(
		    c, VB_FV_UNKNOWN, VB_FH_PROBED,
		    "Not tried: %u host CPUs leave no room above them for the PC machine's "
		    "255 vCPUs.",
		    h->ncpus);
		return 0;
	}
	struct vm_args va = { .accel = accel, .mem_mib = PROBE_MEM_MIB, .smp = n, .paused = true };
	char st[64] = "";
	size_t ncpus = 0;
	int r = vm_start(h, &va, &vm, &err);
	if (!r) {
		_cleanup_json_ json_t *rv = NULL;
		r = vb_qmp_exec(&vm.q, "query-cpus-fast", NULL, &rv, &err);
		ncpus = r ? 0 : json_array_size(rv);
	}
	if (!r)
		r = vb_qmp_exec(&vm.q, "cont", NULL, NULL, &err);
	if (!r)
		r = qmp_wait_status(&vm.q, "running", 2, st, sizeof(st), &err);
	if (!r) {
		/* Still running a moment later: no vCPU hit an internal error. */
		sleep_ms(300);
		r = qmp_wait_status(&vm.q, "running", 0, st, sizeof(st), &err);
	}
	vm_destroy(&vm);
	if (r == -EINTR) {
		vb_error_free(&err);
		return r;
	}
	if (!r && ncpus != n)
		r = vb_error_set(&err, -EIO, "query-cpus-fast listed %zu vCPUs, not %u", ncpus, n);
	if (r)
		vb_feature_cell_set(
		    c, VB_FV_NO, VB_FH_PROBED,
		    "A QEMU machine (%s) with %u vCPUs on this host's %u online CPUs did not "
		    "run: %s.",
		    accel_label(h, accel), n, h->ncpus, err->msg);
	else
		vb_feature_cell_set(
		    c, VB_FV_YES, VB_FH_PROBED,
		    "A QEMU machine (%s) with %u vCPUs on this host's %u online CPUs started "
		    "and ran its firmware (query-cpus-fast: %zu vCPUs; query-status: "
		    "running).",
		    accel_label(h, accel), n, h->ncpus, ncpus);
	vb_error_free(&err);
	return 0;
}

static void qemu_release(struct vb_features_qemu *q)
{
	free(q->ckpt.detail);
	free(q->live.detail);
	free(q->mem.detail);
	free(q->cpu.detail);
}

/*
 * Run every QEMU probe under accel: save and restore, live migration,
 * memory and CPU over-commit; or, where QEMU or /dev/kvm is missing, fill
 * documented values saying why nothing ran. Only -EINTR is returned.
 */
static int probe_qemu(struct vb_features_host *h, const char *accel, struct vb_features_qemu *q)
{
	const char *why = NULL;
	if (!h->qemu)
		why = VB_QEMU_BIN " is not installed";
	else if (!strcmp(accel, "kvm") && !h->kvm_dev)
		why = "no usable /dev/kvm";
	if (why) {
		vb_feature_cell_set(
		    &q->ckpt, VB_FV_YES, VB_FH_DOCUMENTED,
		    "QEMU saves a machine to a file (migrate to exec:/file:, savevm) and "
		    "restores it with -incoming; not probed: %s.",
		    why);
		vb_feature_cell_set(
		    &q->live, VB_FV_YES, VB_FH_DOCUMENTED,
		    "QEMU migrates a running machine to another QEMU (migrate, -incoming); "
		    "not probed: %s.",
		    why);
		vb_feature_cell_set(
		    &q->mem, VB_FV_YES, VB_FH_DOCUMENTED,
		    "Guest RAM is ordinary host virtual memory, with KSM and a balloon "
		    "device to reclaim it; not probed: %s.",
		    why);
		vb_feature_cell_set(
		    &q->cpu, VB_FV_YES, VB_FH_DOCUMENTED,
		    "vCPUs are host threads, so a machine may have more than the host has "
		    "CPUs; not probed: %s.",
		    why);
		return 0;
	}
	int balloon = qemu_has_balloon(h);
	int r = probe_checkpoint(h, accel, &q->ckpt);
	if (!r)
		r = probe_live(h, accel, &q->live);
	if (!r)
		r = probe_mem(h, accel, balloon, &q->mem);
	if (!r)
		r = probe_cpu(h, accel, &q->cpu);
	return r;
}

static void fill_qemu(const struct vb_features_host *h, bool kvm, const struct vb_features_qemu *q,
		      struct vb_feature_cell *c)
{
	vb_feature_cell_copy(&c[VB_FEATURE_CHECKPOINT], &q->ckpt);
	vb_feature_cell_copy(&c[VB_FEATURE_LIVE_MIGRATION], &q->live);
	vb_feature_cell_copy(&c[VB_FEATURE_MEM_OVERCOMMIT], &q->mem);
	vb_feature_cell_copy(&c[VB_FEATURE_CPU_OVERCOMMIT], &q->cpu);
	vb_feature_cell_set(
	    &c[VB_FEATURE_KERNEL_UPDATES], VB_FV_YES, VB_FH_BY_DESIGN,
	    "A guest boots its own kernel (QEMU's -kernel or the guest's disk), apart from "
	    "the host's %s; virtbench's guests boot Debian's packaged kernel.",
	    h->release);
	if (!kvm) {
		vb_feature_cell_set(
		    &c[VB_FEATURE_HW_EXTENSIONS], VB_FV_NO, VB_FH_BY_DESIGN,
		    "TCG translates guest code in software: no CPU extension is needed "
		    "(this CPU: vmx %s, svm %s).",
		    vb_features_present(h->vmx), vb_features_present(h->svm));
		vb_feature_cell_set(
		    &c[VB_FEATURE_MAINLINE], VB_FV_NA, VB_FH_BY_DESIGN,
		    "TCG is QEMU's user-space code: it needs nothing from the kernel beyond "
		    "an ordinary process.");
		return;
	}
	if (h->pvm && !h->vmx && !h->svm)
		vb_feature_cell_set(
		    &c[VB_FEATURE_HW_EXTENSIONS], VB_FV_YES, VB_FH_BY_DESIGN,
		    "KVM needs Intel VT-x (vmx) or AMD-V (svm), and /proc/cpuinfo shows "
		    "neither here; /dev/kvm is served by kvm_pvm (/sys/module/kvm_pvm) "
		    "instead, without them (PVM: only CONFIG_PVM_GUEST kernels boot; firmware "
		    "runs, as the probes above show).");
	else
		vb_feature_cell_set(
		    &c[VB_FEATURE_HW_EXTENSIONS], VB_FV_YES, VB_FH_BY_DESIGN,
		    "KVM needs Intel VT-x (vmx) or AMD-V (svm); /proc/cpuinfo here: vmx %s, "
		    "svm %s%s.",
		    vb_features_present(h->vmx), vb_features_present(h->svm),
		    h->pvm ? "; /sys/module/kvm_pvm exists (PVM: only CONFIG_PVM_GUEST kernels)"
			   : "");
	/* Loaded (or built in), or a module for this kernel. */
	bool loaded = access("/sys/module/kvm", F_OK) == 0;
	_cleanup_free_ char *mod = NULL;
	static const char *const exts[] = { "", ".xz", ".zst", ".gz" };
	for (size_t i = 0; !loaded && !mod && i < VB_ARRAY_SIZE(exts); i++) {
		char *p =
		    xasprintf("/lib/modules/%s/kernel/arch/x86/kvm/kvm.ko%s", h->release, exts[i]);
		if (access(p, F_OK) == 0)
			mod = p;
		else
			free(p);
	}
	_cleanup_free_ char *cfg = NULL;
	if (h->config) {
		_cleanup_free_ char *k = vb_features_kconfig_text(h, "CONFIG_KVM");
		_cleanup_free_ char *ki = vb_features_kconfig_text(h, "CONFIG_KVM_INTEL");
		_cleanup_free_ char *ka = vb_features_kconfig_text(h, "CONFIG_KVM_AMD");
		_cleanup_free_ char *kp = vb_features_kconfig_text(h, "CONFIG_KVM_PVM");
		cfg = xasprintf("%s, %s, %s, %s (%s)", k, ki, ka, kp, h->config_src);
	} else {
		cfg = xasprintf("kernel config unknown: %s", h->config_src);
	}
	char k = h->config ? vb_features_kconfig(h->config, "CONFIG_KVM") : '\0';
	bool yes = loaded || mod || k == 'y' || k == 'm';
	vb_feature_cell_set(
	    &c[VB_FEATURE_MAINLINE], yes ? VB_FV_YES : (h->config ? VB_FV_NO : VB_FV_UNKNOWN),
	    VB_FH_PROBED, "KVM is part of mainline Linux; on this kernel (%s): %s; %s.", h->release,
	    loaded ? "the kvm module is loaded or built in (/sys/module/kvm)"
	    : mod  ? "kvm is a module here, not loaded"
		   : "no kvm module is loaded or installed",
	    cfg);
}

/* The probes under accel, then the column. */
static int qemu_features(struct vb_features_host *h, bool kvm, struct vb_feature_cell *c)
{
	struct vb_features_qemu q = { 0 };
	int r = probe_qemu(h, kvm ? "kvm" : "tcg", &q);
	if (!r)
		fill_qemu(h, kvm, &q, c);
	qemu_release(&q);
	return r;
}

int vb_qemu_tcg_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c)
{
	(void)named;
	return qemu_features(h, false, c);
}

int vb_kvm_features(struct vb_features_host *h, bool named, struct vb_feature_cell *c)
{
	(void)named;
	return qemu_features(h, true, c);
}
