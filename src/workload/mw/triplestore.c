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
 *
 * store=jena-tdb2 has no server to speak to: the agent runs Jena's own
 * commands, and this program makes their input and checks their output:
 *
 *   virtbench-mw triplestore --write-quads FILE --observations N --seed S
 *   virtbench-mw triplestore --check-quads FILE --observations N --seed S
 *
 * The first writes the N observations' graphs as N-Quads (each observation
 * its named graph) to FILE, which must not exist; the second reads a dump
 * of the store (tdb2.tdbdump) from FILE and fails unless it holds exactly
 * those quads, naming the first difference.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

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

/*
 * Do want and got (each taken and freed) hold the same lines once
 * normalized? The counts in *nwant and *ngot; where they differ, the first
 * differing line in diff (n bytes).
 */
static bool same_lines(char *want, char *got, size_t *nwant, size_t *ngot, char *diff, size_t n)
{
	char **a, **b;
	size_t na = normalize(want, &a), nb = normalize(got, &b);
	size_t i = 0;
	while (i < na && i < nb && !strcmp(a[i], b[i]))
		i++;
	snprintf(diff, n, "%s", i < nb ? b[i] : i < na ? a[i] : "");
	*nwant = na;
	*ngot = nb;
	free(a);
	free(b);
	free(want);
	free(got);
	return na == nb && i == na;
}

