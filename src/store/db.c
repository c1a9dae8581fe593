/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <math.h>
#include <jansson.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "core/proc.h"
#include "core/text.h"
#include "core/util.h"
#include "store/store.h"

/* 'vbnh': tells a virtbench database from any other SQLite file. */
#define VB_APPLICATION_ID 0x76626e68

struct vb_store {
	sqlite3 *db;
	char *path;
};

static void finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(finalizep)

/* Each entry moves the schema one version up; never edit a released one. */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" tag TEXT NOT NULL UNIQUE,"
	" experiment TEXT NOT NULL,"
	" command TEXT NOT NULL,"
	" config TEXT NOT NULL,"
	" profile TEXT,"
	" version TEXT NOT NULL,"
	" started_at TEXT NOT NULL,"
	" ended_at TEXT,"
	" status TEXT NOT NULL CHECK (status IN ('running','complete','incomplete','failed')),"
	" exit_code INTEGER,"
	" pid INTEGER,"
	" pid_start INTEGER);"
	"CREATE TABLE hosts("
	" run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	" hostname TEXT, cpu_model TEXT, cores INTEGER, mem_bytes INTEGER, kernel TEXT,"
	" cgroup TEXT, fingerprint TEXT NOT NULL);"
	"CREATE TABLE platforms("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" ord INTEGER NOT NULL, name TEXT NOT NULL, emulated INTEGER NOT NULL,"
	" spec TEXT NOT NULL, agent_sha256 TEXT, UNIQUE (run_id, name));"
	"CREATE TABLE workloads("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" ord INTEGER NOT NULL, name TEXT NOT NULL, grp TEXT NOT NULL,"
	" params TEXT NOT NULL, UNIQUE (run_id, name));"
	"CREATE TABLE metrics("
	" workload_id INTEGER NOT NULL REFERENCES workloads(id) ON DELETE CASCADE,"
	" ord INTEGER NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL,"
	" higher_is_better INTEGER NOT NULL, PRIMARY KEY (workload_id, name));"
	"CREATE TABLE samples("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" platform_id INTEGER NOT NULL REFERENCES platforms(id),"
	" workload_id INTEGER NOT NULL REFERENCES workloads(id),"
	" seq INTEGER NOT NULL, round INTEGER NOT NULL, warmup INTEGER NOT NULL,"
	" ok INTEGER NOT NULL, error TEXT, duration_s REAL, at TEXT NOT NULL);"
	"CREATE INDEX samples_cell ON samples(run_id, platform_id, workload_id);"
	"CREATE TABLE sample_values("
	" sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,"
	" metric TEXT NOT NULL, value REAL NOT NULL, outlier INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (sample_id, metric));"
	"CREATE TABLE summaries("
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" platform_id INTEGER NOT NULL REFERENCES platforms(id),"
	" workload_id INTEGER NOT NULL REFERENCES workloads(id),"
	" metric TEXT NOT NULL, n INTEGER NOT NULL, mean REAL, median REAL, stdev REAL,"
	" min REAL, max REAL, ci_low REAL, ci_high REAL, ratio REAL, ratio_low REAL,"
	" ratio_high REAL, verdict TEXT NOT NULL, outliers INTEGER NOT NULL,"
	" PRIMARY KEY (run_id, platform_id, workload_id, metric));",
	/* 2: the operational features of a `virtbench features` run (docs/features.md) */
	"CREATE TABLE features("
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" platform TEXT NOT NULL, feature TEXT NOT NULL,"
	" value TEXT NOT NULL CHECK (value IN ('yes','no','partial','n/a','unknown')),"
	" how TEXT NOT NULL CHECK (how IN ('probed','by design','documented')),"
	" detail TEXT NOT NULL,"
	" PRIMARY KEY (run_id, platform, feature));",
	/*
	 * 3: fresh guests as a level of replication (`--instances`): which
	 * instance took a sample; a cell's instances and its variance
	 * components on the log scale (docs/statistics.md)
	 */
	"ALTER TABLE samples ADD COLUMN instance INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE summaries ADD COLUMN instances INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE summaries ADD COLUMN var_within REAL;"
	"ALTER TABLE summaries ADD COLUMN var_between REAL;",
};

