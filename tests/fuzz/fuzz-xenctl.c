/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the answers of Xen dom0's control loop (outside
 * input to the host): the parser must refuse with -EPROTO and a message or
 * accept, and an accepted answer must format back to a line that parses to
 * the same answer and stays within the grammar's limits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "platform/xen-ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-xenctl: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* (pointer, length): no NUL terminator on purpose. */
	char *copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	struct vb_xenctl_answer a;
	struct vb_error *err = NULL;
	int r = vb_xenctl_parse(copy, size, &a, &err);
	free(copy);
	if (r) {
		if (r != -EPROTO || !err || !err->msg)
			fail("refused without -EPROTO and a message");
		vb_error_free(&err);
		return 0;
	}
	if (err)
		fail("accepted with an error");
	if (!a.seq || a.ndoms > VB_XENCTL_SLOTS || (!a.ok && !a.msg[0]) || (a.ok && a.msg[0]))
		fail("accepted an answer outside the grammar");
	for (unsigned i = 0; i < a.ndoms; i++)
		if (a.doms[i].slot >= VB_XENCTL_SLOTS || !a.doms[i].domid)
			fail("accepted a bad dom=");
	char *text = vb_xenctl_format(&a);
	if (strlen(text) > size)
		fail("the formatted answer is longer than the accepted line");
	struct vb_xenctl_answer b;
	if (vb_xenctl_parse(text, strlen(text), &b, &err))
		fail(err ? err->msg : "a round trip refused");
	if (memcmp(&a, &b, sizeof(a)))
		fail("a round trip changed the answer");
	free(text);
	return 0;
}
