/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the agent protocol: job and event parsers and formatters,
 * the line channel over pipes, and the agent loop driven by raw JSON lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"
#include "agent-test.h"
#include "agent/agent.h"
#include "agent/channel.h"
#include "agent/protocol.h"
#include "core/json.h"
#include "core/util.h"
#include "virtbench/workload.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int parse_job(const char *line, struct vb_job *job, struct vb_error **err)
{
	return vb_job_parse(line, strlen(line), job, err);
}

static int parse_event(const char *line, struct vb_event *ev, struct vb_error **err)
{
	return vb_event_parse(line, strlen(line), ev, err);
}

static void test_job_round_trip(void)
{
	static const char line[] = "{\"v\":1,\"type\":\"job\",\"id\":\"j-1.a_B\",\"workload\":"
				   "\"cpu.primes\",\"params\":{\"limit\":1000,\"threads\":2,"
				   "\"flag\":true},\"scratch\":\"/tmp/vb scratch/\xc3\xa9\"}";
	struct vb_job job, again;
	struct vb_error *err = NULL;
	char *out, *out2;

	CHECK(parse_job(line, &job, &err) == 0);
	CHECK(err == NULL);
	CHECK(!job.quit);
	CHECK(job.id && !strcmp(job.id, "j-1.a_B"));
	CHECK(job.workload && !strcmp(job.workload, "cpu.primes"));
	CHECK(job.scratch_dir && !strcmp(job.scratch_dir, "/tmp/vb scratch/\xc3\xa9"));
	CHECK(json_is_object(job.params) && json_object_size(job.params) == 3);
	CHECK(json_integer_value(json_object_get(job.params, "limit")) == 1000);
	CHECK(json_integer_value(json_object_get(job.params, "threads")) == 2);
	CHECK(json_is_true(json_object_get(job.params, "flag")));

	out = vb_job_format(&job);
	CHECK_MSG(!strcmp(out, line), "%s", out ? out : "(null)");
	CHECK(parse_job(out, &again, &err) == 0);
	CHECK(again.id && !strcmp(again.id, job.id));
	CHECK(again.workload && !strcmp(again.workload, job.workload));
	CHECK(again.scratch_dir && !strcmp(again.scratch_dir, job.scratch_dir));
	CHECK(json_equal(again.params, job.params));
	out2 = vb_job_format(&again);
	CHECK(!strcmp(out, out2));
	free(out);
	free(out2);
	vb_job_release(&again);
	vb_job_release(&job);
	CHECK(job.id == NULL && job.params == NULL);
	vb_job_release(&job);

	/* Optional fields: params defaults to {}, no scratch; whitespace and key order free. */
	CHECK(parse_job(" { \"workload\" : \"mem.memcpy\", \"id\":\"x\", \"type\":\"job\", "
			"\"v\":1, \"extra\":[1,2] } ",
			&job, &err) == 0);
	CHECK(json_is_object(job.params) && json_object_size(job.params) == 0);
	CHECK(job.scratch_dir == NULL);
	out = vb_job_format(&job);
	CHECK_MSG(!strcmp(out, "{\"v\":1,\"type\":\"job\",\"id\":\"x\",\"workload\":"
			       "\"mem.memcpy\",\"params\":{}}"),
		  "%s", out);
	free(out);
	vb_job_release(&job);

	/* A job built in code, as the supervisor does. */
	{
		struct vb_job j = { .id = "k", .workload = "cpu.primes", .params = NULL };

		out = vb_job_format(&j);
		CHECK(parse_job(out, &job, &err) == 0);
		CHECK(job.id && !strcmp(job.id, "k") && json_object_size(job.params) == 0);
		free(out);
		vb_job_release(&job);
	}
	/* Exactly 64 params and a 64-character id are allowed. */
	{
		_cleanup_json_ json_t *o = json_object();
		_cleanup_json_ json_t *p = json_object();
		char id[65];
		char *text;

		memset(id, 'i', 64);
		id[64] = '\0';
		for (int i = 0; i < 64; i++) {
			char k[16];

			snprintf(k, sizeof(k), "p%d", i);
			json_object_set_new(p, k, json_integer(i));
		}
		json_object_set_new(o, "v", json_integer(1));
		json_object_set_new(o, "type", json_string("job"));
		json_object_set_new(o, "id", json_string(id));
		json_object_set_new(o, "workload", json_string("w"));
		json_object_set(o, "params", p);
		text = vb_json_line(o);
		CHECK(parse_job(text, &job, &err) == 0);
		CHECK(json_object_size(job.params) == 64);
		free(text);
		vb_job_release(&job);
	}
	CHECK(err == NULL);
}

static void test_job_quit(void)
{
	struct vb_job job, q = { .quit = true };
	struct vb_error *err = NULL;
	char *out;

	CHECK(parse_job("{\"v\":1,\"type\":\"quit\"}", &job, &err) == 0);
	CHECK(job.quit && job.id == NULL && job.workload == NULL);
	vb_job_release(&job);
	out = vb_job_format(&q);
	CHECK(!strcmp(out, "{\"v\":1,\"type\":\"quit\"}"));
	free(out);
	/* Only len bytes count: what follows is not part of the message. */
	CHECK(vb_job_parse("{\"v\":1,\"type\":\"quit\"}garbage", 21, &job, &err) == 0);
	CHECK(job.quit);
	vb_job_release(&job);
	CHECK(err == NULL);
}

