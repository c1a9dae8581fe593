/* SPDX-License-Identifier: MIT */
/*
 * mw.worker's client (study §4.8.4, fig. 4.26): the Intelligent
 * River's observation worker. N observations are published to the input
 * queue first (not timed); then one worker consumes each, stores the raw
 * and the processed document in the document store, annotates the
 * observation as RDF and stores its graph in the triplestore, publishes the
 * processed observation to an exchange and acks. drain_s runs from the
 * first delivery's wait to the last confirm. Afterwards the document store
 * must hold N raw and N processed documents, the triplestore N
 * observations' graphs, the processed queue N messages and the input queue
 * none, or the sample fails.
 *
 *   virtbench-mw worker --broker-port P --store-port P --triplestore-port P
 *                       [--host ADDR] --observations N --seed S
 *                       [--prefetch N] [--timeout S]
 *                       [--role all|fill|check|work] [--wait S]
 *
 * Prints drain_s and drain_rate. The roles split it over two guests
 * (mw.worker layout=split): fill sets up and publishes; check waits until
 * a worker has come (--wait S at most) and gone, and checks the counts;
 * work makes sure the input queue holds all N (--wait S at most), then
 * drains it and prints the figures. all (the default) does it all here.
 */
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "workload/mw/clients.h"
#include "workload/mw/mw.h"

#define IN_QUEUE "vb-observations"
#define OUT_EXCHANGE "vb-processed"
#define OUT_QUEUE "vb-processed"
#define GRAPH "http://intelligentriver.org/graph/"
#define WINDOW 1000

enum role { ROLE_ALL, ROLE_FILL, ROLE_CHECK, ROLE_WORK };

struct job {
	const char *host;
	enum role role;
	long wait_s;
	int broker_port, triple_port;
	char store_port[24], timeout[24];
	uint64_t observations, seed, prefetch;
	long timeout_s;
	struct vb_mw_fault f;
};

/* Queues, exchange and tables made anew; the observations published, confirmed. */
static bool setup(struct job *j, PGconn *db)
{
	if (!vb_mw_pg_exec(&j->f, db, "DROP TABLE IF EXISTS vb_raw, vb_processed", PGRES_COMMAND_OK,
			   "setup") ||
	    !vb_mw_pg_exec(&j->f, db,
			   "CREATE TABLE vb_raw (key text PRIMARY KEY, doc jsonb NOT NULL)",
			   PGRES_COMMAND_OK, "setup") ||
	    !vb_mw_pg_exec(&j->f, db,
			   "CREATE TABLE vb_processed (key text PRIMARY KEY, doc jsonb NOT NULL)",
			   PGRES_COMMAND_OK, "setup"))
		return false;
	amqp_connection_state_t c =
	    vb_mw_amqp_open(&j->f, j->host, j->broker_port, (double)j->timeout_s, "setup");
	if (!c)
		return false;
	amqp_queue_declare(c, VB_MW_CHANNEL, amqp_cstring_bytes(IN_QUEUE), 0, 0, 0, 0,
			   amqp_empty_table);
	bool ok = vb_mw_amqp_ok(&j->f, c, "setup: declaring the input queue");
	if (ok) {
		amqp_queue_purge(c, VB_MW_CHANNEL, amqp_cstring_bytes(IN_QUEUE));
		ok = vb_mw_amqp_ok(&j->f, c, "setup: purging the input queue");
	}
	if (ok) {
		amqp_exchange_declare(c, VB_MW_CHANNEL, amqp_cstring_bytes(OUT_EXCHANGE),
				      amqp_cstring_bytes("fanout"), 0, 0, 0, 0, amqp_empty_table);
		ok = vb_mw_amqp_ok(&j->f, c, "setup: declaring the exchange");
	}
	if (ok) {
		amqp_queue_declare(c, VB_MW_CHANNEL, amqp_cstring_bytes(OUT_QUEUE), 0, 0, 0, 0,
				   amqp_empty_table);
		ok = vb_mw_amqp_ok(&j->f, c, "setup: declaring the processed queue");
	}
	if (ok) {
		amqp_queue_bind(c, VB_MW_CHANNEL, amqp_cstring_bytes(OUT_QUEUE),
				amqp_cstring_bytes(OUT_EXCHANGE), amqp_empty_bytes,
				amqp_empty_table);
		amqp_queue_purge(c, VB_MW_CHANNEL, amqp_cstring_bytes(OUT_QUEUE));
		ok = vb_mw_amqp_ok(&j->f, c, "setup: binding the processed queue");
	}
	if (ok) {
		amqp_confirm_select(c, VB_MW_CHANNEL);
		ok = vb_mw_amqp_ok(&j->f, c, "setup: confirm mode");
	}
	struct vb_mw_confirms cf;
	vb_mw_confirms_init(&cf, j->observations);
	char body[VB_OBS_MAX];
	amqp_basic_properties_t props = { ._flags = AMQP_BASIC_CONTENT_TYPE_FLAG,
					  .content_type = amqp_cstring_bytes("application/json") };
	for (uint64_t i = 0; ok && i < j->observations; i++) {
		size_t n = vb_obs_json(j->seed, i, body);
		int r = amqp_basic_publish(c, VB_MW_CHANNEL, amqp_empty_bytes,
					   amqp_cstring_bytes(IN_QUEUE), 0, 0, &props,
					   (amqp_bytes_t){ n, body });
		if (r != AMQP_STATUS_OK) {
			vb_mw_fault_set(&j->f, "setup: publishing observation %llu: %s",
					(unsigned long long)i, vb_mw_amqp_status(r));
			ok = false;
		}
		cf.sent += ok;
		ok = ok && vb_mw_amqp_confirms(&j->f, c, &cf, WINDOW, j->timeout_s, "setup");
	}
	ok = ok && vb_mw_amqp_confirms(&j->f, c, &cf, 0, j->timeout_s, "setup");
	vb_mw_confirms_release(&cf);
	vb_mw_amqp_close(c);
	return ok;
}

