/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "core/text.h"
#include "core/util.h"
#include "experiment/features.h"
#include "report/report.h"
#include "virtbench/platform.h"

/* The platforms with a column, as the registry lists them: "host, container, ...". */
static char *known_list(void)
{
	char *list = xstrdup("");
	for (size_t i = 0; vb_platforms[i]; i++) {
		if (!vb_platforms[i]->features)
			continue;
		char *more = xasprintf("%s%s%s", list, *list ? ", " : "", vb_platforms[i]->name);
		free(list);
		list = more;
	}
	return list;
}

/* Split and check the -p list; names point into text (modified). */
static int parse_platforms(char *text, const char **out, size_t *n)
{
	*n = 0;
	size_t len = strlen(text);
	if (!len || text[0] == ',' || text[len - 1] == ',' || strstr(text, ",,"))
		return vb_cli_usage_error("features", "--platform: empty name in '%.64s'", text);
	char *save = NULL;
	for (char *s = strtok_r(text, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (!vb_features_platform_known(s)) {
			if (vb_platform_find(s)) {
				_cleanup_free_ char *known = known_list();
				return vb_cli_usage_error(
				    "features", "no feature probes for '%.64s' (features knows %s)",
				    s, known);
			}
			return vb_cli_usage_error(
			    "features", "unknown platform '%.64s' (see 'virtbench list platforms')",
			    s);
		}
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(out[i], s))
				return vb_cli_usage_error("features", "platform '%s' named twice",
							  s);
		if (*n == 8)
			return vb_cli_usage_error("features", "too many platforms");
		out[(*n)++] = s;
	}
	return 0;
}

int vb_cmd_features(int argc, char **argv)
{
	const char *dbarg = NULL, *json = NULL;
	_cleanup_free_ char *plist = NULL;
	bool store = true;
	struct vb_cli_parser p;
	int c;
	vb_cli_parser_init(&p, VB_VERB_FEATURES, argc, argv);
	while ((c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_PLATFORM:
			free(plist);
			plist = xstrdup(p.arg);
			break;
		case VB_CLI_DB:
			dbarg = p.arg;
			break;
		case VB_CLI_JSON:
			json = p.arg;
			break;
		case VB_CLI_NO_STORE:
			store = false;
			break;
		default:
			VB_BUG("features: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit;
	if (p.optind < argc)
		return vb_cli_unexpected(VB_VERB_FEATURES, argv[p.optind]);
	if (!store && dbarg)
		return vb_cli_usage_error("features", "--db and --no-store exclude each other");
	const char *names[8];
	size_t n = 0;
	if (plist) {
		int r = parse_platforms(plist, names, &n);
		if (r)
			return r;
	} else {
		for (size_t i = 0; vb_platforms[i] && n < VB_ARRAY_SIZE(names); i++)
			if (vb_platforms[i]->features)
				names[n++] = vb_platforms[i]->name;
	}

	struct vb_error *err = NULL;
	struct vb_store *db = NULL;
	_cleanup_free_ char *command = vb_cli_command_line(argc, argv);
	_cleanup_free_ char *dbpath =
	    store ? (dbarg ? xstrdup(dbarg) : vb_store_default_path()) : xstrdup(":memory:");
	struct vb_feature_row *rows = NULL;
	size_t nrows = 0;
	int64_t run_id = -1;
	/* Without a store, a private in-memory database: the same code, nothing kept. */
	int r = vb_cli_check_outputs(json, NULL, NULL, &err);
	if (!r)
		r = store ? vb_cli_open_store(dbpath, &db, &err) : vb_cli_sweep(&err);
	if (!r && !store)
		r = vb_store_open(dbpath, &db, &err);
	if (r)
		goto out;
	vb_cli_install_signals();
	struct vb_features_config cfg = {
		.platforms = names, .nplatforms = n, .command = command, .named = plist != NULL
	};
	r = vb_features_run(&cfg, db, &run_id, &err);
	if (run_id >= 0) {
		struct vb_error *perr = NULL;
		struct vb_run_info info = { 0 };
		_cleanup_free_ char *ref = xasprintf("%lld", (long long)run_id);
		if (!vb_store_load_features(db, run_id, &rows, &nrows, &perr) &&
		    !vb_store_find_run(db, ref, &info, &perr)) {
			vb_report_features(stdout, rows, nrows);
			_cleanup_free_ char *shown = vb_printable(dbpath);
			if (store)
				printf("\nrun %lld (%s): %s, stored in %s\n", (long long)info.id,
				       info.tag, info.status, shown);
			else
				printf("\nrun %s: %s, not stored (--no-store)\n", info.tag,
				       info.status);
		}
		vb_run_info_release(&info);
		if (perr)
			vb_cli_fail(&perr);
		if (json && vb_store_export_json(db, run_id, json, &perr) && !r) {
			r = perr->code;
			vb_error_keep(&err, &perr);
		}
		vb_error_free(&perr);
	}
out:
	vb_feature_rows_free(rows, nrows);
	vb_store_close(db);
	return r ? vb_cli_fail(&err) : 0;
}
