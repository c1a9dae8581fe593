/* SPDX-License-Identifier: MIT */
#ifndef VIRTBENCH_PLATFORM_H
#define VIRTBENCH_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/*
 * A platform is a const table of callbacks plus metadata. Every platform
 * starts the same agent binary and speaks the same protocol to it; only how
 * the agent gets launched differs. The list is in src/platform/registry.c.
 */

enum vb_net_mode {
	VB_NET_NONE,
	VB_NET_NAT,
	VB_NET_BRIDGED,
};

/*
 * Where a container guest's /scratch (the disk workloads' directory) lives:
 * a volume, a host directory of its own on the filesystem of the host
 * platform's scratch bound on /scratch (the default, as LXC's directory
 * root and Docker volumes), or in the overlay's upper layer.
 */
enum vb_container_disk {
	VB_CONTAINER_DISK_VOLUME = 0,
	VB_CONTAINER_DISK_OVERLAY,
};

/* "volume" or "overlay", as the CLI takes and the records say it. */
static inline const char *vb_container_disk_name(enum vb_container_disk d)
{
	return d == VB_CONTAINER_DISK_OVERLAY ? "overlay" : "volume";
}

struct vb_userns;	 /* src/runtime/idmap.h */
struct vb_features_host; /* virtbench/feature.h */
struct vb_feature_cell;

/* What a guest looks like. Zero means "the platform's default". */
struct vb_guest_spec {
	unsigned vcpus;
	uint64_t memory_bytes;
	uint64_t disk_bytes;
	enum vb_net_mode net;
	const char *image; /* container: the image directory, borrowed; NULL = the run's image */
	const struct vb_userns *userns; /* borrowed; non-NULL: a user namespace (VB_CAP_USERNS) */
	enum vb_container_disk container_disk; /* VB_CAP_CONTAINER_DISK; others ignore it */
};

/*
 * An entitlement policy for a running guest (`virtbench isolation --policy`).
 * Zero / NULL means "no limit": applying a policy replaces the previous one.
 */
struct vb_guest_policy {
	const char *cpus;	/* cpuset, e.g. "1" */
	const char *mems;	/* NUMA nodes, e.g. "0" */
	unsigned cpu_weight;	/* 1..10000, 100 = the default share */
	unsigned cpu_quota_pct; /* at most this % of one CPU */
	uint64_t memory_bytes;
	uint64_t io_bps;  /* read and write bytes/s on the guest's scratch disk */
	uint64_t net_bps; /* bytes/s the guest may send on its network */
};

enum vb_platform_caps {
	VB_CAP_REBOOT = 1u << 0,
	VB_CAP_CLONE = 1u << 1,
	VB_CAP_CHECKPOINT = 1u << 2,
	VB_CAP_LIVE_MIGRATION = 1u << 3,
	VB_CAP_MEM_OVERCOMMIT = 1u << 4,
	VB_CAP_CPU_OVERCOMMIT = 1u << 5,
	VB_CAP_NETWORK = 1u << 6,
	VB_CAP_EMULATED = 1u << 7, /* results are emulation and labelled so */
	VB_CAP_NESTED = 1u << 8,   /* with EMULATED: a hypervisor nested inside the emulation */
	VB_CAP_NAT = 1u << 9,	   /* its guests can have --net nat */
	VB_CAP_USERNS = 1u << 10,  /* takes a guest spec's user namespace maps */
	VB_CAP_CONTAINER_DISK = 1u << 11, /* takes a guest spec's container_disk */
	VB_CAP_ROOT_TREE = 1u << 12,	  /* runs on the run's image as a tree (ctx->image->tree) */
	VB_CAP_ROOT_DISK = 1u << 13,	  /* boots the run's image as a disk (ctx->image->disk) */
};

/* Which root a run's guests boot (`--image`). */
enum vb_image_kind {
	VB_IMAGE_MINIMAL, /* busybox and the agent: a container's minimal root, a VM's initramfs */
	VB_IMAGE_DEBIAN,  /* debootstrap of the host's release, with packages */
	VB_IMAGE_DIR,	  /* a directory the user made (container guests only) */
};

/* "minimal", "debian" or "dir", as records say it. */
static inline const char *vb_image_kind_name(enum vb_image_kind k)
{
	return k == VB_IMAGE_DEBIAN ? "debian" : k == VB_IMAGE_DIR ? "dir" : "minimal";
}

/*
 * The image of a run, resolved before the run starts (src/guest/image.c,
 * vb_image_resolve): the same root for every platform, each taking the form
 * it boots. Strings owned (vb_guest_image_release).
 */
