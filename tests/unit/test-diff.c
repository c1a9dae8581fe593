/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for reading results documents back (src/store/result-file.c)
 * and for comparing two of them (src/report/diff.c): verdicts and their
 * direction, the tolerance, one-sided cells, host and setup differences, the
 * baseline check, and the refusal of anything that is not a results file.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "test.h"
#include "core/json.h"
#include "core/util.h"
#include "report/diff.h"
#include "store/store.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FLAGS "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 avx"
#define FIXTURE VB_TEST_DATA "/results/run-host.json"

/* Ten values around 1 with a few percent of spread, as a quiet benchmark gives. */
static const double base10[] = { 1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00, 1.01, 0.99 };

/* A minimal valid document: one run on one host, platform "host", nothing measured. */
static json_t *doc_new(const char *cpu_model)
{
	json_t *doc =
	    json_pack("{s:s, s:i, s:{s:i, s:s, s:s, s:s, s:s},"
		      " s:{s:s, s:{s:s, s:s}, s:{s:s, s:i, s:s}, s:{s:I}, s:{s:s, s:[s, s]}},"
		      " s:[{s:s, s:b, s:{}}], s:[], s:[], s:[]}",
		      "format", "virtbench-results", "format_version", 1, "run", "id", 1, "tag",
		      "vb-00000001", "status", "complete", "started_at", "2026-01-01T00:00:00.000Z",
		      "command", "virtbench run", "host", "hostname", "h1", "kernel", "release",
		      "6.1.0", "cmdline", "ro quiet", "cpu", "model", cpu_model, "online", 4,
		      "flags", FLAGS, "memory", "total_bytes", (json_int_t)8 << 30, "cgroup",
		      "version", "v2", "hierarchies", "cpu", "memory", "platforms", "name", "host",
		      "emulated", 0, "spec", "workloads", "samples", "summaries");
	if (!doc)
		abort();
	return doc;
}

/* Add a metric (and its workload when new). */
static void doc_metric(json_t *doc, const char *workload, const char *metric, const char *unit,
		       bool hib)
{
	json_t *ws = json_object_get(doc, "workloads"), *w = NULL, *v;
	size_t i;
	json_array_foreach(
	    ws, i, v) if (!strcmp(json_string_value(json_object_get(v, "name")), workload)) w = v;
	if (!w) {
		w = json_pack("{s:s, s:s, s:{s:i}, s:[]}", "name", workload, "group", "w1",
			      "params", "threads", 2, "metrics");
		json_array_append_new(ws, w);
	}
	json_array_append_new(
	    json_object_get(w, "metrics"),
	    json_pack("{s:s, s:s, s:b}", "name", metric, "unit", unit, "higher_is_better", hib));
}

static void doc_platform(json_t *doc, const char *name, bool emulated)
{
	json_array_append_new(json_object_get(doc, "platforms"),
			      json_pack("{s:s, s:i}", "name", name, "emulated", emulated));
}

/*
 * n measured samples of one metric, each value scale * v[i], plus a warm-up
 * sample and a failed one whose values must not count.
 */
static void doc_samples(json_t *doc, const char *platform, const char *workload, const char *metric,
			const double *v, size_t n, double scale)
{
	json_t *s = json_object_get(doc, "samples");
	json_array_append_new(s, json_pack("{s:s, s:s, s:b, s:b, s:{s:f}}", "platform", platform,
					   "workload", workload, "warmup", 1, "ok", 1, "values",
					   metric, 1000.0));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(s, json_pack("{s:s, s:s, s:i, s:i, s:{s:f}}", "platform",
						   platform, "workload", workload, "warmup", 0,
						   "ok", 1, "values", metric, scale * v[i]));
	json_array_append_new(s, json_pack("{s:s, s:s, s:b, s:b, s:{s:f}, s:s}", "platform",
					   platform, "workload", workload, "warmup", 0, "ok", 0,
					   "values", metric, 0.001, "error", "timed out"));
}

