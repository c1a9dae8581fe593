/* SPDX-License-Identifier: MIT */
/*
 * mw.broker's client (study §4.8.2, figs. 4.22-4.23): observations published
 * to RabbitMQ by THREADS threads, each on its own connection, with
 * publisher confirms closing the timing; then consumed by as many threads
 * with a prefetch window and one ack per message. Every message is
 * accounted for: the consumed count and the sum of the bodies' hashes must
 * equal the published ones, and the queue must be empty afterwards.
 *
 *   virtbench-mw broker --port P [--host ADDR] --messages N --threads T
 *                       --seed S [--durable] [--prefetch N] [--timeout S]
 *   virtbench-mw broker --port P [--host ADDR] --ping
 *
 * Prints publish_s, publish_rate, consume_s and consume_rate.
 */
#include <getopt.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "workload/mw/clients.h"
#include "workload/mw/mw.h"

#define QUEUE "vb-observations"
#define CHANNEL VB_MW_CHANNEL
/* Unconfirmed messages a publisher may have in flight. */
#define WINDOW 1000

struct broker {
	const char *host;
	int port;
	uint64_t messages, threads, seed, prefetch;
	double timeout_s;
	bool durable;
	pthread_barrier_t start;
	double t0;
	_Atomic uint64_t consumed, consumed_sum;
	_Atomic double t_consumed;
	struct vb_mw_fault f;
};

struct worker {
	struct broker *b;
	unsigned id;
	uint64_t first, count; /* publishers: observations [first, first+count) */
	uint64_t sum;
	double t_end;
	int r;
};

static amqp_connection_state_t open_conn(struct broker *b, const char *who)
{
	return vb_mw_amqp_open(&b->f, b->host, b->port, b->timeout_s, who);
}

static void *publisher(void *arg)
{
	struct worker *w = arg;
	struct broker *b = w->b;
	char who[32];
	snprintf(who, sizeof(who), "publisher %u", w->id);
	amqp_connection_state_t c = open_conn(b, who);
	if (c) {
		amqp_confirm_select(c, CHANNEL);
		if (!vb_mw_amqp_ok(&b->f, c, who)) {
			vb_mw_amqp_close(c);
			c = NULL;
		}
	}
	pthread_barrier_wait(&b->start);
	if (!c)
		return NULL;
	amqp_basic_properties_t props = {
		._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG,
		.content_type = amqp_cstring_bytes("application/json"),
		.delivery_mode =
		    b->durable ? AMQP_DELIVERY_PERSISTENT : AMQP_DELIVERY_NONPERSISTENT,
	};
	struct vb_mw_confirms cf;
	vb_mw_confirms_init(&cf, w->count);
	long patient = (long)b->timeout_s;
	char body[VB_OBS_MAX];
	for (uint64_t i = w->first; i < w->first + w->count && !b->f.failed; i++) {
		size_t n = vb_obs_json(b->seed, i, body);
		amqp_bytes_t bytes = { n, body };
		int r = amqp_basic_publish(c, CHANNEL, amqp_empty_bytes, amqp_cstring_bytes(QUEUE),
					   0, 0, &props, bytes);
		if (r != AMQP_STATUS_OK) {
			vb_mw_fault_set(&b->f, "publisher %u: publishing message %llu of %llu: %s",
					w->id, (unsigned long long)(cf.sent + 1),
					(unsigned long long)w->count, vb_mw_amqp_status(r));
			break;
		}
		w->sum += vb_obs_hash(body, n);
		cf.sent++;
		if (!vb_mw_amqp_confirms(&b->f, c, &cf, WINDOW, patient, who))
			break;
	}
	if (!b->f.failed)
		vb_mw_amqp_confirms(&b->f, c, &cf, 0, patient, who);
	vb_mw_confirms_release(&cf);
	w->t_end = vb_mw_now();
	vb_mw_amqp_close(c);
	return NULL;
}

