/* SPDX-License-Identifier: MIT */
#ifndef VIRTBENCH_ERROR_H
#define VIRTBENCH_ERROR_H

#include <stdarg.h>

/*
 * Error convention: a function that can fail returns int, 0 on success, a
 * negative errno-style code on failure, or VB_SKIP when the thing is not
 * applicable here. On failure (and on VB_SKIP) it fills *err with a message
 * that says what failed and why. Only src/cli/ prints errors.
 */

#define VB_SKIP 1

/* Exit codes of the virtbench command (documented in README and docs/). */
enum vb_exit {
	VB_EXIT_OK = 0,
	VB_EXIT_MEASUREMENT = 1,   /* a measurement failed */
	VB_EXIT_USAGE = 2,	   /* bad usage or bad input */
	VB_EXIT_UNAVAILABLE = 3,   /* a platform is not available here */
	VB_EXIT_INTERRUPTED = 130, /* SIGINT, SIGTERM or SIGHUP ended the run */
};

struct vb_error {
	int code;      /* negative errno-style code, or VB_SKIP */
	int exit_code; /* the enum vb_exit this error maps to at the CLI */
	char *msg;     /* owned, never NULL */
};

/*
 * Fill *err (if err is not NULL and *err is still NULL) with a formatted
 * message; returns code so callers can `return vb_error_set(err, -EINVAL, ...)`.
 * An earlier error is kept: the first cause is the one that matters.
 */
int vb_error_set(struct vb_error **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As vb_error_set, appending ": strerror(errnum)". */
int vb_error_errno(struct vb_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like vb_error_set, but also records which CLI exit code the error maps to. */
int vb_error_exit(struct vb_error **err, int code, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix the message of *err with "context: " (formatted). Returns (*err)->code or -EIO. */
int vb_error_wrap(struct vb_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Release an error; accepts NULL and a pointer to NULL. */
void vb_error_free(struct vb_error **err);

/*
 * Keep the first error: when *err holds none, *other moves there whole
 * (message, code and exit code); else *other is released. Returns the code
 * of the error now in *err, or 0 when neither held one. err may be NULL.
 */
int vb_error_keep(struct vb_error **err, struct vb_error **other);

#endif
