/* SPDX-License-Identifier: MIT */
#include <endian.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "core/net.h"
#include "core/util.h"
#include "workload/net-common.h"

int vb_read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int vb_peer_connect(const char *peer, uint32_t mode, uint64_t limit, const char *who,
		    struct vb_error **err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (!peer)
		return vb_error_set(err, -EINVAL,
				    "%s: needs a peer, and virtbench did not start one", who);
	if (vb_parse_hostport(peer, false, &ss, &sl))
		return vb_error_set(err, -EINVAL, "%s: bad peer address %.64s", who, peer);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vb_error_errno(err, errno, "%s: socket", who);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct timeval tv = { .tv_sec = VB_PEER_IDLE_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;
		close(fd);
		return vb_error_errno(err, e, "%s: connecting to the peer %s", who, peer);
	}
	struct vb_peer_hello h = { htonl(VB_PEER_MAGIC), htonl(mode), htobe64(limit) };
	int r = vb_write_all(fd, &h, sizeof(h));
	if (r) {
		close(fd);
		return vb_error_errno(err, -r, "%s: greeting the peer %s", who, peer);
	}
	return fd;
}

int vb_peer_read_count(int fd, uint64_t *count, const char *who, struct vb_error **err)
{
	uint64_t be;
	int r = vb_read_full(fd, &be, sizeof(be));
	if (r)
		return vb_error_errno(err, -r, "%s: reading the peer's byte count", who);
	*count = be64toh(be);
	return 0;
}
