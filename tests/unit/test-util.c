/* SPDX-License-Identifier: MIT */
/* Unit tests for src/core: number parsing, files, directories, errors, tokens. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "test.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/text.h"
#include "core/util.h"
#include "virtbench/error.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL 0x5a5a5a5a5a5a5a5aULL

/* A fresh directory under $TMPDIR (or /tmp); caller frees and removes. */
static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/vb-test-util-XXXXXX", base && *base ? base : "/tmp");

	if (!mkdtemp(tmpl)) {
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

static bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void test_parse_u64(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "42", 42 },
		{ "007", 7 },
		{ "4294967296", 4294967296ULL },
		{ "9007199254740993", 9007199254740993ULL },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = { "",	 "-1",	 "+1",	" 1",  "1 ",  "1x",
					   "x1", "0x10", "1.0", "1e3", "\t1", "1\n" };
	uint64_t v;

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		v = SENTINEL;
		CHECK_MSG(vb_parse_u64(good[i].s, &v) == 0, "\"%s\"", good[i].s);
		CHECK_MSG(v == good[i].v, "\"%s\" gave %llu", good[i].s, (unsigned long long)v);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		v = SENTINEL;
		CHECK_MSG(vb_parse_u64(bad[i], &v) == -EINVAL, "\"%s\" accepted", bad[i]);
		CHECK_MSG(v == SENTINEL, "\"%s\" wrote the output", bad[i]);
	}
	CHECK(vb_parse_u64(NULL, &v) == -EINVAL);
	v = SENTINEL;
	CHECK(vb_parse_u64("18446744073709551616", &v) == -ERANGE);
	CHECK(vb_parse_u64("99999999999999999999999", &v) == -ERANGE);
	CHECK(v == SENTINEL);
}

static void test_parse_size(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "512B", 512 },
		{ "64K", 64 << 10 },
		{ "64k", 64 << 10 },
		{ "64KB", 64 << 10 },
		{ "64KiB", 64 << 10 },
		{ "0.5K", 512 },
		{ "1M", 1 << 20 },
		{ "64MiB", 64ULL << 20 },
		{ "3MB", 3ULL << 20 },
		{ "1.5G", 1610612736ULL },
		{ "1.5GiB", 1610612736ULL },
		{ "2T", 2ULL << 40 },
		{ "1TiB", 1ULL << 40 },
		{ "1P", 1ULL << 50 },
		{ "1PB", 1ULL << 50 },
		{ "1PiB", 1ULL << 50 },
		{ "16383P", 16383ULL << 50 },
		{ "9007199254740993", 9007199254740993ULL },
		{ "18446744073709551615", UINT64_MAX },
		{ "18446744073709551615B", UINT64_MAX },
	};
	static const struct {
		const char *s;
		int r;
	} bad[] = {
		{ "", -EINVAL },
		{ "1.3", -EINVAL },  /* a fraction of a byte */
		{ "0.1K", -EINVAL }, /* 102.4 bytes */
		{ "abc", -EINVAL },
		{ "K", -EINVAL },
		{ "-1", -EINVAL },
		{ "+1", -EINVAL },
		{ " 1", -EINVAL },
		{ "1 K", -EINVAL },
		{ "1K ", -EINVAL },
		{ "1Q", -EINVAL },
		{ "1e3", -EINVAL }, /* digits and a decimal point only */
		{ "0x10", -EINVAL },
		{ "1.5.2G", -EINVAL },
		{ "1KK", -EINVAL },
		{ "1kib", -EINVAL },
		{ "1iB", -EINVAL },
		{ "nan", -EINVAL },
		{ "inf", -EINVAL },
		{ "16384P", -ERANGE },
		{ "18446744073709551616", -ERANGE },
		{ "17179869184T", -ERANGE },
		{ "1e400", -ERANGE },
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		v = SENTINEL;
		CHECK_MSG(vb_parse_size(good[i].s, &v) == 0, "\"%s\"", good[i].s);
		CHECK_MSG(v == good[i].v, "\"%s\" gave %llu, want %llu", good[i].s,
			  (unsigned long long)v, (unsigned long long)good[i].v);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		int r;

		v = SENTINEL;
		r = vb_parse_size(bad[i].s, &v);
		CHECK_MSG(r == bad[i].r, "\"%s\" gave %d, want %d", bad[i].s, r, bad[i].r);
		CHECK_MSG(v == SENTINEL, "\"%s\" wrote the output", bad[i].s);
	}
	/* No exabyte suffix: "20E" is refused, whatever the reason given. */
	v = SENTINEL;
	CHECK(vb_parse_size("20E", &v) < 0);
	CHECK(vb_parse_size("20EiB", &v) < 0);
	CHECK(v == SENTINEL);
	CHECK(vb_parse_size(NULL, &v) == -EINVAL);
}

