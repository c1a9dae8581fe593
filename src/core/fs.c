/* SPDX-License-Identifier: MIT */
/*
 * File system helpers for a process that runs as root next to local users
 * who may not be trusted: trees removed by descriptor, files replaced through
 * a temporary name nobody can predict, directories refused when another user
 * could swap them, inputs refused unless they are regular files.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/text.h"
#include "core/util.h"

#define RM_MAX_DEPTH 128 /* two descriptors per level are open at once */

/* ---- removal by descriptor ---- */

/* Is the directory open as fd the root of a mount (also a bind mount of the same filesystem)? */
static bool is_mount_root(int fd)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

struct rm {
	dev_t dev;  /* the tree's filesystem */
	int root;   /* the tree's top directory, once open */
	bool moved; /* a subtree too deep was moved up into root in this pass */
};

/*
 * A directory at RM_MAX_DEPTH goes up into the tree's own top directory under
 * a name nobody chose (".vb-rm-<16 hex>"), to be removed from there in a
 * later pass: a tree of any depth goes with a bounded number of descriptors
 * (a guest can nest directories thousands deep), and nothing of it leaves
 * the tree.
 */
static int move_up(struct rm *rm, int parent, const char *name)
{
	for (int tries = 0; tries < 16; tries++) {
		uint64_t rnd = 0;
		char to[32];
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		snprintf(to, sizeof(to), ".vb-rm-%016" PRIx64, rnd);
		if (renameat2(parent, name, rm->root, to, RENAME_NOREPLACE) == 0) {
			rm->moved = true;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int rm_at(struct rm *rm, int parent, const char *name, unsigned depth)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (depth >= RM_MAX_DEPTH)
		return move_up(rm, parent, name);
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
		/* Swapped for a symlink or a file since the stat: remove that, follow nothing. */
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat fst;
	if (fstat(fd, &fst) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (depth == 0) {
		rm->dev = fst.st_dev;
		rm->root = fd;
	}
	/* Another filesystem, or a mount of this one: not ours to empty. */
	if (fst.st_dev != rm->dev || (depth && is_mount_root(fd))) {
		close(fd);
		return -EBUSY;
	}
	int r;
	/* The top directory again while subtrees were moved up into it. */
	do {
		if (depth == 0)
			rm->moved = false;
		r = 0;
		/* A description of its own: a dup would share the offset of the last pass. */
		int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
		if (!d) {
			r = -errno;
			if (dfd >= 0)
				close(dfd);
			break;
		}
		struct dirent *de;
		for (;;) {
			errno = 0;
			de = readdir(d);
			if (!de) {
				if (errno && !r)
					r = -errno;
				break;
			}
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			int k = rm_at(rm, dirfd(d), de->d_name, depth + 1);
			if (k && !r)
				r = k;
		}
		closedir(d);
	} while (!r && depth == 0 && rm->moved);
	close(fd);
	if (r)
		return r;
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int vb_rm_rf_at(int dirfd, const char *name)
{
	struct rm rm = { .root = -1 };
	return rm_at(&rm, dirfd, name, 0);
}

int vb_rm_rf(const char *path)
{
	_cleanup_free_ char *dircopy = xstrdup(path);
	_cleanup_free_ char *basecopy = xstrdup(path);
	const char *base = basename(basecopy);
	if (!*path || !strcmp(base, ".") || !strcmp(base, "..") || !strcmp(base, "/"))
		return -EINVAL;
	/* Not through a parent that is itself a symlink (a guest may own it). */
	_cleanup_close_ int dfd =
	    open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	return vb_rm_rf_at(dfd, base);
}

/* ---- files replaced through a temporary name ---- */

/*
 * Create a new file in dfd under a random name derived from base
 * (".base.<16 hex>.tmp"): O_EXCL | O_NOFOLLOW, so a name planted in advance
 * (a symlink to a file of root's) fails the create instead of redirecting it.
 */
static int create_tmp(int dfd, const char *base, char *name, size_t len, mode_t mode)
{
	for (int tries = 0; tries < 64; tries++) {
		uint64_t rnd = 0;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		snprintf(name, len, ".%.200s.%016" PRIx64 ".tmp", base, rnd);
		int fd =
		    openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int write_replace(const char *path, const void *data, size_t len, bool durable)
{
	_cleanup_free_ char *dircopy = xstrdup(path);
	_cleanup_free_ char *basecopy = xstrdup(path);
	const char *base = basename(basecopy);
	_cleanup_close_ int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	char tmp[NAME_MAX + 1];
	int r;
	{
		_cleanup_close_ int fd = create_tmp(dfd, base, tmp, sizeof(tmp), 0644);
		if (fd < 0)
			return fd;
		r = vb_write_all(fd, data, len);
		if (!r && durable && fsync(fd) < 0)
			r = -errno;
	}
	/* rename replaces whatever is at path, a planted symlink too, without following it. */
	if (!r && renameat(dfd, tmp, dfd, base) < 0)
		r = -errno;
	if (r) {
		unlinkat(dfd, tmp, 0);
		return r;
	}
	if (durable && fsync(dfd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int vb_write_file_atomic(const char *path, const void *data, size_t len)
{
	return write_replace(path, data, len, true);
}

int vb_write_file_replace(const char *path, const void *data, size_t len)
{
	return write_replace(path, data, len, false);
}

int vb_check_output(const char *what, const char *path, struct vb_error **err)
{
	_cleanup_free_ char *p = vb_printable(path);
	_cleanup_free_ char *dircopy = xstrdup(path);
	_cleanup_free_ char *basecopy = xstrdup(path);
	const char *dir = dirname(dircopy), *base = basename(basecopy);
	_cleanup_free_ char *pd = vb_printable(dir);
	if (!*path)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "%s: an empty file name", what);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return vb_error_exit(err, -ENOENT, VB_EXIT_USAGE,
				     "%s: cannot write %s: directory %s does not exist", what, p,
				     pd);
	if (dfd < 0 && errno == ENOTDIR)
		return vb_error_exit(err, -ENOTDIR, VB_EXIT_USAGE,
				     "%s: cannot write %s: %s is not a directory", what, p, pd);
	if (dfd < 0)
		return vb_error_exit(err, -errno, VB_EXIT_USAGE,
				     "%s: cannot write %s: directory %s: %s", what, p, pd,
				     strerror(errno));
	struct stat st;
	if (path[strlen(path) - 1] == '/' || !strcmp(base, ".") || !strcmp(base, "..") ||
	    (fstatat(dfd, base, &st, 0) == 0 && S_ISDIR(st.st_mode)))
		return vb_error_exit(err, -EISDIR, VB_EXIT_USAGE,
				     "%s: cannot write %s: a directory", what, p);
	/* access() would not see a read-only mount, a full quota or an ACL: try for real. */
	char tmp[NAME_MAX + 1];
	int fd = create_tmp(dfd, base, tmp, sizeof(tmp), 0600);
	if (fd < 0)
		return vb_error_exit(err, fd, VB_EXIT_USAGE,
				     "%s: cannot write %s: cannot create a file in %s: %s", what, p,
				     pd, strerror(-fd));
	close(fd);
	unlinkat(dfd, tmp, 0);
	return 0;
}

/* ---- inputs ---- */

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "a fifo";
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

int vb_open_regular(const char *what, const char *path, struct vb_error **err)
{
	_cleanup_free_ char *p = vb_printable(path);
	/* O_NONBLOCK: opening a fifo with no writer returns at once instead of waiting. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return vb_error_exit(err, -errno, VB_EXIT_USAGE, "cannot read %s %s: %s", what, p,
				     strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		return vb_error_exit(err, -errno, VB_EXIT_USAGE, "%s %s: %s", what, p,
				     strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vb_error_exit(err, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, VB_EXIT_USAGE,
				     "%s %s: not a regular file (%s)", what, p,
				     file_kind(st.st_mode));
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return vb_error_exit(err, -errno, VB_EXIT_USAGE, "%s %s: %s", what, p,
				     strerror(errno));
	return steal_fd(&fd);
}

/* ---- directories only we can change ---- */

static int refuse(struct vb_error **err, const char *what, const char *path, const char *prefix,
		  const char *why)
{
	_cleanup_free_ char *p = vb_printable(path);
	_cleanup_free_ char *q = vb_printable(prefix);
	if (!strcmp(path, prefix))
		return vb_error_exit(err, -EPERM, VB_EXIT_USAGE, "%s %s: refused: %s", what, p,
				     why);
	return vb_error_exit(err, -EPERM, VB_EXIT_USAGE, "%s %s: refused: %s %s", what, p, q, why);
}

/* An ancestor: another user must not be able to rename or replace what is in it. */
static bool ancestor_ok(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) &&
	       (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX));
}

int vb_dir_open_trusted(const char *what, const char *path, bool create, mode_t mode,
			struct vb_error **err)
{
	_cleanup_free_ char *p = vb_printable(path);
	if (path[0] != '/')
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "%s %s: refused: not an absolute path", what, p);
	_cleanup_close_ int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vb_error_errno(err, errno, "%s: opening /", what);
	_cleanup_free_ char *copy = xstrdup(path);
	_cleanup_free_ char *prefix = xstrdup("/");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return vb_error_errno(err, errno, "%s: /", what);
	char *save = NULL;
	char *name = strtok_r(copy, "/", &save);
	if (!name)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "%s %s: refused: it is /", what,
				     p);
	while (name) {
		char *next = strtok_r(NULL, "/", &save);
		bool last = !next;
		if (!ancestor_ok(&st))
			return refuse(err, what, path, prefix,
				      "can be changed by another user (owner or mode)");
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					     "%s %s: refused: '.' or '..' in the path", what, p);
		char *np = xasprintf("%s%s%s", prefix, strcmp(prefix, "/") ? "/" : "", name);
		free(prefix);
		prefix = np;
		struct stat lst;
		if (fstatat(fd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return vb_error_exit(err, -errno, VB_EXIT_USAGE, "%s %s: %s: %s",
						     what, p, prefix, strerror(errno));
			if (!create)
				return vb_error_exit(err, -ENOENT, VB_EXIT_USAGE,
						     "%s %s: does not exist", what, p);
			/* EEXIST: made meanwhile by someone; the checks below judge it. */
			if (mkdirat(fd, name, last ? mode : 0755) < 0 && errno != EEXIST)
				return vb_error_exit(err, -errno, VB_EXIT_USAGE,
						     "%s %s: cannot create %s: %s", what, p, prefix,
						     strerror(errno));
			if (fstatat(fd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
				return vb_error_exit(err, -errno, VB_EXIT_USAGE, "%s %s: %s: %s",
						     what, p, prefix, strerror(errno));
		}
		int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
		if (S_ISLNK(lst.st_mode)) {
			if (last)
				return refuse(err, what, path, prefix, "is a symlink");
			/* In a directory only trusted users change: followed if one of them made
			 * it. */
			if (lst.st_uid != 0 && lst.st_uid != geteuid())
				return refuse(err, what, path, prefix,
					      "is a symlink of another user");
		} else {
			flags |= O_NOFOLLOW;
		}
		int nfd = openat(fd, name, flags);
		if (nfd < 0 && (errno == ELOOP || errno == ENOTDIR))
			return refuse(err, what, path, prefix,
				      "is not a directory (or was swapped meanwhile)");
		if (nfd < 0)
			return vb_error_exit(err, -errno, VB_EXIT_USAGE, "%s %s: %s: %s", what, p,
					     prefix, strerror(errno));
		close(fd);
		fd = nfd;
		if (fstat(fd, &st) < 0)
			return vb_error_errno(err, errno, "%s %s", what, p);
		name = next;
	}
	if (st.st_uid != geteuid())
		return vb_error_exit(err, -EPERM, VB_EXIT_USAGE,
				     "%s %s: refused: owned by uid %u, not by this user (uid %u)",
				     what, p, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return vb_error_exit(
		    err, -EPERM, VB_EXIT_USAGE,
		    "%s %s: refused: mode %04o lets others write in it (want %04o)", what, p,
		    (unsigned)(st.st_mode & 07777), (unsigned)mode);
	return steal_fd(&fd);
}
