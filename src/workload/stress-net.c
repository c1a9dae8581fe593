/* SPDX-License-Identifier: MIT */
/*
 * Aggressor (§6, the study's `stress` for the network): `workers`
 * connections flood the w3 peer for `duration_ms` (0 = until stopped) and
 * report what they moved; the peer's byte counts must match.
 */
#include <pthread.h>
#include <sys/socket.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/net-common.h"

struct snet_opts {
	uint64_t workers;
	uint64_t duration_ms;
	uint64_t buffer;
};

struct snet_worker {
	const struct vb_workload_ctx *ctx;
	const struct snet_opts *opts;
	double deadline; /* 0 = none */
	uint64_t sent;
	struct vb_error *err;
};

static void *snet_thread(void *arg)
{
	struct snet_worker *w = arg;
	int fd =
	    vb_peer_connect(w->ctx->peer, VB_PEER_SINK, VB_PEER_MAX_BYTES, "stress.net", &w->err);
	if (fd < 0)
		return NULL;
	_cleanup_free_ char *buf = xcalloc(1, w->opts->buffer);
	while (!(w->ctx->stop && *w->ctx->stop) && (w->deadline == 0 || vb_now() < w->deadline) &&
	       w->sent + w->opts->buffer <= VB_PEER_MAX_BYTES) {
		ssize_t n = write(fd, buf, w->opts->buffer);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			vb_error_errno(&w->err, errno, "stress.net: sending to the peer");
			close(fd);
			return NULL;
		}
		w->sent += (uint64_t)n;
	}
	shutdown(fd, SHUT_WR);
	uint64_t got;
	if (!vb_peer_read_count(fd, &got, "stress.net", &w->err) && got != w->sent)
		vb_error_set(&w->err, -EIO, "stress.net: sent %llu bytes, the peer received %llu",
			     (unsigned long long)w->sent, (unsigned long long)got);
	close(fd);
	return NULL;
}

static int snet_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct snet_opts *opts = o;
	return vb_check_duration("stress.net", opts->duration_ms, ctx, err);
}

static int snet_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		    struct vb_error **err)
{
	const struct snet_opts *opts = o;
	int r = snet_check(o, ctx, err);
	if (r)
		return r;
	_cleanup_free_ struct snet_worker *w = xcalloc(opts->workers, sizeof(*w));
	_cleanup_free_ pthread_t *t = xcalloc(opts->workers, sizeof(*t));
	double t0 = vb_now();
	size_t started = 0;
	for (; started < opts->workers; started++) {
		w[started] = (struct snet_worker){
			.ctx = ctx,
			.opts = opts,
			.deadline = opts->duration_ms ? t0 + (double)opts->duration_ms / 1000 : 0,
		};
		r = pthread_create(&t[started], NULL, snet_thread, &w[started]);
		if (r)
			break;
	}
	uint64_t total = 0;
	for (size_t i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		total += w[i].sent;
	}
	double elapsed = vb_now() - t0;
	int ret =
	    r ? vb_error_errno(err, r, "stress.net: cannot start worker %zu", started + 1) : 0;
	for (size_t i = 0; i < started; i++)
		if (w[i].err && !ret) {
			ret = w[i].err->code;
			vb_error_keep(err, &w[i].err);
		} else
			vb_error_free(&w[i].err);
	if (ret)
		return ret;
	values[0] = (double)total / (double)VB_MIB;
	values[1] = (double)total / (double)VB_MIB / elapsed;
	return 0;
}

static const struct vb_option snet_options[] = {
	VB_OPTION("workers", VB_OPT_U64, struct snet_opts, workers, 1, 2, 1, 64,
		  "parallel connections"),
	VB_OPTION("duration_ms", VB_OPT_U64, struct snet_opts, duration_ms, 500, 0, 0, 86400 * 1000,
		  "how long to flood (0 = until stopped)"),
	VB_OPTION("buffer", VB_OPT_SIZE, struct snet_opts, buffer, 128 * VB_KIB, 128 * VB_KIB, 1,
		  64 * VB_MIB, "bytes per write"),
	{ 0 },
};

static const struct vb_metric_desc snet_metrics[] = {
	{ "sent", "MiB", true, "bytes the peer received" },
	{ "rate", "MiB/s", true, "bytes per second, all workers" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_stress_net = {
	.name = "stress.net",
	.group = "aggressor",
	.summary = "network aggressor: floods the w3 peer until its time is up or it is stopped",
	.study_ref = "§6",
	.options = snet_options,
	.opts_size = sizeof(struct snet_opts),
	.metrics = snet_metrics,
	.needs_peer = true,
	.check = snet_check,
	.run = snet_run,
};
