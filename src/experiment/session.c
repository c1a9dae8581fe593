/* SPDX-License-Identifier: MIT */
/*
 * The experiment engine's session (session.h): the steps every experiment
 * shares, written once. An experiment is a plan of what to run where; the
 * session claims, starts, records, executes, stores and ends.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/session.h"

char *vb_workload_params_json(const struct vb_workload_ops *w, const void *opts)
{
	_cleanup_json_ json_t *o = json_object();
	for (const struct vb_option *opt = w->options; opt->name; opt++) {
		uint64_t v = vb_option_get(opt, opts);
		json_object_set_new(o, opt->name,
				    opt->type == VB_OPT_BOOL	 ? json_boolean(v)
				    : opt->type == VB_OPT_CHOICE ? json_string(opt->choices[v])
								 : json_integer((json_int_t)v));
	}
	return vb_json_line(o);
}

char *vb_guest_spec_json(const struct vb_guest_spec *spec)
{
	_cleanup_json_ json_t *o = json_object();
	static const char *const nets[] = { "none", "nat", "bridged" };
	json_object_set_new(o, "vcpus", json_integer(spec->vcpus));
	json_object_set_new(o, "memory_bytes", json_integer((json_int_t)spec->memory_bytes));
	json_object_set_new(o, "disk_bytes", json_integer((json_int_t)spec->disk_bytes));
	json_object_set_new(o, "net", json_string(nets[spec->net]));
	json_object_set_new(o, "image", spec->image ? json_string(spec->image) : json_null());
	return vb_json_line(o);
}

char *vb_guest_record_json(const struct vb_guest_spec *spec, const struct vb_platform_ops *ops,
			   struct vb_guest *g, const struct vb_guest_image *image)
{
	_cleanup_free_ char *text = vb_guest_spec_json(spec);
	_cleanup_free_ char *info = ops->guest_info && g ? ops->guest_info(g) : NULL;
	json_t *gi = info ? json_loads(info, 0, NULL) : NULL;
	if (!gi && !g && (ops->caps & VB_CAP_CONTAINER_DISK)) {
		gi = json_object();
		json_object_set_new(gi, "scratch",
				    json_string(vb_container_disk_name(spec->container_disk)));
	}
	if (ops->caps & (VB_CAP_ROOT_TREE | VB_CAP_ROOT_DISK)) {
		if (!gi)
			gi = json_object();
		json_t *root = json_object();
		enum vb_image_kind kind = image ? image->kind : VB_IMAGE_MINIMAL;
		json_object_set_new(root, "kind", json_string(vb_image_kind_name(kind)));
		json_object_set_new(root, "key",
				    image && image->key ? json_string(image->key) : json_null());
		json_t *pk = json_array();
		_cleanup_free_ char *list =
		    image && image->packages ? xstrdup(image->packages) : NULL;
		char *save = NULL;
		for (char *p = list ? strtok_r(list, ",", &save) : NULL; p;
		     p = strtok_r(NULL, ",", &save))
			json_array_append_new(pk, json_string(p));
		json_object_set_new(root, "packages", pk);
		json_object_set_new(gi, "root", root);
	}
	if (!gi)
		return steal_ptr(&text);
	_cleanup_json_ json_t *o = json_loads(text, 0, NULL);
	json_object_set_new(o, "guest", gi);
	return vb_json_line(o);
}

char *vb_guest_label(const char *label, const struct vb_platform_ops *ops,
		     const struct vb_guest_spec *spec)
{
	if (!(ops->caps & VB_CAP_CONTAINER_DISK) ||
	    spec->container_disk == VB_CONTAINER_DISK_VOLUME)
		return xstrdup(label);
	_cleanup_free_ char *disk =
	    xasprintf("disk=%s", vb_container_disk_name(spec->container_disk));
	size_t n = strlen(ops->name);
	if (strncmp(label, ops->name, n))
		return xasprintf("%s[%s]", label, disk);
	const char *rest = label + n, *close = strchr(rest, ']');
	if (rest[0] == '[' && close)
		return xasprintf("%.*s,%s%s", (int)(close - label), label, disk, close);
	return xasprintf("%s[%s]%s", ops->name, disk, rest);
}

int vb_session_open(struct vb_session *s, struct vb_store *db, const char *agent_path,
		    double ready_timeout_s, double job_timeout_s, bool progress,
		    struct vb_error **err)
{
	memset(s, 0, sizeof(*s));
	s->db = db;
	s->run_id = -1;
	s->progress = progress;
	int r = vb_run_claim(s->tag, &s->work_dir, err);
	if (r)
		return r;
	s->pctx = (struct vb_platform_ctx){
		.run_id = s->tag,
		.agent_path = agent_path,
		.work_dir = s->work_dir,
		.ready_timeout_s = ready_timeout_s,
		.job_timeout_s = job_timeout_s,
	};
	s->t0 = vb_monotonic_s();
	return 0;
}

int vb_session_begin(struct vb_session *s, const char *experiment, const char *command,
		     const char *profile, const char *config_json, struct vb_error **err)
{
	_cleanup_free_ char *host = vb_fingerprint_host();
	struct vb_run_begin rb = {
		.tag = s->tag,
		.experiment = experiment,
		.command = command,
		.profile = profile,
		.config_json = config_json,
		.host_json = host,
	};
	return vb_store_run_begin(s->db, &rb, &s->run_id, err);
}

int vb_session_add_workload(struct vb_session *s, int ord, const char *name, const char *group,
			    const char *params, const struct vb_metric_desc *metrics, int64_t *id,
			    struct vb_error **err)
{
	int r = vb_store_add_workload(s->db, s->run_id, ord, name, group, params, id, err);
	for (int m = 0; !r && metrics[m].name; m++)
		r = vb_store_add_metric(s->db, *id, m, metrics[m].name, metrics[m].unit,
					metrics[m].higher_is_better, err);
	return r;
}

int vb_session_guest_start(struct vb_session *s, const struct vb_platform_ops *ops,
			   const struct vb_guest_spec *spec, unsigned index, bool needs_peer,
			   struct vb_session_guest *out, struct vb_error **err)
{
	_cleanup_free_ char *name = xasprintf("%s-%u", s->tag, index);
	*out = (struct vb_session_guest){ .ops = ops, .peer = { .pid = -1, .in_fd = -1 } };
	int r = ops->provision(&s->pctx, spec, name, &out->g, err);
	if (!r)
		r = ops->start(out->g, err);
	const char *listen =
	    (!r && needs_peer && ops->peer_listen) ? ops->peer_listen(out->g) : NULL;
	if (!r && needs_peer && !listen)
		r = vb_error_set(err, VB_SKIP, "its guest has no network to a peer");
	if (!r && needs_peer) {
		_cleanup_free_ char *addr = xasprintf("%s:0", listen);
		r = vb_peer_start(s->pctx.agent_path, addr, vb_peer_netns(ops, out->g), &out->peer,
				  err);
	}
	if (r) {
		vb_session_guest_stop(out);
		return r;
	}
	vb_info("guest %s (%s) is up", name, ops->name);
	return 0;
}

void vb_session_guest_stop(struct vb_session_guest *g)
{
	if (g->g)
		g->ops->destroy(g->g);
	g->g = NULL;
	vb_peer_stop(&g->peer);
	g->peer = (struct vb_peer){ .pid = -1, .in_fd = -1 };
}

static void on_event(const struct vb_event *ev, void *data)
{
	struct vb_job_outcome *o = data;
	if (ev->type == VB_EV_LOG) {
		vb_info("%s: %s", o->w->name, ev->msg);
		if (o->on_log)
			o->on_log(o->on_log_data, ev->msg);
		return;
	}
	if (ev->type != VB_EV_SAMPLE)
		return;
	/* Take the values the workload declares; anything else is ignored. */
	size_t found = 0, nm = vb_workload_nmetrics(o->w);
	for (size_t m = 0; m < nm; m++)
		for (size_t i = 0; i < ev->nvalues; i++)
			if (!strcmp(ev->values[i].name, o->w->metrics[m].name)) {
				o->values[m] = ev->values[i].value;
				found++;
				break;
			}
	o->have = found == nm;
}

