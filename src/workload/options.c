/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <strings.h>

#include "core/util.h"
#include "virtbench/workload.h"

void vb_options_defaults(const struct vb_workload_ops *w, enum vb_profile p, void *opts)
{
	memset(opts, 0, w->opts_size);
	for (const struct vb_option *o = w->options; o->name; o++)
		*(uint64_t *)((char *)opts + o->offset) = o->def[p];
}

char *vb_option_choices(const struct vb_option *o)
{
	size_t n = 1, at = 0;
	for (uint64_t i = 0; i <= o->max; i++)
		n += strlen(o->choices[i]) + 4;
	char *s = xcalloc(n, 1);
	for (uint64_t i = 0; i <= o->max; i++)
		at += (size_t)snprintf(s + at, n - at, "%s%s",
				       !i	     ? ""
				       : i == o->max ? " or "
						     : ", ",
				       o->choices[i]);
	return s;
}

const char *vb_option_format(const struct vb_option *o, uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "", "K", "M", "G", "T", "P", "E" };
	if (o->type == VB_OPT_BOOL) {
		snprintf(buf, len, "%s", v ? "true" : "false");
	} else if (o->type == VB_OPT_CHOICE) {
		snprintf(buf, len, "%s", v <= o->max ? o->choices[v] : "?");
	} else if (o->type == VB_OPT_SIZE && v) {
		unsigned u = 0;
		while (u < 6 && v % ((uint64_t)1024 << (10 * u)) == 0)
			u++;
		if (u)
			snprintf(buf, len, "%" PRIu64 "%siB", v >> (10 * u), units[u]);
		else
			snprintf(buf, len, "%" PRIu64, v);
	} else {
		snprintf(buf, len, "%" PRIu64, v);
	}
	return buf;
}

int vb_option_set(const struct vb_workload_ops *w, const struct vb_option *o, uint64_t value,
		  void *opts, struct vb_error **err)
{
	if (value < o->min || value > o->max) {
		char lo[32], hi[32], v[32];
		return vb_error_set(err, -EINVAL, "%s: %s=%s is out of range [%s, %s]", w->name,
				    o->name, vb_option_format(o, value, v, sizeof(v)),
				    vb_option_format(o, o->min, lo, sizeof(lo)),
				    vb_option_format(o, o->max, hi, sizeof(hi)));
	}
	*(uint64_t *)((char *)opts + o->offset) = value;
	return 0;
}

int vb_option_parse(const struct vb_workload_ops *w, const struct vb_option *o, const char *text,
		    void *opts, struct vb_error **err)
{
	uint64_t v = 0;
	int r = -EINVAL;
	switch (o->type) {
	case VB_OPT_U64:
		r = vb_parse_u64(text, &v);
		break;
	case VB_OPT_SIZE:
		r = vb_parse_size(text, &v);
		break;
	case VB_OPT_BOOL:
		if (!strcasecmp(text, "1") || !strcasecmp(text, "true") ||
		    !strcasecmp(text, "yes")) {
			v = 1;
			r = 0;
		} else if (!strcasecmp(text, "0") || !strcasecmp(text, "false") ||
			   !strcasecmp(text, "no")) {
			r = 0;
		}
		break;
	case VB_OPT_CHOICE:
		for (uint64_t i = 0; i <= o->max; i++)
			if (!strcmp(text, o->choices[i])) {
				v = i;
				r = 0;
			}
		if (r) {
			_cleanup_free_ char *names = vb_option_choices(o);
			return vb_error_set(err, -EINVAL, "%s: %s is one of %s, not '%.64s'",
					    w->name, o->name, names, text);
		}
		break;
	}
	if (r == -ERANGE)
		return vb_error_set(err, -EINVAL, "%s: %s=%.64s is out of range", w->name, o->name,
				    text);
	if (r)
		return vb_error_set(err, -EINVAL, "%s: %s=%.64s is not a valid %s", w->name,
				    o->name, text,
				    o->type == VB_OPT_SIZE   ? "size (e.g. 64M, 1GiB)"
				    : o->type == VB_OPT_BOOL ? "boolean"
							     : "non-negative integer");
	return vb_option_set(w, o, v, opts, err);
}
