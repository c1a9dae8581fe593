/* SPDX-License-Identifier: MIT */
/*
 * mw.docstore's client (study §4.8.1, figs. 4.19-4.21): the study's MongoDB
 * workload on a document store on PostgreSQL JSONB (MongoDB is neither in
 * Debian nor obtainable here). Observations are documents in a jsonb
 * column with a key index; THREADS threads, each on its own connection,
 * run three phases over them: insert every document (one statement each,
 * as single-document inserts), find each by its key, and set one field in
 * each. Every found document must equal the inserted one (as JSON), every
 * set must touch one document, and afterwards every document carries it.
 *
 *   virtbench-mw docstore --port P [--host ADDR] --documents N --threads T
 *                         --seed S [--timeout S]
 *
 * Prints insert_s, insert_rate, find_s, find_rate, set_s and set_rate.
 */
#include <getopt.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "workload/mw/clients.h"
#include "workload/mw/mw.h"

enum phase { INSERT, FIND, SET, NPHASES };
static const char *const phase_names[] = { "insert", "find", "set" };
static const char *const statements[] = {
	"INSERT INTO vb_observations (key, doc) VALUES ($1, $2::jsonb)",
	"SELECT doc FROM vb_observations WHERE key = $1",
	"UPDATE vb_observations SET doc = jsonb_set(doc, '{processed}', 'true') WHERE key = $1",
};

struct store {
	const char *host;
	char port[24], timeout[24];
	uint64_t documents, threads, seed;
	struct vb_mw_phased ph;
	struct vb_mw_fault f;
};

struct worker {
	struct store *s;
	unsigned id;
	uint64_t first, count;
};

static PGconn *connect_db(struct store *s, const char *who)
{
	return vb_mw_pg_connect(&s->f, s->host, s->port, s->timeout, who);
}

static bool same_document(const char *stored, const char *want)
{
	json_t *a = json_loads(stored, 0, NULL), *b = json_loads(want, 0, NULL);
	bool same = a && b && json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

static bool one(struct worker *w, PGconn *c, enum phase p, uint64_t i)
{
	struct store *s = w->s;
	char key[48], doc[VB_OBS_MAX];
	vb_obs_key(s->seed, i, key);
	vb_obs_json(s->seed, i, doc);
	const char *params[] = { key, doc };
	PGresult *res =
	    PQexecPrepared(c, phase_names[p], p == INSERT ? 2 : 1, params, NULL, NULL, 0);
	bool ok = false;
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
		ok = p != FIND && !strcmp(PQcmdTuples(res), "1");
		if (!ok)
			vb_mw_fault_set(&s->f, "thread %u: %s of %s touched %s documents, not 1",
					w->id, phase_names[p], key, PQcmdTuples(res));
		break;
	case PGRES_TUPLES_OK:
		ok = p == FIND && PQntuples(res) == 1 && same_document(PQgetvalue(res, 0, 0), doc);
		if (!ok)
			vb_mw_fault_set(&s->f, "thread %u: find %s: %s", w->id, key,
					PQntuples(res) == 1
					    ? "the document differs from the one inserted"
					    : "no such document");
		break;
	default:
		vb_mw_fault_set(&s->f, "thread %u: %s of %s: %s", w->id, phase_names[p], key,
				PQerrorMessage(c));
		break;
	}
	PQclear(res);
	return ok;
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct store *s = w->s;
	char who[32];
	snprintf(who, sizeof(who), "thread %u", w->id);
	PGconn *c = connect_db(s, who);
	for (int p = 0; c && p < NPHASES; p++) {
		PGresult *res = PQprepare(c, phase_names[p], statements[p], 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			vb_mw_fault_set(&s->f, "%s: preparing %s: %s", who, phase_names[p],
					PQerrorMessage(c));
		PQclear(res);
	}
	/* Each phase starts when every thread is ready and ends when the last is done. */
	for (int p = 0; p < NPHASES; p++) {
		vb_mw_phase_begin(&s->ph);
		for (uint64_t i = w->first; c && i < w->first + w->count && !s->f.failed; i++)
			if (!one(w, c, (enum phase)p, i))
				break;
		vb_mw_phase_end(&s->ph);
	}
	PQfinish(c);
	return NULL;
}

int vb_mw_docstore(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "documents", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ 0 },
	};
	struct store s = { .host = "127.0.0.1", .documents = 12000, .threads = 4, .seed = 1 };
	uint64_t port = 0, timeout = 60;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (opt) {
		case 'H':
			s.host = optarg;
			break;
		case 'p':
			port = vb_mw_num("--port", optarg, 1, 65535);
			break;
		case 'n':
			s.documents = vb_mw_num("--documents", optarg, 1, 100000000);
			break;
		case 't':
			s.threads = vb_mw_num("--threads", optarg, 1, 256);
			break;
		case 's':
			s.seed = vb_mw_num("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'T':
			timeout = vb_mw_num("--timeout", optarg, 1, 86400);
			break;
		default:
			return 2;
		}
	}
	if (!port || optind != argc) {
		fprintf(stderr, "error: docstore: --port is required, and nothing else\n");
		return 2;
	}
	snprintf(s.port, sizeof(s.port), "%llu", (unsigned long long)port);
	snprintf(s.timeout, sizeof(s.timeout), "%llu", (unsigned long long)timeout);
	vb_mw_fault_init(&s.f);
	PGconn *c = connect_db(&s, "setup");
	if (!c ||
	    !vb_mw_pg_exec(&s.f, c, "DROP TABLE IF EXISTS vb_observations", PGRES_COMMAND_OK,
			   NULL) ||
	    !vb_mw_pg_exec(
		&s.f, c, "CREATE TABLE vb_observations (key text PRIMARY KEY, doc jsonb NOT NULL)",
		PGRES_COMMAND_OK, NULL)) {
		PQfinish(c);
		return vb_mw_fault_exit(&s.f);
	}
	struct worker *w = calloc(s.threads, sizeof(*w));
	if (!w)
		abort();
	for (uint64_t i = 0; i < s.threads; i++) {
		w[i] = (struct worker){ .s = &s, .id = (unsigned)i + 1 };
		vb_mw_share(s.documents, s.threads, i, &w[i].first, &w[i].count);
	}
	double secs[NPHASES];
	vb_mw_phased_run(&s.ph, s.threads, worker, w, sizeof(*w), NPHASES, secs);
	free(w);
	if (!s.f.failed) {
		PGresult *res = PQexec(c, "SELECT count(*) FROM vb_observations "
					  "WHERE doc->'processed' = 'true'::jsonb");
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			vb_mw_fault_set(&s.f, "counting the documents: %s", PQerrorMessage(c));
		else if (strtoull(PQgetvalue(res, 0, 0), NULL, 10) != s.documents)
			vb_mw_fault_set(&s.f, "%s documents carry the field set, not %llu",
					PQgetvalue(res, 0, 0), (unsigned long long)s.documents);
		PQclear(res);
	}
	if (!s.f.failed)
		vb_mw_pg_exec(&s.f, c, "DROP TABLE vb_observations", PGRES_COMMAND_OK, NULL);
	PQfinish(c);
	if (s.f.failed)
		return vb_mw_fault_exit(&s.f);
	for (int p = 0; p < NPHASES; p++)
		printf("%s_s %.6f\n%s_rate %.3f\n", phase_names[p], secs[p], phase_names[p],
		       (double)s.documents / secs[p]);
	return 0;
}
