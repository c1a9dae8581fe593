/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "core/util.h"
#include "report/report.h"

static void print_run_line(const struct vb_run_info *r, void *data)
{
	(void)data;
	printf("%-5lld %-12s %-10s %-24s %6lld  %s\n", (long long)r->id, r->tag, r->status,
	       r->started_at, (long long)r->nsamples, r->command);
}

int vb_cmd_runs(int argc, char **argv)
{
	const char *dbpath = NULL;
	struct vb_cli_parser p;
	int c;
	vb_cli_parser_init(&p, VB_VERB_RUNS, argc, argv);
	while ((c = vb_cli_next(&p)) > 0) {
		if (c != VB_CLI_DB)
			VB_BUG("runs: option %d from the table not handled", c);
		dbpath = p.arg;
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit;
	if (p.optind < argc)
		return vb_cli_unexpected(VB_VERB_RUNS, argv[p.optind]);
	struct vb_store *db = NULL;
	struct vb_error *err = NULL;
	if (vb_cli_open_store(dbpath, &db, &err))
		return vb_cli_fail(&err);
	printf("%-5s %-12s %-10s %-24s %6s  %s\n", "run", "tag", "status", "started (UTC)",
	       "samples", "command");
	int r = vb_store_list_runs(db, print_run_line, NULL, &err);
	vb_store_close(db);
	return r ? vb_cli_fail(&err) : 0;
}

int vb_cmd_show(int argc, char **argv)
{
	const char *dbpath = NULL, *json = NULL, *csv = NULL;
	bool host = false;
	struct vb_cli_parser p;
	int c;
	vb_cli_parser_init(&p, VB_VERB_SHOW, argc, argv);
	while ((c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_DB:
			dbpath = p.arg;
			break;
		case VB_CLI_JSON:
			json = p.arg;
			break;
		case VB_CLI_CSV:
			csv = p.arg;
			break;
		case VB_CLI_HOST:
			host = true;
			break;
		default:
			VB_BUG("show: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit;
	if (p.optind + 1 != argc)
		return vb_cli_usage_error("show", "name one run");
	struct vb_store *db = NULL;
	struct vb_error *err = NULL;
	struct vb_run_info info = { 0 };
	struct vb_result_row *rows = NULL;
	size_t n = 0;
	int r = vb_cli_check_outputs(json, csv, NULL, &err);
	if (!r)
		r = vb_cli_open_store(dbpath, &db, &err);
	if (!r)
		r = vb_store_find_run(db, argv[p.optind], &info, &err);
	if (r)
		goto out;
	if (host) {
		_cleanup_free_ char *text = NULL;
		r = vb_store_host_json(db, info.id, &text, &err);
		if (!r)
			printf("%s\n", text);
		goto out;
	}
	printf("run %lld (%s) %s: %s\nstarted %s, ended %s, virtbench %s, profile %s\n\n",
	       (long long)info.id, info.tag, info.experiment, info.status, info.started_at,
	       info.ended_at ? info.ended_at : "-", info.version,
	       info.profile ? info.profile : "-");
	printf("command: %s\n\n", info.command);
	if (!strcmp(info.experiment, "features")) {
		struct vb_feature_row *feats = NULL;
		size_t nf = 0;
		r = vb_store_load_features(db, info.id, &feats, &nf, &err);
		if (!r)
			vb_report_features(stdout, feats, nf);
		vb_feature_rows_free(feats, nf);
	} else {
		r = vb_store_load_rows(db, info.id, &rows, &n, &err);
		if (!r)
			vb_report_run(stdout, info.experiment, rows, n);
	}
	if (r)
		goto out;
	if (json)
		r = vb_store_export_json(db, info.id, json, &err);
	if (!r && csv)
		r = vb_store_export_csv(db, info.id, csv, &err);
out:
	vb_result_rows_free(rows, n);
	vb_run_info_release(&info);
	vb_store_close(db);
	return r ? vb_cli_fail(&err) : 0;
}