/* A document with cpu.primes elapsed (lower is better) and rate (higher is better). */
static json_t *doc_primes(double elapsed_scale, double rate_scale)
{
	json_t *doc = doc_new("Xeon");
	doc_metric(doc, "cpu.primes", "elapsed", "s", false);
	doc_metric(doc, "cpu.primes", "rate", "numbers/s", true);
	doc_samples(doc, "host", "cpu.primes", "elapsed", base10, ARRAY_LEN(base10), elapsed_scale);
	doc_samples(doc, "host", "cpu.primes", "rate", base10, ARRAY_LEN(base10), 1e6 * rate_scale);
	return doc;
}

static const struct vb_diff_cell *cell(const struct vb_diff *d, const char *platform,
				       const char *workload, const char *metric)
{
	for (size_t i = 0; i < d->ncells; i++)
		if (!strcmp(d->cells[i].platform, platform) &&
		    !strcmp(d->cells[i].workload, workload) && !strcmp(d->cells[i].metric, metric))
			return &d->cells[i];
	return NULL;
}

static struct vb_diff *compare(const json_t *a, const json_t *b, double tolerance)
{
	struct vb_diff *d = NULL;
	struct vb_error *err = NULL;
	int r = vb_diff_compare(a, NULL, b, NULL, tolerance, &d, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "?");
	vb_error_free(&err);
	return d;
}

static char *printed(const struct vb_diff *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	vb_diff_print(f, d);
	fclose(f);
	return buf;
}

static void test_identical(void)
{
	_cleanup_json_ json_t *a = doc_primes(1, 1);
	_cleanup_json_ json_t *b = json_deep_copy(a);
	struct vb_diff *d = compare(a, b, 0);
	if (!d)
		return;
	CHECK(d->counts.cells == 2);
	CHECK(d->counts.equivalent == 2);
	CHECK(d->counts.better == 0 && d->counts.worse == 0 && d->counts.regressions == 0);
	CHECK(d->nhost == 0 && d->nsetup == 0 && d->nonly == 0);
	const struct vb_diff_cell *c = cell(d, "host", "cpu.primes", "elapsed");
	CHECK(c && c->verdict == VB_DIFF_EQUIVALENT && !c->regression);
	/* Warm-up (1000) and the failed sample (0.001) are left out. */
	CHECK(c && c->n_a == 10 && c->n_b == 10);
	CHECK(c && fabs(c->mean_a - 1.0) < 1e-9);
	CHECK(c && c->change_pct == 0 && c->ratio.ratio == 1);
	CHECK(c && c->ratio.low < 1 && c->ratio.high > 1);
	_cleanup_free_ char *text = printed(d);
	CHECK(strstr(text, "host fingerprints: the same"));
	CHECK(strstr(text, "equivalent"));
	CHECK(strstr(text, "tolerance 0%: 0 regressions"));
	vb_diff_free(d);
}

static void test_slower_lower_is_better(void)
{
	_cleanup_json_ json_t *a = doc_primes(1, 1);
	_cleanup_json_ json_t *b = doc_primes(1.3, 1);
	struct vb_diff *d = compare(a, b, 5);
	if (!d)
		return;
	const struct vb_diff_cell *c = cell(d, "host", "cpu.primes", "elapsed");
	CHECK(c && c->verdict == VB_DIFF_WORSE);
	CHECK(c && fabs(c->change_pct - 30) < 1e-6);
	CHECK(c && c->ratio.low > 1 && c->ratio.low < 1.3 && c->ratio.high > 1.3);
	CHECK(c && c->regression);
	CHECK(d->counts.worse == 1 && d->counts.equivalent == 1 && d->counts.regressions == 1);
	_cleanup_free_ char *text = printed(d);
	CHECK(strstr(text, "REGRESSION beyond 5%"));
	CHECK(strstr(text, "tolerance 5%: 1 regression\n"));
	vb_diff_free(d);

	/* Worse, but within a 50% tolerance: no regression. */
	d = compare(a, b, 50);
	if (!d)
		return;
	c = cell(d, "host", "cpu.primes", "elapsed");
	CHECK(c && c->verdict == VB_DIFF_WORSE && !c->regression);
	CHECK(d->counts.regressions == 0);
	vb_diff_free(d);

	/* No tolerance: verdicts only, nothing is a regression. */
	d = compare(a, b, NAN);
	if (!d)
		return;
	CHECK(d->counts.worse == 1 && d->counts.regressions == 0);
	vb_diff_free(d);

	/* The other way round it is better, never a regression. */
	d = compare(b, a, 0);
	if (!d)
		return;
	c = cell(d, "host", "cpu.primes", "elapsed");
	CHECK(c && c->verdict == VB_DIFF_BETTER && !c->regression);
	CHECK(c && c->ratio.high < 1);
	vb_diff_free(d);
}

