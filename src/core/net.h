/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_NET_H
#define VB_CORE_NET_H

#include <stdbool.h>
#include <sys/socket.h>

/*
 * Parse "A.B.C.D:PORT" or "[v6]:PORT" (numeric only: no name lookups).
 * Returns 0, or -EINVAL for anything else (port 0 is allowed only when
 * allow_port0, for listening on an ephemeral port).
 */
int vb_parse_hostport(const char *s, bool allow_port0, struct sockaddr_storage *out,
		      socklen_t *len);

/* Is the address loopback (127.0.0.0/8 or ::1)? */
bool vb_addr_is_loopback(const struct sockaddr_storage *a);

/* Format as "A.B.C.D:PORT" / "[v6]:PORT" into buf. */
const char *vb_format_hostport(const struct sockaddr_storage *a, char *buf, size_t len);

#endif
