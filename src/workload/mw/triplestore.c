/* SPDX-License-Identifier: MIT */
/*
 * mw.triplestore's client (study §4.8.3, figs. 4.24-4.25): observations
 * annotated as RDF and kept in Virtuoso 7 over the SPARQL 1.1 Graph Store
 * HTTP protocol, as the study kept them in Jena TDB behind a REST API.
 * THREADS threads, each with its own HTTP connection (libcurl, kept
 * alive, digest authentication): **store** PUTs each observation's graph
 * (N-Triples), then **retrieve** GETs each back; every retrieved graph must
 * hold exactly the stored triples.
 *
 *   virtbench-mw triplestore --port P [--host ADDR] --observations N
 *                            --threads T --seed S [--timeout S]
 *   virtbench-mw triplestore --port P [--host ADDR] --ping
 *
 * Prints store_s, store_rate, retrieve_s and retrieve_rate.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/mw/clients.h"
#include "workload/mw/mw.h"

#define GRAPH "http://intelligentriver.org/graph/"

enum phase { STORE, RETRIEVE, NPHASES };
static const char *const phase_names[] = { "store", "retrieve" };

struct store {
	const char *host;
	int port;
	uint64_t observations, threads, seed;
	long timeout_s;
	struct vb_mw_phased ph;
	_Atomic uint64_t retries; /* stores the store had us repeat (deadlocks) */
	struct vb_mw_fault f;
};

struct worker {
	struct store *s;
	unsigned id;
	uint64_t first, count;
	struct vb_mw_http h;
};

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The graph's triples, one a line, with the blanks between terms made one
 * space and the lines sorted: two graphs hold the same triples when these
 * are equal. Our literals hold no blank. Returns the count, lines in *out.
 */
static size_t normalize(char *text, char ***out)
{
	size_t n = 0, cap = 16;
	char **lines = malloc(cap * sizeof(char *));
	if (!lines)
		abort();
	for (char *save = NULL, *l = strtok_r(text, "\r\n", &save); l;
	     l = strtok_r(NULL, "\r\n", &save)) {
		char *o = l;
		bool blank = true;
		for (char *c = l; *c; c++) {
			bool sp = *c == ' ' || *c == '\t';
			if (sp && blank)
				continue;
			*o++ = sp ? ' ' : *c;
			blank = sp;
		}
		while (o > l && o[-1] == ' ')
			o--;
		*o = '\0';
		if (!*l)
			continue;
		if (n == cap && !(lines = realloc(lines, (cap *= 2) * sizeof(char *))))
			abort();
		lines[n++] = l;
	}
	qsort(lines, n, sizeof(char *), by_text);
	*out = lines;
	return n;
}

static bool same_graph(struct worker *w, const char *stored, const char *key)
{
	char *want = strdup(stored), *got = strdup(w->h.body ? w->h.body : "");
	if (!want || !got)
		abort();
	char **a, **b;
	size_t na = normalize(want, &a), nb = normalize(got, &b);
	size_t i = 0;
	while (i < na && i < nb && !strcmp(a[i], b[i]))
		i++;
	bool same = na == nb && i == na;
	if (!same)
		vb_mw_fault_set(
		    &w->s->f,
		    "thread %u: retrieve %s: the graph holds %zu triples, %zu stored; first "
		    "difference: %.160s",
		    w->id, key, nb, na,
		    i < nb   ? b[i]
		    : i < na ? a[i]
			     : "");
	free(a);
	free(b);
	free(want);
	free(got);
	return same;
}