struct vb_guest_image {
	enum vb_image_kind kind;
	char *key;	/* debian: the cache key (the tree's directory name); else NULL */
	char *packages; /* debian: the packages asked for, "less,nginx"; else NULL */
	char *tree;	/* the root directory container guests run on; NULL: the minimal one */
	char *disk;	/* its ext4 image, the VM guests' read-only base; NULL: the initramfs */
	double tree_s, disk_s;	     /* how long having each took (built or found) */
	bool tree_built, disk_built; /* built by this process (else taken from the cache) */
};

/* Everything a platform needs from the run that drives it. */
struct vb_platform_ctx {
	const char *run_id;	/* "vb-<id>": every resource is named after it */
	const char *agent_path; /* the static agent binary */
	const char *work_dir;	/* per-run directory for scratch space, images */
	double ready_timeout_s; /* start → agent-ready limit */
	double job_timeout_s;	/* one job's limit; 0 = none */
	/* The run's image (--image); NULL: the minimal one everywhere. */
	const struct vb_guest_image *image;
	/*
	 * The VM platforms' guest kernel (--kernel) and its modules directory
	 * (may be NULL: everything built in); NULL kernel: $VIRTBENCH_KERNEL,
	 * else Debian's.
	 */
	const char *kernel;
	const char *kernel_modules;
};

struct vb_guest; /* a platform's own per-guest state */
struct vb_job;	 /* src/agent/protocol.h */
struct vb_event;

/* Called for every event the agent streams while a job runs. */
typedef void (*vb_event_cb)(const struct vb_event *ev, void *data);

struct vb_platform_ops {
	const char *name;		/* "host", "container", "kvm", ... */
	const char *summary;		/* one line for `list platforms` */
	unsigned caps;			/* enum vb_platform_caps */
	const char *unavailable_reason; /* non-NULL: compiled out / not built yet */
	/*
	 * Is it usable here, for a run of ctx (its kernel: kvm boots a probe
	 * guest)? 0 yes; VB_SKIP with the reason in *err. Only ctx's kernel and
	 * agent are set while probing.
	 */
	int (*probe)(const struct vb_platform_ctx *ctx, struct vb_error **err);
	/* Create a guest (disk, rootfs, cgroup...) but do not start it. */
	int (*provision)(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			 const char *name, struct vb_guest **out, struct vb_error **err);
	/* Start the guest and wait until its agent said hello. */
	int (*start)(struct vb_guest *g, struct vb_error **err);
	/* Run one job through the agent; events go to cb until "done". */
	int (*exec)(struct vb_guest *g, const struct vb_job *job, vb_event_cb cb, void *data,
		    struct vb_error **err);
	/* Stop and start again, keeping the guest's disk/rootfs. NULL if unsupported. */
	int (*reboot)(struct vb_guest *g, struct vb_error **err);
	/* A new, stopped guest from g's state. NULL if unsupported. */
	int (*clone)(struct vb_guest *g, const char *name, struct vb_guest **out,
		     struct vb_error **err);
	/* Stop the guest (agent, processes); the guest can be started again. */
	int (*stop)(struct vb_guest *g, struct vb_error **err);
	/* Remove everything of the guest. Accepts NULL; safe after a failed start. */
	void (*destroy)(struct vb_guest *g);
	/* The SHA-256 of the agent as the guest runs it (hex). */
	const char *(*agent_hash)(struct vb_guest *g);
	/*
	 * The address on this host that the guest reaches, where a w3 peer for
	 * it must listen ("127.0.0.1" for host); NULL when it has no network.
	 */
	const char *(*peer_listen)(struct vb_guest *g);
	/*
	 * The address the guest reaches that host address by, where it differs
	 * (QEMU's user-mode NAT: the host's loopback is 10.0.2.2 inside); NULL
	 * or a NULL op: the same.
	 */
	const char *(*peer_via)(struct vb_guest *g);
	/*
	 * The network namespace (a descriptor the platform keeps open) the w3
	 * peer must run in to listen on peer_listen, where it is not the
	 * supervisor's (the container's NAT: the run's outside namespace); -1
	 * or a NULL op: the supervisor's.
	 */
	int (*peer_netns)(struct vb_guest *g);
	/*
	 * The guest's own address, where another guest of the run reaches it
	 * (the pair of a layout=split workload: its address on the run's
	 * bridge; "127.0.0.1" for host); NULL or a NULL op: none.
	 */
	const char *(*guest_address)(struct vb_guest *g);
	/*
	 * Memory the running guest costs the host, in bytes: what its cgroup is
	 * charged (processes, guest RAM touched, page cache). NULL if unknown.
	 */
	int (*footprint)(struct vb_guest *g, uint64_t *bytes, struct vb_error **err);
	/* Apply an entitlement policy to the running guest. NULL if unsupported. */
	int (*set_policy)(struct vb_guest *g, const struct vb_guest_policy *p,
			  struct vb_error **err);
	/*
	 * What the guest runs, for its fingerprint (platforms.spec "guest"): a
	 * JSON object text such as {"kernel": "6.1.0-56-amd64", "accel": "tcg"};
	 * caller frees. NULL op or NULL: nothing beyond the host's.
	 */
	char *(*guest_info)(struct vb_guest *g);
	/*
	 * The two parts of the running guest's last start, for a platform that
	 * boots a host of its own before the guest (xen: QEMU to dom0's control
	 * loop, then xl create to the domU agent's hello); host_s is 0 when that
	 * host was up already. NULL op or non-zero: the start is one figure.
	 */
	int (*boot_parts)(struct vb_guest *g, double *host_s, double *guest_s);
	/*
	 * How its results are labelled where that depends on the host (0, 1 or
	 * 2 as vb_platform_emulation): xen-local, whose dom0 may itself run
	 * under emulation. NULL op: from caps.
	 */
	int (*emulation)(void);
	/*
	 * What a successful probe found, for `list platforms` (xen-local: the
	 * dom0 and its Xen). NULL op or NULL: nothing to say. Caller frees.
	 */
	char *(*found)(void);
	/*
	 * Remove what dead runs left of this platform's own, beyond the run's
	 * work directory and the runtime's cgroups, links and nft tables (which
	 * the sweep removes for every platform): xen-local, domUs in the
	 * host's Xen. is_alive(tag, data) says whether the run named tag
	 * ("vb-1a2b3c4d") lives; *n counts what went. NULL op: nothing.
	 */
	int (*sweep)(bool (*is_alive)(const char *tag, void *data), void *data, int *n,
		     struct vb_error **err);
	/*
	 * Its column of `virtbench features` (docs/features.md), into
	 * cells[VB_FEATURE_COUNT]: what can be tried here is tried, the rest
	 * said by design or from the documentation. named: the user asked for
	 * this platform by name, so a probe that boots a machine for minutes may
	 * run. A probe that fails is a cell that says so; only an interruption
	 * is returned (-EINTR). Every process it starts is gone and every file
	 * it makes (under h->work) removed when it returns. NULL op: no column.
	 */
	int (*features)(struct vb_features_host *h, bool named, struct vb_feature_cell *cells);
};

