/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <sqlite3.h>

#include "core/json.h"
#include "core/text.h"
#include "core/util.h"
#include "store/store.h"

static void finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(finalizep)

static int query(struct vb_store *s, const char *sql, int64_t run_id, sqlite3_stmt **st,
		 struct vb_error **err)
{
	if (sqlite3_prepare_v2(vb_store_db(s), sql, -1, st, NULL) != SQLITE_OK)
		return vb_error_set(err, -EIO, "export: %s", sqlite3_errmsg(vb_store_db(s)));
	sqlite3_bind_int64(*st, 1, run_id);
	return 0;
}

/* A column as the matching JSON value; JSON text columns are embedded parsed. */
static json_t *col_json(sqlite3_stmt *st, int i, bool parse)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT: {
		const char *t = (const char *)sqlite3_column_text(st, i);
		if (parse) {
			json_t *v = json_loads(t, JSON_DECODE_ANY, NULL);
			if (v)
				return v;
		}
		return json_string(t);
	}
	default:
		return json_null();
	}
}

/* Every row of a query as an object keyed by column name. */
static int rows_json(struct vb_store *s, const char *sql, int64_t run_id, const char *const *parse,
		     json_t **out, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = query(s, sql, run_id, &st, err);
	if (r)
		return r;
	json_t *arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *name = sqlite3_column_name(st, i);
			bool p = false;
			for (size_t k = 0; parse && parse[k]; k++)
				p |= !strcmp(parse[k], name);
			json_object_set_new(o, name, col_json(st, i, p));
		}
		json_array_append_new(arr, o);
	}
	*out = arr;
	return 0;
}

int vb_store_export_doc(struct vb_store *s, int64_t run_id, json_t **out, struct vb_error **err)
{
	static const char *const parse_cols[] = { "config",   "spec",	 "params", "values",
						  "outliers", "metrics", NULL };
	*out = NULL;
	_cleanup_json_ json_t *doc = json_object();
	json_object_set_new(doc, "format", json_string(VB_RESULT_FORMAT));
	json_object_set_new(doc, "format_version", json_integer(VB_RESULT_FORMAT_VERSION));
	json_t *runs, *platforms, *workloads, *samples, *summaries;
	int r =
	    rows_json(s,
		      "SELECT id, tag, experiment, command, config, profile, version, started_at,"
		      " ended_at, status, exit_code FROM runs WHERE id = ?1",
		      run_id, parse_cols, &runs, err);
	if (r)
		return r;
	if (json_array_size(runs) != 1) {
		json_decref(runs);
		return vb_error_set(err, -ENOENT, "export: no run %lld", (long long)run_id);
	}
	json_object_set(doc, "run", json_array_get(runs, 0));
	json_decref(runs);
	_cleanup_free_ char *host = NULL;
	r = vb_store_host_json(s, run_id, &host, err);
	if (r)
		return r;
	json_object_set_new(doc, "host", json_loads(host, 0, NULL));
	r = rows_json(s,
		      "SELECT name, emulated, spec, agent_sha256 FROM platforms WHERE run_id = ?1"
		      " ORDER BY ord",
		      run_id, parse_cols, &platforms, err);
	if (r)
		return r;
	json_object_set_new(doc, "platforms", platforms);
	r = rows_json(
	    s,
	    "SELECT w.name, w.grp AS 'group', w.params, (SELECT json_group_array("
	    "json_object('name', m.name, 'unit', m.unit, 'higher_is_better',"
	    " json(CASE m.higher_is_better WHEN 1 THEN 'true' ELSE 'false' END)))"
	    " FROM (SELECT * FROM metrics WHERE workload_id = w.id ORDER BY ord) m) AS metrics"
	    " FROM workloads w WHERE w.run_id = ?1 ORDER BY w.ord",
	    run_id, parse_cols, &workloads, err);
	if (r)
		return r;
	json_object_set_new(doc, "workloads", workloads);
	r = rows_json(
	    s,
	    "SELECT s.seq, s.round,"
	    " CASE WHEN typeof(s.instance) = 'integer' AND s.instance BETWEEN 0 AND 1000000"
	    "  THEN s.instance ELSE 0 END AS instance, p.name AS platform, w.name AS workload, "
	    "s.warmup, "
	    "s.ok,"
	    " s.error, s.duration_s, s.at,"
	    " (SELECT json_group_object(v.metric, v.value) FROM sample_values v"
	    "  WHERE v.sample_id = s.id) AS 'values',"
	    " (SELECT json_group_array(v.metric) FROM sample_values v"
	    "  WHERE v.sample_id = s.id AND v.outlier = 1) AS outliers"
	    " FROM samples s JOIN platforms p ON p.id = s.platform_id"
	    " JOIN workloads w ON w.id = s.workload_id WHERE s.run_id = ?1 ORDER BY s.seq",
	    run_id, parse_cols, &samples, err);
	if (r)
		return r;
	json_object_set_new(doc, "samples", samples);
	r = rows_json(
	    s,
	    "SELECT p.name AS platform, w.name AS workload, x.metric, x.n, x.mean, x.median,"
	    " x.stdev, x.min, x.max, x.ci_low, x.ci_high, x.ratio, x.ratio_low,"
	    " x.ratio_high, x.verdict, x.outliers,"
	    /* As the store could have written them (a doctored file says otherwise). */
	    " CASE WHEN typeof(x.instances) = 'integer' AND x.instances BETWEEN 1 AND 2147483647"
	    "  THEN x.instances ELSE 1 END AS instances,"
	    " CASE WHEN typeof(x.var_within) = 'real' AND x.var_within >= 0"
	    "  THEN x.var_within END AS var_within,"
	    " CASE WHEN typeof(x.var_between) = 'real' AND x.var_between >= 0"
	    "  THEN x.var_between END AS var_between"
	    " FROM summaries x"
	    " JOIN platforms p ON p.id = x.platform_id JOIN workloads w"
	    " ON w.id = x.workload_id WHERE x.run_id = ?1 ORDER BY w.ord, p.ord, x.metric",
	    run_id, NULL, &summaries, err);
	if (r)
		return r;
	json_object_set_new(doc, "summaries", summaries);
	json_t *features;
	r = rows_json(s,
		      "SELECT platform, feature, value, how, detail FROM features WHERE run_id = ?1"
		      " ORDER BY rowid",
		      run_id, NULL, &features, err);
	if (r)
		return r;
	/* Only a features run has them (docs/features.md). */
	if (json_array_size(features))
		json_object_set_new(doc, "features", features);
	else
		json_decref(features);
	*out = steal_ptr(&doc);
	return 0;
}

