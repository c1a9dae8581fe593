/* SPDX-License-Identifier: MIT */
/*
 * cgroup v1 and v2 behind one interface: the life of a guest's cgroup
 * (create, attach, freeze, kill, destroy) and the sweep of those left
 * behind. Where the hierarchies are is runtime/cgroup-layout.c, the limits
 * runtime/cgroup-resources.c, control files runtime/cgroup-fs.c.
 */
#include <dirent.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>

#include "core/log.h"
#include "core/util.h"
#include "runtime/cgroup-internal.h"

#define DESTROY_TIMEOUT_MS 5000

static const char *const v2_wanted[] = { "cpu", "cpuset", "memory", "pids", "io" };

/* "vb-" + 8 lowercase hex digits + "-" + 1..9 digits, nothing else. */
static bool name_valid(const char *name)
{
	if (strncmp(name, "vb-", 3))
		return false;
	for (int i = 3; i < 11; i++)
		if (!name[i] || !strchr("0123456789abcdef", name[i]))
			return false;
	if (name[11] != '-')
		return false;
	size_t ndig = strspn(name + 12, "0123456789");
	return ndig >= 1 && ndig <= 9 && name[12 + ndig] == '\0';
}

int vb_cgroup_pids(const struct vb_cgroup *cg, pid_t **pids, size_t *n, struct vb_error **err)
{
	*pids = NULL;
	*n = 0;
	return cg->npaths ? cg_pids(cg->paths[0], pids, n, err) : 0;
}

/* ---- kill ---- */

static size_t cg_ndirs(const struct vb_cgroup *cg)
{
	return cg->npaths + (cg->unified_path ? 1 : 0);
}

static const char *cg_dir(const struct vb_cgroup *cg, size_t i)
{
	return i < cg->npaths ? cg->paths[i] : cg->unified_path;
}

/*
 * 1 when no directory of the guest lists a process, 0 when some still do at
 * the deadline (*busy then names one), <0 on error.
 */
static int wait_empty(const struct vb_cgroup *cg, uint64_t deadline, const char **busy,
		      struct vb_error **err)
{
	for (;;) {
		bool empty = true;
		for (size_t i = 0; empty && i < cg_ndirs(cg); i++) {
			_cleanup_free_ pid_t *pids = NULL;
			size_t n;
			int r = cg_pids(cg_dir(cg, i), &pids, &n, err);
			if (r < 0)
				return r;
			if (n) {
				empty = false;
				if (busy)
					*busy = cg_dir(cg, i);
			}
		}
		if (empty)
			return 1;
		if (cg->layout->test_tree || (uint64_t)vb_monotonic_ms() >= deadline)
			return 0;
		sleep_ms(2);
	}
}

/* SIGKILL every pid listed in any of the guest's directories. */
static int kill_listed(const struct vb_cgroup *cg, struct vb_error **err)
{
	for (size_t i = 0; i < cg_ndirs(cg); i++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n;
		int r = cg_pids(cg_dir(cg, i), &pids, &n, err);
		if (r < 0)
			return r;
		for (size_t k = 0; k < n; k++) {
			char buf[32];
			if (pids[k] == getpid())
				continue;
			snprintf(buf, sizeof(buf), "%d", (int)pids[k]);
			if (cg->layout->test_tree) {
				cg_log_line(cg->layout, "kill", buf);
				continue;
			}
			if (kill(pids[k], SIGKILL) < 0 && errno != ESRCH)
				return vb_error_errno(err, errno, "cannot kill pid %d in %s",
						      (int)pids[k], cg_dir(cg, i));
		}
	}
	return 0;
}

/*
 * Wait (bounded) until the freezer says frozen; a task stuck in D state may
 * keep it freezing. Whether it did (test trees: always).
 */
