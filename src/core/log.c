/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "core/log.h"

static enum vb_log_level current = VB_LOG_WARN;

void vb_log_set_level(enum vb_log_level level)
{
	current = level;
}

enum vb_log_level vb_log_get_level(void)
{
	return current;
}

void vb_log(enum vb_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (level > current)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "virtbench: %s: ", names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