static void test_parse_double(void)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
		{ "0", 0 },	 { "1.5", 1.5 },     { "-2", -2 },
		{ "1e3", 1000 }, { "0.001", 0.001 }, { "+3", 3 },
	};
	static const char *const bad[] = { "", " 1", "\t1", "1x", "abc", "1.5 ", "1,5", "." };
	double v;

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		v = -1234.5;
		CHECK_MSG(vb_parse_double(good[i].s, &v) == 0, "\"%s\"", good[i].s);
		CHECK_MSG(v == good[i].v, "\"%s\" gave %g", good[i].s, v);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		v = -1234.5;
		CHECK_MSG(vb_parse_double(bad[i], &v) == -EINVAL, "\"%s\" accepted", bad[i]);
		CHECK(v == -1234.5);
	}
	/* Non-finite values are never a number we can use. */
	v = -1234.5;
	CHECK(vb_parse_double("nan", &v) < 0);
	CHECK(vb_parse_double("inf", &v) < 0);
	CHECK(vb_parse_double("-infinity", &v) < 0);
	CHECK(vb_parse_double("1e999", &v) == -ERANGE);
	CHECK(v == -1234.5);
	CHECK(vb_parse_double(NULL, &v) == -EINVAL);
}

static void test_file_round_trip(void)
{
	static const char data[] = "line one\nsecond\0with a NUL\n";
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *missing = NULL;
	char *buf = NULL;
	size_t len = 12345;
	DIR *d;
	struct dirent *de;
	unsigned entries = 0;

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/file.txt", dir);
	CHECK(vb_write_file_atomic(path, data, sizeof(data)) == 0);
	CHECK(vb_read_file(path, 4096, &buf, &len) == 0);
	CHECK(len == sizeof(data));
	CHECK(buf && memcmp(buf, data, sizeof(data)) == 0);
	CHECK(buf && buf[len] == '\0');
	free(buf);
	buf = NULL;

	/* Replacing with shorter content leaves no trace of the old one. */
	CHECK(vb_write_file_atomic(path, "x", 1) == 0);
	CHECK(vb_read_file(path, 4096, &buf, NULL) == 0);
	CHECK(buf && strcmp(buf, "x") == 0);
	free(buf);
	buf = NULL;

	/* The non-durable variant replaces the same way. */
	CHECK(vb_write_file_replace(path, "yz", 2) == 0);
	CHECK(vb_read_file(path, 4096, &buf, NULL) == 0);
	CHECK(buf && strcmp(buf, "yz") == 0);
	free(buf);
	buf = NULL;

	/* An empty file reads as "". */
	CHECK(vb_write_file_atomic(path, "", 0) == 0);
	CHECK(vb_read_file(path, 16, &buf, &len) == 0);
	CHECK(len == 0 && buf && buf[0] == '\0');
	free(buf);
	buf = NULL;

	/* No temporary file is left next to the target. */
	d = opendir(dir);
	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		entries++;
		CHECK_MSG(!strcmp(de->d_name, "file.txt"), "leftover %s", de->d_name);
	}
	if (d)
		closedir(d);
	CHECK(entries == 1);

	missing = xasprintf("%s/no/such/dir/file", dir);
	CHECK(vb_write_file_atomic(missing, "x", 1) == -ENOENT);
	CHECK(vb_read_file(missing, 16, &buf, NULL) == -ENOENT);
	CHECK(buf == NULL);
	CHECK(vb_rm_rf(dir) == 0);
	CHECK(!path_exists(dir));
}

