/* SPDX-License-Identifier: MIT */
#ifndef VB_WORKLOAD_MW_COMMON_H
#define VB_WORKLOAD_MW_COMMON_H

#include <signal.h>
#include <stdint.h>

#include "virtbench/workload.h"
#include "workload/service.h"

/*
 * The middleware workloads (docs/middleware.md): servers started as
 * service workloads, driven by virtbench-mw (src/workload/mw/mw.h), the
 * clients' program beside the agent.
 */

/* The shared libraries virtbench-mw needs, as Debian packages (each workload's packages). */
/* netbase: /etc/hosts, where RabbitMQ's node rabbit@localhost finds localhost. */
#define VB_MW_LIBS VB_MW_CLIENT_PACKAGES ",netbase"

/* virtbench-mw beside the running agent; -ENOENT with *err if it is missing. */
int vb_mw_helper(char **path, struct vb_error **err);

/*
 * Read virtbench-mw's "NAME VALUE" lines into values[i] for each metric
 * m[i] whose name it prints; each must be there once, finite and above 0
 * (-EPROTO with *err naming it otherwise). Metrics named in skip (a
 * NULL-terminated list, may be NULL) are left alone.
 */
int vb_mw_parse(const char *out, const struct vb_metric_desc *m, const char *const *skip,
		double *values, const char *who, struct vb_error **err);

/*
 * Run virtbench-mw with args (NULL-terminated, after the program's name)
 * and env ("NAME=VALUE", NULL-terminated, may be NULL) added to the fixed
 * environment, within timeout_s, and read its figures as vb_mw_parse does. A non-zero
 * exit fails with the client's own "error:" line.
 */
int vb_mw_client(const char *who, char *const args[], char *const env[], double timeout_s,
		 volatile sig_atomic_t *stop, const struct vb_metric_desc *m,
		 const char *const *skip, double *values, struct vb_error **err);

/*
 * Open s as the job's RabbitMQ (vb_svc_open under scratch, user rabbitmq)
 * and start it on 127.0.0.1:port, node rabbit@localhost, its database, logs
 * and configuration in its directory; ready when an AMQP login succeeds
 * (timeout_s at most). The caller stops it (SIGTERM) and closes s, also on
 * failure.
 */
int vb_rabbitmq_start(struct vb_svc *s, const char *scratch, uint16_t port, const char *secret,
		      double timeout_s, volatile sig_atomic_t *stop, const char *who,
		      struct vb_error **err);

/*
 * Open s as the job's Virtuoso 7 (virtbench's own id: the package has no
 * user; vb_svc_open) and
 * start it with HTTP on 127.0.0.1:port and SQL on another free loopback
 * port, its database, log and configuration in its directory; ready when
 * a SPARQL query over HTTP answers (timeout_s at most). The caller stops it
 * (SIGTERM) and closes s, also on failure.
 */
int vb_virtuoso_start(struct vb_svc *s, const char *scratch, uint16_t port, const char *secret,
		      double timeout_s, volatile sig_atomic_t *stop, const char *who,
		      struct vb_error **err);

/* A middleware workload's server: how it starts and stops. */
struct vb_mw_server {
	const char *what; /* "the broker", for messages */
	const char *flag; /* virtbench-mw's option for its port: "--port", "--broker-port" */
	/*
	 * Open s and start the server on 127.0.0.1:port (vb_rabbitmq_start's
	 * contract); secret: the job's password (32 hex digits), for a server
	 * that asks for one.
	 */
	int (*start)(struct vb_svc *s, const char *scratch, uint16_t port, const char *secret,
		     double timeout_s, volatile sig_atomic_t *stop, const char *who,
		     struct vb_error **err);
	int stop_signal; /* its graceful stop */
};

/*
 * PostgreSQL (vb_pg_start) in vb_mw_server's shape: TCP logins by the
 * job's password (a process of another user that reached the job's network
 * would otherwise log in as its superuser and run programs as postgres).
 */
int vb_mw_pg_start(struct vb_svc *s, const char *scratch, uint16_t port, const char *secret,
		   double timeout_s, volatile sig_atomic_t *stop, const char *who,
		   struct vb_error **err);

/*
 * One sample of a middleware workload who (where=guest): in the job's own
 * network namespace where the agent may make one, each server of srv
 * (NULL-terminated, at most 4) on a port of its own (the first on
 * port_opt when it is not 0), started in turn (600 s at most each; their
 * time together is the metric start_s), then `virtbench-mw CMD FLAG PORT
 * ... EXTRA...` within client_timeout_s, its figures into values as
 * vb_mw_client reads them; the servers stopped (30 s each, then SIGKILL)
 * and removed whatever happened.
 */
int vb_mw_run(const struct vb_workload_ctx *ctx, const char *who,
	      const struct vb_mw_server *const srv[], uint64_t port_opt, const char *cmd,
	      char *const extra[], double client_timeout_s, const struct vb_metric_desc *m,
	      double *values, struct vb_error **err);

#endif
