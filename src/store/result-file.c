/* SPDX-License-Identifier: MIT */
/*
 * Reading a results document (docs/schema.md, "JSON export") back: the
 * input of `virtbench diff` and of the baseline check. A file comes from
 * outside, so everything the diff touches is checked here once, and the
 * diff can then read the document without checking again.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/json.h"
#include "core/text.h"
#include "core/util.h"
#include "store/store.h"

/* Names are printed in tables: bounded, and no control characters. */
#define NAME_MAX_LEN 256
#define TEXT_MAX_LEN (64 * 1024)
#define MAX_PLATFORMS 256
#define MAX_WORKLOADS 4096
#define MAX_METRICS 256

__attribute__((format(printf, 3, 4))) static int bad(struct vb_error **err, const char *field,
						     const char *fmt, ...)
{
	va_list ap;
	char *why = NULL;
	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		abort();
	va_end(ap);
	vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "not a virtbench results document: %s: %s",
		      field, why);
	free(why);
	return -EINVAL;
}

/* Nothing vb_text_clean would change: no control character (C0, DEL, C1), valid UTF-8. */
static bool printable(const char *s)
{
	_cleanup_free_ char *c = vb_text_clean(s);
	return !strcmp(c, s);
}

/* A required string of at most max bytes; names (name = true) are printable and not empty. */
static int want_str(const json_t *obj, const char *key, const char *field, size_t max, bool name,
		    const char **out, struct vb_error **err)
{
	const char *s = NULL;
	int r = vb_json_str(obj, key, max, &s);
	if (r == -ENOENT)
		return bad(err, field, "missing");
	if (r)
		return bad(err, field, "not a string of at most %zu bytes", max);
	if (name && (!*s || !printable(s)))
		return bad(err, field, "empty or has control characters");
	if (out)
		*out = s;
	return 0;
}

/* A flag: true/false, or 0/1 as the store's integer columns export it. */
static int want_flag(const json_t *obj, const char *key, const char *field, bool *out,
		     struct vb_error **err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return bad(err, field, "missing");
	if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
		*out = json_integer_value(v) == 1;
	/* platforms.emulated is 2 for a hypervisor nested in emulation (xen in QEMU/TCG). */
	else if (json_is_integer(v) && json_integer_value(v) == 2 && !strcmp(key, "emulated"))
		*out = true;
	else
		return bad(err, field, "not true, false, 0 or 1");
	return 0;
}

static int want_int(const json_t *obj, const char *key, const char *field, long long min,
		    struct vb_error **err)
{
	long long v;
	int r = vb_json_int(obj, key, min, LLONG_MAX, &v);
	if (r == -ENOENT)
		return bad(err, field, "missing");
	if (r)
		return bad(err, field, "not an integer of at least %lld", min);
	return 0;
}

/* An array of at most max elements. */
static int want_array(const json_t *obj, const char *key, const char *field, size_t max,
		      json_t **out, struct vb_error **err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return bad(err, field, "missing");
	if (!json_is_array(v))
		return bad(err, field, "not an array");
	if (json_array_size(v) > max)
		return bad(err, field, "more than %zu elements", max);
	*out = v;
	return 0;
}

static int want_object(const json_t *obj, const char *key, const char *field, json_t **out,
		       struct vb_error **err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return bad(err, field, "missing");
	if (!json_is_object(v))
		return bad(err, field, "not an object");
	*out = v;
	return 0;
}

/* A host leaf the diff prints: null, a bounded string, a number or a boolean. */
static int host_scalar(const json_t *v, const char *field, struct vb_error **err)
{
	/* jansson never yields a non-finite real, so every number is printable. */
	if (json_is_null(v) || json_is_boolean(v) || json_is_number(v))
		return 0;
	if (json_is_string(v) && json_string_length(v) <= TEXT_MAX_LEN &&
	    strlen(json_string_value(v)) == json_string_length(v) &&
	    printable(json_string_value(v)))
		return 0;
	return bad(err, field,
		   "not a string of at most %d bytes without control characters, a number, a "
		   "boolean or null",
		   TEXT_MAX_LEN);
}

/*
 * The fingerprint is compared leaf by leaf (docs/schema.md lists its fields;
 * newer ones are compared too): nested objects, lists of scalars, scalars.
 */
