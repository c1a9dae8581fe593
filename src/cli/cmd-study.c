/* SPDX-License-Identifier: MIT */
/*
 * virtbench study (docs/study.md): the study's chapters 4-6 run one after
 * another as one stored study, each part a run of its own that carries the
 * study's label in its config; --resume runs the parts not complete yet.
 */
#include <math.h>
#include <sqlite3.h>
#include <unistd.h>
#include <sys/random.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/log.h"
#include "core/run.h"
#include "core/util.h"
#include "report/doc.h"
#include "report/recommend.h"
#include "report/report.h"
#include "store/store.h"

/* The parts, in the study's order; the estimates (seconds) are this 2-core host's. */
static const struct part {
	const char *name, *chapter, *what;
	double quick_s, full_s;
} parts[] = {
	{ "overhead", "ch. 4, §4.2-4.6", "CPU, memory, network, disk and system benchmarks", 300,
	  5400 },
	{ "apps", "ch. 4, §4.7", "nginx, PostgreSQL, Python and PHP", 240, 1800 },
	{ "middleware", "ch. 4, §4.8", "broker, document store, triplestore and worker", 360,
	  3600 },
	{ "ops", "ch. 5, §5.1", "provision, boot, reboot and clone", 150, 900 },
	{ "features", "ch. 5, §5.2", "operational features, probed", 15, 30 },
	{ "isolation", "ch. 6", "noisy neighbours, with and without policies", 240, 2400 },
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

static int part_index(const char *name)
{
	for (size_t i = 0; i < NPARTS; i++)
		if (!strcmp(parts[i].name, name))
			return (int)i;
	return -1;
}

/* What a study is: its tag, profile, platforms and parts (kept in every run's config). */
struct study {
	char tag[16]; /* "st-1a2b3c4d" */
	const char *profile;
	char *platforms;   /* as given: "available" or a list */
	const char *parts; /* the parts asked for, "overhead,ops,..." */
	bool want[NPARTS];
	bool done[NPARTS];
};

/* The runs of study tag in the database, oldest first: their ids and parts. */
struct found {
	const char *tag;
	int64_t ids[64];
	char parts[64][16];
	char status[64][16];
	size_t n;
	json_t *first_config;
	char latest_tag[16];
};

/* The study's runs through SQL: runs.config holds "study" and "study_part". */
static int find_study(struct vb_store *db, struct found *f, struct vb_error **err)
{
	sqlite3 *h = vb_store_db(db);
	sqlite3_stmt *st = NULL;
	const char *sql =
	    f->tag ? "SELECT id, json_extract(config, '$.study_part'), status, config "
		     "FROM runs WHERE json_extract(config, '$.study') = ?1 ORDER BY id"
		   : "SELECT json_extract(config, '$.study') FROM runs WHERE "
		     "json_extract(config, '$.study') IS NOT NULL ORDER BY id DESC LIMIT 1";
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return vb_error_set(err, -EIO, "study: cannot read the database: %s",
				    sqlite3_errmsg(h));
	if (f->tag)
		sqlite3_bind_text(st, 1, f->tag, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!f->tag) {
			const char *t = (const char *)sqlite3_column_text(st, 0);
			snprintf(f->latest_tag, sizeof(f->latest_tag), "%s", t ? t : "");
			continue;
		}
		if (f->n == 64)
			break;
		f->ids[f->n] = sqlite3_column_int64(st, 0);
		const char *p = (const char *)sqlite3_column_text(st, 1);
		const char *s = (const char *)sqlite3_column_text(st, 2);
		snprintf(f->parts[f->n], sizeof(f->parts[0]), "%s", p ? p : "");
		snprintf(f->status[f->n], sizeof(f->status[0]), "%s", s ? s : "");
		if (!f->first_config) {
			const char *c = (const char *)sqlite3_column_text(st, 3);
			f->first_config = c ? json_loads(c, 0, NULL) : NULL;
		}
		f->n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW
		   ? 0
		   : vb_error_set(err, -EIO, "study: cannot read the database: %s",
				  sqlite3_errmsg(h));
}

/* The platforms of a part: from the study's list, those the part can use. */
static char *part_platforms(const struct study *s, size_t part, struct vb_error **err)
{
	const struct vb_platform_ops **ps = NULL;
	size_t n = 0;
	int r = vb_cli_platforms("study", s->platforms, NULL, NULL, &ps, &n, err);
	if (r)
		return NULL;
	char *out = xstrdup("");
	bool quick = !strcmp(s->profile, "quick");
	for (size_t i = 0; i < n; i++) {
		const struct vb_platform_ops *p = ps[i];
		bool host = !strcmp(p->name, "host");
		bool emulated = vb_platform_emulation(p) != 0;
		bool take = true;
		if (!strcmp(parts[part].name, "ops"))
			take = !host; /* bare metal has no guest to provision */
		else if (!strcmp(parts[part].name, "features"))
			take = p->features != NULL;
		else if (!strcmp(parts[part].name, "isolation"))
			take = !host &&
			       !emulated; /* emulation's slowdowns say nothing of a hypervisor's */
		else if (quick && (!strcmp(parts[part].name, "apps") ||
				   !strcmp(parts[part].name, "middleware")))
			take = !emulated; /* the Debian guests under TCG take tens of minutes */
		if (!take)
			continue;
		char *next = xasprintf("%s%s%s", out, *out ? "," : "", p->name);
		free(out);
		out = next;
	}
	free(ps);
	return out;
}

/* The verb of a part, in this process. */
static int verb_run(int argc, char **argv)
{
	if (!strcmp(argv[0], "compare"))
		return vb_cmd_compare(argc, argv);
	if (!strcmp(argv[0], "ops"))
		return vb_cmd_ops(argc, argv);
	if (!strcmp(argv[0], "features"))
		return vb_cmd_features(argc, argv);
	return vb_cmd_isolation(argc, argv);
}

/* Run one part in this process, the study's label on its run. */
static int run_part(const struct study *s, size_t part, const char *dbpath, bool quiet,
		    struct vb_error **err)
{
	_cleanup_free_ char *plats = part_platforms(s, part, err);
	if (!plats)
		return -EINVAL;
	if (!*plats) {
		vb_info("study %s: %s has no platform here to run on: left out", s->tag,
			parts[part].name);
		return 0;
	}
	const char *name = parts[part].name;
	char *argv[24];
	int argc = 0;
	bool compare =
	    !strcmp(name, "overhead") || !strcmp(name, "apps") || !strcmp(name, "middleware");
	argv[argc++] = compare ? "compare" : (char *)name;
	argv[argc++] = "-p";
	argv[argc++] = plats;
	if (compare) {
		argv[argc++] = "--profile";
		argv[argc++] = (char *)s->profile;
		argv[argc++] = "--suite";
		argv[argc++] = !strcmp(name, "overhead") ? "w1,w2,w3,w4,system" : (char *)name;
	}
	if (!strcmp(name, "isolation")) {
		argv[argc++] = "--policy";
		argv[argc++] = "pin,shares,quota";
	}
	if (!strcmp(name, "ops") && !strcmp(s->profile, "quick")) {
		argv[argc++] = "--rounds";
		argv[argc++] = "3";
	}
	if (dbpath) {
		argv[argc++] = "--db";
		argv[argc++] = (char *)dbpath;
	}
	if (quiet && strcmp(name, "features"))
		argv[argc++] = "-q";
	argv[argc] = NULL;
	_cleanup_json_ json_t *label = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s}", "study", s->tag, "study_part", name, "study_profile",
	    s->profile, "study_platforms", s->platforms, "study_parts", s->parts);
	vb_store_set_study(label);
	int code = verb_run(argc, argv);
	vb_store_set_study(NULL);
	if (code == VB_EXIT_INTERRUPTED || vb_interrupted)
		return vb_error_exit(
		    err, -EINTR, VB_EXIT_INTERRUPTED,
		    "study %s: interrupted during %s; 'virtbench study --resume %s' "
		    "runs what is missing",
		    s->tag, name, s->tag);
	if (code == VB_EXIT_USAGE)
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "study %s: %s was refused",
				     s->tag, name);
	if (code)
		vb_warn("study %s: %s ended with exit code %d; the study goes on", s->tag, name,
			code);
	return 0;
}