static void test_read_file_max(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = NULL;
	char *buf = NULL;
	size_t len = 0;

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/ten", dir);
	CHECK(vb_write_file_atomic(path, "0123456789", 10) == 0);
	/* ≤ max bytes is fine, including exactly max. */
	CHECK(vb_read_file(path, 11, &buf, &len) == 0);
	CHECK(len == 10 && buf && !strcmp(buf, "0123456789"));
	free(buf);
	buf = NULL;
	CHECK(vb_read_file(path, 10, &buf, &len) == 0);
	CHECK(len == 10 && buf && !strcmp(buf, "0123456789"));
	free(buf);
	buf = NULL;
	CHECK(vb_read_file(path, 9, &buf, &len) == -EFBIG);
	CHECK(buf == NULL);
	CHECK(vb_read_file(path, 0, &buf, &len) == -EFBIG);
	CHECK(buf == NULL);
	/* A directory is not a file. */
	CHECK(vb_read_file(dir, 16, &buf, &len) < 0);
	CHECK(buf == NULL);
	CHECK(vb_rm_rf(dir) == 0);
}

static void test_write_all(void)
{
	int p[2];
	char got[8] = { 0 };
	struct sigaction sa = { .sa_handler = SIG_IGN }, old;

	CHECK(pipe(p) == 0);
	CHECK(vb_write_all(p[1], "abcdef", 6) == 0);
	CHECK(read(p[0], got, sizeof(got)) == 6);
	CHECK(!memcmp(got, "abcdef", 6));
	close(p[0]);
	sigaction(SIGPIPE, &sa, &old);
	CHECK(vb_write_all(p[1], "x", 1) == -EPIPE);
	sigaction(SIGPIPE, &old, NULL);
	close(p[1]);
	CHECK(vb_write_all(-1, "x", 1) == -EBADF);
}

