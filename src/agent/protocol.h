/* SPDX-License-Identifier: MIT */
#ifndef VB_AGENT_PROTOCOL_H
#define VB_AGENT_PROTOCOL_H

/*
 * The agent protocol (docs/protocol.md): JSON lines over one byte channel.
 * The supervisor sends job and quit messages; the agent answers with hello
 * once, then started / log / sample / error / done per job. Everything read
 * from the other side goes through the parsers here, which accept only what
 * the document allows and reject the rest with a message.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "virtbench/error.h"

#define VB_PROTOCOL_VERSION 1
#define VB_PROTO_MAX_LINE 65536 /* bytes per message, newline excluded */
#define VB_PROTO_MAX_ID 64	/* job ids: [A-Za-z0-9._-]{1,64} */
#define VB_PROTO_MAX_NAME 64	/* workload, metric and option names */
#define VB_PROTO_MAX_MSG 4096	/* log and error text */
#define VB_PROTO_MAX_PATH 4096
#define VB_PROTO_MAX_VALUES 64 /* metrics in one sample, params in one job */

/* Supervisor → agent. */
struct vb_job {
	bool quit;	   /* a quit message: the agent exits after it */
	bool sync;	   /* a sync message: an agent started with --sync says hello now */
	char *id;	   /* owned */
	char *workload;	   /* owned */
	json_t *params;	   /* owned; object of option name → integer ≥ 0 or boolean */
	char *scratch_dir; /* owned; NULL = none */
	char *peer;	   /* owned; "A.B.C.D:PORT" / "[v6]:PORT" of the w3 peer; NULL = none */
};

enum vb_event_type {
	VB_EV_HELLO,
	VB_EV_STARTED,
	VB_EV_LOG,
	VB_EV_SAMPLE,
	VB_EV_ERROR,
	VB_EV_DONE,
};

struct vb_event_value {
	char *name;   /* owned */
	double value; /* finite */
};

/* Agent → supervisor. */
struct vb_event {
	enum vb_event_type type;
	char *job; /* owned; NULL for hello */
	/* hello */
	long long protocol;
	char *agent_version; /* owned */
	long long pid;
	/* started */
	char *workload; /* owned */
	/* log: level is one of debug info warn */
	char *level; /* owned */
	/* log and error */
	char *msg; /* owned */
	/* sample */
	size_t nvalues;
	struct vb_event_value *values; /* owned */
	/* done */
	bool ok;
};

/* Parse one line (without its newline). On error *out is left released. */
int vb_job_parse(const char *line, size_t len, struct vb_job *out, struct vb_error **err);
/* One line without newline; caller frees. */
char *vb_job_format(const struct vb_job *job);
void vb_job_release(struct vb_job *job);

int vb_event_parse(const char *line, size_t len, struct vb_event *out, struct vb_error **err);

struct vb_workload_ops;
/*
 * Check a parsed sample of workload w against w's metrics: each declared
 * metric it holds must be plausible (vb_metric_check with the job's
 * timeout_s). Returns 0, or -ERANGE with *err saying which value and why:
 * the sample must then not be used.
 */
int vb_sample_check(const struct vb_event *ev, const struct vb_workload_ops *w, double timeout_s,
		    struct vb_error **err);
char *vb_event_format(const struct vb_event *ev);
void vb_event_release(struct vb_event *ev);
const char *vb_event_type_name(enum vb_event_type t);

#endif
