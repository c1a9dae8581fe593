/* SPDX-License-Identifier: MIT */
/* Unit tests for the middleware workloads: the observation stream and the clients' figures. */
#include <errno.h>

#include <jansson.h>

#include <signal.h>
#include <sys/wait.h>

#include "core/util.h"
#include "test.h"
#include "virtbench/error.h"
#include "workload/mw-common.h"
#include "workload/mw/mw.h"

static const struct vb_metric_desc metrics[] = {
	{ "publish_rate", "msg/s", true, "" },
	{ "publish_s", "s", false, "" },
	{ "start_s", "s", false, "" },
	{ 0 },
};
static const char *const apart[] = { "start_s", NULL };

static int parse(const char *out, double *v, char **msg)
{
	struct vb_error *err = NULL;
	int r = vb_mw_parse(out, metrics, apart, v, "mw.test", &err);
	*msg = err ? strdup(err->msg) : NULL;
	vb_error_free(&err);
	return r;
}

static void test_parse(void)
{
	double v[3] = { 0, 0, -1 };
	char *msg;
	CHECK(parse("publish_rate 1234.5\npublish_s 0.25\n", v, &msg) == 0);
	CHECK_NEAR(v[0], 1234.5, 1e-9);
	CHECK_NEAR(v[1], 0.25, 1e-12);
	CHECK(v[2] == -1); /* measured apart: left alone */
	free(msg);
	/* Order and other lines do not matter; a prefix of a name is not the name. */
	CHECK(parse("publish_s_extra 9\nnoise\npublish_s 2\npublish_rate 3", v, &msg) == 0);
	CHECK(v[0] == 3 && v[1] == 2);
	free(msg);
	static const char *const bad[] = {
		"publish_rate 1\n",			      /* missing */
		"publish_rate 1\npublish_s 1\npublish_s 2\n", /* twice */
		"publish_rate 1\npublish_s 0\n",	      /* zero */
		"publish_rate 1\npublish_s -3\n",	      /* negative */
		"publish_rate 1\npublish_s nan\n",	      /* not finite */
		"publish_rate 1\npublish_s inf\n",
		"publish_rate 1\npublish_s 2x\n", /* trailing text */
		"publish_rate 1\npublish_s \n",	  /* empty */
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_MSG(parse(bad[i], v, &msg) == -EPROTO, "case %zu", i);
		CHECK_MSG(msg && strstr(msg, "mw.test: ") == msg, "case %zu: %s", i, msg);
		free(msg);
	}
}

static void test_observations(void)
{
	char a[VB_OBS_MAX], b[VB_OBS_MAX], key[48];
	size_t n = vb_obs_json(7, 123, a);
	CHECK(n == strlen(a) && n > 150 && n < 260);
	/* The same bytes every time for the same seed and index; others differ. */
	CHECK(vb_obs_json(7, 123, b) == n && !memcmp(a, b, n));
	vb_obs_json(8, 123, b);
	CHECK(strcmp(a, b) != 0);
	vb_obs_json(7, 124, b);
	CHECK(strcmp(a, b) != 0);
	json_error_t je;
	json_t *o = json_loads(a, 0, &je);
	CHECK_MSG(o != NULL, "%s", je.text);
	vb_obs_key(7, 123, key);
	CHECK(!strcmp(key, "obs-7-123"));
	CHECK(o && !strcmp(json_string_value(json_object_get(o, "key")), key));
	static const char *const fields[] = { "sensor", "deployment", "time", "property", "unit" };
	for (size_t i = 0; o && i < sizeof(fields) / sizeof(fields[0]); i++)
		CHECK_MSG(json_is_string(json_object_get(o, fields[i])), "%s", fields[i]);
	CHECK(o && json_is_number(json_object_get(o, "value")));
	CHECK(o && json_is_number(json_object_get(json_object_get(o, "location"), "lat")));
	json_decref(o);
	/* A checksum over bodies: order-free as a sum, and sensitive to one byte. */
	uint64_t h1 = vb_obs_hash(a, n);
	a[n / 2] ^= 1;
	CHECK(vb_obs_hash(a, n) != h1);
}

/* A client that closes its output and runs on is still held to its time limit. */
static void test_client_limit(void)
{
	char *argv[] = { "/bin/sh", "-c", "exec >&- 2>&-; exec sleep 60", NULL };
	struct vb_client_result res;
	struct vb_error *err = NULL;
	double t0 = vb_monotonic_s();
	int r = vb_client_run(argv, 1, NULL, &res, &err);
	double took = vb_monotonic_s() - t0;
	CHECK_MSG(r == -ETIMEDOUT, "%d %s", r, err ? err->msg : "");
	CHECK_MSG(took < 30, "took %.1f s", took);
	CHECK(WIFSIGNALED(res.status) && WTERMSIG(res.status) == SIGKILL);
	vb_client_result_release(&res);
	vb_error_free(&err);
	/* And the environment is the fixed one, with libpq kept off Kerberos. */
	char *env_argv[] = { "/usr/bin/env", NULL };
	char *extra[] = { "PGPASSWORD=x", NULL };
	CHECK(vb_client_run_env(env_argv, extra, 10, NULL, &res, &err) == 0);
	CHECK(res.out && strstr(res.out, "PGGSSENCMODE=disable\n") &&
	      strstr(res.out, "KRB5CCNAME=MEMORY:\n") && strstr(res.out, "PGPASSWORD=x\n") &&
	      !strstr(res.out, "HOME="));
	vb_client_result_release(&res);
	vb_error_free(&err);
}