static void test_mkdir_p(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *deep = NULL, *file = NULL, *under = NULL, *slash = NULL;
	struct stat st;

	CHECK(dir != NULL);
	if (!dir)
		return;
	deep = xasprintf("%s/a/b//c/d", dir);
	CHECK(vb_mkdir_p(deep, 0700) == 0);
	CHECK(stat(deep, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK((st.st_mode & 0777) == 0700);
	/* Existing directories are fine. */
	CHECK(vb_mkdir_p(deep, 0700) == 0);
	CHECK(vb_mkdir_p(dir, 0700) == 0);
	slash = xasprintf("%s/e/f/", dir);
	CHECK(vb_mkdir_p(slash, 0755) == 0);
	CHECK(stat(slash, &st) == 0 && S_ISDIR(st.st_mode));

	/* A file in the way. */
	file = xasprintf("%s/file", dir);
	CHECK(vb_write_file_atomic(file, "x", 1) == 0);
	CHECK(vb_mkdir_p(file, 0700) == -ENOTDIR);
	under = xasprintf("%s/file/sub", dir);
	CHECK(vb_mkdir_p(under, 0700) == -ENOTDIR);
	CHECK(vb_mkdir_p("", 0700) < 0);
	CHECK(vb_rm_rf(dir) == 0);
	CHECK(!path_exists(dir));
}

static void test_rm_rf_symlinks(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *outside = NULL, *marker = NULL, *tree = NULL, *sub = NULL;
	_cleanup_free_ char *link1 = NULL, *link2 = NULL, *f = NULL, *toplink = NULL;

	CHECK(dir != NULL);
	if (!dir)
		return;
	outside = xasprintf("%s/outside", dir);
	marker = xasprintf("%s/outside/marker", dir);
	tree = xasprintf("%s/tree", dir);
	sub = xasprintf("%s/tree/sub/deeper", dir);
	link1 = xasprintf("%s/tree/sub/to-outside", dir);
	link2 = xasprintf("%s/tree/to-marker", dir);
	f = xasprintf("%s/tree/sub/deeper/file", dir);
	toplink = xasprintf("%s/toplink", dir);

	CHECK(vb_mkdir_p(outside, 0700) == 0);
	CHECK(vb_write_file_atomic(marker, "keep", 4) == 0);
	CHECK(vb_mkdir_p(sub, 0700) == 0);
	CHECK(vb_write_file_atomic(f, "gone", 4) == 0);
	CHECK(symlink(outside, link1) == 0);
	CHECK(symlink(marker, link2) == 0);

	CHECK(vb_rm_rf(tree) == 0);
	CHECK(!path_exists(tree));
	CHECK(path_exists(marker));
	CHECK(path_exists(outside));

	/* A symlink given as the top is removed itself, not its target. */
	CHECK(symlink(outside, toplink) == 0);
	CHECK(vb_rm_rf(toplink) == 0);
	CHECK(!path_exists(toplink));
	CHECK(path_exists(marker));

	/* Missing is fine; a single file goes. */
	CHECK(vb_rm_rf(tree) == 0);
	CHECK(vb_rm_rf(marker) == 0);
	CHECK(!path_exists(marker));
	CHECK(vb_rm_rf(dir) == 0);
	CHECK(!path_exists(dir));
}

/*
 * The attack of issue 13: while root removes a tree that a user can write
 * to, the user keeps exchanging each subdirectory with a symlink to a
 * directory of root's files of the same names. A removal by path name (as
 * nftw's) follows the link between its stat and its open or unlink and
 * deletes markers; one by descriptor removes only what is in the tree.
 */
struct swapper {
	const char *tree, *links;
	unsigned nsub;
	volatile int stop;
};

static void *swap_loop(void *arg)
{
	struct swapper *sw = arg;
	char a[512], b[512];
	while (!sw->stop)
		for (unsigned i = 0; i < sw->nsub && !sw->stop; i++) {
			snprintf(a, sizeof(a), "%s/s%u", sw->tree, i);
			snprintf(b, sizeof(b), "%s/l%u", sw->links, i);
			renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
		}
	return NULL;
}

static unsigned count_entries(const char *dir)
{
	unsigned n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void make_files(const char *dir, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		_cleanup_free_ char *f = xasprintf("%s/m%u", dir, k);
		int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
	}
}

static void test_rm_rf_swapped(void)
{
	enum { NFILES = 10, NSUB = 10, ROUNDS = 30 };
	_cleanup_free_ char *dir = make_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	_cleanup_free_ char *markers = xasprintf("%s/markers", dir);
	_cleanup_free_ char *tree = xasprintf("%s/tree", dir);
	_cleanup_free_ char *links = xasprintf("%s/links", dir);
	CHECK(mkdir(markers, 0700) == 0);
	make_files(markers, NFILES);
	/* A link already in the tree is removed itself. */
	CHECK(mkdir(tree, 0700) == 0);
	_cleanup_free_ char *link = xasprintf("%s/link", tree);
	CHECK(symlink(markers, link) == 0);
	CHECK(vb_rm_rf(tree) == 0);
	CHECK(!path_exists(tree));
	CHECK(count_entries(markers) == NFILES);

	/* Links swapped in while the walk runs. */
	for (unsigned round = 0; round < ROUNDS; round++) {
		CHECK(mkdir(tree, 0700) == 0);
		vb_rm_rf(links);
		CHECK(mkdir(links, 0700) == 0);
		for (unsigned i = 0; i < NSUB; i++) {
			_cleanup_free_ char *sub = xasprintf("%s/s%u", tree, i);
			_cleanup_free_ char *l = xasprintf("%s/l%u", links, i);
			CHECK(mkdir(sub, 0700) == 0);
			make_files(sub, NFILES);
			CHECK(symlink(markers, l) == 0);
		}
		struct swapper sw = { .tree = tree, .links = links, .nsub = NSUB };
		pthread_t t;
		CHECK(pthread_create(&t, NULL, swap_loop, &sw) == 0);
		for (int tries = 0; tries < 100 && path_exists(tree); tries++)
			vb_rm_rf(tree);
		sw.stop = 1;
		pthread_join(t, NULL);
		vb_rm_rf(tree);
		CHECK(!path_exists(tree));
	}
	CHECK_MSG(count_entries(markers) == NFILES, "%u of %u markers left", count_entries(markers),
		  (unsigned)NFILES);
	CHECK(vb_rm_rf(dir) == 0);
}

/* A mount point inside the tree is not crossed: what is mounted there stays. */
/* A tree far deeper than the walk keeps descriptors open for (a guest can nest thousands). */
static void test_rm_rf_deep(void)
{
	char t[] = "/tmp/vb-rmdeep.XXXXXX";
	CHECK(mkdtemp(t) != NULL);
	int fd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 1000 && fd >= 0; i++) {
		int next = mkdirat(fd, "d", 0755) < 0
			       ? -1
			       : openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next >= 0 && i % 100 == 0)
			close(openat(next, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		close(fd);
		fd = next;
	}
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	int r = vb_rm_rf(t);
	CHECK_MSG(r == 0, "%d", r);
	CHECK(access(t, F_OK) < 0 && errno == ENOENT);
}

static void test_rm_rf_mount(void)
{
	if (geteuid() != 0)
		SKIP("needs root to mount");
	_cleanup_free_ char *dir = make_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	_cleanup_free_ char *src = xasprintf("%s/src", dir);
	_cleanup_free_ char *marker = xasprintf("%s/src/marker", dir);
	_cleanup_free_ char *mnt = xasprintf("%s/tree/mnt", dir);
	_cleanup_free_ char *tree = xasprintf("%s/tree", dir);
	CHECK(vb_mkdir_p(src, 0700) == 0 && vb_mkdir_p(mnt, 0700) == 0);
	CHECK(vb_write_file_replace(marker, "keep", 4) == 0);
	if (mount(src, mnt, NULL, MS_BIND, NULL) < 0) {
		vb_rm_rf(dir);
		SKIP("bind mount not allowed here");
	}
	CHECK(vb_rm_rf(tree) == -EBUSY);
	CHECK(path_exists(marker));
	umount2(mnt, MNT_DETACH);
	CHECK(vb_rm_rf(dir) == 0);
}

/* Only a directory of our own that nobody else can write to is taken. */
static void test_dir_trusted(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	struct vb_error *err = NULL;
	_cleanup_free_ char *state = xasprintf("%s/a/state", dir);
	int fd = vb_dir_open_trusted("state directory", state, false, 0700, &err);
	CHECK(fd == -ENOENT && err);
	vb_error_free(&err);
	fd = vb_dir_open_trusted("state directory", state, true, 0700, &err);
	CHECK(fd >= 0 && !err);
	struct stat st;
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0700);
	if (fd >= 0)
		close(fd);

	/* Writable by others: refused, the message says why. */
	CHECK(chmod(state, 0777) == 0);
	fd = vb_dir_open_trusted("state directory", state, true, 0700, &err);
	CHECK(fd < 0 && err && err->exit_code == VB_EXIT_USAGE && strstr(err->msg, "mode 0777"));
	vb_error_free(&err);
	CHECK(chmod(state, 0700) == 0);

	/* A symlink, even to a good directory: refused. */
	_cleanup_free_ char *link = xasprintf("%s/link", dir);
	CHECK(symlink(state, link) == 0);
	fd = vb_dir_open_trusted("state directory", link, true, 0700, &err);
	CHECK(fd < 0 && err && strstr(err->msg, "symlink"));
	vb_error_free(&err);

	/* A parent others can write to (not sticky) could have it swapped: refused. */
	_cleanup_free_ char *parent = xasprintf("%s/a", dir);
	CHECK(chmod(parent, 0777) == 0);
	fd = vb_dir_open_trusted("state directory", state, true, 0700, &err);
	CHECK(fd < 0 && err && strstr(err->msg, "another user"));
	vb_error_free(&err);
	/* Sticky (as /tmp): others cannot rename what is ours in it. */
	CHECK(chmod(parent, 01777) == 0);
	fd = vb_dir_open_trusted("state directory", state, true, 0700, &err);
	CHECK(fd >= 0 && !err);
	if (fd >= 0)
		close(fd);
	vb_error_free(&err);

	/* Owned by another user: refused (needs root to make one). */
	if (geteuid() == 0) {
		CHECK(chown(state, 65534, 65534) == 0);
		fd = vb_dir_open_trusted("state directory", state, true, 0700, &err);
		CHECK(fd < 0 && err && strstr(err->msg, "owned by uid 65534"));
		vb_error_free(&err);
	}
	fd = vb_dir_open_trusted("state directory", "relative/dir", true, 0700, &err);
	CHECK(fd < 0 && err);
	vb_error_free(&err);
	CHECK(vb_rm_rf(dir) == 0);
}

/*
 * Symlinks planted where a replaced file's temporary used to be
 * (PATH.tmp.PID), and at the path itself: the write goes to a new file at
 * path, and the files the links point to are unchanged.
 */
static void test_write_planted_symlink(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	_cleanup_free_ char *victim = xasprintf("%s/victim", dir);
	_cleanup_free_ char *victim2 = xasprintf("%s/victim2", dir);
	_cleanup_free_ char *out = xasprintf("%s/report.html", dir);
	_cleanup_free_ char *old_tmp = xasprintf("%s.tmp.%ld", out, (long)getpid());
	CHECK(vb_write_file_atomic(victim, "root's", 6) == 0);
	CHECK(vb_write_file_atomic(victim2, "root's too", 10) == 0);
	CHECK(chmod(victim, 0600) == 0);
	CHECK(symlink(victim, old_tmp) == 0);
	char *buf = NULL;
	CHECK(vb_write_file_atomic(out, "report", 6) == 0);
	CHECK(vb_read_file(victim, 64, &buf, NULL) == 0 && buf && !strcmp(buf, "root's"));
	free(buf);
	buf = NULL;
	CHECK(vb_write_file_replace(out, "again", 5) == 0);
	CHECK(vb_read_file(victim, 64, &buf, NULL) == 0 && buf && !strcmp(buf, "root's"));
	free(buf);
	buf = NULL;
	struct stat st;
	CHECK(lstat(out, &st) == 0 && S_ISREG(st.st_mode));
	/* A symlink at the path itself is replaced, not written through. */
	CHECK(unlink(out) == 0 && symlink(victim2, out) == 0);
	CHECK(vb_write_file_atomic(out, "new", 3) == 0);
	CHECK(lstat(out, &st) == 0 && S_ISREG(st.st_mode));
	CHECK(vb_read_file(victim2, 64, &buf, NULL) == 0 && buf && !strcmp(buf, "root's too"));
	free(buf);
	CHECK(vb_rm_rf(dir) == 0);
}

/* Control characters and escape sequences come out as visible escapes. */
static void test_printable(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "\x1b[31mx\ny", "\\x1b[31mx\\ny" },
		{ "a\tb\rc\\d", "a\tb\\x0dc\\d" }, /* a tab is harmless on one line */
		{ "\\x1b[31m", "\\x1b[31m" },	   /* escaping twice changes nothing */
		{ "\x7f", "\\x7f" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" }, /* UTF-8 stays */
		{ "\xc2\x9b"
		  "2J",
		  "\\u009b2J" },     /* C1 CSI as UTF-8 */
		{ "\x9b", "\\x9b" }, /* a lone 8-bit CSI */
		{ "", "" },
	};
	_cleanup_free_ char *null = vb_printable(NULL);
	CHECK(!strcmp(null, "(null)"));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		_cleanup_free_ char *got = vb_printable(cases[i].in);
		CHECK_MSG(!strcmp(got, cases[i].out), "case %zu: %s", i, got);
	}
}

