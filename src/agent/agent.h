/* SPDX-License-Identifier: MIT */
#ifndef VB_AGENT_AGENT_H
#define VB_AGENT_AGENT_H

/*
 * Serve the agent protocol on (rfd, wfd): say hello, then run jobs until a
 * quit message or end of input. Returns the process exit status (0 when the
 * channel ended cleanly). Takes ownership of both descriptors.
 */
int vb_agent_serve(int rfd, int wfd);

/* `virtbench agent` and the static virtbench-agent share this entry point. */
int vb_agent_main(int argc, char **argv);

#endif
