/* SPDX-License-Identifier: MIT */
/*
 * The relay between the host's terminal and a container started from it
 * (runtime/tty.h): a pty of the container's own, or pipes, never the host's
 * terminal itself. Hand-written: no library does a pty relay that a static
 * binary could use, and it is one poll loop.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/tty.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A pipe whose read end (dir 0) or write end (dir 1) is the container's. */
static int child_pipe(struct vb_tty_relay *t, int which, int *ours, struct vb_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "tty relay: pipe");
	int theirs = which == 0 ? p[0] : p[1];
	*ours = which == 0 ? p[1] : p[0];
	t->child[which] = t->own[which] = theirs;
	fcntl(*ours, F_SETFL, fcntl(*ours, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* The container's own pty: its slave becomes 0 1 (and 2 where the host's is a terminal). */
static int open_pty(struct vb_tty_relay *t, struct vb_error **err)
{
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0)
		return vb_error_errno(err, errno, "tty relay: opening a pty");
	if (grantpt(t->master) < 0 || unlockpt(t->master) < 0)
		return vb_error_errno(err, errno, "tty relay: unlocking the pty");
	int slave = ioctl(t->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return vb_error_errno(err, errno, "tty relay: opening the pty's slave");
	t->own[0] = slave;
	t->child[0] = t->child[1] = slave;
	t->child[2] = isatty(STDERR_FILENO) ? slave : STDERR_FILENO;
	t->ctty = true;
	/* It starts as the host terminal is, in its modes and size. */
	struct winsize ws;
	tcsetattr(slave, TCSANOW, &t->orig);
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
	fcntl(t->master, F_SETFL, fcntl(t->master, F_GETFL) | O_NONBLOCK);
	return 0;
}

int vb_tty_relay_init(struct vb_tty_relay *t, struct vb_error **err)
{
	*t = (struct vb_tty_relay){
		.child = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO },
		.master = -1,
		.in_w = -1,
		.out_r = -1,
		.err_r = -1,
		.own = { -1, -1, -1 },
	};
	bool in = isatty(STDIN_FILENO), out = isatty(STDOUT_FILENO), errt = isatty(STDERR_FILENO);
	/* Reading the terminal from its background would stop us (SIGTTIN). */
	bool fg = in && tcgetpgrp(STDIN_FILENO) == getpgrp();
	int r = 0;
	if (fg && out && tcgetattr(STDIN_FILENO, &t->orig) == 0) {
		r = open_pty(t, err);
	} else {
		if (fg) {
			r = child_pipe(t, 0, &t->in_w, err);
		} else if (in) {
			t->child[0] = t->own[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (t->child[0] < 0)
				r = vb_error_errno(err, errno, "tty relay: opening /dev/null");
		}
		if (!r && out)
			r = child_pipe(t, 1, &t->out_r, err);
		if (!r && errt)
			r = child_pipe(t, 2, &t->err_r, err);
	}
	if (r)
		vb_tty_relay_release(t);
	return r;
}

void vb_tty_relay_started(struct vb_tty_relay *t)
{
	for (int i = 0; i < 3; i++)
		close_fd(&t->own[i]);
}

/* One direction: src's bytes to dst, through buf. */
struct stream {
	int *src, *dst;
	bool eof;
	size_t len, off;
	char buf[4096];
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the host side is gone: what is left is dropped */
		p += w;
		n -= (size_t)w;
	}
}

/* Read what src has now; false at its end (EOF, or EIO: a pty without a slave). */
static bool fill(struct stream *s)
{
	ssize_t n = read(*s->src, s->buf, sizeof(s->buf));
	if (n > 0) {
		s->len = (size_t)n;
		s->off = 0;
		return true;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR);
}

static void flush(struct stream *s)
{
	ssize_t w = write(*s->dst, s->buf + s->off, s->len - s->off);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w <= 0) {
		s->len = s->off = 0; /* the other side is gone */
		s->eof = true;
		return;
	}
	s->off += (size_t)w;
	if (s->off == s->len)
		s->len = s->off = 0;
}

