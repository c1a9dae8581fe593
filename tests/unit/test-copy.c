/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/guest/copy.c: vb_copy_tree on temporary trees under
 * /tmp. As root also whiteouts, trusted.* xattrs, foreign owners, and a copy
 * onto a full tmpfs (in a private mount namespace); the unreadable-file
 * failure runs as nobody in a child when we are root.
 *
 * `test-copy --live` runs clone on the real container platform instead (root
 * only; tests/integration/container-clone.sh drives it with a temporary
 * VIRTBENCH_STATE_DIR / VIRTBENCH_CACHE_DIR and VIRTBENCH_AGENT): a source
 * guest, a marker written into its upper layer, clones of it running and
 * stopped, a job in a clone, and nothing left after destroy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "agent/protocol.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "guest/copy.h"
#include "runtime/cgroup.h"
#include "virtbench/platform.h"
#include "test.h"

#define NOBODY 65534

static char *tmp_dir(void)
{
	char t[] = "/tmp/vb-copy.XXXXXX";
	if (!mkdtemp(t))
		VB_BUG("mkdtemp: %s", strerror(errno));
	return xstrdup(t);
}

/* dir/rel, for the checks below; freed by the caller. */
static char *at(const char *dir, const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

static void put_bytes(const char *dir, const char *rel, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *p = at(dir, rel);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK_MSG(fd >= 0, "%s: %s", p, strerror(errno));
	if (fd < 0)
		return;
	CHECK(vb_write_all(fd, data, len) == 0);
	CHECK(fchmod(fd, mode) == 0);
}

static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
	put_bytes(dir, rel, text, strlen(text), mode);
}

static void mkdir_at(const char *dir, const char *rel, mode_t mode)
{
	_cleanup_free_ char *p = at(dir, rel);
	CHECK_MSG(mkdir(p, 0700) == 0 && chmod(p, mode) == 0, "%s: %s", p, strerror(errno));
}

static void set_times(const char *dir, const char *rel, time_t sec, long nsec)
{
	_cleanup_free_ char *p = at(dir, rel);
	struct timespec ts[2] = { { sec - 1000, 0 }, { sec, nsec } };
	CHECK_MSG(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == 0, "%s: %s", p,
		  strerror(errno));
}

static struct stat lst(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = at(dir, rel);
	struct stat st;
	if (lstat(p, &st) < 0)
		memset(&st, 0, sizeof(st));
	return st;
}

static bool exists(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = at(dir, rel);
	struct stat st;
	return lstat(p, &st) == 0;
}

static bool same_file(const char *a, const char *b, const char *rel)
{
	_cleanup_free_ char *pa = at(a, rel), *pb = at(b, rel);
	_cleanup_free_ char *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;
	return vb_read_file(pa, 8 << 20, &da, &la) == 0 &&
	       vb_read_file(pb, 8 << 20, &db, &lb) == 0 && la == lb && memcmp(da, db, la) == 0;
}