static void test_job_rejects(void)
{
	static const struct {
		const char *line;
		const char *want; /* a substring of the message, or NULL */
	} bad[] = {
		{ "", NULL },
		{ "not json", "malformed" },
		{ "{\"v\":1,\"type\":\"quit\"", "malformed" },
		{ "[{\"v\":1,\"type\":\"quit\"}]", "not a JSON object" },
		{ "\"quit\"", NULL },
		{ "null", NULL },
		{ "{\"type\":\"quit\"}", "version" },
		{ "{\"v\":\"1\",\"type\":\"quit\"}", "version" },
		{ "{\"v\":1.0,\"type\":\"quit\"}", "version" },
		{ "{\"v\":-1,\"type\":\"quit\"}", "version" },
		{ "{\"v\":2,\"type\":\"quit\"}", "version" },
		{ "{\"v\":0,\"type\":\"quit\"}", "version" },
		{ "{\"v\":1}", "type" },
		{ "{\"v\":1,\"type\":7}", "type" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\"}", "unexpected message type" },
		{ "{\"v\":1,\"type\":\"job\",\"workload\":\"w\"}", "\"id\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"\",\"workload\":\"w\"}", "\"id\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"a b\",\"workload\":\"w\"}", "\"id\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"a/b\",\"workload\":\"w\"}", "\"id\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":7,\"workload\":\"w\"}", "\"id\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":null,\"workload\":\"w\"}", "\"id\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"a\\u0000b\",\"workload\":\"w\"}", NULL },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\"}", "\"workload\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"cpu primes\"}",
		  "\"workload\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":[]}",
		  "not an object" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":null}",
		  "not an object" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":\"a=1\"}",
		  "not an object" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a\":-1}"
		  "}",
		  "non-negative" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a\":1.5}"
		  "}",
		  "non-negative" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a\":1.0}"
		  "}",
		  "non-negative" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a\":"
		  "\"1\"}}",
		  "non-negative" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a\":"
		  "null}}",
		  "non-negative" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a\":{"
		  "\"b\":"
		  "1}}}",
		  "non-negative" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a\":[1]}"
		  "}",
		  "non-negative" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a "
		  "b\":1}}",
		  "not a name" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"\":1}}",
		  "not a name" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"id\":\"k\",\"workload\":\"w\"}", NULL },
		{ "{\"v\":1,\"v\":1,\"type\":\"quit\"}", NULL },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"params\":{\"a\":1,"
		  "\"a\":2}}",
		  NULL },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"scratch\":\"tmp/"
		  "x\"}",
		  "absolute" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"scratch\":\"\"}",
		  "absolute" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"scratch\":1}",
		  "\"scratch\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"scratch\":null}",
		  "\"scratch\"" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"scratch\":\"/"
		  "a\\u0000b\"}",
		  NULL },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\",\"scratch\":\"/"
		  "\xff\"}",
		  "malformed" },
	};
	struct vb_job job;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct vb_error *err = NULL;
		int r;

		memset(&job, 0x5a, sizeof(job));
		r = parse_job(bad[i].line, &job, &err);
		CHECK_MSG(r == -EPROTO, "%s: %d", bad[i].line, r);
		CHECK_MSG(err != NULL, "%s: no message", bad[i].line);
		if (err && bad[i].want)
			CHECK_MSG(strstr(err->msg, bad[i].want) != NULL, "%s: \"%s\" lacks \"%s\"",
				  bad[i].line, err->msg, bad[i].want);
		/* Left released: nothing to free, nothing dangling. */
		CHECK(!job.quit && !job.id && !job.workload && !job.params && !job.scratch_dir);
		vb_error_free(&err);
	}
}

static void test_job_reject_sizes(void)
{
	struct vb_job job;
	struct vb_error *err = NULL;
	char id[66], *line;
	size_t base, n;

	/* A 65-character id. */
	memset(id, 'a', 65);
	id[65] = '\0';
	line = xasprintf("{\"v\":1,\"type\":\"job\",\"id\":\"%s\",\"workload\":\"w\"}", id);
	CHECK(parse_job(line, &job, &err) == -EPROTO);
	CHECK(err && strstr(err->msg, "\"id\""));
	vb_error_free(&err);
	free(line);

	/* 65 params. */
	{
		_cleanup_json_ json_t *p = json_object();
		char *ps;

		for (int i = 0; i < 65; i++) {
			char k[16];

			snprintf(k, sizeof(k), "p%d", i);
			json_object_set_new(p, k, json_integer(i));
		}
		ps = vb_json_line(p);
		line = xasprintf("{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\","
				 "\"params\":%s}",
				 ps);
		CHECK(parse_job(line, &job, &err) == -EPROTO);
		CHECK(err && strstr(err->msg, "more than 64 params"));
		vb_error_free(&err);
		free(line);
		free(ps);
	}

	/* Exactly VB_PROTO_MAX_LINE bytes is fine; one more is not, even if valid JSON. */
	base = strlen("{\"v\":1,\"type\":\"quit\"}");
	n = VB_PROTO_MAX_LINE + 1;
	line = xmalloc(n + 1);
	memset(line, ' ', n);
	memcpy(line, "{\"v\":1,\"type\":\"quit\"}", base);
	line[n] = '\0';
	CHECK(vb_job_parse(line, VB_PROTO_MAX_LINE, &job, &err) == 0);
	CHECK(job.quit);
	vb_job_release(&job);
	CHECK(vb_job_parse(line, n, &job, &err) == -EPROTO);
	CHECK(err && strstr(err->msg, "longer than"));
	vb_error_free(&err);
	CHECK(vb_event_parse(line, n, (struct vb_event[1]){ 0 }, &err) == -EPROTO);
	vb_error_free(&err);
	free(line);

	/* A raw NUL byte inside the line. */
	{
		static const char raw[] = "{\"v\":1,\"type\":\"quit\"}\0";

		CHECK(vb_job_parse(raw, sizeof(raw) - 1, &job, &err) == -EPROTO);
		vb_error_free(&err);
	}
}

/* Parse, check a formatted copy is the same text, and parse that again. */
static void round_trip_event(const char *line, struct vb_event *ev)
{
	struct vb_error *err = NULL;
	struct vb_event again;
	char *out, *out2;

	CHECK_MSG(parse_event(line, ev, &err) == 0, "%s: %s", line, err ? err->msg : "");
	vb_error_free(&err);
	out = vb_event_format(ev);
	CHECK_MSG(!strcmp(out, line), "formatted as %s", out);
	CHECK(parse_event(out, &again, &err) == 0);
	vb_error_free(&err);
	out2 = vb_event_format(&again);
	CHECK(!strcmp(out, out2));
	CHECK(again.type == ev->type);
	vb_event_release(&again);
	free(out);
	free(out2);
}

