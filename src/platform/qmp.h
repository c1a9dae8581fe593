/* SPDX-License-Identifier: MIT */
#ifndef VB_PLATFORM_QMP_H
#define VB_PLATFORM_QMP_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "virtbench/error.h"

/* A QMP connection to one QEMU. */
struct vb_qmp {
	int fd; /* -1 when closed */
	char *buf;
	size_t len, cap;
};

void vb_qmp_init(struct vb_qmp *q);
/*
 * Connect to QEMU's monitor socket (retrying until it exists, up to
 * timeout_s, giving up early when the process qemu is gone), read the
 * greeting and enter command mode.
 */
int vb_qmp_connect(struct vb_qmp *q, const char *sock, pid_t qemu, double timeout_s,
		   struct vb_error **err);
/* One message (a line of JSON) before deadline (CLOCK_MONOTONIC seconds). */
int vb_qmp_read(struct vb_qmp *q, double deadline, json_t **msg, struct vb_error **err);
/* Execute cmd (args stolen, may be NULL); *ret (may be NULL) gets its "return". */
int vb_qmp_exec(struct vb_qmp *q, const char *cmd, json_t *args, json_t **ret,
		struct vb_error **err);
/* The host thread id of every vCPU, in vCPU order (query-cpus-fast). Caller frees. */
int vb_qmp_vcpu_threads(struct vb_qmp *q, pid_t **tids, size_t *n, struct vb_error **err);
/* Close; safe twice. */
void vb_qmp_close(struct vb_qmp *q);

#endif