static bool one(struct worker *w, enum phase p, uint64_t i, struct curl_slist *put,
		struct curl_slist *get)
{
	struct store *s = w->s;
	struct vb_obs o;
	vb_obs_make(s->seed, i, &o);
	char nt[VB_OBS_NT_MAX], url[512], what[96], line[240];
	size_t len = vb_obs_ntriples(&o, nt, sizeof(nt));
	snprintf(url, sizeof(url), "http://%s:%d/sparql-graph-crud-auth?graph-uri=" GRAPH "%s",
		 s->host, s->port, o.key);
	snprintf(what, sizeof(what), "%s %s", phase_names[p], o.key);
	char who[128];
	snprintf(who, sizeof(who), "thread %u: %s", w->id, what);
	long code = p == STORE
			? vb_mw_http_put_graph(&s->f, &w->h, url, nt, len, put, &s->retries, who)
			: vb_mw_http_request(&s->f, &w->h, url, NULL, NULL, 0, get, who);
	if (!code)
		return false;
	if ((p == STORE && (code < 200 || code > 204)) || (p == RETRIEVE && code != 200)) {
		vb_mw_fault_set(&s->f, "thread %u: %s: HTTP %ld: %s", w->id, what, code,
				vb_mw_http_first_line(&w->h, line, sizeof(line)));
		return false;
	}
	return p == STORE || same_graph(w, nt, o.key);
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct store *s = w->s;
	/* Virtuoso's administrator, with the job's password, on a database made for this job. */
	vb_mw_http_init(&w->h, vb_mw_dba(), s->timeout_s);
	struct curl_slist *put = curl_slist_append(NULL, "Content-Type: application/n-triples");
	struct curl_slist *get = curl_slist_append(NULL, "Accept: application/n-triples");
	/* Each phase starts when every thread is ready and ends when the last is done. */
	for (int p = 0; p < NPHASES; p++) {
		vb_mw_phase_begin(&s->ph);
		for (uint64_t i = w->first; i < w->first + w->count && !s->f.failed; i++)
			if (!one(w, (enum phase)p, i, put, get))
				break;
		vb_mw_phase_end(&s->ph);
	}
	curl_slist_free_all(put);
	curl_slist_free_all(get);
	vb_mw_http_release(&w->h);
	return NULL;
}

static int ping(struct store *s)
{
	struct worker w = { .s = s, .id = 0 };
	vb_mw_http_init(&w.h, NULL, s->timeout_s);
	char url[256], line[240];
	snprintf(url, sizeof(url), "http://%s:%d/sparql?query=ASK%%7B%%7D", s->host, s->port);
	long code = vb_mw_http_request(&s->f, &w.h, url, NULL, NULL, 0, NULL, "ping");
	if (code && code != 200)
		vb_mw_fault_set(&s->f, "ping: HTTP %ld: %s", code,
				vb_mw_http_first_line(&w.h, line, sizeof(line)));
	vb_mw_http_release(&w.h);
	return s->f.failed ? vb_mw_fault_exit(&s->f) : 0;
}

int vb_mw_triplestore(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "observations", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "ping", no_argument, NULL, 'P' },
		{ 0 },
	};
	struct store s = {
		.host = "127.0.0.1", .observations = 1000, .threads = 4, .seed = 1, .timeout_s = 60
	};
	bool pinging = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (opt) {
		case 'H':
			s.host = optarg;
			break;
		case 'p':
			s.port = (int)vb_mw_num("--port", optarg, 1, 65535);
			break;
		case 'n':
			s.observations = vb_mw_num("--observations", optarg, 1, 10000000);
			break;
		case 't':
			s.threads = vb_mw_num("--threads", optarg, 1, 256);
			break;
		case 's':
			s.seed = vb_mw_num("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'T':
			s.timeout_s = (long)vb_mw_num("--timeout", optarg, 1, 86400);
			break;
		case 'P':
			pinging = true;
			break;
		default:
			return 2;
		}
	}
	if (!s.port || optind != argc) {
		fprintf(stderr, "error: triplestore: --port is required, and nothing else\n");
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_NOTHING))
		return vb_mw_fail("libcurl would not start"), 1;
	vb_mw_fault_init(&s.f);
	if (pinging) {
		s.timeout_s = 5;
		return ping(&s);
	}
	struct worker *w = calloc(s.threads, sizeof(*w));
	if (!w)
		abort();
	for (uint64_t i = 0; i < s.threads; i++) {
		w[i] = (struct worker){ .s = &s, .id = (unsigned)i + 1 };
		vb_mw_share(s.observations, s.threads, i, &w[i].first, &w[i].count);
	}
	double secs[NPHASES];
	vb_mw_phased_run(&s.ph, s.threads, worker, w, sizeof(*w), NPHASES, secs);
	free(w);
	curl_global_cleanup();
	if (s.f.failed)
		return vb_mw_fault_exit(&s.f);
	for (int p = 0; p < NPHASES; p++)
		printf("%s_s %.6f\n%s_rate %.3f\n", phase_names[p], secs[p], phase_names[p],
		       (double)s.observations / secs[p]);
	/* Not a metric (it may be 0): the store times include the repeated requests. */
	printf("deadlock_retries %llu\n", (unsigned long long)s.retries);
	return 0;
}