/* Equal mode (type and permission bits), owner and modification time. */
static bool same_meta(const char *a, const char *b, const char *rel, bool mtime)
{
	struct stat sa = lst(a, rel), sb = lst(b, rel);
	bool ok = sa.st_mode && sa.st_mode == sb.st_mode && sa.st_uid == sb.st_uid &&
		  sa.st_gid == sb.st_gid;
	if (mtime)
		ok = ok && sa.st_mtim.tv_sec == sb.st_mtim.tv_sec &&
		     sa.st_mtim.tv_nsec == sb.st_mtim.tv_nsec;
	if (!ok)
		printf("# %s: mode %o/%o owner %u:%u/%u:%u mtime %lld.%09ld/%lld.%09ld\n", rel,
		       sa.st_mode, sb.st_mode, sa.st_uid, sa.st_gid, sb.st_uid, sb.st_gid,
		       (long long)sa.st_mtim.tv_sec, sa.st_mtim.tv_nsec,
		       (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
	return ok;
}

/* Entries below path (not following symlinks); names counts those called name. */
static size_t count_tree(const char *path, const char *name, size_t *names)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		if (!strcmp(de->d_name, name))
			(*names)++;
		_cleanup_free_ char *p = at(path, de->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_tree(p, name, names);
	}
	closedir(d);
	return n;
}

static bool is_empty_dir(const char *path)
{
	size_t unused = 0;
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && count_tree(path, "", &unused) == 0;
}

/* Run fn in a child (own mount namespace, own credentials...); its checks count here. */
static void in_child(void (*fn)(const char *), const char *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		CHECK_MSG(0, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		vb_test_failed = 0;
		fn(arg);
		fflush(stdout);
		_exit(vb_test_failed ? 1 : 0);
	}
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
}

static void test_copy_tree(void)
{
	_cleanup_free_ char *t = tmp_dir();
	_cleanup_free_ char *src = at(t, "src"), *dst = at(t, "dst"), *out = at(t, "outside");
	CHECK(mkdir(src, 0700) == 0 && mkdir(out, 0755) == 0);
	put(out, "secret", "not to be copied\n", 0644);

	put(src, "a.txt", "hello\n", 0640);
	put(src, "empty", "", 0600);
	size_t blen = (1 << 20) + 17;
	_cleanup_free_ unsigned char *big = xmalloc(blen);
	for (size_t i = 0; i < blen; i++)
		big[i] = (unsigned char)((i * 2654435761u) >> 13);
	put_bytes(src, "big", big, blen, 0644);
	put(src, "suid", "#!/bin/sh\n", 04711);
	mkdir_at(src, "d1", 0750);
	mkdir_at(src, "d1/d2", 0700);
	put(src, "d1/d2/deep.txt", "deep\n", 0444);
	_cleanup_free_ char *d2 = at(src, "d1/d2");
	CHECK(chmod(d2, 0555) == 0); /* read-only, after its entry was made */
	_cleanup_free_ char *rel_link = at(src, "rel-link"), *abs_link = at(src, "abs-link");
	CHECK(symlink("../outside/secret", rel_link) == 0);
	CHECK(symlink(out, abs_link) == 0);
	_cleanup_free_ char *fifo = at(src, "fifo");
	CHECK(mkfifo(fifo, 0600) == 0 && chmod(fifo, 0604) == 0);
	put(src, "hard1", "linked\n", 0644);
	_cleanup_free_ char *h1 = at(src, "hard1"), *h2 = at(src, "hard2");
	CHECK(link(h1, h2) == 0);
	CHECK(chmod(src, 0751) == 0);
	/* Innermost first: making an entry changes its directory's times. */
	set_times(src, "a.txt", 1000000000, 123456789);
	set_times(src, "big", 1000000001, 1);
	set_times(src, "fifo", 1100000000, 1);
	set_times(src, "rel-link", 1150000000, 3);
	set_times(src, "d1/d2/deep.txt", 1180000000, 4);
	set_times(src, "d1/d2", 1200000000, 5);
	set_times(src, "d1", 1300000000, 7);
	set_times(t, "src", 1400000000, 9);

	struct vb_error *err = NULL;
	int r = vb_copy_tree(src, dst, &err);
	CHECK_MSG(r == 0, "%d %s", r, err ? err->msg : "");
	vb_error_free(&err);

	CHECK(same_file(src, dst, "a.txt"));
	CHECK(same_file(src, dst, "empty"));
	CHECK(same_file(src, dst, "big"));
	CHECK(same_file(src, dst, "d1/d2/deep.txt"));
	CHECK(same_file(src, dst, "hard2"));
	CHECK(lst(dst, "big").st_size == (off_t)blen);
	const char *all[] = { "a.txt",		"empty", "big",	  "suid",  "d1",       "d1/d2",
			      "d1/d2/deep.txt", "fifo",	 "hard1", "hard2", "rel-link", "abs-link" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(all); i++)
		CHECK_MSG(same_meta(src, dst, all[i], true), "%s", all[i]);
	struct stat sr, dr;
	CHECK(lstat(src, &sr) == 0 && lstat(dst, &dr) == 0);
	CHECK_MSG((dr.st_mode & 07777) == 0751, "root mode %o", dr.st_mode);
	CHECK(dr.st_mtim.tv_sec == 1400000000 && dr.st_mtim.tv_nsec == 9);
	CHECK((lst(dst, "suid").st_mode & 07777) == 04711);
	CHECK((lst(dst, "d1/d2").st_mode & 07777) == 0555);
	CHECK(lst(dst, "d1").st_mtim.tv_sec == 1300000000);
	CHECK(lst(dst, "d1/d2").st_mtim.tv_sec == 1200000000);
	CHECK(S_ISFIFO(lst(dst, "fifo").st_mode));
	/* Hard links stay one file. */
	CHECK(lst(dst, "hard1").st_ino == lst(dst, "hard2").st_ino);
	CHECK(lst(dst, "hard1").st_nlink == 2);
	CHECK(lst(dst, "hard1").st_ino != lst(src, "hard1").st_ino);
	/* Symlinks copied as links, with their targets verbatim, never followed. */
	CHECK(S_ISLNK(lst(dst, "rel-link").st_mode) && S_ISLNK(lst(dst, "abs-link").st_mode));
	char target[4096];
	_cleanup_free_ char *drl = at(dst, "rel-link"), *dal = at(dst, "abs-link");
	ssize_t n = readlink(drl, target, sizeof(target) - 1);
	CHECK(n == (ssize_t)strlen("../outside/secret") && !memcmp(target, "../outside/secret", n));
	n = readlink(dal, target, sizeof(target) - 1);
	CHECK(n == (ssize_t)strlen(out) && !memcmp(target, out, n));
	size_t secrets = 0, entries = count_tree(dst, "secret", &secrets);
	CHECK_MSG(entries == VB_ARRAY_SIZE(all), "%zu entries", entries);
	CHECK(secrets == 0);
	/* The source is as it was. */
	CHECK(lst(src, "d1").st_mtim.tv_sec == 1300000000);
	CHECK(exists(out, "secret"));

	/* Removable without CAP_DAC_OVERRIDE too. */
	_cleanup_free_ char *dd2 = at(dst, "d1/d2");
	CHECK(chmod(d2, 0700) == 0 && chmod(dd2, 0700) == 0);
	vb_rm_rf(t);
}

static void test_copy_root_only(void)
{
	if (geteuid() != 0)
		SKIP("needs root: a whiteout, trusted.* xattrs and foreign owners");
	_cleanup_free_ char *t = tmp_dir();
	_cleanup_free_ char *src = at(t, "src"), *dst = at(t, "dst");
	CHECK(mkdir(src, 0755) == 0);
	_cleanup_free_ char *wh = at(src, "gone"), *op = at(src, "opaque"), *ln = at(src, "lnk");
	CHECK(mknod(wh, S_IFCHR | 0, makedev(0, 0)) == 0);
	CHECK(mkdir(op, 0755) == 0);
	put(src, "opaque/f", "shadowing\n", 0644);
	CHECK(setxattr(op, "trusted.overlay.opaque", "y", 1, 0) == 0);
	CHECK(symlink("nowhere", ln) == 0);
	CHECK(lsetxattr(ln, "trusted.overlay.test", "on-a-link", 9, 0) == 0);
	CHECK(lchown(ln, 4321, 8765) == 0);
	put(src, "owned", "x", 0640);
	_cleanup_free_ char *owned = at(src, "owned");
	CHECK(chown(owned, 1234, 5678) == 0);
	set_times(src, "gone", 1111111111, 11);

	struct vb_error *err = NULL;
	int r = vb_copy_tree(src, dst, &err);
	CHECK_MSG(r == 0, "%d %s", r, err ? err->msg : "");
	vb_error_free(&err);

	struct stat st = lst(dst, "gone");
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0);
	CHECK(same_meta(src, dst, "gone", true));
	_cleanup_free_ char *dop = at(dst, "opaque"), *dln = at(dst, "lnk");
	char buf[64];
	ssize_t n = getxattr(dop, "trusted.overlay.opaque", buf, sizeof(buf));
	CHECK(n == 1 && buf[0] == 'y');
	CHECK(same_file(src, dst, "opaque/f"));
	n = lgetxattr(dln, "trusted.overlay.test", buf, sizeof(buf));
	CHECK(n == 9 && !memcmp(buf, "on-a-link", 9));
	CHECK(same_meta(src, dst, "lnk", false));
	CHECK(lst(dst, "lnk").st_uid == 4321);
	CHECK(same_meta(src, dst, "owned", true));
	CHECK(lst(dst, "owned").st_uid == 1234 && lst(dst, "owned").st_gid == 5678);
	vb_rm_rf(t);
}

