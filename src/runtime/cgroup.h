/* SPDX-License-Identifier: MIT */
#ifndef VB_RUNTIME_CGROUP_H
#define VB_RUNTIME_CGROUP_H

/*
 * One interface over cgroup v1 (one hierarchy per controller) and v2 (the
 * unified hierarchy). Every guest gets one cgroup named after it
 * ("vb-1a2b3c4d-0") under virtbench's own parent ("virtbench"), which sits
 * under the cgroup the supervisor itself runs in (never at a hierarchy root
 * unless the supervisor is there). On v1 that is done in each controller
 * hierarchy virtbench uses; on v2 once, with the controllers enabled in
 * cgroup.subtree_control along the way.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "virtbench/error.h"

enum vb_cgroup_version {
	/* a tmpfs of per-controller hierarchies (maybe with an empty cgroup2 beside) */
	VB_CGROUP_V1 = 1,
	VB_CGROUP_V2 = 2, /* cgroup2 mounted at the root */
};

#define VB_CGROUP_MAX_HIER 16

/* Where the hierarchies are and where virtbench's parent is in each. */
struct vb_cgroup_layout {
	enum vb_cgroup_version version;
	char *root; /* "/sys/fs/cgroup", or a test tree */
	size_t nhier;
	struct {
		/*
		 * v1: the hierarchy's controllers as its directory is named,
		 * sorted by it: "cpuset", "memory", "cpu,cpuacct" (co-mounted,
		 * one entry); only hierarchies holding a controller virtbench
		 * uses. v2: "unified".
		 */
		char *controller;
		char *parent; /* absolute path of virtbench's parent cgroup in it */
	} hier[VB_CGROUP_MAX_HIER];
	char *unified; /* v1 hosts: the cgroup2 mount beside (for cgroup.kill), or NULL */
	/*
	 * v2: the controllers available (cgroup.controllers of the cgroup the
	 * supervisor runs in: the root's on a host, what was delegated otherwise).
	 */
	char *v2_controllers;
	/* v1 hosts: virtbench's parent in the cgroup2 mount beside, or NULL */
	char *unified_parent;
	bool test_tree; /* set by vb_cgroup_layout_init_test only */
	/* borrowed, or NULL: every write appended as "<path below root> <value>\n" */
	FILE *write_log;
};

/*
 * Read the layout from root ("/sys/fs/cgroup" normally). self_cgroup is the
 * text of /proc/self/cgroup (tests pass captured text; NULL = read it).
 * Needs on v1 at least cpu, cpuacct, cpuset, memory, pids, freezer, devices
 * and blkio (missing ones are a VB_SKIP error naming them); on v2 at least
 * cpu, memory and pids in cgroup.controllers of the supervisor's cgroup.
 *
 * The version comes from statfs(root): CGROUP2_SUPER_MAGIC is v2, TMPFS_MAGIC
 * v1 (anything else is a VB_SKIP error). On v1 the hierarchies are found by
 * listing root: each directory that is a cgroup mount (statfs) is one
 * hierarchy whose controllers are its name split at ',' after symlinks are
 * resolved (cpu -> cpu,cpuacct); the cgroup2 mount among them is "unified".
 * The supervisor's own cgroup in each comes from self_cgroup and must exist.
 * On failure l is left released.
 */
int vb_cgroup_layout_init(struct vb_cgroup_layout *l, const char *root, const char *self_cgroup,
			  struct vb_error **err);

/*
 * As vb_cgroup_layout_init, for a copy of a captured tree (tests/data/
 * cgroup-v1, cgroup-v2) made of plain directories and files. The version is
 * given, not detected: statfs of a plain directory says nothing, and the
 * presence of cgroup.controllers is no safe sign either, because a test
 * layout must never be taken for a real one. Without statfs, a directory
 * holding cgroup.controllers is the cgroup2 mount on v1 and every other
 * directory a v1 hierarchy. The layout is marked test_tree, which changes
 * only what plain directories cannot do by themselves:
 *  - a directory create makes gets empty files named as its parent's regular
 *    files (cgroupfs gives a new cgroup its control files);
 *  - files are opened with O_CREAT | O_TRUNC: reading one back shows the value
 *    last written, as cgroupfs does, and a control file a hierarchy root
 *    lacks (pids.max, freezer.state) can still be written below it;
 *  - kill sends no signal (the pids come from plain files): it appends
 *    "kill PID" to write_log instead, makes one pass and does not wait;
 *  - rmdir first unlinks the directory's regular files.
 * Use write_log to see every write in order (devices.deny, devices.allow).
 */
