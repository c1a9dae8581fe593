/* SPDX-License-Identifier: MIT */
/* Helpers shared by the workload unit tests (include after test.h). */
#ifndef VB_WL_TEST_H
#define VB_WL_TEST_H

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "core/util.h"
#include "virtbench/workload.h"

#define VB_UNUSED __attribute__((unused))

/* Collects what a workload logs through ctx->log. */
struct log_capture {
	unsigned n;
	char last[512];
};

static VB_UNUSED void capture_log(void *data, const char *msg)
{
	struct log_capture *c = data;

	c->n++;
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

/* Options of w with the quick defaults, then name=value pairs (NULL-terminated). */
static VB_UNUSED void *make_opts(const struct vb_workload_ops *w, ...)
{
	void *opts = xmalloc(w->opts_size);
	const char *name;
	va_list ap;

	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	va_start(ap, w);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		const struct vb_option *o = vb_workload_option(w, name);
		struct vb_error *err = NULL;

		CHECK_MSG(o != NULL, "%s has no option %s", w->name, name);
		if (o)
			CHECK_MSG(vb_option_parse(w, o, value, opts, &err) == 0, "%s=%s: %s", name,
				  value, err ? err->msg : "");
		vb_error_free(&err);
	}
	va_end(ap);
	return opts;
}

/* check() then run(), as the agent does; values are set to NAN first. */
static VB_UNUSED int run_once(const struct vb_workload_ops *w, const struct vb_workload_ctx *ctx,
			      const void *opts, double *values, struct vb_error **err)
{
	for (size_t i = 0; i < vb_workload_nmetrics(w); i++)
		values[i] = NAN;
	int r = w->check ? w->check(opts, ctx, err) : 0;
	return r ? r : w->run(ctx, opts, values, err);
}

/* Parsing name=value for w must fail with -EINVAL and a message naming w and the option. */
static VB_UNUSED void check_rejected(const struct vb_workload_ops *w, const char *name,
				     const char *value)
{
	const struct vb_option *o = vb_workload_option(w, name);
	_cleanup_free_ void *opts = xmalloc(w->opts_size);
	struct vb_error *err = NULL;

	CHECK(o != NULL);
	if (!o)
		return;
	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	CHECK_MSG(vb_option_parse(w, o, value, opts, &err) == -EINVAL, "%s=%s accepted", name,
		  value);
	CHECK_MSG(err && strstr(err->msg, w->name) && strstr(err->msg, name), "%s",
		  err ? err->msg : "(no error)");
	vb_error_free(&err);
}

#endif