static bool wait_frozen(const struct vb_cgroup *cg, const char *dir, uint64_t deadline)
{
	bool v2 = cg->layout->version == VB_CGROUP_V2;
	if (cg->layout->test_tree)
		return true;
	uint64_t until = (uint64_t)vb_monotonic_ms() + 1000;
	if (until > deadline)
		until = deadline;
	for (;;) {
		_cleanup_free_ char *s = NULL;
		if (cg_read(dir, v2 ? "cgroup.events" : "freezer.state", &s, NULL) < 0)
			return false;
		if (v2 ? list_has(s, "frozen 1", "\n") : !strcmp(s, "FROZEN"))
			return true;
		if ((uint64_t)vb_monotonic_ms() >= until)
			return false;
		sleep_ms(1);
	}
}

/* Freeze (so nothing forks meanwhile), SIGKILL everything, thaw; until empty. */
static int freeze_kill(struct vb_cgroup *cg, uint64_t deadline, struct vb_error **err)
{
	const struct vb_cgroup_layout *l = cg->layout;
	bool v2 = l->version == VB_CGROUP_V2;
	const char *fdir = v2 ? (cg->npaths ? cg->paths[0] : NULL) : cg_path_of(cg, "freezer");
	const char *file = v2 ? "cgroup.freeze" : "freezer.state";
	/* v1 cgroups below the root always have freezer.state; v2 has cgroup.freeze since 5.2. */
	if (fdir && v2 && !cg_has(fdir, file))
		fdir = NULL;
	for (;;) {
		int r = 0;
		if (fdir) {
			r = cg_write(l, fdir, file, v2 ? "1" : "FROZEN", err);
			if (r < 0)
				return r;
			wait_frozen(cg, fdir, deadline);
		}
		r = kill_listed(cg, err);
		/* Always thaw: SIGKILL is delivered once the tasks run again. */
		if (fdir) {
			int t = cg_write(l, fdir, file, v2 ? "0" : "THAWED", err);
			if (!r)
				r = t;
		}
		if (r < 0)
			return r;
		uint64_t step = (uint64_t)vb_monotonic_ms() + 100;
		const char *busy = NULL;
		r = wait_empty(cg, step < deadline ? step : deadline, &busy, err);
		if (r)
			return r < 0 ? r : 0;
		if (l->test_tree)
			return 0;
		if ((uint64_t)vb_monotonic_ms() >= deadline)
			return vb_error_set(err, -ETIMEDOUT,
					    "processes are still in %s after SIGKILL (timeout)",
					    busy ? busy : cg->name);
	}
}

int vb_cgroup_freeze(struct vb_cgroup *cg, bool frozen, struct vb_error **err)
{
	const struct vb_cgroup_layout *l = cg->layout;
	bool v2 = l->version == VB_CGROUP_V2;
	const char *dir = v2 ? (cg->npaths ? cg->paths[0] : NULL) : cg_path_of(cg, "freezer");
	const char *file = v2 ? "cgroup.freeze" : "freezer.state";
	if (!dir || (v2 && !l->test_tree && !cg_has(dir, file)))
		return vb_error_set(err, VB_SKIP, "cgroup %s has no freezer", cg->name);
	int r = cg_write(l, dir, file, frozen ? (v2 ? "1" : "FROZEN") : (v2 ? "0" : "THAWED"), err);
	if (r < 0 || !frozen)
		return r < 0 ? r : 0;
	if (wait_frozen(cg, dir, (uint64_t)vb_monotonic_ms() + 1000))
		return 0;
	/* Half frozen is no promise: thaw and say so. */
	cg_write(l, dir, file, v2 ? "0" : "THAWED", NULL);
	return vb_error_set(err, -ETIMEDOUT, "cgroup %s did not freeze within 1 s", cg->name);
}

int vb_cgroup_kill(struct vb_cgroup *cg, int timeout_ms, struct vb_error **err)
{
	if (!cg)
		return 0;
	const struct vb_cgroup_layout *l = cg->layout;
	uint64_t deadline =
	    (uint64_t)vb_monotonic_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	int r = wait_empty(cg, 0, NULL, err);
	if (r)
		return r < 0 ? r : 0;
	const char *kdir =
	    l->version == VB_CGROUP_V2 ? (cg->npaths ? cg->paths[0] : NULL) : cg->unified_path;
	if (kdir && cg_has(kdir, "cgroup.kill")) {
		r = cg_write(l, kdir, "cgroup.kill", "1", err);
		if (r < 0)
			return r;
		r = wait_empty(cg, deadline, NULL, err);
		if (r)
			return r < 0 ? r : 0;
		/* v1: whatever is in the v1 hierarchies only (not moved in cgroup2) goes below. */
	}
	return freeze_kill(cg, deadline, err);
}