static int check_host_value(json_t *v, const char *field, int depth, struct vb_error **err)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *m;
		if (depth >= 4)
			return bad(err, field, "nested too deep");
		json_object_foreach(v, k, m)
		{
			if (!*k || strlen(k) > 64 || !printable(k))
				return bad(err, field,
					   "a member name is empty, long or unprintable");
			_cleanup_free_ char *f = xasprintf("%s.%s", field, k);
			if (check_host_value(m, f, depth + 1, err))
				return -EINVAL;
		}
		return 0;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		if (json_array_size(v) > 4096)
			return bad(err, field, "more than 4096 elements");
		json_array_foreach(v, i, e)
		{
			_cleanup_free_ char *f = xasprintf("%s[%zu]", field, i);
			if (host_scalar(e, f, err))
				return -EINVAL;
		}
		return 0;
	}
	return host_scalar(v, field, err);
}

static int check_host(const json_t *doc, struct vb_error **err)
{
	json_t *host = NULL;
	if (want_object(doc, "host", "host", &host, err))
		return -EINVAL;
	return check_host_value(host, "host", 0, err);
}

static int check_run(const json_t *doc, struct vb_error **err)
{
	json_t *run = NULL;
	if (want_object(doc, "run", "run", &run, err) || want_int(run, "id", "run.id", 1, err) ||
	    want_str(run, "tag", "run.tag", 64, true, NULL, err) ||
	    want_str(run, "status", "run.status", 64, true, NULL, err) ||
	    want_str(run, "started_at", "run.started_at", 64, true, NULL, err))
		return -EINVAL;
	return 0;
}

/* Platforms: unique names; *index maps each name to its position. */
static int check_platforms(const json_t *doc, json_t *index, struct vb_error **err)
{
	json_t *arr = NULL, *p;
	size_t i;
	if (want_array(doc, "platforms", "platforms", MAX_PLATFORMS, &arr, err))
		return -EINVAL;
	json_array_foreach(arr, i, p)
	{
		char f[64];
		const char *name;
		bool emulated;
		snprintf(f, sizeof(f), "platforms[%zu]", i);
		if (!json_is_object(p))
			return bad(err, f, "not an object");
		snprintf(f, sizeof(f), "platforms[%zu].name", i);
		if (want_str(p, "name", f, NAME_MAX_LEN, true, &name, err))
			return -EINVAL;
		if (json_object_get(index, name))
			return bad(err, f, "\"%s\" appears twice", name);
		json_object_set_new(index, name, json_integer((json_int_t)i));
		snprintf(f, sizeof(f), "platforms[%zu].emulated", i);
		if (want_flag(p, "emulated", f, &emulated, err))
			return -EINVAL;
		json_t *spec = json_object_get(p, "spec");
		snprintf(f, sizeof(f), "platforms[%zu].spec", i);
		if (spec && !json_is_object(spec) && !json_is_null(spec))
			return bad(err, f, "not an object or null");
	}
	return 0;
}

/* Workloads and their metrics; *index maps a workload name to {metric name: unit}. */
static int check_workloads(const json_t *doc, json_t *index, struct vb_error **err)
{
	json_t *arr = NULL, *w;
	size_t i;
	if (want_array(doc, "workloads", "workloads", MAX_WORKLOADS, &arr, err))
		return -EINVAL;
	json_array_foreach(arr, i, w)
	{
		char f[96];
		const char *name;
		json_t *metrics = NULL, *m;
		size_t j;
		snprintf(f, sizeof(f), "workloads[%zu]", i);
		if (!json_is_object(w))
			return bad(err, f, "not an object");
		snprintf(f, sizeof(f), "workloads[%zu].name", i);
		if (want_str(w, "name", f, NAME_MAX_LEN, true, &name, err))
			return -EINVAL;
		if (json_object_get(index, name))
			return bad(err, f, "\"%s\" appears twice", name);
		json_t *params = json_object_get(w, "params");
		snprintf(f, sizeof(f), "workloads[%zu].params", i);
		if (params && !json_is_object(params) && !json_is_null(params))
			return bad(err, f, "not an object or null");
		snprintf(f, sizeof(f), "workloads[%zu].metrics", i);
		if (want_array(w, "metrics", f, MAX_METRICS, &metrics, err))
			return -EINVAL;
		json_t *known = json_object();
		json_object_set_new(index, name, known);
		json_array_foreach(metrics, j, m)
		{
			const char *mname;
			bool hib;
			snprintf(f, sizeof(f), "workloads[%zu].metrics[%zu]", i, j);
			if (!json_is_object(m))
				return bad(err, f, "not an object");
			snprintf(f, sizeof(f), "workloads[%zu].metrics[%zu].name", i, j);
			if (want_str(m, "name", f, NAME_MAX_LEN, true, &mname, err))
				return -EINVAL;
			if (json_object_get(known, mname))
				return bad(err, f, "\"%s\" appears twice", mname);
			json_object_set_new(known, mname, json_true());
			snprintf(f, sizeof(f), "workloads[%zu].metrics[%zu].unit", i, j);
			if (want_str(m, "unit", f, 64, false, NULL, err))
				return -EINVAL;
			if (!printable(json_string_value(json_object_get(m, "unit"))))
				return bad(err, f, "has control characters");
			snprintf(f, sizeof(f), "workloads[%zu].metrics[%zu].higher_is_better", i,
				 j);
			if (want_flag(m, "higher_is_better", f, &hib, err))
				return -EINVAL;
		}
	}
	return 0;
}

