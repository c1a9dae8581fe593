/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the results store (schema, runs, samples, summaries,
 * exports, refusal of foreign files) and for the agent client against a
 * real agent loop in a child process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"
#include "agent-test.h"
#include "agent/agent.h"
#include "agent/client.h"
#include "core/json.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "store/store.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char host_json[] = "{\"hostname\":\"h\",\"cpu\":{\"model\":\"m\",\"online\":2},"
				"\"memory\":{\"total_bytes\":1},\"kernel\":{\"release\":\"r\"},"
				"\"cgroup\":{\"version\":\"v1\"}}";

static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/vb-test-store-XXXXXX", base && *base ? base : "/tmp");

	if (!mkdtemp(tmpl)) {
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

static int64_t sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -12345;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("# %s: %s\n", sql, sqlite3_errmsg(db));
		return v;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row as text; caller frees. */
static char *sql_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static bool sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		printf("# %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc == SQLITE_OK;
}

static struct vb_store *open_store(const char *path)
{
	struct vb_store *s = NULL;
	struct vb_error *err = NULL;
	int r = vb_store_open(path, &s, &err);

	CHECK_MSG(r == 0, "open %s: %d %s", path, r, err ? err->msg : "");
	vb_error_free(&err);
	return r ? NULL : s;
}

static int64_t begin_run(struct vb_store *s, const char *tag)
{
	struct vb_run_begin b = { .tag = tag,
				  .experiment = "run",
				  .command = "virtbench run --quick",
				  .profile = "quick",
				  .config_json = "{\"rounds\":7}",
				  .host_json = host_json };
	struct vb_error *err = NULL;
	int64_t id = -1;

	CHECK_MSG(vb_store_run_begin(s, &b, &id, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	return id;
}

static void test_open_schema(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = NULL, *mode = NULL;
	struct vb_store *s;
	sqlite3 *db;
	struct stat st;

	CHECK(dir != NULL);
	if (!dir)
		return;
	/* Missing directories are created. */
	path = xasprintf("%s/a/b/results.db", dir);
	s = open_store(path);
	if (!s)
		goto out;
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	{
		struct vb_run_info info;
		struct vb_error *err = NULL;

		/* An empty store has no last run. */
		CHECK(vb_store_find_run(s, "last", &info, &err) == -ENOENT);
		vb_error_free(&err);
	}
	db = vb_store_db(s);
	CHECK(sql_int(db, "PRAGMA user_version") == VB_STORE_SCHEMA_VERSION);
	CHECK(sql_int(db, "PRAGMA application_id") == 0x76626e68);
	CHECK(sql_int(db, "PRAGMA foreign_keys") == 1);
	CHECK(sql_int(db, "PRAGMA synchronous") == 2); /* FULL */
	mode = sql_text(db, "PRAGMA journal_mode");
	CHECK_MSG(mode && !strcmp(mode, "wal"), "%s", mode ? mode : "(null)");
	CHECK(sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
			  "('runs','hosts','platforms','workloads','metrics','samples',"
			  "'sample_values','summaries')") == 8);
	vb_store_close(s);
	vb_store_close(NULL);

	/* Reopening an up-to-date store migrates nothing and keeps it. */
	s = open_store(path);
	if (s) {
		CHECK(sql_int(vb_store_db(s), "PRAGMA user_version") == VB_STORE_SCHEMA_VERSION);
		vb_store_close(s);
	}
	/* An empty file is an empty database: it becomes ours. */
	{
		_cleanup_free_ char *empty = xasprintf("%s/empty.db", dir);

		CHECK(vb_write_file_atomic(empty, "", 0) == 0);
		s = open_store(empty);
		if (s) {
			CHECK(sql_int(vb_store_db(s), "PRAGMA user_version") ==
			      VB_STORE_SCHEMA_VERSION);
			vb_store_close(s);
		}
	}
out:
	CHECK(vb_rm_rf(dir) == 0);
}

/* A sample with elapsed and rate, or without values. */
static void add_sample(struct vb_store *s, int64_t run, int64_t plat, int64_t wl, int *seq,
		       int round, bool warmup, bool ok, const char *error, size_t nvalues,
		       double elapsed, double rate)
{
	static const char *const names[] = { "elapsed", "rate" };
	const double values[] = { elapsed, rate };
	struct vb_sample_record rec = { .run_id = run,
					.platform_id = plat,
					.workload_id = wl,
					.seq = (*seq)++,
					.round = round,
					.warmup = warmup,
					.ok = ok,
					.error = error,
					.duration_s = 0.25,
					.nvalues = nvalues,
					.names = names,
					.values = values };
	struct vb_error *err = NULL;

	CHECK_MSG(vb_store_add_sample(s, &rec, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
}

struct fixture {
	char *dir, *path;
	struct vb_store *s;
	int64_t run, host, x, y, wl;
	int nsamples;	 /* rows in samples */
	int nvalue_rows; /* CSV rows: one per value, one for a sample without values */
};

/*
 * Three platforms (host, x: twice as slow, y: emulated with an outlier),
 * cpu.primes with elapsed (lower is better) and rate, a warm-up round with
 * absurd values, and two failed samples.
 */
static bool fixture_setup(struct fixture *f)
{
	static const double h_el[] = { 10.0, 10.2, 9.8, 10.1, 9.9, 10.05, 9.95 };
	static const double h_rate[] = { 100, 102, 98, 101, 99, 100.5, 99.5 };
	static const double y_el[] = { 10.0, 10.1, 9.9, 10.05, 9.95, 10.0, 30.0 };
	struct vb_error *err = NULL;
	int seq = 0;

	memset(f, 0, sizeof(*f));
	f->dir = make_tmpdir();
	if (!f->dir)
		return false;
	f->path = xasprintf("%s/results.db", f->dir);
	f->s = open_store(f->path);
	if (!f->s)
		return false;
	f->run = begin_run(f->s, "vb-1a2b3c4d");
	CHECK(f->run > 0);
	CHECK(vb_store_add_platform(f->s, f->run, 0, "host", false, "{}", NULL, &f->host, &err) ==
	      0);
	CHECK(vb_store_add_platform(f->s, f->run, 1, "x", false, "{\"vcpus\":2}", "ab12", &f->x,
				    &err) == 0);
	CHECK(vb_store_add_platform(f->s, f->run, 2, "y", true, "{}", NULL, &f->y, &err) == 0);
	CHECK(vb_store_add_workload(f->s, f->run, 0, "cpu.primes", "w1",
				    "{\"limit\":1000,\"threads\":2}", &f->wl, &err) == 0);
	CHECK(vb_store_add_metric(f->s, f->wl, 0, "elapsed", "s", false, &err) == 0);
	CHECK(vb_store_add_metric(f->s, f->wl, 1, "rate", "numbers/s", true, &err) == 0);
	CHECK_MSG(err == NULL, "%s", err->msg);
	vb_error_free(&err);

	/* Warm-up: values that would ruin every mean if they counted. */
	add_sample(f->s, f->run, f->host, f->wl, &seq, 0, true, true, NULL, 2, 1000, 1);
	add_sample(f->s, f->run, f->x, f->wl, &seq, 0, true, true, NULL, 2, 1000, 1);
	add_sample(f->s, f->run, f->y, f->wl, &seq, 0, true, true, NULL, 2, 1000, 1);
	for (int i = 0; i < 7; i++) {
		add_sample(f->s, f->run, f->host, f->wl, &seq, i + 1, false, true, NULL, 2, h_el[i],
			   h_rate[i]);
		add_sample(f->s, f->run, f->x, f->wl, &seq, i + 1, false, true, NULL, 2,
			   2 * h_el[i], h_rate[i] / 2);
		add_sample(f->s, f->run, f->y, f->wl, &seq, i + 1, false, true, NULL, 2, y_el[i],
			   100);
		if (i == 2) {
			/* Failed samples: one with no values, one with partial ones. */
			add_sample(f->s, f->run, f->host, f->wl, &seq, i + 1, false, false,
				   "agent said: boom, \"badly\"", 0, 0, 0);
			add_sample(f->s, f->run, f->x, f->wl, &seq, i + 1, false, false, "timeout",
				   2, 5000, 1);
		}
	}
	f->nsamples = seq;
	f->nvalue_rows = (seq - 1) * 2 + 1;
	return true;
}

static void fixture_teardown(struct fixture *f)
{
	vb_store_close(f->s);
	if (f->dir)
		CHECK(vb_rm_rf(f->dir) == 0);
	free(f->dir);
	free(f->path);
}

static const struct vb_result_row *find_row(const struct vb_result_row *rows, size_t n,
					    const char *platform, const char *metric)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].platform, platform) && !strcmp(rows[i].metric, metric))
			return &rows[i];
	printf("# no row %s/%s\n", platform, metric);
	return NULL;
}

