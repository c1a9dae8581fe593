/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "agent/protocol.h"
#include "core/json.h"
#include "core/net.h"
#include "core/text.h"
#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/net-common.h"

static const char *const event_names[] = {
	[VB_EV_HELLO] = "hello",   [VB_EV_STARTED] = "started", [VB_EV_LOG] = "log",
	[VB_EV_SAMPLE] = "sample", [VB_EV_ERROR] = "error",	[VB_EV_DONE] = "done",
};

const char *vb_event_type_name(enum vb_event_type t)
{
	return (unsigned)t < VB_ARRAY_SIZE(event_names) ? event_names[t] : "?";
}

/* Decode one message: a JSON object with the right "v"; returns its "type". */
static int decode(const char *line, size_t len, json_t **out, const char **type,
		  struct vb_error **err)
{
	if (len > VB_PROTO_MAX_LINE)
		return vb_error_set(err, -EPROTO, "message longer than %d bytes",
				    VB_PROTO_MAX_LINE);
	json_error_t jerr;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return vb_error_set(err, -EPROTO, "malformed message: %s", jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return vb_error_set(err, -EPROTO, "malformed message: not a JSON object");
	}
	long long v;
	int r = vb_json_int(root, "v", 0, 1000000, &v);
	if (r) {
		json_decref(root);
		return vb_error_set(err, -EPROTO, "message without a protocol version \"v\"");
	}
	if (v != VB_PROTOCOL_VERSION) {
		json_decref(root);
		return vb_error_set(err, -EPROTO, "unsupported protocol version %lld (this is %d)",
				    v, VB_PROTOCOL_VERSION);
	}
	if (vb_json_str(root, "type", 32, type)) {
		json_decref(root);
		return vb_error_set(err, -EPROTO, "message without a \"type\"");
	}
	*out = root;
	return 0;
}

/* A required token-like string field, copied. */
static int get_token(const json_t *o, const char *key, size_t max, char **out,
		     struct vb_error **err)
{
	const char *s;
	if (vb_json_str(o, key, max, &s) || !vb_is_token(s, max))
		return vb_error_set(err, -EPROTO,
				    "field \"%s\" missing or not a name of 1-%zu [A-Za-z0-9._-]",
				    key, max);
	*out = xstrdup(s);
	return 0;
}

/* A required free-text field: any UTF-8 (jansson checks), no NUL, bounded. */
static int get_text(const json_t *o, const char *key, size_t max, char **out, struct vb_error **err)
{
	const char *s;
	if (vb_json_str(o, key, max, &s))
		return vb_error_set(err, -EPROTO,
				    "field \"%s\" missing or not a string of at most %zu bytes",
				    key, max);
	*out = xstrdup(s);
	return 0;
}

/*
 * Free text from the agent, to be printed and stored: cleaned of control
 * characters (escape sequences) as it arrives, so no later path can forget.
 */
static int get_guest_text(const json_t *o, const char *key, char **out, struct vb_error **err)
{
	_cleanup_free_ char *raw = NULL;
	int r = get_text(o, key, VB_PROTO_MAX_MSG, &raw, err);
	if (!r)
		*out = vb_text_clean(raw);
	return r;
}

static int check_params(const json_t *params, struct vb_error **err)
{
	if (!json_is_object(params))
		return vb_error_set(err, -EPROTO, "field \"params\" is not an object");
	if (json_object_size(params) > VB_PROTO_MAX_VALUES)
		return vb_error_set(err, -EPROTO, "more than %d params", VB_PROTO_MAX_VALUES);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)params, k, v)
	{
		if (!vb_is_token(k, VB_PROTO_MAX_NAME))
			return vb_error_set(err, -EPROTO, "param name is not a name");
		if (json_is_boolean(v))
			continue;
		/* A choice's name: a token that starts with a letter ("1" is no name). */
		const char *name = json_string_value(v);
		if (name && name[0] >= 'a' && name[0] <= 'z' &&
		    vb_is_token(name, VB_PROTO_MAX_NAME))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return vb_error_set(err, -EPROTO,
					    "param \"%s\" is not a non-negative integer, a boolean "
					    "or a name",
					    k);
	}
	return 0;
}