static void test_higher_is_better(void)
{
	_cleanup_json_ json_t *a = doc_primes(1, 1);
	_cleanup_json_ json_t *up = doc_primes(1, 1.3);
	_cleanup_json_ json_t *down = doc_primes(1, 0.7);
	struct vb_diff *d = compare(a, up, 5);
	if (!d)
		return;
	const struct vb_diff_cell *c = cell(d, "host", "cpu.primes", "rate");
	CHECK(c && c->higher_is_better);
	CHECK(c && c->verdict == VB_DIFF_BETTER && !c->regression);
	CHECK(d->counts.better == 1 && d->counts.regressions == 0);
	vb_diff_free(d);

	d = compare(a, down, 5);
	if (!d)
		return;
	c = cell(d, "host", "cpu.primes", "rate");
	CHECK(c && c->verdict == VB_DIFF_WORSE && c->regression);
	CHECK(c && fabs(c->change_pct + 30) < 1e-6);
	vb_diff_free(d);

	/* 30% down is not beyond 50%, and is beyond 29%. */
	d = compare(a, down, 50);
	if (d)
		CHECK(d->counts.worse == 1 && d->counts.regressions == 0);
	vb_diff_free(d);
	d = compare(a, down, 29);
	if (d)
		CHECK(d->counts.regressions == 1);
	vb_diff_free(d);
}

static void test_missing_cells(void)
{
	_cleanup_json_ json_t *a = doc_primes(1, 1);
	_cleanup_json_ json_t *b = doc_primes(1, 1);
	doc_metric(a, "mem.memcpy", "bandwidth", "MiB/s", true);
	doc_samples(a, "host", "mem.memcpy", "bandwidth", base10, 10, 5000);
	doc_metric(b, "cpu.rsa", "elapsed", "s", false);
	doc_metric(a, "cpu.primes", "threads_used", "threads", true);
	doc_platform(b, "container", false);
	doc_samples(b, "container", "cpu.primes", "elapsed", base10, 10, 1);
	struct vb_diff *d = compare(a, b, 0);
	if (!d)
		return;
	CHECK(d->counts.cells == 2);
	CHECK(cell(d, "host", "cpu.primes", "elapsed") && cell(d, "host", "cpu.primes", "rate"));
	CHECK(!cell(d, "container", "cpu.primes", "elapsed"));
	CHECK(d->counts.only_a == 2 && d->counts.only_b == 2);
	bool mem = false, threads = false, rsa = false, container = false;
	for (size_t i = 0; i < d->nonly; i++) {
		const struct vb_diff_only *o = &d->only[i];
		mem |= o->side == 'A' && o->workload && !strcmp(o->workload, "mem.memcpy") &&
		       !o->metric && !o->platform;
		threads |= o->side == 'A' && o->metric && !strcmp(o->metric, "threads_used");
		rsa |= o->side == 'B' && o->workload && !strcmp(o->workload, "cpu.rsa");
		container |= o->side == 'B' && o->platform && !strcmp(o->platform, "container");
	}
	CHECK(mem && threads && rsa && container);
	_cleanup_free_ char *text = printed(d);
	CHECK(strstr(text, "workload mem.memcpy: only in A"));
	CHECK(strstr(text, "cpu.primes threads_used: only in A"));
	CHECK(strstr(text, "platform container: only in B"));
	vb_diff_free(d);

	/* The same metric in another unit is not compared. */
	_cleanup_json_ json_t *c = doc_new("Xeon");
	doc_metric(c, "cpu.primes", "elapsed", "ms", false);
	doc_metric(c, "cpu.primes", "rate", "numbers/s", false);
	d = compare(a, c, 0);
	if (!d)
		return;
	CHECK(d->counts.cells == 0 && d->counts.mismatched == 2);
	vb_diff_free(d);
}

