/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the study's findings document (vb_study_parse):
 * whatever it accepts is judged against no runs without a fault (every
 * mapped finding "not measured"); what it refuses leaves a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/json.h"
#include "report/study.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	json_t *doc = NULL;
	struct vb_error *err = NULL;
	if (vb_study_parse((const char *)data, size, &doc, &err)) {
		if (!err || !err->msg || doc) {
			fprintf(stderr, "fuzz-study: refused without a message\n");
			abort();
		}
		vb_error_free(&err);
		return 0;
	}
	struct vb_study_judgement j;
	vb_study_judge(doc, NULL, 0, &j);
	for (size_t i = 0; i < j.n; i++)
		if (j.f[i].verdict != VB_STUDY_NOT_MEASURED &&
		    j.f[i].verdict != VB_STUDY_UNMAPPED) {
			fprintf(stderr, "fuzz-study: a verdict without runs\n");
			abort();
		}
	vb_study_judgement_release(&j);
	json_decref(doc);
	return 0;
}
