/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>

#include "core/caplog.h"
#include "core/text.h"
#include "core/util.h"

static void put(struct vb_caplog *lc, const char *buf, size_t n)
{
	if (lc->size + n > lc->cap) {
		if (!lc->head)
			lc->head = lc->size < lc->cap / 2 ? lc->size : lc->cap / 2;
		char mark[256];
		int m = snprintf(mark, sizeof(mark),
				 "\n[virtbench: the guest wrote %llu bytes in all; the log keeps "
				 "at most %zu: what came after this point and before the "
				 "lines below was dropped]\n",
				 (unsigned long long)lc->seen, lc->cap);
		if (ftruncate(lc->out, (off_t)lc->head) < 0 ||
		    lseek(lc->out, (off_t)lc->head, SEEK_SET) < 0)
			return;
		(void)vb_write_all(lc->out, mark, (size_t)m);
		lc->size = lc->head + (size_t)m;
		/* A chunk larger than the room left: its end is what matters. */
		size_t room = lc->cap - lc->size;
		if (n > room) {
			buf += n - room;
			n = room;
		}
	}
	if (vb_write_all(lc->out, buf, n) == 0)
		lc->size += n;
}

static void *drain(void *data)
{
	struct vb_caplog *lc = data;
	char buf[16384];
	for (;;) {
		struct pollfd p = { .fd = lc->fd, .events = POLLIN };
		int r = poll(&p, 1, lc->stop ? 0 : 100);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0) {
			if (lc->stop)
				break;
			continue;
		}
		ssize_t n = read(lc->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* every writer is gone */
		lc->seen += (uint64_t)n;
		put(lc, buf, (size_t)n);
	}
	lc->done = true;
	return NULL;
}

int vb_caplog_start(struct vb_caplog *lc, int fd, const char *path, size_t cap,
		    struct vb_error **err)
{
	memset(lc, 0, sizeof(*lc));
	lc->fd = fd;
	lc->out = -1;
	lc->cap = cap < 65536 ? 65536 : cap;
	lc->out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lc->out < 0) {
		int e = errno;
		vb_closep(&lc->fd);
		lc->fd = -1;
		return vb_error_errno(err, e, "creating %s", path);
	}
	int r = pthread_create(&lc->thread, NULL, drain, lc);
	if (r) {
		close(lc->fd);
		close(lc->out);
		lc->fd = lc->out = -1;
		return vb_error_errno(err, r, "starting the reader of %s", path);
	}
	lc->started = true;
	return 0;
}

int vb_caplog_pipe(struct vb_caplog *lc, const char *path, size_t cap, int *wfd,
		   struct vb_error **err)
{
	int pp[2];
	memset(lc, 0, sizeof(*lc));
	lc->fd = lc->out = -1;
	if (pipe2(pp, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "a pipe for %s", path);
	int r = vb_caplog_start(lc, pp[0], path, cap, err);
	if (r) {
		close(pp[1]);
		return r;
	}
	*wfd = pp[1];
	return 0;
}

int vb_caplog_fifo(struct vb_caplog *lc, const char *fifo, const char *path, size_t cap,
		   struct vb_error **err)
{
	memset(lc, 0, sizeof(*lc));
	lc->fd = lc->out = -1;
	if (unlink(fifo) < 0 && errno != ENOENT)
		return vb_error_errno(err, errno, "removing %s", fifo);
	if (mkfifo(fifo, 0600) < 0)
		return vb_error_errno(err, errno, "creating the FIFO %s", fifo);
	/* Open for reading without a writer yet: poll waits for the first one. */
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return vb_error_errno(err, errno, "opening %s", fifo);
	return vb_caplog_start(lc, fd, path, cap, err);
}

void vb_caplog_wait(const struct vb_caplog *lc, int ms)
{
	for (int waited = 0; lc->started && !lc->done && waited < ms; waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void vb_caplog_stop(struct vb_caplog *lc)
{
	if (!lc->started)
		return;
	/* What the guest wrote last is what an error quotes: read it first. */
	for (int i = 0; i < 20; i++) {
		struct pollfd p = { .fd = lc->fd, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	lc->stop = true;
	pthread_join(lc->thread, NULL);
	close(lc->fd);
	close(lc->out);
	lc->fd = lc->out = -1;
	lc->started = false;
}

char *vb_caplog_last_line(const char *path, const char *skip)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (vb_read_file(path, 4 << 20, &text, &len) < 0)
		return NULL;
	/* The last line that says something: from the end, without a copy. */
	size_t end = len;
	while (end > 0) {
		while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r'))
			end--;
		size_t start = end;
		while (start > 0 && text[start - 1] != '\n' && text[start - 1] != '\r')
			start--;
		bool blank = true;
		for (size_t i = start; i < end && blank; i++)
			blank = text[i] == ' ' || text[i] == '\t';
		if (!blank && (!skip || !memmem(text + start, end - start, skip, strlen(skip))))
			return vb_text_cleann(text + start, end - start);
		end = start;
	}
	return NULL;
}