static void test_inconclusive(void)
{
	_cleanup_json_ json_t *a = doc_new("Xeon");
	doc_metric(a, "cpu.primes", "elapsed", "s", false);
	_cleanup_json_ json_t *b = json_deep_copy(a);
	doc_samples(a, "host", "cpu.primes", "elapsed", base10, 10, 1);
	doc_samples(b, "host", "cpu.primes", "elapsed", base10, 1, 5);
	struct vb_diff *d = compare(a, b, 0);
	if (!d)
		return;
	const struct vb_diff_cell *c = cell(d, "host", "cpu.primes", "elapsed");
	CHECK(c && c->verdict == VB_DIFF_INCONCLUSIVE && c->why && !c->regression);
	CHECK(c && c->n_b == 1 && fabs(c->change_pct - 400) < 1e-6);
	CHECK(d->counts.inconclusive == 1 && d->counts.regressions == 0);
	vb_diff_free(d);

	/* Non-positive values: a ratio of means says nothing. */
	static const double neg[] = { -1, 2, -3, 4 };
	_cleanup_json_ json_t *e = doc_new("Xeon");
	doc_metric(e, "cpu.primes", "elapsed", "s", false);
	doc_samples(e, "host", "cpu.primes", "elapsed", neg, 4, 1);
	d = compare(e, e, 0);
	if (d) {
		CHECK(d->counts.inconclusive == 1);
		vb_diff_free(d);
	}
}

static void test_host_and_setup(void)
{
	_cleanup_json_ json_t *a = doc_primes(1, 1);
	_cleanup_json_ json_t *b = doc_primes(1, 1);
	json_t *hb = json_object_get(b, "host");
	json_object_set_new(json_object_get(hb, "cpu"), "model", json_string("EPYC"));
	json_object_set_new(
	    json_object_get(hb, "cpu"), "flags",
	    json_string(
		"fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 sse4a"));
	json_object_set_new(json_object_get(hb, "kernel"), "release", json_string("6.12.0"));
	json_object_set_new(json_object_get(hb, "memory"), "total_bytes", json_null());
	json_object_set_new(hb, "virtualization", json_pack("{s:s}", "qemu", "QEMU 8.2"));
	json_t *w = json_array_get(json_object_get(b, "workloads"), 0);
	json_object_set_new(json_object_get(w, "params"), "threads", json_integer(4));
	struct vb_diff *d = compare(a, b, NAN);
	if (!d)
		return;
	bool model = false, kernel = false, mem = false, qemu = false, flags = false;
	for (size_t i = 0; i < d->nhost; i++) {
		const struct vb_diff_field *f = &d->host[i];
		model |=
		    !strcmp(f->name, "cpu.model") && !strcmp(f->a, "Xeon") && !strcmp(f->b, "EPYC");
		kernel |= !strcmp(f->name, "kernel.release");
		mem |= !strcmp(f->name, "memory.total_bytes") && !strcmp(f->b, "null");
		qemu |= !strcmp(f->name, "virtualization.qemu") && !strcmp(f->a, "(absent)");
		flags |= !strcmp(f->name, "cpu.flags") && f->words && !strcmp(f->a, "avx") &&
			 !strcmp(f->b, "sse4a");
	}
	CHECK(d->nhost == 5);
	CHECK(model && kernel && mem && qemu);
	CHECK_MSG(flags, "flags listed as words only in one side");
	CHECK(d->nsetup == 1 && !strcmp(d->setup[0].name, "workload cpu.primes: threads") &&
	      !strcmp(d->setup[0].a, "2") && !strcmp(d->setup[0].b, "4"));
	_cleanup_free_ char *text = printed(d);
	CHECK(strstr(text, "host fingerprints differ in 5 fields"));
	CHECK(strstr(text, "  cpu.model: Xeon -> EPYC\n"));
	vb_diff_free(d);
}

