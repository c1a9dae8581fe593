/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <libgen.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/util.h"
#include "report/report.h"

static void report_usage(FILE *f)
{
	fputs("usage: virtbench report RUN... -o FILE.html [--db PATH]\n\n"
	      "Write one self-contained HTML report of the stored runs: run and host details,\n"
	      "the overhead table and SVG charts with 95% intervals (no script, no network).\n"
	      "RUN is a run number, a tag (vb-1a2b3c4d) or 'last'. See docs/report.md.\n\n"
	      "  -o, --output FILE  the HTML file to write (its directory must exist)\n"
	      "      --db PATH      the results database\n",
	      f);
}

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
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* Before getopt permutes argv. */
	_cleanup_free_ char *command = vb_cli_command_line(argc, argv);
	const char *dbpath = NULL, *out = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (c == 'd') {
			dbpath = optarg;
		} else if (c == 'o') {
			out = optarg;
		} else if (c == 'h') {
			report_usage(stdout);
			return 0;
		} else {
			return vb_cli_usage_error("report", "bad option '%.64s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return vb_cli_usage_error("report", "name at least one run");
	if (!out || !*out)
		return vb_cli_usage_error("report", "missing -o FILE.html");
	struct vb_error *err = NULL;
	if (vb_cli_check_output("-o", out, &err))
		return vb_cli_fail(&err);
	struct vb_store *db = NULL;
	json_t **docs = NULL;
	size_t n = (size_t)(argc - optind);
	int r = vb_cli_open_store(dbpath, &db, &err);
	if (!r)
		r = load_docs(db, argv + optind, n, &docs, &err);
	vb_store_close(db);
	if (r)
		return vb_cli_fail(&err);
	r = vb_report_html(docs, n, command, out, &err);
	docs_free(docs, n);
	if (r)
		return vb_cli_fail(&err);
	printf("report of %zu run%s written to %s\n", n, n == 1 ? "" : "s", out);
	return 0;
}