/* After the container's end: pass on what it left in the pty or the pipes. */
static void drain(struct stream *s)
{
	if (s->len)
		write_all(*s->dst, s->buf + s->off, s->len - s->off);
	s->len = 0;
	while (!s->eof && fill(s) && s->len) {
		write_all(*s->dst, s->buf, s->len);
		s->len = 0;
	}
}

int vb_tty_relay_wait(struct vb_tty_relay *t, pid_t pid, int *status, volatile sig_atomic_t *stop,
		      struct vb_error **err)
{
	static int in_fd = STDIN_FILENO, out_fd = STDOUT_FILENO, err_fd = STDERR_FILENO;
	struct stream s[3] = { 0 };
	int ns = 0, nin = -1;
	if (t->master >= 0) {
		nin = ns;
		s[ns++] = (struct stream){ .src = &in_fd, .dst = &t->master };
		s[ns++] = (struct stream){ .src = &t->master, .dst = &out_fd };
	} else {
		if (t->in_w >= 0) {
			nin = ns;
			s[ns++] = (struct stream){ .src = &in_fd, .dst = &t->in_w };
		}
		if (t->out_r >= 0)
			s[ns++] = (struct stream){ .src = &t->out_r, .dst = &out_fd };
		if (t->err_r >= 0)
			s[ns++] = (struct stream){ .src = &t->err_r, .dst = &err_fd };
	}
	/* The signals that end the wait or resize the pty come only inside ppoll. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct sigaction sa = { .sa_handler = on_winch }, old_winch;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, &old_winch);
	if (t->master >= 0) {
		struct termios raw = t->orig;
		cfmakeraw(&raw);
		raw.c_lflag |= ISIG; /* ^C, ^\ and ^Z still act on virtbench */
		t->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int r = 0;
	bool exited = false;
	while (!exited) {
		if (*stop) {
			kill(pid, SIGKILL);
			r = vb_error_set(err, -EINTR, "interrupted");
			break;
		}
		if (winch && t->master >= 0) {
			struct winsize ws;
			if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				ioctl(t->master, TIOCSWINSZ, &ws);
		}
		winch = 0;
		struct pollfd p[4];
		int np = 0, at[3];
		for (int i = 0; i < ns; i++) {
			at[i] = -1;
			if (s[i].len)
				p[at[i] = np++] =
				    (struct pollfd){ .fd = *s[i].dst, .events = POLLOUT };
			else if (!s[i].eof)
				p[at[i] = np++] =
				    (struct pollfd){ .fd = *s[i].src, .events = POLLIN };
		}
		p[np++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		/* Without a pidfd (Linux < 5.3): look every 100 ms. */
		struct timespec tick = { 0, 100000000 };
		int n = ppoll(p, (nfds_t)np, pidfd >= 0 ? NULL : &tick, &old);
		if (n < 0 && errno != EINTR) {
			r = vb_error_errno(err, errno, "tty relay: poll");
			kill(pid, SIGKILL);
			break;
		}
		for (int i = 0; n > 0 && i < ns; i++) {
			if (at[i] < 0 || !p[at[i]].revents)
				continue;
			if (s[i].len)
				flush(&s[i]);
			else if (!fill(&s[i]))
				s[i].eof = true;
			/* The end of the host's stdin is the end of the container's (pipe mode). */
			if (i == nin && s[i].eof && t->master < 0)
				close_fd(&t->in_w);
		}
		exited = pidfd >= 0 ? n > 0 && (p[np - 1].revents & POLLIN)
				    : waitpid(pid, status, WNOHANG) == pid;
		if (exited && pidfd < 0) {
			pid = -1; /* reaped already */
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	for (int i = 0; !r && i < ns; i++)
		if (i != nin)
			drain(&s[i]);
	if (t->raw && tcsetattr(STDIN_FILENO, TCSANOW, &t->orig) == 0)
		t->raw = false;
	sigaction(SIGWINCH, &old_winch, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (pid > 0 && waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return r;
}

void vb_tty_relay_release(struct vb_tty_relay *t)
{
	if (t->raw && tcsetattr(STDIN_FILENO, TCSANOW, &t->orig) == 0)
		t->raw = false;
	vb_tty_relay_started(t);
	close_fd(&t->master);
	close_fd(&t->in_w);
	close_fd(&t->out_r);
	close_fd(&t->err_r);
}