int vb_job_parse(const char *line, size_t len, struct vb_job *out, struct vb_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_json_ json_t *root = NULL;
	const char *type;
	int r = decode(line, len, &root, &type, err);
	if (r)
		return r;
	if (!strcmp(type, "quit")) {
		out->quit = true;
		return 0;
	}
	if (!strcmp(type, "sync")) {
		out->sync = true;
		return 0;
	}
	if (strcmp(type, "job"))
		return vb_error_set(err, -EPROTO, "unexpected message type \"%.32s\"", type);
	r = get_token(root, "id", VB_PROTO_MAX_ID, &out->id, err);
	if (!r)
		r = get_token(root, "workload", VB_PROTO_MAX_NAME, &out->workload, err);
	json_t *params = json_object_get(root, "params");
	if (!r && params)
		r = check_params(params, err);
	if (!r && json_object_get(root, "scratch")) {
		r = get_text(root, "scratch", VB_PROTO_MAX_PATH, &out->scratch_dir, err);
		if (!r && out->scratch_dir[0] != '/')
			r = vb_error_set(err, -EPROTO, "field \"scratch\" is not an absolute path");
	}
	if (!r && json_object_get(root, "peer")) {
		char hp[VB_PEER_MAX_TEXT];
		uint8_t token[16];
		r = get_text(root, "peer", VB_PEER_MAX_TEXT - 1, &out->peer, err);
		if (!r && vb_peer_split(out->peer, hp, sizeof(hp), token))
			r = vb_error_set(err, -EPROTO,
					 "field \"peer\" is not a numeric address:port/token");
	}
	if (r) {
		vb_job_release(out);
		return r;
	}
	out->params = params ? json_incref(params) : json_object();
	return 0;
}

char *vb_job_format(const struct vb_job *job)
{
	_cleanup_json_ json_t *o = json_object();
	json_object_set_new(o, "v", json_integer(VB_PROTOCOL_VERSION));
	if (job->quit || job->sync) {
		json_object_set_new(o, "type", json_string(job->quit ? "quit" : "sync"));
		return vb_json_line(o);
	}
	json_object_set_new(o, "type", json_string("job"));
	json_object_set_new(o, "id", json_string(job->id));
	json_object_set_new(o, "workload", json_string(job->workload));
	if (job->params)
		json_object_set(o, "params", job->params);
	else
		json_object_set_new(o, "params", json_object());
	if (job->scratch_dir)
		json_object_set_new(o, "scratch", json_string(job->scratch_dir));
	if (job->peer)
		json_object_set_new(o, "peer", json_string(job->peer));
	return vb_json_line(o);
}

void vb_job_release(struct vb_job *job)
{
	free(job->id);
	free(job->workload);
	free(job->scratch_dir);
	free(job->peer);
	if (job->params)
		json_decref(job->params);
	memset(job, 0, sizeof(*job));
}

static int parse_values(const json_t *root, struct vb_event *ev, struct vb_error **err)
{
	json_t *vals = json_object_get(root, "values");
	if (!json_is_object(vals))
		return vb_error_set(err, -EPROTO, "sample without a \"values\" object");
	size_t n = json_object_size(vals);
	if (n == 0 || n > VB_PROTO_MAX_VALUES)
		return vb_error_set(err, -EPROTO, "sample with %zu values (1-%d allowed)", n,
				    VB_PROTO_MAX_VALUES);
	ev->values = xcalloc(n, sizeof(*ev->values));
	const char *k;
	json_t *v;
	json_object_foreach(vals, k, v)
	{
		if (!vb_is_token(k, VB_PROTO_MAX_NAME))
			return vb_error_set(err, -EPROTO, "sample value name is not a name");
		if (!json_is_number(v) || !isfinite(json_number_value(v)))
			return vb_error_set(err, -EPROTO,
					    "sample value \"%s\" is not a finite number", k);
		ev->values[ev->nvalues].name = xstrdup(k);
		ev->values[ev->nvalues].value = json_number_value(v);
		ev->nvalues++;
	}
	return 0;
}

