/* SPDX-License-Identifier: MIT */
/*
 * app.nginx (§4.7, fig. 4.15): nginx serving one fixed 3,064-byte page to
 * an HTTP load generator on loopback, as the study's harness did: Apache
 * bench, `ab -n 500000 -c 100`, no keep-alive (client=ab), or wrk's
 * scalable client with --latency (client=wrk). ab is single-threaded and
 * saturates a core near 12k requests/s on this kind of host, so the
 * client's CPU share is a metric: near 100 % of a core, the figure is the
 * client's, not the server's.
 *
 * nginx runs as www-data from a configuration of virtbench's own in the
 * job's scratch (never the guest's /etc/nginx), master and workers in the
 * service's PID namespace (service.h). Before the load the page is fetched
 * once and compared byte for byte; afterwards any failed, short or
 * non-2xx request fails the sample.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/service.h"

#define PAGE_BYTES 3064

struct nginx_opts {
	uint64_t requests;
	uint64_t concurrency;
	uint64_t client;
	uint64_t duration_s;
	uint64_t port;
	uint64_t access_log;
	uint64_t workers;
	uint64_t where;
};

enum { CLIENT_AB, CLIENT_WRK };
static const char *const clients[] = { "ab", "wrk", NULL };
enum { WHERE_GUEST, WHERE_HOST };
static const char *const wheres[] = { "guest", "host", NULL };

static const struct vb_option nginx_options[] = {
	VB_OPTION("requests", VB_OPT_U64, struct nginx_opts, requests, 50000, 500000, 100,
		  100000000, "client=ab: requests in all (ab -n)"),
	VB_OPTION("concurrency", VB_OPT_U64, struct nginx_opts, concurrency, 100, 100, 1, 10000,
		  "requests in flight (ab -c, wrk -c)"),
	VB_OPTION_CHOICE("client", struct nginx_opts, client, CLIENT_AB, CLIENT_AB, clients,
			 "the load generator: ab (the study's) or wrk"),
	VB_OPTION("duration_s", VB_OPT_U64, struct nginx_opts, duration_s, 5, 30, 1, 3600,
		  "client=wrk: seconds of load (wrk -d)"),
	VB_OPTION("port", VB_OPT_U64, struct nginx_opts, port, 0, 0, 0, 65535,
		  "TCP port on 127.0.0.1; 0: a free one"),
	VB_OPTION("access_log", VB_OPT_BOOL, struct nginx_opts, access_log, 1, 1, 0, 1,
		  "nginx writes its access log (as a stock nginx does)"),
	VB_OPTION("workers", VB_OPT_U64, struct nginx_opts, workers, 0, 0, 0, 256,
		  "nginx worker processes; 0: one per CPU (worker_processes auto)"),
	VB_OPTION_CHOICE("where", struct nginx_opts, where, WHERE_GUEST, WHERE_GUEST, wheres,
			 "where the client runs: in the guest on loopback (the study's), or on "
			 "the host over the run's network"),
	{ 0 },
};

static const struct vb_metric_desc nginx_metrics[] = {
	{ "requests_per_s", "req/s", true, "requests served per second" },
	{ "latency_p50", "ms", false, "median time of a request" },
	{ "latency_p99", "ms", false, "99th percentile time of a request" },
	{ "client_cpu", "%", false, "CPU the client used, % of one CPU (100: ab saturated)" },
	{ 0 },
};

/* The page: HTML of exactly PAGE_BYTES bytes, the same on every platform. */
static char *make_page(void)
{
	static const char head[] = "<!DOCTYPE html>\n<html><head><title>virtbench</title></head>"
				   "<body>\n<h1>virtbench app.nginx test page</h1>\n";
	static const char tail[] = "</body></html>\n";
	char *p = xmalloc(PAGE_BYTES + 1);
	size_t n = 0;
	memcpy(p, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	unsigned line = 0;
	while (n < PAGE_BYTES - (sizeof(tail) - 1)) {
		char buf[80];
		int k = snprintf(buf, sizeof(buf), "<p>line %04u of the fixed 3064-byte page</p>\n",
				 line++);
		size_t room = PAGE_BYTES - (sizeof(tail) - 1) - n;
		size_t take = (size_t)k < room ? (size_t)k : room;
		memcpy(p + n, buf, take);
		n += take;
	}
	memcpy(p + n, tail, sizeof(tail) - 1);
	p[PAGE_BYTES] = '\0';
	return p;
}

/* "Label:   value" in ab's or wrk's report: the value's text, or NULL. */
static const char *field(const char *out, const char *label)
{
	const char *p = out;
	size_t n = strlen(label);
	while ((p = strstr(p, label))) {
		if (p == out || p[-1] == '\n') {
			p += n;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p += n;
	}
	return NULL;
}

static int num_field(const char *out, const char *label, double *v)
{
	const char *p = field(out, label);
	char *end;
	if (!p)
		return -ENOENT;
	*v = strtod(p, &end);
	return end == p ? -EINVAL : 0;
}

/*
 * ab's percentiles from its -e file ("50,8.123": percent, ms): the report's
 * own table has whole milliseconds only, too coarse below 10 ms.
 */
static int ab_percentile(const char *csv, const char *pct, double *v)
{
	_cleanup_free_ char *label = xasprintf("\n%s,", pct);
	const char *p = strstr(csv, label);
	char *end;
	if (!p)
		return -ENOENT;
	p += strlen(label);
	*v = strtod(p, &end);
	return end == p ? -EINVAL : 0;
}

/* wrk's "     99%    7.90ms" lines: us, ms or s. */
static int wrk_percentile(const char *out, const char *pct, double *v)
{
	_cleanup_free_ char *label = xasprintf("     %s%%", pct);
	const char *p = field(out, label);
	char *end;
	if (!p)
		return -ENOENT;
	double x = strtod(p, &end);
	if (end == p)
		return -EINVAL;
	if (!strncmp(end, "us", 2))
		x /= 1000.0;
	else if (!strncmp(end, "ms", 2))
		;
	else if (*end == 's')
		x *= 1000.0;
	else if (!strncmp(end, "m", 1))
		x *= 60000.0;
	else
		return -EINVAL;
	*v = x;
	return 0;
}

static int parse_ab(const char *out, const char *csv, const struct nginx_opts *o, double *values,
		    struct vb_error **err)
{
	double complete, failed, doclen, non2xx = 0;
	if (num_field(out, "Complete requests:", &complete) ||
	    num_field(out, "Failed requests:", &failed) ||
	    num_field(out, "Document Length:", &doclen) ||
	    num_field(out, "Requests per second:", &values[0]) ||
	    ab_percentile(csv, "50", &values[1]) || ab_percentile(csv, "99", &values[2]))
		return vb_error_set(err, -EPROTO, "app.nginx: ab's report lacks a figure");
	(void)num_field(out, "Non-2xx responses:", &non2xx);
	if (complete != (double)o->requests || failed != 0 || non2xx != 0)
		return vb_error_set(err, -EIO,
				    "app.nginx: ab completed %.0f of %llu requests, %.0f failed, "
				    "%.0f not 2xx",
				    complete, (unsigned long long)o->requests, failed, non2xx);
	if (doclen != PAGE_BYTES)
		return vb_error_set(err, -EIO, "app.nginx: ab got %.0f-byte pages, not %d", doclen,
				    PAGE_BYTES);
	return 0;
}

/* A latency distribution whose 99th percentile lies below its median is no distribution. */
static int check_percentiles(const double *values, struct vb_error **err)
{
	if (values[2] < values[1])
		return vb_error_set(err, -EPROTO, "app.nginx: p99 %.3f ms is below p50 %.3f ms",
				    values[2], values[1]);
	return 0;
}

static int parse_wrk(const char *out, double *values, struct vb_error **err)
{
	double requests, non2xx = 0;
	if (num_field(out, "Requests/sec:", &values[0]) || wrk_percentile(out, "50", &values[1]) ||
	    wrk_percentile(out, "99", &values[2]))
		return vb_error_set(err, -EPROTO, "app.nginx: wrk's report lacks a figure");
	const char *line = strstr(out, " requests in ");
	if (!line)
		return vb_error_set(err, -EPROTO, "app.nginx: wrk's report lacks its count");
	while (line > out && line[-1] != '\n')
		line--;
	requests = strtod(line, NULL);
	(void)num_field(out, "Non-2xx or 3xx responses:", &non2xx);
	const char *se = field(out, "Socket errors:");
	if (se || non2xx != 0 || requests <= 0) {
		_cleanup_free_ char *what = se ? xstrndup(se, strcspn(se, "\n")) : xstrdup("none");
		return vb_error_set(err, -EIO,
				    "app.nginx: wrk made %.0f requests, %.0f not 2xx/3xx, socket "
				    "errors: %s",
				    requests, non2xx, what);
	}
	return 0;
}

static char *nginx_conf(const struct vb_svc *s, const struct nginx_opts *o, uint16_t port)
{
	_cleanup_free_ char *workers =
	    o->workers ? xasprintf("%llu", (unsigned long long)o->workers) : xstrdup("auto");
	_cleanup_free_ char *alog =
	    o->access_log ? xasprintf("%s/access.log", s->seen) : xstrdup("off");
	return xasprintf("# virtbench app.nginx: written per job, removed after it\n"
			 "daemon off;\n"
			 "master_process on;\n"
			 "worker_processes %s;\n"
			 "pid %s/nginx.pid;\n"
			 "error_log %s/error.log warn;\n"
			 "events { worker_connections 4096; }\n"
			 "http {\n"
			 "  types { text/html html; }\n"
			 "  default_type application/octet-stream;\n"
			 "  access_log %s;\n"
			 "  sendfile on;\n"
			 "  keepalive_timeout 65;\n"
			 "  client_body_temp_path %s/tmp-body;\n"
			 "  proxy_temp_path %s/tmp-proxy;\n"
			 "  fastcgi_temp_path %s/tmp-fastcgi;\n"
			 "  uwsgi_temp_path %s/tmp-uwsgi;\n"
			 "  scgi_temp_path %s/tmp-scgi;\n"
			 "  server {\n"
			 "    listen %s%u;\n"
			 "    root %s/www;\n"
			 "  }\n"
			 "}\n",
			 workers, s->seen, s->seen, alog, s->seen, s->seen, s->seen, s->seen,
			 s->seen, o->where == WHERE_HOST ? "" : "127.0.0.1:", port, s->seen);
}

static int nginx_run(const struct vb_workload_ctx *ctx, const void *vo, double *values,
		     struct vb_error **err)
{
	const struct nginx_opts *o = vo;
	static const char *const nginx_bins[] = { "/usr/sbin/nginx", NULL };
	_cleanup_free_ char *nginx = NULL;
	int r = vb_app_program(nginx_bins, "nginx", &nginx, err);
	if (!r && o->where == WHERE_HOST && !ctx->peer)
		r = vb_error_set(err, -EINVAL,
				 "app.nginx where=host: this run has no peer on the host");
	/* where=guest: server and client alone in a network namespace (service.h). */
	int netns = -1;
	if (!r && o->where == WHERE_GUEST)
		r = vb_svc_net_enter(&netns, err);
	uint16_t port = 0;
	if (!r)
		r = vb_app_port(o->port, &port, err);
	if (r) {
		vb_svc_net_leave(&netns);
		return r;
	}

	struct vb_svc s;
	r = vb_svc_open(&s, "nginx", ctx->scratch_dir, "www-data", err);
	_cleanup_free_ char *page = make_page();
	_cleanup_free_ char *conf = r ? NULL : nginx_conf(&s, o, port);
	_cleanup_free_ char *www = r ? NULL : xasprintf("%s/www", s.dir);
	if (!r && (mkdir(www, 0755) < 0 || chown(www, s.uid, s.gid) < 0))
		r = vb_error_errno(err, errno, "app.nginx: cannot create %s", www);
	if (!r)
		r = vb_svc_write(&s, "nginx.conf", conf, strlen(conf), err);
	if (!r)
		r = vb_svc_write(&s, "www/test.html", page, PAGE_BYTES, err);
	_cleanup_free_ char *confpath = r ? NULL : xasprintf("%s/nginx.conf", s.seen);
	_cleanup_free_ char *prefix = r ? NULL : xasprintf("%s/", s.seen);
	_cleanup_free_ char *elog = r ? NULL : xasprintf("%s/error.log", s.seen);
	char *argv[] = { nginx, "-p", prefix, "-e", elog, "-c", confpath, NULL };
	if (!r)
		r = vb_svc_start(&s, argv, err);
	if (!r)
		r = vb_svc_wait_ready(&s, NULL, port, NULL, 60, ctx->stop, err);

	/* The page as served, byte for byte, before the load. */
	_cleanup_free_ char *body = NULL;
	size_t blen = 0;
	if (!r)
		r = vb_http_get(port, "/test.html", 10, &body, &blen, err);
	if (!r && (blen != PAGE_BYTES || memcmp(body, page, PAGE_BYTES)))
		r = vb_error_set(err, -EIO,
				 "app.nginx: nginx served %zu bytes that are not the page", blen);

	struct vb_client_result cr = { 0 };
	if (!r) {
		uint64_t cpus = ctx->online_cpus ? ctx->online_cpus : 1;
		struct vb_load l = { .tool = o->client == CLIENT_AB ? VB_LOAD_AB : VB_LOAD_WRK,
				     .port = port };
		if (o->client == CLIENT_AB) {
			l.arg[0] = o->requests;
			l.arg[1] = o->concurrency < o->requests ? o->concurrency : o->requests;
		} else {
			l.arg[0] = cpus < o->concurrency ? cpus : o->concurrency;
			l.arg[1] = o->concurrency;
			l.arg[2] = o->duration_s;
		}
		_cleanup_free_ char *what = xasprintf("app.nginx: %s", clients[o->client]);
		r = vb_svc_load(&s, &l, o->where == WHERE_HOST ? ctx->peer : NULL, ctx->stop, what,
				&cr, err);
		if (!r)
			r = o->client == CLIENT_AB ? parse_ab(cr.out, cr.out, o, values, err)
						   : parse_wrk(cr.out, values, err);
		if (!r)
			r = check_percentiles(values, err);
		if (!r)
			values[3] = cr.wall_s > 0 ? 100.0 * cr.cpu_s / cr.wall_s : 0;
	}
	vb_client_result_release(&cr);
	vb_svc_stop(&s, SIGQUIT, 10);
	vb_svc_close(&s);
	vb_svc_net_leave(&netns);
	return r;
}

const struct vb_workload_ops vb_workload_app_nginx = {
	.name = "app.nginx",
	.group = "app",
	.summary = "nginx serving a 3,064-byte page to ab (or wrk) on loopback",
	.study_ref = "§4.7, fig. 4.15",
	.options = nginx_options,
	.opts_size = sizeof(struct nginx_opts),
	.metrics = nginx_metrics,
	.packages = "nginx,apache2-utils,wrk",
	.run = nginx_run,
};