static void test_event_round_trips(void)
{
	struct vb_event ev;

	round_trip_event("{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"agent\":\"0.1.0\","
			 "\"pid\":4242}",
			 &ev);
	CHECK(ev.type == VB_EV_HELLO && ev.protocol == 1 && ev.pid == 4242);
	CHECK(ev.agent_version && !strcmp(ev.agent_version, "0.1.0"));
	CHECK(ev.job == NULL);
	vb_event_release(&ev);

	round_trip_event("{\"v\":1,\"type\":\"started\",\"job\":\"j1\",\"workload\":"
			 "\"cpu.primes\"}",
			 &ev);
	CHECK(ev.type == VB_EV_STARTED && !strcmp(ev.job, "j1"));
	CHECK(ev.workload && !strcmp(ev.workload, "cpu.primes"));
	vb_event_release(&ev);

	round_trip_event("{\"v\":1,\"type\":\"log\",\"job\":\"j1\",\"level\":\"warn\",\"msg\":"
			 "\"a \\\"quoted\\\" line with \xc3\xa9 and \\t\"}",
			 &ev);
	CHECK(ev.type == VB_EV_LOG && !strcmp(ev.level, "warn"));
	CHECK(ev.msg && !strcmp(ev.msg, "a \"quoted\" line with \xc3\xa9 and \t"));
	vb_event_release(&ev);
	round_trip_event(
	    "{\"v\":1,\"type\":\"log\",\"job\":\"j1\",\"level\":\"debug\",\"msg\":\"\"}", &ev);
	CHECK(ev.msg && ev.msg[0] == '\0');
	vb_event_release(&ev);
	round_trip_event(
	    "{\"v\":1,\"type\":\"log\",\"job\":\"j1\",\"level\":\"info\",\"msg\":\"x\"}", &ev);
	vb_event_release(&ev);

	round_trip_event("{\"v\":1,\"type\":\"sample\",\"job\":\"j1\",\"values\":{\"elapsed\":0.5,"
			 "\"rate\":1234.25,\"neg\":-3.0,\"tiny\":1e-300}}",
			 &ev);
	CHECK(ev.type == VB_EV_SAMPLE && ev.nvalues == 4);
	if (ev.nvalues == 4) {
		CHECK(!strcmp(ev.values[0].name, "elapsed") && ev.values[0].value == 0.5);
		CHECK(!strcmp(ev.values[1].name, "rate") && ev.values[1].value == 1234.25);
		CHECK(!strcmp(ev.values[2].name, "neg") && ev.values[2].value == -3);
		CHECK(ev.values[3].value == 1e-300);
	}
	vb_event_release(&ev);

	round_trip_event("{\"v\":1,\"type\":\"error\",\"job\":\"-\",\"msg\":\"boom: it broke\"}",
			 &ev);
	CHECK(ev.type == VB_EV_ERROR && !strcmp(ev.job, "-") && !strcmp(ev.msg, "boom: it broke"));
	vb_event_release(&ev);

	round_trip_event("{\"v\":1,\"type\":\"done\",\"job\":\"j1\",\"ok\":true}", &ev);
	CHECK(ev.type == VB_EV_DONE && ev.ok);
	vb_event_release(&ev);
	round_trip_event("{\"v\":1,\"type\":\"done\",\"job\":\"j1\",\"ok\":false}", &ev);
	CHECK(ev.type == VB_EV_DONE && !ev.ok);
	vb_event_release(&ev);
	vb_event_release(&ev);

	CHECK(!strcmp(vb_event_type_name(VB_EV_HELLO), "hello"));
	CHECK(!strcmp(vb_event_type_name(VB_EV_DONE), "done"));
	CHECK(!strcmp(vb_event_type_name((enum vb_event_type)99), "?"));
}

static void test_event_built(void)
{
	struct vb_event_value vals[] = { { "elapsed", 2 }, { "rate", 1e9 / 3 } };
	struct vb_event s = { .type = VB_EV_SAMPLE, .job = "j", .nvalues = 2, .values = vals };
	struct vb_event ev;
	struct vb_error *err = NULL;
	char *out;

	/* Integral values stay numbers and keep every bit. */
	out = vb_event_format(&s);
	CHECK(parse_event(out, &ev, &err) == 0);
	CHECK(ev.nvalues == 2);
	if (ev.nvalues == 2) {
		CHECK(ev.values[0].value == 2);
		CHECK(ev.values[1].value == 1e9 / 3);
	}
	vb_event_release(&ev);
	free(out);
	/* An integer in a sample is a number too. */
	CHECK(parse_event("{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"n\":3}}", &ev,
			  &err) == 0);
	CHECK(ev.nvalues == 1 && ev.values[0].value == 3);
	vb_event_release(&ev);
	CHECK(err == NULL);
}