/* The pair's place from the job's peer field (mw.worker layout=split). */
static void test_place(void)
{
	char *addr = NULL, *secret = NULL;
	uint16_t port = 0;
	struct vb_error *err = NULL;
	CHECK(vb_mw_place_parse("10.233.7.22:5672/0123456789abcdef0123456789abcdef", "mw.test",
				&addr, &port, &secret, &err) == 0);
	CHECK(addr && !strcmp(addr, "10.233.7.22") && port == 5672);
	CHECK(secret && !strcmp(secret, "0123456789abcdef0123456789abcdef"));
	free(addr);
	free(secret);
	static const char *const bad[] = {
		NULL,						     /* no pair */
		"10.233.7.22:5672",				     /* no secret */
		"10.233.7.22:5672/0123456789abcdef",		     /* short */
		"10.233.7.22:5672/0123456789ABCDEF0123456789ABCDEF", /* upper case */
		"10.233.7.22:0/0123456789abcdef0123456789abcdef",    /* port 0 */
		"[::1]:5672/0123456789abcdef0123456789abcdef",	     /* not IPv4 */
		"localhost:5672/0123456789abcdef0123456789abcdef",   /* not numeric */
		"10.233.7.22:5672/0123456789abcdef0123456789abcdef; rm -rf /",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		addr = secret = NULL;
		CHECK_MSG(vb_mw_place_parse(bad[i], "mw.test", &addr, &port, &secret, &err) ==
			      -EINVAL,
			  "case %zu", i);
		CHECK_MSG(err && strstr(err->msg, "mw.test: layout=split"), "case %zu", i);
		CHECK(!addr && !secret);
		vb_error_free(&err);
	}
}

/* Each server's password is its own, from the job's secret and its variable's name. */
static void test_server_secret(void)
{
	static const char job[] = "0123456789abcdef0123456789abcdef";
	char a[33], b[33], c[33], again[33];
	vb_mw_server_secret(job, "VB_MW_SECRET", a);
	vb_mw_server_secret(job, "PGPASSWORD", b);
	vb_mw_server_secret(job, "VB_MW_DBA_SECRET", c);
	vb_mw_server_secret(job, "PGPASSWORD", again);
	CHECK(strlen(a) == 32 && strspn(a, "0123456789abcdef") == 32);
	CHECK(strcmp(a, b) && strcmp(b, c) && strcmp(a, c) && strcmp(a, job));
	CHECK(!strcmp(b, again));
	vb_mw_server_secret("fedcba9876543210fedcba9876543210", "PGPASSWORD", again);
	CHECK(strcmp(b, again));
}

/* Only a workload with a pair, in layout=split, has one. */
static void test_pair(void)
{
	const struct vb_workload_ops *w = vb_workload_find("mw.worker");
	const struct vb_workload_ops *cpu = vb_workload_find("cpu.primes");
	CHECK(w && cpu && w->pair && !strcmp(w->pair->name, "mw.services"));
	void *opts = calloc(1, w->opts_size);
	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	CHECK(vb_workload_pair(w, opts) == NULL);
	CHECK(vb_option_parse(w, vb_workload_option(w, "layout"), "split", opts, NULL) == 0);
	CHECK(vb_workload_pair(w, opts) == w->pair);
	CHECK(vb_workload_pair(w, NULL) == NULL);
	CHECK(vb_workload_pair(cpu, opts) == NULL);
	/* Every option of the pair is one of the workload's: the engine copies them by name. */
	for (const struct vb_option *o = w->pair->options; o->name; o++)
		CHECK_MSG(vb_workload_option(w, o->name) != NULL, "%s", o->name);
	CHECK(!strcmp(w->pair->group, "pair"));
	free(opts);
}

TEST_MAIN({ "vb_mw_parse: figures, each once, finite, positive", test_parse },
	  { "vb_mw_place_parse: the pair's address, port and secret, or a refusal", test_place },
	  { "vb_workload_pair: mw.worker layout=split has mw.services", test_pair },
	  { "vb_mw_server_secret: one password per server", test_server_secret },
	  { "vb_client_run: time limit after the output closed; the fixed environment",
	    test_client_limit },
	  { "observations: deterministic JSON with the fields", test_observations })
