/* SPDX-License-Identifier: MIT */
/*
 * A small QMP client (QEMU's monitor protocol, JSON lines over a unix
 * socket): connect, the greeting and qmp_capabilities, one command at a
 * time with its answer; events in between are skipped.
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "agent/client.h"
#include "core/json.h"
#include "core/proc.h"
#include "core/util.h"
#include "platform/qmp.h"

#define QMP_TIMEOUT_S 5.0

void vb_qmp_init(struct vb_qmp *q)
{
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}

void vb_qmp_close(struct vb_qmp *q)
{
	vb_closep(&q->fd);
	q->fd = -1;
	free(q->buf);
	q->buf = NULL;
	q->len = q->cap = 0;
}

/* One message (a line of JSON) within deadline. */
int vb_qmp_read(struct vb_qmp *q, double deadline, json_t **msg, struct vb_error **err)
{
	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - q->buf) + 1;
			json_t *m = json_loadb(q->buf, n, 0, NULL);
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (!m)
				return vb_error_set(err, -EPROTO, "QMP: a reply that is not JSON");
			*msg = m;
			return 0;
		}
		if (vb_interrupted)
			return vb_error_set(err, -EINTR, "interrupted");
		double left = deadline - vb_monotonic_s();
		if (left <= 0)
			return vb_error_set(err, -ETIMEDOUT, "QEMU did not answer on QMP in time");
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
		int pr = poll(&pfd, 1, ms);
		if (pr < 0 && errno != EINTR)
			return vb_error_errno(err, errno, "QMP: poll");
		if (pr <= 0)
			continue;
		if (q->cap - q->len < 4096) {
			if (q->cap >= (1u << 20))
				return vb_error_set(err, -EPROTO, "QMP: a line over 1 MiB");
			q->cap = q->cap ? q->cap * 2 : 16384;
			q->buf = xrealloc(q->buf, q->cap);
		}
		ssize_t n = read(q->fd, q->buf + q->len, q->cap - q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vb_error_errno(err, errno, "QMP: read");
		if (n == 0)
			return vb_error_set(err, -ECONNRESET, "QEMU closed its monitor");
		q->len += (size_t)n;
	}
}

/* Execute cmd (args stolen, may be NULL); *ret (may be NULL) gets "return". */
int vb_qmp_exec(struct vb_qmp *q, const char *cmd, json_t *args, json_t **ret,
		struct vb_error **err)
{
	_cleanup_json_ json_t *req = json_object();
	json_object_set_new(req, "execute", json_string(cmd));
	if (args)
		json_object_set_new(req, "arguments", args);
	_cleanup_free_ char *line = vb_json_line(req);
	_cleanup_free_ char *text = xasprintf("%s\n", line);
	int r = vb_write_all(q->fd, text, strlen(text));
	if (r)
		return vb_error_errno(err, -r, "QMP: sending %s", cmd);
	double deadline = vb_monotonic_s() + QMP_TIMEOUT_S;
	for (;;) {
		_cleanup_json_ json_t *m = NULL;
		r = vb_qmp_read(q, deadline, &m, err);
		if (r)
			return vb_error_wrap(err, "%s", cmd);
		json_t *rv = json_object_get(m, "return");
		if (rv) {
			if (ret)
				*ret = json_incref(rv);
			return 0;
		}
		json_t *e = json_object_get(m, "error");
		if (e) {
			const char *desc = NULL;
			if (vb_json_str(e, "desc", 512, &desc))
				desc = "no description";
			return vb_error_set(err, -EIO, "%s: %s", cmd, desc);
		}
		/* An event: not our answer. */
	}
}

int vb_qmp_connect(struct vb_qmp *q, const char *sock, pid_t qemu, double timeout_s,
		   struct vb_error **err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof(a.sun_path))
		return vb_error_set(err, -ENAMETOOLONG, "QMP: socket path too long: %s", sock);
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	double deadline = vb_monotonic_s() + timeout_s;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return vb_error_errno(err, errno, "socket");
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			q->fd = fd;
			break;
		}
		close(fd);
		if (qemu > 0 && !vb_proc_alive(qemu))
			return vb_error_set(err, -ECHILD, "QEMU exited before its monitor opened");
		if (vb_interrupted)
			return vb_error_set(err, -EINTR, "interrupted");
		if (vb_monotonic_s() > deadline)
			return vb_error_set(err, -ETIMEDOUT,
					    "QEMU did not open its monitor in %g s", timeout_s);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	_cleanup_json_ json_t *greeting = NULL;
	int r = vb_qmp_read(q, vb_monotonic_s() + QMP_TIMEOUT_S, &greeting, err);
	if (!r && !json_object_get(greeting, "QMP"))
		r = vb_error_set(err, -EPROTO, "QMP: no greeting");
	if (!r)
		r = vb_qmp_exec(q, "qmp_capabilities", NULL, NULL, err);
	if (r)
		vb_qmp_close(q);
	return r;
}

int vb_qmp_vcpu_threads(struct vb_qmp *q, pid_t **tids, size_t *n, struct vb_error **err)
{
	_cleanup_json_ json_t *rv = NULL;
	*tids = NULL;
	*n = 0;
	int r = vb_qmp_exec(q, "query-cpus-fast", NULL, &rv, err);
	if (r)
		return r;
	if (!json_is_array(rv) || json_array_size(rv) == 0 || json_array_size(rv) > 4096)
		return vb_error_set(err, -EPROTO, "query-cpus-fast: no list of vCPUs");
	*tids = xcalloc(json_array_size(rv), sizeof(pid_t));
	size_t i;
	json_t *c;
	json_array_foreach(rv, i, c)
	{
		long long tid;
		if (vb_json_int(c, "thread-id", 1, INT32_MAX, &tid)) {
			free(*tids);
			*tids = NULL;
			return vb_error_set(err, -EPROTO,
					    "query-cpus-fast: vCPU %zu has no thread-id", i);
		}
		(*tids)[(*n)++] = (pid_t)tid;
	}
	return 0;
}
