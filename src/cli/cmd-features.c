/* SPDX-License-Identifier: MIT */
#include <getopt.h>

#include "cli/cli.h"
#include "core/text.h"
#include "core/util.h"
#include "experiment/features.h"
#include "report/report.h"
#include "virtbench/platform.h"

static void usage(FILE *f)
{
	fputs("usage: virtbench features [-p PLATFORMS] [--db PATH] [--json FILE] [--no-store]\n\n"
	      "The study's tables 5.4-5.5 (operational features and constraints per platform)\n"
	      "filled by probing this host: checkpoint/restore, live migration, memory and CPU\n"
	      "over-commit, hardware extensions needed, isolated kernel updates, mainline Linux\n"
	      "support. Each cell says whether it was probed here, follows by design, or is\n"
	      "documented only, and what was tried (docs/features.md). Probes start short-lived\n"
	      "QEMU machines and a CRIU checkpoint; run as root.\n\n"
	      "  -p, --platform LIST    comma-separated, from host, container, kvm, qemu-tcg,\n"
	      "                         xen (default: all of them)\n"
	      "      --db PATH          results database (default $VIRTBENCH_DB or\n"
	      "                         $XDG_DATA_HOME/virtbench/results.db)\n"
	      "      --json FILE        also export the run as JSON (with a \"features\" array)\n"
	      "      --no-store         keep the run in memory only: nothing is written to the\n"
	      "                         database (--json still works)\n"
	      "  -h, --help             this text\n",
	      f);
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
			if (vb_platform_find(s))
				return vb_cli_usage_error("features",
							  "no feature probes for '%.64s' (features "
							  "knows host, container, "
							  "kvm, qemu-tcg, xen)",
							  s);
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
	enum { O_DB = 256, O_JSON, O_NO_STORE };
	static const struct option longopts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "db", required_argument, NULL, O_DB },
		{ "json", required_argument, NULL, O_JSON },
		{ "no-store", no_argument, NULL, O_NO_STORE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dbarg = NULL, *json = NULL;
	_cleanup_free_ char *plist = NULL;
	bool store = true;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			free(plist);
			plist = xstrdup(optarg);
			break;
		case O_DB:
			dbarg = optarg;
			break;
		case O_JSON:
			json = optarg;
			break;
		case O_NO_STORE:
			store = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return vb_cli_usage_error("features", "%s needs a value", argv[optind - 1]);
		default:
			return vb_cli_usage_error("features", "unknown option '%.64s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vb_cli_usage_error("features", "unexpected argument '%.64s'", argv[optind]);
	if (!store && dbarg)
		return vb_cli_usage_error("features", "--db and --no-store exclude each other");
	const char *names[8];
	size_t n = 0;
	if (plist) {
		int r = parse_platforms(plist, names, &n);
		if (r)
			return r;
	} else {
		for (; vb_features_platforms[n]; n++)
			names[n] = vb_features_platforms[n];
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
		.platforms = names, .nplatforms = n, .command = command, .xen_named = plist != NULL
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
		if (json && vb_store_export_json(db, run_id, json, &perr))
			r = r ? r : vb_error_set(&err, perr->code, "%s", perr->msg);
		vb_error_free(&perr);
	}
out:
	vb_feature_rows_free(rows, nrows);
	vb_store_close(db);
	return r ? vb_cli_fail(&err) : 0;
}