int vb_cgroup_kill_now(struct vb_cgroup *cg)
{
	const struct vb_cgroup_layout *l = cg->layout;
	const char *kdir =
	    l->version == VB_CGROUP_V2 ? (cg->npaths ? cg->paths[0] : NULL) : cg->unified_path;
	if (!kdir || l->test_tree || !cg_has(kdir, "cgroup.kill"))
		return -EOPNOTSUPP;
	_cleanup_free_ char *path = xasprintf("%s/cgroup.kill", kdir);
	return cg_write_raw(l, path, "1");
}

/* ---- create, attach, destroy ---- */

static void cg_free(struct vb_cgroup *cg)
{
	for (size_t i = 0; i < cg->npaths; i++)
		free(cg->paths[i]);
	free(cg->unified_path);
	free(cg->name);
	free(cg);
}

/* Kill what is inside and remove every directory; the first error is reported. */
static int cg_remove(struct vb_cgroup *cg, struct vb_error **err)
{
	int ret = vb_cgroup_kill(cg, DESTROY_TIMEOUT_MS, err);
	if (ret < 0)
		return ret;
	for (size_t i = cg_ndirs(cg); i-- > 0;) {
		int r = cg_rmdir(cg->layout, cg_dir(cg, i), err);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

void vb_cgroup_destroy(struct vb_cgroup *cg)
{
	if (!cg)
		return;
	struct vb_error *e = NULL;
	if (cg_remove(cg, &e) < 0)
		vb_warn("cgroup %s: %s", cg->name, e->msg);
	vb_error_free(&e);
	cg_free(cg);
}

bool vb_cgroup_devices_enforced(const struct vb_cgroup *cg)
{
	return cg && cg->devices_enforced;
}

/* The guest's own directory: new, or -EEXIST. */
static int mkdir_guest(struct vb_cgroup *cg, const char *parent, char **out, struct vb_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", parent, cg->name);
	bool created;
	int r = cg_mkdir(cg->layout, path, &created, err);
	if (r < 0)
		return r;
	if (!created)
		return vb_error_set(err, -EEXIST, "cgroup %s exists already", path);
	*out = steal_ptr(&path);
	return 0;
}

static int create_v1(struct vb_cgroup *cg, const struct vb_cgroup_limits *lim,
		     struct vb_error **err)
{
	const struct vb_cgroup_layout *l = cg->layout;
	for (size_t i = 0; i < l->nhier; i++) {
		const char *ctrl = l->hier[i].controller;
		const char *parent = l->hier[i].parent;
		bool created;
		int r = cg_mkdir(l, parent, &created, err);
		if (!r && list_has(ctrl, "cpuset", ",")) {
			_cleanup_free_ char *mine = dir_of(parent);
			r = cg_cpuset_fill(l, mine, parent, err);
		}
		if (!r)
			r = mkdir_guest(cg, parent, &cg->paths[cg->npaths], err);
		if (r)
			return r;
		cg->npaths++;
		r = cg_apply_v1(cg, ctrl, parent, cg->paths[cg->npaths - 1], lim, err);
		if (r)
			return r;
	}
	if (l->unified_parent) {
		/* Only for cgroup.kill: without it, kill goes through the v1 freezer. */
		struct vb_error *e = NULL;
		bool created;
		if (cg_mkdir(l, l->unified_parent, &created, &e) == 0)
			mkdir_guest(cg, l->unified_parent, &cg->unified_path, &e);
		if (e)
			vb_debug("cgroup %s: no cgroup.kill: %s", cg->name, e->msg);
		vb_error_free(&e);
	}
	/*
	 * The guest is born in its cgroup2 directory too (CLONE_INTO_CGROUP):
	 * the v2 device program there is a second lock behind devices.allow,
	 * which alone suffices here, so a refusal is only logged.
	 */
	if (cg->unified_path && lim->devices_allowlist) {
		struct vb_error *e = NULL;
		if (cg_attach_devices(cg, cg->unified_path, &e) < 0)
			vb_debug("cgroup %s: %s", cg->name, e->msg);
		vb_error_free(&e);
	}
	return 0;
}

/* Enable the wanted controllers in dir/cgroup.subtree_control where not yet enabled (v2). */
static int enable_v2(const struct vb_cgroup_layout *l, const char *dir, bool supervisor,
		     struct vb_error **err)
{
	_cleanup_free_ char *cur = NULL;
	int r = cg_read(dir, "cgroup.subtree_control", &cur, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *add = xstrdup("");
	for (size_t i = 0; i < VB_ARRAY_SIZE(v2_wanted); i++) {
		if (!list_has(l->v2_controllers, v2_wanted[i], " \n") ||
		    list_has(cur, v2_wanted[i], " \n"))
			continue;
		char *a = xasprintf("%s%s+%s", add, *add ? " " : "", v2_wanted[i]);
		free(add);
		add = a;
	}
	if (!*add)
		return 0;
	_cleanup_free_ char *path = xasprintf("%s/cgroup.subtree_control", dir);
	r = cg_write_raw(l, path, add);
	if (r == -EBUSY && supervisor)
		return vb_error_set(
		    err, VB_SKIP,
		    "cannot write %s to %s: %s: cgroup v2 enables controllers only "
		    "below a cgroup without processes of its own, and virtbench runs "
		    "in this one; virtbench needs a delegated cgroup (e.g. run it under "
		    "`systemd-run --scope -p Delegate=yes`) and moves no process to "
		    "make room",
		    add, path, strerror(EBUSY));
	if (r < 0)
		return vb_error_errno(err, -r, "cannot write %s to %s", add, path);
	return 0;
}

static int create_v2(struct vb_cgroup *cg, const struct vb_cgroup_limits *lim,
		     struct vb_error **err)
{
	const struct vb_cgroup_layout *l = cg->layout;
	const char *parent = l->hier[0].parent;
	int r = cg_check_v2(l, lim, err);
	if (r)
		return r;
	_cleanup_free_ char *mine = dir_of(parent);
	bool created;
	r = enable_v2(l, mine, true, err);
	if (!r)
		r = cg_mkdir(l, parent, &created, err);
	if (!r)
		r = enable_v2(l, parent, false, err);
	if (!r)
		r = mkdir_guest(cg, parent, &cg->paths[0], err);
	if (r)
		return r;
	cg->npaths = 1;
	return cg_apply_v2(cg, cg->paths[0], lim, err);
}

int vb_cgroup_create(const struct vb_cgroup_layout *l, const char *name,
		     const struct vb_cgroup_limits *lim, struct vb_cgroup **out,
		     struct vb_error **err)
{
	static const struct vb_cgroup_limits none;
	*out = NULL;
	if (!lim)
		lim = &none;
	if (!name_valid(name))
		return vb_error_set(err, -EINVAL, "bad cgroup name '%s': expected vb-XXXXXXXX-N",
				    name);
	if (!lim->cpu_quota_us != !lim->cpu_period_us)
		return vb_error_set(
		    err, -EINVAL,
		    "cpu quota and period go together (quota %llu us, period %llu us)",
		    (unsigned long long)lim->cpu_quota_us, (unsigned long long)lim->cpu_period_us);
	if (lim->cpu_weight > 10000)
		return vb_error_set(err, -EINVAL, "cpu weight %llu is out of range (1..10000)",
				    (unsigned long long)lim->cpu_weight);
	if (!l->nhier)
		VB_BUG("cgroup layout not initialised");
	struct vb_cgroup *cg = xcalloc(1, sizeof(*cg));
	cg->layout = l;
	cg->name = xstrdup(name);
	int r = l->version == VB_CGROUP_V2 ? create_v2(cg, lim, err) : create_v1(cg, lim, err);
	if (r) {
		struct vb_error *e = NULL;
		if (cg_remove(cg, &e) < 0)
			vb_warn("cgroup %s: %s", name, e->msg);
		vb_error_free(&e);
		cg_free(cg);
		return r;
	}
	*out = cg;
	return 0;
}

/* The guest's directory in the cgroup2 hierarchy (v2, or the mount beside v1), or NULL. */
static const char *cg_v2_dir(const struct vb_cgroup *cg)
{
	if (cg->layout->version == VB_CGROUP_V2)
		return cg->npaths ? cg->paths[0] : NULL;
	return cg->unified_path;
}

int vb_cgroup_v2_fd(const struct vb_cgroup *cg)
{
	const char *d = cg->layout->test_tree ? NULL : cg_v2_dir(cg);
	return d ? open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

static int attach(struct vb_cgroup *cg, pid_t pid, bool skip_v2, struct vb_error **err)
{
	char buf[32];
	if (pid <= 0)
		VB_BUG("attach of pid %d", (int)pid);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	const char *v2 = skip_v2 ? cg_v2_dir(cg) : NULL;
	for (size_t i = 0; i < cg_ndirs(cg); i++) {
		if (v2 && cg_dir(cg, i) == v2)
			continue;
		int r = cg_write(cg->layout, cg_dir(cg, i), "cgroup.procs", buf, err);
		int pol = r == -EINVAL ? sched_getscheduler(pid) : -1;
		if (r < 0 && (pol == SCHED_FIFO || pol == SCHED_RR))
			vb_error_wrap(err, "a real-time process joins a cpu cgroup only where "
					   "cpu.rt_runtime_us gives it time (run virtbench without "
					   "a real-time priority)");
		if (r < 0)
			return r;
	}
	return 0;
}

int vb_cgroup_attach(struct vb_cgroup *cg, pid_t pid, struct vb_error **err)
{
	return attach(cg, pid, false, err);
}

int vb_cgroup_attach_v1(struct vb_cgroup *cg, pid_t pid, struct vb_error **err)
{
	return attach(cg, pid, true, err);
}

/* ---- sweep ---- */

static int scan_names(const char *dir, char ***names, size_t *n, struct vb_error **err)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return vb_error_errno(err, errno, "cannot list %s", dir);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!name_valid(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		bool seen = false;
		for (size_t i = 0; i < *n; i++)
			seen = seen || !strcmp((*names)[i], de->d_name);
		if (seen)
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

int vb_cgroup_sweep(const struct vb_cgroup_layout *l, bool (*is_alive)(const char *tag, void *data),
		    void *data, int *n, struct vb_error **err)
{
	if (!is_alive)
		VB_BUG("cgroup sweep without is_alive");
	if (n)
		*n = 0;
	char **names = NULL;
	size_t nnames = 0;
	int ret = 0;
	for (size_t i = 0; !ret && i <= l->nhier; i++) {
		const char *dir = i < l->nhier ? l->hier[i].parent : l->unified_parent;
		if (dir)
			ret = scan_names(dir, &names, &nnames, err);
	}
	if (ret)
		nnames = 0;
	if (nnames)
		qsort(names, nnames, sizeof(*names), cmp_str);
	for (size_t k = 0; k < nnames; k++) {
		char tag[12];
		memcpy(tag, names[k], 11);
		tag[11] = '\0';
		if (is_alive(tag, data))
			continue;
		struct vb_cgroup *cg = xcalloc(1, sizeof(*cg));
		cg->layout = l;
		cg->name = xstrdup(names[k]);
		/* paths[i] stays aligned with hier[i] only where the directory exists. */
		for (size_t i = 0; i < l->nhier; i++) {
			char *p = xasprintf("%s/%s", l->hier[i].parent, names[k]);
			if (is_dir(p))
				cg->paths[cg->npaths++] = p;
			else
				free(p);
		}
		if (l->unified_parent) {
			char *p = xasprintf("%s/%s", l->unified_parent, names[k]);
			if (is_dir(p))
				cg->unified_path = p;
			else
				free(p);
		}
		/* One that cannot go does not keep the others: the first error is reported. */
		int r = cg_remove(cg, err);
		if (r < 0 && !ret)
			ret = r;
		else if (r == 0 && n)
			(*n)++;
		cg_free(cg);
	}
	for (size_t k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	return ret;
}
