/* SPDX-License-Identifier: MIT */
/* Unit tests for the workload registry and the declarative option tables. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "test.h"
#include "core/json.h"
#include "core/util.h"
#include "virtbench/workload.h"

#define MIB ((uint64_t)1 << 20)

static size_t nworkloads(void)
{
	size_t n = 0;

	while (vb_workloads[n])
		n++;
	return n;
}

static void test_registry(void)
{
	size_t n = nworkloads();

	CHECK(n >= 2);
	CHECK(vb_workload_find("cpu.primes") != NULL);
	CHECK(vb_workload_find("mem.memcpy") != NULL);
	CHECK(vb_workload_find("cpu") == NULL);
	CHECK(vb_workload_find("") == NULL);
	CHECK(vb_workload_find("CPU.PRIMES") == NULL);
	for (size_t i = 0; i < n; i++) {
		const struct vb_workload_ops *w = vb_workloads[i];

		CHECK(w->name && vb_is_token(w->name, 64));
		CHECK_MSG(strchr(w->name, '.') != NULL, "%s is not group.name", w->name);
		CHECK_MSG(vb_workload_find(w->name) == w, "%s", w->name);
		CHECK_MSG(w->group && *w->group, "%s", w->name);
		CHECK_MSG(w->summary && *w->summary, "%s", w->name);
		CHECK_MSG(w->study_ref && *w->study_ref, "%s", w->name);
		CHECK_MSG(w->run != NULL, "%s", w->name);
		CHECK_MSG(w->opts_size > 0 && w->opts_size % sizeof(uint64_t) == 0, "%s", w->name);
		for (size_t j = 0; j < i; j++)
			CHECK_MSG(strcmp(vb_workloads[j]->name, w->name), "%s twice", w->name);
	}
}

static void test_option_tables(void)
{
	for (size_t i = 0; vb_workloads[i]; i++) {
		const struct vb_workload_ops *w = vb_workloads[i];
		size_t no = vb_workload_noptions(w), nm = vb_workload_nmetrics(w);

		CHECK_MSG(no >= 1, "%s has no options", w->name);
		for (size_t k = 0; k < no; k++) {
			const struct vb_option *o = &w->options[k];

			CHECK_MSG(vb_is_token(o->name, 64), "%s: option name", w->name);
			for (const char *c = o->name; *c; c++)
				CHECK_MSG((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
					      *c == '_',
					  "%s: option %s is not [a-z0-9_]+", w->name, o->name);
			CHECK_MSG(o->type == VB_OPT_U64 || o->type == VB_OPT_SIZE ||
				      o->type == VB_OPT_BOOL || o->type == VB_OPT_CHOICE,
				  "%s.%s type", w->name, o->name);
			CHECK_MSG((o->type == VB_OPT_CHOICE) == (o->choices != NULL),
				  "%s.%s choices", w->name, o->name);
			/* A choice's names: [a-z][a-z0-9_]*, max + 1 of them, then NULL. */
			for (uint64_t c = 0; o->choices && c <= o->max + 1; c++) {
				const char *n = o->choices[c];
				if (c == o->max + 1) {
					CHECK_MSG(n == NULL, "%s.%s: more names than max", w->name,
						  o->name);
					break;
				}
				CHECK_MSG(n && n[0] >= 'a' && n[0] <= 'z' && vb_is_token(n, 64),
					  "%s.%s choice %" PRIu64, w->name, o->name, c);
			}
			CHECK_MSG(o->offset % sizeof(uint64_t) == 0 &&
				      o->offset + sizeof(uint64_t) <= w->opts_size,
				  "%s.%s offset %zu", w->name, o->name, o->offset);
			CHECK_MSG(o->min <= o->max, "%s.%s bounds", w->name, o->name);
			for (int p = VB_PROFILE_QUICK; p <= VB_PROFILE_FULL; p++)
				CHECK_MSG(o->min <= o->def[p] && o->def[p] <= o->max,
					  "%s.%s default %d = %" PRIu64 " outside [%" PRIu64
					  ", %" PRIu64 "]",
					  w->name, o->name, p, o->def[p], o->min, o->max);
			if (o->type == VB_OPT_BOOL)
				CHECK_MSG(o->max <= 1, "%s.%s", w->name, o->name);
			CHECK_MSG(o->help && *o->help, "%s.%s help", w->name, o->name);
			CHECK(vb_workload_option(w, o->name) == o);
			for (size_t j = 0; j < k; j++) {
				CHECK_MSG(strcmp(w->options[j].name, o->name), "%s.%s twice",
					  w->name, o->name);
				CHECK_MSG(w->options[j].offset != o->offset, "%s.%s shares a field",
					  w->name, o->name);
			}
		}
		CHECK(vb_workload_option(w, "no_such_option") == NULL);

		CHECK_MSG(nm >= 1, "%s has no metrics", w->name);
		CHECK(nm <= 64);
		for (size_t k = 0; k < nm; k++) {
			const struct vb_metric_desc *m = &w->metrics[k];

			CHECK_MSG(vb_is_token(m->name, 64), "%s: metric name", w->name);
			CHECK_MSG(m->unit && *m->unit, "%s.%s has no unit", w->name, m->name);
			CHECK_MSG(m->help && *m->help, "%s.%s help", w->name, m->name);
			for (size_t j = 0; j < k; j++)
				CHECK_MSG(strcmp(w->metrics[j].name, m->name), "%s.%s twice",
					  w->name, m->name);
		}
	}
}