/* The job with its peer field: peer, else the w3 peer's address where w needs it. */
static void session_job(struct vb_session *s, struct vb_session_guest *g,
			const struct vb_workload_ops *w, const void *opts, const char *id,
			const char *peer, struct vb_job_outcome *out)
{
	_cleanup_free_ char *params = vb_workload_params_json(w, opts);
	struct vb_job job = { 0 };
	*out = (struct vb_job_outcome){ .w = w,
					.on_log = out->on_log,
					.on_log_data = out->on_log_data };
	out->values = xcalloc(vb_workload_nmetrics(w), sizeof(double));
	job.id = xasprintf("%s-%s", s->tag, id);
	job.workload = xstrdup(w->name);
	job.params = json_loads(params, 0, NULL);
	if (peer)
		job.peer = xstrdup(peer);
	else if (vb_workload_needs_peer(w, opts))
		job.peer = vb_peer_address(&g->peer, g->ops, g->g);
	out->start = vb_monotonic_s();
	out->rc = g->ops->exec(g->g, &job, on_event, out, &out->err);
	out->end = vb_monotonic_s();
	if (peer)
		explicit_bzero(job.peer, strlen(job.peer)); /* a pair's secret */
	vb_job_release(&job);
	if (!out->rc && !out->have)
		out->rc = vb_error_set(&out->err, -EPROTO, "agent finished without a full sample");
}

