/* SPDX-License-Identifier: MIT */
/* What the probes of `virtbench features` share with the table: a cell being filled. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "experiment/features-probe.h"

void vb_feature_cell_set(struct vb_feature_cell *c, enum vb_feature_value v, enum vb_feature_how h,
			 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *d = NULL;
	if (vasprintf(&d, fmt, ap) < 0)
		abort();
	va_end(ap);
	free(c->detail);
	c->value = v;
	c->how = h;
	c->detail = d;
}