static void test_defaults(void)
{
	for (size_t i = 0; vb_workloads[i]; i++) {
		const struct vb_workload_ops *w = vb_workloads[i];

		for (int p = VB_PROFILE_QUICK; p <= VB_PROFILE_FULL; p++) {
			_cleanup_free_ unsigned char *opts = xmalloc(w->opts_size);

			memset(opts, 0xa5, w->opts_size);
			vb_options_defaults(w, (enum vb_profile)p, opts);
			for (const struct vb_option *o = w->options; o->name; o++)
				CHECK_MSG(vb_option_get(o, opts) == o->def[p], "%s.%s profile %d",
					  w->name, o->name, p);
		}
	}
	{
		/* The quick profile is never bigger than the full one. */
		const struct vb_workload_ops *w = vb_workload_find("mem.memcpy");
		const struct vb_option *size = w ? vb_workload_option(w, "size") : NULL;

		CHECK(size != NULL);
		if (size)
			CHECK(size->def[VB_PROFILE_QUICK] <= size->def[VB_PROFILE_FULL]);
	}
}

static void test_parse_size_option(void)
{
	const struct vb_workload_ops *w = vb_workload_find("mem.memcpy");
	const struct vb_option *size, *loops;
	struct vb_error *err = NULL;
	_cleanup_free_ void *opts = NULL;

	CHECK(w != NULL);
	if (!w)
		return;
	size = vb_workload_option(w, "size");
	loops = vb_workload_option(w, "loops");
	CHECK(size && size->type == VB_OPT_SIZE);
	CHECK(loops && loops->type == VB_OPT_U64);
	if (!size || !loops)
		return;
	opts = xmalloc(w->opts_size);
	vb_options_defaults(w, VB_PROFILE_QUICK, opts);

	CHECK(vb_option_parse(w, size, "64M", opts, &err) == 0);
	CHECK(err == NULL);
	CHECK(vb_option_get(size, opts) == 64 * MIB);
	CHECK(vb_option_parse(w, size, "1.5GiB", opts, &err) == 0);
	CHECK(vb_option_get(size, opts) == 1536 * MIB);
	CHECK(vb_option_parse(w, size, "8192", opts, &err) == 0);
	CHECK(vb_option_get(size, opts) == 8192);
	/* The other option is untouched. */
	CHECK(vb_option_get(loops, opts) == loops->def[VB_PROFILE_QUICK]);

	/* Parses, but out of the option's bounds. */
	CHECK(vb_option_parse(w, size, "1P", opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "out of range"));
	CHECK(err && strstr(err->msg, "mem.memcpy") && strstr(err->msg, "size"));
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	CHECK(vb_option_get(size, opts) == 8192);
	vb_error_free(&err);
	CHECK(vb_option_parse(w, size, "1K", opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "out of range"));
	vb_error_free(&err);
	/* Too big for 64 bits at all. */
	CHECK(vb_option_parse(w, size, "16384P", opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "out of range"));
	vb_error_free(&err);
	/* Not a size. */
	CHECK(vb_option_parse(w, size, "lots", opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "not a valid size"));
	vb_error_free(&err);
	CHECK(vb_option_parse(w, size, "1.3", opts, &err) == -EINVAL);
	vb_error_free(&err);
	CHECK(vb_option_parse(w, size, "", opts, &err) == -EINVAL);
	vb_error_free(&err);
	CHECK(vb_option_get(size, opts) == 8192);

	/* A count takes no suffix. */
	CHECK(vb_option_parse(w, loops, "3", opts, &err) == 0);
	CHECK(vb_option_get(loops, opts) == 3);
	CHECK(vb_option_parse(w, loops, "3K", opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "non-negative integer"));
	vb_error_free(&err);
	CHECK(vb_option_parse(w, loops, "-1", opts, &err) == -EINVAL);
	vb_error_free(&err);
	CHECK(vb_option_get(loops, opts) == 3);
}