static int db_error(struct vb_store *s, int rc, struct vb_error **err, const char *what)
{
	int code = (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) ? -EINVAL : -EIO;
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return vb_error_exit(err, code, VB_EXIT_USAGE,
				     "%s: %s: %s (not a virtbench database?)",
				     s ? s->path : "database", what, msg);
	return vb_error_exit(err, code, VB_EXIT_USAGE, "%s: %s: %s", s ? s->path : "database", what,
			     msg);
}

static int exec_sql(struct vb_store *s, const char *sql, struct vb_error **err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int code = (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) ? -EINVAL : -EIO;
		vb_error_exit(err, code, VB_EXIT_USAGE, "%s: %s", s->path,
			      msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return code;
	}
	return 0;
}

static int prepare(struct vb_store *s, const char *sql, sqlite3_stmt **st, struct vb_error **err)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, err, "prepare");
	return 0;
}

static int64_t query_int(struct vb_store *s, const char *sql, int *rc)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	*rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return 0;
	*rc = sqlite3_step(st);
	if (*rc != SQLITE_ROW)
		return 0;
	*rc = SQLITE_OK;
	return sqlite3_column_int64(st, 0);
}

char *vb_store_default_path(void)
{
	const char *env = getenv("VIRTBENCH_DB");
	if (env && *env)
		return xstrdup(env);
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg == '/')
		return xasprintf("%s/virtbench/results.db", xdg);
	const char *home = getenv("HOME");
	return xasprintf("%s/.local/share/virtbench/results.db", home && *home ? home : "/root");
}

static int migrate(struct vb_store *s, struct vb_error **err)
{
	int rc;
	int64_t app = query_int(s, "PRAGMA application_id", &rc);
	if (rc != SQLITE_OK)
		return db_error(s, rc, err, "reading the header");
	int64_t version = query_int(s, "PRAGMA user_version", &rc);
	int64_t tables = query_int(s, "SELECT count(*) FROM sqlite_schema", &rc);
	if (rc != SQLITE_OK)
		return db_error(s, rc, err, "reading the schema");
	if (app != VB_APPLICATION_ID && (tables > 0 || version != 0))
		return vb_error_exit(err, -EINVAL, VB_EXIT_USAGE,
				     "%s: not a virtbench database (another SQLite file)", s->path);
	if (version > (int64_t)VB_ARRAY_SIZE(migrations))
		return vb_error_exit(
		    err, -EINVAL, VB_EXIT_USAGE,
		    "%s: schema version %lld is newer than this virtbench knows (%zu)", s->path,
		    (long long)version, VB_ARRAY_SIZE(migrations));
	for (size_t v = (size_t)version; v < VB_ARRAY_SIZE(migrations); v++) {
		_cleanup_free_ char *sql =
		    xasprintf("BEGIN IMMEDIATE; %s PRAGMA application_id = %d; "
			      "PRAGMA user_version = %zu; COMMIT;",
			      migrations[v], VB_APPLICATION_ID, v + 1);
		int r = exec_sql(s, sql, err);
		if (r) {
			exec_sql(s, "ROLLBACK", NULL);
			return vb_error_wrap(err, "migrating to schema %zu", v + 1);
		}
	}
	return 0;
}