static double left_s(const struct study *s, size_t from)
{
	double t = 0;
	for (size_t i = from; i < NPARTS; i++)
		if (s->want[i] && !s->done[i])
			t += !strcmp(s->profile, "quick") ? parts[i].quick_s : parts[i].full_s;
	return t;
}

/*
 * The study's runs as export documents, for the answer and the report: per
 * part its latest complete run, else its latest interrupted one (what it
 * measured is kept).
 */
static int study_docs(struct vb_store *db, const struct found *f, json_t ***out, size_t *n,
		      struct vb_error **err)
{
	*out = xcalloc(NPARTS + 1, sizeof(json_t *));
	*n = 0;
	for (size_t k = 0; k < NPARTS; k++) {
		int64_t pick = 0;
		bool complete = false;
		for (size_t i = 0; i < f->n; i++) {
			if (strcmp(f->parts[i], parts[k].name))
				continue;
			bool c = !strcmp(f->status[i], "complete");
			if ((c || !complete) && (c || !strcmp(f->status[i], "incomplete"))) {
				pick = f->ids[i];
				complete |= c;
			}
		}
		if (!pick)
			continue;
		int r = vb_store_export_doc(db, pick, &(*out)[*n], err);
		if (r)
			return r;
		(*n)++;
	}
	return 0;
}