void vb_session_job(struct vb_session *s, struct vb_session_guest *g,
		    const struct vb_workload_ops *w, const void *opts, const char *id,
		    struct vb_job_outcome *out)
{
	out->on_log = NULL;
	session_job(s, g, w, opts, id, NULL, out);
}

/* The pair's job, on its own thread; ready or done wake the caller. */
struct pair_job {
	struct vb_session *s;
	struct vb_session_guest *g;
	const struct vb_workload_ops *w;
	void *opts;
	char id[24];
	const char *peer;
	struct vb_job_outcome out;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready, done;
};

static void pair_log(void *data, const char *msg)
{
	struct pair_job *pj = data;
	if (strcmp(msg, VB_PAIR_READY))
		return;
	pthread_mutex_lock(&pj->lock);
	pj->ready = true;
	pthread_cond_broadcast(&pj->cond);
	pthread_mutex_unlock(&pj->lock);
}

static void *pair_thread(void *data)
{
	struct pair_job *pj = data;
	pj->out.on_log = pair_log;
	pj->out.on_log_data = pj;
	session_job(pj->s, pj->g, pj->w, pj->opts, pj->id, pj->peer, &pj->out);
	pthread_mutex_lock(&pj->lock);
	pj->done = true;
	pthread_cond_broadcast(&pj->cond);
	pthread_mutex_unlock(&pj->lock);
	return NULL;
}

/*
 * The first of three free ports in a row on addr's loopback (the pair's
 * servers on host), or 5672 elsewhere: a guest's ports are its own.
 */
