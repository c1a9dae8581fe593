/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for --userns MAP (src/runtime/idmap.c): a map that
 * parses holds every promise of the parser's contract, formats to a text
 * that parses back to the same maps, and its kernel form (/proc/PID/uid_map
 * lines) reads back the same. The input also goes through the reader of
 * the kernel's form.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "runtime/idmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 4096

/* Same maps in the same order (memcmp would also compare padding). */
static bool same_userns(const struct vb_userns *a, const struct vb_userns *b)
{
	const struct vb_idmap *ma[] = { &a->uid, &a->gid }, *mb[] = { &b->uid, &b->gid };
	if (a->setgroups_deny != b->setgroups_deny)
		return false;
	for (size_t k = 0; k < 2; k++) {
		if (ma[k]->n != mb[k]->n)
			return false;
		for (size_t i = 0; i < ma[k]->n; i++)
			if (ma[k]->e[i].inside != mb[k]->e[i].inside ||
			    ma[k]->e[i].outside != mb[k]->e[i].outside ||
			    ma[k]->e[i].count != mb[k]->e[i].count)
				return false;
	}
	return true;
}

static void check_map(const struct vb_idmap *m)
{
	uint32_t root;
	if (m->n < 1 || m->n > VB_IDMAP_MAX || !vb_idmap_outside(m, 0, &root) || root == 0)
		abort();
	for (size_t i = 0; i < m->n; i++) {
		const struct vb_idmap_extent *e = &m->e[i];
		if (e->count == 0 || e->outside == 0 ||
		    (uint64_t)e->inside + e->count > UINT32_MAX ||
		    (uint64_t)e->outside + e->count > UINT32_MAX)
			abort();
		for (size_t j = 0; j < i; j++) {
			const struct vb_idmap_extent *f = &m->e[j];
			if ((uint64_t)e->inside < (uint64_t)f->inside + f->count &&
			    (uint64_t)f->inside < (uint64_t)e->inside + e->count)
				abort();
			if ((uint64_t)e->outside < (uint64_t)f->outside + f->count &&
			    (uint64_t)f->outside < (uint64_t)e->outside + e->count)
				abort();
		}
	}
	/* The kernel's form of the map reads back as the same extents. */
	char text[VB_IDMAP_MAX * 36 + 1];
	size_t at = 0;
	for (size_t i = 0; i < m->n; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%10u %10u %10u\n",
				       m->e[i].inside, m->e[i].outside, m->e[i].count);
	struct vb_idmap back;
	if (vb_idmap_parse_proc(text, &back) || !vb_idmap_equal(m, &back))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		size = MAX_INPUT;
	_cleanup_free_ char *text = xstrndup((const char *)data, size);

	struct vb_idmap pm;
	if (vb_idmap_parse_proc(text, &pm) == 0 && pm.n > VB_IDMAP_MAX)
		abort();

	struct vb_userns u, again;
	struct vb_error *err = NULL;
	vb_userns_default(&u);
	u.setgroups_deny = true;
	struct vb_userns before = u;
	if (vb_userns_parse(text, &u, &err)) {
		if (!err || !err->msg || strchr(err->msg, '\n') || !same_userns(&u, &before))
			abort();
		vb_error_free(&err);
		return 0;
	}
	if (err)
		abort();
	check_map(&u.uid);
	check_map(&u.gid);
	char buf[1024];
	size_t n = vb_userns_format(&u, buf, sizeof(buf));
	if (n >= sizeof(buf) || n != strlen(buf))
		abort();
	if (vb_userns_parse(buf, &again, &err) || !same_userns(&u, &again)) {
		fprintf(stderr, "fuzz-userns: '%s' formats as '%s', which does not parse back\n",
			text, buf);
		abort();
	}
	return 0;
}
