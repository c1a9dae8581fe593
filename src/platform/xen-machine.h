/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_XEN_MACHINE_H
#define VB_PLATFORM_XEN_MACHINE_H

/*
 * Private to the three xen platforms: the machine a domU runs in and what
 * its parts call of each other. xen-domu.c holds what they share (the
 * machine's life, the control loop's requests, the domU operations);
 * xen-nested.c the machine in QEMU/TCG (xen, xen-dom0); xen-local.c this
 * host's own Xen (xen-local).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "agent/channel.h"
#include "core/util.h"
#include "guest/xen.h"
#include "platform/qemu-vm.h"
#include "platform/xen-ctl.h"
#include "virtbench/error.h"
#include "virtbench/platform.h"

/* The domU unpacks its 36 MB initramfs (31 MB of it the agent) into RAM. */
#define DOMU_MIN_MIB 256

/*
 * The nested machine: QEMU, Xen, dom0 and its control loop. Its first guest
 * provisions it; clones share it, each in a slot of its own (an agent port
 * and a scratch disk); it powers off when its last guest is destroyed.
 */
struct machine {
	unsigned refs;
	char *name, *dir; /* the first guest's: QEMU's -name and cgroup, the work dir */
	char *run_id;
	char *agent; /* the static agent: xen-local's relay */
	struct vb_qemu_vm vm;
	struct vb_xen x;
	struct vb_channel ctl;	    /* to dom0's control loop (domU machines) */
	unsigned seq;		    /* the last request's */
	bool dom0;		    /* xen-dom0: the agent in dom0 itself, no control loop */
	bool local;		    /* xen-local: this host's Xen, the loop a child of ours */
	pid_t loop;		    /* xen-local: the control loop (-1: not running) */
	int lsock[VB_XENCTL_SLOTS]; /* xen-local: where slot k's relay connects */
	char *loop_log;		    /* xen-local: the loop's output */
	char *domu_initrd;	    /* xen-local: the domU's initramfs (x.kernel its kernel) */
	bool net;	   /* a tap on the run's bridge: dom0's eth0, bridged to the domUs */
	uint64_t domu_mib; /* sizing: a domU of the first guest's size */
	unsigned vcpus;
	uint64_t disk_bytes;
	char *disk[VB_XENCTL_SLOTS]; /* slot k's scratch image: xvda of the domU there */
	char *sock[VB_XENCTL_SLOTS]; /* slot k's agent port */
	struct vb_guest *slot[VB_XENCTL_SLOTS];
	double ready_timeout_s;
};

struct vb_guest {
	char *name;
	struct machine *m;
	unsigned slot;
	struct vb_channel ch; /* to the domU's agent (xen-dom0: m->vm.ch) */
	bool running;	      /* its domU exists (xen-dom0: the machine runs) */
	unsigned vcpus;	      /* the domU's */
	uint64_t memory;      /* the domU's */
	bool net;	      /* an address on the run's bridge */
	char ip[20];
	double job_timeout_s;
	char hash[65];
	double host_s, guest_s; /* the last start: dom0's boot (0: it was up), the domU's */
};

/* xen-domu.c: shared by the three platforms. */

/*
 * One request to dom0's control loop and its answer (docs/xen.md). Answers
 * to earlier requests (the repeated hellos of the boot) are skipped. 0; -EIO
 * with dom0's msg= when it refused or failed; anything else leaves the
 * channel unusable.
 */
int vb_xen_ctl_request(struct machine *m, double timeout_s, struct vb_xenctl_answer *a,
		       struct vb_error **err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/*
 * Until dom0's control loop answers: a hello every second while the port
 * takes it (xen-local: m->ctl is the loop's socket pair already).
 */
int vb_xen_ctl_hello(struct machine *m, double timeout_s, struct vb_error **err);
/* Wraps *err, naming name, with what the console (the loop's log for xen-local) said last. */
int vb_xen_with_console(struct machine *m, const char *name, struct vb_error **err);
/* Power the machine off: dom0 on request (or the agent's quit in dom0), then signals. */
void vb_xen_machine_stop(struct machine *m, bool clean);
/*
 * A new machine (dom0: xen-dom0's; local: xen-local's) and its first guest,
 * in slot 0, not started.
 */
int vb_xen_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		     const char *name, bool dom0, bool local, struct vb_guest **out,
		     struct vb_error **err);
/* The platform operations of the same names, shared by the ops tables. */
int vb_xen_start(struct vb_guest *g, struct vb_error **err);
int vb_xen_exec(struct vb_guest *g, const struct vb_job *job, vb_event_cb cb, void *data,
		struct vb_error **err);
int vb_xen_reboot(struct vb_guest *g, struct vb_error **err);
int vb_xen_clone(struct vb_guest *g, const char *name, struct vb_guest **out,
		 struct vb_error **err);
int vb_xen_stop(struct vb_guest *g, struct vb_error **err);
void vb_xen_destroy(struct vb_guest *g);
const char *vb_xen_agent_hash(struct vb_guest *g);
char *vb_xen_guest_info(struct vb_guest *g);

/* xen-nested.c: the machine in QEMU/TCG. */

/* QEMU's -initrd lists multiboot modules as "path args,path": no comma or space in a path. */
bool vb_xen_module_path_ok(const char *p);
/*
 * Why a start failed, from the serial console: dom0's last word (it says
 * FAILED: and what), else the console's last line. NULL: nothing printed.
 */
char *vb_xen_console_hint(const char *path);
/*
 * QEMU, Xen and dom0, to its control loop's hello (xen-dom0: to the agent's
 * in dom0, with ip, when not NULL, as its address on the run's bridge).
 */
int vb_xen_nested_boot(struct machine *m, const char *ip, struct vb_error **err);

/* xen-local.c: this host's Xen. */

/* A small file of the loop's state directory (the host's side of it). */
int vb_xen_local_state_file(struct machine *m, const char *file, const char *value,
			    struct vb_error **err);
/*
 * xen-local's share of a new machine: the domU's kernel and initramfs, the
 * Xen version, and the loop's state files (each slot's port and disk).
 */
int vb_xen_local_new(const struct vb_platform_ctx *ctx, struct machine *m, struct vb_error **err);
/* xen-local's "boot": the control loop, a child of ours, to its hello. */
int vb_xen_local_boot(struct machine *m, struct vb_error **err);
/* The loop ends (on request when clean); domUs it left behind go with xl destroy. */
void vb_xen_local_stop(struct machine *m, bool clean);
/* Drop connections left from a relay whose session never reached us. */
void vb_xen_local_drain(struct machine *m, unsigned slot);
/* The relay of slot's domU connects; ch gets that connection. */
int vb_xen_local_accept(struct machine *m, unsigned slot, struct vb_channel *ch,
			struct vb_error **err);

#endif