/* A reference to a declared platform or workload; *found: its entry in the index. */
static int want_ref(const json_t *o, const char *key, const char *field, const json_t *index,
		    json_t **found, struct vb_error **err)
{
	const char *name;
	if (want_str(o, key, field, NAME_MAX_LEN, true, &name, err))
		return -EINVAL;
	json_t *v = json_object_get(index, name);
	if (!v)
		return bad(err, field, "\"%s\" is not declared in %ss", name, key);
	if (found)
		*found = v;
	return 0;
}

static int check_samples(const json_t *doc, const json_t *platforms, const json_t *workloads,
			 struct vb_error **err)
{
	json_t *arr = NULL, *s;
	size_t i;
	if (want_array(doc, "samples", "samples", SIZE_MAX, &arr, err))
		return -EINVAL;
	json_array_foreach(arr, i, s)
	{
		char f[64];
		json_t *metrics = NULL, *values = NULL, *v;
		const char *k;
		bool flag;
		snprintf(f, sizeof(f), "samples[%zu]", i);
		if (!json_is_object(s))
			return bad(err, f, "not an object");
		snprintf(f, sizeof(f), "samples[%zu].platform", i);
		if (want_ref(s, "platform", f, platforms, NULL, err))
			return -EINVAL;
		snprintf(f, sizeof(f), "samples[%zu].workload", i);
		if (want_ref(s, "workload", f, workloads, &metrics, err))
			return -EINVAL;
		snprintf(f, sizeof(f), "samples[%zu].warmup", i);
		if (want_flag(s, "warmup", f, &flag, err))
			return -EINVAL;
		snprintf(f, sizeof(f), "samples[%zu].ok", i);
		if (want_flag(s, "ok", f, &flag, err))
			return -EINVAL;
		/* Files of schema 3 and later say which fresh guest took it. */
		snprintf(f, sizeof(f), "samples[%zu].instance", i);
		if (json_object_get(s, "instance") && want_int(s, "instance", f, 0, err))
			return -EINVAL;
		if (json_integer_value(json_object_get(s, "instance")) > 1000000)
			return bad(err, f, "more than 1000000");
		snprintf(f, sizeof(f), "samples[%zu].values", i);
		if (want_object(s, "values", f, &values, err))
			return -EINVAL;
		json_object_foreach(values, k, v)
		{
			_cleanup_free_ char *fv = xasprintf("samples[%zu].values.%.64s", i, k);
			if (!json_object_get(metrics, k))
				return bad(err, fv, "not a metric of workload %s",
					   json_string_value(json_object_get(s, "workload")));
			double d;
			if (vb_json_num(values, k, &d))
				return bad(err, fv, "not a finite number");
		}
	}
	return 0;
}

