/* SPDX-License-Identifier: MIT */
/*
 * A tree copy for overlay upper layers (a clone's writable layer).
 * Hand-written: `cp -a` is a process per copy, and neither it nor nftw(3)
 * walks by descriptor. A walk by path name (nftw) follows a directory that a
 * running guest swaps for a symlink between the stat and the open, out of the
 * tree and into the host (the CVE-2021-30465 kind); here every entry is
 * opened or changed relative to its parent's descriptor with O_NOFOLLOW /
 * AT_SYMLINK_NOFOLLOW, and the walk needs no global state.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "core/util.h"
#include "guest/copy.h"

#define MAX_DEPTH 256	    /* two descriptors per level are open at once */
#define XATTR_BUF (1 << 16) /* the kernel's limit for a name list and for a value */

/* A regular file with more than one link: where its first name was copied to. */
struct link {
	dev_t dev;
	ino_t ino;
	char *rel;
};

struct copy {
	dev_t dev;    /* the source's filesystem, never left */
	int dst_root; /* links are made relative to it */
	struct link *links;
	size_t nlinks, cap;
	char *names, *value; /* XATTR_BUF each */
	char *failed;	     /* relative path of the entry that failed */
	const char *step;
};

/*
 * Where an entry's extended attributes are read or written: through its own
 * descriptor, or (symlinks, device nodes: they cannot be opened) as name in
 * the directory behind /proc/self/fd/N, with the l*xattr calls that do not
 * follow the last component.
 */
struct xref {
	int fd;
	char path[40 + NAME_MAX];
};

static struct xref xref_fd(int fd)
{
	return (struct xref){ .fd = fd };
}

static struct xref xref_at(int dirfd, const char *name)
{
	struct xref x = { .fd = -1 };
	snprintf(x.path, sizeof(x.path), "/proc/self/fd/%d/%s", dirfd, name);
	return x;
}

static int fail(struct copy *cp, const char *rel, const char *step, int r)
{
	if (!cp->failed) {
		cp->failed = xstrdup(*rel ? rel : ".");
		cp->step = step;
	}
	return r;
}

static int copy_xattrs(struct copy *cp, const struct xref *from, const struct xref *to)
{
	ssize_t n = from->fd >= 0 ? flistxattr(from->fd, cp->names, XATTR_BUF)
				  : llistxattr(from->path, cp->names, XATTR_BUF);
	if (n < 0)
		return (errno == ENOTSUP) ? 0 : -errno;
	for (char *name = cp->names; name < cp->names + n; name += strlen(name) + 1) {
		ssize_t v = from->fd >= 0 ? fgetxattr(from->fd, name, cp->value, XATTR_BUF)
					  : lgetxattr(from->path, name, cp->value, XATTR_BUF);
		if (v < 0 && errno == ENODATA)
			continue; /* removed since the list was read */
		if (v < 0)
			return -errno;
		int r = to->fd >= 0 ? fsetxattr(to->fd, name, cp->value, (size_t)v, 0)
				    : lsetxattr(to->path, name, cp->value, (size_t)v, 0);
		if (r < 0)
			return -errno;
	}
	return 0;
}

/*
 * Owner, then mode (chown clears set-id bits), then xattrs (chown also drops
 * security.capability), then times, last because nothing after changes them.
 * fd >= 0: the entry's own descriptor; else name in dirfd (symlink or node).
 */
static int set_meta(struct copy *cp, int fd, int dirfd, const char *name, const struct stat *st,
		    const struct xref *from, const char *rel)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	if (fd >= 0) {
		if (fchown(fd, st->st_uid, st->st_gid) < 0)
			return fail(cp, rel, "setting the owner", -errno);
		if (fchmod(fd, st->st_mode & 07777) < 0)
			return fail(cp, rel, "setting the mode", -errno);
	} else {
		if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return fail(cp, rel, "setting the owner", -errno);
		/* A symlink has no mode of its own; a node was just made here by us. */
		if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
			return fail(cp, rel, "setting the mode", -errno);
	}
	struct xref to = fd >= 0 ? xref_fd(fd) : xref_at(dirfd, name);
	int r = copy_xattrs(cp, from, &to);
	if (r)
		return fail(cp, rel, "copying extended attributes", r);
	r = fd >= 0 ? futimens(fd, times) : utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return fail(cp, rel, "setting the times", -errno);
	return 0;
}

