/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <time.h>

#include "agent/client.h"
#include "core/util.h"
#include "virtbench/workload.h"

static int timeout_ms(double s)
{
	return (s <= 0 || s > 86400 * 7) ? -1 : (int)ceil(s * 1000);
}

static int recv_error(int r, const char *what, struct vb_error **err)
{
	switch (r) {
	case -ETIMEDOUT:
		return vb_error_set(err, r, "agent did not answer in time (%s)", what);
	case -EINTR:
		return vb_error_set(err, r, "interrupted");
	case -EPIPE:
		return vb_error_set(err, r, "agent closed the channel (%s)", what);
	case -E2BIG:
		return vb_error_set(err, -EPROTO, "agent sent a message longer than %d bytes",
				    VB_PROTO_MAX_LINE);
	default:
		return vb_error_errno(err, -r, "reading from the agent (%s)", what);
	}
}

int vb_agent_client_hello(struct vb_channel *c, double timeout_s, struct vb_event *hello,
			  struct vb_error **err)
{
	char *line;
	size_t len;
	int r = vb_channel_recv(c, timeout_ms(timeout_s), &vb_interrupted, &line, &len);
	if (r)
		return recv_error(r, "waiting for hello", err);
	r = vb_event_parse(line, len, hello, err);
	if (r)
		return vb_error_wrap(err, "agent hello");
	if (hello->type != VB_EV_HELLO) {
		vb_event_release(hello);
		return vb_error_set(err, -EPROTO, "agent spoke before saying hello");
	}
	if (hello->protocol != VB_PROTOCOL_VERSION) {
		long long p = hello->protocol;
		vb_event_release(hello);
		return vb_error_set(err, -EPROTO, "agent speaks protocol %lld, this virtbench %d",
				    p, VB_PROTOCOL_VERSION);
	}
	return 0;
}

int vb_agent_client_hello_sync(struct vb_channel *c, double timeout_s, struct vb_event *hello,
			       struct vb_error **err)
{
	struct vb_job sync = { .sync = true };
	_cleanup_free_ char *line_out = vb_job_format(&sync);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		/*
		 * Until the guest opens its end, what is sent piles up: a blocking
		 * send would hang once the buffer is full (about 280 syncs, under
		 * nested Xen's slow boots), and no timeout would fire. Skip a sync
		 * rather than block; later ones go out when the guest reads.
		 */
		int r = vb_channel_writable(c) ? vb_channel_send(c, line_out) : 0;
		if (r)
			return vb_error_errno(err, -r, "sending sync to the agent");
		r = vb_channel_poll_line(c, 500, &vb_interrupted);
		if (r == 0)
			return vb_agent_client_hello(c, 1, hello, err);
		if (r != -ETIMEDOUT)
			return recv_error(r, "waiting for hello", err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9 >
		    timeout_s)
			return recv_error(-ETIMEDOUT, "waiting for hello", err);
	}
}

int vb_agent_client_exec(struct vb_channel *c, const struct vb_job *job, double timeout_s,
			 vb_event_cb cb, void *data, struct vb_error **err)
{
	_cleanup_free_ char *line_out = vb_job_format(job);
	int r = vb_channel_send(c, line_out);
	if (r)
		return vb_error_errno(err, -r, "sending job %s to the agent", job->id);
	_cleanup_free_ char *failure = NULL;
	bool rejected = false;
	const struct vb_workload_ops *w = vb_workload_find(job->workload);
	int tmo = timeout_ms(timeout_s);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *line;
		size_t len;
		/* The timeout covers the whole job: a chatty agent does not extend it. */
		int left = tmo;
		if (tmo >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			long long spent =
			    (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			left = spent >= tmo ? 0 : tmo - (int)spent;
		}
		r = vb_channel_recv(c, left, &vb_interrupted, &line, &len);
		if (r)
			return recv_error(r, job->workload, err);
		struct vb_event ev;
		r = vb_event_parse(line, len, &ev, err);
		if (r)
			return vb_error_wrap(err, "agent");
		if (ev.type == VB_EV_HELLO || strcmp(ev.job, job->id)) {
			vb_event_release(&ev);
			return vb_error_set(err, -EPROTO,
					    "agent sent an event that is not of job %s", job->id);
		}
		if (ev.type == VB_EV_ERROR && !failure)
			failure = xstrdup(ev.msg);
		/* An implausible value fails the job; the agent goes on to its done. */
		struct vb_error *serr = NULL;
		if (ev.type == VB_EV_SAMPLE && w && vb_sample_check(&ev, w, timeout_s, &serr)) {
			if (!rejected) {
				free(failure);
				failure = xstrdup(serr->msg);
			}
			rejected = true;
			vb_error_free(&serr);
		} else if (cb) {
			cb(&ev, data);
		}
		bool done = ev.type == VB_EV_DONE, ok = ev.ok;
		vb_event_release(&ev);
		if (!done)
			continue;
		if (ok && !rejected)
			return 0;
		return vb_error_set(err, -EIO, "%s",
				    failure ? failure : "job failed without a reason");
	}
}

int vb_agent_client_run(struct vb_channel *c, const struct vb_job *job, const char *scratch,
			double timeout_s, vb_event_cb cb, void *data, bool *broken,
			struct vb_error **err)
{
	struct vb_job j = *job;
	j.scratch_dir = (char *)scratch;
	int r = vb_agent_client_exec(c, &j, timeout_s, cb, data, err);
	/* A job that failed cleanly leaves the agent usable; anything else does not. */
	*broken = r && r != -EIO;
	return r;
}

bool vb_agent_client_quit(struct vb_channel *c)
{
	struct vb_job quit = { .quit = true };
	_cleanup_free_ char *line = vb_job_format(&quit);
	/* Never block here: an agent that does not read is stopped by force anyway. */
	return vb_channel_writable(c) && vb_channel_send(c, line) == 0;
}
