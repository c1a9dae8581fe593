/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_QEMU_VM_H
#define VB_PLATFORM_QEMU_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/channel.h"
#include "core/caplog.h"
#include "platform/qmp.h"
#include "virtbench/error.h"

/*
 * The machine every QEMU of virtbench's runs: Q35 with what it builds in
 * switched off. -nodefaults still leaves the i440fx PC a floppy controller
 * (where VENOM lived), IDE, vmport and SMBus. Left: the chipset, PIT, RTC,
 * PICs, IOAPIC and the devices asked for (virtio-pci, the serial port).
 * microvm would need virtio-mmio drivers in the guest.
 */
#define VB_QEMU_MACHINE "q35,sata=off,smbus=off,vmport=off,i8042=off,hpet=off"

/* The one QEMU virtbench runs, found in $PATH. */
#define VB_QEMU_BIN "qemu-system-x86_64"

/*
 * The QEMU process of a VM platform (qemu-tcg, kvm, xen): its files in the
 * guest's work directory, its cgroup, the process and the agent's channel
 * over a virtio-serial port. The platforms add their own devices and boot
 * arguments; starting, reaching the agent and stopping are the same.
 */
struct vb_qemu_vm {
	char *name;	      /* the guest's name: QEMU's -name and the cgroup's */
	char *sock;	      /* the agent's socket (QEMU's chardev) */
	char *console;	      /* the guest's serial console */
	char *log;	      /* QEMU's own stdout and stderr (drained, capped) */
	struct vb_cgroup *cg; /* NULL where cgroups are not usable */
	pid_t pid;	      /* -1 when not running */
	struct vb_channel ch; /* to the agent, after vb_qemu_vm_hello */
	bool running;	      /* spawned and not stopped yet */
	char *qmp_sock;	      /* QEMU's monitor */
	struct vb_qmp qmp;    /* connected after the hello */
	pid_t *vcpu_tids;     /* the vCPU threads (query-cpus-fast), after the hello */
	size_t nvcpus;
	char *console_fifo;	      /* QEMU writes the console here; drained into console */
	struct vb_caplog console_log; /* the drain: console holds at most VB_QEMU_CONSOLE_CAP */
	struct vb_caplog qemu_log; /* QEMU's stdout and stderr into log, at most VB_QEMU_LOG_CAP */
	int netns;		   /* >= 0: QEMU starts in this network namespace (borrowed) */
	uid_t uid;		   /* != 0: QEMU drops to uid:gid once it is set up */
	gid_t gid;
	pid_t watch_pid; /* with uid: our watcher, which kills QEMU when we die; 0: none */
	int watch_fd;	 /* the pipe whose end tells the watcher we are gone */
};

/* Bytes a guest's serial console log and QEMU's own log keep (docs/qemu.md). */
#define VB_QEMU_CONSOLE_CAP (256u << 10)
#define VB_QEMU_LOG_CAP (256u << 10)

/*
 * The unprivileged ids of guest name's QEMU: 2113929216 + a hash of name
 * modulo 65536 (one per guest, so two guests' QEMUs cannot signal each
 * other), skipping ids the host's user or group database knows; 0 when
 * QEMU must stay root: virtbench is not root, or VIRTBENCH_QEMU_USER=root.
 */
uid_t vb_qemu_guest_uid(const char *name);

/* A growing NULL-terminated argument vector; every string is owned. */
struct vb_qemu_args {
	char **v;
	size_t n, cap;
};