/* len bytes at off, from in to the same offset of out. */
static int copy_range(int in, int out, off_t off, off_t len)
{
	bool plain = false;
	char buf[65536];
	while (len > 0) {
		size_t want = len > (1 << 30) ? (size_t)1 << 30 : (size_t)len;
		ssize_t n;
		if (!plain) {
			/* copy_file_range shares extents where the filesystem can. */
			loff_t io = off, oo = off;
			n = copy_file_range(in, &io, out, &oo, want, 0);
			if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
				      errno == EINVAL)) {
				plain = true; /* not here: reads and writes from where it stopped */
				continue;
			}
		} else {
			n = pread(in, buf, want < sizeof(buf) ? want : sizeof(buf), off);
			for (ssize_t w = 0; n > 0 && w < n;) {
				ssize_t k = pwrite(out, buf + w, (size_t)(n - w), off + w);
				if (k < 0 && errno == EINTR)
					continue;
				if (k <= 0)
					return k < 0 ? -errno : -ENOSPC;
				w += k;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* the source shrank */
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * The file's data extents only, holes left holes (found in review: a guest's
 * sparse 1000 MB files came out of a clone as 5 GB written, past its disk
 * bound), then its size.
 */
static int copy_data(int in, int out)
{
	struct stat st;
	if (fstat(in, &st) < 0)
		return -errno;
	for (off_t off = 0;;) {
		off_t data = lseek(in, off, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0 && errno == EINVAL) {
			data = off; /* no SEEK_DATA here: the rest as data */
			hole = st.st_size;
		} else if (data < 0 || (hole = lseek(in, data, SEEK_HOLE)) < 0) {
			return -errno;
		}
		if (hole <= data)
			break;
		int r = copy_range(in, out, data, hole - data);
		if (r)
			return r;
		off = hole;
	}
	return ftruncate(out, st.st_size) < 0 ? -errno : 0;
}

static const struct link *link_find(const struct copy *cp, const struct stat *st)
{
	for (size_t i = 0; i < cp->nlinks; i++)
		if (cp->links[i].dev == st->st_dev && cp->links[i].ino == st->st_ino)
			return &cp->links[i];
	return NULL;
}

static void link_add(struct copy *cp, const struct stat *st, const char *rel)
{
	if (cp->nlinks == cp->cap) {
		cp->cap = cp->cap ? 2 * cp->cap : 16;
		cp->links = xrealloc(cp->links, cp->cap * sizeof(*cp->links));
	}
	cp->links[cp->nlinks++] = (struct link){ st->st_dev, st->st_ino, xstrdup(rel) };
}

static int copy_reg(struct copy *cp, int sdir, int ddir, const char *name, const char *rel,
		    const struct stat *lst)
{
	/* O_NONBLOCK: should it have become a fifo meanwhile, the open must not hang. */
	_cleanup_close_ int in =
	    openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0)
		return fail(cp, rel, "opening", -errno);
	struct stat st;
	if (fstat(in, &st) < 0)
		return fail(cp, rel, "stat", -errno);
	if (!S_ISREG(st.st_mode) || st.st_ino != lst->st_ino || st.st_dev != lst->st_dev)
		return fail(cp, rel, "opening (replaced while copying)", -ESTALE);
	if (st.st_nlink > 1) {
		const struct link *l = link_find(cp, &st);
		if (l) {
			if (linkat(cp->dst_root, l->rel, ddir, name, 0) < 0)
				return fail(cp, rel, "linking", -errno);
			return 0;
		}
	}
	_cleanup_close_ int out =
	    openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return fail(cp, rel, "creating", -errno);
	int r = copy_data(in, out);
	if (r)
		return fail(cp, rel, "copying data", r);
	struct xref from = xref_fd(in);
	r = set_meta(cp, out, -1, NULL, &st, &from, rel);
	if (!r && st.st_nlink > 1)
		link_add(cp, &st, rel);
	return r;
}

static int copy_symlink(struct copy *cp, int sdir, int ddir, const char *name, const char *rel,
			const struct stat *st)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(sdir, name, target, sizeof(target));
	if (n < 0)
		return fail(cp, rel, "reading the link", -errno);
	if ((size_t)n == sizeof(target))
		return fail(cp, rel, "reading the link", -ENAMETOOLONG);
	target[n] = '\0';
	if (symlinkat(target, ddir, name) < 0)
		return fail(cp, rel, "creating the link", -errno);
	struct xref from = xref_at(sdir, name);
	return set_meta(cp, -1, ddir, name, st, &from, rel);
}

/* Device nodes (whiteouts are char 0:0), fifos, sockets. */
static int copy_node(struct copy *cp, int sdir, int ddir, const char *name, const char *rel,
		     const struct stat *st)
{
	if (mknodat(ddir, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
		return fail(cp, rel, "creating the node", -errno);
	struct xref from = xref_at(sdir, name);
	return set_meta(cp, -1, ddir, name, st, &from, rel);
}

static int copy_dir(struct copy *cp, int sdir, int ddir, const char *name, const char *rel,
		    const struct stat *st, unsigned depth);

/* The entries of the directory sfd (consumed) into dfd. */
static int copy_entries(struct copy *cp, int sfd, int dfd, const char *rel, unsigned depth)
{
	DIR *d = fdopendir(sfd);
	if (!d) {
		int e = errno;
		close(sfd);
		return fail(cp, rel, "reading the directory", -e);
	}
	int r = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				r = fail(cp, rel, "reading the directory", -errno);
			break;
		}
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		_cleanup_free_ char *crel = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		struct stat st;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = fail(cp, crel, "stat", -errno);
			break;
		}
		if (st.st_dev != cp->dev)
			continue; /* a mount point: another filesystem is not ours to copy */
		switch (st.st_mode & S_IFMT) {
		case S_IFDIR:
			r = copy_dir(cp, dirfd(d), dfd, name, crel, &st, depth + 1);
			break;
		case S_IFREG:
			r = copy_reg(cp, dirfd(d), dfd, name, crel, &st);
			break;
		case S_IFLNK:
			r = copy_symlink(cp, dirfd(d), dfd, name, crel, &st);
			break;
		default:
			r = copy_node(cp, dirfd(d), dfd, name, crel, &st);
			break;
		}
		if (r)
			break;
	}
	closedir(d);
	return r;
}

