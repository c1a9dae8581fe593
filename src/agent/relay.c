/* SPDX-License-Identifier: MIT */
/*
 * The relay between the host's virtio-serial port and a Xen domU's console
 * (docs/xen.md), run by dom0 once per domU session. A poll loop rather than
 * cat in a shell: a port whose host is away reports POLLHUP and blocks
 * writers, and a domU that goes away must end the session even then.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>

#include "agent/relay.h"
#include "core/util.h"

#define RELAY_BUF 65536
#define LOG_LINE 512
/* How often a port whose host side is not connected is tried again. */
#define BACKOFF_MS 100

struct rbuf {
	char d[RELAY_BUF];
	size_t len;
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rbuf_drop(struct rbuf *b, size_t n)
{
	memmove(b->d, b->d + n, b->len - n);
	b->len -= n;
}

static void rbuf_add(struct rbuf *b, const char *p, size_t n)
{
	if (n > RELAY_BUF - b->len)
		VB_BUG("relay buffer overrun");
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

/* Write out what b holds: 0 (also when fd would block), or -errno. */
static int rbuf_flush(int fd, struct rbuf *b)
{
	while (b->len) {
		ssize_t n = write(fd, b->d, b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		rbuf_drop(b, (size_t)n);
	}
	return 0;
}

/* Drop mode: whole lines from the host go; a partial last line stays for the switch. */
static void drop_lines(struct rbuf *b)
{
	char *nl = memrchr(b->d, '\n', b->len);
	if (nl)
		rbuf_drop(b, (size_t)(nl - b->d) + 1);
	else if (b->len == RELAY_BUF)
		b->len = 0; /* no line of the host's is that long: not ours */
}

struct boot_log {
	char line[LOG_LINE];
	size_t len;
	int fd;
	const char *label;
};

/* One console line before the agent's: true when it is the ready marker. */
static bool boot_line(struct boot_log *l)
{
	while (l->len && l->line[l->len - 1] == '\r')
		l->len--;
	l->line[l->len] = '\0';
	bool ready = strstr(l->line, VB_RELAY_READY) != NULL;
	if (!ready) {
		char out[LOG_LINE + 64];
		int n = snprintf(out, sizeof(out), "%s| %s\n", l->label, l->line);
		(void)vb_write_all(l->fd, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out));
	}
	l->len = 0;
	return ready;
}

int vb_relay_run(int port, int console, int log, const char *label)
{
	if (fcntl(port, F_SETFL, fcntl(port, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(console, F_SETFL, fcntl(console, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	struct rbuf *to_con = xcalloc(1, sizeof(*to_con)), *to_port = xcalloc(1, sizeof(*to_port));
	struct boot_log bl = { .fd = log, .label = label };
	bool ready = false;
	long long backoff_until = 0;
	int r = 0;
	char tmp[4096];
	for (;;) {
		long long now = mono_ms();
		bool port_on = now >= backoff_until;
		struct pollfd p[2] = {
			{ .fd = console,
			  .events = (short)((to_port->len < RELAY_BUF ? POLLIN : 0) |
					    (ready && to_con->len ? POLLOUT : 0)) },
			{ .fd = port_on ? port : -1,
			  .events = (short)((to_con->len < RELAY_BUF ? POLLIN : 0) |
					    (to_port->len ? POLLOUT : 0)) },
		};
		if (poll(p, 2, port_on ? -1 : (int)(backoff_until - now)) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (p[0].revents & POLLIN) {
			size_t room = RELAY_BUF - to_port->len;
			ssize_t k = read(console, tmp, room < sizeof(tmp) ? room : sizeof(tmp));
			if (k == 0 || (k < 0 && errno == EIO))
				break; /* the domU is gone: its console hung up */
			if (k < 0 && errno != EAGAIN && errno != EINTR) {
				r = -errno;
				break;
			}
			for (ssize_t i = 0; i < k; i++) {
				if (ready) {
					rbuf_add(to_port, tmp + i, (size_t)(k - i));
					break;
				}
				if (tmp[i] == '\n' || bl.len == LOG_LINE - 1) {
					ready = boot_line(&bl);
					if (tmp[i] != '\n')
						bl.line[bl.len++] = tmp[i];
				} else {
					bl.line[bl.len++] = tmp[i];
				}
			}
		} else if (p[0].revents & (POLLHUP | POLLERR)) {
			break;
		}
		if ((p[0].revents & POLLOUT) && (r = rbuf_flush(console, to_con)) < 0) {
			if (r == -EIO)
				r = 0;
			break;
		}
		if (p[1].revents & POLLIN) {
			size_t room = RELAY_BUF - to_con->len;
			ssize_t k = read(port, to_con->d + to_con->len, room);
			if (k == 0) {
				backoff_until =
				    mono_ms() + BACKOFF_MS; /* the host is not connected */
			} else if (k < 0 && errno != EAGAIN && errno != EINTR) {
				r = -errno;
				break;
			} else if (k > 0) {
				to_con->len += (size_t)k;
				if (!ready)
					drop_lines(to_con);
			}
		} else if (p[1].revents & (POLLHUP | POLLERR)) {
			backoff_until = mono_ms() + BACKOFF_MS;
		}
		if ((p[1].revents & POLLOUT) && (r = rbuf_flush(port, to_port)) < 0)
			break;
	}
	free(to_con);
	free(to_port);
	return r;
}

/*
 * A unix socket port (xen-local: virtbench listens there on a host that is
 * a dom0 itself): connected. -1 with errno, ENOTSOCK when port is none.
 */
static int connect_port(const char *port)
{
	struct stat st;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (stat(port, &st) < 0)
		return -1;
	if (!S_ISSOCK(st.st_mode) || strlen(port) >= sizeof(sa.sun_path)) {
		errno = ENOTSOCK;
		return -1;
	}
	memcpy(sa.sun_path, port, strlen(port) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int vb_relay_main(const char *port, const char *console, const char *label)
{
	int pfd = -1;
	/* A virtio port opens once: the previous session may still be closing it. */
	for (int i = 0; i < 50; i++) {
		pfd = open(port, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (pfd < 0 && errno == ENXIO)
			pfd = connect_port(port);
		if (pfd >= 0 || errno != EBUSY)
			break;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (pfd < 0) {
		fprintf(stderr, "%s: relay: opening %s: %s\n", label, port, strerror(errno));
		return 1;
	}
	int cfd = open(console, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	struct termios t;
	if (cfd < 0 || tcgetattr(cfd, &t) < 0) {
		fprintf(stderr, "%s: relay: opening %s: %s\n", label, console, strerror(errno));
		close(pfd);
		return 1;
	}
	cfmakeraw(&t);
	tcsetattr(cfd, TCSANOW, &t);
	fflush(stdout);
	int r = vb_relay_run(pfd, cfd, STDOUT_FILENO, label);
	close(pfd);
	close(cfd);
	if (r) {
		fprintf(stderr, "%s: relay: %s\n", label, strerror(-r));
		return 1;
	}
	printf("%s: console closed, relay ends\n", label);
	return 0;
}