static void test_errors(void)
{
	struct vb_error *err = NULL;

	CHECK(vb_error_set(NULL, -EINVAL, "ignored %d", 1) == -EINVAL);
	CHECK(vb_error_set(&err, -EINVAL, "bad value %d", 7) == -EINVAL);
	CHECK(err && err->code == -EINVAL && err->exit_code == VB_EXIT_USAGE);
	CHECK(err && !strcmp(err->msg, "bad value 7"));
	/* The first cause is kept. */
	CHECK(vb_error_set(&err, -EIO, "later") == -EIO);
	CHECK(err && err->code == -EINVAL && !strcmp(err->msg, "bad value 7"));
	CHECK(vb_error_wrap(&err, "parsing %s", "x.json") == -EINVAL);
	CHECK(vb_error_wrap(&err, "loading") == -EINVAL);
	CHECK(err && !strcmp(err->msg, "loading: parsing x.json: bad value 7"));
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	CHECK(err == NULL);
	vb_error_free(&err);
	vb_error_free(NULL);
	CHECK(vb_error_wrap(&err, "nothing") == -EIO);
	CHECK(err == NULL);
	CHECK(vb_error_wrap(NULL, "nothing") == -EIO);

	CHECK(vb_error_set(&err, VB_SKIP, "no /dev/kvm") == VB_SKIP);
	CHECK(err && err->code == VB_SKIP && err->exit_code == VB_EXIT_UNAVAILABLE);
	vb_error_free(&err);
	vb_error_set(&err, -ERANGE, "too big");
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	vb_error_set(&err, -EIO, "disk");
	CHECK(err && err->exit_code == VB_EXIT_MEASUREMENT);
	vb_error_free(&err);
	vb_error_set(&err, -EINTR, "stopped");
	CHECK(err && err->exit_code == VB_EXIT_INTERRUPTED);
	vb_error_free(&err);

	CHECK(vb_error_errno(&err, ENOENT, "open %s", "f") == -ENOENT);
	CHECK(err && !strcmp(err->msg, "open f: No such file or directory"));
	CHECK(err && err->exit_code == VB_EXIT_MEASUREMENT);
	vb_error_free(&err);
	CHECK(vb_error_errno(&err, -EACCES, "x") == -EACCES);
	vb_error_free(&err);
	CHECK(vb_error_errno(&err, 0, "x") == -EIO);
	vb_error_free(&err);

	CHECK(vb_error_exit(&err, -ENOENT, VB_EXIT_USAGE, "no run %s", "3") == -ENOENT);
	CHECK(err && err->code == -ENOENT && err->exit_code == VB_EXIT_USAGE);
	CHECK(err && !strcmp(err->msg, "no run 3"));
	vb_error_free(&err);
}