static void *consumer(void *arg)
{
	struct worker *w = arg;
	struct broker *b = w->b;
	char who[32];
	snprintf(who, sizeof(who), "consumer %u", w->id);
	amqp_connection_state_t c = open_conn(b, who);
	if (c) {
		amqp_basic_qos(c, CHANNEL, 0, (uint16_t)b->prefetch, 0);
		if (b->f.failed || !vb_mw_amqp_ok(&b->f, c, who)) {
			vb_mw_amqp_close(c);
			c = NULL;
		}
	}
	pthread_barrier_wait(&b->start);
	/* Subscribed once the clock runs: no delivery comes before it. */
	if (c && !b->f.failed) {
		amqp_basic_consume(c, CHANNEL, amqp_cstring_bytes(QUEUE), amqp_empty_bytes, 0, 0, 0,
				   amqp_empty_table);
		if (!vb_mw_amqp_ok(&b->f, c, who)) {
			vb_mw_amqp_close(c);
			c = NULL;
		}
	}
	if (!c)
		return NULL;
	double idle_since = vb_mw_now();
	while (!b->f.failed && b->consumed < b->messages) {
		amqp_maybe_release_buffers(c);
		amqp_envelope_t env;
		struct timeval tv = { 0, 200000 };
		amqp_rpc_reply_t res = amqp_consume_message(c, &env, &tv, 0);
		if (res.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    res.library_error == AMQP_STATUS_TIMEOUT) {
			if (vb_mw_now() - idle_since > b->timeout_s)
				vb_mw_fault_set(
				    &b->f, "%s: no message for %.0f s with %llu of %llu consumed",
				    who, b->timeout_s, (unsigned long long)b->consumed,
				    (unsigned long long)b->messages);
			continue;
		}
		char text[256];
		vb_mw_amqp_reply_text(res, text, sizeof(text));
		if (text[0]) {
			vb_mw_fault_set(&b->f, "%s: after %llu of %llu messages: %s", who,
					(unsigned long long)b->consumed,
					(unsigned long long)b->messages, text);
			break;
		}
		idle_since = vb_mw_now();
		uint64_t h = vb_obs_hash(env.message.body.bytes, env.message.body.len);
		int r = amqp_basic_ack(c, CHANNEL, env.delivery_tag, 0);
		amqp_destroy_envelope(&env);
		if (r != AMQP_STATUS_OK) {
			vb_mw_fault_set(&b->f, "%s: acking a message: %s", who,
					vb_mw_amqp_status(r));
			break;
		}
		atomic_fetch_add(&b->consumed_sum, h);
		if (atomic_fetch_add(&b->consumed, 1) + 1 == b->messages)
			b->t_consumed = vb_mw_now();
	}
	vb_mw_amqp_close(c);
	return NULL;
}

/* Run n threads of fn over the workers; 0 when none failed. */
static int run_threads(struct broker *b, struct worker *w, void *(*fn)(void *))
{
	pthread_t *t = calloc(b->threads, sizeof(*t));
	if (!t)
		abort();
	pthread_barrier_init(&b->start, NULL, (unsigned)b->threads + 1);
	for (uint64_t i = 0; i < b->threads; i++)
		if (pthread_create(&t[i], NULL, fn, &w[i]))
			abort();
	pthread_barrier_wait(&b->start);
	b->t0 = vb_mw_now();
	for (uint64_t i = 0; i < b->threads; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&b->start);
	free(t);
	return b->f.failed ? -1 : 0;
}

/* Declare the queue (or, with count, read how many messages it holds). */
static int queue(struct broker *b, bool declare, uint32_t *count)
{
	amqp_connection_state_t c = open_conn(b, "queue");
	if (!c)
		return -1;
	amqp_queue_declare_ok_t *ok = amqp_queue_declare(
	    c, CHANNEL, amqp_cstring_bytes(QUEUE), !declare, b->durable, 0, 0, amqp_empty_table);
	const char *what = declare ? "declaring the queue" : "reading the queue";
	int r = vb_mw_amqp_ok(&b->f, c, what) && ok ? 0 : -1;
	if (r && !b->f.failed)
		vb_mw_fault_set(&b->f, "%s: no answer", what);
	if (!r && count)
		*count = ok->message_count;
	if (!r && declare) {
		amqp_queue_purge(c, CHANNEL, amqp_cstring_bytes(QUEUE));
		r = vb_mw_amqp_ok(&b->f, c, "purging the queue") ? 0 : -1;
	}
	vb_mw_amqp_close(c);
	return r;
}

