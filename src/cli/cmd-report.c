/* SPDX-License-Identifier: MIT */
#include <libgen.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/util.h"
#include "report/report.h"

static void docs_free(json_t **docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
}

/* The export document of each named run, in the order named. */
static int load_docs(struct vb_store *db, char **refs, size_t n, json_t ***out,
		     struct vb_error **err)
{
	json_t **docs = xcalloc(n, sizeof(*docs));
	int r = 0;
	for (size_t i = 0; i < n && !r; i++) {
		struct vb_run_info info = { 0 };
		r = vb_store_find_run(db, refs[i], &info, err);
		if (!r)
			r = vb_store_export_doc(db, info.id, &docs[i], err);
		vb_run_info_release(&info);
	}
	if (r) {
		docs_free(docs, n);
		return r;
	}
	*out = docs;
	return 0;
}

int vb_cmd_report(int argc, char **argv)
{
	/* Before getopt permutes argv. */
	_cleanup_free_ char *command = vb_cli_command_line(argc, argv);
	const char *dbpath = NULL, *out = NULL;
	bool study = false;
	struct vb_cli_parser p;
	int c;
	vb_cli_parser_init(&p, VB_VERB_REPORT, argc, argv);
	while ((c = vb_cli_next(&p)) > 0) {
		if (c == VB_CLI_DB)
			dbpath = p.arg;
		else if (c == VB_CLI_OUTPUT)
			out = p.arg;
		else if (c == VB_CLI_STUDY)
			study = true;
		else
			VB_BUG("report: option %d from the table not handled", c);
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit;
	if (p.optind >= argc)
		return vb_cli_usage_error("report", "name at least one run");
	if (!out || !*out)
		return vb_cli_usage_error("report", "missing -o FILE.html");
	struct vb_error *err = NULL;
	if (vb_cli_check_output("-o", out, &err))
		return vb_cli_fail(&err);
	struct vb_store *db = NULL;
	json_t **docs = NULL;
	size_t n = (size_t)(argc - p.optind);
	int r = vb_cli_open_store(dbpath, &db, &err);
	if (!r)
		r = load_docs(db, argv + p.optind, n, &docs, &err);
	vb_store_close(db);
	if (r)
		return vb_cli_fail(&err);
	r = study ? vb_report_html_study(docs, n, command, out, &err)
		  : vb_report_html(docs, n, command, out, &err);
	docs_free(docs, n);
	if (r)
		return vb_cli_fail(&err);
	printf("report of %zu run%s written to %s\n", n, n == 1 ? "" : "s", out);
	return 0;
}