static void test_event_long_text(void)
{
	struct vb_event ev, back;
	struct vb_error *err = NULL;
	char *msg, *out;
	size_t n = VB_PROTO_MAX_MSG + 100;

	/* Over-long text is cut at a character boundary, and the other side accepts it. */
	msg = xmalloc(n + 1);
	msg[0] = 'a';
	for (size_t i = 1; i + 1 < n; i += 2) {
		msg[i] = (char)0xc3;
		msg[i + 1] = (char)0xa9;
	}
	msg[n - 1] = 'z';
	msg[n] = '\0';
	ev = (struct vb_event){ .type = VB_EV_ERROR, .job = "j", .msg = msg };
	out = vb_event_format(&ev);
	CHECK(parse_event(out, &back, &err) == 0);
	vb_error_free(&err);
	CHECK(back.msg && strlen(back.msg) <= VB_PROTO_MAX_MSG);
	CHECK(back.msg && strlen(back.msg) >= VB_PROTO_MAX_MSG - 1);
	CHECK(back.msg && !strncmp(back.msg, msg, strlen(back.msg)));
	vb_event_release(&back);
	free(out);

	/* Exactly the limit is kept whole. */
	memset(msg, 'b', VB_PROTO_MAX_MSG);
	msg[VB_PROTO_MAX_MSG] = '\0';
	ev = (struct vb_event){ .type = VB_EV_LOG, .job = "j", .level = "info", .msg = msg };
	out = vb_event_format(&ev);
	CHECK(parse_event(out, &back, &err) == 0);
	CHECK(back.msg && strlen(back.msg) == VB_PROTO_MAX_MSG);
	vb_event_release(&back);
	free(out);

	/* Text that is not UTF-8 is replaced, not dropped. */
	ev = (struct vb_event){ .type = VB_EV_ERROR, .job = "j", .msg = "bad \xff byte" };
	out = vb_event_format(&ev);
	CHECK(parse_event(out, &back, &err) == 0);
	CHECK(back.msg && strstr(back.msg, "UTF-8"));
	vb_event_release(&back);
	free(out);
	free(msg);
	CHECK(err == NULL);

	/* A received message over the limit is refused. */
	{
		char *big = xmalloc(VB_PROTO_MAX_MSG + 2);
		char *line;

		memset(big, 'c', VB_PROTO_MAX_MSG + 1);
		big[VB_PROTO_MAX_MSG + 1] = '\0';
		line = xasprintf("{\"v\":1,\"type\":\"error\",\"job\":\"j\",\"msg\":\"%s\"}", big);
		CHECK(parse_event(line, &back, &err) == -EPROTO);
		vb_error_free(&err);
		free(line);
		free(big);
	}
}

static void test_event_rejects(void)
{
	static const struct {
		const char *line;
		const char *want;
	} bad[] = {
		{ "", NULL },
		{ "{}", "version" },
		{ "[]", "not a JSON object" },
		{ "{\"v\":2,\"type\":\"done\",\"job\":\"j\",\"ok\":true}", "version" },
		{ "{\"v\":1,\"type\":\"bogus\",\"job\":\"j\"}", "unknown event type" },
		{ "{\"v\":1,\"type\":\"job\",\"id\":\"j\",\"workload\":\"w\"}",
		  "unknown event type" },
		{ "{\"v\":1,\"type\":\"HELLO\",\"protocol\":1,\"agent\":\"a\",\"pid\":1}",
		  "unknown event type" },
		{ "{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"agent\":\"a\"}", "pid" },
		{ "{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"agent\":\"a\",\"pid\":-1}", "pid" },
		{ "{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"agent\":\"a\",\"pid\":\"1\"}",
		  "pid" },
		{ "{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"agent\":\"a\",\"pid\":99999999}",
		  "pid" },
		{ "{\"v\":1,\"type\":\"hello\",\"agent\":\"a\",\"pid\":1}", "protocol" },
		{ "{\"v\":1,\"type\":\"hello\",\"protocol\":0,\"agent\":\"a\",\"pid\":1}",
		  "protocol" },
		{ "{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"pid\":1}", "\"agent\"" },
		{ "{\"v\":1,\"type\":\"hello\",\"protocol\":1,\"agent\":\"a b\",\"pid\":1}",
		  "\"agent\"" },
		{ "{\"v\":1,\"type\":\"started\",\"workload\":\"w\"}", "\"job\"" },
		{ "{\"v\":1,\"type\":\"started\",\"job\":\"\",\"workload\":\"w\"}", "\"job\"" },
		{ "{\"v\":1,\"type\":\"started\",\"job\":\"j\"}", "\"workload\"" },
		{ "{\"v\":1,\"type\":\"log\",\"job\":\"j\",\"level\":\"trace\",\"msg\":\"m\"}",
		  "log level" },
		{ "{\"v\":1,\"type\":\"log\",\"job\":\"j\",\"level\":\"INFO\",\"msg\":\"m\"}",
		  "log level" },
		{ "{\"v\":1,\"type\":\"log\",\"job\":\"j\",\"level\":\"info\"}", "\"msg\"" },
		{ "{\"v\":1,\"type\":\"log\",\"job\":\"j\",\"msg\":\"m\"}", "\"level\"" },
		{ "{\"v\":1,\"type\":\"log\",\"job\":\"j\",\"level\":\"info\",\"msg\":7}",
		  "\"msg\"" },
		{ "{\"v\":1,\"type\":\"log\",\"job\":\"j\",\"level\":\"info\",\"msg\":"
		  "\"a\\u0000\"}",
		  NULL },
		{ "{\"v\":1,\"type\":\"error\",\"job\":\"j\"}", "\"msg\"" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\"}", "values" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":[1]}", "values" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{}}", "0 values" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a\":\"1\"}}",
		  "finite number" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a\":null}}",
		  "finite number" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a\":true}}",
		  "finite number" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a\":1,\"b\":[2]}}",
		  "finite number" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a\":NaN}}",
		  "malformed" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a\":Infinity}}",
		  "malformed" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a\":1e999}}",
		  "malformed" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a b\":1}}",
		  "not a name" },
		{ "{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":{\"a\":1,\"a\":2}}",
		  NULL },
		{ "{\"v\":1,\"type\":\"done\",\"job\":\"j\"}", "\"ok\"" },
		{ "{\"v\":1,\"type\":\"done\",\"job\":\"j\",\"ok\":\"true\"}", "\"ok\"" },
		{ "{\"v\":1,\"type\":\"done\",\"job\":\"j\",\"ok\":1}", "\"ok\"" },
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct vb_error *err = NULL;
		struct vb_event ev;
		int r;

		r = parse_event(bad[i].line, &ev, &err);
		CHECK_MSG(r == -EPROTO, "%s: %d", bad[i].line, r);
		CHECK_MSG(err != NULL, "%s: no message", bad[i].line);
		if (err && bad[i].want)
			CHECK_MSG(strstr(err->msg, bad[i].want) != NULL, "%s: \"%s\" lacks \"%s\"",
				  bad[i].line, err->msg, bad[i].want);
		CHECK(!ev.job && !ev.msg && !ev.values && !ev.nvalues && !ev.level &&
		      !ev.agent_version && !ev.workload);
		vb_error_free(&err);
	}

	/* 65 values are too many; 64 are fine. */
	for (int n = 64; n <= 65; n++) {
		_cleanup_json_ json_t *o = json_object();
		json_t *vals = json_object();
		struct vb_error *err = NULL;
		struct vb_event ev;
		char *line;

		for (int i = 0; i < n; i++) {
			char k[16];

			snprintf(k, sizeof(k), "m%d", i);
			json_object_set_new(vals, k, json_real(i + 0.5));
		}
		json_object_set_new(o, "v", json_integer(1));
		json_object_set_new(o, "type", json_string("sample"));
		json_object_set_new(o, "job", json_string("j"));
		json_object_set_new(o, "values", vals);
		line = vb_json_line(o);
		CHECK(parse_event(line, &ev, &err) == (n == 64 ? 0 : -EPROTO));
		CHECK(ev.nvalues == (n == 64 ? 64u : 0u));
		vb_event_release(&ev);
		vb_error_free(&err);
		free(line);
	}
}

