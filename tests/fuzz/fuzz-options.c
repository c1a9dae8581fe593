/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for option values (--set name=value, plan files): the
 * input is split at the first '=' into a name and a value, and the value goes
 * through every workload's option of that name. The whole input also goes
 * through the number parsers, whose results must agree with each other.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "virtbench/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 4096

static void try_option(const struct vb_workload_ops *w, const struct vb_option *o,
		       const char *value)
{
	struct vb_error *err = NULL;
	_cleanup_free_ void *opts = xmalloc(w->opts_size);
	char buf[64];

	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	uint64_t before = vb_option_get(o, opts);
	int r = vb_option_parse(w, o, value, opts, &err);
	if (r) {
		if (r != -EINVAL || !err || !err->msg)
			abort();
		if (vb_option_get(o, opts) != before)
			abort();
		vb_error_free(&err);
		return;
	}
	uint64_t v = vb_option_get(o, opts);
	if (v < o->min || v > o->max)
		abort();
	/* What --help and the run record show must parse back to the same value. */
	vb_option_format(o, v, buf, sizeof(buf));
	if (vb_option_parse(w, o, buf, opts, &err) || vb_option_get(o, opts) != v) {
		fprintf(stderr, "fuzz-options: %s.%s=%s formats as %s\n", w->name, o->name, value,
			buf);
		abort();
	}
}

static void numbers(const char *s)
{
	uint64_t u = 0, z = 0;
	double d = 0;
	int ru = vb_parse_u64(s, &u);
	int rz = vb_parse_size(s, &z);
	int rd = vb_parse_double(s, &d);

	if (ru != 0 && ru != -EINVAL && ru != -ERANGE)
		abort();
	if (rz != 0 && rz != -EINVAL && rz != -ERANGE)
		abort();
	if (rd != 0 && rd != -EINVAL && rd != -ERANGE)
		abort();
	/* A plain count is a size of that many bytes, exactly. */
	if (ru == 0 && (rz != 0 || z != u))
		abort();
	if (ru == -ERANGE && s[strspn(s, "0123456789")] == '\0' && rz != -ERANGE)
		abort();
	if (rd == 0 && !isfinite(d))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		size = MAX_INPUT;
	_cleanup_free_ char *text = xstrndup((const char *)data, size);
	numbers(text);

	char *eq = strchr(text, '=');
	const char *name = text, *value = "";
	if (eq) {
		*eq = '\0';
		value = eq + 1;
		numbers(value);
	}
	for (size_t i = 0; vb_workloads[i]; i++) {
		const struct vb_workload_ops *w = vb_workloads[i];
		const struct vb_option *o = vb_workload_option(w, name);

		if (o)
			try_option(w, o, value);
		/* Every option also sees the value alone, for coverage of each type. */
		for (o = w->options; o->name; o++)
			try_option(w, o, value);
	}
	return 0;
}
