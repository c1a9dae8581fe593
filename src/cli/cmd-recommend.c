/* SPDX-License-Identifier: MIT */
/* virtbench recommend (docs/recommend.md). */
#include <unistd.h>

#include "cli/cli.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/text.h"
#include "core/util.h"
#include "report/recommend.h"
#include "report/study.h"

#define WEIGHTS_MAX (64 << 10)

struct docs {
	json_t **d;
	size_t n;
};

static void docs_release(struct docs *d)
{
	for (size_t i = 0; i < d->n; i++)
		json_decref(d->d[i]);
	free(d->d);
}

static void docs_add(struct docs *d, json_t *doc)
{
	d->d = xrealloc(d->d, (d->n + 1) * sizeof(*d->d));
	d->d[d->n++] = doc;
}

/* Without RUN: the newest run of each experiment that recommend reads. */
struct latest {
	int64_t id[4];
};
static const char *const latest_kinds[4] = { "compare", "ops", "isolation", "features" };

static void note_latest(const struct vb_run_info *r, void *data)
{
	struct latest *l = data;
	for (size_t k = 0; k < 4; k++)
		if (!strcmp(r->experiment, latest_kinds[k]) && !l->id[k] && r->nsamples > 0)
			l->id[k] = r->id;
	/* A features run stores no samples, only its table. */
	if (!strcmp(r->experiment, "features") && !l->id[3])
		l->id[3] = r->id;
}

static int load_args(char **args, size_t nargs, const char *dbpath, struct docs *out,
		     struct vb_error **err)
{
	struct vb_store *db = NULL;
	int r = 0;
	for (size_t i = 0; !r && i < nargs; i++) {
		json_t *doc = NULL;
		r = vb_cli_load_doc(args[i], dbpath, &db, &doc, err);
		if (!r)
			docs_add(out, doc);
	}
	if (!r && !nargs) {
		struct latest l = { { 0 } };
		r = vb_cli_open_store(dbpath, &db, err);
		if (!r)
			r = vb_store_list_runs(db, note_latest, &l, err);
		for (size_t k = 0; !r && k < 4; k++) {
			json_t *doc = NULL;
			if (l.id[k] && !(r = vb_store_export_doc(db, l.id[k], &doc, err)))
				docs_add(out, doc);
		}
		if (!r && !out->n)
			r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
					  "recommend: the results database holds no compare, ops, "
					  "isolation or features run (name runs or results files)");
	}
	vb_store_close(db);
	return r;
}

/* Bad input, whatever the code: exit 2. */
static int usage(int r, struct vb_error **err)
{
	if (r && *err)
		(*err)->exit_code = VB_EXIT_USAGE;
	return r;
}

static int read_weights(const char *path, double w[VB_REC_NCRIT], struct vb_error **err)
{
	_cleanup_close_ int fd = vb_open_regular("weights file", path, err);
	if (fd < 0)
		return usage(fd, err);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = vb_read_fd(fd, WEIGHTS_MAX, &text, &len);
	if (r)
		return vb_error_exit(err, r, VB_EXIT_USAGE, "weights file %s: %s", path,
				     r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
	r = vb_rec_weights_parse(text, len, w, err);
	if (r)
		vb_error_wrap(err, "%s", path);
	return usage(r, err);
}

/* "a,b" into a NULL-terminated list, each item checked by known (exit 2 naming it). */
static int split_checked(const char *what, const char *text, char ***out,
			 const char *(*canon)(const char *), const char *choices,
			 struct vb_error **err)
{
	char **items = NULL;
	size_t n = 0;
	int r = vb_cli_split_list(what, text, &items, &n, err);
	if (r)
		return usage(r, err);
	char **list = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; !r && i < n; i++) {
		const char *c = canon(items[i]);
		if (!c) {
			_cleanup_free_ char *p = vb_printable(items[i]);
			r = vb_error_exit(err, -EINVAL, VB_EXIT_USAGE, "%s: unknown '%s' (%s)",
					  what, p, choices);
		} else {
			list[i] = xstrdup(c);
		}
	}
	vb_cli_free_list(items, n);
	if (r) {
		vb_cli_free_list(list, n);
		return r;
	}
	*out = list;
	return 0;
}

static const char *component_canon(const char *name)
{
	return vb_rec_component_known(name) ? name : NULL;
}

static void free_null_list(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

int vb_cmd_recommend(int argc, char **argv)
{
	const char *dbpath = NULL, *json = NULL, *for_ = NULL, *require = NULL, *weights = NULL;
	bool study = false;
	struct vb_cli_parser p;
	int c;
	vb_cli_parser_init(&p, VB_VERB_RECOMMEND, argc, argv);
	while ((c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_DB:
			dbpath = p.arg;
			break;
		case VB_CLI_JSON:
			json = p.arg;
			break;
		case VB_CLI_FOR:
			for_ = p.arg;
			break;
		case VB_CLI_REQUIRE:
			require = p.arg;
			break;
		case VB_CLI_WEIGHTS:
			weights = p.arg;
			break;
		case VB_CLI_STUDY:
			study = true;
			break;
		default:
			VB_BUG("recommend: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (c < 0)
		return p.exit;
	struct vb_error *err = NULL;
	struct vb_rec_request req = { 0 };
	char **components = NULL, **features = NULL;
	vb_rec_default_weights(req.weights);
	int r = json ? vb_cli_check_output("--json", json, &err) : 0;
	if (!r && for_)
		r = split_checked("--for", for_, &components, component_canon, vb_rec_components(),
				  &err);
	if (!r && require)
		r = split_checked("--require", require, &features, vb_rec_feature_id,
				  "checkpoint-restore, live-migration, memory-overcommit, "
				  "cpu-overcommit, hardware-extensions, isolated-kernel-updates "
				  "(custom-kernel), mainline-linux",
				  &err);
	if (!r && weights)
		r = read_weights(weights, req.weights, &err);
	req.components = (const char *const *)components;
	req.require = (const char *const *)features;
	struct docs docs = { 0 };
	if (!r)
		r = load_args(argv + p.optind, (size_t)(argc - p.optind), dbpath, &docs, &err);
	struct vb_recommendation rec = { 0 };
	if (!r)
		r = vb_recommend(docs.d, docs.n, &req, &rec, &err);
	if (!r) {
		vb_recommendation_print(stdout, &rec);
		fflush(stdout);
	}
	if (!r && study) {
		_cleanup_json_ json_t *findings = NULL;
		r = vb_study_parse(vb_study_findings_json, vb_study_findings_json_len, &findings,
				   &err);
		struct vb_study_judgement j = { 0 };
		if (!r) {
			vb_study_judge(findings, docs.d, docs.n, &j);
			fputc('\n', stdout);
			vb_study_print(stdout, &j);
			fflush(stdout);
		}
		vb_study_judgement_release(&j);
	}
	if (!r && json) {
		_cleanup_json_ json_t *doc = vb_recommendation_json(&rec);
		r = vb_cli_write_json(json, doc, &err);
	}
	vb_recommendation_release(&rec);
	docs_release(&docs);
	free_null_list(components);
	free_null_list(features);
	return r ? vb_cli_fail(&err) : VB_EXIT_OK;
}