static void test_is_token(void)
{
	char big[70];

	CHECK(vb_is_token("a", 64));
	CHECK(vb_is_token("cpu.primes", 64));
	CHECK(vb_is_token("A-Z_a-z.0-9", 64));
	CHECK(vb_is_token("-", 1));
	CHECK(!vb_is_token("", 64));
	CHECK(!vb_is_token(NULL, 64));
	CHECK(!vb_is_token("a b", 64));
	CHECK(!vb_is_token("a/b", 64));
	CHECK(!vb_is_token("a\nb", 64));
	CHECK(!vb_is_token("caf\xc3\xa9", 64));
	CHECK(!vb_is_token("x", 0));
	memset(big, 'x', 64);
	big[64] = '\0';
	CHECK(vb_is_token(big, 64));
	CHECK(!vb_is_token(big, 63));
	big[64] = 'x';
	big[65] = '\0';
	CHECK(!vb_is_token(big, 64));
}

static void test_json_getters(void)
{
	json_error_t jerr;
	_cleanup_json_ json_t *o = json_loads(
	    "{\"s\":\"abc\",\"i\":5,\"r\":2.5,\"b\":true,\"n\":null,\"neg\":-3}", 0, &jerr);
	const char *s = NULL;
	long long i = 0;
	double d = 0;
	bool b = false;
	char *line;

	CHECK(o != NULL);
	if (!o)
		return;
	CHECK(vb_json_str(o, "s", 3, &s) == 0 && s && !strcmp(s, "abc"));
	CHECK(vb_json_str(o, "s", 2, &s) == -EINVAL);
	CHECK(vb_json_str(o, "i", 10, &s) == -EINVAL);
	CHECK(vb_json_str(o, "missing", 10, &s) == -ENOENT);
	CHECK(vb_json_int(o, "i", 0, 5, &i) == 0 && i == 5);
	CHECK(vb_json_int(o, "i", 0, 4, &i) == -EINVAL);
	CHECK(vb_json_int(o, "neg", 0, 4, &i) == -EINVAL);
	CHECK(vb_json_int(o, "r", 0, 10, &i) == -EINVAL);
	CHECK(vb_json_int(o, "missing", 0, 10, &i) == -ENOENT);
	CHECK(vb_json_num(o, "r", &d) == 0 && d == 2.5);
	CHECK(vb_json_num(o, "i", &d) == 0 && d == 5);
	CHECK(vb_json_num(o, "s", &d) == -EINVAL);
	CHECK(vb_json_bool(o, "b", &b) == 0 && b);
	CHECK(vb_json_bool(o, "i", &b) == -EINVAL);
	CHECK(vb_json_bool(o, "n", &b) == -EINVAL);
	{
		/* An embedded NUL would truncate what we act on. */
		_cleanup_json_ json_t *z =
		    json_loads("{\"s\":\"a\\u0000b\"}", JSON_ALLOW_NUL, &jerr);

		CHECK(z != NULL);
		CHECK(z && vb_json_str(z, "s", 10, &s) == -EINVAL);
	}
	line = vb_json_line(o);
	CHECK(!strcmp(line, "{\"s\":\"abc\",\"i\":5,\"r\":2.5,\"b\":true,\"n\":null,\"neg\":-3}"));
	free(line);
}