static void test_json(void)
{
	_cleanup_json_ json_t *a = doc_primes(1, 1);
	_cleanup_json_ json_t *b = doc_primes(1.5, 1);
	struct vb_diff *d = compare(a, b, 10);
	if (!d)
		return;
	_cleanup_json_ json_t *j = vb_diff_json(d);
	vb_diff_free(d);
	CHECK(j && !strcmp(json_string_value(json_object_get(j, "format")), "virtbench-diff"));
	json_t *counts = json_object_get(j, "counts");
	CHECK(json_integer_value(json_object_get(counts, "regressions")) == 1);
	CHECK(json_integer_value(json_object_get(counts, "cells")) == 2);
	json_t *c0 = json_array_get(json_object_get(j, "cells"), 0);
	CHECK(!strcmp(json_string_value(json_object_get(c0, "verdict")), "worse"));
	CHECK(json_is_true(json_object_get(c0, "regression")));
	CHECK(fabs(json_real_value(json_object_get(c0, "change_pct")) - 50) < 1e-6);
	CHECK(json_real_value(json_object_get(j, "tolerance_pct")) == 10);
}

static void test_bad_tolerance(void)
{
	_cleanup_json_ json_t *a = doc_primes(1, 1);
	static const double bad[] = { -1, INFINITY, -INFINITY };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct vb_diff *d = NULL;
		struct vb_error *err = NULL;
		CHECK(vb_diff_compare(a, NULL, a, NULL, bad[i], &d, &err) == -EINVAL);
		CHECK(!d && err && err->exit_code == VB_EXIT_USAGE);
		vb_error_free(&err);
	}
}

static char *tmpfile_with(const char *text, size_t len)
{
	char *path = xstrdup("/tmp/vb-test-diff-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || vb_write_all(fd, text, len)) {
		free(path);
		path = NULL;
	}
	if (fd >= 0)
		close(fd);
	return path;
}

static void test_baseline(void)
{
	_cleanup_json_ json_t *base = doc_primes(1, 1);
	_cleanup_json_ json_t *cur = doc_primes(1.25, 1);
	_cleanup_free_ char *text = vb_json_line(base);
	_cleanup_free_ char *path = tmpfile_with(text, strlen(text));
	if (!path)
		SKIP("cannot write a temporary file");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned regressions = 99;
	struct vb_error *err = NULL;
	int r = vb_diff_baseline(cur, path, 10, f, &regressions, &err);
	fclose(f);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "?");
	vb_error_free(&err);
	CHECK(regressions == 1);
	/* A is the baseline file, B the current run. */
	CHECK(buf && strstr(buf, path) && strstr(buf, "+25.0%") && strstr(buf, "REGRESSION"));
	free(buf);

	f = fopen("/dev/null", "w");
	r = vb_diff_baseline(cur, path, 30, f, &regressions, &err);
	CHECK(r == 0 && regressions == 0);
	vb_error_free(&err);

	/* Nothing in common: refused, so a wrong baseline cannot pass. */
	_cleanup_json_ json_t *other = doc_new("Xeon");
	doc_metric(other, "mem.memcpy", "bandwidth", "MiB/s", true);
	r = vb_diff_baseline(other, path, 10, f, &regressions, &err);
	CHECK(r == -EINVAL && err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);

	r = vb_diff_baseline(cur, "/nonexistent/baseline.json", 10, f, &regressions, &err);
	CHECK(r < 0 && err && err->exit_code == VB_EXIT_USAGE);
	CHECK(err && strstr(err->msg, "/nonexistent/baseline.json"));
	vb_error_free(&err);
	fclose(f);
	unlink(path);
}

static void test_fixture(void)
{
	_cleanup_json_ json_t *doc = NULL;
	struct vb_error *err = NULL;
	int r = vb_result_doc_load(FIXTURE, &doc, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "?");
	vb_error_free(&err);
	if (r)
		return;
	/* The store's integer flags (emulated, warmup, ok) are read as flags. */
	struct vb_diff *d = compare(doc, doc, 0);
	if (!d)
		return;
	/* The same document twice: never better or worse; 3 samples this spread decide little. */
	CHECK(d->counts.cells == 4 && d->counts.better == 0 && d->counts.worse == 0 &&
	      d->counts.equivalent + d->counts.inconclusive == 4);
	const struct vb_diff_cell *c = cell(d, "host", "mem.memcpy", "bandwidth");
	CHECK(c && c->n_a == 3 && c->higher_is_better);
	vb_diff_free(d);
}