int vb_store_open(const char *path, struct vb_store **out, struct vb_error **err)
{
	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		int r = vb_mkdir_p(dir, 0755);
		if (r)
			return vb_error_exit(err, r, VB_EXIT_USAGE, "cannot create %s: %s", dir,
					     strerror(-r));
	}
	struct vb_store *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	int r = 0;
	if (rc != SQLITE_OK) {
		r = vb_error_exit(err, -EIO, VB_EXIT_USAGE, "cannot open database %s: %s", path,
				  s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 0);
	r = exec_sql(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", err);
	if (r)
		goto fail;
	r = migrate(s, err);
	if (r)
		goto fail;
	/*
	 * WAL + FULL: a committed sample survives a crash of virtbench or of the
	 * machine. WAL is a property of the file: set only once the file is ours.
	 */
	r = exec_sql(s, "PRAGMA journal_mode = WAL;", err);
	if (r)
		goto fail;
	*out = s;
	return 0;
fail:
	vb_store_close(s);
	return r ? r : -EIO;
}

void vb_store_close(struct vb_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

struct sqlite3 *vb_store_db(struct vb_store *s)
{
	return s->db;
}

int vb_store_sweep_stale(struct vb_store *s, int *n, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	*n = 0;
	int r =
	    prepare(s, "SELECT id, pid, pid_start FROM runs WHERE status = 'running'", &st, err);
	if (r)
		return r;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		pid_t pid = (pid_t)sqlite3_column_int64(st, 1);
		unsigned long long start = (unsigned long long)sqlite3_column_int64(st, 2);
		if (vb_proc_starttime(pid) == start && start != 0)
			continue; /* still running */
		_cleanup_free_ char *sql = xasprintf(
		    "UPDATE runs SET status = 'incomplete', "
		    "ended_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ','now') WHERE id = %lld "
		    "AND status = 'running'",
		    (long long)id);
		r = exec_sql(s, sql, err);
		if (r)
			return r;
		(*n)++;
	}
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int step_done(struct vb_store *s, sqlite3_stmt *st, struct vb_error **err, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, what);
	return 0;
}

/* The study the next runs belong to (virtbench study): kept in their config. */
static json_t *study_label;

void vb_store_set_study(const json_t *label)
{
	json_decref(study_label);
	study_label = label ? json_deep_copy(label) : NULL;
}

/* config_json with the study's label merged in (caller frees); NULL: take it as it is. */
static char *with_study(const char *config_json)
{
	if (!study_label)
		return NULL;
	json_t *c = json_loads(config_json ? config_json : "{}", 0, NULL);
	if (!json_is_object(c)) {
		json_decref(c);
		return NULL;
	}
	json_object_update(c, study_label);
	char *out = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	json_decref(c);
	return out;
}

int vb_store_run_begin(struct vb_store *s, const struct vb_run_begin *b, int64_t *run_id,
		       struct vb_error **err)
{
	_cleanup_free_ char *config = with_study(b->config_json);
	int r = exec_sql(s, "BEGIN IMMEDIATE", err);
	if (r)
		return r;
	/* Both declared before the first goto: a jump must not skip a cleanup's initializer. */
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_stmt_ sqlite3_stmt *h = NULL;
	r = prepare(
	    s,
	    "INSERT INTO runs(tag, experiment, command, config, profile, version, started_at,"
	    " status, exit_code, pid, pid_start) VALUES (?, ?, ?, ?, ?, ?,"
	    " strftime('%Y-%m-%dT%H:%M:%fZ','now'), 'running', -1, ?, ?)",
	    &st, err);
	if (r)
		goto fail;
	bind_text(st, 1, b->tag);
	bind_text(st, 2, b->experiment);
	bind_text(st, 3, b->command);
	bind_text(st, 4, config ? config : b->config_json);
	bind_text(st, 5, b->profile);
	bind_text(st, 6, VB_VERSION);
	sqlite3_bind_int64(st, 7, getpid());
	sqlite3_bind_int64(st, 8, (sqlite3_int64)vb_proc_starttime(getpid()));
	r = step_done(s, st, err, "recording the run");
	if (r)
		goto fail;
	*run_id = sqlite3_last_insert_rowid(s->db);
	r = prepare(
	    s,
	    "INSERT INTO hosts(run_id, hostname, cpu_model, cores, mem_bytes, kernel, cgroup,"
	    " fingerprint) VALUES (?1, json_extract(?2, '$.hostname'),"
	    " json_extract(?2, '$.cpu.model'), json_extract(?2, '$.cpu.online'),"
	    " json_extract(?2, '$.memory.total_bytes'), json_extract(?2, '$.kernel.release'),"
	    " json_extract(?2, '$.cgroup.version'), ?2)",
	    &h, err);
	if (r)
		goto fail;
	sqlite3_bind_int64(h, 1, *run_id);
	bind_text(h, 2, b->host_json);
	r = step_done(s, h, err, "recording the host");
	if (r)
		goto fail;
	return exec_sql(s, "COMMIT", err);
fail:
	exec_sql(s, "ROLLBACK", NULL);
	return r;
}

int vb_store_run_end(struct vb_store *s, int64_t run_id, const char *status, int exit_code,
		     struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s,
			"UPDATE runs SET status = ?, exit_code = ?,"
			" ended_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
			&st, err);
	if (r)
		return r;
	bind_text(st, 1, status);
	sqlite3_bind_int(st, 2, exit_code);
	sqlite3_bind_int64(st, 3, run_id);
	return step_done(s, st, err, "ending the run");
}