int vb_cgroup_layout_init_test(struct vb_cgroup_layout *l, const char *root,
			       enum vb_cgroup_version version, const char *self_cgroup,
			       struct vb_error **err);

/* Free what the layout holds; safe on a zeroed or released layout and twice. */
void vb_cgroup_layout_release(struct vb_cgroup_layout *l);

/*
 * The layout of /sys/fs/cgroup as seen by this process, read on first use
 * and kept for the life of the process (never released). NULL with *err
 * (VB_SKIP or a negative code) when it cannot be used.
 */
const struct vb_cgroup_layout *vb_cgroup_host_layout(struct vb_error **err);

/* What a guest's cgroup enforces; zero / NULL means "no limit". */
struct vb_cgroup_limits {
	const char *cpus; /* cpuset, e.g. "0-1"; NULL = the parent's */
	const char *mems; /* NULL = the parent's */
	uint64_t memory_bytes;
	uint64_t pids_max;
	uint64_t cpu_quota_us, cpu_period_us; /* both or neither */
	uint64_t cpu_weight; /* 1..10000 (v2 weight; v1 shares = weight * 1024 / 100) */
	/*
	 * v1: devices.deny "a" then the minimal /dev set (null zero full random
	 * urandom tty ptmx, and the pts devices 136:*). v2: the same set as a
	 * BPF_CGROUP_DEVICE program (runtime/cgroup-devices.h); one that cannot
	 * be attached fails the creation. v1 hosts with a cgroup2 mount beside
	 * get the program on the guest's directory there too (best effort:
	 * devices.allow already holds). See vb_cgroup_devices_enforced.
	 */
	bool devices_allowlist;
	/* vb_cgroup_update only: read and write bytes/s on io_dev (0 = no limit). */
	dev_t io_dev;
	uint64_t io_bps;
};

struct vb_cgroup {
	const struct vb_cgroup_layout *layout; /* borrowed */
	char *name;			       /* "vb-1a2b3c4d-0" */
	size_t npaths;
	char *paths[VB_CGROUP_MAX_HIER]; /* the guest's directory in each hierarchy */
	char *unified_path; /* v1: its directory in the cgroup2 mount (for cgroup.kill), or NULL */
	bool devices_enforced; /* the devices allow-list was written (v1 only) */
};

/* The processes in the guest's cgroup now (caller frees *pids); none when it is gone. */
int vb_cgroup_pids(const struct vb_cgroup *cg, pid_t **pids, size_t *n, struct vb_error **err);

/*
 * Create the guest's cgroup (and virtbench's parent where missing) and apply
 * limits (lim NULL = none). name must be "vb-" + 8 lowercase hex digits + "-"
 * + digits, the pattern vb_cgroup_sweep looks for (else -EINVAL).
 * On v1 cpuset.cpus/mems are copied from the supervisor's cgroup into
 * virtbench's parent (when still empty) and from there into the guest's,
 * before anything is attached; on v2 "+cpu +cpuset +memory +pids +io" (those
 * available, and not enabled yet) are written to cgroup.subtree_control of
 * the supervisor's cgroup and of virtbench's parent. If the supervisor's
 * cgroup holds processes, v2 refuses that (EBUSY): a VB_SKIP error, as
 * virtbench needs a delegated cgroup and moves no process to make room.
 * A limit whose controller is missing is a VB_SKIP error naming it. Every
 * write error names the value and the file. A name that exists already is an
 * error (-EEXIST). On failure what was made is removed again.
 */
int vb_cgroup_create(const struct vb_cgroup_layout *l, const char *name,
		     const struct vb_cgroup_limits *lim, struct vb_cgroup **out,
		     struct vb_error **err);

/* Move pid into the guest's cgroup in every hierarchy. */
int vb_cgroup_attach(struct vb_cgroup *cg, pid_t pid, struct vb_error **err);