static void test_parse_threads(void)
{
	const struct vb_workload_ops *w = vb_workload_find("cpu.primes");
	const struct vb_option *threads, *limit;
	struct vb_error *err = NULL;
	_cleanup_free_ void *opts = NULL;

	CHECK(w != NULL);
	if (!w)
		return;
	threads = vb_workload_option(w, "threads");
	limit = vb_workload_option(w, "limit");
	CHECK(threads && limit);
	if (!threads || !limit)
		return;
	opts = xmalloc(w->opts_size);
	vb_options_defaults(w, VB_PROFILE_FULL, opts);

	CHECK(vb_option_parse(w, threads, "4", opts, &err) == 0);
	CHECK(vb_option_get(threads, opts) == 4);
	CHECK(vb_option_parse(w, threads, "0", opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "out of range"));
	CHECK(err && strstr(err->msg, "threads"));
	vb_error_free(&err);
	CHECK(vb_option_get(threads, opts) == 4);
	CHECK(vb_option_parse(w, threads, "18446744073709551616", opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "out of range"));
	vb_error_free(&err);

	/* vb_option_set applies the same bounds. */
	CHECK(vb_option_set(w, threads, 0, opts, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "out of range"));
	vb_error_free(&err);
	CHECK(vb_option_set(w, threads, threads->max + 1, opts, &err) == -EINVAL);
	vb_error_free(&err);
	CHECK(vb_option_set(w, threads, threads->max, opts, &err) == 0);
	CHECK(vb_option_get(threads, opts) == threads->max);
	CHECK(vb_option_set(w, limit, limit->min, opts, &err) == 0);
	CHECK(vb_option_get(limit, opts) == limit->min);
	CHECK(err == NULL);
	/* An over-long value is cut in the message, not copied whole. */
	{
		char text[300];

		memset(text, '9', sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		CHECK(vb_option_parse(w, limit, text, opts, &err) == -EINVAL);
		CHECK(err && strlen(err->msg) < 200);
		vb_error_free(&err);
	}
}

/* Every spelling of a boolean, on one option of one workload. */
static void check_bool_option(const struct vb_workload_ops *w, const struct vb_option *o)
{
	static const char *const yes[] = { "1", "true", "yes", "TRUE", "Yes" };
	static const char *const no[] = { "0", "false", "no", "False" };
	struct vb_error *err = NULL;
	_cleanup_free_ void *opts = xmalloc(w->opts_size);
	char buf[16];

	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	for (size_t k = 0; k < sizeof(yes) / sizeof(yes[0]); k++) {
		CHECK(vb_option_parse(w, o, yes[k], opts, &err) == 0);
		CHECK(vb_option_get(o, opts) == 1);
	}
	for (size_t k = 0; k < sizeof(no) / sizeof(no[0]); k++) {
		CHECK(vb_option_parse(w, o, no[k], opts, &err) == 0);
		CHECK(vb_option_get(o, opts) == 0);
	}
	CHECK(vb_option_parse(w, o, "maybe", opts, &err) == -EINVAL);
	vb_error_free(&err);
	CHECK(vb_option_parse(w, o, "2", opts, &err) == -EINVAL);
	vb_error_free(&err);
	CHECK(!strcmp(vb_option_format(o, 1, buf, sizeof(buf)), "true"));
	CHECK(!strcmp(vb_option_format(o, 0, buf, sizeof(buf)), "false"));
}

struct flag_opts {
	uint64_t direct;
};

static void test_bool_options(void)
{
	/* A table of our own, so booleans are tested before any workload has one. */
	static const struct vb_option flag_options[] = {
		{ "direct", VB_OPT_BOOL, offsetof(struct flag_opts, direct), { 0, 1 }, 0, 1, "" },
		{ 0 },
	};
	static const struct vb_metric_desc flag_metrics[] = { { "x", "s", false, "" }, { 0 } };
	static const struct vb_workload_ops flag = {
		.name = "test.flag",
		.group = "w4",
		.options = flag_options,
		.opts_size = sizeof(struct flag_opts),
		.metrics = flag_metrics,
	};

	check_bool_option(&flag, &flag_options[0]);
	for (size_t i = 0; vb_workloads[i]; i++)
		for (const struct vb_option *o = vb_workloads[i]->options; o->name; o++)
			if (o->type == VB_OPT_BOOL)
				check_bool_option(vb_workloads[i], o);
}

static void test_format(void)
{
	static const struct vb_option size = {
		"size", VB_OPT_SIZE, 0, { 0, 0 }, 0, UINT64_MAX, ""
	};
	static const struct vb_option count = { "n", VB_OPT_U64, 0, { 0, 0 }, 0, UINT64_MAX, "" };
	static const struct vb_option flag = { "f", VB_OPT_BOOL, 0, { 0, 0 }, 0, 1, "" };
	static const struct {
		uint64_t v;
		const char *want;
	} sizes[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ 1000, "1000" },
		{ 1024, "1KiB" },
		{ 1536, "1536" },
		{ 3 << 10, "3KiB" },
		{ 64 * MIB, "64MiB" },
		{ 1536 * MIB, "1536MiB" },
		{ 1ULL << 30, "1GiB" },
		{ 1ULL << 40, "1TiB" },
		{ 1ULL << 50, "1PiB" },
		{ 1ULL << 60, "1EiB" },
		{ 1ULL << 63, "8EiB" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		CHECK_MSG(
		    !strcmp(vb_option_format(&size, sizes[i].v, buf, sizeof(buf)), sizes[i].want),
		    "%" PRIu64 " gave %s, want %s", sizes[i].v, buf, sizes[i].want);
	CHECK(!strcmp(vb_option_format(&count, 64 * MIB, buf, sizeof(buf)), "67108864"));
	CHECK(!strcmp(vb_option_format(&count, UINT64_MAX, buf, sizeof(buf)),
		      "18446744073709551615"));
	CHECK(!strcmp(vb_option_format(&flag, 1, buf, sizeof(buf)), "true"));
	CHECK(!strcmp(vb_option_format(&flag, 0, buf, sizeof(buf)), "false"));
	/* A short buffer is truncated, never overrun. */
	memset(buf, 'x', sizeof(buf));
	CHECK(vb_option_format(&count, 123456789, buf, 4) == buf);
	CHECK(!strcmp(buf, "123") && buf[4] == 'x');
}

static void test_format_parse_round_trip(void)
{
	/* Every formatted value of a size option parses back to itself. */
	for (size_t i = 0; vb_workloads[i]; i++) {
		const struct vb_workload_ops *w = vb_workloads[i];

		for (const struct vb_option *o = w->options; o->name; o++) {
			const uint64_t vals[] = { o->min, o->max, o->def[0], o->def[1] };
			_cleanup_free_ void *opts = xmalloc(w->opts_size);

			vb_options_defaults(w, VB_PROFILE_QUICK, opts);
			for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
				struct vb_error *err = NULL;
				char buf[32];

				vb_option_format(o, vals[k], buf, sizeof(buf));
				CHECK_MSG(vb_option_parse(w, o, buf, opts, &err) == 0,
					  "%s.%s=%s: %s", w->name, o->name, buf,
					  err ? err->msg : "");
				CHECK_MSG(vb_option_get(o, opts) == vals[k], "%s.%s=%s", w->name,
					  o->name, buf);
				vb_error_free(&err);
			}
		}
	}
}

struct pick_opts {
	uint64_t tool;
};

static void test_choice_options(void)
{
	static const char *const tools[] = { "ab", "wrk", "h2load", NULL };
	static const struct vb_option pick_options[] = {
		VB_OPTION_CHOICE("tool", struct pick_opts, tool, 0, 1, tools, "a tool"),
		{ 0 },
	};
	static const struct vb_metric_desc pick_metrics[] = { { "x", "s", false, "" }, { 0 } };
	static const struct vb_workload_ops pick = {
		.name = "test.pick",
		.group = "app",
		.options = pick_options,
		.opts_size = sizeof(struct pick_opts),
		.metrics = pick_metrics,
	};
	const struct vb_option *o = &pick_options[0];
	struct pick_opts opts;
	struct vb_error *err = NULL;
	char buf[32];

	CHECK(o->min == 0 && o->max == 2);
	vb_options_defaults(&pick, VB_PROFILE_FULL, &opts);
	CHECK(opts.tool == 1);
	for (uint64_t i = 0; i < 3; i++) {
		CHECK(vb_option_parse(&pick, o, tools[i], &opts, &err) == 0 && opts.tool == i);
		CHECK(strcmp(vb_option_format(o, i, buf, sizeof(buf)), tools[i]) == 0);
	}
	static const char *const bad[] = { "", "AB", "ab ", "1", "wrk2", "abwrk" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_MSG(vb_option_parse(&pick, o, bad[i], &opts, &err) == -EINVAL, "'%s'",
			  bad[i]);
		CHECK(err && strstr(err->msg, "tool is one of ab, wrk or h2load"));
		vb_error_free(&err);
	}
	CHECK(vb_option_set(&pick, o, 3, &opts, &err) == -EINVAL);
	vb_error_free(&err);
	_cleanup_free_ char *names = vb_option_choices(o);
	CHECK(strcmp(names, "ab, wrk or h2load") == 0);
}

TEST_MAIN(T(test_registry), T(test_option_tables), T(test_defaults), T(test_parse_size_option),
	  T(test_parse_threads), T(test_bool_options), T(test_format),
	  T(test_format_parse_round_trip), T(test_choice_options))