int vb_store_add_platform(struct vb_store *s, int64_t run_id, int ord, const char *name,
			  int emulated, const char *spec_json, const char *agent_sha256,
			  int64_t *id, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s,
			"INSERT INTO platforms(run_id, ord, name, emulated, spec, agent_sha256)"
			" VALUES (?, ?, ?, ?, ?, ?)",
			&st, err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, ord);
	bind_text(st, 3, name);
	sqlite3_bind_int(st, 4, emulated);
	bind_text(st, 5, spec_json);
	bind_text(st, 6, agent_sha256);
	r = step_done(s, st, err, "recording a platform");
	if (!r)
		*id = sqlite3_last_insert_rowid(s->db);
	return r;
}

int vb_store_add_workload(struct vb_store *s, int64_t run_id, int ord, const char *name,
			  const char *group, const char *params_json, int64_t *id,
			  struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(
	    s, "INSERT INTO workloads(run_id, ord, name, grp, params) VALUES (?, ?, ?, ?, ?)", &st,
	    err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, ord);
	bind_text(st, 3, name);
	bind_text(st, 4, group);
	bind_text(st, 5, params_json);
	r = step_done(s, st, err, "recording a workload");
	if (!r)
		*id = sqlite3_last_insert_rowid(s->db);
	return r;
}

int vb_store_add_metric(struct vb_store *s, int64_t workload_id, int ord, const char *name,
			const char *unit, bool higher_is_better, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s,
			"INSERT INTO metrics(workload_id, ord, name, unit, higher_is_better)"
			" VALUES (?, ?, ?, ?, ?)",
			&st, err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, workload_id);
	sqlite3_bind_int(st, 2, ord);
	bind_text(st, 3, name);
	bind_text(st, 4, unit);
	sqlite3_bind_int(st, 5, higher_is_better);
	return step_done(s, st, err, "recording a metric");
}

int vb_store_add_sample(struct vb_store *s, const struct vb_sample_record *rec,
			struct vb_error **err)
{
	int r = exec_sql(s, "BEGIN IMMEDIATE", err);
	if (r)
		return r;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_stmt_ sqlite3_stmt *vs = NULL;
	r = prepare(s,
		    "INSERT INTO samples(run_id, platform_id, workload_id, seq, round, warmup, ok,"
		    " error, duration_s, instance, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		    " strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
		    &st, err);
	if (r)
		goto fail;
	sqlite3_bind_int64(st, 1, rec->run_id);
	sqlite3_bind_int64(st, 2, rec->platform_id);
	sqlite3_bind_int64(st, 3, rec->workload_id);
	sqlite3_bind_int(st, 4, rec->seq);
	sqlite3_bind_int(st, 5, rec->round);
	sqlite3_bind_int(st, 6, rec->warmup);
	sqlite3_bind_int(st, 7, rec->ok);
	bind_text(st, 8, rec->error);
	sqlite3_bind_double(st, 9, rec->duration_s);
	sqlite3_bind_int(st, 10, (int)rec->instance);
	r = step_done(s, st, err, "recording a sample");
	if (r)
		goto fail;
	int64_t sid = sqlite3_last_insert_rowid(s->db);
	r = prepare(s, "INSERT INTO sample_values(sample_id, metric, value) VALUES (?, ?, ?)", &vs,
		    err);
	if (r)
		goto fail;
	for (size_t i = 0; i < rec->nvalues; i++) {
		sqlite3_reset(vs);
		sqlite3_bind_int64(vs, 1, sid);
		bind_text(vs, 2, rec->names[i]);
		sqlite3_bind_double(vs, 3, rec->values[i]);
		r = step_done(s, vs, err, "recording a sample value");
		if (r)
			goto fail;
	}
	return exec_sql(s, "COMMIT", err);
fail:
	exec_sql(s, "ROLLBACK", NULL);
	return r;
}

