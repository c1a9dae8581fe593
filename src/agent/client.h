/* SPDX-License-Identifier: MIT */
#ifndef VB_AGENT_CLIENT_H
#define VB_AGENT_CLIENT_H

#include <signal.h>

#include "agent/channel.h"
#include "agent/protocol.h"
#include "core/run.h"
#include "virtbench/platform.h"

/*
 * Wait for the agent's hello. Returns 0, -ETIMEDOUT, -EINTR, or -EPROTO when
 * the agent said something else or speaks another protocol version.
 */
int vb_agent_client_hello(struct vb_channel *c, double timeout_s, struct vb_event *hello,
			  struct vb_error **err);

/*
 * For an agent started with --sync (behind a serial port, which drops what
 * the guest writes before the host listens): send sync messages every
 * half second until the hello arrives (skipping a sync while the channel
 * would block), then check it as above.
 */
int vb_agent_client_hello_sync(struct vb_channel *c, double timeout_s, struct vb_event *hello,
			       struct vb_error **err);

/*
 * Send job and pass every event to cb until the agent's "done" for it.
 * Returns 0 when done said ok; -EIO with the agent's error text when the job
 * failed; -EPROTO when the agent sent garbage or events of another job;
 * -ETIMEDOUT after timeout_s without done; -EINTR on interruption; -EPIPE
 * when the agent went away. After any error but -EIO the channel is unusable.
 */
int vb_agent_client_exec(struct vb_channel *c, const struct vb_job *job, double timeout_s,
			 vb_event_cb cb, void *data, struct vb_error **err);

/*
 * A platform's exec: the job with scratch as its scratch directory (the
 * path as the guest sees it), then vb_agent_client_exec. *broken says the channel can
 * no longer be used (anything but a job that failed cleanly, -EIO), so the
 * platform must stop its guest.
 */
int vb_agent_client_run(struct vb_channel *c, const struct vb_job *job, const char *scratch,
			double timeout_s, vb_event_cb cb, void *data, bool *broken,
			struct vb_error **err);

/*
 * Ask the agent to quit (best effort: never blocks, skipped when the channel
 * is full or its other end is gone). Returns whether the request went out.
 */
bool vb_agent_client_quit(struct vb_channel *c);

#endif