int vb_store_export_json(struct vb_store *s, int64_t run_id, const char *path,
			 struct vb_error **err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = vb_store_export_doc(s, run_id, &doc, err);
	if (r)
		return r;
	char *text =
	    json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	if (!text)
		return vb_error_set(err, -ENOMEM, "export: cannot encode JSON");
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len] = '\n';
	r = vb_write_file_atomic(path, text, len + 1);
	free(text);
	if (r)
		return vb_error_exit(err, r, VB_EXIT_USAGE, "cannot write %s: %s", path,
				     strerror(-r));
	return 0;
}

/* RFC 4180 quoting where a field needs it. */
static void csv_field(FILE *f, const char *s, bool last)
{
	if (!s)
		s = "";
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

int vb_store_export_csv(struct vb_store *s, int64_t run_id, const char *path, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = query(s,
		      "SELECT r.tag, s.seq, s.round, p.name, w.name, s.warmup, s.ok, v.metric,"
		      " m.unit, v.value, v.outlier, s.error, s.instance FROM samples s"
		      " JOIN runs r ON r.id = s.run_id JOIN platforms p ON p.id = s.platform_id"
		      " JOIN workloads w ON w.id = s.workload_id"
		      " LEFT JOIN sample_values v ON v.sample_id = s.id"
		      " LEFT JOIN metrics m ON m.workload_id = w.id AND m.name = v.metric"
		      " WHERE s.run_id = ?1 ORDER BY s.seq, m.ord",
		      run_id, &st, err);
	if (r)
		return r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	fputs(
	    "run,seq,round,platform,workload,warmup,ok,metric,unit,value,outlier,error,instance\n",
	    f);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < 13; i++) {
			char num[64];
			/* Guest text (an error) may hold escape sequences: cleaned. */
			_cleanup_free_ char *t =
			    vb_text_clean((const char *)sqlite3_column_text(st, i));
			if (sqlite3_column_type(st, i) == SQLITE_FLOAT) {
				snprintf(num, sizeof(num), "%.17g", sqlite3_column_double(st, i));
				free(t);
				t = xstrdup(num);
			}
			csv_field(f, t, i == 12);
		}
	}
	fclose(f);
	r = vb_write_file_atomic(path, buf, len);
	free(buf);
	if (r)
		return vb_error_exit(err, r, VB_EXIT_USAGE, "cannot write %s: %s", path,
				     strerror(-r));
	return 0;
}
