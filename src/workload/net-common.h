/* SPDX-License-Identifier: MIT */
#ifndef VB_WORKLOAD_NET_COMMON_H
#define VB_WORKLOAD_NET_COMMON_H

/*
 * The w3 peer's wire protocol (docs/workloads.md). A client opens a TCP
 * connection and sends a 16-byte hello: magic "VBP1", mode (u32, network
 * order), and a u64 byte limit (network order) the peer will not exceed.
 *   SINK: the peer reads and discards until EOF, then sends the number of
 *         bytes it received as a u64 and closes.
 *   ECHO: the peer writes back every byte it reads until EOF, then sends
 *         the number of bytes it echoed as a u64 and closes.
 * The count lets the client check the peer received exactly what was sent.
 *   LOAD:  a service workload's client, run by the peer on the host against
 *         the connecting guest's own address (where=host, docs/apps.md):
 *         the request and reply are in workload/service.h.
 */
#include <stdint.h>
#include <sys/types.h>

#include "virtbench/error.h"

#define VB_PEER_MAGIC 0x56425032u /* "VBP2" */
#define VB_PEER_SINK 1u
#define VB_PEER_ECHO 2u
#define VB_PEER_LOAD 3u
#define VB_PEER_MAX_BYTES ((uint64_t)1 << 40) /* per connection, whatever the client asks */
#define VB_PEER_IDLE_S 30		      /* a silent connection is dropped after this */

/*
 * token: the peer's own random 16 bytes, which it printed after its address
 * ("listening A:P/TOKEN", 32 hex digits) and which only the run's guests
 * learn (in their jobs' "peer"). A hello without it is dropped: any user of
 * the host can connect to the peer, but not make it work.
 */
struct vb_peer_hello {
	uint32_t magic, mode;
	uint64_t limit;
	uint8_t token[16];
} __attribute__((packed));

#define VB_PEER_MAX_TEXT 96 /* "[v6]:port/token" at most */

/*
 * A peer's text "addr:port/TOKEN" into its address ("addr:port", in
 * hostport of n bytes) and token; 0, or -EINVAL when it is not that form.
 */
int vb_peer_split(const char *peer, char *hostport, size_t n, uint8_t token[16]);

/*
 * Connect to the peer at "addr:port/TOKEN" in the given mode with a byte
 * limit; returns a connected socket (TCP_NODELAY set) or a negative code
 * with *err.
 */
int vb_peer_connect(const char *peer, uint32_t mode, uint64_t limit, const char *who,
		    struct vb_error **err);

/* After shutdown(SHUT_WR): read the peer's u64 count. Returns 0 or -errno with *err. */
int vb_peer_read_count(int fd, uint64_t *count, const char *who, struct vb_error **err);

/* Read exactly n bytes (EINTR-safe); -EPIPE at EOF. */
int vb_read_full(int fd, void *buf, size_t n);

#endif
