/* SPDX-License-Identifier: MIT */
/*
 * The interleaved schedule: round after round, each workload in index order
 * runs once on every platform still sampling it, in index order.
 *
 * Three rules, also stated in the header: warm-up rounds always run every
 * workload on every platform (a mark made during warm-up takes effect in the
 * first measured round); a workload is never cut off in the middle of its
 * platforms within a round (which platforms run a workload in a round is
 * decided at its first slot, so a mark made later takes effect in the next
 * round); and a platform marked done for a workload drops out of that
 * workload's later rounds while the others stay interleaved.
 */
#include <stdlib.h>

#include "virtbench/stats.h"

/* The stats library is linked without core, hence no xcalloc. */
static bool *alloc_flags(size_t n)
{
	bool *p = calloc(n ? n : 1, sizeof(bool));
	if (!p)
		abort();
	return p;
}

void vb_sched_init(struct vb_sched *s, unsigned nplatforms, unsigned nworkloads, unsigned warmup)
{
	s->nplatforms = nplatforms;
	s->nworkloads = nworkloads;
	s->warmup = warmup;
	s->round = s->wi = s->pi = 0;
	s->in_workload = false;
	s->done = alloc_flags(nworkloads);
	s->cell_done = alloc_flags((size_t)nworkloads * nplatforms);
	s->running = alloc_flags(nplatforms);
}

void vb_sched_release(struct vb_sched *s)
{
	free(s->done);
	free(s->cell_done);
	free(s->running);
	s->done = s->cell_done = s->running = NULL;
}

/* Is workload w done: marked so, or every one of its platforms marked? */
static bool workload_done(const struct vb_sched *s, unsigned w)
{
	if (s->done[w])
		return true;
	for (unsigned p = 0; p < s->nplatforms; p++)
		if (!s->cell_done[(size_t)w * s->nplatforms + p])
			return false;
	return true;
}

static bool all_done(const struct vb_sched *s)
{
	for (unsigned w = 0; w < s->nworkloads; w++)
		if (!workload_done(s, w))
			return false;
	return true;
}

/* The next platform at or after p that runs this round; nplatforms if none. */
static unsigned next_running(const struct vb_sched *s, unsigned p)
{
	while (p < s->nplatforms && !s->running[p])
		p++;
	return p;
}

bool vb_sched_next(struct vb_sched *s, struct vb_slot *out)
{
	if (!s->done || s->nplatforms == 0 || s->nworkloads == 0)
		return false;

	for (;;) {
		if (s->wi >= s->nworkloads) {
			s->round++;
			s->wi = 0;
		}
		/* Who runs this workload this round is decided at its first slot. */
		if (!s->in_workload) {
			bool warm = s->round < s->warmup;
			if (!warm && all_done(s))
				return false;
			if (!warm && workload_done(s, s->wi)) {
				s->wi++;
				continue;
			}
			for (unsigned p = 0; p < s->nplatforms; p++)
				s->running[p] =
				    warm || !s->cell_done[(size_t)s->wi * s->nplatforms + p];
			s->pi = next_running(s, 0);
			s->in_workload = true;
		}
		break;
	}

	out->round = s->round;
	out->workload = s->wi;
	out->platform = s->pi;
	out->warmup = s->round < s->warmup;
	unsigned next = next_running(s, s->pi + 1);
	out->last_in_workload = next == s->nplatforms;
	if (out->last_in_workload) {
		s->in_workload = false;
		s->wi++;
	} else {
		s->pi = next;
	}
	return true;
}

void vb_sched_mark_done(struct vb_sched *s, unsigned workload)
{
	if (s->done && workload < s->nworkloads)
		s->done[workload] = true;
}

void vb_sched_mark_cell_done(struct vb_sched *s, unsigned workload, unsigned platform)
{
	if (s->cell_done && workload < s->nworkloads && platform < s->nplatforms)
		s->cell_done[(size_t)workload * s->nplatforms + platform] = true;
}

bool vb_sched_cell_done(const struct vb_sched *s, unsigned workload, unsigned platform)
{
	if (!s->done || workload >= s->nworkloads || platform >= s->nplatforms)
		return true;
	return s->done[workload] || s->cell_done[(size_t)workload * s->nplatforms + platform];
}
