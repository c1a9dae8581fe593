/* SPDX-License-Identifier: MIT */
/* A real agent loop in a forked child, for tests that drive it (include after test.h). */
#ifndef VB_AGENT_TEST_H
#define VB_AGENT_TEST_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/channel.h"
#include "agent/protocol.h"

struct agent_proc {
	pid_t pid;
	struct vb_channel ch; /* ours: reads the agent's events, writes its jobs */
};

static __attribute__((unused)) bool agent_start(struct agent_proc *a)
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC) < 0)
		return false;
	if (pipe2(from, O_CLOEXEC) < 0) {
		close(to[0]);
		close(to[1]);
		return false;
	}
	fflush(stdout); /* the child must not repeat our buffered TAP lines */
	a->pid = fork();
	if (a->pid < 0)
		return false;
	if (a->pid == 0) {
		close(to[1]);
		close(from[0]);
		_exit(vb_agent_serve(to[0], from[1], false));
	}
	close(to[0]);
	close(from[1]);
	vb_channel_init(&a->ch, from[0], to[1], VB_PROTO_MAX_LINE);
	return true;
}

#endif
