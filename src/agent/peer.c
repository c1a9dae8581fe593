/* SPDX-License-Identifier: MIT */
#include <endian.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "agent/peer.h"
#include "core/net.h"
#include "core/util.h"
#include "workload/net-common.h"
#include "workload/service.h"

#define MAX_CONNECTIONS 64
#define CHUNK (256 * 1024)

static atomic_int active;
static volatile sig_atomic_t peer_stop;
static uint8_t token[16]; /* this peer's, from getrandom; said once on stdout */

static void on_term(int sig)
{
	(void)sig;
	peer_stop = 1;
}

static void serve(int fd)
{
	struct vb_peer_hello h;
	if (vb_read_full(fd, &h, sizeof(h)) || ntohl(h.magic) != VB_PEER_MAGIC)
		return;
	/* Every byte compared, whatever the first difference. */
	uint8_t diff = 0;
	for (size_t i = 0; i < sizeof(token); i++)
		diff |= (uint8_t)(h.token[i] ^ token[i]);
	if (diff)
		return;
	uint32_t mode = ntohl(h.mode);
	uint64_t limit = be64toh(h.limit);
	if (limit > VB_PEER_MAX_BYTES)
		limit = VB_PEER_MAX_BYTES;
	if (mode == VB_PEER_LOAD) {
		vb_load_serve(fd);
		return;
	}
	if (mode != VB_PEER_SINK && mode != VB_PEER_ECHO)
		return;
	_cleanup_free_ char *buf = xmalloc(CHUNK);
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* idle timeout or reset: no count, the client sees it */
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > limit)
			return; /* more than the client announced: drop it */
		if (mode == VB_PEER_ECHO && vb_write_all(fd, buf, (size_t)n))
			return;
	}
	uint64_t be = htobe64(total);
	(void)vb_write_all(fd, &be, sizeof(be));
}

static void *conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	serve(fd);
	close(fd);
	atomic_fetch_sub(&active, 1);
	return NULL;
}

int vb_peer_main(const char *listen_addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (vb_parse_hostport(listen_addr, true, &ss, &sl)) {
		fprintf(stderr, "virtbench peer: %s is not a numeric address:port\n", listen_addr);
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	_cleanup_close_ int lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&ss, sl) < 0 || listen(lfd, 16) < 0) {
		fprintf(stderr, "virtbench peer: cannot listen on %s: %s\n", listen_addr,
			strerror(errno));
		return 1;
	}
	if (getrandom(token, sizeof(token), 0) != sizeof(token)) {
		fprintf(stderr, "virtbench peer: no random token: %s\n", strerror(errno));
		return 1;
	}
	sl = sizeof(ss);
	getsockname(lfd, (struct sockaddr *)&ss, &sl);
	char addr[80], hex[33];
	for (size_t i = 0; i < sizeof(token); i++)
		snprintf(hex + 2 * i, 3, "%02x", token[i]);
	printf("listening %s/%s\n", vb_format_hostport(&ss, addr, sizeof(addr)), hex);
	fflush(stdout);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (!peer_stop) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN },
				       { .fd = STDIN_FILENO, .events = POLLIN } };
		int r = poll(p, 2, 1000);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		/* The supervisor holds our stdin: when it closes, we are done. */
		if (p[1].revents) {
			char c;
			if (read(STDIN_FILENO, &c, 1) <= 0)
				break;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (atomic_fetch_add(&active, 1) >= MAX_CONNECTIONS) {
			atomic_fetch_sub(&active, 1);
			close(fd);
			continue;
		}
		struct timeval tv = { .tv_sec = VB_PEER_IDLE_S };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_t t;
		if (pthread_create(&t, &attr, conn_thread, (void *)(intptr_t)fd)) {
			atomic_fetch_sub(&active, 1);
			close(fd);
		}
	}
	pthread_attr_destroy(&attr);
	return 0;
}
