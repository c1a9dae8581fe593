/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dom0's relay (src/agent/relay.c) over socket pairs: the
 * host's lines are dropped until the guest's ready marker, a partial line
 * then goes through whole, bytes flow both ways, the boot log is labelled,
 * and the session ends when the guest's console hangs up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "agent/relay.h"
#include "core/util.h"

struct session {
	int port, console, log;
	int r;
};

static void *run(void *p)
{
	struct session *s = p;
	s->r = vb_relay_run(s->port, s->console, s->log, "domU1");
	return NULL;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* What fd says within ms (up to n - 1 bytes, NUL-terminated). */
static size_t read_for(int fd, char *buf, size_t n, int ms)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (got + 1 < n && poll(&p, 1, ms) == 1) {
		ssize_t k = read(fd, buf + got, n - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	buf[got] = '\0';
	return got;
}

static void put(int fd, const char *s)
{
	CHECK(vb_write_all(fd, s, strlen(s)) == 0);
}

static void test_session(void)
{
	int host[2], guest[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, host) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, guest) == 0);
	FILE *log = tmpfile();
	CHECK(log != NULL);
	if (!log)
		return;
	struct session s = { .port = host[1], .console = guest[1], .log = fileno(log) };
	pthread_t t;
	CHECK(pthread_create(&t, NULL, run, &s) == 0);
	/* Syncs before the agent is up: dropped, but the partial line waits. */
	put(host[0], "{\"type\":\"sync\"}\n{\"type\":\"sync\"}\n{\"par");
	pause_ms(200);
	put(guest[0], "[1.0] booting\r\nvirtbench domU: /scratch\nVBREADY\nhello\n");
	pause_ms(200);
	put(host[0], "tial\":1}\njob\n");
	char buf[256];
	read_for(guest[0], buf, sizeof(buf), 500);
	CHECK_MSG(!strcmp(buf, "{\"partial\":1}\njob\n"), "the guest got '%s'", buf);
	read_for(host[0], buf, sizeof(buf), 500);
	CHECK_MSG(!strcmp(buf, "hello\n"), "the host got '%s'", buf);
	/* The guest goes: the session ends by itself. */
	close(guest[0]);
	pthread_join(t, NULL);
	CHECK_MSG(s.r == 0, "relay returned %d", s.r);
	rewind(log);
	size_t n = fread(buf, 1, sizeof(buf) - 1, log);
	buf[n] = '\0';
	CHECK_MSG(!strcmp(buf, "domU1| [1.0] booting\ndomU1| virtbench domU: /scratch\n"),
		  "the boot log is '%s'", buf);
	fclose(log);
	close(host[0]);
	close(host[1]);
	close(guest[1]);
}

/* A host that is not connected (end of file on the port) keeps no session from ending. */
static void test_host_away(void)
{
	int host[2], guest[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, host) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, guest) == 0);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct session s = { .port = host[1], .console = guest[1], .log = null };
	shutdown(host[0], SHUT_WR);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, run, &s) == 0);
	pause_ms(300);
	put(guest[0], "VBREADY\n");
	close(guest[0]);
	pthread_join(t, NULL);
	CHECK_MSG(s.r == 0, "relay returned %d", s.r);
	close(null);
	close(host[0]);
	close(host[1]);
	close(guest[1]);
}

struct main_args {
	const char *port, *console;
	int r;
};

static void *run_main(void *p)
{
	struct main_args *a = p;
	a->r = vb_relay_main(a->port, a->console, "domU2");
	return NULL;
}

/*
 * xen-local: the port is a unix socket the host listens on (no virtio port
 * on a real dom0); the console a pty, as xenconsoled's. The relay connects,
 * passes the agent's bytes after the marker, and ends when the pty's other
 * side closes.
 */
static void test_socket_port(void)
{
	char dir[] = "/tmp/vb-relay.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	_cleanup_free_ char *path = xasprintf("%s/agent0.sock", dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(l >= 0 && bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(l, 1) == 0);
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
	struct main_args a = { .port = path, .console = ptsname(master) };
	/* The relay's boot log goes to stdout: not into the TAP stream. */
	fflush(stdout);
	int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(out >= 0 && null >= 0 && dup2(null, STDOUT_FILENO) == STDOUT_FILENO);
	close(null);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, run_main, &a) == 0);
	int c = accept(l, NULL, NULL);
	CHECK(c >= 0);
	pause_ms(200); /* the relay sets the pty raw */
	put(master, "booting\nVBREADY\nhello\n");
	char buf[256];
	read_for(c, buf, sizeof(buf), 1000);
	CHECK_MSG(!strcmp(buf, "hello\n"), "the host got '%s'", buf);
	put(c, "job\n");
	read_for(master, buf, sizeof(buf), 1000);
	CHECK_MSG(!strcmp(buf, "job\n"), "the guest got '%s'", buf);
	close(master);
	pthread_join(t, NULL);
	fflush(stdout);
	dup2(out, STDOUT_FILENO);
	close(out);
	CHECK_MSG(a.r == 0, "relay exit %d", a.r);
	close(c);
	close(l);
	unlink(path);
	rmdir(dir);
}

TEST_MAIN(T(test_session), T(test_host_away), T(test_socket_port))
