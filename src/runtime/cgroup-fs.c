/* SPDX-License-Identifier: MIT */
/*
 * Control files and directories of cgroups, v1 and v2 alike, and what test
 * trees (vb_cgroup_layout_init_test) change there. Control files are written
 * with a plain open(O_WRONLY) and one write of the exact value: cgroupfs files
 * exist already, and a temporary-name-and-rename write would fail there.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>

#include "runtime/cgroup-internal.h"

#define RMDIR_RETRY_MS 1000

static void trim_end(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

void cg_log_line(const struct vb_cgroup_layout *l, const char *path, const char *value)
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
int cg_write_raw(const struct vb_cgroup_layout *l, const char *path, const char *value)
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
	cg_log_line(l, path, value);
	return 0;
}

int cg_write(const struct vb_cgroup_layout *l, const char *dir, const char *file, const char *value,
	     struct vb_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	int r = cg_write_raw(l, path, value);
	if (r < 0)
		return vb_error_errno(err, -r, "cannot write %s to %s", value, path);
	return 0;
}

int cg_write_u64(const struct vb_cgroup_layout *l, const char *dir, const char *file, uint64_t v,
		 struct vb_error **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return cg_write(l, dir, file, buf, err);
}

/* Read a control file, trailing whitespace removed. */
int cg_read(const char *dir, const char *file, char **out, struct vb_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	int r = vb_read_file(path, 1 << 20, out, NULL);
	if (r < 0)
		return vb_error_errno(err, -r, "cannot read %s", path);
	trim_end(*out);
	return 0;
}

bool cg_has(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	return access(path, F_OK) == 0;
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
int cg_mkdir(const struct vb_cgroup_layout *l, const char *path, bool *created,
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
int cg_rmdir(const struct vb_cgroup_layout *l, const char *path, struct vb_error **err)
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
	uint64_t deadline = (uint64_t)vb_monotonic_ms() + RMDIR_RETRY_MS;
	for (;;) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || (uint64_t)vb_monotonic_ms() >= deadline)
			return vb_error_errno(err, errno, "cannot remove cgroup %s", path);
		sleep_ms(10);
	}
}

int cg_pids(const char *dir, pid_t **pids, size_t *n, struct vb_error **err)
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

/* The guest's directory in the hierarchy holding ctrl (v1), or NULL. */
const char *cg_path_of(const struct vb_cgroup *cg, const char *ctrl)
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
