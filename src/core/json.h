/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_JSON_H
#define VB_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Compact one-line encoding (no newline), keys in insertion order. Never NULL. */
char *vb_json_line(const json_t *v);

/*
 * Defensive getters for outside input. Each returns 0 when the key holds a
 * value of the right kind, -ENOENT when missing, -EINVAL when of another kind
 * or out of bounds (strings longer than max, non-finite numbers).
 */
int vb_json_str(const json_t *obj, const char *key, size_t max, const char **out);
int vb_json_int(const json_t *obj, const char *key, long long min, long long max, long long *out);
int vb_json_num(const json_t *obj, const char *key, double *out);
int vb_json_bool(const json_t *obj, const char *key, bool *out);

/* Does s consist of 1..max characters of [A-Za-z0-9._-]? */
bool vb_is_token(const char *s, size_t max);

/* Release a jansson value through __attribute__((cleanup)). */
static inline void vb_json_decrefp(json_t **p)
{
	if (*p)
		json_decref(*p);
}
#define _cleanup_json_ __attribute__((cleanup(vb_json_decrefp)))

#endif
