/* SPDX-License-Identifier: MIT */
#ifndef VB_WORKLOAD_SERVICE_H
#define VB_WORKLOAD_SERVICE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtbench/error.h"

/*
 * Service workloads (docs/apps.md): a server started in the guest as its
 * own unprivileged user, with its files in a directory of the job's
 * scratch, driven by a client, stopped and removed within the job. The
 * same code runs on every platform; only what the agent may do differs:
 *
 * - Where the agent may create namespaces (root on the host, in a VM), the
 *   server is the first process of a PID namespace of its own, with SIGKILL
 *   as its parent-death signal: when it ends, or the agent dies, the kernel
 *   ends every process of it (nginx's workers, PostgreSQL's backends).
 * - Where the scratch directory's parents are closed to other users (the
 *   host's state directory is root's, mode 0700), the server sees its
 *   directory at /tmp/vb-svc, bound there in a mount namespace of its own
 *   (over a private /tmp). Nothing of this is visible outside.
 * - In a container the agent has no CAP_SYS_ADMIN: the server is a plain
 *   child in its own session, and the container's PID namespace is what
 *   ends it if the agent dies; /scratch is open to its user.
 */
struct vb_svc {
	char *name; /* "nginx", for messages */
	char *dir;  /* the service's directory as the agent sees it */
	char *seen; /* the same directory as the server sees it */
	char *log;  /* <dir>/server.log: the server's and its helpers' output */
	int log_fd; /* it, opened once before anything runs as the service's user */
	/*
	 * The directory itself, opened when it was made, before anything ran as
	 * its user: the agent makes and removes files through it, never by path
	 * (the user may rename the directory and leave a link in its place).
	 */
	int dir_fd;
	bool private_tmp; /* seen is /tmp/vb-svc in a mount namespace of its own */
	uid_t uid;
	gid_t gid;
	bool shared_pidns; /* it ran without a PID namespace of its own (a container) */
	pid_t pid;	   /* the server; -1 when not running */
	int status;	   /* its wait status once it ended */
};

/*
 * Look up user in the guest's /etc/passwd (NULL: virtbench's own id,
 * VB_SVC_UID, for a server whose package has no user; nobody where this
 * user namespace does not map it) and create <scratch>/svc-<name>
 * (emptied if it exists) owned by it, mode 0700. Fills s; release with
 * vb_svc_close. Fails with a clear message where the user does not exist
 * or the server could not reach its directory.
 */
int vb_svc_open(struct vb_svc *s, const char *name, const char *scratch, const char *user,
		struct vb_error **err);

/*
 * Create name (O_EXCL, never through a link) in the service's directory
 * through its dir_fd, with flags (O_WRONLY or O_RDWR, ...) and mode; the
 * file is root's. Returns the descriptor (close-on-exec) or -errno with
 * *err naming it.
 */
int vb_svc_create(const struct vb_svc *s, const char *name, int flags, mode_t mode,
		  struct vb_error **err);

/* Remove name from the service's directory (through its dir_fd); gone already is fine. */
void vb_svc_unlink(const struct vb_svc *s, const char *name);

/*
 * Where the agent may (CAP_SYS_ADMIN: root on the host, in a VM), move the
 * calling thread into a network namespace of its own with only loopback up,
 * for a job whose server and client both run here (where=guest): no other
 * user of the host can reach the server's port, nor answer in its place.
 * *saved is the namespace to return to with vb_svc_net_leave, or -1 where
 * the agent has no such right (a container: its own namespace already keeps
 * the host out).
 */
int vb_svc_net_enter(int *saved, struct vb_error **err);
void vb_svc_net_leave(int *saved);

/* Start the server argv (argv[0] absolute) as the service's user, in its directory. */
int vb_svc_start(struct vb_svc *s, char *const argv[], struct vb_error **err);

/*
 * Wait until the server accepts TCP connections on addr:port (addr NULL:
 * 127.0.0.1; a numeric IPv4 or IPv6 address) and, with
 * probe, until the command probe (run as a client) exits 0. Fails when the
 * server ends first (quoting the end of its log), past timeout_s, or when
 * *stop is set.
 */