/* A channel reading from one pipe and writing to another. */
struct pipes {
	int to_ch[2];	/* test writes [1], the channel reads [0] */
	int from_ch[2]; /* the channel writes [1], the test reads [0] */
	struct vb_channel ch;
};

static bool pipes_open(struct pipes *p, size_t max_line)
{
	if (pipe2(p->to_ch, O_CLOEXEC) < 0)
		return false;
	if (pipe2(p->from_ch, O_CLOEXEC) < 0) {
		close(p->to_ch[0]);
		close(p->to_ch[1]);
		return false;
	}
	vb_channel_init(&p->ch, p->to_ch[0], p->from_ch[1], max_line);
	return true;
}

static void pipes_close(struct pipes *p)
{
	vb_channel_release(&p->ch);
	if (p->to_ch[1] >= 0)
		close(p->to_ch[1]);
	close(p->from_ch[0]);
}

static void put(struct pipes *p, const char *s)
{
	CHECK(vb_write_all(p->to_ch[1], s, strlen(s)) == 0);
}

/* Receive one line and compare it. */
static void want_line(struct pipes *p, const char *want)
{
	char *line = NULL;
	size_t len = 0;
	int r = vb_channel_recv(&p->ch, 2000, NULL, &line, &len);

	CHECK_MSG(r == 0, "recv gave %d, want \"%s\"", r, want);
	if (r == 0) {
		CHECK_MSG(len == strlen(want) && !strcmp(line, want), "got \"%s\", want \"%s\"",
			  line, want);
	}
}

static void test_channel_lines(void)
{
	struct pipes p;
	char buf[64];
	char *line;
	size_t len;
	double t0, dt;

	CHECK(pipes_open(&p, 64));
	CHECK(vb_channel_send(&p.ch, "hello") == 0);
	CHECK(vb_channel_send(&p.ch, "") == 0);
	CHECK(read(p.from_ch[0], buf, sizeof(buf)) == 7);
	CHECK(!memcmp(buf, "hello\n\n", 7));

	put(&p, "one\ntwo\n\nthree\n");
	want_line(&p, "one");
	want_line(&p, "two");
	want_line(&p, "");
	want_line(&p, "three");

	/* A line in pieces. */
	put(&p, "par");
	CHECK(vb_channel_recv(&p.ch, 20, NULL, &line, &len) == -ETIMEDOUT);
	put(&p, "tial");
	CHECK(vb_channel_recv(&p.ch, 20, NULL, &line, &len) == -ETIMEDOUT);
	put(&p, "\nrest\n");
	want_line(&p, "partial");
	want_line(&p, "rest");

	/* A line of exactly max_line bytes. */
	{
		char exact[66];

		memset(exact, 'e', 64);
		exact[64] = '\n';
		exact[65] = '\0';
		put(&p, exact);
		exact[64] = '\0';
		want_line(&p, exact);
	}

	/* Nothing more: a timeout, in about the time asked. */
	t0 = now_s();
	CHECK(vb_channel_recv(&p.ch, 50, NULL, &line, &len) == -ETIMEDOUT);
	dt = now_s() - t0;
	CHECK_MSG(dt >= 0.045 && dt < 1.0, "%.3f s", dt);

	/* A zero timeout still takes what is already there. */
	put(&p, "ready\n");
	line = NULL;
	CHECK(vb_channel_recv(&p.ch, 0, NULL, &line, &len) == 0);
	CHECK(line && !strcmp(line, "ready"));
	t0 = now_s();
	CHECK(vb_channel_recv(&p.ch, 0, NULL, &line, &len) == -ETIMEDOUT);
	CHECK(now_s() - t0 < 0.5);

	/* End of file: a partial last line is dropped. */
	put(&p, "last\nunfinished");
	close(p.to_ch[1]);
	p.to_ch[1] = -1;
	want_line(&p, "last");
	CHECK(vb_channel_recv(&p.ch, 2000, NULL, &line, &len) == -EPIPE);
	CHECK(vb_channel_recv(&p.ch, -1, NULL, &line, &len) == -EPIPE);
	pipes_close(&p);
}

