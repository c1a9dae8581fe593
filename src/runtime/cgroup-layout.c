/* SPDX-License-Identifier: MIT */
/*
 * Where the cgroup hierarchies are (v1: one per controller; v2: the unified
 * one) and where virtbench's parent cgroup is in each: the layout every
 * guest's cgroup is made in (runtime/cgroup.h).
 */
#include <dirent.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include "runtime/cgroup-internal.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define PARENT_NAME "virtbench"

/* The v1 controllers virtbench needs, each in some hierarchy. */
static const char *const v1_needed[] = {
	"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids",
};
/* v2: must be available; and enabled below the supervisor when available. */
static const char *const v2_needed[] = { "cpu", "memory", "pids" };

/*
 * The path of the supervisor's cgroup for a controller (NULL: the cgroup2
 * line "0::") in /proc/self/cgroup text: "" for the root, else "/a/b".
 */
static int self_path(const char *text, const char *ctrl, char **out, struct vb_error **err)
{
	const char *what = ctrl ? ctrl : "the cgroup2 hierarchy";
	for (const char *line = text; line && *line;) {
		const char *eol = strchrnul(line, '\n');
		_cleanup_free_ char *l = xstrndup(line, (size_t)(eol - line));
		line = *eol ? eol + 1 : eol;
		char *c1 = strchr(l, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		const char *ctrls = c1 + 1, *path = c2 + 1;
		if (ctrl ? !list_has(ctrls, ctrl, ",") : (*ctrls || strcmp(l, "0")))
			continue;
		/* An absolute path without "." or ".." components (or "(deleted)" tails). */
		bool ok = path[0] == '/' && !strstr(path, "//") && !strchr(path, ' ');
		for (const char *p = path; ok && *p; p = p + strcspn(p, "/")) {
			p++;
			size_t n = strcspn(p, "/");
			if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
				ok = false;
		}
		if (!ok)
			return vb_error_set(err, -EINVAL,
					    "bad cgroup path '%s' for %s in /proc/self/cgroup",
					    path, what);
		size_t n = strlen(path);
		while (n && path[n - 1] == '/')
			n--;
		*out = xstrndup(path, n);
		return 0;
	}
	return vb_error_set(err, -ENOENT, "no line for %s in /proc/self/cgroup", what);
}

/* dir + own + "/virtbench", checking that dir + own (the supervisor's cgroup) exists. */
static int parent_in(const char *dir, const char *own, char **out, struct vb_error **err)
{
	_cleanup_free_ char *mine = xasprintf("%s%s", dir, own);
	if (!is_dir(mine))
		return vb_error_set(err, -ENOENT,
				    "the cgroup virtbench runs in, %s, is missing (another cgroup "
				    "namespace?)",
				    mine);
	*out = xasprintf("%s/" PARENT_NAME, mine);
	return 0;
}

static bool fs_is(const char *path, long magic)
{
	struct statfs fs;
	return statfs(path, &fs) == 0 && (long)fs.f_type == magic;
}

static int layout_v1(struct vb_cgroup_layout *l, const char *self, struct vb_error **err)
{
	char rootreal[PATH_MAX];
	if (!realpath(l->root, rootreal))
		return vb_error_errno(err, errno, "cannot resolve %s", l->root);
	DIR *d = opendir(l->root);
	if (!d)
		return vb_error_errno(err, errno, "cannot list %s", l->root);
	char *names[VB_CGROUP_MAX_HIER];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *full = xasprintf("%s/%s", l->root, de->d_name);
		char real[PATH_MAX];
		struct stat st;
		if (stat(full, &st) < 0 || !S_ISDIR(st.st_mode) || !realpath(full, real))
			continue;
		/* Follow symlinks only to siblings: cpu -> cpu,cpuacct. */
		char *slash = strrchr(real, '/');
		if (!slash || (size_t)(slash - real) != strlen(rootreal) ||
		    strncmp(real, rootreal, (size_t)(slash - real)))
			continue;
		const char *base = slash + 1;
		_cleanup_free_ char *dir = xasprintf("%s/%s", l->root, base);
		bool v2 = l->test_tree ? cg_has(dir, "cgroup.controllers")
				       : fs_is(dir, CGROUP2_SUPER_MAGIC);
		if (v2) {
			if (!l->unified)
				l->unified = steal_ptr(&dir);
			continue;
		}
		if (!l->test_tree && !fs_is(dir, CGROUP_SUPER_MAGIC))
			continue;
		bool wanted = false;
		for (size_t i = 0; i < VB_ARRAY_SIZE(v1_needed); i++)
			wanted = wanted || list_has(base, v1_needed[i], ",");
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			seen = seen || !strcmp(names[i], base);
		if (!wanted || seen)
			continue;
		if (n == VB_CGROUP_MAX_HIER)
			break;
		names[n++] = xstrdup(base);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);

	_cleanup_free_ char *missing = xstrdup("");
	for (size_t i = 0; i < VB_ARRAY_SIZE(v1_needed); i++) {
		bool found = false;
		for (size_t j = 0; j < n; j++)
			found = found || list_has(names[j], v1_needed[i], ",");
		if (!found) {
			char *m = xasprintf("%s%s%s", missing, *missing ? ", " : "", v1_needed[i]);
			free(missing);
			missing = m;
		}
	}
	int r = 0;
	if (*missing)
		r = vb_error_set(err, VB_SKIP, "cgroup v1 controller%s not mounted under %s: %s",
				 strchr(missing, ',') ? "s" : "", l->root, missing);
	for (size_t i = 0; i < n; i++) {
		l->hier[i].controller = names[i];
		l->nhier = i + 1;
	}
	for (size_t i = 0; !r && i < l->nhier; i++) {
		const char *ctrl = l->hier[i].controller;
		/* The first controller of the hierarchy that virtbench needs names its line. */
		const char *key = NULL;
		for (size_t k = 0; !key && k < VB_ARRAY_SIZE(v1_needed); k++)
			if (list_has(ctrl, v1_needed[k], ","))
				key = v1_needed[k];
		_cleanup_free_ char *own = NULL;
		_cleanup_free_ char *dir = xasprintf("%s/%s", l->root, ctrl);
		r = self_path(self, key, &own, err);
		if (!r)
			r = parent_in(dir, own, &l->hier[i].parent, err);
	}
	if (!r && l->unified) {
		/*
		 * Only for cgroup.kill, so optional: without a "0::" line (or
		 * its directory) kill goes through the v1 freezer.
		 */
		_cleanup_free_ char *own = NULL;
		if (self_path(self, NULL, &own, NULL) == 0)
			parent_in(l->unified, own, &l->unified_parent, NULL);
		if (!l->unified_parent) {
			free(l->unified);
			l->unified = NULL;
		}
	}
	return r;
}