/* Parse a modification of the fixture: fn edits the document, then it is re-encoded. */
static int parse_modified(void (*fn)(json_t *doc), char **msg)
{
	_cleanup_json_ json_t *doc = NULL;
	struct vb_error *err = NULL;
	if (vb_result_doc_load(FIXTURE, &doc, &err)) {
		vb_error_free(&err);
		return 12345;
	}
	fn(doc);
	_cleanup_free_ char *text = vb_json_line(doc);
	_cleanup_json_ json_t *out = NULL;
	int r = vb_result_doc_parse(text, strlen(text), &out, &err);
	if (r) {
		CHECK(!out && err && err->exit_code == VB_EXIT_USAGE);
		*msg = err ? xstrdup(err->msg) : NULL;
	}
	vb_error_free(&err);
	return r;
}

static json_t *path(json_t *doc, const char *a, size_t i)
{
	return json_array_get(json_object_get(doc, a), i);
}

static void m_format(json_t *d)
{
	json_object_set_new(d, "format", json_string("virtbench-result"));
}
static void m_version(json_t *d)
{
	json_object_set_new(d, "format_version", json_integer(2));
}
static void m_version_str(json_t *d)
{
	json_object_set_new(d, "format_version", json_string("1"));
}
static void m_value_str(json_t *d)
{
	json_object_set_new(json_object_get(path(d, "samples", 2), "values"), "elapsed",
			    json_string("0.5"));
}
static void m_value_nan(json_t *d)
{
	json_object_set_new(json_object_get(path(d, "samples", 2), "values"), "elapsed",
			    json_string("NaN"));
}
static void m_value_inf(json_t *d)
{
	json_object_set_new(json_object_get(path(d, "samples", 2), "values"), "elapsed",
			    json_string("inf"));
}
static void m_value_unknown(json_t *d)
{
	json_object_set_new(json_object_get(path(d, "samples", 2), "values"), "bogus",
			    json_real(1));
}
static void m_instance_str(json_t *d)
{
	json_object_set_new(path(d, "samples", 2), "instance", json_string("1"));
}

static void m_instance_neg(json_t *d)
{
	json_object_set_new(path(d, "samples", 2), "instance", json_integer(-1));
}

static void m_no_run(json_t *d)
{
	json_object_del(d, "run");
}
static void m_no_host(json_t *d)
{
	json_object_del(d, "host");
}
static void m_no_ok(json_t *d)
{
	json_object_del(path(d, "samples", 2), "ok");
}
static void m_ok_two(json_t *d)
{
	json_object_set_new(path(d, "samples", 2), "ok", json_integer(2));
}
static void m_no_unit(json_t *d)
{
	json_object_del(json_array_get(json_object_get(path(d, "workloads", 0), "metrics"), 0),
			"unit");
}
static void m_hib_str(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(path(d, "workloads", 0), "metrics"), 1),
			    "higher_is_better", json_string("yes"));
}
static void m_platform_undeclared(json_t *d)
{
	json_object_set_new(path(d, "samples", 0), "platform", json_string("kvm"));
}
static void m_platform_twice(json_t *d)
{
	json_array_append(json_object_get(d, "platforms"), path(d, "platforms", 0));
}
static void m_no_emulated(json_t *d)
{
	json_object_del(path(d, "platforms", 0), "emulated");
}
static void m_samples_object(json_t *d)
{
	json_object_set_new(d, "samples", json_object());
}
static void m_no_summaries(json_t *d)
{
	json_object_del(d, "summaries");
}
static void m_summary_mean_str(json_t *d)
{
	json_object_set_new(path(d, "summaries", 0), "mean", json_string("1"));
}
static void m_name_control(json_t *d)
{
	json_object_set_new(path(d, "workloads", 0), "name", json_string("cpu\x1b[2Jprimes"));
}
/* C1 CSI as UTF-8: an escape sequence on 8-bit terminals. */
static void m_name_c1(json_t *d)
{
	json_object_set_new(path(d, "workloads", 0), "name",
			    json_string("cpu\xc2\x9b"
					"2Jprimes"));
}
/* A host leaf the diff prints: no escape sequence either. */
static void m_host_control(json_t *d)
{
	json_object_set_new(json_object_get(d, "host"), "hostname",
			    json_string("h\x1b]0;pwned\x07"));
}
static void m_host_nested(json_t *d)
{
	json_object_set_new(json_object_get(d, "host"), "cpu",
			    json_pack("{s:{s:{s:{s:{s:i}}}}}", "a", "b", "c", "d", "e", 1));
}
static void m_run_id_str(json_t *d)
{
	json_object_set_new(json_object_get(d, "run"), "id", json_string("1"));
}