static void test_channel_too_long(void)
{
	struct pipes p;
	char *big, *line;
	size_t len;

	CHECK(pipes_open(&p, 16));
	/* Too long, with the newline in the same read. */
	put(&p, "0123456789abcdefX\nnext\n");
	CHECK(vb_channel_recv(&p.ch, 2000, NULL, &line, &len) == -E2BIG);
	want_line(&p, "next");

	/* Too long before its newline arrives: refused early, the rest skipped. */
	put(&p, "0123456789abcdefghij");
	CHECK(vb_channel_recv(&p.ch, 2000, NULL, &line, &len) == -E2BIG);
	put(&p, "more of the same line");
	CHECK(vb_channel_recv(&p.ch, 20, NULL, &line, &len) == -ETIMEDOUT);
	put(&p, " and its end\nafter\n");
	want_line(&p, "after");

	/* Much longer than the buffer. */
	big = xmalloc(20001);
	memset(big, 'z', 20000);
	big[20000] = '\0';
	put(&p, big);
	put(&p, "\nok\n");
	CHECK(vb_channel_recv(&p.ch, 2000, NULL, &line, &len) == -E2BIG);
	want_line(&p, "ok");
	free(big);

	/* Two too-long lines in a row, then a good one. */
	put(&p, "aaaaaaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbbbbbbbbb\ngood\n");
	CHECK(vb_channel_recv(&p.ch, 2000, NULL, &line, &len) == -E2BIG);
	CHECK(vb_channel_recv(&p.ch, 2000, NULL, &line, &len) == -E2BIG);
	want_line(&p, "good");
	pipes_close(&p);
}

static volatile sig_atomic_t flag;

static void on_alarm(int sig)
{
	(void)sig;
	flag = 1;
}

static void test_channel_interrupted(void)
{
	struct pipes p;
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { .tv_usec = 50000 } };
	char *line;
	size_t len;
	double t0, dt;

	CHECK(pipes_open(&p, 64));
	flag = 1;
	t0 = now_s();
	CHECK(vb_channel_recv(&p.ch, -1, &flag, &line, &len) == -EINTR);
	CHECK(now_s() - t0 < 0.5);

	/* Set by a signal handler while waiting without a timeout. */
	flag = 0;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGALRM, &sa, &old) == 0);
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	t0 = now_s();
	CHECK(vb_channel_recv(&p.ch, -1, &flag, &line, &len) == -EINTR);
	dt = now_s() - t0;
	CHECK_MSG(dt >= 0.04 && dt < 2.0, "%.3f s", dt);
	sigaction(SIGALRM, &old, NULL);

	/* A clear flag does not get in the way. */
	flag = 0;
	put(&p, "fine\n");
	CHECK(vb_channel_recv(&p.ch, -1, &flag, &line, &len) == 0 && !strcmp(line, "fine"));
	pipes_close(&p);
}

static void test_channel_socket(void)
{
	int sv[2];
	struct vb_channel a, b;
	struct sigaction sa = { .sa_handler = SIG_IGN }, old;
	char *line;
	size_t len;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	vb_channel_init(&a, sv[0], sv[0], 128);
	vb_channel_init(&b, sv[1], sv[1], 128);
	CHECK(vb_channel_send(&a, "ping") == 0);
	CHECK(vb_channel_recv(&b, 2000, NULL, &line, &len) == 0 && !strcmp(line, "ping"));
	CHECK(vb_channel_send(&b, "pong") == 0);
	CHECK(vb_channel_recv(&a, 2000, NULL, &line, &len) == 0 && !strcmp(line, "pong"));
	vb_channel_release(&b);
	vb_channel_release(&b);
	CHECK(b.rfd == -1 && b.wfd == -1 && b.buf == NULL);
	CHECK(vb_channel_recv(&a, 2000, NULL, &line, &len) == -EPIPE);
	/* The peer is gone: sending says so. */
	sigaction(SIGPIPE, &sa, &old);
	CHECK(vb_channel_send(&a, "anyone?") == -EPIPE);
	sigaction(SIGPIPE, &old, NULL);
	vb_channel_release(&a);
	/* rfd == wfd: released once, and released for good. */
	CHECK(fcntl(sv[0], F_GETFD) < 0 && errno == EBADF);
}

/* A peer that does not read: the channel stops being writable before a send could block. */
static void test_channel_writable(void)
{
	int sv[2];
	struct vb_channel a;
	unsigned sent = 0;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	vb_channel_init(&a, sv[0], sv[0], 128);
	CHECK(vb_channel_writable(&a));
	while (vb_channel_writable(&a) && sent < 1000000) {
		CHECK(vb_channel_send(&a, "{\"v\":1,\"type\":\"sync\"}") == 0);
		sent++;
	}
	CHECK_MSG(sent > 10 && sent < 1000000, "%u lines before it filled", sent);
	CHECK(!vb_channel_writable(&a));
	/* The peer reads everything: writable again. */
	{
		char buf[65536];

		CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
		while (read(sv[1], buf, sizeof(buf)) > 0)
			;
	}
	CHECK(vb_channel_writable(&a));
	close(sv[1]);
	vb_channel_release(&a);
	CHECK(!vb_channel_writable(&a));
}

/* The next event; 0 or a negative code (with a note of what came). */
static int agent_event(struct agent_proc *a, struct vb_event *ev)
{
	struct vb_error *err = NULL;
	char *line;
	size_t len;
	int r = vb_channel_recv(&a->ch, 30000, NULL, &line, &len);

	memset(ev, 0, sizeof(*ev));
	if (r) {
		printf("# no event from the agent: %d\n", r);
		return r;
	}
	r = vb_event_parse(line, len, ev, &err);
	if (r) {
		printf("# the agent sent %s: %s\n", line, err->msg);
		vb_error_free(&err);
	}
	return r;
}

/* Expect an event of a type (for job), and hand it over for more checks. */
static bool agent_expect(struct agent_proc *a, enum vb_event_type type, const char *job,
			 struct vb_event *ev)
{
	if (agent_event(a, ev))
		return false;
	CHECK_MSG(ev->type == type, "got %s, want %s", vb_event_type_name(ev->type),
		  vb_event_type_name(type));
	if (job && ev->type != VB_EV_HELLO)
		CHECK_MSG(ev->job && !strcmp(ev->job, job), "job %s, want %s", ev->job, job);
	return ev->type == type;
}

