/* SPDX-License-Identifier: MIT */
/*
 * The disk form of a built image tree, for the VM platforms: one ext4 file
 * made by `mke2fs -d TREE`, cached next to the tree it was made from. Guests
 * never write it: each boots a qcow2 overlay of its own on it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/run.h"
#include "core/util.h"
#include "guest/image-build.h"
#include "guest/image-disk.h"

/*
 * The recipe: a change to the mke2fs line or the size rule is a new name, so
 * a disk made by an older virtbench is never taken for this one's.
 */
#define DISK_RECIPE "ext4-1"
#define DISK_BUILD_PREFIX ".build-disk-"

char *vb_image_disk_path(const char *tree)
{
	const char *base = strrchr(tree, '/');
	base = base ? base + 1 : tree;
	return xasprintf("%s/images/%s." DISK_RECIPE ".img", vb_cache_dir(), base);
}

static uint64_t tree_bytes, tree_inodes;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)flag;
	(void)f;
	tree_bytes += (uint64_t)st->st_blocks * 512;
	tree_inodes++;
	return 0;
}

/*
 * Room for the tree and what a guest writes to its root (logs, a package's
 * data) on top: the tree's blocks plus a quarter plus 256 MiB. The file is
 * sparse: what is not written costs nothing.
 */
static int disk_size(const char *tree, uint64_t *bytes, struct vb_error **err)
{
	tree_bytes = tree_inodes = 0;
	/* "/.": a tree reached through a symlink is walked, not the link. */
	_cleanup_free_ char *top = xasprintf("%s/.", tree);
	if (nftw(top, count_entry, 32, FTW_PHYS | FTW_MOUNT) != 0)
		return vb_error_errno(err, errno, "image disk: reading %s", tree);
	uint64_t b = tree_bytes + tree_bytes / 4 + (256ull << 20);
	*bytes = (b + (1ull << 20) - 1) & ~((1ull << 20) - 1);
	return 0;
}

static int build(const char *tree, const char *tmp, struct vb_error **err)
{
	uint64_t size = 0;
	int r = disk_size(tree, &size, err);
	if (r)
		return r;
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return vb_error_errno(err, errno, "image disk: creating %s", tmp);
	if (ftruncate(fd, (off_t)size) < 0)
		return vb_error_errno(err, errno, "image disk: sizing %s", tmp);
	_cleanup_free_ char *mke2fs = vb_proc_which("mke2fs");
	if (!mke2fs)
		return vb_error_exit(err, -ENOENT, VB_EXIT_UNAVAILABLE,
				     "image disk: mke2fs is not installed (e2fsprogs)");
	/* Twice the tree's inodes, at least mke2fs's own count for the size. */
	_cleanup_free_ char *inodes =
	    xasprintf("%llu", (unsigned long long)(tree_inodes * 2 + size / 16384));
	char *argv[] = {
		mke2fs, "-q", "-F",	 "-t", "ext4",		 "-m", "0",	     "-N",
		inodes, "-L", "vb-root", "-E", "root_owner=0:0", "-d", (char *)tree, (char *)tmp,
		NULL
	};
	_cleanup_free_ char *out = NULL;
	int st = 0;
	r = vb_proc_run(argv, 30 * 60 * 1000, 4096, &out, &st, err);
	if ((r || !WIFEXITED(st) || WEXITSTATUS(st)) && vb_interrupted) {
		vb_error_free(err);
		return vb_error_exit(err, -EINTR, VB_EXIT_INTERRUPTED, "interrupted");
	}
	if (r)
		return vb_error_wrap(err, "image disk: mke2fs -d %s", tree);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return vb_error_set(err, -EIO, "image disk: mke2fs -d %s failed (exit %d): %.300s",
				    tree, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
				    out && *out ? out : "no output");
	/* A base is never written again: read-only, as QEMU opens it. */
	if (fchmod(fd, 0444) < 0 || fsync(fd) < 0)
		return vb_error_errno(err, errno, "image disk: finishing %s", tmp);
	return 0;
}

int vb_image_disk(const char *tree, char **path, bool *built, struct vb_error **err)
{
	*built = false;
	_cleanup_free_ char *final = vb_image_disk_path(tree);
	struct stat st;
	if (stat(final, &st) == 0 && S_ISREG(st.st_mode)) {
		*path = steal_ptr(&final);
		return 0;
	}
	int r = vb_cache_dir_check(err);
	if (r)
		return r;
	_cleanup_free_ char *images = xasprintf("%s/images", vb_cache_dir());
	if ((r = vb_mkdir_p(images, 0755)))
		return vb_error_errno(err, -r, "image disk: creating %s", images);
	/*
	 * One build at a time per cache: a second run waits for the first and
	 * then finds its disk. The lock dies with its holder, however it ends.
	 */
	_cleanup_close_ int lock = open(images, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0)
		return vb_error_errno(err, errno, "image disk: opening %s", images);
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR || vb_interrupted)
			return vb_error_exit(err, -EINTR, VB_EXIT_INTERRUPTED, "interrupted");
	if (stat(final, &st) == 0 && S_ISREG(st.st_mode)) {
		*path = steal_ptr(&final);
		return 0;
	}
	int n = 0;
	vb_image_sweep(&n);
	_cleanup_free_ char *tmp =
	    xasprintf("%s/" DISK_BUILD_PREFIX "%ld.img", images, (long)getpid());
	unlink(tmp);
	r = build(tree, tmp, err);
	if (!r && rename(tmp, final) < 0)
		r = vb_error_errno(err, errno, "image disk: renaming %s", tmp);
	if (!r && fsync(lock) < 0)
		r = vb_error_errno(err, errno, "image disk: syncing %s", images);
	unlink(tmp);
	if (r)
		return r;
	*built = true;
	*path = steal_ptr(&final);
	return 0;
}

/* The pid in ".build-[debian-|disk-]PID[.img]", or 0 when the name is not a build's. */
static pid_t build_pid(const char *name)
{
	static const char *const prefixes[] = { ".build-debian-", DISK_BUILD_PREFIX, ".build-" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(name, prefixes[i], n))
			continue;
		char *end;
		errno = 0;
		unsigned long v = strtoul(name + n, &end, 10);
		if (errno || end == name + n || v == 0 || v > INT32_MAX ||
		    (*end && strcmp(end, ".img")))
			return 0;
		return (pid_t)v;
	}
	return 0;
}

int vb_image_sweep(int *n)
{
	*n = 0;
	_cleanup_free_ char *images = xasprintf("%s/images", vb_cache_dir());
	struct stat st;
	struct vb_error *cerr = NULL;
	/* Only in a cache no other user could have changed (and none is made here). */
	if (stat(images, &st) < 0 || vb_cache_dir_check(&cerr)) {
		vb_error_free(&cerr);
		return 0;
	}
	DIR *d = opendir(images);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = build_pid(e->d_name);
		if (!pid || pid == getpid() || vb_proc_alive(pid) > 0)
			continue;
		vb_info("removing %s/%s, left by an image build that is gone", images, e->d_name);
		vb_rm_rf_at(dirfd(d), e->d_name);
		(*n)++;
	}
	closedir(d);
	return 0;
}
