/* SPDX-License-Identifier: MIT */
#include <endian.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
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

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int vb_peer_split(const char *peer, char *hostport, size_t n, uint8_t token[16])
{
	const char *slash = strchr(peer, '/');
	if (!slash || (size_t)(slash - peer) >= n || strlen(slash + 1) != 32)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		int hi = hex_digit(slash[1 + 2 * i]), lo = hex_digit(slash[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		token[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(hostport, peer, (size_t)(slash - peer));
	hostport[slash - peer] = '\0';
	struct sockaddr_storage ss;
	socklen_t sl;
	return vb_parse_hostport(hostport, false, &ss, &sl) ? -EINVAL : 0;
}

int vb_peer_connect(const char *text, uint32_t mode, uint64_t limit, const char *who,
		    struct vb_error **err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char peer[VB_PEER_MAX_TEXT];
	struct vb_peer_hello h = { htonl(VB_PEER_MAGIC), htonl(mode), htobe64(limit), { 0 } };
	if (!text)
		return vb_error_set(err, -EINVAL,
				    "%s: needs a peer, and virtbench did not start one", who);
	if (vb_peer_split(text, peer, sizeof(peer), h.token) ||
	    vb_parse_hostport(peer, false, &ss, &sl))
		return vb_error_set(err, -EINVAL, "%s: bad peer address %.64s", who, text);
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
