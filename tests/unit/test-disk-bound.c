/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/runtime/disk-bound.c: the walk that measures a guest's
 * layer (allocated blocks, by descriptor, symlinks never followed, a depth
 * limit) and the watch that stops a guest going over its bound. No root: a
 * private directory under /var/tmp and a child process as the "guest".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/disk-bound.h"
#include "test.h"

static char *tmpdir(void)
{
	char *t = xstrdup("/var/tmp/vb-test-disk.XXXXXX");
	if (!mkdtemp(t))
		abort();
	return t;
}

/* A file of n bytes actually written (allocated, not sparse). */
static int write_file(const char *path, size_t n)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	char buf[65536];
	memset(buf, 'x', sizeof(buf));
	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		if (write(fd, buf, k) != (ssize_t)k)
			return -1;
		n -= k;
	}
	return 0;
}

static void test_usage(void)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *sub = xasprintf("%s/a", d);
	_cleanup_free_ char *f = xasprintf("%s/a/big", d);
	_cleanup_free_ char *sparse = xasprintf("%s/sparse", d);
	_cleanup_free_ char *link = xasprintf("%s/usr", d);
	struct vb_error *err = NULL;
	uint64_t b = 0;
	CHECK(mkdir(sub, 0700) == 0);
	CHECK(write_file(f, 1 << 20) == 0);
	/* Not written back yet: delayed allocation still shows in st_blocks. */
	CHECK(vb_disk_usage(d, &b, &err) == 0);
	CHECK_MSG(b >= (1 << 20) && b < (2 << 20), "%llu", (unsigned long long)b);
	/* A symlink out of the tree and a sparse file cost (almost) nothing. */
	CHECK(symlink("/usr", link) == 0);
	_cleanup_close_ int fd = open(sparse, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, 1ll << 30) == 0);
	uint64_t b2 = 0;
	CHECK(vb_disk_usage(d, &b2, &err) == 0);
	CHECK_MSG(b2 >= b && b2 < b + 65536, "%llu vs %llu", (unsigned long long)b2,
		  (unsigned long long)b);
	CHECK(vb_disk_usage(link, &b2, &err) < 0); /* the root itself: not followed either */
	vb_error_free(&err);
	vb_rm_rf(d);
}

static void test_too_deep(void)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *p = xstrdup(d);
	for (int i = 0; i < VB_DISK_MAX_DEPTH + 3; i++) {
		char *q = xasprintf("%s/d", p);
		free(p);
		p = q;
		CHECK(mkdir(p, 0700) == 0);
	}
	struct vb_error *err = NULL;
	uint64_t b = 0;
	CHECK(vb_disk_usage(d, &b, &err) == -ELOOP);
	CHECK(err && strstr(err->msg, "deeper than"));
	vb_error_free(&err);
	vb_rm_rf(d);
}

static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void test_watch_kills(void)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *f = xasprintf("%s/f", d);
	const char *dirs[] = { d };
	pid_t pid = sleeper();
	struct vb_disk_watch *w = NULL;
	struct vb_error *err = NULL;
	CHECK(vb_disk_watch_start(dirs, 1, 512 << 10, pid, NULL, &w, &err) == 0);
	CHECK(write_file(f, 1 << 20) == 0);
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(vb_disk_watch_check(w, &err) == -ENOSPC);
	vb_error_free(&err);
	CHECK(vb_disk_watch_stop(w, &err) == -ENOSPC);
	CHECK_MSG(err && strstr(err->msg, "over its bound") && strstr(err->msg, "stopped"), "%s",
		  err ? err->msg : "(none)");
	vb_error_free(&err);
	vb_rm_rf(d);
}

static void test_watch_within(void)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *f = xasprintf("%s/f", d);
	const char *dirs[] = { d };
	pid_t pid = sleeper();
	struct vb_disk_watch *w = NULL;
	struct vb_error *err = NULL;
	CHECK(vb_disk_watch_start(dirs, 1, 4 << 20, pid, NULL, &w, &err) == 0);
	CHECK(write_file(f, 1 << 20) == 0);
	usleep(3 * VB_DISK_WATCH_MS * 1000);
	CHECK(vb_disk_watch_check(w, &err) == 0);
	CHECK(vb_disk_watch_stop(w, &err) == 0);
	CHECK(!err);
	vb_error_free(&err);
	/* Still alive: the watch killed nothing. */
	CHECK(waitpid(pid, NULL, WNOHANG) == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* Over the bound when it stops (written between two looks): caught, nothing killed. */
	pid = sleeper();
	CHECK(vb_disk_watch_start(dirs, 1, 512 << 10, pid, NULL, &w, &err) == 0);
	CHECK(vb_disk_watch_stop(w, &err) == -ENOSPC);
	CHECK(err && !strstr(err->msg, "stopped"));
	vb_error_free(&err);
	CHECK(waitpid(pid, NULL, WNOHANG) == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(vb_disk_watch_stop(NULL, &err) == 0);
	vb_rm_rf(d);
}

/* The rlimit leaves the layer room below the bound for its directories. */
static void test_fsize_max(void)
{
	CHECK(vb_disk_fsize_max(64ull << 20) == 63ull << 20);
	CHECK(vb_disk_fsize_max(4ull << 30) == (4ull << 30) - (1 << 20));
	CHECK(vb_disk_fsize_max(1 << 20) == 512 << 10);
}

TEST_MAIN(T(test_usage), T(test_fsize_max), T(test_too_deep), T(test_watch_kills),
	  T(test_watch_within))