int vb_svc_wait_ready(struct vb_svc *s, const char *addr, uint16_t port, char *const probe[],
		      double timeout_s, volatile sig_atomic_t *stop, struct vb_error **err);
/* The same with env ("NAME=VALUE", NULL-terminated) added to the probe's environment. */
int vb_svc_wait_ready_env(struct vb_svc *s, const char *addr, uint16_t port, char *const probe[],
			  char *const env[], double timeout_s, volatile sig_atomic_t *stop,
			  struct vb_error **err);

/* Run argv as the service's user (e.g. initdb) to its end; non-zero exit fails. */
int vb_svc_run(struct vb_svc *s, char *const argv[], double timeout_s, volatile sig_atomic_t *stop,
	       struct vb_error **err);

/*
 * The same with its standard output to out_fd (> 2, opened by the caller;
 * -1: the log, as vb_svc_run), its errors to the log: a command whose output
 * is its result (Jena's tdb2.tdbdump).
 */
int vb_svc_run_out(struct vb_svc *s, char *const argv[], int out_fd, double timeout_s,
		   volatile sig_atomic_t *stop, struct vb_error **err);

/* Is the server still running? */
bool vb_svc_alive(struct vb_svc *s);

/* Send sig to the server, wait up to grace_s for it to end, then SIGKILL it. */
void vb_svc_stop(struct vb_svc *s, int sig, double grace_s);

/* Stop the server if it runs (SIGKILL), remove its directory, free s. */
void vb_svc_close(struct vb_svc *s);

/* The last non-empty line of the server's log, printable, at most 240 bytes; NULL if none. */
char *vb_svc_log_tail(const struct vb_svc *s);

/* A client's run: its stdout and stderr (the first MiB), wait status, wall and CPU time. */
struct vb_client_result {
	char *out;
	int status;
	double wall_s, cpu_s;
};

/*
 * Run a client (argv[0] absolute) to its end in its own session, killed
 * (with everything it started) past timeout_s or when *stop is set.
 * Returns 0 when it ran (whatever its exit status), -ETIMEDOUT, -EINTR
 * (stopped) or another negative code, with *err set.
 */
int vb_client_run(char *const argv[], double timeout_s, volatile sig_atomic_t *stop,
		  struct vb_client_result *res, struct vb_error **err);

/*
 * vb_client_run_env with its standard input from in_fd and its standard
 * output to out_fd (each > 2, opened by the caller; -1: /dev/null, and the
 * pipe res->out reads); its errors always go to res->out.
 */
int vb_client_run_io(char *const argv[], char *const extra[], int in_fd, int out_fd,
		     double timeout_s, volatile sig_atomic_t *stop, struct vb_client_result *res,
		     struct vb_error **err);

/* vb_client_run with extra (NULL-terminated "NAME=VALUE") added to the fixed environment. */
int vb_client_run_env(char *const argv[], char *const extra[], double timeout_s,
		      volatile sig_atomic_t *stop, struct vb_client_result *res,
		      struct vb_error **err);

void vb_client_result_release(struct vb_client_result *res);

/* The client's output's last non-empty line, for messages; "" if none. Caller frees. */
char *vb_client_tail(const struct vb_client_result *res);

/*
 * A client load: ab or wrk against nginx, pgbench against PostgreSQL. It
 * runs in the guest against 127.0.0.1 (where=guest), or is sent to the w3
 * peer, which runs it on the host against the guest's address
 * (where=host). The host builds the command itself from this request and
 * the connection's source address: a guest names a tool and numbers within
 * bounds, never a command, a host or a file. On the wire (network order,
 * after the peer hello in mode VB_PEER_LOAD): tool, port (u32 each), arg[4]
 * (u64 each); the reply: the client's wait status (i32; -1: the request was
 * refused, the text says why), the text's length (u32), wall and CPU time
 * in µs (u64 each), then the text (its stdout and stderr, ≤ 1 MiB).
 */
