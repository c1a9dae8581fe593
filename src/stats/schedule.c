/* SPDX-License-Identifier: MIT */
/*
 * The interleaved schedule: round after round, each workload in index order
 * runs once on every platform in index order.
 *
 * Two rules, also stated in the header: warm-up rounds always run every workload
 * (a mark made during warm-up takes effect in the first measured round), and
 * a workload is never cut off in the middle of its platforms within a round
 * (a mark made after its first platform's slot takes effect in the next
 * round), so every measured round compares all platforms.
 */
#include <stdlib.h>

#include "virtbench/stats.h"

void vb_sched_init(struct vb_sched *s, unsigned nplatforms, unsigned nworkloads, unsigned warmup)
{
	s->nplatforms = nplatforms;
	s->nworkloads = nworkloads;
	s->warmup = warmup;
	s->round = s->wi = s->pi = 0;
	/* The stats library is linked without core, hence no xcalloc. */
	s->done = calloc(nworkloads ? nworkloads : 1, sizeof(*s->done));
	if (!s->done)
		abort();
}

void vb_sched_release(struct vb_sched *s)
{
	free(s->done);
	s->done = NULL;
}

static bool vb_sched_all_done(const struct vb_sched *s)
{
	for (unsigned w = 0; w < s->nworkloads; w++)
		if (!s->done[w])
			return false;
	return true;
}

bool vb_sched_next(struct vb_sched *s, struct vb_slot *out)
{
	if (!s->done || s->nplatforms == 0 || s->nworkloads == 0)
		return false;

	for (;;) {
		if (s->wi >= s->nworkloads) {
			s->round++;
			s->wi = 0;
			s->pi = 0;
		}
		/* Skipping is decided only at a workload's first platform. */
		if (s->pi == 0 && s->round >= s->warmup) {
			if (vb_sched_all_done(s))
				return false;
			if (s->done[s->wi]) {
				s->wi++;
				continue;
			}
		}
		break;
	}

	out->round = s->round;
	out->workload = s->wi;
	out->platform = s->pi;
	out->warmup = s->round < s->warmup;
	out->last_in_workload = s->pi + 1 == s->nplatforms;
	if (++s->pi == s->nplatforms) {
		s->pi = 0;
		s->wi++;
	}
	return true;
}

void vb_sched_mark_done(struct vb_sched *s, unsigned workload)
{
	if (s->done && workload < s->nworkloads)
		s->done[workload] = true;
}