/*
 * The static agent: $VIRTBENCH_AGENT (an absolute path; when set, only
 * there), else virtbench-agent next to this executable (the build tree),
 * else in VB_LIBEXECDIR (<prefix>/libexec/virtbench from meson, where
 * `meson install` puts it; docs/install.md). -ENOENT when none is there;
 * caller frees *out.
 */
int vb_platform_agent_path(char **out);

/*
 * How a platform's results are labelled, as stored in platforms.emulated:
 * 0 native, 1 emulated, 2 nested inside emulation (xen in QEMU/TCG).
 */
static inline int vb_platform_emulation(const struct vb_platform_ops *p)
{
	if (p->emulation)
		return p->emulation();
	return !(p->caps & VB_CAP_EMULATED) ? 0 : (p->caps & VB_CAP_NESTED) ? 2 : 1;
}

/* The registry: NULL-terminated. */
extern const struct vb_platform_ops *const vb_platforms[];

/* Look up by exact name; NULL when unknown. */
const struct vb_platform_ops *vb_platform_find(const char *name);

/*
 * Probe p for a run of ctx (its kernel; NULL: the default one): 0 when
 * usable, VB_SKIP with the reason in *err when not (a platform that is not
 * built yet says so without probing).
 */
int vb_platform_probe(const struct vb_platform_ops *p, const struct vb_platform_ctx *ctx,
		      struct vb_error **err);

/*
 * `virtbench container run`: one command in a fresh container of the minimal
 * image, with the caller's stdin/stdout/stderr; waits for it and removes
 * everything. *status is its wait status.
 */
int vb_container_run_command(const struct vb_platform_ctx *ctx, const struct vb_guest_spec *spec,
			     char *const argv[], bool seccomp, int *status, struct vb_error **err);

#endif