/* Measured values of one cell, in the order they were taken. */
void vb_cell_samples_free(struct vb_cell_samples *c)
{
	free(c->v);
	free(c->ids);
	free(c->inst);
	memset(c, 0, sizeof(*c));
}

int vb_store_cell_samples(struct vb_store *s, int64_t run_id, int64_t pid, int64_t wid,
			  const char *metric, struct vb_cell_samples *c, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r =
	    prepare(s,
		    "SELECT v.value, v.sample_id, s.instance FROM samples s JOIN sample_values v"
		    " ON v.sample_id = s.id WHERE s.run_id = ? AND s.platform_id = ?"
		    " AND s.workload_id = ? AND v.metric = ? AND s.warmup = 0 AND s.ok = 1"
		    " ORDER BY s.seq",
		    &st, err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, pid);
	sqlite3_bind_int64(st, 3, wid);
	bind_text(st, 4, metric);
	size_t cap = 16;
	vb_cell_samples_free(c);
	c->v = xmalloc(cap * sizeof(*c->v));
	c->ids = xmalloc(cap * sizeof(*c->ids));
	c->inst = xmalloc(cap * sizeof(*c->inst));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (c->n == cap) {
			cap *= 2;
			c->v = xrealloc(c->v, cap * sizeof(*c->v));
			c->ids = xrealloc(c->ids, cap * sizeof(*c->ids));
			c->inst = xrealloc(c->inst, cap * sizeof(*c->inst));
		}
		c->v[c->n] = sqlite3_column_double(st, 0);
		c->ids[c->n] = sqlite3_column_int64(st, 1);
		c->inst[c->n] = (unsigned)sqlite3_column_int(st, 2);
		c->n++;
	}
	return 0;
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

int vb_store_begin(struct vb_store *s, struct vb_error **err)
{
	return exec_sql(s, "BEGIN IMMEDIATE", err);
}

int vb_store_commit(struct vb_store *s, struct vb_error **err)
{
	return exec_sql(s, "COMMIT", err);
}

void vb_store_rollback(struct vb_store *s)
{
	exec_sql(s, "ROLLBACK", NULL);
}

void vb_store_cells_free(struct vb_store_cell *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].platform);
		free(c[i].metric);
	}
	free(c);
}

int vb_store_cells(struct vb_store *s, int64_t run_id, struct vb_store_cell **out, size_t *n,
		   struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	int r = prepare(
	    s,
	    "SELECT p.id, p.name, w.id, m.name, m.higher_is_better FROM platforms p"
	    " JOIN workloads w ON w.run_id = p.run_id JOIN metrics m ON m.workload_id = w.id"
	    " WHERE p.run_id = ? ORDER BY p.ord, w.ord, m.ord",
	    &st, err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	size_t cap = 16;
	struct vb_store_cell *c = xcalloc(cap, sizeof(*c));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap *= 2;
			c = xrealloc(c, cap * sizeof(*c));
		}
		c[*n] = (struct vb_store_cell){
			.platform_id = sqlite3_column_int64(st, 0),
			.platform = xstrdup((const char *)sqlite3_column_text(st, 1)),
			.workload_id = sqlite3_column_int64(st, 2),
			.metric = xstrdup((const char *)sqlite3_column_text(st, 3)),
			.higher_is_better = sqlite3_column_int(st, 4),
		};
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		vb_store_cells_free(c, *n);
		*n = 0;
		return db_error(s, rc, err, "loading cells");
	}
	*out = c;
	return 0;
}

