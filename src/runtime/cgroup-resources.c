/* SPDX-License-Identifier: MIT */
/*
 * What a guest's cgroup enforces: the limits written at its creation (v1:
 * per hierarchy; v2: in its one directory), changed while it runs
 * (vb_cgroup_update), and the memory figures read back.
 */
#include <fcntl.h>
#include <sys/sysmacros.h>

#include "core/util.h"
#include "runtime/cgroup-devices.h"
#include "runtime/cgroup-internal.h"

/* The minimal /dev of a container: null zero full random urandom tty ptmx pts. */
static const char *const v1_dev_allow[] = {
	"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
	"c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm",
};

/* Copy cpuset.cpus/mems from one cgroup into another where still empty (v1). */
int cg_cpuset_fill(const struct vb_cgroup_layout *l, const char *from, const char *to,
		   struct vb_error **err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *cur = NULL;
		_cleanup_free_ char *val = NULL;
		int r = cg_read(to, files[i], &cur, err);
		if (r < 0)
			return r;
		if (*cur)
			continue;
		r = cg_read(from, files[i], &val, err);
		if (r < 0)
			return r;
		if (!*val)
			return vb_error_set(err, -EINVAL, "%s/%s is empty: nothing to copy", from,
					    files[i]);
		r = cg_write(l, to, files[i], val, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cg_apply_v1(struct vb_cgroup *cg, const char *ctrl, const char *parent, const char *dir,
		const struct vb_cgroup_limits *lim, struct vb_error **err)
{
	const struct vb_cgroup_layout *l = cg->layout;
	int r = 0;
	if (list_has(ctrl, "cpuset", ",")) {
		/* Both must be set before a task can join: the limit, else the parent's. */
		if (lim->cpus)
			r = cg_write(l, dir, "cpuset.cpus", lim->cpus, err);
		if (!r && lim->mems)
			r = cg_write(l, dir, "cpuset.mems", lim->mems, err);
		if (!r)
			r = cg_cpuset_fill(l, parent, dir, err);
		if (r)
			return r;
	}
	if (list_has(ctrl, "cpu", ",")) {
		if (lim->cpu_quota_us) {
			r = cg_write_u64(l, dir, "cpu.cfs_period_us", lim->cpu_period_us, err);
			if (!r)
				r = cg_write_u64(l, dir, "cpu.cfs_quota_us", lim->cpu_quota_us,
						 err);
		}
		if (!r && lim->cpu_weight) {
			uint64_t shares = lim->cpu_weight * 1024 / 100;
			r = cg_write_u64(l, dir, "cpu.shares", shares < 2 ? 2 : shares, err);
		}
		if (r)
			return r;
	}
	if (list_has(ctrl, "memory", ",") && lim->memory_bytes) {
		r = cg_write_u64(l, dir, "memory.limit_in_bytes", lim->memory_bytes, err);
		/* Memory + swap: only where swap accounting exists. */
		if (!r && cg_has(dir, "memory.memsw.limit_in_bytes"))
			r = cg_write_u64(l, dir, "memory.memsw.limit_in_bytes", lim->memory_bytes,
					 err);
		if (r)
			return r;
	}
	if (list_has(ctrl, "pids", ",") && lim->pids_max) {
		r = cg_write_u64(l, dir, "pids.max", lim->pids_max, err);
		if (r)
			return r;
	}
	if (list_has(ctrl, "devices", ",") && lim->devices_allowlist) {
		r = cg_write(l, dir, "devices.deny", "a", err);
		for (size_t i = 0; !r && i < VB_ARRAY_SIZE(v1_dev_allow); i++)
			r = cg_write(l, dir, "devices.allow", v1_dev_allow[i], err);
		if (r)
			return r;
		cg->devices_enforced = true;
	}
	return 0;
}

/*
 * The v2 device allow-list (runtime/cgroup-devices.h) on dir. Test trees
 * are plain directories, which hold no program: nothing is attached there.
 */
int cg_attach_devices(struct vb_cgroup *cg, const char *dir, struct vb_error **err)
{
	if (cg->layout->test_tree)
		return 0;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vb_error_errno(err, errno, "cgroup v2 device allow-list: opening %s", dir);
	int r = vb_cgroup_devices_attach(fd, err);
	if (r < 0)
		return vb_error_wrap(err, "cgroup v2 device allow-list on %s", dir);
	cg->devices_enforced = true;
	return 0;
}

int cg_check_v2(const struct vb_cgroup_layout *l, const struct vb_cgroup_limits *lim,
		struct vb_error **err)
{
	const struct {
		const char *ctrl;
		bool used;
	} uses[] = {
		{ "cpuset", lim->cpus || lim->mems },
		{ "cpu", lim->cpu_quota_us || lim->cpu_weight },
		{ "memory", lim->memory_bytes != 0 },
		{ "pids", lim->pids_max != 0 },
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(uses); i++)
		if (uses[i].used && !list_has(l->v2_controllers, uses[i].ctrl, " \n"))
			return vb_error_set(err, VB_SKIP,
					    "cgroup v2 controller %s is not available to virtbench "
					    "(cgroup.controllers: %s)",
					    uses[i].ctrl, l->v2_controllers);
	return 0;
}

int cg_apply_v2(struct vb_cgroup *cg, const char *dir, const struct vb_cgroup_limits *lim,
		struct vb_error **err)
{
	const struct vb_cgroup_layout *l = cg->layout;
	int r = 0;
	if (lim->cpus)
		r = cg_write(l, dir, "cpuset.cpus", lim->cpus, err);
	if (!r && lim->mems)
		r = cg_write(l, dir, "cpuset.mems", lim->mems, err);
	if (!r && lim->cpu_quota_us) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%llu %llu", (unsigned long long)lim->cpu_quota_us,
			 (unsigned long long)lim->cpu_period_us);
		r = cg_write(l, dir, "cpu.max", buf, err);
	}
	if (!r && lim->cpu_weight)
		r = cg_write_u64(l, dir, "cpu.weight", lim->cpu_weight, err);
	if (!r && lim->memory_bytes) {
		r = cg_write_u64(l, dir, "memory.max", lim->memory_bytes, err);
		if (!r && cg_has(dir, "memory.swap.max"))
			r = cg_write(l, dir, "memory.swap.max", "0", err);
	}
	if (!r && lim->pids_max)
		r = cg_write_u64(l, dir, "pids.max", lim->pids_max, err);
	/*
	 * No device program, no start: the guest would reach every device node
	 * it could make or find. A refusal here (no CONFIG_CGROUP_BPF, no
	 * CAP_BPF, a parent's program attached without ALLOW_MULTI) fails the
	 * guest's creation with the reason.
	 */
	if (!r && lim->devices_allowlist)
		r = cg_attach_devices(cg, dir, err);
	return r;
}

