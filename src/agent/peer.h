/* SPDX-License-Identifier: MIT */
#ifndef VB_AGENT_PEER_H
#define VB_AGENT_PEER_H

/*
 * The w3 peer (`virtbench-agent --peer ADDR:PORT`): listen on a numeric
 * address (port 0 = any), print "listening ADDR:PORT" on stdout, then serve
 * the sink/echo protocol of src/workload/net-common.h until stdin closes or
 * SIGTERM. Every connection is bounded in bytes and idle time, and at most
 * 64 are served at once. Returns the exit status.
 */
int vb_peer_main(const char *listen_addr);

#endif