int64_t vb_store_platform_id(struct vb_store *s, int64_t run_id, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (!name ||
	    sqlite3_prepare_v2(s->db, "SELECT id FROM platforms WHERE run_id = ? AND name = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, name);
	return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
}

int vb_store_flag_outliers(struct vb_store *s, const char *metric, const int64_t *ids,
			   const bool *flags, size_t n, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(
	    s, "UPDATE sample_values SET outlier = ? WHERE sample_id = ? AND metric = ?", &st, err);
	for (size_t i = 0; i < n && !r; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, flags[i]);
		sqlite3_bind_int64(st, 2, ids[i]);
		bind_text(st, 3, metric);
		r = step_done(s, st, err, "flagging outliers");
	}
	return r;
}

int vb_store_put_summary(struct vb_store *s, const struct vb_summary_record *x,
			 struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *ins = NULL;
	int r = prepare(s,
			"INSERT OR REPLACE INTO summaries(run_id, platform_id, workload_id, metric,"
			" n, mean, median, stdev, min, max, ci_low, ci_high, ratio, ratio_low,"
			" ratio_high, verdict, outliers, instances, var_within, var_between)"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			&ins, err);
	if (r)
		return r;
	sqlite3_bind_int64(ins, 1, x->run_id);
	sqlite3_bind_int64(ins, 2, x->platform_id);
	sqlite3_bind_int64(ins, 3, x->workload_id);
	bind_text(ins, 4, x->metric);
	sqlite3_bind_int64(ins, 5, (sqlite3_int64)x->s.n);
	bind_real(ins, 6, x->s.mean);
	bind_real(ins, 7, x->s.median);
	bind_real(ins, 8, x->s.stdev);
	bind_real(ins, 9, x->s.min);
	bind_real(ins, 10, x->s.max);
	bind_real(ins, 11, x->s.ci_low);
	bind_real(ins, 12, x->s.ci_high);
	bind_real(ins, 13, x->ratio.ratio);
	bind_real(ins, 14, x->ratio.low);
	bind_real(ins, 15, x->ratio.high);
	bind_text(ins, 16, vb_verdict_name(x->verdict));
	sqlite3_bind_int64(ins, 17, (sqlite3_int64)x->outliers);
	sqlite3_bind_int64(ins, 18, (sqlite3_int64)(x->instances ? x->instances : 1));
	bind_real(ins, 19, x->var_within);
	bind_real(ins, 20, x->var_between);
	return step_done(s, ins, err, "recording a summary");
}

/*
 * A text column for display: what a guest or another writer of the
 * database put there may hold escape sequences, so it is cleaned here, for
 * show, report and diff alike.
 */
static char *col_str(sqlite3_stmt *st, int i)
{
	return vb_text_clean((const char *)sqlite3_column_text(st, i));
}

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* A variance as stored: a number, finite and not negative; else unknown (a doctored store). */
static double col_variance(sqlite3_stmt *st, int i)
{
	int t = sqlite3_column_type(st, i);
	double v = t == SQLITE_FLOAT || t == SQLITE_INTEGER ? sqlite3_column_double(st, i) : NAN;
	return isfinite(v) && v >= 0 ? v : NAN;
}

#define RUN_COLUMNS                                                                                \
	"SELECT r.id, r.tag, r.experiment, r.command, r.status, r.started_at, r.ended_at,"         \
	" r.version, r.profile, r.exit_code,"                                                      \
	" (SELECT count(*) FROM samples s WHERE s.run_id = r.id AND s.warmup = 0 AND s.ok = 1),"   \
	" (SELECT count(*) FROM samples s WHERE s.run_id = r.id AND s.ok = 0) FROM runs r "

static void fill_run(sqlite3_stmt *st, struct vb_run_info *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->tag = col_str(st, 1);
	r->experiment = col_str(st, 2);
	r->command = col_str(st, 3);
	r->status = col_str(st, 4);
	r->started_at = col_str(st, 5);
	r->ended_at = col_str(st, 6);
	r->version = col_str(st, 7);
	r->profile = col_str(st, 8);
	r->exit_code = sqlite3_column_int(st, 9);
	r->nsamples = sqlite3_column_int64(st, 10);
	r->nfailed = sqlite3_column_int64(st, 11);
}

void vb_run_info_release(struct vb_run_info *r)
{
	free(r->tag);
	free(r->experiment);
	free(r->command);
	free(r->status);
	free(r->started_at);
	free(r->ended_at);
	free(r->version);
	free(r->profile);
	memset(r, 0, sizeof(*r));
}

int vb_store_find_run(struct vb_store *s, const char *ref, struct vb_run_info *out,
		      struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	uint64_t num;
	int r;
	if (!strcmp(ref, "last")) {
		r = prepare(s, RUN_COLUMNS "ORDER BY r.id DESC LIMIT 1", &st, err);
	} else if (!vb_parse_u64(ref, &num)) {
		/* A number, or a tag of only digits: the number wins. */
		r = prepare(s,
			    RUN_COLUMNS "WHERE r.id = ?1 OR r.tag = 'vb-' || ?2"
					" ORDER BY r.id = ?1 DESC LIMIT 1",
			    &st, err);
		if (!r) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)(num > INT64_MAX ? 0 : num));
			bind_text(st, 2, ref);
		}
	} else {
		r = prepare(s, RUN_COLUMNS "WHERE r.tag = ? OR r.tag = 'vb-' || ?", &st, err);
		if (!r) {
			bind_text(st, 1, ref);
			bind_text(st, 2, ref);
		}
	}
	if (r)
		return r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		fill_run(st, out);
		return 0;
	}
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "looking up a run");
	return vb_error_exit(err, -ENOENT, VB_EXIT_USAGE, "no run \"%.64s\" in %s", ref, s->path);
}

