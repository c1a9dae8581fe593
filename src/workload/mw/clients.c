/* SPDX-License-Identifier: MIT */
/* What virtbench-mw's clients share (clients.h). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amqp_tcp_socket.h>

#include "workload/mw/clients.h"
#include "workload/mw/mw.h"

#define BODY_MAX (1u << 20)

void vb_mw_fault_init(struct vb_mw_fault *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
}

void vb_mw_fault_set(struct vb_mw_fault *f, const char *fmt, ...)
{
	pthread_mutex_lock(&f->lock);
	if (!f->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(f->error, sizeof(f->error), fmt, ap);
		va_end(ap);
		/* libpq's and servers' messages span lines: one line for the agent. */
		for (char *c = f->error; *c; c++)
			if ((unsigned char)*c < ' ')
				*c = ' ';
		size_t n = strlen(f->error);
		while (n && f->error[n - 1] == ' ')
			f->error[--n] = '\0';
		f->failed = true;
	}
	pthread_mutex_unlock(&f->lock);
}

int vb_mw_fault_exit(struct vb_mw_fault *f)
{
	vb_mw_fail("%s", f->failed ? f->error : "failed without a word");
	return 1;
}

void vb_mw_share(uint64_t n, uint64_t t, uint64_t i, uint64_t *first, uint64_t *count)
{
	uint64_t each = n / t, extra = n % t;
	*first = i * each + (i < extra ? i : extra);
	*count = each + (i < extra ? 1 : 0);
}

void vb_mw_phased_run(struct vb_mw_phased *ph, uint64_t t, void *(*fn)(void *), void *items,
		      size_t size, int nphases, double *secs)
{
	pthread_t *th = calloc(t, sizeof(*th));
	if (!th)
		abort();
	pthread_barrier_init(&ph->start, NULL, (unsigned)t + 1);
	pthread_barrier_init(&ph->done, NULL, (unsigned)t + 1);
	for (uint64_t i = 0; i < t; i++)
		if (pthread_create(&th[i], NULL, fn, (char *)items + i * size))
			abort();
	for (int p = 0; p < nphases; p++) {
		pthread_barrier_wait(&ph->start);
		double t0 = vb_mw_now();
		pthread_barrier_wait(&ph->done);
		secs[p] = vb_mw_now() - t0;
	}
	for (uint64_t i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&ph->start);
	pthread_barrier_destroy(&ph->done);
	free(th);
}

void vb_mw_phase_begin(struct vb_mw_phased *ph)
{
	pthread_barrier_wait(&ph->start);
}

void vb_mw_phase_end(struct vb_mw_phased *ph)
{
	pthread_barrier_wait(&ph->done);
}

const char *vb_mw_amqp_status(int r)
{
	switch (r) {
	case AMQP_STATUS_SOCKET_ERROR:
	case AMQP_STATUS_CONNECTION_CLOSED:
	case AMQP_STATUS_SOCKET_CLOSED:
		return "the connection to the broker was lost (it closed or died)";
	default:
		return amqp_error_string2(r);
	}
}

/* What an RPC reply says went wrong; "" when it went right. */
void vb_mw_amqp_reply_text(amqp_rpc_reply_t r, char *buf, size_t n)
{
	buf[0] = '\0';
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		break;
	case AMQP_RESPONSE_NONE:
		snprintf(buf, n, "no reply");
		break;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		snprintf(buf, n, "%s", vb_mw_amqp_status(r.library_error));
		break;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			amqp_connection_close_t *c = r.reply.decoded;
			snprintf(buf, n, "the broker closed the connection: %.*s",
				 (int)c->reply_text.len, (char *)c->reply_text.bytes);
		} else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_t *c = r.reply.decoded;
			snprintf(buf, n, "the broker closed the channel: %.*s",
				 (int)c->reply_text.len, (char *)c->reply_text.bytes);
		} else {
			snprintf(buf, n, "the broker answered method 0x%08x", r.reply.id);
		}
		break;
	}
}

bool vb_mw_amqp_ok(struct vb_mw_fault *f, amqp_connection_state_t c, const char *what)
{
	char text[256];
	vb_mw_amqp_reply_text(amqp_get_rpc_reply(c), text, sizeof(text));
	if (!text[0])
		return true;
	vb_mw_fault_set(f, "%s: %s", what, text);
	return false;
}