static bool same_graph(struct worker *w, const char *stored, const char *key)
{
	char *want = strdup(stored), *got = strdup(w->h.body ? w->h.body : "");
	if (!want || !got)
		abort();
	size_t na, nb;
	char diff[161];
	bool same = same_lines(want, got, &na, &nb, diff, sizeof(diff));
	if (!same)
		vb_mw_fault_set(&w->s->f,
				"thread %u: retrieve %s: the graph holds %zu triples, %zu stored; "
				"first difference: %s",
				w->id, key, nb, na, diff);
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

/*
 * Observation i's graph as N-Quads: each of its N-Triples lines with the
 * graph's name before the final " .". Returns the length; buf holds
 * VB_OBS_NT_MAX * 2 bytes.
 */
static size_t quads(uint64_t seed, uint64_t i, char *buf)
{
	struct vb_obs o;
	vb_obs_make(seed, i, &o);
	char nt[VB_OBS_NT_MAX], tail[96];
	vb_obs_ntriples(&o, nt, sizeof(nt));
	int tl = snprintf(tail, sizeof(tail), " <" GRAPH "%s> .\n", o.key);
	size_t n = 0;
	for (char *save = NULL, *l = strtok_r(nt, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(l);
		if (len < 2 || strcmp(l + len - 2, " .") ||
		    n + len + (size_t)tl >= VB_OBS_NT_MAX * 2)
			abort(); /* vb_obs_ntriples' own lines */
		memcpy(buf + n, l, len - 2);
		memcpy(buf + n + len - 2, tail, (size_t)tl);
		n += len - 2 + (size_t)tl;
	}
	buf[n] = '\0';
	return n;
}

/* FILE ("-": standard output) must be new: never one that is there already, nor a link. */
static int write_quads(const char *path, uint64_t n, uint64_t seed)
{
	bool out = !strcmp(path, "-");
	int fd = out ? dup(STDOUT_FILENO)
		     : open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vb_mw_fail("cannot create %s: %s", path, strerror(errno)), 1;
	FILE *f = fdopen(fd, "w");
	if (!f)
		abort();
	char buf[VB_OBS_NT_MAX * 2];
	for (uint64_t i = 0; i < n; i++) {
		size_t len = quads(seed, i, buf);
		if (fwrite(buf, 1, len, f) != len)
			break;
	}
	/* 0644: Jena's loader reads it as the service's user. */
	if (ferror(f) | (out ? 0 : fchmod(fd, 0644)) | fclose(f))
		return vb_mw_fail("cannot write %s: %s", path, strerror(errno)), 1;
	return 0;
}

/*
 * Normalize one line in place: the blanks between terms made one space,
 * none at either end (as normalize() does). Returns its length.
 */
static size_t squeeze(char *l)
{
	char *o = l;
	bool blank = true;
	for (char *c = l; *c; c++) {
		bool sp = *c == ' ' || *c == '\t' || *c == '\r' || *c == '\n';
		if (sp && blank)
			continue;
		*o++ = sp ? ' ' : *c;
		blank = sp;
	}
	while (o > l && o[-1] == ' ')
		o--;
	*o = '\0';
	return (size_t)(o - l);
}

/*
 * A multiset of lines in constant memory: the count and two sums of
 * independent 64-bit hashes of each line. Order-free: equal multisets give
 * equal sums; a lost, added or changed line changes them but for a chance
 * of about 2^-128 (a store that fails by accident, not one that forges: a
 * store can always print its input back).
 */
struct lines_sum {
	uint64_t n, a, b;
};

static uint64_t fnv_from(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t finish(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void sum_line(struct lines_sum *m, const char *l, size_t len)
{
	m->n++;
	m->a += finish(fnv_from(0xcbf29ce484222325ull, l, len));
	m->b += finish(fnv_from(0x84222325cbf29ce4ull, l, len) ^ len);
}

/* Below this many observations a failed check also names the first difference (in memory). */
#define CHECK_DETAIL_MAX 2000
/* No stored quad is longer; a longer line in a dump is not one of them. */
#define QUAD_LINE_MAX 4096

/* The dump ("-": standard input): a regular file, at most max bytes, or -1 with a message. */
static int open_dump(const char *path, uint64_t max)
{
	/* A FIFO or device put in its place must not hang or feed us. */
	int fd = !strcmp(path, "-") ? dup(STDIN_FILENO)
				    : open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		vb_mw_fail("the store's dump %s: %s", path,
			   fd < 0		  ? strerror(errno)
			   : !S_ISREG(st.st_mode) ? "not a regular file"
						  : "larger than the observations could make it");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The first difference, in memory: for small checks only (CHECK_DETAIL_MAX). */
static void first_difference(FILE *f, uint64_t n, uint64_t seed, char *diff, size_t dn)
{
	size_t cap = VB_OBS_NT_MAX * 4, len = 0, glen = 0, gcap = 65536;
	char *want = malloc(cap), *got = malloc(gcap + 1);
	if (!want || !got)
		abort();
	for (uint64_t i = 0; i < n; i++) {
		if (cap - len <= VB_OBS_NT_MAX * 2 && !(want = realloc(want, cap *= 2)))
			abort();
		len += quads(seed, i, want + len);
	}
	rewind(f);
	for (size_t k; (k = fread(got + glen, 1, gcap - glen, f)) > 0;) {
		glen += k;
		if (glen == gcap && !(got = realloc(got, (gcap *= 2) + 1)))
			abort();
	}
	got[glen] = '\0';
	size_t na, nb;
	same_lines(want, got, &na, &nb, diff, dn);
}

static int check_quads(const char *path, uint64_t n, uint64_t seed)
{
	struct lines_sum want = { 0 }, got = { 0 };
	char buf[VB_OBS_NT_MAX * 2];
	uint64_t bytes = 0;
	for (uint64_t i = 0; i < n; i++) {
		bytes += quads(seed, i, buf);
		for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			sum_line(&want, l, squeeze(l));
	}
	/* Twice what was stored is as far as a dump of it can honestly go. */
	int fd = open_dump(path, 2 * bytes + 4096);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f)
		return 1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	const char *bad = NULL;
	while (!bad && (len = getline(&line, &cap, f)) >= 0) {
		if (memchr(line, '\0', (size_t)len))
			bad = "a NUL byte in a line";
		else if (len > QUAD_LINE_MAX)
			bad = "a line longer than any stored quad";
		else if (squeeze(line))
			sum_line(&got, line, strlen(line));
		if (got.n > want.n)
			bad = "more quads than were stored";
	}
	free(line);
	int rc = 0;
	if (bad) {
		rc = 1;
		vb_mw_fail("retrieve: the store's dump holds %s (%llu stored)", bad,
			   (unsigned long long)want.n);
	} else if (got.n != want.n || got.a != want.a || got.b != want.b) {
		rc = 1;
		char diff[201] = "";
		if (n <= CHECK_DETAIL_MAX)
			first_difference(f, n, seed, diff, sizeof(diff));
		vb_mw_fail("retrieve: the store holds %llu quads, %llu stored%s%s%s",
			   (unsigned long long)got.n, (unsigned long long)want.n,
			   got.n == want.n ? ", not the same ones" : "",
			   *diff ? "; first difference: " : "", diff);
	}
	fclose(f);
	return rc;
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
		{ "write-quads", required_argument, NULL, 'W' },
		{ "check-quads", required_argument, NULL, 'C' },
		{ 0 },
	};
	struct store s = {
		.host = "127.0.0.1", .observations = 1000, .threads = 4, .seed = 1, .timeout_s = 60
	};
	bool pinging = false;
	const char *write_to = NULL, *check_from = NULL;
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
		case 'W':
			write_to = optarg;
			break;
		case 'C':
			check_from = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!write_to != !check_from && !s.port && !pinging && optind == argc)
		return write_to ? write_quads(write_to, s.observations, s.seed)
				: check_quads(check_from, s.observations, s.seed);
	if (!s.port || write_to || check_from || optind != argc) {
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