static void test_rejects(void)
{
	static const struct {
		void (*fn)(json_t *doc);
		const char *field; /* the message must name it */
	} cases[] = {
		{ m_format, "format" },
		{ m_version, "format_version: version 2" },
		{ m_version_str, "format_version" },
		{ m_value_str, "samples[2].values.elapsed: not a finite number" },
		{ m_value_nan, "samples[2].values.elapsed" },
		{ m_value_inf, "samples[2].values.elapsed" },
		{ m_value_unknown, "samples[2].values.bogus" },
		{ m_instance_str, "samples[2].instance" },
		{ m_instance_neg, "samples[2].instance" },
		{ m_no_run, "run: missing" },
		{ m_no_host, "host: missing" },
		{ m_no_ok, "samples[2].ok: missing" },
		{ m_ok_two, "samples[2].ok" },
		{ m_no_unit, "workloads[0].metrics[0].unit: missing" },
		{ m_hib_str, "workloads[0].metrics[1].higher_is_better" },
		{ m_platform_undeclared, "samples[0].platform" },
		{ m_platform_twice, "platforms[1].name" },
		{ m_no_emulated, "platforms[0].emulated" },
		{ m_samples_object, "samples: not an array" },
		{ m_no_summaries, "summaries: missing" },
		{ m_summary_mean_str, "summaries[0].mean" },
		{ m_name_control, "workloads[0].name" },
		{ m_name_c1, "workloads[0].name" },
		{ m_host_control, "host.hostname" },
		{ m_host_nested, "nested too deep" },
		{ m_run_id_str, "run.id" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *msg = NULL;
		int r = parse_modified(cases[i].fn, &msg);
		CHECK_MSG(r == -EINVAL, "case %zu (%s): %d", i, cases[i].field, r);
		CHECK_MSG(msg && strstr(msg, cases[i].field), "case %zu: '%s' lacks '%s'", i,
			  msg ? msg : "(none)", cases[i].field);
		free(msg);
	}
}

static void test_rejects_text(void)
{
	static const char *const texts[] = {
		"",
		"[]",
		"{\"format\": \"virtbench-results\", \"format_version\": 1",
		"{\"format\": \"virtbench-results\", \"format\": \"virtbench-results\"}",
		"{\"format\": \"virtbench-results\", \"format_version\": NaN}",
		"{\"format\": \"virtbench-results\", \"format_version\": 1e999}",
		"{\"format\": \"virtbench-results\", \"format_version\": 1} trailing",
		"\"virtbench-results\"",
	};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		json_t *doc = NULL;
		struct vb_error *err = NULL;
		int r = vb_result_doc_parse(texts[i], strlen(texts[i]), &doc, &err);
		CHECK_MSG(r == -EINVAL && !doc, "text %zu accepted", i);
		CHECK(err && err->exit_code == VB_EXIT_USAGE &&
		      strstr(err->msg, "not a virtbench results document"));
		vb_error_free(&err);
		json_decref(doc);
	}
	/* A literal NaN in a value: not JSON at all. */
	char *buf = NULL;
	size_t len = 0;
	CHECK(vb_read_file(FIXTURE, VB_RESULT_DOC_MAX, &buf, &len) == 0);
	if (buf) {
		char *v = strstr(buf, "\"elapsed\": 0.");
		CHECK(v != NULL);
		if (v) {
			_cleanup_free_ char *t = xasprintf("%.*s\"elapsed\": NaN%s", (int)(v - buf),
							   buf, v + strcspn(v, ",}") + 0);
			json_t *doc = NULL;
			struct vb_error *err = NULL;
			CHECK(vb_result_doc_parse(t, strlen(t), &doc, &err) == -EINVAL);
			CHECK(err && strstr(err->msg, "invalid JSON at line"));
			vb_error_free(&err);
		}
		free(buf);
	}
}