/* The observation the message carries: its index, and its bytes checked. */
static bool identify(struct job *j, const amqp_bytes_t *b, uint64_t *index)
{
	json_t *o = json_loadb(b->bytes, b->len, 0, NULL);
	const char *key = json_string_value(json_object_get(o, "key"));
	char prefix[40];
	snprintf(prefix, sizeof(prefix), "obs-%llu-", (unsigned long long)j->seed);
	bool ok = key && !strncmp(key, prefix, strlen(prefix));
	char *end = NULL;
	if (ok) {
		*index = strtoull(key + strlen(prefix), &end, 10);
		ok = *end == '\0' && *index < j->observations;
	}
	char want[VB_OBS_MAX];
	if (ok) {
		size_t n = vb_obs_json(j->seed, *index, want);
		ok = n == b->len && !memcmp(want, b->bytes, n);
	}
	if (!ok)
		vb_mw_fault_set(&j->f, "worker: a message that is none of ours: %.80s",
				key ? key : "(no key)");
	json_decref(o);
	return ok;
}

/* The processed document: the observation with what the worker found. */
static char *processed(const amqp_bytes_t *b)
{
	json_t *o = json_loadb(b->bytes, b->len, 0, NULL);
	json_object_set_new(
	    o, "processed",
	    json_pack("{s:s, s:s}", "by", "virtbench-mw worker", "quality", "in-range"));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		abort();
	return text;
}

struct worker {
	struct job *j;
	amqp_connection_state_t in, out;
	PGconn *db;
	struct vb_mw_http h;
	struct curl_slist *nt;
	struct vb_mw_confirms cf; /* of the processed observations published */
	_Atomic uint64_t retries; /* graph stores the store had us repeat (deadlocks) */
};