/* On a tmpfs: ext4 keeps a file's xattrs within one block. */
static void big_xattrs_case(const char *t)
{
	_cleanup_free_ char *src = at(t, "src"), *dst = at(t, "dst");
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", t, "tmpfs", 0, "size=8m") < 0) {
		CHECK_MSG(0, "a tmpfs: %s", strerror(errno));
		return;
	}
	CHECK(mkdir(src, 0755) == 0);
	put(src, "f", "x", 0644);
	_cleanup_free_ char *f = at(src, "f"), *df = at(dst, "f");
	/* A value near the kernel's 64 KiB limit, and a name list longer than 4 KiB. */
	size_t vlen = 60000;
	_cleanup_free_ char *val = xmalloc(vlen), *buf = xmalloc(1 << 16);
	for (size_t i = 0; i < vlen; i++)
		val[i] = (char)('a' + i % 26);
	CHECK(setxattr(f, "trusted.big", val, vlen, 0) == 0);
	for (int i = 0; i < 100; i++) {
		char name[64];
		snprintf(name, sizeof(name), "trusted.a-rather-long-attribute-name-%03d", i);
		CHECK(setxattr(f, name, name, strlen(name), 0) == 0);
	}
	CHECK(listxattr(f, NULL, 0) > 4096);
	struct vb_error *err = NULL;
	int r = vb_copy_tree(src, dst, &err);
	CHECK_MSG(r == 0, "%d %s", r, err ? err->msg : "");
	vb_error_free(&err);
	ssize_t n = getxattr(df, "trusted.big", buf, 1 << 16);
	CHECK(n == (ssize_t)vlen && !memcmp(buf, val, vlen));
	n = getxattr(df, "trusted.a-rather-long-attribute-name-099", buf, 1 << 16);
	CHECK(n == 40 && !memcmp(buf, "trusted.a-rather-long-attribute-name-099", 40));
	CHECK(listxattr(df, NULL, 0) == listxattr(f, NULL, 0));
	umount2(t, MNT_DETACH);
}

static void test_copy_big_xattrs(void)
{
	if (geteuid() != 0)
		SKIP("needs root: trusted.* xattrs on a tmpfs of its own");
	_cleanup_free_ char *t = tmp_dir();
	in_child(big_xattrs_case, t);
	vb_rm_rf(t);
}