static int check_summaries(const json_t *doc, const json_t *platforms, const json_t *workloads,
			   struct vb_error **err)
{
	static const char *const numbers[] = { "mean",	    "median",	 "stdev",   "min",
					       "max",	    "ci_low",	 "ci_high", "ratio",
					       "ratio_low", "ratio_high" };
	json_t *arr = NULL, *s;
	size_t i;
	if (want_array(doc, "summaries", "summaries", SIZE_MAX, &arr, err))
		return -EINVAL;
	json_array_foreach(arr, i, s)
	{
		char f[64];
		json_t *metrics = NULL;
		const char *metric;
		snprintf(f, sizeof(f), "summaries[%zu]", i);
		if (!json_is_object(s))
			return bad(err, f, "not an object");
		snprintf(f, sizeof(f), "summaries[%zu].platform", i);
		if (want_ref(s, "platform", f, platforms, NULL, err))
			return -EINVAL;
		snprintf(f, sizeof(f), "summaries[%zu].workload", i);
		if (want_ref(s, "workload", f, workloads, &metrics, err))
			return -EINVAL;
		snprintf(f, sizeof(f), "summaries[%zu].metric", i);
		if (want_str(s, "metric", f, NAME_MAX_LEN, true, &metric, err))
			return -EINVAL;
		if (!json_object_get(metrics, metric))
			return bad(err, f, "\"%s\" is not a metric of workload %s", metric,
				   json_string_value(json_object_get(s, "workload")));
		snprintf(f, sizeof(f), "summaries[%zu].n", i);
		if (want_int(s, "n", f, 0, err))
			return -EINVAL;
		for (size_t k = 0; k < VB_ARRAY_SIZE(numbers); k++) {
			json_t *v = json_object_get(s, numbers[k]);
			snprintf(f, sizeof(f), "summaries[%zu].%s", i, numbers[k]);
			if (!v)
				return bad(err, f, "missing");
			if (!json_is_number(v) && !json_is_null(v))
				return bad(err, f, "not a number or null");
		}
		snprintf(f, sizeof(f), "summaries[%zu].verdict", i);
		if (want_str(s, "verdict", f, 64, true, NULL, err))
			return -EINVAL;
		snprintf(f, sizeof(f), "summaries[%zu].outliers", i);
		if (want_int(s, "outliers", f, 0, err))
			return -EINVAL;
	}
	return 0;
}

int vb_result_doc_check(const json_t *doc, struct vb_error **err)
{
	const char *format;
	long long version;
	if (!json_is_object(doc))
		return bad(err, "the document", "not a JSON object");
	int r = vb_json_str(doc, "format", 64, &format);
	if (r == -ENOENT)
		return bad(err, "format", "missing");
	if (r || strcmp(format, VB_RESULT_FORMAT))
		return bad(err, "format", "not \"%s\"", VB_RESULT_FORMAT);
	r = vb_json_int(doc, "format_version", LLONG_MIN, LLONG_MAX, &version);
	if (r == -ENOENT)
		return bad(err, "format_version", "missing");
	if (r)
		return bad(err, "format_version", "not an integer");
	if (version != VB_RESULT_FORMAT_VERSION)
		return bad(err, "format_version",
			   "version %lld is not one this virtbench reads (it reads %d)", version,
			   VB_RESULT_FORMAT_VERSION);
	_cleanup_json_ json_t *platforms = json_object();
	_cleanup_json_ json_t *workloads = json_object();
	if (check_run(doc, err) || check_host(doc, err) || check_platforms(doc, platforms, err) ||
	    check_workloads(doc, workloads, err) || check_samples(doc, platforms, workloads, err) ||
	    check_summaries(doc, platforms, workloads, err))
		return -EINVAL;
	return 0;
}

int vb_result_doc_parse(const char *buf, size_t len, json_t **out, struct vb_error **err)
{
	*out = NULL;
	if (len > VB_RESULT_DOC_MAX)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "not a virtbench results document: larger than %d MiB",
				     VB_RESULT_DOC_MAX >> 20);
	json_error_t jerr;
	_cleanup_json_ json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "not a virtbench results document: invalid JSON at line %d, "
				     "column %d: %s",
				     jerr.line, jerr.column, jerr.text);
	int r = vb_result_doc_check(doc, err);
	if (r)
		return r;
	*out = steal_ptr(&doc);
	return 0;
}

int vb_result_doc_load(const char *path, json_t **out, struct vb_error **err)
{
	*out = NULL;
	_cleanup_free_ char *p = vb_printable(path);
	/* A regular file only: a fifo named here would block the read forever. */
	_cleanup_close_ int fd = vb_open_regular("results file", path, err);
	if (fd < 0)
		return fd;
	struct stat st;
	/* Refuse a large file before reading it; vb_read_fd caps the rest. */
	if (fstat(fd, &st) == 0 && st.st_size > VB_RESULT_DOC_MAX)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "%s: not a virtbench results document: larger than %d MiB", p,
				     VB_RESULT_DOC_MAX >> 20);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = vb_read_fd(fd, VB_RESULT_DOC_MAX, &buf, &len);
	if (r == -EFBIG)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "%s: not a virtbench results document: larger than %d MiB", p,
				     VB_RESULT_DOC_MAX >> 20);
	if (r)
		return vb_error_exit(err, r, VB_EXIT_USAGE, "cannot read %s: %s", p, strerror(-r));
	r = vb_result_doc_parse(buf, len, out, err);
	if (r)
		vb_error_wrap(err, "%s", p);
	return r;
}
