/* SPDX-License-Identifier: MIT */
/*
 * The enforced disk cap of a container guest (disk-bound.h). The walk is
 * hand-written: it must go by descriptor and count allocated blocks, which
 * neither nftw (follows paths) nor du (another process) does here.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <time.h>

#include "core/util.h"
#include "runtime/disk-bound.h"

static int walk(int dfd, unsigned depth, uint64_t *sum)
{
	if (depth > VB_DISK_MAX_DEPTH) {
		close(dfd);
		return -ELOOP;
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = errno;
		close(dfd);
		return -e;
	}
	int r = 0;
	struct dirent *de;
	while (!r && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		*sum += (uint64_t)st.st_blocks * 512;
		if (!S_ISDIR(st.st_mode))
			continue;
		int fd =
		    openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			r = walk(fd, depth + 1, sum);
	}
	if (!r && errno)
		r = -errno;
	closedir(d);
	return r;
}

int vb_disk_usage(const char *dir, uint64_t *bytes, struct vb_error **err)
{
	*bytes = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vb_error_errno(err, errno, "cannot open %s", dir);
	struct stat st;
	if (fstat(fd, &st) == 0)
		*bytes += (uint64_t)st.st_blocks * 512;
	int r = walk(fd, 0, bytes);
	if (r == -ELOOP)
		return vb_error_set(err, r, "%s is nested deeper than %d directories", dir,
				    VB_DISK_MAX_DEPTH);
	if (r)
		return vb_error_errno(err, -r, "cannot measure %s", dir);
	return 0;
}

struct vb_disk_watch {
	char **dirs; /* copies */
	size_t n;
	uint64_t bound;
	pid_t pid;
	struct vb_cgroup *cg; /* borrowed, or NULL */
	dev_t dev;	      /* the layer's filesystem (its deleted, open files count) */
	int stop_fd;	      /* an eventfd: written once by stop */
	pthread_t thread;
	/*
	 * Written by whoever looks (the thread, or check while the thread may
	 * look too) under lock; read under it.
	 */
	pthread_mutex_t lock;
	uint64_t peak;
	bool killed;
	int walk_r;
	char walk_msg[256];
};

/* A file the guest deleted but holds open, on the host's disk: through its overlay or the layer. */
static bool held_deleted(const struct vb_disk_watch *w, int fd, struct stat *st)
{
	struct statfs fs;
	return fstat(fd, st) == 0 && S_ISREG(st->st_mode) && st->st_nlink == 0 &&
	       st->st_blocks > 0 &&
	       (st->st_dev == w->dev ||
		(fstatfs(fd, &fs) == 0 && fs.f_type == OVERLAYFS_SUPER_MAGIC));
}

/* Order by file (device, inode), so that each file is counted once. */
static int cmp_file(const void *a, const void *b)
{
	const struct stat *x = a, *y = b;
	if (x->st_dev != y->st_dev)
		return x->st_dev < y->st_dev ? -1 : 1;
	return (x->st_ino > y->st_ino) - (x->st_ino < y->st_ino);
}

/* Sort held files and keep each once; how many are left. */
static size_t unique_files(struct stat *held, size_t n)
{
	size_t k = 0;
	if (n)
		qsort(held, n, sizeof(*held), cmp_file);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || cmp_file(&held[k - 1], &held[i]))
			held[k++] = held[i];
	return k;
}

/*
 * Blocks of files the guest's processes hold open after deleting them: no
 * walk of the layer sees them, yet they stay on the host as long as they are
 * open (found in review: 300 MB held that way past a 64 MiB bound). Each
 * file once, however many descriptors name it (sorted, not compared pair by
 * pair: a guest may hold thousands).
 */
static uint64_t deleted_open(struct vb_disk_watch *w)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, nheld = 0, cap = 0;
	_cleanup_free_ struct stat *held = NULL;
	if (!w->cg || vb_cgroup_pids(w->cg, &pids, &n, NULL))
		return 0;
	/*
	 * Its descriptors, and its mappings: a file mapped, closed and then
	 * deleted is held by the mapping alone (found in review: ten 40 MB
	 * files held that way past a 64 MiB bound).
	 */
	static const char *const kinds[] = { "fd", "map_files" };
	for (size_t i = 0; i < 2 * n; i++) {
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%d/%s", (int)pids[i / 2], kinds[i % 2]);
		DIR *d = opendir(dir);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			/*
			 * Full: each file once first (one file mapped or opened
			 * thousands of times must not cost thousands of entries).
			 */
			if (nheld == cap) {
				nheld = unique_files(held, nheld);
				if (cap == 0 || nheld > cap / 2) {
					cap = cap ? 2 * cap : 16;
					held = xrealloc(held, cap * sizeof(*held));
				}
			}
			/* The magic link, opened O_PATH: the open or mapped file itself, not a
			 * path. */
			int fd = openat(dirfd(d), de->d_name, O_PATH | O_CLOEXEC);
			if (fd >= 0 && held_deleted(w, fd, &held[nheld]))
				nheld++;
			if (fd >= 0)
				close(fd);
		}
		if (d)
			closedir(d);
	}
	nheld = unique_files(held, nheld);
	uint64_t sum = 0;
	for (size_t k = 0; k < nheld; k++)
		sum += (uint64_t)held[k].st_blocks * 512;
	return sum;
}

/*
 * One look; true when the usage is over the bound or unknown. With kill,
 * the guest is killed then (once).
 */