static int layout_v2(struct vb_cgroup_layout *l, const char *self, struct vb_error **err)
{
	_cleanup_free_ char *own = NULL;
	int r = self_path(self, NULL, &own, err);
	if (r)
		return r;
	r = parent_in(l->root, own, &l->hier[0].parent, err);
	if (r)
		return r;
	l->hier[0].controller = xstrdup("unified");
	l->nhier = 1;
	_cleanup_free_ char *mine = dir_of(l->hier[0].parent);
	r = cg_read(mine, "cgroup.controllers", &l->v2_controllers, err);
	if (r)
		return r;
	_cleanup_free_ char *missing = xstrdup("");
	for (size_t i = 0; i < VB_ARRAY_SIZE(v2_needed); i++) {
		if (list_has(l->v2_controllers, v2_needed[i], " \n"))
			continue;
		char *m = xasprintf("%s%s%s", missing, *missing ? ", " : "", v2_needed[i]);
		free(missing);
		missing = m;
	}
	if (*missing)
		return vb_error_set(
		    err, VB_SKIP,
		    "cgroup v2 controller%s not available in %s/cgroup.controllers: %s "
		    "(virtbench needs them delegated to the cgroup it runs in)",
		    strchr(missing, ',') ? "s" : "", mine, missing);
	return 0;
}