static uint16_t pair_base_port(const char *addr)
{
	if (strcmp(addr, "127.0.0.1"))
		return 5672;
	for (int tries = 0; tries < 64; tries++) {
		int fds[3] = { -1, -1, -1 };
		uint16_t base = 0;
		bool ok = true;
		for (int i = 0; ok && i < 3; i++) {
			struct sockaddr_in a = { .sin_family = AF_INET,
						 .sin_port = htons((uint16_t)(base + i)),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			ok = fds[i] >= 0 && (i == 0 || base + i <= 65535) &&
			     bind(fds[i], (struct sockaddr *)&a, sizeof(a)) == 0;
			socklen_t len = sizeof(a);
			if (ok && i == 0 && getsockname(fds[0], (struct sockaddr *)&a, &len) == 0)
				base = ntohs(a.sin_port);
			ok = ok && base != 0;
		}
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (ok)
			return base;
	}
	return 0;
}

void vb_session_job_pair(struct vb_session *s, struct vb_session_guest *g,
			 struct vb_session_guest *pg, const struct vb_workload_ops *w,
			 const void *opts, const char *id, struct vb_job_outcome *out)
{
	const struct vb_workload_ops *pw = vb_workload_pair(w, opts);
	const char *addr = pg->g && pg->ops->guest_address ? pg->ops->guest_address(pg->g) : NULL;
	uint16_t base = addr ? pair_base_port(addr) : 0;
	char secret[33];
	bool random = vb_random_hex16(secret) == 0;
	if (!pw || !addr || !base || !random) {
		*out = (struct vb_job_outcome){ .w = w };
		out->values = xcalloc(vb_workload_nmetrics(w), sizeof(double));
		out->start = out->end = vb_monotonic_s();
		out->rc =
		    vb_error_set(&out->err, -ENETUNREACH, "%s layout=split: %s", w->name,
				 !pw	 ? "no pair"
				 : !addr ? "the pair's guest has no address on the run's network"
				 : !base ? "no three free ports in a row for the pair"
					 : "no random secret for the pair");
		return;
	}
	_cleanup_free_ char *peer = xasprintf("%s:%u/%s", addr, base, secret);
	explicit_bzero(secret, sizeof(secret));
	/* The pair's options: the values of w's options of the same names. */
	struct pair_job pj = { .s = s, .g = pg, .w = pw, .peer = peer };
	pj.opts = xcalloc(1, pw->opts_size);
	for (const struct vb_option *po = pw->options; po->name; po++) {
		const struct vb_option *o = vb_workload_option(w, po->name);
		if (!o || vb_option_set(pw, po, vb_option_get(o, opts), pj.opts, NULL))
			VB_BUG("%s: the pair's option %s is not %s's", pw->name, po->name, w->name);
	}
	snprintf(pj.id, sizeof(pj.id), "%.16s-pair", id);
	pthread_mutex_init(&pj.lock, NULL);
	pthread_cond_init(&pj.cond, NULL);
	pthread_t th;
	bool threaded = pthread_create(&th, NULL, pair_thread, &pj) == 0, ready = false;
	if (threaded) {
		/* w's job once the pair is ready; a pair that ended first fails the sample. */
		pthread_mutex_lock(&pj.lock);
		while (!pj.ready && !pj.done)
			pthread_cond_wait(&pj.cond, &pj.lock);
		ready = pj.ready;
		pthread_mutex_unlock(&pj.lock);
	}
	if (ready) {
		out->on_log = NULL;
		session_job(s, g, w, opts, id, peer, out);
	} else {
		*out = (struct vb_job_outcome){ .w = w };
		out->values = xcalloc(vb_workload_nmetrics(w), sizeof(double));
		out->start = out->end = vb_monotonic_s();
		if (!threaded)
			out->rc = vb_error_set(&out->err, -EAGAIN,
					       "%s layout=split: no thread for the pair", w->name);
		else if (!pj.out.rc)
			out->rc = vb_error_set(&out->err, -EPROTO,
					       "%s layout=split: its pair %s ended without "
					       "saying it was ready",
					       w->name, pw->name);
	}
	if (threaded)
		pthread_join(th, NULL);
	pthread_cond_destroy(&pj.cond);
	pthread_mutex_destroy(&pj.lock);
	explicit_bzero(peer, strlen(peer));
	struct vb_job_outcome *po = &pj.out;
	if (threaded && !out->rc && po->rc) {
		out->rc = po->rc;
		out->err = po->err;
		po->err = NULL;
		vb_error_wrap(&out->err, "its pair %s", pw->name);
	} else if (threaded && out->rc && po->rc) {
		vb_info("%s: its pair %s failed too: %s", w->name, pw->name, po->err->msg);
	} else if (threaded && !out->rc) {
		for (size_t m = 0; pw->metrics[m].name; m++)
			for (size_t k = 0; w->metrics[k].name; k++)
				if (!strcmp(w->metrics[k].name, pw->metrics[m].name))
					out->values[k] = po->values[m];
	}
	if (threaded) {
		out->start = po->start < out->start ? po->start : out->start;
		out->end = po->end > out->end ? po->end : out->end;
		vb_job_outcome_release(po);
	}
	free(pj.opts);
}

void vb_job_outcome_release(struct vb_job_outcome *o)
{
	free(o->values);
	o->values = NULL;
	vb_error_free(&o->err);
}

int vb_session_store(struct vb_session *s, const struct vb_session_sample *sm,
		     struct vb_error **err)
{
	size_t nm = 0, n = 0;
	while (sm->metrics[nm].name)
		nm++;
	const char **names = xcalloc(nm ? nm : 1, sizeof(char *));
	double *vals = xcalloc(nm ? nm : 1, sizeof(double));
	for (size_t m = 0; m < nm && sm->values; m++)
		if (sm->have ? sm->have[m] : !sm->error) {
			names[n] = sm->metrics[m].name;
			vals[n++] = sm->values[m];
		}
	struct vb_sample_record rec = {
		.run_id = s->run_id,
		.platform_id = sm->platform_id,
		.workload_id = sm->workload_id,
		.seq = s->seq++,
		.round = (int)sm->round,
		.warmup = sm->warmup,
		.ok = !sm->error,
		.error = sm->error,
		.duration_s = sm->duration_s,
		.instance = sm->instance,
		.nvalues = n,
		.names = names,
		.values = vals,
	};
	int r = vb_store_add_sample(s->db, &rec, err);
	free(names);
	free(vals);
	if (sm->error)
		s->failed++;
	return r;
}

void vb_session_progress(const struct vb_session *s, unsigned round, bool warmup, const char *what,
			 const char *where)
{
	if (!s->progress)
		return;
	printf("\r\033[K[%5.1fs] round %u%s  %s on %s  (%d jobs done)", vb_monotonic_s() - s->t0,
	       round + 1, warmup ? " (warm-up)" : "", what, where, s->seq);
	fflush(stdout);
}

void vb_session_progress_end(const struct vb_session *s)
{
	if (s->progress) {
		printf("\r\033[K");
		fflush(stdout);
	}
}

int vb_session_interrupted(struct vb_session *s, struct vb_error **err)
{
	return vb_error_set(err, -EINTR,
			    "interrupted: run %s kept what it measured, marked incomplete", s->tag);
}

int vb_session_close(struct vb_session *s, const char *baseline, double equivalence, int r,
		     struct vb_error **err)
{
	vb_session_progress_end(s);
	if (s->run_id >= 0) {
		struct vb_error *serr = NULL;
		if (vb_summarize_run(s->db, s->run_id, baseline ? baseline : "", equivalence,
				     &serr) &&
		    !r) {
			r = serr->code;
			vb_error_keep(err, &serr);
		}
		vb_error_free(&serr);
		int code = r ? (err && *err ? (*err)->exit_code : VB_EXIT_MEASUREMENT)
			     : (s->failed ? VB_EXIT_MEASUREMENT : VB_EXIT_OK);
		vb_store_run_end(s->db, s->run_id, r ? "incomplete" : "complete", code, NULL);
	}
	if (s->work_dir)
		vb_rm_rf(s->work_dir);
	free(s->work_dir);
	s->work_dir = NULL;
	return r;
}
