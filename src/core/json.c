/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"

char *vb_json_line(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	if (!s)
		VB_BUG("json_dumps failed");
	return s;
}

int vb_json_str(const json_t *obj, const char *key, size_t max, const char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return -ENOENT;
	if (!json_is_string(v) || json_string_length(v) > max)
		return -EINVAL;
	/* Embedded NULs would silently truncate what we act on. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return -EINVAL;
	*out = json_string_value(v);
	return 0;
}

int vb_json_int(const json_t *obj, const char *key, long long min, long long max, long long *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return -ENOENT;
	if (!json_is_integer(v))
		return -EINVAL;
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return -EINVAL;
	*out = i;
	return 0;
}

int vb_json_num(const json_t *obj, const char *key, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return -ENOENT;
	if (!json_is_number(v))
		return -EINVAL;
	double d = json_number_value(v);
	if (!isfinite(d))
		return -EINVAL;
	*out = d;
	return 0;
}

int vb_json_bool(const json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return -ENOENT;
	if (!json_is_boolean(v))
		return -EINVAL;
	*out = json_is_true(v);
	return 0;
}

bool vb_is_token(const char *s, size_t max)
{
	size_t n = 0;
	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok || n >= max)
			return false;
	}
	return n > 0;
}