void vb_qemu_args_add(struct vb_qemu_args *a, const char *s);
void vb_qemu_args_addf(struct vb_qemu_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vb_qemu_args_release(struct vb_qemu_args *a);

/*
 * What every QEMU of virtbench's is, whatever it then runs (a platform's
 * guest, a probe of `virtbench features`): the one place its command line
 * starts.
 */
struct vb_qemu_machine {
	const char *qemu;     /* the binary, an absolute path */
	const char *name;     /* -name */
	bool debug_threads;   /* name the vCPU threads ("CPU 0/TCG"), as pinning shows them */
	const char *accel;    /* "tcg" or "kvm" */
	const char *cpu;      /* -cpu; NULL: QEMU's default model */
	uint64_t mem_mib;     /* -m */
	unsigned smp;	      /* -smp */
	const char *qmp_sock; /* the monitor's unix socket */
	bool spawn;	      /* the sandbox lets QEMU start helpers (exec: migration) */
	uid_t uid, gid;	      /* != 0: QEMU drops to these ids once it has opened its files */
};

/*
 * m's arguments into a: qemu -name, -nodefaults, no user config,
 * VB_QEMU_MACHINE under accel (and cpu), mem_mib and smp, no display, the
 * monitor on qmp_sock, the sandbox and (uid) the drop to uid:gid. What the
 * machine runs (kernel, disks, ports, -S, -incoming) its caller adds.
 */
void vb_qemu_machine_args(const struct vb_qemu_machine *m, struct vb_qemu_args *a);

/* qemu-system-x86_64 in $PATH, or NULL. Caller frees. */
char *vb_qemu_find(void);

/*
 * Set up vm for the guest name whose work directory is dir (it must exist):
 * the paths, no process yet. With cgroup, QEMU gets a cgroup of its own
 * where cgroups are usable here (none is no error).
 */
int vb_qemu_vm_init(struct vb_qemu_vm *vm, const char *name, const char *dir, bool cgroup,
		    struct vb_error **err);

/* Stop QEMU as vb_qemu_vm_stop with no grace, remove its cgroup, free. Safe twice. */
void vb_qemu_vm_release(struct vb_qemu_vm *vm);

/*
 * The arguments every VM starts with, into a: vb_qemu_machine_args's for
 * vm (named, its vCPU threads too, with accel and cpu, mem_mib and smp, the
 * monitor on vm's QMP socket, and (vm->uid) the drop to vm's unprivileged
 * ids), then no reboot, the serial console into vm's console FIFO and the
 * agent's virtio-serial port "vb.agent" on vm's socket.
 */
void vb_qemu_vm_args(const struct vb_qemu_vm *vm, struct vb_qemu_args *a, const char *qemu,
		     const char *accel, const char *cpu, uint64_t mem_mib, unsigned smp);

/*
 * Start QEMU with argv (NULL-terminated, argv[0] absolute): its output
 * drained into vm's log (capped), its serial console drained from vm's FIFO into vm's console
 * (capped), SIGKILL as its parent-death signal, in vm's cgroup and (vm->netns)
 * network namespace.
 */
int vb_qemu_vm_spawn(struct vb_qemu_vm *vm, char *const argv[], struct vb_error **err);

/*
 * Connect ch to sock, a socket chardev of vm's QEMU (waiting for QEMU to
 * create it; an error at once when QEMU has exited), lines up to max_line.
 */
int vb_qemu_vm_connect(const struct vb_qemu_vm *vm, const char *sock, struct vb_channel *ch,
		       size_t max_line, struct vb_error **err);

/*
 * After a failed hello (r, *err): when QEMU has ended, at once or as its
 * channel closed (-EPIPE: it gets a second to be gone), the error becomes
 * "QEMU exited at start: " and the last line of its log, and -ECHILD is
 * returned; else r and *err are left as they are.
 */
int vb_qemu_vm_exited_at_start(struct vb_qemu_vm *vm, int r, struct vb_error **err);

/*
 * Connect to the agent's socket and wait up to timeout_s for its hello
 * (syncing, as the agent runs with --sync). On failure the caller stops vm.
 */
int vb_qemu_vm_hello(struct vb_qemu_vm *vm, double timeout_s, struct vb_error **err);

/*
 * Stop: the agent is asked to quit, and QEMU gets grace_ms to end by itself
 * (the guest powers off, -no-reboot ends QEMU); then SIGTERM, SIGKILL, and
 * whatever is left in its cgroup. Does nothing when not running.
 */
void vb_qemu_vm_stop(struct vb_qemu_vm *vm, int grace_ms);

/*
 * Pin vCPU thread k to the k-th CPU of cpus ("0-1,3"; round robin when there
 * are more vCPUs), or free every vCPU thread again (cpus NULL). Needs the
 * thread ids QMP gave at the hello.
 */
int vb_qemu_vm_pin_vcpus(struct vb_qemu_vm *vm, const char *cpus, struct vb_error **err);

/* What its cgroup is charged (QEMU, guest RAM touched, page cache). */
int vb_qemu_vm_footprint(struct vb_qemu_vm *vm, uint64_t *bytes, struct vb_error **err);

/*
 * Wait for what a stopped QEMU's console and output still hold to reach
 * vm's console and log files: before reading them for an error.
 */
void vb_qemu_vm_flush_logs(struct vb_qemu_vm *vm);

/*
 * The last line of a log that says something (not QEMU's note of being
 * stopped by us), or NULL. Caller frees.
 */
char *vb_qemu_last_line(const char *path);

/* A sparse raw image of size bytes at path, formatted ext4 by the host's mkfs.ext4. */
int vb_qemu_make_disk(const char *path, uint64_t size, struct vb_error **err);

/* qemu-img create -f qcow2 -b base -F fmt overlay, quietly: a copy-on-write disk on base. */
int vb_qemu_make_overlay(const char *base, const char *fmt, const char *overlay,
			 struct vb_error **err);

#endif