/* Guest text made printable: controls, C1 and broken UTF-8 escaped, the rest kept. */
static void test_text_clean(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain \xc3\xa9 text\tok", "plain \xc3\xa9 text\tok" },
		{ "\x1b[2J\x1b]0;t\x07", "\\x1b[2J\\x1b]0;t\\x07" },
		{ "a\nb\rc\x7f", "a\\nb\\x0dc\\x7f" },
		{ "\xc2\x9b"
		  "31m",
		  "\\u009b31m" }, /* C1 CSI, as UTF-8 */
		{ "\x9b"
		  "31m \xff\xc3",
		  "\\x9b31m \\xff\\xc3" },		    /* raw 8-bit CSI, bad UTF-8 */
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },	    /* a surrogate */
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" }, /* U+1F600 is kept */
		{ "", "" },
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(cases); i++) {
		char *c = vb_text_clean(cases[i].in);
		CHECK_MSG(c && !strcmp(c, cases[i].out), "case %zu gave %s", i, c);
		free(c);
	}
	CHECK(vb_text_clean(NULL) == NULL);
	char *c = vb_text_cleann("a\0b", 3);
	CHECK(c && !strcmp(c, "a\\x00b"));
	free(c);
}

/* The first error is kept whole, exit code included; a later one is released. */
static void test_error_keep(void)
{
	struct vb_error *err = NULL, *a = NULL, *b = NULL;

	vb_error_exit(&a, -ENOENT, 3, "first");
	vb_error_set(&b, -EIO, "second");
	CHECK(vb_error_keep(&err, &a) == -ENOENT && !a);
	CHECK(err && err->exit_code == 3 && !strcmp(err->msg, "first"));
	CHECK(vb_error_keep(&err, &b) == -ENOENT && !b && !strcmp(err->msg, "first"));
	CHECK(vb_error_keep(&err, &b) == -ENOENT);
	vb_error_free(&err);
	CHECK(vb_error_keep(&err, &b) == 0 && !err);
	vb_error_set(&a, -EIO, "dropped");
	CHECK(vb_error_keep(NULL, &a) == 0 && !a);
}

TEST_MAIN(T(test_parse_u64), T(test_parse_size), T(test_parse_double), T(test_file_round_trip),
	  T(test_read_file_max), T(test_write_all), T(test_mkdir_p), T(test_rm_rf_symlinks),
	  T(test_rm_rf_swapped), T(test_rm_rf_deep), T(test_rm_rf_mount), T(test_dir_trusted),
	  T(test_write_planted_symlink), T(test_printable), T(test_errors), T(test_is_token),
	  T(test_json_getters), T(test_text_clean), T(test_error_keep))
