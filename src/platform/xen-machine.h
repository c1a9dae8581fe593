/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_XEN_MACHINE_H
#define VB_PLATFORM_XEN_MACHINE_H

/*
 * Private to the three xen platforms: the machine a domU runs in, the two
 * kinds of it and what they share. xen-domu.c holds what is shared (the
 * machine's life, the control loop's requests, the domU operations) and
 * calls a machine only through its kind's ops (struct xen_machine_ops);
 * xen-nested.c is the machine in QEMU/TCG (xen, xen-dom0), xen-local.c this
 * host's own Xen (xen-local). The kinds call xen-domu.c, never the reverse.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

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
struct machine;

/*
 * A kind of machine: what xen-domu.c asks of it. Each kind's table is static
 * in its file and handed to vb_xen_provision.
 */
struct xen_machine_ops {
	/* Its share of a new machine, once the work directory and the slots' disks exist. */
	int (*init)(const struct vb_platform_ctx *ctx, struct machine *m, struct vb_error **err);
	/* Free what init made; the machine is stopped. Safe after a failed init. */
	void (*release)(struct machine *m);
	/* Is it up: QEMU (nested), or the control loop (xen-local)? */
	bool (*running)(const struct machine *m);
	/*
	 * Up to its control loop's hello (xen-dom0: to the agent's in dom0, with
	 * ip, when not NULL, as its address on the run's bridge).
	 */
	int (*boot)(struct machine *m, const char *ip, struct vb_error **err);
	/* Power off (on request when clean, then signals); every slot's channel closes. */
	void (*stop)(struct machine *m, bool clean);
	/* Connect ch to the agent of the domU in slot (a port or its relay's connection). */
	int (*connect)(struct machine *m, unsigned slot, struct vb_channel *ch,
		       struct vb_error **err);
	/*
	 * After a failed hello (r, *err): the machine's own reason when it ended
	 * (QEMU exited at start); else r, *err left as they are.
	 */
	int (*failed)(struct machine *m, int r, struct vb_error **err);
	/* Wrap *err, naming name, with what the machine said last (console, loop log). */
	int (*with_console)(struct machine *m, const char *name, struct vb_error **err);
	/* Before the domU of slot is created (xen-local: drop a dead relay's connections). */
	void (*drain)(struct machine *m, unsigned slot);
	/* Slot is now guest name's (xen-local: the loop names the domU after it). */
	void (*slot_named)(struct machine *m, unsigned slot, const char *name);
	/* What the machine is, into a guest's fingerprint object o. */
	void (*guest_info)(const struct machine *m, json_t *o);
	/* Where the domUs' relays log their boot lines ("domUK| ..."); may be NULL. */
	const char *(*boot_log)(const struct machine *m);
	/*
	 * A Debian root: slot to's root becomes a copy of slot from's (a clone).
	 * NULL: a slot's root is fixed at the machine's start (nested: QEMU holds
	 * each overlay open), and a clone gets a slot whose root is unused.
	 */
	int (*clone_root)(struct machine *m, unsigned from, unsigned to, struct vb_error **err);
};

struct machine {
	const struct xen_machine_ops *ops; /* its kind */
	unsigned refs;
	char *name, *dir; /* the first guest's: QEMU's -name and cgroup, the work dir */
	char *run_id;
	char *agent; /* the static agent: xen-local's relay */
	struct vb_qemu_vm vm;
	struct vb_xen x;
	struct vb_channel ctl;	    /* to dom0's control loop (domU machines) */
	unsigned seq;		    /* the last request's */
	bool dom0;		    /* xen-dom0: the agent in dom0 itself, no control loop */
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
	/* The run's Debian root (borrowed), or NULL: the domUs run in the initramfs. */
	const struct vb_guest_image *image;
	char *root[VB_XENCTL_SLOTS];	 /* slot k's root (xvdb): nested, a qcow2 overlay on
					    image->disk; xen-local, a copy of it */
	bool root_used[VB_XENCTL_SLOTS]; /* a domU ran on it: it is no longer the image as built */
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
	char *root_release;	/* what the Debian root said it is at the last start, or NULL */
};

/* xen-domu.c: shared by the three platforms. */

/*
 * dst (created when missing, 0600) as a copy of src: its data extents copied
 * at their offsets, the rest a hole, the size src's. Into dst's inode in
 * place, so a QEMU that holds dst open sees the copy.
 */
int vb_xen_copy_disk(const char *src, const char *dst, struct vb_error **err);

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
 * Until dom0's control loop, on m->ctl (connected), answers: a hello every
 * second while the channel takes it.
 */
int vb_xen_ctl_hello(struct machine *m, double timeout_s, struct vb_error **err);
/*
 * A new machine of kind ops (dom0: xen-dom0's) and its first guest, in slot
 * 0, not started.
 */
int vb_xen_provision(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
		     const char *name, const struct xen_machine_ops *ops, bool dom0,
		     struct vb_guest **out, struct vb_error **err);
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

#endif
