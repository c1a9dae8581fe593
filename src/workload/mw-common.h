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
 * vb_mw_client with its standard input from in_fd and its output to out_fd
 * (vb_client_run_io: > 2, or -1); with out_fd it prints no figures, so m
 * names none.
 */
int vb_mw_client_io(const char *who, char *const args[], char *const env[], int in_fd, int out_fd,
		    double timeout_s, volatile sig_atomic_t *stop, const struct vb_metric_desc *m,
		    const char *const *skip, double *values, struct vb_error **err);

/* What a middleware server's start gets. */
struct vb_mw_start {
	const char *scratch; /* the job's scratch directory: the service's lives in it */
	const char *addr;    /* the numeric address it listens on: "127.0.0.1", or the pair's */
	uint16_t port;
	const char *secret; /* the job's password: 32 hex digits */
	double timeout_s;   /* until it answers */
	volatile sig_atomic_t *stop;
	/*
	 * addr is reached from elsewhere (the pair's servers): a server whose
	 * fresh database has a stock password sets the job's before it
	 * listens there.
	 */
	bool exposed;
};

/* A middleware workload's server: how it starts and stops. */
struct vb_mw_server {
	const char *what; /* "the broker", for messages */
	const char *flag; /* virtbench-mw's option for its port: "--port", "--broker-port" */
	/*
	 * Open s (vb_svc_open) and start the server on st->addr:st->port, ready
	 * when a client's login or query succeeds within st->timeout_s. The
	 * caller stops it (stop_signal) and closes s, also on failure.
	 */
	int (*start)(struct vb_svc *s, const struct vb_mw_start *st, struct vb_error **err);
	int stop_signal; /* its graceful stop */
	/*
	 * The client's environment variable for its password: PGPASSWORD,
	 * VB_MW_SECRET (RabbitMQ's vb), VB_MW_DBA_SECRET (Virtuoso's dba).
	 * Each server's is its own, made from the job's secret and this name
	 * (vb_mw_server_secret): one that leaks opens no other.
	 */
	const char *secret_env;
};

/* A server's password: the first 32 hex digits of SHA-256(job secret ":" secret_env). */
void vb_mw_server_secret(const char *job_secret, const char *secret_env, char out[33]);

/*
 * The clients' environment for servers srv (NULL-terminated): one
 * "ENV=PASSWORD" each; free with vb_mw_env_free, which wipes them.
 */
char **vb_mw_secret_env(const struct vb_mw_server *const srv[], const char *job_secret);
void vb_mw_env_free(char **env);

/*
 * RabbitMQ under its own user, node rabbit@localhost, its database, logs
 * and configuration in its directory, epmd and Erlang's distribution on
 * loopback (ports of their own); one user, vb, whose password is the
 * job's secret (the stock guest is not made).
 */
int vb_mw_rabbitmq_start(struct vb_svc *s, const struct vb_mw_start *st, struct vb_error **err);

/*
 * Virtuoso 7 as virtbench's own id (the package has no user): HTTP on
 * st->addr, SQL on a free loopback port, its database, log and
 * configuration in its directory; once it answers, dba's password is set
 * to the job's secret (isql-vt over loopback, the statement in a file of
 * the service's directory), where no one else reaches it when exposed.
 */
int vb_mw_virtuoso_start(struct vb_svc *s, const struct vb_mw_start *st, struct vb_error **err);

/*
 * PostgreSQL (vb_pg_start): TCP logins by the job's password (a process of
 * another user that reached the job's network would otherwise log in as
 * its superuser and run programs as postgres).
 */
int vb_mw_pg_start(struct vb_svc *s, const struct vb_mw_start *st, struct vb_error **err);

/*
 * Where a job's servers run. addr NULL: on 127.0.0.1 in the job's own
 * network namespace where the agent may make one, each on a free port (the
 * first on port_opt when it is not 0), with a password made for the job.
 * Else (mw.services, the pair of mw.worker layout=split): on addr in the
 * agent's own namespace, server i on base_port + i, with the pair's secret.
 */
struct vb_mw_place {
	const char *addr;
	uint16_t base_port;
	const char *secret; /* 32 hex digits */
};

/*
 * The pair's place from the job's peer field, "ADDR:PORT/TOKEN": the
 * services' address, their first port and the pair's secret (the token).
 * *addr_out and *secret_out are freed by the caller. -EINVAL with *err when
 * there is none or it is malformed.
 */
int vb_mw_place_parse(const char *peer, const char *who, char **addr_out, uint16_t *port,
		      char **secret_out, struct vb_error **err);

/*
 * One sample of a middleware workload who: its servers srv (NULL-terminated,
 * at most 4) where place says (NULL: the job's own), started in turn (600 s
 * at most each; their time together is the metric start_s), then
 * `virtbench-mw CMD FLAG PORT ... EXTRA... --host ADDR` within client_timeout_s, with
 * each server's password in its environment (vb_mw_secret_env), its
 * figures into values as vb_mw_client reads them; the servers stopped (30 s
 * each, then SIGKILL) and removed whatever happened. With place, the client
 * runs twice, with `--role fill` and then `--role check`, and the job logs
 * VB_PAIR_READY between them.
 */
int vb_mw_run(const struct vb_workload_ctx *ctx, const char *who,
	      const struct vb_mw_server *const srv[], uint64_t port_opt,
	      const struct vb_mw_place *place, const char *cmd, char *const extra[],
	      double client_timeout_s, const struct vb_metric_desc *m, double *values,
	      struct vb_error **err);

#endif
