/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <math.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/util.h"
#include "report/diff.h"

static void usage(FILE *f)
{
	fputs("usage: virtbench diff A B [--db PATH] [--tolerance PCT] [--json FILE]\n\n"
	      "Compare B against A, cell by cell (platform x workload x metric present in\n"
	      "both), from the raw samples: mean A, mean B, the change, a 95% interval\n"
	      "interval of B/A and a verdict (better, worse, equivalent, inconclusive). Also\n"
	      "lists what differs in the host fingerprints and the setup, and what only\n"
	      "one side has. See docs/diff.md.\n\n"
	      "A and B are each a stored run (a number, a tag such as vb-1a2b3c4d, or\n"
	      "'last') or a results file ('show RUN --json FILE', 'run --json FILE'): an\n"
	      "argument that contains '/' or ends in .json is a file.\n\n"
	      "      --db PATH          results database (default $VIRTBENCH_DB or\n"
	      "                         $XDG_DATA_HOME/virtbench/results.db)\n"
	      "      --tolerance PCT    a cell is a regression when B is significantly worse\n"
	      "                         and worse by more than PCT% (0: any significant\n"
	      "                         worsening); without it nothing is a regression\n"
	      "      --json FILE        also write the comparison as JSON\n"
	      "  -h, --help             this text\n\n"
	      "exit codes: 0 no regression, 1 regressions beyond the tolerance,\n"
	      "            2 bad usage or input (unknown run, not a results file)\n",
	      f);
}

static bool is_file_arg(const char *arg)
{
	size_t n = strlen(arg);
	return strchr(arg, '/') || (n > 5 && !strcmp(arg + n - 5, ".json"));
}

/* A side of the comparison: a results file, or a run from the (lazily opened) store. */
static int load_side(const char *arg, const char *dbpath, struct vb_store **db, json_t **out,
		     struct vb_error **err)
{
	if (is_file_arg(arg))
		return vb_result_doc_load(arg, out, err);
	if (!*db) {
		int r = vb_cli_open_store(dbpath, db, err);
		if (r)
			return r;
	}
	struct vb_run_info info = { 0 };
	int r = vb_store_find_run(*db, arg, &info, err);
	if (!r)
		r = vb_store_export_doc(*db, info.id, out, err);
	vb_run_info_release(&info);
	return r;
}

static int write_json(const char *path, const struct vb_diff *d, struct vb_error **err)
{
	_cleanup_json_ json_t *doc = vb_diff_json(d);
	char *text =
	    json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	if (!text)
		return vb_error_set(err, -ENOMEM, "diff: cannot encode JSON");
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len] = '\n';
	int r = vb_write_file_atomic(path, text, len + 1);
	free(text);
	if (r)
		return vb_error_exit(err, r, VB_EXIT_USAGE, "cannot write %s: %s", path,
				     strerror(-r));
	return 0;
}

int vb_cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "tolerance", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dbpath = NULL, *json = NULL;
	double tolerance = NAN;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dbpath = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 't': {
			_cleanup_free_ char *t = xstrdup(optarg);
			size_t n = strlen(t);
			if (n && t[n - 1] == '%')
				t[n - 1] = '\0';
			if (vb_parse_double(t, &tolerance) || !(tolerance >= 0))
				return vb_cli_usage_error(
				    "diff",
				    "--tolerance wants a percentage of at least 0, not '%.64s'",
				    optarg);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			return vb_cli_usage_error("diff", "bad option '%.64s'", argv[optind - 1]);
		}
	}
	if (optind + 2 != argc)
		return vb_cli_usage_error("diff", "name two runs or results files, A and B");
	const char *arg_a = argv[optind], *arg_b = argv[optind + 1];
	struct vb_store *db = NULL;
	struct vb_error *err = NULL;
	_cleanup_json_ json_t *a = NULL;
	_cleanup_json_ json_t *b = NULL;
	struct vb_diff *d = NULL;
	int r = json ? vb_cli_check_output("--json", json, &err) : 0;
	if (!r)
		r = load_side(arg_a, dbpath, &db, &a, &err);
	if (!r)
		r = load_side(arg_b, dbpath, &db, &b, &err);
	vb_store_close(db);
	if (!r)
		r = vb_diff_compare(a, is_file_arg(arg_a) ? arg_a : NULL, b,
				    is_file_arg(arg_b) ? arg_b : NULL, tolerance, &d, &err);
	if (r)
		return vb_cli_fail(&err);
	vb_diff_print(stdout, d);
	fflush(stdout);
	if (json)
		r = write_json(json, d, &err);
	if (!r && !d->counts.cells)
		r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
				  "A and B have no platform x workload x metric in common");
	unsigned regressions = d->counts.regressions;
	vb_diff_free(d);
	if (r)
		return vb_cli_fail(&err);
	return regressions ? VB_EXIT_MEASUREMENT : VB_EXIT_OK;
}