amqp_connection_state_t vb_mw_amqp_open(struct vb_mw_fault *f, const char *host, int port,
					double timeout_s, const char *who)
{
	amqp_connection_state_t c = amqp_new_connection();
	amqp_socket_t *s = c ? amqp_tcp_socket_new(c) : NULL;
	if (!s)
		abort();
	struct timeval tv = { (time_t)timeout_s, 0 };
	int r = amqp_socket_open_noblock(s, host, port, &tv);
	if (r != AMQP_STATUS_OK) {
		vb_mw_fault_set(f, "%s: cannot connect to the broker at %s:%d: %s", who, host, port,
				amqp_error_string2(r));
		amqp_destroy_connection(c);
		return NULL;
	}
	/* A broker that takes the connection and then says nothing fails too. */
	amqp_set_rpc_timeout(c, &tv);
	char text[256];
	/* The job's user (vb_mw_rabbitmq_start), or a stock broker's guest. */
	const char *secret = getenv("VB_MW_SECRET");
	vb_mw_amqp_reply_text(amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
					 secret ? "vb" : "guest", secret ? secret : "guest"),
			      text, sizeof(text));
	if (text[0]) {
		vb_mw_fault_set(f, "%s: logging in to the broker: %s", who, text);
		amqp_destroy_connection(c);
		return NULL;
	}
	amqp_channel_open(c, VB_MW_CHANNEL);
	if (!vb_mw_amqp_ok(f, c, who)) {
		amqp_destroy_connection(c);
		return NULL;
	}
	return c;
}

void vb_mw_amqp_close(amqp_connection_state_t c)
{
	if (!c)
		return;
	amqp_channel_close(c, VB_MW_CHANNEL, AMQP_REPLY_SUCCESS);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
}

void vb_mw_confirms_init(struct vb_mw_confirms *cf, uint64_t cap)
{
	*cf = (struct vb_mw_confirms){ .acked = calloc(cap + 2, 1), .cap = cap };
	if (!cf->acked)
		abort();
}

void vb_mw_confirms_release(struct vb_mw_confirms *cf)
{
	free(cf->acked);
	cf->acked = NULL;
}

static void confirm_tag(struct vb_mw_confirms *cf, uint64_t tag)
{
	if (!cf->acked[tag]) {
		cf->acked[tag] = 1;
		cf->confirmed++;
	}
	while (cf->low < cf->sent && cf->acked[cf->low + 1])
		cf->low++;
}

/* One frame (up to tv; zero: only what has arrived); false with the failure set. */
static bool confirm_frame(struct vb_mw_fault *f, amqp_connection_state_t c,
			  struct vb_mw_confirms *cf, struct timeval tv, const char *who)
{
	amqp_frame_t fr;
	bool waiting = tv.tv_sec || tv.tv_usec;
	int r = amqp_simple_wait_frame_noblock(c, &fr, &tv);
	if (r == AMQP_STATUS_TIMEOUT && !waiting)
		return true;
	if (r != AMQP_STATUS_OK) {
		vb_mw_fault_set(f, "%s: waiting for confirms (%llu of %llu confirmed): %s", who,
				(unsigned long long)cf->confirmed, (unsigned long long)cf->sent,
				r == AMQP_STATUS_TIMEOUT ? "no confirm within the timeout"
							 : vb_mw_amqp_status(r));
		return false;
	}
	if (fr.frame_type != AMQP_FRAME_METHOD)
		return true;
	switch (fr.payload.method.id) {
	case AMQP_BASIC_ACK_METHOD: {
		amqp_basic_ack_t *a = fr.payload.method.decoded;
		if (a->delivery_tag == 0 || a->delivery_tag > cf->sent) {
			vb_mw_fault_set(f, "%s: the broker confirmed message %llu of %llu sent",
					who, (unsigned long long)a->delivery_tag,
					(unsigned long long)cf->sent);
			return false;
		}
		for (uint64_t t = a->multiple ? cf->low + 1 : a->delivery_tag; t <= a->delivery_tag;
		     t++)
			confirm_tag(cf, t);
		return true;
	}
	case AMQP_BASIC_NACK_METHOD: {
		amqp_basic_nack_t *a = fr.payload.method.decoded;
		vb_mw_fault_set(f, "%s: the broker refused message %llu (basic.nack)", who,
				(unsigned long long)a->delivery_tag);
		return false;
	}
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD:
		vb_mw_fault_set(f, "%s: the broker closed the %s", who,
				fr.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ? "channel"
										  : "connection");
		return false;
	default:
		return true;
	}
}

bool vb_mw_amqp_confirms(struct vb_mw_fault *f, amqp_connection_state_t c,
			 struct vb_mw_confirms *cf, uint64_t window, long timeout_s,
			 const char *who)
{
	const struct timeval now = { 0, 0 }, patient = { timeout_s, 0 };
	while (amqp_frames_enqueued(c) || amqp_data_in_buffer(c)) {
		uint64_t before = cf->confirmed;
		if (!confirm_frame(f, c, cf, now, who))
			return false;
		if (cf->confirmed == before)
			break;
	}
	uint64_t limit = window ? window : 1;
	while (cf->sent - cf->confirmed >= limit)
		if (!confirm_frame(f, c, cf, patient, who))
			return false;
	return true;
}