enum vb_load_tool {
	VB_LOAD_AB = 1,		  /* arg: requests, concurrency */
	VB_LOAD_WRK = 2,	  /* arg: threads, connections, duration_s */
	VB_LOAD_PGBENCH_INIT = 3, /* arg: scale */
	VB_LOAD_PGBENCH = 4,	  /* arg: clients, threads, transactions (0: by time), duration_s */
};

struct vb_load {
	uint32_t tool, port;
	uint64_t arg[4];
	/*
	 * pgbench, where=host: the server's password for user postgres (a
	 * random one per job; all zero: none). The host's client gets it in
	 * its environment, never on its command line (which any user reads).
	 */
	uint8_t secret[16];
};

/* The password text of a load's secret: 32 hex digits. */
void vb_load_secret_text(const struct vb_load *l, char out[33]);

/*
 * The ids the peer runs a guest's load as: virtbench's own, in no user
 * database, below the QEMU guests' range (platform/qemu-vm.h).
 */
#define VB_LOAD_UID 2113863680u

/* The id of a server whose package has no user of its own (Virtuoso): the next one. */
#define VB_SVC_UID 2113863681u

/*
 * vb_load_run for the service s, which must hold: the client must exit 0
 * (else -EIO quoting its last line and the server log's) and the server
 * must still run after it (else -ECHILD). what names the client in
 * messages ("app.pgbench: pgbench -i").
 */
int vb_svc_load(struct vb_svc *s, const struct vb_load *l, const char *peer,
		volatile sig_atomic_t *stop, const char *what, struct vb_client_result *res,
		struct vb_error **err);

/* Is the request within bounds? -EINVAL with *err saying what is not. */
int vb_load_check(const struct vb_load *l, struct vb_error **err);

/*
 * Run the load: peer NULL, here against 127.0.0.1; else through the w3 peer
 * at "addr:port", against the address this guest connects from. The client's
 * output, status and times land in *res as vb_client_run leaves them.
 */
int vb_load_run(const struct vb_load *l, const char *peer, volatile sig_atomic_t *stop,
		struct vb_client_result *res, struct vb_error **err);

/*
 * The peer's side of VB_PEER_LOAD on connection fd (after the hello): read
 * the request, run it as nobody against the connection's source address,
 * reply. One load at a time per peer; a closed connection kills the client.
 */
void vb_load_serve(int fd);

/*
 * The address this guest reaches the peer "addr:port" from (the one the
 * peer's load connects back to), as text in out; -errno with *err.
 */
int vb_peer_local_addr(const char *peer, char *out, size_t n, struct vb_error **err);

/* The newest /usr/lib/postgresql/N/bin with a server and pgbench; NULL with *err. */
char *vb_pg_bindir(struct vb_error **err);

/*
 * Open s as the job's PostgreSQL (vb_svc_open under scratch), make its
 * cluster and start the server on addr:port; ready when pg_isready says so
 * (120 s at most). secret NULL: every connection trusted (a client in the
 * guest); else local ones trusted and the host's admitted from any address
 * with user postgres and this password (scram). who prefixes messages. The
 * caller stops it (SIGINT: fast shutdown) and closes s, also on failure.
 */
int vb_pg_start(struct vb_svc *s, const char *scratch, const char *addr, uint16_t port,
		const char *secret, volatile sig_atomic_t *stop, const char *who,
		struct vb_error **err);

/*
 * The first of the absolute paths candidates that is an executable file;
 * else -ENOENT with *err saying which Debian package provides it.
 */
int vb_app_program(const char *const candidates[], const char *package, char **path,
		   struct vb_error **err);

/*
 * port != 0: check no one listens on 127.0.0.1:port (a clear error if one
 * does). port == 0: pick a free one. The result is in *out.
 */
int vb_app_port(uint64_t port, uint16_t *out, struct vb_error **err);

/* GET http://127.0.0.1:port/path over HTTP/1.0; *body holds the body (caller frees). */
int vb_http_get(uint16_t port, const char *path, double timeout_s, char **body, size_t *len,
		struct vb_error **err);

/* Write len bytes of data to dir/name (created, mode 0644) owned by uid:gid. */
int vb_svc_write(const struct vb_svc *s, const char *name, const void *data, size_t len,
		 struct vb_error **err);

#endif
