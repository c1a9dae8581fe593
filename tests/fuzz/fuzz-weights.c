/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for recommend's weights file (vb_rec_weights_parse):
 * whatever it accepts gives each criterion a finite weight in 0 - 10^6,
 * not all 0, and parsing it again gives the same weights; what it refuses
 * leaves an error message.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/recommend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-weights: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	double w[VB_REC_NCRIT], again[VB_REC_NCRIT];
	vb_rec_default_weights(w);
	struct vb_error *err = NULL;
	int r = vb_rec_weights_parse((const char *)data, size, w, &err);
	if (r) {
		if (!err || !err->msg)
			fail("refused without a message");
		vb_error_free(&err);
		return 0;
	}
	if (err)
		fail("accepted with an error");
	double sum = 0;
	for (int c = 0; c < VB_REC_NCRIT; c++) {
		if (!isfinite(w[c]) || w[c] < 0 || w[c] > 1e6)
			fail("a weight out of its bounds");
		sum += w[c];
	}
	if (!(sum > 0))
		fail("every weight 0");
	vb_rec_default_weights(again);
	if (vb_rec_weights_parse((const char *)data, size, again, &err) ||
	    memcmp(w, again, sizeof(w)))
		fail("a second parse differs");
	return 0;
}