/*
 * Made 0700 (writable to us even if its mode is not), filled, and only then
 * given its owner, mode, xattrs and times: making the entries changed its
 * times, and a read-only mode would have kept a non-root copy out.
 */
static int copy_dir(struct copy *cp, int sdir, int ddir, const char *name, const char *rel,
		    const struct stat *lst, unsigned depth)
{
	if (depth > MAX_DEPTH)
		return fail(cp, rel, "descending (too deep)", -ELOOP);
	int sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return fail(cp, rel, "opening",
			    errno == ENOTDIR || errno == ELOOP ? -ESTALE : -errno);
	struct stat st;
	if (fstat(sfd, &st) < 0 || st.st_ino != lst->st_ino || st.st_dev != lst->st_dev) {
		close(sfd);
		return fail(cp, rel, "opening (replaced while copying)", -ESTALE);
	}
	if (mkdirat(ddir, name, 0700) < 0) {
		int e = errno;
		close(sfd);
		return fail(cp, rel, "creating the directory", -e);
	}
	_cleanup_close_ int dfd =
	    openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		close(sfd);
		return fail(cp, rel, "opening the new directory", -e);
	}
	/* Its own descriptor for the xattrs: copy_entries consumes sfd. */
	_cleanup_close_ int sx = fcntl(sfd, F_DUPFD_CLOEXEC, 0);
	if (sx < 0) {
		int e = errno;
		close(sfd);
		return fail(cp, rel, "opening", -e);
	}
	int r = copy_entries(cp, sfd, dfd, rel, depth);
	if (r)
		return r;
	struct xref from = xref_fd(sx);
	return set_meta(cp, dfd, -1, NULL, &st, &from, rel);
}

/*
 * After a failure: give every directory of the partial copy 0700 again, so
 * that a caller without CAP_DAC_OVERRIDE can remove what a read-only mode
 * now protects. The tree is ours and new, but still walked by descriptor.
 */
static void unlock_dirs(int dfd, unsigned depth)
{
	if (depth > MAX_DEPTH)
		return;
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN ||
		     fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		     !S_ISDIR(st.st_mode)))
			continue;
		fchmodat(dirfd(d), de->d_name, 0700, 0);
		_cleanup_close_ int sub =
		    openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			unlock_dirs(sub, depth + 1);
	}
	closedir(d);
}

int vb_copy_tree(const char *src, const char *dst, struct vb_error **err)
{
	_cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return vb_error_errno(err, ENOTDIR, "copy: %s is not a directory", src);
	if (sfd < 0)
		return vb_error_errno(err, errno, "copy: opening %s", src);
	struct stat st;
	if (fstat(sfd, &st) < 0)
		return vb_error_errno(err, errno, "copy: %s", src);
	/* mkdir, not a check first: only a directory made here may be removed below. */
	if (mkdir(dst, 0700) < 0)
		return vb_error_errno(err, errno, "copy: creating %s", dst);
	int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = dfd < 0 ? -errno : 0;
	struct copy cp = {
		.dev = st.st_dev,
		.dst_root = dfd,
		.names = xmalloc(XATTR_BUF),
		.value = xmalloc(XATTR_BUF),
	};
	if (r) {
		fail(&cp, "", "opening the copy", r);
	} else {
		int sdup = fcntl(sfd, F_DUPFD_CLOEXEC, 0);
		r = sdup < 0 ? fail(&cp, "", "opening", -errno)
			     : copy_entries(&cp, sdup, cp.dst_root, "", 1);
		struct xref from = xref_fd(sfd);
		if (!r)
			r = set_meta(&cp, cp.dst_root, -1, NULL, &st, &from, "");
	}
	if (r) {
		vb_error_errno(err, -r, "copy %s to %s: %s/%s: %s", src, dst, src,
			       cp.failed ? cp.failed : ".", cp.step ? cp.step : "copying");
		if (cp.dst_root >= 0) {
			fchmod(cp.dst_root, 0700);
			unlock_dirs(cp.dst_root, 1);
		}
		vb_rm_rf(dst);
	}
	if (cp.dst_root >= 0)
		close(cp.dst_root);
	for (size_t i = 0; i < cp.nlinks; i++)
		free(cp.links[i].rel);
	free(cp.links);
	free(cp.names);
	free(cp.value);
	free(cp.failed);
	return r;
}
