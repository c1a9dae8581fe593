/* SPDX-License-Identifier: MIT */
/* w3 workloads and the peer, over loopback, with a peer forked from this test. */
#include <endian.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "test.h"
#include "agent/peer.h"
#include "core/net.h"
#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"
#include "workload/net-common.h"

static pid_t peer_pid = -1;
static int peer_in = -1;
static char peer_addr[128];

/* Fork vb_peer_main on loopback; learn its address from its first line. */
static void start_peer(void)
{
	int in[2], out[2];
	if (pipe(in) || pipe(out))
		abort();
	fflush(stdout); /* the child must not repeat our buffered TAP lines */
	peer_pid = fork();
	if (peer_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		_exit(vb_peer_main("127.0.0.1:0"));
	}
	close(in[0]);
	close(out[1]);
	peer_in = in[1];
	FILE *f = fdopen(out[0], "r");
	char line[128] = "";
	if (!fgets(line, sizeof(line), f))
		abort();
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(peer_addr, sizeof(peer_addr), "%s", line + strlen("listening "));
}

static void stop_peer(void)
{
	close(peer_in);
	int st;
	waitpid(peer_pid, &st, 0);
}

static const struct vb_workload_ops *find(const char *name)
{
	const struct vb_workload_ops *w = vb_workload_find(name);
	if (!w)
		abort();
	return w;
}

static int run_with(const char *name, const char *peer, const char *const *sets, double *values,
		    struct vb_error **err)
{
	const struct vb_workload_ops *w = find(name);
	_cleanup_free_ void *opts = xcalloc(1, w->opts_size);
	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	for (size_t i = 0; sets && sets[i]; i += 2)
		if (vb_option_parse(w, vb_workload_option(w, sets[i]), sets[i + 1], opts, err))
			return -EINVAL;
	volatile sig_atomic_t stop = 0;
	struct vb_workload_ctx ctx = { .peer = peer, .stop = &stop };
	return w->run(&ctx, opts, values, err);
}

static void test_peer_address(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char hp[VB_PEER_MAX_TEXT];
	uint8_t token[16];
	CHECK(vb_peer_split(peer_addr, hp, sizeof(hp), token) == 0);
	CHECK(vb_parse_hostport(hp, false, &ss, &sl) == 0);
	CHECK(vb_addr_is_loopback(&ss));
	/* The peer's text is "A:P/" and 32 lower-case hex digits, nothing else. */
	CHECK(vb_peer_split("127.0.0.1:80", hp, sizeof(hp), token) == -EINVAL);
	CHECK(vb_peer_split("127.0.0.1:80/00", hp, sizeof(hp), token) == -EINVAL);
	CHECK(vb_peer_split("127.0.0.1:80/0123456789abcdef0123456789ABCDEF", hp, sizeof(hp),
			    token) == -EINVAL);
	CHECK(vb_peer_split("localhost:80/0123456789abcdef0123456789abcdef", hp, sizeof(hp),
			    token) == -EINVAL);
	CHECK(vb_peer_split("[::1]:80/0123456789abcdef0123456789abcdef", hp, sizeof(hp), token) ==
		  0 &&
	      !strcmp(hp, "[::1]:80") && token[0] == 0x01 && token[15] == 0xef);
	CHECK(vb_parse_hostport("[::1]:80", false, &ss, &sl) == 0 && vb_addr_is_loopback(&ss));
	CHECK(vb_parse_hostport("10.0.0.1:80", false, &ss, &sl) == 0 && !vb_addr_is_loopback(&ss));
	CHECK(vb_parse_hostport("localhost:80", false, &ss, &sl) == -EINVAL);
	CHECK(vb_parse_hostport("127.0.0.1:0", false, &ss, &sl) == -EINVAL);
	CHECK(vb_parse_hostport("127.0.0.1:0", true, &ss, &sl) == 0);
	CHECK(vb_parse_hostport("127.0.0.1:65536", false, &ss, &sl) == -EINVAL);
	CHECK(vb_parse_hostport("127.0.0.1", false, &ss, &sl) == -EINVAL);
	CHECK(vb_parse_hostport("[::1:80", false, &ss, &sl) == -EINVAL);
}