int vb_store_list_runs(struct vb_store *s, void (*cb)(const struct vb_run_info *r, void *data),
		       void *data, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, RUN_COLUMNS "ORDER BY r.id DESC", &st, err);
	if (r)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vb_run_info info;
		fill_run(st, &info);
		cb(&info, data);
		vb_run_info_release(&info);
	}
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, err, "listing runs");
}

void vb_result_rows_free(struct vb_result_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].platform);
		free(rows[i].workload);
		free(rows[i].group);
		free(rows[i].metric);
		free(rows[i].unit);
	}
	free(rows);
}

int vb_store_load_rows(struct vb_store *s, int64_t run_id, struct vb_result_row **rows, size_t *n,
		       struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s,
			"SELECT p.name, p.emulated, w.name, m.name, m.unit, m.higher_is_better,"
			" x.n, x.mean, x.median, x.stdev, x.min, x.max, x.ci_low, x.ci_high,"
			" x.ratio, x.ratio_low, x.ratio_high, x.verdict, x.outliers, w.grp,"
			" x.instances, x.var_within, x.var_between"
			" FROM summaries x JOIN platforms p ON p.id = x.platform_id"
			" JOIN workloads w ON w.id = x.workload_id"
			" JOIN metrics m ON m.workload_id = w.id AND m.name = x.metric"
			" WHERE x.run_id = ? ORDER BY w.ord, m.ord, p.ord",
			&st, err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	size_t cap = 16, k = 0;
	struct vb_result_row *out = xcalloc(cap, sizeof(*out));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap *= 2;
			out = xrealloc(out, cap * sizeof(*out));
		}
		struct vb_result_row *row = &out[k++];
		memset(row, 0, sizeof(*row));
		row->platform = col_str(st, 0);
		row->emulated = sqlite3_column_int(st, 1);
		row->workload = col_str(st, 2);
		row->metric = col_str(st, 3);
		row->unit = col_str(st, 4);
		row->higher_is_better = sqlite3_column_int(st, 5);
		row->s.n = (size_t)sqlite3_column_int64(st, 6);
		row->s.mean = col_real(st, 7);
		row->s.median = col_real(st, 8);
		row->s.stdev = col_real(st, 9);
		row->s.min = col_real(st, 10);
		row->s.max = col_real(st, 11);
		row->s.ci_low = col_real(st, 12);
		row->s.ci_high = col_real(st, 13);
		row->ratio.ratio = col_real(st, 14);
		row->ratio.low = col_real(st, 15);
		row->ratio.high = col_real(st, 16);
		row->has_ratio = isfinite(row->ratio.ratio);
		const char *v = (const char *)sqlite3_column_text(st, 17);
		row->verdict = vb_verdict_parse(v);
		row->outliers = (unsigned)sqlite3_column_int(st, 18);
		row->group = col_str(st, 19);
		/* A count the store never writes (below 1, or past an int) reads as 1. */
		sqlite3_int64 ninst = sqlite3_column_int64(st, 20);
		row->instances = ninst >= 1 && ninst <= INT_MAX ? (unsigned)ninst : 1;
		row->var_within = col_variance(st, 21);
		row->var_between = col_variance(st, 22);
		double half = (row->s.ci_high - row->s.ci_low) / 2;
		row->s.ci_rel =
		    (row->s.mean != 0 && isfinite(half)) ? half / fabs(row->s.mean) : INFINITY;
	}
	if (rc != SQLITE_DONE) {
		vb_result_rows_free(out, k);
		return db_error(s, rc, err, "loading summaries");
	}
	*rows = out;
	*n = k;
	return 0;
}

