/* SPDX-License-Identifier: MIT */
/*
 * mw.broker (study §4.8.2, figs. 4.22-4.23): RabbitMQ, the Intelligent
 * River's message broker, started in the guest as a service; observations
 * published by threads on connections of their own, with publisher confirms
 * closing the timing, then consumed with a prefetch window and acks
 * (virtbench-mw broker). Every message is accounted for (count and
 * checksum) or the sample fails. durable=1: a durable queue and persistent
 * messages, the broker writing each to its disk.
 */
#include <stdio.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/mw-common.h"

struct broker_opts {
	uint64_t messages;
	uint64_t threads;
	uint64_t durable;
	uint64_t prefetch;
	uint64_t seed;
	uint64_t port;
};

static const struct vb_option broker_options[] = {
	VB_OPTION("messages", VB_OPT_U64, struct broker_opts, messages, 10000, 50000, 1, 10000000,
		  "observations published, then consumed"),
	VB_OPTION("threads", VB_OPT_U64, struct broker_opts, threads, 8, 8, 1, 256,
		  "publishers, then consumers, each on its own connection"),
	VB_OPTION("durable", VB_OPT_BOOL, struct broker_opts, durable, 0, 0, 0, 1,
		  "a durable queue and persistent messages"),
	VB_OPTION("prefetch", VB_OPT_U64, struct broker_opts, prefetch, 100, 100, 1, 65535,
		  "unacknowledged messages a consumer may hold (basic.qos)"),
	VB_OPTION("seed", VB_OPT_U64, struct broker_opts, seed, 1, 1, 0, UINT32_MAX,
		  "the observation stream's seed: the same messages on every platform"),
	VB_OPTION("port", VB_OPT_U64, struct broker_opts, port, 0, 0, 0, 65535,
		  "AMQP port on 127.0.0.1; 0: a free one"),
	{ 0 },
};

static const struct vb_metric_desc broker_metrics[] = {
	{ "publish_rate", "msg/s", true, "messages published and confirmed per second" },
	{ "consume_rate", "msg/s", true, "messages consumed and acknowledged per second" },
	{ "publish_s", "s", false, "publishing every message until the last confirm" },
	{ "consume_s", "s", false, "consuming every message until the last ack" },
	{ "start_s", "s", false, "the broker's start until an AMQP login succeeds" },
	{ 0 },
};

static const struct vb_mw_server rabbitmq = {
	.what = "the broker",
	.flag = "--port",
	.start = vb_mw_rabbitmq_start,
	.stop_signal = SIGTERM, /* the server's script stops the node through rabbitmqctl */
	.secret_env = "VB_MW_SECRET",
};

static int broker_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
		      struct vb_error **err)
{
	const struct broker_opts *o = vo;
	_cleanup_free_ char *m = xasprintf("%llu", (unsigned long long)o->messages);
	_cleanup_free_ char *t = xasprintf("%llu", (unsigned long long)o->threads);
	_cleanup_free_ char *f = xasprintf("%llu", (unsigned long long)o->prefetch);
	_cleanup_free_ char *seed = xasprintf("%llu", (unsigned long long)o->seed);
	char *extra[] = { "--messages",
			  m,
			  "--threads",
			  t,
			  "--prefetch",
			  f,
			  "--seed",
			  seed,
			  "--timeout",
			  "120",
			  o->durable ? "--durable" : NULL,
			  NULL };
	/* A thousand messages a second at least, even emulated, plus ten minutes. */
	double timeout = 600.0 + (double)o->messages * 2 / 1000.0;
	static const struct vb_mw_server *const servers[] = { &rabbitmq, NULL };
	return vb_mw_run(ctx, "mw.broker", servers, o->port, NULL, "broker", extra, timeout,
			 broker_metrics, values, err);
}

const struct vb_workload_ops vb_workload_mw_broker = {
	.name = "mw.broker",
	.group = "middleware",
	.summary = "RabbitMQ 3.10: observations published with confirms, then consumed with acks",
	.study_ref = "§4.8.2, figs. 4.22-4.23",
	.options = broker_options,
	.opts_size = sizeof(struct broker_opts),
	.metrics = broker_metrics,
	.packages = "rabbitmq-server," VB_MW_LIBS,
	.run = broker_run,
};