static void test_tcp(void)
{
	static const char *const sets[] = { "duration_ms", "200", NULL };
	double v[4] = { 0 };
	struct vb_error *err = NULL;
	int r = run_with("net.tcp", peer_addr, sets, v, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	CHECK(v[0] > 0 && isfinite(v[0]));
	vb_error_free(&err);
}

static void test_tcp_byte_bound(void)
{
	/* max_bytes ends the run before the time does: exactly that much is sent. */
	static const char *const sets[] = { "duration_ms", "60000", "max_bytes", "1M",
					    "buffer",	   "3000",  NULL };
	double v[4] = { 0 };
	struct vb_error *err = NULL;
	double t0 = vb_now();
	CHECK(run_with("net.tcp", peer_addr, sets, v, &err) == 0);
	CHECK(vb_now() - t0 < 30);
	vb_error_free(&err);
}

static void test_rr(void)
{
	static const char *const sets[] = { "count", "200", "size", "100", NULL };
	double v[4] = { 0 };
	struct vb_error *err = NULL;
	int r = run_with("net.rr", peer_addr, sets, v, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	CHECK(v[0] > 0 && v[0] <= v[1]);
	CHECK(v[2] > 0);
	vb_error_free(&err);
}

static void test_stress_net(void)
{
	static const char *const sets[] = { "duration_ms", "200", "workers", "2", NULL };
	double v[4] = { 0 };
	struct vb_error *err = NULL;
	int r = run_with("stress.net", peer_addr, sets, v, &err);
	CHECK_MSG(r == 0, "%s", err ? err->msg : "");
	CHECK(v[0] > 0 && v[1] > 0);
	vb_error_free(&err);
}

static void test_no_peer(void)
{
	double v[4];
	struct vb_error *err = NULL;
	CHECK(run_with("net.tcp", NULL, NULL, v, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "needs a peer"));
	vb_error_free(&err);
	/* Nobody listens on port 1 of loopback. */
	CHECK(run_with("net.rr", "127.0.0.1:1/0123456789abcdef0123456789abcdef", NULL, v, &err) <
	      0);
	CHECK(err && strstr(err->msg, "connecting to the peer"));
	vb_error_free(&err);
}

/* A peer that lies about the count: the workload must notice. */
static void test_wrong_count(void)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(a);
	CHECK(bind(lfd, (struct sockaddr *)&a, sl) == 0 && listen(lfd, 1) == 0);
	getsockname(lfd, (struct sockaddr *)&a, &sl);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		char buf[65536];
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		uint64_t be = htobe64(12345);
		(void)!write(fd, &be, sizeof(be));
		_exit(0);
	}
	close(lfd);
	char addr[96];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u/0123456789abcdef0123456789abcdef",
		 ntohs(a.sin_port));
	static const char *const sets[] = { "duration_ms", "50", NULL };
	double v[4];
	struct vb_error *err = NULL;
	CHECK(run_with("net.tcp", addr, sets, v, &err) == -EIO);
	CHECK(err && strstr(err->msg, "the peer received 12345"));
	vb_error_free(&err);
	int st;
	waitpid(pid, &st, 0);
}

/* A client that exceeds the limit it announced is cut off without a count. */
static void test_peer_enforces_limit(void)
{
	struct vb_error *err = NULL;
	int fd = vb_peer_connect(peer_addr, VB_PEER_SINK, 10, "test", &err);
	CHECK(fd >= 0);
	char buf[100] = { 0 };
	(void)!write(fd, buf, sizeof(buf));
	shutdown(fd, SHUT_WR);
	uint64_t count;
	CHECK(vb_peer_read_count(fd, &count, "test", &err) < 0);
	vb_error_free(&err);
	close(fd);
}

/* A hello with another token (any local user's) is dropped: no count, no work. */
static void test_peer_wants_token(void)
{
	struct vb_error *err = NULL;
	char forged[128];
	snprintf(forged, sizeof(forged), "%s", peer_addr);
	char *t = strchr(forged, '/') + 1;
	t[0] = t[0] == '0' ? '1' : '0';
	int fd = vb_peer_connect(forged, VB_PEER_SINK, 10, "test", &err);
	CHECK(fd >= 0);
	shutdown(fd, SHUT_WR);
	uint64_t count;
	CHECK(vb_peer_read_count(fd, &count, "test", &err) < 0);
	vb_error_free(&err);
	close(fd);
	/* ... while the right one is served. */
	fd = vb_peer_connect(peer_addr, VB_PEER_SINK, 10, "test", &err);
	CHECK(fd >= 0);
	shutdown(fd, SHUT_WR);
	CHECK(vb_peer_read_count(fd, &count, "test", &err) == 0 && count == 0);
	vb_error_free(&err);
	close(fd);
}

static void test_bad_options(void)
{
	const struct vb_workload_ops *w = find("net.rr");
	_cleanup_free_ void *opts = xcalloc(1, w->opts_size);
	struct vb_error *err = NULL;
	CHECK(vb_option_parse(w, vb_workload_option(w, "count"), "0", opts, &err) == -EINVAL);
	vb_error_free(&err);
	CHECK(vb_option_parse(w, vb_workload_option(w, "size"), "2M", opts, &err) == -EINVAL);
	vb_error_free(&err);
	const struct vb_workload_ops *s = find("stress.net");
	_cleanup_free_ void *sopts = xcalloc(1, s->opts_size);
	vb_options_defaults(s, VB_PROFILE_FULL, sopts); /* duration 0: until stopped */
	struct vb_workload_ctx ctx = { 0 };
	CHECK(s->check(sopts, &ctx, &err) == -EINVAL);
	vb_error_free(&err);
}

static void test_setup(void)
{
	start_peer();
	CHECK(strncmp(peer_addr, "127.0.0.1:", 10) == 0);
}

static void test_teardown(void)
{
	stop_peer();
	CHECK(waitpid(peer_pid, NULL, WNOHANG) < 0); /* reaped: it exited on stdin EOF */
}

TEST_MAIN(T(test_setup), T(test_peer_address), T(test_tcp), T(test_tcp_byte_bound), T(test_rr),
	  T(test_stress_net), T(test_no_peer), T(test_wrong_count), T(test_peer_enforces_limit),
	  T(test_peer_wants_token), T(test_bad_options), T(test_teardown))
