/* SPDX-License-Identifier: MIT */
#ifndef VB_AGENT_AGENT_H
#define VB_AGENT_AGENT_H

#include <stdbool.h>

/*
 * Serve the agent protocol on (rfd, wfd): say hello (at once, or with
 * wait_sync when the first sync message arrives: on a virtio-serial port
 * whatever the guest writes before the host listens is lost), then run jobs
 * until a quit message or end of input. Returns the process exit status (0 when the
 * channel ended cleanly). Takes ownership of both descriptors.
 */
int vb_agent_serve(int rfd, int wfd, bool wait_sync);

/* `virtbench agent` and the static virtbench-agent share this entry point. */
int vb_agent_main(int argc, char **argv);

#endif
