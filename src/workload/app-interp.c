/* SPDX-License-Identifier: MIT */
/*
 * app.python and app.php (§4.7, figs. 4.17 and 4.18): interpreter
 * micro-benchmark suites written for virtbench in the spirit of pybench and
 * phpbench (src/workload/apps/; neither is packaged for Debian 12). The
 * scripts ride inside the agent and are written to the job's scratch, then
 * run by the guest's own interpreter (Debian's python3, php8.2-cli), so
 * every platform runs the same bytes. Each test checks its result against a
 * closed form; a mismatch fails the sample with the script's message.
 *
 * Metrics: the total and every test's time (its minimum over the rounds,
 * as pybench reports), in the order the script lists them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/service.h"

extern const char vb_pybench_script[], vb_phpbench_script[];
extern const unsigned long vb_pybench_script_len, vb_phpbench_script_len;

struct interp_opts {
	uint64_t iterations;
	uint64_t rounds;
};

static const struct vb_option python_options[] = {
	VB_OPTION("iterations", VB_OPT_U64, struct interp_opts, iterations, 20000, 200000, 1,
		  10000000, "loop count of each test (times the test's own scale)"),
	VB_OPTION("rounds", VB_OPT_U64, struct interp_opts, rounds, 2, 5, 1, 100,
		  "runs of every test; each test's time is its minimum"),
	{ 0 },
};

static const struct vb_option php_options[] = {
	VB_OPTION("iterations", VB_OPT_U64, struct interp_opts, iterations, 100000, 1000000, 1,
		  100000000, "iterations per construct (phpbench: 1,000,000)"),
	VB_OPTION("rounds", VB_OPT_U64, struct interp_opts, rounds, 2, 3, 1, 100,
		  "runs of every test; each test's time is its minimum"),
	{ 0 },
};

#define TEST_METRIC(n)                                                                             \
	{                                                                                          \
		n, "s", false, "the " n " test's time (minimum over the rounds)"                   \
	}

static const struct vb_metric_desc python_metrics[] = {
	{ "total", "s", false, "sum of the tests' times" },
	TEST_METRIC("arith_int"),
	TEST_METRIC("arith_float"),
	TEST_METRIC("calls"),
	TEST_METRIC("methods"),
	TEST_METRIC("strings"),
	TEST_METRIC("unicode"),
	TEST_METRIC("lists"),
	TEST_METRIC("tuples"),
	TEST_METRIC("dicts"),
	TEST_METRIC("comprehensions"),
	TEST_METRIC("lookups"),
	TEST_METRIC("exceptions"),
	TEST_METRIC("loops"),
	{ 0 },
};

static const struct vb_metric_desc php_metrics[] = {
	{ "total", "s", false, "sum of the tests' times" },
	TEST_METRIC("arith_int"),
	TEST_METRIC("arith_float"),
	TEST_METRIC("calls"),
	TEST_METRIC("methods"),
	TEST_METRIC("strings"),
	TEST_METRIC("string_functions"),
	TEST_METRIC("arrays"),
	TEST_METRIC("hashes"),
	TEST_METRIC("lookups"),
	TEST_METRIC("exceptions"),
	TEST_METRIC("loops"),
	TEST_METRIC("isset_empty"),
	TEST_METRIC("regex"),
	TEST_METRIC("casting"),
	{ 0 },
};

struct interp {
	const char *workload;
	const char *const *programs; /* the interpreter's candidate paths */
	const char *package;
	const char *script_name;
	const char *script;
	const unsigned long *script_len;
	const struct vb_metric_desc *metrics;
	char *isolate; /* the interpreter's isolation flag, or NULL */
};

/*
 * Fill values from the script's output: "test NAME SECONDS" in the metrics'
 * order (metrics[1...]), then "total SECONDS" (metrics[0]); anything else,
 * a missing or extra test, fails.
 */
static int parse_output(const struct interp *in, const char *out, double *values,
			struct vb_error **err)
{
	size_t k = 1;
	bool total = false;
	const char *line = out;
	while (*line) {
		size_t len = strcspn(line, "\n");
		_cleanup_free_ char *l = xstrndup(line, len);
		line += len + (line[len] == '\n');
		char name[64];
		double v;
		int n = 0;
		if (total)
			return vb_error_set(err, -EPROTO, "%s: output after the total",
					    in->workload);
		if (sscanf(l, "total %lf%n", &v, &n) == 1 && !l[n]) {
			if (in->metrics[k].name)
				return vb_error_set(err, -EPROTO, "%s: the total before test %s",
						    in->workload, in->metrics[k].name);
			values[0] = v;
			total = true;
		} else if (sscanf(l, "test %63[a-z0-9_] %lf%n", name, &v, &n) == 2 && !l[n]) {
			if (!in->metrics[k].name || strcmp(name, in->metrics[k].name))
				return vb_error_set(
				    err, -EPROTO, "%s: test %s where %s was due", in->workload,
				    name, in->metrics[k].name ? in->metrics[k].name : "the total");
			values[k++] = v;
		} else {
			return vb_error_set(err, -EPROTO, "%s: unexpected output '%.80s'",
					    in->workload, l);
		}
	}
	if (!total)
		return vb_error_set(err, -EPROTO, "%s: the script printed no total", in->workload);
	double sum = 0;
	for (size_t i = 1; i < k; i++)
		sum += values[i];
	if (values[0] <= 0 || sum < values[0] * 0.999 || sum > values[0] * 1.001 + 1e-5)
		return vb_error_set(err, -EPROTO, "%s: the total %.6f is not the tests' sum %.6f",
				    in->workload, values[0], sum);
	return 0;
}

