/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtbench/error.h"
#include "core/util.h"

__attribute__((format(printf, 5, 0))) static int error_vset(struct vb_error **err, int code,
							    int exit_code, const char *suffix,
							    const char *fmt, va_list ap)
{
	if (!err || *err)
		return code;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	struct vb_error *e = xcalloc(1, sizeof(*e));
	e->code = code;
	e->exit_code = exit_code;
	if (suffix) {
		e->msg = xasprintf("%s: %s", msg, suffix);
		free(msg);
	} else {
		e->msg = msg;
	}
	*err = e;
	return code;
}

/* The exit code an error maps to unless the caller says otherwise. */
static int default_exit(int code)
{
	if (code == VB_SKIP)
		return VB_EXIT_UNAVAILABLE;
	if (code == -EINVAL || code == -ERANGE)
		return VB_EXIT_USAGE;
	if (code == -EINTR)
		return VB_EXIT_INTERRUPTED;
	return VB_EXIT_MEASUREMENT;
}

int vb_error_set(struct vb_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, code, default_exit(code), NULL, fmt, ap);
	va_end(ap);
	return code;
}

int vb_error_exit(struct vb_error **err, int code, int exit_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, code, exit_code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int vb_error_errno(struct vb_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int code = errnum > 0 ? -errnum : (errnum ? errnum : -EIO);
	va_start(ap, fmt);
	error_vset(err, code, default_exit(code), strerror(-code), fmt, ap);
	va_end(ap);
	return code;
}

int vb_error_wrap(struct vb_error **err, const char *fmt, ...)
{
	if (!err || !*err)
		return -EIO;
	va_list ap;
	char *prefix = NULL;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		abort();
	va_end(ap);
	char *msg = xasprintf("%s: %s", prefix, (*err)->msg);
	free(prefix);
	free((*err)->msg);
	(*err)->msg = msg;
	return (*err)->code;
}

void vb_error_free(struct vb_error **err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

int vb_error_keep(struct vb_error **err, struct vb_error **other)
{
	if (err && !*err && other && *other) {
		*err = *other;
		*other = NULL;
	}
	vb_error_free(other);
	return err && *err ? (*err)->code : 0;
}