static int agent_wait(struct agent_proc *a)
{
	int status = -1;
	double t0 = now_s();

	for (;;) {
		pid_t r = waitpid(a->pid, &status, WNOHANG);

		if (r == a->pid)
			return status;
		if (r < 0 || now_s() - t0 > 30) {
			kill(a->pid, SIGKILL);
			waitpid(a->pid, &status, 0);
			return -1;
		}
		usleep(2000);
	}
}

static void agent_send(struct agent_proc *a, const char *line)
{
	CHECK(vb_channel_send(&a->ch, line) == 0);
}

/* started, error (containing want), done ok=false. */
static void agent_expect_failure(struct agent_proc *a, const char *job, const char *want)
{
	struct vb_event ev;

	if (agent_expect(a, VB_EV_STARTED, job, &ev))
		vb_event_release(&ev);
	if (agent_expect(a, VB_EV_ERROR, job, &ev)) {
		CHECK_MSG(strstr(ev.msg, want) != NULL, "\"%s\" lacks \"%s\"", ev.msg, want);
		vb_event_release(&ev);
	}
	if (agent_expect(a, VB_EV_DONE, job, &ev)) {
		CHECK(!ev.ok);
		vb_event_release(&ev);
	}
}

static void test_agent_loop(void)
{
	struct agent_proc a;
	struct vb_event ev;
	int status;

	CHECK(agent_start(&a));
	if (agent_expect(&a, VB_EV_HELLO, NULL, &ev)) {
		CHECK(ev.protocol == VB_PROTOCOL_VERSION);
		CHECK(ev.pid == a.pid);
		CHECK(ev.agent_version && !strcmp(ev.agent_version, VB_VERSION));
		vb_event_release(&ev);
	}

	agent_send(&a, "{\"v\":1,\"type\":\"job\",\"id\":\"j1\",\"workload\":\"cpu.primes\","
		       "\"params\":{\"limit\":1000,\"threads\":2}}");
	if (agent_expect(&a, VB_EV_STARTED, "j1", &ev)) {
		CHECK(!strcmp(ev.workload, "cpu.primes"));
		vb_event_release(&ev);
	}
	if (agent_expect(&a, VB_EV_LOG, "j1", &ev)) {
		CHECK(!strcmp(ev.level, "info"));
		CHECK_MSG(strstr(ev.msg, "168") != NULL, "%s", ev.msg);
		vb_event_release(&ev);
	}
	if (agent_expect(&a, VB_EV_SAMPLE, "j1", &ev)) {
		CHECK(ev.nvalues == 2);
		if (ev.nvalues == 2) {
			CHECK(!strcmp(ev.values[0].name, "elapsed") && ev.values[0].value > 0);
			CHECK(!strcmp(ev.values[1].name, "rate") && ev.values[1].value > 0);
		}
		vb_event_release(&ev);
	}
	if (agent_expect(&a, VB_EV_DONE, "j1", &ev)) {
		CHECK(ev.ok);
		vb_event_release(&ev);
	}

	agent_send(&a, "{\"v\":1,\"type\":\"job\",\"id\":\"j2\",\"workload\":\"no.such\"}");
	agent_expect_failure(&a, "j2", "unknown workload");
	agent_send(&a, "{\"v\":1,\"type\":\"job\",\"id\":\"j3\",\"workload\":\"cpu.primes\","
		       "\"params\":{\"limit\":1000,\"threads\":0}}");
	agent_expect_failure(&a, "j3", "out of range");
	agent_send(&a, "{\"v\":1,\"type\":\"job\",\"id\":\"j4\",\"workload\":\"cpu.primes\","
		       "\"params\":{\"limits\":1000}}");
	agent_expect_failure(&a, "j4", "no option \"limits\"");
	agent_send(&a, "{\"v\":1,\"type\":\"job\",\"id\":\"j5\",\"workload\":\"cpu.primes\","
		       "\"params\":{\"threads\":true}}");
	agent_expect_failure(&a, "j5", "wrong type");

	/* Garbage: an error, and the agent keeps serving. */
	agent_send(&a, "this is not json");
	if (agent_expect(&a, VB_EV_ERROR, "-", &ev)) {
		CHECK(strstr(ev.msg, "malformed") != NULL);
		vb_event_release(&ev);
	}
	agent_send(&a, "{\"v\":2,\"type\":\"quit\"}");
	if (agent_expect(&a, VB_EV_ERROR, "-", &ev)) {
		CHECK(strstr(ev.msg, "version") != NULL);
		vb_event_release(&ev);
	}
	{
		char *big = xmalloc(VB_PROTO_MAX_LINE + 100);

		memset(big, 'x', VB_PROTO_MAX_LINE + 99);
		big[VB_PROTO_MAX_LINE + 99] = '\0';
		agent_send(&a, big);
		free(big);
	}
	if (agent_expect(&a, VB_EV_ERROR, "-", &ev)) {
		CHECK(strstr(ev.msg, "too long") != NULL);
		vb_event_release(&ev);
	}

	agent_send(&a, "{\"v\":1,\"type\":\"job\",\"id\":\"j6\",\"workload\":\"mem.memcpy\","
		       "\"params\":{\"size\":65536,\"loops\":2}}");
	if (agent_expect(&a, VB_EV_STARTED, "j6", &ev))
		vb_event_release(&ev);
	if (agent_expect(&a, VB_EV_SAMPLE, "j6", &ev)) {
		CHECK(ev.nvalues == 2 && ev.values[0].value > 0 && ev.values[1].value > 0);
		vb_event_release(&ev);
	}
	if (agent_expect(&a, VB_EV_DONE, "j6", &ev)) {
		CHECK(ev.ok);
		vb_event_release(&ev);
	}

	agent_send(&a, "{\"v\":1,\"type\":\"quit\"}");
	status = agent_wait(&a);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	/* Nothing after quit but the end of the channel. */
	{
		char *line;
		size_t len;

		CHECK(vb_channel_recv(&a.ch, 2000, NULL, &line, &len) == -EPIPE);
	}
	vb_channel_release(&a.ch);
}