static void test_summarize(void)
{
	struct fixture f;
	struct vb_error *err = NULL;
	struct vb_result_row *rows = NULL;
	const struct vb_result_row *r;
	size_t n = 0;
	sqlite3 *db;

	if (!fixture_setup(&f))
		goto out;
	CHECK_MSG(vb_summarize_run(f.s, f.run, "host", 0.05, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(vb_store_load_rows(f.s, f.run, &rows, &n, &err) == 0);
	CHECK(n == 6);
	/* workload, metric, platform order */
	if (n == 6) {
		CHECK(!strcmp(rows[0].metric, "elapsed") && !strcmp(rows[0].platform, "host"));
		CHECK(!strcmp(rows[1].metric, "elapsed") && !strcmp(rows[1].platform, "x"));
		CHECK(!strcmp(rows[2].metric, "elapsed") && !strcmp(rows[2].platform, "y"));
		CHECK(!strcmp(rows[3].metric, "rate") && !strcmp(rows[3].platform, "host"));
	}
	r = find_row(rows, n, "host", "elapsed");
	if (r) {
		/* warm-up and failed samples are left out */
		CHECK(r->s.n == 7);
		CHECK_NEAR(r->s.mean, 10.0, 1e-9);
		CHECK_NEAR(r->s.median, 10.0, 1e-9);
		CHECK_NEAR(r->s.min, 9.8, 1e-12);
		CHECK_NEAR(r->s.max, 10.2, 1e-12);
		CHECK(r->s.ci_low < 10 && r->s.ci_high > 10);
		CHECK(r->s.ci_rel > 0 && r->s.ci_rel < 0.05);
		CHECK(!r->has_ratio && r->verdict == VB_VERDICT_NONE);
		CHECK(!strcmp(r->workload, "cpu.primes") && !strcmp(r->unit, "s"));
		CHECK(!r->higher_is_better && !r->emulated);
		CHECK(r->outliers == 0);
	}
	r = find_row(rows, n, "x", "elapsed");
	if (r) {
		CHECK(r->s.n == 7);
		CHECK_NEAR(r->s.mean, 20.0, 1e-9);
		CHECK_NEAR(r->s.median, 20.0, 1e-9);
		CHECK(r->has_ratio);
		CHECK_NEAR(r->ratio.ratio, 20.0 / 10.0, 1e-9);
		CHECK(r->ratio.low < 2 && r->ratio.high > 2);
		CHECK(r->ratio.low > 1.5 && r->ratio.high < 2.5);
		/* twice the time: slower */
		CHECK(r->verdict == VB_VERDICT_SLOWER);
	}
	r = find_row(rows, n, "x", "rate");
	if (r) {
		CHECK(r->higher_is_better && !strcmp(r->unit, "numbers/s"));
		CHECK_NEAR(r->s.mean, 50.0, 1e-9);
		CHECK_NEAR(r->ratio.ratio, 0.5, 1e-9);
		CHECK(r->verdict == VB_VERDICT_SLOWER);
	}
	r = find_row(rows, n, "y", "elapsed");
	if (r) {
		CHECK(r->emulated);
		CHECK(r->outliers == 1);
		CHECK_NEAR(r->s.mean, 90.0 / 7, 1e-9);
		CHECK_NEAR(r->s.median, 10.0, 1e-9);
		CHECK(r->s.max == 30.0);
	}
	r = find_row(rows, n, "y", "rate");
	if (r) {
		/* constant and equal to the host's mean: no outlier */
		CHECK(r->outliers == 0);
		CHECK(r->s.stdev == 0);
		/* geometric means: the host's is a little below its mean of 100 */
		CHECK_NEAR(r->ratio.ratio, 1.0, 0.01);
		CHECK(r->verdict == VB_VERDICT_EQUIVALENT);
	}
	vb_result_rows_free(rows, n);
	rows = NULL;

	/* The outlier is flagged on its value, and on nothing else. */
	db = vb_store_db(f.s);
	CHECK(sql_int(db, "SELECT count(*) FROM sample_values WHERE outlier = 1") == 1);
	CHECK(sql_int(db, "SELECT count(*) FROM sample_values WHERE outlier = 1 AND "
			  "metric = 'elapsed' AND value = 30") == 1);

	/* Idempotent: the same rows again. */
	CHECK(vb_summarize_run(f.s, f.run, "host", 0.05, &err) == 0);
	CHECK(sql_int(db, "SELECT count(*) FROM summaries") == 6);
	CHECK(sql_int(db, "SELECT count(*) FROM sample_values WHERE outlier = 1") == 1);
	/* An unknown baseline: summaries, but no ratios. */
	CHECK(vb_summarize_run(f.s, f.run, "nope", 0.05, &err) == 0);
	CHECK(vb_store_load_rows(f.s, f.run, &rows, &n, &err) == 0);
	CHECK(n == 6);
	for (size_t i = 0; i < n; i++)
		CHECK(!rows[i].has_ratio && rows[i].verdict == VB_VERDICT_NONE && rows[i].s.n == 7);
	vb_result_rows_free(rows, n);
	CHECK(err == NULL);
	vb_error_free(&err);
out:
	fixture_teardown(&f);
}

static void count_run(const struct vb_run_info *r, void *data)
{
	int64_t *ids = data;

	ids[ids[0] + 1] = r->id;
	ids[0]++;
}

static void test_runs(void)
{
	struct fixture f;
	struct vb_error *err = NULL;
	struct vb_run_info info;
	int64_t run2, ids[8] = { 0 };
	_cleanup_free_ char *host = NULL;
	static const char *const refs[] = { "1", "vb-1a2b3c4d", "1a2b3c4d" };

	if (!fixture_setup(&f))
		goto out;
	CHECK(f.run == 1);
	for (size_t i = 0; i < ARRAY_LEN(refs); i++) {
		CHECK_MSG(vb_store_find_run(f.s, refs[i], &info, &err) == 0, "%s", refs[i]);
		CHECK(info.id == f.run);
		CHECK(info.tag && !strcmp(info.tag, "vb-1a2b3c4d"));
		CHECK(info.status && !strcmp(info.status, "running"));
		CHECK(info.exit_code == -1);
		CHECK(info.ended_at == NULL && info.started_at != NULL);
		CHECK(info.experiment && !strcmp(info.experiment, "run"));
		CHECK(info.command && !strcmp(info.command, "virtbench run --quick"));
		CHECK(info.profile && !strcmp(info.profile, "quick"));
		CHECK(info.version && !strcmp(info.version, VB_VERSION));
		/* 21 measured samples; 2 failed */
		CHECK(info.nsamples == 21);
		CHECK(info.nfailed == 2);
		vb_run_info_release(&info);
	}
	vb_error_free(&err);

	/* The host record. */
	CHECK(vb_store_host_json(f.s, f.run, &host, &err) == 0);
	CHECK(host && !strcmp(host, host_json));
	CHECK(sql_int(vb_store_db(f.s), "SELECT count(*) FROM hosts WHERE hostname = 'h' AND "
					"cpu_model = 'm' AND cores = 2 AND mem_bytes = 1 AND "
					"kernel = 'r' AND cgroup = 'v1'") == 1);

	/* A second run whose tag is all digits. */
	run2 = begin_run(f.s, "vb-12345678");
	CHECK(run2 == 2);
	CHECK(vb_store_find_run(f.s, "last", &info, &err) == 0 && info.id == run2);
	vb_run_info_release(&info);
	CHECK(vb_store_find_run(f.s, "2", &info, &err) == 0 && info.id == run2);
	CHECK(info.nsamples == 0 && info.nfailed == 0);
	vb_run_info_release(&info);
	CHECK(vb_store_find_run(f.s, "vb-12345678", &info, &err) == 0 && info.id == run2);
	vb_run_info_release(&info);
	CHECK_MSG(vb_store_find_run(f.s, "12345678", &info, &err) == 0 && info.id == run2, "%s",
		  err ? err->msg : "");
	vb_run_info_release(&info);
	vb_error_free(&err);

	static const char *const missing[] = { "3",    "0", "vb-nope",
					       "nope", "",  "99999999999999999999" };
	for (size_t i = 0; i < ARRAY_LEN(missing); i++) {
		CHECK_MSG(vb_store_find_run(f.s, missing[i], &info, &err) == -ENOENT, "%s",
			  missing[i]);
		CHECK(err && err->exit_code == VB_EXIT_USAGE);
		vb_error_free(&err);
	}
	/* A tag is unique: the failed insert leaves nothing behind. */
	{
		struct vb_run_begin b = { .tag = "vb-12345678",
					  .experiment = "run",
					  .command = "c",
					  .config_json = "{}",
					  .host_json = host_json };
		int64_t id = -1;

		CHECK(vb_store_run_begin(f.s, &b, &id, &err) < 0);
		CHECK(err != NULL);
		vb_error_free(&err);
		CHECK(sql_int(vb_store_db(f.s), "SELECT count(*) FROM runs") == 2);
		CHECK(sql_int(vb_store_db(f.s), "SELECT count(*) FROM hosts") == 2);
	}

	CHECK(vb_store_list_runs(f.s, count_run, ids, &err) == 0);
	CHECK(ids[0] == 2 && ids[1] == run2 && ids[2] == f.run);

	/* Ending a run. */
	CHECK(vb_store_run_end(f.s, f.run, "complete", 0, &err) == 0);
	CHECK(vb_store_find_run(f.s, "1", &info, &err) == 0);
	CHECK(info.status && !strcmp(info.status, "complete"));
	CHECK(info.exit_code == 0 && info.ended_at != NULL);
	vb_run_info_release(&info);
	CHECK(vb_store_run_end(f.s, run2, "failed", 1, &err) == 0);
	CHECK(vb_store_find_run(f.s, "2", &info, &err) == 0);
	CHECK(info.status && !strcmp(info.status, "failed") && info.exit_code == 1);
	vb_run_info_release(&info);
	/* Only the statuses the schema knows. */
	CHECK(vb_store_run_end(f.s, run2, "great", 0, &err) < 0);
	vb_error_free(&err);
	CHECK(vb_store_find_run(f.s, "2", &info, &err) == 0);
	CHECK(info.status && !strcmp(info.status, "failed"));
	vb_run_info_release(&info);
	CHECK(err == NULL);
out:
	fixture_teardown(&f);
}

static void test_bad_sample(void)
{
	struct fixture f;
	struct vb_error *err = NULL;
	int64_t before;
	static const char *const names[] = { "elapsed", "elapsed" };
	static const double values[] = { 1, 2 };
	struct vb_sample_record rec = { .nvalues = 2, .names = names, .values = values };
	sqlite3 *db;

	if (!fixture_setup(&f))
		goto out;
	db = vb_store_db(f.s);
	before = sql_int(db, "SELECT count(*) FROM samples");
	/* An unknown platform: refused whole. */
	rec.run_id = f.run;
	rec.platform_id = 9999;
	rec.workload_id = f.wl;
	rec.ok = true;
	CHECK(vb_store_add_sample(f.s, &rec, &err) < 0);
	CHECK(err != NULL);
	vb_error_free(&err);
	/* The same metric twice: the sample row is rolled back with its values. */
	rec.platform_id = f.host;
	CHECK(vb_store_add_sample(f.s, &rec, &err) < 0);
	vb_error_free(&err);
	CHECK(sql_int(db, "SELECT count(*) FROM samples") == before);
	CHECK(sql_int(db, "SELECT count(*) FROM sample_values") == f.nvalue_rows - 1);
	/* The store is still usable. */
	rec.nvalues = 1;
	CHECK(vb_store_add_sample(f.s, &rec, &err) == 0);
	CHECK(sql_int(db, "SELECT count(*) FROM samples") == before + 1);
	vb_error_free(&err);
out:
	fixture_teardown(&f);
}

static void test_sweep_stale(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = NULL, *status = NULL;
	struct vb_error *err = NULL;
	struct vb_store *s;
	int64_t alive, dead, reused;
	int n = -1;
	sqlite3 *db;
	char sql[160];

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/results.db", dir);
	s = open_store(path);
	if (!s)
		goto out;
	alive = begin_run(s, "vb-a");
	dead = begin_run(s, "vb-b");
	reused = begin_run(s, "vb-c");
	db = vb_store_db(s);
	/* Our own runs are alive. */
	CHECK(vb_store_sweep_stale(s, &n, &err) == 0);
	CHECK(n == 0);
	snprintf(sql, sizeof(sql), "UPDATE runs SET pid = 999999 WHERE id = %lld", (long long)dead);
	CHECK(sql_exec(db, sql));
	/* A live pid with another start time is another process. */
	snprintf(sql, sizeof(sql), "UPDATE runs SET pid_start = pid_start + 1 WHERE id = %lld",
		 (long long)reused);
	CHECK(sql_exec(db, sql));
	CHECK(vb_store_sweep_stale(s, &n, &err) == 0);
	CHECK(n == 2);
	snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE id = %lld", (long long)dead);
	status = sql_text(db, sql);
	CHECK(status && !strcmp(status, "incomplete"));
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM runs WHERE status = 'incomplete' AND "
		 "ended_at IS NOT NULL");
	CHECK(sql_int(db, sql) == 2);
	snprintf(sql, sizeof(sql), "SELECT status = 'running' FROM runs WHERE id = %lld",
		 (long long)alive);
	CHECK(sql_int(db, sql) == 1);
	CHECK(vb_store_sweep_stale(s, &n, &err) == 0);
	CHECK(n == 0);
	/* A finished run is never swept. */
	CHECK(vb_store_run_end(s, alive, "complete", 0, &err) == 0);
	snprintf(sql, sizeof(sql), "UPDATE runs SET pid = 999999 WHERE id = %lld",
		 (long long)alive);
	CHECK(sql_exec(db, sql));
	CHECK(vb_store_sweep_stale(s, &n, &err) == 0);
	CHECK(n == 0);
	vb_store_close(s);

	/* Reopening: everything is still there. */
	s = open_store(path);
	if (s) {
		CHECK(sql_int(vb_store_db(s), "SELECT count(*) FROM runs") == 3);
		CHECK(sql_int(vb_store_db(s), "SELECT count(*) FROM runs WHERE status = "
					      "'incomplete'") == 2);
		vb_store_close(s);
	}
	CHECK(err == NULL);
out:
	CHECK(vb_rm_rf(dir) == 0);
}

/* Open must fail with -EINVAL (bad input, exit code 2) and leave the file as it was. */
static void check_refused(const char *path, const char *want)
{
	struct vb_store *s = (struct vb_store *)1;
	struct vb_error *err = NULL;
	_cleanup_free_ char *before = NULL, *after = NULL;
	_cleanup_free_ char *wal = xasprintf("%s-wal", path);
	size_t nb = 0, na = 0;
	int r;

	CHECK(vb_read_file(path, 1 << 20, &before, &nb) == 0);
	r = vb_store_open(path, &s, &err);
	CHECK_MSG(r == -EINVAL, "%s: %d", path, r);
	CHECK(s == (struct vb_store *)1);
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	if (err && want)
		CHECK_MSG(strstr(err->msg, want) != NULL, "\"%s\" lacks \"%s\"", err->msg, want);
	vb_error_free(&err);
	CHECK(vb_read_file(path, 1 << 20, &after, &na) == 0);
	CHECK_MSG(nb == na && before && after && !memcmp(before, after, nb), "%s changed", path);
	CHECK(access(wal, F_OK) < 0);
}

static void test_foreign_files(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *junk = NULL, *other = NULL, *newer = NULL, *mode = NULL;
	_cleanup_free_ char *under = NULL, *file = NULL;
	struct vb_store *s = NULL;
	struct vb_error *err = NULL;
	sqlite3 *db = NULL;
	char bytes[8192];
	uint32_t x = 12345;

	CHECK(dir != NULL);
	if (!dir)
		return;
	/* Random bytes. */
	junk = xasprintf("%s/junk.db", dir);
	for (size_t i = 0; i < sizeof(bytes); i++) {
		x = x * 1103515245 + 12345;
		bytes[i] = (char)(x >> 16);
	}
	CHECK(vb_write_file_atomic(junk, bytes, sizeof(bytes)) == 0);
	check_refused(junk, NULL);

	/* Somebody else's SQLite database, in rollback-journal mode. */
	other = xasprintf("%s/other.db", dir);
	CHECK(sqlite3_open(other, &db) == SQLITE_OK);
	CHECK(sql_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);"));
	sqlite3_close(db);
	check_refused(other, "not a virtbench database");
	CHECK(sqlite3_open(other, &db) == SQLITE_OK);
	mode = sql_text(db, "PRAGMA journal_mode");
	CHECK_MSG(mode && !strcmp(mode, "delete"), "journal_mode %s", mode ? mode : "(null)");
	CHECK(sql_int(db, "SELECT count(*) FROM sqlite_schema") == 1);
	sqlite3_close(db);

	/* A virtbench database from a newer virtbench. */
	newer = xasprintf("%s/newer.db", dir);
	s = open_store(newer);
	if (s) {
		CHECK(sql_exec(vb_store_db(s), "PRAGMA user_version = 99"));
		vb_store_close(s);
		s = NULL;
		CHECK(vb_store_open(newer, &s, &err) == -EINVAL);
		CHECK(err && strstr(err->msg, "newer"));
		vb_error_free(&err);
	}

	/* Places it cannot be. */
	CHECK(vb_store_open("/proc/virtbench.db", &s, &err) < 0);
	CHECK(err && err->msg && *err->msg);
	vb_error_free(&err);
	file = xasprintf("%s/file", dir);
	CHECK(vb_write_file_atomic(file, "x", 1) == 0);
	under = xasprintf("%s/file/sub/results.db", dir);
	CHECK(vb_store_open(under, &s, &err) == -ENOTDIR);
	CHECK(err && err->exit_code == VB_EXIT_USAGE);
	vb_error_free(&err);
	CHECK(vb_store_open(dir, &s, &err) < 0);
	vb_error_free(&err);
	CHECK(vb_rm_rf(dir) == 0);
}

static void test_default_path(void)
{
	_cleanup_free_ char *saved_db =
	    getenv("VIRTBENCH_DB") ? xstrdup(getenv("VIRTBENCH_DB")) : NULL;
	_cleanup_free_ char *saved_xdg =
	    getenv("XDG_DATA_HOME") ? xstrdup(getenv("XDG_DATA_HOME")) : NULL;
	_cleanup_free_ char *saved_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	char *p;

	setenv("VIRTBENCH_DB", "/x/y.db", 1);
	p = vb_store_default_path();
	CHECK(!strcmp(p, "/x/y.db"));
	free(p);
	setenv("VIRTBENCH_DB", "", 1);
	setenv("XDG_DATA_HOME", "/data", 1);
	p = vb_store_default_path();
	CHECK(!strcmp(p, "/data/virtbench/results.db"));
	free(p);
	/* A relative XDG_DATA_HOME is invalid by the spec: ignored. */
	setenv("XDG_DATA_HOME", "rel", 1);
	setenv("HOME", "/home/u", 1);
	p = vb_store_default_path();
	CHECK(!strcmp(p, "/home/u/.local/share/virtbench/results.db"));
	free(p);

	if (saved_db)
		setenv("VIRTBENCH_DB", saved_db, 1);
	else
		unsetenv("VIRTBENCH_DB");
	if (saved_xdg)
		setenv("XDG_DATA_HOME", saved_xdg, 1);
	else
		unsetenv("XDG_DATA_HOME");
	if (saved_home)
		setenv("HOME", saved_home, 1);
	else
		unsetenv("HOME");
}

/* A string member of a JSON object, "" when missing or of another kind. */
static const char *jstr(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static void test_export_json(void)
{
	struct fixture f;
	struct vb_error *err = NULL;
	_cleanup_free_ char *out = NULL;
	json_error_t jerr;
	json_t *doc = NULL, *samples, *sample, *vals, *run;
	size_t i;
	int outliers = 0;

	if (!fixture_setup(&f))
		goto out;
	CHECK(vb_summarize_run(f.s, f.run, "host", 0.05, &err) == 0);
	out = xasprintf("%s/export.json", f.dir);
	CHECK_MSG(vb_store_export_json(f.s, f.run, out, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	doc = json_load_file(out, JSON_REJECT_DUPLICATES, &jerr);
	CHECK_MSG(doc != NULL, "%s", jerr.text);
	if (!doc)
		goto out;
	CHECK(!strcmp(jstr(doc, "format"), "virtbench-results"));
	CHECK(json_integer_value(json_object_get(doc, "format_version")) == 1);
	run = json_object_get(doc, "run");
	CHECK(!strcmp(jstr(run, "tag"), "vb-1a2b3c4d"));
	CHECK(!strcmp(jstr(run, "status"), "running"));
	/* JSON columns are embedded as JSON, not as strings */
	CHECK(json_integer_value(json_object_get(json_object_get(run, "config"), "rounds")) == 7);
	CHECK(!strcmp(jstr(json_object_get(doc, "host"), "hostname"), "h"));
	CHECK(json_array_size(json_object_get(doc, "platforms")) == 3);
	CHECK(json_array_size(json_object_get(doc, "workloads")) == 1);
	{
		json_t *w = json_array_get(json_object_get(doc, "workloads"), 0);
		json_t *m = json_object_get(w, "metrics");

		CHECK(!strcmp(jstr(w, "group"), "w1"));
		CHECK(json_array_size(m) == 2);
		CHECK(!strcmp(jstr(json_array_get(m, 0), "name"), "elapsed"));
		CHECK(!strcmp(jstr(json_array_get(m, 1), "unit"), "numbers/s"));
		CHECK(json_is_false(json_object_get(json_array_get(m, 0), "higher_is_better")));
		CHECK(json_is_true(json_object_get(json_array_get(m, 1), "higher_is_better")));
		CHECK(json_integer_value(json_object_get(json_object_get(w, "params"), "limit")) ==
		      1000);
	}
	samples = json_object_get(doc, "samples");
	CHECK_MSG(json_array_size(samples) == (size_t)f.nsamples, "%zu samples, want %d",
		  json_array_size(samples), f.nsamples);
	json_array_foreach(samples, i, sample)
	{
		vals = json_object_get(sample, "values");
		CHECK_MSG(json_is_object(vals), "sample %zu", i);
		CHECK(json_integer_value(json_object_get(sample, "seq")) == (json_int_t)i);
		if (json_is_true(json_object_get(sample, "ok")))
			CHECK(json_object_size(vals) == 2);
		outliers += (int)json_array_size(json_object_get(sample, "outliers"));
	}
	CHECK(outliers == 1);
	sample = json_array_get(samples, 3);
	CHECK(!strcmp(jstr(sample, "platform"), "host"));
	CHECK(!strcmp(jstr(sample, "workload"), "cpu.primes"));
	CHECK(json_real_value(json_object_get(json_object_get(sample, "values"), "elapsed")) ==
	      10.0);
	CHECK(json_array_size(json_object_get(doc, "summaries")) == 6);
	/* Only a features run has a "features" array. */
	CHECK(json_object_get(doc, "features") == NULL);

	/* A run that does not exist. */
	CHECK(vb_store_export_json(f.s, 77, out, &err) == -ENOENT);
	vb_error_free(&err);
out:
	json_decref(doc);
	fixture_teardown(&f);
}

/* Schema 2: a version-1 database gains the features table and keeps its runs. */
static void test_features(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = NULL;
	struct vb_store *s = NULL;
	struct vb_error *err = NULL;
	struct vb_feature_row *rows = NULL;
	size_t n = 0;
	json_t *doc = NULL;

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/v1.db", dir);
	s = open_store(path);
	if (!s)
		goto out;
	int64_t old = begin_run(s, "vb-00000001");
	/* Back to what version 1 was. */
	CHECK(sql_exec(vb_store_db(s),
		       "DROP TABLE features; ALTER TABLE samples DROP COLUMN instance;"
		       " ALTER TABLE summaries DROP COLUMN instances;"
		       " ALTER TABLE summaries DROP COLUMN var_within;"
		       " ALTER TABLE summaries DROP COLUMN var_between; PRAGMA user_version = 1"));
	vb_store_close(s);
	s = open_store(path);
	if (!s)
		goto out;
	CHECK(sql_int(vb_store_db(s), "PRAGMA user_version") == 3);
	CHECK(sql_int(vb_store_db(s),
		      "SELECT count(*) FROM sqlite_schema WHERE name = 'features'") == 1);
	CHECK(sql_int(vb_store_db(s), "SELECT count(*) FROM pragma_table_info('samples')"
				      " WHERE name = 'instance'") == 1);
	CHECK(sql_int(vb_store_db(s),
		      "SELECT count(*) FROM pragma_table_info('summaries')"
		      " WHERE name IN ('instances', 'var_within', 'var_between')") == 3);
	CHECK(sql_int(vb_store_db(s), "SELECT count(*) FROM runs") == 1);

	int64_t run = begin_run(s, "vb-00000002");
	CHECK(run > old);
	struct vb_feature_row a = { "qemu-tcg", "live-migration", "yes", "probed", "It moved." };
	struct vb_feature_row b = { "host", "checkpoint-restore", "n/a", "by design", "Bare." };
	CHECK(vb_store_add_feature(s, run, &a, &err) == 0);
	CHECK(vb_store_add_feature(s, run, &b, &err) == 0);
	vb_error_free(&err);
	/* The values and hows are a closed set; a cell is recorded once. */
	struct vb_feature_row bad = { "host", "cpu-overcommit", "maybe", "probed", "?" };
	CHECK(vb_store_add_feature(s, run, &bad, &err) < 0);
	vb_error_free(&err);
	struct vb_feature_row badhow = { "host", "cpu-overcommit", "yes", "guessed", "?" };
	CHECK(vb_store_add_feature(s, run, &badhow, &err) < 0);
	vb_error_free(&err);
	CHECK(vb_store_add_feature(s, run, &a, &err) < 0);
	vb_error_free(&err);

	/* Read back in the order recorded. */
	CHECK(vb_store_load_features(s, run, &rows, &n, &err) == 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(!strcmp(rows[0].platform, "qemu-tcg") && !strcmp(rows[0].value, "yes"));
		CHECK(!strcmp(rows[1].feature, "checkpoint-restore"));
		CHECK(!strcmp(rows[1].how, "by design") && !strcmp(rows[1].detail, "Bare."));
	}
	vb_feature_rows_free(rows, n);
	rows = NULL;
	CHECK(vb_store_load_features(s, old, &rows, &n, &err) == 0 && n == 0);

	CHECK(vb_store_export_doc(s, run, &doc, &err) == 0);
	vb_error_free(&err);
	json_t *feats = json_object_get(doc, "features");
	CHECK(json_array_size(feats) == 2);
	json_t *f0 = json_array_get(feats, 0);
	CHECK(f0 && !strcmp(jstr(f0, "platform"), "qemu-tcg") &&
	      !strcmp(jstr(f0, "feature"), "live-migration") && !strcmp(jstr(f0, "value"), "yes") &&
	      !strcmp(jstr(f0, "how"), "probed") && !strcmp(jstr(f0, "detail"), "It moved."));
	CHECK(json_object_size(f0) == 5);
out:
	json_decref(doc);
	vb_store_close(s);
	if (dir)
		vb_rm_rf(dir);
}

static void test_export_csv(void)
{
	struct fixture f;
	struct vb_error *err = NULL;
	_cleanup_free_ char *out = NULL, *text = NULL;
	size_t len = 0;
	int lines = 0;
	char *nl;

	if (!fixture_setup(&f))
		goto out;
	out = xasprintf("%s/export.csv", f.dir);
	CHECK_MSG(vb_store_export_csv(f.s, f.run, out, &err) == 0, "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(vb_read_file(out, 1 << 20, &text, &len) == 0);
	if (!text)
		goto out;
	nl = strchr(text, '\n');
	CHECK(nl != NULL);
	if (nl)
		CHECK(!strncmp(
		    text,
		    "run,seq,round,platform,workload,warmup,ok,metric,unit,value,outlier,error,"
		    "instance",
		    (size_t)(nl - text)));
	for (char *p = text; *p; p++)
		lines += *p == '\n';
	CHECK(len > 0 && text[len - 1] == '\n');
	/* header + one row per value + one for the sample without values */
	CHECK_MSG(lines == 1 + f.nvalue_rows, "%d lines, want %d", lines, 1 + f.nvalue_rows);
	CHECK(strstr(text, "\nvb-1a2b3c4d,3,1,host,cpu.primes,0,1,elapsed,s,10,0,,0\n") != NULL);
	/* RFC 4180 quoting */
	CHECK(strstr(text, ",\"agent said: boom, \"\"badly\"\"\",0\n") != NULL);
out:
	fixture_teardown(&f);
}

static void test_sha256(void)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = NULL;
	char hex[65];

	CHECK(dir != NULL);
	if (!dir)
		return;
	path = xasprintf("%s/abc", dir);
	CHECK(vb_write_file_atomic(path, "abc", 3) == 0);
	CHECK(vb_sha256_file(path, hex) == 0);
	CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CHECK(vb_write_file_atomic(path, "", 0) == 0);
	CHECK(vb_sha256_file(path, hex) == 0);
	CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	CHECK(vb_sha256_file(dir, hex) < 0);
	CHECK(vb_rm_rf(dir) == 0);
	CHECK(vb_sha256_file(path, hex) == -ENOENT);
}

static int agent_wait(struct agent_proc *a, double timeout_s)
{
	struct timespec t0, t1;
	int status = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(a->pid, &status, WNOHANG);

		if (r == a->pid)
			return status;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r < 0 || (double)(t1.tv_sec - t0.tv_sec) > timeout_s) {
			kill(a->pid, SIGKILL);
			waitpid(a->pid, &status, 0);
			return -1;
		}
		usleep(2000);
	}
}

struct seen {
	enum vb_event_type types[16];
	unsigned n;
	size_t nvalues;
	double elapsed, rate;
	char error[256];
};

static void on_event(const struct vb_event *ev, void *data)
{
	struct seen *s = data;

	if (s->n < ARRAY_LEN(s->types))
		s->types[s->n++] = ev->type;
	if (ev->type == VB_EV_SAMPLE) {
		s->nvalues = ev->nvalues;
		for (size_t i = 0; i < ev->nvalues; i++) {
			if (!strcmp(ev->values[i].name, "elapsed"))
				s->elapsed = ev->values[i].value;
			if (!strcmp(ev->values[i].name, "rate"))
				s->rate = ev->values[i].value;
		}
	}
	if (ev->type == VB_EV_ERROR)
		snprintf(s->error, sizeof(s->error), "%s", ev->msg);
}

static int exec_job(struct agent_proc *a, const char *id, const char *workload, const char *params,
		    struct seen *seen, struct vb_error **err)
{
	json_error_t jerr;
	struct vb_job job = { .id = (char *)id, .workload = (char *)workload };
	int r;

	job.params = json_loads(params, 0, &jerr);
	memset(seen, 0, sizeof(*seen));
	r = vb_agent_client_exec(&a->ch, &job, 30, on_event, seen, err);
	json_decref(job.params);
	return r;
}

static void test_agent_client(void)
{
	struct agent_proc a;
	struct vb_event hello;
	struct vb_error *err = NULL;
	struct seen seen;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int status;

	/* As the CLI does: a vanished agent is -EPIPE, not a signal. */
	sigaction(SIGPIPE, &ign, &old);
	CHECK(agent_start(&a));
	CHECK(vb_agent_client_hello(&a.ch, 10, &hello, &err) == 0);
	CHECK(hello.type == VB_EV_HELLO && hello.protocol == VB_PROTOCOL_VERSION);
	CHECK(hello.pid == a.pid);
	vb_event_release(&hello);

	CHECK_MSG(exec_job(&a, "j1", "cpu.primes", "{\"limit\":1000,\"threads\":2}", &seen, &err) ==
		      0,
		  "%s", err ? err->msg : "");
	vb_error_free(&err);
	CHECK(seen.n == 4);
	if (seen.n == 4)
		CHECK(seen.types[0] == VB_EV_STARTED && seen.types[1] == VB_EV_LOG &&
		      seen.types[2] == VB_EV_SAMPLE && seen.types[3] == VB_EV_DONE);
	CHECK(seen.nvalues == 2 && seen.elapsed > 0 && seen.rate > 0);

	/* A failed job: -EIO with the agent's reason; the channel stays usable. */
	CHECK(exec_job(&a, "j2", "no.such", "{}", &seen, &err) == -EIO);
	CHECK(err && strstr(err->msg, "unknown workload"));
	CHECK(strstr(seen.error, "unknown workload") != NULL);
	CHECK(seen.n == 3 && seen.types[2] == VB_EV_DONE);
	vb_error_free(&err);
	CHECK(exec_job(&a, "j3", "cpu.primes", "{\"threads\":0}", &seen, &err) == -EIO);
	CHECK(err && strstr(err->msg, "out of range"));
	vb_error_free(&err);

	/* Garbage: the agent answers with an error for job "-" and keeps serving. */
	{
		struct vb_event ev;
		char *line;
		size_t len;

		CHECK(vb_channel_send(&a.ch, "{\"v\":1,\"type\":\"job\"") == 0);
		CHECK(vb_channel_recv(&a.ch, 10000, NULL, &line, &len) == 0);
		CHECK(vb_event_parse(line, len, &ev, &err) == 0);
		CHECK(ev.type == VB_EV_ERROR && ev.job && !strcmp(ev.job, "-"));
		vb_event_release(&ev);
		vb_error_free(&err);
	}
	CHECK(exec_job(&a, "j4", "mem.memcpy", "{\"size\":65536,\"loops\":1}", &seen, &err) == 0);
	vb_error_free(&err);

	vb_agent_client_quit(&a.ch);
	status = agent_wait(&a, 30);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	/* The agent is gone. */
	CHECK(exec_job(&a, "j5", "cpu.primes", "{}", &seen, &err) == -EPIPE);
	vb_error_free(&err);
	vb_channel_release(&a.ch);
	sigaction(SIGPIPE, &old, NULL);
}

static void test_agent_client_timeout(void)
{
	struct agent_proc a;
	struct vb_event hello;
	struct vb_error *err = NULL;
	struct vb_job job = { .id = "slow", .workload = "cpu.primes" };
	struct timespec t0, t1;
	double dt;
	int status;

	CHECK(agent_start(&a));
	CHECK(vb_agent_client_hello(&a.ch, 10, &hello, &err) == 0);
	vb_event_release(&hello);
	job.params = json_pack("{s:i,s:i}", "limit", 100000000, "threads", 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(vb_agent_client_exec(&a.ch, &job, 0.05, NULL, NULL, &err) == -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	CHECK_MSG(dt >= 0.04 && dt < 2, "%.3f s", dt);
	CHECK(err && strstr(err->msg, "in time"));
	vb_error_free(&err);
	json_decref(job.params);
	kill(a.pid, SIGKILL);
	status = agent_wait(&a, 10);
	CHECK(WIFSIGNALED(status));
	vb_channel_release(&a.ch);
}

/* The client against a fake agent that the test plays itself. */
static void test_client_hello_rejects(void)
{
	static const struct {
		const char *line;
		int r;
	} cases[] = {
		{ "{\"v\":1,\"type\":\"done\",\"job\":\"j\",\"ok\":true}", -EPROTO },
		{ "{\"v\":1,\"type\":\"hello\",\"protocol\":2,\"agent\":\"x\",\"pid\":1}",
		  -EPROTO },
		{ "{\"v\":2,\"type\":\"hello\",\"protocol\":1,\"agent\":\"x\",\"pid\":1}",
		  -EPROTO },
		{ "hello", -EPROTO },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int p[2];
		struct vb_channel ch;
		struct vb_event ev;
		struct vb_error *err = NULL;

		CHECK(pipe2(p, O_CLOEXEC) == 0);
		vb_channel_init(&ch, p[0], -1, VB_PROTO_MAX_LINE);
		CHECK(vb_write_all(p[1], cases[i].line, strlen(cases[i].line)) == 0);
		CHECK(vb_write_all(p[1], "\n", 1) == 0);
		CHECK_MSG(vb_agent_client_hello(&ch, 5, &ev, &err) == cases[i].r, "%s",
			  cases[i].line);
		CHECK(err != NULL);
		vb_error_free(&err);
		/* The end of the channel, an interruption and silence. */
		CHECK(vb_agent_client_hello(&ch, 0.05, &ev, &err) == -ETIMEDOUT);
		vb_error_free(&err);
		vb_interrupted = 1;
		CHECK(vb_agent_client_hello(&ch, 5, &ev, &err) == -EINTR);
		vb_interrupted = 0;
		vb_error_free(&err);
		close(p[1]);
		CHECK(vb_agent_client_hello(&ch, 5, &ev, &err) == -EPIPE);
		vb_error_free(&err);
		vb_channel_release(&ch);
	}
}

/* How a container's disk names its platform and shows in its record. */
static void test_guest_label(void)
{
	const struct vb_platform_ops *c = vb_platform_find("container");
	const struct vb_platform_ops *h = vb_platform_find("host");
	CHECK(c && h && (c->caps & VB_CAP_CONTAINER_DISK) && !(h->caps & VB_CAP_CONTAINER_DISK));
	if (!c || !h)
		return;
	struct vb_guest_spec vol = { 0 }, ovl = { .container_disk = VB_CONTAINER_DISK_OVERLAY };
	static const struct {
		const char *label, *want;
	} cases[] = {
		{ "container", "container[disk=overlay]" },
		{ "container[vcpus=2]", "container[vcpus=2,disk=overlay]" },
		{ "container[vcpus=1,mem=512MiB]", "container[vcpus=1,mem=512MiB,disk=overlay]" },
		{ "container#1", "container[disk=overlay]#1" },
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *l = vb_guest_label(cases[i].label, c, &ovl);
		_cleanup_free_ char *d = vb_guest_label(cases[i].label, c, &vol);
		CHECK_MSG(!strcmp(l, cases[i].want), "%s -> %s", cases[i].label, l);
		CHECK_MSG(!strcmp(d, cases[i].label), "the default renames %s to %s",
			  cases[i].label, d);
	}
	_cleanup_free_ char *hl = vb_guest_label("host", h, &ovl);
	CHECK(!strcmp(hl, "host"));
	/* Without a guest (ops), the container's record still says where /scratch is. */
	_cleanup_free_ char *rc = vb_guest_record_json(&ovl, c, NULL, NULL);
	_cleanup_free_ char *rh = vb_guest_record_json(&ovl, h, NULL, NULL);
	CHECK_MSG(strstr(rc, "\"guest\":{\"scratch\":\"overlay\","), "%s", rc);
	CHECK_MSG(strstr(rc, "\"root\":{\"kind\":\"minimal\",\"key\":null,\"packages\":[]}"), "%s",
		  rc);
	CHECK_MSG(!strstr(rh, "guest"), "%s", rh);
	/* The image a platform boots, with its key and packages, for those that boot one. */
	struct vb_guest_image img = { .kind = VB_IMAGE_DEBIAN,
				      .key = "debian-bookworm-0123456789abcdef",
				      .packages = "less,nginx" };
	const struct vb_platform_ops *q = vb_platform_find("qemu-tcg");
	_cleanup_free_ char *rq = vb_guest_record_json(&ovl, q, NULL, &img);
	_cleanup_free_ char *rh2 = vb_guest_record_json(&ovl, h, NULL, &img);
	CHECK_MSG(strstr(rq, "\"root\":{\"kind\":\"debian\",\"key\":\"debian-bookworm-"
			     "0123456789abcdef\",\"packages\":[\"less\",\"nginx\"]}"),
		  "%s", rq);
	CHECK_MSG(!strstr(rh2, "root"), "%s", rh2);
}

TEST_MAIN(T(test_open_schema), T(test_summarize), T(test_runs), T(test_bad_sample),
	  T(test_sweep_stale), T(test_foreign_files), T(test_default_path), T(test_export_json),
	  T(test_features), T(test_export_csv), T(test_sha256), T(test_agent_client),
	  T(test_agent_client_timeout), T(test_client_hello_rejects), T(test_guest_label))
