/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "agent/channel.h"
#include "core/util.h"

void vb_channel_init(struct vb_channel *c, int rfd, int wfd, size_t max_line)
{
	memset(c, 0, sizeof(*c));
	c->rfd = rfd;
	c->wfd = wfd;
	c->max_line = max_line;
	c->cap = max_line + 1 + 4096;
	c->buf = xmalloc(c->cap + 1);
}

void vb_channel_release(struct vb_channel *c)
{
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	c->rfd = c->wfd = -1;
	free(c->buf);
	c->buf = NULL;
}

int vb_channel_send(struct vb_channel *c, const char *line)
{
	size_t n = strlen(line);
	_cleanup_free_ char *msg = xmalloc(n + 1);
	memcpy(msg, line, n);
	msg[n] = '\n';
	/* One write per line, so lines from two threads never interleave within a pipe buffer. */
	return vb_write_all(c->wfd, msg, n + 1);
}

bool vb_channel_writable(const struct vb_channel *c)
{
	/* Not when the other end is gone: a write would only fail with EPIPE. */
	struct pollfd pfd = { .fd = c->wfd, .events = POLLOUT };
	return c->wfd >= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT) &&
	       !(pfd.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* Look for a complete line in the buffer; handles the skip of an over-long line. */
static int take_line(struct vb_channel *c, char **line, size_t *len, int *found)
{
	char *p = c->buf + c->start;
	char *nl = memchr(p, '\n', c->len);
	*found = 0;
	if (c->discard) {
		if (!nl) {
			c->start = c->len = 0;
			return 0;
		}
		size_t skip = (size_t)(nl - p) + 1;
		c->start += skip;
		c->len -= skip;
		c->discard = 0;
		p = c->buf + c->start;
		nl = memchr(p, '\n', c->len);
	}
	if (!nl) {
		if (c->len > c->max_line) {
			c->discard = 1;
			c->start = c->len = 0;
			return -E2BIG;
		}
		return 0;
	}
	size_t n = (size_t)(nl - p);
	if (n > c->max_line) {
		c->start += n + 1;
		c->len -= n + 1;
		return -E2BIG;
	}
	*nl = '\0';
	*line = p;
	*len = n;
	c->start += n + 1;
	c->len -= n + 1;
	*found = 1;
	return 0;
}

int vb_channel_recv(struct vb_channel *c, int timeout_ms, const volatile sig_atomic_t *interrupted,
		    char **line, size_t *len)
{
	long long deadline = timeout_ms < 0 ? -1 : (long long)vb_monotonic_ms() + timeout_ms;
	for (;;) {
		int found;
		int r = take_line(c, line, len, &found);
		if (r || found)
			return r;
		if (interrupted && *interrupted)
			return -EINTR;
		/* Compact, then read more. */
		if (c->start) {
			memmove(c->buf, c->buf + c->start, c->len);
			c->start = 0;
		}
		int wait = -1;
		bool last = false;
		if (deadline >= 0) {
			long long left = deadline - (long long)vb_monotonic_ms();
			/* Past the deadline, still take what is already there (timeout 0 polls). */
			last = left <= 0;
			wait = last ? 0 : left > 1000 ? 1000 : (int)left;
		} else if (interrupted) {
			wait = 1000;
		}
		struct pollfd pfd = { .fd = c->rfd, .events = POLLIN };
		int pr = poll(&pfd, 1, wait);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pr == 0) {
			if (last)
				return -ETIMEDOUT;
			continue;
		}
		ssize_t n = read(c->rfd, c->buf + c->len, c->cap - c->len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* A peer that closed with our lines unread resets: closed all the same. */
			return errno == ECONNRESET ? -EPIPE : -errno;
		}
		if (n == 0)
			return -EPIPE;
		c->len += (size_t)n;
	}
}

int vb_channel_poll_line(struct vb_channel *c, int timeout_ms,
			 const volatile sig_atomic_t *interrupted)
{
	long long deadline = (long long)vb_monotonic_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		if (memchr(c->buf + c->start, '\n', c->len))
			return 0;
		if (interrupted && *interrupted)
			return -EINTR;
		if (c->start) {
			memmove(c->buf, c->buf + c->start, c->len);
			c->start = 0;
		}
		if (c->len >= c->cap)
			return 0; /* full without a newline: let recv report the long line */
		long long left = deadline - (long long)vb_monotonic_ms();
		if (left < 0)
			left = 0;
		struct pollfd pfd = { .fd = c->rfd, .events = POLLIN };
		int pr = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr > 0) {
			ssize_t n = read(c->rfd, c->buf + c->len, c->cap - c->len);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return errno == ECONNRESET ? -EPIPE : -errno;
			if (n == 0)
				return -EPIPE;
			if (n > 0)
				c->len += (size_t)n;
			continue;
		}
		if ((long long)vb_monotonic_ms() >= deadline)
			return -ETIMEDOUT;
	}
}