static void test_agent_eof(void)
{
	struct agent_proc a;
	struct vb_event ev;
	int status;

	/* The supervisor going away ends the agent cleanly. */
	CHECK(agent_start(&a));
	if (agent_expect(&a, VB_EV_HELLO, NULL, &ev))
		vb_event_release(&ev);
	close(a.ch.wfd);
	a.ch.wfd = -1;
	status = agent_wait(&a);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	vb_channel_release(&a.ch);
}

/*
 * A guest's text (log and error messages) arrives cleaned: escape sequences,
 * newlines, DEL and C1 controls become visible escapes (issue 13, item 9).
 */
static void test_event_cleans_text(void)
{
	static const char *const types[] = { "log\",\"level\":\"info", "error" };
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		_cleanup_free_ char *line = xasprintf(
		    "{\"v\":1,\"type\":\"%s\",\"job\":\"j\",\"msg\":"
		    "\"\\u001b[2J\\u001b]0;pwned\\u0007 x\\ny\\r\\u007f\\u009b1m \xc3\xa9\\t\"}",
		    types[i]);
		struct vb_event ev;
		struct vb_error *err = NULL;
		CHECK_MSG(parse_event(line, &ev, &err) == 0, "%s", err ? err->msg : "");
		vb_error_free(&err);
		CHECK_MSG(ev.msg && !strcmp(ev.msg, "\\x1b[2J\\x1b]0;pwned\\x07 x\\ny\\x0d\\x7f"
						    "\\u009b1m \xc3\xa9\t"),
			  "cleaned to %s", ev.msg ? ev.msg : "(null)");
		for (const char *p = ev.msg; p && *p; p++)
			CHECK((unsigned char)*p >= 0x20 || *p == '\t');
		vb_event_release(&ev);
	}
}

/* Check one sample line of workload wname against its metrics, timeout 600 s. */
static int check_sample(const char *wname, const char *values, char **msg)
{
	const struct vb_workload_ops *w = vb_workload_find(wname);
	_cleanup_free_ char *line =
	    xasprintf("{\"v\":1,\"type\":\"sample\",\"job\":\"j\",\"values\":%s}", values);
	struct vb_event ev;
	struct vb_error *err = NULL;
	*msg = NULL;
	if (!w || parse_event(line, &ev, &err)) {
		vb_error_free(&err);
		return -999;
	}
	int r = vb_sample_check(&ev, w, 600, &err);
	if (err)
		*msg = xstrdup(err->msg);
	vb_error_free(&err);
	vb_event_release(&ev);
	return r;
}

/* Values that are finite but impossible (issue 13, item 10) fail the sample. */
static void test_sample_implausible(void)
{
	static const struct {
		const char *workload, *values, *says;
	} bad[] = {
		{ "cpu.primes", "{\"elapsed\":-1,\"rate\":1000}", "elapsed = -1 s" },
		{ "cpu.primes", "{\"elapsed\":0,\"rate\":1000}", "elapsed = 0 s" },
		{ "cpu.primes", "{\"elapsed\":601,\"rate\":1000}", "at most 600 s" },
		{ "cpu.primes", "{\"elapsed\":1,\"rate\":-1e300}", "rate = -1e+300" },
		{ "cpu.primes", "{\"elapsed\":1,\"rate\":1e308}", "rate = 1e+308" },
		{ "cpu.primes", "{\"elapsed\":1,\"rate\":-0.5}", "must be >= 0" },
		{ "mem.mbw", "{\"memcpy\":2e8,\"dumb\":1,\"mcblock\":1}", "memcpy = 2e+08 MiB/s" },
		{ "disk.latency", "{\"p50\":-3,\"p99\":1,\"mean\":1}", "p50 = -3 us" },
		{ "disk.latency", "{\"p50\":1,\"p99\":7e8,\"mean\":1}", "p99" },
		{ "net.tcp", "{\"throughput\":1e300}", "throughput" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char *msg;
		int r = check_sample(bad[i].workload, bad[i].values, &msg);
		CHECK_MSG(r == -ERANGE, "%s %s: %d", bad[i].workload, bad[i].values, r);
		CHECK_MSG(msg && strstr(msg, bad[i].says) && strstr(msg, bad[i].workload), "%s: %s",
			  bad[i].values, msg ? msg : "(none)");
		free(msg);
	}
	/* Plausible values pass, extreme but possible ones included. */
	static const struct {
		const char *workload, *values;
	} good[] = {
		{ "cpu.primes", "{\"elapsed\":0.0001,\"rate\":0}" },
		{ "cpu.primes", "{\"elapsed\":600,\"rate\":5e9,\"extra\":-1}" },
		{ "disk.latency", "{\"p50\":0,\"p99\":1e6,\"mean\":3.5}" },
		{ "mem.mbw", "{\"memcpy\":1e6,\"dumb\":1e5,\"mcblock\":2e6}" },
	};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		char *msg;
		CHECK_MSG(check_sample(good[i].workload, good[i].values, &msg) == 0, "%s: %s",
			  good[i].values, msg ? msg : "");
		free(msg);
	}
}

TEST_MAIN(T(test_job_round_trip), T(test_job_quit), T(test_job_rejects), T(test_job_reject_sizes),
	  T(test_event_round_trips), T(test_event_built), T(test_event_long_text),
	  T(test_event_rejects), T(test_channel_lines), T(test_channel_too_long),
	  T(test_channel_interrupted), T(test_channel_socket), T(test_channel_writable),
	  T(test_agent_loop), T(test_agent_eof), T(test_sample_implausible),
	  T(test_event_cleans_text))