static int layout_build(struct vb_cgroup_layout *l, const char *root, enum vb_cgroup_version v,
			bool test_tree, const char *self_cgroup, struct vb_error **err)
{
	memset(l, 0, sizeof(*l));
	l->version = v;
	l->test_tree = test_tree;
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	l->root = xstrndup(root, n);
	_cleanup_free_ char *self_buf = NULL;
	if (!self_cgroup) {
		int r = vb_read_file("/proc/self/cgroup", 1 << 16, &self_buf, NULL);
		if (r < 0)
			return vb_error_errno(err, -r, "cannot read /proc/self/cgroup");
		self_cgroup = self_buf;
	}
	int r = v == VB_CGROUP_V2 ? layout_v2(l, self_cgroup, err) : layout_v1(l, self_cgroup, err);
	if (r)
		vb_cgroup_layout_release(l);
	return r;
}

int vb_cgroup_layout_init(struct vb_cgroup_layout *l, const char *root, const char *self_cgroup,
			  struct vb_error **err)
{
	struct statfs fs;
	memset(l, 0, sizeof(*l));
	if (statfs(root, &fs) < 0)
		return vb_error_errno(err, errno, "cannot look at %s", root);
	if ((long)fs.f_type == CGROUP2_SUPER_MAGIC)
		return layout_build(l, root, VB_CGROUP_V2, false, self_cgroup, err);
	if ((long)fs.f_type == TMPFS_MAGIC)
		return layout_build(l, root, VB_CGROUP_V1, false, self_cgroup, err);
	return vb_error_set(err, VB_SKIP,
			    "%s is neither a cgroup2 mount nor a tmpfs of cgroup v1 hierarchies "
			    "(filesystem type 0x%lx)",
			    root, (unsigned long)fs.f_type);
}

const struct vb_cgroup_layout *vb_cgroup_host_layout(struct vb_error **err)
{
	/* Read once per process: probe, sweep and every guest share it. */
	static struct vb_cgroup_layout host;
	static int state; /* 0 unread, 1 ok, <0 the error it gave */
	static char *reason;
	if (state == 0) {
		struct vb_error *e = NULL;
		int r = vb_cgroup_layout_init(&host, "/sys/fs/cgroup", NULL, &e);
		state = r ? (r < 0 ? r : -VB_SKIP) : 1;
		if (r)
			reason = xstrdup(e->msg);
		vb_error_free(&e);
	}
	if (state == 1)
		return &host;
	vb_error_set(err, state == -VB_SKIP ? VB_SKIP : state, "%s", reason);
	return NULL;
}

int vb_cgroup_layout_init_test(struct vb_cgroup_layout *l, const char *root,
			       enum vb_cgroup_version version, const char *self_cgroup,
			       struct vb_error **err)
{
	if (version != VB_CGROUP_V1 && version != VB_CGROUP_V2)
		VB_BUG("bad cgroup version %d", (int)version);
	return layout_build(l, root, version, true, self_cgroup, err);
}

void vb_cgroup_layout_release(struct vb_cgroup_layout *l)
{
	if (!l)
		return;
	free(l->root);
	for (size_t i = 0; i < VB_CGROUP_MAX_HIER; i++) {
		free(l->hier[i].controller);
		free(l->hier[i].parent);
		l->hier[i].controller = l->hier[i].parent = NULL;
	}
	free(l->unified);
	free(l->unified_parent);
	free(l->v2_controllers);
	l->root = l->unified = l->unified_parent = l->v2_controllers = NULL;
	l->nhier = 0;
	l->write_log = NULL;
}
