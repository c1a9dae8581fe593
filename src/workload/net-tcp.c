/* SPDX-License-Identifier: MIT */
/*
 * w3 (§4.4): TCP between the agent and a peer virtbench starts on the far
 * side (on host: loopback; for guests: the host side of their network).
 * net.tcp is iperf-like bulk throughput; net.rr is request/response latency
 * (netperf TCP_RR-like). Both end with the peer's byte count, which must
 * equal what was sent. Bounded in time and in bytes.
 */
#include <sys/socket.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/net-common.h"

struct tcp_opts {
	uint64_t duration_ms;
	uint64_t buffer;
	uint64_t max_bytes;
};

static int tcp_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		   struct vb_error **err)
{
	const struct tcp_opts *opts = o;
	_cleanup_close_ int fd =
	    vb_peer_connect(ctx->peer, VB_PEER_SINK, opts->max_bytes, "net.tcp", err);
	if (fd < 0)
		return fd;
	_cleanup_free_ char *buf = xmalloc(opts->buffer);
	for (size_t i = 0; i < opts->buffer; i++)
		buf[i] = (char)(i * 7);
	uint64_t sent = 0;
	double t0 = vb_now(), limit = (double)opts->duration_ms / 1000;
	while (sent < opts->max_bytes && vb_now() - t0 < limit) {
		if (ctx->stop && *ctx->stop)
			return vb_error_set(err, -EINTR, "net.tcp: stopped");
		size_t n = opts->buffer;
		if (n > opts->max_bytes - sent)
			n = (size_t)(opts->max_bytes - sent);
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return vb_error_errno(err, errno, "net.tcp: sending to the peer");
		sent += (uint64_t)w;
	}
	shutdown(fd, SHUT_WR);
	uint64_t got;
	int r = vb_peer_read_count(fd, &got, "net.tcp", err);
	/* The clock stops when the peer has everything, not when our buffer took it. */
	double elapsed = vb_now() - t0;
	if (r)
		return r;
	if (got != sent)
		return vb_error_set(err, -EIO, "net.tcp: sent %llu bytes, the peer received %llu",
				    (unsigned long long)sent, (unsigned long long)got);
	if (ctx->log) {
		char msg[128];
		snprintf(msg, sizeof(msg), "sent %.1f MiB in %.3f s; the peer received all of it",
			 (double)sent / (double)VB_MIB, elapsed);
		ctx->log(ctx->log_data, msg);
	}
	values[0] = (double)sent * 8 / elapsed / 1e6;
	return 0;
}

static const struct vb_option tcp_options[] = {
	VB_OPTION("duration_ms", VB_OPT_U64, struct tcp_opts, duration_ms, 1000, 10000, 10,
		  3600 * 1000, "how long to send"),
	VB_OPTION("buffer", VB_OPT_SIZE, struct tcp_opts, buffer, 128 * VB_KIB, 128 * VB_KIB, 1,
		  64 * VB_MIB, "bytes per write (iperf3's default is 128 KiB)"),
	VB_OPTION("max_bytes", VB_OPT_SIZE, struct tcp_opts, max_bytes, 64 * VB_GIB, 1024 * VB_GIB,
		  1, 1024 * VB_GIB, "stop after this many bytes even if time is left"),
	{ 0 },
};

static const struct vb_metric_desc tcp_metrics[] = {
	{ "throughput", "Mbit/s", true, "bytes the peer received, per second, in Mbit/s" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_net_tcp = {
	.name = "net.tcp",
	.group = "w3",
	.summary = "TCP bulk throughput to a peer virtbench starts (iperf-like)",
	.study_ref = "§4.4",
	.options = tcp_options,
	.opts_size = sizeof(struct tcp_opts),
	.metrics = tcp_metrics,
	.needs_peer = true,
	.run = tcp_run,
};

struct rr_opts {
	uint64_t count;
	uint64_t size;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p / 100 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	return sorted[(rank > n ? n : rank) - 1];
}

static int rr_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		  struct vb_error **err)
{
	const struct rr_opts *opts = o;
	uint64_t total = opts->count * opts->size;
	_cleanup_close_ int fd = vb_peer_connect(ctx->peer, VB_PEER_ECHO, total, "net.rr", err);
	if (fd < 0)
		return fd;
	_cleanup_free_ char *out = xmalloc(opts->size);
	_cleanup_free_ char *in = xmalloc(opts->size);
	_cleanup_free_ double *lat = xcalloc(opts->count, sizeof(double));
	double t0 = vb_now();
	for (uint64_t i = 0; i < opts->count; i++) {
		if (ctx->stop && *ctx->stop)
			return vb_error_set(err, -EINTR, "net.rr: stopped");
		memset(out, (int)(i & 0xff), opts->size);
		double s = vb_now();
		int r = vb_write_all(fd, out, opts->size);
		if (!r)
			r = vb_read_full(fd, in, opts->size);
		if (r)
			return vb_error_errno(err, -r, "net.rr: transaction %llu with the peer",
					      (unsigned long long)i);
		lat[i] = (vb_now() - s) * 1e6;
		if (memcmp(in, out, opts->size))
			return vb_error_set(err, -EIO, "net.rr: the peer echoed other bytes");
	}
	double elapsed = vb_now() - t0;
	shutdown(fd, SHUT_WR);
	uint64_t got;
	int r = vb_peer_read_count(fd, &got, "net.rr", err);
	if (r)
		return r;
	if (got != total)
		return vb_error_set(err, -EIO, "net.rr: sent %llu bytes, the peer echoed %llu",
				    (unsigned long long)total, (unsigned long long)got);
	qsort(lat, opts->count, sizeof(double), cmp_double);
	values[0] = percentile(lat, opts->count, 50);
	values[1] = percentile(lat, opts->count, 99);
	values[2] = (double)opts->count / elapsed;
	return 0;
}

static const struct vb_option rr_options[] = {
	VB_OPTION("count", VB_OPT_U64, struct rr_opts, count, 12000, 20000, 1, 10000000,
		  "request/response transactions"),
	VB_OPTION("size", VB_OPT_SIZE, struct rr_opts, size, 64, 64, 1, VB_MIB,
		  "bytes per request (and per response)"),
	{ 0 },
};

static const struct vb_metric_desc rr_metrics[] = {
	{ "p50", "us", false, "median round-trip time" },
	{ "p99", "us", false, "99th percentile round-trip time" },
	{ "rate", "transactions/s", true, "transactions per second, one at a time" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_net_rr = {
	.name = "net.rr",
	.group = "w3",
	.summary = "TCP request/response latency to a peer virtbench starts (netperf TCP_RR-like)",
	.study_ref = "§4.4",
	.options = rr_options,
	.opts_size = sizeof(struct rr_opts),
	.metrics = rr_metrics,
	.needs_peer = true,
	.run = rr_run,
};