/* Read the memory controller's file: v2_file on v2, v1_file on v1. */
static int memory_read(struct vb_cgroup *cg, const char *v2_file, const char *v1_file,
		       const char **dir, const char **file, char **out, struct vb_error **err)
{
	bool v2 = cg->layout->version == VB_CGROUP_V2;
	*dir = v2 ? (cg->npaths ? cg->paths[0] : NULL) : cg_path_of(cg, "memory");
	*file = v2 ? v2_file : v1_file;
	if (!*dir)
		return vb_error_set(err, -ENOENT, "cgroup %s has no memory controller", cg->name);
	int r = cg_read(*dir, *file, out, err);
	return r < 0 ? r : 0;
}

int vb_cgroup_memory_current(struct vb_cgroup *cg, uint64_t *bytes, struct vb_error **err)
{
	const char *dir, *file;
	_cleanup_free_ char *s = NULL;
	int r = memory_read(cg, "memory.current", "memory.usage_in_bytes", &dir, &file, &s, err);
	if (r < 0)
		return r;
	if (vb_parse_u64(s, bytes) < 0)
		return vb_error_set(err, -EINVAL, "bad value '%s' in %s/%s", s, dir, file);
	return 0;
}

int vb_cgroup_oom_kills(struct vb_cgroup *cg, uint64_t *n, struct vb_error **err)
{
	const char *dir, *file;
	_cleanup_free_ char *s = NULL;
	int r = memory_read(cg, "memory.events", "memory.oom_control", &dir, &file, &s, err);
	if (r < 0)
		return r;
	for (char *line = s; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "oom_kill ", 9)) {
			if (vb_parse_u64(line + 9, n) < 0)
				break;
			return 0;
		}
		line = next;
	}
	return vb_error_set(err, -ENOENT, "no oom_kill count in %s/%s", dir, file);
}

static int update_v1(struct vb_cgroup *cg, const struct vb_cgroup_limits *lim,
		     struct vb_error **err)
{
	const struct vb_cgroup_layout *l = cg->layout;
	const char *d = cg_path_of(cg, "cpuset");
	int r = 0;
	if (d) {
		_cleanup_free_ char *parent = dir_of(d);
		_cleanup_free_ char *pc = NULL, *pm = NULL;
		r = cg_read(parent, "cpuset.cpus", &pc, err);
		if (!r)
			r = cg_read(parent, "cpuset.mems", &pm, err);
		/* mems first: a task must never see an empty set. */
		if (!r)
			r = cg_write(l, d, "cpuset.mems", lim->mems ? lim->mems : pm, err);
		if (!r)
			r = cg_write(l, d, "cpuset.cpus", lim->cpus ? lim->cpus : pc, err);
	} else if (lim->cpus || lim->mems) {
		return vb_error_set(err, VB_SKIP, "cgroup %s: no cpuset controller", cg->name);
	}
	if (!r && (d = cg_path_of(cg, "cpu"))) {
		uint64_t shares = lim->cpu_weight ? lim->cpu_weight * 1024 / 100 : 1024;
		r = cg_write_u64(l, d, "cpu.shares", shares < 2 ? 2 : shares, err);
		if (!r && lim->cpu_quota_us) {
			r = cg_write_u64(l, d, "cpu.cfs_period_us", lim->cpu_period_us, err);
			if (!r)
				r = cg_write_u64(l, d, "cpu.cfs_quota_us", lim->cpu_quota_us, err);
		} else if (!r) {
			r = cg_write(l, d, "cpu.cfs_quota_us", "-1", err);
		}
	}
	if (!r && (d = cg_path_of(cg, "memory"))) {
		/* memory.limit ≤ memsw.limit at every step: open memsw first. */
		bool sw = cg_has(d, "memory.memsw.limit_in_bytes");
		if (sw)
			r = cg_write(l, d, "memory.memsw.limit_in_bytes", "-1", err);
		if (!r && lim->memory_bytes) {
			r = cg_write_u64(l, d, "memory.limit_in_bytes", lim->memory_bytes, err);
			if (!r && sw)
				r = cg_write_u64(l, d, "memory.memsw.limit_in_bytes",
						 lim->memory_bytes, err);
		} else if (!r) {
			r = cg_write(l, d, "memory.limit_in_bytes", "-1", err);
		}
	}
	if (!r && lim->io_dev && !(d = cg_path_of(cg, "blkio")))
		return vb_error_set(err, VB_SKIP, "cgroup %s: no blkio controller", cg->name);
	if (!r && d && lim->io_dev) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%u:%u %llu", major(lim->io_dev), minor(lim->io_dev),
			 (unsigned long long)lim->io_bps);
		r = cg_write(l, d, "blkio.throttle.read_bps_device", buf, err);
		if (!r)
			r = cg_write(l, d, "blkio.throttle.write_bps_device", buf, err);
	}
	return r;
}