static int parse_event_body(const json_t *root, const char *type, struct vb_event *out,
			    struct vb_error **err)
{
	size_t t;
	for (t = 0; t < VB_ARRAY_SIZE(event_names); t++)
		if (!strcmp(type, event_names[t]))
			break;
	if (t == VB_ARRAY_SIZE(event_names))
		return vb_error_set(err, -EPROTO, "unknown event type \"%.32s\"", type);
	out->type = (enum vb_event_type)t;
	if (out->type == VB_EV_HELLO) {
		if (vb_json_int(root, "protocol", 1, 1000000, &out->protocol))
			return vb_error_set(err, -EPROTO, "hello without a protocol number");
		if (vb_json_int(root, "pid", 0, 4194304, &out->pid))
			return vb_error_set(err, -EPROTO, "hello without a valid pid");
		return get_token(root, "agent", 32, &out->agent_version, err);
	}
	int r = get_token(root, "job", VB_PROTO_MAX_ID, &out->job, err);
	if (r)
		return r;
	switch (out->type) {
	case VB_EV_STARTED:
		return get_token(root, "workload", VB_PROTO_MAX_NAME, &out->workload, err);
	case VB_EV_LOG:
		r = get_text(root, "level", 8, &out->level, err);
		if (!r && strcmp(out->level, "debug") && strcmp(out->level, "info") &&
		    strcmp(out->level, "warn"))
			return vb_error_set(err, -EPROTO, "unknown log level");
		return r ? r : get_guest_text(root, "msg", &out->msg, err);
	case VB_EV_ERROR:
		return get_guest_text(root, "msg", &out->msg, err);
	case VB_EV_SAMPLE:
		return parse_values(root, out, err);
	case VB_EV_DONE:
		if (vb_json_bool(root, "ok", &out->ok))
			return vb_error_set(err, -EPROTO, "done without a boolean \"ok\"");
		return 0;
	case VB_EV_HELLO:
		break;
	}
	return 0;
}

int vb_event_parse(const char *line, size_t len, struct vb_event *out, struct vb_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_json_ json_t *root = NULL;
	const char *type;
	int r = decode(line, len, &root, &type, err);
	if (r)
		return r;
	r = parse_event_body(root, type, out, err);
	if (r)
		vb_event_release(out);
	return r;
}

int vb_sample_check(const struct vb_event *ev, const struct vb_workload_ops *w, double timeout_s,
		    struct vb_error **err)
{
	if (ev->type != VB_EV_SAMPLE)
		return vb_error_set(err, -EPROTO, "not a sample");
	for (const struct vb_metric_desc *m = w->metrics; m->name; m++) {
		size_t i = 0;
		while (i < ev->nvalues && strcmp(ev->values[i].name, m->name))
			i++;
		/* A missing metric is the caller's business (no complete sample). */
		if (i < ev->nvalues && vb_metric_check(m, ev->values[i].value, timeout_s, err))
			return vb_error_wrap(err, "%s: the agent's sample", w->name);
	}
	return 0;
}

/* Truncate (at a UTF-8 boundary) rather than send text the other side must refuse. */
static json_t *bounded_text(const char *msg)
{
	size_t n = strnlen(msg, VB_PROTO_MAX_MSG + 1);
	if (n > VB_PROTO_MAX_MSG) {
		n = VB_PROTO_MAX_MSG;
		while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80)
			n--;
	}
	json_t *s = json_stringn(msg, n);
	return s ? s : json_string("(message was not valid UTF-8)");
}

char *vb_event_format(const struct vb_event *ev)
{
	_cleanup_json_ json_t *o = json_object();
	json_object_set_new(o, "v", json_integer(VB_PROTOCOL_VERSION));
	json_object_set_new(o, "type", json_string(vb_event_type_name(ev->type)));
	if (ev->type == VB_EV_HELLO) {
		json_object_set_new(o, "protocol", json_integer(ev->protocol));
		json_object_set_new(o, "agent", json_string(ev->agent_version));
		json_object_set_new(o, "pid", json_integer(ev->pid));
		return vb_json_line(o);
	}
	json_object_set_new(o, "job", json_string(ev->job));
	switch (ev->type) {
	case VB_EV_STARTED:
		json_object_set_new(o, "workload", json_string(ev->workload));
		break;
	case VB_EV_LOG:
		json_object_set_new(o, "level", json_string(ev->level));
		/* fallthrough */
	case VB_EV_ERROR:
		json_object_set_new(o, "msg", bounded_text(ev->msg));
		break;
	case VB_EV_SAMPLE: {
		json_t *vals = json_object();
		for (size_t i = 0; i < ev->nvalues; i++)
			json_object_set_new(vals, ev->values[i].name,
					    json_real(ev->values[i].value));
		json_object_set_new(o, "values", vals);
		break;
	}
	case VB_EV_DONE:
		json_object_set_new(o, "ok", json_boolean(ev->ok));
		break;
	case VB_EV_HELLO:
		break;
	}
	return vb_json_line(o);
}

void vb_event_release(struct vb_event *ev)
{
	free(ev->job);
	free(ev->agent_version);
	free(ev->workload);
	free(ev->level);
	free(ev->msg);
	for (size_t i = 0; i < ev->nvalues; i++)
		free(ev->values[i].name);
	free(ev->values);
	memset(ev, 0, sizeof(*ev));
}