int vb_cmd_study(int argc, char **argv)
{
	const char *dbpath = NULL, *report = NULL, *profile = "quick", *platforms = "available",
		   *part_list = NULL, *resume = NULL;
	bool resuming = false, quiet = false;
	struct vb_cli_parser p;
	int c;
	vb_cli_parser_init(&p, VB_VERB_STUDY, argc, argv);
	while ((c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_DB:
			dbpath = p.arg;
			break;
		case VB_CLI_REPORT:
			report = p.arg;
			break;
		case VB_CLI_PROFILE:
			profile = p.u ? "full" : "quick";
			break;
		case VB_CLI_PLATFORM:
			platforms = p.arg;
			break;
		case VB_CLI_PARTS:
			part_list = p.arg;
			break;
		case VB_CLI_RESUME:
			resuming = true;
			resume = p.arg;
			break;
		case VB_CLI_QUIET:
			quiet = true;
			break;
		default:
			VB_BUG("study: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit;
	if (p.optind < argc)
		return vb_cli_unexpected(VB_VERB_STUDY, argv[p.optind]);
	struct vb_error *err = NULL;
	struct study s = { .profile = profile };
	int r = report ? vb_cli_check_output("-o", report, &err) : 0;
	struct vb_store *db = NULL;
	if (!r)
		r = vb_cli_open_store(dbpath, &db, &err);
	struct found f = { 0 };
	if (!r && resuming) {
		if (resume &&
		    (part_list || strcmp(platforms, "available") || strcmp(profile, "quick")))
			r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
					  "study --resume takes the study's own profile, platforms "
					  "and parts: give none of them");
		if (!r && !resume) {
			r = find_study(db, &f, &err); /* the latest study */
			if (!r && !f.latest_tag[0])
				r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE,
						  "study --resume: the database holds no study");
			resume = f.latest_tag;
		}
		if (!r && (strlen(resume) != 11 || strncmp(resume, "st-", 3)))
			r = vb_error_exit(
			    &err, -EINVAL, VB_EXIT_USAGE,
			    "study --resume: '%.40s' is not a study tag (st-1a2b3c4d)", resume);
		if (!r) {
			snprintf(s.tag, sizeof(s.tag), "%s", resume);
			f.tag = s.tag;
			r = find_study(db, &f, &err);
		}
		if (!r && !f.n)
			r = vb_error_exit(&err, -EINVAL, VB_EXIT_USAGE, "study %s: no such study",
					  s.tag);
		if (!r) {
			s.profile =
			    vb_html_str(f.first_config, "study_profile")
				? (strcmp(vb_html_str(f.first_config, "study_profile"), "full")
				       ? "quick"
				       : "full")
				: "quick";
			const char *pl = vb_html_str(f.first_config, "study_platforms");
			platforms = pl ? pl : "available";
			const char *want = vb_html_str(f.first_config, "study_parts");
			part_list = want;
		}
	} else if (!r) {
		uint8_t rnd[4];
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			r = vb_error_errno(&err, errno, "study: no random tag");
		snprintf(s.tag, sizeof(s.tag), "st-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
			 rnd[3]);
	}
	s.platforms = xstrdup(platforms);
	/* The parts asked for (all by default), each known. */
	char **items = NULL;
	size_t nitems = 0;
	if (!r && part_list && vb_cli_split_list("--parts", part_list, &items, &nitems, &err))
		r = -EINVAL;
	for (size_t i = 0; !r && i < nitems; i++) {
		int k = part_index(items[i]);
		if (k < 0)
			r = vb_error_exit(
			    &err, -EINVAL, VB_EXIT_USAGE,
			    "--parts: unknown part '%.40s' (overhead, apps, middleware, "
			    "ops, features, isolation)",
			    items[i]);
		else
			s.want[k] = true;
	}
	for (size_t i = 0; !part_list && i < NPARTS; i++)
		s.want[i] = true;
	_cleanup_free_ char *parts_text = xstrdup("");
	for (size_t i = 0; i < NPARTS; i++)
		if (s.want[i]) {
			char *next =
			    xasprintf("%s%s%s", parts_text, *parts_text ? "," : "", parts[i].name);
			free(parts_text);
			parts_text = next;
		}
	vb_cli_free_list(items, nitems);
	s.parts = parts_text;
	/* Done already: a complete run of the part. */
	for (size_t i = 0; !r && i < f.n; i++) {
		int k = part_index(f.parts[i]);
		if (k >= 0 && !strcmp(f.status[i], "complete"))
			s.done[k] = true;
	}
	vb_store_close(db);
	db = NULL;
	if (r) {
		json_decref(f.first_config);
		free(s.platforms);
		return vb_cli_fail(&err);
	}
	vb_cli_install_signals();
	double t0 = vb_monotonic_s();
	size_t nwant = 0, at = 0;
	for (size_t i = 0; i < NPARTS; i++)
		nwant += s.want[i] && !s.done[i];
	fprintf(stderr,
		"study %s (%s profile, platforms %s): %zu part%s to run, about %.0f min "
		"(an estimate from this host)\n",
		s.tag, s.profile, s.platforms, nwant, nwant == 1 ? "" : "s", left_s(&s, 0) / 60);
	for (size_t i = 0; !r && i < NPARTS; i++) {
		if (!s.want[i] || s.done[i])
			continue;
		at++;
		fprintf(stderr,
			"study %s: part %zu of %zu, %s (%s): %s; %.0f s so far, about %.0f min "
			"left\n",
			s.tag, at, nwant, parts[i].name, parts[i].chapter, parts[i].what,
			vb_monotonic_s() - t0, left_s(&s, i) / 60);
		/* study_parts rides on every run: --resume knows what was asked for. */
		r = run_part(&s, i, dbpath, quiet, &err);
		if (!r)
			s.done[i] = true;
	}
	/* The answer over what the study holds now, and its report. */
	struct found all = { .tag = s.tag };
	json_t **docs = NULL;
	size_t ndocs = 0;
	int r2 = vb_cli_open_store(dbpath, &db, r ? NULL : &err);
	if (!r2)
		r2 = find_study(db, &all, r ? NULL : &err);
	if (!r2)
		r2 = study_docs(db, &all, &docs, &ndocs, r ? NULL : &err);
	vb_store_close(db);
	if (!r && !r2 && ndocs) {
		struct vb_rec_request req = { 0 };
		vb_rec_default_weights(req.weights);
		struct vb_recommendation rec;
		struct vb_error *rerr = NULL;
		if (!vb_recommend(docs, ndocs, &req, &rec, &rerr)) {
			_cleanup_free_ char *answer = vb_recommendation_answer(&rec);
			printf("study %s: %zu runs, %.0f s; recommendation: %s\n", s.tag, ndocs,
			       vb_monotonic_s() - t0, answer);
			vb_recommendation_release(&rec);
		} else {
			printf("study %s: %zu runs, %.0f s; no recommendation: %s\n", s.tag, ndocs,
			       vb_monotonic_s() - t0, rerr->msg);
			vb_error_free(&rerr);
		}
		if (report) {
			_cleanup_free_ char *cmd = xasprintf("virtbench study (%s)", s.tag);
			r = vb_report_html_study(docs, ndocs, cmd, report, &err);
			if (!r)
				printf("report: %s\n", report);
		}
	}
	for (size_t i = 0; i < ndocs; i++)
		json_decref(docs[i]);
	free(docs);
	json_decref(f.first_config);
	json_decref(all.first_config);
	free(s.platforms);
	return r ? vb_cli_fail(&err) : r2 ? VB_EXIT_MEASUREMENT : VB_EXIT_OK;
}