int vb_store_host_json(struct vb_store *s, int64_t run_id, char **out, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "SELECT fingerprint FROM hosts WHERE run_id = ?", &st, err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return vb_error_set(err, -ENOENT, "run %lld has no host record", (long long)run_id);
	/* Our own fingerprint, written by jansson: JSON escapes every control character. */
	const unsigned char *t = sqlite3_column_text(st, 0);
	*out = xstrdup(t ? (const char *)t : "null");
	return 0;
}

int vb_store_add_feature(struct vb_store *s, int64_t run_id, const struct vb_feature_row *f,
			 struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s,
			"INSERT INTO features(run_id, platform, feature, value, how, detail)"
			" VALUES (?, ?, ?, ?, ?, ?)",
			&st, err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, f->platform);
	bind_text(st, 3, f->feature);
	bind_text(st, 4, f->value);
	bind_text(st, 5, f->how);
	bind_text(st, 6, f->detail);
	return step_done(s, st, err, "recording a feature");
}

void vb_feature_rows_free(struct vb_feature_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].platform);
		free(rows[i].feature);
		free(rows[i].value);
		free(rows[i].how);
		free(rows[i].detail);
	}
	free(rows);
}

int vb_store_load_features(struct vb_store *s, int64_t run_id, struct vb_feature_row **rows,
			   size_t *n, struct vb_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	*rows = NULL;
	*n = 0;
	int r = prepare(s,
			"SELECT platform, feature, value, how, detail FROM features"
			" WHERE run_id = ? ORDER BY rowid",
			&st, err);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	size_t cap = 0, k = 0;
	struct vb_feature_row *out = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			out = xrealloc(out, cap * sizeof(*out));
		}
		struct vb_feature_row *f = &out[k++];
		f->platform = col_str(st, 0);
		f->feature = col_str(st, 1);
		f->value = col_str(st, 2);
		f->how = col_str(st, 3);
		f->detail = col_str(st, 4);
	}
	if (rc != SQLITE_DONE) {
		vb_feature_rows_free(out, k);
		return db_error(s, rc, err, "loading features");
	}
	*rows = out;
	*n = k;
	return 0;
}