/* Holes stay holes (found in review: a clone wrote a guest's sparse files out in full). */
static void test_copy_sparse(void)
{
	_cleanup_free_ char *t = tmp_dir();
	_cleanup_free_ char *src = at(t, "src"), *dst = at(t, "dst");
	CHECK(mkdir(src, 0755) == 0);
	_cleanup_free_ char *f = at(src, "sparse");
	int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	/* 100 MiB: one 4 KiB block of data at 50 MiB, holes around it. */
	char block[4096];
	memset(block, 'x', sizeof(block));
	CHECK(pwrite(fd, block, sizeof(block), 50 << 20) == (ssize_t)sizeof(block));
	CHECK(ftruncate(fd, 100 << 20) == 0);
	close(fd);
	struct vb_error *err = NULL;
	int r = vb_copy_tree(src, dst, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	_cleanup_free_ char *g = at(dst, "sparse");
	struct stat st;
	CHECK(stat(g, &st) == 0);
	CHECK_MSG(st.st_size == 100 << 20, "size %lld", (long long)st.st_size);
	/* The data block, and no more than a few blocks of metadata. */
	CHECK_MSG(st.st_blocks * 512 <= 1 << 20, "%lld bytes allocated",
		  (long long)st.st_blocks * 512);
	char back[4096] = { 0 };
	fd = open(g, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && pread(fd, back, sizeof(back), 50 << 20) == (ssize_t)sizeof(back));
	CHECK(!memcmp(back, block, sizeof(block)));
	CHECK(fd >= 0 && pread(fd, back, sizeof(back), 0) == (ssize_t)sizeof(back) && !back[0]);
	if (fd >= 0)
		close(fd);
	vb_rm_rf(t);
}

static void test_copy_dst_exists(void)
{
	_cleanup_free_ char *t = tmp_dir();
	_cleanup_free_ char *src = at(t, "src"), *dst = at(t, "dst");
	CHECK(mkdir(src, 0755) == 0 && mkdir(dst, 0755) == 0);
	put(src, "new", "new\n", 0644);
	put(dst, "keep", "mine\n", 0644);
	struct vb_error *err = NULL;
	int r = vb_copy_tree(src, dst, &err);
	CHECK_MSG(r == -EEXIST, "%d", r);
	CHECK(err && strstr(err->msg, dst));
	vb_error_free(&err);
	CHECK(exists(dst, "keep") && !exists(dst, "new"));
	/* A file in the way is the same. */
	_cleanup_free_ char *f = at(dst, "keep");
	CHECK(vb_copy_tree(src, f, &err) == -EEXIST);
	vb_error_free(&err);
	CHECK(exists(dst, "keep"));
	vb_rm_rf(t);
}

static void test_copy_bad_source(void)
{
	_cleanup_free_ char *t = tmp_dir();
	_cleanup_free_ char *src = at(t, "src"), *dst = at(t, "dst"), *sl = at(t, "link");
	struct vb_error *err = NULL;
	CHECK(vb_copy_tree(src, dst, &err) == -ENOENT);
	vb_error_free(&err);
	CHECK(mkdir(src, 0755) == 0 && symlink(src, sl) == 0);
	CHECK(vb_copy_tree(sl, dst, &err) == -ENOTDIR);
	CHECK(err && strstr(err->msg, "not a directory"));
	vb_error_free(&err);
	put(src, "file", "", 0644);
	_cleanup_free_ char *file = at(src, "file");
	CHECK(vb_copy_tree(file, dst, &err) == -ENOTDIR);
	vb_error_free(&err);
	CHECK(!exists(t, "dst"));
	vb_rm_rf(t);
}

/* An unreadable file after a read-only directory; as a user who cannot override either. */
static void unreadable_case(const char *t)
{
	_cleanup_free_ char *src = at(t, "src"), *dst = at(t, "dst");
	CHECK(mkdir(src, 0755) == 0);
	for (int i = 0; i < 20; i++) {
		_cleanup_free_ char *name = xasprintf("f%02d", i);
		put(src, name, "some data\n", 0644);
	}
	mkdir_at(src, "ro", 0755);
	put(src, "ro/inside", "x\n", 0644);
	_cleanup_free_ char *ro = at(src, "ro");
	CHECK(chmod(ro, 0555) == 0);
	mkdir_at(src, "z", 0755);
	put(src, "z/unreadable", "secret\n", 0000);
	struct vb_error *err = NULL;
	int r = vb_copy_tree(src, dst, &err);
	CHECK_MSG(r == -EACCES, "%d %s", r, err ? err->msg : "");
	CHECK_MSG(err && strstr(err->msg, "z/unreadable: opening"), "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK_MSG(!exists(t, "dst"), "a partial copy is left");
	CHECK(chmod(ro, 0755) == 0);
}

static void as_nobody(const char *t)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0) {
		CHECK_MSG(0, "dropping to nobody: %s", strerror(errno));
		return;
	}
	unreadable_case(t);
}

static void test_copy_fails_unreadable(void)
{
	_cleanup_free_ char *t = tmp_dir();
	if (geteuid() != 0) {
		unreadable_case(t);
	} else {
		/* Root reads everything: the failure needs a user who cannot. */
		CHECK(chown(t, NOBODY, NOBODY) == 0);
		in_child(as_nobody, t);
	}
	vb_rm_rf(t);
}

static void full_case(const char *t)
{
	_cleanup_free_ char *src = at(t, "src"), *full = at(t, "full"), *dst = at(t, "full/dst");
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", full, "tmpfs", 0, "size=256k") < 0) {
		CHECK_MSG(0, "a small tmpfs: %s", strerror(errno));
		return;
	}
	struct vb_error *err = NULL;
	int r = vb_copy_tree(src, dst, &err);
	CHECK_MSG(r == -ENOSPC, "%d %s", r, err ? err->msg : "");
	CHECK(err && strstr(err->msg, "No space left"));
	vb_error_free(&err);
	CHECK_MSG(is_empty_dir(full), "a partial copy is left");
	umount2(full, MNT_DETACH);
}

