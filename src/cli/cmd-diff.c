/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/util.h"
#include "report/diff.h"

int vb_cmd_diff(int argc, char **argv)
{
	const char *dbpath = NULL, *json = NULL;
	double tolerance = NAN;
	struct vb_cli_parser p;
	int c;
	vb_cli_parser_init(&p, VB_VERB_DIFF, argc, argv);
	while ((c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_DB:
			dbpath = p.arg;
			break;
		case VB_CLI_JSON:
			json = p.arg;
			break;
		case VB_CLI_TOLERANCE:
			tolerance = p.d;
			break;
		default:
			VB_BUG("diff: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit;
	if (p.optind + 2 != argc)
		return vb_cli_usage_error("diff", "name two runs or results files, A and B");
	const char *arg_a = argv[p.optind], *arg_b = argv[p.optind + 1];
	struct vb_store *db = NULL;
	struct vb_error *err = NULL;
	_cleanup_json_ json_t *a = NULL;
	_cleanup_json_ json_t *b = NULL;
	struct vb_diff *d = NULL;
	int r = json ? vb_cli_check_output("--json", json, &err) : 0;
	if (!r)
		r = vb_cli_load_doc(arg_a, dbpath, &db, &a, &err);
	if (!r)
		r = vb_cli_load_doc(arg_b, dbpath, &db, &b, &err);
	vb_store_close(db);
	if (!r)
		r = vb_diff_compare(a, vb_cli_is_file_arg(arg_a) ? arg_a : NULL, b,
				    vb_cli_is_file_arg(arg_b) ? arg_b : NULL, tolerance, &d, &err);
	if (r)
		return vb_cli_fail(&err);
	vb_diff_print(stdout, d);
	fflush(stdout);
	if (json) {
		_cleanup_json_ json_t *doc = vb_diff_json(d);
		r = vb_cli_write_json(json, doc, &err);
	}
	if (!r && !d->counts.cells)
		r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
				  "A and B have no platform x workload x metric in common");
	unsigned regressions = d->counts.regressions;
	vb_diff_free(d);
	if (r)
		return vb_cli_fail(&err);
	return regressions ? VB_EXIT_MEASUREMENT : VB_EXIT_OK;
}
