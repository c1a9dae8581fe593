/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the agent protocol: the job and event parsers (what
 * each side reads from the other), their formatters (anything accepted must
 * format into a line that is accepted again, unchanged), and the line
 * channel that splits the byte stream into lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/channel.h"
#include "agent/protocol.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (64 * 1024)

static void fail(const char *what, const char *line)
{
	fprintf(stderr, "fuzz-protocol: %s: %.200s\n", what, line);
	abort();
}

static void job_round_trip(const char *line, size_t len)
{
	struct vb_error *err = NULL;
	struct vb_job job, again;

	if (vb_job_parse(line, len, &job, &err)) {
		if (!err)
			fail("job refused without a message", line);
		if (job.id || job.workload || job.params || job.scratch_dir || job.peer)
			fail("refused job not released", line);
		vb_error_free(&err);
		return;
	}
	_cleanup_free_ char *out = vb_job_format(&job);
	if (vb_job_parse(out, strlen(out), &again, &err))
		fail(err ? err->msg : "formatted job refused", out);
	_cleanup_free_ char *out2 = vb_job_format(&again);
	if (strcmp(out, out2))
		fail("job changed in a round trip", out2);
	if (job.quit != again.quit || job.sync != again.sync)
		fail("quit or sync lost", out);
	if (job.quit && job.sync)
		fail("a message both quit and sync", out);
	if (!job.quit && !job.sync &&
	    (strcmp(job.id, again.id) || strcmp(job.workload, again.workload) ||
	     !json_equal(job.params, again.params) || !job.scratch_dir != !again.scratch_dir ||
	     (job.scratch_dir && strcmp(job.scratch_dir, again.scratch_dir)) ||
	     !job.peer != !again.peer || (job.peer && strcmp(job.peer, again.peer))))
		fail("job fields changed in a round trip", out);
	vb_job_release(&again);
	vb_job_release(&job);
}

static void event_round_trip(const char *line, size_t len)
{
	struct vb_error *err = NULL;
	struct vb_event ev, again;

	if (vb_event_parse(line, len, &ev, &err)) {
		if (!err)
			fail("event refused without a message", line);
		if (ev.job || ev.msg || ev.values || ev.nvalues || ev.level || ev.workload ||
		    ev.agent_version)
			fail("refused event not released", line);
		vb_error_free(&err);
		return;
	}
	_cleanup_free_ char *out = vb_event_format(&ev);
	if (vb_event_parse(out, strlen(out), &again, &err))
		fail(err ? err->msg : "formatted event refused", out);
	_cleanup_free_ char *out2 = vb_event_format(&again);
	if (strcmp(out, out2))
		fail("event changed in a round trip", out2);
	if (ev.type != again.type || ev.nvalues != again.nvalues || ev.ok != again.ok)
		fail("event fields changed in a round trip", out);
	for (size_t i = 0; i < ev.nvalues; i++)
		if (strcmp(ev.values[i].name, again.values[i].name) ||
		    ev.values[i].value != again.values[i].value)
			fail("sample value changed in a round trip", out);
	vb_event_release(&again);
	vb_event_release(&ev);
}

/* Split the input into lines as the agent and the supervisor do. */
static void channel_lines(const uint8_t *data, size_t size, size_t max_line, bool parse)
{
	struct vb_channel ch;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	/* Never block: the pipe holds 64 KiB, and MAX_INPUT is not more. */
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0)
		abort();
	if (size && write(p[1], data, size) < 0)
		abort();
	close(p[1]);
	vb_channel_init(&ch, p[0], -1, max_line);
	for (size_t guard = 0; guard <= size + 2; guard++) {
		char *line = NULL;
		size_t len = 0;
		int r = vb_channel_recv(&ch, 0, NULL, &line, &len);

		if (r == -ETIMEDOUT || r == -EPIPE)
			break;
		if (r == -E2BIG)
			continue;
		if (r)
			abort();
		if (len > max_line || line[len] != '\0' || memchr(line, '\n', len))
			abort();
		if (parse) {
			job_round_trip(line, len);
			event_round_trip(line, len);
		}
	}
	vb_channel_release(&ch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		size = MAX_INPUT;
	/* The parsers take (pointer, length): no NUL terminator on purpose. */
	char *copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	job_round_trip(copy, size);
	event_round_trip(copy, size);
	free(copy);

	channel_lines(data, size, VB_PROTO_MAX_LINE, true);
	channel_lines(data, size, 16, false);
	return 0;
}