/*
 * A descriptor of the guest's directory in the cgroup2 hierarchy (the
 * unified one on v2, the mount beside v1 on hybrid hosts) for clone3's
 * CLONE_INTO_CGROUP, which creates a process there instead of moving it; -1
 * when there is none (or on test layouts). vb_cgroup_attach_v1 then does
 * the rest: every hierarchy but that one (nothing at all on v2).
 */
int vb_cgroup_v2_fd(const struct vb_cgroup *cg);
int vb_cgroup_attach_v1(struct vb_cgroup *cg, pid_t pid, struct vb_error **err);

/*
 * Kill every process in it and wait (≤ timeout_ms) until it is empty:
 * cgroup.kill where there is one (v2, or the unified mount beside v1), else
 * freeze → SIGKILL every pid in cgroup.procs → thaw, repeated until empty.
 */
int vb_cgroup_kill(struct vb_cgroup *cg, int timeout_ms, struct vb_error **err);

/*
 * Write cgroup.kill once and return (no wait, no freezer): every process
 * in the guest's cgroup2 directory gets SIGKILL at once. Safe from another
 * thread while the cgroup lives. -EOPNOTSUPP where there is no cgroup.kill.
 */
int vb_cgroup_kill_now(struct vb_cgroup *cg);

/*
 * Freeze every process of the guest (v1 freezer.state, v2 cgroup.freeze)
 * and wait (≤ 1 s) until the kernel says frozen, or thaw it again. Not
 * frozen in time: thawed again and -ETIMEDOUT. A cgroup without a freezer
 * is a VB_SKIP error.
 */
int vb_cgroup_freeze(struct vb_cgroup *cg, bool frozen, struct vb_error **err);

/* Kill what is inside, remove the directories, free. Accepts NULL. */
void vb_cgroup_destroy(struct vb_cgroup *cg);

/*
 * Does the guest's cgroup enforce the devices allow-list? True when
 * devices_allowlist was asked for and devices.allow was written (v1) or the
 * device program attached (v2); false on test trees of v2, which hold no
 * program.
 */
bool vb_cgroup_devices_enforced(const struct vb_cgroup *cg);

/*
 * Remove every cgroup under virtbench's parent whose name is "vb-" + 8 hex
 * digits + "-" + digits and whose run tag is not alive: is_alive(tag, data)
 * answers for "vb-1a2b3c4d". *n counts the cgroups removed.
 * Each is looked for in every hierarchy (and the cgroup2 mount beside v1),
 * its processes are killed as vb_cgroup_kill does, then its directories go.
 * Nothing else is touched: other names, files, symlinks. On v1 most parents
 * are shared by every virtbench on the host, so is_alive must answer for
 * runs of other supervisors too. One that cannot be removed does not stop
 * the others; the first error is returned.
 */
int vb_cgroup_sweep(const struct vb_cgroup_layout *l, bool (*is_alive)(const char *tag, void *data),
		    void *data, int *n, struct vb_error **err);

/*
 * Change a running guest's entitlement: cpuset cpus/mems, CPU weight and
 * quota, memory limit, and (io_dev non-zero) a read+write bandwidth limit of
 * io_bps on that block device. Unlike vb_cgroup_create, a zero or NULL knob
 * resets it to "no limit" (cpuset back to the parent's, weight to 100), so a
 * sequence of policies can be applied to one guest. pids and devices are
 * left as they are.
 */
int vb_cgroup_update(struct vb_cgroup *cg, const struct vb_cgroup_limits *lim,
		     struct vb_error **err);

/*
 * The whole-disk block device holding path (the one blkio/io throttles act
 * on): its st_dev, or the disk of that partition. VB_SKIP when path is on a
 * filesystem without a block device (tmpfs, overlay of one, NFS).
 */
int vb_cgroup_block_dev(const char *path, dev_t *out, struct vb_error **err);

/* Read a guest's memory.current / memory.usage_in_bytes (bytes). */
int vb_cgroup_memory_current(struct vb_cgroup *cg, uint64_t *bytes, struct vb_error **err);

/*
 * How many processes of the guest the kernel's OOM killer has killed since
 * its cgroup was made (the "oom_kill" line of v1 memory.oom_control, v2
 * memory.events). -ENOENT when the kernel does not count them.
 */
int vb_cgroup_oom_kills(struct vb_cgroup *cg, uint64_t *n, struct vb_error **err);

#endif