static int update_v2(struct vb_cgroup *cg, const struct vb_cgroup_limits *lim,
		     struct vb_error **err)
{
	const struct vb_cgroup_layout *l = cg->layout;
	const char *d = cg->paths[0];
	char buf[96];
	int r = 0;
	if (cg_has(d, "cpuset.cpus")) {
		r = cg_write(l, d, "cpuset.mems", lim->mems ? lim->mems : "", err);
		if (!r)
			r = cg_write(l, d, "cpuset.cpus", lim->cpus ? lim->cpus : "", err);
	} else if (lim->cpus || lim->mems) {
		return vb_error_set(err, VB_SKIP, "cgroup %s: no cpuset controller", cg->name);
	}
	if (!r && cg_has(d, "cpu.max")) {
		if (lim->cpu_quota_us)
			snprintf(buf, sizeof(buf), "%llu %llu",
				 (unsigned long long)lim->cpu_quota_us,
				 (unsigned long long)lim->cpu_period_us);
		else
			snprintf(buf, sizeof(buf), "max 100000");
		r = cg_write(l, d, "cpu.max", buf, err);
		if (!r)
			r = cg_write_u64(l, d, "cpu.weight",
					 lim->cpu_weight ? lim->cpu_weight : 100, err);
	}
	if (!r && cg_has(d, "memory.max")) {
		if (lim->memory_bytes)
			r = cg_write_u64(l, d, "memory.max", lim->memory_bytes, err);
		else
			r = cg_write(l, d, "memory.max", "max", err);
	}
	if (!r && lim->io_dev) {
		if (!cg_has(d, "io.max"))
			return vb_error_set(err, VB_SKIP, "cgroup %s: no io controller", cg->name);
		if (lim->io_bps)
			snprintf(buf, sizeof(buf), "%u:%u rbps=%llu wbps=%llu", major(lim->io_dev),
				 minor(lim->io_dev), (unsigned long long)lim->io_bps,
				 (unsigned long long)lim->io_bps);
		else
			snprintf(buf, sizeof(buf), "%u:%u rbps=max wbps=max", major(lim->io_dev),
				 minor(lim->io_dev));
		r = cg_write(l, d, "io.max", buf, err);
	}
	return r;
}

int vb_cgroup_update(struct vb_cgroup *cg, const struct vb_cgroup_limits *lim,
		     struct vb_error **err)
{
	int r =
	    cg->layout->version == VB_CGROUP_V2 ? update_v2(cg, lim, err) : update_v1(cg, lim, err);
	return r ? vb_error_wrap(err, "cgroup %s", cg->name) : 0;
}

int vb_cgroup_block_dev(const char *path, dev_t *out, struct vb_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return vb_error_errno(err, errno, "stat %s", path);
	_cleanup_free_ char *sys =
	    xasprintf("/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
	if (access(sys, F_OK) != 0)
		return vb_error_set(err, VB_SKIP,
				    "%s is on device %u:%u, which is no block device: nothing "
				    "to throttle",
				    path, major(st.st_dev), minor(st.st_dev));
	*out = st.st_dev;
	_cleanup_free_ char *part = xasprintf("%s/partition", sys);
	if (access(part, F_OK) != 0)
		return 0;
	/* A partition: throttles act on its disk, the parent directory in sysfs. */
	_cleanup_free_ char *pdev = xasprintf("%s/../dev", sys);
	_cleanup_free_ char *text = NULL;
	unsigned ma, mi;
	if (vb_read_file(pdev, 64, &text, NULL) == 0 && sscanf(text, "%u:%u", &ma, &mi) == 2)
		*out = makedev(ma, mi);
	return 0;
}