static bool look(struct vb_disk_watch *w, bool kill_it, uint64_t *used)
{
	uint64_t sum = 0;
	int r = 0;
	struct vb_error *e = NULL;
	for (size_t i = 0; i < w->n && !r; i++) {
		uint64_t b;
		r = vb_disk_usage(w->dirs[i], &b, &e);
		sum += b;
	}
	if (!r)
		sum += deleted_open(w);
	pthread_mutex_lock(&w->lock);
	if (r && !w->walk_r) {
		w->walk_r = r;
		snprintf(w->walk_msg, sizeof(w->walk_msg), "%s", e->msg);
	}
	vb_error_free(&e);
	if (!r && sum > w->peak)
		w->peak = sum;
	if (used)
		*used = sum;
	bool over = r || sum > w->bound || w->killed;
	if (over && kill_it && !w->killed) {
		/* All at once: a writer outlives its PID 1 by milliseconds of writes. */
		if (w->cg)
			vb_cgroup_kill_now(w->cg);
		kill(w->pid, SIGKILL);
		w->killed = true;
	}
	pthread_mutex_unlock(&w->lock);
	return over;
}

/*
 * How long until the next look: the time the guest would need to fill the
 * room left below the bound writing at VB_DISK_WATCH_RATE (page-cache
 * speed), between VB_DISK_WATCH_MIN_MS and VB_DISK_WATCH_MS, so that looks
 * come often only near the bound; and never less than twice the last walk,
 * so that a huge tree does not make the supervisor a busy walker.
 */
static int next_wait(const struct vb_disk_watch *w, uint64_t used, int64_t walk_ms)
{
	uint64_t room_ms = used < w->bound ? (w->bound - used) / VB_DISK_WATCH_RATE : 0;
	int wait_ms = room_ms < VB_DISK_WATCH_MIN_MS ? VB_DISK_WATCH_MIN_MS
		      : room_ms < VB_DISK_WATCH_MS   ? (int)room_ms
						     : VB_DISK_WATCH_MS;
	return walk_ms * 2 > wait_ms ? (int)(walk_ms * 2) : wait_ms;
}

static void *watch_main(void *data)
{
	struct vb_disk_watch *w = data;
	int wait_ms = next_wait(w, 0, 0);
	/* A late look is an overshoot: this thread goes before the busy guest (root may). */
	setpriority(PRIO_PROCESS, (id_t)gettid(), -20);
	for (;;) {
		struct pollfd p = { .fd = w->stop_fd, .events = POLLIN };
		if (poll(&p, 1, wait_ms) != 0)
			break; /* stopped (or poll failed: stop looks once more anyway) */
		int64_t t0 = vb_monotonic_ms();
		uint64_t used = 0;
		bool ov = look(w, true, &used);
		int64_t t1 = vb_monotonic_ms();
		if (ov)
			break;
		wait_ms = next_wait(w, used, t1 - t0);
	}
	return NULL;
}

static void watch_free(struct vb_disk_watch *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->dirs[i]);
	free(w->dirs);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int vb_disk_watch_start(const char *const *dirs, size_t n, uint64_t bound, pid_t kill_pid,
			struct vb_cgroup *cg, struct vb_disk_watch **out, struct vb_error **err)
{
	struct vb_disk_watch *w = xcalloc(1, sizeof(*w));
	w->dirs = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		w->dirs[i] = xstrdup(dirs[i]);
	w->n = n;
	w->bound = bound;
	w->pid = kill_pid;
	w->cg = cg;
	struct stat st;
	w->dev = n && stat(dirs[0], &st) == 0 ? st.st_dev : 0;
	pthread_mutex_init(&w->lock, NULL);
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (w->stop_fd < 0) {
		int e = errno;
		watch_free(w);
		return vb_error_errno(err, e, "disk watch: eventfd");
	}
	int r = pthread_create(&w->thread, NULL, watch_main, w);
	if (r) {
		close(w->stop_fd);
		watch_free(w);
		return vb_error_errno(err, r, "disk watch: starting its thread");
	}
	*out = w;
	return 0;
}

/* The reason, when over (under the lock or after the thread is gone). */
static int verdict(struct vb_disk_watch *w, bool over, struct vb_error **err)
{
	if (!over)
		return 0;
	const char *how = w->killed ? ": the guest was stopped" : "";
	if (w->walk_r)
		return vb_error_set(err, w->walk_r,
				    "its disk could not be measured against its bound of %llu "
				    "bytes (%s)%s",
				    (unsigned long long)w->bound, w->walk_msg, how);
	return vb_error_set(err, -ENOSPC,
			    "its disk went over its bound: %llu bytes in use, bound %llu bytes "
			    "(enforced cap)%s",
			    (unsigned long long)w->peak, (unsigned long long)w->bound, how);
}

int vb_disk_watch_check(struct vb_disk_watch *w, struct vb_error **err)
{
	if (!w)
		return 0;
	bool over = look(w, true, NULL);
	pthread_mutex_lock(&w->lock);
	int r = verdict(w, over, err);
	pthread_mutex_unlock(&w->lock);
	return r;
}

int vb_disk_watch_stop(struct vb_disk_watch *w, struct vb_error **err)
{
	if (!w)
		return 0;
	uint64_t one = 1;
	if (write(w->stop_fd, &one, sizeof(one)) < 0)
		VB_BUG("disk watch: eventfd write failed");
	pthread_join(w->thread, NULL);
	close(w->stop_fd);
	int r = verdict(w, look(w, false, NULL), err);
	watch_free(w);
	return r;
}