static bool store_doc(struct worker *w, const char *stmt, const char *key, const char *doc)
{
	const char *params[] = { key, doc };
	PGresult *res = PQexecPrepared(w->db, stmt, 2, params, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK && !strcmp(PQcmdTuples(res), "1");
	if (!ok)
		vb_mw_fault_set(&w->j->f, "worker: storing the %s document of %s: %s", stmt, key,
				PQerrorMessage(w->db));
	PQclear(res);
	return ok;
}

static bool handle(struct worker *w, const amqp_envelope_t *env)
{
	struct job *j = w->j;
	uint64_t i;
	if (!identify(j, &env->message.body, &i))
		return false;
	struct vb_obs o;
	vb_obs_make(j->seed, i, &o);
	char *raw = strndup(env->message.body.bytes, env->message.body.len);
	char *doc = processed(&env->message.body);
	if (!raw)
		abort();
	bool ok = store_doc(w, "raw", o.key, raw) && store_doc(w, "processed", o.key, doc);
	char nt[VB_OBS_NT_MAX], url[512], line[240], who[96];
	size_t n = vb_obs_ntriples(&o, nt, sizeof(nt));
	snprintf(url, sizeof(url), "http://%s:%d/sparql-graph-crud-auth?graph-uri=" GRAPH "%s",
		 j->host, j->triple_port, o.key);
	snprintf(who, sizeof(who), "worker: storing the graph of %s", o.key);
	long code =
	    ok ? vb_mw_http_put_graph(&j->f, &w->h, url, nt, n, w->nt, &w->retries, who) : 0;
	if (ok && code && (code < 200 || code > 204))
		vb_mw_fault_set(&j->f, "%s: HTTP %ld: %s", who, code,
				vb_mw_http_first_line(&w->h, line, sizeof(line)));
	ok = ok && code >= 200 && code <= 204;
	if (ok) {
		amqp_basic_properties_t props = { ._flags = AMQP_BASIC_CONTENT_TYPE_FLAG,
						  .content_type =
						      amqp_cstring_bytes("application/json") };
		int r = amqp_basic_publish(w->out, VB_MW_CHANNEL, amqp_cstring_bytes(OUT_EXCHANGE),
					   amqp_empty_bytes, 0, 0, &props, amqp_cstring_bytes(doc));
		if (r != AMQP_STATUS_OK)
			vb_mw_fault_set(&j->f, "worker: publishing %s processed: %s", o.key,
					vb_mw_amqp_status(r));
		ok = r == AMQP_STATUS_OK;
		w->cf.sent += ok;
	}
	if (ok) {
		int r = amqp_basic_ack(w->in, VB_MW_CHANNEL, env->delivery_tag, 0);
		if (r != AMQP_STATUS_OK)
			vb_mw_fault_set(&j->f, "worker: acking %s: %s", o.key,
					vb_mw_amqp_status(r));
		ok = r == AMQP_STATUS_OK;
	}
	free(raw);
	free(doc);
	/* Confirms of the processed observations: those that arrived, or the window's. */
	return ok && vb_mw_amqp_confirms(&j->f, w->out, &w->cf, WINDOW, j->timeout_s, "worker");
}

static bool open_worker(struct worker *w, struct job *j)
{
	*w = (struct worker){ .j = j };
	vb_mw_confirms_init(&w->cf, j->observations);
	w->db = vb_mw_pg_connect(&j->f, j->host, j->store_port, j->timeout, "worker");
	for (int k = 0; w->db && k < 2; k++) {
		static const char *const names[] = { "raw", "processed" };
		static const char *const stmts[] = {
			"INSERT INTO vb_raw (key, doc) VALUES ($1, $2::jsonb)",
			"INSERT INTO vb_processed (key, doc) VALUES ($1, $2::jsonb)",
		};
		PGresult *res = PQprepare(w->db, names[k], stmts[k], 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			vb_mw_fault_set(&j->f, "worker: preparing %s: %s", names[k],
					PQerrorMessage(w->db));
		PQclear(res);
	}
	w->in = vb_mw_amqp_open(&j->f, j->host, j->broker_port, (double)j->timeout_s, "worker");
	w->out = vb_mw_amqp_open(&j->f, j->host, j->broker_port, (double)j->timeout_s, "worker");
	if (w->in) {
		amqp_basic_qos(w->in, VB_MW_CHANNEL, 0, (uint16_t)j->prefetch, 0);
		vb_mw_amqp_ok(&j->f, w->in, "worker: basic.qos");
	}
	if (w->out) {
		amqp_confirm_select(w->out, VB_MW_CHANNEL);
		vb_mw_amqp_ok(&j->f, w->out, "worker: confirm mode");
	}
	/* Virtuoso's administrator, with the job's password, on a database made for this job. */
	vb_mw_http_init(&w->h, vb_mw_dba(), j->timeout_s);
	w->nt = curl_slist_append(NULL, "Content-Type: application/n-triples");
	return !j->f.failed;
}

static void close_worker(struct worker *w)
{
	vb_mw_amqp_close(w->in);
	vb_mw_amqp_close(w->out);
	PQfinish(w->db);
	vb_mw_http_release(&w->h);
	curl_slist_free_all(w->nt);
	vb_mw_confirms_release(&w->cf);
}

/* A count the stores and the broker hold; -1 with the failure set. */
static long long db_count(struct job *j, PGconn *db, const char *table)
{
	char q[96];
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s", table);
	PGresult *res = PQexec(db, q);
	long long n = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		vb_mw_fault_set(&j->f, "counting %s: %s", table, PQerrorMessage(db));
	PQclear(res);
	return n;
}

static long long queue_count(struct job *j, const char *queue)
{
	amqp_connection_state_t c =
	    vb_mw_amqp_open(&j->f, j->host, j->broker_port, (double)j->timeout_s, "counting");
	if (!c)
		return -1;
	amqp_queue_declare_ok_t *ok = amqp_queue_declare(
	    c, VB_MW_CHANNEL, amqp_cstring_bytes(queue), 1, 0, 0, 0, amqp_empty_table);
	long long n =
	    vb_mw_amqp_ok(&j->f, c, "counting a queue") && ok ? (long long)ok->message_count : -1;
	vb_mw_amqp_close(c);
	return n;
}

static long long graph_count(struct job *j)
{
	static const char query[] =
	    "SELECT%20(COUNT(DISTINCT%20%3Fg)%20AS%20%3Fn)%20WHERE%20%7B%20GRAPH%20%3Fg%20%7B%20"
	    "%3Fo%20a%20%3Chttp%3A%2F%2Fwww.w3.org%2Fns%2Fsosa%2FObservation%3E%20%7D%20"
	    "FILTER(STRSTARTS(STR(%3Fg)%2C%20%22"
	    "http%3A%2F%2Fintelligentriver.org%2Fgraph%2F"
	    "%22))%20%7D";
	struct vb_mw_http h;
	vb_mw_http_init(&h, NULL, j->timeout_s);
	struct curl_slist *csv = curl_slist_append(NULL, "Accept: text/csv");
	char url[1024];
	snprintf(url, sizeof(url), "http://%s:%d/sparql?query=%s", j->host, j->triple_port, query);
	long code = vb_mw_http_request(&j->f, &h, url, NULL, NULL, 0, csv, "counting the graphs");
	long long n = -1;
	const char *nl = h.body ? strchr(h.body, '\n') : NULL;
	char *end = NULL;
	if (code == 200 && nl)
		n = strtoll(nl + 1, &end, 10);
	if (code && (code != 200 || !nl || end == nl + 1)) {
		char line[240];
		vb_mw_fault_set(&j->f, "counting the graphs: HTTP %ld: %s", code,
				vb_mw_http_first_line(&h, line, sizeof(line)));
		n = -1;
	}
	curl_slist_free_all(csv);
	vb_mw_http_release(&h);
	return n;
}

static void nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

/*
 * The input queue's ready messages and consumers (passive queue.declare)
 * on *c, opened when NULL; false with *c closed when the broker says no
 * (no such queue yet: the caller may try again).
 */
static bool queue_state(struct job *j, amqp_connection_state_t *c, uint64_t *messages,
			uint64_t *consumers, struct vb_mw_fault *f)
{
	if (!*c)
		*c = vb_mw_amqp_open(f, j->host, j->broker_port, (double)j->timeout_s, "waiting");
	if (!*c)
		return false;
	amqp_queue_declare_ok_t *ok = amqp_queue_declare(
	    *c, VB_MW_CHANNEL, amqp_cstring_bytes(IN_QUEUE), 1, 0, 0, 0, amqp_empty_table);
	if (!vb_mw_amqp_ok(f, *c, "waiting: the input queue") || !ok) {
		vb_mw_amqp_close(*c);
		*c = NULL;
		return false;
	}
	*messages = ok->message_count;
	*consumers = ok->consumer_count;
	return true;
}

/* work: until the input queue holds all N (published by the pair's fill). */
static bool wait_for_observations(struct job *j)
{
	double end = vb_mw_now() + (double)j->wait_s;
	amqp_connection_state_t c = NULL;
	uint64_t messages = 0, consumers = 0;
	char last[512] = "";
	for (;;) {
		struct vb_mw_fault quiet;
		vb_mw_fault_init(&quiet);
		if (queue_state(j, &c, &messages, &consumers, &quiet) &&
		    messages >= j->observations)
			break;
		if (quiet.failed)
			snprintf(last, sizeof(last), "%s", quiet.error);
		if (vb_mw_now() > end) {
			vb_mw_fault_set(&j->f,
					"worker: the pair's input queue did not fill within %ld s "
					"(%llu of %llu observations%s%s)",
					j->wait_s, (unsigned long long)messages,
					(unsigned long long)j->observations, last[0] ? "; " : "",
					last);
			vb_mw_amqp_close(c);
			return false;
		}
		nap(0.25);
	}
	vb_mw_amqp_close(c);
	if (messages > j->observations)
		vb_mw_fault_set(&j->f, "worker: the input queue holds %llu observations, not %llu",
				(unsigned long long)messages, (unsigned long long)j->observations);
	return !j->f.failed;
}

/*
 * The worker's marks on the broker: "vb-worker-came", a plain queue it
 * declares as it starts, and "vb-worker-alive", an exclusive one the broker
 * deletes when the worker's connection closes, however the worker ends.
 */
#define CAME_QUEUE "vb-worker-came"
#define ALIVE_QUEUE "vb-worker-alive"

/*
 * Does the queue exist: 1, 0, or -1 with the failure set. A passive
 * declare of another connection's exclusive queue is refused with 405
 * (RESOURCE_LOCKED): it exists; 404 (NOT_FOUND): it does not.
 */
static int queue_exists(struct job *j, const char *queue)
{
	amqp_connection_state_t c =
	    vb_mw_amqp_open(&j->f, j->host, j->broker_port, (double)j->timeout_s, "checking");
	if (!c)
		return -1;
	amqp_queue_declare(c, VB_MW_CHANNEL, amqp_cstring_bytes(queue), 1, 0, 0, 0,
			   amqp_empty_table);
	amqp_rpc_reply_t rep = amqp_get_rpc_reply(c);
	int code = rep.reply_type == AMQP_RESPONSE_NORMAL ? 200 : 0;
	if (rep.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
	    rep.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
		code = ((amqp_channel_close_t *)rep.reply.decoded)->reply_code;
	char text[256];
	vb_mw_amqp_reply_text(rep, text, sizeof(text)); /* before the reply is freed */
	vb_mw_amqp_close(c);
	if (code == 200 || code == 405)
		return 1;
	if (code == 404)
		return 0;
	vb_mw_fault_set(&j->f, "checking the worker's mark %s: %s", queue,
			text[0] ? text : "no answer");
	return -1;
}

/* work: the marks, on a connection of their own that lives as long as the worker. */
static amqp_connection_state_t mark_worker(struct job *j)
{
	amqp_connection_state_t c =
	    vb_mw_amqp_open(&j->f, j->host, j->broker_port, (double)j->timeout_s, "worker");
	if (!c)
		return NULL;
	amqp_queue_declare(c, VB_MW_CHANNEL, amqp_cstring_bytes(ALIVE_QUEUE), 0, 0, 1, 1,
			   amqp_empty_table);
	bool ok = vb_mw_amqp_ok(&j->f, c, "worker: its mark");
	if (ok) {
		amqp_queue_declare(c, VB_MW_CHANNEL, amqp_cstring_bytes(CAME_QUEUE), 0, 0, 0, 0,
				   amqp_empty_table);
		ok = vb_mw_amqp_ok(&j->f, c, "worker: its mark");
	}
	if (!ok) {
		vb_mw_amqp_close(c);
		return NULL;
	}
	return c;
}

/*
 * check: until a worker has come and gone. The queue empty with no
 * consumer: all acked, done (the worker may come and go between two
 * looks). Observations left and no consumer: before the worker came, wait
 * (--wait S at most); after it came and its connection closed (its marks,
 * looked at only then, so that a drain meets no extra connections), it
 * went away: the sample fails at once.
 */
static bool wait_for_worker(struct job *j)
{
	double end = vb_mw_now() + (double)j->wait_s;
	amqp_connection_state_t c = NULL;
	for (;;) {
		uint64_t messages, consumers;
		if (!queue_state(j, &c, &messages, &consumers, &j->f))
			return false;
		if (!consumers && !messages)
			break;
		if (!consumers) {
			int came = queue_exists(j, CAME_QUEUE);
			int alive = came == 1 ? queue_exists(j, ALIVE_QUEUE) : 1;
			if (came < 0 || alive < 0)
				break;
			if (came && !alive) {
				vb_mw_fault_set(&j->f,
						"the pair's worker went away with %llu of %llu "
						"observations left",
						(unsigned long long)messages,
						(unsigned long long)j->observations);
				break;
			}
			if (!came && vb_mw_now() > end) {
				vb_mw_fault_set(&j->f, "no worker came within %ld s", j->wait_s);
				break;
			}
		}
		nap(0.2);
	}
	vb_mw_amqp_close(c);
	return !j->f.failed;
}

/* The worker itself: drain_s from its subscription to the last confirm. */
static double drain(struct job *j)
{
	struct worker w;
	double t0 = vb_mw_now(), idle_since = t0;
	uint64_t done = 0;
	if (open_worker(&w, j)) {
		t0 = idle_since = vb_mw_now();
		/* Subscribed once the clock runs: no delivery comes before it. */
		amqp_basic_consume(w.in, VB_MW_CHANNEL, amqp_cstring_bytes(IN_QUEUE),
				   amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
		vb_mw_amqp_ok(&j->f, w.in, "worker: basic.consume");
		while (!j->f.failed && done < j->observations) {
			amqp_maybe_release_buffers(w.in);
			amqp_envelope_t env;
			struct timeval tv = { 0, 200000 };
			amqp_rpc_reply_t res = amqp_consume_message(w.in, &env, &tv, 0);
			if (res.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
			    res.library_error == AMQP_STATUS_TIMEOUT) {
				if (vb_mw_now() - idle_since > (double)j->timeout_s)
					vb_mw_fault_set(&j->f,
							"worker: no observation for %ld s with "
							"%llu of %llu done",
							j->timeout_s, (unsigned long long)done,
							(unsigned long long)j->observations);
				continue;
			}
			char text[256];
			vb_mw_amqp_reply_text(res, text, sizeof(text));
			if (text[0]) {
				vb_mw_fault_set(&j->f, "worker: after %llu of %llu: %s",
						(unsigned long long)done,
						(unsigned long long)j->observations, text);
				break;
			}
			idle_since = vb_mw_now();
			if (handle(&w, &env))
				done++;
			amqp_destroy_envelope(&env);
		}
		if (!j->f.failed)
			vb_mw_amqp_confirms(&j->f, w.out, &w.cf, 0, j->timeout_s, "worker");
	}
	double drain_s = vb_mw_now() - t0;
	close_worker(&w);
	return drain_s;
}

/* Afterwards: the stores and queues hold what N observations leave behind. */
static void check_counts(struct job *j, PGconn *db)
{
	long long want = (long long)j->observations, n;
	if (!j->f.failed && (n = db_count(j, db, "vb_raw")) != want && n >= 0)
		vb_mw_fault_set(&j->f, "the document store holds %lld raw documents, not %lld", n,
				want);
	if (!j->f.failed && (n = db_count(j, db, "vb_processed")) != want && n >= 0)
		vb_mw_fault_set(
		    &j->f, "the document store holds %lld processed documents, not %lld", n, want);
	if (!j->f.failed && (n = graph_count(j)) != want && n >= 0)
		vb_mw_fault_set(&j->f, "the triplestore holds %lld observations' graphs, not %lld",
				n, want);
	if (!j->f.failed && (n = queue_count(j, OUT_QUEUE)) != want && n >= 0)
		vb_mw_fault_set(&j->f, "the processed queue holds %lld messages, not %lld", n,
				want);
	if (!j->f.failed && (n = queue_count(j, IN_QUEUE)) != 0 && n >= 0)
		vb_mw_fault_set(&j->f, "the input queue still holds %lld messages", n);
}

int vb_mw_worker(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "broker-port", required_argument, NULL, 'b' },
		{ "store-port", required_argument, NULL, 'd' },
		{ "triplestore-port", required_argument, NULL, 'r' },
		{ "observations", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "prefetch", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "role", required_argument, NULL, 'R' },
		{ "wait", required_argument, NULL, 'W' },
		{ 0 },
	};
	struct job j = { .host = "127.0.0.1",
			 .observations = 1000,
			 .seed = 1,
			 .prefetch = 100,
			 .timeout_s = 60,
			 .wait_s = 600 };
	uint64_t store_port = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (opt) {
		case 'H':
			j.host = optarg;
			break;
		case 'b':
			j.broker_port = (int)vb_mw_num("--broker-port", optarg, 1, 65535);
			break;
		case 'd':
			store_port = vb_mw_num("--store-port", optarg, 1, 65535);
			break;
		case 'r':
			j.triple_port = (int)vb_mw_num("--triplestore-port", optarg, 1, 65535);
			break;
		case 'n':
			j.observations = vb_mw_num("--observations", optarg, 1, 10000000);
			break;
		case 's':
			j.seed = vb_mw_num("--seed", optarg, 0, UINT32_MAX);
			break;
		case 'f':
			j.prefetch = vb_mw_num("--prefetch", optarg, 1, 65535);
			break;
		case 'T':
			j.timeout_s = (long)vb_mw_num("--timeout", optarg, 1, 86400);
			break;
		case 'W':
			j.wait_s = (long)vb_mw_num("--wait", optarg, 1, 86400);
			break;
		case 'R': {
			static const char *const roles[] = { "all", "fill", "check", "work" };
			size_t k = 0;
			while (k < 4 && strcmp(optarg, roles[k]))
				k++;
			if (k == 4) {
				fprintf(stderr,
					"error: worker: --role is all, fill, check or work\n");
				return 2;
			}
			j.role = (enum role)k;
			break;
		}
		default:
			return 2;
		}
	}
	if (!j.broker_port || !store_port || !j.triple_port || optind != argc) {
		fprintf(stderr, "error: worker: --broker-port, --store-port and --triplestore-port "
				"are required, and nothing else\n");
		return 2;
	}
	snprintf(j.store_port, sizeof(j.store_port), "%llu", (unsigned long long)store_port);
	snprintf(j.timeout, sizeof(j.timeout), "%ld", j.timeout_s);
	vb_mw_fault_init(&j.f);
	if (curl_global_init(CURL_GLOBAL_NOTHING))
		return vb_mw_fail("libcurl would not start"), 1;
	double drain_s = 0;
	if (j.role == ROLE_WORK) {
		amqp_connection_state_t mark = mark_worker(&j);
		if (mark && wait_for_observations(&j))
			drain_s = drain(&j);
		vb_mw_amqp_close(mark);
	} else {
		PGconn *db = vb_mw_pg_connect(&j.f, j.host, j.store_port, j.timeout,
					      j.role == ROLE_CHECK ? "checking" : "setup");
		bool ok = db && (j.role == ROLE_CHECK || setup(&j, db));
		if (ok && j.role == ROLE_ALL)
			drain_s = drain(&j);
		if (ok && j.role == ROLE_CHECK)
			wait_for_worker(&j);
		if (ok && j.role != ROLE_FILL)
			check_counts(&j, db);
		PQfinish(db);
	}
	curl_global_cleanup();
	if (j.f.failed)
		return vb_mw_fault_exit(&j.f);
	if (j.role == ROLE_ALL || j.role == ROLE_WORK)
		printf("drain_s %.6f\ndrain_rate %.3f\n", drain_s,
		       (double)j.observations / drain_s);
	return 0;
}
