/* SPDX-License-Identifier: MIT */
/*
 * cgroup v1 and v2 behind one interface. Control files are written with a
 * plain open(O_WRONLY) and one write of the exact value: cgroupfs files exist
 * already, and a temporary-name-and-rename write would fail there.
 */
#include <dirent.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "core/log.h"
#include "core/util.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup-devices.h"

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
#define DESTROY_TIMEOUT_MS 5000
#define RMDIR_RETRY_MS 1000

/* The v1 controllers virtbench needs, each in some hierarchy. */
static const char *const v1_needed[] = {
	"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids",
};
/* v2: must be available; and enabled below the supervisor when available. */
static const char *const v2_needed[] = { "cpu", "memory", "pids" };
static const char *const v2_wanted[] = { "cpu", "cpuset", "memory", "pids", "io" };

/* The minimal /dev of a container: null zero full random urandom tty ptmx pts. */
static const char *const v1_dev_allow[] = {
	"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
	"c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm",
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Is word one of the tokens of list (split at any of seps, a leading '+' ignored)? */
static bool list_has(const char *list, const char *word, const char *seps)
{
	size_t wlen = strlen(word);
	const char *p = list;
	while (p && *p) {
		size_t n = strcspn(p, seps);
		const char *tok = p;
		size_t tlen = n;
		if (tlen && *tok == '+') {
			tok++;
			tlen--;
		}
		if (tlen == wlen && !memcmp(tok, word, wlen))
			return true;
		p += n;
		p += strspn(p, seps);
	}
	return false;
}

static void trim_end(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

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

/* The directory a path is in (path has at least one '/' past its first byte). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return xstrndup(path, slash && slash != path ? (size_t)(slash - path) : 1);
}

static void log_line(const struct vb_cgroup_layout *l, const char *path, const char *value)
{
	if (!l->write_log)
		return;
	size_t rlen = strlen(l->root);
	if (!strncmp(path, l->root, rlen) && path[rlen] == '/')
		path += rlen + 1;
	fprintf(l->write_log, "%s %s\n", path, value);
}

/*
 * Write value to path as cgroupfs wants it: no O_CREAT, no O_TRUNC, and the
 * value in one write(), since the kernel parses each write as a whole.
 */
static int write_raw(const struct vb_cgroup_layout *l, const char *path, const char *value)
{
	int flags = O_WRONLY | O_CLOEXEC;
	if (l->test_tree)
		flags |= O_CREAT | O_TRUNC;
	_cleanup_close_ int fd = open(path, flags, 0644);
	if (fd < 0)
		return -errno;
	size_t len = strlen(value);
	ssize_t n;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	log_line(l, path, value);
	return 0;
}

static int cg_write(const struct vb_cgroup_layout *l, const char *dir, const char *file,
		    const char *value, struct vb_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	int r = write_raw(l, path, value);
	if (r < 0)
		return vb_error_errno(err, -r, "cannot write %s to %s", value, path);
	return 0;
}

static int cg_write_u64(const struct vb_cgroup_layout *l, const char *dir, const char *file,
			uint64_t v, struct vb_error **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return cg_write(l, dir, file, buf, err);
}

/* Read a control file, trailing whitespace removed. */
static int cg_read(const char *dir, const char *file, char **out, struct vb_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	int r = vb_read_file(path, 1 << 20, out, NULL);
	if (r < 0)
		return vb_error_errno(err, -r, "cannot read %s", path);
	trim_end(*out);
	return 0;
}

static bool cg_has(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Test trees: give a new directory the control files its parent has (as empty files). */
static int populate_like_parent(const char *path)
{
	_cleanup_free_ char *parent = dir_of(path);
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = opendir(parent);
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		int fd = openat(dfd, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = -errno;
			break;
		}
		close(fd);
	}
	closedir(d);
	return r;
}

/* mkdir; an existing directory is fine too, and *created tells which it was. */
static int cg_mkdir(const struct vb_cgroup_layout *l, const char *path, bool *created,
		    struct vb_error **err)
{
	*created = false;
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST && is_dir(path))
			return 0;
		return vb_error_errno(err, errno, "cannot create cgroup %s", path);
	}
	*created = true;
	if (l->test_tree) {
		int r = populate_like_parent(path);
		if (r < 0)
			return vb_error_errno(err, -r, "cannot fill test cgroup %s", path);
	}
	return 0;
}

/* rmdir, retrying while the kernel still reports the cgroup busy; missing is fine. */
static int cg_rmdir(const struct vb_cgroup_layout *l, const char *path, struct vb_error **err)
{
	if (l->test_tree) {
		DIR *d = opendir(path);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d))) {
				struct stat st;
				if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISREG(st.st_mode))
					unlinkat(dirfd(d), de->d_name, 0);
			}
			closedir(d);
		}
	}
	uint64_t deadline = now_ms() + RMDIR_RETRY_MS;
	for (;;) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() >= deadline)
			return vb_error_errno(err, errno, "cannot remove cgroup %s", path);
		sleep_ms(10);
	}
}