static void test_copy_fails_full(void)
{
	if (geteuid() != 0)
		SKIP("needs root to mount a small tmpfs");
	_cleanup_free_ char *t = tmp_dir();
	_cleanup_free_ char *src = at(t, "src"), *full = at(t, "full");
	CHECK(mkdir(src, 0755) == 0 && mkdir(full, 0755) == 0);
	for (int i = 0; i < 20; i++) {
		_cleanup_free_ char *name = xasprintf("f%02d", i);
		put(src, name, "some data\n", 0644);
	}
	mkdir_at(src, "d", 0755);
	size_t len = 1 << 20;
	_cleanup_free_ char *big = xcalloc(1, len);
	put_bytes(src, "d/big", big, len, 0644);
	in_child(full_case, t);
	vb_rm_rf(t);
}

static void test_copy_too_deep(void)
{
	_cleanup_free_ char *t = tmp_dir();
	_cleanup_free_ char *src = at(t, "src"), *dst = at(t, "dst");
	CHECK(mkdir(src, 0755) == 0);
	int fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 300 && fd >= 0; i++) {
		int next =
		    mkdirat(fd, "d", 0755) < 0 ? -1 : openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	struct vb_error *err = NULL;
	int r = vb_copy_tree(src, dst, &err);
	CHECK_MSG(r == -ELOOP, "%d %s", r, err ? err->msg : "");
	vb_error_free(&err);
	CHECK(!exists(t, "dst"));
	vb_rm_rf(t);
}

/* ---- live: clone on the real container platform ---- */

static struct {
	const char *skip;
	char reason[256];
	const struct vb_platform_ops *p;
	char tag[16];
	char *work_dir;
	struct vb_platform_ctx ctx;
	/* source, clone of it running, clone of it stopped, a clone that fails */
	char *names[4];
	struct vb_guest *g[4];
	char *marker;
	char *host_dir; /* a host file the source's volume links to: never touched */
} live;

#define LIVE_SKIP()                                                                                \
	do {                                                                                       \
		if (live.skip)                                                                     \
			SKIP(live.skip);                                                           \
	} while (0)

#define LIVE_NEED(i)                                                                               \
	do {                                                                                       \
		LIVE_SKIP();                                                                       \
		if (!live.g[i]) {                                                                  \
			CHECK_MSG(0, "no guest %s (an earlier test failed)",                       \
				  live.names[i] ? live.names[i] : "");                             \
			return;                                                                    \
		}                                                                                  \
	} while (0)

struct seen {
	int samples;
};

static void on_event(const struct vb_event *ev, void *data)
{
	struct seen *s = data;
	if (ev->type == VB_EV_SAMPLE && ev->nvalues > 0)
		s->samples++;
	if (ev->type == VB_EV_ERROR || ev->type == VB_EV_LOG)
		printf("# agent: %s\n", ev->msg ? ev->msg : "");
}

/* A cpu.primes job, built as src/experiment/overhead.c does. */
static int run_primes(struct vb_guest *g, const char *what, struct seen *s, struct vb_error **err)
{
	struct vb_job job = {
		.id = xasprintf("%s-%s", live.tag, what),
		.workload = xstrdup("cpu.primes"),
		.params = json_loads("{\"limit\":1000,\"threads\":1}", 0, NULL),
	};
	int r = live.p->exec(g, &job, on_event, s, err);
	vb_job_release(&job);
	return r;
}

static char *upper_of(const char *name)
{
	return xasprintf("%s/%s/upper", live.work_dir, name);
}

/* The guest's volume, its /scratch (the default container disk). */
static char *volume_of(const char *name)
{
	return xasprintf("%s/%s/volume", live.work_dir, name);
}

/* The host file behind the source's symlink, as it was made. */
static bool host_file_intact(void)
{
	_cleanup_free_ char *p = at(live.host_dir, "file");
	_cleanup_free_ char *text = NULL;
	return vb_read_file(p, 4096, &text, NULL) == 0 && !strcmp(text, "the host's\n");
}

static bool has_marker(const char *name)
{
	_cleanup_free_ char *upper = upper_of(name);
	_cleanup_free_ char *p = at(upper, "clone-marker");
	_cleanup_free_ char *text = NULL;
	return vb_read_file(p, 4096, &text, NULL) == 0 && !strcmp(text, live.marker);
}