PGconn *vb_mw_pg_connect(struct vb_mw_fault *f, const char *host, const char *port,
			 const char *timeout_s, const char *who)
{
	const char *keys[] = {
		"host", "port", "dbname", "user", "connect_timeout", "options", NULL
	};
	const char *vals[] = { host,	   port,      "postgres",
			       "postgres", timeout_s, "-c client_min_messages=warning",
			       NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		vb_mw_fault_set(f, "%s: cannot connect to the document store at %s:%s: %s", who,
				host, port, c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	return c;
}

bool vb_mw_pg_exec(struct vb_mw_fault *f, PGconn *c, const char *sql, ExecStatusType want,
		   const char *who)
{
	PGresult *res = PQexec(c, sql);
	bool ok = PQresultStatus(res) == want;
	if (!ok)
		vb_mw_fault_set(f, "%s%s%s: %s", who ? who : "", who ? ": " : "", sql,
				PQerrorMessage(c));
	PQclear(res);
	return ok;
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct vb_mw_http *h = arg;
	size_t k = size * n;
	if (h->len + k > BODY_MAX) {
		h->truncated = true;
		return 0; /* ends the transfer with an error */
	}
	char *b = realloc(h->body, h->len + k + 1);
	if (!b)
		abort();
	memcpy(b + h->len, data, k);
	h->len += k;
	b[h->len] = '\0';
	h->body = b;
	return k;
}

const char *vb_mw_dba(void)
{
	static char userpwd[80];
	const char *secret = getenv("VB_MW_DBA_SECRET");
	snprintf(userpwd, sizeof(userpwd), "dba:%.64s", secret ? secret : "dba");
	return userpwd;
}

void vb_mw_http_init(struct vb_mw_http *h, const char *user, long timeout_s)
{
	*h = (struct vb_mw_http){ .curl = curl_easy_init() };
	if (!h->curl)
		abort();
	CURL *c = h->curl;
	if (user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
		curl_easy_setopt(c, CURLOPT_USERPWD, user);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
}

void vb_mw_http_release(struct vb_mw_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->body);
	*h = (struct vb_mw_http){ 0 };
}

long vb_mw_http_request(struct vb_mw_fault *f, struct vb_mw_http *h, const char *url,
			const char *method, const char *data, size_t len,
			struct curl_slist *headers, const char *who)
{
	h->len = 0;
	h->truncated = false;
	if (h->body)
		h->body[0] = '\0';
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	if (data) {
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, NULL);
	}
	CURLcode r = curl_easy_perform(h->curl);
	long code = 0;
	if (r == CURLE_OK)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
	else if (h->truncated)
		vb_mw_fault_set(f, "%s: the answer is larger than %u bytes", who, BODY_MAX);
	else
		vb_mw_fault_set(f, "%s: %s (the triplestore at %s)", who, curl_easy_strerror(r),
				url);
	return code;
}

long vb_mw_http_put_graph(struct vb_mw_fault *f, struct vb_mw_http *h, const char *url,
			  const char *data, size_t len, struct curl_slist *headers,
			  _Atomic uint64_t *retries, const char *who)
{
	long code = 0;
	for (int attempt = 0; attempt <= 10; attempt++) {
		if (attempt) {
			(*retries)++;
			struct timespec ts = { 0, 1000000L * attempt };
			nanosleep(&ts, NULL);
		}
		code = vb_mw_http_request(f, h, url, "PUT", data, len, headers, who);
		if (code != 500 || !h->body || !strstr(h->body, "40001"))
			break;
	}
	return code;
}

const char *vb_mw_http_first_line(const struct vb_mw_http *h, char *buf, size_t n)
{
	const char *b = h->body && h->body[0] ? h->body : "(no body)";
	if (*b != '<') {
		snprintf(buf, n, "%s", b);
		buf[strcspn(buf, "\r\n")] = '\0';
		return buf;
	}
	/* An HTML page (Virtuoso's errors): its text without tags, blanks made one. */
	size_t k = 0;
	bool tag = false, blank = true;
	for (; *b && k + 1 < n; b++) {
		if (*b == '<' || *b == '>') {
			tag = *b == '<';
			continue;
		}
		bool sp = *b == ' ' || *b == '\t' || *b == '\r' || *b == '\n';
		if (tag || (sp && blank))
			continue;
		buf[k++] = sp ? ' ' : *b;
		blank = sp;
	}
	buf[k] = '\0';
	return buf;
}