static void test_huge_file(void)
{
	_cleanup_free_ char *path = tmpfile_with("{", 1);
	if (!path)
		SKIP("cannot write a temporary file");
	/* Sparse: no disk used, but larger than the cap. */
	CHECK(truncate(path, (off_t)VB_RESULT_DOC_MAX + 1) == 0);
	json_t *doc = NULL;
	struct vb_error *err = NULL;
	CHECK(vb_result_doc_load(path, &doc, &err) == -EINVAL);
	CHECK(!doc && err && err->exit_code == VB_EXIT_USAGE && strstr(err->msg, "larger than"));
	vb_error_free(&err);
	/* The parser caps its input too. */
	CHECK(vb_result_doc_parse("{", (size_t)VB_RESULT_DOC_MAX + 1, &doc, &err) == -EINVAL);
	vb_error_free(&err);
	unlink(path);

	CHECK(vb_result_doc_load("/nonexistent.json", &doc, &err) == -ENOENT);
	CHECK(err && err->exit_code == VB_EXIT_USAGE && strstr(err->msg, "/nonexistent.json"));
	vb_error_free(&err);
}

static void test_round_trip(void)
{
	/* What the code builds, and booleans in place of the store's 0/1, are accepted. */
	_cleanup_json_ json_t *a = doc_primes(1, 1);
	_cleanup_free_ char *text = vb_json_line(a);
	_cleanup_json_ json_t *back = NULL;
	struct vb_error *err = NULL;
	CHECK_MSG(vb_result_doc_parse(text, strlen(text), &back, &err) == 0, "%s",
		  err ? err->msg : "?");
	vb_error_free(&err);
	CHECK(back && json_equal(a, back));
}

/*
 * Runs over fresh guests: B/A is judged across instances, as the runs'
 * own summaries are. Three instances a side whose means differ more than
 * the samples within: the interval is that of the three means.
 */
static void test_instances(void)
{
	json_t *a = doc_new("Xeon"), *b = doc_new("Xeon");
	doc_metric(a, "cpu.primes", "elapsed", "s", false);
	doc_metric(b, "cpu.primes", "elapsed", "s", false);
	static const double off[] = { 1.0, 1.1, 0.9 };
	double ma[3], mb[3];
	for (int side = 0; side < 2; side++) {
		json_t *doc = side ? b : a;
		json_t *s = json_object_get(doc, "samples");
		for (int i = 0; i < 3; i++) {
			double g = 1;
			for (int k = 0; k < 4; k++) {
				double v = off[i] * (side ? 1.02 : 1) * base10[k];
				g *= v;
				json_array_append_new(
				    s, json_pack("{s:s, s:s, s:b, s:b, s:i, s:{s:f}}", "platform",
						 "host", "workload", "cpu.primes", "warmup", 0,
						 "ok", 1, "instance", i, "values", "elapsed", v));
			}
			(side ? mb : ma)[i] = pow(g, 0.25);
		}
	}
	struct vb_diff *d = compare(a, b, NAN);
	const struct vb_diff_cell *c = d ? cell(d, "host", "cpu.primes", "elapsed") : NULL;
	struct vb_ratio want;
	CHECK(vb_stats_ratio_interval(mb, 3, ma, 3, &want) == 0);
	CHECK(c && fabs(c->ratio.low - want.low) < 1e-9 && fabs(c->ratio.high - want.high) < 1e-9);
	vb_diff_free(d);
	json_decref(a);
	json_decref(b);
}

TEST_MAIN(T(test_identical), T(test_slower_lower_is_better), T(test_higher_is_better),
	  T(test_missing_cells), T(test_inconclusive), T(test_host_and_setup), T(test_json),
	  T(test_bad_tolerance), T(test_baseline), T(test_fixture), T(test_rejects),
	  T(test_rejects_text), T(test_huge_file), T(test_round_trip), T(test_instances))
