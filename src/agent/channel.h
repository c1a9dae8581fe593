/* SPDX-License-Identifier: MIT */
#ifndef VB_AGENT_CHANNEL_H
#define VB_AGENT_CHANNEL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A line channel over a pair of file descriptors (a pipe pair, a socket, a
 * virtio-serial port). Lines longer than max_line are an error, never a
 * buffer that grows without bound.
 */
struct vb_channel {
	int rfd, wfd;		/* owned; rfd may equal wfd */
	char *buf;		/* read buffer, max_line + 1 + slack bytes */
	size_t start, len, cap; /* unconsumed bytes are buf[start, start + len) */
	size_t max_line;
	size_t discard; /* a too-long line is being skipped: bytes left unknown */
};

void vb_channel_init(struct vb_channel *c, int rfd, int wfd, size_t max_line);
/* Close the descriptors and free the buffer; safe twice. */
void vb_channel_release(struct vb_channel *c);

/* Send one line (a '\n' is appended). Returns 0 or -errno (-EPIPE when the peer is gone). */
int vb_channel_send(struct vb_channel *c, const char *line);

/*
 * Would a short line go out now without blocking (or fail at once, the peer
 * being gone)? False while nothing reads the other end and its buffer has
 * filled: a serial port whose guest side is not open yet, for one.
 */
bool vb_channel_writable(const struct vb_channel *c);

/*
 * Receive one line without its newline, NUL-terminated, in *line (valid until
 * the next call). timeout_ms < 0 waits forever. Returns 0; -ETIMEDOUT;
 * -EPIPE at end of file (a partial last line is dropped); -E2BIG for a line
 * longer than max_line (skipped: the next call reads the line after it);
 * -EINTR when *interrupted became non-zero while waiting; -errno on I/O errors.
 */
int vb_channel_recv(struct vb_channel *c, int timeout_ms, const volatile sig_atomic_t *interrupted,
		    char **line, size_t *len);

/*
 * Wait until a whole line is buffered (without consuming it): 0 when one
 * is, -ETIMEDOUT, -EPIPE, -EINTR as vb_channel_recv.
 */
int vb_channel_poll_line(struct vb_channel *c, int timeout_ms,
			 const volatile sig_atomic_t *interrupted);

#endif
