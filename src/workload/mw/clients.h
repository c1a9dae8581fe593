/* SPDX-License-Identifier: MIT */
#ifndef VB_MW_CLIENTS_H
#define VB_MW_CLIENTS_H

/* What virtbench-mw's clients share: the first failure, AMQP, libpq and HTTP connections. */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <amqp.h>
#include <curl/curl.h>
#include <libpq-fe.h>

/* The first failure of any thread; later ones are dropped. */
struct vb_mw_fault {
	pthread_mutex_t lock;
	_Atomic bool failed;
	char error[512]; /* one line: control characters made spaces */
};

void vb_mw_fault_init(struct vb_mw_fault *f);
void vb_mw_fault_set(struct vb_mw_fault *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print the failure as vb_mw_fail does; returns 1 (the exit code). */
int vb_mw_fault_exit(struct vb_mw_fault *f);

/* Phases that threads run together (docstore, triplestore): barriers around each. */
struct vb_mw_phased {
	pthread_barrier_t start, done;
};

/* The i-th of t threads' share of items [0, n): [*first, *first + *count). */
void vb_mw_share(uint64_t n, uint64_t t, uint64_t i, uint64_t *first, uint64_t *count);

/*
 * Run t threads fn(items + i * size), each of which calls vb_mw_phase_begin
 * and vb_mw_phase_end around each of nphases phases (every thread every
 * phase, even after a failure); secs[p] runs from the moment all threads
 * began phase p until the last ended it.
 */
void vb_mw_phased_run(struct vb_mw_phased *ph, uint64_t t, void *(*fn)(void *), void *items,
		      size_t size, int nphases, double *secs);
void vb_mw_phase_begin(struct vb_mw_phased *ph);
void vb_mw_phase_end(struct vb_mw_phased *ph);

/* The channel every AMQP connection of ours opens. */
#define VB_MW_CHANNEL 1

/* rabbitmq-c's status, in words that say what happened to the broker. */
const char *vb_mw_amqp_status(int r);

/* What an RPC reply says went wrong; "" when it went right. */
void vb_mw_amqp_reply_text(amqp_rpc_reply_t r, char *buf, size_t n);

/* The last RPC's reply: true when it went right, else the failure set (what: ...). */
bool vb_mw_amqp_ok(struct vb_mw_fault *f, amqp_connection_state_t c, const char *what);

/* Connect to host:port, log in as guest, open VB_MW_CHANNEL; NULL with the failure set. */
amqp_connection_state_t vb_mw_amqp_open(struct vb_mw_fault *f, const char *host, int port,
					double timeout_s, const char *who);
void vb_mw_amqp_close(amqp_connection_state_t c);

/*
 * Publisher confirms on one channel: which delivery tags (1..sent) the
 * broker confirmed, each counted once whatever the order (acks may come out
 * of order, single or "multiple"); a tag never sent is the broker's lie.
 */
struct vb_mw_confirms {
	unsigned char *acked;		    /* [1..cap] */
	uint64_t cap, sent, confirmed, low; /* every tag <= low is confirmed */
};

void vb_mw_confirms_init(struct vb_mw_confirms *cf, uint64_t cap);
void vb_mw_confirms_release(struct vb_mw_confirms *cf);

/*
 * After a publish (cf->sent counted): take the confirms that have arrived,
 * and wait (timeout_s each) while window or more are unconfirmed. window 0:
 * wait for all. False with the failure set on a nack, a closed channel, a
 * lost connection, a tag never sent, or no confirm in time.
 */
bool vb_mw_amqp_confirms(struct vb_mw_fault *f, amqp_connection_state_t c,
			 struct vb_mw_confirms *cf, uint64_t window, long timeout_s,
			 const char *who);

/* Connect to PostgreSQL at host:port as postgres; NULL with the failure set. */
PGconn *vb_mw_pg_connect(struct vb_mw_fault *f, const char *host, const char *port,
			 const char *timeout_s, const char *who);

/* Run sql without parameters on c; false (the failure set: who: sql: why) when not want. */
bool vb_mw_pg_exec(struct vb_mw_fault *f, PGconn *c, const char *sql, ExecStatusType want,
		   const char *who);

/* One HTTP connection (libcurl, kept alive, digest authentication as user). */
struct vb_mw_http {
	CURL *curl;
	char *body; /* the last answer's body, NUL-terminated */
	size_t len;
	bool truncated;
};

void vb_mw_http_init(struct vb_mw_http *h, const char *user, long timeout_s);
/* Virtuoso's administrator as CURLOPT_USERPWD: dba with $VB_MW_DBA_SECRET (vb_mw_virtuoso_start),
 * else the stock dba. */
const char *vb_mw_dba(void);
void vb_mw_http_release(struct vb_mw_http *h);

/*
 * One request (data NULL: GET, else method with data); the HTTP status, or
 * 0 with the failure set (who: what) when no answer came.
 */
long vb_mw_http_request(struct vb_mw_fault *f, struct vb_mw_http *h, const char *url,
			const char *method, const char *data, size_t len,
			struct curl_slist *headers, const char *who);

/*
 * PUT data to url as N-Triples (headers), again while the store answers
 * that the transaction lost a deadlock (HTTP 500 with SQL state 40001, as
 * Virtuoso does under concurrent writers; its clients are to retry), at
 * most 10 times; *retries counts them. The status as vb_mw_http_request.
 */
long vb_mw_http_put_graph(struct vb_mw_fault *f, struct vb_mw_http *h, const char *url,
			  const char *data, size_t len, struct curl_slist *headers,
			  _Atomic uint64_t *retries, const char *who);

/* The last answer's first line, for messages. */
const char *vb_mw_http_first_line(const struct vb_mw_http *h, char *buf, size_t n);

#endif
