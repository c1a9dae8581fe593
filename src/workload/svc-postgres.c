/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL as a service workload's server (app.pgbench, mw.docstore,
 * mw.worker): a database cluster made per job on the scratch disk, the
 * server run as the postgres user on one address, ready when pg_isready
 * says so.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "workload/service.h"

/*
 * pg_hba.conf gets a line for the host's client, by password. Opened a
 * directory at a time without following links: postgres owns them.
 */
static int admit_host(const struct vb_svc *s, const char *who, struct vb_error **err)
{
	static const char hba[] = "host all postgres 0.0.0.0/0 scram-sha-256\n"
				  "host all postgres ::/0 scram-sha-256\n";
	_cleanup_close_ int data =
	    s->dir_fd < 0 ? -1 : openat(s->dir_fd, "data", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int fd =
	    data < 0 ? -1
		     : openat(data, "pg_hba.conf", O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || vb_write_all(fd, hba, sizeof(hba) - 1))
		return vb_error_errno(err, errno, "%s: cannot admit the host in %s/data", who,
				      s->dir);
	return 0;
}

int vb_pg_start(struct vb_svc *s, const char *scratch, const char *addr, uint16_t port,
		const char *secret, volatile sig_atomic_t *stop, const char *who,
		struct vb_error **err)
{
	/* Closable whatever fails. */
	*s = (struct vb_svc){ .pid = -1, .log_fd = -1, .dir_fd = -1 };
	_cleanup_free_ char *bin = vb_pg_bindir(err);
	if (!bin)
		return -ENOENT;
	_cleanup_free_ char *initdb = xasprintf("%s/initdb", bin);
	_cleanup_free_ char *postgres = xasprintf("%s/postgres", bin);
	_cleanup_free_ char *isready = xasprintf("%s/pg_isready", bin);
	_cleanup_free_ char *p = xasprintf("%u", port);
	_cleanup_free_ char *listen = xasprintf("listen_addresses=%s", addr);
	int r = vb_svc_open(s, "postgresql", scratch, "postgres", err);
	if (r)
		return r;
	_cleanup_free_ char *data = xasprintf("%s/data", s->seen);
	_cleanup_free_ char *pwopt = xasprintf("--pwfile=%s/pw", s->seen);
	/* Without a secret the argument list ends at the NULL: trust, no password file. */
	char *initdb_argv[] = { initdb,
				"-D",
				data,
				"-E",
				"UTF8",
				"--locale=C.UTF-8",
				"-U",
				"postgres",
				"--no-sync",
				secret ? "--auth-local=trust" : "--auth=trust",
				secret ? "--auth-host=scram-sha-256" : NULL,
				pwopt,
				NULL };
	if (secret)
		r = vb_svc_write(s, "pw", secret, strlen(secret), err);
	if (!r)
		r = vb_svc_run(s, initdb_argv, 600, stop, err);
	if (!r && secret)
		r = admit_host(s, who, err);
	char *pg_argv[] = { postgres, "-D", data, "-p", p, "-c", listen, "-k", s->seen, NULL };
	if (!r)
		r = vb_svc_start(s, pg_argv, err);
	char *probe[] = { isready, "-q", "-h", (char *)addr, "-p", p, "-U", "postgres", NULL };
	if (!r)
		r = vb_svc_wait_ready(s, addr, port, probe, 120, stop, err);
	return r;
}