/* Delete the queue: the broker is left as it was found. */
static int drop_queue(struct broker *b)
{
	amqp_connection_state_t c = open_conn(b, "queue");
	if (!c)
		return -1;
	amqp_queue_delete(c, CHANNEL, amqp_cstring_bytes(QUEUE), 0, 0);
	int r = vb_mw_amqp_ok(&b->f, c, "deleting the queue") ? 0 : -1;
	vb_mw_amqp_close(c);
	return r;
}

int vb_mw_broker(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "messages", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "prefetch", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "durable", no_argument, NULL, 'd' },
		{ "ping", no_argument, NULL, 'P' },
		{ 0 },
	};
	struct broker b = { .host = "127.0.0.1",
			    .messages = 10000,
			    .threads = 8,
			    .seed = 1,
			    .prefetch = 100,
			    .timeout_s = 60 };
	bool ping = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (opt) {
		case 'H':
			b.host = optarg;
			break;
		case 'p':
			b.port = (int)vb_mw_num("--port", optarg, 1, 65535);
			break;
		case 'm':
			b.messages = vb_mw_num("--messages", optarg, 1, 100000000);
			break;
		case 't':
			b.threads = vb_mw_num("--threads", optarg, 1, 256);
			break;
		case 's':
			b.seed = vb_mw_num("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'f':
			b.prefetch = vb_mw_num("--prefetch", optarg, 1, 65535);
			break;
		case 'T':
			b.timeout_s = (double)vb_mw_num("--timeout", optarg, 1, 86400);
			break;
		case 'd':
			b.durable = true;
			break;
		case 'P':
			ping = true;
			break;
		default:
			return 2;
		}
	}
	if (!b.port || optind != argc) {
		fprintf(stderr, "error: broker: --port is required, and nothing else\n");
		return 2;
	}
	vb_mw_fault_init(&b.f);
	if (ping) {
		b.timeout_s = 5;
		amqp_connection_state_t c = open_conn(&b, "ping");
		vb_mw_amqp_close(c);
		return c ? 0 : vb_mw_fault_exit(&b.f);
	}
	if (queue(&b, true, NULL))
		return vb_mw_fault_exit(&b.f);
	struct worker *w = calloc(b.threads, sizeof(*w));
	if (!w)
		abort();
	for (uint64_t i = 0; i < b.threads; i++) {
		w[i] = (struct worker){ .b = &b, .id = (unsigned)i + 1 };
		vb_mw_share(b.messages, b.threads, i, &w[i].first, &w[i].count);
	}
	int r = run_threads(&b, w, publisher);
	double t_pub = 0;
	uint64_t sum = 0;
	for (uint64_t i = 0; i < b.threads; i++) {
		t_pub = w[i].t_end > t_pub ? w[i].t_end : t_pub;
		sum += w[i].sum;
	}
	double publish_s = t_pub - b.t0;
	uint32_t held = 0;
	if (!r)
		r = queue(&b, false, &held);
	if (!r && held != b.messages)
		r = vb_mw_fail("the queue holds %u messages after %llu were confirmed", held,
			       (unsigned long long)b.messages);
	for (uint64_t i = 0; !r && i < b.threads; i++)
		w[i] = (struct worker){ .b = &b, .id = (unsigned)i + 1 };
	if (!r)
		r = run_threads(&b, w, consumer);
	double consume_s = b.t_consumed - b.t0;
	if (!r && (b.consumed != b.messages || b.consumed_sum != sum))
		r = vb_mw_fail("consumed %llu messages (checksum %016llx), published %llu "
			       "(checksum %016llx)",
			       (unsigned long long)b.consumed, (unsigned long long)b.consumed_sum,
			       (unsigned long long)b.messages, (unsigned long long)sum);
	if (!r)
		r = queue(&b, false, &held);
	if (!r && held)
		r = vb_mw_fail("the queue still holds %u messages after all were consumed", held);
	if (!r)
		r = drop_queue(&b);
	free(w);
	if (r) {
		if (b.f.failed)
			vb_mw_fault_exit(&b.f);
		return 1;
	}
	printf("publish_s %.6f\npublish_rate %.3f\nconsume_s %.6f\nconsume_rate %.3f\n", publish_s,
	       (double)b.messages / publish_s, consume_s, (double)b.messages / consume_s);
	return 0;
}