static int interp_run(const struct interp *in, const struct vb_workload_ctx *ctx,
		      const struct interp_opts *o, double *values, struct vb_error **err)
{
	_cleanup_free_ char *prog = NULL;
	int r = vb_app_program(in->programs, in->package, &prog, err);
	if (r)
		return r;
	if (!ctx->scratch_dir)
		return vb_error_set(err, -EINVAL, "%s needs a scratch directory", in->workload);
	_cleanup_free_ char *path = xasprintf("%s/%s", ctx->scratch_dir, in->script_name);
	unlink(path);
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vb_error_errno(err, errno, "%s: cannot create %s", in->workload, path);
	r = vb_write_all(fd, in->script, *in->script_len);
	if (r)
		return vb_error_errno(err, -r, "%s: cannot write %s", in->workload, path);
	_cleanup_free_ char *it = xasprintf("--iterations=%llu", (unsigned long long)o->iterations);
	_cleanup_free_ char *rd = xasprintf("--rounds=%llu", (unsigned long long)o->rounds);
	/* python3 -I: no user site directory, no PYTHON* variable, not the script's directory. */
	char *argv[] = { prog,
			 in->isolate ? in->isolate : path,
			 in->isolate ? path : it,
			 in->isolate ? it : rd,
			 in->isolate ? rd : NULL,
			 NULL };
	struct vb_client_result cr;
	/* At least a hundred thousand loop passes a second, even emulated, plus ten minutes. */
	double timeout = 600.0 + (double)o->iterations * (double)o->rounds * 14 * 10 / 1e5;
	r = vb_client_run(argv, timeout, ctx->stop, &cr, err);
	if (!r && !(WIFEXITED(cr.status) && WEXITSTATUS(cr.status) == 0)) {
		_cleanup_free_ char *tail = vb_client_tail(&cr);
		r = vb_error_set(err, -EIO, "%s: the benchmark failed (status %d): %s",
				 in->workload, cr.status, tail);
	}
	if (!r)
		r = parse_output(in, cr.out, values, err);
	vb_client_result_release(&cr);
	unlink(path);
	return r;
}

static const char *const python_programs[] = { "/usr/bin/python3", NULL };
static const char *const php_programs[] = { "/usr/bin/php8.2", "/usr/bin/php", NULL };

static const struct interp python = {
	.workload = "app.python",
	.programs = python_programs,
	.package = "python3",
	.script_name = "pybench.py",
	.script = vb_pybench_script,
	.script_len = &vb_pybench_script_len,
	.metrics = python_metrics,
	.isolate = "-I",
};

static const struct interp php = {
	.workload = "app.php",
	.programs = php_programs,
	.package = "php8.2-cli",
	.script_name = "phpbench.php",
	.script = vb_phpbench_script,
	.script_len = &vb_phpbench_script_len,
	.metrics = php_metrics,
};

static int python_run(const struct vb_workload_ctx *ctx, const void *opts, double *values,
		      struct vb_error **err)
{
	return interp_run(&python, ctx, opts, values, err);
}

static int php_run(const struct vb_workload_ctx *ctx, const void *opts, double *values,
		   struct vb_error **err)
{
	return interp_run(&php, ctx, opts, values, err);
}

const struct vb_workload_ops vb_workload_app_python = {
	.name = "app.python",
	.group = "app",
	.summary = "Python 3 interpreter micro-benchmarks (pybench's kind, 13 checked tests)",
	.study_ref = "§4.7, fig. 4.17",
	.options = python_options,
	.opts_size = sizeof(struct interp_opts),
	.metrics = python_metrics,
	.packages = "python3",
	.run = python_run,
};

const struct vb_workload_ops vb_workload_app_php = {
	.name = "app.php",
	.group = "app",
	.summary = "PHP 8.2 interpreter micro-benchmarks (phpbench's kind, 14 checked tests)",
	.study_ref = "§4.7, fig. 4.18",
	.options = php_options,
	.opts_size = sizeof(struct interp_opts),
	.metrics = php_metrics,
	.packages = "php8.2-cli",
	.run = php_run,
};