static void live_setup(void)
{
	struct vb_error *err = NULL;
	const char *agent = getenv("VIRTBENCH_AGENT");
	live.p = vb_platform_find("container");
	int r = 0;
	if (geteuid() != 0)
		live.skip = "needs root";
	else if (!live.p)
		live.skip = "no container platform in this build";
	else if (!agent || access(agent, X_OK) < 0)
		live.skip = "VIRTBENCH_AGENT does not name the agent binary";
	else if ((r = vb_platform_probe(live.p, NULL, &err)) == VB_SKIP)
		live.skip = live.reason;
	if (err)
		snprintf(live.reason, sizeof(live.reason), "%s", err->msg);
	vb_error_free(&err);
	LIVE_SKIP();
	CHECK_MSG(r == 0, "probe: %s", live.reason);
	CHECK(live.p->caps & VB_CAP_CLONE);
	CHECK(live.p->clone != NULL);
	if (r || !live.p->clone) {
		live.skip = "the container platform is not usable";
		return;
	}
	r = vb_run_claim(live.tag, &live.work_dir, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	if (r) {
		live.skip = "no run work directory";
		return;
	}
	printf("# run %s in %s\n", live.tag, live.work_dir);
	live.ctx = (struct vb_platform_ctx){
		.run_id = live.tag,
		.agent_path = agent,
		.work_dir = live.work_dir,
		.ready_timeout_s = 30,
		.job_timeout_s = 120,
	};
	for (int i = 0; i < 4; i++)
		live.names[i] = xasprintf("%s-%d", live.tag, i);
	live.marker = xasprintf("written into %s's upper layer\n", live.names[0]);
}

static void live_source(void)
{
	LIVE_SKIP();
	struct vb_guest_spec spec = {
		.vcpus = 1,
		.memory_bytes = 256 << 20,
		.net = VB_NET_BRIDGED,
	};
	struct vb_error *err = NULL;
	int r = live.p->provision(&live.ctx, &spec, live.names[0], &live.g[0], &err);
	CHECK_MSG(r == 0, "provision: %s", err ? err->msg : "");
	vb_error_free(&err);
	if (r)
		return;
	/*
	 * What overlayfs itself would have written, made before the overlay is
	 * mounted: /root deleted (a whiteout), /etc replaced (opaque).
	 */
	_cleanup_free_ char *upper = upper_of(live.names[0]);
	_cleanup_free_ char *wh = at(upper, "root"), *etc = at(upper, "etc");
	CHECK(mknod(wh, S_IFCHR | 0, makedev(0, 0)) == 0);
	CHECK(mkdir(etc, 0755) == 0);
	CHECK(setxattr(etc, "trusted.overlay.opaque", "y", 1, 0) == 0);
	put(upper, "etc/only", "the only entry\n", 0644);
	r = live.p->start(live.g[0], &err);
	CHECK_MSG(r == 0, "start: %s", err ? err->msg : "");
	vb_error_free(&err);
	if (r)
		return;
	/* No job writes files: the marker goes straight into the layer. */
	put(upper, "clone-marker", live.marker, 0644);
	CHECK(has_marker(live.names[0]));
	/* In its volume, a file and a symlink to a host file, as a hostile guest makes. */
	char tmpl[] = "/tmp/vb-copy-host.XXXXXX";
	live.host_dir = xstrdup(mkdtemp(tmpl) ? tmpl : "/nonexistent");
	put(live.host_dir, "file", "the host's\n", 0600);
	_cleanup_free_ char *vol = volume_of(live.names[0]);
	_cleanup_free_ char *link = at(vol, "host-link");
	_cleanup_free_ char *target = at(live.host_dir, "file");
	put(vol, "vol-marker", live.marker, 0644);
	CHECK(symlink(target, link) == 0);
}

static void live_clone_running(void)
{
	LIVE_NEED(0);
	struct vb_error *err = NULL;
	int r = live.p->clone(live.g[0], live.names[1], &live.g[1], &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	if (r)
		return;
	CHECK(has_marker(live.names[1]));
	/* The source was frozen for the copy and runs again. */
	const struct vb_cgroup_layout *l = vb_cgroup_host_layout(NULL);
	if (l && l->version == VB_CGROUP_V1) {
		_cleanup_free_ char *st = NULL;
		for (size_t i = 0; i < l->nhier; i++)
			if (!strcmp(l->hier[i].controller, "freezer")) {
				_cleanup_free_ char *p = xasprintf(
				    "%s/%s/freezer.state", l->hier[i].parent, live.names[0]);
				vb_read_file(p, 64, &st, NULL);
			}
		CHECK_MSG(st && !strncmp(st, "THAWED", 6), "%s", st ? st : "(no freezer.state)");
	}
	struct seen s0 = { 0 };
	r = run_primes(live.g[0], "after-clone", &s0, &err);
	CHECK_MSG(r == 0 && s0.samples > 0, "%d %s", r, err ? err->msg : "");
	vb_error_free(&err);
	/* Its own overlay work directory, empty. */
	_cleanup_free_ char *work = xasprintf("%s/%s/work", live.work_dir, live.names[1]);
	CHECK(is_empty_dir(work));
	/* Stopped: a job is refused until it is started. */
	struct seen s = { 0 };
	r = run_primes(live.g[1], "stopped", &s, &err);
	CHECK_MSG(r == -ESRCH, "%d", r);
	vb_error_free(&err);
}

static void live_clone_bad_names(void)
{
	LIVE_NEED(0);
	struct vb_error *err = NULL;
	struct vb_guest *c = NULL;
	/* In use: its directory and cgroup must survive the failure. */
	int r = live.p->clone(live.g[0], live.names[0], &c, &err);
	CHECK_MSG(r == -EEXIST, "%d %s", r, err ? err->msg : "");
	vb_error_free(&err);
	CHECK(c == NULL);
	CHECK(has_marker(live.names[0]));
	struct seen s = { 0 };
	r = run_primes(live.g[0], "after-bad-clone", &s, &err);
	CHECK_MSG(r == 0 && s.samples > 0, "%d %s", r, err ? err->msg : "");
	vb_error_free(&err);
	/* Another run's tag, and not a guest name at all. */
	r = live.p->clone(live.g[0], "vb-00000000-1", &c, &err);
	CHECK_MSG(r == -EINVAL, "%d", r);
	vb_error_free(&err);
	_cleanup_free_ char *bad = xasprintf("%s-x", live.tag);
	r = live.p->clone(live.g[0], bad, &c, &err);
	CHECK_MSG(r == -EINVAL, "%d", r);
	vb_error_free(&err);
	CHECK(c == NULL);
	_cleanup_free_ char *dir = at(live.work_dir, bad);
	CHECK(access(dir, F_OK) < 0);
}

/* path as a process of the running guest name sees it (through /proc/PID/root). */
static char *inside(const char *name, const char *path)
{
	struct vb_error *err = NULL;
	const struct vb_cgroup_layout *l = vb_cgroup_host_layout(&err);
	vb_error_free(&err);
	if (!l || !l->nhier)
		return NULL;
	_cleanup_free_ char *procs = xasprintf("%s/%s/cgroup.procs", l->hier[0].parent, name);
	_cleanup_free_ char *text = NULL;
	long pid = 0;
	if (vb_read_file(procs, 65536, &text, NULL) || sscanf(text, "%ld", &pid) != 1)
		return NULL;
	return xasprintf("/proc/%ld/root%s", pid, path);
}

static void live_clone_runs_job(void)
{
	LIVE_NEED(1);
	struct vb_error *err = NULL;
	int r = live.p->start(live.g[1], &err);
	CHECK_MSG(r == 0, "start: %s", err ? err->msg : "");
	vb_error_free(&err);
	if (r)
		return;
	struct seen s = { 0 };
	r = run_primes(live.g[1], "clone", &s, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK_MSG(s.samples == 1, "%d samples", s.samples);
	CHECK(live.p->peer_listen(live.g[1]) != NULL);
	/* Its root is the image under the copied layer: marker, whiteout, opaque directory. */
	_cleanup_free_ char *marker = inside(live.names[1], "/clone-marker");
	_cleanup_free_ char *root = inside(live.names[1], "/root");
	_cleanup_free_ char *only = inside(live.names[1], "/etc/only");
	_cleanup_free_ char *passwd = inside(live.names[1], "/etc/passwd");
	_cleanup_free_ char *agent = inside(live.names[1], "/sbin/virtbench-agent");
	CHECK_MSG(marker, "no process of %s found", live.names[1]);
	if (!marker)
		return;
	_cleanup_free_ char *text = NULL;
	CHECK(vb_read_file(marker, 4096, &text, NULL) == 0 && !strcmp(text, live.marker));
	struct stat st;
	CHECK_MSG(lstat(root, &st) < 0 && errno == ENOENT, "/root is not deleted");
	CHECK(lstat(only, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_MSG(lstat(passwd, &st) < 0 && errno == ENOENT, "/etc is not opaque");
	CHECK(lstat(agent, &st) == 0 && S_ISREG(st.st_mode));
}

/* The clone's volume: a copy of the source's, its link a link, the host file untouched. */
static void live_clone_volume(void)
{
	LIVE_NEED(1);
	_cleanup_free_ char *vol = volume_of(live.names[1]);
	_cleanup_free_ char *marker = at(vol, "vol-marker");
	_cleanup_free_ char *link = at(vol, "host-link");
	_cleanup_free_ char *target = at(live.host_dir, "file");
	_cleanup_free_ char *text = NULL;
	CHECK(vb_read_file(marker, 4096, &text, NULL) == 0 && !strcmp(text, live.marker));
	char buf[4096];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_MSG(n > 0 && !strcmp(buf, target), "the clone's volume holds the link, not the file");
	CHECK(host_file_intact());
	/* Inside the running clone, the copied volume is its /scratch. */
	_cleanup_free_ char *in = inside(live.names[1], "/scratch/vol-marker");
	_cleanup_free_ char *seen = NULL;
	CHECK_MSG(in && vb_read_file(in, 4096, &seen, NULL) == 0 && !strcmp(seen, live.marker),
		  "%s", in ? in : "no process of the clone");
}

static void live_clone_stopped(void)
{
	LIVE_NEED(0);
	struct vb_error *err = NULL;
	int r = live.p->stop(live.g[0], &err);
	CHECK_MSG(r == 0, "stop: %s", err ? err->msg : "");
	vb_error_free(&err);
	r = live.p->clone(live.g[0], live.names[2], &live.g[2], &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(has_marker(live.names[2]));
}

static bool cgroup_left(const char *name);

/* A layer too deep to copy: the clone fails after its cgroup and directory were made. */
static void live_clone_fails(void)
{
	LIVE_NEED(0);
	_cleanup_free_ char *upper = upper_of(live.names[0]);
	int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 300 && fd >= 0; i++) {
		int next =
		    mkdirat(fd, "deep", 0755) < 0 ? -1 : openat(fd, "deep", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	struct vb_error *err = NULL;
	int r = live.p->clone(live.g[0], live.names[3], &live.g[3], &err);
	CHECK_MSG(r == -ELOOP, "%d %s", r, err ? err->msg : "");
	CHECK(err && strstr(err->msg, live.names[3]));
	vb_error_free(&err);
	CHECK(live.g[3] == NULL);
	_cleanup_free_ char *dir = at(live.work_dir, live.names[3]);
	CHECK_MSG(access(dir, F_OK) < 0, "%s is left", dir);
	CHECK_MSG(!cgroup_left(live.names[3]), "cgroup of %s", live.names[3]);
	CHECK(if_nametoindex(live.names[3]) == 0);
	CHECK(has_marker(live.names[0]));
	_cleanup_free_ char *deep = at(upper, "deep");
	CHECK(vb_rm_rf(deep) == 0);
}

/* Is anything of name left in a cgroup hierarchy? */
static bool cgroup_left(const char *name)
{
	bool left = false;
	struct vb_error *err = NULL;
	const struct vb_cgroup_layout *l = vb_cgroup_host_layout(&err);
	CHECK_MSG(l, "%s", err ? err->msg : "");
	vb_error_free(&err);
	for (size_t i = 0; l && i < l->nhier + 1; i++) {
		const char *parent = i < l->nhier ? l->hier[i].parent : l->unified_parent;
		_cleanup_free_ char *p = parent ? at(parent, name) : NULL;
		if (p && access(p, F_OK) == 0) {
			printf("# left: %s\n", p);
			left = true;
		}
	}
	/* The hierarchy, and the supervisor's own cgroup up to two levels below it. */
	const char *below[] = { "*", "*/*", "*/*/*" };
	for (size_t i = 0; i < VB_ARRAY_SIZE(below); i++) {
		_cleanup_free_ char *pat =
		    xasprintf("/sys/fs/cgroup/%s/virtbench/%s", below[i], name);
		glob_t gl;
		if (glob(pat, 0, NULL, &gl) == 0) {
			printf("# left: %s\n", gl.gl_pathv[0]);
			left = true;
		}
		globfree(&gl);
	}
	return left;
}

static void live_destroy(void)
{
	LIVE_SKIP();
	for (int i = 3; i >= 0; i--) {
		live.p->destroy(live.g[i]);
		live.g[i] = NULL;
	}
	for (int i = 0; i < 4; i++) {
		CHECK_MSG(!cgroup_left(live.names[i]), "cgroup of %s", live.names[i]);
		_cleanup_free_ char *dir = at(live.work_dir, live.names[i]);
		CHECK_MSG(access(dir, F_OK) < 0 && errno == ENOENT, "%s is left", dir);
		CHECK_MSG(if_nametoindex(live.names[i]) == 0, "link %s is left", live.names[i]);
	}
	CHECK_MSG(if_nametoindex(live.tag) == 0, "bridge %s is left", live.tag);
	if (live.host_dir) {
		CHECK_MSG(host_file_intact(), "the host file a volume linked to was touched");
		CHECK(vb_rm_rf(live.host_dir) == 0);
		free(live.host_dir);
	}
	CHECK(vb_rm_rf(live.work_dir) == 0);
	for (int i = 0; i < 4; i++)
		free(live.names[i]);
	free(live.work_dir);
	free(live.marker);
}

int vb_test_failed;
const char *vb_test_skip;

static int run(const struct vb_test *tests, size_t n)
{
	int bad = 0;
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		vb_test_failed = 0;
		vb_test_skip = NULL;
		tests[i].fn();
		if (vb_test_skip && !vb_test_failed)
			printf("ok %zu - %s # SKIP %s\n", i + 1, tests[i].name, vb_test_skip);
		else
			printf("%sok %zu - %s\n", vb_test_failed ? "not " : "", i + 1,
			       tests[i].name);
		bad += vb_test_failed;
		fflush(stdout);
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct vb_test unit[] = {
		T(test_copy_tree),
		T(test_copy_root_only),
		T(test_copy_big_xattrs),
		T(test_copy_sparse),
		T(test_copy_dst_exists),
		T(test_copy_bad_source),
		T(test_copy_fails_unreadable),
		T(test_copy_fails_full),
		T(test_copy_too_deep),
	};
	static const struct vb_test live_tests[] = {
		{ "live: the container platform is usable and offers clone", live_setup },
		{ "live: source guest provisioned, started, marker in its upper layer",
		  live_source },
		{ "live: clone of the running source has the marker and is stopped",
		  live_clone_running },
		{ "live: a clone under a name in use or of another run fails, source intact",
		  live_clone_bad_names },
		{ "live: the clone starts, sees the copied layer, and its cpu.primes sample "
		  "arrives",
		  live_clone_runs_job },
		{ "live: the clone's volume is a copy of the source's: a file, and a symlink to a "
		  "host file copied as the link; inside it is /scratch; the host file untouched",
		  live_clone_volume },
		{ "live: clone of the stopped source has the marker", live_clone_stopped },
		{ "live: a clone whose copy fails leaves nothing of it (directory, cgroup, bridge "
		  "ref)",
		  live_clone_fails },
		{ "live: destroyed, none leaves a cgroup, work directory or link", live_destroy },
	};
	if (argc > 1 && !strcmp(argv[1], "--live"))
		return run(live_tests, VB_ARRAY_SIZE(live_tests));
	return run(unit, VB_ARRAY_SIZE(unit));
}