/* The pids in dir/cgroup.procs; a cgroup that is gone has none. */
static int cg_pids(const char *dir, pid_t **pids, size_t *n, struct vb_error **err);

int vb_cgroup_pids(const struct vb_cgroup *cg, pid_t **pids, size_t *n, struct vb_error **err)
{
	*pids = NULL;
	*n = 0;
	return cg->npaths ? cg_pids(cg->paths[0], pids, n, err) : 0;
}

static int cg_pids(const char *dir, pid_t **pids, size_t *n, struct vb_error **err)
{
	*pids = NULL;
	*n = 0;
	_cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir);
	_cleanup_free_ char *text = NULL;
	int r = vb_read_file(path, 4 << 20, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return vb_error_errno(err, -r, "cannot read %s", path);
	size_t cap = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line)
			continue;
		uint64_t v;
		if (vb_parse_u64(line, &v) < 0 || v == 0 || v > INT_MAX) {
			free(*pids);
			*pids = NULL;
			*n = 0;
			return vb_error_set(err, -EINVAL, "bad pid '%s' in %s", line, path);
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*pids = xrealloc(*pids, cap * sizeof(**pids));
		}
		(*pids)[(*n)++] = (pid_t)v;
	}
	return 0;
}

/* ---- layout ---- */

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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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

/* ---- kill ---- */

static size_t cg_ndirs(const struct vb_cgroup *cg)
{
	return cg->npaths + (cg->unified_path ? 1 : 0);
}

static const char *cg_dir(const struct vb_cgroup *cg, size_t i)
{
	return i < cg->npaths ? cg->paths[i] : cg->unified_path;
}

/* The guest's directory in the hierarchy holding ctrl (v1), or NULL. */
static const char *cg_path_of(const struct vb_cgroup *cg, const char *ctrl)
{
	const struct vb_cgroup_layout *l = cg->layout;
	for (size_t i = 0; i < l->nhier; i++) {
		if (!list_has(l->hier[i].controller, ctrl, ","))
			continue;
		size_t plen = strlen(l->hier[i].parent);
		for (size_t k = 0; k < cg->npaths; k++) {
			const char *p = cg->paths[k];
			if (!strncmp(p, l->hier[i].parent, plen) && p[plen] == '/' &&
			    !strcmp(p + plen + 1, cg->name))
				return p;
		}
	}
	return NULL;
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
		if (cg->layout->test_tree || now_ms() >= deadline)
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
				log_line(cg->layout, "kill", buf);
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
	uint64_t until = now_ms() + 1000;
	if (until > deadline)
		until = deadline;
	for (;;) {
		_cleanup_free_ char *s = NULL;
		if (cg_read(dir, v2 ? "cgroup.events" : "freezer.state", &s, NULL) < 0)
			return false;
		if (v2 ? list_has(s, "frozen 1", "\n") : !strcmp(s, "FROZEN"))
			return true;
		if (now_ms() >= until)
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
		uint64_t step = now_ms() + 100;
		const char *busy = NULL;
		r = wait_empty(cg, step < deadline ? step : deadline, &busy, err);
		if (r)
			return r < 0 ? r : 0;
		if (l->test_tree)
			return 0;
		if (now_ms() >= deadline)
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
	if (wait_frozen(cg, dir, now_ms() + 1000))
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
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
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
	return write_raw(l, path, "1");
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

/* Copy cpuset.cpus/mems from one cgroup into another where still empty (v1). */
static int cpuset_fill(const struct vb_cgroup_layout *l, const char *from, const char *to,
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

static int apply_v1(struct vb_cgroup *cg, const char *ctrl, const char *parent, const char *dir,
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
			r = cpuset_fill(l, parent, dir, err);
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
static int attach_devices(struct vb_cgroup *cg, const char *dir, struct vb_error **err)
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
			r = cpuset_fill(l, mine, parent, err);
		}
		if (!r)
			r = mkdir_guest(cg, parent, &cg->paths[cg->npaths], err);
		if (r)
			return r;
		cg->npaths++;
		r = apply_v1(cg, ctrl, parent, cg->paths[cg->npaths - 1], lim, err);
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
		if (attach_devices(cg, cg->unified_path, &e) < 0)
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
	r = write_raw(l, path, add);
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
	_cleanup_free_ char *mine = dir_of(parent);
	bool created;
	int r = enable_v2(l, mine, true, err);
	if (!r)
		r = cg_mkdir(l, parent, &created, err);
	if (!r)
		r = enable_v2(l, parent, false, err);
	if (!r)
		r = mkdir_guest(cg, parent, &cg->paths[0], err);
	if (r)
		return r;
	cg->npaths = 1;
	const char *dir = cg->paths[0];
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
		r = attach_devices(cg, dir, err);
	return r;
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

/* ---- entitlement updates ---- */

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
