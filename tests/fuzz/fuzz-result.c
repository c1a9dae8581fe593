/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for results files (the input of `virtbench diff` and of
 * the baseline check): the reader must refuse with a message or accept, and
 * an accepted document must compare with itself without finding anything
 * better, worse or regressed, print, encode as JSON, and read back the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "report/diff.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounds the bootstrap work per input; results files in the wild are larger. */
#define MAX_INPUT (64 * 1024)

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-result: %s\n", what);
	abort();
}

static void self_diff(const json_t *doc)
{
	struct vb_diff *d = NULL;
	struct vb_error *err = NULL;
	if (vb_diff_compare(doc, "A", doc, "B", 0, &d, &err))
		fail(err ? err->msg : "an accepted document cannot be compared");
	const struct vb_diff_counts *n = &d->counts;
	if (n->better || n->worse || n->regressions)
		fail("a document differs from itself");
	if (n->equivalent + n->inconclusive != n->cells || n->cells != d->ncells)
		fail("counts do not add up");
	if (d->nhost || d->nsetup || n->only_a || n->only_b || n->mismatched)
		fail("host, setup or cells differ from themselves");
	FILE *f = fopen("/dev/null", "w");
	if (!f)
		abort();
	vb_diff_print(f, d);
	fclose(f);
	json_t *j = vb_diff_json(d);
	if (!j)
		fail("the diff does not encode");
	char *text = json_dumps(j, JSON_COMPACT);
	if (!text)
		fail("the diff JSON does not dump");
	free(text);
	json_decref(j);
	vb_diff_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		size = MAX_INPUT;
	json_t *doc = NULL;
	struct vb_error *err = NULL;
	/* (pointer, length): no NUL terminator on purpose. */
	char *copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	int r = vb_result_doc_parse(copy, size, &doc, &err);
	free(copy);
	if (r) {
		if (r != -EINVAL || !err || !err->msg || err->exit_code != VB_EXIT_USAGE || doc)
			fail("refused without -EINVAL, a message and exit code 2");
		vb_error_free(&err);
		return 0;
	}
	if (!doc || err)
		fail("accepted without a document, or with an error");
	self_diff(doc);

	/* What was accepted is accepted again after a round trip through text. */
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	if (!text)
		fail("an accepted document does not dump");
	json_t *again = NULL;
	if (vb_result_doc_parse(text, strlen(text), &again, &err))
		fail(err ? err->msg : "a round trip refused");
	if (!json_equal(doc, again))
		fail("a round trip changed the document");
	json_decref(again);
	free(text);
	json_decref(doc);
	return 0;
}
